//! One rule's condition on one device: facts compared, log hits counted in their windows,
//! sequences, mixed outcomes and recoveries, each giving fired (with evidence), not fired, or
//! missing data.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;

use crate::artifacts::ArtifactKind;
use crate::domain::Domain;
use crate::facts::hits::{HitAgg, HitKey};
use crate::facts::{Device, Evidence, Fact, FactValue, earliest, latest, regions};
use crate::rules::schema::FindingStatus;
use crate::rules::{CompareOp, Cond, FactOp, LinesCond, MixedLog};

use super::finding::EvidenceItem;

/// Records of a records condition cited as evidence; `records` in templates has them all.
pub(super) const MAX_RECORD_EVIDENCE: usize = 10;

#[derive(Debug, Clone, Default)]
pub(super) struct Hit {
    pub(super) evidence: Vec<EvidenceItem>,
    /// The records a records condition matched, in document order.
    pub(super) records: Vec<serde_json::Value>,
    pub(super) captures: BTreeMap<String, String>,
    pub(super) count: u64,
    pub(super) first: Option<Timestamp>,
    pub(super) last: Option<Timestamp>,
    pub(super) current: bool,
    pub(super) recovered_at: Option<Timestamp>,
    pub(super) hosts: BTreeSet<String>,
    pub(super) own: bool,
    pub(super) inherited: bool,
    /// Every matching line, inside or outside `within`/`window` (`total_count`).
    pub(super) total: u64,
}

impl Hit {
    pub(super) fn merge(&mut self, other: Hit) {
        self.evidence.extend(other.evidence);
        self.records.extend(other.records);
        for (k, v) in other.captures {
            self.captures.entry(k).or_insert(v);
        }
        self.count += other.count;
        self.total += other.total;
        self.first = earliest(self.first, other.first);
        self.last = latest(self.last, other.last);
        self.recovered_at = latest(self.recovered_at, other.recovered_at);
        self.hosts.extend(other.hosts);
        self.own |= other.own;
        self.inherited |= other.inherited;
    }
}

pub(super) enum Outcome {
    Fired(Hit),
    No,
    Missing(BTreeSet<String>),
    /// A time window on a device whose collection time is unknown.
    NoTime,
    /// `finding:` conditions on rules that were not evaluated on the device.
    Depends(BTreeSet<String>),
}

/// What a rule gave on one device, for the `finding:` conditions of the rules after it.
#[derive(Debug, Clone)]
pub(super) enum RuleState {
    /// Not applicable, or evaluated and silent.
    Silent,
    Fired {
        current: bool,
        evidence: Vec<EvidenceItem>,
    },
    NotEvaluated {
        ask: String,
        needs: Vec<String>,
    },
}

pub(super) struct Scope<'a> {
    pub(super) device: &'a Device,
    /// The FMC whose settings a managed device inherits (facts declared `from_manager`).
    pub(super) manager: Option<&'a Device>,
    /// The loaded domain tables (host classes).
    pub(super) domain: &'a Domain,
    /// The FMC that `manager.<fact>` reads (cli-contract.md, "Root-cause relations: scope").
    pub(super) explicit_manager: Option<&'a Device>,
    /// The rules already evaluated on this device.
    pub(super) done: &'a HashMap<&'a str, RuleState>,
    /// The loaded fact declarations (which facts live on the manager).
    pub(super) facts: &'a crate::artifacts::FactCatalog,
}

