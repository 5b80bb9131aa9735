//! The binary on every input form: the facts it extracts, the reports it renders, the exit
//! codes it returns.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{bundle, fptriage};

fn facts(input: &Path) -> Value {
    common::json_run([std::ffi::OsStr::new("facts"), input.as_os_str()]).0
}

fn fact<'a>(device: &'a Value, name: &str) -> &'a Value {
    &device["facts"][name]["value"]
}

#[test]
fn facts_from_every_input_form_agree() {
    // The same healthy FTD as tar.gz, plain tar and an extracted folder.
    for input in [
        "healthy-ftd.tar.gz",
        "healthy-ftd.tar",
        "extracted/healthy-ftd",
    ] {
        let case = facts(&bundle(input));
        let devices = case["devices"].as_array().unwrap();
        assert_eq!(devices.len(), 1, "{input}");
        let d = &devices[0];
        assert_eq!(d["product"], "FTD", "{input}");
        assert_eq!(fact(d, "connector.fqdn"), "api-sse.cisco.com", "{input}");
        assert_eq!(fact(d, "connector.port"), 8989, "{input}");
        assert_eq!(
            fact(d, "sockets.eventhandler.state"),
            "connected",
            "{input}"
        );
        assert_eq!(fact(d, "pmtool.sseconnector.state"), "Running", "{input}");
        assert!(
            fact(d, "connector.tcp.established").as_i64().unwrap() >= 1,
            "{input}"
        );
    }
}

