//! Member → artifact kind, by the YAML artifact map.
//!
//! Rules name facts, never paths: this map is the one place that knows where things live in a
//! bundle, and it is data (`rules/artifacts.yaml`, embedded as the default, replaceable with
//! `--artifacts`), so a support engineer who meets a new layout adds a line of YAML, not code.
//! Paths are matched with one compiled `GlobSet`; content signatures, for the kinds whose location
//! is unknown, with one regex per signature over a member's first bytes, tried in order: each
//! keeps its own literal prefilter, which a `RegexSet` of them all loses (15 ms against 130 ms
//! over the 19 000 text heads of the benchmark bundle).

use std::fmt;
use std::str::FromStr;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use thiserror::Error;

/// Bytes of a member's head that content signatures look at.
pub const CONTENT_BYTES: usize = 4096;

/// The built-in artifact map.
pub const DEFAULT_MAP: &str = include_str!("../rules/artifacts.yaml");

/// The artifact kinds fptriage has a parser for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    ConnectorProperties,
    ConnectorLog,
    PmtoolStatus,
    Netstat,
    Lsof,
    SfVersion,
    ShowVersion,
    Hostname,
    ImsConf,
    Syslog,
    SseTelemetryLog,
    ConnectorContext,
    Licensing,
    CloudSettings,
    CurlTest,
    /// `etc/localtime`: a link to the zone's file (its name) or a copy of it (TZif).
    Timezone,
}

impl ArtifactKind {
    pub const ALL: [ArtifactKind; 16] = [
        ArtifactKind::ConnectorProperties,
        ArtifactKind::ConnectorLog,
        ArtifactKind::PmtoolStatus,
        ArtifactKind::Netstat,
        ArtifactKind::Lsof,
        ArtifactKind::SfVersion,
        ArtifactKind::ShowVersion,
        ArtifactKind::Hostname,
        ArtifactKind::ImsConf,
        ArtifactKind::Syslog,
        ArtifactKind::SseTelemetryLog,
        ArtifactKind::ConnectorContext,
        ArtifactKind::Licensing,
        ArtifactKind::CloudSettings,
        ArtifactKind::CurlTest,
        ArtifactKind::Timezone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::ConnectorProperties => "connector-properties",
            ArtifactKind::ConnectorLog => "connector-log",
            ArtifactKind::PmtoolStatus => "pmtool-status",
            ArtifactKind::Netstat => "netstat",
            ArtifactKind::Lsof => "lsof",
            ArtifactKind::SfVersion => "sf-version",
            ArtifactKind::ShowVersion => "show-version",
            ArtifactKind::Hostname => "hostname",
            ArtifactKind::ImsConf => "ims-conf",
            ArtifactKind::Syslog => "syslog",
            ArtifactKind::SseTelemetryLog => "sse-telemetry-log",
            ArtifactKind::ConnectorContext => "connector-context",
            ArtifactKind::Licensing => "licensing",
            ArtifactKind::CloudSettings => "cloud-settings",
            ArtifactKind::CurlTest => "curl-test",
            ArtifactKind::Timezone => "timezone",
        }
    }

    /// Kinds read line by line as they stream (logs); the others are parsed as whole documents.
    pub fn is_log(self) -> bool {
        matches!(
            self,
            ArtifactKind::ConnectorLog | ArtifactKind::Syslog | ArtifactKind::SseTelemetryLog
        )
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ArtifactKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ArtifactKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// A problem in an artifact map, with its place in the file.
#[derive(Debug, Error, Clone)]
#[error("{file}:{line}:{column}: {message}")]
pub struct MapError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub code: &'static str,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    artifacts: Vec<EntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    kind: Spanned<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    content: Vec<Spanned<String>>,
}

/// The compiled artifact map.
#[derive(Debug, Clone)]
pub struct ArtifactMap {
    globs: GlobSet,
    glob_kinds: Vec<ArtifactKind>,
    content: Vec<Regex>,
    content_kinds: Vec<ArtifactKind>,
}

impl ArtifactMap {
    pub fn builtin() -> ArtifactMap {
        ArtifactMap::parse(DEFAULT_MAP, "rules/artifacts.yaml")
            .expect("the built-in artifact map is valid")
    }

