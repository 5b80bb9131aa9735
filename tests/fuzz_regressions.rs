//! Inputs the fuzzers (`fuzz/`) once crashed on, replayed through the same code paths with the
//! public API: each must now be read without a panic. A file named `<target>-<n>` in
//! `tests/fuzz_regressions/` goes through that fuzz target's path.

use std::path::Path;

use fptriage::artifacts::ArtifactMap;
use fptriage::limits::Limits;
use fptriage::rules::{self, RuleSource};

/// The `archive` target: bytes as an upload, collected and evaluated with the built-in rules.
fn archive(data: &[u8]) {
    let (set, _) = rules::load::load(&rules::load::builtin_sources());
    let limits = Limits {
        member_bytes: 1 << 20,
        total_bytes: 8 << 20,
        members: 1000,
        depth: 3,
        nested_zip_memory: 1 << 20,
        ..Limits::default()
    };
    let map = ArtifactMap::builtin();
    let case = fptriage::pipeline::collect_bytes("fuzz.bin", data, &map, &set, &limits)
        .expect("built-in patterns compile");
    let _ = rules::evaluate(&set, &case.devices);
}

/// The `parsers` target: bytes as lossy text through every artifact parser.
fn parsers(data: &[u8]) {
    fptriage::parse::parse_everything(&String::from_utf8_lossy(data));
}

/// The `rules` target: bytes as a rule file and as an artifact map; a loaded rule is evaluated
/// on a sample bundle.
fn rules_target(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = ArtifactMap::parse(&text, "artifacts.yaml");
    let source = RuleSource {
        relative: "t/a.yaml".into(),
        origin: "t/a.yaml".into(),
        text,
    };
    let (set, _) = rules::load::load(&[source]);
    if set.rules.is_empty() {
        return;
    }
    let sample = include_bytes!("../fuzz/seeds/archive/healthy-ftd.tar.gz");
    let map = ArtifactMap::builtin();
    if let Ok(case) =
        fptriage::pipeline::collect_bytes("sample.tar.gz", sample, &map, &set, &Limits::default())
    {
        let _ = rules::evaluate(&set, &case.devices);
    }
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_regressions exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).expect("readable input");
        match name.rsplit_once('-').map(|(target, _)| target) {
            Some("archive") => archive(&data),
            Some("parsers") => parsers(&data),
            Some("rules") => rules_target(&data),
            _ => panic!("{name}: name it <archive|parsers|rules>-<n>"),
        }
    }
}

/// The first archive crash: a member name with `results-` followed by a multi-byte character
/// where the `--` of `results-MM-DD-YYYY--HHMMSS` is expected.
#[test]
fn multibyte_bundle_stamp_is_not_a_panic() {
    let name = "results-04-10-2020-\u{fffd}s1\u{676}";
    let mut tar = vec![0u8; 1024 + 512];
    tar[..name.len()].copy_from_slice(name.as_bytes());
    tar[100..108].copy_from_slice(b"0000644\0");
    tar[124..136].copy_from_slice(b"00000000000\0");
    tar[156] = b'0';
    tar[257..263].copy_from_slice(b"ustar\0");
    tar[263..265].copy_from_slice(b"00");
    tar[148..156].copy_from_slice(b"        ");
    let sum: u32 = tar[..512].iter().map(|&b| u32::from(b)).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    archive(&tar);
}

mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text, through every parser: no panic.
        #[test]
        fn parsers_take_any_text(text in any::<String>()) {
            super::parsers(text.as_bytes());
        }

        /// Text shaped like the artifacts (stamps, key=value, brackets, quotes, ports) reaches
        /// deeper into the parsers than uniform strings do.
        #[test]
        fn parsers_take_artifact_like_lines(
            lines in proptest::collection::vec(
                "(time=\"|level=|msg=|[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} |20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,12}(Z|[+-][0-9]{2}:[0-9]{2}) |tcp |unix |Version |\\{\"|[a-zA-Z_.]+=|[\\[\\](){}\":=\\\\ ,.0-9a-zé-]){0,12}",
                0..12,
            )
        ) {
            super::parsers(lines.join("\n").as_bytes());
        }

        /// Version strings: no panic, and a parsed version is never below itself.
        #[test]
        fn versions_parse_totally(text in "[0-9.()a-zA-Z -]{0,24}") {
            if let Some(v) = fptriage::version::Version::parse(&text) {
                prop_assert!(v >= v.clone());
            }
        }
    }
}
