//! The documented patterns for private values the tool did not parse. Each finder returns
//! candidates (a span of the text, what kind of value it is); [`super::Redactor`] resolves
//! overlaps (leftmost, then longest) and replaces them.

use crate::domain::Domain;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::public::{self, ARCHIVE_ENDINGS, FILE_ENDINGS};

/// A private value found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
}

fn re(s: &str) -> Regex {
    Regex::new(s).expect("valid pattern")
}

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")
});
static EC2: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(ec2-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})\.(?:[a-z0-9-]+\.)*amazonaws\.com")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| re(r"\d{1,3}(?:\.\d{1,3}){3}"));
static IPV6_RUN: LazyLock<Regex> =
    LazyLock::new(|| re(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*"));
static MAC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{2}(?:-[0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}",
    )
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
static PROMPT: LazyLock<Regex> =
    LazyLock::new(|| re(r"([A-Za-z_][A-Za-z0-9_.-]{0,31})@([A-Za-z0-9][A-Za-z0-9-]*)[:#$\] ]"));
static FQDN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,24}",
    )
});
/// What stands before a host name: a URL, an address, a keyword naming a host.
static HOST_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:://|@|\b(?:host(?:name)?|server|peer|fqdn|url|sni|connect(?:ed|ing)? to|resolv(?:e|ing)|dial tcp|lookup|trying)["']?\s*[:=]?\s*["'\[(]?)$"#,
    )
});
static JWT: LazyLock<Regex> =
    LazyLock::new(|| re(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"));
/// `key=value`, `key: value`, `"key": "value"` for the secret key names.
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)([A-Za-z0-9_-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|authorization|bearer|credentials?|cookie|session[_-]?id|reg[_-]?key))\\?["']?(\s*[:=]\s*|\s+)(?:(?:bearer|basic|token)\s+)?(?:\\?"([^"\\]*)\\?"|'([^']*)'|([^\s"',;&<>)\]}\\]+))"#,
    )
});
static SERIAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(serial(?:[ _-]?(?:number|num|no|nr))?|\bsn|s/n)\\?["']?(\s*[:=]\s*|\s+)\\?["']?([A-Za-z0-9-]{4,40})"#,
    )
});
/// The shape of a Cisco serial number (`FCH1944V0ZZ`, `JAD12345678`), wherever it stands.
static CISCO_SERIAL: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Z]{3}[0-9]{4}[A-Z0-9]{4}"));
/// User names in the forms of sshd, sudo, su, PAM, `user=`, home folders and lsof rows.
static USERS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?:Accepted|Failed)\s+\S+\s+for\s+(?:invalid user\s+)?([A-Za-z0-9._-]+)",
        r"(?i)invalid user\s+([A-Za-z0-9._-]+)",
        r"sudo(?:\[\d+\])?:\s+([A-Za-z_][A-Za-z0-9._-]*)\s*(?::|$)",
        r"su(?:\[\d+\])?:\s+\(to\s+([A-Za-z0-9._-]+)\)",
        r"\bby\s+([A-Za-z_][A-Za-z0-9._-]*)\(uid=",
        r"(?i)for user\s+([A-Za-z_][A-Za-z0-9._-]*)",
        r#"(?i)\b(?:user(?:name)?|ruser|logname|uid|owner)\\?["']?\s*[=:]\s*\\?["']?([A-Za-z_][A-Za-z0-9._-]*)"#,
        r"/home/([A-Za-z0-9._-]+)",
        r"(?m)^\S+\s+\d+\s+([A-Za-z_][A-Za-z0-9._-]*)\s+(?:\d+[a-zA-Z]*|cwd|txt|mem|rtd|DEL)\s+(?:IPv4|IPv6|unix|REG|DIR|CHR|FIFO|sock|raw|netlink|a_inode|pack)\b",
    ]
    .iter()
    .map(|s| re(s))
    .collect()
});

fn alnum_at(text: &str, i: usize) -> bool {
    text.as_bytes()
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric())
}

fn before(text: &str, start: usize) -> Option<u8> {
    start.checked_sub(1).map(|i| text.as_bytes()[i])
}

