//! The HTTP surface: one `router()` listing every route, over one file per resource.

mod activity;
mod assets;
mod audit;
pub mod client_addr;
pub mod error;
mod extract;
mod health;
mod images;
mod members;
mod session;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::activity::ActivityLog;
use crate::config::Config;
use crate::openstack::keystone::Keystone;
use crate::session_store::Sessions;
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
    pub sign_in_throttle: SignInThrottle,
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
    ) -> anyhow::Result<Self> {
        let keystone = Keystone::new(http.clone(), &config.auth_url)?;
        Ok(Self(Arc::new(Inner {
            sign_in_throttle: SignInThrottle::new(config.sign_in_limits),
            config,
            http,
            keystone,
            activity,
        })))
    }

    /// Periodic upkeep: forgets throttled addresses and users whose buckets are full again.
    pub fn sweep(&self) {
        self.sign_in_throttle.sweep();
    }
}

/// The web UI may only run its own scripts and WebAssembly, and talk to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn router(state: AppState, sessions: Sessions) -> Router {
    let api = Router::new()
        .merge(session::router())
        .merge(images::router())
        .merge(members::router())
        .merge(audit::router())
        .merge(activity::router())
        .fallback(|| async { error::Error::NotFound("No such API endpoint.".into()) })
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

    Router::new()
        .nest("/api/v1", api)
        .merge(health::router())
        .merge(assets::router(state.config.assets_dir.as_deref()))
        .with_state(state)
        .layer(headers)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
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
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::GATEWAY_TIMEOUT,
                    Duration::from_secs(120),
                )),
        )
}
