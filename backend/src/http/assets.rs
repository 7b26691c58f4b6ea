//! The web UI, served from the directory the frontend build writes (`index.html` and
//! `assets/`). Shipped beside the binary rather than embedded in it, so that building the
//! server never needs the wasm toolchain, and the same binary serves any UI build.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;

pub fn router(dir: Option<&Path>) -> Router<AppState> {
    let Some(dir) = dir else {
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
