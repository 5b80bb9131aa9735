//! Line hits: what the matcher found in a device's logs, aggregated as it streams.
//!
//! A log can have millions of matching lines, so hits are never kept one by one: per pattern and
//! per key (the SSE host or dialled address a line concerns, or none) the collector keeps the
//! count, the first and the last hit with their evidence, the addresses seen (every address the
//! matching lines named, so that `mixed_outcomes` can tell which addresses of a host fail and which
//! work), and, only for the patterns whose conditions need them, the newest time stamps (for
//! `within`, `window` and `sequence`) and the distinct values of captures (`min_distinct`), each
//! bounded by a limit of [`crate::limits::Limits`] and counted when the bound drops something. Aggregates
//! merge, so hits keyed by an address can be folded into the host that address turns out to belong
//! to. Each first and last sample keeps the lines around it (`--context`, as `grep -C`): the
//! reader keeps a small ring of the lines around the one it reads, and gives them to the hits that
//! became samples ([`Became`]) once the lines after them are read
//! ([`LineHits::attach_context`]); a sample replaced before then costs no copy.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;

use jiff::Timestamp;
use serde::Serialize;

use super::Evidence;

/// Distinct addresses kept per aggregate.
const ADDRS: usize = 64;
/// Keys (hosts, addresses) of one pattern whose samples keep context lines: a log naming
/// thousands of hosts keeps their counts and lines, but context (up to 2 × `--context` lines
/// per sample) only for the first of them.
pub const CONTEXT_KEYS: usize = 64;

/// Which samples of its aggregate a recorded hit became, when that aggregate keeps context:
/// only such a hit is owed the lines after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Became {
    /// Neither sample, or the aggregate keeps no context.
    Neither,
    /// The first hit of its key: both the first and the last sample.
    Both,
    First,
    Last,
}

/// A line of context around a matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ContextLine {
    /// 1-based.
    pub line: u32,
    /// The line, cut at `--max-evidence-chars`.
    pub text: String,
}

impl ContextLine {
    /// Becomes line `line` of text `text` (cut to `max` characters), reusing its buffer.
    pub fn set(&mut self, line: u32, text: &str, max: usize) {
        self.line = line;
        self.text.clear();
        push_capped(&mut self.text, text, max);
    }
}

/// One matching line.
#[derive(Debug, Clone, Serialize)]
pub struct HitSample {
    pub time: Option<Timestamp>,
    /// `time` is a wall-clock time read provisionally as UTC in a placeholder year (a syslog
    /// stamp has neither zone nor year): [`LineHits::retime`] places it once the device's zone
    /// and collection time are known.
    #[serde(skip)]
    pub local: bool,
    pub evidence: Evidence,
    pub captures: Vec<(String, String)>,
    /// Up to `--context` lines before it, and after it (same member, in reading order).
    pub context_before: Vec<ContextLine>,
    pub context_after: Vec<ContextLine>,
    /// Reading order, to order lines without a time stamp.
    #[serde(skip)]
    pub seq: u64,
    /// `captures` are still to be read from the evidence text ([`LineHits::settle_captures`]):
    /// a sample is replaced on nearly every hit of a log read in time order, so capturing is
    /// left to the few samples that are kept.
    #[serde(skip)]
    captures_pending: bool,
    /// Buffers of the context lines it had before it was replaced, reused by the next lines
    /// attached (at most `2 × --context`): a sample replaced on every hit would otherwise
    /// free and allocate its lines each time.
    #[serde(skip)]
    spare: Vec<ContextLine>,
}

impl HitSample {
    /// Time first (with offsets, as instants), reading order for ties or missing stamps.
    fn later_than(&self, other: &HitSample) -> bool {
        later((self.time, self.seq), (other.time, other.seq))
    }

    fn from_line(line: &HitLine<'_>) -> HitSample {
        let mut sample = HitSample {
            time: None,
            local: false,
            evidence: Evidence {
                path: String::new(),
                line: None,
                text: None,
            },
            captures: Vec::new(),
            context_before: Vec::new(),
            context_after: Vec::new(),
            seq: 0,
            captures_pending: false,
            spare: Vec::new(),
        };
        sample.assign(line);
        sample
    }

