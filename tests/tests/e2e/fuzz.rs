//! The live API fuzzed against its own OpenAPI document (`/api/v1/openapi.json`) by
//! schemathesis, on the real dev cloud: once signed in as a demo user (session cookie and
//! CSRF header) for every operation but those that would end or replace that session, then
//! once signed out for every operation. Any failure of `not_a_server_error`,
//! `status_code_conformance`, `content_type_conformance` or `response_schema_conformance`
//! fails the test; the fix belongs in the server. Bounded: examples per operation and a time
//! limit per run.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::spawn_app;

/// `st`, as `cargo xtask test` installed it (`GLIMPSE_SCHEMATHESIS`), or where it installs it.
fn schemathesis() -> PathBuf {
    if let Some(st) = std::env::var_os("GLIMPSE_SCHEMATHESIS") {
        return st.into();
    }
    let cached = devcloud::cache_dir()
        .expect("cache dir")
        .join("schemathesis-venv/bin/st");
    assert!(
        cached.is_file(),
        "schemathesis is not installed: run `cargo xtask test` once (it installs it into {})",
        cached.display()
    );
    cached
}

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// One schemathesis run of at most `seconds` (and 25 examples per operation). `signed_in`: the
/// session must last the run (no operation answers only 401).
fn run(base: &str, label: &str, seconds: u32, signed_in: bool, extra: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(schemathesis())
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", &format!("{base}/api/v1")])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "25", "--max-time", &seconds.to_string()])
        .args(["--request-timeout", "30", "--generation-database", "none"])
        .args(["--no-color", "--report-dir"])
        .arg(dir.path())
        .args(extra)
        .output()
        .expect("schemathesis runs");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis ({label}) found failures:\n{out}\n{err}"
    );
    assert!(out.contains("passed"), "({label}) {out}");
    // Signed in, the calls must really be signed in: schemathesis lists the operations that
    // only ever answered 401. (Only 403 is fine: a project decides only on its own
    // membership, and random member ids are never the current project.)
    if signed_in {
        assert!(
            !out.contains("401 Unauthorized ("),
            "({label}) the session did not last the run:\n{out}"
        );
    }
}

#[tokio::test]
async fn the_api_keeps_to_its_openapi_document_under_fuzzing() {
    let app = spawn_app().await;
    let base = app.base_url.clone();

    let r = reqwest::get(format!("{base}/api/v1/openapi.json"))
        .await
        .expect("glimpse answers");
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1")
    );
    for path in [
        "/session",
        "/session/totp",
        "/session/project",
        "/session/accounts",
        "/session/accounts/{user_id}",
        "/config",
        "/images",
        "/images/{image_id}",
        "/images/{image_id}/members",
        "/images/{image_id}/members/{member_id}",
        "/audit/access",
        "/audit/events",
        "/audit/snapshots",
        "/audit/changes",
        "/images/{image_id}/copies",
        "/copies",
        "/copies/{copy_id}",
        "/copies/{copy_id}/progress",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");

    // A demo user's session, by hand: the cookie and the CSRF token go to schemathesis.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "alice", "password": "alicepw", "project": "project-a"}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session: json::Session = r.json().await.expect("session");

    tokio::task::spawn_blocking(move || {
        let signed_in = [
            "--header".to_owned(),
            format!("Cookie: {cookie}"),
            "--header".to_owned(),
            format!("X-CSRF-Token: {}", session.csrf_token),
            "--generation-with-security-parameters".to_owned(),
            "false".to_owned(),
        ];
        let signed_in: Vec<&str> = signed_in.iter().map(String::as_str).collect();
        // Signing in, the passcode step, signing out and an account leaving (the fuzzer finds
        // the session's own user id) would end or replace this session, adding an account
        // answers 401 to wrong credentials, and a project switch replaces its token under the
        // calls running beside it: they are fuzzed on their own (the switch and the adding,
        // one call at a time) or signed out.
        let mut all_but = signed_in.clone();
        for op in [
            "sign_in",
            "passcode",
            "sign_out",
            "switch_project",
            "add_account",
            "remove_account",
        ] {
            all_but.extend(["--exclude-operation-id", op]);
        }
        run(
            &base,
            "signed in",
            60,
            true,
            &[&all_but[..], &["--workers", "2"]].concat(),
        );
        let mut switching = signed_in.clone();
        switching.extend(["--include-operation-id", "switch_project", "--workers", "1"]);
        run(&base, "switching project", 20, true, &switching);
        let mut adding = signed_in.clone();
        adding.extend(["--include-operation-id", "add_account", "--workers", "1"]);
        run(&base, "adding accounts", 15, false, &adding);
        run(&base, "signed out", 40, false, &["--workers", "2"]);
    })
    .await
    .expect("schemathesis thread");
}
