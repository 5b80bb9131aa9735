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
//!
//! # Layout
//!
//! Each file one job, data flowing one way: [`discover`](discover()) finds the cases, `key`
//! keys them, [`Shard`] selects them, `run` schedules them and `case` analyses one; `results`
//! is the `results.jsonl` record they append to, `folder` the output folder they claim,
//! `summary` the run-wide outputs written from `results.jsonl` (`csv`, [`unexplained`],
//! [`index`], [`sqlite`]), and [`merge`](merge()) joins the outputs of shards.

mod case;
mod csv;
mod discover;
mod error;
pub mod fnv;
mod folder;
pub mod index;
mod key;
mod merge;
mod options;
mod results;
mod run;
mod shard;
pub mod sqlite;
mod summary;
pub mod unexplained;

pub use case::Status;
pub use csv::{CSV_HEADER, csv_field};
pub use discover::{CaseEntry, case_inputs, discover};
pub use error::BatchError;
pub use folder::MARKER;
pub use key::{rules_fingerprint, sanitise};
pub use merge::{MergeOutcome, merge, merge_with};
pub use options::{BatchOptions, ReadAhead};
pub use results::ReportPaths;
pub use run::{Event, Outcome, run};
pub use shard::Shard;
pub use summary::SummaryOptions;
