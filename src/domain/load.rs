//! Reading a `domain.yaml`: parse with places, then validate, collecting every problem.
//!
//! Shape errors (YAML syntax, unknown keys, wrong types) stop the file; meaning errors (a host
//! pattern that is not one, an entry field its table does not declare, two entries of one name,
//! an `address_host` naming a table, field or entry the file does not declare) are each
//! reported with their line and column, and the rest of the file loads.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{AddressHost, Class, Domain, Entry, HostPattern, Table};

/// A problem in a domain file: a stable kebab-case code and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

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
    table: Spanned<String>,
    fact: String,
    field: Spanned<String>,
    default: Spanned<String>,
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
    name: Spanned<String>,
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
            if e.name.value.trim().is_empty() {
                self.at(&e.name, "empty-entry-name", "an entry needs a name".into());
                continue;
            }
            for n in std::iter::once(&e.name).chain(&e.aliases) {
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
                name: e.name.value.trim().to_string(),
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
        let Some(table) = tables.get(&a.table.value) else {
            self.at(
                &a.table,
                "unknown-domain-table",
                format!(
                    "`address_host` names table `{}`, which this file does not declare",
                    a.table.value
                ),
            );
            return None;
        };
        if !table.fields.contains(&a.field.value) {
            self.at(
                &a.field,
                "unknown-table-field",
                format!("table `{}` has no field `{}`", table.name, a.field.value),
            );
            return None;
        }
        if table.entry(&a.default.value).is_none() {
            self.at(
                &a.default,
                "unknown-entry",
                format!("table `{}` has no entry `{}`", table.name, a.default.value),
            );
            return None;
        }
        Some(AddressHost {
            table: a.table.value.clone(),
            fact: a.fact.trim().to_string(),
            field: a.field.value.clone(),
            default: a.default.value.clone(),
        })
    }
}

/// Parses and validates one domain file. A shape error gives an empty domain and that one
/// problem; otherwise every meaning problem is listed and the valid parts load.
pub fn parse(text: &str) -> (Domain, Vec<Problem>) {
    let file: DomainFile = match serde_saphyr::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let message = e.without_snippet().to_string();
            let code = if message.contains("unknown field") {
                "unknown-key"
            } else if message.contains("missing field") {
                "missing-field"
            } else {
                "yaml-syntax"
            };
            let problem = Problem {
                code,
                line,
                column,
                message,
            };
            return (Domain::default(), vec![problem]);
        }
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
    c.problems.sort_by_key(|p| (p.line, p.column));
    (Domain { classes, tables }, c.problems)
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
}
