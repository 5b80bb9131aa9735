//! Member → artifact kinds, by the packs' artifact definitions.
//!
//! Rules name facts, never paths: the packs' `artifacts.yaml` files are the one place that knows
//! where things live in a bundle and how each thing is read. They are data: the built-in packs
//! (`rules/sse/`, then `rules/mgmt/` and `rules/platform/` when present) are embedded, each
//! `--rules` folder may add its own, and `--artifacts FILE` replaces the built-in packs' claims
//! (paths and content signatures) without touching their formats and facts. An entry declares a
//! kind (its `format`), claims members for it, or adds facts to a kind another entry declares.
//! A file is read as every pack file is ([`crate::yaml::read()`]): its shape against the schema's
//! `ArtifactsFile`, every problem at once, then the meaning of what is left (formats, globs,
//! regexes, selectors, fact types and their declarations across packs); a file with any problem
//! adds nothing.
//!
//! **Each pack claims members for itself**: within one pack the first entry whose path (else
//! content) matches wins, and two packs may read one member as kinds of their own. Paths are
//! matched with one compiled `GlobSet` per pack; content signatures, for the kinds whose location
//! is unknown, with one regex per signature over a member's first bytes, tried in order: each
//! keeps its own literal prefilter, which a `RegexSet` of them all loses (15 ms against 130 ms
//! over the 19 000 text heads of the benchmark bundle).

mod decl;
mod format;
mod kind;
pub mod selector;
pub mod spec;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;
use serde_saphyr::Spanned;
use thiserror::Error;

/// Bytes of a member's head that content signatures look at.
pub const CONTENT_BYTES: usize = 4096;

pub use decl::{FactCatalog, FactDecl, FactType, FieldDecl, IntParse, parse_int};
pub use format::{Builtin, Format, LogTime};
pub use kind::{ArtifactKind, valid_name};

/// The built-in packs, in the order they load; a pack whose folder holds no `artifacts.yaml`
/// adds no kinds.
pub const BUILTIN_PACKS: &[&str] = &["sse", "mgmt", "platform"];

/// One pack's artifact definitions: its `artifacts.yaml` text and where it comes from.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// The pack's folder name (`sse`, `acme`).
    pub pack: String,
    /// Shown in diagnostics and `facts --list`: `built-in:sse/artifacts.yaml` or the file's path.
    pub origin: String,
    pub text: String,
    pub builtin: bool,
}

impl PackSource {
    /// The built-in packs' definitions, in load order.
    pub fn builtin() -> Vec<PackSource> {
        BUILTIN_PACKS
            .iter()
            .filter_map(|pack| {
                let path = format!("{pack}/artifacts.yaml");
                let text = crate::builtin::file(&path)?;
                Some(PackSource {
                    pack: pack.to_string(),
                    origin: format!("built-in:{path}"),
                    text: text.to_string(),
                    builtin: true,
                })
            })
            .collect()
    }

    /// The artifact definitions of a rule folder (`--rules DIR`): `DIR/artifacts.yaml`, then
    /// each pack folder's `DIR/<pack>/artifacts.yaml` in name order.
    pub fn in_folder(dir: &std::path::Path) -> std::io::Result<Vec<PackSource>> {
        let mut files = Vec::new();
        if dir.join("artifacts.yaml").is_file() {
            files.push(dir.join("artifacts.yaml"));
        }
        if dir.is_dir() {
            let mut packs: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("artifacts.yaml").is_file())
                .map(|p| p.join("artifacts.yaml"))
                .collect();
            packs.sort();
            files.extend(packs);
        }
        files
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(&file)?;
                let pack = file
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Ok(PackSource {
                    pack,
                    origin: file.display().to_string(),
                    text,
                    builtin: false,
                })
            })
            .collect()
    }
}

/// A problem in an artifact definition, with its place in the file.
#[derive(Debug, Error, Clone)]
#[error("{file}:{line}:{column}: {message}")]
pub struct MapError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub code: &'static str,
    pub message: String,
    /// What to write instead, when it can be told (`did you mean `table`?`).
    pub hint: Option<String>,
}

impl crate::yaml::Placed for MapError {
    fn place(&self) -> (u64, u64) {
        (self.line, self.column)
    }
    fn hint_mut(&mut self) -> &mut Option<String> {
        &mut self.hint
    }
}

