//! Sign-in throttling, per username and per client address, against the real Keystone; the
//! client address taken from `X-Forwarded-For` only when the peer is a trusted proxy.

use std::num::NonZeroU32;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Reply, TestApp, spawn_app_with, unique};

async fn attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> Reply {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/session", app.base_url))
        .json(&json!({"username": username, "password": password}));
    if let Some(addr) = forwarded_for {
        req = req.header("X-Forwarded-For", addr);
    }
    let resp = req.send().await.expect("glimpse answers");
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.expect("body"),
    }
}

/// A wrong sign-in of a fresh username, forwarded for `addr`: refused by Keystone, not throttled.
async fn refused(app: &TestApp, addr: &str) {
    attempt(app, &unique("nobody"), "x", Some(addr))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// Asserts a `rate_limited` answer and returns its `retry_after`.
fn limited(r: &Reply) -> u64 {
    let err = r.error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after = err.retry_after.expect("retry_after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let header = r.headers.get("retry-after").expect("a Retry-After header");
    assert_eq!(header.to_str().unwrap(), retry_after.to_string());
    assert!(
        err.message.contains("Too many sign-in attempts"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains(&format!("{retry_after} second")),
        "{}",
        err.message
    );
    retry_after
}

fn limits(per_address: u32, per_user: u32) -> glimpse::config::SignInLimits {
    glimpse::config::SignInLimits {
        per_address: NonZeroU32::new(per_address).unwrap(),
        per_user: NonZeroU32::new(per_user).unwrap(),
    }
}

#[tokio::test]
async fn sign_in_is_throttled_per_username() {
    let app = spawn_app_with(|c| c.sign_in_limits = limits(100, 3)).await;
    for _ in 0..3 {
        attempt(&app, "alice", "wrong", None)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // The right password too, whatever the case of the name: no more guesses for alice.
    limited(&attempt(&app, "Alice", "alicepw", None).await);
    // Others sign in from the same address.
    let r = attempt(&app, "bob", "bobpw", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn sign_in_is_throttled_per_address_and_forwarded_for_is_believed_from_trusted_proxies_only()
{
    // Not behind a proxy: X-Forwarded-For is the client's say-so and changes nothing.
    let app = spawn_app_with(|c| c.sign_in_limits = limits(3, 100)).await;
    for i in 0..3 {
        refused(&app, &format!("198.51.100.{i}")).await;
    }
    limited(&attempt(&app, &unique("nobody"), "x", Some("198.51.100.99")).await);

    // Behind a trusted proxy (here, the loopback peer): each forwarded client counts apart.
    let app = spawn_app_with(|c| {
        c.sign_in_limits = limits(3, 100);
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    for i in 0..5 {
        refused(&app, &format!("198.51.100.{i}")).await;
    }
    // A client's forged first entry is skipped: the proxy appended the address it saw.
    for _ in 0..2 {
        refused(&app, "203.0.113.5, 198.51.100.0").await;
    }
    limited(&attempt(&app, &unique("nobody"), "x", Some("198.51.100.0")).await);
    refused(&app, "198.51.100.200").await;
}
