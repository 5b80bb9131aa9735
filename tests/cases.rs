//! Real uploads (bundle-format §6): devices are bundle roots, loose files attach to the device they
//! belong to, an appliance given twice is analysed once, a partial upload says so first, syslog
//! is read in the device's zone, and `-` reads a bundle from a pipe. The bundles are generated
//! (`testdata/generate.sh`); the expected values come from the generator's scenarios.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{bundle, fptriage, json_run};

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn analyze(input: &Path, extra: &[&str]) -> (Value, String) {
    let args = [Path::new("analyze"), input]
        .into_iter()
        .map(|p| p.as_os_str())
        .chain(extra.iter().map(std::ffi::OsStr::new));
    json_run(args)
}

fn facts(input: &Path) -> Value {
    json_run([std::ffi::OsStr::new("facts"), input.as_os_str()]).0
}

fn device_names(case: &Value) -> Vec<String> {
    let mut names: Vec<String> = case["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn extracted_bundles_in_host_folders_are_one_device_each() {
    let case = facts(&bundle("case-host-folders.tgz"));
    assert_eq!(device_names(&case), ["fmc-hq", "ftd-branch7"]);
    for d in case["devices"].as_array().unwrap() {
        let bundle = d["bundle"].as_str().unwrap();
        let folder = if d["product"] == "FMC" {
            "!/FMC1/"
        } else {
            "!/ftd2/"
        };
        assert!(bundle.contains(folder), "{bundle}");
        // Nothing of the other device is mixed in.
        for a in d["artifacts"].as_array().unwrap() {
            assert!(a["path"].as_str().unwrap().starts_with(bundle), "{a}");
        }
    }
    let fmc = &case["devices"][0];
    assert_eq!(fmc["facts"]["license.registration"]["value"], "EVALUATION");
    let ftd = &case["devices"][1];
    assert!(ftd["facts"].get("license.registration").is_none());
}

#[test]
fn loose_files_attach_to_the_device_they_belong_to_and_a_wrapper_is_no_device() {
    let (report, _) = analyze(&bundle("case-loose.zip"), &[]);
    assert_eq!(device_names(&report), ["fmc-hq", "ftd-dmz-a"]);
    let id_of = |name: &str| {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["id"]
            .clone()
    };
    let loose = report["loose_files"].as_array().unwrap();
    assert_eq!(loose.len(), 2, "{loose:?}"); // notes.txt is no artifact
    let licence = loose.iter().find(|l| l["kind"] == "licensing").unwrap();
    assert_eq!(licence["attached_to"], id_of("fmc-hq"));
    assert_eq!(licence["reason"], "manager-setting");
    let curl = loose.iter().find(|l| l["kind"] == "curl-test").unwrap();
    assert_eq!(curl["attached_to"], id_of("ftd-dmz-a"));
    assert_eq!(curl["reason"], "names-device");
    // The loose licence is the FMC's: its evaluation mode is the FMC's root cause.
    let evaluation = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sse/license-evaluation")
        .expect("licence finding");
    assert_eq!(evaluation["device"], id_of("fmc-hq"));
    assert!(
        evaluation["evidence"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("case-loose.zip!/license_status.json")
    );
    // No finding and no "not evaluated" row names the wrapper.
    for row in report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .chain(report["not_evaluated"].as_array().unwrap())
    {
        assert_ne!(row["device_name"], "case-loose.zip", "{row}");
    }
}

#[test]
fn an_appliance_given_twice_is_analysed_once_from_the_newest_collection() {
    let (report, _) = analyze(&bundle("case-reupload.tar"), &[]);
    let devices = report["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{devices:?}");
    let d = &devices[0];
    assert!(d["bundle"].as_str().unwrap().contains("reupload.tar.gz!/"));
    let left_out = d["duplicates"].as_array().unwrap();
    assert_eq!(left_out.len(), 1);
    assert!(
        left_out[0]
            .as_str()
            .unwrap()
            .contains("-troubleshoot.tar.gz!/")
    );
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "duplicate-device")
    );
    // The older upload's DNS failure is not reported: the re-upload is healthy.
    assert!(
        report["verdict"].as_array().unwrap().is_empty(),
        "{}",
        report["verdict"]
    );
}

#[test]
fn a_partial_upload_says_so_first_and_asks_for_a_complete_one() {
    let cut = bundle("dns-failure-cut.tar.gz");
    let (report, stderr) = analyze(&cut, &[]);
    assert!(stderr.contains("partial upload"), "{stderr}");
    let damage = report["damage"].as_array().unwrap();
    assert_eq!(damage.len(), 1);
    assert_eq!(damage[0]["path"], cut.display().to_string());
    assert_eq!(damage[0]["code"], "truncated-archive");
    assert!(damage[0]["bytes_read"].as_u64().unwrap() > 0);
    let last = damage[0]["last_whole_member"].as_str().unwrap();
    assert!(last.starts_with("results-"), "{last}");
    let device = &report["devices"][0];
    assert_eq!(device["damaged"], true);
    // What is missing may be in the part cut off: never "ask for connector.log".
    let not_evaluated = report["not_evaluated"].as_array().unwrap();
    assert!(!not_evaluated.is_empty());
    for n in not_evaluated {
        assert_eq!(n["reason"], "cut-off", "{n}");
        assert!(
            n["ask"].as_str().unwrap().contains("complete upload"),
            "{n}"
        );
    }
    // Markdown and HTML put the damage before the verdict.
    for format in ["md", "html"] {
        let out = fptriage()
            .arg("analyze")
            .arg(&cut)
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        let damage_at = text.find("partial upload").expect("damage section");
        let verdict_at = text.find("Verdict").expect("verdict");
        assert!(damage_at < verdict_at, "{format}");
        assert!(text.contains("rests on a partial upload"), "{format}");
    }
    // The whole bundle is not damaged.
    let (whole, stderr) = analyze(&bundle("dns-failure.tar.gz"), &[]);
    assert!(whole["damage"].as_array().unwrap().is_empty());
    assert!(!stderr.contains("partial upload"));
}

