//! `fptriage schema report` against what `analyze --format json` writes: the JSON report of every
//! testdata bundle (plain and redacted) validates against the printed schema, and a report with a
//! field of the wrong type does not.

mod common;

use common::{bundle, fptriage, json_run};

fn schema(of: &str) -> serde_json::Value {
    let out = fptriage().args(["schema", of]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

fn bundles() -> Vec<std::path::PathBuf> {
    let mut all: Vec<_> = std::fs::read_dir(bundle(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            [".tar", ".tar.gz", ".tgz", ".zip"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
        .collect();
    all.sort();
    all
}

#[test]
fn every_testdata_report_validates_against_the_report_schema() {
    let schema = schema("report");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema");
    let bundles = bundles();
    assert!(bundles.len() > 20, "{bundles:?}");
    for path in bundles {
        for redact in [false, true] {
            let mut args = vec![
                std::ffi::OsString::from("analyze"),
                path.clone().into_os_string(),
            ];
            if redact {
                args.push("--redact".into());
            }
            let (report, _) = json_run(&args);
            let errors: Vec<String> = validator
                .iter_errors(&report)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .take(5)
                .collect();
            assert!(errors.is_empty(), "{path:?} redact={redact}: {errors:#?}");
        }
    }
}

#[test]
fn the_schema_rejects_a_report_of_another_shape() {
    let validator = jsonschema::draft202012::new(&schema("report")).unwrap();
    let (mut report, _) = json_run(["analyze".as_ref(), bundle("dns-failure.tar.gz").as_os_str()]);
    assert!(validator.is_valid(&report));
    report["findings"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&report));
    report["findings"][0]["severity"] = "critical".into();
    report["schema_version"] = 2.into();
    assert!(!validator.is_valid(&report));
    report["schema_version"] = 1.into();
    report["findings"][0]["evidence"][0]["line"] = "77".into();
    assert!(!validator.is_valid(&report));
}

#[test]
fn schema_rules_prints_the_rule_file_schema() {
    let rules = schema("rules");
    let on_disk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/schema.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rules, on_disk);
    assert!(rules["definitions"]["RuleFile"]["properties"]["when"].is_object());
}
