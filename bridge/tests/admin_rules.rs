//! What an owner gets wrong, and what one owner might try against another: each answer
//! names the problem, and nothing that routes another business's customers can be changed
//! with a tenant's own key.

mod common;

use common::{OPERATOR, TestBridge, at, phone};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

/// The tenants the worker is told a number serves.
async fn route(bridge: &TestBridge, number: &str) -> Vec<String> {
    let resp = bridge
        .signed(Method::GET, &format!("/worker/route/{number}"), Vec::new())
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    body["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The tenant record as stored, to send back changed.
async fn record(bridge: &TestBridge, id: &str, key: &str) -> Value {
    let (status, body) = bridge
        .admin(Method::GET, &format!("/admin/tenants/{id}"), key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn put(bridge: &TestBridge, id: &str, key: &str, body: Value) -> (StatusCode, Value) {
    bridge
        .admin(
            Method::PUT,
            &format!("/admin/tenants/{id}"),
            key,
            Some(body),
        )
        .await
}

#[tokio::test]
async fn a_tenant_cannot_take_another_tenants_number() {
    let bridge = TestBridge::start().await;
    let _alpha = bridge.salon("alpha", 1).await;
    let beta = bridge.salon("beta", 1).await;
    let mut a = record(&bridge, "alpha", OPERATOR).await;
    a["numbers"] = json!(["+14155550100"]);
    a["keywords"] = json!(["alpha"]);
    assert_eq!(put(&bridge, "alpha", OPERATOR, a).await.0, StatusCode::OK);

    // Beta, with its own key, adds alpha's number and keyword.
    let mut b = record(&bridge, "beta", &beta).await;
    b["numbers"] = json!(["+14155550100"]);
    b["keywords"] = json!(["alpha"]);
    let (status, body) = put(&bridge, "beta", &beta, b).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("+14155550100"),
        "{body}"
    );
    assert_eq!(route(&bridge, "+14155550100").await, ["alpha"]);
    assert!(record(&bridge, "beta", &beta).await["numbers"] == json!([]));
}

#[tokio::test]
async fn keywords_on_a_shared_number_are_unique_and_members_keep_their_place() {
    let bridge = TestBridge::start().await;
    let _alpha = bridge.salon("alpha", 1).await;
    let beta = bridge.salon("beta", 1).await;
    let shared = "+14155550199";
    for (id, keyword) in [("alpha", "alpha"), ("beta", "beta")] {
        let mut t = record(&bridge, id, OPERATOR).await;
        t["numbers"] = json!([shared]);
        t["keywords"] = json!([keyword]);
        let (status, body) = put(&bridge, id, OPERATOR, t).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the operator shares a number: {body}"
        );
    }
    assert_eq!(route(&bridge, shared).await.len(), 2);

    // Beta may change its own record and keep the shared number…
    let mut b = record(&bridge, "beta", &beta).await;
    b["greeting"] = json!("Hello from Beta");
    assert_eq!(
        put(&bridge, "beta", &beta, b.clone()).await.0,
        StatusCode::OK
    );
    // …but not take alpha's keyword, however it is written.
    b["keywords"] = json!(["beta", "ÁLPHA!"]);
    let (status, body) = put(&bridge, "beta", &beta, b).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("keyword"),
        "{body}"
    );

    // Nor can the operator create a third tenant on the number with a taken keyword.
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": "gamma", "name": "Gamma", "zone": "UTC",
                        "numbers": [shared], "keywords": ["Beta"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(route(&bridge, shared).await, ["alpha", "beta"]);
}

#[tokio::test]
async fn a_tenant_cannot_send_as_or_through_another_business() {
    let bridge = TestBridge::start().await;
    let alpha = bridge.salon("alpha", 1).await;
    let beta = bridge.salon("beta", 1).await;
    let mut a = record(&bridge, "alpha", OPERATOR).await;
    a["numbers"] = json!(["+14155550100"]);
    assert_eq!(put(&bridge, "alpha", OPERATOR, a).await.0, StatusCode::OK);
    // Beta's reminders cannot come from alpha's number…
    let mut b = record(&bridge, "beta", &beta).await;
    b["messaging"]["from"] = json!("+14155550100");
    let (status, body) = put(&bridge, "beta", &beta, b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["messaging.from"].is_string(), "{body}");
    // …nor through a Twilio account of beta's choosing.
    let mut b = record(&bridge, "beta", &beta).await;
    b["messaging"]["account_sid"] = json!("AC0123456789abcdef0123456789abcdef");
    let (status, body) = put(&bridge, "beta", &beta, b.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(put(&bridge, "beta", OPERATOR, b).await.0, StatusCode::OK);
    // A business name on a shared number is a keyword too.
    let shared = "+14155550199";
    for id in ["alpha", "beta"] {
        let mut t = record(&bridge, id, OPERATOR).await;
        t["numbers"] = json!([shared]);
        t["keywords"] = json!([id]);
        assert_eq!(put(&bridge, id, OPERATOR, t).await.0, StatusCode::OK);
    }
    let mut b = record(&bridge, "beta", &beta).await;
    b["name"] = json!("Alpha");
    let (status, body) = put(&bridge, "beta", &beta, b).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // A Cal.com event type is one business's.
    let (status, body) = bridge
        .admin(
            Method::PUT,
            "/admin/tenants/alpha/providers/p0",
            &alpha,
            Some(
                json!({"id": "p0", "name": "Provider 0", "services": ["cut"],
                        "calcom_event_types": {"cut": 4242}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = bridge
        .admin(
            Method::PUT,
            "/admin/tenants/beta/providers/p0",
            &beta,
            Some(
                json!({"id": "p0", "name": "Provider 0", "services": ["cut"],
                        "calcom_event_types": {"cut": 4242}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["calcom_event_types"].is_string(), "{body}");
}

#[tokio::test]
async fn a_misspelt_field_is_refused_not_dropped() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("spell", 1).await;
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/spell/services",
            &key,
            Some(json!({"id": "colour", "name": "Colour", "duration_min": 90,
                        "price_minor": 6000, "currency": "EUR", "buffer_after_minutes": 15})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["fields"]["buffer_after_minutes"], "not a field of this record",
        "{body}"
    );
    let (status, _) = bridge
        .admin(
            Method::GET,
            "/admin/tenants/spell/services/colour",
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");
}

#[tokio::test]
async fn every_missing_or_mistyped_field_gets_its_own_message() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("fields", 1).await;
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/fields/services",
            &key,
            Some(json!({"id": "x", "name": "X", "price_minor": "twenty"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["fields"];
    assert_eq!(fields["duration_min"], "required", "{body}");
    assert_eq!(fields["currency"], "required", "{body}");
    assert!(
        fields["price_minor"]
            .as_str()
            .unwrap()
            .contains("whole number"),
        "{body}"
    );
    assert!(
        !body.to_string().contains("line 1 column"),
        "no parser internals: {body}"
    );
    // A tenant in a zone that does not exist, with a policy field of the wrong type.
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": "tz", "name": "T", "zone": "Mars/Base",
                        "policy": {"window_days": "lots"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["zone"].as_str().unwrap().contains("IANA"));
    assert!(body["fields"]["policy.window_days"].is_string(), "{body}");
    // Unreadable JSON stays a bad request.
    let resp = bridge
        .client
        .post(format!("{}/admin/tenants/fields/services", bridge.url))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{\"id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

/// Translations and nicknames: a language the bot does not speak, an empty translated
/// name or alias are each named; good ones are stored and reach the conversation.
#[tokio::test]
async fn translations_and_aliases_are_checked_and_kept() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("words", 1).await;
    let service = |translations: Value| {
        json!({"id": "massage", "name": "Massagem esportiva", "duration_min": 45,
               "price_minor": 18000, "currency": "BRL", "translations": translations})
    };
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/words/services",
            &key,
            Some(service(json!({"fr": {"name": "Massage sportif"}}))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let named = body["fields"]
        .as_object()
        .unwrap()
        .iter()
        .any(|(field, why)| {
            field.starts_with("translations") && why.as_str().unwrap().contains("fr")
        });
    assert!(named, "{body}");
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/words/services",
            &key,
            Some(service(json!({"en": {"name": "  "}}))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["fields"]["translations.en.name"], "1 to 60 characters",
        "{body}"
    );
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/words/services",
            &key,
            Some(service(
                json!({"en": {"name": "Sports massage"}, "pt-BR": {"name": "Massagem"}}),
            )),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/words/providers",
            &key,
            Some(json!({"id": "bea", "name": "Beatriz Lima", "aliases": ["Bia", ""], "services": ["massage"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["fields"]["aliases"], "each 1 to 40 characters",
        "{body}"
    );
    let (status, body) = bridge
        .admin(
            Method::POST,
            "/admin/tenants/words/providers",
            &key,
            Some(json!({"id": "bea", "name": "Beatriz Lima", "aliases": ["Bia"], "services": ["massage"]})),
        )
        .await;
    assert!(status.is_success(), "{body}");
    // The worker's catalog carries both.
    let resp = bridge
        .signed(Method::GET, "/worker/words/snapshot", Vec::new())
        .await;
    let snapshot: Value = resp.json().await.unwrap();
    let catalog = &snapshot["catalog"];
    let massage = catalog["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "massage")
        .unwrap();
    assert_eq!(
        massage["translations"]["en"]["name"], "Sports massage",
        "{snapshot}"
    );
    let bea = catalog["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "bea")
        .unwrap();
    assert_eq!(bea["aliases"], json!(["Bia"]), "{snapshot}");
}

#[tokio::test]
async fn a_moved_booking_keeps_its_history_and_records_the_move() {
    let bridge = TestBridge::start().await;
    let key = bridge.salon("hist", 1).await;
    let hold = |start, key: &str| BridgeRequest::Hold {
        service: "cut".into(),
        provider: Some("p0".into()),
        start,
        customer: phone(7),
        idempotency_key: key.into(),
    };
    let (first, second) = (at(2, 10, 0), at(3, 16, 30));
    let BridgeAnswer::Held { hold: h } = bridge.rpc("hist", &hold(first, "h1")).await else {
        panic!("no hold")
    };
    let confirm = BridgeRequest::Confirm {
        hold: h.id,
        idempotency_key: "c1".into(),
    };
    let BridgeAnswer::Booked { booking } = bridge.rpc("hist", &confirm).await else {
        panic!("not booked")
    };
    let BridgeAnswer::Held { hold: h2 } = bridge.rpc("hist", &hold(second, "h2")).await else {
        panic!("no second hold")
    };
    let moved = BridgeRequest::Reschedule {
        booking: booking.reference.clone(),
        hold: h2.id,
        idempotency_key: "r1".into(),
    };
    assert!(matches!(
        bridge.rpc("hist", &moved).await,
        BridgeAnswer::Rescheduled { .. }
    ));
    let cancel = BridgeRequest::Cancel {
        booking: booking.reference.clone(),
        customer: phone(7),
        idempotency_key: "x1".into(),
    };
    assert!(matches!(
        bridge.rpc("hist", &cancel).await,
        BridgeAnswer::Cancelled { .. }
    ));
    let (status, list) = bridge
        .admin(
            Method::GET,
            &format!(
                "/admin/tenants/hist/bookings?from={}&to={}",
                common::day(0),
                common::day(10)
            ),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let view = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["reference"] == booking.reference.as_str())
        .unwrap_or_else(|| panic!("{list}"));
    let statuses: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["held", "confirmed", "held", "rescheduled", "cancelled"],
        "{view}"
    );
    let moved = &view["history"][3];
    let time = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(time(&moved["from"]), first);
    assert_eq!(time(&moved["to"]), second);
}
