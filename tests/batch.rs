//! `fptriage batch` and `fptriage merge` on a folder of generated bundles with broken ones:
//! every good case reported as `analyze` reports it, broken ones as error rows, reruns skip
//! finished cases, shards partition the set and merge back to the same summary.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{bundle, fptriage};

/// Cases: three bundle files, a customer folder with two bundles, an extracted bundle (with
/// gzip'd rotated logs inside), a file of random bytes and an empty file.
fn cases_folder(root: &Path) -> PathBuf {
    let dir = root.join("cases");
    fs::create_dir_all(dir.join("customer 42")).unwrap();
    for name in [
        "healthy-ftd.tar.gz",
        "dns-failure.tar.gz",
        "case-fmc-ftd.tar",
    ] {
        fs::copy(bundle(name), dir.join(name)).unwrap();
    }
    for name in ["license-evaluation.tar.gz", "connector-disabled.tar.gz"] {
        fs::copy(bundle(name), dir.join("customer 42").join(name)).unwrap();
    }
    copy_tree(&bundle("extracted/healthy-ftd"), &dir.join("extracted"));
    // Deterministic noise that is no archive (xorshift; the first byte is not 0x1f).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..4096)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i == 0 { b'#' } else { x as u8 }
        })
        .collect();
    fs::write(dir.join("broken.tar.gz"), noise).unwrap();
    fs::write(dir.join("empty.tar.gz"), b"").unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

const GOOD: [&str; 5] = [
    "case-fmc-ftd.tar",
    "customer 42",
    "dns-failure.tar.gz",
    "extracted",
    "healthy-ftd.tar.gz",
];
const BROKEN: [&str; 2] = ["broken.tar.gz", "empty.tar.gz"];

fn batch(args: &[&str], inputs: &Path, out: &Path) -> (i32, String) {
    let output = fptriage()
        .arg("batch")
        .arg(inputs)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn results(out: &Path) -> Vec<Value> {
    fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn root_causes(report: &Value) -> BTreeSet<String> {
    report["verdict"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let id = v["finding"].as_str().unwrap();
            id.split('@').next().unwrap().to_string()
        })
        .collect()
}

/// Root causes `analyze` gives on the same files.
fn analyze_root_causes(inputs: &[PathBuf]) -> BTreeSet<String> {
    let args = std::iter::once(PathBuf::from("analyze")).chain(inputs.iter().cloned());
    root_causes(&common::json_run(args).0)
}

/// RFC 4180 rows (quoted fields with doubled quotes, CRLF line ends).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

/// summary.csv rows without the duration column (it differs between runs), sorted.
fn summary_without_durations(out: &Path) -> Vec<Vec<String>> {
    let rows = csv_rows(&fs::read_to_string(out.join("summary.csv")).unwrap());
    let header = &rows[0];
    assert_eq!(
        header.join(","),
        "case,status,devices,versions,root_causes,severities,duration_ms,error"
    );
    let duration = header.iter().position(|h| h == "duration_ms").unwrap();
    let mut body: Vec<Vec<String>> = rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            let mut r = r.clone();
            r.remove(duration);
            r
        })
        .collect();
    body.sort();
    body
}

