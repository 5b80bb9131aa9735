//! What the collector keeps of each unit of a case while it streams (a device root, or a loose
//! file until it is attached to a device) and of each archive: the state that [`super::collect`]
//! fills, [`super::case`] groups into devices and [`super::derive`] turns into facts. It sits
//! below all three, so that data flows one way between them.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::ArtifactRef;
use super::hits::LineHits;
use super::{Evidence, Fact};
use crate::artifacts::{ArtifactKind, Builtin, Format};
pub(crate) use crate::text::cap_chars;

/// What was read of one device root, or of one loose file until it is attached to a device.
pub(crate) struct BundleState {
    /// The archive (ingest bundle) it was read from.
    pub archive: usize,
    /// The device root's folder inside the archive (`""`: the archive itself is the root); for a
    /// loose file, the file's path.
    pub root: String,
    /// True for a device root (a folder holding `command-outputs/` or `dir-archives/`).
    pub is_root: bool,
    /// Where it is, as reports name it: the archive's label, then the root folder.
    pub label: String,
    /// The inventory: at most `Limits::inventory_rows` artifacts, in reading order.
    pub artifacts: Vec<ArtifactRef>,
    /// Artifacts read but not listed (over `Limits::inventory_rows`).
    pub artifacts_omitted: u64,
    /// Every artifact kind read, listed or not: what rules look at.
    pub kinds: BTreeSet<ArtifactKind>,
    /// The built-in formats of the kinds read (what the device-level facts depend on).
    pub formats: BTreeSet<Builtin>,
    /// A kind read that is not a manager setting (licence or cloud settings): a loose file
    /// holding only those goes to the case's one FMC.
    pub other_than_manager_settings: bool,
    /// A member named `show_tech_output…` was read (an FTD's).
    pub show_tech: bool,
    /// The first connector.log read.
    pub first_connector_log: Option<String>,
    /// Whole-document artifacts, parsed when their member ended: what their facts need.
    pub documents: Vec<DocSummary>,
    pub hits: LineHits,
    /// Dialled address → SSE host, from lines naming both.
    pub host_of_addr: BTreeMap<std::net::IpAddr, String>,
    /// SSE hosts named by connector log lines.
    pub peer_hosts: BTreeSet<String>,
    /// The newest exact (zoned) log time.
    pub newest_log: Option<Timestamp>,
    /// The newest provisional wall-clock syslog time (see [`super::HitSample::local`]).
    pub newest_local: Option<Timestamp>,
    /// A member that lives in `etc/sf/`, if any (then a missing connector.properties means something).
    pub etc_sf_member: Option<String>,
    /// The bundle's own time stamp (`results-MM-DD-YYYY--HHMMSS`), wall-clock fields as UTC.
    pub stamped: Option<Timestamp>,
    /// The device's time zone, from `etc/localtime`.
    pub zone: Option<DeviceZone>,
    /// A loose file's first bytes, to find the device it names.
    pub head: String,
}

/// A device's time zone and where it was read.
#[derive(Debug, Clone)]
pub(crate) struct DeviceZone {
    pub zone: jiff::tz::TimeZone,
    /// The IANA name, when the bundle names it (a link's target).
    pub name: Option<String>,
    pub path: String,
}

impl BundleState {
    pub(crate) fn new(archive: usize, root: String, is_root: bool, label: String) -> Self {
        let stamped = stamp_in_name(&root);
        BundleState {
            archive,
            root,
            is_root,
            label,
            artifacts: Vec::new(),
            artifacts_omitted: 0,
            kinds: BTreeSet::new(),
            formats: BTreeSet::new(),
            other_than_manager_settings: false,
            show_tech: false,
            first_connector_log: None,
            documents: Vec::new(),
            hits: LineHits::default(),
            host_of_addr: BTreeMap::new(),
            peer_hosts: BTreeSet::new(),
            newest_log: None,
            newest_local: None,
            etc_sf_member: None,
            stamped,
            zone: None,
            head: String::new(),
        }
    }

