//! A problem of a rule or test file ([`Diagnostic`]: code, level, file, line, column, hint),
//! and the two-step read of such a file ([`crate::yaml::read()`]) with its problems as diagnostics.

use serde::Serialize;

/// How bad a problem is: an error fails lint and leaves the rule out; a warning fails lint
/// only with `--deny warnings`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Error,
    Warning,
}

/// A problem in a rule file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-fact`.
    pub code: &'static str,
    pub level: Level,
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

/// Reads `text` as the schema definition `def` (`RuleFile`, `TestFile`) into `T`
/// ([`crate::yaml::read()`]), its shape problems as diagnostics of `file`, each with whether the
/// node was left readable (see [`merge`]).
pub fn read<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    def: &str,
) -> (Option<T>, Vec<(Diagnostic, bool)>) {
    let (value, problems) = crate::yaml::read::<T>(text, def);
    let found = problems
        .into_iter()
        .map(|p| {
            let readable = p.readable;
            (Diagnostic::of(p, file), readable)
        })
        .collect();
    (value, found)
}

/// The problems of one file: shape and meaning, one per place, in file order
/// ([`crate::yaml::merge`]).
pub fn merge(
    text: &str,
    shape: Vec<(Diagnostic, bool)>,
    meaning: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    crate::yaml::merge(text, shape, meaning)
}

impl crate::yaml::Placed for Diagnostic {
    fn place(&self) -> (u64, u64) {
        (self.line, self.column)
    }
    fn hint_mut(&mut self) -> &mut Option<String> {
        &mut self.hint
    }
}

impl Diagnostic {
    /// A file's problem found by [`crate::yaml`], as an error of `file`.
    pub fn of(p: crate::yaml::Problem, file: &str) -> Diagnostic {
        Diagnostic {
            code: p.code,
            level: Level::Error,
            file: file.to_string(),
            line: p.line,
            column: p.column,
            message: p.message,
            hint: p.hint,
        }
    }
}
