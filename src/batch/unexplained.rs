//! The batch's errors no rule explains: every case's templates ([`crate::mining`]) ranked by the
//! number of cases they appear in, written to `unexplained.json`, and draft rules for the top
//! ones in `drafts/`.
//!
//! Built from `results.jsonl` (the latest line of each case), like the summary, so a rerun and
//! a `merge` of shards give the same ranking: counts are summed, first and last seen are the
//! earliest and latest, the example is the one of the first case by name.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::fnv::fnv64;
use super::results::Located;
use crate::facts::{earliest, latest};
use crate::mining::{Template, draft_regex, literal_letters};
use crate::report::outfile::write_atomic;

/// `unexplained.json` in an output folder.
pub const UNEXPLAINED: &str = "unexplained.json";
/// Folder of draft rules in an output folder: `drafts/draft/<slug>.yaml` (rule id
/// `draft/<slug>`), so `fptriage rules lint|test OUT/drafts` and `--rules OUT/drafts` take it.
pub const DRAFTS: &str = "drafts";
/// The pack of the draft rules inside [`DRAFTS`].
pub const DRAFT_PACK: &str = "draft";

/// Case names listed per template.
const CASES_LISTED: usize = 20;
/// Letters a template's literal text must have for a draft rule.
const DRAFT_MIN_LETTERS: usize = 8;

/// One template of the batch.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub artifact: String,
    pub template: String,
    /// Cases it appears in.
    pub cases: usize,
    /// Lines in all.
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub example: String,
    /// The case the example is from.
    pub example_case: String,
    /// The first cases by name (at most 20).
    pub case_names: Vec<String>,
    /// Its draft rule (relative to the output folder), if one was written.
    pub draft: Option<String>,
}

#[derive(Debug, Serialize)]
struct File<'a> {
    tool: &'static str,
    version: &'static str,
    /// Cases analysed (status ok).
    cases: usize,
    /// Distinct templates over all cases; `templates` lists the first `max_templates`.
    templates_total: usize,
    /// Error lines counted but not templated: past a case's cap or a file's cap.
    other_lines: u64,
    templates: &'a [Ranked],
}

/// The part of a `results.jsonl` line the ranking reads (the rest is skipped while parsing).
#[derive(Deserialize)]
struct LineTemplates {
    case: String,
    status: String,
    #[serde(default)]
    report: Option<ReportTemplates>,
}

#[derive(Deserialize)]
struct ReportTemplates {
    #[serde(default)]
    unexplained: Option<crate::mining::Unexplained>,
}

/// Ranks the templates of the lines `lines` of `results` (a `results.jsonl`, read again line by
/// line, so only one case's templates are in memory at a time besides the distinct templates):
/// most cases first, then most lines, then by artifact and text. Returns the first `max`, the
/// number of distinct templates, and the error lines counted but not templated.
pub fn rank(
    results: &Path,
    lines: &[Located],
    max: usize,
) -> io::Result<(Vec<Ranked>, usize, u64)> {
    let wanted: HashSet<usize> = lines.iter().map(|l| l.line).collect();
    let mut ranking = Ranking::default();
    let file = match std::fs::File::open(results) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0, 0)),
        Err(e) => return Err(e),
    };
    for (n, raw) in BufReader::new(file).split(b'\n').enumerate() {
        let raw = raw?;
        if !wanted.contains(&n) {
            continue;
        }
        if let Ok(v) = serde_json::from_slice::<LineTemplates>(&raw) {
            ranking.add(v);
        }
    }
    Ok(ranking.finish(max))
}

/// The ranking being summed up, one line of `results.jsonl` (the latest of its case) at a time.
#[derive(Default)]
pub struct Ranking {
    by: HashMap<(String, String), Ranked>,
    other: u64,
}

impl Ranking {
    /// Adds the templates of one line, parsed as a whole (a line the ranking cannot read is
    /// left out, as [`rank`] leaves it).
    pub fn add_value(&mut self, line: &serde_json::Value) {
        if let Ok(v) = LineTemplates::deserialize(line) {
            self.add(v);
        }
    }

