//! An already extracted bundle (or a case folder) given as a directory.
//!
//! The folder is the user's own, yet its content came from a customer: links are recorded and
//! never followed, and files are read exactly as archive members are, so archives inside it
//! (device bundles in a case folder) become bundles of their own.

use std::fs::File;
use std::path::Path;

use walkdir::WalkDir;

use super::{Format, LimitedReader, Walk, normalise_path};

pub(crate) fn read_directory(walk: &mut Walk<'_>, root: &Path, label: &str) {
    let bundle = walk.open_bundle(label.to_string(), None, Format::Directory, 0);
    let mut links = Vec::new();
    let mut count = 0u64;
    for entry in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| label.to_string());
                walk.warn("unreadable-member", path, format!("cannot list: {e}"));
                continue;
            }
        };
        let kind = entry.file_type();
        if kind.is_symlink() {
            let expected = match (
                std::fs::read_link(entry.path()),
                entry.path().strip_prefix(root),
            ) {
                (Ok(target), Ok(relative)) => {
                    let relative = relative.to_string_lossy().replace('\\', "/");
                    walk.visitor
                        .link(bundle, &relative, &target.to_string_lossy())
                }
                _ => false,
            };
            if !expected {
                links.push(entry.path().display().to_string());
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        count += 1;
        if count > walk.limits.members {
            walk.warn(
                "limit-members",
                label,
                format!(
                    "more than {} files; the rest was not read (--max-members)",
                    walk.limits.members
                ),
            );
            break;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let path = normalise_path(&relative.to_string_lossy());
        match File::open(entry.path()) {
            Ok(file) => {
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                if walk.over_total(label) {
                    break;
                }
                // What is read counts, not what the file system said before reading.
                let remaining = walk.limits.total_bytes.saturating_sub(walk.total_bytes);
                let mut counted = LimitedReader::new(file, remaining);
                walk.route(bundle, label, 0, &path, size, &mut counted);
                walk.total_bytes = walk.total_bytes.saturating_add(remaining - counted.left);
                if counted.hit_limit {
                    walk.total_bytes = walk.limits.total_bytes.saturating_add(1);
                    walk.over_total(label);
                    break;
                }
            }
            Err(e) => walk.warn(
                "unreadable-member",
                entry.path().display().to_string(),
                format!("cannot open: {e}"),
            ),
        }
    }
    if !links.is_empty() {
        let shown: Vec<_> = links.iter().take(5).cloned().collect();
        walk.warn(
            "link-not-followed",
            label,
            format!(
                "{} symbolic link(s) not followed (e.g. {})",
                links.len(),
                shown.join(", ")
            ),
        );
    }
}
