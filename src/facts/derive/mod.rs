//! Parsed artifacts → named facts, per device.
//!
//! Each document is summarised when its member ends ([`summarize`]: the facts it sets, its
//! text dropped); once a device root is complete, [`device`] replays the summaries and stores
//! each result under its declared name, with its evidence; [`region_facts`] runs once the FMC's
//! settings are known. Which roots are devices, and where loose files go, is
//! [`super::case`]'s job.
//!
//! - `builder`: the fact store, type checks and value caps;
//! - `summarize`: one document → its summary; `identity`, `builtin` and `curl`: what the
//!   built-in parsers' output means as facts;
//! - `connector`: the `connector.properties` check over its kind's declared facts;
//! - `lookup`: a declared fact's value looked up in a domain table;
//! - `device`: the summaries of a device → the device; `region`: the region facts.

mod builder;
mod builtin;
mod connector;
mod curl;
mod device;
mod identity;
mod lookup;
mod region;
mod summarize;

pub(crate) use device::device;
pub(crate) use region::region_facts;
pub(crate) use summarize::{Loaded, summarize};
