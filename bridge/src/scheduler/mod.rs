//! `EmbeddedScheduler`, the `Scheduler`: the built-in engine, or Cal.com ([`calcom`]).
//!
//! [`EmbeddedScheduler`] answers slot queries from the engine ([`crate::engine`]) over the
//! store's schedules and reservations, and places holds and bookings through the store's
//! atomic operations. Two caches keep the hot path fast:
//!
//! - tenant configuration (profile, catalog, schedules), dropped on every admin change
//!   made through this bridge and re-read after a few seconds otherwise (another instance may
//!   have changed it);
//! - free slots per (tenant, service, provider or any, day), dropped for exactly the
//!   provider-days a hold, booking, cancellation or release touches, and for the whole tenant
//!   on a configuration change.

mod calcom;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use slotline_shared::catalog::{Catalog, ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{Booking, Hold, Slot};

use crate::adapters::calcom::{Attendee, CalError, Calcom};
use crate::engine::{self, Busy, Schedule};
use crate::lifecycle::{self, Told};
use crate::model::{
    ProviderRecord, Reservation, ServiceRecord, Stage, Status, Tenant, TenantSnapshot,
};
use crate::ports::{
    Candidate, Change, ChangeOutcome, Clock, HoldOutcome, HoldResult, NewHold, Planner, Scheduler,
    SchedulerError, Store, StoreChange, StoreError,
};
use calcom::{CalDay, paused};

/// Plans a booking's lifecycle messages under `tenant`'s settings; `first` tells the
/// customer it is made when the conversation has not (see [`lifecycle::plan_booking`]).
pub fn planner(tenant: &Tenant, now: DateTime<Utc>, first: Told) -> Planner {
    let tenant = tenant.clone();
    Arc::new(move |r: &Reservation| lifecycle::plan_booking(&tenant, r, now, first))
}

/// The slot cache's key for `service` with `provider` (or any) on `day`.
fn slot_key(
    config: &Config,
    service: &ServiceRecord,
    provider: Option<&ProviderId>,
    day: NaiveDate,
) -> SlotKey {
    (
        config.tenant.id.clone(),
        service.id.clone(),
        provider.cloned(),
        day,
    )
}

/// Where a day's reservations come from when its free starts are worked out.
#[derive(Clone, Copy)]
enum Busyness<'a> {
    /// Read from the store for that day.
    Read,
    /// Among these, read for several days at once.
    Known(&'a [Reservation]),
    /// Left out: the store checks overlaps itself (a hold).
    Ignored,
}

/// The span whose reservations can block time on the days `first` to `last` in `zone`:
/// the days and 12 hours either side, since buffers reach into a day from both sides.
fn reach(zone: chrono_tz::Tz, first: NaiveDate, last: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let margin = Duration::hours(12);
    let (from, _) = engine::day_bounds(zone, first);
    let (_, to) = engine::day_bounds(zone, last);
    (from - margin, to + margin)
}

/// How long cached configuration is trusted without a change through this bridge.
const CONFIG_TTL: Duration = Duration::seconds(5);
/// How long cached slots are trusted at most (minimum notice moves with the clock).
const SLOTS_TTL: Duration = Duration::seconds(30);
/// The period round-robin fairness looks back over.
const FAIRNESS_WINDOW: Duration = Duration::days(30);

/// A tenant's configuration, loaded once and shared.
struct Config {
    loaded_at: DateTime<Utc>,
    version: u64,
    tenant: Tenant,
    services: Vec<ServiceRecord>,
    providers: Vec<ProviderRecord>,
    schedules: HashMap<ProviderId, Schedule>,
}

impl Config {
    fn service(&self, id: &ServiceId) -> Result<&ServiceRecord, SchedulerError> {
        self.services
            .iter()
            .find(|s| &s.id == id && s.active)
            .ok_or_else(|| SchedulerError::NotFound(format!("service {id}")))
    }

