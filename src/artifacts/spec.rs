//! How a declared fact is read from its kind's members, checked and compiled when the pack
//! loads: a regex with a `value` capture, a JSON selector, a key, a table column, records from
//! named groups, blocks or rows. The generic format that reads it (`reader`) is the kind's own
//! format, or, for facts added to a kind a built-in parser reads, the format its key names
//! (`regex:` is `text`, `json:` is `json`).

use regex::Regex;
use serde_saphyr::Spanned;

use super::decl::{FactFile, FieldFile};
use super::selector::Selector;
use super::{FactType, Format, IntParse};

/// Which value of several a single-valued fact takes in one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    First,
    Last,
}

/// A compiled way to read one fact.
#[derive(Debug, Clone)]
pub struct FactSpec {
    pub name: String,
    pub ty: FactType,
    pub parse: Option<IntParse>,
    /// The generic format that reads it.
    pub reader: Format,
    pub pick: Pick,
    pub how: How,
    pub fields: Vec<FieldSpec>,
    /// The value read is looked up in a domain table and replaced by the entry's field.
    pub lookup: Option<Lookup>,
}

/// How a read value is looked up in a loaded domain table (checked against the tables when the
/// rules and tables load: `unknown-domain-table`, `unknown-table-field`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub table: String,
    pub on: LookupOn,
    /// The entry's field stored; `None`: its name.
    pub field: Option<String>,
    pub default: Option<String>,
    /// Where `lookup:` stands (file, line, column), for the checks against the tables.
    pub file: String,
    pub at: (u64, u64),
}

/// What of an entry the read value is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOn {
    /// Its name or an alias, without case.
    Name,
    /// Its host patterns (the most specific match wins).
    Hosts,
    /// A host field: the value is that host.
    Field(String),
}

/// Where a fact's value is.
#[derive(Debug, Clone)]
pub enum How {
    /// A regex: its `value` capture (single facts, lists), or one record per match with a field
    /// per named group (records).
    Regex(Regex),
    /// A JSON selector: the value(s) it reaches; for records, each object it reaches.
    Json(Selector),
    /// A key of `keyvalue` text.
    Key(String),
    /// One column of a table, as a list.
    Column(String),
    /// One record per table row (fields by column).
    Rows,
    /// One record of the keys (fields by key).
    Keys,
    /// One record per block starting at a line the regex matches (fields by regex in the block).
    Blocks(Regex),
}

/// A field of a records fact and where it is read.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    pub ty: FactType,
    pub parse: Option<IntParse>,
    pub from: FieldFrom,
}

#[derive(Debug, Clone)]
pub enum FieldFrom {
    Column(String),
    /// A selector relative to the record's object.
    Json(Selector),
    Key(String),
    /// A named group of the record's regex.
    Group(String),
    /// A regex with a `value` capture, searched in the block.
    Regex(Regex),
}

