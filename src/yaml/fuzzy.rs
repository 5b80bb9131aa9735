//! "Did you mean": the closest known name to a misspelt one, by edit distance.
//!
//! Every loader offers it (an unknown key, fact, kind, rule id or format), so it lives here,
//! below them all.

/// The closest known name, for "did you mean".
pub fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_name_within_reach() {
        let known = ["regex", "contains", "levels"];
        assert_eq!(
            did_you_mean("regx", known.iter().copied()).as_deref(),
            Some("did you mean `regex`?")
        );
        assert_eq!(did_you_mean("window", known.iter().copied()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
