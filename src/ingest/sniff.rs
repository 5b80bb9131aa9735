//! Recognises an archive by its first bytes, never by its name: customers rename and re-pack
//! uploads, so `.tgz`, `.tar`, `.zip` and names without any extension all occur.

use serde::Serialize;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Gzip,
    Tar,
    Zip,
    Directory,
    Other,
}

/// Needs at least 512 bytes to recognise a tar; fewer only ever say gzip, zip or other.
pub fn sniff(head: &[u8]) -> Format {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Format::Gzip;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    if head.len() >= 512 && is_tar_header(&head[..512]) {
        return Format::Tar;
    }
    Format::Other
}

/// Names an archive or compression format that is recognised but not read, for the message
/// that refuses it ("this is a 7-Zip archive").
pub fn other_format(head: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 7] = [
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (b"\x04\x22\x4d\x18", "an LZ4 file"),
        (b"LZIP", "an lzip file"),
        (b"\x1f\x9d", "a Unix compress (.Z) file"),
        (b"\x5d\x00\x00", "an LZMA (.lzma) file"),
        (b"PK\x07\x08", "a split zip archive (one part of several)"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, name)| *name)
}

/// A ustar/GNU magic, or an old-style header whose checksum is right.
fn is_tar_header(block: &[u8]) -> bool {
    if &block[257..262] == b"ustar" {
        return true;
    }
    // Old (v7) headers have no magic; a valid checksum over a non-empty name is evidence enough.
    if block[0] == 0 {
        return false;
    }
    header_checksum_ok(block)
}

/// The tar checksum: the sum of all header bytes with the checksum field read as spaces.
pub fn header_checksum_ok(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    let field = &block[148..156];
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    sum == stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Format::Gzip);
        assert_eq!(sniff(b"PK\x03\x04rest"), Format::Zip);
        assert_eq!(sniff(b"time=\"2020\" level=info"), Format::Other);
        assert_eq!(sniff(b""), Format::Other);
    }

    #[test]
    fn recognises_a_real_tar_header() {
        let mut header = tar::Header::new_ustar();
        header.set_path("a/b.txt").unwrap();
        header.set_size(3);
        header.set_cksum();
        assert_eq!(sniff(header.as_bytes()), Format::Tar);
        let mut old = tar::Header::new_old();
        old.set_path("x").unwrap();
        old.set_cksum();
        assert_eq!(sniff(old.as_bytes()), Format::Tar);
        assert_eq!(sniff(&[b'x'; 512]), Format::Other);
    }
}