#[test]
fn a_wrapper_holds_an_fmc_and_an_ftd_each_with_its_facts() {
    let case = facts(&bundle("case-fmc-ftd.tar"));
    let devices = case["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let fmc = devices
        .iter()
        .find(|d| d["product"] == "FMC")
        .expect("an FMC");
    let ftd = devices
        .iter()
        .find(|d| d["product"] == "FTD")
        .expect("an FTD");
    assert_eq!(fact(fmc, "license.registration"), "EVALUATION");
    assert_eq!(fact(ftd, "pmtool.sseconnector.state"), "User Disabled");
    assert!(
        fact(fmc, "device.version")
            .as_str()
            .unwrap()
            .starts_with('7')
            || fact(fmc, "device.version")
                .as_str()
                .unwrap()
                .starts_with('6')
    );
    // Paths name the enclosing archives, joined with `!/`.
    let path = ftd["artifacts"][0]["path"].as_str().unwrap();
    assert!(
        path.contains("case-fmc-ftd.tar!/") && path.contains(".tar.gz!/"),
        "{path}"
    );
    let fmc_index = devices.iter().position(|d| d["product"] == "FMC").unwrap();
    assert_eq!(ftd["managed_by"], fmc_index);
}

#[test]
fn a_zip_wrapper_with_a_tar_gz_and_a_zip_bundle() {
    let case = facts(&bundle("case-mixed.zip"));
    assert_eq!(case["devices"].as_array().unwrap().len(), 2);
}

#[test]
fn the_fmc_licence_explains_the_ftd_disabled_connector_across_devices() {
    let out = fptriage()
        .arg("analyze")
        .arg(bundle("case-fmc-ftd.tar"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    let findings = report["findings"].as_array().unwrap();
    let licence = findings
        .iter()
        .find(|f| f["rule"] == "sse/license-evaluation")
        .unwrap();
    let disabled = findings
        .iter()
        .find(|f| f["rule"] == "sse/connector-disabled")
        .unwrap();
    assert_ne!(licence["device"], disabled["device"]);
    assert_eq!(licence["root_cause"], true);
    assert_eq!(disabled["root_cause"], false);
    assert!(
        disabled["explained_by"]
            .as_array()
            .unwrap()
            .contains(&licence["id"])
    );
    assert_eq!(
        disabled["id"],
        format!(
            "sse/connector-disabled@{}",
            disabled["device"].as_str().unwrap()
        )
    );
    let evidence = &disabled["evidence"][0];
    assert!(
        evidence["path"]
            .as_str()
            .unwrap()
            .contains("pmtool status.output")
    );
    assert!(evidence["line"].as_u64().unwrap() >= 1);
}

#[test]
fn fail_on_decides_the_exit_code() {
    fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .args(["--format", "json"])
        .assert()
        .code(0);
    fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .args(["--format", "json", "--fail-on", "critical"])
        .assert()
        .code(1);
    fptriage()
        .arg("analyze")
        .arg(bundle("healthy-ftd.tar.gz"))
        .args(["--format", "json", "--fail-on", "warning"])
        .assert()
        .code(0);
    // A recovered problem does not count.
    fptriage()
        .arg("analyze")
        .arg(bundle("recovered-cloud-unreachable.tar.gz"))
        .args(["--fail-on", "warning"])
        .assert()
        .code(0);
    fptriage()
        .arg("analyze")
        .arg("/nonexistent/bundle.tar.gz")
        .assert()
        .code(2);
    fptriage()
        .args(["analyze", "--format", "pdf"])
        .arg(bundle("healthy-ftd.tar.gz"))
        .assert()
        .code(2);
}

#[test]
fn markdown_and_html_lead_with_the_verdict() {
    let out = fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    let verdict = md.find("## Verdict").unwrap();
    assert!(md[verdict..].find("dns").unwrap() < md.find("## Devices").unwrap());
    assert!(md.contains("**Fix:** Fix DNS on the management interface"));
    assert!(md.contains("symptom: **CRITICAL `sse/cloud-unreachable`**"));
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .arg("--output")
        .arg(&html)
        .assert()
        .code(0);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Evidence is never inside a <details> (print would leave it closed).
    assert!(page.contains("id=\"verdict\"") && page.contains("<div class=\"evidence\">"));
    assert!(!page.contains("<details class=\"evidence\">"));
    // Self-contained: no fetch of any outside resource. The rule's references are links (an
    // anchor fetches nothing), and nothing else points outside.
    assert!(!page.contains("src=\"http") && !page.contains("<script") && !page.contains("<link"));
    let hrefs: Vec<&str> = page.split("href=\"").skip(1).collect();
    assert!(!hrefs.is_empty(), "the TechNote reference is not a link");
    for h in hrefs {
        // Autoescape writes `/` as `&#x2f;`, which an attribute decodes.
        let h = h.replace("&#x2f;", "/");
        assert!(
            h.starts_with("https://www.cisco.com/c/en/us/support/docs/"),
            "{}",
            &h[..h.len().min(80)]
        );
    }
    assert!(page.contains("<svg class=\"timeline\""));
}

#[test]
fn report_snapshots() {
    // One view each: a multi-cause case in every format, a healthy and a recovered one in
    // Markdown (the checks that passed, the recovered problem in the verdict).
    for (bundle, name, format) in [
        ("multi-cause.tar.gz", "multi_cause", "md"),
        ("multi-cause.tar.gz", "multi_cause", "json"),
        ("multi-cause.tar.gz", "multi_cause", "html"),
        ("healthy-fmc.tar.gz", "healthy_fmc", "md"),
        ("recovered-cloud-unreachable.tar.gz", "recovered", "md"),
        ("dns-failure.tar.gz", "dns_failure", "html"),
    ] {
        let out = fptriage()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "analyze",
                &format!("testdata/bundles/{bundle}"),
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{bundle} {format}");
        let text = String::from_utf8(out.stdout).unwrap();
        insta::assert_snapshot!(format!("{name}_{format}"), text);
    }
}

#[test]
fn rules_lint_list_and_explain() {
    fptriage().args(["rules", "lint"]).assert().code(0);
    let list = fptriage().args(["rules", "list"]).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    // One indented line per rule, under a `pack <name>: N rule(s)` line per pack.
    let rules: Vec<&str> = list.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(rules.len(), 23, "{list}");
    assert_eq!(list.lines().next(), Some("pack sse: 16 rule(s)"), "{list}");
    let packs: Vec<&str> = list.lines().filter(|l| l.starts_with("pack ")).collect();
    assert_eq!(
        packs,
        [
            "pack sse: 16 rule(s)",
            "pack mgmt: 3 rule(s)",
            "pack platform: 4 rule(s)"
        ],
        "{list}"
    );
    let explain = fptriage()
        .args(["rules", "explain", "sse/dns-failure"])
        .output()
        .unwrap();
    let explain = String::from_utf8(explain.stdout).unwrap();
    for part in [
        "explains (its symptoms): sse/cloud-unreachable, sse/not-enrolled",
        "explained by (its causes): sse/version-unsupported",
        // The whole condition, as written: both line conditions, their artifact and filters.
        "          artifact: syslog",
        "          host: sse",
        "          recovered_by:",
        "  message: Name resolution fails for <sse-host> at the DNS server <dns_server> (3 times, last at 2026-01-01 10:05:00 UTC).",
    ] {
        assert!(explain.contains(part), "{part:?} not in:\n{explain}");
    }
    // A pack's rule: its window, count and applies_to; relations from either end.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/proxy.yaml"),
        "id: site/proxy\ntitle: Proxy refuses\nseverity: warning\ndescription: d\napplies_to:\n  product: [FTD]\nwhen:\n  lines:\n    artifact: connector-log\n    regex: 'proxy (?P<proxy>\\S+) refused'\n    min_count: 5\n    window: 1h\nexplained_by: [sse/dns-failure]\nmessage: 'proxy {{ proxy }} refused {{ count }} times'\nremediation: r\n",
    )
    .unwrap();
    let explain = |id: &str| {
        let out = fptriage()
            .args(["rules", "explain", id, "--rules"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let site = explain("site/proxy");
    for part in [
        "  applies_to:\n    product: [FTD]",
        "      min_count: 5\n      window: 1h",
        "explained by (its causes): sse/dns-failure",
        "  message: proxy <proxy> refused 3 times",
    ] {
        assert!(site.contains(part), "{part:?} not in:\n{site}");
    }
    let dns = explain("sse/dns-failure");
    assert!(
        dns.contains(
            "explains (its symptoms): site/proxy, sse/cloud-unreachable, sse/not-enrolled"
        ),
        "{dns}"
    );
    fptriage()
        .args(["rules", "explain", "sse/dns-failur"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `sse/dns-failure`"));
}

#[test]
fn lint_reports_a_bad_rule_with_line_column_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/bad.yaml"),
        "id: site/bad\ntitle: t\nseverity: warning\ndescription: d\nwhen:\n  fact: conector.fqdn\n  equals: x\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "lint"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[unknown-fact]"), "{text}");
    assert!(text.contains(":6:9"), "{text}");
    assert!(text.contains("did you mean `connector.fqdn`?"), "{text}");
    assert!(text.contains('^'), "{text}");
    let json = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let diags: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(diags[0]["code"], "unknown-fact");
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(6), Some(9))
    );
}

#[test]
fn a_rule_folder_overrides_a_builtin_rule_by_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sse")).unwrap();
    std::fs::write(
        dir.path().join("sse/dns-failure.yaml"),
        "id: sse/dns-failure\ntitle: Site DNS check\nseverity: warning\ndescription: d\nwhen:\n  lines:\n    artifact: connector-log\n    contains: no such host\nmessage: 'site: {{ count }}'\nremediation: r\n",
    )
    .unwrap();
    let out = fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .args(["--format", "json", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sse/dns-failure")
        .unwrap();
    assert_eq!(f["title"], "Site DNS check");
    assert_eq!(f["severity"], "warning");
}

#[test]
fn a_broken_rule_is_reported_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/broken.yaml"),
        "id: site/broken\ntitle: t\nseverity: warning\ndescription: d\nwhen:\n  lines:\n    artifact: connector-log\n    regex: '(unclosed'\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("site/lookups.yaml"),
        "id: site/lookups\ntitle: Lookups fail\nseverity: warning\ndescription: d\nwhen:\n  lines:\n    artifact: connector-log\n    contains: no such host\nmessage: '{{ count }} lookups failed'\nremediation: r\n",
    )
    .unwrap();
    let out = fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .args(["--format", "json", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    // cli-contract.md: a rule given with --rules that does not load exits 2; the report is
    // still written and lists it under warnings.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rule not loaded")
            && stderr.contains("broken.yaml:8:13")
            && stderr.contains("invalid-regex"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"site/lookups") && rules.contains(&"sse/dns-failure"),
        "{rules:?}"
    );
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "rule-not-loaded")
        .unwrap_or_else(|| panic!("no rule-not-loaded warning: {}", report["warnings"]));
    assert!(
        warning["path"].as_str().unwrap().ends_with("broken.yaml")
            && warning["message"]
                .as_str()
                .unwrap()
                .contains("invalid-regex"),
        "{warning}"
    );
    assert_eq!(report["warning_counts"]["rule-not-loaded"], 1);
}

/// Replaces the input's own name in every string of a report, and drops timings, so that two
/// reports of the same content under different names compare equal.
fn neutral(value: &mut Value, names: &[&str]) {
    match value {
        Value::String(s) => {
            for name in names {
                *s = s
                    .replace(&format!("{name}!/"), "INPUT/")
                    .replace(&format!("{name}/"), "INPUT/")
                    .replace(name, "INPUT");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| neutral(v, names)),
        Value::Object(map) => {
            map.retain(|k, _| !k.contains("elapsed") && !k.contains("generated"));
            map.values_mut().for_each(|v| neutral(v, names));
        }
        _ => {}
    }
}

#[test]
fn a_large_zip_reads_like_the_folder_it_was_made_from() {
    // Over 64 entries, a zip's entry heads are inflated on a second thread and an entry is
    // reopened when read past its head (a long connector.log here): the report must not change.
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("bundle");
    std::fs::create_dir(&folder).unwrap();
    let untar = std::process::Command::new("tar")
        .arg("xzf")
        .arg(bundle("dns-failure.tar.gz"))
        .arg("-C")
        .arg(&folder)
        .status()
        .unwrap();
    assert!(untar.success());
    let log = walkdir::WalkDir::new(&folder)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "connector.log")
        .unwrap()
        .into_path();
    let original = std::fs::read_to_string(&log).unwrap();
    let padding: String = (0..400)
        .map(|i| format!("level=debug msg=\"[fp][queue.go:71 queue:(*Spool).Stats] spool {i}\"\n"))
        .collect();
    assert!(padding.len() > 16 << 10);
    std::fs::write(&log, format!("{padding}{original}")).unwrap();
    std::fs::create_dir(folder.join("filler")).unwrap();
    for i in 0..150 {
        std::fs::write(
            folder.join(format!("filler/notes-{i}.txt")),
            "nothing to see\n",
        )
        .unwrap();
    }
    let zipped = tmp.path().join("bundle.zip");
    let zip = std::process::Command::new("zip")
        .args(["-q", "-r"])
        .arg(&zipped)
        .arg(".")
        .current_dir(&folder)
        .status()
        .expect("Info-ZIP `zip` is installed (.ci/run installs it)");
    assert!(zip.success());
    let report = |input: &Path| -> Value {
        let out = fptriage()
            .arg("analyze")
            .arg(input)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let mut report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let names = [zipped.to_str().unwrap(), folder.to_str().unwrap()];
        neutral(&mut report, &names);
        report
    };
    let (from_zip, from_folder) = (report(&zipped), report(&folder));
    let text = from_zip.to_string();
    assert!(text.contains("sse/dns-failure"), "{text}");
    // The evidence line lies past the entry's head: the reopened entry was read to the end.
    assert!(
        text.contains("connector.log\",\"line\":477"),
        "evidence from the padded log: {text}"
    );
    // Folder and zip differ in member order and in the symlink (which `zip` stores as the
    // file it points to); findings and facts must not.
    assert_eq!(from_zip["findings"], from_folder["findings"]);
    assert_eq!(
        from_zip["devices"][0]["facts"],
        from_folder["devices"][0]["facts"]
    );
}

/// Runs the binary in `cwd`: exit code and stderr.
fn run_in(cwd: &Path, args: &[&str]) -> (i32, String) {
    let out = fptriage()
        .current_dir(cwd)
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(bundle("healthy-ftd.tar.gz"), dir.join("x.tar.gz")).unwrap();
    std::fs::hard_link(dir.join("x.tar.gz"), dir.join("hard.tar.gz")).unwrap();
    let original = std::fs::read(dir.join("x.tar.gz")).unwrap();
    for args in [
        &["analyze", "x.tar.gz", "-o", "x.tar.gz"][..],
        &["analyze", "x.tar.gz", "-o", "./x.tar.gz"],
        &["analyze", "./x.tar.gz", "--output", "hard.tar.gz"],
        &[
            "analyze",
            "x.tar.gz",
            "--redact",
            "--redact-map",
            "x.tar.gz",
        ],
        &[
            "analyze",
            "x.tar.gz",
            "--artifacts",
            "x.tar.gz",
            "-o",
            "sub/../x.tar.gz",
        ],
    ] {
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let (code, stderr) = run_in(dir, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("is the input"), "{args:?}: {stderr}");
        assert_eq!(std::fs::read(dir.join("x.tar.gz")).unwrap(), original);
    }
    // A file of an input folder is input too; a new file there is not.
    let case = dir.join("case");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::copy(bundle("healthy-ftd.tar.gz"), case.join("ftd.tar.gz")).unwrap();
    let (code, stderr) = run_in(dir, &["analyze", "case", "-o", "case/ftd.tar.gz"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("a file of the input folder"), "{stderr}");
    assert_eq!(std::fs::read(case.join("ftd.tar.gz")).unwrap(), original);
    let (code, stderr) = run_in(dir, &["analyze", "case", "-o", "case/report.md"]);
    assert_eq!(code, 0, "{stderr}");

    let (code, stderr) = run_in(
        dir,
        &[
            "analyze",
            "x.tar.gz",
            "-o",
            "r.md",
            "--redact",
            "--redact-map",
            "./r.md",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("are the same file"), "{stderr}");
    assert!(!dir.join("r.md").exists());
}

#[cfg(unix)]
#[test]
fn an_output_onto_a_symbolic_link_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("target"), b"keep me").unwrap();
    std::os::unix::fs::symlink(dir.join("target"), dir.join("report.md")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.md")).unwrap();
    let input = bundle("healthy-ftd.tar.gz");
    for (flag, name) in [
        ("-o", "report.md"),
        ("-o", "dangling.md"),
        ("--redact-map", "report.md"),
    ] {
        let mut args = vec!["analyze", input.to_str().unwrap(), flag, name];
        if flag == "--redact-map" {
            args.extend(["--redact", "--overwrite-map"]);
        }
        let (code, stderr) = run_in(dir, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("symbolic link"), "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
        assert_eq!(std::fs::read(dir.join("target")).unwrap(), b"keep me");
        assert!(!dir.join("nowhere").exists());
    }
    // A device is never replaced by a rename.
    let (code, stderr) = run_in(
        dir,
        &["analyze", input.to_str().unwrap(), "-o", "/dev/null"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("redirect standard output"), "{stderr}");

    // A plain file is replaced, keeping its permissions.
    use std::os::unix::fs::PermissionsExt;
    let plain = dir.join("plain.md");
    std::fs::write(&plain, b"old").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, stderr) = run_in(dir, &["analyze", input.to_str().unwrap(), "-o", "plain.md"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&plain)
            .unwrap()
            .starts_with("# fptriage report")
    );
    let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn an_existing_redact_map_is_kept_unless_overwrite_map() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("map.json"), b"{\"IP-1\": \"the only key\"}").unwrap();
    let input = bundle("healthy-ftd.tar.gz");
    let args = [
        "analyze",
        input.to_str().unwrap(),
        "--redact",
        "--redact-map",
        "map.json",
        "-o",
        "r.md",
    ];
    let (code, stderr) = run_in(dir, &args);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("map.json") && stderr.contains("--overwrite-map"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.join("map.json")).unwrap(),
        b"{\"IP-1\": \"the only key\"}"
    );
    assert!(!dir.join("r.md").exists(), "nothing written when refused");

    let mut args = args.to_vec();
    args.push("--overwrite-map");
    let (code, stderr) = run_in(dir, &args);
    assert_eq!(code, 0, "{stderr}");
    let map: Value = serde_json::from_slice(&std::fs::read(dir.join("map.json")).unwrap()).unwrap();
    assert!(map.is_object());
    assert_ne!(map["IP-1"], "the only key");
}

/// Columns of a Markdown table row: its pipes that are not escaped, less one.
fn columns(row: &str) -> usize {
    let bytes = row.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
        - 1
}

/// The extracted healthy FTD with `hostname` as its host name.
fn hostile_bundle(root: &Path, hostname: &str) -> std::path::PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    let dir = root.join("hostile");
    copy(&bundle("extracted/healthy-ftd"), &dir);
    let results = dir.join("results-04-10-2020--143540/dir-archives");
    std::fs::write(results.join("etc/hostname"), format!("{hostname}\n")).unwrap();
    dir
}

