//! `batch` and `merge`: many cases, with a progress bar on a terminal.

use super::*;

use fptriage::report::escape::terminal;
use fptriage::report::outfile::is_inside;

/// `--read-ahead` of `batch` (see [`fptriage::batch::ReadAhead`]).
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ReadAheadFlag {
    Auto,
    On,
    Off,
}

/// What `batch` and `merge` do with the errors no rule explains.
#[derive(clap::Args, Clone)]
pub struct UnexplainedFlags {
    /// Templates ranked in unexplained.json, the database and index.html.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_templates: usize,
    /// Draft rules written to OUT/drafts/ for the top templates (0: none).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub drafts: usize,
}

impl UnexplainedFlags {
    fn summary(&self) -> fptriage::batch::SummaryOptions {
        fptriage::batch::SummaryOptions {
            max_templates: self.max_templates,
            drafts: self.drafts,
            templates: None,
            lang: fptriage::i18n::Lang::En,
        }
    }
}

/// How `batch` mines each case's unexplained errors.
#[derive(clap::Args, Clone)]
pub struct MiningFlags {
    /// Templates of unexplained errors kept per case (the lines of further ones are counted as
    /// `other`); 0 turns the mining off.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_templates_per_case: usize,
    /// Regex (Rust syntax) of the system log lines that are errors; connector.log lines are
    /// errors by their level (error, fatal, panic).
    #[arg(long, value_name = "REGEX", default_value = fptriage::mining::DEFAULT_ERROR_PATTERN)]
    pub error_pattern: String,
    #[command(flatten)]
    pub unexplained: UnexplainedFlags,
}

/// The run's `--redact-map`: a file of its own (see [`check_outputs`]), not where the run reads
/// cases (the next run would take it for one) nor one of the files the run writes in `--out`.
fn check_batch_map(
    map: RedactMap<'_>,
    inputs: &[PathBuf],
    out: &Path,
    common: &Common,
) -> Result<()> {
    let Some(path) = map.path else {
        return Ok(());
    };
    check_outputs(&[("--redact-map", path)], inputs, common)?;
    for input in inputs.iter().filter(|i| i.is_dir()) {
        if is_inside(path, input) && !is_inside(path, out) {
            bail!(
                "--redact-map {}: is inside the input folder {}, where the next run would read it as \
                 (part of) a case; write it elsewhere",
                path.display(),
                input.display()
            );
        }
    }
    let reserved = [
        fptriage::batch::MARKER,
        "results.jsonl",
        "summary.csv",
        "index.html",
        fptriage::batch::unexplained::UNEXPLAINED,
        fptriage::batch::sqlite::DATABASE,
    ];
    if reserved.iter().any(|name| same_file(path, &out.join(name)))
        || is_inside(path, &out.join("cases"))
        || is_inside(path, &out.join(fptriage::batch::unexplained::DRAFTS))
    {
        bail!(
            "--redact-map {}: is a file the batch writes in {}; choose another name",
            path.display(),
            out.display()
        );
    }
    map.check_existing()
}

