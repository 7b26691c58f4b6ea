//! Demo images and memberships for a person trying the portal.

use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use serde_json::json;

use crate::{DevCloud, ImageOptions, small_disk_image};

/// An image [`DevCloud::seed_demo`] made (or found).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoImage {
    pub region: String,
    pub name: String,
    pub id: String,
    /// Owner project name.
    pub owner: String,
}

/// What happens to a membership after the owner adds it.
#[derive(Clone, Copy)]
enum Answer {
    Pending,
    /// Accepted or rejected by this user of the member project.
    By(&'static str, &'static str),
}

struct Spec {
    region: &'static str,
    name: &'static str,
    /// Owner: user, project.
    owner: (&'static str, &'static str),
    visibility: &'static str,
    protected: bool,
    members: &'static [(&'static str, Answer)],
}

const SPECS: &[Spec] = &[
    Spec {
        region: "RegionOne",
        name: "pfsense",
        owner: ("alice", "project-a"),
        visibility: "shared",
        protected: false,
        members: &[("project-b", Answer::Pending)],
    },
    Spec {
        region: "RegionOne",
        name: "ubuntu-24.04",
        owner: ("alice", "project-a"),
        visibility: "shared",
        protected: false,
        members: &[
            ("project-b", Answer::By("bob", "accepted")),
            ("project-c", Answer::By("carol", "rejected")),
        ],
    },
    Spec {
        region: "RegionOne",
        name: "debian-12",
        owner: ("alice", "project-a"),
        visibility: "shared",
        protected: true,
        members: &[("project-c", Answer::Pending)],
    },
    Spec {
        region: "RegionOne",
        name: "windows-2022",
        owner: ("alice", "project-a"),
        visibility: "private",
        protected: false,
        members: &[],
    },
    Spec {
        region: "RegionOne",
        name: "bob-tools",
        owner: ("bob", "project-b"),
        visibility: "shared",
        protected: false,
        members: &[("project-a", Answer::Pending)],
    },
    Spec {
        region: "RegionTwo",
        name: "pfsense-r2",
        owner: ("alice", "project-a"),
        visibility: "shared",
        protected: false,
        members: &[("project-b", Answer::Pending)],
    },
    Spec {
        region: "RegionTwo",
        name: "alpine-r2",
        owner: ("alice", "project-a"),
        visibility: "private",
        protected: false,
        members: &[],
    },
];

pub(crate) fn seed_demo(cloud: &DevCloud) -> Result<Vec<DemoImage>> {
    let seed = cloud.seed();
    // One token per (user, project), fetched on first use.
    let mut tokens: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut token = |user: &'static str, project: &'static str| -> Result<String> {
        if let Some(t) = tokens.get(&(user, project)) {
            return Ok(t.clone());
        }
        let t = cloud.user_token(user, project)?;
        tokens.insert((user, project), t.clone());
        Ok(t)
    };
    // Real qcow2 data, so that sizes, checksums and hashes look as they would.
    let disk = small_disk_image()?;
    let mut made = Vec::new();
    for spec in SPECS
        .iter()
        .filter(|s| cloud.glance_url(s.region).is_some())
    {
        let (user, project) = spec.owner;
        let owner_token = token(user, project)?;
        let owner_id = seed.project(project);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("name", spec.name)
            .append_pair("owner", owner_id)
            .append_pair("member_status", "all")
            .finish();
        let (status, found) = cloud.glance_request(
            spec.region,
            &owner_token,
            "GET",
            &format!("/v2/images?{query}"),
            None,
        )?;
        ensure!(status == 200, "listing images: HTTP {status}: {found}");
        if let Some(id) = found["images"][0]["id"].as_str() {
            made.push(DemoImage {
                region: spec.region.into(),
                name: spec.name.into(),
                id: id.into(),
                owner: project.into(),
            });
            continue;
        }
        let id = cloud.create_image(
            spec.region,
            &owner_token,
            spec.name,
            &ImageOptions {
                visibility: Some(spec.visibility),
                protected: spec.protected,
                ..ImageOptions::with_disk(&disk)
            },
        )?;
        for &(member, answer) in spec.members {
            let member_id = seed.project(member);
            let (status, body) = cloud.glance_request(
                spec.region,
                &owner_token,
                "POST",
                &format!("/v2/images/{id}/members"),
                Some(&json!({"member": member_id})),
            )?;
            ensure!(
                status == 200 || status == 409,
                "sharing {} with {member}: HTTP {status}: {body}",
                spec.name
            );
            if let Answer::By(member_user, new_status) = answer {
                let member_token = token(member_user, member)?;
                let (status, body) = cloud.glance_request(
                    spec.region,
                    &member_token,
                    "PUT",
                    &format!("/v2/images/{id}/members/{member_id}"),
                    Some(&json!({"status": new_status})),
                )?;
                ensure!(
                    status == 200,
                    "{member_user} setting {} to {new_status}: HTTP {status}: {body}",
                    spec.name
                );
            }
        }
        made.push(DemoImage {
            region: spec.region.into(),
            name: spec.name.into(),
            id: id.clone(),
            owner: project.into(),
        });
    }
    tracing::info!("demo images: {}", made.len());
    Ok(made)
}
