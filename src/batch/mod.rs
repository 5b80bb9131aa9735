//! Batch triage: many cases in parallel, resumable, and splittable across machines.
//!
//! A **case** is one top-level entry of an input folder (a file, or a folder holding a
//! customer's bundles or an extracted bundle), or a file given directly. Its name is its path
//! relative to that input folder. A file case is analysed as `analyze <file>`; a folder case
//! holding archive files (found by their first bytes: gzip `1f 8b`, zip `PK\x03\x04`, tar
//! `ustar` at offset 257; a gzip'd file counts unless it inflates to plain text, as rotated logs
//! inside an extracted bundle do) is analysed as `analyze <those files>`; any other folder as
//! `analyze <folder>` (an extracted bundle). So `batch` and `analyze` give the same verdict on
//! the same files.
//!
//! Cases run on a rayon pool of `jobs` threads, one case per job at a time; the pipeline streams
//! each case, so memory is bounded per job, not per case. Nothing is loaded or compiled per
//! case: the rules and their line matcher are compiled once per run and shared; each job keeps
//! its own copy of the artifact map and limits, whose regexes then match with caches of the
//! job's own instead of taking turns at a shared pool. Whether a case is inflated on a second
//! thread is [`ReadAhead`]'s choice (by default only while a core would otherwise idle). Each finished case is appended to
//! `OUT/results.jsonl` at once (one line: case, input, key, status, duration, error, report
//! paths and the JSON report), with its reports in `OUT/cases/`. At the end `summary.csv`,
//! `unexplained.json` and the draft rules of `drafts/` ([`unexplained`]), `index.html` and
//! `triage.sqlite` ([`sqlite`]) are written from `results.jsonl` (the latest line of each case),
//! by `batch` and by `merge` alike, so they always agree with it.
//!
//! **Resume key**: FNV-1a 64 ([`fnv`]) over the case's name, every file's path inside the case
//! with its size and modification time (nanoseconds), the tool version, the rule pack's
//! fingerprint ([`rules_fingerprint`]), the artifact map, the limits and the report language
//! (`--lang`: a rerun in another language writes the reports again). A case whose key is on a
//! finished line (`ok` or `error`) of `results.jsonl` is skipped.
//!
//! **Shards**: `--shard K/N` keeps the cases whose FNV-1a 64 of the name, modulo N, is K.
//!
//! The library never prints: progress is reported through a callback of [`Event`]s.
//!
//! # Worked example
//!
//! ```text
//! # One machine: every case of two team folders, 2 at a time; rerun to resume.
//! fptriage batch /cases/emea /cases/amer --out /reports/run1 --jobs 2
//!
//! # Kubernetes Indexed Job (completions: 8): each pod runs one shard into its own folder.
//! fptriage batch /cases --out /reports/shard-$JOB_COMPLETION_INDEX --shard $JOB_COMPLETION_INDEX/8
//! # Slurm array (#SBATCH --array=0-7):
//! fptriage batch /cases --out /reports/shard-$SLURM_ARRAY_TASK_ID --shard $SLURM_ARRAY_TASK_ID/8
//! # GNU parallel over ssh (shared /cases and /reports):
//! seq 0 7 | parallel -S host1,host2 fptriage batch /cases --out /reports/shard-{} --shard {}/8
//!
//! # Then, anywhere that sees the shard folders:
//! fptriage merge /reports/shard-* --out /reports/all    # results.jsonl, summary.csv, index.html, cases/
//! ```
//!
//! **Output folder**: `--out` must be absent, empty, or an earlier output of `batch` or `merge`
//! (it holds the marker [`MARKER`], written when a run claims the folder; an output of an
//! older version without one is recognised by its `results.jsonl`, whose first line is ours).
//! Anything else is refused, so a typo cannot replace someone's `index.html`. A top-level entry
//! of an input folder that is a symbolic link, a FIFO, a socket or a device is an error row and
//! is never opened (a FIFO would block the run forever; a link may lead out of the folder).
//!
//! Give each concurrent run its own `--out`: two runs appending to one `results.jsonl` is not
//! supported. Two inputs holding an entry of the same name are refused (the case name would be
//! ambiguous). Exit codes: 0 the batch ran (error rows included), 130 interrupted (Ctrl-C: no
//! new case starts, running ones finish and are recorded, the summary is written; a second
//! Ctrl-C exits at once, every finished line being kept), 2 bad arguments or an unwritable
//! or refused output folder.

