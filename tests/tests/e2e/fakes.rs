//! Local HTTP servers on 127.0.0.1 for what a real Glance cannot do on demand: a counting
//! proxy in front of the real one (it counts and delays calls, and can hold changes as a
//! crash would find them), a Glance that answers with a redirect, a "trap" that records
//! whatever reaches it, and a Glance that answers every call with an error of its own words.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinHandle;

/// A server on a free port of 127.0.0.1, stopped on drop.
pub struct Server {
    pub url: String,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(router: Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Server { url, task }
}

// ------------------------------------------------------------------------- counting proxy

/// What the proxy saw and how it behaves.
#[derive(Default)]
pub struct ProxyState {
    upstream: String,
    /// Requests started.
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Added before forwarding each call, and each change.
    delay: Mutex<Duration>,
    change_delay: Mutex<Duration>,
    /// Held changes made in Glance (their answer then held).
    made_unanswered: AtomicUsize,
    /// Changes (POST, PUT, PATCH, DELETE) seen.
    changes: AtomicUsize,
    /// After this many changes, hold the rest: alternately made in Glance but never answered,
    /// and never made (as a crash finds calls in flight).
    hold_after: Mutex<Option<usize>>,
    /// The `X-OpenStack-Request-ID` of each call, as sent (empty when absent).
    request_ids: Mutex<Vec<String>>,
    /// Each call's method and path, as `GET /v2/images`.
    seen: Mutex<Vec<String>>,
}

/// A proxy to a real Glance.
pub struct Proxy {
    pub server: Server,
    state: Arc<ProxyState>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            ..ProxyState::default()
        });
        let router = Router::new().fallback(forward).with_state(state.clone());
        Proxy {
            server: serve(router).await,
            state,
        }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Calls started so far.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// Changes seen so far.
    pub fn changes(&self) -> usize {
        self.state.changes.load(Ordering::SeqCst)
    }

    /// The most calls that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Held changes that Glance has made (and whose answer the proxy keeps).
    pub fn made_unanswered(&self) -> usize {
        self.state.made_unanswered.load(Ordering::SeqCst)
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// A delay for changes only (reads pass at once).
    pub fn set_change_delay(&self, delay: Duration) {
        *self.state.change_delay.lock().unwrap() = delay;
    }

    /// The `X-OpenStack-Request-ID` header of every call so far, in order.
    pub fn request_ids(&self) -> Vec<String> {
        self.state.request_ids.lock().unwrap().clone()
    }

    /// How many calls so far were exactly `call`, a method and a path (`GET /v2/images/…`).
    pub fn count(&self, call: &str) -> usize {
        let seen = self.state.seen.lock().unwrap();
        seen.iter().filter(|c| *c == call).count()
    }

    pub fn hold_changes_after(&self, n: Option<usize>) {
        *self.state.hold_after.lock().unwrap() = n;
    }
}

/// Counts one call in flight while it lives.
struct InFlight<'a>(&'a ProxyState);

