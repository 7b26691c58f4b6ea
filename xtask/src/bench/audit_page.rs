//! The access audit page in a real browser (`cargo xtask bench audit --browser`): how long
//! until the first rows of the matrix are drawn, until the whole audit is in it, the longest
//! time the page could not answer a click while it filled (Chrome's long tasks), and how long
//! a jump to the last line takes.
//!
//! WebDriver is spoken here over plain HTTP (a few W3C commands): the test suite's fantoccini
//! is a dependency of the tests, not of xtask, and four requests do not call for it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

/// What the browser measured, in milliseconds from the page's navigation start.
pub struct PageTimes {
    pub first_rows: f64,
    pub complete: f64,
    pub longest_block: f64,
    pub jump_to_end: f64,
    /// Lines drawn in the matrix, and those the API's audit had.
    pub lines: u64,
    pub expected_lines: u64,
    /// What the page said went wrong, if anything.
    pub failures: Option<String>,
    /// A drawn line's height in pixels: what matrix.rs counts on (LINE_PX).
    pub line_px: f64,
}

/// Signs alice in from the page and opens the audit of `region`, then times it.
pub async fn measure(base: &str, region: &str, images: usize) -> Result<PageTimes> {
    let driver = Driver::start().await?;
    let result = driver.audit_page(base, region, images).await;
    driver.quit().await;
    result
}

struct Driver {
    http: reqwest::Client,
    child: Child,
    session: String,
    url: String,
}

impl Driver {
    async fn start() -> Result<Driver> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (apt-get install chromium chromium-driver)")?;
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        let mut driver = Driver {
            http,
            child,
            session: String::new(),
            url,
        };
        let started = Instant::now();
        while driver
            .http
            .get(format!("{}/status", driver.url))
            .send()
            .await
            .is_err()
        {
            ensure!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("glimpse-bench-chromium-{port}"));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en",
                         format!("--user-data-dir={}", profile.display())],
            },
        }}});
        let answer = driver.command("POST", "/session", caps).await?;
        driver.session = answer["sessionId"]
            .as_str()
            .context("no WebDriver session id")?
            .to_owned();
        Ok(driver)
    }

    async fn command(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "POST" => self.http.post(url).json(&body),
            "DELETE" => self.http.delete(url),
            _ => self.http.get(url),
        };
        let answer: Value = request.send().await?.json().await?;
        if let Some(error) = answer["value"].get("error") {
            bail!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    async fn js(&self, script: &str, args: Value) -> Result<Value> {
        let path = format!("/session/{}/execute/sync", self.session);
        self.command("POST", &path, json!({"script": script, "args": args}))
            .await
    }

    async fn js_async(&self, script: &str, args: Value) -> Result<Value> {
        let path = format!("/session/{}/execute/async", self.session);
        self.command("POST", &path, json!({"script": script, "args": args}))
            .await
    }

    async fn go(&self, url: &str) -> Result<()> {
        let path = format!("/session/{}/url", self.session);
        self.command("POST", &path, json!({ "url": url })).await?;
        Ok(())
    }

    /// Polls `script` every 20 ms until it returns something other than null.
    async fn until(&self, what: &str, script: &str, limit: Duration) -> Result<Value> {
        let started = Instant::now();
        loop {
            let v = self.js(script, json!([])).await?;
            if !v.is_null() {
                return Ok(v);
            }
            ensure!(started.elapsed() < limit, "waited {limit:?} for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn audit_page(&self, base: &str, region: &str, images: usize) -> Result<PageTimes> {
        self.go(base).await?;
        let signed_in = self
            .js_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch('/api/v1/session', {method: 'POST', credentials: 'same-origin', \
                   headers: {'Content-Type': 'application/json'}, \
                   body: JSON.stringify({username: 'alice', password: 'alicepw', project: 'project-a'})}) \
                   .then((r) => done(r.status), () => done(0));",
                json!([]),
            )
            .await?;
        ensure!(
            signed_in == json!(200),
            "sign-in from the page: {signed_in}"
        );
        self.go(&format!("{base}/audit?region={region}")).await?;
        // Long tasks are buffered from the navigation on: the observer sees them all.
        self.js(
            "window.__longest = 0; \
             new PerformanceObserver((list) => { for (const e of list.getEntries()) \
               window.__longest = Math.max(window.__longest, e.duration); }) \
               .observe({type: 'longtask', buffered: true});",
            json!([]),
        )
        .await?;
        let limit = Duration::from_secs(600);
        let first_rows = self
            .until(
                "the first rows",
                "return document.querySelector('#access-matrix tbody tr:not(.spacer)') \
                   ? performance.now() : null;",
                limit,
            )
            .await?;
        // The audit has ended (completely or not) and the matrix holds what it found.
        let complete = self
            .until(
                "the audit to end",
                "const p = document.querySelector('.audit-progress progress'); \
                 const said = document.querySelector('.audit-progress [role=status]').textContent; \
                 if (document.querySelector('.error-note')) return -1; \
                 return p && p.value === p.max && said === 'Audit complete.' \
                   ? performance.now() : null;",
                limit,
            )
            .await?;
        ensure!(
            complete != json!(-1),
            "the audit page shows an error: {}",
            self.js(
                "return document.querySelector('.error-note').innerText;",
                json!([])
            )
            .await?
        );
        let drawn = self
            .js(
                "return [document.getElementById('access-matrix').getAttribute('aria-rowcount'), \
                   document.querySelector('.warnings:not(.hidden)')?.innerText ?? null];",
                json!([]),
            )
            .await?;
        let jump = self
            .js_async(
                "const done = arguments[arguments.length - 1]; \
                 const area = document.querySelector('.matrix-scroll'); \
                 const last = document.getElementById('access-matrix').getAttribute('aria-rowcount'); \
                 const t0 = performance.now(); \
                 area.scrollTop = area.scrollHeight; \
                 (function check() { \
                   if (document.querySelector(`#access-matrix tr[aria-rowindex=\"${last}\"]`)) \
                     requestAnimationFrame(() => done(performance.now() - t0)); \
                   else requestAnimationFrame(check); })();",
                json!([]),
            )
            .await?;
        let longest = self.js("return window.__longest;", json!([])).await?;
        let line_px = self
            .js(
                "return document.querySelector('#access-matrix tbody tr:not(.spacer)') \
                   .getBoundingClientRect().height;",
                json!([]),
            )
            .await?;
        Ok(PageTimes {
            first_rows: first_rows.as_f64().unwrap_or(f64::NAN),
            complete: complete.as_f64().unwrap_or(f64::NAN),
            longest_block: longest.as_f64().unwrap_or(f64::NAN),
            jump_to_end: jump.as_f64().unwrap_or(f64::NAN),
            lines: drawn[0]
                .as_str()
                .and_then(|n| n.parse::<u64>().ok())
                .map_or(0, |n| n.saturating_sub(1)),
            expected_lines: images as u64,
            failures: drawn[1].as_str().map(str::to_owned),
            line_px: line_px.as_f64().unwrap_or(f64::NAN),
        })
    }

    async fn quit(mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self.command("DELETE", &path, Value::Null).await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
