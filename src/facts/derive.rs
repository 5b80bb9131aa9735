//! Parsed artifacts → named facts, per device.
//!
//! Each document is summarised here when its member ends ([`summarize`]: the facts it sets, its
//! text dropped); once a device root is complete, [`device`] replays the summaries (a member's
//! meaning may depend on another, e.g. the version says whether a missing SSEConnector block
//! matters) and stores each result under the name the registry gives it, with its evidence.
//! Which roots are devices, and where loose files go, is [`super::case`]'s job. Snapshot facts that say "absent" are only set when the
//! artifact that would show them is present, so that "no data" and "not there" stay distinct.

use std::collections::{BTreeMap, BTreeSet};

use super::regions;
use super::unit::{BundleState, CurlSummary, DocSummary, cap_chars};
use super::{Device, Evidence, Fact, FactValue, Product, Record};
use crate::artifacts::FactCatalog;
use crate::artifacts::{ArtifactKind, Builtin, Format};
use crate::domain::Domain;
use crate::limits::Limits;
use crate::parse::{
    cloud_settings, connector_context, connector_properties, curl_test, ident, licensing, lsof,
    netstat, pmtool, syslog, version,
};

struct Builder<'a> {
    facts: BTreeMap<String, Fact>,
    limits: &'a Limits,
    /// What the loaded packs declare: every value is checked against its fact's type.
    catalog: &'a FactCatalog,
    domain: &'a Domain,
    /// Facts whose values were cut.
    cut: BTreeSet<String>,
    /// Values refused: the fact is not declared, or the value is not of its declared type.
    rejected: BTreeSet<String>,
}

impl<'a> Builder<'a> {
    fn new(limits: &'a Limits, catalog: &'a FactCatalog, domain: &'a Domain) -> Self {
        Builder {
            facts: BTreeMap::new(),
            limits,
            catalog,
            domain,
            cut: BTreeSet::new(),
            rejected: BTreeSet::new(),
        }
    }

    fn evidence(&self, path: &str, line: Option<u32>, text: Option<&str>) -> Evidence {
        Evidence {
            path: crate::limits::cap_text(path, self.limits.value_chars),
            line,
            text: text.map(|t| cap_chars(t.trim(), self.limits.evidence_chars)),
        }
    }

    fn set(
        &mut self,
        name: &str,
        value: FactValue,
        path: &str,
        line: Option<u32>,
        text: Option<&str>,
    ) {
        let evidence = self.evidence(path, line, text);
        self.put(name, value, Some(evidence));
    }

    /// Stores a fact, its text values cut to `--max-value-chars` and its lists to
    /// `--max-list-items`.
    fn put(&mut self, name: &str, mut value: FactValue, evidence: Option<Evidence>) {
        match self.catalog.lookup(name) {
            Some(decl) if value.fits(decl) => {}
            Some(decl) => {
                let got = value.type_of().map_or("?", |t| t.as_str());
                self.rejected
                    .insert(format!("{name} ({got} value for a {} fact)", decl.ty));
                return;
            }
            None => {
                self.rejected
                    .insert(format!("{name} (declared by no loaded pack)"));
                return;
            }
        }
        if cap_value(&mut value, self.limits) {
            self.cut.insert(name.to_string());
        }
        self.facts
            .insert(name.to_string(), Fact { value, evidence });
    }

    /// A text fact; the value is cut before it is copied.
    fn text(&mut self, name: &str, value: &str, path: &str, line: Option<u32>, doc: &str) {
        let text = line.and_then(|l| line_text(doc, l));
        let capped = crate::limits::cap_text(value, self.limits.value_chars);
        if capped != value {
            // cap_value below does not see the cut: it is already done.
            self.cut.insert(name.to_string());
        }
        let value = capped;
        self.set(name, FactValue::Text(value), path, line, text);
    }
}

/// Cuts a fact's text (and each list item) to `value_chars` and a list to `list_items`; true
/// when anything was cut.
fn cap_value(value: &mut FactValue, limits: &Limits) -> bool {
    let max = limits.value_chars;
    let cap = |t: &mut String| -> bool {
        if t.len() > max && t.chars().nth(max).is_some() {
            *t = crate::limits::cap_text(t, max);
            true
        } else {
            false
        }
    };
    match value {
        FactValue::Text(t) => cap(t),
        FactValue::List(items) => {
            let mut cut = false;
            // A list cut while it was built (lsof peers) already ends in its marker.
            let marked = items.len() == limits.list_items + 1
                && items.last().is_some_and(|l| l.starts_with("…["));
            let mut marker = None;
            if marked {
                marker = items.pop();
            } else if items.len() > limits.list_items {
                let left = items.len() - limits.list_items;
                items.truncate(limits.list_items);
                marker = Some(format!("…[{left} more]"));
                cut = true;
            }
            for item in items.iter_mut() {
                cut |= cap(item);
            }
            items.extend(marker);
            cut
        }
        FactValue::Records(records) => {
            let mut cut = false;
            for r in records.iter_mut() {
                for v in r.fields.values_mut() {
                    cut |= cap_value(v, limits);
                }
            }
            cut
        }
        _ => false,
    }
}

