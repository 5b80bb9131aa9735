//! `results.jsonl`, the record of a batch: one line per finished case, as written
//! ([`LineOut`]) and as read back ([`LineView`], only what the run-wide outputs need), the
//! latest line of each case, and the report paths a line may name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `results.jsonl` in an output folder.
pub const RESULTS: &str = "results.jsonl";
/// Folder of per-case reports in an output folder.
pub const CASES: &str = "cases";

/// Where a case's reports are, relative to the output folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportPaths {
    pub json: String,
    pub html: String,
}

/// One line of `results.jsonl`, as written.
#[derive(Debug, Serialize)]
pub struct LineOut<'a> {
    pub case: &'a str,
    pub input: String,
    pub inputs: Vec<String>,
    pub key: &'a str,
    pub status: &'a str,
    pub duration_ms: u64,
    pub bytes: u64,
    pub finished_at: Timestamp,
    pub tool_version: &'static str,
    pub error: Option<&'a str>,
    pub reports: Option<ReportPaths>,
    /// The report model, redacted when the batch redacts.
    pub report: Option<&'a serde_json::Value>,
}

/// What the summary and the index need of a line; the rest of the report is skipped while
/// parsing, so reading back thousands of lines keeps only this.
#[derive(Debug, Clone, Deserialize)]
pub struct LineView {
    pub case: String,
    #[serde(default)]
    pub key: String,
    pub status: String,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub reports: Option<ReportPaths>,
    #[serde(default)]
    pub report: Option<ReportView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportView {
    #[serde(default)]
    pub verdict: Vec<VerdictView>,
    #[serde(default)]
    pub findings: Vec<FindingView>,
    #[serde(default)]
    pub devices: Vec<DeviceView>,
}

/// What the index needs of a finding (a recovered one is filed as such).
#[derive(Debug, Clone, Deserialize)]
pub struct FindingView {
    pub id: String,
    pub rule: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub rule_severity: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub explained_by: Vec<String>,
    #[serde(default)]
    pub recovered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerdictView {
    pub finding: String,
    pub severity: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceView {
    pub name: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub collected_at: Option<Timestamp>,
}

impl VerdictView {
    /// The rule id of a finding id `<rule>@<device>`.
    pub fn rule(&self) -> &str {
        self.finding.split('@').next().unwrap_or(&self.finding)
    }
}

pub(super) fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// A parsed line and where it came from (`source` index, 0-based line number).
#[derive(Debug, Clone)]
pub struct Located {
    pub view: LineView,
    pub source: usize,
    pub line: usize,
}

/// What a `results.jsonl` holds.
#[derive(Debug, Default)]
pub struct Results {
    pub lines: Vec<Located>,
    /// 0-based numbers of the lines that are not ours (a run killed mid-write, a hand edit, a
    /// foreign file): left in the file as they are, and said so by the caller, since their
    /// cases then run again and are missing from the summary until they do.
    pub damaged: Vec<usize>,
}

/// Reads a `results.jsonl`; a missing file reads as empty, blank lines are ignored.
pub fn read_results(path: &Path, source: usize) -> io::Result<Results> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Results::default()),
        Err(e) => return Err(e),
    };
    let mut out = Results::default();
    for (line, text) in BufReader::new(file).split(b'\n').enumerate() {
        let text = text?;
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<LineView>(&text) {
            Ok(view) => out.lines.push(Located { view, source, line }),
            Err(_) => out.damaged.push(line),
        }
    }
    Ok(out)
}

/// The latest line of each case: by `finished_at`, then by source and line order. Sorted by
/// case name.
pub fn latest_per_case(lines: Vec<Located>) -> Vec<Located> {
    let mut by_case: BTreeMap<String, Located> = BTreeMap::new();
    for l in lines {
        let newer = match by_case.get(&l.view.case) {
            None => true,
            Some(old) => {
                (l.view.finished_at, l.source, l.line)
                    >= (old.view.finished_at, old.source, old.line)
            }
        };
        if newer {
            by_case.insert(l.view.case.clone(), l);
        }
    }
    by_case.into_values().collect()
}

pub(super) fn devices(view: &LineView) -> String {
    view.report
        .iter()
        .flat_map(|r| &r.devices)
        .map(|d| format!("{} ({})", d.name, d.product))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `rel` is a report path a batch writes: `cases/<stem><ext>`, the stem of
/// [`super::key::sanitise`]'s characters. Anything else in a `results.jsonl` was not written by us.
pub fn is_report_path(rel: &str, ext: &str) -> bool {
    rel.strip_prefix(CASES)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|name| name.strip_suffix(ext))
        .is_some_and(|stem| {
            !stem.is_empty()
                && !stem.starts_with('.')
                && stem
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
}

/// The report files of a line, as paths inside `dir`.
pub fn report_files(dir: &Path, paths: &ReportPaths) -> [PathBuf; 2] {
    [dir.join(&paths.json), dir.join(&paths.html)]
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::batch) fn view(case: &str, status: &str, verdict: &[(&str, &str)]) -> Located {
        let verdict: Vec<serde_json::Value> = verdict
            .iter()
            .map(|(f, s)| serde_json::json!({"finding": f, "severity": s, "title": format!("<{f}>")}))
            .collect();
        let line = serde_json::json!({
            "case": case, "status": status, "duration_ms": 5,
            "error": if status == "ok" { None } else { Some("bad <bytes>") },
            "reports": {"json": format!("cases/{case}.json"), "html": format!("cases/{case}.html")},
            "report": {"verdict": verdict, "devices": [{"name": "ftd<1>", "product": "FTD", "version": "7.2"}]},
        });
        Located {
            view: serde_json::from_value(line).unwrap(),
            source: 0,
            line: 0,
        }
    }

    #[test]
    fn report_paths_are_files_of_cases() {
        assert!(is_report_path("cases/a.tar.gz.json", ".json"));
        assert!(!is_report_path("cases/.x.json", ".json"));
        assert!(!is_report_path("cases/a/b.json", ".json"));
        assert!(!is_report_path("javascript:alert(1)", ".json"));
        assert!(!is_report_path("cases/../../x.html", ".html"));
    }

    #[test]
    fn latest_line_wins() {
        let mut a = view("a", "error", &[]);
        a.line = 0;
        let mut b = view("a", "ok", &[]);
        b.line = 1;
        let kept = latest_per_case(vec![a, b]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].view.status, "ok");
    }
}
