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
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Glance's member quota in the test cloud: small, so the quota test stays quick.
pub const MEMBER_QUOTA: u32 = 10;

static CLOUD: OnceLock<DevCloud> = OnceLock::new();

/// Tests that stop or freeze a service take this exclusively; all others share it.
static SERVICES: RwLock<()> = RwLock::const_new(());

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
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            base: self.base_url.clone(),
            csrf: None,
        }
    }

    /// A client signed in as a seeded user (password from the seed), scoped to `project`.
    pub async fn sign_in(&self, user: &str, project: &str) -> Client {
        let mut client = self.client();
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
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            req = req.header(json::CSRF_HEADER, csrf);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("glimpse answers");
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
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

/// A fresh PostgreSQL schema on this machine's server, for an app's activity log; returns
/// the URL to use and the schema (drop it with `drop_schema`).
pub async fn postgres_schema() -> (String, String) {
    use sqlx::Connection;
    let base = std::env::var("GLIMPSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let schema = format!("glimpse_e2e_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    (
        format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

pub async fn drop_schema(schema: &str) {
    use sqlx::Connection;
    let base = std::env::var("GLIMPSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL");
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
}

/// Runs a dev-cloud service action off the async runtime.
pub async fn service(action: fn(&DevCloud, &Service) -> anyhow::Result<()>, which: Service) {
    tokio::task::spawn_blocking(move || action(cloud(), &which))
        .await
        .expect("join")
        .expect("service action");
}
