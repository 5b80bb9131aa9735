//! Rule tests: `<name>.test.yaml` beside a rule, a list of cases, each a small bundle and the
//! findings it must (and must not) produce.
//!
//! A case's bundle is written inline (member path → content) or named (`bundle:`, a path
//! relative to the test file). Inline members are written into a temporary folder, which is then
//! analysed like any extracted bundle by [`crate::pipeline::analyze`], so a test exercises the
//! same artifact map, parsers, matcher and evaluation as `fptriage analyze`. Results are data;
//! the CLI prints them.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::artifacts::ArtifactMap;
use crate::limits::Limits;
use crate::pipeline::{self, Analysis};
use crate::rules::load::{self, Diagnostic, Level, RuleSource};
use crate::rules::{RuleSet, Severity};
use crate::yaml::tree::{self as yaml, Kind, Node};

/// One test file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    pub cases: Vec<Case>,
}

/// One case: a bundle and what it must produce.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// Inline bundle: member path (relative, `/`-separated) → content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// A bundle on disk (tar.gz, tar, zip or folder), relative to the test file.
    #[serde(default)]
    pub bundle: Option<String>,
    pub expect: Expect,
}

/// The expected outcome of a case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Findings that must be there.
    #[serde(default)]
    pub fires: Vec<ExpectFire>,
    /// Rule ids that must have no finding.
    #[serde(default)]
    pub silent: Vec<String>,
    /// Rule ids that must be listed as not evaluated (missing data).
    #[serde(default)]
    pub not_evaluated: Vec<String>,
}

/// A finding that must be there; every field given must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFire {
    pub rule: String,
    /// Device name (host name), when the case has several devices.
    #[serde(default)]
    pub device: Option<String>,
    /// `true`: a root cause; `false`: a symptom or information.
    #[serde(default)]
    pub root_cause: Option<bool>,
    /// A rule id whose finding explains this one directly (one of its `explained_by`).
    #[serde(default)]
    pub explained_by: Option<String>,
    /// Effective severity (`info` when recovered).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// `current` or `recovered`.
    #[serde(default)]
    pub status: Option<String>,
    /// A substring of the rendered message.
    #[serde(default)]
    pub message_contains: Option<String>,
    /// Named captures that must have these values (others may exist).
    #[serde(default)]
    pub captures: BTreeMap<String, String>,
    /// The SSE hosts of the finding, exactly (sorted).
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// Number of matching log lines.
    #[serde(default)]
    pub count: Option<u64>,
}

/// A test file's text and where it is.
#[derive(Debug, Clone)]
pub struct TestSource {
    /// Shown in results: `sse/dns-failure.test.yaml` (built-in) or the file's path.
    pub origin: String,
    /// Folder `bundle:` paths are relative to.
    pub base: PathBuf,
    pub text: String,
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// Each line one difference between expectation and result.
    Failed(Vec<String>),
    /// Could not run here (a `bundle:` of the source tree, absent beside an installed binary).
    Skipped(String),
}

/// The result of one case (or of a test file that could not be read, with an empty `case`).
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: String,
    pub case: String,
    pub outcome: Outcome,
}

/// The built-in pack's tests (embedded; `bundle:` paths resolve in the source tree).
pub fn builtin_tests() -> Vec<TestSource> {
    load::BUILTIN_RULES
        .iter()
        .filter(|(path, _)| path.ends_with(".test.yaml"))
        .map(|(path, text)| {
            let dir = Path::new(path).parent().unwrap_or(Path::new(""));
            TestSource {
                origin: path.to_string(),
                base: Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("rules")
                    .join(dir),
                text: text.to_string(),
            }
        })
        .collect()
}

/// The tests under `path` and the rules they test.
///
/// `path` is a rule folder (as given to `--rules`: rule ids are relative to it), or one test
/// file `<folder>/<pack>/<name>.test.yaml`, whose pack's rules are loaded.
pub fn folder_tests(path: &Path) -> std::io::Result<(Vec<TestSource>, Vec<RuleSource>)> {
    let is_test = |p: &Path| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(".test.yaml"))
    };
    let read = |file: &Path| -> std::io::Result<TestSource> {
        Ok(TestSource {
            origin: file.display().to_string(),
            base: file.parent().unwrap_or(Path::new("")).to_path_buf(),
            text: std::fs::read_to_string(file)?,
        })
    };
    if path.is_file() {
        if !is_test(path) {
            return Err(std::io::Error::other(format!(
                "{}: not a test file (`<name>.test.yaml`)",
                path.display()
            )));
        }
        let pack = path.parent().unwrap_or(Path::new("."));
        let mut rules = Vec::new();
        let mut siblings: Vec<PathBuf> = std::fs::read_dir(pack)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !is_test(p)
                    && p.extension().is_some_and(|e| e == "yaml")
                    && p.file_name().is_some_and(|n| n != "artifacts.yaml")
            })
            .collect();
        siblings.sort();
        for rule in siblings {
            rules.extend(load::folder_sources(&rule)?);
        }
        return Ok((vec![read(path)?], rules));
    }
    let mut tests = Vec::new();
    for entry in walkdir::WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() && is_test(entry.path()) {
            tests.push(read(entry.path())?);
        }
    }
    Ok((tests, load::folder_sources(path)?))
}

