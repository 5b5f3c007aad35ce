//! The `Store` port: everything the bridge keeps.
//!
//! Every store call that touches a tenant's data takes its [`TenantId`]: one tenant's
//! caller cannot name another tenant's rows.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use slotline_shared::catalog::{ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::StoreHealth;
use thiserror::Error;

use crate::lifecycle::Plan;
use crate::model::{
    AuditEntry, Credentials, Customer, DateOverride, Delivery, Document, DocumentKind, Payment,
    PaymentState, ProviderRecord, Reservation, ServiceRecord, Session, Stage, StatusChange, Tenant,
    Ticket, TicketKind, TicketUse, User, Weekly,
};
use crate::ports::CallGate;

/// Plans the lifecycle messages of a booking as it stands after a change; the store writes
/// them in the change's own transaction, replacing the booking's pending ones.
pub type Planner = Arc<dyn Fn(&Reservation) -> Plan + Send + Sync>;

/// A planner that plans nothing (tests, imports).
pub fn no_messages() -> Planner {
    Arc::new(|_| Plan::default())
}

/// Where an outbox message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its time (or being sent).
    Pending,
    /// Accepted by Twilio.
    Sent,
    /// Refused for good; see the error code.
    Failed,
    /// Not sent on purpose (opted out, no template outside the window, booking gone).
    Skipped,
    /// Withdrawn before sending (the booking moved or was cancelled).
    Dropped,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Skipped => "skipped",
            OutboxState::Dropped => "dropped",
        }
    }

    /// The state with this stored name.
    pub fn parse(text: &str) -> Option<OutboxState> {
        [
            OutboxState::Pending,
            OutboxState::Sent,
            OutboxState::Failed,
            OutboxState::Skipped,
            OutboxState::Dropped,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One lifecycle message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMessage {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant: TenantId,
    /// Recipient.
    pub customer: PhoneNumber,
    /// The booking it is about.
    pub reference: Option<String>,
    /// Which message.
    pub stage: Stage,
    /// When it was meant for.
    pub due_at: DateTime<Utc>,
    /// When it may go (after quiet hours, or a retry's backoff).
    pub send_at: DateTime<Utc>,
    /// Where it is.
    pub state: OutboxState,
    /// Send attempts so far.
    pub attempts: u32,
    /// Twilio's `MessageSid`, once sent.
    pub message_sid: Option<String>,
    /// Twilio's error code of the last failure.
    pub error_code: Option<u32>,
    /// Why it failed or was skipped.
    pub detail: Option<String>,
    /// When Twilio accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// `session` or `template`, once sent.
    pub via: Option<String>,
    /// Only an approved template may carry it (Twilio reported 63016 for the session form).
    pub template_only: bool,
    /// When an earlier attempt began whose result was never recorded (its sender died):
    /// the message may have gone, so the dispatcher checks before sending again.
    #[serde(skip)]
    pub in_doubt_since: Option<DateTime<Utc>>,
}

/// How a send attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Twilio accepted it.
    Sent {
        /// `MessageSid`.
        sid: String,
        /// `session` or `template`.
        via: &'static str,
    },
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Twilio's error code, if any.
        error_code: Option<u32>,
        /// What happened.
        detail: String,
    },
    /// Refused for good.
    Failed {
        /// Twilio's error code, if any.
        error_code: Option<u32>,
        /// What happened.
        detail: String,
    },
    /// Not sent on purpose.
    Skipped {
        /// Why.
        detail: String,
    },
}

/// A change the business made to a booking outside the bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusinessChange {
    /// Moved: the new times and Cal.com uid.
    Moved {
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
        /// The booking's new uid in Cal.com.
        uid: String,
    },
    /// Cancelled.
    Cancelled,
}

/// What the bridge knows of a customer's reachability.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// When the customer last wrote (as the worker reported it).
    pub seen_at: Option<DateTime<Utc>>,
    /// Opted out of messages.
    pub opted_out: bool,
    /// Language, when known.
    pub language: Option<slotline_shared::i18n::Lang>,
}

/// Why a store call failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The record exists already.
    #[error("{0} already exists")]
    Conflict(String),
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The backend failed; details are logged, not shown. The backend's own error is kept
    /// as the source.
    #[error("store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A backend failure described in words (no error value to keep).
    pub fn backend(what: impl Into<String>) -> Self {
        StoreError::Backend(what.into().into())
    }
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A message to a customer about a hold that is not (or not yet) a booking: its deposit
/// was not paid in time, or was paid too late. The hold is given `reference` so the
/// message can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldNotice {
    /// The reference the hold is known by from now on.
    pub reference: String,
    /// The message.
    pub planned: crate::lifecycle::Planned,
}

