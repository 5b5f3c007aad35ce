//! The scheduler in Cal.com mode: free times from Cal.com (cached, served stale while it is
//! away), bookings made there at confirmation, and the uids this bridge is changing right
//! now, so their webhooks are told from the business's changes.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;

/// Free starts Cal.com gave for an event type on a day, and when.
pub(super) struct CalDay {
    fetched: DateTime<Utc>,
    /// When these times were last known good (for serving them stale).
    stale_since: Option<DateTime<Utc>>,
    starts: Vec<DateTime<Utc>>,
}

impl CalDay {
    /// Asked for again at the next use; served meanwhile only while Cal.com is away.
    pub(super) fn mark_stale(&mut self, now: DateTime<Utc>) {
        self.fetched = DateTime::<Utc>::MIN_UTC;
        self.stale_since.get_or_insert(now);
    }
}

/// How long Cal.com's free starts are used without asking again.
const CAL_FRESH: Duration = Duration::seconds(30);
/// How long they may still be served while Cal.com does not answer.
const CAL_STALE: Duration = Duration::minutes(15);
/// Days fetched from Cal.com in one call.
const CAL_PREFETCH_DAYS: u64 = 7;

impl EmbeddedScheduler {
    /// A scheduler that books through Cal.com for providers with event types.
    pub fn with_calcom(store: Arc<dyn Store>, clock: Arc<dyn Clock>, calcom: Arc<Calcom>) -> Self {
        Self {
            calcom: Some(calcom),
            ..Self::new(store, clock)
        }
    }

    /// Forgets Cal.com's free times of `event_type` (all of them for `None`), and every
    /// cached slot list they fed, here and on the other bridges of the store.
    pub(super) async fn forget_calcom(&self, event_type: Option<u64>) {
        self.changed(StoreChange::Calcom { event_type }).await;
    }

    /// Cal.com's free starts of `event_type` on tenant-local `day`: fresh from cache, else
    /// fetched (a week at once), else stale from cache while Cal.com does not answer.
    pub(super) async fn cal_starts(
        &self,
        calcom: &Calcom,
        event_type: u64,
        zone: chrono_tz::Tz,
        day: NaiveDate,
    ) -> Result<Vec<DateTime<Utc>>, SchedulerError> {
        let now = self.clock.now();
        if let Some(hit) = lock(&self.caches.cal_days).get(&(event_type, day))
            && now - hit.fetched < CAL_FRESH
        {
            return Ok(hit.starts.clone());
        }
        let last = day
            .checked_add_days(chrono::Days::new(CAL_PREFETCH_DAYS - 1))
            .unwrap_or(day);
        let (from, _) = engine::day_bounds(zone, day);
        let (_, to) = engine::day_bounds(zone, last);
        match calcom.slots(event_type, from, to).await {
            Ok(starts) => {
                let mut days = lock(&self.caches.cal_days);
                for offset in 0..CAL_PREFETCH_DAYS {
                    let Some(d) = day.checked_add_days(chrono::Days::new(offset)) else {
                        break;
                    };
                    let (a, b) = engine::day_bounds(zone, d);
                    days.insert(
                        (event_type, d),
                        CalDay {
                            fetched: now,
                            stale_since: None,
                            starts: starts
                                .iter()
                                .copied()
                                .filter(|s| *s >= a && *s < b)
                                .collect(),
                        },
                    );
                }
                Ok(days
                    .get(&(event_type, day))
                    .map(|c| c.starts.clone())
                    .unwrap_or_default())
            }
            Err(e) => {
                tracing::warn!(event_type, "Cal.com slots failed: {e}");
                match lock(&self.caches.cal_days).get(&(event_type, day)) {
                    Some(stale) if now - stale.stale_since.unwrap_or(stale.fetched) < CAL_STALE => {
                        Ok(stale.starts.clone())
                    }
                    _ => Err(paused(&e)),
                }
            }
        }
    }

    /// For a hold whose provider books `service` through Cal.com: the client, the event
    /// type and the hold.
    pub(super) async fn calcom_target(
        &self,
        config: &Config,
        hold: &str,
    ) -> Result<Option<(Arc<Calcom>, u64, Reservation)>, SchedulerError> {
        let Some(calcom) = &self.calcom else {
            return Ok(None);
        };
        let Some(r) = self.store.reservation(&config.tenant.id, hold).await? else {
            return Ok(None);
        };
        let event_type = config
            .providers
            .iter()
            .find(|p| p.id == r.provider)
            .and_then(|p| p.calcom_event_types.get(&r.service).copied());
        Ok(event_type.map(|et| (Arc::clone(calcom), et, r)))
    }

