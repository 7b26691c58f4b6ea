//! Copies to another region, against the real dev cloud: streamed through Glimpse
//! (RegionTwo → RegionOne, whose Glance has no `glance-download`) and by Glance's own
//! `glance-download` (RegionOne → RegionTwo). What Glance then holds is checked: data hash,
//! properties, tags, members. A slow or failing source (a proxy: a real Glance does neither
//! on demand) shows that cancelling and a mid-way failure leave no image behind.

use std::time::Duration;

use devcloud::ImageOptions;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fakes::SlowData;
use crate::harness::{
    Client, InternalEndpoint, OpenStack, cloud, project_id, spawn_app, spawn_app_with, unique,
};

/// An active image of alice's project-a in `region` with real data, properties, tags and
/// `min_*`; `shared` with project-b when `shared`. Returns its id and Glance's view of it.
pub(crate) async fn source_image(region: &'static str, shared: bool) -> (String, Value) {
    let token = OpenStack::token("alice", "project-a").await;
    let name = unique("copy-source");
    let id = {
        let (token, name) = (token.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            let disk = devcloud::small_disk_image()?;
            cloud().create_image(
                region,
                &token,
                &name,
                &ImageOptions {
                    visibility: Some(if shared { "shared" } else { "private" }),
                    min_disk: 1,
                    min_ram: 64,
                    properties: &[("os_distro", "glimpse"), ("glimpse_test", "kept")],
                    ..ImageOptions::with_disk(&disk)
                },
            )
        })
        .await
        .expect("join")
        .expect("source image")
    };
    let (status, body) = OpenStack::glance(
        region,
        &token,
        Method::PATCH,
        &format!("/v2/images/{id}"),
        Some(json!([{"op": "replace", "path": "/tags", "value": ["golden"]}])),
    )
    .await;
    assert_eq!(status, 200, "tags: {body}");
    if shared {
        OpenStack::share(region, &id, ("alice", "project-a"), "project-b").await;
    }
    (id.clone(), OpenStack::image_state(region, &id).await)
}

async fn start(client: &Client, region: &str, image: &str, body: Value) -> crate::harness::Reply {
    client
        .post(
            &format!("/api/v1/images/{image}/copies?region={region}"),
            &body,
        )
        .await
}

