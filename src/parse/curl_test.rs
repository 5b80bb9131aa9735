//! Saved `curl -v https://<host> …` connectivity tests. One file may hold several runs back to
//! back, so the text is cut into tests at the lines that open one (the `curl` command, `* Rebuilt
//! URL`, `* Trying`, `* Connected`), taking care that curl's own retry of the next address stays in
//! the same test. Within a test the deciding line is the strongest evidence seen: an HTTP response
//! or `left intact` (success) beats a TLS failure, which beats a connection failure, because
//! `curl -k` prints certificate complaints and then still gets its answer.
//!
//! A certificate that is expired or not yet valid is its own outcome, [`CurlOutcome::CertificateValidity`]:
//! it says the device's clock (or the server's certificate) is wrong, not that something re-signs
//! the traffic, so it never counts as interception.
//!
//! Besides its outcome, a test records each address curl tried ([`CurlAttempt`]): `* Trying A…`
//! followed by `* connect to A port 443 failed: …` is a failed connection to A, `* Connected to
//! HOST (B) port 443` a working one to B. One run of curl can try several addresses of one host,
//! and which of them connect is what tells an address allow-list apart from a closed path.

use super::numbered_lines;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CurlOutcome {
    Success,
    Failed,
    TlsFailure,
    /// `certificate has expired` / `certificate is not yet valid`: a clock problem.
    CertificateValidity,
}

/// One TCP connection attempt of a test, to one address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurlAttempt {
    pub addr: std::net::IpAddr,
    /// The TCP connection was made (`* Connected to`); false: it failed (`connect to … failed`,
    /// or the run's final `Failed to connect` for the address it was trying).
    pub connected: bool,
    /// 1-based line that decided it, and its text.
    pub line: u32,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurlTest {
    pub host: Option<String>,
    pub addr: Option<String>,
    pub verified: bool,
    pub outcome: CurlOutcome,
    pub detail: String,
    pub line: u32,
    /// The addresses tried, each with whether it connected (undecided tries are left out).
    pub attempts: Vec<CurlAttempt>,
}

const FAILED: [&str; 5] = [
    "connection timed out",
    "operation timed out",
    "failed to connect",
    "could not resolve host",
    "connection refused",
];
const TLS: [&str; 3] = [
    "ssl certificate problem",
    "unable to get local issuer certificate",
    "self signed certificate in certificate chain",
];
/// Validity errors (OpenSSL's wording, as curl prints it): checked before [`TLS`], which they
/// would otherwise match through `ssl certificate problem`.
const VALIDITY: [&str; 2] = ["certificate is not yet valid", "certificate has expired"];

#[derive(Default)]
struct Builder {
    host: Option<String>,
    addr: Option<String>,
    cacert: bool,
    cafile: bool,
    insecure: bool,
    connected: bool,
    /// (rank, outcome, detail, line); higher rank wins, first line of a rank is kept.
    best: Option<(u8, CurlOutcome, String, u32)>,
    /// The failure ends the run (`Failed to connect`, `Could not resolve`), not one address of it.
    final_failure: bool,
    /// Addresses tried, each with its outcome once a line decides it.
    attempts: Vec<(std::net::IpAddr, Option<CurlAttempt>)>,
}

impl Builder {
    fn note(&mut self, rank: u8, outcome: CurlOutcome, detail: &str, line: u32) {
        if self.best.as_ref().is_none_or(|b| rank > b.0) {
            self.best = Some((rank, outcome, detail.to_string(), line));
        }
    }

    /// Decides the attempt to `addr` (else the newest undecided one), adding it if curl never
    /// printed its `Trying` line (a cut capture).
    fn decide(&mut self, addr: Option<std::net::IpAddr>, connected: bool, line: u32, detail: &str) {
        let at = match addr {
            Some(a) => self
                .attempts
                .iter()
                .rposition(|(x, d)| *x == a && d.is_none()),
            None => self.attempts.iter().rposition(|(_, d)| d.is_none()),
        };
        let decided = |addr| CurlAttempt {
            addr,
            connected,
            line,
            detail: detail.to_string(),
        };
        match (at, addr) {
            (Some(i), _) => self.attempts[i].1 = Some(decided(self.attempts[i].0)),
            (None, Some(a)) if self.attempts.len() < MAX_ATTEMPTS => {
                self.attempts.push((a, Some(decided(a))))
            }
            _ => {}
        }
    }

    fn finish(self, out: &mut Vec<CurlTest>) {
        // A run with no deciding line (cut-off capture) proves nothing either way.
        let Some((_, outcome, detail, line)) = self.best else {
            return;
        };
        out.push(CurlTest {
            host: self.host,
            addr: self.addr,
            verified: !self.insecure && (self.cacert || self.cafile),
            outcome,
            detail,
            line,
            attempts: self.attempts.into_iter().filter_map(|(_, d)| d).collect(),
        });
    }
}

