//! Cloud integration settings from REST JSON: FMC `CloudEventsConfig` (which event kinds go to the
//! cloud) and `CloudRegion`, FDM `CloudEvents`. The objects come
//! as whole documents, `items` lists or fragments, with type names in varying case, so every
//! object carrying a `type` key is found with `json_find` and dispatched on its lower-cased type.

use serde_json::{Map, Value};

use super::{Located, json_find};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CloudSettings {
    pub events_enabled: Option<Located<bool>>,
    pub event_types: Vec<String>,
    pub region: Option<Located<String>>,
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn as_bool(v: &Value) -> Option<bool> {
    v.as_bool()
        .or_else(|| match v.as_str()?.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "enabled" => Some(true),
            "false" | "no" | "disabled" => Some(false),
            _ => None,
        })
}

/// The line of `key` in the object whose `type` stands on `type_line`: the line that holds the
/// value a fact is read from, which is what evidence must show (the `type` line decides nothing).
fn key_line(text: &str, key: &str, type_line: u32) -> u32 {
    json_find::values_of_key(text, key)
        .into_iter()
        .map(|(_, line)| line)
        .find(|&line| line >= type_line)
        .unwrap_or(type_line)
}

pub fn parse(text: &str) -> CloudSettings {
    let mut out = CloudSettings {
        events_enabled: None,
        event_types: Vec::new(),
        region: None,
    };
    // (region, current, line)
    let mut regions: Vec<(String, bool, u32)> = Vec::new();
    for (map, line) in json_find::objects_with_key(text, "type") {
        let Some(kind) = get_ci(&map, "type").and_then(Value::as_str) else {
            continue;
        };
        match kind.to_ascii_lowercase().as_str() {
            "cloudeventsconfig" if out.events_enabled.is_none() => {
                let mut any = false;
                // What decides: the first kind sent when any is, else the first kind not sent.
                let mut decides: Option<&str> = None;
                for (k, v) in &map {
                    let lk = k.to_ascii_lowercase();
                    if lk.starts_with("send") && lk.ends_with("events") && !lk.contains("excluded")
                    {
                        if as_bool(v) == Some(true) {
                            if !any {
                                decides = Some(k);
                            }
                            any = true;
                            out.event_types.push(k.clone());
                        } else if decides.is_none() {
                            decides = Some(k);
                        }
                    }
                }
                let line = decides.map_or(line, |k| key_line(text, k, line));
                out.events_enabled = Some(Located { value: any, line });
            }
            "cloudevents" if out.events_enabled.is_none() => {
                if let Some(on) = get_ci(&map, "enableService").and_then(as_bool) {
                    let line = key_line(text, "enableService", line);
                    out.events_enabled = Some(Located { value: on, line });
                }
                if let Some(list) = get_ci(&map, "eventTypes").and_then(Value::as_array) {
                    out.event_types
                        .extend(list.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            "cloudregion" => {
                let named = ["regionCode", "region", "name"].iter().find_map(|k| {
                    get_ci(&map, k)
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| (*k, s))
                });
                if let Some((key, name)) = named {
                    let line = key_line(text, key, line);
                    let current = get_ci(&map, "current").and_then(as_bool) == Some(true);
                    // Upper-cased as written: the domain tables' aliases name the region.
                    regions.push((name.trim().to_ascii_uppercase(), current, line));
                }
            }
            _ => {}
        }
    }
    let chosen = match regions.iter().find(|r| r.1) {
        Some(r) => Some(r),
        None if regions.len() == 1 => regions.first(),
        None => None,
    };
    out.region = chosen.map(|(value, _, line)| Located {
        value: value.clone(),
        line: *line,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmc_events_config() {
        let t = "{\"type\": \"CloudEventsConfig\", \"sendIntrusionEvents\": true, \"sendFileEvents\": true,\n \"sendConnectionEvents\": false, \"sendAllConnectionEvents\": true, \"sendPackets\": true,\n \"devicesExcludedFromSendingEvents\": []}";
        let c = parse(t);
        assert_eq!(
            c.events_enabled,
            Some(Located {
                value: true,
                line: 1
            })
        );
        // In document order (serde_json keeps it: the `preserve_order` feature).
        assert_eq!(
            c.event_types,
            vec![
                "sendIntrusionEvents",
                "sendFileEvents",
                "sendAllConnectionEvents"
            ]
        );
        assert_eq!(c.region, None);
    }

    #[test]
    fn all_off_and_case() {
        let c = parse(r#"{"items":[{"type":"cloudeventsconfig","sendIntrusionEvents":false}]}"#);
        assert!(!c.events_enabled.unwrap().value);
        assert!(c.event_types.is_empty());
    }

    #[test]
    fn evidence_lines_hold_the_values_that_decide() {
        // As the FMC writes it: `type` first, the switches below it.
        let t = "{\n  \"items\": [\n    {\n      \"type\": \"CloudEventsConfig\",\n      \"id\": \"x\",\n      \"sendIntrusionEvents\": false,\n      \"sendFileEvents\": true\n    },\n    {\n      \"type\": \"CloudRegion\",\n      \"current\": true,\n      \"regionCode\": \"EU\"\n    }\n  ]\n}";
        let c = parse(t);
        assert_eq!(
            c.events_enabled,
            Some(Located {
                value: true,
                line: 7
            })
        );
        assert_eq!(c.region.unwrap().line, 12);
        let off = t.replace("true\n    },", "false\n    },");
        assert_eq!(
            parse(&off).events_enabled,
            Some(Located {
                value: false,
                line: 6
            })
        );
    }

    #[test]
    fn regions() {
        let t = "{\"items\": [\r\n{\"type\": \"CloudRegion\", \"current\": false, \"regionCode\": \"US\"},\r\n{\"type\": \"CloudRegion\", \"current\": true, \"regionCode\": \"APJ\"}\r\n]}";
        assert_eq!(
            parse(t).region,
            Some(Located {
                value: "APJ".into(),
                line: 3
            })
        );
        assert_eq!(
            parse(r#"{"type": "CloudRegion", "current": true, "regionCode": "EU"}"#)
                .region
                .unwrap()
                .value,
            "EU"
        );
        assert_eq!(
            parse(r#"{"type":"cloudregion","name":"Australia"}"#)
                .region
                .unwrap()
                .value,
            "AUSTRALIA"
        );
        let two = r#"[{"type":"CloudRegion","regionCode":"US"},{"type":"CloudRegion","regionCode":"EU"}]"#;
        assert_eq!(parse(two).region, None);
    }

    #[test]
    fn fdm_objects() {
        let t = r#"noise {"type": "cloudevents", "enableService": true, "eventTypes": ["INTRUSION", "FILE_MALWARE"]}
"x": {"type": "CloudCommunicationSettings", "telemetryEnabled": false}"#;
        let c = parse(t);
        assert!(c.events_enabled.unwrap().value);
        assert_eq!(c.event_types, vec!["INTRUSION", "FILE_MALWARE"]);
    }

    #[test]
    fn empty_and_garbage() {
        let c = parse("");
        assert_eq!((c.events_enabled, c.region), (None, None));
        assert_eq!(parse("{{{ \"type\": ").events_enabled, None);
    }
}
