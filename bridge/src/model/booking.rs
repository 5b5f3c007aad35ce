//! Reservations (holds and bookings), their history, customers and deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{Money, ProviderId, ServiceId, TenantId};
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Held until `expires_at`.
    Held,
    /// Booked.
    Confirmed,
    /// Cancelled.
    Cancelled,
    /// Moved to another reservation.
    Rescheduled,
    /// A hold given back or lapsed.
    Released,
    /// The customer did not come.
    NoShow,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Held => "held",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Rescheduled => "rescheduled",
            Status::Released => "released",
            Status::NoShow => "no_show",
        }
    }

    /// The status with this stored name.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Held,
            Status::Confirmed,
            Status::Cancelled,
            Status::Rescheduled,
            Status::Released,
            Status::NoShow,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A hold or a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Id.
    pub id: String,
    /// The booking reference once confirmed.
    pub reference: Option<String>,
    /// Tenant.
    pub tenant: TenantId,
    /// Provider.
    pub provider: ProviderId,
    /// Service.
    pub service: ServiceId,
    /// Customer.
    pub customer: PhoneNumber,
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// End, UTC.
    pub end: DateTime<Utc>,
    /// Start of the blocked time (with buffer before).
    pub block_start: DateTime<Utc>,
    /// End of the blocked time (with buffer after).
    pub block_end: DateTime<Utc>,
    /// Status.
    pub status: Status,
    /// When a hold lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Deposit due, if any.
    pub deposit: Option<Money>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Reservation {
    /// Whether it blocks its time at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            Status::Confirmed => true,
            Status::Held => self.expires_at.is_some_and(|e| e > now),
            _ => false,
        }
    }
}

/// One change in a reservation's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// New status. A move shows as `rescheduled`, with the old and new start; the booking
    /// itself stays confirmed.
    pub status: Status,
    /// A move's old start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// A move's new start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// A customer of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Phone number.
    pub phone: PhoneNumber,
    /// Name, when known.
    pub name: Option<String>,
    /// Language, when known.
    pub language: Option<Lang>,
    /// Opted out of messages.
    pub opted_out: bool,
    /// Bookings made.
    pub bookings: u32,
}

pub use slotline_shared::wire::TenantSnapshot;

/// A message's delivery, as Twilio's status callbacks report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Twilio's `MessageSid`.
    pub message_sid: String,
    /// The customer it went to.
    pub customer: PhoneNumber,
    /// The furthest status reported.
    pub status: slotline_shared::wire::DeliveryStatus,
    /// Twilio's error code, on failure.
    pub error_code: Option<u32>,
    /// When the status last moved.
    pub updated_at: DateTime<Utc>,
}
