//! Glance v2: images and image members, as one project's token sees them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::{OpenStackError, Service, Token, read_json, send};

/// Glance in one region, called with one user's token. Cheap to build per request: the
/// underlying `reqwest::Client` is shared and pooled.
#[derive(Clone, Debug)]
pub struct Glance {
    http: reqwest::Client,
    /// The v2 root, ending in `/v2/`.
    base: Url,
    service: Service,
    page_size: u32,
}

/// An image as Glance describes it. Unknown keys are kept in `properties`.
#[derive(Clone, Debug, Deserialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub visibility: json::Visibility,
    pub owner: Option<String>,
    #[serde(default)]
    pub protected: bool,
    pub size: Option<u64>,
    pub virtual_size: Option<u64>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    #[serde(default)]
    pub min_disk: u64,
    #[serde(default)]
    pub min_ram: u64,
    #[serde(default)]
    pub os_hidden: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub properties: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub image_id: String,
    pub status: json::MemberStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// Filters of an image list.
#[derive(Clone, Debug, Default)]
pub struct ImageQuery {
    pub owner: Option<String>,
    pub visibility: Option<json::Visibility>,
    /// With `visibility: shared`: images shared with the project in that status, and the
    /// project's own shared images whatever the filter.
    pub member_status: Option<json::MemberStatusFilter>,
}

/// A Glance refusal, classified so that callers need not read Glance's wording.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image does not exist or is not visible to the token's project.
    #[error("not found: {0}")]
    NotFound(String),
    /// The image exists, but the project is not in its member list.
    #[error("not a member")]
    MemberNotFound,
    #[error("already a member")]
    AlreadyMember,
    #[error("member quota exceeded")]
    MemberQuotaExceeded { limit: Option<u32> },
    /// Only images with visibility `shared` have members.
    #[error("only shared images have members")]
    NotShared,
    /// The policy refused the action (e.g. `add_member`, `modify_member`).
    #[error("not authorized to {action}")]
    PolicyRefused { action: String },
    /// Glance did not accept the token (expired or revoked).
    #[error("token rejected")]
    TokenRejected,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Upstream(OpenStackError),
}

impl From<OpenStackError> for Error {
    fn from(err: OpenStackError) -> Self {
        let message = err.message().to_owned();
        match err.status() {
            Some(401) => Error::TokenRejected,
            Some(404) if message.contains("not found in the member list") => Error::MemberNotFound,
            Some(404) => Error::NotFound(message),
            Some(409) if message.contains("duplicated") => Error::AlreadyMember,
            Some(413) => Error::MemberQuotaExceeded {
                limit: number_after(&message, "Maximum:"),
            },
            Some(403)
                if message.contains("Only shared images have members")
                    || message.starts_with("Not allowed to create members") =>
            {
                Error::NotShared
            }
            Some(403) => Error::PolicyRefused {
                action: between(&message, "complete ", " action")
                    .unwrap_or("do this")
                    .to_owned(),
            },
            Some(400) => Error::Invalid(message),
            _ => Error::Upstream(err),
        }
    }
}

