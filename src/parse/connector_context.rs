//! The connector's own view of its enrolment: the JSON that `curl localhost:8989/v1/contexts/default`
//! prints (`clientInfo`, `settings.exchange.fqdn`, `settings.exchange.registration.refreshInterval`,
//! `status`). The saved output may carry curl's progress noise before the document and the exact
//! shape is not public, so the parser takes the first JSON object that holds one of the known
//! keys, looks keys up case-insensitively, and accepts `status` as a string or an object holding one.

use serde_json::{Map, Value};

use super::{Located, json_find};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Context {
    pub status: Option<Located<String>>,
    pub fqdn: Option<Located<String>>,
    pub refresh_interval: Option<i64>,
    pub has_client_info: bool,
}

const KNOWN: [&str; 3] = ["clientInfo", "settings", "status"];

/// Tries this many `{` positions before giving up: the document is near the start in practice.
const MAX_TRIES: usize = 64;

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn path<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    let (last, init) = keys.split_last()?;
    let mut cur = map;
    for k in init {
        cur = get_ci(cur, k)?.as_object()?;
    }
    get_ci(cur, last)
}

fn document(text: &str) -> Option<Map<String, Value>> {
    json_find::first_object(text, MAX_TRIES, |map| {
        KNOWN.iter().any(|k| get_ci(map, k).is_some())
    })
}

/// The status text: a string, or the first string under `state`/`status`/`value`/`name`.
fn status_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Object(m) => ["state", "status", "value", "name"]
            .iter()
            .find_map(|k| get_ci(m, k).and_then(status_text)),
        _ => None,
    }
}

/// The line where `key` stands with a value matching `want`, or the first line of `key`.
fn line_of_key(text: &str, key: &str, want: impl Fn(&Value) -> bool) -> u32 {
    let hits = json_find::values_of_key(text, key);
    hits.iter()
        .find(|(v, _)| want(v))
        .or(hits.first())
        .map_or(1, |(_, l)| *l)
}

pub fn parse(text: &str) -> Option<Context> {
    let doc = document(text)?;
    let status = get_ci(&doc, "status").and_then(|v| {
        let value = status_text(v)?;
        let line = line_of_key(text, "status", |x| x == v);
        Some(Located { value, line })
    });
    let fqdn = path(&doc, &["settings", "exchange", "fqdn"])
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(|s| Located {
            value: s.trim().to_string(),
            line: line_of_key(text, "fqdn", |x| x.as_str() == Some(s)),
        });
    let refresh_interval = path(
        &doc,
        &["settings", "exchange", "registration", "refreshInterval"],
    )
    .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()));
    let has_client_info = get_ci(&doc, "clientInfo").is_some_and(|v| !v.is_null());
    Some(Context {
        status,
        fqdn,
        refresh_interval,
        has_client_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "  % Total    % Received\r\n100   512  100   512    0     0  {x} \r\n{\r\n  \"clientInfo\": {\"id\": \"abc\"},\r\n  \"settings\": {\"exchange\": {\"fqdn\": \"api.eu.sse.itd.cisco.com\", \"registration\": {\"refreshInterval\": 3600}}},\r\n  \"status\": \"Enrolled\"\r\n}\r\n";

    #[test]
    fn full_document_with_noise() {
        let c = parse(DOC).unwrap();
        assert_eq!(
            c.status,
            Some(Located {
                value: "Enrolled".into(),
                line: 6
            })
        );
        assert_eq!(
            c.fqdn,
            Some(Located {
                value: "api.eu.sse.itd.cisco.com".into(),
                line: 5
            })
        );
        assert_eq!(c.refresh_interval, Some(3600));
        assert!(c.has_client_info);
    }

    #[test]
    fn status_shapes() {
        let c = parse(r#"{"status": {"state": "Not Enrolled"}}"#).unwrap();
        assert_eq!(c.status.unwrap().value, "Not Enrolled");
        let c = parse(r#"{"Status":{"status":"Enrolled"},"clientInfo":null}"#).unwrap();
        assert_eq!(c.status.unwrap().value, "Enrolled");
        assert!(!c.has_client_info);
        let c = parse(r#"{"settings": {"exchange": {"registration": {"refreshInterval": "60"}}}}"#)
            .unwrap();
        assert_eq!(
            (c.status, c.fqdn, c.refresh_interval),
            (None, None, Some(60))
        );
    }

    #[test]
    fn not_a_context() {
        assert_eq!(parse(""), None);
        assert_eq!(
            parse("curl: (7) Failed to connect to localhost port 8989: Connection refused"),
            None
        );
        assert_eq!(parse(r#"{"other": 1}"#), None);
        assert_eq!(parse(r#"{"status": "#), None);
    }
}