    /// Becomes `line`, reusing this sample's buffers: for a log read in time order every hit
    /// replaces the last one, so this runs on most matching lines and must not allocate.
    fn assign(&mut self, line: &HitLine<'_>) {
        self.time = line.time;
        self.local = line.local;
        self.seq = line.seq;
        if self.evidence.path != line.path {
            self.evidence.path.clear();
            self.evidence.path.push_str(line.path);
        }
        self.evidence.line = Some(line.line);
        let text = self.evidence.text.get_or_insert_with(String::new);
        text.clear();
        push_capped(text, line.text, line.max_chars);
        self.captures.clear();
        self.captures.extend_from_slice(line.captures);
        self.captures_pending = line.captures_pending;
        self.spare.append(&mut self.context_before);
        self.spare.append(&mut self.context_after);
    }

    /// Sets the lines around it, reusing the buffers of the lines it had.
    fn set_context<'l>(
        &mut self,
        before: impl Iterator<Item = &'l ContextLine>,
        after: impl Iterator<Item = &'l ContextLine>,
    ) {
        self.spare.append(&mut self.context_before);
        self.spare.append(&mut self.context_after);
        for line in before {
            let copy = reuse(&mut self.spare, line);
            self.context_before.push(copy);
        }
        for line in after {
            let copy = reuse(&mut self.spare, line);
            self.context_after.push(copy);
        }
    }
}

/// A copy of `line` in a buffer from `spare` if there is one.
fn reuse(spare: &mut Vec<ContextLine>, line: &ContextLine) -> ContextLine {
    match spare.pop() {
        Some(mut mine) => {
            mine.line = line.line;
            mine.text.clone_from(&line.text);
            mine
        }
        None => line.clone(),
    }
}

/// One matching line as the reader holds it, borrowed: an aggregate copies it only into the
/// first or last sample it replaces.
#[derive(Debug, Clone, Copy)]
pub struct HitLine<'a> {
    pub time: Option<Timestamp>,
    /// `time` is provisional wall-clock time (see [`HitSample::local`]).
    pub local: bool,
    /// The member's display path.
    pub path: &'a str,
    /// 1-based line number.
    pub line: u32,
    /// The line, uncapped.
    pub text: &'a str,
    /// Characters of `text` kept as evidence.
    pub max_chars: usize,
    pub captures: &'a [(String, String)],
    /// `captures` were not read: the sample reads them from its evidence text once kept (the
    /// caller knows the text is not cut and the pattern's captures decide nothing else).
    pub captures_pending: bool,
    pub seq: u64,
    /// Time stamps kept per aggregate; 0: the pattern keeps none.
    pub stamp_cap: usize,
    /// Capture values whose distinct values the aggregate counts, and how many it keeps each.
    pub distinct: &'a [(String, String)],
    pub distinct_cap: usize,
}

fn later(a: (Option<Timestamp>, u64), b: (Option<Timestamp>, u64)) -> bool {
    match (a.0, b.0) {
        (Some(x), Some(y)) if x != y => x > y,
        _ => a.1 > b.1,
    }
}

pub use crate::text::push_capped;

/// The hits of one pattern for one key.
#[derive(Debug, Clone, Serialize)]
pub struct HitAgg {
    pub count: u64,
    pub first: HitSample,
    pub last: HitSample,
    pub addrs: BTreeSet<IpAddr>,
    #[serde(skip)]
    /// The newest stamps (seconds), ascending: logs mostly arrive in time order, so a stamp is
    /// usually appended at the back and the oldest dropped from the front.
    newest: VecDeque<i64>,
    /// Provisional wall-clock stamps (seconds, ascending), moved into `newest` by `retime`.
    #[serde(skip)]
    newest_local: VecDeque<i64>,
    /// Its samples keep context lines (one of the first [`CONTEXT_KEYS`] keys of its pattern).
    #[serde(skip)]
    context: bool,
    /// How many stamps `newest` keeps at most (0: none).
    #[serde(skip)]
    stamp_cap: usize,
    /// Stamps dropped because `stamp_cap` was reached (the oldest go first).
    #[serde(skip)]
    pub stamps_dropped: u64,
    /// Distinct values per capture name, at most `distinct_cap` each.
    #[serde(skip)]
    pub distinct: BTreeMap<String, BTreeSet<String>>,
    #[serde(skip)]
    distinct_cap: usize,
    /// Values not kept because `distinct_cap` was reached.
    #[serde(skip)]
    pub distinct_dropped: u64,
}

