//! Tests on the named captures of a matching line (`where: {pct: {at_least: 95}}`).
//!
//! They run in the streaming pass, right after a pattern matched and its captures were taken,
//! so that a line that fails them is never counted: nothing per line is kept to decide later.
//! The operators are the fact operators, applied to the capture's text read as the operator
//! needs it (a number for `less_than`, a version for `version_below`, text otherwise); a capture
//! that does not read as that type, or that did not take part in the match, fails the test.

use regex::Regex;

use crate::version::Version;

/// One test on one capture's text.
#[derive(Debug, Clone)]
pub enum CaptureTest {
    /// A number compares numerically, text case-insensitively, a boolean as `true`/`false`.
    Equals(serde_json::Value),
    NotEquals(serde_json::Value),
    In(Vec<serde_json::Value>),
    NotIn(Vec<serde_json::Value>),
    Matches(Regex),
    /// Case-insensitive substring.
    Contains(String),
    LessThan(f64),
    AtLeast(f64),
    VersionBelow(Version),
    VersionAtLeast(Version),
    VersionAbove(Version),
    VersionAtMost(Version),
}

fn same(text: &str, want: &serde_json::Value) -> bool {
    match want {
        serde_json::Value::Number(n) => number(text).is_some_and(|x| Some(x) == n.as_f64()),
        serde_json::Value::String(s) => text.eq_ignore_ascii_case(s),
        serde_json::Value::Bool(b) => text.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

impl CaptureTest {
    /// Whether `text` (the capture's value; `None` when the group did not match) passes.
    pub fn holds(&self, text: Option<&str>) -> bool {
        let Some(text) = text else {
            return false;
        };
        let version = || Version::parse(text);
        match self {
            CaptureTest::Equals(w) => same(text, w),
            CaptureTest::NotEquals(w) => !same(text, w),
            CaptureTest::In(ws) => ws.iter().any(|w| same(text, w)),
            CaptureTest::NotIn(ws) => !ws.iter().any(|w| same(text, w)),
            CaptureTest::Matches(re) => re.is_match(text),
            CaptureTest::Contains(s) => text.to_ascii_lowercase().contains(&s.to_ascii_lowercase()),
            CaptureTest::LessThan(n) => number(text).is_some_and(|x| x < *n),
            CaptureTest::AtLeast(n) => number(text).is_some_and(|x| x >= *n),
            CaptureTest::VersionBelow(v) => version().is_some_and(|x| x < *v),
            CaptureTest::VersionAtLeast(v) => version().is_some_and(|x| x >= *v),
            CaptureTest::VersionAbove(v) => version().is_some_and(|x| x > *v),
            CaptureTest::VersionAtMost(v) => version().is_some_and(|x| x <= *v),
        }
    }
}

/// Every test of a pattern, on the captures of one line.
pub fn all_hold(tests: &[(String, CaptureTest)], captures: &[(String, String)]) -> bool {
    tests.iter().all(|(name, test)| {
        test.holds(
            captures
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_read_the_capture_as_their_operator_needs() {
        assert!(CaptureTest::AtLeast(95.0).holds(Some("97")));
        assert!(!CaptureTest::AtLeast(95.0).holds(Some("9")));
        assert!(!CaptureTest::AtLeast(95.0).holds(Some("ninety")));
        assert!(!CaptureTest::AtLeast(95.0).holds(None));
        assert!(CaptureTest::LessThan(350.0).holds(Some("349")));
        assert!(CaptureTest::Equals(serde_json::json!(8989)).holds(Some("8989")));
        assert!(CaptureTest::Equals(serde_json::json!("Up")).holds(Some("UP")));
        assert!(
            CaptureTest::In(vec![serde_json::json!("a"), serde_json::json!(2)]).holds(Some("2"))
        );
        assert!(CaptureTest::NotIn(vec![serde_json::json!("a")]).holds(Some("b")));
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(CaptureTest::VersionAbove(v("7.2")).holds(Some("7.2.5")));
        assert!(!CaptureTest::VersionAbove(v("7.2")).holds(Some("7.2.0")));
        assert!(CaptureTest::VersionAtMost(v("7.2")).holds(Some("7.2.0")));
        let caps = vec![("pct".to_string(), "96".to_string())];
        assert!(all_hold(
            &[("pct".into(), CaptureTest::AtLeast(95.0))],
            &caps
        ));
        assert!(!all_hold(
            &[("other".into(), CaptureTest::AtLeast(95.0))],
            &caps
        ));
    }
}
