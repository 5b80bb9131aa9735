//! The `fptriage` command line: a thin layer over the library that decides what to print and
//! which exit code to return (0 done, 1 findings at or above `--fail-on` or failing lint,
//! 2 nothing usable could be read or bad arguments).

// The CLI is the one place that prints; the library denies it (Cargo.toml lints).
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use fptriage::artifacts::ArtifactMap;
use fptriage::facts::registry::FACTS;
use fptriage::limits::Limits;
use fptriage::pipeline;
use fptriage::report::{self, Report};
use fptriage::rules::{self, Diagnostic, RuleSet, Severity, load};

#[derive(Parser)]
#[command(
    name = "fptriage",
    version,
    about = "Root-cause triage of Cisco Firepower (FMC/FTD) troubleshoot bundles for the SSE / cloud integration, offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print, per device, the artifacts found and the facts parsed from them.
    Facts {
        /// Bundles (tar.gz, tar, zip, folder) of one case.
        #[arg(required_unless_present = "list")]
        inputs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: FactsFormat,
        /// Print every fact name a rule may use, with its type, and exit.
        #[arg(long)]
        list: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Analyse one case and write a root-cause report.
    Analyze {
        /// Bundles (tar.gz, tar, zip, folder) of one case: an FMC and its FTDs side by side.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Report format; default: from --output's extension, else Markdown.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Write the report here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Folder of report templates overriding the built-in ones (report.html, report.md).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Exit 1 when a current finding is at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Replace IP addresses, host names, serials, UUIDs, tokens and user names with placeholders.
        #[arg(long)]
        redact: bool,
        /// With --redact: write the placeholder → original mapping to this file.
        #[arg(long, requires = "redact", value_name = "FILE")]
        redact_map: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Analyse many cases in parallel: per-case reports, results.jsonl, summary.csv, index.html.
    Batch {
        /// Folders whose top-level entries are cases (a file, or a folder of bundles or an
        /// extracted bundle), or case files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output folder (created; a rerun into it skips the cases already analysed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Cases analysed at once; default: the number of cores.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Take only shard K of N (K from 0 to N-1), chosen by a hash of each case's name.
        #[arg(long, value_name = "K/N")]
        shard: Option<fptriage::batch::Shard>,
        /// Folder of report templates overriding the built-in ones (report.html).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Replace IP addresses, host names, serials, UUIDs, tokens and user names with
        /// placeholders in every output (reports, results.jsonl, summary.csv, index.html).
        #[arg(long)]
        redact: bool,
        /// With --redact: write the placeholder → original mapping of the run to this file.
        #[arg(long, requires = "redact", value_name = "FILE")]
        redact_map: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Join the output folders of several batch runs (shards) into one.
    Merge {
        /// Output folders of `fptriage batch`.
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// Folder to write the merged results.jsonl, summary.csv, index.html and cases/ into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Rule authoring: lint, list, explain.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check rule folders or files (and artifact maps) and report every problem with its place.
    Lint {
        /// Rule folders or files; default: the built-in pack.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: FactsFormat,
    },
    /// List the loaded rules.
    List {
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Explain one rule: what it checks, which facts, what it explains, the fix.
    Explain {
        id: String,
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run rule tests (`<name>.test.yaml` beside each rule): cases of small bundles and the
    /// findings they must and must not produce.
    Test {
        /// Rule folders (as for --rules) or single test files; default: the built-in pack's tests.
        paths: Vec<PathBuf>,
        /// Artifact map replacing the built-in one (default: `artifacts.yaml` of the folder, if any).
        #[arg(long)]
        artifacts: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct Common {
    /// Rule folder adding to (or replacing, by id) the built-in pack; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Artifact map replacing the built-in rules/artifacts.yaml.
    #[arg(long)]
    artifacts: Option<PathBuf>,
    /// Decompressed bytes read from one member.
    #[arg(long, value_name = "BYTES")]
    max_member_bytes: Option<u64>,
    /// Decompressed bytes read in all.
    #[arg(long, value_name = "BYTES")]
    max_total_bytes: Option<u64>,
    /// Members read from one archive.
    #[arg(long, value_name = "N")]
    max_members: Option<u64>,
    /// How deep archives may nest.
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,
    /// Bytes of one log line kept for matching.
    #[arg(long, value_name = "BYTES")]
    max_line_bytes: Option<usize>,
    /// Characters of evidence text kept per line.
    #[arg(long, value_name = "N")]
    max_evidence_chars: Option<usize>,
    /// Bytes of a command output or JSON document parsed.
    #[arg(long, value_name = "BYTES")]
    max_document_bytes: Option<usize>,
    /// Bytes of a tar long-name or PAX header.
    #[arg(long, value_name = "BYTES")]
    max_header_bytes: Option<u64>,
}

impl Common {
    fn limits(&self) -> Limits {
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
        l
    }

    fn artifact_map(&self) -> Result<ArtifactMap> {
        match &self.artifacts {
            None => Ok(ArtifactMap::builtin()),
            Some(path) => read_artifact_map(path),
        }
    }
}

/// Reads and compiles an artifact map file; every problem is in the error, with its place.
fn read_artifact_map(path: &Path) -> Result<ArtifactMap> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the artifact map", path.display()))?;
    ArtifactMap::parse(&text, &path.display().to_string()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("{e} [{}]", e.code)).collect();
        anyhow::anyhow!(lines.join("\n"))
    })
}

#[derive(Clone, Copy, ValueEnum)]
enum FactsFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Html,
    Md,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Warning,
    Critical,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("fptriage: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Facts {
            inputs,
            format,
            list,
            common,
        } => facts(&inputs, format, list, &common),
        Command::Analyze {
            inputs,
            format,
            output,
            templates,
            fail_on,
            redact,
            redact_map,
            common,
        } => analyze(
            &inputs,
            format,
            output.as_deref(),
            templates.as_deref(),
            fail_on,
            redact.then_some(redact_map.as_deref()),
            &common,
        ),
        Command::Batch {
            inputs,
            out,
            jobs,
            shard,
            templates,
            redact,
            redact_map,
            common,
        } => batch(
            &inputs,
            &out,
            jobs,
            shard,
            templates,
            redact.then_some(redact_map.as_deref()),
            &common,
        ),
        Command::Merge { sources, out } => merge(&sources, &out),
        Command::Rules { command } => match command {
            RulesCommand::Lint { paths, format } => lint(&paths, format),
            RulesCommand::List { rules } => list_rules(&rules),
            RulesCommand::Explain { id, rules } => explain(&id, &rules),
            RulesCommand::Test { paths, artifacts } => rule_tests(&paths, artifacts.as_deref()),
        },
    }
}

/// Loads the built-in pack plus `--rules` folders; broken rules are reported and left out.
fn load_rules(folders: &[PathBuf]) -> Result<RuleSet> {
    let mut sources = load::builtin_sources();
    for folder in folders {
        sources.extend(
            load::folder_sources(folder)
                .with_context(|| format!("{}: cannot read rules", folder.display()))?,
        );
    }
    let (set, diagnostics) = load::load(&sources);
    for d in &diagnostics {
        eprintln!(
            "fptriage: rule skipped: {}:{}:{}: {} [{}]",
            d.file, d.line, d.column, d.message, d.code
        );
    }
    Ok(set)
}

fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if !input.exists() {
            bail!("{}: no such file or folder", input.display());
        }
    }
    Ok(())
}

