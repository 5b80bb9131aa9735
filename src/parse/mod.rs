//! Parsers for the artifacts found in a Firepower troubleshoot bundle. Each module turns the
//! (already lossily decoded) text of one artifact kind into plain data with 1-based line
//! numbers, so that findings can cite where they came from. All parsers are total: they never
//! panic and return whatever they could read, because bundles hold truncated, re-packed and
//! hand-edited files.

pub mod cloud_settings;
pub mod connector_context;
pub mod connector_log;
pub mod curl_test;
pub mod ident;
pub mod json_find;
pub mod licensing;
pub mod log_time;
pub mod lsof;
pub mod netstat;
pub mod pmtool;
pub mod syslog;
pub mod version_lines;

/// A value with the 1-based line it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located<T> {
    pub value: T,
    pub line: u32,
}

/// Splits text into lines with 1-based numbers, stripping a trailing '\r'.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.lines()
        .zip(1u32..)
        .map(|(l, n)| (n, l.strip_suffix('\r').unwrap_or(l)))
}

/// Turns increasing byte offsets into 1-based line numbers without rescanning the text from
/// its start for every offset.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// Line of byte offset `at`; offsets must not decrease between calls (earlier ones are
    /// answered with the current line), offsets past the end count as the last line.
    pub(crate) fn line_at(&mut self, at: usize) -> u32 {
        let at = at.min(self.text.len());
        if at > self.pos {
            let chunk = self.text.get(self.pos..at).unwrap_or(b"");
            let n = memchr::memchr_iter(b'\n', chunk).count();
            self.line = self
                .line
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            self.pos = at;
        }
        self.line
    }
}

/// Serialises an optional timestamp as its RFC 3339 text: jiff is built without its serde
/// feature in this crate, and text is what reports want anyway.
pub(crate) fn ser_opt_ts<S: serde::Serializer>(
    t: &Option<jiff::Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// Serialises a timestamp as its RFC 3339 text (see [`ser_opt_ts`]).
pub(crate) fn ser_ts<S: serde::Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// Runs `text` through every parser, discarding the results: the one entry point for the
/// fuzzer, the property tests and the no-panic tests, so a new parser is added to all at once.
#[doc(hidden)]
pub fn parse_everything(text: &str) {
    let _ = pmtool::parse(text);
    let _ = netstat::parse(text);
    let _ = lsof::parse(text);
    let _ = lsof::split_host_port(text);
    let _ = version_lines::parse_sf_version(text);
    let _ = version_lines::parse_show_version(text);
    let _ = ident::parse_hostname(text);
    let _ = ident::parse_ims_conf(text);
    let _ = json_find::objects_with_key(text, "status");
    let _ = json_find::values_of_key(text, "regionCode");
    let _ = licensing::parse(text, &|_| false);
    let _ = cloud_settings::parse(text);
    let _ = connector_context::parse(text);
    let _ = curl_test::parse(text);
    let _ = crate::version::Version::parse(text);
    for (_, line) in numbered_lines(text) {
        let _ = connector_log::parse_line(line);
        let _ = log_time::iso8601(line);
        let _ = log_time::strptime("%Y-%m-%d %H:%M:%S", line);
        if let Some(time) = syslog::parse_line(line).and_then(|s| s.time) {
            let _ = time.resolve(2020);
            let _ = time.resolve(i16::MAX);
            let _ = time.resolve(i16::MIN);
        }
        let _ = crate::version::Version::parse(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines() {
        let v: Vec<_> = numbered_lines("a\r\nb\n\nc").collect();
        assert_eq!(v, vec![(1, "a"), (2, "b"), (3, ""), (4, "c")]);
        assert_eq!(numbered_lines("").count(), 0);
    }

    #[test]
    fn line_counter() {
        let mut c = LineCounter::new("ab\ncd\nef");
        assert_eq!(c.line_at(0), 1);
        assert_eq!(c.line_at(3), 2);
        assert_eq!(c.line_at(1), 2);
        assert_eq!(c.line_at(100), 3);
    }

    /// Every parser on every truncation of a mixed sample and on hostile strings: none may panic.
    #[test]
    fn no_panics_on_truncations() {
        let sample = "time=\"2020-04-13T14:34:02.8-05:00\" level=error msg=\"[h][a.go:1 b:c] dial tcp [::1]:443 https://x.y/ \\\"\"\r\n\
SSEConnector (system) - Running 20697\nunix  2 [ ACC ] STREAM LISTENING 1 2/x /p\ntcp 0 0 a:1 b:2 LISTEN 3/y\n\
COMMAND PID\nc 1 u 1u IPv6 1 0t0 TCP [::1]:1->[::2]:2 (ESTABLISHED)\n-----[ h ]-----\nModel : Threat Defense Version 7.2.5 (Build 1)\n\
\"smartLicenseStatus\": {\"registrationStatus\": \"EVALUATION\"}\nRegistration:\nStatus: EVAL MODE\nTransport:\nURL: https://sat.local\n\
{\"type\": \"CloudRegion\", \"current\": true, \"regionCode\": \"EU\", \"status\": {\"state\": \"Enrolled\"}}\n\
curl -v -k https://a.b\n* Trying 1.2.3.4...\n* Connected to a.b (1.2.3.4) port 443\n< HTTP/1.1 403 Forbidden\n\
Apr 13 14:34:02 fp prog[1]: m\nAPPLIANCE_UUID=\"é\"\nk=v\n";
        let hostile = [
            "\\", "\"", "{", "}", "[", "]", "(", ")", ":", "=", "é", "\u{feff}", "-", "*", "<",
            "v", "\r",
        ];
        let mut inputs: Vec<String> = (0..=sample.len())
            .filter(|i| sample.is_char_boundary(*i))
            .flat_map(|i| [sample[..i].to_string(), sample[i..].to_string()])
            .collect();
        inputs.extend(hostile.iter().map(|h| h.repeat(50)));
        for t in &inputs {
            parse_everything(t);
        }
    }
}
