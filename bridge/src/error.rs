//! How the bridge's failures become HTTP answers: a JSON body with a machine-readable
//! `error` code and a human `message`; a 500 says only that something went wrong, and the
//! cause goes to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;

use crate::model::FieldErrors;
use crate::ports::{SchedulerError, StoreError};

/// Every way a request can fail.
#[derive(Debug, Error)]
pub enum AppError {
    /// The request is malformed (unreadable JSON, bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but fields are invalid.
    #[error("invalid fields")]
    Invalid(FieldErrors),
    /// No or unknown credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials that do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (or not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The resource exists already.
    #[error("{0} already exists")]
    Conflict(String),
    /// The change would take something that belongs to someone else.
    #[error("{0}")]
    Taken(String),
    /// A dependency is down or the feature is not configured.
    #[error("{0}")]
    Unavailable(String),
    /// Too many attempts: try again after the given number of seconds.
    #[error("{message}")]
    Throttled {
        /// What to tell the caller.
        message: String,
        /// Seconds until another attempt may succeed (`Retry-After`).
        retry_after_secs: u64,
    },
    /// Anything unexpected; the text is logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Backend(source) => AppError::Internal(source.to_string()),
        }
    }
}

impl From<SchedulerError> for AppError {
    fn from(e: SchedulerError) -> Self {
        match e {
            SchedulerError::BadRequest(what) => AppError::BadRequest(what),
            SchedulerError::NotFound(what) => AppError::NotFound(what),
            paused @ SchedulerError::Paused(_) => AppError::Unavailable(paused.to_string()),
            SchedulerError::Store(e) => e.into(),
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// A stable code callers can branch on.
    pub error: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Per-field problems, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) | AppError::Taken(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let retry_after = match &self {
            AppError::Throttled {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let (message, fields) = match self {
            AppError::Internal(detail) => {
                tracing::error!("internal error: {detail}");
                crate::metrics::global().internal_error();
                ("something went wrong on our side".to_owned(), None)
            }
            AppError::Invalid(fields) => ("some fields are invalid".to_owned(), Some(fields)),
            other => (other.to_string(), None),
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error: code,
                message,
                fields,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

/// The answer for a path the bridge does not serve.
pub async fn not_found() -> Response {
    AppError::NotFound("endpoint".into()).into_response()
}
