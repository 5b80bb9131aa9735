//! The one list of facts a rule may name, with their types.
//!
//! `fptriage facts` prints these names, rules name them, and the rule loader rejects a name that
//! is not here, so a typo in a rule is an error at load time, never a silent miss.

use serde::Serialize;

/// The type of a fact's value, which decides the operators a rule may apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Bool,
    Int,
    Text,
    Version,
    List,
}

/// A fact a rule may name.
#[derive(Debug, Clone, Serialize)]
pub struct FactDef {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Where it comes from, for rule authors and for "what to ask the customer for".
    pub source: &'static str,
    pub description: &'static str,
    /// Its value can name the customer (a host name, an address, an id): `--redact` replaces
    /// every occurrence of the value, in every output, wherever it stands.
    pub private: bool,
    /// Declared to live on the managing FMC: a managed device that does not have it reads the
    /// FMC's (the licence and cloud settings an FMC pushes to its FTDs).
    pub from_manager: bool,
}

macro_rules! facts {
    (@has $flag:ident) => { false };
    (@has $flag:ident $first:ident $($rest:ident)*) => {
        facts!(@same $flag $first) || facts!(@has $flag $($rest)*)
    };
    (@same private private) => { true };
    (@same from_manager from_manager) => { true };
    (@same $a:ident $b:ident) => { false };
    ($($name:literal : $ty:ident $($flag:ident)*, $source:literal, $desc:literal;)*) => {
        /// Every fact, in the order `fptriage facts` prints them.
        pub const FACTS: &[FactDef] = &[$(FactDef {
            name: $name,
            ty: FactType::$ty,
            source: $source,
            description: $desc,
            private: facts!(@has private $($flag)*),
            from_manager: facts!(@has from_manager $($flag)*),
        }),*];
    };
}

facts! {
    "device.product": Text, "sf-version or show version", "FMC or FTD";
    "device.name": Text private, "etc/hostname or show version", "host name of the device";
    "device.version": Version, "sf-version or show version", "software version, compared part by part";
    "device.model": Text, "sf-version or show version", "model line";
    "device.appliance_id": Text private, "etc/sf/ims.conf or show version", "appliance UUID";
    "connector.properties.present": Bool, "etc/sf/connector.properties", "whether connector.properties is in the bundle (false: its folder etc/sf is there, the file is not)";
    "connector.fqdn": Text private, "etc/sf/connector.properties", "connector_fqdn: the SSE API host";
    "connector.fqdn.region": Text, "etc/sf/connector.properties", "region of connector_fqdn (US, EU, APJC, AUS, IN) or `unknown`";
    "connector.port": Int, "etc/sf/connector.properties", "connector_port";
    "connector.registration_interval": Int, "etc/sf/connector.properties", "registration_interval";
    "connector.properties.problems": List, "etc/sf/connector.properties", "required keys missing or invalid";
    "connector.log.present": Bool, "connector.log", "whether the bundle holds a connector.log";
    "connector.peer_regions": List, "connector.log", "regions of the SSE hosts the connector log names";
    "pmtool.sseconnector.state": Text, "pmtool status", "SSEConnector state (`Running`, `User Disabled`, ...) or `absent`";
    "pmtool.eventhandler.state": Text, "pmtool status", "EventHandler state or `absent`";
    "sockets.eventhandler.state": Text, "netstat -anlp", "EventHandler_SSEConnector.sock: `connected`, `listening` or `absent`";
    "connector.tcp.established": Int, "lsof -i", "connector TCP connections ESTABLISHED to https peers";
    "connector.tcp.syn_sent": Int, "lsof -i", "connector TCP connections stuck in SYN_SENT to https peers";
    "connector.tcp.peers": List private, "lsof -i", "connector TCP peers with their state";
    "license.registration": Text from_manager, "smart licensing status", "EVALUATION, REGISTERED, UNREGISTERED, REGISTRATION_EXPIRED, REGISTERED_SATELLITE";
    "license.authorization": Text from_manager, "smart licensing status", "AUTHORIZED, EVAL_MODE, OUT_OF_COMPLIANCE, AUTHORIZATION_EXPIRED, ...";
    "license.evaluation": Bool from_manager, "smart licensing status", "Smart Licensing in evaluation mode";
    "license.satellite": Bool from_manager, "smart licensing status", "registered through Satellite / Smart Software Manager On-Prem";
    "cloud.events.enabled": Bool from_manager, "cloud event configuration", "Cisco Cloud Event Configuration on";
    "cloud.events.types": List from_manager, "cloud event configuration", "event types sent to the cloud";
    "cloud.region": Text from_manager, "cloud region setting", "configured cloud region";
    "context.status": Text, "connector context (curl localhost:8989/v1/contexts/default)", "enrollment status (`Enrolled`, ...)";
    "context.fqdn": Text private, "connector context", "settings.exchange.fqdn";
    "curl.failed_hosts": List private, "curl -v tests", "SSE hosts whose connectivity test failed";
    "curl.ok_hosts": List private, "curl -v tests", "SSE hosts whose connectivity test succeeded";
    "curl.tls_intercepted_hosts": List private, "curl -v tests", "SSE hosts whose test with --cacert failed certificate verification";
    "sse.region": Text, "connector.properties, context, cloud region, connector.log", "the region the device uses";
    "region.conflicts": List, "connector.properties, context, cloud region, connector.log", "sources that disagree on the region";
}

/// Looks a fact up by name.
pub fn lookup(name: &str) -> Option<&'static FactDef> {
    FACTS.iter().find(|f| f.name == name)
}

/// Whether the fact is declared to live on the managing FMC (`from_manager`).
pub fn inherited_from_manager(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.from_manager)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_and_cloud_settings_are_declared_to_live_on_the_manager() {
        let inherited: Vec<&str> = FACTS
            .iter()
            .filter(|f| f.from_manager)
            .map(|f| f.name)
            .collect();
        // The same facts the `license.` / `cloud.` prefixes named before it was declared.
        let prefixed: Vec<&str> = FACTS
            .iter()
            .filter(|f| f.name.starts_with("license.") || f.name.starts_with("cloud."))
            .map(|f| f.name)
            .collect();
        assert_eq!(inherited, prefixed);
        assert_eq!(inherited.len(), 7);
        assert!(lookup("device.name").unwrap().private);
        assert!(!lookup("device.name").unwrap().from_manager);
    }
}
