//! The region facts (`sse.region`, `region.conflicts`), which need every source at once: the
//! connector's and the context's API host, the cloud region setting (the FMC's, for a managed
//! FTD without its own) and the SSE hosts the connector log names. Done once the FMC's settings
//! are known.

use std::collections::BTreeSet;

use crate::domain::Domain;
use crate::facts::{Device, Evidence, Fact, FactValue, regions};

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
