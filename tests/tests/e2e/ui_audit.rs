//! The audit pages in a real browser: carol, in project-a and project-c, reads the access
//! audit (the matrix of images and member projects, the unprotected image in use, the
//! unverified member, the progress bar, the filters and the export links); alice finds her
//! changes, a failed one included, in the activity log and narrows it down; and with a
//! region down, the audit says so and shows the rest.
//!
//! Needs the built UI (`cargo xtask build-ui`; `cargo xtask test` builds it): fails without it.

use devcloud::{DevCloud, Service};
use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{
    OpenStack, cloud, project_id, service, spawn_app, spawn_app_exclusive, unique,
};

const REGION: &str = "RegionOne";

fn password(user: &str) -> String {
    cloud().seed().user(user).password.clone()
}

/// The member project's own decision, straight in Glance.
async fn decide(image: &str, user: &str, project: &str, status: &str) {
    let token = OpenStack::token(user, project).await;
    let (code, body) = OpenStack::glance(
        REGION,
        &token,
        Method::PUT,
        &format!("/v2/images/{image}/members/{}", project_id(project)),
        Some(json!({ "status": status })),
    )
    .await;
    assert_eq!(code, 200, "{body}");
}

async fn set_protected(image: &str, owner: (&str, &str), protected: bool) {
    let token = OpenStack::token(owner.0, owner.1).await;
    let (code, body) = OpenStack::glance(
        REGION,
        &token,
        Method::PATCH,
        &format!("/v2/images/{image}"),
        Some(json!([{"op": "replace", "path": "/protected", "value": protected}])),
    )
    .await;
    assert_eq!(code, 200, "{body}");
}

/// Waits until the access matrix shows `text` for `image` (a row, by its text) under the
/// member column whose tooltip is `member` (the full project ID).
async fn cell_says(b: &mut Browser, image: &str, member: &str, text: &str) {
    let what = format!("{image:?} × {member} to say {text:?}");
    let (image, member, text) = (image.to_owned(), member.to_owned(), text.to_owned());
    let script = CELL.to_owned();
    b.wait_until(&what, |c| {
        let (image, member, text, script) =
            (image.clone(), member.clone(), text.clone(), script.clone());
        async move {
            let v = c
                .execute(&script, vec![json!(image), json!(member)])
                .await
                .ok()?;
            (v.as_str() == Some(text.as_str())).then_some(())
        }
    })
    .await
}

const CELL: &str = "const [image, member] = arguments; \
     const table = document.getElementById('access-matrix'); \
     if (!table) return null; \
     const col = Array.from(table.querySelectorAll('thead th')) \
       .findIndex((th) => th.title === member); \
     const row = Array.from(table.querySelectorAll('tbody tr')) \
       .find((tr) => tr.innerText.includes(image)); \
     if (col < 0 || !row) return null; \
     return row.children[col].innerText.replace(/\\s+/g, ' ').trim();";

/// Waits until the audit has run to its end: the progress bar full, "Audit complete." said.
async fn audit_complete(b: &mut Browser) {
    b.wait_until("the audit to complete", |c| async move {
        let v = c
            .execute(
                "const p = document.querySelector('progress[aria-label=\"Audit progress\"]'); \
                 if (!p) return null; \
                 const done = document.body.innerText.includes('Audit complete.'); \
                 return done && p.max > 0 && p.value === p.max ? [p.value, p.max] : null;",
                vec![],
            )
            .await
            .ok()?;
        (!v.is_null()).then_some(())
    })
    .await
}

async fn href(b: &mut Browser, link: &str) -> String {
    let el = b.find("link", link).await;
    el.prop("href")
        .await
        .expect("href")
        .unwrap_or_else(|| panic!("{link} has an href"))
}

/// Fetches `url` from the page (the browser's session cookie goes with it).
async fn fetch_text(b: &Browser, url: &str) -> String {
    let v = b
        .js(
            "return fetch(arguments[0]).then((r) => r.text());",
            vec![json!(url)],
        )
        .await;
    v.as_str().unwrap_or_default().to_owned()
}

