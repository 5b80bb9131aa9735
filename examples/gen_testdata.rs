//! Test-data generator for fptriage: writes one extracted device-bundle tree per scenario and the
//! expected findings of each.
//!
//! Usage: `cargo run --example gen_testdata -- <OUT_DIR>`
//!
//! Output:
//! - `OUT_DIR/trees/<scenario>/results-MM-DD-YYYY--HHMMSS/...`: a device bundle as the
//!   troubleshoot collector lays it out (`command-outputs/`, `dir-archives/`), with every artifact
//!   in the formats of `spec/bundle-format.md` and some noise (other logs, a binary rrd file).
//! - `OUT_DIR/expected.json`: per scenario the product, the rule ids that must fire as root
//!   causes, those that must fire as symptoms, and those that must stay silent (no warning or
//!   critical finding), following the root-cause semantics of `spec/rule-catalog.md`.
//! - `OUT_DIR/expected-bundles.json`: the same plus the alternate packings and the multi-device
//!   wrappers that `testdata/generate.sh` builds (keyed by file name below `testdata/bundles/`).
//! - `OUT_DIR/cases/<wrapper>.list`: for each wrapper, one `<scenario> <inner name>` line (a
//!   `.tar.gz`, a `.zip`, or `NAME/` for the extracted tree in a host folder), read by
//!   `generate.sh` to know what to pack; `OUT_DIR/cases/<wrapper>.extra/`: loose files to put
//!   beside the bundles.
//!
//! Why trees and not archives: the archives are made by the real tools (GNU tar, gzip, zip) in
//! `generate.sh`, so the parser is tested against what customers actually upload, not against
//! what the Rust `tar` crate happens to write.
//!
//! Everything is deterministic: a fixed-seed PRNG, fixed timestamps, no clock reads. Root causes
//! and symptoms are not written by hand: each scenario lists the rules whose evidence it plants,
//! and [`classify`] derives causes and symptoms from the catalog's `explains` table, so the
//! expectations follow the catalog's semantics (a chain of explanations runs only through fired
//! findings; it reaches from an FMC to the FTDs it manages) by construction.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::GzBuilder;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The catalog (rule ids and `explains`), mirrored from spec/rule-catalog.md.
// ---------------------------------------------------------------------------------------------

const VERSION_UNSUPPORTED: &str = "sse/version-unsupported";
const LICENSE_EVALUATION: &str = "sse/license-evaluation";
const LICENSE_UNREGISTERED: &str = "sse/license-unregistered";
const LICENSE_SATELLITE: &str = "sse/license-satellite";
const CLOUD_EVENTS_DISABLED: &str = "sse/cloud-events-disabled";
const CONNECTOR_DISABLED: &str = "sse/connector-disabled";
const PROPERTIES_INVALID: &str = "sse/connector-properties-invalid";
const REGION_MISMATCH: &str = "sse/region-mismatch";
const DNS_FAILURE: &str = "sse/dns-failure";
const TLS_INTERCEPTION: &str = "sse/tls-interception";
const IP_ALLOWLIST: &str = "sse/ip-allowlist";
const CLOUD_UNREACHABLE: &str = "sse/cloud-unreachable";
const NOT_ENROLLED: &str = "sse/not-enrolled";
const SOCKET_MISSING: &str = "sse/eventhandler-socket-missing";
const SOCKET_DISCONNECTED: &str = "sse/eventhandler-socket-disconnected";
const ZEROMQ_MISSING: &str = "sse/zeromq-endpoint-missing";
// The `mgmt/` and `platform/` packs (rule-catalog.md, "Two more built-in packs").
const MANAGER_NOT_REGISTERED: &str = "mgmt/manager-not-registered";
const SFTUNNEL_DOWN: &str = "mgmt/sftunnel-down";
const VERSION_INCOMPATIBLE: &str = "mgmt/version-incompatible";
const CLOCK_SKEW: &str = "platform/clock-skew";
const PROXY_AUTH: &str = "platform/proxy-auth";
const DISK_FULL: &str = "platform/disk-full";
const CONNECTOR_RESTARTS: &str = "platform/connector-restarts";

const ALL_RULES: [&str; 23] = [
    VERSION_UNSUPPORTED,
    LICENSE_EVALUATION,
    LICENSE_UNREGISTERED,
    LICENSE_SATELLITE,
    CLOUD_EVENTS_DISABLED,
    CONNECTOR_DISABLED,
    PROPERTIES_INVALID,
    REGION_MISMATCH,
    DNS_FAILURE,
    TLS_INTERCEPTION,
    IP_ALLOWLIST,
    CLOUD_UNREACHABLE,
    NOT_ENROLLED,
    SOCKET_MISSING,
    SOCKET_DISCONNECTED,
    ZEROMQ_MISSING,
    MANAGER_NOT_REGISTERED,
    SFTUNNEL_DOWN,
    VERSION_INCOMPATIBLE,
    CLOCK_SKEW,
    PROXY_AUTH,
    DISK_FULL,
    CONNECTOR_RESTARTS,
];

/// Direct `explains` relations of the catalog.
fn explains(rule: &str) -> &'static [&'static str] {
    match rule {
        VERSION_UNSUPPORTED => &[
            CONNECTOR_DISABLED,
            PROPERTIES_INVALID,
            REGION_MISMATCH,
            DNS_FAILURE,
            TLS_INTERCEPTION,
            IP_ALLOWLIST,
            CLOUD_UNREACHABLE,
            NOT_ENROLLED,
            SOCKET_MISSING,
            SOCKET_DISCONNECTED,
            ZEROMQ_MISSING,
        ],
        LICENSE_EVALUATION => &[NOT_ENROLLED, CONNECTOR_DISABLED],
        LICENSE_UNREGISTERED => &[NOT_ENROLLED],
        LICENSE_SATELLITE => &[NOT_ENROLLED, CLOUD_UNREACHABLE],
        CONNECTOR_DISABLED => &[SOCKET_DISCONNECTED, SOCKET_MISSING, NOT_ENROLLED],
        REGION_MISMATCH => &[NOT_ENROLLED],
        DNS_FAILURE => &[CLOUD_UNREACHABLE, NOT_ENROLLED],
        TLS_INTERCEPTION => &[CLOUD_UNREACHABLE, NOT_ENROLLED],
        IP_ALLOWLIST => &[CLOUD_UNREACHABLE],
        CLOUD_UNREACHABLE => &[NOT_ENROLLED],
        SOCKET_MISSING => &[SOCKET_DISCONNECTED],
        ZEROMQ_MISSING => &[SOCKET_MISSING, SOCKET_DISCONNECTED],
        MANAGER_NOT_REGISTERED => &[SFTUNNEL_DOWN, NOT_ENROLLED],
        SFTUNNEL_DOWN => &[NOT_ENROLLED],
        CLOCK_SKEW => &[TLS_INTERCEPTION, CLOUD_UNREACHABLE, NOT_ENROLLED],
        PROXY_AUTH => &[CLOUD_UNREACHABLE, NOT_ENROLLED],
        DISK_FULL => &[CONNECTOR_DISABLED, SOCKET_MISSING, CONNECTOR_RESTARTS],
        _ => &[],
    }
}

/// Splits the fired (warning/critical) rules of one device into root causes and symptoms.
/// `foreign` are the fired rules of the FMC that manages this device (an FTD), whose findings may
/// explain this device's (spec/cli-contract.md, "Root-cause relations: scope").
///
/// The catalog: a finding is a symptom when a fired warning/critical finding explains it, directly
/// or through a chain of fired warning/critical findings; a relation through a rule that did not
/// fire does not count. Every link of such a chain is a direct `explains` between fired findings,
/// so its last link is one too: a finding is a symptom exactly when some other fired finding in
/// scope explains it directly. (The scenarios plant each device's problems as current, so every
/// fired rule here is warning/critical.)
fn classify(
    fired: &[&'static str],
    foreign: &[&'static str],
) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut roots = Vec::new();
    let mut symptoms = Vec::new();
    for (i, &f) in fired.iter().enumerate() {
        let mine = fired
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &o)| o);
        let explained = mine
            .chain(foreign.iter().copied())
            .any(|o| explains(o).contains(&f));
        if explained {
            symptoms.push(f);
        } else {
            roots.push(f);
        }
    }
    roots.sort_unstable();
    symptoms.sort_unstable();
    (roots, symptoms)
}

// ---------------------------------------------------------------------------------------------
// Deterministic helpers: PRNG and calendar arithmetic (no clock reads, no extra crates).
// ---------------------------------------------------------------------------------------------

/// SplitMix64: tiny, good enough for test data, and stable across platforms and Rust versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Local wall-clock fields of an instant at a UTC offset (minutes).
fn local_fields(unix: i64, off_min: i32) -> (i64, u32, u32, u32, u32, u32) {
    let t = unix + i64::from(off_min) * 60;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (s / 3600) as u32,
        (s / 60 % 60) as u32,
        (s % 60) as u32,
    )
}

/// Instant of a local wall-clock time at a UTC offset (minutes).
fn instant(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, off_min: i32) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s) - i64::from(off_min) * 60
}

/// RFC 3339 the way Go's `time.RFC3339Nano` prints it (logrus default): trailing zeros of the
/// fraction dropped, numeric offset.
fn rfc3339(unix: i64, nanos: u32, off_min: i32) -> String {
    let (y, m, d, h, mi, s) = local_fields(unix, off_min);
    let mut frac = format!("{nanos:09}");
    while frac.ends_with('0') {
        frac.pop();
    }
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    let sign = if off_min < 0 { '-' } else { '+' };
    let o = off_min.abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{sign}{:02}:{:02}",
        o / 60,
        o % 60
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Classic syslog stamp (`Apr 13 14:30:01`), local time, no year and no offset.
fn syslog_ts(unix: i64, off_min: i32) -> String {
    let (_, m, d, h, mi, s) = local_fields(unix, off_min);
    format!("{} {d:2} {h:02}:{mi:02}:{s:02}", MONTHS[m as usize - 1])
}

/// Top directory name the collector gives a bundle: `results-MM-DD-YYYY--HHMMSS` (local time).
fn results_name(unix: i64, off_min: i32) -> String {
    let (y, m, d, h, mi, s) = local_fields(unix, off_min);
    format!("results-{m:02}-{d:02}-{y:04}--{h:02}{mi:02}{s:02}")
}

// ---------------------------------------------------------------------------------------------
// Scenario model.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Product {
    Fmc,
    Ftd,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    Us,
    Eu,
}

impl Region {
    fn api(self) -> &'static str {
        match self {
            Region::Us => "api-sse.cisco.com",
            Region::Eu => "api.eu.sse.itd.cisco.com",
        }
    }
    fn eventing(self) -> &'static str {
        match self {
            Region::Us => "eventing-ingest.sse.itd.cisco.com",
            Region::Eu => "eventing-ingest.eu.sse.itd.cisco.com",
        }
    }
    fn code(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Eu => "EU",
        }
    }
    /// Addresses that answer for the API and the eventing host (invented, AWS-looking).
    fn api_ips(self) -> [&'static str; 2] {
        match self {
            Region::Us => ["52.4.85.66", "34.233.79.19"],
            Region::Eu => ["18.184.51.7", "3.121.40.12"],
        }
    }
    fn eventing_ips(self) -> [&'static str; 2] {
        match self {
            Region::Us => ["35.172.147.246", "3.209.71.61"],
            Region::Eu => ["52.28.140.96", "35.157.20.3"],
        }
    }
    /// Reverse name `lsof` shows for an AWS peer of this region.
    fn aws_name(self, ip: &str) -> String {
        let dashed = ip.replace('.', "-");
        match self {
            Region::Us => format!("ec2-{dashed}.compute-1.amazonaws.com"),
            Region::Eu => format!("ec2-{dashed}.eu-central-1.compute.amazonaws.com"),
        }
    }
}

/// State of a daemon in `pmtool status`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Daemon {
    Running,
    UserDisabled,
    Waiting,
}

/// What netstat shows for `EventHandler_SSEConnector.sock`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Socket {
    ListeningAndConnected,
    ListeningOnly,
    Absent,
}

/// What `lsof -i` shows for the connector process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lsof {
    /// LISTEN on 8989 plus ESTABLISHED to the eventing host.
    Established,
    /// LISTEN plus SYN_SENT to the given address.
    SynSent(&'static str),
    /// LISTEN only.
    ListenOnly,
    /// No connector process at all (daemon stopped).
    NoConnector,
}

/// Smart Licensing evidence and the form it is saved in.
#[derive(Clone)]
enum License {
    /// FMC REST JSON; `items` wraps it in a REST collection, else it is a fragment of a
    /// larger document (`"smartLicenseStatus": {...}`).
    FmcJson {
        registration: &'static str,
        authorization: Option<&'static str>,
        eval_days: Option<u32>,
        items: bool,
    },
    /// Smart Agent text (`show license status`).
    AgentText {
        registration: &'static str,
        authorization: String,
        transport: Option<(&'static str, &'static str)>,
    },
}

/// Cloud integration settings.
#[derive(Clone, Copy)]
enum CloudSettings {
    /// FMC `CloudEventsConfig` (sends on or all off) plus a `CloudRegion`.
    Fmc { events_on: bool, region: Region },
    /// FDM `CloudEvents` + `CloudCommunicationSettings`, plus a `CloudRegion`.
    Fdm { enabled: bool, region: Region },
}

