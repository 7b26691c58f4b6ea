//! Access history's store: snapshots per user, retention, and a comparison explained by the
//! events between two snapshots; and the measured save and diff of 10,000 rows.

use std::time::Instant;

use glimpse::activity::{ActivityLog, NewSnapshot};
use glimpse::config::ProjectDirectory;
use glimpse::directory::Directory;
use glimpse::history::{self, History, Recorder};
use json::{AccessRow, Action, AuditFailure, AuditMessage, MemberStatus, NamedRef, Visibility};

use super::{member, new_event};

fn row(region: &str, image: &str, member: &str, status: MemberStatus) -> AccessRow {
    AccessRow {
        region: region.into(),
        image_id: image.into(),
        image_name: Some(format!("{image}-name")),
        owner_id: "p-a".into(),
        owner_name: None,
        owner_name_seen: None,
        member_id: member.into(),
        member_name: None,
        member_name_seen: None,
        status,
        created_at: "2025-01-01T00:00:00Z".into(),
        updated_at: "2025-01-01T00:00:00Z".into(),
        visibility: Visibility::Shared,
        protected: false,
        member_known: true,
        seen_by: None,
    }
}

fn history_of(log: &ActivityLog, keep: u32) -> History {
    History::new(
        log.clone(),
        keep,
        Directory::new(log.clone(), ProjectDirectory::Related),
    )
}

/// A completed audit of p-a in both regions by `user`, with these rows and failures.
fn audit(user: &str, rows: Vec<AccessRow>, failures: Vec<AuditFailure>) -> NewSnapshot {
    let mut recorder = Recorder::new(
        user.into(),
        vec!["RegionOne".into(), "RegionTwo".into()],
        vec![NamedRef {
            id: "p-a".into(),
            name: "alpha".into(),
        }],
    );
    assert!(recorder.see(&AuditMessage::Rows { rows }).is_none());
    for failure in failures {
        assert!(recorder.see(&AuditMessage::Failure { failure }).is_none());
    }
    recorder
        .see(&AuditMessage::Done {
            rows: 0,
            failures: 0,
        })
        .expect("done: a snapshot")
}

/// Saved, listed newest first per user, loaded, and forgotten beyond `keep`.
pub async fn snapshots_and_retention(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let history = history_of(&log, 2);
    let first = history
        .save(audit(
            "u-ann",
            vec![row("RegionOne", "i", "p-b", MemberStatus::Pending)],
            vec![],
        ))
        .await
        .unwrap();
    let bobs = history.save(audit("u-bob", vec![], vec![])).await.unwrap();
    let down = AuditFailure {
        region: Some("RegionTwo".into()),
        project_id: None,
        project_name: None,
        seen_by: None,
        error: json::ErrorBody::new(json::ErrorCode::UpstreamUnavailable, "down"),
    };
    let second = history
        .save(audit("u-ann", vec![], vec![down]))
        .await
        .unwrap();
    let list = history.snapshots("u-ann").await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        [second, first]
    );
    assert_eq!(list[1].rows, 1);
    assert!(!list[1].partial);
    assert!(list[0].partial, "RegionTwo failed");
    assert_eq!(list[0].regions, ["RegionOne", "RegionTwo"]);
    assert_eq!(list[0].projects[0].name, "alpha");
    assert!(list[0].taken_at.ends_with('Z') && list[0].taken_at.len() == 27);

    let stored = log.snapshot("u-ann", Some(first)).await.unwrap().unwrap();
    let rows = history::unpack(&stored.packed).unwrap();
    assert_eq!(
        rows,
        vec![row("RegionOne", "i", "p-b", MemberStatus::Pending)]
    );
    assert!(
        log.snapshot("u-ann", Some(bobs)).await.unwrap().is_none(),
        "bob's"
    );
    assert_eq!(
        log.snapshot("u-ann", None)
            .await
            .unwrap()
            .unwrap()
            .summary
            .id,
        second,
        "the newest"
    );

    let third = history.save(audit("u-ann", vec![], vec![])).await.unwrap();
    let list = history.snapshots("u-ann").await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        [third, second],
        "keep 2"
    );
    assert_eq!(
        history.snapshots("u-bob").await.unwrap().len(),
        1,
        "per user"
    );
    log.close().await;
}