    /// Books a live hold in Cal.com, then confirms it in the store.
    pub(super) async fn confirm_in_calcom(
        &self,
        config: &Config,
        calcom: &Calcom,
        event_type: u64,
        hold: Reservation,
        first: Told,
    ) -> Result<Change, SchedulerError> {
        let now = self.clock.now();
        match hold.status {
            // A retry after success: the booking made the first time.
            Status::Confirmed => return Ok(Change::Done(booking_of(&hold))),
            Status::Held if hold.is_active(now) => {}
            _ => return Ok(Change::HoldGone),
        }
        // Cal.com announces the booking before its answer arrives, to whichever bridge: that
        // webhook is ours.
        let reference = reference_for(&hold.id);
        self.while_changing(
            &reference,
            self.book_then_confirm(config, calcom, event_type, &hold, now, first),
        )
        .await
    }

    /// [`Self::confirm_in_calcom`] once the hold is known live and marked as changing.
    async fn book_then_confirm(
        &self,
        config: &Config,
        calcom: &Calcom,
        event_type: u64,
        hold: &Reservation,
        now: DateTime<Utc>,
        first: Told,
    ) -> Result<Change, SchedulerError> {
        let tenant = &config.tenant.id;
        let reference = &reference_for(&hold.id);
        let svc = config.service(&hold.service)?.clone();
        let reach = self.store.reach(tenant, &hold.customer).await?;
        let attendee = Attendee {
            name: format!("WhatsApp {}", hold.customer.as_e164()),
            phone: hold.customer.as_e164().to_owned(),
            zone: config.tenant.zone.name().to_owned(),
            language: reach
                .language
                .unwrap_or_else(|| {
                    slotline_shared::lang::Lang::default_of(&config.tenant.languages)
                })
                .code()
                .to_owned(),
        };
        let cal = match calcom
            .book(
                event_type,
                hold.start,
                svc.duration_min,
                &attendee,
                reference,
            )
            .await
        {
            Ok(cal) => cal,
            Err(CalError::SlotTaken) => {
                self.store.release(tenant, &hold.id, now).await?;
                self.forget_calcom(Some(event_type)).await;
                let alternatives = self
                    .alternatives(config, &svc, Some(&hold.provider), hold.start)
                    .await?;
                return Ok(Change::Taken(alternatives));
            }
            Err(e) => return Err(paused(&e)),
        };
        self.forget_calcom(Some(event_type)).await;
        match self
            .store
            .confirm(
                tenant,
                &hold.id,
                reference,
                now,
                planner(&config.tenant, now, first),
            )
            .await?
        {
            ChangeOutcome::Done(r) => {
                self.store.set_external(tenant, reference, &cal.uid).await?;
                Ok(Change::Done(booking_of(&r)))
            }
            other => {
                // The hold lapsed while Cal.com booked: give Cal.com its slot back.
                if let Err(e) = calcom.cancel(&cal.uid, "The WhatsApp hold lapsed").await {
                    tracing::error!(uid = %cal.uid, "a lapsed hold's Cal.com booking could not be cancelled: {e}");
                }
                Ok(match other {
                    ChangeOutcome::NotFound => Change::NotFound,
                    _ => Change::HoldGone,
                })
            }
        }
    }

    /// Does `work` with Cal.com booking `key` marked as this bridge's change on the store,
    /// so every bridge tells its webhooks from the business's changes.
    pub(super) async fn while_changing<T>(
        &self,
        key: &str,
        work: impl std::future::Future<Output = Result<T, SchedulerError>>,
    ) -> Result<T, SchedulerError> {
        let now = self.clock.now();
        let token = self
            .store
            .mark_changing(key, now, now + CHANGE_MARK)
            .await?;
        let out = work.await;
        if let Err(e) = self.store.unmark_changing(key, &token).await {
            tracing::warn!(
                key,
                "a Cal.com change stays marked until the mark runs out: {e}"
            );
        }
        out
    }
}

/// How long a Cal.com change stays marked should its bridge die before ending the mark:
/// well past the Cal.com call's own limit and the store writes after it.
const CHANGE_MARK: Duration = Duration::seconds(30);

/// What a customer hears when Cal.com cannot be reached: booking is paused for now.
pub(super) fn paused(e: &CalError) -> SchedulerError {
    SchedulerError::Paused(e.to_string())
}
