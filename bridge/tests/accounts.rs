//! Dashboard accounts through HTTP: sign-up, sign-in, roles, CSRF and keys, as an owner's
//! browser and a program meet them. (The same flows in a real browser are in
//! `tests/dashboard`.)

mod common;

use common::{OPERATOR, TestBridge};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A browser: the session cookie and CSRF token it got.
struct Browser {
    cookie: String,
    csrf: String,
    tenant: String,
}

async fn send(
    bridge: &TestBridge,
    method: Method,
    path: &str,
    who: Option<&Browser>,
    csrf: bool,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = bridge
        .client
        .request(method, format!("{}{path}", bridge.url));
    if let Some(b) = who {
        req = req.header("cookie", &b.cookie);
        if csrf {
            req = req.header("x-csrf-token", &b.csrf);
        }
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

fn browser(body: &Value, headers: &reqwest::header::HeaderMap) -> Browser {
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    Browser {
        cookie: cookie.split(';').next().unwrap().to_owned(),
        csrf: body["csrf"].as_str().unwrap().to_owned(),
        tenant: body["user"]["tenant"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn sign_up(bridge: &TestBridge, business: &str, email: &str, zone: &str) -> Browser {
    let (status, body, headers) = send(
        bridge,
        Method::POST,
        "/auth/signup",
        None,
        false,
        Some(
            json!({"business_name": business, "name": "Owner", "email": email,
                     "password": "a long enough password", "time_zone": zone}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    browser(&body, &headers)
}

#[tokio::test]
async fn a_second_business_of_the_same_name_gets_its_own_id_and_emails_are_one_account() {
    let bridge = TestBridge::start().await;
    let a = sign_up(&bridge, "Studio Nova", "ana@nova.example", "Europe/Berlin").await;
    let b = sign_up(&bridge, "Studio Nova", "bea@nova.example", "Europe/Berlin").await;
    assert_eq!(
        (a.tenant.as_str(), b.tenant.as_str()),
        ("studio-nova", "studio-nova-2")
    );
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        "/auth/signup",
        None,
        false,
        Some(
            json!({"business_name": "Other", "name": "X", "email": " ANA@nova.example ",
                     "password": "another long password", "time_zone": "UTC"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["email"]
            .as_str()
            .unwrap()
            .contains("sign in"),
        "{body}"
    );
    // A misspelt field is named, never dropped; nothing is created.
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        "/auth/signup",
        None,
        false,
        Some(
            json!({"business_name": "Typo", "name": "X", "email": "t@typo.example",
                     "pasword": "another long password", "time_zone": "UTC"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["pasword"].is_string() && body["fields"]["password"].is_string(),
        "{body}"
    );
    let (_, tenants) = bridge
        .admin(Method::GET, "/admin/tenants", OPERATOR, None)
        .await;
    assert_eq!(tenants.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_session_reaches_only_its_business_and_changes_need_the_csrf_token() {
    let bridge = TestBridge::start().await;
    let a = sign_up(&bridge, "Fisio Porto", "rui@porto.example", "Europe/Lisbon").await;
    let b = sign_up(
        &bridge,
        "Dental Leeds",
        "amy@leeds.example",
        "Europe/London",
    )
    .await;
    let (status, tenant, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}", a.tenant),
        Some(&a),
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}", b.tenant),
        Some(&a),
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut renamed = tenant.clone();
    renamed["name"] = json!("Fisio Porto Centro");
    let path = format!("/admin/tenants/{}", a.tenant);
    let (status, body, _) = send(
        &bridge,
        Method::PUT,
        &path,
        Some(&a),
        false,
        Some(renamed.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Another session's token is not this one's.
    let other = Browser {
        csrf: b.csrf.clone(),
        cookie: a.cookie.clone(),
        tenant: a.tenant.clone(),
    };
    let (status, _, _) = send(
        &bridge,
        Method::PUT,
        &path,
        Some(&other),
        true,
        Some(renamed.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body, _) = send(&bridge, Method::PUT, &path, Some(&a), true, Some(renamed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Signing out ends the session for good.
    let (status, _, headers) =
        send(&bridge, Method::POST, "/auth/logout", Some(&a), true, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, body, _) = send(&bridge, Method::GET, &path, Some(&a), false, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("sign in again"),
        "{body}"
    );
}

#[tokio::test]
async fn staff_read_the_business_but_change_nothing_and_see_no_money() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(
        &bridge,
        "Kumar Tutoring",
        "anil@kumar.example",
        "Asia/Kolkata",
    )
    .await;
    let t = owner.tenant.clone();
    let (status, body, _) = send(&bridge, Method::POST, &format!("/admin/tenants/{t}/users"), Some(&owner), true,
        Some(json!({"email": "priya@kumar.example", "name": "Priya", "role": "staff", "password": "short"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["password"].is_string());
    let (status, body, _) = send(&bridge, Method::POST, &format!("/admin/tenants/{t}/users"), Some(&owner), true,
        Some(json!({"email": "priya@kumar.example", "name": "Priya", "role": "staff", "password": "priya first password", "provider": "nobody"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["provider"].is_string(), "{body}");
    let (status, _, _) = send(&bridge, Method::POST, &format!("/admin/tenants/{t}/users"), Some(&owner), true,
        Some(json!({"email": "priya@kumar.example", "name": "Priya", "role": "staff", "password": "priya first password"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body, headers) = send(
        &bridge,
        Method::POST,
        "/auth/login",
        None,
        false,
        Some(json!({"email": "Priya@Kumar.example", "password": "priya first password"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let staff = browser(&body, &headers);
    for path in ["", "/services", "/providers", "/bookings", "/customers"] {
        let (status, _, _) = send(
            &bridge,
            Method::GET,
            &format!("/admin/tenants/{t}{path}"),
            Some(&staff),
            false,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "staff read {path}");
    }
    for (method, path) in [
        (Method::GET, "/users"),
        (Method::GET, "/revenue"),
        (Method::GET, "/outbox"),
        (Method::GET, "/payments/account"),
        (Method::POST, "/api-key"),
        (Method::POST, "/services"),
    ] {
        let (status, body, _) = send(&bridge, method.clone(), &format!("/admin/tenants/{t}{path}"), Some(&staff), true,
            Some(json!({"id": "x", "name": "X", "duration_min": 30, "price_minor": 100, "currency": "INR"}))).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "staff {method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_rotated_key_stops_at_once_and_wrong_passwords_lock_with_retry_after() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(
        &bridge,
        "Spa Mar",
        "lucia@spa.example",
        "America/Mexico_City",
    )
    .await;
    let t = owner.tenant.clone();
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{t}/api-key"),
        Some(&owner),
        true,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let first = body["api_key"].as_str().unwrap().to_owned();
    let (status, _) = bridge
        .admin(Method::GET, &format!("/admin/tenants/{t}"), &first, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{t}/api-key"),
        Some(&owner),
        true,
        None,
    )
    .await;
    let (status, _) = bridge
        .admin(Method::GET, &format!("/admin/tenants/{t}"), &first, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let second = body["api_key"].as_str().unwrap();
    let (status, _) = bridge
        .admin(Method::GET, &format!("/admin/tenants/{t}"), second, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let login = |password: &'static str| {
        send(
            &bridge,
            Method::POST,
            "/auth/login",
            None,
            false,
            Some(json!({"email": "lucia@spa.example", "password": password})),
        )
    };
    for _ in 0..4 {
        assert_eq!(login("wrong password 1").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body, headers) = login("wrong password 5").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_attempts");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry), "{retry}");
    assert_eq!(
        login("a long enough password").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn every_change_is_in_the_audit_log_with_who_made_it_and_what_it_was() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(
        &bridge,
        "Clinica Sorriso",
        "carla@sorriso.example",
        "America/Sao_Paulo",
    )
    .await;
    let t = owner.tenant.clone();
    let service = json!({"id": "limpeza", "name": "Limpeza", "duration_min": 40, "price_minor": 18000, "currency": "BRL"});
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{t}/services"),
        Some(&owner),
        true,
        Some(service.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut dearer = service.clone();
    dearer["price_minor"] = json!(22000);
    send(
        &bridge,
        Method::PUT,
        &format!("/admin/tenants/{t}/services/limpeza"),
        Some(&owner),
        true,
        Some(dearer),
    )
    .await;
    // A program with the business's key, too.
    let (_, body, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{t}/api-key"),
        Some(&owner),
        true,
        None,
    )
    .await;
    let key = body["api_key"].as_str().unwrap().to_owned();
    let (status, _) = bridge
        .admin(
            Method::DELETE,
            &format!("/admin/tenants/{t}/services/limpeza"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, log, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{t}/audit"),
        Some(&owner),
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "service.delete",
            "api_key.rotate",
            "service.update",
            "service.create"
        ]
    );
    let update = &log[2];
    assert_eq!(update["before"]["price_minor"], 18000);
    assert_eq!(update["after"]["price_minor"], 22000);
    assert_eq!(update["actor_name"], "Owner <carla@sorriso.example>");
    assert_eq!(log[0]["actor_name"], "a program (API key)");
    assert!(log[0]["after"].is_null() && log[0]["before"]["name"] == "Limpeza");
    // Another business's log is not this one's, and refusals leave no entry.
    let other = sign_up(&bridge, "Barber Two", "two@barber.example", "Europe/Madrid").await;
    let (status, _, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{t}/audit"),
        Some(&other),
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, log, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}/audit", other.tenant),
        Some(&other),
        false,
        None,
    )
    .await;
    assert_eq!(log.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_owner_joins_the_platforms_shared_number_with_a_keyword_but_takes_no_one_elses() {
    let shared = slotline_shared::phone::PhoneNumber::parse("+14155550100").unwrap();
    let (_, bridge) = common::bridge_with_accounts(
        None,
        None,
        slotline_bridge::accounts::AccountSettings {
            shared_numbers: vec![shared.clone()],
            ..Default::default()
        },
    )
    .await;
    let (_, platform, _) = send(&bridge, Method::GET, "/auth/platform", None, false, None).await;
    assert_eq!(platform["shared_numbers"], json!(["+14155550100"]));
    let a = sign_up(
        &bridge,
        "Nails by Kim",
        "kim@nails.example",
        "America/New_York",
    )
    .await;
    let b = sign_up(&bridge, "Brow Bar", "bo@brow.example", "America/New_York").await;
    let (status, body, _) = put(&bridge, &a, json!(["+14155550100"]), json!(["kim"]), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same keyword on the same shared number is taken.
    let (status, body, _) = put(&bridge, &b, json!(["+14155550100"]), json!(["KIM"]), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _, _) = put(&bridge, &b, json!(["+14155550100"]), json!(["brows"]), None).await;
    assert_eq!(status, StatusCode::OK);
    // A business's own number is its own; a signed-in owner cannot take it, nor pick the
    // Twilio account the platform sends from.
    let (status, _, _) = put(
        &bridge,
        &a,
        json!(["+14155550100", "+13055550111"]),
        json!(["kim"]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body, _) = put(&bridge, &b, json!(["+13055550111"]), json!(["brows"]), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body, _) = put(
        &bridge,
        &b,
        json!(["+14155550100"]),
        json!(["brows"]),
        Some("AC0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Try it: on the shared number the first message carries the keyword.
    let (status, links, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}/try-it", a.tenant),
        Some(&a),
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(links[0]["url"], "https://wa.me/14155550100?text=kim");
    assert_eq!(links[1]["url"], "https://wa.me/13055550111?text=Hi");
    assert!(links[0]["qr_svg"].as_str().unwrap().contains("<svg"));
}

/// Puts the business's numbers and keywords (and, if given, its Twilio account) as its
/// signed-in owner would.
async fn put(
    bridge: &TestBridge,
    who: &Browser,
    numbers: Value,
    keywords: Value,
    account: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let path = format!("/admin/tenants/{}", who.tenant);
    let (_, mut t, _) = send(bridge, Method::GET, &path, Some(who), false, None).await;
    t["numbers"] = numbers;
    t["keywords"] = keywords;
    if let Some(sid) = account {
        t["messaging"]["account_sid"] = json!(sid);
    }
    send(bridge, Method::PUT, &path, Some(who), true, Some(t)).await
}
