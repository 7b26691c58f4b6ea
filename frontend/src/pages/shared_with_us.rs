use std::cell::RefCell;
use std::rc::Rc;

use json::{Image, MemberStatus, MemberStatusFilter, OwnerFilter};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{EmptyState, ErrorNote, Loading};
use crate::format;
use crate::msg;
use crate::pages::my_images::no_session;
use crate::router::{Link, navigate, use_location};
use crate::state::{Scope, use_state};
use crate::tasks::run_parallel;

/// How many decisions are sent at once in a bulk action.
const PARALLEL: usize = 4;

/// The inbox of the current project: images other projects offered it, by its decision.
#[component]
pub fn SharedWithUsPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();
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
                on:click=move |_| navigate(&format!("/shared?status={}", status.as_str()))
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
                {msg::member_status_tab(status)}
                {move || {
                    (status == MemberStatus::Pending)
                        .then(|| state.pending.get().filter(|n| *n > 0))
                        .flatten()
                        .map(|n| view! { <span class="nav-badge" aria-hidden="true">{n}</span> })
                }}
            </button>
        }
    };
    let lede = move || {
        state
            .scope()
            .map(|s| msg::shared_lede(&s.project_name, &s.region))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{msg::NAV_SHARED_WITH_US}</h1>
                    <p class="lede">{lede}</p>
                </div>
                <div class="toolbar">
                    <button type="button" class="btn" on:click=move |_| {
                        offers.refetch();
                        state.refresh_pending();
                    }>
                        {msg::REFRESH}
                    </button>
                </div>
            </div>
            <div class="tabs" role="tablist" aria-label=msg::OFFERS_BY_STATUS>
                {MemberStatus::ALL.into_iter().map(tab_button).collect_view()}
            </div>
            <div id="offers-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", tab.get().as_str())>
                <p class="explain">{move || msg::tab_explained(tab.get())}</p>
                {move || match offers.get() {
                    None => view! { <Loading text=msg::LOADING_IMAGES /> }.into_any(),
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
    error: RwSignal<Option<String>>,
}

/// One row a bulk action works on: id, name, its busy and error signals.
type Target = (String, String, RwSignal<bool>, RwSignal<Option<String>>);

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Progress {
    done: usize,
    total: usize,
    decision: Option<MemberStatus>,
}

/// The actions offered on a tab: every decision but the one the tab shows.
fn actions(tab: MemberStatus) -> Vec<MemberStatus> {
    match tab {
        MemberStatus::Pending => vec![MemberStatus::Accepted, MemberStatus::Rejected],
        MemberStatus::Accepted => vec![MemberStatus::Rejected, MemberStatus::Pending],
        MemberStatus::Rejected => vec![MemberStatus::Accepted, MemberStatus::Pending],
    }
}

#[component]
fn OfferTable(scope: Scope, tab: MemberStatus, images: Vec<Image>) -> impl IntoView {
    let state = use_state();
    if images.is_empty() {
        return view! {
            <EmptyState title=msg::no_offers(tab, &scope.project_name) hint=msg::no_offers_hint(tab) />
        }
        .into_any();
    }
    let rows = RwSignal::new(
        images
            .into_iter()
            .map(|image| Offer {
                image,
                busy: RwSignal::new(false),
                error: RwSignal::new(None),
            })
            .collect::<Vec<_>>(),
    );
    // Ids of the selected rows (a few at most: a Vec is enough).
    let selected = RwSignal::new(Vec::<String>::new());
    let progress = RwSignal::new(Progress::default());
    let running = move || progress.with(|p| p.decision.is_some());

    // Sends `decision` for each id, a few at a time; decided rows leave this tab.
    let run = {
        let scope = scope.clone();
        move |ids: Vec<String>, decision: MemberStatus| {
            if ids.is_empty() {
                return;
            }
            let region = scope.region.clone();
            let project = scope.project_id.clone();
            let total = ids.len();
            progress.set(Progress {
                done: 0,
                total,
                decision: Some(decision),
            });
            let targets: Vec<Target> = rows.with_untracked(|rows| {
                rows.iter()
                    .filter(|r| ids.contains(&r.image.id))
                    .map(|r| {
                        (
                            r.image.id.clone(),
                            msg::image_name(r.image.name.as_deref()),
                            r.busy,
                            r.error,
                        )
                    })
                    .collect()
            });
            for t in &targets {
                t.2.set(true);
                t.3.set(None);
            }
            // (id, name) of each success.
            let ok: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
            let ok_done = ok.clone();
            let work = move |(id, name, busy, error): Target| {
                let region = region.clone();
                let project = project.clone();
                let ok = ok.clone();
                async move {
                    let r = api::decide(&region, &id, &project, decision).await;
                    busy.try_set(false);
                    progress.try_update(|p| p.done += 1);
                    match r {
                        Ok(_) => ok.borrow_mut().push((id, name)),
                        Err(e) => {
                            error.try_set(Some(e.message));
                        }
                    }
                }
            };
            run_parallel(targets, PARALLEL, work, move || {
                let ok = ok_done.take();
                let is_done = |id: &String| ok.iter().any(|(x, _)| x == id);
                rows.try_update(|rows| rows.retain(|r| !is_done(&r.image.id)));
                selected.try_update(|s| s.retain(|id| !is_done(id)));
                progress.try_set(Progress::default());
                if total == 1 {
                    // A failure shows in its row.
                    if let Some((_, name)) = ok.first() {
                        state.success(msg::decided(decision, name));
                    }
                } else if ok.len() == total {
                    state.success(msg::decided_many(decision, total));
                } else {
                    state.error(msg::decided_some(decision, ok.len(), total));
                }
                state.refresh_pending();
            });
        }
    };

    let all_ids = move || rows.with(|r| r.iter().map(|o| o.image.id.clone()).collect::<Vec<_>>());
    let all_selected = move || {
        let n = rows.with(|r| r.len());
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

    let bulk_buttons = {
        let run = run.clone();
        actions(tab)
            .into_iter()
            .map(|decision| {
                let run = run.clone();
                view! {
                    <button
                        type="button"
                        class=if decision == MemberStatus::Accepted { "btn btn-primary" } else { "btn" }
                        prop:disabled=move || n_selected() == 0 || running()
                        on:click=move |_| {
                            run(selected.get_untracked(), decision)
                        }
                    >
                        {msg::bulk_button(decision)}
                    </button>
                }
            })
            .collect_view()
    };

    view! {
        <div class:hidden=move || rows.with(|r| r.is_empty())>
        <div class="bulkbar" role="group" aria-label=msg::BULK_ACTIONS>
            <span class="muted">{move || msg::n_selected(n_selected())}</span>
            {bulk_buttons}
            <Show when=running>
                <div class="progress" role="status">
                    <progress
                        max=move || progress.get().total.to_string()
                        value=move || progress.get().done.to_string()
                        aria-label=msg::PROGRESS
                    ></progress>
                    <span>
                        {move || {
                            let p = progress.get();
                            msg::progress(p.decision.unwrap_or(MemberStatus::Pending), p.done, p.total)
                        }}
                    </span>
                </div>
            </Show>
        </div>
        <div class="table-wrap">
            <table class="table" id="offers">
                <caption class="sr-only">{msg::member_status_tab(tab)}</caption>
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input
                                type="checkbox"
                                aria-label=msg::SELECT_ALL
                                prop:checked=all_selected
                                on:change=toggle_all
                            />
                        </th>
                        <th scope="col">{msg::COL_IMAGE}</th>
                        <th scope="col">{msg::COL_OWNER}</th>
                        <th scope="col" class="num">{msg::COL_SIZE}</th>
                        <th scope="col">{msg::COL_CREATED}</th>
                        <th scope="col" class="actions">
                            <span class="sr-only">{msg::COL_ACTIONS}</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|o| o.image.id.clone() let:offer>
                        {
                            let id = offer.image.id.clone();
                            let name = msg::image_name(offer.image.name.as_deref());
                            let href = format!("/images/{id}");
                            let select_label = msg::select_image(&name);
                            let owner_name = offer.image.owner_name.clone();
                            let owner_id = offer.image.owner.clone().unwrap_or_default();
                            let since = offer.image.created_at.clone();
                            let busy = offer.busy;
                            let error = offer.error;
                            let id_check = id.clone();
                            let id_toggle = id.clone();
                            let run = run.clone();
                            view! {
                                <tr class:row-selected=move || selected.with(|s| s.contains(&id_check))>
                                    <td class="select">
                                        <input
                                            type="checkbox"
                                            aria-label=select_label
                                            prop:checked={
                                                let id = id.clone();
                                                move || selected.with(|s| s.contains(&id))
                                            }
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
                                                    <div class="sub mono">{owner_id}</div>
                                                }
                                                    .into_any()
                                            }
                                            None => view! { <code>{owner_id}</code> }.into_any(),
                                        }}
                                    </td>
                                    <td class="num">{format::size(offer.image.size)}</td>
                                    <td>
                                        <time datetime=since.clone() title=format::date_time(&since)>
                                            {format::ago(&since)}
                                        </time>
                                    </td>
                                    <td class="actions">
                                        {actions(tab)
                                            .into_iter()
                                            .map(|decision| {
                                                let run = run.clone();
                                                let id = id.clone();
                                                view! {
                                                    <button
                                                        type="button"
                                                        class=if decision == MemberStatus::Accepted { "btn btn-small btn-primary" } else { "btn btn-small" }
                                                        prop:disabled=move || busy.get() || running()
                                                        on:click=move |_| run(vec![id.clone()], decision)
                                                    >
                                                        {msg::decision_button(decision)}
                                                    </button>
                                                }
                                            })
                                            .collect_view()}
                                        {move || error.get().map(|e| view! { <p class="cell-error" role="alert">{e}</p> })}
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </div>
        </div>
        <Show when=move || rows.with(|r| r.is_empty())>
            <EmptyState title=msg::all_decided(tab) hint=msg::no_offers_hint(tab) />
        </Show>
    }
    .into_any()
}
