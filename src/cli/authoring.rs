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
            let warnings = diagnostics
                .iter()
                .filter(|d| d.level == Level::Warning)
                .count();
            writeln!(
                out,
                "{} error(s), {warnings} warning(s)",
                diagnostics.len() - warnings
            )?;
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
                    level: Level::Error,
                    code: e.code,
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    hint: e.hint,
                })
                .collect(),
        ),
    }
}

/// The rule folder a rule or test file `<folder>/<pack>/<name>.yaml` belongs to (`.` for
/// `<pack>/<name>.yaml`).
fn rule_folder_of(file: &Path) -> PathBuf {
    match file.parent().and_then(Path::parent) {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `rules lint`: every rule and test file of the paths, loaded together (an `explains` from one
/// to another resolves) over the built-in pack and the folders' artifact definitions; the
/// built-in pack's own problems are not shown.
pub fn lint(paths: &[PathBuf], format: FactsFormat, deny_warnings: bool) -> Result<u8> {
    use fptriage::authoring::ruletest;
    let mut diagnostics = Vec::new();
    // Each with whether its problems are shown (a test file alone brings its pack's rules,
    // whose problems are not its own).
    let mut sources: Vec<(load::RuleSource, bool)> = Vec::new();
    let mut tests: Vec<ruletest::TestSource> = Vec::new();
    let mut map = ArtifactMap::builtin();
    let mut folders_read: Vec<PathBuf> = Vec::new();
    let builtin_only = paths.is_empty();
    if builtin_only {
        tests = ruletest::builtin_tests();
    }
    for path in paths {
        if !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
        let is_test = path.to_string_lossy().ends_with(".test.yaml");
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
        if path.is_dir() || is_test {
            let (t, s) = ruletest::folder_tests(path)
                .with_context(|| format!("{}: cannot read rules or tests", path.display()))?;
            sources.extend(s.into_iter().map(|s| (s, !is_test)));
            tests.extend(t);
        } else {
            sources.extend(
                load::folder_sources(path)
                    .with_context(|| format!("{}: cannot read rules", path.display()))?
                    .into_iter()
                    .map(|s| (s, true)),
            );
        }
        // The rules are linted over their folder's artifact definitions (a test file's or a
        // rule file's: the rule folder it belongs to), each folder's read once.
        let folder = if path.is_dir() {
            path.clone()
        } else {
            rule_folder_of(path)
        };
        let key = folder.canonicalize().unwrap_or(folder.clone());
        if folder.is_dir() && !folders_read.contains(&key) {
            folders_read.push(key);
            for pack in fptriage::artifacts::PackSource::in_folder(&folder)? {
                let (with, problems) = pack_definitions(map, pack);
                if path.is_dir() {
                    diagnostics.extend(problems);
                }
                map = with;
            }
        }
    }
    // A file named twice (a folder and a file in it) is read once, shown if either shows it.
    sources.sort_by(|a, b| a.0.origin.cmp(&b.0.origin).then(b.1.cmp(&a.1)));
    sources.dedup_by(|a, b| a.0.origin == b.0.origin);
    let mut seen = std::collections::BTreeSet::new();
    tests.retain(|t| seen.insert(t.origin.clone()));
    let own: Vec<String> = sources
        .iter()
        .filter(|s| s.1)
        .map(|s| s.0.origin.clone())
        .collect();
    let sources: Vec<load::RuleSource> = sources.into_iter().map(|s| s.0).collect();
    let mut all = load::builtin_sources();
    let (set, found) = if builtin_only {
        load::load_with(&all, &map)
    } else {
        all.extend(sources.iter().cloned());
        let (set, found) = load::load_with(&all, &map);
        let mut found: Vec<_> = found
            .into_iter()
            .filter(|d| own.contains(&d.file))
            .collect();
        // The lookups of the packs' own artifact definitions, against every loaded table.
        let mut lookups = Vec::new();
        load::check_lookups(&map, &set.domain, &mut lookups);
        found.extend(
            lookups
                .into_iter()
                .filter(|d| !d.file.starts_with("built-in:")),
        );
        (set, found)
    };
    diagnostics.extend(found);
    if builtin_only {
        // A built-in rule reports in English inside a translated report: a warning.
        diagnostics.extend(rules::i18n::untranslated(&set));
    }
    for test in &tests {
        diagnostics.extend(ruletest::lint(test, &set));
    }
    let own_sources: Vec<load::RuleSource> = sources
        .iter()
        .filter(|s| own.contains(&s.origin))
        .cloned()
        .collect();
    diagnostics.extend(ruletest::untested(&own_sources, &tests));
    print_diagnostics(&diagnostics, format)?;
    let fails = diagnostics
        .iter()
        .any(|d| d.level == Level::Error || deny_warnings);
    Ok(if fails { 1 } else { 0 })
}

pub fn list_rules(folders: &[PathBuf]) -> Result<u8> {
    let set = load_rules(folders)?;
    let mut out = std::io::stdout().lock();
    // Grouped by pack (the id's first part), packs in load order: a reader sees which pack a
    // rule comes from, and a script still finds one rule per indented line.
    let pack_of = |id: &str| id.split_once('/').map_or("", |(pack, _)| pack).to_string();
    let mut packs: Vec<String> = Vec::new();
    for r in &set.rules {
        let pack = pack_of(&r.id);
        if !packs.contains(&pack) {
            packs.push(pack);
        }
    }
    // The built-in packs first, in their load order; the others as loaded.
    let builtin = fptriage::artifacts::BUILTIN_PACKS;
    packs.sort_by_key(|p| builtin.iter().position(|b| b == p).unwrap_or(builtin.len()));
    for pack in &packs {
        let rules: Vec<_> = set
            .rules
            .iter()
            .filter(|r| &pack_of(&r.id) == pack)
            .collect();
        writeln!(out, "pack {pack}: {} rule(s)", rules.len())?;
        for r in rules {
            writeln!(
                out,
                "  {:<40} {:<9} {:<60} {}",
                r.id,
                r.severity.as_str(),
                r.title,
                r.origin
            )?;
        }
    }
    Ok(rules_exit(&set, 0))
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
    let e = rules::explain::explain(r, &set);
    writeln!(out, "fires when (as written in the rule):")?;
    for (_, text) in &e.condition {
        for line in text.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if !r.facts_used.is_empty() {
        writeln!(out, "\nfacts: {}", r.facts_used.join(", "))?;
    }
    let relations = [
        ("explains (its symptoms)", &e.explains),
        ("explained by (its causes)", &e.explained_by),
        ("reads the findings of", &e.reads),
        ("its findings are read by", &e.read_by),
    ];
    writeln!(out)?;
    for (what, ids) in relations {
        let ids = if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        };
        writeln!(out, "{what}: {ids}")?;
    }
    writeln!(
        out,
        "\nexample (captures as <name>, facts as <fact>, 3 lines of 5):\n  message: {}\n  fix: {}",
        e.message.replace('\n', "\n    "),
        e.remediation.replace('\n', "\n    ")
    )?;
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
            rule_folder_of(path)
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
