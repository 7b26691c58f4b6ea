//! Glance v2: images and image members, as one project's token sees them.

mod error;
mod members;
mod memberships;
mod transfer;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

pub use error::Error;
pub use memberships::Memberships;
pub use transfer::{Download, NewImage, Task};

use super::{OpenStackError, Service, Token, endpoint_url, read_json, send, with_segments};

/// Glance in one region, called with one user's token. Cheap to build per request: the
/// underlying `reqwest::Client` is shared and pooled.
#[derive(Clone, Debug)]
pub struct Glance {
    http: reqwest::Client,
    /// The v2 root, ending in `/v2`.
    v2: Url,
    service: Service,
    page_size: u32,
    /// Where what this client learns of memberships is remembered, if anywhere.
    memberships: Option<Memberships>,
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

/// What the access audit reads of an image in a list: Glance sends some twenty fields more
/// and the image's own properties, which are skipped unread instead of kept (the audit holds
/// thousands of these).
#[derive(Clone, Debug, Deserialize)]
pub struct ImageBrief {
    pub id: String,
    pub name: Option<String>,
    pub visibility: json::Visibility,
    pub owner: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

/// An image as a list page carries it: its id is the next page's marker.
trait Listed: serde::de::DeserializeOwned {
    fn id(&self) -> &str;
}

impl Listed for Image {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Listed for ImageBrief {
    fn id(&self) -> &str {
        &self.id
    }
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

/// What an image update changes: each `Some` replaces that attribute, the rest stays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageChanges {
    pub visibility: Option<json::Visibility>,
    pub protected: Option<bool>,
}

impl ImageChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The JSON patch (RFC 6902, Glance's media type) that makes these changes.
    fn patch(&self) -> Value {
        let mut ops = Vec::new();
        if let Some(v) = self.visibility {
            ops.push(json!({"op": "replace", "path": "/visibility", "value": v.as_str()}));
        }
        if let Some(p) = self.protected {
            ops.push(json!({"op": "replace", "path": "/protected", "value": p}));
        }
        Value::Array(ops)
    }
}

#[derive(Deserialize)]
struct ImagePage<T> {
    images: Vec<T>,
    next: Option<String>,
}

const JSON_PATCH: &str = "application/openstack-images-v2.1-json-patch";

impl Glance {
    /// `endpoint` as the catalog gives it, with or without the trailing `/v2`. An endpoint
    /// that is not an http(s) URL is [`OpenStackError::BadEndpoint`].
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        region: &str,
        page_size: u32,
    ) -> Result<Self, OpenStackError> {
        let service = Service::Glance {
            region: region.to_owned(),
        };
        let mut v2 = endpoint_url(&service, endpoint)?;
        let path = v2.path().trim_end_matches('/').to_owned();
        if path.ends_with("/v2") {
            v2.set_path(&path);
        } else {
            v2.set_path(&format!("{path}/v2"));
        }
        Ok(Self {
            http,
            v2,
            service,
            page_size: page_size.max(1),
            memberships: None,
        })
    }

    pub fn region(&self) -> &str {
        match &self.service {
            Service::Glance { region } => region,
            Service::Keystone => "",
        }
    }

    /// `…/v2/images`, then `image_id` and `tail`, each segment escaped.
    fn image_url(&self, image_id: Option<&str>, tail: &[&str]) -> Result<Url, Error> {
        let segments = std::iter::once("images")
            .chain(image_id)
            .chain(tail.iter().copied());
        Ok(with_segments(&self.service, &self.v2, segments)?)
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
        self.list(token, query).await
    }

    /// [`Self::list_images`], reading only what the access audit needs of each image.
    pub async fn list_image_briefs(
        &self,
        token: &Token,
        query: &ImageQuery,
    ) -> Result<Vec<ImageBrief>, Error> {
        self.list(token, query).await
    }

    async fn list<T: Listed>(&self, token: &Token, query: &ImageQuery) -> Result<Vec<T>, Error> {
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
        let url = self.image_url(None, &[])?;
        let mut images = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut request = self.http.get(url.clone()).query(&params);
            if let Some(m) = &marker {
                request = request.query(&[("marker", m)]);
            }
            let page: ImagePage<T> =
                read_json(&self.service, self.call(token, request).await?).await?;
            // Glance sends `next` while there may be more; its link is rebuilt from the
            // marker because behind a path-prefixing proxy the link can be wrong.
            let last = page.images.last().map(|i| i.id().to_owned());
            images.extend(page.images);
            match (page.next, last) {
                (Some(_), Some(last)) => marker = Some(last),
                _ => break,
            }
        }
        Ok(images)
    }

    pub async fn image(&self, token: &Token, image_id: &str) -> Result<Image, Error> {
        let url = self.image_url(Some(image_id), &[])?;
        let resp = self.call(token, self.http.get(url)).await?;
        Ok(read_json(&self.service, resp).await?)
    }

    /// Makes `changes` with one JSON patch; answers the updated image.
    pub async fn update_image(
        &self,
        token: &Token,
        image_id: &str,
        changes: &ImageChanges,
    ) -> Result<Image, Error> {
        let request = self
            .http
            .patch(self.image_url(Some(image_id), &[])?)
            .header(reqwest::header::CONTENT_TYPE, JSON_PATCH)
            .body(changes.patch().to_string());
        let resp = self.call(token, request).await?;
        Ok(read_json(&self.service, resp).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_urls_escape_ids() {
        let g = Glance::new(reqwest::Client::new(), "http://g:9292", "R", 10).unwrap();
        assert_eq!(
            g.image_url(Some("a/b"), &["members", "c d"])
                .unwrap()
                .as_str(),
            "http://g:9292/v2/images/a%2Fb/members/c%20d"
        );
        let g = Glance::new(reqwest::Client::new(), "http://g/image/v2/", "R", 10).unwrap();
        assert_eq!(
            g.image_url(None, &[]).unwrap().as_str(),
            "http://g/image/v2/images"
        );
    }

    #[test]
    fn unusable_endpoints_are_refused() {
        for bad in [
            "",
            "not a url",
            "mailto:glance@example.org",
            "ftp://g/v2",
            "data:,x",
        ] {
            match Glance::new(reqwest::Client::new(), bad, "R", 10) {
                Err(OpenStackError::BadEndpoint { .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn image_changes_are_one_patch() {
        let changes = ImageChanges {
            visibility: Some(json::Visibility::Shared),
            protected: Some(true),
        };
        assert_eq!(
            changes.patch(),
            json!([
                {"op": "replace", "path": "/visibility", "value": "shared"},
                {"op": "replace", "path": "/protected", "value": true},
            ])
        );
        assert!(ImageChanges::default().is_empty());
        assert!(!changes.is_empty());
    }
}
