//! The `fptriage` command line: a thin layer over the library that decides what to print and
//! which exit code to return (0 done, 1 findings at or above `--fail-on` or failing lint,
//! 2 nothing usable could be read, bad arguments, or an output refused).

// The CLI is the one place that prints; the library denies it (Cargo.toml lints).
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use cli::authoring::{explain, lint, list_rules, rule_tests};
use cli::batch::{MiningFlags, ReadAheadFlag, UnexplainedFlags, batch, merge};
use cli::case::{analyze, facts};
use cli::diff::diff;
use cli::{Common, FactsFormat, FailOn, LangFlag, RedactMap, ReportFormat};

const EXIT_CODES: &str = "\
Exit codes:
  0    done (warnings possible: a partial upload, limits hit; stderr and the report say so);
       also when the reader of standard output goes away (`| head`)
  1    a current finding at or above --fail-on (analyze, diff); lint found a problem; a rule
       test failed
  2    could not do what was asked: bad arguments, nothing usable read, an output refused
  130  batch interrupted (Ctrl-C); finished results kept";

const TOP_EXAMPLES: &str = "\
Examples:
  fptriage analyze case.tar.gz                    the verdict on a terminal (Markdown in a pipe)
  fptriage analyze fmc.tar.gz ftd.tar.gz -o r.html
  fptriage analyze case.tar.gz --lang ja --format md
  fptriage facts case.tar.gz                      what was read, fact by fact
  fptriage diff before.tar.gz after.tar.gz        did the fix work?
  fptriage batch cases/ --out triage/             many cases; rerun to resume
  fptriage rules test                             run the built-in pack's rule tests
";

const ANALYZE_EXAMPLES: &str = "\
Examples:
  fptriage analyze case.tar.gz                    compact view on a terminal, Markdown in a pipe
  fptriage analyze fmc.tar.gz ftd.tar.gz -o r.html
                                                  HTML report; root causes on stderr
  fptriage analyze case.tar.gz --format json | jq '.verdict'
  fptriage analyze case.tar.gz --redact --redact-map map.json -o r.md
  fptriage analyze case.tar.gz --lang ja -o r.html
  fptriage analyze case.tar.gz --fail-on critical -q -o r.json
";

const FACTS_EXAMPLES: &str = "\
Examples:
  fptriage facts case.tar.gz                      every fact per device, (absent) where unread
  fptriage facts case.tar.gz --format json | jq '.devices[].facts'
  fptriage facts --list | grep license            fact names a rule may use
";

const DIFF_EXAMPLES: &str = "\
Examples:
  fptriage diff before.tar.gz after.tar.gz
  fptriage diff --before fmc.tgz ftd.tgz --after fmc2.tgz ftd2.tgz -o diff.html
  fptriage diff before.tar.gz after.tar.gz --fail-on critical --format json
";

const BATCH_EXAMPLES: &str = "\
Examples:
  fptriage batch /cases --out /reports --jobs 2    rerun the same command to resume
  fptriage batch /cases --out /reports/s0 --shard 0/2 && fptriage merge /reports/s* --out /reports/all
  fptriage batch /cases --out /reports --redact --redact-map /secure/map.json --lang ja
";

const RULES_EXAMPLES: &str = "\
Examples:
  fptriage rules lint site-rules/                 every problem with its place and a hint
  fptriage rules test site-rules/                 run each rule's <name>.test.yaml
  fptriage rules list --rules site-rules/
  fptriage rules explain sse/dns-failure
";

