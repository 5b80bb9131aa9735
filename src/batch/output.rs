//! The run-wide outputs: `results.jsonl` lines (written and read back), `summary.csv` and
//! `index.html`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use minijinja::value::Serde;
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
    pub devices: Vec<DeviceView>,
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
}

impl VerdictView {
    /// The rule id of a finding id `<rule>@<device>`.
    pub fn rule(&self) -> &str {
        self.finding.split('@').next().unwrap_or(&self.finding)
    }
}

fn severity_rank(s: &str) -> u8 {
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

fn devices(view: &LineView) -> String {
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

#[derive(Serialize)]
struct IndexCase {
    case: String,
    html: Option<String>,
    json: Option<String>,
    devices: String,
    error: Option<String>,
    duration_ms: u64,
}

#[derive(Serialize)]
struct IndexGroup {
    anchor: String,
    rule: String,
    title: String,
    severity: String,
    cases: Vec<IndexCase>,
}

const INDEX_TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'">
<title>fptriage batch: {{ total }} cases</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #111; }
table { border-collapse: collapse; }
th, td { border: 1px solid #999; padding: .25em .6em; text-align: left; vertical-align: top; }
.sev { font-weight: bold; padding: 0 .3em; }
.critical { border: 2px solid #000; background: #f8d0d0; }
.warning { border: 2px dashed #000; background: #fbecc0; }
.info { border: 1px dotted #000; }
.error { border: 2px double #000; background: #eee; }
code { font-size: 95%; }
li { margin: .15em 0; }
</style>
</head>
<body>
<h1>fptriage batch</h1>
<p>{{ total }} case(s): {{ ok }} analysed, {{ failed }} could not be read. fptriage {{ version }}.</p>
<h2>Root causes</h2>
{% if groups %}
<table>
<thead><tr><th>Severity</th><th>Root cause</th><th>Rule</th><th>Cases</th></tr></thead>
<tbody>
{% for g in groups %}
<tr><td><span class="sev {{ g.severity }}">{{ g.severity | upper }}</span></td><td><a href="#{{ g.anchor }}">{{ g.title }}</a></td><td><code>{{ g.rule }}</code></td><td>{{ g.cases | length }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>No root cause in any case.</p>
{% endif %}
{% for g in groups %}
<section id="{{ g.anchor }}">
<h3><span class="sev {{ g.severity }}">{{ g.severity | upper }}</span> {{ g.title }} <code>{{ g.rule }}</code> ({{ g.cases | length }})</h3>
<ul>
{% for c in g.cases %}
<li>{% if c.html %}<a href="{{ c.html }}">{{ c.case }}</a>{% else %}{{ c.case }}{% endif %}{% if c.json %} (<a href="{{ c.json }}">JSON</a>){% endif %}{% if c.devices %}: {{ c.devices }}{% endif %}</li>
{% endfor %}
</ul>
</section>
{% endfor %}
<section id="no-root-cause">
<h2>No root cause found ({{ clean | length }})</h2>
{% if clean %}
<ul>
{% for c in clean %}
<li>{% if c.html %}<a href="{{ c.html }}">{{ c.case }}</a>{% else %}{{ c.case }}{% endif %}{% if c.json %} (<a href="{{ c.json }}">JSON</a>){% endif %}{% if c.devices %}: {{ c.devices }}{% endif %}</li>
{% endfor %}
</ul>
{% endif %}
</section>
<section id="unexplained">
<h2>Errors no rule explains ({{ unexplained | length }}{% if unexplained_total > unexplained | length %} of {{ unexplained_total }}{% endif %})</h2>
{% if unexplained %}
<p>Error-level log lines that no loaded rule's pattern matches, masked into templates, by the number of cases they appear in (all of them in <a href="unexplained.json">unexplained.json</a>; draft rules in <code>drafts/</code>).</p>
<table>
<thead><tr><th>#</th><th>Cases</th><th>Lines</th><th>Log</th><th>Template</th><th>Example</th><th>Draft</th></tr></thead>
<tbody>
{% for t in unexplained %}
<tr><td>{{ t.rank }}</td><td>{{ t.cases }}</td><td>{{ t.count }}</td><td>{{ t.artifact }}</td><td><code>{{ t.template }}</code></td><td>{{ t.example_case }}</td><td>{% if t.draft %}<a href="{{ t.draft }}"><code>{{ t.draft }}</code></a>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>None: every error-level line is matched by some rule.</p>
{% endif %}
</section>
<section id="errors">
<h2><span class="sev error">ERROR</span> Could not be read ({{ errors | length }})</h2>
{% if errors %}
<ul>
{% for c in errors %}
<li>{{ c.case }}: {{ c.error }}</li>
{% endfor %}
</ul>
{% endif %}
</section>
</body>
</html>
"##;

fn index_case(v: &LineView) -> IndexCase {
    // A line edited by hand (or from an older run) links only to a report batch could have
    // written: no `javascript:` or `../` link in the index.
    let link = |rel: &String, ext: &str| is_report_path(rel, ext).then(|| rel.clone());
    IndexCase {
        case: v.case.clone(),
        html: v.reports.as_ref().and_then(|r| link(&r.html, ".html")),
        json: v.reports.as_ref().and_then(|r| link(&r.json, ".json")),
        devices: devices(v),
        error: v.error.clone(),
        duration_ms: v.duration_ms,
    }
}

/// `index.html`: cases grouped by root cause (most cases first), then the cases without one,
/// then those that could not be read. Self-contained, everything escaped (autoescape: the
/// template's name ends in `.html`).
pub fn index_html(
    lines: &[Located],
    unexplained: &[super::unexplained::Ranked],
    unexplained_total: usize,
) -> Result<String, minijinja::Error> {
    let mut groups: BTreeMap<String, IndexGroup> = BTreeMap::new();
    let mut clean = Vec::new();
    let mut errors = Vec::new();
    for l in lines {
        let v = &l.view;
        if v.status != "ok" {
            errors.push(index_case(v));
            continue;
        }
        let causes = root_causes(v);
        if causes.is_empty() {
            clean.push(index_case(v));
        }
        for (rule, severity, title) in causes {
            let g = groups.entry(rule.clone()).or_insert_with(|| IndexGroup {
                anchor: String::new(),
                rule: rule.clone(),
                title: title.clone(),
                severity: severity.clone(),
                cases: Vec::new(),
            });
            if severity_rank(&severity) > severity_rank(&g.severity) {
                g.severity = severity;
            }
            g.cases.push(index_case(v));
        }
    }
    let mut groups: Vec<IndexGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        severity_rank(&b.severity)
            .cmp(&severity_rank(&a.severity))
            .then(b.cases.len().cmp(&a.cases.len()))
            .then(a.rule.cmp(&b.rule))
    });
    for (i, g) in groups.iter_mut().enumerate() {
        g.anchor = format!("rc-{}", i + 1);
    }
    let mut env = minijinja::Environment::new();
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_template("index.html", INDEX_TEMPLATE)?;
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    // Lines may come from other machines or older versions: their names are made visible here.
    // The index shows the first 50 templates; unexplained.json has them all.
    let top = &unexplained[..unexplained.len().min(50)];
    let mut shown =
        serde_json::json!({"groups": groups, "clean": clean, "errors": errors, "unexplained": top});
    crate::report::escape::visible_value(&mut shown);
    env.get_template("index.html")?.render(minijinja::context! {
        total => lines.len(),
        ok => ok,
        failed => lines.len() - ok,
        version => env!("CARGO_PKG_VERSION"),
        groups => Serde(&shown["groups"]),
        clean => Serde(&shown["clean"]),
        errors => Serde(&shown["errors"]),
        unexplained => Serde(&shown["unexplained"]),
        unexplained_total => unexplained_total,
    })
}

/// Writes `summary.csv`, `unexplained.json`, the drafts and `index.html` of `lines` (lines of
/// `dir/results.jsonl`) into `dir`.
pub fn write_summaries(
    dir: &Path,
    lines: &[Located],
    opts: &super::SummaryOptions,
) -> io::Result<Vec<super::unexplained::Ranked>> {
    use super::unexplained;
    write_atomic(&dir.join(SUMMARY), summary_csv(lines).as_bytes())?;
    let (mut ranked, total, other) =
        unexplained::rank(&dir.join(RESULTS), lines, opts.max_templates)?;
    unexplained::write_drafts(dir, &mut ranked, opts.drafts)?;
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    unexplained::write_json(dir, &ranked, ok, total, other)?;
    let html = index_html(lines, &ranked, total).map_err(io::Error::other)?;
    write_atomic(&dir.join(INDEX), html.as_bytes())?;
    Ok(ranked)
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
    fn index_groups_and_escapes() {
        let lines = vec![
            view("a", "ok", &[("sse/dns-failure@x", "critical")]),
            view("b", "ok", &[("sse/dns-failure@y", "warning")]),
            view("c", "ok", &[]),
            view("d<script>", "error", &[]),
        ];
        let html = index_html(&lines, &[], 0).unwrap();
        assert!(html.contains("sse&#x2f;dns-failure"));
        assert!(html.contains("(2)"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains("d&lt;script&gt;"));
        assert!(html.contains("ftd&lt;1&gt;"));
        assert!(html.contains("bad &lt;bytes&gt;"));
        let csv = summary_csv(&lines);
        assert!(csv.starts_with(CSV_HEADER));
        assert!(csv.contains("a,ok,ftd<1> (FTD),7.2,sse/dns-failure,critical,5,\r\n"));
    }

    #[test]
    fn index_links_only_to_report_files() {
        let mut l = view("a", "ok", &[]);
        l.view.reports = Some(ReportPaths {
            json: "javascript:alert(1)".into(),
            html: "cases/../../x.html".into(),
        });
        let html = index_html(&[l], &[], 0).unwrap();
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("x.html"), "{html}");
        assert!(html.contains("<li>a: "), "{html}");
        assert!(is_report_path("cases/a.tar.gz.json", ".json"));
        assert!(!is_report_path("cases/.x.json", ".json"));
        assert!(!is_report_path("cases/a/b.json", ".json"));
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
