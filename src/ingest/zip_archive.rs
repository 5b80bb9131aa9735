//! Zip inputs, read through the central directory so that only wanted entries are inflated.
//!
//! Customers re-pack uploads as zip, and case wrappers often are zips of bundles. A zip cannot be
//! read without seeking, so one found inside a tar stream is buffered in memory up to a limit, or
//! spooled to an anonymous temporary file (no name from the archive touches the file system).
//! When the central directory is damaged, the local headers are walked from the start instead, so
//! that the readable entries are still analysed.
//!
//! The central directory is the archive's word, not a fact. Entries whose bytes overlap another
//! entry's are never legitimate: they are how a 1 MB zip makes 256 entries out of one 256 MiB
//! member (Fifield's "better zip bomb"), so only the first entry over any byte range is read.
//! Entries sharing a name are reported, and each copy over bytes of its own is read as a member
//! of its own: the zip crate's index keeps only the last of them, which would let a second copy
//! of a file silently replace the first.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};

use super::{Format, HEAD_BYTES, IngestError, LimitedReader, Walk, normalise_path};

/// Byte ranges of the entries that are read (a lower bound of each: see [`overlapping`]).
type Ranges = std::collections::BTreeMap<u64, u64>;

/// Whether `[start, end)` meets a range of `taken` (which are disjoint).
fn meets(taken: &Ranges, start: u64, end: u64) -> bool {
    taken
        .range(..end)
        .next_back()
        .is_some_and(|(_, &e)| e > start)
}

/// Entries to leave unread because their bytes overlap an earlier entry's, by index, and the
/// ranges of the others; warns once.
fn overlapping<R: Read + Seek>(
    walk: &mut Walk<'_>,
    archive: &zip::ZipArchive<R>,
    label: &str,
) -> (Vec<bool>, Ranges) {
    let mut ranges: Vec<(u64, u64, usize)> = (0..archive.len())
        .filter_map(|i| {
            let entry = archive.by_index_data(i).ok()?;
            // A lower bound of the entry's extent: the local header's fixed part and the data
            // (its name and extra field only make it longer), so no disjoint pair is flagged.
            let start = entry.header_start();
            let end = start
                .saturating_add(30)
                .saturating_add(entry.compressed_size());
            Some((start, end, i))
        })
        .collect();
    ranges.sort_unstable();
    let mut skip = vec![false; archive.len()];
    let mut taken = Ranges::new();
    let mut covered = 0u64;
    let mut count = 0u64;
    for (start, end, i) in ranges {
        if start < covered {
            skip[i] = true;
            count += 1;
        } else {
            covered = end;
            taken.insert(start, end);
        }
    }
    if count > 0 {
        walk.warn(
            "bad-zip",
            label,
            format!(
                "{count} entries overlap the bytes of another entry (a zip bomb's trick, never legitimate): only the first entry over each range was read"
            ),
        );
    }
    (skip, taken)
}

/// Earlier entries of names that occur more than once in the central directory, as (name,
/// local header offset): the zip crate's index keeps only the last entry of each name.
fn shadowed_entries<R: Read + Seek>(
    reader: &mut R,
    cd_start: u64,
    archive_offset: u64,
    most: u64,
) -> Vec<Shadowed> {
    let mut found = Vec::new();
    let Ok(_) = reader.seek(io::SeekFrom::Start(cd_start)) else {
        return found;
    };
    let mut reader = io::BufReader::new(reader);
    let mut seen: std::collections::HashMap<Vec<u8>, u64> = Default::default();
    let mut entries: Vec<Shadowed> = Vec::new();
    let mut fixed = [0u8; 46];
    while (entries.len() as u64) < most && reader.read_exact(&mut fixed).is_ok() {
        if fixed[..4] != *b"PK\x01\x02" {
            break;
        }
        let le16 = |at: usize| u16::from_le_bytes([fixed[at], fixed[at + 1]]) as usize;
        let le32 = |at: usize| {
            u32::from_le_bytes([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]])
        };
        let (name_len, extra_len, comment_len) = (le16(28), le16(30), le16(32));
        let mut name = vec![0u8; name_len];
        let mut extra = vec![0u8; extra_len];
        if reader.read_exact(&mut name).is_err()
            || reader.read_exact(&mut extra).is_err()
            || io::copy(&mut (&mut reader).take(comment_len as u64), &mut io::sink()).is_err()
        {
            break;
        }
        // Zip64: each field too large for 32 bits is in the extra field, in this order.
        let mut wide = zip64_values(&extra).into_iter();
        let mut field = |narrow: u32| match narrow {
            u32::MAX => wide.next(),
            n => Some(u64::from(n)),
        };
        let _size = field(le32(24));
        let compressed = field(le32(20));
        let offset = field(le32(42));
        let (Some(compressed), Some(offset)) = (compressed, offset) else {
            continue;
        };
        entries.push(Shadowed {
            name,
            offset: offset.saturating_add(archive_offset),
            compressed,
        });
    }
    // Every entry but the last of its name (which the crate's index reads).
    for (i, entry) in entries.iter().enumerate() {
        seen.insert(entry.name.clone(), i as u64);
    }
    for (i, entry) in entries.into_iter().enumerate() {
        if seen.get(&entry.name) != Some(&(i as u64)) {
            found.push(entry);
        }
    }
    found
}

