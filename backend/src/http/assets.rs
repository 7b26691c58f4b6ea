//! The web UI, served from the directory the frontend build writes (`index.html` and
//! `assets/`): by default shipped beside the binary, so that building the server never needs
//! the wasm toolchain and the same binary serves any UI build; with the `embed-ui` feature,
//! from inside the binary (`rust-embed`) when no `assets_dir` is set.
//!
//! One build serves under any `base_path`: `index.html` names its files `/assets/…` and is
//! answered with the prefix put in front of them (`/glimpse/assets/…`); the boot script finds
//! the rest beside itself, and tells the app where it is served (see `frontend/src/router.rs`).

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;

pub fn router(dir: Option<&Path>, base_path: &str) -> Router<AppState> {
    let Some(dir) = dir else {
        #[cfg(feature = "embed-ui")]
        return embedded::router(base_path);
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
    let assets = Router::new().nest_service("/assets", assets);
    // Every other path is a client-side route: answer index.html, never cached, so that a new
    // release is picked up at the next load.
    if !base_path.is_empty() {
        // Read at each request, as at the root: a new build in the directory is served at once.
        let (file, base) = (dir.join("index.html"), base_path.to_owned());
        return assets.fallback(move |method: Method| async move {
            match tokio::fs::read_to_string(&file).await {
                Ok(html) => index(&method, &under(&html, &base)),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        });
    }
    let index = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(ServeFile::new(dir.join("index.html")));
    assets.fallback_service(index)
}

/// `index.html` served under `base`: its `/assets/…` references, under the prefix.
fn under(html: &str, base: &str) -> String {
    html.replace("=\"/assets/", &format!("=\"{base}/assets/"))
}

/// The page of every client-side route, as `ServeFile` answers it at the root.
fn index(method: &Method, html: &str) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html.to_owned(),
    )
        .into_response()
}

/// The UI built into the binary (`embed-ui`): the same answers as from a directory.
#[cfg(feature = "embed-ui")]
mod embedded {
    use axum::Router;
    use axum::extract::Path;
    use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;

    use super::AppState;

    #[derive(rust_embed::Embed)]
    #[folder = "$GLIMPSE_WEB_DIR"]
    struct Web;

    pub fn router(base_path: &str) -> Router<AppState> {
        let router = Router::new().route("/assets/{*file}", get(asset));
        if base_path.is_empty() {
            return router.fallback(|| async { file("index.html", "no-cache", false) });
        }
        let page = Web::get("index.html")
            .map(|f| super::under(&String::from_utf8_lossy(&f.data), base_path));
        router.fallback(move |method: Method| async move {
            match page {
                Some(html) => super::index(&method, &html),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        })
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

#[cfg(test)]
mod tests {
    /// The page as the UI build writes it (`cargo xtask build-ui` fills in the names).
    const TEMPLATE: &str = include_str!("../../../frontend/index.html");

    #[test]
    fn every_file_of_the_page_is_under_the_prefix() {
        assert!(
            TEMPLATE.contains("\"/assets/"),
            "the template names its files /assets/…"
        );
        let page = super::under(TEMPLATE, "/glimpse");
        assert!(!page.contains("\"/assets/"), "{page}");
        assert_eq!(
            page.matches("\"/glimpse/assets/").count(),
            TEMPLATE.matches("\"/assets/").count()
        );
        // Nothing else of the page points at the root (a link, a script, a form).
        for attribute in ["href=\"/", "src=\"/", "action=\"/"] {
            assert_eq!(
                page.matches(attribute).count(),
                page.matches(&format!("{attribute}glimpse/assets/")).count(),
                "{attribute}"
            );
        }
    }
}
