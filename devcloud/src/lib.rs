//! A real OpenStack dev cloud on 127.0.0.1: Keystone v3 and one Glance v2 per region,
//! each under uWSGI (on SQLite, or on this machine's PostgreSQL or MariaDB), for
//! Glimpse's end-to-end tests, `cargo xtask demo` and the benchmarks.
//!
//! ```no_run
//! let cloud = devcloud::DevCloud::start(devcloud::Options::default())?;
//! let token = cloud.token("alice", "alicepw", "project-a")?;
//! let disk = devcloud::small_disk_image()?;
//! let id = cloud.create_image("RegionOne", &token, "cirros", &devcloud::ImageOptions::with_disk(&disk))?;
//! let (status, image) = cloud.glance_request("RegionOne", &token, "GET", &format!("/v2/images/{id}"), None)?;
//! assert_eq!(status, 200);
//! assert_eq!(image["os_hash_value"], disk.sha512.as_str());
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Everything is synchronous: from async code use `spawn_blocking` or a thread.
//! The services are children of this process and die with it, also when the
//! [`DevCloud`] is never dropped (e.g. held in a `static`).
//!
//! # What it holds
//!
//! - Keystone (`[auth] methods` with `totp`): projects `admin`, `service`, `project-a/b/c`;
//!   users admin, alice, bob, carol, dave, glance, and erin, whose multi-factor rules ask
//!   for a password and a TOTP passcode ([`UserSeed::totp_secret`], [`UserSeed::passcode`]).
//! - One Glance per region. RegionTwo's offers the `glance-download` import method
//!   (fetching from RegionOne's Glance), RegionOne's does not.
//! - In every region a private qcow2 image [`SEEDED_IMAGE`] of project-a with real data
//!   ([`Seed::images`], with its SHA-512 as Glance computed it).
//!
//! # Layout and facts worth knowing
//!
//! - The Python side (pinned by `constraints.txt`) lives in a venv cached across runs
//!   ([`ensure_venv`]); next to it, pristine SQLite databases (Keystone after `db_sync`
//!   and `bootstrap`, Glance after `db_sync`) are built once per venv and copied into
//!   each new state dir, so a start runs no migration. Fernet and credential keys are
//!   written here, not by `keystone-manage`. Disk image files are made once, in
//!   `<cache dir>/images` ([`small_disk_image`], [`large_disk_image`]).
//! - State dir: `keystone/`, `glance-<region>/` (config, `*.db`, images),
//!   `logs/<service>.log` and `logs/<service>-uwsgi.log`, `run/*.pid`, `ids.json`,
//!   `clouds.yaml`.
//! - Glance 33 runs only under uWSGI with the flags of [`process`]; `Connection:
//!   close` avoids connection resets. On SQLite every service serves one request at a
//!   time: concurrent writers fail with "database is locked". [`Options::database`]
//!   puts them on a server database, where more workers and threads work.
//! - keystonemiddleware of every Glance, RegionTwo's too, must look for the identity
//!   service in RegionOne.

mod cargo;
mod configure;
mod database;
mod demo;
mod disk;
mod http;
mod images;
mod options;
mod process;
mod seed;
mod services;
mod setup;
mod venv;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use nix::fcntl::{Flock, FlockArg};

pub use cargo::cargo;
pub use demo::DemoImage;
pub use disk::{DiskImage, large_disk_image, small_disk_image};
pub use images::{SEEDED_IMAGE, SeededImage};
pub use options::{Database, ImageOptions, Options, Ports, REGIONS, Service};
pub use process::{log_tail, spawn_tied};
pub use seed::{Seed, UserSeed};
pub use venv::{CONSTRAINTS, PINS, cache_dir, ensure_venv, venv_dir};

use crate::database::ServerDatabases;
use crate::http::Http;
use crate::process::Proc;

/// Prefix of the temporary state dirs.
const TEMP_PREFIX: &str = "glimpse-devcloud-";
/// Marks a state dir as temporary (removable once its lock is free).
const EPHEMERAL: &str = ".ephemeral";

/// uWSGI processes and threads of the services.
#[derive(Clone, Copy, Debug)]
struct Workers {
    glance_processes: u32,
    glance_threads: u32,
    keystone_threads: u32,
}

