//! Builds the web UI (`frontend/`, a Leptos app compiled to WebAssembly) into `target/web/`:
//! `index.html` plus content-hashed files under `assets/`, each with a `.gz` beside it for the
//! server's precompressed serving.
//!
//! The server sends a strict CSP (no inline script or style), so the page loads a tiny
//! `boot-<hash>.js` module that picks the language, starts downloading its messages
//! (`locale-<lang>-<hash>.json`, from `frontend/locales/`), imports the wasm-bindgen glue and
//! starts the app. Other languages' files are fetched only when chosen. A release build fails
//! when a first visit would download more than the size budget.
//!
//! Tools: the `wasm32-unknown-unknown` target, `wasm-bindgen` of exactly the version the
//! frontend pins, and for release builds a `wasm-opt` of binaryen 120 or newer (Debian's 108
//! miscompiles modern Rust output) and terser (to minify the JavaScript glue), both installed
//! from npm into a cache directory.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

use crate::cargo;

/// Must match the `wasm-bindgen = "=…"` pin in `frontend/Cargo.toml`.
pub const WASM_BINDGEN_VERSION: &str = "0.2.129";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const RUSTFLAGS_VAR: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS";
const BINARYEN_NPM: &str = "binaryen@132";
/// Minifies the wasm-bindgen glue (8 KB gzip as generated) in release builds.
const TERSER_NPM: &str = "terser@5.51.4";
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
    let mut build = cargo();
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
            // First, the exports of classes that the glue no longer has (`unused_classes`).
            .arg("--remove-exports")
            .arg(format!("--pass-arg=remove-exports@*{UNUSED_EXPORTS}*"))
            .arg("-Oz")
            // Until nothing shrinks any more: about 0.7 KB gzip less than one round.
            .arg("--converge")
            // Rust's code never traps implicitly (an out-of-bounds load, a division by zero: it
            // checks first and panics, an explicit trap that stays), and never uses the first
            // KB of memory (the stack ends at 1 MB, the data comes after it): assuming both lets
            // wasm-opt drop unused loads and fold address constants. About 3 KB gzip less.
            .arg("--ignore-implicit-traps")
            .arg("--low-memory-unused")
            // A function is inlined into its only caller when small only (by default wasm-opt
            // inlines every such function): fewer, bigger functions repeat each other's code
            // far less, and gzip shrinks them less. Measured (gzip -9 of the wasm): no limit
            // 326.6 KB, 0 300.8, 8 297.4, 14 297.1, 20 298.6, 40 304.0, 80 315.1.
            .arg("--one-caller-inline-max-function-size=14")
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

    let site = target_dir.join("web");
    let assets = site.join("assets");
    if assets.exists() {
        fs::remove_dir_all(&assets).with_context(|| format!("clearing {}", assets.display()))?;
    }
    fs::create_dir_all(&assets)?;

    // 4. terser, for release builds: the glue's JavaScript, minified.
    let glue = if release {
        let unminified = staging.join("glimpse.used.js");
        let text = fs::read_to_string(&glue)?;
        fs::write(&unminified, without_unused_classes(&text)?)?;
        let minified = staging.join("glimpse.min.js");
        let status = Command::new(terser()?)
            .arg(&unminified)
            .args([
                "--module",
                "--compress",
                "--mangle",
                "--comments",
                "false",
                "-o",
            ])
            .arg(&minified)
            .status()
            .context("running terser")?;
        ensure!(status.success(), "terser failed");
        minified
    } else {
        glue
    };

    // 5. The site: hashed assets, boot script, index.html.
    let frontend = workspace_root.join("frontend");
    let glue_bytes = fs::read(&glue)?;
    let wasm_bytes = fs::read(&module)?;
    let css =
        fs::read_to_string(frontend.join("style.css")).context("reading frontend/style.css")?;
    let css_bytes = minify_css(&css).into_bytes();

    let js_name = format!("glimpse-{}.js", short_hash(&[&glue_bytes, &wasm_bytes]));
    let wasm_name = format!("glimpse-{}_bg.wasm", short_hash(&[&wasm_bytes]));
    let css_name = format!("style-{}.css", short_hash(&[&css_bytes]));
    let locales = locales(&frontend.join("locales"))?;
    let boot = boot_script(&js_name, &wasm_name, &locales)?;
    let boot_name = format!("boot-{}.js", short_hash(&[boot.as_bytes()]));

    let mut shipped = vec![
        (js_name.clone(), glue_bytes),
        (wasm_name.clone(), wasm_bytes),
        (css_name.clone(), css_bytes),
        (boot_name.clone(), boot.into_bytes()),
    ];
    for l in &locales {
        shipped.push((l.file.clone(), l.json.clone().into_bytes()));
    }
    for (name, bytes) in &shipped {
        let path = assets.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        gzip(&path, bytes, release)?;
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

    let sizes = Sizes::measure(
        &assets,
        [&wasm_name, &js_name, &css_name, &boot_name],
        &locales,
    )?;
    sizes.report(&assets);
    if release {
        sizes.check_budget()?;
    }
    Ok(site)
}

