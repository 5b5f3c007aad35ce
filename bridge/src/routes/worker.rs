//! The API the worker calls, one tenant per path, every request signed.
//!
//! - `GET /worker/route/{number}`: the tenants a WhatsApp number serves.
//! - `GET /worker/{tenant}/snapshot`: profile and catalog, version-stamped for edge caches.
//! - `POST /worker/{tenant}/rpc`: a [`BridgeRequest`] in, a [`BridgeAnswer`] out.
//! - `POST /worker/cron/tick`: the worker's Cron Trigger asks for one dispatch pass, so a
//!   bridge without a timer of its own (Spin, a container scaled to zero) still sends
//!   reminders.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use slotline_shared::catalog::TenantId;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest, NumberRoute, RouteTenant};

use super::AppState;
use crate::auth;
use crate::error::AppError;
use crate::model::{Delivery, TenantSnapshot};
use crate::ports::{Change, HoldResult, Scheduler};

/// The worker API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/worker/route/{number}", get(route))
        .route("/worker/{tenant}/snapshot", get(snapshot))
        .route("/worker/{tenant}/rpc", post(rpc))
        .route("/worker/cron/tick", post(cron_tick))
}

/// One pass of the dispatcher, asked for by the worker's Cron Trigger; what it did.
async fn cron_tick(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<crate::dispatch::Report>, AppError> {
    verify(&state, &method, &uri, &headers, &body).await?;
    let report = super::dispatch_pass(&state).await?;
    tracing::info!(?report, "dispatch pass asked for by the worker's cron");
    Ok(Json(report))
}

async fn verify(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AppError> {
    auth::verify_worker(
        state.worker_secret.as_deref(),
        &state.replay,
        method.as_str(),
        uri.path(),
        headers,
        body,
        state.clock.now(),
    )
    .await
}

async fn route(
    State(state): State<AppState>,
    Path(number): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<NumberRoute>, AppError> {
    verify(&state, &method, &uri, &headers, b"").await?;
    let number =
        PhoneNumber::parse(&number).map_err(|e| AppError::BadRequest(format!("number: {e}")))?;
    let tenants = state
        .store
        .tenants()
        .await?
        .into_iter()
        .filter(|t| t.numbers.contains(&number))
        .map(|t| RouteTenant {
            id: t.id,
            name: t.name,
            keywords: t.keywords,
        })
        .collect();
    Ok(Json(NumberRoute { tenants }))
}

async fn snapshot(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<TenantSnapshot>, AppError> {
    verify(&state, &method, &uri, &headers, b"").await?;
    Ok(Json(state.scheduler.snapshot(&TenantId(tenant)).await?))
}

async fn rpc(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BridgeAnswer>, AppError> {
    verify(&state, &method, &uri, &headers, &body).await?;
    let request: BridgeRequest = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("not a bridge request: {e}")))?;
    Ok(Json(answer(&state, &TenantId(tenant), request).await?))
}

/// Carries out one request of the worker.
pub async fn answer(
    state: &AppState,
    tenant: &TenantId,
    request: BridgeRequest,
) -> Result<BridgeAnswer, AppError> {
    let scheduler: &dyn Scheduler = state.scheduler.as_ref();
    let failed = |reason: &str| BridgeAnswer::Failed {
        reason: reason.into(),
    };
    Ok(match request {
        BridgeRequest::Slots {
            service,
            provider,
            from,
            days,
        } => BridgeAnswer::Slots {
            slots: scheduler
                .slots(tenant, &service, provider.as_ref(), from, days)
                .await?,
        },
        BridgeRequest::Hold {
            service,
            provider,
            start,
            customer,
            idempotency_key,
        } => {
            match scheduler
                .hold(
                    tenant,
                    &service,
                    provider.as_ref(),
                    start,
                    &customer,
                    &idempotency_key,
                )
                .await?
            {
                HoldResult::Held(hold) => BridgeAnswer::Held { hold },
                HoldResult::Taken(alternatives) => BridgeAnswer::Taken { alternatives },
            }
        }
        BridgeRequest::Release { hold } => {
            scheduler.release(tenant, &hold).await?;
            if let Some(payments) = &state.payments {
                payments.hold_released(tenant, &hold).await?;
            }
            BridgeAnswer::Released
        }
        BridgeRequest::Confirm { hold, .. } => {
            // A deposit through Stripe: the payment confirms it, not the customer's "yes".
            if let Some(payments) = &state.payments
                && let Some(answer) = payments.confirm(tenant, &hold).await?
            {
                return Ok(answer);
            }
            confirmed(scheduler.confirm(tenant, &hold).await?)
        }
        BridgeRequest::Reschedule { booking, hold, .. } => {
            match scheduler.reschedule(tenant, &booking, &hold).await? {
                Change::Done(booking) => BridgeAnswer::Rescheduled { booking },
                Change::HoldGone => failed("the hold expired or was released"),
                Change::NotFound => failed("no such booking for this customer"),
                Change::Taken(alternatives) => BridgeAnswer::Taken { alternatives },
            }
        }
        BridgeRequest::Cancel {
            booking, customer, ..
        } => match scheduler.cancel(tenant, &booking, &customer).await? {
            (Change::Done(booking), refund) => {
                // A deposit paid through Stripe goes back as the policy says, by itself.
                let refund = match (&state.payments, &refund) {
                    (Some(payments), Some(share)) => payments
                        .refund_cancelled(tenant, &booking.reference, Some(share))
                        .await?
                        .or(refund),
                    _ => refund,
                };
                BridgeAnswer::Cancelled { booking, refund }
            }
            (_, _) => failed("no such booking for this customer"),
        },
        BridgeRequest::Delivery {
            message_sid,
            customer,
            status,
            error_code,
        } => {
            if state.store.tenant(tenant).await?.is_none() {
                return Err(AppError::NotFound(format!("tenant {tenant}")));
            }
            let now = state.clock.now();
            let delivery = Delivery {
                message_sid,
                customer,
                status,
                error_code,
                updated_at: now,
            };
            state.store.record_delivery(tenant, &delivery).await?;
            // 63016: the session message arrived outside the window; send the template.
            if error_code == Some(63016)
                && state
                    .store
                    .resend_as_template(tenant, &delivery.message_sid, now)
                    .await?
                && let Some(dispatcher) = state.dispatcher.clone()
            {
                crate::rt::spawn(async move {
                    if let Err(e) = dispatcher.tick().await {
                        tracing::warn!("dispatching after a 63016 failed: {e}");
                    }
                });
            }
            BridgeAnswer::Recorded
        }
        BridgeRequest::Seen { customer, lang } => {
            state
                .store
                .seen(tenant, &customer, state.clock.now(), lang)
                .await?;
            BridgeAnswer::Recorded
        }
        BridgeRequest::ModelCall => {
            let Some(record) = state.store.tenant(tenant).await? else {
                return Err(AppError::NotFound(format!("tenant {tenant}")));
            };
            // The month is the business's own.
            let month = state
                .clock
                .now()
                .with_timezone(&record.zone)
                .format("%Y-%m");
            let allowed = state
                .store
                .count_use(tenant, &format!("llm:{month}"), record.llm_monthly_calls)
                .await?;
            BridgeAnswer::ModelCall { allowed }
        }
        BridgeRequest::OptOut {
            customer,
            opted_out,
        } => {
            state
                .store
                .set_opted_out(tenant, &customer, opted_out, state.clock.now())
                .await?;
            BridgeAnswer::Recorded
        }
        BridgeRequest::Rate {
            customer,
            reference,
            stars,
        } => {
            if !(1..=5).contains(&stars) {
                return Err(AppError::BadRequest("stars: 1 to 5".into()));
            }
            let rated = state
                .store
                .rate(
                    tenant,
                    &customer,
                    reference.as_deref(),
                    stars,
                    state.clock.now(),
                )
                .await?;
            if rated.is_some() {
                // The provider's average changed: the catalog shows it.
                scheduler.config_changed(tenant).await;
            }
            BridgeAnswer::Rated { reference: rated }
        }
        BridgeRequest::Bookings { customer } => BridgeAnswer::Bookings {
            bookings: scheduler.bookings(tenant, &customer).await?,
        },
    })
}

/// The answer to a confirmation.
fn confirmed(change: Change) -> BridgeAnswer {
    match change {
        Change::Done(booking) => BridgeAnswer::Booked { booking },
        Change::HoldGone => BridgeAnswer::Failed {
            reason: "the hold expired or was released".into(),
        },
        Change::NotFound => BridgeAnswer::Failed {
            reason: "no such hold".into(),
        },
        Change::Taken(alternatives) => BridgeAnswer::Taken { alternatives },
    }
}
