//! A small client-side router over the History API: six routes do not need a router crate,
//! and leaving one out keeps the wasm about 20 KB (gzip) lighter.

use std::cell::Cell;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

thread_local! {
    // Not a context: `navigate` is called from async tasks, which have no reactive owner.
    static LOCATION: Cell<Option<Location>> = const { Cell::new(None) };
}

/// Where the app is served: `""` at the root, `/glimpse` under a `base_path`. The boot script
/// says (its own place), so one build of the UI serves under any prefix.
fn base() -> String {
    crate::i18n::boot_field("base")
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The browser's address of a path of this app (`/images`) or of its API: under the prefix.
/// The app's own paths (routes, `Location`) never carry it.
pub fn url(path: &str) -> String {
    base() + path
}

/// The pages of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    SignIn,
    MyImages,
    Image(String),
    SharedWithUs,
    AccessAudit,
    Activity,
    NotFound,
}

impl Route {
    /// The address of the page: the one place paths are written.
    pub fn href(&self) -> String {
        match self {
            Route::SignIn => "/sign-in".into(),
            Route::MyImages => "/images".into(),
            Route::Image(id) => format!("/images/{}", encode(id)),
            Route::SharedWithUs => "/shared".into(),
            Route::AccessAudit => "/audit".into(),
            Route::Activity => "/activity".into(),
            Route::NotFound => "/not-found".into(),
        }
    }

    /// The page with a query string (`a=1&b=2`, already encoded; empty for none).
    pub fn with_query(&self, query: &str) -> String {
        if query.is_empty() {
            self.href()
        } else {
            format!("{}?{query}", self.href())
        }
    }

    fn of(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] | ["images"] => Route::MyImages,
            ["sign-in"] => Route::SignIn,
            ["images", id] => Route::Image(decode(id)),
            ["shared"] => Route::SharedWithUs,
            ["audit"] => Route::AccessAudit,
            ["activity"] => Route::Activity,
            _ => Route::NotFound,
        }
    }
}

/// Where the browser is: path and query string (without the `?`).
#[derive(Clone, Copy)]
pub struct Location {
    pub path: RwSignal<String>,
    pub query: RwSignal<String>,
    pub route: Memo<Route>,
}

impl Location {
    /// The decoded value of a query parameter (reactive).
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.with(|q| {
            q.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k) == name).then(|| decode(&v.replace('+', " ")))
            })
        })
    }

    /// Path and query, as one would link to it.
    pub fn here(&self) -> String {
        let query = self.query.get_untracked();
        let path = self.path.get_untracked();
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    fn sync(&self) {
        let location = window().location();
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let path = path.strip_prefix(&base()).unwrap_or(&path).to_owned();
        let search = location.search().unwrap_or_default();
        self.path.set(path);
        self.query
            .set(search.strip_prefix('?').unwrap_or(&search).to_owned());
    }
}

/// Sets up the router: call once, at the top of the app.
pub fn provide_location() -> Location {
    let path = RwSignal::new(String::new());
    let location = Location {
        path,
        query: RwSignal::new(String::new()),
        route: Memo::new(move |_| path.with(|p| Route::of(p))),
    };
    location.sync();
    let _ = window_event_listener(leptos::ev::popstate, move |_| location.sync());
    LOCATION.with(|l| l.set(Some(location)));
    location
}

pub fn use_location() -> Location {
    LOCATION
        .with(Cell::get)
        .expect("provide_location() runs first")
}

/// Goes to `url` (a path of this app, with an optional query) and records it in the history.
pub fn navigate(url: &str) {
    go(url, false);
}

/// Like [`navigate`], replacing the current history entry.
pub fn redirect(url: &str) {
    go(url, true);
}

/// Replaces the query string of the current page (filters), keeping the history clean.
pub fn set_query(query: &str) {
    let path = use_location().path.get_untracked();
    if query.is_empty() {
        redirect(&path);
    } else {
        redirect(&format!("{path}?{query}"));
    }
}

/// Sets the document title to "`page` · Glimpse", following the language.
pub fn page_title(page: Signal<String>) {
    Effect::new(move |_| {
        let title = crate::i18n::tf(crate::i18n::Key::AppTitle, &[("page", &page.get())]);
        document().set_title(&title);
    });
}

/// After an in-app navigation, moves the focus to the new page's heading (or the main area),
/// so that keyboard and screen reader users start reading where the page starts.
pub fn focus_heading() {
    request_animation_frame(|| {
        let doc = document();
        let target = doc
            .query_selector("#main h1")
            .ok()
            .flatten()
            .or_else(|| doc.get_element_by_id("main"));
        if let Some(el) = target {
            if !el.has_attribute("tabindex") {
                let _ = el.set_attribute("tabindex", "-1");
            }
            let el: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(el);
            let _ = el.focus();
        }
    });
}

fn go(url: &str, replace: bool) {
    let location = use_location();
    if location.here() == url {
        return;
    }
    if let Ok(history) = window().history() {
        let url = self::url(url);
        let _ = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(&url))
        };
    }
    location.sync();
    if !replace {
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
}

fn encode(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return s.to_owned();
    }
    String::from(js_sys::encode_uri_component(s))
}

fn decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    js_sys::decode_uri_component(s)
        .map(String::from)
        .unwrap_or_else(|_| s.to_owned())
}

/// An in-app link: a real `<a href>` (open in new tab works), followed without reloading,
/// marked `aria-current="page"` when it is where the browser is.
#[component]
pub fn Link(
    /// Where to: a page (see [`Route::href`]), with a query string if any.
    #[prop(into)]
    href: String,
    /// Only the exact path counts as current (else the path or anything under it).
    #[prop(optional)]
    exact: bool,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] describedby: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let target = href.clone();
    let current = move || {
        let path = location.path.get();
        let is = path == target || (!exact && path.starts_with(&format!("{target}/")));
        is.then_some("page")
    };
    let to = href.clone();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if ev.button() == 0
            && !ev.ctrl_key()
            && !ev.meta_key()
            && !ev.shift_key()
            && !ev.alt_key()
            && !ev.default_prevented()
        {
            ev.prevent_default();
            navigate(&to);
        }
    };
    view! {
        <a href=url(&href) class=class aria-current=current aria-describedby=describedby on:click=on_click>
            {children()}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn routes() {
        assert_eq!(Route::of("/"), Route::MyImages);
        assert_eq!(Route::of("/images/"), Route::MyImages);
        assert_eq!(Route::of("/images/abc"), Route::Image("abc".into()));
        assert_eq!(Route::of("/shared"), Route::SharedWithUs);
        assert_eq!(Route::of("/sign-in"), Route::SignIn);
        assert_eq!(Route::of("/audit"), Route::AccessAudit);
        assert_eq!(Route::of("/activity"), Route::Activity);
        assert_eq!(Route::of("/nope"), Route::NotFound);
    }

    #[test]
    fn each_page_is_found_at_its_href() {
        for route in [
            Route::SignIn,
            Route::MyImages,
            Route::Image("0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4".into()),
            Route::SharedWithUs,
            Route::AccessAudit,
            Route::Activity,
            Route::NotFound,
        ] {
            assert_eq!(Route::of(&route.href()), route);
        }
        assert_eq!(
            Route::SharedWithUs.with_query("status=accepted"),
            "/shared?status=accepted"
        );
        assert_eq!(Route::Activity.with_query(""), "/activity");
    }
}
