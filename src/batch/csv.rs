//! `summary.csv`: one row per case, quoted per RFC 4180 and safe to open in a spreadsheet.

use super::results::{LineView, Located, devices, severity_rank};

/// `summary.csv` in an output folder.
pub const SUMMARY: &str = "summary.csv";

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::results::tests::view;

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
}
