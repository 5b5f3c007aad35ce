//! What every scheduler must do, checked for the built-in engine and for Cal.com (against the
//! Cal.com stand-in), through the same worker requests the conversation makes.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use common::{OPERATOR, TestBridge, bridge_with_state, phone};
use reqwest::{Method, StatusCode};
use serde_json::json;
use slotline_bridge::AppState;
use slotline_bridge::routes::worker::answer;
use slotline_e2e::calcom::{CalcomStandIn, Host};
use slotline_shared::catalog::TenantId;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{Booking, BridgeAnswer, BridgeRequest, Hold};

const TENANT: &str = "conf";
const CAL_KEY: &str = "cal_test_conformance_key";

/// A scheduler under test, behind the worker API.
struct Fixture {
    state: AppState,
    _http: TestBridge,
    _calcom: Option<CalcomStandIn>,
}

/// The day after tomorrow (Madrid) at `h:00`.
fn at(h: u32) -> DateTime<Utc> {
    let day =
        (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + Duration::days(2)).date_naive();
    chrono_tz::Europe::Madrid
        .from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// A tenant with one 30-minute service and one provider free 09:00–18:00, scheduled by the
/// built-in engine, or by Cal.com when `calcom`.
async fn fixture(calcom: bool) -> Fixture {
    let stand_in = calcom.then(|| {
        let cal = CalcomStandIn::start(&[(CAL_KEY, 1)]).unwrap();
        cal.add_host(Host {
            id: 1,
            name: "Pat".into(),
            email: "pat@example.com".into(),
            zone: chrono_tz::Europe::Madrid,
            from: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            to: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        });
        cal
    });
    let (state, http) = bridge_with_state(stand_in.as_ref().map(|cal| (cal, CAL_KEY))).await;
    let (status, created) = http
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": TENANT, "name": "Conformance", "zone": "Europe/Madrid", "policy": {"min_notice_min": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    http.admin(
        Method::POST,
        &format!("/admin/tenants/{TENANT}/services"),
        &key,
        Some(json!({"id": "cut", "name": "Cut", "duration_min": 30, "price_minor": 1000, "currency": "EUR"})),
    )
    .await;
    let mut provider = json!({"id": "pat", "name": "Pat", "services": ["cut"]});
    if let Some(cal) = &stand_in {
        let event = cal.add_event_type("cut-pat", 30, 1, 0);
        provider["calcom_event_types"] = json!({"cut": event});
    }
    let (status, body) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{TENANT}/providers"),
            &key,
            Some(provider),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let day = json!([{"start": "09:00", "end": "18:00"}]);
    let (status, _) = http
        .admin(
            Method::PUT,
            &format!("/admin/tenants/{TENANT}/providers/pat/availability"),
            &key,
            Some(json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    Fixture {
        state,
        _http: http,
        _calcom: stand_in,
    }
}

impl Fixture {
    async fn ask(&self, request: BridgeRequest) -> BridgeAnswer {
        answer(&self.state, &TenantId(TENANT.into()), request)
            .await
            .unwrap()
    }

    async fn offered(&self, start: DateTime<Utc>) -> bool {
        let day = start.with_timezone(&chrono_tz::Europe::Madrid).date_naive();
        match self
            .ask(BridgeRequest::Slots {
                service: "cut".into(),
                provider: None,
                from: day,
                days: 1,
            })
            .await
        {
            BridgeAnswer::Slots { slots } => slots.iter().any(|s| s.start == start),
            other => panic!("{other:?}"),
        }
    }

    async fn hold(&self, who: &PhoneNumber, start: DateTime<Utc>, key: &str) -> Option<Hold> {
        match self
            .ask(BridgeRequest::Hold {
                service: "cut".into(),
                provider: None,
                start,
                customer: who.clone(),
                idempotency_key: key.into(),
            })
            .await
        {
            BridgeAnswer::Held { hold } => Some(hold),
            BridgeAnswer::Taken { .. } => None,
            other => panic!("{other:?}"),
        }
    }

    async fn confirm(&self, hold: &Hold) -> Booking {
        match self
            .ask(BridgeRequest::Confirm {
                hold: hold.id.clone(),
                idempotency_key: format!("{}-c", hold.id),
            })
            .await
        {
            BridgeAnswer::Booked { booking } => booking,
            other => panic!("{other:?}"),
        }
    }
}

async fn holds_take_the_time_and_release_gives_it_back(f: Fixture) {
    let (a, b) = (phone(1), phone(2));
    assert!(f.offered(at(10)).await);
    let hold = f.hold(&a, at(10), "a").await.expect("free time held");
    assert!(!f.offered(at(10)).await, "a held time is not offered");
    assert!(
        f.hold(&b, at(10), "b").await.is_none(),
        "nobody else can hold it"
    );
    // The same request again answers the same hold.
    assert_eq!(
        f.hold(&a, at(10), "a").await.map(|h| h.id),
        Some(hold.id.clone())
    );
    f.ask(BridgeRequest::Release { hold: hold.id }).await;
    assert!(f.offered(at(10)).await, "released: offered again");
}

async fn concurrent_holds_on_one_time_grant_one(f: Fixture) {
    let f = Arc::new(f);
    let tasks: Vec<_> = (0..10u32)
        .map(|n| {
            let f = Arc::clone(&f);
            tokio::spawn(async move { f.hold(&phone(100 + n), at(11), &format!("race-{n}")).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(won, 1);
}

async fn confirming_books_once_and_lists_the_booking(f: Fixture) {
    let a = phone(3);
    let hold = f.hold(&a, at(12), "c").await.unwrap();
    let booking = f.confirm(&hold).await;
    assert_eq!(booking.start, at(12));
    assert_eq!(
        f.confirm(&hold).await.reference,
        booking.reference,
        "confirming twice"
    );
    match f
        .ask(BridgeRequest::Bookings {
            customer: a.clone(),
        })
        .await
    {
        BridgeAnswer::Bookings { bookings } => {
            assert_eq!(
                bookings.iter().map(|b| &b.reference).collect::<Vec<_>>(),
                [&booking.reference]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!f.offered(at(12)).await);
}

async fn rescheduling_moves_and_cancelling_frees(f: Fixture) {
    let a = phone(4);
    let booking = f.confirm(&f.hold(&a, at(13), "r1").await.unwrap()).await;
    let new = f.hold(&a, at(15), "r2").await.unwrap();
    let moved = f
        .ask(BridgeRequest::Reschedule {
            booking: booking.reference.clone(),
            hold: new.id,
            idempotency_key: "move".into(),
        })
        .await;
    let BridgeAnswer::Rescheduled { booking: moved } = moved else {
        panic!("{moved:?}");
    };
    assert_eq!(
        (moved.reference.as_str(), moved.start),
        (booking.reference.as_str(), at(15))
    );
    assert!(f.offered(at(13)).await, "the old time is free again");
    assert!(!f.offered(at(15)).await);
    // Someone else cannot cancel it; its customer can.
    let not_theirs = f
        .ask(BridgeRequest::Cancel {
            booking: booking.reference.clone(),
            customer: phone(5),
            idempotency_key: "x".into(),
        })
        .await;
    assert!(
        matches!(not_theirs, BridgeAnswer::Failed { .. }),
        "{not_theirs:?}"
    );
    let cancelled = f
        .ask(BridgeRequest::Cancel {
            booking: booking.reference.clone(),
            customer: a.clone(),
            idempotency_key: "y".into(),
        })
        .await;
    assert!(
        matches!(cancelled, BridgeAnswer::Cancelled { .. }),
        "{cancelled:?}"
    );
    assert!(f.offered(at(15)).await, "cancelled: offered again");
}

macro_rules! scheduler_conformance {
    ($module:ident, $calcom:expr) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn holds_take_the_time_and_release_gives_it_back() {
                super::holds_take_the_time_and_release_gives_it_back(fixture($calcom).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_holds_on_one_time_grant_one() {
                super::concurrent_holds_on_one_time_grant_one(fixture($calcom).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn confirming_books_once_and_lists_the_booking() {
                super::confirming_books_once_and_lists_the_booking(fixture($calcom).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rescheduling_moves_and_cancelling_frees() {
                super::rescheduling_moves_and_cancelling_frees(fixture($calcom).await).await;
            }
        }
    };
}

scheduler_conformance!(embedded, false);
scheduler_conformance!(calcom, true);
