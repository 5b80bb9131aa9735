//! `triage.sqlite`: the backlog as a database, for questions results.jsonl makes hard.
//!
//! Rebuilt from `results.jsonl` at the end of every `batch` and `merge` run (the latest line of
//! each case, as the summary), into a temporary file in the output folder that then replaces
//! the old database: it holds the same rows as `results.jsonl` by construction, on a rerun too,
//! and is redacted whenever `results.jsonl` is. A `triage.sqlite` that is not ours (no
//! [`APPLICATION_ID`], no `meta` table of our schema, or damaged) is refused, never replaced.
//!
//! Tables (keys in brackets; `case_id` is the case name as in `results.jsonl`):
//! `meta` [key], `cases` [case_id], `devices` [case_id, device_id], `findings` [case_id,
//! finding_id], `evidence` [case_id, finding_id, n], `not_evaluated` [case_id, n],
//! `unexplained` [case_id, artifact, template], `templates` [rank] (the batch ranking of
//! `unexplained.json`). Times are RFC 3339 text in UTC, so they sort and compare as text.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;

use super::results::{Located, RESULTS};
use super::unexplained::Ranked;

/// The database in an output folder.
pub const DATABASE: &str = "triage.sqlite";
/// `PRAGMA application_id` of our databases: "FPTR".
pub const APPLICATION_ID: i32 = 0x4650_5452;
/// Version of the tables' shape, in `meta`.
pub const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    error TEXT,
    input TEXT,
    inputs TEXT,
    key TEXT,
    bytes INTEGER,
    duration_ms INTEGER,
    finished_at TEXT,
    tool_version TEXT,
    root_causes TEXT,
    report_json TEXT,
    report_html TEXT,
    unexplained_lines INTEGER
);
CREATE TABLE devices (
    case_id TEXT NOT NULL REFERENCES cases (case_id),
    device_id TEXT NOT NULL,
    name TEXT,
    product TEXT,
    version TEXT,
    region TEXT,
    collected_at TEXT,
    time_zone TEXT,
    bundle TEXT,
    managed_by TEXT,
    PRIMARY KEY (case_id, device_id)
);
CREATE TABLE findings (
    case_id TEXT NOT NULL REFERENCES cases (case_id),
    finding_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    device_id TEXT,
    device_name TEXT,
    title TEXT,
    severity TEXT,
    rule_severity TEXT,
    status TEXT,
    root_cause INTEGER,
    explained_by TEXT,
    count INTEGER,
    first_seen TEXT,
    last_seen TEXT,
    recovered_at TEXT,
    message TEXT,
    PRIMARY KEY (case_id, finding_id)
);
CREATE TABLE evidence (
    case_id TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    path TEXT,
    line INTEGER,
    text TEXT,
    count INTEGER,
    first_seen TEXT,
    last_seen TEXT,
    host TEXT,
    PRIMARY KEY (case_id, finding_id, n),
    FOREIGN KEY (case_id, finding_id) REFERENCES findings (case_id, finding_id)
);
CREATE TABLE not_evaluated (
    case_id TEXT NOT NULL REFERENCES cases (case_id),
    n INTEGER NOT NULL,
    rule TEXT NOT NULL,
    device_id TEXT,
    device_name TEXT,
    reason TEXT,
    needs TEXT,
    ask TEXT,
    PRIMARY KEY (case_id, n)
);
CREATE TABLE unexplained (
    case_id TEXT NOT NULL REFERENCES cases (case_id),
    artifact TEXT NOT NULL,
    template TEXT NOT NULL,
    count INTEGER,
    first_seen TEXT,
    last_seen TEXT,
    example TEXT,
    PRIMARY KEY (case_id, artifact, template)
);
CREATE TABLE templates (
    rank INTEGER PRIMARY KEY,
    artifact TEXT NOT NULL,
    template TEXT NOT NULL,
    cases INTEGER,
    count INTEGER,
    first_seen TEXT,
    last_seen TEXT,
    example TEXT,
    example_case TEXT,
    draft TEXT
);
CREATE INDEX findings_rule ON findings (rule, severity);
CREATE INDEX devices_version ON devices (version);
CREATE INDEX devices_collected_at ON devices (collected_at);
CREATE INDEX cases_finished_at ON cases (finished_at);
CREATE INDEX unexplained_template ON unexplained (template);
"#;

/// Whether `dir` may get a new database: it has none, or ours. The error says why not.
pub fn check(dir: &Path) -> Result<(), String> {
    let path = dir.join(DATABASE);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot be read: {e}")),
        Ok(m) if !m.is_file() => {
            return Err("is not a regular file (a link is not followed)".into());
        }
        Ok(_) => {}
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot be opened as a database ({e})"))?;
    let not_ours = |why: String| {
        format!(
            "{why}: not a database written by fptriage batch; it is left as it is (move it away \
             to let the run write its own)"
        )
    };
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("unreadable ({e})")))?;
    if id != APPLICATION_ID {
        return Err(not_ours(format!("application_id is {id:#x}")));
    }
    let version: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| not_ours(format!("no schema version in its meta table ({e})")))?;
    if version.parse::<u32>().is_err() {
        return Err(not_ours(format!("schema version `{version}`")));
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("damaged ({e})")))?;
    if check != "ok" {
        return Err(not_ours(format!("damaged ({check})")));
    }
    Ok(())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
}

