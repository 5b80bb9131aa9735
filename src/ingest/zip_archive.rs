//! Zip inputs, read through the central directory so that only wanted entries are inflated.
//!
//! Customers re-pack uploads as zip, and case wrappers often are zips of bundles. A zip cannot be
//! read without seeking, so one found inside a tar stream is buffered in memory up to a limit, or
//! spooled to an anonymous temporary file (no name from the archive touches the file system).
//! When the central directory is damaged, the local headers are walked from the start instead, so
//! that the readable entries are still analysed.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};

use super::{Format, IngestError, LimitedReader, Walk, normalise_path};

/// A zip given as input (a file, or bytes in memory).
pub(crate) fn read_zip_file<R: Read + Seek>(
    walk: &mut Walk<'_>,
    mut file: R,
    label: &str,
) -> Result<(), IngestError> {
    match zip::ZipArchive::new(&mut file) {
        Ok(mut archive) => {
            let index = walk.open_bundle(label.to_string(), None, Format::Zip, 0);
            read_entries(walk, &mut archive, index, label, 0);
            Ok(())
        }
        Err(e) => {
            file.rewind().map_err(|source| IngestError::Open {
                path: label.to_string(),
                source,
            })?;
            let reopened = file;
            let index = walk.open_bundle(label.to_string(), None, Format::Zip, 0);
            walk.warn(
                "bad-zip",
                label,
                format!("zip central directory unreadable ({e}); reading local headers in order"),
            );
            let read = read_local_headers(walk, io::BufReader::new(reopened), index, label, 0);
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

/// A zip found as a member of another archive.
pub(crate) fn read_nested_zip(
    walk: &mut Walk<'_>,
    parent: usize,
    label: &str,
    depth: u32,
    body: &mut dyn Read,
) {
    let limit = walk.limits.nested_zip_memory;
    let mut memory = Vec::new();
    let mut limited = LimitedReader::new(&mut *body, limit);
    if let Err(e) = limited.read_to_end(&mut memory) {
        walk.warn(
            "unreadable-member",
            label,
            format!("nested zip cannot be read: {e}"),
        );
        return;
    }
    let index = walk.open_bundle(label.to_string(), Some(parent), Format::Zip, depth);
    if !limited.hit_limit {
        open_and_read(walk, Cursor::new(memory), index, label, depth);
        return;
    }
    // Too large for memory: spool to an anonymous file, unlinked from creation on.
    let spooled = (|| -> io::Result<File> {
        let mut spool = tempfile::tempfile()?;
        spool.write_all(&memory)?;
        drop(memory);
        io::copy(body, &mut spool)?;
        spool.rewind()?;
        Ok(spool)
    })();
    match spooled {
        Ok(file) => open_and_read(walk, file, index, label, depth),
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
        Ok(mut archive) => read_entries(walk, &mut archive, index, label, depth),
        Err(e) => walk.warn(
            "bad-zip",
            label,
            format!("nested zip central directory unreadable: {e}"),
        ),
    }
}

fn read_entries<R: Read + Seek>(
    walk: &mut Walk<'_>,
    archive: &mut zip::ZipArchive<R>,
    bundle: usize,
    label: &str,
    depth: u32,
) {
    let mut links = 0u64;
    for i in 0..archive.len() {
        if i as u64 >= walk.limits.members {
            walk.warn(
                "limit-members",
                label,
                format!(
                    "more than {} entries; the rest was not read (--max-members)",
                    walk.limits.members
                ),
            );
            break;
        }
        let mut entry = match archive.by_index(i) {
            Ok(entry) => entry,
            Err(e) => {
                walk.warn("bad-zip", label, format!("entry {i} unreadable: {e}"));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            links += 1;
            continue;
        }
        let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.enclosed_name().is_none() || raw.starts_with('/') {
            walk.warn(
                "unsafe-path",
                format!("{label}!/{raw}"),
                "entry name is absolute or climbs with `..`: read as data only, never resolved",
            );
        }
        let path = normalise_path(&raw);
        let size = entry.size();
        walk.total_bytes += size.min(walk.limits.member_bytes);
        if walk.over_total(label) {
            break;
        }
        walk.route(bundle, label, depth, &path, size, &mut entry);
    }
    if links > 0 {
        walk.warn(
            "link-not-followed",
            label,
            format!("{links} symbolic link entr(ies) recorded and not followed"),
        );
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
                    walk.warn(
                        "limit-members",
                        label,
                        format!(
                            "more than {} entries; the rest was not read (--max-members)",
                            walk.limits.members
                        ),
                    );
                    break;
                }
                let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
                if raw.starts_with('/') || raw.split(['/', '\\']).any(|s| s == "..") {
                    walk.warn("unsafe-path", format!("{label}!/{raw}"), "entry name is absolute or climbs with `..`: read as data only, never resolved");
                }
                let path = normalise_path(&raw);
                let size = entry.size();
                walk.route(bundle, label, depth, &path, size, &mut entry);
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
