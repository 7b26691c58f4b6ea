//! The web UI in German and Polish, in a real browser whose language is set as a person's
//! would be (Chromium's `--lang` and Accept-Language): the sign-in page and its error, My
//! images, the inbox with counts of 1, 2 and 5 (Polish has three forms for them), a date, a
//! switch of language that keeps the page as it was, and the choice remembered. And axe-core
//! on every page, in English and in German: no WCAG 2.1 A/AA or best-practice violation.
//!
//! Needs the built UI (`cargo xtask build-ui`) and axe-core (`cargo xtask test` installs it).

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{
    OpenStack, TestApp, cloud, project_id, spawn_app, spawn_app_exclusive, unique,
};

const REGION: &str = "RegionOne";

fn password(user: &str) -> String {
    cloud().seed().user(user).password.clone()
}

/// What a language says where the test looks.
struct Words {
    /// The browser's preference, and what `<html lang>` becomes.
    browser: &'static str,
    lang: &'static str,
    sign_in_title: &'static str,
    username: &'static str,
    password: &'static str,
    project: &'static str,
    sign_in: &'static str,
    wrong_password: &'static str,
    sign_out: &'static str,
    my_images: &'static str,
    shared_with_us: &'static str,
    /// The header's word for 1, 2 and 5 offers waiting.
    pending: [&'static str; 3],
    /// The inbox's count of 1, 2 and 5 selected images.
    selected: [&'static str; 3],
    select: fn(&str) -> String,
    accept_selected: &'static str,
    accepted_five: &'static str,
    /// A date as `Intl` writes it for the language ("medium" date, "short" time).
    date: fn(&str) -> bool,
}

const GERMAN: Words = Words {
    browser: "de-DE",
    lang: "de",
    sign_in_title: "Anmelden · Glimpse",
    username: "Benutzername",
    password: "Passwort",
    project: "Projekt",
    sign_in: "Anmelden",
    wrong_password: "Benutzername, Passwort oder Domäne sind falsch",
    sign_out: "Abmelden",
    my_images: "Meine Images",
    shared_with_us: "Für uns freigegeben",
    pending: [
        "1 Angebot wartet auf Ihre Entscheidung",
        "2 Angebote warten auf Ihre Entscheidung",
        "5 Angebote warten auf Ihre Entscheidung",
    ],
    selected: ["1 ausgewählt", "2 ausgewählt", "5 ausgewählt"],
    select: |name| format!("{name} auswählen"),
    accept_selected: "Auswahl annehmen",
    accepted_five: "5 Images angenommen.",
    // "01.12.2026, 21:05"
    date: |s| {
        let b = s.as_bytes();
        s.len() == 17 && b[2] == b'.' && b[5] == b'.' && &s[10..12] == ", " && b[14] == b':'
    },
};

const POLISH: Words = Words {
    browser: "pl-PL",
    lang: "pl",
    sign_in_title: "Logowanie · Glimpse",
    username: "Nazwa użytkownika",
    password: "Hasło",
    project: "Projekt",
    sign_in: "Zaloguj się",
    wrong_password: "Nazwa użytkownika, hasło lub domena są nieprawidłowe",
    sign_out: "Wyloguj się",
    my_images: "Moje obrazy",
    shared_with_us: "Udostępnione nam",
    pending: [
        "1 oferta czeka na Twoją decyzję",
        "2 oferty czekają na Twoją decyzję",
        "5 ofert czeka na Twoją decyzję",
    ],
    selected: ["1 zaznaczony", "2 zaznaczone", "5 zaznaczonych"],
    select: |name| format!("Zaznacz {name}"),
    accept_selected: "Akceptuj zaznaczone",
    accepted_five: "Zaakceptowano 5 obrazów.",
    // "1 gru 2026, 21:05": day, the month's short name, year, time.
    date: |s| {
        let parts: Vec<&str> = s.split(' ').collect();
        parts.len() == 4
            && parts[0].parse::<u8>().is_ok()
            && parts[1].chars().all(char::is_lowercase)
            && parts[2].trim_end_matches(',').parse::<u16>().is_ok()
            && parts[3].len() == 5
    },
};

#[tokio::test]
async fn ui_the_main_flow_in_german() {
    main_flow(&GERMAN).await;
}

#[tokio::test]
async fn ui_the_main_flow_in_polish() {
    main_flow(&POLISH).await;
}

/// Every offer waiting for project-b's decision in RegionOne, set aside (rejected), so that
/// the counts the test makes are the only ones. Runs alone (an exclusive app).
async fn no_offers_waiting(app: &TestApp) {
    let bob = app.sign_in("bob", "project-b").await;
    let pending = bob
        .images(&format!(
            "region={REGION}&owner=others&member_status=pending"
        ))
        .await;
    let member = project_id("project-b");
    for image in pending {
        let r = bob
            .put(
                &format!(
                    "/api/v1/images/{}/members/{member}?region={REGION}",
                    image.id
                ),
                &json!({"status": "rejected"}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
}

/// `<html lang>`, the document title and the header's description of the offers waiting.
async fn page_state(b: &Browser) -> Value {
    b.js(
        "const d = document.getElementById('pending-desc'); \
         return [document.documentElement.lang, document.title, d ? d.innerText : null];",
        vec![],
    )
    .await
}

async fn wait_for_pending(b: &mut Browser, text: &str) {
    let text = text.to_owned();
    b.wait_until(&format!("the header to say {text:?}"), |c| {
        let text = text.clone();
        async move {
            let v = c
                .execute(
                    "const d = document.getElementById('pending-desc'); return d ? d.innerText.trim() : null;",
                    vec![],
                )
                .await
                .ok()?;
            (v.as_str() == Some(text.as_str())).then_some(())
        }
    })
    .await
}

async fn main_flow(w: &Words) {
    require_ui();
    let _ui = ui_lock().await;
    // Counts offers: no other test may add one meanwhile.
    let app = spawn_app_exclusive(|_| {}).await;
    no_offers_waiting(&app).await;
    let tag = unique(&format!("ui-{}", w.lang));
    let mut images = Vec::new();
    for i in 1..=5 {
        let name = format!("{tag}-{i}");
        let id = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;
        images.push((name, id));
    }
    OpenStack::share(REGION, &images[0].1, ("alice", "project-a"), "project-b").await;

    let mut b = Browser::start_in(&app.base_url, &format!("i18n-{}", w.lang), w.browser).await;
    b.goto("/sign-in").await;
    // The browser's language is the page's: its lang, its title, its words.
    let lang = w.lang.to_owned();
    let title = w.sign_in_title.to_owned();
    b.wait_until("the page in the browser's language", |c| {
        let (lang, title) = (lang.clone(), title.clone());
        async move {
            let v = c
                .execute(
                    "return [document.documentElement.lang, document.title];",
                    vec![],
                )
                .await
                .ok()?;
            (v == json!([lang, title])).then_some(())
        }
    })
    .await;
    b.assert_accessible(&format!("sign-in ({})", w.lang)).await;

    // A wrong password: the UI's own words for the server's code.
    b.fill(w.username, "bob").await;
    b.fill(w.password, "not-his-password").await;
    b.fill(w.project, "project-b").await;
    b.click(w.sign_in).await;
    b.alert(w.wrong_password).await;
    b.screenshot("wrong-password").await;

    b.fill(w.password, &password("bob")).await;
    b.click(w.sign_in).await;
    b.find("button", w.sign_out).await;
    b.find("link", w.my_images).await;
    let heading = b
        .js("return document.querySelector('h1').innerText;", vec![])
        .await;
    assert_eq!(heading, json!(w.my_images), "My images, in the language");
    b.assert_accessible(&format!("my images ({})", w.lang))
        .await;

    // One offer waiting, then two, then five: each count in its own plural form.
    wait_for_pending(&mut b, w.pending[0]).await;
    OpenStack::share(REGION, &images[1].1, ("alice", "project-a"), "project-b").await;
    b.reload().await;
    wait_for_pending(&mut b, w.pending[1]).await;
    for (_, id) in &images[2..] {
        OpenStack::share(REGION, id, ("alice", "project-a"), "project-b").await;
    }
    b.reload().await;
    wait_for_pending(&mut b, w.pending[2]).await;
    b.screenshot("five-waiting").await;

    // The inbox: its title, and the focus on its heading (where keyboard and screen reader
    // users start reading a new page).
    b.follow(w.shared_with_us).await;
    let (heading, title) = (
        w.shared_with_us.to_owned(),
        format!("{} · Glimpse", w.shared_with_us),
    );
    b.wait_until("the focus on the inbox's heading and its title", |c| {
        let (heading, title) = (heading.clone(), title.clone());
        async move {
            let v = c
                .execute(
                    "const a = document.activeElement; \
                     return [a && a.tagName === 'H1' ? a.innerText.trim() : null, document.title];",
                    vec![],
                )
                .await
                .ok()?;
            (v == json!([heading, title])).then_some(())
        }
    })
    .await;
    // Select one, two, five.
    for (name, _) in &images {
        b.row(name).await;
    }
    let select = |i: usize| (w.select)(&images[i].0);
    b.find("checkbox", &select(0))
        .await
        .click()
        .await
        .expect("select");
    b.see(w.selected[0]).await;
    b.find("checkbox", &select(1))
        .await
        .click()
        .await
        .expect("select");
    b.see(w.selected[1]).await;
    for i in 2..5 {
        b.find("checkbox", &select(i))
            .await
            .click()
            .await
            .expect("select");
    }
    b.see(w.selected[2]).await;
    b.assert_accessible(&format!("shared with us ({})", w.lang))
        .await;

    // A date, as the language writes it (the offer's date, in its tooltip).
    let row = b.row(&images[0].0).await;
    let stamp = row
        .find(fantoccini::Locator::Css("time"))
        .await
        .expect("a time")
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!((w.date)(&stamp), "a {} date: {stamp:?}", w.lang);
    b.screenshot("selected").await;

    b.click(w.accept_selected).await;
    b.see(w.accepted_five).await;
    for (name, _) in &images {
        b.no_row(name).await;
    }
    assert_eq!(page_state(&b).await[0], json!(w.lang));
    b.close().await;
}

#[tokio::test]
async fn ui_switching_language_keeps_the_page_and_is_remembered() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-switch");
    let image = OpenStack::image(REGION, "alice", "project-a", &name, "shared").await;

    let mut b = Browser::start_in(&app.base_url, "i18n-switch", "de-DE").await;
    b.goto("/sign-in").await;
    b.fill("Benutzername", "alice").await;
    b.fill("Passwort", &password("alice")).await;
    b.fill("Projekt", "project-a").await;
    b.click("Anmelden").await;
    b.find("button", "Abmelden").await;
    b.goto(&format!("/images/{image}")).await;
    b.see("Mitglieder").await;
    // Something typed, not sent: it stays when the language changes.
    b.fill("Projekt-ID", "typed, not sent").await;
    b.choose("Sprache", "Français").await;
    b.see("Membres").await;
    let kept = b
        .js(
            "return document.getElementById('member-ids').value;",
            vec![],
        )
        .await;
    assert_eq!(
        kept,
        json!("typed, not sent"),
        "the form kept what was typed"
    );
    assert_eq!(page_state(&b).await[0], json!("fr"));
    b.find("button", "Ajouter un membre").await;
    b.screenshot("french").await;

    // Remembered in this browser, over its German preference.
    b.reload().await;
    b.see("Membres").await;
    let title = b.js("return document.title;", vec![]).await;
    assert_eq!(title, json!(format!("{name} · Glimpse")));
    assert_eq!(page_state(&b).await[0], json!("fr"));
    b.close().await;
}

#[tokio::test]
async fn ui_every_page_passes_axe_in_english_and_german() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app().await;
    let name = unique("ui-axe");
    let image = OpenStack::image(REGION, "carol", "project-a", &name, "shared").await;
    OpenStack::share(REGION, &image, ("carol", "project-a"), "project-b").await;
    // An offer for project-c, for its inbox and an offered image's page.
    let offered = unique("ui-axe-offer");
    let offer = OpenStack::image(REGION, "alice", "project-a", &offered, "shared").await;
    OpenStack::share(REGION, &offer, ("alice", "project-a"), "project-c").await;
    // Something in the activity log.
    let api = app.sign_in("carol", "project-a").await;
    let r = api
        .send(
            Method::PATCH,
            &format!("/api/v1/images/{image}?region={REGION}"),
            Some(&json!({"protected": false})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);

    for (browser, words) in [("en-US", AxeWords::ENGLISH), ("de-DE", AxeWords::GERMAN)] {
        let mut b = Browser::start_in(&app.base_url, &format!("axe-{browser}"), browser).await;
        b.goto("/sign-in").await;
        b.find("button", words.sign_in).await;
        b.assert_accessible("sign-in").await;
        b.fill(words.username, "carol").await;
        b.fill(words.password, &password("carol")).await;
        b.fill(words.project, "project-a").await;
        b.click(words.sign_in).await;
        b.find("button", words.sign_out).await;

        b.row(&name).await;
        b.assert_accessible("my images").await;
        b.goto(&format!("/images/{image}")).await;
        b.row(&project_id("project-b")).await;
        b.assert_accessible("image detail").await;
        b.goto("/audit").await;
        b.see(words.audit_done).await;
        b.row(&name).await;
        b.assert_accessible("access audit").await;
        b.goto("/activity").await;
        b.row(&name).await;
        b.assert_accessible("activity").await;
        b.goto("/nowhere").await;
        b.find("link", words.back).await;
        b.assert_accessible("not found").await;

        // project-c's side: the inbox and an offered image.
        b.choose(words.project, "project-c").await;
        b.goto("/shared").await;
        b.row(&offered).await;
        b.assert_accessible("shared with us").await;
        b.goto(&format!("/images/{offer}")).await;
        b.find("button", words.accept).await;
        b.assert_accessible("offered image").await;
        b.close().await;
    }
}

/// The words the accessibility test needs, in English and German.
struct AxeWords {
    sign_in: &'static str,
    username: &'static str,
    password: &'static str,
    project: &'static str,
    sign_out: &'static str,
    audit_done: &'static str,
    back: &'static str,
    accept: &'static str,
}

impl AxeWords {
    const ENGLISH: AxeWords = AxeWords {
        sign_in: "Sign in",
        username: "Username",
        password: "Password",
        project: "Project",
        sign_out: "Sign out",
        audit_done: "Audit complete.",
        back: "Back to My images",
        accept: "Accept",
    };
    const GERMAN: AxeWords = AxeWords {
        sign_in: "Anmelden",
        username: "Benutzername",
        password: "Passwort",
        project: "Projekt",
        sign_out: "Abmelden",
        audit_done: "Prüfung abgeschlossen.",
        back: "Zurück zu „Meine Images“",
        accept: "Annehmen",
    };
}
