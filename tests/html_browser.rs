//! The HTML report in a real headless Chromium: the verdict is visible, the evidence is shown,
//! a script payload from a bundle is shown as text and does not run, and under print media at
//! 800 px every evidence row is visible, the device table fits and the timeline SVG names the
//! findings' devices. And the batch index: its filters and sorting work (its script runs
//! under its CSP hash) and, without script, it lists every case in its group
//! (`tests/browser/index.mjs`).
//!
//! Needs Debian's `chromium` (`/usr/bin/chromium`), `node`, and `tests/browser/node_modules`
//! (`npm ci --prefix tests/browser`); `.ci/run` installs them. Without them the test fails, naming
//! what is missing and how to install it: a check that cannot run is not a check that passed.
//! The screenshots are kept as `target/report-screenshot.png` and `target/index-screenshot.png`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

mod common;
use common::fptriage;

const CHROMIUM: &str = "/usr/bin/chromium";

/// An error line naming an SSE host (so `sse/dns-failure` fires) that carries markup.
const PAYLOAD_LINE: &str = r#"time="2020-04-19T14:00:00Z" level=error msg="[x][events.go:90 events:connectWebSocket] dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host <script>window.__pwned=1;document.title='PWNED'</script><img src=x onerror=\"window.__pwned=2\">""#;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn node_available() -> bool {
    Process::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What is missing to run the browser check, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!("{CHROMIUM} (apt-get install chromium)"));
    }
    if !node_available() {
        missing.push("node".into());
    }
    if !root()
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        missing.push(
            "tests/browser/node_modules/playwright-core (npm ci --prefix tests/browser)".into(),
        );
    }
    missing
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).unwrap();
        }
        // Symbolic links are left out: the tool does not follow them anyway.
    }
}

#[test]
fn html_report_in_headless_chromium() {
    let missing = missing_tools();
    assert!(
        missing.is_empty(),
        "the browser check cannot run; missing: {} (.ci/run installs them)",
        missing.join(", ")
    );

    // The healthy FTD, with one DNS error line carrying a script payload.
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html_browser");
    let _ = fs::remove_dir_all(&work);
    let bundle = work.join("healthy-ftd");
    copy_dir(
        &root().join("testdata/bundles/extracted/healthy-ftd"),
        &bundle,
    );
    let log =
        bundle.join("results-04-10-2020--143540/dir-archives/var-log/connector/connector.log");
    assert!(log.is_file(), "{} is not in the tree", log.display());
    let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "{PAYLOAD_LINE}").unwrap();
    drop(f);

    let report = work.join("report.html");
    let out = fptriage()
        .arg("analyze")
        .arg(&bundle)
        .arg("--output")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "analyze: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let html = fs::read_to_string(&report).unwrap();
    // The devices of the findings, which the timeline must name.
    let json = fptriage()
        .arg("analyze")
        .arg(&bundle)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let mut devices: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["first_seen"].is_string())
        .map(|f| f["device_name"].as_str().unwrap().to_string())
        .collect();
    devices.dedup();
    assert!(!devices.is_empty(), "no timed finding to draw");
    assert!(
        !html.contains("<script>window.__pwned"),
        "the payload is not escaped"
    );

    // target/report-screenshot.png (CARGO_TARGET_TMPDIR is target/tmp).
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("report-screenshot.png");
    let _ = fs::remove_file(&screenshot);
    let out = Process::new("node")
        .arg(root().join("tests/browser/check.mjs"))
        .arg(&report)
        .arg(&screenshot)
        .arg("DNS cannot resolve SSE hosts")
        .args(&devices)
        .env("CHROMIUM", CHROMIUM)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "browser check failed ({:?}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
}

/// The earliest collection day of a results.jsonl line's devices (`YYYY-MM-DD`), if any.
fn collected(line: &serde_json::Value) -> Option<String> {
    line["report"]["devices"]
        .as_array()?
        .iter()
        .filter_map(|d| d["collected_at"].as_str())
        .map(|t| t[..10].to_string())
        .min()
}

