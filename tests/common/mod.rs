//! What the integration tests share: the binary under test and the checked-in bundles.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A bundle of `testdata/bundles/` (made by `testdata/generate.sh`).
pub fn bundle(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bundles")
        .join(name)
}

/// The `fptriage` binary of this build.
pub fn fptriage() -> Command {
    let mut command = Command::cargo_bin("fptriage").unwrap();
    // Reports are in the locale's language by default: tests pass --lang when they mean one.
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        command.env_remove(var);
    }
    command
}

/// Runs `fptriage <args>… --format json`, asserts exit 0 (naming the arguments and stderr) and
/// returns the parsed output and stderr.
pub fn json_run<I, S>(args: I) -> (serde_json::Value, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().into()).collect();
    let out = fptriage()
        .args(&args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}); stderr: {stderr}"));
    (json, stderr)
}

/// A temporary folder holding `files` (path relative to it, text): a rule folder with its packs
/// (`site/domain.yaml`, `site/a.yaml`, …), the folders made as needed.
pub fn pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}
