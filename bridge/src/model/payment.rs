//! Deposits: a tenant's Stripe settings and one payment per held booking.
//!
//! A booking whose service asks a deposit is not confirmed when the customer says yes: its
//! hold is stretched to the tenant's payment window and a Stripe Checkout Session is opened
//! on the tenant's connected account. Stripe's webhook then confirms it (paid) or lets it
//! go (expired). The [`Payment`] row carries that story; its [`PaymentState`] only moves
//! forward, so Stripe's events may come late, twice or out of order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{Money, TenantId};

use super::{FieldErrors, problem};

/// How a business takes deposits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentSettings {
    /// The business's Stripe connected account (`acct_…`); `None` takes no deposits (the
    /// deposit is then only mentioned, as before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stripe_account: Option<String>,
    /// How long a customer has to pay before the slot is released, in minutes. Stripe's
    /// Checkout cannot expire sooner than 30 minutes, so that is the least.
    pub window_min: u32,
    /// The platform's fee on each deposit, in percent of it (Stripe's
    /// `application_fee_amount`); `None` takes none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_fee_percent: Option<u32>,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            stripe_account: None,
            window_min: 30,
            platform_fee_percent: None,
        }
    }
}

impl PaymentSettings {
    /// Adds the settings' problems to `e`.
    pub fn check(&self, e: &mut FieldErrors) {
        if self.stripe_account.as_deref().is_some_and(|a| {
            !(a.starts_with("acct_")
                && (6..=64).contains(&a.len())
                && a[5..].bytes().all(|b| b.is_ascii_alphanumeric()))
        }) {
            problem(
                e,
                "payments.stripe_account",
                "a Stripe account id: acct_ and letters or digits",
            );
        }
        if !(30..=24 * 60).contains(&self.window_min) {
            problem(
                e,
                "payments.window_min",
                "between 30 (Stripe Checkout's shortest expiry) and 1440",
            );
        }
        if self.platform_fee_percent.is_some_and(|p| p > 50) {
            problem(e, "payments.platform_fee_percent", "at most 50");
        }
    }
}

/// Where a deposit stands. The order is the order of life: a payment never moves back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Asked of Stripe; its answer is not stored yet (a retry asks again with the same
    /// idempotency key and gets the same session).
    Creating,
    /// The Checkout page is open for the customer.
    Open,
    /// Paid: the booking is confirmed (or, if the slot went meanwhile, refunded).
    Paid,
    /// Not paid in time: the slot was released.
    Expired,
    /// Paid, then given back in full (the slot had gone when the payment arrived).
    Refunded,
}

impl PaymentState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Creating => "creating",
            PaymentState::Open => "open",
            PaymentState::Paid => "paid",
            PaymentState::Expired => "expired",
            PaymentState::Refunded => "refunded",
        }
    }

    /// The state with this stored name.
    pub fn parse(text: &str) -> Option<PaymentState> {
        [
            PaymentState::Creating,
            PaymentState::Open,
            PaymentState::Paid,
            PaymentState::Expired,
            PaymentState::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether a payment at `self` may move to `next`: only forward; expired and refunded
    /// are final, and a paid one can only be refunded.
    pub fn may_become(self, next: PaymentState) -> bool {
        match self {
            PaymentState::Creating => matches!(
                next,
                PaymentState::Open | PaymentState::Paid | PaymentState::Expired
            ),
            PaymentState::Open => matches!(next, PaymentState::Paid | PaymentState::Expired),
            PaymentState::Paid => next == PaymentState::Refunded,
            PaymentState::Expired | PaymentState::Refunded => false,
        }
    }
}

/// The deposit of one held booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The tenant.
    pub tenant: TenantId,
    /// The hold (reservation id) it pays for.
    pub hold: String,
    /// How many sessions were asked for this hold; part of the idempotency key, so a new
    /// attempt after an expiry is a new session and a retry of one is the same.
    pub attempt: u32,
    /// The amount.
    pub amount: Money,
    /// Where it stands.
    pub state: PaymentState,
    /// Stripe's Checkout Session (`cs_…`), once Stripe answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The page the customer pays on, while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Stripe's PaymentIntent (`pi_…`), known once paid; refunds name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// When the customer must have paid by.
    pub pay_by: DateTime<Utc>,
    /// Refunded so far, in minor units.
    #[serde(default)]
    pub refunded_minor: i64,
    /// Refunds asked of Stripe, oldest first, each as it last stood.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<RefundRecord>,
    /// The hold this payment's booking was made on instead, when the money came after its
    /// own hold lapsed and the same time was held again; replays then settle that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Where a refund stands at Stripe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// On its way (some methods take days).
    Pending,
    /// Stripe needs something from the business first.
    RequiresAction,
    /// The money is back with the customer.
    Succeeded,
    /// It could not be made; the money stayed with the business.
    Failed,
    /// Cancelled before it was made.
    Canceled,
}

impl RefundStatus {
    /// Stripe's `status` of a refund.
    pub fn parse(text: &str) -> Option<RefundStatus> {
        Some(match text {
            "pending" => RefundStatus::Pending,
            "requires_action" => RefundStatus::RequiresAction,
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "canceled" => RefundStatus::Canceled,
            _ => return None,
        })
    }

    /// Whether it will not change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RefundStatus::Succeeded | RefundStatus::Failed | RefundStatus::Canceled
        )
    }

    /// Whether the money is given back, or on its way.
    pub fn gives_back(self) -> bool {
        !matches!(self, RefundStatus::Failed | RefundStatus::Canceled)
    }
}

/// One refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    /// Stripe's refund (`re_…`).
    pub id: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Where it stands.
    pub status: RefundStatus,
}

impl Payment {
    /// The idempotency key of this attempt's Checkout Session: the same for every retry of
    /// it, scoped by the connected account as Stripe scopes keys.
    pub fn checkout_key(&self, account: &str) -> String {
        format!(
            "checkout:{account}:{}:{}:{}",
            self.tenant, self.hold, self.attempt
        )
    }

    /// The idempotency key of the refund of this payment.
    pub fn refund_key(&self, account: &str, what: &str) -> String {
        format!("refund:{account}:{}:{}:{what}", self.tenant, self.hold)
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentState::*;

    #[test]
    fn a_payment_only_moves_forward_and_paid_or_expired_is_final() {
        assert!(Creating.may_become(Open));
        assert!(Creating.may_become(Paid));
        assert!(Open.may_become(Paid));
        assert!(Open.may_become(Expired));
        assert!(
            !Paid.may_become(Expired),
            "a late expiry does not undo a payment"
        );
        assert!(!Expired.may_become(Paid));
        assert!(!Open.may_become(Creating));
        assert!(!Open.may_become(Open));
    }
}
