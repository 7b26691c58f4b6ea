//! A real OpenStack dev cloud on 127.0.0.1: Keystone v3 and one Glance v2 per region,
//! each under uWSGI with SQLite, for Glimpse's end-to-end tests, `cargo xtask demo` and
//! the benchmark.
//!
//! ```no_run
//! let cloud = devcloud::DevCloud::start(devcloud::Options::default())?;
//! let token = cloud.token("alice", "alicepw", "project-a")?;
//! let id = cloud.create_image("RegionOne", &token, "cirros", &Default::default())?;
//! let (status, image) = cloud.glance_request("RegionOne", &token, "GET", &format!("/v2/images/{id}"), None)?;
//! assert_eq!(status, 200);
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Everything is synchronous: from async code use `spawn_blocking` or a thread.
//! The services are children of this process and die with it, also when the
//! [`DevCloud`] is never dropped (e.g. held in a `static`).
//!
//! # Layout and facts worth knowing
//!
//! - The Python side (pinned by `constraints.txt`) lives in a venv cached across runs
//!   ([`ensure_venv`]); next to it, pristine databases (Keystone after `db_sync` and
//!   `bootstrap`, Glance after `db_sync`) are built once per venv and copied into each
//!   new state dir, so a start runs no migration. Fernet and credential keys are
//!   written here, not by `keystone-manage`.
//! - State dir: `keystone/`, `glance-<region>/` (config, `*.db`, images),
//!   `logs/<service>.log` and `logs/<service>-uwsgi.log`, `run/*.pid`, `ids.json`,
//!   `clouds.yaml`.
//! - Glance 33 runs only under uWSGI with the flags of [`process`]; `Connection:
//!   close` avoids connection resets. Keystone runs with one thread: on SQLite,
//!   concurrent logins fail with "database is locked".
//! - keystonemiddleware of every Glance, RegionTwo's too, must look for the identity
//!   service in RegionOne.

mod demo;
mod http;
mod process;
mod seed;
mod setup;
mod venv;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use nix::fcntl::{Flock, FlockArg};
use serde_json::{Value, json};

pub use demo::DemoImage;
pub use process::log_tail;
pub use seed::{Seed, UserSeed};
pub use venv::{CONSTRAINTS, PINS, cache_dir, ensure_venv, venv_dir};

use crate::http::Http;
use crate::process::{Launch, Proc};

/// The regions, in order: `Options::regions` = 2 runs both.
pub const REGIONS: &[&str] = &["RegionOne", "RegionTwo"];

/// How long [`DevCloud::stop_service`] waits after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// How long a service may take to answer its health check after launch.
const HEALTHY_WITHIN: Duration = Duration::from_secs(120);
/// Prefix of the temporary state dirs.
const TEMP_PREFIX: &str = "glimpse-devcloud-";
/// Marks a state dir as temporary (removable once its lock is free).
const EPHEMERAL: &str = ".ephemeral";

/// What [`DevCloud::start`] runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where configuration, databases, images and logs go. `None`: a new temporary
    /// directory, removed on drop. A given directory is reused on the next start:
    /// databases are kept, configuration and catalog follow the new ports.
    pub state_dir: Option<PathBuf>,
    /// 1 (RegionOne) or 2 (RegionOne and RegionTwo), each with its own Glance and database.
    pub regions: usize,
    /// bcrypt cost 4 instead of Keystone's 12: logins take ~1 ms instead of ~250 ms.
    pub fast_hash: bool,
    /// Glance `image_member_quota`.
    pub member_quota: u32,
    pub ports: Ports,
    /// Keystone token lifetime (whole seconds).
    pub token_expiration: Duration,
    /// uWSGI worker processes of each Glance (one request at a time each).
    pub glance_processes: u32,
    /// `debug = true` in the services' logs.
    pub debug: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            state_dir: None,
            regions: 1,
            fast_hash: true,
            member_quota: 128,
            ports: Ports::Free,
            token_expiration: Duration::from_secs(86400),
            glance_processes: 1,
            debug: false,
        }
    }
}

