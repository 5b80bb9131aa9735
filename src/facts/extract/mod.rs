//! The generic formats: one [`Extractor`] per format, chosen by the format the loaded
//! definitions name for each declared fact ([`crate::artifacts::spec::FactSpec::reader`]), never
//! by kind. Each reads one member's text and yields the declared facts it finds, typed as
//! declared, with the line each came from; the fact store checks them again on the way in.
//!
//! Every format is bounded like the built-in parsers: the text is at most
//! `--max-document-bytes` (JSON also `--max-json-nodes`), a records fact keeps at most
//! `--max-records` records and a `json` member at most `--max-json-documents` documents, and a
//! cap that is hit is reported.

mod json;
pub(crate) mod keyvalue;
mod records;
mod table;
mod text;

use std::collections::BTreeMap;

use super::{FactValue, Record};
use crate::artifacts::spec::{FactSpec, Pick};
use crate::artifacts::{FactType, Format, IntParse, parse_int};
use crate::limits::Limits;

/// What a format found in one member.
pub(crate) struct Found<'a> {
    pub limits: &'a Limits,
    /// (fact, value, 1-based line).
    pub values: Vec<(String, FactValue, Option<u32>)>,
    /// Caps hit: (warning code, message).
    pub capped: Vec<(&'static str, String)>,
}

impl<'a> Found<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        Found {
            limits,
            values: Vec::new(),
            capped: Vec::new(),
        }
    }

    fn push(&mut self, spec: &FactSpec, value: FactValue, line: Option<u32>) {
        self.values.push((spec.name.clone(), value, line));
    }

    /// A single-valued fact from the candidates of one member, in document order.
    fn single(&mut self, spec: &FactSpec, mut found: Vec<(FactValue, Option<u32>)>) {
        let pick = match spec.pick {
            Pick::First if !found.is_empty() => Some(found.swap_remove(0)),
            Pick::First => None,
            Pick::Last => found.pop(),
        };
        if let Some((value, line)) = pick {
            self.push(spec, value, line);
        }
    }

    /// A records fact, at most `--max-records` of them.
    fn records(&mut self, spec: &FactSpec, mut records: Vec<Record>, more: u64) {
        let cap = self.limits.records_per_fact;
        let over = records.len().saturating_sub(cap) as u64 + more;
        records.truncate(cap);
        if over > 0 {
            self.capped.push((
                "limit-records",
                format!(
                    "{}: {over} record(s) past the first {cap} not read (--max-records)",
                    spec.name
                ),
            ));
        }
        let line = records.first().and_then(|r| r.line);
        self.push(spec, FactValue::Records(records), line);
    }
}

/// One generic format.
pub(crate) trait Extractor: Sync {
    /// Reads `doc`, one member's text, for the facts `specs` declare (all read by this format).
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>);
}

/// The extractor of a generic format.
pub(crate) fn extractor(format: Format) -> Option<&'static dyn Extractor> {
    Some(match format {
        Format::Text => &text::Text,
        Format::Json => &json::Json,
        Format::Keyvalue => &keyvalue::KeyValue,
        Format::Table => &table::Table,
        Format::Records => &records::Records,
        Format::Builtin(_) | Format::Log(_) => return None,
    })
}

/// Runs every generic format that reads a fact declared on the member's kind.
pub(crate) fn run(specs: &[FactSpec], doc: &str, out: &mut Found<'_>) {
    let mut by_reader: Vec<(Format, Vec<&FactSpec>)> = Vec::new();
    for spec in specs {
        match by_reader.iter_mut().find(|(f, _)| *f == spec.reader) {
            Some((_, v)) => v.push(spec),
            None => by_reader.push((spec.reader, vec![spec])),
        }
    }
    for (format, specs) in by_reader {
        if let Some(x) = extractor(format) {
            x.extract(&specs, doc, out);
        }
    }
}

/// A text value as the declared type reads it; `None` when it does not read as one.
pub(crate) fn typed(text: &str, ty: FactType, parse: Option<IntParse>) -> Option<FactValue> {
    let t = text.trim();
    Some(match ty {
        FactType::Text => FactValue::Text(t.to_string()),
        FactType::Int => FactValue::Int(parse_int(t, parse)?),
        FactType::Bool => FactValue::Bool(match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "enabled" | "1" => true,
            "false" | "no" | "off" | "disabled" | "0" => false,
            _ => return None,
        }),
        FactType::Version => FactValue::Version(crate::version::Version::parse(t)?),
        FactType::List => FactValue::List(
            t.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        FactType::Duration => FactValue::Duration(duration(t)?),
        FactType::Records => return None,
    })
}

/// `90`, `90s`, `30m`, `24h`, `7d`, `1h30m` → seconds.
fn duration(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(total)
}

