//! Host patterns of domain tables: an exact name, `*.rest` (one more label) or `**.rest` (one or
//! more labels). Matching ignores case and a trailing dot and never allocates: it runs on log
//! lines.

use std::fmt;

/// Longer than any host name (253 bytes) with room for spaces and a trailing dot: not one.
pub const MAX_HOST_TEXT: usize = 512;

/// How many labels a pattern's wildcard stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wildcard {
    /// `**.`: one or more labels.
    Many,
    /// `*.`: exactly one label.
    One,
    /// No wildcard: the name itself.
    None,
}

/// One host pattern, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    wildcard: Wildcard,
    /// The fixed labels after the wildcard (or the whole name), without a leading dot.
    name: String,
}

/// Why a pattern is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl HostPattern {
    /// Parses `api.example.com`, `*.example.com` or `**.example.com`.
    pub fn parse(text: &str) -> Result<HostPattern, PatternError> {
        let lower = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let (wildcard, name) = if let Some(rest) = lower.strip_prefix("**.") {
            (Wildcard::Many, rest)
        } else if let Some(rest) = lower.strip_prefix("*.") {
            (Wildcard::One, rest)
        } else {
            (Wildcard::None, lower.as_str())
        };
        if name.is_empty() {
            return Err(PatternError(
                "a pattern needs a name after its wildcard".into(),
            ));
        }
        if name.len() > 253 {
            return Err(PatternError("longer than a host name can be (253)".into()));
        }
        for label in name.split('.') {
            if label.is_empty() {
                return Err(PatternError("an empty label (two dots in a row)".into()));
            }
            if label.contains('*') {
                return Err(PatternError(
                    "a wildcard stands only as the first label, as `*.` or `**.`".into(),
                ));
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            {
                return Err(PatternError(format!(
                    "`{c}` is not a host name character (letters, digits, `-`)"
                )));
            }
        }
        Ok(HostPattern {
            wildcard,
            name: name.to_string(),
        })
    }

    /// Whether `host` (any case, a trailing dot allowed) is one this pattern names.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.len() > MAX_HOST_TEXT {
            return false;
        }
        match self.wildcard {
            Wildcard::None => host.eq_ignore_ascii_case(&self.name),
            Wildcard::One | Wildcard::Many => {
                let Some(cut) = host.len().checked_sub(self.name.len() + 1) else {
                    return false;
                };
                if cut == 0
                    || !host.is_char_boundary(cut)
                    || host.as_bytes()[cut] != b'.'
                    || !host[cut + 1..].eq_ignore_ascii_case(&self.name)
                {
                    return false;
                }
                self.wildcard == Wildcard::Many || !host[..cut].contains('.')
            }
        }
    }

    /// Whether every host this pattern matches is one `other` matches too (`**.cdo.example.net`
    /// is within `**.example.net`, `*.example.net` within `*.example.net`).
    pub fn within(&self, other: &HostPattern) -> bool {
        match (self.wildcard, other.wildcard) {
            (Wildcard::None, _) => other.matches(&self.name),
            (_, Wildcard::None) => false,
            (mine, theirs) if self.name == other.name => theirs == Wildcard::Many || mine == theirs,
            // One or more labels more than a name under `**.n` stay under it; under `*.n`,
            // `*.x.n` names hosts of two labels more, which it does not.
            (_, Wildcard::Many) => other.matches(&self.name),
            (_, Wildcard::One) => false,
        }
    }

    /// Orders the patterns that match one host: more fixed labels first, then an exact name
    /// before `*.` before `**.`. The most specific match decides which entry a host belongs to.
    pub fn specificity(&self) -> (usize, u8) {
        let rank = match self.wildcard {
            Wildcard::None => 2,
            Wildcard::One => 1,
            Wildcard::Many => 0,
        };
        (self.name.split('.').count(), rank)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wildcard {
            Wildcard::None => f.write_str(&self.name),
            Wildcard::One => write!(f, "*.{}", self.name),
            Wildcard::Many => write!(f, "**.{}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostPattern {
        HostPattern::parse(s).unwrap()
    }

    #[test]
    fn wildcards_stand_for_one_or_more_labels() {
        assert!(p("api.example.net").matches("API.example.net."));
        assert!(!p("api.example.net").matches("x.api.example.net"));
        assert!(p("*.example.net").matches("mx01.example.net"));
        assert!(!p("*.example.net").matches("a.b.example.net"));
        assert!(!p("*.example.net").matches("example.net"));
        assert!(!p("*.example.net").matches(".example.net"));
        assert!(!p("*.example.net").matches("xexample.net"));
        assert!(p("**.example.net").matches("a.b.Example.NET"));
        assert!(!p("**.example.net").matches("example.net"));
        assert!(!p("**.example.net").matches(&format!("{}.example.net", "a".repeat(600))));
        assert!(!p("*.example.net").matches("a.é.example.net"));
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in [
            "",
            "*.",
            "a..b",
            "a.*.b",
            "**",
            "exa mple.net",
            "*x.example.net",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(p("**.Example.net.").to_string(), "**.example.net");
    }

    #[test]
    fn a_pattern_within_another_names_only_hosts_it_names() {
        assert!(p("**.cdo.example.net").within(&p("**.example.net")));
        assert!(p("*.app.us.cdo.example.net").within(&p("**.example.net")));
        assert!(p("a.cdo.example.net").within(&p("**.example.net")));
        assert!(p("a.example.net").within(&p("*.example.net")));
        assert!(p("*.example.net").within(&p("*.example.net")));
        assert!(p("*.example.net").within(&p("**.example.net")));
        assert!(p("a.example.net").within(&p("a.example.net")));
        assert!(!p("**.example.net").within(&p("*.example.net")));
        assert!(!p("*.x.example.net").within(&p("*.example.net")));
        assert!(!p("a.b.example.net").within(&p("*.example.net")));
        assert!(!p("**.example.org").within(&p("**.example.net")));
        assert!(!p("example.net").within(&p("**.example.net")));
        assert!(!p("*.example.net").within(&p("a.example.net")));
    }

    #[test]
    fn more_fixed_labels_are_more_specific() {
        assert!(p("**.eu.example.net").specificity() > p("*.example.net").specificity());
        assert!(p("api.example.net").specificity() > p("*.example.net").specificity());
        assert!(p("*.example.net").specificity() > p("**.example.net").specificity());
    }
}
