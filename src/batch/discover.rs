//! Discovery: the cases of a batch's inputs (a folder's top-level entries, or files given
//! directly), which entries are refused unopened (links, FIFOs, sockets, devices), and what
//! `analyze` is given for each case (a folder's archive files, found by their first bytes).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::error::BatchError;
use crate::ingest::{Format as ArchiveFormat, sniff};

/// A case found in the inputs.
#[derive(Debug, Clone)]
pub struct CaseEntry {
    /// Path relative to its input folder (for a file given directly: its file name).
    pub name: String,
    /// The entry on disk.
    pub path: PathBuf,
    /// Why the entry is not opened (a link, FIFO, socket or device): it becomes an error row.
    pub refused: Option<String>,
}

/// Why an entry of this type is not a case that may be opened, if it is not.
fn refusal(kind: std::fs::FileType) -> Option<String> {
    if kind.is_symlink() {
        Some("a symbolic link: not followed (a case must be a file or a folder inside the input folder)".into())
    } else if kind.is_file() || kind.is_dir() {
        None
    } else {
        Some("not a regular file or a folder (a FIFO, socket or device): not opened".into())
    }
}

/// Lists the cases of `inputs`: a file is a case; a folder's top-level entries each are one
/// (sorted by name; hidden entries and `exclude`, the output folder, left out).
pub fn discover(inputs: &[PathBuf], exclude: Option<&Path>) -> Result<Vec<CaseEntry>, BatchError> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut cases = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| BatchError::Input {
            path: input.display().to_string(),
            message: e.to_string(),
        })?;
        let mut found = Vec::new();
        if meta.is_dir() {
            let listing = std::fs::read_dir(input).map_err(|e| BatchError::Input {
                path: input.display().to_string(),
                message: format!("cannot list: {e}"),
            })?;
            for entry in listing {
                let entry = entry.map_err(|e| BatchError::Input {
                    path: input.display().to_string(),
                    message: format!("cannot list: {e}"),
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let path = entry.path();
                if exclude.is_some() && path.canonicalize().ok() == exclude {
                    continue;
                }
                // The entry's own type, not its target's: `file_type` does not follow links.
                let refused = match entry.file_type() {
                    Ok(kind) => refusal(kind),
                    Err(e) => Some(format!("cannot read its type: {e}")),
                };
                found.push(CaseEntry {
                    name,
                    path,
                    refused,
                });
            }
            found.sort_by(|a, b| a.name.cmp(&b.name));
        } else {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| input.display().to_string());
            // A file named on the command line is followed if it is a link (the user chose it),
            // but only a regular file is opened.
            found.push(CaseEntry {
                name,
                path: input.clone(),
                refused: refusal(meta.file_type()),
            });
        }
        for case in found {
            if let Some(first) = seen.get(&case.name) {
                return Err(BatchError::Duplicate {
                    case: case.name,
                    first: first.display().to_string(),
                    second: case.path.display().to_string(),
                });
            }
            seen.insert(case.name.clone(), case.path.clone());
            cases.push(case);
        }
    }
    Ok(cases)
}

/// Whether a file's first bytes make it a bundle (archive) rather than a member of an
/// extracted bundle, as ingest's sniffing tells it.
fn is_archive(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 512];
    let n = read_full(&mut file, &mut head);
    match sniff(&head[..n]) {
        ArchiveFormat::Tar | ArchiveFormat::Zip => true,
        ArchiveFormat::Gzip => {
            // A bundle inflates to a tar (or a zip); a rotated log (`connector.log.2.gz`) to
            // text. A gzip that does not inflate at all is a damaged bundle: read it as one.
            if file.seek(SeekFrom::Start(0)).is_err() {
                return true;
            }
            let mut inner = [0u8; 512];
            let m = read_full(&mut flate2::read::MultiGzDecoder::new(file), &mut inner);
            m == 0
                || matches!(
                    sniff(&inner[..m]),
                    ArchiveFormat::Tar | ArchiveFormat::Zip | ArchiveFormat::Gzip
                )
        }
        ArchiveFormat::Directory | ArchiveFormat::Other => false,
    }
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// What `analyze` is given for a case: the file itself; a folder's archive files (found by
/// their bytes, sorted by path); or the folder itself when it holds none.
pub fn case_inputs(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let archives: Vec<PathBuf> = WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_archive(e.path()))
        .map(|e| e.into_path())
        .collect();
    if archives.is_empty() {
        vec![path.to_path_buf()]
    } else {
        archives
    }
}