/// An entry of the central directory that the zip crate's index does not hold.
struct Shadowed {
    name: Vec<u8>,
    offset: u64,
    compressed: u64,
}

/// The values of the zip64 extended-information extra field.
fn zip64_values(extra: &[u8]) -> Vec<u64> {
    let mut rest = extra;
    while rest.len() >= 4 {
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = u16::from_le_bytes([rest[2], rest[3]]) as usize;
        let Some(body) = rest.get(4..4 + len) else {
            break;
        };
        if id == 1 {
            return body
                .chunks_exact(8)
                .filter_map(|b| b.try_into().ok().map(u64::from_le_bytes))
                .collect();
        }
        rest = &rest[4 + len..];
    }
    Vec::new()
}

/// Warns of names that occur more than once and reads their earlier entries as members of
/// their own (the last one was read through the index).
fn read_shadowed<R: Read + Seek>(
    walk: &mut Walk<'_>,
    reader: &mut R,
    (cd_start, archive_offset): (u64, u64),
    mut taken: Ranges,
    (bundle, label, depth): (usize, &str, u32),
) {
    let mut shadowed = shadowed_entries(reader, cd_start, archive_offset, walk.limits.members);
    let mut names: Vec<String> = shadowed
        .iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    names.dedup();
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    walk.warn(
        "duplicate-member",
        label,
        format!(
            "{} entries share their name with a later entry (e.g. {}): each copy with bytes of its own is read as a member of its own",
            shadowed.len().max(1),
            shown.join(", ")
        ),
    );
    // Copies over bytes already read are a bomb's trick as much as overlapping names are.
    let before = shadowed.len();
    shadowed.retain(|e| {
        let end = e.offset.saturating_add(30).saturating_add(e.compressed);
        let fresh = !meets(&taken, e.offset, end);
        if fresh {
            taken.insert(e.offset, end);
        }
        fresh
    });
    if shadowed.len() < before {
        walk.warn(
            "bad-zip",
            label,
            format!(
                "{} entries sharing a name overlap the bytes of another entry: not read",
                before - shadowed.len()
            ),
        );
    }
    for Shadowed { name, offset, .. } in shadowed {
        if walk.over_total(label) {
            return;
        }
        if reader.seek(io::SeekFrom::Start(offset)).is_err() {
            continue;
        }
        let mut stream = io::BufReader::new(&mut *reader);
        match zip::read::read_zipfile_from_stream(&mut stream) {
            Ok(Some(mut entry)) => {
                let info = EntryInfo::of(&entry);
                if info.raw_name != name {
                    continue;
                }
                let mut links = 0;
                visit_entry(walk, (bundle, label, depth), &info, &mut links, &mut entry);
            }
            Ok(None) => {}
            Err(e) => walk.warn(
                "bad-zip",
                label,
                format!(
                    "earlier entry {} unreadable: {e}",
                    String::from_utf8_lossy(&name)
                ),
            ),
        }
    }
}

/// A zip given as input (a file, or bytes in memory). Large ones are read on two threads.
pub(crate) fn read_zip_file<R: Read + Seek + Clone + Send>(
    walk: &mut Walk<'_>,
    mut file: R,
    label: &str,
) -> Result<(), IngestError> {
    match zip::ZipArchive::new(file.clone()) {
        Ok(mut archive) => {
            let index = walk.open_bundle(label.to_string(), None, Format::Zip, 0);
            let (skip, taken) = overlapping(walk, &archive, label);
            if archive.len() >= PREFETCH_FROM {
                read_entries_prefetched(walk, &mut archive, &skip, index, label, 0);
            } else {
                read_entries(walk, &mut archive, &skip, index, label, 0);
            }
            if archive.has_duplicate_names() {
                let places = (archive.central_directory_start(), archive.offset());
                read_shadowed(walk, &mut file, places, taken, (index, label, 0));
            }
            Ok(())
        }
        Err(e) => {
            file.rewind().map_err(|source| IngestError::Open {
                path: label.to_string(),
                source,
            })?;
            let reopened = file;
            let index = walk.open_bundle(label.to_string(), None, Format::Zip, 0);
            let read = read_local_headers(walk, io::BufReader::new(reopened), index, label, 0);
            // A zip cut short (a download that stopped) loses its central directory first.
            walk.damage(
                "bad-zip",
                index,
                label,
                None,
                format!("zip central directory unreadable ({e}); {read} entries read from the local headers in order"),
            );
            if read == 0 {
                return Err(IngestError::NotAnArchive {
                    path: label.to_string(),
                    reason: format!("damaged zip with no readable entry: {e}"),
                });
            }
            Ok(())
        }
    }
}

