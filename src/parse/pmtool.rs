//! `pmtool status`, the Firepower process manager's daemon list. Each daemon is a block whose
//! first line is `<Name> (<class>) - <State>[ <pid>]`, followed by `Key: value` lines (`Required
//! by:`, `Command:`, `PID File:` …). Only header lines create daemons, and a header is recognised
//! by its exact shape (single-word name, parenthesised class, ` - ` separator), so that the
//! daemon names listed under `Required by:` can never be mistaken for blocks.

use super::numbered_lines;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Daemon {
    pub name: String,
    pub class: String,
    pub state: String,
    pub pid: Option<u32>,
    pub line: u32,
}

pub fn parse(text: &str) -> Vec<Daemon> {
    numbered_lines(text)
        .filter_map(|(n, l)| parse_header(l, n))
        .collect()
}

fn parse_header(line: &str, n: u32) -> Option<Daemon> {
    let line = line.trim();
    let open = line.find('(')?;
    let name = line.get(..open)?.trim();
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains(':') {
        return None;
    }
    let after = line.get(open + 1..)?;
    let close = after.find(')')?;
    let class = after.get(..close)?.trim();
    let rest = after
        .get(close + 1..)?
        .trim_start()
        .strip_prefix('-')?
        .trim();
    if rest.is_empty() || class.contains(char::is_whitespace) {
        return None;
    }
    let (state, pid) = match rest.rsplit_once(char::is_whitespace) {
        Some((s, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (s.trim(), p.parse().ok()),
        _ => (rest, None),
    };
    Some(Daemon {
        name: name.to_string(),
        class: class.to_string(),
        state: state.to_string(),
        pid,
        line: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "SSEConnector (system) - Running 20697\nRequired by: ngfwManager,ASAConfig,tomcat,SSEConnector,rsyncd,hmdaemon,srt,UUID\nEventHandler (normal) - Running 17453\nCommand: /ngfw/usr/local/sf/bin/EventHandler\nPID File: /ngfw/var/sf/run/EventHandler.pid\nEnable File: /ngfw/etc/sf/EventHandler.run\n";

    #[test]
    fn contract_sample() {
        let d = parse(SAMPLE);
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0],
            Daemon {
                name: "SSEConnector".into(),
                class: "system".into(),
                state: "Running".into(),
                pid: Some(20697),
                line: 1
            }
        );
        assert_eq!(
            (d[1].name.as_str(), d[1].pid, d[1].line),
            ("EventHandler", Some(17453), 3)
        );
    }

    #[test]
    fn states_and_variants() {
        let t = "\r\n# c\r\nSSEConnector (system) - User Disabled\r\nfoo (normal) -   Waiting  \r\nbar (normal) - Down\r\nRequired by: a (b) - c\r\nDisabled one (x) - Disabled\r\nbaz (normal)\r\ngarbage\r\n";
        let d = parse(t);
        let got: Vec<_> = d
            .iter()
            .map(|d| (d.name.as_str(), d.state.as_str(), d.pid, d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("SSEConnector", "User Disabled", None, 3),
                ("foo", "Waiting", None, 4),
                ("bar", "Down", None, 5),
            ]
        );
        assert!(parse("").is_empty());
    }
}
