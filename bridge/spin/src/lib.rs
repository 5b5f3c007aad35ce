//! Slotline's bridge as a Spin component (`spin.toml` at the repository's root).
//!
//! Each request is served by the same axum router as the native binary
//! ([`slotline_bridge::app`]), put together by [`slotline_bridge::wiring::assemble`]:
//!
//! - its records are kept in Spin's SQLite database `default` ([`sqlite`]), through the
//!   same store (and migrations) as the native SQLite file;
//! - its settings are Spin variables named like the native binary's environment variables,
//!   in lower case (`slotline_worker_secret` for `SLOTLINE_WORKER_SECRET`) ([`settings`]);
//! - Cal.com, Twilio and Stripe are called through Spin's outbound HTTP ([`outbound`]),
//!   to the hosts `allowed_outbound_hosts` names.
//!
//! A component has no timers: reminders go when the worker's Cron Trigger calls
//! `POST /worker/cron/tick` (or an operator calls `/internal/cron/tick`), and that same pass
//! releases lapsed holds and settles lapsed payments. Spin makes a fresh instance for each
//! request, so whatever must outlive one (used worker nonces) is kept in the database.
#![cfg(target_arch = "wasm32")]

mod outbound;
mod settings;
mod sqlite;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::auth::ReplayGuard;
use slotline_bridge::ports::{Clock, Store, SystemClock};
use slotline_bridge::routes::account::Peer;
use spin_sdk::http::body::IncomingBodyExt;
use tower::ServiceExt;

/// The Spin SQLite database the bridge keeps its records in.
const DATABASE: &str = "default";

/// An answer the component gives itself, when the bridge could not be put together.
fn refusal(status: http::StatusCode, message: &str) -> http::Response<Full<Bytes>> {
    let body = format!("{{\"error\":{{\"code\":\"unavailable\",\"message\":{message:?}}}}}");
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[spin_sdk::http_service]
async fn handle(request: spin_sdk::http::Request) -> http::Response<Full<Bytes>> {
    let config = match settings::read().await {
        Ok(config) => config,
        Err(e) => {
            // The operator's mistake, in words they can act on (a secret's value is never
            // repeated).
            let why = settings::in_spin_words(&e);
            eprintln!("slotline bridge: settings: {why}");
            return refusal(
                http::StatusCode::SERVICE_UNAVAILABLE,
                &format!("the bridge is not configured: {why}"),
            );
        }
    };
    let store: Arc<dyn Store> = match sqlite::SpinSqlite::open(DATABASE)
        .map_err(|e| e.to_string())
        .and_then(|engine| {
            SqliteStore::on(Box::new(engine), "spin:default").map_err(|e| e.to_string())
        }) {
        Ok(store) => Arc::new(store),
        Err(e) => {
            eprintln!("slotline bridge: database: {e}");
            return refusal(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "the bridge's database is unavailable",
            );
        }
    };
    if config.seed_demo
        && let Err(e) = slotline_bridge::demo::seed(store.as_ref()).await
    {
        eprintln!("slotline bridge: seeding the demo failed: {e}");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Instances last one request: used nonces live in the database.
    let replay = ReplayGuard::shared(Arc::clone(&store));
    let state = slotline_bridge::wiring::assemble(
        &config,
        store,
        Arc::new(outbound::SpinHttp),
        clock,
        replay,
    );
    let (parts, body) = request.into_parts();
    let body = match body.bytes().await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refusal(
                http::StatusCode::BAD_REQUEST,
                "the request's body could not be read",
            );
        }
    };
    let peer = parts
        .headers
        .get("spin-client-addr")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .map(Peer);
    let mut request = http::Request::from_parts(parts, axum::body::Body::from(body));
    if let Some(peer) = peer {
        request.extensions_mut().insert(peer);
    }
    let response = match slotline_bridge::app(state).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    match body.collect().await {
        Ok(collected) => http::Response::from_parts(parts, Full::new(collected.to_bytes())),
        Err(e) => {
            eprintln!("slotline bridge: answer: {e}");
            refusal(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "the answer could not be written",
            )
        }
    }
}