/// The classes that wasm-streams exports to JavaScript (through server_fn, which Leptos's
/// `csr` feature needs): JavaScript's side of turning a Rust stream into a `ReadableStream` or
/// `WritableStream`, which the UI never does. Nothing imports them from the glue (the boot
/// script takes its `init` only), and no import of the wasm makes one (the glue would then
/// name the class elsewhere), so a release build drops them from the glue and their exports
/// from the wasm, with the Rust code behind them: about 1.5 KB gzip.
const UNUSED_CLASSES: [&str; 3] = [
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];
/// What the wasm's exports for `UNUSED_CLASSES` have in their names (`__wbg_<class>_free`,
/// `<class>_<method>`, lowercase).
const UNUSED_EXPORTS: &str = "intounderlying";

/// The wasm-bindgen glue without `UNUSED_CLASSES` (each class, and the `FinalizationRegistry`
/// that frees its instances); an error if the glue is not as expected, or names them
/// elsewhere too.
fn without_unused_classes(glue: &str) -> Result<String> {
    let mut glue = glue.to_owned();
    for class in UNUSED_CLASSES {
        let start = format!("export class {class} {{\n");
        let end = format!(
            "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n"
        );
        let registry = format!("const {class}Finalization = ");
        let cut = |glue: &mut String, from: &str, to: &str| -> Result<()> {
            let a = glue
                .find(from)
                .with_context(|| format!("the wasm-bindgen glue has no {from:?}"))?;
            let b = glue[a..]
                .find(to)
                .with_context(|| format!("the wasm-bindgen glue's {from:?} has no end"))?;
            glue.replace_range(a..a + b + to.len(), "");
            Ok(())
        };
        cut(&mut glue, &start, &end)?;
        cut(&mut glue, &registry, ";\n")?;
    }
    let lower = glue.to_lowercase();
    ensure!(
        !lower.contains(UNUSED_EXPORTS),
        "the wasm-bindgen glue still uses a class of wasm-streams: they cannot be dropped"
    );
    Ok(glue)
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
        run(cargo().args([
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

    // wasm-opt, terser, and axe-core for the browser tests.
    wasm_opt()?;
    terser()?;
    axe_core()?;
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

/// terser from npm (installed when missing).
fn terser() -> Result<PathBuf> {
    npm_package("npm-terser", TERSER_NPM, ".bin/terser")
}

/// The pinned axe-core, for the browser tests' accessibility checks (run in the page by
/// WebDriver, so the page's CSP does not apply to it).
pub const AXE_NPM: &str = "axe-core@4.14.1";

/// axe-core's script, from npm (installed when missing).
pub fn axe_core() -> Result<PathBuf> {
    npm_package("npm-axe", AXE_NPM, "axe-core/axe.min.js")
}

/// `file` (under `node_modules/`) of the npm package `spec` ("name@version"), installed into
/// its own prefix of the cache when missing or of another version.
fn npm_package(dir: &str, spec: &str, file: &str) -> Result<PathBuf> {
    let (name, version) = spec
        .rsplit_once('@')
        .context("an npm spec is name@version")?;
    let prefix = cache_dir().join(dir);
    let modules = prefix.join("node_modules");
    let installed = fs::read_to_string(modules.join(name).join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    let path = modules.join(file);
    if installed.as_deref() == Some(version) && path.exists() {
        return Ok(path);
    }
    eprintln!(
        "xtask: installing {spec} from npm into {}",
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
            spec,
        ]))
    .with_context(|| format!("installing {spec} with npm (is node/npm installed?)"))?;
    ensure!(
        path.exists(),
        "{} is missing after npm install",
        path.display()
    );
    Ok(path)
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

/// Writes `<path>.gz` beside the file, for the server's precompressed serving. A release
/// build compresses with Zopfli (the `zopfli` crate): still gzip, which every browser reads,
/// but about 5% smaller than `gzip -9` at the cost of seconds of build time, paid once per
/// release and saved on every first visit. A debug build keeps `gzip -9`, which is instant.
fn gzip(path: &Path, bytes: &[u8], release: bool) -> Result<()> {
    let gz = path.with_extension(match path.extension() {
        Some(ext) => format!("{}.gz", ext.to_string_lossy()),
        None => "gz".to_owned(),
    });
    if release {
        let mut out = Vec::with_capacity(bytes.len() / 3);
        zopfli::compress(
            zopfli::Options::default(),
            zopfli::Format::Gzip,
            bytes,
            &mut out,
        )
        .with_context(|| format!("compressing {}", path.display()))?;
        fs::write(&gz, out).with_context(|| format!("writing {}", gz.display()))?;
        return Ok(());
    }
    let status = Command::new("gzip")
        .args(["-9", "-n", "-k", "-f"])
        .arg(path)
        .status()
        .context("running gzip")?;
    ensure!(status.success(), "gzip {} failed", path.display());
    Ok(())
}

/// The stylesheet without its comments and needless whitespace (a few KB fewer; a rule's
/// text is left as written, so nothing changes meaning).
fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tight = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // Spaces around braces, semicolons and child combinators, and after colons and commas,
        // are not needed (no selector has a space right after a colon).
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if matches!(prev, Some('{' | '}' | ';' | ',' | '>' | ':'))
                || matches!(next, Some('{' | '}' | ';' | '>'))
            {
                continue;
            }
        }
        tight.push(c);
    }
    tight
}

/// A locale file as shipped: minified, named by its language and content hash.
struct Locale {
    lang: String,
    file: String,
    json: String,
    /// What the page shows before the app starts, and if it cannot.
    starting: String,
    failed: String,
}

/// Reads `frontend/locales/*.json` (English first), each checked to be a JSON object.
fn locales(dir: &Path) -> Result<Vec<Locale>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
    found.sort_by_key(|p| (!p.ends_with("en.json"), p.clone()));
    let mut locales = Vec::new();
    // English's keys, in name order: the order of every shipped list (frontend/build.rs
    // numbers the keys the same way).
    let mut keys: Vec<String> = Vec::new();
    for path in found {
        let lang = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("a locale file's name")?
            .to_owned();
        let text = fs::read_to_string(&path)?;
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON object", path.display()))?;
        let word = |key: &str| {
            value
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .with_context(|| format!("{} has no {key}", path.display()))
        };
        let (starting, failed) = (word("app.starting")?, word("app.failed")?);
        if keys.is_empty() {
            keys = value.keys().cloned().collect();
        }
        let theirs: Vec<&String> = value.keys().collect();
        ensure!(
            theirs.iter().copied().eq(keys.iter()),
            "{} does not have exactly the keys of en.json (the frontend's unit tests say which)",
            path.display()
        );
        // Shipped as a list in key order: the key names are not downloaded.
        let list: Vec<&serde_json::Value> = keys.iter().map(|k| &value[k]).collect();
        let json = serde_json::to_string(&list)?;
        let file = format!("locale-{lang}-{}.json", short_hash(&[json.as_bytes()]));
        locales.push(Locale {
            lang,
            file,
            json,
            starting,
            failed,
        });
    }
    ensure!(
        locales.first().is_some_and(|l| l.lang == "en"),
        "no frontend/locales/en.json"
    );
    Ok(locales)
}

