//! `--redact`: no output format shows an original private value; the public SSE host names and
//! AWS regions the diagnosis needs stay.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;
use serde_json::Value;

mod common;
use common::fptriage;

fn run(args: &[&str]) -> String {
    let out = fptriage()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_format_hides_the_private_values() {
    let ipv4 = Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let ec2 = Regex::new(r"ec2-\d+-\d+-\d+-\d+").unwrap();
    for bundle in [
        "testdata/bundles/case-fmc-ftd.tar",
        "testdata/bundles/dns-failure.tar.gz",
        "testdata/bundles/ip-allowlist.tar.gz",
    ] {
        let plain = run(&["analyze", bundle, "--format", "json"]);
        let report: Value = serde_json::from_str(&plain).unwrap();
        let mut originals = BTreeSet::new();
        for d in report["devices"].as_array().unwrap() {
            originals.insert(d["name"].as_str().unwrap().to_string());
            originals.insert(d["id"].as_str().unwrap().to_string());
        }
        originals.extend(ipv4.find_iter(&plain).map(|m| m.as_str().to_string()));
        originals.extend(ec2.find_iter(&plain).map(|m| m.as_str().to_string()));
        assert!(
            originals.len() >= 3,
            "{bundle}: too few private values to check: {originals:?}"
        );
        let map_dir = tempfile::tempdir().unwrap();
        let map = map_dir.path().join("map.json");
        for format in ["json", "md", "html"] {
            let redacted = run(&[
                "analyze",
                bundle,
                "--format",
                format,
                "--redact",
                "--redact-map",
                map.to_str().unwrap(),
                // The same map for each format: replacing it is asked for.
                "--overwrite-map",
            ]);
            for original in &originals {
                assert!(
                    !redacted.contains(original.as_str()),
                    "{bundle} ({format}) shows {original}"
                );
            }
            if format == "json" {
                // Device facts name the connector's SSE host: public, needed, kept.
                assert!(
                    redacted.contains("api-sse.cisco.com")
                        || redacted.contains("sse.itd.cisco.com"),
                    "{bundle} lost the SSE host names"
                );
            }
        }
        // The mapping reverses every placeholder.
        let mapping: Value = serde_json::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
        let values: BTreeSet<&str> = mapping
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap())
            .collect();
        for d in report["devices"].as_array().unwrap() {
            assert!(
                values.contains(d["name"].as_str().unwrap()),
                "{bundle}: map lacks {}",
                d["name"]
            );
        }
    }
}

#[test]
fn aws_regions_of_peers_stay_readable() {
    let bundle = Path::new("testdata/bundles/dns-failure.tar.gz");
    let redacted = run(&[
        "analyze",
        bundle.to_str().unwrap(),
        "--format",
        "json",
        "--redact",
    ]);
    assert!(
        redacted.contains(".compute-1.amazonaws.com"),
        "the AWS region part must stay"
    );
}

#[test]
fn batch_outputs_hide_the_private_values_too() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    // A case file named after a device's UUID, as FDM downloads are.
    let uuid_name = "8efc6625-e7d1-5bb8-0e57-715b0f68156a-troubleshoot.tar";
    std::fs::copy(root.join("case-fmc-ftd.tar"), cases.join(uuid_name)).unwrap();
    std::fs::copy(
        root.join("dns-failure.tar.gz"),
        cases.join("dns-failure.tar.gz"),
    )
    .unwrap();
    let mut originals = BTreeSet::from([uuid_name[..36].to_string()]);
    for bundle in ["case-fmc-ftd.tar", "dns-failure.tar.gz"] {
        let plain = run(&[
            "analyze",
            root.join(bundle).to_str().unwrap(),
            "--format",
            "json",
        ]);
        let report: Value = serde_json::from_str(&plain).unwrap();
        for d in report["devices"].as_array().unwrap() {
            originals.insert(d["name"].as_str().unwrap().to_string());
            originals.insert(d["id"].as_str().unwrap().to_string());
        }
    }
    let out = dir.path().join("out");
    let map = dir.path().join("map.json");
    fptriage()
        .args(["batch", "--redact", "--jobs", "1"])
        .arg(&cases)
        .arg("--out")
        .arg(&out)
        .arg("--redact-map")
        .arg(&map)
        .assert()
        .code(0);
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        let name = entry
            .path()
            .strip_prefix(&out)
            .unwrap()
            .display()
            .to_string();
        for original in &originals {
            assert!(
                !name.contains(original.as_str()),
                "file name {name} shows {original}"
            );
        }
        if entry.file_type().is_file() {
            // Bytes, not text: triage.sqlite is binary (its strings are stored as UTF-8).
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for original in &originals {
                assert!(!text.contains(original.as_str()), "{name} shows {original}");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 7,
        "results.jsonl, summary.csv, index.html and 4 reports: {checked}"
    );
    let mapping = std::fs::read_to_string(&map).unwrap();
    assert!(mapping.contains(&uuid_name[..36]));
}
