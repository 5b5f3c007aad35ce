//! Slotline's bridge: the service that sits next to the scheduling engine.
//!
//! It owns slots, holds and bookings (built in, or through Cal.com), Cal.com's webhooks and
//! the reminders; Stripe and the dashboard are to come. The HTTP surface is one axum [`Router`](axum::Router) built by [`app`], so tests
//! drive it without a socket and the native binary and other hosts serve the same routes.
//!
//! # Layout
//!
//! - [`config`]: settings from the environment, each documented in the README.
//! - [`model`]: the records the admin API edits and the store keeps.
//! - [`engine`]: the built-in slot engine and fair round robin (pure).
//! - [`ports`]: the roles the bridge depends on (`Store`, `Clock`); [`scheduler`] defines
//!   `Scheduler` with its adapter (built-in engine, or Cal.com through [`calcom`]).
//! - [`lifecycle`]: when each reminder is due and what it says (pure); [`dispatch`] sends
//!   the outbox through a [`messenger`] (Twilio).
//! - [`adapters`]: store implementations (`SqliteStore`).
//! - [`routes`]: HTTP handlers and [`app`]; [`auth`] checks who calls.
//! - [`demo`]: the demo salon `cargo xtask dev` starts with.
//! - [`error`]: how failures become HTTP answers.

pub mod adapters;
pub mod auth;
pub mod calendar_sync;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod lifecycle;
pub mod model;
pub mod ports;
pub mod routes;
pub mod scheduler;

pub use routes::{AppState, app};
