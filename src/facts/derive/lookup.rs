//! A declared fact's `lookup:`: the value a format read is replaced by a field of the domain
//! table entry it names (the region of an API host, the site of a service). The table, the
//! match and the field are the pack's; a value that names no entry takes the declared default,
//! or gives no fact.

use crate::artifacts::spec::{Lookup, LookupOn};
use crate::domain::Domain;
use crate::facts::FactValue;

/// What `value` looks up to; `None`: no fact.
pub(super) fn look_up(lookup: &Lookup, domain: &Domain, value: &FactValue) -> Option<FactValue> {
    let FactValue::Text(read) = value else {
        return None;
    };
    let found = domain.table(&lookup.table).and_then(|t| {
        let entry = match &lookup.on {
            LookupOn::Name => t.entry(read),
            LookupOn::Hosts => t.entry_of_host(read),
            LookupOn::Field(f) => t.entry_with_host(f, read),
        }?;
        match &lookup.field {
            None => Some(entry.name.clone()),
            Some(f) => entry.field(f).map(str::to_string),
        }
    });
    found
        .or_else(|| lookup.default.clone())
        .map(FactValue::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Domain {
        let (d, problems) = crate::domain::load::parse(
            r#"
tables:
  site:
    description: sites
    fields: [api, events]
    entries:
      - name: NORTH
        aliases: [N]
        hosts: ["*.n.svc.example.net"]
        fields: {api: api.n.svc.example.net, events: ev.n.svc.example.net}
      - name: SOUTH
        hosts: ["*.s.svc.example.net"]
        fields: {api: api.s.svc.example.net}
"#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        d
    }

    fn lookup(on: LookupOn, field: Option<&str>, default: Option<&str>) -> Lookup {
        Lookup {
            table: "site".into(),
            on,
            field: field.map(Into::into),
            default: default.map(Into::into),
            file: "t".into(),
            at: (1, 1),
        }
    }

    fn text(s: &str) -> FactValue {
        FactValue::Text(s.into())
    }

    #[test]
    fn a_value_looks_up_by_host_field_patterns_or_name() {
        let d = domain();
        let by_api = lookup(LookupOn::Field("api".into()), None, Some("unknown"));
        assert_eq!(
            look_up(&by_api, &d, &text(" API.s.svc.example.net. ")),
            Some(text("SOUTH"))
        );
        assert_eq!(
            look_up(&by_api, &d, &text("ev.n.svc.example.net")),
            Some(text("unknown"))
        );
        let events = lookup(LookupOn::Hosts, Some("events"), None);
        assert_eq!(
            look_up(&events, &d, &text("x.n.svc.example.net")),
            Some(text("ev.n.svc.example.net"))
        );
        // SOUTH has no `events` field, and there is no default: no fact.
        assert_eq!(look_up(&events, &d, &text("x.s.svc.example.net")), None);
        let by_name = lookup(LookupOn::Name, Some("api"), None);
        assert_eq!(
            look_up(&by_name, &d, &text("n")),
            Some(text("api.n.svc.example.net"))
        );
        assert_eq!(look_up(&by_name, &d, &text("west")), None);
        // A table no pack loaded: the default.
        let missing = Lookup {
            table: "nope".into(),
            ..lookup(LookupOn::Name, None, Some("unknown"))
        };
        assert_eq!(look_up(&missing, &d, &text("n")), Some(text("unknown")));
    }
}
