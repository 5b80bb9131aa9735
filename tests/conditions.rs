//! The rule language's time, group and cross-device conditions on written bundles, through
//! `fptriage analyze --rules`: what `window` counts inside `within`, grouping by a capture,
//! sequences of three steps, the `manager.` scope with several FMCs, and the limits that bound
//! what line conditions keep (each hit is a warning of the report).

use std::path::Path;

mod common;
use common::json_run;

const ROOT: &str = "results-04-19-2020--143549";

/// Writes `files` (path → content) under `dir`.
fn write(dir: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn rule(id: &str, body: &str) -> (String, String) {
    (
        format!("rules/{id}.yaml"),
        format!("id: {id}\ntitle: T\nseverity: warning\ndescription: D\n{body}remediation: R\n"),
    )
}

fn connector_line(time: &str, msg: &str) -> String {
    format!("time=\"{time}\" level=info msg=\"[fmc-dc1][main.go:40 main:main] {msg}\"\n")
}

fn fmc(dir: &str, version: &str, name: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("{dir}/{ROOT}/dir-archives/etc/sf/sf-version"),
            format!("Cisco Firepower Management Center for VMWare v{version} (build 1)\n"),
        ),
        (
            format!("{dir}/{ROOT}/dir-archives/etc/hostname"),
            format!("{name}\n"),
        ),
    ]
}

/// Runs analyze on `case/` with the rules of `rules/`, returning the JSON report.
fn analyze(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<String> = vec![
        "analyze".into(),
        dir.join("case").display().to_string(),
        "--rules".into(),
        dir.join("rules").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    json_run(args).0
}

fn findings<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn warning_codes(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_window_inside_within_counts_only_the_recent_span() {
    let dir = tempfile::tempdir().unwrap();
    // Five starts the day before (outside `within: 6h`), three in the last hour.
    let mut log = String::new();
    for t in ["10:00", "10:05", "10:10", "10:15", "10:20"] {
        log.push_str(&connector_line(
            &format!("2020-04-18T{t}:00Z"),
            "Starting connector",
        ));
    }
    for t in ["13:00", "13:20", "13:40"] {
        log.push_str(&connector_line(
            &format!("2020-04-19T{t}:00Z"),
            "Starting connector",
        ));
    }
    let mut files = fmc("case", "7.2.5", "fmc-dc1");
    files.push((
        format!("case/{ROOT}/dir-archives/var-log/connector/connector.log"),
        log,
    ));
    let when = |min: u32, within: &str| {
        format!(
            "when:\n  lines: {{artifact: connector-log, contains: 'Starting connector', min_count: {min}, window: 1h{within}}}\nmessage: '{{{{ count }}}} of {{{{ total_count }}}} from {{{{ first_seen }}}}'\n"
        )
    };
    files.push(rule("t/recent", &when(3, ", within: 6h")));
    files.push(rule("t/recent-five", &when(5, ", within: 6h")));
    files.push(rule("t/anywhere-five", &when(5, "")));
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    let report = analyze(dir.path(), &[]);
    let recent = findings(&report, "t/recent");
    assert_eq!(recent.len(), 1, "{report:#}");
    assert_eq!(recent[0]["count"], 3);
    assert_eq!(recent[0]["message"], "3 of 8 from 2020-04-19 13:00:00 UTC");
    assert!(findings(&report, "t/recent-five").is_empty());
    let anywhere = findings(&report, "t/anywhere-five");
    assert_eq!(anywhere.len(), 1);
    assert_eq!(
        anywhere[0]["message"],
        "5 of 8 from 2020-04-18 10:00:00 UTC"
    );
}

#[test]
fn groups_by_a_capture_and_sequences_of_three_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for (t, pid) in [("14:00", 11), ("14:01", 11), ("14:02", 12), ("14:03", 13)] {
        log.push_str(&connector_line(
            &format!("2020-04-19T{t}:00Z"),
            &format!("worker pid {pid} died"),
        ));
    }
    log.push_str(&connector_line("2020-04-19T14:10:00Z", "step one"));
    log.push_str(&connector_line("2020-04-19T14:10:20Z", "step two"));
    log.push_str(&connector_line("2020-04-19T14:10:40Z", "step three"));
    log.push_str(&connector_line("2020-04-19T14:20:00Z", "step one"));
    log.push_str(&connector_line("2020-04-19T14:20:10Z", "step two"));
    log.push_str(&connector_line("2020-04-19T14:25:00Z", "step three"));
    let mut files = fmc("case", "7.2.5", "fmc-dc1");
    files.push((
        format!("case/{ROOT}/dir-archives/var-log/connector/connector.log"),
        log,
    ));
    files.push(rule(
        "t/pid",
        "when:\n  lines: {artifact: connector-log, regex: 'pid (?<pid>\\d+) died', group_by: pid, min_count: 2}\nmessage: 'pid {{ pid }}: {{ count }} of {{ total_count }}'\n",
    ));
    files.push(rule(
        "t/pid-three",
        "when:\n  lines: {artifact: connector-log, regex: 'pid (?<pid>\\d+) died', group_by: pid, min_count: 3}\nmessage: m\n",
    ));
    files.push(rule(
        "t/steps",
        "when:\n  sequence:\n    artifact: connector-log\n    max_gap: 30s\n    steps: [{contains: step one}, {contains: step two}, {contains: step three}]\nmessage: '{{ count }} at {{ last_seen }}'\n",
    ));
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    let report = analyze(dir.path(), &[]);
    let pid = findings(&report, "t/pid");
    assert_eq!(pid.len(), 1, "{report:#}");
    assert_eq!(pid[0]["message"], "pid 11: 2 of 2");
    assert_eq!(pid[0]["hosts"], serde_json::json!(["11"]));
    assert!(findings(&report, "t/pid-three").is_empty());
    // The second run's third step comes 4 min 50 s after its second: one sequence completes.
    let steps = findings(&report, "t/steps");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["message"], "1 at 2020-04-19 14:10:40 UTC");
}

