//! Redaction of private data in the report model, before any rendering.
//!
//! Reports travel beyond the case (tickets, chats, bug reports), so `--redact` replaces private
//! values with placeholders (`IP-1`, `HOST-2`, `USER-1`, …). The same value (compared without
//! case) gets the same placeholder within one case (one batch run), so the evidence still reads;
//! the map keeps each original exactly as first seen, and [`restore`] puts it back. It works on
//! the serialised model, every string of it, so no output format can show what another hides.
//!
//! Two layers:
//! 1. **Known values**: what the tool parsed and knows to be private, collected from the model
//!    ([`Redactor::learn`]): device names and ids, the values of facts declared `private` in
//!    [`crate::facts::registry`] (public SSE and Cisco hosts excepted), the path components of
//!    the inputs, bundles, loose files and nested archives (case folder, file names; archive
//!    endings and the tool's own folder names excepted), and every user or host name a pattern
//!    found anywhere in the model. Each is replaced wherever it stands (without case, longest
//!    first, not inside a longer word: `_`, `-`, `.` and punctuation separate), also inside
//!    free text and file names (`ftd09.acme-corp.example.pem`).
//! 2. **Patterns** ([`patterns`]) for what was not parsed: IPv4, IPv6, e-mail, MAC, UUID with or
//!    without dashes, JWT, secrets after documented key names, serial numbers, user names in the
//!    forms of sshd, sudo, su, PAM, `user=`, `/home/USER`, `USER@host` and lsof rows, host names.
//!
//! Kept readable: fact names, artifact kinds, rule ids, versions, mount points, SSE, Cisco and
//! AWS host names (the region part of `ec2-…` peers), system accounts (`root`, `admin`, …), the
//! loopback and unspecified IPv6 addresses.

mod patterns;
mod public;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde_json::Value;

use crate::domain::Domain;
use crate::facts::registry;
pub use patterns::Candidate;

/// Kinds of placeholders, as they are spelt: `KIND-n`.
pub const KINDS: &[&str] = &[
    "IP", "HOST", "USER", "EMAIL", "MAC", "UUID", "SERIAL", "TOKEN", "NAME",
];

/// Every string inside a JSON value.
fn all_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|i| all_strings(i, out)),
        Value::Object(o) => o.values().for_each(|i| all_strings(i, out)),
        _ => {}
    }
}

/// Consistent placeholders for one case (or one batch run).
#[derive(Debug, Default)]
pub struct Redactor {
    /// Value without case → placeholder.
    by_value: HashMap<String, String>,
    /// Placeholder → the value as first seen.
    originals: BTreeMap<String, String>,
    counters: BTreeMap<&'static str, usize>,
    /// Known private values (without case), their kind and spelling, replaced wherever they
    /// stand.
    known: BTreeMap<String, (&'static str, String)>,
    /// Words never taken as known values: the components of rule ids (`sse/dns-failure`).
    readable: BTreeSet<String>,
    /// The private facts of the loaded packs (none given: the built-in packs').
    private_facts: Option<BTreeSet<String>>,
    /// The packs' domain tables: hosts of their public classes stay readable.
    domain: Domain,
    /// A matcher over `known`, rebuilt when it grows.
    matcher: Option<(AhoCorasick, Vec<&'static str>)>,
}

static ARCHIVE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\.(?:tar\.gz|tar\.bz2|tar\.xz|tgz|tar|zip|gz|bz2|xz|7z))+$").expect("valid")
});
static BUNDLE_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^results-[0-9-]+$").expect("valid"));
static UUID_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        .expect("valid")
});

impl Redactor {
    /// A redactor that keeps the public hosts of `domain` (the loaded packs' tables) readable.
    pub fn new(domain: &Domain) -> Redactor {
        Redactor {
            domain: domain.clone(),
            ..Redactor::default()
        }
    }

    /// The facts whose values are private, as the loaded packs declare them (a `--rules` pack's
    /// `private: true` facts too).
    pub fn private_facts(&mut self, catalog: &crate::artifacts::FactCatalog) {
        self.private_facts = Some(
            catalog
                .iter()
                .filter(|f| f.private)
                .map(|f| f.name.clone())
                .collect(),
        );
    }

    fn is_private(&self, fact: &str) -> bool {
        match &self.private_facts {
            Some(names) => names.contains(fact),
            None => registry::lookup(fact).is_some_and(|f| f.private),
        }
    }

