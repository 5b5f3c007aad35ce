//! Scheduling through Cal.com: the bridge in Cal.com mode against the Cal.com stand-in,
//! with Cal.com's webhooks coming back to the bridge over loopback.

mod common;

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use common::{CALCOM_SECRET, OPERATOR, TestBridge, bridge_with_state, phone};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_bridge::AppState;
use slotline_bridge::error::AppError;
use slotline_bridge::routes::worker::answer;
use slotline_e2e::calcom::{CalcomStandIn, Host};
use slotline_shared::catalog::TenantId;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{Booking, BridgeAnswer, BridgeRequest, Slot};

const KEY: &str = "cal_test_salon_key_0001";
const TENANT: &str = "cal";

struct World {
    state: AppState,
    cal: CalcomStandIn,
    http: TestBridge,
    key: String,
    /// Event type of Maria's haircut in Cal.com.
    maria: u64,
}

/// Tomorrow (Madrid) at `h:m`, as UTC.
fn tomorrow(h: u32, m: u32) -> DateTime<Utc> {
    let day =
        (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + Duration::days(1)).date_naive();
    chrono_tz::Europe::Madrid
        .from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

impl World {
    async fn start() -> World {
        let cal = CalcomStandIn::start(&[(KEY, 7)]).unwrap();
        cal.add_host(Host {
            id: 7,
            name: "Maria Silva".into(),
            email: "maria@salon.example".into(),
            zone: chrono_tz::Europe::Madrid,
            from: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            to: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
        });
        let maria = cal.add_event_type("haircut-maria", 30, 7, 0);
        let (state, http) = bridge_with_state(Some((&cal, KEY))).await;
        let (status, created) = http
            .admin(
                Method::POST,
                "/admin/tenants",
                OPERATOR,
                Some(
                    json!({"id": TENANT, "name": "Cal Salon", "zone": "Europe/Madrid",
                            "policy": {"min_notice_min": 0}}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let key = created["api_key"].as_str().unwrap().to_owned();
        let (status, _) = http
            .admin(
                Method::POST,
                &format!("/admin/tenants/{TENANT}/services"),
                &key,
                Some(json!({"id": "cut", "name": "Haircut", "duration_min": 30, "price_minor": 2000, "currency": "EUR"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = http
            .admin(
                Method::POST,
                &format!("/admin/tenants/{TENANT}/providers"),
                &key,
                Some(json!({"id": "maria", "name": "Maria", "services": ["cut"],
                            "calcom_event_types": {"cut": maria}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        World {
            state,
            cal,
            http,
            key,
            maria,
        }
    }

    async fn ask(&self, request: BridgeRequest) -> Result<BridgeAnswer, AppError> {
        answer(&self.state, &TenantId(TENANT.into()), request).await
    }

    async fn slots(&self) -> Vec<Slot> {
        let day =
            (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + Duration::days(1)).date_naive();
        match self
            .ask(BridgeRequest::Slots {
                service: "cut".into(),
                provider: None,
                from: day,
                days: 1,
            })
            .await
            .unwrap()
        {
            BridgeAnswer::Slots { slots } => slots,
            other => panic!("{other:?}"),
        }
    }

    async fn hold(&self, who: &PhoneNumber, start: DateTime<Utc>) -> BridgeAnswer {
        self.ask(BridgeRequest::Hold {
            service: "cut".into(),
            provider: Some("maria".into()),
            start,
            customer: who.clone(),
            idempotency_key: format!("{who}-{start}"),
        })
        .await
        .unwrap()
    }

    async fn book(&self, who: &PhoneNumber, start: DateTime<Utc>) -> Booking {
        let BridgeAnswer::Held { hold } = self.hold(who, start).await else {
            panic!("no hold at {start}");
        };
        match self
            .ask(BridgeRequest::Confirm {
                hold: hold.id,
                idempotency_key: format!("{who}-{start}-c"),
            })
            .await
            .unwrap()
        {
            BridgeAnswer::Booked { booking } => booking,
            other => panic!("confirm: {other:?}"),
        }
    }

    async fn outbox_stages(&self) -> Vec<String> {
        let (_, outbox) = self
            .http
            .admin(
                Method::GET,
                &format!("/admin/tenants/{TENANT}/outbox"),
                &self.key,
                None,
            )
            .await;
        outbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["state"] == "pending")
            .map(|m| m["stage"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn offers(slots: &[Slot], at: DateTime<Utc>) -> bool {
    slots.iter().any(|s| s.start == at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_booking_is_made_moved_and_cancelled_in_cal_com() {
    let w = World::start().await;
    let zoe = phone(1);
    let at = tomorrow(10, 0);
    assert!(
        offers(&w.slots().await, at),
        "Cal.com's free times are offered"
    );
    let booking = w.book(&zoe, at).await;
    let in_cal = w.cal.bookings();
    assert_eq!(in_cal.len(), 1);
    assert_eq!(in_cal[0].start, at);
    assert_eq!(
        in_cal[0].metadata["slotline_reference"],
        booking.reference.as_str()
    );
    assert_eq!(in_cal[0].attendee["phoneNumber"], zoe.as_e164());
    assert!(!offers(&w.slots().await, at), "the booked time is gone");
    // Only the fields Cal.com's schemas allow were sent, under the right versions.
    for (method, path, version) in w.cal.calls() {
        if path.starts_with("/v2/slots") {
            assert_eq!(version.as_deref(), Some("2024-09-04"), "{method} {path}");
        } else if path.starts_with("/v2/bookings") {
            assert_eq!(version.as_deref(), Some("2024-08-13"), "{method} {path}");
        }
    }

    // Moving it in WhatsApp moves it in Cal.com (a new uid there).
    let later = tomorrow(15, 30);
    let BridgeAnswer::Held { hold } = w.hold(&zoe, later).await else {
        panic!("no hold for the new time");
    };
    let moved = w
        .ask(BridgeRequest::Reschedule {
            booking: booking.reference.clone(),
            hold: hold.id,
            idempotency_key: "move".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(moved, BridgeAnswer::Rescheduled { .. }),
        "{moved:?}"
    );
    let in_cal = w.cal.bookings();
    let live: Vec<_> = in_cal.iter().filter(|b| b.status == "accepted").collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].start, later);
    assert_eq!(
        live[0].rescheduled_from.as_deref(),
        Some(in_cal[0].uid.as_str())
    );

    // Cancelling it in WhatsApp cancels it in Cal.com.
    let cancelled = w
        .ask(BridgeRequest::Cancel {
            booking: booking.reference.clone(),
            customer: zoe.clone(),
            idempotency_key: "cancel".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(cancelled, BridgeAnswer::Cancelled { .. }),
        "{cancelled:?}"
    );
    assert!(w.cal.bookings().iter().all(|b| b.status == "cancelled"));
    // Cal.com's webhooks for these changes were our own: nothing was sent to the customer
    // about a "business" change.
    let stages = w.outbox_stages().await;
    assert!(
        !stages
            .iter()
            .any(|s| s == "moved" || s == "cancelled_by_business"),
        "{stages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_made_on_the_cal_com_page_disappears_from_whatsapp_at_once() {
    let w = World::start().await;
    let at = tomorrow(11, 0);
    assert!(offers(&w.slots().await, at));
    // The slots are cached now; the webhook must clear them.
    w.cal.book_directly(w.maria, at, "Walk-in");
    assert!(
        !offers(&w.slots().await, at),
        "still offered after the webhook"
    );
    // Someone holding that time in WhatsApp cannot book it: Cal.com says taken, and the
    // nearest free times are offered instead.
    let later = tomorrow(12, 0);
    let BridgeAnswer::Held { hold } = w.hold(&phone(2), later).await else {
        panic!("no hold");
    };
    w.cal.book_directly(w.maria, later, "Phone call");
    let confirm = w
        .ask(BridgeRequest::Confirm {
            hold: hold.id,
            idempotency_key: "late".into(),
        })
        .await
        .unwrap();
    let BridgeAnswer::Taken { alternatives } = confirm else {
        panic!("expected taken, got {confirm:?}");
    };
    assert!(!alternatives.is_empty() && !alternatives.iter().any(|s| s.start == later));
    let accepted = w
        .cal
        .bookings()
        .into_iter()
        .filter(|b| b.status == "accepted")
        .count();
    assert_eq!(accepted, 2, "no double booking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_the_business_makes_in_cal_com_reach_the_customer() {
    let w = World::start().await;
    let zoe = phone(3);
    let booking = w.book(&zoe, tomorrow(9, 0)).await;
    let uid = w.cal.bookings()[0].uid.clone();
    let new_uid = w.cal.reschedule_directly(&uid, tomorrow(17, 0)).unwrap();
    let stored = w
        .state
        .store
        .booking(&TenantId(TENANT.into()), &booking.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.start, tomorrow(17, 0), "the move is mirrored");
    assert!(w.outbox_stages().await.contains(&"moved".to_owned()));
    assert!(w.cal.cancel_directly(&new_uid, "Maria is ill"));
    let stored = w
        .state
        .store
        .booking(&TenantId(TENANT.into()), &booking.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "cancelled");
    let stages = w.outbox_stages().await;
    assert_eq!(
        stages
            .iter()
            .filter(|s| *s == "cancelled_by_business")
            .count(),
        1,
        "{stages:?}"
    );
    // A replay of the cancellation changes nothing more.
    let body = format!(
        r#"{{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2030-01-02T00:00:00.000Z","payload":{{"uid":"{new_uid}","eventTypeId":{},"status":"CANCELLED"}}}}"#,
        w.maria
    );
    let signature = slotline_shared::calcom::sign(CALCOM_SECRET, body.as_bytes());
    let resp = w
        .http
        .client
        .post(format!("{}/webhooks/calcom", w.http.url))
        .header("X-Cal-Signature-256", signature)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let said: Value = resp.json().await.unwrap();
    assert_eq!(said["outcome"], "already handled");
    assert_eq!(
        w.outbox_stages()
            .await
            .iter()
            .filter(|s| *s == "cancelled_by_business")
            .count(),
        1
    );
    // Unsigned or tampered webhooks are refused.
    for signature in ["no-secret-provided", "00ff"] {
        let resp = w
            .http
            .client
            .post(format!("{}/webhooks/calcom", w.http.url))
            .header("X-Cal-Signature-256", signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{signature}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cal_com_failing_slow_or_rate_limited_still_answers_within_three_seconds() {
    let w = World::start().await;
    let at = tomorrow(13, 0);
    assert!(offers(&w.slots().await, at));
    // Slow: the times already fetched are served while Cal.com takes 10 s.
    w.cal.set_delay(StdDuration::from_secs(10));
    w.state.scheduler.calcom_changed(None).await;
    let started = Instant::now();
    let slow = w.slots().await;
    assert!(
        started.elapsed() < StdDuration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(slow.is_empty() || offers(&slow, at));
    w.cal.set_delay(StdDuration::ZERO);

    // Failing: booking is paused politely (the worker apologises), fast, and nothing is
    // booked twice or lost.
    w.cal.fail_next(20, 500);
    let BridgeAnswer::Held { hold } = w.hold(&phone(4), at).await else {
        panic!("no hold");
    };
    let started = Instant::now();
    let refused = w
        .ask(BridgeRequest::Confirm {
            hold: hold.id.clone(),
            idempotency_key: "down".into(),
        })
        .await;
    assert!(
        matches!(refused, Err(AppError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(started.elapsed() < StdDuration::from_secs(3));
    // After repeated failures the breaker stops calling Cal.com at all.
    for _ in 0..5 {
        let _ = w
            .ask(BridgeRequest::Confirm {
                hold: hold.id.clone(),
                idempotency_key: "down".into(),
            })
            .await;
    }
    let calls_before = w.cal.calls().len();
    let started = Instant::now();
    let refused = w
        .ask(BridgeRequest::Confirm {
            hold: hold.id.clone(),
            idempotency_key: "down".into(),
        })
        .await;
    assert!(matches!(refused, Err(AppError::Unavailable(_))));
    assert!(started.elapsed() < StdDuration::from_millis(500));
    assert_eq!(w.cal.calls().len(), calls_before, "the breaker is open");
    assert!(
        w.cal.bookings().is_empty(),
        "nothing was booked while Cal.com failed"
    );
    // The operator sees it on /metrics.
    let metrics = slotline_bridge::metrics::render(&w.state).await.unwrap();
    assert!(metrics.contains("slotline_calcom_paused 1"), "{metrics}");
    assert!(
        metrics.contains("slotline_calcom_budget_per_minute 110"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cal_com_s_rate_limit_is_respected() {
    let w = World::start().await;
    // Registering the webhook was the first call of the minute.
    w.cal.set_rate_limit(3);
    let at = tomorrow(14, 0);
    let _ = w.slots().await;
    w.state.scheduler.calcom_changed(None).await;
    let _ = w.slots().await;
    w.state.scheduler.calcom_changed(None).await;
    // Cal.com answers 429 with Retry-After; the bridge then stops calling until it passes.
    let started = Instant::now();
    let third = w
        .ask(BridgeRequest::Slots {
            service: "cut".into(),
            provider: None,
            from: at.with_timezone(&chrono_tz::Europe::Madrid).date_naive(),
            days: 1,
        })
        .await;
    assert!(started.elapsed() < StdDuration::from_secs(3));
    assert!(
        matches!(
            third,
            Ok(BridgeAnswer::Slots { .. }) | Err(AppError::Unavailable(_))
        ),
        "{third:?}"
    );
    let calls = w.cal.calls().len();
    let _ = w.slots().await;
    assert_eq!(w.cal.calls().len(), calls, "no call while Retry-After runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_whose_answer_came_too_late_is_cancelled_in_cal_com() {
    let w = World::start().await;
    // A create the bridge gave up on (the customer was told to try again) lands in Cal.com
    // after all, carrying a reference the bridge never confirmed.
    let resp = reqwest::Client::new()
        .post(format!("{}/v2/bookings", w.cal.url))
        .header("cal-api-version", "2024-08-13")
        .json(&json!({"start": tomorrow(16, 0).to_rfc3339(), "eventTypeId": w.maria,
                      "attendee": {"name": "WhatsApp", "timeZone": "Europe/Madrid", "phoneNumber": "+34611000009"},
                      "metadata": {"slotline_reference": "SL-LATE01"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let deadline = Instant::now() + StdDuration::from_secs(5);
    loop {
        if w.cal.bookings().iter().all(|b| b.status == "cancelled") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the orphan still blocks the time"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(offers(&w.slots().await, tomorrow(16, 0)));
}