/// Runs every case of `tests` against `rules`.
pub fn run(
    tests: &[TestSource],
    rules: &RuleSet,
    map: &ArtifactMap,
    limits: &Limits,
) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for test in tests {
        let (parsed, shape) = load::read::<TestFile>(&test.text, &test.origin, "TestFile");
        let problems: Vec<String> = shape
            .iter()
            .map(|(d, _)| {
                format!(
                    "{}:{}:{}: {} [{}]",
                    d.file, d.line, d.column, d.message, d.code
                )
            })
            .collect();
        let parsed = match parsed {
            Some(p) if problems.is_empty() => p,
            _ => {
                results.push(CaseResult {
                    file: test.origin.clone(),
                    case: String::new(),
                    outcome: Outcome::Failed(
                        std::iter::once("the test file does not read:".to_string())
                            .chain(problems)
                            .collect(),
                    ),
                });
                continue;
            }
        };
        if parsed.cases.is_empty() {
            results.push(CaseResult {
                file: test.origin.clone(),
                case: String::new(),
                outcome: Outcome::Failed(vec!["the test file has no cases".into()]),
            });
        }
        for case in &parsed.cases {
            results.push(CaseResult {
                file: test.origin.clone(),
                case: case.name.clone(),
                outcome: run_case(case, &test.base, rules, map, limits),
            });
        }
    }
    results
}

fn run_case(
    case: &Case,
    base: &Path,
    rules: &RuleSet,
    map: &ArtifactMap,
    limits: &Limits,
) -> Outcome {
    let mut problems = check_ids(&case.expect, rules);
    if !problems.is_empty() {
        return Outcome::Failed(problems);
    }
    let _dir; // keeps the temporary bundle until the analysis is done
    let input = match (&case.bundle, case.files.is_empty()) {
        (Some(bundle), true) => {
            let path = base.join(bundle);
            if !path.exists() {
                if base.starts_with(env!("CARGO_MANIFEST_DIR")) && !base.exists() {
                    return Outcome::Skipped(format!("{} is not here", path.display()));
                }
                return Outcome::Failed(vec![format!(
                    "bundle {} does not exist (`bundle:` is relative to the test file)",
                    path.display()
                )]);
            }
            path
        }
        (None, false) => match write_bundle(&case.files) {
            Ok(dir) => {
                let path = dir.path().to_path_buf();
                _dir = dir;
                path
            }
            Err(e) => return Outcome::Failed(vec![e]),
        },
        _ => {
            return Outcome::Failed(vec![
                "a case has exactly one of `files` (an inline bundle) and `bundle`".into(),
            ]);
        }
    };
    let analysis = match pipeline::analyze(std::slice::from_ref(&input), map, rules, limits) {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(vec![format!("analysis failed: {e}")]),
    };
    if analysis.nothing_read() {
        return Outcome::Failed(vec![
            "no device found in the bundle (is there a version, host name or a known artifact?)"
                .into(),
        ]);
    }
    problems.extend(compare(&case.expect, &analysis));
    if problems.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(problems)
    }
}

/// An expectation naming a rule that is not loaded would pass vacuously: refuse it.
/// Lint of a test file: its shape (the schema's `TestFile`, every problem with its place), the
/// rule ids it names (loaded rules, with "did you mean"), and the bundles it names (they exist).
pub fn lint(test: &TestSource, rules: &RuleSet) -> Vec<Diagnostic> {
    let (_, shape) = load::read::<TestFile>(&test.text, &test.origin, "TestFile");
    let mut meaning = Vec::new();
    if let Ok(root) = yaml::parse(&test.text) {
        let known = || rules.rules.iter().map(|r| r.id.as_str());
        let items = |n: Option<&Node>| -> Vec<Node> {
            match n.map(|n| &n.kind) {
                Some(Kind::Seq(items)) => items.clone(),
                _ => Vec::new(),
            }
        };
        let cases = items(root.get("cases"));
        let mut named = Vec::new();
        for case in &cases {
            let expect = case.get("expect");
            for fire in items(expect.and_then(|e| e.get("fires"))) {
                named.extend(fire.get("rule").cloned().map(|n| ("fires", n)));
                named.extend(
                    fire.get("explained_by")
                        .cloned()
                        .map(|n| ("explained_by", n)),
                );
            }
            for key in ["silent", "not_evaluated"] {
                named.extend(
                    items(expect.and_then(|e| e.get(key)))
                        .into_iter()
                        .map(|n| (key, n)),
                );
            }
            if let Some(bundle) = case.get("bundle")
                && let Some(path) = bundle.scalar()
                && !test.base.join(path).exists()
            {
                meaning.push(Diagnostic {
                    level: Level::Error,
                    code: "missing-bundle",
                    file: test.origin.clone(),
                    line: bundle.line,
                    column: bundle.column,
                    message: format!("`bundle: {path}` does not exist (relative to the test file)"),
                    hint: None,
                });
            }
        }
        for (key, node) in &named {
            let Some(id) = node.scalar() else { continue };
            if !known().any(|k| k == id) {
                meaning.push(Diagnostic {
                    level: Level::Error,
                    code: "unknown-test-rule",
                    file: test.origin.clone(),
                    line: node.line,
                    column: node.column,
                    message: format!("`{key}` names `{id}`, which is not a loaded rule"),
                    hint: load::did_you_mean(id, known()),
                });
            }
        }
    }
    load::merge(&test.text, shape, meaning)
}

