//! The files of the built-in `rules/` folder, embedded at build time (`build.rs`), so the binary
//! works with no files beside it: the packs' rules, tests and artifact definitions.

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// An embedded file by its path under `rules/` (`sse/artifacts.yaml`).
pub fn file(path: &str) -> Option<&'static str> {
    BUILTIN_RULES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}
