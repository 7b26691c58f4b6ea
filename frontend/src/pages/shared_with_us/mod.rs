//! The inbox ("Shared with us"): images other projects offered to the current project, by its
//! decision; or, when the session holds several accounts, to every project of every account,
//! each offer saying which project it is for (`table.rs`, one row per offer in `row.rs`).

mod row;
mod table;

use json::{MemberStatus, MemberStatusFilter, OwnerFilter};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{ErrorNote, Loading};
use crate::i18n::{Key, text, tf, tr};
use crate::msg;
use crate::pages::my_images::no_session;
use crate::router::{Route, navigate, page_title, use_location};
use crate::state::use_state;
use table::OfferTable;

/// The inbox: images other projects offered to ours, by our decision.
#[component]
pub fn SharedWithUsPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();
    page_title(tr(Key::NavSharedWithUs));
    let tab = Memo::new(move |_| match location.param("status").as_deref() {
        Some("accepted") => MemberStatus::Accepted,
        Some("rejected") => MemberStatus::Rejected,
        _ => MemberStatus::Pending,
    });
    let offers = LocalResource::new(move || {
        let scope = state.scope();
        let tab = tab.get();
        let everywhere = state.several_accounts();
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let filter = match tab {
                MemberStatus::Pending => MemberStatusFilter::Pending,
                MemberStatus::Accepted => MemberStatusFilter::Accepted,
                MemberStatus::Rejected => MemberStatusFilter::Rejected,
            };
            let list =
                api::list_images(&scope.region, OwnerFilter::Others, Some(filter), everywhere)
                    .await?;
            Ok::<_, ApiError>((scope, tab, list.images))
        }
    });

    let tab_button = move |status: MemberStatus| {
        let id = format!("tab-{}", status.as_str());
        view! {
            <button
                type="button"
                role="tab"
                id=id
                class="tab"
                aria-selected=move || if tab.get() == status { "true" } else { "false" }
                aria-controls="offers-panel"
                tabindex=move || if tab.get() == status { "0" } else { "-1" }
                on:click=move |_| {
                    navigate(&Route::SharedWithUs.with_query(&format!("status={}", status.as_str())))
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    let all = MemberStatus::ALL;
                    let i = all.iter().position(|s| *s == status).unwrap_or(0);
                    let next = match ev.key().as_str() {
                        "ArrowRight" => all[(i + 1) % all.len()],
                        "ArrowLeft" => all[(i + all.len() - 1) % all.len()],
                        _ => return,
                    };
                    ev.prevent_default();
                    if let Some(el) = document().get_element_by_id(&format!("tab-{}", next.as_str())) {
                        let el: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(el);
                        let _ = el.focus();
                        el.click();
                    }
                }
            >
                {text(move || msg::member_status(status))}
                {move || {
                    (status == MemberStatus::Pending)
                        .then(|| state.pending.get().filter(|n| *n > 0))
                        .flatten()
                        .map(|n| view! { <span class="nav-badge" aria-hidden="true">{msg::number(n)}</span> })
                }}
            </button>
        }
    };
    let lede = move || {
        let key = if state.several_accounts() {
            Key::SharedLedeEverywhere
        } else {
            Key::SharedLede
        };
        state
            .scope()
            .map(|s| tf(key, &[("project", &s.project_name), ("region", &s.region)]))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{tr(Key::NavSharedWithUs)}</h1>
                    <p class="lede">{lede}</p>
                </div>
                <div class="toolbar">
                    <button type="button" class="btn" on:click=move |_| {
                        offers.refetch();
                        state.refresh_pending();
                    }>
                        {tr(Key::CommonRefresh)}
                    </button>
                </div>
            </div>
            <div class="tabs" role="tablist" aria-label=tr(Key::SharedTabs)>
                {MemberStatus::ALL.into_iter().map(tab_button).collect_view()}
            </div>
            <div id="offers-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", tab.get().as_str())>
                <p class="explain">{text(move || msg::tab_explained(tab.get()))}</p>
                {move || match offers.get() {
                    None => view! { <Loading text=Key::CommonLoadingImages /> }.into_any(),
                    Some(Err(e)) => {
                        view! { <ErrorNote error=e retry=Callback::new(move |_| offers.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok((scope, tab, images))) => {
                        view! { <OfferTable scope=scope tab=tab images=images /> }.into_any()
                    }
                }}
            </div>
        </section>
    }
}
