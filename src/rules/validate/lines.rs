//! Log conditions: the artifact they read, their patterns (compiled into the matcher set), the
//! time words and the tests on captures.

use serde_saphyr::Spanned;

use super::parse_duration;
use super::{Validator, first_line};
use crate::artifacts::ArtifactKind;
use crate::matcher::{self, CaptureTest, Keep, LinePattern, PatternText};
use crate::rules::schema::{CaptureTestSpec, LinesCondition, PatternSpec};
use crate::rules::{Cond, LinesCond};
use crate::yaml::did_you_mean;

impl Validator<'_> {
    /// The loaded kinds whose format passes `keep`, as a sentence (`a, b or c`).
    pub(super) fn kinds_named(&self, keep: impl Fn(crate::artifacts::Format) -> bool) -> String {
        let names: Vec<&str> = self
            .map
            .kinds()
            .filter(|k| keep(k.format))
            .map(|k| k.kind.as_str())
            .collect();
        match names.split_last() {
            None => "no loaded kind".into(),
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }

    pub(super) fn artifact(&mut self, at: &Spanned<String>) -> Option<ArtifactKind> {
        match self.map.kind(&at.value) {
            Some(kind) if self.map.is_log(kind) => Some(kind),
            Some(kind) => {
                self.error(
                    at,
                    "not-a-log",
                    format!(
                        "`{kind}` is not a log; line conditions read {}",
                        self.kinds_named(crate::artifacts::Format::is_log)
                    ),
                    Some("use a fact condition for snapshot artifacts".into()),
                );
                None
            }
            None => {
                let hint = did_you_mean(&at.value, self.map.kinds().map(|k| k.kind.as_str()));
                self.error(
                    at,
                    "unknown-artifact-kind",
                    format!("unknown artifact kind `{}`", at.value),
                    hint,
                );
                None
            }
        }
    }

    pub(super) fn pattern(
        &mut self,
        spec: &Spanned<PatternSpec>,
        artifact: ArtifactKind,
        levels: Vec<String>,
    ) -> Option<usize> {
        let s = &spec.value;
        let text = match (&s.contains, &s.regex) {
            (Some(t), None) => PatternText::Substring {
                text: t.value.clone(),
                ignore_case: s.ignore_case,
            },
            (None, Some(r)) => PatternText::Regex {
                text: r.value.clone(),
                ignore_case: s.ignore_case,
            },
            _ => {
                self.error(
                    spec,
                    "pattern-shape",
                    "a pattern has exactly one of `contains` and `regex`",
                    None,
                );
                return None;
            }
        };
        let compiled = match matcher::compile_pattern(&text) {
            Ok(re) => {
                let names: Vec<String> = re.capture_names().map(str::to_string).collect();
                self.captures.extend(names.iter().cloned());
                self.pattern_names.insert(*self.next_pattern, names);
                re
            }
            Err(e) => {
                match s.regex.as_ref().or(s.contains.as_ref()) {
                    Some(at) if s.regex.is_some() => self.regex_error(at, &e),
                    Some(at) => self.error(
                        at,
                        "invalid-regex",
                        format!("pattern does not compile: {}", first_line(&e.to_string())),
                        None,
                    ),
                    None => {}
                }
                return None;
            }
        };
        let id = *self.next_pattern;
        *self.next_pattern += 1;
        self.patterns.push(LinePattern {
            id,
            artifact,
            text,
            levels,
            filter: Vec::new(),
            keep: Keep::default(),
            compiled: Some(compiled),
        });
        Some(id)
    }

    pub(super) fn lines(&mut self, at: &Spanned<LinesCondition>) -> Option<Cond> {
        let l = &at.value;
        let artifact = self.artifact(&l.artifact)?;
        let mut levels = Vec::new();
        for level in &l.levels {
            let v = level.value.to_ascii_lowercase();
            if [
                "trace", "debug", "info", "warning", "error", "fatal", "panic",
            ]
            .contains(&v.as_str())
            {
                levels.push(v);
            } else {
                self.error(
                    level,
                    "unknown-level",
                    format!("unknown log level `{}`", level.value),
                    Some("use trace, debug, info, warning, error, fatal or panic".into()),
                );
            }
        }
        let spec = Spanned::new(
            PatternSpec {
                contains: l.contains.clone(),
                regex: l.regex.clone(),
                ignore_case: l.ignore_case,
            },
            at.referenced,
            at.defined,
        );
        let Some(pattern) = self.pattern(&spec, artifact, levels) else {
            // The durations are still checked: one mistake does not hide the next.
            let mut ok = false;
            self.duration_of(&l.within, &mut ok);
            self.duration_of(&l.window, &mut ok);
            return None;
        };
        let host = match &l.host {
            None => None,
            Some(h) if h.value == "any" => None,
            Some(h) if self.domain.class(&h.value).is_some() => Some(h.value.clone()),
            Some(h) => {
                let classes: Vec<&str> = self.domain.classes().map(|c| c.name.as_str()).collect();
                self.error(
                    h,
                    "unknown-host-filter",
                    format!(
                        "`host: {}` is not `any` or a host class of the loaded packs ({})",
                        h.value,
                        classes.join(", ")
                    ),
                    did_you_mean(&h.value, classes.iter().copied()),
                );
                return None;
            }
        };
        let names = self.capture_names(pattern);
        let mut ok = true;
        let within = self.duration_of(&l.within, &mut ok);
        let window = self.duration_of(&l.window, &mut ok);
        let mut filter = Vec::new();
        if let Some(tests) = &l.where_ {
            for (name, test) in &tests.value {
                if !names.contains(name) {
                    let hint = did_you_mean(name, names.iter().map(String::as_str)).or(Some(
                        "`where` tests the named groups `(?<name>...)` of this condition's regex"
                            .into(),
                    ));
                    self.error(
                        test,
                        "unknown-where-capture",
                        format!("`where` tests `{name}`, which the regex does not capture"),
                        hint,
                    );
                    ok = false;
                    continue;
                }
                match self.capture_test(test) {
                    Some(t) => filter.push((name.clone(), t)),
                    None => ok = false,
                }
            }
        }
        let mut group = None;
        let grouped = match &l.group_by {
            None => false,
            Some(g) if g.value == "host" => true,
            Some(g) if names.contains(&g.value) => {
                if host.is_some() || l.recovered_by.is_some() {
                    self.error(
                        g,
                        "group-by-conflict",
                        format!("`group_by: {}` groups by a capture, which `host:` a class and `recovered_by` (both per host) cannot follow", g.value),
                        Some("use `group_by: host`, or drop `host:` / `recovered_by`".into()),
                    );
                    ok = false;
                }
                group = Some(g.value.clone());
                true
            }
            Some(g) => {
                let hint = did_you_mean(
                    &g.value,
                    std::iter::once("host").chain(names.iter().map(String::as_str)),
                );
                self.error(
                    g,
                    "invalid-group-by",
                    format!(
                        "`group_by: {}` is neither `host` nor a capture of the regex",
                        g.value
                    ),
                    hint,
                );
                ok = false;
                false
            }
        };
        let mut min_distinct = Vec::new();
        if let Some(md) = &l.min_distinct {
            for (name, n) in &md.value {
                if names.contains(name) {
                    min_distinct.push((name.clone(), (*n).max(1)));
                } else {
                    self.error(
                        md,
                        "unknown-distinct-capture",
                        format!("`min_distinct` counts `{name}`, which the regex does not capture"),
                        did_you_mean(name, names.iter().map(String::as_str)),
                    );
                    ok = false;
                }
            }
        }
        let min_count = l.min_count.as_ref().map(|m| m.value).unwrap_or(1).max(1);
        let recovery = match &l.recovered_by {
            Some(r) => Some(self.pattern(r, artifact, Vec::new())?),
            None => None,
        };
        if !ok {
            return None;
        }
        self.set_pattern(
            pattern,
            filter,
            Keep {
                // Time conditions count from them, and the report's timeline draws every
                // problem pattern's (each bounded by `--max-window-stamps`); a recovery pattern
                // keeps none.
                stamps: true,
                group,
                distinct: min_distinct.iter().map(|(n, _)| n.clone()).collect(),
            },
        );
        Some(Cond::Lines(Box::new(LinesCond {
            pattern,
            artifact,
            host,
            min_count,
            within,
            window,
            recovery,
            grouped,
            min_distinct,
        })))
    }

    /// A duration key, if given; a bad one is reported and clears `ok`.
    pub(super) fn duration_of(
        &mut self,
        at: &Option<Spanned<String>>,
        ok: &mut bool,
    ) -> Option<i64> {
        let w = at.as_ref()?;
        match parse_duration(&w.value) {
            Some(secs) => Some(secs),
            None => {
                self.error(
                    w,
                    "invalid-duration",
                    format!("`{}` is not a duration", w.value),
                    Some("write 90s, 30m, 24h or 7d".into()),
                );
                *ok = false;
                None
            }
        }
    }

    /// The named groups of a compiled pattern of this rule.
    pub(super) fn capture_names(&self, id: usize) -> Vec<String> {
        self.pattern_names.get(&id).cloned().unwrap_or_default()
    }

    pub(super) fn set_pattern(
        &mut self,
        id: usize,
        filter: Vec<(String, CaptureTest)>,
        keep: Keep,
    ) {
        if let Some(p) = self.patterns.iter_mut().find(|p| p.id == id) {
            p.filter = filter;
            p.keep = keep;
        }
    }

    /// One `where` test: exactly one operator, its value of the operator's type.
    pub(super) fn capture_test(&mut self, at: &Spanned<CaptureTestSpec>) -> Option<CaptureTest> {
        let t = &at.value;
        let ops = [
            t.equals.is_some(),
            t.not_equals.is_some(),
            t.in_.is_some(),
            t.not_in.is_some(),
            t.matches.is_some(),
            t.contains.is_some(),
            t.less_than.is_some(),
            t.at_least.is_some(),
            t.version_below.is_some(),
            t.version_at_least.is_some(),
            t.version_above.is_some(),
            t.version_at_most.is_some(),
        ];
        if ops.iter().filter(|o| **o).count() != 1 {
            self.error(
                at,
                "operator-count",
                "a `where` test needs exactly one operator",
                Some("equals, not_equals, in, not_in, matches, contains, less_than, at_least, version_below, version_at_least, version_above, version_at_most".into()),
            );
            return None;
        }
        let scalar = |v: &serde_json::Value| {
            matches!(
                v,
                serde_json::Value::String(_)
                    | serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
            )
        };
        for v in [&t.equals, &t.not_equals].into_iter().flatten() {
            if !scalar(&v.value) {
                self.error(
                    v,
                    "operator-type",
                    "a `where` value is text, a number or a boolean",
                    None,
                );
                return None;
            }
        }
        for v in [&t.in_, &t.not_in].into_iter().flatten() {
            if !v.value.iter().all(scalar) {
                self.error(
                    v,
                    "operator-type",
                    "`in` and `not_in` take a list of texts, numbers or booleans",
                    None,
                );
                return None;
            }
        }
        Some(if let Some(v) = &t.equals {
            CaptureTest::Equals(v.value.clone())
        } else if let Some(v) = &t.not_equals {
            CaptureTest::NotEquals(v.value.clone())
        } else if let Some(v) = &t.in_ {
            CaptureTest::In(v.value.clone())
        } else if let Some(v) = &t.not_in {
            CaptureTest::NotIn(v.value.clone())
        } else if let Some(v) = &t.matches {
            match regex::Regex::new(&v.value) {
                Ok(re) => CaptureTest::Matches(re),
                Err(e) => {
                    self.regex_error(v, &e);
                    return None;
                }
            }
        } else if let Some(v) = &t.contains {
            CaptureTest::Contains(v.value.clone())
        } else if let Some(v) = &t.less_than {
            CaptureTest::LessThan(v.value)
        } else if let Some(v) = &t.at_least {
            CaptureTest::AtLeast(v.value)
        } else if let Some(v) = &t.version_below {
            CaptureTest::VersionBelow(self.version(v)?)
        } else if let Some(v) = &t.version_at_least {
            CaptureTest::VersionAtLeast(self.version(v)?)
        } else if let Some(v) = &t.version_above {
            CaptureTest::VersionAbove(self.version(v)?)
        } else if let Some(v) = &t.version_at_most {
            CaptureTest::VersionAtMost(self.version(v)?)
        } else {
            return None;
        })
    }
}
