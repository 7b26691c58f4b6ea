//! The words for the domain's values (statuses, visibilities, actions, sizes) and for errors,
//! in the language in use. The texts themselves are in `frontend/locales/*.json`.

use json::{Action, ErrorCode, MemberStatus, Visibility};

use crate::api::{ApiError, Fault};
use crate::i18n::{self, Key, t, tf, tn};

/// The product's name: a name, the same in every language.
pub const APP_NAME: &str = "Glimpse";

/// "My images · Glimpse": the document title of a page.
pub fn title(page: Key) -> String {
    tf(Key::AppTitle, &[("page", &t(page))])
}

pub fn image_name(name: Option<&str>) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => n.to_owned(),
        _ => t(Key::CommonNoName),
    }
}

/// Glance's image status in words; a status this UI does not know, as it is.
pub fn image_status(status: &str) -> String {
    let key = match status {
        "active" => Key::ImageStatusActive,
        "queued" => Key::ImageStatusQueued,
        "saving" => Key::ImageStatusSaving,
        "uploading" => Key::ImageStatusUploading,
        "importing" => Key::ImageStatusImporting,
        "killed" => Key::ImageStatusKilled,
        "deleted" | "pending_delete" => Key::ImageStatusDeleted,
        "deactivated" => Key::ImageStatusDeactivated,
        other => return other.to_owned(),
    };
    t(key)
}

pub fn visibility(v: Visibility) -> String {
    t(match v {
        Visibility::Public => Key::VisibilityPublic,
        Visibility::Community => Key::VisibilityCommunity,
        Visibility::Shared => Key::VisibilityShared,
        Visibility::Private => Key::VisibilityPrivate,
    })
}

pub fn visibility_explained(v: Visibility) -> String {
    t(match v {
        Visibility::Public => Key::VisibilityExplainedPublic,
        Visibility::Community => Key::VisibilityExplainedCommunity,
        Visibility::Shared => Key::VisibilityExplainedShared,
        Visibility::Private => Key::VisibilityExplainedPrivate,
    })
}

/// Public and community images cannot be shared: what they are instead.
pub fn visibility_for_all(v: Visibility) -> Option<String> {
    match v {
        Visibility::Public => Some(t(Key::VisibilityAllSeePublic)),
        Visibility::Community => Some(t(Key::VisibilityAllSeeCommunity)),
        _ => None,
    }
}

pub fn visibility_has_no_members(v: Visibility) -> String {
    t(match v {
        Visibility::Community => Key::VisibilityNoMembersCommunity,
        _ => Key::VisibilityNoMembersPublic,
    })
}

pub fn member_status(s: MemberStatus) -> String {
    t(match s {
        MemberStatus::Pending => Key::StatusPending,
        MemberStatus::Accepted => Key::StatusAccepted,
        MemberStatus::Rejected => Key::StatusRejected,
    })
}

/// "2 accepted": members with that status.
pub fn count_with_status(n: usize, s: MemberStatus) -> String {
    let key = match s {
        MemberStatus::Pending => Key::StatusCountPending,
        MemberStatus::Accepted => Key::StatusCountAccepted,
        MemberStatus::Rejected => Key::StatusCountRejected,
    };
    tn(key, n, &[])
}

/// An activity log action, as done: "Made shared".
pub fn action(a: Action) -> String {
    t(match a {
        Action::MakeShared => Key::ActivityDidMakeShared,
        Action::MakePrivate => Key::ActivityDidMakePrivate,
        Action::Protect => Key::ActivityDidProtect,
        Action::Unprotect => Key::ActivityDidUnprotect,
        Action::AddMember => Key::ActivityDidAddMember,
        Action::RemoveMember => Key::ActivityDidRemoveMember,
        Action::Accept => Key::ActivityDidAccept,
        Action::Reject => Key::ActivityDidReject,
        Action::SetPending => Key::ActivityDidSetPending,
        Action::CopyImage => Key::ActivityDidCopyImage,
    })
}

/// Picks the key of a decision's message: `[accepted, rejected, back to pending]`.
fn by_decision(s: MemberStatus, keys: [Key; 3]) -> Key {
    match s {
        MemberStatus::Accepted => keys[0],
        MemberStatus::Rejected => keys[1],
        MemberStatus::Pending => keys[2],
    }
}

/// The button that moves an offer to `s`.
pub fn decision_button(s: MemberStatus) -> String {
    t(by_decision(
        s,
        [
            Key::SharedDecideAccepted,
            Key::SharedDecideRejected,
            Key::SharedDecidePending,
        ],
    ))
}

pub fn bulk_button(s: MemberStatus) -> String {
    t(by_decision(
        s,
        [
            Key::SharedBulkAccepted,
            Key::SharedBulkRejected,
            Key::SharedBulkPending,
        ],
    ))
}

