//! Keeping WhatsApp bookings in step with the business's changes in Cal.com.
//!
//! Fed one [`CalendarEvent`] at a time (parsed from Cal.com's webhook by
//! [`crate::adapters::calcom::webhook`]):
//! - any booking change drops the cached free times of its event type, so a booking made on
//!   the Cal.com page or a synced calendar disappears from WhatsApp at once;
//! - a WhatsApp booking the business moved or cancelled in Cal.com is mirrored, and the
//!   customer is told (the new time; an offer to rebook);
//! - a booking marked absent in Cal.com is marked absent here;
//! - a booking carrying a bridge reference that the bridge neither is making nor has
//!   recorded is an orphan (its create answered after the customer had been told to try
//!   again) and is cancelled, so it does not block the time.
//!
//! Replays change nothing twice (each change applies only to a booking still in the state it
//! expects), and an event for a booking the bridge is itself making or changing — Cal.com
//! sends it before its API call answers — is recognised and left alone.

use std::sync::Arc;

use crate::adapters::calcom::{Calcom, CalendarEvent};
use crate::lifecycle;
use crate::model::{Reservation, Stage, Status, Tenant};
use crate::ports::{BusinessChange, Clock, Planner, Scheduler, Store, StoreError};

/// What the bridge did about an event, for the log and Cal.com's answer.
pub type Outcome = &'static str;

/// What applying an event needs.
pub struct Sync<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The scheduler, whose caches the event may stale.
    pub scheduler: &'a dyn Scheduler,
    /// The time.
    pub clock: &'a dyn Clock,
    /// The Cal.com client, to cancel orphans.
    pub calcom: Option<&'a Arc<Calcom>>,
    /// Deposits: a booking the business cancels gets its paid deposit back in full.
    pub payments: Option<&'a Arc<crate::payments::Payments>>,
}

impl Sync<'_> {
    /// Applies one event of `event_type`.
    pub async fn apply(
        &self,
        event_type: Option<u64>,
        event: CalendarEvent,
    ) -> Result<Outcome, StoreError> {
        self.scheduler.calcom_changed(event_type).await;
        match event {
            CalendarEvent::Created { uid, reference } => self.created(uid, reference).await,
            CalendarEvent::Rescheduled {
                old_uid,
                new_uid,
                start,
                end,
            } => {
                let (r, reference, tenant) = match self.whatsapp_booking(&old_uid).await? {
                    Ok(found) => found,
                    Err(why) => return Ok(why),
                };
                let now = self.clock.now();
                let plan: Planner = Arc::new(move |r| {
                    let mut plan =
                        lifecycle::plan_booking(&tenant, r, now, lifecycle::Told::Already);
                    plan.messages
                        .push(lifecycle::plan_now(&tenant, Stage::Moved, now));
                    plan
                });
                let change = BusinessChange::Moved {
                    start,
                    end,
                    uid: new_uid,
                };
                self.store
                    .business_change(&r.tenant, &reference, &change, now, plan)
                    .await?;
                self.scheduler.config_changed(&r.tenant).await;
                Ok("moved")
            }
            CalendarEvent::Cancelled { uid } => {
                let (r, reference, tenant) = match self.whatsapp_booking(&uid).await? {
                    Ok(found) => found,
                    Err(why) => return Ok(why),
                };
                let now = self.clock.now();
                let plan: Planner = Arc::new(move |_| {
                    vec![lifecycle::plan_now(
                        &tenant,
                        Stage::CancelledByBusiness,
                        now,
                    )]
                    .into()
                });
                self.store
                    .business_change(&r.tenant, &reference, &BusinessChange::Cancelled, now, plan)
                    .await?;
                self.scheduler.config_changed(&r.tenant).await;
                if let Some(payments) = self.payments
                    && let Err(e) = payments.refund_cancelled(&r.tenant, &reference, None).await
                {
                    tracing::error!(tenant = %r.tenant, %reference, "the deposit of a booking the business cancelled was not refunded: {e}");
                }
                Ok("cancelled")
            }
            CalendarEvent::NoShow { uid, absent } => {
                if !absent {
                    return Ok("not absent");
                }
                let Some(r) = self.store.by_external(&uid).await? else {
                    return Ok("not a WhatsApp booking");
                };
                let (Some(reference), Some(tenant)) =
                    (r.reference.clone(), self.store.tenant(&r.tenant).await?)
                else {
                    return Ok("already handled");
                };
                let now = self.clock.now();
                let plan: Planner = Arc::new(move |_| lifecycle::plan_no_show(&tenant, now).into());
                self.store
                    .mark_no_show(&r.tenant, &reference, now, plan)
                    .await?;
                Ok("no-show")
            }
            CalendarEvent::Other => Ok("noted"),
        }
    }

    async fn created(
        &self,
        uid: Option<String>,
        reference: Option<String>,
    ) -> Result<Outcome, StoreError> {
        let Some(reference) = reference else {
            return Ok("made outside WhatsApp");
        };
        let Some(uid) = uid else {
            return Ok("no uid");
        };
        if self.scheduler.is_changing(&reference).await? {
            return Ok("our own booking");
        }
        if self.store.by_external(&uid).await?.is_some() {
            return Ok("already recorded");
        }
        let Some(calcom) = self.calcom else {
            return Ok("no Cal.com client");
        };
        let calcom = Arc::clone(calcom);
        // Cal.com waits for the webhook's answer before answering its own caller: cancel
        // afterwards.
        crate::rt::spawn(async move {
            if let Err(e) = calcom.cancel(&uid, "Not confirmed on WhatsApp").await {
                tracing::warn!(%uid, "an orphan Cal.com booking could not be cancelled: {e}");
            }
        });
        Ok("orphan cancelled")
    }

    /// The confirmed WhatsApp booking Cal.com's `uid` stands for, with its reference and
    /// tenant; or why the event leaves it alone.
    async fn whatsapp_booking(
        &self,
        uid: &str,
    ) -> Result<Result<(Reservation, String, Tenant), Outcome>, StoreError> {
        if self.scheduler.is_changing(uid).await? {
            return Ok(Err("our own change"));
        }
        let Some(r) = self.store.by_external(uid).await? else {
            return Ok(Err("not a WhatsApp booking"));
        };
        let (Some(reference), true) = (r.reference.clone(), r.status == Status::Confirmed) else {
            return Ok(Err("already handled"));
        };
        let Some(tenant) = self.store.tenant(&r.tenant).await? else {
            return Ok(Err("tenant gone"));
        };
        Ok(Ok((r, reference, tenant)))
    }
}
