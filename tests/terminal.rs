//! What a person sees: the terminal view, the stderr lines of `analyze -o`, `--help`, a closed
//! pipe, `facts` text; and the report in Japanese (`--lang ja`, the locale), rules included.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;

use common::{bundle, fptriage};
use fptriage::artifacts::ArtifactMap;
use fptriage::i18n::Lang;
use fptriage::limits::Limits;
use fptriage::report::{Report, terminal};
use fptriage::rules::{i18n, load};

const MULTI: &str = "testdata/bundles/multi-cause.tar.gz";

/// The report model of a bundle, as `analyze` builds it, in `lang`.
fn model(path: &str, lang: Lang) -> serde_json::Value {
    let (mut rules, problems) = load::load(&load::builtin_sources());
    assert!(problems.is_empty(), "{problems:?}");
    i18n::localize(&mut rules, lang);
    let analysis = fptriage::pipeline::analyze(
        &[PathBuf::from(path)],
        &ArtifactMap::builtin(),
        &rules,
        &Limits::default(),
    )
    .unwrap();
    serde_json::to_value(Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        &rules,
    ))
    .unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = fptriage()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn terminal_view_snapshots() {
    let en = model(MULTI, Lang::En);
    let plain = terminal::render(&en, Lang::En, false);
    assert!(!plain.contains('\x1b'));
    insta::assert_snapshot!("terminal_multi_cause", plain);
    let colour = terminal::render(&en, Lang::En, true);
    // Colour changes only the escapes: without them the text is the same.
    let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(&colour, "");
    assert_eq!(stripped, plain);
    assert!(colour.contains("\x1b[1;31mCRITICAL\x1b[0m"), "{colour}");
    insta::assert_snapshot!("terminal_multi_cause_colour", colour);
    let ja = terminal::render(&model(MULTI, Lang::Ja), Lang::Ja, false);
    insta::assert_snapshot!("terminal_multi_cause_ja", ja);
}

#[test]
fn the_terminal_view_of_a_healthy_case_says_so() {
    let text = terminal::render(
        &model("testdata/bundles/healthy-ftd.tar.gz", Lang::En),
        Lang::En,
        false,
    );
    assert!(
        text.contains("Verdict\n  No warning or critical finding.\n"),
        "{text}"
    );
}

#[test]
fn the_terminal_view_of_a_partial_upload_says_so_first() {
    let text = terminal::render(
        &model("testdata/bundles/dns-failure-cut.tar.gz", Lang::En),
        Lang::En,
        false,
    );
    assert!(
        text.starts_with(
            "Damage: this is a partial upload\n  testdata/bundles/dns-failure-cut.tar.gz is damaged (truncated-archive): "
        ),
        "{text}"
    );
    assert!(text.contains("\n\nVerdict\n  1. CRITICAL "), "{text}");
    // Evidence is shown from the device's bundle root.
    assert!(
        text.contains("\n    command-outputs/usr-bin-lsof -i.output:6  connector "),
        "{text}"
    );
}

#[test]
fn japanese_report_snapshots() {
    for (format, ext) in [("md", "md"), ("json", "json"), ("html", "html")] {
        let (code, out, err) = run(&["analyze", MULTI, "--lang", "ja", "--format", format]);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("multi_cause_ja_{ext}"), out);
    }
}

#[test]
fn japanese_keeps_ids_evidence_references_and_json_keys() {
    let (_, en, _) = run(&["analyze", MULTI, "--lang", "en", "--format", "json"]);
    let (_, ja, _) = run(&["analyze", MULTI, "--lang", "ja", "--format", "json"]);
    let en: serde_json::Value = serde_json::from_str(&en).unwrap();
    let ja: serde_json::Value = serde_json::from_str(&ja).unwrap();
    fn keys(v: &serde_json::Value, out: &mut Vec<String>, at: &str) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                out.push(format!("{at}.{k}"));
                keys(v, out, &format!("{at}.{k}"));
            }),
            serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out, at)),
            _ => {}
        }
    }
    let (mut ke, mut kj) = (Vec::new(), Vec::new());
    keys(&en, &mut ke, "");
    keys(&ja, &mut kj, "");
    assert_eq!(ke, kj);
    for (e, j) in en["findings"]
        .as_array()
        .unwrap()
        .iter()
        .zip(ja["findings"].as_array().unwrap())
    {
        for same in [
            "id",
            "rule",
            "severity",
            "evidence",
            "references",
            "device_name",
        ] {
            assert_eq!(e[same], j[same], "{same}");
        }
        assert_ne!(e["message"], j["message"]);
        assert_ne!(e["title"], j["title"]);
    }
}

