//! The one way the project's tools start cargo (xtask, and the end-to-end suite's builds of
//! `glimpse`); it lives here because both depend on this crate.

use std::process::Command;

/// What cargo sets about the crate it runs, besides `CARGO_PKG_*`.
const ABOUT_THE_CALLER: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
];

/// A `cargo` command (the cargo that ran the caller), without the variables cargo set about
/// the caller's own crate (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, …). Cargo reads a build
/// script's `rerun-if-env-changed` variables from its own environment, and `ring`'s build
/// script names those: inherited, a `cargo test` started by xtask, one started from a shell and
/// one started by a test would each compile `ring` and all that depends on it again.
pub fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let about = name.to_string_lossy();
        if about.starts_with("CARGO_PKG_") || ABOUT_THE_CALLER.contains(&about.as_ref()) {
            cargo.env_remove(&name);
        }
    }
    cargo.env_remove("OUT_DIR");
    cargo
}
