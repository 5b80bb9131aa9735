//! The subcommands' bodies, over the library: what each prints, and the exit code it returns.
//! `main.rs` holds the argument definitions; each file here one family of commands.

pub mod authoring;
pub mod batch;
pub mod case;
pub mod diff;
pub mod help;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use fptriage::artifacts::ArtifactMap;
use fptriage::limits::Limits;
use fptriage::pipeline;
use fptriage::report::outfile::{self, same_file};
use fptriage::report::{self, Report};
use fptriage::rules::{self, Diagnostic, Level, RuleSet, Severity, load};

#[derive(Args, Clone)]
pub struct Common {
    /// Rule folder adding to (or replacing, by id) the built-in pack; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Artifact map whose claims (paths, content signatures) replace the built-in packs' claims.
    #[arg(long)]
    pub artifacts: Option<PathBuf>,
    /// Decompressed bytes read from one member.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit)]
    pub max_member_bytes: Option<u64>,
    /// Decompressed bytes read in all.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit)]
    pub max_total_bytes: Option<u64>,
    /// Members read from one archive.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit)]
    pub max_members: Option<u64>,
    /// How deep archives may nest.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_u32)]
    pub max_depth: Option<u32>,
    /// Bytes of one log line kept for matching.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_line_bytes: Option<usize>,
    /// Characters of evidence text kept per line.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_evidence_chars: Option<usize>,
    /// Bytes of a command output or JSON document parsed.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_document_bytes: Option<usize>,
    /// Bytes of a tar long-name or PAX header.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit)]
    pub max_header_bytes: Option<u64>,
    /// Bytes spooled to an anonymous temporary file (a zip on standard input, a large nested
    /// zip); 0: never spool.
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit)]
    pub max_spool_bytes: Option<u64>,
    /// JSON values of one document parsed.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_json_nodes: Option<usize>,
    /// Characters of any kept string (names, fact values, messages, warnings, inventory rows).
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_value_chars: Option<usize>,
    /// Items of a list fact kept.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_list_items: Option<usize>,
    /// Artifacts listed per device, and loose files per case.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_inventory_rows: Option<usize>,
    /// Warnings of one code listed one by one (the rest are counted).
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_warnings_per_code: Option<usize>,
    /// Records kept per records fact of one member (table rows, blocks, matches).
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_records: Option<usize>,
    /// JSON documents or fragments of one member read by the `json` format.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_json_documents: Option<usize>,
    /// Bytes of nested zips kept in memory, all levels together (the rest is spooled).
    #[arg(long, value_name = "BYTES", value_parser = fptriage::limits::parse_limit)]
    pub max_nested_zip_memory: Option<u64>,
    /// Lines of log evidence shown before and after the first and the last matching line, as
    /// `grep -C` (at most 10).
    #[arg(long, short = 'C', value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(0..=fptriage::limits::MAX_CONTEXT_LINES as i64))]
    pub context: u8,
    /// Time stamps kept per pattern and host for `within`, `window` and `sequence` (the newest).
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_window_stamps: Option<usize>,
    /// Distinct values kept per capture, pattern and group for `min_distinct`.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_distinct_values: Option<usize>,
    /// Groups (hosts or `group_by` capture values) kept per pattern.
    #[arg(long, value_name = "N", value_parser = fptriage::limits::parse_limit_usize)]
    pub max_groups: Option<usize>,
}

