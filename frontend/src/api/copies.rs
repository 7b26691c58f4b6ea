//! Copies to another region: start one, follow its NDJSON progress, cancel it.

use super::audit::ndjson;
use super::*;

/// A copy as the UI reads it: only what it shows, picked from the JSON (a serde type of its
/// own would weigh a few KB of wasm that the size budget has no room for).
#[derive(Clone, Default)]
pub struct CopyView {
    pub id: String,
    /// `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    pub target_region: String,
    pub target_image_id: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub bytes_per_second: u64,
    /// Why it failed, as an API error.
    pub error: Option<ApiError>,
}

impl CopyView {
    fn read(v: serde_json::Value) -> Self {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let code = v["error"]["code"].as_str().map(|c| {
            let code = ErrorCode::ALL.into_iter().find(|k| k.as_str() == c);
            ApiError::code(502, code.unwrap_or(ErrorCode::Unknown))
        });
        CopyView {
            id: text("id"),
            state: text("state"),
            target_region: text("target_region"),
            target_image_id: text("target_image_id"),
            bytes_done: v["bytes_done"].as_u64().unwrap_or(0),
            bytes_total: v["bytes_total"].as_u64().unwrap_or(0),
            bytes_per_second: v["bytes_per_second"].as_u64().unwrap_or(0),
            error: code,
        }
    }
}

/// `POST /api/v1/images/{id}/copies?region=`: starts a copy to `target` (method `auto`).
pub async fn start_copy(
    region: &str,
    image_id: &str,
    target: &str,
    with_members: bool,
) -> ApiResult<CopyView> {
    let path = format!("/images/{}/copies?{}", enc(image_id), region_query(region));
    let body = format!(
        "{{\"target_region\":{},\"with_members\":{with_members}}}",
        serde_json::to_string(target).unwrap_or_default()
    );
    call("POST", &path, Body::Json(body))
        .await
        .map(CopyView::read)
}

/// `DELETE /api/v1/copies/{id}`: stops the copy and deletes its partial image.
pub async fn cancel_copy(id: &str) -> ApiResult<CopyView> {
    call("DELETE", &format!("/copies/{}", enc(id)), Body::None)
        .await
        .map(CopyView::read)
}

/// `GET /api/v1/copies/{id}/progress` as NDJSON: `each` gets the copy every half second
/// until it ends; returning false stops following it (never the copy itself).
pub async fn copy_progress(id: &str, mut each: impl FnMut(CopyView) -> bool) -> ApiResult<()> {
    ndjson(&format!("/copies/{}/progress", enc(id)), &mut |line| {
        let copy = serde_json::from_str::<serde_json::Value>(line).ok()?;
        Some(each(CopyView::read(copy)))
    })
    .await
}
