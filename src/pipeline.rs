//! One case, end to end: inputs → devices with facts → findings.
//!
//! The rules' line conditions are compiled into one matcher set before the first byte is read,
//! so the logs are matched while they stream; everything else is evaluated once the case is
//! complete. This is the whole library API a front end needs for `facts` and `analyze`.

use std::path::PathBuf;

use thiserror::Error;

use crate::artifacts::ArtifactMap;
use crate::domain::Domain;
use crate::facts::Case;
use crate::facts::collect::Collector;
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::rules::{Finding, NotEvaluated, Passed, RuleSet, evaluate_all};

/// What one analysis produced.
#[derive(Debug)]
pub struct Analysis {
    pub case: Case,
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Checks that ran and passed.
    pub passed: Vec<Passed>,
}

impl Analysis {
    /// True when nothing usable could be read: every input failed or no device was found.
    pub fn nothing_read(&self) -> bool {
        self.case.devices.is_empty()
    }
}

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error("the rules' line patterns do not compile together: {0}")]
    Patterns(#[from] regex::Error),
}

/// Reads the inputs of one case and collects devices and facts, matching `rules`' line patterns
/// while the logs stream.
pub fn collect(
    inputs: &[PathBuf],
    map: &ArtifactMap,
    rules: &RuleSet,
    limits: &Limits,
) -> Result<Case, PipelineError> {
    Ok(collect_with(
        inputs,
        map,
        &MatcherSet::new(&rules.patterns)?,
        &rules.domain,
        limits,
    ))
}

/// [`collect`] with the rules' matcher compiled once by the caller (batch runs, rule tests and
/// fuzzing analyse many cases with the same rules), and the domain tables of their packs.
pub fn collect_with(
    inputs: &[PathBuf],
    map: &ArtifactMap,
    matcher: &MatcherSet,
    domain: &Domain,
    limits: &Limits,
) -> Case {
    let mut collector = Collector::new(map, matcher, domain, limits.clone());
    for input in inputs {
        collector.read_input(input);
    }
    collector.finish()
}

/// Like [`collect`] for one input held in memory (an archive's bytes, named `label`).
pub fn collect_bytes(
    label: &str,
    data: &[u8],
    map: &ArtifactMap,
    rules: &RuleSet,
    limits: &Limits,
) -> Result<Case, PipelineError> {
    let matcher = MatcherSet::new(&rules.patterns)?;
    Ok(collect_bytes_with(
        label,
        data,
        map,
        &matcher,
        &rules.domain,
        limits,
    ))
}

/// [`collect_bytes`] with a matcher compiled once by the caller.
pub fn collect_bytes_with(
    label: &str,
    data: &[u8],
    map: &ArtifactMap,
    matcher: &MatcherSet,
    domain: &Domain,
    limits: &Limits,
) -> Case {
    let mut collector = Collector::new(map, matcher, domain, limits.clone());
    collector.read_bytes(label, data);
    collector.finish()
}

/// Collects the case and evaluates the rules on it.
pub fn analyze(
    inputs: &[PathBuf],
    map: &ArtifactMap,
    rules: &RuleSet,
    limits: &Limits,
) -> Result<Analysis, PipelineError> {
    Ok(analyze_with(
        inputs,
        map,
        rules,
        &MatcherSet::new(&rules.patterns)?,
        limits,
    ))
}

/// [`analyze`] with the rules' matcher compiled once by the caller.
pub fn analyze_with(
    inputs: &[PathBuf],
    map: &ArtifactMap,
    rules: &RuleSet,
    matcher: &MatcherSet,
    limits: &Limits,
) -> Analysis {
    let case = collect_with(inputs, map, matcher, &rules.domain, limits);
    let evaluation = evaluate_all(rules, &case.devices);
    let (mut findings, not_evaluated) = (evaluation.findings, evaluation.not_evaluated);
    // Templates may print facts and captures: the rendered text is cut like any kept string.
    for f in &mut findings {
        crate::limits::cap_in_place(&mut f.message, limits.value_chars);
        crate::limits::cap_in_place(&mut f.remediation, limits.value_chars);
    }
    Analysis {
        case,
        findings,
        not_evaluated,
        passed: evaluation.passed,
    }
}
