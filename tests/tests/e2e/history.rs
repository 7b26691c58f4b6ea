//! Access history against the real cloud: changes made with the `openstack` CLI show as made
//! outside Glimpse, a change made through Glimpse is explained by its event, and a region that
//! was down is unknown, not removed. Both tests run alone (`spawn_app_exclusive`): an audit
//! sees every image of alice's project, so nothing else may change them meanwhile.

use devcloud::{DevCloud, Service};
use json::{AccessChanges, ChangedField, SnapshotList};
use reqwest::StatusCode;

use crate::cli::openstack;
use crate::harness::{Client, OpenStack, project_id, service, spawn_app_exclusive, unique};

/// Runs a whole audit (stored as a snapshot); returns the new snapshot's id.
async fn audit(client: &Client) -> i64 {
    let r = client.get("/api/v1/audit/access?format=json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    newest(client).await
}

async fn newest(client: &Client) -> i64 {
    let r = client.get("/api/v1/audit/snapshots").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json::<SnapshotList>().snapshots[0].id
}

async fn changes(client: &Client, query: &str) -> AccessChanges {
    let r = client.get(&format!("/api/v1/audit/changes?{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn changes_made_with_the_cli_are_outside_glimpse_and_glimpses_own_are_explained() {
    let app = spawn_app_exclusive(|_| {}).await;
    let tag = unique("history");
    let (b, c) = (project_id("project-b"), project_id("project-c"));
    // x: offered to project-b (which will reject it); y: shared with project-c (to remove).
    let x = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &format!("{tag}-x"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &x, ("alice", "project-a"), "project-b").await;
    let y = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &format!("{tag}-y"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &y, ("alice", "project-a"), "project-c").await;

    let alice = app.sign_in("alice", "project-a").await;
    let first = audit(&alice).await;

    // With the openstack CLI, not Glimpse: project-a adds project-c to x, project-b rejects x.
    openstack("alice-a", &["image", "add", "project", &x, &c]).await;
    openstack("bob-b", &["image", "set", "--reject", &x]).await;
    // Through Glimpse: alice removes project-c from y.
    let r = alice
        .delete(&format!("/api/v1/images/{y}/members/{c}?region=RegionOne"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    let second = audit(&alice).await;
    assert!(second > first);
    let diff = changes(&alice, &format!("from={first}&to={second}")).await;
    assert_eq!((diff.from.id, diff.to.id), (first, second));
    assert!(diff.unknown.is_empty(), "{:?}", diff.unknown);

    assert_eq!(diff.added.len(), 1, "only project-c on x: {:?}", diff.added);
    let added = &diff.added[0];
    assert_eq!(
        (added.image_id.as_str(), added.member_id.as_str()),
        (x.as_str(), c.as_str())
    );
    assert!(added.outside_glimpse && added.events.is_empty());

    assert_eq!(
        diff.changed.len(),
        1,
        "only the rejection: {:?}",
        diff.changed
    );
    let changed = &diff.changed[0];
    assert_eq!(
        (changed.image_id.as_str(), changed.member_id.as_str()),
        (x.as_str(), b.as_str())
    );
    assert_eq!(changed.fields.len(), 1);
    assert_eq!(changed.fields[0].field, ChangedField::Status);
    assert_eq!(
        (
            changed.fields[0].before.as_str(),
            changed.fields[0].after.as_str()
        ),
        ("pending", "rejected")
    );
    assert!(changed.outside_glimpse);

    assert_eq!(
        diff.removed.len(),
        1,
        "only project-c on y: {:?}",
        diff.removed
    );
    let removed = &diff.removed[0];
    assert_eq!(
        (removed.image_id.as_str(), removed.member_id.as_str()),
        (y.as_str(), c.as_str())
    );
    assert!(!removed.outside_glimpse);
    assert_eq!(removed.events.len(), 1);
    let event = &removed.events[0];
    assert_eq!(event.action, json::Action::RemoveMember);
    assert_eq!(event.outcome.as_deref(), Some("ok"));
    assert_eq!(event.user_name, "alice");
    // The same event in the activity log.
    assert!(alice.events(&y).await.iter().any(|e| e.id == event.id));

    // `to` omitted: the newest; CSV: a header and three lines.
    assert_eq!(changes(&alice, &format!("from={first}")).await, diff);
    let csv = alice
        .get(&format!("/api/v1/audit/changes?from={first}&format=csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv::Reader::from_reader(csv.body.as_bytes());
    let records: Vec<csv::StringRecord> = lines.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 3, "{}", csv.body);
    assert_eq!(&records[0][0], "added");

    // Bad input: backwards, unknown, someone else's.
    alice
        .get(&format!("/api/v1/audit/changes?from={second}&to={first}"))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    alice
        .get(&format!("/api/v1/audit/changes?from={}", second + 1000))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    alice
        .get("/api/v1/audit/changes?from=nope")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    let bob = app.sign_in("bob", "project-b").await;
    let bobs = audit(&bob).await;
    alice
        .get(&format!("/api/v1/audit/changes?from={first}&to={bobs}"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let theirs: SnapshotList = bob.get("/api/v1/audit/snapshots").await.json();
    assert!(
        theirs
            .snapshots
            .iter()
            .all(|s| s.id != first && s.id != second),
        "only one's own"
    );
    // A filtered audit is no snapshot.
    alice
        .get(&format!("/api/v1/audit/access?format=json&member={b}"))
        .await;
    assert_eq!(newest(&alice).await, second);
}

#[tokio::test]
async fn a_region_that_was_down_is_unknown_not_removed() {
    let app = spawn_app_exclusive(|_| {}).await;
    let tag = unique("history-down");
    let image = OpenStack::image("RegionTwo", "alice", "project-a", &tag, "shared").await;
    OpenStack::share("RegionTwo", &image, ("alice", "project-a"), "project-b").await;
    let alice = app.sign_in("alice", "project-a").await;
    let full = audit(&alice).await;

    service(DevCloud::stop_service, Service::glance("RegionTwo")).await;
    let partial = audit(&alice).await;
    service(DevCloud::start_service, Service::glance("RegionTwo")).await;
    let again = audit(&alice).await;

    let list: SnapshotList = alice.get("/api/v1/audit/snapshots").await.json();
    let summary = |id: i64| list.snapshots.iter().find(|s| s.id == id).expect("listed");
    assert!(summary(partial).partial);
    assert!(!summary(full).partial && !summary(again).partial);
    assert!(
        summary(full).rows > summary(partial).rows,
        "RegionTwo's rows missing"
    );

    let down = changes(&alice, &format!("from={full}&to={partial}")).await;
    assert!(down.removed.is_empty(), "not removed: {:?}", down.removed);
    assert!(
        down.unknown
            .iter()
            .any(|u| u.region.as_deref() == Some("RegionTwo")),
        "RegionTwo unknown: {:?}",
        down.unknown
    );
    let back = changes(&alice, &format!("from={partial}&to={again}")).await;
    assert!(back.added.is_empty(), "not added: {:?}", back.added);
    let whole = changes(&alice, &format!("from={full}&to={again}")).await;
    assert!(whole.unknown.is_empty() && whole.removed.is_empty() && whole.added.is_empty());
}
