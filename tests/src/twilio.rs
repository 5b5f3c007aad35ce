//! A stand-in for Twilio's REST and Content APIs, following the project's Twilio contract
//! sheet: Basic auth per account, `201` JSON bodies with Twilio's field set, error bodies
//! with Twilio's codes. It records every message so tests and the phone simulator can read
//! what the worker sent, and fails on demand.
//!
//! Routes:
//! - `POST /v1/Content` (JSON): creates a content template, answers `{"sid": "HX…", …}`;
//! - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form): sends a message;
//! - `GET /_standin/messages`: what was sent, oldest first (stand-in only);
//! - `POST /_standin/fail?to=whatsapp:+…&count=N&status=S`: the next N message sends to that
//!   recipient answer status S;
//! - `GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid}`: a media
//!   file a customer sent (Basic auth, as Twilio wants for media), added by
//!   [`TwilioStandIn::media`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};

/// One message the stand-in accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    /// `SM…`.
    pub sid: String,
    /// `whatsapp:+…` of the customer.
    pub to: String,
    /// `whatsapp:+…` of the business.
    pub from: String,
    /// Free text, when sent as text.
    pub body: Option<String>,
    /// The template's `types`, when sent with a `ContentSid`.
    pub content: Option<Value>,
    /// The `ContentSid`, when sent with one.
    pub content_sid: Option<String>,
    /// `ContentVariables`, when given.
    pub variables: Option<Value>,
    /// The text the customer sees: the body, or the template's text filled in.
    pub text: String,
    /// The file sent beside the text (`MediaUrl`), which Twilio fetches from there.
    pub media_url: Option<String>,
    /// When the stand-in accepted it.
    pub at: std::time::Instant,
    /// The same, as wall-clock time (Twilio's `date_created`).
    pub created: std::time::SystemTime,
}

impl Sent {
    /// The ids of the buttons or list items it carried.
    pub fn option_ids(&self) -> Vec<String> {
        let Some(types) = &self.content else {
            return Vec::new();
        };
        let quick = types["twilio/quick-reply"]["actions"].as_array();
        let list = types["twilio/list-picker"]["items"].as_array();
        quick
            .or(list)
            .into_iter()
            .flatten()
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect()
    }
}

#[derive(Default)]
struct World {
    accounts: HashMap<String, String>,
    contents: HashMap<String, Value>,
    sent: Vec<Sent>,
    /// Injected failures by recipient (`whatsapp:+…`): (count left, status).
    fail: HashMap<String, (u32, u16)>,
    /// Recipients whose 24-hour window is closed: only approved templates reach them.
    closed: std::collections::HashSet<String>,
    /// Content templates WhatsApp has approved.
    approved: std::collections::HashSet<String>,
    /// Answer every request this much later.
    delay: std::time::Duration,
    counter: u64,
    /// Media files by path: (content type, bytes).
    media: HashMap<String, (String, Vec<u8>)>,
    /// WhatsApp senders being registered, by `XE…` sid.
    senders: Vec<Sender>,
    /// WhatsApp's reviews of templates, by `HX…` sid: (name, category, status, reason).
    reviews: HashMap<String, (String, String, String, String)>,
    /// Templates WhatsApp is to reject on review, by name prefix, with the reason.
    reject: Vec<(String, String)>,
}

/// A WhatsApp sender at the stand-in: its number, status, and the code WhatsApp "sent" it.
#[derive(Debug, Clone)]
struct Sender {
    sid: String,
    sender_id: String,
    status: String,
    code: String,
    name: String,
    waba_id: Option<String>,
    callback_url: Option<String>,
    offline_reasons: Vec<Value>,
}

