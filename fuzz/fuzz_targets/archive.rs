//! Any bytes as an uploaded archive: ingest (tar, gzip, zip, nesting) and the whole
//! collect → derive → evaluate pipeline with the built-in rules. Small limits keep each run fast.
//! The line matcher is compiled once per process (`pipeline::collect_bytes_with`).
#![no_main]

use std::sync::OnceLock;

use fptriage::artifacts::ArtifactMap;
use fptriage::limits::Limits;
use fptriage::matcher::MatcherSet;
use fptriage::rules::{self, RuleSet};
use libfuzzer_sys::fuzz_target;

struct Setup {
    map: ArtifactMap,
    rules: RuleSet,
    matcher: MatcherSet,
    limits: Limits,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let (rules, _) = rules::load::load(&rules::load::builtin_sources());
        let matcher = MatcherSet::new(&rules.patterns).expect("built-in patterns compile");
        let limits = Limits {
            member_bytes: 1 << 20,
            total_bytes: 8 << 20,
            members: 1000,
            depth: 3,
            nested_zip_memory: 1 << 20,
            ..Limits::default()
        };
        Setup {
            map: ArtifactMap::builtin(),
            rules,
            matcher,
            limits,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let case = fptriage::pipeline::collect_bytes_with(
        "fuzz.bin",
        data,
        &s.map,
        &s.matcher,
        &s.rules.domain,
        &s.limits,
    );
    let _ = rules::evaluate(&s.rules, &case.devices);
});
