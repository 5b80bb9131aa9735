//! Making text from a bundle safe to show, one function per output kind.
//!
//! A bundle is written by whoever uploaded it, so a host name or a log line may hold Markdown or
//! HTML, terminal escapes, or Unicode bidi and zero-width controls that make a name read as
//! something else (`U+202E` makes `evil<U+202E>txt.exe` show as `evilexe.txt`). [`visible`] renders those controls
//! as `<U+202E>` in every format and is applied to the whole report model before rendering
//! ([`visible_value`]); [`markdown`] and [`markdown_code`] escape for Markdown (HTML escaping is
//! minijinja's autoescape); [`terminal`] is for one line on a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that change how the text around them reads without showing themselves: bidi
/// embeddings, overrides, isolates and marks, zero-width characters, the BOM and the other
/// invisible format characters an upload might use to disguise a name.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Controls a document keeps: line breaks and tabs (rule texts span lines).
fn is_hidden_in_document(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t')) || is_invisible(c)
}

fn show(out: &mut String, c: char) {
    let _ = write!(out, "<U+{:04X}>", c as u32);
}

fn replace_with(text: &str, hidden: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            show(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every control character (but line feed and tab) and every invisible bidi or
/// zero-width character written as `<U+XXXX>`.
pub fn visible(text: &str) -> Cow<'_, str> {
    replace_with(text, is_hidden_in_document)
}

/// Applies [`visible`] to every string of a JSON value, object keys included.
pub fn visible_value(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(v) = visible(s) {
                *s = v;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(visible_value),
        Value::Object(map) => {
            if map.keys().any(|k| matches!(visible(k), Cow::Owned(_))) {
                let old = std::mem::take(map);
                for (k, v) in old {
                    map.insert(visible(&k).into_owned(), v);
                }
            }
            map.values_mut().for_each(visible_value);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` for one line on a terminal: every control character, line breaks and tabs included
/// (so a name cannot start a new line or send an escape sequence), and every invisible
/// character written as `<U+XXXX>`.
pub fn terminal(text: &str) -> Cow<'_, str> {
    replace_with(text, |c| c.is_control() || is_invisible(c))
}

/// `text` as literal Markdown inline text, also inside a table cell: HTML's `<` (and `&` where it
/// could start an entity) as entities (so no tag from a bundle reaches a renderer that passes HTML
/// through), Markdown's
/// inline punctuation backslash-escaped, line breaks as spaces (a value cannot start a heading
/// or a list), and a leading list or heading marker escaped.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // A value may be the first thing on a line: `- x`, `+ x`, `1. x` or `---` there would
    // change the structure, so the marker is escaped (and only then, to keep text readable).
    let marker_end = |rest: &str| rest.is_empty() || rest.starts_with([' ', '\t']);
    let first = text.chars().next();
    let escape_first = match first {
        Some(c @ ('-' | '+' | '=')) => {
            marker_end(&text[1..]) || text.chars().all(|x| x == c || x == ' ')
        }
        _ => false,
    };
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let escape_after_digits =
        digits > 0 && text[digits..].starts_with(['.', ')']) && marker_end(&text[digits + 1..]);
    for (i, c) in text.char_indices() {
        if (i == 0 && escape_first) || (i == digits && escape_after_digits) {
            out.push('\\');
        }
        match c {
            '<' => out.push_str("&lt;"),
            // Without a `<` no tag can open; `>` matters only where it starts a quote.
            '>' if i == 0 => out.push_str("&gt;"),
            // Only an `&` that could start an entity (`&lt;`, `&#60;`) changes what is shown.
            '&' if text[i + 1..].starts_with(|n: char| n.is_ascii_alphanumeric() || n == '#') => {
                out.push_str("&amp;")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` as one Markdown code span: delimited by one backtick more than its longest run of
/// backticks, so a backtick inside cannot close it early; padded with a space when it starts or
/// ends with a backtick; line breaks as spaces. Pipes are escaped too, as a table cell needs
/// (GitHub Markdown reads `\|` as a pipe inside code spans in tables).
pub fn markdown_code(text: &str, in_table: bool) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let mut body: String = text
        .chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect();
    if in_table {
        body = body.replace('|', "\\|");
    }
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(visible("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(visible("a\u{200B}b\u{FEFF}"), "a<U+200B>b<U+FEFF>");
        assert_eq!(visible("ansi \u{1b}[31m"), "ansi <U+001B>[31m");
        assert_eq!(visible("two\nlines\ttab"), "two\nlines\ttab");
        assert!(matches!(visible("plain ü"), Cow::Borrowed(_)));
        assert_eq!(terminal("two\nlines\r"), "two<U+000A>lines<U+000D>");
        let mut v = serde_json::json!({"a\u{202E}": ["x\u{2066}", 1, {"k": "\u{7}"}]});
        visible_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a<U+202E>": ["x<U+2066>", 1, {"k": "<U+0007>"}]})
        );
    }

    #[test]
    fn markdown_text_cannot_make_markup() {
        assert_eq!(
            markdown("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)>"
        );
        assert_eq!(markdown("A > B & C &lt;"), "A > B & C &amp;lt;");
        assert_eq!(markdown("> quote"), "&gt; quote");
        assert_eq!(markdown("a|b *c* [l](u)"), r"a\|b \*c\* \[l\](u)");
        assert_eq!(markdown("# h\n- item"), r"\# h - item");
        assert_eq!(markdown("- x"), r"\- x");
        assert_eq!(markdown("12. x"), r"12\. x");
        assert_eq!(markdown("7.2.5"), "7.2.5");
        assert_eq!(markdown("-x"), "-x");
        assert_eq!(markdown("---"), r"\---");
        assert_eq!(markdown("fmc-dc1 (FMC)"), "fmc-dc1 (FMC)");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(markdown_code("a`b", false), "``a`b``");
        assert_eq!(markdown_code("`x`", false), "`` `x` ``");
        assert_eq!(markdown_code("a|b", true), r"`a\|b`");
        assert_eq!(markdown_code("a|b", false), "`a|b`");
        assert_eq!(markdown_code("<b>", false), "`<b>`");
    }
}
