//! Several accounts in one browser, as on clouds that give each project its own users: alice
//! (project-a only) adds bob (project-b only) from the header, shares an image with project-b
//! picked by name, finds the offer in the inbox across both accounts, switches to bob's
//! project and accepts it; then signs bob alone out.

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{OpenStack, cloud, project_id, spawn_app, unique};

const REGION: &str = "RegionOne";

fn password(user: &str) -> String {
    cloud().seed().user(user).password.clone()
}

#[tokio::test]
async fn ui_alice_adds_bob_shares_by_name_and_accepts_as_bob() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-accounts");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
    let project_b = project_id("project-b");

    let mut b = Browser::start(&app.base_url, "accounts").await;
    b.sign_in("alice", &password("alice"), "project-a").await;
    b.see("alice \u{b7} project-a").await;

    // Add bob from the header, with the sign-in form; alice stays the active account.
    b.follow("Add account").await;
    b.see("Add an account").await;
    b.screenshot("add-account").await;
    b.fill("Username", "bob").await;
    b.fill("Password", &password("bob")).await;
    b.fill("Project", "project-b").await;
    b.click("Sign in").await;
    b.see("bob joined this session").await;
    b.see("alice \u{b7} project-a").await;
    b.find("button", "Sign out alice").await;

    // On the image's page she picks project-b by name: no ID to copy between her accounts.
    b.goto(&format!("/images/{image}")).await;
    b.choose("Or pick one of this session\u{2019}s projects", "project-b")
        .await;
    b.click("Add member").await;
    b.row_with(&project_b, "Pending").await;
    b.screenshot("shared-by-name").await;

    // The inbox covers both accounts' projects and says which one each offer is for.
    b.follow("Shared with us").await;
    let offer = b.row(&name).await;
    let says = offer.text().await.expect("row text");
    assert!(
        says.contains("project-b \u{b7} bob"),
        "the offer says whom: {says}"
    );
    b.assert_accessible("inbox across accounts").await;
    b.screenshot("inbox-accounts").await;

    // She switches to bob's project, then accepts as bob.
    b.choose("Project", "project-b").await;
    b.see("You are now working in project project-b.").await;
    b.see("bob \u{b7} project-b").await;
    // The list reloads for bob's project: a fresh page, so that the row clicked is that list's.
    b.reload().await;
    b.see("bob \u{b7} project-b").await;
    let offer = b.row(&name).await;
    b.click_in("Accept", Some(&offer)).await;
    b.see(&format!("Accepted \u{201c}{name}\u{201d}")).await;
    assert_eq!(
        OpenStack::members(REGION, &image).await,
        [(project_b, "accepted".to_owned())]
    );

    // Signing bob alone out leaves alice's session going on.
    b.click("Sign out bob").await;
    b.see("bob is signed out of this session").await;
    b.see("alice \u{b7} project-a").await;
    b.find("button", "Sign out").await;
    b.close().await;
}
