//! Thin typed clients for the two OpenStack services Glimpse talks to. They know the OpenStack
//! wire formats and nothing of HTTP serving: no axum type appears here.

pub mod glance;
pub mod keystone;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// The id of the Glimpse request an OpenStack call is made for.
    static REQUEST_ID: Option<String>;
}

/// Runs `work` with every OpenStack call in it carrying `request_id` as
/// `X-OpenStack-Request-ID`, so that an operator can follow one click into Keystone's and
/// Glance's logs (they log it as the `global_request_id`).
pub async fn with_request_id<F: Future>(request_id: Option<String>, work: F) -> F::Output {
    REQUEST_ID.scope(request_id, work).await
}

/// `work`, carrying the current request's id: for a task spawned on the request's behalf
/// (a task does not inherit it).
pub fn carrying_request_id<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let id = REQUEST_ID.try_with(Clone::clone).ok().flatten();
    with_request_id(id, work)
}

/// The form OpenStack's request-id middleware accepts from a caller: `req-` and a UUID.
fn openstack_request_id() -> Option<String> {
    let id = REQUEST_ID.try_with(Clone::clone).ok().flatten()?;
    uuid::Uuid::parse_str(&id)
        .ok()
        .map(|u| format!("req-{}", u.hyphenated()))
}

/// A Keystone token. Its `Debug` is redacted so that it never reaches a log line.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The raw value, for the `X-Auth-Token` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// An endpoint URL as the catalog gives it, checked: http(s), and able to take a path.
pub(crate) fn endpoint_url(service: &Service, raw: &str) -> Result<url::Url, OpenStackError> {
    let bad = |detail: String| OpenStackError::BadEndpoint {
        service: service.clone(),
        detail,
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(format!("{raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(bad(format!("{raw:?} is not an http(s) URL")));
    }
    Ok(url)
}

/// `base` with `segments` appended, each escaped; `base` came from [`endpoint_url`].
pub(crate) fn with_segments<'a>(
    service: &Service,
    base: &url::Url,
    segments: impl IntoIterator<Item = &'a str>,
) -> Result<url::Url, OpenStackError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| OpenStackError::BadEndpoint {
            service: service.clone(),
            detail: format!("{base} cannot take a path"),
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Which OpenStack service an error came from, for messages a person understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Service {
    Keystone,
    Glance { region: String },
}

impl Service {
    /// The service's and region's names, as metrics label them.
    fn labels(&self) -> (&'static str, &str) {
        match self {
            Service::Keystone => ("keystone", ""),
            Service::Glance { region } => ("glance", region),
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Keystone => f.write_str("the identity service (Keystone)"),
            Service::Glance { region } => write!(f, "the image service (Glance) of {region}"),
        }
    }
}

/// What went wrong talking to OpenStack, classified by what a caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum OpenStackError {
    /// The service answered with an error status. `message` is the service's own text,
    /// cleaned of HTML and `<br />` debris.
    #[error("{service} answered {status}: {message}")]
    Status {
        service: Service,
        status: u16,
        message: String,
    },
    #[error("{service} cannot be reached")]
    Unavailable { service: Service },
    #[error("{service} did not answer in time")]
    Timeout { service: Service },
    /// The service answered something this client cannot read.
    #[error("{service} sent an answer Glimpse cannot read: {detail}")]
    Protocol { service: Service, detail: String },
    /// The service answered with a redirect. Glimpse never follows one: the token would go
    /// along to wherever it points (reqwest keeps `X-Auth-Token` across hosts).
    #[error("{service} answered with a redirect (HTTP {status}) to {location:?}")]
    Redirected {
        service: Service,
        status: u16,
        location: Option<String>,
    },
    /// The catalog (or the configuration) gives the service a URL that is not http(s).
    #[error("{service} has an unusable endpoint URL: {detail}")]
    BadEndpoint { service: Service, detail: String },
    /// Keystone took the credentials but the user's multi-factor rules ask for more: sign-in
    /// goes on with the receipt and the next factor.
    #[error("Keystone wants another authentication factor ({:?})", .0.missing)]
    MoreFactors(Box<keystone::Receipt>),
}

impl OpenStackError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's own text, for logs and for classifying its answer; never for a client.
    pub fn message(&self) -> &str {
        match self {
            Self::Status { message, .. } => message,
            _ => "",
        }
    }

    pub(crate) fn from_reqwest(service: Service, err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout { service }
        } else if err.is_connect() || err.is_request() {
            Self::Unavailable { service }
        } else if err.is_decode() {
            Self::Protocol {
                service,
                detail: err.to_string(),
            }
        } else {
            Self::Unavailable { service }
        }
    }

    /// Reads an error response; OpenStack services answer `{"message": …}` (Glance) or
    /// `{"error": {"message": …}}` (Keystone), or HTML when no JSON was asked for.
    async fn from_response(service: Service, resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or_else(|| v.get("error").and_then(|e| e.get("message")))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or(body);
        Self::Status {
            service,
            status,
            message: clean_message(&message),
        }
    }
}

