//! How the bridge's failures become HTTP answers: a JSON body with a machine-readable
//! `error` code and a human `message`, never internals.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// A stable code callers can branch on.
    pub error: &'static str,
    /// A sentence for people.
    pub message: String,
}

/// An error answer: status plus [`ErrorBody`].
pub fn respond(status: StatusCode, error: &'static str, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorBody {
            error,
            message: message.into(),
        }),
    )
        .into_response()
}

/// The answer for a path the bridge does not serve.
pub async fn not_found() -> Response {
    respond(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
