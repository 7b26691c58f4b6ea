//! Item 7, the access audit's bounds, measured by a counting proxy in front of the real
//! Glance (RegionOne's `internal` endpoint): one audit per session, a global bound on Glance
//! calls across audits, and an audit whose client went away (or whose time ran out) stops
//! calling Glance within a second.

use std::time::Duration;

use json::AuditMessage;
use reqwest::StatusCode;

use crate::fakes::Proxy;
use crate::harness::{
    InternalEndpoint, OpenStack, TestApp, cloud, spawn_app_with, through_internal_endpoint,
};

/// A proxy to RegionOne's Glance, the internal endpoint pointed at it, and `images` shared
/// images of project-a there (each shared with project-b), so that an audit has work.
async fn setup(images: usize) -> (Proxy, InternalEndpoint) {
    let glance = cloud().glance_url("RegionOne").expect("RegionOne");
    let proxy = Proxy::start(glance).await;
    let endpoint = InternalEndpoint::point_at(proxy.url()).await;
    for image in OpenStack::shared_images_of_project_a("bounds", images).await {
        OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b").await;
    }
    (proxy, endpoint)
}

/// Reads NDJSON lines from a streamed answer until `stop` says so; returns what was read.
async fn read_until(
    response: &mut reqwest::Response,
    mut stop: impl FnMut(&AuditMessage) -> bool,
) -> Vec<AuditMessage> {
    let mut buffer = Vec::new();
    let mut read = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("the stream reads") {
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let message: AuditMessage = serde_json::from_slice(&line).expect("one message a line");
            let done = stop(&message);
            read.push(message);
            if done {
                return read;
            }
        }
    }
    read
}

#[tokio::test]
async fn one_audit_per_session() {
    let (proxy, _endpoint) = setup(2).await;
    proxy.set_delay(Duration::from_millis(300));
    let app: TestApp = spawn_app_with(|c| {
        through_internal_endpoint(c);
        c.concurrency = 1;
    })
    .await;
    let alice = app.sign_in("alice", "project-a").await;

    let mut first = alice.stream("/api/v1/audit/access").await;
    assert_eq!(first.status(), StatusCode::OK);
    read_until(&mut first, |_| true).await; // it runs
    // From now on each Glance call takes seconds: the first audit is surely still running
    // while the next requests are refused, however few images the cloud holds.
    proxy.set_delay(Duration::from_secs(3));
    for format in ["", "?format=json", "?format=csv"] {
        alice
            .get(&format!("/api/v1/audit/access{format}"))
            .await
            .error(StatusCode::CONFLICT, "audit_running");
    }
    // Another session of the same user is another session.
    let elsewhere = app.sign_in("alice", "project-a").await;
    assert_eq!(
        elsewhere.stream("/api/v1/audit/access").await.status(),
        StatusCode::OK
    );

    // The first one's client goes away (as when the UI restarts an audit for a new filter):
    // the next one starts.
    drop(first);
    let mut next = alice.stream("/api/v1/audit/access").await;
    assert_eq!(next.status(), StatusCode::OK);
    read_until(&mut next, |_| true).await;
}

#[tokio::test]
async fn glance_calls_are_bounded_across_audits() {
    let (proxy, _endpoint) = setup(6).await;
    proxy.set_delay(Duration::from_millis(100));
    let app = spawn_app_with(|c| {
        through_internal_endpoint(c);
        c.concurrency = 8;
        c.audit_glance_calls = 2;
    })
    .await;
    let alice = app.sign_in("alice", "project-a").await;
    let carol = app.sign_in("carol", "project-a").await;

    let (a, c) = tokio::join!(
        alice.get("/api/v1/audit/access?format=json"),
        carol.get("/api/v1/audit/access?format=json"),
    );
    for r in [a, c] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.json::<json::AccessAudit>().failures.is_empty(),
            "{}",
            r.body
        );
    }
    assert!(
        proxy.calls() > 8,
        "the audits did call Glance: {}",
        proxy.calls()
    );
    assert_eq!(
        proxy.max_in_flight(),
        2,
        "at most audit_glance_calls at once"
    );
}

