//! Which FMC of the case manages which FTD (cli-contract.md, "Root-cause relations: scope").
//!
//! The FTD's `show managers` (the `mgmt/` pack's `mgmt.managers` records) names its manager by
//! host (a name or an address), display name and identifier; an FMC's bundle shows its host name,
//! its appliance UUID and, in its sftunnel status, its own management addresses. An entry matches
//! an FMC when its identifier is the FMC's appliance UUID, its host or display name is the FMC's
//! host name (without case; a short name matches the FQDN that starts with it), or its host is one
//! of the FMC's addresses. The strongest kind of match wins (identifier, then name, then address),
//! then the earlier entry. With no match: an FTD whose entries are each provably another manager
//! (an identifier or host that differs from every FMC's) is managed by a manager that is not in
//! the case, even when the case holds one FMC (a cdFMC, or an FMC the customer did not upload);
//! else the case's only FMC manages it; else none. An FTD that says it is managed locally (FDM)
//! or has no manager configured is managed by no FMC.
//!
//! The answer is a pure function of the devices' facts, so the case (which links the devices)
//! and the report (which says how each FTD was matched) read the same one.

use std::net::IpAddr;

use serde::Serialize;

use super::{Device, FactValue, Product};
use crate::domain::Domain;

/// The built-in identity facts of every device.
const NAME: &str = "device.name";
const UUID: &str = "device.appliance_id";

/// The domain table (a pack's `domain.yaml`) that names the facts the match reads: the engine
/// names none of a pack's facts.
const TABLE: &str = "manager-match";

/// The fact and field names of the `manager-match` table (none when no loaded pack gives them:
/// then only the one-FMC rule matches).
#[derive(Debug, Default)]
struct Names<'a> {
    records: Option<&'a str>,
    host: Option<&'a str>,
    display_name: Option<&'a str>,
    identifier: Option<&'a str>,
    state: Option<&'a str>,
    local: Option<&'a str>,
    unregistered: Option<&'a str>,
    addresses: Option<&'a str>,
}

impl<'a> Names<'a> {
    fn of(domain: &'a Domain) -> Names<'a> {
        let Some(table) = domain.table(TABLE) else {
            return Names::default();
        };
        let managers = table.entry("managers");
        let field = |name: &str| managers.and_then(|e| e.field(name));
        Names {
            records: field("records"),
            host: field("host"),
            display_name: field("display_name"),
            identifier: field("identifier"),
            state: field("state"),
            local: field("local"),
            unregistered: field("unregistered"),
            addresses: table.entry("addresses").and_then(|e| e.field("list")),
        }
    }
}

/// Host names a device ships with: they name no FMC in particular.
const DEFAULT_NAMES: [&str; 3] = ["firepower", "localhost", "localhost.localdomain"];

/// How an FTD was matched to the FMC that manages it, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// `show managers` gives the FMC's appliance UUID as the manager's Identifier.
    Identifier,
    /// `show managers` gives the FMC's host name as the manager's Host or Display name.
    HostName,
    /// `show managers` gives one of the FMC's management addresses as the manager's Host.
    Address,
    /// Nothing in `show managers` tells (or the FTD has none): the case's only FMC.
    OnlyFmc,
}

/// Why an FTD is managed by no FMC of the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// Its `show managers` names a manager that is none of the case's FMCs.
    OtherManager,
    /// The case holds several FMCs (or none) and nothing names one of them.
    NoFmcNamed,
    /// `Managed locally.`: device manager (FDM), no FMC.
    ManagedLocally,
    /// `No Managers Configured`: never registered to a manager.
    NoManager,
}

/// The FMC that manages an FTD, or why none does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Management {
    /// Index of the FMC in the case's devices, and how it was found.
    Managed {
        fmc: usize,
        by: MatchedBy,
    },
    NotManaged(Unmatched),
}

/// One FTD's answer, with the managers its `show managers` names (host, else display name,
/// else identifier, per entry) for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub management: Management,
    pub named: Vec<String>,
}

/// A manager as one `show managers` entry gives it.
#[derive(Debug, Default)]
struct Entry {
    host: Option<String>,
    display_name: Option<String>,
    identifier: Option<String>,
}

/// What an FMC's bundle says about who it is.
struct Fmc<'a> {
    index: usize,
    name: Option<&'a str>,
    uuid: Option<&'a str>,
    addresses: Vec<IpAddr>,
}

/// One entry against one FMC: its strongest match, or whether some field proves it another
/// manager.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Match(MatchedBy),
    Differs,
    Unknown,
}

fn text<'a>(device: &'a Device, name: &str) -> Option<&'a str> {
    match &device.fact(name)?.value {
        FactValue::Text(t) if !t.trim().is_empty() => Some(t.trim()),
        _ => None,
    }
}