/// A zip found as a member of another archive. It is held in memory while all nested zips in
/// memory together stay within `Limits::nested_zip_memory`; else it is spooled to an anonymous
/// temporary file, all spool files together within `Limits::spool_bytes` (a zip that does not
/// fit is not opened: its central directory is at its end).
pub(crate) fn read_nested_zip(
    walk: &mut Walk<'_>,
    parent: usize,
    label: &str,
    depth: u32,
    body: &mut dyn Read,
) {
    let limit = walk
        .limits
        .nested_zip_memory
        .saturating_sub(walk.nested_in_memory);
    let mut memory = Vec::new();
    // One byte over the limit says that the zip does not fit; that byte is spooled with the
    // rest (a probe that dropped it once cut every spooled zip short).
    if let Err(e) = (&mut *body)
        .take(limit.saturating_add(1))
        .read_to_end(&mut memory)
    {
        walk.warn(
            "unreadable-member",
            label,
            format!("nested zip cannot be read: {e}"),
        );
        return;
    }
    if memory.len() as u64 <= limit {
        let held = memory.len() as u64;
        let index = walk.open_bundle(label.to_string(), Some(parent), Format::Zip, depth);
        walk.nested_in_memory += held;
        open_and_read(walk, Cursor::new(memory), index, label, depth);
        walk.nested_in_memory -= held;
        return;
    }
    // Too large for memory: spool to an anonymous file, unlinked from creation on.
    let room = walk.limits.spool_bytes.saturating_sub(walk.spooled);
    let spooled = (|| -> io::Result<Option<(File, u64)>> {
        if (memory.len() as u64) > room {
            return Ok(None);
        }
        let mut spool = tempfile::tempfile()?;
        spool.write_all(&memory)?;
        let mut copied = memory.len() as u64;
        drop(memory);
        copied += io::copy(&mut (&mut *body).take(room - copied + 1), &mut spool)?;
        if copied > room {
            return Ok(None);
        }
        spool.rewind()?;
        Ok(Some((spool, copied)))
    })();
    match spooled {
        Ok(Some((file, size))) => {
            let index = walk.open_bundle(label.to_string(), Some(parent), Format::Zip, depth);
            walk.spooled += size;
            open_and_read(walk, file, index, label, depth);
            walk.spooled -= size;
        }
        Ok(None) => {
            let limit = walk.limits.spool_bytes;
            walk.warn(
                "limit-spool-bytes",
                label,
                format!(
                    "nested zip not opened: larger than the memory left for nested zips (--max-nested-zip-memory) and than the {room} bytes of {limit} left to spool (--max-spool-bytes)"
                ),
            );
        }
        Err(e) => walk.warn(
            "unreadable-member",
            label,
            format!("nested zip could not be spooled: {e}"),
        ),
    }
}

fn open_and_read<R: Read + Seek>(
    walk: &mut Walk<'_>,
    reader: R,
    index: usize,
    label: &str,
    depth: u32,
) {
    match zip::ZipArchive::new(reader) {
        Ok(mut archive) => {
            let (skip, taken) = overlapping(walk, &archive, label);
            read_entries(walk, &mut archive, &skip, index, label, depth);
            if archive.has_duplicate_names() {
                let places = (archive.central_directory_start(), archive.offset());
                let mut reader = archive.into_inner();
                read_shadowed(walk, &mut reader, places, taken, (index, label, depth));
            }
        }
        Err(e) => walk.warn(
            "bad-zip",
            label,
            format!("nested zip central directory unreadable: {e}"),
        ),
    }
}

/// What the entry loop needs to know of an entry besides its data.
struct EntryInfo {
    raw_name: Vec<u8>,
    size: u64,
    is_dir: bool,
    is_symlink: bool,
    enclosed: bool,
}