fn number_after(text: &str, marker: &str) -> Option<u32> {
    let rest = &text[text.find(marker)? + marker.len()..];
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[derive(Deserialize)]
struct ImagePage {
    images: Vec<Image>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct MemberPage {
    members: Vec<Member>,
}

const JSON_PATCH: &str = "application/openstack-images-v2.1-json-patch";

impl Glance {
    /// `endpoint` as the catalog gives it, with or without the trailing `/v2`.
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        region: &str,
        page_size: u32,
    ) -> anyhow::Result<Self> {
        let mut base = Url::parse(endpoint.trim())?;
        let path = base.path().trim_end_matches('/').to_owned();
        let path = if path.ends_with("/v2") {
            format!("{path}/")
        } else {
            format!("{path}/v2/")
        };
        base.set_path(&path);
        Ok(Self {
            http,
            base,
            service: Service::Glance {
                region: region.to_owned(),
            },
            page_size: page_size.max(1),
        })
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("relative path")
    }

    pub fn region(&self) -> &str {
        match &self.service {
            Service::Glance { region } => region,
            Service::Keystone => "",
        }
    }

    fn image_url(&self, image_id: &str, tail: &[&str]) -> Url {
        let mut url = self.url("images");
        url.path_segments_mut()
            .expect("http url")
            .push(image_id)
            .extend(tail);
        url
    }

    async fn call(
        &self,
        token: &Token,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        Ok(send(
            &self.service,
            request.header("X-Auth-Token", token.expose()),
        )
        .await?)
    }

    /// Every image matching `query`, following Glance's pagination to the last page.
    pub async fn list_images(
        &self,
        token: &Token,
        query: &ImageQuery,
    ) -> Result<Vec<Image>, Error> {
        let mut params: Vec<(&str, String)> = vec![("limit", self.page_size.to_string())];
        if let Some(owner) = &query.owner {
            params.push(("owner", owner.clone()));
        }
        if let Some(v) = query.visibility {
            params.push(("visibility", v.as_str().to_owned()));
        }
        if let Some(s) = query.member_status {
            params.push(("member_status", s.as_str().to_owned()));
        }
        let mut images = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut request = self.http.get(self.url("images")).query(&params);
            if let Some(m) = &marker {
                request = request.query(&[("marker", m)]);
            }
            let page: ImagePage =
                read_json(&self.service, self.call(token, request).await?).await?;
            // Glance sends `next` while there may be more; its link is rebuilt from the
            // marker because behind a path-prefixing proxy the link can be wrong.
            let last = page.images.last().map(|i| i.id.clone());
            images.extend(page.images);
            match (page.next, last) {
                (Some(_), Some(last)) => marker = Some(last),
                _ => break,
            }
        }
        Ok(images)
    }

    pub async fn image(&self, token: &Token, image_id: &str) -> Result<Image, Error> {
        let resp = self
            .call(token, self.http.get(self.image_url(image_id, &[])))
            .await?;
        Ok(read_json(&self.service, resp).await?)
    }

    /// Replaces top-level image attributes (`visibility`, `protected`, …) with one JSON patch.
    pub async fn update_image(
        &self,
        token: &Token,
        image_id: &str,
        changes: &[(&str, Value)],
    ) -> Result<Image, Error> {
        let patch: Vec<Value> = changes
            .iter()
            .map(|(attr, value)| json!({"op": "replace", "path": format!("/{attr}"), "value": value}))
            .collect();
        let request = self
            .http
            .patch(self.image_url(image_id, &[]))
            .header(reqwest::header::CONTENT_TYPE, JSON_PATCH)
            .body(Value::Array(patch).to_string());
        let resp = self.call(token, request).await?;
        Ok(read_json(&self.service, resp).await?)
    }

    /// The members the token's project may see: all of them for the owner, its own
    /// membership for a member.
    pub async fn members(&self, token: &Token, image_id: &str) -> Result<Vec<Member>, Error> {
        let resp = self
            .call(token, self.http.get(self.image_url(image_id, &["members"])))
            .await?;
        let page: MemberPage = read_json(&self.service, resp).await?;
        Ok(page.members)
    }

    /// One membership: the owner may read any, a member only its own.
    pub async fn member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<Member, Error> {
        let resp = self
            .call(
                token,
                self.http
                    .get(self.image_url(image_id, &["members", member_id])),
            )
            .await?;
        Ok(read_json(&self.service, resp).await?)
    }

    pub async fn add_member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<Member, Error> {
        let request = self
            .http
            .post(self.image_url(image_id, &["members"]))
            .json(&json!({ "member": member_id }));
        let resp = self.call(token, request).await?;
        Ok(read_json(&self.service, resp).await?)
    }

    pub async fn remove_member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<(), Error> {
        self.call(
            token,
            self.http
                .delete(self.image_url(image_id, &["members", member_id])),
        )
        .await
        .map(drop)
    }

    /// The member project's decision on an image shared with it.
    pub async fn set_member_status(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
        status: json::MemberStatus,
    ) -> Result<Member, Error> {
        let request = self
            .http
            .put(self.image_url(image_id, &["members", member_id]))
            .json(&json!({ "status": status }));
        let resp = self.call(token, request).await?;
        Ok(read_json(&self.service, resp).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, message: &str) -> Error {
        OpenStackError::Status {
            service: Service::Glance { region: "R".into() },
            status,
            message: message.into(),
        }
        .into()
    }

    #[test]
    fn classifies_glance_answers() {
        assert!(matches!(
            status(409, "Member x is duplicated for image y"),
            Error::AlreadyMember
        ));
        assert!(matches!(
            status(
                413,
                "Image member limit exceeded for image y: The limit has been exceeded on the number of allowed image members for this image. Attempted: 129, Maximum: 128"
            ),
            Error::MemberQuotaExceeded { limit: Some(128) }
        ));
        assert!(matches!(
            status(403, "Not allowed to create members for image y."),
            Error::NotShared
        ));
        assert!(matches!(
            status(
                403,
                "Not allowed to list members for image y: Only shared images have members."
            ),
            Error::NotShared
        ));
        match status(403, "You are not authorized to complete add_member action.") {
            Error::PolicyRefused { action } => assert_eq!(action, "add_member"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(status(401, "x"), Error::TokenRejected));
        assert!(matches!(
            status(404, "Image y not found."),
            Error::NotFound(_)
        ));
        assert!(matches!(
            status(404, "x not found in the member list of the image y."),
            Error::MemberNotFound
        ));
    }

    #[test]
    fn image_urls_escape_ids() {
        let g = Glance::new(reqwest::Client::new(), "http://g:9292", "R", 10).unwrap();
        assert_eq!(
            g.image_url("a/b", &["members", "c d"]).as_str(),
            "http://g:9292/v2/images/a%2Fb/members/c%20d"
        );
        let g = Glance::new(reqwest::Client::new(), "http://g/image/v2/", "R", 10).unwrap();
        assert_eq!(g.url("images").as_str(), "http://g/image/v2/images");
    }
}