pub mod fnv;
pub mod index;
mod output;
pub mod sqlite;
pub mod unexplained;

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rayon::prelude::*;
use thiserror::Error;
use walkdir::WalkDir;

use crate::artifacts::ArtifactMap;
use crate::ingest::{Format as ArchiveFormat, sniff};
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::pipeline;
use crate::report::redact::Redactor;
use crate::report::{self, Format, Report, ReportError};
use crate::rules::RuleSet;
use fnv::{Fnv64, fnv64};
use output::{CASES, LineOut, RESULTS, is_report_path};
pub use output::{CSV_HEADER, ReportPaths, csv_field};

/// `K/N`: this run takes the cases whose name hashes to K modulo N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected K/N, e.g. 0/4"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: K is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: N is not a number"))?;
        if count == 0 {
            return Err(format!("`{s}`: N must be at least 1"));
        }
        if index >= count {
            return Err(format!("`{s}`: K must be from 0 to N-1"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether the case named `case` (its path relative to its input folder) is in this shard.
    pub fn selects(&self, case: &str) -> bool {
        fnv64(case.as_bytes()) % self.count == self.index
    }
}

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

/// What a batch run needs besides its cases.
pub struct BatchOptions<'a> {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub jobs: usize,
    pub shard: Option<Shard>,
    pub map: &'a ArtifactMap,
    pub rules: &'a RuleSet,
    pub limits: &'a Limits,
    /// Report templates overriding the built-in ones.
    pub templates: Option<PathBuf>,
    /// Text that identifies a non-default artifact map (its file's content); part of the key.
    pub map_fingerprint: String,
    /// With `--redact`: one redactor for the whole run, so a value gets the same placeholder in
    /// every case (and distinct case names stay distinct), applied to reports, lines, summary
    /// and index alike.
    pub redactor: Option<&'a Mutex<Redactor>>,
    pub summary: SummaryOptions,
    /// The language of the reports' words and of the rules' texts (`rules` is localised to
    /// it); part of the resume key.
    pub lang: crate::i18n::Lang,
    /// When a case's compressed input is inflated on a thread of its own.
    pub read_ahead: ReadAhead,
}

/// When `batch` inflates a case's input on a second thread ([`Limits::read_ahead`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadAhead {
    /// While there are fewer jobs than cores, and for the last cases of the run (the other jobs
    /// are about to go idle); otherwise each job inflates and parses on its own thread, so that
    /// the cores go to cases rather than to hand-overs between threads.
    #[default]
    Auto,
    /// Always, as `analyze` does.
    On,
    /// Never.
    Off,
}

impl ReadAhead {
    /// Whether the case at `position` (0-based) of `cases` to run reads ahead.
    fn for_case(self, position: usize, cases: usize, jobs: usize, cores: usize) -> bool {
        match self {
            ReadAhead::On => true,
            ReadAhead::Off => false,
            ReadAhead::Auto => jobs < cores || position + jobs >= cases,
        }
    }
}

impl BatchOptions<'_> {
    /// A name or path as it may be shown: redacted when the batch redacts.
    fn shown(&self, text: &str) -> String {
        match self.redactor {
            Some(r) => lock(r).text(text),
            None => text.to_string(),
        }
    }

    /// With `--redact`: takes the case's name and its input paths (case folder, file names) as
    /// known private values, before anything of the case is shown.
    fn learn(&self, p: &Planned) {
        if let Some(r) = self.redactor {
            let mut r = lock(r);
            r.learn_path(&p.entry.name);
            r.learn_path(&p.entry.path.display().to_string());
            // A refused entry (a link, a FIFO, a device) is never opened, not even to list it.
            let inputs = match p.entry.refused {
                None => case_inputs(&p.entry.path),
                Some(_) => Vec::new(),
            };
            for input in inputs {
                r.learn_path(&input.display().to_string());
            }
        }
    }
}

/// Final state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
        }
    }
}