impl Common {
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(v) = self.max_member_bytes {
            l.member_bytes = v;
        }
        if let Some(v) = self.max_total_bytes {
            l.total_bytes = v;
        }
        if let Some(v) = self.max_members {
            l.members = v;
        }
        if let Some(v) = self.max_depth {
            l.depth = v;
        }
        if let Some(v) = self.max_line_bytes {
            l.line_bytes = v.max(1);
        }
        if let Some(v) = self.max_evidence_chars {
            l.evidence_chars = v;
        }
        if let Some(v) = self.max_document_bytes {
            l.document_bytes = v;
        }
        if let Some(v) = self.max_header_bytes {
            l.header_bytes = v;
        }
        if let Some(v) = self.max_spool_bytes {
            l.spool_bytes = v;
        }
        if let Some(v) = self.max_json_nodes {
            l.json_nodes = v;
        }
        if let Some(v) = self.max_value_chars {
            l.value_chars = v;
        }
        if let Some(v) = self.max_list_items {
            l.list_items = v;
        }
        if let Some(v) = self.max_inventory_rows {
            l.inventory_rows = v;
        }
        if let Some(v) = self.max_warnings_per_code {
            l.warnings_per_code = v;
        }
        if let Some(v) = self.max_records {
            l.records_per_fact = v;
        }
        if let Some(v) = self.max_json_documents {
            l.json_documents = v;
        }
        if let Some(v) = self.max_nested_zip_memory {
            l.nested_zip_memory = v;
        }
        l.context_lines = usize::from(self.context);
        if let Some(v) = self.max_window_stamps {
            l.window_stamps = v;
        }
        if let Some(v) = self.max_distinct_values {
            l.distinct_values = v;
        }
        if let Some(v) = self.max_groups {
            l.groups = v;
        }
        l
    }

    /// The built-in packs' artifact definitions, each `--rules` folder's, and `--artifacts`'
    /// claims in place of the built-in ones.
    /// A folder's definition file that does not load is left out here; [`load_rules`] reports
    /// it.
    pub fn artifact_map(&self) -> Result<ArtifactMap> {
        Ok(definitions_and_problems(&self.rules, self.artifacts.as_deref())?.0)
    }

    /// The artifact definitions and the rules checked against them, each loaded once (compiling
    /// them is most of a small bundle's run time).
    pub fn definitions_and_rules(&self) -> Result<(ArtifactMap, RuleSet)> {
        let (map, problems) = definitions_and_problems(&self.rules, self.artifacts.as_deref())?;
        let rules = rules_over(&self.rules, &map, problems)?;
        Ok((map, rules))
    }
}

fn map_errors(errors: Vec<fptriage::artifacts::MapError>) -> anyhow::Error {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| match &e.hint {
            Some(hint) => format!("{e} [{}] ({hint})", e.code),
            None => format!("{e} [{}]", e.code),
        })
        .collect();
    anyhow::anyhow!(lines.join("\n"))
}

/// Loads the artifact definitions: the built-in packs, then each rule folder's `artifacts.yaml`
/// in order, then `artifacts`' claims in place of the built-in packs' claims. A folder's file
/// that does not load is left out and returned as diagnostics (cli-contract.md: the report
/// lists it, the command exits 2); a bad `--artifacts` file is a bad argument.
pub fn definitions_and_problems(
    folders: &[PathBuf],
    artifacts: Option<&Path>,
) -> Result<(ArtifactMap, Vec<Diagnostic>)> {
    let mut map =
        ArtifactMap::load(&fptriage::artifacts::PackSource::builtin()).map_err(map_errors)?;
    let mut problems = Vec::new();
    for folder in folders {
        let dir = if folder.is_file() {
            folder.parent().unwrap_or(Path::new("."))
        } else {
            folder.as_path()
        };
        let packs = fptriage::artifacts::PackSource::in_folder(dir)
            .with_context(|| format!("{}: cannot read artifacts.yaml", dir.display()))?;
        for pack in packs {
            match map.clone().with_pack(&pack) {
                Ok(with) => map = with,
                Err(errors) => problems.extend(errors.into_iter().map(|e| Diagnostic {
                    level: Level::Error,
                    code: e.code,
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    hint: e.hint,
                })),
            }
        }
    }
    let map = match artifacts {
        None => map,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the artifact map", path.display()))?;
            map.replacing_builtin_claims(&fptriage::artifacts::PackSource {
                pack: String::new(),
                origin: path.display().to_string(),
                text,
                builtin: true,
            })
            .map_err(map_errors)?
        }
    };
    Ok((map, problems))
}

