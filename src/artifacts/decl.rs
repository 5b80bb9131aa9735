//! Fact declarations: every fact a rule may name, built-in or not, has a declared name, type,
//! description, origin (the file that declared it) and private flag. The packs' `artifacts.yaml`
//! declare them, under the kind whose members yield them or, for facts the engine derives from
//! several members, in the top-level `facts:` list. The rule loader checks every fact a rule names
//! against this catalog, and the fact store checks every value against its declared type.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::ArtifactKind;

/// The type of a fact's value, which decides the operators a rule may apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Bool,
    Int,
    Text,
    Version,
    List,
    /// Seconds.
    Duration,
    /// A list of records, each a map of typed fields.
    Records,
}

impl FactType {
    pub fn parse(name: &str) -> Option<FactType> {
        Some(match name {
            "bool" => FactType::Bool,
            "int" => FactType::Int,
            "text" => FactType::Text,
            "version" => FactType::Version,
            "list" => FactType::List,
            "duration" => FactType::Duration,
            "records" => FactType::Records,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FactType::Bool => "bool",
            FactType::Int => "int",
            FactType::Text => "text",
            FactType::Version => "version",
            FactType::List => "list",
            FactType::Duration => "duration",
            FactType::Records => "records",
        }
    }
}

impl fmt::Display for FactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the text of an `int` is read besides plain digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntParse {
    /// `96%` → 96.
    Percent,
    /// `7.1G`, `150k`, `4096` → bytes; K, M, G, T are powers of 1024, as df prints them.
    Bytes,
}

/// A field of a `records` fact.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDecl {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FactType,
    #[serde(skip)]
    pub parse: Option<IntParse>,
}

/// A declared fact.
#[derive(Debug, Clone, Serialize)]
pub struct FactDecl {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Where its value comes from in a bundle, for rule authors and for "what to ask the customer
    /// for" (the `source:` of its declaration, else the kind's name).
    pub source: String,
    pub description: String,
    /// Its value can name the customer (a host name, an address, an id): `--redact` replaces
    /// every occurrence of the value, in every output, wherever it stands.
    pub private: bool,
    /// Declared to live on the managing FMC (`from_manager: true`): a managed device that does
    /// not have it reads the FMC's (the licence and cloud settings an FMC pushes to its FTDs).
    pub from_manager: bool,
    /// The file that declared it: `built-in:sse/artifacts.yaml` or a path.
    pub declared_in: String,
    /// The kind whose members yield it; none for facts derived from several members.
    #[serde(skip)]
    pub kind: Option<ArtifactKind>,
    /// A `records` fact's fields, in declaration order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDecl>,
    /// An `int` (or a field) read with `parse:`.
    #[serde(skip)]
    pub parse: Option<IntParse>,
}

impl FactDecl {
    pub fn field(&self, name: &str) -> Option<&FieldDecl> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Every declared fact, in declaration order (packs in load order).
#[derive(Debug, Clone, Default)]
pub struct FactCatalog {
    facts: Vec<FactDecl>,
    by_name: HashMap<String, usize>,
}

impl FactCatalog {
    pub fn lookup(&self, name: &str) -> Option<&FactDecl> {
        self.by_name.get(name).map(|&i| &self.facts[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &FactDecl> {
        self.facts.iter()
    }

    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Adds a declaration; a fact declared again keeps its first declaration when the types
    /// agree (two kinds may yield one fact) and is refused (the first declaration) otherwise.
    pub(super) fn declare(&mut self, decl: FactDecl) -> Result<(), &FactDecl> {
        if let Some(&i) = self.by_name.get(&decl.name) {
            let first = &self.facts[i];
            return if first.ty == decl.ty && first.fields.len() == decl.fields.len() {
                Ok(())
            } else {
                Err(first)
            };
        }
        self.by_name.insert(decl.name.clone(), self.facts.len());
        self.facts.push(decl);
        Ok(())
    }
}

/// A fact declaration as written, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FactFile {
    /// Required: the shape check reports it missing, and the declaration is then left out.
    #[serde(rename = "type", default)]
    pub ty: Option<Spanned<String>>,
    #[serde(default)]
    pub description: Option<Spanned<String>>,
    #[serde(default)]
    pub private: bool,
    /// The fact lives on the managing FMC: a managed device without it reads the FMC's.
    #[serde(default)]
    pub from_manager: bool,
    /// Where its value comes from, in words (default: the kind's name).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub parse: Option<Spanned<String>>,
    /// `text` (and any document kind): a regex with a `value` capture; `records`: a regex with
    /// named groups, one record per match.
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// `json`: a selector.
    #[serde(default)]
    pub json: Option<Spanned<String>>,
    /// `keyvalue`: the key.
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// `table`: a `list` fact of one column.
    #[serde(default)]
    pub column: Option<Spanned<String>>,
    /// `records`: a regex for the header line that starts each block.
    #[serde(default)]
    pub block: Option<Spanned<String>>,
    /// A single-valued fact from a member with several matches: `first` (default) or `last`.
    #[serde(default)]
    pub pick: Option<Spanned<String>>,
    /// A `text` fact whose value is looked up in a domain table: the value stored is a field
    /// of the entry the read value names.
    #[serde(default)]
    pub lookup: Option<Spanned<LookupFile>>,
    /// `records`: each field, typed like facts.
    #[serde(default)]
    pub fields: Ordered<Spanned<FieldFile>>,
}

/// `lookup:` as written: `{table, match, field, default}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LookupFile {
    pub table: Spanned<String>,
    /// How the read value finds its entry: `name` (the entry's name or an alias), `hosts`
    /// (the entry's host patterns) or the name of a host field of the table.
    #[serde(rename = "match")]
    pub on: Spanned<String>,
    /// The entry's field stored as the fact (`name`: its name, the default).
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    /// Stored when no entry matches (or it lacks the field); without it, no fact.
    #[serde(default)]
    pub default: Option<String>,
}

/// A field of a `records` fact as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldFile {
    #[serde(rename = "type", default)]
    pub ty: Option<Spanned<String>>,
    #[serde(default)]
    pub parse: Option<Spanned<String>>,
    #[serde(default)]
    pub column: Option<Spanned<String>>,
    #[serde(default)]
    pub json: Option<Spanned<String>>,
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// `records` blocks: a regex with a `value` capture inside the block; regex records: the
    /// named group (default: the field's name).
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub group: Option<Spanned<String>>,
}

/// A YAML mapping kept in document order, its keys with their places. An entry whose value is
/// empty is skipped: only the shape check leaves one so (it blanked the broken value out and
/// reported it).
#[derive(Debug)]
pub(super) struct Ordered<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Spanned<String>, Option<V>>()? {
                    if let Some(v) = v {
                        out.push((k, v));
                    }
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

/// A YAML list without its empty items: only the shape check leaves one so (a block item it
/// blanked out and reported).
#[derive(Debug)]
pub(super) struct Items<T>(pub Vec<T>);

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Option::<Vec<Option<T>>>::deserialize(d)?;
        Ok(Items(items.into_iter().flatten().flatten().collect()))
    }
}

