//! Rendering rule diagnostics rustc-style, with the offending line and a caret.
//!
//! Rule authors fix YAML faster when they see the line, not only its number; annotate-snippets
//! (rust-lang's renderer, used by cargo and serde-saphyr) draws it. The source is re-read from
//! the file, or from the embedded pack for built-in rules.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use super::load::Diagnostic;

/// The source text a diagnostic points into, if it can be found.
fn source_of(file: &str) -> Option<String> {
    if let Ok(text) = std::fs::read_to_string(file) {
        return Some(text);
    }
    super::load::builtin_sources()
        .into_iter()
        .find(|s| s.origin == file)
        .map(|s| s.text)
}

/// Byte range of `line:column` (1-based) in `text`, one character wide.
fn span(text: &str, line: u64, column: u64) -> std::ops::Range<usize> {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = l
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map(|(b, _)| b)
                .unwrap_or(0);
            let start = offset + col;
            let end = text[start..]
                .char_indices()
                .nth(1)
                .map(|(b, _)| start + b)
                .unwrap_or(start);
            return start..end;
        }
        offset += l.len();
    }
    offset..offset
}

/// A diagnostic as text: `error[code]: message`, the snippet with a caret, and the hint.
pub fn render(d: &Diagnostic, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let title = format!("{} ({}:{}:{})", d.message, d.file, d.line, d.column);
    let source = source_of(&d.file);
    let level = match d.level {
        super::load::Level::Error => Level::ERROR,
        super::load::Level::Warning => Level::WARNING,
    };
    let mut group = annotate_snippets::Group::with_title(level.primary_title(title).id(d.code));
    if let Some(text) = &source {
        group = group.element(
            Snippet::source(text.as_str())
                .path(d.file.as_str())
                .annotation(
                    AnnotationKind::Primary
                        .span(span(text, d.line, d.column))
                        .label(d.code),
                ),
        );
    }
    if let Some(hint) = &d.hint {
        group = group.element(Level::HELP.message(hint.as_str()));
    }
    renderer.render(&[group])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_column() {
        let text = "a: 1\nfact: conector.port\n";
        let r = span(text, 2, 7);
        assert_eq!(&text[r], "c");
    }
}