#[test]
fn hostile_names_are_escaped_in_markdown_and_visible_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "<img src=x onerror=alert(1)>ftd\u{202E}gnp.exe`|";
    let input = hostile_bundle(tmp.path(), name);
    let input = input.to_str().unwrap();
    let render = |format: &str| {
        let out = fptriage()
            .args(["analyze", input, "--format", format])
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let md = render("md");
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)>ftd"), "{md}");
    assert!(!md.contains('\u{202E}'));
    assert!(md.contains("&lt;U+202E>gnp.exe\\`\\|"), "{md}");
    // The devices table still has its ten columns on the hostile row.
    let row = md.lines().find(|l| l.contains("onerror")).unwrap();
    assert_eq!(columns(row), 10, "{row}");

    let html = render("html");
    assert!(!html.contains("<img"));
    assert!(!html.contains('\u{202E}'));
    assert!(html.contains("&lt;U+202E&gt;gnp.exe"));

    let json = render("json");
    assert!(!json.contains('\u{202E}'));
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["devices"][0]["name"],
        "<img src=x onerror=alert(1)>ftd<U+202E>gnp.exe`|"
    );

    let out = fptriage().args(["facts", input]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{202E}'));
    assert!(text.contains("ftd<U+202E>gnp.exe"), "{text}");
}

