//! `connector.log`, the SSE connector's logrus text log: `time="…" level=error msg="[host][file.go:90
//! pkg:func] text"`, with `\"` escapes inside quoted values, fields in any order and sometimes extra
//! fields. The parser runs on every line of multi-GB logs, so it is a hand-written byte scanner:
//! a cheap check rejects non-logrus lines before anything is allocated, and the facts rules need
//! (remote host, the addresses it names) are pulled from the message with plain substring searches
//! because the wording of real messages varies and only Go's standard phrases are stable.
//!
//! Addresses: a line about a host pairs that host with every address it names, in whatever form
//! the connector wrote it (`dial tcp A:443`, `(A:443)` or `(A)`, `peer=A:443`, `remote=A`,
//! `remote A:443`, a bare `A:443` or `[v6]:443`), because failures and successes for one host are
//! often worded differently and only their addresses tell which one worked. Addresses are kept
//! as [`IpAddr`] in a fixed-size [`Addrs`] list: the parser runs on every matching line, and a
//! line names one or two addresses.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Searchers for the fixed words looked for in every line, built once: `str::find` with a
/// `&str` builds a Two-Way searcher on each call, which was a tenth of the time on large logs.
struct Words {
    level: Finder<'static>,
    msg: Finder<'static>,
    schemes: [(Finder<'static>, usize); 4],
    host_words: [(Finder<'static>, usize); 2],
    dial: Finder<'static>,
    /// Words after which an address follows: `peer=A:443`, `remote=A`, `remote A:443`.
    addr_words: [(Finder<'static>, usize); 3],
    port_443: Finder<'static>,
}

static WORDS: LazyLock<Words> = LazyLock::new(|| {
    let word = |w: &'static str| (Finder::new(w), w.len());
    Words {
        level: Finder::new("level="),
        msg: Finder::new("msg="),
        schemes: ["https://", "wss://", "http://", "ws://"].map(word),
        host_words: ["lookup ", "host "].map(word),
        dial: Finder::new("dial tcp"),
        addr_words: ["peer=", "remote=", "remote "].map(word),
        port_443: Finder::new(":443"),
    }
});

/// The byte offset of `finder`'s word in `text` at or after `from`.
fn find_from(finder: &Finder<'_>, text: &str, from: usize) -> Option<usize> {
    finder
        .find(text.as_bytes().get(from..)?)
        .map(|at| from + at)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
    Panic,
}

impl Level {
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
            Level::Panic => "panic",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        const NAMES: [(&str, Level); 8] = [
            ("trace", Level::Trace),
            ("debug", Level::Debug),
            ("info", Level::Info),
            ("warning", Level::Warning),
            ("warn", Level::Warning),
            ("error", Level::Error),
            ("fatal", Level::Fatal),
            ("panic", Level::Panic),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, l)| *l)
    }
}

/// One parsed line. The message is borrowed from the line unless it had escapes to undo: the
/// parser runs on every matching line of multi-GB logs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine<'a> {
    #[serde(serialize_with = "super::ser_opt_ts")]
    pub time: Option<jiff::Timestamp>,
    pub level: Option<Level>,
    pub msg: Cow<'a, str>,
    pub remote_host: Option<String>,
    /// Every address the message names (dialled, connected, peer), in order of appearance.
    pub addrs: Addrs,
}

/// Most addresses kept per line: a line names one or two; more is a list the connector printed,
/// of which the first few are enough to pair the host with.
pub const MAX_ADDRS: usize = 4;

/// The addresses of one line, without repeats, in order; a fixed-size list so that parsing a
/// line never allocates for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrs {
    len: u8,
    items: [IpAddr; MAX_ADDRS],
}

impl Default for Addrs {
    fn default() -> Self {
        Addrs {
            len: 0,
            items: [IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED); MAX_ADDRS],
        }
    }
}

impl Addrs {
    /// Adds `ip` unless it is there already or the list is full.
    pub fn push(&mut self, ip: IpAddr) {
        let len = usize::from(self.len);
        if len < MAX_ADDRS && !self.items[..len].contains(&ip) {
            self.items[len] = ip;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[IpAddr] {
        &self.items[..usize::from(self.len)]
    }

    pub fn first(&self) -> Option<IpAddr> {
        self.as_slice().first().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl serde::Serialize for Addrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

impl LogLine<'_> {
    /// The `file.go:90 pkg:func` tag of the message, if it has one.
    pub fn source(&self) -> Option<&str> {
        split_prefix(&self.msg).0
    }
}

/// Parses one logrus text line; `None` if the line is not logrus key=value text.
pub fn parse_line(line: &str) -> Option<LogLine<'_>> {
    let line = line.trim();
    // Cheap rejection first: every logrus line carries `level=` or `msg=`, and starts with a key.
    let bytes = line.as_bytes();
    let words = &*WORDS;
    if words.level.find(bytes).is_none() && words.msg.find(bytes).is_none() {
        return None;
    }
    if !bytes.first().is_some_and(|b| is_key_byte(*b)) {
        return None;
    }
    let mut time = None;
    let mut level = None;
    let mut msg: Option<Cow<'_, str>> = None;
    let mut seen_level = false;
    let mut pos = 0;
    let mut first = true;
    while pos < bytes.len() {
        match next_pair(line, pos) {
            Some((key, value, next)) => {
                match key {
                    "time" => time = value.raw.trim().parse::<jiff::Timestamp>().ok(),
                    "level" => {
                        seen_level = true;
                        level = Level::parse(value.raw);
                    }
                    "msg" => msg = Some(value.text()),
                    _ => {}
                }
                pos = next;
            }
            None if first => return None,
            // Garbage inside a line (a stray word) is skipped up to the next blank.
            None => pos = skip_token(bytes, pos),
        }
        first = false;
        pos = skip_blanks(bytes, pos);
    }
    if msg.is_none() && !seen_level {
        return None;
    }
    let msg = msg.unwrap_or_default();
    let (_, body) = split_prefix(&msg);
    let remote_host = find_remote_host(body);
    let addrs = find_addrs(body);
    Some(LogLine {
        time,
        level,
        remote_host,
        addrs,
        msg,
    })
}

struct Value<'a> {
    raw: &'a str,
    quoted: bool,
}

impl<'a> Value<'a> {
    fn text(&self) -> Cow<'a, str> {
        if !self.quoted || memchr::memchr(b'\\', self.raw.as_bytes()).is_none() {
            return Cow::Borrowed(self.raw);
        }
        let mut out = String::with_capacity(self.raw.len());
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(e @ ('"' | '\\')) => out.push(e),
                    Some(e) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

fn skip_blanks(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

fn skip_token(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Reads `key=value` or `key="quoted value"` at `pos`; returns the pair and the position after it.
fn next_pair(line: &str, pos: usize) -> Option<(&str, Value<'_>, usize)> {
    let bytes = line.as_bytes();
    let mut i = pos;
    while bytes.get(i).is_some_and(|b| is_key_byte(*b)) {
        i += 1;
    }
    if i == pos || bytes.get(i) != Some(&b'=') {
        return None;
    }
    let key = line.get(pos..i)?;
    i += 1;
    if bytes.get(i) == Some(&b'"') {
        let start = i + 1;
        let mut j = start;
        while let Some(at) = bytes
            .get(j..)
            .and_then(|rest| memchr::memchr2(b'\\', b'"', rest))
        {
            j += at;
            if bytes[j] == b'"' {
                break;
            }
            j += 2;
        }
        if j > bytes.len() || bytes.get(j) != Some(&b'"') {
            j = bytes.len();
        }
        // An unterminated quote (a truncated line) keeps the rest of the line.
        let end = j.min(bytes.len());
        let raw = line.get(start..end)?;
        return Some((key, Value { raw, quoted: true }, (end + 1).min(bytes.len())));
    }
    let end = skip_token(bytes, i);
    let raw = line.get(i..end)?;
    Some((key, Value { raw, quoted: false }, end))
}

/// Splits the leading `[host][file.go:90 pkg:func] ` tags off a message; returns the source tag
/// and the rest, so that host searches never see the device's own name in the first tag.
fn split_prefix(msg: &str) -> (Option<&str>, &str) {
    let mut rest = msg.trim_start();
    let mut tags: [&str; 2] = [""; 2];
    let mut count = 0;
    while count < 2 {
        let Some(inner) = rest.strip_prefix('[') else {
            break;
        };
        let Some(close) = memchr::memchr(b']', inner.as_bytes()) else {
            break;
        };
        tags[count] = inner.get(..close).unwrap_or("");
        count += 1;
        rest = inner.get(close + 1..).unwrap_or("");
    }
    let source = match &tags[..count] {
        [_, src] => Some(src.trim()),
        [one] if one.contains(".go:") => Some(one.trim()),
        _ => None,
    };
    (source.filter(|s| !s.is_empty()), rest.trim_start())
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'
}

/// The host-name-like run at the start of `s`, if it looks like a DNS name (has a dot and a letter).
fn host_at(s: &str) -> Option<String> {
    let end = s.bytes().position(|b| !is_host_byte(b)).unwrap_or(s.len());
    let h = s.get(..end)?.trim_end_matches(['.', '-']);
    let ok = h.contains('.') && h.bytes().any(|b| b.is_ascii_alphabetic());
    ok.then(|| h.to_ascii_lowercase())
}

fn find_remote_host(body: &str) -> Option<String> {
    for (scheme, len) in &WORDS.schemes {
        let mut from = 0;
        while let Some(at) = find_from(scheme, body, from) {
            let start = at + len;
            let tail = body.get(start..).unwrap_or("");
            // Skip user-info (`user@host`) if present before the first path separator.
            let tail = match (tail.find('@'), tail.find(['/', ' '])) {
                (Some(a), Some(s)) if a < s => tail.get(a + 1..).unwrap_or(""),
                (Some(a), None) => tail.get(a + 1..).unwrap_or(""),
                _ => tail,
            };
            if let Some(h) = host_at(tail) {
                return Some(h);
            }
            from = start;
        }
    }
    for (word, len) in &WORDS.host_words {
        let mut from = 0;
        while let Some(at) = find_from(word, body, from) {
            let start = at + len;
            if let Some(h) = host_at(body.get(start..).unwrap_or("")) {
                return Some(h);
            }
            from = start;
        }
    }
    None
}

/// The address at the start of `s`, if any: `A`, `A:port`, `[v6]`, `[v6]:port` or a bare `v6`,
/// ended by anything that cannot be part of an address.
fn ip_at(s: &str) -> Option<IpAddr> {
    if let Some(inner) = s.strip_prefix('[') {
        let close = memchr::memchr(b']', inner.as_bytes())?;
        return inner.get(..close)?.parse().ok();
    }
    let end = s
        .bytes()
        .position(|b| !(b.is_ascii_hexdigit() || b == b'.' || b == b':'))
        .unwrap_or(s.len());
    let token = s.get(..end)?.trim_end_matches(['.', ':']);
    if let Ok(ip) = token.parse() {
        return Some(ip);
    }
    // `A:port`: one colon is a port, never part of an IPv4 address.
    let (host, port) = token.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) {
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    } else {
        None
    }
}

/// The address ending just before `end` (where a `:443` starts): `A` or `[v6]`.
fn ip_before(body: &str, end: usize) -> Option<IpAddr> {
    let head = body.get(..end)?;
    if let Some(inner) = head.strip_suffix(']') {
        let open = memchr::memrchr(b'[', inner.as_bytes())?;
        return inner.get(open + 1..)?.parse().ok();
    }
    let start = head
        .bytes()
        .rposition(|b| !(b.is_ascii_digit() || b == b'.'))
        .map_or(0, |i| i + 1);
    head.get(start..)?
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

/// Every address the message names, in the forms the module comment lists. Each form is one
/// substring search over the message (a few hundred bytes), so this stays cheap on the lines a
/// pattern matched.
fn find_addrs(body: &str) -> Addrs {
    let mut found: [(usize, Option<IpAddr>); 16] = [(usize::MAX, None); 16];
    let mut n = 0;
    let mut note = |at: usize, ip: Option<IpAddr>| {
        if ip.is_some() && n < found.len() {
            found[n] = (at, ip);
            n += 1;
        }
    };
    let words = &*WORDS;
    let mut from = 0;
    while let Some(at) = find_from(&words.dial, body, from) {
        let start = at + "dial tcp".len();
        let tail = body
            .get(start..)
            .unwrap_or("")
            .trim_start_matches(['4', '6']);
        if let Some(rest) = tail.strip_prefix(' ') {
            note(at, ip_at(rest));
        }
        from = start;
    }
    for (word, len) in &words.addr_words {
        let mut from = 0;
        while let Some(at) = find_from(word, body, from) {
            // `peer=` and `remote=` must start a word: `xpeer=` is another key.
            let starts_word = at == 0
                || !body.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && body.as_bytes()[at - 1] != b'_';
            if starts_word {
                note(at, ip_at(body.get(at + len..).unwrap_or("")));
            }
            from = at + len;
        }
    }
    let bytes = body.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(b'(', rest))
        .map(|i| from + i)
    {
        let inner = body.get(at + 1..).unwrap_or("");
        // Only a whole parenthesised address counts: `(A)`, `(A:443)`, `([v6]:443)`.
        if let Some(close) = memchr::memchr(b')', inner.as_bytes())
            && let Some(ip) = inner.get(..close).and_then(whole_addr)
        {
            note(at, Some(ip));
        }
        from = at + 1;
    }
    let mut from = 0;
    while let Some(at) = find_from(&words.port_443, body, from) {
        // `:443` as a whole port (not `:4430`), after an address.
        let after = bytes.get(at + 4);
        if after.is_none_or(|b| !b.is_ascii_digit()) {
            note(at, ip_before(body, at));
        }
        from = at + 4;
    }
    let found = &mut found[..n];
    found.sort_by_key(|(at, _)| *at);
    let mut addrs = Addrs::default();
    for ip in found.iter().filter_map(|(_, ip)| *ip) {
        addrs.push(ip);
    }
    addrs
}

/// `s` as a whole is an address with an optional port.
fn whole_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(inner) = s.strip_prefix('[') {
        let (v6, port) = inner.split_once(']')?;
        let port_ok = port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        return if port_ok { v6.parse().ok() } else { None };
    }
    let (host, port) = s.rsplit_once(':')?;
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"time="2020-04-13T14:34:02.88472046-05:00" level=error msg="[firepower.cisco.com][events.go:90 events:connectWebSocket] dial tcp 18.205.49.246:443: getsockopt: connection timed out""#;

    #[test]
    fn seed_line() {
        let l = parse_line(SEED).unwrap();
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.time.unwrap().to_string(), "2020-04-13T19:34:02.88472046Z");
        assert_eq!(l.source(), Some("events.go:90 events:connectWebSocket"));
        assert_eq!(addrs(&l), ["18.205.49.246"]);
        assert_eq!(l.remote_host, None);
        assert!(l.msg.starts_with("[firepower.cisco.com][events.go:90"));
    }

