//! The simulated users of the load benchmark and what they do: each step is one of the
//! portal's real flows, made through Glimpse (its own session) or, for the ceiling, as
//! the same OpenStack calls straight to Glance (its own token).

use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use super::stats::{Class, Sample};

/// Glimpse's default `concurrency`: the direct flows fan out as much as Glimpse does.
const FAN_OUT: usize = 8;
/// A request that takes longer than this counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What the users share: where to send requests and the seeded images.
pub struct World {
    pub glimpse: String,
    pub glance: String,
    pub region: String,
    /// Project ids: a (owner of every image), b and c (members).
    pub project_a: String,
    pub project_b: String,
    pub project_c: String,
    /// Shared images of project-a offered to project-b and project-c.
    pub catalog: Vec<String>,
    /// Shared images of project-a offered to project-b, on which members decide.
    pub offered: Vec<String>,
    /// The seeded users' passwords.
    pub passwords: std::collections::BTreeMap<String, String>,
}

/// Which seeded user a simulated user is, and so what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// alice (project-a): her images, their members, adds and removes a member.
    Owner,
    /// bob (project-b): the inbox, offered images, accepts and rejects.
    Member,
    /// carol (project-a and project-c): reads, and runs the access audit.
    Auditor,
}

impl Kind {
    pub fn of(index: usize) -> Kind {
        [Kind::Owner, Kind::Member, Kind::Auditor][index % 3]
    }

    /// (user, project) to sign in as.
    pub fn login(self) -> (&'static str, &'static str) {
        match self {
            Kind::Owner => ("alice", "project-a"),
            Kind::Member => ("bob", "project-b"),
            Kind::Auditor => ("carol", "project-a"),
        }
    }

    /// The projects its audits cover: every project of the user, as in Glimpse.
    pub fn audited(self) -> &'static [&'static str] {
        match self {
            Kind::Auditor => &["project-a", "project-c"],
            Kind::Owner | Kind::Member => &[],
        }
    }
}

/// How a user reaches OpenStack.
pub enum Via {
    /// Through Glimpse, with its own cookie jar and CSRF token.
    Glimpse {
        client: reqwest::Client,
        csrf: String,
    },
    /// Straight to Glance, with its own token.
    Direct {
        client: reqwest::Client,
        token: String,
        /// (project id, token) of each project the audit covers: an auditor's every
        /// project, as Glimpse's audit rescopes to each.
        audit_scopes: Vec<(String, String)>,
    },
}

pub struct User {
    pub kind: Kind,
    pub via: Via,
    /// An owner's own image, on which it adds and removes project-c.
    pub own_image: Option<String>,
    rng: SmallRng,
    accept_next: bool,
}

impl User {
    pub fn new(kind: Kind, index: usize, via: Via, own_image: Option<String>) -> User {
        User {
            kind,
            via,
            own_image,
            rng: SmallRng::seed_from_u64(index as u64),
            accept_next: index.is_multiple_of(2),
        }
    }

    /// Steps until `deadline`; returns every request's sample.
    pub async fn run(mut self, world: &World, start: Instant, deadline: Instant) -> Vec<Sample> {
        let mut samples = Vec::new();
        while Instant::now() < deadline {
            self.step(world, start, &mut samples).await;
        }
        samples
    }

    async fn step(&mut self, w: &World, start: Instant, out: &mut Vec<Sample>) {
        let roll = self.rng.random_range(0..100);
        let any_catalog = w.catalog[self.rng.random_range(0..w.catalog.len())].clone();
        let offered = w.offered[self.rng.random_range(0..w.offered.len())].clone();
        match (self.kind, roll) {
            (Kind::Owner | Kind::Auditor, 0..30) => self.my_images(w, start, out).await,
            (Kind::Owner | Kind::Auditor, 30..55) => self.detail(w, &any_catalog, start, out).await,
            (Kind::Owner | Kind::Auditor, 55..80) => {
                self.members(w, &any_catalog, start, out).await
            }
            (Kind::Owner, 80..95) => self.add_and_remove(w, start, out).await,
            (Kind::Auditor, 80..90) => self.audit(w, start, out).await,
            (Kind::Member, 0..35) => self.inbox(w, start, out).await,
            (Kind::Member, 35..55) => self.detail(w, &offered, start, out).await,
            (Kind::Member, 55..85) => self.decide(w, &offered, start, out).await,
            _ => self.session(start, out, w).await,
        }
    }

