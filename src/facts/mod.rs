//! The typed device model: what each device in an upload is, and what its bundle says.
//!
//! The collector ([`collect::Collector`]) receives members from ingest, groups them by device root,
//! classifies them with the artifact map, parses them and runs the line matcher over logs;
//! [`case`] decides which roots are devices and where loose files go, and [`derive`] turns what
//! was parsed into named, typed facts (the names the packs declare), each with the evidence
//! it came from. Rules read facts and line hits, never bundle paths.

mod case;
pub mod collect;
mod derive;
mod extract;
pub mod hits;
pub mod managers;
pub mod regions;
pub mod registry;
mod unit;

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

use crate::artifacts::ArtifactKind;
use crate::ingest::{Damage, Warning};
use crate::version::{Product, Version};
pub use hits::{AddrOutcome, ContextLine, HitAgg, HitKey, HitSample, LineHits};

/// The earlier of two optional times; a known time wins over an unknown one.
pub fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// The later of two optional times; a known time wins over an unknown one.
pub fn latest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    a.max(b)
}

/// A fact's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    Bool(bool),
    Int(i64),
    Text(String),
    Version(Version),
    List(Vec<String>),
    /// Seconds.
    Duration(i64),
    /// One record per row, block or match, in document order.
    Records(Vec<Record>),
}

/// One record of a `records` fact: typed fields, and the line it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: BTreeMap<String, FactValue>,
    /// 1-based line in its member, when it has one.
    pub line: Option<u32>,
    /// Its member, once the records of several members of a kind are one fact (None: the
    /// member of the fact's evidence).
    pub path: Option<String>,
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.fields.serialize(s)
    }
}

impl FactValue {
    /// Whether the value is of the declared type (a record's fields of their declared types).
    pub fn fits(&self, decl: &crate::artifacts::FactDecl) -> bool {
        use crate::artifacts::FactType as T;
        match (self, decl.ty) {
            (FactValue::Records(records), T::Records) => records.iter().all(|r| {
                r.fields
                    .iter()
                    .all(|(name, v)| decl.field(name).is_some_and(|f| v.type_of() == Some(f.ty)))
            }),
            (v, ty) => v.type_of() == Some(ty),
        }
    }

    /// The type of a scalar or list value (records: [`crate::artifacts::FactType::Records`]).
    pub fn type_of(&self) -> Option<crate::artifacts::FactType> {
        use crate::artifacts::FactType as T;
        Some(match self {
            FactValue::Bool(_) => T::Bool,
            FactValue::Int(_) => T::Int,
            FactValue::Text(_) => T::Text,
            FactValue::Version(_) => T::Version,
            FactValue::List(_) => T::List,
            FactValue::Duration(_) => T::Duration,
            FactValue::Records(_) => T::Records,
        })
    }

    /// The value as JSON, for templates (`record.mount`) and the JSON report.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Serialize for FactValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FactValue::Bool(b) => s.serialize_bool(*b),
            FactValue::Int(i) | FactValue::Duration(i) => s.serialize_i64(*i),
            FactValue::Text(t) => s.serialize_str(t),
            FactValue::Version(v) => s.serialize_str(&v.to_string()),
            FactValue::List(l) => l.serialize(s),
            FactValue::Records(r) => r.serialize(s),
        }
    }
}

impl schemars::JsonSchema for FactValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FactValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // As `Serialize` writes it: a version is its text, a duration its seconds, a list a list
        // of texts, records a list of objects of typed fields.
        schemars::json_schema!({
            "description": "A fact's value: a boolean, an integer (durations in seconds), a text (versions too), a list of texts, or records (a list of objects whose fields are booleans, integers or texts).",
            "anyOf": [
                {"type": "boolean"},
                {"type": "integer"},
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "array", "items": {
                    "type": "object",
                    "additionalProperties": {"type": ["boolean", "integer", "string"]}
                }}
            ]
        })
    }
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Int(i) => write!(f, "{i}"),
            FactValue::Duration(s) => write!(f, "{s}s"),
            FactValue::Text(t) => f.write_str(t),
            FactValue::Version(v) => write!(f, "{v}"),
            FactValue::List(l) => f.write_str(&l.join(", ")),
            FactValue::Records(records) => {
                for (i, r) in records.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    f.write_str("{")?;
                    for (j, (k, v)) in r.fields.iter().enumerate() {
                        if j > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{k}: {v}")?;
                    }
                    f.write_str("}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where a fact or a finding comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Member path, prefixed by enclosing archives joined with `!/`.
    pub path: String,
    /// 1-based line; None when the evidence is not a line.
    pub line: Option<u32>,
    /// The line's text (capped), if any.
    pub text: Option<String>,
}

/// A fact with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub value: FactValue,
    pub evidence: Option<Evidence>,
}

