//! `merge`: joins the outputs of several runs (shards) into one, the latest line of each case
//! winning, with every report path and file of the untrusted shard folders checked before
//! anything is written.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{BatchError, out_err};
use super::folder::{check_database, claim_out};
use super::results::{CASES, RESULTS, is_report_path, latest_per_case, read_results};
use super::summary::{SummaryOptions, check_index_template, write_outputs};
use crate::report::outfile::{write_atomic, write_atomic_from};

/// What a merge did.
#[derive(Debug, Default, Clone)]
pub struct MergeOutcome {
    pub lines_read: usize,
    pub cases: usize,
    pub ok: usize,
    pub errors: usize,
    /// Per source `results.jsonl` with lines that are not ours: its path and the 0-based line
    /// numbers. Those lines are kept, verbatim, at the end of the merged `results.jsonl`.
    pub damaged: Vec<(PathBuf, Vec<usize>)>,
}

/// Joins the outputs of several runs (shards) into `out`: one `results.jsonl` with the latest
/// line of each case (by `finished_at`, then by argument and line order), its reports copied
/// into `out/cases`, and `summary.csv` and `index.html` over all of them.
///
/// Shard folders come from other machines, so nothing in them is trusted: a report path must
/// be `cases/<stem>.json|.html` and a regular file inside its shard (no link out of it), or the
/// merge is refused before anything is written. `out` is claimed as by `batch`.
pub fn merge(sources: &[PathBuf], out: &Path) -> Result<MergeOutcome, BatchError> {
    merge_with(sources, out, &SummaryOptions::default())
}

/// [`merge`] with the run-wide outputs' options.
pub fn merge_with(
    sources: &[PathBuf],
    out: &Path,
    summary: &SummaryOptions,
) -> Result<MergeOutcome, BatchError> {
    check_index_template(summary)?;
    let mut all = Vec::new();
    let mut damaged = Vec::new();
    for (i, dir) in sources.iter().enumerate() {
        let path = dir.join(RESULTS);
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Err(BatchError::Input {
                path: path.display().to_string(),
                message: "no results.jsonl here as a regular file (not a batch output folder?)"
                    .into(),
            });
        }
        let results = read_results(&path, i).map_err(|e| BatchError::Input {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        all.extend(results.lines);
        if !results.damaged.is_empty() {
            damaged.push((i, results.damaged));
        }
    }
    let lines_read = all.len();
    let kept = latest_per_case(all);

    // Every report to copy, checked before anything is written.
    let out_canon = out.canonicalize().ok();
    let mut copies: Vec<(PathBuf, String)> = Vec::new();
    for l in &kept {
        let Some(paths) = &l.view.reports else {
            continue;
        };
        let src_dir = &sources[l.source];
        let at = || format!("{} line {}", src_dir.join(RESULTS).display(), l.line + 1);
        for (rel, ext) in [(&paths.json, ".json"), (&paths.html, ".html")] {
            if !is_report_path(rel, ext) {
                return Err(BatchError::Input {
                    path: at(),
                    message: format!(
                        "report path `{}` is not a file of {CASES}/ as batch writes them: refused",
                        crate::report::escape::terminal(rel)
                    ),
                });
            }
        }
        let src_canon = src_dir.canonicalize().map_err(|e| BatchError::Input {
            path: src_dir.display().to_string(),
            message: e.to_string(),
        })?;
        if Some(&src_canon) == out_canon.as_ref() {
            continue;
        }
        for rel in [&paths.json, &paths.html] {
            let src = src_dir.join(rel);
            match std::fs::symlink_metadata(&src) {
                // A report that is gone is not copied (its line still is).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(BatchError::Input {
                        path: src.display().to_string(),
                        message: e.to_string(),
                    });
                }
                Ok(m) if !m.is_file() => {
                    return Err(BatchError::Input {
                        path: src.display().to_string(),
                        message: format!(
                            "named by {}: not a regular file (a link is not followed): refused",
                            at()
                        ),
                    });
                }
                Ok(_) => {}
            }
            // `cases/` itself may be a link out of the shard.
            if !src.canonicalize().is_ok_and(|c| c.starts_with(&src_canon)) {
                return Err(BatchError::Input {
                    path: src.display().to_string(),
                    message: format!("named by {}: resolves outside its folder: refused", at()),
                });
            }
            copies.push((src, rel.clone()));
        }
    }

    // The winning lines, verbatim, in case order; then the damaged ones, kept.
    let mut wanted: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (pos, l) in kept.iter().enumerate() {
        wanted.insert((l.source, l.line), pos);
    }
    let keep_damaged: HashSet<(usize, usize)> = damaged
        .iter()
        .flat_map(|(i, lines)| lines.iter().map(move |&n| (*i, n)))
        .collect();
    let mut texts: Vec<Option<Vec<u8>>> = vec![None; kept.len()];
    let mut damaged_texts: Vec<Vec<u8>> = Vec::new();
    for (i, dir) in sources.iter().enumerate() {
        let path = dir.join(RESULTS);
        let bytes = std::fs::read(&path).map_err(|e| BatchError::Input {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if let Some(&pos) = wanted.get(&(i, n)) {
                texts[pos] = Some(line.to_vec());
            } else if keep_damaged.contains(&(i, n)) {
                damaged_texts.push(line.to_vec());
            }
        }
    }

    if out.is_dir() {
        check_database(out)?;
    }
    claim_out(out)?;
    for (src, rel) in &copies {
        let dst = out.join(rel);
        let copied = File::open(src).and_then(|mut file| write_atomic_from(&dst, &mut file));
        if let Err(e) = copied {
            return Err(BatchError::Output {
                path: dst.display().to_string(),
                source: e,
            });
        }
    }
    let mut merged = Vec::new();
    for text in texts.into_iter().flatten().chain(damaged_texts) {
        merged.extend_from_slice(&text);
        merged.push(b'\n');
    }
    write_atomic(&out.join(RESULTS), &merged).map_err(out_err(out))?;
    write_outputs(out, summary)?;
    let ok = kept.iter().filter(|l| l.view.status == "ok").count();
    Ok(MergeOutcome {
        lines_read,
        cases: kept.len(),
        ok,
        errors: kept.len() - ok,
        damaged: damaged
            .into_iter()
            .map(|(i, lines)| (sources[i].join(RESULTS), lines))
            .collect(),
    })
}
