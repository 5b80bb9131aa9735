//! `--redact`: no output format shows an original private value; the public SSE host names and
//! AWS regions the diagnosis needs stay.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;
use serde_json::Value;

mod common;
use common::fptriage;

fn run(args: &[&str]) -> String {
    let out = fptriage()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_format_hides_the_private_values() {
    let ipv4 = Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let ec2 = Regex::new(r"ec2-\d+-\d+-\d+-\d+").unwrap();
    for bundle in [
        "testdata/bundles/case-fmc-ftd.tar",
        "testdata/bundles/dns-failure.tar.gz",
        "testdata/bundles/ip-allowlist.tar.gz",
    ] {
        let plain = run(&["analyze", bundle, "--format", "json"]);
        let report: Value = serde_json::from_str(&plain).unwrap();
        let mut originals = BTreeSet::new();
        for d in report["devices"].as_array().unwrap() {
            originals.insert(d["name"].as_str().unwrap().to_string());
            originals.insert(d["id"].as_str().unwrap().to_string());
        }
        // A four-part version (`6.7.0.2 (build 24)`) looks like an address and stays readable.
        originals.extend(
            ipv4.find_iter(&plain)
                .filter(|m| !plain[m.end()..].starts_with(" (build"))
                .map(|m| m.as_str().to_string()),
        );
        originals.extend(ec2.find_iter(&plain).map(|m| m.as_str().to_string()));
        assert!(
            originals.len() >= 3,
            "{bundle}: too few private values to check: {originals:?}"
        );
        let map_dir = tempfile::tempdir().unwrap();
        let map = map_dir.path().join("map.json");
        for format in ["json", "md", "html"] {
            let redacted = run(&[
                "analyze",
                bundle,
                "--format",
                format,
                "--redact",
                "--redact-map",
                map.to_str().unwrap(),
                // The same map for each format: replacing it is asked for.
                "--overwrite-map",
            ]);
            for original in &originals {
                assert!(
                    !redacted.contains(original.as_str()),
                    "{bundle} ({format}) shows {original}"
                );
            }
            if format == "json" {
                // Device facts name the connector's SSE host: public, needed, kept.
                assert!(
                    redacted.contains("api-sse.cisco.com")
                        || redacted.contains("sse.itd.cisco.com"),
                    "{bundle} lost the SSE host names"
                );
            }
        }
        // The mapping reverses every placeholder.
        let mapping: Value = serde_json::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
        let values: BTreeSet<&str> = mapping
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap())
            .collect();
        for d in report["devices"].as_array().unwrap() {
            assert!(
                values.contains(d["name"].as_str().unwrap()),
                "{bundle}: map lacks {}",
                d["name"]
            );
        }
    }
}

#[test]
fn aws_regions_of_peers_stay_readable() {
    let bundle = Path::new("testdata/bundles/dns-failure.tar.gz");
    let redacted = run(&[
        "analyze",
        bundle.to_str().unwrap(),
        "--format",
        "json",
        "--redact",
    ]);
    assert!(
        redacted.contains(".compute-1.amazonaws.com"),
        "the AWS region part must stay"
    );
}

#[test]
fn batch_outputs_hide_the_private_values_too() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles");
    // A case file named after a device's UUID, as FDM downloads are.
    let uuid_name = "8efc6625-e7d1-5bb8-0e57-715b0f68156a-troubleshoot.tar";
    std::fs::copy(root.join("case-fmc-ftd.tar"), cases.join(uuid_name)).unwrap();
    std::fs::copy(
        root.join("dns-failure.tar.gz"),
        cases.join("dns-failure.tar.gz"),
    )
    .unwrap();
    let mut originals = BTreeSet::from([uuid_name[..36].to_string()]);
    for bundle in ["case-fmc-ftd.tar", "dns-failure.tar.gz"] {
        let plain = run(&[
            "analyze",
            root.join(bundle).to_str().unwrap(),
            "--format",
            "json",
        ]);
        let report: Value = serde_json::from_str(&plain).unwrap();
        for d in report["devices"].as_array().unwrap() {
            originals.insert(d["name"].as_str().unwrap().to_string());
            originals.insert(d["id"].as_str().unwrap().to_string());
        }
    }
    let out = dir.path().join("out");
    let map = dir.path().join("map.json");
    fptriage()
        .args(["batch", "--redact", "--jobs", "1"])
        .arg(&cases)
        .arg("--out")
        .arg(&out)
        .arg("--redact-map")
        .arg(&map)
        .assert()
        .code(0);
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        let name = entry
            .path()
            .strip_prefix(&out)
            .unwrap()
            .display()
            .to_string();
        for original in &originals {
            assert!(
                !name.contains(original.as_str()),
                "file name {name} shows {original}"
            );
        }
        if entry.file_type().is_file() {
            // Bytes, not text: triage.sqlite is binary (its strings are stored as UTF-8).
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for original in &originals {
                assert!(!text.contains(original.as_str()), "{name} shows {original}");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 7,
        "results.jsonl, summary.csv, index.html and 4 reports: {checked}"
    );
    let mapping = std::fs::read_to_string(&map).unwrap();
    assert!(mapping.contains(&uuid_name[..36]));
}

