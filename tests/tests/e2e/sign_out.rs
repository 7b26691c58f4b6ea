//! Sign-out revokes every Keystone token the session holds (its own, the audit's per-project
//! ones, and none left over from a project switch), checked with Keystone itself. The tokens
//! are read from the server side only: the app's session store, as the server reads it.

use std::str::FromStr;

use reqwest::StatusCode;
use serde_json::json;
use tower_sessions::SessionStore;
use tower_sessions::session::Id;

use crate::harness::{Client, OpenStack, Reply, TestApp, cloud, project_id, spawn_app};

/// The session id the reply's `Set-Cookie` holds (whatever the cookie's name).
pub fn session_id(reply: &Reply) -> Id {
    let cookie = reply
        .headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii");
    let value = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v)
        .expect("name=value");
    Id::from_str(value).expect("a session id")
}

/// The Keystone tokens an account of a session holds.
#[derive(Debug)]
pub struct Held {
    /// The account's current project's.
    pub own: String,
    /// Those cached for the account's other projects (the audit's).
    pub cached: Vec<String>,
    /// The token signed in with, once a project switch replaced it.
    pub root: Option<String>,
}

/// The tokens of the session's active account.
pub async fn held_tokens(app: &TestApp, id: &Id) -> Held {
    let (accounts, active) = held_by_account(app, id).await;
    accounts
        .into_iter()
        .nth(active)
        .map(|(_, held)| held)
        .expect("an active account")
}

/// The tokens of each account of a session, by user name, and which is active.
pub async fn held_by_account(app: &TestApp, id: &Id) -> (Vec<(String, Held)>, usize) {
    let record = app
        .sessions
        .load(id)
        .await
        .expect("the store answers")
        .expect("the session is stored");
    let session = &record.data["glimpse.accounts"];
    let accounts = session["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            let held = Held {
                own: a["token"].as_str().expect("a token").to_owned(),
                cached: a["project_tokens"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t["token"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                root: a["root"].as_str().map(str::to_owned),
            };
            (a["user"]["name"].as_str().expect("a name").to_owned(), held)
        })
        .collect();
    let active = session["active"].as_u64().expect("active") as usize;
    (accounts, active)
}

/// Whether Keystone still accepts a token (`GET /v3/auth/tokens`: 200, or 404 once revoked).
pub async fn keystone_accepts(token: &str) -> bool {
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/auth/tokens",
            cloud().seed().keystone_url.trim_end_matches('/')
        ))
        .header("X-Auth-Token", OpenStack::admin().await)
        .header("X-Subject-Token", token)
        .send()
        .await
        .expect("keystone answers");
    match resp.status().as_u16() {
        200 => true,
        404 => false,
        other => panic!("Keystone answered {other} to a token check"),
    }
}

/// `GET /api/v1/session` from a browser holding only the session cookie `name=id`.
pub async fn session_status(base_url: &str, name: &str, id: &Id) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base_url}/api/v1/session"))
        .header("Cookie", format!("{name}={id}"))
        .send()
        .await
        .expect("glimpse answers")
        .status()
}

/// carol, signed in to project-a; the reply carries her session cookie.
pub async fn sign_in_carol(client: &mut Client) -> Reply {
    let r = client
        .post(
            "/api/v1/session",
            &json!({"username": "carol", "password": "carolpw", "project": "project-a"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    client.csrf = Some(r.json::<json::Session>().csrf_token);
    r
}

async fn switch(client: &Client, project: &str) {
    let r = client
        .put(
            "/api/v1/session/project",
            &json!({"project_id": project_id(project)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(client.session().await.project.name, project);
}

#[tokio::test]
async fn sign_out_revokes_every_token_the_session_held() {
    let app = spawn_app().await;
    let mut carol = app.client();

    // Signing in again in the same browser ends the first session's token.
    let first = sign_in_carol(&mut carol).await;
    let first_token = held_tokens(&app, &session_id(&first)).await.own;
    assert!(keystone_accepts(&first_token).await);
    let signed_in = sign_in_carol(&mut carol).await;
    assert!(
        !keystone_accepts(&first_token).await,
        "the replaced session's token is revoked"
    );
    let id = session_id(&signed_in);

    // The audit rescopes a token for carol's other project and keeps it in the session.
    let r = carol.get("/api/v1/audit/access?format=json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let held = held_tokens(&app, &id).await;
    let (signed_in_with, cached) = (held.own, held.cached);
    assert_eq!(cached.len(), 1, "a token for project-c");
    assert_eq!(held.root, None);

    // A first switch keeps the token signed in with: revoking it would revoke the new one,
    // rescoped from it (its audit id is the whole chain's).
    switch(&carol, "project-c").await;
    let held = held_tokens(&app, &id).await;
    let in_c = held.own;
    assert_eq!(held.root.as_ref(), Some(&signed_in_with));
    assert_eq!(
        held.cached, cached,
        "the audit's token stays with the session"
    );
    assert!(keystone_accepts(&in_c).await);

    // A second switch revokes the token it replaces at once: a rescoped token has an audit id
    // of its own, so the new one stays valid.
    switch(&carol, "project-a").await;
    let held = held_tokens(&app, &id).await;
    let in_a = held.own;
    assert_eq!(held.root.as_ref(), Some(&signed_in_with));
    assert!(
        !keystone_accepts(&in_c).await,
        "the replaced token is revoked"
    );
    for token in [&in_a, &signed_in_with, &cached[0]] {
        assert!(keystone_accepts(token).await);
    }
    carol.images("region=RegionOne&owner=me").await; // the new token works

    let r = carol.delete("/api/v1/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    for token in [&in_a, &signed_in_with, &cached[0]] {
        assert!(!keystone_accepts(token).await, "revoked at sign-out");
    }
    carol
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn signing_in_without_a_project_leaves_one_token() {
    // The unscoped token that finds the user's projects is revoked, and the session's token
    // (not rescoped from it, which that revocation would end) works on.
    let app = spawn_app().await;
    let mut alice = app.client();
    let r = alice
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    alice.csrf = Some(r.json::<json::Session>().csrf_token);
    let held = held_tokens(&app, &session_id(&r)).await;
    assert!(held.cached.is_empty() && held.root.is_none());
    assert!(keystone_accepts(&held.own).await);
    alice.images("region=RegionOne&owner=me").await; // answers 200
    assert_eq!(alice.session().await.project.name, "project-a");
}
