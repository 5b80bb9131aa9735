//! Decompressors that say when the bytes are wrong.
//!
//! A troubleshoot bundle is evidence: a host name altered in transit must not be reported as
//! fact without a word. Every compressed stream is therefore read to its end and checked: each
//! gzip member's CRC-32 and ISIZE, xz's block checks, bzip2's block CRCs, zstd's content
//! checksum. StreamDamage is returned as an `io::Error` carrying a [`StreamDamage`] (so that the archive
//! readers above can tell it from truncation, which stays a plain `UnexpectedEof`), and every
//! reader here repeats its first error on later reads instead of pretending the stream ended:
//! layers above skip what they do not read, and a skip that met a clean end after an error would
//! report the damage as a truncation, or not at all.
//!
//! Multi-member gzip is read member by member, not with `MultiGzDecoder`, because after a member
//! ends that decoder reads whatever follows as the next header: trailing garbage of fewer than
//! ten bytes would look like a truncated member, and trailing zeros like corruption.

use std::io::{self, BufRead, BufReader, Read};

use thiserror::Error;

/// A compressed stream whose content is not what was compressed, or not all of it.
#[derive(Debug, Clone, Error)]
pub(crate) enum StreamDamage {
    #[error(
        "gzip member {member} fails its CRC-32/length check: the decompressed data is not what was compressed"
    )]
    GzipChecksum { member: u64 },
    #[error("corrupt {format} data: {detail}")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    #[error(
        "data after the end of the {format} stream (after member {member}) is not {format}: ignored"
    )]
    Trailing { format: &'static str, member: u64 },
}

impl StreamDamage {
    /// The warning code a reader reports this damage with.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            StreamDamage::GzipChecksum { .. } | StreamDamage::Corrupt { format: "gzip", .. } => {
                "bad-gzip"
            }
            StreamDamage::Corrupt { .. } => "bad-compressed-data",
            StreamDamage::Trailing { .. } => "trailing-data",
        }
    }

    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// The [`StreamDamage`] an error carries, if it is one.
pub(crate) fn damage_of(e: &io::Error) -> Option<&StreamDamage> {
    e.get_ref()?.downcast_ref::<StreamDamage>()
}

/// An equivalent of `e`, to be returned again (`io::Error` is not `Clone`).
pub(crate) fn replay(e: &io::Error) -> io::Error {
    match damage_of(e) {
        Some(d) => d.clone().into_io(),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// The compressions a tarball comes in besides gzip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Xz,
    Bzip2,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }
}

/// Which of [`Compression`] the first bytes say, if any.
pub fn sniff_compression(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Compression::Xz)
    } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some(Compression::Bzip2)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// Largest xz dictionary accepted, in KiB (xz -9 uses 64 MiB): a header may claim up to 4 GiB,
/// which would be allocated before a byte is decoded.
const XZ_MEMORY_KIB: u32 = 256 << 10;

/// Largest zstd window accepted (zstd's own default limit for decoding is 128 MiB as well).
const ZSTD_WINDOW: u64 = 128 << 20;

/// A reader of `source`'s decompressed content in `codec`.
pub(crate) fn decompress<'a, R: Read + 'a>(codec: Compression, source: R) -> Box<dyn Read + 'a> {
    match codec {
        Compression::Xz => Box::new(Checked::new(
            "xz",
            lzma_rust2::XzReader::new_mem_limit(source, true, XZ_MEMORY_KIB),
        )),
        Compression::Bzip2 => Box::new(Checked::new(
            "bzip2",
            bzip2::read::MultiBzDecoder::new(source),
        )),
        Compression::Zstd => Box::new(Zstd::new(BufReader::new(source))),
    }
}

/// Wraps a decoder whose errors are not classified: truncation stays `UnexpectedEof`, anything
/// else is [`StreamDamage::Corrupt`]; the first error repeats.
struct Checked<R> {
    format: &'static str,
    inner: R,
    failed: Option<io::Error>,
}

impl<R: Read> Checked<R> {
    fn new(format: &'static str, inner: R) -> Self {
        Checked {
            format,
            inner,
            failed: None,
        }
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(replay(e));
        }
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let e = if e.kind() == io::ErrorKind::UnexpectedEof || damage_of(&e).is_some() {
                    e
                } else {
                    StreamDamage::Corrupt {
                        format: self.format,
                        detail: e.to_string(),
                    }
                    .into_io()
                };
                self.failed = Some(replay(&e));
                Err(e)
            }
        }
    }
}

/// A gzip file of one or more members, each checked (CRC-32 and ISIZE) as it ends.
pub(crate) struct Gunzip<R: BufRead> {
    decoder: Option<flate2::bufread::GzDecoder<R>>,
    /// 1-based number of the member being read.
    member: u64,
    failed: Option<io::Error>,
}

