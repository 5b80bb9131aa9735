//! `index.html` of a batch: the cases grouped by root cause, with filters, sorting and a weekly
//! chart, rendered from the template `index.html` of `report-templates/` (overridable with
//! `--templates`, like the reports).
//!
//! The page is one file that works offline: no external asset, and a Content-Security-Policy
//! that allows only the template's own inline script, by its SHA-256 hash. The template holds
//! the script in `{% set script %}…{% endset %}` and writes `{{ script | csp_hash }}` into its
//! CSP meta, so the hash is computed at render time from the very text it prints, and a
//! customised template keeps working. Every row carries its facets (severity, versions, regions,
//! collection day) as `data-` attributes that the script reads; without script the page shows
//! every group in full. What comes from a bundle is made visible ([`visible_value`]) and
//! autoescaped (the template's name ends in `.html`). The page's own words are in the batch's
//! `--lang`, through the reports' `tr` and `lang` ([`crate::report::i18n`]); the script holds no
//! words (it reads its one sentence from a `data-` attribute), so its hash is the same in every
//! language.
//!
//! A case is filed under each current root cause it has; under each problem that had recovered
//! by the time of collection (a finding of a warning or critical rule whose status is
//! `recovered`, not explained by a current finding); and only when it has neither, under "no
//! root cause". The chart counts cases per root cause per ISO week (Monday first) of their
//! collection date (the earliest of their devices).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Date;
use minijinja::value::Serde;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::results::{LineView, Located, devices, is_report_path, severity_rank};
use super::unexplained::Ranked;
use crate::i18n::Lang;
use crate::report::escape::visible_value;

/// The template's name, in `report-templates/` or a `--templates` folder.
pub const TEMPLATE: &str = "index.html";
/// Weeks the chart spans at most (the latest ones); earlier cases are counted, not drawn.
const CHART_WEEKS: usize = 104;
/// Root causes the chart draws at most (the largest groups).
const CHART_ROWS: usize = 12;
/// Unexplained templates shown (unexplained.json has them all).
const UNEXPLAINED_SHOWN: usize = 50;

/// How a group files its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    /// A current root cause.
    Current,
    /// A problem that had recovered when the bundle was collected.
    Recovered,
    /// Analysed, with neither.
    None,
    /// Could not be read.
    Error,
}

#[derive(Debug, Clone, Serialize)]
struct Row {
    case: String,
    html: Option<String>,
    json: Option<String>,
    devices: String,
    versions: Vec<String>,
    regions: Vec<String>,
    /// The earliest collection day of its devices (`YYYY-MM-DD`), if known.
    collected: Option<String>,
    /// In its group: `critical`, `warning`, `info`, `recovered`, `none` or `error`.
    severity: String,
    /// For a recovered problem: when it recovered.
    recovered_at: Option<Timestamp>,
    error: Option<String>,
    duration_ms: u64,
    /// Facets joined by line feeds for the `data-` attributes (a value holds none: control
    /// characters are made visible before).
    versions_key: String,
    regions_key: String,
}

