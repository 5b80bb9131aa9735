//! Did the fix work? Two analyses of the same case, before and after, compared per device.
//!
//! The customer applies the fix and uploads again. Devices are matched by appliance UUID, else by
//! host name; for each matched device every current warning or critical finding of the earlier
//! upload is **resolved** (absent or recovered later), **persisting** (still current) or
//! **unknown** (its rule could not be evaluated later: data missing, upload cut off, device not in
//! the later upload): a finding is never called resolved for lack of data. Current findings of
//! the later upload that were not current before are **new**. Root causes come first in each list.

use jiff::Timestamp;
use serde::Serialize;

use crate::facts::Device;
use crate::pipeline::Analysis;
use crate::rules::{Finding, NotEvaluatedReason, Severity};

/// Version of the diff's JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

/// One finding as one side saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub finding: String,
    pub severity: Severity,
    pub status: &'static str,
    pub root_cause: bool,
    pub message: String,
    pub last_seen: Option<Timestamp>,
    pub recovered_at: Option<Timestamp>,
}

impl Side {
    fn of(f: &Finding) -> Side {
        Side {
            finding: f.id.clone(),
            severity: f.severity,
            status: f.status,
            root_cause: f.root_cause,
            message: f.message.clone(),
            last_seen: f.last_seen,
            recovered_at: f.recovered_at,
        }
    }
}

/// A rule on a device, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub rule: String,
    pub title: String,
    /// The device's name (the later upload's, when it is in both).
    pub device: String,
    pub device_name: String,
    /// The finding's severity where it is current (before for resolved and unknown ones).
    pub severity: Severity,
    pub root_cause: bool,
    pub before: Option<Side>,
    pub after: Option<Side>,
    /// Why a change is unknown: the later upload's reason, or `device-missing`.
    pub why_unknown: Option<String>,
}

/// A device and its counterpart.
#[derive(Debug, Clone, Serialize)]
pub struct DevicePair {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// `appliance-uuid`, `host-name`, or none (in one upload only).
    pub matched_by: Option<&'static str>,
}

/// What changed between two uploads.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema_version: u32,
    pub before_inputs: Vec<String>,
    pub after_inputs: Vec<String>,
    pub devices: Vec<DevicePair>,
    pub resolved: Vec<Change>,
    pub persisting: Vec<Change>,
    pub new: Vec<Change>,
    pub unknown: Vec<Change>,
}

impl Diff {
    /// True when a persisting or new current finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.persisting
            .iter()
            .chain(&self.new)
            .any(|c| c.after.as_ref().is_some_and(|a| a.severity >= threshold))
    }
}

fn appliance_uuid(d: &Device) -> Option<String> {
    d.fact("device.appliance_id")
        .map(|f| f.value.to_string().to_ascii_lowercase())
}

/// Pairs devices: by appliance UUID, else by host name (case-insensitive).
fn pair(
    before: &[Device],
    after: &[Device],
) -> Vec<(Option<usize>, Option<usize>, Option<&'static str>)> {
    let mut pairs = Vec::new();
    let mut taken = vec![false; after.len()];
    for (b, dev) in before.iter().enumerate() {
        let by_uuid = appliance_uuid(dev).and_then(|u| {
            (0..after.len()).find(|&a| !taken[a] && appliance_uuid(&after[a]).as_ref() == Some(&u))
        });
        let found = by_uuid.map(|a| (a, "appliance-uuid")).or_else(|| {
            (0..after.len())
                .find(|&a| !taken[a] && after[a].name.eq_ignore_ascii_case(&dev.name))
                .map(|a| (a, "host-name"))
        });
        match found {
            Some((a, how)) => {
                taken[a] = true;
                pairs.push((Some(b), Some(a), Some(how)));
            }
            None => pairs.push((Some(b), None, None)),
        }
    }
    for (a, t) in taken.iter().enumerate() {
        if !t {
            pairs.push((None, Some(a), None));
        }
    }
    pairs
}

