//! The `Store` conformance suite: what every store backend must do, checked the same way
//! for each. A backend's tests instantiate it with [`store_conformance!`], passing an async
//! factory that returns a fresh, empty store.
//!
//! Time is passed explicitly to every store call, so these checks move the clock by hand.

#![allow(missing_docs)]

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
        reminders: Default::default(),
        messaging: Default::default(),
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
        buffer_before_min: 0,
        buffer_after_min: 0,
        image_url: None,
        aliases: vec![],
        active: true,
    }
}

pub fn provider(id: &str) -> ProviderRecord {
    ProviderRecord {
        id: id.into(),
        name: id.to_uppercase(),
        rating_tenths: None,
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

async fn held(store: &dyn Store, h: &NewHold, now: DateTime<Utc>) -> crate::model::Reservation {
    match store.hold(h, now).await.unwrap().0 {
        HoldOutcome::Held(r) => *r,
        HoldOutcome::Taken => panic!("expected a hold at {}", h.start),
    }
}

pub async fn tenants_are_created_once_and_found_by_key(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    assert!(matches!(
        store.create_tenant(&tenant("a"), "other").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.tenant(&id).await.unwrap().unwrap().name, "Tenant a");
    assert_eq!(
        store.tenant_for_key("hash-a").await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(store.tenant_for_key("nope").await.unwrap(), None);
    let v1 = store.config_version(&id).await.unwrap();
    let mut t = tenant("a");
    t.name = "Renamed".into();
    store.update_tenant(&t).await.unwrap();
    assert!(store.config_version(&id).await.unwrap() > v1);
    assert_eq!(store.tenant(&id).await.unwrap().unwrap().name, "Renamed");
    assert!(matches!(
        store.update_tenant(&tenant("zz")).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn catalog_edits_keep_order_and_bump_the_version(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let v = store.config_version(&id).await.unwrap();
    store.put_service(&id, &service("colour")).await.unwrap();
    let mut cut = service("cut");
    cut.name = "Haircut".into();
    store.put_service(&id, &cut).await.unwrap();
    let names: Vec<String> = store
        .services(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["Haircut", "COLOUR"], "replacing keeps the position");
    assert!(store.config_version(&id).await.unwrap() > v);
    assert!(store.delete_service(&id, &"colour".into()).await.unwrap());
    assert!(!store.delete_service(&id, &"colour".into()).await.unwrap());
    assert!(store.delete_provider(&id, &"bea".into()).await.unwrap());
    let providers: Vec<ProviderId> = store
        .providers(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(providers, [ProviderId::from("ana")]);
}

pub async fn one_tenants_rows_are_invisible_to_another(store: Arc<dyn Store>) {
    let a = with_tenant(store.as_ref(), "a").await;
    store.create_tenant(&tenant("b"), "hash-b").await.unwrap();
    let b: TenantId = "b".into();
    assert!(store.services(&b).await.unwrap().is_empty());
    assert!(store.providers(&b).await.unwrap().is_empty());
    held(
        store.as_ref(),
        &hold_at(&a, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    assert!(
        store
            .upcoming(&b, &customer(1), t0())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .active_reservations(&b, &["ana".into()], slot(0, 0), slot(23, 0), t0())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.delete_service(&b, &"cut".into()).await.unwrap());
    assert_eq!(store.services(&a).await.unwrap().len(), 1);
}

pub async fn hours_and_overrides_round_trip(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let ana: ProviderId = "ana".into();
    assert_eq!(store.weekly(&id, &ana).await.unwrap(), Weekly::default());
    let week = Weekly {
        mon: vec![
            Interval::hm((9, 0), (13, 0)),
            Interval::hm((14, 0), (18, 0)),
        ],
        ..Weekly::default()
    };
    store.set_weekly(&id, &ana, &week).await.unwrap();
    assert_eq!(store.weekly(&id, &ana).await.unwrap(), week);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
    let off = DateOverride {
        date: day,
        intervals: vec![],
        note: Some("holiday".into()),
    };
    store.put_override(&id, &ana, &off).await.unwrap();
    assert_eq!(store.overrides(&id, &ana).await.unwrap(), vec![off]);
    assert!(store.delete_override(&id, &ana, day).await.unwrap());
    assert!(store.overrides(&id, &ana).await.unwrap().is_empty());
}

pub async fn overlapping_holds_of_one_provider_are_refused(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    let clash = hold_at(&id, &["ana"], slot(9, 15), 2, "k2");
    assert_eq!(
        store.hold(&clash, t0()).await.unwrap().0,
        HoldOutcome::Taken
    );
    // Back to back is fine; so is another provider at the same time.
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 30), 2, "k3"),
        t0(),
    )
    .await;
    held(
        store.as_ref(),
        &hold_at(&id, &["bea"], slot(9, 0), 3, "k4"),
        t0(),
    )
    .await;
}

pub async fn buffers_count_as_blocked_time(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let mut first = hold_at(&id, &["ana"], slot(9, 0), 1, "k1");
    first.block_end = slot(9, 45);
    held(store.as_ref(), &first, t0()).await;
    let next = hold_at(&id, &["ana"], slot(9, 30), 2, "k2");
    assert_eq!(store.hold(&next, t0()).await.unwrap().0, HoldOutcome::Taken);
}

pub async fn a_lapsed_hold_stops_blocking(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    let later = t0() + Duration::minutes(11);
    let mut again = hold_at(&id, &["ana"], slot(9, 0), 2, "k2");
    again.expires_at = later + Duration::minutes(10);
    held(store.as_ref(), &again, later).await;
    assert_eq!(store.expire_holds(later).await.unwrap(), 1);
}

pub async fn the_daily_limit_is_enforced_in_the_transaction(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let limited = |start, who, key: &str| {
        let mut h = hold_at(&id, &["ana"], start, who, key);
        h.candidates[0].max_per_day = Some(2);
        h
    };
    held(store.as_ref(), &limited(slot(9, 0), 1, "k1"), t0()).await;
    held(store.as_ref(), &limited(slot(10, 0), 2, "k2"), t0()).await;
    assert_eq!(
        store
            .hold(&limited(slot(11, 0), 3, "k3"), t0())
            .await
            .unwrap()
            .0,
        HoldOutcome::Taken
    );
}

pub async fn a_repeated_idempotency_key_returns_the_first_hold(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = hold_at(&id, &["ana"], slot(9, 0), 1, "same");
    let first = held(store.as_ref(), &h, t0()).await;
    let second = held(store.as_ref(), &h, t0() + Duration::seconds(5)).await;
    assert_eq!(first.id, second.id);
}

pub async fn any_available_goes_to_the_least_booked_free_provider(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let mut counts = std::collections::HashMap::new();
    for i in 0..6 {
        let r = held(
            store.as_ref(),
            &hold_at(&id, &["ana", "bea"], slot(9 + i, 0), i, &format!("k{i}")),
            t0(),
        )
        .await;
        *counts.entry(r.provider).or_insert(0) += 1;
    }
    assert_eq!(counts.get(&ProviderId::from("ana")), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&ProviderId::from("bea")), Some(&3), "{counts:?}");
    // When one is busy, the other gets it regardless of load.
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(16, 0), 7, "k7"),
        t0(),
    )
    .await;
    let r = held(
        store.as_ref(),
        &hold_at(&id, &["ana", "bea"], slot(16, 0), 8, "k8"),
        t0(),
    )
    .await;
    assert_eq!(r.provider.as_str(), "bea");
}

pub async fn concurrent_holds_of_one_slot_grant_exactly_one(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = Arc::clone(&store);
            let h = hold_at(&id, &["ana"], slot(9, 0), i, &format!("k{i}"));
            tokio::spawn(async move { store.hold(&h, t0()).await.unwrap().0 })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), HoldOutcome::Held(_)) {
            granted += 1;
        }
    }
    assert_eq!(granted, 1);
}

pub async fn confirming_makes_a_booking_once(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    let ChangeOutcome::Done(b) = store
        .confirm(&id, &h.id, "SL-AAAAAA", t0(), no_messages())
        .await
        .unwrap()
    else {
        panic!("confirm failed");
    };
    assert_eq!(
        (b.status, b.reference.as_deref()),
        (Status::Confirmed, Some("SL-AAAAAA"))
    );
    let ChangeOutcome::Done(again) = store
        .confirm(&id, &h.id, "SL-BBBBBB", t0(), no_messages())
        .await
        .unwrap()
    else {
        panic!("second confirm failed");
    };
    assert_eq!(again.reference.as_deref(), Some("SL-AAAAAA"));
    // A confirmed booking never lapses.
    let later = t0() + Duration::hours(5);
    let clash = hold_at(&id, &["ana"], slot(9, 0), 2, "k2");
    assert_eq!(
        store.hold(&clash, later).await.unwrap().0,
        HoldOutcome::Taken
    );
    assert_eq!(
        store.upcoming(&id, &customer(1), t0()).await.unwrap().len(),
        1
    );
    let history: Vec<Status> = store
        .history(&id, &h.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(history, [Status::Held, Status::Confirmed]);
}

pub async fn a_lapsed_hold_cannot_be_confirmed(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    let late = t0() + Duration::minutes(11);
    assert_eq!(
        store
            .confirm(&id, &h.id, "SL-X", late, no_messages())
            .await
            .unwrap(),
        ChangeOutcome::HoldGone
    );
    store.release(&id, &h.id, t0()).await.unwrap();
    assert_eq!(
        store
            .confirm(&id, &h.id, "SL-X", t0(), no_messages())
            .await
            .unwrap(),
        ChangeOutcome::HoldGone
    );
}

pub async fn rescheduling_moves_the_booking_and_frees_the_old_time(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &h.id, "SL-R", t0(), no_messages())
        .await
        .unwrap();
    let new = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(11, 0), 1, "k2"),
        t0(),
    )
    .await;
    // Someone else's hold cannot take over the booking.
    let other = held(
        store.as_ref(),
        &hold_at(&id, &["bea"], slot(12, 0), 2, "k3"),
        t0(),
    )
    .await;
    assert_eq!(
        store
            .reschedule(&id, "SL-R", &other.id, t0(), no_messages())
            .await
            .unwrap(),
        ChangeOutcome::NotFound
    );
    let ChangeOutcome::Done(moved) = store
        .reschedule(&id, "SL-R", &new.id, t0(), no_messages())
        .await
        .unwrap()
    else {
        panic!("reschedule failed");
    };
    assert_eq!(
        (moved.start, moved.reference.as_deref()),
        (slot(11, 0), Some("SL-R"))
    );
    // The booking's history came with it, and the move is on it with both times.
    let history = store.history(&id, &moved.id).await.unwrap();
    let statuses: Vec<Status> = history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Held,
            Status::Confirmed,
            Status::Held,
            Status::Rescheduled
        ]
    );
    let last = history.last().unwrap();
    assert_eq!((last.from, last.to), (Some(slot(9, 0)), Some(slot(11, 0))));
    assert!(matches!(
        store
            .reschedule(&id, "SL-R", &new.id, t0(), no_messages())
            .await
            .unwrap(),
        ChangeOutcome::Done(_)
    ));
    let upcoming = store.upcoming(&id, &customer(1), t0()).await.unwrap();
    assert_eq!(upcoming.len(), 1);
    assert_eq!(upcoming[0].start, slot(11, 0));
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 3, "k4"),
        t0(),
    )
    .await;
}

