//! The bridge through HTTP on loopback: concurrency, signatures, tenant isolation and
//! validation, as the worker and admins meet them.

mod common;

use std::collections::HashMap;

use chrono::Duration;
use common::{OPERATOR, TestBridge, at, day, phone};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

/// A booked stretch of time.
type Span = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

fn hold(
    start: chrono::DateTime<chrono::Utc>,
    provider: Option<&str>,
    who: u32,
    key: &str,
) -> BridgeRequest {
    BridgeRequest::Hold {
        service: "cut".into(),
        provider: provider.map(Into::into),
        start,
        customer: phone(who),
        idempotency_key: key.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_holds_of_one_slot_grant_exactly_one() {
    let bridge = std::sync::Arc::new(TestBridge::start().await);
    bridge.salon("race", 1).await;
    let start = at(2, 10, 0);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let bridge = std::sync::Arc::clone(&bridge);
            tokio::spawn(async move {
                bridge
                    .rpc("race", &hold(start, Some("p0"), i, &format!("race-{i}")))
                    .await
            })
        })
        .collect();
    let (mut granted, mut taken) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            BridgeAnswer::Held { hold } => {
                assert_eq!(hold.start, start);
                granted += 1;
            }
            BridgeAnswer::Taken { alternatives } => {
                assert!(
                    !alternatives.is_empty(),
                    "a refused hold is offered the nearest free slots"
                );
                assert!(alternatives.iter().all(|s| s.start != start));
                taken += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((granted, taken), (1, 199));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_any_available_bookings_spread_fairly_without_overlap() {
    let bridge = std::sync::Arc::new(TestBridge::start().await);
    let key = bridge.salon("fair", 5).await;
    // 100 distinct start times over five days; any provider could take each one.
    let starts: Vec<_> = (0..100)
        .map(|i| at(2 + i / 20, 9 + (i % 20) as u32 / 2, 30 * (i as u32 % 2)))
        .collect();
    let tasks: Vec<_> = starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let (bridge, start) = (std::sync::Arc::clone(&bridge), *start);
            tokio::spawn(async move {
                let BridgeAnswer::Held { hold } = bridge
                    .rpc("fair", &hold(start, None, i as u32, &format!("any-{i}")))
                    .await
                else {
                    panic!("hold {i} refused");
                };
                let confirm = BridgeRequest::Confirm {
                    hold: hold.id,
                    idempotency_key: format!("c-{i}"),
                };
                match bridge.rpc("fair", &confirm).await {
                    BridgeAnswer::Booked { booking } => booking,
                    other => panic!("confirm {i}: {other:?}"),
                }
            })
        })
        .collect();
    let mut per_provider: HashMap<String, Vec<Span>> = HashMap::new();
    for t in tasks {
        let b = t.await.unwrap();
        per_provider
            .entry(b.provider.0.clone())
            .or_default()
            .push((b.start, b.start + Duration::minutes(30)));
    }
    for (p, mut spans) in per_provider.clone() {
        spans.sort();
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "{p} double-booked: {spans:?}"
        );
    }
    let counts: Vec<usize> = per_provider.values().map(Vec::len).collect();
    assert_eq!(counts.iter().sum::<usize>(), 100);
    assert_eq!(counts.len(), 5, "every provider got bookings: {counts:?}");
    assert!(
        counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
        "{counts:?}"
    );
    // The admin API sees the same 100 bookings.
    let (status, listed) = bridge
        .admin(
            Method::GET,
            &format!(
                "/admin/tenants/fair/bookings?from={}&to={}",
                day(0),
                day(10)
            ),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 100);
}

async fn slots(bridge: &TestBridge) -> Vec<chrono::DateTime<chrono::Utc>> {
    let req = BridgeRequest::Slots {
        service: "cut".into(),
        provider: Some("p0".into()),
        from: day(3),
        days: 1,
    };
    match bridge.rpc("flow", &req).await {
        BridgeAnswer::Slots { slots } => slots.into_iter().map(|s| s.start).collect(),
        other => panic!("{other:?}"),
    }
}

