//! The `Messenger` port: how lifecycle messages reach a customer on WhatsApp.

use async_trait::async_trait;
use std::time::Duration;

use chrono::{DateTime, Utc};
use slotline_shared::lang::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::render::Reply;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A session message (inside the 24-hour window), with buttons if it has options.
    Session {
        /// The message.
        reply: Reply,
        /// Its language (for the content resource).
        lang: Lang,
    },
    /// An approved template.
    Template {
        /// `HX…`.
        sid: String,
        /// `ContentVariables` JSON.
        variables: String,
    },
}

/// One outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The Twilio account sending it.
    pub account_sid: String,
    /// The business's WhatsApp number.
    pub from: PhoneNumber,
    /// The customer.
    pub to: PhoneNumber,
    /// The content.
    pub body: Body,
    /// Where Twilio reports its delivery.
    pub status_callback: Option<String>,
}

/// Why a send did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying (429, 5xx, network): after `retry_after` if Twilio said.
    Transient {
        /// Twilio's error code.
        code: Option<u32>,
        /// What happened.
        detail: String,
        /// `Retry-After`, if given.
        retry_after: Option<Duration>,
    },
    /// Twilio refused it for good (bad number, blocked, unknown template…).
    Permanent {
        /// Twilio's error code.
        code: Option<u32>,
        /// What happened.
        detail: String,
    },
    /// 63016: outside the customer-service window; only a template may go.
    OutsideWindow,
    /// No credentials for the account.
    NoAccount(String),
}

/// A message Twilio has on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    /// `SM…`.
    pub sid: String,
    /// Its text as Twilio rendered it.
    pub body: String,
    /// When Twilio created it.
    pub created: DateTime<Utc>,
}

/// Sends messages to customers.
#[async_trait]
pub trait Messenger: Send + Sync + 'static {
    /// Sends one message; Twilio's `MessageSid` on success.
    async fn send(&self, message: &Outgoing) -> Result<String, SendError>;
    /// The sid of a message already sent with this content since `since`, if any.
    async fn already_sent(
        &self,
        message: &Outgoing,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, SendError>;
}
