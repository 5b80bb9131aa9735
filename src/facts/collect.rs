//! The ingest visitor: routes each streaming member to the parser that wants it.
//!
//! Members are classified by the artifact map from their path and first bytes. Logs are read
//! line by line as they stream (bounded line length) and every line goes through the matcher
//! set once; everything else of interest is small and is kept as text (bounded) to be parsed as
//! a document when the bundle is complete. Members nobody wants are not read past their head.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read};
use std::sync::LazyLock;

use jiff::Timestamp;
use memchr::memmem::Finder;

use super::hits::{HitLine, LineHits, push_capped};
use super::{ArtifactRef, Case, derive};
use crate::artifacts::{ArtifactKind, ArtifactMap};
use crate::ingest::{Bundle, Member, Visitor, Warning};
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::parse::connector_log::{self, Addrs};
use crate::parse::syslog;

/// Substring searchers built once: `str::contains` builds one per call, on every log line.
static URL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("://"));
static DIAL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("dial tcp "));

/// Bytes of `show_tech_output.txt`-like members kept: the version block is at its head.
const SHOW_VERSION_BYTES: usize = 256 << 10;

/// What was read of one bundle.
pub(crate) struct BundleState {
    pub label: String,
    pub format: crate::ingest::Format,
    pub artifacts: Vec<ArtifactRef>,
    /// Whole-document artifacts: kind, display path, text.
    pub documents: Vec<(ArtifactKind, String, String)>,
    pub hits: LineHits,
    /// Dialled address → SSE host, from lines naming both.
    pub host_of_addr: BTreeMap<String, String>,
    /// SSE hosts named by connector log lines.
    pub peer_hosts: BTreeSet<String>,
    pub newest_log: Option<Timestamp>,
    /// A member that lives in `etc/sf/`, if any (then a missing connector.properties means something).
    pub etc_sf_member: Option<String>,
    /// The bundle's own time stamp (`results-MM-DD-YYYY--HHMMSS`), from its name or its top folder.
    pub stamped: Option<Timestamp>,
}

/// Collects one case: every input given to one analysis.
pub struct Collector<'a> {
    map: &'a ArtifactMap,
    matcher: &'a MatcherSet,
    limits: Limits,
    pub(crate) bundles: Vec<BundleState>,
    /// Global index of the first bundle of the current input (ingest numbers bundles per input).
    base: usize,
    warnings: Vec<Warning>,
    errors: Vec<String>,
    inputs: Vec<String>,
    seq: u64,
    matched: Vec<usize>,
    lowered: Vec<u8>,
}

impl<'a> Collector<'a> {
    pub fn new(map: &'a ArtifactMap, matcher: &'a MatcherSet, limits: Limits) -> Self {
        Collector {
            map,
            matcher,
            limits,
            bundles: Vec::new(),
            base: 0,
            warnings: Vec::new(),
            errors: Vec::new(),
            inputs: Vec::new(),
            seq: 0,
            matched: Vec::new(),
            lowered: Vec::new(),
        }
    }

    /// Reads one input of the case.
    pub fn read_input(&mut self, input: &std::path::Path) {
        self.base = self.bundles.len();
        self.inputs.push(input.display().to_string());
        let limits = self.limits.clone();
        if let Err(e) = crate::ingest::read_input(input, &limits, self) {
            self.errors.push(e.to_string());
        }
    }

    /// Turns what was read into devices with facts.
    pub fn finish(self) -> Case {
        let mut warnings = self.warnings;
        let devices = derive::devices(self.bundles, &self.limits, &mut warnings);
        Case {
            inputs: self.inputs,
            devices,
            warnings,
            errors: self.errors,
        }
    }

