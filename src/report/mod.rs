//! One report model, rendered as HTML, Markdown or JSON.
//!
//! The model leads with the answer (the verdict: root causes with their fixes), then findings
//! with evidence and their symptoms nested, the devices, a timeline of log problems, the checks
//! that lacked data, and what was read. JSON is the model serialised (the machine interface, with
//! a `schema_version`); HTML and Markdown are minijinja templates from `report-templates/`,
//! embedded as defaults and overridable from a folder. Autoescape follows the template's
//! extension, so everything from a bundle is escaped in HTML and in Markdown ([`escape`]);
//! before any format is rendered, control and invisible bidi characters in the model are made
//! visible (`<U+202E>`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use minijinja::{Environment, value::Serde};
use serde::Serialize;
use thiserror::Error;

mod chart;
pub mod escape;
pub mod i18n;
pub mod outfile;
pub mod redact;
pub mod schema;
pub mod terminal;

use crate::facts::{Device, FactValue};
use crate::i18n::Lang;
use crate::ingest::Warning;
use crate::rules::{Finding, NotEvaluated, Passed, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));

/// Version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
}

impl Format {
    /// From an output file's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "md" | "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("template {name}: {source}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// A root cause in one line, with its fix.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VerdictItem {
    pub finding: String,
    pub severity: Severity,
    pub title: String,
    pub device_name: String,
    pub message: String,
    pub remediation: String,
    pub symptoms: usize,
}

/// A device's row in the devices table.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeviceRow {
    pub id: String,
    pub product: String,
    pub name: String,
    pub version: String,
    pub region: String,
    pub licence: String,
    pub cloud_events: String,
    pub sseconnector: String,
    pub eventhandler: String,
    pub socket: String,
    pub connector_tcp: String,
    pub bundle: String,
    pub collected_at: Option<Timestamp>,
    /// The zone its syslog was read in; none: UTC, for the bundle names none.
    pub time_zone: Option<String>,
    /// Its archive is truncated or corrupt.
    pub damaged: bool,
    /// Other copies of this appliance in the case, not analysed (older collections).
    pub duplicates: Vec<String>,
    pub managed_by: Option<String>,
    /// For an FTD of a case that holds an FMC: which FMC manages it and how that was found, or
    /// why none does (cli-contract.md, "Root-cause relations: scope").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<ManagementRow>,
    pub artifacts: Vec<crate::facts::ArtifactRef>,
    /// Artifacts read but not listed (over `--max-inventory-rows`).
    pub artifacts_omitted: u64,
    pub facts: BTreeMap<String, FactValue>,
}

/// Which FMC of the case manages an FTD, and how its `show managers` led there.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ManagementRow {
    /// The managing FMC's device id and name; none when no FMC of the case manages the FTD.
    pub fmc: Option<String>,
    pub fmc_name: Option<String>,
    /// How the FMC was matched: `identifier` (its appliance UUID), `host-name`, `address` (one
    /// of its management addresses), or `only-fmc` (nothing tells, the case's only FMC).
    pub matched_by: Option<crate::facts::managers::MatchedBy>,
    /// Why no FMC of the case manages it: `other-manager` (show managers names a manager that
    /// is not in the case), `no-fmc-named` (several FMCs, none named), `managed-locally` (FDM),
    /// `no-manager` (never registered).
    pub not_matched: Option<crate::facts::managers::Unmatched>,
    /// The managers its `show managers` names (host, else display name, else identifier).
    pub named: Vec<String>,
}

fn management_row(link: &crate::facts::managers::Link, devices: &[Device]) -> ManagementRow {
    use crate::facts::managers::Management;
    let (fmc, matched_by, not_matched) = match link.management {
        Management::Managed { fmc, by } => (devices.get(fmc), Some(by), None),
        Management::NotManaged(why) => (None, None, Some(why)),
    };
    ManagementRow {
        fmc: fmc.map(|f| f.id.clone()),
        fmc_name: fmc.map(|f| f.name.clone()),
        matched_by,
        not_matched,
        named: link.named.clone(),
    }
}

/// A dated event of a log-derived finding.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub time: Timestamp,
    pub event: &'static str,
    pub finding: String,
    pub title: String,
    pub device_name: String,
    pub count: u64,
}