impl MapError {
    fn of(p: crate::yaml::Problem, file: &str) -> MapError {
        MapError {
            file: file.to_string(),
            line: p.line,
            column: p.column,
            code: p.code,
            message: p.message,
            hint: p.hint,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    artifacts: decl::Items<EntryFile>,
    /// Facts the engine derives from several members: declared here for their type.
    #[serde(default)]
    facts: decl::Ordered<Spanned<decl::FactFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    /// Required: the shape check reports it missing, and the entry is then left out.
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    paths: decl::Items<Spanned<String>>,
    #[serde(default)]
    content: decl::Items<Spanned<String>>,
    #[serde(default)]
    format: Option<Spanned<String>>,
    /// `log` only: how a line's time is read.
    #[serde(default)]
    time: Option<Spanned<String>>,
    /// Facts the kind's members yield.
    #[serde(default)]
    facts: decl::Ordered<Spanned<decl::FactFile>>,
}

/// A declared kind: how its members are read, and where it was declared.
#[derive(Debug, Clone)]
pub struct KindDef {
    pub kind: ArtifactKind,
    pub format: Format,
    /// The pack that declared it.
    pub pack: String,
    /// The file that declared it (`built-in:sse/artifacts.yaml` or a path).
    pub origin: String,
}

/// One pack's claims: which members it reads as which of its kinds.
#[derive(Debug, Clone)]
struct Claims {
    builtin: bool,
    globs: GlobSet,
    glob_kinds: Vec<ArtifactKind>,
    content: Vec<Regex>,
    content_kinds: Vec<ArtifactKind>,
}

impl Claims {
    fn by_path(&self, path: &str) -> Option<ArtifactKind> {
        self.globs
            .matches(path)
            .into_iter()
            .min()
            .map(|i| self.glob_kinds[i])
    }

    fn by_content(&self, head: &[u8]) -> Option<ArtifactKind> {
        self.content
            .iter()
            .position(|signature| signature.is_match(head))
            .map(|i| self.content_kinds[i])
    }
}

/// The loaded artifact definitions of every pack: kinds, their formats, and each pack's claims.
#[derive(Debug, Clone)]
pub struct ArtifactMap {
    kinds: Vec<KindDef>,
    by_kind: std::collections::HashMap<ArtifactKind, usize>,
    claims: Vec<Claims>,
    /// `strptime` formats of `log` kinds ([`LogTime::Strptime`] indexes here).
    strptime: Vec<String>,
    facts: FactCatalog,
    /// How each kind's declared facts are read by the generic formats.
    specs: std::collections::HashMap<ArtifactKind, Vec<spec::FactSpec>>,
}

static BUILTIN: std::sync::LazyLock<ArtifactMap> = std::sync::LazyLock::new(|| {
    ArtifactMap::load(&PackSource::builtin()).expect("the built-in artifact definitions are valid")
});

/// Collects the problems of loading definitions, each with its place.
struct Problems<'a> {
    file: &'a str,
    errors: Vec<MapError>,
}

impl Problems<'_> {
    fn at<T>(&mut self, at: &Spanned<T>, code: &'static str, message: String) {
        self.errors.push(MapError {
            file: self.file.to_string(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            code,
            message,
            hint: None,
        });
    }

    /// A problem with what to write instead.
    fn hinted<T>(&mut self, at: &Spanned<T>, code: &'static str, message: String, hint: String) {
        self.at(at, code, message);
        if let Some(e) = self.errors.last_mut() {
            e.hint = Some(hint);
        }
    }
}

/// Reads a file's shape ([`crate::yaml::read()`], against the schema's `ArtifactsFile`): the
/// entries that are not broken, and every shape problem with whether its node was left readable.
fn parse_file(text: &str, file: &str) -> (Option<MapFile>, Vec<(MapError, bool)>) {
    let (parsed, problems) = crate::yaml::read::<MapFile>(text, "ArtifactsFile");
    let shape = problems
        .into_iter()
        .map(|p| {
            let readable = p.readable;
            (MapError::of(p, file), readable)
        })
        .collect();
    (parsed, shape)
}

/// The typed structs' own error for `text`, read without the shape check: which keys they take
/// (`tests/guide.rs` checks that the schema has the same keys). Not for loading.
#[doc(hidden)]
pub fn typed_read_error(text: &str) -> Option<String> {
    serde_saphyr::from_str::<MapFile>(text)
        .err()
        .map(|e| e.to_string())
}

impl ArtifactMap {
    /// The built-in packs' definitions.
    pub fn builtin() -> ArtifactMap {
        BUILTIN.clone()
    }