    fn read_log(
        &mut self,
        bundle: usize,
        kind: ArtifactKind,
        display: &str,
        body: &mut dyn Read,
    ) -> io::Result<()> {
        let mut reader = BufReader::with_capacity(256 << 10, body);
        let mut line = Vec::with_capacity(512);
        let mut number: u32 = 0;
        let mut cut_lines = 0u64;
        let mut last_time: Option<Timestamp> = None;
        let mut last_line = String::new();
        let wants = self.matcher.wants(kind);
        loop {
            line.clear();
            let (read, cut) = read_bounded_line(&mut reader, &mut line, self.limits.line_bytes)?;
            if read == 0 {
                break;
            }
            number = number.saturating_add(1);
            if cut {
                cut_lines += 1;
            }
            // Valid UTF-8 (nearly every line) is borrowed; only a broken line is copied.
            let text = match std::str::from_utf8(&line) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&line),
            };
            let text = text.trim_end_matches(['\n', '\r']);
            if kind == ArtifactKind::ConnectorLog
                && let Some(url_at) = URL.find(text.as_bytes())
            {
                self.note_peer(bundle, text, url_at);
            }
            if wants {
                self.matched.clear();
                self.matcher
                    .matches(kind, text, &mut self.matched, &mut self.lowered);
                if !self.matched.is_empty() {
                    let matched = std::mem::take(&mut self.matched);
                    self.record(bundle, kind, display, number, text, &matched);
                    self.matched = matched;
                }
            }
            if text.len() > 10 {
                last_line.clear();
                last_line.push_str(text);
            }
        }
        if !last_line.is_empty() {
            last_time = line_time(kind, &last_line, self.bundles[bundle].stamped);
        }
        if let Some(t) = last_time {
            let state = &mut self.bundles[bundle];
            if state.newest_log.is_none_or(|n| t > n) {
                state.newest_log = Some(t);
            }
        }
        if cut_lines > 0 {
            self.warnings.push(Warning {
                code: "limit-line-bytes",
                path: display.to_string(),
                message: format!("{cut_lines} line(s) longer than {} bytes were cut for matching (--max-line-bytes)", self.limits.line_bytes),
            });
        }
        Ok(())
    }

    /// Remembers which SSE hosts the connector talks to, and which address stands for which host.
    /// `url_at` is where the line's first `://` is.
    fn note_peer(&mut self, bundle: usize, text: &str, url_at: usize) {
        // Most connector lines repeat hosts already known: a cheap look at the URL's host and
        // the dialled address decides whether the full parse can tell anything new.
        let state = &self.bundles[bundle];
        let url_host = text.get(url_at + 3..).map(|rest| {
            let end = rest
                .bytes()
                .position(|b| matches!(b, b'/' | b':' | b'"' | b' ' | b'\\'))
                .unwrap_or(rest.len());
            &rest[..end]
        });
        let known_host = url_host.is_some_and(|h| {
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                state.peer_hosts.contains(&h.to_ascii_lowercase())
            } else {
                state.peer_hosts.contains(h)
            }
        });
        if known_host && DIAL.find(text.as_bytes()).is_none() {
            return;
        }
        if let Some(parsed) = connector_log::parse_line(text)
            && let Some(host) = parsed.remote_host
            && super::regions::is_sse_host(&host)
        {
            let state = &mut self.bundles[bundle];
            for addr in parsed.addrs.as_slice() {
                state
                    .host_of_addr
                    .entry(addr.to_string())
                    .or_insert_with(|| host.clone());
            }
            if state.peer_hosts.len() < 256 {
                state.peer_hosts.insert(host);
            }
        }
    }

    fn record(
        &mut self,
        bundle: usize,
        kind: ArtifactKind,
        display: &str,
        number: u32,
        text: &str,
        matched: &[usize],
    ) {
        let mut level: Option<&'static str> = None;
        let (time, key, addrs) = match kind {
            ArtifactKind::ConnectorLog => match connector_log::parse_line(text) {
                Some(parsed) => {
                    level = parsed.level.as_ref().map(|l| l.as_str());
                    let host = parsed.remote_host.filter(|h| !h.is_empty());
                    let key = match (&host, parsed.addrs.first()) {
                        (Some(h), _) => h.clone(),
                        (None, Some(a)) => format!("addr:{a}"),
                        (None, None) => String::new(),
                    };
                    // Every address of a line about an SSE host stands for that host.
                    if let Some(h) = host.as_ref().filter(|h| super::regions::is_sse_host(h)) {
                        for a in parsed.addrs.as_slice() {
                            self.bundles[bundle]
                                .host_of_addr
                                .entry(a.to_string())
                                .or_insert_with(|| h.clone());
                        }
                    }
                    (parsed.time, key, parsed.addrs)
                }
                None => (None, first_sse_host(text), Addrs::default()),
            },
            _ => (
                line_time(kind, text, self.bundles[bundle].stamped),
                first_sse_host(text),
                Addrs::default(),
            ),
        };
        for &pattern in matched {
            if !self.matcher.level_ok(pattern, level) {
                continue;
            }
            self.seq += 1;
            let captures = self.matcher.captures(pattern, text);
            let line = HitLine {
                time,
                path: display,
                line: number,
                text,
                max_chars: self.limits.evidence_chars,
                captures: &captures,
                seq: self.seq,
            };
            self.bundles[bundle]
                .hits
                .record(pattern, &key, addrs.as_slice(), &line);
        }
    }
}

fn first_sse_host(text: &str) -> String {
    super::regions::sse_hosts_in(text)
        .next()
        .unwrap_or_default()
}

fn line_time(kind: ArtifactKind, text: &str, stamped: Option<Timestamp>) -> Option<Timestamp> {
    match kind {
        ArtifactKind::Syslog => {
            let year = stamped
                .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year())
                .unwrap_or_else(|| Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year());
            syslog::parse_line(text)
                .and_then(|l| l.time)
                .and_then(|t| t.resolve(year))
        }
        _ => connector_log::parse_line(text).and_then(|l| l.time),
    }
}

