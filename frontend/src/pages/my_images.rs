use std::sync::Arc;

use json::{Image, ImageUpdate, OwnerFilter, Visibility};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{EmptyState, ErrorNote, Loading, MemberCounts, VisibilityBadge};
use crate::format;
use crate::msg;
use crate::router::Link;
use crate::state::{AppState, Confirm, Scope, use_state};
use crate::tasks::run_parallel;

/// How many member lists are fetched at once.
const PARALLEL: usize = 6;

/// The images the current project owns, with their sharing state.
#[component]
pub fn MyImagesPage() -> impl IntoView {
    let state = use_state();
    let images = LocalResource::new(move || {
        let scope = state.scope();
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let list = api::list_images(&scope.region, OwnerFilter::Me, None).await?;
            Ok::<_, ApiError>((scope, list.images))
        }
    });
    let filter = RwSignal::new(String::new());
    let lede = move || {
        state
            .scope()
            .map(|s| msg::my_images_lede(&s.project_name, &s.region))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{msg::NAV_MY_IMAGES}</h1>
                    <p class="lede">{lede}</p>
                </div>
                <div class="toolbar">
                    <div class="field-inline">
                        <label for="image-filter">{msg::FIELD_FILTER}</label>
                        <input
                            id="image-filter"
                            type="search"
                            placeholder=msg::FILTER_PLACEHOLDER
                            bind:value=filter
                        />
                    </div>
                    <button type="button" class="btn" on:click=move |_| images.refetch()>
                        {msg::REFRESH}
                    </button>
                </div>
            </div>
            {move || match images.get() {
                None => view! { <Loading text=msg::LOADING_IMAGES /> }.into_any(),
                Some(Err(e)) => {
                    view! { <ErrorNote error=e retry=Callback::new(move |_| images.refetch()) /> }
                        .into_any()
                }
                Some(Ok((scope, list))) => {
                    view! { <ImageTable scope=scope images=list filter=filter /> }.into_any()
                }
            }}
        </section>
    }
}

pub(crate) fn no_session() -> ApiError {
    ApiError {
        status: 401,
        code: json::ErrorCode::Unauthenticated.as_str().into(),
        message: msg::SESSION_ENDED.into(),
        field: None,
    }
}

/// Member counts of one row: loading, known, or why not.
#[derive(Clone, Debug, PartialEq)]
enum Counts {
    NotShared,
    Loading,
    Known(MemberCounts),
    Failed(String),
}

#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    /// Lower-cased name and id, for the filter.
    haystack: String,
    image: RwSignal<Image>,
    counts: RwSignal<Counts>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

