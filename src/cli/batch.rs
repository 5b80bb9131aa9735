//! `batch` and `merge`: many cases, with a progress bar on a terminal.

use super::*;

/// `fptriage batch`: exit 0 when the batch ran (error rows included), 130 when interrupted,
/// 2 for bad arguments or an unwritable output folder.
pub fn batch(
    inputs: &[PathBuf],
    out: &Path,
    jobs: Option<u32>,
    shard: Option<fptriage::batch::Shard>,
    templates: Option<PathBuf>,
    redact: Option<Option<&Path>>,
    common: &Common,
) -> Result<u8> {
    use fptriage::batch::{self, Event, Status};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    check_inputs(inputs)?;
    let rules = load_rules(&common.rules)?;
    let map = common.artifact_map()?;
    let map_fingerprint = match &common.artifacts {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => String::new(),
    };
    let limits = common.limits();
    let redactor = redact.map(|_| std::sync::Mutex::new(report::redact::Redactor::new()));
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
        templates,
        map_fingerprint,
        redactor: redactor.as_ref(),
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
        Event::Skipped { case } => {
            if !tty {
                eprintln!("fptriage: skipped {case}: already analysed");
            }
        }
        Event::Started { .. } => {}
        Event::Finished {
            case,
            status,
            error,
            bytes,
            duration,
        } => {
            let n = done.fetch_add(1, Ordering::SeqCst) + 1;
            let of = total.load(Ordering::SeqCst);
            bar.inc(bytes);
            bar.set_message(format!("{n}/{of} cases"));
            match status {
                Status::Ok => {
                    if !tty {
                        eprintln!(
                            "fptriage: [{n}/{of}] {case}: ok ({:.1}s)",
                            duration.as_secs_f64()
                        );
                    }
                }
                Status::Error => say(format!(
                    "fptriage: [{n}/{of}] {case}: error: {}",
                    error.unwrap_or("unknown")
                )),
            }
        }
    };
    let outcome = batch::run(&opts, &cancel, &on_event);
    bar.finish_and_clear();
    let outcome = outcome?;
    if let (Some(Some(path)), Some(redactor)) = (redact, &redactor) {
        let mapping = redactor.lock().map(|r| r.mapping()).unwrap_or_default();
        std::fs::write(path, serde_json::to_string_pretty(&mapping)?)
            .with_context(|| format!("{}: cannot write the redaction map", path.display()))?;
    }
    eprintln!(
        "fptriage: {} ok, {} error(s), {} skipped; results.jsonl, summary.csv, index.html in {}",
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
    Ok(0)
}

/// `fptriage merge`: joins batch output folders.
pub fn merge(sources: &[PathBuf], out: &Path) -> Result<u8> {
    let outcome = fptriage::batch::merge(sources, out)?;
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
