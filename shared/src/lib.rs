//! Slotline's domain core.
//!
//! Everything here is pure: no I/O, no clock, no randomness. The worker (Cloudflare, WASM) and
//! the bridge (native or Spin) parse their inputs into these types, call into this crate to
//! decide, and act on the answer.
//!
//! # Layout
//!
//! - [`twilio`]: Twilio's webhook signature, the inbound message parser and TwiML replies.
//! - [`calcom`]: Cal.com's webhook signature; [`stripe`]: Stripe's.
//! - [`phone`]: E.164 phone numbers that mask themselves in logs.
//! - [`catalog`]: tenants, services, providers, money; [`zone`]: their time zones.
//! - [`conversation`]: the booking conversation as a state machine: `step(state, event, ctx)`.
//! - [`nlu`]: understanding free text in English, Spanish and Portuguese, without an LLM;
//!   `eval` (feature `testkit`) scores it on labelled messages (`cargo xtask eval`).
//! - [`llm`]: the optional language model's request and answer, used when the parser is
//!   unsure.
//! - [`notice`]: lifecycle messages (reminders, follow-ups) as the customer reads them.
//! - [`flow_token`]: the signed token a WhatsApp Flow carries back to our endpoint.
//! - [`option_id`]: the id of every option and button, written and read in one place.
//! - [`render`]: one reply model rendered as WhatsApp buttons/lists or numbered text.
//! - [`lang`]: the languages spoken; [`i18n`]: translated texts and local dates, times and
//!   prices.
//! - [`routing`]: which business a message is for (dedicated or shared number).
//! - [`throttle`]: a flooding customer gets one notice, then silence for the minute.
//! - [`wire`]: the messages the worker and the bridge exchange; [`signing`] signs them;
//!   [`failover`]: which of several bridges to ask.

pub mod calcom;
pub mod catalog;
pub mod conversation;
#[cfg(any(test, feature = "testkit"))]
pub mod eval;
pub mod failover;
pub mod flow_token;
pub mod i18n;
pub mod lang;
pub mod llm;
pub mod nlu;
pub mod notice;
pub mod option_id;
pub mod phone;
pub mod render;
pub mod routing;
pub mod signing;
pub mod stripe;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod throttle;
pub mod twilio;
pub mod wire;
pub mod zone;
