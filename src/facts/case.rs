//! The case: device roots → devices (bundle-format §6).
//!
//! Every bundle root (a folder holding `command-outputs/` or `dir-archives/`) is one device; a
//! wrapper never is. Files outside every root attach to the device they lie in or name (appliance
//! UUID or host name), licence and cloud settings to the case's one FMC, anything to the only
//! device of a one-device case; the rest stays case-level. An appliance given twice is analysed
//! once, from its newest collection. Then FTDs are linked to the FMC that manages them
//! ([`super::managers`]).

use std::collections::BTreeMap;

use super::derive::{device, region_facts};
use super::unit::{ArchiveState, BundleState};
use super::{Device, LooseFile, LooseReason};
use crate::domain::Domain;
use crate::ingest::Damage;
use crate::limits::Limits;
use crate::version::Product;

/// Host names a device ships with: a loose file naming one names no device in particular.
const DEFAULT_HOST_NAMES: [&str; 4] = ["firepower", "localhost", "localhost.localdomain", "ftd"];

/// Who a device root is, from its version and identity documents alone (before its facts are
/// derived), so that loose files can be matched to it.
struct Identity {
    uuid: Option<String>,
    hostname: Option<String>,
    product: Product,
}

fn identity(state: &BundleState) -> Identity {
    let mut id = Identity {
        uuid: None,
        hostname: None,
        product: Product::Unknown,
    };
    for summary in &state.documents {
        if let Some((info, _)) = &summary.version {
            if id.product == Product::Unknown {
                id.product = info.product;
            }
            id.uuid = id.uuid.clone().or(info.uuid.clone());
            id.hostname = id.hostname.clone().or(info.hostname.clone());
        }
        if let Some(h) = &summary.hostname {
            id.hostname = Some(h.clone());
        }
        if let Some(u) = &summary.uuid {
            id.uuid = Some(u.clone());
        }
    }
    if id.product == Product::Unknown && state.show_tech {
        id.product = Product::Ftd;
    }
    id
}

/// Whether `text` names `name` as a whole word (case-insensitive): `fmc-dc1` is named by
/// `fmc-dc1.json`, `fmc-dc1-curl.txt` and `host fmc-dc1:`, not by `fmc-dc10`.
fn names(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let hay = text.to_ascii_lowercase();
    let needle = name.to_ascii_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    hay.match_indices(&needle).any(|(at, _)| {
        !word(hay[..at].chars().next_back()) && !word(hay[at + needle.len()..].chars().next())
    })
}

/// The device root a loose file lies in: a root of its own archive whose folder holds it, else
/// (for an archive inside a device's folder, say rotated logs) the root of the enclosing archive.
fn enclosing_root(archives: &[ArchiveState], archive: usize, path: &str) -> Option<usize> {
    let a = archives.get(archive)?;
    let own = a
        .roots
        .iter()
        .filter(|(root, _)| {
            root.is_empty()
                || (path.len() > root.len()
                    && path.starts_with(root.as_str())
                    && path.as_bytes()[root.len()] == b'/')
        })
        .max_by_key(|(root, _)| root.len())
        .map(|(_, &u)| u);
    own.or_else(|| enclosing_root(archives, a.parent?, a.inner_path.as_deref()?))
}

