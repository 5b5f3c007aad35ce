//! WhatsApp Flows against a running bridge, with WhatsApp's client played by the Meta
//! stand-in (`slotline_e2e::meta`): it encrypts as WhatsApp does and opens our answers.
//!
//! The businesses are generated (a yoga studio in Lima writing Spanish, a dental clinic in
//! Porto writing Portuguese, a business coach in Denver writing English, each with its own
//! catalog, staff and hours), never the demo salon, and every answer the endpoint gives
//! is checked against the Flow JSON it must match.

mod common;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::{OPERATOR, SECRET, TestBridge, bridge_with_state};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_bridge::flows::json::{check_answer, flow_json};
use slotline_e2e::flow_view::{self, Part};
use slotline_e2e::meta::{Answer, FlowClient, seal};
use slotline_shared::catalog::TenantId;
use slotline_shared::flow_token::FlowToken;
use slotline_shared::lang::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

/// A generated business.
struct Business {
    id: &'static str,
    zone: &'static str,
    lang: Lang,
    currency: &'static str,
    /// (id, name, minutes, price in minor units)
    services: &'static [(&'static str, &'static str, u32, i64)],
    staff: &'static [&'static str],
    hours: (&'static str, &'static str),
    number: &'static str,
    /// How many days ahead customers may book.
    window: u32,
}

const STUDIO: Business = Business {
    id: "yoga-miraflores",
    zone: "America/Lima",
    lang: Lang::Es,
    currency: "PEN",
    services: &[
        ("vinyasa", "Vinyasa privada", 60, 9000),
        ("restaurativo", "Yoga restaurativo", 45, 7000),
    ],
    staff: &["Lucía", "Mateo", "Valeria"],
    hours: ("07:00", "21:00"),
    number: "+51987000001",
    window: 21,
};

const CLINIC: Business = Business {
    id: "dentes-porto",
    zone: "Europe/Lisbon",
    lang: Lang::Pt,
    currency: "EUR",
    services: &[("limpeza", "Limpeza dentária", 40, 4500)],
    staff: &["Dra. Inês", "Dr. Rui"],
    hours: ("09:00", "18:00"),
    number: "+351912000001",
    window: 45,
};

const COACH: Business = Business {
    id: "summit-coaching",
    zone: "America/Denver",
    lang: Lang::En,
    currency: "USD",
    services: &[
        ("session", "Strategy session", 90, 25000),
        ("intro", "Intro call", 20, 0),
    ],
    staff: &["Jordan"],
    hours: ("10:00", "16:00"),
    number: "+13035550101",
    window: 90,
};