fn facts(inputs: &[PathBuf], format: FactsFormat, list: bool, common: &Common) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    if list {
        for f in FACTS {
            writeln!(
                out,
                "{:<34} {:<8} {} (from {})",
                f.name,
                format!("{:?}", f.ty).to_lowercase(),
                f.description,
                f.source
            )?;
        }
        return Ok(0);
    }
    check_inputs(inputs)?;
    let rules = load_rules(&common.rules)?;
    let case = pipeline::collect(inputs, &common.artifact_map()?, &rules, &common.limits())?;
    for e in &case.errors {
        eprintln!("fptriage: {e}");
    }
    match format {
        FactsFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&case)?)?,
        FactsFormat::Text => {
            for d in &case.devices {
                writeln!(
                    out,
                    "device {} ({}, {}, version {})",
                    d.name,
                    d.product.as_str(),
                    d.id,
                    d.version.as_deref().unwrap_or("unknown")
                )?;
                writeln!(out, "  bundle: {}", d.bundle)?;
                if let Some(t) = d.collected_at {
                    writeln!(out, "  collected at: {t}")?;
                }
                writeln!(out, "  artifacts:")?;
                for a in &d.artifacts {
                    writeln!(
                        out,
                        "    {:<22} {:>10}  {}",
                        a.kind.as_str(),
                        a.size,
                        a.path
                    )?;
                }
                writeln!(out, "  facts:")?;
                for (name, fact) in &d.facts {
                    let at = fact.evidence.as_ref().map(|e| match e.line {
                        Some(l) => format!("{}:{l}", e.path),
                        None => e.path.clone(),
                    });
                    writeln!(
                        out,
                        "    {name:<34} = {:<28} {}",
                        fact.value.to_string(),
                        at.unwrap_or_default()
                    )?;
                }
            }
            if !case.warnings.is_empty() {
                writeln!(out, "warnings:")?;
                for w in &case.warnings {
                    writeln!(out, "  [{}] {}: {}", w.code, w.path, w.message)?;
                }
            }
        }
    }
    Ok(if case.devices.is_empty() { 2 } else { 0 })
}

