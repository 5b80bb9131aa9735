//! System log (`/var/log/messages`) lines: BSD syslog `Apr 13 14:34:02 host prog[pid]: msg` with no
//! year, and RFC 3339 stamped `2023-02-10T08:20:02.123+00:00 host prog[pid]: msg`. The year-less
//! form is kept as its calendar fields so the caller can place it in a year it knows (from the
//! bundle's name or a neighbouring line); tokens are split by hand because the day is space padded.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyslogLine {
    pub time: Option<SyslogTime>,
    pub host: String,
    pub program: String,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SyslogTime {
    Exact(#[serde(serialize_with = "super::ser_ts")] jiff::Timestamp),
    NoYear {
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    },
}

impl SyslogTime {
    /// The instant, reading a year-less stamp as UTC in `year`; `None` if the date does not exist.
    pub fn resolve(&self, year: i16) -> Option<jiff::Timestamp> {
        match *self {
            SyslogTime::Exact(t) => Some(t),
            SyslogTime::NoYear {
                month,
                day,
                hour,
                minute,
                second,
            } => {
                let i = |v: u8| i8::try_from(v).ok();
                let dt = DateTime::new(
                    year,
                    i(month)?,
                    i(day)?,
                    i(hour)?,
                    i(minute)?,
                    i(second)?,
                    0,
                )
                .ok()?;
                Some(dt.to_zoned(TimeZone::UTC).ok()?.timestamp())
            }
        }
    }
}

/// The year a year-less stamp is held in until its real year is known: a leap year, so that
/// 29 February survives until it is placed, and one no log line names, so that [`place`] can
/// tell a year-less time from a wall-clock time with its own year (a `strptime` format with `%Y`
/// but no offset).
pub const PROVISIONAL_YEAR: i16 = -4000;

impl SyslogTime {
    /// An exact stamp's instant (`local` false), or a year-less stamp's wall-clock fields read
    /// as UTC in [`PROVISIONAL_YEAR`] (`local` true), to be [`place`]d later.
    pub fn provisional(&self) -> Option<(jiff::Timestamp, bool)> {
        match self {
            SyslogTime::Exact(t) => Some((*t, false)),
            SyslogTime::NoYear { .. } => self.resolve(PROVISIONAL_YEAR).map(|t| (t, true)),
        }
    }
}

/// Places a provisional wall-clock time (see [`SyslogTime::provisional`]) in the device's `zone`.
/// A year-less one (in [`PROVISIONAL_YEAR`]) goes to the year of `reference` (the collection's
/// wall-clock time), or the year before when its month comes after the reference's month (a
/// December line in a January bundle); any other keeps its year.
pub fn place(
    provisional: jiff::Timestamp,
    reference: DateTime,
    zone: &TimeZone,
) -> Option<jiff::Timestamp> {
    let wall = provisional.to_zoned(TimeZone::UTC).datetime();
    let year = if wall.year() != PROVISIONAL_YEAR {
        wall.year()
    } else if wall.month() > reference.month() {
        reference.year().checked_sub(1)?
    } else {
        reference.year()
    };
    let dt = DateTime::new(
        year,
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second(),
        0,
    )
    .ok()?;
    zone.to_ambiguous_zoned(dt)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits off the first whitespace-delimited token.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    Some(s.split_once(char::is_whitespace).unwrap_or((s, "")))
}

fn hms(s: &str) -> Option<(u8, u8, u8)> {
    let mut it = s.split(':');
    let h = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    // Some senders add a fraction to BSD stamps; the second is enough here.
    let sec = it.next()?.split('.').next()?.parse().ok()?;
    (it.next().is_none() && h < 24 && m < 60 && sec < 61).then_some((h, m, sec))
}

fn parse_time(line: &str) -> Option<(SyslogTime, &str)> {
    let (first, rest) = token(line)?;
    if let Some(m) = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(first)) {
        let (day, rest) = token(rest)?;
        let day: u8 = day.parse().ok()?;
        let (time, rest) = token(rest)?;
        let (hour, minute, second) = hms(time)?;
        if !(1..=31).contains(&day) {
            return None;
        }
        let month = u8::try_from(m + 1).ok()?;
        return Some((
            SyslogTime::NoYear {
                month,
                day,
                hour,
                minute,
                second,
            },
            rest,
        ));
    }
    let ts = first.parse::<jiff::Timestamp>().ok()?;
    Some((SyslogTime::Exact(ts), rest))
}

