//! The test harness: one real dev cloud (Keystone + two Glance regions) per test run, shared
//! by every test, and a fresh Glimpse on a free port per test (`spawn_app`).

use std::sync::OnceLock;
use std::time::Duration;

use devcloud::{DevCloud, Options, Service};
use glimpse::config::Config;
use glimpse::startup::Application;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Glance's member quota in the test cloud: small, so the quota test stays quick.
pub const MEMBER_QUOTA: u32 = 10;

static CLOUD: OnceLock<DevCloud> = OnceLock::new();

/// Tests that stop or freeze a service take this exclusively; all others share it.
static SERVICES: RwLock<()> = RwLock::const_new(());

/// Held by a test that points RegionOne's `internal` image endpoint somewhere of its own.
static INTERNAL_ENDPOINT: Mutex<()> = Mutex::const_new(());

/// The shared dev cloud, started by the first test that needs it.
pub fn cloud() -> &'static DevCloud {
    CLOUD.get_or_init(|| {
        // Started from a plain thread: DevCloud is synchronous and must not block a runtime.
        std::thread::spawn(|| {
            DevCloud::start(Options {
                regions: 2,
                member_quota: MEMBER_QUOTA,
                ..Options::default()
            })
            .expect("the dev cloud starts (see its logs above)")
        })
        .join()
        .expect("dev cloud thread")
    })
}

/// The built web UI: `GLIMPSE_ASSETS_DIR` (set by `cargo xtask test`), else `target/web`.
pub fn assets_dir() -> std::path::PathBuf {
    std::env::var_os("GLIMPSE_ASSETS_DIR")
        .map(Into::into)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
                });
            target.join("web")
        })
}

pub fn project_id(name: &str) -> String {
    cloud().seed().project(name).to_owned()
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

enum Guard {
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

/// A running Glimpse, pointed at the dev cloud.
pub struct TestApp {
    pub base_url: String,
    /// The app's session store, read as the server reads it (for tests of what sessions hold).
    pub sessions: glimpse::session_store::Sessions,
    _guard: Guard,
    /// Holds the app's SQLite activity log.
    _data: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let guard = Guard::Shared(SERVICES.read().await);
    start(configure, guard).await
}

/// Keeps every dev-cloud service up (no exclusive test stops one) while it lives: for a test
/// that runs Glimpse its own way (as a process).
pub struct ServicesUp(#[allow(dead_code)] Guard);

pub async fn services_up() -> ServicesUp {
    ServicesUp(Guard::Shared(SERVICES.read().await))
}

/// For tests that stop, start or freeze a dev-cloud service: no other test runs meanwhile.
pub async fn spawn_app_exclusive(configure: impl FnOnce(&mut Config)) -> TestApp {
    let guard = Guard::Exclusive(SERVICES.write().await);
    start(configure, guard).await
}

async fn start(configure: impl FnOnce(&mut Config), guard: Guard) -> TestApp {
    // `GLIMPSE_LOG=debug cargo test …` shows the server's logs.
    if std::env::var_os("GLIMPSE_LOG").is_some() {
        glimpse::telemetry::init(false);
    }
    let cloud = tokio::task::spawn_blocking(cloud).await.expect("cloud");
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_auth_url(&cloud.auth_url());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.database = format!("sqlite://{}", data.path().join("activity.db").display());
    config.timeout = Duration::from_secs(10);
    config.assets_dir = Some(assets_dir());
    configure(&mut config);
    let app = Application::build(config).await.expect("app builds");
    let base_url = format!("http://{}", app.local_addr());
    let sessions = app.sessions();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base_url,
        sessions,
        _guard: guard,
        _data: data,
    }
}

impl TestApp {
    /// A browser-like client with its own cookie jar, not signed in.
    pub fn client(&self) -> Client {
        client_at(&self.base_url)
    }

    /// A client signed in as a seeded user (password from the seed), scoped to `project`.
    pub async fn sign_in(&self, user: &str, project: &str) -> Client {
        sign_in_at(&self.base_url, user, project).await
    }
}

/// A browser-like client of the Glimpse at `base_url`, not signed in.
pub fn client_at(base_url: &str) -> Client {
    Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client"),
        base: base_url.to_owned(),
        csrf: None,
    }
}

/// A client of the Glimpse at `base_url`, signed in as a seeded user, scoped to `project`.
pub async fn sign_in_at(base_url: &str, user: &str, project: &str) -> Client {
    let mut client = client_at(base_url);
    let password = cloud().seed().user(user).password.clone();
    let resp = client
        .post(
            "/api/v1/session",
            &json!({"username": user, "password": password, "project": project}),
        )
        .await;
    assert_eq!(
        resp.status,
        StatusCode::OK,
        "sign-in of {user}: {}",
        resp.body
    );
    let session: json::Session = resp.json();
    client.csrf = Some(session.csrf_token);
    client
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: unexpected body ({}) {}", self.status, self.body))
    }

    /// Asserts an API error and returns it.
    pub fn error(&self, status: StatusCode, code: &str) -> json::ErrorBody {
        assert_eq!(self.status, status, "body: {}", self.body);
        let err: json::ErrorResponse = self.json();
        assert_eq!(err.error.code.as_str(), code, "body: {}", self.body);
        assert!(!err.error.message.is_empty());
        assert!(
            !err.error.message.contains('<'),
            "no HTML in messages: {}",
            err.error.message
        );
        err.error
    }
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    pub csrf: Option<String>,
}