    fn add(&mut self, v: LineTemplates) {
        let by = &mut self.by;
        if v.status != "ok" {
            return;
        }
        let Some(u) = v.report.and_then(|r| r.unexplained) else {
            return;
        };
        self.other += u.other + u.unread;
        for t in u.templates {
            let Template {
                artifact,
                template,
                count,
                first_seen,
                last_seen,
                example,
            } = t;
            let key = (artifact, template);
            let e = match by.get_mut(&key) {
                Some(e) => e,
                None => by.entry(key.clone()).or_insert_with(|| Ranked {
                    rank: 0,
                    artifact: key.0.clone(),
                    template: key.1.clone(),
                    cases: 0,
                    count: 0,
                    first_seen: None,
                    last_seen: None,
                    example: example.clone(),
                    example_case: v.case.clone(),
                    case_names: Vec::new(),
                    draft: None,
                }),
            };
            e.cases += 1;
            e.count += count;
            e.first_seen = earliest(e.first_seen, first_seen);
            e.last_seen = latest(e.last_seen, last_seen);
            // Whatever the order of the lines (a run, a merge of shards), the example is the
            // one of the first case by name, and the names listed are the first ones.
            if v.case < e.example_case {
                e.example = example;
                e.example_case = v.case.clone();
            }
            if e.case_names.len() < CASES_LISTED || e.case_names.last().is_some_and(|l| v.case < *l)
            {
                let at = e.case_names.partition_point(|c| *c < v.case);
                e.case_names.insert(at, v.case.clone());
                e.case_names.truncate(CASES_LISTED);
            }
        }
    }

    /// The ranking (see [`rank`]): the first `max`, the number of distinct templates, and the
    /// error lines counted but not templated.
    pub fn finish(self, max: usize) -> (Vec<Ranked>, usize, u64) {
        let total = self.by.len();
        let mut ranked: Vec<Ranked> = self.by.into_values().collect();
        ranked.sort_by(|a, b| {
            b.cases
                .cmp(&a.cases)
                .then(b.count.cmp(&a.count))
                .then_with(|| a.artifact.cmp(&b.artifact))
                .then_with(|| a.template.cmp(&b.template))
        });
        ranked.truncate(max);
        for (i, r) in ranked.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        (ranked, total, self.other)
    }
}

/// Writes `unexplained.json`.
pub fn write_json(
    dir: &Path,
    ranked: &[Ranked],
    cases: usize,
    total: usize,
    other: u64,
) -> io::Result<()> {
    let file = File {
        tool: "fptriage",
        version: env!("CARGO_PKG_VERSION"),
        cases,
        templates_total: total,
        other_lines: other,
        templates: ranked,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(io::Error::other)?;
    text.push('\n');
    write_atomic(&dir.join(UNEXPLAINED), text.as_bytes())
}

/// A draft's file stem: the template's first literal words, and a hash of it (distinct
/// templates never share a stem).
pub fn slug(artifact: &str, template: &str) -> String {
    let mut words = String::new();
    for (is_mask, text) in crate::mining::pieces(template) {
        if is_mask {
            continue;
        }
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            if word.is_empty() || words.len() + word.len() > 40 {
                continue;
            }
            if !words.is_empty() {
                words.push('-');
            }
            words.push_str(&word.to_ascii_lowercase());
        }
    }
    let hash = fnv64(format!("{artifact}\0{template}").as_bytes()) as u32;
    if words.is_empty() {
        format!("error-{hash:08x}")
    } else {
        format!("{words}-{hash:08x}")
    }
}

