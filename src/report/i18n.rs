//! The report's own words in each language: the catalogue behind the templates' `tr` function.
//!
//! Templates write English and wrap it: `{{ tr("Verdict") }}`, with named places for values,
//! `{{ tr("on {device}", device=v.device_name) }}`. The English text is the key (as with
//! gettext), so English output is the template's text itself and a key with no translation
//! stays readable. The catalogue's text is ours and inserted as it is; every value put into a
//! place is escaped for the template's format (HTML or Markdown) like any other value, unless it
//! is already marked safe (the output of `mdcode`, a `{% set %}` block). A key that is not in the
//! catalogue (a user template's own, or a value from the model) is escaped as a value.
//!
//! Values the model holds as English words (severities, "not evaluated" reasons, timeline
//! events) are keys too: `{{ tr(f.severity) }}`.

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, State};

use crate::i18n::Lang;

/// (English, Japanese). Menu and process names stay in English, as in the Japanese TechNote.
pub static CATALOGUE: &[(&str, &str)] = &[
    ("fptriage report", "fptriage レポート"),
    (
        "Damage: this is a partial upload",
        "破損: 部分的なアップロードです",
    ),
    (
        "{path} is damaged ({code}): {message}.",
        "{path} は破損しています（{code}）: {message}。",
    ),
    ("Last member read whole:", "最後まで読めた最後のメンバー:"),
    ("none", "なし"),
    ("{n} bytes read", "{n} バイト読み取り済み"),
    (
        "Ask the customer for a complete upload. Checks whose data is missing on a damaged bundle are listed as not evaluated (cut off).",
        "お客様に完全なアップロードを依頼してください。破損したバンドルでデータが欠けているチェックは、未評価（途中で切断）として一覧にしています。",
    ),
    ("Verdict", "結論"),
    (
        "This verdict rests on a partial upload (see Damage above).",
        "この結論は部分的なアップロードに基づいています（上の「破損」を参照）。",
    ),
    ("on {device}", "（{device}）"),
    ("(explains {n} symptom{s})", "（症状 {n} 件を説明）"),
    ("Fix:", "対処:"),
    (
        "No warning or critical finding.",
        "警告・重大の検出結果はありません。",
    ),
    (
        "No warning or critical finding: no device could be read.",
        "警告・重大の検出結果はありません: 読み取れたデバイスがありません。",
    ),
    ("Findings", "検出結果"),
    ("recovered", "回復済み"),
    ("evidence", "証拠"),
    ("Evidence ({n})", "証拠（{n}）"),
    ("member", "メンバー"),
    ("line", "行"),
    ("text", "テキスト"),
    ("count", "件数"),
    ("first seen", "初回"),
    ("last seen", "最終"),
    ("symptom:", "症状:"),
    ("No findings.", "検出結果はありません。"),
    ("Devices", "デバイス"),
    ("device", "デバイス"),
    ("kind", "種類"),
    ("version", "バージョン"),
    ("region", "地域"),
    ("licence", "ライセンス"),
    ("cloud events", "クラウドイベント"),
    ("EH socket", "EH ソケット"),
    ("connector TCP", "コネクタ TCP"),
    ("Timeline", "タイムライン"),
    ("time", "時刻"),
    ("event", "イベント"),
    ("finding", "検出結果"),
    ("Not evaluated", "未評価"),
    ("check", "チェック"),
    ("reason", "理由"),
    ("needs", "必要なデータ"),
    ("ask the customer for", "お客様に依頼するもの"),
    (
        "Errors no rule explains",
        "どのルールでも説明できないエラー",
    ),
    (
        "{n} error-level log line(s) that no rule's pattern matches, as templates (variable parts masked).",
        "どのルールのパターンにも一致しないエラーレベルのログ行 {n} 行（テンプレート化し、可変部分はマスク）。",
    ),
    (
        "{n} error-level log line(s) that no rule's pattern matches, as templates (variable parts masked)",
        "どのルールのパターンにも一致しないエラーレベルのログ行 {n} 行（テンプレート化し、可変部分はマスク）",
    ),
    (
        "{n} more counted but not kept",
        "ほかに {n} 行を数えましたが保持していません",
    ),
    (".", "。"),
    ("lines", "行数"),
    ("log", "ログ"),
    ("template", "テンプレート"),
    ("Bundle", "バンドル"),
    ("inputs:", "入力:"),
    ("Inputs:", "入力:"),
    ("tool:", "ツール:"),
    ("{n} rules", "ルール {n} 件"),
    ("Rules from {origins}.", "ルールの出所: {origins}。"),
    ("{n} device(s) from {inputs}", "{inputs} のデバイス {n} 台"),
    ("{n} artifacts", "アーティファクト {n} 件"),
    (
        "listed ({n} more not listed: --max-inventory-rows)",
        "を一覧（ほかに {n} 件は非表示: --max-inventory-rows）",
    ),
    ("in {bundle}", "（{bundle} 内）"),
    ("time zone", "タイムゾーン"),
    (
        "unknown (syslog read as UTC)",
        "不明（syslog は UTC として読み取り）",
    ),
    ("damaged", "破損"),
    ("managed by {fmc} ({how})", "{fmc} が管理（{how}）"),
    (
        "matched by the identifier in its show managers",
        "show managers の Identifier で照合",
    ),
    (
        "matched by the host name in its show managers",
        "show managers のホスト名で照合",
    ),
    (
        "matched by the address in its show managers",
        "show managers のアドレスで照合",
    ),
    (
        "the case's only FMC, which its show managers does not contradict",
        "ケース内の唯一の FMC（show managers と矛盾しない）",
    ),
    (
        "managed by {named}, which is not among the case's FMCs: not attached to them",
        "{named} が管理（ケース内のどの FMC でもないため関連付けなし）",
    ),
    (
        "not matched to an FMC: its show managers names none of the case's FMCs",
        "FMC と照合できません: show managers がケース内のどの FMC も示していません",
    ),
    (
        "managed locally (FDM), by no FMC",
        "ローカル管理（FDM）、FMC なし",
    ),
    (
        "no manager configured, so no FMC",
        "マネージャー未設定、FMC なし",
    ),
    ("managed by {fmc}", "{fmc} が管理"),
    (
        "managed by no FMC of the case",
        "ケース内の FMC の管理下にない",
    ),
    (
        "also given as {path} (older, not analysed)",
        "{path} としても提供（古いため分析対象外）",
    ),
    (
        "loose files (outside every device bundle):",
        "単独ファイル（どのデバイスのバンドルにも属さない）:",
    ),
    ("Loose files", "単独ファイル"),
    ("file", "ファイル"),
    ("attached to", "関連付け先"),
    (
        "attached to {device} ({reason})",
        "{device} に関連付け（{reason}）",
    ),
    (
        "not attached, read by no rule",
        "関連付けなし、どのルールも読みません",
    ),
    (
        "{n} more not listed (--max-inventory-rows)",
        "ほかに {n} 件は非表示（--max-inventory-rows）",
    ),
    (
        "{n} more loose files not listed (--max-inventory-rows).",
        "ほかに単独ファイル {n} 件は非表示（--max-inventory-rows）。",
    ),
    ("size", "サイズ"),
    ("Warnings", "警告"),
    ("error", "エラー"),
    // The report's evidence views, timeline chart and checks.
    ("Recovered:", "回復済み:"),
    ("was", "過去の検出:"),
    ("from {time}", "{time} から"),
    ("whole file", "ファイル全体"),
    ("(the file as a whole)", "（ファイル全体）"),
    (
        "(the file as a whole: no one line holds it)",
        "（ファイル全体: 特定の 1 行ではありません）",
    ),
    ("In full:", "完全なパス:"),
    ("first", "最初"),
    ("(in {member})", "（{member} 内）"),
    ("and last of {n} lines", "と最後（全 {n} 行）"),
    ("line {n}", "{n} 行目"),
    ("{n} lines", "{n} 行"),
    ("first at line {n}", "最初は {n} 行目"),
    ("with context:", "前後の行:"),
    ("-- {n} more between --", "-- 間に {n} 行 --"),
    ("References:", "参考資料:"),
    ("Evidence", "証拠"),
    ("where", "場所"),
    (
        "Problem lines and findings over time, {start} to {end}",
        "問題の行と検出結果の推移（{start} から {end}）",
    ),
    ("collected", "収集時刻"),
    (
        "Brown bars: problem lines per SSE host (newest 4096 per pattern); coloured bars: each finding from first to last seen; green diamond: recovered; dashed line: the device's collection time. Times in UTC.",
        "茶色の棒: SSE ホストごとの問題の行（パターンごとに最新 4096 行）。色付きの棒: 各検出結果の初回から最終まで。緑のひし形: 回復。破線: デバイスの収集時刻。時刻は UTC。",
    ),
    ("Checks", "チェック"),
    (
        "Checks that ran and passed (the problem each looks for was not found)",
        "実行して問題がなかったチェック（各チェックが探す問題は見つかりませんでした）",
    ),
    (
        "({n} more could not run: see Not evaluated)",
        "（ほかに {n} 件は実行できませんでした: 「未評価」を参照）",
    ),
    (
        "pack {pack}, {n} check{s} ran and found none of:",
        "パック {pack}、チェック {n} 件を実行し、次のいずれも見つかりませんでした:",
    ),
    ("none passed", "問題なしのチェックはありません"),
    ("not evaluated:", "未評価:"),
    (
        "No check ran and passed.",
        "実行して問題がなかったチェックはありません。",
    ),
    // The timeline chart's hover titles (chart.rs).
    ("{n} line(s) from {time}", "{time} から {n} 行"),
    ("lines naming no host", "ホスト名のない行"),
    (
        "{host}: {n} problem line(s) drawn",
        "{host}: 問題の行 {n} 行を表示",
    ),
    (
        "{title} ({rule}): first seen {first}, last seen {last}",
        "{title}（{rule}）: 初回 {first}、最終 {last}",
    ),
    ("collected at {time}", "収集時刻 {time}"),
    // The batch index's own words (index.html).
    ("fptriage batch", "fptriage バッチ"),
    (
        "fptriage batch: {n} cases",
        "fptriage バッチ: ケース {n} 件",
    ),
    (
        "{total} case(s): {ok} analysed, {failed} could not be read. fptriage {version}.",
        "ケース {total} 件: 分析済み {ok} 件、読み取り不可 {failed} 件。fptriage {version}。",
    ),
    ("Root causes", "根本原因"),
    ("Severity", "重大度"),
    ("Root cause", "根本原因"),
    ("Rule", "ルール"),
    ("Cases", "ケース数"),
    ("(recovered)", "（回復済み）"),
    (
        "No root cause in any case.",
        "根本原因が見つかったケースはありません。",
    ),
    ("Cases per week", "週ごとのケース数"),
    (
        "Cases per root cause per week of collection, weeks of {first} to {last}",
        "根本原因ごと・収集週ごとのケース数（{first} の週から {last} の週まで）",
    ),
    ("{n} case(s) in the week of {week}", "{week} の週に {n} 件"),
    ("{title} ({rule})", "{title}（{rule}）"),
    (
        "Cases per current root cause, by the week (Monday first, UTC) of their collection date; the number at the right is the row's total.",
        "現在の根本原因ごとのケース数を、収集日の週（月曜始まり、UTC）別に示します。右端の数字は各行の合計です。",
    ),
    (
        "{n} smaller root cause(s) not drawn.",
        "ケース数の少ない根本原因 {n} 件は表示していません。",
    ),
    (
        "{n} filing(s) without a collection date not drawn.",
        "収集日のない {n} 件は表示していません。",
    ),
    (
        "{n} filing(s) before the week of {week} not drawn.",
        "{week} の週より前の {n} 件は表示していません。",
    ),
    ("Cases by root cause", "根本原因別のケース"),
    (
        "Filters and sorting need script; every case is listed below.",
        "絞り込みと並べ替えには JavaScript が必要です。以下にすべてのケースを一覧表示しています。",
    ),
    ("all", "すべて"),
    ("recovered: {title} ({rule})", "回復済み: {title}（{rule}）"),
    ("no root cause", "根本原因なし"),
    ("could not be read", "読み取り不可"),
    ("Version", "バージョン"),
    ("Region", "地域"),
    // The date filter's two ends, labels above their fields: "Collected from", "to".
    ("Collected from", "収集日（開始）"),
    ("to", "収集日（終了）"),
    ("Sort by", "並べ替え"),
    ("case name", "ケース名"),
    ("collection date, newest first", "収集日（新しい順）"),
    ("collection date, oldest first", "収集日（古い順）"),
    ("severity", "重大度"),
    ("analysis time, longest first", "分析時間（長い順）"),
    ("Clear", "クリア"),
    // Filled by the index's script, not by tr: its places stay in the page.
    (
        "{shown} of {all} case(s) shown",
        "{all} 件中 {shown} 件を表示",
    ),
    ("({n})", "（{n}）"),
    (
        "The problem was seen in these cases but had recovered before the bundle was collected.",
        "これらのケースでは問題が発生していましたが、バンドルの収集時点では回復していました。",
    ),
    ("No root cause found ({n})", "根本原因なし（{n}）"),
    ("Could not be read ({n})", "読み取り不可（{n}）"),
    ("Case", "ケース"),
    ("Collected", "収集日"),
    ("Error", "エラー"),
    ("Recovered at", "回復時刻"),
    ("Reports", "レポート"),
    (
        "Errors no rule explains ({n})",
        "どのルールでも説明できないエラー（{n} 件）",
    ),
    (
        "Errors no rule explains ({n} of {total})",
        "どのルールでも説明できないエラー（{total} 件中 {n} 件）",
    ),
    (
        "Error-level log lines that no loaded rule's pattern matches, masked into templates, by the number of cases they appear in (all of them in {json}; draft rules in {drafts}).",
        "読み込んだどのルールのパターンにも一致しないエラーレベルのログ行を、可変部分をマスクしてテンプレート化し、出現したケースの多い順に示します（全件は {json}、ルールの下書きは {drafts}）。",
    ),
    ("Lines", "行数"),
    ("Log", "ログ"),
    ("Template", "テンプレート"),
    ("Example", "例"),
    ("Draft", "下書き"),
    (
        "None: every error-level line is matched by some rule.",
        "なし: すべてのエラーレベルの行がいずれかのルールに一致しています。",
    ),
    // The diff's own words.
    ("fptriage diff", "fptriage 差分"),
    ("before:", "修正前:"),
    ("after:", "修正後:"),
    ("before", "修正前"),
    ("after", "修正後"),
    ("Resolved", "解決済み"),
    ("Persisting", "継続中"),
    ("New", "新規"),
    ("Unknown (not evaluated after)", "不明（修正後は未評価）"),
    ("Nothing resolved.", "解決したものはありません。"),
    ("Nothing persists.", "継続しているものはありません。"),
    ("Nothing new.", "新しいものはありません。"),
    ("None.", "なし。"),
    ("(root cause)", "（根本原因）"),
    ("root cause", "根本原因"),
    ("recovered at {time}", "{time} に回復"),
    ("not evaluated after:", "修正後は未評価:"),
    ("matched by", "照合方法"),
    ("in one upload only", "一方のアップロードのみ"),
    ("appliance-uuid", "アプライアンス UUID"),
    ("host-name", "ホスト名"),
    ("device-missing", "デバイスなし"),
    // The terminal view's own words.
    (
        "{n} check(s) lacked data; see the full report",
        "{n} 件のチェックはデータ不足です。詳細はレポート全体を参照",
    ),
    (
        "{n}; see the full report",
        "{n} 件。詳細はレポート全体を参照",
    ),
    (
        "Full report: --format md (or html, json), or -o report.html",
        "レポート全体: --format md（または html、json）、または -o report.html",
    ),
    // Values of the model, shown as words.
    ("critical", "重大"),
    ("warning", "警告"),
    ("info", "情報"),
    ("missing-data", "データなし"),
    ("cut-off", "途中で切断"),
    ("no-time", "時刻なし"),
    ("unknown-version", "バージョン不明"),
    ("depends", "依存先が未評価"),
    ("started", "開始"),
];

