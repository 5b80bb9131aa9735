//! The fact store of one document or one device: every value checked against its declared
//! type and cut to the value and list limits on the way in, with its evidence.

use std::collections::{BTreeMap, BTreeSet};

use crate::artifacts::FactCatalog;
use crate::domain::Domain;
use crate::facts::unit::cap_chars;
use crate::facts::{Evidence, Fact, FactValue};
use crate::limits::Limits;

pub(super) struct Builder<'a> {
    pub(super) facts: BTreeMap<String, Fact>,
    pub(super) limits: &'a Limits,
    /// What the loaded packs declare: every value is checked against its fact's type.
    catalog: &'a FactCatalog,
    pub(super) domain: &'a Domain,
    /// Facts whose values were cut.
    pub(super) cut: BTreeSet<String>,
    /// Values refused: the fact is not declared, or the value is not of its declared type.
    pub(super) rejected: BTreeSet<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(limits: &'a Limits, catalog: &'a FactCatalog, domain: &'a Domain) -> Self {
        Builder {
            facts: BTreeMap::new(),
            limits,
            catalog,
            domain,
            cut: BTreeSet::new(),
            rejected: BTreeSet::new(),
        }
    }

    pub(super) fn evidence(&self, path: &str, line: Option<u32>, text: Option<&str>) -> Evidence {
        Evidence {
            path: crate::limits::cap_text(path, self.limits.value_chars),
            line,
            text: text.map(|t| cap_chars(t.trim(), self.limits.evidence_chars)),
        }
    }

    pub(super) fn set(
        &mut self,
        name: &str,
        value: FactValue,
        path: &str,
        line: Option<u32>,
        text: Option<&str>,
    ) {
        let evidence = self.evidence(path, line, text);
        self.put(name, value, Some(evidence));
    }

    /// Stores a fact, its text values cut to `--max-value-chars` and its lists to
    /// `--max-list-items`.
    pub(super) fn put(&mut self, name: &str, mut value: FactValue, evidence: Option<Evidence>) {
        match self.catalog.lookup(name) {
            Some(decl) if value.fits(decl) => {}
            Some(decl) => {
                let got = value.type_of().map_or("?", |t| t.as_str());
                self.rejected
                    .insert(format!("{name} ({got} value for a {} fact)", decl.ty));
                return;
            }
            None => {
                self.rejected
                    .insert(format!("{name} (declared by no loaded pack)"));
                return;
            }
        }
        if cap_value(&mut value, self.limits) {
            self.cut.insert(name.to_string());
        }
        self.facts
            .insert(name.to_string(), Fact { value, evidence });
    }

    /// A text fact; the value is cut before it is copied.
    pub(super) fn text(
        &mut self,
        name: &str,
        value: &str,
        path: &str,
        line: Option<u32>,
        doc: &str,
    ) {
        let text = line.and_then(|l| line_text(doc, l));
        let capped = crate::limits::cap_text(value, self.limits.value_chars);
        if capped != value {
            // cap_value below does not see the cut: it is already done.
            self.cut.insert(name.to_string());
        }
        let value = capped;
        self.set(name, FactValue::Text(value), path, line, text);
    }
}

/// Cuts a fact's text (and each list item) to `value_chars` and a list to `list_items`; true
/// when anything was cut.
pub(super) fn cap_value(value: &mut FactValue, limits: &Limits) -> bool {
    let max = limits.value_chars;
    let cap = |t: &mut String| -> bool {
        if t.len() > max && t.chars().nth(max).is_some() {
            *t = crate::limits::cap_text(t, max);
            true
        } else {
            false
        }
    };
    match value {
        FactValue::Text(t) => cap(t),
        FactValue::List(items) => {
            let mut cut = false;
            // A list cut while it was built (lsof peers) already ends in its marker.
            let marked = items.len() == limits.list_items + 1
                && items.last().is_some_and(|l| l.starts_with("…["));
            let mut marker = None;
            if marked {
                marker = items.pop();
            } else if items.len() > limits.list_items {
                let left = items.len() - limits.list_items;
                items.truncate(limits.list_items);
                marker = Some(format!("…[{left} more]"));
                cut = true;
            }
            for item in items.iter_mut() {
                cut |= cap(item);
            }
            items.extend(marker);
            cut
        }
        FactValue::Records(records) => {
            let mut cut = false;
            for r in records.iter_mut() {
                for v in r.fields.values_mut() {
                    cut |= cap_value(v, limits);
                }
            }
            cut
        }
        _ => false,
    }
}

pub(super) fn line_text(doc: &str, line: u32) -> Option<&str> {
    doc.lines().nth(line.checked_sub(1)? as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_lists_are_cut_visibly() {
        let limits = Limits {
            value_chars: 4,
            list_items: 2,
            ..Limits::default()
        };
        let mut text = FactValue::Text("abcdefgh".into());
        assert!(cap_value(&mut text, &limits));
        assert_eq!(text, FactValue::Text("abcd…[cut 4 bytes]".into()));
        let mut list = FactValue::List(vec!["a".into(), "bbbbbb".into(), "c".into()]);
        assert!(cap_value(&mut list, &limits));
        assert_eq!(
            list,
            FactValue::List(vec![
                "a".into(),
                "bbbb…[cut 2 bytes]".into(),
                "…[1 more]".into()
            ])
        );
        let mut short = FactValue::List(vec!["a".into()]);
        assert!(!cap_value(&mut short, &limits));
    }
}
