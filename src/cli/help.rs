//! What `--help` adds to the argument definitions: each limit's default, from
//! [`Limits::default`] itself, so the help cannot drift from what the reader applies.

use clap::Command;

use fptriage::limits::Limits;

/// A byte count as people write it: `4 GiB`, `64 KiB`, `400` (bytes that are no whole unit).
pub fn bytes(n: u64) -> String {
    for (unit, size) in [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ] {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
    }
    n.to_string()
}

/// Each `--max-*` flag's id and its default as shown.
fn limit_defaults() -> Vec<(&'static str, String)> {
    let l = Limits::default();
    vec![
        ("max_member_bytes", bytes(l.member_bytes)),
        ("max_total_bytes", bytes(l.total_bytes)),
        ("max_members", l.members.to_string()),
        ("max_depth", l.depth.to_string()),
        ("max_line_bytes", bytes(l.line_bytes as u64)),
        ("max_evidence_chars", l.evidence_chars.to_string()),
        ("max_document_bytes", bytes(l.document_bytes as u64)),
        ("max_header_bytes", bytes(l.header_bytes)),
        ("max_spool_bytes", bytes(l.spool_bytes)),
        ("max_json_nodes", l.json_nodes.to_string()),
        ("max_value_chars", l.value_chars.to_string()),
        ("max_list_items", l.list_items.to_string()),
        ("max_inventory_rows", l.inventory_rows.to_string()),
        ("max_warnings_per_code", l.warnings_per_code.to_string()),
        ("max_nested_zip_memory", bytes(l.nested_zip_memory)),
    ]
}

/// `command` with `[default: …]` on every limit flag of every subcommand that has one.
pub fn with_limit_defaults(command: Command) -> Command {
    let defaults = limit_defaults();
    add_defaults(command, &defaults)
}

fn add_defaults(mut command: Command, defaults: &[(&'static str, String)]) -> Command {
    for (id, default) in defaults {
        if command.get_arguments().any(|a| a.get_id() == *id) {
            command = command.mut_arg(*id, |arg| {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                arg.help(format!("{help} [default: {default}]"))
            });
        }
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| add_defaults(sub, defaults));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(4 << 30), "4 GiB");
        assert_eq!(bytes(64 << 10), "64 KiB");
        assert_eq!(bytes(1 << 40), "1 TiB");
        assert_eq!(bytes(1536), "1536");
        assert_eq!(bytes(0), "0");
    }
}
