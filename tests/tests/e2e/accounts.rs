//! Several OpenStack accounts in one session, against the real dev cloud. alice has a role in
//! project-a only and bob in project-b only, as on clouds that give each project its own
//! users: one browser shares from alice's project and accepts in bob's.

use std::time::Duration;

use json::{AccessAudit, ImageList, MemberStatus, Session};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::openstack;
use crate::harness::{
    Client, OpenStack, Reply, TestApp, project_id, spawn_app, spawn_app_with, unique,
};
use crate::sign_out::{held_by_account, keystone_accepts, session_id};

fn password(user: &str) -> String {
    crate::harness::cloud().seed().user(user).password.clone()
}

/// Adds `user` (scoped to `project`) to the client's session.
async fn add_account(client: &Client, user: &str, project: &str) -> Reply {
    let r = client
        .post(
            "/api/v1/session/accounts",
            &json!({"username": user, "password": password(user), "project": project}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "adding {user}: {}", r.body);
    r
}

fn names(session: &Session) -> Vec<&str> {
    session
        .accounts
        .iter()
        .map(|a| a.user.name.as_str())
        .collect()
}

/// The offers waiting for the session's projects, across every account.
async fn pending_everywhere(client: &Client) -> Vec<json::Image> {
    let r = client
        .get("/api/v1/images?region=RegionOne&owner=others&member_status=pending&all_projects=true")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json::<ImageList>().images
}

async fn decide(client: &Client, image: &str, member: &str, status: &str) -> Value {
    let r = client
        .put(
            &format!(
                "/api/v1/images/{image}/members/{}?region=RegionOne",
                project_id(member)
            ),
            &json!({ "status": status }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{status}: {}", r.body);
    r.json()
}

#[tokio::test]
async fn one_session_shares_from_alice_and_accepts_as_bob() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice", "project-a").await;

    // bob joins alice's session; alice stays the active account.
    let session: Session = add_account(&alice, "bob", "project-b").await.json();
    assert_eq!(names(&session), ["alice", "bob"]);
    assert_eq!(session.user.name, "alice");
    assert_eq!(session.project.name, "project-a");
    let bob = &session.accounts[1];
    assert_eq!(bob.active_project.name, "project-b");
    assert_eq!(bob.projects.len(), 1);
    // An account already in the session is not added twice (a fresh sign-in, refused).
    let r = alice
        .post(
            "/api/v1/session/accounts",
            &json!({"username": "bob", "password": password("bob")}),
        )
        .await;
    r.error(StatusCode::CONFLICT, "account_in_session");
    assert_eq!(names(&alice.session().await), ["alice", "bob"]);
    // A wrong password for an account being added leaves the session as it was.
    let r = alice
        .post(
            "/api/v1/session/accounts",
            &json!({"username": "carol", "password": "not-her-password"}),
        )
        .await;
    r.error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(names(&alice.session().await), ["alice", "bob"]);

    // As alice, she shares an image with project-b: Glimpse names it, it is the session's.
    let image = OpenStack::image(
        "RegionOne",
        "alice",
        "project-a",
        &unique("two-accounts"),
        "shared",
    )
    .await;
    let r = alice
        .post(
            &format!("/api/v1/images/{image}/members?region=RegionOne"),
            &json!({"member_id": project_id("project-b")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.json::<json::Member>().member_name.as_deref(),
        Some("project-b")
    );

    // alice's session sees the offer to bob's project, with the project and account it is for.
    let offers = pending_everywhere(&alice).await;
    let offer = offers
        .iter()
        .find(|i| i.id == image)
        .expect("the offer to project-b is in the session's inbox");
    let to = offer.offered_to.as_ref().expect("offered_to");
    assert_eq!(to.project.name, "project-b");
    assert_eq!(to.account.name, "bob");
    // Without all_projects, alice's current project has nothing of it.
    assert!(
        alice
            .images("region=RegionOne&owner=others&member_status=pending")
            .await
            .iter()
            .all(|i| i.id != image)
    );

    // Rejected from the inbox while alice is active: done as bob, in project-b.
    decide(&alice, &image, "project-b", "rejected").await;
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        [(project_id("project-b"), "rejected".to_owned())]
    );
    assert!(
        pending_everywhere(&alice)
            .await
            .iter()
            .all(|i| i.id != image)
    );

    // She switches to bob's project (bob becomes the active account) and accepts.
    let r = alice
        .put(
            "/api/v1/session/project",
            &json!({"user_id": bob.user.id, "project_id": project_id("project-b")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session: Session = r.json();
    assert_eq!(
        (session.user.name.as_str(), session.project.name.as_str()),
        ("bob", "project-b")
    );
    let member = decide(&alice, &image, "project-b", "accepted").await;
    assert_eq!(member["status"], "accepted");

    // The openstack CLI, as alice, sees what Glimpse did.
    let listed = openstack(
        "alice-a",
        &["image", "member", "list", &image, "-f", "json"],
    )
    .await;
    let listed: Value = serde_json::from_str(&listed).expect("JSON from the CLI");
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["Member ID"], project_id("project-b"));
    assert_eq!(listed[0]["Status"], "accepted");

    // The activity log says which account made each change; the session sees all of them.
    let events = alice.events(&image).await;
    let by: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.user_name.as_str(),
                e.project_name.as_str(),
                e.action.as_str(),
            )
        })
        .collect();
    assert!(by.contains(&("alice", "project-a", "add_member")), "{by:?}");
    assert!(by.contains(&("bob", "project-b", "reject")), "{by:?}");
    assert!(by.contains(&("bob", "project-b", "accept")), "{by:?}");

    // The audit covers both accounts' projects and shows the membership once, read from
    // the owner's side by alice.
    let r = alice
        .get(&format!(
            "/api/v1/audit/access?format=json&owner={}",
            project_id("project-a")
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit: AccessAudit = r.json();
    let rows: Vec<_> = audit.rows.iter().filter(|r| r.image_id == image).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].member_name.as_deref(), Some("project-b"));
    assert_eq!(rows[0].status, MemberStatus::Accepted);
    assert_eq!(rows[0].seen_by.as_deref(), Some("alice"));
    assert!(audit.failures.is_empty(), "{:?}", audit.failures);
}

/// alice and bob in one session, bob added second, and the id of that session.
async fn alice_and_bob(app: &TestApp) -> (Client, tower_sessions::session::Id) {
    let alice = app.sign_in("alice", "project-a").await;
    // Adding an account gives the session a new id, as a sign-in does.
    let r = add_account(&alice, "bob", "project-b").await;
    assert_eq!(names(&r.json::<Session>()), ["alice", "bob"]);
    (alice, session_id(&r))
}

/// Revokes a token in Keystone, as an administrator would.
async fn revoke(token: &str) {
    let status = reqwest::Client::new()
        .delete(format!(
            "{}/auth/tokens",
            crate::harness::cloud()
                .seed()
                .keystone_url
                .trim_end_matches('/')
        ))
        .header("X-Auth-Token", OpenStack::admin().await)
        .header("X-Subject-Token", token)
        .send()
        .await
        .expect("keystone answers")
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT, "revoking a token");
}

#[tokio::test]
async fn a_revoked_account_leaves_alone_and_sign_out_revokes_the_rest() {
    let app = spawn_app_with(|c| c.token_check_interval = Duration::ZERO).await;
    let (client, id) = alice_and_bob(&app).await;
    let (held, active) = held_by_account(&app, &id).await;
    assert_eq!(active, 0);
    let (alice_token, bob_token) = (held[0].1.own.clone(), held[1].1.own.clone());

    // alice's token revoked in Keystone: the next request, made as alice, is refused and
    // says so; only alice leaves, and the session goes on as bob.
    revoke(&alice_token).await;
    let r = client.get("/api/v1/images?region=RegionOne&owner=me").await;
    r.error(StatusCode::UNAUTHORIZED, "account_ended");
    let session = client.session().await;
    assert_eq!(names(&session), ["bob"]);
    assert_eq!(session.user.name, "bob");
    assert_eq!(
        session
            .ended_accounts
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["alice"],
        "told once"
    );
    assert!(client.session().await.ended_accounts.is_empty());
    assert!(keystone_accepts(&bob_token).await);

    // Signing out ends bob's tokens too.
    let r = client.delete("/api/v1/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(
        !keystone_accepts(&bob_token).await,
        "bob's token revoked at sign-out"
    );
    client
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_revoked_other_account_leaves_while_the_active_one_goes_on() {
    let app = spawn_app_with(|c| c.token_check_interval = Duration::ZERO).await;
    let (client, id) = alice_and_bob(&app).await;
    let (held, _) = held_by_account(&app, &id).await;
    revoke(&held[1].1.own).await;
    let session = client.session().await;
    assert_eq!(session.user.name, "alice");
    assert_eq!(names(&session), ["alice"]);
    assert_eq!(session.ended_accounts[0].name, "bob");
    assert!(!client.images("region=RegionOne&owner=me").await.is_empty());
}

#[tokio::test]
async fn accounts_are_removed_one_by_one_and_bounded_per_session() {
    let app = spawn_app_with(|c| c.accounts_per_session = 2).await;
    let (alice, id) = alice_and_bob(&app).await;

    // Another browser never sees this session's accounts, nor this one the other's.
    let carol = app.sign_in("carol", "project-a").await;
    assert_eq!(names(&carol.session().await), ["carol"]);
    assert_eq!(names(&alice.session().await), ["alice", "bob"]);

    // At most 2 accounts here: a third is refused before Keystone is asked.
    let r = alice
        .post(
            "/api/v1/session/accounts",
            &json!({"username": "carol", "password": password("carol")}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::CONFLICT, "too_many_accounts").limit,
        Some(2)
    );

    // Removing bob revokes his tokens and leaves alice signed in.
    let (held, _) = held_by_account(&app, &id).await;
    let bob_id = alice.session().await.accounts[1].user.id.clone();
    let r = alice
        .delete(&format!("/api/v1/session/accounts/{bob_id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.json::<Session>()), ["alice"]);
    assert!(
        !keystone_accepts(&held[1].1.own).await,
        "bob's token revoked"
    );
    assert!(
        keystone_accepts(&held[0].1.own).await,
        "alice's still valid"
    );
    alice
        .delete(&format!("/api/v1/session/accounts/{bob_id}"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // Switching to an account the session does not have is refused.
    alice
        .put(
            "/api/v1/session/project",
            &json!({"user_id": bob_id, "project_id": project_id("project-b")}),
        )
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // The last account leaving is a sign-out.
    let alice_id = alice.session().await.user.id;
    let r = alice
        .delete(&format!("/api/v1/session/accounts/{alice_id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(
        !keystone_accepts(&held[0].1.own).await,
        "alice's token revoked"
    );
    alice
        .get("/api/v1/session")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn an_account_that_wants_a_passcode_joins_once_it_is_given() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice", "project-a").await;
    let r = alice
        .post(
            "/api/v1/session/accounts",
            &json!({"username": "erin", "password": password("erin")}),
        )
        .await;
    let err = r.error(StatusCode::UNAUTHORIZED, "mfa_required");
    assert_eq!(err.methods, Some(vec!["totp".to_owned()]));
    // Meanwhile alice is signed in as before, alone.
    assert_eq!(names(&alice.session().await), ["alice"]);

    let passcode = crate::harness::cloud()
        .seed()
        .user("erin")
        .passcode()
        .expect("erin has a TOTP secret");
    let r = alice
        .post("/api/v1/session/totp", &json!({ "passcode": passcode }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session: Session = r.json();
    assert_eq!(names(&session), ["alice", "erin"]);
    assert_eq!(session.user.name, "alice", "alice stays the active account");
}