/// A saved `curl -v` connectivity test.
#[derive(Clone, Copy)]
enum Curl {
    /// With `--cacert connectorCA.pem`, 403 from the SSE host, connection left intact.
    Ok(&'static str),
    /// With `-k`: the seed's "self signed certificate ... continuing anyway" then a 403.
    InsecureOk(&'static str),
    /// With `--cacert`, TLS verification fails (interception).
    TlsFail(&'static str),
    /// TCP connect times out.
    Timeout(&'static str),
    /// With `--cacert`: the certificate is expired or not yet valid (OpenSSL's words): the clock.
    CertInvalid(&'static str, &'static str),
    /// Name does not resolve.
    NoResolve(&'static str),
    /// With `--cacert`: curl tries `bad` (times out), then `ok` (connects; 403): an address
    /// allow-list seen from the device.
    Failover {
        host: &'static str,
        bad: &'static str,
        ok: &'static str,
    },
}

/// Connector context status (from `curl localhost:8989/v1/contexts/default`).
#[derive(Clone, Copy)]
enum Context {
    Status(&'static str),
    /// Status wrapped in an object, as the contract allows.
    StatusObject(&'static str),
}

/// What `show managers` prints on an FTD (bundle-format §7).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Managers {
    /// From `managed_by`: the full form naming the FMC (with `manager_version`), else `Managed
    /// locally.` (FDM).
    Auto,
    /// `No Managers Configured`: the FTD was never registered.
    NoneConfigured,
    /// Older releases: only `Type`, `Host` and `Registration`.
    ThreeFields { registration: &'static str },
    /// The 7.x form, every field given: Host, Display name, Version and Identifier.
    Full {
        host: &'static str,
        display_name: &'static str,
        version: &'static str,
        identifier: &'static str,
    },
    /// The three-field form (older releases) with this Host, registration completed.
    Host(&'static str),
    /// No `show managers` output in the bundle at all.
    Absent,
}

/// Whom an FTD's `show managers` names, as the scenario means it (cli-contract.md, "Root-cause
/// relations: scope").
#[derive(Clone, PartialEq, Eq)]
enum Names {
    /// From `managers` and `managed_by`: the FMC whose host name `managed_by` gives (its Display
    /// name), FDM (`Managed locally.`) or no manager.
    Derived,
    /// The FMC of this scenario, by this kind of match (`identifier`, `host-name`, `address`).
    Fmc(&'static str, &'static str),
    /// A manager that is no FMC of any case (a cdFMC).
    Other,
    /// Nothing: the bundle has no `show managers`.
    Nothing,
}

/// One peer of a full `sftunnel_status.pl` output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Peer {
    Up,
    /// Both channels down, with the last disconnect reason.
    ChannelsDown,
    /// The event channel down, the control channel up.
    ChannelBDown,
    /// The tunnel's channels answer but the peer does not reply to the RPC status poll.
    RpcFailed,
}

/// The management tunnel's status output.
#[derive(Clone)]
enum Sftunnel {
    /// The full form with one peer up, on an FMC (its device) and an FMC-managed FTD (its FMC);
    /// nothing on an FDM-managed FTD.
    Auto,
    Full(Vec<(&'static str, Peer)>),
    /// `sftunnel-status-brief`, the up sample (`connected to ''`).
    BriefUp,
    /// `sftunnel-status-brief`, the down sample (a last disconnect reason, no peer channel).
    BriefDown,
}

/// `df` outputs: (command-output name without `.output`, body).
#[derive(Clone)]
enum Df {
    /// `bin-df -h` with `/` at 41 %.
    Default,
    Absent,
    Custom(Vec<(&'static str, String)>),
}

/// One logrus line of connector.log.
#[derive(Clone)]
struct LogLine {
    unix: i64,
    nanos: u32,
    off_min: i32,
    level: &'static str,
    /// `<file>.go:<line> <pkg>:<func>` part of the prefix.
    source: &'static str,
    text: String,
}

#[derive(Clone)]
struct Scenario {
    name: &'static str,
    /// The IANA zone `etc/localtime` links to; `off_min` must be its offset at `collected`.
    zone: &'static str,
    product: Product,
    /// Version string as in `sf-version` / `show version` (`7.2.5`, `6.4.0.8`).
    version: &'static str,
    build: u32,
    hostname: String,
    uuid: String,
    region: Region,
    /// Collection time (also the `results-...` name) and the device's UTC offset.
    collected: i64,
    off_min: i32,
    connector: Daemon,
    event_handler: Daemon,
    socket: Socket,
    lsof: Lsof,
    license: Option<License>,
    cloud: Option<CloudSettings>,
    context: Option<Context>,
    curls: Vec<Curl>,
    /// connector.properties content; `None` means no file.
    properties: Option<String>,
    /// connector.log (current file), oldest first as the connector appends them.
    log: Vec<LogLine>,
    /// Older connector lines for `connector.log.1` and `connector.log.2.gz`.
    log1: Vec<LogLine>,
    log2: Vec<LogLine>,
    /// Extra syslog messages for `messages`: (instant, text after the host name).
    syslog_extra: Vec<(i64, String)>,
    /// For an FTD: the FMC that manages it (host name), or `None` for FDM (local manager).
    managed_by: Option<String>,
    /// For an FMC: the UUID of a managed FTD to list in PEERS_MAP.JSON.
    peer: Option<String>,
    /// The device's own management address in its sftunnel status (default: 10.10.1.5 on an
    /// FMC, 10.10.1.21 on an FTD).
    mgmt_ip: Option<&'static str>,
    /// What the FTD's `show managers` was written to name, for the expectations of a case
    /// (which FMC of the case manages it): derived from the scenario's intent, not from its text.
    names: Names,
    /// An FTD's `show managers`, and the manager version its full form prints.
    managers: Managers,
    manager_version: &'static str,
    sftunnel: Sftunnel,
    df: Df,
    /// Leave out the incompressible rrd noise (keeps testdata under its size budget).
    lean: bool,
    /// Rules whose warning/critical evidence this scenario plants.
    fires: Vec<&'static str>,
    /// Noise variations, so that member names and tar features differ between scenarios.
    variant: u64,
    /// Use tricky file-system features (hard link, non-UTF-8 name): not for trees that get
    /// copied into the git repository as an extracted directory.
    tricky_fs: bool,
}

impl Scenario {
    /// A healthy device: every check has data and passes.
    fn healthy(name: &'static str, product: Product, seed: u64) -> Scenario {
        let mut rng = Rng(seed);
        let off_min = -300;
        // Spread collection times over April 2020 so bundle names differ.
        let day = 1 + (seed % 27) as u32;
        let collected = instant(2020, 4, day, 14, 35, 2 + (seed % 50) as u32, off_min);
        let hostname = match product {
            Product::Fmc => format!("fmc-{}", rng.pick(&["prod-01", "dc1", "hq", "lab-02"])),
            Product::Ftd => format!("ftd-{}", rng.pick(&["edge1", "branch7", "dmz-a", "core2"])),
        };
        let region = Region::Us;
        let mut s = Scenario {
            name,
            zone: "America/Chicago",
            product,
            version: "7.2.5",
            build: 208,
            hostname,
            uuid: rng.uuid(),
            region,
            collected,
            off_min,
            connector: Daemon::Running,
            event_handler: Daemon::Running,
            socket: Socket::ListeningAndConnected,
            lsof: Lsof::Established,
            license: Some(match product {
                Product::Fmc => License::FmcJson {
                    registration: "REGISTERED",
                    authorization: Some("AUTHORIZED"),
                    eval_days: None,
                    items: false,
                },
                Product::Ftd => License::AgentText {
                    registration: "REGISTERED",
                    authorization: "AUTHORIZED on Feb 10 2020 08:20:02 UTC".into(),
                    transport: None,
                },
            }),
            cloud: Some(match product {
                Product::Fmc => CloudSettings::Fmc {
                    events_on: true,
                    region,
                },
                Product::Ftd => CloudSettings::Fdm {
                    enabled: true,
                    region,
                },
            }),
            context: Some(Context::Status("Enrolled")),
            curls: vec![Curl::Ok(region.api()), Curl::Ok(region.eventing())],
            properties: Some(format!(
                "registration_interval=180\nconnector_port=8989\nconnector_fqdn={}\n",
                region.api()
            )),
            log: Vec::new(),
            log1: Vec::new(),
            log2: Vec::new(),
            syslog_extra: Vec::new(),
            managed_by: None,
            peer: None,
            mgmt_ip: None,
            names: Names::Derived,
            managers: Managers::Auto,
            manager_version: "7.2.5 (Build 208)",
            sftunnel: Sftunnel::Auto,
            df: Df::Default,
            lean: false,
            fires: Vec::new(),
            variant: seed,
            tricky_fs: false,
        };
        s.fill_healthy_logs(&mut rng);
        s
    }

    fn prefix(&self) -> &'static str {
        match self.product {
            Product::Fmc => "",
            Product::Ftd => "/ngfw",
        }
    }

    fn line(&self, unix: i64, level: &'static str, source: &'static str, text: String) -> LogLine {
        // Nanoseconds derived from the instant, so reruns are identical but lines differ.
        let nanos = ((unix as u64).wrapping_mul(2_654_435_761) % 1_000_000_000) as u32;
        LogLine {
            unix,
            nanos,
            off_min: self.off_min,
            level,
            source,
            text,
        }
    }

    /// Success traffic: registration refreshes and event forwarding every few minutes between
    /// `from` and `to`. `with_ips` pairs hosts with addresses in the success lines (kept off
    /// where a scenario must not look like a partial IP allow-list).
    fn success_lines(&self, rng: &mut Rng, from: i64, to: i64, with_ips: bool) -> Vec<LogLine> {
        let api = self.region.api();
        let ev = self.region.eventing();
        let mut out = Vec::new();
        let mut t = from;
        let mut n = 0u32;
        while t < to {
            n += 1;
            let ip_api = self.region.api_ips()[0];
            let ip_ev = self.region.eventing_ips()[0];
            match n % 4 {
                0 => out.push(self.line(
                    t,
                    "info",
                    "registration.go:141 registration:(*Client).Refresh",
                    if with_ips {
                        format!("token refreshed via https://{api}/providers/sse/services/registration/api/v2/clients ({ip_api}:443), status=\\\"Enrolled\\\"")
                    } else {
                        format!("token refreshed via https://{api}/providers/sse/services/registration/api/v2/clients, status=\\\"Enrolled\\\"")
                    },
                )),
                1 | 3 => out.push(self.line(
                    t,
                    "info",
                    "events.go:212 events:(*Service).forward",
                    format!("forwarded {} events to wss://{ev}/v1/events", 1 + rng.below(400)),
                )),
                _ => out.push(self.line(
                    t,
                    "debug",
                    "heartbeat.go:57 heartbeat:(*Service).tick",
                    if with_ips {
                        format!("heartbeat ok to wss://{ev}/v1/events remote={ip_ev}:443 rtt={}ms", 20 + rng.below(60))
                    } else {
                        format!("heartbeat ok to wss://{ev}/v1/events rtt={}ms", 20 + rng.below(60))
                    },
                )),
            }
            t += 240 + rng.below(120) as i64;
        }
        out
    }

    /// Start-up lines of the connector: neutral (no host contacted yet).
    fn startup_lines(&self, t: i64) -> Vec<LogLine> {
        let p = self.prefix();
        vec![
            self.line(
                t,
                "info",
                "main.go:88 main:main",
                format!(
                    "Starting SSE connector {} (build {})",
                    self.version, self.build
                ),
            ),
            self.line(
                t + 1,
                "info",
                "config.go:51 config:Load",
                format!("loaded {p}/etc/sf/connector.properties"),
            ),
            self.line(
                t + 1,
                "debug",
                "api.go:34 api:(*Server).Listen",
                "local API listening on localhost:8989".into(),
            ),
        ]
    }

    /// Enrollment on start: names the API host and the address it reached.
    fn enroll_lines(&self, t: i64, with_ips: bool) -> Vec<LogLine> {
        let api = self.region.api();
        let ev = self.region.eventing();
        let ip = self.region.api_ips()[1];
        let ip_ev = self.region.eventing_ips()[0];
        vec![
            self.line(
                t,
                "info",
                "registration.go:97 registration:(*Client).Register",
                if with_ips {
                    format!("device registered with https://{api}/providers/sse/services/registration/api/v2/clients ({ip}:443): Enrolled")
                } else {
                    format!("device registered with https://{api}/providers/sse/services/registration/api/v2/clients: Enrolled")
                },
            ),
            self.line(
                t + 2,
                "info",
                "events.go:131 events:connectWebSocket",
                if with_ips {
                    format!("connected to wss://{ev}/v1/events ({ip_ev}:443)")
                } else {
                    format!("connected to wss://{ev}/v1/events")
                },
            ),
        ]
    }

    fn fill_healthy_logs(&mut self, rng: &mut Rng) {
        let start = self.collected - 6 * 3600;
        let mut log = self.startup_lines(start);
        log.extend(self.enroll_lines(start + 3, true));
        log.extend(self.success_lines(rng, start + 60, self.collected - 30, true));
        self.log = log;
        self.log1 = self.neutral_history(rng, self.collected - 30 * 3600, true);
        self.log2 = self.neutral_history(rng, self.collected - 54 * 3600, true);
    }

    /// An older day of the connector: start-up, enrollment, traffic. `ok` lets failure scenarios
    /// keep their rotated files free of host successes that would blur the current problem.
    fn neutral_history(&self, rng: &mut Rng, start: i64, ok: bool) -> Vec<LogLine> {
        let mut out = self.startup_lines(start);
        if ok {
            out.extend(self.enroll_lines(start + 3, false));
            out.extend(self.success_lines(rng, start + 60, start + 4 * 3600, false));
        }
        out
    }

    /// Replaces the current log by: start-up, `ok` successes until `fail_from` seconds before
    /// collection, then `errors` repeated every ~5 minutes until collection.
    fn failing_log(
        &mut self,
        rng: &mut Rng,
        fail_from: i64,
        ok_before: bool,
        errors: &[(&'static str, &'static str, String)],
    ) {
        let start = self.collected - 6 * 3600;
        let mut log = self.startup_lines(start);
        let fail_at = self.collected - fail_from;
        if ok_before {
            log.extend(self.enroll_lines(start + 3, false));
            log.extend(self.success_lines(rng, start + 60, fail_at, false));
        }
        let mut t = fail_at;
        let mut i = 0;
        while t < self.collected - 20 {
            let (lvl, src, text) = &errors[i % errors.len()];
            log.push(self.line(t, lvl, src, text.clone()));
            i += 1;
            t += 250 + rng.below(100) as i64;
        }
        self.log = log;
        self.log1 = self.neutral_history(rng, self.collected - 30 * 3600, false);
        self.log2 = self.neutral_history(rng, self.collected - 54 * 3600, false);
    }
}

// ---------------------------------------------------------------------------------------------
// The scenarios.
// ---------------------------------------------------------------------------------------------

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let mut seed = 0x5eed_0000_u64;
    let mut next_seed = || {
        seed += 1;
        seed
    };

    let mut s = Scenario::healthy("healthy-fmc", Product::Fmc, next_seed());
    s.tricky_fs = true;
    v.push(s);

    let mut s = Scenario::healthy("healthy-ftd", Product::Ftd, next_seed());
    // A `-k` test shows "self signed certificate ... continuing anyway": proves nothing.
    s.curls.push(Curl::InsecureOk("api-sse.cisco.com"));
    v.push(s);

    // FTD 6.4.0 using the EU cloud: the EU cloud needs 6.5+. It cannot enroll.
    let mut s = Scenario::healthy("version-unsupported", Product::Ftd, next_seed());
    s.version = "6.4.0";
    s.build = 102;
    s.region = Region::Eu;
    s.properties = Some(
        "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api.eu.sse.itd.cisco.com\n"
            .into(),
    );
    s.cloud = Some(CloudSettings::Fdm {
        enabled: true,
        region: Region::Eu,
    });
    s.curls = vec![Curl::Ok(Region::Eu.api())];
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    let api = Region::Eu.api();
    s.failing_log(
        &mut rng,
        5 * 3600,
        false,
        &[(
            "error",
            "registration.go:118 registration:(*Client).Register",
            format!("registration with https://{api}/providers/sse/services/registration/api/v2/clients failed: 401 Unauthorized"),
        )],
    );
    s.fires = vec![VERSION_UNSUPPORTED, NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("license-evaluation", Product::Fmc, next_seed());
    s.version = "7.0.5";
    s.build = 72;
    s.license = Some(License::FmcJson {
        registration: "EVALUATION",
        authorization: None,
        eval_days: Some(85),
        items: false,
    });
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        5 * 3600,
        false,
        &[(
            "warning",
            "registration.go:76 registration:(*Client).Register",
            "device not registered: no registration token configured, waiting".into(),
        )],
    );
    s.fires = vec![LICENSE_EVALUATION, NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("license-unregistered", Product::Fmc, next_seed());
    s.license = Some(License::FmcJson {
        registration: "REGISTRATION_EXPIRED",
        authorization: Some("AUTHORIZATION_EXPIRED"),
        eval_days: None,
        items: true,
    });
    s.context = Some(Context::StatusObject("Unregistered"));
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        2 * 3600,
        true,
        &[(
            "error",
            "registration.go:141 registration:(*Client).Refresh",
            "token refresh via https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients failed: 401 Unauthorized".into(),
        )],
    );
    s.fires = vec![LICENSE_UNREGISTERED, NOT_ENROLLED];
    v.push(s);

    // Smart Software Manager On-Prem: air-gapped, so the connector cannot reach the cloud either.
    let mut s = Scenario::healthy("license-satellite", Product::Ftd, next_seed());
    s.license = Some(License::AgentText {
        registration: "REGISTERED",
        authorization: "AUTHORIZED on Mar 02 2020 11:12:40 UTC".into(),
        transport: Some((
            "Satellite (Smart Software Manager On-Prem)",
            "https://ssm-onprem.corp.example/Transportgateway/services/DeviceRequestHandler",
        )),
    });
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::SynSent("52.4.85.66");
    s.curls = vec![Curl::Timeout("api-sse.cisco.com")];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        5 * 3600,
        false,
        &[(
            "error",
            "registration.go:118 registration:(*Client).Register",
            "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: dial tcp 52.4.85.66:443: connect: connection timed out".into(),
        )],
    );
    s.fires = vec![LICENSE_SATELLITE, CLOUD_UNREACHABLE, NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("cloud-events-disabled", Product::Fmc, next_seed());
    s.cloud = Some(CloudSettings::Fmc {
        events_on: false,
        region: Region::Us,
    });
    s.fires = vec![CLOUD_EVENTS_DISABLED];
    v.push(s);

    // FMC-managed FTD whose SSEConnector was disabled: EventHandler listens, nobody connects.
    // It carries no licence or cloud settings of its own (they live on the FMC), and no context
    // (the connector's local API is down). Reused in the case-fmc-ftd wrapper.
    let mut s = Scenario::healthy("connector-disabled", Product::Ftd, next_seed());
    s.connector = Daemon::UserDisabled;
    s.socket = Socket::ListeningOnly;
    s.lsof = Lsof::NoConnector;
    s.license = None;
    s.cloud = None;
    s.context = None;
    s.curls = vec![];
    s.managed_by = Some("fmc-dc1".into());
    let stop = s.line(
        s.collected - 3 * 3600,
        "info",
        "main.go:131 main:main",
        "received terminated signal, shutting down".into(),
    );
    s.log.retain(|l| l.unix < stop.unix);
    s.log.push(stop);
    s.fires = vec![CONNECTOR_DISABLED, SOCKET_DISCONNECTED];
    v.push(s);

    let mut s = Scenario::healthy("connector-properties-invalid", Product::Fmc, next_seed());
    s.properties = Some(
        "# written by SSE integration\r\nregistration_interval = 180\r\nconnector_port=99999\r\n\r\n"
            .into(),
    );
    s.fires = vec![PROPERTIES_INVALID];
    v.push(s);

    // FMC configured for the US cloud while the connector is pointed at the EU API host.
    let mut s = Scenario::healthy("region-mismatch", Product::Fmc, next_seed());
    s.version = "6.6.1";
    s.build = 91;
    s.tricky_fs = true;
    s.properties = Some(
        "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api.eu.sse.itd.cisco.com\n"
            .into(),
    );
    s.region = Region::Eu; // the connector talks to EU hosts
    s.cloud = Some(CloudSettings::Fmc {
        events_on: true,
        region: Region::Us,
    });
    s.context = Some(Context::Status("Not Enrolled"));
    s.curls = vec![Curl::Ok(Region::Eu.api())];
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        5 * 3600,
        false,
        &[(
            "error",
            "registration.go:118 registration:(*Client).Register",
            "registration with https://api.eu.sse.itd.cisco.com/providers/sse/services/registration/api/v2/clients rejected: 403 Forbidden".into(),
        )],
    );
    s.fires = vec![REGION_MISMATCH, NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("dns-failure", Product::Ftd, next_seed());
    s.version = "6.7.0.2";
    s.build = 24;
    s.context = Some(Context::Status("Not Enrolled"));
    // The eventing connection still tries a cached address and hangs.
    s.lsof = Lsof::SynSent("35.172.147.246");
    s.curls = vec![Curl::NoResolve("api-sse.cisco.com")];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        3 * 3600,
        true,
        &[
            ("error", "registration.go:118 registration:(*Client).Refresh",
             "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp: lookup eventing-ingest.sse.itd.cisco.com on 10.0.0.2:53: no such host".into()),
        ],
    );
    let t = s.collected - 1800;
    s.syslog_extra.push((
        t,
        "SF-IMS[4127]: [4127] sfmgr:connector [WARN] getaddrinfo(api-sse.cisco.com) failed: Temporary failure in name resolution".into(),
    ));
    s.fires = vec![DNS_FAILURE, CLOUD_UNREACHABLE, NOT_ENROLLED];
    v.push(s);

    // An SSL-decrypting proxy re-signs api-sse and drops the websocket to the eventing host.
    let mut s = Scenario::healthy("tls-interception", Product::Fmc, next_seed());
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    s.curls = vec![
        Curl::TlsFail("api-sse.cisco.com"),
        Curl::Timeout("eventing-ingest.sse.itd.cisco.com"),
    ];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        4 * 3600,
        true,
        &[
            ("error", "registration.go:118 registration:(*Client).Refresh",
             "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: x509: certificate signed by unknown authority".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp 35.172.147.246:443: i/o timeout".into()),
        ],
    );
    s.fires = vec![TLS_INTERCEPTION, CLOUD_UNREACHABLE, NOT_ENROLLED];
    v.push(s);

    // A firewall allows the eventing host by IP: one address works, the other times out, and the
    // connector alternates between them. The last word for the host is a timeout.
    let mut s = Scenario::healthy("ip-allowlist", Product::Ftd, next_seed());
    s.tricky_fs = true;
    s.lsof = Lsof::SynSent("18.205.49.246");
    s.curls = vec![Curl::Ok("api-sse.cisco.com")];
    let mut rng = Rng(s.variant);
    let ok = "3.209.71.61";
    s.failing_log(
        &mut rng,
        3 * 3600,
        true,
        &[
            ("info", "events.go:131 events:connectWebSocket",
             format!("connected to wss://eventing-ingest.sse.itd.cisco.com/v1/events ({ok}:443)")),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp 18.205.49.246:443: i/o timeout".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp 18.205.49.246:443: i/o timeout".into()),
        ],
    );
    // Make sure the newest line about the host is an error.
    if let Some(last) = s.log.last()
        && last.level == "info"
    {
        s.log.pop();
    }
    s.fires = vec![IP_ALLOWLIST, CLOUD_UNREACHABLE];
    v.push(s);

    let mut s = Scenario::healthy("cloud-unreachable", Product::Fmc, next_seed());
    s.version = "7.0.5";
    s.build = 72;
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::SynSent("100.25.93.234");
    s.curls = vec![
        Curl::Timeout("api-sse.cisco.com"),
        Curl::Timeout("eventing-ingest.sse.itd.cisco.com"),
    ];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        4 * 3600,
        true,
        &[
            ("error", "registration.go:118 registration:(*Client).Refresh",
             "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "dial tcp 18.205.49.246:443: getsockopt: connection timed out".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "dial tcp 100.25.93.234:443: getsockopt: connection timed out".into()),
        ],
    );
    s.fires = vec![CLOUD_UNREACHABLE, NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("not-enrolled", Product::Fmc, next_seed());
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        2 * 3600,
        true,
        &[
            ("error", "registration.go:141 registration:(*Client).Refresh",
             "token refresh via https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients failed: 401 Unauthorized".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: websocket: bad handshake".into()),
        ],
    );
    s.fires = vec![NOT_ENROLLED];
    v.push(s);

    let mut s = Scenario::healthy("eventhandler-socket-missing", Product::Ftd, next_seed());
    s.event_handler = Daemon::Waiting;
    s.socket = Socket::Absent;
    s.fires = vec![SOCKET_MISSING];
    v.push(s);

    let mut s = Scenario::healthy(
        "eventhandler-socket-disconnected",
        Product::Ftd,
        next_seed(),
    );
    s.socket = Socket::ListeningOnly;
    s.fires = vec![SOCKET_DISCONNECTED];
    v.push(s);

    // The known post-upgrade issue: the connector cannot reach EventHandler's socket, which
    // netstat does not list at all (EventHandler itself is Running).
    let mut s = Scenario::healthy("zeromq-endpoint-missing", Product::Ftd, next_seed());
    s.version = "6.5.0.4";
    s.build = 57;
    s.socket = Socket::Absent;
    let zmq = "Could not connect to ZeroMQ PUSH endpoint: could not dial to \\\"ipc:///ngfw/var/sf/run/EventHandler_SSEConnector.sock\\\": dial unix /ngfw/var/sf/run/EventHandler_SSEConnector.sock: connect: no such file or directory";
    let mut at = s.collected - 5 * 3600 + 17;
    while at < s.collected {
        let l = s.line(
            at,
            "error",
            "events.go:57 events:(*Service).Start",
            zmq.into(),
        );
        s.log.push(l);
        at += 1800;
    }
    s.log.sort_by_key(|l| l.unix);
    s.fires = vec![ZEROMQ_MISSING, SOCKET_MISSING];
    v.push(s);

    // Timeouts to api-sse, then a later success to the same host and address: recovered (info).
    let mut s = Scenario::healthy("recovered-cloud-unreachable", Product::Fmc, next_seed());
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        3 * 3600,
        true,
        &[(
            "error",
            "registration.go:118 registration:(*Client).Refresh",
            "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: dial tcp 52.4.85.66:443: i/o timeout".into(),
        )],
    );
    let recover_at = s.collected - 3600;
    s.log.retain(|l| l.unix < recover_at);
    let back = s.line(
        recover_at,
        "info",
        "registration.go:97 registration:(*Client).Register",
        "device registered with https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients (52.4.85.66:443): Enrolled".into(),
    );
    s.log.push(back);
    let tail = s.success_lines(&mut rng, recover_at + 60, s.collected - 30, false);
    s.log.extend(tail);
    s.fires = vec![];
    v.push(s);

    // One FMC, three problems: evaluation licence, connector disabled, not enrolled (token
    // rejected before the connector was turned off). The socket has lost its client.
    let mut s = Scenario::healthy("multi-cause", Product::Fmc, next_seed());
    s.license = Some(License::FmcJson {
        registration: "EVALUATION",
        authorization: None,
        eval_days: Some(12),
        items: true,
    });
    s.connector = Daemon::UserDisabled;
    s.socket = Socket::ListeningOnly;
    s.lsof = Lsof::NoConnector;
    s.context = None;
    s.curls = vec![];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        4 * 3600,
        false,
        &[(
            "error",
            "registration.go:118 registration:(*Client).Register",
            "registration with https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients failed: 401 Unauthorized: invalid registration token".into(),
        )],
    );
    let stop_at = s.collected - 3600;
    s.log.retain(|l| l.unix < stop_at);
    let stop = s.line(
        stop_at,
        "info",
        "main.go:131 main:main",
        "received terminated signal, shutting down".into(),
    );
    s.log.push(stop);
    s.fires = vec![
        LICENSE_EVALUATION,
        CONNECTOR_DISABLED,
        NOT_ENROLLED,
        SOCKET_DISCONNECTED,
    ];
    v.push(s);

    v.push(dst_scenario(next_seed()));

    // An FMC-managed FTD whose connector is Running but whose EventHandler socket has lost its
    // client. Paired with the evaluation-licence FMC in case-fmc-ftd-chain: the licence explains
    // a disabled connector, and a disabled connector a disconnected socket, but no disabled
    // connector fired here, so the socket is a root cause of its own.
    let mut s = Scenario::healthy("socket-disconnected-managed", Product::Ftd, next_seed());
    s.socket = Socket::ListeningOnly;
    s.license = None;
    s.cloud = None;
    s.fires = vec![SOCKET_DISCONNECTED];
    v.push(s);

    // ip-allowlist in other words: successes name their peer (`open, peer=B:443`), failures the
    // address dialled (`dial tcp A:443: i/o timeout`).
    let mut s = Scenario::healthy("ip-allowlist-peer", Product::Fmc, next_seed());
    s.lsof = Lsof::SynSent("18.205.49.246");
    let mut rng = Rng(s.variant);
    let ev = s.region.eventing();
    let ok = s.region.eventing_ips()[1];
    s.failing_log(
        &mut rng,
        3 * 3600,
        true,
        &[
            (
                "error",
                "events.go:90 events:connectWebSocket",
                format!("wss://{ev}/v1/events: dial tcp 18.205.49.246:443: i/o timeout"),
            ),
            (
                "info",
                "events.go:131 events:connectWebSocket",
                format!("event stream to wss://{ev}/v1/events open, peer={ok}:443"),
            ),
            (
                "error",
                "events.go:90 events:connectWebSocket",
                format!("wss://{ev}/v1/events: dial tcp 18.205.49.246:443: i/o timeout"),
            ),
        ],
    );
    if let Some(last) = s.log.last()
        && last.level == "info"
    {
        s.log.pop();
    }
    s.fires = vec![IP_ALLOWLIST, CLOUD_UNREACHABLE];
    v.push(s);

    // ip-allowlist from a curl test only: the connector is healthy (it reaches the eventing host
    // at one address), and the saved curl test times out on another address before connecting.
    let mut s = Scenario::healthy("ip-allowlist-curl", Product::Ftd, next_seed());
    s.curls = vec![
        Curl::Ok(s.region.api()),
        Curl::Failover {
            host: s.region.eventing(),
            bad: "18.205.49.246",
            ok: s.region.eventing_ips()[1],
        },
    ];
    s.fires = vec![IP_ALLOWLIST];
    v.push(s);

    // case-fmc-ftd pairs these two: the FTD's `show managers` names the FMC, the FMC's
    // PEERS_MAP.JSON lists the FTD.
    let fmc = v
        .iter()
        .position(|s| s.name == "license-evaluation")
        .expect("fmc");
    let ftd = v
        .iter()
        .position(|s| s.name == "connector-disabled")
        .expect("ftd");
    v[ftd].managed_by = Some(v[fmc].hostname.clone());
    v[fmc].peer = Some(v[ftd].uuid.clone());
    let chain = v
        .iter()
        .position(|s| s.name == "socket-disconnected-managed")
        .expect("chain ftd");
    v[chain].managed_by = Some(v[fmc].hostname.clone());
    v.extend(case_scenarios(&v, &mut next_seed));
    v.extend(pack_scenarios(&mut next_seed));
    let managers = manager_scenarios(&v, &mut next_seed);
    v.extend(managers);
    v
}

/// Parts of the wrappers of several FMCs and FTDs (cli-contract.md, "Root-cause relations:
/// scope"): which FMC manages which FTD, told by the FTD's `show managers` (host name, address,
/// identifier), the one-FMC rule, or not at all. Appended after every other scenario so that
/// their seeds, and so their bytes, stay.
///
/// FMCs: `fmc-east.corp.example` (healthy, 7.2.5), `fmc-west` and `fmc-lab` (evaluation licence,
/// 7.0.5: the licence explains a managed FTD's disabled connector, and the FTD's 7.2.5 is newer
/// than its manager). Each FTD is connector-disabled's: its connector is off and it has no
/// licence or cloud settings of its own.
fn manager_scenarios(v: &[Scenario], next_seed: &mut impl FnMut() -> u64) -> Vec<Scenario> {
    let by = |name: &str| v.iter().find(|s| s.name == name).expect("scenario").clone();
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut out = Vec::new();
    let fmc = |base: &str, name: &'static str, host: &str, ip: &'static str, seed: u64| {
        let mut s = by(base);
        let mut rng = Rng(seed);
        s.name = name;
        s.hostname = host.into();
        s.uuid = rng.uuid();
        s.mgmt_ip = Some(ip);
        s.peer = None;
        s.lean = true;
        s
    };
    let east = fmc(
        "healthy-fmc",
        "_mgr-fmc-east",
        "fmc-east.corp.example",
        "10.30.0.5",
        next_seed(),
    );
    let west = fmc(
        "license-evaluation",
        "_mgr-fmc-west",
        "fmc-west",
        "10.20.0.5",
        next_seed(),
    );
    let lab = fmc(
        "license-evaluation",
        "_mgr-fmc-lab",
        "fmc-lab",
        "10.40.0.5",
        next_seed(),
    );
    let lab_uuid = leak(lab.uuid.clone());
    let ftd = |name: &'static str, host: &str, managers: Managers, names: Names, seed: u64| {
        let mut s = by("connector-disabled");
        let mut rng = Rng(seed);
        s.name = name;
        s.hostname = host.into();
        s.uuid = rng.uuid();
        s.managers = managers;
        s.names = names;
        s.lean = true;
        s
    };
    // The older three-field form, Host the FMC's short name in capitals: its FQDN host name.
    out.push(ftd(
        "_mgr-ftd-by-host",
        "ftd-north",
        Managers::Host("FMC-EAST"),
        Names::Fmc("_mgr-fmc-east", "host-name"),
        next_seed(),
    ));
    // Host is fmc-west's management address (its sftunnel status shows it).
    out.push(ftd(
        "_mgr-ftd-by-address",
        "ftd-south",
        Managers::Host("10.20.0.5"),
        Names::Fmc("_mgr-fmc-west", "address"),
        next_seed(),
    ));
    // The FMC is reached through NAT: Host is an address no FMC shows, the Identifier is
    // fmc-lab's appliance UUID.
    let mut rng = Rng(next_seed());
    out.push(ftd(
        "_mgr-ftd-by-id",
        "ftd-lab1",
        Managers::Full {
            host: "192.168.77.7",
            display_name: "192.168.77.7",
            version: "7.0.5 (Build 72)",
            identifier: lab_uuid,
        },
        Names::Fmc("_mgr-fmc-lab", "identifier"),
        next_seed(),
    ));
    // No `show managers` in the bundle: beside several FMCs nothing tells which one.
    out.push(ftd(
        "_mgr-ftd-unmatched",
        "ftd-spare",
        Managers::Absent,
        Names::Nothing,
        next_seed(),
    ));
    // Managed by a cloud-delivered FMC, which no case holds: a host name and identifier that
    // are none of the FMCs'. It is not given to a case's only FMC either.
    let cdfmc = leak(rng.uuid());
    out.push(ftd(
        "_mgr-ftd-elsewhere",
        "ftd-cloud",
        Managers::Full {
            host: "acme-tenant.app.us.cdo.cisco.com",
            display_name: "acme-tenant.app.us.cdo.cisco.com",
            version: "7.2.5 (Build 208)",
            identifier: cdfmc,
        },
        Names::Other,
        next_seed(),
    ));
    out.extend([east, west, lab]);
    out
}

/// Which FMC of a case manages an FTD, as the contract decides it from what the scenario's
/// `show managers` was written to name: the FMC it names (by the kind of match it was written
/// for) when the case holds it; else, unless it names another manager, the case's only FMC;
/// else none. `Derived` FTDs name `managed_by` by Display name (host-name), or have no FMC
/// (`Managed locally.`, `No Managers Configured`). Returns the FMC scenario and the JSON of
/// the expectation.
fn expected_management<'a>(s: &Scenario, fmcs: &[&'a Scenario]) -> (Option<&'a Scenario>, Value) {
    let named = match &s.names {
        Names::Derived => match (s.managers, &s.managed_by) {
            (Managers::Auto, Some(host)) => fmcs
                .iter()
                .find(|f| &f.hostname == host)
                .map(|f| (f.name, "host-name")),
            (Managers::Auto, None) => {
                return (None, json!({"fmc": null, "not_matched": "managed-locally"}));
            }
            (Managers::NoneConfigured, _) => {
                return (None, json!({"fmc": null, "not_matched": "no-manager"}));
            }
            _ => None,
        },
        Names::Fmc(name, how) => fmcs
            .iter()
            .any(|f| f.name == *name)
            .then_some((*name, *how)),
        Names::Other => {
            return (None, json!({"fmc": null, "not_matched": "other-manager"}));
        }
        Names::Nothing => None,
    };
    let (fmc, how) = match named {
        Some((name, how)) => (fmcs.iter().find(|f| f.name == name).copied(), how),
        None if fmcs.len() == 1 => (Some(fmcs[0]), "only-fmc"),
        None => {
            return (None, json!({"fmc": null, "not_matched": "no-fmc-named"}));
        }
    };
    let fmc = fmc.expect("named FMC is in the case");
    (Some(fmc), json!({"fmc": fmc.hostname, "matched_by": how}))
}

/// `df -h` with the mounts of an FTD (bundle-format §7); `full` sets /ngfw/Volume's use.
fn df_h_ftd(volume_pct: u32) -> String {
    let used = 154 * volume_pct / 100;
    format!(
        "Filesystem      Size  Used Avail Use% Mounted on\n\
         /dev/sda5        19G  4.2G   14G  24% /\n\
         /dev/sda1       946M   98M  800M  11% /boot\n\
         /dev/sda7       154G  {used}G  {}G  {volume_pct}% /ngfw/Volume\n\
         tmpfs           7.8G  1.1M  7.8G   1% /dev/shm\n",
        154 - used
    )
}

/// A line of connector.log saying the connector starts (a restart), then its enrollment.
fn restart_lines(s: &Scenario, at: i64) -> Vec<LogLine> {
    let mut out = s.startup_lines(at);
    out.extend(s.enroll_lines(at + 3, false));
    out
}

/// Scenarios of the `mgmt/` and `platform/` packs (rule-catalog.md, "Two more built-in
/// packs"). Appended last so that the seeds, and so the bytes, of the scenarios above stay.
fn pack_scenarios(next_seed: &mut impl FnMut() -> u64) -> Vec<Scenario> {
    let mut v = Vec::new();
    let not_enrolled_log = |s: &mut Scenario| {
        let mut rng = Rng(s.variant);
        s.failing_log(
            &mut rng,
            5 * 3600,
            false,
            &[(
                "warning",
                "registration.go:76 registration:(*Client).Register",
                "device not registered: no registration token configured, waiting".into(),
            )],
        );
        s.context = Some(Context::Status("Not Enrolled"));
        s.lsof = Lsof::ListenOnly;
    };
    // An FMC-managed FTD: licence and cloud settings live on its FMC.
    let managed = |name: &'static str, seed: u64| {
        let mut s = Scenario::healthy(name, Product::Ftd, seed);
        s.managed_by = Some("fmc-dc1".into());
        s.license = None;
        s.cloud = None;
        s.lean = true;
        s
    };

    // `configure manager add` was never run: no manager, so no registration token for SSE.
    let mut s = Scenario::healthy("manager-not-registered", Product::Ftd, next_seed());
    s.lean = true;
    s.license = None;
    s.cloud = None;
    s.managers = Managers::NoneConfigured;
    not_enrolled_log(&mut s);
    s.fires = vec![MANAGER_NOT_REGISTERED, NOT_ENROLLED];
    v.push(s);

    // An older FTD whose registration is still pending (three-field `show managers`); its brief
    // tunnel status has never connected.
    let mut s = managed("manager-pending", next_seed());
    s.version = "6.6.5";
    s.build = 81;
    s.managers = Managers::ThreeFields {
        registration: "Pending",
    };
    s.sftunnel = Sftunnel::BriefDown;
    not_enrolled_log(&mut s);
    s.fires = vec![MANAGER_NOT_REGISTERED, SFTUNNEL_DOWN, NOT_ENROLLED];
    v.push(s);

    // Registered, but the tunnel to the FMC is down (full form): no token for SSE either.
    let mut s = managed("sftunnel-down", next_seed());
    s.sftunnel = Sftunnel::Full(vec![("10.10.1.5", Peer::ChannelsDown)]);
    not_enrolled_log(&mut s);
    s.fires = vec![SFTUNNEL_DOWN, NOT_ENROLLED];
    v.push(s);

    // An FMC with three devices: one up, one whose RPC status poll fails, one whose event
    // channel is down. One finding, naming both peers that are down.
    let mut s = Scenario::healthy("sftunnel-down-fmc", Product::Fmc, next_seed());
    s.lean = true;
    s.sftunnel = Sftunnel::Full(vec![
        ("10.10.1.21", Peer::Up),
        ("10.10.1.22", Peer::RpcFailed),
        ("10.10.1.23", Peer::ChannelBDown),
    ]);
    s.fires = vec![SFTUNNEL_DOWN];
    v.push(s);

    // The brief form, down; the connector still runs on its earlier registration.
    let mut s = managed("sftunnel-down-brief", next_seed());
    s.sftunnel = Sftunnel::BriefDown;
    s.fires = vec![SFTUNNEL_DOWN];
    v.push(s);

    // An FTD newer than its FMC (from `show managers`; no FMC bundle): derived in `fired`.
    let mut s = managed("version-incompatible", next_seed());
    s.version = "7.4.1";
    s.build = 172;
    s.manager_version = "7.2.5 (Build 208)";
    v.push(s);

    // A healthy FMC-managed FTD, every pack's data present: 7.2.5.1 is not newer than its FMC's
    // 7.2.5 (three parts compared), the brief tunnel is up (`connected to ''`), only mounts the
    // rule does not watch are full, and three restarts logged in both logs are three, not six.
    let mut s = managed("healthy-ftd-managed", next_seed());
    s.version = "7.2.5.1";
    s.build = 10;
    s.sftunnel = Sftunnel::BriefUp;
    s.df = Df::Custom(vec![(
        "bin-df -Th",
        "Filesystem     Type      Size  Used Avail Use% Mounted on\n\
         /dev/sda5      ext3       19G  4.2G   14G  24% /\n\
         /dev/sda1      ext3      946M   98M  800M  11% /boot\n\
         /dev/sda7      ext3      154G   61G   86G  42% /ngfw/Volume\n\
         /dev/sda8      ext3      2.0G  2.0G     0 100% /ngfw/Volume/snort-tmp\n\
         tmpfs          tmpfs     7.8G  7.6G  160M  99% /dev/shm\n"
            .into(),
    )]);
    let base = s.collected - 3 * 3600;
    let mut log: Vec<LogLine> = s.log.clone();
    for i in 0..3 {
        let at = base + i * 600;
        log.extend(restart_lines(&s, at));
        s.syslog_extra.push((
            at,
            format!(
                "SF-IMS[2781]: [2781] pm:process [INFO] Started SSEConnector (normal mode), pid {}",
                23_300 + i
            ),
        ));
    }
    log.sort_by_key(|l| l.unix);
    s.log = log;
    v.push(s);

    // The clock is wrong: certificates look not yet valid, and the TLS errors that follow (an
    // unknown authority for the eventing host, a failed curl test) are its symptoms.
    let mut s = Scenario::healthy("clock-skew", Product::Fmc, next_seed());
    s.lean = true;
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    s.curls = vec![Curl::CertInvalid(
        "api-sse.cisco.com",
        "certificate is not yet valid",
    )];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        4 * 3600,
        true,
        &[
            ("error", "registration.go:118 registration:(*Client).Refresh",
             "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: x509: certificate has expired or is not yet valid".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: x509: certificate signed by unknown authority".into()),
        ],
    );
    s.syslog_extra.push((
        s.collected - 4 * 3600 - 120,
        "ntpd[1422]: no servers can be used, system clock unsynchronized".into(),
    ));
    s.fires = vec![
        CLOCK_SKEW,
        TLS_INTERCEPTION,
        CLOUD_UNREACHABLE,
        NOT_ENROLLED,
    ];
    v.push(s);

    // An authenticating proxy refuses the connector (FDM-managed FTD: `Managed locally.`).
    let mut s = Scenario::healthy("proxy-auth", Product::Ftd, next_seed());
    s.lean = true;
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    s.curls = vec![];
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        3 * 3600,
        true,
        &[
            ("error", "registration.go:118 registration:(*Client).Refresh",
             "Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: Proxy Authentication Required".into()),
            ("error", "events.go:90 events:connectWebSocket",
             "wss://eventing-ingest.sse.itd.cisco.com/v1/events: proxyconnect tcp: 407 Proxy Authentication Required".into()),
        ],
    );
    s.fires = vec![PROXY_AUTH, NOT_ENROLLED];
    v.push(s);

    // An FDM-managed FTD that is not enrolled: the management rules stay silent and explain
    // nothing, so not-enrolled is its own root cause.
    let mut s = Scenario::healthy("fdm-not-enrolled", Product::Ftd, next_seed());
    s.lean = true;
    s.context = Some(Context::Status("Not Enrolled"));
    s.lsof = Lsof::ListenOnly;
    let mut rng = Rng(s.variant);
    s.failing_log(
        &mut rng,
        2 * 3600,
        true,
        &[(
            "error",
            "registration.go:141 registration:(*Client).Refresh",
            "token refresh via https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients failed: 401 Unauthorized".into(),
        )],
    );
    s.fires = vec![NOT_ENROLLED];
    v.push(s);

    // /ngfw/Volume is full: EventHandler cannot start, the connector restarts in a loop (the
    // system log's start lines), and the system log says so.
    let mut s = Scenario::healthy("disk-full", Product::Ftd, next_seed());
    s.lean = true;
    s.event_handler = Daemon::Waiting;
    s.socket = Socket::Absent;
    s.df = Df::Custom(vec![("bin-df -h", df_h_ftd(96))]);
    for (ago, text) in [
        (
            3 * 3600,
            "syslog-ng[1211]: I/O error occurred while writing; fd='14', error='No space left on device (28)'",
        ),
        (
            2 * 3600 + 1500,
            "SF-IMS[4127]: [4127] sfmgr:sfmanager [ERROR] write /ngfw/Volume/root1/var/sf/detection_engines/.tmp: No space left on device",
        ),
    ] {
        s.syslog_extra.push((s.collected - ago, text.to_string()));
    }
    for i in 0..6 {
        s.syslog_extra.push((
            s.collected - 2 * 3600 + i * 480,
            format!(
                "SF-IMS[2781]: [2781] pm:process [INFO] Started SSEConnector (normal mode), pid {}",
                24_100 + i
            ),
        ));
    }
    s.fires = vec![DISK_FULL, SOCKET_MISSING, CONNECTOR_RESTARTS];
    v.push(s);

    // An FMC's /var is full in `df -Th`, whose long device name wraps its row; the plain `df -h`
    // saved beside it (sorted after it) shows only the root file system.
    let mut s = Scenario::healthy("disk-full-wrapped", Product::Fmc, next_seed());
    s.lean = true;
    s.df = Df::Custom(vec![
        (
            "bin-df -Th",
            "Filesystem                                Type   Size  Used Avail Use% Mounted on\n\
             /dev/sda5                                 ext3    19G  4.2G   14G  24% /\n\
             /dev/mapper/fmc_vg-var_logical_volume_lv01\n\
             \x20                                         ext4   141G  136G  4.9G  97% /var\n\
             tmpfs                                     tmpfs   16G  160M   16G   1% /dev/shm\n"
                .into(),
        ),
        (
            "bin-df -h",
            "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sda5        19G  4.2G   14G  24% /\n".into(),
        ),
    ]);
    s.fires = vec![DISK_FULL];
    v.push(s);

    // `df -k` (no unit suffixes), /ngfw at exactly 95 %.
    let mut s = Scenario::healthy("disk-full-k", Product::Ftd, next_seed());
    s.lean = true;
    s.df = Df::Custom(vec![(
        "bin-df -k",
        "Filesystem     1K-blocks     Used Available Use% Mounted on\n\
         /dev/sda5       19475088  4401544  14061260  24% /\n\
         /dev/sda6       41153856 37013652   2057692  95% /ngfw\n\
         tmpfs            8128572     1140   8127432   1% /dev/shm\n"
            .into(),
    )]);
    s.fires = vec![DISK_FULL];
    v.push(s);

    // The disk filled up this morning and was cleaned: the system log's message is within the
    // day, but the df taken at collection shows every watched mount below 95 %: recovered.
    let mut s = Scenario::healthy("disk-full-recovered", Product::Ftd, next_seed());
    s.lean = true;
    s.df = Df::Custom(vec![("bin-df -h", df_h_ftd(63))]);
    s.syslog_extra.push((
        s.collected - 5 * 3600,
        "syslog-ng[1211]: I/O error occurred while writing; fd='14', error='No space left on device (28)'".into(),
    ));
    v.push(s);

    // Tokyo (UTC+9): `No space left on device` 28 h before collection in true time. Read in the
    // device's zone, as the bundle's stamp is, it is older than a day; read as UTC it would look
    // 19 h old. No df: nothing else decides.
    let mut s = Scenario::healthy("disk-full-old-east", Product::Fmc, next_seed());
    s.lean = true;
    s.zone = "Asia/Tokyo";
    s.off_min = 540;
    s.collected = instant(2020, 4, 22, 10, 5, 9, 540);
    let mut rng = Rng(s.variant);
    s.fill_healthy_logs(&mut rng);
    s.df = Df::Absent;
    s.syslog_extra.push((
        s.collected - 28 * 3600,
        "syslog-ng[1211]: I/O error occurred while writing; fd='14', error='No space left on device (28)'".into(),
    ));
    v.push(s);

    // The connector restarts six times within 50 minutes, two hours before collection.
    let mut s = Scenario::healthy("connector-restarts", Product::Ftd, next_seed());
    s.lean = true;
    let base = s.collected - 2 * 3600;
    s.log.retain(|l| l.unix < base || l.unix > base + 3600);
    for i in 0..6 {
        let at = base + i * 500;
        s.log.extend(restart_lines(&s, at));
        let crash = s.line(
            at + 240,
            "fatal",
            "events.go:57 events:(*Service).Start",
            "event service exited: unexpected EOF".into(),
        );
        s.log.push(crash);
    }
    s.log.sort_by_key(|l| l.unix);
    s.fires = vec![CONNECTOR_RESTARTS];
    v.push(s);

    // Five restarts within 45 minutes, but 30 hours ago (connector.log.1): recovered.
    let mut s = Scenario::healthy("connector-restarts-old", Product::Fmc, next_seed());
    s.lean = true;
    let base = s.collected - 30 * 3600 + 600;
    for i in 0..5 {
        let at = base + i * 540;
        let lines = restart_lines(&s, at);
        s.log1.extend(lines);
    }
    s.log1.sort_by_key(|l| l.unix);
    v.push(s);
    v
}

/// The first three parts of a version (`7.2.5.1 (Build 10)` → [7, 2, 5]).
fn three_parts(v: &str) -> [u64; 3] {
    let mut out = [0; 3];
    let num = v.split(' ').next().unwrap_or(v);
    for (slot, part) in out.iter_mut().zip(num.split('.')) {
        *slot = part.parse().unwrap_or(0);
    }
    out
}

/// The rules that fire on a device: those its scenario plants, plus `mgmt/version-incompatible`
/// where the FTD is newer than its manager (three parts compared, rule-catalog.md): the managing
/// FMC of the case when there is one, else the version its own `show managers` prints (only the
/// full form has one; FDM-managed and unregistered FTDs have no manager).
fn fired(s: &Scenario, fmc: Option<&Scenario>) -> Vec<&'static str> {
    let mut out = s.fires.clone();
    // The rule reads the FTD's `show managers` state (FDM and unregistered FTDs stay silent):
    // without that output it is not evaluated, whatever the FMC's version.
    if s.product != Product::Ftd || s.managers == Managers::Absent {
        return out;
    }
    let manager = match (fmc, s.managers, &s.managed_by) {
        (Some(f), _, _) => Some(f.version),
        (None, Managers::Auto, Some(_)) => Some(s.manager_version),
        (None, Managers::Full { version, .. }, _) => Some(version),
        _ => None,
    };
    if manager.is_some_and(|m| three_parts(s.version) > three_parts(m)) {
        out.push(VERSION_INCOMPATIBLE);
    }
    out
}