/// An `int` parse mode by name.
pub(super) fn int_parse(name: &str) -> Option<IntParse> {
    match name {
        "percent" => Some(IntParse::Percent),
        "bytes" => Some(IntParse::Bytes),
        _ => None,
    }
}

/// Reads an `int` as its parse mode says: `96%`, `7.1G` (powers of 1024), plain digits.
pub fn parse_int(text: &str, parse: Option<IntParse>) -> Option<i64> {
    let t = text.trim();
    match parse {
        None => t.parse().ok(),
        Some(IntParse::Percent) => t.strip_suffix('%').unwrap_or(t).trim().parse().ok(),
        Some(IntParse::Bytes) => {
            let t = t.strip_suffix(['B', 'b']).unwrap_or(t);
            let (number, unit) = match t.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], Some(c)),
                _ => (t, None),
            };
            let power = match unit.map(|c| c.to_ascii_uppercase()) {
                None => 0,
                Some('K') => 1,
                Some('M') => 2,
                Some('G') => 3,
                Some('T') => 4,
                Some('P') => 5,
                Some(_) => return None,
            };
            let n: f64 = number.trim().parse().ok()?;
            if !n.is_finite() || n < 0.0 {
                return None;
            }
            let bytes = n * 1024f64.powi(power);
            (bytes < i64::MAX as f64).then_some(bytes.round() as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_read_percent_and_bytes() {
        assert_eq!(parse_int("96%", Some(IntParse::Percent)), Some(96));
        assert_eq!(parse_int(" 7 ", None), Some(7));
        assert_eq!(parse_int("96%", None), None);
        assert_eq!(parse_int("4096", Some(IntParse::Bytes)), Some(4096));
        assert_eq!(parse_int("150k", Some(IntParse::Bytes)), Some(153_600));
        assert_eq!(
            parse_int("7.1G", Some(IntParse::Bytes)),
            Some((7.1 * 1024f64.powi(3)).round() as i64)
        );
        assert_eq!(parse_int("2T", Some(IntParse::Bytes)), Some(2 << 40));
        assert_eq!(parse_int("1Q", Some(IntParse::Bytes)), None);
        assert_eq!(parse_int("-1G", Some(IntParse::Bytes)), None);
        assert_eq!(parse_int("9e300G", Some(IntParse::Bytes)), None);
        assert_eq!(parse_int("", Some(IntParse::Bytes)), None);
    }

    #[test]
    fn a_fact_declared_twice_keeps_one_type() {
        let decl = |ty| FactDecl {
            name: "a.b".into(),
            ty,
            source: String::new(),
            description: String::new(),
            private: false,
            from_manager: false,
            declared_in: "x".into(),
            kind: None,
            fields: Vec::new(),
            parse: None,
        };
        let mut c = FactCatalog::default();
        assert!(c.declare(decl(FactType::Int)).is_ok());
        assert!(c.declare(decl(FactType::Int)).is_ok());
        assert_eq!(
            c.declare(decl(FactType::Text)).unwrap_err().ty,
            FactType::Int
        );
        assert_eq!(c.len(), 1);
    }
}