/// Progress, for a front end to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// Cases found, how many are in this shard, already done, and left to run (with their bytes).
    Planned {
        found: usize,
        in_shard: usize,
        skipped: usize,
        to_run: usize,
        bytes: u64,
    },
    /// Lines of `results.jsonl` that are not ours (0-based numbers): kept as they are, but their
    /// cases, if any, run again.
    Damaged { path: &'a Path, lines: &'a [usize] },
    /// A case already analysed with the same key.
    Skipped { case: &'a str },
    /// A case starts on a job.
    Started { case: &'a str },
    /// A case is done and its line written.
    Finished {
        case: &'a str,
        status: Status,
        error: Option<&'a str>,
        bytes: u64,
        duration: Duration,
        /// The case's root causes, one line each (severity, title, device), as its report
        /// shows them (redacted with the run).
        root_causes: &'a [String],
    },
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub found: usize,
    pub in_shard: usize,
    pub skipped: usize,
    pub ok: usize,
    pub errors: usize,
    /// Cases not started because the run was interrupted.
    pub not_started: usize,
    pub interrupted: bool,
    /// Lines of `results.jsonl` that could not be read (see [`Event::Damaged`]).
    pub damaged_lines: usize,
}

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

fn refused(path: &Path, reason: impl Into<String>) -> BatchError {
    BatchError::Refused {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn out_err(path: &Path) -> impl FnOnce(io::Error) -> BatchError + '_ {
    move |source| BatchError::Output {
        path: path.display().to_string(),
        source,
    }
}

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

/// The rule pack's fingerprint: FNV-1a 64 over every loaded rule's full definition (id,
/// origin, conditions, templates, severity, explains… as its `Debug` form, which is fixed for
/// a given tool version, itself part of the key).
pub fn rules_fingerprint(rules: &RuleSet) -> u64 {
    let mut h = Fnv64::new();
    for rule in &rules.rules {
        h.field(format!("{rule:?}").as_bytes());
    }
    h.finish()
}

/// Files of a case (relative path, size, mtime in ns since the epoch), sorted; links and
/// unreadable entries are listed without a size. Returns the total size too.
fn case_files(path: &Path) -> (Vec<(String, u64, i128)>, u64) {
    let mut files = Vec::new();
    let mut total = 0u64;
    let stamp = |m: &std::fs::Metadata| -> i128 {
        m.modified()
            .ok()
            .map(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(d) => d.as_nanos() as i128,
                Err(e) => -(e.duration().as_nanos() as i128),
            })
            .unwrap_or(0)
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            total = m.len();
            files.push((String::new(), m.len(), stamp(&m)));
        }
        Ok(m) if m.is_dir() => {
            for entry in WalkDir::new(path).follow_links(false).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                if entry.file_type().is_dir() {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(path)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .into_owned();
                match entry.metadata() {
                    Ok(m) => {
                        if m.is_file() {
                            total += m.len();
                        }
                        files.push((rel, m.len(), stamp(&m)));
                    }
                    Err(_) => files.push((rel, 0, 0)),
                }
            }
        }
        _ => {}
    }
    (files, total)
}

/// The resume key of a case (hex FNV-1a 64; see the module documentation).
fn case_key(name: &str, files: &[(String, u64, i128)], settings: u64) -> String {
    let mut h = Fnv64::new();
    h.field(name.as_bytes());
    for (rel, size, mtime) in files {
        h.field(rel.as_bytes());
        h.write(&size.to_le_bytes());
        h.write(&mtime.to_le_bytes());
    }
    h.write(&settings.to_le_bytes());
    format!("{:016x}", h.finish())
}

/// A file stem for a case's reports: the name with anything but `[A-Za-z0-9._-]` replaced by
/// `_`; when that changed the name (or it would be hidden or too long), a hash of the name is
/// appended, so two names never share a stem, in any shard.
pub fn sanitise(name: &str) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let changed = stem != name || stem.starts_with('.') || stem.len() > 120 || stem.is_empty();
    if changed {
        stem.truncate(120);
        let stem = stem.trim_start_matches('.');
        return format!("{stem}-{:08x}", fnv64(name.as_bytes()) as u32);
    }
    stem
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

/// A planned case.
struct Planned {
    entry: CaseEntry,
    key: String,
    bytes: u64,
}

struct Finished {
    status: Status,
    error: Option<String>,
    inputs: Vec<String>,
    reports: Option<ReportPaths>,
    report: Option<serde_json::Value>,
}

/// The file that marks a folder as an output of `batch` or `merge`.
pub const MARKER: &str = ".fptriage-batch";

const MARKER_TEXT: &str = "This folder is an output of `fptriage batch` or `fptriage merge`.\n\
    They write into a folder only when it is empty, new, or holds this file.\n";

