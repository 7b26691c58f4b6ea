//! Access history on the audit page: when the last snapshot was taken, and the Changes view —
//! what changed between two snapshots (by default the last two), grouped by image, each change
//! linked to the activity events that explain it or marked as made outside Glimpse.

use json::{AccessChange, AccessChanges, ChangedField, SnapshotList, SnapshotSummary};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{ErrorNote, StatusBadge};
use crate::format;
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg;
use crate::router::{Link, Route};

type Snapshots = LocalResource<Result<SnapshotList, ApiError>>;

/// The user's snapshots, read again each time `audited` moves (an audit completed).
pub fn snapshots(audited: Signal<usize>) -> Snapshots {
    LocalResource::new(move || {
        audited.track();
        api::list_snapshots()
    })
}

fn list(snapshots: Snapshots) -> Vec<SnapshotSummary> {
    snapshots
        .get()
        .and_then(Result::ok)
        .map(|l| l.snapshots)
        .unwrap_or_default()
}

/// "Last snapshot taken …", for the page's header.
#[component]
pub fn LastSnapshot(snapshots: Snapshots) -> impl IntoView {
    move || {
        let last = list(snapshots).into_iter().next()?;
        let when = format::date_time(&last.taken_at);
        Some(
            view! { <p class="muted" id="last-snapshot">{tf(Key::HistoryLast, &[("date", &when)])}</p> },
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Added,
    Removed,
    Changed,
}

/// The Changes view.
#[component]
pub fn Changes(snapshots: Snapshots) -> impl IntoView {
    let from = RwSignal::new(None::<i64>);
    let to = RwSignal::new(None::<i64>);
    // The last two, whenever the list is read again.
    Effect::new(move |_| {
        let all = list(snapshots);
        to.set(all.first().map(|s| s.id));
        from.set(all.get(1).map(|s| s.id));
    });
    let changes = LocalResource::new(move || {
        let pair = from.get().zip(to.get());
        async move {
            match pair {
                Some((f, t)) => Some(api::audit_changes(f, t).await),
                None => None,
            }
        }
    });
    let select = move |id: &'static str, label: Key, chosen: RwSignal<Option<i64>>| {
        view! {
            <div class="field">
                <label for=id>{tr(label)}</label>
                <select
                    id=id
                    on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())
                >
                    {move || {
                        list(snapshots)
                            .into_iter()
                            .map(|s| {
                                let mut label = format::date_time(&s.taken_at);
                                if s.partial {
                                    label = tf(Key::HistoryPartial, &[("date", &label)]);
                                }
                                let selected = chosen.get() == Some(s.id);
                                view! { <option value=s.id.to_string() selected=selected>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
        }
    };
    let csv = move || {
        from.get().zip(to.get()).map(|(f, t)| {
            api::url(&format!(
                "/audit/changes?{}",
                api::changes_query(f, t, "csv")
            ))
        })
    };

    view! {
        <details class="changes" id="changes">
            <summary class="strong">{tr(Key::HistoryChanges)}</summary>
            {move || {
                if list(snapshots).len() < 2 {
                    return view! { <p class="muted">{tr(Key::HistoryNeedTwo)}</p> }.into_any();
                }
                view! {
                    <div class="filters">
                        {select("changes-from", Key::HistoryFrom, from)}
                        {select("changes-to", Key::HistoryTo, to)}
                        <a class="btn" href=csv download="">{tr(Key::CommonExportCsv)}</a>
                    </div>
                    {move || match changes.get().flatten() {
                        None => ().into_any(),
                        Some(Err(e)) => view! { <ErrorNote error=e /> }.into_any(),
                        Some(Ok(c)) => table(c),
                    }}
                }
                .into_any()
            }}
        </details>
    }
}

fn table(c: AccessChanges) -> AnyView {
    let unknown = (!c.unknown.is_empty()).then(|| {
        let places = c
            .unknown
            .iter()
            .map(|u| {
                let project = u.project_name.clone().or(u.project_id.clone());
                super::failure_place(u.region.as_deref(), project.as_deref())
            })
            .collect::<Vec<_>>()
            .join("; ");
        view! { <p class="warnings" role="note">{t(Key::HistoryUnknown)} " " {places}</p> }
    });
    let mut all: Vec<(Kind, AccessChange)> = c
        .added
        .into_iter()
        .map(|x| (Kind::Added, x))
        .chain(c.removed.into_iter().map(|x| (Kind::Removed, x)))
        .chain(c.changed.into_iter().map(|x| (Kind::Changed, x)))
        .collect();
    if all.is_empty() {
        return view! { {unknown} <p class="muted">{tr(Key::HistoryNone)}</p> }.into_any();
    }
    all.sort_by(|(ka, a), (kb, b)| {
        (&a.region, &a.image_name, &a.image_id, ka, &a.member_id).cmp(&(
            &b.region,
            &b.image_name,
            &b.image_id,
            kb,
            &b.member_id,
        ))
    });
    let mut rows = Vec::new();
    let mut image = None;
    for (kind, change) in all {
        let this = (change.region.clone(), change.image_id.clone());
        if image.as_ref() != Some(&this) {
            let name = msg::image_name(change.image_name.as_deref());
            rows.push(
                view! {
                    <tr class="group">
                        <th colspan="4" scope="colgroup">
                            <Link href=Route::Image(change.image_id.clone()).href()>{name}</Link>
                            " · " {change.region.clone()}
                        </th>
                    </tr>
                }
                .into_any(),
            );
            image = Some(this);
        }
        rows.push(row(kind, change));
    }
    view! {
        {unknown}
        <div class="table-wrap" tabindex="0" role="region" aria-label=tr(Key::HistoryChanges)>
            <table class="table" id="changes-table">
                <thead>
                    <tr>
                        <th scope="col">{tr(Key::HistoryChange)}</th>
                        <th scope="col">{tr(Key::AuditMember)}</th>
                        <th scope="col">{tr(Key::AuditStatus)}</th>
                        <th scope="col">{tr(Key::HistoryWhy)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn row(kind: Kind, c: AccessChange) -> AnyView {
    let (kind_key, badge) = match kind {
        Kind::Added => (Key::HistoryAdded, "badge badge-ok"),
        Kind::Removed => (Key::HistoryRemoved, "badge badge-failed"),
        Kind::Changed => (Key::HistoryChanged, "badge badge-warn"),
    };
    let member = match (c.member_name, c.member_name_seen) {
        (Some(name), seen) => view! {
            <span>{name}</span>
            <div class="sub mono">{c.member_id}</div>
            {seen.map(|s| view! { <div class="sub">{msg::learned(&s)}</div> })}
        }
        .into_any(),
        (None, _) => view! { <code>{c.member_id}</code> }.into_any(),
    };
    let detail = if c.fields.is_empty() {
        view! { <StatusBadge status=c.status /> }.into_any()
    } else {
        c.fields
            .iter()
            .map(|f| {
                let (name, before, after) = match f.field {
                    ChangedField::Status => {
                        (t(Key::AuditStatus), status(&f.before), status(&f.after))
                    }
                    ChangedField::Visibility => {
                        (t(Key::ColVisibility), f.before.clone(), f.after.clone())
                    }
                    ChangedField::Protected => {
                        (t(Key::DetailProtected), yes_no(&f.before), yes_no(&f.after))
                    }
                };
                view! { <div>{format!("{name}: {before} → {after}")}</div> }
            })
            .collect_view()
            .into_any()
    };
    let why = if c.outside_glimpse {
        view! {
            <span class="badge badge-warn outside" title=tr(Key::HistoryOutsideExplained)>
                {tr(Key::HistoryOutside)}
            </span>
        }
        .into_any()
    } else {
        let href = Route::Activity.with_query(&format!("image={}", c.image_id));
        let n = c.events.len();
        view! { <Link href=href class="events">{tn(Key::HistoryEvents, n, &[])}</Link> }.into_any()
    };
    view! {
        <tr>
            <td><span class=badge>{tr(kind_key)}</span></td>
            <td>{member}</td>
            <td>{detail}</td>
            <td>{why}</td>
        </tr>
    }
    .into_any()
}

fn status(s: &str) -> String {
    json::MemberStatus::ALL
        .into_iter()
        .find(|m| m.as_str() == s)
        .map_or_else(|| s.to_owned(), msg::member_status)
}

fn yes_no(b: &str) -> String {
    t(if b == "true" {
        Key::CommonYes
    } else {
        Key::CommonNo
    })
}
