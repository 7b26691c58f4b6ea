//! A real browser for the UI tests: Debian's Chromium, headless, driven through chromedriver
//! with fantoccini. Elements are found the way a person (or a screen reader) finds them: by
//! their accessible name or label, never by CSS classes.
//!
//! When a page does not get where a test waits for it, the failure says why: the URL, what
//! the page shows, the browser console's errors, and a screenshot under
//! `target/artifacts/screenshots/`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a wait for the page lasts (`GLIMPSE_UI_TIMEOUT_SECS` to change it).
fn patience() -> Duration {
    let secs = std::env::var("GLIMPSE_UI_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// UI tests run one at a time: each runs one or two Chromiums, on a 2-core machine, beside
/// the API tests.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Taken by each UI test for its whole length.
pub async fn ui_lock() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// The built web UI the server under test serves (see `harness::assets_dir`). Browser tests
/// fail without it rather than pass untested: `cargo xtask test` builds it.
pub fn require_ui() {
    let dir = crate::harness::assets_dir();
    assert!(
        dir.join("index.html").is_file(),
        "no web UI in {}: build it with `cargo xtask build-ui` (`cargo xtask test` does)",
        dir.display()
    );
}

/// Where screenshots go: `target/artifacts/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("workspace root")
                .join("target")
        });
    target.join("artifacts").join("screenshots")
}