#[test]
fn batch_reports_every_case_then_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = cases_folder(tmp.path());
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");

    let lines = results(&out);
    assert_eq!(lines.len(), GOOD.len() + BROKEN.len(), "{stderr}");
    let by_case: BTreeMap<&str, &Value> = lines
        .iter()
        .map(|l| (l["case"].as_str().unwrap(), l))
        .collect();
    for case in GOOD {
        let line = by_case[case];
        assert_eq!(line["status"], "ok", "{case}: {line}");
        assert!(line["error"].is_null());
        assert!(line["duration_ms"].is_u64());
        assert_eq!(line["key"].as_str().unwrap().len(), 16);
        // The same verdict as `analyze` on the same files.
        let files: Vec<PathBuf> = line["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| PathBuf::from(p.as_str().unwrap()))
            .collect();
        let batch_causes = root_causes(&line["report"]);
        assert_eq!(batch_causes, analyze_root_causes(&files), "{case}");
        // Its reports are written.
        for kind in ["json", "html"] {
            let path = out.join(line["reports"][kind].as_str().unwrap());
            assert!(path.is_file(), "{}", path.display());
        }
        let json: Value = serde_json::from_str(
            &fs::read_to_string(out.join(line["reports"]["json"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        assert_eq!(root_causes(&json), batch_causes, "{case}");
    }
    // The customer folder is its two bundles analysed together; the extracted bundle is
    // read as a folder (its rotated .gz logs are not taken for bundles).
    assert_eq!(
        by_case["customer 42"]["inputs"].as_array().unwrap().len(),
        2
    );
    // The FTD (7.2.5) is also newer than that FMC (7.0.5): its own root cause (mgmt/ pack).
    assert_eq!(
        root_causes(&by_case["customer 42"]["report"]),
        BTreeSet::from([
            "mgmt/version-incompatible".to_string(),
            "sse/license-evaluation".to_string()
        ])
    );
    assert_eq!(by_case["extracted"]["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(
        root_causes(&by_case["dns-failure.tar.gz"]["report"]),
        BTreeSet::from(["sse/dns-failure".to_string()])
    );
    assert!(root_causes(&by_case["healthy-ftd.tar.gz"]["report"]).is_empty());
    // Without a terminal, each case's progress line carries its answer.
    let progress = |case: &str| {
        stderr
            .lines()
            .find(|l| l.contains(&format!("] {case}: ok (")))
            .unwrap_or_else(|| panic!("no progress line for {case}: {stderr}"))
            .to_string()
    };
    let dns = progress("dns-failure.tar.gz");
    assert!(
        dns.ends_with("): CRITICAL: DNS cannot resolve SSE hosts on ftd-dmz-a"),
        "{dns}"
    );
    assert!(
        progress("healthy-ftd.tar.gz").ends_with("): no root cause"),
        "{stderr}"
    );
    for case in BROKEN {
        let line = by_case[case];
        assert_eq!(line["status"], "error", "{case}");
        assert!(!line["error"].as_str().unwrap().is_empty());
        assert!(line["report"].is_null());
    }

    // summary.csv: a row per case; index.html: grouped, with links to the reports.
    let summary = summary_without_durations(&out);
    assert_eq!(summary.len(), GOOD.len() + BROKEN.len());
    let dns = summary
        .iter()
        .find(|r| r[0] == "dns-failure.tar.gz")
        .unwrap();
    assert_eq!(dns[1], "ok");
    assert_eq!(dns[4], "sse/dns-failure");
    assert_eq!(dns[5], "critical");
    let broken = summary.iter().find(|r| r[0] == "broken.tar.gz").unwrap();
    assert_eq!(broken[1], "error");
    assert!(!broken[6].is_empty());
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("sse&#x2f;license-evaluation") || index.contains("sse/license-evaluation")
    );
    assert!(index.contains("customer 42"));
    assert!(index.contains("broken.tar.gz"));
    // One script: the index's own (allowed by its hash); nothing from a case is markup.
    assert_eq!(index.matches("<script").count(), 1);

    // A rerun skips every finished case and does not duplicate results.jsonl.
    let before = fs::read_to_string(out.join("results.jsonl")).unwrap();
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    // Said once, not once per case.
    assert_eq!(stderr.matches("already analysed").count(), 1, "{stderr}");
    assert!(stderr.contains("7 already analysed"), "{stderr}");
    for case in GOOD.iter().chain(&BROKEN) {
        assert!(
            !stderr.contains(&format!("skipped {case}")),
            "{case}: {stderr}"
        );
    }
    assert!(stderr.contains("7 skipped"), "{stderr}");
    assert_eq!(
        fs::read_to_string(out.join("results.jsonl")).unwrap(),
        before
    );
    assert_eq!(summary_without_durations(&out), summary);

    // A case whose file changed (here: its mtime) is analysed again, the others are not.
    let file = fs::File::options()
        .write(true)
        .open(inputs.join("dns-failure.tar.gz"))
        .unwrap();
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
    )
    .unwrap();
    drop(file);
    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("6 skipped"), "{stderr}");
    let lines = results(&out);
    assert_eq!(lines.len(), GOOD.len() + BROKEN.len() + 1);
    assert_eq!(lines.last().unwrap()["case"], "dns-failure.tar.gz");
    // The summary keeps one row per case (the latest).
    assert_eq!(summary_without_durations(&out), summary);
}

#[test]
fn shards_partition_the_cases_and_merge_back() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = cases_folder(tmp.path());
    let all = tmp.path().join("all");
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &all);
    assert_eq!(code, 0, "{stderr}");

    let mut shard_outs = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut total = 0;
    for k in 0..2 {
        let out = tmp.path().join(format!("shard-{k}"));
        let (code, stderr) = batch(
            &["--shard", &format!("{k}/2"), "--jobs", "1"],
            &inputs,
            &out,
        );
        assert_eq!(code, 0, "{stderr}");
        let cases: Vec<String> = results(&out)
            .iter()
            .map(|l| l["case"].as_str().unwrap().to_string())
            .collect();
        total += cases.len();
        seen.extend(cases);
        shard_outs.push(out);
    }
    // Disjoint, and together every case.
    assert_eq!(total, GOOD.len() + BROKEN.len());
    let expected: BTreeSet<String> = GOOD.iter().chain(&BROKEN).map(|s| s.to_string()).collect();
    assert_eq!(seen, expected);

    let merged = tmp.path().join("merged");
    let output = fptriage()
        .arg("merge")
        .args(&shard_outs)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        summary_without_durations(&merged),
        summary_without_durations(&all)
    );
    let lines = results(&merged);
    assert_eq!(lines.len(), GOOD.len() + BROKEN.len());
    for line in lines.iter().filter(|l| l["status"] == "ok") {
        for kind in ["json", "html"] {
            assert!(
                merged
                    .join(line["reports"][kind].as_str().unwrap())
                    .is_file()
            );
        }
    }
    assert!(merged.join("index.html").is_file());

    // Merging the same outputs again (a rerun) keeps one line per case.
    let output = fptriage()
        .arg("merge")
        .args(&shard_outs)
        .arg(&shard_outs[0])
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(results(&merged).len(), GOOD.len() + BROKEN.len());
}

#[test]
fn bad_arguments_and_unwritable_output_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let file = tmp.path().join("a-file");
    fs::write(&file, b"x").unwrap();

    // An output folder under a regular file cannot be created.
    let (code, stderr) = batch(&[], &inputs, &file.join("out"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot write the output folder"),
        "{stderr}"
    );

    let out = tmp.path().join("out");
    for args in [
        &["--shard", "2/2"][..],
        &["--shard", "1"][..],
        &["--shard", "0/0"][..],
        &["--jobs", "0"][..],
    ] {
        let (code, stderr) = batch(args, &inputs, &out);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    let (code, stderr) = batch(&[], &tmp.path().join("missing"), &out);
    assert_eq!(code, 2, "{stderr}");

    // merge of a folder that is no batch output.
    let output = fptriage()
        .arg("merge")
        .arg(&inputs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Every file under `root` (relative path → bytes), links listed by their target.
fn snapshot_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let kind = entry.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(entry.path()).unwrap();
            out.insert(rel, target.to_string_lossy().as_bytes().to_vec());
        } else if kind.is_file() {
            out.insert(rel, fs::read(entry.path()).unwrap());
        }
    }
    out
}

/// A one-case batch output to tamper with: its folder and its results.jsonl line.
fn one_case_shard(root: &Path, name: &str) -> (PathBuf, Value) {
    let inputs = root.join(format!("{name}-in"));
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let out = root.join(name);
    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let line = results(&out).remove(0);
    (out, line)
}