/// The boot module (the CSP allows no inline script): picks the language (the one chosen
/// before in this browser, else the first of the browser's that the UI speaks, else English),
/// starts downloading its messages beside the wasm, and starts the app. It also tells the app
/// the path it is served under (`base`: `/glimpse` for `/glimpse/assets/boot-….js`, empty at
/// the root), so that one build serves under any `base_path`.
fn boot_script(js_name: &str, wasm_name: &str, locales: &[Locale]) -> Result<String> {
    let files: serde_json::Map<String, serde_json::Value> = locales
        .iter()
        .map(|l| (l.lang.clone(), l.file.clone().into()))
        .collect();
    let words: serde_json::Map<String, serde_json::Value> = locales
        .iter()
        .map(|l| (l.lang.clone(), serde_json::json!([l.starting, l.failed])))
        .collect();
    let files = serde_json::to_string(&files)?;
    let words = serde_json::to_string(&words)?;
    Ok(format!(
        "import init from \"./{js_name}\";\n\
         const files = {files};\n\
         const words = {words};\n\
         const pick = () => {{\n\
         \x20 try {{ const s = localStorage.getItem(\"glimpse.lang\"); if (s && files[s]) return s; }} catch (e) {{}}\n\
         \x20 for (const tag of navigator.languages || [navigator.language || \"en\"]) {{\n\
         \x20   const primary = String(tag).toLowerCase().split(/[-_]/)[0];\n\
         \x20   if (files[primary]) return primary;\n\
         \x20 }}\n\
         \x20 return \"en\";\n\
         }};\n\
         const lang = pick();\n\
         const url = (f) => new URL(f, import.meta.url).href;\n\
         document.documentElement.lang = lang;\n\
         window.glimpseLocales = {{\n\
         \x20 lang,\n\
         \x20 base: new URL(\"..\", import.meta.url).pathname.slice(0, -1),\n\
         \x20 files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, url(f)])),\n\
         \x20 first: fetch(url(files[lang])).then((r) => (r.ok ? r.text() : Promise.reject(r.status))),\n\
         }};\n\
         const boot = document.getElementById(\"boot\");\n\
         if (boot) boot.textContent = words[lang][0];\n\
         init({{ module_or_path: new URL(\"{wasm_name}\", import.meta.url) }}).catch((e) => {{\n\
         \x20 console.error(\"Glimpse could not start:\", e);\n\
         \x20 const p = document.getElementById(\"boot\");\n\
         \x20 if (p) p.textContent = words[lang][1] + \" \" + e;\n\
         }});\n"
    ))
}