impl Client {
    /// The same browser (cookies, CSRF token) talking to another Glimpse replica.
    pub fn towards(&self, app: &TestApp) -> Client {
        Client {
            http: self.http.clone(),
            base: app.base_url.clone(),
            csrf: self.csrf.clone(),
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.send_with(method, path, body, &[]).await
    }

    /// [`send`](Self::send) with extra request headers.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let resp = self
            .request(method, path, body, headers)
            .send()
            .await
            .expect("glimpse answers");
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            req = req.header(json::CSRF_HEADER, csrf);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req
    }

    /// A GET whose answer is read as it comes (a stream): dropping it closes the connection.
    pub async fn stream(&self, path: &str) -> reqwest::Response {
        self.request(Method::GET, path, None, &[])
            .send()
            .await
            .expect("glimpse answers")
    }

    /// A request that gives up after `timeout`, as a client going away does.
    pub async fn send_giving_up(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Reply, reqwest::Error> {
        let resp = self
            .request(method, path, Some(body), &[])
            .timeout(timeout)
            .send()
            .await?;
        Ok(Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await?,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &impl Serialize) -> Reply {
        let body = serde_json::to_value(body).expect("json");
        self.send(Method::POST, path, Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: &impl Serialize) -> Reply {
        let body = serde_json::to_value(body).expect("json");
        self.send(Method::PUT, path, Some(&body)).await
    }

    pub async fn patch(&self, path: &str, body: &impl Serialize) -> Reply {
        let body = serde_json::to_value(body).expect("json");
        self.send(Method::PATCH, path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn session(&self) -> json::Session {
        let r = self.get("/api/v1/session").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }

    pub async fn images(&self, query: &str) -> Vec<json::Image> {
        let r = self.get(&format!("/api/v1/images?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json::<json::ImageList>().images
    }

    /// The activity log's events on `image`, newest first.
    pub async fn events(&self, image: &str) -> Vec<json::ActivityEvent> {
        let r = self
            .get(&format!("/api/v1/audit/events?image={image}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json::<json::EventList>().events
    }

    pub async fn members(&self, image: &str, region: &str) -> Vec<json::Member> {
        let r = self
            .get(&format!("/api/v1/images/{image}/members?region={region}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json::<json::MemberList>().members
    }
}

// ------------------------------------------------------------------ the truth, from Glance

/// Talks to Keystone and Glance directly, to set up and to check the real state.
pub struct OpenStack;

impl OpenStack {
    pub async fn token(user: &str, project: &str) -> String {
        let user = user.to_owned();
        let project = project.to_owned();
        tokio::task::spawn_blocking(move || {
            let cloud = cloud();
            let password = cloud.seed().user(&user).password.clone();
            cloud.token(&user, &password, &project)
        })
        .await
        .expect("join")
        .expect("token")
    }

    pub async fn admin() -> String {
        Self::token("admin", "admin").await
    }

    /// A raw Glance call; returns status and JSON (Null when empty).
    pub async fn glance(
        region: &str,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!(
            "{}{path}",
            cloud()
                .glance_url(region)
                .expect("region")
                .trim_end_matches('/')
        );
        let mut req = reqwest::Client::new()
            .request(method.clone(), url)
            .header("X-Auth-Token", token);
        if let Some(body) = body {
            req = if method == Method::PATCH {
                req.header(
                    "Content-Type",
                    "application/openstack-images-v2.1-json-patch",
                )
                .body(body.to_string())
            } else {
                req.json(&body)
            };
        }
        let resp = req.send().await.expect("glance answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates an image owned by `user`'s `project`; returns its id.
    pub async fn image(
        region: &str,
        user: &str,
        project: &str,
        name: &str,
        visibility: &str,
    ) -> String {
        let token = Self::token(user, project).await;
        let (status, image) = Self::glance(
            region,
            &token,
            Method::POST,
            "/v2/images",
            Some(json!({"name": name, "visibility": visibility,
                        "disk_format": "raw", "container_format": "bare"})),
        )
        .await;
        assert_eq!(status, 201, "create image: {image}");
        image["id"].as_str().expect("id").to_owned()
    }

    /// `count` new shared images of alice's project-a in RegionOne, named `{prefix}-…-{i}`.
    pub async fn shared_images_of_project_a(prefix: &str, count: usize) -> Vec<String> {
        let tag = unique(prefix);
        let mut images = Vec::with_capacity(count);
        for i in 0..count {
            let name = format!("{tag}-{i}");
            images.push(Self::image("RegionOne", "alice", "project-a", &name, "shared").await);
        }
        images
    }

    /// Shares an image owned by `owner` with `member`, optionally deciding as `decider`.
    pub async fn share(region: &str, image: &str, owner: (&str, &str), member: &str) {
        let token = Self::token(owner.0, owner.1).await;
        let (status, body) = Self::glance(
            region,
            &token,
            Method::POST,
            &format!("/v2/images/{image}/members"),
            Some(json!({"member": project_id(member)})),
        )
        .await;
        assert_eq!(status, 200, "share: {body}");
    }

    /// The member list as Glance holds it (seen by admin): (member id, status).
    pub async fn members(region: &str, image: &str) -> Vec<(String, String)> {
        let (status, body) = Self::glance(
            region,
            &Self::admin().await,
            Method::GET,
            &format!("/v2/images/{image}/members"),
            None,
        )
        .await;
        if status == 403 {
            return Vec::new(); // not shared: no members to list
        }
        assert_eq!(status, 200, "members: {body}");
        let mut members: Vec<(String, String)> = body["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| {
                (
                    m["member_id"].as_str().unwrap_or_default().to_owned(),
                    m["status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        members.sort();
        members
    }

    /// A raw Keystone v3 call as admin; returns status and JSON (Null when empty).
    pub async fn keystone(method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", cloud().keystone_url().trim_end_matches('/'));
        let mut req = reqwest::Client::new()
            .request(method, url)
            .header("X-Auth-Token", Self::admin().await);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("keystone answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A new application credential of the admin user (admin role on project admin), as
    /// an operator would give Glimpse to reconcile: (id, secret).
    pub async fn admin_application_credential() -> (String, String) {
        let admin = cloud().seed().user("admin").id.clone();
        let (status, body) = Self::keystone(
            Method::POST,
            &format!("/users/{admin}/application_credentials"),
            Some(json!({"application_credential": {"name": unique("glimpse-reconcile")}})),
        )
        .await;
        assert_eq!(status, 201, "application credential: {body}");
        let credential = &body["application_credential"];
        (
            credential["id"].as_str().expect("id").to_owned(),
            credential["secret"].as_str().expect("secret").to_owned(),
        )
    }

    /// The image as Glance holds it (seen by admin).
    pub async fn image_state(region: &str, image: &str) -> Value {
        let (status, body) = Self::glance(
            region,
            &Self::admin().await,
            Method::GET,
            &format!("/v2/images/{image}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "image: {body}");
        body
    }
}

/// Runs a dev-cloud service action off the async runtime.
pub async fn service(action: fn(&DevCloud, &Service) -> anyhow::Result<()>, which: Service) {
    tokio::task::spawn_blocking(move || action(cloud(), &which))
        .await
        .expect("join")
        .expect("service action");
}

/// RegionOne's `internal` image endpoint, pointed at a server of the test's own (a counting
/// proxy, a fake Glance) for as long as this lives. Only Glimpses configured with
/// `interface = "internal"` use it, so other tests never see it.
pub struct InternalEndpoint {
    _lock: MutexGuard<'static, ()>,
}

impl InternalEndpoint {
    pub async fn point_at(url: &str) -> InternalEndpoint {
        let lock = INTERNAL_ENDPOINT.lock().await;
        let (status, services) =
            OpenStack::keystone(Method::GET, "/services?type=image", None).await;
        assert_eq!(status, 200, "{services}");
        let service = services["services"][0]["id"]
            .as_str()
            .expect("image service");
        let (status, endpoints) = OpenStack::keystone(
            Method::GET,
            &format!("/endpoints?service_id={service}&interface=internal&region_id=RegionOne"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{endpoints}");
        let endpoint = endpoints["endpoints"][0]["id"]
            .as_str()
            .expect("internal endpoint");
        let (status, body) = OpenStack::keystone(
            Method::PATCH,
            &format!("/endpoints/{endpoint}"),
            Some(json!({"endpoint": {"url": url}})),
        )
        .await;
        assert_eq!(status, 200, "repoint the internal endpoint: {body}");
        InternalEndpoint { _lock: lock }
    }
}

/// A Glimpse config that reaches RegionOne's Glance through the `internal` endpoint only.
pub fn through_internal_endpoint(config: &mut Config) {
    config.interface = "internal".into();
    config.regions = vec!["RegionOne".into()];
}

/// The `glimpse` binary, built (if it is not up to date) by cargo the way the suite is.
pub fn glimpse_binary() -> std::path::PathBuf {
    static BINARY: OnceLock<std::path::PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| cargo_build_glimpse(&[], &[])).clone()
}

/// Builds the `glimpse` executable with `features` (if it is not up to date) and says where it
/// is, sharing what the suite's own `cargo test --workspace` compiled:
/// - the same build: `cargo build -p glimpse` alone resolves other features (the workspace's
///   dev-dependencies widen some) and would compile the whole dependency tree again; every
///   library (the UI's native build makes `syn` and `proc-macro2` ordinary ones) and a test
///   target (`devcloud`, which does not depend on Glimpse) make cargo see the same build;
/// - without the variables cargo gave this test process about its crate ([`devcloud::cargo`]).
pub fn cargo_build_glimpse(
    features: &[&str],
    env: &[(&str, &std::path::Path)],
) -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let features: Vec<String> = features.iter().map(|f| format!("glimpse/{f}")).collect();
    let mut command = devcloud::cargo();
    command
        .current_dir(workspace)
        .args(["build", "--workspace", "--lib", "--bin", "glimpse"])
        .args(["--test", "devcloud", "--message-format=json"])
        .args(if features.is_empty() {
            vec![]
        } else {
            vec!["--features".to_owned(), features.join(",")]
        })
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::inherit());
    let out = command.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build of glimpse {features:?} failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["target"]["name"] == "glimpse" && m["target"]["kind"][0] == "bin")
        .find_map(|m| m["executable"].as_str().map(std::path::PathBuf::from))
        .expect("cargo names the glimpse executable")
}
