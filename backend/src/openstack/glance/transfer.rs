//! Glance v2 calls that make, fill and remove images: creating an image, its data in and out
//! (streamed), the interoperable import from another region (`glance-download`), and the
//! import methods a Glance offers.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Error, Glance, Image};
use crate::openstack::{OpenStackError, Token, read_json, send_as_is, with_segments};

/// What a new image is made with (`POST /v2/images`): Glance's attributes, then every other
/// property as is.
#[derive(Clone, Debug, Default)]
pub struct NewImage {
    pub name: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub visibility: Option<json::Visibility>,
    pub min_disk: u64,
    pub min_ram: u64,
    pub os_hidden: bool,
    pub tags: Vec<String>,
    pub properties: BTreeMap<String, Value>,
}

impl NewImage {
    fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        for (key, value) in &self.properties {
            body.insert(key.clone(), value.clone());
        }
        let mut set = |key: &str, value: Value| {
            body.insert(key.to_owned(), value);
        };
        if let Some(name) = &self.name {
            set("name", json!(name));
        }
        if let Some(f) = &self.disk_format {
            set("disk_format", json!(f));
        }
        if let Some(f) = &self.container_format {
            set("container_format", json!(f));
        }
        if let Some(v) = self.visibility {
            set("visibility", json!(v.as_str()));
        }
        set("min_disk", json!(self.min_disk));
        set("min_ram", json!(self.min_ram));
        set("os_hidden", json!(self.os_hidden));
        set("tags", json!(self.tags));
        Value::Object(body)
    }
}

/// An image's data, as it arrives.
pub struct Download {
    /// `Content-Length`, when Glance sends it.
    pub size: Option<u64>,
    pub body: futures::stream::BoxStream<'static, Result<Bytes, Error>>,
}

/// One of Glance's tasks on an image (an import).
#[derive(Clone, Debug, Deserialize)]
pub struct Task {
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct TaskList {
    tasks: Vec<Task>,
}

impl Glance {
    /// `POST /v2/images`: a new `queued` image.
    pub async fn create_image(&self, token: &Token, image: &NewImage) -> Result<Image, Error> {
        let request = self
            .http
            .post(self.image_url(None, &[])?)
            .json(&image.body());
        let resp = self.call(token, request).await?;
        Ok(read_json(&self.service, resp).await?)
    }

    pub async fn delete_image(&self, token: &Token, image_id: &str) -> Result<(), Error> {
        let url = self.image_url(Some(image_id), &[])?;
        self.call(token, self.http.delete(url)).await.map(drop)
    }

    /// `GET /v2/info/import`: the import methods this Glance offers.
    pub async fn import_methods(&self, token: &Token) -> Result<Vec<String>, Error> {
        #[derive(Deserialize)]
        struct Info {
            #[serde(rename = "import-methods")]
            methods: Methods,
        }
        #[derive(Deserialize)]
        struct Methods {
            value: Vec<String>,
        }
        let url = with_segments(&self.service, &self.v2, ["info", "import"])?;
        let resp = self.call(token, self.http.get(url)).await?;
        let info: Info = read_json(&self.service, resp).await?;
        Ok(info.methods.value)
    }

    /// `POST /v2/images/{id}/import` with `glance-download`: this Glance pulls the data of
    /// `source_image_id` from `source_region`'s Glance (found at `interface` in the token's
    /// catalog), with the caller's token.
    pub async fn import_glance_download(
        &self,
        token: &Token,
        image_id: &str,
        source_region: &str,
        source_image_id: &str,
        interface: &str,
    ) -> Result<(), Error> {
        let body = json!({"method": {
            "name": "glance-download",
            "glance_image_id": source_image_id,
            "glance_region": source_region,
            "glance_service_interface": interface,
        }});
        let request = self
            .http
            .post(self.image_url(Some(image_id), &["import"])?)
            .json(&body);
        self.call(token, request).await.map(drop)
    }

    /// `GET /v2/images/{id}/tasks`: the image's import tasks, and how they went.
    pub async fn image_tasks(&self, token: &Token, image_id: &str) -> Result<Vec<Task>, Error> {
        let url = self.image_url(Some(image_id), &["tasks"])?;
        let resp = self.call(token, self.http.get(url)).await?;
        let list: TaskList = read_json(&self.service, resp).await?;
        Ok(list.tasks)
    }

    /// `GET /v2/images/{id}/file`, read as it arrives: nothing is held but the chunk in hand.
    /// `limit` bounds the whole download (the client's own timeout is for short calls).
    pub async fn download(
        &self,
        token: &Token,
        image_id: &str,
        limit: Duration,
    ) -> Result<Download, Error> {
        let request = self
            .http
            .get(self.image_url(Some(image_id), &["file"])?)
            .header("X-Auth-Token", token.expose())
            .timeout(limit);
        let resp = send_as_is(&self.service, request).await?;
        let service = self.service.clone();
        Ok(Download {
            size: resp.content_length(),
            body: resp
                .bytes_stream()
                .map_err(move |e| Error::Upstream(OpenStackError::from_reqwest(service.clone(), e)))
                .boxed(),
        })
    }

    /// `PUT /v2/images/{id}/file` with `size` bytes from `data`, sent as they come: hyper
    /// asks `data` for more only once it has written what it had (back-pressure). A 413 is a
    /// full storage quota or an image too large for this Glance.
    pub async fn upload<S, E>(
        &self,
        token: &Token,
        image_id: &str,
        size: u64,
        data: S,
        limit: Duration,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let request = self
            .http
            .put(self.image_url(Some(image_id), &["file"])?)
            .header("X-Auth-Token", token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            // A known length: no chunked encoding, which not every WSGI server takes.
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(data))
            .timeout(limit);
        send_as_is(&self.service, request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_images_carry_attributes_and_properties() {
        let image = NewImage {
            name: Some("disk".into()),
            disk_format: Some("qcow2".into()),
            container_format: Some("bare".into()),
            visibility: Some(json::Visibility::Shared),
            min_disk: 2,
            min_ram: 512,
            tags: vec!["a".into()],
            properties: [("os_distro".to_owned(), json!("debian"))].into(),
            ..NewImage::default()
        };
        assert_eq!(
            image.body(),
            json!({"name": "disk", "disk_format": "qcow2", "container_format": "bare",
                   "visibility": "shared", "min_disk": 2, "min_ram": 512, "os_hidden": false,
                   "tags": ["a"], "os_distro": "debian"})
        );
    }
}
