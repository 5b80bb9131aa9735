//! Archive → members: one streaming pass over whatever a customer uploaded.
//!
//! An input is recognised by its bytes, never its name: gzip'd tar, plain tar, zip, or an
//! extracted directory. Archives found inside an input (a wrapper holding device bundles) are
//! opened recursively, each becoming a [`Bundle`] of its own, and gzip'd members such as
//! `connector.log.2.gz` are decompressed transparently. Nothing named by an archive ever touches
//! the file system: members are handed to a [`Visitor`] as readers while the stream passes, and
//! whatever the visitor does not read is skipped without being buffered. Damage and limits become
//! [`Warning`]s; reading goes on with whatever is still readable.

mod decode;
mod directory;
mod readahead;
mod shared_file;
mod sniff;
mod tar_stream;
mod zip_archive;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use serde::Serialize;
use thiserror::Error;

use crate::limits::Limits;
pub use decode::{Compression, sniff_compression};
use decode::{Gunzip, damage_of};
pub use sniff::{Format, sniff};

/// Bytes of a member's head that are peeked before it is routed (format sniffing, content
/// signatures of artifacts).
pub const HEAD_BYTES: usize = 8 << 10;

/// One archive (or directory) in the input tree: an uploaded file, or an archive inside one.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// Position in the order bundles were opened.
    pub index: usize,
    /// Where it is: the input's file name, then each enclosing member joined with `!/` (a
    /// folder's files are joined with a plain `/`: see [`member_display`]).
    pub label: String,
    /// The bundle this one was found in.
    pub parent: Option<usize>,
    pub format: Format,
    /// Nesting depth: 0 for an input given on the command line.
    pub depth: u32,
}

/// A member as it streams past.
#[derive(Debug)]
pub struct Member<'a> {
    pub bundle: usize,
    /// Path inside its bundle, normalised: no leading `./` or `/`, `\` read as `/`.
    pub path: &'a str,
    /// Size recorded in the archive (before transparent gunzip).
    pub size: u64,
    /// The first bytes of its (decompressed) content.
    pub head: &'a [u8],
    /// True when the member was a gzip file read through transparently.
    pub gunzipped: bool,
}

/// Something wrong with the input that did not stop the run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Warning {
    /// Stable kebab-case code, e.g. `truncated-archive`, `limit-member-bytes`.
    pub code: &'static str,
    /// The file or member concerned (with enclosing archives joined by `!/`).
    pub path: String,
    pub message: String,
}

/// Where an archive of the upload is damaged (truncated or corrupt): what the report puts before
/// its verdict, so that a partial upload is never read as a whole one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Damage {
    /// Index of the damaged bundle (as in [`Bundle::index`]).
    #[serde(skip)]
    pub bundle: usize,
    /// The damaged archive (enclosing archives joined by `!/`).
    pub path: String,
    /// The warning code that says what is wrong (`truncated-archive`, `corrupt-tar-header`, …).
    pub code: &'static str,
    /// The last member read whole before the damage, if any.
    pub last_whole_member: Option<String>,
    /// Bytes of the archive's (decompressed) stream read before the damage, when known.
    pub bytes_read: Option<u64>,
    pub message: String,
}

/// An input that could not be read at all.
#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{path}: cannot open: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: not a bundle: {reason}")]
    NotAnArchive { path: String, reason: String },
}