/// Ports of the services on 127.0.0.1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ports {
    /// Ports the kernel reports free, so that dev clouds of a demo and of test runs
    /// never collide.
    #[default]
    Free,
    /// Fixed ports; `glance[1]` is used only with two regions.
    Fixed { keystone: u16, glance: [u16; 2] },
}

/// A service of the dev cloud, for the fault-injection methods.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Keystone,
    /// The Glance of a region, e.g. `Service::Glance("RegionOne".into())`.
    Glance(String),
}

impl Service {
    pub fn glance(region: &str) -> Service {
        Service::Glance(region.to_string())
    }

    /// File-name stem: `keystone`, `glance-regionone`, ...
    fn name(&self) -> String {
        match self {
            Service::Keystone => "keystone".into(),
            Service::Glance(region) => format!("glance-{}", region.to_lowercase()),
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Keystone => f.write_str("Keystone"),
            Service::Glance(region) => write!(f, "Glance {region}"),
        }
    }
}

/// What a new image gets, for [`DevCloud::create_image`].
#[derive(Clone, Debug)]
pub struct ImageOptions<'a> {
    /// `private`, `shared`, `community` or `public` (admin only); `None`: Glance's
    /// default, `shared`.
    pub visibility: Option<&'a str>,
    /// Bytes to upload (`PUT .../file`) so that the image becomes `active`; `None`
    /// leaves it `queued`.
    pub upload: Option<&'a [u8]>,
    pub disk_format: &'a str,
    pub container_format: &'a str,
    pub protected: bool,
    pub min_disk: u32,
    pub min_ram: u32,
    /// Extra properties, e.g. `[("os_distro", "ubuntu")]`.
    pub properties: &'a [(&'a str, &'a str)],
}

impl Default for ImageOptions<'_> {
    fn default() -> Self {
        ImageOptions {
            visibility: None,
            upload: None,
            disk_format: "raw",
            container_format: "bare",
            protected: false,
            min_disk: 0,
            min_ram: 0,
            properties: &[],
        }
    }
}

/// A running dev cloud. Dropping it stops the services (and removes a temporary state
/// dir).
pub struct DevCloud {
    state_dir: PathBuf,
    venv: PathBuf,
    keystone_port: u16,
    /// Region -> port.
    glance_ports: BTreeMap<String, u16>,
    glance_processes: u32,
    seed: Seed,
    http: Http,
    procs: Mutex<BTreeMap<Service, Proc>>,
    // Dropped in this order after Drop::drop stopped the services.
    _lock: Flock<File>,
    _temp: Option<tempfile::TempDir>,
}