/// An artifact found in a device bundle.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ArtifactRef {
    pub path: String,
    /// An artifact kind's name (`connector-log`, …).
    #[schemars(with = "String")]
    pub kind: ArtifactKind,
    pub size: u64,
}

/// One device bundle of the case.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    /// Appliance UUID, else the bundle's path in the case.
    pub id: String,
    pub product: Product,
    pub name: String,
    pub version: Option<String>,
    /// Where the bundle is (input file, then enclosing archives joined with `!/`).
    pub bundle: String,
    /// "Now" for this device: the later of the bundle's own time stamp (its wall clock, in its
    /// zone) and its newest timestamped log line; none when the bundle holds no time at all.
    pub collected_at: Option<Timestamp>,
    /// The device's time zone (an IANA name, or where a copy of its zone file was read); none:
    /// syslog times were read as UTC.
    pub time_zone: Option<String>,
    /// True when the archive holding this device is damaged (truncated or corrupt).
    pub damaged: bool,
    /// Other copies of this appliance in the case (older collections), not analysed.
    pub duplicates: Vec<String>,
    /// Index of the input (command-line argument) the device was read from.
    #[serde(skip)]
    pub input: usize,
    /// The inventory, at most `Limits::inventory_rows` long.
    pub artifacts: Vec<ArtifactRef>,
    /// Artifacts read but not listed in `artifacts` (over `Limits::inventory_rows`).
    pub artifacts_omitted: u64,
    /// Every artifact kind read, listed or not: what `has_artifact` answers from.
    #[serde(skip)]
    pub kinds: std::collections::BTreeSet<ArtifactKind>,
    pub facts: BTreeMap<String, Fact>,
    #[serde(skip)]
    pub hits: LineHits,
    /// Connections per address read from snapshot artifacts (curl tests), for `mixed_outcomes`.
    #[serde(skip)]
    pub outcomes: Vec<AddrOutcome>,
    /// Index of the FMC in the case whose licence and cloud settings apply to this FTD.
    pub managed_by: Option<usize>,
}

impl Device {
    /// A device with nothing read: the start of a test's fixture.
    #[cfg(test)]
    pub(crate) fn blank(id: &str, product: Product) -> Device {
        Device {
            id: id.into(),
            product,
            name: id.into(),
            version: None,
            bundle: String::new(),
            collected_at: None,
            time_zone: None,
            damaged: false,
            duplicates: Vec::new(),
            input: 0,
            artifacts: Vec::new(),
            artifacts_omitted: 0,
            kinds: Default::default(),
            facts: BTreeMap::new(),
            hits: LineHits::default(),
            outcomes: Vec::new(),
            managed_by: None,
        }
    }

    pub fn has_artifact(&self, kind: ArtifactKind) -> bool {
        self.kinds.contains(&kind) || self.artifacts.iter().any(|a| a.kind == kind)
    }

    pub fn fact(&self, name: &str) -> Option<&Fact> {
        self.facts.get(name)
    }
}

/// Why a loose file (one outside every device root) belongs where it does (bundle-format §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LooseReason {
    /// Its name or first lines name the device (appliance UUID or a host name).
    NamesDevice,
    /// Licence or cloud settings, which live on the case's one FMC.
    ManagerSetting,
    /// The case holds one device.
    OnlyDevice,
    /// None of the above: listed, read by no rule.
    NotAttached,
}

/// An artifact found outside every device root: a JSON or curl transcript the customer saved
/// beside the bundles.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LooseFile {
    pub path: String,
    #[schemars(with = "String")]
    pub kind: ArtifactKind,
    /// The device (id) it was attached to.
    pub attached_to: Option<String>,
    pub reason: LooseReason,
}

/// Everything read from one case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub inputs: Vec<String>,
    pub devices: Vec<Device>,
    /// Artifacts outside every device root, and where each went.
    pub loose_files: Vec<LooseFile>,
    /// Loose files not listed (over `Limits::inventory_rows`).
    pub loose_files_omitted: u64,
    /// Archives that are truncated or corrupt: the upload is partial.
    pub damage: Vec<Damage>,
    /// At most `Limits::warnings_per_code` warnings of each code, then one that counts the rest.
    pub warnings: Vec<Warning>,
    /// How many warnings of each code there were in all.
    pub warning_counts: BTreeMap<String, u64>,
    /// Inputs that could not be read at all.
    pub errors: Vec<String>,
    /// Error-level log lines no rule's pattern matched, as templates.
    pub unexplained: crate::mining::Unexplained,
}
