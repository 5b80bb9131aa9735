//! Any bytes as a rule file (`t/a.yaml`) and as an artifact map. A rule that loads is also
//! compiled into the line matcher and evaluated on a small sample bundle.
#![no_main]

use std::sync::OnceLock;

use fptriage::artifacts::ArtifactMap;
use fptriage::limits::Limits;
use fptriage::rules::{self, RuleSource};
use libfuzzer_sys::fuzz_target;

/// A small bundle to evaluate loaded rules on.
const SAMPLE: &[u8] = include_bytes!("../seeds/archive/healthy-ftd.tar.gz");

fn map() -> &'static ArtifactMap {
    static MAP: OnceLock<ArtifactMap> = OnceLock::new();
    MAP.get_or_init(ArtifactMap::builtin)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = ArtifactMap::parse(&text, "artifacts.yaml");
    let source = RuleSource {
        relative: "t/a.yaml".into(),
        origin: "t/a.yaml".into(),
        text,
    };
    let (set, _diagnostics) = rules::load::load(&[source]);
    if set.rules.is_empty() {
        return;
    }
    // Patterns that do not compile together are an error, not a panic.
    if let Ok(case) =
        fptriage::pipeline::collect_bytes("sample.tar.gz", SAMPLE, map(), &set, &Limits::default())
    {
        let _ = rules::evaluate(&set, &case.devices);
    }
});
