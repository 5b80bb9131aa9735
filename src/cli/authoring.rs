//! `rules lint|test|list|explain`: the rule author's commands.

use super::*;

fn print_diagnostics(diagnostics: &[Diagnostic], format: FactsFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        FactsFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(diagnostics)?)?,
        FactsFormat::Text => {
            let color = std::io::stdout().is_terminal();
            for d in diagnostics {
                let rendered = fptriage::authoring::lint::render(d, color);
                writeln!(out, "{rendered}")?;
            }
            writeln!(out, "{} problem(s)", diagnostics.len())?;
        }
    }
    Ok(())
}

/// `map` with one more pack's definitions, and the problems found in it as diagnostics (then
/// `map` is returned as it was).
fn pack_definitions(
    map: ArtifactMap,
    pack: fptriage::artifacts::PackSource,
) -> (ArtifactMap, Vec<Diagnostic>) {
    match map.clone().with_pack(&pack) {
        Ok(map) => (map, Vec::new()),
        Err(errors) => (
            map,
            errors
                .into_iter()
                .map(|e| Diagnostic {
                    code: e.code,
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    hint: None,
                })
                .collect(),
        ),
    }
}

pub fn lint(paths: &[PathBuf], format: FactsFormat) -> Result<u8> {
    let mut diagnostics = Vec::new();
    if paths.is_empty() {
        diagnostics.extend(load::load(&load::builtin_sources()).1);
    }
    for path in paths {
        if path.file_name().is_some_and(|n| n == "artifacts.yaml") {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            let pack = fptriage::artifacts::PackSource {
                pack: String::new(),
                origin: path.display().to_string(),
                text,
                builtin: false,
            };
            diagnostics.extend(pack_definitions(ArtifactMap::builtin(), pack).1);
            continue;
        }
        let sources = load::folder_sources(path)
            .with_context(|| format!("{}: cannot read rules", path.display()))?;
        // A folder's rules are linted over its own artifact definitions.
        let mut map = ArtifactMap::builtin();
        if path.is_dir() {
            for pack in fptriage::artifacts::PackSource::in_folder(path)? {
                let (with, problems) = pack_definitions(map, pack);
                diagnostics.extend(problems);
                map = with;
            }
        }
        // Lint a folder on its own, but let `explains` name built-in rules.
        let mut all = load::builtin_sources();
        let own: Vec<String> = sources.iter().map(|s| s.origin.clone()).collect();
        all.extend(sources);
        diagnostics.extend(
            load::load_with(&all, &map)
                .1
                .into_iter()
                .filter(|d| own.contains(&d.file)),
        );
    }
    print_diagnostics(&diagnostics, format)?;
    Ok(if diagnostics.is_empty() { 0 } else { 1 })
}

pub fn list_rules(folders: &[PathBuf]) -> Result<u8> {
    let set = load_rules(folders)?;
    let mut out = std::io::stdout().lock();
    for r in &set.rules {
        writeln!(
            out,
            "{:<40} {:<9} {:<60} {}",
            r.id,
            r.severity.as_str(),
            r.title,
            r.origin
        )?;
    }
    Ok(0)
}

pub fn explain(id: &str, folders: &[PathBuf]) -> Result<u8> {
    let set = load_rules(folders)?;
    let Some(r) = set.rules.iter().find(|r| r.id == id) else {
        bail!(
            "no rule `{id}`{}",
            load::did_you_mean(id, set.rules.iter().map(|r| r.id.as_str()))
                .map(|h| format!("; {h}"))
                .unwrap_or_default()
        );
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} — {}\nseverity: {}   status: {}   from: {}\n",
        r.id,
        r.title,
        r.severity.as_str(),
        r.status,
        r.origin
    )?;
    writeln!(out, "{}\n", r.description.trim())?;
    if !r.facts_used.is_empty() {
        writeln!(out, "facts: {}", r.facts_used.join(", "))?;
    }
    if !r.explains.is_empty() {
        writeln!(out, "explains: {}", r.explains.join(", "))?;
    }
    let explained_by: Vec<&str> = set
        .rules
        .iter()
        .filter(|o| o.explains.iter().any(|e| e == id))
        .map(|o| o.id.as_str())
        .collect();
    if !explained_by.is_empty() {
        writeln!(out, "explained by: {}", explained_by.join(", "))?;
    }
    writeln!(out, "fix: {}", r.remediation.trim())?;
    for reference in &r.references {
        writeln!(out, "see: {reference}")?;
    }
    Ok(0)
}

/// `rules test`: runs each folder's tests with the built-in pack plus that folder's rules.
pub fn rule_tests(paths: &[PathBuf], artifacts: Option<&Path>) -> Result<u8> {
    use fptriage::authoring::ruletest::{self, Outcome};
    let limits = Limits::default();
    let mut runs = Vec::new();
    if paths.is_empty() {
        runs.push((ruletest::builtin_tests(), Vec::new(), Vec::new()));
    }
    for path in paths {
        if !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
        let (tests, sources) = ruletest::folder_tests(path)
            .with_context(|| format!("{}: cannot read rules or tests", path.display()))?;
        if tests.is_empty() {
            bail!(
                "{}: no tests found (a test is `<pack>/<name>.test.yaml` beside its rule)",
                path.display()
            );
        }
        // A test file uses the artifacts of the rule folder it belongs to.
        let folder = if path.is_file() {
            path.parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."))
                .to_path_buf()
        } else {
            path.clone()
        };
        runs.push((tests, sources, vec![folder]));
    }
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for (tests, sources, folders) in runs {
        let map = definitions(&folders, artifacts)?;
        let own: Vec<String> = sources.iter().map(|s| s.origin.clone()).collect();
        let mut all = load::builtin_sources();
        all.extend(sources);
        let (set, diagnostics) = load::load_with(&all, &map);
        for d in diagnostics
            .iter()
            .filter(|d| own.contains(&d.file) || own.is_empty())
        {
            writeln!(out, "{}", fptriage::authoring::lint::render(d, false))?;
            failed += 1;
        }
        for r in ruletest::run(&tests, &set, &map, &limits) {
            let name = if r.case.is_empty() {
                r.file.clone()
            } else {
                format!("{} :: {}", r.file, r.case)
            };
            match r.outcome {
                Outcome::Passed => {
                    passed += 1;
                    writeln!(out, "ok    {name}")?;
                }
                Outcome::Skipped(why) => {
                    skipped += 1;
                    writeln!(out, "skip  {name} ({why})")?;
                }
                Outcome::Failed(problems) => {
                    failed += 1;
                    writeln!(out, "FAIL  {name}")?;
                    for p in problems {
                        writeln!(out, "        {p}")?;
                    }
                }
            }
        }
    }
    let skipped = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    writeln!(out, "{passed} passed, {failed} failed{skipped}")?;
    Ok(if failed > 0 { 1 } else { 0 })
}

// ---- fptriage batch / merge (the work is in `fptriage::batch`; this shows progress) ----
