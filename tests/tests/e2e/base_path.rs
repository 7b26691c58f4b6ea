//! Glimpse under a path prefix (`base_path = "/glimpse"`): first its HTTP answers, straight
//! (the API, the page, its files, the cookie, what lies outside the prefix); then the main
//! flow in a real browser through a real reverse proxy (Debian's nginx).

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::browser::{Browser, require_ui, ui_lock};
use crate::harness::{OpenStack, client_at, cloud, sign_in_at, spawn_app_with, unique};
use crate::nginx::Nginx;
use crate::sign_out::{session_id, session_status};

const BASE: &str = "/glimpse";

/// A client that shows redirects instead of following them.
fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default()
}

/// The `/glimpse/assets/…` files the page names.
fn assets_of(page: &str) -> Vec<String> {
    page.split('"')
        .filter(|s| s.starts_with("/glimpse/assets/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn under_a_base_path_everything_is_under_it_and_nothing_else_answers() {
    let app = spawn_app_with(|c| c.base_path = BASE.into()).await;
    let root = &app.base_url;
    let base = format!("{root}{BASE}");
    let http = plain();

    // The API: sign-in sets the cookie for the prefix only, which then authenticates.
    let mut alice = client_at(&base);
    let password = cloud().seed().user("alice").password.clone();
    let r = alice
        .post(
            "/api/v1/session",
            &json!({"username": "alice", "password": password, "project": "project-a"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    alice.csrf = Some(r.json::<json::Session>().csrf_token);
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("glimpse_session="), "{cookie}");
    assert!(cookie.contains("; Path=/glimpse"), "{cookie}");
    assert!(!cookie.contains("Path=/;"), "{cookie}");
    assert_eq!(alice.session().await.user.name, "alice");
    let id = session_id(&r);
    assert_eq!(
        session_status(&base, "glimpse_session", &id).await,
        StatusCode::OK
    );

    // The OpenAPI document's server is the API under the prefix.
    let doc: Value = alice.get("/api/v1/openapi.json").await.json();
    assert_eq!(
        doc["servers"][0]["url"], "/glimpse/api/v1",
        "{}",
        doc["servers"]
    );

    // The page, at the prefix and at a deep link, names its files under the prefix; each of
    // them is there.
    for path in ["/", "/images/some-image", "/sign-in?next=%2Fshared"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(!header(&r, "content-security-policy").is_empty(), "{path}");
        let page = r.text().await.unwrap();
        assert!(!page.contains("\"/assets/"), "{path}: {page}");
        let assets = assets_of(&page);
        assert_eq!(assets.len(), 4, "style, glue, wasm, boot: {page}");
        for asset in assets {
            let r = http
                .get(format!("{root}{asset}"))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{asset}");
            assert!(header(&r, "cache-control").contains("immutable"), "{asset}");
        }
    }

    // `/glimpse` leads to `/glimpse/`, keeping the query.
    let r = http.get(format!("{base}?a=1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&r, "location"), "/glimpse/?a=1");

    // Outside the prefix: not found, never the page, the API or the files.
    for path in [
        "/",
        "/images",
        "/sign-in",
        "/api/v1/session",
        "/api/v1/openapi.json",
        "/assets/x.js",
        "/glimpsex/images",
        "/glimpse-other",
    ] {
        let r = http
            .get(format!("{root}{path}"))
            .header("cookie", format!("glimpse_session={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("\"not_found\""), "{path}: {body}");
        assert!(!body.contains("<html"), "{path}: {body}");
    }

    // The probes answer at the root (for the container runtime) and under the prefix.
    for path in ["/healthz", "/readyz", "/glimpse/healthz", "/glimpse/readyz"] {
        let r = http.get(format!("{root}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body: Value = r.json().await.unwrap();
        let expected = if path.ends_with("readyz") {
            "ready"
        } else {
            "ok"
        };
        assert_eq!(body["status"], expected, "{path}: {body}");
    }

    // Sign-out clears the cookie at its own path (else the browser would keep it).
    let r = alice.delete("/api/v1/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let cleared = r.headers["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Path=/glimpse"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(
        alice.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn over_https_under_a_base_path_the_cookie_is_secure_prefixed() {
    let app = spawn_app_with(|c| {
        c.base_path = BASE.into();
        c.public_url = Some("https://images.example.org/glimpse".parse().unwrap());
        c.secure_cookies = true; // what Config::resolve makes of an https public_url
    })
    .await;
    let base = format!("{}{BASE}", app.base_url);
    let r = client_at(&base)
        .post(
            "/api/v1/session",
            &json!({"username": "bob", "password": "bobpw", "project": "project-b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    // `__Host-` needs `Path=/`: under a prefix the cookie is `__Secure-`.
    assert!(cookie.starts_with("__Secure-glimpse_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/glimpse"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(
        session_status(&base, "__Secure-glimpse_session", &session_id(&r)).await,
        StatusCode::OK
    );
    let doc: Value = client_at(&base).get("/api/v1/openapi.json").await.json();
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["name"],
        "__Secure-glimpse_session"
    );
}

#[tokio::test]
async fn ui_under_a_base_path_through_nginx() {
    require_ui();
    let _ui = ui_lock().await;
    let app = spawn_app_with(|c| {
        c.base_path = BASE.into();
        // As the README says to run it: nginx is the proxy whose X-Forwarded-For counts.
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let upstream = app.base_url.clone();
    let nginx = tokio::task::spawn_blocking(move || Nginx::start(BASE, &upstream))
        .await
        .expect("nginx");
    let site = format!("{}{BASE}", nginx.origin);
    let name = unique("base-path");
    let image = OpenStack::image("RegionOne", "alice", "project-a", &name, "private").await;

    // Outside the prefix the proxy does not reach Glimpse; through it, Glimpse at its root
    // is not found either.
    let http = plain();
    let r = http
        .get(format!("{}/images", nginx.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.text().await.unwrap(), "not Glimpse\n");
    let r = http
        .get(format!("{site}/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .get(format!("{}/images", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Sign in: the sign-in page, then My images, all under the prefix.
    let mut b = Browser::start(&site, "base-path").await;
    b.sign_in("alice", &cloud().seed().user("alice").password, "project-a")
        .await;
    b.wait_until("My images at /glimpse/images", |c| async move {
        let url = c.current_url().await.ok()?;
        (url.path() == "/glimpse/images").then_some(())
    })
    .await;
    let cookies = b.client.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "glimpse_session")
        .unwrap_or_else(|| panic!("a session cookie: {cookies:?}"));
    assert_eq!(session.path(), Some("/glimpse"));
    assert_eq!(session.http_only(), Some(true));

    // List images, open one (an in-app link), then another page by the menu.
    b.row(&name).await;
    b.follow(&name).await;
    b.see("Members").await;
    assert_eq!(path_of(&b).await, format!("/glimpse/images/{image}"));
    b.follow("Shared with us").await;
    b.see("Images other projects offer").await;
    assert_eq!(path_of(&b).await, "/glimpse/shared");
    // Back in history: the image again, without a reload.
    b.client.back().await.expect("back");
    b.see("Members").await;

    // A reload on a deep link, and a deep link loaded afresh: the page and its files come
    // from under the prefix.
    b.reload().await;
    b.see(&name).await;
    b.see("Members").await;
    b.goto(&format!("/images/{image}")).await;
    b.see("Members").await;
    b.assert_accessible("image under a base path").await;
    let fetched = b
        .js(
            "return performance.getEntriesByType('resource').map((e) => e.name);",
            vec![],
        )
        .await;
    let fetched: Vec<String> = serde_json::from_value(fetched).expect("names");
    for kind in [
        "/glimpse/assets/boot-",
        "/glimpse/assets/locale-en-",
        "/glimpse/api/v1/",
    ] {
        assert!(
            fetched.iter().any(|u| u.contains(kind)),
            "{kind} in {fetched:#?}"
        );
    }
    let origin = format!("{site}/");
    assert!(
        fetched.iter().all(|u| u.starts_with(&origin)),
        "everything from under {origin}: {fetched:#?}"
    );
    // Links of the page lead under the prefix.
    let hrefs = b
        .js(
            "return Array.from(document.querySelectorAll('a[href]')).map((a) => a.href);",
            vec![],
        )
        .await;
    let hrefs: Vec<String> = serde_json::from_value(hrefs).expect("hrefs");
    assert!(hrefs.len() >= 4, "{hrefs:?}");
    assert!(hrefs.iter().all(|h| h.starts_with(&origin)), "{hrefs:#?}");

    // Sign out: back at the sign-in page, under the prefix, and the cookie is gone.
    b.click("Sign out").await;
    b.find("button", "Sign in").await;
    assert_eq!(path_of(&b).await, "/glimpse/sign-in");
    let cookies = b.client.get_all_cookies().await.expect("cookies");
    assert!(
        !cookies.iter().any(|c| c.name() == "glimpse_session"),
        "{cookies:?}"
    );

    // The browser at the proxy's root gets nginx's answer, never Glimpse's page.
    b.client
        .goto(&format!("{}/sign-in", nginx.origin))
        .await
        .expect("navigate");
    let text = b.js("return document.body.innerText;", vec![]).await;
    assert_eq!(text.as_str().map(str::trim), Some("not Glimpse"));
    b.close().await;

    // The browser's requests went through nginx, under the prefix; so do the API's.
    let log = nginx.access_log();
    assert!(log.contains("POST /glimpse/api/v1/session "), "{log}");
    assert!(log.contains("GET /glimpse/images/"), "{log}");
    let api = sign_in_at(&site, "alice", "project-a").await;
    assert_eq!(api.session().await.user.name, "alice");
    assert!(
        nginx
            .access_log()
            .matches("POST /glimpse/api/v1/session ")
            .count()
            >= 2
    );
}

async fn path_of(b: &Browser) -> String {
    b.client
        .current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}
