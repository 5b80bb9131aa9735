//! The open model's acceptance test: the three examples of the spec (a new `disk-usage` kind read
//! as a table, a fact added to the built-in `show-version` kind, a JSON kind found by content),
//! copied as written into `testdata/packs/acme/`, lint clean, pass their rule tests, and fire
//! through `analyze --rules` on a bundle that holds the data, staying silent on one that does not,
//! with no Rust change. The bundles are built by `testdata/packs/generate.sh` with the real GNU
//! tar and gzip, into a temporary folder, every run.

use std::path::{Path, PathBuf};

mod common;
use common::{fptriage, json_run, pack};

fn packs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packs")
}

/// Builds the acme bundles; a missing tar or gzip fails the test.
fn bundles() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("bash")
        .arg(packs().join("generate.sh"))
        .arg(dir.path())
        .status()
        .expect("bash runs testdata/packs/generate.sh");
    assert!(status.success(), "testdata/packs/generate.sh failed");
    let full = dir.path().join("acme-full.tar.gz");
    let silent = dir.path().join("acme-silent.tar.gz");
    (dir, full, silent)
}

#[test]
fn the_spec_examples_lint_clean_and_pass_their_rule_tests() {
    let out = fptriage()
        .args(["rules", "lint"])
        .arg(packs())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 error(s)"), "{text}");
    let out = fptriage()
        .args(["rules", "test"])
        .arg(packs())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("6 passed, 0 failed"), "{text}");
}

#[test]
fn the_spec_examples_fire_on_a_bundle_with_the_data() {
    let (_dir, full, _) = bundles();
    let (report, _) = json_run([
        "analyze".as_ref(),
        "--rules".as_ref(),
        packs().as_os_str(),
        full.as_os_str(),
    ]);
    let findings = report["findings"].as_array().unwrap();
    let find = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} did not fire: {findings:#?}"))
    };
    let disk = find("acme/disk-full");
    assert_eq!(disk["message"], "/ is 96% full.");
    assert_eq!(disk["remediation"], "Free space on /.");
    assert_eq!(disk["severity"], "critical");
    assert_eq!(disk["root_cause"], true);
    let evidence = &disk["evidence"][0];
    assert!(
        evidence["path"]
            .as_str()
            .unwrap()
            .ends_with("command-outputs/bin-df -h.output"),
        "{evidence}"
    );
    assert_eq!(evidence["line"], 2);
    let vdb = find("acme/old-vdb");
    assert_eq!(vdb["message"], "VDB 341.");
    assert_eq!(vdb["evidence"][0]["line"], 5);
    assert_eq!(
        vdb["evidence"][0]["text"],
        "VDB version               : 341"
    );
}

#[test]
fn facts_shows_the_new_facts_with_their_evidence() {
    let (_dir, full, _) = bundles();
    let (case, _) = json_run([
        "facts".as_ref(),
        "--rules".as_ref(),
        packs().as_os_str(),
        full.as_os_str(),
    ]);
    let facts = &case["devices"][0]["facts"];
    assert_eq!(facts["ha.state"]["value"], "Standby Ready");
    assert_eq!(
        facts["ha.peers"]["value"],
        serde_json::json!(["ftd-edge2", "ftd-edge3"])
    );
    assert_eq!(facts["ha.state"]["evidence"]["line"], 4);
    assert_eq!(facts["device.vdb_version"]["value"], 341);
    let mounts: Vec<(&str, i64)> = facts["disk.filesystems"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["mount"].as_str().unwrap(),
                r["use_percent"].as_i64().unwrap(),
            )
        })
        .collect();
    // The wrapped row (a long device name alone on its line) is one record.
    assert_eq!(
        mounts,
        [
            ("/", 96),
            ("/dev", 0),
            ("/dev/shm", 1),
            ("/ngfw/Volume", 37),
            ("/var", 21)
        ]
    );
    let list = fptriage()
        .args(["facts", "--list", "--rules"])
        .arg(packs())
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    let line = list
        .lines()
        .find(|l| l.starts_with("disk.filesystems "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains("records"), "{line}");
    assert!(
        line.contains("One record per mounted file system (df)."),
        "{line}"
    );
    assert!(
        line.contains("testdata/packs/acme/artifacts.yaml"),
        "{line}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("device.version ") && l.contains("built-in")),
        "{list}"
    );
}