/// A rule pack of one test's own, in a temporary folder.
fn rules_dir(rules: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in rules {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const PROBE_RULES: [(&str, &str); 2] = [
    (
        "probe/syslog.yaml",
        "id: probe/syslog\ntitle: syslog probe\nseverity: warning\ndescription: test\nwhen:\n  lines:\n    artifact: syslog\n    regex: 'zone probe'\n    within: 1h\nmessage: seen\nremediation: none\n",
    ),
    (
        "probe/connector.yaml",
        "id: probe/connector\ntitle: connector probe\nseverity: warning\ndescription: test\nwhen:\n  lines:\n    artifact: connector-log\n    regex: 'zone probe in connector'\n    within: 1h\nmessage: seen\nremediation: none\n",
    ),
];

#[test]
fn syslog_is_read_in_the_zone_the_bundle_names() {
    let rules = rules_dir(&PROBE_RULES);
    let (report, _) = analyze(
        &bundle("zone-east.tar.gz"),
        &["--rules", rules.path().to_str().unwrap()],
    );
    let device = &report["devices"][0];
    assert_eq!(device["time_zone"], "Asia/Tokyo");
    // The etc/localtime link is expected: listed as the timezone artifact, not warned about.
    assert!(
        !report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "link-not-followed"),
        "{}",
        report["warnings"]
    );
    assert!(
        device["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "timezone")
    );
    // results-04-20-2020--143507 is Tokyo wall-clock time.
    assert_eq!(device["collected_at"], "2020-04-20T05:35:07Z");
    let finding = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} did not fire: {}", report["not_evaluated"]))
            .clone()
    };
    // 13:45:07 in Tokyo, 50 minutes before the collection: inside the hour. The probe 70 minutes
    // old is not counted.
    let syslog = finding("probe/syslog");
    assert_eq!(syslog["evidence"][0]["last_seen"], "2020-04-20T04:45:07Z");
    assert_eq!(syslog["evidence"][0]["count"], 1);
    // connector.log carries offsets; its line 30 minutes old is inside the window too.
    let connector = finding("probe/connector");
    assert_eq!(
        connector["evidence"][0]["last_seen"],
        "2020-04-20T05:05:07Z"
    );
}

#[test]
fn with_no_time_in_the_bundle_time_windows_are_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("upload");
    let messages = root.join("dir-archives/var-log/messages");
    std::fs::create_dir_all(messages.parent().unwrap()).unwrap();
    std::fs::write(
        &messages,
        "Apr 13 14:34:02 fmc SF-IMS[1]: zone probe without a year\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("dir-archives/etc")).unwrap();
    std::fs::write(root.join("dir-archives/etc/hostname"), "fmc-lab\n").unwrap();
    let rules = rules_dir(&PROBE_RULES[..1]);
    let (report, _) = analyze(&root, &["--rules", rules.path().to_str().unwrap()]);
    assert!(report["devices"][0]["collected_at"].is_null());
    let row = report["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["rule"] == "probe/syslog")
        .expect("probe not evaluated");
    assert_eq!(row["reason"], "no-time");
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "no-time-zone")
    );
}

#[test]
fn a_bundle_piped_on_standard_input_reads_as_the_file_does() {
    for name in ["dns-failure.tar.gz", "healthy-ftd.tar", "case-loose.zip"] {
        let file = bundle(name);
        let (from_file, _) = analyze(&file, &[]);
        let out = fptriage()
            .args(["analyze", "-", "--format", "json"])
            .pipe_stdin(&file)
            .unwrap()
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let from_pipe = json_of(&out);
        let rules = |r: &Value| {
            let mut v: Vec<(String, String, bool)> = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap().to_string(),
                        f["device"].as_str().unwrap().to_string(),
                        f["root_cause"].as_bool().unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(rules(&from_pipe), rules(&from_file), "{name}");
        assert_eq!(device_names(&from_pipe), device_names(&from_file), "{name}");
    }
    // A zip must be spooled to be read; with spooling off it is refused, saying why.
    let out = fptriage()
        .args(["analyze", "-", "--max-spool-bytes", "0"])
        .pipe_stdin(bundle("case-loose.zip"))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-spool-bytes"));
    // facts reads a pipe too.
    let out = fptriage()
        .args(["facts", "-"])
        .pipe_stdin(bundle("healthy-ftd.tar.gz"))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("device ftd-"));
}

#[test]
fn facts_lists_exactly_the_devices_of_every_generated_case() {
    let dir = bundle("");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for (input, want) in expected.as_object().unwrap() {
        let wanted: Vec<&Value> = if want.get("product").is_some() {
            vec![want]
        } else {
            want.as_object().unwrap().values().collect()
        };
        let mut want_names: Vec<(String, String)> = wanted
            .iter()
            .map(|w| {
                (
                    w["name"].as_str().unwrap().to_string(),
                    w["version"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        want_names.sort();
        let case = facts(&dir.join(input));
        let mut got: Vec<(String, String)> = case["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    d["version"].as_str().unwrap_or("unknown").to_string(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want_names, "{input}");
    }
}
