//! `cargo xtask bench audit`: how fast is Glimpse's access audit, next to the same member
//! lists fetched raw (same concurrency), a sequential loop (what an openstacksdk script
//! does), and the `openstack image member list` CLI? With `--browser`, also the audit page in
//! Chromium ([`super::audit_page`]).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use devcloud::{DevCloud, Options};
use futures::StreamExt;
use serde_json::{Value, json};

mod seed;

use super::audit_page::{self, PageTimes};
use super::{Glimpse, median};

const REGION: &str = "RegionOne";
/// Glimpse's default, and what the raw fetch uses too.
const CONCURRENCY: usize = 8;
const PAGE_SIZE: u32 = 500;

pub struct Params {
    pub sizes: Vec<usize>,
    pub runs: usize,
    pub cli_sample: usize,
    /// Times the audit page in Chromium too.
    pub browser: bool,
}

pub fn run(root: &Path, target: &Path, p: &Params) -> Result<()> {
    let binary = super::build_glimpse(root, target)?;
    let assets = if p.browser {
        Some(crate::frontend::build(root, true)?)
    } else {
        None
    };
    let mut reports = Vec::new();
    let mut peak_rss = 0;
    for &size in &p.sizes {
        // One cloud per size, kept between runs: seeding happens once.
        let (report, rss) = measure_size(&binary, assets.as_deref(), target, size, p)?;
        reports.push(report);
        peak_rss = peak_rss.max(rss);
    }
    print_table(&reports, peak_rss);
    Ok(())
}

fn measure_size(
    binary: &Path,
    assets: Option<&Path>,
    target: &Path,
    size: usize,
    p: &Params,
) -> Result<(Report, u64)> {
    let state_dir = target.join(format!("bench-cloud-{size}"));
    eprintln!(
        "xtask: starting the benchmark cloud in {}",
        state_dir.display()
    );
    let cloud = DevCloud::start(Options {
        state_dir: Some(state_dir),
        regions: 1,
        // Two Glance workers: what this 2-core machine can give it.
        glance_processes: 2,
        ..Options::default()
    })?;
    seed::seed(&cloud, size)?;
    let glimpse = Glimpse::start(binary, &cloud.auth_url(), cloud.state_dir(), "warn", assets)?;
    let report =
        tokio::runtime::Runtime::new()?.block_on(measure(&cloud, glimpse.port, size, p))?;
    Ok((report, glimpse.peak_rss_kib()?))
}

struct Report {
    images: usize,
    rows: usize,
    glimpse: Vec<f64>,
    raw: Vec<f64>,
    sequential: Vec<f64>,
    cli_per_image: f64,
    /// The audit's images (the matrix's lines).
    lines: usize,
    page: Option<PageTimes>,
    snapshots: SnapshotTimes,
}

/// Access history at this size: each Glimpse run above kept its audit as a snapshot.
#[derive(Default)]
struct SnapshotTimes {
    /// Mean time to pack and store one (Glimpse's own histogram, from `/metrics`).
    save_ms: f64,
    /// Median time of `GET /audit/changes` between the two newest (load both, compare,
    /// explain, answer).
    diff_ms: f64,
}