/// Problem lines of one device and SSE host over time: the timeline's picture. Every row of a
/// report shares one axis (`start`, `bucket_seconds`, as many buckets).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Activity {
    pub device: String,
    pub device_name: String,
    /// The SSE host the lines concern; none: lines that name no host.
    pub host: Option<String>,
    pub start: Timestamp,
    pub bucket_seconds: i64,
    /// Lines per bucket: the most that any one finding's problem patterns matched there (two
    /// rules matching the same line count it once). Drawn from each pattern's newest 4096 stamps.
    pub buckets: Vec<u64>,
}

/// Buckets of the timeline's axis.
const BUCKETS: i64 = 48;

/// Per device and host, the problem lines of the findings over one axis from the earliest to
/// the latest time of the report (log lines, findings, collection times).
fn activity(findings: &[Finding], devices: &[Device]) -> Vec<Activity> {
    let stamps = || {
        findings
            .iter()
            .flat_map(|f| f.evidence.iter().flat_map(|e| e.stamps.iter().copied()))
    };
    let times = findings
        .iter()
        .flat_map(|f| [f.first_seen, f.last_seen, f.recovered_at])
        .flatten()
        .map(|t| t.as_second())
        .chain(stamps());
    let (Some(lo), Some(hi)) = (times.clone().min(), times.max()) else {
        return Vec::new();
    };
    if stamps().next().is_none() {
        return Vec::new();
    }
    // The collection times of the devices drawn: another device's would stretch the axis.
    let drawn: std::collections::BTreeSet<usize> = findings
        .iter()
        .filter(|f| f.first_seen.is_some())
        .map(|f| f.device_index)
        .collect();
    let collected = devices
        .iter()
        .enumerate()
        .filter(|(i, _)| drawn.contains(i))
        .filter_map(|(_, d)| d.collected_at)
        .map(|t| t.as_second());
    let (lo, hi) = (
        lo.min(collected.clone().min().unwrap_or(lo)),
        hi.max(collected.max().unwrap_or(hi)),
    );
    let bucket = ((hi - lo) / BUCKETS + 1).max(1);
    let Ok(start) = Timestamp::from_second(lo) else {
        return Vec::new();
    };
    let mut rows: BTreeMap<(usize, Option<String>), Vec<u64>> = BTreeMap::new();
    for f in findings {
        let mut mine: BTreeMap<Option<String>, Vec<u64>> = BTreeMap::new();
        for e in &f.evidence {
            if e.stamps.is_empty() {
                continue;
            }
            let row = mine
                .entry(e.host.clone())
                .or_insert_with(|| vec![0; BUCKETS as usize]);
            for &s in &e.stamps {
                let at = (((s - lo) / bucket) as usize).min(BUCKETS as usize - 1);
                row[at] += 1;
            }
        }
        for (host, row) in mine {
            let all = rows
                .entry((f.device_index, host))
                .or_insert_with(|| vec![0; BUCKETS as usize]);
            for (a, b) in all.iter_mut().zip(row) {
                *a = (*a).max(b);
            }
        }
    }
    rows.into_iter()
        .filter_map(|((index, host), buckets)| {
            let device = devices.get(index)?;
            Some(Activity {
                device: device.id.clone(),
                device_name: device.name.clone(),
                host,
                start,
                bucket_seconds: bucket,
                buckets,
            })
        })
        .collect()
}

/// The tool and rule pack that produced a report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Provenance {
    pub tool: &'static str,
    pub version: &'static str,
    pub rules: usize,
    pub rule_origins: Vec<String>,
}

/// The report model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub provenance: Provenance,
    pub inputs: Vec<String>,
    /// Truncated or corrupt archives: the upload is partial, and the verdict rests on what was
    /// read. Reported before the verdict.
    pub damage: Vec<crate::ingest::Damage>,
    pub verdict: Vec<VerdictItem>,
    pub findings: Vec<Finding>,
    pub devices: Vec<DeviceRow>,
    pub timeline: Vec<TimelineEntry>,
    /// Problem lines over time, per device and host (the timeline's picture).
    pub activity: Vec<Activity>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Checks that ran and did not fire, per device in rule order.
    pub checks_passed: Vec<Passed>,
    /// Artifacts outside every device root, and the device each was attached to (if any).
    pub loose_files: Vec<crate::facts::LooseFile>,
    /// Loose files not listed (over `--max-inventory-rows`).
    pub loose_files_omitted: u64,
    /// At most `--max-warnings-per-code` of each code, then one warning counting the rest.
    pub warnings: Vec<Warning>,
    /// How many warnings of each code there were in all.
    pub warning_counts: BTreeMap<String, u64>,
    pub errors: Vec<String>,
    /// Error-level log lines no rule's pattern matched, as templates (most lines first).
    pub unexplained: crate::mining::Unexplained,
}

