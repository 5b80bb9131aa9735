//! `netstat -anlp`: internet rows (`tcp 0 0 127.0.0.1:8989 0.0.0.0:* LISTEN 60815/connector`) and
//! UNIX domain rows (`unix 2 [ ACC ] STREAM LISTENING 382276 7741/EventHandler /path`). Columns are
//! space-aligned but the Flags column holds spaces inside brackets and the State column is blank
//! for some rows, so rows are read token by token from the left, using the shape of each token
//! (digits, `pid/program`, `-`) rather than fixed positions. Headers and other lines are skipped.

use super::numbered_lines;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Netstat {
    pub unix: Vec<UnixSocket>,
    pub inet: Vec<InetSocket>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnixSocket {
    pub refcnt: u32,
    pub flags: String,
    pub kind: String,
    pub state: String,
    pub inode: u64,
    pub pid: Option<u32>,
    pub program: Option<String>,
    pub path: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InetSocket {
    pub proto: String,
    pub local: String,
    pub foreign: String,
    pub state: String,
    pub pid: Option<u32>,
    pub program: Option<String>,
    pub line: u32,
}

pub fn parse(text: &str) -> Netstat {
    let mut out = Netstat {
        unix: Vec::new(),
        inet: Vec::new(),
    };
    for (n, line) in numbered_lines(text) {
        let line = line.trim();
        let proto = line.split_whitespace().next().unwrap_or("");
        if proto == "unix" {
            out.unix.extend(parse_unix(line, n));
        } else if is_inet_proto(proto) {
            out.inet.extend(parse_inet(line, n));
        }
    }
    out
}

/// The unix socket rows of [`parse`] one at a time, so that a caller that keeps few of them
/// holds few.
pub fn unix_sockets(text: &str) -> impl Iterator<Item = UnixSocket> + '_ {
    numbered_lines(text).filter_map(|(n, line)| {
        let line = line.trim();
        if line.split_whitespace().next() == Some("unix") {
            parse_unix(line, n)
        } else {
            None
        }
    })
}

fn is_inet_proto(p: &str) -> bool {
    matches!(
        p,
        "tcp" | "tcp6" | "udp" | "udp6" | "udpl" | "udpl6" | "raw" | "raw6" | "sctp" | "sctp6"
    )
}

/// Splits a `PID/Program name` token; `-` (no permission or no process) gives neither.
fn pid_program(tok: &str) -> Option<(Option<u32>, Option<String>)> {
    if tok == "-" {
        return Some((None, None));
    }
    let (pid, prog) = tok.split_once('/')?;
    let pid = pid.parse::<u32>().ok()?;
    let prog = prog.trim();
    Some((Some(pid), (!prog.is_empty()).then(|| prog.to_string())))
}

fn parse_unix(line: &str, n: u32) -> Option<UnixSocket> {
    let rest = line.strip_prefix("unix")?.trim_start();
    let (refcnt, rest) = rest.split_once(char::is_whitespace)?;
    let refcnt = refcnt.parse().ok()?;
    let rest = rest.trim_start();
    let (flags, rest) = if let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']')?;
        (inner.get(..close)?.trim(), inner.get(close + 1..)?)
    } else {
        return None;
    };
    let mut toks = rest.split_whitespace().peekable();
    let kind = toks.next()?;
    let mut state = "";
    if toks
        .peek()
        .is_some_and(|t| !t.bytes().all(|b| b.is_ascii_digit()))
    {
        state = toks.next().unwrap_or("");
    }
    let inode = toks.next()?.parse::<u64>().ok()?;
    let mut pid = None;
    let mut program = None;
    if let Some((p, prog)) = toks.peek().and_then(|t| pid_program(t)) {
        pid = p;
        program = prog;
        toks.next();
    }
    let path: Vec<&str> = toks.collect();
    let path = path.join(" ");
    Some(UnixSocket {
        refcnt,
        flags: flags.to_string(),
        kind: kind.to_string(),
        state: state.to_string(),
        inode,
        pid,
        program,
        path: (!path.is_empty()).then_some(path),
        line: n,
    })
}

