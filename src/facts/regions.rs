//! The SSE facts' view of the domain tables: the `sse` pack's host class and region table
//! (`rules/sse/domain.yaml`, bundle-format.md §4).
//!
//! Only the keys are named here (the class, the table, the field that is an API host), as fact
//! names are elsewhere; every host and region is data. Host names, never addresses, identify a
//! region: the addresses behind them change.

use crate::domain::Domain;

/// The class of the SSE cloud's hosts.
pub const CLASS: &str = "sse";
/// The table of SSE regions.
pub const TABLE: &str = "sse-region";
/// The region field that holds its API host (`connector_fqdn`).
pub const API: &str = "api";

/// The class of the vendor's Smart Licensing cloud hosts: a licence whose transport names
/// another host goes through Satellite / On-Prem.
pub const LICENSING_CLASS: &str = "licensing-cloud";

/// Whether `text` (a licence transport's URL or host) names a host of the licensing cloud.
pub fn names_licensing_cloud(domain: &Domain, text: &str) -> bool {
    domain
        .class(LICENSING_CLASS)
        .is_some_and(|c| c.hosts_in(text).next().is_some())
}

/// Whether a host name belongs to the SSE cloud (any region, any service).
pub fn is_sse_host(domain: &Domain, host: &str) -> bool {
    domain.in_class(CLASS, host)
}

/// The region of an SSE API host given as `connector_fqdn`; None when it is not one.
pub fn region_of_api_host<'d>(domain: &'d Domain, host: &str) -> Option<&'d str> {
    let e = domain.table(TABLE)?.entry_with_host(API, host)?;
    Some(&e.name)
}

/// The region an SSE host belongs to; None for region-neutral hosts.
pub fn region_of_host<'d>(domain: &'d Domain, host: &str) -> Option<&'d str> {
    let e = domain.table(TABLE)?.entry_of_host(host)?;
    Some(&e.name)
}

/// Normalises a region name as written in settings (an alias, any case).
pub fn normalise_region<'d>(domain: &'d Domain, name: &str) -> Option<&'d str> {
    let e = domain.table(TABLE)?.entry(name)?;
    Some(&e.name)
}

/// Finds SSE host names in free text (a syslog message, a log line without a URL).
pub fn sse_hosts_in<'t>(domain: &'t Domain, text: &'t str) -> impl Iterator<Item = String> + 't {
    domain
        .class(CLASS)
        .into_iter()
        .flat_map(|c| c.hosts_in(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_hosts() {
        let d = &crate::rules::load::builtin_domain();
        assert_eq!(region_of_api_host(d, "api-sse.cisco.com"), Some("US"));
        assert_eq!(
            region_of_api_host(d, " API.eu.sse.itd.cisco.com. "),
            Some("EU")
        );
        assert_eq!(
            region_of_api_host(d, "eventing-ingest.sse.itd.cisco.com"),
            None
        );
        assert_eq!(region_of_host(d, "api-sse.cisco.com"), Some("US"));
        assert_eq!(
            region_of_host(d, "eventing-ingest.sse.itd.cisco.com"),
            Some("US")
        );
        assert_eq!(
            region_of_host(d, "eventing-ingest.eu.sse.itd.cisco.com"),
            Some("EU")
        );
        assert_eq!(
            region_of_host(d, "mx01.apj.sse.itd.cisco.com"),
            Some("APJC")
        );
        assert_eq!(region_of_host(d, "dex.au.sse.itd.cisco.com"), Some("AUS"));
        assert_eq!(region_of_host(d, "api.aus.sse.itd.cisco.com"), Some("AUS"));
        assert_eq!(region_of_host(d, "dex.in.sse.itd.cisco.com"), Some("IN"));
        assert_eq!(region_of_host(d, "est.sco.cisco.com"), None);
        assert_eq!(region_of_host(d, "a.b.sse.itd.cisco.com"), None);
        assert!(is_sse_host(d, "est.sco.cisco.com"));
        assert!(is_sse_host(d, "EVENTING-INGEST.sse.itd.cisco.com."));
        assert!(!is_sse_host(d, "firepower.cisco.com"));
        assert!(!is_sse_host(d, "sse.itd.cisco.com"));
        assert_eq!(normalise_region(d, "apj"), Some("APJC"));
        assert_eq!(normalise_region(d, "North America"), Some("US"));
        assert_eq!(normalise_region(d, "mars"), None);
        let found: Vec<_> = sse_hosts_in(
            d,
            "lookup api.eu.sse.itd.cisco.com. failed; firepower.cisco.com",
        )
        .collect();
        assert_eq!(found, vec!["api.eu.sse.itd.cisco.com"]);
    }

    /// TechNote 222744's registration hosts (bundle-format.md §4): each region's own.
    #[test]
    fn registration_hosts_get_their_region() {
        let d = &crate::rules::load::builtin_domain();
        for (host, region) in [
            ("registration.us.sse.itd.cisco.com", "US"),
            ("registration.eu.sse.itd.cisco.com", "EU"),
            ("registration.apj.sse.itd.cisco.com", "APJC"),
            ("registration.au.sse.itd.cisco.com", "AUS"),
            ("registration.in.sse.itd.cisco.com", "IN"),
        ] {
            assert!(is_sse_host(d, host), "{host}");
            assert_eq!(region_of_host(d, host), Some(region), "{host}");
            let table = d.table(TABLE).unwrap();
            assert_eq!(
                table.entry(region).and_then(|e| e.field("registration")),
                Some(host)
            );
        }
        // CDO hosts listed beside them are not SSE's.
        assert!(!is_sse_host(d, "edge.us.cdo.cisco.com"));
        assert_eq!(region_of_host(d, "edge.us.cdo.cisco.com"), None);
    }

    #[test]
    fn every_region_has_its_hosts_and_they_are_its_own() {
        let d = &crate::rules::load::builtin_domain();
        let table = d.table(TABLE).unwrap();
        assert_eq!(table.entries.len(), 5);
        for e in &table.entries {
            for field in ["api", "eventing", "registration"] {
                let host = e
                    .field(field)
                    .unwrap_or_else(|| panic!("{} has no {field}", e.name));
                assert!(is_sse_host(d, host), "{host}");
                assert_eq!(region_of_host(d, host), Some(e.name.as_str()), "{host}");
            }
            assert_eq!(
                region_of_api_host(d, e.field(API).unwrap()),
                Some(e.name.as_str())
            );
        }
    }
}
