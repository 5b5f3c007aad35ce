//! A stand-in for Stripe's REST API and webhooks, following the project's Stripe contract
//! sheet: Bearer auth with the platform's secret key, form-encoded bodies with bracketed
//! keys, objects scoped by `Stripe-Account` (another account's object is 404), idempotency
//! as the sheet says (same key and parameters → the stored answer; other parameters → 400
//! `idempotency_error`), `expires_at` bounds, Stripe's error shape. Tests drive the customer
//! ("pays", "lets the page expire") and get the signed event Stripe would deliver.
//!
//! Routes:
//! - `POST /v1/checkout/sessions`: opens a session;
//! - `GET /v1/checkout/sessions/{id}`: one session as it stands;
//! - `POST /v1/checkout/sessions/{id}/expire`: closes an open one;
//! - `POST /v1/refunds`: refunds a paid session's PaymentIntent (whole or part), at once or
//!   pending until the test settles it ([`StripeStandIn::settle_refund`]);
//! - `POST /v1/accounts`, `GET /v1/accounts/{id}`, `POST /v1/account_links`: connected
//!   accounts and their onboarding (finished by [`StripeStandIn::finish_onboarding`]);
//! - `GET /_standin/calls`: every call, oldest first (stand-in only).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// One call the stand-in answered.
#[derive(Debug, Clone)]
pub struct Call {
    /// `POST /v1/…` path.
    pub path: String,
    /// `Stripe-Account`.
    pub account: Option<String>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The decoded form.
    pub form: Vec<(String, String)>,
    /// The status answered.
    pub status: u16,
}

/// What a request with an idempotency key was answered: its form, status and body.
type Stored = (Vec<(String, String)>, u16, Value);

#[derive(Default)]
struct World {
    secret_key: String,
    /// Sessions by id: (account, object).
    sessions: HashMap<String, (String, Value)>,
    /// Refunded minor units by PaymentIntent (pending refunds included, failed ones not).
    refunded: HashMap<String, i64>,
    /// Refunds by id: (account, object).
    refunds: HashMap<String, (String, Value)>,
    /// New refunds stay `pending` until [`StripeStandIn::settle_refund`] (as a card refund
    /// can, and a bank transfer refund does).
    refunds_pending: bool,
    /// Connected accounts by id.
    accounts: HashMap<String, Value>,
    /// Stored answers by (account, idempotency key): (form, status, body).
    idempotent: HashMap<(String, String), Stored>,
    calls: Vec<Call>,
    /// Injected failures: (count left, status).
    fail: Option<(u32, u16)>,
    delay: std::time::Duration,
    counter: u64,
    /// The stand-in's clock (Unix seconds), or the real one.
    now: Option<i64>,
}

impl World {
    fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_test_{:024x}", self.counter)
    }
}

/// Stripe's error body.
fn error(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> (u16, Value) {
    let mut e = json!({"type": kind, "message": message});
    if let Some(code) = code {
        e["code"] = json!(code);
        e["doc_url"] = json!(format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        ));
    }
    if let Some(param) = param {
        e["param"] = json!(param);
    }
    (status, json!({"error": e}))
}

/// A running stand-in; stops when dropped.
pub struct StripeStandIn {
    /// Its base URL.
    pub url: String,
    world: Arc<Mutex<World>>,
    _server: crate::served::Served,
}

/// The webhook signing secret the stand-in signs events with.
pub const WEBHOOK_SECRET: &str = "whsec_test_secret";

impl StripeStandIn {
    /// Starts a stand-in accepting `secret_key` on a free loopback port.
    pub fn start(secret_key: &str) -> std::io::Result<Self> {
        let world = Arc::new(Mutex::new(World {
            secret_key: secret_key.to_owned(),
            ..World::default()
        }));
        let w = Arc::clone(&world);
        let server = crate::served::Served::start(axum::Router::new().fallback(
            move |request: axum::extract::Request| {
                let w = Arc::clone(&w);
                async move { serve(w, request).await }
            },
        ))?;
        Ok(Self {
            url: server.url.clone(),
            world,
            _server: server,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut w = self.world.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut w)
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.with(|w| w.calls.clone())
    }

    /// The sessions opened, as Stripe holds them.
    pub fn sessions(&self) -> Vec<Value> {
        let mut all: Vec<Value> =
            self.with(|w| w.sessions.values().map(|(_, s)| s.clone()).collect());
        all.sort_by_key(|s| s["created"].as_i64());
        all
    }

    /// Refunded so far, minor units, of a PaymentIntent.
    pub fn refunded(&self, payment_intent: &str) -> i64 {
        self.with(|w| w.refunded.get(payment_intent).copied().unwrap_or(0))
    }

    /// The owner of `account` finishes onboarding: it can take payments.
    pub fn finish_onboarding(&self, account: &str) -> bool {
        self.with(|w| match w.accounts.get_mut(account) {
            Some(a) => {
                a["charges_enabled"] = json!(true);
                a["details_submitted"] = json!(true);
                a["requirements"] = json!({"currently_due": [], "disabled_reason": null});
                true
            }
            None => false,
        })
    }

    /// Makes the next `count` API calls answer `status` with Stripe's error body.
    pub fn fail_next(&self, count: u32, status: u16) {
        self.with(|w| w.fail = Some((count, status)));
    }

    /// Makes every answer come `delay` late.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.with(|w| w.delay = delay);
    }