/// Whether `dir` is an output of a version that wrote no marker: its `results.jsonl` is a
/// regular file whose first line is one of ours.
fn legacy_output(dir: &Path) -> bool {
    let path = dir.join(RESULTS);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = File::open(&path) else {
        return false;
    };
    let mut first = Vec::new();
    let mut reader = io::BufReader::new(file.take(64 << 20));
    if io::BufRead::read_until(&mut reader, b'\n', &mut first).is_err() {
        return false;
    }
    let Ok(line) = serde_json::from_slice::<serde_json::Value>(&first) else {
        return false;
    };
    ["case", "key", "status", "tool_version"]
        .iter()
        .all(|k| line.get(k).is_some_and(serde_json::Value::is_string))
}

/// Claims `out` for writing (see the module documentation): creates it, or accepts an empty
/// folder or an earlier output, and writes the marker; checks `cases/` is a folder of its own.
fn claim_out(out: &Path) -> Result<(), BatchError> {
    let foreign = || {
        refused(
            out,
            format!(
                "the folder is not empty and is not an fptriage batch output (no {MARKER}); \
                 choose a new or empty folder (or, if it is an output of fptriage, create {MARKER} in it)"
            ),
        )
    };
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => return Err(refused(out, "is not a folder")),
        Ok(_) => {
            let marker = out.join(MARKER);
            match std::fs::symlink_metadata(&marker) {
                Ok(m) if m.is_file() => {}
                Ok(_) => return Err(refused(&marker, "is not a regular file")),
                Err(_) => {
                    let empty = std::fs::read_dir(out)
                        .map_err(out_err(out))?
                        .next()
                        .is_none();
                    if !empty && !legacy_output(out) {
                        return Err(foreign());
                    }
                    output::write_atomic(&marker, MARKER_TEXT.as_bytes())
                        .map_err(out_err(&marker))?;
                }
            }
        }
        Err(_) => {
            std::fs::create_dir_all(out).map_err(out_err(out))?;
            let marker = out.join(MARKER);
            output::write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(out_err(&marker))?;
        }
    }
    let cases = out.join(CASES);
    match std::fs::symlink_metadata(&cases) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(refused(&cases, "is not a folder (a link is not followed)")),
        Err(_) => std::fs::create_dir(&cases).map_err(out_err(&cases)),
    }
}

/// Refuses an output folder whose `triage.sqlite` is not ours (see [`sqlite::check`]).
fn check_database(out: &Path) -> Result<(), BatchError> {
    sqlite::check(out).map_err(|reason| refused(&out.join(sqlite::DATABASE), reason))
}