impl HitAgg {
    fn new(line: &HitLine<'_>, context: bool) -> (HitAgg, Became) {
        let sample = HitSample::from_line(line);
        let mut agg = HitAgg {
            count: 0,
            first: sample.clone(),
            last: sample,
            addrs: BTreeSet::new(),
            newest: VecDeque::new(),
            newest_local: VecDeque::new(),
            context,
            stamp_cap: line.stamp_cap,
            stamps_dropped: 0,
            distinct: BTreeMap::new(),
            distinct_cap: line.distinct_cap,
            distinct_dropped: 0,
        };
        agg.add(line, &[]);
        (
            agg,
            if context {
                Became::Both
            } else {
                Became::Neither
            },
        )
    }

    fn add(&mut self, line: &HitLine<'_>, addrs: &[IpAddr]) -> Became {
        self.count += 1;
        if let Some(t) = line.time
            && self.stamp_cap > 0
        {
            let stamps = if line.local {
                &mut self.newest_local
            } else {
                &mut self.newest
            };
            self.stamps_dropped += keep_newest(stamps, t.as_second(), self.stamp_cap);
        }
        for (name, value) in line.distinct {
            self.add_distinct(name, value);
        }
        for &a in addrs {
            if self.addrs.len() < ADDRS {
                self.addrs.insert(a);
            }
        }
        let this = (line.time, line.seq);
        let became = if later((self.first.time, self.first.seq), this) {
            self.first.assign(line);
            Became::First
        } else if later(this, (self.last.time, self.last.seq)) {
            self.last.assign(line);
            Became::Last
        } else {
            Became::Neither
        };
        if self.context {
            became
        } else {
            Became::Neither
        }
    }

    fn add_distinct(&mut self, name: &str, value: &str) {
        let cap = self.distinct_cap;
        let values = match self.distinct.get_mut(name) {
            Some(values) => values,
            None => self.distinct.entry(name.to_string()).or_default(),
        };
        if values.contains(value) {
            return;
        }
        if values.len() < cap {
            values.insert(value.to_string());
        } else {
            self.distinct_dropped += 1;
        }
    }

    /// Folds another aggregate of the same pattern into this one.
    pub fn merge(&mut self, other: HitAgg) {
        self.count += other.count;
        self.addrs.extend(other.addrs);
        self.stamp_cap = self.stamp_cap.max(other.stamp_cap);
        self.distinct_cap = self.distinct_cap.max(other.distinct_cap);
        self.stamps_dropped += other.stamps_dropped;
        self.distinct_dropped += other.distinct_dropped;
        for stamp in other.newest {
            self.stamps_dropped += keep_newest(&mut self.newest, stamp, self.stamp_cap);
        }
        for stamp in other.newest_local {
            self.stamps_dropped += keep_newest(&mut self.newest_local, stamp, self.stamp_cap);
        }
        for (name, values) in other.distinct {
            for value in values {
                self.add_distinct(&name, &value);
            }
        }
        if self.first.later_than(&other.first) {
            self.first = other.first;
        }
        if other.last.later_than(&self.last) {
            self.last = other.last;
        }
    }

    /// Hits at or after `since` (a lower bound when more than the stamp limit were kept).
    pub fn count_since(&self, since: Timestamp) -> u64 {
        let s = since.as_second();
        (self.newest.len() - self.newest.partition_point(|&t| t < s)) as u64
    }

    /// The kept time stamps (seconds, ascending): the newest, up to the stamp limit.
    pub fn stamps(&self) -> &VecDeque<i64> {
        &self.newest
    }
}

/// Adds `stamp` to the ascending `newest`, keeping at most `cap` of the newest; returns how many
/// stamps were dropped (0 or 1).
fn keep_newest(newest: &mut VecDeque<i64>, stamp: i64, cap: usize) -> u64 {
    if cap == 0 {
        return 1;
    }
    if newest.back().is_none_or(|&last| stamp >= last) {
        newest.push_back(stamp);
    } else if newest.len() >= cap && newest.front().is_some_and(|&first| stamp <= first) {
        return 1; // older than everything kept
    } else {
        let at = newest.partition_point(|&t| t <= stamp);
        newest.insert(at, stamp);
    }
    if newest.len() > cap {
        newest.pop_front();
        return 1;
    }
    0
}

