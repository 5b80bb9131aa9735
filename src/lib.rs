//! fptriage: offline root-cause triage of Cisco Firepower troubleshoot bundles.
pub mod artifacts;
pub mod ingest;
pub mod limits;
