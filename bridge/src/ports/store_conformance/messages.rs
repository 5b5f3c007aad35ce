//! Deliveries and the outbox: messages follow their booking, claims are exclusive,
//! business changes apply once.

use super::*;

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
        .confirm(&id, &first.id, "SL-W1", t0(), Arc::clone(&invite))
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
    store
        .confirm(&id, &other.id, "SL-W2", t0(), Arc::clone(&invite))
        .await
        .unwrap();
    let reminder = one_reminder();
    let back: crate::ports::Planner = Arc::new(move |r: &crate::model::Reservation| {
        let mut plan = reminder(r);
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

pub async fn the_outbox_depth_counts_messages_by_state(store: Arc<dyn Store>) {
    use crate::ports::OutboxState;
    let depth = |store: Arc<dyn Store>| async move {
        store
            .outbox_depth()
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>()
    };
    assert!(
        depth(Arc::clone(&store)).await.is_empty(),
        "a new store has none"
    );
    let id = with_tenant(store.as_ref(), "a").await;
    let h = held(
        store.as_ref(),
        &hold_at(&id, &["ana"], slot(9, 0), 1, "d1"),
        t0(),
    )
    .await;
    store
        .confirm(&id, &h.id, "SL-DEPTH", t0(), one_reminder())
        .await
        .unwrap();
    assert_eq!(depth(Arc::clone(&store)).await, [(OutboxState::Pending, 1)]);
    store
        .cancel(&id, "SL-DEPTH", &customer(1), t0())
        .await
        .unwrap();
    assert_eq!(depth(Arc::clone(&store)).await, [(OutboxState::Dropped, 1)]);
}
