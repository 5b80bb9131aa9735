//! `text`: facts from regexes with a `value` capture, over the whole member (first match, or
//! `pick: last`; a `list` takes every match).

use super::{Extractor, Found, typed};
use crate::artifacts::FactType;
use crate::artifacts::spec::{FactSpec, How};
use crate::facts::FactValue;
use crate::parse::LineCounter;

pub(super) struct Text;

impl Extractor for Text {
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>) {
        for spec in specs {
            let How::Regex(re) = &spec.how else { continue };
            let mut lines = LineCounter::new(doc);
            let mut found = Vec::new();
            let mut items = Vec::new();
            let mut first_line = None;
            for caps in re.captures_iter(doc) {
                let Some(m) = caps.name("value") else {
                    continue;
                };
                let line = lines.line_at(m.start());
                if spec.ty == FactType::List {
                    first_line.get_or_insert(line);
                    if items.len() <= out.limits.list_items {
                        items.push(m.as_str().trim().to_string());
                    }
                    continue;
                }
                if let Some(v) = typed(m.as_str(), spec.ty, spec.parse) {
                    found.push((v, Some(line)));
                    if spec.pick == crate::artifacts::spec::Pick::First {
                        break;
                    }
                }
            }
            if spec.ty == FactType::List {
                if first_line.is_some() {
                    out.push(spec, FactValue::List(items), first_line);
                }
            } else {
                out.single(spec, found);
            }
        }
    }
}
