//! Line times of the generic `log` format: an ISO 8601 time at the start of a line, or a
//! `strptime` format. An ISO time without an offset is read as UTC. A `strptime` time without
//! an offset is the device's wall clock, placed in its zone once that is known, and one without
//! a year takes the collection's, as syslog stamps do (bundle-format.md §6; a syslog stamp
//! itself is read by [`super::syslog`]).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime::BrokenDownTime;

use super::syslog::PROVISIONAL_YEAR;

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

/// The time a line starts with, in `format` (jiff's strptime), and whether it is provisional
/// wall-clock time for [`super::syslog::place`]: exact with `%z` (or `%s`); else the wall clock
/// read as UTC, in [`PROVISIONAL_YEAR`] when the format names no year (`%b %d %H:%M:%S`).
pub fn strptime(format: &str, line: &str) -> Option<(Timestamp, bool)> {
    let (mut tm, _) = BrokenDownTime::parse_prefix(format, line.trim_start()).ok()?;
    if tm.offset().is_some() || tm.timestamp().is_some() {
        return tm.to_timestamp().ok().map(|t| (t, false));
    }
    if tm.year().is_none() && tm.iso_week_year().is_none() {
        tm.set_year(Some(PROVISIONAL_YEAR)).ok()?;
        // A weekday (`%a`) names a day of the real year, which is not known yet.
        tm.set_weekday(None);
    }
    let dt = tm.to_datetime().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| (z.timestamp(), true))
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
        let (t, local) = strptime("%d/%m/%Y %H:%M:%S", "13/04/2020 14:34:02 started").unwrap();
        assert_eq!(
            (t.to_string().as_str(), local),
            ("2020-04-13T14:34:02Z", true)
        );
        // With an offset the instant is exact: nothing is placed later.
        let (t, local) = strptime("%Y-%m-%d %H:%M:%S %z", "2020-04-13 14:34:02 +0200 x").unwrap();
        assert_eq!(
            (t.to_string().as_str(), local),
            ("2020-04-13T12:34:02Z", false)
        );
        assert!(strptime("%Y-%m-%d", "nope").is_none());
        // A time of day alone is no time.
        assert!(strptime("%H:%M:%S", "14:34:02 x").is_none());
    }

    #[test]
    fn strptime_without_a_year_is_placed_like_syslog() {
        let zone = jiff::tz::TimeZoneDatabase::bundled()
            .get("America/Chicago")
            .unwrap();
        let (t, local) = strptime("%b %d %H:%M:%S", "Apr 13 14:34:02 connector: x").unwrap();
        assert!(local);
        let reference = jiff::civil::date(2020, 4, 13).at(15, 0, 0, 0);
        let placed = super::super::syslog::place(t, reference, &zone).unwrap();
        assert_eq!(placed.to_string(), "2020-04-13T19:34:02Z");
        // A month after the collection's is from the year before; 29 February survives until
        // it is placed, and then exists only in a leap year.
        let (t, _) = strptime("%b %d %H:%M:%S", "Dec 31 23:59:59 x").unwrap();
        let january = jiff::civil::date(2021, 1, 2).at(0, 0, 0, 0);
        let utc = jiff::tz::TimeZone::UTC;
        assert_eq!(
            super::super::syslog::place(t, january, &utc)
                .unwrap()
                .to_string(),
            "2020-12-31T23:59:59Z"
        );
        let (t, _) = strptime("%m/%d %H:%M:%S", "02/29 10:00:00 x").unwrap();
        let march = jiff::civil::date(2021, 3, 1).at(0, 0, 0, 0);
        assert!(super::super::syslog::place(t, march, &utc).is_none());
        let leap = jiff::civil::date(2024, 3, 1).at(0, 0, 0, 0);
        assert!(super::super::syslog::place(t, leap, &utc).is_some());
        // A weekday names a day of the unknown year: it does not make the line unreadable.
        let (t, _) = strptime("%a %b %d %H:%M:%S", "Mon Apr 13 14:34:02 x").unwrap();
        assert_eq!(
            super::super::syslog::place(t, reference, &utc)
                .unwrap()
                .to_string(),
            "2020-04-13T14:34:02Z"
        );
    }
}