    async fn my_images(&mut self, w: &World, start: Instant, out: &mut Vec<Sample>) {
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!("/api/v1/images?region={}&owner=me", w.region);
                self.glimpse(w, Method::GET, &path, None).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images?owner={}&limit=500", w.project_a);
                direct(client, token, w, Method::GET, &path, None).await.0
            }
        };
        out.push(sample("images (mine)", t, start, class));
    }

    async fn detail(&mut self, w: &World, id: &str, start: Instant, out: &mut Vec<Sample>) {
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!("/api/v1/images/{id}?region={}", w.region);
                self.glimpse(w, Method::GET, &path, None).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images/{id}");
                let (class, _) = direct(client, token, w, Method::GET, &path, None).await;
                if self.kind == Kind::Member && class == Class::Ok {
                    // Glimpse also reads the member's own decision on an offered image.
                    let path = format!("/v2/images/{id}/members/{}", w.project_b);
                    direct(client, token, w, Method::GET, &path, None).await.0
                } else {
                    class
                }
            }
        };
        out.push(sample("image detail", t, start, class));
    }

    async fn members(&mut self, w: &World, id: &str, start: Instant, out: &mut Vec<Sample>) {
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!("/api/v1/images/{id}/members?region={}", w.region);
                self.glimpse(w, Method::GET, &path, None).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images/{id}/members");
                direct(client, token, w, Method::GET, &path, None).await.0
            }
        };
        out.push(sample("members", t, start, class));
    }

    /// The images offered to project-b, in every status, each with its membership.
    async fn inbox(&mut self, w: &World, start: Instant, out: &mut Vec<Sample>) {
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!(
                    "/api/v1/images?region={}&owner=others&member_status=all",
                    w.region
                );
                self.glimpse(w, Method::GET, &path, None).await
            }
            Via::Direct { client, token, .. } => {
                let lists =
                    futures::future::join_all(["pending", "accepted", "rejected"].map(|status| {
                        let path = format!("/v2/images?visibility=shared&member_status={status}");
                        async move { direct(client, token, w, Method::GET, &path, None).await }
                    }))
                    .await;
                let mut class = Class::Ok;
                let mut ids = Vec::new();
                for (c, body) in lists {
                    class = worst(class, c);
                    for image in body["images"].as_array().into_iter().flatten() {
                        ids.extend(image["id"].as_str().map(String::from));
                    }
                }
                let members: Vec<Class> = futures::stream::iter(ids)
                    .map(|id| {
                        let path = format!("/v2/images/{id}/members/{}", w.project_b);
                        async move { direct(client, token, w, Method::GET, &path, None).await.0 }
                    })
                    .buffered(FAN_OUT)
                    .collect()
                    .await;
                members.into_iter().fold(class, worst)
            }
        };
        out.push(sample("inbox", t, start, class));
    }

    /// Adds project-c to the owner's own image, then removes it.
    async fn add_and_remove(&mut self, w: &World, start: Instant, out: &mut Vec<Sample>) {
        let Some(id) = self.own_image.clone() else {
            return;
        };
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!("/api/v1/images/{id}/members?region={}", w.region);
                let body = json!({"member_id": w.project_c});
                self.glimpse(w, Method::POST, &path, Some(body)).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images/{id}/members");
                let body = json!({"member": w.project_c});
                direct(client, token, w, Method::POST, &path, Some(body))
                    .await
                    .0
            }
        };
        out.push(sample("add member", t, start, class));
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!(
                    "/api/v1/images/{id}/members/{}?region={}",
                    w.project_c, w.region
                );
                self.glimpse(w, Method::DELETE, &path, None).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images/{id}/members/{}", w.project_c);
                direct(client, token, w, Method::DELETE, &path, None)
                    .await
                    .0
            }
        };
        out.push(sample("remove member", t, start, class));
    }

    /// project-b accepts or rejects an offered image, in turn.
    async fn decide(&mut self, w: &World, id: &str, start: Instant, out: &mut Vec<Sample>) {
        let status = if self.accept_next {
            "accepted"
        } else {
            "rejected"
        };
        self.accept_next = !self.accept_next;
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!(
                    "/api/v1/images/{id}/members/{}?region={}",
                    w.project_b, w.region
                );
                let body = json!({ "status": status });
                self.glimpse(w, Method::PUT, &path, Some(body)).await
            }
            Via::Direct { client, token, .. } => {
                let path = format!("/v2/images/{id}/members/{}", w.project_b);
                let body = json!({ "status": status });
                direct(client, token, w, Method::PUT, &path, Some(body))
                    .await
                    .0
            }
        };
        out.push(sample("accept/reject", t, start, class));
    }

    /// The access audit of every project of the user.
    async fn audit(&mut self, w: &World, start: Instant, out: &mut Vec<Sample>) {
        let t = Instant::now();
        let class = match &self.via {
            Via::Glimpse { .. } => {
                let path = format!("/api/v1/audit/access?format=json&region={}", w.region);
                self.glimpse(w, Method::GET, &path, None).await
            }
            Via::Direct {
                client,
                audit_scopes,
                ..
            } => {
                // The calls Glimpse's audit makes: for each project, its shared images
                // (owned and offered to it); then the members of each image it owns, and
                // its own membership of each offered one.
                let lists =
                    futures::future::join_all(audit_scopes.iter().map(|(project, token)| {
                        let path = "/v2/images?visibility=shared&member_status=all&limit=500";
                        async move {
                            let (class, body) =
                                direct(client, token, w, Method::GET, path, None).await;
                            (project, token, class, body)
                        }
                    }))
                    .await;
                let mut class = Class::Ok;
                let mut calls = Vec::new();
                for (project, token, c, body) in lists {
                    class = worst(class, c);
                    for image in body["images"].as_array().into_iter().flatten() {
                        let Some(id) = image["id"].as_str() else {
                            continue;
                        };
                        let path = if image["owner"].as_str() == Some(project.as_str()) {
                            format!("/v2/images/{id}/members")
                        } else {
                            format!("/v2/images/{id}/members/{project}")
                        };
                        calls.push((token.clone(), path));
                    }
                }
                let answers: Vec<Class> = futures::stream::iter(calls)
                    .map(|(token, path)| async move {
                        direct(client, &token, w, Method::GET, &path, None).await.0
                    })
                    .buffer_unordered(FAN_OUT)
                    .collect()
                    .await;
                answers.into_iter().fold(class, worst)
            }
        };
        out.push(sample("audit", t, start, class));
    }

    /// `GET /session` (Glimpse only: it re-checks the token with Keystone when due).
    async fn session(&mut self, start: Instant, out: &mut Vec<Sample>, w: &World) {
        if let Via::Glimpse { .. } = self.via {
            let t = Instant::now();
            let class = self.glimpse(w, Method::GET, "/api/v1/session", None).await;
            out.push(sample("session", t, start, class));
        }
    }

    async fn glimpse(&self, w: &World, method: Method, path: &str, body: Option<Value>) -> Class {
        let Via::Glimpse { client, csrf } = &self.via else {
            unreachable!("a Glimpse request from a direct user");
        };
        let mut req = client
            .request(method, format!("{}{path}", w.glimpse))
            .header("X-CSRF-Token", csrf)
            .timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            req = req.json(&body);
        }
        match req.send().await {
            Ok(resp) => {
                let class = Class::of_glimpse(resp.status().as_u16());
                // Read the whole answer: that is what a browser waits for.
                match resp.bytes().await {
                    Ok(_) => class,
                    Err(_) => Class::Own,
                }
            }
            Err(_) => Class::Own,
        }
    }
}