pub fn running(s: MemberStatus, done: usize, total: usize) -> String {
    let key = by_decision(
        s,
        [
            Key::SharedRunningAccepted,
            Key::SharedRunningRejected,
            Key::SharedRunningPending,
        ],
    );
    tn(
        key,
        total,
        &[("done", &i18n::number(i18n::lang(), done as f64))],
    )
}

pub fn decided(s: MemberStatus, name: &str) -> String {
    let key = by_decision(
        s,
        [
            Key::SharedDecidedAccepted,
            Key::SharedDecidedRejected,
            Key::SharedDecidedPending,
        ],
    );
    tf(key, &[("name", name)])
}

pub fn decided_many(s: MemberStatus, n: usize) -> String {
    let key = by_decision(
        s,
        [
            Key::SharedDecidedManyAccepted,
            Key::SharedDecidedManyRejected,
            Key::SharedDecidedManyPending,
        ],
    );
    tn(key, n, &[])
}

pub fn decided_some(s: MemberStatus, ok: usize, total: usize) -> String {
    let key = by_decision(
        s,
        [
            Key::SharedDecidedSomeAccepted,
            Key::SharedDecidedSomeRejected,
            Key::SharedDecidedSomePending,
        ],
    );
    tn(
        key,
        total,
        &[("ok", &i18n::number(i18n::lang(), ok as f64))],
    )
}

/// The tab of offers with status `s`: its explanation, its empty state and its hint.
pub fn tab_explained(s: MemberStatus) -> String {
    t(by_decision(
        s,
        [
            Key::SharedExplainedAccepted,
            Key::SharedExplainedRejected,
            Key::SharedExplainedPending,
        ],
    ))
}

pub fn no_offers(s: MemberStatus, project: &str) -> String {
    let key = by_decision(
        s,
        [
            Key::SharedNoneAccepted,
            Key::SharedNoneRejected,
            Key::SharedNonePending,
        ],
    );
    tf(key, &[("project", project)])
}

pub fn no_offers_hint(s: MemberStatus) -> String {
    t(match s {
        MemberStatus::Pending => Key::SharedNoneHintPending,
        _ => Key::SharedNoneHintDecided,
    })
}

pub fn all_decided(s: MemberStatus) -> String {
    t(match s {
        MemberStatus::Pending => Key::SharedAllDonePending,
        _ => Key::SharedAllDoneDecided,
    })
}

/// A count in the language's digits.
pub fn number(n: usize) -> String {
    i18n::number(i18n::lang(), n as f64)
}

/// "4 seconds", "3 minutes": how long to wait.
pub fn wait(seconds: u64) -> String {
    if seconds >= 120 {
        tn(Key::TimeMinutes, seconds.div_ceil(60) as usize, &[])
    } else {
        tn(Key::TimeSeconds, seconds.max(1) as usize, &[])
    }
}

// ------------------------------------------------------------------------------------ errors

/// What the UI was doing when a call failed: errors are worded for it ("only the owner can add
/// members"), by the locale key `error.<code>.<doing>` when there is one, else `error.<code>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doing {
    /// Loading something to show.
    Load,
    SignIn,
    /// Sending the passcode of a multi-factor sign-in.
    Passcode,
    SwitchProject,
    Visibility,
    Protect,
    AddMember,
    RemoveMember,
    Decide,
    /// Reading the activity log with filters.
    Filter,
}

impl Doing {
    fn name(self) -> &'static str {
        match self {
            Doing::Load => "load",
            Doing::SignIn => "sign_in",
            Doing::Passcode => "passcode",
            Doing::SwitchProject => "switch_project",
            Doing::Visibility => "visibility",
            Doing::Protect => "protect",
            Doing::AddMember => "add_member",
            Doing::RemoveMember => "remove_member",
            Doing::Decide => "decide",
            Doing::Filter => "filter",
        }
    }
}

