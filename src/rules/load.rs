//! Loading rule packs: parse with spans, then validate, collecting every problem.
//!
//! A rule file is read in two steps ([`read`]): its YAML tree's shape is checked field by field
//! against `rules/schema.json` ([`crate::yaml`]: syntax, unknown keys, missing fields, wrong
//! types, values outside a list, every one of them), then the text with the broken entries
//! blanked out is deserialised into [`super::schema`]'s structs and its meaning validated
//! (`super::validate`: unknown facts, operators that do not fit the fact's type, regexes and
//! templates that do not compile, captures a template uses but no regex defines, version ranges
//! that cannot match, ids that do not match their path); the loaded rules are then checked as a
//! graph (`super::graph`: explains naming unknown rules or forming a cycle). Each problem is a
//! [`Diagnostic`] with a stable code, a level and a place inside the value when it can be told
//! (a regex's error, a template's line). A broken rule is reported and left out; the others
//! load, and the set keeps the problems for the report. Where the files come from is
//! `super::sources`'s.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::validate::Validator;

use super::Rule;
pub use super::diagnostic::{Diagnostic, Level, merge, read};
pub use super::graph::evaluation_order;
use super::graph::{check_explains, check_findings};
pub use super::sources::{
    BUILTIN_RULES, DOMAIN_FILE, RuleSource, builtin_sources, folder_sources, is_domain_file,
};
pub use super::validate::{TEMPLATE_NAMES, fact_type, parse_duration};
use crate::artifacts::ArtifactMap;
use crate::domain::Domain;
use crate::matcher::LinePattern;
pub use crate::yaml::did_you_mean;

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
        diagnostics.extend(
            problems
                .into_iter()
                .map(|p| Diagnostic::of(p, &source.origin)),
        );
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

impl Rule {
    pub(super) fn with_facts_used(mut self) -> Self {
        let mut names = BTreeSet::new();
        self.when.facts(&mut names);
        self.facts_used = names.into_iter().collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::ArtifactKind;
    use crate::rules::Cond;

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
