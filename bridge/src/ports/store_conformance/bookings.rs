//! Holds, bookings, moves and cancellations: never an overlap, never twice.

use super::*;

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

pub async fn a_held_deposit_keeps_its_slot_and_its_payment_only_moves_forward(
    store: Arc<dyn Store>,
) {
    use crate::model::{Payment, PaymentState, Stage};
    use crate::ports::HoldNotice;
    let id = with_tenant(store.as_ref(), "a").await;
    let other = with_tenant(store.as_ref(), "b").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    // Stretched to the payment window, the hold still blocks after its own ten minutes.
    let pay_by = t0() + Duration::minutes(30);
    assert!(store.extend_hold(&id, &h.id, pay_by, t0()).await.unwrap());
    assert!(
        !store
            .extend_hold(&other, &h.id, pay_by, t0())
            .await
            .unwrap(),
        "another tenant cannot stretch it"
    );
    let later = t0() + Duration::minutes(20);
    let rival = hold_at(&id, &["ana"], slot(9, 0), 2, "k2");
    assert_eq!(
        store.hold(&rival, later).await.unwrap().0,
        HoldOutcome::Taken
    );

    let first = Payment {
        tenant: id.clone(),
        hold: h.id.clone(),
        attempt: 1,
        amount: Money::new(500, "EUR"),
        state: PaymentState::Creating,
        session: None,
        url: None,
        payment_intent: None,
        pay_by,
        refunded_minor: 0,
        refunds: Vec::new(),
        moved_to: None,
        updated_at: t0(),
    };
    assert_eq!(store.open_payment(&first).await.unwrap(), first);
    let mut again = first.clone();
    again.amount = Money::new(900, "EUR");
    assert_eq!(
        store.open_payment(&again).await.unwrap(),
        first,
        "a second opening returns the first payment"
    );
    let mut open = first.clone();
    open.state = PaymentState::Open;
    open.session = Some("cs_test_1".into());
    open.url = Some("https://checkout.stripe.com/c/pay/cs_test_1".into());
    assert!(
        store
            .update_payment(&open, PaymentState::Creating, None, t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_payment(&open, PaymentState::Creating, None, t0())
            .await
            .unwrap(),
        "the same move twice happens once"
    );
    assert_eq!(store.payment(&id, &h.id).await.unwrap(), Some(open.clone()));
    assert_eq!(store.payment(&other, &h.id).await.unwrap(), None);
    assert_eq!(
        store.payment_by_session("cs_test_1").await.unwrap(),
        Some(open.clone())
    );
    assert_eq!(store.payment_by_session("cs_test_2").await.unwrap(), None);

    // Its window not over, it is not lapsed; past it (and until settled), it is.
    assert!(
        store
            .lapsed_payments(t0() + Duration::minutes(29), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let lapsed = store
        .lapsed_payments(t0() + Duration::minutes(31), 10)
        .await
        .unwrap();
    assert_eq!(lapsed, vec![open.clone()]);
    // Not paid in time: expired, with a message about the hold, which gets a reference.
    let mut expired = open.clone();
    expired.state = PaymentState::Expired;
    let at = t0() + Duration::minutes(31);
    let notice = HoldNotice {
        reference: "SL-PAY001".into(),
        planned: crate::lifecycle::Planned {
            stage: Stage::PaymentExpired,
            due_at: at,
            send_at: at,
        },
    };
    assert!(
        store
            .update_payment(&expired, PaymentState::Open, Some(&notice), at)
            .await
            .unwrap()
    );
    let mut paid = open.clone();
    paid.state = PaymentState::Paid;
    assert!(
        !store
            .update_payment(&paid, PaymentState::Open, Some(&notice), at)
            .await
            .unwrap(),
        "a late payment event does not undo the expiry"
    );
    let queued: Vec<_> = store
        .outbox(&id, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.stage == Stage::PaymentExpired)
        .collect();
    assert_eq!(queued.len(), 1, "one message, not one per attempt");
    assert_eq!(queued[0].customer, customer(1));
    assert_eq!(queued[0].reference.as_deref(), Some("SL-PAY001"));
    assert_eq!(
        store.booking(&id, "SL-PAY001").await.unwrap().map(|r| r.id),
        Some(h.id.clone())
    );
    assert!(
        store
            .lapsed_payments(at + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty(),
        "settled payments are not lapsed"
    );
    // A lapsed hold cannot be stretched again.
    assert!(
        !store
            .extend_hold(&id, &h.id, at + Duration::minutes(30), at)
            .await
            .unwrap()
    );
}

pub async fn documents_are_numbered_per_tenant_and_kind_without_gaps_and_issued_once(
    store: Arc<dyn Store>,
) {
    use crate::model::{Document, DocumentKind, Stage};
    use crate::ports::HoldNotice;
    let a = with_tenant(store.as_ref(), "a").await;
    let b = with_tenant(store.as_ref(), "b").await;
    let h = held(
        store.as_ref(),
        &hold_at(&a, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    let draft = |tenant: &TenantId, kind: DocumentKind, key: &str| Document {
        tenant: tenant.clone(),
        kind,
        number: 0,
        key: key.into(),
        hold: h.id.clone(),
        reference: "SL-DOC001".into(),
        issued_at: t0(),
        zone: "Europe/Madrid".into(),
        lang: slotline_shared::i18n::Lang::Es,
        business: "Salon".into(),
        billing: None,
        customer: customer(1).as_e164().to_owned(),
        description: "Depósito".into(),
        amount: Money::new(1_500, "EUR"),
        tax: None,
        payment_reference: Some(format!("pi_{key}")),
        corrects: None,
    };
    let notice = HoldNotice {
        reference: "SL-DOC001".into(),
        planned: crate::lifecycle::Planned {
            stage: Stage::Receipt,
            due_at: t0(),
            send_at: t0(),
        },
    };
    // Twenty receipts issued at once, each asked for twice: twenty numbers, 1 to 20.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = Arc::clone(&store);
        let d = draft(&a, DocumentKind::Receipt, &format!("r{}", i % 20));
        let n = notice.clone();
        tasks.push(tokio::spawn(async move {
            store.issue_document(&d, Some(&n), t0()).await.unwrap()
        }));
    }
    let mut by_key = std::collections::BTreeMap::new();
    for t in tasks {
        let d = t.await.unwrap();
        let first = by_key.entry(d.key.clone()).or_insert(d.number);
        assert_eq!(*first, d.number, "one key, one number");
    }
    let mut numbers: Vec<u32> = by_key.values().copied().collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>(), "no gap, no repeat");
    let queued = store
        .outbox(&a, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.stage == Stage::Receipt)
        .count();
    assert_eq!(queued, 20, "one message per document, not per asking");

    // Credit notes count apart; another tenant starts at 1.
    let credit = store
        .issue_document(&draft(&a, DocumentKind::CreditNote, "c1"), None, t0())
        .await
        .unwrap();
    assert_eq!((credit.kind, credit.number), (DocumentKind::CreditNote, 1));
    assert_eq!(credit.code(), "CN-000001");
    let theirs = store
        .issue_document(&draft(&b, DocumentKind::Receipt, "r0"), None, t0())
        .await
        .unwrap();
    assert_eq!(theirs.number, 1);

    let found = store
        .document(&a, DocumentKind::Receipt, 7)
        .await
        .unwrap()
        .expect("receipt 7");
    assert_eq!(found.number, 7);
    assert_eq!(found.amount, Money::new(1_500, "EUR"));
    assert_eq!(
        store.document(&b, DocumentKind::Receipt, 7).await.unwrap(),
        None,
        "one tenant's numbers are not another's documents"
    );
    let of_hold = store.documents_of(&a, &h.id).await.unwrap();
    assert_eq!(of_hold.len(), 21);
    let between = store
        .documents_between(&a, t0(), t0() + Duration::seconds(1), 5)
        .await
        .unwrap();
    assert_eq!(between.len(), 5, "the limit holds");
    assert!(
        store
            .documents_between(
                &a,
                t0() + Duration::seconds(1),
                t0() + Duration::days(1),
                50
            )
            .await
            .unwrap()
            .is_empty()
    );
}
