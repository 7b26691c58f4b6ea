use std::sync::Arc;

use json::{ImageDetail, ImageUpdate, Member, MemberStatus, Visibility};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{
    CopyButton, EmptyState, ErrorNote, Loading, MemberCounts, StatusBadge, VisibilityBadge,
};
use crate::format;
use crate::msg;
use crate::pages::my_images::no_session;
use crate::router::Link;
use crate::state::{AppState, Confirm, Scope, use_state};

/// One image: what `openstack image show` shows, its sharing settings and its members.
#[component]
pub fn ImageDetailPage(id: String) -> impl IntoView {
    let state = use_state();
    let detail = LocalResource::new(move || {
        let scope = state.scope();
        let id = id.clone();
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let detail = api::get_image(&scope.region, &id).await?;
            Ok::<_, ApiError>((scope, detail))
        }
    });

    view! {
        <section class="page">
            {move || match detail.get() {
                None => view! { <Crumbs owned=true /><Loading text=msg::LOADING_IMAGE /> }.into_any(),
                Some(Err(e)) if e.is(json::ErrorCode::NotFound.as_str()) => {
                    let region = state.region.get_untracked();
                    view! {
                        <Crumbs owned=true />
                        <EmptyState title=msg::IMAGE_NOT_FOUND hint=msg::image_not_found_hint(&region) />
                    }
                        .into_any()
                }
                Some(Err(e)) => {
                    view! {
                        <Crumbs owned=true />
                        <ErrorNote error=e retry=Callback::new(move |_| detail.refetch()) />
                    }
                        .into_any()
                }
                Some(Ok((scope, d))) => view! { <DetailBody scope=scope detail=d /> }.into_any(),
            }}
        </section>
    }
}

/// Back to the list the image belongs in: "My images" or "Shared with us".
#[component]
fn Crumbs(owned: bool) -> impl IntoView {
    let (href, text) = if owned {
        ("/images", msg::NAV_MY_IMAGES)
    } else {
        ("/shared", msg::NAV_SHARED_WITH_US)
    };
    view! {
        <nav class="crumbs" aria-label=msg::BREADCRUMB>
            <Link href=href.into()>{text}</Link>
            <span aria-hidden="true">" / "</span>
            <span aria-current="page">{msg::IMAGE_DETAILS}</span>
        </nav>
    }
}

#[component]
fn DetailBody(scope: Scope, detail: ImageDetail) -> impl IntoView {
    let is_owner = detail.image.owner.as_deref() == Some(scope.project_id.as_str());
    let image_id = detail.image.id.clone();
    let image = RwSignal::new(detail);
    let name = move || image.with(|d| msg::image_name(d.image.name.as_deref()));

    view! {
        <Crumbs owned=is_owner />
        <div class="detail-head">
            <div>
                <h1>{name}</h1>
                <div class="id-line">
                    <span class="muted">{msg::IMAGE_ID_CAPTION}</span>
                    <code>{image_id.clone()}</code>
                    <CopyButton text=image_id label=msg::COPY_IMAGE_ID />
                </div>
            </div>
            <div class="badges">
                <span class="badge badge-neutral">
                    {move || image.with(|d| msg::image_status(&d.image.status))}
                </span>
                {move || view! { <VisibilityBadge visibility=image.with(|d| d.image.visibility) /> }}
                {move || {
                    image
                        .with(|d| d.image.protected)
                        .then(|| view! { <span class="badge badge-protected">{msg::PROTECTED}</span> })
                }}
            </div>
        </div>
        {if is_owner {
            view! {
                <SharingPanel scope=scope.clone() image=image />
                <MembersPanel scope=scope.clone() image=image />
            }
                .into_any()
        } else {
            view! { <OfferPanel scope=scope.clone() image=image /> }.into_any()
        }}
        <PropertiesPanel image=image />
    }
}

/// PATCHes the image and puts the answer in `image`; the error message goes to `error`.
fn patch(
    scope: &Scope,
    image: RwSignal<ImageDetail>,
    update: ImageUpdate,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(&ImageDetail) + 'static,
) {
    let region = scope.region.clone();
    let id = image.with_untracked(|d| d.image.id.clone());
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        match api::update_image(&region, &id, &update).await {
            Ok(detail) => {
                done(&detail);
                image.try_set(detail);
            }
            Err(e) => {
                error.try_set(Some(e.message));
                // Controls (the protected switch) go back to what the image really is.
                image.try_update(|_| {});
            }
        }
        busy.try_set(false);
    });
}

