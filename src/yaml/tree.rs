//! A YAML document as a tree of nodes, each with its place in the file.
//!
//! Rule, test, artifact and domain files are read twice ([`super::read()`]): first into this tree,
//! which [`super::shape`] checks field by field against `rules/schema.json`, collecting every
//! problem (an unknown key does not hide a wrong type two lines below); then, with the broken
//! entries blanked out, into the typed structs whose meaning their loader validates. The tree
//! keeps what serde drops: where a mapping ends, how a scalar was quoted, its raw text.

use granit_parser::{Event, Parser, ScalarStyle, Span};

/// One node and where it is.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    /// 1-based line and column (characters) of the node's first character.
    pub line: u64,
    pub column: u64,
    /// Byte range in the source; a collection's ends where its last item does.
    pub start: usize,
    pub end: usize,
}

/// What a node holds.
#[derive(Debug, Clone)]
pub enum Kind {
    Scalar {
        text: String,
        style: Style,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// `*name`: checked where it is defined.
    Alias,
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` or `>`.
    Block,
}

/// A YAML syntax error and its place.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub line: u64,
    pub column: u64,
    pub message: String,
    /// The error is an unknown escape in a double-quoted scalar (`"\S"`).
    pub bad_escape: bool,
}

impl Node {
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A plain `null`, `~` or nothing.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, style: Style::Plain }
            if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null"))
    }
}

/// For an unknown escape in a double-quoted scalar, the column of its backslash (the scanner
/// marks where the scalar starts).
fn escape_column(text: &str, e: &granit_parser::ScanError) -> Option<u64> {
    if !format!("{:?}", e.kind()).contains("Escape") {
        return None;
    }
    let line = text.lines().nth(e.marker().line().checked_sub(1)?)?;
    let chars: Vec<char> = line.chars().collect();
    let mut i = e.marker().col() + 1;
    while i + 1 < chars.len() {
        if chars[i] == '\\' {
            if !"0abt\tnvfre \"/\\N_LPxuU".contains(chars[i + 1]) {
                return Some(i as u64 + 1);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

fn position(span: &Span) -> (u64, u64, usize, usize) {
    (
        span.start.line() as u64,
        span.start.col() as u64 + 1,
        span.start.byte_offset().unwrap_or(0),
        span.end.byte_offset().unwrap_or(0),
    )
}

enum Open {
    Seq(Node, Vec<Node>),
    Map(Node, Vec<(Node, Node)>, Option<Node>),
}

/// Parses the first document of `text`; an empty text is a null scalar.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut last_end = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SyntaxError {
            line: e.marker().line() as u64,
            column: escape_column(text, &e).unwrap_or(e.marker().col() as u64 + 1),
            // The place is given apart: drop the scanner's own " at char N line L column C".
            message: match e.to_string().split_once(" at char ") {
                Some((message, _)) => message.to_string(),
                None => e.to_string(),
            },
            bad_escape: format!("{:?}", e.kind()).contains("Escape"),
        })?;
        let (line, column, start, end) = position(&span);
        let node = |kind| Node {
            kind,
            line,
            column,
            start,
            end,
        };
        let finished = match event {
            Event::Scalar(value, style, _, _) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    _ => Style::Block,
                };
                last_end = end;
                Some(node(Kind::Scalar {
                    text: value.into_owned(),
                    style,
                }))
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                last_end = end;
                Some(node(Kind::Alias))
            }
            Event::SequenceStart(..) => {
                stack.push(Open::Seq(node(Kind::Seq(Vec::new())), Vec::new()));
                None
            }
            Event::MappingStart(..) => {
                stack.push(Open::Map(node(Kind::Map(Vec::new())), Vec::new(), None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(mut n, items)) => {
                    // A flow collection ends at its bracket; a block one at its last item.
                    n.end = if end > start && text[start..end].contains(']') {
                        end
                    } else {
                        last_end.max(n.start)
                    };
                    n.kind = Kind::Seq(items);
                    last_end = n.end;
                    Some(n)
                }
                Some(Open::Map(mut n, entries, _)) => {
                    n.end = if end > start && text[start..end].contains('}') {
                        end
                    } else {
                        last_end.max(n.start)
                    };
                    n.kind = Kind::Map(entries);
                    last_end = n.end;
                    Some(n)
                }
                None => None,
            },
            _ => None,
        };
        if let Some(done) = finished {
            match stack.last_mut() {
                Some(Open::Seq(_, items)) => items.push(done),
                Some(Open::Map(_, entries, key)) => match key.take() {
                    Some(k) => entries.push((k, done)),
                    None => *key = Some(done),
                },
                None => {
                    root = Some(done);
                    break;
                }
            }
        }
    }
    Ok(root.unwrap_or(Node {
        kind: Kind::Scalar {
            text: String::new(),
            style: Style::Plain,
        },
        line: 1,
        column: 1,
        start: 0,
        end: 0,
    }))
}

/// `text` with the byte ranges replaced by spaces (line breaks kept) and the replacements
/// written over the start of theirs (padded with spaces), so that every other node keeps its
/// line and column.
pub fn blank(
    text: &str,
    ranges: &[std::ops::Range<usize>],
    replaced: &[(std::ops::Range<usize>, String)],
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<std::str::Chars<'_>> = None;
    for (i, c) in text.char_indices() {
        if let Some((_, with)) = replaced.iter().find(|(r, _)| r.start == i) {
            pending = Some(with.chars());
        }
        let in_replaced = replaced.iter().any(|(r, _)| r.contains(&i));
        if in_replaced && c != '\n' {
            out.push(pending.as_mut().and_then(Iterator::next).unwrap_or(' '));
            continue;
        }
        let hidden = ranges.iter().any(|r| r.contains(&i));
        out.push(if hidden && c != '\n' && c != '\r' {
            ' '
        } else {
            c
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_place_and_quoting() {
        let text = "a:\n  b: [1, 2]\n  c: 'x'\nd: 5\n";
        let root = parse(text).unwrap();
        let a = root.get("a").unwrap();
        assert_eq!((a.line, a.column), (2, 3));
        assert_eq!(&text[a.start..a.end], "b: [1, 2]\n  c: 'x'");
        let b = a.get("b").unwrap();
        assert_eq!(&text[b.start..b.end], "[1, 2]");
        let c = a.get("c").unwrap();
        assert!(
            matches!(&c.kind, Kind::Scalar { style: Style::SingleQuoted, text } if text == "x")
        );
        assert_eq!((c.line, c.column), (3, 6));
        assert_eq!(root.get("d").unwrap().scalar(), Some("5"));
    }

    #[test]
    fn syntax_errors_have_a_place_and_say_when_an_escape_is_bad() {
        let e = parse("a: 1\nd: \"\\S\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.bad_escape, "{e:?}");
        assert!(!parse("a: [1\n").unwrap_err().bad_escape);
    }

    #[test]
    fn blanking_keeps_lines_and_columns() {
        let text = "a: 1\nb: 2\n";
        let first_line = 0..4;
        assert_eq!(
            blank(text, std::slice::from_ref(&first_line), &[]),
            "    \nb: 2\n"
        );
        assert_eq!(
            blank("s: critcal\n", &[], &[(3..10, "info".into())]),
            "s: info   \n"
        );
    }
}
