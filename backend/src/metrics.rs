//! What Glimpse counts for Prometheus (`GET /metrics`): every metric's name, labels and
//! meaning in this one file, so that the README's list and the code cannot drift apart.
//!
//! `metrics` (the facade: the rest of the code only calls the functions below) with
//! `metrics-exporter-prometheus` (its Prometheus text renderer), both well kept and built
//! for exactly this. Labels are bounded sets only: route templates (never a path with its
//! ids), status codes, service and region names from the catalog, outcome words. Never an
//! id, a user or project name, or a token.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

const HTTP_REQUESTS: &str = "glimpse_http_requests_total";
const HTTP_DURATION: &str = "glimpse_http_request_duration_seconds";
const UPSTREAM_REQUESTS: &str = "glimpse_upstream_requests_total";
const UPSTREAM_DURATION: &str = "glimpse_upstream_request_duration_seconds";
const AUDITS: &str = "glimpse_audits_total";
const AUDIT_DURATION: &str = "glimpse_audit_duration_seconds";
const SNAPSHOT_SAVE_DURATION: &str = "glimpse_audit_snapshot_save_seconds";
const ACTIVITY_WRITE_FAILURES: &str = "glimpse_activity_log_write_failures_total";
const SESSIONS_ACTIVE: &str = "glimpse_sessions_active";
const SIGN_INS_REFUSED: &str = "glimpse_sign_ins_refused_total";
const INBOX_MEMBERSHIPS: &str = "glimpse_inbox_memberships_total";

/// Seconds: from a quick cached answer to an audit of a large cloud.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The process's recorder, installed on first use. A recorder is global to the process, so
/// every Glimpse in it (tests run many) shares it; counters only ever go up.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("fixed, non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed: /metrics stays empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request (to the first byte of a stream), by method and route template."
    );
    describe_counter!(
        UPSTREAM_REQUESTS,
        "Calls to OpenStack, by service (keystone, glance), region and outcome (ok, client_error, server_error, timeout, unavailable, redirect)."
    );
    describe_histogram!(
        UPSTREAM_DURATION,
        Unit::Seconds,
        "Time of a call to OpenStack, by service and region."
    );
    describe_counter!(
        AUDITS,
        "Access audits run, by outcome (complete: every project and region read; partial: some failed)."
    );
    describe_histogram!(AUDIT_DURATION, Unit::Seconds, "Time an access audit ran.");
    describe_histogram!(
        SNAPSHOT_SAVE_DURATION,
        Unit::Seconds,
        "Time to store a completed access audit as a snapshot (packing included)."
    );
    describe_counter!(
        ACTIVITY_WRITE_FAILURES,
        "Writes to the activity log that failed (a change refused, or an outcome not recorded)."
    );
    describe_gauge!(
        SESSIONS_ACTIVE,
        "Sessions held in this replica's memory store (absent with Redis, where sessions are shared)."
    );
    describe_counter!(
        SIGN_INS_REFUSED,
        "Sign-in attempts refused, by reason (the API's error code: unauthenticated, rate_limited, forbidden, …)."
    );
    describe_counter!(
        INBOX_MEMBERSHIPS,
        "Memberships of offered images that image lists showed, by source (remembered: unchanged since Glance last told; shared: another request's question in flight; glance: asked)."
    );
}

pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    counter!(HTTP_REQUESTS, "method" => method.to_owned(), "route" => route.to_owned(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "method" => method.to_owned(), "route" => route.to_owned())
        .record(elapsed);
}

pub fn upstream_call(
    service: &'static str,
    region: &str,
    outcome: &'static str,
    elapsed: Duration,
) {
    counter!(UPSTREAM_REQUESTS, "service" => service, "region" => region.to_owned(), "outcome" => outcome)
        .increment(1);
    histogram!(UPSTREAM_DURATION, "service" => service, "region" => region.to_owned())
        .record(elapsed);
}

pub fn audit_ran(complete: bool, elapsed: Duration) {
    let outcome = if complete { "complete" } else { "partial" };
    counter!(AUDITS, "outcome" => outcome).increment(1);
    histogram!(AUDIT_DURATION).record(elapsed);
}

pub fn snapshot_saved(elapsed: Duration) {
    histogram!(SNAPSHOT_SAVE_DURATION).record(elapsed);
}

pub fn activity_write_failed() {
    counter!(ACTIVITY_WRITE_FAILURES).increment(1);
}

pub fn sessions_active(count: usize) {
    gauge!(SESSIONS_ACTIVE).set(count as f64);
}

pub fn sign_in_refused(reason: &'static str) {
    counter!(SIGN_INS_REFUSED, "reason" => reason).increment(1);
}

/// One offer's membership shown in an image list: `remembered`, `shared` with another
/// request's question, or asked of `glance`.
pub fn inbox_membership(source: &'static str) {
    counter!(INBOX_MEMBERSHIPS, "source" => source).increment(1);
}
