//! The activity log: who changed what through Glimpse, newest first, filtered and paged.

use json::{Action, ActivityEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{EmptyState, ErrorNote, Loading, options};
use crate::format;
use crate::msg;
use crate::router::{set_query, use_location};
use crate::state::use_state;

/// The log's filters, named as the API's query parameters. In the page's query string `from`
/// and `to` are RFC 3339 (UTC); in the form they are `datetime-local` values.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filter {
    from: String,
    to: String,
    user: String,
    project: String,
    image: String,
    action: String,
    outcome: String,
    /// Events per page (the server's default when empty); not in the form, kept by it.
    limit: String,
}

/// The filters of the form, in order: the query parameter, which is also the field's name.
const FIELDS: [&str; 7] = [
    "from", "to", "user", "project", "image", "action", "outcome",
];

impl Filter {
    fn get(&mut self, name: &str) -> &mut String {
        match name {
            "from" => &mut self.from,
            "to" => &mut self.to,
            "user" => &mut self.user,
            "project" => &mut self.project,
            "image" => &mut self.image,
            "action" => &mut self.action,
            "outcome" => &mut self.outcome,
            _ => &mut self.limit,
        }
    }

    fn value(&self, name: &str) -> String {
        self.clone().get(name).clone()
    }

    fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("from", self.from.as_str()),
            ("to", &self.to),
            ("user", &self.user),
            ("project", &self.project),
            ("image", &self.image),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("limit", &self.limit),
        ];
        pairs.extend_from_slice(extra);
        api::query(&pairs)
    }

    /// True when no filter narrows the log (the page size is no filter).
    fn is_empty(&self) -> bool {
        *self
            == Self {
                limit: self.limit.clone(),
                ..Self::default()
            }
    }
}

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
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        reload.track();
        let f = filter.get();
        generation.update_value(|g| *g += 1);
        let me = generation.get_value();
        phase.set(Phase::Loading);
        more_busy.set(false);
        more_error.set(None);
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

    let load_more = move |_| {
        let Some(before) = next.get_untracked() else {
            return;
        };
        let f = filter.get_untracked();
        let me = generation.get_value();
        more_busy.set(true);
        more_error.set(None);
        spawn_local(async move {
            let before = before.to_string();
            let result = api::list_events(&f.query(&[("before", &before)])).await;
            if generation.try_get_value() != Some(me) {
                return;
            }
            match result {
                Ok(list) => {
                    events.update(|e| e.extend(list.events));
                    next.set(list.next_before);
                }
                Err(e) => more_error.set(Some(e.message)),
            }
            more_busy.set(false);
        });
    };

    // The API's complaint about one filter, shown under it.
    let field_error = move |name: &'static str| {
        phase.with(|p| match p {
            Phase::Failed(e) if e.is(json::ErrorCode::InvalidInput.as_str()) => {
                (e.field.as_deref() == Some(name)).then(|| e.message.clone())
            }
            _ => None,
        })
    };
    let field = move |name: &'static str, label: &'static str, control: AnyView| -> AnyView {
        let error_id = format!("filter-{name}-error");
        view! {
            <div class="field">
                <label for=format!("filter-{name}")>{label}</label>
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
    let input = move |name: &'static str, kind: &'static str, placeholder: &'static str| {
        view! {
            <input
                id=format!("filter-{name}")
                type=kind
                placeholder=placeholder
                aria-invalid=move || if field_error(name).is_some() { "true" } else { "false" }
                aria-describedby=format!("filter-{name}-error")
                prop:value=move || shown.with(|d| d.value(name))
                on:input=move |ev| draft.update(|d| *d.get(name) = event_target_value(&ev))
                on:change=move |_| apply()
            />
        }
        .into_any()
    };
    let select = move |name: &'static str, list: Vec<(String, String)>| {
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
                    let mut list = list.clone();
                    if !list.iter().any(|(v, _)| *v == chosen) {
                        list.push((chosen.clone(), msg::failed_with(&chosen)));
                    }
                    options(list, &chosen)
                }}
            </select>
        }
        .into_any()
    };
    let actions: Vec<(String, String)> = std::iter::once((String::new(), msg::ANY_ACTION.into()))
        .chain(
            Action::ALL
                .into_iter()
                .map(|a| (a.as_str().into(), msg::action(a).into())),
        )
        .collect();
    let outcomes: Vec<(String, String)> = [
        ("", msg::ANY_OUTCOME),
        ("ok", msg::OUTCOME_OK),
        ("failed", msg::OUTCOME_ANY_ERROR),
        ("unfinished", msg::OUTCOME_UNFINISHED),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect();
    let export = move || {
        format!(
            "/api/v1/audit/events?{}",
            Filter {
                limit: "1000".into(),
                ..filter.get()
            }
            .query(&[("format", "csv")])
        )
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{msg::NAV_ACTIVITY}</h1>
                    <p class="lede">{msg::ACTIVITY_LEDE}</p>
                </div>
                <div class="toolbar">
                    <a class="btn" href=export download="">
                        {msg::EXPORT_CSV}
                    </a>
                    <button type="button" class="btn" on:click=move |_| reload.update(|n| *n += 1)>
                        {msg::REFRESH}
                    </button>
                </div>
            </div>
            <form
                class="filters"
                aria-label=msg::FILTERS
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    apply();
                }
            >
                {field("from", msg::FIELD_FROM, input("from", "datetime-local", ""))}
                {field("to", msg::FIELD_TO, input("to", "datetime-local", ""))}
                {field("user", msg::FIELD_USER, input("user", "text", msg::NAME_OR_ID))}
                {field("project", msg::FIELD_PROJECT, input("project", "text", msg::NAME_OR_ID))}
                {field("image", msg::FIELD_IMAGE, input("image", "text", msg::IMAGE_ID_PLACEHOLDER))}
                {field("action", msg::FIELD_ACTION, select("action", actions))}
                {field("outcome", msg::FIELD_OUTCOME, select("outcome", outcomes))}
                <div class="filter-actions">
                    <button type="submit" class="btn btn-primary">
                        {msg::APPLY_FILTERS}
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
                            {msg::CLEAR_FILTERS}
                        </button>
                    </Show>
                </div>
            </form>
            {move || match phase.get() {
                Phase::Loading => view! { <Loading text=msg::LOADING_EVENTS /> }.into_any(),
                Phase::Failed(e) => {
                    let on_a_field = e.is(json::ErrorCode::InvalidInput.as_str())
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
                        view! { <EmptyState title=msg::NO_EVENTS hint=msg::NO_EVENTS_HINT /> }
                            .into_any()
                    } else {
                        view! { <EmptyState title=msg::NO_EVENTS_MATCH hint=msg::NO_MATCH_FILTERS_HINT /> }
                            .into_any()
                    }
                }
                Phase::Ready => {
                    view! {
                        <p class="table-meta" aria-live="polite">
                            {move || msg::events_shown(events.with(Vec::len), next.with(Option::is_some))}
                        </p>
                        <div class="table-wrap">
                            <table class="table" id="activity">
                                <caption class="sr-only">{msg::NAV_ACTIVITY}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{msg::COL_TIME}</th>
                                        <th scope="col">{msg::COL_USER}</th>
                                        <th scope="col">{msg::COL_PROJECT}</th>
                                        <th scope="col">{msg::COL_REGION}</th>
                                        <th scope="col">{msg::COL_ACTION}</th>
                                        <th scope="col">{msg::COL_IMAGE}</th>
                                        <th scope="col">{msg::COL_MEMBER_PROJECT}</th>
                                        <th scope="col">{msg::COL_OUTCOME}</th>
                                        <th scope="col">{msg::COL_REQUEST_ID}</th>
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
                        <p class="muted small">{msg::UNFINISHED_EXPLAINED}</p>
                        {move || more_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                        <Show when=move || next.with(Option::is_some)>
                            <button
                                type="button"
                                class="btn"
                                prop:disabled=move || more_busy.get()
                                on:click=load_more
                            >
                                {msg::LOAD_MORE}
                            </button>
                        </Show>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn event_row(e: ActivityEvent, projects: &[json::NamedRef]) -> AnyView {
    let member =
        e.member_id.map(
            |id| match projects.iter().find(|p| p.id == id).map(|p| p.name.clone()) {
                Some(name) => view! { <span title=id>{name}</span> }.into_any(),
                None => view! { <code>{id}</code> }.into_any(),
            },
        );
    let outcome = match e.outcome.as_deref() {
        Some("ok") => view! { <span class="badge badge-ok">{msg::OUTCOME_OK}</span> }.into_any(),
        Some(code) => view! {
            <span class="badge badge-failed">{msg::OUTCOME_FAILED} " " <code>{code.to_owned()}</code></span>
        }
        .into_any(),
        None => view! {
            <span class="badge badge-unfinished" title=msg::UNFINISHED_EXPLAINED>
                {msg::OUTCOME_UNFINISHED}
            </span>
        }
        .into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">
                <time datetime=e.at.clone() title=e.at.clone()>
                    {format::date_time_seconds(&e.at)}
                </time>
            </td>
            <td class="nowrap" title=e.user_id>{e.user_name}</td>
            <td class="nowrap" title=e.project_id>{e.project_name}</td>
            <td class="nowrap">{e.region}</td>
            <td class="nowrap">{msg::action(e.action)}</td>
            <td>
                <span class="strong">{msg::image_name(e.image_name.as_deref())}</span>
                <div class="sub mono">{e.image_id}</div>
            </td>
            <td>{member.unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
            <td>{outcome}</td>
            <td>{e.request_id.map(|id| view! { <code class="small">{id}</code> })}</td>
        </tr>
    }
    .into_any()
}
