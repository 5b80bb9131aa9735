//! Many line patterns, one pass: the matcher set that ingest runs over every log line.
//!
//! The rules module compiles every line condition of the loaded packs into one `MatcherSet`;
//! the collector runs it on each line of each log member while the member streams, so adding
//! rules never adds a pass over the data. Most lines of a log match nothing, so the cost that
//! matters is rejecting them: per artifact kind, the literal prefixes every match must start with
//! (extracted from each pattern by `regex-syntax`) go into one ASCII-case-insensitive
//! Aho-Corasick automaton, and a line is only shown to the patterns whose literals it contains.
//! Patterns without usable literals (`.`, `\d+ errors`) share one `RegexSet` run on every line.
//! Substring patterns are escaped regexes, so both kinds follow the same path. The set knows
//! patterns, never rules.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
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
    /// Literal prefixes of the prefiltered patterns; `literal_owner[i]` is the pattern of literal i.
    literals: Option<AhoCorasick>,
    literal_owner: Vec<usize>,
    /// The patterns behind `literals`, each once.
    prefiltered: Vec<usize>,
    /// Patterns with no usable literal: run on every line.
    always: Option<RegexSet>,
    always_ids: Vec<usize>,
}

/// The literal prefixes every match of `source` starts with, as bytes with ASCII letters
/// lowercased, if there are few enough and long enough to be worth a prefilter.
///
/// Case-insensitivity is left out of the extraction (a leading `(?i)` is dropped, `ignore_case`
/// is not applied): otherwise every letter doubles the literals and only 4-byte prefixes
/// survive, which `connector` lines hit all the time. That is exact for ASCII lines, because the
/// automaton ignores ASCII case and the other case variants of ASCII letters (`ſ`, the Kelvin
/// sign) are not ASCII; non-ASCII lines skip the prefilter (see [`MatcherSet::matches`]).
fn required_prefixes(source: &str) -> Option<Vec<Vec<u8>>> {
    let source = source.strip_prefix("(?i)").unwrap_or(source);
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .ok()?;
    [(64, 256), (8, 1024)]
        .into_iter()
        .find_map(|(length, total)| {
            let mut extractor = regex_syntax::hir::literal::Extractor::new();
            extractor
                .kind(regex_syntax::hir::literal::ExtractKind::Prefix)
                .limit_literal_len(length)
                .limit_total(total);
            let seq = extractor.extract(&hir);
            let literals = seq.literals()?;
            if literals.is_empty() || literals.iter().any(|l| l.as_bytes().len() < 3) {
                return None;
            }
            let mut out: Vec<Vec<u8>> = literals
                .iter()
                .map(|l| l.as_bytes().to_ascii_lowercase())
                .collect();
            out.sort();
            out.dedup();
            Some(out)
        })
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
            let mut literals = Vec::new();
            let mut literal_owner = Vec::new();
            let mut prefiltered = Vec::new();
            let mut always_sources = Vec::new();
            let mut always_ids = Vec::new();
            for pattern in &group {
                singles.insert(pattern.id, compile(&pattern.text)?);
                if !pattern.levels.is_empty() {
                    levels.insert(pattern.id, pattern.levels.clone());
                }
                let (source, ignore_case) = pattern.text.as_regex();
                match required_prefixes(&source) {
                    Some(prefixes) => {
                        prefiltered.push(pattern.id);
                        for prefix in prefixes {
                            literals.push(prefix);
                            literal_owner.push(pattern.id);
                        }
                    }
                    None => {
                        always_sources.push(if ignore_case {
                            format!("(?i:{source})")
                        } else {
                            source
                        });
                        always_ids.push(pattern.id);
                    }
                }
            }
            let literals = if literals.is_empty() {
                None
            } else {
                Some(
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .match_kind(aho_corasick::MatchKind::Standard)
                        .build(&literals)
                        .map_err(|e| regex::Error::Syntax(e.to_string()))?,
                )
            };
            let always = if always_sources.is_empty() {
                None
            } else {
                Some(
                    RegexSetBuilder::new(&always_sources)
                        .size_limit(REGEX_SIZE_LIMIT * 4)
                        .dfa_size_limit(REGEX_SIZE_LIMIT * 4)
                        .build()?,
                )
            };
            kinds.insert(
                kind,
                KindSet {
                    literals,
                    literal_owner,
                    prefiltered,
                    always,
                    always_ids,
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

    /// Appends the ids of the patterns matching `line` to `out` (each at most once).
    pub fn matches(&self, kind: ArtifactKind, line: &str, out: &mut Vec<usize>) {
        let Some(k) = self.kinds.get(&kind) else {
            return;
        };
        if let Some(ac) = &k.literals {
            let start = out.len();
            if !line.is_ascii() {
                // The prefilter is exact for ASCII only: verify every prefiltered pattern.
                for &id in &k.prefiltered {
                    if self.singles.get(&id).is_some_and(|re| re.is_match(line)) {
                        out.push(id);
                    }
                }
            } else if ac.is_match(line.as_bytes()) {
                // Most lines contain no literal at all: the non-overlapping scan (SIMD Teddy)
                // says so fastest; only then are the overlapping matches enumerated.
                for m in ac.find_overlapping_iter(line.as_bytes()) {
                    let id = k.literal_owner[m.pattern().as_usize()];
                    if out[start..].contains(&id) {
                        continue;
                    }
                    if self.singles.get(&id).is_some_and(|re| re.is_match(line)) {
                        out.push(id);
                    }
                }
            }
        }
        if let Some(set) = &k.always {
            for i in set.matches(line).iter() {
                out.push(k.always_ids[i]);
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
        // Most patterns name no group: skip the (slower) capturing search for them.
        if re.capture_names().flatten().next().is_none() {
            return Vec::new();
        }
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
    fn the_prefilter_never_hides_a_match() {
        let sources = [
            ("no such host|Temporary failure in name resolution", false),
            ("(?i)connection timed out|i/o timeout", false),
            (
                "Could not connect to ZeroMQ PUSH endpoint.*no such file",
                false,
            ),
            (".", false),
            (r"\d+ errors", false),
            ("TIMEOUT", true),
        ];
        let patterns: Vec<LinePattern> = sources
            .iter()
            .enumerate()
            .map(|(id, (text, ignore_case))| {
                pattern(
                    id,
                    ArtifactKind::ConnectorLog,
                    PatternText::Regex {
                        text: text.to_string(),
                        ignore_case: *ignore_case,
                    },
                )
            })
            .collect();
        let set = MatcherSet::new(&patterns).unwrap();
        let lines = [
            "x: lookup a on b: no such host",
            "I/O TIMEOUT here",
            "dial: Connection Timed Out",
            "Could not connect to ZeroMQ PUSH endpoint: no such file",
            "",
            "12 errors",
            "nothing",
        ];
        for line in lines {
            let mut got = Vec::new();
            set.matches(ArtifactKind::ConnectorLog, line, &mut got);
            got.sort();
            let want: Vec<usize> = patterns
                .iter()
                .filter(|p| compile(&p.text).unwrap().is_match(line))
                .map(|p| p.id)
                .collect();
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn unicode_case_variants_pass_the_prefilter() {
        // `(?i)s` also matches `ſ` (U+017F); its prefix literal ends inside that character.
        let set = MatcherSet::new(&[pattern(
            1,
            ArtifactKind::ConnectorLog,
            PatternText::Regex {
                text: "(?i)no such host".into(),
                ignore_case: false,
            },
        )])
        .unwrap();
        let mut out = Vec::new();
        set.matches(
            ArtifactKind::ConnectorLog,
            "lookup x: no ſuch host",
            &mut out,
        );
        set.matches(
            ArtifactKind::ConnectorLog,
            "lookup x: NO SUCH HOST",
            &mut out,
        );
        assert_eq!(out, vec![1, 1]);
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