async fn measure(cloud: &DevCloud, port: u16, size: usize, p: &Params) -> Result<Report> {
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let jar = reqwest::Client::builder().cookie_store(true).build()?;
    let r = jar
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "alice", "password": "alicepw", "project": "project-a"}))
        .send()
        .await?;
    ensure!(
        r.status().is_success(),
        "sign-in to glimpse: {}",
        r.status()
    );
    let token = cloud.user_token("alice", "project-a")?;
    let glance = cloud
        .glance_url(REGION)
        .context("glance url")?
        .trim_end_matches('/')
        .to_owned();

    let mut report = Report {
        images: size,
        rows: 0,
        glimpse: Vec::new(),
        raw: Vec::new(),
        sequential: Vec::new(),
        cli_per_image: 0.0,
        lines: 0,
        page: None,
        snapshots: SnapshotTimes::default(),
    };
    eprintln!(
        "xtask: measuring with {size} images ({} runs each)…",
        p.runs
    );
    for _ in 0..p.runs {
        let t = Instant::now();
        let body: Value = jar
            .get(format!(
                "{base}/api/v1/audit/access?format=json&region={REGION}"
            ))
            .send()
            .await?
            .json()
            .await?;
        report.glimpse.push(t.elapsed().as_secs_f64());
        let rows = body["rows"].as_array().map_or(&[][..], Vec::as_slice);
        report.rows = rows.len();
        report.lines = rows
            .iter()
            .filter_map(|r| r["image_id"].as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        ensure!(
            body["failures"].as_array().is_some_and(Vec::is_empty),
            "the audit reported failures: {}",
            body["failures"]
        );

        let t = Instant::now();
        let ids = owned_shared_images(&http, &glance, &token).await?;
        let lists = futures::stream::iter(ids.iter())
            .map(|id| member_list(&http, &glance, &token, id))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        report.raw.push(t.elapsed().as_secs_f64());
        let raw_rows: usize = lists.into_iter().collect::<Result<Vec<_>>>()?.iter().sum();
        ensure!(raw_rows >= size * 3, "raw fetch saw {raw_rows} members");
    }
    report.snapshots = snapshot_times(&jar, &base).await?;
    // The sequential loop is slow: fewer runs at the large size.
    for _ in 0..if size > 500 { 1 } else { p.runs.min(3) } {
        let t = Instant::now();
        let ids = owned_shared_images(&http, &glance, &token).await?;
        for id in &ids {
            member_list(&http, &glance, &token, id).await?;
        }
        report.sequential.push(t.elapsed().as_secs_f64());
    }
    report.cli_per_image = cli_per_image(cloud, &glance, &http, &token, p.cli_sample).await?;
    eprintln!(
        "xtask: {size} images: glimpse {:.3} s, raw {:.3} s (medians)",
        median(&report.glimpse),
        median(&report.raw)
    );
    if p.browser {
        eprintln!("xtask: the audit page in Chromium…");
        report.page = Some(audit_page::measure(&base, REGION, report.lines).await?);
    }
    Ok(report)
}

async fn snapshot_times(jar: &reqwest::Client, base: &str) -> Result<SnapshotTimes> {
    let metrics = jar
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .with_context(|| format!("{name} in /metrics"))
    };
    let save_ms = value("glimpse_audit_snapshot_save_seconds_sum")? * 1000.0
        / value("glimpse_audit_snapshot_save_seconds_count")?;
    let snapshots = async || -> Result<Vec<i64>> {
        let list: Value = jar
            .get(format!("{base}/api/v1/audit/snapshots"))
            .send()
            .await?
            .json()
            .await?;
        Ok(list["snapshots"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s["id"].as_i64()).collect())
            .unwrap_or_default())
    };
    let mut ids = snapshots().await?;
    if ids.len() < 2 {
        // One run kept one snapshot: one more audit for a second.
        jar.get(format!(
            "{base}/api/v1/audit/access?format=json&region={REGION}"
        ))
        .send()
        .await?
        .bytes()
        .await?;
        ids = snapshots().await?;
    }
    let [to, from, ..] = ids[..] else {
        bail!("two snapshots to compare, not {ids:?}");
    };
    let mut diffs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = jar
            .get(format!("{base}/api/v1/audit/changes?from={from}&to={to}"))
            .send()
            .await?;
        ensure!(r.status().is_success(), "changes: {}", r.status());
        r.bytes().await?;
        diffs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(SnapshotTimes {
        save_ms,
        diff_ms: median(&diffs),
    })
}

