//! Root causes and symptoms: the `explains` relations of fired findings, in relation scope.

use std::collections::HashMap;

use crate::facts::Device;
use crate::rules::{RuleSet, Severity};

use super::finding::Finding;

/// Marks symptoms and root causes, and orders findings: root causes by severity, then symptoms,
/// then information.
///
/// A finding A explains a finding B only along a chain of fired warning/critical findings in
/// relation scope (same device, or an FMC and an FTD it manages), each link a direct `explains`
/// of its rule. So B's possible causes are exactly the fired current findings that explain it
/// directly: any longer chain ends in one of them, and a chain through a rule that did not fire
/// is no chain. `explained_by` lists those direct causes, nearest first (they are all one link
/// away; on a tie the higher severity, then the rule id, then the device id), and the report nests
/// B under the first. `explains` is the inverse. A finding with no cause is a root cause when it
/// is a warning or critical; a recovered (`info`) finding explains nothing.
pub(super) fn rank(rules: &RuleSet, devices: &[Device], findings: &mut [Finding]) {
    // `explains` of each rule, with the `explained_by` of the others read from the other end.
    let mut direct: HashMap<&str, Vec<String>> = rules
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.explains.clone()))
        .collect();
    for r in &rules.rules {
        for cause in &r.explained_by {
            if let Some(targets) = direct.get_mut(cause.as_str())
                && !targets.contains(&r.id)
            {
                targets.push(r.id.clone());
            }
        }
    }
    let n = findings.len();
    for b in 0..n {
        let mut by: Vec<usize> = (0..n)
            .filter(|&a| {
                let (fa, fb) = (&findings[a], &findings[b]);
                let explains_rule = direct
                    .get(fa.rule.as_str())
                    .is_some_and(|targets| targets.contains(&fb.rule));
                let same_scope = fa.device_index == fb.device_index
                    || devices.get(fb.device_index).and_then(|d| d.managed_by)
                        == Some(fa.device_index);
                a != b && fa.severity >= Severity::Warning && explains_rule && same_scope
            })
            .collect();
        by.sort_by(|&x, &y| {
            let (fx, fy) = (&findings[x], &findings[y]);
            fy.severity
                .cmp(&fx.severity)
                .then(fx.rule.cmp(&fy.rule))
                .then(fx.device.cmp(&fy.device))
        });
        findings[b].explained_by = by.into_iter().map(|a| findings[a].id.clone()).collect();
    }
    for a in 0..n {
        let explains: Vec<String> = findings
            .iter()
            .filter(|f| f.explained_by.contains(&findings[a].id))
            .map(|f| f.id.clone())
            .collect();
        findings[a].explains = explains;
        findings[a].root_cause =
            findings[a].severity >= Severity::Warning && findings[a].explained_by.is_empty();
    }
    findings.sort_by(|x, y| {
        let class = |f: &Finding| {
            if f.root_cause {
                0
            } else if f.severity >= Severity::Warning {
                1
            } else {
                2
            }
        };
        class(x)
            .cmp(&class(y))
            .then(y.severity.cmp(&x.severity))
            .then(x.rule.cmp(&y.rule))
            .then(x.device.cmp(&y.device))
    });
}
