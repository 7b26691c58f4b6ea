//! The project directory: bob sees the name of alice's project, which offers him an image, once
//! alice has signed in to Glimpse, marked as learned at her sign-in; never the name of a
//! project that no share relates to his; and nothing when the operator turns it off.

use glimpse::config::ProjectDirectory;
use json::{AccessAudit, ImageDetail};
use reqwest::StatusCode;

use crate::harness::{OpenStack, project_id, spawn_app, spawn_app_with, unique};

const REGION: &str = "RegionOne";

#[tokio::test]
async fn bob_sees_alices_project_name_once_she_signed_in_and_never_an_unrelated_one() {
    let app = spawn_app().await;
    let tag = unique("directory");
    let (a, c) = (project_id("project-a"), project_id("project-c"));
    let offered =
        OpenStack::image(REGION, "alice", "project-a", &format!("{tag}-a"), "shared").await;
    OpenStack::share(REGION, &offered, ("alice", "project-a"), "project-b").await;
    // project-c's community image: bob can see it, but no share relates project-c to him.
    let unrelated = OpenStack::image(
        REGION,
        "carol",
        "project-c",
        &format!("{tag}-c"),
        "community",
    )
    .await;

    let bob = app.sign_in("bob", "project-b").await;
    let inbox = |images: Vec<json::Image>| {
        images
            .into_iter()
            .find(|i| i.id == offered)
            .expect("offered to project-b")
    };
    let before = inbox(
        bob.images(&format!(
            "region={REGION}&owner=others&member_status=pending"
        ))
        .await,
    );
    assert_eq!(before.owner.as_deref(), Some(a.as_str()));
    assert_eq!(before.owner_name, None, "nobody of project-a signed in yet");

    app.sign_in("alice", "project-a").await;
    app.sign_in("carol", "project-c").await; // project-c is known now, but unrelated to bob

    let after = inbox(
        bob.images(&format!(
            "region={REGION}&owner=others&member_status=pending"
        ))
        .await,
    );
    assert_eq!(after.owner_name.as_deref(), Some("project-a"));
    let seen = after
        .owner_name_seen
        .expect("marked as learned at a sign-in");
    assert!(seen.ends_with('Z'), "{seen}");

    // Unrelated: the community image's owner stays an id.
    let r = bob
        .get(&format!("/api/v1/images/{unrelated}?region={REGION}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let detail: ImageDetail = r.json();
    assert_eq!(detail.image.owner.as_deref(), Some(c.as_str()));
    assert_eq!(detail.image.owner_name, None);
    // bob's audit names alice's project on her image's row.
    let audit: AccessAudit = bob.get("/api/v1/audit/access?format=json").await.json();
    let row = audit
        .rows
        .iter()
        .find(|r| r.image_id == offered)
        .expect("bob's membership");
    assert_eq!(row.owner_name.as_deref(), Some("project-a"));
    assert!(row.owner_name_seen.is_some());

    // alice's members table names project-b once bob has signed in (he has).
    let alice = app.sign_in("alice", "project-a").await;
    let members = alice.members(&offered, REGION).await;
    let b = members
        .iter()
        .find(|m| m.member_id == project_id("project-b"))
        .unwrap();
    assert_eq!(b.member_name.as_deref(), Some("project-b"));
    assert!(b.member_name_seen.is_some());
}

#[tokio::test]
async fn an_operator_can_turn_the_directory_off() {
    let app = spawn_app_with(|c| c.project_directory = ProjectDirectory::Off).await;
    let tag = unique("directory-off");
    let offered =
        OpenStack::image(REGION, "alice", "project-a", &format!("{tag}-a"), "shared").await;
    OpenStack::share(REGION, &offered, ("alice", "project-a"), "project-b").await;
    app.sign_in("alice", "project-a").await;
    let bob = app.sign_in("bob", "project-b").await;
    let image = bob
        .images(&format!(
            "region={REGION}&owner=others&member_status=pending"
        ))
        .await
        .into_iter()
        .find(|i| i.id == offered)
        .expect("offered");
    assert_eq!(image.owner_name, None);
    assert_eq!(image.owner_name_seen, None);
}