/// Cuts text to at most `max` characters, marking the cut.
pub fn cap_chars(text: &str, max: usize) -> String {
    let mut out = String::new();
    push_capped(&mut out, text, max);
    out
}

/// Reads one line into `out`, keeping at most `max` bytes of it; the rest of a longer line is
/// consumed without being kept. Returns (bytes consumed, whether the line was cut).
fn read_bounded_line(
    reader: &mut dyn BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((consumed, cut));
        }
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = max.saturating_sub(out.len());
        if chunk.len() > room {
            cut = true;
        }
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, cut));
        }
    }
}

/// `results-MM-DD-YYYY--HHMMSS` anywhere in a name, read as UTC (the collector's clock).
pub(crate) fn stamp_in_name(name: &str) -> Option<Timestamp> {
    let at = name.find("results-")?;
    let s = name.get(at + 8..at + 8 + 18)?;
    let b = s.as_bytes();
    if b.len() < 18 || b[2] != b'-' || b[5] != b'-' || &b[10..12] != b"--" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i16>().ok();
    let (month, day, year) = (num(0..2)?, num(3..5)?, num(6..10)?);
    let (hour, minute, second) = (num(12..14)?, num(14..16)?, num(16..18)?);
    let dt = jiff::civil::DateTime::new(
        year,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

impl Visitor for Collector<'_> {
    fn bundle(&mut self, bundle: &Bundle) {
        let global = self.base + bundle.index;
        debug_assert_eq!(global, self.bundles.len());
        self.bundles.push(BundleState {
            label: bundle.label.clone(),
            format: bundle.format,
            artifacts: Vec::new(),
            documents: Vec::new(),
            hits: LineHits::default(),
            host_of_addr: BTreeMap::new(),
            peer_hosts: BTreeSet::new(),
            newest_log: None,
            etc_sf_member: None,
            stamped: stamp_in_name(&bundle.label),
        });
    }

    fn member(&mut self, member: &Member<'_>, body: &mut dyn Read) -> io::Result<()> {
        let bundle = self.base + member.bundle;
        let display = crate::ingest::member_display(
            &self.bundles[bundle].label,
            Some(self.bundles[bundle].format),
            member.path,
        );
        {
            let state = &mut self.bundles[bundle];
            if state.stamped.is_none() {
                state.stamped = stamp_in_name(member.path);
            }
            if member.path.contains("etc/sf/") && state.etc_sf_member.is_none() {
                state.etc_sf_member = Some(display.clone());
            }
        }
        let Some(kind) = self.map.classify(member.path, member.head) else {
            return Ok(());
        };
        self.bundles[bundle].artifacts.push(ArtifactRef {
            path: display.clone(),
            kind,
            size: member.size,
        });
        if kind.is_log() {
            return self.read_log(bundle, kind, &display, body);
        }
        let cap = if kind == ArtifactKind::ShowVersion {
            SHOW_VERSION_BYTES
        } else {
            self.limits.document_bytes
        };
        let mut data = Vec::new();
        body.take(cap as u64 + 1).read_to_end(&mut data)?;
        if data.len() > cap {
            data.truncate(cap);
            if kind != ArtifactKind::ShowVersion {
                self.warnings.push(Warning {
                    code: "limit-document-bytes",
                    path: display.clone(),
                    message: format!(
                        "only the first {cap} bytes were parsed (--max-document-bytes)"
                    ),
                });
            }
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        self.bundles[bundle].documents.push((kind, display, text));
        Ok(())
    }

    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_stamp_is_read_from_names() {
        let t = stamp_in_name("x/results-04-13-2020--143502.tar.gz").unwrap();
        assert_eq!(t.to_string(), "2020-04-13T14:35:02Z");
        assert!(stamp_in_name("results-13-40-2020--143502").is_none());
        assert!(stamp_in_name("nothing").is_none());
    }

    #[test]
    fn long_lines_are_cut_not_buffered() {
        let data = format!("{}\nshort\n", "x".repeat(1000));
        let mut reader = BufReader::with_capacity(64, data.as_bytes());
        let mut out = Vec::new();
        assert_eq!(
            read_bounded_line(&mut reader, &mut out, 100).unwrap(),
            (1001, true)
        );
        assert_eq!(out.len(), 100);
        out.clear();
        assert_eq!(
            read_bounded_line(&mut reader, &mut out, 100).unwrap(),
            (6, false)
        );
        assert_eq!(out, b"short\n");
    }

    #[test]
    fn evidence_is_capped_on_char_boundaries() {
        assert_eq!(cap_chars("héllo", 2), "hé…");
        assert_eq!(cap_chars("hi", 5), "hi");
    }
}
