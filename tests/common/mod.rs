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
    Command::cargo_bin("fptriage").unwrap()
}
