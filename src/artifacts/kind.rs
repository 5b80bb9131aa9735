//! Artifact kinds as data: a kind is a name a pack's `artifacts.yaml` declares, interned once
//! into a small `Copy` id, so the engine can key maps and sets by kind without owning a list of
//! them. What a kind means (its format, its facts, which pack claims which members as it) lives in
//! the loaded definitions ([`super::ArtifactMap`]); the id only names it.
//!
//! Names are interned process-wide, because kinds are compared across every case and every rule
//! set of a run. Only definitions intern ([`ArtifactKind::intern`]); rules and tests look names
//! up ([`ArtifactKind::lookup`]) and never add one, so what is interned is bounded by what the
//! loaded packs declare, never by a bundle's content.

use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, RwLock};

use serde::{Serialize, Serializer};

/// An artifact kind: an interned name (`connector-log`, `disk-usage`, …). Ordered by name, so
/// sets of kinds list the same whatever order packs were loaded in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArtifactKind(u32);

struct Interner {
    names: Vec<&'static str>,
    ids: HashMap<&'static str, u32>,
}

static KINDS: LazyLock<RwLock<Interner>> = LazyLock::new(|| {
    RwLock::new(Interner {
        names: Vec::new(),
        ids: HashMap::new(),
    })
});

/// Longest kind name accepted: names come from YAML, and are kept for the process.
pub const MAX_KIND_NAME: usize = 64;

impl ArtifactKind {
    /// The kind of this name, added when it is new. Callers are definition loaders, which have
    /// checked the name ([`valid_name`]).
    pub fn intern(name: &str) -> ArtifactKind {
        if let Some(kind) = ArtifactKind::lookup(name) {
            return kind;
        }
        let mut kinds = KINDS.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = kinds.ids.get(name) {
            return ArtifactKind(id);
        }
        let id = u32::try_from(kinds.names.len()).unwrap_or(u32::MAX);
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        kinds.names.push(name);
        kinds.ids.insert(name, id);
        ArtifactKind(id)
    }

    /// The kind of this name if some definition declared it.
    pub fn lookup(name: &str) -> Option<ArtifactKind> {
        let kinds = KINDS.read().unwrap_or_else(|e| e.into_inner());
        kinds.ids.get(name).map(|&id| ArtifactKind(id))
    }

    pub fn as_str(self) -> &'static str {
        let kinds = KINDS.read().unwrap_or_else(|e| e.into_inner());
        kinds.names.get(self.0 as usize).copied().unwrap_or("?")
    }
}

/// A kind name is kebab-case: lower-case letters, digits and `-`, starting with a letter.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_KIND_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl PartialOrd for ArtifactKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ArtifactKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.0 == other.0 {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArtifactKind({})", self.as_str())
    }
}

impl Serialize for ArtifactKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_intern_once_and_order_by_name() {
        let b = ArtifactKind::intern("zz-test-kind-b");
        let a = ArtifactKind::intern("zz-test-kind-a");
        assert_eq!(ArtifactKind::intern("zz-test-kind-b"), b);
        assert_eq!(ArtifactKind::lookup("zz-test-kind-a"), Some(a));
        assert_eq!(ArtifactKind::lookup("zz-never-declared"), None);
        assert!(a < b);
        assert_eq!(b.to_string(), "zz-test-kind-b");
    }

    #[test]
    fn kind_names_are_kebab_case() {
        assert!(valid_name("disk-usage"));
        assert!(valid_name("sf-version2"));
        assert!(!valid_name("Disk"));
        assert!(!valid_name("-a"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"a".repeat(65)));
    }
}
