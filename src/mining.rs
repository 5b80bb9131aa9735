//! The errors no rule explains yet: error-level log lines that no loaded pattern matched,
//! reduced to templates.
//!
//! The collector shows the [`Miner`] every log line the rules' matcher set found no pattern for
//! (the raw match of any `lines`, `mixed_outcomes` or `recovered_by` pattern of the line's
//! artifact kind, before level, host or `where` filters). Of those, only error-level lines are
//! kept: `connector.log` lines whose logrus `level` is `error`, `fatal` or `panic`, and system
//! log lines the configurable [`ErrorPattern`] finds (default [`DEFAULT_ERROR_PATTERN`]).
//!
//! A line's **template** is its text with the variable parts masked ([`mask`]): quoted values
//! `<str>`, URLs `<url>`, paths `<path>`, UUIDs `<uuid>`, IP addresses (with ports, CIDR or
//! brackets) `<ip>`, dotted host names `<host>`, hex ids `<hex>` (8 to 11 hex digits with a
//! letter, or 12 and more), numbers `<num>`. It is the masked text itself, a pure function of
//! the line, so the same wording gives the same template in any order, in any case, on any
//! shard. For `connector.log` the masked text is the `msg`
//! value as written (escapes kept) without its `[host]` prefix; for the system log, what follows
//! the host name (`program[pid]: message`). Either way every literal part of a template is a
//! verbatim piece of the line, in order: a regex of the escaped literal parts joined by wildcards
//! matches the line (what [`draft_regex`] builds for draft rules).
//!
//! Times: a connector line's `time`; a system log line's only when it is stamped with a zone
//! (RFC 3339), since a year-less stamp is wall-clock time of an unknown year.
//!
//! Bounded: at most [`MiningOptions::templates_per_case`] templates per case (lines of further
//! templates are counted as `other`), at most [`MiningOptions::lines_per_file`] lines masked per
//! log file (the rest are counted as `unread`), templates cut at [`TEMPLATE_BYTES`] and examples
//! at [`MiningOptions::example_chars`]. Masking runs only on error-level lines no pattern
//! matched, so the cost on a healthy log is one `level=` search (connector) or one regex search
//! (system log) per line.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use jiff::Timestamp;
use memchr::memmem::Finder;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::artifacts::{ArtifactKind, Builtin, Format};

/// System log lines that are errors, unless `--error-pattern` says otherwise.
pub const DEFAULT_ERROR_PATTERN: &str = r"(?i-u)\b(?:error|errors|failed|failure|fatal|panic)\b";

/// Bytes of masked text kept as a template (cut at a token boundary).
pub const TEMPLATE_BYTES: usize = 500;
/// Bytes of a line's text read for its template.
const TEMPLATE_INPUT_BYTES: usize = 800;

/// The regex that makes a system log line an error line.
#[derive(Clone)]
pub struct ErrorPattern(Regex);

impl ErrorPattern {
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        regex::RegexBuilder::new(source)
            .size_limit(1 << 20)
            .build()
            .map(ErrorPattern)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl Default for ErrorPattern {
    fn default() -> Self {
        ErrorPattern::new(DEFAULT_ERROR_PATTERN).expect("the default error pattern compiles")
    }
}

impl fmt::Debug for ErrorPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for ErrorPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How unexplained errors are mined (part of [`crate::limits::Limits`], hence of a batch key).
#[derive(Debug, Clone, Serialize)]
pub struct MiningOptions {
    /// Templates kept per case; 0 turns mining off.
    pub templates_per_case: usize,
    /// Which system log lines are errors.
    pub error_pattern: ErrorPattern,
    /// Error lines masked per log file; the rest are only counted.
    pub lines_per_file: u64,
    /// Characters of a template's example line kept.
    pub example_chars: usize,
}

impl Default for MiningOptions {
    fn default() -> Self {
        MiningOptions {
            templates_per_case: 50,
            error_pattern: ErrorPattern::default(),
            lines_per_file: 200_000,
            example_chars: 1000,
        }
    }
}

/// One template of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Template {
    /// `connector-log` or `syslog`.
    pub artifact: String,
    pub template: String,
    /// Lines of the case with this template.
    pub count: u64,
    #[serde(default)]
    pub first_seen: Option<Timestamp>,
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
    /// The first such line, cut at `example_chars`.
    #[serde(default)]
    pub example: String,
}