/// Receives bundles and members while the input streams.
pub trait Visitor {
    /// A new bundle starts; members that follow carry its index until another starts.
    fn bundle(&mut self, bundle: &Bundle);
    /// A member streams past. `body` yields its whole content (head included); whatever is not
    /// read is skipped by the caller. An error reading `body` should be returned: it is reported.
    fn member(&mut self, member: &Member<'_>, body: &mut dyn Read) -> io::Result<()>;
    /// Damage or a limit hit.
    fn warning(&mut self, warning: Warning);
    /// A symbolic link member: recorded, never followed. `target` is the link's text. Returns
    /// true when the link is an artifact the visitor understood (`etc/localtime` naming the
    /// device's zone): such an expected link is listed in the inventory, not warned about.
    fn link(&mut self, _bundle: usize, _path: &str, _target: &str) -> bool {
        false
    }
    /// An archive is damaged; a `warning` with the same code follows.
    fn damage(&mut self, _damage: Damage) {}
}

/// Counters shared by every archive of one input, so that limits hold across nesting.
pub(crate) struct Walk<'v> {
    pub limits: Limits,
    pub visitor: &'v mut dyn Visitor,
    pub bundles: usize,
    pub total_bytes: u64,
    pub total_limit_warned: bool,
    /// The whole content of recent small members, so that a later hard link to one of them
    /// (which carries no data of its own in a tar) can be read without a second pass.
    pub small_members: std::collections::VecDeque<(usize, String, Vec<u8>)>,
    /// The format of each bundle opened so far, by index.
    pub formats: Vec<Format>,
    /// The last member of each bundle read whole, by index (for damage reports).
    pub last_whole: Vec<Option<String>>,
    /// Bytes of nested zips held in memory now, all levels together (`Limits::nested_zip_memory`).
    pub nested_in_memory: u64,
    /// Bytes in anonymous spool files now, all levels together (`Limits::spool_bytes`).
    pub spooled: u64,
}

/// Small members remembered for hard links.
const SMALL_MEMBERS: usize = 256;

