//! Messages exchanged between the worker and the bridge, defined once for both sides.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Money, ProviderId, ServiceId, TenantId, TenantProfile};
use crate::phone::PhoneNumber;

/// The bridge's answer to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The bridge's version (its package version).
    pub version: String,
    /// Whether the store answered.
    pub store: StoreHealth,
}

/// The store's condition as the bridge sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StoreHealth {
    /// The store answered a trivial query.
    Ok {
        /// Which backend: `sqlite` or `postgres`.
        backend: String,
    },
    /// The store did not answer; the reason is safe to show (no paths or credentials).
    Unavailable {
        /// Which backend: `sqlite` or `postgres`.
        backend: String,
        /// A short, operator-facing reason.
        reason: String,
    },
}

/// A bookable start time. `provider` is `None` when the slot was asked for "any available":
/// the bridge picks the provider when the slot is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// Who would perform it, when fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
}

/// A slot reserved for one customer until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The bridge's id for the hold.
    pub id: String,
    /// What is held.
    pub service: ServiceId,
    /// Who performs it (chosen by the bridge for "any available").
    pub provider: ProviderId,
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// When the hold lapses unless confirmed.
    pub expires_at: DateTime<Utc>,
}

/// A confirmed booking as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Short reference shown to the customer, e.g. `SL-7K3Q`.
    pub reference: String,
    /// The service.
    pub service: ServiceId,
    /// The provider.
    pub provider: ProviderId,
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// Deposit paid, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit: Option<Money>,
    /// When the business last reminded the customer of it: a "cancel" typed soon after is
    /// about this booking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<DateTime<Utc>>,
}

/// What the conversation asks of the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum BridgeRequest {
    /// Free start times for `service` over `days` local days from `from`.
    Slots {
        /// The service.
        service: ServiceId,
        /// One provider, or `None` for any available.
        provider: Option<ProviderId>,
        /// First local day (tenant's zone).
        from: NaiveDate,
        /// Number of days.
        days: u32,
    },
    /// Reserve a slot for this customer.
    Hold {
        /// The service.
        service: ServiceId,
        /// One provider, or `None` for any available (the bridge picks fairly).
        provider: Option<ProviderId>,
        /// Start, UTC.
        start: DateTime<Utc>,
        /// The customer.
        customer: PhoneNumber,
        /// Makes a retry return the first answer.
        idempotency_key: String,
    },
    /// Give a hold back (fire and forget).
    Release {
        /// The hold.
        hold: String,
    },
    /// Turn a hold into a booking.
    Confirm {
        /// The hold.
        hold: String,
        /// Makes a retry return the first answer.
        idempotency_key: String,
    },
    /// Move a booking onto a held slot, atomically.
    Reschedule {
        /// The booking's reference.
        booking: String,
        /// The hold on the new slot.
        hold: String,
        /// Makes a retry return the first answer.
        idempotency_key: String,
    },
    /// Cancel a booking.
    Cancel {
        /// The booking's reference.
        booking: String,
        /// The customer, who must own the booking.
        customer: PhoneNumber,
        /// Makes a retry return the first answer.
        idempotency_key: String,
    },
    /// The customer's upcoming bookings.
    Bookings {
        /// The customer.
        customer: PhoneNumber,
    },
    /// The customer wrote (reported at most every few minutes): it opens WhatsApp's 24-hour
    /// window for session messages.
    Seen {
        /// The customer.
        customer: PhoneNumber,
        /// Their language, when known.
        lang: Option<crate::i18n::Lang>,
    },
    /// May the worker ask the language model about this tenant's customer's message? Counts
    /// one call against the tenant's monthly budget when it may.
    ModelCall,
    /// The customer opted out (`true`, STOP) or back in (`false`, START).
    OptOut {
        /// The customer.
        customer: PhoneNumber,
        /// Opted out.
        opted_out: bool,
    },
    /// The customer rated a visit 1–5.
    Rate {
        /// The customer.
        customer: PhoneNumber,
        /// The booking, when the rating came from its buttons; otherwise the one the
        /// customer was last asked about.
        reference: Option<String>,
        /// Stars, 1–5.
        stars: u8,
    },
    /// Twilio reported a message's delivery status (its status callback).
    Delivery {
        /// Twilio's `MessageSid`.
        message_sid: String,
        /// The customer the message went to.
        customer: PhoneNumber,
        /// The reported status.
        status: DeliveryStatus,
        /// Twilio's error code, on failure.
        error_code: Option<u32>,
    },
}

/// Where a sent message is, as Twilio's status callbacks report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted by Twilio.
    Queued,
    /// Being sent.
    Sending,
    /// Handed to WhatsApp.
    Sent,
    /// On the customer's phone.
    Delivered,
    /// Read by the customer.
    Read,
    /// Could not be delivered (final).
    Undelivered,
    /// Failed (final); see the error code.
    Failed,
}

