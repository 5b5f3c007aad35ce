//! The roles the bridge depends on. Adapters in [`crate::adapters`] fill them.
//!
//! Every store call that touches a tenant's data takes its [`TenantId`]: one tenant's
//! caller cannot name another tenant's rows.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use slotline_shared::catalog::{ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::StoreHealth;
use thiserror::Error;

use crate::model::{
    Customer, DateOverride, Delivery, ProviderRecord, Reservation, ServiceRecord, StatusChange,
    Tenant, Weekly,
};

/// Why a store call failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The record exists already.
    #[error("{0} already exists")]
    Conflict(String),
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The backend failed; details are logged, not shown.
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

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
    /// Turns a live hold into a booking with `reference`.
    async fn confirm(
        &self,
        tenant: &TenantId,
        hold: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ChangeOutcome>;
    /// Moves booking `reference` onto a live hold of the same customer, atomically.
    async fn reschedule(
        &self,
        tenant: &TenantId,
        reference: &str,
        hold: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ChangeOutcome>;
    /// Cancels booking `reference` of `customer`.
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

    /// Records a delivery status callback; the status only moves forward (see
    /// `DeliveryStatus::advances_to`). Returns the message's delivery as it now stands.
    async fn record_delivery(
        &self,
        tenant: &TenantId,
        delivery: &Delivery,
    ) -> StoreResult<Delivery>;
    /// The tenant's latest deliveries, most recently updated first.
    async fn deliveries(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>>;

    /// The tenant's customers, most recent first.
    async fn customers(&self, tenant: &TenantId) -> StoreResult<Vec<Customer>>;
}

/// The time, as the bridge sees it. Tests move it by hand.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