/// A running dev cloud. Dropping it stops the services (and removes a temporary state
/// dir, and its server databases).
pub struct DevCloud {
    state_dir: PathBuf,
    venv: PathBuf,
    keystone_port: u16,
    /// Region -> port.
    glance_ports: BTreeMap<String, u16>,
    workers: Workers,
    database: Database,
    seed: Seed,
    http: Http,
    procs: Mutex<BTreeMap<Service, Proc>>,
    // Dropped in this order after Drop::drop stopped the services.
    _databases: Option<ServerDatabases>,
    _lock: Flock<File>,
    _temp: Option<tempfile::TempDir>,
}

impl DevCloud {
    /// Installs the venv if needed, configures and launches Keystone and the Glances,
    /// waits until they are healthy, seeds Keystone, seeds each Glance's disk image (its
    /// first authenticated calls, which warm it) and writes `ids.json` and `clouds.yaml`
    /// in the state dir.
    pub fn start(opts: Options) -> Result<DevCloud> {
        check_options(&opts)?;
        let t0 = Instant::now();
        let venv = ensure_venv()?;
        if let Some((pin, module)) = opts.database.driver() {
            venv::ensure_extra(&venv, pin, module)?;
        }
        let (temp, state_dir) = state_dir(&opts)?;
        let lock = lock_state_dir(&state_dir)?;
        if temp.is_some() {
            fs::write(state_dir.join(EPHEMERAL), "")?;
        }
        for sub in ["logs", "run"] {
            fs::create_dir_all(state_dir.join(sub))?;
        }

        let regions: Vec<String> = REGIONS[..opts.regions]
            .iter()
            .map(|r| r.to_string())
            .collect();
        let (keystone_port, glance_ports) = match &opts.ports {
            Ports::Free => {
                let ports = process::free_ports(1 + regions.len())?;
                (ports[0], ports[1..].to_vec())
            }
            Ports::Fixed { keystone, glance } => (*keystone, glance[..regions.len()].to_vec()),
        };
        let glance_ports: BTreeMap<String, u16> =
            regions.iter().cloned().zip(glance_ports).collect();
        let auth_url = format!("http://127.0.0.1:{keystone_port}");
        let services: Vec<Service> = std::iter::once(Service::Keystone)
            .chain(regions.iter().map(|r| Service::glance(r)))
            .collect();
        let databases = match opts.database {
            Database::Sqlite => None,
            db => Some(ServerDatabases::create(
                db,
                &venv,
                &state_dir.join("logs").join("setup.log"),
                &services,
            )?),
        };
        configure::configure(&configure::Plan {
            opts: &opts,
            state_dir: &state_dir,
            venv: &venv,
            keystone_port,
            glance_ports: &glance_ports,
            databases: databases.as_ref(),
        })?;

        let mut cloud = DevCloud {
            state_dir,
            venv,
            keystone_port,
            glance_ports,
            workers: Workers {
                glance_processes: opts.glance_processes,
                glance_threads: opts.glance_threads,
                keystone_threads: opts.keystone_threads,
            },
            database: opts.database,
            seed: Seed::default(),
            http: Http::new(),
            procs: Mutex::new(BTreeMap::new()),
            _databases: databases,
            _lock: lock,
            _temp: temp,
        };
        // From here on, an error drops `cloud`, which stops what was launched.
        for service in &services {
            cloud.launch(service)?;
        }
        let t_launch = Instant::now();
        let region_urls: Vec<(String, String)> = regions
            .iter()
            .map(|r| (r.clone(), cloud.glance_base(r)))
            .collect();
        let seed = std::thread::scope(|s| -> Result<Seed> {
            let glances: Vec<_> = regions
                .iter()
                .map(|r| {
                    let cloud = &cloud;
                    s.spawn(move || cloud.wait_healthy(&Service::glance(r)))
                })
                .collect();
            // Keystone can be seeded while the Glances still load.
            cloud.wait_healthy(&Service::Keystone)?;
            let t_seed = Instant::now();
            let seed = seed::seed(&cloud.http, &format!("{auth_url}/v3"), &region_urls)
                .with_context(|| {
                    format!("seeding Keystone\n{}", cloud.log_tails(&Service::Keystone))
                })?;
            tracing::debug!("seeded in {:.1} s", t_seed.elapsed().as_secs_f64());
            for g in glances {
                g.join().expect("health check thread panicked")?;
            }
            Ok(seed)
        })?;
        cloud.seed = seed;
        tracing::debug!(
            "services healthy and seeded {:.1} s after launch",
            t_launch.elapsed().as_secs_f64()
        );
        let t_images = Instant::now();
        let images = std::thread::scope(|s| -> Result<BTreeMap<String, SeededImage>> {
            let seeding: Vec<_> = regions
                .iter()
                .map(|r| {
                    let cloud = &cloud;
                    s.spawn(move || cloud.seed_disk_image(r).map(|i| (r.clone(), i)))
                })
                .collect();
            seeding
                .into_iter()
                .map(|w| w.join().expect("image seeding thread panicked"))
                .collect()
        })?;
        cloud.seed.images = images;
        tracing::debug!(
            "disk images seeded (and Glances warm) in {:.1} s",
            t_images.elapsed().as_secs_f64()
        );
        seed::write_ids(&cloud.seed, &cloud.state_dir.join("ids.json"))?;
        cloud.write_clouds_yaml(&cloud.clouds_yaml_path())?;
        tracing::info!(
            "dev cloud up in {:.1} s: keystone {auth_url}/v3, glance {}; {}; state {}",
            t0.elapsed().as_secs_f64(),
            cloud
                .seed
                .regions
                .iter()
                .map(|(r, u)| format!("{r} {u}"))
                .collect::<Vec<_>>()
                .join(", "),
            cloud.database,
            cloud.state_dir.display()
        );
        Ok(cloud)
    }