    /// Keeps these words readable (rule ids and their parts): never taken as known values.
    pub fn keep_readable<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for w in words {
            for part in std::iter::once(w).chain(w.split('/')) {
                let key = part.to_ascii_lowercase();
                if self.known.remove(&key).is_some() {
                    self.matcher = None;
                }
                self.readable.insert(key);
            }
        }
    }

    /// Adds a device's host name, to redact wherever it appears, even without dots.
    pub fn add_name(&mut self, name: &str) {
        self.add_known(name, "HOST");
    }

    /// Adds a known private value of `kind`. Common words (the tool's own vocabulary, generic
    /// folder names, system accounts, anything shorter than 3 characters) and public hosts are
    /// not taken: replacing them everywhere would hide what the report says.
    pub fn add_known(&mut self, value: &str, kind: &'static str) {
        let value = value
            .trim()
            .trim_matches(|c: char| "[]()<>\"'`,;".contains(c));
        if value.is_empty() || public::common_word(value) || public::keep_host(&self.domain, value)
        {
            return;
        }
        let key = value.to_ascii_lowercase();
        if !self.known.contains_key(&key) && !self.readable.contains(&key) {
            self.known.insert(key, (kind, value.to_string()));
            self.matcher = None;
        }
    }

    /// Adds the components of a path (an input, a bundle, an archive member; enclosing archives
    /// joined with `!/`): folder names and file names without their archive endings.
    pub fn learn_path(&mut self, path: &str) {
        for part in path.split(['/', '\\', '!']) {
            let stem = ARCHIVE_SUFFIX.replace(part, "");
            if stem == "." || stem == ".." || BUNDLE_ROOT.is_match(&stem) {
                continue;
            }
            // A member that is a plain file (`licence.json`, `connector.log`) is named by the
            // tool's artifact or by the customer around a host name: the known host names in it
            // are replaced, the name itself stays readable.
            let is_archive = stem.len() < part.len();
            let ending = part.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
            if !is_archive && ending.is_some_and(|e| public::FILE_ENDINGS.contains(&e.as_str())) {
                continue;
            }
            let kind = if UUID_ONLY.is_match(&stem) {
                "UUID"
            } else {
                "NAME"
            };
            self.add_known(&stem, kind);
        }
    }

    /// Collects the known private values of a serialised report model.
    pub fn learn(&mut self, model: &Value) {
        let strs = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        for i in strs(&model["inputs"]) {
            self.learn_path(&i);
        }
        for w in model["warnings"].as_array().into_iter().flatten() {
            for p in strs(&w["path"]) {
                self.learn_path(&p);
            }
        }
        for l in model["loose_files"].as_array().into_iter().flatten() {
            for p in strs(&l["path"]) {
                self.learn_path(&p);
            }
        }
        for d in model["devices"].as_array().into_iter().flatten() {
            for n in strs(&d["name"]) {
                self.add_known(&n, "HOST");
                // `ftd09.acme-corp.example` is `ftd09` in its own syslog lines and prompts.
                if let Some((label, _)) = n.split_once('.') {
                    self.add_known(label, "HOST");
                }
            }
            for id in strs(&d["id"]) {
                if UUID_ONLY.is_match(&id) {
                    self.add_known(&id, "UUID");
                } else {
                    self.learn_path(&id);
                }
            }
            for p in strs(&d["bundle"]).into_iter().chain(strs(&d["duplicates"])) {
                self.learn_path(&p);
            }
            let Some(facts) = d["facts"].as_object() else {
                continue;
            };
            for (name, value) in facts {
                if !self.is_private(name) {
                    continue;
                }
                // A case's fact (`fptriage facts`) is its value with its evidence: only the
                // value is private (its path and line are redacted as paths and text).
                let value = match value {
                    Value::Object(fact) if fact.contains_key("value") => &fact["value"],
                    _ => value,
                };
                // A records fact holds its strings in objects: every one is private.
                let mut texts = Vec::new();
                all_strings(value, &mut texts);
                for text in texts {
                    self.learn_fact_value(&text);
                }
            }
        }
    }

    /// A private fact's value: a host name, an id, or a peer list item (`host:https (STATE)`).
    fn learn_fact_value(&mut self, text: &str) {
        if UUID_ONLY.is_match(text.trim()) {
            self.add_known(text, "UUID");
            return;
        }
        for token in text.split_whitespace() {
            if token.starts_with('(') {
                continue;
            }
            let token = token.trim_matches(|c: char| "[]()<>,;".contains(c));
            let host = match token.rsplit_once(':') {
                Some((h, port)) if !h.contains(':') && !port.is_empty() => h,
                _ => token,
            };
            let ip = host.parse::<std::net::IpAddr>().is_ok();
            if !ip && !host.contains("->") && !host.is_empty() {
                self.add_known(host, "HOST");
            }
        }
    }

    /// Takes every user and host name the patterns find in `text` as a known value, so that its
    /// other occurrences (a home folder, free text) go too.
    fn discover(&mut self, text: &str) {
        for c in patterns::find(text, &self.domain) {
            match c.kind {
                "USER" | "HOST" => self.add_known(&text[c.start..c.end], c.kind),
                "EMAIL" => {
                    if let Some((local, _)) = text[c.start..c.end].split_once('@') {
                        self.add_known(local, "USER");
                    }
                }
                _ => {}
            }
        }
    }

    fn placeholder(&mut self, kind: &'static str, value: &str) -> String {
        let key = value.to_ascii_lowercase();
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        // A known value keeps the spelling it was learned with (`FTD-Edge1` from the host
        // name), wherever it is first met.
        let value = match self.known.get(&key) {
            Some((_, original)) => original.clone(),
            None => value.to_string(),
        };
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("{kind}-{n}");
        self.by_value.insert(key, p.clone());
        self.originals.insert(p.clone(), value);
        p
    }

    /// Placeholder → original (exactly as first seen), for the engineer who must reverse it.
    pub fn mapping(&self) -> BTreeMap<String, String> {
        self.originals.clone()
    }

    fn known_candidates(&mut self, text: &str) -> Vec<Candidate> {
        if self.known.is_empty() {
            return Vec::new();
        }
        if self.matcher.is_none() {
            let (values, kinds): (Vec<&String>, Vec<&'static str>) =
                self.known.iter().map(|(v, (k, _))| (v, *k)).unzip();
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(values)
                .expect("literal patterns");
            self.matcher = Some((ac, kinds));
        }
        let (ac, kinds) = self.matcher.as_ref().expect("built");
        ac.find_overlapping_iter(text)
            .filter(|m| patterns::bounded(text, m.start(), m.end()))
            .map(|m| Candidate {
                start: m.start(),
                end: m.end(),
                kind: kinds[m.pattern().as_usize()],
            })
            .collect()
    }

    fn apply(&mut self, input: &str) -> String {
        let mut cands = self.known_candidates(input);
        cands.extend(patterns::find(input, &self.domain));
        if cands.is_empty() {
            return input.to_string();
        }
        // Leftmost first; at one start, the longest; known values before patterns.
        cands.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut out = String::with_capacity(input.len());
        let mut last = 0;
        for c in cands {
            if c.start < last || !input.is_char_boundary(c.start) || !input.is_char_boundary(c.end)
            {
                continue;
            }
            out.push_str(&input[last..c.start]);
            let p = self.placeholder(c.kind, &input[c.start..c.end]);
            out.push_str(&p);
            last = c.end;
        }
        out.push_str(&input[last..]);
        out
    }

    /// Redacts one string (a case name, a path, an error message).
    pub fn text(&mut self, input: &str) -> String {
        self.discover(input);
        self.apply(input)
    }

    /// Redacts every string of a serialised model (object keys are field and fact names: kept):
    /// first learns its known values, then what the patterns find in any of its strings, then
    /// replaces both everywhere.
    pub fn value(&mut self, v: &mut Value) {
        self.learn(v);
        self.walk(v, &mut |r, s| r.discover(s));
        self.walk_mut(v);
    }

    fn walk(&mut self, v: &Value, f: &mut impl FnMut(&mut Redactor, &str)) {
        match v {
            Value::String(s) => f(self, s),
            Value::Array(items) => items.iter().for_each(|i| self.walk(i, f)),
            Value::Object(map) => map.values().for_each(|i| self.walk(i, f)),
            _ => {}
        }
    }

    fn walk_mut(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.apply(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.walk_mut(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.walk_mut(i)),
            _ => {}
        }
    }
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:{})-[0-9]+", KINDS.join("|"))).expect("valid"));