/// A problem found while compiling: (place, code, message).
pub(super) type Problem = ((u64, u64), &'static str, String);

fn at<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn regex(s: &Spanned<String>, out: &mut Vec<Problem>) -> Option<Regex> {
    match Regex::new(&s.value) {
        Ok(r) => Some(r),
        Err(e) => {
            let msg = e.to_string();
            let last = msg.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(&msg);
            out.push((
                at(s),
                "invalid-regex",
                format!("regex does not compile: {}", last.trim()),
            ));
            None
        }
    }
}

fn value_regex(s: &Spanned<String>, out: &mut Vec<Problem>) -> Option<Regex> {
    let r = regex(s, out)?;
    if !r.capture_names().flatten().any(|n| n == "value") {
        out.push((
            at(s),
            "missing-value-capture",
            "the regex has no `(?<value>…)` capture: say which part is the value".into(),
        ));
        return None;
    }
    Some(r)
}

fn selector(s: &Spanned<String>, out: &mut Vec<Problem>) -> Option<Selector> {
    match Selector::parse(&s.value) {
        Ok(sel) => Some(sel),
        Err(e) => {
            out.push((
                at(s),
                "bad-selector",
                format!("`{}` is not a selector: {e}", s.value),
            ));
            None
        }
    }
}

/// Compiles how a declared fact is read from a kind of `format`. `None` with no problem: the
/// fact has no key of its own and the kind's built-in parser yields it.
#[allow(clippy::too_many_arguments)]
pub(super) fn compile(
    name: &Spanned<String>,
    f: &FactFile,
    ty: FactType,
    parse: Option<IntParse>,
    fields: &[super::FieldDecl],
    format: Format,
    out: &mut Vec<Problem>,
) -> Option<FactSpec> {
    let keys: Vec<(&str, &Spanned<String>)> = [
        ("regex", &f.regex),
        ("json", &f.json),
        ("key", &f.key),
        ("column", &f.column),
        ("block", &f.block),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    if keys.len() > 1 {
        out.push((
            at(keys[1].1),
            "extractor-shape",
            format!(
                "`{}` has both `{}` and `{}`: one says where the value is",
                name.value, keys[0].0, keys[1].0
            ),
        ));
        return None;
    }
    let key = keys.first().copied();
    let reader = match (format, key) {
        (Format::Builtin(_), None) => return None,
        (Format::Builtin(_), Some(("regex", _))) => Format::Text,
        (Format::Builtin(_), Some(("json", _))) => Format::Json,
        (Format::Builtin(b), Some((k, v))) => {
            out.push((
                at(v),
                "extractor-format",
                format!(
                    "`{k}` is not read from `{}` members; a fact added to a kind a built-in parser reads uses `regex` or `json`",
                    b.as_str()
                ),
            ));
            return None;
        }
        (Format::Log(_), _) => {
            out.push((
                at(name),
                "facts-on-log",
                format!(
                    "`{}`: a log kind yields lines for `lines` and `sequence` conditions, not facts (it is streamed, its text not kept): match the lines a value stands on with a `lines` condition (named captures are compared with `where`, counted with `min_distinct` or `group_by`, and the last matching line's are in the message), or read the file's head as a document with a `text` or `records` kind on the same paths in another pack",
                    name.value
                ),
            ));
            return None;
        }
        (format, _) => format,
    };
    let pick = match f.pick.as_ref().map(|p| p.value.as_str()) {
        None | Some("first") => Pick::First,
        Some("last") => Pick::Last,
        Some(other) => {
            out.push((
                at(f.pick.as_ref().expect("is some")),
                "unknown-pick",
                format!("`pick: {other}` is not `first` or `last`"),
            ));
            return None;
        }
    };
    let records = ty == FactType::Records;
    let wrong = |out: &mut Vec<Problem>, k: &str, v: &Spanned<String>| {
        out.push((
            at(v),
            "extractor-format",
            format!("`{k}` is not read by the `{reader}` format"),
        ));
        None
    };
    let missing = |out: &mut Vec<Problem>, what: &str| {
        out.push((
            at(name),
            "no-extractor",
            format!("`{}` ({ty}, `{reader}` format) needs {what}", name.value),
        ));
        None
    };
    let how = match (reader, key) {
        (Format::Text, Some(("regex", r))) if !records => How::Regex(value_regex(r, out)?),
        (Format::Text, None) => return missing(out, "a `regex` with a `value` capture"),
        (Format::Json, Some(("json", s))) => How::Json(selector(s, out)?),
        (Format::Json, None) => return missing(out, "a `json` selector"),
        (Format::Keyvalue, Some(("key", k))) if !records => How::Key(k.value.clone()),
        (Format::Keyvalue, None) if records => How::Keys,
        (Format::Keyvalue, None) => return missing(out, "a `key`"),
        (Format::Table, Some(("column", c))) if ty == FactType::List => {
            How::Column(c.value.clone())
        }
        (Format::Table, None) if records => How::Rows,
        (Format::Table, None) => {
            return missing(
                out,
                "to be `records` (fields by column) or a `list` with `column`",
            );
        }
        (Format::Records, Some(("regex", r))) if records => How::Regex(regex(r, out)?),
        (Format::Records, Some(("regex", r))) => How::Regex(value_regex(r, out)?),
        (Format::Records, Some(("block", r))) if records => How::Blocks(regex(r, out)?),
        (Format::Records, None) => return missing(out, "a `regex` or (records) a `block`"),
        (_, Some((k, v))) => return wrong(out, k, v),
        (_, None) => return missing(out, "a key saying where the value is"),
    };
    let mut compiled = Vec::new();
    for ((fname, spec), decl) in f.fields.0.iter().zip(fields) {
        let from = field_from(&how, fname, &spec.value, out)?;
        compiled.push(FieldSpec {
            name: fname.value.clone(),
            ty: decl.ty,
            parse: decl.parse,
            from,
        });
    }
    let lookup = match &f.lookup {
        None => None,
        Some(l) if ty != FactType::Text => {
            out.push((
                at(l),
                "lookup-not-text",
                format!(
                    "`{}` is {ty}: a `lookup` stores a table's text, so the fact is `text`",
                    name.value
                ),
            ));
            return None;
        }
        Some(l) => {
            let l_at = (l.referenced.line(), l.referenced.column());
            let l = &l.value;
            let on = match l.on.value.as_str() {
                "name" => LookupOn::Name,
                "hosts" => LookupOn::Hosts,
                field => LookupOn::Field(field.to_string()),
            };
            Some(Lookup {
                table: l.table.value.clone(),
                on,
                field: l
                    .field
                    .as_ref()
                    .map(|f| f.value.clone())
                    .filter(|f| f != "name"),
                default: l.default.clone(),
                // The caller knows the file.
                file: String::new(),
                at: l_at,
            })
        }
    };
    if records && compiled.is_empty() {
        out.push((
            at(name),
            "records-without-fields",
            format!("`{}` is records: declare its `fields`", name.value),
        ));
        return None;
    }
    Some(FactSpec {
        name: name.value.clone(),
        ty,
        parse,
        reader,
        pick,
        how,
        fields: compiled,
        lookup,
    })
}

fn field_from(
    how: &How,
    name: &Spanned<String>,
    f: &FieldFile,
    out: &mut Vec<Problem>,
) -> Option<FieldFrom> {
    let own = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.value.clone());
    Some(match how {
        How::Rows => FieldFrom::Column(own(&f.column).unwrap_or_else(|| name.value.clone())),
        How::Keys => FieldFrom::Key(own(&f.key).unwrap_or_else(|| name.value.clone())),
        How::Json(_) => match &f.json {
            Some(s) => FieldFrom::Json(selector(s, out)?),
            None => FieldFrom::Json(
                Selector::parse(&format!("$[\"{}\"]", name.value.replace('"', "")))
                    .map_err(|e| out.push((at(name), "bad-selector", e)))
                    .ok()?,
            ),
        },
        How::Regex(r) => {
            let group = own(&f.group).unwrap_or_else(|| name.value.clone());
            if !r.capture_names().flatten().any(|n| n == group) {
                out.push((
                    at(f.group.as_ref().unwrap_or(name)),
                    "missing-value-capture",
                    format!("the record regex has no `(?<{group}>…)` group for this field"),
                ));
                return None;
            }
            FieldFrom::Group(group)
        }
        How::Blocks(_) => match &f.regex {
            Some(r) => FieldFrom::Regex(value_regex(r, out)?),
            None => {
                out.push((
                    at(name),
                    "no-extractor",
                    "a block field needs a `regex` with a `value` capture".into(),
                ));
                return None;
            }
        },
        How::Key(_) | How::Column(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::artifacts::{ArtifactMap, PackSource};

    /// A log is streamed and its text dropped: facts on it are refused, and the message says
    /// what reads such a value instead.
    #[test]
    fn facts_on_a_log_kind_are_refused_with_what_to_do_instead() {
        let pack = PackSource {
            pack: "site".into(),
            origin: "site/artifacts.yaml".into(),
            text: "artifacts:\n  - kind: site-log\n    format: log\n    paths: [x]\n    facts:\n      site.last_state: {type: text, regex: 'state=(?<value>\\w+)', description: d}\n".into(),
            builtin: false,
        };
        let errors = ArtifactMap::builtin().with_pack(&pack).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!((e.code, e.line), ("facts-on-log", 6));
        assert!(e.message.contains("`lines` condition"), "{}", e.message);
        assert!(
            e.message.contains("`text` or `records` kind"),
            "{}",
            e.message
        );
    }
}