    /// The customer pays on session `id`'s page: the session completes and its
    /// `checkout.session.completed` event (Connect: with its account) is returned.
    pub fn pay(&self, id: &str) -> Option<Value> {
        self.with(|w| {
            let now = w.now();
            let pi = w.next_id("pi");
            let (account, session) = w.sessions.get_mut(id)?;
            if session["status"] != "open" {
                return None;
            }
            session["status"] = json!("complete");
            session["payment_status"] = json!("paid");
            session["payment_intent"] = json!(pi);
            session["url"] = Value::Null;
            let (account, object) = (account.clone(), session.clone());
            Some(event(
                w,
                "checkout.session.completed",
                &account,
                object,
                now,
            ))
        })
    }

    /// Refunds made from now on stay `pending` (`true`) or succeed at once (`false`, the
    /// default).
    pub fn hold_refunds(&self, pending: bool) {
        self.with(|w| w.refunds_pending = pending);
    }

    /// Refunds as they stand, oldest first.
    pub fn refunds(&self) -> Vec<Value> {
        self.with(|w| {
            let mut all: Vec<Value> = w.refunds.values().map(|(_, r)| r.clone()).collect();
            all.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_owned());
            all
        })
    }

    /// Pending refund `id` ends: `succeeded` (its `refund.updated` event) or `failed` (its
    /// `refund.failed` event; the money is back on the account and may be refunded again).
    pub fn settle_refund(&self, id: &str, succeeded: bool) -> Option<Value> {
        self.with(|w| {
            let now = w.now();
            let (account, refund) = w.refunds.get_mut(id)?;
            if refund["status"] != "pending" {
                return None;
            }
            refund["status"] = json!(if succeeded { "succeeded" } else { "failed" });
            let (account, object) = (account.clone(), refund.clone());
            if !succeeded {
                let pi = object["payment_intent"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let amount = object["amount"].as_i64().unwrap_or(0);
                if let Some(r) = w.refunded.get_mut(&pi) {
                    *r -= amount;
                }
            }
            let kind = if succeeded {
                "refund.updated"
            } else {
                "refund.failed"
            };
            Some(event(w, kind, &account, object, now))
        })
    }

    /// The stand-in's clock moves to `now` (Unix seconds); `None` follows the real one.
    pub fn set_now(&self, now: Option<i64>) {
        self.with(|w| w.now = now);
    }

    /// Session `id`'s page closes unpaid: its `checkout.session.expired` event.
    pub fn expire(&self, id: &str) -> Option<Value> {
        self.with(|w| {
            let now = w.now();
            let (account, session) = w.sessions.get_mut(id)?;
            if session["status"] != "open" {
                return None;
            }
            session["status"] = json!("expired");
            session["url"] = Value::Null;
            let (account, object) = (account.clone(), session.clone());
            Some(event(w, "checkout.session.expired", &account, object, now))
        })
    }

    /// The body and `Stripe-Signature` Stripe sends for `event`, signed at `t` (Unix
    /// seconds) with `secret`.
    pub fn signed(event: &Value, secret: &str, t: i64) -> (String, String) {
        let body = event.to_string();
        let header = slotline_shared::stripe::header(secret, t, body.as_bytes());
        (body, header)
    }
}

fn event(w: &mut World, kind: &str, account: &str, object: Value, now: i64) -> Value {
    let id = w.next_id("evt");
    json!({
        "id": id, "object": "event", "account": account, "api_version": "2026-06-24.dahlia",
        "created": now, "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
    })
}

