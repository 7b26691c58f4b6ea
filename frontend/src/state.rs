//! The app-wide state: the session, the chosen region, the pending-offer count, the toasts and
//! the confirmation dialog. One `AppState` is provided as context; it is `Copy`.

use std::sync::Arc;
use std::time::Duration;

use json::{MemberStatusFilter, OwnerFilter, Session};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::i18n::Key;

const REGION_KEY: &str = "glimpse.region";
const TOAST_TIME: Duration = Duration::from_secs(6);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub kind: ToastKind,
    pub text: String,
}

/// What the in-page confirmation dialog asks.
#[derive(Clone)]
pub struct Confirm {
    pub title: String,
    pub body: String,
    /// A second paragraph, for the risk.
    pub risk: Option<String>,
    pub confirm_label: String,
    /// Red confirm button.
    pub danger: bool,
    pub on_confirm: Arc<dyn Fn() + Send + Sync>,
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Option<Session>>,
    /// True once the first `GET /session` has answered.
    pub checked: RwSignal<bool>,
    pub region: RwSignal<String>,
    /// Offers waiting for the current project's decision, or every project's of the session
    /// when it holds several accounts (None: not known yet).
    pub pending: RwSignal<Option<usize>>,
    pub toasts: RwSignal<Vec<Toast>>,
    pub confirm: RwSignal<Option<Confirm>>,
    /// Why the user is on the sign-in page, when it wasn't their choice.
    pub notice: RwSignal<Option<Key>>,
    next_toast: StoredValue<u32>,
}

/// The (project, region) the pages show; pages reload when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub project_id: String,
    pub project_name: String,
    pub region: String,
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}

impl AppState {
    pub fn new() -> Self {
        Self {
            session: RwSignal::new(None),
            checked: RwSignal::new(false),
            region: RwSignal::new(String::new()),
            pending: RwSignal::new(None),
            toasts: RwSignal::new(Vec::new()),
            confirm: RwSignal::new(None),
            notice: RwSignal::new(None),
            next_toast: StoredValue::new(0),
        }
    }

    /// Takes a session answer: the CSRF token, accounts, projects and regions may all have
    /// changed, and accounts whose sign-in ended are told of.
    pub fn set_session(&self, session: Session) {
        if !session.ended_accounts.is_empty() {
            let names: Vec<&str> = session
                .ended_accounts
                .iter()
                .map(|u| u.name.as_str())
                .collect();
            self.error(crate::i18n::tf(
                Key::NavAccountEnded,
                &[("names", &names.join(", "))],
            ));
        }
        let current = self.region.get_untracked();
        let region = if session.regions.contains(&current) {
            current
        } else {
            stored_region()
                .filter(|r| session.regions.contains(r))
                .or_else(|| session.regions.first().cloned())
                .unwrap_or_default()
        };
        self.region.set(region);
        self.session.set(Some(session));
        self.notice.set(None);
        self.refresh_pending();
    }

    pub fn set_region(&self, region: String) {
        store_region(&region);
        self.region.set(region);
        self.refresh_pending();
    }

    /// The server said 401: back to the sign-in page with a word of why.
    pub fn session_lost(&self) {
        if self.session.get_untracked().is_some() {
            self.notice.set(Some(Key::SignInSessionEnded));
        }
        self.session.set(None);
        self.pending.set(None);
        self.confirm.set(None);
    }

    /// Only the active account left the session: the session as it is now, with a notice.
    pub fn reload_session(&self) {
        let state = *self;
        spawn_local(async move {
            match api::get_session().await {
                Ok(session) => state.set_session(session),
                Err(_) => state.session_lost(),
            }
        });
    }

    /// Asks whether every account of the session is still there: one whose sign-in ended
    /// (expired, revoked) is told of, and the session taken as it is now.
    pub fn check_accounts(&self) {
        let state = *self;
        spawn_local(async move {
            if let Ok(session) = api::get_session().await {
                let same = state
                    .session
                    .with_untracked(|s| s.as_ref().is_some_and(|s| s.accounts == session.accounts));
                if !same || !session.ended_accounts.is_empty() {
                    state.set_session(session);
                }
            }
        });
    }

    pub fn several_accounts_untracked(&self) -> bool {
        untrack(|| self.several_accounts())
    }

    /// Whether the session holds several accounts: the inbox and its badge then cover every
    /// project of every account.
    pub fn several_accounts(&self) -> bool {
        self.session
            .with(|s| s.as_ref().is_some_and(|s| s.accounts.len() > 1))
    }

    pub fn signed_out(&self) {
        self.session.set(None);
        self.pending.set(None);
        self.notice.set(Some(Key::SignInSignedOut));
    }

    /// Reactive: the scope pages load for, None when signed out.
    pub fn scope(&self) -> Option<Scope> {
        let region = self.region.get();
        self.session.with(|s| {
            s.as_ref().map(|s| Scope {
                project_id: s.project.id.clone(),
                project_name: s.project.name.clone(),
                region,
            })
        })
    }

    pub fn scope_untracked(&self) -> Option<Scope> {
        untrack(|| self.scope())
    }

    /// Re-counts the offers waiting for a decision, for the badge in the header.
    pub fn refresh_pending(&self) {
        let Some(scope) = self.scope_untracked() else {
            return;
        };
        if scope.region.is_empty() {
            self.pending.set(None);
            return;
        }
        let state = *self;
        let everywhere = self.several_accounts_untracked();
        spawn_local(async move {
            let result = api::list_images(
                &scope.region,
                OwnerFilter::Others,
                Some(MemberStatusFilter::Pending),
                everywhere,
            )
            .await;
            // Only if nothing changed meanwhile.
            if state.scope_untracked().as_ref() == Some(&scope) {
                state.pending.set(result.ok().map(|l| l.images.len()));
            }
        });
    }

    pub fn toast(&self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next_toast.get_value();
        self.next_toast.set_value(id.wrapping_add(1));
        self.toasts.update(|t| {
            t.push(Toast {
                id,
                kind,
                text: text.into(),
            });
            // Never a wall of toasts.
            if t.len() > 4 {
                t.remove(0);
            }
        });
        let toasts = self.toasts;
        set_timeout(
            move || {
                toasts.try_update(|t| t.retain(|x| x.id != id));
            },
            TOAST_TIME,
        );
    }

    pub fn success(&self, text: impl Into<String>) {
        self.toast(ToastKind::Success, text);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.toast(ToastKind::Error, text);
    }

    pub fn dismiss(&self, id: u32) {
        self.toasts.update(|t| t.retain(|x| x.id != id));
    }

    pub fn ask(&self, confirm: Confirm) {
        self.confirm.set(Some(confirm));
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored_region() -> Option<String> {
    storage()?.get_item(REGION_KEY).ok()?
}

fn store_region(region: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(REGION_KEY, region);
    }
}
