//! `kill -9` during a booking load: after a restart every confirmed booking is there, no
//! hold outlives its time to live, and idempotency keys still answer as before.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::{OPERATOR, TestBridge, at, day, phone, spawn_bridge};
use reqwest::Method;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest, Hold};

/// What the load saw: holds granted (with their request) and bookings confirmed.
#[derive(Default)]
struct Seen {
    holds: Vec<(BridgeRequest, Hold, chrono::DateTime<Utc>)>,
    booked: Vec<String>,
}

/// Bookings the load has made when the bridge is killed.
const KILL_AFTER: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_bridge_loses_no_booking_and_keeps_its_promises() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let spawned = spawn_bridge(&db).await;
    let mut child = spawned.child;
    let bridge = Arc::new(TestBridge::at(spawned.url, None));
    bridge.salon("crash", 4).await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let workers: Vec<_> = (0..8u32)
        .map(|w| {
            let (bridge, seen) = (Arc::clone(&bridge), Arc::clone(&seen));
            tokio::spawn(async move {
                for i in 0..10_000u32 {
                    let n = w * 10_000 + i;
                    let start = at(2 + i64::from(n % 40), 8 + (n / 40) % 12, 0);
                    let request = BridgeRequest::Hold {
                        service: "cut".into(),
                        provider: None,
                        start,
                        customer: phone(n),
                        idempotency_key: format!("crash-{n}"),
                    };
                    let Ok(answer) = bridge.try_rpc("crash", &request).await else {
                        return;
                    };
                    let BridgeAnswer::Held { hold } = answer else {
                        continue;
                    };
                    seen.lock()
                        .unwrap()
                        .holds
                        .push((request, hold.clone(), Utc::now()));
                    let confirm = BridgeRequest::Confirm {
                        hold: hold.id,
                        idempotency_key: format!("confirm-{n}"),
                    };
                    match bridge.try_rpc("crash", &confirm).await {
                        Ok(BridgeAnswer::Booked { booking }) => {
                            seen.lock().unwrap().booked.push(booking.reference)
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill once the load has made enough bookings for the check to mean something, and
    // while it is still making more.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().booked.len() < KILL_AFTER {
        assert!(
            std::time::Instant::now() < deadline,
            "the load made only {} bookings in a minute",
            seen.lock().unwrap().booked.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }

    let restarted = spawn_bridge(&db).await;
    let mut child = restarted.child;
    let bridge = TestBridge::at(restarted.url, None);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    eprintln!(
        "before the kill: {} holds granted, {} bookings confirmed",
        seen.holds.len(),
        seen.booked.len()
    );

    // Every confirmed booking survived.
    let (_, listed) = bridge
        .admin(
            Method::GET,
            &format!(
                "/admin/tenants/crash/bookings?from={}&to={}",
                day(0),
                day(60)
            ),
            OPERATOR,
            None,
        )
        .await;
    let stored: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["reference"].as_str())
        .collect();
    for reference in &seen.booked {
        assert!(
            stored.contains(&reference.as_str()),
            "booking {reference} lost in the crash"
        );
    }
    // Every hold's key still answers with the same hold, and none lives past its TTL.
    let ttl = chrono::Duration::minutes(10);
    for (request, hold, answered_at) in &seen.holds {
        match bridge.rpc("crash", request).await {
            BridgeAnswer::Held { hold: again } => {
                assert_eq!(
                    again.id, hold.id,
                    "key {request:?} answered a different hold"
                );
                assert!(
                    again.expires_at <= *answered_at + ttl,
                    "hold {} outlives its TTL",
                    hold.id
                );
            }
            other => panic!("key {request:?} no longer answers: {other:?}"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A bridge killed while Stripe is answering its Checkout call: after the restart the
/// customer's next message gets the page Stripe made, not a second one, and paying it books
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_killed_while_stripe_answers_finds_the_same_page_after_restart() {
    use serde_json::json;
    use slotline_e2e::stripe::{StripeStandIn, WEBHOOK_SECRET};

    let stripe = StripeStandIn::start(common::STRIPE_KEY).unwrap();
    let vars = [
        ("STRIPE_API_URL", stripe.url.clone()),
        ("STRIPE_SECRET_KEY", common::STRIPE_KEY.to_owned()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stripe-crash.db");
    let spawned = common::spawn_bridge_with(&db, &vars).await;
    let mut child = spawned.child;
    let bridge = Arc::new(TestBridge::at(spawned.url, None));
    let hours = json!([{"start": "08:00", "end": "20:00"}]);
    for (method, path, body) in [
        (
            Method::POST,
            "/admin/tenants".to_owned(),
            json!({"id": "kiez", "name": "Kiez Physio", "zone": "Europe/Madrid",
                   "payments": {"stripe_account": "acct_1KiezPhysio00001"}}),
        ),
        (
            Method::POST,
            "/admin/tenants/kiez/services".to_owned(),
            json!({"id": "kg", "name": "Krankengymnastik", "duration_min": 30,
                   "price_minor": 6000, "currency": "EUR", "deposit_percent": 20}),
        ),
        (
            Method::POST,
            "/admin/tenants/kiez/providers".to_owned(),
            json!({"id": "jo", "name": "Jo", "services": ["kg"]}),
        ),
        (
            Method::PUT,
            "/admin/tenants/kiez/providers/jo/availability".to_owned(),
            json!({"mon": hours, "tue": hours, "wed": hours, "thu": hours, "fri": hours,
                   "sat": hours, "sun": hours}),
        ),
    ] {
        let (status, answer) = bridge.admin(method, &path, OPERATOR, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    }
    let BridgeAnswer::Held { hold } = bridge
        .rpc(
            "kiez",
            &BridgeRequest::Hold {
                service: "kg".into(),
                provider: None,
                start: at(3, 10, 0),
                customer: phone(7),
                idempotency_key: "hold-7".into(),
            },
        )
        .await
    else {
        panic!("not held");
    };
    let confirm = BridgeRequest::Confirm {
        hold: hold.id.clone(),
        idempotency_key: "confirm-7".into(),
    };
    // Stripe makes the session at once and answers a second later; the bridge dies in
    // between, before it could store the answer.
    stripe.set_delay(Duration::from_secs(1));
    let asking = {
        let (bridge, confirm) = (Arc::clone(&bridge), confirm.clone());
        tokio::spawn(async move { bridge.try_rpc("kiez", &confirm).await })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while stripe.sessions().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "Stripe was never asked"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        asking.await.unwrap().is_err(),
        "the bridge answered before it died"
    );
    stripe.set_delay(Duration::ZERO);

    let restarted = common::spawn_bridge_with(&db, &vars).await;
    let _child = restarted.child;
    let bridge = TestBridge::at(restarted.url, None);
    let answer = bridge.rpc("kiez", &confirm).await;
    let BridgeAnswer::PaymentDue { url, amount, .. } = answer else {
        panic!("the deposit is still due: {answer:?}");
    };
    assert_eq!(amount.minor, 1_200);
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1, "one page for one booking attempt");
    assert_eq!(url.as_deref(), sessions[0]["url"].as_str());
    let keys: Vec<_> = stripe
        .calls()
        .into_iter()
        .filter(|c| c.path == "/v1/checkout/sessions")
        .map(|c| c.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2, "asked again after the restart");
    assert_eq!(keys[0], keys[1], "with the same idempotency key");

    // Paying it books the time once.
    let paid = stripe.pay(sessions[0]["id"].as_str().unwrap()).unwrap();
    let (body, signature) = StripeStandIn::signed(&paid, WEBHOOK_SECRET, Utc::now().timestamp());
    let answer: serde_json::Value = bridge
        .client
        .post(format!("{}/webhooks/stripe", bridge.url))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Stripe-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "confirmed", "{answer}");
    let BridgeAnswer::Bookings { bookings } = bridge
        .rpc("kiez", &BridgeRequest::Bookings { customer: phone(7) })
        .await
    else {
        panic!("bookings");
    };
    assert_eq!(bookings.len(), 1);
}
