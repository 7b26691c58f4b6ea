//! Glimpse's web UI: a Leptos single-page app (client-side rendering only) that talks to the
//! Glimpse server's REST API on the same origin.

pub mod api;
pub mod change;
pub mod components;
pub mod format;
pub mod i18n;
pub mod msg;
pub mod pages;
pub mod router;
pub mod state;
pub mod tasks;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::components::{ConfirmDialog, Header, Loading, Toasts};
use crate::pages::{
    AccessAuditPage, ActivityPage, ImageDetailPage, MyImagesPage, NotFoundPage, SharedWithUsPage,
    SignInPage,
};
use crate::router::{Route, provide_location, redirect};
use crate::state::{AppState, use_state};

/// Called by the boot script once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    // Debug builds say why they panicked; release builds stay small.
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Glimpse panicked: {info}").into());
    }));
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
    else {
        return;
    };
    // The words first (the boot script has been fetching them beside the wasm), then the app
    // replaces the "Loading Glimpse…" placeholder.
    // Not Leptos's spawn_local: its executor starts with the app, just below.
    wasm_bindgen_futures::spawn_local(async move {
        i18n::start().await;
        root.set_inner_html("");
        let root: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(root);
        leptos::mount::mount_to(root, App).forget();
    });
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    provide_location();
    api::on_unauthenticated(move |whole_session| {
        if whole_session {
            state.session_lost();
        } else {
            state.reload_session();
        }
    });
    spawn_local(async move {
        if let Ok(session) = api::get_session().await {
            state.set_session(session);
        }
        state.checked.set(true);
    });
    view! { <Shell /> }
}

/// The page frame: header when signed in, the routed page, the toasts and the dialog.
#[component]
fn Shell() -> impl IntoView {
    let state = use_state();
    let location = router::use_location();
    let signed_in = Memo::new(move |_| state.session.with(|s| s.is_some()));

    // A signed-out visitor goes to the sign-in page, remembering where they were going.
    Effect::new(move |_| {
        let route = location.route.get();
        if state.checked.get() && !signed_in.get() && route != Route::SignIn {
            let here = location.here();
            if here == "/" || route == Route::MyImages && location.query.get_untracked().is_empty()
            {
                redirect(&Route::SignIn.href());
            } else {
                redirect(&Route::SignIn.with_query(&api::query(&[("next", &here)])));
            }
        }
    });

    // A new page: the focus goes to its heading (not on the first page: the sign-in form
    // keeps its autofocus).
    Effect::new(move |previous: Option<Route>| {
        let route = location.route.get();
        if previous.is_some_and(|p| p != route) {
            router::focus_heading();
            // An account whose sign-in ended meanwhile is told of on the next page.
            if state.several_accounts_untracked() {
                state.check_accounts();
            }
        }
        route
    });

    let page = move || {
        if location.route.with(|r| *r != Route::SignIn) && !signed_in.get() {
            return ().into_any();
        }
        match location.route.get() {
            Route::SignIn => view! { <SignInPage /> }.into_any(),
            Route::MyImages => view! { <MyImagesPage /> }.into_any(),
            Route::Image(id) => view! { <ImageDetailPage id=id /> }.into_any(),
            Route::SharedWithUs => view! { <SharedWithUsPage /> }.into_any(),
            Route::AccessAudit => view! { <AccessAuditPage /> }.into_any(),
            Route::Activity => view! { <ActivityPage /> }.into_any(),
            Route::NotFound => view! { <NotFoundPage /> }.into_any(),
        }
    };

    view! {
        <Show when=move || state.checked.get() fallback=|| view! { <Loading /> }>
            // Not on the sign-in page, even when adding an account there: its form stands alone.
            <Show when=move || signed_in.get() && location.route.with(|r| *r != Route::SignIn)>
                <Header />
            </Show>
            <main id="main" tabindex="-1">
                {page}
            </main>
        </Show>
        <Toasts />
        <ConfirmDialog />
    }
}
