//! `cargo xtask bench copy`: an image (1 GiB by default) copied RegionOne → RegionTwo
//! streamed through Glimpse (`method: stream`), against the same bytes piped raw (download →
//! upload with the same user's token, no Glimpse) in the same run, alternated; prints the
//! throughput of each, their ratio, and Glimpse's peak RSS. Asserts nothing about time.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use devcloud::{DevCloud, Options};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Glimpse, median};

const SOURCE: &str = "RegionOne";
const TARGET: &str = "RegionTwo";

pub struct Params {
    pub mib: u64,
    pub runs: usize,
}

pub fn run(root: &Path, target: &Path, p: &Params) -> Result<()> {
    let binary = super::build_glimpse(root, target)?;
    let state_dir = target.join("bench-cloud-copy");
    eprintln!(
        "xtask: starting the benchmark cloud in {}",
        state_dir.display()
    );
    let cloud = DevCloud::start(Options {
        state_dir: Some(state_dir),
        regions: 2,
        ..Options::default()
    })?;
    let token = cloud.user_token("alice", "project-a")?;
    let size = p.mib << 20;
    eprintln!("xtask: uploading a {} MiB source image to {SOURCE}…", p.mib);
    let (source, _) = cloud.create_large_image(SOURCE, &token, "bench-copy-source", size)?;
    let glimpse = Glimpse::start(&binary, &cloud.auth_url(), cloud.state_dir(), "warn", None)?;
    let idle_rss = glimpse.peak_rss_kib()?;
    let rt = tokio::runtime::Runtime::new()?;
    let (mut through, mut raw) = (Vec::new(), Vec::new());
    for run in 0..p.runs {
        // Alternated, so that neither always runs on a warmer (or fuller) cloud.
        let order = if run % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for via_glimpse in order {
            let password = cloud.seed().user("alice").password.clone();
            let (from, to) = (
                cloud.glance_url(SOURCE).context("source")?.to_owned(),
                cloud.glance_url(TARGET).context("target")?.to_owned(),
            );
            let (seconds, copy) = if via_glimpse {
                rt.block_on(copy_through_glimpse(
                    &glimpse.base_url(),
                    &password,
                    &source,
                ))?
            } else {
                rt.block_on(copy_raw(&from, &to, &token, &source, size))?
            };
            // The copies go, so that the target's disk holds one at a time.
            cloud.glance_request(
                TARGET,
                &token,
                "DELETE",
                &format!("/v2/images/{copy}"),
                None,
            )?;
            let mib_s = p.mib as f64 / seconds;
            eprintln!(
                "xtask: run {}: {} {seconds:.1} s, {mib_s:.1} MiB/s",
                run + 1,
                if via_glimpse { "glimpse" } else { "raw pipe" }
            );
            if via_glimpse { &mut through } else { &mut raw }.push(mib_s);
        }
    }
    let peak = glimpse.peak_rss_kib()?;
    let (g, r) = (median(&through), median(&raw));
    println!(
        "\ncopy of {} MiB {SOURCE} → {TARGET}, {} runs each, alternated (median):",
        p.mib, p.runs
    );
    println!(
        "  streamed through Glimpse: {g:>7.1} MiB/s   (runs: {})",
        list(&through)
    );
    println!(
        "  raw pipe, same token:     {r:>7.1} MiB/s   (runs: {})",
        list(&raw)
    );
    println!(
        "  ratio Glimpse / raw:      {:>7.2}          (target ≥ 0.90)",
        g / r
    );
    println!(
        "  Glimpse peak RSS:         {:>7.1} MiB       (idle {:.1} MiB; target ≤ 64 MiB)",
        peak as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
    Ok(())
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Signs in to Glimpse, copies `source` with `method: stream`, waits for the end. Answers
/// the seconds from asking to the copy's end (target made, data sent, hash checked), and
/// the copy's id.
async fn copy_through_glimpse(base: &str, password: &str, source: &str) -> Result<(f64, String)> {
    let http = reqwest::Client::builder().cookie_store(true).build()?;
    let session: Value = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "alice", "password": password, "project": "project-a"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let csrf = session["csrf_token"]
        .as_str()
        .context("csrf token")?
        .to_owned();
    let started = Instant::now();
    let copy: Value = http
        .post(format!(
            "{base}/api/v1/images/{source}/copies?region={SOURCE}"
        ))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"target_region": TARGET, "method": "stream"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = copy["id"].as_str().context("copy id")?.to_owned();
    let copy = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let copy: Value = http
            .get(format!("{base}/api/v1/copies/{id}"))
            .send()
            .await?
            .json()
            .await?;
        if copy["state"] != "running" {
            break copy;
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    ensure!(copy["state"] == "done", "the copy did not succeed: {copy}");
    let target = copy["target_image_id"].as_str().unwrap_or_default();
    Ok((seconds, target.to_owned()))
}

/// The same copy without Glimpse: a new image in the target, then the source's data piped
/// into it as it arrives. Answers the seconds it took, and the copy's id.
async fn copy_raw(
    from: &str,
    to: &str,
    token: &str,
    source: &str,
    size: u64,
) -> Result<(f64, String)> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let made: Value = http
        .post(format!("{to}/v2/images"))
        .header("X-Auth-Token", token)
        .json(&json!({"name": "bench-copy-raw", "disk_format": "raw", "container_format": "bare"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let target = made["id"].as_str().context("id")?.to_owned();
    let data = http
        .get(format!("{from}/v2/images/{source}/file"))
        .header("X-Auth-Token", token)
        .send()
        .await?
        .error_for_status()?
        .bytes_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other));
    http.put(format!("{to}/v2/images/{target}/file"))
        .header("X-Auth-Token", token)
        .header("Content-Type", "application/octet-stream")
        .header("Content-Length", size)
        .body(reqwest::Body::wrap_stream(data))
        .send()
        .await?
        .error_for_status()?;
    Ok((started.elapsed().as_secs_f64(), target))
}
