//! Many line patterns, one pass: the matcher set that ingest runs over every log line.
//!
//! The rules module compiles every line condition of the loaded packs into one `MatcherSet`;
//! the collector runs it on each line of each log member while the member streams, so adding
//! rules never adds a pass over the data. Most lines of a log match nothing, so the cost that
//! matters is rejecting them: per artifact kind, the literal prefixes every match must start with
//! (extracted from each pattern by `regex-syntax`, ASCII-lowercased) are searched at once in a
//! lowercased copy of the line (SIMD Teddy, or an Aho-Corasick automaton for large packs), and
//! a line is only shown to the patterns whose literals it contains.
//! Patterns without usable literals (`.`, `\d+ errors`) share one `RegexSet` run on every line.
//! Substring patterns are escaped regexes, so both kinds follow the same path. The set knows
//! patterns, never rules.

mod filter;

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::{Anchored, Input, meta, util::syntax};
use serde::Serialize;

use crate::artifacts::ArtifactKind;
pub use filter::CaptureTest;

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
    /// Tests on the line's named captures (`where`); a line that fails one does not count.
    pub filter: Vec<(String, CaptureTest)>,
    /// What the hits of this pattern keep beyond counts and first/last lines.
    pub keep: Keep,
    /// `text` compiled by whoever checked it ([`compile_pattern`]), so that the set does not
    /// compile it again: compiling is most of the start-up of a run.
    pub compiled: Option<CompiledPattern>,
}

/// A pattern compiled as the set runs it.
#[derive(Debug, Clone)]
pub struct CompiledPattern(meta::Regex);

impl CompiledPattern {
    /// The names of its named captures, in order.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.0
            .group_info()
            .pattern_names(regex_automata::PatternID::ZERO)
            .flatten()
    }
}

/// Compiles a pattern as the set runs it: the rule loader checks patterns with this and hands
/// the result on in [`LinePattern::compiled`].
pub fn compile_pattern(text: &PatternText) -> Result<CompiledPattern, regex::Error> {
    compile_single(text).map(CompiledPattern)
}

/// What a pattern's hits keep per line, each bounded by a limit of [`crate::limits::Limits`]:
/// time stamps for time conditions, a group key from a capture, distinct capture values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keep {
    /// Time stamps of the matching lines (`within`, `window`, `sequence`, the report's timeline).
    pub stamps: bool,
    /// Group the hits by this capture's value instead of by host (`group_by: <capture>`).
    pub group: Option<String>,
    /// Captures whose distinct values are counted (`min_distinct`).
    pub distinct: Vec<String>,
}

/// Compiled patterns, grouped by artifact kind.
#[derive(Debug, Default)]
pub struct MatcherSet {
    kinds: HashMap<ArtifactKind, KindSet>,
    /// Indexed by pattern id (the loader numbers patterns from 0).
    singles: Vec<Option<Single>>,
}

#[derive(Debug)]
struct Single {
    /// The pattern as a `regex-automata` regex, which can search anchored at the position where
    /// the prefilter found a literal instead of scanning the line again from its start.
    regex: meta::Regex,
    /// Whether the pattern names a capture group (most do not; capturing is slower).
    named: bool,
    levels: Vec<String>,
    filter: Vec<(String, CaptureTest)>,
    keep: Keep,
}

#[derive(Debug)]
struct KindSet {
    /// Distinct literal prefixes (ASCII-lowercased) of the prefiltered patterns, searched in a
    /// lowercased copy of the line; `owners[i]` are the patterns behind literal i.
    literals: Vec<Vec<u8>>,
    owners: Vec<Vec<usize>>,
    /// The literals that start with each byte, to list every literal at a found position.
    by_first_byte: Vec<Vec<u32>>,
    search: Option<LiteralSearch>,
    /// The patterns behind `literals`, each once.
    prefiltered: Vec<usize>,
    /// Patterns with no usable literal: run on every line.
    always: Option<RegexSet>,
    always_ids: Vec<usize>,
}