#[test]
fn the_manager_scope_with_two_fmcs_and_no_show_managers_reads_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = fmc("case/a", "7.2.5", "fmc-a");
    files.extend(fmc("case/b", "7.6.0", "fmc-b"));
    files.push((
        format!("case/c/{ROOT}/dir-archives/etc/sf/sf-version"),
        "Cisco Firepower Threat Defense for VMWare v7.4.1 (build 172)\n".into(),
    ));
    files.push((
        format!("case/c/{ROOT}/dir-archives/etc/hostname"),
        "ftd-edge1\n".into(),
    ));
    files.push(rule(
        "t/newer",
        "applies_to: {product: [FTD]}\nwhen:\n  compare: {left: device.version, op: version_above, right: manager.device.version, parts: 3}\nmessage: m\n",
    ));
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    // With two FMCs and no `show managers`, the FTD has no manager: not evaluated.
    let report = analyze(dir.path(), &[]);
    assert!(findings(&report, "t/newer").is_empty());
    let not: Vec<&serde_json::Value> = report["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["rule"] == "t/newer")
        .collect();
    assert_eq!(not.len(), 1, "{report:#}");
    assert_eq!(not[0]["reason"], "missing-data");
    assert!(
        not[0]["needs"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("manager.device.version"))
    );
}

/// A pack that reads `show managers`: the manager's host and version, as the device sees them.
const SHOW_MANAGERS: &str = r#"artifacts:
  - kind: show-managers
    paths: ["**/command-outputs/*show managers.output"]
    format: text
    facts:
      manager.host:
        type: text
        description: The managing FMC's host (show managers).
        regex: 'Host\s*:\s*(?<value>\S+)'
      manager.device.version:
        type: version
        description: The managing FMC's version (show managers).
        regex: 'Version\s*:\s*(?<value>\S+)'
"#;

fn ftd_naming(manager: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("case/c/{ROOT}/dir-archives/etc/sf/sf-version"),
            "Cisco Firepower Threat Defense for VMWare v7.4.1 (build 172)\n".into(),
        ),
        (
            format!("case/c/{ROOT}/dir-archives/etc/hostname"),
            "ftd-edge1\n".into(),
        ),
        (
            format!("case/c/{ROOT}/command-outputs/usr-local-sf-bin-sfcli.pl show managers.output"),
            format!(
                "Type                      : Manager\nHost                      : {manager}\nVersion                   : 7.0.0\nRegistration              : Completed\n"
            ),
        ),
    ]
}

