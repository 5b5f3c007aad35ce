//! `GET /metrics` (operator key): what an operator's Prometheus scrapes, in the OpenMetrics
//! text format.
//!
//! - `slotline_http_requests_total{route,method,status}` and
//!   `slotline_http_request_duration_seconds{route}`: every request, by route pattern
//!   (`/worker/{tenant}/rpc`, never a tenant's id or a phone number);
//! - `slotline_internal_errors_total`: answers that were a 500 (store failures and the
//!   unexpected; their causes are in the log);
//! - `slotline_outbox_messages{state}`: lifecycle messages waiting, sent, failed… over every
//!   tenant, read from the store at scrape time;
//! - `slotline_dispatch_messages_total{outcome}`: what this process's dispatch passes did;
//! - `slotline_calcom_paused`, `slotline_calcom_calls_in_use`,
//!   `slotline_calcom_budget_per_minute`: the Cal.com client's breaker and call budget (shared by
//!   every bridge on a PostgreSQL store).
//!
//! Request counts live in one registry per process ([`global`]): the middleware and the
//! error mapping record into it without being handed anything.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::AppError;
use crate::ports::OutboxState;
use crate::routes::AppState;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// Latency buckets from 0.5 ms to about 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 15))
}

/// What the process counts as it goes.
#[derive(Debug)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    internal_errors: Counter,
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static GLOBAL: OnceLock<Metrics> = OnceLock::new();
    GLOBAL.get_or_init(|| Metrics {
        requests: Family::default(),
        latency: Family::new_with_constructor(latency_histogram),
        internal_errors: Counter::default(),
    })
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Records an answer that was a 500.
    pub fn internal_error(&self) {
        self.internal_errors.inc();
    }
}

/// Everything above as OpenMetrics text; the store is asked for the outbox's depth.
pub async fn render(state: &AppState) -> Result<String, AppError> {
    let m = global();
    let mut registry = Registry::with_prefix("slotline");
    registry.register(
        "http_requests",
        "Requests answered, by route pattern, method and status",
        m.requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time to answer, by route pattern",
        m.latency.clone(),
    );
    registry.register(
        "internal_errors",
        "Answers that were a 500 (the cause is logged)",
        m.internal_errors.clone(),
    );
    let outbox: Family<StateLabels, Gauge> = Family::default();
    let depth = state.store.outbox_depth().await?;
    // Every state, 0 included, so a dashboard's series never vanish.
    for s in [
        OutboxState::Pending,
        OutboxState::Sent,
        OutboxState::Failed,
        OutboxState::Skipped,
        OutboxState::Dropped,
    ] {
        let n = depth.iter().find(|(d, _)| *d == s).map_or(0, |(_, n)| *n);
        outbox
            .get_or_create(&StateLabels {
                state: s.as_str().to_owned(),
            })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    registry.register(
        "outbox_messages",
        "Lifecycle messages in the outbox, by state, over every tenant",
        outbox,
    );
    if let Some(dispatcher) = &state.dispatcher {
        let totals = dispatcher.totals();
        let dispatched: Family<OutcomeLabels, Counter> = Family::default();
        for (outcome, n) in [
            ("sent", totals.sent),
            ("recovered", totals.recovered),
            ("retried", totals.retried),
            ("failed", totals.failed),
            ("skipped", totals.skipped),
        ] {
            dispatched
                .get_or_create(&OutcomeLabels {
                    outcome: outcome.to_owned(),
                })
                .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
        }
        registry.register(
            "dispatch_messages",
            "What this process's dispatch passes did with each message",
            dispatched,
        );
    }
    if let Some(calcom) = &state.calcom {
        let status = calcom.status().await;
        let gauge = |v: u32| {
            let g: Gauge = Gauge::default();
            g.set(i64::from(v));
            g
        };
        registry.register(
            "calcom_paused",
            "1 while calls to Cal.com are paused (breaker open or Retry-After)",
            gauge(u32::from(status.paused)),
        );
        registry.register(
            "calcom_calls_in_use",
            "Calls of the Cal.com budget in use (taken and not yet come back)",
            gauge(status.calls_in_use),
        );
        registry.register(
            "calcom_budget_per_minute",
            "Calls to Cal.com allowed a minute",
            gauge(status.budget_per_minute),
        );
    }
    let mut text = String::new();
    encode(&mut text, &registry)
        .map_err(|e| AppError::Internal(format!("metrics did not encode: {e}")))?;
    Ok(text)
}
