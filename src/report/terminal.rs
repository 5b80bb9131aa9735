//! The report as a person reads it in a terminal: the verdict, then each finding with its first
//! line of evidence and its symptoms, then one line on the devices and what was not evaluated.
//!
//! This is what `analyze` prints when standard output is a terminal (as ripgrep does: a human
//! view on a terminal, a stable format in a pipe). It renders the same model as the templates
//! (possibly redacted), and every value from a bundle goes through [`escape::terminal`], so no
//! name can move the cursor or start a line. Colour is a parameter: the CLI decides whether the
//! terminal wants it (`NO_COLOR`, `TERM=dumb`).

use std::fmt::Write;

use serde_json::Value;

use super::escape;
use super::i18n::text;
use crate::i18n::Lang;

/// Characters of an evidence line shown; the full line is in the other formats.
const EVIDENCE_CHARS: usize = 160;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn severity(&self, severity: &str, label: &str) -> String {
        let code = match severity {
            "critical" => "1;31",
            "warning" => "1;33",
            _ => "1;34",
        };
        self.paint(code, label)
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// A value from the model, safe on one terminal line.
fn t(v: &Value, key: &str) -> String {
    escape::terminal(s(v, key)).into_owned()
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The report model (see [`super::Report`]) as the terminal view; `color` adds ANSI colours.
pub fn render(model: &Value, lang: Lang, color: bool) -> String {
    let w = |key: &'static str| text(key, lang).unwrap_or(key);
    let st = Style { color };
    let sev = |severity: &str| {
        let label = text(severity, lang).unwrap_or(severity).to_uppercase();
        st.severity(severity, &label)
    };
    let mut out = String::new();
    let empty = Vec::new();
    let list = |key: &str| model[key].as_array().unwrap_or(&empty);

    let damage = list("damage");
    if !damage.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            st.paint("1;31", w("Damage: this is a partial upload"))
        );
    }
    for d in damage {
        let _ = writeln!(
            out,
            "  {}",
            fill(
                w("{path} is damaged ({code}): {message}."),
                &[
                    ("path", t(d, "path")),
                    ("code", t(d, "code")),
                    ("message", t(d, "message")),
                ],
            )
        );
    }
    if !damage.is_empty() {
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "{}", st.bold(w("Verdict")));
    let verdict = list("verdict");
    if verdict.is_empty() {
        let none = if list("devices").is_empty() {
            w("No warning or critical finding: no device could be read.")
        } else {
            w("No warning or critical finding.")
        };
        let _ = writeln!(out, "  {none}");
    }
    for (i, v) in verdict.iter().enumerate() {
        let symptoms = v["symptoms"].as_u64().unwrap_or(0);
        let explains = if symptoms > 0 {
            format!(
                " {}",
                st.dim(&fill(
                    w("(explains {n} symptom{s})"),
                    &[
                        ("n", symptoms.to_string()),
                        ("s", if symptoms == 1 { "" } else { "s" }.into()),
                    ],
                ))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {}. {} {} {}{explains}",
            i + 1,
            sev(s(v, "severity")),
            st.bold(&t(v, "title")),
            fill(w("on {device}"), &[("device", t(v, "device_name"))]),
        );
        let _ = writeln!(out, "     {}", t(v, "message"));
        let _ = writeln!(out, "     {} {}", st.bold(w("Fix:")), t(v, "remediation"));
    }

    let findings = list("findings");
    let shown: Vec<&Value> = findings
        .iter()
        .filter(|f| f["root_cause"].as_bool() == Some(true) || s(f, "severity") == "info")
        .collect();
    let _ = writeln!(out, "\n{}", st.bold(w("Findings")));
    if shown.is_empty() {
        let _ = writeln!(out, "  {}", w("No findings."));
    }
    for f in shown {
        let recovered = if s(f, "status") == "recovered" {
            format!(" ({})", w("recovered"))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {} {} {} ({}){recovered}",
            sev(s(f, "severity")),
            t(f, "rule"),
            st.bold(&t(f, "title")),
            t(f, "device_name")
        );
        let _ = writeln!(out, "    {}", t(f, "message"));
        if let Some(e) = f["evidence"].as_array().and_then(|e| e.first()) {
            let root = list("devices")
                .iter()
                .find(|d| d["id"] == f["device"])
                .map(|d| s(d, "bundle"))
                .unwrap_or_default();
            let _ = writeln!(out, "    {}", st.dim(&evidence_line(e, root)));
        }
        symptoms(&mut out, findings, s(f, "id"), 2, &st, &sev, &w);
    }

    let devices: Vec<String> = list("devices")
        .iter()
        .map(|d| {
            // An FTD beside an FMC: which FMC manages it (the full report says how).
            let managed = match d.get("management") {
                Some(m) if m["fmc_name"].is_string() => format!(
                    ", {}",
                    fill(w("managed by {fmc}"), &[("fmc", t(m, "fmc_name"))])
                ),
                Some(m) if m.is_object() => format!(", {}", w("managed by no FMC of the case")),
                _ => String::new(),
            };
            format!(
                "{} ({} {}{managed})",
                t(d, "name"),
                t(d, "product"),
                t(d, "version")
            )
        })
        .collect();
    let _ = writeln!(out, "\n{} {}", st.bold(w("Devices")), devices.join(", "));
    let not_evaluated = list("not_evaluated").len();
    if not_evaluated > 0 {
        let _ = writeln!(
            out,
            "{} {}",
            st.bold(w("Not evaluated")),
            fill(
                w("{n} check(s) lacked data; see the full report"),
                &[("n", not_evaluated.to_string())],
            )
        );
    }
    let warnings = list("warnings").len() + list("errors").len();
    if warnings > 0 {
        let _ = writeln!(
            out,
            "{} {}",
            st.bold(w("Warnings")),
            fill(
                w("{n}; see the full report"),
                &[("n", warnings.to_string())]
            )
        );
    }
    let _ = writeln!(
        out,
        "{}",
        st.dim(w(
            "Full report: --format md (or html, json), or -o report.html"
        ))
    );
    out
}

/// One line per root cause of a report model (its verdict): `SEVERITY: title on device`, in
/// `lang`. Values are as in the model: escape them for where they go.
pub fn root_causes(model: &Value, lang: Lang) -> Vec<String> {
    let Some(verdict) = model["verdict"].as_array() else {
        return Vec::new();
    };
    verdict
        .iter()
        .map(|v| {
            let severity = s(v, "severity");
            format!(
                "{}: {} {}",
                text(severity, lang).unwrap_or(severity).to_uppercase(),
                s(v, "title"),
                fill(
                    text("on {device}", lang).unwrap_or("on {device}"),
                    &[("device", s(v, "device_name").to_string())]
                )
            )
        })
        .collect()
}

/// One evidence row on one line: `path:line  text`, the path relative to the device's bundle
/// root (the device is named on the line above; the full archive chain is in the other formats).
fn evidence_line(e: &Value, root: &str) -> String {
    let full = s(e, "path");
    let path = full
        .strip_prefix(root)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !root.is_empty() && !rest.is_empty())
        .unwrap_or(full);
    let path = escape::terminal(path);
    let at = match e["line"].as_u64() {
        Some(line) => format!("{path}:{line}"),
        None => path.into_owned(),
    };
    match e["text"].as_str().filter(|x| !x.is_empty()) {
        Some(text) => format!(
            "{at}  {}",
            cut(&escape::terminal(text.trim()), EVIDENCE_CHARS)
        ),
        None => at,
    }
}

