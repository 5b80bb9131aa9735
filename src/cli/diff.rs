//! `diff`: did the fix work? Two uploads of one case, compared per device.

use super::*;

/// Runs `fptriage diff`: each side is one bundle, a folder, or several files of one case.
pub fn diff(
    before: &[PathBuf],
    after: &[PathBuf],
    format: Option<ReportFormat>,
    output: Option<&Path>,
    fail_on: Option<FailOn>,
    lang: fptriage::i18n::Lang,
    common: &Common,
) -> Result<u8> {
    check_inputs(before)?;
    check_inputs(after)?;
    if before.iter().chain(after).filter(|p| is_stdin(p)).count() > 1 {
        bail!("-: standard input can be one side's input, once");
    }
    let inputs: Vec<PathBuf> = before.iter().chain(after).cloned().collect();
    let outputs: Vec<(&str, &Path)> = output.map(|p| ("--output", p)).into_iter().collect();
    check_outputs(&outputs, &inputs, common)?;
    let format = output_format(format, output);
    let (map, mut rules) = common.definitions_and_rules()?;
    rules::i18n::localize(&mut rules, lang);
    let limits = common.limits();
    let matcher = fptriage::matcher::MatcherSet::new(&rules.patterns)?;
    let mut sides = Vec::new();
    for (name, paths) in [("before", before), ("after", after)] {
        let analysis = pipeline::analyze_with(paths, &map, &rules, &matcher, &limits);
        warn_case(&analysis.case, None);
        if analysis.nothing_read() {
            bail!(
                "{name}: nothing usable could be read from {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        sides.push(analysis);
    }
    let changes = fptriage::diff::diff(&sides[0], &sides[1]);
    let text =
        report::render_named_in(&serde_json::to_value(&changes)?, "diff", format, None, lang)?;
    match output {
        Some(path) => report::outfile::write_atomic(path, text.as_bytes())
            .with_context(|| format!("{}: cannot write the diff", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    let failing = fail_on.is_some_and(|f| {
        changes.fails(match f {
            FailOn::Warning => Severity::Warning,
            FailOn::Critical => Severity::Critical,
        })
    });
    Ok(rules_exit(&rules, if failing { 1 } else { 0 }))
}