    /// Active providers who perform `service`, or just `only` if given (and able).
    fn able(
        &self,
        service: &ServiceId,
        only: Option<&ProviderId>,
    ) -> Result<Vec<&ProviderRecord>, SchedulerError> {
        let able: Vec<&ProviderRecord> = self
            .providers
            .iter()
            .filter(|p| p.active && p.services.contains(service))
            .filter(|p| only.is_none_or(|id| &p.id == id))
            .collect();
        if let (Some(id), true) = (only, able.is_empty()) {
            return Err(SchedulerError::NotFound(format!(
                "provider {id} for service {service}"
            )));
        }
        Ok(able)
    }

    fn request(&self, service: &ServiceRecord, now: DateTime<Utc>) -> engine::Request {
        let p = &self.tenant.policy;
        engine::Request {
            duration: Duration::minutes(i64::from(service.duration_min)),
            buffer_before: Duration::minutes(i64::from(service.buffer_before_min)),
            buffer_after: Duration::minutes(i64::from(service.buffer_after_min)),
            step: Duration::minutes(i64::from(p.slot_step_min.max(5))),
            tenant_zone: self.tenant.zone,
            now,
            earliest: now + Duration::minutes(i64::from(p.min_notice_min)),
            latest: now + Duration::days(i64::from(p.window_days)),
        }
    }
}

type SlotKey = (TenantId, ServiceId, Option<ProviderId>, NaiveDate);

struct CachedSlots {
    slots: Vec<Slot>,
    valid_until: DateTime<Utc>,
}

/// The scheduler. On its own it is the built-in engine; given a Cal.com client
/// ([`EmbeddedScheduler::with_calcom`], "`CalcomScheduler`") the free times of every provider
/// with a Cal.com event type for the service come from Cal.com, bookings are made there at
/// confirmation, and holds stay in the bridge's store (Cal.com's reservations do not protect
/// a booking in the API version the bridge speaks).
pub struct EmbeddedScheduler {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    caches: Arc<Caches>,
    calcom: Option<Arc<Calcom>>,
}

/// What the scheduler keeps between calls; shared with the task that hears other bridges'
/// changes.
#[derive(Default)]
struct Caches {
    configs: Mutex<HashMap<TenantId, Arc<Config>>>,
    slots: Mutex<HashMap<SlotKey, CachedSlots>>,
    cal_days: Mutex<HashMap<(u64, NaiveDate), CalDay>>,
}

impl Caches {
    /// Forgets what `change` made stale.
    fn apply(&self, change: &StoreChange, now: DateTime<Utc>) {
        match change {
            StoreChange::Slots {
                tenant,
                provider,
                start,
            } => {
                // Cached days are tenant-local; any zone is within a day of UTC.
                let day = start.date_naive();
                let near = |d: NaiveDate| (d - day).num_days().abs() <= 2;
                lock(&self.slots).retain(|(t, _, p, d), _| {
                    !(t == tenant && near(*d) && p.as_ref().is_none_or(|p| p == provider))
                });
            }
            StoreChange::Config { tenant } => {
                lock(&self.configs).remove(tenant);
                lock(&self.slots).retain(|k, _| &k.0 != tenant);
            }
            StoreChange::Calcom { event_type } => {
                // Kept, but stale: they are asked for again, and served only while Cal.com
                // is away.
                for ((et, _), day) in lock(&self.cal_days).iter_mut() {
                    if event_type.is_none_or(|e| e == *et) {
                        day.mark_stale(now);
                    }
                }
                lock(&self.slots).clear();
            }
            StoreChange::All => {
                lock(&self.configs).clear();
                lock(&self.slots).clear();
                for day in lock(&self.cal_days).values_mut() {
                    day.mark_stale(now);
                }
            }
        }
    }
}

/// Applies the changes other bridges announce on the store to `caches`, until the
/// scheduler is gone.
#[cfg(feature = "native")]
async fn follow(
    mut changes: tokio::sync::broadcast::Receiver<StoreChange>,
    caches: std::sync::Weak<Caches>,
    clock: Arc<dyn Clock>,
) {
    loop {
        let change = match changes.recv().await {
            Ok(change) => change,
            // Fell behind: some changes are lost, so everything cached may be stale.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => StoreChange::All,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let Some(caches) = caches.upgrade() else {
            return;
        };
        caches.apply(&change, clock.now());
    }
}

/// The scheduler in Cal.com mode.
pub type CalcomScheduler = EmbeddedScheduler;

impl EmbeddedScheduler {
    /// A scheduler over `store`, telling time by `clock`.
    /// On a store other bridges share, it follows their announced changes.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let caches = Arc::new(Caches::default());
        #[cfg(feature = "native")]
        if let (Some(changes), Ok(runtime)) =
            (store.changes(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(follow(changes, Arc::downgrade(&caches), Arc::clone(&clock)));
        }
        Self {
            store,
            clock,
            caches,
            calcom: None,
        }
    }

