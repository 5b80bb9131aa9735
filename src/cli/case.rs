//! `facts` and `analyze`: one case, read and reported.

use super::*;

pub fn facts(
    inputs: &[PathBuf],
    format: FactsFormat,
    list: bool,
    redact: bool,
    common: &Common,
) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    if list {
        // Generated from the loaded declarations: the built-in packs' and each `--rules` pack's.
        let map = common.artifact_map()?;
        for f in map.facts().iter() {
            let declared = f.declared_in.strip_prefix("built-in:").map_or_else(
                || f.declared_in.clone(),
                |file| format!("built-in, rules/{file}"),
            );
            writeln!(
                out,
                "{:<34} {:<8} {} (from {}; declared in {})",
                f.name,
                f.ty.as_str(),
                t_line(&f.description),
                f.source,
                declared
            )?;
        }
        return Ok(0);
    }
    check_inputs(inputs)?;
    let (map, rules) = common.definitions_and_rules()?;
    let case = pipeline::collect(inputs, &map, &rules, &common.limits())?;
    // With --redact, the redactor learns the case's private values (device names and ids,
    // private facts, paths) from the case itself, as for a report, before anything is shown.
    let mut redactor = redact.then(|| case_redactor(&rules));
    let mut value = serde_json::to_value(&case)?;
    if let Some(r) = &mut redactor {
        r.value(&mut value);
    }
    warn_case(&case, redactor.as_mut());
    match format {
        FactsFormat::Json => {
            report::escape::visible_value(&mut value);
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?
        }
        FactsFormat::Text => {
            // Each value from the bundle is shown (and redacted) on its own, as the JSON's
            // strings are: fact and kind names are not bundle values.
            let mut shown = |s: &str| {
                let s = match &mut redactor {
                    Some(r) => r.text(s),
                    None => s.to_string(),
                };
                report::escape::terminal(&s).into_owned()
            };
            out.write_all(facts_text(&case, &map, &mut shown)?.as_bytes())?;
        }
    }
    Ok(rules_exit(
        &rules,
        if case.devices.is_empty() { 2 } else { 0 },
    ))
}

/// The `facts` text: each device, its artifacts and every fact a rule may use, then warnings.
/// Names, paths and values come from the bundle: each goes through `t`, which escapes them for
/// the terminal (no control or bidi character reaches it as it is) and redacts them.
fn facts_text(
    case: &fptriage::facts::Case,
    map: &fptriage::artifacts::ArtifactMap,
    t: &mut dyn FnMut(&str) -> String,
) -> Result<String, std::fmt::Error> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for d in &case.devices {
        writeln!(
            out,
            "device {} ({}, {}, version {})",
            t(&d.name),
            d.product.as_str(),
            t(&d.id),
            t(d.version.as_deref().unwrap_or("unknown"))
        )?;
        writeln!(out, "  bundle: {}", t(&d.bundle))?;
        if let Some(t) = d.collected_at {
            writeln!(out, "  collected at: {t}")?;
        }
        writeln!(out, "  artifacts:")?;
        for a in &d.artifacts {
            writeln!(
                out,
                "    {:<22} {:>10}  {}",
                a.kind.as_str(),
                a.size,
                t(&a.path)
            )?;
        }
        writeln!(out, "  facts:")?;
        // Every fact a rule may use, present or not: an absent fact is what makes a
        // check "not evaluated", so it is shown, not left out.
        let mut names: Vec<&str> = map.facts().iter().map(|f| f.name.as_str()).collect();
        names.extend(d.facts.keys().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        for name in names {
            let Some(fact) = d.facts.get(name) else {
                writeln!(out, "    {name:<34} (absent)")?;
                continue;
            };
            let at = fact.evidence.as_ref().map(|e| match e.line {
                Some(l) => format!("{}:{l}", t(&e.path)),
                None => t(&e.path),
            });
            let value = match &fact.value {
                fptriage::facts::FactValue::List(items) => {
                    format!("[{}]", items.join(", "))
                }
                other => other.to_string(),
            };
            writeln!(
                out,
                "    {name:<34} = {:<28} {}",
                t(&value),
                at.unwrap_or_default()
            )?;
        }
    }
    if !case.warnings.is_empty() {
        writeln!(out, "warnings:")?;
        for w in &case.warnings {
            writeln!(out, "  [{}] {}: {}", w.code, t(&w.path), t(&w.message))?;
        }
    }
    Ok(out)
}