/// A YAML scalar: a JSON string is a YAML double-quoted one.
fn yaml(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The draft rule and its test for one template, if the template says enough and its regex
/// matches its example line (it does by construction, unless redaction changed one and not the
/// other). Returns (stem, rule text, test text).
pub fn draft(r: &Ranked) -> Option<(String, String, String)> {
    if literal_letters(&r.template) < DRAFT_MIN_LETTERS {
        return None;
    }
    let regex = draft_regex(&r.template);
    let example = r.example.trim_end_matches('…');
    let compiled = crate::matcher::compile(&crate::matcher::PatternText::Regex {
        text: regex.clone(),
        ignore_case: false,
    })
    .ok()?;
    if regex.is_empty() || !compiled.is_match(example) || example.contains(['\n', '\r']) {
        return None;
    }
    let (file, levels) = match r.artifact.as_str() {
        "connector-log" => {
            let level = crate::parse::connector_log::parse_line(example)
                .and_then(|l| l.level)
                .map(|l| l.as_str());
            let levels = match level {
                Some("error" | "fatal" | "panic") => "\n    levels: [error, fatal, panic]",
                _ => "",
            };
            ("var-log/connector/connector.log", levels)
        }
        "syslog" => ("var-log/messages", ""),
        _ => return None,
    };
    let stem = slug(&r.artifact, &r.template);
    let id = format!("{DRAFT_PACK}/{stem}");
    let shown: String = r
        .template
        .chars()
        .map(|c| if matches!(c, '{' | '}') { '_' } else { c })
        .take(80)
        .collect();
    let rule = format!(
        "# Draft rule written by `fptriage batch` from an error no loaded rule explains:\n\
         # {cases} case(s), {count} line(s) (rank {rank} in unexplained.json).\n\
         # Template: {template}\n\
         # Review the regex, title, message and remediation; then move the file into a rule pack\n\
         # (its id is its path: <pack>/<name>) and run `fptriage rules lint` and `rules test`.\n\
         id: {id}\n\
         title: {title}\n\
         severity: warning\n\
         status: experimental\n\
         description: {description}\n\
         tags: [draft, unexplained]\n\
         when:\n  \
           lines:\n    \
             artifact: {artifact}\n    \
             regex: {regex_yaml}{levels}\n\
         message: \"{{{{ count }}}} line(s) of this error, last at {{{{ last_seen }}}}.\"\n\
         remediation: \"To be written: what fixes this error (draft rule).\"\n",
        cases = r.cases,
        count = r.count,
        rank = r.rank,
        template = r.template.replace(['\n', '\r'], " "),
        title = yaml(&format!("Unexplained {} error: {shown}", r.artifact)),
        description = yaml(&format!(
            "{} case(s) of a batch logged this error and no rule explained it: {}",
            r.cases, r.template
        )),
        artifact = r.artifact,
        regex_yaml = yaml(&regex),
    );
    let test = format!(
        "# Test of {id}: the example line of the batch (case {case}), in the file it came from.\n\
         cases:\n  \
           - name: fires on the example line\n    \
             files:\n      \
               \"results-01-01-2020--000000/dir-archives/etc/hostname\": \"draft-device\\n\"\n      \
               \"results-01-01-2020--000000/dir-archives/{file}\": {line}\n    \
             expect:\n      \
               fires:\n        \
                 - rule: {id}\n",
        case = r.example_case.replace(['\n', '\r'], " "),
        line = yaml(&format!("{example}\n")),
    );
    Some((stem, rule, test))
}

/// Writes draft rules for the first `max` templates that allow one into `dir/drafts/draft/`,
/// removing the drafts of an earlier run; sets each template's `draft`.
pub fn write_drafts(dir: &Path, ranked: &mut [Ranked], max: usize) -> io::Result<()> {
    let drafts = dir.join(DRAFTS);
    let pack = drafts.join(DRAFT_PACK);
    for folder in [&drafts, &pack] {
        match std::fs::symlink_metadata(folder) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{}: is not a folder (a link is not followed)",
                    folder.display()
                )));
            }
            Err(_) => std::fs::create_dir(folder)?,
        }
    }
    let mut written = std::collections::HashSet::new();
    for r in ranked.iter_mut() {
        if written.len() / 2 >= max {
            break;
        }
        let Some((stem, rule, test)) = draft(r) else {
            continue;
        };
        let rule_name = format!("{stem}.yaml");
        let test_name = format!("{stem}.test.yaml");
        write_atomic(&pack.join(&rule_name), rule.as_bytes())?;
        write_atomic(&pack.join(&test_name), test.as_bytes())?;
        r.draft = Some(format!("{DRAFTS}/{DRAFT_PACK}/{rule_name}"));
        written.insert(rule_name);
        written.insert(test_name);
    }
    // Drafts of templates no longer at the top go.
    for entry in std::fs::read_dir(&pack)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && !written.contains(&name) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::results::read_results;

    fn line(case: &str, templates: &[(&str, u64, &str)]) -> String {
        let templates: Vec<serde_json::Value> = templates
            .iter()
            .map(|(t, n, at)| {
                serde_json::json!({"artifact": "syslog", "template": t, "count": n,
                    "first_seen": at, "last_seen": at, "example": format!("{case}: {t}")})
            })
            .collect();
        serde_json::json!({"case": case, "key": case, "status": "ok",
            "report": {"unexplained": {"lines": 1, "templates": templates, "other": 2, "unread": 0}}})
        .to_string()
    }

    fn ranked(dir: &Path, lines: &[String]) -> (Vec<Ranked>, usize, u64) {
        let path = dir.join("results.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let located = read_results(&path, 0).unwrap().lines;
        rank(&path, &located, 10).unwrap()
    }

    #[test]
    fn the_ranking_does_not_depend_on_the_order_of_the_lines() {
        let dir = tempfile::tempdir().unwrap();
        let lines = vec![
            line("c", &[("x failed <num>", 5, "2020-01-03T00:00:00Z")]),
            line(
                "a",
                &[
                    ("x failed <num>", 1, "2020-01-01T00:00:00Z"),
                    ("y failed", 9, "2020-01-02T00:00:00Z"),
                ],
            ),
            line("b", &[("x failed <num>", 1, "2020-01-02T00:00:00Z")]),
        ];
        let (one, total, other) = ranked(dir.path(), &lines);
        assert_eq!((total, other), (2, 6));
        assert_eq!(one[0].template, "x failed <num>");
        assert_eq!((one[0].cases, one[0].count), (3, 7));
        assert_eq!(one[0].example_case, "a");
        assert_eq!(one[0].case_names, ["a", "b", "c"]);
        assert_eq!(
            one[0].first_seen.unwrap().to_string(),
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(
            one[0].last_seen.unwrap().to_string(),
            "2020-01-03T00:00:00Z"
        );
        assert_eq!((one[1].rank, one[1].cases, one[1].count), (2, 1, 9));
        let reversed: Vec<String> = lines.iter().rev().cloned().collect();
        let (two, _, _) = ranked(dir.path(), &reversed);
        assert_eq!(format!("{one:?}"), format!("{two:?}"));
    }

    #[test]
    fn drafts_need_words_and_a_regex_that_matches_their_example() {
        let mut r = Ranked {
            rank: 1,
            artifact: "syslog".into(),
            template: "SF-IMS[<num>]: worker <num> failed to sync table <num>".into(),
            cases: 2,
            count: 3,
            first_seen: None,
            last_seen: None,
            example: "Apr 10 14:00:00 ftd SF-IMS[12]: worker 3 failed to sync table 9".into(),
            example_case: "a".into(),
            case_names: vec!["a".into()],
            draft: None,
        };
        let (stem, rule, test) = draft(&r).unwrap();
        assert!(
            stem.starts_with("sf-ims-worker-failed-to-sync-table-"),
            "{stem}"
        );
        assert!(rule.contains(&format!("id: {DRAFT_PACK}/{stem}")), "{rule}");
        assert!(test.contains("dir-archives/var-log/messages"), "{test}");
        // An example the template does not come from (redaction changed one of them): no draft.
        r.example = "Apr 10 14:00:00 ftd SF-IMS[12]: something else".into();
        assert!(draft(&r).is_none());
        r.template = "<num> <ip>: x".into();
        assert!(draft(&r).is_none());
    }
}
