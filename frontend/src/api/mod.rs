//! The typed client of Glimpse's REST API (`/api/v1`, same origin).
//!
//! Every call returns `Result<T, ApiError>` carrying the server's typed error code and the
//! parameters beside it, which the UI words in the user's language (`msg::error`). The CSRF token of the latest session answer is kept here and
//! sent on every unsafe method; a 401 on anything but sign-in calls the hook set with
//! [`on_unauthenticated`] so that the app can go back to the sign-in page.

use std::cell::RefCell;

use json::{
    AccessRow, AddMembers, AddMembersResult, AuditFailure, AuditMessage, ErrorBody, ErrorCode,
    ErrorResponse, EventList, ImageDetail, ImageList, ImageUpdate, Member, MemberDecision,
    MemberList, MemberStatus, MemberStatusFilter, OwnerFilter, Passcode, Session, SignIn,
    SwitchProject,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ReadableStreamDefaultReader, ReadableStreamReadResult, Request, RequestCredentials,
    RequestInit, Response,
};

/// What kind of failure a call met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The server answered with this error code.
    Api(ErrorCode),
    /// The server could not be reached.
    Network,
    /// The answer was not what the API sends (a proxy's error page, say).
    Unreadable,
}

/// What went wrong with a call. The UI words it by its code (`msg::error`); `message` is the
/// server's English sentence, shown only for a code this UI does not know.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status; 0 when the server could not be reached.
    pub status: u16,
    pub fault: Fault,
    pub message: String,
    pub field: Option<String>,
    pub limit: Option<u64>,
    pub retry_after: Option<u64>,
    /// The sign-in methods still wanted (`mfa_required`).
    pub methods: Vec<String>,
}

impl ApiError {
    /// The one constructor: the server's error body, or None when there was no readable one
    /// (status 0: the server could not be reached).
    pub fn new(status: u16, body: Option<ErrorBody>) -> Self {
        let fault = match (&body, status) {
            (Some(b), _) => Fault::Api(b.code),
            (None, 0) => Fault::Network,
            (None, _) => Fault::Unreadable,
        };
        let body = body.unwrap_or_else(|| ErrorBody::new(ErrorCode::Unknown, ""));
        Self {
            status,
            fault,
            message: body.message,
            field: body.field,
            limit: body.limit,
            retry_after: body.retry_after,
            methods: body.methods.unwrap_or_default(),
        }
    }

    /// An error the API states with `code` (and no message of its own).
    pub fn code(status: u16, code: ErrorCode) -> Self {
        Self::new(status, Some(ErrorBody::new(code, "")))
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.fault == Fault::Api(code)
    }

    fn network() -> Self {
        Self::new(0, None)
    }

    fn unreadable(status: u16) -> Self {
        Self::new(status, None)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Told of a 401: true when the whole session ended, false when only its active account did.
type SessionHook = dyn Fn(bool);

thread_local! {
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
    static ON_UNAUTHENTICATED: RefCell<Option<Box<SessionHook>>> = const { RefCell::new(None) };
}

/// Sets what to do when the server says the session is gone (401), or that only its active
/// account left it (`account_ended`: the session goes on with its other accounts).
pub fn on_unauthenticated(hook: impl Fn(bool) + 'static) {
    ON_UNAUTHENTICATED.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
}

fn remember(session: &Session) {
    CSRF.with(|c| *c.borrow_mut() = Some(session.csrf_token.clone()));
}

fn forget() {
    CSRF.with(|c| *c.borrow_mut() = None);
}

// ------------------------------------------------------------------------------- transport

/// Where the API is: the one place that knows its base path.
const BASE: &str = "/api/v1";

/// The address of an API path (with its query), for a call or a download link.
pub fn url(path: &str) -> String {
    crate::router::url(BASE) + path
}

enum Body {
    None,
    Json(String),
}

/// Sends a request (JSON in, `accept` out) and returns the response, whatever its status.
async fn fetch(method: &str, path: &str, body: Body, accept: &str) -> ApiResult<Response> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let has_body = matches!(body, Body::Json(_));
    if let Body::Json(text) = body {
        init.set_body(&JsValue::from_str(&text));
    }
    let url = url(path);
    let request = Request::new_with_str_and_init(&url, &init).map_err(|_| ApiError::network())?;
    let headers = request.headers();
    let _ = headers.set("Accept", accept);
    if has_body {
        let _ = headers.set("Content-Type", "application/json");
    }
    if method != "GET"
        && let Some(token) = CSRF.with(|c| c.borrow().clone())
    {
        let _ = headers.set(json::CSRF_HEADER, &token);
    }
    let window = web_sys::window().ok_or_else(ApiError::network)?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::network())?
        .dyn_into()
        .map_err(|_| ApiError::network())
}

