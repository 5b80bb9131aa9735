//! Bounded copies of text from a bundle: at most so many characters, the cut marked with an
//! ellipsis. Below every layer that keeps evidence (facts, mining), so that they share it without
//! depending on each other.

/// Appends `text` to `out`, cut to `max` characters with an ellipsis.
pub fn push_capped(out: &mut String, text: &str, max: usize) {
    // A string of at most `max` bytes has at most `max` characters: no need to count them.
    let cut = if text.len() <= max {
        None
    } else {
        text.char_indices().nth(max).map(|(at, _)| at)
    };
    match cut {
        Some(at) => {
            out.push_str(&text[..at]);
            out.push('…');
        }
        None => out.push_str(text),
    }
}

/// Cuts text to at most `max` characters, marking the cut.
pub fn cap_chars(text: &str, max: usize) -> String {
    let mut out = String::new();
    push_capped(&mut out, text, max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_at_characters_with_an_ellipsis() {
        assert_eq!(cap_chars("a line", 3), "a l…");
        assert_eq!(cap_chars("héllo", 2), "hé…");
        assert_eq!(cap_chars("abc", 3), "abc");
        assert_eq!(cap_chars("hi", 5), "hi");
        let mut out = "x".to_string();
        push_capped(&mut out, "yz", 1);
        assert_eq!(out, "xy…");
    }
}
