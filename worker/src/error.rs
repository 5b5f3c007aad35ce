//! How the worker's failures become HTTP answers.
//!
//! Twilio shows our answer in its debugger, so a refusal says why in plain text; an internal
//! failure says only that it was internal, and the details go to the log.

use slotline_shared::twilio::{InboundError, SignatureError};
use thiserror::Error;
use worker::{Headers, Response, Result};

/// Why a webhook was not handled.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// The signature header is absent or does not match.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The signed request is not a message we can read.
    #[error("bad request: {0}")]
    Inbound(#[from] InboundError),
    /// A setting the worker needs is missing.
    #[error("setting {0} is missing")]
    Config(&'static str),
    /// The runtime failed (storage, Durable Object call).
    #[error("runtime: {0}")]
    Runtime(#[from] worker::Error),
}

impl WebhookError {
    /// The HTTP answer for this failure.
    pub fn into_response(self) -> Result<Response> {
        match &self {
            WebhookError::Signature(SignatureError::Missing) => plain(400, &self.to_string()),
            WebhookError::Signature(_) => plain(403, "invalid X-Twilio-Signature"),
            WebhookError::Inbound(_) => plain(400, &self.to_string()),
            WebhookError::Config(_) | WebhookError::Runtime(_) => {
                worker::console_error!("webhook failed: {self}");
                plain(500, "internal error")
            }
        }
    }
}

/// A plain-text answer with the given status.
pub fn plain(status: u16, text: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "text/plain; charset=utf-8")?;
    Ok(Response::ok(text)?
        .with_status(status)
        .with_headers(headers))
}
