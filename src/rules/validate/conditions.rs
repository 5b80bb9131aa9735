//! Conditions that combine or relate: `all`/`any`/`not`, `mixed_outcomes`, `sequence`,
//! `compare` and `finding`.

use serde_saphyr::Spanned;

use super::Validator;
use crate::facts::registry::FactType;
use crate::matcher::Keep;
use crate::rules::schema::{CompareCondition, Condition, FindingCondition, SequenceCondition};
use crate::rules::{CompareOp, Cond};
use crate::yaml::did_you_mean;

impl Validator<'_> {
    pub(super) fn condition(&mut self, at: &Spanned<Condition>) -> Option<Cond> {
        let c = &at.value;
        let kinds = [
            c.all.is_some(),
            c.any.is_some(),
            c.not.is_some(),
            c.fact.is_some(),
            c.lines.is_some(),
            c.mixed_outcomes.is_some(),
            c.sequence.is_some(),
            c.compare.is_some(),
            c.finding.is_some(),
            c.any_record.is_some(),
            c.all_records.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        if count != 1 {
            self.error(
                at,
                "condition-shape",
                if count == 0 {
                    "empty condition"
                } else {
                    "a condition has exactly one of all, any, not, fact, lines, mixed_outcomes, any_record, all_records, sequence, compare, finding"
                },
                Some("split it into `all: [...]` items".into()),
            );
            return None;
        }
        if let Some(items) = c.all.as_ref().or(c.any.as_ref()) {
            let compiled: Vec<Option<Cond>> = items.iter().map(|i| self.condition(i)).collect();
            let compiled: Option<Vec<Cond>> = compiled.into_iter().collect();
            return compiled.map(|v| {
                if c.all.is_some() {
                    Cond::All(v)
                } else {
                    Cond::Any(v)
                }
            });
        }
        if let Some(inner) = &c.not {
            return self.condition(inner).map(|i| Cond::Not(Box::new(i)));
        }
        if let Some(lines) = &c.lines {
            return self.lines(lines);
        }
        if let Some(mixed) = &c.mixed_outcomes {
            return self.mixed(mixed);
        }
        if let Some(seq) = &c.sequence {
            return self.sequence(seq);
        }
        if let Some(cmp) = &c.compare {
            return self.compare(cmp);
        }
        if let Some(f) = &c.finding {
            return Some(self.finding(f));
        }
        if let Some(r) = c.any_record.as_ref().or(c.all_records.as_ref()) {
            return self.records(r, c.all_records.is_some());
        }
        let fact = c.fact.as_ref()?;
        self.fact(at, fact)
    }

    /// `mixed_outcomes`: each log artifact gets its own success and failure patterns (patterns
    /// are compiled per artifact kind); outcome artifacts are read as they are.
    pub(super) fn mixed(
        &mut self,
        at: &Spanned<crate::rules::schema::MixedOutcomes>,
    ) -> Option<Cond> {
        let m = &at.value;
        // Declared first, so that a broken artifact list does not also fail the templates.
        self.captures.extend([
            "failing_addresses".to_string(),
            "working_addresses".to_string(),
        ]);
        let names = m.artifact.value.items();
        if names.is_empty() {
            self.error(
                &m.artifact,
                "not-a-log",
                "`mixed_outcomes` needs at least one artifact",
                Some("write `artifact: connector-log` or a list such as `[connector-log, curl-test]`".into()),
            );
            return None;
        }
        let mut logs = Vec::new();
        let mut outcomes = Vec::new();
        let mut ok = true;
        for name in names {
            let named = Spanned::new(name.clone(), m.artifact.referenced, m.artifact.defined);
            let format = self
                .map
                .kind(name)
                .and_then(|k| Some((k, self.map.format(k)?)));
            match format {
                Some((kind, format)) if crate::rules::yields_outcomes(format) => {
                    if !outcomes.contains(&kind) {
                        outcomes.push(kind);
                    }
                }
                Some((kind, format)) if format.is_log() => {
                    if logs
                        .iter()
                        .any(|l: &crate::rules::MixedLog| l.artifact == kind)
                    {
                        continue;
                    }
                    let success = self.pattern(&m.success, kind, Vec::new());
                    let failure = self.pattern(&m.failure, kind, Vec::new());
                    match (success, failure) {
                        (Some(success), Some(failure)) => logs.push(crate::rules::MixedLog {
                            artifact: kind,
                            success,
                            failure,
                        }),
                        _ => ok = false,
                    }
                }
                Some((kind, _)) => {
                    self.error(&named, "not-a-log", format!("`{kind}` has neither log lines nor connection outcomes; mixed_outcomes reads {}", self.kinds_named(|f| f.is_log() || crate::rules::yields_outcomes(f))), Some("use a fact condition for snapshot artifacts".into()));
                    ok = false;
                }
                None => {
                    ok &= self.artifact(&named).is_some();
                }
            }
        }
        ok.then_some(Cond::Mixed { logs, outcomes })
    }

    /// `sequence`: one pattern per step over the same log, each keeping its time stamps.
    pub(super) fn sequence(&mut self, at: &Spanned<SequenceCondition>) -> Option<Cond> {
        let q = &at.value;
        let artifact = self.artifact(&q.artifact)?;
        let mut ok = true;
        let max_gap = self.duration_of(&Some(q.max_gap.clone()), &mut ok);
        let within = self.duration_of(&q.within, &mut ok);
        if q.steps.value.len() < 2 {
            self.error(
                &q.steps,
                "sequence-steps",
                format!(
                    "a sequence needs at least two steps, not {}",
                    q.steps.value.len()
                ),
                Some("for one pattern, use a `lines` condition".into()),
            );
            ok = false;
        }
        let mut steps = Vec::new();
        for step in &q.steps.value {
            match self.pattern(step, artifact, Vec::new()) {
                Some(id) => {
                    self.set_pattern(
                        id,
                        Vec::new(),
                        Keep {
                            stamps: true,
                            ..Keep::default()
                        },
                    );
                    steps.push(id);
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(Cond::Sequence {
            artifact,
            steps,
            max_gap: max_gap?,
            min_count: q.min_count.as_ref().map(|m| m.value).unwrap_or(1).max(1),
            within,
        })
    }

    /// `compare`: two facts of one type and an operator that fits it.
    pub(super) fn compare(&mut self, at: &Spanned<CompareCondition>) -> Option<Cond> {
        let c = &at.value;
        let left = self.fact_type_of(&c.left);
        let right = self.fact_type_of(&c.right);
        let Some(&(_, op)) = CompareOp::ALL.iter().find(|(name, _)| *name == c.op.value) else {
            let hint = did_you_mean(&c.op.value, CompareOp::ALL.iter().map(|(n, _)| *n));
            self.error(
                &c.op,
                "unknown-compare-op",
                format!("`{}` is not a compare operator", c.op.value),
                hint.or(Some(
                    "equals, not_equals, less_than, at_least, version_below, version_at_least, version_above, version_at_most".into(),
                )),
            );
            return None;
        };
        let (left, right) = (left?, right?);
        let fits = match op {
            CompareOp::Equals | CompareOp::NotEquals => {
                matches!(
                    left,
                    FactType::Bool | FactType::Int | FactType::Text | FactType::Version
                )
            }
            CompareOp::LessThan | CompareOp::AtLeast => left == FactType::Int,
            _ => left == FactType::Version,
        };
        if left != right || !fits {
            self.error(
                &c.op,
                "compare-types",
                format!(
                    "`{}` cannot compare `{}` ({}) with `{}` ({})",
                    c.op.value,
                    c.left.value,
                    format!("{left:?}").to_lowercase(),
                    c.right.value,
                    format!("{right:?}").to_lowercase()
                ),
                Some("both facts need the same type, one the operator takes (version operators: versions; less_than/at_least: numbers)".into()),
            );
            return None;
        }
        let parts = match &c.parts {
            None => None,
            Some(p) if op.is_version() && p.value >= 1 => Some(p.value as usize),
            Some(p) => {
                self.error(
                    p,
                    "invalid-parts",
                    "`parts` is a number of version parts (1 or more), for version operators only",
                    None,
                );
                return None;
            }
        };
        Some(Cond::Compare {
            left: c.left.value.clone(),
            op,
            right: c.right.value.clone(),
            parts,
        })
    }

    pub(super) fn finding(&mut self, at: &Spanned<FindingCondition>) -> Cond {
        let f = &at.value;
        self.finding_refs.push((
            f.rule.value.clone(),
            (f.rule.referenced.line(), f.rule.referenced.column()),
        ));
        Cond::Finding {
            rule: f.rule.value.clone(),
            status: f.status,
        }
    }
}