/// Writes the run-wide outputs of `dir` from its `results.jsonl`: `summary.csv`,
/// `unexplained.json`, the drafts, `index.html` and `triage.sqlite`.
fn write_outputs(dir: &Path, opts: &SummaryOptions) -> Result<(), BatchError> {
    let results_path = dir.join(RESULTS);
    let lines = output::latest_per_case(
        output::read_results(&results_path, 0)
            .map_err(out_err(&results_path))?
            .lines,
    );
    let unexplained = output::write_summaries(dir, &lines, opts).map_err(out_err(dir))?;
    check_database(dir)?;
    let db = dir.join(sqlite::DATABASE);
    // The index and the database read the same lines and write different files: side by side,
    // as this is the part of a run that no case overlaps.
    let (index, database) = std::thread::scope(|s| {
        let index = s.spawn(|| output::write_index(dir, &lines, &unexplained, opts));
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
fn check_index_template(opts: &SummaryOptions) -> Result<(), BatchError> {
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

/// Claims `out` and checks that `results.jsonl` can be appended to.
fn prepare_out(out: &Path) -> Result<(), BatchError> {
    if out.is_dir() {
        check_database(out)?;
    }
    claim_out(out)?;
    let results = out.join(RESULTS);
    if let Ok(m) = std::fs::symlink_metadata(&results)
        && !m.is_file()
    {
        return Err(refused(
            &results,
            "is not a regular file (a link is not followed)",
        ));
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&results)
        .map_err(out_err(&results))?;
    // A run killed mid-line leaves a partial last line: end it so the next line stands alone.
    let len = file.metadata().map_err(out_err(&results))?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .map_err(out_err(&results))?;
        file.read_exact(&mut last).map_err(out_err(&results))?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(out_err(&results))?;
        }
    }
    Ok(())
}

/// Runs a batch. `cancel` stops it cleanly: no case starts once it is set, running cases
/// finish and are recorded, and the summary and index are written for what is done.
pub fn run(
    opts: &BatchOptions<'_>,
    cancel: &AtomicBool,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Outcome, BatchError> {
    check_index_template(&opts.summary)?;
    prepare_out(&opts.out)?;
    // Compiled once for the whole run: every case shares the rules' line matcher.
    let matcher = MatcherSet::new(&opts.rules.patterns)?;
    let entries = discover(&opts.inputs, Some(&opts.out))?;
    let found = entries.len();
    let selected: Vec<CaseEntry> = entries
        .into_iter()
        .filter(|c| opts.shard.is_none_or(|s| s.selects(&c.name)))
        .collect();
    let in_shard = selected.len();

    let mut settings = Fnv64::new();
    settings.field(env!("CARGO_PKG_VERSION").as_bytes());
    settings.write(&rules_fingerprint(opts.rules).to_le_bytes());
    settings.field(opts.map_fingerprint.as_bytes());
    // Reading ahead or not gives the same results: not part of the key.
    let keyed = Limits {
        read_ahead: true,
        ..opts.limits.clone()
    };
    settings.field(format!("{keyed:?}").as_bytes());
    settings.field(opts.lang.code().as_bytes());
    let settings = settings.finish();

    let results_path = opts.out.join(RESULTS);
    let previous = output::read_results(&results_path, 0).map_err(out_err(&results_path))?;
    if !previous.damaged.is_empty() {
        on_event(Event::Damaged {
            path: &results_path,
            lines: &previous.damaged,
        });
    }
    let damaged_lines = previous.damaged.len();
    let done: HashSet<String> = previous
        .lines
        .into_iter()
        .filter(|l| l.view.status == "ok" || l.view.status == "error")
        .map(|l| l.view.key)
        .collect();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("fptriage-batch-{i}"))
        .build()
        .map_err(|e| BatchError::Output {
            path: opts.out.display().to_string(),
            source: io::Error::other(e),
        })?;

    // Keys need a walk of each folder case: done on the pool too.
    let planned: Vec<Planned> = pool.install(|| {
        selected
            .into_par_iter()
            .map(|entry| {
                let (files, bytes) = match &entry.refused {
                    // Not even looked into: the name (and the refusal) is the key.
                    Some(why) => (vec![(why.clone(), 0, 0)], 0),
                    None => case_files(&entry.path),
                };
                let key = case_key(&entry.name, &files, settings);
                Planned { entry, key, bytes }
            })
            .collect()
    });
    let mut to_run = Vec::new();
    let mut skipped = 0;
    for p in planned {
        if done.contains(&p.key) {
            skipped += 1;
            opts.learn(&p);
            on_event(Event::Skipped {
                case: &opts.shown(&p.entry.name),
            });
        } else {
            to_run.push(p);
        }
    }
    to_run.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.entry.name.cmp(&b.entry.name)));
    on_event(Event::Planned {
        found,
        in_shard,
        skipped,
        to_run: to_run.len(),
        bytes: to_run.iter().map(|p| p.bytes).sum(),
    });

    let results = Mutex::new(
        OpenOptions::new()
            .append(true)
            .open(&results_path)
            .map_err(out_err(&results_path))?,
    );
    let write_error: Mutex<Option<BatchError>> = Mutex::new(None);
    let counts = Mutex::new(Outcome {
        found,
        in_shard,
        skipped,
        damaged_lines,
        ..Outcome::default()
    });

    let run_one = |p: &Planned, limits: &Limits, map: &ArtifactMap| {
        if cancel.load(Ordering::SeqCst) {
            lock(&counts).not_started += 1;
            return;
        }
        opts.learn(p);
        let case_name = opts.shown(&p.entry.name);
        on_event(Event::Started { case: &case_name });
        let start = Instant::now();
        let finished = match catch_unwind(AssertUnwindSafe(|| {
            analyse_case(opts, limits, map, &matcher, p)
        })) {
            Ok(f) => f,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                Finished {
                    status: Status::Error,
                    error: Some(format!("internal error while analysing: {what}")),
                    inputs: Vec::new(),
                    reports: None,
                    report: None,
                }
            }
        };
        let duration = start.elapsed();
        // What goes into results.jsonl shows its control and bidi characters, as reports do;
        // errors quote paths and names from the case, so they are redacted like the rest.
        let visible = |s: &str| report::escape::visible(s).into_owned();
        let error = finished.error.as_deref().map(|e| visible(&opts.shown(e)));
        let line = LineOut {
            case: &visible(&case_name),
            input: visible(&opts.shown(&p.entry.path.display().to_string())),
            inputs: finished.inputs.iter().map(|i| visible(i)).collect(),
            key: &p.key,
            status: finished.status.as_str(),
            duration_ms: duration.as_millis() as u64,
            bytes: p.bytes,
            finished_at: jiff::Timestamp::now(),
            tool_version: env!("CARGO_PKG_VERSION"),
            error: error.as_deref(),
            reports: finished.reports.clone(),
            report: finished.report.as_ref(),
        };
        let written = serde_json::to_string(&line)
            .map_err(io::Error::other)
            .and_then(|mut text| {
                text.push('\n');
                let mut file = lock(&results);
                file.write_all(text.as_bytes())?;
                file.flush()
            });
        let root_causes = finished
            .report
            .as_ref()
            .map(|model| report::terminal::root_causes(model, opts.lang))
            .unwrap_or_default();
        drop(finished.report);
        if let Err(e) = written {
            // The output folder broke under us: stop starting cases, report it at the end.
            cancel.store(true, Ordering::SeqCst);
            lock(&write_error).get_or_insert(BatchError::Output {
                path: results_path.display().to_string(),
                source: e,
            });
            return;
        }
        {
            let mut c = lock(&counts);
            match finished.status {
                Status::Ok => c.ok += 1,
                Status::Error => c.errors += 1,
            }
        }
        on_event(Event::Finished {
            case: &case_name,
            status: finished.status,
            error: error.as_deref(),
            bytes: p.bytes,
            duration,
            root_causes: &root_causes,
        });
    };
    // One shared queue in size order (largest first): each job takes the next case when it is
    // done with its own, so the long cases start early and the short ones fill in around them.
    let next = AtomicUsize::new(0);
    let jobs = pool.current_num_threads();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let (with, without) = (
        Limits {
            read_ahead: true,
            ..opts.limits.clone()
        },
        Limits {
            read_ahead: false,
            ..opts.limits.clone()
        },
    );
    pool.broadcast(|_| {
        // Each job its own copy of the artifact map: the compiled classifiers are shared (a
        // clone of a regex shares its automata), but each copy has its own pool of match
        // caches, owned by this thread. With one shared map, every job but the first took a
        // cache from the pool's locked stack on each member classified (1 % of the CPU time of
        // a 2-job run in perf, and a lock the jobs contend for). The limits too: they carry
        // the mining's error pattern.
        let map = opts.map.clone();
        let (with, without) = (with.clone(), without.clone());
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(p) = to_run.get(i) else { break };
            let ahead = opts.read_ahead.for_case(i, to_run.len(), jobs, cores);
            run_one(p, if ahead { &with } else { &without }, &map);
        }
    });

    if let Some(e) = write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut outcome = counts.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome.interrupted = cancel.load(Ordering::SeqCst);
    write_outputs(&opts.out, &opts.summary)?;
    Ok(outcome)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Analyses one case and writes its reports.
