//! fptriage: offline root-cause triage of Cisco Firepower troubleshoot bundles.
//!
//! The data flows one way: [`ingest`] streams an upload's archives and members; [`artifacts`]
//! says which member is which artifact (by the YAML artifact map); [`parse`] reads each artifact
//! format; [`facts`] builds the typed model of each device, running the [`matcher`] over logs as
//! they stream; [`rules`] loads, lints and evaluates the YAML rules; [`report`] renders one report
//! model as HTML, Markdown or JSON. [`pipeline`] strings them together for one case; [`diff`]
//! compares two analyses of one case (before and after a fix). The library
//! never prints: it returns values, warnings and diagnostics, and the CLI decides what to show.

pub mod artifacts;
pub mod batch;
pub mod builtin;
pub mod diff;
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
pub mod version;
