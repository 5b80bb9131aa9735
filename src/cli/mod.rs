//! The subcommands' bodies, over the library: what each prints, and the exit code it returns.
//! `main.rs` holds the argument definitions; each file here one family of commands.

pub mod authoring;
pub mod batch;
pub mod case;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use fptriage::artifacts::ArtifactMap;
use fptriage::facts::registry::FACTS;
use fptriage::limits::Limits;
use fptriage::pipeline;
use fptriage::report::{self, Report};
use fptriage::rules::{self, Diagnostic, RuleSet, Severity, load};

#[derive(Args, Clone)]
pub struct Common {
    /// Rule folder adding to (or replacing, by id) the built-in pack; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Artifact map replacing the built-in rules/artifacts.yaml.
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
        l
    }

    pub fn artifact_map(&self) -> Result<ArtifactMap> {
        match &self.artifacts {
            None => Ok(ArtifactMap::builtin()),
            Some(path) => read_artifact_map(path),
        }
    }
}

/// Reads and compiles an artifact map file; every problem is in the error, with its place.
pub fn read_artifact_map(path: &Path) -> Result<ArtifactMap> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the artifact map", path.display()))?;
    ArtifactMap::parse(&text, &path.display().to_string()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("{e} [{}]", e.code)).collect();
        anyhow::anyhow!(lines.join("\n"))
    })
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

/// Loads the built-in pack plus `--rules` folders; broken rules are reported and left out.
pub fn load_rules(folders: &[PathBuf]) -> Result<RuleSet> {
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

pub fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if !input.exists() {
            bail!("{}: no such file or folder", input.display());
        }
    }
    Ok(())
}