impl Scope<'_> {
    /// A fact of the device, with whether it was inherited from the manager. `manager.<fact>`
    /// reads `<fact>` of the managing FMC, else the fact the device declares under the full name.
    pub(super) fn fact(&self, name: &str) -> Option<(&Fact, bool)> {
        if let Some(rest) = name.strip_prefix("manager.")
            && let Some(f) = self.explicit_manager.and_then(|m| m.fact(rest))
        {
            return Some((f, false));
        }
        if let Some(f) = self.device.fact(name) {
            return Some((f, false));
        }
        if self.facts.lookup(name).is_some_and(|f| f.from_manager) {
            return self.manager.and_then(|m| m.fact(name)).map(|f| (f, true));
        }
        None
    }

    pub(super) fn eval(&self, cond: &Cond) -> Outcome {
        match cond {
            Cond::All(items) => {
                let mut hit = Hit {
                    current: true,
                    ..Hit::default()
                };
                let mut missing = BTreeSet::new();
                let mut depends = BTreeSet::new();
                let mut no_time = false;
                for item in items {
                    match self.eval(item) {
                        Outcome::No => return Outcome::No,
                        Outcome::Missing(m) => missing.extend(m),
                        Outcome::Depends(d) => depends.extend(d),
                        Outcome::NoTime => no_time = true,
                        Outcome::Fired(h) => {
                            hit.current &= h.current;
                            hit.merge(h);
                        }
                    }
                }
                if !missing.is_empty() {
                    Outcome::Missing(missing)
                } else if !depends.is_empty() {
                    Outcome::Depends(depends)
                } else if no_time {
                    Outcome::NoTime
                } else {
                    Outcome::Fired(hit)
                }
            }
            Cond::Any(items) => {
                let mut fired: Option<Hit> = None;
                let mut missing = BTreeSet::new();
                let mut checked = false;
                let mut no_time = false;
                let mut depends = BTreeSet::new();
                for item in items {
                    match self.eval(item) {
                        Outcome::No => checked = true,
                        Outcome::Missing(m) => missing.extend(m),
                        Outcome::Depends(d) => depends.extend(d),
                        Outcome::NoTime => no_time = true,
                        Outcome::Fired(h) => match &mut fired {
                            None => fired = Some(h),
                            Some(f) => {
                                // Current evidence wins over recovered evidence.
                                if h.current && !f.current {
                                    let mut h = h;
                                    h.recovered_at = None;
                                    *f = h;
                                } else if h.current == f.current {
                                    f.merge(h);
                                }
                            }
                        },
                    }
                }
                // Alternatives are evidence for the same problem: one that could be checked
                // and was clean is an evaluation; only when none had data is the rule unevaluated.
                match fired {
                    Some(h) => Outcome::Fired(h),
                    None if checked || (missing.is_empty() && depends.is_empty() && !no_time) => {
                        Outcome::No
                    }
                    None if !missing.is_empty() => Outcome::Missing(missing),
                    None if !depends.is_empty() => Outcome::Depends(depends),
                    None => Outcome::NoTime,
                }
            }
            Cond::Not(inner) => match self.eval(inner) {
                Outcome::Fired(_) => Outcome::No,
                Outcome::No => Outcome::Fired(Hit {
                    current: true,
                    own: true,
                    ..Hit::default()
                }),
                Outcome::Missing(m) => Outcome::Missing(m),
                Outcome::Depends(d) => Outcome::Depends(d),
                Outcome::NoTime => Outcome::NoTime,
            },
            Cond::Fact { name, op } => self.eval_fact(name, op),
            Cond::Lines(lines) => self.eval_lines(lines),
            Cond::Mixed { logs, outcomes } => self.eval_mixed(logs, outcomes),
            Cond::Sequence {
                artifact,
                steps,
                max_gap,
                min_count,
                within,
            } => self.eval_sequence(*artifact, steps, *max_gap, *min_count, *within),
            Cond::Compare {
                left,
                op,
                right,
                parts,
            } => self.eval_compare(left, *op, right, *parts),
            Cond::Finding { rule, status } => self.eval_finding(rule, *status),
            Cond::Records { name, all, tests } => self.eval_records(name, *all, tests),
        }
    }

    pub(super) fn eval_finding(&self, rule: &str, status: FindingStatus) -> Outcome {
        match self.done.get(rule) {
            None | Some(RuleState::NotEvaluated { .. }) => {
                Outcome::Depends(BTreeSet::from([rule.to_string()]))
            }
            Some(RuleState::Silent) => Outcome::No,
            Some(RuleState::Fired { current, evidence }) => {
                let wanted = match status {
                    FindingStatus::Any => true,
                    FindingStatus::Current => *current,
                    FindingStatus::Recovered => !*current,
                };
                if !wanted {
                    return Outcome::No;
                }
                Outcome::Fired(Hit {
                    current: true,
                    own: true,
                    evidence: evidence.clone(),
                    ..Hit::default()
                })
            }
        }
    }

    /// The records of a `records` fact that pass every test; the first is `record` in
    /// templates, all are `records`, and each is a piece of evidence.
    pub(super) fn eval_records(
        &self,
        name: &str,
        all: bool,
        tests: &[(String, FactOp)],
    ) -> Outcome {
        let Some((fact, inherited)) = self.fact(name) else {
            return Outcome::Missing(BTreeSet::from([name.to_string()]));
        };
        let FactValue::Records(records) = &fact.value else {
            return Outcome::No;
        };
        let passes = |r: &crate::facts::Record| {
            tests
                .iter()
                .all(|(field, op)| match (r.fields.get(field), op) {
                    (None, FactOp::Exists(want)) => !*want,
                    (None, _) => false,
                    (Some(v), op) => apply(v, op),
                })
        };
        let matching: Vec<&crate::facts::Record> = records.iter().filter(|r| passes(r)).collect();
        let fired = if all {
            !records.is_empty() && matching.len() == records.len()
        } else {
            !matching.is_empty()
        };
        if !fired {
            return Outcome::No;
        }
        let mut hit = Hit {
            current: true,
            own: !inherited,
            inherited,
            ..Hit::default()
        };
        let path = fact
            .evidence
            .as_ref()
            .map(|e| e.path.clone())
            .unwrap_or_default();
        for r in &matching {
            hit.records.push(serde_json::Value::Object(
                r.fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ));
        }
        // Evidence: the first records that passed, each with its line.
        for r in matching.iter().take(MAX_RECORD_EVIDENCE) {
            hit.evidence.push(EvidenceItem::from_fact(&Evidence {
                path: r.path.clone().unwrap_or_else(|| path.clone()),
                line: r.line,
                text: Some(FactValue::Records(vec![(*r).clone()]).to_string()),
            }));
        }
        Outcome::Fired(hit)
    }

    pub(super) fn eval_compare(
        &self,
        left: &str,
        op: CompareOp,
        right: &str,
        parts: Option<usize>,
    ) -> Outcome {
        let (l, r) = (self.fact(left), self.fact(right));
        let (Some((lf, li)), Some((rf, ri))) = (l, r) else {
            let missing = [(left, l.is_none()), (right, r.is_none())]
                .into_iter()
                .filter(|(_, gone)| *gone)
                .map(|(n, _)| n.to_string())
                .collect();
            return Outcome::Missing(missing);
        };
        let ordering = match (&lf.value, &rf.value) {
            (FactValue::Version(a), FactValue::Version(b)) => Some(match parts {
                Some(n) => a.cmp_parts(b, n),
                None => a.cmp(b),
            }),
            (FactValue::Int(a), FactValue::Int(b)) => Some(a.cmp(b)),
            (FactValue::Text(a), FactValue::Text(b)) => {
                Some(a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()))
            }
            (FactValue::Bool(a), FactValue::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        };
        use std::cmp::Ordering::*;
        let fired = ordering.is_some_and(|o| match op {
            CompareOp::Equals => o == Equal,
            CompareOp::NotEquals => o != Equal,
            CompareOp::LessThan | CompareOp::VersionBelow => o == Less,
            CompareOp::AtLeast | CompareOp::VersionAtLeast => o != Less,
            CompareOp::VersionAbove => o == Greater,
            CompareOp::VersionAtMost => o != Greater,
        });
        if !fired {
            return Outcome::No;
        }
        let mut hit = Hit {
            current: true,
            own: !(li && ri),
            inherited: li || ri,
            ..Hit::default()
        };
        for f in [lf, rf] {
            if let Some(e) = &f.evidence {
                hit.evidence.push(EvidenceItem::from_fact(e));
            }
        }
        Outcome::Fired(hit)
    }

    /// Lines matching each step in turn, each at most `max_gap` after the line of the step
    /// before (at the same second counts as after). Hosts do not matter: the steps' lines are
    /// taken together. `count` is the number of lines that complete a sequence.
    pub(super) fn eval_sequence(
        &self,
        artifact: ArtifactKind,
        steps: &[usize],
        max_gap: i64,
        min_count: u64,
        within: Option<i64>,
    ) -> Outcome {
        if !self.device.has_artifact(artifact) {
            return Outcome::Missing(BTreeSet::from([format!("artifact {artifact}")]));
        }
        let Some(now) = self.device.collected_at else {
            return Outcome::NoTime;
        };
        let since = within.map(|w| now.as_second().saturating_sub(w));
        let mut reach: Vec<i64> = Vec::new();
        let mut evidence = Vec::new();
        let mut total = 0;
        for (i, &step) in steps.iter().enumerate() {
            let keys = self.device.hits.get(step);
            let mut stamps: Vec<i64> = keys
                .into_iter()
                .flat_map(|k| k.values())
                .flat_map(|agg| agg.stamps().iter().copied())
                .collect();
            stamps.sort_unstable();
            if i == 0 {
                if let Some(s) = since {
                    stamps.retain(|&t| t >= s);
                }
                reach = stamps;
            } else {
                reach = stamps
                    .into_iter()
                    .filter(|&t| {
                        let k = reach.partition_point(|&r| r <= t);
                        k > 0 && t - reach[k - 1] <= max_gap
                    })
                    .collect();
            }
            // The step's newest line stands for it in the evidence.
            let newest = keys.into_iter().flat_map(|k| k.values()).max_by(|a, b| {
                if later(&a.last, &b.last) {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                }
            });
            if let Some(agg) = newest {
                evidence.push(EvidenceItem::from_hits(
                    agg,
                    keys.map(|k| k.values().map(|a| a.count).sum()).unwrap_or(0),
                    None,
                    true,
                ));
            }
            if i + 1 == steps.len() {
                total = keys.map(|k| k.values().map(|a| a.count).sum()).unwrap_or(0);
            }
        }
        let count = reach.len() as u64;
        if count == 0 || count < min_count {
            return Outcome::No;
        }
        let at = |t: Option<&i64>| t.and_then(|&t| Timestamp::from_second(t).ok());
        Outcome::Fired(Hit {
            current: true,
            own: true,
            count,
            total,
            first: at(reach.first()),
            last: at(reach.last()),
            evidence,
            ..Hit::default()
        })
    }

    pub(super) fn eval_fact(&self, name: &str, op: &FactOp) -> Outcome {
        let found = self.fact(name);
        let fired = match (found, op) {
            (None, FactOp::Exists(false)) => {
                return Outcome::Fired(Hit {
                    current: true,
                    own: true,
                    ..Hit::default()
                });
            }
            (None, _) => return Outcome::Missing(BTreeSet::from([name.to_string()])),
            (Some(_), FactOp::Exists(want)) => *want,
            (Some((fact, _)), op) => apply(&fact.value, op),
        };
        if !fired {
            return Outcome::No;
        }
        let (fact, inherited) = found.expect("checked above");
        let mut hit = Hit {
            current: true,
            own: !inherited,
            inherited,
            ..Hit::default()
        };
        if let Some(e) = &fact.evidence {
            hit.evidence.push(EvidenceItem::from_fact(e));
        }
        Outcome::Fired(hit)
    }

    /// Hits of a pattern per host or address. With a host class, only hosts of that class, and
    /// the lines that name only a public address are counted for the host the class gives such
    /// lines (the seed's `connectWebSocket` lines name only an address).
    pub(super) fn keyed(&self, pattern: usize, class: Option<&str>) -> BTreeMap<HitKey, HitAgg> {
        let mut out: BTreeMap<HitKey, HitAgg> = BTreeMap::new();
        let Some(keys) = self.device.hits.get(pattern) else {
            return out;
        };
        let address_host = class.and_then(|c| {
            self.domain.address_host(c, |fact| {
                self.device.fact(fact).map(|f| f.value.to_string())
            })
        });
        for (key, agg) in keys {
            let key = match (class, key) {
                (None, key) => key.clone(),
                (Some(_), HitKey::None) => continue,
                (Some(_), HitKey::Addr(addr)) => match address_host {
                    Some(host) if is_public_ip(addr) => HitKey::Host(host.to_string()),
                    _ => continue,
                },
                (Some(c), HitKey::Host(host)) if self.domain.in_class(c, host) => key.clone(),
                (Some(_), HitKey::Host(_)) => continue,
                // A capture's value is no host (the loader refuses `host:` beside such grouping).
                (Some(_), HitKey::Group(_)) => continue,
            };
            match out.get_mut(&key) {
                Some(existing) => existing.merge(agg.clone()),
                None => {
                    out.insert(key, agg.clone());
                }
            }
        }
        out
    }

    pub(super) fn eval_lines(&self, c: &LinesCond) -> Outcome {
        if !self.device.has_artifact(c.artifact) {
            return Outcome::Missing(BTreeSet::from([format!("artifact {}", c.artifact)]));
        }
        if (c.within.is_some() || c.window.is_some()) && self.device.collected_at.is_none() {
            return Outcome::NoTime;
        }
        let problems = self.keyed(c.pattern, c.host.as_deref());
        let since = c.within.and_then(|w| {
            self.device
                .collected_at
                .and_then(|now| now.checked_sub(jiff::SignedDuration::from_secs(w)).ok())
        });
        // The stamps that may count: all, or those inside `within`.
        let stamps = |agg: &HitAgg| -> Vec<i64> {
            let s = since.map(|s| s.as_second());
            agg.stamps()
                .iter()
                .copied()
                .filter(|&t| s.is_none_or(|s| t >= s))
                .collect()
        };
        // Without `group_by`, the window is the fullest span of all lines together.
        let shared_window = match c.window {
            Some(w) if !c.grouped => {
                let mut all: Vec<i64> = problems.values().flat_map(stamps).collect();
                all.sort_unstable();
                fullest_window(&all, w)
            }
            _ => None,
        };
        // Per key: the lines that count, and the first and last of them.
        let counted: BTreeMap<&HitKey, Counted> = problems
            .iter()
            .map(|(key, agg)| {
                let span = match c.window {
                    Some(w) if c.grouped => fullest_window(&stamps(agg), w),
                    Some(_) => shared_window,
                    None => None,
                };
                let n = match (c.window, span) {
                    (Some(_), Some((lo, hi))) => Counted::of(&stamps(agg), lo, hi),
                    (Some(_), None) => Counted::default(),
                    (None, _) if since.is_some() => {
                        let kept = stamps(agg);
                        Counted {
                            count: agg.count_since(since.expect("checked")),
                            first: kept.first().and_then(|&t| Timestamp::from_second(t).ok()),
                            last: agg.last.time,
                        }
                    }
                    (None, _) if c.within.is_some() => Counted::default(),
                    (None, _) => Counted {
                        count: agg.count,
                        first: agg.first.time,
                        last: agg.last.time,
                    },
                };
                (key, n)
            })
            .collect();
        let distinct_ok = |aggs: &[&HitAgg]| {
            c.min_distinct.iter().all(|(name, n)| {
                let mut values: BTreeSet<&String> = BTreeSet::new();
                for agg in aggs {
                    values.extend(agg.distinct.get(name).into_iter().flatten());
                }
                values.len() as u64 >= *n
            })
        };
        let contributing: Vec<&HitKey> = if c.grouped {
            problems
                .iter()
                .filter(|(key, agg)| {
                    let n = counted[key].count;
                    n > 0 && n >= c.min_count && distinct_ok(&[agg])
                })
                .map(|(key, _)| key)
                .collect()
        } else {
            let keys: Vec<&HitKey> = problems
                .keys()
                .filter(|key| counted[key].count > 0)
                .collect();
            let total: u64 = keys.iter().map(|k| counted[k].count).sum();
            let aggs: Vec<&HitAgg> = keys.iter().map(|k| &problems[*k]).collect();
            if total < c.min_count || total == 0 || !distinct_ok(&aggs) {
                return Outcome::No;
            }
            keys
        };
        if contributing.is_empty() {
            return Outcome::No;
        }
        let recoveries = c
            .recovery
            .map(|r| self.keyed(r, c.host.as_deref()))
            .unwrap_or_default();
        let mut current = Hit {
            current: true,
            own: true,
            ..Hit::default()
        };
        let mut recovered = Hit {
            current: false,
            own: true,
            ..Hit::default()
        };
        for key in contributing {
            let agg = &problems[key];
            let n = &counted[key];
            let rec = recoveries.get(key).filter(|r| later(&r.last, &agg.last));
            let target = if rec.is_some() {
                &mut recovered
            } else {
                &mut current
            };
            target.count += n.count;
            target.total += agg.count;
            target.first = earliest(target.first, n.first);
            target.last = latest(target.last, n.last);
            if let Some(label) = key.label() {
                target.hosts.insert(label);
            }
            if target.captures.is_empty() {
                target.captures = agg.last.captures.iter().cloned().collect();
            }
            if target.evidence.len() < 5 {
                target
                    .evidence
                    .push(EvidenceItem::from_hits(agg, n.count, key.label(), true));
            }
            if let Some(r) = rec {
                target.recovered_at = latest(target.recovered_at, r.last.time);
                if target.evidence.len() < 6 {
                    target
                        .evidence
                        .push(EvidenceItem::from_hits(r, r.count, key.label(), false));
                }
            }
        }
        if current.count > 0 {
            Outcome::Fired(current)
        } else if recovered.count > 0 {
            Outcome::Fired(recovered)
        } else {
            Outcome::No
        }
    }

    /// Per SSE host, the addresses that connected and those that only failed, combined over
    /// every listed artifact present: log lines through the success and failure patterns (every
    /// address a matching line names counts for its host), and the per-address outcomes of
    /// snapshot artifacts (a curl test that timed out on A and connected to B). Fires for each
    /// host with at least one working and one only-failing address.
    pub(super) fn eval_mixed(
        &self,
        all_logs: &[MixedLog],
        outcome_kinds: &[ArtifactKind],
    ) -> Outcome {
        let logs: Vec<&MixedLog> = all_logs
            .iter()
            .filter(|l| self.device.has_artifact(l.artifact))
            .collect();
        let kinds: Vec<ArtifactKind> = outcome_kinds
            .iter()
            .copied()
            .filter(|k| self.device.has_artifact(*k))
            .collect();
        // Any one listed artifact is enough to look: only with none of them is this unevaluated.
        if logs.is_empty() && kinds.is_empty() {
            return Outcome::Missing(
                all_logs
                    .iter()
                    .map(|l| l.artifact)
                    .chain(outcome_kinds.iter().copied())
                    .map(|k| format!("artifact {k}"))
                    .collect(),
            );
        }
        let mut hosts: BTreeMap<String, HostOutcomes> = BTreeMap::new();
        for log in logs {
            for (connected, pattern) in [(false, log.failure), (true, log.success)] {
                for (key, agg) in self.keyed(pattern, Some(regions::CLASS)) {
                    let HitKey::Host(host) = key else { continue };
                    // A line that names no address says nothing about which address works.
                    if agg.addrs.is_empty() {
                        continue;
                    }
                    let item =
                        EvidenceItem::from_hits(&agg, agg.count, Some(host.clone()), !connected);
                    let side = hosts.entry(host).or_default();
                    side.add(connected, &agg.addrs, item);
                    if !connected {
                        side.failures += agg.count;
                        side.first = earliest(side.first, agg.first.time);
                        side.last = latest(side.last, agg.last.time);
                    }
                }
            }
        }
        for o in &self.device.outcomes {
            if !kinds.contains(&o.kind) || !regions::is_sse_host(self.domain, &o.host) {
                continue;
            }
            let item = EvidenceItem {
                count: Some(1),
                host: Some(o.host.clone()),
                ..EvidenceItem::from_fact(&o.evidence)
            };
            let side = hosts.entry(o.host.clone()).or_default();
            side.add(o.connected, &BTreeSet::from([o.addr]), item);
            if !o.connected {
                side.failures += 1;
            }
        }
        let mut hit = Hit {
            current: true,
            own: true,
            ..Hit::default()
        };
        let join = |addrs: &mut dyn Iterator<Item = &std::net::IpAddr>| {
            addrs.map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
        };
        for (host, side) in hosts {
            let failing: BTreeSet<std::net::IpAddr> =
                side.failing.difference(&side.working).copied().collect();
            if side.working.is_empty() || failing.is_empty() {
                continue;
            }
            // Captures of the first host in alphabetical order, as for line conditions.
            if hit.hosts.is_empty() {
                hit.captures
                    .insert("failing_addresses".into(), join(&mut failing.iter()));
                hit.captures
                    .insert("working_addresses".into(), join(&mut side.working.iter()));
            }
            hit.hosts.insert(host);
            hit.count += side.failures;
            hit.first = earliest(hit.first, side.first);
            hit.last = latest(hit.last, side.last);
            // Failures first, then successes; only rows about the addresses that decide it.
            let mut rows: Vec<&(bool, BTreeSet<std::net::IpAddr>, EvidenceItem)> = side
                .rows
                .iter()
                .filter(|(connected, addrs, _)| {
                    if *connected {
                        !addrs.is_disjoint(&side.working)
                    } else {
                        !addrs.is_disjoint(&failing)
                    }
                })
                .collect();
            rows.sort_by_key(|(connected, _, _)| *connected);
            hit.evidence
                .extend(rows.into_iter().take(8).map(|(_, _, item)| item.clone()));
        }
        if hit.hosts.is_empty() {
            Outcome::No
        } else {
            Outcome::Fired(hit)
        }
    }
}

