//! `connector.properties`, the SSE connector's Java-properties style settings file
//! (`connector_fqdn=api-sse.cisco.com`). Only the simple one-line form occurs, so the parser is
//! line based: `#`/`!` comments and blank lines are skipped, the first `=` or `:` splits key from
//! value, and lines without either are recorded as bad rather than failing the file.

use super::numbered_lines;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Properties {
    pub entries: Vec<Entry>,
    pub bad_lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

impl Properties {
    /// The last entry with this key, as the connector itself would see it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

pub fn parse(text: &str) -> Properties {
    let mut props = Properties {
        entries: Vec::new(),
        bad_lines: Vec::new(),
    };
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(at) = line.find(['=', ':']) else {
            props.bad_lines.push(n);
            continue;
        };
        let key = line.get(..at).unwrap_or("").trim();
        let value = line.get(at + 1..).unwrap_or("").trim();
        if key.is_empty() {
            props.bad_lines.push(n);
            continue;
        }
        props.entries.push(Entry {
            key: key.to_string(),
            value: value.to_string(),
            line: n,
        });
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_sample() {
        let p = parse(
            "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api-sse.cisco.com\n",
        );
        assert_eq!(p.entries.len(), 3);
        let e = p.get("connector_fqdn").unwrap();
        assert_eq!((e.value.as_str(), e.line), ("api-sse.cisco.com", 3));
        assert!(p.bad_lines.is_empty());
    }

    #[test]
    fn tolerant_variants() {
        let t = "# comment\r\n\r\n connector_port = 8989 \r\nconnector_fqdn: api.eu.sse.itd.cisco.com\r\ngarbage line\r\n=novalue\r\nconnector_port=9999\r\nempty=\r\n";
        let p = parse(t);
        assert_eq!(p.get("connector_port").unwrap().value, "9999");
        assert_eq!(p.get("connector_port").unwrap().line, 7);
        assert_eq!(
            p.get("connector_fqdn").unwrap().value,
            "api.eu.sse.itd.cisco.com"
        );
        assert_eq!(p.get("empty").unwrap().value, "");
        assert_eq!(p.bad_lines, vec![5, 6]);
        assert!(p.get("Connector_port").is_none());
    }

    #[test]
    fn empty_input() {
        let p = parse("");
        assert!(p.entries.is_empty() && p.bad_lines.is_empty());
    }
}