/// Scenarios for the case rules of bundle-format §6 (devices, loose files, the same appliance
/// twice, time zones). Names starting with `_` are parts of a wrapper only: generate.sh does not
/// pack them on their own.
fn case_scenarios(v: &[Scenario], next_seed: &mut impl FnMut() -> u64) -> Vec<Scenario> {
    let by = |name: &str| v.iter().find(|s| s.name == name).expect("scenario").clone();
    let mut out = Vec::new();

    // The licence-evaluation FMC without its licence file: case-loose.zip carries that file loose
    // beside the bundles, and it must be attached to the case's one FMC.
    let mut s = by("license-evaluation");
    s.name = "_loose-licence-fmc";
    s.license = None;
    out.push(s);

    // dns-failure's FTD uploaded again two days later, after the fix: same appliance, healthy.
    let old = by("dns-failure");
    let mut s = Scenario::healthy("_dns-failure-reupload", Product::Ftd, next_seed());
    s.uuid = old.uuid.clone();
    s.hostname = old.hostname.clone();
    s.version = old.version;
    s.build = old.build;
    s.region = old.region;
    s.off_min = old.off_min;
    s.collected = old.collected + 2 * 86_400;
    s.curls = vec![Curl::Ok(old.region.api()), Curl::Ok(old.region.eventing())];
    let mut rng = Rng(s.variant);
    s.fill_healthy_logs(&mut rng);
    out.push(s);

    // A healthy FMC in Tokyo (UTC+9, no DST), with probe lines near a one-hour window's edge: a
    // syslog line 50 minutes old and one 70 minutes old (wall clock, in the zone), and a
    // connector.log line 30 minutes old. tests/cases.rs reads them with a rule pack of its own.
    let mut s = Scenario::healthy("zone-east", Product::Fmc, next_seed());
    s.zone = "Asia/Tokyo";
    s.off_min = 540;
    s.collected = instant(2020, 4, 20, 14, 35, 7, 540);
    let mut rng = Rng(s.variant);
    s.fill_healthy_logs(&mut rng);
    s.syslog_extra.push((
        s.collected - 50 * 60,
        "SF-IMS[4127]: [4127] sfmgr:probe [WARN] zone probe near the window edge".into(),
    ));
    s.syslog_extra.push((
        s.collected - 70 * 60,
        "SF-IMS[4127]: [4127] sfmgr:probe [WARN] zone probe outside the window".into(),
    ));
    let probe_at = s.collected - 30 * 60;
    let at = s.log.partition_point(|l| l.unix <= probe_at);
    s.log.insert(
        at,
        LogLine {
            unix: probe_at,
            nanos: 0,
            off_min: 540,
            level: "warning",
            source: "probe.go:1 probe:zone",
            text: "zone probe in connector.log".into(),
        },
    );
    out.push(s);

    // Later uploads for `fptriage diff` (see `diffs`). The multi-cause FMC a day later with its
    // licence registered: the licence is fixed, the disabled connector is not.
    let mut s = by("multi-cause");
    s.name = "_multi-cause-partly-fixed";
    s.license = by("healthy-fmc").license;
    s.fires.retain(|r| *r != LICENSE_EVALUATION);
    s.shift(86_400);
    out.push(s);
    // The healthy FTD three days later with its connector disabled: a regression.
    let healthy = by("healthy-ftd");
    let mut s = by("connector-disabled");
    s.name = "_healthy-ftd-regressed";
    s.uuid = healthy.uuid.clone();
    s.hostname = healthy.hostname.clone();
    s.version = healthy.version;
    s.build = healthy.build;
    s.managed_by = None;
    let delta = healthy.collected + 3 * 86_400 - s.collected;
    s.shift(delta);
    out.push(s);
    out
}

