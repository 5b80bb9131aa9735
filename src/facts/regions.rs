//! The SSE cloud regions and their host names (bundle-format.md §4).
//!
//! Host names, never addresses, identify a region: the addresses behind them change.

/// Region names used in reports.
pub const REGIONS: [&str; 5] = ["US", "EU", "APJC", "AUS", "IN"];

/// The API host (`connector_fqdn`) of each region.
pub fn api_host(region: &str) -> Option<&'static str> {
    Some(match region {
        "US" => "api-sse.cisco.com",
        "EU" => "api.eu.sse.itd.cisco.com",
        "APJC" => "api.apj.sse.itd.cisco.com",
        "AUS" => "api.aus.sse.itd.cisco.com",
        "IN" => "api.in.sse.itd.cisco.com",
        _ => return None,
    })
}

/// The eventing host of each region (where `events:connectWebSocket` dials).
pub fn eventing_host(region: &str) -> Option<&'static str> {
    Some(match region {
        "US" => "eventing-ingest.sse.itd.cisco.com",
        "EU" => "eventing-ingest.eu.sse.itd.cisco.com",
        "APJC" => "eventing-ingest.apj.sse.itd.cisco.com",
        "AUS" => "eventing-ingest.aus.sse.itd.cisco.com",
        "IN" => "eventing-ingest.in.sse.itd.cisco.com",
        _ => return None,
    })
}

/// Longer than any host name (253 bytes) with room for spaces and a trailing dot: not one.
const MAX_HOST_TEXT: usize = 512;

/// The region of an SSE API host given as `connector_fqdn`; None when it is not one.
pub fn region_of_api_host(host: &str) -> Option<&'static str> {
    if host.len() > MAX_HOST_TEXT {
        return None;
    }
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    REGIONS
        .into_iter()
        .find(|r| api_host(r) == Some(host.as_str()))
}

/// Whether a host name belongs to the SSE cloud (any region, any service).
pub fn is_sse_host(host: &str) -> bool {
    if host.len() > MAX_HOST_TEXT {
        return false;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "api-sse.cisco.com"
        || host == "est.sco.cisco.com"
        || host.ends_with(".sse.itd.cisco.com")
}

/// The region an SSE host belongs to; None for region-neutral hosts (`est.sco.cisco.com`).
pub fn region_of_host(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "api-sse.cisco.com" {
        return Some("US");
    }
    let rest = host.strip_suffix(".sse.itd.cisco.com")?;
    let label = rest.rsplit('.').next().unwrap_or(rest);
    Some(match label {
        "eu" => "EU",
        "apj" => "APJC",
        "aus" | "au" => "AUS",
        "in" => "IN",
        // `eventing-ingest.sse.itd.cisco.com`, `mx01.sse.itd.cisco.com`: the US cloud.
        _ if !rest.contains('.') => "US",
        _ => return None,
    })
}

/// Normalises a region name as written in settings (`APJ`, `Australia`, `eu`).
pub fn normalise_region(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_uppercase().as_str() {
        "US" | "NAM" | "NA" | "USA" => "US",
        "EU" | "EUROPE" => "EU",
        "APJ" | "APJC" | "APAC" => "APJC",
        "AU" | "AUS" | "AUSTRALIA" => "AUS",
        "IN" | "INDIA" => "IN",
        _ => return None,
    })
}

/// Finds SSE host names in free text (a syslog message, a log line without a URL).
pub fn sse_hosts_in(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .filter(|t| t.contains(".cisco.com") && is_sse_host(t))
        .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_hosts() {
        assert_eq!(region_of_api_host("api-sse.cisco.com"), Some("US"));
        assert_eq!(region_of_api_host("api.eu.sse.itd.cisco.com"), Some("EU"));
        assert_eq!(
            region_of_api_host("eventing-ingest.sse.itd.cisco.com"),
            None
        );
        assert_eq!(
            region_of_host("eventing-ingest.sse.itd.cisco.com"),
            Some("US")
        );
        assert_eq!(region_of_host("mx01.apj.sse.itd.cisco.com"), Some("APJC"));
        assert_eq!(region_of_host("dex.au.sse.itd.cisco.com"), Some("AUS"));
        assert_eq!(region_of_host("est.sco.cisco.com"), None);
        assert!(is_sse_host("est.sco.cisco.com"));
        assert!(!is_sse_host("firepower.cisco.com"));
        assert_eq!(normalise_region("apj"), Some("APJC"));
        let found: Vec<_> =
            sse_hosts_in("lookup api.eu.sse.itd.cisco.com. failed; firepower.cisco.com").collect();
        assert_eq!(found, vec!["api.eu.sse.itd.cisco.com"]);
    }
}
