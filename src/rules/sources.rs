//! Where rule files come from: the built-in packs (embedded) and rule folders on disk, and which
//! of them are domain tables rather than rules.

use std::path::Path;

/// A rule file's text and where it comes from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Path relative to its rule folder, e.g. `sse/dns-failure.yaml`.
    pub relative: String,
    /// Shown in diagnostics and `rules list`: `built-in` or the file's path.
    pub origin: String,
    pub text: String,
}

/// The file name of a pack's domain tables ([`crate::domain`]).
pub const DOMAIN_FILE: &str = "domain.yaml";

/// Whether a source is a pack's domain tables, not a rule.
pub fn is_domain_file(relative: &str) -> bool {
    relative.rsplit('/').next() == Some(DOMAIN_FILE)
}

pub use crate::builtin::BUILTIN_RULES;

/// The built-in rule pack's sources.
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN_RULES
        .iter()
        .filter(|(path, _)| {
            !path.ends_with(".test.yaml")
                && !path.ends_with("artifacts.yaml")
                && !path.ends_with(".md")
        })
        .map(|(path, text)| RuleSource {
            relative: path.to_string(),
            origin: format!("built-in:{path}"),
            text: text.to_string(),
        })
        .collect()
}

/// Reads the rule files under a folder (or one file), ids relative to `root`.
pub fn folder_sources(path: &Path) -> Result<Vec<RuleSource>, std::io::Error> {
    let (root, files): (&Path, Vec<std::path::PathBuf>) = if path.is_file() {
        (
            path.parent()
                .and_then(|p| p.parent())
                .unwrap_or(Path::new("")),
            vec![path.to_path_buf()],
        )
    } else {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(std::io::Error::other)?;
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file()
                && name.ends_with(".yaml")
                && !name.ends_with(".test.yaml")
                && name != "artifacts.yaml"
            {
                files.push(entry.path().to_path_buf());
            }
        }
        (path, files)
    };
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)?;
            let relative = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            Ok(RuleSource {
                relative,
                origin: file.display().to_string(),
                text,
            })
        })
        .collect()
}
