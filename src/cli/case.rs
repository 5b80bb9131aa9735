//! `facts` and `analyze`: one case, read and reported.

use super::*;

pub fn facts(inputs: &[PathBuf], format: FactsFormat, list: bool, common: &Common) -> Result<u8> {
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
    let rules = load_rules(&common.rules)?;
    let case = pipeline::collect(inputs, &common.artifact_map()?, &rules, &common.limits())?;
    for e in &case.errors {
        eprintln!("fptriage: {}", report::escape::terminal(e));
    }
    warn_damage(&case);
    // Names, paths and values come from the bundle: no control or bidi character reaches the
    // terminal or the JSON as it is.
    let t = |s: &str| report::escape::terminal(s).into_owned();
    match format {
        FactsFormat::Json => {
            let mut value = serde_json::to_value(&case)?;
            report::escape::visible_value(&mut value);
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?
        }
        FactsFormat::Text => {
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
                for (name, fact) in &d.facts {
                    let at = fact.evidence.as_ref().map(|e| match e.line {
                        Some(l) => format!("{}:{l}", t(&e.path)),
                        None => t(&e.path),
                    });
                    writeln!(
                        out,
                        "    {name:<34} = {:<28} {}",
                        t(&fact.value.to_string()),
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
        }
    }
    Ok(if case.devices.is_empty() { 2 } else { 0 })
}

/// Declarations come from YAML files a user may have been sent: shown as one escaped line.
fn t_line(s: &str) -> String {
    report::escape::terminal(&s.replace('\n', " ")).into_owned()
}

pub fn analyze(
    inputs: &[PathBuf],
    format: Option<ReportFormat>,
    output: Option<&Path>,
    templates: Option<&Path>,
    fail_on: Option<FailOn>,
    redact: Option<RedactMap<'_>>,
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
    let format = output_format(format, output);
    let rules = load_rules(&common.rules)?;
    let analysis = pipeline::analyze(inputs, &common.artifact_map()?, &rules, &common.limits())?;
    for e in &analysis.case.errors {
        eprintln!("fptriage: {}", report::escape::terminal(e));
    }
    warn_damage(&analysis.case);
    if analysis.nothing_read() {
        // The damage that left nothing readable is the cause to show, not only the verdict.
        for w in analysis.case.warnings.iter().take(10) {
            eprintln!("fptriage: [{}] {}: {}", w.code, w.path, w.message);
        }
        bail!(
            "nothing usable could be read from {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let report = Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &rules,
    );
    let text = match redact {
        None => report.render(format, templates)?,
        Some(map) => {
            let mut redactor = report::redact::Redactor::new(&rules.domain);
            redactor.keep_readable(rules.rules.iter().map(|r| r.id.as_str()));
            redactor.private_facts(&rules.facts);
            let model = report.redacted(&mut redactor)?;
            map.write(&redactor.mapping())?;
            report::render(&model, format, templates)?
        }
    };
    match output {
        Some(path) => report::outfile::write_atomic(path, text.as_bytes())
            .with_context(|| format!("{}: cannot write the report", path.display()))?,
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
    Ok(if failing { 1 } else { 0 })
}
