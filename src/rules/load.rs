//! Loading rule packs: parse with spans, then validate, collecting every problem.
//!
//! A rule file is read in two steps ([`read`]): its YAML tree's shape is checked field by field
//! against `rules/schema.json` ([`super::shape`]: syntax, unknown keys, missing fields, wrong
//! types, values outside a list, every one of them), then the text with the broken entries
//! blanked out is deserialised into [`super::schema`]'s structs and validated as a whole
//! (meaning errors: unknown facts, operators that do not fit the fact's type, regexes and
//! templates that do not compile, captures a template uses but no regex defines, version ranges
//! that cannot match, ids that do not match their path, explains naming unknown rules or forming
//! a cycle). Each problem is a [`Diagnostic`] with a stable code, a level and a place inside the
//! value when it can be told (a regex's error, a template's line). A broken rule is reported and
//! left out; the others load, and the set keeps the problems for the report.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_saphyr::Spanned;

use super::schema::{
    CaptureTestSpec, CompareCondition, Condition, FindingCondition, LinesCondition, PatternSpec,
    RuleFile, SequenceCondition, UnknownVersion,
};
use super::{CompareOp, Cond, FactOp, LinesCond, Rule};
use super::{shape, yaml};
use crate::artifacts::{ArtifactKind, ArtifactMap};
use crate::domain::Domain;
use crate::facts::registry::FactType;
use crate::matcher::{self, CaptureTest, Keep, LinePattern, PatternText};
use crate::version::{Product, Version};

/// How bad a problem is: an error fails lint and leaves the rule out; a warning fails lint
/// only with `--deny warnings`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Error,
    Warning,
}

/// A problem in a rule file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-fact`.
    pub code: &'static str,
    pub level: Level,
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

/// A rule file's text and where it comes from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Path relative to its rule folder, e.g. `sse/dns-failure.yaml`.
    pub relative: String,
    /// Shown in diagnostics and `rules list`: `built-in` or the file's path.
    pub origin: String,
    pub text: String,
}

/// Rules ready to evaluate, the line patterns they need matched, and the domain tables of
/// their packs.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub patterns: Vec<LinePattern>,
    /// The language of the rules' texts (set by [`super::i18n::localize`]) and of the sentences
    /// evaluation writes itself.
    pub lang: crate::i18n::Lang,
    /// The errors of the sources, each a rule (or relation) left out: a report lists them under
    /// its warnings, and the command exits 2 (cli-contract.md).
    pub problems: Vec<Diagnostic>,
    /// The fact declarations the rules were checked against.
    pub facts: crate::artifacts::FactCatalog,
    pub domain: Domain,
}

/// The file name of a pack's domain tables ([`crate::domain`]).
pub const DOMAIN_FILE: &str = "domain.yaml";

fn is_domain_file(relative: &str) -> bool {
    relative.rsplit('/').next() == Some(DOMAIN_FILE)
}

/// The domain tables of the built-in packs alone.
pub fn builtin_domain() -> Domain {
    load(
        &builtin_sources()
            .into_iter()
            .filter(|s| is_domain_file(&s.relative))
            .collect::<Vec<_>>(),
    )
    .0
    .domain
}

pub use crate::builtin::BUILTIN_RULES;

/// The built-in rule pack's sources.
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN_RULES
        .iter()
        .filter(|(path, _)| {
            !path.ends_with(".test.yaml")
                && !path.ends_with("artifacts.yaml")
                && !path.ends_with(".md")
        })
        .map(|(path, text)| RuleSource {
            relative: path.to_string(),
            origin: format!("built-in:{path}"),
            text: text.to_string(),
        })
        .collect()
}

