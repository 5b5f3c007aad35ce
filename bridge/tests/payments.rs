//! Deposits through Stripe, against the Stripe stand-in: a booking is made by its payment,
//! Stripe's events are checked and acted on once in any order, an unpaid hold is let go,
//! and money that comes too late goes back. The business is a physiotherapy clinic in São
//! Paulo taking a quarter of the price up front, not the demo salon.

mod common;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use common::{OPERATOR, TestBridge, bridge_with, phone};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_bridge::AppState;
use slotline_bridge::model::{PaymentState, Stage};
use slotline_e2e::stripe::{StripeStandIn, WEBHOOK_SECRET};
use slotline_shared::catalog::{Money, TenantId};
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

const TENANT: &str = "fisio-norte";
const ACCOUNT: &str = "acct_1FisioNorte0001";

/// The clinic, its one physiotherapist working 08:00–20:00 every day, and an assessment of
/// R$ 180,00 with a 25 % deposit.
async fn clinic(http: &TestBridge) {
    clinic_with(http, json!({"min_notice_min": 0})).await;
}

/// [`clinic`] with this booking `policy`.
async fn clinic_with(http: &TestBridge, policy: Value) {
    let (status, created) = http
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(
                json!({"id": TENANT, "name": "Fisio Norte", "zone": "America/Sao_Paulo",
                        "languages": ["pt-BR"], "numbers": ["+5511900000001"],
                        "policy": policy,
                        "payments": {"stripe_account": ACCOUNT, "window_min": 30},
                        "billing": {"legal_name": "Fisio Norte Serviços de Saúde Ltda.",
                                    "address": "Av. Paulista 1000, sala 12\nSão Paulo - SP, 01310-100",
                                    "tax_id": "12.345.678/0001-90", "tax_basis_points": 500}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    let (status, body) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{TENANT}/services"),
            &key,
            Some(
                json!({"id": "avaliacao", "name": "Avaliação de fisioterapia", "duration_min": 50,
                        "price_minor": 18000, "currency": "BRL", "deposit_percent": 25}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{TENANT}/providers"),
            &key,
            Some(json!({"id": "rafa", "name": "Rafaela", "services": ["avaliacao"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let day = json!([{"start": "08:00", "end": "20:00"}]);
    let (status, body) = http
        .admin(
            Method::PUT,
            &format!("/admin/tenants/{TENANT}/providers/rafa/availability"),
            &key,
            Some(json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// 10:00 in São Paulo, two days from now.
fn visit() -> DateTime<Utc> {
    let zone = chrono_tz::America::Sao_Paulo;
    let day = (Utc::now().with_timezone(&zone) + Duration::days(2)).date_naive();
    zone.from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

async fn hold(http: &TestBridge, who: u32) -> BridgeAnswer {
    http.rpc(
        TENANT,
        &BridgeRequest::Hold {
            service: "avaliacao".into(),
            provider: None,
            start: visit(),
            customer: phone(who),
            idempotency_key: format!("hold-{who}-{}", Utc::now().timestamp_nanos_opt().unwrap()),
        },
    )
    .await
}

async fn held(http: &TestBridge, who: u32) -> String {
    match hold(http, who).await {
        BridgeAnswer::Held { hold } => hold.id,
        other => panic!("not held: {other:?}"),
    }
}

async fn confirm(http: &TestBridge, hold: &str) -> BridgeAnswer {
    http.rpc(
        TENANT,
        &BridgeRequest::Confirm {
            hold: hold.into(),
            idempotency_key: format!("confirm-{hold}"),
        },
    )
    .await
}

/// Delivers `event` as Stripe would, signed at `t`; the status and outcome.
async fn deliver(http: &TestBridge, event: &Value, secret: &str, t: i64) -> (StatusCode, Value) {
    let (body, header) = StripeStandIn::signed(event, secret, t);
    post_webhook(http, body, Some(header)).await
}

async fn post_webhook(
    http: &TestBridge,
    body: String,
    header: Option<String>,
) -> (StatusCode, Value) {
    let mut request = http
        .client
        .post(format!("{}/webhooks/stripe", http.url))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body);
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The customer's pending or sent messages of `stage`.
async fn notices(state: &AppState, stage: Stage) -> usize {
    state
        .store
        .outbox(&TenantId::from(TENANT), 100)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.stage == stage)
        .count()
}

async fn started() -> (StripeStandIn, AppState, TestBridge) {
    let stripe = StripeStandIn::start(common::STRIPE_KEY).unwrap();
    let (state, http) = bridge_with(None, Some(&stripe.url)).await;
    clinic(&http).await;
    (stripe, state, http)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_is_paid_at_checkout_and_its_event_books_and_tells_the_customer_once() {
    let (stripe, state, http) = started().await;
    let h = held(&http, 1).await;
    let BridgeAnswer::PaymentDue { hold, amount, url } = confirm(&http, &h).await else {
        panic!("a deposit is due first");
    };
    assert_eq!(amount, Money::new(4_500, "BRL"), "25 % of R$ 180,00");
    let url = url.expect("the payment page");
    assert!(
        url.starts_with("https://checkout.stripe.com/c/pay/cs_test_"),
        "{url}"
    );
    let window = hold.expires_at - Utc::now();
    assert!(
        window > Duration::minutes(29) && window <= Duration::minutes(32),
        "{window}"
    );
    // Stripe was asked once, on the clinic's account, with a key a retry repeats.
    let call = &stripe.calls()[0];
    assert_eq!(call.account.as_deref(), Some(ACCOUNT));
    let key = call.idempotency_key.clone().unwrap();
    assert!(
        key.starts_with(&format!("checkout:{ACCOUNT}:{TENANT}:{h}")),
        "{key}"
    );
    let form = |name: &str| {
        call.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        form("line_items[0][price_data][currency]").as_deref(),
        Some("brl")
    );
    assert_eq!(
        form("line_items[0][price_data][unit_amount]").as_deref(),
        Some("4500")
    );
    assert_eq!(
        form("payment_intent_data[metadata][booking_id]").as_deref(),
        Some(h.as_str())
    );
    assert_eq!(
        form("success_url").as_deref(),
        Some("https://wa.me/5511900000001")
    );

    // Asking again (the customer wrote before paying) opens no second page.
    let BridgeAnswer::PaymentDue { url: again, .. } = confirm(&http, &h).await else {
        panic!("still due");
    };
    assert_eq!(again.as_deref(), Some(url.as_str()));
    assert_eq!(stripe.sessions().len(), 1);
    // While it is being paid, nobody else gets the time.
    assert!(matches!(
        hold_answer(&http, 2).await,
        BridgeAnswer::Taken { .. }
    ));

    let session = stripe.sessions()[0]["id"].as_str().unwrap().to_owned();
    let paid = stripe.pay(&session).unwrap();
    let now = Utc::now().timestamp();
    // Refused, and nothing changes: another account, a changed body, a stale signature,
    // another secret, no signature.
    let mut elsewhere = paid.clone();
    elsewhere["account"] = json!("acct_1SomeoneElse0001");
    assert_eq!(
        deliver(&http, &elsewhere, WEBHOOK_SECRET, now).await.0,
        StatusCode::BAD_REQUEST
    );
    // A live event reaching a test-mode platform is not about its money.
    let mut live = paid.clone();
    live["livemode"] = json!(true);
    assert_eq!(
        deliver(&http, &live, WEBHOOK_SECRET, now).await.1["outcome"],
        "ignored"
    );
    let (body, header) = StripeStandIn::signed(&paid, WEBHOOK_SECRET, now);
    let tampered = body.replace("\"amount_total\":4500", "\"amount_total\":1");
    assert_ne!(tampered, body);
    assert_eq!(
        post_webhook(&http, tampered, Some(header)).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(&http, &paid, WEBHOOK_SECRET, now - 301).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(&http, &paid, "whsec_other", now).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post_webhook(&http, paid.to_string(), None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(notices(&state, Stage::Paid).await, 0);
    assert!(
        http.rpc(TENANT, &BridgeRequest::Bookings { customer: phone(1) })
            .await
            == BridgeAnswer::Bookings { bookings: vec![] }
    );

    // Delivered five times (Stripe retries): one booking, one message.
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let (status, answer) = deliver(&http, &paid, WEBHOOK_SECRET, now).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        outcomes.push(answer["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        outcomes,
        ["confirmed", "ignored", "ignored", "ignored", "ignored"]
    );
    // A late expiry (out of order) does not undo it.
    let mut expired = paid.clone();
    expired["type"] = json!("checkout.session.expired");
    expired["id"] = json!("evt_test_late_expiry");
    assert_eq!(
        deliver(&http, &expired, WEBHOOK_SECRET, now).await.1["outcome"],
        "ignored"
    );
    assert_eq!(notices(&state, Stage::Paid).await, 1);
    assert_eq!(notices(&state, Stage::Receipt).await, 1, "one receipt");
    let docs = state
        .store
        .documents_of(&TenantId::from(TENANT), &h)
        .await
        .unwrap();
    assert_eq!(
        docs.iter().map(|d| d.code()).collect::<Vec<_>>(),
        ["R-000001"]
    );
    let BridgeAnswer::Bookings { bookings } = http
        .rpc(TENANT, &BridgeRequest::Bookings { customer: phone(1) })
        .await
    else {
        panic!("bookings");
    };
    assert_eq!(bookings.len(), 1);
    assert_eq!(bookings[0].start, visit());
    // The conversation asking again now finds the booking.
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::Booked { .. }
    ));
    let payment = state
        .store
        .payment(&TenantId::from(TENANT), &h)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.state, PaymentState::Paid);
    assert!(payment.payment_intent.unwrap().starts_with("pi_"));
}

async fn hold_answer(http: &TestBridge, who: u32) -> BridgeAnswer {
    hold(http, who).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_deposit_lets_the_time_go_and_tells_the_customer() {
    let (stripe, state, http) = started().await;
    let h = held(&http, 1).await;
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::PaymentDue { .. }
    ));
    let session = stripe.sessions()[0]["id"].as_str().unwrap().to_owned();
    let expired = stripe.expire(&session).unwrap();
    let now = Utc::now().timestamp();
    let (status, answer) = deliver(&http, &expired, WEBHOOK_SECRET, now).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (StatusCode::OK, Some("released"))
    );
    assert_eq!(
        deliver(&http, &expired, WEBHOOK_SECRET, now).await.1["outcome"],
        "ignored"
    );
    assert_eq!(notices(&state, Stage::PaymentExpired).await, 1, "told once");
    // The time is free for the next customer, and the first one's "yes" no longer books.
    assert!(matches!(
        hold_answer(&http, 2).await,
        BridgeAnswer::Held { .. }
    ));
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::Failed { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_the_hold_lapsed_rebooks_the_time_if_free_and_refunds_it_if_not() {
    let tenant = TenantId::from(TENANT);
    // Free: the same time is booked.
    let (stripe, state, http) = started().await;
    let h = held(&http, 1).await;
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::PaymentDue { .. }
    ));
    state.store.release(&tenant, &h, Utc::now()).await.unwrap(); // as a lapse would
    let session = stripe.sessions()[0]["id"].as_str().unwrap().to_owned();
    let paid = stripe.pay(&session).unwrap();
    let (status, answer) = deliver(&http, &paid, WEBHOOK_SECRET, Utc::now().timestamp()).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (StatusCode::OK, Some("rebooked"))
    );
    assert_eq!(notices(&state, Stage::Paid).await, 1);
    // Stripe delivering it again books nothing more and refunds nothing.
    assert_eq!(
        deliver(&http, &paid, WEBHOOK_SECRET, Utc::now().timestamp())
            .await
            .1["outcome"],
        "ignored"
    );
    assert!(stripe.calls().iter().all(|c| c.path != "/v1/refunds"));
    assert_eq!(notices(&state, Stage::Paid).await, 1);
    assert_eq!(notices(&state, Stage::Receipt).await, 1);

    // Taken meanwhile: the whole deposit goes back, once, and the customer is told why.
    let (stripe, state, http) = started().await;
    let h = held(&http, 1).await;
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::PaymentDue { .. }
    ));
    state.store.release(&tenant, &h, Utc::now()).await.unwrap();
    assert!(matches!(
        hold_answer(&http, 2).await,
        BridgeAnswer::Held { .. }
    ));
    let session = stripe.sessions()[0]["id"].as_str().unwrap().to_owned();
    let paid = stripe.pay(&session).unwrap();
    let intent = paid["data"]["object"]["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = Utc::now().timestamp();
    let (status, answer) = deliver(&http, &paid, WEBHOOK_SECRET, now).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (StatusCode::OK, Some("refunded"))
    );
    assert_eq!(
        deliver(&http, &paid, WEBHOOK_SECRET, now).await.1["outcome"],
        "ignored"
    );
    assert_eq!(stripe.refunded(&intent), 4_500, "in full");
    let refunds: Vec<_> = stripe
        .calls()
        .into_iter()
        .filter(|c| c.path == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].account.as_deref(), Some(ACCOUNT));
    assert_eq!(notices(&state, Stage::PaidTooLate).await, 1);
    assert_eq!(notices(&state, Stage::Paid).await, 0);
    // The money came and went: a receipt, and the credit note that gives it back.
    let docs: Vec<_> = state
        .store
        .documents_of(&tenant, &h)
        .await
        .unwrap()
        .iter()
        .map(|d| (d.code(), d.amount.minor, d.corrects.clone()))
        .collect();
    assert_eq!(
        docs,
        [
            ("R-000001".to_owned(), 4_500, None),
            ("CN-000001".to_owned(), 4_500, Some("R-000001".to_owned()))
        ]
    );
    let payment = state.store.payment(&tenant, &h).await.unwrap().unwrap();
    assert_eq!(
        (payment.state, payment.refunded_minor),
        (PaymentState::Refunded, 4_500)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_stripe_keeps_the_hold_and_the_next_ask_gets_the_one_page() {
    let (stripe, _state, http) = started().await;
    let h = held(&http, 1).await;
    stripe.set_delay(std::time::Duration::from_secs(3));
    let asked = std::time::Instant::now();
    let answer = confirm(&http, &h).await;
    let took = asked.elapsed();
    assert!(
        matches!(&answer, BridgeAnswer::PaymentDue { url: None, .. }),
        "{answer:?}"
    );
    assert!(
        took < std::time::Duration::from_millis(2_500),
        "answered in {took:?}"
    );
    stripe.set_delay(std::time::Duration::ZERO);
    // Stripe finished the first request meanwhile; the same key returns its session.
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    let BridgeAnswer::PaymentDue { url: Some(_), .. } = confirm(&http, &h).await else {
        panic!("the page, once Stripe answers");
    };
    assert_eq!(
        stripe.sessions().len(),
        1,
        "never two pages for one booking"
    );
    assert!(matches!(
        hold_answer(&http, 2).await,
        BridgeAnswer::Taken { .. }
    ));
}

/// The first start on the clinic's hours (08:00–19:00 in São Paulo, on the half hour) whose
/// notice from now is strictly between `lo` and `hi` hours.
fn start_with_notice(lo: i64, hi: i64) -> DateTime<Utc> {
    let zone = chrono_tz::America::Sao_Paulo;
    let now = Utc::now();
    let mut t = now + Duration::hours(lo) + Duration::minutes(31);
    t = DateTime::from_timestamp(t.timestamp() / 1800 * 1800, 0).unwrap();
    while t - now < Duration::hours(hi) {
        let local = t.with_timezone(&zone);
        let minutes = local.hour() * 60 + local.minute();
        if t - now > Duration::hours(lo) && (8 * 60..=19 * 60).contains(&minutes) {
            return t;
        }
        t += Duration::minutes(30);
    }
    panic!("no start between {lo} h and {hi} h");
}

/// A booking of customer `who` at `start`, its deposit paid; its reference and PaymentIntent.
async fn paid_booking(
    http: &TestBridge,
    stripe: &StripeStandIn,
    who: u32,
    start: DateTime<Utc>,
) -> (String, String) {
    let answer = http
        .rpc(
            TENANT,
            &BridgeRequest::Hold {
                service: "avaliacao".into(),
                provider: None,
                start,
                customer: phone(who),
                idempotency_key: format!("hold-{who}-{}", start.timestamp()),
            },
        )
        .await;
    let BridgeAnswer::Held { hold } = answer else {
        panic!("not held at {start}: {answer:?}");
    };
    let BridgeAnswer::PaymentDue { .. } = confirm(http, &hold.id).await else {
        panic!("a deposit is due");
    };
    let session = stripe
        .sessions()
        .into_iter()
        .find(|s| s["metadata"]["booking_id"] == json!(hold.id))
        .unwrap();
    let paid = stripe.pay(session["id"].as_str().unwrap()).unwrap();
    let (status, answer) = deliver(http, &paid, WEBHOOK_SECRET, Utc::now().timestamp()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let BridgeAnswer::Bookings { bookings } = http
        .rpc(
            TENANT,
            &BridgeRequest::Bookings {
                customer: phone(who),
            },
        )
        .await
    else {
        panic!("bookings");
    };
    let reference = bookings
        .iter()
        .find(|b| b.start == start)
        .map(|b| b.reference.clone())
        .expect("booked by its payment");
    let intent = paid["data"]["object"]["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    (reference, intent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_refunds_by_the_notice_tier_by_itself() {
    let stripe = StripeStandIn::start(common::STRIPE_KEY).unwrap();
    let (_state, http) = bridge_with(None, Some(&stripe.url)).await;
    // A tier that needs more notice than the full refund, a bad account, a window shorter
    // than Checkout allows: refused, field by field.
    let (status, body) = http
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(
                json!({"id": "odonto", "name": "Odonto", "zone": "America/Sao_Paulo",
                        "policy": {"cancellation_notice_hours": 24,
                                   "partial_refunds": [{"min_hours": 36, "percent": 50}]},
                        "payments": {"stripe_account": "acct-odonto", "window_min": 10},
                        "billing": {"legal_name": " ", "address": "Rua 1", "tax_basis_points": 9000}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = body.to_string();
    for field in [
        "policy.partial_refunds",
        "payments.stripe_account",
        "payments.window_min",
        "billing.legal_name",
        "billing.tax_basis_points",
    ] {
        assert!(fields.contains(field), "{field}: {body}");
    }
    // All back from 48 h ahead, half from 24 h, nothing later.
    clinic_with(
        &http,
        json!({"min_notice_min": 0, "cancellation_notice_hours": 48,
               "partial_refunds": [{"min_hours": 24, "percent": 50}]}),
    )
    .await;
    for (who, (lo, hi), refunded) in [
        (1, (49, 96), Some(4_500)),
        (2, (25, 47), Some(2_250)),
        (3, (1, 23), None),
    ] {
        let start = start_with_notice(lo, hi);
        let (reference, intent) = paid_booking(&http, &stripe, who, start).await;
        let answer = http
            .rpc(
                TENANT,
                &BridgeRequest::Cancel {
                    booking: reference.clone(),
                    customer: phone(who),
                    idempotency_key: format!("cancel-{reference}"),
                },
            )
            .await;
        let BridgeAnswer::Cancelled { refund, .. } = answer else {
            panic!("not cancelled: {answer:?}");
        };
        assert_eq!(refund.map(|m| m.minor), refunded, "{lo}–{hi} h ahead");
        assert_eq!(
            stripe.refunded(&intent),
            refunded.unwrap_or(0),
            "{lo}–{hi} h ahead, at Stripe"
        );
    }
    let refunds: Vec<_> = stripe
        .calls()
        .into_iter()
        .filter(|c| c.path == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 2);
    assert!(
        refunds
            .iter()
            .all(|c| c.account.as_deref() == Some(ACCOUNT))
    );
    assert!(
        refunds
            .iter()
            .any(|c| c.form.contains(&("amount".into(), "2250".into()))),
        "the half refund names its amount"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sees_a_bookings_payment_and_refunds_part_of_it_by_hand() {
    let (stripe, _state, http) = started().await;
    let (reference, intent) = paid_booking(&http, &stripe, 1, start_with_notice(30, 90)).await;
    let path = format!("/admin/tenants/{TENANT}/bookings/{reference}");
    let (status, payment) = http
        .admin(Method::GET, &format!("{path}/payment"), OPERATOR, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{payment}");
    assert_eq!(payment["state"], "paid");
    assert_eq!(payment["amount"]["minor"], 4_500);
    assert_eq!(payment["payment_intent"].as_str(), Some(intent.as_str()));
    // Part, then too much, then the rest.
    let refund_path = format!("{path}/refund");
    let refund = |body: Value| http.admin(Method::POST, &refund_path, OPERATOR, Some(body));
    let (status, after) = refund(json!({"amount_minor": 1_000})).await;
    assert_eq!(
        (status, after["refunded_minor"].as_i64()),
        (StatusCode::OK, Some(1_000)),
        "{after}"
    );
    let (status, body) = refund(json!({"amount_minor": 4_000})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.to_string().contains("3500"),
        "says what is left: {body}"
    );
    let (status, body) = refund(json!({"amount_minor": 0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, after) = refund(json!({})).await;
    assert_eq!(
        (status, after["refunded_minor"].as_i64()),
        (StatusCode::OK, Some(4_500)),
        "{after}"
    );
    assert_eq!(stripe.refunded(&intent), 4_500);
    assert_eq!(after["state"], "refunded");
    // Nothing left: the customer's cancel refunds nothing more, and says so.
    let BridgeAnswer::Cancelled { refund, .. } = http
        .rpc(
            TENANT,
            &BridgeRequest::Cancel {
                booking: reference.clone(),
                customer: phone(1),
                idempotency_key: "cancel-after-manual".into(),
            },
        )
        .await
    else {
        panic!("not cancelled");
    };
    assert_eq!(refund.map(|m| m.minor), Some(0));
    assert_eq!(stripe.refunded(&intent), 4_500);
    // Another business's key does not see it.
    let other = http.salon("other", 1).await;
    let (status, _) = http
        .admin(Method::GET, &format!("{path}/payment"), &other, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_the_time_back_closes_the_payment_page() {
    let (stripe, state, http) = started().await;
    let h = held(&http, 1).await;
    assert!(matches!(
        confirm(&http, &h).await,
        BridgeAnswer::PaymentDue { .. }
    ));
    let answer = http
        .rpc(TENANT, &BridgeRequest::Release { hold: h.clone() })
        .await;
    assert_eq!(answer, BridgeAnswer::Released);
    let session = &stripe.sessions()[0];
    assert_eq!(session["status"], "expired", "closed at Stripe");
    let payment = state
        .store
        .payment(&TenantId::from(TENANT), &h)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.state, PaymentState::Expired);
    assert!(
        stripe.pay(session["id"].as_str().unwrap()).is_none(),
        "it cannot be paid now"
    );
    assert!(matches!(
        hold_answer(&http, 2).await,
        BridgeAnswer::Held { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_gets_one_connected_account_and_its_owner_a_link_to_finish_onboarding() {
    let stripe = StripeStandIn::start(common::STRIPE_KEY).unwrap();
    let (_state, http) = bridge_with(None, Some(&stripe.url)).await;
    let (status, created) = http
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(json!({"id": "dente", "name": "Dente Sano", "zone": "Europe/Madrid", "languages": ["es"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    let path = "/admin/tenants/dente/payments/account";
    let (status, _) = http.admin(Method::GET, path, &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no account yet");
    let (status, body) = http
        .admin(
            Method::POST,
            path,
            &key,
            Some(json!({"return_url": "http://dash.example.com/back", "refresh_url": "https://dash.example.com/again"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("return_url"), "{body}");
    let urls = json!({"return_url": "https://dash.example.com/back", "refresh_url": "https://dash.example.com/again"});
    let (status, first) = http
        .admin(Method::POST, path, &key, Some(urls.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let account = first["account"].as_str().unwrap().to_owned();
    assert!(account.starts_with("acct_"), "{first}");
    assert_eq!(first["status"], "pending");
    assert!(
        first["onboarding_url"]
            .as_str()
            .unwrap()
            .starts_with("https://connect.stripe.com/")
    );
    // Asked again (the owner lost the link): the same account, a new link.
    let (status, again) = http.admin(Method::POST, path, &key, Some(urls)).await;
    assert_eq!(
        (status, again["account"].as_str()),
        (StatusCode::OK, Some(account.as_str()))
    );
    let made: Vec<_> = stripe
        .calls()
        .into_iter()
        .filter(|c| c.path == "/v1/accounts")
        .collect();
    assert_eq!(made.len(), 1, "one account per business");
    assert!(made[0].account.is_none(), "made by the platform itself");
    assert!(made[0].form.contains(&("country".into(), "ES".into())));
    let (_, tenant) = http
        .admin(Method::GET, "/admin/tenants/dente", &key, None)
        .await;
    assert_eq!(
        tenant["payments"]["stripe_account"].as_str(),
        Some(account.as_str())
    );
    // Onboarding finished at Stripe: the status says so.
    assert!(stripe.finish_onboarding(&account));
    let (status, now) = http.admin(Method::GET, path, &key, None).await;
    assert_eq!(
        (status, now["status"].as_str()),
        (StatusCode::OK, Some("enabled"))
    );
}

/// Opens a Checkout Session at the stand-in directly (as the bridge would have) and stores
/// a payment for `hold` whose window ended five minutes ago, as if Stripe's event had been
/// lost.
async fn lapsed_payment(
    state: &AppState,
    stripe: &StripeStandIn,
    hold: &str,
    with_session: bool,
) -> Option<String> {
    let session = if with_session {
        let form = format!(
            "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=brl&line_items[0][price_data][unit_amount]=4500&line_items[0][price_data][product_data][name]=x&metadata[tenant_id]={TENANT}&metadata[booking_id]={hold}&expires_at={}",
            Utc::now().timestamp() + 1900
        );
        let made: Value = reqwest::Client::new()
            .post(format!("{}/v1/checkout/sessions", stripe.url))
            .bearer_auth(common::STRIPE_KEY)
            .header("Stripe-Account", ACCOUNT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Some(made["id"].as_str().unwrap().to_owned())
    } else {
        None
    };
    let payment = slotline_bridge::model::Payment {
        tenant: TenantId::from(TENANT),
        hold: hold.to_owned(),
        attempt: 1,
        amount: Money::new(4_500, "BRL"),
        state: if with_session {
            PaymentState::Open
        } else {
            PaymentState::Creating
        },
        session: session.clone(),
        url: None,
        payment_intent: None,
        pay_by: Utc::now() - Duration::minutes(5),
        refunded_minor: 0,
        refunds: Vec::new(),
        moved_to: None,
        updated_at: Utc::now(),
    };
    state.store.open_payment(&payment).await.unwrap();
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_whose_event_never_came_are_settled_by_asking_stripe() {
    let (stripe, state, http) = started().await;
    let tenant = TenantId::from(TENANT);
    let payments = state.payments.clone().unwrap();
    // Paid, but the webhook was lost: booked, and the customer told.
    let paid_hold = held(&http, 1).await;
    let session = lapsed_payment(&state, &stripe, &paid_hold, true)
        .await
        .unwrap();
    assert!(stripe.pay(&session).is_some());
    // Never paid, and Stripe's expiry event lost too: released, the page closed, told.
    let start = visit() + Duration::hours(2);
    let unpaid_hold = match http
        .rpc(
            TENANT,
            &BridgeRequest::Hold {
                service: "avaliacao".into(),
                provider: None,
                start,
                customer: phone(2),
                idempotency_key: "unpaid".into(),
            },
        )
        .await
    {
        BridgeAnswer::Held { hold } => hold.id,
        other => panic!("{other:?}"),
    };
    let open = lapsed_payment(&state, &stripe, &unpaid_hold, true)
        .await
        .unwrap();
    assert_eq!(payments.settle_lapsed().await.unwrap(), 2);
    assert_eq!(payments.settle_lapsed().await.unwrap(), 0, "settled once");
    let paid = state
        .store
        .payment(&tenant, &paid_hold)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.state, PaymentState::Paid);
    assert!(paid.payment_intent.is_some(), "read from Stripe");
    assert_eq!(notices(&state, Stage::Paid).await, 1);
    assert_eq!(notices(&state, Stage::Receipt).await, 1, "one receipt");
    let docs = state
        .store
        .documents_of(&TenantId::from(TENANT), &paid_hold)
        .await
        .unwrap();
    assert_eq!(
        docs.iter().map(|d| d.code()).collect::<Vec<_>>(),
        ["R-000001"]
    );
    let BridgeAnswer::Bookings { bookings } = http
        .rpc(TENANT, &BridgeRequest::Bookings { customer: phone(1) })
        .await
    else {
        panic!("bookings");
    };
    assert_eq!(bookings.len(), 1);
    let unpaid = state
        .store
        .payment(&tenant, &unpaid_hold)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unpaid.state, PaymentState::Expired);
    assert!(
        stripe
            .sessions()
            .iter()
            .any(|s| s["id"] == json!(open) && s["status"] == "expired"),
        "the page was closed at Stripe"
    );
    assert_eq!(notices(&state, Stage::PaymentExpired).await, 1);
    assert!(matches!(
        confirm(&http, &unpaid_hold).await,
        BridgeAnswer::Failed { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_customers_paying_for_twenty_times_book_each_time_once() {
    let (stripe, _state, http) = started().await;
    let http = std::sync::Arc::new(http);
    // Five customers race for each of twenty times (one physiotherapist, hourly).
    let starts: Vec<_> = (0..20)
        .map(|h| visit() + Duration::days(h / 10) + Duration::hours(h % 10 - 2))
        .collect();
    let tasks: Vec<_> = (0..100u32)
        .map(|who| {
            let (http, start) = (std::sync::Arc::clone(&http), starts[(who % 20) as usize]);
            tokio::spawn(async move {
                let answer = http
                    .rpc(
                        TENANT,
                        &BridgeRequest::Hold {
                            service: "avaliacao".into(),
                            provider: None,
                            start,
                            customer: phone(100 + who),
                            idempotency_key: format!("race-{who}"),
                        },
                    )
                    .await;
                match answer {
                    BridgeAnswer::Held { hold } => match confirm(&http, &hold.id).await {
                        BridgeAnswer::PaymentDue { url: Some(_), .. } => Some(hold.id),
                        other => panic!("{other:?}"),
                    },
                    _ => None,
                }
            })
        })
        .collect();
    let mut due = Vec::new();
    for t in tasks {
        if let Some(hold) = t.await.unwrap() {
            due.push(hold);
        }
    }
    assert_eq!(due.len(), 20, "one payment page per time");
    assert_eq!(stripe.sessions().len(), 20);
    for session in stripe.sessions() {
        let paid = stripe.pay(session["id"].as_str().unwrap()).unwrap();
        let (status, answer) = deliver(&http, &paid, WEBHOOK_SECRET, Utc::now().timestamp()).await;
        assert_eq!(
            (status, answer["outcome"].as_str()),
            (StatusCode::OK, Some("confirmed"))
        );
    }
    let from = starts.iter().min().unwrap().date_naive();
    let to = starts.iter().max().unwrap().date_naive() + Duration::days(1);
    let (_, bookings) = http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/bookings?from={from}&to={to}"),
            OPERATOR,
            None,
        )
        .await;
    let mut times: Vec<_> = bookings
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "confirmed")
        .map(|b| b["start"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(times.len(), 20, "{bookings}");
    times.sort();
    times.dedup();
    assert_eq!(times.len(), 20, "no time booked twice");
}

/// The text of a PDF, as a reader extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF that opens");
    doc.extract_text(&[1]).expect("its text")
}

async fn get_pdf(http: &TestBridge, path: &str, key: Option<&str>) -> (StatusCode, Vec<u8>) {
    let mut request = http.client.get(format!("{}{path}", http.url));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/pdf"
        );
    }
    (status, response.bytes().await.unwrap().to_vec())
}

async fn cancel(http: &TestBridge, who: u32, reference: &str) -> Option<i64> {
    let answer = http
        .rpc(
            TENANT,
            &BridgeRequest::Cancel {
                booking: reference.into(),
                customer: phone(who),
                idempotency_key: format!("cancel-{reference}"),
            },
        )
        .await;
    let BridgeAnswer::Cancelled { refund, .. } = answer else {
        panic!("not cancelled: {answer:?}");
    };
    refund.map(|m| m.minor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_credit_notes_are_numbered_in_the_customers_language_and_add_up() {
    let (stripe, state, http) = started().await;
    let t = TenantId::from(TENANT);
    let (first, intent) = paid_booking(&http, &stripe, 1, start_with_notice(30, 90)).await;
    let (second, _) = paid_booking(&http, &stripe, 2, start_with_notice(50, 120)).await;
    let path = format!("/admin/tenants/{TENANT}/bookings/{first}/payment");
    let (status, payment) = http.admin(Method::GET, &path, OPERATOR, None).await;
    assert_eq!(status, StatusCode::OK, "{payment}");
    assert_eq!(payment["documents"][0]["code"], "R-000001", "{payment}");

    // The owner downloads it: the clinic's legal details, the line, the tax inside the
    // deposit, Stripe's reference, all in Brazilian Portuguese.
    let (status, bytes) = get_pdf(
        &http,
        &format!("/admin/tenants/{TENANT}/documents/R-000001"),
        Some(OPERATOR),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&bytes);
    for wanted in [
        "Recibo",
        "Nº R-000001",
        "Fisio Norte",
        "Fisio Norte Serviços de Saúde Ltda.",
        "Av. Paulista 1000, sala 12",
        "CNPJ: 12.345.678/0001-90",
        "Sinal: Avaliação de fisioterapia com Rafaela",
        "R$ 45,00",
        "dos quais impostos 5 %",
        // 5 % inside R$ 45,00 is R$ 2,14.
        "R$ 2,14",
        first.as_str(),
        intent.as_str(),
        phone(1).as_e164(),
    ] {
        assert!(text.contains(wanted), "{wanted:?} missing from:\n{text}");
    }

    // Twilio's way in: a signed link, good until it expires, and only as signed.
    let signer = slotline_bridge::receipts::LinkSigner::new(
        common::LINK_SECRET,
        &http.url,
        Duration::hours(1),
    );
    let link = signer.link(&t, "R-000002", Utc::now());
    let path_of = |link: &str| link[http.url.len()..].to_owned();
    let (status, bytes) = get_pdf(&http, &path_of(&link), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf_text(&bytes).contains(second.as_str()));
    for forged in [
        link.replace("R-000002", "R-000001"),
        link.replace("signature=", "signature=0"),
        link.replace(TENANT, "other-clinic"),
        link.split('?').next().unwrap().to_owned(),
    ] {
        assert_eq!(
            get_pdf(&http, &path_of(&forged), None).await.0,
            StatusCode::NOT_FOUND,
            "{forged}"
        );
    }
    let old = signer.link(&t, "R-000002", Utc::now() - Duration::hours(2));
    assert_eq!(
        get_pdf(&http, &path_of(&old), None).await.0,
        StatusCode::FORBIDDEN,
        "an expired link"
    );
    assert_eq!(
        get_pdf(
            &http,
            &format!("/admin/tenants/{TENANT}/documents/R-000001"),
            None
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    for missing in ["R-000003", "R-1", "X-000001"] {
        assert_eq!(
            get_pdf(
                &http,
                &format!("/admin/tenants/{TENANT}/documents/{missing}"),
                Some(OPERATOR)
            )
            .await
            .0,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // Part refunded by hand, the rest by the customer's early cancel: two credit notes,
    // each correcting the receipt, each queued to the customer once.
    let (status, body) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{TENANT}/bookings/{first}/refund"),
            OPERATOR,
            Some(json!({"amount_minor": 1_000})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(cancel(&http, 1, &first).await, Some(3_500));
    let (_, bytes) = get_pdf(
        &http,
        &format!("/admin/tenants/{TENANT}/documents/CN-000002"),
        Some(OPERATOR),
    )
    .await;
    let text = pdf_text(&bytes);
    for wanted in [
        "Nota de crédito",
        "CN-000002",
        "R$ 35,00",
        "Corrige o recibo R-000001",
        "re_",
    ] {
        assert!(text.contains(wanted), "{wanted:?} missing from:\n{text}");
    }
    assert_eq!(notices(&state, Stage::CreditNote).await, 2);

    // A late cancel keeps the deposit: counted as forfeited.
    let (late, _) = paid_booking(&http, &stripe, 3, start_with_notice(1, 23)).await;
    assert_eq!(cancel(&http, 3, &late).await, None);
    assert_eq!(notices(&state, Stage::Receipt).await, 3);
    let (status, revenue) = http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/revenue"),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revenue}");
    assert_eq!(
        revenue["currencies"],
        json!([{"currency": "BRL", "receipts": 3, "received_minor": 13_500,
                "credit_notes": 2, "refunded_minor": 4_500, "forfeited_minor": 4_500,
                "net_minor": 9_000}]),
        "{revenue}"
    );
    let (status, listed) = http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/documents"),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().map(Vec::len), Some(5), "{listed}");
    // Another month holds none; a period backwards or of nonsense is refused.
    let (_, empty) = http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/revenue?from=2020-01-01&to=2020-02-01"),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(empty["currencies"], json!([]));
    for bad in [
        "from=2026-13-01",
        "from=2026-02-01&to=2026-01-01",
        "from=2020-01-01&to=2026-01-01",
    ] {
        let (status, body) = http
            .admin(
                Method::GET,
                &format!("/admin/tenants/{TENANT}/revenue?{bad}"),
                OPERATOR,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_refund_is_followed_to_its_end_and_a_failed_one_is_told_and_can_be_redone() {
    let (stripe, state, http) = started().await;
    let t = TenantId::from(TENANT);
    let hold_of = |reference: String| {
        let state = state.clone();
        let t = t.clone();
        async move {
            state
                .store
                .booking(&t, &reference)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let codes = |hold: String| {
        let state = state.clone();
        let t = t.clone();
        async move {
            state
                .store
                .documents_of(&t, &hold)
                .await
                .unwrap()
                .iter()
                .map(|d| d.code())
                .collect::<Vec<_>>()
        }
    };
    stripe.hold_refunds(true);

    // Cancelled early: the refund is asked for and pending; its credit note waits for it.
    let (first, _) = paid_booking(&http, &stripe, 1, start_with_notice(30, 90)).await;
    let first_hold = hold_of(first.clone()).await;
    assert_eq!(cancel(&http, 1, &first).await, Some(4_500));
    let refund = stripe.refunds()[0].clone();
    assert_eq!(refund["status"], "pending");
    assert_eq!(refund["metadata"]["tenant_id"], TENANT);
    assert_eq!(refund["metadata"]["booking_id"], json!(first_hold));
    let path = format!("/admin/tenants/{TENANT}/bookings/{first}/payment");
    let (_, payment) = http.admin(Method::GET, &path, OPERATOR, None).await;
    assert_eq!(payment["refunds"][0]["status"], "pending", "{payment}");
    assert_eq!(codes(first_hold.clone()).await, ["R-000001"]);
    // It goes through (Stripe says so twice): one credit note, one message.
    let done = stripe
        .settle_refund(refund["id"].as_str().unwrap(), true)
        .unwrap();
    let now = Utc::now().timestamp();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(deliver(&http, &done, WEBHOOK_SECRET, now).await.1["outcome"].clone());
    }
    assert_eq!(outcomes, [json!("refund_succeeded"), json!("ignored")]);
    assert_eq!(codes(first_hold).await, ["R-000001", "CN-000001"]);
    assert_eq!(notices(&state, Stage::CreditNote).await, 1);

    // The next one fails at the bank: the customer is told, nothing counts as refunded.
    let (second, intent) = paid_booking(&http, &stripe, 2, start_with_notice(50, 120)).await;
    let second_hold = hold_of(second.clone()).await;
    assert_eq!(cancel(&http, 2, &second).await, Some(4_500));
    let refund = stripe
        .refunds()
        .into_iter()
        .find(|r| r["payment_intent"] == json!(intent))
        .unwrap();
    let failed = stripe
        .settle_refund(refund["id"].as_str().unwrap(), false)
        .unwrap();
    assert_eq!(failed["type"], "refund.failed");
    let mut elsewhere = failed.clone();
    elsewhere["account"] = json!("acct_1SomeoneElse0001");
    assert_eq!(
        deliver(&http, &elsewhere, WEBHOOK_SECRET, now).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(&http, &failed, WEBHOOK_SECRET, now).await.1["outcome"],
        "refund_failed"
    );
    // A success reported after the failure (out of order, or a forgery of a real
    // signature's shape) does not undo it.
    let mut late = failed.clone();
    late["type"] = json!("refund.updated");
    late["id"] = json!("evt_test_late_success");
    late["data"]["object"]["status"] = json!("succeeded");
    assert_eq!(
        deliver(&http, &late, WEBHOOK_SECRET, now).await.1["outcome"],
        "ignored"
    );
    assert_eq!(notices(&state, Stage::RefundFailed).await, 1);
    assert_eq!(stripe.refunded(&intent), 0);
    let path = format!("/admin/tenants/{TENANT}/bookings/{second}/payment");
    let (_, payment) = http.admin(Method::GET, &path, OPERATOR, None).await;
    assert_eq!(payment["refunded_minor"], 0, "{payment}");
    assert_eq!(payment["refunds"][0]["status"], "failed", "{payment}");
    assert_eq!(codes(second_hold.clone()).await, ["R-000002"]);

    // The owner refunds it again by hand: a new refund at Stripe, not the failed one.
    stripe.hold_refunds(false);
    let (status, after) = http
        .admin(
            Method::POST,
            &format!("/admin/tenants/{TENANT}/bookings/{second}/refund"),
            OPERATOR,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["refunded_minor"], 4_500);
    assert_eq!(stripe.refunded(&intent), 4_500);
    assert_eq!(stripe.refunds().len(), 3);
    assert_eq!(codes(second_hold).await, ["R-000002", "CN-000002"]);
}
