//! The timeline's picture, laid out for the HTML template: per device, a row of problem lines
//! over time for each SSE host, a bar per finding from first to last seen with its recovery,
//! and the device's collection time, on one time axis. Built from the report model as rendered
//! (after redaction, so names in it are the model's), as coordinates only: the template draws
//! the SVG, and autoescape covers every label. Its hover titles are words of the report, in the
//! report's language (the catalogue of [`super::i18n`]).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::i18n::say;
use crate::i18n::Lang;

/// The chart's own words: catalogue keys (tested to have every translation).
const LINES_FROM: &str = "{n} line(s) from {time}";
const NO_HOST: &str = "lines naming no host";
const HOST_LINES: &str = "{host}: {n} problem line(s) drawn";
const RECOVERED_AT: &str = "recovered at {time}";
const FINDING: &str = "{title} ({rule}): first seen {first}, last seen {last}";
const COLLECTED_AT: &str = "collected at {time}";

const WIDTH: f64 = 960.0;
const PLOT_X0: f64 = 300.0;
const PLOT_X1: f64 = 950.0;
const ROW: f64 = 20.0;
const BAR: f64 = 14.0;
/// Characters of a label kept beside the plot; the whole text is in the row's hover title.
const LABEL_CHARS: usize = 42;

fn time(v: &Value) -> Option<Timestamp> {
    v.as_str()?.parse().ok()
}