/// A connection to one address of an SSE host that worked or failed, as a snapshot artifact
/// shows it (a curl test's `Trying A` / `Connected to HOST (B)`). Logs give the same evidence
/// through line hits; `mixed_outcomes` reads these for the artifacts that are not logs.
#[derive(Debug, Clone, Serialize)]
pub struct AddrOutcome {
    pub kind: crate::artifacts::ArtifactKind,
    /// The SSE host, lower-case.
    pub host: String,
    pub addr: IpAddr,
    pub connected: bool,
    /// The line that decided it.
    pub evidence: Evidence,
}

/// What the lines of one aggregate concern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HitKey {
    /// The line names neither a host nor an address.
    None,
    /// The line names no host, only the address it dialled: folded into the host that address
    /// turns out to belong to ([`LineHits::resolve_keys`]), if any.
    Addr(IpAddr),
    /// The host the line names.
    Host(String),
    /// The value of the capture a `group_by` condition groups by ("" when the capture did not
    /// take part in the match).
    Group(String),
}

impl HitKey {
    /// The host, address or group value as reports show it; None for [`HitKey::None`] and the
    /// empty group.
    pub fn label(&self) -> Option<String> {
        match self {
            HitKey::None => None,
            HitKey::Addr(a) => Some(a.to_string()),
            HitKey::Host(h) => Some(h.clone()),
            HitKey::Group(g) => (!g.is_empty()).then(|| g.clone()),
        }
    }
}

/// Hits of every pattern of one device: pattern id → key → aggregate.
#[derive(Debug, Clone, Default)]
pub struct LineHits {
    /// Indexed by pattern id (the loader numbers patterns densely from 0): a map lookup per
    /// hit showed up in profiles.
    by_pattern: Vec<BTreeMap<HitKey, HitAgg>>,
    /// Lines not counted because their pattern already had `max_keys` keys (groups).
    pub keys_dropped: u64,
}

impl LineHits {
    /// Counts `line` for `pattern` under `key`, with the addresses the line names; a new key
    /// beyond `max_keys` for the pattern is not counted (see [`LineHits::keys_dropped`]).
    pub fn record(
        &mut self,
        pattern: usize,
        key: &HitKey,
        addrs: &[IpAddr],
        line: &HitLine<'_>,
        max_keys: usize,
    ) -> Became {
        if self.by_pattern.len() <= pattern {
            self.by_pattern.resize_with(pattern + 1, BTreeMap::new);
        }
        let keys = &mut self.by_pattern[pattern];
        let full = keys.len() >= max_keys;
        match keys.get_mut(key) {
            Some(agg) => agg.add(line, addrs),
            None if full => {
                self.keys_dropped += 1;
                Became::Neither
            }
            None => {
                let (mut agg, became) = HitAgg::new(line, keys.len() < CONTEXT_KEYS);
                agg.addrs.extend(addrs.iter().copied().take(ADDRS));
                keys.insert(key.clone(), agg);
                became
            }
        }
    }

    /// Re-keys hits keyed by an address to the host that address belongs to.
    pub fn resolve_keys(&mut self, host_of: impl Fn(&IpAddr) -> Option<String>) {
        for keys in &mut self.by_pattern {
            let addr_keys: Vec<IpAddr> = keys
                .keys()
                .filter_map(|k| match k {
                    HitKey::Addr(a) => Some(*a),
                    _ => None,
                })
                .collect();
            for addr in addr_keys {
                if let Some(host) = host_of(&addr)
                    && let Some(agg) = keys.remove(&HitKey::Addr(addr))
                {
                    match keys.get_mut(&HitKey::Host(host.clone())) {
                        Some(existing) => existing.merge(agg),
                        None => {
                            keys.insert(HitKey::Host(host), agg);
                        }
                    }
                }
            }
        }
    }