#[derive(Parser)]
#[command(
    name = "fptriage",
    version,
    about = "Root-cause triage of Cisco Firepower (FMC/FTD) troubleshoot bundles for the SSE / cloud integration, offline",
    after_help = format!("{TOP_EXAMPLES}\n{EXIT_CODES}")
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print, per device, the artifacts found and the facts parsed from them.
    #[command(after_help = format!("{FACTS_EXAMPLES}\n{EXIT_CODES}"))]
    Facts {
        /// Bundles (tar.gz, tar, zip, folder) of one case.
        #[arg(required_unless_present = "list")]
        inputs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: FactsFormat,
        /// Print every fact name a rule may use, with its type, and exit.
        #[arg(long)]
        list: bool,
        /// Replace IP addresses, host names, serials, UUIDs, tokens and user names with
        /// placeholders, as analyze --redact does.
        #[arg(long, conflicts_with = "list")]
        redact: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Analyse one case and write a root-cause report.
    #[command(after_help = format!("{ANALYZE_EXAMPLES}\n{EXIT_CODES}"))]
    Analyze {
        /// Bundles (tar.gz, tar, zip, folder) of one case: an FMC and its FTDs side by side.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Report format; default: from --output's extension, else Markdown.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Write the report here instead of standard output. Refused (exit 2) when it is an
        /// input or an existing file of an input folder, the --redact-map file, a symbolic link
        /// or not a regular file; written through a temporary file in the same folder, then
        /// renamed.
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
        /// With --redact: write the placeholder → original mapping to this file. An existing file
        /// is refused (it may be the only key to an earlier report) unless --overwrite-map.
        #[arg(long, requires = "redact", value_name = "FILE")]
        redact_map: Option<PathBuf>,
        /// Replace an existing --redact-map file.
        #[arg(long, requires = "redact_map")]
        overwrite_map: bool,
        #[command(flatten)]
        lang: LangFlag,
        /// Print nothing on stderr but errors and warnings (with --output: no root-cause lines).
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Compare two uploads of one case (before and after a fix): resolved, persisting, new and
    /// unknown findings per device.
    #[command(after_help = format!("{DIFF_EXAMPLES}\n{EXIT_CODES}"))]
    Diff {
        /// BEFORE and AFTER: each one bundle or folder (for several files a side, use --before
        /// and --after).
        #[arg(num_args = 0..=2, conflicts_with_all = ["before", "after"])]
        sides: Vec<PathBuf>,
        /// The earlier upload's files.
        #[arg(long, num_args = 1.., requires = "after", value_name = "PATH")]
        before: Vec<PathBuf>,
        /// The later upload's files.
        #[arg(long, num_args = 1.., requires = "before", value_name = "PATH")]
        after: Vec<PathBuf>,
        /// Format; default: from --output's extension, else Markdown.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Write the diff here instead of standard output (same checks as analyze's --output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Exit 1 when a persisting or new current finding is at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        #[command(flatten)]
        lang: LangFlag,
        #[command(flatten)]
        common: Common,
    },
    /// Analyse many cases in parallel: per-case reports, results.jsonl, summary.csv, index.html,
    /// unexplained.json, draft rules and triage.sqlite.
    #[command(after_help = format!("{BATCH_EXAMPLES}\n{EXIT_CODES}"))]
    Batch {
        /// Folders whose top-level entries are cases (a file, or a folder of bundles or an
        /// extracted bundle), or case files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output folder: new, empty, or an earlier batch output (it holds `.fptriage-batch`);
        /// any other folder is refused. A rerun into it skips the cases already analysed.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Threads the run uses, each analysing one case at a time; default: the number of
        /// cores.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Take only shard K of N (K from 0 to N-1), chosen by a hash of each case's name.
        #[arg(long, value_name = "K/N")]
        shard: Option<fptriage::batch::Shard>,
        /// Folder of report templates overriding the built-in ones (report.html, index.html).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Replace IP addresses, host names, serials, UUIDs, tokens and user names with
        /// placeholders in every output (reports, results.jsonl, summary.csv, index.html).
        #[arg(long)]
        redact: bool,
        /// With --redact: write the placeholder → original mapping of the run to this file. An
        /// existing file is refused (replacing it would lose the placeholders of reports already
        /// written with it) unless --overwrite-map.
        #[arg(long, requires = "redact", value_name = "FILE")]
        redact_map: Option<PathBuf>,
        /// Replace an existing --redact-map file.
        #[arg(long, requires = "redact_map")]
        overwrite_map: bool,
        /// When a case's compressed input is inflated on a thread of its own: auto (only on a
        /// thread of --jobs left idle, for the last cases of the run), on (as analyze does: a
        /// thread more per job), off.
        #[arg(long, value_enum, default_value_t = ReadAheadFlag::Auto)]
        read_ahead: ReadAheadFlag,
        #[command(flatten)]
        mining: MiningFlags,
        #[command(flatten)]
        lang: LangFlag,
        #[command(flatten)]
        common: Common,
    },
    /// Join the output folders of several batch runs (shards) into one.
    Merge {
        /// Output folders of `fptriage batch`.
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// Folder to write the merged results.jsonl, summary.csv, index.html and cases/ into:
        /// new, empty, or an earlier batch or merge output.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Folder of templates overriding the built-in index.html.
        #[arg(long)]
        templates: Option<PathBuf>,
        #[command(flatten)]
        unexplained: UnexplainedFlags,
        /// Language of the merged index.html's own words: en or ja (the cases' reports are
        /// copied as they are). Default: from LC_ALL, LC_MESSAGES or LANG (ja_JP.UTF-8: ja),
        /// else en.
        #[arg(long, value_name = "LANG")]
        lang: Option<fptriage::i18n::Lang>,
    },
    /// Rule authoring: lint, test, list, explain.
    #[command(after_help = format!("{RULES_EXAMPLES}\n{EXIT_CODES}"))]
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a JSON Schema (draft 2020-12): of the JSON report, or of rule files.
    Schema {
        /// `report`: the JSON report (`analyze --format json`); `rules`: rule and rule-test files.
        #[arg(value_enum)]
        of: SchemaOf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaOf {
    Report,
    Rules,
}

/// What `rules lint --deny` makes fail.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    Warnings,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check rule folders or files (and artifact maps) and report every problem with its place.
    Lint {
        /// Rule folders, rule files or test files (`*.test.yaml`); default: the built-in pack.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: FactsFormat,
        /// `warnings`: warnings (a rule without a test, an untranslated built-in rule) fail lint
        /// too (exit 1).
        #[arg(long, value_enum, value_name = "LEVEL")]
        deny: Vec<Deny>,
    },
    /// List the loaded rules.
    List {
        /// Rule folder adding to (or replacing, by id) the built-in pack; repeatable.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Explain one rule: what it checks, which facts, what it explains, the fix.
    Explain {
        /// The rule's id, `<pack>/<name>` as `rules list` shows it (e.g. sse/dns-failure).
        #[arg(value_name = "ID")]
        id: String,
        /// Rule folder adding to (or replacing, by id) the built-in pack; repeatable.
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

fn main() -> ExitCode {
    let parsed = cli::help::with_limit_defaults(Cli::command())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`fptriage facts --list | head`): what it wanted was written;
        // stop quietly, as Unix filters do.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // An error may quote a name from a bundle: no escape sequence or bidi control
            // reaches the terminal (line breaks stay, some messages span lines).
            let text = format!("{e:#}");
            eprintln!("fptriage: {}", fptriage::report::escape::visible(&text));
            ExitCode::from(2)
        }
    }
}

/// Whether the error is a write to a closed pipe (EPIPE), at any depth of its chain.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Facts {
            inputs,
            format,
            list,
            redact,
            common,
        } => facts(&inputs, format, list, redact, &common),
        Command::Analyze {
            inputs,
            format,
            output,
            templates,
            fail_on,
            redact,
            redact_map,
            overwrite_map,
            lang,
            quiet,
            common,
        } => analyze(
            &inputs,
            format,
            output.as_deref(),
            templates.as_deref(),
            fail_on,
            redact.then_some(RedactMap::new(redact_map.as_deref(), overwrite_map)),
            cli::case::Shown {
                lang: lang.resolve(),
                quiet,
            },
            &common,
        ),
        Command::Diff {
            sides,
            before,
            after,
            format,
            output,
            fail_on,
            lang,
            common,
        } => {
            let (before, after) = match sides.as_slice() {
                [b, a] => (vec![b.clone()], vec![a.clone()]),
                [] if !before.is_empty() => (before, after),
                _ => anyhow::bail!(
                    "diff takes BEFORE and AFTER, or --before PATH... --after PATH..."
                ),
            };
            diff(
                &before,
                &after,
                format,
                output.as_deref(),
                fail_on,
                lang.resolve(),
                &common,
            )
        }
        Command::Batch {
            inputs,
            out,
            jobs,
            shard,
            templates,
            redact,
            redact_map,
            overwrite_map,
            read_ahead,
            mining,
            lang,
            common,
        } => batch(
            &inputs,
            &out,
            (jobs, read_ahead),
            shard,
            templates,
            redact.then_some(RedactMap::new(redact_map.as_deref(), overwrite_map)),
            &mining,
            lang.resolve(),
            &common,
        ),
        Command::Merge {
            sources,
            out,
            templates,
            unexplained,
            lang,
        } => merge(
            &sources,
            &out,
            templates,
            &unexplained,
            LangFlag { lang }.resolve(),
        ),
        Command::Rules { command } => match command {
            RulesCommand::Lint {
                paths,
                format,
                deny,
            } => lint(&paths, format, deny.contains(&Deny::Warnings)),
            RulesCommand::List { rules } => list_rules(&rules),
            RulesCommand::Explain { id, rules } => explain(&id, &rules),
            RulesCommand::Test { paths, artifacts } => rule_tests(&paths, artifacts.as_deref()),
        },
        Command::Schema { of } => {
            let text = match of {
                SchemaOf::Report => {
                    serde_json::to_string_pretty(&fptriage::report::schema::report_schema())?
                }
                SchemaOf::Rules => fptriage::rules::RULES_SCHEMA.trim_end().to_string(),
            };
            std::io::Write::write_all(
                &mut std::io::stdout().lock(),
                format!("{text}\n").as_bytes(),
            )?;
            Ok(0)
        }
    }
}
