//! What evidence rows show, on the generated bundles: the line that decides, with its text.

mod common;

use common::{bundle, json_run};

fn evidence_of<'a>(report: &'a serde_json::Value, rule: &str) -> &'a Vec<serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule}"))["evidence"]
        .as_array()
        .unwrap()
}

#[test]
fn cloud_events_evidence_is_the_switch_not_the_type_line() {
    let (report, _) = json_run([
        "analyze".as_ref(),
        bundle("cloud-events-disabled.tar.gz").as_os_str(),
    ]);
    let ev = evidence_of(&report, "sse/cloud-events-disabled");
    assert_eq!(ev[0]["line"], 6, "{ev:?}");
    assert_eq!(ev[0]["text"], "\"sendIntrusionEvents\": false,");
}

#[test]
fn curl_evidence_rows_have_a_line_and_its_text() {
    for (name, rule, text) in [
        (
            "dns-failure.tar.gz",
            "sse/cloud-unreachable",
            "Could not resolve host: api-sse.cisco.com",
        ),
        (
            "tls-interception.tar.gz",
            "sse/tls-interception",
            "SSL certificate problem",
        ),
    ] {
        let (report, _) = json_run(["analyze".as_ref(), bundle(name).as_os_str()]);
        let curl: Vec<&serde_json::Value> = evidence_of(&report, rule)
            .iter()
            .filter(|e| e["path"].as_str().unwrap().contains("curl"))
            .collect();
        assert!(!curl.is_empty(), "{name}: no curl evidence");
        for e in curl {
            assert!(e["line"].as_u64().is_some_and(|l| l > 0), "{name}: {e}");
            assert!(e["text"].as_str().unwrap().contains(text), "{name}: {e}");
        }
    }
}
