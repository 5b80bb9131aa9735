//! The facts a rule may name, with their types: the declarations of the loaded packs
//! ([`crate::artifacts::FactCatalog`]). This module answers for the built-in packs, for code that
//! has no loaded definitions at hand; the rule loader and the fact store use the catalog of the
//! definitions they were given, so a fact a `--rules` pack declares is as checked as a built-in
//! one.

pub use crate::artifacts::{FactCatalog, FactDecl, FactType};

/// The built-in packs' fact declarations.
pub fn builtin() -> &'static FactCatalog {
    static MAP: std::sync::LazyLock<crate::artifacts::ArtifactMap> =
        std::sync::LazyLock::new(crate::artifacts::ArtifactMap::builtin);
    MAP.facts()
}

/// Looks a built-in fact up by name.
pub fn lookup(name: &str) -> Option<&'static FactDecl> {
    builtin().lookup(name)
}

/// Whether the built-in fact is declared to live on the managing FMC (`from_manager: true`).
pub fn inherited_from_manager(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.from_manager)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_and_cloud_settings_are_declared_to_live_on_the_manager() {
        let names: Vec<&str> = builtin().iter().map(|f| f.name.as_str()).collect();
        let inherited: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| inherited_from_manager(n))
            .collect();
        // The same facts the `license.` / `cloud.` prefixes named before it was declared.
        let prefixed: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("license.") || n.starts_with("cloud."))
            .collect();
        assert_eq!(inherited, prefixed);
        assert_eq!(inherited.len(), 7);
        assert!(!inherited_from_manager("device.name"));
    }
}
