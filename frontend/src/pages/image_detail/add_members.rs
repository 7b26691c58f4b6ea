use std::sync::Arc;

use json::{ErrorCode, ImageDetail, ImageUpdate, Member, Visibility};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::members::MemberList;
use super::pick_project::PickProject;
use crate::api::{self, ApiError};
use crate::change::{Run, change};
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::state::{Confirm, Scope, use_state};

/// What one project ID came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Added {
    /// A new member.
    New(Member),
    /// A member from before the image was made private: a member again already.
    Again,
    Failed(ApiError),
}

/// What an addition of several project IDs came to, as the form reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The new members, for the table.
    pub added: Vec<Member>,
    /// Members again (after making the image shared).
    pub restored: usize,
    /// The IDs that failed: what is left in the box, to fix.
    pub failed: Vec<String>,
    /// Every ID with what it came to, in order.
    pub report: Vec<(String, Added)>,
    /// The server says the image is not shared (any more).
    pub not_shared: bool,
}

/// Sorts the answers for each ID. `after_share`: the image was just made shared again, so
/// an `already_member` is a member from before, not a mistake.
pub fn outcome(answers: Vec<(String, Result<Member, ApiError>)>, after_share: bool) -> Outcome {
    let mut o = Outcome::default();
    for (id, answer) in answers {
        let added = match answer {
            Ok(m) => {
                o.added.push(m.clone());
                Added::New(m)
            }
            Err(e) if after_share && e.is(ErrorCode::AlreadyMember) => {
                o.restored += 1;
                Added::Again
            }
            Err(e) => {
                o.not_shared |= e.is(ErrorCode::ImageNotShared);
                o.failed.push(id.clone());
                Added::Failed(e)
            }
        };
        o.report.push((id, added));
    }
    o
}

/// Why the form did not send, or could not add.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    Says(Key),
    Malformed(Vec<String>),
    NoMembers(Visibility),
    Refused(ApiError),
}

