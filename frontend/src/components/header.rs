use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::CopyButton;
use crate::router::{Link, Route, navigate, use_location};
use crate::state::use_state;
use crate::{api, msg};

/// The header bar: navigation, project and region switchers, the project ID to hand out,
/// the user and sign out.
#[component]
pub fn Header() -> impl IntoView {
    let state = use_state();
    let location = use_location();
    let switching = RwSignal::new(false);

    let project_id = Signal::derive(move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.project.id.clone()).unwrap_or_default())
    });
    let user_name = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.user.name.clone()).unwrap_or_default())
    };
    let projects = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.projects.clone()).unwrap_or_default())
    };
    let regions = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.regions.clone()).unwrap_or_default())
    };

    let on_project = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        if id == project_id.get_untracked() || id.is_empty() {
            return;
        }
        switching.set(true);
        let on_detail = matches!(location.route.get_untracked(), Route::Image(_));
        spawn_local(async move {
            match api::switch_project(&id).await {
                Ok(session) => {
                    let name = session.project.name.clone();
                    state.set_session(session);
                    state.success(msg::switched_project(&name));
                    // The image on screen belongs to the other project.
                    if on_detail {
                        navigate("/images");
                    }
                }
                Err(e) => {
                    state.error(msg::switch_failed(&e.message));
                    // Put the select back on the project we are still in.
                    state.session.update(|_| {});
                }
            }
            switching.set(false);
        });
    };

    let on_region = move |ev: leptos::ev::Event| {
        let region = event_target_value(&ev);
        if !region.is_empty() {
            state.set_region(region);
        }
    };

    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            state.signed_out();
            navigate("/sign-in");
        });
    };

    let pending = move || state.pending.get().filter(|n| *n > 0);

    view! {
        <header class="topbar">
            <a class="skip" href="#main">
                {msg::SKIP_TO_CONTENT}
            </a>
            <div class="topbar-row">
                <a href="/images" class="brand" on:click=move |ev: leptos::ev::MouseEvent| {
                    if ev.button() == 0 && !ev.ctrl_key() && !ev.meta_key() {
                        ev.prevent_default();
                        navigate("/images");
                    }
                }>
                    <span class="brand-mark" aria-hidden="true"></span>
                    {msg::APP_NAME}
                </a>
                <nav class="mainnav" aria-label=msg::MAIN_NAV>
                    <Link href="/images".into()>{msg::NAV_MY_IMAGES}</Link>
                    <Link href="/shared".into() describedby="pending-desc">
                        {msg::NAV_SHARED_WITH_US}
                        {move || {
                            pending()
                                .map(|n| {
                                    view! {
                                        <span class="nav-badge" aria-hidden="true">
                                            {n}
                                        </span>
                                    }
                                })
                        }}
                    </Link>
                    <span id="pending-desc" class="sr-only">
                        {move || pending().map(msg::pending_offers).unwrap_or_default()}
                    </span>
                    <Link href="/audit".into()>{msg::NAV_ACCESS_AUDIT}</Link>
                    <Link href="/activity".into()>{msg::NAV_ACTIVITY}</Link>
                </nav>
                <div class="user">
                    <span class="user-name" title=msg::SIGNED_IN_AS>
                        {user_name}
                    </span>
                    <button type="button" class="btn btn-quiet" on:click=sign_out>
                        {msg::SIGN_OUT}
                    </button>
                </div>
            </div>
            <div class="context-row">
                <div class="field-inline">
                    <label for="project-switch">{msg::FIELD_PROJECT}</label>
                    <select
                        id="project-switch"
                        on:change=on_project
                        prop:disabled=move || switching.get()
                    >
                        {move || {
                            let current = project_id.get();
                            projects()
                                .into_iter()
                                .map(|p| {
                                    let selected = p.id == current;
                                    view! {
                                        <option value=p.id.clone() selected=selected>
                                            {p.name}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="project-id">
                    <span class="muted">{msg::PROJECT_ID_CAPTION}</span>
                    <code id="current-project-id">{move || project_id.get()}</code>
                    <CopyButton text=project_id label=msg::COPY_PROJECT_ID />
                </div>
                <div class="field-inline">
                    <label for="region-switch">{msg::FIELD_REGION}</label>
                    <select id="region-switch" on:change=on_region>
                        {move || {
                            let current = state.region.get();
                            let regions = regions();
                            if regions.is_empty() {
                                return view! {
                                    <option value="">{msg::NO_REGION}</option>
                                }
                                    .into_any();
                            }
                            regions
                                .into_iter()
                                .map(|r| {
                                    let selected = r == current;
                                    view! {
                                        <option value=r.clone() selected=selected>
                                            {r.clone()}
                                        </option>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </select>
                </div>
            </div>
        </header>
    }
}