// --------------------------------------------------------------------------------- sharing

#[component]
fn SharingPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let state = use_state();
    let vis_busy = RwSignal::new(false);
    let vis_error = RwSignal::new(None::<String>);
    let prot_busy = RwSignal::new(false);
    let prot_error = RwSignal::new(None::<String>);
    let visibility = move || image.with(|d| d.image.visibility);
    let name = move || image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));

    let scope_s = scope.clone();
    let make_shared = move |_| {
        patch(
            &scope_s,
            image,
            ImageUpdate {
                visibility: Some(Visibility::Shared),
                protected: None,
            },
            vis_busy,
            vis_error,
            move |d| state.success(msg::made_shared(&msg::image_name(d.image.name.as_deref()))),
        )
    };
    let scope_p = scope.clone();
    let make_private = move |_| {
        let scope = scope_p.clone();
        state.ask(Confirm {
            title: msg::make_private_title(&name()),
            body: msg::make_private_body(None),
            risk: Some(msg::MAKE_PRIVATE_RISK.into()),
            confirm_label: msg::MAKE_PRIVATE,
            danger: true,
            on_confirm: Arc::new(move || {
                patch(
                    &scope,
                    image,
                    ImageUpdate {
                        visibility: Some(Visibility::Private),
                        protected: None,
                    },
                    vis_busy,
                    vis_error,
                    move |d| {
                        state.success(msg::made_private(&msg::image_name(d.image.name.as_deref())))
                    },
                )
            }),
        });
    };
    let scope_t = scope.clone();
    let toggle_protected = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        patch(
            &scope_t,
            image,
            ImageUpdate {
                visibility: None,
                protected: Some(on),
            },
            prot_busy,
            prot_error,
            move |d| {
                let name = msg::image_name(d.image.name.as_deref());
                state.success(if d.image.protected {
                    msg::now_protected(&name)
                } else {
                    msg::now_unprotected(&name)
                })
            },
        );
    };

    view! {
        <section class="card" aria-labelledby="sharing-title">
            <h2 id="sharing-title">{msg::SHARING}</h2>
            <div class="setting">
                <div class="setting-text">
                    <h3>{msg::COL_VISIBILITY}</h3>
                    <p>{move || msg::visibility_explained(visibility())}</p>
                </div>
                <div class="setting-control">
                    {move || match visibility() {
                        Visibility::Private => {
                            view! {
                                <button
                                    type="button"
                                    class="btn btn-primary"
                                    prop:disabled=move || vis_busy.get()
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
                                    class="btn"
                                    prop:disabled=move || vis_busy.get()
                                    on:click=make_private.clone()
                                >
                                    {msg::MAKE_PRIVATE}
                                </button>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }}
                </div>
            </div>
            {move || vis_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="setting">
                <div class="setting-text">
                    <div class="check">
                        <input
                            id="protected"
                            type="checkbox"
                            role="switch"
                            aria-describedby="protected-hint"
                            prop:checked=move || image.with(|d| d.image.protected)
                            prop:disabled=move || prot_busy.get()
                            on:change=toggle_protected
                        />
                        <label for="protected">{msg::PROTECTED}</label>
                    </div>
                    <p id="protected-hint" class="hint">{msg::PROTECTED_EXPLAINED}</p>
                </div>
            </div>
            {move || prot_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

// --------------------------------------------------------------------------------- members

#[derive(Clone, Debug, PartialEq)]
struct AddResult {
    member_id: String,
    ok: bool,
    /// "added", or why not.
    text: String,
}

#[component]
fn MembersPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let state = use_state();
    let members = RwSignal::new(None::<Result<Vec<Member>, ApiError>>);
    let image_id = image.with_untracked(|d| d.image.id.clone());
    let is_shared = Memo::new(move |_| image.with(|d| d.image.visibility == Visibility::Shared));

    let load = {
        let region = scope.region.clone();
        let id = image_id.clone();
        move || {
            let region = region.clone();
            let id = id.clone();
            spawn_local(async move {
                let result = api::list_members(&region, &id).await.map(|l| l.members);
                members.try_set(Some(result));
            });
        }
    };
    // (Re)load whenever the image becomes shared.
    {
        let load = load.clone();
        Effect::new(move |_| {
            if is_shared.get() {
                members.set(None);
                load();
            } else {
                members.set(Some(Ok(Vec::new())));
            }
        });
    }

    // ---- add form
    let input = RwSignal::new(String::new());
    let field_error = RwSignal::new(None::<String>);
    let adding = RwSignal::new(false);
    let results = RwSignal::new(Vec::<AddResult>::new());

    // `after_share`: the image was just made shared again, so projects that were members
    // before it was made private are members again already (Glance keeps them).
    let add = {
        let scope = scope.clone();
        let load = load.clone();
        move |ids: Vec<String>, after_share: bool| {
            let load = load.clone();
            let region = scope.region.clone();
            let image_id = image.with_untracked(|d| d.image.id.clone());
            adding.set(true);
            field_error.set(None);
            results.set(Vec::new());
            spawn_local(async move {
                let outcomes: Vec<(String, Result<Member, ApiError>)> = if ids.len() == 1 {
                    let id = ids[0].clone();
                    let r = api::add_member(&region, &image_id, &id).await;
                    vec![(id, r)]
                } else {
                    match api::add_members(&region, &image_id, ids.clone()).await {
                        Ok(answer) => answer
                            .results
                            .into_iter()
                            .map(|o| {
                                let r = match (o.member, o.error) {
                                    (Some(m), _) => Ok(m),
                                    (None, Some(e)) => Err(ApiError {
                                        status: o.status,
                                        code: e.code.as_str().into(),
                                        message: e.message,
                                        field: e.field,
                                    }),
                                    (None, None) => Err(ApiError {
                                        status: o.status,
                                        code: "unknown".into(),
                                        message: msg::unreadable_answer(o.status),
                                        field: None,
                                    }),
                                };
                                (o.member_id, r)
                            })
                            .collect(),
                        Err(e) => {
                            adding.try_set(false);
                            if e.is(json::ErrorCode::ImageNotShared.as_str()) {
                                image.try_update(|d| d.image.visibility = Visibility::Private);
                            }
                            field_error.try_set(Some(e.message));
                            return;
                        }
                    }
                };
                adding.try_set(false);
                let mut added = Vec::new();
                let mut restored = 0;
                let mut failed_ids = Vec::new();
                let mut report = Vec::new();
                let single = outcomes.len() == 1;
                for (id, r) in outcomes {
                    match r {
                        Ok(m) => {
                            added.push(m);
                            report.push(AddResult {
                                member_id: id,
                                ok: true,
                                text: msg::ADDED.into(),
                            });
                        }
                        Err(e) if after_share && e.is(json::ErrorCode::AlreadyMember.as_str()) => {
                            restored += 1;
                            report.push(AddResult {
                                member_id: id,
                                ok: true,
                                text: msg::MEMBER_AGAIN.into(),
                            });
                        }
                        Err(e) => {
                            if e.is(json::ErrorCode::ImageNotShared.as_str()) {
                                image.try_update(|d| d.image.visibility = Visibility::Private);
                            }
                            if single {
                                field_error.try_set(Some(e.message.clone()));
                            }
                            failed_ids.push(id.clone());
                            report.push(AddResult {
                                member_id: id,
                                ok: false,
                                text: e.message,
                            });
                        }
                    }
                }
                let n_added = added.len();
                let n_total = report.len();
                if !added.is_empty() {
                    members.try_update(|m| {
                        if let Some(Ok(list)) = m {
                            for a in added {
                                list.retain(|x| x.member_id != a.member_id);
                                list.push(a);
                            }
                        }
                    });
                    state.success(msg::members_added(n_added, n_total));
                }
                if restored > 0 {
                    load();
                    state.success(msg::members_restored(restored));
                }
                // What is left in the box is what still needs fixing.
                input.try_set(failed_ids.join("\n"));
                if !single {
                    results.try_set(report);
                }
            });
        }
    };

    let on_submit = {
        let own_project = scope.project_id.clone();
        let add = add.clone();
        let scope = scope.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if adding.get_untracked() {
                return;
            }
            results.set(Vec::new());
            let ids = json::split_project_ids(&input.get_untracked());
            if ids.is_empty() {
                field_error.set(Some(msg::ENTER_PROJECT_ID.into()));
                return;
            }
            let malformed: Vec<String> = ids
                .iter()
                .filter(|id| !json::is_project_id(id))
                .cloned()
                .collect();
            if !malformed.is_empty() {
                field_error.set(Some(msg::malformed_ids(&malformed)));
                return;
            }
            if ids.iter().any(|id| id.eq_ignore_ascii_case(&own_project)) {
                field_error.set(Some(msg::OWN_PROJECT_ID.into()));
                return;
            }
            field_error.set(None);
            match image.with_untracked(|d| d.image.visibility) {
                Visibility::Shared => add(ids, false),
                Visibility::Private => {
                    // Offer to make it shared first.
                    let add = add.clone();
                    let scope = scope.clone();
                    let name = image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));
                    state.ask(Confirm {
                        title: msg::share_first_title(&name),
                        body: msg::SHARE_FIRST_BODY.into(),
                        risk: None,
                        confirm_label: msg::MAKE_SHARED_AND_ADD,
                        danger: false,
                        on_confirm: Arc::new(move || {
                            let add = add.clone();
                            let ids = ids.clone();
                            patch(
                                &scope,
                                image,
                                ImageUpdate {
                                    visibility: Some(Visibility::Shared),
                                    protected: None,
                                },
                                adding,
                                field_error,
                                move |_| add(ids, true),
                            );
                        }),
                    });
                }
                v => field_error.set(Some(msg::visibility_has_no_members(v))),
            }
        }
    };

    // ---- remove
    let remove = {
        let region = scope.region.clone();
        move |member: Member, busy: RwSignal<bool>, error: RwSignal<Option<String>>| {
            let region = region.clone();
            let image_id = image.with_untracked(|d| d.image.id.clone());
            let image_name = image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));
            let who = member
                .member_name
                .clone()
                .unwrap_or_else(|| msg::project_by_id(&member.member_id));
            state.ask(Confirm {
                title: msg::remove_title(&who, &image_name),
                body: msg::remove_body(&who),
                risk: Some(msg::REMOVE_RISK.into()),
                confirm_label: msg::REMOVE_MEMBER,
                danger: true,
                on_confirm: Arc::new(move || {
                    let region = region.clone();
                    let image_id = image_id.clone();
                    let member_id = member.member_id.clone();
                    let who = who.clone();
                    busy.set(true);
                    error.set(None);
                    spawn_local(async move {
                        match api::remove_member(&region, &image_id, &member_id).await {
                            Ok(()) => {
                                members.try_update(|m| {
                                    if let Some(Ok(list)) = m {
                                        list.retain(|x| x.member_id != member_id);
                                    }
                                });
                                state.success(msg::member_removed(&who));
                            }
                            Err(e) => {
                                error.try_set(Some(e.message));
                            }
                        }
                        busy.try_set(false);
                    });
                }),
            });
        }
    };

    let count_line = move || {
        members.with(|m| match m {
            Some(Ok(list)) if !list.is_empty() => Some(MemberCounts::of(list).view()),
            _ => None,
        })
    };
    let load_retry = load.clone();

    view! {
        <section class="card" aria-labelledby="members-title">
            <div class="card-head">
                <h2 id="members-title">{msg::MEMBERS}</h2>
                {count_line}
            </div>
            <p class="explain">{msg::MEMBER_STATUS_EXPLAINED}</p>
            <form class="add-member" on:submit=on_submit novalidate=true>
                <div class="field">
                    <label for="member-ids">{msg::FIELD_PROJECT_ID}</label>
                    <textarea
                        id="member-ids"
                        rows="2"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder=msg::PROJECT_ID_PLACEHOLDER
                        aria-describedby="member-ids-hint member-ids-error"
                        aria-invalid=move || if field_error.get().is_some() { "true" } else { "false" }
                        bind:value=input
                    ></textarea>
                    <p id="member-ids-hint" class="hint">{msg::PROJECT_ID_HINT}</p>
                    <div id="member-ids-error">
                        {move || {
                            field_error
                                .get()
                                .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
                        }}
                    </div>
                </div>
                <div class="form-actions">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        prop:disabled=move || adding.get()
                        aria-busy=move || if adding.get() { "true" } else { "false" }
                    >
                        {msg::ADD_MEMBER}
                    </button>
                    <Show when=move || adding.get()>
                        <span class="loading-inline" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            {msg::ADDING}
                        </span>
                    </Show>
                </div>
                <Show when=move || !results.with(|r| r.is_empty())>
                    <ul class="results" aria-label=msg::ADD_RESULTS>
                        <For
                            each=move || results.get()
                            key=|r| r.member_id.clone()
                            let:r
                        >
                            <li class=if r.ok { "result-ok" } else { "result-fail" }>
                                <code>{r.member_id.clone()}</code>
                                " — "
                                {r.text.clone()}
                            </li>
                        </For>
                    </ul>
                </Show>
            </form>
            {move || match members.get() {
                None => view! { <Loading text=msg::LOADING_MEMBERS /> }.into_any(),
                Some(Err(e)) => {
                    let load = load_retry.clone();
                    view! { <ErrorNote error=e retry=Callback::new(move |_| load()) /> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => {
                    view! {
                        <EmptyState
                            title=if is_shared.get() { msg::NO_MEMBERS } else { msg::PRIVATE_NO_MEMBERS }
                            hint=msg::NO_MEMBERS_HINT
                        />
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    let remove = remove.clone();
                    view! {
                        <div class="table-wrap">
                            <table class="table" id="members">
                                <caption class="sr-only">{msg::MEMBERS}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{msg::COL_PROJECT}</th>
                                        <th scope="col">{msg::COL_PROJECT_ID}</th>
                                        <th scope="col">{msg::COL_STATUS}</th>
                                        <th scope="col">{msg::COL_SINCE}</th>
                                        <th scope="col">{msg::COL_LAST_CHANGE}</th>
                                        <th scope="col" class="actions">
                                            <span class="sr-only">{msg::COL_ACTIONS}</span>
                                        </th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|m| view! { <MemberRow member=m remove=remove.clone() /> })
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

#[component]
fn MemberRow<F>(member: Member, remove: F) -> impl IntoView
where
    F: Fn(Member, RwSignal<bool>, RwSignal<Option<String>>) + Clone + 'static,
{
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let m = member.clone();
    view! {
        <tr>
            <td>
                {match member.member_name.clone() {
                    Some(n) => view! { <span class="strong">{n}</span> }.into_any(),
                    None => view! { <span class="muted">{msg::UNKNOWN_PROJECT}</span> }.into_any(),
                }}
            </td>
            <td>
                <code>{member.member_id.clone()}</code>
            </td>
            <td>
                <StatusBadge status=member.status />
            </td>
            <td>
                <time datetime=member.created_at.clone() title=format::date_time(&member.created_at)>
                    {format::ago(&member.created_at)}
                </time>
            </td>
            <td>
                <time datetime=member.updated_at.clone() title=format::date_time(&member.updated_at)>
                    {format::ago(&member.updated_at)}
                </time>
            </td>
            <td class="actions">
                <button
                    type="button"
                    class="btn btn-small btn-danger-quiet"
                    prop:disabled=move || busy.get()
                    on:click=move |_| remove(m.clone(), busy, error)
                >
                    {msg::REMOVE}
                </button>
                {move || error.get().map(|e| view! { <p class="cell-error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}

// ------------------------------------------------------------------ an image shared with us

#[component]
fn OfferPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let state = use_state();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
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
                json::OwnerFilter::Others,
                Some(json::MemberStatusFilter::All),
            )
            .await
                && let Some(found) = list.images.into_iter().find(|i| i.id == id)
            {
                image.try_update(|d| d.image.member_status = found.member_status);
            }
        });
    }

    let decide = move |decision: MemberStatus| {
        decide_one(state, &scope, image, decision, busy, error);
    };
    let button = move |decision: MemberStatus| {
        let label = msg::decision_button(decision);
        let decide = decide.clone();
        view! {
            <button
                type="button"
                class=if decision == MemberStatus::Accepted { "btn btn-primary" } else { "btn" }
                prop:disabled=move || busy.get()
                on:click=move |_| decide(decision)
            >
                {label}
            </button>
        }
    };

    view! {
        <section class="card" aria-labelledby="offer-title">
            <h2 id="offer-title">{msg::SHARED_WITH_US_TITLE}</h2>
            <p>{msg::offered_by(&owner)}</p>
            {move || {
                status()
                    .map(|s| {
                        view! {
                            <p>
                                {msg::YOUR_DECISION}
                                " "
                                <StatusBadge status=s />
                            </p>
                            <div class="form-actions">
                                {MemberStatus::ALL
                                    .into_iter()
                                    .filter(|d| *d != s)
                                    .map(&button)
                                    .collect_view()}
                            </div>
                        }
                    })
            }}
            <p class="explain">{msg::DECISION_EXPLAINED}</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

fn decide_one(
    state: AppState,
    scope: &Scope,
    image: RwSignal<ImageDetail>,
    decision: MemberStatus,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
) {
    let region = scope.region.clone();
    let project = scope.project_id.clone();
    let id = image.with_untracked(|d| d.image.id.clone());
    let name = image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        match api::decide(&region, &id, &project, decision).await {
            Ok(m) => {
                image.try_update(|d| d.image.member_status = Some(m.status));
                state.success(msg::decided(decision, &name));
                state.refresh_pending();
            }
            Err(e) => {
                error.try_set(Some(e.message));
            }
        }
        busy.try_set(false);
    });
}

// ------------------------------------------------------------------------------ properties

#[component]
fn PropertiesPanel(image: RwSignal<ImageDetail>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="props-title">
            <h2 id="props-title">{msg::DETAILS}</h2>
            {move || {
                let d = image.get();
                let i = &d.image;
                let owner = match (&i.owner_name, &i.owner) {
                    (Some(n), Some(id)) => format!("{n} ({id})"),
                    (None, Some(id)) => id.clone(),
                    _ => "—".into(),
                };
                let yes_no = |b: bool| if b { msg::YES } else { msg::NO }.to_owned();
                let mut rows: Vec<(String, String, bool)> = vec![
                    (msg::PROP_ID.into(), i.id.clone(), true),
                    (msg::COL_NAME.into(), format::or_dash(&i.name), false),
                    (msg::COL_STATUS.into(), msg::image_status(&i.status), false),
                    (msg::COL_VISIBILITY.into(), msg::visibility(i.visibility).into(), false),
                    (msg::PROTECTED.into(), yes_no(i.protected), false),
                    (msg::PROP_OWNER.into(), owner, false),
                    (msg::COL_SIZE.into(), size_with_bytes(i.size), false),
                    (msg::PROP_VIRTUAL_SIZE.into(), size_with_bytes(d.virtual_size), false),
                    (msg::PROP_DISK_FORMAT.into(), format::or_dash(&i.disk_format), false),
                    (msg::PROP_CONTAINER_FORMAT.into(), format::or_dash(&d.container_format), false),
                    (msg::PROP_MIN_DISK.into(), msg::min_disk(d.min_disk), false),
                    (msg::PROP_MIN_RAM.into(), msg::min_ram(d.min_ram), false),
                    (msg::PROP_CHECKSUM.into(), format::or_dash(&d.checksum), true),
                    (msg::PROP_HASH_ALGO.into(), format::or_dash(&d.os_hash_algo), false),
                    (msg::PROP_HASH_VALUE.into(), format::or_dash(&d.os_hash_value), true),
                    (msg::PROP_HIDDEN.into(), yes_no(d.os_hidden), false),
                    (
                        msg::PROP_TAGS.into(),
                        if d.tags.is_empty() { "—".into() } else { d.tags.join(", ") },
                        false,
                    ),
                    (msg::COL_CREATED.into(), stamp(&i.created_at), false),
                    (msg::PROP_UPDATED.into(), stamp(&i.updated_at), false),
                ];
                for (k, v) in &d.properties {
                    rows.push((k.clone(), format::json_value(v), true));
                }
                view! {
                    <dl class="props">
                        {rows
                            .into_iter()
                            .map(|(k, v, mono)| {
                                view! {
                                    <div class="prop">
                                        <dt>{k}</dt>
                                        <dd class:mono=mono>{v}</dd>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </dl>
                }
            }}
        </section>
    }
}

fn size_with_bytes(bytes: Option<u64>) -> String {
    match bytes {
        Some(b) if b >= 1024 => format!("{} ({})", format::size(Some(b)), msg::bytes(b)),
        other => format::size(other),
    }
}

fn stamp(rfc3339: &str) -> String {
    format!("{} ({})", format::date_time(rfc3339), rfc3339)
}
