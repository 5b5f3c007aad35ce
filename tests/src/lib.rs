//! The end-to-end harness: starts the real stack on loopback and talks to it as Twilio would.
//!
//! [`Stack`] runs `wrangler dev` (workerd with real Durable Objects) and the bridge binary on
//! free loopback ports, waits until both answer, and stops both (with everything they
//! spawned) when dropped. [`Phone`] plays a WhatsApp customer: it signs each webhook the way
//! Twilio does and reads the TwiML reply. `cargo xtask dev` uses the same two pieces for its
//! phone simulator.

pub mod calcom;
pub mod flow_view;
pub mod llm;
pub mod measure;
pub mod meta;
pub mod paths;
pub mod phone;
pub mod served;
pub mod stack;
pub mod stripe;
pub mod twilio;

pub use phone::{Phone, Reply};
pub use stack::{Stack, StackOptions};
