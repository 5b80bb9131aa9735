//! The output folder of `batch` and `merge`: claimed only when it is new, empty or an earlier
//! output (it holds [`MARKER`], or a `results.jsonl` of ours), with `cases/` a folder of its
//! own, a `triage.sqlite` of ours and a `results.jsonl` that can be appended to.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::error::{BatchError, out_err, refused};
use super::results::{CASES, RESULTS};
use super::sqlite;
use crate::report::outfile::write_atomic;

/// The file that marks a folder as an output of `batch` or `merge`.
pub const MARKER: &str = ".fptriage-batch";

const MARKER_TEXT: &str = "This folder is an output of `fptriage batch` or `fptriage merge`.\n\
    They write into a folder only when it is empty, new, or holds this file.\n";

/// Whether `dir` is an output of a version that wrote no marker: its `results.jsonl` is a
/// regular file whose first line is one of ours.
fn legacy_output(dir: &Path) -> bool {
    let path = dir.join(RESULTS);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = File::open(&path) else {
        return false;
    };
    let mut first = Vec::new();
    let mut reader = io::BufReader::new(file.take(64 << 20));
    if io::BufRead::read_until(&mut reader, b'\n', &mut first).is_err() {
        return false;
    }
    let Ok(line) = serde_json::from_slice::<serde_json::Value>(&first) else {
        return false;
    };
    ["case", "key", "status", "tool_version"]
        .iter()
        .all(|k| line.get(k).is_some_and(serde_json::Value::is_string))
}

/// Claims `out` for writing (see the module documentation): creates it, or accepts an empty
/// folder or an earlier output, and writes the marker; checks `cases/` is a folder of its own.
pub(super) fn claim_out(out: &Path) -> Result<(), BatchError> {
    let foreign = || {
        refused(
            out,
            format!(
                "the folder is not empty and is not an fptriage batch output (no {MARKER}); \
                 choose a new or empty folder (or, if it is an output of fptriage, create {MARKER} in it)"
            ),
        )
    };
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => return Err(refused(out, "is not a folder")),
        Ok(_) => {
            let marker = out.join(MARKER);
            match std::fs::symlink_metadata(&marker) {
                Ok(m) if m.is_file() => {}
                Ok(_) => return Err(refused(&marker, "is not a regular file")),
                Err(_) => {
                    let empty = std::fs::read_dir(out)
                        .map_err(out_err(out))?
                        .next()
                        .is_none();
                    if !empty && !legacy_output(out) {
                        return Err(foreign());
                    }
                    write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(out_err(&marker))?;
                }
            }
        }
        Err(_) => {
            std::fs::create_dir_all(out).map_err(out_err(out))?;
            let marker = out.join(MARKER);
            write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(out_err(&marker))?;
        }
    }
    let cases = out.join(CASES);
    match std::fs::symlink_metadata(&cases) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(refused(&cases, "is not a folder (a link is not followed)")),
        Err(_) => std::fs::create_dir(&cases).map_err(out_err(&cases)),
    }
}

/// Refuses an output folder whose `triage.sqlite` is not ours (see [`sqlite::check`]).
pub(super) fn check_database(out: &Path) -> Result<(), BatchError> {
    sqlite::check(out).map_err(|reason| refused(&out.join(sqlite::DATABASE), reason))
}

/// Claims `out` and checks that `results.jsonl` can be appended to.
pub(super) fn prepare_out(out: &Path) -> Result<(), BatchError> {
    if out.is_dir() {
        check_database(out)?;
    }
    claim_out(out)?;
    let results = out.join(RESULTS);
    if let Ok(m) = std::fs::symlink_metadata(&results)
        && !m.is_file()
    {
        return Err(refused(
            &results,
            "is not a regular file (a link is not followed)",
        ));
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&results)
        .map_err(out_err(&results))?;
    // A run killed mid-line leaves a partial last line: end it so the next line stands alone.
    let len = file.metadata().map_err(out_err(&results))?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .map_err(out_err(&results))?;
        file.read_exact(&mut last).map_err(out_err(&results))?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(out_err(&results))?;
        }
    }
    Ok(())
}