/// The removal explained by its event, the addition and rejection made outside Glimpse, and
/// the bad comparisons refused.
pub async fn changes_explained(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let history = history_of(&log, 50);
    let before = vec![
        row("RegionOne", "i1", "p-b", MemberStatus::Pending),
        row("RegionOne", "i1", "p-d", MemberStatus::Pending),
        row("RegionTwo", "i2", "p-b", MemberStatus::Accepted),
    ];
    let from = history.save(audit("u-ann", before, vec![])).await.unwrap();
    let removal = log
        .begin(member(new_event("p-a", Action::RemoveMember, "i1"), "p-d"))
        .await
        .unwrap();
    log.finish(removal, "ok").await.unwrap();
    // Another image's event explains nothing here.
    log.begin(member(new_event("p-a", Action::AddMember, "other"), "p-c"))
        .await
        .unwrap();
    let after = vec![
        row("RegionOne", "i1", "p-b", MemberStatus::Rejected),
        row("RegionOne", "i1", "p-c", MemberStatus::Pending),
        row("RegionTwo", "i2", "p-b", MemberStatus::Accepted),
    ];
    let to = history.save(audit("u-ann", after, vec![])).await.unwrap();

    let visible = vec!["p-a".to_string()];
    // Someone of p-c signed in once.
    let gamma = NamedRef {
        id: "p-c".into(),
        name: "gamma".into(),
    };
    log.remember_projects(
        &[(gamma, Some("default".into()))],
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let c = history
        .changes("u-ann", from, None, &visible)
        .await
        .unwrap();
    assert_eq!((c.from.id, c.to.id), (from, to));
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.added[0].member_id, "p-c");
    assert_eq!(c.added[0].member_name.as_deref(), Some("gamma"));
    assert!(c.added[0].member_name_seen.is_some(), "marked as learned");
    assert_eq!(c.removed[0].member_name, None, "p-d never signed in");
    assert_eq!(c.added[0].owner_name.as_deref(), Some("alpha"));
    assert!(c.added[0].outside_glimpse);
    assert_eq!(c.removed.len(), 1);
    assert_eq!(c.removed[0].member_id, "p-d");
    assert!(!c.removed[0].outside_glimpse);
    assert_eq!(
        c.removed[0].events.iter().map(|e| e.id).collect::<Vec<_>>(),
        [removal]
    );
    assert_eq!(c.changed.len(), 1);
    assert_eq!(c.changed[0].fields[0].after, "rejected");
    assert!(c.changed[0].outside_glimpse);
    assert!(c.unknown.is_empty());

    let csv = history::changes_csv(&c).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(&format!(",false,{removal}\r\n")), "{csv}");

    assert!(matches!(
        history.changes("u-ann", to, Some(from), &visible).await,
        Err(history::Error::FromNewerThanTo { .. })
    ));
    assert!(matches!(
        history.changes("u-bob", from, None, &visible).await,
        Err(history::Error::NotFound(_))
    ));
    assert!(matches!(
        history
            .changes("u-ann", from, Some(to + 100), &visible)
            .await,
        Err(history::Error::NotFound(Some(_)))
    ));
    log.close().await;
}

/// A snapshot of 10,000 rows (500 images × 20 members, two regions) saved, then diffed
/// against one that differs in 1% of its rows. Measured, printed, not asserted on time.
pub async fn ten_thousand_rows(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let history = history_of(&log, 50);
    let rows = |changed_every: usize| -> Vec<AccessRow> {
        (0..10_000)
            .map(|i| {
                let region = if i % 2 == 0 { "RegionOne" } else { "RegionTwo" };
                let mut r = row(
                    region,
                    &format!("{:08x}-0000-4000-8000-{:012x}", i / 20, i / 20),
                    &format!("{:032x}", i % 20 + 1),
                    MemberStatus::Accepted,
                );
                r.created_at = format!("2025-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60);
                if changed_every > 0 && i % changed_every == 0 {
                    r.status = MemberStatus::Rejected;
                }
                r
            })
            .collect()
    };
    let (first, second) = (rows(0), rows(100));

    let started = Instant::now();
    let snapshot = audit("u-ann", first, vec![]);
    let packed = snapshot.packed.len();
    let from = history.save(snapshot).await.unwrap();
    let save = started.elapsed();
    let to = history.save(audit("u-ann", second, vec![])).await.unwrap();

    let started = Instant::now();
    let c = history
        .changes("u-ann", from, Some(to), &["p-a".into()])
        .await
        .unwrap();
    let compare = started.elapsed();
    assert_eq!(c.changed.len(), 100);
    assert!(c.added.is_empty() && c.removed.is_empty());
    eprintln!(
        "MEASURED {}: 10,000-row snapshot packed to {packed} bytes; record+pack+save {:?}; load+unpack+diff+explain {:?}",
        log.store(),
        save,
        compare
    );
    log.close().await;
}
