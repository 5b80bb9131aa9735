//! What a batch run is given besides its cases ([`BatchOptions`]), when it reads a case's input
//! ahead ([`ReadAhead`]), and how a name from a case is shown when the run redacts.

use std::path::PathBuf;
use std::sync::Mutex;

use super::discover::{CaseEntry, case_inputs};
use super::shard::Shard;
use super::summary::SummaryOptions;
use crate::artifacts::ArtifactMap;
use crate::limits::Limits;
use crate::report::redact::Redactor;
use crate::rules::RuleSet;

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
    /// Only with a thread of the run's `--jobs` to spare: for the last cases, once fewer cases
    /// are left to start than there are jobs. `--jobs` is the run's number of threads, so that
    /// a batch given one core of a cluster node (`--jobs 1`) uses one; otherwise each job
    /// inflates and parses its case on its own thread, and the threads go to cases rather
    /// than to hand-overs between threads.
    #[default]
    Auto,
    /// Always, as `analyze` does.
    On,
    /// Never.
    Off,
}

impl ReadAhead {
    /// Whether the case at `position` (0-based) of `cases` to run, with `jobs` threads, reads
    /// ahead.
    pub(super) fn for_case(self, position: usize, cases: usize, jobs: usize) -> bool {
        match self {
            ReadAhead::On => true,
            ReadAhead::Off => false,
            // The cases still to start, this one included, leave a job idle.
            ReadAhead::Auto => cases.saturating_sub(position) < jobs,
        }
    }
}

impl BatchOptions<'_> {
    /// A name or path as it may be shown: redacted when the batch redacts.
    pub(super) fn shown(&self, text: &str) -> String {
        match self.redactor {
            Some(r) => lock(r).text(text),
            None => text.to_string(),
        }
    }

    /// With `--redact`: takes the case's name and its input paths (case folder, file names) as
    /// known private values, before anything of the case is shown.
    pub(super) fn learn(&self, entry: &CaseEntry) {
        if let Some(r) = self.redactor {
            let mut r = lock(r);
            r.learn_path(&entry.name);
            r.learn_path(&entry.path.display().to_string());
            // A refused entry (a link, a FIFO, a device) is never opened, not even to list it.
            let inputs = match entry.refused {
                None => case_inputs(&entry.path),
                Some(_) => Vec::new(),
            };
            for input in inputs {
                r.learn_path(&input.display().to_string());
            }
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_ahead_takes_only_threads_the_jobs_leave_idle() {
        let auto = ReadAhead::Auto;
        // One job: one thread, never a second one for inflating.
        assert!((0..10).all(|i| !auto.for_case(i, 10, 1)));
        // Two jobs: inline, except the last case (the other job has nothing left to start).
        let ahead: Vec<usize> = (0..10).filter(|&i| auto.for_case(i, 10, 2)).collect();
        assert_eq!(ahead, [9]);
        let ahead: Vec<usize> = (0..10).filter(|&i| auto.for_case(i, 10, 4)).collect();
        assert_eq!(ahead, [7, 8, 9]);
        assert!(auto.for_case(0, 1, 2));
        assert!((0..10).all(|i| ReadAhead::On.for_case(i, 10, 1)));
        assert!((0..10).all(|i| !ReadAhead::Off.for_case(i, 10, 2)));
    }
}
