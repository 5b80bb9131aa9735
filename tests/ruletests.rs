//! `fptriage rules test`: the built-in pack's tests pass, every built-in rule has a firing and a
//! silent case, and a wrong expectation fails with a readable difference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;
use common::{fptriage, pack};

#[test]
fn the_builtin_pack_passes_its_tests_with_two_cases_per_rule() {
    let out = fptriage().args(["rules", "test"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("ok    ")
            && let Some((file, _)) = rest.split_once(".test.yaml :: ")
        {
            *cases.entry(file.to_string()).or_default() += 1;
        }
    }
    let rules = fptriage().args(["rules", "list"]).output().unwrap();
    let ids: Vec<String> = String::from_utf8_lossy(&rules.stdout)
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 23, "{ids:?}");
    for id in &ids {
        let n = cases.get(id).copied().unwrap_or(0);
        assert!(
            n >= 2,
            "{id} has {n} passing test case(s); it needs at least 2"
        );
    }
}

/// Every built-in test file has a case where its rule fires as root cause and one where it is
/// silent, read from the files themselves.
#[test]
fn every_builtin_test_has_a_root_cause_case_and_a_silent_case() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/sse");
    let mut rules = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix(".yaml") else {
            continue;
        };
        // Tests and a pack's other files (its domain tables, its artifact map) are not rules.
        if stem.ends_with(".test") || stem == "domain" || stem == "artifacts" {
            continue;
        }
        rules += 1;
        let test = dir.join(format!("{stem}.test.yaml"));
        let text = std::fs::read_to_string(&test)
            .unwrap_or_else(|_| panic!("{} is missing", test.display()));
        let id = format!("sse/{stem}");
        assert!(
            text.contains(&format!("rule: {id}\n    root_cause: true"))
                || text.contains(&format!("- rule: {id}\n          root_cause: true")),
            "{name}: no case where {id} fires as root cause"
        );
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("silent:") && l.contains(&id)),
            "{name}: no case where {id} is silent"
        );
    }
    assert_eq!(rules, 16);
}

#[test]
fn a_wrong_expectation_fails_with_a_readable_difference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/wrong.test.yaml"),
        r#"cases:
  - name: expects the wrong things
    files:
      results-04-19-2020--143549/dir-archives/etc/sf/sf-version: "Cisco Firepower Management Center for VMWare v7.2.5 (build 208)"
      results-04-19-2020--143549/dir-archives/var-log/connector/connector.log: |
        time="2020-04-19T14:00:00Z" level=error msg="[x][events.go:90 events:connectWebSocket] dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host"
    expect:
      fires:
        - rule: sse/dns-failure
          root_cause: false
          hosts: [eventing-ingest.sse.itd.cisco.com]
        - rule: sse/tls-interception
      silent: [sse/dns-failure]
"#,
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "FAIL  ",
        "expects the wrong things",
        "differs: `sse/dns-failure` root_cause: expected false, but it is a root cause",
        r#"differs: `sse/dns-failure` hosts: expected ["eventing-ingest.sse.itd.cisco.com"], got ["api-sse.cisco.com"]"#,
        "missing: `sse/tls-interception` did not fire",
        "extra: sse/dns-failure on ",
        "0 passed, 1 failed",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
}

#[test]
fn an_unknown_rule_id_in_an_expectation_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/typo.test.yaml"),
        "cases:\n  - name: typo\n    files: {etc/hostname: x}\n    expect: {silent: [sse/dns-failur]}\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("did you mean `sse/dns-failure`?"),
        "{stdout}"
    );
}

#[test]
fn a_test_file_run_alone_uses_its_rule_folder_s_artifact_definitions() {
    let dir = pack(&[
        // The kind exists only in the pack's own definitions.
        (
            "site/artifacts.yaml",
            "artifacts:\n  - kind: site-notes\n    format: log\n    paths: [\"**/notes.txt\"]\n",
        ),
        (
            "site/notes.yaml",
            "id: site/notes\ntitle: Notes\nseverity: warning\ndescription: d\nwhen:\n  lines:\n    artifact: site-notes\n    contains: refused\nmessage: m\nremediation: r\n",
        ),
        (
            "site/notes.test.yaml",
            "cases:\n  - name: fires\n    files:\n      etc/hostname: \"ftd-1\\n\"\n      notes.txt: \"proxy refused\\n\"\n    expect:\n      fires: [{rule: site/notes}]\n  - name: silent\n    files:\n      etc/hostname: \"ftd-1\\n\"\n      notes.txt: \"all good\\n\"\n    expect:\n      silent: [site/notes]\n",
        ),
    ]);
    // By absolute path, and relative to the rule folder (`site/notes.test.yaml`).
    for (cwd, file) in [
        (Path::new("/"), dir.path().join("site/notes.test.yaml")),
        (dir.path(), PathBuf::from("site/notes.test.yaml")),
    ] {
        for command in ["test", "lint"] {
            let out = fptriage()
                .current_dir(cwd)
                .args(["rules", command])
                .arg(&file)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "rules {command} {file:?}: {said}"
            );
            let expected = if command == "test" {
                "2 passed, 0 failed"
            } else {
                "0 error(s), 0 warning(s)"
            };
            assert!(said.contains(expected), "rules {command} {file:?}: {said}");
        }
    }
}

#[test]
fn a_test_file_that_does_not_read_fails_with_every_problem_and_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/a.yaml"),
        "id: site/a\ntitle: A\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.port\n  at_least: 1\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("site/a.test.yaml"),
        "cases:\n  - name: fires\n    expect:\n      fire: [{rule: site/a}]\n      silent: site/a\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("a.test.yaml:4:7: unknown key `fire` [unknown-key]")
            && said.contains(
                "a.test.yaml:5:15: `silent` must be a list, not the text `site/a` [wrong-type]"
            ),
        "{said}"
    );
}