/// Strips the HTML and `<br />` debris that OpenStack services put in their messages.
pub fn clean_message(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    words.join(" ").trim_end_matches(':').trim().to_owned()
}

/// Settings for the one HTTP client that every OpenStack call shares.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Extra CA certificate (PEM) to trust, from clouds.yaml `cacert`.
    pub ca_pem: Option<Vec<u8>>,
    /// `verify: false` in clouds.yaml: accept any certificate (development clouds only).
    pub insecure: bool,
    /// A client certificate and its key (PEM), from clouds.yaml's `cert` and `key`.
    pub identity_pem: Option<Vec<u8>>,
}

/// Builds the process-wide pooled client: rustls, timeouts on every call, no redirects.
pub fn http_client(settings: &HttpSettings) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("glimpse/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the user's token to wherever it points: never follow one.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        // Past a burst, keep a few connections per service, not one per call that was in
        // flight: each idle connection holds its buffers.
        .pool_max_idle_per_host(32)
        .danger_accept_invalid_certs(settings.insecure);
    // The host's CA store (a corporate CA installed there) is trusted besides the bundled
    // roots: reqwest's `rustls-tls-native-roots` feature.
    if let Some(pem) = &settings.ca_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(pem) = &settings.identity_pem {
        builder = builder.identity(reqwest::Identity::from_pem(pem)?);
    }
    Ok(builder.build()?)
}

/// Sends a request and turns transport failures, redirects and error statuses into
/// `OpenStackError`.
async fn send(
    service: &Service,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, OpenStackError> {
    send_as_is(
        service,
        request.header(reqwest::header::ACCEPT, "application/json"),
    )
    .await
}

/// [`send`] without asking for JSON: for image data.
async fn send_as_is(
    service: &Service,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, OpenStackError> {
    let resp = send_any(service, request).await?;
    if resp.status().is_success() {
        Ok(resp)
    } else {
        Err(OpenStackError::from_response(service.clone(), resp).await)
    }
}

/// Sends a request; transport failures and redirects are errors, any other answer is the
/// caller's to read.
async fn send_any(
    service: &Service,
    mut request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, OpenStackError> {
    if let Some(id) = openstack_request_id() {
        request = request.header("X-OpenStack-Request-ID", id);
    }
    let (client, built) = request.build_split();
    let built = built.map_err(|e| OpenStackError::from_reqwest(service.clone(), e))?;
    let reads = built.method() == reqwest::Method::GET;
    let started = Instant::now();
    let sent = client.execute(built).await;
    let (name, region) = service.labels();
    let outcome = match &sent {
        Ok(r) if r.status().is_success() => "ok",
        Ok(r) if r.status().is_redirection() => "redirect",
        Ok(r) if r.status().is_client_error() => "client_error",
        Ok(_) => "server_error",
        Err(e) if e.is_timeout() => "timeout",
        Err(_) => "unavailable",
    };
    crate::metrics::upstream_call(name, region, outcome, started.elapsed());
    let resp = sent.map_err(|e| OpenStackError::from_reqwest(service.clone(), e))?;
    // The service's own id for this call, which its logs carry: what an operator greps for.
    let answer_id = resp
        .headers()
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let status = resp.status().as_u16();
    if reads && resp.status().is_success() {
        tracing::debug!(
            service = name,
            region,
            status,
            openstack_request_id = answer_id,
            "OpenStack answered"
        );
    } else {
        // A change, or a refusal: worth a line an operator can follow into OpenStack's logs.
        tracing::info!(
            service = name,
            region,
            status,
            openstack_request_id = answer_id,
            "OpenStack answered"
        );
    }
    if resp.status().is_redirection() {
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Err(OpenStackError::Redirected {
            service: service.clone(),
            status: resp.status().as_u16(),
            location,
        })
    } else {
        Ok(resp)
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    service: &Service,
    resp: reqwest::Response,
) -> Result<T, OpenStackError> {
    resp.json()
        .await
        .map_err(|e| OpenStackError::from_reqwest(service.clone(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_glance_messages() {
        assert_eq!(
            clean_message("Member x is duplicated for image y<br /><br />\n\n\n"),
            "Member x is duplicated for image y"
        );
        assert_eq!(
            clean_message(
                "<html><body><h1>403 Forbidden</h1>Not allowed.<br /><br /></body></html>"
            ),
            "403 Forbidden Not allowed."
        );
        assert_eq!(
            clean_message("limit exceeded. Attempted: 129, Maximum: 128:<br /><br />\n"),
            "limit exceeded. Attempted: 129, Maximum: 128"
        );
    }

    #[test]
    fn token_debug_is_redacted() {
        assert!(!format!("{:?}", Token::new("gAAAAsecret".into())).contains("secret"));
    }
}
