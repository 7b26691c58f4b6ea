//! `cargo xtask bench load`: N simulated users, each signed in with its own session, run
//! the portal's real flows through Glimpse for a fixed time; then the same users make
//! the same OpenStack calls straight to Glance for the same time, so that Glance's own
//! ceiling and tail are printed beside Glimpse's. Meanwhile one more user alternates
//! `GET /api/v1/images/{id}` through Glimpse and `GET /v2/images/{id}` straight to
//! Glance: the difference of the medians is Glimpse's own cost per call.

mod flows;
mod probe;
mod stats;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use devcloud::{Database, DevCloud, ImageOptions, Options};
use futures::StreamExt;
use serde_json::{Value, json};

use self::flows::{Kind, User, Via, World};
use self::probe::{Evidence, ProxyOverhead};
use self::stats::{Class, PhaseStats, Sample, ms};
use super::Glimpse;

const REGION: &str = "RegionOne";
/// Images of project-a shared with project-b and project-c (read by everyone).
const CATALOG: usize = 20;
/// Images of project-a offered to project-b, which bob's users accept and reject.
const OFFERED: usize = 10;

pub struct Params {
    pub users: usize,
    pub duration: Duration,
    pub database: Database,
    pub glance_processes: u32,
    pub glance_threads: u32,
    pub keystone_threads: u32,
    /// `GLIMPSE_LOG` of the server, e.g. `warn` or `tower_http=debug`.
    pub glimpse_log: String,
}

pub fn run(root: &Path, target: &Path, p: &Params) -> Result<()> {
    ensure!(p.users >= 1, "at least one user");
    let binary = super::build_glimpse(root, target)?;
    eprintln!(
        "xtask: starting the dev cloud on {} (Glance {} process(es) x {} thread(s), Keystone 1 x {})",
        p.database, p.glance_processes, p.glance_threads, p.keystone_threads
    );
    let cloud = DevCloud::start(Options {
        regions: 1,
        database: p.database,
        glance_processes: p.glance_processes,
        glance_threads: p.glance_threads,
        keystone_threads: p.keystone_threads,
        ..Options::default()
    })?;
    let kinds: Vec<Kind> = (0..p.users).map(Kind::of).collect();
    let owners = kinds.iter().filter(|k| **k == Kind::Owner).count();
    let (world, own_images) = seed(&cloud, owners)?;
    eprintln!("xtask: a token for each direct user…");
    let tokens = tokens(&cloud, &kinds)?;
    let probe_token = cloud.user_token("alice", "project-a")?;
    let glimpse = Glimpse::start(
        &binary,
        &cloud.auth_url(),
        cloud.state_dir(),
        &p.glimpse_log,
        None,
    )?;
    let world = Arc::new(World {
        glimpse: glimpse.base_url(),
        ..world
    });

    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(async {
        eprintln!("xtask: signing in {} users to Glimpse…", p.users);
        let t = Instant::now();
        let (sessions, sign_ins) = sign_in_all(&world, &kinds).await?;
        eprintln!(
            "xtask: signed in in {:.1} s; {} users through Glimpse for {} s…",
            t.elapsed().as_secs_f64(),
            p.users,
            p.duration.as_secs()
        );
        let probe = probe::ProxyProbe::new(&world, &probe_token).await?;
        let idle = probe.idle(&world, Duration::from_secs(10)).await;
        let evidence = Evidence::start(cloud.state_dir());
        let users: Vec<User> = kinds
            .iter()
            .zip(sessions)
            .enumerate()
            .map(|(i, (kind, via))| User::new(*kind, i, via, own_images.get(i).cloned().flatten()))
            .collect();
        let (glimpse_samples, overhead, seconds) =
            phase(&world, users, Some((probe, idle)), p.duration).await;
        let glimpse_evidence = evidence.finish();
        let changes = glimpse_samples
            .iter()
            .filter(|s| {
                s.class == Class::Ok
                    && matches!(s.route, "add member" | "remove member" | "accept/reject")
            })
            .count();
        let log = count_events(&world).await?;

        eprintln!(
            "xtask: the same users straight to Glance for {} s…",
            p.duration.as_secs()
        );
        let evidence = Evidence::start(cloud.state_dir());
        let client = reqwest::Client::builder().build()?;
        let users: Vec<User> = kinds
            .iter()
            .zip(tokens)
            .enumerate()
            .map(|(i, (kind, (token, audit_scopes)))| {
                let via = Via::Direct {
                    client: client.clone(),
                    token,
                    audit_scopes,
                };
                User::new(*kind, i, via, own_images.get(i).cloned().flatten())
            })
            .collect();
        let (direct_samples, _, direct_seconds) = phase(&world, users, None, p.duration).await;
        let direct_evidence = evidence.finish();
        Ok::<_, anyhow::Error>(Report {
            glimpse: PhaseStats::of(&glimpse_samples, seconds),
            direct: PhaseStats::of(&direct_samples, direct_seconds),
            sign_in: PhaseStats::of(&sign_ins, seconds),
            overhead,
            changes,
            log,
            glimpse_evidence,
            direct_evidence,
        })
    })?;
    let panics = std::fs::read_to_string(&glimpse.log)
        .unwrap_or_default()
        .matches("panicked")
        .count();
    let rss = glimpse.peak_rss_kib()?;
    report.print(p, panics, rss);
    Ok(())
}

