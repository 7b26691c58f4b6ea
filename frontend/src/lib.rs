//! Glimpse's web UI: a Leptos single-page app (client-side rendering only) that talks to the
//! Glimpse server's REST API on the same origin.

pub mod api;
pub mod components;
pub mod format;
pub mod msg;
pub mod pages;
pub mod state;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::components::{ConfirmDialog, Header, Loading, Toasts};
use crate::pages::{ImageDetailPage, MyImagesPage, NotFoundPage, SharedWithUsPage, SignInPage};
use crate::state::{AppState, use_state};

/// Called by the boot script once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
    else {
        return;
    };
    // Replace the "Loading Glimpse…" placeholder.
    root.set_inner_html("");
    let root: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(root);
    leptos::mount::mount_to(root, App).forget();
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    api::on_unauthenticated(move || state.session_lost());
    spawn_local(async move {
        if let Ok(session) = api::get_session().await {
            state.set_session(session);
        }
        state.checked.set(true);
    });

    view! {
        <Router>
            <Shell />
        </Router>
    }
}

/// The page frame: header when signed in, the routed page, the toasts and the dialog.
#[component]
fn Shell() -> impl IntoView {
    let state = use_state();
    let signed_in = move || state.session.with(|s| s.is_some());
    view! {
        <Show when=move || state.checked.get() fallback=|| view! { <Loading /> }>
            <Guard />
            <Show when=signed_in>
                <Header />
            </Show>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/sign-in") view=SignInPage />
                    <Route path=path!("/") view=|| view! { <Protected><MyImagesPage /></Protected> } />
                    <Route path=path!("/images") view=|| view! { <Protected><MyImagesPage /></Protected> } />
                    <Route path=path!("/images/:id") view=|| view! { <Protected><ImageDetailPage /></Protected> } />
                    <Route path=path!("/shared") view=|| view! { <Protected><SharedWithUsPage /></Protected> } />
                </Routes>
            </main>
        </Show>
        <Toasts />
        <ConfirmDialog />
    }
}

/// Sends a signed-out visitor to the sign-in page (remembering where they were going), and a
/// signed-in one away from it.
#[component]
fn Guard() -> impl IntoView {
    let state = use_state();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        let signed_in = state.session.with(|s| s.is_some());
        let path = location.pathname.get();
        let on_sign_in = path == "/sign-in";
        if !signed_in && !on_sign_in {
            let search = location.search.get_untracked();
            let here = if search.is_empty() {
                path
            } else {
                format!("{path}?{search}")
            };
            let target = if here == "/" || here.is_empty() {
                "/sign-in".to_owned()
            } else {
                format!(
                    "/sign-in?next={}",
                    String::from(js_sys::encode_uri_component(&here))
                )
            };
            navigate(&target, Default::default());
        }
    });
}

/// Renders its children only for a signed-in user.
#[component]
fn Protected(children: ChildrenFn) -> impl IntoView {
    let state = use_state();
    view! {
        <Show when=move || state.session.with(|s| s.is_some())>
            {children()}
        </Show>
    }
}
