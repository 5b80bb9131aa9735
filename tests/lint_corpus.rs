//! `rules lint` on a folder of deliberately broken rules, test files, artifact definitions and
//! domain tables (`tests/broken-rules`):
//! every mistake of every file is reported in one run, each with its code, line and column, and
//! nothing else is. Two files that relate (`site/cause` explains `site/symptom`) are loaded
//! together and raise nothing.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

mod common;
use common::fptriage;

/// (file, code, line, column) of every error expected, with why it is an error.
const EXPECTED: &[(&str, &str, u64, u64)] = &[
    // A misspelt key hides neither the next one nor the missing fields.
    ("typos.yaml", "missing-field", 1, 1), // description
    ("typos.yaml", "missing-field", 1, 1), // remediation
    ("typos.yaml", "unknown-key", 4, 1),   // descripton
    ("typos.yaml", "pattern-shape", 7, 5), // no contains or regex left
    ("typos.yaml", "unknown-key", 8, 5),   // regx
    // A bad level does not hide `within: 1 hour`.
    ("levels.yaml", "unknown-level", 9, 14),
    ("levels.yaml", "invalid-duration", 10, 13),
    // A wrong type does not hide the unknown fact of the next condition.
    ("min-count.yaml", "wrong-type", 10, 20),
    ("min-count.yaml", "unknown-fact", 11, 13),
    // `within` at the top level: says where it belongs.
    ("top-within.yaml", "unknown-key", 5, 1),
    // `equals: "8989"` on an int: at the value.
    ("equals-int.yaml", "operator-type", 7, 11),
    // A regex error: at the `-` a group name cannot have, not the string's start.
    ("regex.yaml", "invalid-regex", 8, 29),
    // `"\S"`: at the backslash.
    ("escape.yaml", "yaml-syntax", 8, 19),
    // Template errors at the file's line and column.
    ("template.yaml", "invalid-template", 10, 16),
    ("template.yaml", "undefined-capture", 11, 22),
    // The cycle, from both ends.
    ("cycle-a.yaml", "explains-cycle", 8, 12),
    ("cycle-b.yaml", "explains-cycle", 8, 12),
    // A severity that is none does not hide the status or the regex.
    ("severity.yaml", "unknown-value", 3, 11),
    ("severity.yaml", "unknown-value", 4, 9),
    ("severity.yaml", "invalid-regex", 8, 13),
    ("id.yaml", "id-path-mismatch", 1, 5),
    ("id.yaml", "unknown-product", 6, 18),
    ("dup.yaml", "duplicate-key", 3, 1),
    // The new conditions' mistakes, beside each other.
    ("window.yaml", "invalid-duration", 11, 17),
    ("window.yaml", "sequence-steps", 16, 11),
    // Test files: a `fire:` typo, a rule id that is not loaded, a case without a name, a
    // wrong type, a bundle that is not there.
    ("cause.test.yaml", "unknown-key", 6, 7),
    ("cause.test.yaml", "unknown-test-rule", 7, 16),
    ("symptom.test.yaml", "missing-field", 2, 5),
    ("symptom.test.yaml", "wrong-type", 5, 23),
    ("symptom.test.yaml", "missing-bundle", 7, 13),
    // Artifact definitions: every shape problem of the file (a misspelt key, a wrong type, a
    // missing key), then the meaning of what is left (formats, parse modes, regexes, selectors,
    // a fact declared twice with two types, a kind that claims nothing).
    ("artifacts.yaml", "unknown-key", 3, 5),      // formt
    ("artifacts.yaml", "unknown-key", 12, 41),    // tyep, in a field
    ("artifacts.yaml", "unknown-parse", 13, 51),  // percnt
    ("artifacts.yaml", "wrong-type", 15, 14),     // content: a text, not a list
    ("artifacts.yaml", "unknown-format", 16, 13), // jsn
    ("artifacts.yaml", "missing-value-capture", 28, 16),
    ("artifacts.yaml", "invalid-regex", 32, 16),
    ("artifacts.yaml", "missing-field", 34, 9), // a fact without `type`
    ("artifacts.yaml", "bad-selector", 40, 61),
    ("artifacts.yaml", "fact-type-conflict", 41, 26), // site.level: int, then text
    ("artifacts.yaml", "artifact-matches-nothing", 42, 11),
    ("artifacts.yaml", "missing-field", 44, 5), // an entry without `kind`
    // Domain tables, the same way.
    ("domain.yaml", "unknown-key", 3, 5), // descripton
    ("domain.yaml", "wrong-type", 4, 13), // public: yes-please
    ("domain.yaml", "invalid-host-pattern", 5, 13),
    ("domain.yaml", "missing-field", 6, 19), // address_host without `default`
    ("domain.yaml", "unknown-table-field", 13, 43),
    ("domain.yaml", "missing-field", 14, 9), // an entry without `name`
    ("domain.yaml", "duplicate-entry", 15, 15),
];

