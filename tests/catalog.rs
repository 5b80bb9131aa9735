//! Every catalog rule on the generated bundles: it fires as root cause where its scenario says,
//! its symptoms sit under it, and the other rules stay silent. The expectations come from the
//! generator (`examples/gen_testdata.rs`), which derives them from the catalog's relations.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

mod common;
use common::json_run;

fn analyze(input: &Path) -> Value {
    json_run([std::ffi::OsStr::new("analyze"), input.as_os_str()]).0
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The device is who the generator made: host name and version as written in its bundle.
fn check_identity(name: &str, expected: &Value, device: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for field in ["name", "version", "product"] {
        if device[field] != expected[field] {
            problems.push(format!(
                "{name}: device {field} {}, expected {}",
                device[field], expected[field]
            ));
        }
    }
    problems
}

fn check_device(name: &str, expected: &Value, findings: &[&Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let alarming: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    let roots: BTreeSet<String> = alarming
        .iter()
        .filter(|f| f["root_cause"] == true)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    let symptoms: BTreeSet<String> = alarming
        .iter()
        .filter(|f| f["root_cause"] == false)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    if roots != set(&expected["root_causes"]) {
        problems.push(format!(
            "{name}: root causes {roots:?}, expected {:?}",
            set(&expected["root_causes"])
        ));
    }
    if symptoms != set(&expected["symptoms"]) {
        problems.push(format!(
            "{name}: symptoms {symptoms:?}, expected {:?}",
            set(&expected["symptoms"])
        ));
    }
    for silent in set(&expected["silent"]) {
        if roots.contains(&silent) || symptoms.contains(&silent) {
            problems.push(format!("{name}: {silent} should be silent"));
        }
    }
    for f in &alarming {
        if f["root_cause"] == false && f["explained_by"].as_array().unwrap().is_empty() {
            problems.push(format!("{name}: symptom {} names no cause", f["id"]));
        }
    }
    problems
}

#[test]
fn every_catalog_scenario_gives_its_expected_root_causes_and_symptoms() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut problems = Vec::new();
    for (input, want) in expected.as_object().unwrap() {
        let report = analyze(&dir.join(input));
        let findings: Vec<&Value> = report["findings"].as_array().unwrap().iter().collect();
        let devices = report["devices"].as_array().unwrap();
        if want.get("root_causes").is_some() {
            if devices.len() != 1 {
                problems.push(format!("{input}: {} devices, expected 1", devices.len()));
            }
            problems.extend(check_identity(input, want, &devices[0]));
            problems.extend(check_device(input, want, &findings));
            continue;
        }
        // Every bundle root is a device, a wrapper never is, an appliance given twice is one.
        let want_devices = want.as_object().unwrap().len();
        if devices.len() != want_devices {
            problems.push(format!(
                "{input}: {} devices ({:?}), expected {want_devices}",
                devices.len(),
                devices.iter().map(|d| &d["bundle"]).collect::<Vec<_>>()
            ));
        }
        // A wrapper: one expectation per inner bundle, matched by the device's bundle path.
        for (inner, want) in want.as_object().unwrap() {
            let device = report["devices"].as_array().unwrap().iter().find(|d| {
                // The device is the bundle root inside the inner archive.
                let bundle = d["bundle"].as_str().unwrap();
                bundle.ends_with(inner.as_str())
                    || bundle.contains(&format!("{inner}!/"))
                    || bundle.ends_with(&format!("!/{inner}"))
                    || bundle.contains(&format!("!/{inner}/"))
            });
            let Some(device) = device else {
                problems.push(format!("{input}: no device for {inner}"));
                continue;
            };
            assert_eq!(device["product"], want["product"], "{input}!/{inner}");
            problems.extend(check_identity(&format!("{input}!/{inner}"), want, device));
            let mine: Vec<&Value> = findings
                .iter()
                .copied()
                .filter(|f| f["device"] == device["id"])
                .collect();
            problems.extend(check_device(&format!("{input}!/{inner}"), want, &mine));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_catalog_id_fires_as_root_cause_somewhere_and_is_silent_on_healthy_bundles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let catalog = [
        "version-unsupported",
        "license-evaluation",
        "license-unregistered",
        "license-satellite",
        "cloud-events-disabled",
        "connector-disabled",
        "connector-properties-invalid",
        "region-mismatch",
        "dns-failure",
        "tls-interception",
        "ip-allowlist",
        "cloud-unreachable",
        "not-enrolled",
        "eventhandler-socket-missing",
        "eventhandler-socket-disconnected",
        "zeromq-endpoint-missing",
    ];
    for id in catalog {
        let scenario = &expected[format!("{id}.tar.gz")];
        assert!(
            set(&scenario["root_causes"]).contains(&format!("sse/{id}")),
            "no scenario where sse/{id} is a root cause"
        );
        assert!(set(&expected["healthy-ftd.tar.gz"]["silent"]).contains(&format!("sse/{id}")));
    }
    for healthy in [
        "healthy-fmc.tar.gz",
        "healthy-ftd.tar.gz",
        "healthy-fmc.zip",
        "healthy-ftd.tar",
        "extracted/healthy-ftd",
        "recovered-cloud-unreachable.tar.gz",
    ] {
        let report = analyze(&dir.join(healthy));
        let loud: Vec<_> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| f["id"].clone())
            .collect();
        assert!(loud.is_empty(), "{healthy}: {loud:?}");
    }
}

#[test]
fn a_recovered_problem_is_info_with_its_recovery_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let report = analyze(&dir.join("recovered-cloud-unreachable.tar.gz"));
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sse/cloud-unreachable")
        .expect("an info finding");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["status"], "recovered");
    assert_eq!(f["root_cause"], false);
    assert!(f["recovered_at"].is_string());
    assert!(f["message"].as_str().unwrap().starts_with("Recovered at"));
}

#[test]
fn a_chain_of_explanations_runs_only_through_fired_findings() {
    // The FMC's evaluation licence explains a disabled connector, which explains a disconnected
    // socket; on an FTD whose connector is Running, the licence does not explain its socket.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let report = analyze(&dir.join("case-fmc-ftd-chain.tar"));
    let findings = report["findings"].as_array().unwrap();
    let find = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule}"))
    };
    for rule in [
        "sse/license-evaluation",
        "sse/eventhandler-socket-disconnected",
    ] {
        let f = find(rule);
        assert_eq!(f["root_cause"], true, "{rule}");
        assert_eq!(f["explained_by"], serde_json::json!([]), "{rule}");
    }
    let socket = find("sse/eventhandler-socket-disconnected");
    let ftd = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == socket["device"])
        .unwrap();
    assert_eq!(ftd["product"], "FTD");
    assert_eq!(
        ftd["managed_by"],
        find("sse/license-evaluation")["device_name"]
    );
}

#[test]
fn ip_allowlist_from_a_curl_test_alone_shows_both_addresses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let report = analyze(&dir.join("ip-allowlist-curl.tar.gz"));
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sse/ip-allowlist")
        .expect("ip-allowlist fires");
    assert_eq!(f["root_cause"], true);
    assert_eq!(f["captures"]["failing_addresses"], "18.205.49.246");
    let texts: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().contains("curl -v"))
        .map(|e| {
            assert!(e["line"].is_u64());
            e["text"].as_str().unwrap()
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("* connect to 18.205.49.246 port 443 failed")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("* Connected to eventing-ingest")),
        "{texts:?}"
    );
}
