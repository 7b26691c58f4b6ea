//! The client's address: the one place that decides where a request comes from.
//!
//! A request's peer is the client, unless the peer is one of the configured `trusted_proxies`:
//! then `X-Forwarded-For` tells, read from the right (the hop nearest to Glimpse) past every
//! trusted proxy, so that a client cannot pick its own address by sending the header itself.
//! Whatever else a trusted proxy vouches for (`X-Forwarded-Proto`, …) asks `from_trusted_proxy`
//! the same question.
//!
//! `X-Forwarded-Proto` decides nothing: whether the cookie is `Secure` and HSTS is sent follows
//! the configuration (`public_url`, `secure_cookies`), never a header. A trusted proxy saying
//! `https` to a Glimpse whose cookie is not `Secure` only gets the configuration's gap logged.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::AppState;
use super::error::Error;

const FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED_PROTO: &str = "x-forwarded-proto";

/// Whether the request's peer is a configured reverse proxy, whose forwarding headers count.
pub fn from_trusted_proxy(peer: IpAddr, trusted: &[IpNet]) -> bool {
    let peer = peer.to_canonical();
    trusted.iter().any(|net| net.contains(&peer))
}

/// Where a request with this peer and these headers comes from.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let mut client = peer.to_canonical();
    if !from_trusted_proxy(client, trusted) {
        return client;
    }
    // Every X-Forwarded-For line, in order, as one list; then from the nearest hop outwards.
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(addr) = parse_hop(hop) else {
            // Garbage: nothing left of it can be believed; the last hop read is the client.
            break;
        };
        client = addr;
        if !from_trusted_proxy(addr, trusted) {
            break;
        }
    }
    client
}

/// Whether a trusted proxy says the client reached it over https (from anyone else, the
/// header is the client's say-so and means nothing).
pub fn forwarded_https(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> bool {
    from_trusted_proxy(peer, trusted)
        && headers
            .get(FORWARDED_PROTO)
            .and_then(|v| v.to_str().ok())
            // The first proxy's word is the client's scheme.
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// Logs once that users reach Glimpse over https (as its trusted proxy says) while its cookie
/// is not `Secure`: `public_url` is missing. Layered on the API.
pub async fn notice_https_without_secure_cookie(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !app.config.secure_cookies
        && !SAID.load(Ordering::Relaxed)
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && forwarded_https(peer.ip(), request.headers(), &app.config.trusted_proxies)
        && !SAID.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            "the trusted proxy says users reach Glimpse over https, but the session cookie is not Secure: set public_url to the https address (or secure_cookies = true)"
        );
    }
    next.run(request).await
}

/// `203.0.113.7`, `2001:db8::1`, or with a port: `203.0.113.7:4711`, `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client address of a request, as an extractor.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let app = AppState::from_ref(state);
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .ok_or_else(|| {
                Error::Internal(anyhow::anyhow!(
                    "no peer address: serve with into_make_service_with_connect_info"
                ))
            })?;
        Ok(Self(client_addr(
            peer.ip(),
            &parts.headers,
            &app.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(FORWARDED_FOR, l.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let h = forwarded(&["198.51.100.9"]);
        assert_eq!(
            client_addr(ip("203.0.113.1"), &h, &trusted),
            ip("203.0.113.1")
        );
        assert_eq!(
            client_addr(ip("127.0.0.1"), &h, &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(client_addr(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        // Without the header, the proxy itself.
        assert_eq!(
            client_addr(ip("10.1.2.3"), &HeaderMap::new(), &trusted),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn forwarded_https_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proto = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(FORWARDED_PROTO, value.parse().unwrap());
            h
        };
        assert!(forwarded_https(ip("10.0.0.1"), &proto("https"), &trusted));
        assert!(forwarded_https(
            ip("10.0.0.1"),
            &proto("HTTPS, http"),
            &trusted
        ));
        assert!(!forwarded_https(ip("10.0.0.1"), &proto("http"), &trusted));
        assert!(!forwarded_https(
            ip("10.0.0.1"),
            &HeaderMap::new(),
            &trusted
        ));
        assert!(!forwarded_https(
            ip("203.0.113.1"),
            &proto("https"),
            &trusted
        ));
        assert!(!forwarded_https(ip("10.0.0.1"), &proto("https"), &[]));
    }

    #[test]
    fn read_from_the_nearest_hop_past_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged the first entry; the proxies appended the rest.
        let h = forwarded(&["6.6.6.6, 198.51.100.9", "10.0.0.2"]);
        assert_eq!(
            client_addr(ip("10.0.0.1"), &h, &trusted),
            ip("198.51.100.9")
        );
        // Garbage stops the walk at the last hop read.
        let h = forwarded(&["6.6.6.6, nonsense, 10.0.0.2"]);
        assert_eq!(client_addr(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.2"));
        // Ports and brackets, and IPv4-mapped IPv6 peers.
        let h = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(
            client_addr(ip("::ffff:10.0.0.1"), &h, &trusted),
            ip("2001:db8::7")
        );
    }
}
