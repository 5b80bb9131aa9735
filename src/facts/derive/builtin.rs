//! The facts of the kinds a built-in parser reads (`pmtool status`, `netstat`, `lsof`, Smart
//! Licensing, the cloud settings, the connector context): each parser's
//! output turned into the facts the `sse/` pack declares on its kind. Snapshot facts that say
//! "absent" are set only when the artifact that would show them is present, so that "no data"
//! and "not there" stay distinct.

use super::builder::{Builder, line_text};
use crate::facts::{FactValue, regions};
use crate::parse::{cloud_settings, connector_context, licensing, lsof, netstat, pmtool};

/// `pmtool status`: the SSEConnector and EventHandler daemons' states.
pub(super) fn pmtool_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
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
pub(super) fn netstat_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
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
pub(super) fn lsof_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
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
pub(super) fn licensing_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
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
pub(super) fn cloud_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
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
pub(super) fn context_facts(b: &mut Builder<'_>, path: &str, doc: &str) {
    if let Some(ctx) = connector_context::parse(doc) {
        if let Some(s) = &ctx.status {
            b.text("context.status", &s.value, path, Some(s.line), doc);
        }
        if let Some(f) = &ctx.fqdn {
            b.text("context.fqdn", &f.value, path, Some(f.line), doc);
        }
    }
}