#[test]
fn the_spec_examples_stay_silent_on_a_bundle_without_the_data() {
    let (_dir, _, silent) = bundles();
    let (report, _) = json_run([
        "analyze".as_ref(),
        "--rules".as_ref(),
        packs().as_os_str(),
        silent.as_os_str(),
    ]);
    let acme: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("acme/"))
        .collect();
    assert!(acme.is_empty(), "{acme:#?}");
    // The device was read: the df table is there, only nothing is full.
    let (case, _) = json_run([
        "facts".as_ref(),
        "--rules".as_ref(),
        packs().as_os_str(),
        silent.as_os_str(),
    ]);
    assert_eq!(
        case["devices"][0]["facts"]["disk.filesystems"]["value"][0]["use_percent"],
        49
    );
    assert!(case["devices"][0]["facts"]["ha.state"].is_null());
}

#[test]
fn a_broken_definition_is_linted_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("site");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(
        pack.join("artifacts.yaml"),
        "artifacts:\n  - kind: site-json\n    format: jsonn\n    paths: [x]\n  - kind: site-df\n    format: table\n    paths: [y]\n    facts:\n      site.a: {type: text, regex: 'x', description: d}\n  - kind: site-text\n    format: text\n    paths: [z]\n    facts:\n      site.b: {type: int, regex: 'VDB (?<v>\\d+)', description: d}\n      site.c: {type: int, regex: '(', description: d}\n  - kind: site-j\n    format: json\n    paths: [w]\n    facts:\n      site.d: {type: text, json: 'a.b', description: d}\n      device.version: {type: int, json: '$.v', description: d}\n  - kind: site-none\n    format: text\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("uses.yaml"),
        "id: site/uses\ntitle: t\nseverity: warning\ndescription: d\nwhen: {fact: site.nothing, equals: x}\nmessage: m\nremediation: r\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, u64)> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let codes: Vec<&str> = got.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "unknown-format",
            "extractor-format",
            "missing-value-capture",
            "invalid-regex",
            "bad-selector",
            "fact-type-conflict",
            "artifact-matches-nothing",
            "unknown-fact"
        ],
        "{got:?}"
    );
    assert_eq!(got[0].1, 3, "{got:?}");
    assert_eq!(got[2].1, 14, "{got:?}");
    assert!(
        diags[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("site/artifacts.yaml")
    );
    assert!(diags[7]["file"].as_str().unwrap().ends_with("uses.yaml"));
}

#[test]
fn a_private_fact_of_a_pack_is_redacted_in_every_format() {
    let (dir, full, _) = bundles();
    let rules = dir.path().join("rules");
    let site = rules.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("artifacts.yaml"),
        "artifacts:\n  - kind: site-ha\n    content: ['\"haStatus\"\\s*:']\n    format: json\n    facts:\n      site.ha_peers: {type: list, private: true, json: \"$.haStatus.peers[*].name\", description: HA peers (host names).}\n",
    )
    .unwrap();
    std::fs::write(
        site.join("ha-peers.yaml"),
        "id: site/ha-peers\ntitle: HA peers\nseverity: warning\ndescription: d\nwhen: {fact: site.ha_peers, empty: false}\nmessage: \"Peers: {{ facts['site.ha_peers'] }}.\"\nremediation: r\n",
    )
    .unwrap();
    // Without --redact the peers are in the report: the test below can fail.
    let (plain, _) = json_run([
        "analyze".as_ref(),
        "--rules".as_ref(),
        rules.as_os_str(),
        full.as_os_str(),
    ]);
    assert!(plain.to_string().contains("ftd-edge2"), "{plain}");
    for format in ["json", "md", "html"] {
        let out = fptriage()
            .args(["analyze", "--redact", "--format", format, "--rules"])
            .arg(&rules)
            .arg(&full)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("HA peers"), "{format}: {text}");
        for peer in ["ftd-edge2", "ftd-edge3"] {
            assert!(!text.contains(peer), "{format}: {peer} left in the report");
        }
    }
}

