//! The write path: every change Glimpse asks of Glance, recorded in the activity log.
//!
//! Each change is one sequence, intent → Glance call → outcome: the intent is written first
//! (no log, no change), then the call is made, then its outcome is written. The sequence runs
//! as a task of its own, so a client that goes away, or a request that times out, never cuts
//! it short; the handler waits for it and answers only once the outcome is written. What a
//! crash (`kill -9`, a power cut) still leaves unfinished, [`reconcile`] settles afterwards.

pub mod reconcile;

use std::future::Future;

use futures::{StreamExt, stream};
use json::{Action, ErrorCode, MemberStatus, NamedRef, outcome};

use crate::activity::{self, ActivityLog, NewEvent};
use crate::openstack::glance::{self, Glance, ImageChanges};
use crate::openstack::{OpenStackError, Token};

/// Who asks for a change: the signed-in user, in their current project.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: NamedRef,
    pub project: NamedRef,
    pub token: Token,
    /// The request's id (made by the server), recorded with the change.
    pub request_id: Option<String>,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The intent could not be recorded, so nothing was asked of Glance.
    #[error("the activity log cannot be written")]
    LogUnavailable(#[source] activity::Error),
    /// A project decides only on its own membership; refused before anything is logged.
    #[error("a project decides only on its own membership")]
    NotOwnMembership,
    /// Glance refused the change or failed.
    #[error(transparent)]
    Glance(#[from] glance::Error),
    /// The task making the change ended without an answer (it panicked: a bug).
    #[error("the change ended without an answer")]
    Interrupted,
}

impl Error {
    /// The outcome recorded for this error: the code the API answers it with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::LogUnavailable(_) => ErrorCode::LogUnavailable,
            Self::NotOwnMembership => ErrorCode::Forbidden,
            Self::Glance(e) => glance_code(e),
            Self::Interrupted => ErrorCode::Internal,
        }
    }
}

/// The API's code for a Glance refusal (`http::Error` answers the same codes; a test there
/// checks that the two agree).
pub fn glance_code(e: &glance::Error) -> ErrorCode {
    match e {
        glance::Error::NotFound(_) | glance::Error::MemberNotFound => ErrorCode::NotFound,
        glance::Error::AlreadyMember => ErrorCode::AlreadyMember,
        glance::Error::MemberQuotaExceeded { .. } => ErrorCode::MemberQuotaExceeded,
        glance::Error::StorageQuotaExceeded => ErrorCode::StorageQuotaExceeded,
        glance::Error::ImageTooLarge => ErrorCode::ImageTooLarge,
        glance::Error::NotShared => ErrorCode::ImageNotShared,
        glance::Error::PolicyRefused { .. } => ErrorCode::Forbidden,
        glance::Error::TokenRejected => ErrorCode::Unauthenticated,
        glance::Error::Invalid(_) => ErrorCode::InvalidInput,
        glance::Error::Upstream(OpenStackError::Timeout { .. }) => ErrorCode::UpstreamTimeout,
        glance::Error::Upstream(_) => ErrorCode::UpstreamUnavailable,
    }
}

/// The changes one actor makes in one region, each recorded.
pub struct Changes {
    log: ActivityLog,
    glance: Glance,
    actor: Actor,
}

impl Changes {
    pub fn new(log: ActivityLog, glance: Glance, actor: Actor) -> Self {
        Self { log, glance, actor }
    }

    /// Shares the image with `member_id`.
    pub async fn add_member(&self, image_id: &str, member_id: &str) -> Result<glance::Member> {
        let member = member_id.to_owned();
        self.make(image_id, vec![(Action::AddMember, Some(member.clone()))], {
            move |glance, token, image| async move {
                glance.add_member(&token, &image, &member).await
            }
        })
        .await
    }