pub async fn only_the_owner_cancels_and_cancelling_twice_is_harmless(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &h.id, "SL-C", t0(), no_messages())
        .await
        .unwrap();
    assert_eq!(
        store.cancel(&id, "SL-C", &customer(2), t0()).await.unwrap(),
        ChangeOutcome::NotFound
    );
    let ChangeOutcome::Done(c) = store.cancel(&id, "SL-C", &customer(1), t0()).await.unwrap()
    else {
        panic!("cancel failed");
    };
    assert_eq!(c.status, Status::Cancelled);
    assert!(matches!(
        store.cancel(&id, "SL-C", &customer(1), t0()).await.unwrap(),
        ChangeOutcome::Done(_)
    ));
    held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 3, "k2"),
        t0(),
    )
    .await;
    let listed = store.bookings(&id, slot(0, 0), slot(23, 0)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, Status::Cancelled);
}

pub async fn delivery_statuses_only_move_forward(store: Arc<dyn Store>) {
    use slotline_shared::wire::DeliveryStatus::{Delivered, Failed, Sent};
    let id = with_tenant(store.as_ref(), "a").await;
    let at = |status, minutes| crate::model::Delivery {
        message_sid: "SM1".into(),
        customer: customer(1),
        status,
        error_code: None,
        updated_at: t0() + Duration::minutes(minutes),
    };
    store.record_delivery(&id, &at(Sent, 0)).await.unwrap();
    store.record_delivery(&id, &at(Delivered, 1)).await.unwrap();
    let now = store.record_delivery(&id, &at(Sent, 2)).await.unwrap();
    assert_eq!(
        now.status, Delivered,
        "a late 'sent' does not undo 'delivered'"
    );
    let listed = store.deliveries(&id, 10).await.unwrap();
    assert_eq!((listed.len(), listed[0].status), (1, Delivered));
    let mut failed = at(Failed, 3);
    failed.message_sid = "SM2".into();
    failed.error_code = Some(63016);
    store.record_delivery(&id, &failed).await.unwrap();
    assert_eq!(
        store.deliveries(&id, 10).await.unwrap()[0].error_code,
        Some(63016)
    );
    store.create_tenant(&tenant("b"), "hash-b").await.unwrap();
    assert!(store.deliveries(&"b".into(), 10).await.unwrap().is_empty());
}

