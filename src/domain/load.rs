//! Reading a `domain.yaml`: parse with places, then validate, collecting every problem.
//!
//! The file is read as every pack file is ([`crate::yaml::read()`]): its shape is checked against
//! `rules/schema.json`'s `DomainFile` (YAML syntax, unknown keys with a "did you mean", wrong
//! types, missing keys, host patterns of the wrong form: every one of them), and the broken
//! entries are left out. The meaning of the rest is then checked (a host pattern that is not one,
//! an entry field its table does not declare, two entries of one name, an `address_host` naming
//! a table, field or entry the file does not declare); each problem has its line and column, and
//! the valid parts load.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{AddressHost, Class, Domain, Entry, HostPattern, Table};

/// A problem in a domain file: a stable kebab-case code, where it is, and a hint.
pub use crate::yaml::Problem;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainFile {
    #[serde(default)]
    classes: BTreeMap<String, Spanned<ClassDef>>,
    #[serde(default)]
    tables: BTreeMap<String, Spanned<TableDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassDef {
    #[serde(default)]
    description: String,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    except: Vec<Spanned<String>>,
    address_host: Option<Spanned<AddressHostDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressHostDef {
    // All four required: the shape check reports a missing one, and the class then has none.
    table: Option<Spanned<String>>,
    fact: Option<String>,
    field: Option<Spanned<String>>,
    default: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDef {
    #[serde(default)]
    description: String,
    #[serde(default)]
    fields: Vec<Spanned<String>>,
    #[serde(default)]
    entries: Vec<Spanned<EntryDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDef {
    /// Required (the shape check says so when it is missing; the entry is then left out).
    name: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<String>>,
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn at<T>(&mut self, at: &Spanned<T>, code: &'static str, message: String) {
        self.problems.push(Problem {
            code,
            line: at.referenced.line(),
            column: at.referenced.column(),
            message,
            hint: None,
            readable: false,
        });
    }

    fn patterns(&mut self, texts: &[Spanned<String>]) -> Vec<HostPattern> {
        self.patterns_each(texts).into_iter().flatten().collect()
    }

    /// Each text's pattern, None (and a problem) for one that is not a pattern.
    fn patterns_each(&mut self, texts: &[Spanned<String>]) -> Vec<Option<HostPattern>> {
        let mut out = Vec::new();
        for t in texts {
            match HostPattern::parse(&t.value) {
                Ok(p) => out.push(Some(p)),
                Err(e) => {
                    self.at(
                        t,
                        "invalid-host-pattern",
                        format!("`{}` is not a host pattern: {}", t.value, e.0),
                    );
                    out.push(None);
                }
            }
        }
        out
    }

    /// A class's exceptions. One that none of the class's `hosts` in this file covers excepts
    /// nothing (a mistyped pattern would leave the tenant hosts it meant in the class); a class
    /// that gives no hosts here extends another pack's class and is not checked.
    fn exceptions(
        &mut self,
        class: &str,
        texts: &[Spanned<String>],
        hosts: &[HostPattern],
    ) -> Vec<HostPattern> {
        let mut out = Vec::new();
        for (t, p) in texts.iter().zip(self.patterns_each(texts)) {
            let Some(p) = p else { continue };
            if !hosts.is_empty() && !hosts.iter().any(|h| p.within(h)) {
                self.at(
                    t,
                    "except-outside-class",
                    format!(
                        "`{p}` is under none of class `{class}`'s `hosts` ({}): it excepts nothing",
                        hosts
                            .iter()
                            .map(|h| h.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            out.push(p);
        }
        out
    }

    fn table(&mut self, name: &str, def: &Spanned<TableDef>) -> Table {
        let declared: BTreeSet<&str> = def.value.fields.iter().map(|f| f.value.as_str()).collect();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut entries = Vec::new();
        for e in &def.value.entries {
            let e = &e.value;
            let Some(entry_name) = &e.name else {
                continue;
            };
            if entry_name.value.trim().is_empty() {
                self.at(
                    entry_name,
                    "empty-entry-name",
                    "an entry needs a name".into(),
                );
                continue;
            }
            for n in std::iter::once(entry_name).chain(&e.aliases) {
                if !names.insert(n.value.trim().to_ascii_lowercase()) {
                    self.at(
                        n,
                        "duplicate-entry",
                        format!("`{}` names two entries of table `{name}`", n.value),
                    );
                }
            }
            let mut fields = BTreeMap::new();
            for (field, value) in &e.fields {
                if declared.contains(field.as_str()) {
                    fields.insert(field.clone(), value.value.trim().to_string());
                } else {
                    self.at(
                        value,
                        "unknown-table-field",
                        format!(
                            "field `{field}` is not one of table `{name}`'s `fields` ({})",
                            declared.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            entries.push(Entry {
                name: entry_name.value.trim().to_string(),
                aliases: e
                    .aliases
                    .iter()
                    .map(|a| a.value.trim().to_string())
                    .collect(),
                hosts: self.patterns(&e.hosts),
                fields,
            });
        }
        Table {
            name: name.to_string(),
            description: def.value.description.trim().to_string(),
            fields: def.value.fields.iter().map(|f| f.value.clone()).collect(),
            entries,
        }
    }

    fn address_host(
        &mut self,
        def: &Spanned<AddressHostDef>,
        tables: &BTreeMap<String, Table>,
    ) -> Option<AddressHost> {
        let a = &def.value;
        let (Some(a_table), Some(fact), Some(a_field), Some(a_default)) =
            (&a.table, &a.fact, &a.field, &a.default)
        else {
            return None;
        };
        let Some(table) = tables.get(&a_table.value) else {
            self.at(
                a_table,
                "unknown-domain-table",
                format!(
                    "`address_host` names table `{}`, which this file does not declare",
                    a_table.value
                ),
            );
            return None;
        };
        if !table.fields.contains(&a_field.value) {
            self.at(
                a_field,
                "unknown-table-field",
                format!("table `{}` has no field `{}`", table.name, a_field.value),
            );
            return None;
        }
        if table.entry(&a_default.value).is_none() {
            self.at(
                a_default,
                "unknown-entry",
                format!("table `{}` has no entry `{}`", table.name, a_default.value),
            );
            return None;
        }
        Some(AddressHost {
            table: a_table.value.clone(),
            fact: fact.trim().to_string(),
            field: a_field.value.clone(),
            default: a_default.value.clone(),
        })
    }
}

/// Parses and validates one domain file: every shape and meaning problem, in file order, and
/// the parts that are valid.
pub fn parse(text: &str) -> (Domain, Vec<Problem>) {
    let (file, shape) = crate::yaml::read::<DomainFile>(text, "DomainFile");
    let shape: Vec<(Problem, bool)> = shape.into_iter().map(|p| (p.clone(), p.readable)).collect();
    let Some(file) = file else {
        let problems = crate::yaml::merge(text, shape, Vec::new());
        return (Domain::default(), problems);
    };
    let mut c = Checker {
        problems: Vec::new(),
    };
    let tables: BTreeMap<String, Table> = file
        .tables
        .iter()
        .map(|(name, def)| (name.clone(), c.table(name, def)))
        .collect();
    let mut classes = BTreeMap::new();
    for (name, def) in &file.classes {
        let d = &def.value;
        let hosts = c.patterns(&d.hosts);
        let except = c.exceptions(name, &d.except, &hosts);
        let class = Class {
            name: name.clone(),
            description: d.description.trim().to_string(),
            public: d.public,
            hosts,
            except,
            address_host: d
                .address_host
                .as_ref()
                .and_then(|a| c.address_host(a, &tables)),
        };
        classes.insert(name.clone(), class);
    }
    let problems = crate::yaml::merge(text, shape, c.problems);
    (Domain { classes, tables }, problems)
}

/// The typed structs' own error for `text`, read without the shape check: which keys they take
/// (`tests/guide.rs` checks that the schema has the same keys). Not for loading.
#[doc(hidden)]
pub fn typed_read_error(text: &str) -> Option<String> {
    serde_saphyr::from_str::<DomainFile>(text)
        .err()
        .map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, u64, u64)> {
        parse(text)
            .1
            .into_iter()
            .map(|p| (p.code, p.line, p.column))
            .collect()
    }

    #[test]
    fn every_problem_with_its_place() {
        let text = "\
classes:
  a:
    hosts: ['x..y', ok.example.net]
    address_host: {table: t, fact: f, field: nope, default: one}
  b:
    address_host: {table: missing, fact: f, field: api, default: one}
tables:
  t:
    fields: [api]
    entries:
      - name: one
        hosts: ['*x.example.net']
        fields: {api: a.example.net, apl: b.example.net}
      - name: two
        aliases: [ONE]
      - name: ''
";
        assert_eq!(
            codes(text),
            [
                ("invalid-host-pattern", 3, 13),
                ("unknown-table-field", 4, 46),
                ("unknown-domain-table", 6, 27),
                ("invalid-host-pattern", 12, 17),
                ("unknown-table-field", 13, 43),
                ("duplicate-entry", 15, 19),
                ("empty-entry-name", 16, 15),
            ]
        );
    }

    #[test]
    fn an_exception_under_none_of_the_class_s_hosts_is_a_problem() {
        let text = "\
classes:
  a:
    hosts: ['**.example.net', api.example.org]
    except: ['**.cdo.example.net', '**.example.org', 'x..y', api.example.org]
  b:
    except: ['**.anything.example']
";
        assert_eq!(
            codes(text),
            [
                ("except-outside-class", 4, 36),
                ("invalid-host-pattern", 4, 54),
            ]
        );
        let (d, _) = parse(text);
        assert_eq!(d.class("a").unwrap().exceptions().len(), 3);
    }

    #[test]
    fn shape_errors_name_the_key() {
        assert_eq!(
            codes("classes:\n  a:\n    hostz: [a]\n")[0].0,
            "unknown-key"
        );
        assert_eq!(
            codes("tables:\n  t:\n    entries:\n      - hosts: [a]\n")[0].0,
            "missing-field"
        );
        assert_eq!(codes("classes: [")[0].0, "yaml-syntax");
    }

    #[test]
    fn shape_and_meaning_problems_of_one_file_come_out_together() {
        // An unknown key, a wrong type and a missing name do not hide a bad pattern or a
        // duplicate entry; the valid parts still load.
        let text = "classes:\n  c:\n    hostz: [a]\n    public: 5\n    hosts: ['a..b', ok.example.net]\ntables:\n  t:\n    entries:\n      - hosts: [a.example.net]\n      - name: one\n      - name: ONE\n";
        let (domain, problems) = parse(text);
        let got: Vec<(&str, u64, u64)> = problems
            .iter()
            .map(|p| (p.code, p.line, p.column))
            .collect();
        assert_eq!(
            got,
            [
                ("unknown-key", 3, 5),
                ("wrong-type", 4, 13),
                ("invalid-host-pattern", 5, 13),
                ("missing-field", 9, 9),
                ("duplicate-entry", 11, 15),
            ]
        );
        assert_eq!(problems[0].hint.as_deref(), Some("did you mean `hosts`?"));
        assert!(domain.table("t").is_some_and(|t| t.entry("one").is_some()));
    }
}
