//! The cached Python virtualenv with Keystone, Glance and uWSGI, and the pristine
//! databases built once per venv so that a new dev cloud needs no `db_sync`.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use nix::fcntl::{Flock, FlockArg};

use crate::process::run_logged;
use crate::setup;

/// pip constraints pinning every transitive dependency of the services.
pub const CONSTRAINTS: &str = include_str!("../constraints.txt");

/// What is installed into the venv, on top of [`CONSTRAINTS`].
pub const PINS: &[&str] = &[
    "glance==33.0.0",
    "keystone==30.0.0",
    "python-openstackclient==10.5.0",
    "openstacksdk==4.22.0",
    "uWSGI==2.0.31",
];

/// Name of the validity stamp inside the venv: it holds [`stamp`].
const STAMP: &str = "glimpse-pins.txt";
/// Pristine databases, inside the venv (they go when the venv is reinstalled).
const TEMPLATES: &str = "glimpse-templates";

/// The content a valid venv's stamp file has.
pub(crate) fn stamp() -> String {
    let mut s = String::from(CONSTRAINTS);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("# pins\n");
    for pin in PINS {
        s.push_str(pin);
        s.push('\n');
    }
    s
}

/// `$GLIMPSE_CACHE_DIR`, else `$XDG_CACHE_HOME/glimpse`, else `~/.cache/glimpse`.
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("GLIMPSE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("glimpse"));
    }
    let home = std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .context("neither GLIMPSE_CACHE_DIR nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache").join("glimpse"))
}

/// Where [`ensure_venv`] puts the venv: `<cache dir>/devcloud-venv`.
pub fn venv_dir() -> Result<PathBuf> {
    Ok(cache_dir()?.join("devcloud-venv"))
}

