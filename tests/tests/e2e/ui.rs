//! The web UI in a real browser, as the people of the sharing guide use it: the owner shares
//! an image, the consumer accepts it, the owner removes it; bulk decisions; the errors a
//! person can cause; no secret within the page's reach; and a rendering measurement.
//!
//! Needs the built UI (`cargo xtask build-ui`; `cargo xtask test` builds it): fails without it.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{Browser, require_ui, screenshot_dir, ui_lock};
use crate::harness::{OpenStack, cloud, project_id, spawn_app, unique};

const REGION: &str = "RegionOne";

fn password(user: &str) -> String {
    cloud().seed().user(user).password.clone()
}

#[tokio::test]
async fn ui_alice_shares_bob_accepts_alice_removes() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-share");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "private").await;
    let project_b = project_id("project-b");

    // Alice, the owner: her private image is in "My images"; she makes it shared from its row.
    let mut alice = Browser::start(&app.base_url, "share-alice").await;
    alice
        .sign_in("alice", &password("alice"), "project-a")
        .await;
    let row = alice.row_with(&name, "Private").await;
    alice.screenshot("my-images").await;
    alice.click_in("Make shared", Some(&row)).await;
    alice
        .see(&format!("\u{201c}{name}\u{201d} is now shared"))
        .await;
    let row = alice.row_with(&name, "Shared").await;
    alice.find_in("button", "Make private", Some(&row)).await;

    // On the image's page she adds project-b by its ID.
    alice.follow(&name).await;
    alice.see("Members").await;
    alice.fill("Project ID", &project_b).await;
    alice.click("Add member").await;
    alice.row_with(&project_b, "Pending").await;
    alice.screenshot("member-added").await;
    assert_eq!(
        OpenStack::members(REGION, &image).await,
        vec![(project_b.clone(), "pending".to_owned())]
    );

    // Bob, the consumer's team lead, finds the offer in his inbox and accepts it.
    let mut bob = Browser::start(&app.base_url, "share-bob").await;
    bob.sign_in("bob", &password("bob"), "project-b").await;
    bob.follow("Shared with us").await;
    let offer = bob.row(&name).await;
    bob.screenshot("inbox").await;
    bob.click_in("Accept", Some(&offer)).await;
    bob.see(&format!("Accepted \u{201c}{name}\u{201d}")).await;
    bob.no_row(&name).await;
    bob.find("tab", "Accepted")
        .await
        .click()
        .await
        .expect("tab");
    bob.row(&name).await;
    bob.screenshot("accepted").await;

    // Alice reloads her page: project-b has accepted.
    alice.reload().await;
    let member = alice.row_with(&project_b, "Accepted").await;

    // She removes it; the dialog states the risk before anything happens.
    alice.click_in("Remove", Some(&member)).await;
    let dialog = alice.dialog().await;
    let says = dialog.text().await.expect("dialog text");
    assert!(
        says.contains("may fail to rebuild or migrate"),
        "the dialog states the risk: {says}"
    );
    alice.screenshot("remove-dialog").await;
    assert_eq!(
        OpenStack::members(REGION, &image).await.len(),
        1,
        "nothing removed before confirming"
    );
    alice.click_in("Remove member", Some(&dialog)).await;
    alice.see("It can no longer use this image").await;
    alice.no_row(&project_b).await;
    alice.screenshot("removed").await;
    assert!(OpenStack::members(REGION, &image).await.is_empty());

    alice.close().await;
    bob.close().await;
}

#[tokio::test]
async fn ui_bulk_accept_of_three_images() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let mut offers = Vec::new();
    for i in 1..=3 {
        let name = unique(&format!("ui-bulk-{i}"));
        let id = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
        OpenStack::share(REGION, &id, ("alice", "project-a"), "project-b").await;
        offers.push((name, id));
    }

    let mut bob = Browser::start(&app.base_url, "bulk-bob").await;
    bob.sign_in("bob", &password("bob"), "project-b").await;
    bob.follow("Shared with us").await;
    for (name, _) in &offers {
        bob.row(name).await;
        let check = bob.find("checkbox", &format!("Select {name}")).await;
        check.click().await.expect("select");
    }
    bob.see("3 selected").await;
    bob.screenshot("selected").await;
    bob.click("Accept selected").await;
    bob.screenshot("accepting").await;
    bob.see("Accepted 3 images.").await;
    for (name, _) in &offers {
        bob.no_row(name).await;
    }
    bob.screenshot("accepted").await;

    let api = app.sign_in("bob", "project-b").await;
    let accepted = api
        .images(&format!(
            "region={REGION}&owner=others&member_status=accepted"
        ))
        .await;
    for (name, id) in &offers {
        assert!(
            accepted.iter().any(|i| &i.id == id),
            "{name} is accepted in Glance"
        );
    }
    bob.close().await;
}

