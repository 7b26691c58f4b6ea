//! Access history in a real browser: alice's audit page says when the last snapshot was taken,
//! and its Changes view (the last two snapshots by default) shows, under her image, the member
//! added outside Glimpse (marked so) and the one she removed through Glimpse (linked to its
//! activity event), with a CSV export of the same comparison.
//!
//! Needs the built UI (`cargo xtask build-ui`; `cargo xtask test` builds it): fails without it.

use json::SnapshotList;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{OpenStack, cloud, project_id, spawn_app, unique};

const REGION: &str = "RegionOne";

/// The texts of the Changes table's rows under the image group that shows `image`.
const GROUP: &str = "const rows = Array.from(document.querySelectorAll('#changes-table tbody tr')); \
     const out = []; let inside = false; \
     for (const tr of rows) { \
       if (tr.classList.contains('group')) { inside = tr.innerText.includes(arguments[0]); continue; } \
       if (inside) out.push(tr.innerText.replace(/\\s+/g, ' ').trim()); } \
     return out;";

#[tokio::test]
async fn ui_alice_reads_what_changed_since_her_last_audit() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let tag = unique("ui-history");
    let (b_id, c_id) = (project_id("project-b"), project_id("project-c"));
    let name = format!("{tag}-img");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
    OpenStack::share(REGION, &image, ("alice", "project-a"), "project-b").await;

    // Snapshot 1, over the API; then project-c added straight in Glance (outside Glimpse),
    // and project-b removed through Glimpse.
    let api = app.sign_in("alice", "project-a").await;
    let r = api.get("/api/v1/audit/access?format=json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    OpenStack::share(REGION, &image, ("alice", "project-a"), "project-c").await;
    let r = api
        .delete(&format!(
            "/api/v1/images/{image}/members/{b_id}?region={REGION}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // The page's own audit is snapshot 2.
    let mut b = Browser::start(&app.base_url, "history-alice").await;
    let password = cloud().seed().user("alice").password.clone();
    b.sign_in("alice", &password, "project-a").await;
    b.follow("Access audit").await;
    b.see("Audit complete.").await;
    b.see("Last snapshot taken").await;
    let snapshots: SnapshotList = api.get("/api/v1/audit/snapshots").await.json();
    assert_eq!(snapshots.snapshots.len(), 2, "{snapshots:?}");

    b.js("document.getElementById('changes').open = true;", vec![])
        .await;
    let (name_c, b_c, c_c) = (name.clone(), b_id.clone(), c_id.clone());
    let rows: Vec<String> = b
        .wait_until("the image's changes", move |c| {
            let (name, b_id, c_id) = (name_c.clone(), b_c.clone(), c_c.clone());
            async move {
                let v = c.execute(GROUP, vec![json!(name)]).await.ok()?;
                let rows: Vec<String> = serde_json::from_value(v).ok()?;
                let has = |id: &str| rows.iter().any(|r| r.contains(id));
                (has(&b_id) && has(&c_id)).then_some(rows)
            }
        })
        .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let added = rows.iter().find(|r| r.contains(&c_id)).unwrap();
    assert!(
        added.starts_with("Added") && added.contains("Made outside Glimpse"),
        "{added}"
    );
    let removed = rows.iter().find(|r| r.contains(&b_id)).unwrap();
    assert!(
        removed.starts_with("Removed") && removed.contains("1 activity event"),
        "{removed}"
    );
    b.screenshot("changes").await;
    b.assert_accessible("Access audit, Changes").await;

    // The CSV export is this comparison.
    let from = snapshots.snapshots[1].id;
    let hrefs = b
        .js(
            "return Array.from(document.querySelectorAll('#changes a[download]')).map((a) => a.href);",
            vec![],
        )
        .await;
    let href = hrefs[0].as_str().unwrap_or_default().to_owned();
    assert!(
        href.contains(&format!("from={from}")) && href.contains("format=csv"),
        "{href}"
    );
    let csv = b
        .js(
            "return fetch(arguments[0]).then((r) => r.text());",
            vec![json!(href)],
        )
        .await;
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("change,region,image_id"), "{csv}");
    assert!(csv.contains(&format!("removed,{REGION},{image}")), "{csv}");

    // The explained change leads to its event in the activity log.
    let href = b
        .js(
            "const a = Array.from(document.querySelectorAll('#changes-table a.events')) \
               .find((a) => a.href.includes(arguments[0])); \
             if (!a) return null; a.click(); return a.href;",
            vec![json!(image)],
        )
        .await;
    assert!(
        href.as_str()
            .is_some_and(|h| h.contains("/activity?image=")),
        "{href}"
    );
    b.see("Removed member").await;
    b.see(&name).await;
    b.close().await;
}