/// Addresses kept per test: curl tries the few addresses DNS returned.
const MAX_ATTEMPTS: usize = 16;

/// The address at the start of `s`: `A`, `A:443`, `[v6]:443` or `v6`, with curl's trailing `...`.
fn addr_at(s: &str) -> Option<std::net::IpAddr> {
    let token = s
        .split_whitespace()
        .next()?
        .trim_end_matches(['.', ',', ':']);
    if let Some(inner) = token.strip_prefix('[') {
        return inner.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = token.parse() {
        return Some(ip);
    }
    let (host, port) = token.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) {
        host.parse::<std::net::Ipv4Addr>()
            .ok()
            .map(std::net::IpAddr::V4)
    } else {
        None
    }
}

/// Host of the first `scheme://host` URL in `s`, lower-cased.
fn url_host(s: &str) -> Option<String> {
    let at = s.find("://")?;
    let rest = s.get(at + 3..)?;
    let end = rest
        .find(['/', ':', ' ', '"', '\'', '<', '>', '?'])
        .unwrap_or(rest.len());
    let h = rest.get(..end)?.trim();
    (!h.is_empty()).then(|| h.to_ascii_lowercase())
}

fn is_command(line: &str) -> bool {
    line.split_whitespace()
        .any(|w| w == "curl" || w.ends_with("/curl"))
        && line.contains("://")
}

fn is_insecure_flag(w: &str) -> bool {
    w == "--insecure" || (w.starts_with('-') && !w.starts_with("--") && w.contains('k'))
}

