//! Templates of a rule (`message`, `remediation`, …): they compile, use only names the rule
//! defines, and their errors point at the file's line and column.

use serde_saphyr::Spanned;

use super::TEMPLATE_NAMES;
use super::{Validator, place_in_scalar};
use crate::rules::diagnostic::{Diagnostic, Level};
use crate::yaml::did_you_mean;

impl Validator<'_> {
    /// Where in the file a template's error is: the template's line, counted from the
    /// scalar's (a `|` block starts on the next line), and the column in that line.
    pub(super) fn template_place(
        &self,
        template: &Spanned<String>,
        e: &minijinja::Error,
    ) -> (u64, u64) {
        match e.range() {
            Some(r) => self.place_in_template(template, r.start),
            None => match e.line() {
                Some(n) => {
                    let offset = template
                        .value
                        .split_inclusive('\n')
                        .take(n.saturating_sub(1))
                        .map(str::len)
                        .sum();
                    self.place_in_template(template, offset)
                }
                None => (template.referenced.line(), template.referenced.column()),
            },
        }
    }

    /// The file's place of byte `offset` of a template: its line counted from the scalar's (a
    /// `|` or `>` block starts on the next line), its column from that line's indentation or,
    /// on a quoted scalar's first line, from the quote.
    pub(super) fn place_in_template(
        &self,
        template: &Spanned<String>,
        offset: usize,
    ) -> (u64, u64) {
        let (line, column) = (template.referenced.line(), template.referenced.column());
        let before = template.value.get(..offset).unwrap_or("");
        let n = before.matches('\n').count() as u64;
        let offset_in_line = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let source = self
            .text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("");
        let block = source
            .chars()
            .nth(column.saturating_sub(1) as usize)
            .is_some_and(|c| c == '|' || c == '>');
        if n == 0 && !block {
            return place_in_scalar(&self.text, line, column, &template.value, offset);
        }
        // A block's content starts on the line after `|`; a plain or quoted scalar over several
        // lines continues on the next.
        let at = line + n + u64::from(block);
        let indent = self
            .text
            .lines()
            .nth(at.saturating_sub(1) as usize)
            .map(|l| l.len() - l.trim_start().len())
            .unwrap_or(0);
        (at, (indent + offset_in_line) as u64 + 1)
    }

    pub(super) fn template(&mut self, field: &str, template: &Spanned<String>) {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        match env.template_from_str(&template.value) {
            Ok(t) => {
                for name in t.undeclared_variables(false) {
                    if !TEMPLATE_NAMES.contains(&name.as_str()) && !self.captures.contains(&name) {
                        let known = TEMPLATE_NAMES
                            .iter()
                            .copied()
                            .chain(self.captures.iter().map(String::as_str))
                            .collect::<Vec<_>>();
                        let hint = did_you_mean(&name, known.into_iter());
                        let (line, column) = match template.value.find(name.as_str()) {
                            Some(offset) => self.place_in_template(template, offset),
                            None => (template.referenced.line(), template.referenced.column()),
                        };
                        self.diagnostics.push(Diagnostic {
                            level: Level::Error,
                            code: "undefined-capture",
                            file: self.file.clone(),
                            line,
                            column,
                            message: format!("{field} uses `{name}`, which no regex of this rule captures and no template variable is"),
                            hint,
                        });
                    }
                }
            }
            Err(e) => {
                let (line, column) = self.template_place(template, &e);
                let what = e
                    .detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.kind().to_string());
                self.diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "invalid-template",
                    file: self.file.clone(),
                    line,
                    column,
                    message: format!("{field} template does not parse: {what}"),
                    hint: None,
                });
            }
        }
    }
}