/// Puts the originals of a map back into a redacted text (the reverse of redaction, for the
/// engineer holding the map). Placeholders not in the map stay.
pub fn restore(text: &str, mapping: &BTreeMap<String, String>) -> String {
    PLACEHOLDER
        .replace_all(text, |c: &regex::Captures<'_>| {
            mapping
                .get(&c[0])
                .cloned()
                .unwrap_or_else(|| c[0].to_string())
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_values_get_consistent_placeholders_and_public_ones_stay() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        r.add_name("ftd-edge1");
        let a = r.text("connector 60815 www 12u IPv4 TCP firepower.corp.example:53426->ec2-100-25-93-234.compute-1.amazonaws.com:https (SYN_SENT)");
        assert!(
            !a.contains("firepower.corp.example") && !a.contains("100-25-93-234"),
            "{a}"
        );
        assert!(a.contains(".compute-1.amazonaws.com"), "{a}");
        let b = r.text("dial tcp 18.205.49.246:443 for api-sse.cisco.com from ftd-edge1 (uuid 1234abcd-0000-1111-2222-333344445555)");
        assert!(
            b.contains("api-sse.cisco.com") && b.contains("IP-1:443") && b.contains("UUID-1"),
            "{b}"
        );
        assert!(!b.contains("ftd-edge1"), "{b}");
        // The same value, the same placeholder.
        assert!(r.text("again 18.205.49.246").contains("IP-1"));
        assert_eq!(
            r.text("events.go:90 connector.log sf-version 7.2.5"),
            "events.go:90 connector.log sf-version 7.2.5"
        );
        let c = r.text("Serial Number: JAD12345678 token=abcdefghijkl0123 root@ftd01:~#");
        assert!(
            !c.contains("JAD12345678") && !c.contains("abcdefghijkl0123") && !c.contains("ftd01"),
            "{c}"
        );
        let map = r.mapping();
        assert_eq!(map.get("IP-1").map(String::as_str), Some("18.205.49.246"));
    }

    fn redacts(r: &mut Redactor, text: &str, private: &[&str], kept: &[&str]) -> String {
        let out = r.text(text);
        for p in private {
            assert!(
                !out.to_ascii_lowercase().contains(&p.to_ascii_lowercase()),
                "{p} in {out}"
            );
        }
        for k in kept {
            assert!(out.contains(k), "{k} lost in {out}");
        }
        out
    }

    #[test]
    fn ipv6_in_every_form_goes_whole() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        let out = redacts(
            &mut r,
            "a fe80::1ff:fe23:4567:890a b [2001:db8::1]:443 c 2001:db8:0:0:0:ff00:42:8329. \
             d ::ffff:192.0.2.1 e addr:fe80::2 f tcp6 2001:db8::99:8305 keep ::1 and ::",
            &["fe23", "890a", "db8", "ff00", "192.0.2.1", "fe80"],
            &["[IP-2]:443", "keep ::1 and ::"],
        );
        assert!(!out.contains("IP-1:"), "{out}");
    }

    #[test]
    fn macs_uuids_tokens_and_serials() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        redacts(
            &mut r,
            "00:1b:54:c2:9a:7f 00-1B-54-C2-9A-80 001b.54c2.9a81 0f8e7d6c5b4a39281706f5e4d3c2b1a0 \
             eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln access_token=t1 client_secret=s \
             {\"password\": \"pw\"} passwd: x9 Authorization: Bearer abc.def \
             \"serialNumber\": \"FCH1944V0ZZ\" Serial Num: JMX1234Q0AB SN: 12345678 JAD12345678",
            &[
                "1b:54", "1B-54", "54c2", "0f8e7d6c", "eyJ", "=t1", "=s ", "pw\"", "x9", "abc.def",
                "FCH1944", "JMX1234", "12345678", "JAD1234",
            ],
            &[
                "access_token=TOKEN-",
                "client_secret=TOKEN-",
                "password",
                "Serial Num: SERIAL-",
            ],
        );
    }

    #[test]
    fn users_in_sshd_sudo_su_lsof_and_mail_forms() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        let mut model = serde_json::json!({"lines": [
            "sshd[1]: Accepted password for bob_admin from 10.0.0.1 port 22 ssh2",
            "sudo:   erin : TTY=pts/0 ; PWD=/home/erin ; USER=root ; COMMAND=/bin/ls",
            "sudo: erin",
            "su: (to frank) root on pts/1",
            "connector 60815 gina 12u IPv4 3377 0t0 TCP *:https (LISTEN)",
            "mail from carol.smith@acmebank.pl",
            "later bob_admin and gina and carol.smith again; root stays",
        ]});
        r.value(&mut model);
        let out = model.to_string();
        for u in [
            "bob_admin",
            "erin",
            "frank",
            "gina",
            "carol.smith",
            "acmebank",
        ] {
            assert!(!out.contains(u), "{u} in {out}");
        }
        assert!(
            out.contains("root stays") && out.contains("USER=root"),
            "{out}"
        );
    }

    #[test]
    fn host_names_under_file_like_endings_and_inside_file_names() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        r.add_name("ftd09.acme-corp.example");
        r.add_name("FTD-Edge1");
        redacts(
            &mut r,
            "gw1.acmebank.pl wiki.acme.md https://acme.md/x host=acme.pl ftd09.acme-corp.example.pem \
             case_FTD-Edge1_ftd09.acme-corp.example.tar.gz ftd-edge1 said",
            &[
                "acmebank",
                "wiki.acme",
                "acme.md",
                "acme.pl",
                "acme-corp",
                "edge1",
            ],
            &[".pem", ".tar.gz", "case_HOST-"],
        );
        // Files, fact names, versions and public hosts stay.
        let plain = "notes.md sfcron.pl connector.log.1 x.tar.gz pmtool.sseconnector.state \
                     connector.fqdn.region settings.exchange.fqdn 7.2.5 api-sse.cisco.com \
                     eventing-ingest.sse.itd.cisco.com /ngfw/Volume 6.7.0.2 (build 24)";
        assert_eq!(r.text(plain), plain);
    }

    #[test]
    fn a_device_named_by_its_fqdn_is_known_by_its_first_label_too() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        let mut model = serde_json::json!({
            "devices": [{"name": "ftd09.acme-corp.example", "id": "x", "facts": {}}],
            "lines": ["Apr 19 06:40:00 ftd09 sshd[1]: ready", "FTD09.acme-corp.example up"],
        });
        r.value(&mut model);
        let out = model["lines"].to_string().to_ascii_lowercase();
        assert!(!out.contains("ftd09") && !out.contains("acme"), "{out}");
    }

    #[test]
    fn the_map_keeps_the_spelling_and_round_trips() {
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        r.add_name("FTD-Edge1");
        let text = "ftd-edge1 then FTD-Edge1 at 10.1.2.3 and HOST user=zed";
        let out = r.text(text);
        assert_eq!(out.matches("HOST-1").count(), 2, "{out}");
        let map = r.mapping();
        assert_eq!(map.get("HOST-1").map(String::as_str), Some("FTD-Edge1"));
        assert_eq!(
            restore(&out, &map),
            "FTD-Edge1 then FTD-Edge1 at 10.1.2.3 and HOST user=zed"
        );
        // Rule ids stay readable even when a case is named like one.
        let mut r = Redactor::new(&crate::rules::load::builtin_domain());
        r.keep_readable(["sse/dns-failure"]);
        r.learn_path("cases/dns-failure.tar.gz");
        assert_eq!(r.text("sse/dns-failure"), "sse/dns-failure");
    }

    proptest::proptest! {
        /// Any text, however odd (multi-byte characters next to addresses, colons, dots), is
        /// redacted without a panic, and its placeholders restore the text when each value has
        /// one spelling.
        #[test]
        fn any_text_redacts_and_restores(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "é", ":", "::", ".", "-", "_", " ", "[", "]", "@", "=", "\"", "fe80", "1", "ff",
                "10.1.2.3", "gw1.acme.pl", "user=", "bob", "sudo: ", "password=", "x9", "ünï",
                "aa:bb:cc:dd:ee:ff", "ftd09.acme-corp.example", ".pem", "SN: ", "FCH1944V0ZZ",
            ]), 0..24)
        ) {
            let text: String = parts.concat();
            let mut r = Redactor::new(&crate::rules::load::builtin_domain());
            r.add_name("FTD09.acme-corp.example");
            let out = r.text(&text);
            let restored = restore(&out, &r.mapping());
            proptest::prop_assert_eq!(restored.to_ascii_lowercase(), text.to_ascii_lowercase());
        }
    }
}
