//! The roles the bridge depends on, each with the checks any implementation must pass.
//! Adapters in [`crate::adapters`] fill them.
//!
//! - [`store`]: everything the bridge keeps; [`store_conformance`] is the suite every
//!   backend runs (`store_conformance!`).
//! - [`scheduler`]: availability and booking (the built-in engine or Cal.com); its
//!   conformance suite runs against both in `tests/scheduler_conformance.rs`.
//! - [`messenger`]: how lifecycle messages reach WhatsApp.
//! - [`clock`]: the time, which tests move by hand.
//! - [`gate`]: the call budget and breaker in front of Cal.com, one bridge's or shared.
//! - [`http`]: outbound HTTP for the Cal.com, Twilio and Stripe adapters.

pub mod clock;
pub mod gate;
pub mod http;
pub mod messenger;
pub mod scheduler;
pub mod store;
#[cfg(any(test, feature = "conformance"))]
pub mod store_conformance;

pub use clock::{Clock, ManualClock, SystemClock};
pub use gate::{CallGate, CallOutcome, GateStatus, LocalGate, Refusal};
pub use http::{Answer, Call, HttpClient, HttpFailure};
pub use messenger::{Body, Messenger, Outgoing, SendError, SentRecord};
pub use scheduler::{Change, HoldResult, Scheduler, SchedulerError};
pub use store::*;
