//! The web UI, served from the directory the frontend build writes (`index.html` and
//! `assets/`): by default shipped beside the binary, so that building the server never needs
//! the wasm toolchain and the same binary serves any UI build; with the `embed-ui` feature,
//! from inside the binary (`rust-embed`) when no `assets_dir` is set.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;

pub fn router(dir: Option<&Path>) -> Router<AppState> {
    let Some(dir) = dir else {
        #[cfg(feature = "embed-ui")]
        return embedded::router();
        #[cfg(not(feature = "embed-ui"))]
        return Router::new();
    };
    // File names under assets/ carry a content hash, so they never change: cache for a year.
    let assets = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .service(ServeDir::new(dir.join("assets")).precompressed_gzip());
    // Every other path is a client-side route: answer index.html, never cached, so that a new
    // release is picked up at the next load.
    let index = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(ServeFile::new(dir.join("index.html")));
    Router::new()
        .nest_service("/assets", assets)
        .fallback_service(index)
}

/// The UI built into the binary (`embed-ui`): the same answers as from a directory.
#[cfg(feature = "embed-ui")]
mod embedded {
    use axum::Router;
    use axum::extract::Path;
    use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;

    use super::AppState;

    #[derive(rust_embed::Embed)]
    #[folder = "$GLIMPSE_WEB_DIR"]
    struct Web;

    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/assets/{*file}", get(asset))
            .fallback(|| async { file("index.html", "no-cache", false) })
    }

    async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
        let gzip = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        // Names carry a content hash, so they never change: cache for a year.
        file(
            &format!("assets/{name}"),
            "public, max-age=31536000, immutable",
            gzip,
        )
    }

    /// `path` of the build, gzipped when the client takes it and the build has it.
    fn file(path: &str, cache: &'static str, gzip: bool) -> Response {
        let Some(plain) = Web::get(path) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mime = plain.metadata.mimetype().to_owned();
        let packed = gzip.then(|| Web::get(&format!("{path}.gz"))).flatten();
        let mut response = match packed {
            Some(packed) => {
                let mut r = packed.data.into_owned().into_response();
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            None => plain.data.into_owned().into_response(),
        };
        let headers = response.headers_mut();
        if let Ok(mime) = HeaderValue::from_str(&mime) {
            headers.insert(header::CONTENT_TYPE, mime);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }
}
