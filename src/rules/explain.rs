//! What `rules explain` shows of a rule: its condition as written, its relations to the other
//! loaded rules in both directions, and its templates rendered on an example.
//!
//! The condition is shown as the author wrote it (the `applies_to`, `unknown_version`, `when`
//! and `recovered_if` entries of the file, sliced from the spanned YAML tree), so every kind of
//! condition, present and future, is shown whole: patterns, artifact, windows, counts.

use std::collections::{BTreeMap, BTreeSet};

use super::load::{RuleSource, TEMPLATE_NAMES, builtin_sources};
use super::{Rule, RuleSet};
use crate::yaml::tree::{self as yaml, Kind};

/// The keys of a rule file that say when it fires, in the order shown.
const CONDITION_KEYS: &[&str] = &["applies_to", "unknown_version", "when", "recovered_if"];

/// A rule, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// `(key, the entry's lines as written)`, for each condition key the file has.
    pub condition: Vec<(String, String)>,
    /// Rules whose findings this rule's findings explain (its `explains`, and the rules whose
    /// `explained_by` names it).
    pub explains: Vec<String>,
    /// Rules whose findings explain this rule's (the reverse).
    pub explained_by: Vec<String>,
    /// Rules whose findings this rule's `finding:` conditions read, and the rules that read its.
    pub reads: Vec<String>,
    pub read_by: Vec<String>,
    /// The message and remediation rendered on an example finding.
    pub message: String,
    pub remediation: String,
}

/// The source text of a rule, from its file or the embedded pack.
fn source_text(rule: &Rule) -> Option<String> {
    builtin_sources()
        .into_iter()
        .find(|s: &RuleSource| s.origin == rule.origin)
        .map(|s| s.text)
        .or_else(|| std::fs::read_to_string(&rule.origin).ok())
}

/// The entries of `keys` in a rule file's text, each as its full lines.
pub fn entries(text: &str, keys: &[&str]) -> Vec<(String, String)> {
    let Ok(root) = yaml::parse(text) else {
        return Vec::new();
    };
    let Kind::Map(map) = &root.kind else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in keys {
        let Some((k, v)) = map.iter().find(|(k, _)| k.scalar() == Some(*key)) else {
            continue;
        };
        let start = text[..k.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[v.end..].find('\n').map_or(text.len(), |i| v.end + i);
        out.push((key.to_string(), text[start..end].trim_end().to_string()));
    }
    out
}

/// The example a rule's templates are rendered on: each capture `<name>`, each fact
/// `<fact.name>`, three lines of five, one SSE host, a device.
fn example_context(rule: &Rule, captures: &BTreeSet<String>) -> serde_json::Value {
    let facts: BTreeMap<&str, String> = rule
        .facts_used
        .iter()
        .map(|f| (f.as_str(), format!("<{f}>")))
        .collect();
    let captured: BTreeMap<&str, String> = captures
        .iter()
        .map(|c| (c.as_str(), format!("<{c}>")))
        .collect();
    let mut context = serde_json::json!({
        "facts": facts,
        "device": {"id": "<device-id>", "name": "<device>", "product": "FTD", "version": "<version>"},
        "count": 3,
        "total_count": 5,
        "first_seen": "2026-01-01 10:00:00 UTC",
        "last_seen": "2026-01-01 10:05:00 UTC",
        "recovered_at": null,
        "hosts": ["<sse-host>"],
        "captures": captured,
        "evidence": [],
    });
    if let Some(map) = context.as_object_mut() {
        for (name, value) in captured {
            map.entry(name.to_string())
                .or_insert(serde_json::Value::String(value));
        }
    }
    context
}

/// Explains `rule` among the rules of `set`.
pub fn explain(rule: &Rule, set: &RuleSet) -> Explanation {
    let condition = source_text(rule)
        .map(|text| entries(&text, CONDITION_KEYS))
        .unwrap_or_default();
    let mut explains: BTreeSet<String> = rule.explains.iter().cloned().collect();
    let mut explained_by: BTreeSet<String> = rule.explained_by.iter().cloned().collect();
    let mut read_by = BTreeSet::new();
    for other in &set.rules {
        if other.explains.contains(&rule.id) {
            explained_by.insert(other.id.clone());
        }
        if other.explained_by.contains(&rule.id) {
            explains.insert(other.id.clone());
        }
        if other.finding_refs.iter().any(|(id, _)| *id == rule.id) {
            read_by.insert(other.id.clone());
        }
    }
    let reads: BTreeSet<String> = rule.finding_refs.iter().map(|(id, _)| id.clone()).collect();
    let env = minijinja::Environment::new();
    // Names a template uses that are no template variable are the regexes' captures.
    let mut captures = BTreeSet::new();
    for template in [&rule.message, &rule.remediation] {
        if let Ok(t) = env.template_from_str(template) {
            captures.extend(
                t.undeclared_variables(false)
                    .into_iter()
                    .filter(|n| !TEMPLATE_NAMES.contains(&n.as_str())),
            );
        }
    }
    let context = example_context(rule, &captures);
    let render = |template: &str| {
        env.render_str(
            template,
            minijinja::value::Value::from(minijinja::value::Serde(&context)),
        )
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|e| format!("(does not render: {e})"))
    };
    Explanation {
        condition,
        explains: explains.into_iter().collect(),
        explained_by: explained_by.into_iter().collect(),
        reads: reads.into_iter().collect(),
        read_by: read_by.into_iter().collect(),
        message: render(&rule.message),
        remediation: render(&rule.remediation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_the_lines_as_written() {
        let text = "id: t/a\nwhen:\n  lines:\n    artifact: syslog\n    regex: 'x (?P<y>\\d+)'\n    window: 1h\nmessage: m\n";
        assert_eq!(
            entries(text, &["when", "applies_to"]),
            vec![(
                "when".to_string(),
                "when:\n  lines:\n    artifact: syslog\n    regex: 'x (?P<y>\\d+)'\n    window: 1h"
                    .to_string()
            )]
        );
    }
}
