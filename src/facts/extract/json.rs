//! `json`: values chosen by selectors (`$.a.b`, `$.items[*].x`, `$..x`) in every JSON document
//! or fragment of the member, in document order. A member that is not one JSON document is
//! scanned for its top-level `{…}` / `[…]` spans (strings and their escapes respected), each
//! parsed on its own, so JSON inside curl noise or a log excerpt is read too; the spans are
//! disjoint, so the work stays linear in the text.

use serde_json::Value;

use super::{Extractor, Found, record, typed};
use crate::artifacts::FactType;
use crate::artifacts::spec::{FactSpec, FieldFrom, How, Pick};
use crate::facts::FactValue;
use crate::parse::LineCounter;

pub(super) struct Json;

/// The top-level `{…}` and `[…]` spans of `text`, at most `max` of them, and whether more were
/// left out.
fn spans(text: &str, max: usize) -> (Vec<(usize, usize)>, bool) {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                // A string that runs into a newline is noise, not JSON.
                b'\n' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' if depth > 0 => in_string = true,
                b'{' | b'[' if depth > 0 => depth += 1,
                // A document starts at `{"` / `{}` or `[` and a value: a brace in prose
                // (`noise { not json`) starts nothing, and cannot swallow the JSON after it.
                b'{' | b'[' if opens_json(c, &b[i + 1..]) => {
                    start = i;
                    depth = 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        if out.len() >= max {
                            return (out, true);
                        }
                        out.push((start, i + 1));
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    (out, false)
}

/// Whether `{` or `[` followed by `rest` can start a JSON document.
fn opens_json(open: u8, rest: &[u8]) -> bool {
    let next = rest.iter().find(|b| !b.is_ascii_whitespace());
    match (open, next) {
        (b'{', Some(b'"' | b'}')) => true,
        (b'[', Some(c)) => matches!(
            c,
            b'"' | b'{' | b'[' | b']' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        ),
        _ => false,
    }
}

/// The JSON values of a member in document order, with the byte offset each starts at.
fn documents(doc: &str, max: usize) -> (Vec<(usize, Value)>, bool) {
    if let Ok(v) = serde_json::from_str::<Value>(doc) {
        return (vec![(doc.len() - doc.trim_start().len(), v)], false);
    }
    let (spans, more) = spans(doc, max);
    let values = spans
        .into_iter()
        .filter_map(|(s, e)| Some((s, serde_json::from_str::<Value>(&doc[s..e]).ok()?)))
        .collect();
    (values, more)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Extractor for Json {
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>) {
        let (docs, more) = documents(doc, out.limits.json_documents);
        if more {
            out.capped.push((
                "limit-json-documents",
                format!(
                    "only the first {} JSON documents of the member were read (--max-json-documents)",
                    out.limits.json_documents
                ),
            ));
        }
        let mut lines = LineCounter::new(doc);
        let starts: Vec<u32> = docs.iter().map(|(at, _)| lines.line_at(*at)).collect();
        // The line of a selected value: where its last key first stands in its document.
        let line_of = |i: usize, spec: &FactSpec| -> Option<u32> {
            let base = starts[i];
            let (at, _) = docs[i];
            let key = match &spec.how {
                How::Json(sel) => sel.last_key(),
                _ => None,
            };
            let Some(key) = key else { return Some(base) };
            let needle = format!("\"{key}\"");
            let rest = &doc[at..];
            Some(match rest.find(&needle) {
                Some(off) => base + rest[..off].matches('\n').count() as u32,
                None => base,
            })
        };
        for spec in specs {
            let How::Json(sel) = &spec.how else { continue };
            // Each document's line is searched once per fact, not once per value: a records
            // fact of a thousand objects stays linear in the text.
            let mut lines_of: Vec<Option<Option<u32>>> = vec![None; docs.len()];
            let mut line_of = |i: usize, spec: &FactSpec| -> Option<u32> {
                *lines_of[i].get_or_insert_with(|| line_of(i, spec))
            };
            match spec.ty {
                FactType::Records => {
                    let mut records = Vec::new();
                    for (i, (_, root)) in docs.iter().enumerate() {
                        for v in sel.select(root) {
                            records.push(record(spec, line_of(i, spec), |f| match &f.from {
                                FieldFrom::Json(fs) => {
                                    fs.select(v).first().and_then(|x| scalar_text(x))
                                }
                                _ => None,
                            }));
                        }
                    }
                    if !records.is_empty() {
                        out.records(spec, records, 0);
                    }
                }
                FactType::List => {
                    let mut items = Vec::new();
                    let mut line = None;
                    for (i, (_, root)) in docs.iter().enumerate() {
                        for v in sel.select(root) {
                            line = line.or_else(|| line_of(i, spec));
                            match v {
                                Value::Array(a) => items.extend(a.iter().filter_map(scalar_text)),
                                v => items.extend(scalar_text(v)),
                            }
                        }
                    }
                    if line.is_some() {
                        out.push(spec, FactValue::List(items), line);
                    }
                }
                ty => {
                    let mut found = Vec::new();
                    'docs: for (i, (_, root)) in docs.iter().enumerate() {
                        for v in sel.select(root) {
                            if let Some(v) = scalar_text(v).and_then(|t| typed(&t, ty, spec.parse))
                            {
                                found.push((v, line_of(i, spec)));
                                if spec.pick == Pick::First {
                                    break 'docs;
                                }
                            }
                        }
                    }
                    out.single(spec, found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_in_text_are_read_in_order() {
        let text = "* Connected\n< HTTP/1.1 200\n{\"haStatus\": {\"state\": \"Active\"}}\nnoise { not json\n[1, 2]\n";
        let (docs, more) = documents(text, 10);
        assert!(!more);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert_eq!(docs[0].1["haStatus"]["state"], "Active");
        assert_eq!(docs[1].1, serde_json::json!([1, 2]));
        let (_, more) = documents("{}{}{}", 2);
        assert!(more);
        // Braces inside strings do not open spans.
        let (docs, _) = documents("x {\"a\": \"}{\"} y", 10);
        assert_eq!(docs[0].1["a"], "}{");
    }
}
