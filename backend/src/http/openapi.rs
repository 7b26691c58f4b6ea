//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the API, generated from the code
//! (`utoipa`: each handler's `#[utoipa::path]`, the `shared` types' derived schemas) so that it
//! cannot drift from what the server does. The test suite fuzzes the live API against it
//! (schemathesis, run by `cargo xtask test`).
//!
//! A new route: annotate its handler with `#[utoipa::path(method, path = "/…", tag, params,
//! request_body, responses(every status it answers, errors with `json::ErrorResponse`),
//! security)]` and register it with `routes!(handler)` in its file's `router()`.

use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, ServerBuilder};

/// The document's frame: what the routes do not say themselves. Its server is the API's path
/// under `base_path` (relative, so it holds wherever the proxy is reached).
pub fn doc(cookie_name: &str, base_path: &str) -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Glimpse")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Share OpenStack images between projects. Sign in with `POST /session`; \
                     the session cookie then authenticates every call, and every POST, PUT, \
                     PATCH and DELETE also carries the session's `csrf_token` as `X-CSRF-Token`. \
                     Every error is `{\"error\": {\"code\", \"message\", …}}`.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new()
            .url(format!("{base_path}/api/v1"))
            .build()]))
        .build();
    Security { cookie_name }.modify(&mut doc);
    doc
}

/// The session cookie and the CSRF header, as security schemes the routes name.
struct Security<'a> {
    cookie_name: &'a str,
}

impl Modify for Security<'_> {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                self.cookie_name,
                "The session cookie set by `POST /session` (HttpOnly).",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                json::CSRF_HEADER,
                "The session's `csrf_token`, on every POST, PUT, PATCH and DELETE.",
            ))),
        );
    }
}
