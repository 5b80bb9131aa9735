//! The committed test bundles are what the generator makes: `testdata/bundles/expected.json` and
//! `expected-diffs.json` are the generator's expectations, and every scenario's archive (whatever
//! its packing) holds exactly the files of the scenario tree the generator writes.
//!
//! The generator (`examples/gen_testdata.rs`) runs in-process into a temporary folder; the
//! archives are read back here rather than rebuilt, so the check needs no GNU tar and takes
//! seconds. Regenerate with `testdata/generate.sh` when this fails.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

#[allow(dead_code, clippy::all)]
#[path = "../examples/gen_testdata.rs"]
mod gen_testdata;

/// What a file of a bundle is: its bytes, or a link's target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    File(Vec<u8>),
    Link(String),
}

/// A bundle's files by path below its `results-…` top folder (which `./`-packed archives lack).
type Files = BTreeMap<String, Item>;

fn below_top(path: &str) -> Option<String> {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    let rest = match path.split_once('/') {
        Some((first, rest)) if first.starts_with("results-") => rest,
        None if path.starts_with("results-") => return None,
        _ => path,
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

fn tree(dir: &Path) -> Files {
    let mut out = Files::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Some(path) = below_top(&relative) else {
            continue;
        };
        let kind = entry.file_type();
        if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap();
            out.insert(path, Item::Link(target.to_string_lossy().into_owned()));
        } else if kind.is_file() {
            out.insert(path, Item::File(std::fs::read(entry.path()).unwrap()));
        }
    }
    out
}

fn tar_files(reader: impl Read) -> Files {
    let mut out = Files::new();
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let Some(path) = below_top(&path) else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_symlink() {
            let target = entry.link_name().unwrap().unwrap();
            out.insert(path, Item::Link(target.to_string_lossy().into_owned()));
        } else if kind.is_hard_link() {
            // The tree holds the linked file's bytes under both names.
            let target = entry.link_name().unwrap().unwrap();
            let target = below_top(&target.to_string_lossy()).unwrap_or_default();
            let item = out.get(&target).cloned();
            out.insert(
                path,
                item.unwrap_or_else(|| Item::Link(format!("hard link to {target}"))),
            );
        } else if kind.is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.insert(path, Item::File(data));
        }
    }
    out
}

fn zip_files(path: &Path) -> Files {
    let mut out = Files::new();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        // Raw bytes, as the tree holds them (a Latin-1 name is no CP437 text).
        let Some(name) = below_top(&String::from_utf8_lossy(file.name_raw())) else {
            continue;
        };
        if file.is_symlink() {
            let mut target = String::new();
            file.read_to_string(&mut target).unwrap();
            out.insert(name, Item::Link(target));
        } else if file.is_file() {
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            out.insert(name, Item::File(data));
        }
    }
    out
}

fn archive_files(path: &Path) -> Files {
    let name = path.to_string_lossy();
    if path.is_dir() {
        tree(path)
    } else if name.ends_with(".zip") {
        zip_files(path)
    } else if name.ends_with(".tar") {
        tar_files(std::fs::File::open(path).unwrap())
    } else {
        tar_files(flate2::read::GzDecoder::new(
            std::fs::File::open(path).unwrap(),
        ))
    }
}

/// Where two bundles differ, briefly.
fn differences(want: &Files, got: &Files) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in want {
        match got.get(path) {
            None => out.push(format!("missing {path}")),
            Some(other) if other != item => out.push(format!("differs {path}")),
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        out.push(format!("extra {path}"));
    }
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_committed_bundles_are_what_the_generator_makes() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    let out = tempfile::tempdir().unwrap();
    gen_testdata::generate(out.path()).expect("the generator runs");

    assert_eq!(
        json(&out.path().join("expected-bundles.json")),
        json(&committed.join("expected.json")),
        "testdata/bundles/expected.json is not what the generator expects: run testdata/generate.sh"
    );
    assert_eq!(
        json(&out.path().join("expected-diffs.json")),
        json(&committed.join("expected-diffs.json")),
        "testdata/bundles/expected-diffs.json is not the generator's: run testdata/generate.sh"
    );

    // Every scenario of the generator as it is packed in testdata/bundles (`_` scenarios are
    // parts of wrappers only), and the alternate packings expected.json lists.
    let trees = out.path().join("trees");
    let mut checked = 0;
    let expected = json(&committed.join("expected.json"));
    for entry in std::fs::read_dir(&trees).unwrap() {
        let scenario = entry.unwrap().file_name().to_string_lossy().into_owned();
        if scenario.starts_with('_') {
            continue;
        }
        let want = tree(&trees.join(&scenario));
        assert!(!want.is_empty(), "{scenario}: an empty tree");
        let mut packings = vec![format!("{scenario}.tar.gz")];
        for (file, of) in [
            ("healthy-fmc.zip", "healthy-fmc"),
            ("healthy-ftd.tar", "healthy-ftd"),
            ("tls-interception.zip", "tls-interception"),
            ("zeromq-endpoint-missing.tar", "zeromq-endpoint-missing"),
            ("ip-allowlist.tgz", "ip-allowlist"),
            ("extracted/healthy-ftd", "healthy-ftd"),
        ] {
            if of == scenario {
                packings.push(file.to_string());
            }
        }
        for file in packings {
            assert!(
                expected.get(&file).is_some(),
                "{file} is not in expected.json"
            );
            let got = archive_files(&committed.join(&file));
            let diff = differences(&want, &got);
            assert!(
                diff.is_empty(),
                "testdata/bundles/{file} is not the generator's {scenario} (run testdata/generate.sh): {}",
                diff.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} bundles compared");
}
