//! Sign-in, sessions, project switching and isolation, against the real Keystone.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{OpenStack, cloud, project_id, spawn_app, unique};

/// A Keystone admin call.
async fn keystone(method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!(
        "{}{path}",
        cloud().seed().keystone_url.trim_end_matches('/')
    );
    let mut req = reqwest::Client::new()
        .request(method, url)
        .header("X-Auth-Token", OpenStack::admin().await);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("keystone answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A throw-away user with the member role on project-a; returns (name, id).
async fn temporary_user() -> (String, String) {
    let name = unique("temp");
    let (status, body) = keystone(
        reqwest::Method::POST,
        "/users",
        Some(json!({"user": {"name": name, "password": "temppw", "domain_id": "default"}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["user"]["id"].as_str().expect("id").to_owned();
    let member = cloud().seed().roles["member"].clone();
    let (status, body) = keystone(
        reqwest::Method::PUT,
        &format!(
            "/projects/{}/users/{id}/roles/{member}",
            project_id("project-a")
        ),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    (name, id)
}

#[tokio::test]
async fn sign_in_answers_the_session_and_keeps_the_token_server_side() {
    let app = spawn_app().await;
    let client = app.client();
    let r = client
        .post(
            "/api/v1/session",
            &json!({"username": "carol", "password": "carolpw", "project": "project-a"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session: json::Session = r.json();
    assert_eq!(session.user.name, "carol");
    assert_eq!(session.project.name, "project-a");
    let names: Vec<&str> = session.projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["project-a", "project-c"]);
    assert_eq!(session.regions, vec!["RegionOne", "RegionTwo"]);
    assert!(session.csrf_token.len() >= 32);
    assert!(!r.body.contains("carolpw"));
    assert!(!r.body.contains("gAAAA"), "no Keystone token in the body");

    let cookie = r
        .headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("gAAAA"),
        "the cookie holds an id, not the token"
    );

    // Signing in again in the same browser gives a new session id.
    let again = client
        .post(
            "/api/v1/session",
            &json!({"username": "carol", "password": "carolpw"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let cookie2 = again
        .headers
        .get("set-cookie")
        .expect("a new cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(cookie.split(';').next(), cookie2.split(';').next());
    // Without a project, the first one by name.
    assert_eq!(again.json::<json::Session>().project.name, "project-a");
}

#[tokio::test]
async fn wrong_credentials_and_bad_input() {
    let app = spawn_app().await;
    let client = app.client();
    let err = client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "wrong"}),
        )
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(
        err.message.contains("Wrong username, password or domain"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains("wrong\""),
        "the password is never echoed"
    );

    client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw", "project": "project-b"}),
        )
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let err = client
        .post("/api/v1/session", &json!({"username": "", "password": "x"}))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(err.field.as_deref(), Some("username"));
    client
        .post("/api/v1/session", &json!({"user": "alice"}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    client
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    client
        .get("/api/v1/images")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn carol_switches_between_her_projects() {
    let app = spawn_app().await;
    let in_a = OpenStack::image(
        "RegionOne",
        "carol",
        "project-a",
        &unique("carol-a"),
        "private",
    )
    .await;
    let in_c = OpenStack::image(
        "RegionOne",
        "carol",
        "project-c",
        &unique("carol-c"),
        "private",
    )
    .await;
    let carol = app.sign_in("carol", "project-a").await;
    let mine = carol.images("region=RegionOne&owner=me").await;
    assert!(mine.iter().any(|i| i.id == in_a) && !mine.iter().any(|i| i.id == in_c));

    let r = carol
        .put(
            "/api/v1/session/project",
            &json!({"project_id": project_id("project-c")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json::<json::Session>().project.name, "project-c");
    let mine = carol.images("region=RegionOne&owner=me").await;
    assert!(!mine.iter().any(|i| i.id == in_a) && mine.iter().any(|i| i.id == in_c));
    assert_eq!(carol.session().await.project.name, "project-c");

    // Not to a project she has no role in, nor to nonsense.
    let err = carol
        .put(
            "/api/v1/session/project",
            &json!({"project_id": project_id("project-b")}),
        )
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(err.message.contains("no role"), "{}", err.message);
    carol
        .put(
            "/api/v1/session/project",
            &json!({"project_id": "project-b"}),
        )
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(carol.session().await.project.name, "project-c");

    let r = carol
        .put(
            "/api/v1/session/project",
            &json!({"project_id": project_id("project-a")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        carol
            .images("region=RegionOne&owner=me")
            .await
            .iter()
            .any(|i| i.id == in_a)
    );
}

#[tokio::test]
async fn two_users_at_once_never_see_each_other() {
    let app = spawn_app().await;
    let alices = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("iso-a"),
        "private",
    )
    .await;
    let bobs = OpenStack::image("RegionOne", "bob", "project-b", &unique("iso-b"), "private").await;
    let alice = app.sign_in("alice", "project-a").await;
    let bob = app.sign_in("bob", "project-b").await;

    let (a, b) = tokio::join!(
        alice.images("region=RegionOne&owner=all"),
        bob.images("region=RegionOne&owner=all")
    );
    assert!(a.iter().any(|i| i.id == alices) && !a.iter().any(|i| i.id == bobs));
    assert!(b.iter().any(|i| i.id == bobs) && !b.iter().any(|i| i.id == alices));
    assert_eq!(alice.session().await.user.name, "alice");
    assert_eq!(bob.session().await.user.name, "bob");
    bob.get(&format!("/api/v1/images/{alices}?region=RegionOne"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // bob's CSRF token is worth nothing in alice's session.
    let mut forged = app.sign_in("alice", "project-a").await;
    forged.csrf = bob.csrf.clone();
    forged
        .delete("/api/v1/session")
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = alice.delete("/api/v1/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    alice
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    alice
        .get("/api/v1/images")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_revoked_token_ends_the_session() {
    // Glance caches validated tokens for minutes; Glimpse re-checks with Keystone (here on
    // every request) so that a revoked token ends the session at once.
    let app = crate::harness::spawn_app_with(|c| c.token_check_interval = Duration::ZERO).await;
    let (name, id) = temporary_user().await;
    let client = app.client();
    let r = client
        .post(
            "/api/v1/session",
            &json!({"username": name, "password": "temppw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        client.images("region=RegionOne&owner=me").await.len(),
        client.images("region=RegionOne&owner=me").await.len()
    );

    // Deleting the user revokes every token it had.
    let (status, _) = keystone(reqwest::Method::DELETE, &format!("/users/{id}"), None).await;
    assert_eq!(status, 204);
    let err = client
        .get("/api/v1/images?region=RegionOne")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(err.message.contains("sign in again"), "{}", err.message);
    client
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn an_expired_token_ends_the_session() {
    let app = spawn_app().await;
    let (name, id) = temporary_user().await;
    // An application credential that expires in a few seconds: tokens issued for it expire
    // with it.
    let user_token = {
        let (name, project) = (name.clone(), "project-a");
        tokio::task::spawn_blocking(move || cloud().token(&name, "temppw", project))
            .await
            .unwrap()
            .unwrap()
    };
    let expires = time_in(Duration::from_secs(6));
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/users/{id}/application_credentials",
            cloud().seed().keystone_url.trim_end_matches('/')
        ))
        .header("X-Auth-Token", user_token)
        .json(&json!({"application_credential": {"name": unique("short"), "expires_at": expires}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    let (cred_id, secret) = (
        body["application_credential"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        body["application_credential"]["secret"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    let client = app.client();
    let r = client
        .post(
            "/api/v1/session",
            &json!({"application_credential_id": cred_id, "application_credential_secret": secret}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains(&secret), "the secret never comes back");
    let session: json::Session = r.json();
    assert_eq!(session.user.name, name);
    assert_eq!(
        session.projects.len(),
        1,
        "an application credential is bound to one project"
    );
    assert_eq!(client.session().await.project.name, "project-a");

    // An application credential cannot switch projects.
    let mut switcher = client;
    switcher.csrf = Some(session.csrf_token.clone());
    switcher
        .put(
            "/api/v1/session/project",
            &json!({"project_id": project_id("project-c")}),
        )
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    tokio::time::sleep(Duration::from_secs(8)).await;
    switcher
        .get("/api/v1/images?region=RegionOne")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    switcher
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    keystone(reqwest::Method::DELETE, &format!("/users/{id}"), None).await;
}

fn time_in(d: Duration) -> String {
    let at = time::OffsetDateTime::now_utc() + d;
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let client = app.client();
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(client.get("/readyz").await.status, StatusCode::OK);
    let r = client.get("/api/v1/nope").await;
    r.error(StatusCode::NOT_FOUND, "not_found");
    assert!(r.headers.get("content-security-policy").is_some());
    assert!(r.headers.get("x-request-id").is_some());
}
