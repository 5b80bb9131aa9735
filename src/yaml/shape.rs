//! Checking a file's shape (rule, rule test, artifact definitions, domain tables) against
//! `rules/schema.json`, field by field.
//!
//! The editor schema is the one description of which keys exist, which are required and what
//! type each holds; the same file drives this check, so the tool and the schema cannot disagree.
//! Every problem is collected (an unknown key, a missing field and a wrong type in one run), each
//! at its node. The entries found broken are returned too: the loader blanks them out before it
//! reads the file into typed structs, so that meaning is still checked for everything else.
//!
//! The subset of JSON Schema (draft-07) used: `$ref`, `type`, `properties`,
//! `additionalProperties`, `required`, `minProperties`, `items`, `minItems`, `enum`, `pattern`,
//! `minimum`, `oneOf`. Fact names and artifact kinds are not checked against the schema's lists:
//! packs add to both, and the loader checks them against what is loaded.

use std::ops::Range;
use std::sync::LazyLock;

use serde_json::Value;

use super::fuzzy::did_you_mean;
use super::tree::{Kind, Node, Style};

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../rules/schema.json"))
        .expect("rules/schema.json is JSON (checked by tests/guide.rs)")
});

/// Keys whose values the loader checks against the loaded registries (packs add facts and
/// artifact kinds), not against the schema's lists.
const OPEN_VALUES: &[&str] = &["fact", "artifact"];

/// One shape problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
    /// The node stays readable as it is (a value outside a list, a string not matching a
    /// pattern): the loader's own check of it, more precise, is shown instead when there is one.
    pub readable: bool,
}

/// The problems of a document and the byte ranges to blank out before reading it typed.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub broken: Vec<Range<usize>>,
    /// Values replaced by a valid one of the same length or shorter (a severity that is not
    /// one is read as the first that is), so that the rest of the file is still read.
    pub replaced: Vec<(Range<usize>, String)>,
    /// Required keys of the top-level mapping that are missing, with a stand-in value.
    pub missing: Vec<(String, &'static str)>,
}

/// Checks `root` against the schema's definition `def` (`RuleFile`, `TestFile`).
pub fn check(root: &Node, def: &str) -> Report {
    let mut checker = Checker {
        report: Report::default(),
    };
    let schema = &SCHEMA["definitions"][def];
    checker.node(root, schema, def, None);
    checker.report
}

struct Checker {
    report: Report,
}

fn resolve(schema: &Value) -> (&Value, Option<&str>) {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/definitions/");
            (&SCHEMA["definitions"][name], Some(name))
        }
        None => (schema, None),
    }
}

/// Whether `text` matches the schema's `pattern`; each pattern is compiled once per thread (a
/// pack of hundreds of rules checks the same few patterns thousands of times).
fn pattern_matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|c| {
        c.borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(pattern).ok())
            .as_ref()
            .is_none_or(|re| re.is_match(text))
    })
}

fn is_int(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar { .. } if node.is_null() => "nothing".into(),
        Kind::Scalar { text, style } => {
            let quoted = matches!(style, Style::SingleQuoted | Style::DoubleQuoted);
            if !quoted && is_int(text) {
                format!("the number {text}")
            } else {
                format!("the text `{text}`")
            }
        }
        Kind::Seq(_) => "a list".into(),
        Kind::Map(_) => "a mapping".into(),
        Kind::Alias => "an alias".into(),
    }
}

/// Whether `node` has JSON type `ty`, as serde-saphyr reads it (a quoted `'5'` is a number for
/// a number field, a plain `5` is text for a text field).
fn has_type(node: &Node, ty: &str) -> bool {
    match (&node.kind, ty) {
        (Kind::Alias, _) => true,
        (Kind::Map(_), "object") | (Kind::Seq(_), "array") => true,
        (Kind::Scalar { .. }, "null") => node.is_null(),
        (Kind::Scalar { .. }, _) if node.is_null() => false,
        (Kind::Scalar { .. }, "string") => true,
        (Kind::Scalar { text, .. }, "integer") => is_int(text.trim()),
        (Kind::Scalar { text, .. }, "number") => text.trim().parse::<f64>().is_ok(),
        (Kind::Scalar { text, .. }, "boolean") => {
            matches!(text.trim().to_ascii_lowercase().as_str(), "true" | "false")
        }
        _ => false,
    }
}

fn type_name(ty: &str) -> &'static str {
    match ty {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "text",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        _ => "nothing",
    }
}

/// Where a definition is used: `lines`, `when`... (the first property that refers to it).
fn place_of(def: &str) -> Option<String> {
    let target = format!("#/definitions/{def}");
    let defs = SCHEMA["definitions"].as_object()?;
    for (_, d) in defs {
        for (key, prop) in d
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let refs = [
                prop.get("$ref"),
                prop.get("items").and_then(|i| i.get("$ref")),
            ];
            if refs.iter().flatten().any(|r| r.as_str() == Some(&target)) {
                return Some(key.clone());
            }
        }
    }
    None
}

