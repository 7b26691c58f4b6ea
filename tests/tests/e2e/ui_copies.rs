//! Copying an image to another region from its page, in a real browser: the members option
//! and its warning, the progress, the new image opened, and "My images" marking the copy.

use crate::browser::{Browser, require_ui, ui_lock};
use crate::copies::source_image;
use crate::harness::{OpenStack, cloud, project_id, spawn_app};

#[tokio::test]
async fn ui_alice_copies_an_image_to_region_two_with_its_members() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let (id, source) = source_image("RegionOne", true).await;
    let name = source["name"].as_str().expect("name").to_owned();

    let mut alice = Browser::start(&app.base_url, "copy-alice").await;
    let password = cloud().seed().user("alice").password.clone();
    alice.sign_in("alice", &password, "project-a").await;
    alice.follow(&name).await;
    alice.see("Copy to another region").await;
    // The warning that the copy is a separate image whose members must accept it again.
    alice.see("must accept it again").await;
    alice
        .find("checkbox", "Share the copy with the same projects")
        .await
        .click()
        .await
        .expect("check");
    alice.assert_accessible("image-detail-copy").await;
    alice.click("Copy to RegionTwo").await;
    alice.see("Copied to RegionTwo.").await;
    alice.screenshot("copied").await;

    // Glance holds the copy: same data, the member invited again.
    let events = OpenStack::glance(
        "RegionTwo",
        &OpenStack::admin().await,
        reqwest::Method::GET,
        &format!("/v2/images?name={name}"),
        None,
    )
    .await
    .1;
    let copy = events["images"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|i| i["glimpse_copied_from"] == format!("RegionOne/{id}"))
        })
        .cloned()
        .expect("the copy in RegionTwo");
    assert_eq!(copy["os_hash_value"], source["os_hash_value"]);
    let copy_id = copy["id"].as_str().expect("id").to_owned();
    assert_eq!(
        OpenStack::members("RegionTwo", &copy_id).await,
        vec![(project_id("project-b"), "pending".to_owned())]
    );

    // "Open the copy" goes to the new image, in RegionTwo.
    alice.click("Open the copy").await;
    alice.see(&copy_id).await;
    // My images (now in RegionTwo) says it is a copy.
    alice.follow("My images").await;
    alice
        .row_with(&copy_id, "Copy of an image in RegionOne")
        .await;
    alice.close().await;
}

/// The other method: RegionOne's Glance offers no `glance-download`, so a copy to it is
/// streamed through Glimpse; the page shows it done and the data arrives whole.
#[tokio::test]
async fn ui_alice_streams_a_copy_to_region_one() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let (id, source) = source_image("RegionTwo", false).await;
    let name = source["name"].as_str().expect("name").to_owned();

    let mut alice = Browser::start(&app.base_url, "copy-stream").await;
    let password = cloud().seed().user("alice").password.clone();
    alice.sign_in("alice", &password, "project-a").await;
    alice.choose("Region", "RegionTwo").await;
    alice.follow(&name).await;
    alice.click("Copy to RegionOne").await;
    alice.see("Copied to RegionOne.").await;

    let r = app
        .sign_in("alice", "project-a")
        .await
        .get("/api/v1/copies")
        .await;
    let list: json::CopyList = r.json();
    let copy = list
        .copies
        .iter()
        .find(|c| c.source_image_id == id)
        .expect("the copy is listed");
    assert_eq!(copy.method, json::CopyMethod::Stream);
    assert_eq!(copy.state, json::CopyState::Done);
    assert_eq!(copy.bytes_done, source["size"].as_u64().expect("size"));
    let target = copy.target_image_id.clone().expect("target");
    let copied = OpenStack::image_state("RegionOne", &target).await;
    assert_eq!(copied["os_hash_value"], source["os_hash_value"]);
    assert_eq!(copied["glimpse_copied_from"], format!("RegionTwo/{id}"));
    alice.close().await;
}
