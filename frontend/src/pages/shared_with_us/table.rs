//! The offers of one tab of the inbox, with the decisions on one or many of them.

use std::cell::RefCell;

use json::{Image, MemberStatus};
use leptos::prelude::*;

use super::row::OfferRow;
use crate::api::{self, ApiError};
use crate::change::{Run, change};
use crate::components::EmptyState;
use crate::i18n::{Key, t, text, tn, tr};
use crate::msg;
use crate::state::{Scope, use_state};
use crate::tasks::run_parallel;

/// How many decisions are sent at once in a bulk action.
const PARALLEL: usize = 4;

#[derive(Clone)]
pub(super) struct Offer {
    pub(super) image: Image,
    pub(super) busy: RwSignal<bool>,
    pub(super) error: RwSignal<Option<ApiError>>,
    /// Decided: it has left this tab.
    pub(super) gone: RwSignal<bool>,
}

/// Decisions sent so far of a bulk action.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Progress {
    done: usize,
    total: usize,
    decision: MemberStatus,
}

/// The actions offered on a tab: every decision but the one the tab shows.
pub(super) fn actions(tab: MemberStatus) -> [MemberStatus; 2] {
    match tab {
        MemberStatus::Pending => [MemberStatus::Accepted, MemberStatus::Rejected],
        MemberStatus::Accepted => [MemberStatus::Rejected, MemberStatus::Pending],
        MemberStatus::Rejected => [MemberStatus::Accepted, MemberStatus::Pending],
    }
}

/// What a decision on several offers says when it is over: None for a single one (its row
/// says it if it failed), else whether all went through.
fn summary(decision: MemberStatus, ok: usize, total: usize) -> Option<(bool, String)> {
    match total {
        1 => None,
        t if ok == t => Some((true, msg::decided_many(decision, total))),
        _ => Some((false, msg::decided_some(decision, ok, total))),
    }
}