/// The lines of one key that count for a line condition, and the first and last of them.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counted {
    pub(super) count: u64,
    pub(super) first: Option<Timestamp>,
    pub(super) last: Option<Timestamp>,
}

impl Counted {
    /// The stamps (ascending) from `lo` to `hi`, both included.
    pub(super) fn of(stamps: &[i64], lo: i64, hi: i64) -> Counted {
        let inside: &[i64] = {
            let a = stamps.partition_point(|&t| t < lo);
            let b = stamps.partition_point(|&t| t <= hi);
            &stamps[a..b.max(a)]
        };
        let at = |t: Option<&i64>| t.and_then(|&t| Timestamp::from_second(t).ok());
        Counted {
            count: inside.len() as u64,
            first: at(inside.first()),
            last: at(inside.last()),
        }
    }
}

/// The span of at most `width` seconds (from its first stamp to its last) holding the most of
/// `stamps` (ascending); on a tie, the latest such span.
pub(super) fn fullest_window(stamps: &[i64], width: i64) -> Option<(i64, i64)> {
    let mut best: Option<(usize, i64, i64)> = None;
    let mut i = 0;
    for j in 0..stamps.len() {
        while stamps[j] - stamps[i] > width {
            i += 1;
        }
        let n = j - i + 1;
        if best.is_none_or(|(m, _, _)| n >= m) {
            best = Some((n, stamps[i], stamps[j]));
        }
    }
    best.map(|(_, lo, hi)| (lo, hi))
}