    /// Shares the image with each of `member_ids` (at most `concurrency` calls at once), each
    /// recorded on its own; one failing does not stop the others. Answers in the same order.
    pub async fn add_members(
        &self,
        image_id: &str,
        member_ids: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<glance::Member>> {
        let count = member_ids.len();
        let (log, glance, actor) = (self.log.clone(), self.glance.clone(), self.actor.clone());
        let image = image_id.to_owned();
        let task = tokio::spawn(crate::openstack::carrying_request_id(async move {
            // Looked up once, first: the intents of every member carry it.
            let name = image_name(&glance, &actor.token, &image).await;
            stream::iter(member_ids)
                .map(|member| {
                    let (log, glance, actor, image, name) = (&log, &glance, &actor, &image, &name);
                    async move {
                        let intent = actor.intent(glance, Action::AddMember, image, name, &member);
                        let call = glance.add_member(&actor.token, image, &member);
                        let named = std::future::ready(None);
                        recorded(log, vec![intent], named, async { Ok(call.await?) }).await
                    }
                })
                .buffered(concurrency.max(1))
                .collect::<Vec<_>>()
                .await
        }));
        task.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "a change task ended without an answer");
            (0..count).map(|_| Err(Error::Interrupted)).collect()
        })
    }

    /// Ends `member_id`'s access to the image (the owner's act).
    pub async fn remove_member(&self, image_id: &str, member_id: &str) -> Result<()> {
        let member = member_id.to_owned();
        self.make(
            image_id,
            vec![(Action::RemoveMember, Some(member.clone()))],
            {
                move |glance, token, image| async move {
                    glance.remove_member(&token, &image, &member).await
                }
            },
        )
        .await
    }

    /// The acting project's decision on an image shared with it. Deciding for another
    /// project is refused before anything is recorded.
    pub async fn decide(
        &self,
        image_id: &str,
        member_id: &str,
        status: MemberStatus,
    ) -> Result<glance::Member> {
        if member_id != self.actor.project.id {
            return Err(Error::NotOwnMembership);
        }
        let member = member_id.to_owned();
        let action = Action::for_decision(status);
        self.make(image_id, vec![(action, Some(member.clone()))], {
            move |glance, token, image| async move {
                glance
                    .set_member_status(&token, &image, &member, status)
                    .await
            }
        })
        .await
    }

    /// Visibility and protection, in one Glance call; one recorded event per attribute.
    pub async fn update_image(
        &self,
        image_id: &str,
        changes: ImageChanges,
    ) -> Result<glance::Image> {
        let visibility = changes.visibility.map(|v| match v {
            json::Visibility::Shared => Action::MakeShared,
            _ => Action::MakePrivate,
        });
        let protection = changes.protected.map(|p| {
            if p {
                Action::Protect
            } else {
                Action::Unprotect
            }
        });
        let actions = visibility.into_iter().chain(protection);
        self.make(image_id, actions.map(|a| (a, None)).collect(), {
            move |glance, token, image| async move {
                glance.update_image(&token, &image, &changes).await
            }
        })
        .await
    }

    /// Runs one change as its own task: records an intent per `(action, member)`, makes `call`
    /// and, beside it, asks Glance for the image's name for the log; records the outcome.
    async fn make<T, F, Fut>(
        &self,
        image_id: &str,
        actions: Vec<(Action, Option<String>)>,
        call: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Glance, Token, String) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, glance::Error>> + Send,
    {
        let (log, glance, actor) = (self.log.clone(), self.glance.clone(), self.actor.clone());
        let image = image_id.to_owned();
        let task = tokio::spawn(crate::openstack::carrying_request_id(async move {
            let intents = actions
                .iter()
                .map(|(action, member)| {
                    let member = member.as_deref().unwrap_or_default();
                    actor.intent(&glance, *action, &image, &None, member)
                })
                .collect();
            let name = image_name(&glance, &actor.token, &image);
            let call = call(glance.clone(), actor.token.clone(), image.clone());
            recorded(&log, intents, name, async { Ok(call.await?) }).await
        }));
        task.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "a change task ended without an answer");
            Err(Error::Interrupted)
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Actor {
    fn intent(
        &self,
        glance: &Glance,
        action: Action,
        image_id: &str,
        image_name: &Option<String>,
        member_id: &str,
    ) -> NewEvent {
        NewEvent {
            user_id: self.user.id.clone(),
            user_name: self.user.name.clone(),
            project_id: self.project.id.clone(),
            project_name: self.project.name.clone(),
            region: glance.region().to_owned(),
            action,
            image_id: image_id.to_owned(),
            image_name: image_name.clone(),
            member_id: (!member_id.is_empty()).then(|| member_id.to_owned()),
            request_id: self.request_id.clone(),
        }
    }
}

/// Intent → call → outcome. No log, no change: when an intent cannot be written, nothing is
/// asked of Glance (and the intents already written are closed as `log_unavailable`).
///
/// `name` looks up the image's name for intents recorded without it, at the same time as
/// the call: under load every Glance call waits its turn, and a change that waited for the
/// name first would wait twice.
async fn recorded<T>(
    log: &ActivityLog,
    intents: Vec<NewEvent>,
    name: impl Future<Output = Option<String>>,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    let mut ids = Vec::with_capacity(intents.len());
    for intent in intents {
        match log.begin(intent).await {
            Ok(id) => ids.push(id),
            Err(e) => {
                crate::metrics::activity_write_failed();
                let error = Error::LogUnavailable(e);
                finish(log, &ids, error.code().as_str(), None).await;
                return Err(error);
            }
        }
    }
    let (result, name) = futures::join!(call, name);
    let outcome = match &result {
        Ok(_) => outcome::OK,
        Err(e) => e.code().as_str(),
    };
    finish(log, &ids, outcome, name.as_deref()).await;
    result
}

async fn finish(log: &ActivityLog, ids: &[i64], outcome: &str, image_name: Option<&str>) {
    for &id in ids {
        if let Err(e) = log.finish_named(id, outcome, image_name).await {
            crate::metrics::activity_write_failed();
            // The change is made (or not); its entry stays unfinished until reconciled.
            tracing::error!(error = %e, event = id, "could not record an outcome");
        }
    }
}

/// The image's name for the log, if Glance tells it (the log entry is written anyway).
async fn image_name(glance: &Glance, token: &Token, image_id: &str) -> Option<String> {
    glance
        .image(token, image_id)
        .await
        .ok()
        .and_then(|i| i.name)
}