async fn text_of(response: &Response) -> String {
    match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The error of a non-2xx answer; a 401 calls the unauthenticated hook when asked to.
fn error_of(status: u16, text: &str, hook_on_401: bool) -> ApiError {
    let body = serde_json::from_str::<ErrorResponse>(text)
        .ok()
        .map(|a| a.error);
    let error = ApiError::new(status.max(1), body);
    if status == 401 && hook_on_401 {
        let whole_session = !error.is(ErrorCode::AccountEnded);
        if whole_session {
            forget();
        }
        ON_UNAUTHENTICATED.with(|h| {
            if let Some(hook) = h.borrow().as_ref() {
                hook(whole_session);
            }
        });
    }
    error
}

async fn send(method: &str, path: &str, body: Body, hook_on_401: bool) -> ApiResult<(u16, String)> {
    let response = fetch(method, path, body, "application/json").await?;
    let status = response.status();
    let text = text_of(&response).await;
    if (200..300).contains(&status) {
        return Ok((status, text));
    }
    Err(error_of(status, &text, hook_on_401))
}

async fn call<T: DeserializeOwned>(method: &str, path: &str, body: Body) -> ApiResult<T> {
    let (status, text) = send(method, path, body, true).await?;
    serde_json::from_str(&text).map_err(|_| ApiError::unreadable(status))
}

fn json_body(value: &impl Serialize) -> Body {
    Body::Json(serde_json::to_string(value).unwrap_or_default())
}

/// A query string of the non-empty pairs, encoded: `a=1&b=x%20y`.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = String::new();
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(k);
        q.push('=');
        q.push_str(&enc(v));
    }
    q
}

/// Percent-encodes all but the unreserved characters, as `encodeURIComponent` does (in Rust,
/// so that the query strings are unit-tested natively).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

fn region_query(region: &str) -> String {
    format!("region={}", enc(region))
}

// --------------------------------------------------------------------------------- session

/// `GET /api/v1/session`: the current session, or 401 when signed out (no hook call).
pub async fn get_session() -> ApiResult<Session> {
    let (status, text) = send("GET", "/session", Body::None, false).await?;
    let session: Session = serde_json::from_str(&text).map_err(|_| ApiError::unreadable(status))?;
    remember(&session);
    Ok(session)
}

/// What a sign-in sends: the credentials, or the passcode of a sign-in the server answered
/// with `mfa_required`.
pub enum SignInStep {
    Credentials(SignIn),
    Passcode(Passcode),
}

/// `POST /api/v1/session` (`POST /api/v1/session/accounts` when `adding` an account to the
/// session), or `POST /api/v1/session/totp` for the passcode.
pub async fn sign_in(step: &SignInStep, adding: bool) -> ApiResult<Session> {
    let (path, body) = match step {
        SignInStep::Credentials(c) if adding => ("/session/accounts", json_body(c)),
        SignInStep::Credentials(c) => ("/session", json_body(c)),
        SignInStep::Passcode(p) => ("/session/totp", json_body(p)),
    };
    let (status, text) = send("POST", path, body, false).await?;
    let session: Session = serde_json::from_str(&text).map_err(|_| ApiError::unreadable(status))?;
    remember(&session);
    Ok(session)
}

/// `GET /api/v1/config`: the sign-in page's settings (`json::PublicConfig`), readable before
/// signing in: its default domain, and whether to show a domain field. Read as a
/// `serde_json::Value` rather than the typed struct: only two fields are used, and another
/// derived deserializer costs the wasm more than the budget has room for.
pub async fn sign_in_config() -> ApiResult<(String, bool)> {
    let (status, text) = send("GET", "/config", Body::None, false).await?;
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| ApiError::unreadable(status))?;
    let domain = config["default_domain"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((domain, config["show_domain"].as_bool().unwrap_or(true)))
}

pub async fn sign_out() -> ApiResult<()> {
    let result = send("DELETE", "/session", Body::None, false).await;
    forget();
    result.map(|_| ())
}

/// `PUT /api/v1/session/project`: `project_id` as the account `user_id`.
pub async fn switch_project(user_id: &str, project_id: &str) -> ApiResult<Session> {
    let body = json_body(&SwitchProject {
        user_id: Some(user_id.to_owned()),
        project_id: project_id.to_owned(),
    });
    let session: Session = call("PUT", "/session/project", body).await?;
    remember(&session);
    Ok(session)
}

/// `DELETE /api/v1/session/accounts/{user_id}`: the session without that account, or None
/// when it was the last one (signed out).
pub async fn remove_account(user_id: &str) -> ApiResult<Option<Session>> {
    let (status, text) = send(
        "DELETE",
        &format!("/session/accounts/{}", enc(user_id)),
        Body::None,
        true,
    )
    .await?;
    if status == 204 {
        forget();
        return Ok(None);
    }
    let session: Session = serde_json::from_str(&text).map_err(|_| ApiError::unreadable(status))?;
    remember(&session);
    Ok(Some(session))
}

