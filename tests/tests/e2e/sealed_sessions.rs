//! Sessions in Redis are sealed: no Keystone token is ever at rest in the clear, a replica
//! without the key reads nothing, and Redis without a key refuses to start. The machine's real
//! Redis; only this test's own keys are read.

use glimpse::session_store::SessionKey;
use reqwest::StatusCode;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, KeysInterface, Pool};

use crate::harness::{TestApp, spawn_app_with};
use crate::sign_out::{held_tokens, session_id, session_status, sign_in_carol};

const REDIS: &str = "redis://127.0.0.1:6379";

async fn redis_app(key: &str) -> TestApp {
    let key = SessionKey::parse(key).expect("key");
    spawn_app_with(move |c| {
        c.session_store = Some(REDIS.into());
        c.session_key = Some(key);
    })
    .await
}

/// The raw value Redis holds under `key`.
async fn raw(key: &str) -> Vec<u8> {
    let pool = Pool::new(Config::from_url(REDIS).unwrap(), None, None, None, 1).unwrap();
    pool.init().await.expect("Redis on 127.0.0.1:6379");
    let value: Option<Vec<u8>> = pool.get(key).await.expect("GET");
    value.expect("the session is in Redis")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_token_is_at_rest_in_redis() {
    let (_, key) = SessionKey::generate();
    let app = redis_app(&key).await;
    let mut carol = app.client();
    let r = sign_in_carol(&mut carol).await;
    let id = session_id(&r);
    // The audit caches a second token in the session.
    let audit = carol.get("/api/v1/audit/access?format=json").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);

    // The server opens the session and finds both tokens in it...
    let held = held_tokens(&app, &id).await;
    let (own, cached) = (held.own, held.cached);
    assert!(own.starts_with("gAAAAA"), "a fernet token");
    assert_eq!(cached.len(), 1);
    // ...and Redis holds neither, nor any fernet token, nor the user's name.
    let stored = raw(&id.to_string()).await;
    assert!(stored.len() > 100, "a sealed record");
    for secret in [own.as_bytes(), cached[0].as_bytes(), b"gAAAAA", b"carol"] {
        assert!(!contains(&stored, secret), "in the clear in Redis");
    }

    // A replica with another key cannot use the session: to it, there is none.
    let (_, other_key) = SessionKey::generate();
    let other = redis_app(&other_key).await;
    // (A browser of its own: the answer clears the cookie, and cookies ignore ports.)
    assert_eq!(
        session_status(&other.base_url, "glimpse_session", &id).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(carol.session().await.user.name, "carol");
    assert_eq!(
        carol.delete("/api/v1/session").await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn redis_without_a_session_key_does_not_start() {
    let mut config = glimpse::config::Config::for_auth_url("http://127.0.0.1:1/v3");
    config.listen = "127.0.0.1:0".parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    config.database = format!("sqlite://{}", data.path().join("a.db").display());
    config.session_store = Some(REDIS.into());
    let err = match glimpse::startup::Application::build(config).await {
        Ok(_) => panic!("started without a session_key"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no session_key"), "{err}");
    assert!(err.contains("openssl rand -base64 32"), "{err}");
}