/// Turns device roots into devices, attaches loose files (bundle-format §6), and analyses an
/// appliance given twice once. Returns the devices and the case's loose files.
pub(crate) fn devices(
    archives: Vec<ArchiveState>,
    units: Vec<BundleState>,
    damage: &[Damage],
    limits: &Limits,
    facts: &crate::artifacts::FactCatalog,
    domain: &Domain,
    warnings: &mut Vec<crate::ingest::Warning>,
) -> (Vec<Device>, Vec<LooseFile>) {
    let mut slots: Vec<Option<BundleState>> = units.into_iter().map(Some).collect();
    // Loose files inside a device's folder (or in an archive inside it) are that device's.
    let mut loose: Vec<usize> = Vec::new();
    for i in 0..slots.len() {
        let Some(unit) = &slots[i] else { continue };
        if unit.is_root {
            continue;
        }
        match enclosing_root(&archives, unit.archive, &unit.root) {
            Some(owner) if owner != i => {
                let unit = slots[i].take().expect("present");
                if let Some(Some(target)) = slots.get_mut(owner) {
                    target.absorb(unit, limits.inventory_rows);
                }
            }
            _ => loose.push(i),
        }
    }
    let has_artifacts =
        |s: &Option<BundleState>| s.as_ref().is_some_and(|s| s.is_root && !s.kinds.is_empty());
    let mut loose_files = Vec::new();
    let mut attached: Vec<(usize, usize)> = Vec::new(); // (loose unit, root unit)
    if !slots.iter().any(has_artifacts) {
        // No device root anywhere (a customer zipped a few files): each archive's loose files
        // are read as one device rather than not at all.
        let mut by_archive: BTreeMap<usize, usize> = BTreeMap::new();
        for &i in &loose {
            let unit = slots[i].take().expect("present");
            match by_archive.get(&unit.archive) {
                Some(&owner) => {
                    if let Some(Some(target)) = slots.get_mut(owner) {
                        target.absorb(unit, limits.inventory_rows);
                    }
                }
                None => {
                    let archive = &archives[unit.archive];
                    warnings.push(crate::ingest::Warning {
                        code: "no-bundle-root",
                        path: archive.label.clone(),
                        message: "no folder holding command-outputs/ or dir-archives/: its files are read as one device".into(),
                    });
                    let mut owner = unit;
                    owner.is_root = true;
                    owner.label = archive.label.clone();
                    owner.root = String::new();
                    owner.stamped = owner.stamped.or(archive.stamped);
                    by_archive.insert(owner.archive, i);
                    slots[i] = Some(owner);
                }
            }
        }
    } else {
        let roots: Vec<(usize, Identity)> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| has_artifacts(s))
            .map(|(i, s)| (i, identity(s.as_ref().expect("present"))))
            .collect();
        let fmcs: Vec<usize> = roots
            .iter()
            .filter(|(_, id)| id.product == Product::Fmc)
            .map(|(i, _)| *i)
            .collect();
        for &i in &loose {
            let unit = slots[i].as_ref().expect("present");
            let text = format!("{}\n{}", unit.root, unit.head);
            let named: Vec<usize> = roots
                .iter()
                .filter(|(_, id)| {
                    id.uuid.as_deref().is_some_and(|u| names(&text, u))
                        || id.hostname.as_deref().is_some_and(|h| {
                            !DEFAULT_HOST_NAMES.contains(&h.to_ascii_lowercase().as_str())
                                && names(&text, h)
                        })
                })
                .map(|(i, _)| *i)
                .collect();
            let manager_setting = !unit.other_than_manager_settings;
            let (owner, why) = if named.len() == 1 {
                (Some(named[0]), LooseReason::NamesDevice)
            } else if manager_setting && fmcs.len() == 1 {
                (Some(fmcs[0]), LooseReason::ManagerSetting)
            } else if roots.len() == 1 {
                (Some(roots[0].0), LooseReason::OnlyDevice)
            } else {
                (None, LooseReason::NotAttached)
            };
            for artifact in &unit.artifacts {
                loose_files.push((
                    owner,
                    LooseFile {
                        path: artifact.path.clone(),
                        kind: artifact.kind,
                        attached_to: None,
                        reason: why,
                    },
                ));
            }
            if let Some(owner) = owner {
                attached.push((i, owner));
            }
        }
        for (i, owner) in attached {
            let unit = slots[i].take().expect("present");
            if let Some(Some(target)) = slots.get_mut(owner) {
                target.absorb(unit, limits.inventory_rows);
            }
        }
    }
    let mut device_of_unit: BTreeMap<usize, usize> = BTreeMap::new();
    let mut devices: Vec<Device> = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        let Some(state) = slot else { continue };
        if !state.is_root || state.kinds.is_empty() {
            continue;
        }
        let damaged = damage.iter().any(|d| d.bundle == state.archive);
        let input = archives.get(state.archive).map(|a| a.input).unwrap_or(0);
        let mut device = device(state, limits, facts, domain, warnings);
        device.damaged = damaged;
        device.input = input;
        device_of_unit.insert(i, devices.len());
        devices.push(device);
    }
    let mut loose_files: Vec<LooseFile> = loose_files
        .into_iter()
        .map(|(owner, mut file)| {
            file.attached_to = owner
                .and_then(|u| device_of_unit.get(&u))
                .map(|&d| devices[d].id.clone());
            file
        })
        .collect();
    let (mut devices, replaced) = without_duplicates(devices, warnings);
    // A file attached to a copy that was left out goes with the copy kept.
    for file in &mut loose_files {
        if let Some(kept) = file.attached_to.as_ref().and_then(|id| replaced.get(id)) {
            file.attached_to = Some(kept.clone());
        }
    }
    loose_files.sort_by(|a, b| a.path.cmp(&b.path));
    link_managers(&mut devices, domain, warnings);
    (devices, loose_files)
}

