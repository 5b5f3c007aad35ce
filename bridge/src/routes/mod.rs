//! The bridge's HTTP surface, built by [`app`] so tests drive it without a socket.
//!
//! - `GET /healthz`: version and store status.
//! - `GET /metrics` (operator key): [`crate::metrics`], for Prometheus.
//! - `/worker/{tenant}/…`: the signed API the worker calls ([`worker`]).
//! - `POST /webhooks/calcom`: Cal.com's calendar changes ([`calcom`]).
//! - `POST /webhooks/stripe`: deposits paid or not ([`stripe`]).
//! - `/app`: the owner's dashboard ([`dashboard`]).
//! - `/auth/…`: dashboard sign-up, sign-in and sessions ([`account`]).
//! - `/admin/…`: the admin API for operators and tenants ([`admin`]), described by
//!   `GET /admin/openapi.json`.

pub mod account;
pub mod admin;
pub mod body;
pub mod calcom;
pub mod dashboard;
pub mod documents;
pub mod flows;
pub mod joining;
pub mod onboarding;
pub mod senders;
pub mod stripe;
pub mod templates;
pub mod worker;

pub use body::JsonBody;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use slotline_shared::wire::{Health, StoreHealth};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

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
    /// Deposits through Stripe; `None` when no Stripe key is configured (deposits are then
    /// only mentioned to customers).
    pub payments: Option<Arc<crate::payments::Payments>>,
    /// Signs and checks the links receipts are fetched by; `None` (no
    /// `SLOTLINE_PUBLIC_URL`) serves none.
    pub documents: Option<Arc<crate::receipts::LinkSigner>>,
    /// How dashboard sign-ins and sessions behave.
    pub accounts: Arc<crate::accounts::AccountSettings>,
    /// Registers businesses' own WhatsApp numbers with Twilio; `None` without the
    /// platform's Twilio account.
    pub senders: Option<Arc<crate::adapters::twilio_setup::TwilioSetup>>,
    /// The businesses' WhatsApp Flow keys, sealed under the worker secret; `None` without
    /// one (the Flow endpoint then answers 503).
    pub flow_keys: Option<Arc<crate::flows::keys::KeyRing>>,
}

/// The bridge's routes, ready to serve or to call in tests.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(worker::routes())
        .merge(admin::routes())
        .merge(account::routes())
        .merge(joining::routes())
        .merge(onboarding::routes())
        .merge(senders::routes())
        .merge(templates::routes())
        .merge(flows::routes())
        .merge(dashboard::routes())
        .merge(calcom::routes())
        .merge(stripe::routes())
        .merge(documents::routes())
        .route_layer(axum::middleware::from_fn(track))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            account::throttle_by_address,
        ))
        .fallback(crate::error::not_found)
        .with_state(state)
        // The last layer sees the request first: the id is set, then the request traced,
        // and the id copied onto the answer.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
}

/// Request ids: this process's random prefix and a count, unless the caller sent its own
/// `X-Request-Id`. They go back in the answer and on every log line of the request.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut bytes = [0u8; 4];
        // An id prefix only needs to differ between processes; a fixed one is no harm.
        let _ = getrandom::fill(&mut bytes);
        Self {
            prefix: Arc::from(format!("{:08x}", u32::from_be_bytes(bytes))),
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// One span per request: its id, method and route pattern. Never the path itself, which
/// may carry a phone number (`/worker/route/{number}`).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str());
    tracing::info_span!("request", id, method = %request.method(), route)
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

/// One dispatch pass, for the routes that ask for one (the worker's cron, the operator).
async fn dispatch_pass(
    state: &AppState,
) -> Result<crate::dispatch::Report, crate::error::AppError> {
    // A bridge without timers (Spin, or scaled to zero) releases lapsed holds and settles
    // lapsed payments on the platform's clock too; their messages then go in this pass.
    match state.store.expire_holds(state.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!("released {n} lapsed holds"),
        Err(e) => tracing::warn!("sweeping holds failed: {e}"),
    }
    if let Some(payments) = &state.payments
        && let Err(e) = payments.settle_lapsed().await
    {
        tracing::warn!("settling lapsed payments failed: {e}");
    }
    let Some(dispatcher) = &state.dispatcher else {
        return Err(crate::error::AppError::Unavailable(
            "no messenger is configured".into(),
        ));
    };
    Ok(dispatcher.tick().await?)
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
