//! Reconciliation without a credential of Glimpse's own: an intent left unfinished for longer
//! than the grace is closed as `interrupted`, timed when that was decided; a younger one may
//! still be in flight and is left alone. (With a credential, Glance's state decides: that is
//! the end-to-end `kill -9` test.)

use std::time::Duration;

use glimpse::activity::{ActivityLog, EventFilter};
use glimpse::changes::reconcile::Reconciler;
use glimpse::openstack::keystone::Keystone;
use json::{Action, outcome};
use time::OffsetDateTime;

use super::{all, new_event, parse_time};

pub async fn without_a_credential_unfinished_changes_are_interrupted(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let http = reqwest::Client::new();
    let reconciler = |grace| Reconciler {
        log: log.clone(),
        // Never called without a credential.
        keystone: Keystone::new(http.clone(), "http://127.0.0.1:9/v3").unwrap(),
        http: http.clone(),
        credential: None,
        interface: "public".into(),
        grace,
    };
    let abandoned = log
        .begin(new_event("p-a", Action::Protect, "img-1"))
        .await
        .unwrap();
    let finished = log
        .begin(new_event("p-a", Action::AddMember, "img-1"))
        .await
        .unwrap();
    log.finish(finished, "already_member").await.unwrap();

    assert_eq!(
        reconciler(Duration::from_secs(3600)).pass().await.unwrap(),
        0,
        "in flight"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let decided_after = OffsetDateTime::now_utc();
    assert_eq!(
        reconciler(Duration::from_millis(10)).pass().await.unwrap(),
        1
    );
    assert_eq!(reconciler(Duration::ZERO).pass().await.unwrap(), 0, "once");

    let events = all(&log, EventFilter::default(), &["p-a"]).await;
    let event = |id| events.iter().find(|e| e.id == id).expect("event");
    assert_eq!(
        event(abandoned).outcome.as_deref(),
        Some(outcome::INTERRUPTED)
    );
    let at = parse_time(
        event(abandoned)
            .finished_at
            .as_deref()
            .expect("finished_at"),
    );
    assert!(at >= decided_after, "timed when reconciled");
    assert_eq!(
        event(finished).outcome.as_deref(),
        Some("already_member"),
        "untouched"
    );
    log.close().await;
}
