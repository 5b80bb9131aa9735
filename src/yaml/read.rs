//! Reading a YAML file into typed structs in two steps, every problem with its place.
//!
//! The one place where a file's text becomes a typed value: the spanned tree ([`super::tree`])
//! is checked against the schema ([`super::shape`]), collecting every problem; the text, with the
//! broken entries blanked out, is then deserialised, so that each loader's meaning checks still
//! run on everything else. What serde says when it refuses a file anyway (the schema let through
//! what a struct does not take) is turned into one more problem with its place, here and nowhere
//! else. [`merge`] then puts a file's shape and meaning problems together, one per place.

use serde::de::DeserializeOwned;

use super::fuzzy::did_you_mean;
use super::shape::{self, Problem};
use super::tree::{self, Kind};

/// The hint for a `"\S"` in double quotes.
const ESCAPE_HINT: &str = "in double quotes `\\` starts an escape (`\\n`, `\\t`); write regexes \
                           and other text with backslashes in single quotes: '\\S+'";

/// Reads `text` as the schema definition `def` (`RuleFile`, `TestFile`, `ArtifactsFile`,
/// `DomainFile`) into `T`.
///
/// Returns the value when the read of what is left succeeds, and the shape problems, each saying
/// whether its node was left readable (see [`merge`]).
pub fn read<T: DeserializeOwned>(text: &str, def: &str) -> (Option<T>, Vec<Problem>) {
    let root = match tree::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let problem = Problem {
                code: "yaml-syntax",
                line: e.line,
                column: e.column,
                message: e.message,
                hint: e.bad_escape.then(|| ESCAPE_HINT.to_string()),
                readable: false,
            };
            return (None, vec![problem]);
        }
    };
    let report = shape::check(&root, def);
    let mut readable_text = tree::blank(text, &report.broken, &report.replaced);
    // Stand-ins for missing top-level keys, after the file's last line: what the meaning check
    // says of them is dropped (it points past the end).
    if matches!(root.kind, Kind::Map(_)) && root.line == 1 && root.column == 1 {
        for (key, stand_in) in &report.missing {
            readable_text.push_str(&format!("\n{key}: {stand_in}"));
        }
    }
    let mut found = report.problems;
    match serde_saphyr::from_str::<T>(&readable_text) {
        Ok(value) => (Some(value), found),
        Err(e) if found.is_empty() => {
            // The schema let through what serde refuses: still one problem, with its place.
            found.push(serde_problem(&e));
            (None, found)
        }
        Err(_) => (None, found),
    }
}

/// A serde-saphyr error as a problem: its place, and a code told from its text (the only
/// place that reads serde's wording).
pub fn serde_problem(e: &serde_saphyr::Error) -> Problem {
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
    Problem {
        code,
        line,
        column,
        hint: unknown_key_hint(&message),
        message,
        readable: false,
    }
}

fn unknown_key_hint(message: &str) -> Option<String> {
    // serde-saphyr: "unknown field `titel`, expected one of id, title, ... at line 2, column 1"
    let start = message.find("unknown field `")? + "unknown field `".len();
    let name = &message[start..start + message[start..].find('`')?];
    let list = message.split("expected one of ").nth(1)?;
    let list = list.split(" at line ").next().unwrap_or(list);
    let expected = list.split(',').map(|k| k.trim().trim_matches('`'));
    did_you_mean(name, expected)
}

/// A problem of a file as each loader keeps it (with its file name, its level): what
/// [`merge`] needs of it.
pub trait Placed: Clone {
    /// 1-based line and column.
    fn place(&self) -> (u64, u64);
    fn hint_mut(&mut self) -> &mut Option<String>;
}

impl Placed for Problem {
    fn place(&self) -> (u64, u64) {
        (self.line, self.column)
    }
    fn hint_mut(&mut self) -> &mut Option<String> {
        &mut self.hint
    }
}

/// The problems of one file: shape and meaning, one per place, in file order.
///
/// Where a shape problem left its node readable (a value outside the schema's list) and the
/// meaning check says more about the same node (`unknown-level`, `unknown-format`), the meaning
/// problem is kept, with the shape problem's hint when it has none of its own (the schema's
/// list gives a "did you mean"); where the node was blanked out, what the meaning check said of
/// the remains is dropped.
pub fn merge<D: Placed>(text: &str, shape: Vec<(D, bool)>, meaning: Vec<D>) -> Vec<D> {
    let lines = text.lines().count().max(1) as u64;
    let mut out: Vec<D> = Vec::new();
    for (d, readable) in &shape {
        if !(*readable && meaning.iter().any(|m| m.place() == d.place())) {
            out.push(d.clone());
        }
    }
    for mut m in meaning.into_iter().filter(|m| m.place().0 <= lines) {
        if shape
            .iter()
            .any(|(d, readable)| !readable && d.place() == m.place())
        {
            continue;
        }
        if m.hint_mut().is_none()
            && let Some((d, _)) = shape.iter().find(|(d, _)| d.place() == m.place())
        {
            *m.hint_mut() = d.clone().hint_mut().take();
        }
        out.push(m);
    }
    out.sort_by_key(|d| d.place());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Two {
        a: Option<u32>,
        b: Option<String>,
    }

    #[test]
    fn serde_errors_get_a_code_a_place_and_a_hint() {
        let e = serde_saphyr::from_str::<Two>("a: 1\nbb: x\n").unwrap_err();
        let p = serde_problem(&e);
        assert_eq!((p.code, p.line), ("unknown-key", 2));
        assert_eq!(p.hint.as_deref(), Some("did you mean `b`?"));
        let e = serde_saphyr::from_str::<Two>("a: [\n").unwrap_err();
        assert_eq!(serde_problem(&e).code, "yaml-syntax");
    }

    #[test]
    fn a_syntax_error_is_one_problem_and_no_value() {
        let (value, problems) = read::<Two>("a: 1\nb: \"\\S\"\n", "DomainFile");
        assert!(value.is_none());
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].code, problems[0].line), ("yaml-syntax", 2));
        assert!(
            problems[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("single quotes")
        );
        let (value, problems) = read::<Two>("a: 1\nb: x\n", "DomainFile");
        // `DomainFile` has no `a` or `b`: the shape check says so, and both are blanked out.
        assert_eq!(problems.len(), 2, "{problems:?}");
        let value = value.unwrap();
        assert_eq!((value.a, value.b), (None, None));
    }

    #[test]
    fn merge_keeps_the_meaning_of_readable_nodes_and_drops_that_of_blanked_ones() {
        let p = |line, column, code, hint: Option<&str>| Problem {
            code,
            line,
            column,
            message: String::new(),
            hint: hint.map(str::to_string),
            readable: false,
        };
        let shape = vec![
            (p(1, 5, "shape-readable", Some("did you mean `x`?")), true),
            (p(2, 3, "shape-broken", None), false),
        ];
        let meaning = vec![
            p(1, 5, "meaning-1", None),
            p(2, 3, "meaning-2", None),
            p(3, 1, "meaning-3", None),
            p(9, 1, "past-the-end", None),
        ];
        let merged = merge("a\nb\nc\n", shape, meaning);
        let codes: Vec<&str> = merged.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["meaning-1", "shape-broken", "meaning-3"]);
        assert_eq!(merged[0].hint.as_deref(), Some("did you mean `x`?"));
    }
}