async fn snapshot(bridge: &TestBridge) -> Value {
    bridge
        .signed(Method::GET, "/worker/live/snapshot", Vec::new())
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn holds_confirm_reschedule_and_cancel_over_the_worker_api() {
    let bridge = TestBridge::start().await;
    bridge.salon("flow", 1).await;
    let start = at(3, 11, 0);
    let BridgeAnswer::Held { hold: h } =
        bridge.rpc("flow", &hold(start, Some("p0"), 1, "k1")).await
    else {
        panic!()
    };
    // The same key answers the same hold.
    let BridgeAnswer::Held { hold: again } =
        bridge.rpc("flow", &hold(start, Some("p0"), 1, "k1")).await
    else {
        panic!()
    };
    assert_eq!(again.id, h.id);
    assert!(
        !slots(&bridge).await.contains(&start),
        "a held slot is not offered"
    );
    let BridgeAnswer::Booked { booking } = bridge
        .rpc(
            "flow",
            &BridgeRequest::Confirm {
                hold: h.id.clone(),
                idempotency_key: "c1".into(),
            },
        )
        .await
    else {
        panic!()
    };
    assert!(booking.reference.starts_with("SL-"));
    // Reschedule: hold the new time, then move.
    let new_start = at(3, 15, 0);
    let BridgeAnswer::Held { hold: h2 } = bridge
        .rpc("flow", &hold(new_start, Some("p0"), 1, "k2"))
        .await
    else {
        panic!()
    };
    let moved = bridge
        .rpc(
            "flow",
            &BridgeRequest::Reschedule {
                booking: booking.reference.clone(),
                hold: h2.id,
                idempotency_key: "r1".into(),
            },
        )
        .await;
    let BridgeAnswer::Rescheduled { booking: moved } = moved else {
        panic!("{moved:?}")
    };
    assert_eq!(
        (moved.start, &moved.reference),
        (new_start, &booking.reference)
    );
    let free = slots(&bridge).await;
    assert!(
        free.contains(&start) && !free.contains(&new_start),
        "old time freed, new one taken"
    );
    // Only the owner cancels; cancelling frees the slot at once.
    let cancel = |who| BridgeRequest::Cancel {
        booking: booking.reference.clone(),
        customer: phone(who),
        idempotency_key: "x".into(),
    };
    assert!(matches!(
        bridge.rpc("flow", &cancel(2)).await,
        BridgeAnswer::Failed { .. }
    ));
    assert!(matches!(
        bridge.rpc("flow", &cancel(1)).await,
        BridgeAnswer::Cancelled { .. }
    ));
    assert!(slots(&bridge).await.contains(&new_start));
    let BridgeAnswer::Bookings { bookings } = bridge
        .rpc("flow", &BridgeRequest::Bookings { customer: phone(1) })
        .await
    else {
        panic!()
    };
    assert!(bookings.is_empty());
}

#[tokio::test]
async fn worker_calls_must_be_signed_fresh_and_used_once() {
    let bridge = TestBridge::start().await;
    bridge.salon("sig", 1).await;
    let url = format!("{}/worker/sig/snapshot", bridge.url);
    let unsigned = bridge.client.get(&url).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let wrong = bridge
        .client
        .get(&url)
        .header(
            "x-slotline-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("x-slotline-signature", "00".repeat(32))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ts = chrono::Utc::now().timestamp();
    let sig = slotline_shared::signing::sign(
        common::SECRET,
        "GET",
        "/worker/sig/snapshot",
        ts,
        "nonce-once-1",
        b"",
    );
    let send = || {
        bridge
            .client
            .get(&url)
            .header("x-slotline-timestamp", ts.to_string())
            .header("x-slotline-nonce", "nonce-once-1")
            .header("x-slotline-signature", sig.clone())
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let snapshot: Value = first.json().await.unwrap();
    assert_eq!(snapshot["profile"]["name"], "Salon sig");
    assert_eq!(snapshot["catalog"]["services"][0]["name"], "Haircut");
    assert_eq!(
        send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "a replay is refused"
    );
    // A signature for one tenant's path does not open another's.
    let sig = slotline_shared::signing::sign(
        common::SECRET,
        "GET",
        "/worker/sig/snapshot",
        ts,
        "nonce-once-2",
        b"",
    );
    let other = bridge
        .client
        .get(format!("{}/worker/other/snapshot", bridge.url))
        .header("x-slotline-timestamp", ts.to_string())
        .header("x-slotline-nonce", "nonce-once-2")
        .header("x-slotline-signature", sig.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_cron_tick_is_the_workers_alone() {
    let bridge = TestBridge::start().await;
    let url = format!("{}/worker/cron/tick", bridge.url);
    let unsigned = bridge.client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let as_operator = bridge
        .client
        .post(&url)
        .bearer_auth(OPERATOR)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(as_operator.status(), StatusCode::UNAUTHORIZED);
    // Signed, on a bridge without a messenger: said plainly, not a 500.
    let signed = bridge
        .signed(Method::POST, "/worker/cron/tick", b"{}".to_vec())
        .await;
    assert_eq!(signed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = signed.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("messenger"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_are_the_operators_and_name_routes_not_tenants() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("metered", 1).await;
    let (status, _) = bridge
        .admin(Method::GET, "/admin/tenants/metered", &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = bridge.admin(Method::GET, "/metrics", &key, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a tenant key sees no platform figures"
    );
    let unauthenticated = bridge
        .client
        .get(format!("{}/metrics", bridge.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let scrape = bridge
        .client
        .get(format!("{}/metrics", bridge.url))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains(
            r#"slotline_http_requests_total{route="/admin/tenants/{tenant}",method="GET",status="200"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains("slotline_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"slotline_outbox_messages{state="pending"} 0"#),
        "{text}"
    );
    assert!(
        !text.contains("metered"),
        "a tenant's id leaked into the labels: {text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn no_admin_endpoint_shows_or_changes_another_tenants_data() {
    let bridge = TestBridge::start().await;
    let _a = bridge.salon("alpha", 1).await;
    let b = bridge.salon("beta", 1).await;
    let service = json!({"id": "cut", "name": "Stolen", "duration_min": 30, "price_minor": 1, "currency": "EUR"});
    let provider = json!({"id": "p0", "name": "Stolen", "services": ["cut"]});
    let tenant = json!({"id": "alpha", "name": "Stolen", "zone": "Europe/Madrid"});
    let attempts: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/admin/tenants/alpha", None),
        (Method::PUT, "/admin/tenants/alpha", Some(tenant)),
        (Method::GET, "/admin/tenants/alpha/services", None),
        (
            Method::POST,
            "/admin/tenants/alpha/services",
            Some(service.clone()),
        ),
        (Method::GET, "/admin/tenants/alpha/services/cut", None),
        (
            Method::PUT,
            "/admin/tenants/alpha/services/cut",
            Some(service),
        ),
        (Method::DELETE, "/admin/tenants/alpha/services/cut", None),
        (Method::GET, "/admin/tenants/alpha/providers", None),
        (
            Method::POST,
            "/admin/tenants/alpha/providers",
            Some(provider.clone()),
        ),
        (Method::GET, "/admin/tenants/alpha/providers/p0", None),
        (
            Method::PUT,
            "/admin/tenants/alpha/providers/p0",
            Some(provider),
        ),
        (Method::DELETE, "/admin/tenants/alpha/providers/p0", None),
        (
            Method::GET,
            "/admin/tenants/alpha/providers/p0/availability",
            None,
        ),
        (
            Method::PUT,
            "/admin/tenants/alpha/providers/p0/availability",
            Some(json!({})),
        ),
        (
            Method::GET,
            "/admin/tenants/alpha/providers/p0/overrides",
            None,
        ),
        (
            Method::POST,
            "/admin/tenants/alpha/providers/p0/overrides",
            Some(json!({"date": "2030-01-01"})),
        ),
        (
            Method::DELETE,
            "/admin/tenants/alpha/providers/p0/overrides/2030-01-01",
            None,
        ),
        (Method::GET, "/admin/tenants/alpha/bookings", None),
        (Method::GET, "/admin/tenants/alpha/customers", None),
        (Method::GET, "/admin/tenants/alpha/deliveries", None),
        (
            Method::POST,
            "/admin/tenants",
            Some(json!({"id": "gamma", "name": "G", "zone": "UTC"})),
        ),
    ];
    for (method, path, body) in attempts {
        let (status, answer) = bridge.admin(method.clone(), path, &b, body).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{method} {path} with beta's key answered {status}: {answer}"
        );
        assert!(
            !answer.to_string().contains("Salon alpha"),
            "{method} {path} leaked: {answer}"
        );
    }
    // Beta's own listing shows only beta; alpha is untouched.
    let (_, tenants) = bridge.admin(Method::GET, "/admin/tenants", &b, None).await;
    assert_eq!(tenants.as_array().unwrap().len(), 1);
    assert_eq!(tenants[0]["id"], "beta");
    let (_, services) = bridge
        .admin(Method::GET, "/admin/tenants/alpha/services", OPERATOR, None)
        .await;
    assert_eq!(services[0]["name"], "Haircut");
    let (status, _) = bridge
        .admin(Method::GET, "/admin/tenants/alpha", "slk_wrong", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_gets_a_message_per_field() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("val", 1).await;
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/val/services",
            &key,
            Some(json!({"id": "Bad Id", "name": "", "duration_min": 0, "price_minor": -1, "currency": "euro"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    for field in ["id", "name", "duration_min", "price_minor", "currency"] {
        assert!(
            body["fields"][field].is_string(),
            "{field} missing in {body}"
        );
    }
    let (status, body) = bridge
        .admin(
            Method::PUT,
            "/admin/tenants/val/providers/p0/availability",
            &key,
            Some(json!({"mon": [{"start": "13:00", "end": "09:00"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["mon"].is_string(), "{body}");
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/val/providers",
            &key,
            Some(json!({"id": "x", "name": "X", "services": ["nope"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["services"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    let resp = bridge
        .client
        .post(format!("{}/admin/tenants/val/services", bridge.url))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": "tz", "name": "T", "zone": "Mars/Base"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["zone"].is_string(), "{body}");
}

#[tokio::test]
async fn admin_changes_reach_the_worker_snapshot_and_slots_at_once() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("live", 1).await;
    let before = snapshot(&bridge).await;
    let slots_req = BridgeRequest::Slots {
        service: "cut".into(),
        provider: Some("p0".into()),
        from: day(4),
        days: 1,
    };
    let BridgeAnswer::Slots { slots } = bridge.rpc("live", &slots_req).await else {
        panic!()
    };
    assert!(!slots.is_empty());
    let (status, _) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/live/providers/p0/overrides",
            &key,
            Some(json!({"date": day(4).to_string(), "intervals": [], "note": "holiday"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let BridgeAnswer::Slots { slots } = bridge.rpc("live", &slots_req).await else {
        panic!()
    };
    assert!(
        slots.is_empty(),
        "a day off is closed immediately, cache or not"
    );
    let (status, _) = bridge
        .admin(
            Method::PUT,
            "/admin/tenants/live/services/cut",
            &key,
            Some(json!({"id": "cut", "name": "Signature cut", "duration_min": 45, "price_minor": 2500, "currency": "EUR"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = snapshot(&bridge).await;
    assert!(after["version"].as_u64() > before["version"].as_u64());
    assert_eq!(after["catalog"]["services"][0]["name"], "Signature cut");
}

#[tokio::test]
async fn the_openapi_file_describes_every_admin_route() {
    let bridge = TestBridge::start().await;
    let resp = bridge
        .client
        .get(format!("{}/admin/openapi.json", bridge.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    for path in [
        "/admin/tenants",
        "/admin/tenants/{tenant}",
        "/admin/tenants/{tenant}/services",
        "/admin/tenants/{tenant}/services/{id}",
        "/admin/tenants/{tenant}/providers",
        "/admin/tenants/{tenant}/providers/{id}",
        "/admin/tenants/{tenant}/providers/{id}/availability",
        "/admin/tenants/{tenant}/providers/{id}/overrides",
        "/admin/tenants/{tenant}/providers/{id}/overrides/{date}",
        "/admin/tenants/{tenant}/bookings",
        "/admin/tenants/{tenant}/customers",
        "/admin/tenants/{tenant}/deliveries",
        "/admin/tenants/{tenant}/outbox",
        "/admin/tenants/{tenant}/bookings/{reference}/no-show",
        "/admin/tenants/{tenant}/bookings/{reference}/payment",
        "/admin/tenants/{tenant}/bookings/{reference}/refund",
        "/admin/tenants/{tenant}/payments/account",
        "/admin/tenants/{tenant}/documents",
        "/admin/tenants/{tenant}/documents/{code}",
        "/admin/tenants/{tenant}/revenue",
        "/documents/{tenant}/{file}",
        "/internal/cron/tick",
        "/auth/signup",
        "/auth/login",
        "/auth/logout",
        "/auth/me",
        "/auth/sessions",
        "/auth/sessions/{id}",
        "/admin/tenants/{tenant}/users",
        "/admin/tenants/{tenant}/api-key",
        "/admin/tenants/{tenant}/audit",
        "/admin/tenants/{tenant}/try-it",
        "/auth/platform",
        "/admin/tenants/{tenant}/invites",
        "/admin/tenants/{tenant}/invites/{id}",
        "/auth/invites/{token}",
        "/auth/invites/{token}/accept",
        "/auth/password-reset",
        "/auth/password-reset/confirm",
        "/admin/service-templates",
        "/admin/tenants/{tenant}/onboarding",
        "/admin/tenants/{tenant}/senders",
        "/admin/tenants/{tenant}/senders/{sid}/verify",
        "/admin/tenants/{tenant}/message-templates",
        "/admin/tenants/{tenant}/message-templates/{stage}/{lang}",
        "/admin/tenants/{tenant}/flows",
        "/admin/tenants/{tenant}/flows/keys",
        "/admin/tenants/{tenant}/flows/keys/{id}",
        "/admin/tenants/{tenant}/flows/json/{lang}",
        "/flows/{tenant}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} undocumented");
    }
}

#[tokio::test]
async fn unknown_paths_and_tenants_answer_json_404s() {
    let bridge = TestBridge::start().await;
    let resp = bridge
        .client
        .get(format!("{}/nope", bridge.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "not_found");
    let (status, _) = bridge
        .admin(Method::GET, "/admin/tenants/ghost", OPERATOR, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = bridge
        .signed(Method::GET, "/worker/ghost/snapshot", Vec::new())
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
