//! Which FMC manages which FTD (cli-contract.md, "Root-cause relations: scope"), on the generated
//! cases of several FMCs and FTDs: the FMC each FTD's `show managers` names (by host name,
//! address or identifier), else the case's only FMC, else none; an FTD managed by a manager the
//! case does not hold is given to no FMC. The expectations come from the generator, which
//! derives them from what each scenario's `show managers` was written to name.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{bundle, fptriage, json_run};

fn analyze(name: &str) -> Value {
    json_run([std::ffi::OsStr::new("analyze"), bundle(name).as_os_str()]).0
}

fn device<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no device {name}"))
}

fn finding<'a>(report: &'a Value, rule: &str, device: &Value) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["device"] == device["id"])
        .unwrap_or_else(|| panic!("no {rule} on {}", device["name"]))
}

fn warnings<'a>(report: &'a Value, code: &str) -> Vec<&'a str> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == code)
        .map(|w| w["message"].as_str().unwrap())
        .collect()
}

#[test]
fn every_ftd_beside_an_fmc_is_matched_as_the_generator_expects() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    for (input, devices) in expected.as_object().unwrap() {
        // Wrappers only: one expectation per inner bundle.
        if devices.get("root_causes").is_some() {
            continue;
        }
        let report = analyze(input);
        for (inner, want) in devices.as_object().unwrap() {
            let name = want["name"].as_str().unwrap();
            let got = device(&report, name);
            let Some(m) = want.get("management") else {
                if want["product"] == "FTD" {
                    // An FTD in a case without an FMC: nothing to say.
                    assert!(got.get("management").is_none(), "{input}!/{inner}");
                }
                continue;
            };
            checked += 1;
            let row = &got["management"];
            let fmc = &m["fmc"];
            if row["fmc_name"] != *fmc || got["managed_by"] != *fmc {
                problems.push(format!(
                    "{input}!/{inner}: managed by {} (row {}), expected {fmc}",
                    got["managed_by"], row["fmc_name"]
                ));
            }
            for key in ["matched_by", "not_matched"] {
                let want = m.get(key).unwrap_or(&Value::Null);
                if row[key] != *want {
                    problems.push(format!(
                        "{input}!/{inner}: {key} {}, expected {want}",
                        row[key]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // case-fmc-ftd, -chain, host-folders, loose, mixed: one FTD each; case-managers: five;
    // case-manager-elsewhere: two.
    assert_eq!(checked, 12);
}

#[test]
fn several_fmcs_each_ftd_gets_its_own_and_the_rest_are_named_in_warnings() {
    let report = analyze("case-managers.tar");
    let how = |ftd: &str| {
        let m = &device(&report, ftd)["management"];
        (
            m["fmc_name"].as_str().unwrap_or("-").to_string(),
            m["matched_by"]
                .as_str()
                .or(m["not_matched"].as_str())
                .unwrap()
                .to_string(),
        )
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(how("ftd-north"), pair("fmc-east.corp.example", "host-name"));
    assert_eq!(how("ftd-south"), pair("fmc-west", "address"));
    assert_eq!(how("ftd-lab1"), pair("fmc-lab", "identifier"));
    assert_eq!(how("ftd-spare"), pair("-", "no-fmc-named"));
    assert_eq!(how("ftd-cloud"), pair("-", "other-manager"));
    assert_eq!(
        device(&report, "ftd-cloud")["management"]["named"],
        serde_json::json!(["acme-tenant.app.us.cdo.cisco.com"])
    );
    // FMCs have no manager.
    assert!(device(&report, "fmc-west").get("management").is_none());

    let unmatched = warnings(&report, "ftd-not-matched");
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert!(unmatched[0].contains("3 FMCs") && unmatched[0].contains("ftd-spare"));
    assert!(!unmatched[0].contains("ftd-cloud"), "{}", unmatched[0]);
    let other = warnings(&report, "manager-not-in-case");
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(
        other[0].contains("ftd-cloud") && other[0].contains("acme-tenant.app.us.cdo.cisco.com")
    );
    assert!(warnings(&report, "several-fmcs").is_empty());
}

#[test]
fn relations_and_inherited_settings_follow_the_match() {
    let report = analyze("case-managers.tar");
    let west = device(&report, "fmc-west");
    let lab = device(&report, "fmc-lab");
    // fmc-west's and fmc-lab's evaluation licences explain the disabled connector of the FTD
    // each manages, not of the others.
    for (ftd, fmc) in [("ftd-south", west), ("ftd-lab1", lab)] {
        let disabled = finding(&report, "sse/connector-disabled", device(&report, ftd));
        let licence = finding(&report, "sse/license-evaluation", fmc);
        assert_eq!(disabled["root_cause"], false, "{ftd}");
        assert_eq!(
            disabled["explained_by"],
            serde_json::json!([licence["id"]]),
            "{ftd}"
        );
        // The licence is the FMC's, read by the FTD through its manager (the licence column).
        assert_eq!(device(&report, ftd)["licence"], "EVALUATION (FMC)", "{ftd}");
        // The manager. scope reads the matched FMC's version: 7.2.5 is newer than 7.0.5.
        let newer = finding(&report, "mgmt/version-incompatible", device(&report, ftd));
        assert!(
            newer["message"].as_str().unwrap().contains("7.0.5"),
            "{newer}"
        );
    }
    // fmc-east is healthy: its FTD's disabled connector is a root cause, with fmc-east's
    // registered licence; the unmatched and the cdFMC's FTDs inherit nothing.
    let north = device(&report, "ftd-north");
    assert_eq!(
        finding(&report, "sse/connector-disabled", north)["root_cause"],
        true
    );
    assert!(
        north["licence"].as_str().unwrap().starts_with("REGISTERED"),
        "{}",
        north["licence"]
    );
    for ftd in ["ftd-spare", "ftd-cloud"] {
        let d = device(&report, ftd);
        assert_eq!(d["licence"], "—", "{ftd}");
        assert_eq!(
            finding(&report, "sse/connector-disabled", d)["explained_by"],
            serde_json::json!([]),
            "{ftd}"
        );
    }
}

#[test]
fn a_manager_not_in_the_case_wins_over_the_only_fmc() {
    let report = analyze("case-manager-elsewhere.tar");
    let west = device(&report, "fmc-west");
    let licence = finding(&report, "sse/license-evaluation", west);
    // No show managers: the case's only FMC manages it, and its licence explains the FTD's
    // disabled connector.
    let spare = device(&report, "ftd-spare");
    assert_eq!(spare["management"]["matched_by"], "only-fmc");
    assert_eq!(spare["managed_by"], "fmc-west");
    assert_eq!(
        finding(&report, "sse/connector-disabled", spare)["explained_by"],
        serde_json::json!([licence["id"]])
    );
    // Its show managers names a cdFMC: not the only FMC's, whose licence explains nothing of it.
    let cloud = device(&report, "ftd-cloud");
    assert_eq!(cloud["management"]["not_matched"], "other-manager");
    assert_eq!(cloud["managed_by"], Value::Null);
    assert_eq!(cloud["licence"], "—");
    assert_eq!(
        finding(&report, "sse/connector-disabled", cloud)["root_cause"],
        true
    );
    assert_eq!(warnings(&report, "manager-not-in-case").len(), 1);
    assert!(warnings(&report, "ftd-not-matched").is_empty());
}

fn run(args: &[&str]) -> String {
    let out = fptriage().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn markdown_html_and_the_terminal_say_which_fmc_and_how() {
    let case = bundle("case-managers.tar");
    let case = case.to_str().unwrap();
    let md = run(&["analyze", case, "--format", "md", "--lang", "en"]);
    for line in [
        "managed by fmc-east.corp.example (matched by the host name in its show managers)",
        "managed by fmc-west (matched by the address in its show managers)",
        "managed by fmc-lab (matched by the identifier in its show managers)",
        "not matched to an FMC: its show managers names none of the case's FMCs",
        "managed by acme-tenant.app.us.cdo.cisco.com, which is not among the case's FMCs",
    ] {
        assert!(md.contains(line), "markdown lacks {line:?}");
    }
    let html = run(&["analyze", case, "--format", "html", "--lang", "en"]);
    assert!(html.contains("managed by fmc-west (matched by the address in its show managers)"));
    let ja = run(&["analyze", case, "--format", "md", "--lang", "ja"]);
    assert!(ja.contains("fmc-lab が管理（show managers の Identifier で照合）"));

    // The terminal view, from the same model.
    let (mut rules, problems) =
        fptriage::rules::load::load(&fptriage::rules::load::builtin_sources());
    assert!(problems.is_empty(), "{problems:?}");
    fptriage::rules::i18n::localize(&mut rules, fptriage::i18n::Lang::En);
    let analysis = fptriage::pipeline::analyze(
        &[PathBuf::from(case)],
        &fptriage::artifacts::ArtifactMap::builtin(),
        &rules,
        &fptriage::limits::Limits::default(),
    )
    .unwrap();
    let model = serde_json::to_value(fptriage::report::Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        &rules,
    ))
    .unwrap();
    let text = fptriage::report::terminal::render(&model, fptriage::i18n::Lang::En, false);
    assert!(
        text.contains("ftd-south (FTD 7.2.5 (build 208), managed by fmc-west)"),
        "{text}"
    );
    assert!(text.contains("ftd-cloud (FTD 7.2.5 (build 208), managed by no FMC of the case)"));
    assert!(text.contains("fmc-west (FMC 7.0.5 (build 72))"), "{text}");
}

#[test]
fn redact_hides_the_managers_names_and_addresses() {
    let case = bundle("case-managers.tar");
    let out = run(&[
        "analyze",
        case.to_str().unwrap(),
        "--format",
        "json",
        "--redact",
    ]);
    // The cdFMC's host names the customer's CDO tenant: the sse pack's `public` class excepts
    // `**.cdo.cisco.com` from the `**.cisco.com` it keeps (see the test below).
    for private in [
        "acme-tenant",
        "fmc-west",
        "FMC-EAST",
        "fmc-east",
        "10.20.0.5",
        "192.168.77.7",
    ] {
        assert!(
            !out.contains(private),
            "{private} left in a redacted report"
        );
    }
    let report: Value = serde_json::from_str(&out).unwrap();
    let south = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["management"]["matched_by"] == "address")
        .expect("the FTD matched by address");
    assert!(
        south["management"]["named"][0]
            .as_str()
            .unwrap()
            .starts_with("IP-")
    );
}

/// The customer's cdFMC tenant in the ftd-cloud scenario's `show managers` (`Host` and
/// `Display name`): a cisco.com host that names a customer.
const TENANT: &str = "acme-tenant.app.us.cdo.cisco.com";

/// Generic hosts of Cisco's cloud that the same cases name: readable with --redact.
const GENERIC: &[&str] = &["api-sse.cisco.com", "eventing-ingest.sse.itd.cisco.com"];

/// Whether `bytes` show the tenant (any case; its first label alone too).
fn shows_tenant(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    text.contains(TENANT) || text.contains("acme-tenant")
}

#[test]
fn redact_hides_a_cdfmc_tenant_host_in_every_format_and_keeps_the_generic_hosts() {
    for case in ["case-managers.tar", "case-manager-elsewhere.tar"] {
        let case = bundle(case);
        let case = case.to_str().unwrap();
        // Without --redact the tenant is there to hide, and so are the generic hosts.
        let plain = run(&["analyze", case, "--format", "json"]);
        assert!(shows_tenant(plain.as_bytes()), "{case}: no tenant to hide");
        for format in ["json", "md", "html"] {
            let out = fptriage()
                .args([
                    "analyze", case, "--format", format, "--redact", "--lang", "en",
                ])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{case} {format}");
            assert!(
                !shows_tenant(&out.stdout),
                "{case}: the {format} report shows the tenant"
            );
            assert!(
                !shows_tenant(&out.stderr),
                "{case}: stderr shows the tenant"
            );
            let text = String::from_utf8(out.stdout).unwrap();
            // Markdown names no cloud host of these cases: only JSON and HTML are checked.
            if format != "md" {
                for host in GENERIC {
                    assert!(
                        plain.contains(host),
                        "{case}: {host} not in the plain report"
                    );
                    assert!(text.contains(host), "{case}: {host} redacted in {format}");
                }
            }
        }
        // Pseudonymised like any private host: the report still says a manager is named.
        let (report, _) = json_run([
            std::ffi::OsStr::new("analyze"),
            std::ffi::OsStr::new(case),
            std::ffi::OsStr::new("--redact"),
        ]);
        let cloud = report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["management"]["not_matched"] == "other-manager")
            .expect("the cdFMC's FTD");
        let named = cloud["management"]["named"][0].as_str().unwrap();
        assert!(named.starts_with("HOST-"), "{named}");
    }
}

#[test]
fn redacted_batch_outputs_show_no_cdfmc_tenant_host() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::copy(
        bundle("case-manager-elsewhere.tar"),
        cases.join("case-manager-elsewhere.tar"),
    )
    .unwrap();
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
    let mut names = Vec::new();
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        let name = entry
            .path()
            .strip_prefix(&out)
            .unwrap()
            .display()
            .to_string();
        assert!(!shows_tenant(name.as_bytes()), "file name {name}");
        if entry.file_type().is_file() {
            // Bytes: triage.sqlite is binary, its strings stored as UTF-8.
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!shows_tenant(&bytes), "{name} shows the tenant");
            names.push(name);
        }
    }
    for file in ["results.jsonl", "triage.sqlite", "index.html"] {
        assert!(names.iter().any(|n| n == file), "no {file} in {names:?}");
    }
    // The map, which stays with the operator, gives it back.
    let mapping = std::fs::read_to_string(&map).unwrap();
    assert!(mapping.contains(TENANT), "{mapping}");
}

#[test]
fn an_fmc_s_own_address_is_its_own_not_a_peer_s() {
    // sftunnel-down-fmc lists three peers (10.10.1.21-23), each with its PEER INFO interfaces.
    let (facts, _) = json_run([
        std::ffi::OsStr::new("facts"),
        bundle("sftunnel-down-fmc.tar.gz").as_os_str(),
    ]);
    let fmc = &facts["devices"][0];
    assert_eq!(
        fmc["facts"]["mgmt.sftunnel.addresses"]["value"],
        serde_json::json!(["10.10.1.5"])
    );
}
