use std::sync::Arc;

use json::{Image, OwnerFilter, Visibility};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{
    EmptyState, ErrorNote, Loading, MemberCounts, VisibilityBadge, VisibilityControl,
};
use crate::format;
use crate::i18n::{Key, derived, text, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::router::{Link, Route, page_title};
use crate::state::{Scope, use_state};
use crate::tasks::run_parallel;

/// How many member lists are fetched at once.
const PARALLEL: usize = 6;

/// The images the current project owns, with their sharing state.
#[component]
pub fn MyImagesPage() -> impl IntoView {
    let state = use_state();
    page_title(tr(Key::NavMyImages));
    let images = LocalResource::new(move || {
        let scope = state.scope();
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let list = api::list_images(&scope.region, OwnerFilter::Me, None, false).await?;
            Ok::<_, ApiError>((scope, list.images))
        }
    });
    let filter = RwSignal::new(String::new());
    let lede = move || {
        state.scope().map(|s| {
            tf(
                Key::ImagesLede,
                &[("project", &s.project_name), ("region", &s.region)],
            )
        })
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{tr(Key::NavMyImages)}</h1>
                    <p class="lede">{lede}</p>
                </div>
                <div class="toolbar">
                    <div class="field-inline">
                        <label for="image-filter">{tr(Key::ImagesFilter)}</label>
                        <input
                            id="image-filter"
                            type="search"
                            placeholder=tr(Key::ImagesFilterPlaceholder)
                            bind:value=filter
                        />
                    </div>
                    <button type="button" class="btn" on:click=move |_| images.refetch()>
                        {tr(Key::CommonRefresh)}
                    </button>
                </div>
            </div>
            {move || match images.get() {
                None => view! { <Loading text=Key::CommonLoadingImages /> }.into_any(),
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
    ApiError::code(401, json::ErrorCode::Unauthenticated)
}

/// Member counts of one row: loading, known, or why not.
#[derive(Clone, Debug, PartialEq)]
enum Counts {
    NotShared,
    Loading,
    Known(MemberCounts),
    Failed(ApiError),
}

#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    /// Lower-cased name and id, for the filter.
    haystack: String,
    image: RwSignal<Image>,
    counts: RwSignal<Counts>,
}

#[component]
fn ImageTable(scope: Scope, images: Vec<Image>, filter: RwSignal<String>) -> impl IntoView {
    if images.is_empty() {
        let (project, region) = (scope.project_name.clone(), scope.region.clone());
        let title = text(move || {
            tf(
                Key::ImagesNone,
                &[("project", &project), ("region", &region)],
            )
        });
        return view! { <EmptyState title=title hint=tr(Key::ImagesNoneHint) /> }.into_any();
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
        })
        .collect();

    // Member counts of the shared images, a few requests at a time.
    let shared: Vec<(String, RwSignal<Counts>)> = rows
        .iter()
        .filter(|r| r.counts.get_untracked() == Counts::Loading)
        .map(|r| (r.id.clone(), r.counts))
        .collect();
    let region = scope.region.clone();
    spawn_local(async move {
        run_parallel(
            shared,
            PARALLEL,
            |(id, counts): (String, RwSignal<Counts>)| {
                let region = region.clone();
                async move {
                    let result = api::list_members(&region, &id).await;
                    counts.try_set(match result {
                        Ok(list) => Counts::Known(MemberCounts::of(&list.members)),
                        Err(e) => Counts::Failed(e),
                    });
                }
            },
        )
        .await
    });

    let rows = StoredValue::new(rows);
    let total = rows.with_value(|r| r.len());
    // Every row is drawn once; the filter only hides rows (no list to diff: faster, and a
    // smaller wasm than a keyed <For>).
    let needle = Memo::new(move |_| lowercase(filter.get().trim()));
    let shown = Memo::new(move |_| {
        needle.with(|n| {
            rows.with_value(|rows| rows.iter().filter(|r| r.haystack.contains(n)).count())
        })
    });
    let region = scope.region.clone();

    view! {
        <p class="table-meta" aria-live="polite">
            {move || {
                let shown = shown.get();
                if shown == total {
                    tn(Key::ImagesCount, total, &[])
                } else {
                    tn(Key::ImagesShowing, total, &[("shown", &msg::number(shown))])
                }
            }}
        </p>
        <div class="table-wrap">
            <table class="table" id="my-images">
                <caption class="sr-only">{tr(Key::NavMyImages)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr(Key::ColName)}</th>
                        <th scope="col">{tr(Key::ColStatus)}</th>
                        <th scope="col">{tr(Key::ColVisibility)}</th>
                        <th scope="col" class="num">{tr(Key::ColSize)}</th>
                        <th scope="col">{tr(Key::ColCreated)}</th>
                        <th scope="col">{tr(Key::ColMembers)}</th>
                        <th scope="col" class="actions">
                            <span class="sr-only">{tr(Key::ColActions)}</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .get_value()
                        .into_iter()
                        .map(|row| view! { <ImageRow row=row region=region.clone() needle=needle /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Show when=move || shown.get() == 0>
            <div class="empty">
                <p class="empty-title">
                    {text(move || tf(Key::ImagesNoMatch, &[("filter", filter.get().trim())]))}
                </p>
                <p class="muted">{tr(Key::ImagesNoMatchHint)}</p>
            </div>
        </Show>
    }
    .into_any()
}

#[component]
fn ImageRow(row: Row, region: String, needle: Memo<String>) -> impl IntoView {
    let image = row.image;
    let counts = row.counts;
    let href = Route::Image(row.id.clone()).href();
    let name = text(move || image.with(|i| msg::image_name(i.name.as_deref())));
    let created = image.with_untracked(|i| i.created_at.clone());
    let size = image.with_untracked(|i| i.size);
    let members = derived(Arc::new(move || match counts.get() {
        Counts::Known(c) => Some(c.total()),
        _ => None,
    }));
    let on_changed = Callback::new(move |detail: json::ImageDetail| {
        counts.set(if detail.image.visibility == Visibility::Shared {
            Counts::Known(MemberCounts::default())
        } else {
            Counts::NotShared
        });
        image.set(detail.image);
    });

    // A copy says so beside its id (no element of its own: the UI's size budget).
    let (id, from) = (
        row.id.clone(),
        image.with_untracked(|i| i.copied_from.clone()),
    );
    let id_line = move || match &from {
        Some(from) => {
            let region = from.split('/').next().unwrap_or_default();
            format!(
                "{id} · {}",
                tf(Key::RegionCopyCopiedFrom, &[("region", region)])
            )
        }
        None => id.clone(),
    };
    let haystack = row.haystack.clone();
    view! {
        <tr class:hidden=move || needle.with(|n| !haystack.contains(n))>
            <td>
                <Link href=href class="strong">
                    {name}
                </Link>
                <div class="sub mono">{id_line}</div>
            </td>
            <td>{move || image.with(|i| msg::image_status(&i.status))}</td>
            <td>{move || view! { <VisibilityBadge visibility=image.with(|i| i.visibility) /> }}</td>
            <td class="num">{text(move || format::size(size))}</td>
            <td>
                <time datetime=created.clone() title=created.clone()>
                    {
                        let created = created.clone();
                        text(move || format::date_time(&created))
                    }
                </time>
            </td>
            <td>
                {move || match counts.get() {
                    Counts::NotShared => view! { <span class="muted">"—"</span> }.into_any(),
                    Counts::Loading => {
                        view! {
                            <span class="muted" aria-label=tr(Key::AppLoading)>
                                "…"
                            </span>
                        }
                            .into_any()
                    }
                    Counts::Known(c) => c.view().into_any(),
                    Counts::Failed(e) => {
                        view! {
                            <span class="text-error" title=text(move || msg::error(Doing::Load, &e))>
                                {tr(Key::ImagesCountsFailed)}
                            </span>
                        }
                            .into_any()
                    }
                }}
            </td>
            <td class="actions">
                <VisibilityControl
                    region=region
                    image_id=row.id.clone()
                    name=name
                    visibility=derived(Arc::new(move || image.with(|i| i.visibility)))
                    members=members
                    in_row=true
                    on_changed=on_changed
                />
            </td>
        </tr>
    }
}

/// Lower case by the browser's Unicode tables rather than Rust's (smaller wasm).
fn lowercase(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}