/// The words for an error, in the language in use. A code this UI has no words for (a newer
/// server's) shows the server's own message.
pub fn error(doing: Doing, e: &ApiError) -> String {
    let code = match e.fault {
        Fault::Network => return t(Key::ErrorNetwork),
        Fault::Unreadable => {
            let status = e.status.to_string();
            return match e.status {
                502..=504 => t(Key::ErrorCloudSlow),
                s if s >= 500 => tf(Key::ErrorServerFailed, &[("status", &status)]),
                _ => tf(Key::ErrorUnexpected, &[("status", &status)]),
            };
        }
        Fault::Api(ErrorCode::Unknown) => return e.message.clone(),
        Fault::Api(code) => code.as_str(),
    };
    let general = format!("error.{code}");
    let specific = format!("{general}.{}", doing.name());
    match (e.fault, doing) {
        (Fault::Api(ErrorCode::RateLimited), _) => {
            let Some(seconds) = e.retry_after else {
                return t(Key::ErrorRateLimited);
            };
            let key = Key::named(&specific).unwrap_or(Key::ErrorRateLimitedWait);
            return tf(key, &[("wait", &wait(seconds))]);
        }
        (Fault::Api(ErrorCode::MemberQuotaExceeded), _) if e.limit.is_some() => {
            let limit = e.limit.map(|l| number(l as usize)).unwrap_or_default();
            return tf(Key::ErrorMemberQuotaExceededLimit, &[("limit", &limit)]);
        }
        (Fault::Api(ErrorCode::InvalidInput), Doing::Filter) => {
            let on_field = e.field.as_ref().map(|f| format!("{specific}.{f}"));
            if let Some(key) = on_field.and_then(|k| Key::named(&k)) {
                return t(key);
            }
        }
        _ => {}
    }
    match Key::named(&specific).or_else(|| Key::named(&general)) {
        Some(key) => t(key),
        None => e.message.clone(),
    }
}

/// "Last seen at sign-in on …": a project name learned from another user's sign-in.
pub fn learned(seen: &str) -> String {
    tf(
        Key::HistoryLearned,
        &[("date", &crate::format::date_time(seen))],
    )
}

#[cfg(test)]
mod tests {
    use json::{ErrorBody, ErrorCode};

    use super::*;
    use crate::i18n::{Catalog, Lang, install};

    fn speak(lang: Lang) {
        let path = format!(
            "{}/locales/{}.json",
            env!("CARGO_MANIFEST_DIR"),
            lang.code()
        );
        let json = std::fs::read_to_string(path).expect("locale file");
        install(Catalog::parse(lang, &json).expect("locale"));
    }

    fn too_many(retry_after: Option<u64>) -> ApiError {
        let mut body = ErrorBody::new(ErrorCode::RateLimited, "Too many sign-in attempts.");
        body.retry_after = retry_after;
        ApiError::new(429, Some(body))
    }

    #[test]
    fn too_many_sign_in_attempts_say_how_long_to_wait_in_the_users_words() {
        speak(Lang::En);
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(30))),
            "Too many sign-in attempts. Try again in 30 seconds."
        );
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(1))),
            "Too many sign-in attempts. Try again in 1 second."
        );
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(300))),
            "Too many sign-in attempts. Try again in 5 minutes."
        );
        assert_eq!(
            error(Doing::SignIn, &too_many(None)),
            "Too many attempts. Wait a moment and try again."
        );
        speak(Lang::De);
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(30))),
            "Zu viele Anmeldeversuche. Versuchen Sie es in 30 Sekunden erneut."
        );
        speak(Lang::Pl);
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(2))),
            "Zbyt wiele prób logowania. Spróbuj ponownie za 2 sekundy."
        );
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(5))),
            "Zbyt wiele prób logowania. Spróbuj ponownie za 5 sekund."
        );
        assert_eq!(
            error(Doing::SignIn, &too_many(Some(1))),
            "Zbyt wiele prób logowania. Spróbuj ponownie za 1 sekundę."
        );
    }

    #[test]
    fn errors_are_worded_for_what_was_being_done() {
        speak(Lang::En);
        let forbidden = ApiError::code(403, ErrorCode::Forbidden);
        assert!(error(Doing::AddMember, &forbidden).starts_with("Only the image’s owner can add"));
        assert_eq!(
            error(Doing::Load, &forbidden),
            "OpenStack does not allow your project to do this."
        );
        let mut quota = ErrorBody::new(ErrorCode::MemberQuotaExceeded, "");
        quota.limit = Some(128);
        assert!(error(Doing::AddMember, &ApiError::new(413, Some(quota))).contains("(128)"));
        let mut bad_to = ErrorBody::new(ErrorCode::InvalidInput, "to: must not be before from");
        bad_to.field = Some("to".into());
        assert_eq!(
            error(Doing::Filter, &ApiError::new(400, Some(bad_to))),
            "Enter a valid date and time, no earlier than “From”."
        );
        assert_eq!(
            error(Doing::Load, &ApiError::new(0, None)),
            t(Key::ErrorNetwork)
        );
        assert!(error(Doing::Load, &ApiError::new(502, None)).contains("did not answer in time"));
    }

    #[test]
    fn a_code_this_ui_does_not_know_shows_the_servers_message() {
        speak(Lang::Fr);
        let body: ErrorBody = serde_json::from_str(
            r#"{"code":"from_the_future","message":"A newer server's words."}"#,
        )
        .unwrap();
        assert_eq!(
            error(Doing::Load, &ApiError::new(409, Some(body))),
            "A newer server's words."
        );
    }
}