fn analyze(
    inputs: &[PathBuf],
    format: Option<ReportFormat>,
    output: Option<&Path>,
    templates: Option<&Path>,
    fail_on: Option<FailOn>,
    redact: Option<Option<&Path>>,
    common: &Common,
) -> Result<u8> {
    check_inputs(inputs)?;
    let format = match format {
        Some(ReportFormat::Html) => report::Format::Html,
        Some(ReportFormat::Md) => report::Format::Markdown,
        Some(ReportFormat::Json) => report::Format::Json,
        None => output
            .and_then(report::Format::from_path)
            .unwrap_or(report::Format::Markdown),
    };
    let rules = load_rules(&common.rules)?;
    let analysis = pipeline::analyze(inputs, &common.artifact_map()?, &rules, &common.limits())?;
    for e in &analysis.case.errors {
        eprintln!("fptriage: {e}");
    }
    if analysis.nothing_read() {
        bail!(
            "nothing usable could be read from {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let report = Report::new(&analysis, &rules);
    let text = match redact {
        None => report.render(format, templates)?,
        Some(map_file) => {
            let mut redactor = report::redact::Redactor::new();
            let model = report.redacted(&mut redactor)?;
            if let Some(path) = map_file {
                std::fs::write(path, serde_json::to_string_pretty(&redactor.mapping())?)
                    .with_context(|| {
                        format!("{}: cannot write the redaction map", path.display())
                    })?;
            }
            report::render(&model, format, templates)?
        }
    };
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("{}: cannot write the report", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    let threshold = fail_on.map(|f| match f {
        FailOn::Warning => Severity::Warning,
        FailOn::Critical => Severity::Critical,
    });
    let failing = threshold.is_some_and(|t| {
        analysis
            .findings
            .iter()
            .any(|f| f.status == "current" && f.severity >= t)
    });
    Ok(if failing { 1 } else { 0 })
}

fn print_diagnostics(diagnostics: &[Diagnostic], format: FactsFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        FactsFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(diagnostics)?)?,
        FactsFormat::Text => {
            let color = std::io::stdout().is_terminal();
            for d in diagnostics {
                let rendered = rules::lint::render(d, color);
                writeln!(out, "{rendered}")?;
            }
            writeln!(out, "{} problem(s)", diagnostics.len())?;
        }
    }
    Ok(())
}

fn lint(paths: &[PathBuf], format: FactsFormat) -> Result<u8> {
    let mut diagnostics = Vec::new();
    if paths.is_empty() {
        diagnostics.extend(load::load(&load::builtin_sources()).1);
    }
    for path in paths {
        if path.file_name().is_some_and(|n| n == "artifacts.yaml") {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            if let Err(errors) = ArtifactMap::parse(&text, &path.display().to_string()) {
                diagnostics.extend(errors.into_iter().map(|e| Diagnostic {
                    code: e.code,
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    hint: None,
                }));
            }
            continue;
        }
        let sources = load::folder_sources(path)
            .with_context(|| format!("{}: cannot read rules", path.display()))?;
        // Lint a folder on its own, but let `explains` name built-in rules.
        let mut all = load::builtin_sources();
        let own: Vec<String> = sources.iter().map(|s| s.origin.clone()).collect();
        all.extend(sources);
        diagnostics.extend(
            load::load(&all)
                .1
                .into_iter()
                .filter(|d| own.contains(&d.file)),
        );
        if path.is_dir() && path.join("artifacts.yaml").is_file() {
            let file = path.join("artifacts.yaml");
            let text = std::fs::read_to_string(&file)?;
            if let Err(errors) = ArtifactMap::parse(&text, &file.display().to_string()) {
                diagnostics.extend(errors.into_iter().map(|e| Diagnostic {
                    code: e.code,
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    hint: None,
                }));
            }
        }
    }
    print_diagnostics(&diagnostics, format)?;
    Ok(if diagnostics.is_empty() { 0 } else { 1 })
}

fn list_rules(folders: &[PathBuf]) -> Result<u8> {
    let set = load_rules(folders)?;
    let mut out = std::io::stdout().lock();
    for r in &set.rules {
        writeln!(
            out,
            "{:<40} {:<9} {:<60} {}",
            r.id,
            r.severity.as_str(),
            r.title,
            r.origin
        )?;
    }
    Ok(0)
}

fn explain(id: &str, folders: &[PathBuf]) -> Result<u8> {
    let set = load_rules(folders)?;
    let Some(r) = set.rules.iter().find(|r| r.id == id) else {
        bail!(
            "no rule `{id}`{}",
            load::did_you_mean(id, set.rules.iter().map(|r| r.id.as_str()))
                .map(|h| format!("; {h}"))
                .unwrap_or_default()
        );
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} — {}\nseverity: {}   status: {}   from: {}\n",
        r.id,
        r.title,
        r.severity.as_str(),
        r.status,
        r.origin
    )?;
    writeln!(out, "{}\n", r.description.trim())?;
    if !r.facts_used.is_empty() {
        writeln!(out, "facts: {}", r.facts_used.join(", "))?;
    }
    if !r.explains.is_empty() {
        writeln!(out, "explains: {}", r.explains.join(", "))?;
    }
    let explained_by: Vec<&str> = set
        .rules
        .iter()
        .filter(|o| o.explains.iter().any(|e| e == id))
        .map(|o| o.id.as_str())
        .collect();
    if !explained_by.is_empty() {
        writeln!(out, "explained by: {}", explained_by.join(", "))?;
    }
    writeln!(out, "fix: {}", r.remediation.trim())?;
    for reference in &r.references {
        writeln!(out, "see: {reference}")?;
    }
    Ok(0)
}

