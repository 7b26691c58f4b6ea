//! Every refusal Glance can produce around members, as Glimpse reports it; each test also
//! checks that Glance's state did not change.

use json::{AddMembers, MemberDecision, MemberStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{MEMBER_QUOTA, OpenStack, project_id, spawn_app, unique};

fn members_path(image: &str) -> String {
    format!("/api/v1/images/{image}/members?region=RegionOne")
}

fn member_path(image: &str, project: &str) -> String {
    format!(
        "/api/v1/images/{image}/members/{}?region=RegionOne",
        project_id(project)
    )
}

fn add(project: &str) -> AddMembers {
    AddMembers::One {
        member_id: project_id(project),
    }
}

#[tokio::test]
async fn only_the_owner_adds_members() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("owner"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b").await;
    let bob = app.sign_in("bob", "project-b").await;
    let err = bob
        .post(&members_path(&image), &add("project-c"))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(err.message.contains("owns"), "{}", err.message);
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        vec![(project_id("project-b"), "pending".into())]
    );

    // Nor removes them.
    let err = bob
        .delete(&member_path(&image, "project-b"))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(err.message.contains("reject"), "{}", err.message);
    assert_eq!(OpenStack::members("RegionOne", &image).await.len(), 1);
}

#[tokio::test]
async fn duplicate_member() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionOne", "alice", "project-a", &unique("dup"), "shared").await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = alice.post(&members_path(&image), &add("project-b")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let err = alice
        .post(&members_path(&image), &add("project-b"))
        .await
        .error(StatusCode::CONFLICT, "already_member");
    assert!(err.message.contains("already a member"));
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        vec![(project_id("project-b"), "pending".into())]
    );
}

#[tokio::test]
async fn private_images_have_no_members() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("priv"),
        "private",
    )
    .await;
    let alice = app.sign_in("alice", "project-a").await;
    let err = alice
        .post(&members_path(&image), &add("project-b"))
        .await
        .error(StatusCode::CONFLICT, "image_not_shared");
    assert!(err.message.contains("shared"), "{}", err.message);
    alice
        .get(&members_path(&image))
        .await
        .error(StatusCode::CONFLICT, "image_not_shared");
    assert_eq!(
        OpenStack::image_state("RegionOne", &image).await["visibility"],
        "private"
    );
    assert!(OpenStack::members("RegionOne", &image).await.is_empty());
}

#[tokio::test]
async fn only_the_member_project_decides() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("decide"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b").await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-c").await;
    let accept = MemberDecision {
        status: MemberStatus::Accepted,
    };

    // A reader of the member project.
    let dave = app.sign_in("dave", "project-b").await;
    let err = dave
        .put(&member_path(&image, "project-b"), &accept)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(err.message.contains("reader"), "{}", err.message);

    // The owner, for the member.
    let alice = app.sign_in("alice", "project-a").await;
    alice
        .put(&member_path(&image, "project-b"), &accept)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    // The owner, for itself (it is no member).
    let err = alice.put(&member_path(&image, "project-a"), &accept).await;
    assert!(
        matches!(err.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        err.body
    );

    // A member, for another member.
    let bob = app.sign_in("bob", "project-b").await;
    let err = bob
        .put(&member_path(&image, "project-c"), &accept)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        err.message.contains("no account of this session"),
        "{}",
        err.message
    );

    // A bad status value.
    bob.put(
        &member_path(&image, "project-b"),
        &json!({"status": "bogus"}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");

    let mut expected = vec![
        (project_id("project-b"), "pending".to_owned()),
        (project_id("project-c"), "pending".to_owned()),
    ];
    expected.sort();
    assert_eq!(OpenStack::members("RegionOne", &image).await, expected);
}

#[tokio::test]
async fn member_quota() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("quota"),
        "shared",
    )
    .await;
    let alice = app.sign_in("alice", "project-a").await;
    let ids: Vec<String> = (0..MEMBER_QUOTA)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let r = alice
        .post(
            &members_path(&image),
            &AddMembers::Many {
                member_ids: ids.clone(),
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let results: json::AddMembersResult = r.json();
    assert!(
        results.results.iter().all(|o| o.status == 201),
        "{}",
        r.body
    );

    let err = alice
        .post(
            &members_path(&image),
            &AddMembers::One {
                member_id: uuid::Uuid::new_v4().simple().to_string(),
            },
        )
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "member_quota_exceeded");
    assert!(
        err.message.contains(&MEMBER_QUOTA.to_string()),
        "the limit is named: {}",
        err.message
    );
    assert_eq!(
        OpenStack::members("RegionOne", &image).await.len(),
        MEMBER_QUOTA as usize
    );
}

