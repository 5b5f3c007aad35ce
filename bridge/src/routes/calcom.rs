//! `POST /webhooks/calcom`: Cal.com tells the bridge what changed in its calendar.
//!
//! The body is checked against `X-Cal-Signature-256` (refused when unsigned unless the
//! operator allows it), parsed into a typed event, and handed to [`crate::calendar_sync`].

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use slotline_shared::calcom;

use super::AppState;
use crate::adapters::calcom::webhook;
use crate::calendar_sync::Sync;
use crate::error::AppError;

/// How the bridge checks Cal.com's webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The secret the webhooks were registered with (`CALCOM_WEBHOOK_SECRET`).
    pub secret: String,
    /// Accept `no-secret-provided` (`CALCOM_ALLOW_UNSIGNED_WEBHOOKS=1`).
    pub allow_unsigned: bool,
}

/// The Cal.com webhook route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/calcom", post(webhook))
}

async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let Some(settings) = &state.calcom_webhooks else {
        return Err(AppError::Unavailable(
            "Cal.com webhooks are not configured (CALCOM_WEBHOOK_SECRET)".into(),
        ));
    };
    let signature = headers
        .get(calcom::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    calcom::verify(&settings.secret, &body, signature, settings.allow_unsigned)
        .map_err(|e| AppError::Unauthorized(e.to_string()))?;
    let hook = webhook::parse(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let sync = Sync {
        store: state.store.as_ref(),
        scheduler: state.scheduler.as_ref(),
        clock: state.clock.as_ref(),
        calcom: state.calcom.as_ref(),
        payments: state.payments.as_ref(),
    };
    let outcome = sync.apply(hook.event_type, hook.event).await?;
    tracing::info!(trigger = hook.trigger, outcome, "Cal.com webhook");
    Ok(Json(json!({"received": true, "outcome": outcome})))
}
