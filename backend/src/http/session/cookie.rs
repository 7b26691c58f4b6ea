//! The session cookie, named and set up in one place.

use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

use crate::config::Config;
use crate::session_store::Sessions;

/// The cookie's name. A secure cookie gets the `__Host-` prefix: browsers then accept it only
/// with `Secure`, `Path=/` and no `Domain`, so no other host or plain-http page can plant or
/// shadow it. (Served under a path other than `/`, it would have to be `__Secure-` instead.)
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-glimpse_session"
    } else {
        "glimpse_session"
    }
}

/// The session layer: an HttpOnly, SameSite=Strict cookie holding the session id only,
/// `Secure` when the configuration says Glimpse is reached over https.
pub fn layer(store: Sessions, config: &Config) -> SessionManagerLayer<Sessions> {
    SessionManagerLayer::new(store)
        .with_name(cookie_name(config.secure_cookies))
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(config.secure_cookies)
        .with_path("/")
}
