//! The ingest visitor: routes each streaming member to the parser that wants it.
//!
//! Members are classified by the artifact map from their path and first bytes. Logs are read
//! line by line as they stream (bounded line length) and every line goes through the matcher
//! set once; everything else of interest is small and is kept as text (bounded) to be parsed as
//! a document when the bundle is complete. Members nobody wants are not read past their head.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::LazyLock;

use jiff::Timestamp;
use memchr::memmem::Finder;

use super::hits::{Became, HitKey, HitLine};
pub(crate) use super::unit::{ArchiveState, BundleState, DeviceZone, stamp_in_name};
use super::{ArtifactRef, Case, case, derive};
use crate::artifacts::{ArtifactKind, ArtifactMap, Builtin, Format, LogTime};
use crate::domain::Domain;
use crate::ingest::{Bundle, Damage, Member, Visitor, Warning};
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::parse::connector_log::{self, Addrs};
use crate::parse::syslog;

/// Substring searchers built once: `str::contains` builds one per call, on every log line.
static URL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("://"));
static DIAL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("dial tcp "));

/// Bytes of `show_tech_output.txt`-like members kept: the version block is at its head.
const SHOW_VERSION_BYTES: usize = 256 << 10;

/// Warnings as they arrive, at most `per_code` of each code listed one by one; the rest of a
/// code is counted into one summary warning, so that 200,000 bad names make one line, not
/// 200,000. Every path and message is cut to `max_chars`.
pub(crate) struct WarningLog {
    per_code: usize,
    max_chars: usize,
    kept: Vec<Warning>,
    counts: BTreeMap<&'static str, u64>,
    /// Per code: the first warning left out, how many were, and the paths of the first ones.
    left_out: BTreeMap<&'static str, (Warning, u64, Vec<String>)>,
}

/// Paths named in a summary warning.
const SUMMARY_EXAMPLES: usize = 10;

impl WarningLog {
    pub(crate) fn new(limits: &Limits) -> Self {
        WarningLog {
            per_code: limits.warnings_per_code,
            max_chars: limits.value_chars,
            kept: Vec::new(),
            counts: BTreeMap::new(),
            left_out: BTreeMap::new(),
        }
    }

    pub(crate) fn push(&mut self, mut warning: Warning) {
        let n = self.counts.entry(warning.code).or_insert(0);
        *n += 1;
        let n = *n;
        if n <= self.per_code as u64 {
            crate::limits::cap_in_place(&mut warning.path, self.max_chars);
            crate::limits::cap_in_place(&mut warning.message, self.max_chars);
            self.kept.push(warning);
            return;
        }
        let max = self.max_chars;
        let entry = self.left_out.entry(warning.code).or_insert_with(|| {
            let mut first = warning.clone();
            crate::limits::cap_in_place(&mut first.path, max);
            crate::limits::cap_in_place(&mut first.message, max);
            (first, 0, Vec::new())
        });
        entry.1 += 1;
        if entry.2.len() < SUMMARY_EXAMPLES {
            entry
                .2
                .push(crate::limits::cap_text(&warning.path, max.min(256)));
        }
    }

    /// The warnings to report, and how many of each code there were in all.
    pub(crate) fn finish(mut self) -> (Vec<Warning>, BTreeMap<String, u64>) {
        for (code, (first, n, examples)) in std::mem::take(&mut self.left_out) {
            let message = format!(
                "{n} more `{code}` warning(s) not listed (--max-warnings-per-code {}); the first: {}; paths: {}",
                self.per_code,
                first.message,
                examples.join(", ")
            );
            self.kept.push(Warning {
                code,
                path: first.path,
                message: crate::limits::cap_text(
                    &message,
                    self.max_chars.saturating_mul(4).max(1024),
                ),
            });
        }
        let counts = self
            .counts
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect();
        (self.kept, counts)
    }
}

/// Where a device's root is: the folder of a member holding `command-outputs/` or
/// `dir-archives/` (the troubleshoot collector's two top folders), `""` for the archive itself.
fn root_of(path: &str) -> Option<&str> {
    let mut at = 0;
    for segment in path.split('/') {
        if segment == "command-outputs" || segment == "dir-archives" {
            return Some(path[..at].trim_end_matches('/'));
        }
        at += segment.len() + 1;
        if at > path.len() {
            break;
        }
    }
    None
}

/// The longest DNS name: a longer "host" is noise, not kept.
const MAX_HOST_NAME: usize = 253;
/// Dialled addresses remembered per device (address → SSE host).
const MAX_ADDRS: usize = 4096;

/// Bytes of a loose file's head kept to find the device it names.
const LOOSE_HEAD_BYTES: usize = 4096;
/// Bytes of `etc/localtime` read (a TZif file is a few KiB).
const TZIF_BYTES: u64 = 256 << 10;

/// A hit of the log being read that became a sample and is owed the lines around it. They are
/// taken from the ring once it holds the lines after it (or the log ends), so that a hit
/// replaced before then (the usual fate of a hit in a log read in time order) costs no copy.
struct Owed {
    pattern: usize,
    key: HitKey,
    seq: u64,
    /// Its line number.
    at: u32,
    became: Became,
}