    /// Identity v3 endpoint, e.g. `http://127.0.0.1:5000/v3`.
    pub fn keystone_url(&self) -> &str {
        &self.seed.keystone_url
    }

    /// Keystone's base URL without `/v3` (the `auth_url` of clouds.yaml).
    pub fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.keystone_port)
    }

    /// Glance base URL of `region` (e.g. `http://127.0.0.1:9292`), if it runs.
    pub fn glance_url(&self, region: &str) -> Option<&str> {
        self.seed.regions.get(region).map(String::as_str)
    }

    /// The regions that run, RegionOne first.
    pub fn regions(&self) -> Vec<String> {
        self.glance_ports.keys().cloned().collect()
    }

    /// Where the services keep their data.
    pub fn database(&self) -> Database {
        self.database
    }

    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    pub fn venv(&self) -> &Path {
        &self.venv
    }

    /// `STATE/clouds.yaml`, written by `start`.
    pub fn clouds_yaml_path(&self) -> PathBuf {
        self.state_dir.join("clouds.yaml")
    }

    /// Log files of a service: (service log, uWSGI log).
    pub fn logs(&self, service: &Service) -> (PathBuf, PathBuf) {
        let name = service.name();
        let logs = self.state_dir.join("logs");
        (
            logs.join(format!("{name}.log")),
            logs.join(format!("{name}-uwsgi.log")),
        )
    }

    /// Writes a clouds.yaml: clouds `admin`, `alice-a`, `bob-b`, `carol-a`, `carol-c`,
    /// `dave-b` with the seed passwords, and `glimpse` without credentials (what the
    /// portal server uses). `auth_url` is Keystone's base URL without `/v3`.
    pub fn write_clouds_yaml(&self, path: &Path) -> Result<()> {
        let text = seed::clouds_yaml(&self.seed, &self.auth_url())?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// A project-scoped token (Keystone password auth, domain Default).
    pub fn token(&self, user: &str, password: &str, project: &str) -> Result<String> {
        self.http
            .token(self.keystone_url(), user, password, project)
    }

    /// A token for a seeded user (its seed password) on `project`.
    pub fn user_token(&self, user: &str, project: &str) -> Result<String> {
        let password = &self
            .seed
            .users
            .get(user)
            .with_context(|| format!("no seeded user {user}"))?
            .password;
        self.token(user, password, project)
    }

    /// Creates the demo images and memberships (see [`DemoImage`]); skips images that
    /// already exist by name for their owner, so calling it twice is harmless.
    pub fn seed_demo(&self) -> Result<Vec<DemoImage>> {
        demo::seed_demo(self)
    }
}

