//! The `Scheduler` port: availability and booking, whichever engine does the scheduling
//! (the built-in one, or Cal.com). Its errors say what went wrong in scheduling terms; only
//! `crate::error` turns them into HTTP answers.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use slotline_shared::catalog::{Money, ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{Booking, Hold, Slot};
use thiserror::Error;

use crate::model::TenantSnapshot;
use crate::ports::StoreError;

/// Why a scheduling call failed.
#[derive(Debug, Error)]
pub enum SchedulerError {
    /// The request names something impossible (too many days, say).
    #[error("{0}")]
    BadRequest(String),
    /// The tenant, service or provider does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Scheduling is paused: the calendar behind it (Cal.com) does not answer.
    #[error("booking is paused, try again shortly ({0})")]
    Paused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a hold request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldResult {
    /// Held.
    Held(Hold),
    /// Not free; the nearest free slots.
    Taken(Vec<Slot>),
}

/// What a confirm, reschedule or cancel came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Done.
    Done(Booking),
    /// The hold lapsed or was released.
    HoldGone,
    /// No such booking for this customer.
    NotFound,
    /// The slot went meanwhile (Cal.com had it booked); the nearest free slots.
    Taken(Vec<Slot>),
}

/// Availability and booking, whichever engine does the scheduling.
#[async_trait]
pub trait Scheduler: Send + Sync + 'static {
    /// The tenant's profile and catalog, version-stamped.
    async fn snapshot(&self, tenant: &TenantId) -> Result<TenantSnapshot, SchedulerError>;
    /// Free slots for `days` tenant-local days from `from`.
    async fn slots(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        from: NaiveDate,
        days: u32,
    ) -> Result<Vec<Slot>, SchedulerError>;
    /// Holds a slot for a customer.
    async fn hold(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        start: DateTime<Utc>,
        customer: &PhoneNumber,
        idempotency_key: &str,
    ) -> Result<HoldResult, SchedulerError>;
    /// Gives a hold back.
    async fn release(&self, tenant: &TenantId, hold: &str) -> Result<(), SchedulerError>;
    /// Turns a hold into a booking.
    async fn confirm(&self, tenant: &TenantId, hold: &str) -> Result<Change, SchedulerError>;
    /// Turns a hold whose deposit was just paid into a booking, and tells the customer (the
    /// conversation is not waiting for it).
    async fn confirm_paid(&self, tenant: &TenantId, hold: &str) -> Result<Change, SchedulerError>;
    /// Turns a hold made outside the conversation (a WhatsApp Flow) into a booking, and
    /// sends the customer the confirmation (no conversation is there to say it).
    async fn confirm_outside(
        &self,
        tenant: &TenantId,
        hold: &str,
    ) -> Result<Change, SchedulerError>;
    /// Moves a booking onto a held slot.
    async fn reschedule(
        &self,
        tenant: &TenantId,
        booking: &str,
        hold: &str,
    ) -> Result<Change, SchedulerError>;
    /// Cancels a customer's booking; with the deposit to refund, if any.
    async fn cancel(
        &self,
        tenant: &TenantId,
        booking: &str,
        customer: &PhoneNumber,
    ) -> Result<(Change, Option<Money>), SchedulerError>;
    /// A customer's upcoming bookings.
    async fn bookings(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
    ) -> Result<Vec<Booking>, SchedulerError>;
    /// Forgets cached configuration and slots of a tenant (after an admin change).
    async fn config_changed(&self, tenant: &TenantId);
    /// Cal.com said an event type's bookings changed (`None`: unknown which).
    async fn calcom_changed(&self, _event_type: Option<u64>) {}
    /// Whether a bridge on the store is itself changing Cal.com booking `uid` right now (so
    /// its webhook is an echo, not the business's change).
    async fn is_changing(&self, _uid: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}