/// Warnings for rule files with no `<name>.test.yaml` beside them among `tests`. A pack's
/// `domain.yaml` is tables, not a rule: it needs no test.
pub fn untested(rules: &[RuleSource], tests: &[TestSource]) -> Vec<Diagnostic> {
    rules
        .iter()
        .filter(|r| Path::new(&r.origin).file_name() != Some(load::DOMAIN_FILE.as_ref()))
        .filter(|r| {
            let expected = format!("{}.test.yaml", r.origin.trim_end_matches(".yaml"));
            !tests.iter().any(|t| t.origin == expected) && !Path::new(&expected).is_file()
        })
        .map(|r| Diagnostic {
            level: Level::Warning,
            code: "no-test",
            file: r.origin.clone(),
            line: 1,
            column: 1,
            message: "the rule has no test beside it".into(),
            hint: Some(format!(
                "add {}.test.yaml with a case that fires and one that stays silent",
                r.origin.trim_end_matches(".yaml")
            )),
        })
        .collect()
}

fn check_ids(expect: &Expect, rules: &RuleSet) -> Vec<String> {
    let known = || rules.rules.iter().map(|r| r.id.as_str());
    let mut ids: Vec<(&str, &str)> = Vec::new();
    for f in &expect.fires {
        ids.push(("fires", &f.rule));
        if let Some(by) = &f.explained_by {
            ids.push(("explained_by", by));
        }
    }
    ids.extend(expect.silent.iter().map(|s| ("silent", s.as_str())));
    ids.extend(
        expect
            .not_evaluated
            .iter()
            .map(|s| ("not_evaluated", s.as_str())),
    );
    ids.into_iter()
        .filter(|(_, id)| !known().any(|k| k == *id))
        .map(|(key, id)| {
            let hint = load::did_you_mean(id, known())
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            format!("`{key}` names `{id}`, which is not a loaded rule (did it fail to load?){hint}")
        })
        .collect()
}

fn write_bundle(files: &BTreeMap<String, String>) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("fptriage-test")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    for (member, content) in files {
        let relative = Path::new(member);
        let safe = !member.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !safe {
            return Err(format!(
                "member path `{member}` must be relative, without `..`"
            ));
        }
        let path = dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{member}: {e}"))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("{member}: {e}"))?;
    }
    Ok(dir)
}

fn describe(f: &crate::rules::Finding) -> String {
    let role = if f.root_cause {
        "root cause".to_string()
    } else if f.explained_by.is_empty() {
        format!("{}, no root cause", f.severity.as_str())
    } else {
        format!("symptom of {}", rule_of(&f.explained_by.join(", ")))
    };
    format!("{} on {} ({role}): {}", f.rule, f.device_name, f.message)
}