    /// Loads packs in order (the built-in ones first, then each `--rules` folder), collecting
    /// every problem rather than stopping at the first.
    pub fn load(packs: &[PackSource]) -> Result<ArtifactMap, Vec<MapError>> {
        let mut map = ArtifactMap {
            kinds: Vec::new(),
            by_kind: std::collections::HashMap::new(),
            claims: Vec::new(),
            strptime: Vec::new(),
            facts: FactCatalog::default(),
            specs: std::collections::HashMap::new(),
        };
        let mut errors = Vec::new();
        for pack in packs {
            if let Err(mut e) = map.add_pack(pack) {
                errors.append(&mut e);
            }
        }
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    /// The built-in packs with their claims replaced by those of `text` (`--artifacts FILE`):
    /// formats and facts stay; kinds the file declares anew are added.
    pub fn parse(text: &str, file: &str) -> Result<ArtifactMap, Vec<MapError>> {
        ArtifactMap::builtin().replacing_builtin_claims(&PackSource {
            pack: String::new(),
            origin: file.to_string(),
            text: text.to_string(),
            builtin: true,
        })
    }

    /// These definitions with the built-in packs' claims replaced by `source`'s.
    pub fn replacing_builtin_claims(
        mut self,
        source: &PackSource,
    ) -> Result<ArtifactMap, Vec<MapError>> {
        let at = self
            .claims
            .iter()
            .position(|c| !c.builtin)
            .unwrap_or(self.claims.len());
        let rest = self.claims.split_off(at);
        self.claims.clear();
        self.add_pack(source)?;
        self.claims.extend(rest);
        Ok(self)
    }

    /// Adds one more pack after those loaded (a `--rules` folder's definitions).
    pub fn with_pack(mut self, source: &PackSource) -> Result<ArtifactMap, Vec<MapError>> {
        self.add_pack(source)?;
        Ok(self)
    }

    fn add_pack(&mut self, source: &PackSource) -> Result<(), Vec<MapError>> {
        let file = source.origin.as_str();
        let (parsed, shape) = parse_file(&source.text, file);
        let merged = |meaning| crate::yaml::merge(&source.text, shape, meaning);
        let Some(parsed) = parsed else {
            return Err(merged(Vec::new()));
        };
        let mut p = Problems {
            file,
            errors: Vec::new(),
        };
        let mut globs = GlobSetBuilder::new();
        let mut glob_kinds = Vec::new();
        let mut content = Vec::new();
        let mut content_kinds = Vec::new();
        for (name, fact) in &parsed.facts.0 {
            self.declare(name, fact, None, source, &mut p);
        }
        for entry in &parsed.artifacts.0 {
            let Some(kind) = self.entry_kind(entry, source, &mut p) else {
                continue;
            };
            for (name, fact) in &entry.facts.0 {
                self.declare(name, fact, Some(kind), source, &mut p);
            }
            for path in &entry.paths.0 {
                match GlobBuilder::new(&path.value)
                    .literal_separator(true)
                    .build()
                {
                    Ok(glob) => {
                        globs.add(glob);
                        glob_kinds.push(kind);
                    }
                    Err(e) => p.at(path, "invalid-glob", format!("glob does not compile: {e}")),
                }
            }
            for pattern in &entry.content.0 {
                match Regex::new(&pattern.value) {
                    Ok(regex) => {
                        content.push(regex);
                        content_kinds.push(kind);
                    }
                    Err(e) => p.at(
                        pattern,
                        "invalid-regex",
                        format!("content signature does not compile: {e}"),
                    ),
                }
            }
        }
        let errors = merged(p.errors);
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
                hint: None,
            }]
        })?;
        if !glob_kinds.is_empty() || !content_kinds.is_empty() {
            self.claims.push(Claims {
                builtin: source.builtin,
                globs,
                glob_kinds,
                content,
                content_kinds,
            });
        }
        Ok(())
    }

    /// The kind an entry names: an existing one (whose format it may not change), or a new one
    /// it declares with a format and something that claims members.
    fn entry_kind(
        &mut self,
        entry: &EntryFile,
        source: &PackSource,
        p: &mut Problems<'_>,
    ) -> Option<ArtifactKind> {
        let entry_kind = entry.kind.as_ref()?;
        let name = &entry_kind.value;
        let format = match &entry.format {
            None => None,
            Some(f) => match Format::parse(&f.value) {
                Some(Format::Log(_)) => Some(Format::Log(self.log_time(entry, p)?)),
                Some(format) => {
                    if let Some(t) = &entry.time {
                        p.at(
                            t,
                            "time-without-log",
                            "`time` is read only by `format: log`".into(),
                        );
                    }
                    Some(format)
                }
                None => {
                    let builtin: Vec<&str> = Builtin::ALL.iter().map(|b| b.as_str()).collect();
                    let message = format!(
                        "unknown format `{}`; generic: {}; built-in: {}",
                        f.value,
                        format::GENERIC.join(", "),
                        builtin.join(", ")
                    );
                    let known = format::GENERIC.iter().chain(&builtin).copied();
                    match crate::yaml::did_you_mean(&f.value, known) {
                        Some(hint) => p.hinted(f, "unknown-format", message, hint),
                        None => p.at(f, "unknown-format", message),
                    }
                    return None;
                }
            },
        };
        if let Some(existing) = ArtifactKind::lookup(name).and_then(|k| self.def(k)) {
            if let (Some(f), Some(format)) = (&entry.format, format)
                && format != existing.format
            {
                p.at(
                    f,
                    "format-conflict",
                    format!(
                        "`{name}` is read as `{}` ({}); an entry for it may add claims and facts, not change its format",
                        existing.format, existing.origin
                    ),
                );
                return None;
            }
            return Some(existing.kind);
        }
        if !valid_name(name) {
            p.at(
                entry_kind,
                "invalid-kind-name",
                format!("`{name}` is not a kind name: lower-case letters, digits and `-`, at most {} characters", kind::MAX_KIND_NAME),
            );
            return None;
        }
        let Some(format) = format else {
            let known: Vec<&str> = self.kinds.iter().map(|k| k.kind.as_str()).collect();
            let message = format!(
                "unknown artifact kind `{name}` (a new kind needs `format`); known: {}",
                known.join(", ")
            );
            match crate::yaml::did_you_mean(name, known.iter().copied()) {
                Some(hint) => p.hinted(entry_kind, "unknown-artifact-kind", message, hint),
                None => p.at(entry_kind, "unknown-artifact-kind", message),
            }
            return None;
        };
        if entry.paths.0.is_empty() && entry.content.0.is_empty() {
            p.at(
                entry_kind,
                "artifact-matches-nothing",
                format!("`{name}` has neither `paths` nor `content`"),
            );
            return None;
        }
        let kind = ArtifactKind::intern(name);
        self.by_kind.insert(kind, self.kinds.len());
        self.kinds.push(KindDef {
            kind,
            format,
            pack: source.pack.clone(),
            origin: source.origin.clone(),
        });
        Some(kind)
    }

    fn log_time(&mut self, entry: &EntryFile, p: &mut Problems<'_>) -> Option<LogTime> {
        let Some(t) = &entry.time else {
            return Some(LogTime::Iso8601);
        };
        Some(match t.value.as_str() {
            "logrus" => LogTime::Logrus,
            "syslog" => LogTime::Syslog,
            "iso8601" => LogTime::Iso8601,
            f if f.contains('%') => {
                if let Err(e) =
                    jiff::fmt::strtime::format(f, jiff::civil::date(2020, 4, 13).at(14, 34, 2, 0))
                {
                    p.at(
                        t,
                        "invalid-time-format",
                        format!("`{f}` is not a strptime format: {e}"),
                    );
                    return None;
                }
                self.strptime.push(f.to_string());
                LogTime::Strptime(self.strptime.len() - 1)
            }
            other => {
                p.at(
                    t,
                    "invalid-time-format",
                    format!("`{other}` is not a time format: logrus, syslog, iso8601 or a strptime format such as `%Y-%m-%d %H:%M:%S`"),
                );
                return None;
            }
        })
    }

    /// Checks a fact declaration and adds it to the catalog.
    fn declare(
        &mut self,
        name: &Spanned<String>,
        fact: &Spanned<decl::FactFile>,
        kind: Option<ArtifactKind>,
        source: &PackSource,
        p: &mut Problems<'_>,
    ) -> Option<()> {
        let f = &fact.value;
        // A declaration without `type` is reported by the shape check.
        let declared_ty = f.ty.as_ref()?;
        if !valid_fact_name(&name.value) {
            p.at(
                name,
                "invalid-fact-name",
                format!(
                    "`{}` is not a fact name: dotted lower-case words (`disk.filesystems`)",
                    name.value
                ),
            );
            return None;
        }
        let Some(ty) = FactType::parse(&declared_ty.value) else {
            p.at(
                declared_ty,
                "unknown-fact-type",
                format!(
                    "unknown fact type `{}`; use text, int, bool, version, list, duration or records",
                    declared_ty.value
                ),
            );
            return None;
        };
        let Some(description) = f
            .description
            .as_ref()
            .filter(|d| !d.value.trim().is_empty())
        else {
            // At the declaration, where the shape check puts its `missing-field` (this says
            // more: an empty description is missing too).
            p.at(
                fact,
                "missing-description",
                format!("fact `{}` needs a `description`", name.value),
            );
            return None;
        };
        let parse = self.int_parse(f.parse.as_ref(), ty, p)?;
        let mut fields = Vec::new();
        if ty == FactType::Records {
            for (field, spec) in &f.fields.0 {
                let fty = match &spec.value.ty {
                    None => FactType::Text,
                    Some(t) => match FactType::parse(&t.value) {
                        Some(FactType::Records) | None => {
                            p.at(
                                t,
                                "unknown-fact-type",
                                format!("a field is text, int, bool, version, list or duration, not `{}`", t.value),
                            );
                            return None;
                        }
                        Some(t) => t,
                    },
                };
                let parse = self.int_parse(spec.value.parse.as_ref(), fty, p)?;
                fields.push(FieldDecl {
                    name: field.value.clone(),
                    ty: fty,
                    parse,
                });
            }
        } else if let Some((field, _)) = f.fields.0.first() {
            p.at(
                field,
                "fields-not-records",
                format!(
                    "`fields` belong to `records` facts; `{}` is {ty}",
                    name.value
                ),
            );
            return None;
        }
        let compiled = match kind.and_then(|k| Some((k, self.format(k)?))) {
            None => None,
            Some((k, format)) => {
                let mut problems = Vec::new();
                let compiled = spec::compile(name, f, ty, parse, &fields, format, &mut problems);
                let failed = !problems.is_empty();
                for ((line, column), code, message) in problems {
                    p.errors.push(MapError {
                        file: p.file.to_string(),
                        line,
                        column,
                        code,
                        message,
                        hint: None,
                    });
                }
                if failed {
                    return None;
                }
                compiled.map(|mut c| {
                    if let Some(l) = &mut c.lookup {
                        l.file = p.file.to_string();
                    }
                    (k, c)
                })
            }
        };
        let decl = FactDecl {
            name: name.value.clone(),
            ty,
            source: f
                .source
                .clone()
                .unwrap_or_else(|| kind.map(|k| k.to_string()).unwrap_or_default()),
            description: description.value.trim().to_string(),
            private: f.private,
            from_manager: f.from_manager,
            declared_in: source.origin.clone(),
            kind,
            fields,
            parse,
        };
        if let Err(first) = self.facts.declare(decl) {
            p.at(
                declared_ty,
                "fact-type-conflict",
                format!(
                    "`{}` is declared {ty} here and {} in {}",
                    name.value, first.ty, first.declared_in
                ),
            );
            return None;
        }
        if let Some((k, compiled)) = compiled {
            self.specs.entry(k).or_default().push(compiled);
        }
        Some(())
    }

    /// How the generic formats read the facts declared on `kind` (none: only its built-in
    /// parser reads it, or nothing is declared).
    pub fn fact_specs(&self, kind: ArtifactKind) -> &[spec::FactSpec] {
        self.specs.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    fn int_parse(
        &self,
        parse: Option<&Spanned<String>>,
        ty: FactType,
        p: &mut Problems<'_>,
    ) -> Option<Option<IntParse>> {
        let Some(parse) = parse else {
            return Some(None);
        };
        match decl::int_parse(&parse.value) {
            Some(mode) if ty == FactType::Int => Some(Some(mode)),
            Some(_) => {
                p.at(
                    parse,
                    "parse-not-int",
                    format!("`parse` reads ints; this is {ty}"),
                );
                None
            }
            None => {
                p.at(
                    parse,
                    "unknown-parse",
                    format!("unknown `parse: {}`; use percent or bytes", parse.value),
                );
                None
            }
        }
    }

    /// Every declared fact.
    pub fn facts(&self) -> &FactCatalog {
        &self.facts
    }

    /// The definition of a loaded kind.
    pub fn def(&self, kind: ArtifactKind) -> Option<&KindDef> {
        self.by_kind.get(&kind).map(|&i| &self.kinds[i])
    }

    /// A loaded kind by name.
    pub fn kind(&self, name: &str) -> Option<ArtifactKind> {
        ArtifactKind::lookup(name).filter(|k| self.by_kind.contains_key(k))
    }

    /// Every loaded kind, in declaration order.
    pub fn kinds(&self) -> impl Iterator<Item = &KindDef> {
        self.kinds.iter()
    }

    /// The format a loaded kind is read with.
    pub fn format(&self, kind: ArtifactKind) -> Option<Format> {
        self.def(kind).map(|d| d.format)
    }

    /// Whether a kind is read line by line (a log).
    pub fn is_log(&self, kind: ArtifactKind) -> bool {
        self.format(kind).is_some_and(Format::is_log)
    }

    /// A `log` kind's strptime format.
    pub fn strptime(&self, index: usize) -> &str {
        self.strptime.get(index).map(String::as_str).unwrap_or("")
    }

    /// The kind of a member by its path alone (the first pack that claims it).
    pub fn by_path(&self, path: &str) -> Option<ArtifactKind> {
        self.claims.iter().find_map(|c| c.by_path(path))
    }

    /// The kind of a member no path claims, by its first bytes (the first pack that claims it).
    pub fn by_content(&self, head: &[u8]) -> Option<ArtifactKind> {
        let head = text_head(head)?;
        self.claims.iter().find_map(|c| c.by_content(head))
    }

    /// The first kind any pack reads a member as.
    pub fn classify(&self, path: &str, head: &[u8]) -> Option<ArtifactKind> {
        let mut out = Vec::new();
        self.classify_all(path, head, &mut out);
        out.first().copied()
    }

    /// Every kind a member is read as: per pack, path first, then content. `out` is cleared.
    pub fn classify_all(&self, path: &str, head: &[u8], out: &mut Vec<ArtifactKind>) {
        out.clear();
        let head = text_head(head);
        for claims in &self.claims {
            let kind = claims
                .by_path(path)
                .or_else(|| head.and_then(|h| claims.by_content(h)));
            if let Some(kind) = kind
                && !out.contains(&kind)
            {
                out.push(kind);
            }
        }
    }
}

