//! Line times of the generic `log` format: an ISO 8601 time at the start of a line, or a
//! `strptime` format. A time without an offset is read as UTC (a syslog stamp, which is local
//! time, is read by [`super::syslog`]).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime::BrokenDownTime;

/// The ISO 8601 / RFC 3339 time a line starts with: `2020-04-13T14:34:02.8-05:00`,
/// `2020-04-13 14:34:02,123`, `[2020-04-13T14:34:02Z]`.
pub fn iso8601(line: &str) -> Option<Timestamp> {
    let line = line.trim_start().trim_start_matches('[');
    let date = line.get(..10)?;
    if !date.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let rest = &line[10..];
    let sep = rest.bytes().next()?;
    if sep != b'T' && sep != b' ' {
        return None;
    }
    let end = rest[1..]
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, ':' | '.' | ',' | '+' | '-' | 'Z')))
        .map(|i| i + 1)
        .unwrap_or(rest.len());
    let time = rest[1..end].replace(',', ".");
    let text = format!("{date}T{time}");
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: DateTime = text.trim_end_matches('Z').parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// The time a line starts with, in `format` (jiff's strptime); read as UTC without `%z`.
pub fn strptime(format: &str, line: &str) -> Option<Timestamp> {
    let (tm, _) = BrokenDownTime::parse_prefix(format, line.trim_start()).ok()?;
    if let Ok(t) = tm.to_timestamp() {
        return Some(t);
    }
    let dt = tm.to_datetime().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_at_line_starts() {
        let t = |s: &str| iso8601(s).map(|t| t.to_string());
        assert_eq!(
            t("2020-04-13T14:34:02.8-05:00 level=info").as_deref(),
            Some("2020-04-13T19:34:02.8Z")
        );
        assert_eq!(
            t("2020-04-13 14:34:02,123 ERROR x").as_deref(),
            Some("2020-04-13T14:34:02.123Z")
        );
        assert_eq!(
            t("[2020-04-13T14:34:02Z] x").as_deref(),
            Some("2020-04-13T14:34:02Z")
        );
        assert_eq!(t("Apr 13 14:34:02 host x"), None);
        assert_eq!(t("é"), None);
        assert_eq!(t("2020-04-13"), None);
    }

    #[test]
    fn strptime_times() {
        let t = strptime("%d/%m/%Y %H:%M:%S", "13/04/2020 14:34:02 started").unwrap();
        assert_eq!(t.to_string(), "2020-04-13T14:34:02Z");
        let t = strptime("%Y-%m-%d %H:%M:%S %z", "2020-04-13 14:34:02 +0200 x").unwrap();
        assert_eq!(t.to_string(), "2020-04-13T12:34:02Z");
        assert!(strptime("%Y-%m-%d", "nope").is_none());
    }
}