impl Sender {
    fn json(&self) -> Value {
        json!({
            "sid": self.sid, "status": self.status, "sender_id": self.sender_id,
            "configuration": {"waba_id": self.waba_id, "verification_method": "sms", "verification_code": null, "voice_application_sid": null},
            "webhook": {"callback_url": self.callback_url, "callback_method": "POST", "fallback_url": null, "fallback_method": null, "status_callback_url": null, "status_callback_method": null},
            "profile": {"name": self.name, "about": null, "address": null, "description": null, "emails": null, "logo_url": null, "vertical": null, "websites": null},
            "properties": {"quality_rating": if self.status == "ONLINE" { json!("HIGH") } else { Value::Null }, "messaging_limit": null},
            "offline_reasons": if self.offline_reasons.is_empty() { Value::Null } else { json!(self.offline_reasons) },
            "url": format!("https://messaging.twilio.com/v2/Channels/Senders/{}", self.sid),
        })
    }
}

/// The text a template shows: its richest type's body with `{{n}}` filled in.
fn template_text(types: &Value, variables: Option<&Value>) -> String {
    let body = [
        "twilio/quick-reply",
        "twilio/list-picker",
        "twilio/text",
        "twilio/call-to-action",
    ]
    .iter()
    .find_map(|t| types[*t]["body"].as_str())
    .unwrap_or_default()
    .to_owned();
    match variables.and_then(Value::as_object) {
        Some(vars) => vars.iter().fold(body, |acc, (k, v)| {
            acc.replace(&format!("{{{{{k}}}}}"), v.as_str().unwrap_or_default())
        }),
        None => body,
    }
}

/// Twilio's RFC 2822 date.
fn rfc2822(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    httpdate_like(secs)
}