/// A fact name: dotted words of lower-case letters, digits and `_` (`connector.tcp.syn_sent`).
pub fn valid_fact_name(name: &str) -> bool {
    name.len() <= 128
        && name.split('.').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// The head content signatures look at: the first few KB of a text member; binary members
/// (NUL bytes early) are not looked at.
fn text_head(head: &[u8]) -> Option<&[u8]> {
    let head = &head[..head.len().min(CONTENT_BYTES)];
    (!head[..head.len().min(1024)].contains(&0)).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str) -> ArtifactKind {
        ArtifactKind::lookup(name).unwrap_or_else(|| panic!("{name} is not loaded"))
    }

    fn pack(name: &str, text: &str) -> PackSource {
        PackSource {
            pack: name.into(),
            origin: format!("{name}/artifacts.yaml"),
            text: text.into(),
            builtin: false,
        }
    }

    #[test]
    fn builtin_map_classifies_contract_paths() {
        let map = ArtifactMap::builtin();
        let cases = [
            (
                "results-04-13-2020--143502/dir-archives/etc/sf/connector.properties",
                "connector-properties",
            ),
            (
                "dir-archives/var-log/connector/connector.log.2.gz",
                "connector-log",
            ),
            (
                "x/command-outputs/usr-local-sf-bin-pmtool status.output",
                "pmtool-status",
            ),
            ("x/command-outputs/bin-netstat -anlp.output", "netstat"),
            ("x/command-outputs/usr-bin-netstat -anlp.output", "netstat"),
            ("x/command-outputs/usr-sbin-lsof -i.output", "lsof"),
            (
                "x/command-outputs/usr-local-sf-bin-sfcli.pl show version.output",
                "show-version",
            ),
            ("x/dir-archives/etc/sf/sf-version", "sf-version"),
            ("dir-archives/var-log/messages", "syslog"),
            ("etc/hostname", "hostname"),
        ];
        for (path, kind) in cases {
            assert_eq!(map.by_path(path), Some(k(kind)), "{path}");
        }
        assert_eq!(
            map.by_path("x/dir-archives/var-log/messages-archive/other"),
            None
        );
        assert_eq!(map.by_path("x/dir-archives/var-log/action_queue.log"), None);
        assert!(map.is_log(k("connector-log")));
        assert!(map.is_log(k("sse-telemetry-log")));
        assert!(!map.is_log(k("lsof")));
        assert_eq!(
            map.format(k("timezone")),
            Some(Format::Builtin(Builtin::Tzif))
        );
    }

    #[test]
    fn star_does_not_cross_folders() {
        let map = ArtifactMap::parse(
            "artifacts:\n  - kind: hostname\n    paths: ['a/*']\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(map.by_path("a/b"), Some(k("hostname")));
        assert_eq!(map.by_path("a/b/c"), None);
        // The replacement's claims are the only built-in ones left.
        assert_eq!(map.by_path("etc/hostname"), None);
    }

    #[test]
    fn content_signatures_find_unknown_locations() {
        let map = ArtifactMap::builtin();
        assert_eq!(
            map.by_content(b"{\"smartLicenseStatus\": {\"registrationStatus\": \"EVALUATION\"}}"),
            Some(k("licensing"))
        );
        assert_eq!(
            map.by_content(b"{\"items\":[{\"type\": \"cloudEventsConfig\"}]}"),
            Some(k("cloud-settings"))
        );
        assert_eq!(
            map.by_content(b"{\"clientInfo\": {}}"),
            Some(k("connector-context"))
        );
        assert_eq!(
            map.by_content(
                b"* Trying 52.4.85.66...\n* Connected to api-sse.cisco.com (52.4.85.66) port 443"
            ),
            Some(k("curl-test"))
        );
        assert_eq!(map.by_content(b"random text"), None);
    }

    #[test]
    fn each_pack_claims_members_for_itself() {
        let site = pack(
            "site",
            "artifacts:\n  - kind: site-log\n    format: log\n    time: syslog\n    paths: ['**/var-log/messages']\n  - kind: site-df\n    format: table\n    content: ['\\AFilesystem ']\n",
        );
        let map = ArtifactMap::builtin().with_pack(&site).unwrap();
        let mut out = Vec::new();
        map.classify_all("dir-archives/var-log/messages", b"", &mut out);
        assert_eq!(out, [k("syslog"), k("site-log")]);
        // `df -i`: a table no built-in pack claims.
        map.classify_all("x/df.txt", b"Filesystem Inodes IUsed", &mut out);
        assert_eq!(out, [k("site-df")]);
        assert_eq!(map.def(k("site-df")).unwrap().origin, "site/artifacts.yaml");
        assert_eq!(
            map.format(k("site-log")),
            Some(Format::Log(LogTime::Syslog))
        );
        // `--artifacts` replaces the built-in claims only: the site pack still claims its own.
        let replaced = map
            .replacing_builtin_claims(&pack(
                "repl",
                "artifacts:\n  - kind: syslog\n    paths: ['other']\n",
            ))
            .unwrap();
        replaced.classify_all("dir-archives/var-log/messages", b"", &mut out);
        assert_eq!(out, [k("site-log")]);
        replaced.classify_all("other", b"", &mut out);
        assert_eq!(out, [k("syslog")]);
    }

    #[test]
    fn an_entry_for_an_existing_kind_needs_no_claims_and_keeps_its_format() {
        let add = pack("a", "artifacts:\n  - kind: show-version\n");
        assert!(ArtifactMap::builtin().with_pack(&add).is_ok());
        let bad = pack(
            "a",
            "artifacts:\n  - kind: show-version\n    format: json\n  - kind: new-one\n    format: text\n  - kind: new-two\n    paths: [x]\n  - kind: x3\n    format: csv\n    paths: [x]\n",
        );
        let errors = ArtifactMap::builtin().with_pack(&bad).unwrap_err();
        let codes: Vec<(&str, u64)> = errors.iter().map(|e| (e.code, e.line)).collect();
        assert_eq!(
            codes,
            [
                ("format-conflict", 3),
                ("artifact-matches-nothing", 4),
                ("unknown-artifact-kind", 6),
                ("unknown-format", 9)
            ]
        );
    }

    #[test]
    fn facts_are_declared_with_types_and_checked() {
        let map = ArtifactMap::builtin();
        let v = map.facts().lookup("device.version").unwrap();
        assert_eq!(v.ty, FactType::Version);
        assert_eq!(v.declared_in, "built-in:sse/artifacts.yaml");
        assert!(map.facts().lookup("connector.fqdn").unwrap().private);
        assert_eq!(
            map.facts()
                .lookup("pmtool.sseconnector.state")
                .unwrap()
                .kind,
            Some(k("pmtool-status"))
        );
        let good = pack(
            "acme",
            "artifacts:\n  - kind: acme-df\n    format: table\n    paths: [x]\n    facts:\n      disk.filesystems:\n        type: records\n        description: One per mount.\n        fields:\n          mount: {column: Mounted on}\n          use_percent: {column: Use%, type: int, parse: percent}\n",
        );
        let map = map.with_pack(&good).unwrap();
        let d = map.facts().lookup("disk.filesystems").unwrap();
        assert_eq!(d.declared_in, "acme/artifacts.yaml");
        let fields: Vec<(&str, FactType)> =
            d.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
        assert_eq!(
            fields,
            [("mount", FactType::Text), ("use_percent", FactType::Int)]
        );
        assert_eq!(d.fields[1].parse, Some(IntParse::Percent));
        let bad = pack(
            "bad",
            "facts:\n  device.version: {type: int, description: x}\n  a.b: {type: float, description: x}\n  a.c: {type: text}\n  a.d: {type: text, parse: percent, description: x}\n  A.e: {type: text, description: x}\n",
        );
        let errors = ArtifactMap::builtin().with_pack(&bad).unwrap_err();
        let codes: Vec<(&str, u64)> = errors.iter().map(|e| (e.code, e.line)).collect();
        assert_eq!(
            codes,
            [
                ("fact-type-conflict", 2),
                ("unknown-fact-type", 3),
                ("missing-description", 4),
                ("parse-not-int", 5),
                ("invalid-fact-name", 6)
            ]
        );
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
        assert_eq!((syntax[0].code, syntax[0].line), ("unknown-key", 3));
        let time = ArtifactMap::builtin()
            .with_pack(&pack(
                "t",
                "artifacts:\n  - kind: t-log\n    format: log\n    time: 'nope'\n    paths: [x]\n",
            ))
            .unwrap_err();
        assert_eq!(time[0].code, "invalid-time-format");
    }

    #[test]
    fn shape_and_meaning_problems_of_one_file_come_out_together() {
        // A misspelt key, a wrong type, an unknown format and a missing `type`: all four in one
        // run, each at its place, in file order (the facts of a kind whose format is unknown
        // are not compiled, so the regex's missing `value` shows once the format is right).
        let text = "artifacts:\n  - kind: show-version\n    formt: text\n  - kind: t-df\n    paths: x\n    content: ['Filesystem']\n    format: tabel\n    facts:\n      t.a: {description: no type}\n      t.b: {type: int, description: b, regex: 'b (\\d+)'}\n";
        let errors = ArtifactMap::builtin()
            .with_pack(&pack("t", text))
            .unwrap_err();
        let got: Vec<(&str, u64, u64)> =
            errors.iter().map(|e| (e.code, e.line, e.column)).collect();
        assert_eq!(
            got,
            [
                ("unknown-key", 3, 5),
                ("wrong-type", 5, 12),
                ("unknown-format", 7, 13),
                ("missing-field", 9, 12),
            ],
            "{errors:?}"
        );
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `format`?"));
        assert_eq!(errors[2].hint.as_deref(), Some("did you mean `table`?"));
        // With the format right, the facts' own problems show, the shape's beside the meaning's.
        let text = text.replace("tabel", "text");
        let errors = ArtifactMap::builtin()
            .with_pack(&pack("t", &text))
            .unwrap_err();
        let got: Vec<(&str, u64)> = errors.iter().map(|e| (e.code, e.line)).collect();
        assert_eq!(
            got,
            [
                ("unknown-key", 3),
                ("wrong-type", 5),
                ("missing-field", 9),
                ("missing-value-capture", 10),
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn the_schema_lists_every_format_fact_type_and_parse_mode() {
        // Editors complete artifact definitions from rules/schema.json, and the shape check reads
        // the same lists: they are the loader's, no more and no fewer.
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../rules/schema.json")).unwrap();
        let list = |def: &str, key: &str| -> Vec<String> {
            schema["definitions"][def]["properties"][key]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{def}.{key} has no enum"))
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let mut formats: Vec<String> = format::GENERIC.iter().map(|f| f.to_string()).collect();
        formats.extend(Builtin::ALL.iter().map(|b| b.as_str().to_string()));
        assert_eq!(list("ArtifactEntry", "format"), formats);
        for f in &formats {
            assert!(Format::parse(f).is_some(), "{f}");
        }
        let types = list("ArtifactFact", "type");
        assert_eq!(types.len(), 7);
        assert!(
            types.iter().all(|t| FactType::parse(t).is_some()),
            "{types:?}"
        );
        let field_types = list("ArtifactField", "type");
        assert_eq!(
            field_types,
            types
                .iter()
                .filter(|t| *t != "records")
                .cloned()
                .collect::<Vec<_>>()
        );
        for def in ["ArtifactFact", "ArtifactField"] {
            let modes = list(def, "parse");
            assert!(
                modes.iter().all(|m| decl::int_parse(m).is_some()),
                "{modes:?}"
            );
        }
    }
}
