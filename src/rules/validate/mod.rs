//! The meaning of one rule file, once its shape is known good ([`super::load::read`]): facts
//! declared and operators fitting their types, artifacts that exist and are logs where lines
//! are read, regexes and templates that compile (the caret at the error inside the value),
//! captures a template uses defined by a regex, version ranges that can match, ids matching
//! their path. One job per file: [`conditions`], [`lines`], [`facts`], [`templates`]; this file
//! holds the validator's state and the rule's own keys.

mod conditions;
mod facts;
mod lines;
mod templates;

use std::collections::{BTreeSet, HashMap};

use serde_saphyr::Spanned;

use crate::artifacts::ArtifactMap;
use crate::domain::Domain;
use crate::facts::registry::FactType;
use crate::matcher::LinePattern;
use crate::rules::Rule;
use crate::rules::diagnostic::{Diagnostic, Level, read};
use crate::rules::schema::{RuleFile, UnknownVersion};
use crate::rules::sources::RuleSource;
use crate::version::Product;
use crate::version::Version;

/// Names a template may use besides the captures of the rule's regexes.
pub const TEMPLATE_NAMES: &[&str] = &[
    "facts",
    "device",
    "count",
    "total_count",
    "first_seen",
    "last_seen",
    "hosts",
    "recovered_at",
    "captures",
    "evidence",
];

/// The type of a fact name: a declared fact, or `manager.<fact>` of a declared fact (the
/// managing FMC's), which a pack may also declare under its full name for the device's own view.
pub fn fact_type(facts: &crate::artifacts::FactCatalog, name: &str) -> Option<FactType> {
    facts
        .lookup(name)
        .or_else(|| name.strip_prefix("manager.").and_then(|n| facts.lookup(n)))
        .map(|d| d.ty)
}

/// Parses `90s`, `30m`, `24h`, `7d` into seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = text[..split].parse().ok()?;
    let unit = match text[split..].trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// The validator of one rule file: what it found, and what it compiled.
pub(super) struct Validator<'a> {
    pub(super) map: &'a ArtifactMap,
    pub(super) file: String,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) patterns: Vec<LinePattern>,
    pub(super) next_pattern: &'a mut usize,
    pub(super) captures: BTreeSet<String>,
    /// Shape problems of the file, merged with the meaning problems at the end.
    pub(super) shape: Vec<(Diagnostic, bool)>,
    /// The file's text, for places inside a value (a regex's error, a template's line).
    pub(super) text: String,
    /// The loaded domain tables: `host:` names one of their classes.
    pub(super) domain: &'a Domain,
    pub(super) finding_refs: Vec<(String, (u64, u64))>,
    /// The named groups of each pattern compiled for this rule, by pattern id.
    pub(super) pattern_names: HashMap<usize, Vec<String>>,
}

