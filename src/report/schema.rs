//! The JSON Schema (draft 2020-12) of the JSON report, generated from the report's Rust types, so
//! that it cannot drift from what `analyze --format json` writes. `schema_version` is pinned to
//! [`super::SCHEMA_VERSION`]: a consumer validating against the schema of one version rejects a
//! report of another.

use schemars::generate::SchemaSettings;

use super::{Report, SCHEMA_VERSION};

/// The report's JSON Schema.
pub fn report_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let generated = serde_json::Value::from(generator.into_root_schema_for::<Report>());
    // `$schema`, `$id` and the title first: what a reader of the file looks for.
    let mut root = serde_json::Map::new();
    root.insert(
        "$schema".into(),
        serde_json::json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root.insert(
        "$id".into(),
        serde_json::json!(format!(
            "https://github.com/fptriage/fptriage/schema/report-v{SCHEMA_VERSION}.json"
        )),
    );
    root.insert("title".into(), serde_json::json!("fptriage report"));
    if let serde_json::Value::Object(map) = generated {
        for (k, v) in map {
            root.entry(k).or_insert(v);
        }
    }
    let mut schema = serde_json::Value::Object(root);
    if let Some(version) = schema.pointer_mut("/properties/schema_version") {
        *version = serde_json::json!({
            "description": "Version of the report's shape: adding a field keeps it, removing or changing one bumps it.",
            "const": SCHEMA_VERSION,
        });
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_draft_2020_12_and_pins_the_version() {
        let schema = report_schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(
            schema["properties"]["schema_version"]["const"],
            SCHEMA_VERSION
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for key in [
            "schema_version",
            "verdict",
            "findings",
            "devices",
            "warnings",
        ] {
            assert!(required.contains(&key), "{key} not required: {required:?}");
        }
    }
}
