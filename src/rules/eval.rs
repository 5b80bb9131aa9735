//! Evaluating rules over the devices of a case, and ranking the findings.
//!
//! A condition evaluates to fired (with evidence), not fired, or missing (the facts or logs it
//! needs are not in the bundle): missing data makes a rule "not evaluated", never silently
//! quiet. Log conditions know time: a problem followed by a later success for the same host is
//! recovered, and a recovered finding is `info`, explains nothing and is no root cause. Then the
//! `explains` relations mark as a symptom each finding that a current warning or critical finding
//! explains through a chain of such fired findings (same device, or from an FMC to the FTDs it
//! manages); [`rank`] says how.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use super::i18n::sentences;
use super::schema::FindingStatus;
use super::{CompareOp, Cond, FactOp, LinesCond, MixedLog, Rule, RuleSet, Severity};
use crate::artifacts::ArtifactKind;
use crate::domain::Domain;
use crate::facts::hits::{HitAgg, HitKey};
use crate::facts::{ContextLine, Device, Evidence, Fact, FactValue, earliest, latest, regions};
use crate::i18n::Lang;
use crate::version::Product;

/// One piece of evidence of a finding.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvidenceItem {
    pub path: String,
    /// 1-based; null when the evidence is not a line.
    pub line: Option<u32>,
    pub text: Option<String>,
    /// How many lines like it (log evidence).
    pub count: Option<u64>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// The SSE host the lines concern, if any.
    pub host: Option<String>,
    /// `path` inside its device's bundle root (`dir-archives/…`), for views that name the
    /// device beside it; none when the member lies outside the root (a loose file).
    pub member: Option<String>,
    /// Log evidence: the lines before and after this one in its member (`--context`).
    pub context_before: Vec<ContextLine>,
    pub context_after: Vec<ContextLine>,
    /// Log evidence of several lines: the first of them (this row is the last), with its own
    /// context; `count` - 2 more lie between the two.
    pub first: Option<Box<Occurrence>>,
    /// Problem lines: the newest time stamps (seconds) of the lines counted, for the report's
    /// timeline; empty for other evidence (facts, recoveries).
    #[serde(skip)]
    #[schemars(skip)]
    pub stamps: Vec<i64>,
}

/// The first of the lines an evidence row stands for.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Occurrence {
    pub path: String,
    /// As [`EvidenceItem::member`].
    pub member: Option<String>,
    pub line: Option<u32>,
    pub text: Option<String>,
    pub time: Option<Timestamp>,
    pub context_before: Vec<ContextLine>,
    pub context_after: Vec<ContextLine>,
}

impl EvidenceItem {
    fn from_fact(e: &Evidence) -> Self {
        EvidenceItem {
            path: e.path.clone(),
            line: e.line,
            text: e.text.clone(),
            count: None,
            first_seen: None,
            last_seen: None,
            host: None,
            member: None,
            context_before: Vec::new(),
            context_after: Vec::new(),
            first: None,
            stamps: Vec::new(),
        }
    }