impl Drop for DevCloud {
    fn drop(&mut self) {
        let procs = std::mem::take(&mut *self.procs());
        // All at once: each uWSGI takes about 2 s to shut down.
        std::thread::scope(|s| {
            for (service, proc) in procs {
                s.spawn(move || {
                    if let Err(e) = proc.stop(services::STOP_GRACE) {
                        tracing::warn!("stopping {service}: {e:#}");
                    }
                });
            }
        });
    }
}

/// PIDs of live uWSGI processes started for the state dir `state_dir` (their command
/// line names a pidfile in `state_dir/run`), e.g. to check that none survived a drop.
pub fn processes_of(state_dir: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for name in std::iter::once(Service::Keystone.name())
        .chain(REGIONS.iter().map(|r| Service::glance(r).name()))
    {
        let pidfile = state_dir.join("run").join(format!("{name}.pid"));
        pids.extend(process::processes_naming(&pidfile));
    }
    pids
}

fn check_options(opts: &Options) -> Result<()> {
    ensure!(
        (1..=REGIONS.len()).contains(&opts.regions),
        "regions must be 1 or 2, not {}",
        opts.regions
    );
    ensure!(
        opts.glance_processes >= 1 && opts.glance_threads >= 1 && opts.keystone_threads >= 1,
        "processes and threads must be >= 1"
    );
    ensure!(
        opts.database != Database::Sqlite
            || (opts.glance_threads == 1 && opts.keystone_threads == 1),
        "more than one thread per service needs a server database (Options::database): \
         on SQLite concurrent writers fail with \"database is locked\""
    );
    Ok(())
}

/// The state dir to use: the given one (created if needed), or a new temporary one.
fn state_dir(opts: &Options) -> Result<(Option<tempfile::TempDir>, PathBuf)> {
    match &opts.state_dir {
        Some(dir) => {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let dir = dir
                .canonicalize()
                .with_context(|| format!("resolving {}", dir.display()))?;
            Ok((None, dir))
        }
        None => {
            remove_stale_temp_dirs();
            let temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempdir()
                .context("creating a temporary state dir")?;
            let dir = temp.path().canonicalize()?;
            Ok((Some(temp), dir))
        }
    }
}

/// An exclusive lock on `STATE/devcloud.lock` for the life of the dev cloud: two dev
/// clouds never share a state dir.
fn lock_state_dir(dir: &Path) -> Result<Flock<File>> {
    let path = dir.join("devcloud.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
        anyhow::anyhow!(
            "{} is in use by another running dev cloud ({e})",
            dir.display()
        )
    })
}

/// Temporary state dirs of processes that ended without dropping their dev cloud
/// (e.g. a test process holding it in a static): their lock is free.
fn remove_stale_temp_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if !is_ours || !path.join(EPHEMERAL).is_file() {
            continue;
        }
        if let Ok(lock) = lock_state_dir(&path) {
            tracing::debug!("removing stale dev cloud state {}", path.display());
            let _ = fs::remove_dir_all(&path);
            drop(lock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dev_cloud_can_live_in_a_static() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<DevCloud>();
    }

    #[test]
    fn service_names() {
        assert_eq!(Service::Keystone.name(), "keystone");
        assert_eq!(Service::glance("RegionTwo").name(), "glance-regiontwo");
        assert_eq!(Service::glance("RegionOne").to_string(), "Glance RegionOne");
    }

    #[test]
    fn bad_options_are_refused_before_any_work() {
        for regions in [0, 3] {
            let err = DevCloud::start(Options {
                regions,
                ..Options::default()
            })
            .err()
            .expect("refused");
            assert!(err.to_string().contains("regions"), "{err}");
        }
        let err = DevCloud::start(Options {
            glance_threads: 4,
            ..Options::default()
        })
        .err()
        .expect("refused");
        assert!(err.to_string().contains("server database"), "{err}");
    }
}
