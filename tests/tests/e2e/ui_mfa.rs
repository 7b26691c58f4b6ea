//! Multi-factor sign-in and the sign-in page's settings in a real browser: erin's password,
//! then a passcode (a wrong one first, then the one her authenticator app would show, computed
//! from the seeded secret); the domain pre-filled from `GET /api/v1/config`, or no domain
//! field at all when the operator says so.

use serde_json::Value;

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{cloud, spawn_app, spawn_app_with};

/// The domain field's value, and whether it is shown.
async fn domain_field(browser: &Browser) -> (String, bool) {
    let v = browser
        .js(
            "const el = document.getElementById('domain'); \
             return el ? [el.value, el.offsetParent !== null] : ['', false];",
            vec![],
        )
        .await;
    (
        v[0].as_str().unwrap_or_default().to_owned(),
        v[1] == Value::Bool(true),
    )
}

#[tokio::test]
async fn ui_erin_signs_in_with_her_password_then_a_passcode() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let mut erin = Browser::start(&app.base_url, "mfa-erin").await;
    erin.goto("/sign-in").await;
    erin.find("field", "Domain").await;
    let mut prefilled = String::new();
    for _ in 0..50 {
        prefilled = domain_field(&erin).await.0;
        if !prefilled.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(prefilled, "Default", "the domain comes from GET /config");

    erin.fill("Username", "erin").await;
    erin.fill("Password", "erinpw").await;
    erin.click("Sign in").await;
    // The password was right: the page asks for the passcode, the password form is gone.
    erin.see("This account also asks for the passcode").await;
    erin.find("field", "Passcode").await;
    erin.find("button", "Start over").await;
    erin.screenshot("passcode").await;
    erin.assert_accessible("passcode").await;

    let right = cloud().seed().user("erin").passcode().expect("passcode");
    let wrong: String = right
        .bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 5) % 10))
        .collect();
    erin.fill("Passcode", &wrong).await;
    erin.click("Sign in").await;
    erin.alert("This passcode is wrong or out of date").await;

    // The same sign-in goes on: the receipt is still good.
    let right = cloud().seed().user("erin").passcode().expect("passcode");
    erin.fill("Passcode", &right).await;
    erin.click("Sign in").await;
    erin.find("button", "Sign out").await;
    let state = erin.readable_state().await;
    assert!(
        !state.contains(&right),
        "the passcode is not kept in the page"
    );
    assert!(!state.contains("erinpw"));
    erin.close().await;
}

#[tokio::test]
async fn ui_no_domain_field_when_the_operator_says_so() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app_with(|c| c.show_domain_field = false).await;
    let mut alice = Browser::start(&app.base_url, "no-domain").await;
    alice.goto("/sign-in").await;
    alice.find("field", "Username").await;
    let mut shown = true;
    for _ in 0..50 {
        shown = domain_field(&alice).await.1;
        if !shown {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!shown, "no domain field");
    alice
        .sign_in("alice", &cloud().seed().user("alice").password, "project-a")
        .await;
    alice.close().await;
}