fn parse_inet(line: &str, n: u32) -> Option<InetSocket> {
    let mut toks = line.split_whitespace();
    let proto = toks.next()?;
    let _recv_q = toks.next()?;
    let _send_q = toks.next()?;
    let local = toks.next()?;
    let foreign = toks.next()?;
    if !local.contains(':') || !foreign.contains(':') {
        return None;
    }
    let rest: Vec<&str> = toks.collect();
    let (state, rest) = match rest.split_first() {
        Some((first, tail)) if pid_program(first).is_none() => (*first, tail),
        _ => ("", rest.as_slice()),
    };
    let (pid, program) = match rest.split_first() {
        Some((first, tail)) => match pid_program(first) {
            Some((pid, prog)) => {
                // Program names such as `sshd: root@pts/0` carry spaces: keep the whole tail.
                let prog = prog.map(|p| {
                    let mut all = vec![p.as_str()];
                    all.extend(tail.iter().copied());
                    all.join(" ")
                });
                (pid, prog)
            }
            None => (None, None),
        },
        None => (None, None),
    };
    Some(InetSocket {
        proto: proto.to_string(),
        local: local.to_string(),
        foreign: foreign.to_string(),
        state: state.to_string(),
        pid,
        program,
        line: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_padded_rows() {
        let t = "Active UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   PID/Program name    Path\nunix  2      [ ACC ]     STREAM     LISTENING     382276   7741/EventHandler    /ngfw/var/sf/run/EventHandler_SSEConnector.sock\nunix  3      [ ]         STREAM     CONNECTED     378537   7741/EventHandler    /ngfw/var/sf/run/EventHandler_SSEConnector.sock\n";
        let ns = parse(t);
        assert_eq!(ns.unix.len(), 2);
        assert_eq!(
            ns.unix[0],
            UnixSocket {
                refcnt: 2,
                flags: "ACC".into(),
                kind: "STREAM".into(),
                state: "LISTENING".into(),
                inode: 382276,
                pid: Some(7741),
                program: Some("EventHandler".into()),
                path: Some("/ngfw/var/sf/run/EventHandler_SSEConnector.sock".into()),
                line: 3
            }
        );
        assert_eq!(
            (ns.unix[1].flags.as_str(), ns.unix[1].state.as_str()),
            ("", "CONNECTED")
        );
    }

    #[test]
    fn seed_compact_rows() {
        let t = "unix 2 [ACC] STREAM LISTENING 3022791165 11204/EventHandler /ngfw/var/sf/run/EventHandler_SSEConnector.sock\r\nunix 3 [] STREAM CONNECTED 378537 7741/EventHandler /ngfw/var/sf/run/EventHandler_SSEConnector.soc\r\n";
        let ns = parse(t);
        assert_eq!(ns.unix.len(), 2);
        assert_eq!(ns.unix[0].inode, 3022791165);
        assert_eq!(ns.unix[0].pid, Some(11204));
        assert_eq!(
            ns.unix[1].path.as_deref(),
            Some("/ngfw/var/sf/run/EventHandler_SSEConnector.soc")
        );
        assert_eq!(ns.unix[1].line, 2);
    }

    #[test]
    fn missing_state_pid_path() {
        let t = "unix  2      [ ]         DGRAM                    12345    -\nunix  2 [ ] DGRAM 999 /dev/log\nunix x [ ] STREAM 1\nunix 2 ACC STREAM 1\n";
        let ns = parse(t);
        assert_eq!(ns.unix.len(), 2);
        assert_eq!(
            (
                ns.unix[0].state.as_str(),
                ns.unix[0].pid,
                ns.unix[0].path.clone()
            ),
            ("", None, None)
        );
        assert_eq!(ns.unix[1].path.as_deref(), Some("/dev/log"));
    }

    #[test]
    fn inet_rows() {
        let t = "Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp        0      0 127.0.0.1:8989          0.0.0.0:*               LISTEN      60815/connector\ntcp        0      1 10.0.0.5:53426          18.205.49.246:443       SYN_SENT    60815/connector\nudp        0      0 0.0.0.0:123             0.0.0.0:*                           1200/ntpd\ntcp6       0      0 :::22                   :::*                    LISTEN      -\ntcp        0      0 10.0.0.5:22             10.0.0.9:5000           ESTABLISHED 4242/sshd: root@pts\ntcp garbage\n";
        let ns = parse(t);
        assert_eq!(ns.inet.len(), 5);
        assert_eq!(ns.inet[0].state, "LISTEN");
        assert_eq!(ns.inet[1].foreign, "18.205.49.246:443");
        assert_eq!(
            (ns.inet[2].state.as_str(), ns.inet[2].pid),
            ("", Some(1200))
        );
        assert_eq!((ns.inet[3].pid, ns.inet[3].program.clone()), (None, None));
        assert_eq!(ns.inet[4].program.as_deref(), Some("sshd: root@pts"));
        assert!(parse("").unix.is_empty());
    }
}
