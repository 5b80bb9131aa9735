//! Finding JSON objects and values by key in text that may be a whole document, a REST `items`
//! collection, or a fragment cut out of a larger document (`"smartLicenseStatus": {…}` with no
//! enclosing braces, curl noise around it, a truncated tail). Parsing the text as one document
//! would fail on fragments, so a single string-aware pass tracks `{`…`}` spans and `"key":`
//! positions; only the spans that hold the wanted key (or the value right after its colon) are
//! handed to serde_json. A string that runs into a newline is treated as noise, which puts the
//! scanner back in step after a stray quote in non-JSON text.
//!
//! The work is linear in the text whatever it holds. Objects are tracked only to
//! [`MAX_DEPTH`] levels (serde_json refuses deeper ones anyway), and nested candidates, which
//! are parsed again inside each enclosing one, draw on a budget of bytes handed to serde_json
//! proportional to the text: 2.3 million nested objects in 81 KB of tar.gz once took a minute.

use serde_json::{Map, Value};

use super::LineCounter;

/// Most hits returned by one call: the caller caps the text, this caps the work on it.
const MAX_HITS: usize = 10_000;

/// Object nesting tracked; serde_json's own recursion limit is the same.
const MAX_DEPTH: usize = 128;

/// Bytes serde_json may read per byte of text, in all calls of one search. Real documents
/// seldom nest one candidate in another; past the budget, the remaining candidates are skipped.
const WORK_PER_BYTE: usize = 2;

/// What serde_json may still read in one search.
struct Budget {
    left: usize,
}

impl Budget {
    fn new(text: &str) -> Budget {
        Budget {
            left: text
                .len()
                .saturating_mul(WORK_PER_BYTE)
                .saturating_add(256 << 10),
        }
    }

    fn exhausted(&self) -> bool {
        self.left == 0
    }

    fn spend(&mut self, bytes: usize) {
        self.left = self.left.saturating_sub(bytes.max(1));
    }

    /// Charges what serde_json read before it failed on `slice`: up to the error's position.
    fn spend_failed(&mut self, slice: &str, e: &serde_json::Error) {
        self.spend(error_offset(slice, e));
    }
}

/// Byte offset in `slice` of the position `e` reports (the whole slice when it has none).
fn error_offset(slice: &str, e: &serde_json::Error) -> usize {
    if e.line() == 0 {
        return slice.len();
    }
    let bytes = slice.as_bytes();
    let mut start = 0;
    for _ in 1..e.line() {
        match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => start += i + 1,
            None => return slice.len(),
        }
    }
    start.saturating_add(e.column()).min(slice.len())
}

/// Every JSON object in `text` that has key `key` at any depth (case-insensitive key compare), with the 1-based line where that key stands. Works on whole documents and on fragments.
pub fn objects_with_key(text: &str, key: &str) -> Vec<(Map<String, Value>, u32)> {
    // (start of the object, line of the wanted key inside it if seen)
    let mut stack: Vec<(usize, Option<u32>)> = Vec::new();
    // Open objects, counting those deeper than the stack keeps.
    let mut depth = 0usize;
    let mut budget = Budget::new(text);
    let mut found: Vec<(usize, Map<String, Value>, u32)> = Vec::new();
    scan(text, key, |ev| {
        match ev {
            Event::Open(at) => {
                depth += 1;
                if depth <= MAX_DEPTH {
                    stack.push((at, None));
                }
            }
            Event::Key { line, .. } => {
                if depth <= MAX_DEPTH
                    && let Some(top) = stack.last_mut()
                {
                    top.1.get_or_insert(line);
                }
            }
            Event::Close(end) => {
                let tracked = depth <= MAX_DEPTH;
                depth = depth.saturating_sub(1);
                if tracked
                    && let Some((start, Some(line))) = stack.pop()
                    && let Some(slice) = text.get(start..=end)
                {
                    match serde_json::from_str::<Map<String, Value>>(slice) {
                        Ok(map) => {
                            budget.spend(slice.len());
                            found.push((start, map, line));
                        }
                        Err(e) => budget.spend_failed(slice, &e),
                    }
                }
            }
        }
        found.len() < MAX_HITS && !budget.exhausted()
    });
    // Report outer objects before the objects nested in them, in document order.
    found.sort_by_key(|(start, _, _)| *start);
    found.into_iter().map(|(_, m, l)| (m, l)).collect()
}

