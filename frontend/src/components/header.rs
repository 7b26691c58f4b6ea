use leptos::prelude::*;

use crate::api;
use crate::api::ApiError;
use crate::change::{Run, change};
use crate::components::{CopyButton, LanguagePicker};
use crate::i18n::{Key, t, text, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::router::{Link, Route, navigate, use_location};
use crate::state::use_state;

/// The header bar: navigation, project and region switchers, the project ID to hand out,
/// the language, the user and sign out.
#[component]
pub fn Header() -> impl IntoView {
    let state = use_state();
    let location = use_location();

    let project_id = text(move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.project.id.clone()).unwrap_or_default())
    });
    // "alice · project-a": who acts, and where.
    let acting = move || {
        state.session.with(|s| {
            s.as_ref()
                .map(|s| format!("{} \u{b7} {}", s.user.name, s.project.name))
                .unwrap_or_default()
        })
    };
    let user_id = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.user.id.clone()).unwrap_or_default())
    };
    let user_name = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.user.name.clone()).unwrap_or_default())
    };
    let accounts = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.accounts.clone()).unwrap_or_default())
    };
    let regions = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.regions.clone()).unwrap_or_default())
    };

    let switch = change();
    // Each option is "USER_ID PROJECT_ID": a project of one of the session's accounts.
    let on_project = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let Some((user, id)) = value
            .split_once(' ')
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
        else {
            return;
        };
        if id == project_id.get_untracked() && user == user_id() {
            return;
        }
        let on_detail = matches!(location.route.get_untracked(), Route::Image(_));
        switch.run(async move {
            match api::switch_project(&user, &id).await {
                Ok(session) => {
                    let name = session.project.name.clone();
                    state.set_session(session);
                    state.success(tf(Key::NavSwitchedProject, &[("name", &name)]));
                    // The image on screen belongs to the other project.
                    if on_detail {
                        navigate(&Route::MyImages.href());
                    }
                }
                Err(e) => switch_failed(state, &e),
            }
            Ok(())
        });
    };

    let on_region = move |ev: leptos::ev::Event| {
        let region = event_target_value(&ev);
        if !region.is_empty() {
            state.set_region(region);
        }
    };

    let sign_out = change();
    // Signs the active account out of the session, the others staying.
    let sign_out_one = move |_| {
        let user = user_id();
        let name = user_name();
        sign_out.run(async move {
            match api::remove_account(&user).await {
                Ok(Some(session)) => {
                    state.set_session(session);
                    state.success(tf(Key::NavAccountSignedOut, &[("name", &name)]));
                    navigate(&Route::MyImages.href());
                }
                _ => {
                    state.signed_out();
                    navigate(&Route::SignIn.href());
                }
            }
            Ok(())
        })
    };

    let pending = move || state.pending.get().filter(|n| *n > 0);
    let my_images = Route::MyImages.href();

    view! {
        <header class="topbar">
            <a class="skip" href="#main">
                {tr(Key::NavSkip)}
            </a>
            <div class="topbar-row">
                <Link href=my_images.clone() class="brand" exact=true>
                    <span class="brand-mark" aria-hidden="true"></span>
                    {msg::APP_NAME}
                </Link>
                <nav class="mainnav" aria-label=tr(Key::NavMain)>
                    <Link href=my_images>{tr(Key::NavMyImages)}</Link>
                    <Link href=Route::SharedWithUs.href() describedby="pending-desc">
                        {tr(Key::NavSharedWithUs)}
                        {move || {
                            pending()
                                .map(|n| {
                                    view! {
                                        <span class="nav-badge" aria-hidden="true">
                                            {msg::number(n)}
                                        </span>
                                    }
                                })
                        }}
                    </Link>
                    <span id="pending-desc" class="sr-only">
                        {move || pending().map(|n| tn(Key::NavPendingOffers, n, &[])).unwrap_or_default()}
                    </span>
                    <Link href=Route::AccessAudit.href()>{tr(Key::NavAccessAudit)}</Link>
                    <Link href=Route::Activity.href()>{tr(Key::NavActivity)}</Link>
                </nav>
                <div class="user">
                    <span class="user-name" title=tr(Key::NavSignedInAs)>
                        {acting}
                    </span>
                    <Link href=Route::SignIn.with_query("add=1") class="btn btn-quiet">
                        {tr(Key::NavAddAccount)}
                    </Link>
                    <Show when=move || state.several_accounts()>
                        <button
                            type="button"
                            class="btn btn-quiet"
                            prop:disabled=move || sign_out.pending().get()
                            on:click=sign_out_one
                        >
                            {move || tf(Key::NavSignOutAccount, &[("name", &user_name())])}
                        </button>
                    </Show>
                    <button
                        type="button"
                        class="btn btn-quiet"
                        prop:disabled=move || sign_out.pending().get()
                        on:click=move |_| {
                            sign_out.run(async move {
                                let _ = api::sign_out().await;
                                state.signed_out();
                                navigate(&Route::SignIn.href());
                                Ok(())
                            })
                        }
                    >
                        {tr(Key::NavSignOut)}
                    </button>
                </div>
            </div>
            <div class="context-row">
                <div class="field-inline">
                    <label for="project-switch">{tr(Key::NavProject)}</label>
                    <select
                        id="project-switch"
                        on:change=on_project
                        prop:disabled=move || switch.pending().get()
                    >
                        // One group per account when there are several.
                        {move || {
                            let (current, me) = (project_id.get(), user_id());
                            let accounts = accounts();
                            let grouped = accounts.len() > 1;
                            accounts
                                .into_iter()
                                .map(|a| {
                                    let options = a
                                        .projects
                                        .into_iter()
                                        .map(|p| {
                                            let selected = p.id == current && a.user.id == me;
                                            view! {
                                                <option value=format!("{} {}", a.user.id, p.id) selected=selected>
                                                    {p.name}
                                                </option>
                                            }
                                        })
                                        .collect_view();
                                    if grouped {
                                        view! { <optgroup label=a.user.name>{options}</optgroup> }.into_any()
                                    } else {
                                        options.into_any()
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="project-id">
                    <span class="muted">{tr(Key::NavProjectId)}</span>
                    <code id="current-project-id">{move || project_id.get()}</code>
                    <CopyButton value=project_id label=Key::NavCopyProjectId />
                </div>
                <div class="field-inline">
                    <label for="region-switch">{tr(Key::NavRegion)}</label>
                    <select id="region-switch" on:change=on_region>
                        {move || {
                            let current = state.region.get();
                            let regions = regions();
                            if regions.is_empty() {
                                return view! {
                                    <option value="">{t(Key::NavNoRegion)}</option>
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
                <LanguagePicker id="language-switch" />
            </div>
        </header>
    }
}

fn switch_failed(state: crate::state::AppState, e: &ApiError) {
    let why = msg::error(Doing::SwitchProject, e);
    state.error(tf(Key::NavSwitchFailed, &[("why", &why)]));
    // Put the select back on the project we are still in.
    state.session.update(|_| {});
}
