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

/// Parses a limit given on the command line: a whole number from 0 to [`MAX_LIMIT`].
pub fn parse_limit(text: &str) -> Result<u64, String> {
    let value: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of 0 or more"))?;
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
    /// Bytes of a member parsed as a whole document (JSON, command output).
    pub document_bytes: usize,
    /// Bytes of a GNU long name or PAX header block.
    pub header_bytes: u64,
    /// Bytes of a zip nested in a tar kept in memory; a larger one is spooled to an anonymous file.
    pub nested_zip_memory: u64,
    /// Bytes spooled to an anonymous temporary file (a large nested zip, a zip on standard
    /// input); 0: never spool.
    pub spool_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            member_bytes: 4 << 30,
            total_bytes: 64 << 30,
            members: 1_000_000,
            depth: 4,
            line_bytes: 64 << 10,
            evidence_chars: 400,
            document_bytes: 32 << 20,
            header_bytes: 64 << 10,
            nested_zip_memory: 64 << 20,
            spool_bytes: 1 << 30,
        }
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
        assert_eq!(parse_limit_usize("65536"), Ok(65536));
        assert!(parse_limit_usize("18446744073709551615").is_err());
        assert!(parse_limit_u32("4294967296").is_err());
    }
}