// ---------------------------------------------------------------------------------------------
// The planted corpus: every kind of private value, where the tool parses it or where a
// documented pattern covers it, in every artifact type, in the case folder's and the input
// file's names. The planted values are the oracle: none may survive in any output byte.

const ROOT: &str = "results-04-19-2020--143549";
const CASE: &str = "ACME-Bank-4711";
const INPUT: &str = "FTD-Edge1_ftd09.acme-corp.example.tar.gz";
const UUID: &str = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

/// Private values planted in the corpus (searched for without case).
const PLANTED: &[&str] = &[
    CASE,
    "FTD-Edge1",
    "ftd09.acme-corp.example",
    "gw1.acmebank.pl",
    "wiki.acme.md",
    UUID,
    "fe80::1ff:fe23:4567:890a",
    "2001:db8:85a3::8a2e:370:7334",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
    "2001:db8::99",
    "192.0.2.33",
    "198.51.100.7",
    "203.0.113.9",
    "FCH1944V0ZZ",
    "JMX1234Q0AB",
    "SNX9988776",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl",
    "Zq8sh0rt",
    "tk-4711-xyz",
    "pw1",
    "Hunter2pass",
    "abc.def123",
    "bob_admin",
    "erin",
    "frank",
    "dave.ops",
    "gina",
    "carol.smith",
    "acmebank-mail.pl",
    "00:1b:54:c2:9a:7f",
    "00-1B-54-C2-9A-80",
    "001b.54c2.9a81",
    "0f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "ivan.ops",
    "FDO2233K1LM",
];

/// Planted where the tool reads the artifact but no report shows the line (a netstat TCP row):
/// asserted absent, not asserted shown.
const PLANTED_UNSHOWN: &[&str] = &["2001:db8:77::5"];

/// Pieces of the planted IPv6 addresses: no half of one may stay either.
const IPV6_PIECES: &[&str] = &[
    "fe23:4567",
    "4567:890a",
    "8a2e:370",
    "ff00:0042",
    "db8:85a3",
];

/// Values that are not private and must stay readable.
const READABLE: &[&str] = &[
    "pmtool.sseconnector.state",
    "corpus/c1",
    "7.2.5",
    "api-sse.cisco.com",
    "/ngfw/Volume",
    "connector.log",
];

const CONNECTOR_LOG: &[&str] = &[
    "[FTD-Edge1][events.go:90 events:dial] dial tcp [fe80::1ff:fe23:4567:890a]:443 via gw1.acmebank.pl: connection refused",
    "[FTD-Edge1][docs.go:12 docs:see] see wiki.acme.md and https://gw1.acmebank.pl/x, cert ftd09.acme-corp.example.pem",
    "[FTD-Edge1][auth.go:7 auth:tok] got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl access_token=tk-4711-xyz client_secret=Zq8sh0rt",
    r#"[FTD-Edge1][lic.go:4 lic:read] {\"password\": \"pw1\", \"serialNumber\": \"FCH1944V0ZZ\"} Serial Num: JMX1234Q0AB SN: SNX9988776"#,
    "[FTD-Edge1][arp.go:5 arp:seen] macs 00:1b:54:c2:9a:7f, 00-1B-54-C2-9A-80, 001b.54c2.9a81 id 0f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "[FTD-Edge1][mail.go:6 mail:send] to carol.smith@acmebank-mail.pl over 2001:db8:85a3::8a2e:370:7334, 2001:0db8:0000:0000:0000:ff00:0042:8329 and ::ffff:192.0.2.33",
    "[FTD-Edge1][cfg.go:8 cfg:load] device FTD-Edge1 (ftd09.acme-corp.example) Authorization: Bearer abc.def123 password=Hunter2pass disk /ngfw/Volume full",
];