impl Scenario {
    /// Moves the collection and every log line by `seconds`.
    fn shift(&mut self, seconds: i64) {
        self.collected += seconds;
        for line in self
            .log
            .iter_mut()
            .chain(&mut self.log1)
            .chain(&mut self.log2)
        {
            line.unix += seconds;
        }
        for (t, _) in &mut self.syslog_extra {
            *t += seconds;
        }
    }
}

/// Before/after pairs for `fptriage diff`: (name, files before, files after), files relative to
/// testdata/bundles. `diff/<scenario>.tar.gz` files are packed by generate.sh from `diff.list`.
const DIFFS: [(&str, &[&str], &[&str]); 4] = [
    (
        "fixed",
        &["dns-failure.tar.gz"],
        &["diff/_dns-failure-reupload.tar.gz"],
    ),
    (
        "partly-fixed",
        &["multi-cause.tar.gz"],
        &["diff/_multi-cause-partly-fixed.tar.gz"],
    ),
    (
        "regressed",
        &["healthy-ftd.tar.gz"],
        &["diff/_healthy-ftd-regressed.tar.gz"],
    ),
    (
        "device-added",
        &["dns-failure.tar.gz"],
        &[
            "diff/_dns-failure-reupload.tar.gz",
            "license-evaluation.tar.gz",
        ],
    ),
];

