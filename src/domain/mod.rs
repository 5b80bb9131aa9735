//! Domain tables: what the packs know about the world outside the bundle, loaded as data.
//!
//! A pack's `domain.yaml` declares host **classes** (named sets of host patterns, such as the
//! `sse` pack's `sse`) and **tables** (named lists of entries, each with a name, aliases, the
//! host patterns that belong to it and named fields, such as the SSE regions and their API,
//! eventing and registration hosts). The engine matches hosts against these and reads fields by
//! the names a pack gives them; it names no host, region or vendor itself. [`load`] parses a
//! file with its places and validates it; [`Domain::merge`] combines the packs in load order.

pub mod load;
pub mod pattern;

use std::collections::BTreeMap;

pub use pattern::{HostPattern, MAX_HOST_TEXT};

/// Every loaded class and table.
#[derive(Debug, Clone, Default)]
pub struct Domain {
    classes: BTreeMap<String, Class>,
    tables: BTreeMap<String, Table>,
}

/// A named set of hosts.
#[derive(Debug, Clone, Default)]
pub struct Class {
    pub name: String,
    pub description: String,
    /// `--redact` keeps the hosts of a public class readable.
    pub public: bool,
    hosts: Vec<HostPattern>,
    /// Hosts its `hosts` patterns match that are not in the class all the same (customer
    /// tenants under a vendor's domain that a public class keeps readable).
    except: Vec<HostPattern>,
    /// Which host a log line that names only an address (no host) is counted for.
    pub address_host: Option<AddressHost>,
}

/// The host an address-only line stands for: field `field` of the entry of `table` named by the
/// device's fact `fact`, else of the entry named `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressHost {
    pub table: String,
    pub fact: String,
    pub field: String,
    pub default: String,
}

/// A named list of entries.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub name: String,
    pub description: String,
    /// The field names every entry may give.
    pub fields: Vec<String>,
    pub entries: Vec<Entry>,
}

/// One entry of a table: a region, a service.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub name: String,
    /// Other spellings of the name (`APJ` for `APJC`), matched without case.
    pub aliases: Vec<String>,
    hosts: Vec<HostPattern>,
    pub fields: BTreeMap<String, String>,
}

/// `host` without surrounding space or a trailing dot; None when too long to be a host.
fn trimmed(host: &str) -> Option<&str> {
    (host.len() <= MAX_HOST_TEXT).then(|| {
        let h = host.trim();
        h.strip_suffix('.').unwrap_or(h)
    })
}

impl Domain {
    /// The class named `name`, if a loaded pack declares it.
    pub fn class(&self, name: &str) -> Option<&Class> {
        self.classes.get(name)
    }

    /// The table named `name`, if a loaded pack declares it.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn classes(&self) -> impl Iterator<Item = &Class> {
        self.classes.values()
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// Whether `host` belongs to class `class` (false when no pack declares the class).
    pub fn in_class(&self, class: &str, host: &str) -> bool {
        self.class(class).is_some_and(|c| c.contains(host))
    }

    /// Whether `host` belongs to a class declared `public`: kept readable by `--redact`.
    pub fn is_public(&self, host: &str) -> bool {
        self.classes.values().any(|c| c.public && c.contains(host))
    }

