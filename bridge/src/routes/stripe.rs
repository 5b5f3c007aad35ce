//! `POST /webhooks/stripe`: Stripe tells the bridge a deposit was paid or not.
//!
//! The Connect endpoint's events carry the connected account they happened on; the raw
//! body is checked against `Stripe-Signature` (300 s tolerance) before anything is read,
//! and the event handed to [`crate::payments`].

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::error::AppError;

/// The Stripe webhook route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/stripe", post(webhook))
}

async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let Some(payments) = &state.payments else {
        return Err(AppError::Unavailable(
            "Stripe is not configured (STRIPE_SECRET_KEY)".into(),
        ));
    };
    let signature = headers
        .get(slotline_shared::stripe::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let handled = payments.on_webhook(&body, signature).await?;
    tracing::info!(?handled, "Stripe webhook");
    Ok(Json(json!({"received": true, "outcome": handled})))
}