/// A new hold, as the scheduler asks for it. The store picks the provider (if several
/// candidates) and inserts the hold in one transaction, so no two active reservations of
/// one provider ever overlap.
#[derive(Debug, Clone)]
pub struct NewHold {
    /// Tenant.
    pub tenant: TenantId,
    /// Service.
    pub service: ServiceId,
    /// Providers who could take it, with their per-day limits.
    pub candidates: Vec<Candidate>,
    /// Customer.
    pub customer: PhoneNumber,
    /// Start and end of the service.
    pub start: DateTime<Utc>,
    /// End of the service.
    pub end: DateTime<Utc>,
    /// Blocked time, buffers included.
    pub block_start: DateTime<Utc>,
    /// End of the blocked time.
    pub block_end: DateTime<Utc>,
    /// When the hold lapses.
    pub expires_at: DateTime<Utc>,
    /// Bounds of the tenant-local day, for per-day limits.
    pub day: (DateTime<Utc>, DateTime<Utc>),
    /// Round-robin fairness counts bookings made since this time.
    pub fairness_since: DateTime<Utc>,
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// Deposit due.
    pub deposit: Option<slotline_shared::catalog::Money>,
}

/// A provider who could take a hold.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Who.
    pub provider: ProviderId,
    /// Round-robin weight.
    pub weight: u32,
    /// Per-day limit.
    pub max_per_day: Option<u32>,
}

/// What became of a hold request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    /// Held (or, for a repeated key, the hold made the first time).
    Held(Box<Reservation>),
    /// No candidate is free at that time.
    Taken,
}

/// What became of a confirm, reschedule or cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Done (or already done): the reservation as it now stands.
    Done(Box<Reservation>),
    /// The hold lapsed or was released.
    HoldGone,
    /// No such booking for this customer.
    NotFound,
}

/// A change one bridge made that others on the same store must forget their caches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// Reservations of `provider` around `start` changed: free times near it are stale.
    Slots {
        /// Tenant.
        tenant: TenantId,
        /// Provider.
        provider: ProviderId,
        /// Start of the changed reservation.
        start: DateTime<Utc>,
    },
    /// A tenant's configuration changed.
    Config {
        /// Tenant.
        tenant: TenantId,
    },
    /// Cal.com's bookings of an event type changed (`None`: unknown which).
    Calcom {
        /// The event type.
        event_type: Option<u64>,
    },
    /// Changes may have been missed (the feed was down): forget everything cached.
    All,
}