/// As [`definitions_and_problems`], for the commands that stop on a definition that does not
/// load (`rules test`): every problem is in the error.
pub fn definitions(folders: &[PathBuf], artifacts: Option<&Path>) -> Result<ArtifactMap> {
    let (map, problems) = definitions_and_problems(folders, artifacts)?;
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|d| {
                format!(
                    "{}:{}:{}: {} [{}]",
                    d.file, d.line, d.column, d.message, d.code
                )
            })
            .collect();
        bail!(lines.join("\n"));
    }
    Ok(map)
}

/// `--lang`: the report's language.
#[derive(Args, Clone, Copy)]
pub struct LangFlag {
    /// Language of the report's words and of the built-in rules' texts: en or ja. Evidence, ids,
    /// references and JSON keys stay as they are. Default: from LC_ALL, LC_MESSAGES or LANG
    /// (ja_JP.UTF-8: ja), else en.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<fptriage::i18n::Lang>,
}

impl LangFlag {
    /// The language given, else the environment's.
    pub fn resolve(self) -> fptriage::i18n::Lang {
        self.lang
            .unwrap_or_else(|| fptriage::i18n::Lang::from_env(|name| std::env::var(name).ok()))
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FactsFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Warning,
    Critical,
}

/// The exit code once the work is done: 2 when a rule given with `--rules` did not load (the
/// report lists it under warnings), else `code`.
pub fn rules_exit(rules: &RuleSet, code: u8) -> u8 {
    if rules.problems.is_empty() { code } else { 2 }
}

/// Loads the built-in pack plus `--rules` folders (with their artifact definitions); broken
/// rules are reported and left out.
pub fn load_rules(folders: &[PathBuf]) -> Result<RuleSet> {
    let (map, map_problems) = definitions_and_problems(folders, None)?;
    rules_over(folders, &map, map_problems)
}

/// The rules of the built-in packs and of `folders`, checked against the loaded definitions
/// `map`; `map_problems` (definitions that did not load) are reported with them.
fn rules_over(
    folders: &[PathBuf],
    map: &ArtifactMap,
    map_problems: Vec<Diagnostic>,
) -> Result<RuleSet> {
    let mut sources = load::builtin_sources();
    for folder in folders {
        sources.extend(
            load::folder_sources(folder)
                .with_context(|| format!("{}: cannot read rules", folder.display()))?,
        );
    }
    let (mut set, diagnostics) = load::load_with(&sources, map);
    for d in &map_problems {
        eprintln!(
            "fptriage: artifact definition not loaded: {}:{}:{}: {} [{}]",
            d.file, d.line, d.column, d.message, d.code
        );
    }
    for d in &diagnostics {
        eprintln!(
            "fptriage: rule not loaded: {}:{}:{}: {} [{}]",
            d.file, d.line, d.column, d.message, d.code
        );
    }
    set.problems.splice(0..0, map_problems);
    Ok(set)
}

/// The format asked for, else the one `--output`'s extension names, else Markdown.
pub fn output_format(format: Option<ReportFormat>, output: Option<&Path>) -> report::Format {
    match format {
        Some(ReportFormat::Html) => report::Format::Html,
        Some(ReportFormat::Md) => report::Format::Markdown,
        Some(ReportFormat::Json) => report::Format::Json,
        None => output
            .and_then(report::Format::from_path)
            .unwrap_or(report::Format::Markdown),
    }
}

/// `-` names standard input.
pub fn is_stdin(input: &Path) -> bool {
    input.as_os_str() == "-"
}

/// A redactor for one case's outputs: the packs' domain tables, rule ids kept readable, the
/// private facts of the loaded declarations.
pub fn case_redactor(rules: &RuleSet) -> report::redact::Redactor {
    let mut redactor = report::redact::Redactor::new(&rules.domain);
    redactor.keep_readable(rules.rules.iter().map(|r| r.id.as_str()));
    redactor.private_facts(&rules.facts);
    redactor
}

/// A text from a bundle or an input as stderr shows it: redacted when the run redacts, its
/// control characters made visible.
pub fn shown_text(text: &str, redactor: Option<&mut report::redact::Redactor>) -> String {
    let text = match redactor {
        Some(r) => r.text(text),
        None => text.to_string(),
    };
    report::escape::terminal(&text).into_owned()
}

/// The case's read errors, then one line per damaged archive (a partial upload must not pass
/// unnoticed when the report goes to a file), on stderr; redacted by `redactor`, which should
/// have learned the case first, so that its placeholders are the report's.
pub fn warn_case(
    case: &fptriage::facts::Case,
    mut redactor: Option<&mut report::redact::Redactor>,
) {
    for e in &case.errors {
        eprintln!("fptriage: {}", shown_text(e, redactor.as_deref_mut()));
    }
    for d in &case.damage {
        let line = format!(
            "partial upload: {} is damaged ({}) after {}; the report rests on what was read",
            d.path,
            d.code,
            d.last_whole_member
                .as_deref()
                .map(|m| format!("its member {m}"))
                .unwrap_or_else(|| "its start".into())
        );
        eprintln!(
            "fptriage: warning: {}",
            shown_text(&line, redactor.as_deref_mut())
        );
    }
}

pub fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    if inputs.iter().filter(|i| is_stdin(i)).count() > 1 {
        bail!("-: standard input can be given once");
    }
    for input in inputs {
        if !is_stdin(input) && !input.exists() {
            bail!("{}: no such file or folder", input.display());
        }
    }
    Ok(())
}

