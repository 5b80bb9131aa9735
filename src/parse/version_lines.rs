//! Product and version of a device, from `/etc/sf/sf-version` (`Cisco Firepower Management Center
//! for VMWare v6.4.0 (build 102)`, followed by an OS line to ignore) or from the `show version`
//! block (`Model : … Version 7.2.5 (Build 208)`), which is also the head of `show_tech_output.txt`.
//! Both are a free-text model name followed by a version marker, so one small regex finds the
//! marker and everything before it is the model; the product is read from the model's words.

use std::sync::LazyLock;

use regex::Regex;

use super::numbered_lines;
use crate::version::{Product, Version};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    pub product: Product,
    pub model: String,
    pub version: Version,
    pub uuid: Option<String>,
    pub hostname: Option<String>,
    pub line: u32,
}

static MARKER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\s)(?:v|version\s+)(\d+(?:\.\d+)+(?:\s*\(\s*build\s*\d+\s*\)|-\d+)?)")
        .ok()
});

fn product_of(model: &str) -> Product {
    let m = model.to_ascii_lowercase();
    if m.contains("threat defense") {
        Product::Ftd
    } else if m.contains("management center") || m.contains("defense center") {
        Product::Fmc
    } else {
        Product::Unknown
    }
}

/// Splits `<model> v<version>` / `<model> Version <version>` into model text and version.
fn model_and_version(text: &str) -> Option<(String, Version)> {
    let caps = MARKER.as_ref()?.captures(text)?;
    let whole = caps.get(0)?;
    let version = Version::parse(caps.get(1)?.as_str())?;
    let model = text.get(..whole.start())?.trim().to_string();
    Some((model, version))
}

pub fn parse_sf_version(text: &str) -> Option<VersionInfo> {
    for (n, line) in numbered_lines(text) {
        // The file may also be written as one line: `<product> … / Cisco Fire Linux OS …`.
        let head = line.split(" / ").next().unwrap_or("").trim();
        if head.is_empty() || head.starts_with('#') || head.contains("Linux OS") {
            continue;
        }
        if let Some((model, version)) = model_and_version(head) {
            return Some(VersionInfo {
                product: product_of(&model),
                model,
                version,
                uuid: None,
                hostname: None,
                line: n,
            });
        }
    }
    None
}

/// `-----[ host ]-----` → `host`.
fn banner_host(line: &str) -> Option<&str> {
    let t = line.trim();
    if !t.starts_with('-') {
        return None;
    }
    let inner = t.trim_matches('-').trim();
    let name = inner.strip_prefix('[')?.strip_suffix(']')?.trim();
    (!name.is_empty()).then_some(name)
}

fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    Some((k.trim(), v.trim()))
}

pub fn parse_show_version(text: &str) -> Option<VersionInfo> {
    let mut hostname = None;
    let mut found: Option<(String, Version, u32)> = None;
    let mut uuid = None;
    for (n, line) in numbered_lines(text) {
        if let Some(h) = banner_host(line) {
            // A second banner starts another section of show tech: the version block is over.
            if hostname.is_some() || found.is_some() {
                break;
            }
            hostname = Some(h.to_string());
            continue;
        }
        let t = line.trim();
        if !t.is_empty() && t.bytes().all(|b| b == b'-') {
            if found.is_some() {
                break;
            }
            continue;
        }
        let Some((key, value)) = key_value(t) else {
            continue;
        };
        if key.eq_ignore_ascii_case("Model") && found.is_none() {
            found = model_and_version(value).map(|(m, v)| (m, v, n));
        } else if key.eq_ignore_ascii_case("UUID") && uuid.is_none() && !value.is_empty() {
            uuid = Some(value.to_string());
        }
    }
    let (model, version, line) = found?;
    Some(VersionInfo {
        product: product_of(&model),
        model,
        version,
        uuid,
        hostname,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sf_version_fmc() {
        let v = parse_sf_version("Cisco Firepower Management Center for VMWare v6.4.0 (build 102)\nCisco Fire Linux OS v6.4.0 (build 2)\n").unwrap();
        assert_eq!(v.product, Product::Fmc);
        assert_eq!(v.model, "Cisco Firepower Management Center for VMWare");
        assert_eq!(v.version.to_string(), "6.4.0 (build 102)");
        assert_eq!(v.line, 1);
        let one = parse_sf_version("Cisco Firepower Management Center for VMWare v6.4.0 (build 102) / Cisco Fire Linux OS v6.4.0 (build 2)").unwrap();
        assert_eq!(one.version, v.version);
    }

    #[test]
    fn sf_version_variants() {
        let v = parse_sf_version("\r\n# x\r\nSourcefire Linux OS v5.4.0 (build 3)\r\nSourcefire Defense Center S3 v5.4.1.2 (build 23)\r\n").unwrap();
        assert_eq!((v.product, v.line), (Product::Fmc, 4));
        assert_eq!(v.version.parts, vec![5, 4, 1, 2]);
        let f = parse_sf_version("Cisco Firepower Threat Defense for VMWare v7.0.1 (build 84)")
            .unwrap();
        assert_eq!(f.product, Product::Ftd);
        let u = parse_sf_version("Some Box v1.2").unwrap();
        assert_eq!(u.product, Product::Unknown);
        assert_eq!(parse_sf_version(""), None);
        assert_eq!(
            parse_sf_version("Cisco Fire Linux OS v6.4.0 (build 2)\ngarbage"),
            None
        );
    }

    const SHOW: &str = "-------------------[ ftd-edge1 ]--------------------\nModel                     : Cisco Firepower 2110 Threat Defense (77) Version 7.2.5 (Build 208)\nUUID                      : 1234abcd-0000-1111-2222-333344445555\nLSP version               : lsp-rel-20230712-1621\nVDB version               : 353\n----------------------------------------------------\n";

    #[test]
    fn show_version_contract() {
        let v = parse_show_version(SHOW).unwrap();
        assert_eq!(v.product, Product::Ftd);
        assert_eq!(v.hostname.as_deref(), Some("ftd-edge1"));
        assert_eq!(v.model, "Cisco Firepower 2110 Threat Defense (77)");
        assert_eq!(
            (v.version.parts.clone(), v.version.build),
            (vec![7, 2, 5], Some(208))
        );
        assert_eq!(
            v.uuid.as_deref(),
            Some("1234abcd-0000-1111-2222-333344445555")
        );
        assert_eq!(v.line, 2);
    }

    #[test]
    fn show_version_in_show_tech() {
        let t = format!(
            "{}\r\nCisco Adaptive Security Appliance Software Version 9.18(3)\r\n-----[ other ]-----\r\nUUID : nope\r\nModel : x Version 1.0\r\n",
            SHOW.replace('\n', "\r\n")
        );
        let v = parse_show_version(&t).unwrap();
        assert_eq!(
            v.uuid.as_deref(),
            Some("1234abcd-0000-1111-2222-333344445555")
        );
        assert_eq!(v.version.parts, vec![7, 2, 5]);
        let fmc = parse_show_version("Model : Cisco Firepower Management Center for VMWare (66) Version 6.6.1 (Build 91)\nUUID :\n").unwrap();
        assert_eq!(
            (fmc.product, fmc.hostname, fmc.uuid),
            (Product::Fmc, None, None)
        );
        assert_eq!(parse_show_version(""), None);
        assert_eq!(parse_show_version("Model : no version here\n"), None);
    }
}
