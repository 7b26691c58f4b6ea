//! Serving under `base_path` (`/glimpse`) behind a reverse proxy that passes the path on as
//! it is: the prefix is taken off before routing, so that every route, route template (the
//! metrics' labels) and the UI's fallback stay what they are at the root.
//!
//! `/glimpse` itself is redirected to `/glimpse/`; any other path outside the prefix is a
//! 404, except the probes (`/healthz`, `/readyz`), which also answer at the root: a container
//! runtime or an orchestrator asks the process itself, not through the proxy.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use tower::Layer;

use super::error::Error;

/// `app` under `base` (`""`: at the root, as it is); `probes` answer at the root too.
pub fn serve_under(base: &str, app: Router, probes: Router) -> Router {
    if base.is_empty() {
        return app;
    }
    let inner = middleware::from_fn_with_state(Arc::<str>::from(base), strip).layer(app);
    probes.fallback_service(inner)
}

/// Takes the prefix off the path, or answers for a path outside it.
async fn strip(State(base): State<Arc<str>>, mut request: Request, next: Next) -> Response {
    let uri = request.uri();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    match uri.path().strip_prefix(&*base) {
        // The UI's relative start: `/glimpse/`.
        Some("") => Redirect::permanent(&format!("{base}/{query}")).into_response(),
        Some(rest) if rest.starts_with('/') => {
            let mut parts = uri.clone().into_parts();
            match format!("{rest}{query}").parse() {
                Ok(path_and_query) => parts.path_and_query = Some(path_and_query),
                Err(_) => return outside(&base),
            }
            match Uri::from_parts(parts) {
                Ok(inner) => *request.uri_mut() = inner,
                Err(_) => return outside(&base),
            }
            next.run(request).await
        }
        // `/other`, or `/glimpsex`: not Glimpse's.
        _ => outside(&base),
    }
}

fn outside(base: &str) -> Response {
    Error::NotFound(format!("Nothing here: Glimpse is served under {base}/.")).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{StatusCode, header};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        let app = Router::new()
            .route(
                "/api/v1/x",
                get(|uri: Uri| async move { format!("api {uri}") }),
            )
            .route("/healthz", get(|| async { "inner ok" }))
            .fallback(|uri: Uri| async move { format!("ui {uri}") });
        let probes = Router::new().route("/healthz", get(|| async { "ok" }));
        serve_under("/glimpse", app, probes)
    }

    async fn get_path(path: &str) -> (StatusCode, Option<String>, String) {
        let response = app()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (
            status,
            location,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn under_the_prefix_routes_see_their_own_paths() {
        let (status, _, body) = get_path("/glimpse/api/v1/x?region=R1").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "api /api/v1/x?region=R1")
        );
        let (_, _, body) = get_path("/glimpse/images/abc").await;
        assert_eq!(body, "ui /images/abc");
        let (_, _, body) = get_path("/glimpse/").await;
        assert_eq!(body, "ui /");
    }

    #[tokio::test]
    async fn the_bare_prefix_redirects_and_the_rest_is_not_found() {
        let (status, location, _) = get_path("/glimpse?next=%2Fimages").await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(location.as_deref(), Some("/glimpse/?next=%2Fimages"));
        for path in [
            "/",
            "/images",
            "/api/v1/x",
            "/glimpsex/images",
            "/assets/a.js",
        ] {
            let (status, _, body) = get_path(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(body.contains("not_found"), "{path}: {body}");
        }
        // The probes answer at the root, and under the prefix like everything else.
        assert_eq!(get_path("/healthz").await.2, "ok");
        assert_eq!(get_path("/glimpse/healthz").await.2, "inner ok");
    }
}
