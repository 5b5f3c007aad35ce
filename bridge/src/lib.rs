//! Slotline's bridge: the service that sits next to the scheduling engine.
//!
//! It owns slots, holds and bookings (built in, or through Cal.com), Cal.com's webhooks and
//! the reminders, and deposits through Stripe; the dashboard is to come. The HTTP surface is one axum
//! [`Router`](axum::Router) built by [`app`], so tests drive it without a socket and the
//! native binary and other hosts serve the same routes.
//!
//! # Layout
//!
//! - [`ports`]: the roles the bridge depends on (`Store`, `Scheduler`, `Messenger`, `Clock`),
//!   each with its conformance checks; [`adapters`] fill them (`sqlite`, `calcom`, `twilio`).
//! - [`scheduler`]: `EmbeddedScheduler`, the `Scheduler` (built-in engine, or Cal.com);
//!   [`engine`]: the built-in slot engine and fair round robin (pure).
//! - [`calendar_sync`]: the business's changes in Cal.com, mirrored to WhatsApp bookings.
//! - [`lifecycle`]: when each lifecycle message is due (pure; what it says is in
//!   `slotline_shared::notice`); [`dispatch`] sends the outbox through a `Messenger`.
//! - [`payments`]: deposits: a hold confirmed by its payment, Stripe's webhooks.
//! - [`model`]: the records the admin API edits and the store keeps, each validating itself.
//! - [`routes`]: HTTP handlers and [`app`]; [`auth`] checks who calls; [`error`] is the one
//!   place failures become HTTP answers.
//! - [`metrics`]: `GET /metrics` for the operator's Prometheus.
//! - [`config`]: settings from the environment, each documented in the README;
//!   [`wiring`] puts the bridge together from them, for either build.
//! - [`demo`]: the demo salon `cargo xtask dev` starts with.
//! - [`rt`]: sleeping and spawning, on tokio natively and on the component's task in Spin.
//!
//! # Builds
//!
//! The `native` feature (on by default) brings tokio's runtime, rusqlite, PostgreSQL and
//! reqwest for the native binary. Without it the library builds for `wasm32-wasip2`, and the
//! Spin component (`spin/`) fills the SQLite and HTTP ports through Spin's interfaces.

pub mod accounts;
pub mod adapters;
pub mod auth;
pub mod calendar_sync;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod flows;
pub mod lifecycle;
pub mod metrics;
pub mod model;
pub mod payments;
pub mod ports;
pub mod receipts;
pub mod routes;
pub mod rt;
pub mod scheduler;
pub mod wiring;

pub use routes::{AppState, app};
