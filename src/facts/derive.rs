//! Parsed artifacts → named facts, per device.
//!
//! Each bundle that held at least one artifact becomes a device. Its documents are parsed here,
//! once the bundle is complete (a member's kind may depend on another, e.g. the version says
//! whether a missing SSEConnector block matters), and each result is stored under the name the
//! registry gives it, with its evidence. Snapshot facts that say "absent" are only set when the
//! artifact that would show them is present, so that "no data" and "not there" stay distinct.

use std::collections::{BTreeMap, BTreeSet};

use super::collect::{BundleState, cap_chars};
use super::regions;
use super::{Device, Evidence, Fact, FactValue, Product};
use crate::artifacts::ArtifactKind;
use crate::limits::Limits;
use crate::parse::{
    cloud_settings, connector_context, connector_properties, curl_test, ident, licensing, lsof,
    netstat, pmtool, version,
};

struct Builder<'a> {
    facts: BTreeMap<String, Fact>,
    limits: &'a Limits,
}

impl Builder<'_> {
    fn set(
        &mut self,
        name: &str,
        value: FactValue,
        path: &str,
        line: Option<u32>,
        text: Option<&str>,
    ) {
        debug_assert!(
            super::registry::lookup(name).is_some(),
            "unregistered fact {name}"
        );
        let evidence = Evidence {
            path: path.to_string(),
            line,
            text: text.map(|t| cap_chars(t.trim(), self.limits.evidence_chars)),
        };
        self.facts.insert(
            name.to_string(),
            Fact {
                value,
                evidence: Some(evidence),
            },
        );
    }

    fn text(
        &mut self,
        name: &str,
        value: impl Into<String>,
        path: &str,
        line: Option<u32>,
        doc: &str,
    ) {
        let text = line.and_then(|l| line_text(doc, l));
        self.set(name, FactValue::Text(value.into()), path, line, text);
    }
}

fn line_text(doc: &str, line: u32) -> Option<&str> {
    doc.lines().nth(line.checked_sub(1)? as usize)
}

/// Turns bundle states into devices; bundles without artifacts (pure wrappers) are dropped.
pub(crate) fn devices(
    bundles: Vec<BundleState>,
    limits: &Limits,
    warnings: &mut Vec<crate::ingest::Warning>,
) -> Vec<Device> {
    let mut devices: Vec<Device> = bundles
        .into_iter()
        .filter(|b| !b.artifacts.is_empty())
        .map(|b| device(b, limits))
        .collect();
    // Licence and cloud settings of an FMC-managed FTD live on the FMC.
    let fmcs: Vec<usize> = devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.product == Product::Fmc)
        .map(|(i, _)| i)
        .collect();
    if fmcs.len() == 1 {
        for device in devices.iter_mut() {
            let local_settings = device
                .facts
                .keys()
                .any(|k| super::registry::inherited_from_manager(k));
            if device.product == Product::Ftd && !local_settings {
                device.managed_by = Some(fmcs[0]);
            }
        }
    } else if fmcs.len() > 1 && devices.iter().any(|d| d.product == Product::Ftd) {
        // No managed-devices list is parsed yet, so which FMC manages which FTD is unknown:
        // each device is evaluated on its own settings, and the report says so.
        warnings.push(crate::ingest::Warning {
            code: "several-fmcs",
            path: String::new(),
            message: format!(
                "the case holds {} FMCs; licence and cloud settings are not carried to the FTDs, each device is evaluated on its own",
                fmcs.len()
            ),
        });
    }
    for i in 0..devices.len() {
        let inherited = devices[i]
            .managed_by
            .and_then(|m| devices[m].fact("cloud.region").cloned());
        for (name, fact) in region_facts(&devices[i], inherited.as_ref()) {
            devices[i].facts.insert(name, fact);
        }
    }
    devices
}