    /// Forgets what `change` made stale here and tells the other bridges on the store.
    async fn changed(&self, change: StoreChange) {
        self.caches.apply(&change, self.clock.now());
        if let Err(e) = self.store.announce(&change).await {
            // Their caches expire on their own (slots within 30 s).
            tracing::warn!(error = %e, "could not announce a change to other bridges");
        }
    }

    /// [`Self::changed`] for a reservation of `provider` at `start`.
    async fn slots_changed(&self, tenant: &TenantId, provider: &ProviderId, start: DateTime<Utc>) {
        self.changed(StoreChange::Slots {
            tenant: tenant.clone(),
            provider: provider.clone(),
            start,
        })
        .await;
    }

    async fn config(&self, tenant: &TenantId) -> Result<Arc<Config>, SchedulerError> {
        let now = self.clock.now();
        if let Some(c) = lock(&self.caches.configs).get(tenant)
            && now - c.loaded_at < CONFIG_TTL
        {
            return Ok(Arc::clone(c));
        }
        // The version first: settings read after it are at least that new, so a change
        // made meanwhile shows as a newer version at the next load, never the reverse.
        let version = self.store.config_version(tenant).await?;
        let (t, services, providers) = futures_util::future::try_join3(
            self.store.tenant(tenant),
            self.store.services(tenant),
            self.store.providers(tenant),
        )
        .await?;
        let t = t.ok_or_else(|| SchedulerError::NotFound(format!("tenant {tenant}")))?;
        // Asked all at once: the store answers them together (one pass of the SQLite
        // store's thread, concurrent queries on PostgreSQL), not one round trip each.
        let hours = futures_util::future::try_join_all(providers.iter().map(|p| {
            futures_util::future::try_join(
                self.store.weekly(tenant, &p.id),
                self.store.overrides(tenant, &p.id),
            )
        }))
        .await?;
        let mut schedules = HashMap::new();
        for (p, (weekly, overrides)) in providers.iter().zip(hours) {
            let zone = p.zone.unwrap_or(t.zone);
            schedules.insert(
                p.id.clone(),
                Schedule::new(p.id.clone(), zone, weekly, &overrides, p.max_per_day),
            );
        }
        let config = Arc::new(Config {
            loaded_at: now,
            version,
            tenant: t,
            services,
            providers,
            schedules,
        });
        let mut configs = lock(&self.caches.configs);
        // A changed version means cached slots were computed from stale rules.
        if configs
            .get(tenant)
            .is_some_and(|old| old.version != version)
        {
            lock(&self.caches.slots).retain(|k, _| &k.0 != tenant);
        }
        configs.insert(tenant.clone(), Arc::clone(&config));
        Ok(config)
    }

    /// Drops cached slots around `start` for `provider` (and "any").
    fn invalidate(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        start: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) {
        let day = start.with_timezone(&zone).date_naive();
        let near = |d: NaiveDate| (d - day).num_days().abs() <= 1;
        lock(&self.caches.slots).retain(|(t, _, p, d), _| {
            !(t == tenant && near(*d) && p.as_ref().is_none_or(|p| p == provider))
        });
    }

