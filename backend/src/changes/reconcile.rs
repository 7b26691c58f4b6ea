//! Settles the changes a crash left unfinished: an intent recorded, no outcome.
//!
//! With an application credential of its own (`reconcile_credential_id` and `_secret`, from
//! a role that may read every image's members, such as an admin or a system reader), Glimpse
//! reads Glance's real state and records what really happened: `ok` when Glance shows the
//! change asked for, `not_applied` when it shows it was not made. Without one, or when Glance
//! cannot tell (the image is gone, or a later change on the same thing hides this one), the
//! event is closed as `interrupted`. Either way `finished_at` is when this was decided.
//!
//! An intent younger than `grace` may still be in flight, on this process or on another
//! replica sharing the log, so only older ones are settled; a pass runs at start-up and then
//! every [`EVERY`]. Recording an outcome never overwrites one, so replicas reconciling at
//! once cannot disagree.

use std::time::Duration;

use json::{Action, ActivityEvent, MemberStatus, Visibility, outcome};
use time::OffsetDateTime;

use crate::activity::{self, ActivityLog};
use crate::openstack::glance::{self, Glance};
use crate::openstack::keystone::{ApplicationCredential, Credentials, Keystone, Scope};
use crate::openstack::{OpenStackError, Token};

/// How often unfinished intents are looked for after the first pass.
pub const EVERY: Duration = Duration::from_secs(10);
/// Events settled per query (the next pass takes the rest).
const BATCH: u32 = 500;

pub struct Reconciler {
    pub log: ActivityLog,
    pub keystone: Keystone,
    /// The pooled OpenStack client.
    pub http: reqwest::Client,
    /// Glimpse's own credential to read Glance's state; `None`: mark `interrupted`.
    pub credential: Option<ApplicationCredential>,
    /// The catalog interface of the Glance endpoints.
    pub interface: String,
    /// How old an intent must be before it counts as abandoned.
    pub grace: Duration,
}

/// What Glance's state says of one unfinished change.
enum Seen {
    /// The change is in effect.
    Made,
    /// It is not.
    NotMade,
    /// Nobody can tell any more.
    Unknowable,
    /// Glance cannot answer right now: ask again on the next pass.
    Later,
}

/// Reads Glance as Glimpse's own credential.
struct Reader {
    token: Token,
    /// Glance endpoint by region.
    endpoints: std::collections::BTreeMap<String, String>,
}

