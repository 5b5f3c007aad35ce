//! Slotline's bridge: the service that sits next to the scheduling engine.
//!
//! It will own slots, holds and bookings, the Cal.com and Stripe webhooks, reminders and the
//! dashboard. The HTTP surface is one axum [`Router`](axum::Router) built by [`app`], so tests
//! drive it without a socket and the native binary and other hosts serve the same routes.
//!
//! # Layout
//!
//! - [`config`]: settings from the environment, each documented in the README.
//! - [`ports`]: the roles the bridge depends on (`Store`).
//! - [`adapters`]: their implementations (`SqliteStore`).
//! - [`routes`]: HTTP handlers and [`app`].
//! - [`error`]: how failures become HTTP answers.

pub mod adapters;
pub mod config;
pub mod error;
pub mod ports;
pub mod routes;

pub use routes::{AppState, app};