fn list(v: &Value) -> Option<String> {
    let items: Vec<String> = v.as_array()?.iter().filter_map(text).collect();
    Some(items.join("; "))
}

/// Row counts of a database (for tests and the run's message): cases, devices, findings,
/// evidence, not_evaluated, unexplained.
pub fn counts(path: &Path) -> rusqlite::Result<[i64; 6]> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut out = [0i64; 6];
    for (i, table) in [
        "cases",
        "devices",
        "findings",
        "evidence",
        "not_evaluated",
        "unexplained",
    ]
    .iter()
    .enumerate()
    {
        out[i] = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    }
    Ok(out)
}

/// Rebuilds `dir/triage.sqlite` from `dir/results.jsonl`: the lines of `lines` (located in that
/// file), and the batch ranking `ranked`.
pub fn build(dir: &Path, lines: &[Located], ranked: &[Ranked]) -> io::Result<()> {
    let mut db = Database::new(dir)?;
    let wanted: HashSet<usize> = lines.iter().map(|l| l.line).collect();
    let file = File::open(dir.join(RESULTS))?;
    for (n, raw) in BufReader::new(file).split(b'\n').enumerate() {
        let raw = raw?;
        if !wanted.contains(&n) {
            continue;
        }
        let Ok(line) = serde_json::from_slice::<Value>(&raw) else {
            continue;
        };
        db.add(&line)?;
    }
    db.finish(ranked)
}

/// A `triage.sqlite` being built in a temporary file of the output folder, one line of
/// `results.jsonl` at a time (so that the pass that reads them can feed the ranking too), all
/// in one transaction; [`Database::finish`] adds the ranking and replaces the old database.
pub struct Database {
    // Closed before its file is removed, when dropped unfinished.
    conn: Connection,
    tmp: tempfile::NamedTempFile,
    dir: PathBuf,
}

impl Database {
    /// Creates the temporary database in `dir`, with its tables and `meta`.
    pub fn new(dir: &Path) -> io::Result<Self> {
        let tmp = tempfile::Builder::new()
            .prefix(".triage-")
            .suffix(".sqlite")
            .tempfile_in(dir)?;
        let conn = Self::open(tmp.path()).map_err(io::Error::other)?;
        Ok(Database {
            conn,
            tmp,
            dir: dir.to_path_buf(),
        })
    }

