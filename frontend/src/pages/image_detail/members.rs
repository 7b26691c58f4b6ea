use std::sync::Arc;

use json::{ImageDetail, Member, Visibility};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::add_members::AddMembersForm;
use crate::api::{self, ApiError};
use crate::change::{Run, change};
use crate::components::{EmptyState, ErrorNote, FailureLine, Loading, MemberCounts, StatusBadge};
use crate::format;
use crate::i18n::{Key, t, text, tf, tr};
use crate::msg::{self, Doing};
use crate::state::{Confirm, Scope, use_state};

/// The members of an image: None while loading.
pub type MemberList = RwSignal<Option<Result<Vec<Member>, ApiError>>>;

/// The image's members with their statuses, the form to add more, and removal.
#[component]
pub fn MembersPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let members: MemberList = RwSignal::new(None);
    let is_shared = Memo::new(move |_| image.with(|d| d.image.visibility == Visibility::Shared));

    let region = scope.region.clone();
    let load = Callback::new(move |()| {
        let region = region.clone();
        let id = image.with_untracked(|d| d.image.id.clone());
        spawn_local(async move {
            let result = api::list_members(&region, &id).await.map(|l| l.members);
            members.try_set(Some(result));
        });
    });
    // (Re)load whenever the image becomes shared.
    Effect::new(move |_| {
        if is_shared.get() {
            members.set(None);
            load.run(());
        } else {
            members.set(Some(Ok(Vec::new())));
        }
    });

    let count_line = move || {
        members.with(|m| match m {
            Some(Ok(list)) if !list.is_empty() => Some(MemberCounts::of(list).view()),
            _ => None,
        })
    };
    let region = scope.region.clone();

    view! {
        <section class="card" aria-labelledby="members-title">
            <div class="card-head">
                <h2 id="members-title">{tr(Key::MembersTitle)}</h2>
                {count_line}
            </div>
            <p class="explain">{tr(Key::MembersExplained)}</p>
            <AddMembersForm scope=scope.clone() image=image members=members reload=load />
            {move || match members.get() {
                None => view! { <Loading text=Key::CommonLoadingMembers /> }.into_any(),
                Some(Err(e)) => view! { <ErrorNote error=e retry=load /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    let title = if is_shared.get() { Key::MembersNone } else { Key::MembersNonePrivate };
                    view! {
                        <EmptyState
                            title=tr(title)
                            hint=tr(Key::MembersNoneHint)
                        />
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    let region = region.clone();
                    view! {
                        <div class="table-wrap">
                            <table class="table" id="members">
                                <caption class="sr-only">{tr(Key::MembersTitle)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{tr(Key::ColProject)}</th>
                                        <th scope="col">{tr(Key::ColProjectId)}</th>
                                        <th scope="col">{tr(Key::ColStatus)}</th>
                                        <th scope="col">{tr(Key::ColSince)}</th>
                                        <th scope="col">{tr(Key::ColLastChange)}</th>
                                        <th scope="col" class="actions">
                                            <span class="sr-only">{tr(Key::ColActions)}</span>
                                        </th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|m| {
                                            view! {
                                                <MemberRow
                                                    member=m
                                                    region=region.clone()
                                                    image=image
                                                    members=members
                                                />
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One member, with its removal (after the risk is spelled out).
#[component]
fn MemberRow(
    member: Member,
    region: String,
    image: RwSignal<ImageDetail>,
    members: MemberList,
) -> impl IntoView {
    let state = use_state();
    let name = member.member_name.clone();
    let member_id = member.member_id.clone();
    let remove = change();
    let target = StoredValue::new((region, name, member_id));
    let confirmed = move || {
        let (region, name, member_id) = target.get_value();
        let image_id = image.with_untracked(|d| d.image.id.clone());
        remove.run(async move {
            api::remove_member(&region, &image_id, &member_id).await?;
            let who = who(&name, &member_id);
            state.success(tf(Key::MembersRemoved, &[("who", &who)]));
            // The row goes: last, as it takes this action with it.
            members.update(|m| {
                if let Some(Ok(list)) = m {
                    list.retain(|x| x.member_id != member_id);
                }
            });
            Ok(())
        });
    };
    let (name, id) = (member.member_name.clone(), member.member_id.clone());
    let ask = move |_| {
        let who = who(&name, &id);
        let image_name = image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));
        state.ask(Confirm {
            title: tf(
                Key::MembersRemoveTitle,
                &[("who", &who), ("image", &image_name)],
            ),
            body: tf(Key::MembersRemoveBody, &[("who", &who)]),
            risk: Some(t(Key::MembersRemoveRisk)),
            confirm_label: t(Key::MembersRemoveConfirm),
            danger: true,
            on_confirm: Arc::new(confirmed),
        });
    };
    let (created, updated) = (member.created_at.clone(), member.updated_at.clone());
    let (created_at, updated_at) = (created.clone(), updated.clone());

    view! {
        <tr>
            <td>
                {match member.member_name.clone() {
                    Some(n) => {
                        // A name learned at another user's sign-in says so.
                        let n = match &member.member_name_seen {
                            Some(seen) => format!("{n} ({})", msg::learned(seen)),
                            None => n,
                        };
                        view! { <span class="strong">{n}</span> }.into_any()
                    }
                    None => view! { <span class="muted">{tr(Key::MembersUnknownProject)}</span> }.into_any(),
                }}
            </td>
            <td>
                <code>{member.member_id.clone()}</code>
            </td>
            <td>
                <StatusBadge status=member.status />
            </td>
            <td>
                <time datetime=created.clone() title=text(move || format::date_time(&created))>
                    {text(move || format::ago(&created_at))}
                </time>
            </td>
            <td>
                <time datetime=updated.clone() title=text(move || format::date_time(&updated))>
                    {text(move || format::ago(&updated_at))}
                </time>
            </td>
            <td class="actions">
                <button
                    type="button"
                    class="btn btn-small btn-danger-quiet"
                    prop:disabled=move || remove.pending().get()
                    on:click=ask
                >
                    {tr(Key::MembersRemove)}
                </button>
                <FailureLine error=remove.failure() doing=Doing::RemoveMember class="cell-error" />
            </td>
        </tr>
    }
}

/// A member as a person reads it: its name, or "project <id>".
fn who(name: &Option<String>, id: &str) -> String {
    name.clone()
        .unwrap_or_else(|| tf(Key::MembersProjectById, &[("id", id)]))
}