/// A planner that plans one day-before reminder an hour before the visit.
fn one_reminder() -> crate::ports::Planner {
    Arc::new(|r: &crate::model::Reservation| {
        vec![crate::lifecycle::Planned {
            stage: crate::model::Stage::DayBefore,
            due_at: r.start - Duration::hours(1),
            send_at: r.start - Duration::hours(1),
        }]
        .into()
    })
}

/// Pending outbox rows of `reference`, by send time.
async fn pending(store: &dyn Store, id: &TenantId, reference: &str) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = store
        .outbox(id, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| {
            m.reference.as_deref() == Some(reference)
                && m.state == crate::ports::OutboxState::Pending
        })
        .map(|m| m.send_at)
        .collect();
    times.sort();
    times
}

pub async fn a_bookings_messages_follow_it_through_moves_and_cancels(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "m1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &h.id, "SL-MSG", t0(), one_reminder())
        .await
        .unwrap();
    assert_eq!(pending(store.as_ref(), &id, "SL-MSG").await, [slot(8, 0)]);
    // Confirming again writes nothing twice.
    store
        .confirm(&id, &h.id, "SL-MSG", t0(), one_reminder())
        .await
        .unwrap();
    assert_eq!(pending(store.as_ref(), &id, "SL-MSG").await, [slot(8, 0)]);
    let new = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(11, 0), 1, "m2"),
        t0(),
    )
    .await;
    store
        .reschedule(&id, "SL-MSG", &new.id, t0(), one_reminder())
        .await
        .unwrap();
    assert_eq!(
        pending(store.as_ref(), &id, "SL-MSG").await,
        [slot(10, 0)],
        "moved"
    );
    store
        .cancel(&id, "SL-MSG", &customer(1), t0())
        .await
        .unwrap();
    assert!(
        pending(store.as_ref(), &id, "SL-MSG").await.is_empty(),
        "dropped"
    );
}