async fn serve(
    world: Arc<Mutex<World>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let path = parts.uri.path().to_owned();
    let (status, answer) = {
        let mut w = world.lock().unwrap_or_else(|p| p.into_inner());
        let answer = handle(
            &mut w,
            &path,
            header("Authorization"),
            header("Stripe-Account"),
            header("Idempotency-Key"),
            &form,
        );
        w.calls.push(Call {
            path: path.clone(),
            account: header("Stripe-Account"),
            idempotency_key: header("Idempotency-Key"),
            form: form.clone(),
            status: answer.0,
        });
        answer
    };
    let delay = world.lock().map(|w| w.delay).unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = axum::http::StatusCode::from_u16(status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("Request-Id", "req_standin")], axum::Json(answer)).into_response()
}

fn handle(
    w: &mut World,
    path: &str,
    authorization: Option<String>,
    account: Option<String>,
    key: Option<String>,
    form: &[(String, String)],
) -> (u16, Value) {
    if authorization.as_deref() != Some(&format!("Bearer {}", w.secret_key)) {
        return error(
            401,
            "invalid_request_error",
            None,
            "Invalid API Key provided",
            None,
        );
    }
    if let Some((left, status)) = w.fail {
        w.fail = (left > 1).then_some((left - 1, status));
        return error(
            status,
            "api_error",
            None,
            "An error occurred with our connection to Stripe.",
            None,
        );
    }
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    // The platform's own calls: connected accounts and their onboarding links.
    if path == "/v1/accounts" {
        if let Some(key) = &key
            && let Some((_, status, body)) = w.idempotent.get(&("platform".to_owned(), key.clone()))
        {
            return (*status, body.clone());
        }
        w.counter += 1;
        let id = format!("acct_1{:015X}", w.counter);
        let account = json!({
            "id": id, "object": "account", "type": field("type"), "country": field("country"),
            "business_profile": {"name": field("business_profile[name]")},
            "charges_enabled": false, "details_submitted": false, "payouts_enabled": false,
            "metadata": {"tenant_id": field("metadata[tenant_id]")},
            "requirements": {"currently_due": ["external_account", "tos_acceptance.date"], "disabled_reason": "requirements.past_due"},
        });
        w.accounts.insert(id, account.clone());
        if let Some(key) = key {
            w.idempotent.insert(
                ("platform".into(), key),
                (form.to_vec(), 200, account.clone()),
            );
        }
        return (200, account);
    }
    if let Some(id) = path.strip_prefix("/v1/accounts/") {
        return match w.accounts.get(id) {
            Some(a) => (200, a.clone()),
            None => error(
                404,
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such account: '{id}'"),
                None,
            ),
        };
    }
    if path == "/v1/account_links" {
        let Some(id) = field("account").filter(|a| w.accounts.contains_key(a)) else {
            return error(
                400,
                "invalid_request_error",
                Some("resource_missing"),
                "No such account",
                Some("account"),
            );
        };
        if field("type").as_deref() != Some("account_onboarding") {
            return error(
                400,
                "invalid_request_error",
                None,
                "Invalid type",
                Some("type"),
            );
        }
        let now = w.now();
        return (
            200,
            json!({"object": "account_link", "created": now, "expires_at": now + 300,
                            "url": format!("https://connect.stripe.com/setup/e/{id}/standin")}),
        );
    }
    let Some(account) = account else {
        return error(
            400,
            "invalid_request_error",
            None,
            "Direct charges need a Stripe-Account header",
            None,
        );
    };
    if let Some(key) = &key
        && let Some((stored_form, status, body)) = w.idempotent.get(&(account.clone(), key.clone()))
    {
        if stored_form.as_slice() != form {
            return error(
                400,
                "idempotency_error",
                None,
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '…' if you meant to execute a different request.",
                None,
            );
        }
        return (*status, body.clone());
    }
    if let Some(id) = path
        .strip_prefix("/v1/checkout/sessions/")
        .filter(|id| !id.contains('/'))
    {
        return match w.sessions.get(id) {
            Some((owner, session)) if owner == &account => (200, session.clone()),
            _ => error(
                404,
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such checkout.session: '{id}'"),
                None,
            ),
        };
    }
    let answer = match path {
        "/v1/checkout/sessions" => {
            let now = w.now();
            let expires_at = field("expires_at")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(now + 86_400);
            if expires_at < now + 30 * 60 || expires_at > now + 24 * 3600 {
                return error(
                    400,
                    "invalid_request_error",
                    None,
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                    Some("expires_at"),
                );
            }
            let Some(amount) =
                field("line_items[0][price_data][unit_amount]").and_then(|v| v.parse::<i64>().ok())
            else {
                return error(
                    400,
                    "invalid_request_error",
                    Some("parameter_missing"),
                    "Missing required param: line_items[0][price_data][unit_amount].",
                    Some("line_items[0][price_data][unit_amount]"),
                );
            };
            let id = w.next_id("cs");
            let metadata: serde_json::Map<String, Value> = form
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.strip_prefix("metadata[")?.strip_suffix(']')?.to_owned(),
                        json!(v),
                    ))
                })
                .collect();
            let session = json!({
                "id": id, "object": "checkout.session", "amount_subtotal": amount, "amount_total": amount,
                "cancel_url": field("cancel_url"), "client_reference_id": field("client_reference_id"),
                "created": now, "currency": field("line_items[0][price_data][currency]"),
                "customer": null, "customer_details": null, "expires_at": expires_at, "livemode": false,
                "metadata": metadata, "mode": field("mode"), "payment_intent": null,
                "payment_status": "unpaid", "status": "open", "success_url": field("success_url"),
                "url": format!("https://checkout.stripe.com/c/pay/{id}#fidkdWxOYHwnPyd1blpxYHZxWjA0"),
            });
            w.sessions.insert(id, (account.clone(), session.clone()));
            (200, session)
        }
        expire if expire.starts_with("/v1/checkout/sessions/") && expire.ends_with("/expire") => {
            let id = expire
                .trim_start_matches("/v1/checkout/sessions/")
                .trim_end_matches("/expire");
            let missing = format!("No such checkout.session: '{id}'");
            let Some((owner, session)) = w.sessions.get_mut(id) else {
                return error(
                    404,
                    "invalid_request_error",
                    Some("resource_missing"),
                    &missing,
                    None,
                );
            };
            if owner != &account {
                return error(
                    404,
                    "invalid_request_error",
                    Some("resource_missing"),
                    &missing,
                    None,
                );
            }
            if session["status"] != "open" {
                return error(
                    400,
                    "invalid_request_error",
                    None,
                    "Only Checkout Sessions with a status in [\"open\"] can be expired.",
                    None,
                );
            }
            session["status"] = json!("expired");
            session["url"] = Value::Null;
            (200, session.clone())
        }
        "/v1/refunds" => {
            let Some(pi) = field("payment_intent") else {
                return error(
                    400,
                    "invalid_request_error",
                    Some("parameter_missing"),
                    "Missing required param: payment_intent.",
                    Some("payment_intent"),
                );
            };
            let paid = w
                .sessions
                .values()
                .find(|(a, s)| a == &account && s["payment_intent"] == json!(pi))
                .map(|(_, s)| s["amount_total"].as_i64().unwrap_or(0));
            let Some(total) = paid else {
                return error(
                    404,
                    "invalid_request_error",
                    Some("resource_missing"),
                    &format!("No such payment_intent: '{pi}'"),
                    Some("payment_intent"),
                );
            };
            let already = w.refunded.get(&pi).copied().unwrap_or(0);
            let amount = field("amount")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(total - already);
            if already >= total {
                return error(
                    400,
                    "invalid_request_error",
                    Some("charge_already_refunded"),
                    "Charge has already been refunded.",
                    None,
                );
            }
            if amount <= 0 || already + amount > total {
                return error(
                    400,
                    "invalid_request_error",
                    Some("amount_too_large"),
                    "Refund amount is greater than the unrefunded amount.",
                    Some("amount"),
                );
            }
            w.refunded.insert(pi.clone(), already + amount);
            let id = w.next_id("re");
            let metadata: serde_json::Map<String, Value> = form
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                    Some((key.to_owned(), json!(v)))
                })
                .collect();
            let status = if w.refunds_pending {
                "pending"
            } else {
                "succeeded"
            };
            let refund = json!({"id": id, "object": "refund", "amount": amount,
                    "charge": pi.replace("pi_", "ch_"), "created": w.now(), "currency": "eur",
                    "metadata": metadata, "payment_intent": pi, "reason": field("reason"),
                    "status": status});
            w.refunds
                .insert(id.clone(), (account.clone(), refund.clone()));
            (200, refund)
        }
        _ => {
            return error(
                404,
                "invalid_request_error",
                None,
                &format!("Unrecognized request URL (POST: {path})."),
                None,
            );
        }
    };
    if let Some(key) = key {
        w.idempotent
            .insert((account, key), (form.to_vec(), answer.0, answer.1.clone()));
    }
    answer
}