/// True when the span is not glued to letters or digits on either side (`_`, `-`, `.`, space
/// and punctuation separate).
pub fn bounded(text: &str, start: usize, end: usize) -> bool {
    !before(text, start).is_some_and(|b| b.is_ascii_alphanumeric()) && !alnum_at(text, end)
}

fn push(out: &mut Vec<Candidate>, start: usize, end: usize, kind: &'static str) {
    if end > start {
        out.push(Candidate { start, end, kind });
    }
}

fn group(out: &mut Vec<Candidate>, c: &Captures<'_>, i: usize, kind: &'static str) {
    if let Some(m) = c.get(i) {
        push(out, m.start(), m.end(), kind);
    }
}

/// Every candidate the patterns find in `text`.
pub fn find(text: &str, domain: &Domain) -> Vec<Candidate> {
    let mut out = Vec::new();
    for m in UUID.find_iter(text) {
        if bounded(text, m.start(), m.end()) {
            push(&mut out, m.start(), m.end(), "UUID");
        }
    }
    for c in EC2.captures_iter(text) {
        group(&mut out, &c, 1, "HOST");
    }
    for m in IPV4.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let glued_before = before(text, s).is_some_and(|b| b.is_ascii_digit() || b == b'.');
        let glued_after =
            alnum_at(text, e) || (text.as_bytes().get(e) == Some(&b'.') && alnum_at(text, e + 1));
        let octets = m.as_str().split('.').all(|o| o.parse::<u8>().is_ok());
        // A four-part version (`6.7.0.2 (build 24)`, `v6.7.0.2`, `version 6.7.0.2`) is no address.
        let version = text[e..].starts_with(" (build") || before(text, s) == Some(b'v') || {
            let mut from = s.saturating_sub(12);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            text[from..s]
                .trim_end()
                .to_ascii_lowercase()
                .ends_with("version")
        };
        if !glued_before && !glued_after && octets && !version {
            push(&mut out, s, e, "IP");
        }
    }
    ipv6(text, &mut out);
    for m in MAC.find_iter(text) {
        if bounded(text, m.start(), m.end()) && before(text, m.start()).is_none_or(|b| b != b':') {
            push(&mut out, m.start(), m.end(), "MAC");
        }
    }
    for m in EMAIL.find_iter(text) {
        if !alnum_at(text, m.end()) {
            push(&mut out, m.start(), m.end(), "EMAIL");
        }
    }
    for c in PROMPT.captures_iter(text) {
        let user = c.get(1).expect("group");
        if !before(text, user.start()).is_some_and(|b| b.is_ascii_alphanumeric()) {
            if !public::system_user(user.as_str()) {
                group(&mut out, &c, 1, "USER");
            }
            group(&mut out, &c, 2, "HOST");
        }
    }
    hosts(text, domain, &mut out);
    for m in JWT.find_iter(text) {
        push(&mut out, m.start(), m.end(), "TOKEN");
    }
    for c in SECRET.captures_iter(text) {
        let key = c.get(1).expect("group").as_str().to_ascii_lowercase();
        let spaced = c.get(2).is_some_and(|s| s.as_str().trim().is_empty());
        if spaced && !key.ends_with("bearer") {
            continue;
        }
        let Some(v) = c.get(3).or(c.get(4)).or(c.get(5)) else {
            continue;
        };
        let word = v.as_str().to_ascii_lowercase();
        if !["", "null", "true", "false", "none", "<redacted>", "***"].contains(&word.as_str()) {
            push(&mut out, v.start(), v.end(), "TOKEN");
        }
    }
    for c in SERIAL.captures_iter(text) {
        let v = c.get(3).expect("group");
        if v.as_str().bytes().any(|b| b.is_ascii_digit()) {
            push(&mut out, v.start(), v.end(), "SERIAL");
        }
    }
    for m in CISCO_SERIAL.find_iter(text) {
        if bounded(text, m.start(), m.end()) {
            push(&mut out, m.start(), m.end(), "SERIAL");
        }
    }
    for user in USERS.iter() {
        for c in user.captures_iter(text) {
            let u = c.get(1).expect("group");
            let name = u.as_str().trim_end_matches('.');
            if !public::system_user(name) && !name.is_empty() {
                push(&mut out, u.start(), u.start() + name.len(), "USER");
            }
        }
    }
    out
}