/// `sse/a@/tmp/x, sse/b@/tmp/x` → `sse/a, sse/b`: device ids of temporary bundles are noise.
fn rule_of(ids: &str) -> String {
    ids.split(", ")
        .map(|id| id.split('@').next().unwrap_or(id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every difference between the expectation and the analysis, one line each.
pub fn compare(expect: &Expect, analysis: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for want in &expect.fires {
        let candidates: Vec<&crate::rules::Finding> = analysis
            .findings
            .iter()
            .filter(|f| f.rule == want.rule)
            .filter(|f| want.device.as_ref().is_none_or(|d| &f.device_name == d))
            .collect();
        if candidates.is_empty() {
            let mut line = format!("missing: `{}` did not fire", want.rule);
            if let Some(d) = &want.device {
                line.push_str(&format!(" on {d}"));
            }
            if let Some(ne) = analysis.not_evaluated.iter().find(|n| n.rule == want.rule) {
                line.push_str(&format!(
                    "; it was not evaluated for lack of: {}",
                    ne.needs.join(", ")
                ));
            } else if let Some(other) = analysis.findings.iter().find(|f| f.rule == want.rule) {
                line.push_str(&format!(
                    "; it fired on device `{}` instead",
                    other.device_name
                ));
            }
            out.push(line);
            continue;
        }
        let diffs: Vec<Vec<String>> = candidates.iter().map(|f| differences(want, f)).collect();
        if diffs.iter().any(Vec::is_empty) {
            continue;
        }
        let best = diffs
            .into_iter()
            .min_by_key(Vec::len)
            .expect("candidates is not empty");
        for d in best {
            out.push(format!("differs: `{}` {d}", want.rule));
        }
    }
    for id in &expect.silent {
        let fired: Vec<&crate::rules::Finding> =
            analysis.findings.iter().filter(|f| &f.rule == id).collect();
        for f in &fired {
            out.push(format!("extra: {}", describe(f)));
        }
        // Silence proves nothing when the rule could not look: say so rather than pass.
        if fired.is_empty()
            && let Some(ne) = analysis.not_evaluated.iter().find(|n| &n.rule == id)
        {
            out.push(format!(
                "not evaluated: `{id}` is expected silent, but it was not evaluated for lack of: {} \
                 (add that data to the case, or expect `not_evaluated: [{id}]`)",
                ne.needs.join(", ")
            ));
        }
    }
    for id in &expect.not_evaluated {
        if !analysis.not_evaluated.iter().any(|n| &n.rule == id) {
            let state = if analysis.findings.iter().any(|f| &f.rule == id) {
                "it fired"
            } else {
                "it was evaluated and stayed silent"
            };
            out.push(format!(
                "evaluated: `{id}` was expected to be not evaluated, but {state}"
            ));
        }
    }
    out
}

fn differences(want: &ExpectFire, f: &crate::rules::Finding) -> Vec<String> {
    let mut d = Vec::new();
    if let Some(rc) = want.root_cause
        && rc != f.root_cause
    {
        let got = if f.root_cause {
            "it is a root cause".to_string()
        } else if f.explained_by.is_empty() {
            format!(
                "it is {} ({}) and explained by nothing",
                f.severity.as_str(),
                f.status
            )
        } else {
            format!("it is a symptom of {}", rule_of(&f.explained_by.join(", ")))
        };
        d.push(format!("root_cause: expected {rc}, but {got}"));
    }
    if let Some(by) = &want.explained_by {
        let by_rules = rule_of(&f.explained_by.join(", "));
        if !by_rules.split(", ").any(|r| r == by) {
            d.push(format!("explained_by: expected `{by}`, got [{}]", by_rules));
        }
    }
    if let Some(s) = want.severity
        && s != f.severity
    {
        d.push(format!(
            "severity: expected {}, got {}",
            s.as_str(),
            f.severity.as_str()
        ));
    }
    if let Some(s) = &want.status
        && s != f.status
    {
        d.push(format!("status: expected {s}, got {}", f.status));
    }
    if let Some(m) = &want.message_contains
        && !f.message.contains(m.as_str())
    {
        d.push(format!(
            "message: expected it to contain {m:?}, got {:?}",
            f.message
        ));
    }
    for (k, v) in &want.captures {
        match f.captures.get(k) {
            Some(got) if got == v => {}
            Some(got) => d.push(format!("captures.{k}: expected {v:?}, got {got:?}")),
            None => d.push(format!(
                "captures.{k}: expected {v:?}, not captured (captures: {:?})",
                f.captures
            )),
        }
    }
    if let Some(h) = &want.hosts {
        let mut want_sorted = h.clone();
        want_sorted.sort();
        if want_sorted != f.hosts {
            d.push(format!(
                "hosts: expected {want_sorted:?}, got {:?}",
                f.hosts
            ));
        }
    }
    if let Some(c) = want.count
        && c != f.count
    {
        d.push(format!("count: expected {c}, got {}", f.count));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_file_needs_no_test_a_rule_does() {
        let source = |origin: &str| RuleSource {
            relative: origin.into(),
            origin: origin.into(),
            text: String::new(),
        };
        let said = untested(
            &[source("site/domain.yaml"), source("site/probe.yaml")],
            &[],
        );
        let files: Vec<&str> = said.iter().map(|d| d.file.as_str()).collect();
        assert_eq!(files, ["site/probe.yaml"]);
    }

    #[test]
    fn builtin_tests_are_embedded() {
        assert!(
            builtin_tests()
                .iter()
                .any(|t| t.origin == "sse/dns-failure.test.yaml")
        );
    }

    #[test]
    fn unsafe_member_paths_are_refused() {
        let files = BTreeMap::from([("../x".to_string(), String::new())]);
        assert!(write_bundle(&files).is_err());
    }
}