    /// Free starts of each able provider on `day`.
    async fn compute_day(
        &self,
        config: &Config,
        service: &ServiceRecord,
        providers: &[&ProviderRecord],
        day: NaiveDate,
        now: DateTime<Utc>,
        busy: Busyness<'_>,
    ) -> Result<Vec<(ProviderId, Vec<DateTime<Utc>>)>, SchedulerError> {
        let req = config.request(service, now);
        let (from, to) = reach(config.tenant.zone, day, day);
        let reservations = match busy {
            Busyness::Read => {
                let ids: Vec<ProviderId> = providers.iter().map(|p| p.id.clone()).collect();
                self.store
                    .active_reservations(&config.tenant.id, &ids, from, to, now)
                    .await?
            }
            // The store's own test, on reservations read for several days at once.
            Busyness::Known(known) => known
                .iter()
                .filter(|r| r.block_start < to && r.block_end > from)
                .cloned()
                .collect(),
            Busyness::Ignored => Vec::new(),
        };
        let mut out = Vec::new();
        for p in providers {
            if let (Some(calcom), Some(event_type)) =
                (&self.calcom, p.calcom_event_types.get(&service.id))
            {
                let starts = self
                    .cal_starts(calcom, *event_type, config.tenant.zone, day)
                    .await?;
                // Cal.com knows its own bookings; the bridge's live holds it does not.
                let free = starts
                    .into_iter()
                    .filter(|s| *s >= req.earliest && *s <= req.latest)
                    .filter(|s| {
                        let (a, b) = req.block(*s);
                        !reservations
                            .iter()
                            .any(|r| r.provider == p.id && r.block_start < b && r.block_end > a)
                    })
                    .collect();
                out.push((p.id.clone(), free));
                continue;
            }
            let Some(schedule) = config.schedules.get(&p.id) else {
                continue;
            };
            let busy: Vec<Busy> = reservations
                .iter()
                .filter(|r| r.provider == p.id)
                .map(|r| Busy {
                    start: r.block_start,
                    end: r.block_end,
                    booked_start: r.start,
                })
                .collect();
            out.push((
                p.id.clone(),
                engine::free_starts(&req, schedule, &busy, day),
            ));
        }
        Ok(out)
    }

    async fn day_slots(
        &self,
        config: &Config,
        service: &ServiceRecord,
        provider: Option<&ProviderId>,
        day: NaiveDate,
        known: Option<&[Reservation]>,
    ) -> Result<Vec<Slot>, SchedulerError> {
        let now = self.clock.now();
        if let Some(hit) = self.cached_day(config, service, provider, day, now) {
            return Ok(hit);
        }
        let key = slot_key(config, service, provider, day);
        let providers = config.able(&service.id, provider)?;
        let busy = known.map_or(Busyness::Read, Busyness::Known);
        let per_provider = self
            .compute_day(config, service, &providers, day, now, busy)
            .await?;
        let mut slots: Vec<Slot> = match provider {
            Some(id) => per_provider
                .into_iter()
                .flat_map(|(_, starts)| starts)
                .map(|start| Slot {
                    start,
                    provider: Some(id.clone()),
                })
                .collect(),
            None => {
                let mut starts: Vec<DateTime<Utc>> =
                    per_provider.into_iter().flat_map(|(_, s)| s).collect();
                starts.sort_unstable();
                starts.dedup();
                starts
                    .into_iter()
                    .map(|start| Slot {
                        start,
                        provider: None,
                    })
                    .collect()
            }
        };
        slots.sort_by_key(|s| s.start);
        lock(&self.caches.slots).insert(
            key,
            CachedSlots {
                slots: slots.clone(),
                valid_until: now + SLOTS_TTL,
            },
        );
        Ok(slots)
    }