pub fn parse(text: &str) -> Vec<CurlTest> {
    let mut out = Vec::new();
    let mut cur: Option<Builder> = None;
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let star = line.strip_prefix('*').map(str::trim_start);
        let lower = line.to_ascii_lowercase();

        let starts_new = if is_command(line) {
            true
        } else if star.is_some_and(|s| s.starts_with("Rebuilt URL")) {
            cur.as_ref()
                .is_some_and(|b| b.host.is_some() || b.best.is_some())
        } else if star.is_some_and(|s| s.starts_with("Trying")) {
            cur.as_ref().is_some_and(|b| {
                b.connected
                    || b.final_failure
                    || b.best.as_ref().is_some_and(|x| x.1 != CurlOutcome::Failed)
            })
        } else if star.is_some_and(|s| s.starts_with("Connected to")) {
            cur.as_ref()
                .is_some_and(|b| b.connected && b.best.is_some())
        } else {
            false
        };
        if starts_new && let Some(b) = cur.take() {
            b.finish(&mut out);
        }
        let is_opener = is_command(line)
            || star.is_some_and(|s| {
                ["Rebuilt URL", "Trying", "Connected to"]
                    .iter()
                    .any(|p| s.starts_with(p))
            });
        let b = match cur.as_mut() {
            Some(b) => b,
            None if is_opener => cur.insert(Builder::default()),
            // Text before the first test (a prompt, a banner) belongs to no test.
            None => continue,
        };

        if is_command(line) {
            b.host = url_host(line);
            let words: Vec<&str> = line.split_whitespace().collect();
            b.cacert |= words
                .iter()
                .any(|w| *w == "--cacert" || w.starts_with("--cacert="));
            b.insecure |= words.iter().any(|w| is_insecure_flag(w));
        } else if let Some(s) = star {
            if s.starts_with("Rebuilt URL") {
                b.host = b.host.take().or_else(|| url_host(s));
            } else if let Some(rest) = s.strip_prefix("Trying") {
                let ip = rest.trim().trim_end_matches('.').trim_end_matches("...");
                let ip = ip.strip_suffix(":443").unwrap_or(ip);
                if !ip.is_empty() {
                    b.addr = Some(ip.to_string());
                }
                if let Some(a) = addr_at(rest.trim())
                    && b.attempts.len() < MAX_ATTEMPTS
                {
                    b.attempts.push((a, None));
                }
            } else if let Some(rest) = s.strip_prefix("Connected to") {
                b.connected = true;
                let rest = rest.trim();
                let host = rest.split_whitespace().next().unwrap_or("");
                if !host.is_empty() {
                    b.host = Some(host.to_ascii_lowercase());
                }
                let mut addr = None;
                if let (Some(o), Some(c)) = (rest.find('('), rest.find(')'))
                    && o < c
                {
                    b.addr = rest.get(o + 1..c).map(str::to_string);
                    addr = rest.get(o + 1..c).and_then(addr_at);
                }
                b.decide(addr, true, n, line);
            } else if let Some(rest) = s.strip_prefix("connect to ")
                && rest.contains(" failed")
            {
                // `* connect to A port 443 failed: Connection timed out`: this address, not the run.
                b.decide(addr_at(rest), false, n, line);
            } else if let Some(rest) = s.strip_prefix("Immediate connect fail for ") {
                b.decide(addr_at(rest), false, n, line);
            } else if let Some(rest) = s.strip_prefix("CAfile:") {
                let f = rest.trim();
                if f.eq_ignore_ascii_case("none") {
                    b.insecure = true;
                } else if !f.is_empty() {
                    b.cafile = true;
                }
            }
        }

        let response = line
            .strip_prefix('<')
            .is_some_and(|r| r.trim_start().starts_with("HTTP/"));
        if response || (lower.contains("connection #") && lower.contains("left intact")) {
            b.note(3, CurlOutcome::Success, line, n);
        } else if VALIDITY.iter().any(|p| lower.contains(p)) {
            b.note(2, CurlOutcome::CertificateValidity, line, n);
        } else if TLS.iter().any(|p| lower.contains(p)) {
            b.note(2, CurlOutcome::TlsFailure, line, n);
        } else if FAILED.iter().any(|p| lower.contains(p)) {
            for (phrase, always) in [
                ("could not resolve host:", true),
                ("failed to connect to ", false),
            ] {
                let Some(at) = lower.find(phrase) else {
                    continue;
                };
                let tail = line.get(at + phrase.len()..).unwrap_or("");
                let h = tail.split_whitespace().next().unwrap_or("");
                if !h.is_empty() && (always || b.host.is_none()) {
                    b.host = Some(h.to_ascii_lowercase());
                }
            }
            b.final_failure |=
                lower.contains("failed to connect") || lower.contains("could not resolve");
            // The run's last word on the address it was still trying, when no `connect to A
            // failed` line decided it (older curl prints only `Failed to connect`).
            if lower.contains("failed to connect") && star.is_some() {
                b.decide(None, false, n, line);
            }
            b.note(1, CurlOutcome::Failed, line, n);
        }
    }
    if let Some(b) = cur {
        b.finish(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "root@ftd01:~# curl -v -k https://api-sse.cisco.com\n* Rebuilt URL to: https://api-sse.cisco.com/\n* Trying 52.4.85.66...\n* Connected to api-sse.cisco.com (52.4.85.66) port 443 (#0)\n* ALPN, offering http/1.1\n* successfully set certificate verify locations:\n* CAfile: none\nCApath: /etc/ssl/certs\n* SSL certificate verify result: self signed certificate in certificate chain (19), continuing anyway.\n>GET / HTTP/1.1\n>Host: api-sse.cisco.com\n<HTTP/1.1 403 Forbidden\n<Date: Wed, 08 Apr 2020 01:27:55 GMT\n";

    #[test]
    fn seed_insecure_success() {
        let t = parse(SEED);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0],
            CurlTest {
                host: Some("api-sse.cisco.com".into()),
                addr: Some("52.4.85.66".into()),
                verified: false,
                outcome: CurlOutcome::Success,
                detail: "<HTTP/1.1 403 Forbidden".into(),
                line: 12,
                attempts: vec![CurlAttempt {
                    addr: "52.4.85.66".parse().unwrap(),
                    connected: true,
                    line: 4,
                    detail: "* Connected to api-sse.cisco.com (52.4.85.66) port 443 (#0)".into()
                }],
            }
        );
    }

    #[test]
    fn several_tests_in_one_file() {
        let t = "$ curl -v https://est.sco.cisco.com --cacert /ngfw/etc/ssl/connectorCA.pem\r\n*   Trying 1.1.1.1:443...\r\n* Connected to est.sco.cisco.com (1.1.1.1) port 443 (#0)\r\n*  CAfile: /ngfw/etc/ssl/connectorCA.pem\r\n* SSL certificate problem: self signed certificate in certificate chain\r\ncurl: (60) SSL certificate problem: self signed certificate in certificate chain\r\n\r\n* Trying 2.2.2.2...\r\n* connect to 2.2.2.2 port 443 failed: Connection timed out\r\n* Trying 3.3.3.3...\r\n* Failed to connect to eventing-ingest.sse.itd.cisco.com port 443: Connection timed out\r\n* Rebuilt URL to: https://mx01.sse.itd.cisco.com/\r\n* Could not resolve host: mx01.sse.itd.cisco.com\r\n* Trying 4.4.4.4...\r\n* Connected to dex.sse.itd.cisco.com (4.4.4.4) port 443 (#0)\r\n< HTTP/2 200\r\n* Connection #0 to host dex.sse.itd.cisco.com left intact\r\n";
        let r = parse(t);
        let got: Vec<_> = r
            .iter()
            .map(|c| {
                (
                    c.host.as_deref(),
                    c.addr.as_deref(),
                    c.verified,
                    c.outcome,
                    c.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("est.sco.cisco.com"),
                    Some("1.1.1.1"),
                    true,
                    CurlOutcome::TlsFailure,
                    5
                ),
                (
                    Some("eventing-ingest.sse.itd.cisco.com"),
                    Some("3.3.3.3"),
                    false,
                    CurlOutcome::Failed,
                    9
                ),
                (
                    Some("mx01.sse.itd.cisco.com"),
                    None,
                    false,
                    CurlOutcome::Failed,
                    13
                ),
                (
                    Some("dex.sse.itd.cisco.com"),
                    Some("4.4.4.4"),
                    false,
                    CurlOutcome::Success,
                    16
                ),
            ]
        );
    }

    fn attempts(t: &CurlTest) -> Vec<(String, bool, u32)> {
        t.attempts
            .iter()
            .map(|a| (a.addr.to_string(), a.connected, a.line))
            .collect()
    }

    #[test]
    fn each_address_tried_has_its_own_outcome() {
        // curl 7.8x: the first address times out, the second connects; one test, two attempts.
        let t = "$ curl -v https://eventing-ingest.sse.itd.cisco.com --cacert /ngfw/etc/ssl/connectorCA.pem\n\
                 *   Trying 18.205.49.246:443...\n\
                 * connect to 18.205.49.246 port 443 failed: Connection timed out\n\
                 *   Trying 3.209.71.61:443...\n\
                 * Connected to eventing-ingest.sse.itd.cisco.com (3.209.71.61) port 443 (#0)\n\
                 < HTTP/1.1 403 Forbidden\n\
                 * Connection #0 to host eventing-ingest.sse.itd.cisco.com left intact\n";
        let r = parse(t);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].outcome, CurlOutcome::Success);
        assert_eq!(
            r[0].host.as_deref(),
            Some("eventing-ingest.sse.itd.cisco.com")
        );
        assert_eq!(
            attempts(&r[0]),
            [
                ("18.205.49.246".to_string(), false, 3),
                ("3.209.71.61".to_string(), true, 5)
            ]
        );
        assert_eq!(
            r[0].attempts[0].detail,
            "* connect to 18.205.49.246 port 443 failed: Connection timed out"
        );
        // Older curl: only the run's final `Failed to connect` decides the address it tried;
        // an IPv6 try in brackets; a cut capture leaves its last try undecided (left out).
        let t = "* Rebuilt URL to: https://api-sse.cisco.com/\n\
                 *   Trying 2600:1f18:4a3:6902::5...\n\
                 * Immediate connect fail for 2600:1f18:4a3:6902::5: Network is unreachable\n\
                 *   Trying 52.4.85.66...\n\
                 * Failed to connect to api-sse.cisco.com port 443: Connection timed out\n\
                 curl -v https://api-sse.cisco.com\n\
                 *   Trying [2600:1f18::1]:443...\n\
                 * connect to 2600:1f18::1 port 443 failed: Connection refused\n\
                 *   Trying 34.233.79.19:443...\n";
        let r = parse(t);
        assert_eq!(r.len(), 2);
        assert_eq!(
            attempts(&r[0]),
            [
                ("2600:1f18:4a3:6902::5".to_string(), false, 3),
                ("52.4.85.66".to_string(), false, 5)
            ]
        );
        assert_eq!(attempts(&r[1]), [("2600:1f18::1".to_string(), false, 8)]);
    }

    #[test]
    fn certificate_validity_is_not_interception() {
        for problem in ["certificate is not yet valid", "certificate has expired"] {
            let t = format!(
                "curl -v https://api-sse.cisco.com --cacert /ngfw/etc/ssl/connectorCA.pem\n\
                 *   Trying 52.4.85.66:443...\n\
                 * Connected to api-sse.cisco.com (52.4.85.66) port 443 (#0)\n\
                 *  CAfile: /ngfw/etc/ssl/connectorCA.pem\n\
                 * SSL certificate problem: {problem}\n\
                 * Closing connection 0\n\
                 curl: (60) SSL certificate problem: {problem}\n"
            );
            let r = parse(&t);
            assert_eq!(r.len(), 1, "{problem}");
            assert_eq!(r[0].outcome, CurlOutcome::CertificateValidity, "{problem}");
            assert!(r[0].verified);
            assert_eq!(r[0].line, 5);
        }
    }

    #[test]
    fn empty_and_undecided() {
        assert!(parse("").is_empty());
        assert!(parse("garbage\nmore garbage").is_empty());
        assert!(parse("curl -v https://a.example\n* Trying 1.2.3.4...\n").is_empty());
        let r = parse("* Connection refused\n");
        assert!(r.is_empty());
    }
}