/// One browser: its own chromedriver, its own Chromium profile (cookies, storage).
pub struct Browser {
    pub client: Client,
    base_url: String,
    /// Prefix of screenshot names, e.g. "share-alice".
    name: String,
    /// Held for its `Drop`: chromedriver stops with the browser.
    _driver: Driver,
    driver_port: u16,
    session_id: Option<String>,
    _profile: tempfile::TempDir,
    shots: u32,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium that prefers English (the tests find
    /// elements by their English names); `name` labels its screenshots.
    pub async fn start(base_url: &str, name: &str) -> Browser {
        Browser::start_in(base_url, name, "en-US").await
    }

    /// Like [`Browser::start`], for a person whose browser prefers the language `lang`
    /// (e.g. "de-DE": Chromium's UI language and Accept-Language / `navigator.languages`).
    pub async fn start_in(base_url: &str, name: &str, lang: &str) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: apt-get install chromium chromium-driver"
            );
        }
        let port = free_port();
        let mut driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                panic!("chromedriver did not listen on port {port} within 20 s");
            }
            if let Ok(Some(status)) = driver.0.try_wait() {
                panic!("chromedriver exited: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = tempfile::Builder::new()
            .prefix("glimpse-chromium-")
            .tempdir()
            .expect("profile dir");
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": lang },
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        // Plain HTTP to a local chromedriver: no TLS stack needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => panic!("no browser session: {e}"),
        };
        let session_id = client.session_id().await.ok().flatten();
        Browser {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            name: name.to_owned(),
            _driver: driver,
            driver_port: port,
            session_id,
            _profile: profile,
            shots: 0,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Loads a path of the app and waits until the app has started.
    pub async fn goto(&mut self, path: &str) {
        let url = self.url(path);
        self.client.goto(&url).await.expect("navigate");
        self.wait_started().await;
    }

    /// Reloads the page and waits until the app has started again.
    pub async fn reload(&mut self) {
        self.client.refresh().await.expect("reload");
        self.wait_started().await;
    }

    /// Waits until the wasm app replaced its "Loading Glimpse…" placeholder.
    pub async fn wait_started(&mut self) {
        self.wait_until("the app to start", |c| async move {
            let started = js(
                &c,
                "const app = document.getElementById('app'); \
                 return !!app && !document.getElementById('boot') && app.children.length > 0;",
                vec![],
            )
            .await;
            started.as_bool().unwrap_or(false).then_some(())
        })
        .await
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        js(&self.client, script, args).await
    }

    /// Polls `probe` until it returns Some, or fails the test with what the page shows.
    pub async fn wait_until<T, F, Fut>(&mut self, what: &str, mut probe: F) -> T
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + patience();
        loop {
            if let Some(v) = probe(self.client.clone()).await {
                return v;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails the test, saying what the page shows and what the console said.
    pub async fn fail(&mut self, why: &str) -> ! {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let shot = self.screenshot("failure").await;
        let errors = self.console_errors().await;
        panic!(
            "[{}] {why}\n  at {url}\n  screenshot: {}\n  console errors: {errors:#?}\n  page text:\n{}",
            self.name,
            shot.display(),
            indent(&text)
        );
    }

    /// Saves a PNG of the window to `target/artifacts/screenshots/<name>-<n>-<step>.png`.
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        self.shots += 1;
        let dir = screenshot_dir();
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{}-{:02}-{step}.png", self.name, self.shots));
        match self.client.screenshot().await {
            Ok(png) => {
                let _ = std::fs::write(&path, png);
            }
            Err(e) => eprintln!("screenshot {} failed: {e}", path.display()),
        }
        path
    }

    /// The browser console's warnings and errors since the last call (chromedriver's log).
    pub async fn console_errors(&self) -> Vec<String> {
        match self.client.issue_cmd(GetLog).await {
            Ok(Value::Array(entries)) => entries
                .iter()
                .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
                .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                .collect(),
            Ok(other) => vec![format!("(unexpected log answer: {other})")],
            Err(e) => vec![format!("(no console log: {e})")],
        }
    }

    // ------------------------------------------------------------------ finding elements

    /// Visible elements of `kind` whose accessible name is `name`, inside `within` (or the
    /// page; an open modal dialog when there is one). Kinds: button, link, field, tab,
    /// checkbox, dialog, row (a table row, by its text), alert (role=alert, by its text),
    /// any (any element, by its text).
    async fn query(
        &self,
        kind: &str,
        name: &str,
        within: Option<&Element>,
        exact: bool,
    ) -> Vec<Element> {
        query(&self.client, kind, name, within, exact).await
    }

    /// The names of the visible elements of `kind`, to say what there was instead.
    async fn names_of(&self, kind: &str, within: Option<&Element>) -> Vec<String> {
        let scope = within.map(|e| serde_json::to_value(e).expect("element ref"));
        let script = NAMES.replace("ACCNAME", ACCNAME);
        let names = self
            .js(&script, vec![json!(kind), scope.unwrap_or(Value::Null)])
            .await;
        serde_json::from_value(names).unwrap_or_default()
    }

    /// Waits for exactly one visible `kind` named `name` (in `within`) and returns it.
    pub async fn find_in(&mut self, kind: &str, name: &str, within: Option<&Element>) -> Element {
        let deadline = Instant::now() + patience();
        loop {
            let mut found = self.query(kind, name, within, true).await;
            if found.len() == 1 {
                return found.remove(0);
            }
            // Links to the same place (menu and breadcrumb) are one and the same to a person.
            if kind == "link" && found.len() > 1 {
                let mut hrefs = Vec::new();
                for link in &found {
                    hrefs.push(link.attr("href").await.ok().flatten());
                }
                if hrefs.iter().all(|h| *h == hrefs[0]) {
                    return found.remove(0);
                }
            }
            if Instant::now() > deadline {
                let there = self.names_of(kind, within).await;
                let why = if found.is_empty() {
                    format!("no {kind} named {name:?}; there are: {there:?}")
                } else {
                    format!("{} elements of kind {kind} named {name:?}", found.len())
                };
                self.fail(&why).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&mut self, kind: &str, name: &str) -> Element {
        self.find_in(kind, name, None).await
    }

    /// The table row whose text contains `text` (e.g. an image name or project ID).
    pub async fn row(&mut self, text: &str) -> Element {
        let deadline = Instant::now() + patience();
        loop {
            let mut found = self.query("row", text, None, false).await;
            if found.len() == 1 {
                return found.remove(0);
            }
            if Instant::now() > deadline {
                let n = found.len();
                self.fail(&format!("{n} table rows contain {text:?} (wanted one)"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The table row containing `key` once it also shows `also` (e.g. a status).
    pub async fn row_with(&mut self, key: &str, also: &str) -> Element {
        let (key, also) = (key.to_owned(), also.to_owned());
        self.wait_until(&format!("a row with {key:?} showing {also:?}"), |c| {
            let (key, also) = (key.clone(), also.clone());
            async move {
                let rows = query(&c, "row", &key, None, false).await;
                for row in rows {
                    if row.text().await.is_ok_and(|t| t.contains(&also)) {
                        return Some(row);
                    }
                }
                None
            }
        })
        .await
    }

    /// Waits until no table row contains `text`.
    pub async fn no_row(&mut self, text: &str) {
        let text = text.to_owned();
        self.wait_until(&format!("no row with {text:?}"), |c| {
            let text = text.clone();
            async move {
                query(&c, "row", &text, None, false)
                    .await
                    .is_empty()
                    .then_some(())
            }
        })
        .await
    }

    /// Waits until the page (or an open dialog) shows `text` somewhere.
    pub async fn see(&mut self, text: &str) {
        let text = text.to_owned();
        self.wait_until(&format!("the text {text:?}"), |c| {
            let text = text.clone();
            async move {
                let body = js(
                    &c,
                    "return document.body.innerText.replace(/\\s+/g, ' ')",
                    vec![],
                )
                .await;
                body.as_str()
                    .is_some_and(|s| s.contains(&collapse(&text)))
                    .then_some(())
            }
        })
        .await
    }

    /// Waits for an alert (`role=alert`) containing `text`, and returns its whole text.
    pub async fn alert(&mut self, text: &str) -> String {
        let text = text.to_owned();
        self.wait_until(&format!("an alert saying {text:?}"), |c| {
            let text = text.clone();
            async move {
                let found = query(&c, "alert", &text, None, false).await;
                match found.first() {
                    Some(el) => el.text().await.ok(),
                    None => None,
                }
            }
        })
        .await
    }

    /// Waits for the open modal dialog.
    pub async fn dialog(&mut self) -> Element {
        let deadline = Instant::now() + patience();
        loop {
            let mut found = self.query("dialog", "", None, false).await;
            if let Some(d) = found.pop() {
                return d;
            }
            if Instant::now() > deadline {
                self.fail("no open dialog").await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // --------------------------------------------------------------------------- acting

    /// Types `value` into the field labelled `label` (replacing what it held).
    pub async fn fill(&mut self, label: &str, value: &str) {
        let field = self.find("field", label).await;
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type");
    }

    /// Clicks the button named `name` (inside `within`, or the page).
    pub async fn click_in(&mut self, name: &str, within: Option<&Element>) {
        let button = self.find_in("button", name, within).await;
        self.wait_enabled(&button, name).await;
        button.click().await.expect("click");
    }

    pub async fn click(&mut self, name: &str) {
        self.click_in(name, None).await
    }

    /// Follows the link named `name`.
    pub async fn follow(&mut self, name: &str) {
        let link = self.find("link", name).await;
        link.click().await.expect("click link");
    }

    /// Picks the option whose text is `option` in the select labelled `label` (waiting for
    /// the option to be there: some selects fill in as data arrives).
    pub async fn choose(&mut self, label: &str, option: &str) {
        self.choose_in(label, option, None).await
    }

    /// Like [`Browser::choose`], for the select inside `within`.
    pub async fn choose_in(&mut self, label: &str, option: &str, within: Option<&Element>) {
        let select = self.find_in("field", label, within).await;
        let option = option.to_owned();
        self.wait_until(&format!("an option {option:?} in {label:?}"), |_| {
            let (select, option) = (select.clone(), option.clone());
            async move { select.select_by_label(&option).await.ok() }
        })
        .await
    }

    /// Sets the field labelled `label` to `value` as a script would, firing `input` and
    /// `change`: for date and time pickers, whose typing depends on the browser's locale.
    pub async fn set_field(&mut self, label: &str, value: &str) {
        let field = self.find("field", label).await;
        let field = serde_json::to_value(&field).expect("element ref");
        self.js(
            "const [el, value] = arguments; el.focus(); el.value = value; \
             el.dispatchEvent(new Event('input', { bubbles: true })); \
             el.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![field, json!(value)],
        )
        .await;
    }

    async fn wait_enabled(&mut self, el: &Element, name: &str) {
        let el = el.clone();
        self.wait_until(&format!("{name:?} to be enabled"), |_| {
            let el = el.clone();
            async move { el.is_enabled().await.ok().filter(|e| *e).map(|_| ()) }
        })
        .await
    }

    /// Signs in through the sign-in page; waits for the header's "Sign out".
    pub async fn sign_in(&mut self, user: &str, password: &str, project: &str) {
        self.goto("/sign-in").await;
        self.fill("Username", user).await;
        self.fill("Password", password).await;
        self.fill("Project", project).await;
        self.click("Sign in").await;
        self.find("button", "Sign out").await;
    }

    /// Ends the browser session (Chromium exits) and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if client.close().await.is_ok() {
            self.session_id = None;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that panicked did not close its session: end it (and so Chromium) through
        // chromedriver's HTTP API before stopping chromedriver itself.
        if let Some(id) = self.session_id.take() {
            delete_session(self.driver_port, &id);
        }
        // Then `driver` drops: chromedriver stops.
    }
}

/// The chromedriver process, stopped whenever this is dropped (even by a panic in `start`).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn delete_session(port: u16, id: &str) {
    if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let req = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        );
        if s.write_all(req.as_bytes()).is_ok() {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
}

async fn js(client: &Client, script: &str, args: Vec<Value>) -> Value {
    client
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn query(
    client: &Client,
    kind: &str,
    name: &str,
    within: Option<&Element>,
    exact: bool,
) -> Vec<Element> {
    let scope = within.map(|e| serde_json::to_value(e).expect("element ref"));
    let script = FINDER.replace("ACCNAME", ACCNAME);
    let found = js(
        client,
        &script,
        vec![
            json!(kind),
            json!(name),
            scope.unwrap_or(Value::Null),
            json!(exact),
        ],
    )
    .await;
    found
        .as_array()
        .map(|els| {
            els.iter()
                .filter_map(|v| {
                    let id = v.as_object()?.values().next()?.as_str()?.to_owned();
                    Some(Element::from_element_id(client.clone(), id.into()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// chromedriver's log endpoint (not part of W3C WebDriver, so not in fantoccini).
#[derive(Debug)]
struct GetLog;

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The accessible-name finder, run in the page. A close-enough subset of the accname
/// algorithm: aria-labelledby, aria-label, <label for>, wrapping <label>, then text content
/// without aria-hidden parts.
const ACCNAME: &str = r#"
const collapse = (s) => (s || '').replace(/\s+/g, ' ').trim();
const textOf = (el) => {
  if (el.nodeType === 3) return el.textContent;
  if (el.nodeType !== 1) return '';
  if (el.getAttribute('aria-hidden') === 'true') return '';
  if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return '';
  let s = '';
  for (const c of el.childNodes) s += ' ' + textOf(c);
  return s;
};
const nameOf = (el) => {
  const by = el.getAttribute('aria-labelledby');
  if (by) return collapse(by.split(/\s+/).map((id) => { const r = document.getElementById(id); return r ? textOf(r) : ''; }).join(' '));
  const label = el.getAttribute('aria-label');
  if (label) return collapse(label);
  if (el.id && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) {
    const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    if (l) return collapse(textOf(l));
  }
  const wrap = el.closest('label');
  if (wrap && wrap !== el) return collapse(textOf(wrap));
  return collapse(textOf(el));
};
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== 'hidden';
const SELECTORS = {
  button: 'button, [role=button], input[type=submit], input[type=button]',
  link: 'a[href]',
  field: 'input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button]), textarea, select',
  tab: '[role=tab]',
  checkbox: 'input[type=checkbox]',
  dialog: 'dialog[open]',
  row: 'tbody tr',
  alert: '[role=alert]',
  any: 'body *',
};
const candidates = (kind, scope) => {
  let root = scope || document;
  if (!scope && kind !== 'dialog') {
    const modal = document.querySelector('dialog[open]');
    if (modal) root = modal;
  }
  return Array.from(root.querySelectorAll(SELECTORS[kind])).filter(visible);
};
"#;

const FINDER: &str = r#"
const [kind, name, scope, exact] = arguments;
ACCNAME
const want = collapse(name);
return candidates(kind, scope).filter((el) => {
  const n = (kind === 'row' || kind === 'alert' || kind === 'any') ? collapse(el.innerText) : nameOf(el);
  return exact ? n === want : n.includes(want);
});
"#;

const NAMES: &str = r#"
const [kind, scope] = arguments;
ACCNAME
return candidates(kind, scope).map((el) => (kind === 'row' ? collapse(el.innerText) : nameOf(el))).slice(0, 40);
"#;

/// The axe-core script: `$GLIMPSE_AXE_JS` (set by `cargo xtask test`), else where xtask
/// installs it. Accessibility tests fail without it rather than pass unchecked.
fn axe_source() -> String {
    let path = std::env::var_os("GLIMPSE_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(home).join(".cache"));
            cache.join("glimpse/npm-axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}): `cargo xtask test` installs it",
            path.display()
        )
    })
}

/// The rules every page is held to: WCAG 2.1 A and AA, and axe's best practices.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
  .then((r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
  }))))
  .catch((e) => done([{ id: 'axe-error', help: String(e), nodes: [] }]));
"#;

impl Browser {
    /// Runs axe-core on the page as it is now and fails the test on any violation, listing
    /// each with the elements it concerns. The script goes in through WebDriver, which the
    /// page's Content-Security-Policy does not restrict.
    pub async fn assert_accessible(&mut self, page: &str) {
        let loaded = self
            .js("return typeof window.axe === 'object';", vec![])
            .await;
        if loaded != Value::Bool(true) {
            self.js(&axe_source(), vec![]).await;
        }
        let violations = self
            .client
            .execute_async(AXE_RUN, vec![])
            .await
            .expect("axe-core runs");
        let list = violations.as_array().cloned().unwrap_or_default();
        if !list.is_empty() {
            let shot = self.screenshot(&format!("axe-{page}")).await;
            panic!(
                "[{}] axe-core: {} violation(s) on {page} (screenshot {}):\n{}",
                self.name,
                list.len(),
                shot.display(),
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
        }
    }

    /// Values the page can read that could hold a secret: the HTML, both storages, and the
    /// cookies visible to scripts.
    pub async fn readable_state(&self) -> String {
        let v = self
            .js(
                "const dump = (s) => { const o = {}; for (let i = 0; i < s.length; i++) { \
                   const k = s.key(i); o[k] = s.getItem(k); } return JSON.stringify(o); }; \
                 return [document.documentElement.outerHTML, dump(localStorage), \
                         dump(sessionStorage), document.cookie].join('\\n----\\n');",
                vec![],
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }
}