/// For a key unknown here: where it belongs, if another definition has it.
fn elsewhere(key: &str, here: &str) -> Option<String> {
    let defs = SCHEMA["definitions"].as_object()?;
    let mut places = Vec::new();
    for (name, d) in defs {
        if name != here
            && d.get("properties").and_then(|p| p.get(key)).is_some()
            && let Some(place) = place_of(name)
        {
            places.push(format!("`{place}:`"));
        }
    }
    places.dedup();
    (!places.is_empty()).then(|| format!("`{key}` belongs under {}", places.join(" or ")))
}

impl Checker {
    fn problem(&mut self, at: &Node, code: &'static str, message: String, hint: Option<String>) {
        self.report.problems.push(Problem {
            code,
            line: at.line,
            column: at.column,
            message,
            hint,
            readable: false,
        });
    }

    /// Checks `node` against `schema`; false when its type is wrong (the caller blanks it).
    fn node(&mut self, node: &Node, schema: &Value, def: &str, key: Option<&str>) -> bool {
        let (schema, named) = resolve(schema);
        let def = named.unwrap_or(def);
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            return self.one_of(node, alternatives, def, key);
        }
        if let Some(ty) = schema.get("type") {
            let types: Vec<&str> = match ty {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !types.iter().any(|t| has_type(node, t)) {
                let wanted: Vec<&str> = types.iter().map(|t| type_name(t)).collect();
                let what = key.map(|k| format!("`{k}`")).unwrap_or("the file".into());
                let hint = match (&node.kind, types.as_slice()) {
                    (Kind::Scalar { .. }, ["integer" | "number"]) => {
                        Some("write the number without quotes or words, e.g. `5`".into())
                    }
                    (Kind::Scalar { .. }, ["array"]) => {
                        Some(format!("write a list: `[{}]`", node.scalar().unwrap_or("")))
                    }
                    _ => None,
                };
                self.problem(
                    node,
                    "wrong-type",
                    format!(
                        "{what} must be {}, not {}",
                        wanted.join(" or "),
                        describe(node)
                    ),
                    hint,
                );
                return false;
            }
        }
        match &node.kind {
            Kind::Map(entries) => self.map(node, entries, schema, def),
            Kind::Seq(items) => {
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    let what = key.map(|k| format!("`{k}`")).unwrap_or_default();
                    self.readable(
                        node,
                        "invalid-value",
                        format!("{what} needs at least {min} item(s)"),
                        None,
                    );
                }
                if let Some(item) = schema.get("items") {
                    for i in items {
                        if !self.node(i, item, def, key) {
                            self.report.broken.push(i.start..i.end);
                        }
                    }
                }
            }
            Kind::Scalar { text, .. } => self.scalar(node, text, schema, key, named.is_some()),
            Kind::Alias => {}
        }
        true
    }

    fn readable(&mut self, at: &Node, code: &'static str, message: String, hint: Option<String>) {
        self.problem(at, code, message, hint);
        if let Some(p) = self.report.problems.last_mut() {
            p.readable = true;
        }
    }

    fn scalar(&mut self, node: &Node, text: &str, schema: &Value, key: Option<&str>, named: bool) {
        let what = key.map(|k| format!("`{k}`")).unwrap_or("the value".into());
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !key.is_some_and(|k| OPEN_VALUES.contains(&k))
        {
            let known: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            if !known.is_empty() && !known.contains(&text) {
                let hint = did_you_mean(text, known.iter().copied())
                    .unwrap_or_else(|| format!("use one of {}", known.join(", ")));
                let message = format!("{what} cannot be `{text}`");
                // A named list (`Severity`) is a type of its own in the rule structs: the value
                // must be replaced for the rest to be read.
                if named {
                    self.problem(node, "unknown-value", message, Some(hint));
                    match known.iter().min_by_key(|k| k.len()) {
                        Some(k) if k.len() <= node.end - node.start => self
                            .report
                            .replaced
                            .push((node.start..node.end, k.to_string())),
                        _ => self.report.broken.push(node.start..node.end),
                    }
                } else {
                    self.readable(node, "unknown-value", message, Some(hint));
                }
            }
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !pattern_matches(pattern, text)
        {
            let hint = schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            self.readable(
                node,
                "invalid-value",
                format!("{what} has the wrong form: `{text}`"),
                hint,
            );
        }
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && text.trim().parse::<f64>().is_ok_and(|v| v < min)
        {
            self.readable(
                node,
                "invalid-value",
                format!("{what} must be at least {min}"),
                None,
            );
        }
    }

    fn map(&mut self, node: &Node, entries: &[(Node, Node)], schema: &Value, def: &str) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties");
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in entries {
            let Some(name) = k.scalar() else {
                self.problem(k, "wrong-type", "a key must be text".into(), None);
                self.report.broken.push(k.start..v.end);
                continue;
            };
            if seen.contains(&name) {
                self.problem(k, "duplicate-key", format!("`{name}` is given twice"), None);
                self.report.broken.push(k.start..v.end);
                continue;
            }
            seen.push(name);
            let prop = properties.and_then(|p| p.get(name)).or(match extra {
                Some(Value::Object(_)) => extra,
                _ => None,
            });
            let Some(prop) = prop else {
                let known: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = elsewhere(name, def)
                    .or_else(|| did_you_mean(name, known.iter().copied()))
                    .or_else(|| Some(format!("the keys here are {}", known.join(", "))));
                self.problem(k, "unknown-key", format!("unknown key `{name}`"), hint);
                self.report.broken.push(k.start..v.end);
                continue;
            };
            if !self.node(v, prop, def, Some(name)) {
                self.report.broken.push(k.start..v.end);
            }
        }
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !seen.contains(&required) {
                let ty = properties
                    .and_then(|p| p.get(required))
                    .map(|p| resolve(p).0)
                    .and_then(|p| p.get("type"))
                    .and_then(Value::as_str);
                let message = format!("missing field `{required}`");
                if node.line == 1 && node.column == 1 {
                    let stand_in = match ty {
                        Some("object") => "{}",
                        Some("array") => "[]",
                        _ => "x",
                    };
                    self.report.missing.push((required.to_string(), stand_in));
                    self.problem(node, "missing-field", message, None);
                } else {
                    // A struct that reads the key as optional lets its loader say more of the
                    // mapping (`missing-description`); one that does not refuses the file.
                    self.readable(node, "missing-field", message, None);
                }
            }
        }
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && (entries.len() as u64) < min
        {
            self.readable(node, "invalid-value", "an empty mapping".into(), None);
        }
    }

    fn one_of(
        &mut self,
        node: &Node,
        alternatives: &[Value],
        def: &str,
        key: Option<&str>,
    ) -> bool {
        let mut best: Option<Report> = None;
        for alternative in alternatives {
            let mut trial = Checker {
                report: Report::default(),
            };
            let typed = trial.node(node, alternative, def, key);
            if trial.report.problems.is_empty() {
                return true;
            }
            // The alternative of the node's own type says what is wrong inside it.
            if typed && best.is_none() {
                best = Some(trial.report);
            }
        }
        match best {
            Some(report) => {
                self.report.problems.extend(report.problems);
                self.report.broken.extend(report.broken);
                self.report.replaced.extend(report.replaced);
                true
            }
            None => {
                let what = key.map(|k| format!("`{k}`")).unwrap_or_default();
                self.problem(
                    node,
                    "wrong-type",
                    format!("{what} cannot be {}", describe(node)),
                    None,
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::tree as yaml;

    fn problems(text: &str) -> Vec<(&'static str, u64, u64)> {
        check(&yaml::parse(text).unwrap(), "RuleFile")
            .problems
            .into_iter()
            .map(|p| (p.code, p.line, p.column))
            .collect()
    }

    #[test]
    fn every_shape_problem_of_a_file_is_found() {
        let text = "id: t/a\ntitle: A\nseverity: warning\ndescripton: d\nwhen:\n  lines:\n    artifact: connector-log\n    regx: x\n    min_count: five\n    levels: [eror]\n    within: 1 hour\nmessage: m\n";
        let got = problems(text);
        assert_eq!(
            got,
            vec![
                ("unknown-key", 4, 1),
                ("unknown-key", 8, 5),
                ("wrong-type", 9, 16),
                ("unknown-value", 10, 14),
                ("invalid-value", 11, 13),
                ("missing-field", 1, 1),
                ("missing-field", 1, 1),
            ]
        );
    }

    #[test]
    fn a_key_in_the_wrong_place_says_where_it_belongs() {
        let text = "id: t/a\nwithin: 7d\n";
        let report = check(&yaml::parse(text).unwrap(), "RuleFile");
        let p = &report.problems[0];
        assert_eq!(p.code, "unknown-key");
        assert!(
            p.hint.as_deref().unwrap().contains("under `lines:`"),
            "{p:?}"
        );
        assert_eq!(&text[report.broken[0].clone()], "within: 7d");
    }

    #[test]
    fn quoted_numbers_and_plain_versions_are_read_as_serde_reads_them() {
        let base =
            "id: t/a\ntitle: A\nseverity: warning\ndescription: d\nmessage: m\nremediation: r\n";
        let text = format!(
            "{base}applies_to: {{version: {{min: 7.10}}}}\nwhen: {{lines: {{artifact: syslog, contains: x, min_count: '5'}}}}\n"
        );
        assert_eq!(problems(&text), vec![]);
    }
}
