//! Device identity files: `/etc/hostname` (the name on its first meaningful line) and
//! `/etc/sf/ims.conf`, a shell-style `KEY=value` file whose `APPLIANCE_UUID` identifies the
//! appliance. Both are read line by line, tolerating comments, quotes and spaces around `=`.

use super::{Located, numbered_lines};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImsConf {
    pub appliance_uuid: Option<Located<String>>,
}

pub fn parse_hostname(text: &str) -> Option<Located<String>> {
    numbered_lines(text).find_map(|(n, l)| {
        let t = l.trim_start_matches('\u{feff}').trim();
        (!t.is_empty() && !t.starts_with('#')).then(|| Located {
            value: t.to_string(),
            line: n,
        })
    })
}

pub fn parse_ims_conf(text: &str) -> ImsConf {
    let mut appliance_uuid = None;
    for (n, l) in numbered_lines(text) {
        let t = l.trim();
        let t = t.strip_prefix("export ").unwrap_or(t).trim_start();
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        if k.trim() != "APPLIANCE_UUID" {
            continue;
        }
        let v = v.trim();
        let v = v.trim_matches(|c| c == '"' || c == '\'').trim();
        if !v.is_empty() {
            // The shell would keep the last assignment, so do we.
            appliance_uuid = Some(Located {
                value: v.to_string(),
                line: n,
            });
        }
    }
    ImsConf { appliance_uuid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname() {
        let h = parse_hostname("\r\n# c\r\n  firepower \r\nother\r\n").unwrap();
        assert_eq!((h.value.as_str(), h.line), ("firepower", 3));
        assert_eq!(parse_hostname(""), None);
        assert_eq!(parse_hostname("\n#x\n  \n"), None);
    }

    #[test]
    fn ims_conf() {
        let c = parse_ims_conf(
            "# c\nSWVERSION=6.4.0\nAPPLIANCE_UUID=7f3a0c1e-1111-2222-3333-444455556666\n",
        );
        assert_eq!(
            c.appliance_uuid.unwrap(),
            Located {
                value: "7f3a0c1e-1111-2222-3333-444455556666".into(),
                line: 3
            }
        );
        let c = parse_ims_conf("garbage\r\nAPPLIANCE_UUID = \"abc-def\"\r\n");
        assert_eq!(c.appliance_uuid.unwrap().value, "abc-def");
        assert_eq!(parse_ims_conf("APPLIANCE_UUID=\n").appliance_uuid, None);
        assert_eq!(parse_ims_conf("").appliance_uuid, None);
    }
}
