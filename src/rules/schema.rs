//! The rule file format, as parsed: every field a rule author may write, with its place.
//!
//! The loader reads these structs only after `shape` has checked the file against
//! `rules/schema.json` and the broken entries are blanked out, so every key here must be in the
//! schema (`tests/guide.rs` checks both ways); meaning (known facts, compiling regexes, one
//! operator per condition, explains that exist) is then checked by `load`, collecting every
//! problem.

use serde::Deserialize;
use serde_saphyr::Spanned;

/// Finding severity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// `pack/name`, matching the file's path `<pack>/<name>.yaml` under the rule folder.
    pub id: Spanned<String>,
    pub title: String,
    pub severity: Severity,
    /// `stable`, `test` or `experimental` (Sigma's statuses), informational.
    #[serde(default)]
    pub status: Option<String>,
    pub description: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub false_positives: Vec<String>,
    #[serde(default)]
    pub applies_to: Option<Applicability>,
    /// The condition that makes the rule fire.
    pub when: Spanned<Condition>,
    /// A condition on the device's state now that, when true, makes a log-derived finding recovered.
    #[serde(default)]
    pub recovered_if: Option<Spanned<Condition>>,
    /// Rule ids whose findings this rule's findings explain (its symptoms).
    #[serde(default)]
    pub explains: Vec<Spanned<String>>,
    /// Rule ids whose findings explain this rule's findings (its causes): the relation
    /// `explains` read from the other end, so that a pack adds causes without copying a rule.
    #[serde(default)]
    pub explained_by: Vec<Spanned<String>>,
    /// What a version range in `applies_to` does on a device whose version is unknown.
    #[serde(default)]
    pub unknown_version: Option<UnknownVersion>,
    /// minijinja template.
    pub message: Spanned<String>,
    /// minijinja template.
    pub remediation: Spanned<String>,
    /// What to ask the customer for when the rule cannot be evaluated.
    #[serde(default)]
    pub needs: Option<String>,
    /// Translations of the texts above, by language.
    #[serde(default)]
    pub i18n: Option<I18n>,
}

/// A rule's translations: one entry per language fptriage reports in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18n {
    #[serde(default)]
    pub ja: Option<Spanned<Translation>>,
}

/// A rule's texts in one language; a text left out stays in English.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default)]
    pub title: Option<String>,
    /// minijinja template, with the same variables as `message`.
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    /// minijinja template, with the same variables as `remediation`.
    #[serde(default)]
    pub remediation: Option<Spanned<String>>,
    #[serde(default)]
    pub needs: Option<String>,
}

/// Where a rule applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicability {
    /// `FMC`, `FTD`.
    #[serde(default)]
    pub product: Vec<Spanned<String>>,
    /// Version range of the device.
    #[serde(default)]
    pub version: Option<VersionRange>,
}

/// `unknown_version`: run the rule on a device of unknown version (the default), or leave it
/// not evaluated with reason `unknown-version`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownVersion {
    #[default]
    Evaluate,
    Skip,
}

/// `min` inclusive, `below` exclusive; both compared part by part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRange {
    #[serde(default)]
    pub min: Option<Spanned<String>>,
    #[serde(default)]
    pub below: Option<Spanned<String>>,
}

/// A condition: exactly one of the combinators or leaf kinds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub all: Option<Vec<Spanned<Condition>>>,
    #[serde(default)]
    pub any: Option<Vec<Spanned<Condition>>>,
    #[serde(default)]
    pub not: Option<Box<Spanned<Condition>>>,
    /// A fact condition: the fact's name, with exactly one operator below.
    #[serde(default)]
    pub fact: Option<Spanned<String>>,
    #[serde(default)]
    pub equals: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    pub not_equals: Option<Spanned<serde_json::Value>>,
    #[serde(default, rename = "in")]
    pub in_: Option<Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub not_in: Option<Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub matches: Option<Spanned<String>>,
    #[serde(default)]
    pub version_below: Option<Spanned<String>>,
    #[serde(default)]
    pub version_at_least: Option<Spanned<String>>,
    #[serde(default)]
    pub version_above: Option<Spanned<String>>,
    #[serde(default)]
    pub version_at_most: Option<Spanned<String>>,
    #[serde(default)]
    pub less_than: Option<Spanned<f64>>,
    #[serde(default)]
    pub at_least: Option<Spanned<f64>>,
    #[serde(default)]
    pub exists: Option<Spanned<bool>>,
    #[serde(default)]
    pub empty: Option<Spanned<bool>>,
    #[serde(default)]
    pub contains: Option<Spanned<String>>,
    /// A line condition over a log artifact.
    #[serde(default)]
    pub lines: Option<Spanned<LinesCondition>>,
    /// Success and failure of connections to one host, by address.
    #[serde(default)]
    pub mixed_outcomes: Option<Spanned<MixedOutcomes>>,
    /// One line, then another at most `max_gap` later.
    #[serde(default)]
    pub sequence: Option<Spanned<SequenceCondition>>,
    /// A fact against another fact.
    #[serde(default)]
    pub compare: Option<Spanned<CompareCondition>>,
    /// Another rule's finding on the same device.
    #[serde(default)]
    pub finding: Option<Spanned<FindingCondition>>,
    /// Some record of a `records` fact satisfies every test of `where`.
    #[serde(default)]
    pub any_record: Option<Spanned<RecordCondition>>,
    /// Every record of a `records` fact (at least one) satisfies every test of `where`.
    #[serde(default)]
    pub all_records: Option<Spanned<RecordCondition>>,
}

