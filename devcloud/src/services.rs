//! The services' processes: launching them under uWSGI, health checks, and stopping,
//! restarting and freezing them for fault tests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::process::{Launch, Proc};
use crate::{DevCloud, Service, log_tail};

/// How long [`DevCloud::stop_service`] waits after SIGTERM before SIGKILL.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(15);
/// How long a service may take to answer its health check after launch.
const HEALTHY_WITHIN: Duration = Duration::from_secs(120);

impl DevCloud {
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

    pub(crate) fn set_paused(&self, service: &Service, paused: bool) -> Result<()> {
        self.check_service(service)?;
        let mut procs = self.procs();
        let proc = procs
            .get_mut(service)
            .with_context(|| format!("{service} is not running"))?;
        proc.set_paused(paused)
            .with_context(|| format!("{service}: cannot pause/resume"))
    }

    pub(crate) fn procs(&self) -> std::sync::MutexGuard<'_, BTreeMap<Service, Proc>> {
        // A panic while holding the lock leaves the map usable.
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn check_service(&self, service: &Service) -> Result<()> {
        if let Service::Glance(region) = service {
            ensure!(
                self.glance_ports.contains_key(region),
                "no Glance in region {region} (regions: {:?})",
                self.regions()
            );
        }
        Ok(())
    }

    pub(crate) fn port(&self, service: &Service) -> u16 {
        match service {
            Service::Keystone => self.keystone_port,
            Service::Glance(region) => self.glance_ports[region],
        }
    }

    pub(crate) fn glance_base(&self, region: &str) -> String {
        format!("http://127.0.0.1:{}", self.glance_ports[region])
    }

    pub(crate) fn pidfile(&self, service: &Service) -> PathBuf {
        self.state_dir
            .join("run")
            .join(format!("{}.pid", service.name()))
    }

    pub(crate) fn launch(&self, service: &Service) -> Result<()> {
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
                // One process, so that its in-process cache (keystone.conf) stays
                // coherent. One thread on SQLite (the default): Keystone on SQLite fails
                // concurrent logins ("database is locked", HTTP 500 with an empty body,
                // seen by clients as a dropped connection): each login reads then
                // updates the user's last_active_at in one transaction, and SQLite
                // refuses the second writer at once instead of waiting.
                processes: 1,
                threads: self.workers.keystone_threads,
            },
            Service::Glance(_) => Launch {
                venv: &self.venv,
                port: self.port(service),
                pidfile: &pidfile,
                log: &uwsgi_log,
                cwd: &self.state_dir,
                env: ("OS_GLANCE_CONFIG_DIR", &dir),
                module: "glance.wsgi.api:application",
                // On SQLite one request per process at a time, for the same reason as
                // Keystone: Glance reads a member and then updates it in one
                // transaction, and a write committed in between makes SQLite refuse the
                // update at once ("database is locked", HTTP 500). On a server database
                // the benchmark raises processes and threads.
                processes: self.workers.glance_processes,
                threads: self.workers.glance_threads,
            },
        };
        let proc = Proc::launch(&launch).with_context(|| format!("launching {service}"))?;
        tracing::debug!("{service} launched (pid {})", proc.pid());
        self.procs().insert(service.clone(), proc);
        Ok(())
    }

    pub(crate) fn health_url(&self, service: &Service) -> String {
        match service {
            Service::Keystone => format!("http://127.0.0.1:{}/v3", self.keystone_port),
            Service::Glance(region) => format!("{}/healthcheck", self.glance_base(region)),
        }
    }

    /// Polls the health URL until it answers 200; fails early if the process exits,
    /// with the end of its logs.
    pub(crate) fn wait_healthy(&self, service: &Service) -> Result<()> {
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
    pub(crate) fn log_tails(&self, service: &Service) -> String {
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
    pub(crate) fn warm(&self, region: &str) -> Result<()> {
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
