//! Line hits: what the matcher found in a device's logs, aggregated as it streams.
//!
//! A log can have millions of matching lines, so hits are never kept one by one: per pattern and
//! per key (the SSE host or dialled address a line concerns, or none) the collector keeps the
//! count, the first and the last hit with their evidence, the addresses seen, and the newest
//! time stamps (bounded) for "at least N in the last T" windows. Aggregates merge, so hits keyed by
//! an address can be folded into the host that address turns out to belong to.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use super::Evidence;

/// Newest time stamps kept per aggregate for time windows.
pub const WINDOW_STAMPS: usize = 4096;
/// Distinct addresses kept per aggregate.
const ADDRS: usize = 64;

/// One matching line.
#[derive(Debug, Clone, Serialize)]
pub struct HitSample {
    pub time: Option<Timestamp>,
    pub evidence: Evidence,
    pub captures: Vec<(String, String)>,
    /// Reading order, to order lines without a time stamp.
    #[serde(skip)]
    pub seq: u64,
}

impl HitSample {
    /// Time first (with offsets, as instants), reading order for ties or missing stamps.
    fn later_than(&self, other: &HitSample) -> bool {
        match (self.time, other.time) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => self.seq > other.seq,
        }
    }
}

/// The hits of one pattern for one key.
#[derive(Debug, Clone, Serialize)]
pub struct HitAgg {
    pub count: u64,
    pub first: HitSample,
    pub last: HitSample,
    pub addrs: BTreeSet<String>,
    #[serde(skip)]
    newest: BinaryHeap<Reverse<i64>>,
}

impl HitAgg {
    fn new(sample: HitSample) -> HitAgg {
        let mut agg = HitAgg {
            count: 0,
            first: sample.clone(),
            last: sample.clone(),
            addrs: BTreeSet::new(),
            newest: BinaryHeap::new(),
        };
        agg.add(sample, None);
        agg
    }

    fn add(&mut self, sample: HitSample, addr: Option<&str>) {
        self.count += 1;
        if let Some(t) = sample.time {
            self.newest.push(Reverse(t.as_second()));
            if self.newest.len() > WINDOW_STAMPS {
                self.newest.pop();
            }
        }
        if let Some(a) = addr
            && self.addrs.len() < ADDRS
        {
            self.addrs.insert(a.to_string());
        }
        if self.first.later_than(&sample) {
            self.first = sample;
        } else if sample.later_than(&self.last) {
            self.last = sample;
        }
    }

    /// Folds another aggregate of the same pattern into this one.
    pub fn merge(&mut self, other: HitAgg) {
        self.count += other.count;
        self.addrs.extend(other.addrs);
        for stamp in other.newest {
            self.newest.push(stamp);
            if self.newest.len() > WINDOW_STAMPS {
                self.newest.pop();
            }
        }
        if self.first.later_than(&other.first) {
            self.first = other.first;
        }
        if other.last.later_than(&self.last) {
            self.last = other.last;
        }
    }

    /// Hits at or after `since` (a lower bound when more than [`WINDOW_STAMPS`] hits were kept).
    pub fn count_since(&self, since: Timestamp) -> u64 {
        let s = since.as_second();
        self.newest.iter().filter(|Reverse(t)| *t >= s).count() as u64
    }
}

/// Hits of every pattern of one device: pattern id → key → aggregate. Key "" means none.
#[derive(Debug, Clone, Default)]
pub struct LineHits {
    pub by_pattern: HashMap<usize, BTreeMap<String, HitAgg>>,
}

impl LineHits {
    pub fn record(&mut self, pattern: usize, key: &str, addr: Option<&str>, sample: HitSample) {
        let keys = self.by_pattern.entry(pattern).or_default();
        match keys.get_mut(key) {
            Some(agg) => agg.add(sample, addr),
            None => {
                let mut agg = HitAgg::new(sample);
                if let Some(a) = addr {
                    agg.addrs.insert(a.to_string());
                }
                keys.insert(key.to_string(), agg);
            }
        }
    }

    /// Re-keys hits keyed by an address to the host that address belongs to.
    pub fn resolve_keys(&mut self, host_of: impl Fn(&str) -> Option<String>) {
        for keys in self.by_pattern.values_mut() {
            let addr_keys: Vec<String> = keys
                .keys()
                .filter(|k| k.starts_with("addr:"))
                .cloned()
                .collect();
            for key in addr_keys {
                if let Some(host) = host_of(&key["addr:".len()..])
                    && let Some(agg) = keys.remove(&key)
                {
                    match keys.get_mut(&host) {
                        Some(existing) => existing.merge(agg),
                        None => {
                            keys.insert(host, agg);
                        }
                    }
                }
            }
        }
    }

    pub fn get(&self, pattern: usize) -> Option<&BTreeMap<String, HitAgg>> {
        self.by_pattern.get(&pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seq: u64, time: Option<&str>) -> HitSample {
        HitSample {
            time: time.map(|t| t.parse().unwrap()),
            evidence: Evidence {
                path: "p".into(),
                line: Some(seq as u32),
                text: None,
            },
            captures: vec![],
            seq,
        }
    }

    #[test]
    fn first_and_last_follow_instants_not_reading_order() {
        let mut hits = LineHits::default();
        // Rotated files arrive newest first; a DST change makes the text order lie.
        hits.record(1, "h", None, sample(1, Some("2020-11-01T01:30:00-06:00")));
        hits.record(1, "h", None, sample(2, Some("2020-11-01T01:10:00-05:00")));
        hits.record(1, "h", None, sample(3, Some("2020-10-31T10:00:00-05:00")));
        let agg = &hits.get(1).unwrap()["h"];
        assert_eq!(agg.count, 3);
        assert_eq!(agg.first.seq, 3);
        assert_eq!(agg.last.seq, 1);
        assert_eq!(agg.count_since("2020-11-01T06:00:00Z".parse().unwrap()), 2);
    }

    #[test]
    fn address_keys_fold_into_hosts() {
        let mut hits = LineHits::default();
        hits.record(
            1,
            "addr:18.205.49.246",
            Some("18.205.49.246"),
            sample(1, None),
        );
        hits.record(1, "api-sse.cisco.com", None, sample(2, None));
        hits.resolve_keys(|a| (a == "18.205.49.246").then(|| "api-sse.cisco.com".to_string()));
        let keys = hits.get(1).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys["api-sse.cisco.com"].count, 2);
        assert!(keys["api-sse.cisco.com"].addrs.contains("18.205.49.246"));
    }
}