    fn open(db: &Path) -> Result<Connection, String> {
        let sql = |e: rusqlite::Error| e.to_string();
        let conn = Connection::open(db).map_err(sql)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA application_id = {APPLICATION_ID}; {SCHEMA}"
        ))
        .map_err(sql)?;
        conn.execute_batch("BEGIN").map_err(sql)?;
        for (key, value) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("tool", "fptriage".to_string()),
            ("tool_version", env!("CARGO_PKG_VERSION").to_string()),
            ("source", RESULTS.to_string()),
        ] {
            conn.execute("INSERT INTO meta VALUES (?1, ?2)", params![key, value])
                .map_err(sql)?;
        }
        Ok(conn)
    }

    /// Adds the rows of one line of `results.jsonl` (the latest of its case).
    pub fn add(&mut self, line: &Value) -> io::Result<()> {
        self.insert(line).map_err(io::Error::other)
    }

    fn insert(&mut self, line: &Value) -> Result<(), String> {
        let sql = |e: rusqlite::Error| e.to_string();
        let statement = |q: &str| self.conn.prepare_cached(q).map_err(sql);
        let mut case =
            statement("INSERT INTO cases VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)")?;
        let mut device = statement("INSERT INTO devices VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")?;
        let mut finding = statement(
            "INSERT INTO findings VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
        )?;
        let mut evidence =
            statement("INSERT INTO evidence VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")?;
        let mut not_evaluated =
            statement("INSERT INTO not_evaluated VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")?;
        let mut unexplained = statement("INSERT INTO unexplained VALUES (?1,?2,?3,?4,?5,?6,?7)")?;
        let id = text(&line["case"]).unwrap_or_default();
        let report = &line["report"];
        let mut causes: Vec<String> = Vec::new();
        for v in report["verdict"].as_array().into_iter().flatten() {
            let rule = v["finding"]
                .as_str()
                .unwrap_or_default()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string();
            if !causes.contains(&rule) {
                causes.push(rule);
            }
        }
        case.execute(params![
            id,
            text(&line["status"]).unwrap_or_default(),
            text(&line["error"]),
            text(&line["input"]),
            list(&line["inputs"]),
            text(&line["key"]),
            int(&line["bytes"]),
            int(&line["duration_ms"]),
            text(&line["finished_at"]),
            text(&line["tool_version"]),
            causes.join("; "),
            text(&line["reports"]["json"]),
            text(&line["reports"]["html"]),
            int(&report["unexplained"]["lines"]),
        ])
        .map_err(|e| format!("case {id}: {e}"))?;
        for d in report["devices"].as_array().into_iter().flatten() {
            device
                .execute(params![
                    id,
                    text(&d["id"]).unwrap_or_default(),
                    text(&d["name"]),
                    text(&d["product"]),
                    text(&d["version"]),
                    text(&d["region"]),
                    text(&d["collected_at"]),
                    text(&d["time_zone"]),
                    text(&d["bundle"]),
                    text(&d["managed_by"]),
                ])
                .map_err(|e| format!("case {id}, device {}: {e}", d["id"]))?;
        }
        for f in report["findings"].as_array().into_iter().flatten() {
            let fid = text(&f["id"]).unwrap_or_default();
            finding
                .execute(params![
                    id,
                    fid,
                    text(&f["rule"]).unwrap_or_default(),
                    text(&f["device"]),
                    text(&f["device_name"]),
                    text(&f["title"]),
                    text(&f["severity"]),
                    text(&f["rule_severity"]),
                    text(&f["status"]),
                    f["root_cause"].as_bool().map(i64::from),
                    list(&f["explained_by"]),
                    int(&f["count"]),
                    text(&f["first_seen"]),
                    text(&f["last_seen"]),
                    text(&f["recovered_at"]),
                    text(&f["message"]),
                ])
                .map_err(|e| format!("case {id}, finding {fid}: {e}"))?;
            for (n, e) in f["evidence"].as_array().into_iter().flatten().enumerate() {
                evidence
                    .execute(params![
                        id,
                        fid,
                        n as i64,
                        text(&e["path"]),
                        int(&e["line"]),
                        text(&e["text"]),
                        int(&e["count"]),
                        text(&e["first_seen"]),
                        text(&e["last_seen"]),
                        text(&e["host"]),
                    ])
                    .map_err(sql)?;
            }
        }
        for (n, x) in report["not_evaluated"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            not_evaluated
                .execute(params![
                    id,
                    n as i64,
                    text(&x["rule"]).unwrap_or_default(),
                    text(&x["device"]),
                    text(&x["device_name"]),
                    text(&x["reason"]),
                    list(&x["needs"]),
                    text(&x["ask"]),
                ])
                .map_err(sql)?;
        }
        for t in report["unexplained"]["templates"]
            .as_array()
            .into_iter()
            .flatten()
        {
            unexplained
                .execute(params![
                    id,
                    text(&t["artifact"]).unwrap_or_default(),
                    text(&t["template"]).unwrap_or_default(),
                    int(&t["count"]),
                    text(&t["first_seen"]),
                    text(&t["last_seen"]),
                    text(&t["example"]),
                ])
                .map_err(|e| format!("case {id}, template: {e}"))?;
        }
        Ok(())
    }

    /// Adds the batch ranking, commits, and replaces `triage.sqlite` of the output folder.
    pub fn finish(self, ranked: &[Ranked]) -> io::Result<()> {
        let Database { conn, tmp, dir } = self;
        Self::commit(conn, ranked).map_err(io::Error::other)?;
        tmp.as_file().sync_all()?;
        tmp.persist(dir.join(DATABASE)).map_err(|e| e.error)?;
        Ok(())
    }

    fn commit(conn: Connection, ranked: &[Ranked]) -> Result<(), String> {
        let sql = |e: rusqlite::Error| e.to_string();
        {
            let mut template = conn
                .prepare_cached("INSERT INTO templates VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")
                .map_err(sql)?;
            for r in ranked {
                template
                    .execute(params![
                        r.rank as i64,
                        r.artifact,
                        r.template,
                        r.cases as i64,
                        i64::try_from(r.count).unwrap_or(i64::MAX),
                        r.first_seen.map(|t| t.to_string()),
                        r.last_seen.map(|t| t.to_string()),
                        r.example,
                        r.example_case,
                        r.draft,
                    ])
                    .map_err(sql)?;
            }
        }
        conn.execute_batch("COMMIT").map_err(sql)?;
        conn.close().map_err(|(_, e)| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_or_damaged_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check(dir.path()).is_ok());
        let path = dir.path().join(DATABASE);
        std::fs::write(&path, b"").unwrap();
        assert!(check(dir.path()).is_err());
        std::fs::write(&path, b"SQLite format 3\0 but then nothing of the kind").unwrap();
        assert!(check(dir.path()).is_err());
        std::fs::remove_file(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        let err = check(dir.path()).unwrap_err();
        assert!(err.contains("not a database written by fptriage"), "{err}");
        std::fs::remove_file(&path).unwrap();
        std::fs::write(dir.path().join(RESULTS), b"").unwrap();
        build(dir.path(), &[], &[]).unwrap();
        assert!(check(dir.path()).is_ok());
        assert_eq!(counts(&path).unwrap(), [0; 6]);
    }
}