fn current(f: &Finding) -> bool {
    f.status == "current" && f.severity >= Severity::Warning
}

fn reason_text(r: NotEvaluatedReason) -> String {
    match r {
        NotEvaluatedReason::MissingData => "missing-data",
        NotEvaluatedReason::CutOff => "cut-off",
        NotEvaluatedReason::NoTime => "no-time",
        NotEvaluatedReason::UnknownVersion => "unknown-version",
        NotEvaluatedReason::Depends => "depends",
    }
    .to_string()
}

/// Compares two analyses of one case.
pub fn diff(before: &Analysis, after: &Analysis) -> Diff {
    let mut out = Diff {
        schema_version: SCHEMA_VERSION,
        before_inputs: before.case.inputs.clone(),
        after_inputs: after.case.inputs.clone(),
        devices: Vec::new(),
        resolved: Vec::new(),
        persisting: Vec::new(),
        new: Vec::new(),
        unknown: Vec::new(),
    };
    let on = |analysis: &'_ Analysis, index: usize| -> Vec<Finding> {
        analysis
            .findings
            .iter()
            .filter(|f| f.device_index == index)
            .cloned()
            .collect()
    };
    for (b, a, how) in pair(&before.case.devices, &after.case.devices) {
        let bdev = b.map(|i| &before.case.devices[i]);
        let adev = a.map(|i| &after.case.devices[i]);
        let named = adev.or(bdev).expect("one side");
        out.devices.push(DevicePair {
            name: named.name.clone(),
            before: bdev.map(|d| d.id.clone()),
            after: adev.map(|d| d.id.clone()),
            matched_by: how,
        });
        let bf = b.map(|i| on(before, i)).unwrap_or_default();
        let af = a.map(|i| on(after, i)).unwrap_or_default();
        let change = |rule: &Finding, before: Option<&Finding>, after: Option<&Finding>| Change {
            rule: rule.rule.clone(),
            title: rule.title.clone(),
            device: named.id.clone(),
            device_name: named.name.clone(),
            severity: rule.severity,
            root_cause: rule.root_cause,
            before: before.map(Side::of),
            after: after.map(Side::of),
            why_unknown: None,
        };
        for f in bf.iter().filter(|f| current(f)) {
            let later = af.iter().find(|x| x.rule == f.rule);
            match (adev, later) {
                (None, _) => {
                    let mut c = change(f, Some(f), None);
                    c.why_unknown = Some("device-missing".into());
                    out.unknown.push(c);
                }
                (Some(_), Some(x)) if current(x) => {
                    let mut c = change(x, Some(f), Some(x));
                    c.root_cause = x.root_cause;
                    out.persisting.push(c);
                }
                (Some(d), later) => {
                    let not_evaluated = after
                        .not_evaluated
                        .iter()
                        .find(|n| n.rule == f.rule && n.device == d.id);
                    match (later, not_evaluated) {
                        (Some(x), _) => out.resolved.push(change(f, Some(f), Some(x))),
                        (None, Some(n)) => {
                            let mut c = change(f, Some(f), None);
                            c.why_unknown = Some(reason_text(n.reason));
                            out.unknown.push(c);
                        }
                        (None, None) => out.resolved.push(change(f, Some(f), None)),
                    }
                }
            }
        }
        for x in af.iter().filter(|x| current(x)) {
            if !bf.iter().any(|f| f.rule == x.rule && current(f)) {
                let earlier = bf.iter().find(|f| f.rule == x.rule);
                out.new.push(change(x, earlier, Some(x)));
            }
        }
    }
    for list in [
        &mut out.resolved,
        &mut out.persisting,
        &mut out.new,
        &mut out.unknown,
    ] {
        list.sort_by(|x, y| {
            y.root_cause
                .cmp(&x.root_cause)
                .then(y.severity.cmp(&x.severity))
                .then(x.rule.cmp(&y.rule))
                .then(x.device_name.cmp(&y.device_name))
        });
    }
    out
}