/// How the literals are found. Teddy (SIMD, up to a few dozen literals) runs about three
/// times faster than an Aho-Corasick automaton on log lines, where letters that start some
/// literal are everywhere; large packs fall back to the automaton.
#[derive(Debug)]
enum LiteralSearch {
    Teddy(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl MatcherSet {
    /// Appends to `out` each pattern that matches `line` at a position where `lowered` (the line
    /// lowercased) has one of its literals. Every match starts with one of its pattern's literal
    /// prefixes, so an anchored search at each occurrence finds every match there is.
    fn verify_candidates(
        &self,
        k: &KindSet,
        search: &LiteralSearch,
        line: &str,
        lowered: &[u8],
        out: &mut Vec<usize>,
    ) {
        let start = out.len();
        let try_at = |literal: usize, at: usize, out: &mut Vec<usize>| {
            for &id in &k.owners[literal] {
                if out[start..].contains(&id) {
                    continue;
                }
                let input = Input::new(line)
                    .range(at..)
                    .anchored(Anchored::Yes)
                    .earliest(true);
                if self.single(id).is_some_and(|p| p.regex.is_match(input)) {
                    out.push(id);
                }
            }
        };
        match search {
            LiteralSearch::Teddy(teddy) => {
                // Teddy reports the leftmost literal only: at each position it finds, every
                // literal starting there is tried, then the search goes on one byte later.
                let mut from = 0;
                while let Some(found) =
                    teddy.find_in(lowered, aho_corasick::Span::from(from..lowered.len()))
                {
                    let at = found.start();
                    for &i in &k.by_first_byte[usize::from(lowered[at])] {
                        if lowered[at..].starts_with(&k.literals[i as usize]) {
                            try_at(i as usize, at, out);
                        }
                    }
                    from = at + 1;
                }
            }
            LiteralSearch::Automaton(ac) => {
                for m in ac.find_overlapping_iter(lowered) {
                    try_at(m.pattern().as_usize(), m.start(), out);
                }
            }
        }
    }
}

/// The literal prefixes every match of `source` starts with, as bytes with ASCII letters
/// lowercased, if there are few enough and long enough to be worth a prefilter.
///
/// Case-insensitivity is left out of the extraction (a leading `(?i)` is dropped, `ignore_case`
/// is not applied): otherwise every letter doubles the literals and only 4-byte prefixes
/// survive, which `connector` lines hit all the time. That is exact for ASCII lines, because the
/// search runs on the line lowercased, and the other case variants of ASCII letters (`ſ`, the Kelvin
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

/// Compiles one pattern for the set, with the same syntax and limits as [`compile`] (which the
/// rule loader has already run on it, for its error messages).
fn compile_single(text: &PatternText) -> Result<meta::Regex, regex::Error> {
    let (source, ignore_case) = text.as_regex();
    meta::Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(ignore_case))
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(2 << 20),
        )
        .build(&source)
        .map_err(|e| regex::Error::Syntax(e.to_string()))
}