/// A case's unexplained errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Unexplained {
    /// Error-level lines no pattern matched.
    pub lines: u64,
    /// Most lines first (then by artifact and template).
    pub templates: Vec<Template>,
    /// Lines whose template did not fit (the case already had `templates_per_case`).
    pub other: u64,
    /// Error lines past the per-file cap: counted, not masked.
    pub unread: u64,
}

struct Entry {
    count: u64,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    example: String,
}

static LEVEL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("level="));
static MSG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("msg="));
static TIME: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("time=\""));

/// Collects one case's templates as the collector streams its logs.
pub struct Miner {
    opts: MiningOptions,
    templates: HashMap<(ArtifactKind, String), Entry>,
    lines: u64,
    other: u64,
    unread: u64,
    file_lines: u64,
    scratch: String,
}

impl Miner {
    pub fn new(opts: &MiningOptions) -> Self {
        Miner {
            opts: opts.clone(),
            templates: HashMap::new(),
            lines: 0,
            other: 0,
            unread: 0,
            file_lines: 0,
            scratch: String::new(),
        }
    }

    /// A new log file starts (the per-file cap counts from here).
    pub fn start_file(&mut self) {
        self.file_lines = 0;
    }

    /// Looks at a line no pattern matched: kept when it is an error-level line.
    /// Only the logrus connector log and syslog are mined (`format`: how the kind is read).
    pub fn observe(&mut self, kind: ArtifactKind, format: Format, line: &str) {
        if self.opts.templates_per_case == 0 {
            return;
        }
        let found = match format {
            Format::Builtin(Builtin::ConnectorLog) => connector_error(line),
            Format::Builtin(Builtin::Syslog) => {
                if !self.opts.error_pattern.is_match(line) {
                    return;
                }
                syslog_error(line)
            }
            _ => return,
        };
        let Some((body, time)) = found else {
            return;
        };
        self.lines += 1;
        self.file_lines += 1;
        if self.file_lines > self.opts.lines_per_file {
            self.unread += 1;
            return;
        }
        mask(body, &mut self.scratch);
        if self.scratch.trim().is_empty() {
            self.other += 1;
            return;
        }
        let key = (kind, std::mem::take(&mut self.scratch));
        if let Some(e) = self.templates.get_mut(&key) {
            e.count += 1;
            if let Some(t) = time {
                e.first_seen = Some(e.first_seen.map_or(t, |f| f.min(t)));
                e.last_seen = Some(e.last_seen.map_or(t, |l| l.max(t)));
            }
            self.scratch = key.1;
            return;
        }
        if self.templates.len() >= self.opts.templates_per_case {
            self.other += 1;
            self.scratch = key.1;
            return;
        }
        self.templates.insert(
            key,
            Entry {
                count: 1,
                first_seen: time,
                last_seen: time,
                example: crate::text::cap_chars(line, self.opts.example_chars),
            },
        );
    }

    pub fn finish(self) -> Unexplained {
        let mut templates: Vec<Template> = self
            .templates
            .into_iter()
            .map(|((kind, template), e)| Template {
                artifact: kind.to_string(),
                template,
                count: e.count,
                first_seen: e.first_seen,
                last_seen: e.last_seen,
                example: e.example,
            })
            .collect();
        templates.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.artifact.cmp(&b.artifact))
                .then_with(|| a.template.cmp(&b.template))
        });
        Unexplained {
            lines: self.lines,
            templates,
            other: self.other,
            unread: self.unread,
        }
    }
}

