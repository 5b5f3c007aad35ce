//! The bridge's HTTP surface, built by [`app`] so tests drive it without a socket.
//!
//! - `GET /healthz`: version and store status.
//! - `GET /metrics` (operator key): [`crate::metrics`], for Prometheus.
//! - `/worker/{tenant}/…`: the signed API the worker calls ([`worker`]).
//! - `POST /webhooks/calcom`: Cal.com's calendar changes ([`calcom`]).
//! - `/admin/…`: the admin API for operators and tenants ([`admin`]), described by
//!   `GET /admin/openapi.json`.

pub mod admin;
pub mod body;
pub mod calcom;
pub mod worker;

pub use body::JsonBody;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use slotline_shared::wire::{Health, StoreHealth};

use crate::auth::ReplayGuard;
use crate::ports::Scheduler;
use crate::ports::{Clock, Store};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Availability and booking.
    pub scheduler: Arc<dyn Scheduler>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Secret shared with the worker; `None` disables the worker API.
    pub worker_secret: Option<Arc<[u8]>>,
    /// The platform operator's admin key; `None` means no operator access.
    pub operator_key: Option<Arc<str>>,
    /// Signatures already used.
    pub replay: Arc<ReplayGuard>,
    /// Sends lifecycle messages; `None` when no Twilio account is configured.
    pub dispatcher: Option<Arc<crate::dispatch::Dispatcher>>,
    /// How Cal.com's webhooks are checked; `None` refuses them.
    pub calcom_webhooks: Option<Arc<calcom::WebhookSettings>>,
    /// The Cal.com client, when Cal.com schedules.
    pub calcom: Option<Arc<crate::adapters::calcom::Calcom>>,
}

/// The bridge's routes, ready to serve or to call in tests.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(worker::routes())
        .merge(admin::routes())
        .merge(calcom::routes())
        .route_layer(axum::middleware::from_fn(track))
        .fallback(crate::error::not_found)
        .with_state(state)
}

/// Times and counts each answered request by its route pattern.
async fn track(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    crate::metrics::global().observe(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: the operator's key only (the figures span every tenant).
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, crate::error::AppError> {
    crate::auth::admin(
        &headers,
        state.operator_key.as_deref(),
        state.store.as_ref(),
    )
    .await?
    .operator()?;
    let text = crate::metrics::render(&state).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        text,
    ))
}

/// `GET /healthz`: the version and whether the store answers; 503 when it does not.
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = state.store.health().await;
    let status = match store {
        StoreHealth::Ok { .. } => StatusCode::OK,
        StoreHealth::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    let health = Health {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        store,
    };
    (status, Json(health))
}