/// The scenario a bundle file of `DIFFS` holds.
fn scenario_of_file<'a>(file: &str, by_name: &BTreeMap<&str, &'a Scenario>) -> &'a Scenario {
    let stem = file.trim_start_matches("diff/").trim_end_matches(".tar.gz");
    by_name[stem]
}

/// Expected diffs, derived from the scenarios' planted rules (not from the engine): per device
/// (matched by appliance UUID) the warning/critical findings of each side are its root causes and
/// symptoms; resolved = before - after, persisting = both, new = after - before, and a device in
/// the later upload only brings all of its findings as new.
fn diff_expectations(by_name: &BTreeMap<&str, &Scenario>) -> Value {
    let alarming = |s: &Scenario| -> BTreeSet<String> {
        let (roots, symptoms) = classify(&s.fires, &[]);
        roots
            .into_iter()
            .chain(symptoms)
            .map(str::to_string)
            .collect()
    };
    let mut out = serde_json::Map::new();
    for (name, before, after) in DIFFS {
        let side = |files: &[&str]| -> BTreeMap<String, (String, BTreeSet<String>)> {
            files
                .iter()
                .map(|f| scenario_of_file(f, by_name))
                .map(|s| (s.uuid.clone(), (s.hostname.clone(), alarming(s))))
                .collect()
        };
        let (b, a) = (side(before), side(after));
        let (mut resolved, mut persisting, mut new) = (Vec::new(), Vec::new(), Vec::new());
        for (uuid, (host, rules)) in &b {
            let later = a.get(uuid).map(|(_, r)| r.clone()).unwrap_or_default();
            for r in rules {
                let entry = json!([r, host]);
                if later.contains(r) {
                    persisting.push(entry);
                } else {
                    resolved.push(entry);
                }
            }
        }
        for (uuid, (host, rules)) in &a {
            let earlier = b.get(uuid).map(|(_, r)| r.clone()).unwrap_or_default();
            for r in rules.difference(&earlier) {
                new.push(json!([r, host]));
            }
        }
        out.insert(
            name.to_string(),
            json!({
                "before": before,
                "after": after,
                "resolved": resolved,
                "persisting": persisting,
                "new": new,
            }),
        );
    }
    Value::Object(out)
}

/// US Central, night of 2020-11-01: clocks go from 02:00 CDT (-05:00) back to 01:00 CST
/// (-06:00). The connector's last success is at 01:50 -05:00 (06:50Z); the timeouts follow at
/// 01:02..01:42 -06:00 (07:02Z..07:42Z). By wall-clock text the success looks newest; by
/// instant the errors are, so the problem is current. No snapshot (lsof, curl) says either way.
fn dst_scenario(seed: u64) -> Scenario {
    let mut s = Scenario::healthy("dst-offsets", Product::Fmc, seed);
    s.off_min = -360;
    s.collected = instant(2020, 11, 1, 2, 5, 0, -360);
    s.lsof = Lsof::ListenOnly;
    s.curls = vec![];
    let mut rng = Rng(seed);
    let mut log = Vec::new();
    let cdt = -300;
    let mut t = instant(2020, 10, 31, 22, 0, 0, cdt);
    let last_ok = instant(2020, 11, 1, 1, 50, 0, cdt);
    let ip = Region::Us.api_ips()[0];
    let mut mk = |t: i64, off: i32, level: &'static str, src: &'static str, text: String| {
        let nanos = (rng.below(1_000_000_000)) as u32;
        LogLine {
            unix: t,
            nanos,
            off_min: off,
            level,
            source: src,
            text,
        }
    };
    log.push(mk(
        t,
        cdt,
        "info",
        "main.go:88 main:main",
        "Starting SSE connector 7.2.5 (build 208)".into(),
    ));
    while t <= last_ok {
        log.push(mk(
            t,
            cdt,
            "info",
            "registration.go:141 registration:(*Client).Refresh",
            format!("token refreshed via https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients ({ip}:443), status=\\\"Enrolled\\\""),
        ));
        t += 600;
    }
    for min in [2u32, 12, 22, 32, 42] {
        let te = instant(2020, 11, 1, 1, min, 0, -360);
        log.push(mk(
            te,
            -360,
            "error",
            "registration.go:118 registration:(*Client).Refresh",
            format!("Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: dial tcp {ip}:443: i/o timeout"),
        ));
    }
    log.sort_by_key(|l| l.unix);
    s.log = log;
    s.log1 = Vec::new();
    s.log2 = Vec::new();
    s.fires = vec![CLOUD_UNREACHABLE];
    s
}

// ---------------------------------------------------------------------------------------------
// Rendering the bundle tree.
// ---------------------------------------------------------------------------------------------

struct Tree {
    root: PathBuf,
}

impl Tree {
    fn write(&self, rel: &str, data: impl AsRef<[u8]>) -> std::io::Result<()> {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().expect("member has a parent"))?;
        fs::write(p, data)
    }
    fn gz(&self, rel: &str, data: &[u8]) -> std::io::Result<()> {
        // mtime 0 and no file name in the gzip header: byte-identical reruns.
        let mut enc = GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::new(6));
        enc.write_all(data)?;
        self.write(rel, enc.finish()?)
    }
}

fn render_log(lines: &[LogLine], host: &str) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&format!(
            "time=\"{}\" level={} msg=\"[{host}][{}] {}\"\n",
            rfc3339(l.unix, l.nanos, l.off_min),
            l.level,
            l.source,
            l.text
        ));
    }
    out
}

fn daemon_state(d: Daemon, pid: u32) -> String {
    match d {
        Daemon::Running => format!("Running {pid}"),
        Daemon::UserDisabled => "User Disabled".into(),
        Daemon::Waiting => "Waiting".into(),
    }
}

fn render_pmtool(s: &Scenario, rng: &mut Rng) -> String {
    let p = s.prefix();
    let mut out = String::new();
    let mut block = |name: &str, class: &str, state: String, extra: &str| {
        out.push_str(&format!("{name} ({class}) - {state}\n"));
        out.push_str(&format!("Command: {p}/usr/local/sf/bin/{name}\n"));
        out.push_str(&format!("PID File: {p}/var/sf/run/{name}.pid\n"));
        out.push_str(&format!("Enable File: {p}/etc/sf/{name}.run\n"));
        out.push_str(extra);
    };
    let pid = |rng: &mut Rng| 1000 + rng.below(60_000) as u32;
    let running = |rng: &mut Rng| format!("Running {}", pid(rng));
    // "Required by:" naming SSEConnector inside other blocks: it belongs to those blocks.
    block(
        "UUID",
        "system",
        running(rng),
        "Required by: ngfwManager,ASAConfig,tomcat,SSEConnector,rsyncd,hmdaemon,srt\n",
    );
    block("mysqld", "system", running(rng), "");
    if s.product == Product::Ftd {
        block("ngfwManager", "system", running(rng), "");
        block("ASAConfig", "system", running(rng), "");
    } else {
        block("sfestreamer", "normal", running(rng), "");
        block("SFDataCorrelator", "normal", running(rng), "");
    }
    block(
        "SSEConnector",
        "system",
        daemon_state(s.connector, pid(rng)),
        "Required by: EventHandler\n",
    );
    block(
        "EventHandler",
        "normal",
        daemon_state(s.event_handler, pid(rng)),
        "",
    );
    block("sftunnel", "system", running(rng), "");
    block("hmdaemon", "normal", running(rng), "");
    out
}