#[component]
pub(super) fn OfferTable(scope: Scope, tab: MemberStatus, images: Vec<Image>) -> impl IntoView {
    let state = use_state();
    if images.is_empty() {
        let project = scope.project_name.clone();
        return view! {
            <EmptyState
                title=text(move || msg::no_offers(tab, &project))
                hint=text(move || msg::no_offers_hint(tab))
            />
        }
        .into_any();
    }
    // Every offer is drawn once; a decided one is hidden (it has left this tab).
    let rows = StoredValue::new(
        images
            .into_iter()
            .map(|image| Offer {
                image,
                busy: RwSignal::new(false),
                error: RwSignal::new(None),
                gone: RwSignal::new(false),
            })
            .collect::<Vec<_>>(),
    );
    let left = move || {
        rows.with_value(|r| {
            r.iter()
                .filter(|o| !o.gone.get())
                .map(|o| o.image.id.clone())
                .collect::<Vec<_>>()
        })
    };
    // Ids of the selected rows (a few at most: a Vec is enough).
    let selected = RwSignal::new(Vec::<String>::new());
    let progress = RwSignal::new(Progress {
        done: 0,
        total: 0,
        decision: MemberStatus::Pending,
    });

    // Sends the decision for each id, a few at a time; decided rows leave this tab.
    let run = change();
    let where_ = StoredValue::new((scope.region.clone(), scope.project_id.clone()));
    // Offers to the session's other projects say which (the inbox across accounts).
    let everywhere = rows.with_value(|r| r.iter().any(|o| o.image.offered_to.is_some()));
    // The table may be redrawn while decisions are on their way (the list reloads when the
    // project changes): its rows are taken first, and read after the wait only if still there.
    let decide = Callback::new(move |(ids, decision): (Vec<String>, MemberStatus)| {
        let (region, project) = where_.get_value();
        let targets: Vec<Offer> = rows.with_value(|rows| {
            rows.iter()
                .filter(|r| ids.contains(&r.image.id))
                .cloned()
                .collect()
        });
        run.run(async move {
            let total = targets.len();
            progress.try_set(Progress {
                done: 0,
                total,
                decision,
            });
            for t in &targets {
                t.busy.try_set(true);
                t.error.try_set(None);
            }
            // (id, name) of each success.
            let ok = RefCell::new(Vec::<(String, String)>::new());
            run_parallel(targets, PARALLEL, |offer: Offer| {
                let (region, project, ok) = (region.clone(), project.clone(), &ok);
                async move {
                    let id = offer.image.id.clone();
                    // Decided by the project it is offered to, as the account that has it.
                    let project = match &offer.image.offered_to {
                        Some(to) => to.project.id.clone(),
                        None => project,
                    };
                    let r = api::decide(&region, &id, &project, decision).await;
                    offer.busy.try_set(false);
                    progress.try_update(|p| p.done += 1);
                    match r {
                        Ok(_) => ok
                            .borrow_mut()
                            .push((id, msg::image_name(offer.image.name.as_deref()))),
                        Err(e) => {
                            offer.error.try_set(Some(e));
                        }
                    }
                }
            })
            .await;
            let ok = ok.into_inner();
            let is_done = |id: &String| ok.iter().any(|(x, _)| x == id);
            rows.try_with_value(|rows| {
                for r in rows.iter().filter(|r| is_done(&r.image.id)) {
                    r.gone.try_set(true);
                }
            });
            selected.try_update(|s| s.retain(|id| !is_done(id)));
            match (summary(decision, ok.len(), total), ok.first()) {
                (Some((true, text)), _) => state.success(text),
                (Some((false, text)), _) => state.error(text),
                (None, Some((_, name))) => state.success(msg::decided(decision, name)),
                (None, None) => {}
            }
            state.refresh_pending();
            Ok(())
        });
    });
    let running = run.pending();

    let all_ids = left;
    let all_selected = move || {
        let n = left().len();
        n > 0 && selected.with(|s| s.len()) == n
    };
    let toggle_all = move |ev: leptos::ev::Event| {
        if event_target_checked(&ev) {
            selected.set(all_ids());
        } else {
            selected.set(Vec::new());
        }
    };
    let n_selected = move || selected.with(|s| s.len());

    let bulk_buttons = actions(tab)
        .into_iter()
        .map(|decision| {
            view! {
                <button
                    type="button"
                    class=if decision == MemberStatus::Accepted { "btn btn-primary" } else { "btn" }
                    prop:disabled=move || n_selected() == 0 || running.get()
                    on:click=move |_| decide.run((selected.get_untracked(), decision))
                >
                    {text(move || msg::bulk_button(decision))}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class:hidden=move || left().is_empty()>
        <div class="bulkbar" role="group" aria-label=tr(Key::SharedBulkActions)>
            <span class="muted">
                {move || match n_selected() {
                    0 => t(Key::SharedSelectedNone),
                    n => tn(Key::SharedSelected, n, &[]),
                }}
            </span>
            {bulk_buttons}
            <Show when=move || running.get()>
                <div class="progress" role="status">
                    <progress
                        max=move || progress.get().total.to_string()
                        value=move || progress.get().done.to_string()
                        aria-label=tr(Key::SharedProgress)
                    ></progress>
                    <span>
                        {move || {
                            let p = progress.get();
                            msg::running(p.decision, p.done, p.total)
                        }}
                    </span>
                </div>
            </Show>
        </div>
        <div class="table-wrap">
            <table class="table" id="offers">
                <caption class="sr-only">{text(move || msg::member_status(tab))}</caption>
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input
                                type="checkbox"
                                aria-label=tr(Key::SharedSelectAll)
                                prop:checked=all_selected
                                on:change=toggle_all
                            />
                        </th>
                        <th scope="col">{tr(Key::ColImage)}</th>
                        <th scope="col">{tr(Key::ColOwner)}</th>
                        <Show when=move || everywhere>
                            <th scope="col">{tr(Key::ColOfferedTo)}</th>
                        </Show>
                        <th scope="col" class="num">{tr(Key::ColSize)}</th>
                        <th scope="col">{tr(Key::ColCreated)}</th>
                        <th scope="col" class="actions">
                            <span class="sr-only">{tr(Key::ColActions)}</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .get_value()
                        .into_iter()
                        .map(|offer| {
                            view! {
                                <OfferRow offer=offer tab=tab selected=selected decide=decide running=running everywhere=everywhere />
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        </div>
        <Show when=move || left().is_empty()>
            <EmptyState
                title=text(move || msg::all_decided(tab))
                hint=text(move || msg::no_offers_hint(tab))
            />
        </Show>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tab_offers_the_other_two_decisions() {
        for tab in MemberStatus::ALL {
            let offered = actions(tab);
            assert!(!offered.contains(&tab), "{tab:?}");
            assert_ne!(offered[0], offered[1]);
        }
        // Accepting comes first where it is offered: it is the primary button.
        assert_eq!(actions(MemberStatus::Pending)[0], MemberStatus::Accepted);
    }
}