/// The catalogue's text of `key` in `lang`: the key itself in English; none for a key it lacks.
pub fn text(key: &str, lang: Lang) -> Option<&'static str> {
    let (en, ja) = CATALOGUE.iter().find(|(en, _)| *en == key)?;
    Some(match lang {
        Lang::En => en,
        Lang::Ja => ja,
    })
}

/// `key` in `lang` with its places filled from `values`, as plain text (for words laid out in
/// Rust, such as the chart's titles, that a template then escapes like any value).
pub(crate) fn say(key: &str, lang: Lang, values: &[(&str, String)]) -> String {
    let values: Vec<(String, String)> = values
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    fill(text(key, lang).unwrap_or(key), &values)
}

/// Fills `{name}` places from `values` (each already escaped); an unknown place stays as it is.
pub(crate) fn fill(text: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, v) = values.iter().find(|(n, _)| n == name)?;
            Some((v, close))
        });
        match filled {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A value put into a place of the output, escaped as the template's format wants.
fn escaped(state: &State, value: &Value) -> String {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string);
    if value.is_safe() {
        return text;
    }
    match state.auto_escape() {
        AutoEscape::Html => minijinja::HtmlEscape(&text).to_string(),
        AutoEscape::Custom(name) if name == "markdown" => super::escape::markdown(&text),
        _ => text,
    }
}

