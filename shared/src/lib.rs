//! Slotline's domain core.
//!
//! Everything here is pure: no I/O, no clock, no randomness. The worker (Cloudflare, WASM) and
//! the bridge (native or Spin) parse their inputs into these types, call into this crate to
//! decide, and act on the answer.
//!
//! # Layout
//!
//! - [`twilio`]: Twilio's webhook signature, the inbound message parser and TwiML replies.
//! - [`phone`]: E.164 phone numbers that mask themselves in logs.
//! - [`conversation`]: the per-customer conversation state and its `step` function.
//! - [`wire`]: the messages the worker and the bridge exchange.

pub mod conversation;
pub mod phone;
pub mod twilio;
pub mod wire;