fn line_text(doc: &str, line: u32) -> Option<&str> {
    doc.lines().nth(line.checked_sub(1)? as usize)
}

/// What the loaded packs and the options give the reading of every document.
#[derive(Clone, Copy)]
pub(crate) struct Loaded<'a> {
    pub limits: &'a Limits,
    /// The fact declarations: every value is checked against its fact's type.
    pub catalog: &'a FactCatalog,
    /// The domain tables: which hosts are SSE hosts, and of which region.
    pub domain: &'a Domain,
}

/// Parses one document into what facts need. `path` is its display path; `specs` are the facts
/// the packs declare on its kind.
pub(crate) fn summarize(
    kind: ArtifactKind,
    format: Format,
    path: String,
    doc: &str,
    specs: &[crate::artifacts::spec::FactSpec],
    loaded: Loaded<'_>,
) -> DocSummary {
    let Loaded {
        limits,
        catalog,
        domain,
    } = loaded;
    let mut b = Builder::new(limits, catalog, domain);
    let builtin = format.builtin();
    let mut summary = DocSummary {
        format: builtin,
        path: String::new(),
        version: None,
        facts: BTreeMap::new(),
        cut: BTreeSet::new(),
        rejected: BTreeSet::new(),
        capped: Vec::new(),
        hostname: None,
        uuid: None,
        curl: None,
    };
    let path = &path;
    let mut name: Option<String> = None;
    let mut uuid: Option<String> = None;
    let mut curl_failed = BTreeSet::new();
    let mut curl_ok = BTreeSet::new();
    let mut curl_tls = BTreeSet::new();
    let mut curl_lines: [Option<(u32, String)>; 4] = Default::default();
    let mut outcomes = Vec::new();
    if matches!(builtin, Some(Builtin::SfVersion | Builtin::ShowVersion)) {
        let info = if builtin == Some(Builtin::SfVersion) {
            version::parse_sf_version(doc)
        } else {
            version::parse_show_version(doc)
        };
        if let Some(mut info) = info {
            let evidence = b.evidence(path, Some(info.line), line_text(doc, info.line));
            let vc = limits.value_chars;
            info.hostname = info.hostname.map(|h| crate::limits::cap_text(&h, vc));
            info.uuid = info.uuid.map(|u| crate::limits::cap_text(&u, vc));
            if info.model.len() > vc {
                info.model = crate::limits::cap_text(&info.model, vc);
                summary.cut.insert("device.model".into());
            }
            summary.version = Some((info, evidence));
        }
    }
    match builtin {
        Some(Builtin::Hostname) => {
            if let Some(h) = ident::parse_hostname(doc) {
                b.text("device.name", &h.value, path, Some(h.line), doc);
                name = Some(h.value);
            }
        }
        Some(Builtin::ImsConf) => {
            if let Some(u) = ident::parse_ims_conf(doc).appliance_uuid {
                b.text("device.appliance_id", &u.value, path, Some(u.line), doc);
                uuid = Some(u.value);
            }
        }
        Some(Builtin::ConnectorProperties) => {
            connector_facts(&mut b, path, doc);
        }
        Some(Builtin::Pmtool) => pmtool_facts(&mut b, path, doc),
        Some(Builtin::Netstat) => netstat_facts(&mut b, path, doc),
        Some(Builtin::Lsof) => lsof_facts(&mut b, path, doc),
        Some(Builtin::Licensing) => licensing_facts(&mut b, path, doc),
        Some(Builtin::CloudSettings) => cloud_facts(&mut b, path, doc),
        Some(Builtin::ConnectorContext) => context_facts(&mut b, path, doc),
        Some(Builtin::Curl) => {
            for test in curl_test::parse(doc) {
                let Some(host) = test.host.as_deref().map(str::to_ascii_lowercase) else {
                    continue;
                };
                if !regions::is_sse_host(b.domain, &host) {
                    continue;
                }
                for a in &test.attempts {
                    outcomes.push(super::AddrOutcome {
                        kind,
                        host: host.clone(),
                        addr: a.addr,
                        connected: a.connected,
                        evidence: Evidence {
                            path: path.clone(),
                            line: Some(a.line),
                            text: Some(cap_chars(a.detail.trim(), limits.evidence_chars)),
                        },
                    });
                }
                let line = || Some((test.line, test.detail.clone()));
                let tls = test.outcome == curl_test::CurlOutcome::TlsFailure && test.verified;
                let list = match test.outcome {
                    curl_test::CurlOutcome::Success => 0,
                    _ if tls => 2,
                    _ => 1,
                };
                if curl_lines[list].is_none() {
                    curl_lines[list] = line();
                }
                if list == 2 && curl_lines[1].is_none() {
                    curl_lines[1] = line();
                }
                if curl_lines[3].is_none() {
                    curl_lines[3] = line();
                }
                match test.outcome {
                    curl_test::CurlOutcome::Success => {
                        curl_ok.insert(host);
                    }
                    curl_test::CurlOutcome::Failed => {
                        curl_failed.insert(host);
                    }
                    curl_test::CurlOutcome::TlsFailure => {
                        // Only a test that checked against the connector CA proves interception.
                        if test.verified {
                            curl_tls.insert(host.clone());
                        }
                        curl_failed.insert(host);
                    }
                    // Expired or not yet valid: a failed test, but a clock problem, not
                    // interception.
                    curl_test::CurlOutcome::CertificateValidity => {
                        curl_failed.insert(host);
                    }
                }
            }
        }
        _ => {}
    }
    // The facts the packs declare on this kind, read by the generic formats.
    if !specs.is_empty() {
        let mut found = super::extract::Found::new(limits);
        super::extract::run(specs, doc, &mut found);
        for (name, value, line) in found.values {
            b.set(
                &name,
                value,
                path,
                line,
                line.and_then(|l| line_text(doc, l)),
            );
        }
        summary.capped = found
            .capped
            .into_iter()
            .map(|(code, message)| (code, format!("{path}: {message}")))
            .collect();
    }
    summary.path = path.clone();
    summary.hostname = name.map(|n| crate::limits::cap_text(&n, limits.value_chars));
    summary.uuid = uuid.map(|u| crate::limits::cap_text(&u, limits.value_chars));
    if builtin == Some(Builtin::Curl) {
        let cap = |set: BTreeSet<String>| -> BTreeSet<String> {
            set.into_iter()
                .take(limits.list_items)
                .map(|h| crate::limits::cap_text(&h, limits.value_chars))
                .collect()
        };
        outcomes.truncate(limits.list_items.max(1) * 4);
        summary.curl = Some(CurlSummary {
            outcomes,
            ok: cap(curl_ok),
            failed: cap(curl_failed),
            tls: cap(curl_tls),
            lines: curl_lines,
        });
    }
    summary.facts = b.facts;
    summary.cut.extend(b.cut);
    summary.rejected = b.rejected;
    summary
}

