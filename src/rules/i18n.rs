//! Rules in another language: a rule carries its translations beside its texts
//! (`i18n: {ja: {title, message, remediation, needs}}`), and [`localize`] swaps them in before
//! evaluation, so findings, the verdict and "not evaluated" rows read in the report's language.
//!
//! A translated message or remediation is a template like the English one and is validated by
//! `load` in the same way (a variable the rule does not define is an error). A built-in rule
//! without a translation still loads and reports in English; [`untranslated`] lists it for lint,
//! as a warning.

use crate::i18n::Lang;

use super::load::{Diagnostic, Level};
use super::{Rule, RuleSet};

/// A rule's texts in one language; `None`: the English text stays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    pub title: Option<String>,
    pub message: Option<String>,
    pub remediation: Option<String>,
    pub needs: Option<String>,
}

impl Rule {
    /// The rule's translation into `lang`, if it has one.
    pub fn translation(&self, lang: Lang) -> Option<&Translation> {
        self.translations
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, t)| t)
    }

    /// Texts the rule has in English but not in `lang` (`title`, `message`, …).
    pub fn untranslated_fields(&self, lang: Lang) -> Vec<&'static str> {
        if lang == Lang::En {
            return Vec::new();
        }
        let t = self.translation(lang).cloned().unwrap_or_default();
        let mut missing = Vec::new();
        if t.title.is_none() {
            missing.push("title");
        }
        if t.message.is_none() {
            missing.push("message");
        }
        if t.remediation.is_none() {
            missing.push("remediation");
        }
        if self.needs.is_some() && t.needs.is_none() {
            missing.push("needs");
        }
        missing
    }
}

/// Replaces every rule's texts by their `lang` translation where it has one (English: no change).
/// Ids, conditions, references and severities stay.
pub fn localize(set: &mut RuleSet, lang: Lang) {
    set.lang = lang;
    if lang == Lang::En {
        return;
    }
    for rule in &mut set.rules {
        let Some(t) = rule.translation(lang).cloned() else {
            continue;
        };
        if let Some(title) = t.title {
            rule.title = title;
        }
        if let Some(message) = t.message {
            rule.message = message;
        }
        if let Some(remediation) = t.remediation {
            rule.remediation = remediation;
        }
        if let Some(needs) = t.needs {
            rule.needs = Some(needs);
        }
    }
}

/// The sentences evaluation writes itself (not a rule's), in one language.
pub(crate) mod sentences {
    use crate::i18n::Lang;

    /// What to ask for when a damaged bundle lacks a rule's data.
    pub fn ask_cut_off(lang: Lang) -> String {
        match lang {
            Lang::En => "a complete upload: this bundle is cut off (see Damage)",
            Lang::Ja => "完全なアップロード: このバンドルは途中で切れています（「破損」を参照）",
        }
        .into()
    }

    /// What to ask for when a time window cannot be measured.
    pub fn ask_no_time(lang: Lang) -> String {
        match lang {
            Lang::En => "a bundle with its logs: this one holds no time stamp (bundle name or log line) to measure the rule's time window from",
            Lang::Ja => "ログを含むバンドル: このバンドルには、ルールの時間枠を測る基準となるタイムスタンプ（バンドル名またはログ行）がありません",
        }
        .into()
    }

    /// What to ask for when a rule skips a device of unknown version.
    pub fn ask_unknown_version(lang: Lang) -> String {
        match lang {
            Lang::En => "the device's version (show version, or etc/sf/sf-version): the rule applies to a version range and skips a device of unknown version",
            Lang::Ja => "デバイスのバージョン（show version または etc/sf/sf-version）: このルールはバージョン範囲に適用され、バージョン不明のデバイスは対象外です",
        }
        .into()
    }

    /// The data a time window needs.
    pub fn collection_time(lang: Lang) -> String {
        match lang {
            Lang::En => "the collection time",
            Lang::Ja => "収集時刻",
        }
        .into()
    }

