//! fptriage: offline root-cause triage of Cisco Firepower troubleshoot bundles.
//!
//! The data flows one way: [`ingest`] streams an upload's archives and members; [`artifacts`]
//! says which member is which artifact (by the YAML artifact map); [`parse`] reads each artifact
//! format; [`facts`] builds the typed model of each device, running the [`matcher`] over logs as
//! they stream and matching hosts against the packs' [`domain`] tables; [`rules`] loads and
//! evaluates the YAML rules; [`report`] renders one report model (from the case and its findings)
//! as HTML, Markdown or JSON. [`pipeline`] strings them together for one case; [`diff`] compares
//! two analyses of one case (before and after a fix); [`authoring`] (lint output, rule tests)
//! sits above the pipeline, as [`batch`] does. Every YAML file a pack carries is read by [`yaml`]
//! (spanned tree, shape check against `rules/schema.json`, typed read), below all of them. The library
//! never prints: it returns values, warnings and diagnostics, and the CLI decides what to show.

pub mod artifacts;
pub mod authoring;
pub mod batch;
pub mod builtin;
pub mod diff;
pub mod domain;
pub mod facts;
pub mod i18n;
pub mod ingest;
pub mod limits;
pub mod matcher;
pub mod mining;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod text;
pub mod version;
pub mod yaml;