/// `rules test`: runs each folder's tests with the built-in pack plus that folder's rules.
fn rule_tests(paths: &[PathBuf], artifacts: Option<&Path>) -> Result<u8> {
    use rules::ruletest::{self, Outcome};
    let limits = Limits::default();
    let mut runs = Vec::new();
    if paths.is_empty() {
        runs.push((ruletest::builtin_tests(), Vec::new(), None));
    }
    for path in paths {
        if !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
        let (tests, sources) = ruletest::folder_tests(path)
            .with_context(|| format!("{}: cannot read rules or tests", path.display()))?;
        if tests.is_empty() {
            bail!(
                "{}: no tests found (a test is `<pack>/<name>.test.yaml` beside its rule)",
                path.display()
            );
        }
        let own_map = path.join("artifacts.yaml");
        runs.push((tests, sources, own_map.is_file().then_some(own_map)));
    }
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for (tests, sources, own_map) in runs {
        let map = match artifacts.map(Path::to_path_buf).or(own_map) {
            Some(file) => read_artifact_map(&file)?,
            None => ArtifactMap::builtin(),
        };
        let own: Vec<String> = sources.iter().map(|s| s.origin.clone()).collect();
        let mut all = load::builtin_sources();
        all.extend(sources);
        let (set, diagnostics) = load::load(&all);
        for d in diagnostics
            .iter()
            .filter(|d| own.contains(&d.file) || own.is_empty())
        {
            writeln!(out, "{}", rules::lint::render(d, false))?;
            failed += 1;
        }
        for r in ruletest::run(&tests, &set, &map, &limits) {
            let name = if r.case.is_empty() {
                r.file.clone()
            } else {
                format!("{} :: {}", r.file, r.case)
            };
            match r.outcome {
                Outcome::Passed => {
                    passed += 1;
                    writeln!(out, "ok    {name}")?;
                }
                Outcome::Skipped(why) => {
                    skipped += 1;
                    writeln!(out, "skip  {name} ({why})")?;
                }
                Outcome::Failed(problems) => {
                    failed += 1;
                    writeln!(out, "FAIL  {name}")?;
                    for p in problems {
                        writeln!(out, "        {p}")?;
                    }
                }
            }
        }
    }
    let skipped = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    writeln!(out, "{passed} passed, {failed} failed{skipped}")?;
    Ok(if failed > 0 { 1 } else { 0 })
}

// ---- fptriage batch / merge (the work is in `fptriage::batch`; this shows progress) ----

