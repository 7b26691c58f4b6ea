//! The access audit equals the truth in Glance, across projects and regions; its exports agree.

use std::collections::BTreeSet;

use json::{AccessAudit, AuditMessage, MemberDecision, MemberStatus};
use reqwest::{Method, StatusCode};

use crate::harness::{OpenStack, project_id, spawn_app, unique};

/// (region, image id, member id, status)
type Access = (String, String, String, String);

/// Glance's truth for these images, read as admin.
async fn truth(images: &[(&str, &str)]) -> BTreeSet<Access> {
    let mut all = BTreeSet::new();
    for (region, image) in images {
        for (member, status) in OpenStack::members(region, image).await {
            all.insert((region.to_string(), image.to_string(), member, status));
        }
    }
    all
}

fn of(rows: &[json::AccessRow], images: &[(&str, &str)]) -> BTreeSet<Access> {
    rows.iter()
        .filter(|r| images.iter().any(|(_, id)| *id == r.image_id))
        .map(|r| {
            (
                r.region.clone(),
                r.image_id.clone(),
                r.member_id.clone(),
                r.status.to_string(),
            )
        })
        .collect()
}

async fn decide(region: &str, image: &str, user: &str, project: &str, status: &str) {
    let token = OpenStack::token(user, project).await;
    let (code, body) = OpenStack::glance(
        region,
        &token,
        Method::PUT,
        &format!("/v2/images/{image}/members/{}", project_id(project)),
        Some(serde_json::json!({ "status": status })),
    )
    .await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test]
