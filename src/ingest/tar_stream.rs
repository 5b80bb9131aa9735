//! A forward-only tar reader with its own bounds.
//!
//! The `tar` crate parses each header (ustar prefix, GNU and old formats, base-256 sizes) and PAX
//! records, but its `Entries` iterator reads GNU long names and PAX blocks whole into memory: a
//! 4 MB upload can claim a 1 GiB name. So the loop over 512-byte blocks is ours: extension blocks
//! are read only up to `Limits::header_bytes`, a damaged header is reported with its offset and
//! the reader re-synchronises on the next valid header, links are recorded and never followed,
//! and every member's data is skipped unless the visitor reads it.
//!
//! A declared size is the archive's word: one no bundle could hold is a damaged header (the
//! reader re-synchronises rather than take the rest of the stream, other devices' bundles
//! included, for that member's data), and `--max-total-bytes` counts the bytes that actually
//! pass. After the end-of-archive blocks the stream is read to its end, so that a compressed
//! stream's last checksum is verified and data hidden after the archive is reported. Members
//! are read as GNU tar reads them: GNU sparse files (PAX formats 0.0, 0.1, 1.0) under their real
//! name with their holes restored, unknown types as regular files.

use std::io::{self, Read};

use tar::{EntryType, Header, PaxExtensions};

use super::decode::damage_of;
use super::{Walk, normalise_path, sniff::header_checksum_ok};

const BLOCK: u64 = 512;

/// Declared member sizes above this are treated as a damaged header, not believed: no
/// troubleshoot bundle holds a file of a terabyte, and skipping one would consume the rest of the
/// archive (other members, other devices' bundles) as its data. The reader re-synchronises on
/// the next valid header instead.
const MAX_MEMBER_SIZE: u64 = 1 << 40;

/// Bytes read after the end-of-archive blocks to reach the end of the stream (where gzip's
/// checksum is verified); GNU tar pads to 10 KiB, other writers to a few hundred KiB at most.
const MAX_TRAILER: u64 = 1 << 20;

/// Extension records that apply to the next real member.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    /// The `size` record: Err with its text when it is not a number.
    pax_size: Option<Result<u64, String>>,
    sparse: Sparse,
}

/// GNU sparse-file records of a PAX header (formats 0.0, 0.1 and 1.0).
#[derive(Default)]
struct Sparse {
    name: Option<Vec<u8>>,
    real_size: Option<u64>,
    major: Option<u64>,
    /// 0.0 and 0.1 carry the map in the PAX header itself.
    map: Vec<u64>,
    bad: bool,
}

impl Sparse {
    fn is_sparse(&self) -> bool {
        self.name.is_some() || self.real_size.is_some() || self.major.is_some()
    }
}

struct Stream<'a> {
    inner: &'a mut dyn Read,
    offset: u64,
}

impl Stream<'_> {
    /// Fills `buf`; Ok(false) on a clean end before the first byte.
    fn block(&mut self, buf: &mut [u8; 512]) -> io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "archive ends inside a header",
                    ));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.offset += BLOCK;
        Ok(true)
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.offset += copied;
        if copied < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside a member",
            ));
        }
        Ok(())
    }

    fn read_small(&mut self, n: u64) -> io::Result<Vec<u8>> {
        // `n` is the archive's word: memory grows with the bytes that actually come.
        let mut data = Vec::with_capacity(usize::try_from(n.min(64 << 10)).unwrap_or(0));
        (&mut self.inner).take(n).read_to_end(&mut data)?;
        self.offset += data.len() as u64;
        if (data.len() as u64) < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside a header",
            ));
        }
        Ok(data)
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// `size` and its padding to the next block; sizes were checked against [`MAX_MEMBER_SIZE`]
/// (or the header limit), so this cannot overflow, and says so if it ever would.
fn padded(size: u64) -> io::Result<u64> {
    size.checked_add(padding(size)).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("member size {size} overflows"),
        )
    })
}

/// Reads the tar stream `body` as bundle `bundle`, routing every regular member.
pub(crate) fn read_tar(
    walk: &mut Walk<'_>,
    bundle: usize,
    label: &str,
    depth: u32,
    body: &mut dyn Read,
) {
    let mut stream = Stream {
        inner: body,
        offset: 0,
    };
    let mut notes = Notes::default();
    read_blocks(walk, bundle, label, depth, &mut stream, &mut notes);
    notes.report(walk, label);
}