/// What a first visit downloads must stay within this, in one language: wasm + js + css +
/// the boot script + the largest locale, gzip (the guide's rule: 350 KB).
const BUDGET_BYTES: u64 = 350_000;

/// The gzip sizes of the shipped parts.
struct Sizes {
    /// (file, raw bytes, gzip bytes): wasm, js, css, boot.
    parts: Vec<(String, u64, u64)>,
    /// (language, file, raw, gzip)
    locales: Vec<(String, String, u64, u64)>,
}

impl Sizes {
    fn measure(assets: &Path, parts: [&String; 4], locales: &[Locale]) -> Result<Self> {
        let size = |name: &str| -> Result<(u64, u64)> {
            Ok((
                fs::metadata(assets.join(name))?.len(),
                fs::metadata(assets.join(format!("{name}.gz")))?.len(),
            ))
        };
        let mut sizes = Sizes {
            parts: Vec::new(),
            locales: Vec::new(),
        };
        for name in parts {
            let (r, g) = size(name)?;
            sizes.parts.push((name.clone(), r, g));
        }
        for l in locales {
            let (r, g) = size(&l.file)?;
            sizes.locales.push((l.lang.clone(), l.file.clone(), r, g));
        }
        Ok(sizes)
    }

    /// The largest first visit: every part and the largest locale.
    fn first_visit(&self) -> u64 {
        let parts: u64 = self.parts.iter().map(|p| p.2).sum();
        parts + self.locales.iter().map(|l| l.3).max().unwrap_or(0)
    }

    fn report(&self, assets: &Path) {
        let mut line = String::new();
        for (name, r, g) in &self.parts {
            let _ = write!(line, "\n  {name}: {r} bytes ({g} gzip)");
        }
        for (lang, name, r, g) in &self.locales {
            let _ = write!(line, "\n  {name} ({lang}): {r} bytes ({g} gzip)");
        }
        eprintln!(
            "xtask: web UI in {}; a first visit downloads at most {} bytes gzip (budget {BUDGET_BYTES}){line}",
            assets.parent().unwrap_or(assets).display(),
            self.first_visit(),
        );
    }

    fn check_budget(&self) -> Result<()> {
        let total = self.first_visit();
        ensure!(
            total <= BUDGET_BYTES,
            "the web UI is over its size budget: a first visit downloads {total} bytes gzip, more than {BUDGET_BYTES}"
        );
        Ok(())
    }
}
