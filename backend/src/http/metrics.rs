//! `GET /metrics` (Prometheus text format) and the middleware that counts and times every
//! request by its route template. What is measured is listed in `crate::metrics`.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/metrics", get(render))
}

async fn render() -> Response {
    let handle = crate::metrics::handle();
    // Keeps the histograms' memory bounded between scrapes too (`run_upkeep` in the sweep).
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// The route template that answered, kept on the response by [`remember_route`]: a nested
/// router's middleware sees its full template, the outer one only the nest's.
#[derive(Clone)]
struct Route(MatchedPath);

/// Layered on a nested router (the API): keeps its route template for [`track`].
pub async fn remember_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(Route(matched));
    }
    response
}

/// Counts and times a request under its route template (`/api/v1/images/{id}`), never its
/// path: a path holds ids. A path no route matched (the UI's own routes, a typo) counts as
/// `other`.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only the standard methods by name: any word can be a method, and labels stay bounded.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let outer = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map(|r| &r.0)
        .or(outer.as_ref())
        .map(MatchedPath::as_str)
        // A nest's catch-all (a request stopped before the nested router answered).
        .filter(|p| !p.contains("{*"))
        .unwrap_or("other");
    crate::metrics::http_request(
        &method,
        route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
