//! `records`: one record per match of a regex with named groups, or one per block of lines that
//! starts at a header regex (`show managers`, sftunnel status, show version); a single-valued
//! fact takes the `value` capture of the first match (or `pick: last`).

use super::{Extractor, Found, record, typed};
use crate::artifacts::FactType;
use crate::artifacts::spec::{FactSpec, FieldFrom, How, Pick};
use crate::facts::Record;
use crate::parse::LineCounter;

pub(super) struct Records;

impl Extractor for Records {
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>) {
        let cap = out.limits.records_per_fact;
        for spec in specs {
            match (&spec.how, spec.ty) {
                (How::Regex(re), FactType::Records) => {
                    let mut lines = LineCounter::new(doc);
                    let mut records = Vec::new();
                    let mut more = 0u64;
                    for caps in re.captures_iter(doc) {
                        if records.len() >= cap {
                            more += 1;
                            continue;
                        }
                        let line = lines.line_at(caps.get(0).map_or(0, |m| m.start()));
                        records.push(record(spec, Some(line), |f| match &f.from {
                            FieldFrom::Group(g) => caps.name(g).map(|m| m.as_str().to_string()),
                            _ => None,
                        }));
                    }
                    if !records.is_empty() {
                        out.records(spec, records, more);
                    }
                }
                (How::Regex(re), ty) => {
                    let mut lines = LineCounter::new(doc);
                    let mut found = Vec::new();
                    for caps in re.captures_iter(doc) {
                        let Some(m) = caps.name("value") else {
                            continue;
                        };
                        let line = lines.line_at(m.start());
                        if let Some(v) = typed(m.as_str(), ty, spec.parse) {
                            found.push((v, Some(line)));
                            if spec.pick == Pick::First {
                                break;
                            }
                        }
                    }
                    out.single(spec, found);
                }
                (How::Blocks(header), _) => {
                    let (records, more) = blocks(spec, header, doc, cap);
                    if !records.is_empty() {
                        out.records(spec, records, more);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Splits the text at every line the header matches; each block is one record.
fn blocks(spec: &FactSpec, header: &regex::Regex, doc: &str, cap: usize) -> (Vec<Record>, u64) {
    let mut starts: Vec<(usize, u32)> = Vec::new();
    let mut offset = 0;
    for (line, n) in doc.split_inclusive('\n').zip(1u32..) {
        if header.is_match(line.trim_end_matches(['\n', '\r'])) {
            starts.push((offset, n));
        }
        offset += line.len();
    }
    let more = starts.len().saturating_sub(cap) as u64;
    let mut records = Vec::new();
    for (i, &(start, line)) in starts.iter().enumerate().take(cap) {
        let end = starts.get(i + 1).map_or(doc.len(), |s| s.0);
        let block = &doc[start..end];
        records.push(record(spec, Some(line), |f| match &f.from {
            FieldFrom::Regex(re) => re
                .captures(block)
                .and_then(|c| c.name("value"))
                .map(|m| m.as_str().to_string()),
            _ => None,
        }));
    }
    (records, more)
}
