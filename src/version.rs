//! Firepower version strings (`6.4.0`, `6.4.0.16`, `v6.4.0 (build 102)`, `7.2.5 (Build 208)`,
//! `7.2.5-208`). Version gates compare releases numerically part by part, never as text, so a
//! version is kept as its list of numeric parts; the build number is carried for display only
//! and takes no part in ordering, because gates are stated on releases, not builds.
//!
//! The [`Product`] a device runs (FMC or FTD) lives here too: it is read with the version (from
//! `sf-version` or `show version`, [`crate::parse::version_lines`]) and used wherever versions
//! are: device identity, `applies_to` gates, the rules' product lists.

use std::cmp::Ordering;
use std::fmt;

/// A dotted numeric version compared part by part ("6.4.0" < "6.4.0.16" < "6.10"), missing parts are 0.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Version {
    pub parts: Vec<u32>,
    pub build: Option<u32>,
}

impl Version {
    /// Reads the first dotted number in `s` (an optional leading `v` is allowed) and a build
    /// number from `(build N)` or a `-N` suffix.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s
            .strip_prefix('v')
            .or_else(|| s.strip_prefix('V'))
            .unwrap_or(s);
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let head = s.get(..end)?.trim_end_matches('.');
        if head.is_empty() || head.starts_with('.') {
            return None;
        }
        let mut parts = Vec::new();
        for p in head.split('.') {
            // A part too big for u32 is not a version we know how to compare.
            parts.push(p.parse::<u32>().ok()?);
        }
        let rest = s.get(end..).unwrap_or("");
        Some(Version {
            parts,
            build: parse_build(rest),
        })
    }
}

impl Version {
    /// A version as a rule writes it: dotted numbers only (`7.0`, `7.2.5`), no `x`, suffix or
    /// build, so that `7.0.x` or `7.0.2-beta` is an error rather than a silent `7.0` or `7.0.2`.
    pub fn parse_exact(s: &str) -> Option<Version> {
        let s = s.trim();
        if s.is_empty()
            || !s
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Version::parse(s)
    }

    /// Ordering on the first `n` parts only (missing parts are 0).
    pub fn cmp_parts(&self, other: &Version, n: usize) -> Ordering {
        let cut = |v: &Version| Version {
            parts: v.parts.iter().copied().take(n).collect(),
            build: None,
        };
        cut(self).cmp(&cut(other))
    }
}

fn parse_build(rest: &str) -> Option<u32> {
    if let Some(n) = rest.strip_prefix('-') {
        return leading_number(n);
    }
    let lower = rest.to_ascii_lowercase();
    let at = lower.find("build")?;
    leading_number(lower.get(at + 5..)?.trim_start())
}

fn leading_number(s: &str) -> Option<u32> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.get(..end)?.parse().ok()
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.parts.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

// Equality agrees with the ordering: `6.4` == `6.4.0` == `6.4.0 (build 102)`. A rule that
// needs a build compares the version text instead.
impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let significant = self
            .parts
            .iter()
            .rposition(|&p| p != 0)
            .map_or(0, |i| i + 1);
        self.parts[..significant].hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        if let Some(b) = self.build {
            write!(f, " (build {b})")?;
        }
        Ok(())
    }
}

/// The product a device runs, as its version line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Product {
    #[serde(rename = "FMC")]
    Fmc,
    #[serde(rename = "FTD")]
    Ftd,
    #[serde(rename = "unknown")]
    Unknown,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Fmc => "FMC",
            Product::Ftd => "FTD",
            Product::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect(s)
    }

    #[test]
    fn rule_versions_are_dotted_numbers_only() {
        for bad in [
            "7.0.x",
            "7.0.2-beta",
            "7.2.5 (build 208)",
            "",
            "7..0",
            ".7",
            "7.",
            "v7.0",
        ] {
            assert!(Version::parse_exact(bad).is_none(), "{bad}");
        }
        assert_eq!(Version::parse_exact("7.10").unwrap().parts, vec![7, 10]);
        assert_eq!(v("7.2.5.1").cmp_parts(&v("7.2.5.9"), 3), Ordering::Equal);
        assert_eq!(v("7.3").cmp_parts(&v("7.2.9"), 2), Ordering::Greater);
    }

    #[test]
    fn parses_forms() {
        assert_eq!(v("6.4.0").parts, vec![6, 4, 0]);
        assert_eq!(v("v6.4.0 (build 102)").build, Some(102));
        assert_eq!(v("7.2.5 (Build 208)").build, Some(208));
        assert_eq!(v("6.4.0.16").parts, vec![6, 4, 0, 16]);
        assert_eq!(v("10.0.0").parts, vec![10, 0, 0]);
        let x = v(" 7.2.5-208 ");
        assert_eq!((x.parts, x.build), (vec![7, 2, 5], Some(208)));
        assert_eq!(v("7").parts, vec![7]);
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "v", "abc", ".4", "99999999999.1", "(build 5)"] {
            assert_eq!(Version::parse(s), None, "{s}");
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(v("6.4.0") < v("6.4.0.16"));
        assert!(v("6.4.0.16") < v("6.10"));
        assert!(v("6.9") < v("6.10"));
        assert!(v("7.0.2") > v("7.0.1.5"));
        assert_eq!(v("6.4").cmp(&v("6.4.0")), Ordering::Equal);
        assert_eq!(
            v("6.4.0 (build 1)").cmp(&v("6.4.0 (build 9)")),
            Ordering::Equal
        );
    }

    #[test]
    fn products_serialise_as_the_reports_name_them() {
        assert_eq!(serde_json::to_string(&Product::Fmc).unwrap(), "\"FMC\"");
        assert_eq!(Product::Unknown.as_str(), "unknown");
    }

    #[test]
    fn displays() {
        assert_eq!(v("v6.4.0 (build 102)").to_string(), "6.4.0 (build 102)");
        assert_eq!(v("6.4.0.16").to_string(), "6.4.0.16");
    }
}
