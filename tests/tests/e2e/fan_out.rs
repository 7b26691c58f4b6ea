//! The per-image lookups of ordinary requests are bounded across every request at once
//! (`fan_out_glance_calls`), not only within one: many people opening their inbox together
//! must not each open `concurrency` connections to Glance. Counted by a proxy in front of the
//! real Glance (RegionOne's `internal` endpoint).

use std::time::Duration;

use reqwest::StatusCode;

use crate::fakes::Proxy;
use crate::harness::InternalEndpoint;
use crate::harness::{OpenStack, cloud, spawn_app_with, through_internal_endpoint};

const REQUESTS: usize = 4;

#[tokio::test]
async fn inbox_lookups_are_bounded_across_requests() {
    let glance = cloud().glance_url("RegionOne").expect("RegionOne");
    let proxy = Proxy::start(glance).await;
    let _endpoint = InternalEndpoint::point_at(proxy.url()).await;
    for image in OpenStack::shared_images_of_project_a("fan-out", 6).await {
        OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b").await;
    }
    proxy.set_delay(Duration::from_millis(150));
    let app = spawn_app_with(|c| {
        through_internal_endpoint(c);
        c.concurrency = 8;
        c.fan_out_glance_calls = 1;
    })
    .await;
    let mut sessions = Vec::new();
    for _ in 0..REQUESTS {
        sessions.push(app.sign_in("bob", "project-b").await);
    }
    let before = proxy.calls();

    // Each inbox is one list (one status), then a membership lookup per offered image.
    let replies =
        futures::future::join_all(sessions.iter().map(|bob| {
            bob.get("/api/v1/images?region=RegionOne&owner=others&member_status=pending")
        }))
        .await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list: json::ImageList = r.json();
        assert!(list.images.len() >= 6, "the offers are listed: {}", r.body);
        assert!(
            list.images.iter().all(|i| i.member_created_at.is_some()),
            "every offer has its membership's date: {}",
            r.body
        );
    }
    // Each membership is asked of Glance once for all the inboxes that want it at the same
    // time (see inbox_memory.rs).
    assert!(
        proxy.calls() - before >= REQUESTS + 6,
        "a list per inbox and six lookups went to Glance: {}",
        proxy.calls() - before
    );
    // At any moment: some inboxes listing (one call each) and at most one lookup in all.
    // Bounded per request only, it would be up to REQUESTS x 6 lookups at once.
    assert!(
        proxy.max_in_flight() <= REQUESTS,
        "at most {REQUESTS} calls at once, saw {}",
        proxy.max_in_flight()
    );
}
