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

/// Facts of these namespaces live on the FMC for an FMC-managed FTD.
pub fn inherited_from_manager(name: &str) -> bool {
    name.starts_with("license.") || name.starts_with("cloud.")
}