    /// What to ask for, from the sources of the missing facts and artifacts.
    pub fn bundle_that_includes(lang: Lang, sources: &str) -> String {
        match lang {
            Lang::En => format!("a troubleshoot bundle that includes: {sources}"),
            Lang::Ja => format!("次を含むトラブルシューティング バンドル: {sources}"),
        }
    }

    /// A recovered finding's message.
    pub fn recovered(lang: Lang, at: Option<String>, message: &str) -> String {
        match (lang, at) {
            (Lang::En, Some(at)) => format!("Recovered at {at}: {message}"),
            (Lang::En, None) => format!("Recovered at an unknown time: {message}"),
            (Lang::Ja, Some(at)) => format!("{at} に回復: {message}"),
            (Lang::Ja, None) => format!("回復済み（時刻不明）: {message}"),
        }
    }
}

/// One warning (code `untranslated-rule`) per built-in rule lacking a text in a language other
/// than English: such a rule reports in English inside a translated report.
pub fn untranslated(set: &RuleSet) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for rule in set
        .rules
        .iter()
        .filter(|r| r.origin.starts_with("built-in:"))
    {
        for lang in Lang::ALL {
            let missing = rule.untranslated_fields(*lang);
            if missing.is_empty() {
                continue;
            }
            warnings.push(Diagnostic {
                level: Level::Warning,
                code: "untranslated-rule",
                file: rule.origin.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "built-in rule `{}` has no {} translation of its {}",
                    rule.id,
                    lang.code(),
                    missing.join(", ")
                ),
                hint: Some(format!(
                    "add `i18n: {{{}: {{{}}}}}` beside the English texts",
                    lang.code(),
                    missing.join(", ")
                )),
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::{RuleSource, load};

    fn source(text: &str) -> RuleSource {
        RuleSource {
            relative: "t/a.yaml".into(),
            origin: "built-in:t/a.yaml".into(),
            text: text.into(),
        }
    }

    const RULE: &str = "id: t/a\ntitle: A\nseverity: warning\ndescription: d\nwhen:\n  fact: connector.port\n  at_least: 1\nmessage: 'port {{ facts[\"connector.port\"] }}'\nremediation: r\nneeds: n\n";

    #[test]
    fn a_translation_replaces_the_texts_it_has() {
        let text = format!(
            "{RULE}i18n:\n  ja:\n    title: エー\n    message: 'ポート {{{{ facts[\"connector.port\"] }}}}'\n"
        );
        let (mut set, diagnostics) = load(&[source(&text)]);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let warnings = untranslated(&set);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, "untranslated-rule");
        assert!(warnings[0].message.contains("remediation, needs"));
        localize(&mut set, Lang::Ja);
        let rule = &set.rules[0];
        assert_eq!(rule.title, "エー");
        assert_eq!(rule.message, "ポート {{ facts[\"connector.port\"] }}");
        assert_eq!(rule.remediation, "r");
        assert_eq!(rule.needs.as_deref(), Some("n"));
    }

    #[test]
    fn an_untranslated_rule_is_a_warning_not_an_error() {
        let (set, diagnostics) = load(&[source(RULE)]);
        assert!(diagnostics.is_empty());
        assert_eq!(set.rules.len(), 1);
        assert_eq!(untranslated(&set).len(), 1);
    }

    #[test]
    fn a_translation_may_not_use_an_undefined_variable() {
        let text = format!(
            "{RULE}i18n:\n  ja:\n    title: エー\n    remediation: '{{{{ hostz }}}} を直す'\n"
        );
        let (set, diagnostics) = load(&[source(&text)]);
        assert!(set.rules.is_empty());
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, "undefined-capture");
        assert!(diagnostics[0].message.contains("i18n.ja.remediation"));
        assert_eq!(diagnostics[0].line, 14);
    }

    #[test]
    fn an_unknown_language_is_a_shape_error() {
        let (_, diagnostics) = load(&[source(&format!("{RULE}i18n:\n  fr:\n    title: A\n"))]);
        assert_eq!(diagnostics[0].code, "unknown-key");
    }
}
