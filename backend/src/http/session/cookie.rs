//! The session cookie, named and set up in one place.

use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

use crate::config::Config;
use crate::session_store::Sessions;

/// The cookie's name. A secure cookie gets the `__Host-` prefix: browsers then accept it only
/// with `Secure`, `Path=/` and no `Domain`, so no other host or plain-http page can plant or
/// shadow it. Under a `base_path` its path is not `/`, so it gets `__Secure-` instead (set
/// only over https), which a browser also refuses from a plain-http page.
pub fn cookie_name(secure: bool, base_path: &str) -> &'static str {
    match (secure, base_path.is_empty()) {
        (true, true) => "__Host-glimpse_session",
        (true, false) => "__Secure-glimpse_session",
        (false, _) => "glimpse_session",
    }
}

/// The session layer: an HttpOnly, SameSite=Strict cookie holding the session id only,
/// `Secure` when the configuration says Glimpse is reached over https, sent back only under
/// the `base_path` (other applications of the same host never see it).
pub fn layer(store: Sessions, config: &Config) -> SessionManagerLayer<Sessions> {
    let path = match config.base_path.as_str() {
        "" => "/".to_owned(),
        base => base.to_owned(),
    };
    SessionManagerLayer::new(store)
        .with_name(cookie_name(config.secure_cookies, &config.base_path))
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(config.secure_cookies)
        .with_path(path)
}