#[test]
fn a_pack_log_kind_is_read_by_line_conditions_with_its_times() {
    let dir = pack(&[
        (
            "site/artifacts.yaml",
            "artifacts:\n  - kind: site-log\n    format: log\n    time: iso8601\n    paths: ['**/var-log/site/app.log*']\n",
        ),
        (
            "site/app-errors.yaml",
            "id: site/app-errors\ntitle: App errors\nseverity: warning\ndescription: d\nwhen:\n  lines: {artifact: site-log, regex: 'ERROR (?<what>\\w+)', min_count: 2, within: 1h}\nmessage: \"{{ count }} errors, last {{ what }} at {{ last_seen }}.\"\nremediation: r\n",
        ),
        (
            "site/app-errors.test.yaml",
            "cases:\n  - name: two errors in the last hour\n    files:\n      \"results-04-19-2020--143549/dir-archives/var-log/site/app.log\": |\n        2020-04-19 13:00:00,001 ERROR early\n        2020-04-19 14:00:00,001 ERROR disk\n        2020-04-19 14:30:00,001 INFO fine\n        2020-04-19 14:35:00,001 ERROR queue\n    expect:\n      fires:\n        - rule: site/app-errors\n          message_contains: \"errors, last queue at 2020-04-19 14:35:00 UTC.\"\n  - name: one error in the last hour\n    files:\n      \"results-04-19-2020--143549/dir-archives/var-log/site/app.log\": |\n        2020-04-19 12:00:00 ERROR early\n        2020-04-19 14:35:00 ERROR queue\n    expect:\n      silent: [site/app-errors]\n",
        ),
    ]);
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 passed, 0 failed"), "{text}");
    // A line condition on a pack's table kind is still not a log.
    std::fs::write(
        dir.path().join("site/artifacts.yaml"),
        "artifacts:\n  - kind: site-log\n    format: table\n    paths: ['**/var-log/site/app.log*']\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diags[0]["code"], "not-a-log", "{diags}");
}

#[test]
fn a_strptime_log_without_a_year_takes_the_collections_year() {
    let dir = pack(&[
        (
            "site/artifacts.yaml",
            "artifacts:\n  - kind: site-log\n    format: log\n    time: '%b %d %H:%M:%S'\n    paths: ['**/var-log/site/app.log*']\n",
        ),
        (
            "site/app-errors.yaml",
            "id: site/app-errors\ntitle: App errors\nseverity: warning\ndescription: d\nwhen:\n  lines: {artifact: site-log, regex: 'ERROR (?<what>\\w+)', min_count: 2, within: 1h}\nmessage: \"{{ count }} errors from {{ first_seen }} to {{ last_seen }}.\"\nremediation: r\n",
        ),
        // The stamp in the bundle's name is the collection time (UTC: no zone in these bundles).
        // An April line is from the collection's year; a December line in a January bundle from
        // the year before; a year-less line an hour and more before the collection does not count.
        (
            "site/app-errors.test.yaml",
            "cases:\n  - name: two errors in the last hour of April\n    files:\n      \"results-04-19-2020--143549/dir-archives/var-log/site/app.log\": |\n        Apr 19 13:00:00 ERROR early\n        Apr 19 14:00:00 ERROR disk\n        Apr 19 14:30:00 INFO fine\n        Apr 19 14:35:00 ERROR queue\n    expect:\n      fires:\n        - rule: site/app-errors\n          message_contains: \"2 errors from 2020-04-19 14:00:00 UTC to 2020-04-19 14:35:00 UTC.\"\n  - name: across the new year\n    files:\n      \"results-01-01-2021--003000/dir-archives/var-log/site/app.log\": |\n        Dec 31 23:50:00 ERROR early\n        Jan  1 00:10:00 ERROR late\n    expect:\n      fires:\n        - rule: site/app-errors\n          message_contains: \"2 errors from 2020-12-31 23:50:00 UTC to 2021-01-01 00:10:00 UTC.\"\n  - name: one error in the last hour\n    files:\n      \"results-04-19-2020--143549/dir-archives/var-log/site/app.log\": |\n        Apr 19 12:00:00 ERROR early\n        Apr 19 14:35:00 ERROR queue\n    expect:\n      silent: [site/app-errors]\n",
        ),
    ]);
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

/// A fact's `lookup:` reads a value with a generic format and stores a field of the domain table
/// entry it names: here the site of a service's API host, from a pack's own table, with a
/// default for a host no entry names.
#[test]
fn a_lookup_stores_the_field_of_the_table_entry_the_value_names() {
    let dir = pack(&[
        (
            "site/domain.yaml",
            "tables:\n  site-zone:\n    description: zones\n    fields: [api, contact]\n    entries:\n      - name: NORTH\n        hosts: ['**.n.svc.example.net']\n        fields: {api: api.n.svc.example.net, contact: north-desk}\n      - name: SOUTH\n        fields: {api: api.s.svc.example.net}\n",
        ),
        (
            "site/artifacts.yaml",
            "artifacts:\n  - kind: site-conf\n    format: keyvalue\n    paths: ['**/etc/site/app.conf']\n    facts:\n      site.zone:\n        type: text\n        key: api_host\n        lookup: {table: site-zone, match: api, default: unknown}\n        description: d\n      site.contact:\n        type: text\n        key: api_host\n        lookup: {table: site-zone, match: hosts, field: contact}\n        description: d\n",
        ),
        (
            "site/zone.yaml",
            "id: site/zone\ntitle: Zone\nseverity: warning\ndescription: d\nwhen: {fact: site.zone, equals: SOUTH}\nmessage: \"zone {{ facts[\\\"site.zone\\\"] }}\"\nremediation: r\n",
        ),
        (
            "site/contact.yaml",
            "id: site/contact\ntitle: Contact\nseverity: warning\ndescription: d\nwhen: {fact: site.contact, exists: true}\nmessage: \"contact {{ facts[\\\"site.contact\\\"] }}\"\nremediation: r\n",
        ),
        (
            "site/zone.test.yaml",
            "cases:\n  - name: a host field\n    files:\n      \"etc/site/app.conf\": \"api_host = API.s.svc.example.net.\\n\"\n    expect:\n      fires:\n        - rule: site/zone\n          message_contains: \"zone SOUTH\"\n      not_evaluated: [site/contact]\n  - name: host patterns and another field\n    files:\n      \"etc/site/app.conf\": \"api_host = x.n.svc.example.net\\n\"\n    expect:\n      fires:\n        - rule: site/contact\n          message_contains: \"contact north-desk\"\n      silent: [site/zone]\n",
        ),
    ]);
    let out = fptriage()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 passed, 0 failed"), "{text}");
}

/// A lookup in a table no loaded `domain.yaml` declares, or of a field the table does not
/// have, is a lint error at the `lookup:`; a lookup on a fact that is not text is one too.
#[test]
fn a_lookup_of_an_unknown_table_or_field_is_linted_with_its_place() {
    let dir = pack(&[
        (
            "site/domain.yaml",
            "tables:\n  site-zone:\n    description: zones\n    fields: [api]\n    entries:\n      - name: NORTH\n        fields: {api: api.n.svc.example.net}\n",
        ),
        (
            "site/artifacts.yaml",
            "artifacts:\n  - kind: site-conf\n    format: keyvalue\n    paths: ['**/etc/site/app.conf']\n    facts:\n      site.a: {type: text, key: h, description: d, lookup: {table: site-zones, match: api}}\n      site.b: {type: text, key: h, description: d, lookup: {table: site-zone, match: apis, field: contact}}\n",
        ),
    ]);
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, String)> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let codes: Vec<(&str, u64)> = got.iter().map(|(c, l, _)| (c.as_str(), *l)).collect();
    assert_eq!(
        codes,
        [
            ("unknown-domain-table", 6),
            ("unknown-table-field", 7),
            ("unknown-table-field", 7)
        ],
        "{got:?}"
    );
    assert!(
        got.iter()
            .all(|(_, _, f)| f.ends_with("site/artifacts.yaml"))
    );
    std::fs::write(
        dir.path().join("site/artifacts.yaml"),
        "artifacts:\n  - kind: site-conf\n    format: keyvalue\n    paths: ['**/etc/site/app.conf']\n    facts:\n      site.a: {type: int, key: h, description: d, lookup: {table: site-zone, match: api}}\n",
    )
    .unwrap();
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diags[0]["code"], "lookup-not-text", "{diags}");
    assert_eq!(diags[0]["line"], 6, "{diags}");
}
