//! JSON selectors of the `json` format, a small JSONPath: `$.a.b`, `$.items[*].name`, `$.a[0]`,
//! `$..state` (at any depth), `$["key with space"]`. Results come in document order.

use serde_json::Value;

/// One step of a selector.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    /// `[*]` or `.*`: every element or member.
    All,
    /// `..key`: this key at any depth below.
    Descend(String),
}

/// A compiled selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    steps: Vec<Step>,
    text: String,
}

/// Values visited by one selection at most: `$..x` over a large document stays bounded.
const MAX_VISITS: usize = 1 << 20;

impl Selector {
    /// Parses `$…`; the error says what is wrong, for lint.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| "a selector starts with `$`".to_string())?;
        let b = rest.as_bytes();
        let mut i = 0;
        let mut steps = Vec::new();
        let name_end = |from: usize| {
            rest[from..]
                .find(['.', '['])
                .map_or(rest.len(), |e| from + e)
        };
        while i < b.len() {
            match b[i] {
                b'.' if b.get(i + 1) == Some(&b'.') => {
                    let end = name_end(i + 2);
                    let name = &rest[i + 2..end];
                    if name.is_empty() {
                        return Err(format!("`..` needs a key after it (at {})", i + 1));
                    }
                    steps.push(Step::Descend(name.to_string()));
                    i = end;
                }
                b'.' => {
                    let end = name_end(i + 1);
                    let name = &rest[i + 1..end];
                    match name {
                        "" => return Err(format!("an empty key (at {})", i + 1)),
                        "*" => steps.push(Step::All),
                        _ => steps.push(Step::Key(name.to_string())),
                    }
                    i = end;
                }
                b'[' => {
                    let close = rest[i..]
                        .find(']')
                        .map(|c| i + c)
                        .ok_or_else(|| format!("`[` without `]` (at {})", i + 1))?;
                    let inner = rest[i + 1..close].trim();
                    if inner == "*" {
                        steps.push(Step::All);
                    } else if let Ok(n) = inner.parse::<usize>() {
                        steps.push(Step::Index(n));
                    } else if inner.len() >= 2
                        && (inner.starts_with('"') && inner.ends_with('"')
                            || inner.starts_with('\'') && inner.ends_with('\''))
                    {
                        steps.push(Step::Key(inner[1..inner.len() - 1].to_string()));
                    } else {
                        return Err(format!(
                            "`[{inner}]` is not `[*]`, an index or a quoted key"
                        ));
                    }
                    i = close + 1;
                }
                _ => return Err(format!("expected `.` or `[` at {}", i + 1)),
            }
        }
        Ok(Selector {
            steps,
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The last key the selector names, for finding the line of a result.
    pub fn last_key(&self) -> Option<&str> {
        self.steps.iter().rev().find_map(|s| match s {
            Step::Key(k) | Step::Descend(k) => Some(k.as_str()),
            _ => None,
        })
    }

    /// Every value the selector reaches in `root`, in document order.
    pub fn select<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![root];
        let mut visits = 0usize;
        for step in &self.steps {
            let mut next = Vec::new();
            for v in current {
                match step {
                    Step::Key(k) => next.extend(v.get(k.as_str())),
                    Step::Index(n) => next.extend(v.get(*n)),
                    Step::All => match v {
                        Value::Array(a) => next.extend(a.iter()),
                        Value::Object(o) => next.extend(o.values()),
                        _ => {}
                    },
                    Step::Descend(k) => descend(v, k, &mut next, &mut visits),
                }
            }
            current = next;
        }
        current
    }
}

fn descend<'v>(v: &'v Value, key: &str, out: &mut Vec<&'v Value>, visits: &mut usize) {
    *visits += 1;
    if *visits > MAX_VISITS {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                if k == key {
                    out.push(child);
                }
                descend(child, key, out, visits);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| descend(c, key, out, visits)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_reach_values_in_document_order() {
        let doc: Value = serde_json::from_str(
            r#"{"haStatus": {"state": "Active", "peers": [{"name": "a"}, {"name": "b"}]},
                "items": [{"x": 1}, {"x": 2}, {"y": {"x": 3}}], "odd key": true}"#,
        )
        .unwrap();
        let sel = |s: &str| {
            Selector::parse(s)
                .unwrap()
                .select(&doc)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(sel("$.haStatus.state"), [Value::from("Active")]);
        assert_eq!(
            sel("$.haStatus.peers[*].name"),
            [Value::from("a"), Value::from("b")]
        );
        assert_eq!(sel("$.items[*].x"), [Value::from(1), Value::from(2)]);
        assert_eq!(
            sel("$..x"),
            [Value::from(1), Value::from(2), Value::from(3)]
        );
        assert_eq!(sel("$.items[1].x"), [Value::from(2)]);
        assert_eq!(sel("$['odd key']"), [Value::from(true)]);
        assert!(sel("$.nothing.here").is_empty());
        assert_eq!(
            Selector::parse("$..state").unwrap().last_key(),
            Some("state")
        );
    }

    #[test]
    fn bad_selectors_say_why() {
        for bad in ["a.b", "$.", "$..", "$[x]", "$[1", "$a"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}
