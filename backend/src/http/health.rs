//! `/healthz` (the process answers) and `/readyz` (Keystone answers, so sign-in can work).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(ready))
}

async fn ready(State(app): State<AppState>) -> Response {
    match app.keystone.ping().await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(e) => {
            let err = Error::from(e);
            let body = json::ErrorResponse { error: err.body() };
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}
