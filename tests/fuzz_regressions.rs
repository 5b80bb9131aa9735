//! Inputs the fuzzers (`fuzz/`) once crashed on, replayed through the same code paths with the
//! public API: each must now be read without a panic, and what is read of it must be what the
//! input holds (its device, its damage, the lines the crashing code path mined). A file named
//! `<target>-<n>` in `tests/fuzz_regressions/` goes through that fuzz target's path and must have
//! an entry in [`expect_archive`].

use std::path::Path;

use fptriage::artifacts::ArtifactMap;
use fptriage::limits::Limits;
use fptriage::rules::{self, RuleSource};

/// The `archive` target: bytes as an upload, collected and evaluated with the built-in rules.
fn archive(data: &[u8]) -> fptriage::facts::Case {
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
    case
}

fn warning_codes(case: &fptriage::facts::Case) -> Vec<&str> {
    case.warnings.iter().map(|w| w.code).collect()
}

/// What each archive regression input holds, checked on what was read of it.
fn expect_archive(name: &str, case: &fptriage::facts::Case) {
    let device = |i: usize| &case.devices[i];
    match name {
        // A zip inside the bundle whose entries are broken, and a member path that climbs out.
        "archive-1" => {
            assert_eq!(case.devices.len(), 1, "{name}");
            assert!(case.damage.is_empty(), "{name}: {:?}", case.damage);
            let codes = warning_codes(case);
            assert!(codes.contains(&"unsafe-path"), "{name}: {codes:?}");
            assert!(codes.contains(&"bad-zip"), "{name}: {codes:?}");
        }
        // Truncated FMC bundles whose syslog holds error lines with a quote before a multi-byte
        // character (the mining crash): the device is read up to the damage, the lines mined.
        "archive-2" | "archive-3" => {
            assert_eq!(case.devices.len(), 1, "{name}");
            assert_eq!(device(0).name, "fmc-dc1", "{name}");
            assert_eq!(device(0).product, fptriage::version::Product::Fmc, "{name}");
            assert!(device(0).damaged, "{name}");
            assert_eq!(case.damage.len(), 1, "{name}");
            assert_eq!(case.damage[0].code, "truncated-archive", "{name}");
            let mined = &case.unexplained;
            assert!(mined.lines > 0, "{name}: no unexplained lines mined");
            assert!(
                mined.templates.iter().any(|t| t.artifact == "syslog"),
                "{name}: {:?}",
                mined.templates
            );
        }
        _ => panic!("{name}: say in expect_archive what this input holds"),
    }
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
            Some("archive") => expect_archive(&name, &archive(&data)),
            Some("parsers") => parsers(&data),
            Some("rules") => rules_target(&data),
            _ => panic!("{name}: name it <archive|parsers|rules>-<n>"),
        }
    }
}

/// A ustar archive of regular files, built by hand so that a name may hold any bytes.
fn ustar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        tar.extend_from_slice(&h);
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    tar
}

/// The first archive crash: a member name with `results-` followed by a multi-byte character
/// where the `--` of `results-MM-DD-YYYY--HHMMSS` is expected.
#[test]
fn multibyte_bundle_stamp_is_not_a_panic() {
    let root = "results-04-10-2020-\u{fffd}s1\u{676}";
    let case = archive(&ustar(&[
        (root, b""),
        (&format!("{root}/dir-archives/etc/hostname"), b"fmc-x\n"),
    ]));
    // The root is still a device root; its name is no bundle stamp, so no collection time.
    assert!(case.damage.is_empty(), "{:?}", case.damage);
    assert_eq!(case.devices.len(), 1, "{:?}", case.devices);
    assert_eq!(case.devices[0].name, "fmc-x");
    assert_eq!(case.devices[0].collected_at, None);
    // The same root with a real stamp gives the collection time: the check above can fail.
    let stamped = "results-04-10-2020--143540";
    let case = archive(&ustar(&[(
        &format!("{stamped}/dir-archives/etc/hostname"),
        b"fmc-x\n",
    )]));
    assert!(case.devices[0].collected_at.is_some(), "{:?}", case.devices);
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

        /// Version strings: no panic; a parsed version is the input's leading dotted number, it
        /// reads back from its own text, and raising its last part makes it greater.
        #[test]
        fn versions_parse_totally(text in "[0-9.()a-zA-Z -]{0,24}") {
            use fptriage::version::Version;
            if let Some(v) = Version::parse(&text) {
                let digits: String = text
                    .trim()
                    .trim_start_matches(['v', 'V'])
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let parts: Vec<u32> = digits
                    .trim_end_matches('.')
                    .split('.')
                    .map(|p| p.parse().unwrap())
                    .collect();
                prop_assert_eq!(&v.parts, &parts);
                let back = Version::parse(&v.to_string()).expect("its own text parses");
                prop_assert_eq!(&back.parts, &v.parts);
                prop_assert_eq!(back.build, v.build);
                let mut higher = v.clone();
                let last = higher.parts.last_mut().unwrap();
                if *last < u32::MAX {
                    *last += 1;
                    prop_assert!(higher > v);
                }
            }
        }
    }
}