/// `fptriage batch`: exit 0 when the batch ran (error rows included), 130 when interrupted,
/// 2 for bad arguments or an unwritable output folder.
fn batch(
    inputs: &[PathBuf],
    out: &Path,
    jobs: Option<u32>,
    shard: Option<fptriage::batch::Shard>,
    templates: Option<PathBuf>,
    redact: Option<Option<&Path>>,
    common: &Common,
) -> Result<u8> {
    use fptriage::batch::{self, Event, Status};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    check_inputs(inputs)?;
    let rules = load_rules(&common.rules)?;
    let map = common.artifact_map()?;
    let map_fingerprint = match &common.artifacts {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => String::new(),
    };
    let limits = common.limits();
    let redactor = redact.map(|_| std::sync::Mutex::new(report::redact::Redactor::new()));
    let jobs = jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let opts = batch::BatchOptions {
        inputs: inputs.to_vec(),
        out: out.to_path_buf(),
        jobs,
        shard,
        map: &map,
        rules: &rules,
        limits: &limits,
        templates,
        map_fingerprint,
        redactor: redactor.as_ref(),
    };

    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} ETA {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let say = |line: String| {
        if tty {
            bar.println(line);
        } else {
            eprintln!("{line}");
        }
    };

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        let bar = bar.clone();
        // Fails only if a handler is installed already; the batch then runs without one.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                bar.abandon();
                eprintln!(
                    "fptriage: interrupted again: stopping now; results.jsonl keeps every finished case"
                );
                std::process::exit(130);
            }
            let line =
                "fptriage: interrupted: finishing the running cases (Ctrl-C again to stop now)";
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        });
    }

    let done = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let on_event = |event: Event<'_>| match event {
        Event::Planned {
            found,
            in_shard,
            skipped,
            to_run,
            bytes,
        } => {
            total.store(to_run, Ordering::SeqCst);
            bar.set_length(bytes);
            if tty {
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
            }
            bar.set_message(format!("0/{to_run} cases"));
            let shard = match shard {
                Some(s) => format!(", {in_shard} in shard {}/{}", s.index, s.count),
                None => String::new(),
            };
            say(format!(
                "fptriage: {found} case(s){shard}, {skipped} already analysed, {to_run} to analyse \
                 ({:.1} MiB) with {jobs} job(s)",
                bytes as f64 / 1_048_576.0
            ));
        }
        Event::Skipped { case } => {
            if !tty {
                eprintln!("fptriage: skipped {case}: already analysed");
            }
        }
        Event::Started { .. } => {}
        Event::Finished {
            case,
            status,
            error,
            bytes,
            duration,
        } => {
            let n = done.fetch_add(1, Ordering::SeqCst) + 1;
            let of = total.load(Ordering::SeqCst);
            bar.inc(bytes);
            bar.set_message(format!("{n}/{of} cases"));
            match status {
                Status::Ok => {
                    if !tty {
                        eprintln!(
                            "fptriage: [{n}/{of}] {case}: ok ({:.1}s)",
                            duration.as_secs_f64()
                        );
                    }
                }
                Status::Error => say(format!(
                    "fptriage: [{n}/{of}] {case}: error: {}",
                    error.unwrap_or("unknown")
                )),
            }
        }
    };
    let outcome = batch::run(&opts, &cancel, &on_event);
    bar.finish_and_clear();
    let outcome = outcome?;
    if let (Some(Some(path)), Some(redactor)) = (redact, &redactor) {
        let mapping = redactor.lock().map(|r| r.mapping()).unwrap_or_default();
        std::fs::write(path, serde_json::to_string_pretty(&mapping)?)
            .with_context(|| format!("{}: cannot write the redaction map", path.display()))?;
    }
    eprintln!(
        "fptriage: {} ok, {} error(s), {} skipped; results.jsonl, summary.csv, index.html in {}",
        outcome.ok,
        outcome.errors,
        outcome.skipped,
        out.display()
    );
    if outcome.interrupted {
        eprintln!(
            "fptriage: interrupted: {} case(s) not started; run the same command again to resume",
            outcome.not_started
        );
        return Ok(130);
    }
    Ok(0)
}

/// `fptriage merge`: joins batch output folders.
fn merge(sources: &[PathBuf], out: &Path) -> Result<u8> {
    let outcome = fptriage::batch::merge(sources, out)?;
    eprintln!(
        "fptriage: merged {} line(s) from {} folder(s): {} case(s), {} ok, {} error(s); in {}",
        outcome.lines_read,
        sources.len(),
        outcome.cases,
        outcome.ok,
        outcome.errors,
        out.display()
    );
    Ok(0)
}