pub async fn a_plans_withdrawn_kinds_drop_the_customers_other_pending_messages(
    store: Arc<dyn Store>,
) {
    let id = with_tenant(store.as_ref(), "a").await;
    let invite: crate::ports::Planner = Arc::new(|r: &crate::model::Reservation| {
        vec![crate::lifecycle::Planned {
            stage: crate::model::Stage::ReEngage,
            due_at: r.start + Duration::days(30),
            send_at: r.start + Duration::days(30),
        }]
        .into()
    });
    let first = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "w1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &first.id, "SL-W1", t0(), invite)
        .await
        .unwrap();
    assert_eq!(pending(store.as_ref(), &id, "SL-W1").await.len(), 1);
    // Another customer's invitation must stay.
    let other = held(
        store.as_ref(),
        &hold_at(&id, &["bea"], slot(9, 0), 2, "w2"),
        t0(),
    )
    .await;
    let invite_other: crate::ports::Planner = Arc::new(|r: &crate::model::Reservation| {
        vec![crate::lifecycle::Planned {
            stage: crate::model::Stage::ReEngage,
            due_at: r.start + Duration::days(30),
            send_at: r.start + Duration::days(30),
        }]
        .into()
    });
    store
        .confirm(&id, &other.id, "SL-W2", t0(), invite_other)
        .await
        .unwrap();
    let back: crate::ports::Planner = Arc::new(|r: &crate::model::Reservation| {
        let mut plan: crate::lifecycle::Plan = vec![crate::lifecycle::Planned {
            stage: crate::model::Stage::DayBefore,
            due_at: r.start - Duration::hours(1),
            send_at: r.start - Duration::hours(1),
        }]
        .into();
        plan.withdraw = vec![crate::model::Stage::ReEngage];
        plan
    });
    let second = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(11, 0), 1, "w3"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &second.id, "SL-W3", t0(), back)
        .await
        .unwrap();
    assert!(
        pending(store.as_ref(), &id, "SL-W1").await.is_empty(),
        "the first booking's invitation is withdrawn"
    );
    assert_eq!(pending(store.as_ref(), &id, "SL-W3").await, [slot(10, 0)]);
    assert_eq!(
        pending(store.as_ref(), &id, "SL-W2").await.len(),
        1,
        "another customer's is not"
    );
}