/// The texts of the activity table's rows.
async fn activity_rows(b: &Browser) -> Vec<String> {
    let v = b
        .js(
            "const t = document.getElementById('activity'); \
             return t ? Array.from(t.querySelectorAll('tbody tr')) \
               .map((tr) => tr.innerText.replace(/\\s+/g, ' ').trim()) : [];",
            vec![],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// Waits until the activity table's rows satisfy `ok`, and returns them.
async fn activity_until(
    b: &mut Browser,
    what: &str,
    ok: impl Fn(&[String]) -> bool + Clone,
) -> Vec<String> {
    b.wait_until(what, |c| {
        let ok = ok.clone();
        async move {
            let v = c
                .execute(
                    "const t = document.getElementById('activity'); \
                     return t ? Array.from(t.querySelectorAll('tbody tr')) \
                       .map((tr) => tr.innerText.replace(/\\s+/g, ' ').trim()) : [];",
                    vec![],
                )
                .await
                .ok()?;
            let rows: Vec<String> = serde_json::from_value(v).ok()?;
            ok(&rows).then_some(rows)
        }
    })
    .await
}

#[tokio::test]
async fn ui_carol_reads_the_access_audit() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let tag = unique("ui-audit");
    let (project_a, project_b, project_c) = (
        project_id("project-a"),
        project_id("project-b"),
        project_id("project-c"),
    );

    // project-a's image: b pending, c accepted, and a mistyped member. Not protected: at risk.
    let open_name = format!("{tag}-open");
    let open = OpenStack::image(REGION, "alice", "project-a", &open_name, "shared").await;
    OpenStack::share(REGION, &open, ("alice", "project-a"), "project-b").await;
    OpenStack::share(REGION, &open, ("alice", "project-a"), "project-c").await;
    decide(&open, "carol", "project-c", "accepted").await;
    let junk = uuid::Uuid::new_v4().simple().to_string();
    let token = OpenStack::token("alice", "project-a").await;
    let (code, body) = OpenStack::glance(
        REGION,
        &token,
        Method::POST,
        &format!("/v2/images/{open}/members"),
        Some(json!({ "member": junk })),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    // project-c's image: a accepted, b rejected. Protected: not at risk.
    let kept_name = format!("{tag}-kept");
    let kept = OpenStack::image(REGION, "carol", "project-c", &kept_name, "shared").await;
    OpenStack::share(REGION, &kept, ("carol", "project-c"), "project-a").await;
    OpenStack::share(REGION, &kept, ("carol", "project-c"), "project-b").await;
    decide(&kept, "alice", "project-a", "accepted").await;
    decide(&kept, "bob", "project-b", "rejected").await;
    set_protected(&kept, ("carol", "project-c"), true).await;

    let mut b = Browser::start(&app.base_url, "audit-carol").await;
    b.sign_in("carol", &password("carol"), "project-a").await;
    b.follow("Access audit").await;
    b.see("rejecting is not revoking").await;
    audit_complete(&mut b).await;

    // The matrix: each image with its members and their statuses.
    cell_says(&mut b, &open_name, &project_b, "Pending").await;
    cell_says(&mut b, &open_name, &project_c, "Accepted").await;
    cell_says(&mut b, &open_name, &junk, "Pending").await;
    cell_says(&mut b, &kept_name, &project_a, "Accepted").await;
    cell_says(&mut b, &kept_name, &project_b, "Rejected").await;
    cell_says(&mut b, &kept_name, &project_c, "Not a member").await;
    let open_row = b.row_with(&open_name, "Not protected").await;
    let text = open_row.text().await.expect("row text");
    assert!(
        text.contains("project-a") && text.contains(REGION),
        "{text}"
    );
    let kept_row = b.row(&kept_name).await;
    let text = kept_row.text().await.expect("row text");
    assert!(!text.contains("Not protected"), "a protected image: {text}");
    // The summary counts the risky images (other tests' images may add to the count).
    b.see("not protected.").await;
    // The mistyped member is flagged, in its column and in words.
    let header = b
        .js(
            "return Array.from(document.querySelectorAll('#access-matrix thead th')) \
               .filter((th) => th.title === arguments[0]).map((th) => th.innerText).join('|');",
            vec![json!(junk)],
        )
        .await;
    assert!(
        header
            .as_str()
            .unwrap_or_default()
            .contains("Unverified project"),
        "the junk member's column: {header}"
    );
    b.see("OpenStack never checks member IDs").await;
    b.see(&junk).await;
    b.screenshot("matrix").await;

    // Export links carry the filters; the CSV is this audit.
    // The header has its own "Region" (where My images looks): the page's is in <main>.
    let main = b.client.find(Locator::Css("main")).await.expect("main");
    b.choose_in("Status", "Accepted", Some(&main)).await;
    b.choose_in("Region", REGION, Some(&main)).await;
    audit_complete(&mut b).await;
    cell_says(&mut b, &open_name, &project_c, "Accepted").await;
    cell_says(&mut b, &kept_name, &project_a, "Accepted").await;
    b.wait_until("the pending and rejected members to leave", |c| {
        let (open_name, kept_name, project_b) =
            (open_name.clone(), kept_name.clone(), project_b.clone());
        async move {
            for image in [&open_name, &kept_name] {
                let v = c
                    .execute(CELL, vec![json!(image), json!(project_b)])
                    .await
                    .ok()?;
                if matches!(v.as_str(), Some("Pending" | "Rejected")) {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;
    for (link, format) in [("Export CSV", "csv"), ("Export JSON", "json")] {
        let url = href(&mut b, link).await;
        for part in [
            format!("format={format}"),
            "status=accepted".to_owned(),
            format!("region={REGION}"),
        ] {
            assert!(url.contains(&part), "{link} carries {part}: {url}");
        }
    }
    let csv_url = href(&mut b, "Export CSV").await;
    let csv = fetch_text(&b, &csv_url).await;
    assert!(csv.starts_with("region,image_id,"), "{csv}");
    let ours: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(&open) || l.contains(&kept))
        .collect();
    assert_eq!(ours.len(), 2, "the two accepted memberships: {ours:?}");
    assert!(ours.iter().all(|l| l.contains(",accepted,")), "{ours:?}");
    let json_url = href(&mut b, "Export JSON").await;
    let json: Value = serde_json::from_str(&fetch_text(&b, &json_url).await).expect("JSON export");
    assert!(json["rows"].as_array().is_some_and(|rows| {
        rows.iter()
            .all(|r| r["status"] == "accepted" && r["region"] == REGION)
    }));
    b.screenshot("filtered").await;

    // The owner filter's choices are the owners seen: only project-c's image is left.
    b.choose("Owner project", "project-c").await;
    audit_complete(&mut b).await;
    b.row(&kept_name).await;
    b.no_row(&open_name).await;
    assert!(
        href(&mut b, "Export CSV")
            .await
            .contains(&format!("owner={project_c}"))
    );
    b.screenshot("owner-c").await;
    b.close().await;

    set_protected(&kept, ("carol", "project-c"), false).await;
}

#[tokio::test]
async fn ui_alice_finds_her_changes_in_the_activity_log() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-activity");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "private").await;
    let project_b = project_id("project-b");

    // Through the API: made shared, a member added, the same member again (a failure).
    let api = app.sign_in("alice", "project-a").await;
    let r = api
        .patch(
            &format!("/api/v1/images/{image}?region={REGION}"),
            &json!({"visibility": "shared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let members = format!("/api/v1/images/{image}/members?region={REGION}");
    let r = api.post(&members, &json!({"member_id": project_b})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let dup = api.post(&members, &json!({"member_id": project_b})).await;
    dup.error(StatusCode::CONFLICT, "already_member");
    let dup_request = dup.headers["x-request-id"]
        .to_str()
        .expect("request id")
        .to_owned();

    let mut b = Browser::start(&app.base_url, "activity-alice").await;
    b.sign_in("alice", &password("alice"), "project-a").await;
    b.follow("Activity").await;
    // Newest first, her changes among them.
    let rows = activity_until(&mut b, "alice's changes in the log", |rows| {
        rows.iter().filter(|r| r.contains(&name)).count() >= 3
    })
    .await;
    let ours: Vec<&String> = rows.iter().filter(|r| r.contains(&name)).collect();
    assert!(
        ours[0].contains("Added member") && ours[0].contains("Failed already_member"),
        "the newest: {}",
        ours[0]
    );
    assert!(
        ours[0].contains(&dup_request),
        "its request id: {}",
        ours[0]
    );
    assert!(ours[0].contains(&project_b), "the member: {}", ours[0]);
    assert!(
        ours[1].contains("Added member") && ours[1].contains("OK"),
        "{}",
        ours[1]
    );
    assert!(
        ours[2].contains("Made shared") && ours[2].contains("OK"),
        "{}",
        ours[2]
    );
    for row in &ours {
        assert!(
            row.contains("alice") && row.contains("project-a") && row.contains(REGION),
            "{row}"
        );
    }
    b.screenshot("log").await;

    // Narrowed to the image, then to the failures.
    b.fill("Image", &image).await;
    b.click("Apply filters").await;
    activity_until(&mut b, "only this image's changes", |rows| {
        rows.len() == 3 && rows.iter().all(|r| r.contains(&image))
    })
    .await;
    b.choose("Outcome", "Failed (any error)").await;
    let rows = activity_until(&mut b, "only the failure", |rows| {
        rows.len() == 1 && rows[0].contains("already_member")
    })
    .await;
    assert!(!rows[0].contains("OK"), "{}", rows[0]);
    let csv_url = href(&mut b, "Export CSV").await;
    for part in [
        "format=csv".to_owned(),
        "outcome=failed".to_owned(),
        format!("image={image}"),
    ] {
        assert!(
            csv_url.contains(&part),
            "the export carries {part}: {csv_url}"
        );
    }
    let csv = fetch_text(&b, &csv_url).await;
    assert_eq!(
        csv.lines().filter(|l| l.contains(&image)).count(),
        1,
        "{csv}"
    );
    assert!(csv.contains("already_member"), "{csv}");
    b.screenshot("failed-only").await;

    // Page by page (two a page, as a bookmarked address may ask): "Load more" brings the rest.
    b.goto(&format!("/activity?image={image}&limit=2")).await;
    activity_until(&mut b, "the first page", |rows| rows.len() == 2).await;
    b.click("Load more").await;
    let rows = activity_until(&mut b, "the second page", |rows| rows.len() == 3).await;
    assert!(rows[2].contains("Made shared"), "oldest last: {rows:?}");
    b.wait_until("no more to load", |c| async move {
        let v = c
            .execute(
                "return Array.from(document.querySelectorAll('button')) \
                   .some((el) => el.innerText.trim() === 'Load more');",
                vec![],
            )
            .await
            .ok()?;
        (v == Value::Bool(false)).then_some(())
    })
    .await;
    b.screenshot("all-pages").await;

    // A filter the server refuses (`invalid_input` on `to`): the UI's words, next to "To".
    b.set_field("From", "2030-01-02T00:00").await;
    b.set_field("To", "2030-01-01T00:00").await;
    let said = b.alert("no earlier than").await;
    assert!(said.contains("“From”"), "{said}");
    let next_to_to = b
        .js(
            "const e = document.getElementById('filter-to-error'); return e ? e.innerText : '';",
            vec![],
        )
        .await;
    assert!(
        next_to_to
            .as_str()
            .unwrap_or_default()
            .contains("no earlier than"),
        "{next_to_to}"
    );
    b.screenshot("bad-dates").await;
    assert!(activity_rows(&b).await.is_empty());
    b.close().await;
}

/// Starts RegionTwo's Glance again when dropped, even if the test failed meanwhile.
struct RegionTwoBack;

impl Drop for RegionTwoBack {
    fn drop(&mut self) {
        if let Err(e) = cloud().start_service(&Service::glance("RegionTwo")) {
            eprintln!("could not start RegionTwo's Glance again: {e:#}");
        }
    }
}

#[tokio::test]
async fn ui_a_region_down_is_a_warning_and_the_rest_shows() {
    require_ui();
    let _ui = ui_lock().await;
    // Stops a real service: runs alone.
    let app = spawn_app_exclusive(|_| {}).await;
    let name = unique("ui-audit-partial");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
    OpenStack::share(REGION, &image, ("alice", "project-a"), "project-b").await;

    let mut b = Browser::start(&app.base_url, "audit-partial").await;
    b.sign_in("alice", &password("alice"), "project-a").await;
    service(DevCloud::stop_service, Service::glance("RegionTwo")).await;
    let back = RegionTwoBack;

    b.follow("Access audit").await;
    audit_complete(&mut b).await;
    let warning = b.alert("could not be audited").await;
    assert!(warning.contains("Region RegionTwo"), "{warning}");
    b.row_with(&name, "Pending").await;
    b.screenshot("region-down").await;
    b.close().await;
    drop(back);
}