#[test]
fn a_backtick_in_evidence_does_not_close_its_code_span() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("tick.tar.gz");
    let payload = "time=\"2020-04-19T14:33:00.000000000-05:00\" level=error msg=\"[`x` <b>|</b>][events.go:90 events:connectWebSocket] wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp: lookup eventing-ingest.sse.itd.cisco.com on 10.0.0.2:53: no such host ``\"\n";
    let mut source = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(bundle("dns-failure.tar.gz")).unwrap(),
    ));
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(&input).unwrap(),
        flate2::Compression::fast(),
    ));
    for entry in source.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if path.ends_with("var-log/connector/connector.log") {
            data.extend_from_slice(payload.as_bytes());
            header.set_size(data.len() as u64);
            header.set_cksum();
        }
        b.append(&header, &data[..]).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();

    let out = fptriage()
        .args(["analyze", input.to_str().unwrap(), "--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    let row = md
        .lines()
        .find(|l| l.contains("`x`"))
        .unwrap_or_else(|| panic!("evidence not quoted: {md}"));
    // Fenced with three backticks (the text holds a run of two), pipes escaped, and the row
    // keeps its six columns.
    assert!(row.contains("``` "), "{row}");
    assert!(row.contains("<b>\\|</b>"), "{row}");
    assert_eq!(columns(row), 6, "{row}");
}

#[test]
fn an_artifact_definition_that_does_not_load_is_a_warning_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/artifacts.yaml"),
        "artifacts:\n  - kind: site-notes\n    format: nosuchformat\n    paths: ['**/notes.txt']\n",
    )
    .unwrap();
    let out = fptriage()
        .arg("analyze")
        .arg(bundle("dns-failure.tar.gz"))
        .args(["--format", "json", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("artifact definition not loaded"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["code"] == "rule-not-loaded"
            && w["path"].as_str().unwrap().ends_with("artifacts.yaml")),
        "{warnings:?}"
    );
    // The built-in pack still ran.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "sse/dns-failure")
    );
}
