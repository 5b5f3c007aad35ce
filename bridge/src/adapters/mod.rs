//! Implementations of the bridge's ports, one folder or file per technology.
//!
//! - [`http`]: `ReqwestClient`, outbound HTTP for the native binary.
//! - [`sqlite`]: `SqliteStore`, the embedded `Store`.
//! - [`postgres`]: `PgStore`, the `Store` several bridges share.
//! - [`calcom`]: Cal.com API v2: the client the scheduler uses in Cal.com mode, and the
//!   webhook parser.
//! - [`stripe`]: `StripeClient`, Checkout Sessions and refunds on a tenant's connected
//!   account, and the webhook events deposits act on.
//! - [`twilio`]: `TwilioMessenger`, the `Messenger` over Twilio's REST and Content APIs.
//! - [`twilio_setup`]: registering a business's own WhatsApp number (Senders API).

pub mod calcom;
#[cfg(feature = "native")]
pub mod http;
#[cfg(feature = "native")]
pub mod postgres;
pub mod sqlite;
pub mod stripe;
pub mod twilio;
pub mod twilio_setup;

#[cfg(feature = "native")]
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use twilio::TwilioMessenger;
