//! Evaluating rules over the devices of a case, and ranking the findings.
//!
//! A condition evaluates to fired (with evidence), not fired, or missing (the facts or logs it
//! needs are not in the bundle): missing data makes a rule "not evaluated", never silently
//! quiet. Log conditions know time: a problem followed by a later success for the same host is
//! recovered, and a recovered finding is `info`, explains nothing and is no root cause. Then the
//! `explains` relations mark as a symptom each finding that a current warning or critical finding
//! explains through a chain of such fired findings (same device, or from an FMC to the FTDs it
//! manages); the `rank` module says how.
//!
//! `conditions` evaluates one rule's condition on one device, `finding` turns what fired into a
//! finding (evidence, templates, the data a missing check asks for), and `rank` marks symptoms
//! and root causes. This file runs them over the devices of a case.

mod conditions;
mod finding;
mod rank;

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::i18n::sentences;
use super::{Rule, RuleSet};
use crate::facts::{Device, FactValue};
use crate::version::Product;

pub use finding::{EvidenceItem, Finding, NotEvaluated, NotEvaluatedReason, Occurrence};

use conditions::{Outcome, RuleState, Scope};
use finding::{ask_for, finding};
use rank::rank;

fn applies(rule: &Rule, device: &Device) -> bool {
    if !rule.products.is_empty()
        && device.product != Product::Unknown
        && !rule.products.contains(&device.product)
    {
        return false;
    }
    let version = match device.fact("device.version").map(|f| &f.value) {
        Some(FactValue::Version(v)) => v,
        _ => return true,
    };
    rule.min_version.as_ref().is_none_or(|min| version >= min)
        && rule
            .below_version
            .as_ref()
            .is_none_or(|below| version < below)
}

/// Whether a version range of `applies_to` meets a device whose version is unknown.
fn version_unknown(rule: &Rule, device: &Device) -> bool {
    (rule.min_version.is_some() || rule.below_version.is_some())
        && !matches!(
            device.fact("device.version").map(|f| &f.value),
            Some(FactValue::Version(_))
        )
}

/// Evaluates every rule on every device, then ranks the findings. Rules run in
/// [`super::load::evaluation_order`], so that a `finding:` condition sees the finding it names.
pub fn evaluate(rules: &RuleSet, devices: &[Device]) -> (Vec<Finding>, Vec<NotEvaluated>) {
    let all = evaluate_all(rules, devices);
    (all.findings, all.not_evaluated)
}

/// A rule that ran on a device and did not fire: a check passed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Passed {
    pub rule: String,
    /// The rule's pack (the `<pack>` of its id `<pack>/<name>`).
    pub pack: String,
    pub title: String,
    pub device: String,
    pub device_name: String,
}

/// Everything the rules said about a case.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Checks that ran and passed, per device in rule order.
    pub passed: Vec<Passed>,
}