fn device(state: BundleState, limits: &Limits) -> Device {
    let mut b = Builder {
        facts: BTreeMap::new(),
        limits,
    };
    let mut product = Product::Unknown;
    let mut name: Option<String> = None;
    let mut version_text: Option<String> = None;
    let mut uuid: Option<String> = None;
    let mut curl_failed = BTreeSet::new();
    let mut curl_ok = BTreeSet::new();
    let mut curl_tls = BTreeSet::new();
    let mut curl_path = String::new();
    let mut outcomes = Vec::new();
    let mut properties_seen = false;

    // Version documents first: other facts depend on the product.
    for (kind, path, doc) in &state.documents {
        let info = match kind {
            ArtifactKind::SfVersion => version::parse_sf_version(doc),
            ArtifactKind::ShowVersion => version::parse_show_version(doc),
            _ => None,
        };
        let Some(info) = info else { continue };
        if version_text.is_some() && *kind == ArtifactKind::ShowVersion {
            continue; // sf-version is the more precise source
        }
        if info.product != Product::Unknown {
            product = info.product;
        }
        b.text(
            "device.product",
            product.as_str(),
            path,
            Some(info.line),
            doc,
        );
        b.set(
            "device.version",
            FactValue::Version(info.version.clone()),
            path,
            Some(info.line),
            line_text(doc, info.line),
        );
        b.text(
            "device.model",
            info.model.clone(),
            path,
            Some(info.line),
            doc,
        );
        version_text = Some(info.version.to_string());
        if let Some(h) = &info.hostname {
            name.get_or_insert(h.clone());
        }
        if let Some(u) = &info.uuid {
            uuid.get_or_insert(u.clone());
        }
    }

    for (kind, path, doc) in &state.documents {
        match kind {
            ArtifactKind::Hostname => {
                if let Some(h) = ident::parse_hostname(doc) {
                    b.text("device.name", h.value.clone(), path, Some(h.line), doc);
                    name = Some(h.value);
                }
            }
            ArtifactKind::ImsConf => {
                if let Some(u) = ident::parse_ims_conf(doc).appliance_uuid {
                    b.text(
                        "device.appliance_id",
                        u.value.clone(),
                        path,
                        Some(u.line),
                        doc,
                    );
                    uuid = Some(u.value);
                }
            }
            ArtifactKind::ConnectorProperties => {
                properties_seen = true;
                connector_facts(&mut b, path, doc);
            }
            ArtifactKind::PmtoolStatus => {
                let daemons = pmtool::parse(doc);
                for (daemon, fact) in [
                    ("SSEConnector", "pmtool.sseconnector.state"),
                    ("EventHandler", "pmtool.eventhandler.state"),
                ] {
                    match daemons.iter().find(|d| d.name.eq_ignore_ascii_case(daemon)) {
                        Some(d) => b.text(fact, d.state.clone(), path, Some(d.line), doc),
                        None => b.set(fact, FactValue::Text("absent".into()), path, None, None),
                    }
                }
            }
            ArtifactKind::Netstat => {
                let parsed = netstat::parse(doc);
                let sockets: Vec<_> = parsed
                    .unix
                    .iter()
                    .filter(|s| {
                        s.path
                            .as_deref()
                            .is_some_and(|p| p.contains("EventHandler_SSEConnector.so"))
                    })
                    .collect();
                let connected = sockets
                    .iter()
                    .find(|s| s.state.eq_ignore_ascii_case("CONNECTED"));
                let listening = sockets
                    .iter()
                    .find(|s| s.state.eq_ignore_ascii_case("LISTENING"));
                match (connected, listening) {
                    (Some(s), _) => b.text(
                        "sockets.eventhandler.state",
                        "connected",
                        path,
                        Some(s.line),
                        doc,
                    ),
                    (None, Some(s)) => b.text(
                        "sockets.eventhandler.state",
                        "listening",
                        path,
                        Some(s.line),
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
            ArtifactKind::Lsof => {
                let rows: Vec<_> = lsof::parse(doc)
                    .into_iter()
                    .filter(|r| {
                        r.command.starts_with("connector")
                            || r.command.eq_ignore_ascii_case("sseconnector")
                    })
                    .filter(|r| {
                        r.remote.as_deref().is_some_and(|p| {
                            lsof::split_host_port(p).1 == "https"
                                || lsof::split_host_port(p).1 == "443"
                        })
                    })
                    .collect();
                let state_is = |r: &&lsof::LsofRow, s: &str| {
                    r.state
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(s))
                };
                let established: Vec<_> =
                    rows.iter().filter(|r| state_is(r, "ESTABLISHED")).collect();
                let syn: Vec<_> = rows.iter().filter(|r| state_is(r, "SYN_SENT")).collect();
                let first = |v: &[&lsof::LsofRow]| v.first().map(|r| r.line);
                b.set(
                    "connector.tcp.established",
                    FactValue::Int(established.len() as i64),
                    path,
                    first(&established),
                    first(&established).and_then(|l| line_text(doc, l)),
                );
                b.set(
                    "connector.tcp.syn_sent",
                    FactValue::Int(syn.len() as i64),
                    path,
                    first(&syn),
                    first(&syn).and_then(|l| line_text(doc, l)),
                );
                let peers = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} ({})",
                            r.remote.clone().unwrap_or_default(),
                            r.state.clone().unwrap_or_default()
                        )
                    })
                    .collect();
                b.set(
                    "connector.tcp.peers",
                    FactValue::List(peers),
                    path,
                    None,
                    None,
                );
            }
            ArtifactKind::Licensing => {
                if let Some(lic) = licensing::parse(doc) {
                    if let Some(r) = &lic.registration {
                        b.text(
                            "license.registration",
                            r.value.clone(),
                            path,
                            Some(r.line),
                            doc,
                        );
                    }
                    if let Some(a) = &lic.authorization {
                        b.text(
                            "license.authorization",
                            a.value.clone(),
                            path,
                            Some(a.line),
                            doc,
                        );
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
            ArtifactKind::CloudSettings => {
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
                    b.text("cloud.region", r.value.clone(), path, Some(r.line), doc);
                }
            }
            ArtifactKind::ConnectorContext => {
                if let Some(ctx) = connector_context::parse(doc) {
                    if let Some(s) = &ctx.status {
                        b.text("context.status", s.value.clone(), path, Some(s.line), doc);
                    }
                    if let Some(f) = &ctx.fqdn {
                        b.text("context.fqdn", f.value.clone(), path, Some(f.line), doc);
                    }
                }
            }
            ArtifactKind::CurlTest => {
                curl_path = path.clone();
                for test in curl_test::parse(doc) {
                    let Some(host) = test.host.as_deref().map(str::to_ascii_lowercase) else {
                        continue;
                    };
                    if !regions::is_sse_host(&host) {
                        continue;
                    }
                    for a in &test.attempts {
                        outcomes.push(super::AddrOutcome {
                            kind: ArtifactKind::CurlTest,
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
    }
    if state
        .documents
        .iter()
        .any(|(k, _, _)| *k == ArtifactKind::CurlTest)
    {
        b.set(
            "curl.failed_hosts",
            FactValue::List(curl_failed.into_iter().collect()),
            &curl_path,
            None,
            None,
        );
        b.set(
            "curl.ok_hosts",
            FactValue::List(curl_ok.into_iter().collect()),
            &curl_path,
            None,
            None,
        );
        b.set(
            "curl.tls_intercepted_hosts",
            FactValue::List(curl_tls.into_iter().collect()),
            &curl_path,
            None,
            None,
        );
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
    if product == Product::Unknown
        && state
            .artifacts
            .iter()
            .any(|a| a.path.contains("show_tech_output"))
    {
        product = Product::Ftd;
    }
    let has_connector_log = state
        .artifacts
        .iter()
        .any(|a| a.kind == ArtifactKind::ConnectorLog);
    let peer_regions: BTreeSet<&str> = state
        .peer_hosts
        .iter()
        .filter_map(|h| regions::region_of_host(h))
        .collect();
    b.set(
        "connector.log.present",
        FactValue::Bool(has_connector_log),
        &state.label,
        None,
        None,
    );
    if has_connector_log {
        let path = state
            .artifacts
            .iter()
            .find(|a| a.kind == ArtifactKind::ConnectorLog)
            .map(|a| a.path.clone())
            .unwrap_or_default();
        b.set(
            "connector.peer_regions",
            FactValue::List(peer_regions.iter().map(|s| s.to_string()).collect()),
            &path,
            None,
            None,
        );
    }

    let id = uuid.unwrap_or_else(|| state.label.clone());
    let name = name.unwrap_or_else(|| {
        state
            .label
            .rsplit(['/', '!'])
            .find(|s| !s.is_empty())
            .unwrap_or(&state.label)
            .to_string()
    });
    let mut hits = state.hits;
    let host_of_addr = state.host_of_addr;
    hits.resolve_keys(|addr| host_of_addr.get(addr).cloned());
    Device {
        id,
        product,
        name,
        version: version_text,
        bundle: state.label,
        // The bundle's name carries the device's local time with no offset: when its logs run
        // later than that read as UTC, the newest log line is the better "now".
        collected_at: match (state.stamped, state.newest_log) {
            (Some(stamp), Some(newest)) => Some(stamp.max(newest)),
            (stamp, newest) => stamp.or(newest),
        },
        artifacts: state.artifacts,
        facts: b.facts,
        hits,
        outcomes,
        managed_by: None,
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
            b.text("connector.fqdn", e.value.clone(), path, Some(e.line), doc);
            let region = regions::region_of_api_host(&e.value);
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
                    e.value
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
            Err(_) => problems.push(format!("connector_port `{}` is not a number", e.value)),
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
                e.value
            )),
        },
        None => problems.push("registration_interval missing".to_string()),
    }
    b.set(
        "connector.properties.problems",
        FactValue::List(problems),
        path,
        None,
        None,
    );
}

/// Region facts need every source at once: done after the FMC's settings are known.
pub(crate) fn region_facts(
    device: &Device,
    inherited_region: Option<&Fact>,
) -> Vec<(String, Fact)> {
    let mut sources: Vec<(String, &'static str, Option<Evidence>)> = Vec::new();
    if let Some(f) = device.fact("connector.fqdn")
        && let Some(r) = regions::region_of_api_host(&f.value.to_string())
    {
        sources.push(("connector_fqdn".into(), r, f.evidence.clone()));
    }
    if let Some(f) = device.fact("context.fqdn")
        && let Some(r) = regions::region_of_api_host(&f.value.to_string())
    {
        sources.push(("context fqdn".into(), r, f.evidence.clone()));
    }
    let cloud = device.fact("cloud.region").or(inherited_region);
    if let Some(f) = cloud
        && let Some(r) = regions::normalise_region(&f.value.to_string())
    {
        sources.push(("cloud region setting".into(), r, f.evidence.clone()));
    }
    if let Some(FactValue::List(peers)) = device.fact("connector.peer_regions").map(|f| &f.value) {
        let ev = device
            .fact("connector.peer_regions")
            .and_then(|f| f.evidence.clone());
        for p in peers {
            if let Some(r) = regions::normalise_region(p) {
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