/// A record from (field, text) pairs, each typed as its field says; fields that do not read as
/// their type are left out.
fn record(
    spec: &FactSpec,
    line: Option<u32>,
    value_of: impl Fn(&crate::artifacts::spec::FieldSpec) -> Option<String>,
) -> Record {
    let mut fields = BTreeMap::new();
    for f in &spec.fields {
        if let Some(v) = value_of(f).and_then(|t| typed(&t, f.ty, f.parse)) {
            fields.insert(f.name.clone(), v);
        }
    }
    Record {
        fields,
        line,
        path: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every format, every kind of fact, on every truncation of a mixed sample and on hostile
    /// strings: none may panic, and the record cap holds.
    #[test]
    fn no_panics_and_bounded_records_on_any_text() {
        let pack = crate::artifacts::PackSource {
            pack: "t".into(),
            origin: "t/artifacts.yaml".into(),
            text: r#"
artifacts:
  - kind: t-table
    format: table
    paths: [a]
    facts:
      t.rows: {type: records, description: d, fields: {m: {column: "Mounted on"}, u: {column: "Use%", type: int, parse: percent}}}
      t.col: {type: list, column: Size, description: d}
  - kind: t-json
    format: json
    paths: [b]
    facts:
      t.one: {type: int, json: "$..x", description: d}
      t.many: {type: list, json: "$.items[*].x", description: d}
      t.objs: {type: records, json: "$.items[*]", description: d, fields: {x: {type: int}, y: {json: "$.y.z"}}}
  - kind: t-kv
    format: keyvalue
    paths: [c]
    facts:
      t.key: {type: duration, key: interval, description: d, pick: last}
      t.all: {type: records, description: d, fields: {a: {}, b: {type: bool}}}
  - kind: t-rec
    format: records
    paths: [d]
    facts:
      t.m: {type: records, regex: '(?m)^(?<name>\w+) - (?<state>\w+)', description: d, fields: {name: {}, state: {}}}
      t.b: {type: records, block: '^-+\[', description: d, fields: {v: {regex: 'Version (?<value>\S+)', type: version}}}
      t.s: {type: text, regex: 'Model\s*:\s*(?<value>.*)', description: d, pick: last}
  - kind: t-text
    format: text
    paths: [e]
    facts:
      t.t: {type: bool, regex: 'on=(?<value>\w+)', description: d}
      t.l: {type: list, regex: 'peer (?<value>\S+)', description: d}
"#
            .into(),
            builtin: false,
        };
        let map = crate::artifacts::ArtifactMap::builtin()
            .with_pack(&pack)
            .unwrap();
        let specs: Vec<crate::artifacts::spec::FactSpec> = map
            .kinds()
            .filter(|k| k.pack == "t")
            .flat_map(|k| map.fact_specs(k.kind).to_vec())
            .collect();
        assert_eq!(specs.len(), 12);
        let sample = "Filesystem Size Used Avail Use% Mounted on\n/dev/x 1G 1G 0 100% /\n/dev/long\n 2G 1G 1G 50% /v a\n\
{\"items\": [{\"x\": 1, \"y\": {\"z\": \"é\"}}, {\"x\": 2}]}\n[1, {\"x\": 3}]\ninterval=90s\na: 1\nb=yes\n\
SSEConnector - Running\n-----[ h ]-----\nVersion 7.2.5\nModel : X\non=true peer a peer b\r\n";
        let hostile = [
            "{", "[", "\"", "\\", "é", "\u{feff}", "-", " ", "\n", "{\"", "[1,",
        ];
        let mut inputs: Vec<String> = (0..=sample.len())
            .filter(|i| sample.is_char_boundary(*i))
            .flat_map(|i| [sample[..i].to_string(), sample[i..].to_string()])
            .collect();
        inputs.extend(hostile.iter().map(|h| h.repeat(2000)));
        let limits = Limits {
            records_per_fact: 3,
            ..Limits::default()
        };
        for text in &inputs {
            let mut found = Found::new(&limits);
            run(&specs, text, &mut found);
            for (_, v, _) in &found.values {
                if let FactValue::Records(r) = v {
                    assert!(r.len() <= 3);
                }
            }
        }
        let mut found = Found::new(&limits);
        run(&specs, &"SSEConnector - Running\n".repeat(10), &mut found);
        assert!(found.capped.iter().any(|(c, _)| *c == "limit-records"));
        let defaults = Limits::default();
        let mut found = Found::new(&defaults);
        run(&specs, sample, &mut found);
        let names: Vec<&str> = found.values.iter().map(|(n, _, _)| n.as_str()).collect();
        for want in [
            "t.rows", "t.col", "t.one", "t.many", "t.objs", "t.key", "t.all", "t.m", "t.b", "t.s",
            "t.t", "t.l",
        ] {
            assert!(names.contains(&want), "{want} not found in {names:?}");
        }
    }

    #[test]
    fn values_read_as_their_declared_types() {
        assert_eq!(
            typed("96%", FactType::Int, Some(IntParse::Percent)),
            Some(FactValue::Int(96))
        );
        assert_eq!(typed("x", FactType::Int, None), None);
        assert_eq!(
            typed("Enabled", FactType::Bool, None),
            Some(FactValue::Bool(true))
        );
        assert_eq!(
            typed("1h30m", FactType::Duration, None),
            Some(FactValue::Duration(5400))
        );
        assert_eq!(typed("5x", FactType::Duration, None), None);
        assert_eq!(
            typed("a, b", FactType::List, None),
            Some(FactValue::List(vec!["a".into(), "b".into()]))
        );
        assert!(matches!(
            typed("7.2.5", FactType::Version, None),
            Some(FactValue::Version(_))
        ));
    }
}