impl DevCloud {
    /// Installs the venv if needed, configures and launches Keystone and the Glances,
    /// waits until they are healthy, seeds Keystone, warms each Glance with an
    /// authenticated call and writes `ids.json` and `clouds.yaml` in the state dir.
    pub fn start(opts: Options) -> Result<DevCloud> {
        ensure!(
            (1..=REGIONS.len()).contains(&opts.regions),
            "regions must be 1 or 2, not {}",
            opts.regions
        );
        ensure!(opts.glance_processes >= 1, "glance_processes must be >= 1");
        let t0 = Instant::now();
        let venv = ensure_venv()?;
        let templates = venv::ensure_templates(&venv, opts.fast_hash)?;

        let (temp, state_dir) = match &opts.state_dir {
            Some(dir) => {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                let dir = dir
                    .canonicalize()
                    .with_context(|| format!("resolving {}", dir.display()))?;
                (None, dir)
            }
            None => {
                remove_stale_temp_dirs();
                let temp = tempfile::Builder::new()
                    .prefix(TEMP_PREFIX)
                    .tempdir()
                    .context("creating a temporary state dir")?;
                let dir = temp.path().canonicalize()?;
                (Some(temp), dir)
            }
        };
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

        // Keystone: database from the template, keys, configuration.
        let ks_dir = state_dir.join("keystone");
        fs::create_dir_all(&ks_dir)?;
        // Databases kept from an earlier start may predate the venv's pins.
        let pins_path = state_dir.join("glimpse-pins.txt");
        let migrate = fs::read_to_string(&pins_path).ok() != Some(venv::stamp());
        let setup_log = state_dir.join("logs").join("setup.log");
        // `keystone-manage` / `glance-manage --config-file CONF db_sync`.
        let db_sync = |manage: &str, conf: PathBuf| {
            let mut cmd = Command::new(venv.join("bin").join(manage));
            cmd.arg("--config-file").arg(conf).arg("db_sync");
            cmd
        };
        let mut db_syncs: Vec<Command> = Vec::new();
        if !venv::copy_new(&templates.keystone_db, &ks_dir.join("keystone.db"))? && migrate {
            db_syncs.push(db_sync("keystone-manage", ks_dir.join("keystone.conf")));
        }
        setup::write_key_repository(&ks_dir.join("fernet-keys"))?;
        setup::write_key_repository(&ks_dir.join("credential-keys"))?;
        setup::write_keystone_conf(&setup::KeystoneConf {
            dir: &ks_dir,
            log_file: &state_dir.join("logs").join("keystone.log"),
            fast_hash: opts.fast_hash,
            token_expiration: opts.token_expiration.as_secs().max(1),
            debug: opts.debug,
        })?;
        // Glances: one directory and database each.
        for region in &regions {
            let name = Service::glance(region).name();
            let dir = state_dir.join(&name);
            fs::create_dir_all(&dir)?;
            if !venv::copy_new(&templates.glance_db, &dir.join("glance.db"))? && migrate {
                db_syncs.push(db_sync("glance-manage", dir.join("glance-api.conf")));
            }
            setup::write_glance_conf(&setup::GlanceConf {
                dir: &dir,
                log_file: &state_dir.join("logs").join(format!("{name}.log")),
                keystone: &auth_url,
                member_quota: opts.member_quota,
                debug: opts.debug,
                upstream_paste: &venv.join("etc/glance/glance-api-paste.ini"),
                healthcheck_disable: &state_dir
                    .join("run")
                    .join(format!("{name}-healthcheck-disable")),
            })?;
        }

        // Also the databases of regions not running now, so that the stamp below holds.
        for region in &REGIONS[opts.regions..] {
            let dir = state_dir.join(Service::glance(region).name());
            if migrate && dir.join("glance.db").is_file() && dir.join("glance-api.conf").is_file() {
                db_syncs.push(db_sync("glance-manage", dir.join("glance-api.conf")));
            }
        }
        for cmd in db_syncs {
            tracing::info!("migrating a kept database: {cmd:?}");
            process::run_logged(cmd, &setup_log)?;
        }
        venv::write_atomic(&pins_path, venv::stamp().as_bytes())?;
        // WAL journals: readers stop blocking writers, which otherwise fail at once with
        // "database is locked" (HTTP 500) when tests write concurrently. The mode is stored
        // in the database file, so setting it once per start is enough.
        let mut wal = Command::new(venv.join("bin").join("python"));
        wal.arg("-c")
            .arg("import sqlite3, sys\nfor p in sys.argv[1:]:\n    sqlite3.connect(p).execute('PRAGMA journal_mode=WAL').fetchall()")
            .arg(ks_dir.join("keystone.db"));
        for region in &regions {
            wal.arg(
                state_dir
                    .join(Service::glance(region).name())
                    .join("glance.db"),
            );
        }
        process::run_logged(wal, &setup_log)?;

        let mut cloud = DevCloud {
            state_dir,
            venv,
            keystone_port,
            glance_ports,
            glance_processes: opts.glance_processes,
            seed: Seed::default(),
            http: Http::new(),
            procs: Mutex::new(BTreeMap::new()),
            _lock: lock,
            _temp: temp,
        };
        // From here on, an error drops `cloud`, which stops what was launched.
        let services: Vec<Service> = std::iter::once(Service::Keystone)
            .chain(regions.iter().map(|r| Service::glance(r)))
            .collect();
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
        std::thread::scope(|s| -> Result<()> {
            let warms: Vec<_> = regions
                .iter()
                .map(|r| {
                    let cloud = &cloud;
                    s.spawn(move || cloud.warm(r))
                })
                .collect();
            warms
                .into_iter()
                .try_for_each(|w| w.join().expect("warm-up thread panicked"))
        })?;
        seed::write_ids(&cloud.seed, &cloud.state_dir.join("ids.json"))?;
        cloud.write_clouds_yaml(&cloud.clouds_yaml_path())?;
        tracing::info!(
            "dev cloud up in {:.1} s: keystone {auth_url}/v3, glance {}; state {}",
            t0.elapsed().as_secs_f64(),
            cloud
                .seed
                .regions
                .iter()
                .map(|(r, u)| format!("{r} {u}"))
                .collect::<Vec<_>>()
                .join(", "),
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

    /// A raw Glance call: `path` starts with `/v2/`. A `PATCH` body is sent as
    /// `application/openstack-images-v2.1-json-patch`, others as JSON. Returns the
    /// status and the body as JSON (`null` if empty, a string if not JSON).
    pub fn glance_request(
        &self,
        region: &str,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        self.glance_request_timeout(region, token, method, path, body, http::TIMEOUT)
    }

    /// [`DevCloud::glance_request`] with a time limit for the whole exchange.
    pub fn glance_request_timeout(
        &self,
        region: &str,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(u16, Value)> {
        let base = self
            .glance_url(region)
            .with_context(|| format!("no Glance in region {region}"))?;
        let content_type = if method.eq_ignore_ascii_case("PATCH") {
            "application/openstack-images-v2.1-json-patch"
        } else {
            "application/json"
        };
        let body = body.map(|b| serde_json::to_vec(b).map(|v| (content_type, v)));
        let reply = self.http.send(
            method,
            &format!("{base}{path}"),
            &[("Accept", "application/json"), ("X-Auth-Token", token)],
            body.transpose()?,
            timeout,
        )?;
        Ok((reply.status, reply.json()))
    }

    /// Creates an image (`POST /v2/images`) in the token's project and, with
    /// `upload`, uploads its data so that it becomes `active`. Returns its id.
    pub fn create_image(
        &self,
        region: &str,
        token: &str,
        name: &str,
        opts: &ImageOptions<'_>,
    ) -> Result<String> {
        let mut body = json!({
            "name": name,
            "disk_format": opts.disk_format,
            "container_format": opts.container_format,
            "protected": opts.protected,
            "min_disk": opts.min_disk,
            "min_ram": opts.min_ram,
        });
        if let Some(v) = opts.visibility {
            body["visibility"] = json!(v);
        }
        for (k, v) in opts.properties {
            body[*k] = json!(v);
        }
        let (status, image) =
            self.glance_request(region, token, "POST", "/v2/images", Some(&body))?;
        ensure!(
            status == 201,
            "creating image {name} in {region}: HTTP {status}: {image}"
        );
        let id = image["id"]
            .as_str()
            .context("Glance created an image without id")?
            .to_string();
        if let Some(data) = opts.upload {
            let base = self.glance_url(region).unwrap_or_default();
            self.http
                .send(
                    "PUT",
                    &format!("{base}/v2/images/{id}/file"),
                    &[("X-Auth-Token", token)],
                    Some(("application/octet-stream", data.to_vec())),
                    http::TIMEOUT,
                )?
                .ok(&format!("uploading image {name} ({id}) in {region}"))?;
        }
        Ok(id)
    }

    /// Creates the demo images and memberships (see [`DemoImage`]); skips images that
    /// already exist by name for their owner, so calling it twice is harmless.
    pub fn seed_demo(&self) -> Result<Vec<DemoImage>> {
        demo::seed_demo(self)
    }

    /// Stops a service (SIGTERM to its uWSGI master, SIGKILL after 15 s). Its port
    /// stays reserved for [`DevCloud::start_service`]. Stopping a stopped service is a
    /// no-op.
    pub fn stop_service(&self, service: &Service) -> Result<()> {
        self.check_service(service)?;
        let proc = self.procs().remove(service);
        if let Some(proc) = proc {
            proc.stop(STOP_GRACE)?;
            tracing::info!("{service} stopped");
        }
        Ok(())
    }

    /// Relaunches a stopped service on its port, waits until it is healthy and, for a
    /// Glance, warms it. A no-op if it runs.
    pub fn start_service(&self, service: &Service) -> Result<()> {
        self.check_service(service)?;
        {
            let mut procs = self.procs();
            if let Some(proc) = procs.get_mut(service) {
                if proc.exited().is_none() {
                    return Ok(());
                }
                procs.remove(service);
            }
        }
        self.launch(service)?;
        self.wait_healthy(service)?;
        if let Service::Glance(region) = service {
            self.warm(region)?;
        }
        tracing::info!("{service} started");
        Ok(())
    }

    /// Freezes a service (SIGSTOP to its master and workers): connections are still
    /// accepted by the kernel but never answered, so clients time out.
    pub fn pause_service(&self, service: &Service) -> Result<()> {
        self.set_paused(service, true)
    }

    /// Undoes [`DevCloud::pause_service`] (SIGCONT).
    pub fn resume_service(&self, service: &Service) -> Result<()> {
        self.set_paused(service, false)
    }

    /// PIDs of every uWSGI process (masters and workers) of this dev cloud.
    pub fn pids(&self) -> Vec<u32> {
        self.procs().values_mut().flat_map(|p| p.pids()).collect()
    }

    fn set_paused(&self, service: &Service, paused: bool) -> Result<()> {
        self.check_service(service)?;
        let mut procs = self.procs();
        let proc = procs
            .get_mut(service)
            .with_context(|| format!("{service} is not running"))?;
        proc.set_paused(paused)
            .with_context(|| format!("{service}: cannot pause/resume"))
    }

    fn procs(&self) -> std::sync::MutexGuard<'_, BTreeMap<Service, Proc>> {
        // A panic while holding the lock leaves the map usable.
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_service(&self, service: &Service) -> Result<()> {
        if let Service::Glance(region) = service {
            ensure!(
                self.glance_ports.contains_key(region),
                "no Glance in region {region} (regions: {:?})",
                self.regions()
            );
        }
        Ok(())
    }

    fn port(&self, service: &Service) -> u16 {
        match service {
            Service::Keystone => self.keystone_port,
            Service::Glance(region) => self.glance_ports[region],
        }
    }

    fn glance_base(&self, region: &str) -> String {
        format!("http://127.0.0.1:{}", self.glance_ports[region])
    }

    fn pidfile(&self, service: &Service) -> PathBuf {
        self.state_dir
            .join("run")
            .join(format!("{}.pid", service.name()))
    }

    fn launch(&self, service: &Service) -> Result<()> {
        let name = service.name();
        let dir = self.state_dir.join(&name);
        let (_, uwsgi_log) = self.logs(service);
        let pidfile = self.pidfile(service);
        let launch = match service {
            Service::Keystone => Launch {
                venv: &self.venv,
                port: self.port(service),
                pidfile: &pidfile,
                log: &uwsgi_log,
                cwd: &self.state_dir,
                env: ("OS_KEYSTONE_CONFIG_DIR", &dir),
                module: "keystone.wsgi.api:application",
                // One request at a time: Keystone on SQLite fails concurrent logins
                // ("database is locked", HTTP 500 with an empty body, seen by clients
                // as a dropped connection): each login reads then updates the user's
                // last_active_at in one transaction, and SQLite refuses the second
                // writer at once instead of waiting. Under the GIL, threads bought
                // little anyway; the in-process cache (keystone.conf) makes requests fast.
                processes: 1,
                threads: 1,
            },
            Service::Glance(_) => Launch {
                venv: &self.venv,
                port: self.port(service),
                pidfile: &pidfile,
                log: &uwsgi_log,
                cwd: &self.state_dir,
                env: ("OS_GLANCE_CONFIG_DIR", &dir),
                module: "glance.wsgi.api:application",
                // One request per process at a time, for the same SQLite reason as
                // Keystone: Glance reads a member and then updates it in one transaction,
                // and a write committed in between makes SQLite refuse the update at once
                // ("database is locked", HTTP 500). Read-heavy runs (the benchmark) may
                // raise `glance_processes`.
                processes: self.glance_processes,
                threads: 1,
            },
        };
        let proc = Proc::launch(&launch).with_context(|| format!("launching {service}"))?;
        tracing::debug!("{service} launched (pid {})", proc.pid());
        self.procs().insert(service.clone(), proc);
        Ok(())
    }

    fn health_url(&self, service: &Service) -> String {
        match service {
            Service::Keystone => format!("http://127.0.0.1:{}/v3", self.keystone_port),
            Service::Glance(region) => format!("{}/healthcheck", self.glance_base(region)),
        }
    }

    /// Polls the health URL until it answers 200; fails early if the process exits,
    /// with the end of its logs.
    fn wait_healthy(&self, service: &Service) -> Result<()> {
        let t0 = Instant::now();
        let url = self.health_url(service);
        loop {
            let status = self
                .http
                .send("GET", &url, &[], None, Duration::from_secs(2))
                .map(|r| r.status);
            if let Ok(200) = status {
                tracing::debug!(
                    "{service} healthy {:.1} s after launch",
                    t0.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            let exited = match self.procs().get_mut(service) {
                Some(proc) => proc.exited(),
                None => Some("not running".into()),
            };
            if let Some(how) = exited {
                bail!(
                    "{service} exited ({how}) before answering {url}\n{}",
                    self.log_tails(service)
                );
            }
            if t0.elapsed() > HEALTHY_WITHIN {
                bail!(
                    "{service} did not answer {url} with 200 within {HEALTHY_WITHIN:?} \
                     (last: {status:?})\n{}",
                    self.log_tails(service)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of a service's logs, for error messages.
    fn log_tails(&self, service: &Service) -> String {
        let (log, uwsgi) = self.logs(service);
        format!(
            "--- {}:\n{}\n--- {}:\n{}",
            uwsgi.display(),
            log_tail(&uwsgi, 30),
            log.display(),
            log_tail(&log, 10)
        )
    }

    /// The first authenticated call of a Glance worker makes keystonemiddleware fetch
    /// its service token and the catalog: done here, not in a test's first request.
    fn warm(&self, region: &str) -> Result<()> {
        let t0 = Instant::now();
        let service = Service::glance(region);
        let token = self.user_token("alice", "project-a")?;
        let (status, body) =
            self.glance_request(region, &token, "GET", "/v2/images?limit=1", None)?;
        if status != 200 {
            bail!(
                "warm-up GET /v2/images on {service}: HTTP {status}: {body}\n{}",
                self.log_tails(&service)
            );
        }
        tracing::debug!("{service} warm in {:.2} s", t0.elapsed().as_secs_f64());
        Ok(())
    }
}

impl Drop for DevCloud {
    fn drop(&mut self) {
        let procs = std::mem::take(&mut *self.procs());
        // All at once: each uWSGI takes about 2 s to shut down.
        std::thread::scope(|s| {
            for (service, proc) in procs {
                s.spawn(move || {
                    if let Err(e) = proc.stop(STOP_GRACE) {
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
    }
}
