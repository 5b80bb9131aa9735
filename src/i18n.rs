//! The language a report is written in.
//!
//! The report's own words (headings, labels, verdict sentences) and the built-in packs' titles,
//! messages, remediations and `needs` come in English and Japanese: Cisco's Japanese TAC and its
//! customers read these reports. The language is chosen by `--lang`, else from the locale
//! variables (`LC_ALL`, then `LC_MESSAGES`, then `LANG`, the order POSIX tools read them in).
//! What comes from a bundle (evidence, names), ids, references and JSON keys never change.

use std::fmt;
use std::str::FromStr;

/// A report language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// Every language, English (the source text) first.
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Ja];

    /// The BCP 47 code (`en`, `ja`), as in `<html lang>` and `--lang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language a POSIX locale name (`ja_JP.UTF-8`, `en_US`, `C`, `POSIX`) stands for;
    /// none for a locale of another language.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let language = locale
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match language.as_str() {
            "ja" => Some(Lang::Ja),
            "en" | "c" | "posix" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of the environment: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is
    /// set and not empty decides (as `setlocale` does); English when it names another language
    /// or none is set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| var(name))
            .find(|value| !value.is_empty())
            .and_then(|value| Lang::from_locale(&value))
            .unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "ja" => Ok(Lang::Ja),
            _ => Err(format!("unknown language `{s}`: use en or ja")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn locale_variables_decide_in_posix_order() {
        assert_eq!(Lang::from_env(env(&[])), Lang::En);
        assert_eq!(Lang::from_env(env(&[("LANG", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(
            Lang::from_env(env(&[("LANG", "ja_JP.UTF-8"), ("LC_ALL", "C")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_env(env(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "ja_JP")])),
            Lang::Ja
        );
        // An empty variable is as good as unset.
        assert_eq!(
            Lang::from_env(env(&[("LC_ALL", ""), ("LANG", "ja_JP.eucJP")])),
            Lang::Ja
        );
        // A language with no translation falls back to English.
        assert_eq!(Lang::from_env(env(&[("LANG", "de_DE.UTF-8")])), Lang::En);
    }

    #[test]
    fn codes_parse_back() {
        for lang in Lang::ALL {
            assert_eq!(lang.code().parse::<Lang>(), Ok(*lang));
        }
        assert!("fr".parse::<Lang>().is_err());
    }
}
