//! The scheduler of a batch: plans the cases (discovery, shard, resume keys), skips those already
//! done, and runs the rest largest first on a pool of `jobs` threads, appending each finished
//! case's line to `results.jsonl` at once and reporting progress as [`Event`]s; the run-wide
//! outputs are written at the end.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::case::{Finished, Status, analyse_case};
use super::discover::{CaseEntry, discover};
use super::error::{BatchError, out_err};
use super::folder::prepare_out;
use super::key::{case_files, case_key, settings_key};
use super::options::{BatchOptions, lock};
use super::results::{LineOut, RESULTS, read_results};
use super::summary::{check_index_template, write_outputs};
use crate::artifacts::ArtifactMap;
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::report;

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

/// A planned case.
struct Planned {
    entry: CaseEntry,
    key: String,
    bytes: u64,
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

    let settings = settings_key(opts.rules, &opts.map_fingerprint, opts.limits, opts.lang);

    let results_path = opts.out.join(RESULTS);
    let previous = read_results(&results_path, 0).map_err(out_err(&results_path))?;
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
            opts.learn(&p.entry);
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
        opts.learn(&p.entry);
        let case_name = opts.shown(&p.entry.name);
        on_event(Event::Started { case: &case_name });
        let start = Instant::now();
        let finished = match catch_unwind(AssertUnwindSafe(|| {
            analyse_case(opts, limits, map, &matcher, &p.entry)
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
            let ahead = opts.read_ahead.for_case(i, to_run.len(), jobs);
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