/// Every value of key `key` (case-insensitive) at any depth, with its line; works on fragments like `"smartLicenseStatus": {…}` (parse the value right after the colon with serde_json's StreamDeserializer).
pub fn values_of_key(text: &str, key: &str) -> Vec<(Value, u32)> {
    let mut found = Vec::new();
    let mut budget = Budget::new(text);
    scan(text, key, |ev| {
        if let Event::Key { value_at, line } = ev {
            let rest = text.get(value_at..).unwrap_or("");
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            match stream.next() {
                Some(Ok(v)) => {
                    budget.spend(stream.byte_offset());
                    found.push((v, line));
                }
                Some(Err(e)) => budget.spend_failed(rest, &e),
                None => budget.spend(rest.len()),
            }
        }
        found.len() < MAX_HITS && !budget.exhausted()
    });
    found
}

/// The first JSON object that starts at one of the first `tries` `{` of `text` and that
/// `wanted` accepts (a document after curl's noise). Each try may read to the end of the text
/// before it fails, so the tries share one budget, as the searches above do.
pub fn first_object(
    text: &str,
    tries: usize,
    wanted: impl Fn(&Map<String, Value>) -> bool,
) -> Option<Map<String, Value>> {
    let mut budget = Budget::new(text);
    for (at, _) in text.match_indices('{').take(tries) {
        if budget.exhausted() {
            return None;
        }
        let rest = text.get(at..)?;
        // Checked first without building values: a try that fails (most do, on noise and on
        // hostile text) then costs a scan, not an allocation per number.
        let mut check =
            serde_json::Deserializer::from_str(rest).into_iter::<serde::de::IgnoredAny>();
        match check.next() {
            Some(Ok(_)) => {
                let end = check.byte_offset();
                budget.spend(end);
                let parsed = rest
                    .get(..end)
                    .and_then(|object| serde_json::from_str::<Map<String, Value>>(object).ok());
                if let Some(map) = parsed.filter(|map| wanted(map)) {
                    return Some(map);
                }
            }
            Some(Err(e)) => budget.spend_failed(rest, &e),
            None => return None,
        }
    }
    None
}

enum Event {
    Open(usize),
    Close(usize),
    /// The wanted key; `value_at` is the byte just after its colon.
    Key {
        value_at: usize,
        line: u32,
    },
}

/// Walks `text` once, reporting braces and the wanted keys; stops when `on` returns false.
fn scan(text: &str, key: &str, mut on: impl FnMut(Event) -> bool) {
    let bytes = text.as_bytes();
    let mut lines = LineCounter::new(text);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' | b'}' => {
                let ev = if b == b'{' {
                    Event::Open(i)
                } else {
                    Event::Close(i)
                };
                if !on(ev) {
                    return;
                }
            }
            b'"' => {
                let Some(end) = string_end(bytes, i + 1) else {
                    // Unterminated on this line: noise, resume after the quote.
                    i += 1;
                    continue;
                };
                let mut j = end + 1;
                while bytes.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                    j += 1;
                }
                if bytes.get(j) == Some(&b':') && key_matches(text.get(i..=end).unwrap_or(""), key)
                {
                    let line = lines.line_at(i);
                    if !on(Event::Key {
                        value_at: j + 1,
                        line,
                    }) {
                        return;
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
}

/// Index of the closing quote of a string whose content starts at `from`; `None` at a newline or
/// the end of the text.
fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    loop {
        match *bytes.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j),
            b'\n' => return None,
            _ => j += 1,
        }
    }
}