#[tokio::test]
async fn ui_errors_show_the_uis_words_for_their_code_in_the_page() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let mut b = Browser::start(&app.base_url, "errors").await;

    // A wrong password: the server says `unauthenticated`; the page says it for a sign-in.
    let wrong = app
        .client()
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": "not-her-password", "project": "project-a"}),
        )
        .await;
    wrong.error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let expected = "The username, password or domain is wrong, or this account cannot sign in \
                    to that project.";
    b.goto("/sign-in").await;
    b.fill("Username", "alice").await;
    b.fill("Password", "not-her-password").await;
    b.fill("Project", "project-a").await;
    b.click("Sign in").await;
    b.alert(expected).await;
    b.screenshot("wrong-password").await;

    // An image shared with project-b already.
    let name = unique("ui-errors");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
    OpenStack::share(REGION, &image, ("alice", "project-a"), "project-b").await;
    let project_b = project_id("project-b");

    b.sign_in("alice", &password("alice"), "project-a").await;
    b.goto(&format!("/images/{image}")).await;
    b.row_with(&project_b, "Pending").await;

    // Malformed IDs are named, and nothing is sent.
    b.fill("Project ID", "not-a-project, 1234").await;
    b.click("Add member").await;
    let said = b.alert("not project IDs").await;
    assert!(
        said.contains("not-a-project") && said.contains("1234"),
        "{said}"
    );
    b.screenshot("malformed-ids").await;

    // A duplicate member: `already_member`, in the UI's words, next to the field.
    let api = app.sign_in("alice", "project-a").await;
    let dup = api
        .post(
            &format!("/api/v1/images/{image}/members?region={REGION}"),
            &json!({"member_id": project_b}),
        )
        .await;
    dup.error(StatusCode::CONFLICT, "already_member");
    b.fill("Project ID", &project_b).await;
    b.click("Add member").await;
    b.alert("That project is a member of this image already.")
        .await;
    b.screenshot("duplicate-member").await;

    b.close().await;
}

#[tokio::test]
async fn ui_no_secret_within_the_pages_reach() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-secrets");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
    let alice_password = password("alice");

    let mut b = Browser::start(&app.base_url, "secrets").await;
    b.sign_in("alice", &alice_password, "project-a").await;
    b.row(&name).await;
    let on_list = b.readable_state().await;
    b.goto(&format!("/images/{image}")).await;
    b.see("Members").await;
    let on_detail = b.readable_state().await;

    // The CSRF token, as the page's own script could fetch it: not stored anywhere either.
    let csrf = b
        .js(
            "return fetch('/api/v1/session').then((r) => r.json()).then((s) => s.csrf_token);",
            vec![],
        )
        .await;
    let csrf = csrf.as_str().unwrap_or_default().to_owned();
    assert!(!csrf.is_empty());

    for (page, state) in [("My images", &on_list), ("image page", &on_detail)] {
        assert!(
            !state.contains(&alice_password),
            "the password is readable on {page}"
        );
        assert!(
            !state.contains("glimpse_session"),
            "the session cookie is readable on {page}"
        );
        // Keystone's Fernet tokens start so; none may reach the page.
        assert!(!state.contains("gAAAAA"), "a token is readable on {page}");
        assert!(
            !state.contains(&csrf),
            "the CSRF token is stored in the page on {page}"
        );
    }
    let cookie = b.js("return document.cookie", vec![]).await;
    assert_eq!(cookie, json!(""), "no cookie is readable by scripts");

    // After signing out, the page holds nothing of the session.
    b.click("Sign out").await;
    b.find("button", "Sign in").await;
    let after = b.readable_state().await;
    assert!(!after.contains(&alice_password));
    let me = b
        .js(
            "return fetch('/api/v1/session').then((r) => r.status);",
            vec![],
        )
        .await;
    assert_eq!(me, json!(401), "signed out for the server too");
    b.close().await;
}