/// The records of `earlier` then those of `later` (a later member of the same kind), each
/// naming its member, at most `cap`; None when `earlier` is not a records fact.
fn combine_records(earlier: &Fact, later: &[Record], fact: &Fact, cap: usize) -> Option<Fact> {
    let FactValue::Records(first) = &earlier.value else {
        return None;
    };
    let member = |f: &Fact| f.evidence.as_ref().map(|e| e.path.clone());
    let tag = |records: &[Record], path: Option<String>| -> Vec<Record> {
        records
            .iter()
            .map(|r| Record {
                path: r.path.clone().or_else(|| path.clone()),
                ..r.clone()
            })
            .collect()
    };
    let mut all = tag(first, member(earlier));
    all.extend(tag(later, member(fact)));
    all.truncate(cap);
    Some(Fact {
        value: FactValue::Records(all),
        evidence: earlier.evidence.clone(),
    })
}

pub(crate) fn device(
    state: BundleState,
    limits: &Limits,
    catalog: &FactCatalog,
    domain: &Domain,
    warnings: &mut Vec<crate::ingest::Warning>,
) -> Device {
    let mut b = Builder::new(limits, catalog, domain);
    let mut product = Product::Unknown;
    let mut name: Option<String> = None;
    let mut version_text: Option<String> = None;
    let mut uuid: Option<String> = None;
    let mut curl_failed = BTreeSet::new();
    let mut curl_ok = BTreeSet::new();
    let mut curl_tls = BTreeSet::new();
    let mut curl_path = String::new();
    let mut curl_lines: [Option<(u32, String)>; 4] = Default::default();
    let mut outcomes = Vec::new();
    let mut properties_seen = false;

    // Version documents first: other facts depend on the product.
    for summary in &state.documents {
        let Some((info, evidence)) = &summary.version else {
            continue;
        };
        if version_text.is_some() && summary.format == Some(Builtin::ShowVersion) {
            continue; // sf-version is the more precise source
        }
        if info.product != Product::Unknown {
            product = info.product;
        }
        b.put(
            "device.product",
            FactValue::Text(product.as_str().to_string()),
            Some(evidence.clone()),
        );
        b.put(
            "device.version",
            FactValue::Version(info.version.clone()),
            Some(evidence.clone()),
        );
        b.put(
            "device.model",
            FactValue::Text(info.model.clone()),
            Some(evidence.clone()),
        );
        version_text = Some(info.version.to_string());
        if let Some(h) = &info.hostname {
            name.get_or_insert(h.clone());
        }
        if let Some(u) = &info.uuid {
            uuid.get_or_insert(u.clone());
        }
    }

    // Then every other document, in reading order: a later one overrides an earlier one, but
    // for a records fact, which lists what every member of its kind holds (each df output).
    for summary in &state.documents {
        for (fact, value) in &summary.facts {
            let combined = match (b.facts.get(fact), &value.value) {
                (Some(earlier), FactValue::Records(later)) => {
                    combine_records(earlier, later, value, limits.records_per_fact)
                }
                _ => None,
            };
            b.facts
                .insert(fact.clone(), combined.unwrap_or_else(|| value.clone()));
        }
        b.cut.extend(summary.cut.iter().cloned());
        b.rejected.extend(summary.rejected.iter().cloned());
        for (code, message) in &summary.capped {
            warnings.push(crate::ingest::Warning {
                code,
                path: summary.path.clone(),
                message: message.clone(),
            });
        }
        if let Some(h) = &summary.hostname {
            name = Some(h.clone());
        }
        if let Some(u) = &summary.uuid {
            uuid = Some(u.clone());
        }
        properties_seen |= summary.format == Some(Builtin::ConnectorProperties);
        if let Some(curl) = &summary.curl {
            curl_path = summary.path.clone();
            outcomes.extend(curl.outcomes.iter().cloned());
            curl_ok.extend(curl.ok.iter().cloned());
            curl_failed.extend(curl.failed.iter().cloned());
            curl_tls.extend(curl.tls.iter().cloned());
            for (mine, theirs) in curl_lines.iter_mut().zip(&curl.lines) {
                if theirs.is_some() {
                    *mine = theirs.clone();
                }
            }
        }
    }
    // Each list's evidence is its first test's outcome line; an empty list's, the first test's.
    let curl_line = |list: usize| curl_lines[list].as_ref().or(curl_lines[3].as_ref());
    if state
        .documents
        .iter()
        .any(|d| d.format == Some(Builtin::Curl))
    {
        for (name, list, hosts) in [
            ("curl.failed_hosts", 1, curl_failed),
            ("curl.ok_hosts", 0, curl_ok),
            ("curl.tls_intercepted_hosts", 2, curl_tls),
        ] {
            let at = curl_line(list);
            b.set(
                name,
                FactValue::List(hosts.into_iter().collect()),
                &curl_path,
                at.map(|(n, _)| *n),
                at.map(|(_, t)| t.as_str()),
            );
        }
    }
    if !properties_seen && let Some(member) = &state.etc_sf_member {
        b.set(
            "connector.properties.present",
            FactValue::Bool(false),
            member,
            None,
            None,
        );
    }
    if product == Product::Unknown && state.show_tech {
        product = Product::Ftd;
    }
    let has_connector_log = state.formats.contains(&Builtin::ConnectorLog);
    let peer_regions: BTreeSet<&str> = state
        .peer_hosts
        .iter()
        .filter_map(|h| regions::region_of_host(domain, h))
        .collect();
    b.set(
        "connector.log.present",
        FactValue::Bool(has_connector_log),
        &state.label,
        None,
        None,
    );
    if has_connector_log {
        let path = state.first_connector_log.clone().unwrap_or_default();
        b.set(
            "connector.peer_regions",
            FactValue::List(peer_regions.iter().map(|s| s.to_string()).collect()),
            &path,
            None,
            None,
        );
    }

    let id = uuid.unwrap_or_else(|| state.label.clone());
    // With no host name in the bundle: the host folder the customer put it in (`FMC1/results-…`),
    // else the archive's file name.
    let name = name.unwrap_or_else(|| {
        state
            .root
            .rsplit('/')
            .find(|s| !s.is_empty() && !s.starts_with("results-"))
            .or_else(|| state.label.rsplit(['/', '!']).find(|s| !s.is_empty()))
            .unwrap_or(&state.label)
            .to_string()
    });
    let name = crate::limits::cap_text(&name, limits.value_chars);
    let id = crate::limits::cap_text(&id, limits.value_chars);
    if !b.cut.is_empty() {
        let cut: Vec<&str> = b.cut.iter().map(String::as_str).collect();
        warnings.push(crate::ingest::Warning {
            code: "limit-value-chars",
            path: state.label.clone(),
            message: format!(
                "values of {} cut to {} characters or {} items (--max-value-chars, --max-list-items)",
                cut.join(", "),
                limits.value_chars,
                limits.list_items
            ),
        });
    }
    if !b.rejected.is_empty() {
        let rejected: Vec<&str> = b.rejected.iter().map(String::as_str).collect();
        warnings.push(crate::ingest::Warning {
            code: "fact-type",
            path: state.label.clone(),
            message: format!(
                "values not stored, as no loaded declaration allows them: {}",
                rejected.join(", ")
            ),
        });
    }
    if state.artifacts_omitted > 0 {
        warnings.push(crate::ingest::Warning {
            code: "limit-inventory",
            path: state.label.clone(),
            message: format!(
                "{} artifact(s) read but not listed (--max-inventory-rows {}); every kind is still seen by the rules",
                state.artifacts_omitted, limits.inventory_rows
            ),
        });
    }
    let mut hits = state.hits;
    let host_of_addr = state.host_of_addr;
    hits.resolve_keys(|addr| host_of_addr.get(addr).cloned());
    // Time (bundle-format §6): the stamp and the syslog are the device's wall clock, read in its
    // zone (UTC when the bundle names none, and the report says so); the syslog's year is the
    // collection's. No clock of this machine is read.
    let zone = state
        .zone
        .as_ref()
        .map(|z| z.zone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let wall = |t: jiff::Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let reference = state.stamped.map(wall).or_else(|| {
        state
            .newest_log
            .map(|t| t.to_zoned(zone.clone()).datetime())
    });
    let place = |t: jiff::Timestamp| reference.and_then(|r| syslog::place(t, r, &zone));
    hits.retime(place);
    let (stamps, values) = hits.dropped();
    for (code, n, what) in [
        (
            "limit-window-stamps",
            stamps,
            format!(
                "time stamps of matching lines were not kept (--max-window-stamps {}): `within`, `window` and `sequence` counted on the newest",
                limits.window_stamps
            ),
        ),
        (
            "limit-distinct-values",
            values,
            format!(
                "distinct capture values were not kept (--max-distinct-values {}): `min_distinct` counted the first ones",
                limits.distinct_values
            ),
        ),
        (
            "limit-groups",
            hits.keys_dropped,
            format!(
                "matching lines of a further host or `group_by` value were not counted (--max-groups {})",
                limits.groups
            ),
        ),
    ] {
        if n > 0 {
            warnings.push(crate::ingest::Warning {
                code,
                path: state.label.clone(),
                message: format!("{n} {what}"),
            });
        }
    }
    let stamp = state.stamped.and_then(|t| {
        zone.to_ambiguous_zoned(wall(t))
            .compatible()
            .ok()
            .map(|z| z.timestamp())
    });
    let newest_syslog = state.newest_local.and_then(place);
    let collected_at = [stamp, state.newest_log, newest_syslog]
        .into_iter()
        .flatten()
        .max();
    let time_zone = state.zone.as_ref().map(|z| {
        z.name
            .clone()
            .unwrap_or_else(|| format!("from {}", z.path.rsplit("!/").next().unwrap_or(&z.path)))
    });
    if state.zone.is_none() && state.formats.contains(&Builtin::Syslog) {
        warnings.push(crate::ingest::Warning {
            code: "no-time-zone",
            path: state.label.clone(),
            message: "the bundle names no time zone (etc/localtime): syslog times are read as UTC"
                .into(),
        });
    }
    Device {
        id,
        product,
        name,
        version: version_text,
        bundle: state.label,
        collected_at,
        time_zone,
        damaged: false,
        duplicates: Vec::new(),
        input: 0,
        artifacts: state.artifacts,
        artifacts_omitted: state.artifacts_omitted,
        kinds: state.kinds,
        facts: b.facts,
        hits,
        outcomes,
        managed_by: None,
    }
}

/// `pmtool status`: the SSEConnector and EventHandler daemons' states.
fn pmtool_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    let daemons = pmtool::parse(doc);
    for (daemon, fact) in [
        ("SSEConnector", "pmtool.sseconnector.state"),
        ("EventHandler", "pmtool.eventhandler.state"),
    ] {
        match daemons.iter().find(|d| d.name.eq_ignore_ascii_case(daemon)) {
            Some(d) => b.text(fact, &d.state, path, Some(d.line), doc),
            None => b.set(fact, FactValue::Text("absent".into()), path, None, None),
        }
    }
}