impl Walk<'_> {
    pub fn warn(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.visitor.warning(Warning {
            code,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Reports damage to bundle `bundle` (labelled `label`) after `bytes_read` bytes of its
    /// stream: a [`Damage`] for the report's damage section, and the warning.
    pub fn damage(
        &mut self,
        code: &'static str,
        bundle: usize,
        label: &str,
        bytes_read: Option<u64>,
        message: String,
    ) {
        let last_whole_member = self.last_whole.get(bundle).cloned().flatten();
        self.visitor.damage(Damage {
            bundle,
            path: label.to_string(),
            code,
            last_whole_member,
            bytes_read,
            message: message.clone(),
        });
        self.warn(code, label, message);
    }

    /// Records that `path` of `bundle` was read to its end.
    pub fn read_whole(&mut self, bundle: usize, path: &str) {
        if let Some(slot) = self.last_whole.get_mut(bundle) {
            match slot {
                Some(s) => {
                    s.clear();
                    s.push_str(path);
                }
                None => *slot = Some(path.to_string()),
            }
        }
    }

    pub fn open_bundle(
        &mut self,
        label: String,
        parent: Option<usize>,
        format: Format,
        depth: u32,
    ) -> usize {
        self.formats.push(format);
        self.last_whole.push(None);
        let bundle = Bundle {
            index: self.bundles,
            label,
            parent,
            format,
            depth,
        };
        self.bundles += 1;
        self.visitor.bundle(&bundle);
        bundle.index
    }

    /// Routes one member: opens nested archives, gunzips `.gz` members, hands the rest to the
    /// visitor. `label` is the bundle's label, for messages.
    pub fn route(
        &mut self,
        bundle: usize,
        label: &str,
        depth: u32,
        path: &str,
        size: u64,
        body: &mut dyn Read,
    ) {
        let display = member_display(label, self.formats.get(bundle).copied(), path);
        let budget = self.limits.member_bytes;
        let mut limited = LimitedReader::new(body, budget);
        // `size` is the archive's word, not a fact: it only sizes the first allocation.
        let room = usize::try_from(size)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let mut head = Vec::with_capacity(HEAD_BYTES.min(room));
        if let Err(e) = (&mut limited)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
        {
            self.unreadable(&display, false, &e, "cannot read");
            return;
        }
        let format = sniff::sniff(&head);
        let codec = match format {
            Format::Gzip => Some(None),
            Format::Other => decode::sniff_compression(&head).map(Some),
            _ => None,
        };
        if let Some(codec) = codec {
            let name = codec.map_or("gzip", Compression::name);
            let source = io::Cursor::new(head).chain(&mut limited);
            let decoder: Box<dyn Read + '_> = match codec {
                None => Box::new(Gunzip::new(io::BufReader::new(source))),
                Some(codec) => decode::decompress(codec, source),
            };
            let mut inner = LimitedReader::new(decoder, budget);
            let mut ihead = Vec::with_capacity(HEAD_BYTES);
            // A head cut short by damage is still routed: the decoder repeats its error where
            // the head ends, and whoever reads on reports it there.
            if let Err(e) = (&mut inner).take(HEAD_BYTES as u64).read_to_end(&mut ihead)
                && ihead.is_empty()
            {
                let code = damage_of(&e).map_or("bad-gzip", |d| d.code());
                let code = if codec.is_some() && code == "bad-gzip" {
                    "bad-compressed-data"
                } else {
                    code
                };
                self.warn(
                    code,
                    &display,
                    format!("{name} member cannot be decompressed: {e}"),
                );
                return;
            }
            let inner_format = sniff::sniff(&ihead);
            let mut rest = io::Cursor::new(&ihead[..]).chain(&mut inner);
            if inner_format == Format::Tar {
                // A tar in xz, bzip2 or zstd is a bundle of format `tar`: `gzip` means gzip'd tar.
                let bundle_format = if codec.is_none() {
                    Format::Gzip
                } else {
                    Format::Tar
                };
                self.nested(bundle, &display, depth, bundle_format, &mut rest);
            } else {
                self.deliver(bundle, &display, path, size, &ihead, true, &mut rest);
            }
            if inner.hit_limit {
                self.warn(
                    "limit-member-bytes",
                    &display,
                    format!("decompressed content cut at {budget} bytes (--max-member-bytes)"),
                );
            }
        } else {
            match format {
                Format::Tar | Format::Zip => {
                    let mut rest = io::Cursor::new(head).chain(&mut limited);
                    self.nested(bundle, &display, depth, format, &mut rest);
                }
                _ => {
                    if head.len() as u64 == size && head.len() < HEAD_BYTES {
                        if self.small_members.len() >= SMALL_MEMBERS {
                            self.small_members.pop_front();
                        }
                        self.small_members
                            .push_back((bundle, path.to_string(), head.clone()));
                    }
                    let mut rest = io::Cursor::new(&head[..]).chain(&mut limited);
                    self.deliver(bundle, &display, path, size, &head, false, &mut rest);
                }
            }
        }
        if limited.hit_limit {
            self.warn(
                "limit-member-bytes",
                &display,
                format!("member cut at {budget} bytes (--max-member-bytes)"),
            );
        }
    }

    /// Reports an error met reading a member. Damage of the enclosing archive's own stream is
    /// left to the archive reader, which meets the same error again when it skips the rest and
    /// reports it once, with its offset.
    fn unreadable(&mut self, display: &str, decompressed: bool, e: &io::Error, what: &str) {
        let code = match damage_of(e) {
            Some(damage) if decompressed => damage.code(),
            Some(_) => return,
            // A compressed member cut short, told apart from one whose checksum is wrong.
            None if decompressed && e.kind() == io::ErrorKind::UnexpectedEof => "truncated-archive",
            None => "unreadable-member",
        };
        self.warn(code, display, format!("{what}: {e}"));
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        bundle: usize,
        display: &str,
        path: &str,
        size: u64,
        head: &[u8],
        gunzipped: bool,
        body: &mut dyn Read,
    ) {
        let member = Member {
            bundle,
            path,
            size,
            head,
            gunzipped,
        };
        // Raw archive bytes are counted by the archive reader; only what decompression adds
        // is counted here.
        let mut counted = CountingReader {
            inner: body,
            count: 0,
            trailing: None,
        };
        let result = self.visitor.member(&member, &mut counted);
        if gunzipped {
            self.total_bytes = self.total_bytes.saturating_add(counted.count);
        }
        if let Some(e) = counted.trailing {
            self.unreadable(display, gunzipped, &e, "read whole");
        }
        if let Err(e) = result {
            self.unreadable(display, gunzipped, &e, "read stopped");
        }
    }

    /// Opens an archive found inside another one.
    fn nested(
        &mut self,
        parent: usize,
        display: &str,
        depth: u32,
        format: Format,
        body: &mut dyn Read,
    ) {
        if depth >= self.limits.depth {
            self.warn(
                "limit-depth",
                display,
                format!(
                    "archive nested deeper than {} levels not opened (--max-depth)",
                    self.limits.depth
                ),
            );
            return;
        }
        match format {
            Format::Tar => {
                let index =
                    self.open_bundle(display.to_string(), Some(parent), Format::Tar, depth + 1);
                tar_stream::read_tar(self, index, display, depth + 1, body);
            }
            Format::Gzip => {
                let index =
                    self.open_bundle(display.to_string(), Some(parent), Format::Gzip, depth + 1);
                tar_stream::read_tar(self, index, display, depth + 1, body);
            }
            Format::Zip => zip_archive::read_nested_zip(self, parent, display, depth + 1, body),
            Format::Other | Format::Directory => {}
        }
    }

    pub fn over_total(&mut self, display: &str) -> bool {
        if self.total_bytes <= self.limits.total_bytes {
            return false;
        }
        if !self.total_limit_warned {
            self.total_limit_warned = true;
            let limit = self.limits.total_bytes;
            self.warn(
                "limit-total-bytes",
                display,
                format!("stopped after {limit} decompressed bytes in all (--max-total-bytes)"),
            );
        }
        true
    }
}

/// Reads one input (file or directory) and streams its bundles and members to `visitor`.
/// Returns the number of bundles opened. Fails only when nothing at all could be read.
pub fn read_input(
    input: &Path,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<usize, IngestError> {
    let label = input.display().to_string();
    let mut walk = Walk::new(limits, visitor);
    let meta = std::fs::metadata(input).map_err(|source| IngestError::Open {
        path: label.clone(),
        source,
    })?;
    if meta.is_dir() {
        directory::read_directory(&mut walk, input, &label);
        return Ok(walk.bundles);
    }
    let file = File::open(input)
        .and_then(shared_file::SharedFile::new)
        .map_err(|source| IngestError::Open {
            path: label.clone(),
            source,
        })?;
    if limits.read_ahead {
        read_archive::<_, OnThread>(&mut walk, &label, file)?;
    } else {
        read_archive::<_, InLine>(&mut walk, &label, file)?;
    }
    Ok(walk.bundles)
}

/// Reads one input held in memory (an archive's bytes; `label` names it in bundles and
/// warnings) exactly as [`read_input`] reads a file. Returns the number of bundles opened.
pub fn read_bytes(
    label: &str,
    data: &[u8],
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<usize, IngestError> {
    let mut walk = Walk::new(limits, visitor);
    read_archive::<_, InLine>(&mut walk, label, io::Cursor::new(data))?;
    Ok(walk.bundles)
}

/// Reads one input from a stream (standard input: a download piped in), named `label`. Tar and
/// gzip'd tar stream as usual; a zip cannot be read without seeking, so it is spooled to an
/// anonymous temporary file within `Limits::spool_bytes`, or refused.
pub fn read_stream(
    label: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<usize, IngestError> {
    let open_error = |source| IngestError::Open {
        path: label.to_string(),
        source,
    };
    let mut head = Vec::with_capacity(512);
    (&mut *reader)
        .take(512)
        .read_to_end(&mut head)
        .map_err(open_error)?;
    let format = sniff::sniff(&head);
    let mut walk = Walk::new(limits, visitor);
    let mut body = io::Cursor::new(head).chain(reader);
    match format {
        Format::Gzip => {
            let mut inflated = flate2::read::MultiGzDecoder::new(body);
            let mut ihead = Vec::with_capacity(HEAD_BYTES);
            (&mut inflated)
                .take(HEAD_BYTES as u64)
                .read_to_end(&mut ihead)
                .map_err(|e| IngestError::NotAnArchive {
                    path: label.to_string(),
                    reason: format!("gzip data cannot be decompressed: {e}"),
                })?;
            if sniff::sniff(&ihead) != Format::Tar {
                return Err(IngestError::NotAnArchive {
                    path: label.to_string(),
                    reason: "a gzip stream that does not hold a tar archive".into(),
                });
            }
            let index = walk.open_bundle(label.to_string(), None, Format::Gzip, 0);
            let mut rest =
                BufReader::with_capacity(256 << 10, io::Cursor::new(ihead).chain(inflated));
            tar_stream::read_tar(&mut walk, index, label, 0, &mut rest);
        }
        Format::Tar => {
            let index = walk.open_bundle(label.to_string(), None, Format::Tar, 0);
            let mut rest = BufReader::with_capacity(256 << 10, body);
            tar_stream::read_tar(&mut walk, index, label, 0, &mut rest);
        }
        Format::Zip => {
            let limit = limits.spool_bytes;
            let refuse = |reason: String| IngestError::NotAnArchive {
                path: label.to_string(),
                reason,
            };
            if limit == 0 {
                return Err(refuse(
                    "a zip on standard input must be spooled to a temporary file, and spooling is off (--max-spool-bytes 0): give the file's path instead".into(),
                ));
            }
            // Anonymous (unlinked at creation): no name from the upload touches the file system.
            let mut spool = tempfile::tempfile().map_err(open_error)?;
            let copied = io::copy(&mut (&mut body).take(limit.saturating_add(1)), &mut spool)
                .map_err(open_error)?;
            if copied > limit {
                return Err(refuse(format!(
                    "a zip on standard input larger than {limit} bytes cannot be spooled (--max-spool-bytes): give the file's path instead"
                )));
            }
            walk.spooled = copied;
            let file = shared_file::SharedFile::new(spool).map_err(open_error)?;
            zip_archive::read_zip_file(&mut walk, file, label)?;
        }
        Format::Other | Format::Directory => {
            return Err(IngestError::NotAnArchive {
                path: label.to_string(),
                reason: if body.get_ref().0.get_ref().is_empty() {
                    "standard input is empty".into()
                } else {
                    "not a tar, gzip'd tar or zip archive".into()
                },
            });
        }
    }
    Ok(walk.bundles)
}

impl<'v> Walk<'v> {
    fn new(limits: &Limits, visitor: &'v mut dyn Visitor) -> Self {
        Walk {
            limits: limits.clone(),
            visitor,
            bundles: 0,
            total_bytes: 0,
            total_limit_warned: false,
            small_members: Default::default(),
            formats: Vec::new(),
            last_whole: Vec::new(),
            nested_in_memory: 0,
            spooled: 0,
        }
    }
}

/// How an input's compressed stream is read: on a second thread for a file, in line for bytes
/// in memory.
trait Inflate<'a, R: 'a> {
    fn gunzip(source: R) -> Box<dyn Read + 'a>;
    fn decompress(codec: Compression, source: R) -> Box<dyn Read + 'a>;
}

struct OnThread;

impl<R: Read + Send + 'static> Inflate<'static, R> for OnThread {
    fn gunzip(source: R) -> Box<dyn Read> {
        Box::new(readahead::ReadAhead::gunzip(source))
    }
    fn decompress(codec: Compression, source: R) -> Box<dyn Read> {
        Box::new(readahead::ReadAhead::decompress(codec, source))
    }
}

struct InLine;

impl<'a, R: Read + 'a> Inflate<'a, R> for InLine {
    fn gunzip(source: R) -> Box<dyn Read + 'a> {
        Box::new(Gunzip::new(BufReader::new(source)))
    }
    fn decompress(codec: Compression, source: R) -> Box<dyn Read + 'a> {
        decode::decompress(codec, source)
    }
}

/// An archive given as input: sniffed from its first bytes, then read as (compressed) tar or
/// zip.
fn read_archive<'a, R: Read + io::Seek + Clone + Send + 'a, I: Inflate<'a, R>>(
    walk: &mut Walk<'_>,
    label: &str,
    mut source: R,
) -> Result<(), IngestError> {
    let open_error = |source| IngestError::Open {
        path: label.to_string(),
        source,
    };
    let mut head = [0u8; 512];
    let n = read_up_to(&mut source, &mut head).map_err(open_error)?;
    source.rewind().map_err(open_error)?;
    let format = sniff::sniff(&head[..n]);
    let codec = match format {
        Format::Gzip => Some(None),
        Format::Other => decode::sniff_compression(&head[..n]).map(Some),
        _ => None,
    };
    if let Some(codec) = codec {
        let name = codec.map_or("gzip", Compression::name);
        let mut inflated = match codec {
            None => I::gunzip(source),
            Some(codec) => I::decompress(codec, source),
        };
        let mut ihead = Vec::with_capacity(HEAD_BYTES);
        // A small archive fits in its head: damage met there (a checksum at the very end) is
        // met again by the tar reader, which reports it after what could be read.
        let head_error = (&mut inflated)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut ihead)
            .err();
        if let Some(e) = head_error
            && sniff::sniff(&ihead) != Format::Tar
        {
            return Err(IngestError::NotAnArchive {
                path: label.to_string(),
                reason: format!("this is a {name} file whose data cannot be decompressed: {e}"),
            });
        }
        if sniff::sniff(&ihead) != Format::Tar {
            return Err(IngestError::NotAnArchive {
                path: label.to_string(),
                reason: format!("a {name} file that does not hold a tar archive"),
            });
        }
        // `gzip` is a gzip'd tar; a tar in xz, bzip2 or zstd is reported as a tar.
        let bundle_format = if codec.is_none() {
            Format::Gzip
        } else {
            Format::Tar
        };
        let index = walk.open_bundle(label.to_string(), None, bundle_format, 0);
        let mut body = io::Cursor::new(ihead).chain(inflated);
        tar_stream::read_tar(walk, index, label, 0, &mut body);
        return Ok(());
    }
    match format {
        Format::Tar => {
            let index = walk.open_bundle(label.to_string(), None, Format::Tar, 0);
            let mut body = BufReader::with_capacity(256 << 10, source);
            tar_stream::read_tar(walk, index, label, 0, &mut body);
        }
        Format::Zip => zip_archive::read_zip_file(walk, source, label)?,
        Format::Gzip | Format::Other | Format::Directory => {
            return Err(IngestError::NotAnArchive {
                path: label.to_string(),
                reason: if n == 0 {
                    "the file is empty".into()
                } else {
                    match sniff::other_format(&head[..n]) {
                        Some(found) => format!(
                            "this is {found}, which is not read: re-pack it as tar.gz, tar or zip"
                        ),
                        None => "not a tar, gzip'd tar or zip archive, nor a directory".into(),
                    }
                },
            });
        }
    }
    Ok(())
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// How a member is named in reports: its bundle's label, then `!/` and its path inside an
/// archive, or `/` and its path inside a folder.
pub fn member_display(label: &str, bundle_format: Option<Format>, path: &str) -> String {
    if bundle_format == Some(Format::Directory) {
        format!("{}/{path}", label.trim_end_matches('/'))
    } else {
        format!("{label}!/{path}")
    }
}