/// Collects one case: every input given to one analysis.
pub struct Collector<'a> {
    map: &'a ArtifactMap,
    /// The packs' domain tables: which hosts are SSE hosts.
    domain: &'a Domain,
    matcher: &'a MatcherSet,
    limits: Limits,
    pub(crate) archives: Vec<ArchiveState>,
    /// Device roots and loose files, in reading order.
    pub(crate) bundles: Vec<BundleState>,
    /// Loose files by (archive, path).
    loose: BTreeMap<(usize, String), usize>,
    /// Global index of the first archive of the current input (ingest numbers bundles per input).
    base: usize,
    warnings: WarningLog,
    damage: Vec<Damage>,
    errors: Vec<String>,
    inputs: Vec<String>,
    seq: u64,
    /// Loose files not read: more than `Limits::inventory_rows` of them.
    loose_unread: u64,
    matched: Vec<usize>,
    lowered: Vec<u8>,
    /// The last `2 × --context + 1` lines of the log being read (cut), oldest first: when the
    /// lines after a hit are read, the lines before it are still there. Their buffers are reused.
    ring: std::collections::VecDeque<super::ContextLine>,
    /// Hits of the log being read that became samples and are still owed lines after them.
    owed: Vec<Owed>,
    /// The kinds the current member is read as (reused between members).
    claimed: Vec<ArtifactKind>,
    /// Error lines no pattern matched, as templates.
    miner: crate::mining::Miner,
}

impl<'a> Collector<'a> {
    pub fn new(
        map: &'a ArtifactMap,
        matcher: &'a MatcherSet,
        domain: &'a Domain,
        limits: Limits,
    ) -> Self {
        let warnings = WarningLog::new(&limits);
        Collector {
            miner: crate::mining::Miner::new(&limits.mining),
            map,
            domain,
            matcher,
            limits,
            archives: Vec::new(),
            bundles: Vec::new(),
            loose: BTreeMap::new(),
            base: 0,
            warnings,
            damage: Vec::new(),
            errors: Vec::new(),
            inputs: Vec::new(),
            seq: 0,
            loose_unread: 0,
            matched: Vec::new(),
            lowered: Vec::new(),
            ring: std::collections::VecDeque::new(),
            owed: Vec::new(),
            claimed: Vec::new(),
        }
    }

    /// Reads one input of the case; `-` is standard input.
    pub fn read_input(&mut self, input: &std::path::Path) {
        if input.as_os_str() == "-" {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            return self.read_stream("-", &mut lock);
        }
        self.base = self.archives.len();
        self.inputs.push(input.display().to_string());
        let limits = self.limits.clone();
        if let Err(e) = crate::ingest::read_input(input, &limits, self) {
            self.errors.push(e.to_string());
        }
    }

    /// Reads one input from `reader` (standard input), named `label`.
    pub fn read_stream(&mut self, label: &str, reader: &mut dyn Read) {
        self.base = self.archives.len();
        self.inputs.push(label.to_string());
        let limits = self.limits.clone();
        if let Err(e) = crate::ingest::read_stream(label, reader, &limits, self) {
            self.errors.push(e.to_string());
        }
    }

    /// Reads one input held in memory, named `label`.
    pub fn read_bytes(&mut self, label: &str, data: &[u8]) {
        self.base = self.archives.len();
        self.inputs.push(label.to_string());
        let limits = self.limits.clone();
        if let Err(e) = crate::ingest::read_bytes(label, data, &limits, self) {
            self.errors.push(e.to_string());
        }
    }

    /// Turns what was read into devices with facts.
    pub fn finish(mut self) -> Case {
        let (matcher, max) = (self.matcher, self.limits.value_chars);
        for bundle in &mut self.bundles {
            bundle
                .hits
                .settle_captures(|pattern, text| capped_captures(matcher, max, pattern, text));
        }
        let mut log = self.warnings;
        let mut warnings = Vec::new();
        let (devices, mut loose_files) = case::devices(
            self.archives,
            self.bundles,
            &self.damage,
            &self.limits,
            self.map.facts(),
            self.domain,
            &mut warnings,
        );
        let rows = self.limits.inventory_rows;
        let loose_files_omitted = loose_files.len().saturating_sub(rows) as u64 + self.loose_unread;
        loose_files.truncate(rows);
        if loose_files_omitted > 0 {
            warnings.push(Warning {
                code: "limit-inventory",
                path: String::new(),
                message: format!(
                    "{loose_files_omitted} loose file(s) outside every device root not listed or not read (--max-inventory-rows {rows})"
                ),
            });
        }
        for w in warnings {
            log.push(w);
        }
        let (warnings, warning_counts) = log.finish();
        Case {
            inputs: self.inputs,
            devices,
            loose_files,
            loose_files_omitted,
            damage: self.damage,
            warnings,
            warning_counts,
            errors: self.errors,
            unexplained: self.miner.finish(),
        }
    }

