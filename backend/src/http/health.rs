//! `/healthz` (the process answers) and `/readyz` (what Glimpse needs answers: Keystone, so
//! that sign-in can work; the activity log, without which no change is made; Redis, when
//! sessions live there). Keystone's "yes" is kept a few seconds, so that probes every second
//! from several load balancers do not become Keystone's traffic; a "no" is asked again at the
//! next probe, so that a Keystone back up is noticed at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::AppState;
use super::error::Error;

/// How long Keystone's readiness answer is believed.
const KEYSTONE_TTL: Duration = Duration::from_secs(5);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route("/readyz", get(ready))
}

/// When Keystone last answered a readiness check.
#[derive(Default)]
pub struct Cached(Mutex<Option<Instant>>);

impl Cached {
    fn fresh(&self) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < KEYSTONE_TTL)
    }

    fn answered(&self) {
        if let Ok(mut at) = self.0.lock() {
            *at = Some(Instant::now());
        }
    }
}

async fn keystone(app: &AppState) -> Result<(), String> {
    if app.keystone_ready.fresh() {
        return Ok(());
    }
    app.keystone
        .ping()
        .await
        .map_err(|e| Error::from(e).body().message)?;
    app.keystone_ready.answered();
    Ok(())
}

async fn ready(State(app): State<AppState>) -> Response {
    let (keystone, activity, sessions) = tokio::join!(
        keystone(&app),
        async {
            app.activity
                .ping()
                .await
                .map_err(|_| "The activity log does not answer.".to_owned())
        },
        app.sessions.ping(),
    );
    let check = |r: &Result<(), String>| match r {
        Ok(()) => json!("ok"),
        Err(e) => json!(e),
    };
    let ok = keystone.is_ok() && activity.is_ok() && sessions.is_ok();
    let body = json!({
        "status": if ok { "ready" } else { "not_ready" },
        "checks": {
            "keystone": check(&keystone),
            "activity_log": check(&activity),
            "sessions": check(&sessions),
        },
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}
