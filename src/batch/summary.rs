//! The run-wide outputs of `batch` and `merge`, written at the end from `results.jsonl` (the
//! latest line of each case), so they always agree with it: `summary.csv`, `unexplained.json`
//! and the drafts, `index.html` and `triage.sqlite`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::csv::{SUMMARY, summary_csv};
use super::error::{BatchError, out_err};
use super::folder::check_database;
use super::index;
use super::results::{Located, RESULTS, latest_per_case, read_results};
use super::sqlite;
use super::unexplained::{self, Ranked, Ranking};
use crate::i18n::Lang;
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
    /// The language of the index's own words (`--lang`).
    pub lang: Lang,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            max_templates: 200,
            drafts: 10,
            templates: None,
            lang: Lang::En,
        }
    }
}

/// The ranked unexplained templates of a run, with the counts `unexplained.json` and the index
/// show beside them.
pub(super) struct Unexplained {
    pub ranked: Vec<Ranked>,
    pub total: usize,
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
        opts.lang,
    )
    .map_err(|e| io::Error::other(format!("{}: {e:#}", index::TEMPLATE)))?;
    write_atomic(&dir.join(INDEX), html.as_bytes())
}

/// Writes the run-wide outputs of `dir` from its `results.jsonl`: `summary.csv`,
/// `unexplained.json`, the drafts, `index.html` and `triage.sqlite`.
///
/// `results.jsonl` is read twice: once for the views of its lines, which tell the latest line
/// of each case; then once more for what the views leave out, each latest line parsed once for
/// both the ranking of its templates and the database's rows, so that only one line's report
/// is in memory at a time.
pub(super) fn write_outputs(dir: &Path, opts: &SummaryOptions) -> Result<(), BatchError> {
    let results_path = dir.join(RESULTS);
    let lines = latest_per_case(
        read_results(&results_path, 0)
            .map_err(out_err(&results_path))?
            .lines,
    );
    write_atomic(&dir.join(SUMMARY), summary_csv(&lines).as_bytes()).map_err(out_err(dir))?;
    let db = dir.join(sqlite::DATABASE);
    let mut database = sqlite::Database::new(dir).map_err(out_err(&db))?;
    let mut ranking = Ranking::default();
    let wanted: HashSet<usize> = lines.iter().map(|l| l.line).collect();
    let file = File::open(&results_path).map_err(out_err(&results_path))?;
    for (n, raw) in BufReader::new(file).split(b'\n').enumerate() {
        let raw = raw.map_err(out_err(&results_path))?;
        if !wanted.contains(&n) {
            continue;
        }
        let Ok(line) = serde_json::from_slice::<serde_json::Value>(&raw) else {
            continue;
        };
        ranking.add_value(&line);
        database.add(&line).map_err(out_err(&db))?;
    }
    let (mut ranked, total, other) = ranking.finish(opts.max_templates);
    unexplained::write_drafts(dir, &mut ranked, opts.drafts).map_err(out_err(dir))?;
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    unexplained::write_json(dir, &ranked, ok, total, other).map_err(out_err(dir))?;
    let unexplained = Unexplained { ranked, total };
    check_database(dir)?;
    // The index and the database's last rows write different files: side by side, as this is
    // the part of a run that no case overlaps.
    let (index, database) = std::thread::scope(|s| {
        let index = s.spawn(|| write_index(dir, &lines, &unexplained, opts));
        let database = database.finish(&unexplained.ranked);
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
    index::render(&[], &[], 0, opts.templates.as_deref(), opts.lang)
        .map(drop)
        .map_err(|e| BatchError::Template {
            template: match &opts.templates {
                Some(dir) => dir.join(index::TEMPLATE).display().to_string(),
                None => format!("built-in {}", index::TEMPLATE),
            },
            message: format!("{e:#}"),
        })
}