impl Reconciler {
    /// Passes until the process ends.
    pub async fn run(self) {
        loop {
            match self.pass().await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "unfinished changes reconciled"),
                Err(e) => tracing::warn!(error = %e, "cannot reconcile unfinished changes now"),
            }
            tokio::time::sleep(EVERY).await;
        }
    }

    /// Settles the unfinished intents older than `grace`; answers how many.
    pub async fn pass(&self) -> Result<usize, activity::Error> {
        let cutoff = OffsetDateTime::now_utc() - self.grace;
        let events = self.log.unfinished(cutoff, BATCH).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let reader = match &self.credential {
            None => None,
            Some(credential) => match self.reader(credential).await {
                Ok(reader) => Some(reader),
                Err(e) if matches!(e.status(), Some(400..=499)) => {
                    tracing::error!(error = %e, "Keystone refuses the reconciliation credential: unfinished changes are marked interrupted");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot sign in to reconcile; trying again later");
                    return Ok(0);
                }
            },
        };
        let mut settled = 0;
        for event in &events {
            let outcome = match &reader {
                None => Some(outcome::INTERRUPTED),
                Some(reader) => match self.seen(reader, event).await? {
                    Seen::Made => Some(outcome::OK),
                    Seen::NotMade => Some(outcome::NOT_APPLIED),
                    Seen::Unknowable => Some(outcome::INTERRUPTED),
                    Seen::Later => None,
                },
            };
            let Some(outcome) = outcome else { continue };
            match self.log.finish(event.id, outcome).await {
                Ok(()) => {
                    settled += 1;
                    tracing::info!(event = event.id, action = %event.action, outcome, "reconciled");
                }
                // Settled meanwhile (the late outcome of a slow change, or another replica).
                Err(activity::Error::NotUnfinished(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(reader) = reader
            && let Err(e) = self.keystone.revoke(&reader.token).await
        {
            tracing::debug!(error = %e, "could not revoke the reconciliation token");
        }
        Ok(settled)
    }

    async fn reader(&self, credential: &ApplicationCredential) -> Result<Reader, OpenStackError> {
        let credentials = Credentials::ApplicationCredential {
            id: credential.id.clone(),
            secret: credential.secret.clone(),
        };
        let auth = self
            .keystone
            .authenticate(&credentials, &Scope::Unscoped)
            .await?;
        Ok(Reader {
            endpoints: auth.image_endpoints(&self.interface),
            token: auth.token,
        })
    }

    /// Whether Glance shows `event`'s change in effect.
    async fn seen(&self, reader: &Reader, event: &ActivityEvent) -> Result<Seen, activity::Error> {
        // A later change on the same thing, made or maybe made, hides what this one did.
        let later = self.log.later_on_image(&event.image_id, event.id).await?;
        if later
            .iter()
            .any(|l| same_target(l, event) && l.outcome.as_deref().is_none_or(|o| o == outcome::OK))
        {
            return Ok(Seen::Unknowable);
        }
        let Some(glance) = reader
            .endpoints
            .get(&event.region)
            .and_then(|endpoint| Glance::new(self.http.clone(), endpoint, &event.region, 1).ok())
        else {
            return Ok(Seen::Unknowable);
        };
        let token = &reader.token;
        let image = event.image_id.as_str();
        Ok(match (event.action, event.member_id.as_deref()) {
            (Action::MakeShared | Action::MakePrivate, _) => match glance.image(token, image).await
            {
                Ok(i) => made(
                    (i.visibility == Visibility::Shared) == (event.action == Action::MakeShared),
                ),
                Err(e) => unreadable(e),
            },
            (Action::Protect | Action::Unprotect, _) => match glance.image(token, image).await {
                Ok(i) => made(i.protected == (event.action == Action::Protect)),
                Err(e) => unreadable(e),
            },
            (_, None) => Seen::Unknowable,
            (action, Some(member)) => {
                let membership = match glance.member(token, image, member).await {
                    Ok(m) => Some(m.status),
                    Err(glance::Error::MemberNotFound) => None,
                    Err(e) => return Ok(unreadable(e)),
                };
                match action {
                    Action::AddMember => made(membership.is_some()),
                    Action::RemoveMember => made(membership.is_none()),
                    Action::Accept => made(membership == Some(MemberStatus::Accepted)),
                    Action::Reject => made(membership == Some(MemberStatus::Rejected)),
                    Action::SetPending => made(membership == Some(MemberStatus::Pending)),
                    _ => Seen::Unknowable,
                }
            }
        })
    }
}

fn made(yes: bool) -> Seen {
    if yes { Seen::Made } else { Seen::NotMade }
}

/// Glance would not show the state: try again when it is down, give up otherwise (the image
/// is gone, not shared any more, or hidden from the credential).
fn unreadable(e: glance::Error) -> Seen {
    match e {
        glance::Error::Upstream(
            OpenStackError::Unavailable { .. } | OpenStackError::Timeout { .. },
        ) => Seen::Later,
        glance::Error::Upstream(OpenStackError::Status { status, .. }) if status >= 500 => {
            Seen::Later
        }
        e => {
            tracing::debug!(error = %e, "Glance does not show the state of a change");
            Seen::Unknowable
        }
    }
}

/// Whether two events change the same thing: one membership, or one image attribute.
fn same_target(a: &ActivityEvent, b: &ActivityEvent) -> bool {
    fn target(e: &ActivityEvent) -> (&str, Option<&str>) {
        match e.action {
            Action::MakeShared | Action::MakePrivate => ("visibility", None),
            Action::Protect | Action::Unprotect => ("protected", None),
            _ => ("member", e.member_id.as_deref()),
        }
    }
    a.image_id == b.image_id && a.region == b.region && target(a) == target(b)
}