/// `netstat -anlp`: the EventHandler socket's state.
fn netstat_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    // Rows are looked at one by one: a large output is never held as rows.
    let mut connected: Option<u32> = None;
    let mut listening: Option<u32> = None;
    for s in netstat::unix_sockets(doc) {
        if !s
            .path
            .as_deref()
            .is_some_and(|p| p.contains("EventHandler_SSEConnector.so"))
        {
            continue;
        }
        if connected.is_none() && s.state.eq_ignore_ascii_case("CONNECTED") {
            connected = Some(s.line);
        }
        if listening.is_none() && s.state.eq_ignore_ascii_case("LISTENING") {
            listening = Some(s.line);
        }
        if connected.is_some() {
            break;
        }
    }
    match (connected, listening) {
        (Some(line), _) => b.text(
            "sockets.eventhandler.state",
            "connected",
            path,
            Some(line),
            doc,
        ),
        (None, Some(line)) => b.text(
            "sockets.eventhandler.state",
            "listening",
            path,
            Some(line),
            doc,
        ),
        (None, None) => b.set(
            "sockets.eventhandler.state",
            FactValue::Text("absent".into()),
            path,
            None,
            None,
        ),
    }
}

/// `lsof -i`: the connector's https connections.
fn lsof_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    let limits = b.limits;
    // Rows are looked at one by one: counts and the first lines are kept, and peers up
    // to the list cap.
    let state_is = |r: &lsof::LsofRow, s: &str| {
        r.state
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(s))
    };
    let (mut established, mut syn) = (0i64, 0i64);
    let (mut first_established, mut first_syn) = (None, None);
    let mut peers: Vec<String> = Vec::new();
    let mut more_peers = 0u64;
    for r in lsof::rows(doc) {
        let connector =
            r.command.starts_with("connector") || r.command.eq_ignore_ascii_case("sseconnector");
        let https = r.remote.as_deref().is_some_and(|p| {
            lsof::split_host_port(p).1 == "https" || lsof::split_host_port(p).1 == "443"
        });
        if !connector || !https {
            continue;
        }
        if state_is(&r, "ESTABLISHED") {
            established += 1;
            first_established.get_or_insert(r.line);
        }
        if state_is(&r, "SYN_SENT") {
            syn += 1;
            first_syn.get_or_insert(r.line);
        }
        if peers.len() < limits.list_items {
            peers.push(format!(
                "{} ({})",
                r.remote.unwrap_or_default(),
                r.state.unwrap_or_default()
            ));
        } else {
            more_peers += 1;
        }
    }
    b.set(
        "connector.tcp.established",
        FactValue::Int(established),
        path,
        first_established,
        first_established.and_then(|l| line_text(doc, l)),
    );
    b.set(
        "connector.tcp.syn_sent",
        FactValue::Int(syn),
        path,
        first_syn,
        first_syn.and_then(|l| line_text(doc, l)),
    );
    if more_peers > 0 {
        peers.push(format!("…[{more_peers} more]"));
        b.cut.insert("connector.tcp.peers".into());
    }
    b.set(
        "connector.tcp.peers",
        FactValue::List(peers),
        path,
        None,
        None,
    );
}