fn analyse_case(
    opts: &BatchOptions<'_>,
    limits: &Limits,
    map: &ArtifactMap,
    matcher: &MatcherSet,
    p: &Planned,
) -> Finished {
    if let Some(why) = &p.entry.refused {
        return Finished {
            status: Status::Error,
            error: Some(format!("{}: {why}", p.entry.path.display())),
            inputs: vec![opts.shown(&p.entry.path.display().to_string())],
            reports: None,
            report: None,
        };
    }
    let inputs = case_inputs(&p.entry.path);
    let shown: Vec<String> = inputs
        .iter()
        .map(|i| opts.shown(&i.display().to_string()))
        .collect();
    let fail = |error: String| Finished {
        status: Status::Error,
        error: Some(error),
        inputs: shown.clone(),
        reports: None,
        report: None,
    };
    let analysis = pipeline::analyze_with(&inputs, map, opts.rules, matcher, limits);
    if analysis.nothing_read() {
        let reason = if analysis.case.errors.is_empty() {
            format!("nothing usable could be read from {}", shown.join(", "))
        } else {
            analysis.case.errors.join("; ")
        };
        return fail(reason);
    }
    let report = Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        opts.rules,
    );
    drop(analysis);
    let model = match opts.redactor {
        Some(r) => report.redacted(&mut lock(r)),
        None => serde_json::to_value(&report).map_err(ReportError::from),
    };
    let mut model = match model {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    // The model is kept in results.jsonl too, and read back for the summary and the index.
    report::escape::visible_value(&mut model);
    let json = match report::render(&model, Format::Json, None) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    let html = match report::render_named_in(
        &model,
        "report",
        Format::Html,
        opts.templates.as_deref(),
        opts.lang,
    ) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    let stem = sanitise(&opts.shown(&p.entry.name));
    let paths = ReportPaths {
        json: format!("{CASES}/{stem}.json"),
        html: format!("{CASES}/{stem}.html"),
    };
    let [json_path, html_path] = output::report_files(&opts.out, &paths);
    if let Err(e) = output::write_atomic(&json_path, json.as_bytes())
        .and_then(|()| output::write_atomic(&html_path, html.as_bytes()))
    {
        return fail(format!("cannot write the reports: {e}"));
    }
    Finished {
        status: Status::Ok,
        error: None,
        inputs: shown,
        reports: Some(paths),
        report: Some(model),
    }
}

