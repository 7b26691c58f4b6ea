//! Benchmarks: `cargo xtask bench audit`, `cargo xtask bench load`, `cargo xtask bench copy`. Benchmarks print
//! figures and assert nothing about time; every request goes to 127.0.0.1 and every run
//! ends by itself.
//!
//! This module holds what they share: the release build of Glimpse, a Glimpse server
//! process pointed at a dev cloud, and statistics.

pub mod audit;
mod audit_page;
pub mod copy;
pub mod load;

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// `cargo build --release -p glimpse`; returns the binary. `GLIMPSE_BENCH_BINARY` names a
/// binary to time instead (another commit's build, to compare two).
pub fn build_glimpse(root: &Path, target: &Path) -> Result<PathBuf> {
    if let Some(binary) = std::env::var_os("GLIMPSE_BENCH_BINARY") {
        eprintln!("xtask: timing {}", binary.to_string_lossy());
        return Ok(binary.into());
    }
    crate::run_cmd(
        crate::cargo()
            .current_dir(root)
            .args(["build", "--release", "-p", "glimpse"]),
        "building the glimpse server (release)",
    )?;
    Ok(target.join("release/glimpse"))
}

/// A `glimpse serve` process on a free port of 127.0.0.1, killed on drop.
pub struct Glimpse {
    child: Child,
    pub port: u16,
    /// Its stderr (the server's log).
    pub log: PathBuf,
}

impl Glimpse {
    /// Starts `binary` against Keystone at `auth_url`, its activity log a SQLite file in
    /// `dir`, logging with the `GLIMPSE_LOG` filter `log_filter`, serving the web UI from
    /// `assets` if given; waits until it listens.
    pub fn start(
        binary: &Path,
        auth_url: &str,
        dir: &Path,
        log_filter: &str,
        assets: Option<&Path>,
    ) -> Result<Glimpse> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = dir.join("glimpse.log");
        let data = dir.join("activity.db");
        let _ = std::fs::remove_file(&data);
        let mut command = Command::new(binary);
        command
            .args([
                "serve",
                "--auth-url",
                auth_url,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--database")
            .arg(format!("sqlite://{}", data.display()))
            .env("GLIMPSE_LOG", log_filter)
            // A benchmark signs in hundreds of sessions of three users from one address:
            // sign-in throttling (5 a minute per user by default) would refuse them.
            .env("GLIMPSE_SIGN_IN_PER_ADDRESS", "1000000")
            .env("GLIMPSE_SIGN_IN_PER_USER", "1000000")
            .stdout(Stdio::null())
            .stderr(File::create(&log).with_context(|| format!("creating {}", log.display()))?);
        if let Some(assets) = assets {
            command.arg("--assets-dir").arg(assets);
        }
        let child = command.spawn().context("starting glimpse")?;
        let glimpse = Glimpse { child, port, log };
        glimpse.wait_until_up()?;
        Ok(glimpse)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_until_up(&self) -> Result<()> {
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("glimpse did not start listening on port {}", self.port)
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        status_kib(self.child.id(), "VmHWM:")
    }
}

impl Drop for Glimpse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Shares an image with `member` (Glance `POST /v2/images/{id}/members`, as its owner).
pub fn add_member(
    cloud: &devcloud::DevCloud,
    region: &str,
    token: &str,
    id: &str,
    member: &str,
) -> Result<()> {
    let (status, body) = cloud.glance_request(
        region,
        token,
        "POST",
        &format!("/v2/images/{id}/members"),
        Some(&serde_json::json!({ "member": member })),
    )?;
    anyhow::ensure!(
        status == 200,
        "sharing {id} with {member}: HTTP {status}: {body}"
    );
    Ok(())
}

/// A `kB` field of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// The `q` quantile (0..=1) of `v`, nearest rank; NaN when empty.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.95), 95.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), 2.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