/// A logrus line of level error, fatal or panic: its `msg` value as written (escapes kept),
/// without the `[host]` prefix, and its time.
fn connector_error(line: &str) -> Option<(&str, Option<Timestamp>)> {
    let bytes = line.as_bytes();
    let at = LEVEL.find(bytes)? + "level=".len();
    let rest = &line[at..];
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest
        .bytes()
        .position(|b| b == b' ' || b == b'"')
        .unwrap_or(rest.len());
    let level = &rest[..end];
    if !["error", "fatal", "panic"]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(level))
    {
        return None;
    }
    let time = TIME.find(bytes).and_then(|t| {
        let v = &line[t + "time=\"".len()..];
        v.find('"')
            .and_then(|e| v[..e].trim().parse::<Timestamp>().ok())
    });
    let body = match MSG.find(bytes) {
        Some(m) => {
            let v = &line[m + "msg=".len()..];
            match v.strip_prefix('"') {
                Some(q) => {
                    // Up to the closing quote that is not escaped.
                    let qb = q.as_bytes();
                    let mut i = 0;
                    let mut end = q.len();
                    while i < qb.len() {
                        match qb[i] {
                            b'\\' => i += 2,
                            b'"' => {
                                end = i;
                                break;
                            }
                            _ => i += 1,
                        }
                    }
                    &q[..end.min(q.len())]
                }
                None => v.split(' ').next().unwrap_or(v),
            }
        }
        None => line,
    };
    Some((strip_host_prefix(body), time))
}

/// `[host][file.go:90 pkg:func] text` → `[file.go:90 pkg:func] text`: the device's name is no
/// part of a wording.
fn strip_host_prefix(msg: &str) -> &str {
    if let Some(rest) = msg.strip_prefix('[')
        && let Some(close) = rest.find(']')
        && rest[close + 1..].starts_with('[')
    {
        return &rest[close + 1..];
    }
    msg
}

/// A system log line: what follows its host name (`program[pid]: message`), and its time.
fn syslog_error(line: &str) -> Option<(&str, Option<Timestamp>)> {
    let Some(parsed) = crate::parse::syslog::parse_line(line) else {
        return Some((line.trim(), None));
    };
    // A year-less stamp is wall-clock time of an unknown year: not a time to compare across
    // cases, so only stamped (RFC 3339) lines give first and last seen.
    let time = match parsed.time {
        Some(crate::parse::syslog::SyslogTime::Exact(t)) => Some(t),
        _ => None,
    };
    let msg_at = if parsed.msg.is_empty() {
        line.len()
    } else {
        line.rfind(parsed.msg.as_str()).unwrap_or(0)
    };
    let start = if parsed.program.is_empty() {
        msg_at
    } else {
        line[..msg_at]
            .rfind(parsed.program.as_str())
            .unwrap_or(msg_at)
    };
    Some((line[start..].trim_end(), time))
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' | b';' | b'=' | b'<' | b'>'
    )
}

/// Where the quote opened at `from` (after its opening `quote`) closes: the index of the
/// closing quote.
fn close_quote(text: &str, from: usize, quote: &str) -> Option<usize> {
    // Bytes, not `str` slices: `i` steps through multi-byte characters one byte at a time.
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        if b[i..].starts_with(quote.as_bytes()) {
            // A closing `'` ends a word: `it's` does not close.
            if quote == "'" && b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
                i += 1;
                continue;
            }
            return Some(i);
        }
        if quote == "\"" && b[i] == b'\\' {
            i += 2;
            continue;
        }
        i += 1;
    }
    None
}

/// Masks the variable parts of `text` into `out` (cleared first; see the module documentation).
pub fn mask(text: &str, out: &mut String) {
    out.clear();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if out.len() >= TEMPLATE_BYTES || i >= TEMPLATE_INPUT_BYTES {
            break;
        }
        let c = b[i];
        let quote = if b[i..].starts_with(b"\\\"") {
            Some("\\\"")
        } else if c == b'"' {
            Some("\"")
        } else if c == b'\'' {
            Some("'")
        } else {
            None
        };
        if let Some(q) = quote {
            match close_quote(text, i + q.len(), q) {
                Some(end) => {
                    out.push_str("<str>");
                    i = end + q.len();
                }
                None => {
                    out.push_str(q);
                    i += q.len();
                }
            }
            continue;
        }
        // `[v6]` and `[v6]:443`
        if c == b'['
            && let Some(close) = text[i + 1..].find(']').filter(|&n| n <= 45)
            && text[i + 1..i + 1 + close].parse::<Ipv6Addr>().is_ok()
        {
            i += close + 2;
            if b.get(i) == Some(&b':') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            out.push_str("<ip>");
            continue;
        }
        if is_delim(c) {
            out.push(c as char);
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && !is_delim(b[i])
            && b[i] != b'"'
            && !(b[i] == b'\\' && b.get(i + 1) == Some(&b'"'))
        {
            // A URL runs on past `=`, `[`, `;`… up to a blank, a quote or a closing bracket.
            if b[i] == b':' && text[i..].starts_with("://") && i > start {
                while i < b.len()
                    && !matches!(b[i], b' ' | b'\t' | b'"' | b'\'' | b')' | b'>' | b']')
                {
                    i += 1;
                }
                break;
            }
            i += 1;
        }
        mask_token(&text[start..i], out);
    }
}