#[tokio::test]
async fn many_members_at_once_answer_one_by_one() {
    let app = spawn_app().await;
    let image =
        OpenStack::image("RegionOne", "alice", "project-a", &unique("bulk"), "shared").await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-c").await;
    let alice = app.sign_in("alice", "project-a").await;
    let ids = vec![
        project_id("project-b"),
        "no-such-project".to_owned(),
        project_id("project-c"),
    ];
    let r = alice
        .post(
            &members_path(&image),
            &AddMembers::Many {
                member_ids: ids.clone(),
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let results = r.json::<json::AddMembersResult>().results;
    let got: Vec<(&str, u16, Option<&str>)> = results
        .iter()
        .map(|o| {
            (
                o.member_id.as_str(),
                o.status,
                o.error.as_ref().map(|e| e.code.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (ids[0].as_str(), 201, None),
            (ids[1].as_str(), 400, Some("invalid_input")),
            (ids[2].as_str(), 409, Some("already_member")),
        ]
    );
    let mut expected = vec![
        (project_id("project-b"), "pending".to_owned()),
        (project_id("project-c"), "pending".to_owned()),
    ];
    expected.sort();
    assert_eq!(OpenStack::members("RegionOne", &image).await, expected);
}

#[tokio::test]
async fn bad_ids_and_unknown_things() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionOne", "alice", "project-a", &unique("bad"), "shared").await;
    let alice = app.sign_in("alice", "project-a").await;

    let err = alice
        .get("/api/v1/images/not-a-uuid?region=RegionOne")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(err.field.as_deref(), Some("image_id"));
    let err = alice
        .post(
            &members_path(&image),
            &json!({"member_id": "no-such-project"}),
        )
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(err.field.as_deref(), Some("member_id"));
    assert!(err.message.contains("project ID"), "{}", err.message);
    alice
        .delete(&format!(
            "/api/v1/images/{image}/members/x?region=RegionOne"
        ))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    alice
        .post(&members_path(&image), &json!({"member": "x"}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    alice
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"visibility": "public"}),
        )
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    alice
        .get("/api/v1/images?owner=bogus")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");

    let unknown = uuid::Uuid::new_v4().to_string();
    alice
        .get(&format!("/api/v1/images/{unknown}?region=RegionOne"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    alice
        .post(&members_path(&unknown), &add("project-b"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    alice
        .delete(&member_path(&image, "project-b"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    let err = alice
        .get("/api/v1/images?region=Atlantis")
        .await
        .error(StatusCode::BAD_REQUEST, "unknown_region");
    assert!(err.message.contains("RegionOne"), "{}", err.message);

    // Nothing reached Glance.
    assert!(OpenStack::members("RegionOne", &image).await.is_empty());
    let (status, _) = OpenStack::glance(
        "RegionOne",
        &OpenStack::admin().await,
        Method::GET,
        &format!("/v2/images/{image}/members/no-such-project"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unsafe_methods_need_the_csrf_header() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("csrf"),
        "private",
    )
    .await;
    let mut alice = app.sign_in("alice", "project-a").await;
    let good = alice.csrf.take();

    alice
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"visibility": "shared"}),
        )
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    alice.csrf = Some("0".repeat(64));
    alice
        .post(&members_path(&image), &add("project-b"))
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    alice
        .delete("/api/v1/session")
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    assert_eq!(
        OpenStack::image_state("RegionOne", &image).await["visibility"],
        "private"
    );

    // Reads need none, and the session survived the refusals.
    alice.csrf = good;
    assert_eq!(alice.session().await.user.name, "alice");
}
