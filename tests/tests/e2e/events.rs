//! The activity log through the API: every change leaves exactly one finished event with the
//! right outcome, failures included, in SQLite and in PostgreSQL alike; users see only the
//! events of their projects.

use json::{AddMembers, EventList, MemberDecision, MemberStatus};
use reqwest::StatusCode;
use serde_json::json;

use glimpse_tests::postgres::Schema;

use crate::harness::{OpenStack, TestApp, project_id, spawn_app, spawn_app_with, unique};

async fn the_flow_is_logged(app: TestApp) {
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("logged"),
        "private",
    )
    .await;
    let alice = app.sign_in("alice", "project-a").await;
    let bob = app.sign_in("bob", "project-b").await;
    let dave = app.sign_in("dave", "project-b").await;
    let img = format!("/api/v1/images/{image}?region=RegionOne");
    let members = format!("/api/v1/images/{image}/members?region=RegionOne");
    let b_member = format!(
        "/api/v1/images/{image}/members/{}?region=RegionOne",
        project_id("project-b")
    );
    let b = || AddMembers::One {
        member_id: project_id("project-b"),
    };

    // (action, outcome) in order, each exactly once.
    assert_eq!(
        alice.post(&members, &b()).await.status,
        StatusCode::CONFLICT
    ); // not shared yet
    assert_eq!(
        alice
            .patch(&img, &json!({"visibility": "shared"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(alice.post(&members, &b()).await.status, StatusCode::CREATED);
    assert_eq!(
        alice.post(&members, &b()).await.status,
        StatusCode::CONFLICT
    ); // duplicate
    assert_eq!(
        dave.put(
            &b_member,
            &MemberDecision {
                status: MemberStatus::Accepted
            }
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.put(
            &b_member,
            &MemberDecision {
                status: MemberStatus::Accepted
            }
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        bob.put(
            &b_member,
            &MemberDecision {
                status: MemberStatus::Rejected
            }
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        bob.put(
            &b_member,
            &MemberDecision {
                status: MemberStatus::Pending
            }
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        alice.patch(&img, &json!({"protected": true})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        alice.patch(&img, &json!({"protected": false})).await.status,
        StatusCode::OK
    );
    assert_eq!(alice.delete(&b_member).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        alice
            .patch(&img, &json!({"visibility": "private"}))
            .await
            .status,
        StatusCode::OK
    );
    // Refused before any change: bad input is no change, and is not logged.
    assert_eq!(
        alice
            .post(&members, &json!({"member_id": "nope"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // alice (project-a) sees what her project did; bob (project-b) what his project did and
    // what was done to its membership. Each change exactly once, finished, failures included.
    let oldest_first = |mut events: Vec<json::ActivityEvent>| {
        events.reverse();
        events
    };
    let r = alice
        .get(&format!("/api/v1/audit/events?image={image}&limit=1000"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = oldest_first(r.json::<EventList>().events);
    let summary = |events: &[json::ActivityEvent]| -> Vec<(String, String, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e.user_name.clone(),
                    e.action.to_string(),
                    e.outcome.clone().unwrap_or_else(|| "unfinished".into()),
                )
            })
            .collect()
    };
    let row = |u: &str, a: &str, o: &str| (u.to_owned(), a.to_owned(), o.to_owned());
    assert_eq!(
        summary(&events),
        vec![
            row("alice", "add_member", "image_not_shared"),
            row("alice", "make_shared", "ok"),
            row("alice", "add_member", "ok"),
            row("alice", "add_member", "already_member"),
            row("alice", "protect", "ok"),
            row("alice", "unprotect", "ok"),
            row("alice", "remove_member", "ok"),
            row("alice", "make_private", "ok"),
        ]
    );
    for e in &events {
        assert!(e.finished_at.is_some());
        assert_eq!(e.region, "RegionOne");
        assert_eq!(e.image_id, image);
        assert!(
            e.image_name
                .as_deref()
                .is_some_and(|n| n.starts_with("logged-"))
        );
        assert!(
            e.request_id.as_deref().is_some_and(|id| id.len() >= 32),
            "request id recorded"
        );
    }
    assert_eq!(
        events[2].member_id.as_deref(),
        Some(project_id("project-b").as_str())
    );

    let bobs = oldest_first(
        bob.get(&format!("/api/v1/audit/events?image={image}"))
            .await
            .json::<EventList>()
            .events,
    );
    assert_eq!(
        summary(&bobs),
        vec![
            row("alice", "add_member", "image_not_shared"),
            row("alice", "add_member", "ok"),
            row("alice", "add_member", "already_member"),
            row("dave", "accept", "forbidden"),
            row("bob", "accept", "ok"),
            row("bob", "reject", "ok"),
            row("bob", "set_pending", "ok"),
            row("alice", "remove_member", "ok"),
        ]
    );
    assert_eq!(bobs[4].project_name, "project-b");

    // Filters and export.
    let failed = alice
        .get(&format!(
            "/api/v1/audit/events?image={image}&outcome=failed"
        ))
        .await
        .json::<EventList>()
        .events;
    assert_eq!(failed.len(), 2);
    let accepts = bob
        .get(&format!(
            "/api/v1/audit/events?image={image}&action=accept&user=bob"
        ))
        .await
        .json::<EventList>()
        .events;
    assert_eq!(accepts.len(), 1);
    alice
        .get("/api/v1/audit/events?from=yesterday")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    alice
        .get("/api/v1/audit/events?action=explode")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    let r = alice
        .get(&format!("/api/v1/audit/events?image={image}&format=csv"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut csv = csv::Reader::from_reader(r.body.as_bytes());
    assert_eq!(csv.headers().unwrap().get(8), Some("action"));
    assert_eq!(csv.records().count(), events.len());
}

#[tokio::test]
async fn every_change_is_logged_in_sqlite() {
    the_flow_is_logged(spawn_app().await).await;
}

#[tokio::test]
async fn every_change_is_logged_in_postgres() {
    let schema = Schema::create().await;
    let app = spawn_app_with(|c| c.database = schema.url.clone()).await;
    the_flow_is_logged(app).await;
    schema.drop().await;
}

#[tokio::test]
async fn events_of_project_c_are_invisible_to_bob() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "carol",
        "project-c",
        &unique("c-only"),
        "private",
    )
    .await;
    let carol = app.sign_in("carol", "project-c").await;
    let r = carol
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"visibility": "shared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mine = carol
        .get(&format!("/api/v1/audit/events?image={image}"))
        .await
        .json::<EventList>()
        .events;
    assert_eq!(mine.len(), 1);

    let bob = app.sign_in("bob", "project-b").await;
    assert!(
        bob.get(&format!("/api/v1/audit/events?image={image}"))
            .await
            .json::<EventList>()
            .events
            .is_empty()
    );
    assert!(
        bob.get("/api/v1/audit/events?limit=1000")
            .await
            .json::<EventList>()
            .events
            .iter()
            .all(|e| e.project_id != project_id("project-c"))
    );
    // carol's other project sees it too: she belongs to both.
    let carol_a = app.sign_in("carol", "project-a").await;
    assert_eq!(
        carol_a
            .get(&format!("/api/v1/audit/events?image={image}"))
            .await
            .json::<EventList>()
            .events
            .len(),
        1
    );
}
