//! A reopened inbox asks Glance only for the memberships whose status changed: the others are
//! remembered (`openstack/glance/memberships.rs`), and Glimpse's own changes update what is
//! remembered at once. Each membership lookup is counted by a proxy in front of the real
//! Glance (RegionOne's `internal` endpoint), which only this test's Glimpse goes through.

use std::time::Duration;

use json::MemberStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fakes::Proxy;
use crate::harness::{
    Client, InternalEndpoint, OpenStack, cloud, project_id, spawn_app_with,
    through_internal_endpoint,
};
use crate::metrics::sample;

const INBOX: &str = "/api/v1/images?region=RegionOne&owner=others&member_status=all";

/// The offers among `images`, as bob's inbox lists them: (status, since, updated).
async fn inbox(bob: &Client, images: &[String]) -> Vec<(MemberStatus, String, String)> {
    let reply = bob.get(INBOX).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let list: json::ImageList = reply.json();
    images
        .iter()
        .map(|id| {
            let offer = list
                .images
                .iter()
                .find(|i| &i.id == id)
                .unwrap_or_else(|| panic!("{id} is in the inbox: {}", reply.body));
            (
                offer.member_status.expect("a status"),
                offer.member_created_at.clone().expect("offered since"),
                offer.member_updated_at.clone().expect("updated"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_reopened_inbox_asks_glance_only_for_what_changed() {
    let glance = cloud().glance_url("RegionOne").expect("RegionOne");
    let proxy = Proxy::start(glance).await;
    let _endpoint = InternalEndpoint::point_at(proxy.url()).await;
    let images = OpenStack::shared_images_of_project_a("remembered", 3).await;
    for image in &images {
        OpenStack::share("RegionOne", image, ("alice", "project-a"), "project-b").await;
    }
    let project_b = project_id("project-b");
    let lookups = |image: &str| proxy.count(&format!("GET /v2/images/{image}/members/{project_b}"));
    let app = spawn_app_with(through_internal_endpoint).await;
    let bob = app.sign_in("bob", "project-b").await;
    let alice = app.sign_in("alice", "project-a").await;

    // The first look asks Glance for each membership.
    let first = inbox(&bob, &images).await;
    assert!(
        first
            .iter()
            .all(|(status, ..)| *status == MemberStatus::Pending),
        "{first:?}"
    );
    for image in &images {
        assert_eq!(lookups(image), 1, "asked once for {image}");
    }

    // Reopened, nothing changed: nothing asked again, the same dates shown, and counted.
    let recalled = || async {
        {
            let page = app.client().get("/metrics").await.body;
            sample(
                &page,
                r#"glimpse_inbox_memberships_total{source="remembered"}"#,
            )
        }
    };
    let before = recalled().await;
    assert_eq!(inbox(&bob, &images).await, first);
    for image in &images {
        assert_eq!(lookups(image), 1, "not asked again for {image}");
    }
    // The counter is the process's, shared with the tests running beside this one.
    assert!(
        recalled().await >= before + 3.0,
        "remembered memberships are counted"
    );

    // Accepted outside Glimpse: the list now gives another status, so that one is asked again.
    let token = OpenStack::token("bob", "project-b").await;
    let (status, body) = OpenStack::glance(
        "RegionOne",
        &token,
        Method::PUT,
        &format!("/v2/images/{}/members/{project_b}", images[0]),
        Some(json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(status, 200, "accept: {body}");
    let after_accept = inbox(&bob, &images).await;
    assert_eq!(
        after_accept[0].0,
        MemberStatus::Accepted,
        "{after_accept:?}"
    );
    assert_eq!(
        after_accept[0].2,
        body["updated_at"].as_str().expect("updated_at")
    );
    assert_eq!(
        lookups(&images[0]),
        2,
        "the changed membership is asked again"
    );
    assert_eq!(after_accept[1..], first[1..], "the others are as they were");
    assert_eq!(lookups(&images[1]), 1);

    // Withdrawn and offered again through Glimpse: the same status, a new date, shown at once
    // from Glance's answer to the owner's change (its dates have whole seconds).
    let member = format!(
        "/api/v1/images/{}/members/{project_b}?region=RegionOne",
        images[1]
    );
    let reply = alice.delete(&member).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let members = format!("/api/v1/images/{}/members?region=RegionOne", images[1]);
    let reply = alice.post(&members, &json!({"member_id": project_b})).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let again = inbox(&bob, &images).await;
    assert_eq!(again[1].0, MemberStatus::Pending);
    // (Glance keeps the first offer's `created_at`: the new offer shows in `updated_at`.)
    assert!(
        again[1].2 > first[1].2,
        "updated with the new offer: {again:?} {first:?}"
    );
    let held = OpenStack::members("RegionOne", &images[1]).await;
    assert_eq!(held, vec![(project_b.clone(), "pending".to_owned())]);

    // And bob's own decision through Glimpse is what the next look shows.
    let decision = format!(
        "/api/v1/images/{}/members/{project_b}?region=RegionOne",
        images[2]
    );
    let reply = bob.put(&decision, &json!({"status": "rejected"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let decided = inbox(&bob, &images).await;
    assert_eq!(decided[2].0, MemberStatus::Rejected, "{decided:?}");
    assert_eq!(lookups(&images[2]), 1, "known from the decision itself");
}
