//! The HTTP surface: one `router()` listing every route, over one file per resource.

mod activity;
mod assets;
mod audit;
mod base_path;
pub mod client_addr;
mod copies;
pub mod error;
mod extract;
mod health;
mod history;
mod images;
mod inbox;
mod members;
pub mod metrics;
mod openapi;
mod session;
mod site;
mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
use tower_http::trace::TraceLayer;

use crate::activity::ActivityLog;
use crate::audit::Running;
use crate::changes::Changes;
use crate::config::Config;
use crate::copies::Copies;
use crate::directory::Directory;
use crate::history::History;
use crate::openstack::glance::{Glance, Memberships};
use crate::openstack::keystone::Keystone;
use crate::session_store::Sessions;
use session::CurrentUser;
use throttle::SignInThrottle;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    /// The one pooled client for every OpenStack call.
    pub http: reqwest::Client,
    pub keystone: Keystone,
    /// Where every change is recorded.
    pub activity: ActivityLog,
    /// Audit snapshots and what changed between them.
    pub history: History,
    /// Names of the projects a user shares with, learned at sign-in.
    pub directory: Directory,
    /// Glance calls in flight across every running audit (`audit_glance_calls`).
    pub audit_glance_calls: Arc<Semaphore>,
    /// Glance calls in flight for the per-image lookups of ordinary requests, across all of
    /// them (`fan_out_glance_calls`): without it, a hundred users opening their inbox at once
    /// would each open `concurrency` connections to Glance, and hold their buffers.
    pub fan_out_glance_calls: Arc<Semaphore>,
    /// The memberships Glance told of lately, so that a reopened inbox asks only for those
    /// whose status changed.
    pub memberships: Memberships,
    /// The sessions running an audit.
    pub running_audits: Running,
    pub sign_in_throttle: SignInThrottle,
    /// Where sessions live (readiness pings it).
    pub sessions: Sessions,
    /// Keystone's last readiness answer, kept a few seconds.
    pub keystone_ready: health::Cached,
    /// The copies to other regions this process runs.
    pub copies: Copies,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: Config,
        http: reqwest::Client,
        activity: ActivityLog,
        sessions: Sessions,
    ) -> anyhow::Result<Self> {
        let keystone = Keystone::new(http.clone(), &config.auth_url)?;
        Ok(Self(Arc::new(Inner {
            audit_glance_calls: Arc::new(Semaphore::new(config.audit_glance_calls)),
            fan_out_glance_calls: Arc::new(Semaphore::new(config.fan_out_glance_calls)),
            memberships: Memberships::default(),
            running_audits: Running::default(),
            sign_in_throttle: SignInThrottle::new(config.sign_in_limits),
            history: History::new(
                activity.clone(),
                config.audit_snapshots_keep,
                Directory::new(activity.clone(), config.project_directory),
            ),
            directory: Directory::new(activity.clone(), config.project_directory),
            copies: Copies::new(
                activity.clone(),
                crate::copies::Settings {
                    per_user: config.copies_per_user,
                    total: config.copies_total,
                    transfer_limit: config.copy_limit,
                    stall_limit: config.timeout,
                    interface: config.interface.clone(),
                    concurrency: config.concurrency,
                },
            ),
            config,
            http,
            keystone,
            activity,
            sessions,
            keystone_ready: health::Cached::default(),
        })))
    }

    /// Periodic upkeep: forgets throttled addresses and users whose buckets are full again.
    pub fn sweep(&self) {
        self.sign_in_throttle.sweep();
    }
}

/// The write path for this user, in `glance`'s region.
fn changes_by(app: &AppState, user: &CurrentUser, glance: Glance) -> Changes {
    Changes::new(app.activity.clone(), glance, user.actor())
}

/// Ends a request that takes longer than `request_timeout` with a 504 the UI can word. The
/// handler is dropped: an audit stops with it, a change goes on (it runs on its own).
async fn within_time(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error::Error::UpstreamTimeout(format!(
            "This took longer than {} seconds, so Glimpse stopped it. Try again in a moment.",
            limit.as_secs()
        ))
        .into_response(),
    }
}

/// A new id for every request, whatever the client sent: the activity log records it, so a
/// client must not choose it.
fn new_request_id<B>(_: &axum::http::Request<B>) -> Option<HeaderValue> {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok()
}

/// The web UI may only run its own scripts and WebAssembly, and talk to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Every `/api/v1` route, with its OpenAPI description.
fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .merge(session::router())
        .merge(images::router())
        .merge(members::router())
        .merge(audit::router())
        .merge(history::router())
        .merge(activity::router())
        .merge(copies::router())
        .merge(site::router())
}

/// The API's OpenAPI document, as `GET /api/v1/openapi.json` serves it.
pub fn openapi(config: &Config) -> utoipa::openapi::OpenApi {
    let (_, paths) = api_routes().split_for_parts();
    let mut doc = openapi::doc(
        session::cookie_name(config.secure_cookies, &config.base_path),
        &config.base_path,
    );
    doc.merge(paths);
    doc
}

pub fn router(state: AppState, sessions: Sessions) -> Router {
    let doc = openapi(&state.config);
    let (api, _) = api_routes().split_for_parts();
    let api = api
        .route(
            "/openapi.json",
            axum::routing::get(move || std::future::ready(axum::Json(doc.clone()))),
        )
        .fallback(|| async { error::Error::NotFound("No such API endpoint.".into()) })
        .layer(middleware::from_fn(metrics::remember_route))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            client_addr::notice_https_without_secure_cookie,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::end_session_on_401,
        ))
        .layer(session::layer(sessions, &state.config))
        // Answers of the API are the user's own data: no browser or proxy cache keeps them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let request_id = HeaderName::from_static("x-request-id");
    let timeout = state.config.request_timeout;
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Reached over https: browsers keep to https for a year (HSTS), never plain http.
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            state
                .config
                .secure_cookies
                .then(|| HeaderValue::from_static("max-age=31536000")),
        ));

    // `/metrics` here, unless it has a listener of its own (`metrics_listen`).
    let metrics = match state.config.metrics_listen {
        None => metrics::router(),
        Some(_) => Router::new(),
    };
    let base = state.config.base_path.clone();
    // Under a base_path, the probes also answer at the root (see `base_path`).
    let probes = health::router()
        .with_state(state.clone())
        .layer(headers.clone())
        .route_layer(middleware::from_fn(metrics::track));
    let app = Router::new()
        .nest("/api/v1", api)
        .merge(health::router())
        .merge(metrics)
        .merge(assets::router(
            state.config.assets_dir.as_deref(),
            &state.config.base_path,
        ))
        .with_state(state)
        .layer(headers)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestHeaderLayer::overriding(
                    request_id.clone(),
                    new_request_id::<axum::body::Body>,
                ))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
                        let id = req
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        // The path only: query strings hold no secrets here, but bodies might.
                        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(middleware::from_fn(carry_request_id))
                .layer(middleware::from_fn_with_state(timeout, within_time)),
        )
        // Outermost, so that an answer cut short by `within_time` counts too.
        .layer(middleware::from_fn(metrics::track));
    base_path::serve_under(&base, app, probes)
}

/// Every OpenStack call made for this request carries its id (`X-OpenStack-Request-ID`).
async fn carry_request_id(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    crate::openstack::with_request_id(id, next.run(request)).await
}