    /// The unit (device root or loose file) a member of `archive` belongs to while streaming.
    fn unit_for(&mut self, archive: usize, path: &str) -> Option<usize> {
        let max = self.limits.value_chars;
        if let Some(root) = root_of(path) {
            // A root is known by its name cut to `--max-value-chars`: hostile names cannot make
            // the roots' keys large.
            let root: Cow<'_, str> = if root.len() > max {
                Cow::Owned(crate::limits::cap_text(root, max))
            } else {
                Cow::Borrowed(root)
            };
            let root = root.as_ref();
            if let Some(&unit) = self.archives[archive].roots.get(root) {
                return Some(unit);
            }
            let state = &self.archives[archive];
            let label = if root.is_empty() {
                state.label.clone()
            } else {
                crate::limits::cap_text(
                    &crate::ingest::member_display(&state.label, Some(state.format), root),
                    max,
                )
            };
            let mut unit = BundleState::new(archive, root.to_string(), true, label);
            unit.stamped = unit.stamped.or(state.stamped);
            self.bundles.push(unit);
            let index = self.bundles.len() - 1;
            self.archives[archive].roots.insert(root.to_string(), index);
            return Some(index);
        }
        // A member beside `command-outputs/` (say `results-x/notes.txt`) belongs to that root.
        if let Some(unit) = self.archives[archive]
            .roots
            .iter()
            .filter(|(root, _)| root.is_empty() || within(path, root))
            .max_by_key(|(root, _)| root.len())
            .map(|(_, &u)| u)
        {
            return Some(unit);
        }
        let path = crate::limits::cap_text(path, max);
        if let Some(&unit) = self.loose.get(&(archive, path.clone())) {
            return Some(unit);
        }
        if self.loose.len() >= self.limits.inventory_rows {
            self.loose_unread += 1;
            return None;
        }
        let state = &self.archives[archive];
        let label = crate::limits::cap_text(
            &crate::ingest::member_display(&state.label, Some(state.format), &path),
            max,
        );
        let mut unit = BundleState::new(archive, path.clone(), false, label);
        unit.stamped = unit.stamped.or(state.stamped);
        self.bundles.push(unit);
        let index = self.bundles.len() - 1;
        self.loose.insert((archive, path), index);
        Some(index)
    }

    /// Reads a log line by line as it streams: each line goes through every log kind's patterns
    /// once. `text`, when given, keeps the member's first `--max-document-bytes` for document
    /// kinds that read the same member.
    fn read_log(
        &mut self,
        bundle: usize,
        kinds: &[(ArtifactKind, Format)],
        display: &str,
        body: &mut dyn Read,
        mut text_out: Option<&mut Vec<u8>>,
    ) -> io::Result<()> {
        let mut reader = BufReader::with_capacity(256 << 10, body);
        let mut line = Vec::with_capacity(512);
        let mut number: u32 = 0;
        let mut cut_lines = 0u64;
        let mut last_line = String::new();
        let wants: Vec<bool> = kinds.iter().map(|(k, _)| self.matcher.wants(*k)).collect();
        let peers = kinds
            .iter()
            .any(|(_, f)| *f == Format::Builtin(Builtin::ConnectorLog));
        let doc_cap = self.limits.document_bytes;
        let context = if wants.iter().any(|&w| w) {
            self.limits.context_lines
        } else {
            0
        };
        self.ring.clear();
        self.owed.clear();
        self.miner.start_file();
        loop {
            line.clear();
            let (read, cut) =
                match read_bounded_line(&mut reader, &mut line, self.limits.line_bytes) {
                    Ok(read) => read,
                    Err(e) => {
                        self.flush_context(bundle);
                        return Err(e);
                    }
                };
            if read == 0 {
                break;
            }
            if let Some(out) = text_out.as_deref_mut()
                && out.len() < doc_cap
            {
                let room = doc_cap - out.len();
                out.extend_from_slice(&line[..line.len().min(room)]);
            }
            number = number.saturating_add(1);
            if cut {
                cut_lines += 1;
            }
            // Valid UTF-8 (nearly every line) is borrowed; only a broken line is copied.
            let text = match std::str::from_utf8(&line) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&line),
            };
            let text = text.trim_end_matches(['\n', '\r']);
            if peers && let Some(url_at) = URL.find(text.as_bytes()) {
                self.note_peer(bundle, text, url_at);
            }
            for (i, &(kind, format)) in kinds.iter().enumerate() {
                let mut explained = false;
                if wants[i] {
                    self.matched.clear();
                    self.matcher
                        .matches(kind, text, &mut self.matched, &mut self.lowered);
                    if !self.matched.is_empty() {
                        explained = true;
                        let matched = std::mem::take(&mut self.matched);
                        self.record(bundle, format, display, number, text, &matched);
                        self.matched = matched;
                    }
                }
                // A pattern's raw match explains the line, whatever its level or host filters.
                if !explained {
                    self.miner.observe(kind, format, text);
                }
            }
            if context > 0 {
                let max = self.limits.evidence_chars;
                let mut c = if self.ring.len() <= 2 * context {
                    super::ContextLine {
                        line: number,
                        text: String::new(),
                    }
                } else {
                    self.ring.pop_front().unwrap_or_else(|| super::ContextLine {
                        line: number,
                        text: String::new(),
                    })
                };
                c.set(number, text, max);
                self.ring.push_back(c);
                self.give_context(bundle, number, context);
            }
            if text.len() > 10 {
                last_line.clear();
                last_line.push_str(text);
            }
        }
        self.flush_context(bundle);
        if !last_line.is_empty() {
            for &(_, format) in kinds {
                let Some((t, local)) = self.line_time(format, &last_line) else {
                    continue;
                };
                let state = &mut self.bundles[bundle];
                let newest = if local {
                    &mut state.newest_local
                } else {
                    &mut state.newest_log
                };
                if newest.is_none_or(|n| t > n) {
                    *newest = Some(t);
                }
            }
        }
        if cut_lines > 0 {
            self.warnings.push(Warning {
                code: "limit-line-bytes",
                path: display.to_string(),
                message: format!("{cut_lines} line(s) longer than {} bytes were cut for matching (--max-line-bytes)", self.limits.line_bytes),
            });
        }
        Ok(())
    }

    /// Line `number` was just read into the ring: the hits `context` lines before it get the
    /// lines around them, all in the ring.
    fn give_context(&mut self, bundle: usize, number: u32, context: usize) {
        let mut i = 0;
        while i < self.owed.len() {
            if u64::from(number) >= u64::from(self.owed[i].at) + context as u64 {
                let done = self.owed.swap_remove(i);
                self.attach_context(bundle, &done, context);
            } else {
                i += 1;
            }
        }
    }

    /// At the end of a log (or where reading it stopped): the hits still owed lines get those
    /// read, all still in the ring.
    fn flush_context(&mut self, bundle: usize) {
        let context = self.limits.context_lines;
        for done in std::mem::take(&mut self.owed) {
            self.attach_context(bundle, &done, context);
        }
    }

    /// Gives `owed` the up to `context` lines of the ring before and after its line.
    fn attach_context(&mut self, bundle: usize, owed: &Owed, context: usize) {
        let at = owed.at;
        let before = self
            .ring
            .iter()
            .filter(|c| c.line < at && u64::from(c.line) + context as u64 >= u64::from(at));
        let after = self.ring.iter().filter(|c| c.line > at);
        self.bundles[bundle]
            .hits
            .attach_context(owed.pattern, &owed.key, owed.seq, before, after);
    }

    /// Remembers that the hit just recorded is owed the lines after it. A hit that replaced its
    /// key's last (or first) sample ends what the one it replaced was owed: those lines would
    /// be thrown away when attached, so they are not gathered.
    fn owe(&mut self, pattern: usize, key: &HitKey, seq: u64, at: u32, became: Became) {
        if became == Became::Neither {
            return;
        }
        // At most one entry can have been replaced: the previous holder of that sample. It
        // becomes this hit's entry (no copy of the key).
        if matches!(became, Became::First | Became::Last)
            && let Some(owed) = self
                .owed
                .iter_mut()
                .find(|o| o.pattern == pattern && o.became == became && o.key == *key)
        {
            owed.seq = seq;
            owed.at = at;
            return;
        }
        self.owed.push(Owed {
            pattern,
            key: key.clone(),
            seq,
            at,
            became,
        });
    }

    /// Remembers which SSE hosts the connector talks to, and which address stands for which host.
    /// `url_at` is where the line's first `://` is.
    fn note_peer(&mut self, bundle: usize, text: &str, url_at: usize) {
        // Most connector lines repeat hosts already known: a cheap look at the URL's host and
        // the dialled address decides whether the full parse can tell anything new.
        let state = &self.bundles[bundle];
        let url_host = text.get(url_at + 3..).map(|rest| {
            let end = rest
                .bytes()
                .position(|b| matches!(b, b'/' | b':' | b'"' | b' ' | b'\\'))
                .unwrap_or(rest.len());
            &rest[..end]
        });
        let known_host = url_host.is_some_and(|h| {
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                state.peer_hosts.contains(&h.to_ascii_lowercase())
            } else {
                state.peer_hosts.contains(h)
            }
        });
        if known_host && DIAL.find(text.as_bytes()).is_none() {
            return;
        }
        if let Some(parsed) = connector_log::parse_line(text)
            && let Some(host) = parsed.remote_host
            && host.len() <= MAX_HOST_NAME
            && super::regions::is_sse_host(self.domain, &host)
        {
            let state = &mut self.bundles[bundle];
            for addr in parsed.addrs.as_slice() {
                if state.host_of_addr.len() >= MAX_ADDRS {
                    break;
                }
                state
                    .host_of_addr
                    .entry(*addr)
                    .or_insert_with(|| host.clone());
            }
            if state.peer_hosts.len() < 256 {
                state.peer_hosts.insert(host);
            }
        }
    }

    fn first_sse_host(&self, text: &str) -> HitKey {
        super::regions::sse_hosts_in(self.domain, text)
            .next()
            .map_or(HitKey::None, HitKey::Host)
    }

    fn record(
        &mut self,
        bundle: usize,
        format: Format,
        display: &str,
        number: u32,
        text: &str,
        matched: &[usize],
    ) {
        let mut level: Option<&'static str> = None;
        let mut local = false;
        let (time, key, addrs) = match format {
            Format::Builtin(Builtin::ConnectorLog) => match connector_log::parse_line(text) {
                Some(parsed) => {
                    level = parsed.level.as_ref().map(|l| l.as_str());
                    let host = parsed.remote_host.filter(|h| !h.is_empty());
                    let key = match (&host, parsed.addrs.first()) {
                        (Some(h), _) => HitKey::Host(h.clone()),
                        (None, Some(a)) => HitKey::Addr(a),
                        (None, None) => HitKey::None,
                    };
                    // Every address of a line about an SSE host stands for that host.
                    if let Some(h) = host
                        .as_ref()
                        .filter(|h| super::regions::is_sse_host(self.domain, h))
                        && self.bundles[bundle].host_of_addr.len() < MAX_ADDRS
                    {
                        for a in parsed.addrs.as_slice() {
                            self.bundles[bundle]
                                .host_of_addr
                                .entry(*a)
                                .or_insert_with(|| h.clone());
                        }
                    }
                    (parsed.time, key, parsed.addrs)
                }
                None => (None, self.first_sse_host(text), Addrs::default()),
            },
            _ => {
                if format == Format::Log(LogTime::Logrus) {
                    level = connector_log::parse_line(text)
                        .and_then(|p| p.level)
                        .map(|l| l.as_str());
                }
                let time = self.line_time(format, text);
                local = time.is_some_and(|(_, l)| l);
                (
                    time.map(|(t, _)| t),
                    self.first_sse_host(text),
                    Addrs::default(),
                )
            }
        };
        for &pattern in matched {
            if !self.matcher.level_ok(pattern, level) {
                continue;
            }
            let keep = self.matcher.keep(pattern);
            // Captures that only samples keep are read later from the kept evidence text, if
            // that is the whole line.
            let pending = self.matcher.captures_only_kept(pattern)
                && text.len() <= self.limits.evidence_chars;
            let captures = if pending {
                Vec::new()
            } else {
                capped_captures(self.matcher, self.limits.value_chars, pattern, text)
            };
            if !pending && !self.matcher.accepts(pattern, &captures) {
                continue;
            }
            self.seq += 1;
            let mut distinct = Vec::new();
            let mut group_key = None;
            if let Some(keep) = keep {
                for name in &keep.distinct {
                    if let Some((n, v)) = captures.iter().find(|(n, _)| n == name) {
                        distinct.push((n.clone(), v.clone()));
                    }
                }
                if let Some(group) = &keep.group {
                    // A line whose group capture did not take part in the match is in group "".
                    group_key = Some(HitKey::Group(
                        captures
                            .iter()
                            .find(|(n, _)| n == group)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                    ));
                }
            }
            let line = HitLine {
                time,
                local,
                path: display,
                line: number,
                text,
                max_chars: self.limits.evidence_chars,
                captures: &captures,
                captures_pending: pending,
                seq: self.seq,
                stamp_cap: if keep.is_some_and(|k| k.stamps) {
                    self.limits.window_stamps
                } else {
                    0
                },
                distinct: &distinct,
                distinct_cap: self.limits.distinct_values,
            };
            let key = group_key.as_ref().unwrap_or(&key);
            let hits = &mut self.bundles[bundle].hits;
            let became = hits.record(pattern, key, addrs.as_slice(), &line, self.limits.groups);
            if self.limits.context_lines > 0 {
                self.owe(pattern, key, self.seq, number, became);
            }
        }
    }
}