    /// Gives the lines around the hit read as `seq` (`before` and `after` it, oldest first) to
    /// the samples that still are that hit (a later hit may have replaced it since).
    pub fn attach_context<'l>(
        &mut self,
        pattern: usize,
        key: &HitKey,
        seq: u64,
        before: impl Iterator<Item = &'l ContextLine> + Clone,
        after: impl Iterator<Item = &'l ContextLine> + Clone,
    ) {
        let Some(agg) = self
            .by_pattern
            .get_mut(pattern)
            .and_then(|k| k.get_mut(key))
            .filter(|agg| agg.context)
        else {
            return;
        };
        if agg.first.seq == seq {
            agg.first.set_context(before.clone(), after.clone());
        }
        if agg.last.seq == seq {
            agg.last.set_context(before, after);
        }
    }

    /// Reads the captures the samples left pending ([`HitLine::captures_pending`]) from their
    /// evidence text with `captures(pattern, text)`.
    pub fn settle_captures(&mut self, captures: impl Fn(usize, &str) -> Vec<(String, String)>) {
        for (pattern, keys) in self.by_pattern.iter_mut().enumerate() {
            for agg in keys.values_mut() {
                for sample in [&mut agg.first, &mut agg.last] {
                    if std::mem::take(&mut sample.captures_pending) {
                        let text = sample.evidence.text.as_deref().unwrap_or_default();
                        sample.captures = captures(pattern, text);
                    }
                }
            }
        }
    }

    /// Stamps and distinct values dropped at their limits, over every pattern and key.
    pub fn dropped(&self) -> (u64, u64) {
        self.by_pattern
            .iter()
            .flat_map(|keys| keys.values())
            .fold((0, 0), |(s, d), agg| {
                (s + agg.stamps_dropped, d + agg.distinct_dropped)
            })
    }

    /// The hits of `pattern` by key; None if it has none.
    pub fn get(&self, pattern: usize) -> Option<&BTreeMap<HitKey, HitAgg>> {
        self.by_pattern.get(pattern).filter(|keys| !keys.is_empty())
    }

    /// Folds the hits of another part of the same device (a loose file that belongs to it).
    pub fn merge(&mut self, other: LineHits) {
        self.keys_dropped += other.keys_dropped;
        if self.by_pattern.len() < other.by_pattern.len() {
            self.by_pattern
                .resize_with(other.by_pattern.len(), BTreeMap::new);
        }
        for (pattern, keys) in other.by_pattern.into_iter().enumerate() {
            let mine = &mut self.by_pattern[pattern];
            for (key, agg) in keys {
                match mine.get_mut(&key) {
                    Some(existing) => existing.merge(agg),
                    None => {
                        mine.insert(key, agg);
                    }
                }
            }
        }
    }

    /// Places every provisional wall-clock time (see [`HitSample::local`]) with `place`; a time
    /// it cannot place (no year known, a day that does not exist) is dropped.
    pub fn retime(&mut self, place: impl Fn(Timestamp) -> Option<Timestamp>) {
        for keys in &mut self.by_pattern {
            for agg in keys.values_mut() {
                for sample in [&mut agg.first, &mut agg.last] {
                    if sample.local {
                        sample.time = sample.time.and_then(&place);
                        sample.local = false;
                    }
                }
                let local = std::mem::take(&mut agg.newest_local);
                for stamp in local {
                    if let Some(t) = Timestamp::from_second(stamp).ok().and_then(&place) {
                        agg.stamps_dropped +=
                            keep_newest(&mut agg.newest, t.as_second(), agg.stamp_cap);
                    }
                }
                // A placed time may now be earlier or later than the exact ones it was
                // compared with while streaming.
                if agg.first.later_than(&agg.last) {
                    std::mem::swap(&mut agg.first, &mut agg.last);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(host: &str) -> HitKey {
        HitKey::Host(host.into())
    }

    fn sample(seq: u64, time: Option<&str>) -> HitLine<'static> {
        HitLine {
            time: time.map(|t| t.parse().unwrap()),
            local: false,
            path: "p",
            line: seq as u32,
            text: "a line",
            max_chars: 3,
            captures: &[],
            captures_pending: false,
            seq,
            stamp_cap: 4096,
            distinct: &[],
            distinct_cap: 0,
        }
    }

    #[test]
    fn first_and_last_follow_instants_not_reading_order() {
        let mut hits = LineHits::default();
        // Rotated files arrive newest first; a DST change makes the text order lie.
        hits.record(
            1,
            &h("h"),
            &[],
            &sample(1, Some("2020-11-01T01:30:00-06:00")),
            usize::MAX,
        );
        hits.record(
            1,
            &h("h"),
            &[],
            &sample(2, Some("2020-11-01T01:10:00-05:00")),
            usize::MAX,
        );
        hits.record(
            1,
            &h("h"),
            &[],
            &sample(3, Some("2020-10-31T10:00:00-05:00")),
            usize::MAX,
        );
        let agg = &hits.get(1).unwrap()[&h("h")];
        assert_eq!(agg.count, 3);
        assert_eq!(agg.first.seq, 3);
        assert_eq!(agg.last.seq, 1);
        assert_eq!(agg.last.evidence.text.as_deref(), Some("a l…"));
        assert_eq!(agg.last.evidence.line, Some(1));
        assert_eq!(agg.count_since("2020-11-01T06:00:00Z".parse().unwrap()), 2);
    }

    #[test]
    fn windows_keep_the_newest_stamps_in_any_arrival_order() {
        let mut newest = VecDeque::new();
        // A rotated (older) file read after the current one, then the current one's tail.
        const CAP: usize = 4096;
        let stamps: Vec<i64> = (5000..5000 + CAP as i64)
            .chain(0..3000)
            .chain([4999, 7000, 6000])
            .collect();
        for &t in &stamps {
            keep_newest(&mut newest, t, CAP);
        }
        let mut want = stamps.clone();
        want.sort();
        let want: Vec<i64> = want[want.len() - CAP..].to_vec();
        assert_eq!(newest.iter().copied().collect::<Vec<_>>(), want);
    }

    #[test]
    fn context_is_kept_around_samples_of_the_first_keys_only() {
        let before = [ContextLine {
            line: 1,
            text: "before".into(),
        }];
        let after = [ContextLine {
            line: 3,
            text: "aft…".into(),
        }];
        let mut hits = LineHits::default();
        let mut became = Vec::new();
        for k in 0..CONTEXT_KEYS + 6 {
            let line = HitLine {
                line: 2,
                ..sample(k as u64 + 1, None)
            };
            let key = HitKey::Host(format!("host{k:03}"));
            became.push(hits.record(1, &key, &[], &line, usize::MAX));
            hits.attach_context(1, &key, k as u64 + 1, before.iter(), after.iter());
        }
        // Only the first keys' hits are owed context, and only those get it.
        assert_eq!(
            became.iter().filter(|&&b| b == Became::Both).count(),
            CONTEXT_KEYS
        );
        let keys = hits.get(1).unwrap();
        let kept = keys
            .values()
            .filter(|a| !a.last.context_before.is_empty())
            .count();
        assert_eq!(kept, CONTEXT_KEYS);
        let first = HitKey::Host("host000".into());
        assert_eq!(keys[&first].last.context_before, before);
        assert_eq!(keys[&first].first.context_after, after);
        let last = HitKey::Host(format!("host{:03}", CONTEXT_KEYS + 5));
        assert!(keys[&last].first.context_after.is_empty());
        // A hit a later one replaced as the last sample is not given its lines, and the new
        // last sample has none until its own are attached.
        let line = HitLine {
            line: 9,
            ..sample(100, None)
        };
        assert_eq!(hits.record(1, &first, &[], &line, usize::MAX), Became::Last);
        hits.attach_context(1, &first, 1, before.iter(), after.iter());
        let agg = &hits.get(1).unwrap()[&first];
        assert_eq!(agg.first.context_after, after);
        assert!(agg.last.context_after.is_empty());
        assert!(agg.last.context_before.is_empty());
        let around = [ContextLine {
            line: 10,
            text: "next".into(),
        }];
        hits.attach_context(1, &first, 100, [].iter(), around.iter());
        let agg = &hits.get(1).unwrap()[&first];
        assert_eq!(agg.last.context_after, around);
        assert_eq!(
            agg.first.context_after, after,
            "the first sample keeps its own"
        );
    }

    #[test]
    fn pending_captures_are_read_from_the_kept_samples_only() {
        let mut hits = LineHits::default();
        let own = [("host".to_string(), "given".to_string())];
        for seq in 1..=3 {
            let line = HitLine {
                text: "lookup a.example",
                max_chars: 100,
                captures_pending: seq != 1,
                captures: if seq == 1 { &own } else { &[] },
                ..sample(seq, None)
            };
            hits.record(1, &h("h"), &[], &line, usize::MAX);
        }
        let asked = std::cell::Cell::new(0);
        hits.settle_captures(|pattern, text| {
            asked.set(asked.get() + 1);
            vec![(format!("p{pattern}"), text.to_string())]
        });
        let agg = &hits.get(1).unwrap()[&h("h")];
        // The first sample kept the captures read with it; only the last (line 3) was pending,
        // and line 2, replaced before the end, was never captured.
        assert_eq!(agg.first.captures, own);
        assert_eq!(
            agg.last.captures,
            [("p1".to_string(), "lookup a.example".to_string())]
        );
        assert_eq!(asked.get(), 1);
    }

    #[test]
    fn stamps_distinct_values_and_keys_stop_at_their_limits() {
        let mut hits = LineHits::default();
        let values: Vec<[(String, String); 1]> = (0..5)
            .map(|i| [("proxy".to_string(), format!("10.0.0.{i}"))])
            .collect();
        for (i, v) in values.iter().enumerate() {
            let mut line = sample(i as u64, Some("2020-11-01T01:30:00Z"));
            line.stamp_cap = 3;
            line.distinct = v;
            line.distinct_cap = 2;
            hits.record(1, &h("h"), &[], &line, 1);
        }
        hits.record(1, &h("other"), &[], &sample(9, None), 1);
        let agg = &hits.get(1).unwrap()[&h("h")];
        assert_eq!(agg.count, 5);
        assert_eq!(agg.stamps().len(), 3);
        assert_eq!(agg.stamps_dropped, 2);
        assert_eq!(agg.distinct["proxy"].len(), 2);
        assert_eq!(agg.distinct_dropped, 3);
        assert_eq!(hits.keys_dropped, 1);
        assert!(!hits.get(1).unwrap().contains_key(&h("other")));
    }

    #[test]
    fn every_address_of_a_line_is_kept_once() {
        let mut hits = LineHits::default();
        let a: IpAddr = "18.205.49.246".parse().unwrap();
        let b: IpAddr = "2600:1f18::1".parse().unwrap();
        hits.record(1, &h("h"), &[a, b], &sample(1, None), usize::MAX);
        hits.record(1, &h("h"), &[b], &sample(2, None), usize::MAX);
        hits.record(1, &h("h"), &[], &sample(3, None), usize::MAX);
        let agg = &hits.get(1).unwrap()[&h("h")];
        assert_eq!(agg.count, 3);
        assert_eq!(agg.addrs.iter().copied().collect::<Vec<_>>(), [a, b]);
    }

    #[test]
    fn address_keys_fold_into_hosts() {
        let mut hits = LineHits::default();
        let ip: IpAddr = "18.205.49.246".parse().unwrap();
        let other: IpAddr = "192.0.2.7".parse().unwrap();
        let m = usize::MAX;
        hits.record(1, &HitKey::Addr(ip), &[ip], &sample(1, None), m);
        hits.record(1, &HitKey::Addr(other), &[other], &sample(2, None), m);
        hits.record(1, &h("api.example.net"), &[], &sample(3, None), m);
        hits.resolve_keys(|a| (*a == ip).then(|| "api.example.net".to_string()));
        let keys = hits.get(1).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[&h("api.example.net")].count, 2);
        assert!(keys[&h("api.example.net")].addrs.contains(&ip));
        assert_eq!(keys[&HitKey::Addr(other)].count, 1);
        assert_eq!(HitKey::Addr(other).label().as_deref(), Some("192.0.2.7"));
        assert_eq!(HitKey::None.label(), None);
        assert_eq!(HitKey::Group("x".into()).label().as_deref(), Some("x"));
        assert_eq!(HitKey::Group(String::new()).label(), None);
    }
}
