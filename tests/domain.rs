//! Domain tables are data: the engine names no SSE host or region, a pack's `domain.yaml` is
//! linted with places like a rule, and a pack extends the built-in tables without Rust.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{fptriage, json_run, pack};

/// Values that belong in `rules/sse/domain.yaml`, never in the engine.
const DOMAIN_VALUES: &[&str] = &[
    "sse.itd.cisco.com",
    "api-sse.cisco.com",
    "est.sco.cisco.com",
    "cisco.com\"",
    "\"US\"",
    "\"EU\"",
    "\"APJC\"",
    "\"APJ\"",
    "\"AUS\"",
    "\"IN\"",
    "\"NAM\"",
    "\"EUROPE\"",
    "\"AUSTRALIA\"",
    "\"INDIA\"",
    // Hit keys are a type (`HitKey`), not a prefix convention.
    "\"addr:",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file: before its unit tests, without comment lines.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l))
}

#[test]
fn the_engine_names_no_domain_value() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 40, "src/ has {} Rust files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code_lines(&text) {
            for value in DOMAIN_VALUES {
                if line.contains(value) {
                    found.push(format!(
                        "{}:{n}: {value} in {}",
                        file.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "domain values in the engine:\n{}",
        found.join("\n")
    );
    // The values searched for are the ones the pack carries: the search looks for the right thing.
    let table = std::fs::read_to_string(root.join("rules/sse/domain.yaml")).unwrap();
    for value in [
        "sse.itd.cisco.com",
        "api-sse.cisco.com",
        "est.sco.cisco.com",
        "APJC",
    ] {
        assert!(
            table.contains(value),
            "{value} not in rules/sse/domain.yaml"
        );
    }
    // And the filter keeps code: a literal in code is found.
    let sample =
        "//! api-sse.cisco.com\nconst X: &str = \"US\";\n#[cfg(test)]\nconst Y: &str = \"EU\";\n";
    let kept: Vec<_> = code_lines(sample).collect();
    assert_eq!(kept, [(2, "const X: &str = \"US\";")]);
}

#[test]
fn lint_finds_every_mistake_in_a_domain_file_with_its_place() {
    let dir = pack(&[(
        "site/domain.yaml",
        "classes:\n  proxy:\n    hosts: ['proxy..example.net', '*.ok.example.net']\ntables:\n  sites:\n    fields: [api]\n    entries:\n      - name: north\n        fields: {apl: api.example.net}\n      - name: south\n        aliases: [NORTH]\n",
    )]);
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, u64, bool)> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["file"].as_str().unwrap().ends_with("site/domain.yaml"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("invalid-host-pattern".to_string(), 3, 13, true),
            ("unknown-table-field".to_string(), 9, 23, true),
            ("duplicate-entry".to_string(), 11, 19, true),
        ]
    );
    let text = String::from_utf8(
        fptriage()
            .args(["rules", "lint"])
            .arg(dir.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("error[invalid-host-pattern]"), "{text}");
    assert!(text.contains("domain.yaml:3:13"), "{text}");
}

#[test]
fn lint_finds_an_exception_that_excepts_nothing() {
    // `site` excepts a host its hosts do not cover; `public` extends the built-in class with an
    // exception only, which is checked against no hosts of this file.
    let dir = pack(&[(
        "site/domain.yaml",
        "classes:\n  proxy:\n    hosts: ['**.proxy.example.net']\n    except: ['**.lab.proxy.example.net', '**.lab.example.net']\n  public:\n    except: ['**.tenants.example.org']\n",
    )]);
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&str, u64, u64)> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("except-outside-class", 4, 42)], "{diags}");
}

const PROXY_RULE: &str = "id: site/proxy-errors\ntitle: Proxy errors\nseverity: warning\ndescription: d\nwhen:\n  lines:\n    artifact: connector-log\n    regex: 'proxyconnect tcp'\n    host: proxy\nmessage: '{{ count }} on {{ hosts | join(\", \") }}'\nremediation: r\n";

#[test]
fn a_rule_names_a_host_class_its_pack_declares() {
    let without = pack(&[("site/proxy-errors.yaml", PROXY_RULE)]);
    let out = fptriage()
        .args(["rules", "lint", "--format", "json"])
        .arg(without.path())
        .output()
        .unwrap();
    let diags: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diags[0]["code"], "unknown-host-filter", "{diags}");
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(9), Some(11))
    );
    let with = pack(&[
        ("site/proxy-errors.yaml", PROXY_RULE),
        (
            "site/domain.yaml",
            "classes:\n  proxy:\n    description: The site's proxies.\n    hosts: ['**.proxy.example.net']\n",
        ),
    ]);
    fptriage()
        .args(["rules", "lint"])
        .arg(with.path())
        .assert()
        .code(0);
}

/// A pack adds a region to the built-in table: its API host is then an SSE API host of that
/// region, and its eventing host where address-only lines go, with no change to the engine.
#[test]
fn a_pack_adds_a_region_to_the_builtin_table() {
    let bundle = pack(&[
        (
            "b/results-04-19-2020--143549/dir-archives/etc/sf/sf-version",
            "Cisco Firepower Management Center for VMWare v7.2.5 (build 208)\n",
        ),
        (
            "b/results-04-19-2020--143549/dir-archives/etc/hostname",
            "fmc-dc1\n",
        ),
        (
            "b/results-04-19-2020--143549/dir-archives/etc/sf/connector.properties",
            "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api.mars.example.net\n",
        ),
    ]);
    let input = bundle.path().join("b");
    let facts = |report: &Value| report["devices"][0]["facts"].clone();
    let (before, _) = json_run([Path::new("facts"), &input]);
    assert_eq!(facts(&before)["connector.fqdn.region"]["value"], "unknown");
    assert!(facts(&before).get("sse.region").is_none(), "{before}");
    let rules = pack(&[(
        "site/domain.yaml",
        "tables:\n  sse-region:\n    fields: [api, eventing]\n    entries:\n      - name: MARS\n        aliases: [RED PLANET]\n        hosts: ['**.mars.example.net']\n        fields: {api: api.mars.example.net, eventing: ev.mars.example.net}\n",
    )]);
    let (after, _) = json_run([
        Path::new("facts"),
        &input,
        Path::new("--rules"),
        rules.path(),
    ]);
    assert_eq!(
        facts(&after)["connector.fqdn.region"]["value"],
        "MARS",
        "{after}"
    );
    assert_eq!(facts(&after)["sse.region"]["value"], "MARS", "{after}");
    // The built-in regions are still there.
    let us = pack(&[(
        "b/results-04-19-2020--143549/dir-archives/etc/sf/connector.properties",
        "connector_fqdn=api-sse.cisco.com\n",
    )]);
    let (us_facts, _) = json_run([
        Path::new("facts"),
        &us.path().join("b"),
        Path::new("--rules"),
        rules.path(),
    ]);
    assert_eq!(
        facts(&us_facts)["connector.fqdn.region"]["value"],
        "US",
        "{us_facts}"
    );
}