fn merge(sources: &[&Path], out: &Path) -> (i32, String) {
    let output = fptriage()
        .arg("merge")
        .args(sources)
        .arg("--out")
        .arg(out)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn merge_of_a_crafted_shard_writes_nothing_outside_out() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    fs::create_dir_all(&work).unwrap();
    let (shard, line) = one_case_shard(&work, "shard");
    // What a crafted line would copy: a file beside the shard, and a victim beside the output.
    fs::write(work.join("evil.txt"), b"evil").unwrap();
    fs::write(tmp.path().join("victim.txt"), b"precious").unwrap();
    let out_parent = tmp.path().join("o");
    fs::create_dir_all(&out_parent).unwrap();
    let out = out_parent.join("merged");

    let crafted = |reports: Value| {
        let mut l = line.clone();
        l["reports"] = reports;
        fs::write(shard.join("results.jsonl"), format!("{l}\n")).unwrap();
    };
    let html = line["reports"]["html"].clone();
    let json = line["reports"]["json"].clone();
    for reports in [
        // Up out of cases/ and out of the shard (and, in the output, out of --out).
        serde_json::json!({"json": "cases/../../evil.txt", "html": html}),
        serde_json::json!({"json": json, "html": "cases/../../../victim.txt"}),
        serde_json::json!({"json": "/etc/passwd", "html": html}),
        serde_json::json!({"json": "cases/x.json", "html": "cases/x.json"}),
    ] {
        crafted(reports.clone());
        let before = snapshot_tree(tmp.path());
        let (code, stderr) = merge(&[&shard], &out);
        assert_eq!(code, 2, "{reports}: {stderr}");
        assert!(stderr.contains("results.jsonl line 1"), "{stderr}");
        assert!(stderr.contains("refused"), "{stderr}");
        assert_eq!(
            snapshot_tree(tmp.path()),
            before,
            "{reports}: files changed"
        );
    }

    // A report that is a link (to the victim) is not followed, neither is a `cases` link.
    crafted(serde_json::json!({"json": json, "html": html}));
    let html_file = shard.join(html.as_str().unwrap());
    fs::remove_file(&html_file).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("victim.txt"), &html_file).unwrap();
    let before = snapshot_tree(tmp.path());
    let (code, stderr) = merge(&[&shard], &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert_eq!(snapshot_tree(tmp.path()), before);

    fs::remove_file(&html_file).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    fs::rename(shard.join("cases"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, shard.join("cases")).unwrap();
    let (code, stderr) = merge(&[&shard], &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("outside its folder"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        fs::read(tmp.path().join("victim.txt")).unwrap(),
        b"precious"
    );
}

#[test]
fn batch_and_merge_refuse_a_folder_that_is_not_their_output() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let foreign = tmp.path().join("website");
    fs::create_dir_all(&foreign).unwrap();
    fs::write(foreign.join("index.html"), b"<h1>my site</h1>").unwrap();
    fs::write(foreign.join("summary.csv"), b"mine").unwrap();
    let before = snapshot_tree(&foreign);

    let (code, stderr) = batch(&[], &inputs, &foreign);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("website"), "{stderr}");
    assert!(stderr.contains("not an fptriage batch output"), "{stderr}");
    assert_eq!(snapshot_tree(&foreign), before);

    // An empty folder is claimed (marker written); a rerun into it is accepted.
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let (code, stderr) = batch(&[], &inputs, &empty);
    assert_eq!(code, 0, "{stderr}");
    assert!(empty.join(".fptriage-batch").is_file());
    let (code, stderr) = batch(&[], &inputs, &empty);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 skipped"), "{stderr}");

    // Files it rewrites keep the modes they have.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let index = empty.join("index.html");
        fs::set_permissions(&index, fs::Permissions::from_mode(0o640)).unwrap();
        let (code, stderr) = batch(&[], &inputs, &empty);
        assert_eq!(code, 0, "{stderr}");
        let mode = fs::metadata(&index).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    // An output of an older version (no marker, results.jsonl of ours) is accepted too.
    fs::remove_file(empty.join(".fptriage-batch")).unwrap();
    let (code, stderr) = batch(&[], &inputs, &empty);
    assert_eq!(code, 0, "{stderr}");
    assert!(empty.join(".fptriage-batch").is_file());

    // merge: the same rule for its --out.
    let (code, stderr) = merge(&[&empty], &foreign);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(snapshot_tree(&foreign), before);
    let (code, stderr) = merge(&[&empty], &tmp.path().join("merged"));
    assert_eq!(code, 0, "{stderr}");
}

#[cfg(unix)]
#[test]
fn links_fifos_and_sockets_in_a_batch_folder_are_error_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("good.tar.gz")).unwrap();
    let outside = tmp.path().join("outside.tar.gz");
    fs::copy(bundle("dns-failure.tar.gz"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, inputs.join("link.tar.gz")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(inputs.join("fifo.tar.gz"))
        .status()
        .unwrap();
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(inputs.join("socket")).unwrap();

    let out = tmp.path().join("out");
    // Opening the FIFO would block forever: the timeout turns a hang into a failure.
    let output = fptriage()
        .arg("batch")
        .arg(&inputs)
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let by_case: BTreeMap<String, Value> = results(&out)
        .into_iter()
        .map(|l| (l["case"].as_str().unwrap().to_string(), l))
        .collect();
    assert_eq!(by_case.len(), 4, "{by_case:?}");
    assert_eq!(by_case["good.tar.gz"]["status"], "ok");
    let error = |case: &str| {
        assert_eq!(by_case[case]["status"], "error", "{case}");
        by_case[case]["error"].as_str().unwrap().to_string()
    };
    assert!(error("link.tar.gz").contains("symbolic link"));
    assert!(error("fifo.tar.gz").contains("FIFO"));
    assert!(error("socket").contains("not a regular file"));
    // The link's target was not read: nothing of its device (appliance UUID, host name) is in
    // the results (the rule id `sse/dns-failure` is, among the good case's passed checks).
    let results = fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert!(!results.contains("23857e39-73d8-aaa8-d97e-b1fef8789ff2"));
    assert!(!results.contains("ftd-dmz-a"));
    assert!(
        fs::read_to_string(out.join("summary.csv"))
            .unwrap()
            .contains("fifo.tar.gz,error")
    );
}

#[test]
fn hostile_case_names_are_neutral_in_the_csv_and_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    let formula = "=cmd|' -C calc'!A0.tar.gz";
    let escape = "red\u{1b}[31m\nfake line \u{202E}10.1.2.3.tar.gz";
    for name in [formula, "@SUM(1+1)", escape] {
        fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join(name)).unwrap();
    }
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--jobs", "1"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");

    let rows = csv_rows(&fs::read_to_string(out.join("summary.csv")).unwrap());
    let cases: BTreeSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert!(cases.contains("'=cmd|' -C calc'!A0.tar.gz"), "{cases:?}");
    assert!(cases.contains("'@SUM(1+1)"), "{cases:?}");
    assert!(
        rows[1..]
            .iter()
            .all(|r| !r[0].starts_with(['=', '+', '-', '@']))
    );
    assert!(
        cases.contains("red<U+001B>[31m<U+000A>fake line <U+202E>10.1.2.3.tar.gz"),
        "{cases:?}"
    );

    // stderr: no escape, no line made up by a name, no bidi control.
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(!stderr.contains('\u{202E}'), "{stderr}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("fake line")),
        "{stderr}"
    );
    assert!(
        stderr.contains("red<U+001B>[31m<U+000A>fake line"),
        "{stderr}"
    );

    // Nor in results.jsonl and index.html.
    for file in ["results.jsonl", "index.html"] {
        let text = fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains(['\u{1b}', '\u{202E}']), "{file}");
        assert!(
            text.contains("&lt;U+202E&gt;") || text.contains("<U+202E>"),
            "{file}"
        );
    }

    // With --redact, the private part of a name is not shown on stderr either.
    let redacted = tmp.path().join("redacted");
    let (code, stderr) = batch(&["--jobs", "1", "--redact"], &inputs, &redacted);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("10.1.2.3"), "{stderr}");
}

