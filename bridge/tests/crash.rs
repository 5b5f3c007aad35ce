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