/// Normalises a member name: `\` to `/`, no leading `./` or `/`, no empty or `.` segments.
/// `..` segments are kept as text: the name is only ever matched, never resolved.
pub fn normalise_path(raw: &str) -> String {
    let replaced = raw.replace('\\', "/");
    let mut out = String::with_capacity(replaced.len());
    for segment in replaced.split('/') {
        if segment.is_empty() || segment == "." {
            continue;
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(segment);
    }
    out
}

/// Stops after `limit` bytes and remembers that it did.
pub(crate) struct LimitedReader<R> {
    inner: R,
    left: u64,
    pub hit_limit: bool,
}

impl<R: Read> LimitedReader<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        LimitedReader {
            inner,
            left: limit,
            hit_limit: false,
        }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte so that a member of exactly the limit is not reported as cut.
            let mut probe = [0u8; 1];
            if !self.hit_limit && self.inner.read(&mut probe)? > 0 {
                self.hit_limit = true;
            }
            return Ok(0);
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Counts what the visitor reads. Data after the end of a decompressed member's stream is
/// not gzip (or xz…) but the member's content is whole: the visitor sees a clean end, so that
/// it keeps what it read, and the trailing data is reported after it.
struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    count: u64,
    trailing: Option<io::Error>,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.trailing.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.count = self.count.saturating_add(n as u64);
                Ok(n)
            }
            Err(e) if matches!(damage_of(&e), Some(decode::StreamDamage::Trailing { .. })) => {
                self.trailing = Some(e);
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_prefixes_and_backslashes() {
        assert_eq!(
            normalise_path("./results-1/a b.output"),
            "results-1/a b.output"
        );
        assert_eq!(normalise_path("/abs//x/./y"), "abs/x/y");
        assert_eq!(normalise_path("C:\\dir\\f.txt"), "C:/dir/f.txt");
        assert_eq!(normalise_path("../../etc/passwd"), "../../etc/passwd");
    }

    #[test]
    fn limited_reader_flags_only_when_more_data_exists() {
        let mut exact = LimitedReader::new(&b"abcd"[..], 4);
        let mut out = Vec::new();
        exact.read_to_end(&mut out).unwrap();
        assert!(!exact.hit_limit);
        let mut over = LimitedReader::new(&b"abcde"[..], 4);
        out.clear();
        over.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
        assert!(over.hit_limit);
    }
}