#[test]
fn unreadable_results_lines_are_warned_kept_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    for name in ["a.tar.gz", "b.tar.gz"] {
        fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join(name)).unwrap();
    }
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let results_path = out.join("results.jsonl");
    let text = fs::read_to_string(&results_path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // Case a's line cut short (a disk that filled up), and a foreign line.
    let cut = &lines[0][..lines[0].len() / 2].to_string();
    lines[0] = cut;
    let damaged = format!("{}\n{{\"foreign\": true}}\n", lines.join("\n"));
    fs::write(&results_path, &damaged).unwrap();

    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 line(s) are not fptriage results (line 1, 3)"),
        "{stderr}"
    );
    assert!(stderr.contains("2 unreadable line(s) kept"), "{stderr}");
    assert!(stderr.contains("1 ok, 0 error(s), 1 skipped"), "{stderr}");
    // Both damaged lines are still there, and the summary has both cases.
    let after = fs::read_to_string(&results_path).unwrap();
    assert!(after.starts_with(&damaged), "{after}");
    let rows = csv_rows(&fs::read_to_string(out.join("summary.csv")).unwrap());
    assert_eq!(rows.len(), 3, "{rows:?}");

    // merge warns too, and keeps them.
    let merged = tmp.path().join("merged");
    let (code, stderr) = merge(&[&out], &merged);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 line(s) are not fptriage results"),
        "{stderr}"
    );
    let text = fs::read_to_string(merged.join("results.jsonl")).unwrap();
    assert!(text.contains("{\"foreign\": true}"));
    assert!(text.contains(cut.as_str()));
}

#[test]
fn batch_redact_map_is_a_file_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let out = tmp.path().join("out");
    let map = tmp.path().join("map.json");
    let map_arg = map.to_str().unwrap();
    let (code, stderr) = batch(&["--redact", "--redact-map", map_arg], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let first = fs::read(&map).unwrap();

    // A rerun would replace the map that the earlier reports need: refused, map kept.
    let (code, stderr) = batch(&["--redact", "--redact-map", map_arg], &inputs, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--overwrite-map"), "{stderr}");
    assert_eq!(fs::read(&map).unwrap(), first);
    let (code, stderr) = batch(
        &["--redact", "--redact-map", map_arg, "--overwrite-map"],
        &inputs,
        &out,
    );
    assert_eq!(code, 0, "{stderr}");

    // Not in the input folder (it would be a case), not over the run's own files.
    for bad in [
        inputs.join("map.json"),
        out.join("summary.csv"),
        inputs.join("a.tar.gz"),
    ] {
        let before = fs::read(&bad).ok();
        let (code, stderr) = batch(
            &[
                "--redact",
                "--redact-map",
                bad.to_str().unwrap(),
                "--overwrite-map",
            ],
            &inputs,
            &out,
        );
        assert_eq!(code, 2, "{}: {stderr}", bad.display());
        assert_eq!(fs::read(&bad).ok(), before);
    }
}

/// The wording no rule knows, planted in some cases.
const NOVEL: &str = "[quota.go:<num> quota:Check] quota exceeded for tenant <num> on node <ip>";

/// A case built from the extracted healthy FTD with `lines` appended to its connector.log.
fn case_with_lines(dir: &Path, name: &str, lines: &[String]) {
    let case = dir.join(name);
    copy_tree(&bundle("extracted/healthy-ftd"), &case);
    let log = walkdir::WalkDir::new(&case)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "connector.log")
        .unwrap()
        .into_path();
    let mut text = fs::read_to_string(&log).unwrap();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    fs::write(&log, text).unwrap();
}

/// A generated backlog: bundles of the test data, and cases of the extracted healthy FTD where
/// three log the novel error (with other numbers and addresses each time), and one logs an
/// error line a rule matches (and nothing novel). Returns the folder and the novel lines planted.
fn backlog(root: &Path) -> (PathBuf, u64) {
    let dir = root.join("backlog");
    fs::create_dir_all(&dir).unwrap();
    for name in [
        "healthy-ftd.tar.gz",
        "dns-failure.tar.gz",
        "case-fmc-ftd.tar",
        "license-evaluation.tar.gz",
    ] {
        fs::copy(bundle(name), dir.join(name)).unwrap();
    }
    let mut planted = 0;
    for i in 1..=3u32 {
        let lines: Vec<String> = (1..=i)
            .map(|j| {
                planted += 1;
                format!(
                    "time=\"2020-04-10T14:{j:02}:00Z\" level=error msg=\"[ftd-branch7][quota.go:{} quota:Check] quota exceeded for tenant {} on node 10.1.{i}.{j}\"",
                    10 + i,
                    4700 + 13 * i + j
                )
            })
            .collect();
        case_with_lines(&dir, &format!("novel-{i}"), &lines);
    }
    case_with_lines(
        &dir,
        "matched",
        &["time=\"2020-04-10T14:09:00Z\" level=error msg=\"[ftd-branch7][events.go:90 events:connectWebSocket] dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host\"".to_string()],
    );
    (dir, planted)
}