fn render_netstat(s: &Scenario, eh_pid: u32, conn_pid: u32, rng: &mut Rng) -> String {
    let mgmt = "10.10.1.21";
    let mut out = String::from(
        "Active Internet connections (servers and established)\n\
         Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \n",
    );
    let mut tcp = |local: &str, foreign: &str, state: &str, prog: &str| {
        out.push_str(&format!(
            "tcp        0      0 {local:<23} {foreign:<23} {state:<11} {prog:<20}\n"
        ));
    };
    tcp("0.0.0.0:22", "0.0.0.0:*", "LISTEN", "1899/sshd");
    tcp("127.0.0.1:3306", "0.0.0.0:*", "LISTEN", "2211/mysqld");
    tcp("0.0.0.0:8305", "0.0.0.0:*", "LISTEN", "3120/sftunnel");
    if s.connector == Daemon::Running {
        let prog = format!("{conn_pid}/connector");
        tcp("127.0.0.1:8989", "0.0.0.0:*", "LISTEN", &prog);
        let port = 40_000 + rng.below(20_000);
        match s.lsof {
            Lsof::Established => tcp(
                &format!("{mgmt}:{port}"),
                &format!("{}:443", s.region.eventing_ips()[0]),
                "ESTABLISHED",
                &prog,
            ),
            Lsof::SynSent(ip) => tcp(
                &format!("{mgmt}:{port}"),
                &format!("{ip}:443"),
                "SYN_SENT",
                &prog,
            ),
            Lsof::ListenOnly | Lsof::NoConnector => {}
        }
    }
    tcp(
        &format!("{mgmt}:8305"),
        "10.10.1.5:51522",
        "ESTABLISHED",
        "3120/sftunnel",
    );
    out.push_str(&format!(
        "udp        0      0 0.0.0.0:{:<18} 0.0.0.0:*                           {}/ntpd\n",
        123, 1422
    ));
    out.push_str(
        "Active UNIX domain sockets (servers and established)\n\
         Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\n",
    );
    let mut unix = |refc: u32, flags: &str, state: &str, inode: u64, prog: &str, path: &str| {
        out.push_str(&format!(
            "unix  {refc:<6} {flags:<11} STREAM     {state:<13} {inode:<8} {prog:<20} {path}\n"
        ));
    };
    unix(
        2,
        "[ ACC ]",
        "LISTENING",
        17_211,
        "1/init",
        "/run/systemd/private",
    );
    unix(
        2,
        "[ ACC ]",
        "LISTENING",
        22_904,
        "2211/mysqld",
        "/var/lib/mysql/mysql.sock",
    );
    let sock = format!("{}/var/sf/run/EventHandler_SSEConnector.sock", s.prefix());
    let eh = format!("{eh_pid}/EventHandler");
    match s.socket {
        Socket::ListeningAndConnected => {
            unix(2, "[ ACC ]", "LISTENING", 382_276, &eh, &sock);
            unix(3, "[ ]", "CONNECTED", 378_537, &eh, &sock);
        }
        Socket::ListeningOnly => unix(2, "[ ACC ]", "LISTENING", 3_022_791_165, &eh, &sock),
        Socket::Absent => {}
    }
    if s.event_handler == Daemon::Running {
        let other = format!("{}/var/sf/run/EventHandler.sock", s.prefix());
        unix(2, "[ ACC ]", "LISTENING", 382_270, &eh, &other);
    }
    unix(3, "[ ]", "CONNECTED", 26_533, "2211/mysqld", "");
    out
}

fn render_lsof(s: &Scenario, conn_pid: u32, rng: &mut Rng) -> String {
    let mut out = String::from("COMMAND     PID  USER   FD   TYPE     DEVICE SIZE/OFF NODE NAME\n");
    let mut row = |cmd: &str, pid: u32, user: &str, fd: &str, dev: u64, name: &str| {
        out.push_str(&format!(
            "{cmd:<9} {pid:>5} {user:>5} {fd:>5}  IPv4 {dev:>10}      0t0  TCP {name}\n"
        ));
    };
    row("sshd", 1899, "root", "3u", 22_563, "*:ssh (LISTEN)");
    row(
        "mysqld",
        2211,
        "mysql",
        "14u",
        23_011,
        "localhost:mysql (LISTEN)",
    );
    row("sftunnel", 3120, "root", "9u", 31_877, "*:8305 (LISTEN)");
    let local = format!("{}.cisco.com", s.hostname);
    if s.lsof != Lsof::NoConnector {
        row(
            "connector",
            conn_pid,
            "www",
            "10u",
            3_022_789_647,
            "localhost:8989 (LISTEN)",
        );
        let port = 40_000 + rng.below(20_000);
        match s.lsof {
            Lsof::Established => row(
                "connector",
                conn_pid,
                "www",
                "19u",
                26_077_679,
                &format!(
                    "{local}:{port}->{}:https (ESTABLISHED)",
                    s.region.aws_name(s.region.eventing_ips()[0])
                ),
            ),
            Lsof::SynSent(ip) => row(
                "connector",
                conn_pid,
                "www",
                "12u",
                110_237_499,
                &format!("{local}:{port}->{}:https (SYN_SENT)", s.region.aws_name(ip)),
            ),
            _ => {}
        }
    }
    row(
        "sftunnel",
        3120,
        "root",
        "11u",
        31_990,
        "10.10.1.21:8305->10.10.1.5:51522 (ESTABLISHED)",
    );
    out
}

fn license_text(l: &License, rng: &mut Rng) -> String {
    match l {
        License::FmcJson {
            registration,
            authorization,
            eval_days,
            items,
        } => {
            let auth = authorization.map_or(Value::Null, |a| json!(a));
            let va = if *registration == "EVALUATION" {
                Value::Null
            } else {
                json!("Security-Operations")
            };
            let mut status = json!({
                "registrationStatus": registration,
                "authorizationStatus": auth,
                "virtualAccount": va,
            });
            if let Some(d) = eval_days {
                status["evaluationRemainingDays"] = json!(d);
            }
            let inner = serde_json::to_string_pretty(&status).expect("json");
            if *items {
                // A saved REST collection: the status inside an item of `items`.
                let doc = json!({
                    "links": {"self": "https://fmc/api/fmc_platform/v1/license/smartlicenses?expanded=true"},
                    "items": [{
                        "type": "SmartLicense",
                        "id": rng.uuid(),
                        "smartLicenseStatus": status,
                        "exportControl": false,
                    }],
                    "paging": {"offset": 0, "limit": 25, "count": 1, "pages": 1},
                });
                serde_json::to_string_pretty(&doc).expect("json") + "\n"
            } else {
                // A fragment cut from a larger document, as in the contract's sample.
                format!(
                    "    \"type\": \"SmartLicense\",\n    \"smartLicenseStatus\": {},\n    \"exportControl\": false\n",
                    inner.replace('\n', "\n    ")
                )
            }
        }
        License::AgentText {
            registration,
            authorization,
            transport,
        } => {
            let mut out = String::from("Smart Licensing is ENABLED\n\n");
            if let Some((ty, addr)) = transport {
                out.push_str(&format!("Transport:\nType: {ty}\nAddress: {addr}\n\n"));
            } else {
                out.push_str("Transport:\nType: Callhome\nAddress: https://tools.cisco.com/its/service/oddce/services/DDCEService\n\n");
            }
            out.push_str(&format!(
                "Registration:\nStatus: {registration}\nSmart Account: Example Corp\nVirtual Account: Security-Operations\nExport-Controlled Functionality: Allowed\nInitial Registration: SUCCEEDED on Jan 21 2020 10:01:13 UTC\n\n"
            ));
            out.push_str(&format!(
                "License Authorization:\nStatus: {authorization}\nLast Communication Attempt: SUCCEEDED on Apr 10 2020 08:20:02 UTC\nNext Communication Attempt: May 10 2020 08:20:01 UTC\n\nLicense Usage\n==============\nBase License (regid.2015-10.com.cisco.FTD-BASE,1.0_0c6dc...):\n  Description: Firepower Threat Defense Base License\n  Count: 1\n  Status: AUTHORIZED\n"
            ));
            out
        }
    }
}

fn cloud_text(c: CloudSettings, rng: &mut Rng) -> String {
    match c {
        CloudSettings::Fmc { events_on, region } => {
            let doc = json!({
                "items": [
                    {"type": "CloudEventsConfig", "id": rng.uuid(),
                     "sendIntrusionEvents": events_on, "sendFileEvents": events_on,
                     "sendConnectionEvents": false, "sendAllConnectionEvents": events_on,
                     "sendPackets": events_on, "devicesExcludedFromSendingEvents": []},
                    {"type": "CloudRegion", "id": rng.uuid(), "current": true,
                     "regionCode": region.code()},
                ]
            });
            serde_json::to_string_pretty(&doc).expect("json") + "\n"
        }
        CloudSettings::Fdm { enabled, region } => {
            let doc = json!([
                {"type": "cloudevents", "id": rng.uuid(), "enableService": enabled,
                 "eventTypes": ["INTRUSION", "FILE_MALWARE", "CONNECTION_HIGH"]},
                {"type": "CloudCommunicationSettings", "telemetryEnabled": true},
                {"type": "CloudRegion", "current": true, "regionCode": region.code()},
            ]);
            serde_json::to_string(&doc).expect("json") + "\n"
        }
    }
}

fn context_text(s: &Scenario, c: Context, rng: &mut Rng) -> String {
    let status = match c {
        Context::Status(st) => json!(st),
        Context::StatusObject(st) => {
            json!({"state": st, "updated": rfc3339(s.collected - 600, 0, s.off_min)})
        }
    };
    let fqdn = s
        .properties
        .as_deref()
        .and_then(|p| {
            p.lines()
                .find_map(|l| l.trim().strip_prefix("connector_fqdn="))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| s.region.api().to_owned());
    let doc = json!({
        "id": "default",
        "clientInfo": {
            "id": s.uuid, "name": s.hostname,
            "type": if s.product == Product::Fmc { "FMC" } else { "FTD" },
            "version": s.version, "build": s.build,
        },
        "settings": {
            "exchange": {
                "fqdn": fqdn,
                "registration": {"refreshInterval": 180, "clientId": rng.hex(32)},
            },
            "eventing": {"enabled": true},
        },
        "status": status,
    });
    serde_json::to_string_pretty(&doc).expect("json") + "\n"
}

/// HTTP `Date:` header value (GMT) of an instant.
fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let (y, m, d, h, mi, s) = local_fields(unix, 0);
    let wd = DAYS[(unix.div_euclid(86_400) + 4).rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT",
        MONTHS[m as usize - 1]
    )
}

fn curl_text(c: Curl, region: Region, prefix: &str, when: i64) -> (String, String) {
    let ca = format!("{prefix}/etc/ssl/connectorCA.pem");
    let ip_of = |host: &str| {
        if host.starts_with("eventing") {
            region.eventing_ips()[1]
        } else {
            region.api_ips()[0]
        }
    };
    let tls_ok = |host: &str| {
        format!(
            "* successfully set certificate verify locations:\n*   CAfile: {ca}\n  CApath: none\n\
             * TLSv1.2 (OUT), TLS handshake, Client hello (1):\n* TLSv1.2 (IN), TLS handshake, Server hello (2):\n\
             * TLSv1.2 (IN), TLS handshake, Certificate (11):\n* TLSv1.2 (IN), TLS handshake, Server key exchange (12):\n\
             * TLSv1.2 (IN), TLS handshake, Server finished (14):\n* TLSv1.2 (OUT), TLS handshake, Client key exchange (16):\n\
             * TLSv1.2 (OUT), TLS handshake, Finished (20):\n* TLSv1.2 (IN), TLS handshake, Finished (20):\n\
             * SSL connection using TLSv1.2 / ECDHE-RSA-AES128-GCM-SHA256\n* Server certificate:\n\
             *  subject: C=US; ST=California; L=San Jose; O=Cisco Systems, Inc.; CN={host}\n\
             *  issuer: C=US; O=HydrantID (Avalanche Cloud Corporation); CN=HydrantID SSL ICA G2\n\
             *  SSL certificate verify ok.\n"
        )
    };
    let forbidden = |host: &str| {
        format!(
            "> GET / HTTP/1.1\n> Host: {host}\n> User-Agent: curl/7.44.0\n> Accept: */*\n>\n\
             < HTTP/1.1 403 Forbidden\n< Date: {}\n< Content-Type: text/plain; charset=utf-8\n\
             < Content-Length: 9\n< Connection: keep-alive\n<\n{{ [9 bytes data]\nForbidden\n\
             * Connection #0 to host {host} left intact\n",
            http_date(when)
        )
    };
    match c {
        Curl::Ok(host) => {
            let ip = ip_of(host);
            (
                format!(
                    "curl -v https:--{host} --cacert {}.output",
                    ca.replace('/', "-")
                ),
                format!(
                    "* Rebuilt URL to: https://{host}/\n*   Trying {ip}...\n* Connected to {host} ({ip}) port 443 (#0)\n{}{}",
                    tls_ok(host),
                    forbidden(host)
                ),
            )
        }
        Curl::InsecureOk(host) => {
            let ip = ip_of(host);
            (
                format!("usr-bin-curl -v -k https:--{host}.output"),
                format!(
                    "* Rebuilt URL to: https://{host}/\n*   Trying {ip}...\n* Connected to {host} ({ip}) port 443 (#0)\n\
                     * successfully set certificate verify locations:\n*   CAfile: none\n  CApath: /etc/ssl/certs\n\
                     * SSL connection using TLSv1.2 / ECDHE-RSA-AES128-GCM-SHA256\n\
                     * SSL certificate verify result: self signed certificate in certificate chain (19), continuing anyway.\n{}",
                    forbidden(host)
                ),
            )
        }
        Curl::TlsFail(host) => {
            let ip = ip_of(host);
            (
                format!(
                    "curl -v https:--{host}-providers-sse-services-registration-api-v2-clients --cacert {}.output",
                    ca.replace('/', "-")
                ),
                format!(
                    "*   Trying {ip}...\n* Connected to {host} ({ip}) port 443 (#0)\n\
                     * successfully set certificate verify locations:\n*   CAfile: {ca}\n  CApath: none\n\
                     * TLSv1.2 (OUT), TLS handshake, Client hello (1):\n* TLSv1.2 (IN), TLS handshake, Server hello (2):\n\
                     * TLSv1.2 (IN), TLS handshake, Certificate (11):\n* TLSv1.2 (OUT), TLS alert, Server hello (2):\n\
                     * SSL certificate problem: self signed certificate in certificate chain\n\
                     * Closing connection 0\ncurl: (60) SSL certificate problem: self signed certificate in certificate chain\n\
                     More details here: https://curl.haxx.se/docs/sslcerts.html\n"
                ),
            )
        }
        Curl::CertInvalid(host, problem) => {
            let ip = ip_of(host);
            (
                format!(
                    "curl -v https:--{host} --cacert {}.output",
                    ca.replace('/', "-")
                ),
                format!(
                    "$ curl -v https://{host} --cacert {ca}\n*   Trying {ip}:443...\n* TCP_NODELAY set\n\
                     * Connected to {host} ({ip}) port 443 (#0)\n\
                     * successfully set certificate verify locations:\n*   CAfile: {ca}\n  CApath: none\n\
                     * TLSv1.2 (OUT), TLS handshake, Client hello (1):\n* TLSv1.2 (IN), TLS handshake, Server hello (2):\n\
                     * TLSv1.2 (IN), TLS handshake, Certificate (11):\n* TLSv1.2 (OUT), TLS alert, bad certificate (554):\n\
                     * SSL certificate problem: {problem}\n* Closing connection 0\n\
                     curl: (60) SSL certificate problem: {problem}\n\
                     More details here: https://curl.haxx.se/docs/sslcerts.html\n"
                ),
            )
        }
        Curl::Timeout(host) => {
            let ip = ip_of(host);
            (
                format!(
                    "usr-bin-curl -v https:--{host} --cacert {}.output",
                    ca.replace('/', "-")
                ),
                format!(
                    "* Rebuilt URL to: https://{host}/\n*   Trying {ip}...\n* TCP_NODELAY set\n\
                     * connect to {ip} port 443 failed: Connection timed out\n\
                     * Failed to connect to {host} port 443: Connection timed out\n* Closing connection 0\n\
                     curl: (7) Failed to connect to {host} port 443: Connection timed out\n"
                ),
            )
        }
        Curl::Failover { host, bad, ok } => (
            format!(
                "curl -v https:--{host}-v1-events --cacert {}.output",
                ca.replace('/', "-")
            ),
            format!(
                "$ curl -v https://{host}/v1/events --cacert {ca}\n\
                 *   Trying {bad}:443...\n* TCP_NODELAY set\n\
                 * connect to {bad} port 443 failed: Connection timed out\n\
                 *   Trying {ok}:443...\n* TCP_NODELAY set\n\
                 * Connected to {host} ({ok}) port 443 (#0)\n{}{}",
                tls_ok(host),
                forbidden(host)
            ),
        ),
        Curl::NoResolve(host) => (
            format!("curl -v https:--{host}.output"),
            format!(
                "* Rebuilt URL to: https://{host}/\n* Could not resolve host: {host}\n* Closing connection 0\n\
                 curl: (6) Could not resolve host: {host}\n"
            ),
        ),
    }
}