/// `Fri, 14 Mar 2025 09:00:00 +0000` from Unix seconds.
fn httpdate_like(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[usize::try_from(days % 7).unwrap_or(0)],
        d,
        MONTHS[usize::try_from(m - 1).unwrap_or(0)],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A running stand-in; stops when dropped.
pub struct TwilioStandIn {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    world: Arc<Mutex<World>>,
    _server: crate::served::Served,
}

/// An answer: status and JSON body.
type Answer = (u16, Value);

fn json_response(status: u16, body: &Value) -> Answer {
    (status, body.clone())
}

fn twilio_error(status: u16, code: u32, message: &str) -> Answer {
    json_response(
        status,
        &json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

/// One request, as the handler reads it.
struct Incoming {
    method: String,
    /// Path and query.
    url: String,
    /// The `Authorization` header.
    authorization: Option<String>,
    body: String,
}

impl Incoming {
    fn url(&self) -> &str {
        &self.url
    }
}

/// The `(user, password)` of a Basic `Authorization` header.
fn basic_auth(request: &Incoming) -> Option<(String, String)> {
    let value = request
        .authorization
        .as_deref()?
        .strip_prefix("Basic ")?
        .to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Serves every request through [`handle`], answering `delay` late if one is set.
async fn serve(
    world: Arc<Mutex<World>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let incoming = Incoming {
        method: parts.method.as_str().to_owned(),
        url: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        authorization: parts
            .headers
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if incoming.method == "GET" && incoming.url.contains("/Media/") {
        let account = basic_auth(&incoming).and_then(|(user, password)| {
            world
                .lock()
                .ok()
                .filter(|w| w.accounts.get(&user) == Some(&password))
                .map(|_| user)
        });
        let file = world
            .lock()
            .ok()
            .and_then(|w| w.media.get(&incoming.url).cloned());
        return match (account, file) {
            (None, _) => (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(twilio_error(401, 20003, "Authenticate").1),
            )
                .into_response(),
            (Some(_), None) => (
                axum::http::StatusCode::NOT_FOUND,
                axum::Json(twilio_error(404, 20404, "The requested resource was not found").1),
            )
                .into_response(),
            (Some(_), Some((kind, bytes))) => {
                ([(axum::http::header::CONTENT_TYPE, kind)], bytes).into_response()
            }
        };
    }
    let (status, answer) = handle(&world, &incoming, &incoming.body);
    let delay = world.lock().map(|w| w.delay).unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = axum::http::StatusCode::from_u16(status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(answer)).into_response()
}

impl TwilioStandIn {
    /// Starts a stand-in on a free loopback port accepting `accounts` (`AccountSid` → token).
    pub fn start(accounts: &[(&str, &str)]) -> std::io::Result<Self> {
        let world = Arc::new(Mutex::new(World {
            accounts: accounts
                .iter()
                .map(|(a, t)| ((*a).to_owned(), (*t).to_owned()))
                .collect(),
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

    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.world
            .lock()
            .map(|w| w.sent.clone())
            .unwrap_or_default()
    }

    /// Messages sent to `phone` (E.164), oldest first.
    pub fn sent_to(&self, phone: &str) -> Vec<Sent> {
        let to = format!("whatsapp:{phone}");
        self.sent().into_iter().filter(|m| m.to == to).collect()
    }

    /// The token (`{{1}}`) of the newest WhatsApp Flow message sent to `phone`, if any.
    pub fn flow_token_sent_to(&self, phone: &str) -> Option<String> {
        self.sent_to(phone)
            .iter()
            .rev()
            .find(|m| {
                m.content
                    .as_ref()
                    .is_some_and(|c| c.get("whatsapp/flows").is_some())
            })
            .and_then(|m| m.variables.as_ref()?["1"].as_str().map(str::to_owned))
    }

    /// Closes (`false`) or opens `phone`'s 24-hour window: while closed, only approved
    /// templates reach it and anything else is refused with 63016.
    pub fn set_window(&self, phone: &str, open: bool) {
        if let Ok(mut w) = self.world.lock() {
            let to = format!("whatsapp:{phone}");
            if open {
                w.closed.remove(&to);
            } else {
                w.closed.insert(to);
            }
        }
    }

    /// Creates a content template WhatsApp has approved, as a business would through the
    /// Content API and WhatsApp's review; returns its `HX…` sid.
    pub fn approved_template(&self, types: Value) -> String {
        let Ok(mut w) = self.world.lock() else {
            return String::new();
        };
        w.counter += 1;
        let sid = format!("HX{:032x}", w.counter);
        w.contents.insert(sid.clone(), types);
        w.approved.insert(sid.clone());
        sid
    }

    /// Adds a media file a customer sent (a voice note's audio); returns its `MediaUrl0`.
    pub fn media(&self, content_type: &str, bytes: &[u8]) -> String {
        let Ok(mut w) = self.world.lock() else {
            return String::new();
        };
        w.counter += 1;
        let path = format!(
            "/2010-04-01/Accounts/{}/Messages/MM{:032x}/Media/ME{:032x}",
            crate::phone::ACCOUNT_SID,
            w.counter,
            w.counter
        );
        w.media
            .insert(path.clone(), (content_type.to_owned(), bytes.to_vec()));
        format!("{}{path}", self.url)
    }

    /// The verification code WhatsApp sent to a number being registered (E.164), as the
    /// business would read it on that phone.
    pub fn sender_code(&self, phone: &str) -> Option<String> {
        let id = format!("whatsapp:{phone}");
        self.world.lock().ok().and_then(|w| {
            w.senders
                .iter()
                .rev()
                .find(|s| s.sender_id == id)
                .map(|s| s.code.clone())
        })
    }

    /// What the stand-in holds of a sender: (status, display name, WABA, webhook).
    pub fn sender(&self, phone: &str) -> Option<(String, String, Option<String>, Option<String>)> {
        let id = format!("whatsapp:{phone}");
        self.world.lock().ok().and_then(|w| {
            w.senders.iter().rev().find(|s| s.sender_id == id).map(|s| {
                (
                    s.status.clone(),
                    s.name.clone(),
                    s.waba_id.clone(),
                    s.callback_url.clone(),
                )
            })
        })
    }

    /// Makes WhatsApp reject, on review, templates whose name starts with `prefix`.
    pub fn reject_templates(&self, prefix: &str, reason: &str) {
        if let Ok(mut w) = self.world.lock() {
            w.reject.push((prefix.to_owned(), reason.to_owned()));
        }
    }

    /// The body of the content template `sid` (`HX…`), as made at the Content API.
    pub fn content_body(&self, sid: &str) -> Option<String> {
        self.world
            .lock()
            .ok()
            .and_then(|w| w.contents.get(sid).map(|types| template_text(types, None)))
    }

    /// Takes a sender offline, as Meta does when a number is banned or loses quality.
    pub fn take_sender_offline(&self, phone: &str, reason: &str) {
        let id = format!("whatsapp:{phone}");
        if let Ok(mut w) = self.world.lock()
            && let Some(s) = w.senders.iter_mut().rev().find(|s| s.sender_id == id)
        {
            s.status = "OFFLINE".into();
            s.offline_reasons =
                vec![json!({"code": "131031", "message": reason, "more_info": null})];
        }
    }

    /// Makes every answer come `delay` late.
    pub fn set_delay(&self, delay: std::time::Duration) {
        if let Ok(mut w) = self.world.lock() {
            w.delay = delay;
        }
    }

    /// Makes the next `count` message sends to `phone` (E.164) answer `status`.
    pub fn fail_next(&self, phone: &str, count: u32, status: u16) {
        if let Ok(mut w) = self.world.lock() {
            w.fail.insert(format!("whatsapp:{phone}"), (count, status));
        }
    }
}

fn handle(world: &Mutex<World>, request: &Incoming, body: &str) -> Answer {
    let Ok(mut w) = world.lock() else {
        return twilio_error(500, 20500, "Internal Server Error");
    };
    let path = request.url().split('?').next().unwrap_or("").to_owned();
    let auth = basic_auth(request);
    let authorised = |w: &World, account: Option<&str>| match &auth {
        Some((user, password)) => {
            account.is_none_or(|a| a == user) && w.accounts.get(user).is_some_and(|t| t == password)
        }
        None => false,
    };
    match (request.method.as_str(), path.as_str()) {
        ("GET", "/_standin/messages") => {
            let list: Vec<Value> = w
                .sent
                .iter()
                .map(|m| json!({"sid": m.sid, "to": m.to, "from": m.from, "body": m.body, "content": m.content}))
                .collect();
            json_response(200, &Value::Array(list))
        }
        // What WhatsApp "sent" each number being registered: the code, for a browser test.
        ("GET", "/_standin/senders") => {
            let list: Vec<Value> = w
                .senders
                .iter()
                .map(|s| json!({"sid": s.sid, "sender_id": s.sender_id, "status": s.status, "code": s.code}))
                .collect();
            json_response(200, &Value::Array(list))
        }
        ("POST", "/_standin/fail") => {
            let query: HashMap<String, String> = form_urlencoded::parse(
                request
                    .url()
                    .split_once('?')
                    .map_or("", |(_, q)| q)
                    .as_bytes(),
            )
            .into_owned()
            .collect();
            let count = query.get("count").and_then(|c| c.parse().ok()).unwrap_or(1);
            let status = query
                .get("status")
                .and_then(|c| c.parse().ok())
                .unwrap_or(500);
            let to = query.get("to").cloned().unwrap_or_default();
            w.fail.insert(to, (count, status));
            json_response(200, &json!({"ok": true}))
        }
        // Content API approvals: a review goes received → pending (one look later) →
        // approved (one look later), or rejected as WhatsApp would: a body that starts or
        // ends with a variable, a name not in lower case and underscores, or one the test
        // asked to be rejected.
        ("POST", p)
            if p.starts_with("/v1/Content/") && p.ends_with("/ApprovalRequests/whatsapp") =>
        {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let sid = p
                .trim_start_matches("/v1/Content/")
                .trim_end_matches("/ApprovalRequests/whatsapp")
                .to_owned();
            let Some(types) = w.contents.get(&sid).cloned() else {
                return twilio_error(404, 20404, "The requested resource was not found");
            };
            let Ok(req) = serde_json::from_str::<Value>(body) else {
                return twilio_error(400, 20001, "Invalid JSON body");
            };
            let name = req["name"].as_str().unwrap_or_default().to_owned();
            let category = req["category"].as_str().unwrap_or_default().to_owned();
            if !matches!(
                category.as_str(),
                "UTILITY" | "MARKETING" | "AUTHENTICATION"
            ) {
                return twilio_error(
                    400,
                    20001,
                    "category must be UTILITY, MARKETING or AUTHENTICATION",
                );
            }
            if w.reviews.contains_key(&sid) {
                return twilio_error(409, 20409, "An approval request for this content exists");
            }
            let text = template_text(&types, None);
            let reason = if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                "INVALID_FORMAT: the name must be lower case letters, digits and underscores"
                    .to_owned()
            } else if text.trim_start().starts_with("{{") || text.trim_end().ends_with("}}") {
                "INVALID_FORMAT: variables cannot be at the start or end of the body".to_owned()
            } else {
                w.reject
                    .iter()
                    .find(|(prefix, _)| name.starts_with(prefix.as_str()))
                    .map(|(_, r)| r.clone())
                    .unwrap_or_default()
            };
            w.reviews.insert(
                sid.clone(),
                (name.clone(), category.clone(), "received".into(), reason),
            );
            json_response(
                201,
                &json!({"name": name, "category": category, "content_type": "twilio/text", "status": "received", "rejection_reason": "", "allow_category_change": true}),
            )
        }
        ("GET", p) if p.starts_with("/v1/Content/") && p.ends_with("/ApprovalRequests") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let sid = p
                .trim_start_matches("/v1/Content/")
                .trim_end_matches("/ApprovalRequests")
                .to_owned();
            if !w.contents.contains_key(&sid) {
                return twilio_error(404, 20404, "The requested resource was not found");
            }
            let Some((name, category, status, reason)) = w.reviews.get(&sid).cloned() else {
                return json_response(200, &json!({"sid": sid, "whatsapp": {}}));
            };
            let next = match status.as_str() {
                "received" => "pending".to_owned(),
                "pending" if reason.is_empty() => "approved".to_owned(),
                "pending" => "rejected".to_owned(),
                other => other.to_owned(),
            };
            if next == "approved" {
                w.approved.insert(sid.clone());
            }
            w.reviews.insert(
                sid.clone(),
                (name.clone(), category.clone(), next.clone(), reason.clone()),
            );
            let shown_reason = if next == "rejected" {
                reason
            } else {
                String::new()
            };
            json_response(
                200,
                &json!({"sid": sid, "account_sid": crate::phone::ACCOUNT_SID,
                        "whatsapp": {"type": "whatsapp", "name": name, "category": category, "content_type": "twilio/text",
                                     "status": next, "rejection_reason": shown_reason, "allow_category_change": true},
                        "url": format!("https://content.twilio.com/v1/Content/{sid}/ApprovalRequests")}),
            )
        }
        ("GET", p) if p.starts_with("/v1/Content/") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let sid = p.trim_start_matches("/v1/Content/");
            match w.contents.get(sid) {
                Some(types) => json_response(200, &json!({"sid": sid, "types": types})),
                None => twilio_error(404, 20404, "The requested resource was not found"),
            }
        }
        ("GET", p) if p.starts_with("/2010-04-01/Accounts/") && p.ends_with("/Messages.json") => {
            let account = p
                .trim_start_matches("/2010-04-01/Accounts/")
                .trim_end_matches("/Messages.json")
                .to_owned();
            if !authorised(&w, Some(&account)) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let query: HashMap<String, String> = form_urlencoded::parse(
                request
                    .url()
                    .split_once('?')
                    .map_or("", |(_, q)| q)
                    .as_bytes(),
            )
            .into_owned()
            .collect();
            let list: Vec<Value> = w
                .sent
                .iter()
                .filter(|m| query.get("To").is_none_or(|to| &m.to == to))
                .filter(|m| query.get("From").is_none_or(|from| &m.from == from))
                .rev()
                .map(|m| {
                    let date = rfc2822(m.created);
                    json!({"sid": m.sid, "to": m.to, "from": m.from, "body": m.text, "status": "sent",
                           "date_created": date, "date_sent": date, "direction": "outbound-api"})
                })
                .collect();
            json_response(200, &json!({"messages": list, "page": 0, "page_size": 50}))
        }
        // Senders API (messaging.twilio.com): a sender goes CREATING → PENDING_VERIFICATION
        // (one look later) → VERIFYING (the right code) → ONLINE (one look later).
        ("POST", "/v2/Channels/Senders") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let Ok(req) = serde_json::from_str::<Value>(body) else {
                return twilio_error(400, 20001, "Invalid JSON body");
            };
            let sender_id = req["sender_id"].as_str().unwrap_or_default().to_owned();
            let digits = sender_id.trim_start_matches("whatsapp:+");
            if !sender_id.starts_with("whatsapp:+")
                || digits.len() < 8
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return twilio_error(400, 21211, "Invalid sender_id: expected whatsapp:<E.164>");
            }
            let Some(name) = req["profile"]["name"]
                .as_str()
                .filter(|n| !n.trim().is_empty())
            else {
                return twilio_error(400, 20001, "profile.name is required for WhatsApp senders");
            };
            if w.senders
                .iter()
                .any(|s| s.sender_id == sender_id && s.status != "OFFLINE")
            {
                return twilio_error(409, 63100, "A sender with this sender_id already exists");
            }
            w.counter += 1;
            let sender = Sender {
                sid: format!("XE{:032x}", w.counter),
                sender_id,
                status: "CREATING".into(),
                code: format!("{:06}", (w.counter * 7919) % 1_000_000),
                name: name.to_owned(),
                waba_id: req["configuration"]["waba_id"].as_str().map(str::to_owned),
                callback_url: req["webhook"]["callback_url"].as_str().map(str::to_owned),
                offline_reasons: Vec::new(),
            };
            let answer = sender.json();
            w.senders.push(sender);
            json_response(202, &answer)
        }
        ("GET", p) if p.starts_with("/v2/Channels/Senders/") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let sid = p.trim_start_matches("/v2/Channels/Senders/").to_owned();
            let Some(s) = w.senders.iter_mut().find(|s| s.sid == sid) else {
                return twilio_error(404, 20404, "The requested resource was not found");
            };
            s.status = match s.status.as_str() {
                "CREATING" => "PENDING_VERIFICATION".into(),
                "VERIFYING" => "ONLINE".into(),
                other => other.to_owned(),
            };
            json_response(200, &s.json())
        }
        ("POST", p) if p.starts_with("/v2/Channels/Senders/") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let sid = p.trim_start_matches("/v2/Channels/Senders/").to_owned();
            let Ok(req) = serde_json::from_str::<Value>(body) else {
                return twilio_error(400, 20001, "Invalid JSON body");
            };
            let Some(s) = w.senders.iter_mut().find(|s| s.sid == sid) else {
                return twilio_error(404, 20404, "The requested resource was not found");
            };
            if let Some(code) = req["configuration"]["verification_code"].as_str() {
                if s.status != "PENDING_VERIFICATION" {
                    return twilio_error(
                        400,
                        63111,
                        "The sender is not waiting for a verification code",
                    );
                }
                if code != s.code {
                    return twilio_error(400, 63110, "The verification code is incorrect");
                }
                s.status = "VERIFYING".into();
            }
            json_response(200, &s.json())
        }
        ("POST", "/v1/Content") => {
            if !authorised(&w, None) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let Ok(content) = serde_json::from_str::<Value>(body) else {
                return twilio_error(400, 20001, "Invalid JSON body");
            };
            if !content["types"].is_object() {
                return twilio_error(400, 20001, "Missing required parameter types");
            }
            w.counter += 1;
            let sid = format!("HX{:032x}", w.counter);
            w.contents.insert(sid.clone(), content["types"].clone());
            json_response(
                201,
                &json!({"sid": sid, "friendly_name": content["friendly_name"], "language": content["language"], "types": content["types"], "variables": {}}),
            )
        }
        ("POST", p) if p.starts_with("/2010-04-01/Accounts/") && p.ends_with("/Messages.json") => {
            let account = p
                .trim_start_matches("/2010-04-01/Accounts/")
                .trim_end_matches("/Messages.json")
                .to_owned();
            if !authorised(&w, Some(&account)) {
                return twilio_error(401, 20003, "Authenticate");
            }
            let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            let to = form.get("To").cloned().unwrap_or_default();
            if let Some((left, status)) = w.fail.get_mut(&to).filter(|(left, _)| *left > 0) {
                *left -= 1;
                let status = *status;
                return twilio_error(
                    status,
                    if status == 429 { 20429 } else { 20500 },
                    "Service unavailable",
                );
            }
            if !to.starts_with("whatsapp:+") {
                return twilio_error(
                    400,
                    21211,
                    &format!("The 'To' number {to} is not a valid phone number."),
                );
            }
            let content = match form.get("ContentSid") {
                Some(sid) => match w.contents.get(sid) {
                    Some(types) => Some(types.clone()),
                    None => {
                        return twilio_error(404, 20404, "The requested resource was not found");
                    }
                },
                None => None,
            };
            if content.is_none() && form.get("Body").is_none_or(|b| b.is_empty()) {
                return twilio_error(400, 21602, "Message body is required.");
            }
            let approved = form
                .get("ContentSid")
                .is_some_and(|sid| w.approved.contains(sid));
            if w.closed.contains(&to) && !approved {
                return twilio_error(
                    400,
                    63016,
                    "Outside messaging window. For WhatsApp, use a Message Template instead",
                );
            }
            let variables = form
                .get("ContentVariables")
                .and_then(|v| serde_json::from_str::<Value>(v).ok());
            let text = match &content {
                Some(types) => template_text(types, variables.as_ref()),
                None => form.get("Body").cloned().unwrap_or_default(),
            };
            let media_url = form.get("MediaUrl").cloned();
            if media_url.is_some() && content.is_some() {
                return twilio_error(
                    400,
                    21619,
                    "A text message body or media urls must be specified, not with ContentSid.",
                );
            }
            if media_url
                .as_deref()
                .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
            {
                return twilio_error(400, 21620, "Invalid media URL(s)");
            }
            w.counter += 1;
            // Twilio names a message with media MM…, one without SM….
            let prefix = if media_url.is_some() { "MM" } else { "SM" };
            let sid = format!("{prefix}{:032x}", w.counter);
            let num_media = if media_url.is_some() { "1" } else { "0" };
            let from = form.get("From").cloned().unwrap_or_default();
            w.sent.push(Sent {
                sid: sid.clone(),
                to: to.clone(),
                from: from.clone(),
                body: form.get("Body").cloned(),
                content,
                content_sid: form.get("ContentSid").cloned(),
                variables,
                text,
                media_url,
                at: std::time::Instant::now(),
                created: std::time::SystemTime::now(),
            });
            let now = "Fri, 14 Mar 2025 09:00:00 +0000";
            json_response(
                201,
                &json!({
                    "account_sid": account, "api_version": "2010-04-01", "body": form.get("Body").cloned().unwrap_or_default(),
                    "date_created": now, "date_sent": null, "date_updated": now, "direction": "outbound-api",
                    "error_code": null, "error_message": null, "from": from, "messaging_service_sid": null,
                    "num_media": num_media, "num_segments": "1", "price": null, "price_unit": null, "sid": sid, "status": "queued",
                    "subresource_uris": {"media": format!("/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json")},
                    "to": to, "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
                }),
            )
        }
        _ => twilio_error(404, 20404, "The requested resource was not found"),
    }
}