/// Row counts of triage.sqlite: cases, devices, findings, evidence, not_evaluated, unexplained.
fn db_counts(out: &Path) -> [usize; 6] {
    let conn = rusqlite::Connection::open_with_flags(
        out.join("triage.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut counts = [0usize; 6];
    for (i, table) in [
        "cases",
        "devices",
        "findings",
        "evidence",
        "not_evaluated",
        "unexplained",
    ]
    .iter()
    .enumerate()
    {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        counts[i] = n as usize;
    }
    counts
}

/// Rows of triage.sqlite's batch ranking (`templates`).
fn templates_rows(out: &Path) -> usize {
    let conn = rusqlite::Connection::open_with_flags(
        out.join("triage.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM templates", [], |r| r.get(0))
        .unwrap();
    n as usize
}

/// The same counts from results.jsonl (the latest line of each case).
fn jsonl_counts(out: &Path) -> [usize; 6] {
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for l in results(out) {
        latest.insert(l["case"].as_str().unwrap().to_string(), l);
    }
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    let mut counts = [latest.len(), 0, 0, 0, 0, 0];
    for l in latest.values() {
        let r = &l["report"];
        counts[1] += len(&r["devices"]);
        counts[2] += len(&r["findings"]);
        counts[3] += r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| len(&f["evidence"]))
            .sum::<usize>();
        counts[4] += len(&r["not_evaluated"]);
        counts[5] += len(&r["unexplained"]["templates"]);
    }
    counts
}

fn unexplained(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("unexplained.json")).unwrap()).unwrap()
}

#[test]
fn a_novel_error_is_the_top_unexplained_template_with_a_draft_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let (inputs, planted) = backlog(tmp.path());
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");

    let u = unexplained(&out);
    let top = &u["templates"][0];
    assert_eq!(top["template"], NOVEL, "{u:#}");
    assert_eq!(top["artifact"], "connector-log");
    assert_eq!(top["cases"], 3);
    assert_eq!(top["count"], planted);
    assert_eq!(
        top["case_names"],
        serde_json::json!(["novel-1", "novel-2", "novel-3"])
    );
    assert_eq!(top["first_seen"], "2020-04-10T14:01:00Z");
    assert_eq!(top["last_seen"], "2020-04-10T14:03:00Z");
    // A line a rule matches (here sse/dns-failure's) is never unexplained, in any case.
    let text = fs::read_to_string(out.join("unexplained.json")).unwrap();
    assert!(!text.contains("no such host"), "{text}");
    let lines = results(&out);
    let matched = lines.iter().find(|l| l["case"] == "matched").unwrap();
    assert!(
        matched["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "sse/dns-failure"),
        "{matched}"
    );
    for l in &lines {
        let own = l["report"]["unexplained"]["templates"].as_array().unwrap();
        assert!(
            own.iter()
                .all(|t| !t["example"].as_str().unwrap().contains("no such host"))
        );
        // A case's report carries its own templates.
        let has = own.iter().any(|t| t["template"] == NOVEL);
        assert_eq!(
            has,
            l["case"].as_str().unwrap().starts_with("novel-"),
            "{l}"
        );
    }
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("quota exceeded for tenant &lt;num&gt;"),
        "{index}"
    );

    // The draft rule lints clean and its test passes.
    let draft = top["draft"].as_str().unwrap();
    assert!(out.join(draft).is_file(), "{draft}");
    let drafts = out.join("drafts");
    let lint = fptriage()
        .args(["rules", "lint"])
        .arg(&drafts)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(0), "{said}");
    assert!(said.contains("0 error(s), 0 warning(s)"), "{said}");
    let test = fptriage()
        .args(["rules", "test"])
        .arg(&drafts)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{said}");
    assert!(said.contains(" 0 failed"), "{said}");
    let stem = Path::new(draft).file_stem().unwrap().to_str().unwrap();
    assert!(said.contains(&format!("{stem}.test.yaml")), "{said}");

    // The database holds what results.jsonl holds: after the run, a rerun, and a merge.
    assert_eq!(db_counts(&out), jsonl_counts(&out));
    let first = db_counts(&out);
    assert!(first[5] >= 3 && first[1] > 0 && first[2] > 0, "{first:?}");
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(db_counts(&out), first);
    assert_eq!(jsonl_counts(&out), first);
    assert_eq!(
        templates_rows(&out),
        unexplained(&out)["templates"].as_array().unwrap().len()
    );
    // A rerun that analyses a changed case again: results.jsonl then holds two lines of it, the
    // database one case (the latest line), no duplicate row.
    let lines_before = results(&out).len();
    let log = walkdir::WalkDir::new(inputs.join("novel-2"))
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "connector.log")
        .unwrap()
        .into_path();
    fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30))
        .unwrap();
    let (code, stderr) = batch(&["--jobs", "2"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 ok, 0 error(s)"), "{stderr}");
    assert_eq!(results(&out).len(), lines_before + 1);
    assert_eq!(db_counts(&out), first);
    assert_eq!(jsonl_counts(&out), first);

    let mut shards = Vec::new();
    for k in 0..2 {
        let shard = tmp.path().join(format!("shard-{k}"));
        let (code, stderr) = batch(&["--shard", &format!("{k}/2")], &inputs, &shard);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(db_counts(&shard), jsonl_counts(&shard));
        shards.push(shard);
    }
    let merged = tmp.path().join("merged");
    for _ in 0..2 {
        let (code, stderr) = merge(&[&shards[0], &shards[1]], &merged);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(db_counts(&merged), first);
        assert_eq!(jsonl_counts(&merged), first);
        assert_eq!(
            templates_rows(&merged),
            unexplained(&merged)["templates"].as_array().unwrap().len()
        );
    }
    // Merge sums the shards' templates to the whole run's ranking.
    let mut whole = unexplained(&out);
    let mut joined = unexplained(&merged);
    assert_eq!(joined["templates"], whole["templates"]);
    whole["templates"] = Value::Null;
    joined["templates"] = Value::Null;
    assert_eq!(joined, whole);

    // The batch ranking is in the database too, with the case count.
    let conn = rusqlite::Connection::open(merged.join("triage.sqlite")).unwrap();
    let (template, cases): (String, i64) = conn
        .query_row(
            "SELECT template, count(DISTINCT case_id) FROM unexplained GROUP BY artifact, template \
             ORDER BY 2 DESC, sum(count) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((template.as_str(), cases), (NOVEL, 3));
}

#[test]
fn a_foreign_or_damaged_database_in_the_output_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("healthy-ftd.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let db = out.join("triage.sqlite");
    // Someone else's database, then a damaged file: refused by batch and merge, left as it is.
    let foreign = tmp.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    for bytes in [
        fs::read(&foreign).unwrap(),
        b"not a database at all".to_vec(),
    ] {
        fs::write(&db, &bytes).unwrap();
        fs::write(
            inputs.join("b.tar.gz"),
            fs::read(bundle("dns-failure.tar.gz")).unwrap(),
        )
        .unwrap();
        let (code, stderr) = batch(&[], &inputs, &out);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("triage.sqlite"), "{stderr}");
        assert!(
            stderr.contains("not a database written by fptriage"),
            "{stderr}"
        );
        assert_eq!(fs::read(&db).unwrap(), bytes);
        // Nothing ran: the new case is not in results.jsonl.
        assert!(results(&out).iter().all(|l| l["case"] != "b.tar.gz"));
        let (code, stderr) = merge(&[&out], &out);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(fs::read(&db).unwrap(), bytes);
        fs::remove_file(inputs.join("b.tar.gz")).unwrap();
    }
}

#[test]
fn a_bad_error_pattern_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir_all(&inputs).unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--error-pattern", "(unclosed"], &inputs, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--error-pattern"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn the_database_is_redacted_with_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir_all(&inputs).unwrap();
    // The device's own name and an address, in an unexplained line (its example is kept).
    case_with_lines(
        &inputs,
        "planted",
        &["time=\"2020-04-10T14:00:00Z\" level=error msg=\"[ftd-branch7][vault.go:7 vault:Check] vault sealed on ftd-branch7 for 10.77.66.55\"".to_string()],
    );
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--redact"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let db = fs::read(out.join("triage.sqlite")).unwrap();
    let text = String::from_utf8_lossy(&db);
    assert!(
        text.contains("vault sealed on"),
        "the template is in the database"
    );
    for secret in ["ftd-branch7", "10.77.66.55"] {
        assert!(!text.contains(secret), "triage.sqlite shows {secret}");
        for file in ["unexplained.json", "results.jsonl", "index.html"] {
            let t = fs::read_to_string(out.join(file)).unwrap();
            assert!(!t.contains(secret), "{file} shows {secret}");
        }
    }
    assert_eq!(db_counts(&out), jsonl_counts(&out));
}

/// The `<section>` of index.html whose `data-kind` is `kind` (the first), up to its end.
fn index_sections<'a>(index: &'a str, kind: &str) -> Vec<&'a str> {
    let marker = format!("data-kind=\"{kind}\">");
    index
        .match_indices(&marker)
        .map(|(at, _)| {
            let rest = &index[at..];
            &rest[..rest.find("</section>").unwrap()]
        })
        .collect()
}

