//! One offer of the inbox: the image, its owner, the project it is for, and the decisions.

use std::sync::Arc;

use json::MemberStatus;
use leptos::prelude::*;

use super::table::{Offer, actions};
use crate::components::FailureLine;
use crate::format;
use crate::i18n::{Key, derived, text, tf};
use crate::msg::{self, Doing};
use crate::router::{Link, Route};

#[component]
pub(super) fn OfferRow(
    offer: Offer,
    tab: MemberStatus,
    selected: RwSignal<Vec<String>>,
    decide: Callback<(Vec<String>, MemberStatus)>,
    running: Memo<bool>,
    /// The table has an "Offered to" column.
    everywhere: bool,
) -> impl IntoView {
    // "project-b · bob": the project it is offered to, and the account that has it.
    let offered_to = offer
        .image
        .offered_to
        .as_ref()
        .map(|to| format!("{} \u{b7} {}", to.project.name, to.account.name));
    let id = offer.image.id.clone();
    let name = msg::image_name(offer.image.name.as_deref());
    let href = Route::Image(id.clone()).href();
    let select_label = text(move || tf(Key::SharedSelect, &[("name", &name)]));
    let name = msg::image_name(offer.image.name.as_deref());
    let owner_name = offer.image.owner_name.clone();
    let owner_id = offer.image.owner.clone().unwrap_or_default();
    // A name learned at another user's sign-in says so, beside the id.
    let owner_sub = match &offer.image.owner_name_seen {
        Some(seen) => format!("{owner_id} · {}", msg::learned(seen)),
        None => owner_id.clone(),
    };
    let since = offer.image.created_at.clone();
    let (since_title, since_ago) = (since.clone(), since.clone());
    let size = offer.image.size;
    let busy = offer.busy;
    let error = derived(Arc::new(move || offer.error.get()));
    let is_selected = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let row_selected = is_selected.clone();
    let gone = offer.gone;
    let id_toggle = id.clone();
    view! {
        <tr class:row-selected=row_selected class:hidden=move || gone.get()>
            <td class="select">
                <input
                    type="checkbox"
                    aria-label=select_label
                    prop:checked=is_selected
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let id = id_toggle.clone();
                        selected.update(|s| {
                            s.retain(|x| *x != id);
                            if on {
                                s.push(id);
                            }
                        });
                    }
                />
            </td>
            <td>
                <Link href=href class="strong">{name}</Link>
                <div class="sub mono">{id.clone()}</div>
            </td>
            <td>
                {match owner_name {
                    Some(n) => {
                        view! {
                            <span>{n}</span>
                            <div class="sub mono">{owner_sub}</div>
                        }
                            .into_any()
                    }
                    None => view! { <code>{owner_id}</code> }.into_any(),
                }}
            </td>
            <Show when=move || everywhere>
                <td>{offered_to.clone()}</td>
            </Show>
            <td class="num">{text(move || format::size(size))}</td>
            <td>
                <time datetime=since title=text(move || format::date_time(&since_title))>
                    {text(move || format::ago(&since_ago))}
                </time>
            </td>
            <td class="actions">
                {actions(tab)
                    .into_iter()
                    .map(|decision| {
                        let id = id.clone();
                        view! {
                            <button
                                type="button"
                                class=if decision == MemberStatus::Accepted { "btn btn-small btn-primary" } else { "btn btn-small" }
                                prop:disabled=move || busy.get() || running.get()
                                on:click=move |_| decide.run((vec![id.clone()], decision))
                            >
                                {text(move || msg::decision_button(decision))}
                            </button>
                        }
                    })
                    .collect_view()}
                <FailureLine error=error doing=Doing::Decide class="cell-error" />
            </td>
        </tr>
    }
}