impl DeliveryStatus {
    /// Twilio's name for a status (`MessageStatus`).
    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        Some(match text {
            "queued" | "accepted" | "scheduled" => DeliveryStatus::Queued,
            "sending" => DeliveryStatus::Sending,
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "undelivered" => DeliveryStatus::Undelivered,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sending => 1,
            DeliveryStatus::Sent => 2,
            DeliveryStatus::Undelivered | DeliveryStatus::Failed => 3,
            DeliveryStatus::Delivered => 4,
            DeliveryStatus::Read => 5,
        }
    }

    /// Whether a callback saying `next` moves a message that is at `self` forward. Callbacks
    /// arrive out of order and more than once: only forward moves count, and a failure is
    /// final.
    pub fn advances_to(self, next: DeliveryStatus) -> bool {
        let final_failure = matches!(self, DeliveryStatus::Undelivered | DeliveryStatus::Failed);
        !final_failure && next.rank() > self.rank()
    }
}

/// The bridge's answer to a [`BridgeRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BridgeAnswer {
    /// Free slots, earliest first.
    Slots {
        /// The slots.
        slots: Vec<Slot>,
    },
    /// The hold was granted.
    Held {
        /// The hold.
        hold: Hold,
    },
    /// The slot is no longer free; these are the nearest free ones.
    Taken {
        /// Nearest free slots, earliest first.
        alternatives: Vec<Slot>,
    },
    /// A booking was made.
    Booked {
        /// The booking.
        booking: Booking,
    },
    /// The service takes a deposit: the slot stays held until `hold.expires_at` while the
    /// customer pays on `url`. No `url` means the payment page is being made (the payment
    /// provider was slow); asking to confirm again gets it.
    PaymentDue {
        /// The hold, stretched to the payment window.
        hold: Hold,
        /// What is due now.
        amount: Money,
        /// The page to pay on.
        url: Option<String>,
    },
    /// A booking was moved.
    Rescheduled {
        /// The booking at its new time.
        booking: Booking,
    },
    /// A booking was cancelled.
    Cancelled {
        /// The cancelled booking.
        booking: Booking,
        /// The refunded deposit, if any.
        refund: Option<Money>,
    },
    /// A hold was given back (the answer to [`BridgeRequest::Release`]).
    Released,
    /// A delivery status was recorded (the answer to [`BridgeRequest::Delivery`]).
    Recorded,
    /// The answer to [`BridgeRequest::ModelCall`]: whether the call is within budget.
    ModelCall {
        /// The call was counted and may go ahead.
        allowed: bool,
    },
    /// A rating was recorded for this booking (`None`: nothing to rate).
    Rated {
        /// The booking rated.
        reference: Option<String>,
    },
    /// The customer's upcoming bookings, earliest first.
    Bookings {
        /// The bookings.
        bookings: Vec<Booking>,
    },
    /// The request was refused for a reason the customer can act on (e.g. the hold expired).
    Failed {
        /// Operator-facing reason.
        reason: String,
    },
    /// The bridge could not be reached or did not answer in time.
    Unavailable,
}

/// Everything the conversation needs about a tenant, stamped with a version that changes
/// with every edit so edge caches can tell when they are stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSnapshot {
    /// Configuration version.
    pub version: u64,
    /// Profile.
    pub profile: TenantProfile,
    /// Active catalog.
    pub catalog: Catalog,
}

/// The tenants a WhatsApp number serves: one for a dedicated number, several for a shared
/// one (customers then pick by keyword).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRoute {
    /// Tenants on this number.
    pub tenants: Vec<RouteTenant>,
}

/// A tenant as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTenant {
    /// Id.
    pub id: TenantId,
    /// Business name (also accepted as a keyword).
    pub name: String,
    /// Keywords that select it.
    pub keywords: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::{self, *};

    #[test]
    fn delivery_statuses_only_move_forward_and_failures_are_final() {
        assert!(Queued.advances_to(Sent));
        assert!(Sent.advances_to(Delivered));
        assert!(Delivered.advances_to(Read));
        assert!(
            !Delivered.advances_to(Sent),
            "a late 'sent' does not undo 'delivered'"
        );
        assert!(!Read.advances_to(Delivered));
        assert!(Sent.advances_to(Failed));
        assert!(!Failed.advances_to(Delivered), "a failure is final");
        assert!(!Delivered.advances_to(Failed));
        assert_eq!(DeliveryStatus::parse("undelivered"), Some(Undelivered));
        assert_eq!(DeliveryStatus::parse("bogus"), None);
    }
}