    #[test]
    fn escapes_and_zeromq() {
        let t = r#"time="2020-04-13T14:34:02-05:00" level=warn msg="[fp][service.go:1 events:(*Service).Start] Could not connect to ZeroMQ PUSH endpoint: could not dial to \"ipc:///ngfw/var/sf/run/EventHandler_SSEConnector.sock\": dial unix /ngfw/var/sf/run/EventHandler_SSEConnector.sock: connect: no such file or directory\\n""#;
        let l = parse_line(t).unwrap();
        assert_eq!(l.level, Some(Level::Warning));
        assert!(l.msg.contains("dial to \"ipc:///ngfw"));
        assert!(l.msg.ends_with("directory\\n"));
        assert!(l.addrs.is_empty());
        assert_eq!(l.remote_host, None);
    }

    #[test]
    fn hosts_and_addresses() {
        let t = r#"level=info msg="[fp][client.go:10 x:y] POST https://API-SSE.cisco.com/providers/sse dial tcp [2600:1f18::1]:443: i/o timeout" time=2023-01-01T00:00:00Z module=events"#;
        let l = parse_line(t).unwrap();
        assert_eq!(l.remote_host.as_deref(), Some("api-sse.cisco.com"));
        assert_eq!(addrs(&l), ["2600:1f18::1"]);
        assert!(l.time.is_some());
        let t = r#"time="2023-01-01T00:00:00Z" level=error msg="[fp][a.go:1 a:b] dial tcp: lookup eventing-ingest.sse.itd.cisco.com on 10.0.0.2:53: no such host""#;
        let l = parse_line(t).unwrap();
        assert_eq!(
            l.remote_host.as_deref(),
            Some("eventing-ingest.sse.itd.cisco.com")
        );
        assert!(l.addrs.is_empty(), "a DNS server is not a peer");
        let t = r#"level=info msg="Connected to wss://eventing-ingest.eu.sse.itd.cisco.com/ws (52.1.2.3)""#;
        let l = parse_line(t).unwrap();
        assert_eq!(
            l.remote_host.as_deref(),
            Some("eventing-ingest.eu.sse.itd.cisco.com")
        );
        assert_eq!(addrs(&l), ["52.1.2.3"]);
        let t = r#"level=info msg="connected to host dex.sse.itd.cisco.com""#;
        assert_eq!(
            parse_line(t).unwrap().remote_host.as_deref(),
            Some("dex.sse.itd.cisco.com")
        );
    }