// ---------------------------------------------------------------------------------- images

fn owner_str(owner: OwnerFilter) -> &'static str {
    match owner {
        OwnerFilter::Me => "me",
        OwnerFilter::Others => "others",
        OwnerFilter::All => "all",
    }
}

fn member_status_str(status: MemberStatusFilter) -> &'static str {
    match status {
        MemberStatusFilter::Pending => "pending",
        MemberStatusFilter::Accepted => "accepted",
        MemberStatusFilter::Rejected => "rejected",
        MemberStatusFilter::All => "all",
    }
}

/// `GET /api/v1/images`; with `all_projects`, the offers to every project of every account.
pub async fn list_images(
    region: &str,
    owner: OwnerFilter,
    member_status: Option<MemberStatusFilter>,
    all_projects: bool,
) -> ApiResult<ImageList> {
    let mut path = format!(
        "/images?{}&owner={}",
        region_query(region),
        owner_str(owner)
    );
    if let Some(status) = member_status {
        path.push_str("&member_status=");
        path.push_str(member_status_str(status));
    }
    if all_projects {
        path.push_str("&all_projects=true");
    }
    call("GET", &path, Body::None).await
}

pub async fn get_image(region: &str, id: &str) -> ApiResult<ImageDetail> {
    let path = format!("/images/{}?{}", enc(id), region_query(region));
    call::<FlatDetail>("GET", &path, Body::None)
        .await
        .map(Into::into)
}

pub async fn update_image(region: &str, id: &str, update: &ImageUpdate) -> ApiResult<ImageDetail> {
    let path = format!("/images/{}?{}", enc(id), region_query(region));
    call::<FlatDetail>("PATCH", &path, json_body(update))
        .await
        .map(Into::into)
}

/// `ImageDetail` as the wire has it, every field at one level. Read so rather than through
/// the shared type's `#[serde(flatten)]`, which buffers the whole answer in serde's generic
/// form first and so weighs ~3 KB (gzip) of wasm for nothing (the size budget).
#[derive(Deserialize)]
struct FlatDetail {
    id: String,
    name: Option<String>,
    status: String,
    visibility: json::Visibility,
    owner: Option<String>,
    #[serde(default)]
    owner_name: Option<String>,
    protected: bool,
    size: Option<u64>,
    disk_format: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    member_status: Option<MemberStatus>,
    #[serde(default)]
    member_created_at: Option<String>,
    #[serde(default)]
    member_updated_at: Option<String>,
    #[serde(default)]
    copied_from: Option<String>,
    container_format: Option<String>,
    checksum: Option<String>,
    os_hash_algo: Option<String>,
    os_hash_value: Option<String>,
    virtual_size: Option<u64>,
    min_disk: u64,
    min_ram: u64,
    os_hidden: bool,
    tags: Vec<String>,
    properties: std::collections::BTreeMap<String, serde_json::Value>,
}

impl From<FlatDetail> for ImageDetail {
    fn from(f: FlatDetail) -> Self {
        ImageDetail {
            image: json::Image {
                id: f.id,
                name: f.name,
                status: f.status,
                visibility: f.visibility,
                owner: f.owner,
                owner_name: f.owner_name,
                owner_name_seen: None,
                protected: f.protected,
                size: f.size,
                disk_format: f.disk_format,
                created_at: f.created_at,
                updated_at: f.updated_at,
                member_status: f.member_status,
                member_created_at: f.member_created_at,
                member_updated_at: f.member_updated_at,
                copied_from: f.copied_from,
                offered_to: None,
            },
            container_format: f.container_format,
            checksum: f.checksum,
            os_hash_algo: f.os_hash_algo,
            os_hash_value: f.os_hash_value,
            virtual_size: f.virtual_size,
            min_disk: f.min_disk,
            min_ram: f.min_ram,
            os_hidden: f.os_hidden,
            tags: f.tags,
            properties: f.properties,
        }
    }
}

// --------------------------------------------------------------------------------- members

pub async fn list_members(region: &str, image_id: &str) -> ApiResult<MemberList> {
    let path = format!("/images/{}/members?{}", enc(image_id), region_query(region));
    call("GET", &path, Body::None).await
}

pub async fn add_member(region: &str, image_id: &str, member_id: &str) -> ApiResult<Member> {
    let path = format!("/images/{}/members?{}", enc(image_id), region_query(region));
    let body = json_body(&AddMembers::One {
        member_id: member_id.to_owned(),
    });
    call("POST", &path, body).await
}

