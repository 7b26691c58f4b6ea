//! Builds the web UI (`frontend/`, a Leptos app compiled to WebAssembly) into `target/web/`:
//! `index.html` plus content-hashed files under `assets/`, each with a `.gz` beside it for the
//! server's precompressed serving.
//!
//! The server sends a strict CSP (no inline script or style), so the page loads a tiny
//! `boot-<hash>.js` module that imports the wasm-bindgen glue and starts the app.
//!
//! Tools: the `wasm32-unknown-unknown` target, `wasm-bindgen` of exactly the version the
//! frontend pins, and for release builds a `wasm-opt` of binaryen 120 or newer (Debian's 108
//! miscompiles modern Rust output), installed from npm into a cache directory.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

/// Must match the `wasm-bindgen = "=…"` pin in `frontend/Cargo.toml`.
pub const WASM_BINDGEN_VERSION: &str = "0.2.129";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const RUSTFLAGS_VAR: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS";
const BINARYEN_NPM: &str = "binaryen@132";
const MIN_WASM_OPT: u32 = 120;
/// The wasm features rustc's wasm32 target emits by default, for wasm-opt to keep.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Builds the UI and returns the site directory (`target/web`).
pub fn build(workspace_root: &Path, release: bool) -> Result<PathBuf> {
    ensure_tools()?;
    let target_dir = crate::target_dir(workspace_root);

    // 1. cargo build for wasm32.
    let profile = if release { "wasm-release" } else { "dev" };
    let mut build = Command::new(cargo());
    build.current_dir(workspace_root).args([
        "build",
        "-p",
        "glimpse-frontend",
        "--target",
        WASM_TARGET,
        "--profile",
        profile,
    ]);
    // Type-erased Leptos components: a smaller wasm (and faster builds).
    if std::env::var_os(RUSTFLAGS_VAR).is_none() && std::env::var_os("RUSTFLAGS").is_none() {
        build.env(RUSTFLAGS_VAR, "--cfg erase_components");
    }
    let status = build
        .status()
        .context("running cargo build for the frontend")?;
    ensure!(status.success(), "cargo build of the frontend failed");
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(profile_dir)
        .join("glimpse_frontend.wasm");
    ensure!(wasm.is_file(), "{} was not built", wasm.display());

    // 2. wasm-bindgen: the JS glue.
    let staging = target_dir.join("web-build");
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }
    fs::create_dir_all(&staging)?;
    let status = Command::new("wasm-bindgen")
        .arg("--target")
        .arg("web")
        .arg("--no-typescript")
        .arg("--out-name")
        .arg("glimpse")
        .arg("--out-dir")
        .arg(&staging)
        .arg(&wasm)
        .status()
        .context("running wasm-bindgen")?;
    ensure!(status.success(), "wasm-bindgen failed");
    let glue = staging.join("glimpse.js");
    let mut module = staging.join("glimpse_bg.wasm");

    // 3. wasm-opt, for release builds.
    if release {
        let wasm_opt = wasm_opt()?;
        let optimized = staging.join("glimpse_opt.wasm");
        let status = Command::new(&wasm_opt)
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg("--strip-debug")
            .arg("--strip-producers")
            .arg(&module)
            .arg("-o")
            .arg(&optimized)
            .status()
            .with_context(|| format!("running {}", wasm_opt.display()))?;
        ensure!(status.success(), "wasm-opt failed");
        module = optimized;
    }

    // 4. The site: hashed assets, boot script, index.html.
    let site = target_dir.join("web");
    let assets = site.join("assets");
    if assets.exists() {
        fs::remove_dir_all(&assets).with_context(|| format!("clearing {}", assets.display()))?;
    }
    fs::create_dir_all(&assets)?;

    let frontend = workspace_root.join("frontend");
    let glue_bytes = fs::read(&glue)?;
    let wasm_bytes = fs::read(&module)?;
    let css_bytes = fs::read(frontend.join("style.css")).context("reading frontend/style.css")?;

    let js_name = format!("glimpse-{}.js", short_hash(&[&glue_bytes, &wasm_bytes]));
    let wasm_name = format!("glimpse-{}_bg.wasm", short_hash(&[&wasm_bytes]));
    let css_name = format!("style-{}.css", short_hash(&[&css_bytes]));
    let boot = format!(
        "import init from \"./{js_name}\";\n\
         init({{ module_or_path: new URL(\"{wasm_name}\", import.meta.url) }}).catch((e) => {{\n\
         \x20 console.error(\"Glimpse could not start:\", e);\n\
         \x20 const p = document.getElementById(\"boot\");\n\
         \x20 if (p) p.textContent = \"Glimpse could not start: \" + e;\n\
         }});\n"
    );
    let boot_name = format!("boot-{}.js", short_hash(&[boot.as_bytes()]));

    let shipped = [
        (&js_name, glue_bytes.as_slice()),
        (&wasm_name, wasm_bytes.as_slice()),
        (&css_name, css_bytes.as_slice()),
        (&boot_name, boot.as_bytes()),
    ];
    for (name, bytes) in shipped {
        let path = assets.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        gzip(&path)?;
    }

    let template =
        fs::read_to_string(frontend.join("index.html")).context("reading frontend/index.html")?;
    let index = template
        .replace("{{style}}", &css_name)
        .replace("{{js}}", &js_name)
        .replace("{{wasm}}", &wasm_name)
        .replace("{{boot}}", &boot_name);
    ensure!(
        !index.contains("{{"),
        "frontend/index.html has an unknown placeholder"
    );
    fs::write(site.join("index.html"), index)?;

    report_sizes(&assets, &[&js_name, &wasm_name, &css_name, &boot_name])?;
    Ok(site)
}

