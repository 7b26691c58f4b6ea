//! Operations: Prometheus metrics (`/metrics`, also on a listener of its own), the request id
//! carried to OpenStack (`X-OpenStack-Request-ID`), and readiness (`/readyz`).

use reqwest::StatusCode;
use serde_json::json;

use crate::fakes::Proxy;
use crate::harness::{cloud, project_id, spawn_app, spawn_app_with};

/// The value of the sample `name{labels}` (labels exactly as rendered), 0 when absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_upstream_calls_without_ids() {
    let app = spawn_app().await;
    let anonymous = app.client();
    anonymous
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "not-her-password"}),
        )
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let alice = app.sign_in("alice", "project-a").await;
    let disk = &cloud().seed().images["RegionOne"];
    let r = alice
        .get(&format!("/api/v1/images/{}?region=RegionOne", disk.id))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = anonymous.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let content_type = r.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let m = &r.body;
    for series in [
        r#"glimpse_http_requests_total{method="GET",route="/api/v1/images/{image_id}",status="200"}"#,
        r#"glimpse_http_requests_total{method="POST",route="/api/v1/session",status="200"}"#,
        r#"glimpse_http_requests_total{method="POST",route="/api/v1/session",status="401"}"#,
        r#"glimpse_upstream_requests_total{service="glance",region="RegionOne",outcome="ok"}"#,
        r#"glimpse_upstream_requests_total{service="keystone",region="",outcome="ok"}"#,
        r#"glimpse_sign_ins_refused_total{reason="unauthenticated"}"#,
    ] {
        assert!(sample(m, series) >= 1.0, "{series} in\n{m}");
    }
    assert!(
        m.contains("glimpse_http_request_duration_seconds_bucket{"),
        "{m}"
    );
    assert!(
        m.contains("glimpse_upstream_request_duration_seconds_bucket{"),
        "{m}"
    );
    assert!(
        m.contains("glimpse_sessions_active") || m.contains("# HELP"),
        "{m}"
    );
    // No id, name or token in any label.
    for secret in [
        disk.id.as_str(),
        &project_id("project-a"),
        "alice",
        "project-a",
        "gAAAA",
    ] {
        assert!(!m.contains(secret), "{secret} in the metrics");
    }
}

#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    // A free port, then released for Glimpse to take.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|c| c.metrics_listen = Some(([127, 0, 0, 1], port).into())).await;
    // Not beside the UI any more (the path is one of the UI's then).
    let beside = app.client().get("/metrics").await;
    assert!(!beside.body.contains("glimpse_http_requests_total"));
    let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("the metrics listener answers")
        .text()
        .await
        .unwrap();
    assert!(body.contains("glimpse_http_requests_total"), "{body}");
}

#[tokio::test]
async fn every_openstack_call_carries_the_request_id() {
    let keystone = Proxy::start(&cloud().auth_url()).await;
    let url = keystone.url().to_owned();
    let app = spawn_app_with(move |c| c.auth_url = url).await;
    let r = app
        .client()
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "alicepw", "project": "project-a"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.headers["x-request-id"].to_str().unwrap();
    let sent = keystone.request_ids();
    assert!(!sent.is_empty());
    for got in sent {
        assert_eq!(got, format!("req-{id}"));
    }
}

#[tokio::test]
async fn readiness_names_what_it_checked() {
    let app = spawn_app().await;
    let r = app.client().get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body: serde_json::Value = r.json();
    assert_eq!(body["status"], "ready");
    for check in ["keystone", "activity_log", "sessions"] {
        assert_eq!(body["checks"][check], "ok", "{body}");
    }
}