fn fact(device: &Device, name: &str) -> Option<String> {
    device.fact(name).map(|f| f.value.to_string())
}

fn device_row(
    device: &Device,
    devices: &[Device],
    link: Option<&crate::facts::managers::Link>,
) -> DeviceRow {
    let inherited = |name: &str| {
        fact(device, name).or_else(|| {
            device
                .managed_by
                .and_then(|m| devices.get(m))
                .and_then(|m| fact(m, name))
                .map(|v| format!("{v} (FMC)"))
        })
    };
    let licence = match (
        inherited("license.registration"),
        inherited("license.authorization"),
    ) {
        (Some(r), Some(a)) => format!("{r} / {a}"),
        (Some(r), None) => r,
        (None, Some(a)) => a,
        (None, None) => "—".into(),
    };
    let tcp = match (
        fact(device, "connector.tcp.established"),
        fact(device, "connector.tcp.syn_sent"),
    ) {
        (Some(e), Some(s)) => format!("{e} established, {s} SYN_SENT"),
        _ => "—".into(),
    };
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    DeviceRow {
        id: device.id.clone(),
        product: device.product.as_str().to_string(),
        name: device.name.clone(),
        version: dash(device.version.clone()),
        region: dash(fact(device, "sse.region")),
        licence,
        cloud_events: dash(
            inherited("cloud.events.enabled")
                .map(|v| v.replace("true", "on").replace("false", "off")),
        ),
        sseconnector: dash(fact(device, "pmtool.sseconnector.state")),
        eventhandler: dash(fact(device, "pmtool.eventhandler.state")),
        socket: dash(fact(device, "sockets.eventhandler.state")),
        connector_tcp: tcp,
        bundle: device.bundle.clone(),
        collected_at: device.collected_at,
        time_zone: device.time_zone.clone(),
        damaged: device.damaged,
        duplicates: device.duplicates.clone(),
        managed_by: device
            .managed_by
            .and_then(|m| devices.get(m))
            .map(|m| m.name.clone()),
        management: link.map(|l| management_row(l, devices)),
        artifacts: device.artifacts.clone(),
        artifacts_omitted: device.artifacts_omitted,
        facts: device
            .facts
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect(),
    }
}

/// How many findings the report nests under `id`, at any depth: each symptom sits under the first
/// (nearest) of its causes, so a cause's symptoms and theirs form a tree below it.
fn nested_under(findings: &[Finding], id: &str) -> usize {
    // The rules' `explains` form no cycle (lint), but a visited set keeps this finite anyway.
    let mut seen = std::collections::BTreeSet::from([id]);
    let mut parents = vec![id];
    while let Some(parent) = parents.pop() {
        for f in findings {
            if f.explained_by.first().map(String::as_str) == Some(parent) && seen.insert(&f.id) {
                parents.push(&f.id);
            }
        }
    }
    seen.len() - 1
}

/// The warning code of a rule (or artifact definition) given with `--rules` that did not load.
pub const RULE_NOT_LOADED: &str = "rule-not-loaded";

/// The rule set's load errors as report warnings: the check they would have made is missing.
fn rule_problems(rules: &crate::rules::RuleSet) -> impl Iterator<Item = Warning> + '_ {
    rules.problems.iter().map(|d| Warning {
        code: RULE_NOT_LOADED,
        path: d.file.clone(),
        message: format!(
            "{}:{}: {} [{}]; left out, so its check is not in this report",
            d.line, d.column, d.message, d.code
        ),
    })
}

