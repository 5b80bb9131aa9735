//! Keys: the resume key of a case (its name, its files' paths, sizes and modification times,
//! and the run's settings: tool version, rule pack, artifact map, limits, language), and the
//! file stem its reports are written under.

use std::path::Path;
use std::time::UNIX_EPOCH;

use walkdir::WalkDir;

use super::fnv::{Fnv64, fnv64};
use crate::i18n::Lang;
use crate::limits::Limits;
use crate::rules::RuleSet;

/// The rule pack's fingerprint: FNV-1a 64 over every loaded rule's full definition (id,
/// origin, conditions, templates, severity, explains… as its `Debug` form, which is fixed for
/// a given tool version, itself part of the key).
pub fn rules_fingerprint(rules: &RuleSet) -> u64 {
    let mut h = Fnv64::new();
    for rule in &rules.rules {
        h.field(format!("{rule:?}").as_bytes());
    }
    h.finish()
}

/// The part of every case's key that is the run's: the tool version, the rule pack's
/// fingerprint, the artifact map's fingerprint (`map_fingerprint`), the limits and the language.
pub(super) fn settings_key(
    rules: &RuleSet,
    map_fingerprint: &str,
    limits: &Limits,
    lang: Lang,
) -> u64 {
    let mut settings = Fnv64::new();
    settings.field(env!("CARGO_PKG_VERSION").as_bytes());
    settings.write(&rules_fingerprint(rules).to_le_bytes());
    settings.field(map_fingerprint.as_bytes());
    // Reading ahead or not gives the same results: not part of the key.
    let keyed = Limits {
        read_ahead: true,
        ..limits.clone()
    };
    settings.field(format!("{keyed:?}").as_bytes());
    settings.field(lang.code().as_bytes());
    settings.finish()
}

/// Files of a case (relative path, size, mtime in ns since the epoch), sorted; links and
/// unreadable entries are listed without a size. Returns the total size too.
pub(super) fn case_files(path: &Path) -> (Vec<(String, u64, i128)>, u64) {
    let mut files = Vec::new();
    let mut total = 0u64;
    let stamp = |m: &std::fs::Metadata| -> i128 {
        m.modified()
            .ok()
            .map(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(d) => d.as_nanos() as i128,
                Err(e) => -(e.duration().as_nanos() as i128),
            })
            .unwrap_or(0)
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            total = m.len();
            files.push((String::new(), m.len(), stamp(&m)));
        }
        Ok(m) if m.is_dir() => {
            for entry in WalkDir::new(path).follow_links(false).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                if entry.file_type().is_dir() {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(path)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .into_owned();
                match entry.metadata() {
                    Ok(m) => {
                        if m.is_file() {
                            total += m.len();
                        }
                        files.push((rel, m.len(), stamp(&m)));
                    }
                    Err(_) => files.push((rel, 0, 0)),
                }
            }
        }
        _ => {}
    }
    (files, total)
}

/// The resume key of a case (hex FNV-1a 64; see the module documentation).
pub(super) fn case_key(name: &str, files: &[(String, u64, i128)], settings: u64) -> String {
    let mut h = Fnv64::new();
    h.field(name.as_bytes());
    for (rel, size, mtime) in files {
        h.field(rel.as_bytes());
        h.write(&size.to_le_bytes());
        h.write(&mtime.to_le_bytes());
    }
    h.write(&settings.to_le_bytes());
    format!("{:016x}", h.finish())
}

/// A file stem for a case's reports: the name with anything but `[A-Za-z0-9._-]` replaced by
/// `_`; when that changed the name (or it would be hidden or too long), a hash of the name is
/// appended, so two names never share a stem, in any shard.
pub fn sanitise(name: &str) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let changed = stem != name || stem.starts_with('.') || stem.len() > 120 || stem.is_empty();
    if changed {
        stem.truncate(120);
        let stem = stem.trim_start_matches('.');
        return format!("{stem}-{:08x}", fnv64(name.as_bytes()) as u32);
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitised_stems_are_safe_and_distinct() {
        assert_eq!(sanitise("dns-failure.tar.gz"), "dns-failure.tar.gz");
        let a = sanitise("a b");
        let b = sanitise("a_b");
        assert_ne!(a, b);
        assert!(a.starts_with("a_b-"));
        assert!(!sanitise("..").starts_with('.'));
        assert!(
            sanitise("../../etc/passwd")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        );
        assert!(sanitise(&"x".repeat(500)).len() < 140);
    }
}
