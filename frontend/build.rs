//! Generates `Key`, one variant per message of `locales/en.json`, so that a key the English
//! file lacks is a compile error (the unit tests check that every other locale has the same
//! keys, placeholders and plural forms). `Key as usize` is the key's rank in name order, which
//! is also the order of the shipped locale files (lists: no key names to download).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let source = Path::new("locales/en.json");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(source).expect("frontend/locales/en.json");
    let messages: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("frontend/locales/en.json is a JSON object");
    // serde_json's map is ordered by key: NAMES is sorted, for a binary search.
    let names: Vec<&String> = messages.keys().collect();
    let mut out = String::new();
    out.push_str(
        "/// A message of the locale files (`frontend/locales/*.json`), named as in them.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]\n\
         pub enum Key {\n",
    );
    for name in &names {
        let _ = writeln!(out, "    /// `{name}`\n    {},", variant(name));
    }
    out.push_str("}\n\n/// The keys' names, sorted; `Key as usize` indexes it.\n");
    let _ = writeln!(out, "pub const NAMES: [&str; {}] = [", names.len());
    for name in &names {
        let _ = writeln!(out, "    {name:?},");
    }
    out.push_str("];\n\n");
    let _ = writeln!(out, "pub const ALL: [Key; {}] = [", names.len());
    for name in &names {
        let _ = writeln!(out, "    Key::{},", variant(name));
    }
    out.push_str("];\n\n");
    // The messages chosen by a name at run time (errors, by their code): only these names
    // are in the wasm, as the shipped locale files are lists in key order (see xtask).
    let dynamic: Vec<&&String> = names.iter().filter(|n| n.starts_with("error.")).collect();
    out.push_str("/// The keys chosen by name at run time (`error.<code>[.<doing>]`), sorted.\n");
    let _ = writeln!(
        out,
        "pub const BY_NAME: [(&str, Key); {}] = [",
        dynamic.len()
    );
    for name in &dynamic {
        let _ = writeln!(out, "    ({name:?}, Key::{}),", variant(name));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("keys.rs");
    std::fs::write(dest, out).expect("write keys.rs");
}

/// `shared.decided_many.accepted` → `SharedDecidedManyAccepted`.
fn variant(name: &str) -> String {
    name.split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