/// One Glance call with the user's token; returns the class and the JSON body.
async fn direct(
    client: &reqwest::Client,
    token: &str,
    w: &World,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (Class, Value) {
    let mut req = client
        .request(method, format!("{}{path}", w.glance))
        .header("X-Auth-Token", token)
        .header("Accept", "application/json")
        .timeout(REQUEST_TIMEOUT);
    if let Some(body) = body {
        req = req.json(&body);
    }
    match req.send().await {
        Ok(resp) => {
            let class = Class::of_openstack(resp.status().as_u16());
            match resp.bytes().await {
                Ok(bytes) => (class, serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
                Err(_) => (Class::Upstream, Value::Null),
            }
        }
        Err(_) => (Class::Upstream, Value::Null),
    }
}

/// The worse of two outcomes of calls that make up one flow.
fn worst(a: Class, b: Class) -> Class {
    let rank = |c: Class| match c {
        Class::Ok => 0,
        Class::Client => 1,
        Class::Upstream => 2,
        Class::Own => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

pub fn sample(route: &'static str, t: Instant, start: Instant, class: Class) -> Sample {
    Sample {
        route,
        ms: t.elapsed().as_secs_f64() * 1000.0,
        class,
        at: t.duration_since(start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_cycle_through_the_seeded_people() {
        assert_eq!(Kind::of(0), Kind::Owner);
        assert_eq!(Kind::of(1), Kind::Member);
        assert_eq!(Kind::of(5).login(), ("carol", "project-a"));
        assert_eq!(worst(Class::Ok, Class::Upstream), Class::Upstream);
        assert_eq!(worst(Class::Own, Class::Client), Class::Own);
    }
}
