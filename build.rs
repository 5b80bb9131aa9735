//! Embeds the built-in rule pack and report templates, so the binary works with no files beside it.

use std::fmt::Write;
use std::path::Path;

fn embed(dir: &str, name: &str, out: &mut String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files: Vec<_> = walk(&root);
    files.sort();
    writeln!(
        out,
        "/// Files embedded from `{dir}/` at build time: (relative path, content)."
    )
    .unwrap();
    writeln!(out, "pub static {name}: &[(&str, &str)] = &[").unwrap();
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "html" || e == "md" || e == "j2")
            {
                out.push(path);
            }
        }
    }
    out
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap();
    let mut rules = String::new();
    embed("rules", "BUILTIN_RULES", &mut rules);
    std::fs::write(Path::new(&out_dir).join("builtin_rules.rs"), rules).unwrap();
    let mut templates = String::new();
    embed("report-templates", "BUILTIN_TEMPLATES", &mut templates);
    std::fs::write(Path::new(&out_dir).join("builtin_templates.rs"), templates).unwrap();
}