/// Not a timed assertion: how long "My images" takes to show 200 images, printed (and
/// written to target/artifacts/ui-perf.txt) for people to follow over time.
#[tokio::test]
async fn ui_measure_my_images_with_200_images() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    const N: usize = 200;

    // 200 images of project-c, created straight in Glance a few at a time.
    let token = OpenStack::token("carol", "project-c").await;
    let prefix = unique("ui-perf");
    let mut ids = Vec::new();
    let started = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(8) {
        let created = futures::future::join_all(chunk.iter().map(|i| {
            let token = token.clone();
            let name = format!("{prefix}-{i:03}");
            async move {
                let (status, body) = OpenStack::glance(
                    REGION,
                    &token,
                    Method::POST,
                    "/v2/images",
                    Some(json!({"name": name, "visibility": "private",
                                "disk_format": "raw", "container_format": "bare"})),
                )
                .await;
                assert_eq!(status, 201, "create image: {body}");
                body["id"].as_str().expect("id").to_owned()
            }
        }))
        .await;
        ids.extend(created);
    }
    eprintln!(
        "created {N} images in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut b = Browser::start(&app.base_url, "perf-carol").await;
    b.sign_in("carol", &password("carol"), "project-c").await;

    // In-app navigation: from "Shared with us" to "My images" until the table has 200 rows.
    b.follow("Shared with us").await;
    b.see("Images other projects offer").await;
    let navigation = b
        .client
        .execute_async(
            r#"const [n, done] = arguments;
               const link = Array.from(document.querySelectorAll('a[href="/images"]'))
                 .find((a) => a.innerText.trim() === 'My images');
               const t0 = performance.now();
               link.click();
               const tick = () => {
                 const rows = document.querySelectorAll('#my-images tbody tr').length;
                 if (rows >= n) done(performance.now() - t0);
                 else if (performance.now() - t0 > 25000) done(-rows);
                 else requestAnimationFrame(tick);
               };
               tick();"#,
            vec![json!(N)],
        )
        .await
        .expect("measure navigation");
    b.screenshot("200-images").await;

    // A fresh page load of /images: from navigation start to 200 rows.
    b.goto("/images").await;
    let load = b
        .client
        .execute_async(
            r#"const [n, done] = arguments;
               const tick = () => {
                 const rows = document.querySelectorAll('#my-images tbody tr').length;
                 if (rows >= n) {
                   const wasm = performance.getEntriesByType('resource')
                     .find((e) => e.name.endsWith('.wasm'));
                   done({ rows_at_ms: performance.now(),
                          wasm_ms: wasm ? wasm.responseEnd - wasm.startTime : null,
                          wasm_bytes: wasm ? wasm.transferSize : null });
                 } else if (performance.now() > 30000) done({ rows_at_ms: -rows });
                 else requestAnimationFrame(tick);
               };
               tick();"#,
            vec![json!(N)],
        )
        .await
        .expect("measure load");

    let nav_ms = navigation.as_f64().unwrap_or(-1.0);
    let load_ms = load["rows_at_ms"].as_f64().unwrap_or(-1.0);
    assert!(
        nav_ms > 0.0 && load_ms > 0.0,
        "the table reached {N} rows (navigation {navigation}, load {load})"
    );
    let report = format!(
        "UI perf: \"My images\" with {N} images: in-app navigation {nav_ms:.0} ms; \
         full page load {load_ms:.0} ms (wasm download {} ms, {} bytes on the wire)",
        fmt_num(&load["wasm_ms"]),
        fmt_num(&load["wasm_bytes"]),
    );
    println!("{report}");
    let _ = std::fs::write(
        screenshot_dir()
            .parent()
            .expect("artifacts dir")
            .join("ui-perf.txt"),
        format!("{report}\n"),
    );
    b.close().await;

    // Leave project-c as it was.
    let deadline = Instant::now() + Duration::from_secs(120);
    for chunk in ids.chunks(8) {
        futures::future::join_all(chunk.iter().map(|id| {
            let token = token.clone();
            async move {
                OpenStack::glance(
                    REGION,
                    &token,
                    Method::DELETE,
                    &format!("/v2/images/{id}"),
                    None,
                )
                .await;
            }
        }))
        .await;
        if Instant::now() > deadline {
            break;
        }
    }
}

fn fmt_num(v: &Value) -> String {
    v.as_f64()
        .map(|n| format!("{n:.0}"))
        .unwrap_or_else(|| "?".into())
}

/// The server's `rate_limited` (429, `retry_after`) in the person's words on the sign-in page:
/// how long to wait, from the seconds the server sends.
#[tokio::test]
async fn ui_too_many_sign_ins_say_how_long_to_wait() {
    require_ui();
    let _ui = ui_lock().await;
    let app = crate::harness::spawn_app_with(|c| {
        c.sign_in_limits = glimpse::config::SignInLimits {
            per_address: std::num::NonZeroU32::new(100).expect("non-zero"),
            per_user: std::num::NonZeroU32::new(2).expect("non-zero"),
        }
    })
    .await;
    let user = unique("nobody");
    let mut b = Browser::start(&app.base_url, "rate-limited").await;
    b.goto("/sign-in").await;
    b.fill("Username", &user).await;
    for _ in 0..2 {
        b.fill("Password", "wrong").await;
        b.click("Sign in").await;
        b.alert("The username, password or domain is wrong").await;
        // The next attempt's alert is a new one.
        b.wait_until("the sign-in to end", |c| async move {
            let v = c
                .execute(
                    "return !document.querySelector('button[type=submit]').disabled;",
                    vec![],
                )
                .await
                .ok()?;
            (v == Value::Bool(true)).then_some(())
        })
        .await;
    }
    b.fill("Password", "wrong").await;
    b.click("Sign in").await;
    let said = b.alert("Too many sign-in attempts. Try again in").await;
    let wait = said
        .trim()
        .strip_prefix("Too many sign-in attempts. Try again in ")
        .and_then(|rest| {
            rest.strip_suffix(" seconds.")
                .or_else(|| rest.strip_suffix(" second."))
        })
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        wait.is_some_and(|s| (1..=60).contains(&s)),
        "how long, in seconds: {said:?}"
    );
    b.screenshot("rate-limited").await;
    b.close().await;
}