/// Reads the rule files under a folder (or one file), ids relative to `root`.
pub fn folder_sources(path: &Path) -> Result<Vec<RuleSource>, std::io::Error> {
    let (root, files): (&Path, Vec<std::path::PathBuf>) = if path.is_file() {
        (
            path.parent()
                .and_then(|p| p.parent())
                .unwrap_or(Path::new("")),
            vec![path.to_path_buf()],
        )
    } else {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(std::io::Error::other)?;
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file()
                && name.ends_with(".yaml")
                && !name.ends_with(".test.yaml")
                && name != "artifacts.yaml"
            {
                files.push(entry.path().to_path_buf());
            }
        }
        (path, files)
    };
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)?;
            let relative = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            Ok(RuleSource {
                relative,
                origin: file.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Names a template may use besides the captures of the rule's regexes.
pub const TEMPLATE_NAMES: &[&str] = &[
    "facts",
    "device",
    "count",
    "total_count",
    "first_seen",
    "last_seen",
    "hosts",
    "recovered_at",
    "captures",
    "evidence",
];

/// [`load_with`] over the built-in packs' artifact definitions.
pub fn load(sources: &[RuleSource]) -> (RuleSet, Vec<Diagnostic>) {
    load_with(sources, &ArtifactMap::builtin())
}

/// Every declared fact's `lookup:` names a loaded table, and fields that table declares.
pub fn check_lookups(map: &ArtifactMap, domain: &Domain, out: &mut Vec<Diagnostic>) {
    use crate::artifacts::spec::LookupOn;
    for kind in map.kinds() {
        for spec in map.fact_specs(kind.kind) {
            let Some(l) = &spec.lookup else { continue };
            let mut problem = |code: &'static str, message: String| {
                out.push(Diagnostic {
                    code,
                    level: Level::Error,
                    file: l.file.clone(),
                    line: l.at.0,
                    column: l.at.1,
                    message,
                    hint: None,
                })
            };
            let Some(table) = domain.table(&l.table) else {
                let known: Vec<&str> = domain.tables().map(|t| t.name.as_str()).collect();
                problem(
                    "unknown-domain-table",
                    format!(
                        "`{}`: lookup table `{}` is in no loaded domain.yaml (tables: {})",
                        spec.name,
                        l.table,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
                continue;
            };
            let on = match &l.on {
                LookupOn::Field(f) => Some(("match", f)),
                LookupOn::Name | LookupOn::Hosts => None,
            };
            for (key, field) in on.into_iter().chain(l.field.as_ref().map(|f| ("field", f))) {
                if !table.fields.iter().any(|f| f == field) {
                    problem(
                        "unknown-table-field",
                        format!(
                            "`{}`: lookup `{key}: {field}` is no field of table `{}` (fields: name{}{})",
                            spec.name,
                            table.name,
                            if key == "match" { ", hosts, " } else { ", " },
                            table.fields.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

/// Loads rules and domain tables (the sources named [`DOMAIN_FILE`]) over the loaded artifact
/// definitions `map` (its kinds and facts), in order; a later source with an existing id replaces
/// the earlier rule, and later domain tables extend earlier ones ([`Domain::merge`]).
pub fn load_with(sources: &[RuleSource], map: &ArtifactMap) -> (RuleSet, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut domain = Domain::default();
    for source in sources.iter().filter(|s| is_domain_file(&s.relative)) {
        let (more, problems) = crate::domain::load::parse(&source.text);
        diagnostics.extend(problems.into_iter().map(|p| Diagnostic {
            code: p.code,
            level: Level::Error,
            file: source.origin.clone(),
            line: p.line,
            column: p.column,
            hint: if p.code == "unknown-key" {
                unknown_key_hint(&p.message)
            } else {
                None
            },
            message: p.message,
        }));
        domain.merge(more);
    }
    // The built-in pack's lookups are checked against its tables by a test: rules loaded alone
    // (a rule test's own file) need no tables.
    let mut lookups = Vec::new();
    check_lookups(map, &domain, &mut lookups);
    diagnostics.extend(
        lookups
            .into_iter()
            .filter(|d| !d.file.starts_with("built-in:")),
    );
    let sources: Vec<&RuleSource> = sources
        .iter()
        .filter(|s| !is_domain_file(&s.relative))
        .collect();
    let mut by_id: BTreeMap<String, (usize, Rule)> = BTreeMap::new();
    let mut patterns_by_rule: HashMap<String, Vec<LinePattern>> = HashMap::new();
    let mut next_pattern = 0usize;
    for (order, source) in sources.iter().enumerate() {
        let mut v = Validator {
            map,
            file: source.origin.clone(),
            diagnostics: Vec::new(),
            patterns: Vec::new(),
            next_pattern: &mut next_pattern,
            captures: BTreeSet::new(),
            shape: Vec::new(),
            text: String::new(),
            domain: &domain,
            finding_refs: Vec::new(),
            pattern_names: HashMap::new(),
        };
        let rule = v.rule(source);
        let found = merge(
            &source.text,
            std::mem::take(&mut v.shape),
            std::mem::take(&mut v.diagnostics),
        );
        let broken = found.iter().any(|d| d.level == Level::Error);
        diagnostics.extend(found);
        if let Some(rule) = rule.filter(|_| !broken) {
            patterns_by_rule.insert(rule.id.clone(), v.patterns);
            by_id.insert(rule.id.clone(), (order, rule));
        }
    }
    let mut rules: Vec<Rule> = by_id.into_values().map(|(_, r)| r).collect();
    check_explains(&mut rules, &mut diagnostics);
    check_findings(&mut rules, &mut diagnostics);
    let patterns = rules
        .iter()
        .flat_map(|r| patterns_by_rule.remove(&r.id).unwrap_or_default())
        .collect();
    let problems = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .cloned()
        .collect();
    (
        RuleSet {
            rules,
            patterns,
            lang: crate::i18n::Lang::En,
            problems,
            facts: map.facts().clone(),
            domain,
        },
        diagnostics,
    )
}

fn check_explains(rules: &mut [Rule], diagnostics: &mut Vec<Diagnostic>) {
    let ids: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
    for rule in rules.iter_mut() {
        let mut kept = Vec::new();
        for (target, (line, column)) in rule.explains.iter().zip(&rule.explains_at) {
            if ids.contains(target) {
                kept.push(target.clone());
            } else {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "unknown-explains",
                    file: rule.origin.clone(),
                    line: *line,
                    column: *column,
                    message: format!("`explains` names `{target}`, which is not a loaded rule"),
                    hint: did_you_mean(
                        target,
                        ids.iter().map(String::as_str).filter(|i| *i != rule.id),
                    ),
                });
            }
        }
        rule.explains = kept;
        let mut kept = Vec::new();
        for (cause, (line, column)) in rule.explained_by.iter().zip(&rule.explained_by_at) {
            if ids.contains(cause) {
                kept.push(cause.clone());
            } else {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "unknown-explained-by",
                    file: rule.origin.clone(),
                    line: *line,
                    column: *column,
                    message: format!("`explained_by` names `{cause}`, which is not a loaded rule"),
                    hint: did_you_mean(cause, ids.iter().map(String::as_str)),
                });
            }
        }
        rule.explained_by = kept;
    }
    // A cycle would make every rule in it a symptom of another: nothing would be a root cause.
    // `explained_by` is `explains` read from the other end: one graph holds both.
    let mut graph: HashMap<&str, Vec<&str>> = rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.explains.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    for r in rules.iter() {
        for cause in &r.explained_by {
            if let Some(targets) = graph.get_mut(cause.as_str()) {
                targets.push(r.id.as_str());
            }
        }
    }
    for rule in rules.iter() {
        if let Some(cycle) = find_cycle(&graph, &rule.id) {
            let (line, column) = rule
                .explains_at
                .first()
                .or(rule.explained_by_at.first())
                .copied()
                .unwrap_or((1, 1));
            diagnostics.push(Diagnostic {
                level: Level::Error,
                code: "explains-cycle",
                file: rule.origin.clone(),
                line,
                column,
                message: format!(
                    "`explains` of `{}` leads back to itself: {}",
                    rule.id,
                    cycle.join(" explains ")
                ),
                hint: Some(
                    "a cause cannot be its own symptom; remove one relation of the cycle".into(),
                ),
            });
        }
    }
}

/// `finding:` conditions name loaded rules and form no cycle (a rule's finding must be known
/// before the rules that read it are evaluated). A rule that breaks either is left out, and so,
/// in turn, is every rule that reads its finding.
fn check_findings(rules: &mut Vec<Rule>, diagnostics: &mut Vec<Diagnostic>) {
    loop {
        let ids: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        let mut broken: BTreeSet<String> = BTreeSet::new();
        for rule in rules.iter() {
            for (target, (line, column)) in &rule.finding_refs {
                if !ids.contains(target) {
                    diagnostics.push(Diagnostic {
                        level: Level::Error,
                        code: "unknown-finding-rule",
                        file: rule.origin.clone(),
                        line: *line,
                        column: *column,
                        message: format!("`finding` names `{target}`, which is not a loaded rule"),
                        hint: did_you_mean(target, ids.iter().map(String::as_str)),
                    });
                    broken.insert(rule.id.clone());
                }
            }
        }
        if broken.is_empty() {
            break;
        }
        rules.retain(|r| !broken.contains(&r.id));
    }
    let deps: HashMap<&str, Vec<&str>> = rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.finding_refs.iter().map(|(t, _)| t.as_str()).collect(),
            )
        })
        .collect();
    let mut cyclic = BTreeSet::new();
    for rule in rules.iter() {
        if let Some(cycle) = find_cycle(&deps, &rule.id) {
            let (line, column) = rule.finding_refs.first().map(|r| r.1).unwrap_or((1, 1));
            diagnostics.push(Diagnostic {
                level: Level::Error,
                code: "finding-cycle",
                file: rule.origin.clone(),
                line,
                column,
                message: format!("`finding` conditions form a cycle: {}", cycle.join(" → ")),
                hint: Some(
                    "a rule cannot wait for its own finding; remove one `finding` of the cycle"
                        .into(),
                ),
            });
            cyclic.insert(rule.id.clone());
        }
    }
    rules.retain(|r| !cyclic.contains(&r.id));
}

/// A path from `start` back to itself, if there is one.
fn find_cycle(graph: &HashMap<&str, Vec<&str>>, start: &str) -> Option<Vec<String>> {
    let mut stack: Vec<Vec<&str>> = vec![vec![start]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = *path.last()?;
        for &next in graph.get(last).map(Vec::as_slice).unwrap_or(&[]) {
            let mut longer = path.clone();
            longer.push(next);
            if next == start {
                return Some(longer.into_iter().map(str::to_string).collect());
            }
            if seen.insert(next) {
                stack.push(longer);
            }
        }
    }
    None
}

/// The order to evaluate rules in: every rule after the rules whose findings it reads, and
/// otherwise in the set's order (so a pack without `finding:` conditions runs as listed).
pub fn evaluation_order(rules: &[Rule]) -> Vec<usize> {
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut done = vec![false; rules.len()];
    let mut order = Vec::with_capacity(rules.len());
    fn visit(
        i: usize,
        rules: &[Rule],
        index: &HashMap<&str, usize>,
        done: &mut Vec<bool>,
        order: &mut Vec<usize>,
        depth: usize,
    ) {
        // Cycles are refused at load; the depth bound keeps a hand-made set from recursing forever.
        if done[i] || depth > rules.len() {
            return;
        }
        done[i] = true;
        for (target, _) in &rules[i].finding_refs {
            if let Some(&j) = index.get(target.as_str()) {
                visit(j, rules, index, done, order, depth + 1);
            }
        }
        order.push(i);
    }
    for i in 0..rules.len() {
        visit(i, rules, &index, &mut done, &mut order, 0);
    }
    order
}

/// The closest known name, for "did you mean".
pub fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The type of a fact name: a declared fact, or `manager.<fact>` of a declared fact (the
/// managing FMC's), which a pack may also declare under its full name for the device's own view.
pub fn fact_type(facts: &crate::artifacts::FactCatalog, name: &str) -> Option<FactType> {
    facts
        .lookup(name)
        .or_else(|| name.strip_prefix("manager.").and_then(|n| facts.lookup(n)))
        .map(|d| d.ty)
}

/// Parses `90s`, `30m`, `24h`, `7d` into seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = text[..split].parse().ok()?;
    let unit = match text[split..].trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// Reads `text` as the schema definition `def` (`RuleFile`, `TestFile`) into `T`.
///
/// Two steps: the YAML tree's shape is checked against the schema, every problem collected;
/// then the text, with the broken entries blanked out, is read into `T` so that its meaning can
/// still be checked. Returns the value when that read succeeds, and the shape problems, each
/// with whether the node was left readable (see [`merge`]).
pub fn read<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    def: &str,
) -> (Option<T>, Vec<(Diagnostic, bool)>) {
    let diagnostic = |code, line, column, message: String, hint| Diagnostic {
        code,
        level: Level::Error,
        file: file.to_string(),
        line,
        column,
        message,
        hint,
    };
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let hint = e.bad_escape.then(|| {
                "in double quotes `\\` starts an escape (`\\n`, `\\t`); write regexes and other \
                 text with backslashes in single quotes: '\\S+'"
                    .to_string()
            });
            let d = diagnostic("yaml-syntax", e.line, e.column, e.message, hint);
            return (None, vec![(d, false)]);
        }
    };
    let report = shape::check(&root, def);
    let mut found: Vec<(Diagnostic, bool)> = report
        .problems
        .into_iter()
        .map(|p| {
            let readable = p.readable;
            (
                diagnostic(p.code, p.line, p.column, p.message, p.hint),
                readable,
            )
        })
        .collect();
    let mut readable_text = yaml::blank(text, &report.broken, &report.replaced);
    // Stand-ins for missing top-level keys, after the file's last line: what the meaning check
    // says of them is dropped (it points past the end).
    if matches!(root.kind, yaml::Kind::Map(_)) && root.line == 1 && root.column == 1 {
        for (key, stand_in) in &report.missing {
            readable_text.push_str(&format!("\n{key}: {stand_in}"));
        }
    }
    match serde_saphyr::from_str::<T>(&readable_text) {
        Ok(value) => (Some(value), found),
        Err(e) if found.is_empty() => {
            // The schema let through what serde refuses: still one problem, with its place.
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let message = e.without_snippet().to_string();
            let code = if message.contains("unknown field") {
                "unknown-key"
            } else if message.contains("missing field") {
                "missing-field"
            } else {
                "yaml-syntax"
            };
            let hint = unknown_key_hint(&message);
            found.push((diagnostic(code, line, column, message, hint), false));
            (None, found)
        }
        Err(_) => (None, found),
    }
}

/// The problems of one file: shape and meaning, one per place, in file order.
///
/// Where a shape problem left its node readable (a value outside the schema's list) and the
/// meaning check says more about the same node (`unknown-level` with its "did you mean"), the
/// meaning problem is kept; where the node was blanked out, what the meaning check said of the
/// remains is dropped.
pub fn merge(
    text: &str,
    shape: Vec<(Diagnostic, bool)>,
    meaning: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let at = |d: &Diagnostic| (d.line, d.column);
    let lines = text.lines().count().max(1) as u64;
    let meaning: Vec<Diagnostic> = meaning.into_iter().filter(|m| m.line <= lines).collect();
    let mut out: Vec<Diagnostic> = Vec::new();
    for (d, readable) in &shape {
        if !(*readable && meaning.iter().any(|m| at(m) == at(d))) {
            out.push(d.clone());
        }
    }
    for m in meaning {
        if !shape
            .iter()
            .any(|(d, readable)| !readable && at(d) == at(&m))
        {
            out.push(m);
        }
    }
    out.sort_by_key(|d| (d.line, d.column));
    out
}

struct Validator<'a> {
    map: &'a ArtifactMap,
    file: String,
    diagnostics: Vec<Diagnostic>,
    patterns: Vec<LinePattern>,
    next_pattern: &'a mut usize,
    captures: BTreeSet<String>,
    /// Shape problems of the file, merged with the meaning problems at the end.
    shape: Vec<(Diagnostic, bool)>,
    /// The file's text, for places inside a value (a regex's error, a template's line).
    text: String,
    /// The loaded domain tables: `host:` names one of their classes.
    domain: &'a Domain,
    finding_refs: Vec<(String, (u64, u64))>,
    /// The named groups of each pattern compiled for this rule, by pattern id.
    pattern_names: HashMap<usize, Vec<String>>,
}