impl<'a> InFlight<'a> {
    fn new(state: &'a ProxyState) -> Self {
        state.calls.fetch_add(1, Ordering::SeqCst);
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let _counted = InFlight::new(&state);
    let request_id = request
        .headers()
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state.request_ids.lock().unwrap().push(request_id);
    let call = format!("{} {}", request.method(), request.uri().path());
    state.seen.lock().unwrap().push(call);
    let is_change = !matches!(request.method(), &Method::GET | &Method::HEAD);
    let mut delay = *state.delay.lock().unwrap();
    if is_change {
        delay += *state.change_delay.lock().unwrap();
    }
    tokio::time::sleep(delay).await;
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let hold = if is_change {
        let n = state.changes.fetch_add(1, Ordering::SeqCst);
        state
            .hold_after
            .lock()
            .unwrap()
            .and_then(|after| n.checked_sub(after))
    } else {
        None
    };
    if hold.is_some_and(|k| k % 2 == 1) {
        return std::future::pending().await; // never made, never answered
    }
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut upstream =
        reqwest::Client::new().request(parts.method.clone(), format!("{}{path}", state.upstream));
    for (name, value) in &parts.headers {
        if name != header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.body(body).send().await {
        Ok(answer) => answer,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    if hold.is_some() {
        state.made_unanswered.fetch_add(1, Ordering::SeqCst);
        return std::future::pending().await; // made, never answered
    }
    let status = answer.status();
    let headers: HeaderMap = answer
        .headers()
        .iter()
        // Keystone's too, so that the proxy can stand in front of it.
        .filter(|(name, _)| {
            *name == header::CONTENT_TYPE
                || matches!(
                    name.as_str(),
                    "x-subject-token" | "openstack-auth-receipt" | "x-openstack-request-id"
                )
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let bytes = answer.bytes().await.unwrap_or_default();
    (status, headers, Body::from(bytes)).into_response()
}

// ---------------------------------------------------------------------- redirect and trap

/// Records what reaches it, and whether a token came along.
#[derive(Default)]
pub struct TrapState {
    pub requests: AtomicUsize,
    pub tokens: AtomicUsize,
}

pub async fn trap() -> (Server, Arc<TrapState>) {
    let state = Arc::new(TrapState::default());
    let router = Router::new()
        .fallback(
            |State(state): State<Arc<TrapState>>, headers: HeaderMap| async move {
                state.requests.fetch_add(1, Ordering::SeqCst);
                if headers.contains_key("x-auth-token") {
                    state.tokens.fetch_add(1, Ordering::SeqCst);
                }
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"images": []}"#,
                )
            },
        )
        .with_state(state.clone());
    (serve(router).await, state)
}

/// A "Glance" that redirects every call to the same path under `to`.
pub async fn redirector(to: &str) -> Server {
    let to = to.to_owned();
    let router = Router::new().fallback(move |request: Request| {
        let to = to.clone();
        async move {
            let path = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            (
                StatusCode::FOUND,
                [(header::LOCATION, format!("{to}{path}"))],
            )
        }
    });
    serve(router).await
}

// ------------------------------------------------------------------------- hostile Glance

/// Words no client of Glimpse may ever read.
pub const GLANCE_OWN_WORDS: &str = "GLANCE-OWN-WORDS";

/// A "Glance" that answers every call with `status` and a message in its own words, HTML
/// debris included.
pub struct Hostile {
    pub server: Server,
    status: Arc<AtomicU16>,
    pub calls: Arc<AtomicBool>,
}

impl Hostile {
    pub async fn start() -> Hostile {
        let status = Arc::new(AtomicU16::new(400));
        let calls = Arc::new(AtomicBool::new(false));
        let (s, c) = (status.clone(), calls.clone());
        let router = Router::new().fallback(move |_body: Bytes| {
            let (status, calls) = (s.clone(), c.clone());
            async move {
                calls.store(true, Ordering::SeqCst);
                let status = StatusCode::from_u16(status.load(Ordering::SeqCst))
                    .unwrap_or(StatusCode::BAD_REQUEST);
                let message = format!(
                    "<html><body><h1>{status}</h1>{GLANCE_OWN_WORDS}: Traceback (most recent call last): File \"/usr/lib/python3/glance/api/v2/images.py\"<br /><br /></body></html>"
                );
                (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    serde_json::json!({ "message": message }).to_string(),
                )
            }
        });
        Hostile {
            server: serve(router).await,
            status,
            calls,
        }
    }

    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

// ------------------------------------------------------------------ slow and failing data

/// How a [`SlowData`] proxy sends image data.
struct SlowDataState {
    upstream: String,
    /// Bytes per second of `GET …/file` answers.
    rate: u64,
    /// Drop the connection once this many bytes are sent (as a Glance failing mid-way).
    cut_after: Option<u64>,
    /// Refuse uploaded data (`PUT /v2/images/{id}/file`) with a 413 and these words, as a
    /// Glance over its storage quota or its `image_size_cap` does.
    refuse_uploads: Option<&'static str>,
}

/// A proxy to a real Glance that passes every call on, but sends image data
/// (`GET /v2/images/{id}/file`) slowly, and can cut it mid-way: a real Glance does neither
/// on demand.
pub struct SlowData {
    pub server: Server,
}

impl SlowData {
    pub async fn start(upstream: &str, rate: u64, cut_after: Option<u64>) -> SlowData {
        Self::serve(SlowDataState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            rate: rate.max(1),
            cut_after,
            refuse_uploads: None,
        })
        .await
    }

    /// Passes everything on at full speed but answers uploads 413 with `words` (Glance's
    /// own): the limits of the dev cloud's Glances must let the 1 GiB benchmark through, so
    /// a real one cannot refuse a small image on demand.
    pub async fn refusing_uploads(upstream: &str, words: &'static str) -> SlowData {
        Self::serve(SlowDataState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            rate: u64::MAX,
            cut_after: None,
            refuse_uploads: Some(words),
        })
        .await
    }

    async fn serve(state: SlowDataState) -> SlowData {
        let state = Arc::new(state);
        let router = Router::new().fallback(slow_data).with_state(state);
        SlowData {
            server: serve(router).await,
        }
    }
}

async fn slow_data(State(state): State<Arc<SlowDataState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let is_data = parts.method == Method::GET && parts.uri.path().ends_with("/file");
    if let Some(words) = state.refuse_uploads
        && parts.method == Method::PUT
        && parts.uri.path().ends_with("/file")
    {
        // As webob words Glance's `HTTPRequestEntityTooLarge`.
        let body = format!("413 Request Entity Too Large\n\n{words}\n\n   ");
        return (StatusCode::PAYLOAD_TOO_LARGE, body).into_response();
    }
    let mut upstream =
        reqwest::Client::new().request(parts.method.clone(), format!("{}{path}", state.upstream));
    for (name, value) in &parts.headers {
        if name != header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.body(body).send().await {
        Ok(answer) => answer,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = answer.status();
    let keep = |name: &header::HeaderName| {
        *name == header::CONTENT_TYPE || (is_data && *name == header::CONTENT_LENGTH)
    };
    let headers: HeaderMap = answer
        .headers()
        .iter()
        .filter(|(name, _)| keep(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    if !is_data || !status.is_success() {
        let bytes = answer.bytes().await.unwrap_or_default();
        return (status, headers, Body::from(bytes)).into_response();
    }
    let chunks = answer.bytes_stream();
    let sent = 0u64;
    let data = futures::stream::unfold(
        (chunks, sent, state),
        |(mut chunks, sent, state)| async move {
            use futures::StreamExt;
            let chunk = match chunks.next().await? {
                Ok(chunk) => chunk,
                Err(e) => return Some((Err(std::io::Error::other(e)), (chunks, u64::MAX, state))),
            };
            if sent == u64::MAX
                || state
                    .cut_after
                    .is_some_and(|cut| sent + chunk.len() as u64 > cut)
            {
                return Some((
                    Err(std::io::Error::other("cut mid-way")),
                    (chunks, u64::MAX, state),
                ));
            }
            let wait = Duration::from_secs_f64(chunk.len() as f64 / state.rate as f64);
            tokio::time::sleep(wait).await;
            let sent = sent + chunk.len() as u64;
            Some((Ok::<Bytes, std::io::Error>(chunk), (chunks, sent, state)))
        },
    );
    (status, headers, Body::from_stream(data)).into_response()
}