/// What the addresses of one host did, for `mixed_outcomes`.
#[derive(Default)]
pub(super) struct HostOutcomes {
    pub(super) working: BTreeSet<std::net::IpAddr>,
    pub(super) failing: BTreeSet<std::net::IpAddr>,
    /// (connected, the addresses the evidence names, the evidence).
    pub(super) rows: Vec<(bool, BTreeSet<std::net::IpAddr>, EvidenceItem)>,
    pub(super) failures: u64,
    pub(super) first: Option<Timestamp>,
    pub(super) last: Option<Timestamp>,
}

impl HostOutcomes {
    pub(super) fn add(
        &mut self,
        connected: bool,
        addrs: &BTreeSet<std::net::IpAddr>,
        item: EvidenceItem,
    ) {
        let set = if connected {
            &mut self.working
        } else {
            &mut self.failing
        };
        set.extend(addrs.iter().copied());
        self.rows.push((connected, addrs.clone(), item));
    }
}

pub(super) fn later(a: &crate::facts::HitSample, b: &crate::facts::HitSample) -> bool {
    match (a.time, b.time) {
        (Some(x), Some(y)) => x > y,
        _ => a.seq > b.seq,
    }
}

pub(super) fn is_public_ip(addr: &std::net::IpAddr) -> bool {
    match addr {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

pub(super) fn text_eq(value: &FactValue, want: &serde_json::Value) -> bool {
    match (value, want) {
        (FactValue::Text(t), serde_json::Value::String(s)) => t.eq_ignore_ascii_case(s),
        (FactValue::Version(v), serde_json::Value::String(s)) => {
            crate::version::Version::parse(s).is_some_and(|w| *v == w)
        }
        (FactValue::Int(i), serde_json::Value::Number(n)) => n.as_f64() == Some(*i as f64),
        (FactValue::Bool(b), serde_json::Value::Bool(w)) => b == w,
        _ => false,
    }
}

pub(super) fn apply(value: &FactValue, op: &FactOp) -> bool {
    match op {
        FactOp::Equals(w) => text_eq(value, w),
        FactOp::NotEquals(w) => !text_eq(value, w),
        FactOp::In(ws) => ws.iter().any(|w| text_eq(value, w)),
        FactOp::NotIn(ws) => !ws.iter().any(|w| text_eq(value, w)),
        FactOp::Matches(re) => re.is_match(&value.to_string()),
        FactOp::VersionBelow(v) => matches!(value, FactValue::Version(x) if x < v),
        FactOp::VersionAtLeast(v) => matches!(value, FactValue::Version(x) if x >= v),
        FactOp::VersionAbove(v) => matches!(value, FactValue::Version(x) if x > v),
        FactOp::VersionAtMost(v) => matches!(value, FactValue::Version(x) if x <= v),
        FactOp::LessThan(n) => {
            matches!(value, FactValue::Int(i) | FactValue::Duration(i) if (*i as f64) < *n)
        }
        FactOp::AtLeast(n) => {
            matches!(value, FactValue::Int(i) | FactValue::Duration(i) if (*i as f64) >= *n)
        }
        FactOp::Exists(want) => *want,
        FactOp::Empty(want) => matches!(value, FactValue::List(l) if l.is_empty() == *want),
        FactOp::Contains(s) => match value {
            FactValue::List(l) => l.iter().any(|x| x.eq_ignore_ascii_case(s)),
            FactValue::Text(t) => t.to_ascii_lowercase().contains(&s.to_ascii_lowercase()),
            _ => false,
        },
    }
}