/// IPv6 addresses, every compressed form, with an IPv4 tail, `[v6]:port` and `v6:port`. The
/// unspecified `::` and the loopback `::1` are kept.
fn ipv6(text: &str, out: &mut Vec<Candidate>) {
    for m in IPV6_RUN.find_iter(text) {
        let (mut s, mut e) = (m.start(), m.end());
        if alnum_at(text, e) {
            continue;
        }
        if before(text, s).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            // `addr:fe80::1`: a label, a colon, then the address.
            if text[s..e].starts_with(':') && !text[s..e].starts_with("::") {
                s += 1;
            } else {
                continue;
            }
        }
        let run = &text[s..e];
        let trimmed = run.trim_end_matches('.');
        e = s + trimmed.len();
        let mut addr = &text[s..e];
        if addr.parse::<Ipv6Addr>().is_err() {
            // `v6:port` (netstat's form): drop the port.
            match addr.rsplit_once(':') {
                Some((a, port))
                    if !a.is_empty()
                        && port.bytes().all(|b| b.is_ascii_digit())
                        && a.parse::<Ipv6Addr>().is_ok() =>
                {
                    e = s + a.len();
                    addr = a;
                }
                _ => {
                    // A leading `:` glued to the address (`::ffff` after `tcp6 :`): try without.
                    let Some(rest) = addr.strip_prefix(':') else {
                        continue;
                    };
                    if rest.parse::<Ipv6Addr>().is_err() {
                        continue;
                    }
                    s += 1;
                    addr = rest;
                }
            }
        }
        match addr.parse::<Ipv6Addr>() {
            Ok(a) if a.is_unspecified() || a.is_loopback() => {}
            Ok(_) => push(out, s, e, "IP"),
            Err(_) => {}
        }
    }
}

/// Host names: a dotted name of three labels or more whose last label is alphabetic is a host
/// unless it is one of the tool's dotted names, a public host or ends like an archive (when it
/// ends like a file, `ftd09.acme-corp.example.pem`, the ending stays); a name of two labels is
/// one unless it ends like a file (`notes.md`); a name whose last label has a capital is an
/// identifier (`Client.Timeout`); and any name is one where a host stands (after
/// `://`, `@`, `host`, `server`, `peer`, `fqdn`, `url`, `connected to`, `dial tcp`, …).
fn hosts(text: &str, domain: &Domain, out: &mut Vec<Candidate>) {
    for m in FQDN.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let glued_before = before(text, s).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-');
        let glued_after = alnum_at(text, e) || text.as_bytes().get(e) == Some(&b'-');
        if glued_before || glued_after {
            continue;
        }
        let name = m.as_str();
        let lower = name.to_ascii_lowercase();
        if public::keep_host(domain, &lower)
            || public::tool_dotted_name(&lower)
            || lower.contains(".amazonaws.")
        {
            continue;
        }
        let labels: Vec<&str> = lower.split('.').collect();
        let last = labels[labels.len() - 1];
        let mut from = s.saturating_sub(40);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let in_host_context = HOST_CONTEXT.is_match(&text[from..s]);
        let camel = name
            .rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().any(|b| b.is_ascii_uppercase()));
        if in_host_context {
            push(out, s, e, "HOST");
        } else if camel {
            // `Client.Timeout`, `com.cisco.Foo`: a program's identifier, not a host name.
            continue;
        } else if labels.len() >= 3 {
            if ARCHIVE_ENDINGS.contains(&last) {
                continue;
            }
            // `ftd09.acme-corp.example.pem`: the host, then the file's ending, kept.
            let end = if FILE_ENDINGS.contains(&last) {
                e - last.len() - 1
            } else {
                e
            };
            push(out, s, end, "HOST");
        } else if !FILE_ENDINGS.contains(&last) {
            push(out, s, e, "HOST");
        }
    }
}