/// Registers `tr` and the `lang` global (`en`, `ja`) in a template environment.
pub fn install(env: &mut minijinja::Environment<'static>, lang: Lang) {
    env.add_global("lang", lang.code());
    env.add_function(
        "tr",
        move |state: &State, key: Value, kwargs: Kwargs| -> Result<Value, minijinja::Error> {
            let mut values = Vec::new();
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                values.push((name.to_string(), escaped(state, &v)));
            }
            kwargs.assert_all_used()?;
            let text = match key.as_str().and_then(|k| text(k, lang)) {
                Some(text) => fill(text, &values),
                None => escaped(state, &key),
            };
            Ok(Value::from_safe_string(text))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_fill_and_unknown_places_stay() {
        let v = |n: &str, s: &str| (n.to_string(), s.to_string());
        assert_eq!(fill("on {device}", &[v("device", "ftd")]), "on ftd");
        assert_eq!(fill("{a}{b} {c", &[v("a", "1"), v("b", "2")]), "12 {c");
        assert_eq!(fill("x {zz} y", &[]), "x {zz} y");
    }

    #[test]
    fn every_entry_has_a_translation_with_the_same_places() {
        let places = |s: &str| {
            let mut p: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|x| x.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            p.sort();
            p
        };
        let mut seen = std::collections::BTreeSet::new();
        for (en, ja) in CATALOGUE {
            assert!(seen.insert(en), "`{en}` is in the catalogue twice");
            assert!(!ja.is_empty(), "`{en}` has no Japanese text");
            // `{s}` is English's plural ending; Japanese has none.
            let mut want = places(en);
            want.retain(|p| p != "s");
            assert_eq!(places(ja), want, "`{en}` and `{ja}` name different places");
        }
    }
}
