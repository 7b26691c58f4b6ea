//! A small blocking HTTP client for Keystone and Glance on 127.0.0.1.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use ureq::http;

/// Default time limit of one request.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);

/// A response, read whole.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON; a non-JSON body becomes a JSON string, an empty one `null`.
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }

    /// Short text for error messages.
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut s: String = text.chars().take(600).collect();
        if s.len() < text.len() {
            s.push_str(" ...");
        }
        s
    }

    /// Fails unless the status is 2xx.
    pub fn ok(self, what: &str) -> Result<Reply> {
        if !(200..300).contains(&self.status) {
            bail!("{what}: HTTP {}: {}", self.status, self.excerpt());
        }
        Ok(self)
    }
}

#[derive(Clone)]
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    pub fn new() -> Http {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Everything is on 127.0.0.1: never through a proxy from the environment.
            .proxy(None)
            // The services answer `Connection: close`: no keep-alive to get wrong.
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(TIMEOUT))
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// One request. `body` is sent as is, with `content_type` if given.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
        timeout: Duration,
    ) -> Result<Reply> {
        let mut req = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let result = match body {
            Some((content_type, bytes)) => {
                let req = req.header("Content-Type", content_type).body(bytes)?;
                self.run(req, timeout)
            }
            None => self.run(req.body(())?, timeout),
        };
        result.with_context(|| format!("{method} {url}"))
    }

    /// Uploads a file as the body (streamed, with its length), e.g. image data.
    pub fn send_file(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        path: &std::path::Path,
        timeout: Duration,
    ) -> Result<Reply> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut req = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .header("Content-Type", "application/octet-stream")
            .body(file)?;
        self.run(req, timeout)
            .with_context(|| format!("{method} {url} (from {})", path.display()))
    }

    fn run<S: ureq::AsSendBody>(&self, req: http::Request<S>, timeout: Duration) -> Result<Reply> {
        let req = self
            .agent
            .configure_request(req)
            .timeout_global(Some(timeout))
            .build();
        let mut resp = self.agent.run(req)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// JSON in, [`Reply`] out; `token` goes in `X-Auth-Token`.
    pub fn json(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply> {
        let mut headers = vec![("Accept", "application/json")];
        if let Some(t) = token {
            headers.push(("X-Auth-Token", t));
        }
        let body = body
            .map(|b| Ok::<_, serde_json::Error>(("application/json", serde_json::to_vec(b)?)))
            .transpose()?;
        self.send(method, url, &headers, body, TIMEOUT)
    }

    /// Keystone password authentication scoped to a project of the Default domain;
    /// returns the token (`X-Subject-Token`).
    pub fn token(
        &self,
        keystone_v3: &str,
        user: &str,
        password: &str,
        project: &str,
    ) -> Result<String> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}
        }});
        let reply = self
            .json(
                "POST",
                &format!("{keystone_v3}/auth/tokens"),
                None,
                Some(&body),
            )?
            .ok(&format!("token for {user} on {project}"))?;
        let token = reply
            .headers
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .context("Keystone answered without X-Subject-Token")?;
        Ok(token.to_string())
    }
}