#[component]
fn ImageTable(scope: Scope, images: Vec<Image>, filter: RwSignal<String>) -> impl IntoView {
    let state = use_state();
    if images.is_empty() {
        return view! {
            <EmptyState
                title=msg::no_images(&scope.project_name, &scope.region)
                hint=msg::NO_IMAGES_HINT
            />
        }
        .into_any();
    }
    let rows: Vec<Row> = images
        .into_iter()
        .map(|image| Row {
            id: image.id.clone(),
            haystack: lowercase(&format!(
                "{} {}",
                image.name.clone().unwrap_or_default(),
                image.id
            )),
            counts: RwSignal::new(if image.visibility == Visibility::Shared {
                Counts::Loading
            } else {
                Counts::NotShared
            }),
            image: RwSignal::new(image),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        })
        .collect();

    // Member counts of the shared images, a few requests at a time.
    let shared: Vec<(String, RwSignal<Counts>)> = rows
        .iter()
        .filter(|r| r.counts.get_untracked() == Counts::Loading)
        .map(|r| (r.id.clone(), r.counts))
        .collect();
    let region = scope.region.clone();
    run_parallel(
        shared,
        PARALLEL,
        move |(id, counts): (String, RwSignal<Counts>)| {
            let region = region.clone();
            async move {
                let result = api::list_members(&region, &id).await;
                counts.try_set(match result {
                    Ok(list) => Counts::Known(MemberCounts::of(&list.members)),
                    Err(e) => Counts::Failed(e.message),
                });
            }
        },
        || {},
    );

    let rows = StoredValue::new(rows);
    let total = rows.with_value(|r| r.len());
    let visible = Memo::new(move |_| {
        let needle = lowercase(filter.get().trim());
        rows.with_value(|rows| {
            rows.iter()
                .filter(|r| needle.is_empty() || r.haystack.contains(&needle))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let shown = move || visible.with(|v| v.len());
    let region = scope.region.clone();

    view! {
        <p class="table-meta" aria-live="polite">
            {move || msg::showing(shown(), total)}
        </p>
        <div class="table-wrap">
            <table class="table" id="my-images">
                <caption class="sr-only">{msg::NAV_MY_IMAGES}</caption>
                <thead>
                    <tr>
                        <th scope="col">{msg::COL_NAME}</th>
                        <th scope="col">{msg::COL_STATUS}</th>
                        <th scope="col">{msg::COL_VISIBILITY}</th>
                        <th scope="col" class="num">{msg::COL_SIZE}</th>
                        <th scope="col">{msg::COL_CREATED}</th>
                        <th scope="col">{msg::COL_MEMBERS}</th>
                        <th scope="col" class="actions">
                            <span class="sr-only">{msg::COL_ACTIONS}</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || visible.get() key=|r| r.id.clone() let:row>
                        <ImageRow row=row region=region.clone() state=state />
                    </For>
                </tbody>
            </table>
        </div>
        <Show when=move || shown() == 0>
            <div class="empty">
                <p class="empty-title">{move || msg::no_match(filter.get().trim())}</p>
                <p class="muted">{msg::NO_MATCH_HINT}</p>
            </div>
        </Show>
    }
    .into_any()
}

#[component]
fn ImageRow(row: Row, region: String, state: AppState) -> impl IntoView {
    let image = row.image;
    let id = row.id.clone();
    let href = format!("/images/{}", row.id);
    let name = move || image.with(|i| msg::image_name(i.name.as_deref()));
    let created =
        image.with_untracked(|i| (format::date_time(&i.created_at), i.created_at.clone()));
    let size = image.with_untracked(|i| format::size(i.size));
    let counts = row.counts;
    let busy = row.busy;
    let error = row.error;

    let set_visibility = Arc::new(move |visibility: Visibility| {
        let region = region.clone();
        let id = id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let update = ImageUpdate {
                visibility: Some(visibility),
                protected: None,
            };
            match api::update_image(&region, &id, &update).await {
                Ok(detail) => {
                    let name = msg::image_name(detail.image.name.as_deref());
                    image.try_set(detail.image);
                    counts.try_set(if visibility == Visibility::Shared {
                        Counts::Known(MemberCounts::default())
                    } else {
                        Counts::NotShared
                    });
                    state.success(match visibility {
                        Visibility::Shared => msg::made_shared(&name),
                        _ => msg::made_private(&name),
                    });
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
            busy.try_set(false);
        });
    });

    let make_shared = {
        let set = set_visibility.clone();
        move |_| set(Visibility::Shared)
    };
    let make_private = {
        let set = set_visibility.clone();
        move |_| {
            let set = set.clone();
            let name = image.with_untracked(|i| msg::image_name(i.name.as_deref()));
            let members = match counts.get_untracked() {
                Counts::Known(c) => Some(c.total()),
                _ => None,
            };
            state.ask(Confirm {
                title: msg::make_private_title(&name),
                body: msg::make_private_body(members),
                risk: Some(msg::MAKE_PRIVATE_RISK.into()),
                confirm_label: msg::MAKE_PRIVATE,
                danger: true,
                on_confirm: Arc::new(move || set(Visibility::Private)),
            });
        }
    };

    view! {
        <tr>
            <td>
                <Link href=href class="strong">
                    {name}
                </Link>
                <div class="sub mono">{row.id.clone()}</div>
            </td>
            <td>{move || image.with(|i| msg::image_status(&i.status))}</td>
            <td>{move || view! { <VisibilityBadge visibility=image.with(|i| i.visibility) /> }}</td>
            <td class="num">{size}</td>
            <td>
                <time datetime=created.1.clone() title=created.1>
                    {created.0}
                </time>
            </td>
            <td>
                {move || match counts.get() {
                    Counts::NotShared => view! { <span class="muted">"—"</span> }.into_any(),
                    Counts::Loading => {
                        view! {
                            <span class="muted" aria-label=msg::LOADING>
                                "…"
                            </span>
                        }
                            .into_any()
                    }
                    Counts::Known(c) => c.view().into_any(),
                    Counts::Failed(e) => {
                        view! {
                            <span class="text-error" title=e.clone()>
                                {msg::COUNTS_FAILED}
                            </span>
                        }
                            .into_any()
                    }
                }}
            </td>
            <td class="actions">
                {move || match image.with(|i| i.visibility) {
                    Visibility::Private => {
                        view! {
                            <button
                                type="button"
                                class="btn btn-small"
                                prop:disabled=move || busy.get()
                                on:click=make_shared.clone()
                            >
                                {msg::MAKE_SHARED}
                            </button>
                        }
                            .into_any()
                    }
                    Visibility::Shared => {
                        view! {
                            <button
                                type="button"
                                class="btn btn-small"
                                prop:disabled=move || busy.get()
                                on:click=make_private.clone()
                            >
                                {msg::MAKE_PRIVATE}
                            </button>
                        }
                            .into_any()
                    }
                    v => {
                        view! { <span class="muted">{msg::visibility_not_shareable(v)}</span> }
                            .into_any()
                    }
                }}
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="cell-error" role="alert">
                                    {e}
                                </p>
                            }
                        })
                }}
            </td>
        </tr>
    }
}

/// Lower case by the browser's Unicode tables rather than Rust's (smaller wasm).
fn lowercase(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}
