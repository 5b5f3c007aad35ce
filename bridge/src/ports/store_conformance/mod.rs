//! The `Store` conformance suite: what every store backend must do, checked the same way
//! for each. A backend's tests instantiate it with [`store_conformance!`], passing an async
//! factory that returns a fresh, empty store.
//!
//! Time is passed explicitly to every store call, so these checks move the clock by hand.

#![allow(missing_docs)]

mod accounts;
mod bookings;
mod messages;
mod settings;

pub use accounts::*;
pub use bookings::*;
pub use messages::*;
pub use settings::*;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use slotline_shared::catalog::{Money, ProviderId, TenantId};
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;

use crate::model::{
    BookingPolicy, DateOverride, Interval, ProviderRecord, ServiceRecord, Status, Tenant, Weekly,
};
use crate::ports::no_messages;
use crate::ports::{Candidate, ChangeOutcome, HoldOutcome, NewHold, Store, StoreError};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

pub fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.into(),
        name: format!("Tenant {id}"),
        zone: chrono_tz::Europe::Madrid,
        languages: vec![Lang::En],
        numbers: vec![],
        keywords: vec![],
        greeting: None,
        emoji: false,
        policy: BookingPolicy::default(),
        interactive: false,
        address: None,
        maps_url: None,
        llm_monthly_calls: 200,
        logo_url: None,
        reminders: Default::default(),
        messaging: Default::default(),
        payments: Default::default(),
        billing: None,
        onboarding: Default::default(),
        senders: Vec::new(),
        template_requests: Vec::new(),
        flows: Default::default(),
    }
}

pub fn service(id: &str) -> ServiceRecord {
    ServiceRecord {
        id: id.into(),
        name: id.to_uppercase(),
        description: String::new(),
        duration_min: 30,
        price_minor: 2000,
        currency: "EUR".into(),
        deposit_minor: Some(500),
        deposit_percent: None,
        buffer_before_min: 0,
        buffer_after_min: 0,
        image_url: None,
        aliases: vec![],
        translations: Default::default(),
        active: true,
    }
}

pub fn provider(id: &str) -> ProviderRecord {
    ProviderRecord {
        id: id.into(),
        name: id.to_uppercase(),
        rating_tenths: None,
        aliases: vec![],
        services: vec!["cut".into()],
        weight: 1,
        max_per_day: None,
        zone: None,
        active: true,
        calcom_event_types: Default::default(),
    }
}

pub fn customer(n: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+3460000{n:04}")).unwrap()
}

pub async fn with_tenant(store: &dyn Store, id: &str) -> TenantId {
    store
        .create_tenant(&tenant(id), &format!("hash-{id}"))
        .await
        .unwrap();
    store
        .put_service(&id.into(), &service("cut"))
        .await
        .unwrap();
    for p in ["ana", "bea"] {
        store.put_provider(&id.into(), &provider(p)).await.unwrap();
    }
    id.into()
}

pub fn hold_at(
    tenant: &TenantId,
    providers: &[&str],
    start: DateTime<Utc>,
    who: u32,
    key: &str,
) -> NewHold {
    NewHold {
        tenant: tenant.clone(),
        service: "cut".into(),
        candidates: providers
            .iter()
            .map(|p| Candidate {
                provider: (*p).into(),
                weight: 1,
                max_per_day: None,
            })
            .collect(),
        customer: customer(who),
        start,
        end: start + Duration::minutes(30),
        block_start: start,
        block_end: start + Duration::minutes(30),
        expires_at: t0() + Duration::minutes(10),
        day: (start - Duration::hours(10), start + Duration::hours(10)),
        fairness_since: t0() - Duration::days(30),
        idempotency_key: key.into(),
        deposit: Some(Money::new(500, "EUR")),
    }
}

pub fn slot(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap()
}

pub(super) async fn held(
    store: &dyn Store,
    h: &NewHold,
    now: DateTime<Utc>,
) -> crate::model::Reservation {
    match store.hold(h, now).await.unwrap().0 {
        HoldOutcome::Held(r) => *r,
        HoldOutcome::Taken => panic!("expected a hold at {}", h.start),
    }
}

/// Instantiates every check above as a `#[tokio::test]` for one backend.
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@tests $make;
            tenants_are_created_once_and_found_by_key,
            catalog_edits_keep_order_and_bump_the_version,
            one_tenants_rows_are_invisible_to_another,
            hours_and_overrides_round_trip,
            overlapping_holds_of_one_provider_are_refused,
            buffers_count_as_blocked_time,
            a_lapsed_hold_stops_blocking,
            the_daily_limit_is_enforced_in_the_transaction,
            a_repeated_idempotency_key_returns_the_first_hold,
            any_available_goes_to_the_least_booked_free_provider,
            concurrent_holds_of_one_slot_grant_exactly_one,
            confirming_makes_a_booking_once,
            a_lapsed_hold_cannot_be_confirmed,
            rescheduling_moves_the_booking_and_frees_the_old_time,
            only_the_owner_cancels_and_cancelling_twice_is_harmless,
            delivery_statuses_only_move_forward,
            a_bookings_messages_follow_it_through_moves_and_cancels,
            a_plans_withdrawn_kinds_drop_the_customers_other_pending_messages,
            claimed_messages_are_exclusive_until_their_lease_runs_out,
            external_uids_map_and_business_changes_apply_once,
            the_outbox_depth_counts_messages_by_state,
            a_nonce_is_accepted_once_until_it_is_forgotten,
            uses_are_counted_up_to_their_limit_per_tenant,
            a_change_mark_lasts_until_ended_or_run_out,
            a_held_deposit_keeps_its_slot_and_its_payment_only_moves_forward,
            documents_are_numbered_per_tenant_and_kind_without_gaps_and_issued_once,
            a_sign_up_creates_the_business_and_its_owner_together_or_neither,
            repeated_wrong_passwords_lock_the_account_until_a_good_one_resets,
            sessions_expire_are_touched_and_end_only_for_their_user,
            the_audit_log_reads_newest_first_per_tenant,
            a_ticket_is_used_once_and_dies_of_wrong_guesses_or_age,
            invitations_are_listed_and_withdrawn_per_business,
            a_new_password_ends_every_session_and_lifts_a_lock,
        );
    };
    (@tests $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store = $make().await;
                $crate::ports::store_conformance::$check(store).await;
            }
        )*
    };
}