async fn the_audit_equals_the_truth_in_glance() {
    let app = spawn_app().await;
    let tag = unique("audit");
    // RegionOne: project-a's image shared with b (pending) and c (accepted).
    let a1 = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &format!("{tag}-a1"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &a1, ("alice", "project-a"), "project-b").await;
    OpenStack::share("RegionOne", &a1, ("alice", "project-a"), "project-c").await;
    decide("RegionOne", &a1, "carol", "project-c", "accepted").await;
    // RegionOne: project-b's image shared with c (rejected) and a (pending).
    let b1 = OpenStack::image(
        "RegionOne",
        "bob",
        "project-b",
        &format!("{tag}-b1"),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &b1, ("bob", "project-b"), "project-c").await;
    OpenStack::share("RegionOne", &b1, ("bob", "project-b"), "project-a").await;
    decide("RegionOne", &b1, "carol", "project-c", "rejected").await;
    // RegionTwo: project-c's image shared with a, and with a mistyped id.
    let c2 = OpenStack::image(
        "RegionTwo",
        "carol",
        "project-c",
        &format!("{tag}-c2"),
        "shared",
    )
    .await;
    OpenStack::share("RegionTwo", &c2, ("carol", "project-c"), "project-a").await;
    let junk = "0123456789abcdef0123456789abcdef";
    let token = OpenStack::token("carol", "project-c").await;
    OpenStack::glance(
        "RegionTwo",
        &token,
        Method::POST,
        &format!("/v2/images/{c2}/members"),
        Some(serde_json::json!({"member": junk})),
    )
    .await;
    // A private image has no members, so no rows.
    let private = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &format!("{tag}-p"),
        "private",
    )
    .await;
    let images = [
        ("RegionOne", a1.as_str()),
        ("RegionOne", b1.as_str()),
        ("RegionTwo", c2.as_str()),
        ("RegionOne", private.as_str()),
    ];

    // carol is in project-a and project-c: she sees all of it, from both sides.
    let carol = app.sign_in("carol", "project-a").await;
    let r = carol.get("/api/v1/audit/access?format=json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit: AccessAudit = r.json();
    assert!(audit.failures.is_empty(), "{:?}", audit.failures);
    // An export comes sorted (by region, image name, image, member), though written as read.
    assert!(
        audit.rows.is_sorted_by_key(|r| (
            r.region.clone(),
            r.image_name.clone(),
            r.image_id.clone(),
            r.member_id.clone()
        )),
        "the rows are in the exports' order"
    );
    let expected = truth(&images).await;
    assert_eq!(expected.len(), 6);
    assert_eq!(of(&audit.rows, &images), expected);

    // Names where carol can know them; the typo flagged; project-b vouched for as an owner.
    let row = |image: &str, member: &str| {
        audit
            .rows
            .iter()
            .find(|r| r.image_id == image && r.member_id == member)
            .expect("row")
    };
    assert_eq!(
        row(&a1, &project_id("project-c")).member_name.as_deref(),
        Some("project-c")
    );
    assert_eq!(
        row(&a1, &project_id("project-c")).owner_name.as_deref(),
        Some("project-a")
    );
    assert_eq!(
        row(&b1, &project_id("project-c")).owner_name,
        None,
        "carol has no role in project-b"
    );
    assert!(
        !row(&c2, junk).member_known,
        "a typo nobody can resolve is flagged"
    );
    assert!(row(&a1, &project_id("project-b")).member_known);
    assert_eq!(
        row(&b1, &project_id("project-c")).status,
        MemberStatus::Rejected
    );

    // alice (project-a only) sees her image's members, and b1 only through her own membership.
    let alice = app.sign_in("alice", "project-a").await;
    let audit: AccessAudit = alice.get("/api/v1/audit/access?format=json").await.json();
    let seen = of(&audit.rows, &images);
    assert!(seen.contains(&(
        "RegionOne".into(),
        a1.clone(),
        project_id("project-b"),
        "pending".into()
    )));
    assert!(seen.contains(&(
        "RegionOne".into(),
        b1.clone(),
        project_id("project-a"),
        "pending".into()
    )));
    assert!(
        !seen
            .iter()
            .any(|(_, img, m, _)| *img == b1 && *m == project_id("project-c")),
        "not another member's membership"
    );
    assert!(seen.contains(&(
        "RegionTwo".into(),
        c2.clone(),
        project_id("project-a"),
        "pending".into()
    )));

    // Filters.
    let audit: AccessAudit = carol
        .get(&format!(
            "/api/v1/audit/access?format=json&member={}&status=pending",
            project_id("project-b")
        ))
        .await
        .json();
    assert!(
        audit
            .rows
            .iter()
            .all(|r| r.member_id == project_id("project-b") && r.status == MemberStatus::Pending)
    );
    assert!(audit.rows.iter().any(|r| r.image_id == a1));
    let audit: AccessAudit = carol
        .get("/api/v1/audit/access?format=json&region=RegionTwo")
        .await
        .json();
    assert!(audit.rows.iter().all(|r| r.region == "RegionTwo"));
    carol
        .get("/api/v1/audit/access?region=Atlantis")
        .await
        .error(StatusCode::BAD_REQUEST, "unknown_region");
    carol
        .get("/api/v1/audit/access?status=maybe")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_input");

    // A decision changes the audit.
    let r = carol
        .put(
            "/api/v1/session/project",
            &serde_json::json!({"project_id": project_id("project-c")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = carol
        .put(
            &format!(
                "/api/v1/images/{b1}/members/{}?region=RegionOne",
                project_id("project-c")
            ),
            &MemberDecision {
                status: MemberStatus::Accepted,
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit: AccessAudit = carol.get("/api/v1/audit/access?format=json").await.json();
    assert_eq!(of(&audit.rows, &images), truth(&images).await);
}

#[tokio::test]
async fn exports_and_the_stream_agree() {
    let app = spawn_app().await;
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("export, \"quoted\""),
        "shared",
    )
    .await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-b").await;
    let alice = app.sign_in("alice", "project-a").await;

    let json: AccessAudit = alice.get("/api/v1/audit/access?format=json").await.json();
    assert!(json.rows.iter().any(|r| r.image_id == image));

    let r = alice.get("/api/v1/audit/access?format=csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(r.body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "region",
            "image_id",
            "image_name",
            "owner_id",
            "owner_name",
            "member_id",
            "member_name",
            "status",
            "created_at",
            "updated_at",
            "seen_by"
        ]
    );
    // Other tests change other images meanwhile: compare this test's image only.
    let csv_rows: BTreeSet<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .filter(|r| r[1] == image)
        .collect();
    let json_rows: BTreeSet<Vec<String>> = json
        .rows
        .iter()
        .filter(|r| r.image_id == image)
        .map(|r| {
            vec![
                r.region.clone(),
                r.image_id.clone(),
                r.image_name.clone().unwrap_or_default(),
                r.owner_id.clone(),
                r.owner_name.clone().unwrap_or_default(),
                r.member_id.clone(),
                r.member_name.clone().unwrap_or_default(),
                r.status.to_string(),
                r.created_at.clone(),
                r.updated_at.clone(),
                r.seen_by.clone().unwrap_or_default(),
            ]
        })
        .collect();
    assert_eq!(csv_rows.len(), 1);
    assert_eq!(csv_rows, json_rows);

    // The stream: progress, rows, then done with the same count.
    let r = alice.get("/api/v1/audit/access").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/x-ndjson");
    let messages: Vec<AuditMessage> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("one message per line"))
        .collect();
    let streamed: Vec<&json::AccessRow> = messages
        .iter()
        .flat_map(|m| match m {
            AuditMessage::Rows { rows } => rows.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    assert!(streamed.iter().any(|r| r.image_id == image));
    match messages.last() {
        Some(AuditMessage::Done { rows, failures }) => {
            assert_eq!((*rows, *failures), (streamed.len(), 0))
        }
        other => panic!("the stream ends with done: {other:?}"),
    }
    let last_progress = messages.iter().rev().find_map(|m| match m {
        AuditMessage::Progress { done, total } => Some((*done, *total)),
        _ => None,
    });
    let (done, total) = last_progress.expect("progress");
    assert_eq!(done, total, "every call accounted for");
    assert!(
        total >= 3,
        "a list per region, then the member lists: {total}"
    );
}