#[test]
fn the_index_files_recovered_cases_as_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    for name in [
        "recovered-cloud-unreachable.tar.gz",
        "cloud-unreachable.tar.gz",
        "healthy-ftd.tar.gz",
    ] {
        fs::copy(bundle(name), inputs.join(name)).unwrap();
    }
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&[], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    // The recovered case has no root cause in its report: the index must not take it for clean.
    let lines = results(&out);
    let rec = lines
        .iter()
        .find(|l| l["case"] == "recovered-cloud-unreachable.tar.gz")
        .unwrap();
    assert!(root_causes(&rec["report"]).is_empty());
    let recovered_at = rec["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sse/cloud-unreachable" && f["status"] == "recovered")
        .unwrap()["recovered_at"]
        .as_str()
        .unwrap()
        .to_string();

    let index = fs::read_to_string(out.join("index.html")).unwrap();
    let recovered = index_sections(&index, "recovered");
    assert_eq!(recovered.len(), 1, "{index}");
    let section = recovered[0];
    assert!(section.contains("sse&#x2f;cloud-unreachable"), "{section}");
    assert!(section.contains("RECOVERED"), "{section}");
    assert!(
        section.contains("data-case=\"recovered-cloud-unreachable.tar.gz\""),
        "{section}"
    );
    assert!(section.contains(&recovered_at), "{section}");
    assert!(!section.contains("data-case=\"cloud-unreachable.tar.gz\""));
    // The current outage is a root cause, the healthy bundle is the one without.
    let current = index_sections(&index, "current");
    assert_eq!(current.len(), 1, "{index}");
    assert!(current[0].contains("data-case=\"cloud-unreachable.tar.gz\""));
    assert!(!current[0].contains("data-case=\"recovered-cloud-unreachable.tar.gz\""));
    let none = index_sections(&index, "none");
    assert_eq!(none.len(), 1, "{index}");
    assert!(none[0].contains("data-case=\"healthy-ftd.tar.gz\""));
    assert!(
        !none[0].contains("recovered-cloud-unreachable"),
        "{}",
        none[0]
    );
}

#[test]
fn the_index_template_is_overridden_by_templates_in_batch_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("cases");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(bundle("dns-failure.tar.gz"), inputs.join("a.tar.gz")).unwrap();
    let templates = tmp.path().join("templates");
    fs::create_dir_all(&templates).unwrap();
    fs::write(
        templates.join("index.html"),
        "<p>mine: {{ total }}{% for g in groups %} [{{ g.kind }} {{ g.rule }}]{% endfor %}</p>\n",
    )
    .unwrap();
    let t = templates.to_str().unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = batch(&["--templates", t], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    let want = "<p>mine: 1 [current sse&#x2f;dns-failure]</p>";
    assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), want);
    // The case's report is still the built-in one (the folder has no report.html).
    let report = fs::read_to_string(out.join("cases/a.tar.gz.html")).unwrap();
    assert!(report.contains("id=\"verdict\""), "{report}");

    let merged = tmp.path().join("merged");
    let output = fptriage()
        .arg("merge")
        .arg(&out)
        .arg("--out")
        .arg(&merged)
        .arg("--templates")
        .arg(&templates)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fs::read_to_string(merged.join("index.html")).unwrap(), want);
    // A template that does not render is refused before any case is analysed.
    fs::write(templates.join("index.html"), "{% for %}").unwrap();
    let broken = tmp.path().join("broken");
    let (code, stderr) = batch(&["--templates", t], &inputs, &broken);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("index.html"), "{stderr}");
    assert!(!broken.exists(), "{stderr}");
}