impl EntryInfo {
    fn of<R: Read>(entry: &zip::read::ZipFile<'_, R>) -> EntryInfo {
        EntryInfo {
            raw_name: entry.name_raw().to_vec(),
            size: entry.size(),
            is_dir: entry.is_dir(),
            is_symlink: entry.is_symlink(),
            enclosed: entry.enclosed_name().is_some(),
        }
    }
}

enum Next {
    Continue,
    Stop,
}

fn members_limit(walk: &mut Walk<'_>, label: &str) {
    walk.warn(
        "limit-members",
        label,
        format!(
            "more than {} entries; the rest was not read (--max-members)",
            walk.limits.members
        ),
    );
}

/// Routes one entry; `body` yields its decompressed data.
fn visit_entry(
    walk: &mut Walk<'_>,
    (bundle, label, depth): (usize, &str, u32),
    info: &EntryInfo,
    links: &mut u64,
    body: &mut dyn Read,
) -> Next {
    if info.is_dir {
        return Next::Continue;
    }
    let raw = String::from_utf8_lossy(&info.raw_name).into_owned();
    if info.is_symlink {
        // A zip symlink's data is its target's text.
        let mut target = Vec::new();
        let expected = body.take(4096).read_to_end(&mut target).is_ok()
            && walk.visitor.link(
                bundle,
                &normalise_path(&raw),
                &String::from_utf8_lossy(&target),
            );
        if !expected {
            *links += 1;
        }
        return Next::Continue;
    }
    if !info.enclosed || raw.starts_with('/') {
        walk.warn(
            "unsafe-path",
            format!("{label}!/{raw}"),
            "entry name is absolute or climbs with `..`: read as data only, never resolved",
        );
    }
    let path = normalise_path(&raw);
    if walk.over_total(label) {
        return Next::Stop;
    }
    // Only what is inflated counts: the declared size is the archive's word, not a fact.
    let remaining = walk.limits.total_bytes.saturating_sub(walk.total_bytes);
    let mut counted = LimitedReader::new(body, remaining);
    walk.route(bundle, label, depth, &path, info.size, &mut counted);
    walk.total_bytes = walk.total_bytes.saturating_add(remaining - counted.left);
    if counted.hit_limit {
        walk.total_bytes = walk.limits.total_bytes.saturating_add(1);
        walk.over_total(label);
        return Next::Stop;
    }
    walk.read_whole(bundle, &path);
    Next::Continue
}

fn report_links(walk: &mut Walk<'_>, label: &str, links: u64) {
    if links > 0 {
        walk.warn(
            "link-not-followed",
            label,
            format!("{links} symbolic link entr(ies) recorded and not followed"),
        );
    }
}

fn read_entries<R: Read + Seek>(
    walk: &mut Walk<'_>,
    archive: &mut zip::ZipArchive<R>,
    skip: &[bool],
    bundle: usize,
    label: &str,
    depth: u32,
) {
    let mut links = 0u64;
    for i in 0..archive.len() {
        if i as u64 >= walk.limits.members {
            members_limit(walk, label);
            break;
        }
        if skip.get(i) == Some(&true) {
            continue;
        }
        let mut entry = match archive.by_index(i) {
            Ok(entry) => entry,
            Err(e) => {
                walk.warn("bad-zip", label, format!("entry {i} unreadable: {e}"));
                continue;
            }
        };
        let info = EntryInfo::of(&entry);
        if let Next::Stop = visit_entry(walk, (bundle, label, depth), &info, &mut links, &mut entry)
        {
            break;
        }
    }
    report_links(walk, label, links);
}

/// One entry as the prefetching thread found it: its metadata and its first decompressed
/// bytes (None when they could not be read: the reader then meets the error itself).
type Prefetched = Result<(EntryInfo, Option<Vec<u8>>), String>;

/// Entries per hand-over.
const BATCH: usize = 64;

/// Below this many entries a second thread is not worth starting.
const PREFETCH_FROM: usize = 64;

/// Entries in bounded flight between the prefetching thread and the reader.
const PREFETCH: usize = 256;