    /// A day's slots from the cache, while still valid.
    fn cached_day(
        &self,
        config: &Config,
        service: &ServiceRecord,
        provider: Option<&ProviderId>,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<Vec<Slot>> {
        let key = slot_key(config, service, provider, day);
        lock(&self.caches.slots)
            .get(&key)
            .filter(|hit| hit.valid_until > now)
            .map(|hit| hit.slots.clone())
    }

    /// The nearest free slots to `start` on its day and the next, at most three.
    async fn alternatives(
        &self,
        config: &Config,
        service: &ServiceRecord,
        provider: Option<&ProviderId>,
        start: DateTime<Utc>,
    ) -> Result<Vec<Slot>, SchedulerError> {
        let day = start.with_timezone(&config.tenant.zone).date_naive();
        let mut free = Vec::new();
        for d in [Some(day), day.succ_opt()].into_iter().flatten() {
            free.extend(self.day_slots(config, service, provider, d, None).await?);
        }
        free.sort_by_key(|s| (s.start - start).num_seconds().abs());
        free.truncate(3);
        free.sort_by_key(|s| s.start);
        Ok(free)
    }
}

/// A reservation as the customer sees it.
fn booking_of(r: &Reservation) -> Booking {
    Booking {
        reference: r.reference.clone().unwrap_or_default(),
        service: r.service.clone(),
        provider: r.provider.clone(),
        start: r.start,
        deposit: r.deposit.clone(),
        reminded_at: None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A short booking reference derived from the hold's id, so confirming twice yields the
/// same one: `SL-` and six characters customers can read out (no 0/O, 1/I).
pub fn reference_for(hold_id: &str) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let digest = Sha256::digest(hold_id.as_bytes());
    let code: String = digest
        .iter()
        .take(6)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("SL-{code}")
}

impl EmbeddedScheduler {
    /// Turns a hold into a booking; `first` says who tells the customer (see [`Told`]).
    async fn confirm_telling(
        &self,
        tenant: &TenantId,
        hold: &str,
        first: Told,
    ) -> Result<Change, SchedulerError> {
        let now = self.clock.now();
        let config = self.config(tenant).await?;
        if let Some((calcom, event_type, r)) = self.calcom_target(&config, hold).await? {
            return self
                .confirm_in_calcom(&config, &calcom, event_type, r, first)
                .await;
        }
        Ok(
            match self
                .store
                .confirm(
                    tenant,
                    hold,
                    &reference_for(hold),
                    now,
                    planner(&config.tenant, now, first),
                )
                .await?
            {
                ChangeOutcome::Done(r) => {
                    self.slots_changed(tenant, &r.provider, r.start).await;
                    Change::Done(booking_of(&r))
                }
                ChangeOutcome::HoldGone => Change::HoldGone,
                ChangeOutcome::NotFound => Change::NotFound,
            },
        )
    }
}

#[async_trait]
impl Scheduler for EmbeddedScheduler {
    async fn snapshot(&self, tenant: &TenantId) -> Result<TenantSnapshot, SchedulerError> {
        let c = self.config(tenant).await?;
        Ok(TenantSnapshot {
            version: c.version,
            profile: c.tenant.profile(self.clock.now()),
            catalog: Catalog {
                services: c
                    .services
                    .iter()
                    .filter(|s| s.active)
                    .map(ServiceRecord::public)
                    .collect(),
                providers: c
                    .providers
                    .iter()
                    .filter(|p| p.active)
                    .map(ProviderRecord::public)
                    .collect(),
            },
        })
    }

    async fn slots(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        from: NaiveDate,
        days: u32,
    ) -> Result<Vec<Slot>, SchedulerError> {
        if days == 0 || days > 31 {
            return Err(SchedulerError::BadRequest(
                "days must be between 1 and 31".into(),
            ));
        }
        let config = self.config(tenant).await?;
        let service = config.service(service)?.clone();
        let days: Vec<NaiveDate> = (0..days)
            .map_while(|offset| from.checked_add_days(chrono::Days::new(u64::from(offset))))
            .collect();
        // Days not in the cache are worked out from one read of the reservations over all
        // of them, not one read a day.
        let now = self.clock.now();
        let missing: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|d| {
                self.cached_day(&config, &service, provider, *d, now)
                    .is_none()
            })
            .collect();
        let known = match (missing.first(), missing.last()) {
            (Some(first), Some(last)) if missing.len() > 1 => {
                let ids: Vec<ProviderId> = config
                    .able(&service.id, provider)?
                    .iter()
                    .map(|p| p.id.clone())
                    .collect();
                let (from, to) = reach(config.tenant.zone, *first, *last);
                Some(
                    self.store
                        .active_reservations(&config.tenant.id, &ids, from, to, now)
                        .await?,
                )
            }
            _ => None,
        };
        let mut out = Vec::new();
        for day in days {
            out.extend(
                self.day_slots(&config, &service, provider, day, known.as_deref())
                    .await?,
            );
        }
        Ok(out)
    }

    async fn hold(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        start: DateTime<Utc>,
        customer: &PhoneNumber,
        idempotency_key: &str,
    ) -> Result<HoldResult, SchedulerError> {
        let now = self.clock.now();
        let config = self.config(tenant).await?;
        let svc = config.service(service)?.clone();
        let able = config.able(service, provider)?;
        let req = config.request(&svc, now);
        let day = start.with_timezone(&config.tenant.zone).date_naive();
        // Only providers whose working hours (or Cal.com) and the tenant's rules allow this
        // start; the store then checks overlaps and daily limits atomically.
        let allowed: Vec<ProviderId> = self
            .compute_day(&config, &svc, &able, day, now, Busyness::Ignored)
            .await?
            .into_iter()
            .filter(|(_, starts)| starts.contains(&start))
            .map(|(p, _)| p)
            .collect();
        let candidates: Vec<Candidate> = able
            .iter()
            .filter(|p| allowed.contains(&p.id))
            .map(|p| Candidate {
                provider: p.id.clone(),
                weight: p.weight,
                max_per_day: p.max_per_day,
            })
            .collect();
        let (block_start, block_end) = req.block(start);
        let new = NewHold {
            tenant: tenant.clone(),
            service: service.clone(),
            candidates,
            customer: customer.clone(),
            start,
            end: start + req.duration,
            block_start,
            block_end,
            expires_at: now + Duration::minutes(i64::from(config.tenant.policy.hold_ttl_min)),
            day: engine::day_bounds(config.tenant.zone, day),
            fairness_since: now - FAIRNESS_WINDOW,
            idempotency_key: idempotency_key.to_owned(),
            deposit: svc.public().deposit,
        };
        let (outcome, reason) = if new.candidates.is_empty() {
            (HoldOutcome::Taken, None)
        } else {
            self.store.hold(&new, now).await?
        };
        match outcome {
            HoldOutcome::Held(r) => {
                if provider.is_none()
                    && let Some(reason) = reason
                {
                    tracing::info!(tenant = %tenant, hold = %r.id, "any available: {reason}");
                }
                self.slots_changed(tenant, &r.provider, r.start).await;
                Ok(HoldResult::Held(Hold {
                    id: r.id,
                    service: r.service,
                    provider: r.provider,
                    start: r.start,
                    expires_at: r.expires_at.unwrap_or(now),
                }))
            }
            HoldOutcome::Taken => {
                // Someone else's hold may not be in the cache yet.
                for p in &able {
                    self.invalidate(tenant, &p.id, start, config.tenant.zone);
                }
                Ok(HoldResult::Taken(
                    self.alternatives(&config, &svc, provider, start).await?,
                ))
            }
        }
    }

    async fn release(&self, tenant: &TenantId, hold: &str) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        // An unknown tenant is refused here as everywhere.
        self.config(tenant).await?;
        if let Some(r) = self.store.reservation(tenant, hold).await? {
            self.store.release(tenant, hold, now).await?;
            self.slots_changed(tenant, &r.provider, r.start).await;
        }
        Ok(())
    }