impl MatcherSet {
    pub fn new(patterns: &[LinePattern]) -> Result<MatcherSet, regex::Error> {
        let mut grouped: HashMap<ArtifactKind, Vec<&LinePattern>> = HashMap::new();
        for pattern in patterns {
            grouped.entry(pattern.artifact).or_default().push(pattern);
        }
        let mut kinds = HashMap::new();
        let mut singles: Vec<Option<Single>> = Vec::new();
        for (kind, group) in grouped {
            let mut literals: Vec<Vec<u8>> = Vec::new();
            let mut owners: Vec<Vec<usize>> = Vec::new();
            let mut prefiltered = Vec::new();
            let mut always_sources = Vec::new();
            let mut always_ids = Vec::new();
            for pattern in &group {
                let regex = match &pattern.compiled {
                    Some(compiled) => compiled.0.clone(),
                    None => compile_single(&pattern.text)?,
                };
                if singles.len() <= pattern.id {
                    singles.resize_with(pattern.id + 1, || None);
                }
                singles[pattern.id] = Some(Single {
                    named: regex
                        .group_info()
                        .pattern_names(regex_automata::PatternID::ZERO)
                        .flatten()
                        .next()
                        .is_some(),
                    regex,
                    levels: pattern.levels.clone(),
                    filter: pattern.filter.clone(),
                    keep: pattern.keep.clone(),
                });
                let (source, ignore_case) = pattern.text.as_regex();
                match required_prefixes(&source) {
                    Some(prefixes) => {
                        prefiltered.push(pattern.id);
                        for prefix in prefixes {
                            match literals.iter().position(|l| *l == prefix) {
                                Some(i) => owners[i].push(pattern.id),
                                None => {
                                    literals.push(prefix);
                                    owners.push(vec![pattern.id]);
                                }
                            }
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
            let mut by_first_byte = vec![Vec::new(); 256];
            for (i, literal) in literals.iter().enumerate() {
                by_first_byte[usize::from(literal[0])].push(i as u32);
            }
            let search = if literals.is_empty() {
                None
            } else {
                let mut teddy = aho_corasick::packed::Config::new();
                teddy.only_teddy(true);
                match teddy.builder().extend(&literals).build() {
                    Some(searcher) => Some(LiteralSearch::Teddy(searcher)),
                    None => Some(LiteralSearch::Automaton(
                        AhoCorasick::builder()
                            .match_kind(aho_corasick::MatchKind::Standard)
                            .build(&literals)
                            .map_err(|e| regex::Error::Syntax(e.to_string()))?,
                    )),
                }
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
                    owners,
                    by_first_byte,
                    search,
                    prefiltered,
                    always,
                    always_ids,
                },
            );
        }
        Ok(MatcherSet { kinds, singles })
    }

    /// Whether any pattern looks at this kind of artifact.
    pub fn wants(&self, kind: ArtifactKind) -> bool {
        self.kinds.contains_key(&kind)
    }

    /// Appends the ids of the patterns matching `line` to `out` (each at most once). `lowered`
    /// is the caller's scratch buffer, reused from line to line.
    pub fn matches(
        &self,
        kind: ArtifactKind,
        line: &str,
        out: &mut Vec<usize>,
        lowered: &mut Vec<u8>,
    ) {
        let Some(k) = self.kinds.get(&kind) else {
            return;
        };
        if let Some(search) = &k.search {
            if line.is_ascii() {
                lowered.clear();
                lowered.extend_from_slice(line.as_bytes());
                lowered.make_ascii_lowercase();
                self.verify_candidates(k, search, line, lowered, out);
            } else {
                // The prefilter is exact for ASCII only: run every prefiltered pattern.
                for &id in &k.prefiltered {
                    if self.single(id).is_some_and(|p| p.regex.is_match(line)) {
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

    fn single(&self, id: usize) -> Option<&Single> {
        self.singles.get(id).and_then(Option::as_ref)
    }

    /// Whether a line of level `level` may count for pattern `id`.
    pub fn level_ok(&self, id: usize, level: Option<&str>) -> bool {
        match self.single(id) {
            Some(p) if !p.levels.is_empty() => {
                level.is_some_and(|l| p.levels.iter().any(|w| w == l))
            }
            _ => true,
        }
    }

    /// Whether the captures of a line pass every `where` test of pattern `id`.
    pub fn accepts(&self, id: usize, captures: &[(String, String)]) -> bool {
        self.single(id)
            .is_none_or(|p| p.filter.is_empty() || filter::all_hold(&p.filter, captures))
    }

    /// Whether the named captures of pattern `id` matter only to the samples its hits keep: it
    /// has some, and no `where` test, group or distinct count reads them.
    pub fn captures_only_kept(&self, id: usize) -> bool {
        self.single(id).is_some_and(|p| {
            p.named && p.filter.is_empty() && p.keep.group.is_none() && p.keep.distinct.is_empty()
        })
    }

    /// What the hits of pattern `id` keep.
    pub fn keep(&self, id: usize) -> Option<&Keep> {
        self.single(id).map(|p| &p.keep)
    }

    /// The named captures of pattern `id` on `line`.
    pub fn captures(&self, id: usize, line: &str) -> Vec<(String, String)> {
        let Some(p) = self.single(id).filter(|p| p.named) else {
            return Vec::new();
        };
        let mut caps = p.regex.create_captures();
        p.regex.captures(line, &mut caps);
        if !caps.is_match() {
            return Vec::new();
        }
        p.regex
            .group_info()
            .pattern_names(regex_automata::PatternID::ZERO)
            .flatten()
            .filter_map(|name| {
                caps.get_group_by_name(name)
                    .and_then(|span| line.get(span.range()))
                    .map(|text| (name.to_string(), text.to_string()))
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
            filter: vec![],
            keep: Keep::default(),
            compiled: None,
        }
    }

    /// Connector-log regex patterns numbered from 0: (source, ignore_case).
    fn regexes(sources: &[(&str, bool)]) -> Vec<LinePattern> {
        sources
            .iter()
            .enumerate()
            .map(|(id, (text, ignore_case))| {
                pattern(
                    id,
                    ArtifactKind::intern("connector-log"),
                    PatternText::Regex {
                        text: text.to_string(),
                        ignore_case: *ignore_case,
                    },
                )
            })
            .collect()
    }

    /// The set's matches on `line`, checked against each pattern compiled on its own.
    fn matches_like_plain_regexes(
        set: &MatcherSet,
        patterns: &[LinePattern],
        line: &str,
    ) -> Vec<usize> {
        let mut got = Vec::new();
        set.matches(
            ArtifactKind::intern("connector-log"),
            line,
            &mut got,
            &mut Vec::new(),
        );
        got.sort();
        let want: Vec<usize> = patterns
            .iter()
            .filter(|p| compile(&p.text).unwrap().is_match(line))
            .map(|p| p.id)
            .collect();
        assert_eq!(got, want, "{line:?}");
        got
    }

    #[test]
    fn one_scan_reports_every_matching_pattern_of_the_kind() {
        let set = MatcherSet::new(&[
            pattern(
                7,
                ArtifactKind::intern("connector-log"),
                PatternText::Substring {
                    text: "no such host".into(),
                    ignore_case: false,
                },
            ),
            pattern(
                9,
                ArtifactKind::intern("connector-log"),
                PatternText::Regex {
                    text: r"lookup (?P<host>\S+)".into(),
                    ignore_case: false,
                },
            ),
            pattern(
                11,
                ArtifactKind::intern("syslog"),
                PatternText::Substring {
                    text: "NO SUCH".into(),
                    ignore_case: true,
                },
            ),
        ])
        .unwrap();
        let line = "dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host";
        let mut out = Vec::new();
        set.matches(
            ArtifactKind::intern("connector-log"),
            line,
            &mut out,
            &mut Vec::new(),
        );
        out.sort();
        assert_eq!(out, vec![7, 9]);
        assert_eq!(
            set.captures(9, line),
            vec![("host".to_string(), "api-sse.cisco.com".to_string())]
        );
        out.clear();
        set.matches(
            ArtifactKind::intern("syslog"),
            line,
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(out, vec![11]);
        assert!(!set.wants(ArtifactKind::intern("lsof")));
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
        let patterns = regexes(&sources);
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
            matches_like_plain_regexes(&set, &patterns, line);
        }
    }

    #[test]
    fn small_and_large_packs_find_the_same_patterns() {
        // Literals that overlap and share a start ("connected", "connected to zeromq"), so every
        // literal at a position must be listed, not only the one the search reports.
        let base = [
            r"(?i)\b(connected|enrolled)\b",
            "(?i)connected to ZeroMQ",
            "nected",
            "no such host",
        ];
        let filler: Vec<String> = (0..100).map(|i| format!("word-{i:03} failed")).collect();
        let lines = [
            "Connected to zeromq at ipc:///x",
            "not connected",
            "disconnected: no such host",
            "word-042 failed twice",
            "NOTHING HERE",
        ];
        let mut results = Vec::new();
        for with_filler in [false, true] {
            let sources: Vec<(&str, bool)> = base
                .iter()
                .copied()
                .chain(filler.iter().map(String::as_str).filter(|_| with_filler))
                .map(|text| (text, false))
                .collect();
            let patterns = regexes(&sources);
            let set = MatcherSet::new(&patterns).unwrap();
            let teddy = matches!(
                set.kinds[&ArtifactKind::intern("connector-log")].search,
                Some(LiteralSearch::Teddy(_))
            );
            assert_eq!(teddy, !with_filler, "the large pack uses the automaton");
            let mut per_line = Vec::new();
            for line in lines {
                let got = matches_like_plain_regexes(&set, &patterns, line);
                per_line.push(
                    got.into_iter()
                        .filter(|&id| id < base.len())
                        .collect::<Vec<_>>(),
                );
            }
            results.push(per_line);
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0][0], vec![0, 1, 2]);
    }

    #[test]
    fn unicode_case_variants_pass_the_prefilter() {
        // `(?i)s` also matches `ſ` (U+017F); its prefix literal ends inside that character.
        let set = MatcherSet::new(&[pattern(
            1,
            ArtifactKind::intern("connector-log"),
            PatternText::Regex {
                text: "(?i)no such host".into(),
                ignore_case: false,
            },
        )])
        .unwrap();
        let mut out = Vec::new();
        set.matches(
            ArtifactKind::intern("connector-log"),
            "lookup x: no ſuch host",
            &mut out,
            &mut Vec::new(),
        );
        set.matches(
            ArtifactKind::intern("connector-log"),
            "lookup x: NO SUCH HOST",
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(out, vec![1, 1]);
    }

    #[test]
    fn substrings_are_literal() {
        let set = MatcherSet::new(&[pattern(
            1,
            ArtifactKind::intern("syslog"),
            PatternText::Substring {
                text: "a.b(".into(),
                ignore_case: false,
            },
        )])
        .unwrap();
        let mut out = Vec::new();
        set.matches(
            ArtifactKind::intern("syslog"),
            "xa.b(y",
            &mut out,
            &mut Vec::new(),
        );
        set.matches(
            ArtifactKind::intern("syslog"),
            "xaxb(y",
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(out, vec![1]);
    }
}
