//! The rule authors' guide (`rules/README.md`) and the editor schema (`rules/schema.json`)
//! cannot drift from the code: the fact table is the registry's, the lint codes and template
//! names are the loader's, every key the loader accepts is documented and in the schema (and
//! nothing else is), and the guide's examples lint clean and their tests pass.

use std::collections::BTreeSet;
use std::path::Path;

use fptriage::artifacts::ArtifactMap;
use fptriage::authoring::ruletest::TestFile;
use fptriage::facts::registry;
use fptriage::rules::load::{self, RuleSource, TEMPLATE_NAMES};
use fptriage::rules::schema::RuleFile;
use serde_json::Value;

mod common;
use common::fptriage;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn guide() -> String {
    std::fs::read_to_string(root().join("rules/README.md")).expect("rules/README.md")
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("rules/schema.json")).unwrap())
        .expect("rules/schema.json is JSON")
}

/// The table of section 13, as the built-in packs' declarations give it.
fn facts_table() -> String {
    let mut t = String::from("| fact | type | from | meaning |\n|---|---|---|---|\n");
    for f in registry::builtin().iter() {
        t.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.name, f.ty, f.source, f.description
        ));
    }
    t
}

#[test]
fn the_fact_table_is_the_registry() {
    let g = guide();
    let start = g.find("<!-- facts:begin").expect("facts:begin marker");
    let start = start + g[start..].find('\n').unwrap() + 1;
    let end = g.find("<!-- facts:end -->").expect("facts:end marker");
    let expected = facts_table();
    assert!(
        g[start..end] == expected,
        "the fact table of rules/README.md differs from the built-in declarations; replace it with:\n{expected}"
    );
}

