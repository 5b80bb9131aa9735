//! The `mgmt/` and `platform/` packs on the generated bundles: each rule fires as root cause on
//! its scenario, symptoms across packs sit under their cause, healthy bundles stay silent with
//! the packs' data present, and the format variants (full and brief sftunnel status, df -h / -Th /
//! -k, wrapped df rows, three-field `show managers`) are read. Root causes and symptoms of every
//! scenario are checked by `tests/catalog.rs` against `expected.json`, which the generator derives
//! from the catalog's relations; this file checks what that table cannot say.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{bundle, json_run};

const PACK_RULES: [(&str, &str); 7] = [
    ("mgmt/manager-not-registered", "critical"),
    ("mgmt/sftunnel-down", "critical"),
    ("mgmt/version-incompatible", "critical"),
    ("platform/clock-skew", "critical"),
    ("platform/proxy-auth", "critical"),
    ("platform/disk-full", "critical"),
    ("platform/connector-restarts", "warning"),
];

fn analyze(name: &str) -> Value {
    json_run([std::ffi::OsStr::new("analyze"), bundle(name).as_os_str()]).0
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn one<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let found = findings(report, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:?}");
    found[0]
}

fn expected() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_pack_rule_fires_as_root_cause_on_its_scenario_with_its_severity() {
    let expected = expected();
    for (rule, severity) in PACK_RULES {
        let name = format!("{}.tar.gz", rule.split('/').nth(1).unwrap());
        assert!(
            strings(&expected[&name]["root_causes"]).contains(rule),
            "{name}: the generator plants {rule} as a root cause"
        );
        let report = analyze(&name);
        let f = one(&report, rule);
        assert_eq!(f["root_cause"], true, "{rule}");
        assert_eq!(f["severity"], severity, "{rule}");
        assert_eq!(f["status"], "current", "{rule}");
        assert!(
            !f["references"].as_array().unwrap().is_empty(),
            "{rule} cites a document"
        );
        assert!(!f["evidence"].as_array().unwrap().is_empty(), "{rule}");
    }
}

#[test]
fn healthy_bundles_stay_silent_and_the_packs_are_evaluated_where_their_data_is() {
    for name in [
        "healthy-fmc.tar.gz",
        "healthy-ftd.tar.gz",
        "healthy-ftd-managed.tar.gz",
        "disk-full-recovered.tar.gz",
        "disk-full-old-east.tar.gz",
        "connector-restarts-old.tar.gz",
    ] {
        let report = analyze(name);
        let loud: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| &f["id"])
            .collect();
        assert!(loud.is_empty(), "{name}: {loud:?}");
    }
    // Every pack rule had its data on the managed FTD: silence there is a verdict, not a gap.
    let report = analyze("healthy-ftd-managed.tar.gz");
    let skipped: Vec<&Value> = report["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            let rule = n["rule"].as_str().unwrap_or_default();
            rule.starts_with("mgmt/") || rule.starts_with("platform/")
        })
        .collect();
    assert!(skipped.is_empty(), "{skipped:?}");
}

#[test]
fn an_fdm_managed_ftd_has_no_manager_finding_and_its_not_enrolled_is_a_root_cause() {
    let report = analyze("fdm-not-enrolled.tar.gz");
    for (rule, _) in PACK_RULES.iter().filter(|(r, _)| r.starts_with("mgmt/")) {
        assert!(findings(&report, rule).is_empty(), "{rule}");
    }
    assert_eq!(one(&report, "sse/not-enrolled")["root_cause"], true);
}

#[test]
fn symptoms_across_packs_name_their_cause() {
    for (name, cause, symptoms) in [
        (
            "clock-skew.tar.gz",
            "platform/clock-skew",
            &[
                "sse/tls-interception",
                "sse/cloud-unreachable",
                "sse/not-enrolled",
            ][..],
        ),
        (
            "manager-not-registered.tar.gz",
            "mgmt/manager-not-registered",
            &["sse/not-enrolled"][..],
        ),
        (
            "manager-pending.tar.gz",
            "mgmt/manager-not-registered",
            &["mgmt/sftunnel-down", "sse/not-enrolled"][..],
        ),
        (
            "proxy-auth.tar.gz",
            "platform/proxy-auth",
            &["sse/not-enrolled"][..],
        ),
        (
            "disk-full.tar.gz",
            "platform/disk-full",
            &[
                "sse/eventhandler-socket-missing",
                "platform/connector-restarts",
            ][..],
        ),
    ] {
        let report = analyze(name);
        let cause = one(&report, cause);
        assert_eq!(cause["root_cause"], true, "{name}");
        for symptom in symptoms {
            let f = one(&report, symptom);
            assert_eq!(f["root_cause"], false, "{name}: {symptom}");
            assert!(
                f["explained_by"].as_array().unwrap().contains(&cause["id"]),
                "{name}: {symptom} explained by {}: {}",
                cause["id"],
                f["explained_by"]
            );
        }
    }
}

