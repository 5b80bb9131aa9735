//! The run-wide outputs: `results.jsonl` lines (written and read back), `summary.csv`, and the
//! writing of `index.html` ([`super::index`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `results.jsonl` in an output folder.
pub const RESULTS: &str = "results.jsonl";
/// `summary.csv` in an output folder.
pub const SUMMARY: &str = "summary.csv";
/// `index.html` in an output folder.
pub const INDEX: &str = "index.html";
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

pub use crate::report::outfile::{write_atomic, write_atomic_from};

/// One CSV field, quoted per RFC 4180 when it holds a comma, a quote, CR or LF.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A text field of `summary.csv` as a spreadsheet may read it: one starting with `=`, `+`, `-`,
/// `@`, a tab or CR would be taken for a formula (`=cmd|' /C calc'!A0` from a case or host
/// name), so it gets a leading `'`, as OWASP advises. Every control character (line breaks
/// too: a row stays a line, for `grep` and `cut`) and invisible character is shown as
/// `<U+XXXX>` first.
pub fn csv_text(s: &str) -> String {
    let s = crate::report::escape::terminal(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(&s)
    }
}

/// Root causes of a line: distinct rule ids in verdict order, each with its highest severity.
fn root_causes(view: &LineView) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for v in view.report.iter().flat_map(|r| &r.verdict) {
        match out.iter_mut().find(|(rule, _, _)| rule == v.rule()) {
            Some(entry) => {
                if severity_rank(&v.severity) > severity_rank(&entry.1) {
                    entry.1 = v.severity.clone();
                }
            }
            None => out.push((v.rule().to_string(), v.severity.clone(), v.title.clone())),
        }
    }
    out
}

pub(super) fn devices(view: &LineView) -> String {
    view.report
        .iter()
        .flat_map(|r| &r.devices)
        .map(|d| format!("{} ({})", d.name, d.product))
        .collect::<Vec<_>>()
        .join("; ")
}

fn versions(view: &LineView) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for d in view.report.iter().flat_map(|r| &r.devices) {
        if !seen.contains(&d.version.as_str()) {
            seen.push(&d.version);
        }
    }
    seen.join("; ")
}

/// The header of `summary.csv`.
pub const CSV_HEADER: &str =
    "case,status,devices,versions,root_causes,severities,duration_ms,error";

/// `summary.csv`: one row per case (sorted by case), CRLF line ends (RFC 4180).
pub fn summary_csv(lines: &[Located]) -> String {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for l in lines {
        let v = &l.view;
        let causes = root_causes(v);
        let text = [
            v.case.clone(),
            v.status.clone(),
            devices(v),
            versions(v),
            causes
                .iter()
                .map(|c| c.0.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            causes
                .iter()
                .map(|c| c.1.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ];
        let mut row: Vec<String> = text.iter().map(|f| csv_text(f)).collect();
        row.push(v.duration_ms.to_string());
        row.push(csv_text(v.error.as_deref().unwrap_or_default()));
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The ranked unexplained templates of a run, with the counts `unexplained.json` and the index
/// show beside them.
pub struct Unexplained {
    pub ranked: Vec<super::unexplained::Ranked>,
    pub total: usize,
}

/// Writes `summary.csv`, `unexplained.json` and the drafts of `lines` (lines of
/// `dir/results.jsonl`) into `dir`.
pub fn write_summaries(
    dir: &Path,
    lines: &[Located],
    opts: &super::SummaryOptions,
) -> io::Result<Unexplained> {
    use super::unexplained;
    write_atomic(&dir.join(SUMMARY), summary_csv(lines).as_bytes())?;
    let (mut ranked, total, other) =
        unexplained::rank(&dir.join(RESULTS), lines, opts.max_templates)?;
    unexplained::write_drafts(dir, &mut ranked, opts.drafts)?;
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    unexplained::write_json(dir, &ranked, ok, total, other)?;
    Ok(Unexplained { ranked, total })
}

/// Writes `index.html` of `lines` and their unexplained templates into `dir`.
pub fn write_index(
    dir: &Path,
    lines: &[Located],
    unexplained: &Unexplained,
    opts: &super::SummaryOptions,
) -> io::Result<()> {
    let html = super::index::render(
        lines,
        &unexplained.ranked,
        unexplained.total,
        opts.templates.as_deref(),
    )
    .map_err(|e| io::Error::other(format!("{}: {e:#}", super::index::TEMPLATE)))?;
    write_atomic(&dir.join(INDEX), html.as_bytes())
}

/// Whether `rel` is a report path a batch writes: `cases/<stem><ext>`, the stem of
/// [`super::sanitise`]'s characters. Anything else in a `results.jsonl` was not written by us.
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
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn csv_formulas_are_neutralised() {
        assert_eq!(csv_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_text("+1"), "'+1");
        assert_eq!(csv_text("-2,3"), "\"'-2,3\"");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("\tx"), "<U+0009>x");
        assert_eq!(csv_text("a\nb"), "a<U+000A>b");
        assert_eq!(csv_text("a=b"), "a=b");
        assert_eq!(csv_text("x\u{202E}y"), "x<U+202E>y");
    }

    fn view(case: &str, status: &str, verdict: &[(&str, &str)]) -> Located {
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
    fn csv_rows_per_case() {
        let lines = vec![
            view("a", "ok", &[("sse/dns-failure@x", "critical")]),
            view("d<script>", "error", &[]),
        ];
        let csv = summary_csv(&lines);
        assert!(csv.starts_with(CSV_HEADER));
        assert!(csv.contains("a,ok,ftd<1> (FTD),7.2,sse/dns-failure,critical,5,\r\n"));
        assert!(csv.contains("d<script>,error,"));
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