/// Creates `b`; its owner's key.
async fn create(http: &TestBridge, b: &Business) -> String {
    let (status, created) = http
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": b.id, "name": b.id, "zone": b.zone, "languages": [b.lang.code()],
                        "numbers": [b.number], "policy": {"min_notice_min": 60, "window_days": b.window}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    let ids: Vec<&str> = b.services.iter().map(|s| s.0).collect();
    for (id, name, minutes, price) in b.services {
        let (status, body) = http
            .admin(
                Method::POST,
                &format!("/admin/tenants/{}/services", b.id),
                &key,
                Some(json!({"id": id, "name": name, "duration_min": minutes, "price_minor": price, "currency": b.currency})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Closed on Sundays: the date picker must not offer them.
    let day = json!([{"start": b.hours.0, "end": b.hours.1}]);
    let week = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day});
    for (i, name) in b.staff.iter().enumerate() {
        let pid = format!("s{i}");
        let (status, body) = http
            .admin(
                Method::POST,
                &format!("/admin/tenants/{}/providers", b.id),
                &key,
                Some(json!({"id": pid, "name": name, "services": ids})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = http
            .admin(
                Method::PUT,
                &format!("/admin/tenants/{}/providers/{pid}/availability", b.id),
                &key,
                Some(week.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    key
}

/// Makes `b`'s Flow key; its public half.
async fn key_for(http: &TestBridge, b: &Business, key: &str) -> String {
    let (status, made) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{}/flows/keys", b.id),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(made.get("private_key").is_none() && !made.to_string().contains("PRIVATE"));
    made["public_key"].as_str().unwrap().to_owned()
}

/// The first day at least `ahead` days from today in `zone` that the generated businesses
/// open (they close on Sundays).
fn open_day(zone: chrono_tz::Tz, ahead: i64) -> NaiveDate {
    let mut day = Utc::now().with_timezone(&zone).date_naive() + Duration::days(ahead);
    while day.weekday() == chrono::Weekday::Sun {
        day += Duration::days(1);
    }
    day
}

fn customer(n: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+5219990{n:05}")).unwrap()
}

fn token(b: &Business, who: &PhoneNumber, seq: u64) -> String {
    FlowToken::new(TenantId::from(b.id), who.clone(), seq, b.lang, Utc::now()).mint(SECRET)
}

fn client(http: &TestBridge, b: &Business, public: &str, token: &str) -> FlowClient {
    FlowClient::new(&format!("{}/flows/{}", http.url, b.id), public, None, token)
}

/// `who`'s bookings at `b`, as the conversation lists them.
async fn bookings_of(
    http: &TestBridge,
    b: &Business,
    who: &PhoneNumber,
) -> Vec<slotline_shared::wire::Booking> {
    let request = BridgeRequest::Bookings {
        customer: who.clone(),
    };
    match http.rpc(b.id, &request).await {
        BridgeAnswer::Bookings { bookings } => bookings,
        other => panic!("{other:?}"),
    }
}

/// `answer` opened, 200, and of the shape its screen declares.
fn screen(answer: &Answer, lang: Lang, expected: &str) -> Value {
    assert_eq!(answer.status, 200, "{answer:?}");
    let json = answer.json.clone().expect("an encrypted JSON answer");
    let errors = check_answer(&flow_json(lang), &json);
    assert!(errors.is_empty(), "{errors:?} in {json}");
    assert_eq!(json["screen"], expected, "{json}");
    json["data"].clone()
}

/// Runs a blocking client call off the runtime.
async fn call<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_booking_through_the_flow_lands_in_the_store_for_every_kind_of_business() {
    let (_, http) = bridge_with_state(None).await;
    for (n, b) in [STUDIO, CLINIC, COACH].iter().enumerate() {
        let key = create(&http, b).await;
        let public = key_for(&http, b, &key).await;
        let who = customer(n as u32);
        let c = client(&http, b, &public, &token(b, &who, 3));
        let c = std::sync::Arc::new(c);

        let x = c.clone();
        let services = screen(&call(move || x.init()).await, b.lang, "SERVICE");
        let offered: Vec<&str> = services["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(offered, b.services.iter().map(|s| s.0).collect::<Vec<_>>());
        let (service, name, _, _) = b.services[0];
        let x = c.clone();
        let staff = screen(
            &call(move || x.submit("SERVICE", json!({"service": service}))).await,
            b.lang,
            "STAFF",
        );
        let people: Vec<&str> = staff["staff"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            people.len(),
            b.staff.len() + 1,
            "any available, then each person: {people:?}"
        );
        assert_eq!(&people[1..], b.staff);

        let x = c.clone();
        let dates = screen(
            &call(move || x.submit("STAFF", json!({"service": service, "provider": "s0"}))).await,
            b.lang,
            "DATE",
        );
        // The picker's free days are exactly the days the scheduler has times on.
        let today = Utc::now()
            .with_timezone(&b.zone.parse::<chrono_tz::Tz>().unwrap())
            .date_naive();
        // The scheduler lists a month at most per call; the window may be longer.
        let mut slots = Vec::new();
        for month in (0..b.window).step_by(31) {
            let BridgeAnswer::Slots { slots: more } = http
                .rpc(
                    b.id,
                    &BridgeRequest::Slots {
                        service: service.into(),
                        provider: Some("s0".into()),
                        from: today + Duration::days(i64::from(month)),
                        days: (b.window - month).min(31),
                    },
                )
                .await
            else {
                panic!()
            };
            slots.extend(more);
        }
        let zone: chrono_tz::Tz = b.zone.parse().unwrap();
        let mut free: Vec<NaiveDate> = slots
            .iter()
            .map(|s| s.start.with_timezone(&zone).date_naive())
            .collect();
        free.dedup();
        let min =
            NaiveDate::parse_from_str(dates["min_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        let max =
            NaiveDate::parse_from_str(dates["max_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!((min, max), (free[0], *free.last().unwrap()));
        // The whole booking window, and not a day past it.
        let window_end = today + Duration::days(i64::from(b.window));
        assert!(
            max < window_end && max >= window_end - Duration::days(3),
            "{max} for a {}-day window",
            b.window
        );
        let unavailable: Vec<&str> = dates["unavailable_dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for d in min.iter_days().take_while(|d| *d <= max) {
            let shown = !unavailable.contains(&d.format("%Y-%m-%d").to_string().as_str());
            assert_eq!(shown, free.contains(&d), "{d}");
            if d.format("%a").to_string() == "Sun" {
                assert!(!shown, "closed on Sundays: {d}");
            }
        }

        // The second free day: its times, by part of the day.
        let date = free[1].format("%Y-%m-%d").to_string();
        let x = c.clone();
        let d = date.clone();
        let times = screen(
            &call(move || {
                x.submit(
                    "DATE",
                    json!({"service": service, "provider": "s0", "date": d}),
                )
            })
            .await,
            b.lang,
            "TIME",
        );
        let shown = times["times"].as_array().unwrap();
        assert!(!shown.is_empty() && shown.len() <= 20, "{}", shown.len());
        let first = shown[0]["id"].as_str().unwrap().to_owned();
        let start = chrono::DateTime::from_timestamp(first.parse().unwrap(), 0).unwrap();
        assert_eq!(start.with_timezone(&zone).date_naive(), free[1]);
        // Another part of the day, when there is one.
        if let Some(part) = times["parts"].as_array().unwrap().get(1) {
            let part = part["id"].as_str().unwrap().to_owned();
            let (x, d, p) = (c.clone(), date.clone(), part.clone());
            let other = screen(
                &call(move || x.submit("TIME", json!({"service": service, "provider": "s0", "date": d, "part": p, "refresh": "part"}))).await,
                b.lang,
                "TIME",
            );
            assert_eq!(other["part"], part.as_str());
            assert_ne!(other["times"][0]["id"], first.as_str());
        }
        let (x, d, f) = (c.clone(), date.clone(), first.clone());
        let summary = screen(
            &call(move || {
                x.submit(
                    "TIME",
                    json!({"service": service, "provider": "s0", "date": d, "slot": f}),
                )
            })
            .await,
            b.lang,
            "SUMMARY",
        );
        let text = summary["summary"].as_str().unwrap();
        assert!(text.contains(name) && text.contains(b.staff[0]), "{text}");
        let (x, f) = (c.clone(), first.clone());
        let done = call(move || {
            x.submit(
                "SUMMARY",
                json!({"service": service, "provider": "s0", "slot": f, "alternative": ""}),
            )
        })
        .await;
        let done = done.json.expect("SUCCESS");
        assert_eq!(done["screen"], "SUCCESS", "{done}");
        let params = &done["data"]["extension_message_response"]["params"];
        assert_eq!(params["flow_token"], c.token.as_str());
        let reference = params["reference"].as_str().unwrap().to_owned();

        // The conversation sees it as any booking: listed for the customer, at that time.
        let bookings = bookings_of(&http, b, &who).await;
        assert_eq!(bookings.len(), 1);
        assert_eq!(
            (bookings[0].reference.as_str(), bookings[0].start),
            (reference.as_str(), start)
        );
        // …and the customer is told, since no conversation said it.
        let (_, outbox) = http
            .admin(
                Method::GET,
                &format!("/admin/tenants/{}/outbox", b.id),
                &key,
                None,
            )
            .await;
        assert!(
            outbox
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["reference"] == reference.as_str() && m["stage"] == "confirmation"),
            "{outbox}"
        );
        // The customer is known to speak the Flow's language (confirmation and reminders
        // use it, even for a customer whose first message opened the Flow).
        let (_, customers) = http
            .admin(
                Method::GET,
                &format!("/admin/tenants/{}/customers", b.id),
                &key,
                None,
            )
            .await;
        let me = customers
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["phone"] == who.as_e164())
            .unwrap_or_else(|| panic!("{customers}"));
        assert_eq!(me["language"], b.lang.code(), "{me}");
        // At once, even in the business's quiet hours: the customer is waiting in the chat.
        let confirmation = outbox
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["reference"] == reference.as_str() && m["stage"] == "confirmation")
            .unwrap();
        let send_at: chrono::DateTime<Utc> =
            confirmation["send_at"].as_str().unwrap().parse().unwrap();
        assert!(
            (send_at - Utc::now()).num_seconds().abs() < 60,
            "confirmation planned for {send_at}"
        );
        // The token is used up: the Flow cannot book twice.
        let x = c.clone();
        let again = call(move || x.init()).await;
        assert_eq!(again.status, 427, "{again:?}");
        assert!(again.json.unwrap()["error_msg"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_time_taken_meanwhile_offers_the_nearest_free_ones_on_the_summary() {
    let (_, http) = bridge_with_state(None).await;
    let b = &CLINIC;
    let key = create(&http, b).await;
    let public = key_for(&http, b, &key).await;
    let c = std::sync::Arc::new(client(&http, b, &public, &token(b, &customer(1), 1)));
    let zone: chrono_tz::Tz = b.zone.parse().unwrap();
    let date = open_day(zone, 3).format("%Y-%m-%d").to_string();
    let x = c.clone();
    let d = date.clone();
    let times = call(move || {
        x.submit(
            "DATE",
            json!({"service": "limpeza", "provider": "s1", "date": d}),
        )
    })
    .await;
    let times = screen(&times, b.lang, "TIME");
    let slot = times["times"][1]["id"].as_str().unwrap().to_owned();
    let (x, d, s) = (c.clone(), date.clone(), slot.clone());
    screen(
        &call(move || {
            x.submit(
                "TIME",
                json!({"service": "limpeza", "provider": "s1", "date": d, "slot": s}),
            )
        })
        .await,
        b.lang,
        "SUMMARY",
    );

    // Someone on WhatsApp takes it meanwhile.
    let start = chrono::DateTime::from_timestamp(slot.parse().unwrap(), 0).unwrap();
    let BridgeAnswer::Held { hold } = http
        .rpc(
            b.id,
            &BridgeRequest::Hold {
                service: "limpeza".into(),
                provider: Some("s1".into()),
                start,
                customer: customer(2),
                idempotency_key: "other".into(),
            },
        )
        .await
    else {
        panic!()
    };
    assert!(matches!(
        http.rpc(
            b.id,
            &BridgeRequest::Confirm {
                hold: hold.id,
                idempotency_key: "other-c".into()
            }
        )
        .await,
        BridgeAnswer::Booked { .. }
    ));

    let (x, s) = (c.clone(), slot.clone());
    let taken = call(move || {
        x.submit(
            "SUMMARY",
            json!({"service": "limpeza", "provider": "s1", "slot": s, "alternative": ""}),
        )
    })
    .await;
    let taken = screen(&taken, b.lang, "SUMMARY");
    assert_eq!(taken["has_notice"], true);
    assert_eq!(taken["has_alternatives"], true);
    let alternative = taken["alternatives"][0]["id"].as_str().unwrap().to_owned();
    assert_ne!(alternative, slot);
    let (x, s, a) = (c.clone(), slot.clone(), alternative.clone());
    let done = call(move || {
        x.submit(
            "SUMMARY",
            json!({"service": "limpeza", "provider": "s1", "slot": s, "alternative": a}),
        )
    })
    .await;
    assert_eq!(done.json.unwrap()["screen"], "SUCCESS");
    let bookings = bookings_of(&http, b, &customer(1)).await;
    assert_eq!(bookings[0].start.timestamp().to_string(), alternative);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_tokens_ciphertext_and_signatures_get_the_contracts_status_codes() {
    let (_, http) = bridge_with_state(None).await;
    let (b, other) = (&COACH, &STUDIO);
    let key = create(&http, b).await;
    let other_key = create(&http, other).await;
    let public = key_for(&http, b, &key).await;
    let other_public = key_for(&http, other, &other_key).await;
    let url = format!("{}/flows/{}", http.url, b.id);
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let who = customer(7);
    let pem = public.clone();

    let results = call(move || {
        let public = pem;
        let init = |t: &str| json!({"version": "3.0", "action": "INIT", "flow_token": t});
        let post = |pem: &str, req: Value| seal(pem, &req, None).post(&agent, &url);
        let expired = FlowToken::new(TenantId::from(b.id), who.clone(), 1, Lang::En, Utc::now() - Duration::hours(3)).mint(SECRET);
        let forged = FlowToken::new(TenantId::from(b.id), who.clone(), 1, Lang::En, Utc::now()).mint(b"not our secret");
        let elsewhere = FlowToken::new(TenantId::from(other.id), who.clone(), 1, Lang::En, Utc::now()).mint(SECRET);
        let good = FlowToken::new(TenantId::from(b.id), who.clone(), 1, Lang::En, Utc::now()).mint(SECRET);
        let mut tampered = seal(&public, &init(&good), None);
        let mut env: Value = serde_json::from_str(&tampered.body).unwrap();
        let mut data = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, env["encrypted_flow_data"].as_str().unwrap()).unwrap();
        let last = data.len() - 1;
        data[last] ^= 1;
        env["encrypted_flow_data"] = json!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data));
        tampered.body = env.to_string();
        vec![
            ("expired", post(&public, init(&expired))),
            ("forged", post(&public, init(&forged))),
            ("another business's", post(&public, init(&elsewhere))),
            ("missing", post(&public, json!({"version": "3.0", "action": "INIT"}))),
            ("tampered", tampered.post(&agent, &url)),
            ("another key", post(&other_public, init(&good))),
            ("ping", post(&public, json!({"version": "3.0", "action": "ping"}))),
            ("error notice", post(&public, json!({"version": "3.0", "action": "data_exchange", "screen": "TIME", "flow_token": good, "data": {"error": "invalid-screen-transition", "error_message": "x"}}))),
            ("good", post(&public, init(&good))),
        ]
    })
    .await;
    let status = |name: &str| results.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    for name in ["expired", "forged", "another business's", "missing"] {
        let a = status(name);
        assert_eq!(a.status, 427, "{name}: {a:?}");
        assert!(
            a.json.unwrap()["error_msg"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{name}"
        );
    }
    for name in ["tampered", "another key"] {
        assert_eq!(status(name).status, 421, "{name}");
    }
    assert_eq!(
        status("ping").json.unwrap(),
        json!({"data": {"status": "active"}})
    );
    assert_eq!(
        status("error notice").json.unwrap(),
        json!({"data": {"acknowledged": true}})
    );
    assert_eq!(status("good").json.unwrap()["screen"], "SERVICE");

    // With the app secret kept, only requests signed with it are heard.
    let (s, body) = http
        .admin(
            Method::PUT,
            &format!("/admin/tenants/{}/flows", b.id),
            &key,
            Some(json!({"enabled": false, "app_secret": "meta-app-secret"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["app_secret_set"], true);
    assert!(!body.to_string().contains("meta-app-secret"));
    let url = format!("{}/flows/{}", http.url, b.id);
    let good = token(b, &customer(8), 2);
    let (unsigned, wrong, right) = call(move || {
        let agent = ureq::AgentBuilder::new().build();
        let req = json!({"version": "3.0", "action": "INIT", "flow_token": good});
        let unsigned = seal(&public, &req, None).post(&agent, &url);
        let wrong = seal(&public, &req, Some("another secret")).post(&agent, &url);
        let right = seal(&public, &req, Some("meta-app-secret")).post(&agent, &url);
        (unsigned, wrong, right)
    })
    .await;
    assert_eq!(
        (unsigned.status, wrong.status, right.status),
        (432, 432, 200)
    );

    // Turning Flows on needs the Flow's id at Meta.
    let (s, body) = http
        .admin(
            Method::PUT,
            &format!("/admin/tenants/{}/flows", b.id),
            &key,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("flow_id"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_flow_sessions_racing_for_one_time_book_it_once() {
    let (_, http) = bridge_with_state(None).await;
    let b = &STUDIO;
    let key = create(&http, b).await;
    let public = key_for(&http, b, &key).await;
    let zone: chrono_tz::Tz = b.zone.parse().unwrap();
    let day = open_day(zone, 2);
    let BridgeAnswer::Slots { slots } = http
        .rpc(
            b.id,
            &BridgeRequest::Slots {
                service: "vinyasa".into(),
                provider: Some("s2".into()),
                from: day,
                days: 1,
            },
        )
        .await
    else {
        panic!()
    };
    let slot = slots[3].start.timestamp().to_string();
    let mut racers = Vec::new();
    for n in 0..50u32 {
        let c = client(&http, b, &public, &token(b, &customer(100 + n), 1));
        let slot = slot.clone();
        racers.push(tokio::task::spawn_blocking(move || {
            c.submit(
                "SUMMARY",
                json!({"service": "vinyasa", "provider": "s2", "slot": slot, "alternative": ""}),
            )
        }));
    }
    let mut booked = 0;
    let mut offered_others = 0;
    for r in racers {
        let a = r.await.unwrap();
        let json = a.json.expect("an answer");
        match json["screen"].as_str() {
            Some("SUCCESS") => booked += 1,
            Some("SUMMARY") => {
                assert_eq!(json["data"]["has_notice"], true);
                offered_others += 1;
            }
            other => panic!("{other:?}: {json}"),
        }
    }
    assert_eq!((booked, offered_others), (1, 49));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_key_keeps_clients_with_the_old_one_working_until_it_is_retired() {
    let (_, http) = bridge_with_state(None).await;
    let b = &COACH;
    let key = create(&http, b).await;
    let old = key_for(&http, b, &key).await;
    let new = key_for(&http, b, &key).await;
    assert_ne!(old, new);
    let (_, view) = http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{}/flows", b.id),
            &key,
            None,
        )
        .await;
    let keys = view["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "{view}");
    assert_eq!(keys[0]["public_key"], new.as_str());
    assert!(keys[0].get("retires_at").is_none() && keys[1]["retires_at"].is_string());
    let url = format!("{}/flows/{}", http.url, b.id);
    let t = token(b, &customer(9), 1);
    let (o, n) = (old.clone(), new.clone());
    let (u, tt) = (url.clone(), t.clone());
    let (with_old, with_new) = call(move || {
        let agent = ureq::AgentBuilder::new().build();
        let req = json!({"version": "3.0", "action": "INIT", "flow_token": tt});
        (
            seal(&o, &req, None).post(&agent, &u).status,
            seal(&n, &req, None).post(&agent, &u).status,
        )
    })
    .await;
    assert_eq!((with_old, with_new), (200, 200));
    let old_id = keys[1]["id"].as_str().unwrap();
    let (s, _) = http
        .admin(
            Method::DELETE,
            &format!("/admin/tenants/{}/flows/keys/{old_id}", b.id),
            &key,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let retired = call(move || {
        let agent = ureq::AgentBuilder::new().build();
        seal(
            &old,
            &json!({"version": "3.0", "action": "INIT", "flow_token": t}),
            None,
        )
        .post(&agent, &url)
        .status
    })
    .await;
    assert_eq!(
        retired, 421,
        "a retired key opens nothing: the client fetches the new one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn following_the_published_flow_jsons_own_buttons_books() {
    // WhatsApp sends what the Flow JSON's buttons say, not what our tests type: walking
    // the JSON we publish (first option, first free day) must end in a booking, in every
    // language, so the JSON's payloads and the endpoint cannot drift apart.
    let (_, http) = bridge_with_state(None).await;
    for (n, b) in [COACH, STUDIO].iter().enumerate() {
        let key = create(&http, b).await;
        let public = key_for(&http, b, &key).await;
        let who = customer(70 + n as u32);
        let c = std::sync::Arc::new(client(&http, b, &public, &token(b, &who, 9)));
        let (status, flow) = http
            .admin(
                Method::GET,
                &format!("/admin/tenants/{}/flows/json/{}", b.id, b.lang.code()),
                &key,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{flow}");
        let x = c.clone();
        let mut answer = call(move || x.init()).await;
        let mut walked = Vec::new();
        let mut refreshed = false;
        let params = loop {
            let json = answer.json.clone().expect("an encrypted answer");
            let id = json["screen"].as_str().unwrap().to_owned();
            if id == "SUCCESS" {
                break json["data"]["extension_message_response"]["params"].clone();
            }
            assert!(walked.len() < 8, "no end to the Flow: {walked:?}");
            walked.push(id.clone());
            let data = json["data"].clone();
            let parts = flow_view::parts(&flow, &id, &data).unwrap();
            let mut form = serde_json::Map::new();
            let mut footer = None;
            let mut reselect = None;
            for part in &parts {
                match part {
                    // Another part of the day, once, through the radio group's own action.
                    Part::Choice {
                        name,
                        options,
                        on_select: Some(action),
                        initial,
                        ..
                    } if !refreshed && options.len() > 1 => {
                        let other = options.last().unwrap().0.clone();
                        assert_ne!(initial.as_ref(), Some(&other));
                        form.insert(name.clone(), json!(other));
                        reselect = flow_view::request_of(action, &id, &data, &form)
                            .map(|request| (request, other));
                        break;
                    }
                    Part::Choice {
                        name,
                        options,
                        required: true,
                        ..
                    } => {
                        form.insert(name.clone(), json!(options[0].0));
                    }
                    Part::Date {
                        name,
                        min,
                        max,
                        unavailable,
                        ..
                    } => {
                        assert!(!unavailable.contains(min), "{min} offered and greyed out");
                        // The first open day after the first: a whole day, every part of it
                        // still ahead at whatever hour the test runs (the first may be today).
                        let day =
                            |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                        let pick = day(min)
                            .iter_days()
                            .skip(1)
                            .take_while(|d| *d <= day(max))
                            .map(|d| d.format("%Y-%m-%d").to_string())
                            .find(|d| !unavailable.contains(d))
                            .unwrap_or_else(|| min.clone());
                        form.insert(name.clone(), json!(pick));
                    }
                    Part::Footer { action, .. } => footer = Some(action.clone()),
                    _ => {}
                }
            }
            if let Some(((screen, payload), other)) = reselect {
                refreshed = true;
                let x = c.clone();
                answer = call(move || x.submit(&screen, payload)).await;
                let json = answer.json.clone().expect("an encrypted answer");
                assert_eq!(
                    (json["screen"].as_str(), json["data"]["part"].as_str()),
                    (Some(id.as_str()), Some(other.as_str())),
                    "{json}"
                );
                continue;
            }
            let footer = footer.unwrap_or_else(|| panic!("{id} has no button: {parts:?}"));
            let (screen, payload) = flow_view::request_of(&footer, &id, &data, &form)
                .unwrap_or_else(|| panic!("{id}'s button does not ask the endpoint"));
            let x = c.clone();
            answer = call(move || x.submit(&screen, payload)).await;
        };
        assert!(refreshed, "no part of the day to switch to");
        assert_eq!(
            walked,
            ["SERVICE", "STAFF", "DATE", "TIME", "TIME", "SUMMARY"]
        );
        let bookings = bookings_of(&http, b, &who).await;
        assert_eq!(bookings.len(), 1, "{}", b.id);
        assert_eq!(params["reference"], bookings[0].reference.as_str());
        assert_eq!(bookings[0].service.as_str(), b.services[0].0);
    }
}