#[test]
fn reading_ahead_or_not_gives_the_same_results_and_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = cases_folder(tmp.path());
    let mut seen = Vec::new();
    for mode in ["on", "off"] {
        let out = tmp.path().join(format!("out-{mode}"));
        let (code, stderr) = batch(&["--read-ahead", mode, "--jobs", "2"], &inputs, &out);
        assert_eq!(code, 0, "{stderr}");
        let mut lines: Vec<(String, String, Value)> = results(&out)
            .into_iter()
            .map(|l| {
                (
                    l["case"].as_str().unwrap().to_string(),
                    l["key"].as_str().unwrap().to_string(),
                    l["report"].clone(),
                )
            })
            .collect();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        seen.push((lines, summary_without_durations(&out)));
        // The same key: a rerun in the other mode skips every case.
        let other = if mode == "on" { "off" } else { "on" };
        let (code, stderr) = batch(&["--read-ahead", other], &inputs, &out);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("0 ok, 0 error(s), 7 skipped"), "{stderr}");
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn the_language_is_part_of_the_resume_key() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir(&inputs).unwrap();
    fs::copy(
        bundle("dns-failure.tar.gz"),
        inputs.join("dns-failure.tar.gz"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let html = |out: &Path| {
        let line = results(out).pop().unwrap();
        fs::read_to_string(out.join(line["reports"]["html"].as_str().unwrap())).unwrap()
    };
    let (code, stderr) = batch(&["--lang", "en"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(html(&out).contains("<h2 style=\"margin-top:0\">Verdict</h2>"));
    // Another language: the case is analysed again, its reports rewritten in it.
    let (code, stderr) = batch(&["--lang", "ja"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 already analysed"), "{stderr}");
    assert!(
        stderr.contains("): 重大: DNS で SSE ホストの名前を解決できません"),
        "{stderr}"
    );
    let ja = html(&out);
    assert!(ja.contains("<html lang=\"ja\">"));
    assert!(ja.contains("<h2 style=\"margin-top:0\">結論</h2>"));
    assert!(ja.contains("DNS で SSE ホストの名前を解決できません"));
    // The same language again: nothing to do.
    let (code, stderr) = batch(&["--lang", "ja"], &inputs, &out);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 already analysed"), "{stderr}");
}

/// The page without its script: the script is the same in every language (its fallback
/// sentence is English), the page's words are not.
fn page_text(index: &str) -> String {
    let start = index.find("<script>").unwrap();
    let end = index.find("</script>").unwrap();
    format!("{}{}", &index[..start], &index[end..])
}

/// The hash in the CSP and the script it allows.
fn script_and_hash(index: &str) -> (&str, &str) {
    let start = index.find("<script>").unwrap() + "<script>".len();
    let end = index.find("</script>").unwrap();
    let csp = index.find("script-src '").unwrap() + "script-src '".len();
    let csp_end = index[csp..].find('\'').unwrap() + csp;
    (&index[start..end], &index[csp..csp_end])
}

#[test]
fn the_index_is_written_in_the_batch_language_and_merge_follows_lang() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir(&inputs).unwrap();
    // A current root cause (with an error no rule explains), a recovered one, a clean case and
    // one that cannot be read: every kind of section, the chart and the unexplained table.
    for name in [
        "dns-failure.tar.gz",
        "disk-full-recovered.tar.gz",
        "healthy-ftd.tar.gz",
    ] {
        fs::copy(bundle(name), inputs.join(name)).unwrap();
    }
    fs::write(inputs.join("broken.tar.gz"), b"not an archive").unwrap();
    let (en_out, ja_out) = (tmp.path().join("en"), tmp.path().join("ja"));
    let (code, stderr) = batch(&["--lang", "en"], &inputs, &en_out);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = batch(&["--lang", "ja"], &inputs, &ja_out);
    assert_eq!(code, 0, "{stderr}");
    let en = fs::read_to_string(en_out.join("index.html")).unwrap();
    let ja = fs::read_to_string(ja_out.join("index.html")).unwrap();

    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(ja.contains("<html lang=\"ja\">"), "{ja}");
    // Japanese headings and labels where the English page has its own.
    for (en_text, ja_text) in [
        ("<h1>fptriage batch</h1>", "<h1>fptriage バッチ</h1>"),
        (
            "<h2 id=\"root-causes\">Root causes</h2>",
            "<h2 id=\"root-causes\">根本原因</h2>",
        ),
        (
            "<h2 id=\"cases\">Cases by root cause</h2>",
            "<h2 id=\"cases\">根本原因別のケース</h2>",
        ),
        (
            "<h2 id=\"weekly\">Cases per week</h2>",
            "<h2 id=\"weekly\">週ごとのケース数</h2>",
        ),
        ("<th>Severity</th>", "<th>重大度</th>"),
        ("<th>Collected</th>", "<th>収集日</th>"),
        (
            "<span class=\"sev recovered\">RECOVERED</span>",
            "<span class=\"sev recovered\">回復済み</span>",
        ),
        (
            "<h3 id=\"no-root-cause\">No root cause found (",
            "<h3 id=\"no-root-cause\">根本原因なし（",
        ),
        ("Could not be read (", "読み取り不可（"),
        (
            "<h2>Errors no rule explains (1)</h2>",
            "<h2>どのルールでも説明できないエラー（1 件）</h2>",
        ),
        (
            "<button type=\"reset\">Clear</button>",
            "<button type=\"reset\">クリア</button>",
        ),
        (
            "data-text=\"{shown} of {all} case(s) shown\"",
            "data-text=\"{all} 件中 {shown} 件を表示\"",
        ),
    ] {
        assert!(en.contains(en_text), "{en_text}\n{en}");
        assert!(ja.contains(ja_text), "{ja_text}\n{ja}");
    }
    // The rule titles are the pack's, localised by it; ids stay.
    assert!(
        ja.contains("DNS で SSE ホストの名前を解決できません"),
        "{ja}"
    );
    assert!(ja.contains("sse&#x2f;dns-failure"), "{ja}");
    // None of the English page's own words is left in the Japanese one (outside its script).
    let (en_page, ja_page) = (page_text(&en), page_text(&ja));
    for word in [
        "Root cause",
        "Severity",
        "Version",
        "Region",
        "Collected",
        "Sort by",
        "newest first",
        "case(s)",
        "in the week of",
        "Filters and sorting",
        ">all<",
        "no root cause",
        "recovered:",
        "RECOVERED",
        "CRITICAL",
        "had recovered",
        "Recovered at",
        "Reports",
        "Errors no rule explains",
        "Template",
        "Example",
        "Draft",
        "analysed",
    ] {
        assert!(
            en_page.contains(word),
            "`{word}` is not in the English index"
        );
        assert!(
            !ja_page.contains(word),
            "`{word}` is in the Japanese index:\n{ja_page}"
        );
    }
    // One script, the same text and so the same hash in both languages.
    assert_eq!(ja.matches("<script").count(), 1);
    assert_eq!(script_and_hash(&en), script_and_hash(&ja));

    // merge writes its index in its own --lang.
    let (merged_ja, merged_en) = (tmp.path().join("mja"), tmp.path().join("men"));
    for (lang, out) in [("ja", &merged_ja), ("en", &merged_en)] {
        let run = fptriage()
            .arg("merge")
            .arg(&ja_out)
            .arg("--out")
            .arg(out)
            .args(["--lang", lang])
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let merged = fs::read_to_string(merged_ja.join("index.html")).unwrap();
    assert!(merged.contains("<html lang=\"ja\">"));
    assert!(merged.contains("<h2 id=\"root-causes\">根本原因</h2>"));
    let merged = fs::read_to_string(merged_en.join("index.html")).unwrap();
    assert!(merged.contains("<html lang=\"en\">"));
    assert!(merged.contains("<h2 id=\"root-causes\">Root causes</h2>"));
}

#[test]
fn a_rule_that_does_not_load_is_a_warning_of_every_case_and_exits_2() {
    let root = tempfile::tempdir().unwrap();
    let cases = root.path().join("cases");
    fs::create_dir_all(&cases).unwrap();
    fs::copy(
        bundle("dns-failure.tar.gz"),
        cases.join("dns-failure.tar.gz"),
    )
    .unwrap();
    let rules = root.path().join("rules");
    fs::create_dir_all(rules.join("site")).unwrap();
    fs::write(
        rules.join("site/broken.yaml"),
        "id: site/broken\ntitle: t\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.prot\n  exists: true\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    let out = root.path().join("out");
    let (code, stderr) = batch(&["--rules", rules.to_str().unwrap()], &cases, &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("rule not loaded"), "{stderr}");
    let lines = results(&out);
    assert_eq!(lines.len(), 1);
    let warnings = lines[0]["report"]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["code"] == "rule-not-loaded"
            && w["message"].as_str().unwrap().contains("unknown-fact")),
        "{warnings:?}"
    );
    // The case itself was analysed: its findings are there.
    assert!(root_causes(&lines[0]["report"]).contains("sse/dns-failure"));
}

/// Every table of a `triage.sqlite`, its rows as text and sorted, the columns that say when and
/// how long (`finished_at`, `duration_ms`) left out.
fn database_rows(out: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let conn = rusqlite::Connection::open_with_flags(
        out.join("triage.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() >= 7, "{tables:?}");
    let mut all = BTreeMap::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows: Vec<Vec<String>> = stmt
            .query_map([], |r| {
                let mut row = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    if name == "finished_at" || name == "duration_ms" {
                        continue;
                    }
                    let v: rusqlite::types::Value = r.get(i)?;
                    row.push(format!("{name}={v:?}"));
                }
                Ok(row)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        all.insert(table, rows);
    }
    all
}

/// Every file of an output folder but `results.jsonl`, `summary.csv` and the database (compared
/// without their times), by relative path; `index.html` without the analysis times it sorts by.
fn output_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let durations = regex::Regex::new(r#" data-duration="\d+""#).unwrap();
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(out).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(out)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if ["results.jsonl", "summary.csv", "triage.sqlite"].contains(&rel.as_str()) {
            continue;
        }
        let mut bytes = fs::read(entry.path()).unwrap();
        if rel == "index.html" {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                durations.is_match(&text),
                "the index no longer carries durations?"
            );
            bytes = durations.replace_all(&text, "").into_owned().into_bytes();
        }
        files.insert(rel, bytes);
    }
    files
}

#[test]
fn the_number_of_jobs_does_not_change_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = cases_folder(tmp.path());
    let mut seen = Vec::new();
    for jobs in ["1", "3"] {
        let out = tmp.path().join(format!("out-{jobs}"));
        let (code, stderr) = batch(&["--jobs", jobs], &inputs, &out);
        assert_eq!(code, 0, "{stderr}");
        let mut lines: Vec<Value> = results(&out)
            .into_iter()
            .map(|mut l| {
                let line = l.as_object_mut().unwrap();
                assert!(line.remove("duration_ms").is_some());
                assert!(line.remove("finished_at").is_some());
                l
            })
            .collect();
        lines.sort_by(|a, b| a["case"].as_str().cmp(&b["case"].as_str()));
        assert_eq!(lines.len(), GOOD.len() + BROKEN.len());
        let files = output_files(&out);
        for want in [
            "index.html",
            "unexplained.json",
            "cases/dns-failure.tar.gz.json",
        ] {
            assert!(files.contains_key(want), "{want}: {:?}", files.keys());
        }
        seen.push((
            lines,
            summary_without_durations(&out),
            database_rows(&out),
            files,
        ));
    }
    let (one, three) = (&seen[0], &seen[1]);
    assert_eq!(one.0, three.0, "results.jsonl");
    assert_eq!(one.1, three.1, "summary.csv");
    assert_eq!(one.2, three.2, "triage.sqlite");
    assert_eq!(
        one.3.keys().collect::<Vec<_>>(),
        three.3.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one.3 {
        assert!(
            bytes == &three.3[name],
            "{name} differs between --jobs 1 and 3"
        );
    }
}
