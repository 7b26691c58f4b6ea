use std::cell::RefCell;
use std::sync::Arc;

use json::{Image, MemberStatus, MemberStatusFilter, OwnerFilter};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::change::{Run, change};
use crate::components::{EmptyState, ErrorNote, FailureLine, Loading};
use crate::format;
use crate::i18n::{Key, derived, t, text, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::pages::my_images::no_session;
use crate::router::{Link, Route, navigate, page_title, use_location};
use crate::state::{Scope, use_state};
use crate::tasks::run_parallel;

/// How many decisions are sent at once in a bulk action.
const PARALLEL: usize = 4;

/// The inbox of the current project: images other projects offered it, by its decision.
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
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let filter = match tab {
                MemberStatus::Pending => MemberStatusFilter::Pending,
                MemberStatus::Accepted => MemberStatusFilter::Accepted,
                MemberStatus::Rejected => MemberStatusFilter::Rejected,
            };
            let list = api::list_images(&scope.region, OwnerFilter::Others, Some(filter)).await?;
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
        state.scope().map(|s| {
            tf(
                Key::SharedLede,
                &[("project", &s.project_name), ("region", &s.region)],
            )
        })
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

#[derive(Clone)]
struct Offer {
    image: Image,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// Decided: it has left this tab.
    gone: RwSignal<bool>,
}

/// Decisions sent so far of a bulk action.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Progress {
    done: usize,
    total: usize,
    decision: MemberStatus,
}

/// The actions offered on a tab: every decision but the one the tab shows.
fn actions(tab: MemberStatus) -> [MemberStatus; 2] {
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
fn OfferTable(scope: Scope, tab: MemberStatus, images: Vec<Image>) -> impl IntoView {
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
    let decide = Callback::new(move |(ids, decision): (Vec<String>, MemberStatus)| {
        let (region, project) = where_.get_value();
        run.run(async move {
            let targets: Vec<Offer> = rows.with_value(|rows| {
                rows.iter()
                    .filter(|r| ids.contains(&r.image.id))
                    .cloned()
                    .collect()
            });
            let total = targets.len();
            progress.set(Progress {
                done: 0,
                total,
                decision,
            });
            for t in &targets {
                t.busy.set(true);
                t.error.set(None);
            }
            // (id, name) of each success.
            let ok = RefCell::new(Vec::<(String, String)>::new());
            run_parallel(targets, PARALLEL, |offer: Offer| {
                let (region, project, ok) = (region.clone(), project.clone(), &ok);
                async move {
                    let id = offer.image.id.clone();
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
            rows.with_value(|rows| {
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
                                <OfferRow offer=offer tab=tab selected=selected decide=decide running=running />
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

#[component]
fn OfferRow(
    offer: Offer,
    tab: MemberStatus,
    selected: RwSignal<Vec<String>>,
    decide: Callback<(Vec<String>, MemberStatus)>,
    running: Memo<bool>,
) -> impl IntoView {
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
