//! Resource limits for reading untrusted bundles.
//!
//! Every bound the tool applies to customer input lives here, with its default, so that the CLI can
//! expose each one as a flag and the report can name the limit that was hit. A limit never aborts
//! a run: the reader stops consuming the offending member (or archive) and records a warning.

use serde::Serialize;

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
    /// How error lines no rule explains are mined into templates (see [`crate::mining`]).
    pub mining: crate::mining::MiningOptions,
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
            mining: crate::mining::MiningOptions::default(),
        }
    }
}
