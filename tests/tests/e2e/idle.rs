//! Idle sessions end (`session_idle_secs`), and ended sessions are swept from the memory
//! store rather than kept for the life of the process.

use std::time::Duration;

use glimpse::session_store::Sessions;
use reqwest::StatusCode;

use crate::harness::spawn_app_with;

#[tokio::test]
async fn an_idle_session_ends_and_is_swept_from_memory() {
    let app = spawn_app_with(|c| c.session_idle = Duration::from_secs(3)).await;
    let Sessions::Memory(store) = app.sessions.clone() else {
        panic!("sessions in memory by default")
    };
    let alice = app.sign_in("alice", "project-a").await;
    assert_eq!(store.len(), 1);

    // In use, it lives on past the idle time...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(alice.session().await.user.name, "alice");
    }
    // ...unused for longer, it ends, and the sweep (every 1.5 s here) deletes it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(store.len(), 0, "swept");
    alice
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}
