//! `keyvalue`: `key=value` or `key: value` lines; `#`, `!` and `;` comments, blank lines,
//! spaces, a leading byte-order mark and CRLF are skipped. A fact per key (the first
//! occurrence, or `pick: last`), or all keys as one record. The built-in `connector.properties`
//! checks read their keys with [`pairs`] too.

use super::{Extractor, Found, record, typed};
use crate::artifacts::spec::{FactSpec, FieldFrom, How, Pick};
use crate::parse::numbered_lines;

pub(super) struct KeyValue;

/// The (line, key, value) pairs of the text, in order. A value in double quotes is taken
/// without them; `!` starts a comment as in Java properties files.
pub(crate) fn pairs(doc: &str) -> impl Iterator<Item = (u32, &str, &str)> {
    numbered_lines(doc).filter_map(|(n, line)| {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with(['#', '!', ';']) {
            return None;
        }
        let at = line.find(['=', ':'])?;
        let key = line[..at].trim();
        let value = line[at + 1..].trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (!key.is_empty()).then_some((n, key, value))
    })
}

impl Extractor for KeyValue {
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>) {
        for spec in specs {
            match &spec.how {
                How::Key(key) => {
                    let found: Vec<_> = pairs(doc)
                        .filter(|(_, k, _)| k == key)
                        .filter_map(|(n, _, v)| Some((typed(v, spec.ty, spec.parse)?, Some(n))))
                        .collect();
                    let found = if spec.pick == Pick::First {
                        found.into_iter().take(1).collect()
                    } else {
                        found
                    };
                    out.single(spec, found);
                }
                How::Keys => {
                    let all: Vec<(u32, &str, &str)> = pairs(doc).collect();
                    if all.is_empty() {
                        continue;
                    }
                    let rec = record(spec, all.first().map(|p| p.0), |f| match &f.from {
                        FieldFrom::Key(k) => all
                            .iter()
                            .find(|(_, key, _)| key == k)
                            .map(|(_, _, v)| v.to_string()),
                        _ => None,
                    });
                    out.records(spec, vec![rec], 0);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants `connector.properties` files come in: comments of either kind, CRLF, spaces
    /// around the separator, `:` for `=`, garbage lines, a key without a name, an empty value,
    /// a key given twice.
    #[test]
    fn properties_variants() {
        let doc = "\u{feff}# comment\r\n! also a comment\r\n\r\n connector_port = 8989 \r\nconnector_fqdn: api.eu.sse.itd.cisco.com\r\ngarbage line\r\n=novalue\r\nconnector_port=9999\r\nempty=\r\n";
        let got: Vec<_> = pairs(doc).collect();
        assert_eq!(
            got,
            [
                (4, "connector_port", "8989"),
                (5, "connector_fqdn", "api.eu.sse.itd.cisco.com"),
                (8, "connector_port", "9999"),
                (9, "empty", "")
            ]
        );
        assert_eq!(pairs("").count(), 0);
    }

    #[test]
    fn pairs_skip_comments_and_take_both_separators() {
        let doc = "# c\r\nconnector_port=443\r\n\r\nname: fmc\n; x\nquoted = \"a b\"\nnovalue\n";
        let got: Vec<_> = pairs(doc).collect();
        assert_eq!(
            got,
            [
                (2, "connector_port", "443"),
                (4, "name", "fmc"),
                (6, "quoted", "a b")
            ]
        );
    }
}