#[cfg(test)]
mod sqlite {
    use std::sync::Arc;

    use crate::adapters::SqliteStore;
    use crate::ports::Store;

    async fn fresh() -> Arc<dyn Store> {
        // The folder is leaked on purpose: it must outlive the test's store.
        let dir = tempfile::tempdir().unwrap().keep();
        Arc::new(SqliteStore::open(&dir.join("conformance.db")).unwrap())
    }

    crate::store_conformance!(fresh);
}

/// The store over an engine that behaves as Spin's `sqlite` interface does: one statement
/// a call (a batch is refused, so migrations must be split), every row back at once, the
/// number of changes asked for apart, and errors as SQLite's words without codes (so taken
/// names are known by the message). The component's engine (`bridge/spin`) is this, over the
/// host's SQLite.
#[cfg(test)]
mod spin_sqlite {
    use std::sync::Arc;

    use crate::adapters::SqliteStore;
    use crate::adapters::sqlite::sql::{Engine, Error, Outcome, Result, Value};
    use crate::ports::Store;

    struct SpinLike(rusqlite::Connection);

    fn error(e: rusqlite::Error) -> Error {
        Error::Sqlite {
            code: None,
            message: e.to_string(),
        }
    }

    impl Engine for SpinLike {
        fn run(&self, sql: &str, params: &[Value]) -> Result<Outcome> {
            use crate::adapters::sqlite::native::{from_ref, to_rusqlite};
            // `prepare` refuses several statements at once, as Spin's host does.
            let mut stmt = self.0.prepare(sql).map_err(error)?;
            let columns = stmt.column_count();
            let params = rusqlite::params_from_iter(params.iter().map(to_rusqlite));
            let mut rows = Vec::new();
            let mut cursor = stmt.query(params).map_err(error)?;
            while let Some(row) = cursor.next().map_err(error)? {
                let mut values = Vec::new();
                for i in 0..columns {
                    values.push(from_ref(row.get_ref(i).map_err(error)?));
                }
                rows.push(values);
            }
            let changes = if columns == 0 {
                usize::try_from(self.0.changes()).unwrap_or(usize::MAX)
            } else {
                0
            };
            Ok(Outcome { rows, changes })
        }
    }

    async fn fresh() -> Arc<dyn Store> {
        let dir = tempfile::tempdir().unwrap().keep();
        let conn = rusqlite::Connection::open(dir.join("spin.db")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        Arc::new(SqliteStore::on(Box::new(SpinLike(conn)), "spin-like").unwrap())
    }

    crate::store_conformance!(fresh);
}

#[cfg(test)]
mod postgres {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use crate::adapters::PgStore;
    use crate::ports::Store;

    /// A database of its own for each check, on the server `SLOTLINE_TEST_POSTGRES` names
    /// (the local one by default), dropped with the store.
    async fn fresh() -> Arc<dyn Store> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("SLOTLINE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "slotline_conformance_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        Arc::new(
            PgStore::scratch(&admin, &name)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL for the conformance suite: {e}")),
        )
    }

    crate::store_conformance!(fresh);

    /// Two bridges' gates in front of one API share its budget and breaker: together they
    /// take one burst, and failures one of them saw pause the other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bridges_share_one_call_budget_and_breaker() {
        use crate::ports::{CallOutcome, Refusal};
        let store = fresh().await;
        let (a, b) = (
            store.call_gate("https://cal.example", 110).unwrap(),
            store.call_gate("https://cal.example", 110).unwrap(),
        );
        let other = store.call_gate("https://other.example", 110).unwrap();
        let now = 1_800_000_000_000;
        let tries = futures::future::join_all((0..40).map(|i| {
            let gate = if i % 2 == 0 { &a } else { &b };
            gate.admit(now)
        }))
        .await;
        assert_eq!(tries.iter().filter(|t| t.is_ok()).count(), 11, "{tries:?}");
        assert_eq!(b.admit(now).await, Err(Refusal::OverBudget));
        assert_eq!(a.status(now).await.calls_in_use, 11);
        // Another API has a budget of its own.
        assert_eq!(other.admit(now).await, Ok(()));
        // Failures seen by one bridge and the other add up; the breaker opens for both.
        for i in 0..5 {
            let gate = if i % 2 == 0 { &a } else { &b };
            gate.record(CallOutcome::Failed, now).await;
        }
        let later = now + 60_000;
        assert_eq!(a.admit(later - 30_001).await, Err(Refusal::Open));
        assert!(b.status(later - 30_001).await.paused);
        assert_eq!(b.admit(later).await, Ok(()));
        // Cal.com's Retry-After, heard by one, holds the other back.
        a.record(CallOutcome::RetryAfter(10_000), later).await;
        assert_eq!(b.admit(later + 9_999).await, Err(Refusal::RateLimited));
        assert!(!other.status(later).await.paused);
    }
}