    /// The host that a line naming only an address is counted for under class `class`, on a
    /// device whose facts `fact` reads (see [`AddressHost`]); None when the class says none.
    pub fn address_host<'a>(
        &'a self,
        class: &str,
        fact: impl Fn(&str) -> Option<String>,
    ) -> Option<&'a str> {
        let a = self.class(class)?.address_host.as_ref()?;
        let table = self.table(&a.table)?;
        let named = fact(&a.fact).and_then(|v| table.entry(&v));
        named.or_else(|| table.entry(&a.default))?.field(&a.field)
    }

    /// Adds a later pack's classes and tables: a class of the same name gains its hosts and
    /// exceptions (which then apply to all of its hosts), and its publicity and address host, when it gives them); a table of the same name gains its
    /// fields and entries, an entry of the same name its aliases and hosts, and its fields
    /// replace those it names.
    pub fn merge(&mut self, other: Domain) {
        for (name, class) in other.classes {
            match self.classes.get_mut(&name) {
                None => {
                    self.classes.insert(name, class);
                }
                Some(mine) => {
                    mine.public |= class.public;
                    mine.hosts.extend(class.hosts);
                    mine.except.extend(class.except);
                    if class.address_host.is_some() {
                        mine.address_host = class.address_host;
                    }
                    if mine.description.is_empty() {
                        mine.description = class.description;
                    }
                }
            }
        }
        for (name, table) in other.tables {
            let Some(mine) = self.tables.get_mut(&name) else {
                self.tables.insert(name, table);
                continue;
            };
            for f in table.fields {
                if !mine.fields.contains(&f) {
                    mine.fields.push(f);
                }
            }
            for entry in table.entries {
                match mine.entries.iter_mut().find(|e| e.name == entry.name) {
                    None => mine.entries.push(entry),
                    Some(e) => {
                        e.aliases.extend(entry.aliases);
                        e.hosts.extend(entry.hosts);
                        e.fields.extend(entry.fields);
                    }
                }
            }
        }
    }
}

impl Class {
    /// Whether `host` (any case, a trailing dot allowed) matches one of the class's patterns
    /// and none of its exceptions.
    pub fn contains(&self, host: &str) -> bool {
        trimmed(host).is_some_and(|h| {
            self.hosts.iter().any(|p| p.matches(h)) && !self.except.iter().any(|p| p.matches(h))
        })
    }

    /// The hosts of this class named in free text (a syslog message, a log line without a URL),
    /// lower-case, in the order they stand.
    pub fn hosts_in<'t>(&'t self, text: &'t str) -> impl Iterator<Item = String> + 't {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .filter(|t| t.contains('.') && self.contains(t))
            .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
    }

    pub fn patterns(&self) -> &[HostPattern] {
        &self.hosts
    }

    pub fn exceptions(&self) -> &[HostPattern] {
        &self.except
    }
}