/// What is reported once per archive, after it.
#[derive(Default)]
struct Notes {
    links: Vec<String>,
    link_count: u64,
    odd_types: Vec<String>,
    odd_type_count: u64,
}

impl Notes {
    fn report(&self, walk: &mut Walk<'_>, label: &str) {
        if self.link_count > 0 {
            walk.warn(
                "link-not-followed",
                label,
                format!(
                    "{} symbolic or hard link(s) recorded and not followed (e.g. {})",
                    self.link_count,
                    self.links.join(", ")
                ),
            );
        }
        if self.odd_type_count > 0 {
            walk.warn(
                "unknown-member-type",
                label,
                format!(
                    "{} member(s) of an unknown tar type read as regular files, as GNU tar does (e.g. {})",
                    self.odd_type_count,
                    self.odd_types.join(", ")
                ),
            );
        }
    }
}

/// Tar types that carry no file content of their own (or none worth reading): directories,
/// devices, FIFOs, GNU dump-directory lists, volume labels and old long-name records.
fn is_contentless(kind: u8) -> bool {
    matches!(kind, b'3' | b'4' | b'5' | b'6' | b'D' | b'V' | b'N')
}

fn read_blocks(
    walk: &mut Walk<'_>,
    bundle: usize,
    label: &str,
    depth: u32,
    stream: &mut Stream<'_>,
    notes: &mut Notes,
) {
    let mut pending = Pending::default();
    let mut members: u64 = 0;
    let mut resyncing_since: Option<u64> = None;
    // The header that started the resynchronisation was reported already.
    let mut resync_reported = false;
    let mut block = [0u8; 512];
    let mut saw_end = false;
    loop {
        let at = stream.offset;
        match stream.block(&mut block) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return damaged(walk, bundle, label, at, &e),
        }
        if block.iter().all(|&b| b == 0) {
            if resyncing_since.is_none() {
                saw_end = true;
                break;
            }
            continue;
        }
        if !header_checksum_ok(&block) {
            if resyncing_since.is_none() {
                resyncing_since = Some(at);
            }
            continue;
        }
        if let Some(since) = resyncing_since.take()
            && !std::mem::take(&mut resync_reported)
        {
            walk.damage(
                "corrupt-tar-header",
                bundle,
                label,
                Some(since),
                format!(
                    "invalid tar header at byte {since}; skipped {} bytes to the next valid header",
                    at - since
                ),
            );
            pending = Pending::default();
        }
        let header = Header::from_byte_slice(&block);
        let declared = match pending.pax_size.take() {
            Some(Ok(size)) => Ok(size),
            Some(Err(text)) => Err(format!("PAX size record `{text}` is not a byte count")),
            None => header
                .entry_size()
                .map_err(|e| format!("unreadable size: {e}")),
        };
        let size = match declared {
            Ok(size) if size <= MAX_MEMBER_SIZE => Some(size),
            Ok(size) => {
                let why = format!("declared size {size} is implausible (over {MAX_MEMBER_SIZE})");
                corrupt_header(walk, bundle, label, at, &why);
                None
            }
            Err(why) => {
                corrupt_header(walk, bundle, label, at, &why);
                None
            }
        };
        let Some(size) = size else {
            // Believe nothing of this header: look for the next valid one, block by block.
            pending = Pending::default();
            resyncing_since = Some(stream.offset);
            resync_reported = true;
            continue;
        };
        let kind = header.entry_type();
        let type_byte = kind.as_byte();
        let result = match kind {
            EntryType::GNULongName | EntryType::XHeader | EntryType::GNULongLink => {
                read_extension(walk, label, stream, kind, size, &mut pending, at)
            }
            EntryType::XGlobalHeader => padded(size).and_then(|n| stream.skip(n)),
            EntryType::Symlink | EntryType::Link => {
                let name = pending
                    .long_name
                    .take()
                    .or_else(|| pending.pax_path.take())
                    .unwrap_or_else(|| header.path_bytes().into_owned());
                let name = String::from_utf8_lossy(trim_nul(&name)).into_owned();
                let target = header
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // A hard link names an earlier member of this same archive: its content is read
                // from memory when that member was small. A symlink is never followed.
                let earlier = (kind == EntryType::Link)
                    .then(|| normalise_path(&target))
                    .and_then(|t| {
                        walk.small_members
                            .iter()
                            .rev()
                            .find(|(b, p, _)| *b == bundle && *p == t)
                            .map(|(_, _, data)| data.clone())
                    });
                match earlier {
                    Some(data) => walk.route(
                        bundle,
                        label,
                        depth,
                        &normalise_path(&name),
                        data.len() as u64,
                        &mut io::Cursor::new(data),
                    ),
                    None => {
                        let expected = kind == EntryType::Symlink
                            && walk.visitor.link(bundle, &normalise_path(&name), &target);
                        if !expected {
                            notes.link_count += 1;
                            if notes.links.len() < 5 {
                                notes.links.push(format!("{name} -> {target}"));
                            }
                        }
                    }
                }
                pending = Pending::default();
                padded(size).and_then(|n| stream.skip(n))
            }
            _ if is_contentless(type_byte) => {
                pending = Pending::default();
                padded(size).and_then(|n| stream.skip(n))
            }
            _ => {
                let sparse = std::mem::take(&mut pending.sparse);
                let raw_name = sparse
                    .name
                    .clone()
                    .or_else(|| pending.long_name.take())
                    .or_else(|| pending.pax_path.take())
                    .unwrap_or_else(|| header.path_bytes().into_owned());
                pending = Pending::default();
                let raw = String::from_utf8_lossy(trim_nul(&raw_name)).into_owned();
                let path = normalise_path(&raw);
                members += 1;
                if members > walk.limits.members {
                    walk.warn(
                        "limit-members",
                        label,
                        format!("more than {} members; the rest of the archive was not read (--max-members)", walk.limits.members),
                    );
                    return;
                }
                if !matches!(
                    kind,
                    EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse
                ) {
                    notes.odd_type_count += 1;
                    if notes.odd_types.len() < 5 {
                        notes
                            .odd_types
                            .push(format!("'{}' {raw}", type_byte.escape_ascii()));
                    }
                }
                if raw.starts_with('/') || raw.split(['/', '\\']).any(|s| s == "..") {
                    walk.warn("unsafe-path", format!("{label}!/{raw}"), "member name is absolute or climbs with `..`: read as data only, never resolved");
                }
                if walk.over_total(label) {
                    return;
                }
                let member = MemberData {
                    path: &path,
                    size,
                    sparse: sparse.is_sparse().then_some(sparse),
                };
                match read_member(walk, bundle, label, depth, stream, member) {
                    Ok(true) => Ok(()),
                    Ok(false) => return,
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            return damaged(walk, bundle, label, stream.offset, &e);
        }
    }
    if let Some(since) = resyncing_since {
        walk.damage(
            "corrupt-tar-header",
            bundle,
            label,
            Some(since),
            format!("invalid tar data from byte {since} to the end"),
        );
    } else if !saw_end && stream.offset > 0 {
        walk.damage(
            "truncated-archive",
            bundle,
            label,
            Some(stream.offset),
            format!(
                "tar stream ends at byte {} without its end-of-archive blocks",
                stream.offset
            ),
        );
    } else if saw_end {
        read_trailer(walk, bundle, label, stream);
    }
}

fn corrupt_header(walk: &mut Walk<'_>, bundle: usize, label: &str, at: u64, why: &str) {
    walk.damage(
        "corrupt-tar-header",
        bundle,
        label,
        Some(at),
        format!("header at byte {at} not believed: {why}; looking for the next valid header"),
    );
}

/// Reports a read error of the stream: damaged compressed data (a checksum that does not match,
/// data after the end) by its own code, anything else as a truncation.
fn damaged(walk: &mut Walk<'_>, bundle: usize, label: &str, at: u64, e: &io::Error) {
    let code = damage_of(e).map_or("truncated-archive", |d| d.code());
    walk.damage(
        code,
        bundle,
        label,
        Some(at),
        format!("damaged at byte {at} of the tar stream: {e}; members before it were read"),
    );
}

/// Reads what follows the end-of-archive blocks to the end of the stream, so that a compressed
/// stream's last checksum is verified and data hidden after the end is reported.
fn read_trailer(walk: &mut Walk<'_>, bundle: usize, label: &str, stream: &mut Stream<'_>) {
    let end = stream.offset;
    let mut buf = [0u8; 8 << 10];
    let mut read = 0u64;
    let mut nonzero_at = None;
    loop {
        match stream.inner.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if nonzero_at.is_none()
                    && let Some(i) = buf[..n].iter().position(|&b| b != 0)
                {
                    nonzero_at = Some(end + read + i as u64);
                }
                read += n as u64;
                if read >= MAX_TRAILER {
                    walk.warn(
                        "trailing-data",
                        label,
                        format!(
                            "more than {MAX_TRAILER} bytes after the end-of-archive blocks at byte {end}; not read"
                        ),
                    );
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let code = damage_of(&e).map_or("truncated-archive", |d| d.code());
                walk.damage(
                    code,
                    bundle,
                    label,
                    Some(end),
                    format!("after the end of the tar archive (byte {end}): {e}"),
                );
                return;
            }
        }
    }
    if let Some(at) = nonzero_at {
        walk.warn(
            "trailing-data",
            label,
            format!(
                "data after the end-of-archive blocks (from byte {at}) is not part of the archive: ignored"
            ),
        );
    }
}