/// The named captures of `pattern` on `text`, each cut to `max` characters
/// (`--max-value-chars`).
fn capped_captures(
    matcher: &MatcherSet,
    max: usize,
    pattern: usize,
    text: &str,
) -> Vec<(String, String)> {
    let mut captures = matcher.captures(pattern, text);
    for (_, value) in &mut captures {
        crate::limits::cap_in_place(value, max);
    }
    captures
}

/// Whether `path` lies inside the folder `dir`.
fn within(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// The zone `etc/localtime` names: a link to `…/zoneinfo/<Zone>` is looked up in the IANA
/// database built into the tool (never the machine's), a copy of the zone file is read as TZif.
fn zone_from_link(target: &str) -> Option<(jiff::tz::TimeZone, String)> {
    let name = target.rsplit_once("zoneinfo/").map(|(_, n)| n)?;
    let name = name
        .trim_start_matches("posix/")
        .trim_start_matches("right/");
    let zone = jiff::tz::TimeZoneDatabase::bundled().get(name).ok()?;
    Some((zone, name.to_string()))
}

/// Where `text` holds more than `nodes` JSON values (counted as the `{`, `[` and `,` that start
/// or separate them, strings included: an over-estimate, which errs on the safe side): the byte
/// to cut it at, or None when it is within the budget.
fn json_budget_end(text: &str, nodes: usize) -> Option<usize> {
    let mut seen = 0usize;
    for at in memchr::memchr3_iter(b'{', b'[', b',', text.as_bytes()) {
        seen += 1;
        if seen > nodes {
            return Some(at);
        }
    }
    None
}

/// Reads one line into `out`, keeping at most `max` bytes of it; the rest of a longer line is
/// consumed without being kept. Returns (bytes consumed, whether the line was cut).
fn read_bounded_line(
    reader: &mut dyn BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((consumed, cut));
        }
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = max.saturating_sub(out.len());
        if chunk.len() > room {
            cut = true;
        }
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, cut));
        }
    }
}

