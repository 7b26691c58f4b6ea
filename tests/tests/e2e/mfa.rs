//! Multi-factor sign-in against the real Keystone: erin's rules want a password and a TOTP
//! passcode, computed here from the seeded secret (`totp-rs`, through the dev cloud's seed).
//! Also the sign-in page's settings (`GET /config`) and the configured login domain.

use std::num::NonZeroU32;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Client, cloud, spawn_app, spawn_app_with};

/// erin's passcode now, and one that is surely wrong (every digit moved by 5).
fn passcodes() -> (String, String) {
    let right = cloud()
        .seed()
        .user("erin")
        .passcode()
        .expect("erin has a TOTP secret");
    let wrong = right
        .bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 5) % 10))
        .collect();
    (right, wrong)
}

async fn password_step(client: &Client) -> json::ErrorBody {
    let r = client
        .post(
            "/api/v1/session",
            &json!({"username": "erin", "password": "erinpw"}),
        )
        .await;
    assert!(
        r.headers.get("openstack-auth-receipt").is_none(),
        "the receipt stays on the server"
    );
    r.error(StatusCode::UNAUTHORIZED, "mfa_required")
}

#[tokio::test]
async fn a_password_then_a_passcode_signs_in_and_a_wrong_passcode_can_be_retried() {
    let app = spawn_app().await;
    let client = app.client();
    let err = password_step(&client).await;
    assert_eq!(err.methods, Some(vec!["totp".to_owned()]));

    // Not signed in yet, and asking does not lose the sign-in waiting for its passcode.
    client
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let (right, wrong) = passcodes();
    client
        .post("/api/v1/session/totp", &json!({"passcode": wrong}))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");

    // The receipt is still good: the right passcode completes the sign-in (no project was
    // asked for, so the passcode signs in a second time, scoped to erin's first project).
    let r = client
        .post("/api/v1/session/totp", &json!({"passcode": right}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session: json::Session = r.json();
    assert_eq!(session.user.name, "erin");
    assert_eq!(session.project.name, "project-a");
    let mut client = client;
    client.csrf = Some(session.csrf_token);
    assert_eq!(client.session().await.user.name, "erin");
    let images = client.images("").await;
    assert!(
        images
            .iter()
            .any(|i| i.name.as_deref() == Some("glimpse-disk")),
        "erin reads project-a's images"
    );

    // Done: the receipt is gone with the sign-in.
    client
        .post("/api/v1/session/totp", &json!({"passcode": passcodes().0}))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_passcode_needs_a_password_first_and_digits() {
    let app = spawn_app().await;
    let client = app.client();
    let err = client
        .post("/api/v1/session/totp", &json!({"passcode": "123456"}))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(err.message.contains("password first"), "{}", err.message);
    let err = client
        .post("/api/v1/session/totp", &json!({"passcode": "12ab56"}))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(err.field.as_deref(), Some("passcode"));
    client
        .post("/api/v1/session/totp", &json!({"code": "123456"}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn passcodes_count_against_the_sign_in_throttle() {
    let app = spawn_app_with(|c| {
        c.sign_in_limits.per_user = NonZeroU32::new(2).unwrap();
    })
    .await;
    let client = app.client();
    password_step(&client).await;
    let (right, wrong) = passcodes();
    client
        .post("/api/v1/session/totp", &json!({"passcode": wrong}))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = client
        .post("/api/v1/session/totp", &json!({"passcode": right}))
        .await;
    let err = r.error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(err.retry_after.is_some());
}

#[tokio::test]
async fn the_sign_in_page_reads_its_settings_and_the_configured_domain_is_used() {
    let app = spawn_app_with(|c| {
        c.user_domain_name = "Elsewhere".into();
        c.show_domain_field = false;
        c.regions = vec!["RegionTwo".into()];
    })
    .await;
    let client = app.client();
    let r = client.get("/api/v1/config").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let config: json::PublicConfig = r.json();
    assert_eq!(config.default_domain, "Elsewhere");
    assert!(!config.show_domain);
    assert_eq!(config.regions, vec!["RegionTwo"]);
    assert_eq!(config.languages.len(), 7);

    // No domain sent: the configured one is used, and alice is not in it.
    client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw"}),
        )
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Her own domain, named: she signs in.
    let r = client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw", "user_domain": "Default"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session: json::Session = r.json();
    assert_eq!(session.regions, vec!["RegionTwo"]);
}
