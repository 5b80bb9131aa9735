//! What stays readable: public hosts, system accounts, the tool's own vocabulary.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::facts::{regions, registry};

/// Public hosts kept as they are: they are needed for the diagnosis and identify nobody. SSE
/// hosts, every `*.cisco.com` name (a customer cannot own one; a known device name inside one
/// is still replaced), and `*.amazonaws.com` (whose `ec2-A-B-C-D` part is redacted separately).
pub fn keep_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    regions::is_sse_host(&h)
        || h == "cisco.com"
        || h.ends_with(".cisco.com")
        || h.ends_with(".amazonaws.com")
        || h == "localhost.localdomain"
}

/// Accounts of the system, which name no person: kept where a user pattern finds them.
pub fn system_user(user: &str) -> bool {
    const USERS: &[&str] = &[
        "root", "admin", "mysql", "www", "www-data", "nobody", "daemon", "sshd", "ntp", "postgres",
        "sfsnort", "snorty", "sfrna", "bin", "sys", "apache", "nginx", "invalid", "user",
        "unknown",
    ];
    USERS.iter().any(|u| u.eq_ignore_ascii_case(user))
}

/// Dotted names of the tool's own (fact names and their prefixes, and dotted words of the fact
/// registry's sources and descriptions such as `settings.exchange.fqdn`): never host names.
static DOTTED_VOCABULARY: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let dotted = Regex::new(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+").expect("valid");
    let mut set = BTreeSet::new();
    for f in registry::builtin().iter() {
        let labels: Vec<&str> = f.name.split('.').collect();
        for n in 2..=labels.len() {
            set.insert(labels[..n].join("."));
        }
        for text in [f.source.as_str(), f.description.as_str()] {
            for m in dotted.find_iter(text) {
                set.insert(m.as_str().to_ascii_lowercase());
            }
        }
    }
    set
});

pub fn tool_dotted_name(name: &str) -> bool {
    DOTTED_VOCABULARY.contains(&name.to_ascii_lowercase())
}

/// Words that are never taken as known private values (a path component named so, a user named
/// so): the labels of fact names, artifact kinds, the bundle's own folder names and generic
/// folder names. Replacing them everywhere would make the report unreadable.
static WORDS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut set: BTreeSet<String> = [
        "tmp",
        "temp",
        "var",
        "home",
        "usr",
        "opt",
        "mnt",
        "media",
        "srv",
        "data",
        "work",
        "cases",
        "case",
        "bundles",
        "bundle",
        "testdata",
        "downloads",
        "uploads",
        "upload",
        "root",
        "users",
        "input",
        "inputs",
        "out",
        "output",
        "outputs",
        "reports",
        "report",
        "results",
        "troubleshoot",
        "extracted",
        "share",
        "shared",
        "etc",
        "sf",
        "log",
        "logs",
        "command-outputs",
        "dir-archives",
        "var-log",
        "fmc",
        "ftd",
        "fdm",
        "sse",
        "cisco",
        "firepower",
        "localhost",
        "local",
        "default",
        "none",
        "null",
        "true",
        "false",
        "https",
        "http",
        "tcp",
        "udp",
        "unix",
        "ipv4",
        "ipv6",
        "listen",
        "established",
        "syn_sent",
        "running",
        "disabled",
        "enabled",
        "status",
        "connector",
        "eventhandler",
        "system",
        "volume",
        "boot",
        "dev",
        "proc",
        "run",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect();
    for f in registry::builtin().iter() {
        set.extend(f.name.split('.').map(str::to_string));
    }
    for k in crate::artifacts::ArtifactMap::builtin().kinds() {
        set.insert(k.kind.as_str().to_string());
    }
    set
});

pub fn common_word(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    WORDS.contains(&w)
        || system_user(&w)
        || w.len() < 3
        || w.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Endings that make a two-label dotted word a file name, not a host name (unless it stands
/// where a host does: after `://`, `@`, `host`, `server`, `peer`, `fqdn`, …).
pub const FILE_ENDINGS: &[&str] = &[
    "log",
    "gz",
    "tar",
    "tgz",
    "zip",
    "json",
    "yaml",
    "yml",
    "txt",
    "output",
    "conf",
    "properties",
    "sock",
    "soc",
    "pem",
    "crt",
    "key",
    "go",
    "pid",
    "run",
    "html",
    "htm",
    "md",
    "rrd",
    "csv",
    "jsonl",
    "sh",
    "pl",
    "py",
    "xml",
    "so",
    "orig",
    "sql",
    "db",
    "cfg",
    "ini",
    "bz2",
    "xz",
    "rs",
    "c",
    "h",
    "java",
    "js",
    "pdf",
    "old",
    "bak",
    "tmp",
    "lock",
    "service",
];

/// Endings of archives: a name of three labels or more ending so is a file (`x.tar.gz`).
pub const ARCHIVE_ENDINGS: &[&str] = &["gz", "tgz", "tar", "zip", "bz2", "xz", "7z"];
