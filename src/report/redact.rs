//! Redaction of private data in the report model, before any rendering.
//!
//! Reports travel beyond the case (tickets, chats, bug reports), so `--redact` replaces IP
//! addresses, host names, UUIDs, serial numbers, tokens and user names with placeholders
//! (`IP-1`, `HOST-2`, …). The same value gets the same placeholder within one case, so the
//! evidence still reads. What the diagnosis needs is kept: the SSE cloud host names (public) and
//! the AWS region part of `ec2-…` peer names. It works on the serialised model, every string of
//! it, so no output format can show what another hides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::facts::regions;

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .expect("valid")
});
static EC2: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bec2-(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})\.((?:[a-z0-9-]+\.)*amazonaws\.com)\b")
        .expect("valid")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b")
        .expect("valid")
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b|(?i)\b(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}\b").expect("valid")
});
static FQDN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.[a-z]{2,24}\b").expect("valid")
});
static SERIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(serial(?:[ _-]?(?:number|no))?|sn)\b(\s*[:=]\s*|\s+)([A-Z0-9]{6,20})\b")
        .expect("valid")
});
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(token|secret|password|passwd|api[_-]?key|authorization|bearer)\b(\s*[:=]\s*|\s+)\x22?([A-Za-z0-9+/._~-]{8,})").expect("valid")
});
static USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(user(?:name)?|login|uid)\b(\s*[:=]\s*)\x22?([A-Za-z0-9._-]{2,32})|\b([a-z_][a-z0-9_-]{0,31})@([A-Za-z0-9-]+)[:#$]").expect("valid")
});

/// Endings that make a dotted word a file name, not a host name.
const FILE_ENDINGS: &[&str] = &[
    "log",
    "gz",
    "tar",
    "tgz",
    "zip",
    "json",
    "yaml",
    "yml",
    "txt",
    "output",
    "conf",
    "properties",
    "sock",
    "soc",
    "pem",
    "go",
    "pid",
    "run",
    "html",
    "htm",
    "md",
    "rrd",
    "csv",
    "jsonl",
    "sh",
    "pl",
    "py",
    "xml",
    "so",
    "orig",
    "sql",
    "db",
    "cfg",
    "ini",
];

/// Public hosts kept as they are: they are needed for the diagnosis and identify nobody.
fn keep_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    regions::is_sse_host(&h)
        || [
            "tools.cisco.com",
            "smartreceiver.cisco.com",
            "www.cisco.com",
            "visibility.amp.cisco.com",
            "castle.amp.cisco.com",
        ]
        .contains(&h.as_str())
}

