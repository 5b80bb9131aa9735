//! One document → its [`DocSummary`], when its member ends: the facts its built-in parser and
//! the generic formats find in it, and what the device's identity needs (version, host name,
//! appliance UUID); its text is dropped afterwards.

use std::collections::{BTreeMap, BTreeSet};

use super::builder::{Builder, line_text};
use super::{builtin, connector, curl, identity, lookup};
use crate::artifacts::spec::FactSpec;
use crate::artifacts::{ArtifactKind, Builtin, FactCatalog, Format};
use crate::domain::Domain;
use crate::facts::extract;
use crate::facts::unit::DocSummary;
use crate::limits::Limits;

/// What the loaded packs and the options give the reading of every document.
#[derive(Clone, Copy)]
pub(crate) struct Loaded<'a> {
    pub limits: &'a Limits,
    /// The fact declarations: every value is checked against its fact's type.
    pub catalog: &'a FactCatalog,
    /// The domain tables: which hosts are SSE hosts, and of which region.
    pub domain: &'a Domain,
}

/// Parses one document into what facts need. `path` is its display path; `specs` are the facts
/// the packs declare on its kind.
pub(crate) fn summarize(
    kind: ArtifactKind,
    format: Format,
    path: String,
    doc: &str,
    specs: &[FactSpec],
    loaded: Loaded<'_>,
) -> DocSummary {
    let Loaded {
        limits,
        catalog,
        domain,
    } = loaded;
    let mut b = Builder::new(limits, catalog, domain);
    let builtin = format.builtin();
    let mut summary = DocSummary {
        format: builtin,
        path: String::new(),
        version: None,
        facts: BTreeMap::new(),
        cut: BTreeSet::new(),
        rejected: BTreeSet::new(),
        capped: Vec::new(),
        hostname: None,
        uuid: None,
        curl: None,
    };
    let path = &path;
    match builtin {
        Some(which @ (Builtin::SfVersion | Builtin::ShowVersion)) => {
            summary.version = identity::version(which, &b, path, doc, &mut summary.cut);
        }
        Some(Builtin::Hostname) => summary.hostname = identity::hostname(&mut b, path, doc),
        Some(Builtin::ImsConf) => summary.uuid = identity::appliance_id(&mut b, path, doc),
        Some(Builtin::Pmtool) => builtin::pmtool_facts(&mut b, path, doc),
        Some(Builtin::Netstat) => builtin::netstat_facts(&mut b, path, doc),
        Some(Builtin::Lsof) => builtin::lsof_facts(&mut b, path, doc),
        Some(Builtin::Licensing) => builtin::licensing_facts(&mut b, path, doc),
        Some(Builtin::CloudSettings) => builtin::cloud_facts(&mut b, path, doc),
        Some(Builtin::ConnectorContext) => builtin::context_facts(&mut b, path, doc),
        Some(Builtin::Curl) => summary.curl = Some(curl::summary(kind, path, doc, limits, domain)),
        _ => {}
    }
    // The facts the packs declare on this kind, read by the generic formats.
    if !specs.is_empty() {
        let mut found = extract::Found::new(limits);
        extract::run(specs, doc, &mut found);
        for (name, value, line) in found.values {
            let value = match specs
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.lookup.as_ref())
            {
                Some(l) => match lookup::look_up(l, domain, &value) {
                    Some(v) => v,
                    None => continue,
                },
                None => value,
            };
            b.set(
                &name,
                value,
                path,
                line,
                line.and_then(|l| line_text(doc, l)),
            );
        }
        summary.capped = found
            .capped
            .into_iter()
            .map(|(code, message)| (code, format!("{path}: {message}")))
            .collect();
        connector::check(&mut b, path, doc, specs);
    }
    summary.path = path.clone();
    summary.facts = b.facts;
    summary.cut.extend(b.cut);
    summary.rejected = b.rejected;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactValue;

    #[test]
    fn a_document_is_summarised_into_its_facts() {
        let limits = Limits {
            value_chars: 8,
            ..Limits::default()
        };
        let s = summarize(
            ArtifactKind::intern("hostname"),
            Format::Builtin(Builtin::Hostname),
            "b!/etc/hostname".into(),
            "# comment\nfmc-very-long-name\n",
            &[],
            Loaded {
                limits: &limits,
                catalog: crate::facts::registry::builtin(),
                domain: &Domain::default(),
            },
        );
        assert_eq!(s.hostname.as_deref(), Some("fmc-very…[cut 10 bytes]"));
        let fact = &s.facts["device.name"];
        assert_eq!(fact.evidence.as_ref().unwrap().line, Some(2));
        assert!(s.cut.contains("device.name"));
        let lsof = "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n".to_string()
            + &"connector 1 www 12u IPv4 1 0t0 TCP a:1->b:https (SYN_SENT)\n".repeat(300);
        let s = summarize(
            ArtifactKind::intern("lsof"),
            Format::Builtin(Builtin::Lsof),
            "x".into(),
            &lsof,
            &[],
            Loaded {
                limits: &Limits::default(),
                catalog: crate::facts::registry::builtin(),
                domain: &Domain::default(),
            },
        );
        assert_eq!(s.facts["connector.tcp.syn_sent"].value, FactValue::Int(300));
        let FactValue::List(peers) = &s.facts["connector.tcp.peers"].value else {
            panic!()
        };
        assert_eq!(peers.len(), 257);
        assert_eq!(peers[256], "…[44 more]");
    }
}