impl<R: BufRead> Gunzip<R> {
    pub(crate) fn new(source: R) -> Self {
        Gunzip {
            decoder: Some(flate2::bufread::GzDecoder::new(source)),
            member: 1,
            failed: None,
        }
    }

    fn fail(&mut self, e: io::Error) -> io::Error {
        self.failed = Some(replay(&e));
        e
    }

    fn classify(&self, e: io::Error) -> io::Error {
        // flate2 reports truncation as UnexpectedEof, and a checksum mismatch, a bad header or
        // bad deflate data as InvalidInput; read errors of the file itself pass through.
        if e.kind() != io::ErrorKind::InvalidInput {
            return e;
        }
        let text = e.to_string();
        if text.contains("checksum") {
            StreamDamage::GzipChecksum {
                member: self.member,
            }
            .into_io()
        } else {
            StreamDamage::Corrupt {
                format: "gzip",
                detail: format!("member {}: {text}", self.member),
            }
            .into_io()
        }
    }
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(replay(e));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = &mut self.decoder else {
                return Ok(0);
            };
            match decoder.read(buf) {
                Ok(0) => {
                    // The member ended and its trailer matched: another member, the end, or
                    // something that is not gzip.
                    let next = match decoder.get_mut().fill_buf() {
                        Ok([]) => None,
                        Ok(rest) => Some(rest.starts_with(&[0x1f, 0x8b])),
                        Err(e) => return Err(self.fail(e)),
                    };
                    match next {
                        None => {
                            self.decoder = None;
                            return Ok(0);
                        }
                        Some(true) => {
                            if let Some(done) = self.decoder.take() {
                                self.decoder =
                                    Some(flate2::bufread::GzDecoder::new(done.into_inner()));
                            }
                            self.member += 1;
                        }
                        Some(false) => {
                            let e = StreamDamage::Trailing {
                                format: "gzip",
                                member: self.member,
                            }
                            .into_io();
                            return Err(self.fail(e));
                        }
                    }
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
                Err(e) => {
                    let e = self.classify(e);
                    return Err(self.fail(e));
                }
            }
        }
    }
}

/// zstd frames one after another (skippable frames skipped), each checked against its content
/// checksum when it has one.
struct Zstd<R: BufRead> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
    frame: u64,
    failed: Option<io::Error>,
}

impl<R: BufRead> Zstd<R> {
    fn new(source: R) -> Self {
        let mut decoder = ruzstd::decoding::FrameDecoder::new();
        decoder.set_max_window_size(ZSTD_WINDOW);
        Zstd {
            source,
            decoder,
            in_frame: false,
            frame: 0,
            failed: None,
        }
    }

    fn fail(&mut self, e: io::Error) -> io::Error {
        self.failed = Some(replay(&e));
        e
    }

    fn corrupt(&mut self, detail: impl std::fmt::Display) -> io::Error {
        let e = StreamDamage::Corrupt {
            format: "zstd",
            detail: format!("frame {}: {detail}", self.frame),
        }
        .into_io();
        self.fail(e)
    }