/// Project-a's images: the catalog (shared with b and c), the offered ones (shared with
/// b), and one for each owner user. Returns the world (without Glimpse's URL) and, per
/// user index, the owner's own image.
fn seed(cloud: &DevCloud, owners: usize) -> Result<(World, Vec<Option<String>>)> {
    let seed = cloud.seed();
    let (a, b, c) = (
        seed.project("project-a").to_string(),
        seed.project("project-b").to_string(),
        seed.project("project-c").to_string(),
    );
    let token = cloud.user_token("alice", "project-a")?;
    eprintln!(
        "xtask: seeding {} images of project-a…",
        CATALOG + OFFERED + owners
    );
    let make = |name: String, members: &[&str]| -> Result<String> {
        let id = cloud.create_image(
            REGION,
            &token,
            &name,
            &ImageOptions {
                visibility: Some("shared"),
                ..ImageOptions::default()
            },
        )?;
        for member in members {
            super::add_member(cloud, REGION, &token, &id, member)?;
        }
        Ok(id)
    };
    let catalog = (0..CATALOG)
        .map(|i| make(format!("load-catalog-{i:02}"), &[&b, &c]))
        .collect::<Result<Vec<_>>>()?;
    let offered = (0..OFFERED)
        .map(|i| make(format!("load-offered-{i:02}"), &[&b]))
        .collect::<Result<Vec<_>>>()?;
    let mut own = Vec::new();
    let mut made = 0;
    for i in 0.. {
        if made == owners {
            break;
        }
        if Kind::of(i) == Kind::Owner {
            own.push(Some(make(format!("load-own-{i:03}"), &[])?));
            made += 1;
        } else {
            own.push(None);
        }
    }
    let world = World {
        glimpse: String::new(),
        glance: cloud.glance_url(REGION).context("glance")?.to_string(),
        region: REGION.into(),
        project_a: a,
        project_b: b,
        project_c: c,
        catalog,
        offered,
        passwords: seed
            .users
            .iter()
            .map(|(name, u)| (name.clone(), u.password.clone()))
            .collect(),
    };
    Ok((world, own))
}

/// A user's token, and its audit's (project id, token) for each project the audit covers.
type Tokens = (String, Vec<(String, String)>);

/// A Keystone token per user (for the direct phase: each its own, as each its session).
fn tokens(cloud: &DevCloud, kinds: &[Kind]) -> Result<Vec<Tokens>> {
    std::thread::scope(|s| {
        let chunks: Vec<_> = kinds
            .chunks(kinds.len().div_ceil(4))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|k| {
                            let (user, project) = k.login();
                            let token = cloud.user_token(user, project)?;
                            let scopes = k
                                .audited()
                                .iter()
                                .map(|p| {
                                    let id = cloud.seed().project(p).to_string();
                                    let scoped = if *p == project {
                                        token.clone()
                                    } else {
                                        cloud.user_token(user, p)?
                                    };
                                    Ok((id, scoped))
                                })
                                .collect::<Result<Vec<_>>>()?;
                            Ok((token, scopes))
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for c in chunks {
            all.extend(c.join().expect("token thread panicked")?);
        }
        Ok(all)
    })
}

/// Signs every user in (16 at a time); returns their sessions and the sign-in samples.
async fn sign_in_all(world: &World, kinds: &[Kind]) -> Result<(Vec<Via>, Vec<Sample>)> {
    let start = Instant::now();
    let results: Vec<Result<(Via, Sample)>> = futures::stream::iter(kinds.iter().copied())
        .map(|kind| async move {
            let t = Instant::now();
            let via = sign_in(world, kind).await?;
            Ok((via, flows::sample("sign in", t, start, Class::Ok)))
        })
        .buffered(16)
        .collect()
        .await;
    let mut sessions = Vec::new();
    let mut samples = Vec::new();
    for r in results {
        let (via, sample) = r?;
        sessions.push(via);
        samples.push(sample);
    }
    Ok((sessions, samples))
}

pub(super) async fn sign_in(world: &World, kind: Kind) -> Result<Via> {
    let (user, project) = kind.login();
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let resp = client
        .post(format!("{}/api/v1/session", world.glimpse))
        .json(&json!({"username": user, "password": world.passwords[user], "project": project}))
        .timeout(flows::REQUEST_TIMEOUT)
        .send()
        .await?;
    ensure!(
        resp.status().is_success(),
        "signing {user} in: {}",
        resp.status()
    );
    let body: Value = resp.json().await?;
    let csrf = body["csrf_token"]
        .as_str()
        .context("no csrf_token")?
        .to_string();
    Ok(Via::Glimpse { client, csrf })
}

/// Runs `users` (and the probe) until `duration` is over; returns the samples, the
/// probe's figures and the phase's length in seconds.
async fn phase(
    world: &Arc<World>,
    users: Vec<User>,
    probe: Option<(probe::ProxyProbe, ProxyOverhead)>,
    duration: Duration,
) -> (Vec<Sample>, Option<ProxyOverhead>, f64) {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = users
        .into_iter()
        .map(|u| {
            let world = world.clone();
            tokio::spawn(async move { u.run(&world, start, deadline).await })
        })
        .collect();
    let probe = probe.map(|(p, idle)| {
        let world = world.clone();
        tokio::spawn(async move { p.run(&world, deadline, idle).await })
    });
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.unwrap_or_default());
    }
    let overhead = match probe {
        Some(p) => p.await.ok(),
        None => None,
    };
    (samples, overhead, start.elapsed().as_secs_f64())
}

