//! Smart Licensing state, in either of the two forms a bundle carries: the FMC REST JSON
//! (`"smartLicenseStatus": {"registrationStatus": "EVALUATION", …}`, often a fragment) or the Smart
//! Agent text (`Registration:` / `License Authorization:` / `Transport:` sections each with a
//! `Status:` line). JSON is tried first through `json_find`, which copes with fragments; the text
//! form is read as sections because the same `Status:` key means different things in each.
//! Statuses are normalised to UPPER_SNAKE first words so rules compare one vocabulary.

use super::{Located, json_find, numbered_lines};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LicenseFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct License {
    pub registration: Option<Located<String>>,
    pub authorization: Option<Located<String>>,
    pub evaluation: bool,
    pub satellite: Option<Located<String>>,
    pub eval_remaining_days: Option<u32>,
    pub format: LicenseFormat,
}

/// Parses licence status. `cloud` says whether a transport value names the vendor's own
/// licensing cloud (a domain table of the packs): any other transport target means Satellite /
/// On-Prem.
pub fn parse(text: &str, cloud: &dyn Fn(&str) -> bool) -> Option<License> {
    parse_json(text).or_else(|| parse_text(text, cloud))
}

/// `EVAL MODE` → `EVAL_MODE`, `AUTHORIZED on Feb 10 2023 …` → `AUTHORIZED`: the leading words,
/// stopping at the first word that starts a date, a reason or a parenthesis.
fn upper_snake(s: &str) -> String {
    let words: Vec<String> = s
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .take_while(|w| {
            !w.eq_ignore_ascii_case("on")
                && !w.eq_ignore_ascii_case("since")
                && w.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        })
        .map(|w| w.trim_matches('-').to_ascii_uppercase())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("_")
}

fn normalise_registration(s: &str) -> String {
    let v = upper_snake(s);
    if v.starts_with("EVAL") {
        "EVALUATION".to_string()
    } else {
        v
    }
}

fn finish(
    registration: Option<Located<String>>,
    authorization: Option<Located<String>>,
    mut satellite: Option<Located<String>>,
    eval_remaining_days: Option<u32>,
    format: LicenseFormat,
) -> Option<License> {
    if registration.is_none()
        && authorization.is_none()
        && satellite.is_none()
        && eval_remaining_days.is_none()
    {
        return None;
    }
    if satellite.is_none()
        && let Some(r) = registration
            .as_ref()
            .filter(|r| r.value.contains("SATELLITE"))
    {
        satellite = Some(r.clone());
    }
    let evaluation = registration
        .as_ref()
        .is_some_and(|r| r.value == "EVALUATION")
        || authorization
            .as_ref()
            .is_some_and(|a| a.value == "EVAL_MODE");
    Some(License {
        registration,
        authorization,
        evaluation,
        satellite,
        eval_remaining_days,
        format,
    })
}

fn first_string(text: &str, key: &str) -> Option<Located<String>> {
    json_find::values_of_key(text, key)
        .into_iter()
        .find_map(|(v, line)| {
            v.as_str().map(|s| Located {
                value: s.to_string(),
                line,
            })
        })
        .filter(|l| !l.value.trim().is_empty())
}

fn parse_json(text: &str) -> Option<License> {
    let registration = first_string(text, "registrationStatus").map(|l| Located {
        value: normalise_registration(&l.value),
        line: l.line,
    });
    let authorization = first_string(text, "authorizationStatus").map(|l| Located {
        value: upper_snake(&l.value),
        line: l.line,
    });
    let days = json_find::values_of_key(text, "evaluationRemainingDays")
        .into_iter()
        .find_map(|(v, _)| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
    finish(registration, authorization, None, days, LicenseFormat::Json)
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Registration,
    Authorization,
    Transport,
    Other,
}

fn parse_text(text: &str, cloud: &dyn Fn(&str) -> bool) -> Option<License> {
    let mut section = Section::None;
    let mut registration = None;
    let mut authorization = None;
    let mut satellite = None;
    let mut days = None;
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            if section == Section::Transport {
                section = Section::Other;
            }
            continue;
        }
        if let Some(head) = line.strip_suffix(':') {
            section = match head.trim().to_ascii_lowercase().as_str() {
                "registration" => Section::Registration,
                "license authorization" | "authorization" => Section::Authorization,
                "transport" => Section::Transport,
                _ => Section::Other,
            };
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
        if key == "evaluation period remaining" && days.is_none() {
            days = value.split_whitespace().next().and_then(|d| d.parse().ok());
        }
        match section {
            Section::Registration if key == "status" && registration.is_none() => {
                registration = Some(Located {
                    value: normalise_registration(value),
                    line: n,
                });
            }
            Section::Authorization if key == "status" && authorization.is_none() => {
                authorization = Some(Located {
                    value: upper_snake(value),
                    line: n,
                });
            }
            Section::Transport if satellite.is_none() && is_off_cloud(value, cloud) => {
                satellite = Some(Located {
                    value: line.to_string(),
                    line: n,
                });
            }
            _ => {}
        }
    }
    finish(
        registration,
        authorization,
        satellite,
        days,
        LicenseFormat::Text,
    )
}