pub async fn add_members(
    region: &str,
    image_id: &str,
    member_ids: Vec<String>,
) -> ApiResult<AddMembersResult> {
    let path = format!("/images/{}/members?{}", enc(image_id), region_query(region));
    call("POST", &path, json_body(&AddMembers::Many { member_ids })).await
}

pub async fn remove_member(region: &str, image_id: &str, member_id: &str) -> ApiResult<()> {
    let path = format!(
        "/images/{}/members/{}?{}",
        enc(image_id),
        enc(member_id),
        region_query(region)
    );
    send("DELETE", &path, Body::None, true).await.map(|_| ())
}

/// The current project's decision on an image shared with it.
pub async fn decide(
    region: &str,
    image_id: &str,
    member_id: &str,
    status: MemberStatus,
) -> ApiResult<Member> {
    let path = format!(
        "/images/{}/members/{}?{}",
        enc(image_id),
        enc(member_id),
        region_query(region)
    );
    call("PUT", &path, json_body(&MemberDecision { status })).await
}

mod audit;
mod copies;

pub use audit::*;
pub use copies::*;

#[cfg(test)]
mod tests {
    use json::{AccessRow, AuditFailure, AuditMessage, ErrorBody, MemberStatus, Visibility};

    use super::audit::StreamLine;
    use super::{FlatDetail, query};

    /// The flat reading of an image's detail gives back what the server sent (a field added
    /// to the shared types and not here fails to compile in `From`, or this).
    #[test]
    fn image_details_read_as_the_server_writes_them() {
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("os_distro".to_owned(), serde_json::json!("ubuntu"));
        let detail = json::ImageDetail {
            image: json::Image {
                id: "i".into(),
                name: Some("n".into()),
                status: "active".into(),
                visibility: Visibility::Shared,
                owner: Some("o".into()),
                owner_name: Some("p".into()),
                owner_name_seen: None,
                protected: true,
                size: Some(10),
                disk_format: Some("qcow2".into()),
                created_at: "2025-01-01T00:00:00Z".into(),
                updated_at: "2025-01-02T00:00:00Z".into(),
                member_status: Some(MemberStatus::Pending),
                member_created_at: Some("2025-01-03T00:00:00Z".into()),
                member_updated_at: None,
                copied_from: Some("RegionTwo/x".into()),
                offered_to: None,
            },
            container_format: Some("bare".into()),
            checksum: None,
            os_hash_algo: Some("sha512".into()),
            os_hash_value: Some("ab".into()),
            virtual_size: None,
            min_disk: 1,
            min_ram: 2,
            os_hidden: false,
            tags: vec!["t".into()],
            properties,
        };
        let wire = serde_json::to_string(&detail).unwrap();
        let read: FlatDetail = serde_json::from_str(&wire).unwrap();
        assert_eq!(json::ImageDetail::from(read), detail);
    }

    #[test]
    fn query_strings_leave_out_empty_values_and_encode_the_rest() {
        assert_eq!(
            query(&[("a", "1"), ("b", ""), ("c", "x y/ż&")]),
            "a=1&c=x%20y%2F%C5%BC%26"
        );
        assert_eq!(query(&[("a", "")]), "");
    }

    /// The flat reading of the stream agrees with the shared type's own serialisation.
    #[test]
    fn stream_lines_read_as_the_server_writes_them() {
        let row = AccessRow {
            region: "RegionOne".into(),
            image_id: "i".into(),
            image_name: Some("n".into()),
            owner_id: "o".into(),
            owner_name: None,
            owner_name_seen: None,
            member_id: "m".into(),
            member_name: Some("p".into()),
            member_name_seen: None,
            status: MemberStatus::Accepted,
            created_at: "2025-01-01T00:00:00Z".into(),
            updated_at: "2025-01-02T00:00:00Z".into(),
            visibility: Visibility::Shared,
            protected: false,
            member_known: true,
            seen_by: None,
        };
        let messages = [
            AuditMessage::Progress { done: 2, total: 5 },
            AuditMessage::Rows { rows: vec![row] },
            AuditMessage::Rows { rows: vec![] },
            AuditMessage::Failure {
                failure: AuditFailure {
                    region: Some("RegionTwo".into()),
                    project_id: None,
                    project_name: None,
                    seen_by: None,
                    error: ErrorBody::new(json::ErrorCode::UpstreamUnavailable, "down"),
                },
            },
            AuditMessage::Done {
                rows: 1,
                failures: 1,
            },
        ];
        for m in messages {
            let line = serde_json::to_string(&m).unwrap();
            let read: StreamLine = serde_json::from_str(&line).unwrap();
            assert_eq!(read.message(), Some(m), "{line}");
        }
        let unknown: StreamLine = serde_json::from_str(r#"{"type":"later","x":1}"#).unwrap();
        assert_eq!(unknown.message(), None);
    }
}
