//! A complete device root → its [`Device`]: the summaries of its documents replayed in reading
//! order (a member's meaning may depend on another, e.g. the version says whether a missing
//! SSEConnector block matters), the facts that need several members (product, version, name,
//! the curl lists, the presence facts), the limits that were hit, and the log times placed in
//! the device's zone.

use std::collections::BTreeSet;

use super::builder::Builder;
use super::curl;
use crate::artifacts::{Builtin, FactCatalog};
use crate::domain::Domain;
use crate::facts::unit::BundleState;
use crate::facts::{Device, Fact, FactValue, Record, regions};
use crate::ingest::Warning;
use crate::limits::Limits;
use crate::parse::syslog;
use crate::version::Product;

/// What the version documents say: product, version text, and the name and UUID they give.
struct Identity {
    product: Product,
    version: Option<String>,
    name: Option<String>,
    uuid: Option<String>,
}

pub(crate) fn device(
    state: BundleState,
    limits: &Limits,
    catalog: &FactCatalog,
    domain: &Domain,
    warnings: &mut Vec<Warning>,
) -> Device {
    let mut b = Builder::new(limits, catalog, domain);
    // Version documents first: other facts depend on the product.
    let mut id = version_facts(&mut b, &state);
    let mut curl = curl::Lists::default();
    let mut outcomes = Vec::new();
    let mut properties_seen = false;

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
            warnings.push(Warning {
                code,
                path: summary.path.clone(),
                message: message.clone(),
            });
        }
        if let Some(h) = &summary.hostname {
            id.name = Some(h.clone());
        }
        if let Some(u) = &summary.uuid {
            id.uuid = Some(u.clone());
        }
        properties_seen |= super::connector::is_properties(&summary.facts);
        if let Some(c) = &summary.curl {
            curl.add(&summary.path, c);
            outcomes.extend(c.outcomes.iter().cloned());
        }
    }
    curl.set(&mut b);
    if !properties_seen && let Some(member) = &state.etc_sf_member {
        b.set(
            "connector.properties.present",
            FactValue::Bool(false),
            member,
            None,
            None,
        );
    }
    if id.product == Product::Unknown && state.show_tech {
        id.product = Product::Ftd;
    }
    connector_log_facts(&mut b, &state, domain);

    let uuid = id.uuid.unwrap_or_else(|| state.label.clone());
    let name = id.name.unwrap_or_else(|| folder_name(&state));
    let name = crate::limits::cap_text(&name, limits.value_chars);
    let uuid = crate::limits::cap_text(&uuid, limits.value_chars);
    limit_warnings(&b, &state, limits, warnings);
    let placed = place_times(state, limits, warnings);
    Device {
        id: uuid,
        product: id.product,
        name,
        version: id.version,
        bundle: placed.label,
        collected_at: placed.collected_at,
        time_zone: placed.time_zone,
        damaged: false,
        duplicates: Vec::new(),
        input: 0,
        artifacts: placed.artifacts,
        artifacts_omitted: placed.artifacts_omitted,
        kinds: placed.kinds,
        facts: b.facts,
        hits: placed.hits,
        outcomes,
        managed_by: None,
    }
}

/// `device.product`, `device.version` and `device.model` from the version documents:
/// sf-version, the more precise source, over show version.
fn version_facts(b: &mut Builder<'_>, state: &BundleState) -> Identity {
    let mut id = Identity {
        product: Product::Unknown,
        version: None,
        name: None,
        uuid: None,
    };
    for summary in &state.documents {
        let Some((info, evidence)) = &summary.version else {
            continue;
        };
        if id.version.is_some() && summary.format == Some(Builtin::ShowVersion) {
            continue;
        }
        if info.product != Product::Unknown {
            id.product = info.product;
        }
        b.put(
            "device.product",
            FactValue::Text(id.product.as_str().to_string()),
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
        id.version = Some(info.version.to_string());
        if let Some(h) = &info.hostname {
            id.name.get_or_insert(h.clone());
        }
        if let Some(u) = &info.uuid {
            id.uuid.get_or_insert(u.clone());
        }
    }
    id
}

/// `connector.log.present`, and the regions of the SSE hosts the connector log names.
fn connector_log_facts(b: &mut Builder<'_>, state: &BundleState, domain: &Domain) {
    let has_connector_log = state.formats.contains(&Builtin::ConnectorLog);
    b.set(
        "connector.log.present",
        FactValue::Bool(has_connector_log),
        &state.label,
        None,
        None,
    );
    if has_connector_log {
        let peer_regions: BTreeSet<&str> = state
            .peer_hosts
            .iter()
            .filter_map(|h| regions::region_of_host(domain, h))
            .collect();
        let path = state.first_connector_log.clone().unwrap_or_default();
        b.set(
            "connector.peer_regions",
            FactValue::List(peer_regions.iter().map(|s| s.to_string()).collect()),
            &path,
            None,
            None,
        );
    }
}

/// With no host name in the bundle: the host folder the customer put it in (`FMC1/results-…`),
/// else the archive's file name.
fn folder_name(state: &BundleState) -> String {
    state
        .root
        .rsplit('/')
        .find(|s| !s.is_empty() && !s.starts_with("results-"))
        .or_else(|| state.label.rsplit(['/', '!']).find(|s| !s.is_empty()))
        .unwrap_or(&state.label)
        .to_string()
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

/// The warnings of values cut or refused, and of artifacts left out of the inventory.
fn limit_warnings(
    b: &Builder<'_>,
    state: &BundleState,
    limits: &Limits,
    warnings: &mut Vec<Warning>,
) {
    if !b.cut.is_empty() {
        let cut: Vec<&str> = b.cut.iter().map(String::as_str).collect();
        warnings.push(Warning {
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
        warnings.push(Warning {
            code: "fact-type",
            path: state.label.clone(),
            message: format!(
                "values not stored, as no loaded declaration allows them: {}",
                rejected.join(", ")
            ),
        });
    }
    if state.artifacts_omitted > 0 {
        warnings.push(Warning {
            code: "limit-inventory",
            path: state.label.clone(),
            message: format!(
                "{} artifact(s) read but not listed (--max-inventory-rows {}); every kind is still seen by the rules",
                state.artifacts_omitted, limits.inventory_rows
            ),
        });
    }
}

/// What of the bundle state the device keeps once its log times are placed.
struct Placed {
    label: String,
    collected_at: Option<jiff::Timestamp>,
    time_zone: Option<String>,
    artifacts: Vec<crate::facts::ArtifactRef>,
    artifacts_omitted: u64,
    kinds: BTreeSet<crate::artifacts::ArtifactKind>,
    hits: crate::facts::LineHits,
}

/// Time (bundle-format §6): the stamp and the year-less or zone-less log times are the device's
/// wall clock, read in its zone (UTC when the bundle names none, and the report says so); a
/// year-less time's year is the collection's. No clock of this machine is read.
fn place_times(state: BundleState, limits: &Limits, warnings: &mut Vec<Warning>) -> Placed {
    let mut hits = state.hits;
    let host_of_addr = state.host_of_addr;
    hits.resolve_keys(|addr| host_of_addr.get(addr).cloned());
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
            warnings.push(Warning {
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
        warnings.push(Warning {
            code: "no-time-zone",
            path: state.label.clone(),
            message: "the bundle names no time zone (etc/localtime): syslog times are read as UTC"
                .into(),
        });
    }
    Placed {
        label: state.label,
        collected_at,
        time_zone,
        artifacts: state.artifacts,
        artifacts_omitted: state.artifacts_omitted,
        kinds: state.kinds,
        hits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Evidence;
    use std::collections::BTreeMap;

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
}
