//! The session cookie and caching: `Secure`, `__Host-` and HSTS when Glimpse is reached over
//! https (`public_url`), and no API answer ever cached.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Reply, TestApp, spawn_app, spawn_app_with};
use crate::sign_out::{session_id, session_status};

async fn sign_in(app: &TestApp) -> Reply {
    let r = app
        .client()
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw", "project": "project-a"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r
}

fn set_cookie(r: &Reply) -> String {
    r.headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn behind_https_the_cookie_is_secure_host_only_and_hsts_is_sent() {
    let app = spawn_app_with(|c| {
        c.public_url = Some("https://images.example.org".parse().unwrap());
        c.secure_cookies = true; // what Config::resolve makes of an https public_url
    })
    .await;
    let r = sign_in(&app).await;
    let cookie = set_cookie(&r);
    assert!(cookie.starts_with("__Host-glimpse_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(
        !cookie.contains("Domain"),
        "__Host- cookies have no Domain: {cookie}"
    );
    assert_eq!(
        r.headers.get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );

    // The browser sends it back under that name (over https; by hand here).
    let id = session_id(&r);
    assert_eq!(
        session_status(&app.base_url, "__Host-glimpse_session", &id).await,
        StatusCode::OK
    );
    let health = reqwest::get(format!("{}/healthz", app.base_url))
        .await
        .unwrap();
    assert!(health.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn over_plain_http_the_cookie_is_plain_and_no_api_answer_is_cached() {
    let app = spawn_app().await;
    let r = sign_in(&app).await;
    let cookie = set_cookie(&r);
    assert!(cookie.starts_with("glimpse_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(r.headers.get("strict-transport-security").is_none());

    let client = app.client();
    let answers = [
        r,
        client.get("/api/v1/session").await, // 401
        client.get("/api/v1/nope").await,    // 404
        client.post("/api/v1/session", &json!({"user": 1})).await, // 422
    ];
    for a in &answers {
        assert_eq!(
            a.headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{} {}",
            a.status,
            a.body
        );
    }
    // The UI's own files keep their caching.
    let index = client.get("/").await;
    assert_ne!(
        index
            .headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}