    /// Takes in what was read of a loose file that belongs to this device.
    pub(crate) fn absorb(&mut self, other: BundleState, rows: usize) {
        let room = rows.saturating_sub(self.artifacts.len());
        let extra = other.artifacts.len().saturating_sub(room) as u64;
        self.artifacts
            .extend(other.artifacts.into_iter().take(room));
        self.artifacts_omitted += other.artifacts_omitted + extra;
        self.kinds.extend(other.kinds);
        self.formats.extend(other.formats);
        self.other_than_manager_settings |= other.other_than_manager_settings;
        self.show_tech |= other.show_tech;
        if self.first_connector_log.is_none() {
            self.first_connector_log = other.first_connector_log;
        }
        self.documents.extend(other.documents);
        self.hits.merge(other.hits);
        for (addr, host) in other.host_of_addr {
            self.host_of_addr.entry(addr).or_insert(host);
        }
        for host in other.peer_hosts {
            if self.peer_hosts.len() < 256 {
                self.peer_hosts.insert(host);
            }
        }
        self.newest_log = super::latest(self.newest_log, other.newest_log);
        self.newest_local = super::latest(self.newest_local, other.newest_local);
        if self.etc_sf_member.is_none() {
            self.etc_sf_member = other.etc_sf_member;
        }
        if self.zone.is_none() {
            self.zone = other.zone;
        }
    }
}

impl BundleState {
    /// Records an artifact: listed while the inventory has room (`rows`), its kind always.
    pub(crate) fn add_artifact(
        &mut self,
        artifact: ArtifactRef,
        format: Format,
        member_path: &str,
        rows: usize,
    ) {
        self.kinds.insert(artifact.kind);
        let builtin = format.builtin();
        self.formats.extend(builtin);
        self.other_than_manager_settings |=
            !matches!(builtin, Some(Builtin::Licensing | Builtin::CloudSettings));
        self.show_tech |= member_path.contains("show_tech_output");
        if builtin == Some(Builtin::ConnectorLog) && self.first_connector_log.is_none() {
            self.first_connector_log = Some(artifact.path.clone());
        }
        if self.artifacts.len() < rows {
            self.artifacts.push(artifact);
        } else {
            self.artifacts_omitted += 1;
        }
    }
}

/// One archive (or folder) of the input tree, as ingest opened it.
pub(crate) struct ArchiveState {
    pub label: String,
    pub format: crate::ingest::Format,
    pub parent: Option<usize>,
    /// The archive's path inside its parent archive.
    pub inner_path: Option<String>,
    /// The archive's own time stamp, from its name.
    pub stamped: Option<Timestamp>,
    /// Device roots found in it: root folder → unit.
    pub roots: BTreeMap<String, usize>,
    /// The input (command-line argument) it belongs to.
    pub input: usize,
}

/// `results-MM-DD-YYYY--HHMMSS` anywhere in a name, read as UTC (the collector's clock).
pub(crate) fn stamp_in_name(name: &str) -> Option<Timestamp> {
    let at = name.find("results-")?;
    let s = name.get(at + 8..at + 8 + 18)?;
    let b = s.as_bytes();
    if b.len() < 18 || b[2] != b'-' || b[5] != b'-' || &b[10..12] != b"--" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i16>().ok();
    let (month, day, year) = (num(0..2)?, num(3..5)?, num(6..10)?);
    let (hour, minute, second) = (num(12..14)?, num(14..16)?, num(16..18)?);
    let dt = jiff::civil::DateTime::new(
        year,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// What one document says, parsed when its member ends (its text is not kept): the facts it
/// sets, and what identity, curl outcomes and the version need.
#[derive(Debug, Clone)]
pub(crate) struct DocSummary {
    /// The built-in parser that read it, if any.
    pub(crate) format: Option<Builtin>,
    pub(crate) path: String,
    /// A version document: what it says, and the evidence of its version line.
    pub(crate) version: Option<(crate::parse::version_lines::VersionInfo, Evidence)>,
    /// Facts set by this document (other than the version's).
    pub(crate) facts: BTreeMap<String, Fact>,
    /// Facts whose values were cut (`--max-value-chars`, `--max-list-items`).
    pub(crate) cut: BTreeSet<String>,
    /// Values the fact store refused (undeclared fact, or not of its declared type).
    pub(crate) rejected: BTreeSet<String>,
    /// Caps of the generic formats hit while reading it: (warning code, message).
    pub(crate) capped: Vec<(&'static str, String)>,
    /// The host name (`etc/hostname`).
    pub(crate) hostname: Option<String>,
    /// The appliance UUID (`ims.conf`).
    pub(crate) uuid: Option<String>,
    pub(crate) curl: Option<CurlSummary>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CurlSummary {
    pub(crate) outcomes: Vec<super::AddrOutcome>,
    pub(crate) ok: BTreeSet<String>,
    pub(crate) failed: BTreeSet<String>,
    pub(crate) tls: BTreeSet<String>,
    /// The outcome line (number, text) of the first test of each list (ok, failed, tls), and of
    /// the first test at all: the lines the `curl.*` facts' evidence shows.
    pub(crate) lines: [Option<(u32, String)>; 4],
}
