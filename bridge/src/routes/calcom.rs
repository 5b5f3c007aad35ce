//! `POST /webhooks/calcom`: Cal.com tells the bridge what changed in its calendar.
//!
//! The body is checked against `X-Cal-Signature-256` (refused when unsigned unless the
//! operator allows it), then:
//! - any booking change drops the cached free times of its event type, so a booking made on
//!   the Cal.com page or a synced calendar disappears from WhatsApp at once;
//! - a WhatsApp booking the business moved or cancelled in Cal.com is mirrored, and the
//!   customer is told (the new time; an offer to rebook);
//! - a booking marked absent in Cal.com is marked absent here.
//!
//! Replays change nothing twice (each change applies only to a booking still in the state it
//! expects), and a webhook for a booking the bridge is itself making or changing — Cal.com
//! sends it before its API call answers — is recognised and left alone.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use slotline_shared::calcom;

use super::AppState;
use crate::error::AppError;
use crate::lifecycle;
use crate::model::{Reservation, Stage, Status, Tenant};
use crate::ports::{BusinessChange, Planner};

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

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
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
    let event: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("not a Cal.com webhook: {e}")))?;
    let trigger = event["triggerEvent"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // MEETING_STARTED / MEETING_ENDED bodies are flat booking rows, not `payload` envelopes.
    let payload = if event.get("payload").is_some() {
        &event["payload"]
    } else {
        &event
    };
    state
        .scheduler
        .calcom_changed(payload["eventTypeId"].as_u64());
    let outcome = match trigger.as_str() {
        "BOOKING_CREATED" => created(&state, payload).await?,
        "BOOKING_RESCHEDULED" => moved(&state, payload).await?,
        "BOOKING_CANCELLED" => cancelled(&state, payload).await?,
        "BOOKING_NO_SHOW_UPDATED" => no_show(&state, payload).await?,
        _ => "noted",
    };
    tracing::info!(trigger, outcome, "Cal.com webhook");
    Ok(Json(json!({"received": true, "outcome": outcome})))
}

/// A booking appeared in Cal.com. One made on the Cal.com page only frees the cache (done
/// above). One carrying a bridge reference that the bridge neither is making nor has
/// recorded is an orphan (its create answered after the customer had been told to try again)
/// and is cancelled, so it does not block the time.
async fn created(state: &AppState, payload: &Value) -> Result<&'static str, AppError> {
    let Some(reference) = payload["metadata"][crate::calcom::REFERENCE_KEY].as_str() else {
        return Ok("made outside WhatsApp");
    };
    let Some(uid) = payload["uid"].as_str() else {
        return Ok("no uid");
    };
    if state.scheduler.is_changing(reference) {
        return Ok("our own booking");
    }
    if state.store.by_external(uid).await?.is_some() {
        return Ok("already recorded");
    }
    let Some(calcom) = &state.calcom else {
        return Ok("no Cal.com client");
    };
    let calcom = Arc::clone(calcom);
    let uid = uid.to_owned();
    // Cal.com waits for this answer before answering its own caller: cancel afterwards.
    tokio::spawn(async move {
        if let Err(e) = calcom.cancel(&uid, "Not confirmed on WhatsApp").await {
            tracing::warn!(%uid, "an orphan Cal.com booking could not be cancelled: {e}");
        }
    });
    Ok("orphan cancelled")
}

/// The confirmed WhatsApp booking Cal.com's `uid` stands for, with its reference and tenant;
/// or why the webhook leaves it alone (the bridge's own change, not a WhatsApp booking,
/// handled already).
async fn whatsapp_booking(
    state: &AppState,
    uid: &str,
) -> Result<Result<(Reservation, String, Tenant), &'static str>, AppError> {
    if state.scheduler.is_changing(uid) {
        return Ok(Err("our own change"));
    }
    let Some(r) = state.store.by_external(uid).await? else {
        return Ok(Err("not a WhatsApp booking"));
    };
    let (Some(reference), true) = (r.reference.clone(), r.status == Status::Confirmed) else {
        return Ok(Err("already handled"));
    };
    let Some(tenant) = state.store.tenant(&r.tenant).await? else {
        return Ok(Err("tenant gone"));
    };
    Ok(Ok((r, reference, tenant)))
}

/// The business moved a booking: mirror it and tell the customer the new time.
async fn moved(state: &AppState, payload: &Value) -> Result<&'static str, AppError> {
    let (Some(old), Some(new), Some(start), Some(end)) = (
        payload["rescheduleUid"].as_str(),
        payload["uid"].as_str(),
        time(&payload["startTime"]),
        time(&payload["endTime"]),
    ) else {
        return Err(AppError::BadRequest(
            "a reschedule without its uids or times".into(),
        ));
    };
    let (r, reference, tenant) = match whatsapp_booking(state, old).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let now = state.clock.now();
    let plan: Planner = Arc::new(move |r| {
        let mut plan = lifecycle::plan_booking(&tenant, r, now, false);
        plan.messages
            .push(lifecycle::plan_now(&tenant, Stage::Moved, now));
        plan
    });
    let change = BusinessChange::Moved {
        start,
        end,
        uid: new.to_owned(),
    };
    state
        .store
        .business_change(&r.tenant, &reference, &change, now, plan)
        .await?;
    state.scheduler.config_changed(&r.tenant);
    Ok("moved")
}

/// The business cancelled a booking: mirror it and offer the customer another time.
async fn cancelled(state: &AppState, payload: &Value) -> Result<&'static str, AppError> {
    let Some(uid) = payload["uid"].as_str() else {
        return Err(AppError::BadRequest(
            "a cancellation without its uid".into(),
        ));
    };
    let (r, reference, tenant) = match whatsapp_booking(state, uid).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let now = state.clock.now();
    let plan: Planner = Arc::new(move |_| {
        vec![lifecycle::plan_now(
            &tenant,
            Stage::CancelledByBusiness,
            now,
        )]
        .into()
    });
    state
        .store
        .business_change(&r.tenant, &reference, &BusinessChange::Cancelled, now, plan)
        .await?;
    state.scheduler.config_changed(&r.tenant);
    Ok("cancelled")
}

/// Marked absent in Cal.com.
async fn no_show(state: &AppState, payload: &Value) -> Result<&'static str, AppError> {
    let Some(uid) = payload["bookingUid"].as_str() else {
        return Err(AppError::BadRequest(
            "a no-show update without its booking".into(),
        ));
    };
    let absent = payload["attendees"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["noShow"] == true));
    if !absent {
        return Ok("not absent");
    }
    let Some(r) = state.store.by_external(uid).await? else {
        return Ok("not a WhatsApp booking");
    };
    let (Some(reference), Some(tenant)) =
        (r.reference.clone(), state.store.tenant(&r.tenant).await?)
    else {
        return Ok("already handled");
    };
    let now = state.clock.now();
    let plan: Planner = Arc::new(move |_| lifecycle::plan_no_show(&tenant, now).into());
    state
        .store
        .mark_no_show(&r.tenant, &reference, now, plan)
        .await?;
    Ok("no-show")
}