fn entries(device: &Device, names: &Names<'_>) -> Vec<Entry> {
    let Some(FactValue::Records(records)) =
        names.records.and_then(|n| device.fact(n)).map(|f| &f.value)
    else {
        return Vec::new();
    };
    let field = |r: &super::Record, name: Option<&str>| match r.fields.get(name?) {
        Some(FactValue::Text(t)) if !t.trim().is_empty() => Some(t.trim().to_string()),
        _ => None,
    };
    records
        .iter()
        .map(|r| Entry {
            host: field(r, names.host),
            display_name: field(r, names.display_name),
            identifier: field(r, names.identifier),
        })
        .filter(|e| e.host.is_some() || e.display_name.is_some() || e.identifier.is_some())
        .collect()
}

fn fmc<'a>(index: usize, device: &'a Device, names: &Names<'_>) -> Fmc<'a> {
    let addresses = match names
        .addresses
        .and_then(|n| device.fact(n))
        .map(|f| &f.value)
    {
        Some(FactValue::List(items)) => items.iter().filter_map(|a| a.parse().ok()).collect(),
        Some(FactValue::Text(t)) => t.split(',').filter_map(|a| a.trim().parse().ok()).collect(),
        _ => Vec::new(),
    };
    let name = text(device, NAME)
        .or((!device.name.is_empty()).then_some(device.name.as_str()))
        .filter(|n| !DEFAULT_NAMES.contains(&n.to_ascii_lowercase().as_str()));
    Fmc {
        index,
        name,
        uuid: text(device, UUID),
        addresses,
    }
}