/// A transport value naming Satellite / On-Prem, or an address that is not Cisco's cloud.
fn is_off_cloud(value: &str, cloud: &dyn Fn(&str) -> bool) -> bool {
    let v = value.to_ascii_lowercase();
    if v.contains("satellite") || v.contains("on-prem") || v.contains("onprem") {
        return true;
    }
    let looks_like_address = v.contains("://") || (v.contains('.') && !v.contains(' '));
    looks_like_address && !cloud(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in packs' licensing cloud.
    fn parse_(text: &str) -> Option<License> {
        let domain = crate::rules::load::builtin_domain();
        parse(text, &|v| {
            crate::facts::regions::names_licensing_cloud(&domain, v)
        })
    }

    #[test]
    fn json_fragment() {
        let t = "\"smartLicenseStatus\": {\n    \"registrationStatus\": \"EVALUATION\",\n    \"authorizationStatus\": null,\n    \"virtualAccount\": null,\n    \"evaluationRemainingDays\": 85\n}\n";
        let l = parse_(t).unwrap();
        assert_eq!(l.format, LicenseFormat::Json);
        assert_eq!(
            l.registration,
            Some(Located {
                value: "EVALUATION".into(),
                line: 2
            })
        );
        assert_eq!(l.authorization, None);
        assert!(l.evaluation);
        assert_eq!(l.eval_remaining_days, Some(85));
        assert_eq!(l.satellite, None);
    }

    #[test]
    fn json_satellite_and_bad_auth() {
        let t = r#"{"items":[{"smartLicenseStatus":{"registrationStatus":"REGISTERED_SATELLITE","authorizationStatus":"OUT_OF_COMPLIANCE"}}]}"#;
        let l = parse_(t).unwrap();
        assert_eq!(l.registration.unwrap().value, "REGISTERED_SATELLITE");
        assert_eq!(l.authorization.unwrap().value, "OUT_OF_COMPLIANCE");
        assert_eq!(l.satellite.unwrap().value, "REGISTERED_SATELLITE");
        assert!(!l.evaluation);
    }

    #[test]
    fn text_eval() {
        let t = "Smart Licensing is ENABLED\n\nRegistration:\nStatus: UNREGISTERED\nExport-Controlled Functionality: Not Allowed\n\nLicense Authorization:\nStatus: EVAL MODE\nEvaluation Period Remaining: 87 days 1 hr 41 min 0 sec\n";
        let l = parse_(t).unwrap();
        assert_eq!(l.format, LicenseFormat::Text);
        assert_eq!(
            l.registration,
            Some(Located {
                value: "UNREGISTERED".into(),
                line: 4
            })
        );
        assert_eq!(
            l.authorization,
            Some(Located {
                value: "EVAL_MODE".into(),
                line: 8
            })
        );
        assert!(l.evaluation);
        assert_eq!(l.eval_remaining_days, Some(87));
    }

    #[test]
    fn text_registered_and_transport() {
        let t = "Registration:\r\n  Status: REGISTERED on Feb 10 2023 08:20:02 UTC\r\nLicense Authorization:\r\n  Status: AUTHORIZED on Feb 10 2023 08:20:02 UTC\r\nTransport:\r\n  Type: Callhome\r\n  Cisco Smart Software Manager Server: https://tools.cisco.com/its/service/oddce/services/DDCEService\r\n";
        let l = parse_(t).unwrap();
        assert_eq!(l.registration.unwrap().value, "REGISTERED");
        assert_eq!(l.authorization.unwrap().value, "AUTHORIZED");
        assert!(!l.evaluation && l.satellite.is_none());
        let t = "Registration:\nStatus: REGISTERED\nLicense Authorization:\nStatus: AUTHORIZATION EXPIRED on Jan 1 2024\nTransport:\n  Type: Transport Gateway\n  URL: https://ssm-onsite.example.local/Transportgateway/services/DeviceRequestHandler\n";
        let l = parse_(t).unwrap();
        assert_eq!(l.authorization.unwrap().value, "AUTHORIZATION_EXPIRED");
        assert_eq!(l.satellite.unwrap().line, 7);
        let l = parse_("Registration:\nStatus: EVAL MODE\nTransport:\nType: Satellite\n").unwrap();
        assert_eq!(l.registration.unwrap().value, "EVALUATION");
        assert_eq!(l.satellite.unwrap().value, "Type: Satellite");
    }

    #[test]
    fn unrecognised() {
        assert_eq!(parse_(""), None);
        assert_eq!(parse_("garbage\nStatus: X\n{\"a\":1}"), None);
    }
}
