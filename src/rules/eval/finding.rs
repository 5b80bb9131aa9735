//! What a rule that fired becomes: a [`Finding`] with its evidence (file, line, context), its
//! message and remediation rendered from the rule's templates, and, for a check that could not
//! run, the [`NotEvaluated`] entry that says which data to ask the customer for.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::facts::hits::HitAgg;
use crate::facts::{ContextLine, Device, Evidence};
use crate::i18n::Lang;
use crate::rules::i18n::sentences;
use crate::rules::{Rule, Severity};

use super::conditions::Hit;

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
    pub(super) fn from_fact(e: &Evidence) -> Self {
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
    pub(super) fn from_hits(agg: &HitAgg, count: u64, host: Option<String>, problem: bool) -> Self {
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
pub(super) fn member_in(root: &str, path: &str) -> Option<String> {
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

pub(super) fn ask_for(
    needs: &BTreeSet<String>,
    facts: &crate::artifacts::FactCatalog,
    lang: Lang,
) -> String {
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
pub(super) fn human_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `manager` is the FMC the `manager.` scope reads: templates see its facts as
/// `facts["manager.<fact>"]`, over the device's own facts of that name, as conditions do.
pub(super) fn finding(
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