/// Syslog of the 8 hours before `end`; the scenario's extra lines are merged in time order when
/// they fall in that window.
fn render_syslog(s: &Scenario, rng: &mut Rng, end: i64) -> String {
    render_syslog_span(s, rng, end, 8)
}

/// Syslog of the `hours` before `end`, as [`render_syslog`].
fn render_syslog_span(s: &Scenario, rng: &mut Rng, end: i64, hours: i64) -> String {
    let h = &s.hostname;
    let mut lines: Vec<(i64, String)> = Vec::new();
    let start = end - hours * 3600;
    let mut t = start;
    while t < end {
        let msg = match rng.below(6) {
            0 => format!(
                "crond[{}]: (root) CMD (/usr/local/sf/bin/sfcron.pl)",
                20_000 + rng.below(9000)
            ),
            1 => format!(
                "sshd[{}]: Accepted publickey for admin from 10.10.1.99 port {} ssh2",
                30_000 + rng.below(9000),
                50_000 + rng.below(9000)
            ),
            2 => "ntpd[1422]: kernel reports TIME_ERROR: 0x41: Clock Unsynchronized".into(),
            3 => format!(
                "SF-IMS[{}]: [{}] sfmgr:sfmanager [INFO] health check ok",
                4100 + rng.below(50),
                4100 + rng.below(50)
            ),
            4 => format!(
                "kernel: [{}.{:06}] device eth0 entered promiscuous mode",
                100_000 + rng.below(900_000),
                rng.below(1_000_000)
            ),
            _ => format!(
                "SF-IMS[{}]: [{}] sftunneld:sf_connections [INFO] Peer 10.10.1.5 heartbeat ok",
                3120, 3120
            ),
        };
        lines.push((t, format!("{} {h} {msg}", syslog_ts(t, s.off_min))));
        t += 60 + rng.below(240) as i64;
    }
    for (t, msg) in &s.syslog_extra {
        if (start..end).contains(t) {
            lines.push((*t, format!("{} {h} {msg}", syslog_ts(*t, s.off_min))));
        }
    }
    lines.sort_by_key(|(t, _)| *t);
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}

/// `Tue Oct 11 21:44:44 2016`, the way Perl's `localtime` prints in sftunnel_status.pl.
fn ctime(unix: i64, off_min: i32) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let (y, m, d, h, mi, sec) = local_fields(unix, off_min);
    let wd = DAYS[(unix + i64::from(off_min) * 60)
        .div_euclid(86_400)
        .rem_euclid(7) as usize];
    format!(
        "{wd} {} {d:2} {h:02}:{mi:02}:{sec:02} {y}",
        MONTHS[m as usize - 1]
    )
}

/// The management tunnel's status (bundle-format §7): the full form of `sftunnel_status.pl`
/// with a RUN STATUS and an RPC STATUS block per peer, or the brief form. Returns the
/// command-output name (without `.output`) and the text.
fn render_sftunnel(s: &Scenario) -> Option<(&'static str, String)> {
    let (own, peer_ip) = match s.product {
        Product::Fmc => (s.mgmt_ip.unwrap_or("10.10.1.5"), "10.10.1.21"),
        Product::Ftd => (s.mgmt_ip.unwrap_or("10.10.1.21"), "10.10.1.5"),
    };
    let peers = match &s.sftunnel {
        Sftunnel::Auto if s.product == Product::Fmc || s.managed_by.is_some() => {
            vec![(peer_ip, Peer::Up)]
        }
        Sftunnel::Auto => return None,
        Sftunnel::Full(peers) => peers.clone(),
        Sftunnel::BriefUp => {
            let up = s.collected - 5 * 86_400;
            let beat = s.collected - 40;
            return Some((
                "usr-local-sf-bin-sftunnel-status-brief",
                format!(
                    "Peer channel Channel-A is valid type (CONTROL), using 'eth0', connected to '' via ''\n\
                     Peer channel Channel-B is valid type (EVENT), using 'eth0', connected to '' via ''\n\
                     Registration: Completed.\n\
                     IPv4 Connection to peer '' Start Time: {} UTC\n\
                     Heartbeat Send Time: {} UTC\n\
                     Heartbeat Received Time: {} UTC\n",
                    ctime(up, 0),
                    ctime(beat, 0),
                    ctime(beat + 8, 0)
                ),
            ));
        }
        Sftunnel::BriefDown => {
            let down = s.collected - 3 * 3600;
            return Some((
                "usr-local-sf-bin-sftunnel-status-brief",
                format!(
                    "Registration: Completed.\n\
                     Connection to peer '' Attempted at {} UTC\n\
                     Last disconnect time : {} UTC\n\
                     Last disconnect reason : Both control and event channel connections with peer went down\n",
                    ctime(s.collected - 70, 0),
                    ctime(down, 0)
                ),
            ));
        }
    };
    let p = s.prefix();
    let started = s.collected - 41 * 86_400;
    let mut out = format!(
        "SFTUNNEL Start Time: {}\nBoth IPv4 and IPv6 connectivity is supported\nBroadcast count = {}\n\
         Reserved SSL connections: 0\nManagement Interfaces: 1\neth0 (control events) {own},\n\
         ***********************\n",
        ctime(started, s.off_min),
        peers.len() + 1
    );
    let (peer_version, peer_build) = match s.product {
        Product::Fmc => ("7.2.5", 208),
        Product::Ftd => {
            let v = s.manager_version;
            let num = v.split(' ').next().unwrap_or(v);
            (num, 208)
        }
    };
    let mut rng = Rng(s.variant ^ 0x5f7e);
    for (ip, state) in peers {
        let since = ctime(s.collected - 2 * 86_400, s.off_min);
        let (a, b) = match state {
            Peer::ChannelsDown => ("No", "No"),
            Peer::ChannelBDown => ("Yes", "No"),
            Peer::Up | Peer::RpcFailed => ("Yes", "Yes"),
        };
        out.push_str(&format!("**RUN STATUS****{ip}*************\n"));
        if a == "Yes" {
            out.push_str("Cipher used = AES256-GCM-SHA384 (strength:256 bits)\n");
        }
        out.push_str(&format!("ChannelA Connected: {a}, Interface eth0\n"));
        if b == "Yes" {
            out.push_str("Cipher used = AES256-GCM-SHA384 (strength:256 bits)\n");
        }
        out.push_str(&format!(
            "ChannelB Connected: {b}, Interface eth0\nRegistration: Completed.\n"
        ));
        if state == Peer::Up || state == Peer::RpcFailed {
            out.push_str(&format!(
                "IPv4 Connection to peer '{ip}' Start Time: {since}\nPEER INFO:\n\
                 sw_version {peer_version}\nsw_build {peer_build}\nManagement Interfaces: 1\n\
                 eth0 (control events) {ip},\nSftunnel Port: 8305\n"
            ));
        } else {
            out.push_str(&format!(
                "Connection to peer '{ip}' Attempted at {}\nLast disconnect time : {}\n\
                 Last disconnect reason : {}\n",
                ctime(s.collected - 65, s.off_min),
                ctime(s.collected - 2 * 3600, s.off_min),
                if state == Peer::ChannelsDown {
                    "Both control and event channel connections with peer went down"
                } else {
                    "Event channel connection with peer went down"
                }
            ));
        }
        out.push_str("***********************\n");
        if state == Peer::RpcFailed {
            out.push_str(&format!(
                "peer {} did not reply at {p}/usr/local/sf/bin/sftunnel_status.pl line 309.\n\
                 Retry rpc status poll at {p}/usr/local/sf/bin/sftunnel_status.pl line 315.\n\
                 **RPC STATUS****{ip}*************\nRPC status :Failed\n***********************\n",
                rng.uuid()
            ));
        } else {
            out.push_str(&format!(
                "**RPC STATUS****{ip}*************\n'uuid' => '{}',\n\
                 'ipv6' => 'IPv6 is not configured for management',\n'name' => '{ip}',\n\
                 'active' => 1,\n'uuid_gw' => '',\n'last_changed' => '{since}'\nCheck routes:\n\
                 ***********************\n",
                rng.uuid()
            ));
        }
    }
    Some(("usr-local-sf-bin-sftunnel_status.pl", out))
}

fn version_line(s: &Scenario) -> String {
    match s.product {
        Product::Fmc => format!(
            "Cisco Firepower Management Center for VMWare v{} (build {})",
            s.version, s.build
        ),
        Product::Ftd => format!(
            "Cisco Firepower 2110 Threat Defense (77) Version {} (Build {})",
            s.version, s.build
        ),
    }
}