#[test]
fn the_locale_picks_the_language_and_lang_overrides_it() {
    let md = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = fptriage();
        c.current_dir(env!("CARGO_MANIFEST_DIR"));
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.args(["analyze", MULTI]).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(md(&[("LANG", "ja_JP.UTF-8")], &[]).starts_with("# fptriage レポート"));
    assert!(md(&[("LANG", "ja_JP.UTF-8"), ("LC_ALL", "C")], &[]).starts_with("# fptriage report"));
    assert!(md(&[("LANG", "ja_JP.UTF-8")], &["--lang", "en"]).starts_with("# fptriage report"));
    assert!(md(&[], &[]).starts_with("# fptriage report"));
}

#[test]
fn every_built_in_rule_has_a_japanese_translation() {
    let (set, problems) = load::load(&load::builtin_sources());
    assert!(problems.is_empty(), "{problems:?}");
    assert!(set.rules.len() >= 16);
    for rule in &set.rules {
        assert_eq!(
            rule.untranslated_fields(Lang::Ja),
            Vec::<&str>::new(),
            "{} lacks Japanese texts",
            rule.id
        );
        let ja = rule.translation(Lang::Ja).unwrap();
        // A translation, not a copy.
        assert_ne!(
            ja.title.as_deref(),
            Some(rule.title.as_str()),
            "{}",
            rule.id
        );
    }
    assert!(i18n::untranslated(&set).is_empty());
    let (code, out, _) = run(&["rules", "lint", "--deny", "warnings"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("warning["), "{out}");
}

#[test]
fn lint_warns_on_an_untranslated_built_in_rule_without_failing() {
    let (mut set, _) = load::load(&load::builtin_sources());
    set.rules[0].translations.clear();
    let warnings = i18n::untranslated(&set);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, "untranslated-rule");
    let text = fptriage::authoring::lint::render(&warnings[0], false);
    assert!(text.starts_with("warning[untranslated-rule]"), "{text}");
}

#[test]
fn every_word_the_templates_translate_is_in_the_catalogue() {
    let tr = regex::Regex::new(r#"\btr\("((?:[^"\\]|\\.)*)""#).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("report-templates");
    let mut keys = 0;
    let mut per_template = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mine: &mut usize = per_template.entry(name).or_default();
        for c in tr.captures_iter(&text) {
            keys += 1;
            *mine += 1;
            assert!(
                fptriage::report::i18n::text(&c[1], Lang::Ja).is_some(),
                "{}: `{}` has no Japanese text",
                path.display(),
                &c[1]
            );
        }
    }
    assert!(keys > 50, "{keys}");
    // Every built-in template writes its words through tr(), the batch index included.
    for name in [
        "report.html",
        "report.md",
        "diff.html",
        "diff.md",
        "index.html",
    ] {
        let n = per_template.get(name).copied().unwrap_or(0);
        assert!(n > 10, "{name}: {n} tr() calls");
    }
    assert!(per_template.values().all(|n| *n > 0), "{per_template:?}");
    // The model's words shown through tr().
    for word in [
        "critical",
        "warning",
        "info",
        "missing-data",
        "cut-off",
        "no-time",
        "started",
        "last seen",
        "recovered",
        // The index's severities of a case (index.html: tr(c.severity)).
        "none",
        "error",
    ] {
        assert!(
            fptriage::report::i18n::text(word, Lang::Ja).is_some(),
            "{word}"
        );
    }
}

