//! Saved `curl -v https://<host> …` connectivity tests. One file may hold several runs back to
//! back, so the text is cut into tests at the lines that open one (the `curl` command, `* Rebuilt
//! URL`, `* Trying`, `* Connected`), taking care that curl's own retry of the next address stays in
//! the same test. Within a test the deciding line is the strongest evidence seen: an HTTP response
//! or `left intact` (success) beats a TLS failure, which beats a connection failure, because
//! `curl -k` prints certificate complaints and then still gets its answer.

use super::numbered_lines;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CurlOutcome {
    Success,
    Failed,
    TlsFailure,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurlTest {
    pub host: Option<String>,
    pub addr: Option<String>,
    pub verified: bool,
    pub outcome: CurlOutcome,
    pub detail: String,
    pub line: u32,
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
}

impl Builder {
    fn note(&mut self, rank: u8, outcome: CurlOutcome, detail: &str, line: u32) {
        if self.best.as_ref().is_none_or(|b| rank > b.0) {
            self.best = Some((rank, outcome, detail.to_string(), line));
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
        });
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
            } else if let Some(rest) = s.strip_prefix("Connected to") {
                b.connected = true;
                let rest = rest.trim();
                let host = rest.split_whitespace().next().unwrap_or("");
                if !host.is_empty() {
                    b.host = Some(host.to_ascii_lowercase());
                }
                if let (Some(o), Some(c)) = (rest.find('('), rest.find(')'))
                    && o < c
                {
                    b.addr = rest.get(o + 1..c).map(str::to_string);
                }
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
                line: 12
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

    #[test]
    fn empty_and_undecided() {
        assert!(parse("").is_empty());
        assert!(parse("garbage\nmore garbage").is_empty());
        assert!(parse("curl -v https://a.example\n* Trying 1.2.3.4...\n").is_empty());
        let r = parse("* Connection refused\n");
        assert!(r.is_empty());
    }
}