fn trim_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn read_extension(
    walk: &mut Walk<'_>,
    label: &str,
    stream: &mut Stream<'_>,
    kind: EntryType,
    size: u64,
    pending: &mut Pending,
    at: u64,
) -> io::Result<()> {
    if size > walk.limits.header_bytes {
        walk.warn(
            "limit-header-bytes",
            label,
            format!(
                "extension header of {size} bytes at byte {at} skipped (--max-header-bytes {})",
                walk.limits.header_bytes
            ),
        );
        return padded(size).and_then(|n| stream.skip(n));
    }
    let data = stream.read_small(size)?;
    stream.skip(padding(size))?;
    match kind {
        EntryType::GNULongName => pending.long_name = Some(trim_nul(&data).to_vec()),
        EntryType::XHeader => {
            for ext in PaxExtensions::new(&data).flatten() {
                match ext.key_bytes() {
                    b"path" => pending.pax_path = Some(ext.value_bytes().to_vec()),
                    b"size" => {
                        let text = String::from_utf8_lossy(ext.value_bytes());
                        pending.pax_size = Some(text.trim().parse().map_err(|_| text.into_owned()))
                    }
                    b"GNU.sparse.name" => pending.sparse.name = Some(ext.value_bytes().to_vec()),
                    key @ (b"GNU.sparse.realsize"
                    | b"GNU.sparse.size"
                    | b"GNU.sparse.major"
                    | b"GNU.sparse.offset"
                    | b"GNU.sparse.numbytes") => {
                        let sparse = &mut pending.sparse;
                        let Some(n) = number(ext.value_bytes()) else {
                            sparse.bad = true;
                            continue;
                        };
                        match key {
                            b"GNU.sparse.major" => sparse.major = Some(n),
                            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => sparse.map.push(n),
                            _ => sparse.real_size = Some(n),
                        }
                    }
                    b"GNU.sparse.map" => {
                        let sparse = &mut pending.sparse;
                        for field in ext.value_bytes().split(|&b| b == b',') {
                            match number(field) {
                                Some(n) => sparse.map.push(n),
                                None => sparse.bad = true,
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn number(text: &[u8]) -> Option<u64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// A regular member about to be read.
struct MemberData<'p> {
    path: &'p str,
    /// Bytes of data in the archive.
    size: u64,
    sparse: Option<Sparse>,
}

/// Routes one member and skips whatever was not read. Its bytes are counted against
/// `--max-total-bytes` as they are consumed, never as declared: Ok(false) when the limit
/// stopped the archive.
fn read_member(
    walk: &mut Walk<'_>,
    bundle: usize,
    label: &str,
    depth: u32,
    stream: &mut Stream<'_>,
    member: MemberData<'_>,
) -> io::Result<bool> {
    let MemberData { path, size, sparse } = member;
    let remaining = walk.limits.total_bytes.saturating_sub(walk.total_bytes);
    let allowed = size.min(remaining);
    let consumed = {
        let mut data = (&mut *stream.inner).take(allowed);
        let mut tracked = Tracked {
            inner: &mut data,
            read: 0,
        };
        match sparse {
            None => walk.route(bundle, label, depth, path, size, &mut tracked),
            Some(sparse) => {
                let limit = walk.limits.header_bytes;
                match SparseReader::open(&mut tracked, sparse, size, limit) {
                    Ok(mut expanded) => {
                        let real_size = expanded.real_size;
                        walk.route(bundle, label, depth, path, real_size, &mut expanded);
                    }
                    // A read error of the stream itself is met again below, and reported there.
                    Err(SparseError::Read) => {}
                    Err(SparseError::Map(why)) => walk.warn(
                        "corrupt-tar-header",
                        format!("{label}!/{path}"),
                        format!("GNU sparse member with a bad map ({why}): content not read"),
                    ),
                }
            }
        }
        let read = tracked.read;
        let left = allowed - read.min(allowed);
        // Whatever the visitor did not read is skipped here, without buffering.
        let skipped = io::copy(&mut data, &mut io::sink())?;
        stream.offset += read + skipped;
        if skipped < left {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("archive ends inside member {path}"),
            ));
        }
        read + skipped
    };
    walk.total_bytes = walk.total_bytes.saturating_add(consumed);
    if allowed < size {
        walk.total_bytes = walk
            .total_bytes
            .max(walk.limits.total_bytes.saturating_add(1));
        walk.over_total(label);
        return Ok(false);
    }
    stream.skip(padding(size))?;
    walk.read_whole(bundle, path);
    Ok(true)
}

enum SparseError {
    /// The stream failed; that is reported by the tar reader.
    Read,
    Map(String),
}

/// A GNU sparse file's content: its data chunks at their offsets, zeros in the holes between
/// them, up to its real size (as GNU tar restores it).
struct SparseReader<'a> {
    data: &'a mut dyn Read,
    /// (offset, length) of each data chunk, in order, not overlapping.
    map: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
    chunk_left: u64,
    real_size: u64,
}

impl<'a> SparseReader<'a> {
    /// `size` is the member's size in the archive; map text (format 1.0) is read up to
    /// `map_limit` bytes.
    fn open(
        data: &'a mut dyn Read,
        sparse: Sparse,
        size: u64,
        map_limit: u64,
    ) -> Result<SparseReader<'a>, SparseError> {
        let bad = |why: &str| SparseError::Map(why.to_string());
        if sparse.bad {
            return Err(bad("a record is not a number"));
        }
        let mut numbers = sparse.map;
        let mut stored = size;
        if sparse.major == Some(1) {
            // Format 1.0: the map leads the data, as decimal lines, padded to a block.
            let mut used = 0u64;
            let count = map_number(data, &mut used, map_limit)?;
            if count > map_limit / 4 {
                return Err(bad("more map entries than --max-header-bytes allows"));
            }
            numbers.clear();
            for _ in 0..count.saturating_mul(2) {
                numbers.push(map_number(data, &mut used, map_limit)?);
            }
            let pad = padding(used);
            let mut skip = [0u8; 512];
            data.read_exact(&mut skip[..pad as usize])
                .map_err(|_| SparseError::Read)?;
            stored = stored
                .checked_sub(used + pad)
                .ok_or_else(|| bad("the map is larger than the member"))?;
        }
        if !numbers.len().is_multiple_of(2) {
            return Err(bad("odd number of map values"));
        }
        let real_size = sparse.real_size.unwrap_or(stored);
        if real_size > MAX_MEMBER_SIZE {
            return Err(bad("implausible real size"));
        }
        let mut map = Vec::with_capacity(numbers.len() / 2);
        let (mut end, mut total) = (0u64, 0u64);
        for pair in numbers.chunks_exact(2) {
            let (offset, length) = (pair[0], pair[1]);
            let chunk_end = offset
                .checked_add(length)
                .filter(|&e| offset >= end && e <= real_size)
                .ok_or_else(|| bad("chunks out of order or past the real size"))?;
            total = total.saturating_add(length);
            end = chunk_end;
            map.push((offset, length));
        }
        if total > stored {
            return Err(bad("the map holds more data than the member"));
        }
        Ok(SparseReader {
            data,
            map,
            next: 0,
            pos: 0,
            chunk_left: 0,
            real_size,
        })
    }
}

/// One decimal line of a format 1.0 sparse map.
fn map_number(data: &mut dyn Read, used: &mut u64, limit: u64) -> Result<u64, SparseError> {
    let mut value: u64 = 0;
    let mut digits = 0;
    loop {
        let mut byte = [0u8; 1];
        data.read_exact(&mut byte).map_err(|_| SparseError::Read)?;
        *used += 1;
        if *used > limit {
            return Err(SparseError::Map(
                "map longer than --max-header-bytes".into(),
            ));
        }
        match byte[0] {
            b'\n' if digits > 0 => return Ok(value),
            d @ b'0'..=b'9' if digits < 20 => {
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(d - b'0')))
                    .ok_or_else(|| SparseError::Map("map number overflows".into()))?;
                digits += 1;
            }
            _ => return Err(SparseError::Map("map is not decimal lines".into())),
        }
    }
}

impl Read for SparseReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.chunk_left > 0 {
                let want = buf
                    .len()
                    .min(usize::try_from(self.chunk_left).unwrap_or(usize::MAX));
                let n = self.data.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "archive ends inside a sparse member",
                    ));
                }
                self.chunk_left -= n as u64;
                self.pos += n as u64;
                return Ok(n);
            }
            let target = self.map.get(self.next).map_or(self.real_size, |c| c.0);
            if self.pos < target {
                let n = buf
                    .len()
                    .min(usize::try_from(target - self.pos).unwrap_or(usize::MAX));
                buf[..n].fill(0);
                self.pos += n as u64;
                return Ok(n);
            }
            match self.map.get(self.next) {
                Some(&(_, length)) => {
                    self.chunk_left = length;
                    self.next += 1;
                }
                None => return Ok(0),
            }
        }
    }
}

