//! A forward-only tar reader with its own bounds.
//!
//! The `tar` crate parses each header (ustar prefix, GNU and old formats, base-256 sizes) and PAX
//! records, but its `Entries` iterator reads GNU long names and PAX blocks whole into memory: a
//! 4 MB upload can claim a 1 GiB name. So the loop over 512-byte blocks is ours: extension blocks
//! are read only up to `Limits::header_bytes`, a damaged header is reported with its offset and
//! the reader re-synchronises on the next valid header, links are recorded and never followed,
//! and every member's data is skipped unless the visitor reads it.

use std::io::{self, Read};

use tar::{EntryType, Header, PaxExtensions};

use super::{Walk, normalise_path, sniff::header_checksum_ok};

const BLOCK: u64 = 512;

/// Extension records that apply to the next real member.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_size: Option<u64>,
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
        let mut data = Vec::with_capacity(n as usize);
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
    let mut pending = Pending::default();
    let mut members: u64 = 0;
    let mut links: Vec<String> = Vec::new();
    let mut link_count = 0u64;
    let mut resyncing_since: Option<u64> = None;
    let mut block = [0u8; 512];
    let mut saw_end = false;
    loop {
        let at = stream.offset;
        match stream.block(&mut block) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                walk.damage(
                    "truncated-archive",
                    bundle,
                    label,
                    Some(at),
                    format!(
                        "damaged at byte {at} of the tar stream: {e}; members before it were read"
                    ),
                );
                return report_links(walk, label, link_count, &links);
            }
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
        if let Some(since) = resyncing_since.take() {
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
        let size = match pending.pax_size.take() {
            Some(size) => size,
            None => match header.entry_size() {
                Ok(size) => size,
                Err(e) => {
                    walk.warn(
                        "corrupt-tar-header",
                        label,
                        format!("unreadable size in the header at byte {at}: {e}"),
                    );
                    resyncing_since = Some(at);
                    continue;
                }
            },
        };
        let kind = header.entry_type();
        let result = match kind {
            EntryType::GNULongName | EntryType::XHeader | EntryType::GNULongLink => {
                read_extension(walk, label, &mut stream, kind, size, &mut pending, at)
            }
            EntryType::XGlobalHeader => stream.skip(size + padding(size)),
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let raw_name = pending
                    .long_name
                    .take()
                    .or_else(|| pending.pax_path.take())
                    .unwrap_or_else(|| header.path_bytes().into_owned());
                let raw = String::from_utf8_lossy(trim_nul(&raw_name)).into_owned();
                let path = normalise_path(&raw);
                members += 1;
                if members > walk.limits.members {
                    walk.warn(
                        "limit-members",
                        label,
                        format!("more than {} members; the rest of the archive was not read (--max-members)", walk.limits.members),
                    );
                    return report_links(walk, label, link_count, &links);
                }
                if raw.starts_with('/') || raw.split(['/', '\\']).any(|s| s == "..") {
                    walk.warn("unsafe-path", format!("{label}!/{raw}"), "member name is absolute or climbs with `..`: read as data only, never resolved");
                }
                walk.total_bytes += size;
                if walk.over_total(label) {
                    return report_links(walk, label, link_count, &links);
                }
                read_member(walk, bundle, label, depth, &mut stream, &path, size)
            }
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
                        if kind == EntryType::Symlink {
                            walk.visitor.link(bundle, &normalise_path(&name), &target);
                        }
                        link_count += 1;
                        if links.len() < 5 {
                            links.push(format!("{name} -> {target}"));
                        }
                    }
                }
                pending = Pending::default();
                stream.skip(size + padding(size))
            }
            _ => {
                pending = Pending::default();
                stream.skip(size + padding(size))
            }
        };
        if let Err(e) = result {
            walk.damage(
                "truncated-archive",
                bundle,
                label,
                Some(stream.offset),
                format!(
                    "damaged at byte {} of the tar stream: {e}; members before it were read",
                    stream.offset
                ),
            );
            return report_links(walk, label, link_count, &links);
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
    }
    report_links(walk, label, link_count, &links);
}

fn report_links(walk: &mut Walk<'_>, label: &str, count: u64, examples: &[String]) {
    if count > 0 {
        walk.warn(
            "link-not-followed",
            label,
            format!(
                "{count} symbolic or hard link(s) recorded and not followed (e.g. {})",
                examples.join(", ")
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
        return stream.skip(size + padding(size));
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
                        pending.pax_size = ext.value().ok().and_then(|v| v.trim().parse().ok())
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_member(
    walk: &mut Walk<'_>,
    bundle: usize,
    label: &str,
    depth: u32,
    stream: &mut Stream<'_>,
    path: &str,
    size: u64,
) -> io::Result<()> {
    let start = stream.offset;
    {
        let mut data = (&mut *stream.inner).take(size);
        let mut tracked = Tracked {
            inner: &mut data,
            read: 0,
        };
        walk.route(bundle, label, depth, path, size, &mut tracked);
        stream.offset += tracked.read;
        let left = size - tracked.read.min(size);
        // Whatever the visitor did not read is skipped here, without buffering.
        let skipped = io::copy(&mut data, &mut io::sink())?;
        stream.offset += skipped;
        if skipped < left {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("archive ends inside member {path}"),
            ));
        }
    }
    debug_assert!(stream.offset - start == size);
    stream.skip(padding(size))?;
    walk.read_whole(bundle, path);
    Ok(())
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