const SYSLOG: &[&str] = &[
    "FTD-Edge1 sshd[33277]: Accepted password for bob_admin from 198.51.100.7 port 51210 ssh2",
    "FTD-Edge1 sudo:   erin : TTY=pts/0 ; PWD=/home/erin ; USER=root ; COMMAND=/bin/ls",
    "FTD-Edge1 su: (to frank) root on pts/1",
    "FTD-Edge1 sshd[1]: Accepted publickey for dave.ops from 2001:db8::99 port 22 ssh2",
    "FTD-Edge1 kernel: ftd09.acme-corp.example talks to 203.0.113.9",
];

fn add(b: &mut tar::Builder<impl std::io::Write>, path: &str, data: &str) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_587_300_000);
    b.append_data(&mut h, format!("{ROOT}/{path}"), data.as_bytes())
        .unwrap();
}

fn add_loose(b: &mut tar::Builder<impl std::io::Write>, path: &str, data: &str) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_587_300_000);
    b.append_data(&mut h, path, data.as_bytes()).unwrap();
}

fn rule(dir: &Path, name: &str, when: &str) {
    std::fs::write(
        dir.join(format!("corpus/{name}.yaml")),
        format!(
            "id: corpus/{name}\ntitle: Planted {name}\nseverity: warning\ndescription: A planted line.\nwhen:\n{when}\nmessage: 'Planted {name}: {{{{ count }}}} line(s).'\nremediation: None.\n"
        ),
    )
    .unwrap();
}

/// Builds the case folder `cases/ACME-Bank-4711/` (a bundle named after the device, with a
/// licence and cloud settings beside its root) and a rule pack that surfaces every planted line.
fn corpus(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let case = dir.join("cases").join(CASE);
    std::fs::create_dir_all(&case).unwrap();
    let file = std::fs::File::create(case.join(INPUT)).unwrap();
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    add(&mut b, "dir-archives/etc/hostname", "FTD-Edge1\n");
    add(
        &mut b,
        "dir-archives/etc/sf/ims.conf",
        &format!("SWVERSION=7.2.5\nSWBUILD=208\nAPPLIANCE_UUID={UUID}\nMODEL_TYPE=CONSOLE\n"),
    );
    add(
        &mut b,
        "dir-archives/etc/sf/sf-version",
        "Cisco Firepower Management Center for VMWare v7.2.5 (build 208) / Cisco Fire Linux OS v7.2.5 (build 6)\n",
    );
    add(
        &mut b,
        "dir-archives/etc/sf/connector.properties",
        "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api-sse.cisco.com\n",
    );
    let log: String = CONNECTOR_LOG
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "time=\"2020-04-19T14:0{i}:00.000000000-05:00\" level=error msg=\"{l} marker-c{}\"\n",
                i + 1
            )
        })
        .collect();
    add(&mut b, "dir-archives/var-log/connector/connector.log", &log);
    let syslog: String = SYSLOG
        .iter()
        .enumerate()
        .map(|(i, l)| format!("Apr 19 06:4{i}:00 {l} marker-s{}\n", i + 1))
        .collect();
    add(&mut b, "dir-archives/var-log/messages", &syslog);
    add(
        &mut b,
        "command-outputs/usr-sbin-lsof -i.output",
        "COMMAND     PID  USER   FD   TYPE     DEVICE SIZE/OFF NODE NAME\n\
         connector 60815  gina   12u  IPv4    3377777      0t0  TCP ftd09.acme-corp.example:53426->gw1.acmebank.pl:https (SYN_SENT)\n",
    );
    add(
        &mut b,
        "command-outputs/bin-netstat -anlp.output",
        "Active Internet connections (servers and established)\n\
         Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n\
         tcp6       0      0 2001:db8:77::5:8305     2001:db8:85a3::8a2e:370:7334:51522 ESTABLISHED 3120/sftunnel\n",
    );
    add(
        &mut b,
        "command-outputs/usr-bin-curl localhost:8989-v1-contexts-default.output",
        r#"{"id": "default", "clientInfo": {"id": "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "FTD-Edge1", "type": "FMC"}, "settings": {"exchange": {"fqdn": "gw1.acmebank.pl"}}, "status": "Enrolled"}"#,
    );
    add(
        &mut b,
        "command-outputs/curl -v https:--api-sse.cisco.com.output",
        "* Rebuilt URL to: https://api-sse.cisco.com/\n*   Trying 2001:db8::99...\n* Connected to api-sse.cisco.com (2001:db8::99) port 443 (#0)\n> GET / HTTP/1.1\n> Host: api-sse.cisco.com\n> Authorization: Bearer abc.def123\n",
    );
    // A licence and cloud settings saved beside the bundle root (loose files), named after the
    // device, each in one line.
    add_loose(
        &mut b,
        "licence-FTD-Edge1.json",
        r#"{"items": [{"type": "SmartLicense", "smartLicenseStatus": {"registrationStatus": "EVALUATION", "serialNumber": "FDO2233K1LM", "user": "carol.smith@acmebank-mail.pl"}}]}"#,
    );
    add_loose(
        &mut b,
        "cloud-FTD-Edge1.json",
        r#"{"items": [{"type": "CloudEventsConfig", "sendIntrusionEvents": false, "sendFileEvents": false, "sendConnectionEvents": false, "modifiedBy": "ivan.ops@acmebank-mail.pl"}]}"#,
    );
    // A link named after the host: its name shows in a warning.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    b.append_link(
        &mut h,
        format!("{ROOT}/dir-archives/etc/ssl/ftd09.acme-corp.example.pem"),
        "/etc/ssl/wiki.acme.md.crt",
    )
    .unwrap();
    b.into_inner().unwrap().finish().unwrap();
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("corpus")).unwrap();
    for i in 1..=CONNECTOR_LOG.len() {
        rule(
            &rules,
            &format!("c{i}"),
            &format!("  lines:\n    artifact: connector-log\n    regex: 'marker-c{i}\\b'"),
        );
    }
    for i in 1..=SYSLOG.len() {
        rule(
            &rules,
            &format!("s{i}"),
            &format!("  lines:\n    artifact: syslog\n    regex: 'marker-s{i}\\b'"),
        );
    }
    rule(
        &rules,
        "peers",
        "  fact: connector.tcp.syn_sent\n  at_least: 1",
    );
    rule(&rules, "context", "  fact: context.fqdn\n  exists: true");
    rule(
        &rules,
        "cloud",
        "  fact: cloud.events.enabled\n  equals: false",
    );
    rule(
        &rules,
        "licence",
        "  fact: license.registration\n  equals: EVALUATION",
    );
    rule(
        &rules,
        "needs-pmtool",
        "  fact: pmtool.sseconnector.state\n  equals: Running",
    );
    (case, rules)
}