/// File name endings that make a dotted word a file, not a host.
const FILE_ENDINGS: &[&str] = &[
    "go",
    "py",
    "c",
    "h",
    "cc",
    "cpp",
    "rs",
    "java",
    "js",
    "pl",
    "sh",
    "rb",
    "log",
    "conf",
    "cfg",
    "ini",
    "yaml",
    "yml",
    "json",
    "xml",
    "txt",
    "sock",
    "pid",
    "so",
    "properties",
    "pem",
    "crt",
    "key",
    "csr",
    "gz",
    "tar",
    "zip",
    "tgz",
    "db",
    "sqlite",
    "run",
    "out",
    "output",
    "tmp",
    "bak",
    "html",
    "lock",
    "service",
    "socket",
    "timer",
    "d",
    "rpm",
    "deb",
    "jar",
    "class",
];

fn mask_token(token: &str, out: &mut String) {
    // Sentence punctuation after a word is kept as it is.
    let core = token.trim_end_matches(['.', ',', ':', ';', '!', '?']);
    let suffix = &token[core.len()..];
    if core.is_empty() {
        out.push_str(token);
        return;
    }
    let class = classify(core);
    match class {
        Some(mask) => out.push_str(mask),
        None => mask_digit_runs(core, out),
    }
    out.push_str(suffix);
}

fn classify(core: &str) -> Option<&'static str> {
    if core.contains("://") {
        return Some("<url>");
    }
    if (core.starts_with('/') && core.len() > 1)
        || core.starts_with("./")
        || core.starts_with("../")
        || core.starts_with("~/")
    {
        return Some("<path>");
    }
    if is_uuid(core) {
        return Some("<uuid>");
    }
    if is_ip(core) {
        return Some("<ip>");
    }
    if is_hex(core) {
        return Some("<hex>");
    }
    if is_host(core) {
        return Some("<host>");
    }
    let mut chars = core.chars();
    let first = chars.next()?;
    if first.is_ascii_digit()
        || (matches!(first, '-' | '+') && chars.next().is_some_and(|c| c.is_ascii_digit()))
    {
        return Some("<num>");
    }
    None
}

fn mask_digit_runs(core: &str, out: &mut String) {
    let mut in_digits = false;
    for c in core.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push_str("<num>");
                in_digits = true;
            }
        } else {
            in_digits = false;
            out.push(c);
        }
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_ip(s: &str) -> bool {
    // Every form has a `.` (v4) or a `:` (v6), and only hex digits, dots, colons, brackets and
    // a `/` prefix length.
    if !s.bytes().any(|b| b == b'.' || b == b':')
        || !s
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'[' | b']' | b'/'))
    {
        return false;
    }
    // `[v6]:443`, `[v6]`
    if let Some(rest) = s.strip_prefix('[') {
        return rest
            .split_once(']')
            .is_some_and(|(ip, _)| ip.parse::<Ipv6Addr>().is_ok());
    }
    let s = s.split_once('/').map_or(s, |(ip, _)| ip);
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    // v4 with a port
    if let Some((ip, port)) = s.rsplit_once(':') {
        return ip.parse::<Ipv4Addr>().is_ok() && port.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

fn is_hex(s: &str) -> bool {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    }
    // A MAC address or another colon-separated hex id.
    if s.len() >= 11 && s.contains(':') {
        return s
            .split(':')
            .all(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit()))
            && s.bytes().any(|b| b.is_ascii_alphabetic());
    }
    // A long id is hex even when it happens to hold only digits (one in 2,000 of 16-digit
    // ids), so that one wording keeps one template; a shorter one needs a letter and a digit.
    s.len() >= 8
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && (s.len() >= 12
            || (s.bytes().any(|b| b.is_ascii_digit())
                && s.bytes().any(|b| b.is_ascii_alphabetic())))
}

