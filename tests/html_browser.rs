//! The HTML report in a real headless Chromium: the verdict is visible, the evidence is shown,
//! a script payload from a bundle is shown as text and does not run, and under print media at
//! 800 px every evidence row is visible, the device table fits and the timeline SVG names the
//! findings' devices.
//!
//! Needs Debian's `chromium` (`/usr/bin/chromium`), `node`, and `tests/browser/node_modules`
//! (`npm ci --prefix tests/browser`); `.ci/run` installs them. Without them the test fails when
//! `CI` is set and is skipped, with a note on stderr, otherwise. The screenshot is kept as
//! `target/report-screenshot.png`.

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
    if !missing.is_empty() {
        let list = missing.join(", ");
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but the browser check cannot run; missing: {list}");
        }
        // Written past the test harness's capture, so that `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "note: html_report_in_headless_chromium skipped; missing: {list}"
        );
        return;
    }

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