impl Validator<'_> {
    /// A regex that does not compile, with the caret at the error inside it.
    fn regex_error(&mut self, at: &Spanned<String>, error: &dyn std::fmt::Display) {
        let (message, offset) =
            regex_syntax_error(&at.value).unwrap_or_else(|| (first_line(&error.to_string()), 0));
        let (line, column) = place_in_scalar(
            &self.text,
            at.referenced.line(),
            at.referenced.column(),
            &at.value,
            offset,
        );
        self.diagnostics.push(Diagnostic {
            level: Level::Error,
            code: "invalid-regex",
            file: self.file.clone(),
            line,
            column,
            message: format!("regex does not compile: {message}"),
            hint: None,
        });
    }

    fn error<T>(
        &mut self,
        at: &Spanned<T>,
        code: &'static str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            level: Level::Error,
            code,
            file: self.file.clone(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            message: message.into(),
            hint,
        });
    }

    fn rule(&mut self, source: &RuleSource) -> Option<Rule> {
        let (parsed, shape) = read::<RuleFile>(&source.text, &self.file, "RuleFile");
        self.shape = shape;
        let parsed = parsed?;
        self.text = source.text.clone();
        let before = self.diagnostics.len();
        let expected = source
            .relative
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string();
        if parsed.id.value != expected {
            self.error(
                &parsed.id,
                "id-path-mismatch",
                format!(
                    "rule id `{}` does not match its path `{}`",
                    parsed.id.value, source.relative
                ),
                Some(format!(
                    "use `id: {expected}` or move the file to `{}.yaml`",
                    parsed.id.value
                )),
            );
        }
        let mut products = Vec::new();
        let (mut min_version, mut below_version) = (None, None);
        if let Some(applies) = &parsed.applies_to {
            for p in &applies.product {
                match p.value.to_ascii_uppercase().as_str() {
                    "FMC" => products.push(Product::Fmc),
                    "FTD" => products.push(Product::Ftd),
                    _ => self.error(
                        p,
                        "unknown-product",
                        format!("unknown product `{}`", p.value),
                        Some("use FMC or FTD".into()),
                    ),
                }
            }
            if let Some(range) = &applies.version {
                min_version = range.min.as_ref().and_then(|v| self.version(v));
                below_version = range.below.as_ref().and_then(|v| self.version(v));
                if let (Some(min), Some(below), Some(at)) =
                    (&min_version, &below_version, &range.below)
                    && min >= below
                {
                    self.error(
                        at,
                        "empty-version-range",
                        format!("version range min {min} below {below} cannot match any version"),
                        None,
                    );
                }
            }
        }
        let when = self.condition(&parsed.when);
        let recovered_if = parsed.recovered_if.as_ref().and_then(|c| self.condition(c));
        for (field, template) in [
            ("message", &parsed.message),
            ("remediation", &parsed.remediation),
        ] {
            self.template(field, template);
        }
        let translations = self.translations(&parsed);
        if self.diagnostics.len() > before {
            return None;
        }
        Some(
            Rule {
                id: parsed.id.value.clone(),
                title: parsed.title,
                severity: parsed.severity,
                status: parsed.status.unwrap_or_else(|| "stable".into()),
                description: parsed.description,
                references: parsed.references,
                tags: parsed.tags,
                false_positives: parsed.false_positives,
                products,
                min_version,
                below_version,
                when: when?,
                recovered_if,
                explains: parsed.explains.iter().map(|e| e.value.clone()).collect(),
                explains_at: parsed
                    .explains
                    .iter()
                    .map(|e| (e.referenced.line(), e.referenced.column()))
                    .collect(),
                explained_by: parsed
                    .explained_by
                    .iter()
                    .map(|e| e.value.clone())
                    .collect(),
                explained_by_at: parsed
                    .explained_by
                    .iter()
                    .map(|e| (e.referenced.line(), e.referenced.column()))
                    .collect(),
                skip_unknown_version: parsed.unknown_version == Some(UnknownVersion::Skip),
                finding_refs: std::mem::take(&mut self.finding_refs),
                message: parsed.message.value,
                remediation: parsed.remediation.value,
                needs: parsed.needs,
                translations,
                origin: source.origin.clone(),
                facts_used: Vec::new(),
            }
            .with_facts_used(),
        )
    }

    /// The rule's translations, their templates validated as the English ones are.
    fn translations(&mut self, parsed: &RuleFile) -> Vec<(crate::i18n::Lang, super::Translation)> {
        let mut out = Vec::new();
        if let Some(ja) = parsed.i18n.as_ref().and_then(|i| i.ja.as_ref()) {
            let t = &ja.value;
            for (field, template) in [
                ("i18n.ja.message", &t.message),
                ("i18n.ja.remediation", &t.remediation),
            ] {
                if let Some(template) = template {
                    self.template(field, template);
                }
            }
            out.push((
                crate::i18n::Lang::Ja,
                super::Translation {
                    title: t.title.clone(),
                    message: t.message.as_ref().map(|m| m.value.clone()),
                    remediation: t.remediation.as_ref().map(|r| r.value.clone()),
                    needs: t.needs.clone(),
                },
            ));
        }
        out
    }

    fn version(&mut self, at: &Spanned<String>) -> Option<Version> {
        let v = Version::parse_exact(&at.value);
        if v.is_none() {
            self.error(
                at,
                "invalid-version",
                format!("`{}` is not a version", at.value),
                Some("write dotted numbers only, such as \"7.0\" or \"7.2.5\" (no `x`, suffix or build)".into()),
            );
        }
        v
    }

    /// Where in the file a template's error is: the template's line, counted from the
    /// scalar's (a `|` block starts on the next line), and the column in that line.
    fn template_place(&self, template: &Spanned<String>, e: &minijinja::Error) -> (u64, u64) {
        match e.range() {
            Some(r) => self.place_in_template(template, r.start),
            None => match e.line() {
                Some(n) => {
                    let offset = template
                        .value
                        .split_inclusive('\n')
                        .take(n.saturating_sub(1))
                        .map(str::len)
                        .sum();
                    self.place_in_template(template, offset)
                }
                None => (template.referenced.line(), template.referenced.column()),
            },
        }
    }

    /// The file's place of byte `offset` of a template: its line counted from the scalar's (a
    /// `|` or `>` block starts on the next line), its column from that line's indentation or,
    /// on a quoted scalar's first line, from the quote.
    fn place_in_template(&self, template: &Spanned<String>, offset: usize) -> (u64, u64) {
        let (line, column) = (template.referenced.line(), template.referenced.column());
        let before = template.value.get(..offset).unwrap_or("");
        let n = before.matches('\n').count() as u64;
        let offset_in_line = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let source = self
            .text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("");
        let block = source
            .chars()
            .nth(column.saturating_sub(1) as usize)
            .is_some_and(|c| c == '|' || c == '>');
        if n == 0 && !block {
            return place_in_scalar(&self.text, line, column, &template.value, offset);
        }
        // A block's content starts on the line after `|`; a plain or quoted scalar over several
        // lines continues on the next.
        let at = line + n + u64::from(block);
        let indent = self
            .text
            .lines()
            .nth(at.saturating_sub(1) as usize)
            .map(|l| l.len() - l.trim_start().len())
            .unwrap_or(0);
        (at, (indent + offset_in_line) as u64 + 1)
    }

    fn template(&mut self, field: &str, template: &Spanned<String>) {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        match env.template_from_str(&template.value) {
            Ok(t) => {
                for name in t.undeclared_variables(false) {
                    if !TEMPLATE_NAMES.contains(&name.as_str()) && !self.captures.contains(&name) {
                        let known = TEMPLATE_NAMES
                            .iter()
                            .copied()
                            .chain(self.captures.iter().map(String::as_str))
                            .collect::<Vec<_>>();
                        let hint = did_you_mean(&name, known.into_iter());
                        let (line, column) = match template.value.find(name.as_str()) {
                            Some(offset) => self.place_in_template(template, offset),
                            None => (template.referenced.line(), template.referenced.column()),
                        };
                        self.diagnostics.push(Diagnostic {
                            level: Level::Error,
                            code: "undefined-capture",
                            file: self.file.clone(),
                            line,
                            column,
                            message: format!("{field} uses `{name}`, which no regex of this rule captures and no template variable is"),
                            hint,
                        });
                    }
                }
            }
            Err(e) => {
                let (line, column) = self.template_place(template, &e);
                let what = e
                    .detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.kind().to_string());
                self.diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "invalid-template",
                    file: self.file.clone(),
                    line,
                    column,
                    message: format!("{field} template does not parse: {what}"),
                    hint: None,
                });
            }
        }
    }

    fn condition(&mut self, at: &Spanned<Condition>) -> Option<Cond> {
        let c = &at.value;
        let kinds = [
            c.all.is_some(),
            c.any.is_some(),
            c.not.is_some(),
            c.fact.is_some(),
            c.lines.is_some(),
            c.mixed_outcomes.is_some(),
            c.sequence.is_some(),
            c.compare.is_some(),
            c.finding.is_some(),
            c.any_record.is_some(),
            c.all_records.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        if count != 1 {
            self.error(
                at,
                "condition-shape",
                if count == 0 {
                    "empty condition"
                } else {
                    "a condition has exactly one of all, any, not, fact, lines, mixed_outcomes, any_record, all_records, sequence, compare, finding"
                },
                Some("split it into `all: [...]` items".into()),
            );
            return None;
        }
        if let Some(items) = c.all.as_ref().or(c.any.as_ref()) {
            let compiled: Vec<Option<Cond>> = items.iter().map(|i| self.condition(i)).collect();
            let compiled: Option<Vec<Cond>> = compiled.into_iter().collect();
            return compiled.map(|v| {
                if c.all.is_some() {
                    Cond::All(v)
                } else {
                    Cond::Any(v)
                }
            });
        }
        if let Some(inner) = &c.not {
            return self.condition(inner).map(|i| Cond::Not(Box::new(i)));
        }
        if let Some(lines) = &c.lines {
            return self.lines(lines);
        }
        if let Some(mixed) = &c.mixed_outcomes {
            return self.mixed(mixed);
        }
        if let Some(seq) = &c.sequence {
            return self.sequence(seq);
        }
        if let Some(cmp) = &c.compare {
            return self.compare(cmp);
        }
        if let Some(f) = &c.finding {
            return Some(self.finding(f));
        }
        if let Some(r) = c.any_record.as_ref().or(c.all_records.as_ref()) {
            return self.records(r, c.all_records.is_some());
        }
        let fact = c.fact.as_ref()?;
        self.fact(at, fact)
    }

    /// `mixed_outcomes`: each log artifact gets its own success and failure patterns (patterns
    /// are compiled per artifact kind); outcome artifacts are read as they are.
    fn mixed(&mut self, at: &Spanned<super::schema::MixedOutcomes>) -> Option<Cond> {
        let m = &at.value;
        // Declared first, so that a broken artifact list does not also fail the templates.
        self.captures.extend([
            "failing_addresses".to_string(),
            "working_addresses".to_string(),
        ]);
        let names = m.artifact.value.items();
        if names.is_empty() {
            self.error(
                &m.artifact,
                "not-a-log",
                "`mixed_outcomes` needs at least one artifact",
                Some("write `artifact: connector-log` or a list such as `[connector-log, curl-test]`".into()),
            );
            return None;
        }
        let mut logs = Vec::new();
        let mut outcomes = Vec::new();
        let mut ok = true;
        for name in names {
            let named = Spanned::new(name.clone(), m.artifact.referenced, m.artifact.defined);
            let format = self
                .map
                .kind(name)
                .and_then(|k| Some((k, self.map.format(k)?)));
            match format {
                Some((kind, format)) if super::yields_outcomes(format) => {
                    if !outcomes.contains(&kind) {
                        outcomes.push(kind);
                    }
                }
                Some((kind, format)) if format.is_log() => {
                    if logs.iter().any(|l: &super::MixedLog| l.artifact == kind) {
                        continue;
                    }
                    let success = self.pattern(&m.success, kind, Vec::new());
                    let failure = self.pattern(&m.failure, kind, Vec::new());
                    match (success, failure) {
                        (Some(success), Some(failure)) => logs.push(super::MixedLog {
                            artifact: kind,
                            success,
                            failure,
                        }),
                        _ => ok = false,
                    }
                }
                Some((kind, _)) => {
                    self.error(&named, "not-a-log", format!("`{kind}` has neither log lines nor connection outcomes; mixed_outcomes reads {}", self.kinds_named(|f| f.is_log() || super::yields_outcomes(f))), Some("use a fact condition for snapshot artifacts".into()));
                    ok = false;
                }
                None => {
                    ok &= self.artifact(&named).is_some();
                }
            }
        }
        ok.then_some(Cond::Mixed { logs, outcomes })
    }

    /// The loaded kinds whose format passes `keep`, as a sentence (`a, b or c`).
    fn kinds_named(&self, keep: impl Fn(crate::artifacts::Format) -> bool) -> String {
        let names: Vec<&str> = self
            .map
            .kinds()
            .filter(|k| keep(k.format))
            .map(|k| k.kind.as_str())
            .collect();
        match names.split_last() {
            None => "no loaded kind".into(),
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }

    fn artifact(&mut self, at: &Spanned<String>) -> Option<ArtifactKind> {
        match self.map.kind(&at.value) {
            Some(kind) if self.map.is_log(kind) => Some(kind),
            Some(kind) => {
                self.error(
                    at,
                    "not-a-log",
                    format!(
                        "`{kind}` is not a log; line conditions read {}",
                        self.kinds_named(crate::artifacts::Format::is_log)
                    ),
                    Some("use a fact condition for snapshot artifacts".into()),
                );
                None
            }
            None => {
                let hint = did_you_mean(&at.value, self.map.kinds().map(|k| k.kind.as_str()));
                self.error(
                    at,
                    "unknown-artifact-kind",
                    format!("unknown artifact kind `{}`", at.value),
                    hint,
                );
                None
            }
        }
    }

    fn pattern(
        &mut self,
        spec: &Spanned<PatternSpec>,
        artifact: ArtifactKind,
        levels: Vec<String>,
    ) -> Option<usize> {
        let s = &spec.value;
        let text = match (&s.contains, &s.regex) {
            (Some(t), None) => PatternText::Substring {
                text: t.value.clone(),
                ignore_case: s.ignore_case,
            },
            (None, Some(r)) => PatternText::Regex {
                text: r.value.clone(),
                ignore_case: s.ignore_case,
            },
            _ => {
                self.error(
                    spec,
                    "pattern-shape",
                    "a pattern has exactly one of `contains` and `regex`",
                    None,
                );
                return None;
            }
        };
        match matcher::compile(&text) {
            Ok(re) => {
                let names: Vec<String> = re.capture_names().flatten().map(str::to_string).collect();
                self.captures.extend(names.iter().cloned());
                self.pattern_names.insert(*self.next_pattern, names);
            }
            Err(e) => {
                match s.regex.as_ref().or(s.contains.as_ref()) {
                    Some(at) if s.regex.is_some() => self.regex_error(at, &e),
                    Some(at) => self.error(
                        at,
                        "invalid-regex",
                        format!("pattern does not compile: {}", first_line(&e.to_string())),
                        None,
                    ),
                    None => {}
                }
                return None;
            }
        }
        let id = *self.next_pattern;
        *self.next_pattern += 1;
        self.patterns.push(LinePattern {
            id,
            artifact,
            text,
            levels,
            filter: Vec::new(),
            keep: Keep::default(),
        });
        Some(id)
    }

    fn lines(&mut self, at: &Spanned<LinesCondition>) -> Option<Cond> {
        let l = &at.value;
        let artifact = self.artifact(&l.artifact)?;
        let mut levels = Vec::new();
        for level in &l.levels {
            let v = level.value.to_ascii_lowercase();
            if [
                "trace", "debug", "info", "warning", "error", "fatal", "panic",
            ]
            .contains(&v.as_str())
            {
                levels.push(v);
            } else {
                self.error(
                    level,
                    "unknown-level",
                    format!("unknown log level `{}`", level.value),
                    Some("use trace, debug, info, warning, error, fatal or panic".into()),
                );
            }
        }
        let spec = Spanned::new(
            PatternSpec {
                contains: l.contains.clone(),
                regex: l.regex.clone(),
                ignore_case: l.ignore_case,
            },
            at.referenced,
            at.defined,
        );
        let Some(pattern) = self.pattern(&spec, artifact, levels) else {
            // The durations are still checked: one mistake does not hide the next.
            let mut ok = false;
            self.duration_of(&l.within, &mut ok);
            self.duration_of(&l.window, &mut ok);
            return None;
        };
        let host = match &l.host {
            None => None,
            Some(h) if h.value == "any" => None,
            Some(h) if self.domain.class(&h.value).is_some() => Some(h.value.clone()),
            Some(h) => {
                let classes: Vec<&str> = self.domain.classes().map(|c| c.name.as_str()).collect();
                self.error(
                    h,
                    "unknown-host-filter",
                    format!(
                        "`host: {}` is not `any` or a host class of the loaded packs ({})",
                        h.value,
                        classes.join(", ")
                    ),
                    did_you_mean(&h.value, classes.iter().copied()),
                );
                return None;
            }
        };
        let names = self.capture_names(pattern);
        let mut ok = true;
        let within = self.duration_of(&l.within, &mut ok);
        let window = self.duration_of(&l.window, &mut ok);
        let mut filter = Vec::new();
        if let Some(tests) = &l.where_ {
            for (name, test) in &tests.value {
                if !names.contains(name) {
                    let hint = did_you_mean(name, names.iter().map(String::as_str)).or(Some(
                        "`where` tests the named groups `(?<name>...)` of this condition's regex"
                            .into(),
                    ));
                    self.error(
                        test,
                        "unknown-where-capture",
                        format!("`where` tests `{name}`, which the regex does not capture"),
                        hint,
                    );
                    ok = false;
                    continue;
                }
                match self.capture_test(test) {
                    Some(t) => filter.push((name.clone(), t)),
                    None => ok = false,
                }
            }
        }
        let mut group = None;
        let grouped = match &l.group_by {
            None => false,
            Some(g) if g.value == "host" => true,
            Some(g) if names.contains(&g.value) => {
                if host.is_some() || l.recovered_by.is_some() {
                    self.error(
                        g,
                        "group-by-conflict",
                        format!("`group_by: {}` groups by a capture, which `host:` a class and `recovered_by` (both per host) cannot follow", g.value),
                        Some("use `group_by: host`, or drop `host:` / `recovered_by`".into()),
                    );
                    ok = false;
                }
                group = Some(g.value.clone());
                true
            }
            Some(g) => {
                let hint = did_you_mean(
                    &g.value,
                    std::iter::once("host").chain(names.iter().map(String::as_str)),
                );
                self.error(
                    g,
                    "invalid-group-by",
                    format!(
                        "`group_by: {}` is neither `host` nor a capture of the regex",
                        g.value
                    ),
                    hint,
                );
                ok = false;
                false
            }
        };
        let mut min_distinct = Vec::new();
        if let Some(md) = &l.min_distinct {
            for (name, n) in &md.value {
                if names.contains(name) {
                    min_distinct.push((name.clone(), (*n).max(1)));
                } else {
                    self.error(
                        md,
                        "unknown-distinct-capture",
                        format!("`min_distinct` counts `{name}`, which the regex does not capture"),
                        did_you_mean(name, names.iter().map(String::as_str)),
                    );
                    ok = false;
                }
            }
        }
        let min_count = l.min_count.as_ref().map(|m| m.value).unwrap_or(1).max(1);
        let recovery = match &l.recovered_by {
            Some(r) => Some(self.pattern(r, artifact, Vec::new())?),
            None => None,
        };
        if !ok {
            return None;
        }
        self.set_pattern(
            pattern,
            filter,
            Keep {
                // Time conditions count from them, and the report's timeline draws every
                // problem pattern's (each bounded by `--max-window-stamps`); a recovery pattern
                // keeps none.
                stamps: true,
                group,
                distinct: min_distinct.iter().map(|(n, _)| n.clone()).collect(),
            },
        );
        Some(Cond::Lines(Box::new(LinesCond {
            pattern,
            artifact,
            host,
            min_count,
            within,
            window,
            recovery,
            grouped,
            min_distinct,
        })))
    }

    /// A duration key, if given; a bad one is reported and clears `ok`.
    fn duration_of(&mut self, at: &Option<Spanned<String>>, ok: &mut bool) -> Option<i64> {
        let w = at.as_ref()?;
        match parse_duration(&w.value) {
            Some(secs) => Some(secs),
            None => {
                self.error(
                    w,
                    "invalid-duration",
                    format!("`{}` is not a duration", w.value),
                    Some("write 90s, 30m, 24h or 7d".into()),
                );
                *ok = false;
                None
            }
        }
    }

    /// The named groups of a compiled pattern of this rule.
    fn capture_names(&self, id: usize) -> Vec<String> {
        self.pattern_names.get(&id).cloned().unwrap_or_default()
    }

    fn set_pattern(&mut self, id: usize, filter: Vec<(String, CaptureTest)>, keep: Keep) {
        if let Some(p) = self.patterns.iter_mut().find(|p| p.id == id) {
            p.filter = filter;
            p.keep = keep;
        }
    }

    /// One `where` test: exactly one operator, its value of the operator's type.
    fn capture_test(&mut self, at: &Spanned<CaptureTestSpec>) -> Option<CaptureTest> {
        let t = &at.value;
        let ops = [
            t.equals.is_some(),
            t.not_equals.is_some(),
            t.in_.is_some(),
            t.not_in.is_some(),
            t.matches.is_some(),
            t.contains.is_some(),
            t.less_than.is_some(),
            t.at_least.is_some(),
            t.version_below.is_some(),
            t.version_at_least.is_some(),
            t.version_above.is_some(),
            t.version_at_most.is_some(),
        ];
        if ops.iter().filter(|o| **o).count() != 1 {
            self.error(
                at,
                "operator-count",
                "a `where` test needs exactly one operator",
                Some("equals, not_equals, in, not_in, matches, contains, less_than, at_least, version_below, version_at_least, version_above, version_at_most".into()),
            );
            return None;
        }
        let scalar = |v: &serde_json::Value| {
            matches!(
                v,
                serde_json::Value::String(_)
                    | serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
            )
        };
        for v in [&t.equals, &t.not_equals].into_iter().flatten() {
            if !scalar(&v.value) {
                self.error(
                    v,
                    "operator-type",
                    "a `where` value is text, a number or a boolean",
                    None,
                );
                return None;
            }
        }
        for v in [&t.in_, &t.not_in].into_iter().flatten() {
            if !v.value.iter().all(scalar) {
                self.error(
                    v,
                    "operator-type",
                    "`in` and `not_in` take a list of texts, numbers or booleans",
                    None,
                );
                return None;
            }
        }
        Some(if let Some(v) = &t.equals {
            CaptureTest::Equals(v.value.clone())
        } else if let Some(v) = &t.not_equals {
            CaptureTest::NotEquals(v.value.clone())
        } else if let Some(v) = &t.in_ {
            CaptureTest::In(v.value.clone())
        } else if let Some(v) = &t.not_in {
            CaptureTest::NotIn(v.value.clone())
        } else if let Some(v) = &t.matches {
            match regex::Regex::new(&v.value) {
                Ok(re) => CaptureTest::Matches(re),
                Err(e) => {
                    self.regex_error(v, &e);
                    return None;
                }
            }
        } else if let Some(v) = &t.contains {
            CaptureTest::Contains(v.value.clone())
        } else if let Some(v) = &t.less_than {
            CaptureTest::LessThan(v.value)
        } else if let Some(v) = &t.at_least {
            CaptureTest::AtLeast(v.value)
        } else if let Some(v) = &t.version_below {
            CaptureTest::VersionBelow(self.version(v)?)
        } else if let Some(v) = &t.version_at_least {
            CaptureTest::VersionAtLeast(self.version(v)?)
        } else if let Some(v) = &t.version_above {
            CaptureTest::VersionAbove(self.version(v)?)
        } else if let Some(v) = &t.version_at_most {
            CaptureTest::VersionAtMost(self.version(v)?)
        } else {
            return None;
        })
    }

    /// `sequence`: one pattern per step over the same log, each keeping its time stamps.
    fn sequence(&mut self, at: &Spanned<SequenceCondition>) -> Option<Cond> {
        let q = &at.value;
        let artifact = self.artifact(&q.artifact)?;
        let mut ok = true;
        let max_gap = self.duration_of(&Some(q.max_gap.clone()), &mut ok);
        let within = self.duration_of(&q.within, &mut ok);
        if q.steps.value.len() < 2 {
            self.error(
                &q.steps,
                "sequence-steps",
                format!(
                    "a sequence needs at least two steps, not {}",
                    q.steps.value.len()
                ),
                Some("for one pattern, use a `lines` condition".into()),
            );
            ok = false;
        }
        let mut steps = Vec::new();
        for step in &q.steps.value {
            match self.pattern(step, artifact, Vec::new()) {
                Some(id) => {
                    self.set_pattern(
                        id,
                        Vec::new(),
                        Keep {
                            stamps: true,
                            ..Keep::default()
                        },
                    );
                    steps.push(id);
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(Cond::Sequence {
            artifact,
            steps,
            max_gap: max_gap?,
            min_count: q.min_count.as_ref().map(|m| m.value).unwrap_or(1).max(1),
            within,
        })
    }

    /// `compare`: two facts of one type and an operator that fits it.
    fn compare(&mut self, at: &Spanned<CompareCondition>) -> Option<Cond> {
        let c = &at.value;
        let left = self.fact_type_of(&c.left);
        let right = self.fact_type_of(&c.right);
        let Some(&(_, op)) = CompareOp::ALL.iter().find(|(name, _)| *name == c.op.value) else {
            let hint = did_you_mean(&c.op.value, CompareOp::ALL.iter().map(|(n, _)| *n));
            self.error(
                &c.op,
                "unknown-compare-op",
                format!("`{}` is not a compare operator", c.op.value),
                hint.or(Some(
                    "equals, not_equals, less_than, at_least, version_below, version_at_least, version_above, version_at_most".into(),
                )),
            );
            return None;
        };
        let (left, right) = (left?, right?);
        let fits = match op {
            CompareOp::Equals | CompareOp::NotEquals => {
                matches!(
                    left,
                    FactType::Bool | FactType::Int | FactType::Text | FactType::Version
                )
            }
            CompareOp::LessThan | CompareOp::AtLeast => left == FactType::Int,
            _ => left == FactType::Version,
        };
        if left != right || !fits {
            self.error(
                &c.op,
                "compare-types",
                format!(
                    "`{}` cannot compare `{}` ({}) with `{}` ({})",
                    c.op.value,
                    c.left.value,
                    format!("{left:?}").to_lowercase(),
                    c.right.value,
                    format!("{right:?}").to_lowercase()
                ),
                Some("both facts need the same type, one the operator takes (version operators: versions; less_than/at_least: numbers)".into()),
            );
            return None;
        }
        let parts = match &c.parts {
            None => None,
            Some(p) if op.is_version() && p.value >= 1 => Some(p.value as usize),
            Some(p) => {
                self.error(
                    p,
                    "invalid-parts",
                    "`parts` is a number of version parts (1 or more), for version operators only",
                    None,
                );
                return None;
            }
        };
        Some(Cond::Compare {
            left: c.left.value.clone(),
            op,
            right: c.right.value.clone(),
            parts,
        })
    }

    fn finding(&mut self, at: &Spanned<FindingCondition>) -> Cond {
        let f = &at.value;
        self.finding_refs.push((
            f.rule.value.clone(),
            (f.rule.referenced.line(), f.rule.referenced.column()),
        ));
        Cond::Finding {
            rule: f.rule.value.clone(),
            status: f.status,
        }
    }

    /// The type of a fact a rule names, `manager.` scope included; unknown names are reported.
    fn fact_type_of(&mut self, name: &Spanned<String>) -> Option<FactType> {
        match fact_type(self.map.facts(), &name.value) {
            Some(ty) => Some(ty),
            None => {
                let hint = did_you_mean(
                    &name.value,
                    self.map.facts().iter().map(|f| f.name.as_str()),
                );
                self.error(
                    name,
                    "unknown-fact",
                    format!("unknown fact `{}`", name.value),
                    hint.or(Some("`fptriage facts --list` prints every fact; `manager.<fact>` reads a fact of the managing FMC".into())),
                );
                None
            }
        }
    }

    /// `any_record` / `all_records`: each `where` test is a fact operator on a declared field,
    /// checked against the field's type.
    fn records(&mut self, at: &Spanned<super::schema::RecordCondition>, all: bool) -> Option<Cond> {
        let r = &at.value;
        self.captures
            .extend(["record".to_string(), "records".to_string()]);
        let Some(def) = self.map.facts().lookup(&r.fact.value).cloned() else {
            let hint = did_you_mean(
                &r.fact.value,
                self.map.facts().iter().map(|f| f.name.as_str()),
            );
            self.error(
                &r.fact,
                "unknown-fact",
                format!("unknown fact `{}`", r.fact.value),
                hint.or(Some("`fptriage facts --list` prints every fact".into())),
            );
            return None;
        };
        if def.ty != FactType::Records {
            self.error(
                &r.fact,
                "operator-type",
                format!(
                    "`any_record`/`all_records` need a records fact; `{}` is {}",
                    def.name, def.ty
                ),
                None,
            );
            return None;
        }
        let mut tests = Vec::new();
        let mut ok = true;
        for (field, test) in &r.where_ {
            let Some(decl) = def.field(field) else {
                let hint = did_you_mean(field, def.fields.iter().map(|f| f.name.as_str()));
                self.error(
                    test,
                    "unknown-field",
                    format!("`{}` has no field `{field}`", def.name),
                    hint,
                );
                ok = false;
                continue;
            };
            let t = &test.value;
            if t.fact.is_some()
                || t.all.is_some()
                || t.any.is_some()
                || t.not.is_some()
                || t.lines.is_some()
                || t.mixed_outcomes.is_some()
                || t.any_record.is_some()
                || t.all_records.is_some()
            {
                self.error(
                    test,
                    "condition-shape",
                    format!(
                        "a `where` test on `{field}` is one operator, such as `{{at_least: 95}}`"
                    ),
                    None,
                );
                ok = false;
                continue;
            }
            let label = Spanned::new(
                format!("{}.{field}", def.name),
                test.referenced,
                test.defined,
            );
            match self.operator(&test.value, &label, decl.ty) {
                Some(op) => tests.push((field.clone(), op)),
                None => ok = false,
            }
        }
        ok.then_some(Cond::Records {
            name: def.name.clone(),
            all,
            tests,
        })
    }

    fn fact(&mut self, at: &Spanned<Condition>, name: &Spanned<String>) -> Option<Cond> {
        let ty = self.fact_type_of(name)?;
        let op = self.operator(&at.value, name, ty)?;
        Some(Cond::Fact {
            name: name.value.clone(),
            op,
        })
    }

    /// The one operator of a fact condition (or a `where` test), checked against the type of
    /// the fact (or field) `name` names.
    fn operator(&mut self, c: &Condition, name: &Spanned<String>, ty: FactType) -> Option<FactOp> {
        let ops = [
            c.equals.is_some(),
            c.not_equals.is_some(),
            c.in_.is_some(),
            c.not_in.is_some(),
            c.matches.is_some(),
            c.version_below.is_some(),
            c.version_at_least.is_some(),
            c.version_above.is_some(),
            c.version_at_most.is_some(),
            c.less_than.is_some(),
            c.at_least.is_some(),
            c.exists.is_some(),
            c.empty.is_some(),
            c.contains.is_some(),
        ];
        if ops.iter().filter(|o| **o).count() != 1 {
            self.error(
                name,
                "operator-count",
                format!("fact `{}` needs exactly one operator", name.value),
                Some("equals, not_equals, in, not_in, matches, version_below, version_at_least, version_above, version_at_most, less_than, at_least, exists, empty, contains".into()),
            );
            return None;
        }
        let wrong = |v: &mut Self, op: &str, wants: &str| {
            v.error(
                name,
                "operator-type",
                format!("`{op}` needs a {wants} fact; `{}` is {:?}", name.value, ty).to_lowercase(),
                None,
            );
            None
        };
        let op = if let Some(v) = &c.equals {
            FactOp::Equals(v.value.clone())
        } else if let Some(v) = &c.not_equals {
            FactOp::NotEquals(v.value.clone())
        } else if let Some(v) = &c.in_ {
            FactOp::In(v.value.clone())
        } else if let Some(v) = &c.not_in {
            FactOp::NotIn(v.value.clone())
        } else if let Some(v) = &c.matches {
            if ty != FactType::Text {
                return wrong(self, "matches", "text");
            }
            match regex::Regex::new(&v.value) {
                Ok(re) => FactOp::Matches(re),
                Err(e) => {
                    self.regex_error(v, &e);
                    return None;
                }
            }
        } else if let Some(v) = c
            .version_below
            .as_ref()
            .or(c.version_at_least.as_ref())
            .or(c.version_above.as_ref())
            .or(c.version_at_most.as_ref())
        {
            if ty != FactType::Version {
                return wrong(
                    self,
                    "version_below/version_at_least/version_above/version_at_most",
                    "version",
                );
            }
            let parsed = self.version(v)?;
            if c.version_below.is_some() {
                FactOp::VersionBelow(parsed)
            } else if c.version_at_least.is_some() {
                FactOp::VersionAtLeast(parsed)
            } else if c.version_above.is_some() {
                FactOp::VersionAbove(parsed)
            } else {
                FactOp::VersionAtMost(parsed)
            }
        } else if let Some(v) = c.less_than.as_ref().or(c.at_least.as_ref()) {
            if ty != FactType::Int && ty != FactType::Duration {
                return wrong(self, "less_than/at_least", "number");
            }
            if c.less_than.is_some() {
                FactOp::LessThan(v.value)
            } else {
                FactOp::AtLeast(v.value)
            }
        } else if let Some(v) = &c.exists {
            FactOp::Exists(v.value)
        } else if let Some(v) = &c.empty {
            if ty != FactType::List {
                return wrong(self, "empty", "list");
            }
            FactOp::Empty(v.value)
        } else if let Some(v) = &c.contains {
            if ty != FactType::List && ty != FactType::Text {
                return wrong(self, "contains", "list or text");
            }
            FactOp::Contains(v.value.clone())
        } else {
            return None;
        };
        if let FactOp::Equals(v) | FactOp::NotEquals(v) = &op
            && !value_fits(ty, v)
        {
            let (key, at) = match (&c.equals, &c.not_equals) {
                (Some(at), _) => ("equals", at),
                (_, Some(at)) => ("not_equals", at),
                _ => return None,
            };
            let ty_name = format!("{ty:?}").to_lowercase();
            let hint = match (ty, v) {
                (FactType::Int, serde_json::Value::String(t))
                    if t.trim().parse::<f64>().is_ok() =>
                {
                    Some(format!("write `{key}: {}` without quotes", t.trim()))
                }
                (FactType::Bool, serde_json::Value::String(t))
                    if matches!(t.trim(), "true" | "false") =>
                {
                    Some(format!("write `{key}: {}` without quotes", t.trim()))
                }
                (FactType::Text | FactType::Version, serde_json::Value::Number(n)) => {
                    Some(format!("quote it: `{key}: \"{n}\"`"))
                }
                _ => None,
            };
            self.error(
                at,
                "operator-type",
                format!(
                    "`{key}: {}` is {}, but `{}` is {} {ty_name} fact",
                    v,
                    match json_kind(v) {
                        "text" => "text",
                        "number" => "a number",
                        "boolean" => "true or false",
                        _ => "a structure",
                    },
                    name.value,
                    if ty_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    }
                ),
                hint,
            );
            return None;
        }
        Some(op)
    }
}

fn value_fits(ty: FactType, v: &serde_json::Value) -> bool {
    matches!(
        (ty, v),
        (FactType::Bool, serde_json::Value::Bool(_))
            | (
                FactType::Int | FactType::Duration,
                serde_json::Value::Number(_)
            )
            | (
                FactType::Text | FactType::Version,
                serde_json::Value::String(_)
            )
    )
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "text",
        _ => "structured",
    }
}

/// The place of byte `offset` of a scalar's value, the scalar being at `line:column` of `text`:
/// quotes and escapes are stepped over on the scalar's line; a block scalar (`|`) or a scalar
/// over several lines gives the scalar's own place when the offset is not on its first line.
fn place_in_scalar(text: &str, line: u64, column: u64, value: &str, offset: usize) -> (u64, u64) {
    let Some(src) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return (line, column);
    };
    let raw: Vec<char> = src
        .chars()
        .skip(column.saturating_sub(1) as usize)
        .collect();
    let target = value.get(..offset).map(|v| v.chars().count()).unwrap_or(0);
    let (quote, mut i) = match raw.first() {
        Some('\'') => (Some('\''), 1),
        Some('"') => (Some('"'), 1),
        Some('|' | '>') => return (line, column),
        _ => (None, 0),
    };
    let mut decoded = 0;
    while decoded < target && i < raw.len() {
        i += match (quote, raw[i]) {
            (Some('\''), '\'') => 2,
            (Some('"'), '\\') => match raw.get(i + 1) {
                Some('x') => 4,
                Some('u') => 6,
                Some('U') => 10,
                _ => 2,
            },
            _ => 1,
        };
        decoded += 1;
    }
    if decoded < target {
        return (line, column);
    }
    (line, column + i as u64)
}

/// A regex's syntax error: its message and the byte offset in the pattern where it is.
fn regex_syntax_error(pattern: &str) -> Option<(String, usize)> {
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => None,
        Err(regex_syntax::Error::Parse(e)) => Some((e.kind().to_string(), e.span().start.offset)),
        Err(regex_syntax::Error::Translate(e)) => {
            Some((e.kind().to_string(), e.span().start.offset))
        }
        Err(e) => Some((first_line(&e.to_string()), 0)),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn unknown_key_hint(message: &str) -> Option<String> {
    // serde-saphyr: "unknown field `titel`, expected one of id, title, ... at line 2, column 1"
    let start = message.find("unknown field `")? + "unknown field `".len();
    let name = &message[start..start + message[start..].find('`')?];
    let list = message.split("expected one of ").nth(1)?;
    let list = list.split(" at line ").next().unwrap_or(list);
    let expected = list.split(',').map(|k| k.trim().trim_matches('`'));
    did_you_mean(name, expected)
}

impl Rule {
    fn with_facts_used(mut self) -> Self {
        let mut names = BTreeSet::new();
        self.when.facts(&mut names);
        self.facts_used = names.into_iter().collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_lookups_name_builtin_tables_and_fields() {
        let map = ArtifactMap::builtin();
        let mut found = Vec::new();
        check_lookups(&map, &builtin_domain(), &mut found);
        assert!(found.is_empty(), "{found:?}");
        let lookups = map
            .kinds()
            .flat_map(|k| map.fact_specs(k.kind))
            .filter(|s| s.lookup.is_some())
            .count();
        assert_eq!(lookups, 1);
        // Without the tables, the same lookup is an error at its place.
        check_lookups(&map, &Domain::default(), &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "unknown-domain-table");
        assert!(found[0].file.ends_with("sse/artifacts.yaml"), "{found:?}");
    }

    fn source(relative: &str, text: &str) -> RuleSource {
        RuleSource {
            relative: relative.into(),
            origin: relative.into(),
            text: text.into(),
        }
    }

    const GOOD: &str = "id: t/a\ntitle: A\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.port\n  at_least: 1\nmessage: m\nremediation: r\n";

    #[test]
    fn a_good_rule_loads() {
        let (set, diags) = load(&[source("t/a.yaml", GOOD)]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].facts_used, vec!["connector.port"]);
    }

    #[test]
    fn mixed_outcomes_reads_one_artifact_or_a_list() {
        let rule = |artifact: &str| {
            format!(
                "id: t/a\ntitle: A\nseverity: warning\ndescription: d\nwhen:\n  mixed_outcomes:\n    artifact: {artifact}\n    failure: {{contains: timeout}}\n    success: {{contains: connected}}\nmessage: '{{{{ working_addresses }}}}'\nremediation: r\n"
            )
        };
        let (set, diags) = load(&[source("t/a.yaml", &rule("connector-log"))]);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(matches!(&set.rules[0].when, Cond::Mixed { logs, outcomes }
            if logs.len() == 1 && outcomes.is_empty()));
        // Each log kind gets its own patterns; curl-test is read as outcomes; repeats count once.
        let (set, diags) = load(&[source(
            "t/a.yaml",
            &rule("[connector-log, curl-test, syslog, curl-test]"),
        )]);
        assert!(diags.is_empty(), "{diags:?}");
        let Cond::Mixed { logs, outcomes } = &set.rules[0].when else {
            panic!("not a mixed_outcomes condition");
        };
        let kinds: Vec<ArtifactKind> = logs.iter().map(|l| l.artifact).collect();
        let kind = |name| ArtifactKind::lookup(name).unwrap();
        assert_eq!(kinds, [kind("connector-log"), kind("syslog")]);
        assert_eq!(outcomes, &[kind("curl-test")]);
        assert_eq!(set.patterns.len(), 4);
        for bad in ["[connector-log, pmtool-status]", "[]"] {
            let got = codes(&rule(bad));
            assert_eq!(got.len(), 1, "{bad}: {got:?}");
            assert_eq!(got[0].0, "not-a-log", "{bad}");
        }
        assert_eq!(codes(&rule("[conector-log]"))[0].0, "unknown-artifact-kind");
    }

    fn codes(text: &str) -> Vec<(&'static str, u64, u64)> {
        load(&[source("t/a.yaml", text)])
            .1
            .into_iter()
            .map(|d| (d.code, d.line, d.column))
            .collect()
    }

    /// As [`codes`], with the built-in packs' domain tables loaded (`host: sse` names a class).
    fn codes_with_domain(text: &str) -> Vec<(&'static str, u64, u64)> {
        let mut sources: Vec<RuleSource> = builtin_sources()
            .into_iter()
            .filter(|s| is_domain_file(&s.relative))
            .collect();
        sources.push(source("t/a.yaml", text));
        load(&sources)
            .1
            .into_iter()
            .map(|d| (d.code, d.line, d.column))
            .collect()
    }

    #[test]
    fn each_problem_has_its_code_and_place() {
        assert_eq!(
            codes(&GOOD.replace("fact: connector.port", "fact: connector.prot")),
            vec![("unknown-fact", 6, 9)]
        );
        assert_eq!(
            codes(&GOOD.replace("id: t/a", "id: t/b")),
            vec![("id-path-mismatch", 1, 5)]
        );
        assert_eq!(
            codes(&GOOD.replace("at_least: 1", "matches: x")),
            vec![("operator-type", 6, 9)]
        );
        assert_eq!(
            codes(&GOOD.replace("message: m", "message: '{{ hostt }}'")),
            vec![("undefined-capture", 8, 14)]
        );
        assert_eq!(
            codes(&GOOD.replace("message: m", "message: '{{ x '")),
            vec![("invalid-template", 8, 14)]
        );
        assert_eq!(
            codes(&GOOD.replace("title: A", "titel: A")),
            vec![("missing-field", 1, 1), ("unknown-key", 2, 1)]
        );
        let lines = GOOD.replace(
            "  fact: connector.port\n  at_least: 1\n",
            "  lines:\n    artifact: connector-log\n    regex: '(unclosed'\n",
        );
        // The caret is on the group left open, after the quote.
        assert_eq!(codes(&lines), vec![("invalid-regex", 8, 13)]);
        let range = GOOD.replace(
            "when:",
            "applies_to:\n  version: {min: '7.0', below: '6.5'}\nwhen:",
        );
        assert_eq!(codes(&range)[0].0, "empty-version-range");
    }

    #[test]
    fn explains_must_exist_and_not_cycle() {
        let a = GOOD.replace("remediation: r", "remediation: r\nexplains: [t/b, t/zz]");
        let b = GOOD
            .replace("id: t/a", "id: t/b")
            .replace("remediation: r", "remediation: r\nexplains: [t/a]");
        let (_, diags) = load(&[source("t/a.yaml", &a), source("t/b.yaml", &b)]);
        let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"unknown-explains"), "{codes:?}");
        assert!(codes.contains(&"explains-cycle"), "{codes:?}");
    }

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        load(&[source("t/a.yaml", text)]).1
    }

    #[test]
    fn messages_point_at_the_mistake() {
        // A regex error inside the string: the caret on it, quotes and escapes stepped over.
        for (regex, column) in [
            // `[` is allowed in a group name, `-` is not.
            ("'ab(?P<x[a-z])'", 22),
            ("ab(?P<x[a-z])", 21),
            ("\"a\\\\b(?P<x[a-z])\"", 24),
        ] {
            let text = GOOD.replace(
                "  fact: connector.port\n  at_least: 1\n",
                &format!("  lines:\n    artifact: connector-log\n    regex: {regex}\n"),
            );
            let d = diagnostics(&text);
            assert_eq!(
                (d[0].code, d[0].line, d[0].column),
                ("invalid-regex", 8, column),
                "{regex}: {d:?}"
            );
            assert!(
                d[0].message.contains("invalid capture group character"),
                "{d:?}"
            );
        }
        // `"\S"`: a YAML escape error, and the hint to use single quotes.
        let d = diagnostics(&GOOD.replace("message: m", "message: \"x \\S\""));
        assert_eq!(d[0].code, "yaml-syntax");
        assert!(
            d[0].hint.as_deref().unwrap().contains("single quotes"),
            "{d:?}"
        );
        assert!(!d[0].message.contains(" at char "), "{d:?}");
        // `equals: "8989"` on an int fact: at the value, saying what to write.
        let d = diagnostics(&GOOD.replace("at_least: 1", "equals: \"8989\""));
        assert_eq!(
            (d[0].code, d[0].line, d[0].column),
            ("operator-type", 7, 11)
        );
        assert!(
            d[0].message
                .contains("is text, but `connector.port` is an int fact"),
            "{d:?}"
        );
        assert_eq!(
            d[0].hint.as_deref(),
            Some("write `equals: 8989` without quotes")
        );
        // A template error: the file's line and column, not the template's own.
        let d = diagnostics(&GOOD.replace("message: m", "message: |\n  one\n  two {{ count }\n"));
        assert_eq!(
            (d[0].code, d[0].line, d[0].column),
            ("invalid-template", 10, 16),
            "{d:?}"
        );
        assert!(!d[0].message.contains("<string>"), "{d:?}");
        // `within` at the top level: where it belongs, not a key that looks alike.
        let d = diagnostics(&format!("{GOOD}within: 7d\n"));
        assert_eq!((d[0].code, d[0].line), ("unknown-key", 10));
        assert_eq!(
            d[0].hint.as_deref(),
            Some("`within` belongs under `lines:` or `sequence:`")
        );
    }

    /// 1-based line and column of the first `marker` in `text`.
    fn place_of(text: &str, marker: &str) -> (u64, u64) {
        let at = text.find(marker).expect("marker");
        let line = text[..at].matches('\n').count() as u64 + 1;
        let column = (at - text[..at].rfind('\n').map_or(0, |n| n + 1)) as u64 + 1;
        (line, column)
    }

    fn with_when(when: &str) -> String {
        GOOD.replace("  fact: connector.port\n  at_least: 1\n", when)
    }

    #[test]
    fn the_new_conditions_load() {
        let cases = [
            "  lines: {artifact: connector-log, contains: x, min_count: 5, window: 1h, within: 7d}\n",
            "  lines: {artifact: syslog, regex: 'usage (?<pct>\\d+)%', where: {pct: {at_least: 95}}}\n",
            "  lines: {artifact: connector-log, regex: 'dial tcp (?<proxy>[0-9.]+)', min_distinct: {proxy: 2}}\n",
            "  lines: {artifact: connector-log, contains: 'timed out', group_by: host, min_count: 3}\n",
            "  lines: {artifact: connector-log, regex: 'pid (?<pid>\\d+)', group_by: pid, min_count: 2}\n",
            "  sequence: {artifact: connector-log, max_gap: 30s, steps: [{contains: a}, {regex: b}]}\n",
            "  compare: {left: device.version, op: version_above, right: manager.device.version, parts: 3}\n",
            "  fact: manager.license.registration\n  equals: EVALUATION\n",
            "  fact: device.version\n  version_above: '7.0'\n",
            "  fact: device.version\n  version_at_most: '7.0'\n",
        ];
        for when in cases {
            let (set, diags) = load(&[source("t/a.yaml", &with_when(when))]);
            assert!(diags.is_empty(), "{when}: {diags:?}");
            assert_eq!(set.rules.len(), 1, "{when}");
        }
        // Problem patterns keep stamps (time conditions, the report's timeline); where, group and
        // distinct reach the set.
        let (set, _) = load(&[source("t/a.yaml", &with_when(cases[0]))]);
        assert!(set.patterns[0].keep.stamps);
        let (set, _) = load(&[source("t/a.yaml", &with_when(cases[1]))]);
        assert!(set.patterns[0].keep.stamps);
        assert_eq!(set.patterns[0].filter.len(), 1);
        let (set, _) = load(&[source("t/a.yaml", &with_when(cases[2]))]);
        assert_eq!(set.patterns[0].keep.distinct, ["proxy"]);
        let (set, _) = load(&[source("t/a.yaml", &with_when(cases[4]))]);
        assert_eq!(set.patterns[0].keep.group.as_deref(), Some("pid"));
        let (set, _) = load(&[source("t/a.yaml", &with_when(cases[5]))]);
        assert!(set.patterns.iter().all(|p| p.keep.stamps));
        assert_eq!(set.patterns.len(), 2);
    }

    #[test]
    fn each_new_mistake_has_its_code_and_place() {
        // (condition, code, the text the diagnostic must point at)
        let cases: &[(&str, &str, &str)] = &[
            (
                "  lines: {artifact: connector-log, contains: x, window: 1 hour}\n",
                "invalid-duration",
                "1 hour",
            ),
            (
                "  lines: {artifact: syslog, regex: 'usage (?<pct>\\d+)%', where: {pc: {at_least: 95}}}\n",
                "unknown-where-capture",
                "{at_least",
            ),
            (
                "  lines: {artifact: syslog, regex: 'usage (?<pct>\\d+)%', where: {pct: {at_least: 95, less_than: 99}}}\n",
                "operator-count",
                "{at_least",
            ),
            (
                "  lines: {artifact: syslog, regex: 'usage (?<pct>\\d+)%', where: {pct: {version_above: 7.0.x}}}\n",
                "invalid-version",
                "7.0.x",
            ),
            (
                "  lines: {artifact: connector-log, contains: x, group_by: hots}\n",
                "invalid-group-by",
                "hots",
            ),
            (
                "  lines: {artifact: connector-log, regex: '(?<p>x)', group_by: p, host: sse}\n",
                "group-by-conflict",
                "p, host",
            ),
            (
                "  lines: {artifact: connector-log, regex: '(?<p>x)', min_distinct: {q: 2}}\n",
                "unknown-distinct-capture",
                "{q: 2}",
            ),
            (
                "  sequence: {artifact: connector-log, max_gap: 30s, steps: [{contains: a}]}\n",
                "sequence-steps",
                "[{contains",
            ),
            (
                "  sequence: {artifact: connector-log, max_gap: soon, steps: [{contains: a}, {contains: b}]}\n",
                "invalid-duration",
                "soon",
            ),
            (
                "  compare: {left: device.version, op: newer, right: manager.device.version}\n",
                "unknown-compare-op",
                "newer",
            ),
            (
                "  compare: {left: device.version, op: equals, right: connector.port}\n",
                "compare-types",
                "equals",
            ),
            (
                "  compare: {left: device.version, op: equals, right: manager.device.version, parts: 2}\n",
                "invalid-parts",
                "2}",
            ),
            (
                "  compare: {left: device.version, op: equals, right: manager.device.vers}\n",
                "unknown-fact",
                "manager.device.vers",
            ),
            (
                "  fact: device.version\n  version_below: '7.0.2-beta'\n",
                "invalid-version",
                "'7.0.2-beta'",
            ),
        ];
        for (when, code, marker) in cases {
            let text = with_when(when);
            let (line, column) = place_of(&text, marker);
            assert_eq!(
                codes_with_domain(&text),
                vec![(*code, line, column)],
                "{when}"
            );
        }
        let range = GOOD.replace(
            "when:",
            "applies_to:\n  version: {min: '7.0.x', below: '7.0.2-beta'}\nwhen:",
        );
        assert_eq!(
            codes(&range),
            vec![("invalid-version", 6, 18), ("invalid-version", 6, 34)]
        );
    }

    #[test]
    fn one_run_reports_every_problem_of_a_file() {
        let text = "id: t/a\ntitle: A\nseverity: critcal\ndescripton: d\nwhen:\n  all:\n    - fact: connector.prot\n      equals: 1\n    - lines:\n        artifact: connector-log\n        regx: x\n        min_count: five\n        within: 1 hour\nmessage: '{{ hostt }}'\nremediation: r\n";
        let got: Vec<_> = diagnostics(text)
            .into_iter()
            .map(|d| (d.code, d.line, d.column))
            .collect();
        assert_eq!(
            got,
            vec![
                ("missing-field", 1, 1),
                ("unknown-value", 3, 11),
                ("unknown-key", 4, 1),
                ("unknown-fact", 7, 13),
                ("pattern-shape", 10, 9),
                ("unknown-key", 11, 9),
                ("wrong-type", 12, 20),
                ("invalid-duration", 13, 17),
                ("undefined-capture", 14, 14),
            ]
        );
    }

    #[test]
    fn a_cycle_shows_its_path_and_no_rule_suggests_itself() {
        let a = GOOD.replace("remediation: r", "remediation: r\nexplains: [t/b]");
        let b = GOOD
            .replace("id: t/a", "id: t/b")
            .replace("remediation: r", "remediation: r\nexplains: [t/c]");
        let c = GOOD
            .replace("id: t/a", "id: t/c")
            .replace("remediation: r", "remediation: r\nexplains: [t/a]");
        let (_, d) = load(&[
            source("t/a.yaml", &a),
            source("t/b.yaml", &b),
            source("t/c.yaml", &c),
        ]);
        let cycle = d.iter().find(|d| d.file == "t/a.yaml").unwrap();
        assert_eq!(cycle.code, "explains-cycle");
        assert!(
            cycle
                .message
                .ends_with("t/a explains t/b explains t/c explains t/a"),
            "{cycle:?}"
        );
        let alone = GOOD.replace("remediation: r", "remediation: r\nexplains: [t/b]");
        let d = diagnostics(&alone);
        assert_eq!(d[0].code, "unknown-explains");
        assert_eq!(d[0].hint, None, "{d:?}");
    }

    #[test]
    fn findings_and_explained_by_must_exist_and_not_cycle() {
        let finding = |id: &str, on: &str| {
            GOOD.replace("id: t/a", &format!("id: t/{id}")).replace(
                "  fact: connector.port\n  at_least: 1\n",
                &format!("  finding: {{rule: t/{on}, status: current}}\n"),
            )
        };
        // t/a reads t/b, t/b reads t/a: both left out, the cycle shown; t/c names nothing loaded.
        let (set, diags) = load(&[
            source("t/a.yaml", &finding("a", "b")),
            source("t/b.yaml", &finding("b", "a")),
            source("t/c.yaml", &finding("c", "zz")),
            source("t/d.yaml", &GOOD.replace("id: t/a", "id: t/d")),
            source("t/e.yaml", &finding("e", "d")),
        ]);
        let got: Vec<(&str, &str, u64, u64)> = diags
            .iter()
            .map(|d| (d.code, d.file.as_str(), d.line, d.column))
            .collect();
        assert!(
            got.contains(&("unknown-finding-rule", "t/c.yaml", 6, 19)),
            "{got:?}"
        );
        assert!(
            got.contains(&("finding-cycle", "t/a.yaml", 6, 19)),
            "{got:?}"
        );
        assert!(
            diags.iter().any(|d| d.message.contains("t/a → t/b → t/a")),
            "{diags:?}"
        );
        let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["t/d", "t/e"]);
        let order = evaluation_order(&set.rules);
        assert_eq!(order, [0, 1]);

        let by = GOOD.replace(
            "remediation: r",
            "remediation: r\nexplained_by: [t/b, t/zz]",
        );
        let b = GOOD
            .replace("id: t/a", "id: t/b")
            .replace("remediation: r", "remediation: r\nexplained_by: [t/a]");
        let (set, diags) = load(&[source("t/a.yaml", &by), source("t/b.yaml", &b)]);
        let codes: Vec<_> = diags.iter().map(|d| (d.code, d.line, d.column)).collect();
        assert!(
            codes.contains(&("unknown-explained-by", 10, 21)),
            "{codes:?}"
        );
        assert!(codes.iter().any(|c| c.0 == "explains-cycle"), "{codes:?}");
        assert_eq!(set.rules[0].explained_by, ["t/b"]);
    }

    #[test]
    fn rules_run_after_the_findings_they_read() {
        let finding = |id: &str, on: &str| {
            GOOD.replace("id: t/a", &format!("id: t/{id}")).replace(
                "  fact: connector.port\n  at_least: 1\n",
                &format!("  finding: {{rule: t/{on}}}\n"),
            )
        };
        let (set, diags) = load(&[
            source("t/a.yaml", &finding("a", "c")),
            source("t/b.yaml", &GOOD.replace("id: t/a", "id: t/b")),
            source("t/c.yaml", &finding("c", "b")),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let ids: Vec<&str> = evaluation_order(&set.rules)
            .into_iter()
            .map(|i| set.rules[i].id.as_str())
            .collect();
        assert_eq!(ids, ["t/b", "t/c", "t/a"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Any edit of a rule file (characters YAML and templates care about, anywhere) gives
        /// diagnostics, never a panic, and every diagnostic points inside the file.
        #[test]
        fn no_edit_of_a_rule_panics(
            edits in proptest::collection::vec(
                (0usize..400, proptest::sample::select(vec![
                    "", ":", "\"", "'", "\\", "{", "}", "[", "]", "- ", "\n", "  ", "#", "&a", "*a",
                    "{{", "}}", "é", "(?P<", "|\n", "~", "!!str ",
                ]), proptest::bool::ANY),
                1..6,
            )
        ) {
            let mut text = format!("{GOOD}applies_to: {{version: {{min: '6.4'}}}}\nexplains: [t/b]\n");
            for (at, what, delete) in edits {
                let mut at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if delete {
                    let end = text[at..].char_indices().nth(1).map_or(text.len(), |(i, _)| at + i);
                    text.replace_range(at..end, "");
                }
                text.insert_str(at, what);
            }
            let lines = text.lines().count().max(1) as u64 + 1;
            for d in diagnostics(&text) {
                proptest::prop_assert!(d.line >= 1 && d.line <= lines, "{d:?} in {text:?}");
            }
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Some(86400));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("1w"), None);
    }
}
