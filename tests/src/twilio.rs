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
//!   recipient answer status S.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};
use tiny_http::{Header, Method, Response, Server};

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
}

#[derive(Default)]
struct World {
    accounts: HashMap<String, String>,
    contents: HashMap<String, Value>,
    sent: Vec<Sent>,
    /// Injected failures by recipient (`whatsapp:+…`): (count left, status).
    fail: HashMap<String, (u32, u16)>,
    counter: u64,
}

/// A running stand-in; stops when dropped.
pub struct TwilioStandIn {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    world: Arc<Mutex<World>>,
    server: Arc<Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn json_response(status: u16, body: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "application/json").unwrap_or_else(|_| unreachable!());
    Response::from_data(body.to_string().into_bytes())
        .with_status_code(status)
        .with_header(header)
}

fn twilio_error(status: u16, code: u32, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    json_response(
        status,
        &json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

/// The `(user, password)` of a Basic `Authorization` header.
fn basic_auth(request: &tiny_http::Request) -> Option<(String, String)> {
    let value = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))?
        .value
        .as_str()
        .strip_prefix("Basic ")?
        .to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

impl TwilioStandIn {
    /// Starts a stand-in on a free loopback port accepting `accounts` (`AccountSid` → token).
    pub fn start(accounts: &[(&str, &str)]) -> std::io::Result<Self> {
        let server = Arc::new(Server::http("127.0.0.1:0").map_err(std::io::Error::other)?);
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("the stand-in is not on an IP address"))?;
        let url = format!("http://{addr}");
        let world = Arc::new(Mutex::new(World {
            accounts: accounts
                .iter()
                .map(|(a, t)| ((*a).to_owned(), (*t).to_owned()))
                .collect(),
            ..World::default()
        }));
        let (srv, w) = (Arc::clone(&server), Arc::clone(&world));
        let thread = std::thread::spawn(move || {
            for mut request in srv.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let response = handle(&w, &request, &body);
                let _ = request.respond(response);
            }
        });
        Ok(Self {
            url,
            world,
            server,
            thread: Some(thread),
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

    /// Makes the next `count` message sends to `phone` (E.164) answer `status`.
    pub fn fail_next(&self, phone: &str, count: u32, status: u16) {
        if let Ok(mut w) = self.world.lock() {
            w.fail.insert(format!("whatsapp:{phone}"), (count, status));
        }
    }
}

impl Drop for TwilioStandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(
    world: &Mutex<World>,
    request: &tiny_http::Request,
    body: &str,
) -> Response<std::io::Cursor<Vec<u8>>> {
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
    match (request.method(), path.as_str()) {
        (Method::Get, "/_standin/messages") => {
            let list: Vec<Value> = w
                .sent
                .iter()
                .map(|m| json!({"sid": m.sid, "to": m.to, "from": m.from, "body": m.body, "content": m.content}))
                .collect();
            json_response(200, &Value::Array(list))
        }
        (Method::Post, "/_standin/fail") => {
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
        (Method::Post, "/v1/Content") => {
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
        (Method::Post, p)
            if p.starts_with("/2010-04-01/Accounts/") && p.ends_with("/Messages.json") =>
        {
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
            w.counter += 1;
            let sid = format!("SM{:032x}", w.counter);
            let from = form.get("From").cloned().unwrap_or_default();
            w.sent.push(Sent {
                sid: sid.clone(),
                to: to.clone(),
                from: from.clone(),
                body: form.get("Body").cloned(),
                content,
            });
            let now = "Fri, 14 Mar 2025 09:00:00 +0000";
            json_response(
                201,
                &json!({
                    "account_sid": account, "api_version": "2010-04-01", "body": form.get("Body").cloned().unwrap_or_default(),
                    "date_created": now, "date_sent": null, "date_updated": now, "direction": "outbound-api",
                    "error_code": null, "error_message": null, "from": from, "messaging_service_sid": null,
                    "num_media": "0", "num_segments": "1", "price": null, "price_unit": null, "sid": sid, "status": "queued",
                    "subresource_uris": {"media": format!("/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json")},
                    "to": to, "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
                }),
            )
        }
        _ => twilio_error(404, 20404, "The requested resource was not found"),
    }
}