/// As [`evaluate`], with the checks that passed.
pub fn evaluate_all(rules: &RuleSet, devices: &[Device]) -> Evaluation {
    let mut findings = Vec::new();
    let mut not_evaluated = Vec::new();
    let mut passed = Vec::new();
    let order = super::load::evaluation_order(&rules.rules);
    for (index, device) in devices.iter().enumerate() {
        let mut done: HashMap<&str, RuleState> = HashMap::new();
        let manager = device.managed_by.and_then(|m| devices.get(m));
        // `manager.<fact>` reads the same FMC (cli-contract.md): the one the case matched.
        let explicit = manager.filter(|m| m.product == Product::Fmc);
        for &at in &order {
            let rule = &rules.rules[at];
            if !applies(rule, device) {
                done.insert(&rule.id, RuleState::Silent);
                continue;
            }
            let scope = Scope {
                device,
                manager,
                domain: &rules.domain,
                explicit_manager: explicit,
                done: &done,
                facts: &rules.facts,
            };
            let not = |reason, ask: String, needs: Vec<String>| NotEvaluated {
                rule: rule.id.clone(),
                title: rule.title.clone(),
                device: device.id.clone(),
                device_name: device.name.clone(),
                reason,
                ask,
                needs,
            };
            let outcome = if rule.skip_unknown_version && version_unknown(rule, device) {
                None
            } else {
                Some(scope.eval(&rule.when))
            };
            let state = match outcome {
                None => Err(not(
                    NotEvaluatedReason::UnknownVersion,
                    sentences::ask_unknown_version(rules.lang),
                    vec!["device.version".into()],
                )),
                Some(Outcome::No) => {
                    passed.push(Passed {
                        rule: rule.id.clone(),
                        pack: rule.id.split_once('/').map_or("", |(p, _)| p).to_string(),
                        title: rule.title.clone(),
                        device: device.id.clone(),
                        device_name: device.name.clone(),
                    });
                    Ok(None)
                }
                // Data missing from a damaged bundle may be in the part that was cut off: ask
                // for the whole upload, not for files the customer did send.
                Some(Outcome::Missing(needs)) if device.damaged => Err(not(
                    NotEvaluatedReason::CutOff,
                    sentences::ask_cut_off(rules.lang),
                    needs.into_iter().collect(),
                )),
                Some(Outcome::Missing(needs)) => Err(not(
                    NotEvaluatedReason::MissingData,
                    rule.needs
                        .clone()
                        .unwrap_or_else(|| ask_for(&needs, &rules.facts, rules.lang)),
                    needs.into_iter().collect(),
                )),
                Some(Outcome::NoTime) => Err(not(
                    NotEvaluatedReason::NoTime,
                    sentences::ask_no_time(rules.lang),
                    vec![sentences::collection_time(rules.lang)],
                )),
                Some(Outcome::Depends(on)) => {
                    // As for the rules it waits for: their asks and needs.
                    let mut asks = BTreeSet::new();
                    let mut needs = BTreeSet::new();
                    for dep in &on {
                        if let Some(RuleState::NotEvaluated { ask, needs: n }) =
                            done.get(dep.as_str())
                        {
                            asks.insert(ask.clone());
                            needs.extend(n.iter().cloned());
                        }
                        needs.insert(format!("a finding of {dep}"));
                    }
                    Err(not(
                        NotEvaluatedReason::Depends,
                        asks.into_iter().collect::<Vec<_>>().join("; "),
                        needs.into_iter().collect(),
                    ))
                }
                Some(Outcome::Fired(mut hit)) => {
                    // Settings that live on the FMC are reported once, on the FMC.
                    if hit.inherited && !hit.own {
                        Ok(None)
                    } else {
                        if hit.current
                            && let Some(cond) = &rule.recovered_if
                            && let Outcome::Fired(now) = scope.eval(cond)
                        {
                            hit.current = false;
                            hit.recovered_at = device.collected_at;
                            hit.evidence.extend(now.evidence);
                        }
                        Ok(Some(finding(
                            rule, device, explicit, index, hit, rules.lang,
                        )))
                    }
                }
            };
            let state = match state {
                Ok(None) => RuleState::Silent,
                Ok(Some(f)) => {
                    let state = RuleState::Fired {
                        current: f.status == "current",
                        evidence: f.evidence.clone(),
                    };
                    findings.push(f);
                    state
                }
                Err(n) => {
                    let state = RuleState::NotEvaluated {
                        ask: n.ask.clone(),
                        needs: n.needs.clone(),
                    };
                    not_evaluated.push(n);
                    state
                }
            };
            done.insert(&rule.id, state);
        }
    }
    rank(rules, devices, &mut findings);
    Evaluation {
        findings,
        not_evaluated,
        passed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;
    use crate::rules::load::{self, RuleSource};
    use std::collections::BTreeMap;

    /// A small pack: `t/root` (critical) explains `t/mid` and `t/leaf`, `t/mid` (critical)
    /// explains `t/leaf`, `t/weak` (warning) explains `t/leaf`.
    fn pack() -> RuleSet {
        let rule = |name: &str, severity: &str, explains: &str| RuleSource {
            relative: format!("t/{name}.yaml"),
            origin: format!("test:{name}"),
            text: format!(
                "id: t/{name}\ntitle: {name}\nseverity: {severity}\ndescription: d\nwhen:\n  fact: device.product\n  exists: true\nexplains: [{explains}]\nmessage: m\nremediation: r\n"
            ),
        };
        let (set, diagnostics) = load::load(&[
            rule("root", "critical", "t/mid, t/leaf"),
            rule("mid", "critical", "t/leaf"),
            rule("weak", "warning", "t/leaf"),
            rule("leaf", "critical", ""),
        ]);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        set
    }

    fn device(id: &str, product: Product, managed_by: Option<usize>) -> Device {
        Device {
            managed_by,
            ..Device::blank(id, product)
        }
    }

    fn found(rule: &str, devices: &[Device], index: usize, severity: Severity) -> Finding {
        Finding {
            id: format!("{rule}@{}", devices[index].id),
            rule: rule.into(),
            title: rule.into(),
            severity,
            rule_severity: severity,
            device: devices[index].id.clone(),
            device_name: devices[index].name.clone(),
            device_index: index,
            root_cause: false,
            status: if severity == Severity::Info {
                "recovered"
            } else {
                "current"
            },
            explained_by: Vec::new(),
            explains: Vec::new(),
            message: String::new(),
            remediation: String::new(),
            references: Vec::new(),
            evidence: Vec::new(),
            count: 0,
            first_seen: None,
            last_seen: None,
            recovered_at: None,
            hosts: Vec::new(),
            captures: BTreeMap::new(),
        }
    }

    fn ranked(devices: &[Device], fired: &[(&str, usize, Severity)]) -> BTreeMap<String, Finding> {
        let rules = pack();
        let mut findings: Vec<Finding> = fired
            .iter()
            .map(|(rule, index, severity)| found(rule, devices, *index, *severity))
            .collect();
        rank(&rules, devices, &mut findings);
        findings.into_iter().map(|f| (f.id.clone(), f)).collect()
    }

    #[test]
    fn a_chain_runs_only_through_fired_findings() {
        // The built-in case: an FMC's evaluation licence explains an FTD's disabled connector,
        // which explains its disconnected socket; with the connector Running, nothing links the
        // licence to the socket.
        let rules = load::load(&load::builtin_sources()).0;
        let devices = [
            device("fmc", Product::Fmc, None),
            device("ftd", Product::Ftd, Some(0)),
        ];
        let mut findings = vec![
            found("sse/license-evaluation", &devices, 0, Severity::Critical),
            found(
                "sse/eventhandler-socket-disconnected",
                &devices,
                1,
                Severity::Critical,
            ),
        ];
        rank(&rules, &devices, &mut findings);
        assert!(
            findings
                .iter()
                .all(|f| f.root_cause && f.explained_by.is_empty())
        );

        // With the disabled connector fired, the chain is whole: each symptom names its
        // nearest cause only, and `explains` is the inverse.
        let mut findings = vec![
            found("sse/license-evaluation", &devices, 0, Severity::Critical),
            found("sse/connector-disabled", &devices, 1, Severity::Critical),
            found(
                "sse/eventhandler-socket-disconnected",
                &devices,
                1,
                Severity::Critical,
            ),
        ];
        rank(&rules, &devices, &mut findings);
        let by: BTreeMap<&str, (&Vec<String>, &Vec<String>, bool)> = findings
            .iter()
            .map(|f| (f.id.as_str(), (&f.explained_by, &f.explains, f.root_cause)))
            .collect();
        assert_eq!(
            by["sse/license-evaluation@fmc"],
            (
                &vec![],
                &vec!["sse/connector-disabled@ftd".to_string()],
                true
            )
        );
        assert_eq!(
            by["sse/connector-disabled@ftd"],
            (
                &vec!["sse/license-evaluation@fmc".to_string()],
                &vec!["sse/eventhandler-socket-disconnected@ftd".to_string()],
                false
            )
        );
        assert_eq!(
            by["sse/eventhandler-socket-disconnected@ftd"],
            (
                &vec!["sse/connector-disabled@ftd".to_string()],
                &vec![],
                false
            )
        );
    }

    #[test]
    fn direct_causes_come_nearest_first_by_severity_then_rule() {
        let devices = [device("d", Product::Ftd, None)];
        let f = ranked(
            &devices,
            &[
                ("t/weak", 0, Severity::Warning),
                ("t/root", 0, Severity::Critical),
                ("t/mid", 0, Severity::Critical),
                ("t/leaf", 0, Severity::Critical),
            ],
        );
        assert_eq!(
            f["t/leaf@d"].explained_by,
            ["t/mid@d", "t/root@d", "t/weak@d"]
        );
        assert_eq!(f["t/mid@d"].explained_by, ["t/root@d"]);
        assert_eq!(f["t/root@d"].explains, ["t/mid@d", "t/leaf@d"]);
        assert!(f["t/root@d"].root_cause && f["t/weak@d"].root_cause);
        assert!(!f["t/leaf@d"].root_cause);
    }

    #[test]
    fn recovered_findings_and_other_scopes_explain_nothing() {
        // A recovered cause is info; an FTD's finding never explains its FMC's; two FTDs of one
        // FMC do not explain each other.
        let devices = [
            device("fmc", Product::Fmc, None),
            device("ftd1", Product::Ftd, Some(0)),
            device("ftd2", Product::Ftd, Some(0)),
        ];
        let f = ranked(
            &devices,
            &[
                ("t/mid", 1, Severity::Info),
                ("t/leaf", 1, Severity::Critical),
                ("t/root", 2, Severity::Critical),
                ("t/leaf", 0, Severity::Critical),
            ],
        );
        assert!(f["t/leaf@ftd1"].explained_by.is_empty());
        assert!(f["t/leaf@ftd1"].root_cause);
        assert!(f["t/leaf@fmc"].explained_by.is_empty());
        assert!(!f["t/mid@ftd1"].root_cause);
        assert!(f["t/mid@ftd1"].explains.is_empty());
        assert!(f["t/root@ftd2"].explains.is_empty());
    }
}