/// Consistent placeholders for one case.
#[derive(Debug, Default)]
pub struct Redactor {
    by_value: HashMap<String, String>,
    counters: BTreeMap<&'static str, usize>,
    /// Words known to be private (device names), replaced wherever they stand.
    names: BTreeSet<String>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a word (a device's host name) to redact wherever it appears, even without dots.
    pub fn add_name(&mut self, name: &str) {
        let name = name.trim();
        if name.len() >= 3 && !keep_host(name) {
            self.names.insert(name.to_string());
        }
    }

    fn placeholder(&mut self, kind: &'static str, value: &str) -> String {
        let key = format!("{kind}\u{0}{}", value.to_ascii_lowercase());
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("{kind}-{n}");
        self.by_value.insert(key, p.clone());
        p
    }

    /// Placeholder → original, for the engineer who must reverse it.
    pub fn mapping(&self) -> BTreeMap<String, String> {
        self.by_value
            .iter()
            .map(|(key, p)| {
                (
                    p.clone(),
                    key.split_once('\u{0}')
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Redacts one string.
    pub fn text(&mut self, input: &str) -> String {
        let mut s = replace_all(&UUID, input, |m, _| self.placeholder("UUID", m));
        s = replace_all(&SERIAL, &s, |_, c| {
            format!("{}{}{}", &c[1], &c[2], self.placeholder("SERIAL", &c[3]))
        });
        s = replace_all(&TOKEN, &s, |_, c| {
            format!("{}{}{}", &c[1], &c[2], self.placeholder("TOKEN", &c[3]))
        });
        s = replace_all(&USER, &s, |m, c| match c.get(3) {
            Some(u) => format!("{}{}{}", &c[1], &c[2], self.placeholder("USER", u.as_str())),
            None => {
                let user = self.placeholder("USER", &c[4]);
                let host = self.placeholder("HOST", &c[5]);
                format!("{user}@{host}{}", &m[m.len() - 1..])
            }
        });
        s = replace_all(&EC2, &s, |_, c| {
            format!(
                "{}.{}",
                self.placeholder("HOST", &format!("ec2-{}", &c[1])),
                &c[2]
            )
        });
        s = replace_all(&FQDN, &s, |m, _| {
            let ending = m.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            if keep_host(m)
                || FILE_ENDINGS.contains(&ending.as_str())
                || m.contains("amazonaws.com")
                || m.starts_with("HOST-")
            {
                m.to_string()
            } else {
                self.placeholder("HOST", m)
            }
        });
        s = replace_all(&IPV4, &s, |m, _| self.placeholder("IP", m));
        s = replace_all(&IPV6, &s, |m, _| {
            if m.parse::<std::net::Ipv6Addr>().is_ok() {
                self.placeholder("IP", m)
            } else {
                m.to_string()
            }
        });
        let names: Vec<String> = self.names.iter().cloned().collect();
        for name in names {
            if s.contains(&name) {
                let p = self.placeholder("HOST", &name);
                s = s.replace(&name, &p);
            }
        }
        s
    }

    /// Redacts every string of a serialised model (object keys are field and fact names: kept).
    pub fn value(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.value(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.value(i)),
            _ => {}
        }
    }
}

fn replace_all(
    re: &Regex,
    input: &str,
    mut f: impl FnMut(&str, &regex::Captures<'_>) -> String,
) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last = 0;
    for caps in re.captures_iter(input) {
        let m = caps.get(0).expect("group 0");
        out.push_str(&input[last..m.start()]);
        out.push_str(&f(m.as_str(), &caps));
        last = m.end();
    }
    out.push_str(&input[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_values_get_consistent_placeholders_and_public_ones_stay() {
        let mut r = Redactor::new();
        r.add_name("ftd-edge1");
        let a = r.text("connector 60815 www 12u IPv4 TCP firepower.corp.example:53426->ec2-100-25-93-234.compute-1.amazonaws.com:https (SYN_SENT)");
        assert!(
            !a.contains("firepower.corp.example") && !a.contains("100-25-93-234"),
            "{a}"
        );
        assert!(a.contains(".compute-1.amazonaws.com"), "{a}");
        let b = r.text("dial tcp 18.205.49.246:443 for api-sse.cisco.com from ftd-edge1 (uuid 1234abcd-0000-1111-2222-333344445555)");
        assert!(
            b.contains("api-sse.cisco.com") && b.contains("IP-1:443") && b.contains("UUID-1"),
            "{b}"
        );
        assert!(!b.contains("ftd-edge1"), "{b}");
        // The same value, the same placeholder.
        assert!(r.text("again 18.205.49.246").contains("IP-1"));
        assert_eq!(
            r.text("events.go:90 connector.log sf-version 7.2.5"),
            "events.go:90 connector.log sf-version 7.2.5"
        );
        let c = r.text("Serial Number: JAD12345678 token=abcdefghijkl0123 root@ftd01:~#");
        assert!(
            !c.contains("JAD12345678") && !c.contains("abcdefghijkl0123") && !c.contains("ftd01"),
            "{c}"
        );
        let map = r.mapping();
        assert_eq!(map.get("IP-1").map(String::as_str), Some("18.205.49.246"));
    }
}