#[test]
fn the_manager_scope_reads_the_fmc_that_show_managers_names_else_the_device_s_own_view() {
    let newer = rule(
        "t/newer",
        "applies_to: {product: [FTD]}\nwhen:\n  compare: {left: device.version, op: version_above, right: manager.device.version, parts: 3}\nmessage: m\n",
    );
    let pack = (
        "rules/t/artifacts.yaml".to_string(),
        SHOW_MANAGERS.to_string(),
    );
    for (named, fires) in [
        ("fmc-a", true),
        ("fmc-b", false),
        ("fmc-b.example.com", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut files = fmc("case/a", "7.2.5", "fmc-a");
        files.extend(fmc("case/b", "7.6.0", "fmc-b"));
        files.extend(ftd_naming(named));
        files.push(newer.clone());
        files.push(pack.clone());
        let files: Vec<(&str, String)> =
            files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
        write(dir.path(), &files);
        let report = analyze(dir.path(), &[]);
        // 7.4.1 is above fmc-a's 7.2.5, not above fmc-b's 7.6.0 (nor the 7.0.0 it says itself).
        assert_eq!(
            !findings(&report, "t/newer").is_empty(),
            fires,
            "{named}: {report:#}"
        );
    }
    // No FMC in the case: the device's own `manager.device.version` (7.0.0) is read.
    let dir = tempfile::tempdir().unwrap();
    let mut files = ftd_naming("fmc-z");
    files.push(newer);
    files.push(pack);
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    let report = analyze(dir.path(), &[]);
    assert_eq!(findings(&report, "t/newer").len(), 1, "{report:#}");
}

#[test]
fn what_line_conditions_keep_is_bounded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..6 {
        log.push_str(&connector_line(
            &format!("2020-04-19T14:0{i}:00Z"),
            &format!("proxy 10.0.0.{i} refused, worker {i}"),
        ));
    }
    let mut files = fmc("case", "7.2.5", "fmc-dc1");
    files.push((
        format!("case/{ROOT}/dir-archives/var-log/connector/connector.log"),
        log,
    ));
    files.push(rule(
        "t/window",
        "when:\n  lines: {artifact: connector-log, contains: refused, min_count: 3, window: 1h}\nmessage: '{{ count }}'\n",
    ));
    files.push(rule(
        "t/distinct",
        "when:\n  lines: {artifact: connector-log, regex: 'proxy (?<proxy>[0-9.]+) refused', min_distinct: {proxy: 3}}\nmessage: m\n",
    ));
    files.push(rule(
        "t/groups",
        "when:\n  lines: {artifact: connector-log, regex: 'worker (?<w>\\d+)', group_by: w}\nmessage: m\n",
    ));
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    let report = analyze(dir.path(), &[]);
    assert_eq!(findings(&report, "t/window")[0]["message"], "6");
    assert_eq!(findings(&report, "t/distinct").len(), 1);
    assert_eq!(
        findings(&report, "t/groups")[0]["hosts"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    for code in [
        "limit-window-stamps",
        "limit-distinct-values",
        "limit-groups",
    ] {
        assert!(
            !warning_codes(&report).contains(&code.to_string()),
            "{code}"
        );
    }
    let report = analyze(
        dir.path(),
        &[
            "--max-window-stamps",
            "2",
            "--max-distinct-values",
            "2",
            "--max-groups",
            "4",
        ],
    );
    let codes = warning_codes(&report);
    for code in [
        "limit-window-stamps",
        "limit-distinct-values",
        "limit-groups",
    ] {
        assert!(codes.contains(&code.to_string()), "{code}: {codes:?}");
    }
    // Counted on what was kept: two stamps, two proxies, four workers.
    assert!(findings(&report, "t/window").is_empty());
    assert!(findings(&report, "t/distinct").is_empty());
    assert_eq!(
        findings(&report, "t/groups")[0]["hosts"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn unknown_version_skip_and_finding_conditions_give_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    // A device of unknown version, without pmtool status (sse/connector-disabled is not evaluated).
    let files: Vec<(String, String)> = vec![
        (
            format!("case/{ROOT}/dir-archives/etc/hostname"),
            "fmc-dc1\n".into(),
        ),
        (
            format!("case/{ROOT}/dir-archives/etc/sf/connector.properties"),
            "connector_fqdn=api-sse.cisco.com\n".into(),
        ),
        rule(
            "t/skip",
            "applies_to: {version: {min: '7.0', below: '7.2'}}\nunknown_version: skip\nwhen: {fact: connector.fqdn, exists: true}\nmessage: m\n",
        ),
        rule(
            "t/run",
            "applies_to: {version: {min: '7.0', below: '7.2'}}\nwhen: {fact: connector.fqdn, exists: true}\nmessage: m\n",
        ),
        rule(
            "t/after",
            "when: {finding: {rule: sse/connector-disabled, status: current}}\nmessage: m\n",
        ),
        rule(
            "t/after-run",
            "when: {finding: {rule: t/run}}\nmessage: m\n",
        ),
    ];
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write(dir.path(), &files);
    let report = analyze(dir.path(), &[]);
    let reason = |rule: &str| {
        report["not_evaluated"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["rule"] == rule)
            .map(|n| n["reason"].as_str().unwrap().to_string())
    };
    assert_eq!(
        reason("t/skip").as_deref(),
        Some("unknown-version"),
        "{report:#}"
    );
    assert_eq!(
        reason("sse/connector-disabled").as_deref(),
        Some("missing-data")
    );
    assert_eq!(reason("t/after").as_deref(), Some("depends"));
    // The default runs the rule on a device of unknown version, and a finding condition on it holds.
    assert_eq!(reason("t/run"), None);
    assert_eq!(findings(&report, "t/run").len(), 1);
    assert_eq!(findings(&report, "t/after-run").len(), 1);
    assert!(findings(&report, "t/skip").is_empty());
}