/// The symptoms nested under `parent` (each under its first cause), one line each, indented.
fn symptoms(
    out: &mut String,
    findings: &[Value],
    parent: &str,
    depth: usize,
    st: &Style,
    sev: &dyn Fn(&str) -> String,
    w: &dyn Fn(&'static str) -> &'static str,
) {
    // The rules' `explains` form no cycle (lint); the depth bound keeps a broken model finite.
    if depth > 16 {
        return;
    }
    for f in findings
        .iter()
        .filter(|f| f["explained_by"][0].as_str() == Some(parent))
    {
        let _ = writeln!(
            out,
            "{}{} {} {} ({}) — {}",
            "  ".repeat(depth),
            st.dim(w("symptom:")),
            sev(s(f, "severity")),
            t(f, "rule"),
            t(f, "device_name"),
            t(f, "message")
        );
        symptoms(out, findings, s(f, "id"), depth + 1, st, sev, w);
    }
}

fn fill(text: &str, values: &[(&str, String)]) -> String {
    let owned: Vec<(String, String)> = values
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    super::i18n::fill(text, &owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_text_cannot_reach_the_terminal_as_control_characters() {
        let model = serde_json::json!({
            "verdict": [{"severity": "critical", "title": "t\x1b[2J", "device_name": "d\nx",
                         "message": "m", "remediation": "r", "symptoms": 0}],
            "findings": [], "devices": [{"name": "n", "product": "FTD", "version": "7"}],
        });
        let text = render(&model, Lang::En, false);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(
            text.contains("on d<U+000A>x") || text.contains("on d"),
            "{text}"
        );
        assert!(!text.contains("d\nx"));
    }

    #[test]
    fn colour_only_when_asked() {
        let model = serde_json::json!({"verdict": [], "findings": [], "devices": []});
        assert!(!render(&model, Lang::En, false).contains('\x1b'));
        assert!(render(&model, Lang::En, true).contains("\x1b[1m"));
    }
}
