//! Everything Slotline needs to speak Twilio's webhook dialect: the `X-Twilio-Signature`
//! algorithm, the inbound WhatsApp message parser and TwiML replies.
//!
//! The contract these follow is Twilio's own (see the project's Twilio contract sheet); REST
//! sending lives in the shells, which own the network.

pub mod content;
pub mod inbound;
pub mod signature;
pub mod twiml;

pub use inbound::{Choice, InboundError, InboundMessage};
pub use signature::{SignatureError, SignedPayload};