async fn owned_shared_images(
    http: &reqwest::Client,
    glance: &str,
    token: &str,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut marker = String::new();
    loop {
        let page: Value = http
            .get(format!(
                "{glance}/v2/images?visibility=shared&limit={PAGE_SIZE}{marker}"
            ))
            .header("X-Auth-Token", token)
            .send()
            .await?
            .json()
            .await?;
        let images = page["images"].as_array().cloned().unwrap_or_default();
        ids.extend(
            images
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned)),
        );
        match (page.get("next"), images.last()) {
            (Some(_), Some(last)) => {
                marker = format!("&marker={}", last["id"].as_str().unwrap_or_default())
            }
            _ => return Ok(ids),
        }
    }
}

async fn member_list(http: &reqwest::Client, glance: &str, token: &str, id: &str) -> Result<usize> {
    let r = http
        .get(format!("{glance}/v2/images/{id}/members"))
        .header("X-Auth-Token", token)
        .send()
        .await?;
    ensure!(r.status().is_success(), "member list: {}", r.status());
    let body: Value = r.json().await?;
    Ok(body["members"].as_array().map_or(0, Vec::len))
}

/// Seconds per `openstack image member list`, over a sample of images.
async fn cli_per_image(
    cloud: &DevCloud,
    glance: &str,
    http: &reqwest::Client,
    token: &str,
    sample: usize,
) -> Result<f64> {
    let ids = owned_shared_images(http, glance, token).await?;
    let openstack = cloud.venv().join("bin/openstack");
    let t = Instant::now();
    for id in ids.iter().take(sample) {
        let out = Command::new(&openstack)
            .args(["--os-cloud", "alice-a", "image", "member", "list", id])
            .env("OS_CLIENT_CONFIG_FILE", cloud.clouds_yaml_path())
            .output()
            .context("running the openstack CLI")?;
        if !out.status.success() {
            bail!(
                "openstack image member list failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    Ok(t.elapsed().as_secs_f64() / sample.max(1) as f64)
}

fn print_table(reports: &[Report], peak_rss_kib: u64) {
    println!();
    println!(
        "Access audit benchmark: 1 region, images each shared with 3 projects, concurrency {CONCURRENCY}"
    );
    println!(
        "{:>7} {:>6} | {:>12} {:>12} {:>12} {:>14} | {:>9} {:>10} {:>10}",
        "images",
        "rows",
        "glimpse (s)",
        "raw conc (s)",
        "sequential",
        "CLI extrap (s)",
        "gl / raw",
        "seq / gl",
        "CLI / gl"
    );
    for r in reports {
        let (g, raw, seq) = (median(&r.glimpse), median(&r.raw), median(&r.sequential));
        let cli = r.cli_per_image * r.images as f64;
        println!(
            "{:>7} {:>6} | {:>12.3} {:>12.3} {:>12.3} {:>14.1} | {:>8.2}x {:>9.1}x {:>9.0}x",
            r.images,
            r.rows,
            g,
            raw,
            seq,
            cli,
            g / raw,
            seq / g,
            cli / g
        );
    }
    println!(
        "medians of the runs; CLI: `openstack image member list` per image, times the image count"
    );
    println!(
        "glimpse peak RSS (VmHWM): {:.1} MiB",
        peak_rss_kib as f64 / 1024.0
    );
    for r in reports {
        println!(
            "snapshots of {} rows: saved in {:.0} ms (mean), compared (GET /audit/changes) in {:.0} ms (median of 3)",
            r.rows, r.snapshots.save_ms, r.snapshots.diff_ms
        );
    }
    for r in reports {
        if let Some(page) = &r.page {
            println!(
                "audit page, {} lines of {} ({} rows), ms from navigation: first rows {:.0}, whole matrix {:.0}; \
                 longest main-thread block {:.0} ms; jump to the last line {:.0} ms; a line {:.1} px high",
                page.lines,
                page.expected_lines,
                r.rows,
                page.first_rows,
                page.complete,
                page.longest_block,
                page.jump_to_end,
                page.line_px
            );
            if let Some(failures) = &page.failures {
                println!("  the page reported: {}", failures.replace('\n', " "));
            }
        }
    }
}
