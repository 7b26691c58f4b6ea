//! One file is the whole product: the `glimpse` binary built with the `embed-ui` feature
//! serves the UI from inside itself (no `assets_dir`), at the root or under a `base_path`, and
//! answers its container health check (`glimpse healthcheck`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::harness::{assets_dir, cargo_build_glimpse, cloud, services_up};

/// `glimpse` built with the `embed-ui` feature, embedding the built UI.
fn embedded_binary() -> std::path::PathBuf {
    let web = assets_dir();
    assert!(
        web.join("index.html").is_file(),
        "the UI is not built in {}: `cargo xtask build-ui`",
        web.display()
    );
    cargo_build_glimpse(&["embed-ui"], &[("GLIMPSE_WEB_DIR", &web)])
}

#[tokio::test]
async fn the_binary_with_the_ui_inside_serves_it_and_answers_its_health_check() {
    let _up = services_up().await;
    let binary = tokio::task::spawn_blocking(embedded_binary)
        .await
        .expect("build");
    let data = tempfile::tempdir().expect("temp dir");
    let (mut child, base) = serve(&binary, data.path(), "");

    let http = reqwest::Client::new();
    let index = http.get(format!("{base}/images")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    let html = index.text().await.unwrap();
    assert!(html.contains("Loading Glimpse"), "{html}");
    // Every asset the page names, gzipped as the build made it.
    let assets: Vec<String> = html
        .split("\"/assets/")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect();
    assert!(assets.len() >= 3, "{assets:?}");
    for asset in &assets {
        let r = http
            .get(format!("{base}/assets/{asset}"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_eq!(r.headers()["content-encoding"], "gzip", "{asset}");
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }
    let missing = http
        .get(format!("{base}/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let health = |url: String| {
        Command::new(&binary)
            .args(["healthcheck", "--url", &url])
            .status()
            .expect("healthcheck runs")
            .success()
    };
    assert!(health(format!("{base}/healthz")));
    child.kill().expect("stop");
    child.wait().expect("reaped");
    assert!(!health(format!("{base}/healthz")), "nobody answers now");

    // The same binary under a base_path: the page names its files under the prefix and they
    // are there; nothing is outside it but the probes, so the container's health check (at
    // the root) still works.
    let (mut child, root) = serve(&binary, data.path(), "/glimpse");
    let page = http
        .get(format!("{root}/glimpse/images"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(!html.contains("\"/assets/"), "{html}");
    let under: Vec<&str> = html
        .split("\"/glimpse/assets/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(under.len(), assets.len(), "{html}");
    for asset in &under {
        let r = http
            .get(format!("{root}/glimpse/assets/{asset}"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_eq!(r.headers()["content-encoding"], "gzip", "{asset}");
    }
    for outside in ["/images".to_owned(), format!("/assets/{}", under[0])] {
        let r = http.get(format!("{root}{outside}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{outside}");
    }
    assert!(health(format!("{root}/healthz")));
    child.kill().expect("stop");
    child.wait().expect("reaped");
}

/// Runs `glimpse serve` on a free port of 127.0.0.1 under `base_path` (`""`: the root), with
/// the UI inside it; the child and its address.
fn serve(binary: &Path, data: &Path, base_path: &str) -> (Child, String) {
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--auth-url",
            &cloud().auth_url(),
        ])
        .current_dir(data)
        .env_remove("GLIMPSE_ASSETS_DIR")
        .env("GLIMPSE_BASE_PATH", base_path)
        .env("GLIMPSE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("glimpse starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let url: String = line[at + "listening on ".len()..]
                    .chars()
                    .take_while(|c| !matches!(c, '"' | ' '))
                    .collect();
                let _ = tx.send(url);
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("glimpse listens");
    (child, base)
}
