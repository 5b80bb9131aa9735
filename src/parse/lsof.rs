//! `lsof -i`: one row per open internet socket (`connector 60815 www 12u IPv4 110237499 0t0 TCP
//! a:53426->b:https (SYN_SENT)`). The DEVICE and SIZE/OFF columns may be empty, so columns are not
//! taken by position past FD: the family is the first `IPv4`/`IPv6` token, the NAME is the first
//! later token holding a `:`, the protocol is the token just before it, and a trailing
//! `(STATE)` gives the TCP state. The header and any row without a numeric PID are skipped.

use super::numbered_lines;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LsofRow {
    pub command: String,
    pub pid: u32,
    pub user: String,
    pub fd: String,
    pub family: String,
    pub protocol: String,
    pub local: String,
    pub remote: Option<String>,
    pub state: Option<String>,
    pub line: u32,
}

pub fn parse(text: &str) -> Vec<LsofRow> {
    rows(text).collect()
}

/// The rows of [`parse`] one at a time, so that a caller that keeps few of them holds few.
pub fn rows(text: &str) -> impl Iterator<Item = LsofRow> + '_ {
    numbered_lines(text).filter_map(|(n, l)| parse_row(l, n))
}

fn parse_row(line: &str, n: u32) -> Option<LsofRow> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let command = *toks.first()?;
    let pid = toks.get(1)?.parse::<u32>().ok()?;
    let user = *toks.get(2)?;
    let fd = *toks.get(3)?;
    let fam_at = toks
        .iter()
        .skip(4)
        .position(|t| t.eq_ignore_ascii_case("IPv4") || t.eq_ignore_ascii_case("IPv6"))?
        + 4;
    let family = *toks.get(fam_at)?;
    let name_at = toks.iter().skip(fam_at + 1).position(|t| t.contains(':'))? + fam_at + 1;
    let protocol = if name_at > fam_at + 1 {
        toks.get(name_at - 1).copied().unwrap_or("")
    } else {
        ""
    };
    let name = *toks.get(name_at)?;
    let (local, remote) = match name.split_once("->") {
        Some((l, r)) => (l, Some(r.to_string())),
        None => (name, None),
    };
    let state = toks
        .get(name_at + 1..)
        .unwrap_or(&[])
        .iter()
        .find_map(|t| t.strip_prefix('(').and_then(|t| t.strip_suffix(')')))
        .map(str::to_string);
    Some(LsofRow {
        command: command.to_string(),
        pid,
        user: user.to_string(),
        fd: fd.to_string(),
        family: family.to_string(),
        protocol: protocol.to_string(),
        local: local.to_string(),
        remote,
        state,
        line: n,
    })
}

/// Splits `host:port` at the last colon; `[v6]:port` loses its brackets. No colon: port is "".
pub fn split_host_port(s: &str) -> (&str, &str) {
    if let Some(inner) = s.strip_prefix('[')
        && let Some((host, rest)) = inner.split_once(']')
    {
        return (host, rest.strip_prefix(':').unwrap_or(rest));
    }
    s.rsplit_once(':').unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "COMMAND     PID USER   FD   TYPE     DEVICE SIZE/OFF NODE NAME\nconnector 60815  www   10u  IPv4 3022789647      0t0  TCP localhost:8989 (LISTEN)\nconnector 60815  www   12u  IPv4  110237499      0t0  TCP firepower.cisco.com:53426->ec2-100-25-93-234.compute-1.amazonaws.com:https (SYN_SENT)\nconnector 13277  www   19u  IPv4   26077679      0t0  TCP 192.168.1.200:56495->ec2-35-172-147-246.compute-1.amazonaws.com:https (ESTABLISHED)\n";

    #[test]
    fn contract_sample() {
        let rows = parse(SAMPLE);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            LsofRow {
                command: "connector".into(),
                pid: 60815,
                user: "www".into(),
                fd: "12u".into(),
                family: "IPv4".into(),
                protocol: "TCP".into(),
                local: "firepower.cisco.com:53426".into(),
                remote: Some("ec2-100-25-93-234.compute-1.amazonaws.com:https".into()),
                state: Some("SYN_SENT".into()),
                line: 3
            }
        );
        assert_eq!(
            (rows[0].remote.clone(), rows[0].state.as_deref()),
            (None, Some("LISTEN"))
        );
        assert_eq!(rows[2].state.as_deref(), Some("ESTABLISHED"));
    }

    #[test]
    fn variants() {
        let t = "# c\r\n\r\nntpd 1200 ntp 20u IPv6 UDP [::1]:123\r\nsshd 9 root 3u IPv4 1 0t0 TCP *:ssh (LISTEN)\r\nnot a row\r\nx y z w IPv4 TCP a:1\r\nshort 1 u\r\n";
        let rows = parse(t);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].protocol.as_str(),
                rows[0].local.as_str(),
                rows[0].line
            ),
            ("UDP", "[::1]:123", 3)
        );
        assert_eq!(rows[0].state, None);
        assert_eq!(rows[1].local, "*:ssh");
        assert!(parse("").is_empty());
    }

    #[test]
    fn splits_host_port() {
        assert_eq!(
            split_host_port("ec2-1-2-3-4.compute-1.amazonaws.com:https"),
            ("ec2-1-2-3-4.compute-1.amazonaws.com", "https")
        );
        assert_eq!(split_host_port("[::1]:443"), ("::1", "443"));
        assert_eq!(split_host_port("localhost"), ("localhost", ""));
        assert_eq!(split_host_port("[::1"), ("[:", "1"));
    }
}
