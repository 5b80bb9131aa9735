//! What names a device, per document: its version line (`sf-version`, `show version`), its
//! host name (`etc/hostname`) and its appliance UUID (`ims.conf`), each cut to
//! `--max-value-chars` before it is kept.

use std::collections::BTreeSet;

use super::builder::{Builder, line_text};
use crate::artifacts::Builtin;
use crate::facts::Evidence;
use crate::limits::cap_text;
use crate::parse::ident;
use crate::parse::version_lines::{self, VersionInfo};

/// A version document's version line, with its evidence; `cut` learns of a model cut short.
pub(super) fn version(
    which: Builtin,
    b: &Builder<'_>,
    path: &str,
    doc: &str,
    cut: &mut BTreeSet<String>,
) -> Option<(VersionInfo, Evidence)> {
    let mut info = if which == Builtin::SfVersion {
        version_lines::parse_sf_version(doc)
    } else {
        version_lines::parse_show_version(doc)
    }?;
    let evidence = b.evidence(path, Some(info.line), line_text(doc, info.line));
    let vc = b.limits.value_chars;
    info.hostname = info.hostname.map(|h| cap_text(&h, vc));
    info.uuid = info.uuid.map(|u| cap_text(&u, vc));
    if info.model.len() > vc {
        info.model = cap_text(&info.model, vc);
        cut.insert("device.model".into());
    }
    Some((info, evidence))
}

/// `etc/hostname`: sets `device.name` and returns the name.
pub(super) fn hostname(b: &mut Builder<'_>, path: &str, doc: &str) -> Option<String> {
    let h = ident::parse_hostname(doc)?;
    b.text("device.name", &h.value, path, Some(h.line), doc);
    Some(cap_text(&h.value, b.limits.value_chars))
}

/// `ims.conf`: sets `device.appliance_id` and returns the UUID.
pub(super) fn appliance_id(b: &mut Builder<'_>, path: &str, doc: &str) -> Option<String> {
    let u = ident::parse_ims_conf(doc).appliance_uuid?;
    b.text("device.appliance_id", &u.value, path, Some(u.line), doc);
    Some(cap_text(&u.value, b.limits.value_chars))
}
