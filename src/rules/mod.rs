//! Declarative YAML rules: load and evaluate (lint output and rule tests are `authoring`'s).
//!
//! A rule names facts and log patterns (never paths), combines conditions with all/any/not,
//! says which other rules it explains, and renders its message and remediation from minijinja
//! templates. [`load`] parses and validates rule files with their locations; [`eval`] runs the
//! loaded rules over the devices of a case and ranks findings so that root causes come first and
//! the symptoms they explain sit under them. Every line condition of every loaded rule is
//! compiled into one [`crate::matcher::MatcherSet`] that runs while the logs stream, so rules never
//! cost a second pass.

pub mod eval;
pub mod explain;
pub mod i18n;

mod diagnostic;
mod graph;
pub mod load;
pub mod schema;
mod sources;
mod validate;

use std::collections::BTreeSet;

use crate::artifacts::ArtifactKind;
use crate::version::{Product, Version};
pub use eval::{
    Evaluation, Finding, NotEvaluated, NotEvaluatedReason, Passed, evaluate, evaluate_all,
};
pub use i18n::Translation;
pub use load::{Diagnostic, Level, RuleSet, RuleSource};
pub use schema::Severity;

/// The JSON Schema (draft 2020-12) of rule and rule-test files, for editors (`rules/schema.json`).
pub const RULES_SCHEMA: &str = include_str!("../../rules/schema.json");

/// A loaded, validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: String,
    pub description: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub false_positives: Vec<String>,
    /// Empty: every product.
    pub products: Vec<Product>,
    pub min_version: Option<Version>,
    pub below_version: Option<Version>,
    pub when: Cond,
    pub recovered_if: Option<Cond>,
    pub explains: Vec<String>,
    pub(crate) explains_at: Vec<(u64, u64)>,
    /// Rules whose findings explain this rule's (`explained_by`).
    pub explained_by: Vec<String>,
    pub(crate) explained_by_at: Vec<(u64, u64)>,
    /// Whether a version range skips a device of unknown version (`unknown_version: skip`).
    pub skip_unknown_version: bool,
    /// Rules named by `finding:` conditions, with where they are named.
    pub(crate) finding_refs: Vec<(String, (u64, u64))>,
    pub message: String,
    pub remediation: String,
    pub needs: Option<String>,
    /// Its texts in other languages ([`i18n::localize`] swaps them in).
    pub translations: Vec<(crate::i18n::Lang, Translation)>,
    /// `built-in` or the file it was loaded from.
    pub origin: String,
    /// Facts the rule reads, for `rules explain`.
    pub facts_used: Vec<String>,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Fact {
        name: String,
        op: FactOp,
    },
    Lines(Box<LinesCond>),
    /// Lines matching each step in turn, each at most `max_gap` seconds after the previous.
    Sequence {
        artifact: ArtifactKind,
        steps: Vec<usize>,
        max_gap: i64,
        min_count: u64,
        within: Option<i64>,
    },
    /// A fact against another fact.
    Compare {
        left: String,
        op: CompareOp,
        right: String,
        /// Version operators: only the first `parts` parts count.
        parts: Option<usize>,
    },
    /// Another rule's finding on the same device.
    Finding {
        rule: String,
        status: schema::FindingStatus,
    },
    /// Records of a `records` fact whose fields pass every test: fires when some record does
    /// (`all` false) or when every record does and there is one (`all` true).
    Records {
        name: String,
        all: bool,
        tests: Vec<(String, FactOp)>,
    },
    /// Per SSE host, addresses that connect and addresses that only fail, combined over every
    /// listed artifact.
    Mixed {
        /// Log artifacts, each read with its own compiled success and failure patterns.
        logs: Vec<MixedLog>,
        /// Artifacts read as connection outcomes per address ([`yields_outcomes`]).
        outcomes: Vec<ArtifactKind>,
    },
}

/// A compiled `lines` condition.
#[derive(Debug, Clone)]
pub struct LinesCond {
    pub pattern: usize,
    pub artifact: ArtifactKind,
    /// Only lines about hosts of this domain class (`host: sse`); None: any line.
    pub host: Option<String>,
    pub min_count: u64,
    pub within: Option<i64>,
    /// Seconds of the sliding window (`window`).
    pub window: Option<i64>,
    pub recovery: Option<usize>,
    /// `min_count`, `min_distinct` and `window` apply per group (`group_by`).
    pub grouped: bool,
    /// (capture, at least this many distinct values).
    pub min_distinct: Vec<(String, u64)>,
}

/// The operator of a `compare` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Equals,
    NotEquals,
    LessThan,
    AtLeast,
    VersionBelow,
    VersionAtLeast,
    VersionAbove,
    VersionAtMost,
}

impl CompareOp {
    pub const ALL: &[(&str, CompareOp)] = &[
        ("equals", CompareOp::Equals),
        ("not_equals", CompareOp::NotEquals),
        ("less_than", CompareOp::LessThan),
        ("at_least", CompareOp::AtLeast),
        ("version_below", CompareOp::VersionBelow),
        ("version_at_least", CompareOp::VersionAtLeast),
        ("version_above", CompareOp::VersionAbove),
        ("version_at_most", CompareOp::VersionAtMost),
    ];

    pub fn is_version(self) -> bool {
        matches!(
            self,
            CompareOp::VersionBelow
                | CompareOp::VersionAtLeast
                | CompareOp::VersionAbove
                | CompareOp::VersionAtMost
        )
    }
}

/// One log artifact of a `mixed_outcomes` condition and its patterns' ids.
#[derive(Debug, Clone, Copy)]
pub struct MixedLog {
    pub artifact: ArtifactKind,
    pub success: usize,
    pub failure: usize,
}

/// Whether members of this format yield connections per host and address that worked or failed
/// ([`crate::facts::AddrOutcome`]), which `mixed_outcomes` reads instead of line patterns.
pub fn yields_outcomes(format: crate::artifacts::Format) -> bool {
    format == crate::artifacts::Format::Builtin(crate::artifacts::Builtin::Curl)
}

impl Cond {
    /// The rules whose findings this condition reads (`finding:`).
    pub fn finding_rules<'a>(&'a self, out: &mut BTreeSet<&'a str>) {
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.finding_rules(out)),
            Cond::Not(c) => c.finding_rules(out),
            Cond::Finding { rule, .. } => {
                out.insert(rule.as_str());
            }
            _ => {}
        }
    }

    fn facts(&self, out: &mut BTreeSet<String>) {
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.facts(out)),
            Cond::Not(c) => c.facts(out),
            Cond::Fact { name, .. } | Cond::Records { name, .. } => {
                out.insert(name.clone());
            }
            Cond::Compare { left, right, .. } => {
                out.insert(left.clone());
                out.insert(right.clone());
            }
            Cond::Lines(_) | Cond::Mixed { .. } | Cond::Sequence { .. } | Cond::Finding { .. } => {}
        }
    }
}

/// A typed operator on a fact.
#[derive(Debug, Clone)]
pub enum FactOp {
    Equals(serde_json::Value),
    NotEquals(serde_json::Value),
    In(Vec<serde_json::Value>),
    NotIn(Vec<serde_json::Value>),
    Matches(regex::Regex),
    VersionBelow(Version),
    VersionAtLeast(Version),
    VersionAbove(Version),
    VersionAtMost(Version),
    LessThan(f64),
    AtLeast(f64),
    Exists(bool),
    Empty(bool),
    Contains(String),
}