/// `quoted` includes its quotes; escapes are decoded only when present, which is rare in keys.
fn key_matches(quoted: &str, key: &str) -> bool {
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    if !inner.contains('\\') {
        return inner.eq_ignore_ascii_case(key);
    }
    serde_json::from_str::<String>(quoted).is_ok_and(|s| s.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FRAGMENT: &str = "\"smartLicenseStatus\": {\n    \"registrationStatus\": \"EVALUATION\",\n    \"authorizationStatus\": null,\n    \"virtualAccount\": null,\n    \"evaluationRemainingDays\": 85\n}\n";

    #[test]
    fn fragment_values() {
        let v = values_of_key(FRAGMENT, "smartlicensestatus");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0["evaluationRemainingDays"], json!(85));
        assert_eq!(v[0].1, 1);
        let r = values_of_key(FRAGMENT, "registrationStatus");
        assert_eq!(r, vec![(json!("EVALUATION"), 2)]);
    }

    #[test]
    fn fragment_objects() {
        let o = objects_with_key(FRAGMENT, "REGISTRATIONSTATUS");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].1, 2);
        assert_eq!(o[0].0["registrationStatus"], json!("EVALUATION"));
    }

    #[test]
    fn nested_items_and_noise() {
        let t = "curl noise: it's \"odd\r\n{\"items\": [\r\n {\"type\": \"CloudEventsConfig\", \"sendFileEvents\": true},\r\n {\"type\": \"CloudRegion\", \"inner\": {\"type\": \"x\"}}\r\n]}\r\ntrailing } text {";
        let o = objects_with_key(t, "type");
        let types: Vec<_> = o.iter().map(|(m, l)| (m["type"].clone(), *l)).collect();
        assert_eq!(
            types,
            vec![
                (json!("CloudEventsConfig"), 3),
                (json!("CloudRegion"), 4),
                (json!("x"), 4)
            ]
        );
        assert_eq!(objects_with_key(t, "items").len(), 1);
        assert_eq!(values_of_key(t, "sendfileevents"), vec![(json!(true), 3)]);
    }

    /// Nesting and nested candidates cost work proportional to the text: these return at once
    /// instead of after seconds (no timing assertion: a hang would stop the suite).
    #[test]
    fn deep_and_nested_documents_stay_linear() {
        let levels = 100_000;
        let deep = "{\"type\":".repeat(levels) + "1" + &"}".repeat(levels);
        // Past 128 levels nothing is tracked, and what encloses them is too deep to parse.
        assert!(objects_with_key(&deep, "type").is_empty());
        assert!(values_of_key(&deep, "type").len() <= MAX_DEPTH);

        // Each level holds padding and the key again: every candidate encloses the next.
        let pad = "x".repeat(1000);
        let level = format!("{{\"p\":\"{pad}\",\"type\":");
        let nested = level.repeat(120) + "0" + &"}".repeat(120);
        let hits = values_of_key(&nested, "type");
        assert!(hits[0].0.is_object() && hits[0].1 == 1);
        let objects = objects_with_key(&nested, "type");
        assert!(!objects.is_empty());

        // Unclosed: every parse runs to the end of the text and fails there.
        let unclosed = level.repeat(2_000);
        assert!(values_of_key(&unclosed, "type").is_empty());
        assert!(objects_with_key(&unclosed, "type").is_empty());

        // Many flat candidates are all found, up to the cap on hits.
        let flat = "{\"type\": 1}\n".repeat(2 * MAX_HITS);
        assert_eq!(objects_with_key(&flat, "type").len(), MAX_HITS);
    }

    #[test]
    fn first_object_skips_noise_and_stops_on_hostile_text() {
        let text = "progress {bad} {\"a\": 1} {\"clientInfo\": {}}";
        let found = first_object(text, 64, |m| m.contains_key("clientInfo"));
        assert!(found.is_some());
        assert!(first_object(text, 2, |m| m.contains_key("clientInfo")).is_none());
        // Sixty unclosed levels: each try would read to the end of the text.
        let unclosed = "{\"k\":[".to_string() + &"1,".repeat(10_000);
        let hostile = unclosed.repeat(60);
        assert!(first_object(&hostile, 64, |_| true).is_none());
    }

    #[test]
    fn error_offsets_are_byte_positions() {
        let text = "{\n  \"a\": [1,\n  2,, 3]}";
        let e = serde_json::from_str::<Value>(text).unwrap_err();
        let at = error_offset(text, &e);
        assert!(text[..at].ends_with("2,,"), "{:?}", &text[..at]);
    }

    #[test]
    fn truncated_and_garbage() {
        let t = "{\"a\": {\"k\": 1}, \"b\": {\"k\": ";
        let o = objects_with_key(t, "k");
        assert_eq!(o.len(), 1);
        assert_eq!(values_of_key(t, "k"), vec![(json!(1), 1)]);
        assert!(objects_with_key("", "k").is_empty());
        assert!(values_of_key("}}}{{{\"k\"", "k").is_empty());
        assert_eq!(
            values_of_key("{\"k\\u0065y\": 2}", "key"),
            vec![(json!(2), 1)]
        );
    }
}
