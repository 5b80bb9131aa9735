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

fn lines_of(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["line"].as_u64().unwrap())
        .collect()
}

#[test]
fn log_evidence_shows_first_and_last_with_context_as_grep_c() {
    let path = bundle("dns-failure.tar.gz");
    let (report, _) = json_run(["analyze".as_ref(), path.as_os_str()]);
    let ev = &evidence_of(&report, "sse/dns-failure")[0];
    assert_eq!(ev["member"], "dir-archives/var-log/connector/connector.log");
    assert!(ev["path"].as_str().unwrap().ends_with(
        "dns-failure.tar.gz!/results-04-19-2020--143549/dir-archives/var-log/connector/connector.log"
    ));
    assert_eq!(ev["line"], 77);
    assert_eq!(lines_of(&ev["context_before"]), [75, 76]);
    assert_eq!(lines_of(&ev["context_after"]), [78]); // the log's last line
    let first = &ev["first"];
    assert_eq!(first["line"], 43);
    assert!(first["text"].as_str().unwrap().contains("no such host"));
    assert_eq!(lines_of(&first["context_before"]), [41, 42]);
    assert_eq!(lines_of(&first["context_after"]), [44, 45]);
    assert!(
        first["context_before"][0]["text"]
            .as_str()
            .unwrap()
            .contains("token refreshed")
    );

    let (narrow, _) = json_run([
        "analyze".as_ref(),
        path.as_os_str(),
        "--context".as_ref(),
        "1".as_ref(),
    ]);
    let ev = &evidence_of(&narrow, "sse/dns-failure")[0];
    assert_eq!(lines_of(&ev["context_before"]), [76]);
    assert_eq!(lines_of(&ev["first"]["context_after"]), [44]);
    let (none, _) = json_run([
        "analyze".as_ref(),
        path.as_os_str(),
        "-C".as_ref(),
        "0".as_ref(),
    ]);
    let ev = &evidence_of(&none, "sse/dns-failure")[0];
    assert_eq!(ev["context_before"], serde_json::json!([]));
    assert_eq!(ev["first"]["context_after"], serde_json::json!([]));
    // A bound, not a wish: more than 10 is refused.
    common::fptriage()
        .args([
            "analyze".as_ref(),
            path.as_os_str(),
            "--context".as_ref(),
            "11".as_ref(),
        ])
        .assert()
        .code(2);
}

#[test]
fn context_lines_are_cut_like_evidence_and_stay_in_their_member() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("results-04-19-2020--143549");
    std::fs::create_dir_all(root.join("dir-archives/etc/sf")).unwrap();
    std::fs::create_dir_all(root.join("dir-archives/var-log/connector")).unwrap();
    std::fs::write(
        root.join("dir-archives/etc/sf/sf-version"),
        "Cisco Firepower Management Center for VMWare v7.2.5 (build 208)\n",
    )
    .unwrap();
    std::fs::write(root.join("dir-archives/etc/hostname"), "fmc-dc1\n").unwrap();
    let hit = r#"time="2020-04-19T14:00:00Z" level=error msg="[fmc-dc1][events.go:90 events:connectWebSocket] dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host""#;
    let long = "x".repeat(100_000);
    std::fs::write(
        root.join("dir-archives/var-log/connector/connector.log"),
        format!("{long}\n{hit}\n"),
    )
    .unwrap();
    let (report, _) = json_run([
        "analyze".as_ref(),
        dir.path().as_os_str(),
        "--max-evidence-chars".as_ref(),
        "50".as_ref(),
    ]);
    let ev = &evidence_of(&report, "sse/dns-failure")[0];
    assert_eq!(ev["line"], 2);
    assert!(ev["first"].is_null(), "one line: no separate first");
    let before = ev["context_before"].as_array().unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["text"], format!("{}…", "x".repeat(50)));
    assert_eq!(ev["context_after"], serde_json::json!([]));
}

#[test]
fn an_invalid_properties_file_points_at_the_bad_value() {
    let (report, _) = json_run([
        "analyze".as_ref(),
        bundle("connector-properties-invalid.tar.gz").as_os_str(),
    ]);
    let ev = evidence_of(&report, "sse/connector-properties-invalid");
    assert_eq!(ev[0]["line"], 3, "{ev:?}");
    assert_eq!(ev[0]["text"], "connector_port=99999");
    assert_eq!(ev[0]["member"], "dir-archives/etc/sf/connector.properties");
}

#[test]
fn activity_counts_problem_lines_per_device_and_host_on_one_axis() {
    let (report, _) = json_run(["analyze".as_ref(), bundle("case-mixed.zip").as_os_str()]);
    let rows = report["activity"].as_array().unwrap();
    let hosts: Vec<&str> = rows.iter().map(|a| a["host"].as_str().unwrap()).collect();
    assert_eq!(
        hosts,
        ["api-sse.cisco.com", "eventing-ingest.sse.itd.cisco.com"]
    );
    for a in rows {
        assert_eq!(a["device_name"], "ftd-dmz-a");
        // The FMC of the case, collected ten days earlier, has no timed finding: it does not
        // stretch the axis.
        assert_eq!(a["start"], "2020-04-19T16:35:49Z");
        let buckets: Vec<u64> = a["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap())
            .collect();
        assert_eq!(buckets.len(), 48);
        // dns-failure's 18 lines per host.
        assert_eq!(buckets.iter().sum::<u64>(), 18, "{a}");
    }
    let (healthy, _) = json_run(["analyze".as_ref(), bundle("healthy-fmc.tar.gz").as_os_str()]);
    assert_eq!(healthy["activity"], serde_json::json!([]));
    let passed = healthy["checks_passed"].as_array().unwrap();
    // Every built-in check that applies to an FMC ran and passed: the sse pack's 16, the
    // platform pack's 4, and of the mgmt pack only sftunnel-down (its other two are FTD checks).
    assert_eq!(healthy["not_evaluated"], serde_json::json!([]));
    assert!(passed.iter().all(|p| p["device_name"] == "fmc-prod-01"));
    let in_pack = |pack: &str| passed.iter().filter(|p| p["pack"] == pack).count();
    assert_eq!(
        (in_pack("sse"), in_pack("platform"), in_pack("mgmt")),
        (16, 4, 1)
    );
    assert_eq!(passed.len(), 21);
}