/// `--redact-map FILE` and whether an existing one may be replaced (`--overwrite-map`).
#[derive(Clone, Copy)]
pub struct RedactMap<'a> {
    pub path: Option<&'a Path>,
    pub overwrite: bool,
}

impl<'a> RedactMap<'a> {
    pub fn new(path: Option<&'a Path>, overwrite: bool) -> Self {
        RedactMap { path, overwrite }
    }

    /// Refuses an existing map unless `--overwrite-map`: it may be the only way back from the
    /// placeholders of a report already sent.
    pub fn check_existing(&self) -> Result<()> {
        if let Some(path) = self.path
            && std::fs::symlink_metadata(path).is_ok()
            && !self.overwrite
        {
            bail!(
                "--redact-map {}: exists, and it may be the only key to reports already redacted \
                 with it; choose a new file, or pass --overwrite-map to replace it",
                path.display()
            );
        }
        Ok(())
    }

    /// Writes the mapping (through a temporary file and a rename).
    pub fn write(&self, mapping: &impl serde::Serialize) -> Result<()> {
        if let Some(path) = self.path {
            outfile::write_atomic(path, serde_json::to_string_pretty(mapping)?.as_bytes())
                .with_context(|| format!("{}: cannot write the redaction map", path.display()))?;
        }
        Ok(())
    }
}

/// Refuses (exit 2) any output file that is a link or not a regular file, is the same file as
/// an input (a bundle, the artifact map) or an existing file of an input folder, or is the same
/// file as another output. Checked
/// before anything is read, so a refused command changes nothing.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[PathBuf], common: &Common) -> Result<()> {
    for (flag, path) in outputs {
        outfile::check_output_file(path).map_err(|e| anyhow::anyhow!("{flag} {e}"))?;
        for input in inputs.iter().chain(&common.artifacts) {
            if same_file(path, input) {
                bail!(
                    "{flag} {}: is the input {}; writing it would destroy what is read",
                    path.display(),
                    input.display()
                );
            }
            // A file of an input folder is read as part of the case (a member of an extracted
            // bundle, a customer's second bundle): replacing one destroys input too. A new file
            // there is allowed.
            if input.is_dir() && path.exists() && outfile::is_inside(path, input) {
                bail!(
                    "{flag} {}: is a file of the input folder {}; writing it would destroy what is \
                     read (choose a new name or another folder)",
                    path.display(),
                    input.display()
                );
            }
        }
    }
    for (i, (flag, path)) in outputs.iter().enumerate() {
        for (other_flag, other) in &outputs[i + 1..] {
            if same_file(path, other) {
                bail!(
                    "{flag} {} and {other_flag} {} are the same file; give each output its own",
                    path.display(),
                    other.display()
                );
            }
        }
    }
    Ok(())
}