/// Calls started while `wait` passes.
async fn calls_during(proxy: &Proxy, wait: Duration) -> usize {
    let before = proxy.calls();
    tokio::time::sleep(wait).await;
    proxy.calls() - before
}

#[tokio::test]
async fn an_audit_whose_client_went_away_stops_calling_glance() {
    let (proxy, _endpoint) = setup(16).await;
    proxy.set_delay(Duration::from_millis(300));
    let app = spawn_app_with(|c| {
        through_internal_endpoint(c);
        c.concurrency = 2;
    })
    .await;
    let alice = app.sign_in("alice", "project-a").await;

    let mut stream = alice.stream("/api/v1/audit/access").await;
    assert_eq!(stream.status(), StatusCode::OK);
    // Into phase 2, where one member list follows another.
    let read = read_until(
        &mut stream,
        |m| matches!(m, AuditMessage::Progress { done, .. } if *done >= 3),
    )
    .await;
    let total = read
        .iter()
        .rev()
        .find_map(|m| match m {
            AuditMessage::Progress { total, .. } => Some(*total),
            _ => None,
        })
        .expect("progress");
    drop(stream);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        calls_during(&proxy, Duration::from_secs(2)).await,
        0,
        "no Glance call more than a second after the client went away"
    );
    assert!(
        proxy.calls() < total,
        "stopped before the end: {} of {total} calls",
        proxy.calls()
    );
}

#[tokio::test]
async fn an_audit_past_its_time_stops_calling_glance() {
    let (proxy, _endpoint) = setup(16).await;
    // 16 member lists, 2 at a time, 600 ms each: the audit needs more than 4.8 s.
    proxy.set_delay(Duration::from_millis(600));
    let app = spawn_app_with(|c| {
        through_internal_endpoint(c);
        c.concurrency = 2;
        // Every format has the audit's own bound, not every request's (shorter here).
        c.audit_timeout = Duration::from_secs(3);
        c.request_timeout = Duration::from_secs(2);
    })
    .await;
    let alice = app.sign_in("alice", "project-a").await;

    let mut stream = alice.stream("/api/v1/audit/access").await;
    let messages = read_until(&mut stream, |_| false).await;
    let n = messages.len();
    match &messages[n - 2..] {
        [
            AuditMessage::Failure { failure },
            AuditMessage::Done { failures, .. },
        ] => {
            assert_deadline(failure);
            assert!(*failures >= 1);
        }
        other => panic!("ends with the deadline's failure, then done: {other:?}"),
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(calls_during(&proxy, Duration::from_secs(2)).await, 0);

    // JSON outlives request_timeout (2 s) and is what the audit found by its deadline (3 s),
    // with the failure saying so.
    let r = alice.get("/api/v1/audit/access?format=json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit: json::AccessAudit = r.json();
    assert!(
        audit.failures.iter().any(|f| {
            assert_deadline(f);
            true
        }),
        "{}",
        r.body
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(calls_during(&proxy, Duration::from_secs(2)).await, 0);

    // A CSV cannot say it is partial: its download is broken off, never passed off as whole.
    let mut csv = alice.stream("/api/v1/audit/access?format=csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let mut read = Vec::new();
    let broken = loop {
        match csv.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(
        broken,
        "the CSV ended as if whole: {}",
        String::from_utf8_lossy(&read)
    );
    assert!(
        read.starts_with(b"region,image_id,"),
        "the header went out at once"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(calls_during(&proxy, Duration::from_secs(2)).await, 0);
}

/// The failure of an audit stopped at its deadline (3 s).
fn assert_deadline(failure: &json::AuditFailure) {
    assert_eq!(failure.error.code, json::ErrorCode::UpstreamTimeout);
    assert!(
        failure.error.message.contains("3 seconds"),
        "{}",
        failure.error.message
    );
}