#[test]
fn one_lint_run_reports_every_mistake_of_every_file() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken-rules");
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(&folder)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let name = |d: &Value| {
        Path::new(d["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let mut errors: Vec<(String, String, u64, u64)> = found
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            (
                name(d),
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String, u64, u64)> = EXPECTED
        .iter()
        .map(|(f, c, l, col)| (f.to_string(), c.to_string(), *l, *col))
        .collect();
    errors.sort();
    expected.sort();
    assert_eq!(errors, expected);
    let files: BTreeSet<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert!(files.len() >= 12, "{files:?}");
    // Warnings are a level of their own: each rule without a test, and nothing else.
    let warned: BTreeSet<String> = found
        .iter()
        .filter(|d| d["level"] == "warning")
        .inspect(|d| assert_eq!(d["code"], "no-test", "{d}"))
        .map(name)
        .collect();
    assert_eq!(warned.len(), 14, "{warned:?}");
    assert!(!warned.contains("cause.yaml") && !warned.contains("symptom.yaml"));
    // Every hint that makes a message clear is there.
    let hint = |file: &str, code: &str| -> String {
        found
            .iter()
            .find(|d| name(d) == file && d["code"] == code)
            .and_then(|d| d["hint"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(hint("top-within.yaml", "unknown-key").contains("under `lines:`"));
    assert!(hint("escape.yaml", "yaml-syntax").contains("single quotes"));
    assert_eq!(
        hint("equals-int.yaml", "operator-type"),
        "write `equals: 8989` without quotes"
    );
    assert_eq!(
        hint("cause.test.yaml", "unknown-key"),
        "did you mean `fires`?"
    );
    assert_eq!(
        hint("artifacts.yaml", "unknown-key"),
        "did you mean `format`?"
    );
    assert_eq!(
        hint("artifacts.yaml", "unknown-format"),
        "did you mean `json`?"
    );
    assert_eq!(
        hint("artifacts.yaml", "unknown-parse"),
        "did you mean `percent`?"
    );
    assert_eq!(
        hint("domain.yaml", "unknown-key"),
        "did you mean `description`?"
    );
}

#[test]
fn deny_warnings_fails_on_a_warning_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/untested.yaml"),
        "id: site/untested\ntitle: t\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.port\n  at_least: 1\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    let run = |deny: bool| {
        let mut cmd = fptriage();
        cmd.args(["rules", "lint"]).arg(dir.path());
        if deny {
            cmd.args(["--deny", "warnings"]);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = run(false);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("warning[no-test]") && said.contains("0 error(s), 1 warning(s)"),
        "{said}"
    );
    assert_eq!(run(true).0, Some(1));
}

#[test]
fn two_files_linted_together_are_loaded_together() {
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken-rules/site");
    // `site/cause` explains `site/symptom`: given as two files, the relation resolves.
    let out = fptriage()
        .args(["rules", "lint"])
        .arg(site.join("cause.yaml"))
        .arg(site.join("symptom.yaml"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("0 error(s), 0 warning(s)"), "{said}");
    // Alone, the explains is reported, and the rule is not offered as its own correction.
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(site.join("cause.yaml"))
        .output()
        .unwrap();
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "unknown-explains");
    assert!(
        !found[0]["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("site/cause"),
        "{found:?}"
    );
}
