use json::{ImageDetail, MemberStatus, MemberStatusFilter, OwnerFilter};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::change::{Run, change};
use crate::components::{FailureLine, StatusBadge};
use crate::i18n::{Key, text, tf, tr};
use crate::msg::{self, Doing};
use crate::state::{Scope, use_state};

/// An image another project shares with the current one: whose it is, and this project's
/// decision on it.
#[component]
pub fn OfferPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let state = use_state();
    let owner = image.with_untracked(|d| {
        d.image
            .owner_name
            .clone()
            .or_else(|| d.image.owner.clone())
            .unwrap_or_default()
    });
    let status = move || image.with(|d| d.image.member_status);
    // The single-image answer may not carry our decision: the list of offers does.
    if image.with_untracked(|d| d.image.member_status.is_none()) {
        let region = scope.region.clone();
        let id = image.with_untracked(|d| d.image.id.clone());
        spawn_local(async move {
            if let Ok(list) = api::list_images(
                &region,
                OwnerFilter::Others,
                Some(MemberStatusFilter::All),
                false,
            )
            .await
                && let Some(found) = list.images.into_iter().find(|i| i.id == id)
            {
                image.try_update(|d| d.image.member_status = found.member_status);
            }
        });
    }

    let change = change();
    let where_ = StoredValue::new((scope.region.clone(), scope.project_id.clone()));
    let decide = move |decision: MemberStatus| {
        let (region, project) = where_.get_value();
        let (id, name) = image
            .with_untracked(|d| (d.image.id.clone(), msg::image_name(d.image.name.as_deref())));
        change.run(async move {
            let m = api::decide(&region, &id, &project, decision).await?;
            image.update(|d| d.image.member_status = Some(m.status));
            state.success(msg::decided(decision, &name));
            state.refresh_pending();
            Ok(())
        });
    };
    let button = move |decision: MemberStatus| {
        view! {
            <button
                type="button"
                class=if decision == MemberStatus::Accepted { "btn btn-primary" } else { "btn" }
                prop:disabled=move || change.pending().get()
                on:click=move |_| decide(decision)
            >
                {text(move || msg::decision_button(decision))}
            </button>
        }
    };

    view! {
        <section class="card" aria-labelledby="offer-title">
            <h2 id="offer-title">{tr(Key::SharedTitle)}</h2>
            <p>{text(move || tf(Key::SharedOfferedBy, &[("owner", &owner)]))}</p>
            {move || {
                status()
                    .map(|s| {
                        view! {
                            <p>
                                {tr(Key::SharedYourDecision)}
                                " "
                                <StatusBadge status=s />
                            </p>
                            <div class="form-actions">
                                {MemberStatus::ALL
                                    .into_iter()
                                    .filter(|d| *d != s)
                                    .map(button)
                                    .collect_view()}
                            </div>
                        }
                    })
            }}
            <p class="explain">{tr(Key::SharedDecisionExplained)}</p>
            <FailureLine error=change.failure() doing=Doing::Decide />
        </section>
    }
}
