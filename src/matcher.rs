//! Many line patterns, one pass: the matcher set that ingest runs over every log line.
//!
//! The rules module compiles every line condition of the loaded packs into one `MatcherSet`;
//! the collector runs it on each line of each log member while the member streams, so adding
//! rules never adds a pass over the data. Per artifact kind, all patterns live in one
//! `RegexSet` (which picks literal prefilters itself); the individual regex is run only on the
//! lines the set flagged, to extract named captures. Substring patterns are compiled as escaped
//! regexes so they share the same single scan. The set knows patterns, never rules.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Serialize;

use crate::artifacts::ArtifactKind;

/// How a pattern matches a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternText {
    /// Found anywhere in the line; case-sensitive unless `ignore_case`.
    Substring { text: String, ignore_case: bool },
    /// Rust `regex` syntax, unanchored (use `^`/`$` to anchor).
    Regex { text: String, ignore_case: bool },
}

impl PatternText {
    fn as_regex(&self) -> (String, bool) {
        match self {
            PatternText::Substring { text, ignore_case } => (regex::escape(text), *ignore_case),
            PatternText::Regex { text, ignore_case } => (text.clone(), *ignore_case),
        }
    }
}

/// One pattern, identified by the caller's id.
#[derive(Debug, Clone)]
pub struct LinePattern {
    pub id: usize,
    pub artifact: ArtifactKind,
    pub text: PatternText,
    /// Log levels a line must have (lowercase, e.g. `error`); empty: any line. Checked by the
    /// reader that knows the log's format, after the set matched.
    pub levels: Vec<String>,
}

/// Compiled patterns, grouped by artifact kind.
#[derive(Debug, Default)]
pub struct MatcherSet {
    kinds: HashMap<ArtifactKind, KindSet>,
    singles: HashMap<usize, Regex>,
    levels: HashMap<usize, Vec<String>>,
}

#[derive(Debug)]
struct KindSet {
    set: RegexSet,
    ids: Vec<usize>,
}

/// Size limits for regexes from rule files (a rule must not be able to exhaust memory).
const REGEX_SIZE_LIMIT: usize = 16 << 20;

/// Compiles one pattern on its own, as `MatcherSet` would; for lint.
pub fn compile(text: &PatternText) -> Result<Regex, regex::Error> {
    let (source, ignore_case) = text.as_regex();
    RegexBuilder::new(&source)
        .case_insensitive(ignore_case)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

impl MatcherSet {
    pub fn new(patterns: &[LinePattern]) -> Result<MatcherSet, regex::Error> {
        let mut grouped: HashMap<ArtifactKind, Vec<&LinePattern>> = HashMap::new();
        for pattern in patterns {
            grouped.entry(pattern.artifact).or_default().push(pattern);
        }
        let mut kinds = HashMap::new();
        let mut singles = HashMap::new();
        let mut levels = HashMap::new();
        for (kind, group) in grouped {
            let sources: Vec<String> = group
                .iter()
                .map(|p| {
                    let (source, ignore_case) = p.text.as_regex();
                    if ignore_case {
                        format!("(?i:{source})")
                    } else {
                        source
                    }
                })
                .collect();
            let set = RegexSetBuilder::new(&sources)
                .size_limit(REGEX_SIZE_LIMIT * 4)
                .dfa_size_limit(REGEX_SIZE_LIMIT * 4)
                .build()?;
            for pattern in &group {
                singles.insert(pattern.id, compile(&pattern.text)?);
                if !pattern.levels.is_empty() {
                    levels.insert(pattern.id, pattern.levels.clone());
                }
            }
            kinds.insert(
                kind,
                KindSet {
                    set,
                    ids: group.iter().map(|p| p.id).collect(),
                },
            );
        }
        Ok(MatcherSet {
            kinds,
            singles,
            levels,
        })
    }

    /// Whether any pattern looks at this kind of artifact.
    pub fn wants(&self, kind: ArtifactKind) -> bool {
        self.kinds.contains_key(&kind)
    }

    /// Appends the ids of the patterns matching `line` to `out`.
    pub fn matches(&self, kind: ArtifactKind, line: &str, out: &mut Vec<usize>) {
        if let Some(k) = self.kinds.get(&kind) {
            for i in k.set.matches(line).iter() {
                out.push(k.ids[i]);
            }
        }
    }

    /// Whether a line of level `level` may count for pattern `id`.
    pub fn level_ok(&self, id: usize, level: Option<&str>) -> bool {
        match self.levels.get(&id) {
            None => true,
            Some(wanted) => level.is_some_and(|l| wanted.iter().any(|w| w == l)),
        }
    }

    /// The named captures of pattern `id` on `line`.
    pub fn captures(&self, id: usize, line: &str) -> Vec<(String, String)> {
        let Some(re) = self.singles.get(&id) else {
            return Vec::new();
        };
        let Some(caps) = re.captures(line) else {
            return Vec::new();
        };
        re.capture_names()
            .flatten()
            .filter_map(|name| {
                caps.name(name)
                    .map(|m| (name.to_string(), m.as_str().to_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(id: usize, artifact: ArtifactKind, text: PatternText) -> LinePattern {
        LinePattern {
            id,
            artifact,
            text,
            levels: vec![],
        }
    }

    #[test]
    fn one_scan_reports_every_matching_pattern_of_the_kind() {
        let set = MatcherSet::new(&[
            pattern(
                7,
                ArtifactKind::ConnectorLog,
                PatternText::Substring {
                    text: "no such host".into(),
                    ignore_case: false,
                },
            ),
            pattern(
                9,
                ArtifactKind::ConnectorLog,
                PatternText::Regex {
                    text: r"lookup (?P<host>\S+)".into(),
                    ignore_case: false,
                },
            ),
            pattern(
                11,
                ArtifactKind::Syslog,
                PatternText::Substring {
                    text: "NO SUCH".into(),
                    ignore_case: true,
                },
            ),
        ])
        .unwrap();
        let line = "dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host";
        let mut out = Vec::new();
        set.matches(ArtifactKind::ConnectorLog, line, &mut out);
        out.sort();
        assert_eq!(out, vec![7, 9]);
        assert_eq!(
            set.captures(9, line),
            vec![("host".to_string(), "api-sse.cisco.com".to_string())]
        );
        out.clear();
        set.matches(ArtifactKind::Syslog, line, &mut out);
        assert_eq!(out, vec![11]);
        assert!(!set.wants(ArtifactKind::Lsof));
    }

    #[test]
    fn substrings_are_literal() {
        let set = MatcherSet::new(&[pattern(
            1,
            ArtifactKind::Syslog,
            PatternText::Substring {
                text: "a.b(".into(),
                ignore_case: false,
            },
        )])
        .unwrap();
        let mut out = Vec::new();
        set.matches(ArtifactKind::Syslog, "xa.b(y", &mut out);
        set.matches(ArtifactKind::Syslog, "xaxb(y", &mut out);
        assert_eq!(out, vec![1]);
    }
}