/// Installs what the frontend build needs when it is missing: the wasm32 target, wasm-bindgen
/// (exactly the pinned version) and binaryen's wasm-opt (from npm, into a cache directory).
pub fn ensure_tools() -> Result<()> {
    // The wasm32 target.
    let installed = output("rustup", &["target", "list", "--installed"])
        .context("rustup is needed to add the wasm32-unknown-unknown target")?;
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        eprintln!("xtask: adding the {WASM_TARGET} target");
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }

    // wasm-bindgen, matching the library exactly.
    let wanted = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.trim() != wanted {
        eprintln!(
            "xtask: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (found: {})",
            if have.trim().is_empty() {
                "none"
            } else {
                have.trim()
            }
        );
        run(Command::new(cargo()).args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
            "--locked",
        ]))?;
        let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
        ensure!(
            have.trim() == wanted,
            "wasm-bindgen on PATH is {:?} after installing {wanted}: is ~/.cargo/bin first on PATH?",
            have.trim()
        );
    }

    // wasm-opt.
    wasm_opt()?;
    Ok(())
}

/// A wasm-opt of binaryen ≥ 120: `$WASM_OPT`, else the npm one in the cache (installed when
/// missing), else one on PATH.
fn wasm_opt() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("WASM_OPT") {
        let path = PathBuf::from(path);
        let version = wasm_opt_version(&path)
            .with_context(|| format!("$WASM_OPT ({}) does not run", path.display()))?;
        ensure!(
            version >= MIN_WASM_OPT,
            "$WASM_OPT is binaryen {version}; {MIN_WASM_OPT} or newer is needed"
        );
        return Ok(path);
    }
    let prefix = cache_dir().join("npm");
    let npm_bin = prefix.join("node_modules").join(".bin").join("wasm-opt");
    if let Ok(v) = wasm_opt_version(&npm_bin)
        && v >= MIN_WASM_OPT
    {
        return Ok(npm_bin);
    }
    if let Ok(v) = wasm_opt_version(Path::new("wasm-opt")) {
        if v >= MIN_WASM_OPT {
            return Ok(PathBuf::from("wasm-opt"));
        }
        eprintln!(
            "xtask: ignoring the wasm-opt on PATH: binaryen {v} is older than {MIN_WASM_OPT}"
        );
    }
    eprintln!(
        "xtask: installing {BINARYEN_NPM} from npm into {}",
        prefix.display()
    );
    fs::create_dir_all(&prefix)?;
    run(Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args([
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            BINARYEN_NPM,
        ]))
    .context("installing binaryen with npm (is node/npm installed?)")?;
    let version = wasm_opt_version(&npm_bin)
        .with_context(|| format!("{} does not run after npm install", npm_bin.display()))?;
    ensure!(
        version >= MIN_WASM_OPT,
        "npm installed binaryen {version}; {MIN_WASM_OPT} or newer is needed"
    );
    Ok(npm_bin)
}

/// "wasm-opt version 132 (version_132)" → 132.
fn wasm_opt_version(path: &Path) -> Result<u32> {
    let out = Command::new(path)
        .arg("--version")
        .stderr(Stdio::null())
        .output()?;
    ensure!(out.status.success(), "{} --version failed", path.display());
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("unexpected wasm-opt version line: {}", text.trim()))
}

fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("glimpse");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("."));
    PathBuf::from(home).join(".cache").join("glimpse")
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("running {program}"))?;
    ensure!(out.status.success(), "{program} {} failed", args.join(" "));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed ({status})", cmd.get_program());
    }
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of the parts.
fn short_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())[..16].to_owned()
}

/// Writes `<path>.gz` (gzip -9) beside the file, for the server's precompressed serving.
fn gzip(path: &Path) -> Result<()> {
    let status = Command::new("gzip")
        .args(["-9", "-n", "-k", "-f"])
        .arg(path)
        .status()
        .context("running gzip")?;
    ensure!(status.success(), "gzip {} failed", path.display());
    Ok(())
}

fn report_sizes(assets: &Path, names: &[&String]) -> Result<()> {
    let mut line = String::new();
    let (mut raw, mut gz) = (0u64, 0u64);
    for name in names {
        let r = fs::metadata(assets.join(name))?.len();
        let g = fs::metadata(assets.join(format!("{name}.gz")))?.len();
        raw += r;
        gz += g;
        let _ = write!(line, "\n  {name}: {} KiB ({} KiB gzip)", r / 1024, g / 1024);
    }
    eprintln!(
        "xtask: web UI in {}: {} KiB, {} KiB gzip{line}",
        assets.parent().unwrap_or(assets).display(),
        raw / 1024,
        gz / 1024
    );
    Ok(())
}
