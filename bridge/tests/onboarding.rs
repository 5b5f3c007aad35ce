//! Getting a business going and people into it, through HTTP as the dashboard does it:
//! starting services per kind of business, the setup wizard's saved progress, invitations
//! to join, and password resets by a code sent over WhatsApp (to the Twilio stand-in).

mod common;

use common::{TWILIO_ACCOUNT, TWILIO_TOKEN, TestBridge};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_e2e::twilio::TwilioStandIn;

/// A browser's session: its cookie and CSRF token.
#[derive(Clone)]
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
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = bridge
        .client
        .request(method, format!("{}{path}", bridge.url));
    if let Some(b) = who {
        req = req
            .header("cookie", &b.cookie)
            .header("x-csrf-token", &b.csrf);
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
    Browser {
        cookie: cookie.split(';').next().unwrap().to_owned(),
        csrf: body["csrf"].as_str().unwrap().to_owned(),
        tenant: body["user"]["tenant"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn sign_up(bridge: &TestBridge, business: &str, email: &str, phone: Option<&str>) -> Browser {
    let (status, body, headers) = send(
        bridge,
        Method::POST,
        "/auth/signup",
        None,
        Some(
            json!({"business_name": business, "name": "Owner", "email": email,
                    "password": "a long enough password", "time_zone": "Europe/Madrid",
                    "language": "es", "phone": phone}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    browser(&body, &headers)
}

async fn login(bridge: &TestBridge, email: &str, password: &str) -> StatusCode {
    send(
        bridge,
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
    .0
}

#[tokio::test]
async fn a_new_business_starts_from_services_of_its_kind_and_resumes_its_setup() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(&bridge, "Clínica Sol", "ines@sol.example", None).await;
    let (status, services, _) = send(
        &bridge,
        Method::GET,
        "/admin/service-templates?kind=clinic&languages=es,en&currency=EUR",
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{services}");
    let first = &services[0];
    assert_eq!(first["name"], "Consulta");
    assert_eq!(first["translations"]["en"]["name"], "Consultation");
    assert_eq!(
        (first["price_minor"].as_i64(), first["currency"].as_str()),
        (Some(6000), Some("EUR"))
    );
    // A template is a service the API takes as it is.
    let path = format!("/admin/tenants/{}/services", owner.tenant);
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &path,
        Some(&owner),
        Some(first.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Asked wrongly, each wrong field says so.
    let (status, body, _) = send(
        &bridge,
        Method::GET,
        "/admin/service-templates?kind=bakery&languages=fr&currency=XYZ",
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["kind", "languages", "currency"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, _, _) = send(
        &bridge,
        Method::GET,
        "/admin/service-templates?kind=salon",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The wizard's progress is saved, kept in order, and survives replacing the business.
    let progress = format!("/admin/tenants/{}/onboarding", owner.tenant);
    let (status, t, _) = send(
        &bridge,
        Method::PUT,
        &progress,
        Some(&owner),
        Some(json!({"kind": "clinic", "done": ["services", "business", "services"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(
        t["onboarding"],
        json!({"kind": "clinic", "done": ["business", "services"]})
    );
    let tenant_path = format!("/admin/tenants/{}", owner.tenant);
    let (_, mut t, _) = send(&bridge, Method::GET, &tenant_path, Some(&owner), None).await;
    t["onboarding"] = json!({});
    t["address"] = json!("Calle Mayor 1, Madrid");
    let (status, t, _) = send(&bridge, Method::PUT, &tenant_path, Some(&owner), Some(t)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t["onboarding"]["done"], json!(["business", "services"]));
    let (_, t, _) = send(
        &bridge,
        Method::PUT,
        &progress,
        Some(&owner),
        Some(json!({"kind": "clinic", "done": ["business", "services", "try_it"], "finished_at": "2000-01-01T00:00:00Z"})),
    )
    .await;
    let finished = t["onboarding"]["finished_at"].as_str().unwrap().to_owned();
    assert!(
        finished.as_str() > "2026-",
        "stamped by the bridge, not the browser: {finished}"
    );
    let (status, body, _) = send(
        &bridge,
        Method::PUT,
        &progress,
        Some(&owner),
        Some(json!({"done": ["dancing"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn staff_join_by_an_invitation_link_that_works_once() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(&bridge, "Barbería Norte", "pablo@norte.example", None).await;
    let invites = format!("/admin/tenants/{}/invites", owner.tenant);
    let (status, made, _) = send(
        &bridge,
        Method::POST,
        &invites,
        Some(&owner),
        Some(json!({"email": "Lucia@Norte.example", "name": "Lucía", "role": "staff"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let link = made["link"].as_str().unwrap();
    let token = link.strip_prefix("/app/join/").unwrap();
    let (status, listed, _) = send(&bridge, Method::GET, &invites, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed[0]["invitation"]["email"], "lucia@norte.example");
    assert!(
        listed[0]["link"].is_null(),
        "the link is shown once: {listed}"
    );

    let (status, view, _) = send(
        &bridge,
        Method::GET,
        &format!("/auth/invites/{token}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["business"].as_str(), view["role"].as_str()),
        (Some("Barbería Norte"), Some("staff"))
    );
    // The id alone, or a made-up secret, opens nothing.
    let id = token.split('.').next().unwrap();
    for bad in [format!("{id}.0000"), id.to_owned()] {
        let (status, _, _) = send(
            &bridge,
            Method::GET,
            &format!("/auth/invites/{bad}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    let accept = format!("/auth/invites/{token}/accept");
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &accept,
        None,
        Some(json!({"name": "Lucía", "password": "short"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["password"].is_string(), "{body}");
    let (status, body, headers) = send(
        &bridge,
        Method::POST,
        &accept,
        None,
        Some(json!({"name": "Lucía Gómez", "password": "tijeras y peine 2026"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            body["user"]["role"].as_str(),
            body["user"]["tenant"].as_str()
        ),
        (Some("staff"), Some(owner.tenant.as_str()))
    );
    let lucia = browser(&body, &headers);
    // A member of staff invites nobody; the link is spent.
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        &invites,
        Some(&lucia),
        Some(json!({"email": "x@norte.example", "name": "X", "role": "staff"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        &accept,
        None,
        Some(json!({"name": "Lucía", "password": "tijeras y peine 2026"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        login(&bridge, "lucia@norte.example", "tijeras y peine 2026").await,
        StatusCode::OK
    );
    // Inviting an email that has an account is refused at once; a withdrawn link is dead.
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &invites,
        Some(&owner),
        Some(json!({"email": "lucia@norte.example", "name": "L", "role": "owner"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["email"].is_string(), "{body}");
    let (_, second, _) = send(
        &bridge,
        Method::POST,
        &invites,
        Some(&owner),
        Some(json!({"email": "marco@norte.example", "name": "Marco", "role": "owner"})),
    )
    .await;
    let second_id = second["invitation"]["id"].as_str().unwrap();
    let (status, _, _) = send(
        &bridge,
        Method::DELETE,
        &format!("{invites}/{second_id}"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let second_token = second["link"]
        .as_str()
        .unwrap()
        .strip_prefix("/app/join/")
        .unwrap();
    let (status, _, _) = send(
        &bridge,
        Method::GET,
        &format!("/auth/invites/{second_token}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another business's owner cannot see or withdraw these.
    let other = sign_up(&bridge, "Otra", "o@otra.example", None).await;
    // (As for everything of another business: it is not there for them.)
    let (status, _, _) = send(&bridge, Method::GET, &invites, Some(&other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(
        &bridge,
        Method::DELETE,
        &format!("{invites}/{id}"),
        Some(&other),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, log, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}/audit", owner.tenant),
        Some(&owner),
        None,
    )
    .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["user.invite", "user.join", "user.uninvite"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
}

/// The six-digit code in the last message Twilio took for `phone`.
fn code_sent_to(twilio: &TwilioStandIn, phone: &str) -> Option<String> {
    let text = twilio.sent_to(phone).last()?.text.clone();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_code_sent_over_whatsapp() {
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let shared = slotline_shared::phone::PhoneNumber::parse("+14155550100").unwrap();
    let (_, bridge) = common::bridge_sending(
        None,
        None,
        slotline_bridge::accounts::AccountSettings {
            shared_numbers: vec![shared],
            ..Default::default()
        },
        Some(&twilio.url),
    )
    .await;
    let phone = "+34612345678";
    let owner = sign_up(&bridge, "Peluquería Luz", "luz@luz.example", Some(phone)).await;
    let ask = |email: &str| {
        let bridge = &bridge;
        let email = email.to_owned();
        async move {
            send(
                bridge,
                Method::POST,
                "/auth/password-reset",
                None,
                Some(json!({"email": email})),
            )
            .await
        }
    };
    let (status, known, _) = ask("LUZ@luz.example").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // An email with no account gets the very same answer, and nothing is sent.
    let (status, unknown, _) = ask("nobody@luz.example").await;
    assert_eq!((status, &unknown), (StatusCode::ACCEPTED, &known));
    assert_eq!(twilio.sent().len(), 1);
    let message = &twilio.sent_to(phone)[0];
    assert_eq!(
        message.from, "whatsapp:+14155550100",
        "from the platform's number until the business has one"
    );
    assert!(
        message.text.contains("código"),
        "in the business's language: {}",
        message.text
    );
    let code = code_sent_to(&twilio, phone).unwrap();
    // Asking again at once sends nothing more (no flooding a phone).
    ask("luz@luz.example").await;
    assert_eq!(twilio.sent().len(), 1);

    let confirm = |code: String, password: &str| {
        let bridge = &bridge;
        let password = password.to_owned();
        async move {
            send(
                bridge,
                Method::POST,
                "/auth/password-reset/confirm",
                None,
                Some(json!({"email": "luz@luz.example", "code": code, "password": password})),
            )
            .await
        }
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body, _) = confirm(wrong.into(), "un peine nuevo 2026").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"]["code"], "wrong code; 4 tries left");
    let (status, body, _) = confirm(code.clone(), "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["password"].is_string(), "{body}");
    let (status, body, headers) = confirm(code.clone(), "un peine nuevo 2026").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = browser(&body, &headers);
    // The old session is over; the old password is refused, the new one works.
    let me = |b: Browser| {
        let bridge = &bridge;
        async move {
            send(bridge, Method::GET, "/auth/me", Some(&b), None)
                .await
                .0
        }
    };
    assert_eq!(me(owner.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(fresh).await, StatusCode::OK);
    assert_eq!(
        login(&bridge, "luz@luz.example", "a long enough password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&bridge, "luz@luz.example", "un peine nuevo 2026").await,
        StatusCode::OK
    );
    // The code worked once.
    let (status, body, _) = confirm(code, "otra clave larga 2026").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("ask for a new one")
    );
}

#[tokio::test]
async fn five_wrong_codes_spend_a_reset_code() {
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let (_, bridge) =
        common::bridge_sending(None, None, Default::default(), Some(&twilio.url)).await;
    let phone = "+351912345678";
    let owner = sign_up(&bridge, "Estúdio Mar", "mar@mar.example", Some(phone)).await;
    // With its own number the code comes from it.
    let path = format!("/admin/tenants/{}", owner.tenant);
    let (_, mut t, _) = send(&bridge, Method::GET, &path, Some(&owner), None).await;
    t["numbers"] = json!(["+351210000777"]);
    let (status, _, _) = send(&bridge, Method::PUT, &path, Some(&owner), Some(t)).await;
    assert_eq!(status, StatusCode::OK);
    send(
        &bridge,
        Method::POST,
        "/auth/password-reset",
        None,
        Some(json!({"email": "mar@mar.example"})),
    )
    .await;
    assert_eq!(twilio.sent_to(phone)[0].from, "whatsapp:+351210000777");
    let code = code_sent_to(&twilio, phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut last = Value::Null;
    for _ in 0..5 {
        last = send(
            &bridge,
            Method::POST,
            "/auth/password-reset/confirm",
            None,
            Some(
                json!({"email": "mar@mar.example", "code": wrong, "password": "uma palavra longa"}),
            ),
        )
        .await
        .1;
    }
    assert!(
        last["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("ask for a new one"),
        "{last}"
    );
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        "/auth/password-reset/confirm",
        None,
        Some(json!({"email": "mar@mar.example", "code": code, "password": "uma palavra longa"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the right code after five wrong ones is spent"
    );
}

#[tokio::test]
async fn an_own_number_is_registered_with_whatsapp_and_joins_the_business_once_online() {
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let shared = slotline_shared::phone::PhoneNumber::parse("+14155550100").unwrap();
    let (_, bridge) = common::bridge_sending(
        None,
        None,
        slotline_bridge::accounts::AccountSettings {
            shared_numbers: vec![shared],
            ..Default::default()
        },
        Some(&twilio.url),
    )
    .await;
    let owner = sign_up(&bridge, "Fisioterapia Alba", "alba@alba.example", None).await;
    let senders = format!("/admin/tenants/{}/senders", owner.tenant);
    let register = |number: &str| {
        let (bridge, senders, owner) = (&bridge, senders.clone(), owner.clone());
        let body = json!({"number": number});
        async move { send(bridge, Method::POST, &senders, Some(&owner), Some(body)).await }
    };
    // Wrong first: not a number, the platform's shared number.
    let (status, body, _) = register("0034 612").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["number"].is_string(), "{body}");
    let (status, _, _) = register("+14155550100").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let number = "+34910000123";
    let (status, reg, _) = register(number).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reg}");
    assert_eq!(reg["status"], "CREATING");
    let sid = reg["sid"].as_str().unwrap().to_owned();
    let (_, name, waba, webhook) = twilio.sender(number).unwrap();
    assert_eq!(
        (name.as_str(), waba.as_deref(), webhook.as_deref()),
        (
            "Fisioterapia Alba",
            Some("105954558954427"),
            Some("https://hooks.slotline.test/webhooks/twilio")
        ),
        "registered under the business's name, on the platform's account, pointed at the worker"
    );
    let (status, _, _) = register(number).await;
    assert_eq!(status, StatusCode::CONFLICT, "one registration at a time");
    // Looking again: Twilio now waits for the code WhatsApp sent to the number.
    let (_, list, _) = send(&bridge, Method::GET, &senders, Some(&owner), None).await;
    assert_eq!(list[0]["status"], "PENDING_VERIFICATION", "{list}");
    let verify = format!("{senders}/{sid}/verify");
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &verify,
        Some(&owner),
        Some(json!({"code": "999999"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("incorrect"),
        "{body}"
    );
    let code = twilio.sender_code(number).unwrap();
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &verify,
        Some(&owner),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "VERIFYING");
    // Online: the number is the business's, and nobody else may take it.
    let (_, list, _) = send(&bridge, Method::GET, &senders, Some(&owner), None).await;
    assert_eq!(list[0]["status"], "ONLINE", "{list}");
    let (_, t, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}", owner.tenant),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(t["numbers"], json!([number]));
    let other = sign_up(&bridge, "Otra Clínica", "o@otra.example", None).await;
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{}/senders", other.tenant),
        Some(&other),
        Some(json!({"number": number})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A PUT of the business leaves registrations alone.
    let (_, mut t, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}", owner.tenant),
        Some(&owner),
        None,
    )
    .await;
    t["senders"] = json!([]);
    send(
        &bridge,
        Method::PUT,
        &format!("/admin/tenants/{}", owner.tenant),
        Some(&owner),
        Some(t),
    )
    .await;
    // Taken offline by Meta later: a settled number is not asked about on every look, but
    // checking all of them again shows it, with the reason.
    twilio.take_sender_offline(number, "Display name not approved");
    let (_, list, _) = send(&bridge, Method::GET, &senders, Some(&owner), None).await;
    assert_eq!(list[0]["status"], "ONLINE");
    let (_, list, _) = send(
        &bridge,
        Method::GET,
        &format!("{senders}?refresh=all"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(list[0]["status"], "OFFLINE", "{list}");
    assert!(
        list[0]["offline_reasons"][0]
            .as_str()
            .unwrap()
            .contains("Display name not approved")
    );
    // A member of staff registers nothing.
    let invite = format!("/admin/tenants/{}/invites", owner.tenant);
    let (_, made, _) = send(
        &bridge,
        Method::POST,
        &invite,
        Some(&owner),
        Some(json!({"email": "st@alba.example", "name": "St", "role": "staff"})),
    )
    .await;
    let token = made["link"]
        .as_str()
        .unwrap()
        .strip_prefix("/app/join/")
        .unwrap()
        .to_owned();
    let (_, joined, headers) = send(
        &bridge,
        Method::POST,
        &format!("/auth/invites/{token}/accept"),
        None,
        Some(json!({"name": "St", "password": "a long staff password"})),
    )
    .await;
    let staff = browser(&joined, &headers);
    let (status, _, _) = send(
        &bridge,
        Method::POST,
        &senders,
        Some(&staff),
        Some(json!({"number": "+34910000124"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, log, _) = send(
        &bridge,
        Method::GET,
        &format!("/admin/tenants/{}/audit", owner.tenant),
        Some(&owner),
        None,
    )
    .await;
    assert!(log.to_string().contains("whatsapp.register"), "{log}");
}

#[tokio::test]
async fn without_the_platforms_twilio_account_registering_says_so() {
    let bridge = TestBridge::start().await;
    let owner = sign_up(&bridge, "Sin Twilio", "s@sin.example", None).await;
    let (status, body, _) = send(
        &bridge,
        Method::POST,
        &format!("/admin/tenants/{}/senders", owner.tenant),
        Some(&owner),
        Some(json!({"number": "+34910000999"})),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("TWILIO_ACCOUNT_SID")
    );
}

#[tokio::test]
async fn message_templates_are_submitted_per_language_and_an_approved_one_is_used() {
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let (_, bridge) =
        common::bridge_sending(None, None, Default::default(), Some(&twilio.url)).await;
    let owner = sign_up(&bridge, "Centro Olivo", "olivo@olivo.example", None).await;
    // Spanish first, English too.
    let path = format!("/admin/tenants/{}", owner.tenant);
    let (_, mut t, _) = send(&bridge, Method::GET, &path, Some(&owner), None).await;
    t["languages"] = json!(["es", "en"]);
    send(&bridge, Method::PUT, &path, Some(&owner), Some(t)).await;
    let list_path = format!("/admin/tenants/{}/message-templates", owner.tenant);
    let (status, list, _) = send(&bridge, Method::GET, &list_path, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let entries = list.as_array().unwrap();
    let day_before_es = entries
        .iter()
        .find(|e| e["stage"] == "day_before" && e["lang"] == "es")
        .unwrap();
    assert!(
        day_before_es["body"].as_str().unwrap().contains("{{1}}"),
        "{day_before_es}"
    );
    assert!(
        day_before_es["example"]
            .as_str()
            .unwrap()
            .contains("Centro Olivo"),
        "the example uses the business's own name: {day_before_es}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["stage"] == "day_before" && e["lang"] == "en")
    );
    assert!(
        !entries.iter().any(|e| e["stage"] == "receipt"),
        "files go with their document"
    );

    let submit = |stage: &str, lang: &str| {
        let (bridge, owner) = (&bridge, owner.clone());
        let p = format!("{list_path}/{stage}/{lang}");
        async move { send(bridge, Method::POST, &p, Some(&owner), None).await }
    };
    let (status, body, _) = submit("dancing", "es").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, _) = submit("day_before", "pt").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not one of the business's languages"
    );
    let (status, req, _) = submit("day_before", "es").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{req}");
    assert_eq!(req["status"], "received");
    let sid = req["content_sid"].as_str().unwrap().to_owned();
    let submitted = twilio.content_body(&sid).unwrap();
    assert_eq!(submitted, day_before_es["body"].as_str().unwrap());
    let (status, _, _) = submit("day_before", "es").await;
    assert_eq!(status, StatusCode::CONFLICT, "one review at a time");
    // WhatsApp rejects the English one.
    twilio.reject_templates(
        &format!("slotline_{}_day_before_en", owner.tenant.replace('-', "_")),
        "TAG_CONTENT_MISMATCH",
    );
    let (status, _, _) = submit("day_before", "en").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Two looks later: the Spanish one approved and in use, the English one rejected.
    for _ in 0..2 {
        send(&bridge, Method::GET, &list_path, Some(&owner), None).await;
    }
    let (_, list, _) = send(&bridge, Method::GET, &list_path, Some(&owner), None).await;
    let find = |stage: &str, lang: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["stage"] == stage && e["lang"] == lang)
            .unwrap()
            .clone()
    };
    let es = find("day_before", "es");
    assert_eq!(
        (es["request"]["status"].as_str(), es["content_sid"].as_str()),
        (Some("approved"), Some(sid.as_str()))
    );
    let en = find("day_before", "en");
    assert_eq!(en["request"]["status"], "rejected");
    assert!(
        en["request"]["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("TAG_CONTENT_MISMATCH")
    );
    assert!(
        en["content_sid"].is_null(),
        "a rejected template is never sent"
    );
    let (_, t, _) = send(&bridge, Method::GET, &path, Some(&owner), None).await;
    assert_eq!(t["reminders"]["templates"]["day_before"]["es"], sid);
}

#[tokio::test]
async fn a_user_is_sent_at_most_five_reset_codes_an_hour() {
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let (_, bridge) = common::bridge_sending(
        None,
        None,
        slotline_bridge::accounts::AccountSettings {
            shared_numbers: vec![
                slotline_shared::phone::PhoneNumber::parse("+14155550100").unwrap(),
            ],
            reset_every: std::time::Duration::ZERO,
            ..Default::default()
        },
        Some(&twilio.url),
    )
    .await;
    let phone = "+5511987650001";
    sign_up(
        &bridge,
        "Estética Aurora",
        "aurora@aurora.example",
        Some(phone),
    )
    .await;
    for _ in 0..7 {
        let (status, _, _) = send(
            &bridge,
            Method::POST,
            "/auth/password-reset",
            None,
            Some(json!({"email": "aurora@aurora.example"})),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert_eq!(
        twilio.sent_to(phone).len(),
        5,
        "five codes, then the hour is used up"
    );
}

#[tokio::test]
async fn one_address_trying_many_emails_is_held_back_and_others_are_not() {
    let (_, bridge) = common::bridge_with_accounts(
        None,
        None,
        slotline_bridge::accounts::AccountSettings {
            per_address: 3,
            trust_forwarded_for: true,
            ..Default::default()
        },
    )
    .await;
    let attempt = |from: &'static str, email: String| {
        let bridge = &bridge;
        async move {
            bridge
                .client
                .post(format!("{}/auth/login", bridge.url))
                .header("x-forwarded-for", from)
                .json(&json!({"email": email, "password": "guess guess guess"}))
                .send()
                .await
                .unwrap()
        }
    };
    // Three different emails from one address: each a plain wrong password.
    for n in 0..3 {
        let r = attempt("198.51.100.1", format!("victim{n}@example.com")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = attempt("198.51.100.1", "victim9@example.com".into()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts");
    // Another address is not held up, nor are the other routes.
    let r = attempt("198.51.100.2", "victim0@example.com".into()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = bridge
        .client
        .get(format!("{}/auth/platform", bridge.url))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
