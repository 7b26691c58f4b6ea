//! axum's extractors, with their rejections turned into the API's own `invalid_input` errors.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::Error;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let detail = match &rejection {
            JsonRejection::JsonDataError(e) => {
                // serde's "missing field `x` at line 1 column 2": keep the part before " at line".
                let text = std::error::Error::source(e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.body_text());
                text.split(" at line").next().unwrap_or_default().to_owned()
            }
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
            JsonRejection::MissingJsonContentType(_) => {
                "send the body as JSON with Content-Type: application/json".to_owned()
            }
            other => other.body_text(),
        };
        Error::UnreadableBody(format!(
            "The request body is not what this endpoint takes: {detail}."
        ))
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        let text = rejection.body_text();
        let detail = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text);
        Error::invalid("query", format!("Bad query parameter: {detail}."))
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::invalid("path", rejection.body_text())
    }
}