impl Table {
    /// The entry named `name` or with `name` as an alias (without case or surrounding space).
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        let name = name.trim();
        self.entries.iter().find(|e| {
            e.name.eq_ignore_ascii_case(name)
                || e.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The entry `host` belongs to: of the entries with a pattern that matches it, the one with
    /// the most specific pattern (see [`HostPattern::specificity`]); the first on a tie.
    pub fn entry_of_host(&self, host: &str) -> Option<&Entry> {
        let host = trimmed(host)?;
        let mut best: Option<((usize, u8), &Entry)> = None;
        for e in &self.entries {
            for p in e.hosts.iter().filter(|p| p.matches(host)) {
                if best.is_none_or(|(s, _)| p.specificity() > s) {
                    best = Some((p.specificity(), e));
                }
            }
        }
        best.map(|(_, e)| e)
    }

    /// The first entry whose field `field` is the host `host` (without case, surrounding space
    /// or a trailing dot): the region whose API host a `connector_fqdn` names.
    pub fn entry_with_host(&self, field: &str, host: &str) -> Option<&Entry> {
        let host = trimmed(host)?;
        self.entries.iter().find(|e| {
            e.field(field)
                .is_some_and(|v| v.trim_end_matches('.').eq_ignore_ascii_case(host))
        })
    }
}

impl Entry {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn patterns(&self) -> &[HostPattern] {
        &self.hosts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "
classes:
  svc:
    description: The service's hosts.
    public: true
    hosts: [api.example.net, '**.svc.example.net']
    address_host: {table: site, fact: svc.site, field: events, default: north}
tables:
  site:
    description: Sites.
    fields: [api, events]
    entries:
      - name: north
        aliases: [N, nord]
        hosts: [api.example.net, '*.svc.example.net', '**.n.svc.example.net']
        fields: {api: api.example.net, events: ev.svc.example.net}
      - name: south
        hosts: ['**.s.svc.example.net']
        fields: {api: api.s.svc.example.net, events: ev.s.svc.example.net}
";

    fn domain() -> Domain {
        let (d, problems) = load::parse(TEXT);
        assert!(problems.is_empty(), "{problems:?}");
        d
    }

    #[test]
    fn hosts_classes_entries_and_fields() {
        let d = domain();
        assert!(d.in_class("svc", "API.example.net."));
        assert!(d.in_class("svc", "mx1.s.svc.example.net"));
        assert!(!d.in_class("svc", "example.net"));
        assert!(!d.in_class("other", "api.example.net"));
        assert!(d.is_public("x.svc.example.net"));
        let site = d.table("site").unwrap();
        assert_eq!(site.entry(" Nord ").map(|e| e.name.as_str()), Some("north"));
        assert_eq!(
            site.entry_of_host("ev.svc.example.net").unwrap().name,
            "north"
        );
        assert_eq!(
            site.entry_of_host("a.b.n.svc.example.net").unwrap().name,
            "north"
        );
        assert_eq!(
            site.entry_of_host("dex.s.svc.example.net").unwrap().name,
            "south"
        );
        assert!(site.entry_of_host("a.b.svc.example.net").is_none());
        assert_eq!(
            site.entry_with_host("api", "API.s.svc.example.net.")
                .unwrap()
                .name,
            "south"
        );
        assert!(site.entry_with_host("api", "ev.svc.example.net").is_none());
        let found: Vec<_> = d
            .class("svc")
            .unwrap()
            .hosts_in("lookup Ev.S.svc.example.net. failed; www.example.net")
            .collect();
        assert_eq!(found, ["ev.s.svc.example.net"]);
    }

    #[test]
    fn an_address_only_line_goes_to_the_entry_a_fact_names() {
        let d = domain();
        let none = |_: &str| None;
        assert_eq!(d.address_host("svc", none), Some("ev.svc.example.net"));
        let south = |f: &str| (f == "svc.site").then(|| "SOUTH".to_string());
        assert_eq!(d.address_host("svc", south), Some("ev.s.svc.example.net"));
        let unknown = |_: &str| Some("west".to_string());
        assert_eq!(d.address_host("svc", unknown), Some("ev.svc.example.net"));
    }

    #[test]
    fn an_excepted_host_is_out_of_its_class_and_not_public() {
        let (mut d, problems) = load::parse(
            "classes:\n  vendor:\n    public: true\n    hosts: ['**.example.net']\n    except: ['*.app.us.cdo.example.net']\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(d.is_public("api.example.net"));
        assert!(d.is_public("edge.us.cdo.example.net"));
        assert!(!d.is_public("Acme-Tenant.app.us.cdo.example.net."));
        assert!(!d.in_class("vendor", "acme-tenant.app.us.cdo.example.net"));
        let found: Vec<_> = d
            .class("vendor")
            .unwrap()
            .hosts_in("to acme.app.us.cdo.example.net via api.example.net")
            .collect();
        assert_eq!(found, ["api.example.net"]);
        // A later pack's exception applies to the hosts an earlier pack gave.
        let (more, problems) =
            load::parse("classes:\n  vendor:\n    except: ['**.eu.cdo.example.net']\n");
        assert!(problems.is_empty(), "{problems:?}");
        d.merge(more);
        assert!(!d.is_public("acme.app.eu.cdo.example.net"));
        assert!(d.is_public("api.example.net"));
        assert_eq!(d.class("vendor").unwrap().exceptions().len(), 2);
    }

    #[test]
    fn a_later_pack_extends_classes_tables_and_entries() {
        let mut d = domain();
        let (more, problems) = load::parse(
            "classes:\n  svc:\n    hosts: [svc.example.org]\ntables:\n  site:\n    fields: [registration]\n    entries:\n      - name: north\n        hosts: ['**.nn.example.org']\n        fields: {registration: reg.example.org}\n      - name: west\n        hosts: ['**.w.example.org']\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        d.merge(more);
        assert!(d.in_class("svc", "svc.example.org") && d.in_class("svc", "api.example.net"));
        let site = d.table("site").unwrap();
        let north = site.entry_of_host("x.nn.example.org").unwrap();
        assert_eq!(north.field("registration"), Some("reg.example.org"));
        assert_eq!(north.field("api"), Some("api.example.net"));
        assert_eq!(site.entry_of_host("a.w.example.org").unwrap().name, "west");
    }
}