#[test]
fn every_lint_code_and_template_name_is_documented() {
    let g = guide();
    let kebab = regex::Regex::new(r#""([a-z]+(?:-[a-z]+)+)""#).unwrap();
    let map = ArtifactMap::builtin();
    let kinds: Vec<&str> = map.kinds().map(|k| k.kind.as_str()).collect();
    let mut codes = BTreeSet::new();
    for file in [
        "src/rules/load.rs",
        "src/rules/graph.rs",
        "src/rules/validate/mod.rs",
        "src/rules/validate/conditions.rs",
        "src/rules/validate/facts.rs",
        "src/rules/validate/lines.rs",
        "src/rules/validate/templates.rs",
        "src/yaml/shape.rs",
        "src/yaml/read.rs",
        "src/authoring/ruletest.rs",
        "src/artifacts/mod.rs",
        "src/artifacts/spec.rs",
        "src/domain/load.rs",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for c in kebab.captures_iter(code) {
            let c = c[1].to_string();
            // Not codes: the built-in origin, a naming rule, the rule tests' temporary folder prefix.
            if !kinds.contains(&c.as_str())
                && !["built-in", "kebab-case", "fptriage-test"].contains(&c.as_str())
            {
                codes.insert(c);
            }
        }
    }
    assert!(codes.len() >= 20, "{codes:?}");
    for c in &codes {
        assert!(
            g.contains(&format!("| `{c}` |")),
            "lint code `{c}` is not in the lint code table of rules/README.md"
        );
    }
    let templates = &g[g.find("## 7.").expect("section 7")..g.find("## 8.").expect("section 8")];
    for name in TEMPLATE_NAMES {
        assert!(
            templates.contains(&format!("`{name}`")),
            "template variable `{name}` is not documented in rules/README.md"
        );
    }
}

const RULE: &str = "id: t/a\ntitle: A\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.port\n  at_least: 1\nmessage: m\nremediation: r\n";

fn diagnostics(text: &str) -> Vec<load::Diagnostic> {
    load::load(&[RuleSource {
        relative: "t/a.yaml".into(),
        origin: "t/a.yaml".into(),
        text: text.into(),
    }])
    .1
}

/// The keys a serde "unknown field `zzz`, expected one of `a`, `b`" message lists.
fn expected_keys(message: &str) -> BTreeSet<String> {
    let line = message
        .lines()
        .find(|l| l.contains("unknown field `zzz`"))
        .unwrap_or_else(|| panic!("no unknown-field error in {message:?}"));
    // serde-saphyr: "unknown field `zzz`, expected one of a, b, c at line 1, column 1"
    // (serde proper would quote the names, and says "expected `a` or `b`" for two).
    let rest = &line[line.find("expected ").expect("expected ...") + "expected ".len()..];
    let rest = rest.strip_prefix("one of ").unwrap_or(rest);
    let rest = rest.split(" at line ").next().unwrap();
    rest.split(", ")
        .flat_map(|p| p.split(" or "))
        .map(|k| k.trim().trim_matches('`').to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

/// Keys the rule structs accept where `zzz: 1` is placed (the loader checks shape with the
/// schema, then reads these structs: the two must agree).
fn rule_keys(text: &str) -> BTreeSet<String> {
    let d = diagnostics(text);
    assert!(
        d.iter()
            .any(|d| d.code == "unknown-key" && d.message.contains("`zzz`")),
        "{d:?}"
    );
    let e = serde_saphyr::from_str::<RuleFile>(text).expect_err("zzz is unknown");
    expected_keys(&e.to_string())
}

/// Keys the domain-table loader accepts where `zzz: 1` is placed (its shape check says `zzz`
/// is unknown there, among the file's other problems; its typed structs list what they take).
fn domain_keys(text: &str) -> BTreeSet<String> {
    let problems = fptriage::domain::load::parse(text).1;
    assert!(
        problems
            .iter()
            .any(|p| p.code == "unknown-key" && p.message.contains("`zzz`")),
        "{problems:?}"
    );
    expected_keys(&fptriage::domain::load::typed_read_error(text).expect("zzz is unknown"))
}

fn test_keys(text: &str) -> BTreeSet<String> {
    let e = serde_saphyr::from_str::<TestFile>(text).expect_err("zzz is unknown");
    expected_keys(&e.to_string())
}

/// The keys an artifact definitions file accepts where `text` puts `zzz`.
fn artifact_keys(text: &str) -> BTreeSet<String> {
    let e = fptriage::artifacts::ArtifactMap::builtin()
        .with_pack(&fptriage::artifacts::PackSource {
            pack: "t".into(),
            origin: "t/artifacts.yaml".into(),
            text: text.into(),
            builtin: false,
        })
        .expect_err("zzz is unknown");
    assert!(
        e.iter()
            .any(|e| e.code == "unknown-key" && e.message.contains("`zzz`")),
        "{e:?}"
    );
    expected_keys(&fptriage::artifacts::typed_read_error(text).expect("zzz is unknown"))
}

fn schema_keys(def: &str) -> BTreeSet<String> {
    schema()["definitions"][def]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no definition {def}"))
        .keys()
        .cloned()
        .collect()
}

fn schema_required(def: &str) -> BTreeSet<String> {
    schema()["definitions"][def]["required"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn with_when(when: &str) -> String {
    RULE.replace("when:\n  fact: connector.port\n  at_least: 1\n", when)
}

#[test]
fn the_schema_and_the_guide_have_every_key_the_loader_accepts_and_no_other() {
    let g = guide();
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        ("RuleFile", rule_keys(&format!("{RULE}zzz: 1\n"))),
        (
            "Applicability",
            rule_keys(&format!("{RULE}applies_to: {{zzz: 1}}\n")),
        ),
        (
            "VersionRange",
            rule_keys(&format!("{RULE}applies_to: {{version: {{zzz: 1}}}}\n")),
        ),
        ("I18n", rule_keys(&format!("{RULE}i18n: {{zzz: 1}}\n"))),
        (
            "Translation",
            rule_keys(&format!("{RULE}i18n: {{ja: {{zzz: 1}}}}\n")),
        ),
        ("Condition", rule_keys(&with_when("when: {zzz: 1}\n"))),
        (
            "LinesCondition",
            rule_keys(&with_when(
                "when: {lines: {artifact: connector-log, regex: x, zzz: 1}}\n",
            )),
        ),
        (
            "PatternSpec",
            rule_keys(&with_when(
                "when: {lines: {artifact: connector-log, regex: x, recovered_by: {zzz: 1}}}\n",
            )),
        ),
        (
            "MixedOutcomes",
            rule_keys(&with_when("when: {mixed_outcomes: {zzz: 1}}\n")),
        ),
        (
            "SequenceCondition",
            rule_keys(&with_when("when: {sequence: {zzz: 1}}\n")),
        ),
        (
            "CompareCondition",
            rule_keys(&with_when("when: {compare: {zzz: 1}}\n")),
        ),
        (
            "FindingCondition",
            rule_keys(&with_when("when: {finding: {zzz: 1}}\n")),
        ),
        (
            "CaptureTest",
            rule_keys(&with_when(
                "when: {lines: {artifact: connector-log, regex: '(?<a>x)', where: {a: {zzz: 1}}}}\n",
            )),
        ),
        ("ArtifactsFile", artifact_keys("zzz: 1\n")),
        (
            "ArtifactEntry",
            artifact_keys("artifacts: [{kind: x, zzz: 1}]\n"),
        ),
        (
            "ArtifactFact",
            artifact_keys("facts: {a.b: {type: text, zzz: 1}}\n"),
        ),
        (
            "ArtifactField",
            artifact_keys("facts: {a.b: {type: records, fields: {f: {zzz: 1}}}}\n"),
        ),
        ("TestFile", test_keys("zzz: 1\n")),
        ("TestCase", test_keys("cases: [{zzz: 1}]\n")),
        (
            "Expect",
            test_keys("cases: [{name: a, expect: {zzz: 1}}]\n"),
        ),
        (
            "ExpectFire",
            test_keys("cases: [{name: a, expect: {fires: [{zzz: 1}]}}]\n"),
        ),
        ("DomainFile", domain_keys("zzz: 1\n")),
        ("DomainClass", domain_keys("classes: {c: {zzz: 1}}\n")),
        (
            "AddressHost",
            domain_keys("classes: {c: {address_host: {zzz: 1}}}\n"),
        ),
        ("DomainTable", domain_keys("tables: {t: {zzz: 1}}\n")),
        (
            "DomainEntry",
            domain_keys("tables: {t: {entries: [{name: a, zzz: 1}]}}\n"),
        ),
    ];
    for (def, loader) in cases {
        assert_eq!(
            schema_keys(def),
            loader,
            "rules/schema.json definitions/{def} has other keys than the loader"
        );
        for key in &loader {
            assert!(
                g.contains(&format!("`{key}`")),
                "key `{key}` ({def}) is not documented in rules/README.md"
            );
        }
    }
}

#[test]
fn the_schema_requires_what_the_loader_requires() {
    // A rule with only the schema's required keys loads; without any one of them it does not.
    let required = schema_required("RuleFile");
    let lines: Vec<&str> = RULE.lines().collect();
    let minimal = RULE;
    assert!(diagnostics(minimal).is_empty());
    for key in [
        "id",
        "title",
        "severity",
        "description",
        "when",
        "message",
        "remediation",
    ] {
        assert!(
            required.contains(key),
            "schema: RuleFile must require {key}"
        );
        let without: String = lines
            .iter()
            .filter(|l| {
                let nested = key == "when" && l.starts_with("  ");
                !nested && !l.starts_with(&format!("{key}:"))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let d = diagnostics(&without);
        assert!(
            d.iter().any(|d| d.code == "missing-field"),
            "without {key}: {d:?}"
        );
    }
    assert_eq!(required.len(), 7, "{required:?}");
    assert_eq!(
        schema_required("LinesCondition"),
        BTreeSet::from(["artifact".to_string()])
    );
    assert!(
        diagnostics(&with_when("when: {lines: {regex: x}}\n"))
            .iter()
            .any(|d| d.code == "missing-field")
    );
    assert_eq!(schema_required("MixedOutcomes").len(), 3);
    assert_eq!(
        schema_required("SequenceCondition"),
        BTreeSet::from(["artifact", "max_gap", "steps"].map(String::from))
    );
    assert_eq!(
        schema_required("CompareCondition"),
        BTreeSet::from(["left", "op", "right"].map(String::from))
    );
    assert_eq!(
        schema_required("FindingCondition"),
        BTreeSet::from(["rule".to_string()])
    );
    for (when, missing) in [
        (
            "when: {sequence: {artifact: syslog, steps: []}}\n",
            "max_gap",
        ),
        (
            "when: {compare: {left: device.version, op: equals}}\n",
            "right",
        ),
        ("when: {finding: {status: current}}\n", "rule"),
    ] {
        let d = diagnostics(&with_when(when));
        assert!(
            d.iter()
                .any(|d| d.code == "missing-field" && d.message.contains(missing)),
            "{when}: {d:?}"
        );
    }
    assert!(serde_saphyr::from_str::<TestFile>("cases: []\n").is_ok());
    assert!(
        serde_saphyr::from_str::<TestFile>("cases: [{name: a, expect: {fires: [{rule: x}]}}]\n")
            .is_ok()
    );
    assert!(serde_saphyr::from_str::<TestFile>("cases: [{name: a}]\n").is_err());
    assert!(serde_saphyr::from_str::<TestFile>("cases: [{expect: {}}]\n").is_err());
    assert_eq!(schema_required("TestCase").len(), 2);
    assert_eq!(schema_required("ExpectFire").len(), 1);
}

#[test]
fn what_the_guide_says_of_the_schema_lint_and_versions_is_true() {
    let g = guide();
    // The draft the guide names is the one the schema declares.
    let declared = schema()["$schema"].as_str().unwrap().to_string();
    assert!(declared.contains("draft-07"), "{declared}");
    assert!(
        g.contains("JSON Schema (draft-07"),
        "the guide names another draft"
    );
    assert!(
        !g.contains("2020-12"),
        "the guide still names draft 2020-12"
    );
    // "prints every problem of every file": two mistakes of one file come out together.
    let d = diagnostics(
        &RULE
            .replace("title: A", "titel: A")
            .replace("at_least: 1", "at_least: many"),
    );
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&"unknown-key") && codes.contains(&"wrong-type"),
        "{codes:?}"
    );
    // "A version is read as written, quoted or not: `7.10` is 7.10".
    assert!(g.contains("`7.10` is 7.10"));
    let unquoted = RULE.replace("when:", "applies_to: {version: {min: 7.10}}\nwhen:");
    assert!(diagnostics(&unquoted).is_empty());
    let (set, _) = load::load(&[RuleSource {
        relative: "t/a.yaml".into(),
        origin: "t/a.yaml".into(),
        text: unquoted,
    }]);
    let min = set.rules[0].min_version.clone().unwrap();
    assert_eq!(min.to_string(), "7.10");
    assert!(min > fptriage::version::Version::parse("7.9").unwrap());
}

#[test]
fn the_guide_lists_the_built_in_kinds() {
    let g = guide();
    let line = g
        .lines()
        .position(|l| l.starts_with("- Kinds of the built-in pack:"))
        .expect("the kinds list of section 11");
    let text: String = g.lines().skip(line).take(3).collect::<Vec<_>>().join(" ");
    let text = &text[..text.find(" (`tests/guide.rs`").expect("end of the list")];
    let listed: BTreeSet<String> = regex::Regex::new(r"`([a-z-]+)`")
        .unwrap()
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    let map = ArtifactMap::builtin();
    let builtin: BTreeSet<String> = map
        .kinds()
        .filter(|k| k.pack == "sse")
        .map(|k| k.kind.as_str().to_string())
        .collect();
    assert_eq!(listed, builtin);
}

#[test]
fn the_schema_enums_are_the_code_s() {
    let s = schema();
    let defs = &s["definitions"];
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let facts: BTreeSet<String> = registry::builtin().iter().map(|f| f.name.clone()).collect();
    assert_eq!(
        strings(&defs["Condition"]["properties"]["fact"]["anyOf"][0]["enum"]),
        facts
    );
    let logs: BTreeSet<String> = ArtifactMap::builtin()
        .kinds()
        .filter(|k| k.format.is_log())
        .map(|k| k.kind.as_str().to_string())
        .collect();
    assert_eq!(
        strings(&defs["LinesCondition"]["properties"]["artifact"]["anyOf"][0]["enum"]),
        logs
    );
    for level in strings(&defs["LinesCondition"]["properties"]["levels"]["items"]["enum"]) {
        let d = diagnostics(&with_when(&format!(
            "when: {{lines: {{artifact: connector-log, regex: x, levels: [{level}]}}}}\n"
        )));
        assert!(d.is_empty(), "level {level}: {d:?}");
    }
    for severity in strings(&defs["Severity"]["enum"]) {
        let d = diagnostics(&RULE.replace("severity: warning", &format!("severity: {severity}")));
        assert!(d.is_empty(), "severity {severity}: {d:?}");
    }
}

/// The guide's examples marked `# file: <path>`, as (path, text).
fn guide_files() -> Vec<(String, String)> {
    let g = guide();
    let mut out = Vec::new();
    let mut rest = g.as_str();
    while let Some(start) = rest.find("```yaml\n# file: ") {
        let block = &rest[start + "```yaml\n".len()..];
        let end = block.find("\n```").expect("closed block");
        let body = &block[..end + 1];
        let (first, text) = body.split_once('\n').unwrap();
        out.push((
            first.trim_start_matches("# file: ").trim().to_string(),
            text.to_string(),
        ));
        rest = &block[end..];
    }
    out
}

#[test]
fn the_guide_s_examples_lint_clean_and_their_tests_pass() {
    let files = guide_files();
    assert!(
        files.iter().any(|(p, _)| p.ends_with(".test.yaml")),
        "the guide has no test example: {files:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in &files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let lint = fptriage()
        .args(["rules", "lint"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 error(s)"), "{stdout}");
    let test = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(!stdout.contains("0 passed"), "{stdout}");
}
