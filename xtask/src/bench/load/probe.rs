//! Measurements beside the load: the proxy's own cost per call (alternated requests
//! through Glimpse and straight to Glance), and where time goes on the OpenStack side
//! (uWSGI's own service times and listen-queue complaints, the kernel's counters of
//! dropped connection attempts).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::flows::{Kind, REQUEST_TIMEOUT, Via, World};
use super::stats::ms;
use crate::bench::{median, quantile};

/// Alternates one Glimpse call and the same Glance call, with the same user and project.
pub struct ProxyProbe {
    glimpse: reqwest::Client,
    direct: reqwest::Client,
    token: String,
}

pub struct ProxyOverhead {
    pub glimpse: Vec<f64>,
    pub direct: Vec<f64>,
    /// The same, before the load began: what one call costs on a quiet cloud.
    pub idle: Option<Box<ProxyOverhead>>,
}

impl ProxyProbe {
    /// Signs in its own session (alice, project-a); `token` is alice's on project-a.
    pub async fn new(world: &World, token: &str) -> Result<ProxyProbe> {
        let Via::Glimpse { client, .. } = super::sign_in(world, Kind::Owner).await? else {
            unreachable!()
        };
        Ok(ProxyProbe {
            glimpse: client,
            direct: reqwest::Client::new(),
            token: token.to_string(),
        })
    }

    /// Alternates for `duration` with nothing else running.
    pub async fn idle(&self, world: &World, duration: Duration) -> ProxyOverhead {
        self.alternate(world, Instant::now() + duration).await
    }

    pub async fn run(self, world: &World, deadline: Instant, idle: ProxyOverhead) -> ProxyOverhead {
        let mut out = self.alternate(world, deadline).await;
        out.idle = Some(Box::new(idle));
        out
    }