    /// The row of `count` lines of an aggregate: its last line and context, and its first when
    /// that is another line.
    fn from_hits(agg: &HitAgg, count: u64, host: Option<String>, problem: bool) -> Self {
        let (first, last) = (&agg.first, &agg.last);
        let other = first.seq != last.seq;
        EvidenceItem {
            path: last.evidence.path.clone(),
            line: last.evidence.line,
            text: last.evidence.text.clone(),
            count: Some(count),
            first_seen: first.time,
            last_seen: last.time,
            host,
            member: None,
            context_before: last.context_before.clone(),
            context_after: last.context_after.clone(),
            first: other.then(|| {
                Box::new(Occurrence {
                    path: first.evidence.path.clone(),
                    member: None,
                    line: first.evidence.line,
                    text: first.evidence.text.clone(),
                    time: first.time,
                    context_before: first.context_before.clone(),
                    context_after: first.context_after.clone(),
                })
            }),
            stamps: if problem {
                agg.stamps().iter().copied().collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// `path` inside the bundle root `root` (both display paths), if it lies there.
fn member_in(root: &str, path: &str) -> Option<String> {
    let rest = path.strip_prefix(root)?;
    let rest = rest.strip_prefix("!/").or_else(|| rest.strip_prefix('/'))?;
    (!rest.is_empty()).then(|| rest.to_string())
}

/// A rule that fired on a device.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// `<rule>@<device id>`.
    pub id: String,
    pub rule: String,
    pub title: String,
    /// Effective severity: `info` when the problem is recovered.
    pub severity: Severity,
    pub rule_severity: Severity,
    pub device: String,
    pub device_name: String,
    #[serde(skip)]
    pub device_index: usize,
    pub root_cause: bool,
    /// `current` or `recovered`.
    #[schemars(extend("enum" = ["current", "recovered"]))]
    pub status: &'static str,
    pub explained_by: Vec<String>,
    pub explains: Vec<String>,
    pub message: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub evidence: Vec<EvidenceItem>,
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub recovered_at: Option<Timestamp>,
    pub hosts: Vec<String>,
    pub captures: BTreeMap<String, String>,
}

/// Why a check was not evaluated (cli-contract.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotEvaluatedReason {
    /// The upload holds no member of a kind the condition reads, or a fact it needs is absent.
    MissingData,
    /// As `missing-data`, on a device whose bundle is damaged: the data may be in the part cut off.
    CutOff,
    /// A time condition on a device with no known time.
    NoTime,
    /// The rule's `applies_to` has a version range, the device's version is unknown, and the
    /// rule says `unknown_version: skip`.
    UnknownVersion,
    /// A `finding:` condition names a rule that was not evaluated on the device.
    Depends,
}

/// A rule that could not run on a device for lack of data.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NotEvaluated {
    pub rule: String,
    pub title: String,
    pub device: String,
    pub device_name: String,
    pub reason: NotEvaluatedReason,
    /// Facts or artifacts that were missing.
    pub needs: Vec<String>,
    /// What to ask the customer for.
    pub ask: String,
}

/// Records of a records condition cited as evidence; `records` in templates has them all.
const MAX_RECORD_EVIDENCE: usize = 10;

#[derive(Debug, Clone, Default)]
struct Hit {
    evidence: Vec<EvidenceItem>,
    /// The records a records condition matched, in document order.
    records: Vec<serde_json::Value>,
    captures: BTreeMap<String, String>,
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    current: bool,
    recovered_at: Option<Timestamp>,
    hosts: BTreeSet<String>,
    own: bool,
    inherited: bool,
    /// Every matching line, inside or outside `within`/`window` (`total_count`).
    total: u64,
}

impl Hit {
    fn merge(&mut self, other: Hit) {
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

enum Outcome {
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
enum RuleState {
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

struct Scope<'a> {
    device: &'a Device,
    /// The FMC whose settings a managed device inherits (facts declared `from_manager`).
    manager: Option<&'a Device>,
    /// The loaded domain tables (host classes).
    domain: &'a Domain,
    /// The FMC that `manager.<fact>` reads (cli-contract.md, "Root-cause relations: scope").
    explicit_manager: Option<&'a Device>,
    /// The rules already evaluated on this device.
    done: &'a HashMap<&'a str, RuleState>,
    /// The loaded fact declarations (which facts live on the manager).
    facts: &'a crate::artifacts::FactCatalog,
}

impl Scope<'_> {
    /// A fact of the device, with whether it was inherited from the manager. `manager.<fact>`
    /// reads `<fact>` of the managing FMC, else the fact the device declares under the full name.
    fn fact(&self, name: &str) -> Option<(&Fact, bool)> {
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

    fn eval(&self, cond: &Cond) -> Outcome {
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

    fn eval_finding(&self, rule: &str, status: FindingStatus) -> Outcome {
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
    fn eval_records(&self, name: &str, all: bool, tests: &[(String, FactOp)]) -> Outcome {
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
            hit.evidence.push(EvidenceItem {
                path: r.path.clone().unwrap_or_else(|| path.clone()),
                line: r.line,
                text: Some(FactValue::Records(vec![(*r).clone()]).to_string()),
                count: None,
                first_seen: None,
                last_seen: None,
                host: None,
                member: None,
                context_before: Vec::new(),
                context_after: Vec::new(),
                first: None,
                stamps: Vec::new(),
            });
        }
        Outcome::Fired(hit)
    }

    fn eval_compare(
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
    fn eval_sequence(
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

    fn eval_fact(&self, name: &str, op: &FactOp) -> Outcome {
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
    fn keyed(&self, pattern: usize, class: Option<&str>) -> BTreeMap<HitKey, HitAgg> {
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

    fn eval_lines(&self, c: &LinesCond) -> Outcome {
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
    fn eval_mixed(&self, all_logs: &[MixedLog], outcome_kinds: &[ArtifactKind]) -> Outcome {
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
struct Counted {
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Counted {
    /// The stamps (ascending) from `lo` to `hi`, both included.
    fn of(stamps: &[i64], lo: i64, hi: i64) -> Counted {
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
fn fullest_window(stamps: &[i64], width: i64) -> Option<(i64, i64)> {
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
struct HostOutcomes {
    working: BTreeSet<std::net::IpAddr>,
    failing: BTreeSet<std::net::IpAddr>,
    /// (connected, the addresses the evidence names, the evidence).
    rows: Vec<(bool, BTreeSet<std::net::IpAddr>, EvidenceItem)>,
    failures: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl HostOutcomes {
    fn add(&mut self, connected: bool, addrs: &BTreeSet<std::net::IpAddr>, item: EvidenceItem) {
        let set = if connected {
            &mut self.working
        } else {
            &mut self.failing
        };
        set.extend(addrs.iter().copied());
        self.rows.push((connected, addrs.clone(), item));
    }
}

fn later(a: &crate::facts::HitSample, b: &crate::facts::HitSample) -> bool {
    match (a.time, b.time) {
        (Some(x), Some(y)) => x > y,
        _ => a.seq > b.seq,
    }
}

fn is_public_ip(addr: &std::net::IpAddr) -> bool {
    match addr {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

fn text_eq(value: &FactValue, want: &serde_json::Value) -> bool {
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

fn apply(value: &FactValue, op: &FactOp) -> bool {
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

fn ask_for(needs: &BTreeSet<String>, facts: &crate::artifacts::FactCatalog, lang: Lang) -> String {
    let sources: BTreeSet<&str> = needs
        .iter()
        .map(|n| match n.strip_prefix("artifact ") {
            Some(kind) => kind,
            None => facts
                .lookup(n)
                .map(|d| d.source.as_str())
                .unwrap_or(n.as_str()),
        })
        .collect();
    sentences::bundle_that_includes(lang, &sources.into_iter().collect::<Vec<_>>().join("; "))
}

/// A time as engineers read it in case notes: UTC, to the second.
fn human_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `manager` is the FMC the `manager.` scope reads: templates see its facts as
/// `facts["manager.<fact>"]`, over the device's own facts of that name, as conditions do.
fn finding(
    rule: &Rule,
    device: &Device,
    manager: Option<&Device>,
    index: usize,
    mut hit: Hit,
    lang: Lang,
) -> Finding {
    for e in &mut hit.evidence {
        e.member = member_in(&device.bundle, &e.path);
        if let Some(first) = &mut e.first {
            first.member = member_in(&device.bundle, &first.path);
        }
    }
    let severity = if hit.current {
        rule.severity
    } else {
        Severity::Info
    };
    let mut context = BTreeMap::new();
    let mut facts: BTreeMap<String, String> = device
        .facts
        .iter()
        .map(|(k, f)| (k.clone(), f.value.to_string()))
        .collect();
    for (k, f) in manager.iter().flat_map(|m| m.facts.iter()) {
        facts.insert(format!("manager.{k}"), f.value.to_string());
    }
    context.insert("facts", serde_json::to_value(&facts).unwrap_or_default());
    context.insert(
        "device",
        serde_json::json!({"id": device.id, "name": device.name, "product": device.product.as_str(), "version": device.version}),
    );
    context.insert("count", serde_json::json!(hit.count));
    context.insert("total_count", serde_json::json!(hit.total.max(hit.count)));
    context.insert("first_seen", serde_json::json!(hit.first.map(human_time)));
    context.insert("last_seen", serde_json::json!(hit.last.map(human_time)));
    context.insert(
        "recovered_at",
        serde_json::json!(hit.recovered_at.map(human_time)),
    );
    context.insert(
        "hosts",
        serde_json::json!(hit.hosts.iter().collect::<Vec<_>>()),
    );
    context.insert("captures", serde_json::json!(hit.captures));
    if !hit.records.is_empty() {
        context.insert("record", hit.records[0].clone());
        context.insert("records", serde_json::Value::Array(hit.records.clone()));
    }
    context.insert(
        "evidence",
        serde_json::to_value(&hit.evidence).unwrap_or_default(),
    );
    let mut value = serde_json::to_value(&context).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for (k, v) in &hit.captures {
            map.entry(k.clone())
                .or_insert(serde_json::Value::String(v.clone()));
        }
    }
    let render = |template: &str| {
        let env = minijinja::Environment::new();
        env.render_str(
            template,
            minijinja::value::Value::from(minijinja::value::Serde(&value)),
        )
        .unwrap_or_else(|e| format!("{template} (template error: {e})"))
    };
    let mut message = render(&rule.message).trim().to_string();
    if !hit.current {
        message = sentences::recovered(lang, hit.recovered_at.map(human_time), &message);
    }
    Finding {
        id: format!("{}@{}", rule.id, device.id),
        rule: rule.id.clone(),
        title: rule.title.clone(),
        severity,
        rule_severity: rule.severity,
        device: device.id.clone(),
        device_name: device.name.clone(),
        device_index: index,
        root_cause: false,
        status: if hit.current { "current" } else { "recovered" },
        explained_by: Vec::new(),
        explains: Vec::new(),
        message,
        remediation: render(&rule.remediation).trim().to_string(),
        references: rule.references.clone(),
        evidence: hit.evidence,
        count: hit.count,
        first_seen: hit.first,
        last_seen: hit.last,
        recovered_at: hit.recovered_at,
        hosts: hit.hosts.into_iter().collect(),
        captures: hit.captures,
    }
}

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
fn rank(rules: &RuleSet, devices: &[Device], findings: &mut [Finding]) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::{self, RuleSource};

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