pub async fn claimed_messages_are_exclusive_until_their_lease_runs_out(store: Arc<dyn Store>) {
    use crate::ports::SendOutcome;
    let id = with_tenant(store.as_ref(), "a").await;
    for (n, (h, m)) in [(9, 0), (10, 0), (11, 0)].into_iter().enumerate() {
        let hold = held(
            store.as_ref(),
            &hold_at(&id, &["ana"], slot(h, m), 1, &format!("c{n}")),
            t0(),
        )
        .await;
        store
            .confirm(&id, &hold.id, &format!("SL-C{n}"), t0(), one_reminder())
            .await
            .unwrap();
    }
    let lease = Duration::seconds(60);
    let now = slot(12, 0);
    let first = store.claim_due(now, lease, 10).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|m| m.in_doubt_since.is_none()));
    assert!(
        store.claim_due(now, lease, 10).await.unwrap().is_empty(),
        "leased"
    );
    // Per tenant at most `per_tenant` rows a pass.
    let later = now + Duration::seconds(61);
    let again = store.claim_due(later, lease, 2).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(
        again.iter().all(|m| m.in_doubt_since == Some(now)),
        "a lapsed lease marks the earlier attempt as in doubt"
    );
    let retry_at = later + Duration::minutes(5);
    store
        .settle(
            &[
                (
                    again[0].id.clone(),
                    SendOutcome::Sent {
                        sid: "SM1".into(),
                        via: "session",
                    },
                ),
                (
                    again[1].id.clone(),
                    SendOutcome::Retry {
                        at: retry_at,
                        error_code: Some(20429),
                        detail: "busy".into(),
                    },
                ),
            ],
            later,
        )
        .await
        .unwrap();
    let third = store
        .claim_due(later + Duration::seconds(61), lease, 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1, "the unclaimed third row only");
    store
        .settle(
            &[(
                third[0].id.clone(),
                SendOutcome::Skipped {
                    detail: "opted out".into(),
                },
            )],
            later,
        )
        .await
        .unwrap();
    let retried = store.claim_due(retry_at, lease, 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].id, again[1].id);
    assert_eq!(
        retried[0].in_doubt_since, None,
        "a settled retry is not in doubt"
    );
    assert_eq!(retried[0].attempts, 3);
    let sent = store.outbox(&id, 10).await.unwrap();
    let sent = sent.iter().find(|m| m.id == again[0].id).unwrap();
    assert_eq!(
        (sent.state, sent.message_sid.as_deref()),
        (crate::ports::OutboxState::Sent, Some("SM1"))
    );
}

pub async fn external_uids_map_and_business_changes_apply_once(store: Arc<dyn Store>) {
    use crate::ports::BusinessChange;
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "x1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &h.id, "SL-EXT", t0(), no_messages())
        .await
        .unwrap();
    store.set_external(&id, "SL-EXT", "cal-1").await.unwrap();
    assert_eq!(
        store.external_of(&id, "SL-EXT").await.unwrap().as_deref(),
        Some("cal-1")
    );
    let found = store.by_external("cal-1").await.unwrap().unwrap();
    assert_eq!(found.reference.as_deref(), Some("SL-EXT"));
    let moved = BusinessChange::Moved {
        start: slot(15, 0),
        end: slot(15, 30),
        uid: "cal-2".into(),
    };
    let ChangeOutcome::Done(r) = store
        .business_change(&id, "SL-EXT", &moved, t0(), one_reminder())
        .await
        .unwrap()
    else {
        panic!("move not applied");
    };
    assert_eq!((r.start, r.end), (slot(15, 0), slot(15, 30)));
    assert!(store.by_external("cal-1").await.unwrap().is_none());
    assert_eq!(pending(store.as_ref(), &id, "SL-EXT").await, [slot(14, 0)]);
    // The old time is free, the new one taken.
    assert!(matches!(
        store
            .hold(&hold_at(&id, &["ana"], slot(9, 0), 2, "x2"), t0())
            .await
            .unwrap()
            .0,
        HoldOutcome::Held(_)
    ));
    assert_eq!(
        store
            .hold(&hold_at(&id, &["ana"], slot(15, 0), 2, "x3"), t0())
            .await
            .unwrap()
            .0,
        HoldOutcome::Taken
    );
    store
        .business_change(
            &id,
            "SL-EXT",
            &BusinessChange::Cancelled,
            t0(),
            no_messages(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .business_change(
                &id,
                "SL-EXT",
                &BusinessChange::Cancelled,
                t0(),
                no_messages()
            )
            .await
            .unwrap(),
        ChangeOutcome::NotFound,
        "a replay changes nothing"
    );
    assert!(pending(store.as_ref(), &id, "SL-EXT").await.is_empty());
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
