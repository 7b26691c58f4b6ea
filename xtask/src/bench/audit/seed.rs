//! The audit benchmark's cloud: project-a's shared images, made once and kept.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use devcloud::{DevCloud, ImageOptions};

use super::REGION;

/// Makes sure project-a owns `size` benchmark images, each shared with 3 projects.
pub(super) fn seed(cloud: &DevCloud, size: usize) -> Result<()> {
    let token = cloud.user_token("alice", "project-a")?;
    let mut have = count_bench_images(cloud, &token)?;
    if have >= size {
        return Ok(());
    }
    let seed = cloud.seed();
    let members = [
        seed.project("project-b"),
        seed.project("project-c"),
        seed.project("admin"),
    ];
    eprintln!(
        "xtask: seeding {} images shared with 3 projects each…",
        size - have
    );
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(have);
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if n >= size {
                            return Ok(());
                        }
                        let id = retry(|| {
                            cloud.create_image(
                                REGION,
                                &token,
                                &format!("bench-{n:05}"),
                                &ImageOptions {
                                    visibility: Some("shared"),
                                    ..ImageOptions::default()
                                },
                            )
                        })?;
                        for member in members {
                            retry(|| crate::bench::add_member(cloud, REGION, &token, &id, member))?;
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("seeding thread panicked"))??;
        }
        Ok(())
    })?;
    have = count_bench_images(cloud, &token)?;
    eprintln!(
        "xtask: {have} benchmark images ready ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn count_bench_images(cloud: &DevCloud, token: &str) -> Result<usize> {
    let mut count = 0;
    let mut marker = String::new();
    loop {
        let (status, page) = cloud.glance_request(
            REGION,
            token,
            "GET",
            &format!("/v2/images?visibility=shared&limit=1000{marker}"),
            None,
        )?;
        ensure!(status == 200, "listing images: {page}");
        let images = page["images"].as_array().cloned().unwrap_or_default();
        count += images
            .iter()
            .filter(|i| i["name"].as_str().is_some_and(|n| n.starts_with("bench-")))
            .count();
        match (page.get("next"), images.last()) {
            (Some(_), Some(last)) => {
                marker = format!("&marker={}", last["id"].as_str().unwrap_or_default())
            }
            _ => return Ok(count),
        }
    }
}

/// SQLite under concurrent writers sometimes refuses one: try again.
fn retry<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut last = None;
    for attempt in 0..5 {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) => {
                last = Some(e);
                std::thread::sleep(Duration::from_millis(100 * (attempt + 1)));
            }
        }
    }
    Err(last.expect("an error"))
}