#[derive(Debug, Serialize)]
struct Group {
    /// The filter's value and the section's anchor: `rc-N`.
    key: String,
    kind: Kind,
    rule: String,
    title: String,
    /// The highest severity among its cases (for a recovered group: the rule's).
    severity: String,
    cases: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Bar {
    x: usize,
    y: usize,
    h: usize,
    count: usize,
    week: String,
}

#[derive(Debug, Serialize)]
struct ChartRow {
    key: String,
    rule: String,
    title: String,
    severity: String,
    /// The title, cut to fit beside the bars.
    label: String,
    /// Baseline of its bars, and of its label.
    y: usize,
    total: usize,
    bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
struct Tick {
    x: usize,
    label: String,
}

#[derive(Debug, Serialize)]
struct Chart {
    width: usize,
    height: usize,
    /// Where the weeks start (left of it: the labels).
    left: usize,
    bar_width: usize,
    weeks: usize,
    first_week: String,
    last_week: String,
    ticks: Vec<Tick>,
    rows: Vec<ChartRow>,
    /// Root causes not drawn (over the row limit).
    rows_omitted: usize,
    /// Filed cases without a collection date, and before the charted weeks.
    undated: usize,
    earlier: usize,
}

/// The facets of a line.
struct Facets {
    versions: Vec<String>,
    regions: Vec<String>,
    collected: Option<Date>,
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !v.is_empty() && v != "—" && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn facets(v: &LineView) -> Facets {
    let devices = || v.report.iter().flat_map(|r| &r.devices);
    Facets {
        versions: distinct(devices().map(|d| d.version.clone())),
        regions: distinct(devices().map(|d| d.region.clone())),
        collected: devices()
            .filter_map(|d| d.collected_at)
            .min()
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date()),
    }
}

fn row(v: &LineView, f: &Facets, severity: &str, recovered_at: Option<Timestamp>) -> Row {
    // A line edited by hand (or from an older run) links only to a report batch could have
    // written: no `javascript:` or `../` link in the index.
    let link = |rel: &String, ext: &str| is_report_path(rel, ext).then(|| rel.clone());
    Row {
        case: v.case.clone(),
        html: v.reports.as_ref().and_then(|r| link(&r.html, ".html")),
        json: v.reports.as_ref().and_then(|r| link(&r.json, ".json")),
        devices: devices(v),
        versions: f.versions.clone(),
        regions: f.regions.clone(),
        collected: f.collected.map(|d| d.to_string()),
        severity: severity.to_string(),
        recovered_at,
        error: v.error.clone(),
        duration_ms: v.duration_ms,
        versions_key: String::new(),
        regions_key: String::new(),
    }
}

/// Where a line is filed: (kind, rule, title, severity in that group, recovered at).
type Filing = (Kind, String, String, String, Option<Timestamp>);

fn filings(v: &LineView) -> Vec<Filing> {
    if v.status != "ok" {
        return vec![(
            Kind::Error,
            String::new(),
            String::new(),
            "error".into(),
            None,
        )];
    }
    let findings: Vec<_> = v.report.iter().flat_map(|r| &r.findings).collect();
    let mut out: Vec<Filing> = Vec::new();
    let mut add = |kind, rule: &str, title: &str, severity: &str, at| match out
        .iter_mut()
        .find(|f| f.0 == kind && f.1 == rule)
    {
        Some(f) => {
            if severity_rank(severity) > severity_rank(&f.3) {
                f.3 = severity.to_string();
            }
            f.4 = f.4.max(at);
        }
        None => out.push((kind, rule.into(), title.into(), severity.into(), at)),
    };
    for verdict in v.report.iter().flat_map(|r| &r.verdict) {
        add(
            Kind::Current,
            verdict.rule(),
            &verdict.title,
            &verdict.severity,
            None,
        );
    }
    let current: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.status != "recovered")
        .map(|f| f.id.as_str())
        .collect();
    for f in &findings {
        let recovered_problem = f.status == "recovered"
            && severity_rank(&f.rule_severity) >= severity_rank("warning")
            && !f.explained_by.iter().any(|e| current.contains(e.as_str()));
        if recovered_problem {
            add(
                Kind::Recovered,
                &f.rule,
                &f.title,
                "recovered",
                f.recovered_at,
            );
        }
    }
    if out.is_empty() {
        out.push((
            Kind::None,
            String::new(),
            String::new(),
            "none".into(),
            None,
        ));
    }
    out
}

/// The Monday of `d`'s ISO week.
fn monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

fn weeks_between(a: Date, b: Date) -> usize {
    let days = (b - a).get_days().max(0) as usize;
    // `Date - Date` is a span in days, whatever the distance.
    days / 7
}

/// `text` cut to `max` characters, ending in `…` when it was longer.
fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// The chart of the current root-cause groups: cases per week of collection.
fn chart(groups: &[Group]) -> Option<Chart> {
    let current: Vec<&Group> = groups.iter().filter(|g| g.kind == Kind::Current).collect();
    let days: Vec<Date> = current
        .iter()
        .flat_map(|g| &g.cases)
        .filter_map(|c| c.collected.as_deref()?.parse().ok())
        .collect();
    let last = monday(*days.iter().max()?);
    let first = monday(*days.iter().min()?);
    let span = weeks_between(first, last) + 1;
    let weeks = span.min(CHART_WEEKS);
    let first = if span > weeks {
        last.checked_sub(jiff::Span::new().weeks((weeks - 1) as i64))
            .unwrap_or(first)
    } else {
        first
    };
    let bar_width = (720 / weeks).clamp(3, 24);
    let left = 300;
    let row_height = 30;
    let bar_max = 22;
    let drawn = &current[..current.len().min(CHART_ROWS)];
    let mut counts: Vec<Vec<usize>> = vec![vec![0; weeks]; drawn.len()];
    let (mut undated, mut earlier) = (0, 0);
    for g in &current {
        for c in &g.cases {
            match c.collected.as_deref().and_then(|s| s.parse::<Date>().ok()) {
                None => undated += 1,
                Some(d) if monday(d) < first => earlier += 1,
                Some(d) => {
                    if let Some(i) = drawn.iter().position(|x| x.key == g.key) {
                        counts[i][weeks_between(first, monday(d)).min(weeks - 1)] += 1;
                    }
                }
            }
        }
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1);
    let week_label = |i: usize| {
        first
            .checked_add(jiff::Span::new().weeks(i as i64))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let top = 8;
    let rows = drawn
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(r, (g, counts))| {
            let base = top + (r + 1) * row_height;
            ChartRow {
                key: g.key.clone(),
                rule: g.rule.clone(),
                title: g.title.clone(),
                severity: g.severity.clone(),
                label: short(&g.title, 40),
                y: base,
                total: counts.iter().sum(),
                bars: counts
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(w, &n)| {
                        let h = (n * bar_max).div_ceil(max).max(2);
                        Bar {
                            x: left + w * bar_width,
                            y: base - h,
                            h,
                            count: n,
                            week: week_label(w),
                        }
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let axis = top + drawn.len() * row_height + 6;
    // A label every few weeks, so that they do not overlap (each takes about 80 px).
    let every = (80usize).div_ceil(bar_width).max(1);
    let ticks = (0..weeks)
        .step_by(every)
        .map(|w| Tick {
            x: left + w * bar_width,
            label: week_label(w),
        })
        .collect();
    Some(Chart {
        width: left + weeks * bar_width + 90,
        height: axis + 24,
        left,
        bar_width,
        weeks,
        first_week: week_label(0),
        last_week: week_label(weeks - 1),
        ticks,
        rows,
        rows_omitted: current.len() - drawn.len(),
        undated,
        earlier,
    })
}

/// `sha256-<base64>` of a script, for a CSP `script-src` (safe as it is: base64 has no character
/// to escape in HTML). A script holding `</script` would end its element early (the rest would be
/// page text, and the hash would not match): refused.
fn csp_hash(script: String) -> Result<minijinja::Value, minijinja::Error> {
    Ok(minijinja::Value::from_safe_string(hash_of(&script)?))
}

fn hash_of(script: &str) -> Result<String, minijinja::Error> {
    if script.to_ascii_lowercase().contains("</script") {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "csp_hash: the script holds `</script`, which would end its element",
        ));
    }
    Ok(format!(
        "sha256-{}",
        base64(&Sha256::digest(script.as_bytes()))
    ))
}

/// Standard base64 with padding (RFC 4648 §4), as CSP hashes are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The reports' environment (the `--templates` folder first, then the built-in templates, the
/// same syntax, escaping and words in `lang`), with the index's own filter.
fn environment(folder: Option<PathBuf>, lang: Lang) -> minijinja::Environment<'static> {
    let mut env = crate::report::environment(folder);
    crate::report::i18n::install(&mut env, lang);
    env.add_filter("csp_hash", csp_hash);
    env
}

/// `index.html`: the groups (current root causes by severity then size, recovered problems,
/// no root cause, could not be read), the chart, the unexplained templates; its words in `lang`.
pub fn render(
    lines: &[Located],
    unexplained: &[Ranked],
    unexplained_total: usize,
    templates: Option<&Path>,
    lang: Lang,
) -> Result<String, minijinja::Error> {
    let mut groups: BTreeMap<(Kind, String), Group> = BTreeMap::new();
    for l in lines {
        let v = &l.view;
        let f = facets(v);
        for (kind, rule, title, severity, at) in filings(v) {
            let g = groups.entry((kind, rule.clone())).or_insert_with(|| Group {
                key: String::new(),
                kind,
                rule,
                title,
                severity: severity.clone(),
                cases: Vec::new(),
            });
            if severity_rank(&severity) > severity_rank(&g.severity) {
                g.severity = severity.clone();
            }
            g.cases.push(row(v, &f, &severity, at));
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(severity_rank(&b.severity).cmp(&severity_rank(&a.severity)))
            .then(b.cases.len().cmp(&a.cases.len()))
            .then(a.rule.cmp(&b.rule))
    });
    for (i, g) in groups.iter_mut().enumerate() {
        g.key = format!("rc-{}", i + 1);
    }
    let chart = chart(&groups);
    let listed = groups
        .iter()
        .filter(|g| matches!(g.kind, Kind::Current | Kind::Recovered))
        .count();
    let ok = lines.iter().filter(|l| l.view.status == "ok").count();
    // Lines may come from other machines or older versions: every text is made visible before
    // the facets are joined (a value then holds no line feed) and before rendering.
    let top = &unexplained[..unexplained.len().min(UNEXPLAINED_SHOWN)];
    let mut shown = serde_json::json!({
        "groups": groups, "chart": chart, "unexplained": top,
    });
    visible_value(&mut shown);
    let mut versions = BTreeSet::new();
    let mut regions = BTreeSet::new();
    for row in shown["groups"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .flat_map(|g| g["cases"].as_array_mut().into_iter().flatten())
    {
        for (list, key, seen) in [
            ("versions", "versions_key", &mut versions),
            ("regions", "regions_key", &mut regions),
        ] {
            let values: Vec<String> = row[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            row[key] = values.join("\n").into();
            seen.extend(values);
        }
    }
    let env = environment(templates.map(Path::to_path_buf), lang);
    env.get_template(TEMPLATE)?.render(minijinja::context! {
        total => lines.len(),
        ok => ok,
        failed => lines.len() - ok,
        version => env!("CARGO_PKG_VERSION"),
        groups => Serde(&shown["groups"]),
        listed => listed,
        chart => Serde(&shown["chart"]),
        versions => versions,
        regions => regions,
        unexplained => Serde(&shown["unexplained"]),
        unexplained_total => unexplained_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // sha256("") as browsers expect it in a CSP.
        assert_eq!(
            hash_of("").unwrap(),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(hash_of("a</SCRIPT>b").is_err());
    }

    fn line(case: &str, status: &str, report: serde_json::Value) -> Located {
        let line = serde_json::json!({
            "case": case, "status": status, "duration_ms": 5,
            "error": if status == "ok" { None } else { Some("bad <bytes>") },
            "reports": {"json": format!("cases/{case}.json"), "html": format!("cases/{case}.html")},
            "report": report,
        });
        Located {
            view: serde_json::from_value(line).unwrap(),
            source: 0,
            line: 0,
        }
    }

    fn device(collected: &str) -> serde_json::Value {
        serde_json::json!({"name": "ftd<1>", "product": "FTD", "version": "7.2 <b>",
            "region": "EU\"x", "collected_at": collected})
    }

    fn current(case: &str, rule: &str, severity: &str, collected: &str) -> Located {
        let id = format!("{rule}@d");
        line(
            case,
            "ok",
            serde_json::json!({
                "verdict": [{"finding": id, "severity": severity, "title": format!("<{rule}>")}],
                "findings": [{"id": id, "rule": rule, "severity": severity, "rule_severity": severity,
                    "status": "current", "explained_by": [], "title": format!("<{rule}>")}],
                "devices": [device(collected)],
            }),
        )
    }

    /// The text between `<script>` and `</script>`, and the hash named in the CSP.
    fn script_and_hash(html: &str) -> (String, String) {
        let start = html.find("<script>").unwrap() + "<script>".len();
        let end = html[start..].find("</script>").unwrap() + start;
        let csp = html.find("script-src '").unwrap() + "script-src '".len();
        let csp_end = html[csp..].find('\'').unwrap() + csp;
        (html[start..end].to_string(), html[csp..csp_end].to_string())
    }

    /// A current root cause in two weeks, a recovered problem, a clean case and an error.
    fn sample() -> Vec<Located> {
        let recovered = line(
            "r",
            "ok",
            serde_json::json!({
                "verdict": [],
                "findings": [{"id": "sse/cloud@d", "rule": "sse/cloud", "severity": "info",
                    "rule_severity": "critical", "status": "recovered", "explained_by": [],
                    "title": "Cloud unreachable", "recovered_at": "2020-04-27T19:29:59Z"}],
                "devices": [device("2020-04-27T19:35:07Z")],
            }),
        );
        vec![
            current("a", "sse/dns-failure", "critical", "2020-04-10T14:00:00Z"),
            current("b", "sse/dns-failure", "warning", "2020-04-21T10:00:00Z"),
            line(
                "c",
                "ok",
                serde_json::json!({"devices": [device("2020-04-11T00:00:00Z")]}),
            ),
            recovered,
            line("d<script>", "error", serde_json::Value::Null),
        ]
    }

    #[test]
    fn groups_escapes_and_hashes_its_script() {
        let lines = sample();
        let html = render(&lines, &[], 0, None, Lang::En).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(html.contains("d&lt;script&gt;"));
        assert!(html.contains("ftd&lt;1&gt;"));
        assert!(html.contains("7.2 &lt;b&gt;"));
        assert!(html.contains("EU&quot;x"));
        assert!(html.contains("bad &lt;bytes&gt;"));
        assert!(html.contains("&lt;sse&#x2f;dns-failure&gt;"), "{html}");
        // Groups: the current root cause with its 2 cases, the recovered one, the clean one.
        assert!(html.contains(
            r#"<section class="group" id="rc-1" data-group="rc-1" data-kind="current">"#
        ));
        assert!(html.contains(
            r#"<section class="group" id="rc-2" data-group="rc-2" data-kind="recovered">"#
        ));
        assert!(html.contains(r#"data-kind="none">"#));
        assert!(html.contains(r#"data-kind="error">"#));
        assert!(
            html.contains(r#"data-case="r" data-severity="recovered""#),
            "{html}"
        );
        assert!(html.contains("2020-04-27T19:29:59Z"));
        let none = &html[html.find(r#"data-kind="none""#).unwrap()..];
        let none = &none[..none.find("</section>").unwrap()];
        assert!(
            none.contains(r#"data-case="c""#) && !none.contains(r#"data-case="r""#),
            "{none}"
        );
        // The chart: two weeks with one case each (Monday 2020-04-06 and 2020-04-20; the
        // week between has none).
        assert!(html.contains("<svg"), "{html}");
        assert!(
            html.contains("1 case(s) in the week of 2020-04-06"),
            "{html}"
        );
        assert!(
            html.contains("1 case(s) in the week of 2020-04-20"),
            "{html}"
        );
        assert!(!html.contains("in the week of 2020-04-13"), "{html}");
        // The CSP allows exactly the script the page holds.
        let (script, hash) = script_and_hash(&html);
        assert!(script.contains("getElementById('filters')"));
        assert_eq!(hash, hash_of(&script).unwrap());
        assert!(html.contains("default-src 'none'"));
    }

    /// The page without its script (whose fallback sentence is English in every language).
    fn page_text(html: &str) -> String {
        let start = html.find("<script>").unwrap();
        let end = html.find("</script>").unwrap();
        format!("{}{}", &html[..start], &html[end..])
    }

    #[test]
    fn in_japanese_the_words_change_and_the_script_and_its_hash_do_not() {
        let mut lines = sample();
        // A root cause of a case with no collection date: counted, not drawn.
        let mut undated = current("e", "sse/dns-failure", "critical", "2020-04-10T14:00:00Z");
        for d in undated.view.report.iter_mut().flat_map(|r| &mut r.devices) {
            d.collected_at = None;
        }
        lines.push(undated);
        let en = render(&lines, &[], 3, None, Lang::En).unwrap();
        let ja = render(&lines, &[], 3, None, Lang::Ja).unwrap();
        assert!(en.contains(r#"<html lang="en">"#));
        assert!(ja.contains(r#"<html lang="ja">"#), "{ja}");
        assert_eq!(script_and_hash(&en), script_and_hash(&ja));
        for (en_word, ja_word) in [
            (
                r#"<h2 id="root-causes">Root causes</h2>"#,
                r#"<h2 id="root-causes">根本原因</h2>"#,
            ),
            ("<th>Severity</th>", "<th>重大度</th>"),
            (
                "<h2 id=\"weekly\">Cases per week</h2>",
                "<h2 id=\"weekly\">週ごとのケース数</h2>",
            ),
            (
                "1 case(s) in the week of 2020-04-06",
                "2020-04-06 の週に 1 件",
            ),
            (
                r#"<h3 id="no-root-cause">No root cause found (<span class="count">1</span>)</h3>"#,
                r#"<h3 id="no-root-cause">根本原因なし（<span class="count">1</span>）</h3>"#,
            ),
            (
                r#"<span class="sev recovered">RECOVERED</span>"#,
                r#"<span class="sev recovered">回復済み</span>"#,
            ),
            (
                r#"<span class="sev critical">CRITICAL</span>"#,
                r#"<span class="sev critical">重大</span>"#,
            ),
            (
                r#"<option value="">all</option>"#,
                r#"<option value="">すべて</option>"#,
            ),
            (
                r#"data-text="{shown} of {all} case(s) shown""#,
                r#"data-text="{all} 件中 {shown} 件を表示""#,
            ),
            (
                "1 filing(s) without a collection date not drawn.",
                "収集日のない 1 件は表示していません。",
            ),
            // No template is shown of the 3 counted: the heading says so.
            (
                "Errors no rule explains (0 of 3)",
                "どのルールでも説明できないエラー（3 件中 0 件）",
            ),
        ] {
            assert!(en.contains(en_word), "{en_word}\n{en}");
            assert!(ja.contains(ja_word), "{ja_word}\n{ja}");
        }
        // Values from the cases are the same, escaped the same.
        assert!(ja.contains("&lt;sse&#x2f;dns-failure&gt;"), "{ja}");
        let ja = page_text(&ja);
        for word in [
            "Root cause",
            "Severity",
            "case(s)",
            "week of",
            "Sort by",
            "recovered:",
            "Clear",
        ] {
            assert!(page_text(&en).contains(word), "{word}");
            assert!(!ja.contains(word), "`{word}` in\n{ja}");
        }
    }

    #[test]
    fn links_only_to_report_files() {
        let mut l = line("a", "ok", serde_json::json!({}));
        l.view.reports = Some(super::super::results::ReportPaths {
            json: "javascript:alert(1)".into(),
            html: "cases/../../x.html".into(),
        });
        let html = render(&[l], &[], 0, None, Lang::En).unwrap();
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("x.html"), "{html}");
        assert!(html.contains("<td>a</td>"), "{html}");
    }

    #[test]
    fn a_templates_folder_overrides_the_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TEMPLATE),
            "{% set script %}go(){% endset %}<meta content=\"{{ script | csp_hash }}\">\
             {% for g in groups %}[{{ g.kind }} {{ g.cases | length }}]{% endfor %}<script>{{ script }}</script>",
        )
        .unwrap();
        let lines = vec![current("a", "x/y", "warning", "2020-04-10T14:00:00Z")];
        let html = render(&lines, &[], 0, Some(dir.path()), Lang::En).unwrap();
        let want = hash_of("go()").unwrap();
        assert_eq!(
            html,
            format!("<meta content=\"{want}\">[current 1]<script>go()</script>")
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        let d: Date = "2020-04-26".parse().unwrap(); // a Sunday
        assert_eq!(monday(d).to_string(), "2020-04-20");
        assert_eq!(monday(monday(d)), monday(d));
        let a: Date = "2020-01-06".parse().unwrap();
        let b: Date = "2021-01-04".parse().unwrap();
        assert_eq!(weeks_between(a, b), 52);
    }
}