/// How `analyze` talks to the person running it: the report's language, and whether stderr
/// stays quiet.
#[derive(Clone, Copy)]
pub struct Shown {
    pub lang: fptriage::i18n::Lang,
    pub quiet: bool,
}

/// Whether the terminal on stdout wants colour: no `NO_COLOR` (https://no-color.org: set and
/// not empty) and not `TERM=dumb`.
fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Declarations come from YAML files a user may have been sent: shown as one escaped line.
fn t_line(s: &str) -> String {
    report::escape::terminal(&s.replace('\n', " ")).into_owned()
}

#[allow(clippy::too_many_arguments)]
pub fn analyze(
    inputs: &[PathBuf],
    format: Option<ReportFormat>,
    output: Option<&Path>,
    templates: Option<&Path>,
    fail_on: Option<FailOn>,
    redact: Option<RedactMap<'_>>,
    shown: Shown,
    common: &Common,
) -> Result<u8> {
    check_inputs(inputs)?;
    let map_path = redact.and_then(|r| r.path);
    let outputs: Vec<(&str, &Path)> = output
        .map(|p| ("--output", p))
        .into_iter()
        .chain(map_path.map(|p| ("--redact-map", p)))
        .collect();
    check_outputs(&outputs, inputs, common)?;
    if let Some(r) = redact {
        r.check_existing()?;
    }
    // ripgrep's convention: a person at a terminal gets the compact view; a pipe, a file or an
    // explicit --format gets the stable format.
    let terminal_view = format.is_none() && output.is_none() && std::io::stdout().is_terminal();
    let format = output_format(format, output);
    let (map, mut rules) = common.definitions_and_rules()?;
    rules::i18n::localize(&mut rules, shown.lang);
    let analysis = pipeline::analyze(inputs, &map, &rules, &common.limits())?;
    let mut redactor = redact.map(|_| case_redactor(&rules));
    if analysis.nothing_read() {
        // No report to learn from: the inputs' names are the private values there are.
        if let Some(r) = &mut redactor {
            for input in inputs {
                r.learn_path(&input.display().to_string());
            }
        }
        warn_case(&analysis.case, redactor.as_mut());
        // The damage that left nothing readable is the cause to show, not only the verdict.
        for w in analysis.case.warnings.iter().take(10) {
            eprintln!(
                "fptriage: [{}] {}: {}",
                w.code,
                shown_text(&w.path, redactor.as_mut()),
                shown_text(&w.message, redactor.as_mut())
            );
        }
        let names = inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        bail!(
            "nothing usable could be read from {}",
            shown_text(&names, redactor.as_mut())
        );
    }
    let report = Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        &rules,
    );
    let model = match &mut redactor {
        None => serde_json::to_value(&report)?,
        Some(r) => report.redacted(r)?,
    };
    // After the model: the redactor has learned the case, so stderr and the report share their
    // placeholders, and the map written below has those stderr used too.
    warn_case(&analysis.case, redactor.as_mut());
    if let (Some(map), Some(r)) = (redact, &redactor) {
        map.write(&r.mapping())?;
    }
    let text = if terminal_view {
        report::terminal::render(&model, shown.lang, colour_wanted())
    } else {
        report::render_named_in(&model, "report", format, templates, shown.lang)?
    };
    match output {
        Some(path) => {
            report::outfile::write_atomic(path, text.as_bytes())
                .with_context(|| format!("{}: cannot write the report", path.display()))?;
            if !shown.quiet {
                // The answer where the person is, the report where they asked for it.
                for line in report::terminal::root_causes(&model, shown.lang) {
                    eprintln!("fptriage: {}", report::escape::terminal(&line));
                }
                eprintln!("fptriage: report written to {}", path.display());
            }
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    let threshold = fail_on.map(|f| match f {
        FailOn::Warning => Severity::Warning,
        FailOn::Critical => Severity::Critical,
    });
    let failing = threshold.is_some_and(|t| {
        analysis
            .findings
            .iter()
            .any(|f| f.status == "current" && f.severity >= t)
    });
    Ok(rules_exit(&rules, if failing { 1 } else { 0 }))
}