/// Persistence for tenants, catalogs, schedules, reservations and customers.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the store answers right now.
    async fn health(&self) -> StoreHealth;

    /// Creates a tenant with the hash of its API key; `Conflict` if the id is taken.
    async fn create_tenant(&self, tenant: &Tenant, key_hash: &str) -> StoreResult<()>;
    /// Replaces a tenant's settings.
    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// A tenant.
    async fn tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    /// The tenant whose API key has this hash.
    async fn tenant_for_key(&self, key_hash: &str) -> StoreResult<Option<TenantId>>;
    /// Every tenant.
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// The tenant's configuration version, bumped by every catalog or schedule change.
    async fn config_version(&self, tenant: &TenantId) -> StoreResult<u64>;

    /// Creates or replaces a service.
    async fn put_service(&self, tenant: &TenantId, service: &ServiceRecord) -> StoreResult<()>;
    /// Removes a service; `false` if there was none.
    async fn delete_service(&self, tenant: &TenantId, id: &ServiceId) -> StoreResult<bool>;
    /// All services, in creation order.
    async fn services(&self, tenant: &TenantId) -> StoreResult<Vec<ServiceRecord>>;

    /// Creates or replaces a provider.
    async fn put_provider(&self, tenant: &TenantId, provider: &ProviderRecord) -> StoreResult<()>;
    /// Removes a provider; `false` if there was none.
    async fn delete_provider(&self, tenant: &TenantId, id: &ProviderId) -> StoreResult<bool>;
    /// All providers, in creation order.
    async fn providers(&self, tenant: &TenantId) -> StoreResult<Vec<ProviderRecord>>;

    /// Replaces a provider's weekly hours.
    async fn set_weekly(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        weekly: &Weekly,
    ) -> StoreResult<()>;
    /// A provider's weekly hours (empty if never set).
    async fn weekly(&self, tenant: &TenantId, provider: &ProviderId) -> StoreResult<Weekly>;
    /// Creates or replaces a date override.
    async fn put_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        o: &DateOverride,
    ) -> StoreResult<()>;
    /// Removes a date override; `false` if there was none.
    async fn delete_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        date: NaiveDate,
    ) -> StoreResult<bool>;
    /// A provider's overrides, by date.
    async fn overrides(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
    ) -> StoreResult<Vec<DateOverride>>;

    /// Reservations of these providers that block time between `from` and `to` at `now`.
    async fn active_reservations(
        &self,
        tenant: &TenantId,
        providers: &[ProviderId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>>;
    /// Places a hold atomically: see [`NewHold`].
    async fn hold(
        &self,
        hold: &NewHold,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldOutcome, Option<String>)>;
    /// Gives a hold back.
    async fn release(&self, tenant: &TenantId, hold: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// Turns a live hold into a booking with `reference`, and puts `plan`'s messages in the
    /// outbox (dropping the customer's pending re-engagement: they are back).
    async fn confirm(
        &self,
        tenant: &TenantId,
        hold: &str,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome>;
    /// Moves booking `reference` onto a live hold of the same customer, atomically, and
    /// replaces its pending messages with `plan`'s.
    async fn reschedule(
        &self,
        tenant: &TenantId,
        reference: &str,
        hold: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome>;
    /// Marks booking `reference` absent: drops its pending messages, adds `plan`'s.
    async fn mark_no_show(
        &self,
        tenant: &TenantId,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome>;
    /// Cancels booking `reference` of `customer` and drops its pending messages.
    async fn cancel(
        &self,
        tenant: &TenantId,
        reference: &str,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<ChangeOutcome>;
    /// A reservation by id.
    async fn reservation(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Reservation>>;
    /// A customer's confirmed bookings starting after `now`, earliest first.
    async fn upcoming(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>>;
    /// Bookings (any status but held/released) starting in `[from, to)`, earliest first.
    async fn bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>>;
    /// A reservation's status history, oldest first.
    async fn history(&self, tenant: &TenantId, id: &str) -> StoreResult<Vec<StatusChange>>;
    /// Marks lapsed holds released; returns how many.
    async fn expire_holds(&self, now: DateTime<Utc>) -> StoreResult<usize>;

    // Deposits (see `crate::payments`).

    /// Stretches a hold that is still held and live at `now` to last until `until` (its
    /// deposit is being paid). Whether it was.
    async fn extend_hold(
        &self,
        tenant: &TenantId,
        hold: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Stores `payment` unless its hold has one already; returns the one stored.
    async fn open_payment(&self, payment: &Payment) -> StoreResult<Payment>;
    /// The payment of a hold.
    async fn payment(&self, tenant: &TenantId, hold: &str) -> StoreResult<Option<Payment>>;
    /// Payments still creating or open whose window ended before `before`, oldest first,
    /// at most `limit`, every tenant's.
    async fn lapsed_payments(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Payment>>;
    /// The payment a Stripe Checkout Session (`cs_…`) belongs to.
    async fn payment_by_session(&self, session: &str) -> StoreResult<Option<Payment>>;
    /// Replaces a payment that is still in state `expected` (a compare-and-set: two
    /// bridges or two deliveries of one event cannot both move it) and, in the same
    /// transaction, queues `notice` to its customer about its hold. Whether it was replaced.
    async fn update_payment(
        &self,
        payment: &Payment,
        expected: PaymentState,
        notice: Option<&HoldNotice>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    // Receipts and credit notes (see `crate::receipts`).

    /// Issues `draft` with the next number of its kind in its tenant's series (gapless:
    /// the number is taken in the transaction that stores it) unless a document with its
    /// key exists, and when it is new queues `notice` to its hold's customer in the same
    /// transaction. The document stored under the key.
    async fn issue_document(
        &self,
        draft: &Document,
        notice: Option<&HoldNotice>,
        now: DateTime<Utc>,
    ) -> StoreResult<Document>;
    /// A tenant's document of `kind` numbered `number`.
    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
        number: u32,
    ) -> StoreResult<Option<Document>>;
    /// The documents issued for a hold, oldest first.
    async fn documents_of(&self, tenant: &TenantId, hold: &str) -> StoreResult<Vec<Document>>;
    /// A tenant's documents issued in `[from, to)`, oldest first, at most `limit`.
    async fn documents_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Document>>;

    /// Records a delivery status callback; the status only moves forward (see
    /// `DeliveryStatus::advances_to`). Returns the message's delivery as it now stands.
    async fn record_delivery(
        &self,
        tenant: &TenantId,
        delivery: &Delivery,
    ) -> StoreResult<Delivery>;
    /// The tenant's latest deliveries, most recently updated first.
    async fn deliveries(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>>;

    /// Claims up to `per_tenant` due outbox messages of each tenant for `lease`: no other
    /// dispatcher gets them until the lease runs out without a result.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        per_tenant: usize,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Records how sending claimed messages went.
    async fn settle(
        &self,
        results: &[(String, SendOutcome)],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The tenant's outbox, latest first.
    async fn outbox(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<OutboxMessage>>;
    /// A sent session message Twilio later failed with 63016 (outside the window): queue it
    /// again, as a template. `false` if no such message.
    async fn resend_as_template(
        &self,
        tenant: &TenantId,
        message_sid: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// When each of the customer's bookings was last reminded (reference → time).
    async fn reminded(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;
    /// A booking by reference, in any status.
    async fn booking(&self, tenant: &TenantId, reference: &str)
    -> StoreResult<Option<Reservation>>;

    /// Records that the customer wrote at `at` (in `language`, if known).
    async fn seen(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        at: DateTime<Utc>,
        language: Option<slotline_shared::i18n::Lang>,
    ) -> StoreResult<()>;
    /// Records an opt-out (`true`) or opt-in; opting out drops pending messages.
    async fn set_opted_out(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// What the bridge knows of reaching this customer.
    async fn reach(&self, tenant: &TenantId, customer: &PhoneNumber) -> StoreResult<Reach>;
    /// Records a 1–5 rating of booking `reference` (or, without one, of the customer's
    /// booking they were last asked to rate) and updates its provider's average. Returns the
    /// booking rated, `None` if there is nothing to rate.
    async fn rate(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        reference: Option<&str>,
        stars: u8,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<String>>;

    /// Records the Cal.com uid of booking `reference`.
    async fn set_external(&self, tenant: &TenantId, reference: &str, uid: &str) -> StoreResult<()>;
    /// The Cal.com uid of booking `reference`.
    async fn external_of(&self, tenant: &TenantId, reference: &str) -> StoreResult<Option<String>>;
    /// The booking with Cal.com uid `uid`, in any tenant.
    async fn by_external(&self, uid: &str) -> StoreResult<Option<Reservation>>;
    /// Mirrors a change the business made in Cal.com to confirmed booking `reference`, and
    /// replaces its pending messages with `plan`'s. `NotFound` if it is not confirmed.
    async fn business_change(
        &self,
        tenant: &TenantId,
        reference: &str,
        change: &BusinessChange,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome>;

    /// The tenant's customers, most recent first.
    async fn customers(&self, tenant: &TenantId) -> StoreResult<Vec<Customer>>;

    /// How many outbox messages are in each state, over every tenant (for monitoring);
    /// states with none are left out.
    async fn outbox_depth(&self) -> StoreResult<Vec<(OutboxState, u64)>>;

    // Dashboard accounts and their sessions.

    /// Creates a business, its API key and its first owner in one transaction; `Conflict`
    /// when the business id or the owner's email is taken (and then nothing is created).
    async fn sign_up(
        &self,
        tenant: &Tenant,
        key_hash: &str,
        owner: &User,
        password_hash: &str,
    ) -> StoreResult<()>;

    /// Adds a user; `Conflict` when their email is taken by any user of any business.
    async fn create_user(&self, user: &User, password_hash: &str) -> StoreResult<()>;

    /// The user signing in with `email` (lower-cased), with what a sign-in checks.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(User, Credentials)>>;

    /// The users of `tenant`, oldest first.
    async fn users(&self, tenant: &TenantId) -> StoreResult<Vec<User>>;

    /// Counts a failed sign-in of `user_id`; the `max`-th in a row locks the account until
    /// `lock_until` and starts the count again. The credentials after it.
    async fn login_failed(
        &self,
        user_id: &str,
        max: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<Credentials>;

    /// A good sign-in: the failure count goes back to zero.
    async fn login_succeeded(&self, user_id: &str) -> StoreResult<()>;

    /// Opens a session, found again by the SHA-256 of its cookie token.
    async fn open_session(&self, token_hash: &str, session: &Session) -> StoreResult<()>;

    /// The session with this token hash and its user, unless it has expired at `now`.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, User)>>;

    /// Records that a session was used at `now` and now ends at `expires_at`.
    async fn touch_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's sessions that have not expired at `now`, newest first.
    async fn sessions_of(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<Vec<Session>>;

    /// Ends the user's session with public id `session_id`; whether there was one.
    async fn end_session(&self, user_id: &str, session_id: &str) -> StoreResult<bool>;

    /// Replaces the tenant's API key: the old one stops working at once.
    async fn rotate_key(&self, tenant: &TenantId, key_hash: &str) -> StoreResult<()>;

    /// Appends a change to the tenant's audit log.
    async fn record_audit(&self, tenant: &TenantId, entry: &AuditEntry) -> StoreResult<()>;

    /// The tenant's audit log, newest first, at most `limit` entries.
    async fn audit_log(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<AuditEntry>>;

    /// Sets a user's password; every session of theirs ends and a lockout is lifted.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()>;

    /// Keeps a one-time ticket, replacing any with the same key.
    async fn put_ticket(&self, ticket: &Ticket) -> StoreResult<()>;

    /// The ticket with this key and kind, unless it has expired at `now`.
    async fn ticket(
        &self,
        key: &str,
        kind: TicketKind,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Ticket>>;

    /// Shows a ticket's secret, atomically: the right one uses the ticket up; a wrong one
    /// counts, and the `max_attempts`-th wrong one destroys it. Two callers never both use
    /// one ticket.
    async fn use_ticket(
        &self,
        key: &str,
        kind: TicketKind,
        secret_hash: &str,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<TicketUse>;

    /// A business's tickets of `kind` that have not expired at `now`, newest first.
    async fn tickets(
        &self,
        tenant: &TenantId,
        kind: TicketKind,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Ticket>>;

    /// Withdraws one of a business's tickets; whether there was one.
    async fn drop_ticket(&self, tenant: &TenantId, key: &str) -> StoreResult<bool>;

    // Worker-signature nonces, shared by every bridge on the store.

    /// Records `nonce` as used until `forget_at`; `false` if it is in use already (a replay).
    /// A nonce whose time has passed may be used again: its signature's timestamp is refused
    /// long before.
    async fn claim_nonce(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
        forget_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Counts one use of `what` for `tenant` (e.g. `llm:2026-12`, its language-model calls
    /// that month) unless `limit` are counted already; whether this one was. Shared by
    /// every bridge on the store, and atomic: two bridges never both take the last one.
    async fn count_use(&self, tenant: &TenantId, what: &str, limit: u32) -> StoreResult<bool>;

    /// Reserves the next `count` send slots of `sender`, `gap` apart, across every bridge on
    /// the store; the first slot's moment (the others follow it `gap` apart). `None`: only
    /// this process uses the store, and it paces by itself.
    async fn reserve_sends(
        &self,
        _sender: &str,
        _count: u32,
        _gap: chrono::Duration,
        _now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(None)
    }

    /// Gives back `sender`'s reserved slots from `from` on (a block whose last slot ended
    /// at `until`) when no bridge has reserved after them, so the next reservation starts
    /// there instead of leaving them unused; otherwise they lapse.
    async fn release_sends(
        &self,
        _sender: &str,
        _from: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> StoreResult<()> {
        Ok(())
    }

    // Cal.com changes in flight, shared by every bridge on the store.

    /// Marks Cal.com booking `key` (its uid, or the reference a booking being made carries)
    /// as being changed by a bridge from `now` until `until`: Cal.com's webhooks for it
    /// meanwhile are that bridge's own doing, whichever bridge receives them. The mark's
    /// token, for [`Store::unmark_changing`]; two marks of one key are independent.
    async fn mark_changing(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<String>;

    /// Ends the mark `token` of `key` (the change is done, or failed).
    async fn unmark_changing(&self, key: &str, token: &str) -> StoreResult<()>;

    /// Whether some bridge is changing `key` at `now` (a mark not ended nor run out).
    async fn is_changing(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// The budget and breaker in front of the outside API `name` (e.g. Cal.com), shared by
    /// every bridge on this store; `None` when only this process uses the store, and the
    /// caller keeps its own.
    fn call_gate(&self, _name: &str, _per_minute: u32) -> Option<Arc<dyn CallGate>> {
        None
    }

    // Cache invalidation across bridges sharing the store.

    /// Tells every bridge on this store (itself included) about `change`. A store only one
    /// process uses has no one to tell.
    async fn announce(&self, _change: &StoreChange) -> StoreResult<()> {
        Ok(())
    }

    /// The changes announced on this store, for a bridge's caches; `None` when only this
    /// process uses the store.
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<StoreChange>> {
        None
    }
}