impl Report {
    /// Builds the model of one analysis: the case, the findings on it and the checks that
    /// could not be evaluated.
    pub fn new(
        case: &crate::facts::Case,
        findings: &[Finding],
        not_evaluated: &[NotEvaluated],
        passed: &[Passed],
        rules: &crate::rules::RuleSet,
    ) -> Report {
        let findings = findings.to_vec();
        let verdict = findings
            .iter()
            .filter(|f| f.root_cause)
            .map(|f| VerdictItem {
                finding: f.id.clone(),
                severity: f.severity,
                title: f.title.clone(),
                device_name: f.device_name.clone(),
                message: f.message.clone(),
                remediation: f.remediation.clone(),
                symptoms: nested_under(&findings, &f.id),
            })
            .collect();
        let mut timeline = Vec::new();
        for f in &findings {
            let base = |time, event| TimelineEntry {
                time,
                event,
                finding: f.id.clone(),
                title: f.title.clone(),
                device_name: f.device_name.clone(),
                count: f.count,
            };
            if let Some(t) = f.first_seen {
                timeline.push(base(t, "started"));
            }
            if let Some(t) = f.last_seen
                && Some(t) != f.first_seen
            {
                timeline.push(base(t, "last seen"));
            }
            if let Some(t) = f.recovered_at {
                timeline.push(base(t, "recovered"));
            }
        }
        timeline.sort_by(|a, b| a.time.cmp(&b.time).then(a.finding.cmp(&b.finding)));
        let mut origins: Vec<String> = rules
            .rules
            .iter()
            .map(|r| {
                if r.origin.starts_with("built-in:") {
                    "built-in".to_string()
                } else {
                    r.origin.clone()
                }
            })
            .collect();
        origins.sort();
        origins.dedup();
        let activity = activity(&findings, &case.devices);
        Report {
            schema_version: SCHEMA_VERSION,
            provenance: Provenance {
                tool: "fptriage",
                version: env!("CARGO_PKG_VERSION"),
                rules: rules.rules.len(),
                rule_origins: origins,
            },
            inputs: case.inputs.clone(),
            damage: case.damage.clone(),
            verdict,
            findings,
            devices: {
                // The case's match (facts::managers), shown for FTDs beside an FMC.
                let with_fmc = case
                    .devices
                    .iter()
                    .any(|d| d.product == crate::version::Product::Fmc);
                let links = crate::facts::managers::links(&case.devices, &rules.domain);
                case.devices
                    .iter()
                    .zip(&links)
                    .map(|(d, l)| device_row(d, &case.devices, l.as_ref().filter(|_| with_fmc)))
                    .collect()
            },
            timeline,
            activity,
            not_evaluated: not_evaluated.to_vec(),
            checks_passed: passed.to_vec(),
            loose_files: case.loose_files.clone(),
            loose_files_omitted: case.loose_files_omitted,
            warnings: rule_problems(rules)
                .chain(case.warnings.iter().cloned())
                .collect(),
            warning_counts: {
                let mut counts = case.warning_counts.clone();
                if !rules.problems.is_empty() {
                    *counts.entry(RULE_NOT_LOADED.to_string()).or_default() +=
                        rules.problems.len() as u64;
                }
                counts
            },
            errors: case.errors.clone(),
            unexplained: case.unexplained.clone(),
        }
    }

    /// Renders the report; `templates` overrides any embedded template by file name.
    pub fn render(&self, format: Format, templates: Option<&Path>) -> Result<String, ReportError> {
        render(&serde_json::to_value(self)?, format, templates)
    }

    /// As [`Report::render`], the report's own words in `lang`.
    pub fn render_in(
        &self,
        format: Format,
        templates: Option<&Path>,
        lang: Lang,
    ) -> Result<String, ReportError> {
        render_named_in(
            &serde_json::to_value(self)?,
            "report",
            format,
            templates,
            lang,
        )
    }

    /// The model as JSON with private data replaced (see [`redact`]); render it with [`render`].
    pub fn redacted(
        &self,
        redactor: &mut redact::Redactor,
    ) -> Result<serde_json::Value, ReportError> {
        redactor.keep_readable(
            self.findings
                .iter()
                .map(|f| f.rule.as_str())
                .chain(self.not_evaluated.iter().map(|n| n.rule.as_str())),
        );
        // The redactor learns the case's private values (device names and ids, private facts,
        // input and bundle paths) from the model itself, then replaces them everywhere.
        let mut model = serde_json::to_value(self)?;
        redactor.value(&mut model);
        Ok(model)
    }
}