struct Tracked<'a> {
    inner: &'a mut dyn Read,
    read: u64,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Bundle, Member, Visitor, Warning, read_bytes};
    use crate::limits::Limits;

    #[derive(Default)]
    struct Seen {
        members: Vec<(String, Vec<u8>)>,
        warnings: Vec<Warning>,
    }

    impl Visitor for Seen {
        fn bundle(&mut self, _: &Bundle) {}
        fn member(&mut self, member: &Member<'_>, body: &mut dyn Read) -> io::Result<()> {
            let mut data = Vec::new();
            body.read_to_end(&mut data)?;
            self.members.push((member.path.to_string(), data));
            Ok(())
        }
        fn warning(&mut self, warning: Warning) {
            self.warnings.push(warning);
        }
    }

    impl Seen {
        fn codes(&self) -> Vec<&str> {
            self.warnings.iter().map(|w| w.code).collect()
        }
    }

    fn read(data: &[u8]) -> Seen {
        let mut seen = Seen::default();
        read_bytes("t.tar", data, &Limits::default(), &mut seen).unwrap();
        seen
    }

    fn header(name: &str, kind: u8, size: u64) -> Header {
        let mut h = Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(EntryType::new(kind));
        h.set_size(size);
        h.set_cksum();
        h
    }

    fn pax(records: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (key, value) in records {
            let body = format!(" {key}={value}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            out.extend(format!("{len}{body}").into_bytes());
        }
        out
    }

    fn tar(entries: &[(Header, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (h, data) in entries {
            b.append(h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn sparse_1_0_members_are_expanded_under_their_real_name() {
        // Chunks "abc" at 2 and "xyz" at 10 of a 14-byte file.
        let mut data = b"2\n2\n3\n10\n3\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"abcxyz");
        let records = pax(&[
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.name", "dir/real.txt"),
            ("GNU.sparse.realsize", "14"),
        ]);
        let bytes = tar(&[
            (header("PaxHeaders/x", b'x', records.len() as u64), &records),
            (
                header("GNUSparseFile.1/real.txt", b'0', data.len() as u64),
                &data,
            ),
        ]);
        let seen = read(&bytes);
        assert!(seen.warnings.is_empty(), "{:?}", seen.warnings);
        assert_eq!(
            seen.members,
            [(
                "dir/real.txt".to_string(),
                b"\0\0abc\0\0\0\0\0xyz\0".to_vec()
            )]
        );
    }

    #[test]
    fn sparse_0_1_map_in_the_header_and_bad_maps() {
        let records = pax(&[
            ("GNU.sparse.size", "6"),
            ("GNU.sparse.map", "0,2,4,2"),
            ("path", "d/f.txt"),
        ]);
        let bytes = tar(&[
            (header("PaxHeaders/x", b'x', records.len() as u64), &records),
            (header("GNUSparseFile.1/f.txt", b'0', 4), b"abcd"),
        ]);
        assert_eq!(
            read(&bytes).members,
            [("d/f.txt".to_string(), b"ab\0\0cd".to_vec())]
        );

        // Chunks out of order: reported, the next member still read.
        let records = pax(&[("GNU.sparse.size", "6"), ("GNU.sparse.map", "4,2,0,2")]);
        let bytes = tar(&[
            (header("PaxHeaders/x", b'x', records.len() as u64), &records),
            (header("f.txt", b'0', 4), b"abcd"),
            (header("next.txt", b'0', 2), b"ok"),
        ]);
        let seen = read(&bytes);
        assert_eq!(seen.codes(), ["corrupt-tar-header"]);
        assert_eq!(seen.members, [("next.txt".to_string(), b"ok".to_vec())]);
    }

    #[test]
    fn unknown_types_are_read_and_reported_once() {
        let bytes = tar(&[
            (header("a.txt", b'Z', 2), b"aa"),
            (header("b.txt", b'Q', 2), b"bb"),
            (header("dir", b'5', 0), b""),
        ]);
        let seen = read(&bytes);
        assert_eq!(seen.members.len(), 2);
        assert_eq!(seen.codes(), ["unknown-member-type"]);
        assert!(seen.warnings[0].message.starts_with("2 member(s)"));
    }

    #[test]
    fn data_after_the_end_blocks_is_reported() {
        let mut bytes = tar(&[(header("a.txt", b'0', 2), b"aa")]);
        assert!(read(&bytes).warnings.is_empty());
        bytes.extend_from_slice(&[0; 4096]);
        assert!(read(&bytes).warnings.is_empty(), "zero padding is no data");
        bytes.extend_from_slice(b"hidden");
        let seen = read(&bytes);
        assert_eq!(seen.codes(), ["trailing-data"]);
        assert_eq!(seen.members.len(), 1);
    }

    #[test]
    fn declared_sizes_are_not_believed() {
        // A size that no archive holds skips that header only.
        let records = pax(&[("size", "18446744073709551615")]);
        let bytes = tar(&[
            (header("PaxHeaders/x", b'x', records.len() as u64), &records),
            (header("huge.bin", b'0', 3), b"abc"),
            (header("next.txt", b'0', 2), b"ok"),
        ]);
        let seen = read(&bytes);
        assert_eq!(seen.codes(), ["corrupt-tar-header"]);
        assert_eq!(seen.members, [("next.txt".to_string(), b"ok".to_vec())]);

        // The total counts bytes consumed: a member cut by the total limit stops the archive
        // with the limit's warning, after exactly the limit.
        let bytes = tar(&[
            (header("a.txt", b'0', 600), &[b'a'; 600]),
            (header("b.txt", b'0', 600), &[b'b'; 600]),
        ]);
        let limits = Limits {
            total_bytes: 1000,
            ..Limits::default()
        };
        let mut seen = Seen::default();
        read_bytes("t.tar", &bytes, &limits, &mut seen).unwrap();
        assert_eq!(seen.codes(), ["limit-total-bytes"]);
        assert_eq!(seen.members[0].1.len(), 600);
        assert_eq!(seen.members[1].1.len(), 400);
    }

    #[test]
    fn gzip_damage_inside_a_wrapper_is_reported_by_its_own_code() {
        let inner = tar(&[(header("a.txt", b'0', 2), b"aa")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &inner).unwrap();
        let mut gz = gz.finish().unwrap();
        let crc_at = gz.len() - 8;
        gz[crc_at] ^= 1;
        let bytes = tar(&[(header("dev/b.tar.gz", b'0', gz.len() as u64), &gz)]);
        let seen = read(&bytes);
        assert_eq!(seen.codes(), ["bad-gzip"]);
        assert_eq!(seen.members, [("a.txt".to_string(), b"aa".to_vec())]);
        assert!(seen.warnings[0].path.ends_with("dev/b.tar.gz"));
    }
}