    /// Parses and compiles a map, collecting every problem rather than stopping at the first.
    pub fn parse(text: &str, file: &str) -> Result<ArtifactMap, Vec<MapError>> {
        let parsed: MapFile = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            vec![MapError {
                file: file.to_string(),
                line,
                column,
                code: "yaml-syntax",
                message: e.without_snippet().to_string(),
            }]
        })?;
        let mut errors = Vec::new();
        let err = |at: &Spanned<String>, code: &'static str, message: String| MapError {
            file: file.to_string(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            code,
            message,
        };
        let mut globs = GlobSetBuilder::new();
        let mut glob_kinds = Vec::new();
        let mut content = Vec::new();
        let mut content_kinds = Vec::new();
        for entry in &parsed.artifacts {
            let Ok(kind) = entry.kind.value.parse::<ArtifactKind>() else {
                let known: Vec<_> = ArtifactKind::ALL.iter().map(|k| k.as_str()).collect();
                errors.push(err(
                    &entry.kind,
                    "unknown-artifact-kind",
                    format!(
                        "unknown artifact kind `{}`; known: {}",
                        entry.kind.value,
                        known.join(", ")
                    ),
                ));
                continue;
            };
            if entry.paths.is_empty() && entry.content.is_empty() {
                errors.push(err(
                    &entry.kind,
                    "artifact-matches-nothing",
                    format!("`{kind}` has neither `paths` nor `content`"),
                ));
            }
            for path in &entry.paths {
                match GlobBuilder::new(&path.value)
                    .literal_separator(true)
                    .build()
                {
                    Ok(glob) => {
                        globs.add(glob);
                        glob_kinds.push(kind);
                    }
                    Err(e) => errors.push(err(
                        path,
                        "invalid-glob",
                        format!("glob does not compile: {e}"),
                    )),
                }
            }
            for pattern in &entry.content {
                match Regex::new(&pattern.value) {
                    Ok(regex) => {
                        content.push(regex);
                        content_kinds.push(kind);
                    }
                    Err(e) => errors.push(err(
                        pattern,
                        "invalid-regex",
                        format!("content signature does not compile: {e}"),
                    )),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let globs = globs.build().map_err(|e| {
            vec![MapError {
                file: file.to_string(),
                line: 1,
                column: 1,
                code: "invalid-glob",
                message: e.to_string(),
            }]
        })?;
        Ok(ArtifactMap {
            globs,
            glob_kinds,
            content,
            content_kinds,
        })
    }

    /// The kind of a member by its path alone.
    pub fn by_path(&self, path: &str) -> Option<ArtifactKind> {
        self.globs
            .matches(path)
            .into_iter()
            .min()
            .map(|i| self.glob_kinds[i])
    }

    /// The kind of a member no path claims, by its first bytes.
    pub fn by_content(&self, head: &[u8]) -> Option<ArtifactKind> {
        // Signatures describe text documents: binary members (NUL bytes early) are not looked
        // at, and only the first few KB count. The first signature in map order that matches
        // names the kind.
        let head = &head[..head.len().min(CONTENT_BYTES)];
        if head[..head.len().min(1024)].contains(&0) {
            return None;
        }
        self.content
            .iter()
            .position(|signature| signature.is_match(head))
            .map(|i| self.content_kinds[i])
    }

    /// Path first, then content.
    pub fn classify(&self, path: &str, head: &[u8]) -> Option<ArtifactKind> {
        self.by_path(path).or_else(|| self.by_content(head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_map_classifies_contract_paths() {
        let map = ArtifactMap::builtin();
        let cases = [
            (
                "results-04-13-2020--143502/dir-archives/etc/sf/connector.properties",
                ArtifactKind::ConnectorProperties,
            ),
            (
                "dir-archives/var-log/connector/connector.log.2.gz",
                ArtifactKind::ConnectorLog,
            ),
            (
                "x/command-outputs/usr-local-sf-bin-pmtool status.output",
                ArtifactKind::PmtoolStatus,
            ),
            (
                "x/command-outputs/bin-netstat -anlp.output",
                ArtifactKind::Netstat,
            ),
            (
                "x/command-outputs/usr-bin-netstat -anlp.output",
                ArtifactKind::Netstat,
            ),
            (
                "x/command-outputs/usr-sbin-lsof -i.output",
                ArtifactKind::Lsof,
            ),
            (
                "x/command-outputs/usr-local-sf-bin-sfcli.pl show version.output",
                ArtifactKind::ShowVersion,
            ),
            ("x/dir-archives/etc/sf/sf-version", ArtifactKind::SfVersion),
            ("dir-archives/var-log/messages", ArtifactKind::Syslog),
            ("etc/hostname", ArtifactKind::Hostname),
        ];
        for (path, kind) in cases {
            assert_eq!(map.by_path(path), Some(kind), "{path}");
        }
        assert_eq!(
            map.by_path("x/dir-archives/var-log/messages-archive/other"),
            None
        );
        assert_eq!(map.by_path("x/dir-archives/var-log/action_queue.log"), None);
    }

    #[test]
    fn star_does_not_cross_folders() {
        let map = ArtifactMap::parse(
            "artifacts:\n  - kind: hostname\n    paths: ['a/*']\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(map.by_path("a/b"), Some(ArtifactKind::Hostname));
        assert_eq!(map.by_path("a/b/c"), None);
    }

    #[test]
    fn content_signatures_find_unknown_locations() {
        let map = ArtifactMap::builtin();
        assert_eq!(
            map.by_content(b"{\"smartLicenseStatus\": {\"registrationStatus\": \"EVALUATION\"}}"),
            Some(ArtifactKind::Licensing)
        );
        assert_eq!(
            map.by_content(b"{\"items\":[{\"type\": \"cloudEventsConfig\"}]}"),
            Some(ArtifactKind::CloudSettings)
        );
        assert_eq!(
            map.by_content(b"{\"clientInfo\": {}}"),
            Some(ArtifactKind::ConnectorContext)
        );
        assert_eq!(
            map.by_content(
                b"* Trying 52.4.85.66...\n* Connected to api-sse.cisco.com (52.4.85.66) port 443"
            ),
            Some(ArtifactKind::CurlTest)
        );
        assert_eq!(map.by_content(b"random text"), None);
    }

    #[test]
    fn bad_maps_report_every_problem_with_location() {
        let errors = ArtifactMap::parse(
            "artifacts:\n  - kind: nope\n    paths: ['a']\n  - kind: lsof\n    content: ['(']\n",
            "m.yaml",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            (errors[0].code, errors[0].line, errors[0].column),
            ("unknown-artifact-kind", 2, 11)
        );
        assert_eq!((errors[1].code, errors[1].line), ("invalid-regex", 5));
        let syntax = ArtifactMap::parse("artifacts:\n  - kind: lsof\n    pathz: []\n", "m.yaml")
            .unwrap_err();
        assert_eq!((syntax[0].code, syntax[0].line), ("yaml-syntax", 3));
    }
}