/// `any_record` / `all_records`: a `records` fact, and tests on its records' fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCondition {
    pub fact: Spanned<String>,
    /// Field name → one operator, as a fact condition takes it (`{at_least: 95}`).
    #[serde(default, rename = "where")]
    pub where_: std::collections::BTreeMap<String, Spanned<Condition>>,
}

/// Lines of one log artifact matching each step in turn, each at most `max_gap` after the
/// previous one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceCondition {
    pub artifact: Spanned<String>,
    pub max_gap: Spanned<String>,
    pub steps: Spanned<Vec<Spanned<PatternSpec>>>,
    /// Fires when at least this many sequences complete. Default 1.
    #[serde(default)]
    pub min_count: Option<Spanned<u64>>,
    /// Only sequences whose first line is at most this long before the collection time.
    #[serde(default)]
    pub within: Option<Spanned<String>>,
}

/// `left op right`, both facts (either may be in the `manager.` scope).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareCondition {
    pub left: Spanned<String>,
    pub op: Spanned<String>,
    pub right: Spanned<String>,
    /// Version operators: compare only the first `parts` parts (`3`: major.minor.maintenance).
    #[serde(default)]
    pub parts: Option<Spanned<u32>>,
}

/// Which status of the other rule's finding counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    #[default]
    Any,
    Current,
    Recovered,
}

/// Another rule's finding on the same device.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingCondition {
    pub rule: Spanned<String>,
    #[serde(default)]
    pub status: FindingStatus,
}

/// A test on one capture of a line (`where: {pct: {at_least: 95}}`): exactly one operator.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureTestSpec {
    #[serde(default)]
    pub equals: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    pub not_equals: Option<Spanned<serde_json::Value>>,
    #[serde(default, rename = "in")]
    pub in_: Option<Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub not_in: Option<Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub matches: Option<Spanned<String>>,
    #[serde(default)]
    pub contains: Option<Spanned<String>>,
    #[serde(default)]
    pub less_than: Option<Spanned<f64>>,
    #[serde(default)]
    pub at_least: Option<Spanned<f64>>,
    #[serde(default)]
    pub version_below: Option<Spanned<String>>,
    #[serde(default)]
    pub version_at_least: Option<Spanned<String>>,
    #[serde(default)]
    pub version_above: Option<Spanned<String>>,
    #[serde(default)]
    pub version_at_most: Option<Spanned<String>>,
}

/// A text pattern: exactly one of `contains` (substring) and `regex`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    #[serde(default)]
    pub contains: Option<Spanned<String>>,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub ignore_case: bool,
}

/// Lines of one artifact kind that match a pattern.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesCondition {
    pub artifact: Spanned<String>,
    #[serde(default)]
    pub contains: Option<Spanned<String>>,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub ignore_case: bool,
    /// connector-log levels the line must have (`error`, `warning`, ...); empty: any line.
    #[serde(default)]
    pub levels: Vec<Spanned<String>>,
    /// `sse`: only lines about an SSE host (or an address dialled for one); `any` (default).
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    /// Fires when at least this many lines match (within `within`, if given). Default 1.
    #[serde(default)]
    pub min_count: Option<Spanned<u64>>,
    /// Only lines in this span before the collection time count: `90s`, `30m`, `24h`, `7d`.
    #[serde(default)]
    pub within: Option<Spanned<String>>,
    /// A sliding window anywhere in the history (inside `within` if both are given): fires when
    /// `min_count` lines fall in some span this long.
    #[serde(default)]
    pub window: Option<Spanned<String>>,
    /// Tests on the captures of each line: a line counts only if every test holds.
    #[serde(default, rename = "where")]
    pub where_: Option<Spanned<std::collections::BTreeMap<String, Spanned<CaptureTestSpec>>>>,
    /// `host` or a capture name: `min_count` (and `min_distinct`, `window`) apply per group.
    #[serde(default)]
    pub group_by: Option<Spanned<String>>,
    /// Fires only with at least N distinct values of each named capture.
    #[serde(default)]
    pub min_distinct: Option<Spanned<std::collections::BTreeMap<String, u64>>>,
    /// A later line matching this, about the same host, means the problem is over.
    #[serde(default)]
    pub recovered_by: Option<Spanned<PatternSpec>>,
}

/// For one SSE host: some addresses connect, others fail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixedOutcomes {
    /// The artifacts whose evidence is combined: logs (read with `success` and `failure`) and
    /// artifacts that yield connection outcomes per address (`curl-test`).
    pub artifact: Spanned<OneOrMany>,
    pub success: Spanned<PatternSpec>,
    pub failure: Spanned<PatternSpec>,
}

/// One value or a list of them (`artifact: connector-log` or `artifact: [connector-log, curl-test]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}