/// An appliance given twice (an upload and its re-upload) is analysed once, from its newest
/// collection; the copies left out are named on the device and in a warning. Returns the devices
/// kept and, for each copy left out, the id of the one kept.
fn without_duplicates(
    devices: Vec<Device>,
    warnings: &mut Vec<crate::ingest::Warning>,
) -> (Vec<Device>, BTreeMap<String, String>) {
    let key = |d: &Device| -> Option<String> {
        if let Some(u) = d.fact("device.appliance_id") {
            return Some(format!("uuid {}", u.value.to_string().to_ascii_lowercase()));
        }
        let name = d
            .fact("device.name")?
            .value
            .to_string()
            .to_ascii_lowercase();
        if DEFAULT_HOST_NAMES.contains(&name.as_str()) {
            return None;
        }
        Some(format!("name {name} version {}", d.version.as_deref()?))
    };
    let mut kept: Vec<Device> = Vec::new();
    let mut replaced: BTreeMap<String, String> = BTreeMap::new();
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    for device in devices {
        let Some(k) = key(&device) else {
            kept.push(device);
            continue;
        };
        match index_of.get(&k) {
            None => {
                index_of.insert(k, kept.len());
                kept.push(device);
            }
            Some(&at) => {
                // `kept[at]` becomes the newer collection, `older` the copy left out.
                let older = if device.collected_at >= kept[at].collected_at {
                    std::mem::replace(&mut kept[at], device)
                } else {
                    device
                };
                let newer = &mut kept[at];
                warnings.push(crate::ingest::Warning {
                    code: "duplicate-device",
                    path: older.bundle.clone(),
                    message: format!(
                        "{} was given twice: analysed once, from {} (collected {}); {} (collected {}) left out",
                        newer.name,
                        newer.bundle,
                        time_or_unknown(newer.collected_at),
                        older.bundle,
                        time_or_unknown(older.collected_at),
                    ),
                });
                newer.duplicates.extend(older.duplicates);
                newer.duplicates.push(older.bundle);
                if older.id != newer.id {
                    replaced.insert(older.id, newer.id.clone());
                }
            }
        }
    }
    (kept, replaced)
}

fn time_or_unknown(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.to_string())
        .unwrap_or_else(|| "at an unknown time".into())
}

/// Links every FTD to the FMC that manages it ([`super::managers`]): licence and cloud settings
/// of an FMC-managed FTD live on the FMC, and findings on the FMC may explain the FTD's. FTDs
/// that name a manager the case does not hold, and FTDs that nothing matches to one of several
/// FMCs, are named in a warning each.
fn link_managers(
    devices: &mut [Device],
    domain: &Domain,
    warnings: &mut Vec<crate::ingest::Warning>,
) {
    use super::managers::{Management, Unmatched};
    let links = super::managers::links(devices, domain);
    let fmcs = devices.iter().filter(|d| d.product == Product::Fmc).count();
    let mut other: Vec<String> = Vec::new();
    let mut unmatched: Vec<String> = Vec::new();
    for (device, link) in devices.iter_mut().zip(&links) {
        let Some(link) = link else { continue };
        match link.management {
            Management::Managed { fmc, .. } => device.managed_by = Some(fmc),
            Management::NotManaged(Unmatched::OtherManager) => other.push(format!(
                "{} (show managers names {})",
                device.name,
                link.named.join(", ")
            )),
            Management::NotManaged(Unmatched::NoFmcNamed) if fmcs > 1 => {
                unmatched.push(device.name.clone())
            }
            Management::NotManaged(_) => {}
        }
    }
    if !other.is_empty() {
        warnings.push(crate::ingest::Warning {
            code: "manager-not-in-case",
            path: String::new(),
            message: format!(
                "managed by a manager that is not among the case's FMCs: {}; licence and cloud settings are not carried to them from the case's FMCs, each is evaluated on its own (ask for the bundle of the manager they name)",
                other.join("; ")
            ),
        });
    }
    if !unmatched.is_empty() {
        warnings.push(crate::ingest::Warning {
            code: "ftd-not-matched",
            path: String::new(),
            message: format!(
                "the case holds {fmcs} FMCs and these FTDs could not be matched to one of them (they have no show managers, or one that names none of them by host, address or identifier): {}; licence and cloud settings are not carried to them, each is evaluated on its own",
                unmatched.join(", ")
            ),
        });
    }
    for i in 0..devices.len() {
        let inherited = devices[i]
            .managed_by
            .and_then(|m| devices[m].fact("cloud.region").cloned());
        for (name, fact) in region_facts(&devices[i], inherited.as_ref(), domain) {
            devices[i].facts.insert(name, fact);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_host_name_is_named_as_a_whole_word() {
        assert!(names("ftd-dmz-a-curl -v https.output", "ftd-dmz-a"));
        assert!(names("saved from FMC-DC1.json", "fmc-dc1"));
        assert!(!names("fmc-dc10.json", "fmc-dc1"));
        assert!(!names("xfmc-dc1", "fmc-dc1"));
        assert!(!names("anything", ""));
    }
}