/// Renders a report model (possibly redacted) in `format`.
pub fn render(
    model: &serde_json::Value,
    format: Format,
    templates: Option<&Path>,
) -> Result<String, ReportError> {
    render_named(model, "report", format, templates)
}

/// Renders a model with the templates `<base>.html` / `<base>.md` (`report`, `diff`), or as JSON.
pub fn render_named(
    model: &serde_json::Value,
    base: &str,
    format: Format,
    templates: Option<&Path>,
) -> Result<String, ReportError> {
    render_named_in(model, base, format, templates, Lang::En)
}

/// As [`render_named`], the templates' own words in `lang` ([`i18n`]).
pub fn render_named_in(
    model: &serde_json::Value,
    base: &str,
    format: Format,
    templates: Option<&Path>,
    lang: Lang,
) -> Result<String, ReportError> {
    // Every string of the model comes from a bundle or is mixed with one: the whole model is
    // made visible at once, so no format (and no new field) can miss it.
    let mut model = model.clone();
    escape::visible_value(&mut model);
    if format == Format::Json {
        return Ok(serde_json::to_string_pretty(&model)? + "\n");
    }
    let name = if format == Format::Html {
        format!("{base}.html")
    } else {
        format!("{base}.md")
    };
    let mut env = environment(templates.map(Path::to_path_buf));
    i18n::install(&mut env, lang);
    let template = env
        .get_template(&name)
        .map_err(|source| ReportError::Template {
            name: name.clone(),
            source,
        })?;
    // The report's HTML draws its timeline from coordinates laid out here, from the model as
    // rendered (redacted names stay redacted).
    let chart = (base == "report" && format == Format::Html)
        .then(|| chart::chart(&model, lang))
        .flatten();
    template
        .render(minijinja::context! { report => Serde(&model), chart => Serde(&chart) })
        .map_err(|source| ReportError::Template { name, source })
}

/// The template environment: a user folder first, then the embedded defaults.
pub(crate) fn environment(folder: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    let dir_loader = folder.map(minijinja::path_loader);
    env.set_loader(move |name| {
        if let Some(load) = &dir_loader
            && let Some(source) = load(name)?
        {
            return Ok(Some(source));
        }
        Ok(BUILTIN_TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| minijinja::TemplateSource::new(*s)))
    });
    env.add_filter("ts", |t: Option<String>| -> String {
        // RFC 3339 in UTC, to the second: readable, and comparable across devices.
        t.and_then(|s| s.parse::<Timestamp>().ok())
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "—".into())
    });
    // Markdown templates are autoescaped like HTML ones: every value printed is literal text,
    // unless a filter below marks it as already escaped.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".md") {
            minijinja::AutoEscape::Custom("markdown".into())
        } else {
            minijinja::default_auto_escape_callback(name)
        }
    });
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), minijinja::AutoEscape::Custom(n) if n == "markdown") {
            if value.is_safe() {
                return out
                    .write_str(value.as_str().unwrap_or_default())
                    .map_err(Into::into);
            }
            if value.is_undefined() {
                return Ok(());
            }
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            return out.write_str(&escape::markdown(&text)).map_err(Into::into);
        }
        minijinja::escape_formatter(out, state, value)
    });
    // Kept for templates written before autoescape: the same escaping as any value.
    env.add_filter("mdcell", |s: String| {
        minijinja::Value::from_safe_string(escape::markdown(&s))
    });
    env.add_filter("mdcode", |s: String| {
        minijinja::Value::from_safe_string(escape::markdown_code(&s, false))
    });
    env.add_filter("mdcellcode", |s: String| {
        minijinja::Value::from_safe_string(escape::markdown_code(&s, true))
    });
    // A line inside an indented code block: literal text there, so only a line break (which a
    // kept line never holds, but a template might pass) must stay inside the block.
    env.add_filter("mdindent", |s: String| {
        minijinja::Value::from_safe_string(s.replace('\r', "").replace('\n', "\n    "))
    });
    // A reference: an autolink when it is a plain http(s) URL, else escaped text.
    env.add_filter("mdlink", |s: String| {
        let plain = (s.starts_with("https://") || s.starts_with("http://"))
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'));
        minijinja::Value::from_safe_string(if plain {
            format!("<{s}>")
        } else {
            escape::markdown(&s)
        })
    });
    env
}
