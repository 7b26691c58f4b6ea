//! The activity log: who changed what through Glimpse, newest first, filtered and paged.

use json::ActivityEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::change::{Run, change};
use crate::components::{EmptyState, ErrorNote, FailureLine, Loading, options};
use crate::format;
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::router::{page_title, set_query, use_location};
use crate::state::use_state;

mod filter;
mod row;

use filter::{FIELDS, Filter, action_choices, outcome_choices};
use row::event_row;

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Loading,
    Ready,
    Failed(ApiError),
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();
    page_title(tr(Key::NavActivity));
    let filter = Memo::new(move |_| {
        let mut f = Filter::default();
        for name in FIELDS.into_iter().chain(["limit"]) {
            *f.get(name) = location.param(name).unwrap_or_default();
        }
        f
    });
    // The filters as the form shows them (dates as local `datetime-local` values).
    let shown = Memo::new(move |_| {
        let f = filter.get();
        Filter {
            from: format::utc_to_local_input(&f.from, 0),
            // "To" takes in its whole minute: the API's `to` is the next minute, exclusive.
            to: format::utc_to_local_input(&f.to, 1),
            ..f
        }
    });
    // What the person has typed or chosen, applied on change. The fields show `shown`, not
    // this: rewriting a field while it is typed in (a half-typed date is "") would spoil it.
    let draft = RwSignal::new(Filter::default());
    Effect::new(move |_| draft.set(shown.get()));
    let apply = move || {
        let d = draft.get_untracked();
        let f = Filter {
            from: format::local_input_to_utc(&d.from, 0),
            to: format::local_input_to_utc(&d.to, 1),
            ..d
        };
        set_query(&f.query(&[]));
    };

    let events = RwSignal::new(Vec::<ActivityEvent>::new());
    let next = RwSignal::new(None::<i64>);
    let phase = RwSignal::new(Phase::Loading);
    let reload = RwSignal::new(0u32);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        reload.track();
        let f = filter.get();
        generation.update_value(|g| *g += 1);
        let me = generation.get_value();
        phase.set(Phase::Loading);
        spawn_local(async move {
            let result = api::list_events(&f.query(&[])).await;
            if generation.try_get_value() != Some(me) {
                return;
            }
            match result {
                Ok(list) => {
                    events.set(list.events);
                    next.set(list.next_before);
                    phase.set(Phase::Ready);
                }
                Err(e) => {
                    events.set(Vec::new());
                    next.set(None);
                    phase.set(Phase::Failed(e));
                }
            }
        });
    });

    let load_more = change();
    let more = move || {
        let Some(before) = next.get_untracked() else {
            return;
        };
        let f = filter.get_untracked();
        let me = generation.get_value();
        load_more.run(async move {
            let before = before.to_string();
            let list = api::list_events(&f.query(&[("before", &before)])).await?;
            // Only if the filters are still those of this page of events.
            if generation.try_get_value() == Some(me) {
                events.update(|e| e.extend(list.events));
                next.set(list.next_before);
            }
            Ok(())
        });
    };

    // The API's complaint about one filter, shown under it.
    let field_error = move |name: &'static str| {
        phase.with(|p| match p {
            Phase::Failed(e) if e.is(json::ErrorCode::InvalidInput) => {
                (e.field.as_deref() == Some(name)).then(|| msg::error(Doing::Filter, e))
            }
            _ => None,
        })
    };
    let field = move |name: &'static str, label: Key, control: AnyView| -> AnyView {
        let error_id = format!("filter-{name}-error");
        view! {
            <div class="field">
                <label for=format!("filter-{name}")>{tr(label)}</label>
                {control}
                {move || {
                    field_error(name)
                        .map(|e| {
                            view! {
                                <p class="form-error" role="alert" id=error_id.clone()>
                                    {e}
                                </p>
                            }
                        })
                }}
            </div>
        }
        .into_any()
    };
    let input = move |name: &'static str, kind: &'static str, placeholder: Option<Key>| {
        view! {
            <input
                id=format!("filter-{name}")
                type=kind
                placeholder=move || placeholder.map(t).unwrap_or_default()
                aria-invalid=move || if field_error(name).is_some() { "true" } else { "false" }
                aria-describedby=format!("filter-{name}-error")
                prop:value=move || shown.with(|d| d.value(name))
                on:input=move |ev| draft.update(|d| *d.get(name) = event_target_value(&ev))
                on:change=move |_| apply()
            />
        }
        .into_any()
    };
    let select = move |name: &'static str, list: fn() -> Vec<(String, String)>| {
        view! {
            <select
                id=format!("filter-{name}")
                aria-invalid=move || if field_error(name).is_some() { "true" } else { "false" }
                aria-describedby=format!("filter-{name}-error")
                on:change=move |ev| {
                    draft.update(|d| *d.get(name) = event_target_value(&ev));
                    apply();
                }
            >
                {move || {
                    let chosen = shown.with(|d| d.value(name));
                    let mut list = list();
                    if !list.iter().any(|(v, _)| *v == chosen) {
                        list.push((chosen.clone(), tf(Key::ActivityFailedWith, &[("code", &chosen)])));
                    }
                    options(list, &chosen)
                }}
            </select>
        }
        .into_any()
    };
    let export = move || {
        let f = Filter {
            limit: "1000".into(),
            ..filter.get()
        };
        api::url(&format!("/audit/events?{}", f.query(&[("format", "csv")])))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{tr(Key::NavActivity)}</h1>
                    <p class="lede">{tr(Key::ActivityLede)}</p>
                </div>
                <div class="toolbar">
                    <a class="btn" href=export download="">
                        {tr(Key::CommonExportCsv)}
                    </a>
                    <button type="button" class="btn" on:click=move |_| reload.update(|n| *n += 1)>
                        {tr(Key::CommonRefresh)}
                    </button>
                </div>
            </div>
            <form
                class="filters"
                aria-label=tr(Key::CommonFilters)
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    apply();
                }
            >
                {field("from", Key::ActivityFrom, input("from", "datetime-local", None))}
                {field("to", Key::ActivityTo, input("to", "datetime-local", None))}
                {field("user", Key::ActivityUser, input("user", "text", Some(Key::ActivityNameOrId)))}
                {field("project", Key::ActivityProject, input("project", "text", Some(Key::ActivityNameOrId)))}
                {field("image", Key::ActivityImage, input("image", "text", Some(Key::ActivityImagePlaceholder)))}
                {field("action", Key::ActivityAction, select("action", action_choices))}
                {field("outcome", Key::ActivityOutcome, select("outcome", outcome_choices))}
                <div class="filter-actions">
                    <button type="submit" class="btn btn-primary">
                        {tr(Key::ActivityApply)}
                    </button>
                    <Show when=move || !filter.with(Filter::is_empty)>
                        <button
                            type="button"
                            class="btn"
                            on:click=move |_| {
                                let limit = filter.with_untracked(|f| f.limit.clone());
                                set_query(&api::query(&[("limit", &limit)]));
                            }
                        >
                            {tr(Key::CommonClearFilters)}
                        </button>
                    </Show>
                </div>
            </form>
            {move || match phase.get() {
                Phase::Loading => view! { <Loading text=Key::ActivityLoading /> }.into_any(),
                Phase::Failed(e) => {
                    let on_a_field = e.is(json::ErrorCode::InvalidInput)
                        && e.field.as_deref().is_some_and(|f| FIELDS.contains(&f));
                    if on_a_field {
                        ().into_any()
                    } else {
                        view! { <ErrorNote error=e retry=Callback::new(move |_| reload.update(|n| *n += 1)) /> }
                            .into_any()
                    }
                }
                Phase::Ready if events.with(Vec::is_empty) => {
                    if filter.with(Filter::is_empty) {
                        view! { <EmptyState title=tr(Key::ActivityNone) hint=tr(Key::ActivityNoneHint) /> }
                            .into_any()
                    } else {
                        view! { <EmptyState title=tr(Key::ActivityNoMatch) hint=tr(Key::CommonNoMatchFiltersHint) /> }
                            .into_any()
                    }
                }
                Phase::Ready => {
                    view! {
                        <p class="table-meta" aria-live="polite">
                            {move || {
                                let key = if next.with(Option::is_some) { Key::ActivityShownMore } else { Key::ActivityShown };
                                tn(key, events.with(Vec::len), &[])
                            }}
                        </p>
                        <div class="table-wrap" tabindex="0" role="region" aria-label=tr(Key::NavActivity)>
                            <table class="table" id="activity">
                                <caption class="sr-only">{tr(Key::NavActivity)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{tr(Key::ColTime)}</th>
                                        <th scope="col">{tr(Key::ColUser)}</th>
                                        <th scope="col">{tr(Key::ColProject)}</th>
                                        <th scope="col">{tr(Key::ColRegion)}</th>
                                        <th scope="col">{tr(Key::ColAction)}</th>
                                        <th scope="col">{tr(Key::ColImage)}</th>
                                        <th scope="col">{tr(Key::ColMemberProject)}</th>
                                        <th scope="col">{tr(Key::ColOutcome)}</th>
                                        <th scope="col">{tr(Key::ColRequestId)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {move || {
                                        let projects = state
                                            .session
                                            .with_untracked(|s| {
                                                s.as_ref().map(|s| s.projects.clone()).unwrap_or_default()
                                            });
                                        events
                                            .get()
                                            .into_iter()
                                            .map(|e| event_row(e, &projects))
                                            .collect_view()
                                    }}
                                </tbody>
                            </table>
                        </div>
                        <p class="muted small">{tr(Key::ActivityUnfinishedExplained)}</p>
                        <FailureLine error=load_more.failure() doing=Doing::Load />
                        <Show when=move || next.with(Option::is_some)>
                            <button
                                type="button"
                                class="btn"
                                prop:disabled=move || load_more.pending().get()
                                on:click=move |_| more()
                            >
                                {tr(Key::ActivityLoadMore)}
                            </button>
                        </Show>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