fn is_host(s: &str) -> bool {
    let s = match s.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    };
    let s = s.strip_suffix('.').unwrap_or(s);
    let Some((_, last)) = s.rsplit_once('.') else {
        return false;
    };
    (2..=24).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_lowercase())
        && !FILE_ENDINGS.contains(&last)
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The masks a template may hold, and what each stands for in a draft rule's regex.
const MASKS: &[(&str, &str)] = &[
    ("<str>", ".+?"),
    ("<url>", r"\S+?"),
    ("<path>", r"\S+?"),
    ("<uuid>", r"[0-9A-Fa-f-]{36}"),
    ("<ip>", r"\S+?"),
    ("<hex>", r"\S+?"),
    ("<host>", r"\S+?"),
    ("<num>", r"\d\S*?"),
];

/// The template's pieces: literal text and masks, in order.
pub fn pieces(template: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut lit = 0;
    while i < template.len() {
        if template.as_bytes()[i] == b'<'
            && let Some((mask, _)) = MASKS.iter().find(|(m, _)| template[i..].starts_with(m))
        {
            if lit < i {
                out.push((false, &template[lit..i]));
            }
            out.push((true, *mask));
            i += mask.len();
            lit = i;
            continue;
        }
        i += template[i..].chars().next().map_or(1, char::len_utf8);
    }
    if lit < template.len() {
        out.push((false, &template[lit..]));
    }
    out
}

/// A regex that matches every line the template came from: the literal parts escaped, the masks
/// as wildcards of their kind, leading and trailing masks left out (the regex is unanchored).
/// For a system log template, the program's `[pid]` may be there or not.
pub fn draft_regex(template: &str) -> String {
    let parts = pieces(template);
    let first = parts.iter().position(|(m, _)| !m);
    let last = parts.iter().rposition(|(m, _)| !m);
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let mut out = String::new();
    for (is_mask, text) in &parts[first..=last] {
        if *is_mask {
            let class = MASKS
                .iter()
                .find(|(m, _)| m == text)
                .map_or(".+?", |(_, c)| c);
            out.push_str(class);
        } else {
            out.push_str(&regex::escape(text));
        }
    }
    out
}

/// How many letters of the template are literal: a template of masks and punctuation says too
/// little to draft a rule from.
pub fn literal_letters(template: &str) -> usize {
    pieces(template)
        .iter()
        .filter(|(m, _)| !m)
        .map(|(_, t)| t.chars().filter(|c| c.is_alphabetic()).count())
        .sum()
}

#[cfg(test)]
mod tests {

    #[test]
    fn quotes_around_multibyte_characters_are_no_panic() {
        // Found by the archive fuzz target: an unclosed quote before a multi-byte character.
        let mut out = String::new();
        mask("level=error [\"\u{fffd}e\"X{\u{fffd}=\u{fffd}", &mut out);
        mask("a \"\u{e9}\\\u{e9}", &mut out);
        mask("it\u{2019}s 'caf\u{e9}", &mut out);
        assert!(!out.is_empty());
    }

    use super::*;

    fn m(s: &str) -> String {
        let mut out = String::new();
        mask(s, &mut out);
        out
    }