/// Polls the copy until it ends.
async fn ended(client: &Client, id: &str) -> json::Copy {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let r = client.get(&format!("/api/v1/copies/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let copy: json::Copy = r.json();
        if copy.state.is_over() {
            return copy;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "copy still running: {copy:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The target holds the source's data, name, formats, `min_*`, tags and properties, and
/// says where it came from.
fn assert_same_image(source: &Value, target: &Value, source_region: &str) {
    assert_eq!(target["status"], "active", "{target}");
    assert_eq!(
        target["os_hash_value"], source["os_hash_value"],
        "same data"
    );
    assert_eq!(target["size"], source["size"]);
    for key in [
        "name",
        "disk_format",
        "container_format",
        "min_disk",
        "min_ram",
        "tags",
        "os_distro",
        "glimpse_test",
    ] {
        assert_eq!(target[key], source[key], "{key}: {target}");
    }
    assert_eq!(
        target["glimpse_copied_from"],
        format!(
            "{source_region}/{}",
            source["id"].as_str().unwrap_or_default()
        ),
    );
    assert_eq!(target["owner"], source["owner"]);
}

/// Glance shows no such image (deleted), as admin sees it.
async fn gone(region: &str, image: &str) -> bool {
    let (status, body) = OpenStack::glance(
        region,
        &OpenStack::admin().await,
        Method::GET,
        &format!("/v2/images/{image}"),
        None,
    )
    .await;
    status == 404 || body["status"] == "deleted"
}

#[tokio::test]
async fn a_streamed_copy_keeps_data_properties_and_members() {
    let app = spawn_app().await;
    let (id, source) = source_image("RegionTwo", true).await;
    let alice = app.sign_in("alice", "project-a").await;
    // RegionOne's Glance does not offer glance-download: auto streams.
    let r = start(
        &alice,
        "RegionTwo",
        &id,
        json!({"target_region": "RegionOne", "with_members": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let copy: json::Copy = r.json();
    assert_eq!(
        (copy.method, copy.state),
        (json::CopyMethod::Stream, json::CopyState::Running)
    );
    assert_eq!(copy.bytes_total, source["size"].as_u64());

    // The progress stream ends with the copy's end.
    let progress = alice
        .stream(&format!("/api/v1/copies/{}/progress", copy.id))
        .await;
    assert_eq!(progress.status(), StatusCode::OK);
    let text = progress.text().await.expect("progress");
    let last: json::Copy =
        serde_json::from_str(text.lines().last().expect("a line")).expect("a copy");
    assert_eq!(last.state, json::CopyState::Done, "{text}");

    let copy = ended(&alice, &copy.id).await;
    assert_eq!(copy.state, json::CopyState::Done, "{copy:?}");
    assert_eq!(Some(copy.bytes_done), copy.bytes_total);
    let target_id = copy.target_image_id.clone().expect("target");
    let target = OpenStack::image_state("RegionOne", &target_id).await;
    assert_same_image(&source, &target, "RegionTwo");
    assert_eq!(target["visibility"], "shared");
    assert_eq!(
        OpenStack::members("RegionOne", &target_id).await,
        vec![(project_id("project-b"), "pending".to_owned())],
        "invited again: pending"
    );

    // In the activity log: the copy (both regions) and the new invitation.
    let events = alice.events(&id).await;
    let logged = events
        .iter()
        .find(|e| e.action == json::Action::CopyImage)
        .expect("copy event");
    assert_eq!(logged.region, "RegionTwo");
    assert_eq!(logged.target_region.as_deref(), Some("RegionOne"));
    assert_eq!(logged.target_image_id.as_deref(), Some(target_id.as_str()));
    assert_eq!(logged.outcome.as_deref(), Some("ok"));
    let invited = alice.events(&target_id).await;
    assert!(
        invited.iter().any(|e| e.action == json::Action::AddMember
            && e.region == "RegionOne"
            && e.outcome.as_deref() == Some("ok")),
        "{invited:?}"
    );
    // The project's list has it.
    let list: json::CopyList = alice.get("/api/v1/copies").await.json();
    assert!(list.copies.iter().any(|c| c.id == copy.id));
    // Another project does not see it.
    let bob = app.sign_in("bob", "project-b").await;
    bob.get(&format!("/api/v1/copies/{}", copy.id))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn auto_copies_by_glance_download_where_the_target_offers_it() {
    let app = spawn_app().await;
    let (id, source) = source_image("RegionOne", false).await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo", "method": "auto"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let copy: json::Copy = r.json();
    assert_eq!(copy.method, json::CopyMethod::GlanceDownload);
    let copy = ended(&alice, &copy.id).await;
    assert_eq!(copy.state, json::CopyState::Done, "{copy:?}");
    let target =
        OpenStack::image_state("RegionTwo", copy.target_image_id.as_deref().unwrap()).await;
    assert_same_image(&source, &target, "RegionOne");
    assert_eq!(target["visibility"], "private", "without members: private");
}

#[tokio::test]
async fn refusals_are_clear() {
    let app = spawn_app().await;
    let (id, _) = source_image("RegionOne", true).await;
    let alice = app.sign_in("alice", "project-a").await;
    start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionOne"}),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "same_region");
    start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "Atlantis"}),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "unknown_region");
    // RegionOne's Glance does not offer glance-download.
    let (two, _) = source_image("RegionTwo", false).await;
    start(
        &alice,
        "RegionTwo",
        &two,
        json!({"target_region": "RegionOne", "method": "glance-download"}),
    )
    .await
    .error(StatusCode::CONFLICT, "import_method_unavailable");
    start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo", "method": "teleport"}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // A member may use the image, not copy it.
    let bob = app.sign_in("bob", "project-b").await;
    start(
        &bob,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo"}),
    )
    .await
    .error(StatusCode::FORBIDDEN, "not_owner");
    // No data yet.
    let queued = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("queued"),
        "private",
    )
    .await;
    start(
        &alice,
        "RegionOne",
        &queued,
        json!({"target_region": "RegionTwo"}),
    )
    .await
    .error(StatusCode::CONFLICT, "image_not_active");
    alice
        .get("/api/v1/copies/not-a-copy")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");
    alice
        .get(&format!("/api/v1/copies/{}", uuid::Uuid::new_v4()))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

/// A Glimpse that reads RegionOne's Glance through `proxy` (its `internal` endpoint) and
/// RegionTwo's directly, one copy per user at most.
async fn through(proxy: &SlowData) -> (crate::harness::TestApp, InternalEndpoint) {
    let endpoint = InternalEndpoint::point_at(&proxy.server.url).await;
    let app = spawn_app_with(|config| {
        config.interface = "internal".into();
        config.copies_per_user = 1;
    })
    .await;
    (app, endpoint)
}

#[tokio::test]
async fn a_cancelled_copy_leaves_no_image() {
    let (id, _) = source_image("RegionOne", false).await;
    let proxy = SlowData::start(cloud().glance_url("RegionOne").unwrap(), 256 << 10, None).await;
    let (app, _endpoint) = through(&proxy).await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo", "method": "stream"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let copy: json::Copy = r.json();
    let target = copy.target_image_id.clone().expect("target");
    // One copy at a time for alice here.
    start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo", "method": "stream"}),
    )
    .await
    .error(StatusCode::TOO_MANY_REQUESTS, "too_many_copies");
    // Under way, then cancelled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now: json::Copy = alice
            .get(&format!("/api/v1/copies/{}", copy.id))
            .await
            .json();
        if now.bytes_done > 0 {
            assert_eq!(
                now.state,
                json::CopyState::Running,
                "slow enough to cancel: {now:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = alice.delete(&format!("/api/v1/copies/{}", copy.id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cancelled: json::Copy = r.json();
    assert_eq!(cancelled.state, json::CopyState::Cancelled, "{cancelled:?}");
    assert_eq!(
        cancelled.error.map(|e| e.code),
        Some(json::ErrorCode::CopyCancelled)
    );
    assert!(
        gone("RegionTwo", &target).await,
        "the partial image is deleted"
    );
    let event = alice
        .events(&id)
        .await
        .into_iter()
        .find(|e| e.action == json::Action::CopyImage)
        .expect("logged");
    assert_eq!(event.outcome.as_deref(), Some("copy_cancelled"));
}

#[tokio::test]
async fn a_source_failing_mid_way_leaves_no_image() {
    let (id, _) = source_image("RegionOne", false).await;
    let proxy = SlowData::start(
        cloud().glance_url("RegionOne").unwrap(),
        4 << 20,
        Some(1 << 20),
    )
    .await;
    let (app, _endpoint) = through(&proxy).await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = start(
        &alice,
        "RegionOne",
        &id,
        json!({"target_region": "RegionTwo", "method": "stream"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let copy: json::Copy = r.json();
    let copy = ended(&alice, &copy.id).await;
    assert_eq!(copy.state, json::CopyState::Failed, "{copy:?}");
    let error = copy.error.expect("why");
    assert_eq!(error.code, json::ErrorCode::CopyFailed, "{error:?}");
    assert!(error.message.contains("RegionOne"), "{}", error.message);
    assert!(gone("RegionTwo", copy.target_image_id.as_deref().unwrap()).await);
}

/// The target region refusing the data, over its storage quota or its size cap: the copy
/// fails with the code that says which, and its partial image is deleted.
#[tokio::test]
async fn a_target_refusing_the_data_says_why_and_leaves_no_image() {
    let (id, _) = source_image("RegionTwo", false).await;
    for (words, code) in [
        (
            "Image exceeds the storage quota: The size of the data 1835008 will exceed the limit. 0 bytes remaining.",
            json::ErrorCode::StorageQuotaExceeded,
        ),
        (
            "The incoming image is too large: 1835008",
            json::ErrorCode::ImageTooLarge,
        ),
    ] {
        let proxy =
            SlowData::refusing_uploads(cloud().glance_url("RegionOne").unwrap(), words).await;
        let (app, _endpoint) = through(&proxy).await;
        let alice = app.sign_in("alice", "project-a").await;
        let r = start(
            &alice,
            "RegionTwo",
            &id,
            json!({"target_region": "RegionOne", "method": "stream"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let copy = ended(&alice, &r.json::<json::Copy>().id).await;
        assert_eq!(copy.state, json::CopyState::Failed, "{copy:?}");
        let error = copy.error.expect("why");
        assert_eq!(error.code, code, "{error:?}");
        assert!(
            !error.message.contains("1835008"),
            "Glance's words stay out: {}",
            error.message
        );
        assert!(gone("RegionOne", copy.target_image_id.as_deref().unwrap()).await);
        // Newest first: this copy's.
        let event = alice
            .events(&id)
            .await
            .into_iter()
            .find(|e| e.action == json::Action::CopyImage)
            .expect("logged");
        assert_eq!(event.outcome.as_deref(), Some(code.as_str()), "{event:?}");
    }
}

/// A copy left `running` by a Glimpse that died (its heartbeat stopped) is marked failed,
/// and its partial image deleted at the owner's next look.
#[tokio::test]
async fn a_copy_whose_process_died_is_failed_and_its_image_deleted() {
    let data = tempfile::tempdir().expect("dir");
    let database = format!("sqlite://{}", data.path().join("activity.db").display());
    let partial = OpenStack::image(
        "RegionTwo",
        "alice",
        "project-a",
        &unique("partial"),
        "private",
    )
    .await;
    let log = glimpse::activity::ActivityLog::connect(&database)
        .await
        .expect("log");
    log.insert_copy(glimpse::activity::NewCopy {
        id: uuid::Uuid::new_v4().to_string(),
        event_id: 0,
        user_id: cloud().seed().user("alice").id.clone(),
        project_id: project_id("project-a"),
        source_region: "RegionOne".into(),
        source_image_id: uuid::Uuid::new_v4().to_string(),
        image_name: None,
        target_region: "RegionTwo".into(),
        target_image_id: partial.clone(),
        method: "stream".into(),
        with_members: false,
        bytes_total: Some(1 << 20),
    })
    .await
    .expect("recorded");
    log.close().await;

    let app = spawn_app_with(|config| config.database = database.clone()).await;
    let alice = app.sign_in("alice", "project-a").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let list: json::CopyList = alice.get("/api/v1/copies").await.json();
        let copy = list
            .copies
            .iter()
            .find(|c| c.target_image_id.as_deref() == Some(&partial))
            .expect("listed");
        if copy.state == json::CopyState::Failed {
            assert_eq!(
                copy.error.as_ref().map(|e| e.code),
                Some(json::ErrorCode::CopyFailed)
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still running: {copy:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // The owner's next look at its images in the target region (My images) deletes the
    // partial image before listing: it is neither shown nor left in Glance.
    let r = alice.get("/api/v1/images?region=RegionTwo").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list: json::ImageList = r.json();
    assert!(
        list.images.iter().all(|i| i.id != partial),
        "the partial image is not listed"
    );
    assert!(
        gone("RegionTwo", &partial).await,
        "the partial image is deleted"
    );
}
