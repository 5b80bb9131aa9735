//! The run-wide outputs of `batch` and `merge`, written at the end from `results.jsonl` (the
//! latest line of each case), so they always agree with it: `summary.csv`, `unexplained.json`
//! and the drafts, `index.html` and `triage.sqlite`.

use std::io;
use std::path::{Path, PathBuf};

use super::csv::{SUMMARY, summary_csv};
use super::error::{BatchError, out_err};
use super::folder::check_database;
use super::index;
use super::results::{Located, RESULTS, latest_per_case, read_results};
use super::sqlite;
use super::unexplained::{self, Ranked};
use crate::report::outfile::write_atomic;

/// `index.html` in an output folder.
pub const INDEX: &str = "index.html";

/// What the run-wide outputs hold, besides the cases.
#[derive(Debug, Clone)]
pub struct SummaryOptions {
    /// Templates ranked in `unexplained.json` (and the database's `templates`).
    pub max_templates: usize,
    /// Draft rules written for the top templates.
    pub drafts: usize,
    /// A folder whose `index.html` overrides the built-in template of the index.
    pub templates: Option<PathBuf>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            max_templates: 200,
            drafts: 10,
            templates: None,
        }
    }
}

/// The ranked unexplained templates of a run, with the counts `unexplained.json` and the index
/// show beside them.
pub(super) struct Unexplained {
    pub ranked: Vec<Ranked>,
    pub total: usize,
}

/// Writes `summary.csv`, `unexplained.json` and the drafts of `lines` (lines of
/// `dir/results.jsonl`) into `dir`.
fn write_summaries(
    dir: &Path,
    lines: &[Located],
    opts: &SummaryOptions,
) -> io::Result<Unexplained> {
    write_atomic(&dir.join(SUMMARY), summary_csv(lines).as_bytes())?;
    let (mut ranked, total, other) =
        unexplained::rank(&dir.join(RESULTS), lines, opts.max_templates)?;
    unexplained::write_drafts(dir, &mut ranked, opts.drafts)?;
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    unexplained::write_json(dir, &ranked, ok, total, other)?;
    Ok(Unexplained { ranked, total })
}

/// Writes `index.html` of `lines` and their unexplained templates into `dir`.
fn write_index(
    dir: &Path,
    lines: &[Located],
    unexplained: &Unexplained,
    opts: &SummaryOptions,
) -> io::Result<()> {
    let html = index::render(
        lines,
        &unexplained.ranked,
        unexplained.total,
        opts.templates.as_deref(),
    )
    .map_err(|e| io::Error::other(format!("{}: {e:#}", index::TEMPLATE)))?;
    write_atomic(&dir.join(INDEX), html.as_bytes())
}

/// Writes the run-wide outputs of `dir` from its `results.jsonl`: `summary.csv`,
/// `unexplained.json`, the drafts, `index.html` and `triage.sqlite`.
pub(super) fn write_outputs(dir: &Path, opts: &SummaryOptions) -> Result<(), BatchError> {
    let results_path = dir.join(RESULTS);
    let lines = latest_per_case(
        read_results(&results_path, 0)
            .map_err(out_err(&results_path))?
            .lines,
    );
    let unexplained = write_summaries(dir, &lines, opts).map_err(out_err(dir))?;
    check_database(dir)?;
    let db = dir.join(sqlite::DATABASE);
    // The index and the database read the same lines and write different files: side by side,
    // as this is the part of a run that no case overlaps.
    let (index, database) = std::thread::scope(|s| {
        let index = s.spawn(|| write_index(dir, &lines, &unexplained, opts));
        let database = sqlite::build(dir, &lines, &unexplained.ranked);
        let index = index
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the index's thread panicked")));
        (index, database)
    });
    index.map_err(out_err(dir))?;
    database.map_err(out_err(&db))
}

/// Renders the index of no case, so that a `--templates` index that does not render is refused
/// before any case is analysed or anything written.
pub(super) fn check_index_template(opts: &SummaryOptions) -> Result<(), BatchError> {
    index::render(&[], &[], 0, opts.templates.as_deref())
        .map(drop)
        .map_err(|e| BatchError::Template {
            template: match &opts.templates {
                Some(dir) => dir.join(index::TEMPLATE).display().to_string(),
                None => format!("built-in {}", index::TEMPLATE),
            },
            message: format!("{e:#}"),
        })
}
