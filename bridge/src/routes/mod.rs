//! The bridge's HTTP surface, built by [`app`] so tests drive it without a socket.
//!
//! - `GET /healthz`: version and store status.
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
        .merge(worker::routes())
        .merge(admin::routes())
        .merge(calcom::routes())
        .fallback(crate::error::not_found)
        .with_state(state)
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