/// Cases of `lines` for which `keep` holds, sorted.
fn cases_where(
    lines: &[serde_json::Value],
    keep: impl Fn(&serde_json::Value) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| keep(l))
        .map(|l| l["case"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Every displayed row of a snapshot of index.mjs, as distinct case names, sorted.
fn displayed(snapshot: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = snapshot["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rows"].as_array().unwrap())
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn has_device(line: &serde_json::Value, field: &str, value: &str) -> bool {
    line["report"]["devices"]
        .as_array()
        .is_some_and(|ds| ds.iter().any(|d| d[field] == value))
}

#[test]
fn batch_index_filters_sorts_and_reads_without_script_in_headless_chromium() {
    let missing = missing_tools();
    // This check has no skip: without the browser it fails, and says what to install.
    assert!(
        missing.is_empty(),
        "the browser check cannot run; missing: {}",
        missing.join(", ")
    );

    // A backlog of every generated test bundle and one that cannot be read.
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("index_browser");
    let _ = fs::remove_dir_all(&work);
    let cases = work.join("cases");
    fs::create_dir_all(&cases).unwrap();
    for entry in fs::read_dir(root().join("testdata/bundles")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file()
            && [".tar.gz", ".tgz", ".tar", ".zip"]
                .iter()
                .any(|e| entry.file_name().to_string_lossy().ends_with(e))
        {
            fs::copy(entry.path(), cases.join(entry.file_name())).unwrap();
        }
    }
    fs::write(cases.join("broken.tar.gz"), b"\x1f\x8bnot really gzip").unwrap();
    let out = work.join("out");
    let run = fptriage()
        .arg("batch")
        .arg(&cases)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<serde_json::Value> = fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let all = cases_where(&lines, |_| true);
    assert!(all.len() > 30, "{all:?}");

    // What each filter should leave, derived from results.jsonl.
    let eu = cases_where(&lines, |l| has_device(l, "region", "EU"));
    let version = "6.7.0.2 (build 24)";
    let on_version = cases_where(&lines, |l| has_device(l, "version", version));
    let recovered = cases_where(&lines, |l| {
        l["report"]["findings"].as_array().is_some_and(|fs| {
            fs.iter()
                .any(|f| f["status"] == "recovered" && f["rule_severity"] != "info")
        })
    });
    let recovered_cloud = cases_where(&lines, |l| {
        l["report"]["findings"].as_array().is_some_and(|fs| {
            fs.iter().any(|f| {
                f["status"] == "recovered"
                    && f["rule_severity"] != "info"
                    && f["rule"] == "sse/cloud-unreachable"
            })
        })
    });
    let dns = cases_where(&lines, |l| {
        l["report"]["verdict"].as_array().is_some_and(|v| {
            v.iter().any(|f| {
                f["finding"]
                    .as_str()
                    .unwrap()
                    .starts_with("sse/dns-failure@")
            })
        })
    });
    let in_range = cases_where(&lines, |l| {
        collected(l).is_some_and(|d| ("2020-04-20".to_string()..="2020-04-22".into()).contains(&d))
    });
    let critical = cases_where(&lines, |l| {
        l["report"]["verdict"]
            .as_array()
            .is_some_and(|v| v.iter().any(|f| f["severity"] == "critical"))
    });
    for set in [&eu, &on_version, &recovered, &dns, &in_range, &critical] {
        assert!(!set.is_empty() && set.len() < all.len(), "{set:?}");
    }

    // The groups of the page, as the page lists them without script.
    let open_in = |out: &Path, args: &str| {
        let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("index-screenshot.png");
        let out = Process::new("node")
            .arg(root().join("tests/browser/index.mjs"))
            .arg(out.join("index.html"))
            .arg(&screenshot)
            .arg(args)
            .env("CHROMIUM", CHROMIUM)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "index.mjs failed ({:?}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = |args: &str| open_in(&out, args);
    let probe = first("[]");
    let sections = probe["without_script"]["sections"].as_array().unwrap();
    let group_of = |kind: &str, needle: &str| -> String {
        sections
            .iter()
            .find(|s| s["kind"] == kind && s["heading"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no {kind} section naming {needle}: {sections:?}"))["group"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let dns_group = group_of("current", "sse/dns-failure");
    let recovered_group = group_of("recovered", "sse/cloud-unreachable");

    let select = |id: &str, value: &str| serde_json::json!({"select": id, "value": value});
    let fill = |id: &str, value: &str| serde_json::json!({"fill": id, "value": value});
    let reset = serde_json::json!({"reset": true});
    let steps = serde_json::json!([
        select("f-region", "EU"),
        reset,
        select("f-version", version),
        reset,
        select("f-severity", "recovered"),
        reset,
        select("f-group", &dns_group),
        reset,
        select("f-group", &recovered_group),
        reset,
        fill("f-from", "2020-04-20"),
        fill("f-to", "2020-04-22"),
        reset,
        select("f-severity", "critical"),
        select("f-sort", "collected-desc"),
    ]);
    let actions = steps.to_string();
    let seen = first(&actions);
    assert_eq!(seen["console_errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["page_errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["requests"], serde_json::json!([]), "{seen}");

    // Without script: every case is listed, in its groups; the filters are not shown, the
    // <noscript> note is.
    let plain = &seen["without_script"];
    assert_eq!(plain["form_displayed"], false, "{plain}");
    assert_eq!(plain["noscript_displayed"], true, "{plain}");
    assert_eq!(displayed(plain), all);
    for s in plain["sections"].as_array().unwrap() {
        assert_eq!(s["displayed"], true, "{s}");
        assert!(!s["heading"].as_str().unwrap().is_empty(), "{s}");
    }
    assert!(plain["chart_bars"].as_u64().unwrap() > 0, "{plain}");
    // The recovered case is filed as recovered, not under "no root cause".
    let by_kind = |snapshot: &serde_json::Value, kind: &str| -> Vec<String> {
        let mut v: Vec<String> = snapshot["sections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == kind)
            .flat_map(|s| s["rows"].as_array().unwrap())
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(by_kind(plain, "recovered"), recovered);
    for case in &recovered {
        assert!(!by_kind(plain, "none").contains(case), "{case}");
    }

    // With script: the filters show, and each leaves exactly its cases.
    let scripted = &seen["with_script"];
    assert_eq!(scripted["form_displayed"], true, "{scripted}");
    assert_eq!(scripted["noscript_displayed"], false, "{scripted}");
    let total = format!("{n} of {n} case(s) shown", n = all.len());
    assert_eq!(scripted["shown_text"], total.as_str());
    let steps = seen["steps"].as_array().unwrap();
    let expect = [
        (0, &eu),
        (1, &all),
        (2, &on_version),
        (4, &recovered),
        (6, &dns),
        (8, &recovered_cloud),
        (11, &in_range),
        (12, &all),
        (13, &critical),
    ];
    for (i, want) in expect {
        let step = &steps[i];
        assert_eq!(&displayed(step), want, "step {i}: {}", step["action"]);
        assert_eq!(
            step["shown_text"],
            format!("{} of {} case(s) shown", want.len(), all.len()).as_str(),
            "step {i}"
        );
    }
    // A group filter leaves that section alone.
    let shown_groups: Vec<&serde_json::Value> = steps[6]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["displayed"] == true)
        .map(|s| &s["group"])
        .collect();
    assert_eq!(shown_groups, [&serde_json::json!(dns_group)]);

    // Sorted by collection date, newest first, in every section (cases without a date last).
    let day: BTreeMap<&str, Option<String>> = lines
        .iter()
        .map(|l| (l["case"].as_str().unwrap(), collected(l)))
        .collect();
    let sorted = &steps[14];
    assert_eq!(displayed(sorted), critical);
    let mut checked = 0;
    for s in sorted["sections"].as_array().unwrap() {
        let days: Vec<Option<String>> = s["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| day[r.as_str().unwrap()].clone())
            .collect();
        let key = |d: &Option<String>| (d.is_none(), std::cmp::Reverse(d.clone()));
        assert!(
            days.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
            "{}: {days:?}",
            s["group"]
        );
        checked += usize::from(days.windows(2).any(|w| w[0] != w[1]));
    }
    assert!(checked > 0, "no section had two dates to order");
    // And by name by default: the first section's rows before sorting were in name order.
    let names: Vec<&str> = plain["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut by_name = names.clone();
    by_name.sort();
    assert_eq!(names, by_name);

    // The same backlog in Japanese: the script runs under the page's CSP (its hash is the same
    // in every language), every step leaves the same cases, and says so in Japanese.
    let out_ja = work.join("out-ja");
    let run = fptriage()
        .arg("batch")
        .arg(&cases)
        .arg("--out")
        .arg(&out_ja)
        .args(["--lang", "ja"])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen_ja = open_in(&out_ja, &actions);
    assert_eq!(
        seen_ja["console_errors"],
        serde_json::json!([]),
        "{seen_ja}"
    );
    assert_eq!(seen_ja["page_errors"], serde_json::json!([]), "{seen_ja}");
    assert_eq!(seen_ja["requests"], serde_json::json!([]), "{seen_ja}");
    assert_eq!(seen_ja["without_script"]["noscript_displayed"], true);
    assert_eq!(displayed(&seen_ja["without_script"]), all);
    assert_eq!(seen_ja["with_script"]["form_displayed"], true);
    assert_eq!(
        seen_ja["with_script"]["shown_text"],
        format!("{n} 件中 {n} 件を表示", n = all.len()).as_str()
    );
    let steps_ja = seen_ja["steps"].as_array().unwrap();
    assert_eq!(steps_ja.len(), steps.len());
    for (i, want) in expect {
        assert_eq!(&displayed(&steps_ja[i]), want, "ja step {i}");
        assert_eq!(
            steps_ja[i]["shown_text"],
            format!("{} 件中 {} 件を表示", all.len(), want.len()).as_str(),
            "ja step {i}"
        );
    }
    assert_eq!(displayed(&steps_ja[14]), critical);
    // The sections' headings are in Japanese (the no-root-cause one, by its kind).
    let none_heading = seen_ja["without_script"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "none")
        .map(|s| s["heading"].as_str().unwrap().to_string())
        .unwrap();
    assert!(none_heading.starts_with("根本原因なし（"), "{none_heading}");
}
