//! `curl -v` connectivity tests: per member, the outcome of each test of an SSE host and the
//! addresses it dialled ([`summary`]); per device, the `curl.*` host lists of all its members
//! ([`Lists`]).

use std::collections::BTreeSet;

use super::builder::Builder;
use crate::artifacts::ArtifactKind;
use crate::domain::Domain;
use crate::facts::unit::{CurlSummary, cap_chars};
use crate::facts::{AddrOutcome, Evidence, FactValue, regions};
use crate::limits::Limits;
use crate::parse::curl_test::{self, CurlOutcome};

/// The list of [`CurlSummary::lines`] each test's outcome line goes to: ok, failed, tls.
const OK: usize = 0;
const FAILED: usize = 1;
const TLS: usize = 2;
/// The first test's line, whatever its outcome.
const ANY: usize = 3;

/// What one member's tests say about the SSE hosts they tried.
pub(super) fn summary(
    kind: ArtifactKind,
    path: &str,
    doc: &str,
    limits: &Limits,
    domain: &Domain,
) -> CurlSummary {
    let mut ok = BTreeSet::new();
    let mut failed = BTreeSet::new();
    let mut tls = BTreeSet::new();
    let mut lines: [Option<(u32, String)>; 4] = Default::default();
    let mut outcomes = Vec::new();
    for test in curl_test::parse(doc) {
        let Some(host) = test.host.as_deref().map(str::to_ascii_lowercase) else {
            continue;
        };
        if !regions::is_sse_host(domain, &host) {
            continue;
        }
        for a in &test.attempts {
            outcomes.push(AddrOutcome {
                kind,
                host: host.clone(),
                addr: a.addr,
                connected: a.connected,
                evidence: Evidence {
                    path: path.to_string(),
                    line: Some(a.line),
                    text: Some(cap_chars(a.detail.trim(), limits.evidence_chars)),
                },
            });
        }
        let line = || Some((test.line, test.detail.clone()));
        // Only a test that checked against the connector CA proves interception.
        let intercepted = test.outcome == CurlOutcome::TlsFailure && test.verified;
        let list = match test.outcome {
            CurlOutcome::Success => OK,
            _ if intercepted => TLS,
            _ => FAILED,
        };
        if lines[list].is_none() {
            lines[list] = line();
        }
        if list == TLS && lines[FAILED].is_none() {
            lines[FAILED] = line();
        }
        if lines[ANY].is_none() {
            lines[ANY] = line();
        }
        match test.outcome {
            CurlOutcome::Success => {
                ok.insert(host);
            }
            // Expired or not yet valid certificates fail the test too: a clock problem, not
            // interception.
            CurlOutcome::Failed | CurlOutcome::TlsFailure | CurlOutcome::CertificateValidity => {
                if intercepted {
                    tls.insert(host.clone());
                }
                failed.insert(host);
            }
        }
    }
    let cap = |set: BTreeSet<String>| -> BTreeSet<String> {
        set.into_iter()
            .take(limits.list_items)
            .map(|h| crate::limits::cap_text(&h, limits.value_chars))
            .collect()
    };
    outcomes.truncate(limits.list_items.max(1) * 4);
    CurlSummary {
        outcomes,
        ok: cap(ok),
        failed: cap(failed),
        tls: cap(tls),
        lines,
    }
}

/// The `curl.*` host lists of a device, gathered over its members in reading order.
#[derive(Default)]
pub(super) struct Lists {
    seen: bool,
    path: String,
    ok: BTreeSet<String>,
    failed: BTreeSet<String>,
    tls: BTreeSet<String>,
    lines: [Option<(u32, String)>; 4],
}

impl Lists {
    pub(super) fn add(&mut self, path: &str, curl: &CurlSummary) {
        self.seen = true;
        self.path = path.to_string();
        self.ok.extend(curl.ok.iter().cloned());
        self.failed.extend(curl.failed.iter().cloned());
        self.tls.extend(curl.tls.iter().cloned());
        for (mine, theirs) in self.lines.iter_mut().zip(&curl.lines) {
            if theirs.is_some() {
                *mine = theirs.clone();
            }
        }
    }

    /// Sets the lists when the device holds any curl test. Each list's evidence is its first
    /// test's outcome line; an empty list's, the first test's.
    pub(super) fn set(self, b: &mut Builder<'_>) {
        if !self.seen {
            return;
        }
        let lines = &self.lines;
        let line = |list: usize| lines[list].as_ref().or(lines[ANY].as_ref());
        for (name, list, hosts) in [
            ("curl.failed_hosts", FAILED, self.failed),
            ("curl.ok_hosts", OK, self.ok),
            ("curl.tls_intercepted_hosts", TLS, self.tls),
        ] {
            let at = line(list);
            b.set(
                name,
                FactValue::List(hosts.into_iter().collect()),
                &self.path,
                at.map(|(n, _)| *n),
                at.map(|(_, t)| t.as_str()),
            );
        }
    }
}