    /// Starts the next frame; Ok(false) at a clean end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            self.frame += 1;
            match self.decoder.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let length = u64::from(length);
                    let skipped = io::copy(&mut (&mut self.source).take(length), &mut io::sink())?;
                    if skipped < length {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd stream ends inside a skippable frame",
                        ));
                    }
                }
                Err(FrameDecoderError::ReadFrameHeaderError(
                    ReadFrameHeaderError::BadMagicNumber(_),
                )) if self.frame > 1 => {
                    let e = StreamDamage::Trailing {
                        format: "zstd",
                        member: self.frame - 1,
                    }
                    .into_io();
                    return Err(self.fail(e));
                }
                Err(e) => return Err(self.corrupt(e)),
            }
        }
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        if let Some(e) = &self.failed {
            return Err(replay(e));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                match self.next_frame() {
                    Ok(true) => self.in_frame = true,
                    Ok(false) => return Ok(0),
                    Err(e) => {
                        if self.failed.is_none() {
                            self.failed = Some(replay(&e));
                        }
                        return Err(e);
                    }
                }
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                if let Err(e) = self
                    .decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                {
                    // ruzstd reports running out of input like bad input: an empty source
                    // says which it was.
                    if matches!(self.source.fill_buf(), Ok([])) {
                        let e = io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("zstd stream ends inside frame {}", self.frame),
                        );
                        return Err(self.fail(e));
                    }
                    return Err(self.corrupt(e));
                }
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.decoder.is_finished() {
                let (stored, computed) = (
                    self.decoder.get_checksum_from_data(),
                    self.decoder.get_calculated_checksum(),
                );
                if let (Some(stored), Some(computed)) = (stored, computed)
                    && stored != computed
                {
                    return Err(self.corrupt("content checksum mismatch"));
                }
                self.in_frame = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn gunzip(data: &[u8]) -> (Vec<u8>, io::Result<usize>) {
        let mut out = Vec::new();
        let mut r = Gunzip::new(data);
        let result = r.read_to_end(&mut out);
        (out, result)
    }

    #[test]
    fn members_are_read_in_turn_and_each_is_checked() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        let (out, result) = gunzip(&two);
        assert_eq!(out, b"hello world");
        assert!(result.is_ok());

        // A wrong CRC in the first member's trailer: the data comes, then the damage.
        let mut bad = gz(b"hello ");
        let crc_at = bad.len() - 8;
        bad[crc_at] ^= 1;
        bad.extend(gz(b"world"));
        let (out, result) = gunzip(&bad);
        assert_eq!(out, b"hello ");
        let e = result.unwrap_err();
        assert!(matches!(
            damage_of(&e),
            Some(StreamDamage::GzipChecksum { member: 1 })
        ));
        assert_eq!(damage_of(&e).unwrap().code(), "bad-gzip");
    }

    #[test]
    fn wrong_length_is_damage_and_a_cut_is_truncation() {
        let mut bad = gz(b"some text");
        let isize_at = bad.len() - 4;
        bad[isize_at] ^= 1;
        let e = gunzip(&bad).1.unwrap_err();
        assert_eq!(damage_of(&e).unwrap().code(), "bad-gzip");

        let whole = gz(&b"line of text\n".repeat(1000));
        for cut in [whole.len() - 3, whole.len() / 2, 12] {
            let e = gunzip(&whole[..cut]).1.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}: {e}");
            assert!(damage_of(&e).is_none());
        }
    }

    #[test]
    fn trailing_bytes_are_reported_after_the_whole_content() {
        for tail in [&b"\0"[..], b"garbage", &[0u8; 4096]] {
            let mut data = gz(b"content");
            data.extend_from_slice(tail);
            let (out, result) = gunzip(&data);
            assert_eq!(out, b"content");
            let e = result.unwrap_err();
            assert_eq!(damage_of(&e).unwrap().code(), "trailing-data", "{tail:?}");
        }
    }

    #[test]
    fn the_first_error_repeats() {
        let mut bad = gz(b"abc");
        let crc_at = bad.len() - 8;
        bad[crc_at] ^= 1;
        let mut r = Gunzip::new(&bad[..]);
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
        let again = r.read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(damage_of(&again).unwrap().code(), "bad-gzip");
    }

    #[test]
    fn other_codecs_round_trip_and_say_when_damaged() {
        let text = b"time=2020 level=info msg=hello\n".repeat(500);
        let mut xz = Vec::new();
        {
            let mut w =
                lzma_rust2::XzWriter::new(&mut xz, lzma_rust2::XzOptions::with_preset(1)).unwrap();
            w.write_all(&text).unwrap();
            w.finish().unwrap();
        }
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&text).unwrap();
        let bz = bz.finish().unwrap();
        let zst = ruzstd::encoding::compress_to_vec(
            &text[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        for (codec, data) in [
            (Compression::Xz, xz),
            (Compression::Bzip2, bz),
            (Compression::Zstd, zst),
        ] {
            assert_eq!(sniff_compression(&data), Some(codec));
            let mut out = Vec::new();
            decompress(codec, &data[..]).read_to_end(&mut out).unwrap();
            assert_eq!(out, text, "{codec:?}");
            // Two streams back to back are read as one content.
            let mut twice = data.clone();
            twice.extend_from_slice(&data);
            out.clear();
            decompress(codec, &twice[..]).read_to_end(&mut out).unwrap();
            assert_eq!(out.len(), text.len() * 2, "{codec:?}");
            // A flipped byte in the middle is an error, never a silent success.
            let mut bad = data.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x55;
            out.clear();
            let result = decompress(codec, &bad[..]).read_to_end(&mut out);
            assert!(
                result.is_err() || out != text,
                "{codec:?}: damage went unnoticed"
            );
            let e = result.unwrap_err();
            assert!(damage_of(&e).is_some(), "{codec:?}: {e}");
            // A cut is a truncation, not damage.
            out.clear();
            let cut = &data[..data.len() * 6 / 10];
            let e = decompress(codec, cut).read_to_end(&mut out).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{codec:?}: {e}");
        }
    }
}