impl Validator<'_> {
    /// A regex that does not compile, with the caret at the error inside it.
    pub(super) fn regex_error(&mut self, at: &Spanned<String>, error: &dyn std::fmt::Display) {
        let (message, offset) =
            regex_syntax_error(&at.value).unwrap_or_else(|| (first_line(&error.to_string()), 0));
        let (line, column) = place_in_scalar(
            &self.text,
            at.referenced.line(),
            at.referenced.column(),
            &at.value,
            offset,
        );
        self.diagnostics.push(Diagnostic {
            level: Level::Error,
            code: "invalid-regex",
            file: self.file.clone(),
            line,
            column,
            message: format!("regex does not compile: {message}"),
            hint: None,
        });
    }

    pub(super) fn error<T>(
        &mut self,
        at: &Spanned<T>,
        code: &'static str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            level: Level::Error,
            code,
            file: self.file.clone(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            message: message.into(),
            hint,
        });
    }

    pub(super) fn rule(&mut self, source: &RuleSource) -> Option<Rule> {
        let (parsed, shape) = read::<RuleFile>(&source.text, &self.file, "RuleFile");
        self.shape = shape;
        let parsed = parsed?;
        self.text = source.text.clone();
        let before = self.diagnostics.len();
        let expected = source
            .relative
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string();
        if parsed.id.value != expected {
            self.error(
                &parsed.id,
                "id-path-mismatch",
                format!(
                    "rule id `{}` does not match its path `{}`",
                    parsed.id.value, source.relative
                ),
                Some(format!(
                    "use `id: {expected}` or move the file to `{}.yaml`",
                    parsed.id.value
                )),
            );
        }
        let mut products = Vec::new();
        let (mut min_version, mut below_version) = (None, None);
        if let Some(applies) = &parsed.applies_to {
            for p in &applies.product {
                match p.value.to_ascii_uppercase().as_str() {
                    "FMC" => products.push(Product::Fmc),
                    "FTD" => products.push(Product::Ftd),
                    _ => self.error(
                        p,
                        "unknown-product",
                        format!("unknown product `{}`", p.value),
                        Some("use FMC or FTD".into()),
                    ),
                }
            }
            if let Some(range) = &applies.version {
                min_version = range.min.as_ref().and_then(|v| self.version(v));
                below_version = range.below.as_ref().and_then(|v| self.version(v));
                if let (Some(min), Some(below), Some(at)) =
                    (&min_version, &below_version, &range.below)
                    && min >= below
                {
                    self.error(
                        at,
                        "empty-version-range",
                        format!("version range min {min} below {below} cannot match any version"),
                        None,
                    );
                }
            }
        }
        let when = self.condition(&parsed.when);
        let recovered_if = parsed.recovered_if.as_ref().and_then(|c| self.condition(c));
        for (field, template) in [
            ("message", &parsed.message),
            ("remediation", &parsed.remediation),
        ] {
            self.template(field, template);
        }
        let translations = self.translations(&parsed);
        if self.diagnostics.len() > before {
            return None;
        }
        Some(
            Rule {
                id: parsed.id.value.clone(),
                title: parsed.title,
                severity: parsed.severity,
                status: parsed.status.unwrap_or_else(|| "stable".into()),
                description: parsed.description,
                references: parsed.references,
                tags: parsed.tags,
                false_positives: parsed.false_positives,
                products,
                min_version,
                below_version,
                when: when?,
                recovered_if,
                explains: parsed.explains.iter().map(|e| e.value.clone()).collect(),
                explains_at: parsed
                    .explains
                    .iter()
                    .map(|e| (e.referenced.line(), e.referenced.column()))
                    .collect(),
                explained_by: parsed
                    .explained_by
                    .iter()
                    .map(|e| e.value.clone())
                    .collect(),
                explained_by_at: parsed
                    .explained_by
                    .iter()
                    .map(|e| (e.referenced.line(), e.referenced.column()))
                    .collect(),
                skip_unknown_version: parsed.unknown_version == Some(UnknownVersion::Skip),
                finding_refs: std::mem::take(&mut self.finding_refs),
                message: parsed.message.value,
                remediation: parsed.remediation.value,
                needs: parsed.needs,
                translations,
                origin: source.origin.clone(),
                facts_used: Vec::new(),
            }
            .with_facts_used(),
        )
    }

    /// The rule's translations, their templates validated as the English ones are.
    pub(super) fn translations(
        &mut self,
        parsed: &RuleFile,
    ) -> Vec<(crate::i18n::Lang, crate::rules::Translation)> {
        let mut out = Vec::new();
        if let Some(ja) = parsed.i18n.as_ref().and_then(|i| i.ja.as_ref()) {
            let t = &ja.value;
            for (field, template) in [
                ("i18n.ja.message", &t.message),
                ("i18n.ja.remediation", &t.remediation),
            ] {
                if let Some(template) = template {
                    self.template(field, template);
                }
            }
            out.push((
                crate::i18n::Lang::Ja,
                crate::rules::Translation {
                    title: t.title.clone(),
                    message: t.message.as_ref().map(|m| m.value.clone()),
                    remediation: t.remediation.as_ref().map(|r| r.value.clone()),
                    needs: t.needs.clone(),
                },
            ));
        }
        out
    }

    pub(super) fn version(&mut self, at: &Spanned<String>) -> Option<Version> {
        let v = Version::parse_exact(&at.value);
        if v.is_none() {
            self.error(
                at,
                "invalid-version",
                format!("`{}` is not a version", at.value),
                Some("write dotted numbers only, such as \"7.0\" or \"7.2.5\" (no `x`, suffix or build)".into()),
            );
        }
        v
    }
}

/// The place of byte `offset` of a scalar's value, the scalar being at `line:column` of `text`:
/// quotes and escapes are stepped over on the scalar's line; a block scalar (`|`) or a scalar
/// over several lines gives the scalar's own place when the offset is not on its first line.
pub(super) fn place_in_scalar(
    text: &str,
    line: u64,
    column: u64,
    value: &str,
    offset: usize,
) -> (u64, u64) {
    let Some(src) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return (line, column);
    };
    let raw: Vec<char> = src
        .chars()
        .skip(column.saturating_sub(1) as usize)
        .collect();
    let target = value.get(..offset).map(|v| v.chars().count()).unwrap_or(0);
    let (quote, mut i) = match raw.first() {
        Some('\'') => (Some('\''), 1),
        Some('"') => (Some('"'), 1),
        Some('|' | '>') => return (line, column),
        _ => (None, 0),
    };
    let mut decoded = 0;
    while decoded < target && i < raw.len() {
        i += match (quote, raw[i]) {
            (Some('\''), '\'') => 2,
            (Some('"'), '\\') => match raw.get(i + 1) {
                Some('x') => 4,
                Some('u') => 6,
                Some('U') => 10,
                _ => 2,
            },
            _ => 1,
        };
        decoded += 1;
    }
    if decoded < target {
        return (line, column);
    }
    (line, column + i as u64)
}

/// A regex's syntax error: its message and the byte offset in the pattern where it is.
fn regex_syntax_error(pattern: &str) -> Option<(String, usize)> {
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => None,
        Err(regex_syntax::Error::Parse(e)) => Some((e.kind().to_string(), e.span().start.offset)),
        Err(regex_syntax::Error::Translate(e)) => {
            Some((e.kind().to_string(), e.span().start.offset))
        }
        Err(e) => Some((first_line(&e.to_string()), 0)),
    }
}

pub(super) fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}