/// What a merge did.
#[derive(Debug, Default, Clone)]
pub struct MergeOutcome {
    pub lines_read: usize,
    pub cases: usize,
    pub ok: usize,
    pub errors: usize,
    /// Per source `results.jsonl` with lines that are not ours: its path and the 0-based line
    /// numbers. Those lines are kept, verbatim, at the end of the merged `results.jsonl`.
    pub damaged: Vec<(PathBuf, Vec<usize>)>,
}

/// Joins the outputs of several runs (shards) into `out`: one `results.jsonl` with the latest
/// line of each case (by `finished_at`, then by argument and line order), its reports copied
/// into `out/cases`, and `summary.csv` and `index.html` over all of them.
///
/// Shard folders come from other machines, so nothing in them is trusted: a report path must
/// be `cases/<stem>.json|.html` and a regular file inside its shard (no link out of it), or the
/// merge is refused before anything is written. `out` is claimed as by `batch`.
pub fn merge(sources: &[PathBuf], out: &Path) -> Result<MergeOutcome, BatchError> {
    merge_with(sources, out, &SummaryOptions::default())
}

/// [`merge`] with the run-wide outputs' options.
pub fn merge_with(
    sources: &[PathBuf],
    out: &Path,
    summary: &SummaryOptions,
) -> Result<MergeOutcome, BatchError> {
    check_index_template(summary)?;
    let mut all = Vec::new();
    let mut damaged = Vec::new();
    for (i, dir) in sources.iter().enumerate() {
        let path = dir.join(RESULTS);
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Err(BatchError::Input {
                path: path.display().to_string(),
                message: "no results.jsonl here as a regular file (not a batch output folder?)"
                    .into(),
            });
        }
        let results = output::read_results(&path, i).map_err(|e| BatchError::Input {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        all.extend(results.lines);
        if !results.damaged.is_empty() {
            damaged.push((i, results.damaged));
        }
    }
    let lines_read = all.len();
    let kept = output::latest_per_case(all);

    // Every report to copy, checked before anything is written.
    let out_canon = out.canonicalize().ok();
    let mut copies: Vec<(PathBuf, String)> = Vec::new();
    for l in &kept {
        let Some(paths) = &l.view.reports else {
            continue;
        };
        let src_dir = &sources[l.source];
        let at = || format!("{} line {}", src_dir.join(RESULTS).display(), l.line + 1);
        for (rel, ext) in [(&paths.json, ".json"), (&paths.html, ".html")] {
            if !is_report_path(rel, ext) {
                return Err(BatchError::Input {
                    path: at(),
                    message: format!(
                        "report path `{}` is not a file of {CASES}/ as batch writes them: refused",
                        crate::report::escape::terminal(rel)
                    ),
                });
            }
        }
        let src_canon = src_dir.canonicalize().map_err(|e| BatchError::Input {
            path: src_dir.display().to_string(),
            message: e.to_string(),
        })?;
        if Some(&src_canon) == out_canon.as_ref() {
            continue;
        }
        for rel in [&paths.json, &paths.html] {
            let src = src_dir.join(rel);
            match std::fs::symlink_metadata(&src) {
                // A report that is gone is not copied (its line still is).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(BatchError::Input {
                        path: src.display().to_string(),
                        message: e.to_string(),
                    });
                }
                Ok(m) if !m.is_file() => {
                    return Err(BatchError::Input {
                        path: src.display().to_string(),
                        message: format!(
                            "named by {}: not a regular file (a link is not followed): refused",
                            at()
                        ),
                    });
                }
                Ok(_) => {}
            }
            // `cases/` itself may be a link out of the shard.
            if !src.canonicalize().is_ok_and(|c| c.starts_with(&src_canon)) {
                return Err(BatchError::Input {
                    path: src.display().to_string(),
                    message: format!("named by {}: resolves outside its folder: refused", at()),
                });
            }
            copies.push((src, rel.clone()));
        }
    }

    // The winning lines, verbatim, in case order; then the damaged ones, kept.
    let mut wanted: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (pos, l) in kept.iter().enumerate() {
        wanted.insert((l.source, l.line), pos);
    }
    let keep_damaged: HashSet<(usize, usize)> = damaged
        .iter()
        .flat_map(|(i, lines)| lines.iter().map(move |&n| (*i, n)))
        .collect();
    let mut texts: Vec<Option<Vec<u8>>> = vec![None; kept.len()];
    let mut damaged_texts: Vec<Vec<u8>> = Vec::new();
    for (i, dir) in sources.iter().enumerate() {
        let path = dir.join(RESULTS);
        let bytes = std::fs::read(&path).map_err(|e| BatchError::Input {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if let Some(&pos) = wanted.get(&(i, n)) {
                texts[pos] = Some(line.to_vec());
            } else if keep_damaged.contains(&(i, n)) {
                damaged_texts.push(line.to_vec());
            }
        }
    }

    if out.is_dir() {
        check_database(out)?;
    }
    claim_out(out)?;
    for (src, rel) in &copies {
        let dst = out.join(rel);
        let copied =
            File::open(src).and_then(|mut file| output::write_atomic_from(&dst, &mut file));
        if let Err(e) = copied {
            return Err(BatchError::Output {
                path: dst.display().to_string(),
                source: e,
            });
        }
    }
    let mut merged = Vec::new();
    for text in texts.into_iter().flatten().chain(damaged_texts) {
        merged.extend_from_slice(&text);
        merged.push(b'\n');
    }
    output::write_atomic(&out.join(RESULTS), &merged).map_err(out_err(out))?;
    write_outputs(out, summary)?;
    let ok = kept.iter().filter(|l| l.view.status == "ok").count();
    Ok(MergeOutcome {
        lines_read,
        cases: kept.len(),
        ok,
        errors: kept.len() - ok,
        damaged: damaged
            .into_iter()
            .map(|(i, lines)| (sources[i].join(RESULTS), lines))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_and_partitions() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let shards: Vec<Shard> = (0..3).map(|k| Shard { index: k, count: 3 }).collect();
        for name in ["a", "b.tar.gz", "case 17", "ü"] {
            assert_eq!(shards.iter().filter(|s| s.selects(name)).count(), 1);
        }
    }

    #[test]
    fn read_ahead_goes_to_cases_while_every_core_has_one() {
        let auto = ReadAhead::Auto;
        // Fewer jobs than cores: a spare core for each case's inflater.
        assert!((0..10).all(|i| auto.for_case(i, 10, 1, 2)));
        // As many jobs as cores: inline, except the last cases (the other jobs go idle).
        let ahead: Vec<usize> = (0..10).filter(|&i| auto.for_case(i, 10, 2, 2)).collect();
        assert_eq!(ahead, [8, 9]);
        assert!(auto.for_case(0, 1, 2, 2));
        assert!((0..10).all(|i| ReadAhead::On.for_case(i, 10, 2, 2)));
        assert!((0..10).all(|i| !ReadAhead::Off.for_case(i, 10, 1, 2)));
    }

    #[test]
    fn sanitised_stems_are_safe_and_distinct() {
        assert_eq!(sanitise("dns-failure.tar.gz"), "dns-failure.tar.gz");
        let a = sanitise("a b");
        let b = sanitise("a_b");
        assert_ne!(a, b);
        assert!(a.starts_with("a_b-"));
        assert!(!sanitise("..").starts_with('.'));
        assert!(
            sanitise("../../etc/passwd")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        );
        assert!(sanitise(&"x".repeat(500)).len() < 140);
    }
}