/// An exclusive lock on `<cache dir>/devcloud-venv.lock`, held while the venv or its
/// templates are checked or built, so that two processes never install at once.
fn lock_cache(cache: &Path) -> Result<Flock<File>> {
    fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let path = cache.join("devcloud-venv.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => return Ok(lock),
        Err((file, nix::errno::Errno::EWOULDBLOCK)) => file,
        Err((_, e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
    };
    tracing::info!("waiting for another process that holds {}", path.display());
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .with_context(|| format!("locking {}", path.display()))
}

/// Makes sure the cached venv exists and holds exactly [`PINS`] under [`CONSTRAINTS`];
/// returns its path.
///
/// The venv lives at `$GLIMPSE_CACHE_DIR/devcloud-venv` (default
/// `~/.cache/glimpse/devcloud-venv`) and is created with `$DEVCLOUD_PYTHON -m venv`
/// (default `python3`). It is valid when its `glimpse-pins.txt` equals the embedded
/// constraints plus the pin list; otherwise the pins are (re)installed with pip, which
/// takes several minutes the first time (uWSGI compiles from source: it needs a C
/// compiler and the Python headers). Safe to call from several processes at once.
pub fn ensure_venv() -> Result<PathBuf> {
    let cache = cache_dir()?;
    let venv = cache.join("devcloud-venv");
    if is_valid(&venv) {
        return Ok(venv);
    }
    let _lock = lock_cache(&cache)?;
    if is_valid(&venv) {
        return Ok(venv);
    }
    install(&cache, &venv)?;
    Ok(venv)
}

/// Installs an optional package into the venv (e.g. a database driver only the
/// benchmark needs) unless `module` already imports. It is not part of [`PINS`] so that
/// adding it never invalidates the venv of everyone else who shares the cache.
pub(crate) fn ensure_extra(venv: &Path, pin: &str, module: &str) -> Result<()> {
    let python = venv.join("bin").join("python");
    let imports = || {
        Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if imports() {
        return Ok(());
    }
    let cache = cache_dir()?;
    let _lock = lock_cache(&cache)?;
    if imports() {
        return Ok(());
    }
    tracing::info!("installing {pin} into {}", venv.display());
    let mut cmd = Command::new(venv.join("bin").join("pip"));
    cmd.args(["install", "-q", "--disable-pip-version-check", pin])
        .stdin(Stdio::null());
    run_logged(cmd, &cache.join("devcloud-venv-install.log"))
        .with_context(|| format!("pip install {pin}"))
}

fn is_valid(venv: &Path) -> bool {
    let stamped = fs::read_to_string(venv.join(STAMP)).is_ok_and(|s| s == stamp());
    stamped
        && ["uwsgi", "keystone-manage", "glance-manage", "python"]
            .iter()
            .all(|bin| venv.join("bin").join(bin).is_file())
}

fn install(cache: &Path, venv: &Path) -> Result<()> {
    let t0 = Instant::now();
    let log = cache.join("devcloud-venv-install.log");
    // Invalid until the install below completes.
    remove_if_exists(&venv.join(STAMP))?;
    let templates = venv.join(TEMPLATES);
    if templates.exists() {
        fs::remove_dir_all(&templates)
            .with_context(|| format!("removing {}", templates.display()))?;
    }
    if !venv.join("bin").join("python").is_file() {
        if venv.exists() {
            fs::remove_dir_all(venv).with_context(|| format!("removing {}", venv.display()))?;
        }
        let python = std::env::var("DEVCLOUD_PYTHON")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "python3".into());
        tracing::info!(
            "creating the dev cloud venv {} with {python}",
            venv.display()
        );
        let mut cmd = Command::new(&python);
        cmd.arg("-m").arg("venv").arg(venv);
        run_logged(cmd, &log).with_context(|| format!("{python} -m venv {}", venv.display()))?;
    }
    tracing::info!(
        "installing {} into {} (several minutes the first time; log: {})",
        PINS.join(" "),
        venv.display(),
        log.display()
    );
    let constraints = cache.join("devcloud-constraints.txt");
    fs::write(&constraints, CONSTRAINTS)
        .with_context(|| format!("writing {}", constraints.display()))?;
    let mut cmd = Command::new(venv.join("bin").join("pip"));
    cmd.args(["install", "-q", "--disable-pip-version-check", "-c"])
        .arg(&constraints)
        .args(PINS)
        .stdin(Stdio::null());
    run_logged(cmd, &log).context("pip install of the dev cloud venv")?;
    write_atomic(&venv.join(STAMP), stamp().as_bytes())?;
    tracing::info!(
        "dev cloud venv ready in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Pristine SQLite databases: Keystone's after `db_sync` + `bootstrap` (admin/adminpw,
/// placeholder endpoint URLs that seeding corrects), Glance's after `db_sync`.
pub(crate) struct Templates {
    pub keystone_db: PathBuf,
    pub glance_db: PathBuf,
}

/// Builds the templates for this venv once (under the cache lock); later calls only
/// look. `fast_hash` selects the admin password's bcrypt cost (4 rounds, or the default).
pub(crate) fn ensure_templates(venv: &Path, fast_hash: bool) -> Result<Templates> {
    let dir = venv.join(TEMPLATES);
    let ks_name = if fast_hash {
        "keystone-fast.db"
    } else {
        "keystone.db"
    };
    let templates = Templates {
        keystone_db: dir.join(ks_name),
        glance_db: dir.join("glance.db"),
    };
    if templates.keystone_db.is_file() && templates.glance_db.is_file() {
        return Ok(templates);
    }
    let _lock = lock_cache(&cache_dir()?)?;
    if templates.keystone_db.is_file() && templates.glance_db.is_file() {
        return Ok(templates);
    }
    let t0 = Instant::now();
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let work = tempfile::Builder::new()
        .prefix("build-")
        .tempdir_in(&dir)
        .context("creating a scratch dir for the database templates")?;
    let work = work.path();
    let log = dir.join("build.log");
    std::thread::scope(|s| {
        let keystone = s.spawn(|| -> Result<()> {
            if templates.keystone_db.is_file() {
                return Ok(());
            }
            let ks_dir = work.join("keystone");
            let conf = setup::write_keystone_conf(&setup::KeystoneConf {
                dir: &ks_dir,
                log_file: &work.join("keystone.log"),
                database: &format!("sqlite:///{}", ks_dir.join("keystone.db").display()),
                fast_hash,
                token_expiration: 3600,
                debug: false,
            })?;
            setup::write_key_repository(&ks_dir.join("fernet-keys"))?;
            setup::write_key_repository(&ks_dir.join("credential-keys"))?;
            let manage = venv.join("bin").join("keystone-manage");
            let mut cmd = Command::new(&manage);
            cmd.arg("--config-file").arg(&conf).arg("db_sync");
            run_logged(cmd, &log).context("keystone-manage db_sync")?;
            let mut cmd = Command::new(&manage);
            cmd.arg("--config-file")
                .arg(&conf)
                .arg("bootstrap")
                .args(setup::bootstrap_args("http://127.0.0.1:5000/v3"));
            run_logged(cmd, &log).context("keystone-manage bootstrap")?;
            fs::rename(ks_dir.join("keystone.db"), &templates.keystone_db)
                .context("storing the keystone template")
        });
        let glance = s.spawn(|| -> Result<()> {
            if templates.glance_db.is_file() {
                return Ok(());
            }
            let g_dir = work.join("glance");
            fs::create_dir_all(&g_dir)?;
            let conf = g_dir.join("glance-api.conf");
            fs::write(
                &conf,
                format!(
                    "[DEFAULT]\nlog_file = {}\n[database]\nconnection = sqlite:///{}\n",
                    work.join("glance.log").display(),
                    g_dir.join("glance.db").display()
                ),
            )?;
            let mut cmd = Command::new(venv.join("bin").join("glance-manage"));
            cmd.arg("--config-file").arg(&conf).arg("db_sync");
            run_logged(cmd, &log).context("glance-manage db_sync")?;
            fs::rename(g_dir.join("glance.db"), &templates.glance_db)
                .context("storing the glance template")
        });
        let k = keystone.join().expect("keystone template thread panicked");
        let g = glance.join().expect("glance template thread panicked");
        k.and(g)
    })
    .with_context(|| format!("building the database templates (log: {})", log.display()))?;
    tracing::info!(
        "database templates built in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(templates)
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Writes `path` through a temporary file and a rename, so readers never see half of it.
pub(crate) fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path without parent")?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, content)?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Copies `src` to `dst` unless `dst` exists (through a temporary file); tells whether
/// it copied.
pub(crate) fn copy_new(src: &Path, dst: &Path) -> Result<bool> {
    if dst.exists() {
        return Ok(false);
    }
    let content = fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    write_atomic(dst, &content)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_holds_constraints_and_pins() {
        let s = stamp();
        assert!(s.starts_with(CONSTRAINTS.trim_end()));
        for pin in PINS {
            assert!(s.contains(pin));
        }
    }

    #[test]
    fn constraints_pin_the_services() {
        assert!(CONSTRAINTS.lines().any(|l| l.starts_with("oslo.config==")));
    }
}