    fn addrs(l: &LogLine<'_>) -> Vec<String> {
        l.addrs.as_slice().iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn every_address_form_of_a_line_pairs_with_its_host() {
        let cases: [(&str, &[&str]); 9] = [
            // A failure and a success for one eventing URL, worded differently.
            (
                r#"time="2020-04-19T11:41:27Z" level=error msg="[fmc][events.go:90 events:connectWebSocket] wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp 18.205.49.246:443: i/o timeout""#,
                &["18.205.49.246"],
            ),
            (
                r#"time="2020-04-19T11:50:17Z" level=info msg="[fmc][events.go:131 events:connectWebSocket] event stream to wss://eventing-ingest.sse.itd.cisco.com/v1/events open, peer=3.209.71.61:443""#,
                &["3.209.71.61"],
            ),
            (
                r#"level=info msg="[fmc][x.go:1 a:b] connected to wss://eventing-ingest.sse.itd.cisco.com/v1/events (3.209.71.61:443)""#,
                &["3.209.71.61"],
            ),
            (
                r#"level=debug msg="[fmc][x.go:1 a:b] heartbeat ok to wss://eventing-ingest.sse.itd.cisco.com/v1/events remote=35.172.147.246:443 rtt=31ms""#,
                &["35.172.147.246"],
            ),
            (
                r#"level=info msg="[fmc][x.go:1 a:b] websocket to wss://eventing-ingest.sse.itd.cisco.com/v1/events established, remote 52.28.140.96""#,
                &["52.28.140.96"],
            ),
            (
                r#"level=error msg="[fmc][x.go:1 a:b] POST https://api-sse.cisco.com/x failed after 52.4.85.66:443 and [2600:1f18:4a3:6902::5]:443 timed out""#,
                &["52.4.85.66", "2600:1f18:4a3:6902::5"],
            ),
            // Other ports, parentheses that hold no address, look-alike keys: none.
            (
                r#"level=error msg="[fmc][x.go:1 a:b] lookup api-sse.cisco.com on 10.0.0.2:53: no such host (code 3) xpeer=1.2.3.4""#,
                &[],
            ),
            (
                r#"level=error msg="[fmc][x.go:1 a:b] https://api-sse.cisco.com: dial tcp 1.2.3.4:4430: refused (1.2.3.4:443x)""#,
                &["1.2.3.4"],
            ),
            (
                r#"level=info msg="[fmc][x.go:1 a:b] Connected to api-sse.cisco.com (52.4.85.66) port 443""#,
                &["52.4.85.66"],
            ),
        ];
        for (line, want) in cases {
            let l = parse_line(line).unwrap();
            assert_eq!(addrs(&l), want.to_vec(), "{line}");
        }
    }

    #[test]
    fn address_lists_are_bounded_and_deduplicated() {
        let many: String = (1..=9).map(|i| format!(" 52.0.0.{i}:443")).collect();
        let line = format!(r#"level=error msg="dial tcp 52.0.0.1:443:{many}""#);
        let l = parse_line(&line).unwrap();
        assert_eq!(addrs(&l), ["52.0.0.1", "52.0.0.2", "52.0.0.3", "52.0.0.4"]);
        // Cut-off and hostile tails do not panic.
        for tail in [
            "[",
            "[::1",
            "(",
            "(1.2.3.4",
            ":443",
            "peer=",
            "remote ",
            "dial tcp ",
        ] {
            let line = format!(r#"level=error msg="x {tail}"#);
            let _ = parse_line(&line);
        }
    }

    #[test]
    fn rejects_non_logrus() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("plain text line"), None);
        assert_eq!(
            parse_line("Apr 13 14:34:02 fp SF-IMS[1]: level=info msg=x"),
            None
        );
        assert_eq!(
            parse_line("events:connectWebSocket] dial tcp 1.2.3.4:443\""),
            None
        );
    }

    #[test]
    fn tolerant_variants() {
        // CRLF, unknown level, truncated quote, garbage word between fields.
        let l = parse_line("time=\"bad\" level=loud junk msg=\"cut off\r").unwrap();
        assert_eq!((l.time, l.level, l.msg.as_ref()), (None, None, "cut off"));
        let l = parse_line("level=DEBUG").unwrap();
        assert_eq!((l.level, l.msg.as_ref()), (Some(Level::Debug), ""));
        assert_eq!(Level::Warning.as_str(), "warning");
        assert_eq!(
            serde_json::to_string(&Level::Warning).unwrap(),
            "\"warning\""
        );
    }
}
