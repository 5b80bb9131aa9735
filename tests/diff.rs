//! `fptriage diff`: before and after a fix, on generated uploads of the same appliance (the
//! dns-failure FTD, its re-upload after the fix in case-reupload.tar, and a cut-off download).

use serde_json::Value;

mod common;
use common::{bundle, fptriage};

fn diff(before: &str, after: &str, extra: &[&str]) -> (Value, Option<i32>) {
    let out = fptriage()
        .arg("diff")
        .arg(bundle(before))
        .arg(bundle(after))
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (json, out.status.code())
}

fn rules(d: &Value, list: &str) -> Vec<String> {
    d[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_fixed_device_shows_its_findings_resolved_root_cause_first() {
    let (d, code) = diff(
        "dns-failure.tar.gz",
        "case-reupload.tar",
        &["--fail-on", "critical"],
    );
    assert_eq!(code, Some(0));
    let resolved = rules(&d, "resolved");
    assert_eq!(
        resolved.first().map(String::as_str),
        Some("sse/dns-failure")
    );
    assert!(resolved.contains(&"sse/cloud-unreachable".to_string()));
    assert!(rules(&d, "persisting").is_empty());
    assert!(rules(&d, "new").is_empty());
    assert_eq!(d["devices"].as_array().unwrap().len(), 1);
    assert_eq!(d["devices"][0]["matched_by"], "appliance-uuid");
    assert_eq!(d["resolved"][0]["root_cause"], true);
    assert!(d["resolved"][0]["after"].is_null());
}

#[test]
fn a_check_not_evaluated_after_is_unknown_never_resolved() {
    let (d, code) = diff(
        "dns-failure.tar.gz",
        "dns-failure-cut.tar.gz",
        &["--fail-on", "critical"],
    );
    let unknown = &d["unknown"].as_array().unwrap();
    let dns = unknown
        .iter()
        .find(|c| c["rule"] == "sse/dns-failure")
        .expect("dns-failure unknown");
    assert_eq!(dns["why_unknown"], "cut-off");
    assert!(!rules(&d, "resolved").contains(&"sse/dns-failure".to_string()));
    // What the cut-off upload still shows persists, and fails the gate.
    assert!(rules(&d, "persisting").contains(&"sse/cloud-unreachable".to_string()));
    assert_eq!(code, Some(1));
}

#[test]
fn a_problem_that_appears_after_is_new_and_fails_the_gate() {
    let (d, code) = diff("case-reupload.tar", "dns-failure.tar.gz", &[]);
    assert_eq!(code, Some(0));
    assert!(rules(&d, "new").contains(&"sse/dns-failure".to_string()));
    assert!(rules(&d, "resolved").is_empty());
    let (_, code) = diff(
        "case-reupload.tar",
        "dns-failure.tar.gz",
        &["--fail-on", "warning"],
    );
    assert_eq!(code, Some(1));
}

#[test]
fn diff_renders_markdown_and_html_and_checks_its_arguments() {
    for (format, marker) in [("md", "## Resolved"), ("html", "<section id=\"resolved\">")] {
        let out = fptriage()
            .arg("diff")
            .args(["--before"])
            .arg(bundle("dns-failure.tar.gz"))
            .arg("--after")
            .arg(bundle("case-reupload.tar"))
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{format}: {text}");
        assert!(text.contains("dns-failure"), "{format}");
    }
    let out = fptriage()
        .arg("diff")
        .arg(bundle("dns-failure.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// (rule, device name) pairs of one list of a diff.
fn pairs(v: &Value) -> std::collections::BTreeSet<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| match c {
            Value::Array(p) => (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            ),
            c => (
                c["rule"].as_str().unwrap().to_string(),
                c["device_name"].as_str().unwrap().to_string(),
            ),
        })
        .collect()
}

#[test]
fn generated_before_and_after_uploads_give_the_expected_changes() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle("expected-diffs.json")).unwrap())
            .unwrap();
    for (name, want) in expected.as_object().unwrap() {
        let mut cmd = fptriage();
        cmd.arg("diff").arg("--before");
        for f in want["before"].as_array().unwrap() {
            cmd.arg(bundle(f.as_str().unwrap()));
        }
        cmd.arg("--after");
        for f in want["after"].as_array().unwrap() {
            cmd.arg(bundle(f.as_str().unwrap()));
        }
        let out = cmd.args(["--format", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        for list in ["resolved", "persisting", "new"] {
            assert_eq!(pairs(&got[list]), pairs(&want[list]), "{name}: {list}");
        }
        assert!(got["unknown"].as_array().unwrap().is_empty(), "{name}");
    }
}
