//! The formats a kind can be read with: the generic ones a rule author configures in YAML
//! (`keyvalue`, `json`, `table`, `records`, `log`, `text`), and the built-in parsers for what no
//! generic format reads well, which a pack names the same way (`format: pmtool`).
//!
//! A kind is a log (read line by line as it streams, its lines matched by `lines` conditions)
//! exactly when its format is one: `log`, or a built-in log format.

use std::fmt;

/// How a kind's members are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A parser written in Rust.
    Builtin(Builtin),
    Keyvalue,
    Json,
    Table,
    Records,
    Text,
    /// Timestamped lines; the time format says how a line's time is read.
    Log(LogTime),
}

/// The built-in parsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// The SSE connector's logrus log: levels, remote hosts and dialled addresses per line.
    ConnectorLog,
    /// `pmtool status` daemon blocks.
    Pmtool,
    Netstat,
    Lsof,
    SfVersion,
    ShowVersion,
    Hostname,
    ImsConf,
    /// Syslog lines in the device's zone (bundle-format §6).
    Syslog,
    /// The connector's enrollment context (JSON).
    ConnectorContext,
    /// Smart Licensing status, JSON or text.
    Licensing,
    CloudSettings,
    /// `curl -v` transcripts: connection outcomes per address.
    Curl,
    /// `etc/localtime`: a link to a zone, or a TZif copy.
    Tzif,
}

/// How the time of a `log` line is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogTime {
    /// `time="…"` and `level=…` key-value lines.
    Logrus,
    /// `Mon DD HH:MM:SS`, in the device's zone.
    Syslog,
    /// An RFC 3339 / ISO 8601 time at the start of the line.
    Iso8601,
    /// A `strptime` format at the start of the line (index into the map's format strings).
    Strptime(usize),
}

impl Builtin {
    pub const ALL: [Builtin; 14] = [
        Builtin::ConnectorLog,
        Builtin::Pmtool,
        Builtin::Netstat,
        Builtin::Lsof,
        Builtin::SfVersion,
        Builtin::ShowVersion,
        Builtin::Hostname,
        Builtin::ImsConf,
        Builtin::Syslog,
        Builtin::ConnectorContext,
        Builtin::Licensing,
        Builtin::CloudSettings,
        Builtin::Curl,
        Builtin::Tzif,
    ];

    /// The name a pack's `format:` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::ConnectorLog => "connector-log",
            Builtin::Pmtool => "pmtool",
            Builtin::Netstat => "netstat",
            Builtin::Lsof => "lsof",
            Builtin::SfVersion => "sf-version",
            Builtin::ShowVersion => "show-version",
            Builtin::Hostname => "hostname",
            Builtin::ImsConf => "ims-conf",
            Builtin::Syslog => "syslog",
            Builtin::ConnectorContext => "connector-context",
            Builtin::Licensing => "licensing",
            Builtin::CloudSettings => "cloud-settings",
            Builtin::Curl => "curl",
            Builtin::Tzif => "tzif",
        }
    }

    /// JSON documents, whose size is bounded by `--max-json-nodes` before they are parsed.
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Builtin::ConnectorContext | Builtin::Licensing | Builtin::CloudSettings
        )
    }
}

/// The generic format names, for lint hints and the guide.
pub const GENERIC: &[&str] = &["keyvalue", "json", "table", "records", "log", "text"];

impl Format {
    /// A format by its YAML name (`log` without its time format: [`LogTime::Iso8601`]).
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "keyvalue" => Format::Keyvalue,
            "json" => Format::Json,
            "table" => Format::Table,
            "records" => Format::Records,
            "text" => Format::Text,
            "log" => Format::Log(LogTime::Iso8601),
            _ => Format::Builtin(Builtin::ALL.into_iter().find(|b| b.as_str() == name)?),
        })
    }

    /// Read line by line as it streams.
    pub fn is_log(self) -> bool {
        matches!(
            self,
            Format::Log(_) | Format::Builtin(Builtin::ConnectorLog | Builtin::Syslog)
        )
    }

    pub fn builtin(self) -> Option<Builtin> {
        match self {
            Format::Builtin(b) => Some(b),
            _ => None,
        }
    }

    /// Parsed as JSON: its text is cut to `--max-json-nodes` values first.
    pub fn is_json(self) -> bool {
        match self {
            Format::Json => true,
            Format::Builtin(b) => b.is_json(),
            _ => false,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Builtin(b) => f.write_str(b.as_str()),
            Format::Keyvalue => f.write_str("keyvalue"),
            Format::Json => f.write_str("json"),
            Format::Table => f.write_str("table"),
            Format::Records => f.write_str("records"),
            Format::Text => f.write_str("text"),
            Format::Log(_) => f.write_str("log"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::parse("table"), Some(Format::Table));
        assert_eq!(
            Format::parse("pmtool"),
            Some(Format::Builtin(Builtin::Pmtool))
        );
        assert_eq!(Format::parse("csv"), None);
        for b in Builtin::ALL {
            assert_eq!(Format::parse(b.as_str()), Some(Format::Builtin(b)));
        }
        assert!(Format::parse("log").unwrap().is_log());
        assert!(Format::Builtin(Builtin::Syslog).is_log());
        assert!(!Format::Builtin(Builtin::Lsof).is_log());
    }
}