impl Problem {
    fn text(&self) -> String {
        match self {
            Problem::Says(key) => t(*key),
            Problem::Malformed(ids) => {
                let list = ids
                    .iter()
                    .map(|s| format!("\u{201c}{s}\u{201d}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                tn(Key::MembersMalformed, ids.len(), &[("ids", &list)])
            }
            Problem::NoMembers(v) => msg::visibility_has_no_members(*v),
            Problem::Refused(e) => msg::error(Doing::AddMember, e),
        }
    }
}

/// Adds one project ID, or many pasted at once; a private image is made shared first, once
/// the person agrees.
#[component]
pub fn AddMembersForm(
    scope: Scope,
    image: RwSignal<ImageDetail>,
    members: MemberList,
    /// Reloads the member list.
    reload: Callback<()>,
) -> impl IntoView {
    let state = use_state();
    let input = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let report = RwSignal::new(Vec::<(String, Added)>::new());

    let region = StoredValue::new(scope.region.clone());
    let add = change();
    // Adds `ids`; makes the image shared first when asked to.
    let send_ids = move |ids: Vec<String>, share_first: bool| {
        let region = region.get_value();
        let image_id = image.with_untracked(|d| d.image.id.clone());
        add.run(async move {
            if share_first {
                let update = ImageUpdate {
                    visibility: Some(Visibility::Shared),
                    protected: None,
                };
                match api::update_image(&region, &image_id, &update).await {
                    Ok(d) => image.set(d),
                    Err(e) => {
                        problem.set(Some(Problem::Refused(e)));
                        return Ok(());
                    }
                }
            }
            let answers = match send(&region, &image_id, ids).await {
                Ok(answers) => answers,
                Err(e) => {
                    if e.is(ErrorCode::ImageNotShared) {
                        image.update(|d| d.image.visibility = Visibility::Private);
                    }
                    problem.set(Some(Problem::Refused(e)));
                    return Ok(());
                }
            };
            let single = answers.len() == 1;
            let o = outcome(answers, share_first);
            if o.not_shared {
                image.update(|d| d.image.visibility = Visibility::Private);
            }
            if single && let Some((_, Added::Failed(e))) = o.report.first() {
                problem.set(Some(Problem::Refused(e.clone())));
            }
            let total = o.report.len();
            if !o.added.is_empty() {
                let n = o.added.len();
                state.success(match (n, total) {
                    (1, 1) => t(Key::MembersAddedOne),
                    (n, t) if n == t => tn(Key::MembersAddedAll, n, &[]),
                    (n, t) => tn(Key::MembersAddedSome, t, &[("added", &msg::number(n))]),
                });
                members.update(|m| {
                    if let Some(Ok(list)) = m {
                        for a in &o.added {
                            list.retain(|x| x.member_id != a.member_id);
                            list.push(a.clone());
                        }
                    }
                });
            }
            if o.restored > 0 {
                reload.run(());
                state.success(tn(Key::MembersRestored, o.restored, &[]));
            }
            // What is left in the box is what still needs fixing.
            input.set(o.failed.join("\n"));
            if !single {
                report.set(o.report);
            }
            Ok(())
        });
    };
    let adding = add.pending();

    let own_project = scope.project_id.clone();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if adding.get_untracked() {
            return;
        }
        report.set(Vec::new());
        let ids = json::split_project_ids(&input.get_untracked());
        let malformed: Vec<String> = ids
            .iter()
            .filter(|id| !json::is_project_id(id))
            .cloned()
            .collect();
        let found = if ids.is_empty() {
            Some(Problem::Says(Key::MembersEnterId))
        } else if !malformed.is_empty() {
            Some(Problem::Malformed(malformed))
        } else if ids.iter().any(|id| id.eq_ignore_ascii_case(&own_project)) {
            Some(Problem::Says(Key::MembersOwnId))
        } else {
            None
        };
        problem.set(found);
        if problem.with_untracked(Option::is_some) {
            return;
        }
        match image.with_untracked(|d| d.image.visibility) {
            Visibility::Shared => send_ids(ids, false),
            Visibility::Private => {
                let name = image.with_untracked(|d| msg::image_name(d.image.name.as_deref()));
                state.ask(Confirm {
                    title: tf(Key::MembersShareFirstTitle, &[("name", &name)]),
                    body: t(Key::MembersShareFirstBody),
                    risk: None,
                    confirm_label: t(Key::MembersShareFirstConfirm),
                    danger: false,
                    on_confirm: Arc::new(move || send_ids(ids.clone(), true)),
                });
            }
            v => problem.set(Some(Problem::NoMembers(v))),
        }
    };

    view! {
        <form class="add-member" on:submit=on_submit novalidate=true>
            <PickProject input=input />
            <div class="field">
                <label for="member-ids">{tr(Key::MembersField)}</label>
                <textarea
                    id="member-ids"
                    rows="2"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder=tr(Key::MembersPlaceholder)
                    aria-describedby="member-ids-hint member-ids-error"
                    aria-invalid=move || if problem.with(Option::is_some) { "true" } else { "false" }
                    bind:value=input
                ></textarea>
                <p id="member-ids-hint" class="hint">{tr(Key::MembersHint)}</p>
                <div id="member-ids-error">
                    {move || {
                        problem
                            .get()
                            .map(|p| view! { <p class="form-error" role="alert">{p.text()}</p> })
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
                    {tr(Key::MembersAdd)}
                </button>
                <Show when=move || adding.get()>
                    <span class="loading-inline" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        {tr(Key::MembersAdding)}
                    </span>
                </Show>
            </div>
            <Show when=move || !report.with(Vec::is_empty)>
                <ul class="results" aria-label=tr(Key::MembersResults)>
                    {move || {
                        report
                            .get()
                            .into_iter()
                            .map(|(id, added)| {
                                let (class, text) = match &added {
                                    Added::New(_) => ("result-ok", t(Key::MembersAdded)),
                                    Added::Again => ("result-ok", t(Key::MembersAgain)),
                                    Added::Failed(e) => ("result-fail", msg::error(Doing::AddMember, e)),
                                };
                                view! {
                                    <li class=class>
                                        <code>{id}</code>
                                        " — "
                                        {text}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </form>
    }
}

/// One ID goes as one call (a clear 409 or 413), several as one batch call.
async fn send(
    region: &str,
    image_id: &str,
    ids: Vec<String>,
) -> Result<Vec<(String, Result<Member, ApiError>)>, ApiError> {
    if let [id] = ids.as_slice() {
        let answer = api::add_member(region, image_id, id).await;
        return Ok(vec![(id.clone(), answer)]);
    }
    let batch = api::add_members(region, image_id, ids).await?;
    Ok(batch
        .results
        .into_iter()
        .map(|o| {
            let answer = match o.member {
                Some(m) => Ok(m),
                None => Err(ApiError::new(o.status, o.error)),
            };
            (o.member_id, answer)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use json::MemberStatus;

    use super::*;

    fn member(id: &str) -> Member {
        Member {
            member_id: id.into(),
            member_name: None,
            member_name_seen: None,
            status: MemberStatus::Pending,
            created_at: "2025-01-01T00:00:00Z".into(),
            updated_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn each_id_counts_once_and_failures_stay_to_fix() {
        let answers = vec![
            ("a".to_owned(), Ok(member("a"))),
            (
                "b".to_owned(),
                Err(ApiError::code(409, ErrorCode::AlreadyMember)),
            ),
            (
                "c".to_owned(),
                Err(ApiError::code(413, ErrorCode::MemberQuotaExceeded)),
            ),
            ("d".to_owned(), Ok(member("d"))),
        ];
        let o = outcome(answers, false);
        assert_eq!(o.added, vec![member("a"), member("d")]);
        assert_eq!(o.restored, 0);
        assert_eq!(o.failed, vec!["b", "c"]);
        assert_eq!(o.report.len(), 4);
        assert!(matches!(o.report[1].1, Added::Failed(ref e) if e.is(ErrorCode::AlreadyMember)));
        assert!(!o.not_shared);
    }

    #[test]
    fn after_making_shared_former_members_are_members_again() {
        let answers = vec![
            (
                "a".to_owned(),
                Err(ApiError::code(409, ErrorCode::AlreadyMember)),
            ),
            ("b".to_owned(), Ok(member("b"))),
        ];
        let o = outcome(answers, true);
        assert_eq!(o.restored, 1);
        assert!(o.failed.is_empty());
        assert_eq!(o.report[0].1, Added::Again);
    }

    #[test]
    fn an_image_no_longer_shared_is_noticed() {
        let answers = vec![(
            "a".to_owned(),
            Err(ApiError::code(409, ErrorCode::ImageNotShared)),
        )];
        let o = outcome(answers, false);
        assert!(o.not_shared);
        assert_eq!(o.failed, vec!["a"]);
    }
}