/// Like [`read_entries`], with a second thread that opens each entry and inflates its head
/// ahead of the reader. Most entries of a bundle are wanted for their head only (routing by
/// content); those are never opened by the reader at all, so a zip is read on two cores.
fn read_entries_prefetched<R: Read + Seek + Clone + Send>(
    walk: &mut Walk<'_>,
    archive: &mut zip::ZipArchive<R>,
    skip: &[bool],
    bundle: usize,
    label: &str,
    depth: u32,
) {
    let mut ahead = archive.clone();
    let count = archive
        .len()
        .min(usize::try_from(walk.limits.members.saturating_add(1)).unwrap_or(usize::MAX));
    std::thread::scope(|scope| {
        // Entries go over in batches: a hand-over per entry may wake the other thread each
        // time, and those wake-ups cost more than the work on this VM.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prefetched>>(PREFETCH / BATCH);
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for i in 0..count {
                let item = if skip.get(i) == Some(&true) {
                    Err(String::new())
                } else {
                    match ahead.by_index(i) {
                        Ok(mut entry) => {
                            let info = EntryInfo::of(&entry);
                            let head = if info.is_dir || info.is_symlink {
                                Some(Vec::new())
                            } else {
                                // Room for the whole head up front: `read_to_end` into an empty
                                // vector starts with tiny reads, which inflate slowly.
                                let room = (info.size as usize).min(HEAD_BYTES) + 1;
                                let mut head = Vec::with_capacity(room);
                                (&mut entry)
                                    .take(HEAD_BYTES as u64)
                                    .read_to_end(&mut head)
                                    .ok()
                                    .map(|_| head)
                            };
                            Ok((info, head))
                        }
                        Err(e) => Err(e.to_string()),
                    }
                };
                batch.push(item);
                if (batch.len() == BATCH || i + 1 == count)
                    && tx.send(std::mem::take(&mut batch)).is_err()
                {
                    return; // the reader stopped early
                }
            }
        });
        let mut links = 0u64;
        for (i, item) in rx.iter().flatten().enumerate() {
            if i as u64 >= walk.limits.members {
                members_limit(walk, label);
                break;
            }
            if skip.get(i) == Some(&true) {
                continue;
            }
            let (info, head) = match item {
                Ok(found) => found,
                Err(e) => {
                    walk.warn("bad-zip", label, format!("entry {i} unreadable: {e}"));
                    continue;
                }
            };
            // A head shorter than asked for is the whole entry: it is never reopened.
            let whole = head.as_ref().is_some_and(|h| h.len() < HEAD_BYTES);
            let mut body = LazyEntry {
                archive: if whole { None } else { Some(&mut *archive) },
                index: i,
                head: head.unwrap_or_default(),
                pos: 0,
                entry: None,
            };
            if let Next::Stop =
                visit_entry(walk, (bundle, label, depth), &info, &mut links, &mut body)
            {
                break;
            }
        }
        report_links(walk, label, links);
        // Dropping the receiver here ends the prefetching thread before the scope joins it.
    });
}

/// An entry's data: the prefetched head first, then, only if read past it, the entry opened
/// on the reader's own handle and skipped to the same point.
struct LazyEntry<'a, R: Read + Seek> {
    /// None when the head is the whole entry (or the entry was opened already).
    archive: Option<&'a mut zip::ZipArchive<R>>,
    index: usize,
    head: Vec<u8>,
    pos: usize,
    entry: Option<zip::read::ZipFile<'a, R>>,
}

impl<R: Read + Seek> Read for LazyEntry<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = out.len().min(self.head.len() - self.pos);
            out[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        if self.entry.is_none() {
            let Some(archive) = self.archive.take() else {
                return Ok(0);
            };
            let mut entry = archive.by_index(self.index).map_err(io::Error::other)?;
            let skip = self.head.len() as u64;
            if io::copy(&mut (&mut entry).take(skip), &mut io::sink())? < skip {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "entry shorter on a second read",
                ));
            }
            self.entry = Some(entry);
        }
        match &mut self.entry {
            Some(entry) => entry.read(out),
            None => Ok(0),
        }
    }
}

/// Walks local file headers in order; used when the central directory is damaged.
fn read_local_headers<R: Read>(
    walk: &mut Walk<'_>,
    mut reader: R,
    bundle: usize,
    label: &str,
    depth: u32,
) -> u64 {
    let mut read = 0u64;
    loop {
        match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(mut entry)) => {
                if entry.is_dir() || entry.is_symlink() {
                    continue;
                }
                read += 1;
                if read > walk.limits.members {
                    members_limit(walk, label);
                    break;
                }
                let info = EntryInfo::of(&entry);
                let mut links = 0;
                let next = visit_entry(walk, (bundle, label, depth), &info, &mut links, &mut entry);
                if let Next::Stop = next {
                    break;
                }
                // The stream reader needs the entry drained before the next header.
                let _ = io::copy(&mut entry, &mut io::sink());
            }
            Ok(None) => break,
            Err(e) => {
                walk.warn(
                    "bad-zip",
                    label,
                    format!("local headers unreadable after {read} entries: {e}"),
                );
                break;
            }
        }
    }
    read
}