fn short(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

fn human(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn array(model: &Value, key: &str) -> Vec<Value> {
    model[key].as_array().cloned().unwrap_or_default()
}

/// The chart of a report model, its titles in `lang`; none when no finding has a time.
pub fn chart(model: &Value, lang: Lang) -> Option<Value> {
    let findings = array(model, "findings");
    let devices = array(model, "devices");
    let activity = array(model, "activity");
    let timed: Vec<&Value> = findings
        .iter()
        .filter(|f| time(&f["first_seen"]).is_some())
        .collect();
    if timed.is_empty() {
        return None;
    }
    let shown = |id: &Value| {
        timed.iter().any(|f| &f["device"] == id) || activity.iter().any(|a| &a["device"] == id)
    };
    let mut stamps: Vec<i64> = Vec::new();
    for f in &timed {
        for key in ["first_seen", "last_seen", "recovered_at"] {
            stamps.extend(time(&f[key]).map(|t| t.as_second()));
        }
    }
    for d in devices.iter().filter(|d| shown(&d["id"])) {
        stamps.extend(time(&d["collected_at"]).map(|t| t.as_second()));
    }
    for a in &activity {
        if let (Some(start), Some(size)) = (time(&a["start"]), a["bucket_seconds"].as_i64()) {
            let n = a["buckets"].as_array().map_or(0, Vec::len) as i64;
            stamps.push(start.as_second());
            stamps.push(start.as_second() + size * n);
        }
    }
    let lo = *stamps.iter().min()?;
    let hi = (*stamps.iter().max()?).max(lo + 60);
    let x = |s: i64| PLOT_X0 + (s - lo) as f64 / (hi - lo) as f64 * (PLOT_X1 - PLOT_X0);
    let mut y = 8.0;
    let mut groups = Vec::new();
    for d in devices.iter().filter(|d| shown(&d["id"])) {
        let top = y;
        let mut rows = Vec::new();
        y += ROW;
        for a in activity.iter().filter(|a| a["device"] == d["id"]) {
            let (Some(start), Some(size)) = (time(&a["start"]), a["bucket_seconds"].as_i64())
            else {
                continue;
            };
            let buckets: Vec<u64> = a["buckets"]
                .as_array()
                .map(|b| b.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let max = buckets.iter().copied().max().unwrap_or(0).max(1);
            let lines: u64 = buckets.iter().sum();
            let bars: Vec<Value> = buckets
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| {
                    let from = start.as_second() + size * i as i64;
                    let (x0, x1) = (x(from), x(from + size));
                    let h = (BAR * *n as f64 / max as f64).max(1.5);
                    json!({
                        "x": x0, "w": (x1 - x0 - 0.5).max(1.0), "y": y + BAR - h + 2.0, "h": h,
                        "title": say(LINES_FROM, lang, &[
                            ("n", n.to_string()),
                            ("time", human(Timestamp::from_second(from).unwrap_or(start))),
                        ]),
                    })
                })
                .collect();
            let host = a["host"]
                .as_str()
                .map_or_else(|| say(NO_HOST, lang, &[]), str::to_string);
            rows.push(json!({
                "kind": "lines", "y": y + BAR, "label": short(&host),
                "title": say(HOST_LINES, lang, &[("host", host.clone()), ("n", lines.to_string())]),
                "bars": bars,
            }));
            y += ROW;
        }
        for f in timed.iter().filter(|f| f["device"] == d["id"]) {
            let (Some(first), last) = (time(&f["first_seen"]), time(&f["last_seen"])) else {
                continue;
            };
            let last = last.unwrap_or(first);
            let (x0, x1) = (x(first.as_second()), x(last.as_second()));
            let title = f["title"].as_str().unwrap_or_default();
            let recovered = time(&f["recovered_at"]).map(|t| {
                json!({"x": x(t.as_second()), "title": say(RECOVERED_AT, lang, &[("time", human(t))])})
            });
            rows.push(json!({
                "kind": "finding", "y": y + BAR, "label": short(title),
                "severity": f["severity"], "rule": f["rule"],
                "title": say(FINDING, lang, &[
                    ("title", title.to_string()),
                    ("rule", f["rule"].as_str().unwrap_or_default().to_string()),
                    ("first", human(first)),
                    ("last", human(last)),
                ]),
                "bar": {"x": x0, "w": (x1 - x0).max(3.0), "y": y + 3.0, "h": BAR - 4.0},
                "recovered": recovered,
            }));
            y += ROW;
        }
        let collected = time(&d["collected_at"]).map(
            |t| json!({"x": x(t.as_second()), "title": say(COLLECTED_AT, lang, &[("time", human(t))])}),
        );
        groups.push(json!({
            "name": d["name"], "y": top + BAR, "top": top, "bottom": y,
            "collected": collected, "rows": rows,
        }));
        y += 6.0;
    }
    let ticks: Vec<Value> = (0..=4)
        .map(|i| {
            let s = lo + (hi - lo) * i / 4;
            let label = Timestamp::from_second(s)
                .map(|t| t.strftime("%m-%d %H:%M").to_string())
                .unwrap_or_default();
            json!({"x": x(s), "label": label})
        })
        .collect();
    let axis = y + 4.0;
    let mut chart = json!({
        "width": WIDTH,
        "height": axis + 28.0,
        "plot_x0": PLOT_X0,
        "plot_x1": PLOT_X1,
        "axis": axis,
        "ticks": ticks,
        "from": Timestamp::from_second(lo).map(human).unwrap_or_default(),
        "to": Timestamp::from_second(hi).map(human).unwrap_or_default(),
        "devices": groups,
    });
    round(&mut chart);
    Some(chart)
}

/// Coordinates to a tenth of a unit: the SVG stays short, and as sharp.
fn round(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(r) = n
                .as_f64()
                .and_then(|f| serde_json::Number::from_f64((f * 10.0).round() / 10.0))
            {
                *n = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(round),
        Value::Object(map) => map.values_mut().for_each(round),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_with_times_get_bars_on_one_axis_under_their_device() {
        let model = json!({
            "devices": [
                {"id": "a", "name": "fmc-1", "collected_at": "2020-04-19T20:00:00Z"},
                {"id": "b", "name": "quiet", "collected_at": "2020-04-19T20:00:00Z"},
            ],
            "findings": [{
                "device": "a", "title": "DNS", "rule": "sse/dns-failure", "severity": "critical",
                "first_seen": "2020-04-19T16:00:00Z", "last_seen": "2020-04-19T18:00:00Z",
                "recovered_at": null,
            }],
            "activity": [{
                "device": "a", "host": "api-sse.cisco.com", "start": "2020-04-19T16:00:00Z",
                "bucket_seconds": 300, "buckets": [2, 0, 1],
            }],
        });
        let c = chart(&model, Lang::En).unwrap();
        let groups = c["devices"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "a device with nothing to draw is left out");
        assert_eq!(groups[0]["name"], "fmc-1");
        let rows = groups[0]["rows"].as_array().unwrap();
        assert_eq!(rows[0]["kind"], "lines");
        assert_eq!(rows[0]["bars"].as_array().unwrap().len(), 2);
        assert_eq!(rows[1]["kind"], "finding");
        let bar = &rows[1]["bar"];
        assert_eq!(bar["x"], PLOT_X0);
        // The axis ends at the collection time (20:00): 16:00–18:00 is half of it.
        let mid = PLOT_X0 + (PLOT_X1 - PLOT_X0) / 2.0;
        assert!((bar["x"].as_f64().unwrap() + bar["w"].as_f64().unwrap() - mid).abs() < 0.01);
        assert_eq!(groups[0]["collected"]["x"], PLOT_X1);
        assert!(chart(&json!({"findings": [], "devices": []}), Lang::En).is_none());
        assert_eq!(
            rows[1]["title"],
            "DNS (sse/dns-failure): first seen 2020-04-19 16:00:00 UTC, last seen 2020-04-19 18:00:00 UTC"
        );
        assert_eq!(
            groups[0]["collected"]["title"],
            "collected at 2020-04-19 20:00:00 UTC"
        );
        // In Japanese, the same chart's titles hold none of the English words.
        let ja = chart(&model, Lang::Ja).unwrap();
        let ja = &ja["devices"][0];
        assert_eq!(
            ja["rows"][0]["title"],
            "api-sse.cisco.com: 問題の行 3 行を表示"
        );
        assert_eq!(
            ja["rows"][0]["bars"][0]["title"],
            "2020-04-19 16:00:00 UTC から 2 行"
        );
        assert_eq!(
            ja["rows"][1]["title"],
            "DNS（sse/dns-failure）: 初回 2020-04-19 16:00:00 UTC、最終 2020-04-19 18:00:00 UTC"
        );
        assert_eq!(ja["collected"]["title"], "収集時刻 2020-04-19 20:00:00 UTC");
    }

    #[test]
    fn every_word_of_the_chart_is_in_the_catalogue() {
        for key in [
            LINES_FROM,
            NO_HOST,
            HOST_LINES,
            RECOVERED_AT,
            FINDING,
            COLLECTED_AT,
        ] {
            assert!(super::super::i18n::text(key, Lang::Ja).is_some(), "{key}");
        }
        let host = json!({"devices": [{"id": "a", "name": "d"}],
            "findings": [{"device": "a", "title": "T", "rule": "r", "first_seen": "2020-04-19T16:00:00Z",
                "recovered_at": "2020-04-19T17:00:00Z"}],
            "activity": [{"device": "a", "host": null, "start": "2020-04-19T16:00:00Z",
                "bucket_seconds": 60, "buckets": [1]}]});
        let ja = chart(&host, Lang::Ja).unwrap();
        assert_eq!(ja["devices"][0]["rows"][0]["label"], "ホスト名のない行");
        assert_eq!(
            ja["devices"][0]["rows"][1]["recovered"]["title"],
            "2020-04-19 17:00:00 UTC に回復"
        );
    }
}