/// Whether two host names name one host: equal without case, or a short name and an FQDN that
/// starts with it (`fmc-hq`, `FMC-HQ.corp.example`). Two FQDNs must be equal.
fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('.'), b.trim_end_matches('.'));
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let first = |s: &str| s.split('.').next().unwrap_or(s).to_string();
    match (a.contains('.'), b.contains('.')) {
        (false, true) => first(b).eq_ignore_ascii_case(a),
        (true, false) => first(a).eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Whether `s` reads as a host name (letters, digits, `-`, `.`, `_`), not a label with spaces.
fn host_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The identifier's UUID, without braces or case.
fn uuid_key(s: &str) -> String {
    s.trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase()
}

fn verdict(entry: &Entry, fmc: &Fmc<'_>) -> Verdict {
    let mut matched: Option<MatchedBy> = None;
    let mut differs = false;
    let mut hit = |by: MatchedBy| matched = Some(matched.map_or(by, |m| m.min(by)));
    if let (Some(id), Some(uuid)) = (&entry.identifier, fmc.uuid) {
        if uuid_key(id) == uuid_key(uuid) {
            hit(MatchedBy::Identifier);
        } else {
            differs = true;
        }
    }
    if let Some(host) = &entry.host {
        match host.parse::<IpAddr>() {
            Ok(addr) if !fmc.addresses.is_empty() => {
                if fmc.addresses.contains(&addr) {
                    hit(MatchedBy::Address);
                } else {
                    differs = true;
                }
            }
            Ok(_) => {}
            Err(_) => match fmc.name {
                Some(name) if host_like(host) => {
                    if same_host(host, name) {
                        hit(MatchedBy::HostName);
                    } else {
                        differs = true;
                    }
                }
                _ => {}
            },
        }
    }
    // A display name is a label the administrator may set freely: it can confirm an FMC, never
    // prove another manager.
    if let (Some(label), Some(name)) = (&entry.display_name, fmc.name)
        && host_like(label)
        && label.parse::<IpAddr>().is_err()
        && same_host(label, name)
    {
        hit(MatchedBy::HostName);
    }
    if let Some(by) = matched {
        Verdict::Match(by)
    } else if differs {
        Verdict::Differs
    } else {
        Verdict::Unknown
    }
}

/// Which FMC manages each FTD of `devices` (None for every device that is not an FTD), with the
/// facts the loaded packs' `manager-match` table names.
pub fn links(devices: &[Device], domain: &Domain) -> Vec<Option<Link>> {
    let names = Names::of(domain);
    let fmcs: Vec<Fmc<'_>> = devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.product == Product::Fmc)
        .map(|(i, d)| fmc(i, d, &names))
        .collect();
    devices
        .iter()
        .map(|d| (d.product == Product::Ftd).then(|| link(d, &fmcs, &names)))
        .collect()
}

fn link(device: &Device, fmcs: &[Fmc<'_>], names: &Names<'_>) -> Link {
    let entries = entries(device, names);
    let named = entries
        .iter()
        .filter_map(|e| {
            e.host
                .clone()
                .or_else(|| e.display_name.clone())
                .or_else(|| e.identifier.clone())
        })
        .collect();
    let not = |why| Link {
        management: Management::NotManaged(why),
        named: Vec::new(),
    };
    if entries.is_empty()
        && let Some(state) = names.state.and_then(|n| text(device, n))
    {
        let says = |value: Option<&str>| value.is_some_and(|v| v.eq_ignore_ascii_case(state));
        if says(names.local) {
            return not(Unmatched::ManagedLocally);
        }
        if says(names.unregistered) {
            return not(Unmatched::NoManager);
        }
    }
    // The strongest match over every entry and FMC; on a tie the earlier entry, then the FMC
    // first in the case.
    let mut best: Option<(MatchedBy, usize)> = None;
    let mut every_entry_differs = !entries.is_empty();
    for entry in &entries {
        let mut differs_from_all = true;
        for f in fmcs {
            match verdict(entry, f) {
                Verdict::Match(by) => {
                    differs_from_all = false;
                    if best.is_none_or(|(b, _)| by < b) {
                        best = Some((by, f.index));
                    }
                }
                Verdict::Differs => {}
                Verdict::Unknown => differs_from_all = false,
            }
        }
        every_entry_differs &= differs_from_all;
    }
    let management = match best {
        Some((by, fmc)) => Management::Managed { fmc, by },
        None if every_entry_differs && !fmcs.is_empty() => {
            Management::NotManaged(Unmatched::OtherManager)
        }
        None if fmcs.len() == 1 => Management::Managed {
            fmc: fmcs[0].index,
            by: MatchedBy::OnlyFmc,
        },
        None => Management::NotManaged(Unmatched::NoFmcNamed),
    };
    Link { management, named }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::facts::{Fact, Record};

    fn device(product: Product, name: &str, facts: Vec<(&str, FactValue)>) -> Device {
        Device {
            facts: facts
                .into_iter()
                .map(|(k, value)| {
                    (
                        k.to_string(),
                        Fact {
                            value,
                            evidence: None,
                        },
                    )
                })
                .collect(),
            ..Device::blank(name, product)
        }
    }

    /// The built-in mgmt pack's `manager-match` table.
    fn domain() -> Domain {
        let text = crate::builtin::file("mgmt/domain.yaml").expect("built in");
        let (domain, problems) = crate::domain::load::parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        domain
    }

    const MANAGERS: &str = "mgmt.managers";
    const MANAGERS_STATE: &str = "mgmt.managers.state";
    const OWN_ADDRESSES: &str = "mgmt.sftunnel.addresses";

    fn t(s: &str) -> FactValue {
        FactValue::Text(s.into())
    }

    fn fmc(name: &str, uuid: &str, addresses: &[&str]) -> Device {
        let mut facts = vec![(NAME, t(name)), (UUID, t(uuid))];
        if !addresses.is_empty() {
            facts.push((
                OWN_ADDRESSES,
                FactValue::List(addresses.iter().map(|a| a.to_string()).collect()),
            ));
        }
        device(Product::Fmc, name, facts)
    }

    /// An FTD whose `show managers` lists these (host, display name, identifier) entries.
    fn ftd(name: &str, managers: &[(&str, &str, &str)]) -> Device {
        let records = managers
            .iter()
            .map(|(host, display, id)| {
                let mut fields = BTreeMap::new();
                for (k, v) in [
                    ("host", host),
                    ("display_name", display),
                    ("identifier", id),
                ] {
                    if !v.is_empty() {
                        fields.insert(k.to_string(), t(v));
                    }
                }
                Record {
                    fields,
                    line: None,
                    path: None,
                }
            })
            .collect();
        let mut facts = vec![(NAME, t(name))];
        if !managers.is_empty() {
            facts.push((MANAGERS, FactValue::Records(records)));
            facts.push((MANAGERS_STATE, t("Manager")));
        }
        device(Product::Ftd, name, facts)
    }

    fn of(devices: &[Device], i: usize) -> Management {
        links(devices, &domain())[i]
            .clone()
            .expect("an FTD")
            .management
    }

    const A: &str = "0b6f8e2a-1111-11ea-8000-00aa00bb00cc";
    const B: &str = "7c1d9f3e-2222-11ea-8000-00aa00bb00dd";

    fn two_fmcs() -> Vec<Device> {
        vec![
            fmc("fmc-east.corp.example", A, &["10.1.0.5"]),
            fmc("fmc-west", B, &["10.2.0.5", "2001:db8::5"]),
        ]
    }

    #[test]
    fn each_field_matches_its_fmc_among_several() {
        let mut d = two_fmcs();
        d.push(ftd("by-id", &[("192.0.2.9", "", &B.to_uppercase())]));
        d.push(ftd("by-short-name", &[("FMC-EAST", "", "")]));
        d.push(ftd("by-fqdn", &[("fmc-west.corp.example", "", "")]));
        d.push(ftd("by-address", &[("10.2.0.5", "10.2.0.5", "")]));
        d.push(ftd("by-v6", &[("2001:db8:0::5", "", "")]));
        d.push(ftd("by-display", &[("192.0.2.9", "fmc-east", "")]));
        let m = |fmc, by| Management::Managed { fmc, by };
        assert_eq!(of(&d, 2), m(1, MatchedBy::Identifier));
        assert_eq!(of(&d, 3), m(0, MatchedBy::HostName));
        assert_eq!(of(&d, 4), m(1, MatchedBy::HostName));
        assert_eq!(of(&d, 5), m(1, MatchedBy::Address));
        assert_eq!(of(&d, 6), m(1, MatchedBy::Address));
        // 192.0.2.9 is neither FMC's address, but the display name confirms fmc-east.
        assert_eq!(of(&d, 7), m(0, MatchedBy::HostName));
    }

    #[test]
    fn the_strongest_match_wins_over_an_earlier_weaker_one() {
        let mut d = two_fmcs();
        // The host is fmc-east's address, the identifier fmc-west's UUID.
        d.push(ftd("ftd", &[("10.1.0.5", "", B)]));
        assert_eq!(
            of(&d, 2),
            Management::Managed {
                fmc: 1,
                by: MatchedBy::Identifier
            }
        );
    }

    #[test]
    fn another_manager_is_not_the_only_fmc() {
        let one = || vec![fmc("fmc-hq", A, &["10.1.0.5"])];
        let mut d = one();
        d.push(ftd("cdfmc", &[("acme.app.us.cdo.cisco.com", "", B)]));
        d.push(ftd("other-ip", &[("10.9.9.9", "", "")]));
        d.push(ftd("other-name", &[("fmc-other", "", "")]));
        let other = Management::NotManaged(Unmatched::OtherManager);
        for i in 1..4 {
            assert_eq!(of(&d, i), other, "{i}");
        }
        // What cannot be compared does not prove another manager: the only FMC manages it.
        let mut d = vec![fmc("firepower", "", &[])];
        d.push(ftd("ftd", &[("10.9.9.9", "", "")]));
        d.push(ftd("no-show-managers", &[]));
        let only = Management::Managed {
            fmc: 0,
            by: MatchedBy::OnlyFmc,
        };
        assert_eq!(of(&d, 1), only);
        assert_eq!(of(&d, 2), only);
    }

    #[test]
    fn several_fmcs_and_no_name_leaves_the_ftd_unmatched() {
        let mut d = vec![fmc("fmc-a", "", &[]), fmc("fmc-b", "", &[])];
        d.push(ftd("ftd", &[("10.9.9.9", "", "")]));
        d.push(ftd("bare", &[]));
        let none = Management::NotManaged(Unmatched::NoFmcNamed);
        assert_eq!(of(&d, 2), none);
        assert_eq!(of(&d, 3), none);
        // Another manager when each FMC can be compared and differs.
        d.push(ftd("named-other", &[("fmc-c", "", "")]));
        assert_eq!(of(&d, 4), Management::NotManaged(Unmatched::OtherManager));
    }

    #[test]
    fn fdm_and_unregistered_ftds_have_no_fmc_even_beside_one() {
        let mut d = vec![fmc("fmc-hq", A, &[])];
        for state in ["Managed locally", "No Managers Configured"] {
            d.push(device(
                Product::Ftd,
                state,
                vec![(MANAGERS_STATE, t(state))],
            ));
        }
        assert_eq!(of(&d, 1), Management::NotManaged(Unmatched::ManagedLocally));
        assert_eq!(of(&d, 2), Management::NotManaged(Unmatched::NoManager));
        assert!(links(&d, &domain())[0].is_none(), "an FMC has no manager");
        // Without the table, nothing in show managers is read: the one-FMC rule.
        assert_eq!(
            links(&d, &Domain::default())[1].clone().unwrap().management,
            Management::Managed {
                fmc: 0,
                by: MatchedBy::OnlyFmc
            }
        );
    }

    #[test]
    fn names_match_without_case_and_short_against_fqdn_only() {
        assert!(same_host("FMC-HQ", "fmc-hq"));
        assert!(same_host("fmc-hq", "fmc-hq.corp.example."));
        assert!(same_host("fmc-hq.corp.example", "fmc-hq"));
        assert!(!same_host("fmc-hq.a.example", "fmc-hq.b.example"));
        assert!(!same_host("fmc-hq", "fmc-hq2"));
        assert!(!host_like("FMC Primary"));
    }
}
