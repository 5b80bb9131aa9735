//! What can stop a batch or a merge: [`BatchError`], with the path it is about.

use std::io;
use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BatchError {
    #[error("the rules' line patterns do not compile together: {0}")]
    Patterns(#[from] regex::Error),
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{path}: cannot write the output folder: {source}")]
    Output { path: String, source: io::Error },
    #[error("{path}: refused: {reason}")]
    Refused { path: String, reason: String },
    #[error("{template}: does not render: {message}")]
    Template { template: String, message: String },
    #[error(
        "two cases are both named `{case}` ({first} and {second}); give inputs whose entries differ"
    )]
    Duplicate {
        case: String,
        first: String,
        second: String,
    },
}

pub(super) fn refused(path: &Path, reason: impl Into<String>) -> BatchError {
    BatchError::Refused {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

pub(super) fn out_err(path: &Path) -> impl FnOnce(io::Error) -> BatchError + '_ {
    move |source| BatchError::Output {
        path: path.display().to_string(),
        source,
    }
}