pub fn parse_line(line: &str) -> Option<SyslogLine> {
    let line = line.trim_end_matches(['\r', '\n']).trim_start();
    // Raw network syslog keeps the `<PRI>` prefix.
    let line = match line.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((pri, rest)) if pri.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => line,
    };
    let (time, rest) = parse_time(line)?;
    let (host, rest) = token(rest)?;
    let rest = rest.trim_start();
    let (program, msg) = match token(rest) {
        Some((tag, after)) if tag.ends_with(':') => (tag.trim_end_matches(':'), after),
        Some((tag, after)) if tag.contains('[') && tag.ends_with(']') => {
            (tag, after.trim_start().strip_prefix(':').unwrap_or(after))
        }
        _ => ("", rest),
    };
    let program = program.split('[').next().unwrap_or(program);
    Some(SyslogLine {
        time: Some(time),
        host: host.to_string(),
        program: program.to_string(),
        msg: msg.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn year_less_stamps_are_placed_in_the_zone_and_year_of_the_collection() {
        let zone = jiff::tz::TimeZoneDatabase::bundled()
            .get("America/Chicago")
            .unwrap();
        let line = parse_line("Apr 13 14:34:02 fmc sshd[1]: x").unwrap();
        let (t, local) = line.time.unwrap().provisional().unwrap();
        assert!(local);
        let reference = jiff::civil::date(2020, 4, 13).at(14, 35, 2, 0);
        let placed = place(t, reference, &zone).unwrap();
        assert_eq!(placed.to_string(), "2020-04-13T19:34:02Z");
        // A December line in a January bundle is from the year before.
        let line = parse_line("Dec 31 23:59:59 fmc sshd[1]: x").unwrap();
        let (t, _) = line.time.unwrap().provisional().unwrap();
        let reference = jiff::civil::date(2021, 1, 2).at(1, 0, 0, 0);
        assert_eq!(
            place(t, reference, &jiff::tz::TimeZone::UTC)
                .unwrap()
                .to_string(),
            "2020-12-31T23:59:59Z"
        );
        // 29 February exists only in leap years.
        let line = parse_line("Feb 29 10:00:00 fmc sshd[1]: x").unwrap();
        let (t, _) = line.time.unwrap().provisional().unwrap();
        let reference = jiff::civil::date(2021, 3, 1).at(0, 0, 0, 0);
        assert!(place(t, reference, &jiff::tz::TimeZone::UTC).is_none());
        // A wall-clock time that names its year keeps it: only the zone is applied.
        let dated = jiff::civil::date(2019, 12, 31)
            .at(23, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        let reference = jiff::civil::date(2021, 6, 1).at(0, 0, 0, 0);
        assert_eq!(
            place(dated, reference, &zone).unwrap().to_string(),
            "2020-01-01T05:00:00Z"
        );
    }

    use super::*;

    #[test]
    fn bsd_line() {
        let l = parse_line("Apr 13 14:34:02 firepower SF-IMS[1234]: [1234] msg here\r\n").unwrap();
        assert_eq!(
            (l.host.as_str(), l.program.as_str(), l.msg.as_str()),
            ("firepower", "SF-IMS", "[1234] msg here")
        );
        let t = l.time.unwrap();
        assert_eq!(
            t,
            SyslogTime::NoYear {
                month: 4,
                day: 13,
                hour: 14,
                minute: 34,
                second: 2
            }
        );
        assert_eq!(t.resolve(2020).unwrap().to_string(), "2020-04-13T14:34:02Z");
    }

    #[test]
    fn rfc3339_line() {
        let l = parse_line("2023-02-10T08:20:02.123+01:00 ftd1 named[77]: lookup failed").unwrap();
        assert_eq!(
            l.time.clone().unwrap().resolve(1999).unwrap().to_string(),
            "2023-02-10T07:20:02.123Z"
        );
        assert_eq!(
            (l.program.as_str(), l.msg.as_str()),
            ("named", "lookup failed")
        );
    }

    #[test]
    fn variants() {
        let l = parse_line("Apr  3 01:02:03 fp kernel: [  1.0] boot").unwrap();
        assert_eq!(
            (l.program.as_str(), l.msg.as_str()),
            ("kernel", "[  1.0] boot")
        );
        let l = parse_line("<13>Feb 29 00:00:00 fp sshd[5] : hi").unwrap();
        assert_eq!((l.program.as_str(), l.msg.as_str()), ("sshd", "hi"));
        assert_eq!(l.time.clone().unwrap().resolve(2023), None);
        assert!(l.time.unwrap().resolve(2024).is_some());
        let l = parse_line("Apr 13 14:34:02 fp free text").unwrap();
        assert_eq!((l.program.as_str(), l.msg.as_str()), ("", "free text"));
        for bad in [
            "",
            "garbage",
            "Apr 13",
            "Apr 40 10:00:00 h p: m",
            "Apr 13 25:00:00 h p: m",
            "Apr 13 14:34:02",
        ] {
            assert_eq!(parse_line(bad), None, "{bad}");
        }
    }
}