/// `fptriage batch`: exit 0 when the batch ran (error rows included), 130 when interrupted,
/// 2 for bad arguments or an unwritable or refused output folder (or redaction map).
// One argument per group of flags of `Command::Batch`, as main.rs parses them.
#[allow(clippy::too_many_arguments)]
pub fn batch(
    inputs: &[PathBuf],
    out: &Path,
    (jobs, read_ahead): (Option<u32>, ReadAheadFlag),
    shard: Option<fptriage::batch::Shard>,
    templates: Option<PathBuf>,
    redact: Option<RedactMap<'_>>,
    mining: &MiningFlags,
    lang: fptriage::i18n::Lang,
    common: &Common,
) -> Result<u8> {
    use fptriage::batch::{self, Event, Status};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    check_inputs(inputs)?;
    if let Some(map) = redact {
        check_batch_map(map, inputs, out, common)?;
    }
    let mut rules = load_rules(&common.rules)?;
    rules::i18n::localize(&mut rules, lang);
    let map = common.artifact_map()?;
    // What the artifact definitions say beside the built-in packs: `--artifacts` and each rule
    // folder's packs (a changed definition must not reuse results read with the old one).
    let mut map_fingerprint = match &common.artifacts {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => String::new(),
    };
    for folder in &common.rules {
        for pack in fptriage::artifacts::PackSource::in_folder(folder).unwrap_or_default() {
            map_fingerprint.push_str(&pack.origin);
            map_fingerprint.push('\n');
            map_fingerprint.push_str(&pack.text);
        }
    }
    let mut limits = common.limits();
    limits.mining.templates_per_case = mining.max_templates_per_case;
    limits.mining.error_pattern = fptriage::mining::ErrorPattern::new(&mining.error_pattern)
        .map_err(|e| anyhow::anyhow!("--error-pattern: {e}"))?;
    let redactor = redact.map(|_| {
        let mut r = report::redact::Redactor::new(&rules.domain);
        // Rule ids stay readable, even where a case is named like one (`dns-failure.tar.gz`).
        r.keep_readable(rules.rules.iter().map(|r| r.id.as_str()));
        r.private_facts(&rules.facts);
        std::sync::Mutex::new(r)
    });
    let jobs = jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let opts = batch::BatchOptions {
        inputs: inputs.to_vec(),
        out: out.to_path_buf(),
        jobs,
        shard,
        map: &map,
        rules: &rules,
        limits: &limits,
        templates: templates.clone(),
        map_fingerprint,
        redactor: redactor.as_ref(),
        summary: fptriage::batch::SummaryOptions {
            templates,
            lang,
            ..mining.unexplained.summary()
        },
        read_ahead: match read_ahead {
            ReadAheadFlag::Auto => batch::ReadAhead::Auto,
            ReadAheadFlag::On => batch::ReadAhead::On,
            ReadAheadFlag::Off => batch::ReadAhead::Off,
        },
        lang,
    };

    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} ETA {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let say = |line: String| {
        if tty {
            bar.println(line);
        } else {
            eprintln!("{line}");
        }
    };

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        let bar = bar.clone();
        // Fails only if a handler is installed already; the batch then runs without one.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                bar.abandon();
                eprintln!(
                    "fptriage: interrupted again: stopping now; results.jsonl keeps every finished case"
                );
                std::process::exit(130);
            }
            let line =
                "fptriage: interrupted: finishing the running cases (Ctrl-C again to stop now)";
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        });
    }

    let done = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let on_event = |event: Event<'_>| match event {
        Event::Planned {
            found,
            in_shard,
            skipped,
            to_run,
            bytes,
        } => {
            total.store(to_run, Ordering::SeqCst);
            bar.set_length(bytes);
            if tty {
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
            }
            bar.set_message(format!("0/{to_run} cases"));
            let shard = match shard {
                Some(s) => format!(", {in_shard} in shard {}/{}", s.index, s.count),
                None => String::new(),
            };
            say(format!(
                "fptriage: {found} case(s){shard}, {skipped} already analysed, {to_run} to analyse \
                 ({:.1} MiB) with {jobs} job(s)",
                bytes as f64 / 1_048_576.0
            ));
        }
        Event::Damaged { path, lines } => {
            let shown: Vec<String> = lines.iter().take(10).map(|n| (n + 1).to_string()).collect();
            let more = if lines.len() > 10 { ", …" } else { "" };
            say(format!(
                "fptriage: warning: {}: {} line(s) are not fptriage results (line {}{more}): kept \
                 as they are; their cases, if any, are analysed again",
                path.display(),
                lines.len(),
                shown.join(", ")
            ));
        }
        // Counted once, in the plan's line ("N already analysed").
        Event::Skipped { .. } => {}
        Event::Started { .. } => {}
        Event::Finished {
            case,
            status,
            error,
            bytes,
            duration,
            root_causes,
        } => {
            let n = done.fetch_add(1, Ordering::SeqCst) + 1;
            let of = total.load(Ordering::SeqCst);
            bar.inc(bytes);
            bar.set_message(format!("{n}/{of} cases"));
            match status {
                Status::Ok => {
                    if !tty {
                        // The answer, not only the status: what each case's report leads with.
                        let causes = if root_causes.is_empty() {
                            "no root cause".to_string()
                        } else {
                            root_causes
                                .iter()
                                .map(|c| terminal(c).into_owned())
                                .collect::<Vec<_>>()
                                .join("; ")
                        };
                        eprintln!(
                            "fptriage: [{n}/{of}] {}: ok ({:.1}s): {causes}",
                            terminal(case),
                            duration.as_secs_f64()
                        );
                    }
                }
                Status::Error => say(format!(
                    "fptriage: [{n}/{of}] {}: error: {}",
                    terminal(case),
                    terminal(error.unwrap_or("unknown"))
                )),
            }
        }
    };
    let outcome = batch::run(&opts, &cancel, &on_event);
    bar.finish_and_clear();
    let outcome = outcome?;
    if let (Some(map), Some(redactor)) = (redact, &redactor) {
        let mapping = redactor.lock().map(|r| r.mapping()).unwrap_or_default();
        map.write(&mapping)?;
    }
    let damaged = match outcome.damaged_lines {
        0 => String::new(),
        n => format!(", {n} unreadable line(s) kept in results.jsonl"),
    };
    eprintln!(
        "fptriage: {} ok, {} error(s), {} skipped{damaged}; results.jsonl, summary.csv, index.html, \
         unexplained.json, triage.sqlite in {}",
        outcome.ok,
        outcome.errors,
        outcome.skipped,
        out.display()
    );
    if outcome.interrupted {
        eprintln!(
            "fptriage: interrupted: {} case(s) not started; run the same command again to resume",
            outcome.not_started
        );
        return Ok(130);
    }
    Ok(rules_exit(&rules, 0))
}

/// `fptriage merge`: joins batch output folders.
pub fn merge(
    sources: &[PathBuf],
    out: &Path,
    templates: Option<PathBuf>,
    unexplained: &UnexplainedFlags,
    lang: fptriage::i18n::Lang,
) -> Result<u8> {
    let summary = fptriage::batch::SummaryOptions {
        templates,
        lang,
        ..unexplained.summary()
    };
    let outcome = fptriage::batch::merge_with(sources, out, &summary)?;
    for (path, lines) in &outcome.damaged {
        let shown: Vec<String> = lines.iter().take(10).map(|n| (n + 1).to_string()).collect();
        eprintln!(
            "fptriage: warning: {}: {} line(s) are not fptriage results (line {}{}): kept, \
             verbatim, at the end of the merged results.jsonl",
            path.display(),
            lines.len(),
            shown.join(", "),
            if lines.len() > 10 { ", …" } else { "" }
        );
    }
    eprintln!(
        "fptriage: merged {} line(s) from {} folder(s): {} case(s), {} ok, {} error(s); in {}",
        outcome.lines_read,
        sources.len(),
        outcome.cases,
        outcome.ok,
        outcome.errors,
        out.display()
    );
    Ok(0)
}
