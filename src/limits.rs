//! Resource limits for reading untrusted bundles.
//!
//! Every bound the tool applies to customer input lives here, with its default, so that the CLI can
//! expose each one as a flag and the report can name the limit that was hit. A limit never aborts
//! a run: the reader stops consuming the offending member (or archive) and records a warning.

use serde::Serialize;

/// The largest value a limit takes. Limits are compared with and added to byte counters and
/// turned into `usize`; a value near `u64::MAX` would wrap (`--max-document-bytes
/// 18446744073709551615` once became 0 and produced false findings), so larger values are refused
/// rather than silently clamped.
pub const MAX_LIMIT: u64 = i64::MAX as u64;

/// Parses a limit given on the command line: a whole number from 0 to [`MAX_LIMIT`], optionally
/// with a binary unit as `--help` shows the defaults (`4 GiB`, `64KiB`: KiB, MiB, GiB, TiB).
pub fn parse_limit(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    let unit = match trimmed[digits..].trim().to_ascii_lowercase().as_str() {
        "" => 1u64,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}` is not a whole number of 0 or more (units: KiB, MiB, GiB, TiB)"
            ));
        }
    };
    let value: u64 = trimmed[..digits]
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("`{text}` is not a whole number of 0 or more"))?;
    if value > MAX_LIMIT {
        return Err(format!("{value} is too large (at most {MAX_LIMIT})"));
    }
    Ok(value)
}

/// Like [`parse_limit`], for limits held as `usize` (which may be narrower than 64 bits).
pub fn parse_limit_usize(text: &str) -> Result<usize, String> {
    let value = parse_limit(text)?;
    usize::try_from(value).map_err(|_| format!("{value} is too large for this platform"))
}

/// Like [`parse_limit`], for limits held as `u32`.
pub fn parse_limit_u32(text: &str) -> Result<u32, String> {
    let value = parse_limit(text)?;
    u32::try_from(value).map_err(|_| format!("{value} is too large (at most {})", u32::MAX))
}

/// Bounds on what one analysis may read, decompress or keep.
#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    /// Decompressed bytes read from one member (gzip bombs stop here).
    pub member_bytes: u64,
    /// Decompressed bytes read from all members of one case.
    pub total_bytes: u64,
    /// Members read from one archive before the rest is skipped.
    pub members: u64,
    /// How deep archives may nest (a bundle inside a wrapper is depth 1).
    pub depth: u32,
    /// Bytes of one line kept for matching; the rest of a longer line is skipped.
    pub line_bytes: usize,
    /// Characters of a line kept as evidence in a report.
    pub evidence_chars: usize,
    /// Bytes of a member parsed as a whole document (JSON, command output). A document is parsed
    /// when its member ends and only what facts need is kept, so this bounds the one document in
    /// memory at a time.
    pub document_bytes: usize,
    /// JSON values (objects, arrays, scalars) of one document handed to the JSON parser; the
    /// document is cut where the budget runs out (a parsed value costs tens of bytes per byte of
    /// text: `[1,1,1,…]`).
    pub json_nodes: usize,
    /// Characters of any retained string (device names, fact values and list items, messages,
    /// warning paths and messages, inventory rows); longer ones end in `…[cut N bytes]`.
    pub value_chars: usize,
    /// Items of a list fact kept.
    pub list_items: usize,
    /// Artifacts listed per device (and loose files per case) in the inventory; what is left
    /// out is counted. Rules see every artifact kind whatever the cap.
    pub inventory_rows: usize,
    /// Warnings of one code reported one by one; the rest are counted in one summary warning.
    pub warnings_per_code: usize,
    /// Bytes of a GNU long name or PAX header block.
    pub header_bytes: u64,
    /// Bytes of nested zips kept in memory, all levels of nesting together; a zip that does not
    /// fit is spooled to an anonymous file.
    pub nested_zip_memory: u64,
    /// Bytes spooled to an anonymous temporary file (a large nested zip, a zip on standard
    /// input); 0: never spool.
    pub spool_bytes: u64,
    /// Lines of context kept before and after each first and last log hit (`--context`, as
    /// `grep -C`), at most [`MAX_CONTEXT_LINES`].
    pub context_lines: usize,
    /// Time stamps of matching lines kept per pattern and host (group), the newest, for `within`,
    /// `window`, `sequence` and the report's timeline; recovery patterns keep none.
    pub window_stamps: usize,
    /// Distinct values of one capture kept per pattern and group, for `min_distinct`.
    pub distinct_values: usize,
    /// Groups (hosts, or values of a `group_by` capture) kept per pattern; lines of a further
    /// group are not counted.
    pub groups: usize,
    /// Records kept per `records` fact of one member (rows, blocks, matches of the generic
    /// formats); the rest are counted in a `limit-records` warning.
    pub records_per_fact: usize,
    /// JSON documents and fragments of one member the `json` format reads.
    pub json_documents: usize,
    /// How error lines no rule explains are mined into templates (see [`crate::mining`]).
    pub mining: crate::mining::MiningOptions,
    /// Inflate a compressed input file on a second thread, overlapped with parsing (see
    /// `ingest::readahead`). Off, the same thread inflates and parses: `batch` turns it off while
    /// every core already has a case of its own, where the hand-over between the two threads
    /// costs more than it hides. Not a limit on the input: the results are the same either way.
    pub read_ahead: bool,
}

/// The most context lines `--context` takes: each kept sample holds twice as many lines.
pub const MAX_CONTEXT_LINES: usize = 10;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            member_bytes: 4 << 30,
            total_bytes: 64 << 30,
            members: 1_000_000,
            depth: 4,
            line_bytes: 64 << 10,
            evidence_chars: 400,
            document_bytes: 4 << 20,
            json_nodes: 100_000,
            value_chars: 1024,
            list_items: 256,
            inventory_rows: 500,
            warnings_per_code: 10,
            header_bytes: 64 << 10,
            nested_zip_memory: 16 << 20,
            spool_bytes: 1 << 30,
            context_lines: 2,
            window_stamps: 4096,
            distinct_values: 1024,
            groups: 10_000,
            records_per_fact: 1000,
            json_documents: 1000,
            mining: crate::mining::MiningOptions::default(),
            read_ahead: true,
        }
    }
}

/// `text` cut to at most `max` characters, ending in `…[cut N bytes]` (N: the bytes left out)
/// when it was longer: every string kept from a bundle goes through this, so that no input can
/// make a name, a value or a message large.
pub fn cap_text(text: &str, max: usize) -> String {
    if text.len() <= max || already_cut(text, max) {
        return text.to_string();
    }
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…[cut {} bytes]", &text[..at], text.len() - at),
    }
}

/// Whether `text` is already the output of [`cap_text`] for `max`: cutting it again would lose
/// the count of bytes cut first.
fn already_cut(text: &str, max: usize) -> bool {
    const OPEN: &str = "…[cut ";
    let Some(body) = text.strip_suffix(" bytes]") else {
        return false;
    };
    let Some(at) = body.rfind(OPEN) else {
        return false;
    };
    body[at + OPEN.len()..].bytes().all(|b| b.is_ascii_digit())
        && at + OPEN.len() < body.len()
        && body[..at].chars().count() <= max
}

/// Like [`cap_text`], in place; true when `text` was cut.
pub fn cap_in_place(text: &mut String, max: usize) -> bool {
    if text.len() <= max || text.chars().nth(max).is_none() || already_cut(text, max) {
        return false;
    }
    *text = cap_text(text, max);
    true
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    #[test]
    fn text_is_cut_with_a_visible_mark() {
        assert_eq!(cap_text("hello", 5), "hello");
        assert_eq!(cap_text("hello world", 5), "hello…[cut 6 bytes]");
        assert_eq!(cap_text("héllo", 2), "hé…[cut 3 bytes]");
        let mut s = "abcdef".to_string();
        assert!(cap_in_place(&mut s, 3));
        assert_eq!(s, "abc…[cut 3 bytes]");
        assert!(!cap_in_place(&mut s, 100));
        // Cutting what was cut keeps the first count.
        assert!(!cap_in_place(&mut s, 3));
        assert_eq!(cap_text(&s, 3), "abc…[cut 3 bytes]");
        assert_eq!(cap_text("abc…[cut 3 bytes]", 2), "ab…[cut 17 bytes]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_values_that_would_wrap_are_refused() {
        assert_eq!(parse_limit("0"), Ok(0));
        assert_eq!(parse_limit("9223372036854775807"), Ok(MAX_LIMIT));
        for bad in [
            "9223372036854775808",
            "18446744073709551615",
            "-1",
            "1e9",
            "",
            "99999999999999999999",
        ] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_limit("4 GiB"), Ok(4 << 30));
        assert_eq!(parse_limit("64kib"), Ok(64 << 10));
        assert!(parse_limit("4 GB").is_err());
        assert!(parse_limit("GiB").is_err());
        assert!(parse_limit("99999999999 TiB").is_err());
        assert_eq!(parse_limit_usize("65536"), Ok(65536));
        assert!(parse_limit_usize("18446744073709551615").is_err());
        assert!(parse_limit_u32("4294967296").is_err());
    }
}