/// Smart Licensing status.
fn licensing_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    let cloud = |v: &str| regions::names_licensing_cloud(b.domain, v);
    if let Some(lic) = licensing::parse(doc, &cloud) {
        if let Some(r) = &lic.registration {
            b.text("license.registration", &r.value, path, Some(r.line), doc);
        }
        if let Some(a) = &lic.authorization {
            b.text("license.authorization", &a.value, path, Some(a.line), doc);
        }
        let eval_line = lic
            .registration
            .as_ref()
            .or(lic.authorization.as_ref())
            .map(|l| l.line);
        b.set(
            "license.evaluation",
            FactValue::Bool(lic.evaluation),
            path,
            eval_line,
            eval_line.and_then(|l| line_text(doc, l)),
        );
        match &lic.satellite {
            Some(s) => b.set(
                "license.satellite",
                FactValue::Bool(true),
                path,
                Some(s.line),
                line_text(doc, s.line),
            ),
            None => b.set(
                "license.satellite",
                FactValue::Bool(false),
                path,
                None,
                None,
            ),
        }
    }
}

/// Cloud event configuration and region.
fn cloud_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    let cs = cloud_settings::parse(doc);
    if let Some(e) = &cs.events_enabled {
        b.set(
            "cloud.events.enabled",
            FactValue::Bool(e.value),
            path,
            Some(e.line),
            line_text(doc, e.line),
        );
        b.set(
            "cloud.events.types",
            FactValue::List(cs.event_types.clone()),
            path,
            Some(e.line),
            None,
        );
    }
    if let Some(r) = &cs.region {
        // Unknown names stay as written (upper-cased): the report shows them.
        let name = regions::normalise_region(b.domain, &r.value).unwrap_or(&r.value);
        b.text("cloud.region", name, path, Some(r.line), doc);
    }
}

