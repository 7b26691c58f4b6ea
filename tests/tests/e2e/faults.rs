//! Glance or Keystone down or frozen: clear 502/504 answers, and recovery when they return.
//! These stop real services, so each runs alone (`spawn_app_exclusive`).

use std::time::Duration;

use devcloud::{DevCloud, Service};
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{service, spawn_app_exclusive};

#[tokio::test]
async fn glance_stopped_then_back() {
    let app = spawn_app_exclusive(|_| {}).await;
    let alice = app.sign_in("alice", "project-a").await;
    alice.images("region=RegionOne&owner=me").await;

    service(DevCloud::stop_service, Service::glance("RegionOne")).await;
    let err = alice
        .get("/api/v1/images?region=RegionOne&owner=me")
        .await
        .error(StatusCode::BAD_GATEWAY, "upstream_unavailable");
    assert!(
        err.message.contains("RegionOne"),
        "names the region: {}",
        err.message
    );
    // The other region still works.
    alice.images("region=RegionTwo&owner=me").await;

    service(DevCloud::start_service, Service::glance("RegionOne")).await;
    alice.images("region=RegionOne&owner=me").await;
}

#[tokio::test]
async fn glance_frozen_then_back() {
    let app = spawn_app_exclusive(|c| c.timeout = Duration::from_secs(2)).await;
    let alice = app.sign_in("alice", "project-a").await;

    service(DevCloud::pause_service, Service::glance("RegionOne")).await;
    let err = alice
        .get("/api/v1/images?region=RegionOne&owner=me")
        .await
        .error(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout");
    assert!(
        err.message.contains("did not answer in time"),
        "{}",
        err.message
    );

    service(DevCloud::resume_service, Service::glance("RegionOne")).await;
    alice.images("region=RegionOne&owner=me").await;
}

#[tokio::test]
async fn keystone_stopped_then_back() {
    let app = spawn_app_exclusive(|c| c.timeout = Duration::from_secs(3)).await;
    let client = app.client();

    service(DevCloud::stop_service, Service::Keystone).await;
    let err = client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw"}),
        )
        .await
        .error(StatusCode::BAD_GATEWAY, "upstream_unavailable");
    assert!(err.message.contains("Keystone"), "{}", err.message);
    let ready = client.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);

    service(DevCloud::start_service, Service::Keystone).await;
    assert_eq!(client.get("/readyz").await.status, StatusCode::OK);

    service(DevCloud::pause_service, Service::Keystone).await;
    client
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw"}),
        )
        .await
        .error(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout");
    service(DevCloud::resume_service, Service::Keystone).await;
    let alice = app.sign_in("alice", "project-a").await;
    alice.images("region=RegionOne&owner=me").await;
}

#[tokio::test]
async fn a_region_down_gives_a_partial_audit() {
    let app = spawn_app_exclusive(|_| {}).await;
    let image = crate::harness::OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &crate::harness::unique("partial"),
        "shared",
    )
    .await;
    crate::harness::OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b")
        .await;
    let alice = app.sign_in("alice", "project-a").await;

    service(DevCloud::stop_service, Service::glance("RegionTwo")).await;
    let r = alice.get("/api/v1/audit/access?format=json").await;
    service(DevCloud::start_service, Service::glance("RegionTwo")).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit: json::AccessAudit = r.json();
    assert!(
        audit.rows.iter().any(|row| row.image_id == image),
        "RegionOne still audited"
    );
    assert!(!audit.failures.is_empty());
    for f in &audit.failures {
        assert_eq!(f.region.as_deref(), Some("RegionTwo"));
        assert_eq!(f.error.code, json::ErrorCode::UpstreamUnavailable);
        assert!(f.error.message.contains("RegionTwo"), "{}", f.error.message);
    }
}
