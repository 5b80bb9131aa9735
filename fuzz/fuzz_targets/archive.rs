//! Any bytes as an uploaded archive: ingest (tar, gzip, zip, nesting) and the whole
//! collect → derive → evaluate pipeline with the built-in rules. Small limits keep each run fast.
//! This is `pipeline::collect_bytes` with the line matcher compiled once rather than per input.
#![no_main]

use std::sync::OnceLock;

use fptriage::artifacts::ArtifactMap;
use fptriage::facts::collect::Collector;
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
    let mut collector = Collector::new(&s.map, &s.matcher, s.limits.clone());
    let _ = fptriage::ingest::read_bytes("fuzz.bin", data, &s.limits, &mut collector);
    let case = collector.finish();
    let _ = rules::evaluate(&s.rules, &case.devices);
});