/// The connector's enrollment context.
fn context_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    if let Some(ctx) = connector_context::parse(doc) {
        if let Some(s) = &ctx.status {
            b.text("context.status", &s.value, path, Some(s.line), doc);
        }
        if let Some(f) = &ctx.fqdn {
            b.text("context.fqdn", &f.value, path, Some(f.line), doc);
        }
    }
}

fn connector_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    let props = connector_properties::parse(doc);
    b.set(
        "connector.properties.present",
        FactValue::Bool(true),
        path,
        None,
        None,
    );
    let mut problems = Vec::new();
    match props.get("connector_fqdn") {
        Some(e) if !e.value.is_empty() => {
            b.text("connector.fqdn", &e.value, path, Some(e.line), doc);
            let region = regions::region_of_api_host(b.domain, &e.value);
            b.text(
                "connector.fqdn.region",
                region.unwrap_or("unknown"),
                path,
                Some(e.line),
                doc,
            );
            if region.is_none() {
                problems.push(format!(
                    "connector_fqdn `{}` is not an SSE API host",
                    crate::limits::cap_text(&e.value, b.limits.value_chars)
                ));
            }
        }
        _ => problems.push("connector_fqdn missing".to_string()),
    }
    match props.get("connector_port") {
        Some(e) => match e.value.parse::<i64>() {
            Ok(port) => {
                b.set(
                    "connector.port",
                    FactValue::Int(port),
                    path,
                    Some(e.line),
                    line_text(doc, e.line),
                );
                if !(1..=65535).contains(&port) {
                    problems.push(format!("connector_port {port} is not 1-65535"));
                }
            }
            Err(_) => problems.push(format!(
                "connector_port `{}` is not a number",
                crate::limits::cap_text(&e.value, b.limits.value_chars)
            )),
        },
        None => problems.push("connector_port missing".to_string()),
    }
    match props.get("registration_interval") {
        Some(e) => match e.value.parse::<i64>() {
            Ok(n) => {
                b.set(
                    "connector.registration_interval",
                    FactValue::Int(n),
                    path,
                    Some(e.line),
                    line_text(doc, e.line),
                );
                if n <= 0 {
                    problems.push(format!("registration_interval {n} is not positive"));
                }
            }
            Err(_) => problems.push(format!(
                "registration_interval `{}` is not a number",
                crate::limits::cap_text(&e.value, b.limits.value_chars)
            )),
        },
        None => problems.push("registration_interval missing".to_string()),
    }
    // The evidence is the first line holding a bad value (a missing key has no line).
    let bad_line = ["connector_fqdn", "connector_port", "registration_interval"]
        .iter()
        .filter(|key| {
            problems
                .iter()
                .any(|p| p.starts_with(*key) && !p.ends_with("missing"))
        })
        .filter_map(|key| props.get(key).map(|e| e.line))
        .min();
    b.set(
        "connector.properties.problems",
        FactValue::List(problems),
        path,
        bad_line,
        bad_line.and_then(|l| line_text(doc, l)),
    );
}

