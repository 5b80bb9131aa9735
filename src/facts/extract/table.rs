//! `table`: whitespace-aligned columns under a header line (df, ps, route, interface summaries).
//! Columns are the header's words at their positions; a column name the definitions spell with a
//! space (`Mounted on`) is one column; a row that wraps (a long first column alone on its line,
//! the rest on the next) is one row; text past the last column belongs to it (a mount point or a
//! command line with spaces). `-T`'s extra `Type` column is just another column.

use super::{Extractor, Found, record};
use crate::artifacts::spec::{FactSpec, FieldFrom, How};
use crate::facts::FactValue;

pub(super) struct Table;

/// A column: its header name and where its header text starts and ends.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    start: usize,
    end: usize,
}

/// Whitespace-separated words with their byte spans.
fn words(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// The header's columns; consecutive words that together spell a wanted name are one column.
fn columns(header: &str, wanted: &[&str]) -> Vec<Column> {
    let w = words(header);
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let mut taken = 1;
        for &name in wanted {
            let n = name.split_whitespace().count();
            if n > 1 && i + n <= w.len() {
                let joined: Vec<&str> = w[i..i + n].iter().map(|&(s, e)| &header[s..e]).collect();
                if joined.join(" ") == name {
                    taken = n;
                    break;
                }
            }
        }
        let (start, end) = (w[i].0, w[i + taken - 1].1);
        out.push(Column {
            name: header[start..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            start,
            end,
        });
        i += taken;
    }
    out
}

/// One data row: its first line, and the value of each column.
struct Row {
    line: u32,
    values: Vec<Option<String>>,
}

/// Splits a row's words over the columns.
fn assign(text: &str, cols: &[Column]) -> Vec<Option<String>> {
    let w = words(text);
    let n = cols.len();
    let mut values = vec![None; n];
    if n == 0 {
        return values;
    }
    if w.len() >= n {
        for (i, &(s, e)) in w.iter().take(n - 1).enumerate() {
            values[i] = Some(text[s..e].to_string());
        }
        let (s, _) = w[n - 1];
        let e = w.last().map_or(s, |l| l.1);
        values[n - 1] = Some(text[s..e].to_string());
        return values;
    }
    // Fewer words than columns (empty cells): each word goes to the column its span overlaps,
    // else the nearest one by position.
    for &(s, e) in &w {
        let best = cols
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| {
                if s < c.end && e > c.start {
                    0
                } else {
                    c.start.abs_diff(e).min(c.end.abs_diff(s)) + 1
                }
            })
            .map(|(i, _)| i);
        if let Some(i) = best
            && values[i].is_none()
        {
            values[i] = Some(text[s..e].to_string());
        }
    }
    values
}

/// The rows under the header, wrapped rows joined.
fn rows(doc: &str, wanted: &[&str]) -> Option<(Vec<Column>, Vec<Row>)> {
    let mut lines = doc
        .lines()
        .zip(1u32..)
        .map(|(l, n)| (n, l.strip_suffix('\r').unwrap_or(l)));
    let (_, header) = lines.find(|(_, l)| words(l).len() >= 2)?;
    let cols = columns(header, wanted);
    let lines: Vec<(u32, &str)> = lines.filter(|(_, l)| !l.trim().is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, text) = lines[i];
        let count = words(text).len();
        // A long first column alone on its line, the rest of the row on the next.
        if count == 1
            && cols.len() > 1
            && let Some(&(_, next)) = lines.get(i + 1)
            && words(next).len() + 1 >= cols.len()
        {
            let joined = format!("{} {}", text.trim(), next.trim());
            let mut values = assign(&joined, &cols);
            values.truncate(cols.len());
            out.push(Row { line: n, values });
            i += 2;
            continue;
        }
        out.push(Row {
            line: n,
            values: assign(text, &cols),
        });
        i += 1;
    }
    Some((cols, out))
}

impl Extractor for Table {
    fn extract(&self, specs: &[&FactSpec], doc: &str, out: &mut Found<'_>) {
        let mut wanted: Vec<&str> = Vec::new();
        for spec in specs {
            if let How::Column(c) = &spec.how {
                wanted.push(c);
            }
            for f in &spec.fields {
                if let FieldFrom::Column(c) = &f.from {
                    wanted.push(c);
                }
            }
        }
        let Some((cols, rows)) = rows(doc, &wanted) else {
            return;
        };
        let index = |name: &str| cols.iter().position(|c| c.name == name);
        for spec in specs {
            match &spec.how {
                How::Rows => {
                    let records: Vec<_> = rows
                        .iter()
                        .map(|r| {
                            record(spec, Some(r.line), |f| match &f.from {
                                FieldFrom::Column(c) => {
                                    index(c).and_then(|i| r.values.get(i).cloned().flatten())
                                }
                                _ => None,
                            })
                        })
                        .collect();
                    if !records.is_empty() {
                        out.records(spec, records, 0);
                    }
                }
                How::Column(c) => {
                    let Some(i) = index(c) else { continue };
                    let items: Vec<String> = rows
                        .iter()
                        .filter_map(|r| r.values.get(i).cloned().flatten())
                        .collect();
                    let line = rows.first().map(|r| r.line);
                    out.push(spec, FactValue::List(items), line);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DF: &str = "Filesystem      Size  Used Avail Use% Mounted on\n\
/dev/sda1        20G   19G  1.0G  95% /\n\
tmpfs           7.8G     0  7.8G   0% /dev/shm\n\
/dev/mapper/vg-really_long_volume_name\n\
                 50G   48G  2.0G  96% /ngfw/Volume\n\
/dev/sdb1       100G   10G   90G  10% /mnt/with space\n";

    #[test]
    fn df_rows_with_a_two_word_column_and_a_wrapped_row() {
        let (cols, rows) = rows(DF, &["Mounted on"]).unwrap();
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"]
        );
        let mount: Vec<(u32, Option<String>)> =
            rows.iter().map(|r| (r.line, r.values[5].clone())).collect();
        assert_eq!(
            mount,
            [
                (2, Some("/".into())),
                (3, Some("/dev/shm".into())),
                (4, Some("/ngfw/Volume".into())),
                (6, Some("/mnt/with space".into()))
            ]
        );
        assert_eq!(
            rows[2].values[0].as_deref(),
            Some("/dev/mapper/vg-really_long_volume_name")
        );
        assert_eq!(rows[2].values[4].as_deref(), Some("96%"));
    }

    #[test]
    fn df_minus_t_has_a_type_column() {
        let doc = "Filesystem     Type  Size  Used Avail Use% Mounted on\n/dev/sda1      ext4   20G   19G  1.0G  95% /\n";
        let (cols, rows) = rows(doc, &["Mounted on"]).unwrap();
        assert_eq!(cols[1].name, "Type");
        assert_eq!(rows[0].values[1].as_deref(), Some("ext4"));
        assert_eq!(rows[0].values[6].as_deref(), Some("/"));
    }

    #[test]
    fn an_empty_cell_leaves_its_column_empty() {
        let doc = "Name   State    Peer\neth0   up       10.0.0.1\neth1            10.0.0.2\n";
        let (_, rows) = rows(doc, &[]).unwrap();
        assert_eq!(
            rows[1].values,
            [Some("eth1".into()), None, Some("10.0.0.2".into())]
        );
    }
}
