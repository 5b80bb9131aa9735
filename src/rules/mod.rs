//! Declarative YAML rules: load, lint, evaluate.
//!
//! A rule names facts and log patterns (never paths), combines conditions with all/any/not,
//! says which other rules it explains, and renders its message and remediation from minijinja
//! templates. [`load`] parses and validates rule files with their locations; [`eval`] runs the
//! loaded rules over the devices of a case and ranks findings so that root causes come first and
//! the symptoms they explain sit under them. Every line condition of every loaded rule is
//! compiled into one [`crate::matcher::MatcherSet`] that runs while the logs stream, so rules never
//! cost a second pass.

pub mod eval;
pub mod lint;
pub mod load;
pub mod ruletest;
pub mod schema;

use std::collections::BTreeSet;

use crate::artifacts::ArtifactKind;
use crate::facts::Product;
use crate::version::Version;
pub use eval::{
    Evaluation, Finding, NotEvaluated, NotEvaluatedReason, Passed, evaluate, evaluate_all,
};
pub use load::{Diagnostic, RuleSet, RuleSource};
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
    pub message: String,
    pub remediation: String,
    pub needs: Option<String>,
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
    Lines {
        pattern: usize,
        artifact: ArtifactKind,
        sse_only: bool,
        min_count: u64,
        within: Option<i64>,
        recovery: Option<usize>,
    },
    /// Per SSE host, addresses that connect and addresses that only fail, combined over every
    /// listed artifact.
    Mixed {
        /// Log artifacts, each read with its own compiled success and failure patterns.
        logs: Vec<MixedLog>,
        /// Artifacts read as connection outcomes per address ([`OUTCOME_KINDS`]).
        outcomes: Vec<ArtifactKind>,
    },
}

/// One log artifact of a `mixed_outcomes` condition and its patterns' ids.
#[derive(Debug, Clone, Copy)]
pub struct MixedLog {
    pub artifact: ArtifactKind,
    pub success: usize,
    pub failure: usize,
}

/// Artifacts whose parser yields connections per host and address that worked or failed
/// ([`crate::facts::AddrOutcome`]), which `mixed_outcomes` reads instead of line patterns.
pub const OUTCOME_KINDS: &[ArtifactKind] = &[ArtifactKind::CurlTest];

impl Cond {
    fn facts(&self, out: &mut BTreeSet<String>) {
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.facts(out)),
            Cond::Not(c) => c.facts(out),
            Cond::Fact { name, .. } => {
                out.insert(name.clone());
            }
            Cond::Lines { .. } | Cond::Mixed { .. } => {}
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
    LessThan(f64),
    AtLeast(f64),
    Exists(bool),
    Empty(bool),
    Contains(String),
}