/// The activity log's events as the owner's and the member's projects see them.
#[derive(Debug, Default)]
struct LogCount {
    ok: usize,
    unfinished: usize,
    failed: usize,
}

async fn count_events(world: &World) -> Result<LogCount> {
    let mut seen = std::collections::BTreeMap::new();
    for kind in [Kind::Owner, Kind::Member] {
        let Via::Glimpse { client, .. } = sign_in(world, kind).await? else {
            unreachable!()
        };
        let mut before: Option<i64> = None;
        loop {
            let mut url = format!("{}/api/v1/audit/events?limit=1000", world.glimpse);
            if let Some(b) = before {
                url.push_str(&format!("&before={b}"));
            }
            let page: Value = client.get(&url).send().await?.json().await?;
            for e in page["events"].as_array().into_iter().flatten() {
                seen.insert(e["id"].as_i64().unwrap_or_default(), e["outcome"].clone());
            }
            match page["next_before"].as_i64() {
                Some(b) => before = Some(b),
                None => break,
            }
        }
    }
    let mut count = LogCount::default();
    for outcome in seen.values() {
        match outcome.as_str() {
            Some("ok") => count.ok += 1,
            None => count.unfinished += 1,
            Some(_) => count.failed += 1,
        }
    }
    Ok(count)
}

struct Report {
    glimpse: PhaseStats,
    direct: PhaseStats,
    sign_in: PhaseStats,
    overhead: Option<ProxyOverhead>,
    /// Changes that Glimpse answered with success.
    changes: usize,
    log: LogCount,
    glimpse_evidence: probe::Observed,
    direct_evidence: probe::Observed,
}

impl Report {
    fn print(&self, p: &Params, panics: usize, rss_kib: u64) {
        let (g, d) = (&self.glimpse, &self.direct);
        println!();
        println!(
            "Load benchmark: {} users for {} s each way; dev cloud on {}, Glance {} x {}, Keystone 1 x {}",
            p.users,
            p.duration.as_secs(),
            p.database,
            p.glance_processes,
            p.glance_threads,
            p.keystone_threads
        );
        println!(
            "{:<15} | {:^57} | {:^50}",
            "", "through Glimpse", "straight to Glance (same calls)"
        );
        stats::print_routes(g, d);
        println!(
            "requests/s: {:.1} through Glimpse, {:.1} straight to Glance",
            g.rps(),
            d.rps()
        );
        println!(
            "sign-in: {} sessions, p50 {}, p99 {}",
            self.sign_in.total.count,
            ms(self.sign_in.total.p50),
            ms(self.sign_in.total.p99)
        );
        let lost = self.changes.saturating_sub(self.log.ok);
        println!(
            "Glimpse's own errors: {} (5xx other than 502/504: {}, panics: {panics}, lost log entries: {lost} \
             of {} changes; log: {} ok, {} unfinished, {} failed); upstream 502/504: {}",
            g.total.own + panics + lost,
            g.total.own,
            self.changes,
            self.log.ok,
            self.log.unfinished,
            self.log.failed,
            g.total.upstream
        );
        println!(
            "client errors (4xx): {} through Glimpse, {} direct",
            g.total.client, d.total.client
        );
        if let Some(o) = &self.overhead {
            o.print();
        }
        println!(
            "Glimpse peak RSS (VmHWM): {:.1} MiB",
            rss_kib as f64 / 1024.0
        );
        println!("where the time went (service time inside uWSGI, queues, kernel):");
        self.glimpse_evidence.print("through Glimpse");
        self.direct_evidence.print("straight to Glance");
    }
}