#[test]
fn sftunnel_down_is_one_finding_per_device_naming_each_peer_that_is_down() {
    let report = analyze("sftunnel-down-fmc.tar.gz");
    let f = one(&report, "mgmt/sftunnel-down");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("10.10.1.22"), "{message}");
    assert!(message.contains("10.10.1.23"), "{message}");
    assert!(
        !message.contains("10.10.1.21"),
        "the peer that is up: {message}"
    );
    let texts: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("RPC status :Failed"))
            && texts.iter().any(|t| t.contains("ChannelB Connected: No")),
        "{texts:?}"
    );
    // The brief form, down: no peer channel connected, a last disconnect reason.
    let report = analyze("sftunnel-down-brief.tar.gz");
    let f = one(&report, "mgmt/sftunnel-down");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Both control and event channel connections with peer went down"),
        "{}",
        f["message"]
    );
}

#[test]
fn df_variants_are_read_whatever_the_form() {
    // -Th with a wrapped row (the plain -h beside it shows only a healthy /), and -k at 95 %.
    for (name, mount, pct) in [
        ("disk-full.tar.gz", "/ngfw/Volume", "96"),
        ("disk-full-wrapped.tar.gz", "/var", "97"),
        ("disk-full-k.tar.gz", "/ngfw", "95"),
    ] {
        let report = analyze(name);
        let f = one(&report, "platform/disk-full");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{mount} is {pct}% full")),
            "{name}: {message}"
        );
    }
}

#[test]
fn a_disk_message_older_than_a_day_in_true_time_is_silent_east_of_utc() {
    // Tokyo (UTC+9): the line is 28 h old; read as UTC it would look 19 h old and fire.
    let report = analyze("disk-full-old-east.tar.gz");
    assert!(findings(&report, "platform/disk-full").is_empty());
    assert!(
        !report["not_evaluated"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["rule"] == "platform/disk-full"),
        "evaluated on the system log"
    );
}

#[test]
fn recovered_pack_findings_are_info() {
    for (name, rule) in [
        ("disk-full-recovered.tar.gz", "platform/disk-full"),
        (
            "connector-restarts-old.tar.gz",
            "platform/connector-restarts",
        ),
    ] {
        let report = analyze(name);
        let f = one(&report, rule);
        assert_eq!(f["status"], "recovered", "{name}");
        assert_eq!(f["severity"], "info", "{name}");
        assert_eq!(f["root_cause"], false, "{name}");
    }
}

#[test]
fn version_incompatible_compares_three_parts_and_prefers_the_fmc_bundle_of_the_case() {
    let report = analyze("version-incompatible.tar.gz");
    let message = one(&report, "mgmt/version-incompatible")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("7.4.1") && message.contains("7.2.5"),
        "{message}"
    );
    // 7.2.5.1 against a 7.2.5 FMC: equal in three parts.
    let report = analyze("healthy-ftd-managed.tar.gz");
    assert!(findings(&report, "mgmt/version-incompatible").is_empty());
    // The FTD's `show managers` says 7.2.5 (equal), the case's FMC bundle says 7.0.5: the bundle
    // wins, alone the FTD is silent.
    let alone = analyze("connector-disabled.tar.gz");
    assert!(findings(&alone, "mgmt/version-incompatible").is_empty());
    let case = analyze("case-fmc-ftd.tar");
    let f = one(&case, "mgmt/version-incompatible");
    assert!(
        f["message"].as_str().unwrap().contains("7.0.5"),
        "{}",
        f["message"]
    );
}

/// Names a pack's files declare: rule ids, artifact kinds, fact names (`manager.` facts are the
/// scope open-model.md defines for every pack, not names of one pack).
fn declared_names(pack: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(pack);
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        // domain.yaml holds tables the engine reads by the table's own names, not a rule.
        if !file.ends_with(".yaml") || file.ends_with(".test.yaml") || file == "domain.yaml" {
            continue;
        }
        let doc: Value = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if file == "artifacts.yaml" {
            for artifact in doc["artifacts"].as_array().unwrap() {
                names.insert(artifact["kind"].as_str().unwrap().to_string());
                if let Some(facts) = artifact["facts"].as_object() {
                    for fact in facts.keys() {
                        if !fact.starts_with("manager.") {
                            names.insert(fact.to_string());
                        }
                    }
                }
            }
        } else {
            names.insert(doc["id"].as_str().unwrap().to_string());
        }
    }
    assert!(names.len() > 3, "{pack}: {names:?}");
    names
}

/// The text of a Rust file without its unit tests (`#[cfg(test)]` to the end of the file, where
/// this crate keeps them).
fn non_test_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_rust_file_names_a_mgmt_or_platform_artifact_fact_or_rule() {
    let mut names = declared_names("mgmt");
    names.extend(declared_names("platform"));
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10);
    let mut hits = Vec::new();
    for file in &files {
        let code = non_test_code(file);
        for name in &names {
            if code.contains(&format!("\"{name}\"")) {
                hits.push(format!("{}: \"{name}\"", file.display()));
            }
        }
        for prefix in ["\"mgmt/", "\"platform/", "\"mgmt.", "\"platform."] {
            if code.contains(prefix) {
                hits.push(format!("{}: {prefix}…", file.display()));
            }
        }
    }
    assert!(hits.is_empty(), "{}", hits.join("\n"));
}
