//! The `connector.properties` check, a derived fact over the keyvalue facts the `sse/` pack
//! declares on its kind (`connector.fqdn`, `connector.fqdn.region`, `connector.port`,
//! `connector.registration_interval`): which of their keys are missing or invalid, in the
//! words of the key the declaration names. It runs on any kind that declares those facts with
//! `key:`, whatever its format is called; the values themselves are pure data (the generic
//! `keyvalue` format, the region a `lookup:` in the region table).

use super::builder::{Builder, line_text};
use super::lookup::look_up;
use crate::artifacts::spec::{FactSpec, How};
use crate::facts::FactValue;
use crate::facts::extract::keyvalue;

const FQDN: &str = "connector.fqdn";
const REGION: &str = "connector.fqdn.region";
const PORT: &str = "connector.port";
const INTERVAL: &str = "connector.registration_interval";
const PRESENT: &str = "connector.properties.present";
const PROBLEMS: &str = "connector.properties.problems";

/// Whether a summary comes from a member the check ran on (its file is there).
pub(super) fn is_properties(
    facts: &std::collections::BTreeMap<String, crate::facts::Fact>,
) -> bool {
    facts.contains_key(PRESENT)
}

/// Runs the check when the kind declares the connector's keys; sets `present` and `problems`.
pub(super) fn check(b: &mut Builder<'_>, path: &str, doc: &str, specs: &[FactSpec]) {
    let key_of = |fact: &str| -> Option<&str> {
        specs
            .iter()
            .find(|s| s.name == fact)
            .and_then(|s| match &s.how {
                How::Key(k) => Some(k.as_str()),
                _ => None,
            })
    };
    let (Some(fqdn_key), Some(port_key), Some(interval_key)) =
        (key_of(FQDN), key_of(PORT), key_of(INTERVAL))
    else {
        return;
    };
    let region = specs
        .iter()
        .find(|s| s.name == REGION)
        .and_then(|s| s.lookup.as_ref());
    let pairs: Vec<(u32, &str, &str)> = keyvalue::pairs(doc).collect();
    // The last occurrence of a key, as the connector itself reads the file.
    let get = |key: &str| -> Option<(u32, &str)> {
        pairs
            .iter()
            .rev()
            .find(|(_, k, _)| *k == key)
            .map(|&(line, _, value)| (line, value))
    };
    b.set(PRESENT, FactValue::Bool(true), path, None, None);
    let cap = |v: &str| crate::limits::cap_text(v, b.limits.value_chars);
    let mut problems = Vec::new();
    match get(fqdn_key) {
        Some((_, v)) if !v.is_empty() => {
            let known = region.is_none_or(|l| {
                let strict = crate::artifacts::spec::Lookup {
                    default: None,
                    ..l.clone()
                };
                look_up(&strict, b.domain, &FactValue::Text(v.to_string())).is_some()
            });
            if !known {
                problems.push(format!("{fqdn_key} `{}` is not an SSE API host", cap(v)));
            }
        }
        _ => problems.push(format!("{fqdn_key} missing")),
    }
    for (key, ok, what) in [
        (port_key, in_port_range as fn(i64) -> bool, "is not 1-65535"),
        (interval_key, positive as fn(i64) -> bool, "is not positive"),
    ] {
        match get(key) {
            Some((_, v)) => match v.parse::<i64>() {
                Ok(n) if !ok(n) => problems.push(format!("{key} {n} {what}")),
                Ok(_) => {}
                Err(_) => problems.push(format!("{key} `{}` is not a number", cap(v))),
            },
            None => problems.push(format!("{key} missing")),
        }
    }
    // The evidence is the first line holding a bad value (a missing key has no line).
    let bad_line = [fqdn_key, port_key, interval_key]
        .iter()
        .filter(|key| {
            problems
                .iter()
                .any(|p| p.starts_with(**key) && !p.ends_with("missing"))
        })
        .filter_map(|key| get(key).map(|(line, _)| line))
        .min();
    b.set(
        PROBLEMS,
        FactValue::List(problems),
        path,
        bad_line,
        bad_line.and_then(|l| line_text(doc, l)),
    );
}

fn in_port_range(n: i64) -> bool {
    (1..=65535).contains(&n)
}

fn positive(n: i64) -> bool {
    n > 0
}
