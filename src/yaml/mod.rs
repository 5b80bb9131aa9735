//! YAML files read with their places: the spanned tree, the shape check against
//! `rules/schema.json`, the typed read of what is left, and "did you mean".
//!
//! Every file a pack carries (rules, rule tests, artifact definitions, domain tables) is read
//! the same way, by [`read()`]: parse into a [`tree::Node`] tree, check it field by field
//! against its schema definition collecting every problem ([`shape`]), blank out the broken
//! entries and deserialise the rest, so that the loader's meaning checks run on everything that
//! is left. The loaders above (`artifacts`, `domain`, `rules`) add their file name and level; the
//! wording of serde's errors is read here and nowhere else. It depends on no other module of the
//! crate.

pub mod fuzzy;
pub mod read;
pub mod shape;
pub mod tree;

pub use fuzzy::did_you_mean;
pub use read::{Placed, merge, read};
pub use shape::Problem;