impl Visitor for Collector<'_> {
    fn bundle(&mut self, bundle: &Bundle) {
        let global = self.base + bundle.index;
        debug_assert_eq!(global, self.archives.len());
        let parent = bundle.parent.map(|p| self.base + p);
        let inner_path = parent.and_then(|p| {
            let parent = &self.archives[p];
            let prefix = crate::ingest::member_display(&parent.label, Some(parent.format), "");
            bundle.label.strip_prefix(&prefix).map(str::to_string)
        });
        let input = self.inputs.len().saturating_sub(1);
        self.archives.push(ArchiveState {
            label: crate::limits::cap_text(&bundle.label, self.limits.value_chars),
            format: bundle.format,
            parent,
            inner_path,
            stamped: stamp_in_name(bundle.label.rsplit("!/").next().unwrap_or(&bundle.label)),
            roots: BTreeMap::new(),
            input,
        });
    }

    fn member(&mut self, member: &Member<'_>, body: &mut dyn Read) -> io::Result<()> {
        let archive = self.base + member.bundle;
        let mut claimed = std::mem::take(&mut self.claimed);
        self.map
            .classify_all(member.path, member.head, &mut claimed);
        let result = self.claimed_member(archive, member, &claimed, body);
        self.claimed = claimed;
        result
    }

    fn link(&mut self, bundle: usize, path: &str, target: &str) -> bool {
        let archive = self.base + bundle;
        let Some(kind) = self
            .map
            .classify(path, &[])
            .filter(|k| self.map.format(*k) == Some(Format::Builtin(Builtin::Tzif)))
        else {
            return false;
        };
        let Some(unit) = self.unit_for(archive, path) else {
            return false;
        };
        let display = {
            let state = &self.archives[archive];
            crate::limits::cap_text(
                &crate::ingest::member_display(&state.label, Some(state.format), path),
                self.limits.value_chars,
            )
        };
        match zone_from_link(target) {
            Some((zone, name)) => {
                let rows = self.limits.inventory_rows;
                self.bundles[unit].add_artifact(
                    ArtifactRef {
                        path: display.clone(),
                        kind,
                        size: 0,
                    },
                    Format::Builtin(Builtin::Tzif),
                    path,
                    rows,
                );
                self.bundles[unit].zone = Some(DeviceZone {
                    zone,
                    name: Some(name),
                    path: display,
                });
                true
            }
            None => {
                self.warnings.push(Warning {
                    code: "bad-time-zone",
                    path: display,
                    message: format!(
                        "links to `{target}`, which names no zone of the IANA database; syslog times are read as UTC"
                    ),
                });
                false
            }
        }
    }

    fn damage(&mut self, damage: Damage) {
        let mut damage = damage;
        damage.bundle += self.base;
        let max = self.limits.value_chars;
        crate::limits::cap_in_place(&mut damage.path, max);
        crate::limits::cap_in_place(&mut damage.message, max);
        if let Some(last) = &mut damage.last_whole_member {
            crate::limits::cap_in_place(last, max);
        }
        self.damage.push(damage);
    }

    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
}

