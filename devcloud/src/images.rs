//! Glance calls of the harness: raw requests, images with real data, the disk image
//! seeded in every region, and large images for copy benchmarks.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::disk::{DiskImage, large_disk_image, small_disk_image};
use crate::http;
use crate::{DevCloud, ImageOptions};

/// Name of the image [`DevCloud::start`] seeds in every region: private, owned by
/// project-a, data from [`small_disk_image`].
pub const SEEDED_IMAGE: &str = "glimpse-disk";
/// Who owns the seeded image: user, project.
const SEEDED_OWNER: (&str, &str) = ("alice", "project-a");

/// An image the dev cloud seeded, as Glance holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededImage {
    pub id: String,
    pub name: String,
    /// The owner project's name.
    pub owner: String,
    pub disk_format: String,
    pub size: u64,
    /// Glance's `os_hash_value` (`os_hash_algo` sha512), checked equal to the file's.
    pub sha512: String,
}

impl DevCloud {
    /// A raw Glance call: `path` starts with `/v2/`. A `PATCH` body is sent as
    /// `application/openstack-images-v2.1-json-patch`, others as JSON. Returns the
    /// status and the body as JSON (`null` if empty, a string if not JSON).
    pub fn glance_request(
        &self,
        region: &str,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        self.glance_request_timeout(region, token, method, path, body, http::TIMEOUT)
    }

    /// [`DevCloud::glance_request`] with a time limit for the whole exchange.
    pub fn glance_request_timeout(
        &self,
        region: &str,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(u16, Value)> {
        let base = self
            .glance_url(region)
            .with_context(|| format!("no Glance in region {region}"))?;
        let content_type = if method.eq_ignore_ascii_case("PATCH") {
            "application/openstack-images-v2.1-json-patch"
        } else {
            "application/json"
        };
        let body = body.map(|b| serde_json::to_vec(b).map(|v| (content_type, v)));
        let reply = self.http.send(
            method,
            &format!("{base}{path}"),
            &[("Accept", "application/json"), ("X-Auth-Token", token)],
            body.transpose()?,
            timeout,
        )?;
        Ok((reply.status, reply.json()))
    }

    /// Creates an image (`POST /v2/images`) in the token's project and, with `upload`
    /// or `upload_file`, uploads its data so that it becomes `active`. Returns its id.
    pub fn create_image(
        &self,
        region: &str,
        token: &str,
        name: &str,
        opts: &ImageOptions<'_>,
    ) -> Result<String> {
        let mut body = json!({
            "name": name,
            "disk_format": opts.disk_format,
            "container_format": opts.container_format,
            "protected": opts.protected,
            "min_disk": opts.min_disk,
            "min_ram": opts.min_ram,
        });
        if let Some(v) = opts.visibility {
            body["visibility"] = json!(v);
        }
        for (k, v) in opts.properties {
            body[*k] = json!(v);
        }
        let (status, image) =
            self.glance_request(region, token, "POST", "/v2/images", Some(&body))?;
        ensure!(
            status == 201,
            "creating image {name} in {region}: HTTP {status}: {image}"
        );
        let id = image["id"]
            .as_str()
            .context("Glance created an image without id")?
            .to_string();
        let base = self.glance_url(region).unwrap_or_default();
        let url = format!("{base}/v2/images/{id}/file");
        let what = format!("uploading image {name} ({id}) in {region}");
        if let Some(data) = opts.upload {
            self.http
                .send(
                    "PUT",
                    &url,
                    &[("X-Auth-Token", token)],
                    Some(("application/octet-stream", data.to_vec())),
                    http::TIMEOUT,
                )?
                .ok(&what)?;
        } else if let Some(path) = opts.upload_file {
            let size = std::fs::metadata(path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            // Glance hashes and stores as it reads: allow 10 MB/s on a loaded machine.
            let timeout = http::TIMEOUT + Duration::from_secs(size / (10 << 20));
            self.http
                .send_file("PUT", &url, &[("X-Auth-Token", token)], path, timeout)?
                .ok(&what)?;
        }
        Ok(id)
    }

    /// Creates an active raw image of `size` bytes of zeros in the token's project
    /// (e.g. 1 GiB for a copy benchmark), streamed from a cached sparse file, and checks
    /// Glance's hash. Returns its id and the file it came from.
    pub fn create_large_image(
        &self,
        region: &str,
        token: &str,
        name: &str,
        size: u64,
    ) -> Result<(String, DiskImage)> {
        let disk = large_disk_image(size)?;
        let id = self.create_image(region, token, name, &ImageOptions::with_disk(&disk))?;
        let image = self.image_of(region, token, &id)?;
        ensure!(
            image["os_hash_value"] == disk.sha512.as_str(),
            "Glance's hash of {name} differs from the file's: {image}"
        );
        Ok((id, disk))
    }

    /// `GET /v2/images/{id}`, which must answer 200.
    fn image_of(&self, region: &str, token: &str, id: &str) -> Result<Value> {
        let (status, image) =
            self.glance_request(region, token, "GET", &format!("/v2/images/{id}"), None)?;
        ensure!(
            status == 200,
            "GET image {id} in {region}: HTTP {status}: {image}"
        );
        Ok(image)
    }

    /// Finds or makes the [`SEEDED_IMAGE`] of `region` (an image of earlier runs is kept
    /// when active with the same data). Its first authenticated calls also warm the
    /// Glance, as [`DevCloud::warm`] does.
    pub(crate) fn seed_disk_image(&self, region: &str) -> Result<SeededImage> {
        let disk = small_disk_image()?;
        let (user, project) = SEEDED_OWNER;
        let token = self.user_token(user, project)?;
        let owner = self.seed.project(project).to_owned();
        let (status, found) = self.glance_request(
            region,
            &token,
            "GET",
            &format!("/v2/images?name={SEEDED_IMAGE}&owner={owner}"),
            None,
        )?;
        ensure!(
            status == 200,
            "warm-up GET /v2/images in {region}: HTTP {status}: {found}\n{}",
            self.log_tails(&crate::Service::glance(region))
        );
        let mut kept = None;
        for image in found["images"].as_array().into_iter().flatten() {
            let id = image["id"].as_str().unwrap_or_default();
            if kept.is_none()
                && image["status"] == "active"
                && image["os_hash_value"] == disk.sha512.as_str()
            {
                kept = Some(id.to_owned());
            } else {
                // Left over from an interrupted seeding, or older data.
                self.glance_request(region, &token, "DELETE", &format!("/v2/images/{id}"), None)?;
            }
        }
        let id = match kept {
            Some(id) => id,
            None => {
                let id = self.create_image(
                    region,
                    &token,
                    SEEDED_IMAGE,
                    &ImageOptions {
                        visibility: Some("private"),
                        properties: &[("os_distro", "glimpse"), ("hw_disk_bus", "virtio")],
                        ..ImageOptions::with_disk(&disk)
                    },
                )?;
                let image = self.image_of(region, &token, &id)?;
                ensure!(
                    image["status"] == "active" && image["os_hash_value"] == disk.sha512.as_str(),
                    "the seeded image in {region} is not active with the file's hash: {image}"
                );
                id
            }
        };
        Ok(SeededImage {
            id,
            name: SEEDED_IMAGE.into(),
            owner: project.into(),
            disk_format: disk.disk_format,
            size: disk.size,
            sha512: disk.sha512,
        })
    }
}
