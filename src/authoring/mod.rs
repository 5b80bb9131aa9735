//! Authoring rule packs: lint output and rule tests.
//!
//! Above [`crate::pipeline`]: a rule test analyses its inline bundle like any other case, so it
//! needs the whole pipeline, while [`crate::rules`] (loading, evaluating) stays below it. Data
//! flows one way: `rules` never reaches up here.

pub mod lint;
pub mod ruletest;