    async fn confirm(&self, tenant: &TenantId, hold: &str) -> Result<Change, SchedulerError> {
        self.confirm_telling(tenant, hold, Told::Already).await
    }

    async fn confirm_paid(&self, tenant: &TenantId, hold: &str) -> Result<Change, SchedulerError> {
        self.confirm_telling(tenant, hold, Told::By(Stage::Paid))
            .await
    }

    async fn confirm_outside(
        &self,
        tenant: &TenantId,
        hold: &str,
    ) -> Result<Change, SchedulerError> {
        self.confirm_telling(tenant, hold, Told::Waiting(Stage::Confirmation))
            .await
    }

    async fn reschedule(
        &self,
        tenant: &TenantId,
        booking: &str,
        hold: &str,
    ) -> Result<Change, SchedulerError> {
        let now = self.clock.now();
        let config = self.config(tenant).await?;
        let plan = planner(&config.tenant, now, Told::Already);
        // In Cal.com, the booking moves first; the store follows.
        let mut moved_in_calcom = None;
        if let Some((calcom, event_type, new)) = self.calcom_target(&config, hold).await?
            && new.status == Status::Held
            && new.is_active(now)
            && let Some(uid) = self.store.external_of(tenant, booking).await?
        {
            let moved = self
                .while_changing(&uid, async { Ok(calcom.reschedule(&uid, new.start).await) })
                .await?;
            match moved {
                Ok(cal) => moved_in_calcom = Some(cal.uid),
                Err(CalError::SlotTaken) => {
                    self.store.release(tenant, hold, now).await?;
                    self.forget_calcom(Some(event_type)).await;
                    let svc = config.service(&new.service)?.clone();
                    let alternatives = self
                        .alternatives(&config, &svc, Some(&new.provider), new.start)
                        .await?;
                    return Ok(Change::Taken(alternatives));
                }
                Err(e) => return Err(paused(&e)),
            }
            self.forget_calcom(Some(event_type)).await;
        }
        Ok(
            match self
                .store
                .reschedule(tenant, booking, hold, now, plan)
                .await?
            {
                ChangeOutcome::Done(r) => {
                    if let Some(uid) = &moved_in_calcom {
                        self.store.set_external(tenant, booking, uid).await?;
                    }
                    // Both the old and the new time changed; a reschedule is rare enough to
                    // simply drop the tenant's cached slots (and, on other bridges, its
                    // configuration with them).
                    self.changed(StoreChange::Config {
                        tenant: tenant.clone(),
                    })
                    .await;
                    Change::Done(booking_of(&r))
                }
                ChangeOutcome::HoldGone => Change::HoldGone,
                ChangeOutcome::NotFound => Change::NotFound,
            },
        )
    }