/// Writes one scenario's tree below `dir` and returns the top directory name.
fn write_tree(s: &Scenario, dir: &Path) -> std::io::Result<String> {
    let mut rng = Rng(s.variant ^ 0xa5a5_a5a5);
    let top = results_name(s.collected, s.off_min);
    let t = Tree {
        root: dir.join(&top),
    };
    let co = "command-outputs";
    let da = "dir-archives";
    let conn_pid = 20_000 + rng.below(40_000) as u32;
    let eh_pid = 7_000 + rng.below(9_000) as u32;

    // Identity and version.
    t.write(&format!("{da}/etc/hostname"), format!("{}\n", s.hostname))?;
    t.write(
        &format!("{da}/etc/sf/ims.conf"),
        format!(
            "# ims.conf\nSWVERSION={}\nSWBUILD={}\nAPPLIANCE_UUID={}\nMODEL_TYPE={}\n",
            s.version,
            s.build,
            s.uuid,
            if s.product == Product::Fmc {
                "CONSOLE"
            } else {
                "SENSOR"
            }
        ),
    )?;
    match s.product {
        Product::Fmc => {
            // Two variants of sf-version seen in the contract: one line with " / " or two lines.
            let os = format!(
                "Cisco Fire Linux OS v{} (build {})",
                s.version,
                s.build % 17 + 2
            );
            let txt = if s.variant.is_multiple_of(2) {
                format!("{} / {os}\n", version_line(s))
            } else {
                format!("{}\n{os}\n", version_line(s))
            };
            t.write(&format!("{da}/etc/sf/sf-version"), txt)?;
        }
        Product::Ftd => {
            let old = s.version.starts_with("6.4") || s.version.starts_with("6.3");
            let rules = if old {
                "Rules update version      : 2019-11-13-001-vrt".to_owned()
            } else {
                "LSP version               : lsp-rel-20230712-1621".to_owned()
            };
            t.write(
                &format!("{co}/usr-local-sf-bin-sfcli.pl show version.output"),
                format!(
                    "-------------------[ {} ]--------------------\nModel                     : {}\nUUID                      : {}\n{rules}\nVDB version               : 353\n----------------------------------------------------\n",
                    s.hostname,
                    version_line(s),
                    s.uuid
                ),
            )?;
            t.write(
                &format!("{co}/show_tech_output.txt"),
                format!(
                    "------------------[ {} ]-------------------\n{}\n\nCisco Adaptive Security Appliance Software Version 9.18(3)56\nSSP Operating System Version 2.12(0.498)\n\nCompiled on Thu 13-Jul-23 19:06 GMT by builders\n\n{} up 41 days 3 hours\n",
                    s.hostname,
                    version_line(s),
                    s.hostname
                ),
            )?;
            let managers = match (s.managers, &s.managed_by) {
                (Managers::Auto, Some(fmc)) => format!(
                    "Type                      : Manager\nHost                      : 10.10.1.5\nDisplay name              : {fmc}\nVersion                   : {}\nIdentifier                : {}\nRegistration              : Completed\nManagement type           : Configuration and analytics\n",
                    s.manager_version,
                    rng.uuid()
                ),
                (Managers::Auto, None) => "Managed locally.\n".to_owned(),
                (Managers::NoneConfigured, _) => "No Managers Configured\n".to_owned(),
                (Managers::ThreeFields { registration }, _) => format!(
                    "Type                      : Manager\nHost                      : 10.10.1.5\nRegistration              : {registration}\n"
                ),
                (
                    Managers::Full {
                        host,
                        display_name,
                        version,
                        identifier,
                    },
                    _,
                ) => format!(
                    "Type                      : Manager\nHost                      : {host}\nDisplay name              : {display_name}\nVersion                   : {version}\nIdentifier                : {identifier}\nRegistration              : Completed\nManagement type           : Configuration and analytics\n"
                ),
                (Managers::Host(host), _) => format!(
                    "Type                      : Manager\nHost                      : {host}\nRegistration              : Completed\n"
                ),
                (Managers::Absent, _) => String::new(),
            };
            if s.managers != Managers::Absent {
                t.write(
                    &format!("{co}/usr-local-sf-bin-sfcli.pl show managers.output"),
                    managers,
                )?;
            }
        }
    }

    // pmtool, netstat, lsof (names vary within the contract's patterns).
    t.write(
        &format!("{co}/usr-local-sf-bin-pmtool status.output"),
        render_pmtool(s, &mut rng),
    )?;
    let netstat_name = [
        "bin-netstat -anlp",
        "usr-bin-netstat -anlp",
        "bin-netstat -anp",
    ][(s.variant % 3) as usize];
    t.write(
        &format!("{co}/{netstat_name}.output"),
        render_netstat(s, eh_pid, conn_pid, &mut rng),
    )?;
    let lsof_name = ["usr-sbin-lsof -i", "usr-bin-lsof -i"][(s.variant % 2) as usize];
    t.write(
        &format!("{co}/{lsof_name}.output"),
        render_lsof(s, conn_pid, &mut rng),
    )?;

    // Connector configuration and logs.
    if let Some(p) = &s.properties {
        if s.tricky_fs {
            // Stored once under a name that sorts first, then hard-linked: GNU tar then writes
            // connector.properties as a hard-link member pointing at the other name.
            let orig = format!("{da}/etc/sf/.connector.properties.orig");
            t.write(&orig, p)?;
            let dst = t.root.join(format!("{da}/etc/sf/connector.properties"));
            if dst.exists() {
                fs::remove_file(&dst)?;
            }
            fs::hard_link(t.root.join(orig), dst)?;
        } else {
            t.write(&format!("{da}/etc/sf/connector.properties"), p)?;
        }
    }
    t.write(
        &format!("{da}/etc/sf/sftunnel.conf"),
        "peer 10.10.1.5 {\n  port 8305;\n  role initiator;\n}\n",
    )?;
    let host_tag = format!("{}.cisco.com", s.hostname);
    t.write(
        &format!("{da}/var-log/connector/connector.log"),
        render_log(&s.log, &host_tag),
    )?;
    if !s.log1.is_empty() {
        t.write(
            &format!("{da}/var-log/connector/connector.log.1"),
            render_log(&s.log1, &host_tag),
        )?;
    }
    if !s.log2.is_empty() {
        t.gz(
            &format!("{da}/var-log/connector/connector.log.2.gz"),
            render_log(&s.log2, &host_tag).as_bytes(),
        )?;
    }

    // Artifacts with no known location: vary where they sit.
    let v = s.variant % 3;
    if let Some(l) = &s.license {
        let name = match (l, v) {
            (License::FmcJson { .. }, 0) => format!("{co}/curl-smart-license.output"),
            (License::FmcJson { .. }, 1) => {
                format!("{da}/var-log/sf/fmc_api_smartlicenses.json")
            }
            (License::FmcJson { .. }, _) => format!("{da}/var-sf-sse/license_status.json"),
            (License::AgentText { .. }, 0) => {
                format!("{co}/usr-local-sf-bin-sfcli.pl show license status.output")
            }
            (License::AgentText { .. }, _) => format!("{da}/var-log/sf/smart_agent_status.txt"),
        };
        t.write(&name, license_text(l, &mut rng))?;
    }
    if let Some(c) = s.cloud {
        let name = [
            format!("{da}/var-log/sf/cloud_events_config.json"),
            format!("{co}/curl-fmc-integration-cloudeventsconfigs.output"),
            format!("{da}/var-sf-sse/cloud_settings.json"),
        ][v as usize]
            .clone();
        t.write(&name, cloud_text(c, &mut rng))?;
    }
    if let Some(c) = s.context {
        let name = [
            format!("{co}/usr-bin-curl localhost:8989-v1-contexts-default.output"),
            format!("{co}/curl -s localhost:8989-v1-contexts-default.output"),
            format!("{da}/var-log/connector/context-default.json"),
        ][v as usize]
            .clone();
        t.write(&name, context_text(s, c, &mut rng))?;
    }
    for &c in &s.curls {
        let (name, body) = curl_text(c, s.region, s.prefix(), s.collected - 900);
        t.write(&format!("{co}/{name}"), body)?;
    }

    // System log and noise.
    t.write(
        &format!("{da}/var-log/messages"),
        render_syslog(s, &mut rng, s.collected),
    )?;
    t.gz(
        &format!("{da}/var-log/messages.1.gz"),
        render_syslog(s, &mut rng, s.collected - 8 * 3600).as_bytes(),
    )?;
    // An older rotation only where a scenario plants lines before the two files above (the
    // east-of-UTC disk message, which must be read as older than a day).
    if s.syslog_extra
        .iter()
        .any(|(t, _)| *t < s.collected - 16 * 3600)
    {
        t.gz(
            &format!("{da}/var-log/messages.2.gz"),
            render_syslog_span(s, &mut rng, s.collected - 16 * 3600, 16).as_bytes(),
        )?;
    }
    let mut aq = String::new();
    for i in 0..40 {
        aq.push_str(&format!(
            "{} action_queue[{}]: task {} ({}) state=completed\n",
            syslog_ts(s.collected - 7200 + i * 97, s.off_min),
            2600 + i,
            rng.hex(8),
            rng.pick(&["SRU install", "policy deploy", "health poll", "VDB check"])
        ));
    }
    t.write(&format!("{da}/var-log/action_queue.log"), &aq)?;
    t.gz(
        &format!("{da}/var-log/action_queue.log.1.gz"),
        aq.as_bytes(),
    )?;
    t.write(
        &format!("{da}/var-log/comms.log"),
        format!(
            "{} sftunneld: connected to peer 10.10.1.5 channel 0\n",
            syslog_ts(s.collected - 3000, s.off_min)
        ),
    )?;
    if s.product == Product::Ftd {
        t.write(
            &format!("{da}/var-log/ngfwManager.log"),
            "INFO  ngfwManager  - Device state: IN_SYNC\n",
        )?;
    }
    t.write(
        &format!("{co}/mysql.select_all_from_action_queue"),
        "id\ttype\tstate\n1\t12\tcompleted\n2\t7\tcompleted\n",
    )?;
    match &s.df {
        Df::Default => t.write(
            &format!("{co}/bin-df -h.output"),
            "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sda5        47G   18G   27G  41% /\n",
        )?,
        Df::Absent => {}
        Df::Custom(outputs) => {
            for (name, body) in outputs {
                t.write(&format!("{co}/{name}.output"), body)?;
            }
        }
    }
    if let Some((name, body)) = render_sftunnel(s) {
        t.write(&format!("{co}/{name}.output"), body)?;
    }
    t.write(
        &format!("{da}/var-sf-peers/PEERS_MAP.JSON"),
        json!({"peers": [{
            "uuid": s.peer.clone().unwrap_or_else(|| rng.uuid()),
            "ip": if s.product == Product::Fmc { "10.10.1.21" } else { "10.10.1.5" },
        }]})
        .to_string(),
    )?;
    // Incompressible binary noise, as real bundles carry rrd files and cores.
    if !s.lean {
        t.write(
            &format!("{da}/var-sf-rrd/LocalCpu0Usage.rrd"),
            rng.bytes(12 * 1024),
        )?;
    }
    // A path over 100 characters (GNU long name / ustar prefix / pax path).
    t.write(
        &format!("{da}/opt-cisco-platform-logs/sfhealth/archive/2020-04/health_alert_history_detailed_snapshot_0001.log"),
        "health: all modules green\n",
    )?;
    // A dangling absolute symlink, as /etc/localtime is on the device.
    let lt = t.root.join(format!("{da}/etc/localtime"));
    if fs::symlink_metadata(&lt).is_err() {
        std::os::unix::fs::symlink(format!("/usr/share/zoneinfo/{}", s.zone), lt)?;
    }
    if s.tricky_fs {
        // A non-UTF-8 (Latin-1) file name, which real bundles can hold.
        let sf = t.root.join(format!("{da}/var-log/sf"));
        fs::create_dir_all(&sf)?;
        let mut name = sf.into_os_string();
        name.push("/");
        name.push(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9-export.txt"));
        fs::write(PathBuf::from(name), "exported\n")?;
    }
    Ok(top)
}

// ---------------------------------------------------------------------------------------------
// Cases (multi-device wrappers) and expectations.
// ---------------------------------------------------------------------------------------------

fn device_expectation(s: &Scenario, foreign: &[&'static str], fmc: Option<&Scenario>) -> Value {
    let fires = fired(s, fmc);
    let (roots, symptoms) = classify(&fires, foreign);
    let silent: Vec<&str> = ALL_RULES
        .iter()
        .copied()
        .filter(|r| !fires.contains(r))
        .collect();
    json!({
        "product": if s.product == Product::Fmc { "FMC" } else { "FTD" },
        "name": s.hostname,
        "version": format!("{} (build {})", s.version, s.build),
        "root_causes": roots,
        "symptoms": symptoms,
        "silent": silent,
    })
}

/// Alternate packings `generate.sh` makes of some scenarios: (file name, scenario).
const ALTERNATES: [(&str, &str); 6] = [
    ("healthy-fmc.zip", "healthy-fmc"),
    ("healthy-ftd.tar", "healthy-ftd"),
    ("tls-interception.zip", "tls-interception"),
    ("zeromq-endpoint-missing.tar", "zeromq-endpoint-missing"),
    ("ip-allowlist.tgz", "ip-allowlist"),
    ("extracted/healthy-ftd", "healthy-ftd"),
];

/// Wrappers: (wrapper file, [(scenario, inner file name)]). The inner names encode the packing
/// (`.tar.gz` or `.zip`) for generate.sh.
fn cases(by_name: &BTreeMap<&str, &Scenario>) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let fmc = by_name["license-evaluation"];
    let ftd = by_name["connector-disabled"];
    let dns = by_name["dns-failure"];
    let chain = by_name["socket-disconnected-managed"];
    let hfmc = by_name["healthy-fmc"];
    let loose_fmc = by_name["_loose-licence-fmc"];
    vec![
        // Two extracted bundles in host folders, as a customer tars them (bundle-format §6).
        (
            "case-host-folders.tgz",
            vec![
                ("license-evaluation", "FMC1/".to_string()),
                ("connector-disabled", "ftd2/".to_string()),
            ],
        ),
        // Bundles plus loose files the customer saved beside them (see case_extras).
        (
            "case-loose.zip",
            vec![
                (
                    "_loose-licence-fmc",
                    format!(
                        "{}.tar.gz",
                        results_name(loose_fmc.collected, loose_fmc.off_min)
                    ),
                ),
                ("dns-failure", format!("{}-troubleshoot.tar.gz", dns.uuid)),
            ],
        ),
        // The same FTD twice: the upload and its re-upload after the fix; only the newest counts.
        (
            "case-reupload.tar",
            vec![
                ("dns-failure", format!("{}-troubleshoot.tar.gz", dns.uuid)),
                (
                    "_dns-failure-reupload",
                    format!("{}-troubleshoot-reupload.tar.gz", dns.uuid),
                ),
            ],
        ),
        (
            "case-fmc-ftd.tar",
            vec![
                (
                    "license-evaluation",
                    format!("{}.tar.gz", results_name(fmc.collected, fmc.off_min)),
                ),
                (
                    "connector-disabled",
                    format!("{}-troubleshoot.tar.gz", ftd.uuid),
                ),
            ],
        ),
        (
            "case-fmc-ftd-chain.tar",
            vec![
                (
                    "license-evaluation",
                    format!("{}.tar.gz", results_name(fmc.collected, fmc.off_min)),
                ),
                (
                    "socket-disconnected-managed",
                    format!("{}-troubleshoot.tar.gz", chain.uuid),
                ),
            ],
        ),
        // Three FMCs and five FTDs: each FTD matched by what its show managers names, one with
        // no show managers (unmatched beside several FMCs), one managed by a cdFMC.
        (
            "case-managers.tar",
            [
                "_mgr-fmc-east",
                "_mgr-fmc-west",
                "_mgr-fmc-lab",
                "_mgr-ftd-by-host",
                "_mgr-ftd-by-address",
                "_mgr-ftd-by-id",
                "_mgr-ftd-unmatched",
                "_mgr-ftd-elsewhere",
            ]
            .into_iter()
            .map(|n| (n, format!("{}-troubleshoot.tar.gz", by_name[n].hostname)))
            .collect(),
        ),
        // One FMC: the FTD without show managers is the only FMC's, the cdFMC's FTD is not.
        (
            "case-manager-elsewhere.tar",
            ["_mgr-fmc-west", "_mgr-ftd-unmatched", "_mgr-ftd-elsewhere"]
                .into_iter()
                .map(|n| (n, format!("{}-troubleshoot.tar.gz", by_name[n].hostname)))
                .collect(),
        ),
        (
            "case-mixed.zip",
            vec![
                (
                    "healthy-fmc",
                    format!(
                        "{}-{}.tar.gz",
                        hfmc.hostname,
                        results_name(hfmc.collected, hfmc.off_min)
                    ),
                ),
                ("dns-failure", format!("{}-troubleshoot.zip", dns.hostname)),
            ],
        ),
    ]
}

/// Loose files of the wrappers (file name → content), written to `cases/<wrapper>.extra/` for
/// generate.sh to put beside the bundles.
fn case_extras(by_name: &BTreeMap<&str, &Scenario>) -> Vec<(&'static str, Vec<(String, String)>)> {
    let fmc = by_name["license-evaluation"];
    let dns = by_name["dns-failure"];
    let mut rng = Rng(0x10053);
    let licence = fmc.license.as_ref().expect("licence");
    let (curl_name, curl_body) = curl_text(
        Curl::Ok(dns.region.api()),
        dns.region,
        dns.prefix(),
        dns.collected - 600,
    );
    vec![(
        "case-loose.zip",
        vec![
            // Names no device: licence settings go to the case's one FMC.
            (
                "license_status.json".to_string(),
                license_text(licence, &mut rng),
            ),
            // Names the FTD by host name.
            (
                format!("{}-{}", dns.hostname, curl_name.replace(' ', "_")),
                curl_body,
            ),
            (
                "notes.txt".to_string(),
                "customer: uploaded both boxes, FTD first\n".to_string(),
            ),
        ],
    )]
}

/// Which devices a wrapper holds: those of its members, but for re-uploads (the same appliance
/// twice), where only the newest collection is a device.
fn devices_of<'a>(
    members: &'a [(&'static str, String)],
    by_name: &BTreeMap<&str, &Scenario>,
) -> Vec<&'a (&'static str, String)> {
    let mut kept: Vec<&(&'static str, String)> = Vec::new();
    for m in members {
        let s = by_name[m.0];
        match kept.iter().position(|k| by_name[k.0].uuid == s.uuid) {
            Some(at) if by_name[kept[at].0].collected <= s.collected => kept[at] = m,
            Some(_) => {}
            None => kept.push(m),
        }
    }
    kept
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: gen_testdata <OUT_DIR>")?;
    generate(&out)
}

/// Writes everything listed at the top into `out` (`tests/testdata.rs` runs this too, to check
/// that the committed bundles are still what the generator makes).
pub fn generate(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let all = scenarios();
    let by_name: BTreeMap<&str, &Scenario> = all.iter().map(|s| (s.name, s)).collect();
    assert_eq!(by_name.len(), all.len(), "scenario names are unique");

    let mut expected = serde_json::Map::new();
    for s in &all {
        let dir = out.join("trees").join(s.name);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        write_tree(s, &dir)?;
        expected.insert(s.name.to_owned(), device_expectation(s, &[], None));
    }
    fs::write(
        out.join("expected.json"),
        serde_json::to_string_pretty(&Value::Object(expected.clone()))? + "\n",
    )?;

    // Bundle-level expectations: `<scenario>.tar.gz` for every scenario, the alternates, and per
    // device of each wrapper (keyed by inner file name).
    let mut bundles = serde_json::Map::new();
    for s in all.iter().filter(|s| !s.name.starts_with('_')) {
        bundles.insert(format!("{}.tar.gz", s.name), expected[s.name].clone());
    }
    for (file, scen) in ALTERNATES {
        bundles.insert(file.to_owned(), expected[scen].clone());
    }
    fs::create_dir_all(out.join("cases"))?;
    for (wrapper, members) in cases(&by_name) {
        // Findings of an FMC may explain findings on the FTDs it manages (expected_management
        // says which FMC that is), not on FDM-managed or unmatched ones.
        let case_fmcs: Vec<&Scenario> = members
            .iter()
            .map(|(n, _)| by_name[n])
            .filter(|s| s.product == Product::Fmc)
            .collect();
        let mut devices = serde_json::Map::new();
        let mut list = String::new();
        for (scen, inner) in devices_of(&members, &by_name) {
            let s = by_name[scen];
            let (fmc, management) = if s.product == Product::Ftd && !case_fmcs.is_empty() {
                let (fmc, m) = expected_management(s, &case_fmcs);
                (fmc, Some(m))
            } else {
                (None, None)
            };
            let foreign: Vec<&'static str> = fmc.map(|f| f.fires.clone()).unwrap_or_default();
            let mut want = device_expectation(s, &foreign, fmc);
            if let Some(m) = management {
                want["management"] = m;
            }
            // A host folder (`FMC1/`) is keyed by its name.
            devices.insert(inner.trim_end_matches('/').to_string(), want);
        }
        for (scen, inner) in &members {
            list.push_str(&format!("{scen} {inner}\n"));
        }
        bundles.insert(wrapper.to_owned(), Value::Object(devices));
        fs::write(out.join("cases").join(format!("{wrapper}.list")), list)?;
    }
    for (wrapper, files) in case_extras(&by_name) {
        let dir = out.join("cases").join(format!("{wrapper}.extra"));
        fs::create_dir_all(&dir)?;
        for (name, body) in files {
            fs::write(dir.join(name), body)?;
        }
    }
    fs::write(
        out.join("expected-bundles.json"),
        serde_json::to_string_pretty(&Value::Object(bundles))? + "\n",
    )?;
    let mut list = String::new();
    for (_, before, after) in DIFFS {
        for file in before.iter().chain(after) {
            if let Some(f) = file.strip_prefix("diff/")
                && !list.contains(f)
            {
                list.push_str(&format!("{} {f}\n", scenario_of_file(file, &by_name).name));
            }
        }
    }
    fs::write(out.join("diff.list"), list)?;
    fs::write(
        out.join("expected-diffs.json"),
        serde_json::to_string_pretty(&diff_expectations(&by_name))? + "\n",
    )?;
    Ok(())
}