#[test]
fn analyze_to_a_file_names_the_root_causes_on_stderr_unless_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r.html");
    let out_s = out.to_str().unwrap();
    let (code, stdout, stderr) = run(&["analyze", MULTI, "-o", out_s]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        format!(
            "fptriage: CRITICAL: Smart Licensing is in evaluation mode on fmc-dc1\n\
             fptriage: report written to {out_s}\n"
        )
    );
    let (_, _, stderr) = run(&["analyze", MULTI, "-o", out_s, "--lang", "ja"]);
    assert!(
        stderr.starts_with("fptriage: 重大: スマートライセンスが評価モードです"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["analyze", MULTI, "-o", out_s, "--quiet"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, "");
    // A healthy case: no root-cause line, only where the report went.
    let (_, _, stderr) = run(&[
        "analyze",
        bundle("healthy-ftd.tar.gz").to_str().unwrap(),
        "-o",
        out_s,
    ]);
    assert_eq!(stderr, format!("fptriage: report written to {out_s}\n"));
}

#[test]
fn a_pipe_gets_markdown() {
    // Not a terminal (the test captures stdout): Markdown, the stable format.
    let (_, out, _) = run(&["analyze", MULTI]);
    assert!(out.starts_with("# fptriage report\n"), "{out}");
}

#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    for args in [
        vec!["facts", "--list"],
        vec!["facts", MULTI],
        vec!["analyze", MULTI, "--format", "html"],
        vec!["rules", "list"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fptriage"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn facts_lists_absent_facts_and_empty_lists() {
    let (code, out, _) = run(&["facts", MULTI]);
    assert_eq!(code, 0);
    // A fact this FMC bundle has no source for is listed, as absent.
    let absent = out
        .lines()
        .find(|l| l.trim_start().starts_with("curl.failed_hosts "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(absent.ends_with("(absent)"), "{absent}");
    let empty = out
        .lines()
        .find(|l| l.trim_start().starts_with("connector.tcp.peers "))
        .unwrap();
    assert!(empty.contains("= []"), "{empty}");
    let list = out
        .lines()
        .find(|l| l.trim_start().starts_with("connector.peer_regions "))
        .unwrap();
    assert!(list.contains("= [US]"), "{list}");
    for f in fptriage::facts::registry::builtin().iter() {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{} ", f.name))),
            "{} is not listed",
            f.name
        );
    }
}

#[test]
fn help_has_examples_exit_codes_defaults_and_descriptions() {
    let (_, top, _) = run(&["--help"]);
    assert!(top.contains("Examples:"), "{top}");
    assert!(top.contains("Exit codes:"), "{top}");
    assert!(top.contains("rules test"), "{top}");
    let (_, analyze, _) = run(&["analyze", "--help"]);
    assert!(analyze.contains("Examples:"));
    assert!(analyze.contains("  130 "), "{analyze}");
    assert!(
        analyze.contains("Decompressed bytes read from one member [default: 4 GiB]"),
        "{analyze}"
    );
    assert!(analyze.contains("[default: 64 KiB]"));
    assert!(analyze.contains("--lang <LANG>"));
    // What the help shows as a default is accepted back.
    let (code, _, err) = run(&["analyze", MULTI, "--max-member-bytes", "4 GiB"]);
    assert_eq!(code, 0, "{err}");
    let (_, list, _) = run(&["rules", "list", "--help"]);
    assert!(list.contains("--rules <DIR>  Rule folder"), "{list}");
    let (_, explain, _) = run(&["rules", "explain", "--help"]);
    assert!(explain.contains("<ID>  The rule's id"), "{explain}");
    let (_, rules, _) = run(&["rules", "--help"]);
    assert!(rules.contains("test"), "{rules}");
    for command in ["facts", "analyze", "diff", "batch", "rules"] {
        let (code, help, _) = run(&[command, "--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("Examples:\n  fptriage "), "{command}: {help}");
        assert!(help.contains("Exit codes:"), "{command}: {help}");
    }
}

#[test]
fn diff_speaks_japanese_too() {
    let (code, out, err) = run(&[
        "diff",
        MULTI,
        "testdata/bundles/diff/_multi-cause-partly-fixed.tar.gz",
        "--lang",
        "ja",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# fptriage 差分\n"), "{out}");
    assert!(out.contains("## 解決済み"), "{out}");
    assert!(
        out.contains(
            "`sse/license-evaluation` （根本原因） （fmc-dc1）: スマートライセンスが評価モードです"
        ),
        "{out}"
    );
}

#[test]
fn redacted_runs_name_no_device_on_stderr_or_in_the_terminal_view() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r.md");
    let (code, _, stderr) = run(&[
        "analyze",
        "testdata/bundles/dns-failure.tar.gz",
        "--redact",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("ftd-dmz-a"), "{stderr}");
    assert!(
        stderr.contains("CRITICAL: DNS cannot resolve SSE hosts on HOST-1"),
        "{stderr}"
    );
    // The terminal view renders the model it is given: a redacted one stays redacted.
    let (rules, _) = load::load(&load::builtin_sources());
    let analysis = fptriage::pipeline::analyze(
        &[bundle("dns-failure.tar.gz")],
        &ArtifactMap::builtin(),
        &rules,
        &Limits::default(),
    )
    .unwrap();
    let report = Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        &rules,
    );
    let mut redactor = fptriage::report::redact::Redactor::new(&rules.domain);
    redactor.keep_readable(rules.rules.iter().map(|r| r.id.as_str()));
    let model = report.redacted(&mut redactor).unwrap();
    let text = terminal::render(&model, Lang::En, false);
    assert!(!text.contains("ftd-dmz-a"), "{text}");
    assert!(text.contains("HOST-1"), "{text}");
}