    async fn cancel(
        &self,
        tenant: &TenantId,
        booking: &str,
        customer: &PhoneNumber,
    ) -> Result<(Change, Option<slotline_shared::catalog::Money>), SchedulerError> {
        let now = self.clock.now();
        let config = self.config(tenant).await?;
        // In Cal.com first (only the customer's own, still confirmed booking).
        if let Some(calcom) = &self.calcom
            && let Some(r) = self.store.booking(tenant, booking).await?
            && r.status == Status::Confirmed
            && &r.customer == customer
            && let Some(uid) = self.store.external_of(tenant, booking).await?
        {
            self.while_changing(&uid, async {
                calcom
                    .cancel(&uid, "Cancelled by the customer on WhatsApp")
                    .await
                    .map_err(|e| paused(&e))
            })
            .await?;
            if let Some(p) = config.providers.iter().find(|p| p.id == r.provider) {
                self.forget_calcom(p.calcom_event_types.get(&r.service).copied())
                    .await;
            }
        }
        Ok(
            match self.store.cancel(tenant, booking, customer, now).await? {
                ChangeOutcome::Done(r) => {
                    self.slots_changed(tenant, &r.provider, r.start).await;
                    let policy = config.tenant.conversation_policy();
                    let refund = r
                        .deposit
                        .as_ref()
                        .map(|d| policy.refund_of(d, r.start, now))
                        .filter(|m| m.minor > 0);
                    (Change::Done(booking_of(&r)), refund)
                }
                ChangeOutcome::HoldGone => (Change::HoldGone, None),
                ChangeOutcome::NotFound => (Change::NotFound, None),
            },
        )
    }

    async fn bookings(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
    ) -> Result<Vec<Booking>, SchedulerError> {
        let now = self.clock.now();
        let upcoming = self.store.upcoming(tenant, customer, now).await?;
        let reminded = self.store.reminded(tenant, customer).await?;
        Ok(upcoming
            .iter()
            .map(|r| {
                let mut b = booking_of(r);
                b.reminded_at = reminded
                    .iter()
                    .find(|(reference, _)| *reference == b.reference)
                    .map(|(_, at)| *at);
                b
            })
            .collect())
    }

    async fn config_changed(&self, tenant: &TenantId) {
        self.changed(StoreChange::Config {
            tenant: tenant.clone(),
        })
        .await;
    }

    async fn calcom_changed(&self, event_type: Option<u64>) {
        self.changed(StoreChange::Calcom { event_type }).await;
    }

    async fn is_changing(&self, uid: &str) -> Result<bool, StoreError> {
        self.store.is_changing(uid, self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_stable_readable_and_distinct() {
        let a = reference_for("hold-1");
        assert_eq!(a, reference_for("hold-1"));
        assert_ne!(a, reference_for("hold-2"));
        assert!(a.starts_with("SL-") && a.len() == 9, "{a}");
        assert!(!a[3..].contains(['0', 'O', '1', 'I']), "{a}");
    }
}
