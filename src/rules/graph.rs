//! The rules as a graph: `explains` / `explained_by` relations that name loaded rules and form no
//! cycle, `finding:` conditions that name loaded rules, and the order that evaluates a rule after
//! the rules its `finding:` conditions read.

use std::collections::{BTreeSet, HashMap};

use super::Rule;
use super::diagnostic::{Diagnostic, Level};
use crate::yaml::did_you_mean;

/// Drops (and reports) `explains` and `explained_by` that name no loaded rule, and the
/// relations that close a cycle.
pub(super) fn check_explains(rules: &mut [Rule], diagnostics: &mut Vec<Diagnostic>) {
    let ids: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
    for rule in rules.iter_mut() {
        let mut kept = Vec::new();
        for (target, (line, column)) in rule.explains.iter().zip(&rule.explains_at) {
            if ids.contains(target) {
                kept.push(target.clone());
            } else {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "unknown-explains",
                    file: rule.origin.clone(),
                    line: *line,
                    column: *column,
                    message: format!("`explains` names `{target}`, which is not a loaded rule"),
                    hint: did_you_mean(
                        target,
                        ids.iter().map(String::as_str).filter(|i| *i != rule.id),
                    ),
                });
            }
        }
        rule.explains = kept;
        let mut kept = Vec::new();
        for (cause, (line, column)) in rule.explained_by.iter().zip(&rule.explained_by_at) {
            if ids.contains(cause) {
                kept.push(cause.clone());
            } else {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "unknown-explained-by",
                    file: rule.origin.clone(),
                    line: *line,
                    column: *column,
                    message: format!("`explained_by` names `{cause}`, which is not a loaded rule"),
                    hint: did_you_mean(cause, ids.iter().map(String::as_str)),
                });
            }
        }
        rule.explained_by = kept;
    }
    // A cycle would make every rule in it a symptom of another: nothing would be a root cause.
    // `explained_by` is `explains` read from the other end: one graph holds both.
    let mut graph: HashMap<&str, Vec<&str>> = rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.explains.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    for r in rules.iter() {
        for cause in &r.explained_by {
            if let Some(targets) = graph.get_mut(cause.as_str()) {
                targets.push(r.id.as_str());
            }
        }
    }
    for rule in rules.iter() {
        if let Some(cycle) = find_cycle(&graph, &rule.id) {
            let (line, column) = rule
                .explains_at
                .first()
                .or(rule.explained_by_at.first())
                .copied()
                .unwrap_or((1, 1));
            diagnostics.push(Diagnostic {
                level: Level::Error,
                code: "explains-cycle",
                file: rule.origin.clone(),
                line,
                column,
                message: format!(
                    "`explains` of `{}` leads back to itself: {}",
                    rule.id,
                    cycle.join(" explains ")
                ),
                hint: Some(
                    "a cause cannot be its own symptom; remove one relation of the cycle".into(),
                ),
            });
        }
    }
}

/// `finding:` conditions name loaded rules and form no cycle (a rule's finding must be known
/// before the rules that read it are evaluated). A rule that breaks either is left out, and so,
/// in turn, is every rule that reads its finding.
pub(super) fn check_findings(rules: &mut Vec<Rule>, diagnostics: &mut Vec<Diagnostic>) {
    loop {
        let ids: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        let mut broken: BTreeSet<String> = BTreeSet::new();
        for rule in rules.iter() {
            for (target, (line, column)) in &rule.finding_refs {
                if !ids.contains(target) {
                    diagnostics.push(Diagnostic {
                        level: Level::Error,
                        code: "unknown-finding-rule",
                        file: rule.origin.clone(),
                        line: *line,
                        column: *column,
                        message: format!("`finding` names `{target}`, which is not a loaded rule"),
                        hint: did_you_mean(target, ids.iter().map(String::as_str)),
                    });
                    broken.insert(rule.id.clone());
                }
            }
        }
        if broken.is_empty() {
            break;
        }
        rules.retain(|r| !broken.contains(&r.id));
    }
    let deps: HashMap<&str, Vec<&str>> = rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.finding_refs.iter().map(|(t, _)| t.as_str()).collect(),
            )
        })
        .collect();
    let mut cyclic = BTreeSet::new();
    for rule in rules.iter() {
        if let Some(cycle) = find_cycle(&deps, &rule.id) {
            let (line, column) = rule.finding_refs.first().map(|r| r.1).unwrap_or((1, 1));
            diagnostics.push(Diagnostic {
                level: Level::Error,
                code: "finding-cycle",
                file: rule.origin.clone(),
                line,
                column,
                message: format!("`finding` conditions form a cycle: {}", cycle.join(" → ")),
                hint: Some(
                    "a rule cannot wait for its own finding; remove one `finding` of the cycle"
                        .into(),
                ),
            });
            cyclic.insert(rule.id.clone());
        }
    }
    rules.retain(|r| !cyclic.contains(&r.id));
}

/// A path from `start` back to itself, if there is one.
fn find_cycle(graph: &HashMap<&str, Vec<&str>>, start: &str) -> Option<Vec<String>> {
    let mut stack: Vec<Vec<&str>> = vec![vec![start]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = *path.last()?;
        for &next in graph.get(last).map(Vec::as_slice).unwrap_or(&[]) {
            let mut longer = path.clone();
            longer.push(next);
            if next == start {
                return Some(longer.into_iter().map(str::to_string).collect());
            }
            if seen.insert(next) {
                stack.push(longer);
            }
        }
    }
    None
}

/// The order to evaluate rules in: every rule after the rules whose findings it reads, and
/// otherwise in the set's order (so a pack without `finding:` conditions runs as listed).
pub fn evaluation_order(rules: &[Rule]) -> Vec<usize> {
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut done = vec![false; rules.len()];
    let mut order = Vec::with_capacity(rules.len());
    fn visit(
        i: usize,
        rules: &[Rule],
        index: &HashMap<&str, usize>,
        done: &mut Vec<bool>,
        order: &mut Vec<usize>,
        depth: usize,
    ) {
        // Cycles are refused at load; the depth bound keeps a hand-made set from recursing forever.
        if done[i] || depth > rules.len() {
            return;
        }
        done[i] = true;
        for (target, _) in &rules[i].finding_refs {
            if let Some(&j) = index.get(target.as_str()) {
                visit(j, rules, index, done, order, depth + 1);
            }
        }
        order.push(i);
    }
    for i in 0..rules.len() {
        visit(i, rules, &index, &mut done, &mut order, 0);
    }
    order
}