/// Region facts need every source at once: done after the FMC's settings are known.
pub(crate) fn region_facts(
    device: &Device,
    inherited_region: Option<&Fact>,
    domain: &Domain,
) -> Vec<(String, Fact)> {
    let mut sources: Vec<(String, &str, Option<Evidence>)> = Vec::new();
    if let Some(f) = device.fact("connector.fqdn")
        && let Some(r) = regions::region_of_api_host(domain, &f.value.to_string())
    {
        sources.push(("connector_fqdn".into(), r, f.evidence.clone()));
    }
    if let Some(f) = device.fact("context.fqdn")
        && let Some(r) = regions::region_of_api_host(domain, &f.value.to_string())
    {
        sources.push(("context fqdn".into(), r, f.evidence.clone()));
    }
    let cloud = device.fact("cloud.region").or(inherited_region);
    if let Some(f) = cloud
        && let Some(r) = regions::normalise_region(domain, &f.value.to_string())
    {
        sources.push(("cloud region setting".into(), r, f.evidence.clone()));
    }
    if let Some(FactValue::List(peers)) = device.fact("connector.peer_regions").map(|f| &f.value) {
        let ev = device
            .fact("connector.peer_regions")
            .and_then(|f| f.evidence.clone());
        for p in peers {
            if let Some(r) = regions::normalise_region(domain, p) {
                sources.push(("SSE hosts in connector.log".into(), r, ev.clone()));
            }
        }
    }
    let mut out = Vec::new();
    let Some((_, region, evidence)) = sources.first().cloned() else {
        return out;
    };
    out.push((
        "sse.region".to_string(),
        Fact {
            value: FactValue::Text(region.to_string()),
            evidence,
        },
    ));
    let distinct: BTreeSet<&str> = sources.iter().map(|(_, r, _)| *r).collect();
    let conflicts = if distinct.len() > 1 {
        sources
            .iter()
            .map(|(what, r, _)| format!("{what}: {r}"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    let evidence = sources.iter().rev().find_map(|(_, _, e)| e.clone());
    out.push((
        "region.conflicts".to_string(),
        Fact {
            value: FactValue::List(conflicts),
            evidence,
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_lists_are_cut_visibly() {
        let limits = Limits {
            value_chars: 4,
            list_items: 2,
            ..Limits::default()
        };
        let mut text = FactValue::Text("abcdefgh".into());
        assert!(cap_value(&mut text, &limits));
        assert_eq!(text, FactValue::Text("abcd…[cut 4 bytes]".into()));
        let mut list = FactValue::List(vec!["a".into(), "bbbbbb".into(), "c".into()]);
        assert!(cap_value(&mut list, &limits));
        assert_eq!(
            list,
            FactValue::List(vec![
                "a".into(),
                "bbbb…[cut 2 bytes]".into(),
                "…[1 more]".into()
            ])
        );
        let mut short = FactValue::List(vec!["a".into()]);
        assert!(!cap_value(&mut short, &limits));
    }

    #[test]
    fn records_of_several_members_are_one_list_each_naming_its_member() {
        let rows = |mount: &str, path: &str| Fact {
            value: FactValue::Records(vec![Record {
                fields: BTreeMap::from([("mount".to_string(), FactValue::Text(mount.into()))]),
                line: Some(2),
                path: None,
            }]),
            evidence: Some(Evidence {
                path: path.into(),
                line: Some(2),
                text: None,
            }),
        };
        let (th, h) = (rows("/var", "df -Th"), rows("/", "df -h"));
        let FactValue::Records(later) = &h.value else {
            unreachable!()
        };
        let both = combine_records(&th, later, &h, 10).unwrap();
        let FactValue::Records(all) = &both.value else {
            panic!("{both:?}")
        };
        let members: Vec<_> = all.iter().map(|r| r.path.as_deref()).collect();
        assert_eq!(members, [Some("df -Th"), Some("df -h")]);
        // The cap holds, and a fact that is no records list is not combined.
        assert_eq!(
            combine_records(&th, later, &h, 1).map(|f| match f.value {
                FactValue::Records(r) => r.len(),
                _ => 0,
            }),
            Some(1)
        );
        let text = Fact {
            value: FactValue::Text("x".into()),
            evidence: None,
        };
        assert!(combine_records(&text, later, &h, 10).is_none());
    }

    #[test]
    fn a_document_is_summarised_into_its_facts() {
        let limits = Limits {
            value_chars: 8,
            ..Limits::default()
        };
        let s = summarize(
            ArtifactKind::intern("hostname"),
            Format::Builtin(Builtin::Hostname),
            "b!/etc/hostname".into(),
            "# comment\nfmc-very-long-name\n",
            &[],
            Loaded {
                limits: &limits,
                catalog: crate::facts::registry::builtin(),
                domain: &Domain::default(),
            },
        );
        assert_eq!(s.hostname.as_deref(), Some("fmc-very…[cut 10 bytes]"));
        let fact = &s.facts["device.name"];
        assert_eq!(fact.evidence.as_ref().unwrap().line, Some(2));
        assert!(s.cut.contains("device.name"));
        let lsof = "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n".to_string()
            + &"connector 1 www 12u IPv4 1 0t0 TCP a:1->b:https (SYN_SENT)\n".repeat(300);
        let s = summarize(
            ArtifactKind::intern("lsof"),
            Format::Builtin(Builtin::Lsof),
            "x".into(),
            &lsof,
            &[],
            Loaded {
                limits: &Limits::default(),
                catalog: crate::facts::registry::builtin(),
                domain: &Domain::default(),
            },
        );
        assert_eq!(s.facts["connector.tcp.syn_sent"].value, FactValue::Int(300));
        let FactValue::List(peers) = &s.facts["connector.tcp.peers"].value else {
            panic!()
        };
        assert_eq!(peers.len(), 257);
        assert_eq!(peers[256], "…[44 more]");
    }
}