impl Collector<'_> {
    /// Reads a member as every kind the packs claim it for: logs line by line as they stream
    /// (each line through each log kind's patterns), documents once as text, handed to each
    /// document kind's readers.
    fn claimed_member(
        &mut self,
        archive: usize,
        member: &Member<'_>,
        claimed: &[ArtifactKind],
        body: &mut dyn Read,
    ) -> io::Result<()> {
        if claimed.is_empty() {
            // Unclaimed members still show where device roots are.
            if root_of(member.path).is_some()
                && let Some(unit) = self.unit_for(archive, member.path)
            {
                self.note_member(unit, member.path);
            }
            return Ok(());
        }
        let Some(unit) = self.unit_for(archive, member.path) else {
            return Ok(());
        };
        self.note_member(unit, member.path);
        let display = {
            let state = &self.archives[archive];
            crate::ingest::member_display(&state.label, Some(state.format), member.path)
        };
        let long = display.len();
        let display = crate::limits::cap_text(&display, self.limits.value_chars);
        if display.len() < long {
            self.warnings.push(Warning {
                code: "limit-value-chars",
                path: display.clone(),
                message: format!(
                    "member name of {long} bytes cut to {} characters in the report (--max-value-chars)",
                    self.limits.value_chars
                ),
            });
        }
        if !self.bundles[unit].is_root && self.bundles[unit].head.len() < LOOSE_HEAD_BYTES {
            let head = &member.head[..member.head.len().min(LOOSE_HEAD_BYTES)];
            self.bundles[unit]
                .head
                .push_str(&String::from_utf8_lossy(head));
        }
        let rows = self.limits.inventory_rows;
        let mut logs: Vec<(ArtifactKind, Format)> = Vec::new();
        let mut documents: Vec<(ArtifactKind, Format)> = Vec::new();
        for &kind in claimed {
            let Some(format) = self.map.format(kind) else {
                continue;
            };
            self.bundles[unit].add_artifact(
                ArtifactRef {
                    path: display.clone(),
                    kind,
                    size: member.size,
                },
                format,
                member.path,
                rows,
            );
            if format.is_log() {
                logs.push((kind, format));
            } else {
                documents.push((kind, format));
            }
        }
        if !logs.is_empty() {
            // A member read as a log by one pack and as a document by another: the document
            // kinds get the log's first `--max-document-bytes`.
            let mut text = (!documents.is_empty()).then(Vec::new);
            self.read_log(unit, &logs, &display, body, text.as_mut())?;
            if let Some(data) = text {
                self.documents(unit, &documents, display, data, false);
            }
            return Ok(());
        }
        if documents
            .iter()
            .any(|(_, f)| *f == Format::Builtin(Builtin::Tzif))
        {
            let mut data = Vec::new();
            body.take(TZIF_BYTES).read_to_end(&mut data)?;
            match jiff::tz::TimeZone::tzif("localtime", &data) {
                Ok(zone) => {
                    self.bundles[unit].zone = Some(DeviceZone {
                        zone,
                        name: None,
                        path: display,
                    })
                }
                Err(e) => self.warnings.push(Warning {
                    code: "bad-time-zone",
                    path: display,
                    message: format!("not a time zone file ({e}); syslog times are read as UTC"),
                }),
            }
            return Ok(());
        }
        // `show_tech_output.txt`-like members hold the version block at their head: only that
        // much is kept, without a warning.
        let head_only = documents
            .iter()
            .all(|(_, f)| *f == Format::Builtin(Builtin::ShowVersion));
        let cap = if head_only {
            SHOW_VERSION_BYTES.min(self.limits.document_bytes.max(1))
        } else {
            self.limits.document_bytes
        };
        // Room up front for what the archive says the member holds (bounded by the cap):
        // growing by doubling would hold up to twice the document for a moment.
        let hint = usize::try_from(member.size).unwrap_or(usize::MAX).min(cap) + 1;
        let mut data = Vec::with_capacity(hint.min(cap + 1));
        body.take(cap as u64 + 1).read_to_end(&mut data)?;
        let cut = data.len() > cap;
        if cut {
            data.truncate(cap);
        }
        self.documents(unit, &documents, display, data, cut && !head_only);
        Ok(())
    }

    /// Hands a document's text (at most `--max-document-bytes`) to each kind that reads it.
    fn documents(
        &mut self,
        unit: usize,
        kinds: &[(ArtifactKind, Format)],
        display: String,
        data: Vec<u8>,
        cut: bool,
    ) {
        if cut {
            self.warnings.push(Warning {
                code: "limit-document-bytes",
                path: display.clone(),
                message: format!(
                    "only the first {} bytes were parsed (--max-document-bytes)",
                    self.limits.document_bytes
                ),
            });
        }
        // Valid UTF-8 (nearly always) is taken as it is, without a copy.
        let text = match String::from_utf8(data) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let json_end = if kinds.iter().any(|(_, f)| f.is_json()) {
            json_budget_end(&text, self.limits.json_nodes)
        } else {
            None
        };
        if let Some(at) = json_end {
            self.warnings.push(Warning {
                code: "limit-json-nodes",
                path: display.clone(),
                message: format!(
                    "JSON parsed only to byte {at}, where it holds {} values (--max-json-nodes)",
                    self.limits.json_nodes
                ),
            });
        }
        // Parsed now, while the member is at hand: only what the facts need is kept.
        for &(kind, format) in kinds {
            let doc = match json_end {
                Some(at) if format.is_json() => &text[..at],
                _ => &text[..],
            };
            let summary = derive::summarize(
                kind,
                format,
                display.clone(),
                doc,
                self.map.fact_specs(kind),
                derive::Loaded {
                    limits: &self.limits,
                    catalog: self.map.facts(),
                    domain: self.domain,
                },
            );
            self.bundles[unit].documents.push(summary);
        }
    }

    /// A log line's time, and whether it is provisional wall-clock time (a syslog stamp without
    /// zone or year, placed once the device's zone and collection time are known: no clock is
    /// read).
    fn line_time(&self, format: Format, text: &str) -> Option<(Timestamp, bool)> {
        match format {
            Format::Builtin(Builtin::Syslog) | Format::Log(LogTime::Syslog) => {
                syslog::parse_line(text)
                    .and_then(|l| l.time)
                    .and_then(|t| t.provisional())
            }
            Format::Log(LogTime::Iso8601) => {
                crate::parse::log_time::iso8601(text).map(|t| (t, false))
            }
            Format::Log(LogTime::Strptime(i)) => {
                crate::parse::log_time::strptime(self.map.strptime(i), text)
            }
            _ => connector_log::parse_line(text)
                .and_then(|l| l.time)
                .map(|t| (t, false)),
        }
    }

    /// Keeps what a member's path says about its unit: the bundle stamp, and `etc/sf/`.
    fn note_member(&mut self, unit: usize, path: &str) {
        let state = &mut self.bundles[unit];
        if state.stamped.is_none() {
            state.stamped = stamp_in_name(path);
        }
        if state.etc_sf_member.is_none() && path.contains("etc/sf/") {
            let archive = &self.archives[state.archive];
            state.etc_sf_member = Some(crate::limits::cap_text(
                &crate::ingest::member_display(&archive.label, Some(archive.format), path),
                self.limits.value_chars,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_root_is_the_folder_above_command_outputs_or_dir_archives() {
        assert_eq!(
            root_of("FMC1/results-1/command-outputs/x"),
            Some("FMC1/results-1")
        );
        assert_eq!(
            root_of("results-1/dir-archives/etc/hostname"),
            Some("results-1")
        );
        assert_eq!(root_of("command-outputs/x"), Some(""));
        assert_eq!(root_of("notes/command-outputs.txt"), None);
        assert_eq!(root_of("license.json"), None);
        assert!(within("results-1/notes.txt", "results-1"));
        assert!(!within("results-10/notes.txt", "results-1"));
    }

    #[test]
    fn etc_localtime_links_name_zones_of_the_bundled_database() {
        let (_, name) = zone_from_link("/usr/share/zoneinfo/America/Chicago").unwrap();
        assert_eq!(name, "America/Chicago");
        let (_, name) = zone_from_link("../usr/share/zoneinfo/posix/Asia/Tokyo").unwrap();
        assert_eq!(name, "Asia/Tokyo");
        assert!(zone_from_link("/etc/nowhere").is_none());
        assert!(zone_from_link("/usr/share/zoneinfo/Not/AZone").is_none());
    }

    #[test]
    fn bundle_stamp_is_read_from_names() {
        let t = stamp_in_name("x/results-04-13-2020--143502.tar.gz").unwrap();
        assert_eq!(t.to_string(), "2020-04-13T14:35:02Z");
        assert!(stamp_in_name("results-13-40-2020--143502").is_none());
        assert!(stamp_in_name("nothing").is_none());
    }

    #[test]
    fn long_lines_are_cut_not_buffered() {
        let data = format!("{}\nshort\n", "x".repeat(1000));
        let mut reader = BufReader::with_capacity(64, data.as_bytes());
        let mut out = Vec::new();
        assert_eq!(
            read_bounded_line(&mut reader, &mut out, 100).unwrap(),
            (1001, true)
        );
        assert_eq!(out.len(), 100);
        out.clear();
        assert_eq!(
            read_bounded_line(&mut reader, &mut out, 100).unwrap(),
            (6, false)
        );
        assert_eq!(out, b"short\n");
    }

    #[test]
    fn warnings_past_the_per_code_cap_are_counted_in_one() {
        let limits = Limits {
            warnings_per_code: 2,
            value_chars: 20,
            ..Limits::default()
        };
        let mut log = WarningLog::new(&limits);
        for i in 0..5 {
            log.push(Warning {
                code: "unsafe-path",
                path: format!("a/{i}"),
                message: "m".into(),
            });
        }
        log.push(Warning {
            code: "bad-zip",
            path: "z".repeat(100),
            message: "broken".into(),
        });
        let (kept, counts) = log.finish();
        let codes: Vec<&str> = kept.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            ["unsafe-path", "unsafe-path", "bad-zip", "unsafe-path"]
        );
        assert!(
            kept[2].path.ends_with("…[cut 80 bytes]"),
            "{}",
            kept[2].path
        );
        assert!(
            kept[3].message.starts_with("3 more `unsafe-path`"),
            "{}",
            kept[3].message
        );
        assert!(kept[3].message.contains("a/3, a/4"), "{}", kept[3].message);
        assert_eq!(kept[3].path, "a/2");
        assert_eq!(counts["unsafe-path"], 5);
        assert_eq!(counts["bad-zip"], 1);
    }

    #[test]
    fn json_is_cut_where_its_value_budget_ends() {
        assert_eq!(json_budget_end("[1,2,3]", 10), None);
        assert_eq!(json_budget_end("[1,2,3]", 2), Some(4));
        assert_eq!(json_budget_end("", 0), None);
    }
}