    async fn alternate(&self, world: &World, deadline: Instant) -> ProxyOverhead {
        let id = &world.catalog[0];
        let through = format!(
            "{}/api/v1/images/{id}?region={}",
            world.glimpse, world.region
        );
        let straight = format!("{}/v2/images/{id}", world.glance);
        let mut out = ProxyOverhead {
            glimpse: Vec::new(),
            direct: Vec::new(),
            idle: None,
        };
        // Whichever call comes first after the pause wakes an idle Glance and pays for it
        // (measured on a quiet cloud: about 2 ms, to the first call of each pair, whichever
        // it is), so each pair swaps the order of the one before.
        let mut glimpse_first = true;
        while Instant::now() < deadline {
            if glimpse_first {
                timed(self.through(&through), &mut out.glimpse).await;
                timed(self.straight(&straight), &mut out.direct).await;
            } else {
                timed(self.straight(&straight), &mut out.direct).await;
                timed(self.through(&through), &mut out.glimpse).await;
            }
            glimpse_first = !glimpse_first;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out
    }

    /// One call through Glimpse.
    fn through(&self, url: &str) -> reqwest::RequestBuilder {
        self.glimpse.get(url)
    }

    /// The same call straight to Glance, with the same user's token.
    fn straight(&self, url: &str) -> reqwest::RequestBuilder {
        self.direct.get(url).header("X-Auth-Token", &self.token)
    }
}

/// Sends `request`; its time in ms goes to `times` when it succeeded.
async fn timed(request: reqwest::RequestBuilder, times: &mut Vec<f64>) {
    let t = Instant::now();
    let ok = request
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    if ok {
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
}

impl ProxyOverhead {
    pub fn print(&self) {
        if let Some(idle) = &self.idle {
            idle.print_as("before the load");
        }
        self.print_as("under the load");
    }

    fn print_as(&self, when: &str) {
        let (g, d) = (median(&self.glimpse), median(&self.direct));
        println!(
            "proxy overhead {when}, GET /api/v1/images/{{id}} vs GET /v2/images/{{id}} alternated \
             ({} pairs): median {} vs {}: {} per call (p95 {} vs {})",
            self.glimpse.len().min(self.direct.len()),
            ms(g),
            ms(d),
            ms(g - d),
            ms(quantile(&self.glimpse, 0.95)),
            ms(quantile(&self.direct, 0.95))
        );
    }
}

/// Where the uWSGI logs and kernel counters stood when a phase began.
pub struct Evidence {
    logs: Vec<(PathBuf, u64)>,
    counters: BTreeMap<String, u64>,
}

/// What happened on the OpenStack side during a phase.
pub struct Observed {
    /// Service -> uWSGI's own time per request (ms, from its request log): the time a
    /// worker spent, without the wait in the listen queue.
    service_ms: BTreeMap<String, Vec<f64>>,
    /// Service -> "listen queue ... full" complaints of uWSGI.
    queue_full: BTreeMap<String, usize>,
    /// Kernel TCP counters that grew (a full accept queue drops connection attempts,
    /// which clients retry after 1, 2, 4, 8… s).
    counters: BTreeMap<String, u64>,
}

const COUNTERS: &[&str] = &[
    "ListenOverflows",
    "ListenDrops",
    "TCPReqQFullDrop",
    "TCPReqQFullDoCookies",
    "SyncookiesSent",
];

impl Evidence {
    pub fn start(state_dir: &Path) -> Evidence {
        let logs = std::fs::read_dir(state_dir.join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with("-uwsgi.log"))
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect();
        Evidence {
            logs,
            counters: tcp_counters(),
        }
    }

    pub fn finish(self) -> Observed {
        let mut service_ms = BTreeMap::new();
        let mut queue_full = BTreeMap::new();
        for (path, from) in &self.logs {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .trim_end_matches("-uwsgi.log")
                .to_string();
            let text = read_from(path, *from);
            let times: Vec<f64> = text.lines().filter_map(request_msecs).collect();
            let full = text.lines().filter(|l| l.contains("listen queue")).count();
            service_ms.insert(name.clone(), times);
            queue_full.insert(name, full);
        }
        let now = tcp_counters();
        let counters = now
            .iter()
            .filter_map(|(k, v)| {
                let grew = v.saturating_sub(*self.counters.get(k).unwrap_or(&0));
                (grew > 0).then(|| (k.clone(), grew))
            })
            .collect();
        Observed {
            service_ms,
            queue_full,
            counters,
        }
    }
}

impl Observed {
    pub fn print(&self, phase: &str) {
        for (service, times) in &self.service_ms {
            println!(
                "  {phase}: {service}: {} requests, service time p50 {} p99 {} max {}; \
                 'listen queue full' complaints: {}",
                times.len(),
                ms(median(times)),
                ms(quantile(times, 0.99)),
                ms(times.iter().copied().fold(f64::NAN, f64::max)),
                self.queue_full.get(service).unwrap_or(&0)
            );
        }
        let counters: Vec<String> = self
            .counters
            .iter()
            .map(|(k, v)| format!("{k} +{v}"))
            .collect();
        println!(
            "  {phase}: kernel TCP counters: {}",
            if counters.is_empty() {
                "no dropped connection attempts".to_string()
            } else {
                counters.join(", ")
            }
        );
    }
}

/// `... => generated 123 bytes in 25 msecs (HTTP/1.1 200) ...` -> 25.
fn request_msecs(line: &str) -> Option<f64> {
    let rest = line.split(" bytes in ").nth(1)?;
    rest.split(" msecs").next()?.trim().parse().ok()
}

fn read_from(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path)
        && f.seek(SeekFrom::Start(from)).is_ok()
    {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    text
}

/// The kernel's `TcpExt` counters that tell of dropped connection attempts.
fn tcp_counters() -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("TcpExt:")).collect();
    let mut out = BTreeMap::new();
    if let [names, values] = lines[..] {
        for (k, v) in names.split_whitespace().zip(values.split_whitespace()) {
            if COUNTERS.contains(&k) {
                out.insert(k.to_string(), v.parse().unwrap_or(0));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uwsgi_request_times() {
        let line = "[pid: 1|app: 0|req: 2/2] 127.0.0.1 () {24 vars in 267 bytes} [Tue Dec  1 20:24:33 2026] \
                    GET /healthcheck => generated 2 bytes in 18 msecs (HTTP/1.1 200) 3 headers in 98 bytes";
        assert_eq!(request_msecs(line), Some(18.0));
        assert_eq!(
            request_msecs("*** uWSGI listen queue of socket full ***"),
            None
        );
    }

    #[test]
    fn reads_kernel_counters() {
        // Present on Linux; the values are whatever they are.
        assert!(tcp_counters().contains_key("ListenOverflows"));
    }
}
