//! Several Glimpse replicas behind one address: sessions in the machine's real Redis, the
//! activity log in its real PostgreSQL, so any replica serves any request.

use glimpse::session_store::SessionKey;
use json::{AddMembers, EventList};
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{OpenStack, drop_schema, postgres_schema, project_id, spawn_app_with, unique};

#[tokio::test]
async fn two_replicas_share_sessions_and_the_log() {
    let (url, schema) = postgres_schema().await;
    // Every replica seals sessions with the same key.
    let (key, _) = SessionKey::generate();
    let replica = |url: String| {
        let key = key.clone();
        spawn_app_with(move |c| {
            c.database = url;
            c.session_store = Some("redis://127.0.0.1:6379".into());
            c.session_key = Some(key);
        })
    };
    let a = replica(url.clone()).await;
    let b = replica(url).await;

    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("replicas"),
        "private",
    )
    .await;
    let on_a = a.sign_in("alice", "project-a").await;
    let on_b = on_a.towards(&b);

    // Signed in on A, served by B; a change on B, logged where A reads.
    assert_eq!(on_b.session().await.user.name, "alice");
    let r = on_b
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"visibility": "shared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = on_a
        .post(
            &format!("/api/v1/images/{image}/members?region=RegionOne"),
            &AddMembers::One {
                member_id: project_id("project-b"),
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let events = on_a
        .get(&format!("/api/v1/audit/events?image={image}"))
        .await
        .json::<EventList>()
        .events;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.outcome.as_deref() == Some("ok")));

    // Signing out on B ends the session on A too.
    assert_eq!(
        on_b.delete("/api/v1/session").await.status,
        StatusCode::NO_CONTENT
    );
    on_a.get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    drop_schema(&schema).await;
}