/// Every planted value that `text` still shows, with the text around it.
fn survivors(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    PLANTED
        .iter()
        .chain(PLANTED_UNSHOWN)
        .chain(IPV6_PIECES)
        .filter_map(|v| {
            let at = lower.find(&v.to_ascii_lowercase())?;
            let (mut from, mut to) = (at.saturating_sub(60), (at + v.len() + 60).min(text.len()));
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to += 1;
            }
            Some(format!("{v} in …{}…", &text[from..to]))
        })
        .collect()
}

#[test]
fn planted_corpus_leaves_nothing_behind_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let (case, rules) = corpus(dir.path());
    let input = case.join(INPUT);
    let base = |format: &str| -> Vec<String> {
        [
            "analyze",
            input.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // The plain report shows every planted value: the corpus tests something.
    let plain = {
        let args = base("json");
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let lower = plain.to_ascii_lowercase();
    let missing: Vec<&&str> = PLANTED
        .iter()
        .filter(|v| !lower.contains(&v.to_ascii_lowercase()))
        .collect();
    assert!(missing.is_empty(), "the plain report lacks {missing:?}");
    let map = dir.path().join("map.json");
    let mut redacted_json = String::new();
    for format in ["json", "md", "html"] {
        let mut args = base(format);
        args.extend(
            [
                "--redact",
                "--redact-map",
                map.to_str().unwrap(),
                "--overwrite-map",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let left = survivors(&out);
        assert!(left.is_empty(), "{format} shows {left:?}");
        // What the plain report of this format shows readable, the redacted one shows too (the
        // JSON shows all of them).
        let plain_format = {
            let args = base(format);
            run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        for r in READABLE {
            if format == "json" || plain_format.contains(r) {
                assert!(out.contains(r), "{format} lost the readable {r}");
            }
        }
        if format == "json" {
            redacted_json = out;
        }
    }
    // The map keeps each original exactly and round-trips: restoring the placeholders of the
    // redacted JSON gives the plain JSON back, byte for byte.
    let mapping: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
    assert!(
        mapping.values().any(|v| v == "FTD-Edge1"),
        "case lost: {mapping:?}"
    );
    assert!(mapping.values().any(|v| v == CASE), "{mapping:?}");
    let restored = fptriage::report::redact::restore(&redacted_json, &mapping);
    if restored != plain {
        let diff: Vec<(&str, &str)> = plain
            .lines()
            .zip(restored.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .collect();
        panic!("the map does not round-trip: {diff:#?}");
    }
}

#[test]
fn planted_corpus_leaves_nothing_behind_in_batch_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (case, rules) = corpus(dir.path());
    // A case that fails: its error quotes its name.
    let broken = dir
        .path()
        .join("cases/gw1.acmebank.pl-FTD-Edge1-broken.tar.gz");
    std::fs::write(&broken, b"not an archive at all").unwrap();
    let out = dir.path().join("out");
    let map = dir.path().join("map.json");
    fptriage()
        .args(["batch", "--redact", "--jobs", "1", "--rules"])
        .arg(&rules)
        .arg(case.parent().unwrap())
        .arg("--out")
        .arg(&out)
        .arg("--redact-map")
        .arg(&map)
        .assert()
        .code(0);
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        let name = entry
            .path()
            .strip_prefix(&out)
            .unwrap()
            .display()
            .to_string();
        let left = survivors(&name);
        assert!(left.is_empty(), "file name {name} shows {left:?}");
        if entry.file_type().is_file() {
            // Bytes, not text: triage.sqlite is binary (its strings are stored as UTF-8).
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let left = survivors(&text);
            assert!(left.is_empty(), "{name} shows {left:?}");
            checked += 1;
        }
    }
    assert!(
        checked >= 5,
        "results.jsonl, summary.csv, index.html, reports: {checked}"
    );
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert!(results.contains("\"error\""), "{results}");
    assert!(results.contains("corpus/c1"), "rule ids stay readable");
    let mapping: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
    assert!(mapping.values().any(|v| v == CASE), "{mapping:?}");
}

#[test]
fn planted_corpus_leaves_nothing_behind_in_facts() {
    let dir = tempfile::tempdir().unwrap();
    let (case, rules) = corpus(dir.path());
    let input = case.join(INPUT);
    let facts = |extra: &[&str]| -> String {
        let mut args = vec![
            "facts",
            input.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    for format in ["text", "json"] {
        let plain = facts(&["--format", format]);
        // The plain listing shows private values: the corpus tests something here too.
        let shown: Vec<&&str> = PLANTED
            .iter()
            .filter(|v| plain.to_ascii_lowercase().contains(&v.to_ascii_lowercase()))
            .collect();
        assert!(
            shown.len() >= 5,
            "{format}: the plain facts show too few planted values: {shown:?}"
        );
        let redacted = facts(&["--format", format, "--redact"]);
        let left = survivors(&redacted);
        assert!(left.is_empty(), "facts --format {format} shows {left:?}");
        // Fact names and the public values the diagnosis needs stay readable.
        for name in ["connector.fqdn", "connector.port", "device.name"] {
            assert!(
                redacted.contains(name),
                "{format} lost the fact name {name}"
            );
        }
        for r in READABLE {
            if plain.contains(r) {
                assert!(redacted.contains(r), "{format} lost the readable {r}");
            }
        }
    }
}

#[test]
fn stderr_is_redacted_too_read_errors_and_damage_included() {
    let dir = tempfile::tempdir().unwrap();
    let private = "ACME-Bank-4711_ftd09.acme-corp.example";
    let cut = dir.path().join(format!("{private}.tar.gz"));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bundles/dns-failure-cut.tar.gz"),
        &cut,
    )
    .unwrap();
    let broken = dir.path().join(format!("{private}-broken.tar.gz"));
    std::fs::write(&broken, b"not an archive").unwrap();
    let stderr = |args: &[&str]| -> String {
        let out = fptriage().args(args).output().unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    let report = dir.path().join("r.json");
    let (cut, broken, report) = (
        cut.to_str().unwrap(),
        broken.to_str().unwrap(),
        report.to_str().unwrap(),
    );
    let runs: [&[&str]; 3] = [
        &["analyze", cut, "--format", "json", "-o", report],
        &["analyze", broken],
        &["facts", cut],
    ];
    for args in runs {
        // Without --redact, stderr names the input (damage, read errors): the check can fail.
        let plain = stderr(args);
        assert!(plain.contains(private), "{args:?}: {plain}");
        let mut redacted_args = args.to_vec();
        redacted_args.push("--redact");
        let redacted = stderr(&redacted_args);
        assert!(
            !redacted.contains("ACME-Bank-4711") && !redacted.contains("acme-corp"),
            "{args:?} --redact: {redacted}"
        );
        assert!(
            redacted.contains("partial upload") || redacted.contains("not a bundle"),
            "{args:?} --redact says why: {redacted}"
        );
    }
}