    #[test]
    fn variable_parts_are_masked() {
        assert_eq!(
            m("[quota.go:12 quota:Check] quota exceeded for tenant 4711 on node 10.1.2.3"),
            "[quota.go:<num> quota:Check] quota exceeded for tenant <num> on node <ip>"
        );
        assert_eq!(
            m("dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host"),
            "dial tcp: lookup <host> on <ip>: no such host"
        );
        assert_eq!(
            m("open /ngfw/var/sf/run/x.sock: id=0x1f3a uuid 3f2504e0-4f89-11d3-9a0c-0305e82c3301."),
            "open <path>: id=<hex> uuid <uuid>."
        );
        assert_eq!(
            m(r#"bad value \"abc def\" for 'k' at https://x.example.com/a?b=1 ([fe80::1]:443)"#),
            "bad value <str> for <str> at <url> (<ip>)"
        );
        assert_eq!(
            m("it's eth0 v7.2.5 took 35ms"),
            "it's eth<num> v<num>.<num>.<num> took <num>"
        );
        assert_eq!(m("peer 2001:db8::1 deadbeef12"), "peer <ip> <hex>");
        assert_eq!(
            m("batch 2bfa5c0ed699be8a, batch 6205649812572207, count 12345678"),
            "batch <hex>, batch <hex>, count <num>"
        );
        // The same wording, other values: the same template.
        assert_eq!(
            m("quota exceeded for tenant 1 on node 192.168.0.1"),
            m("quota exceeded for tenant 99999 on node 10.0.0.7")
        );
    }

    #[test]
    fn connector_and_syslog_lines_give_their_message() {
        let line = r#"time="2020-04-10T14:00:00Z" level=error msg="[ftd1][quota.go:12 quota:Check] quota \"x\" exceeded" extra=1"#;
        let (body, time) = connector_error(line).unwrap();
        assert_eq!(body, r#"[quota.go:12 quota:Check] quota \"x\" exceeded"#);
        assert_eq!(time.unwrap().to_string(), "2020-04-10T14:00:00Z");
        assert!(connector_error(r#"time="x" level=info msg="error""#).is_none());
        let (body, time) =
            syslog_error("Apr 13 14:34:02 fmc-dc1 SF-IMS[4412]: quota failed for 7").unwrap();
        assert_eq!(body, "SF-IMS[4412]: quota failed for 7");
        assert!(time.is_none());
        let (_, time) =
            syslog_error("2023-02-10T08:20:02.123+00:00 fmc sshd[1]: error: x failed").unwrap();
        assert_eq!(time.unwrap().to_string(), "2023-02-10T08:20:02.123Z");
        assert_eq!(m(body), "SF-IMS[<num>]: quota failed for <num>");
    }

    #[test]
    fn draft_regexes_match_their_lines() {
        for line in [
            r#"time="2020-04-10T14:00:00Z" level=error msg="[ftd1][quota.go:12 quota:Check] quota exceeded for tenant 4711 on node 10.1.2.3""#,
            r#"time="2020-04-10T14:00:00Z" level=fatal msg="[f][a.go:1 a:b] open \"/x y\" (uuid 3f2504e0-4f89-11d3-9a0c-0305e82c3301): 0xff.""#,
        ] {
            let (body, _) = connector_error(line).unwrap();
            let t = m(body);
            let re = Regex::new(&draft_regex(&t)).unwrap();
            assert!(re.is_match(line), "{t} / {re}");
        }
        let line = "Apr 13 14:34:02 fmc SF-IMS[4412]: quota failed for 7 at /var/x";
        let (body, _) = syslog_error(line).unwrap();
        let re = Regex::new(&draft_regex(&m(body))).unwrap();
        assert!(re.is_match(line));
        assert_eq!(literal_letters("<num> <ip>: x"), 1);
    }

    #[test]
    fn a_case_keeps_at_most_its_cap() {
        let opts = MiningOptions {
            templates_per_case: 2,
            ..MiningOptions::default()
        };
        let mut miner = Miner::new(&opts);
        let log = ArtifactKind::intern("connector-log");
        let syslog = ArtifactKind::intern("syslog");
        let logrus = Format::Builtin(Builtin::ConnectorLog);
        miner.start_file();
        for (i, w) in ["alpha", "beta", "gamma", "alpha"].iter().enumerate() {
            let line = format!(r#"time="2020-04-10T14:00:0{i}Z" level=error msg="{w} broke {i}""#);
            miner.observe(log, logrus, &line);
        }
        miner.observe(log, logrus, r#"level=info msg="alpha broke 1""#);
        miner.observe(
            syslog,
            Format::Builtin(Builtin::Syslog),
            "Apr 13 14:34:02 h x: all good",
        );
        let u = miner.finish();
        assert_eq!(u.lines, 4);
        assert_eq!(u.other, 1);
        assert_eq!(u.templates.len(), 2);
        assert_eq!(u.templates[0].template, "alpha broke <num>");
        assert_eq!(u.templates[0].count, 2);
        assert_eq!(
            u.templates[0].last_seen.unwrap().to_string(),
            "2020-04-10T14:00:03Z"
        );
    }
}
