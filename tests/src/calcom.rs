//! A stand-in for a self-hosted Cal.com's API v2, following the project's Cal.com contract
//! sheet (`calcom-api-v2.md`, with Cal.com's own `calcom-openapi-v2.json` beside it).
//!
//! What it reproduces:
//! - routing by `cal-api-version` (§1.2): `/v2/slots` only under `2024-09-04`, bookings
//!   under `2024-08-13`; any other version gets Cal.com's 404 `Cannot GET …`;
//! - `Bearer cal_…` keys, optional-auth routes working anonymously but refusing bad keys,
//!   a switch for the licence failure (§1.1);
//! - the success envelope, POST → 201 / cancel and mark-absent → 200, `X-Request-Id` (§1.3);
//! - 120 requests a minute per key or caller, 429 `ThrottlerException` with Cal.com's
//!   headers (§1.4);
//! - error shapes A and D (§2), and strict whitelisting: unknown query parameters of
//!   `/v2/slots` and unknown body keys of create, reschedule and cancel are refused with
//!   Cal.com's message. Body keys, required fields and their types are read from
//!   `calcom-openapi-v2.json` (`CreateBookingInput_2024_08_13`, `CreateBookingAttendee`,
//!   `RescheduleBookingInput_2024_08_13`, `CancelBookingInput_2024_08_13`);
//! - slots (§3) as `{start}` / `{start,end}` objects keyed by date in `timeZone`, with
//!   millisecond ISO times carrying the zone's offset, empty days left out, removed by
//!   bookings and minimum notice;
//! - bookings (§5): the failure matrix (host busy or outside hours → 400, too soon → 400,
//!   past → 400, a forced race → 409 shape D), reschedule making a new uid and cancelling
//!   the old one, cancelling twice → 400, the host cancelling without a reason → 400 shape D,
//!   rescheduling an unknown uid → 500 shape D, mark-absent before the start → 400;
//! - webhooks (§7): registration (409 on a duplicate URL, 400 on an unknown trigger, string
//!   ids), and delivery signed over the exact bytes (`no-secret-provided` without a secret),
//!   in Cal.com's key order, upper-case statuses, RESCHEDULED carrying the new uid with
//!   `rescheduleUid`, and CREATED / RESCHEDULED / CANCELLED delivered before the API call
//!   that caused them answers, once, without following redirects;
//! - faults on demand: slow answers, failures, a rate limit, the licence failure.
//!
//! What it leaves out: teams and round robin (absent from the open edition), seated and
//! recurring events, reservations, event-type and schedule management (set up through
//! [`CalcomStandIn::add_event_type`]), the legacy (pre-2024-08-13) bookings API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

/// A Cal.com user with the hours they take bookings (every day, in their zone).
#[derive(Debug, Clone)]
pub struct Host {
    /// User id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Their zone.
    pub zone: Tz,
    /// Daily opening.
    pub from: NaiveTime,
    /// Daily closing.
    pub to: NaiveTime,
}

#[derive(Debug, Clone)]
struct EventType {
    id: u64,
    slug: String,
    title: String,
    length_min: i64,
    host: u64,
    min_notice_min: i64,
}

/// A booking the stand-in keeps.
#[derive(Debug, Clone)]
pub struct CalBooking {
    /// Numeric id.
    pub id: u64,
    /// `uid`.
    pub uid: String,
    /// Event type.
    pub event_type: u64,
    /// Host user id.
    pub host: u64,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// `accepted` or `cancelled`.
    pub status: String,
    /// The attendee as sent.
    pub attendee: Value,
    /// `metadata` as sent.
    pub metadata: Value,
    /// The booking this one replaced.
    pub rescheduled_from: Option<String>,
    /// The booking that replaced this one.
    pub rescheduled_to: Option<String>,
    /// Why it was cancelled.
    pub cancellation_reason: Option<String>,
    /// The attendee did not come.
    pub absent: bool,
    created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Hook {
    id: String,
    url: String,
    secret: Option<String>,
    triggers: Vec<String>,
}

/// Triggers Cal.com accepts (§7.1).
const TRIGGERS: &[&str] = &[
    "BOOKING_CREATED",
    "BOOKING_PAYMENT_INITIATED",
    "BOOKING_PAID",
    "BOOKING_RESCHEDULED",
    "BOOKING_REQUESTED",
    "BOOKING_CANCELLED",
    "BOOKING_REJECTED",
    "BOOKING_NO_SHOW_UPDATED",
    "FORM_SUBMITTED",
    "MEETING_ENDED",
    "MEETING_STARTED",
    "RECORDING_READY",
    "INSTANT_MEETING",
    "RECORDING_TRANSCRIPTION_GENERATED",
    "OOO_CREATED",
    "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
    "AFTER_GUESTS_CAL_VIDEO_NO_SHOW",
    "FORM_SUBMITTED_NO_EVENT",
];

/// Body shapes read from Cal.com's OpenAPI file: schema → (property → type, required).
type Shapes = HashMap<String, (HashMap<String, String>, Vec<String>)>;

#[derive(Default)]
struct World {
    hosts: HashMap<u64, Host>,
    event_types: HashMap<u64, EventType>,
    bookings: Vec<CalBooking>,
    hooks: Vec<Hook>,
    /// API keys and the user each belongs to.
    keys: HashMap<String, u64>,
    licence_failed: bool,
    delay: Duration,
    /// The next `n` API calls answer this status.
    fail: Option<(u32, u16)>,
    /// The next booking create loses a race (409 shape D).
    race_next: bool,
    limit_per_minute: u32,
    windows: HashMap<String, (DateTime<Utc>, u32)>,
    shapes: Shapes,
    counter: u64,
    /// Every API call: (method, path with query, `cal-api-version`).
    calls: Vec<(String, String, Option<String>)>,
}

/// A running stand-in; stops when dropped.
pub struct CalcomStandIn {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    world: Arc<Mutex<World>>,
    _server: crate::served::Served,
}

/// Where Cal.com's OpenAPI file is: `SLOTLINE_CONTRACTS`, else `shared/contracts` beside the
/// repository.
pub fn openapi_path() -> std::path::PathBuf {
    crate::paths::contracts().join("calcom-openapi-v2.json")
}

/// The same shapes, for machines without the contract folder (a test checks them against
/// the file where it is present).
/// A schema: its name, its properties with their types, its required properties.
type BuiltInShape = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const BUILT_IN: &[BuiltInShape] = &[
    (
        "CreateBookingInput_2024_08_13",
        &[
            ("start", "string"),
            ("attendee", "any"),
            ("bookingFieldsResponses", "object"),
            ("eventTypeId", "number"),
            ("eventTypeSlug", "string"),
            ("username", "string"),
            ("teamSlug", "string"),
            ("organizationSlug", "string"),
            ("guests", "array"),
            ("meetingUrl", "string"),
            ("location", "any"),
            ("metadata", "object"),
            ("lengthInMinutes", "number"),
            ("routing", "any"),
            ("emailVerificationCode", "string"),
        ],
        &["start", "attendee"],
    ),
    (
        "CreateBookingAttendee",
        &[
            ("name", "string"),
            ("email", "string"),
            ("timeZone", "string"),
            ("phoneNumber", "string"),
            ("language", "string"),
        ],
        &["name", "timeZone"],
    ),
    (
        "RescheduleBookingInput_2024_08_13",
        &[
            ("start", "string"),
            ("rescheduledBy", "string"),
            ("reschedulingReason", "string"),
            ("emailVerificationCode", "string"),
        ],
        &["start"],
    ),
    (
        "CancelBookingInput_2024_08_13",
        &[
            ("cancellationReason", "string"),
            ("cancelSubsequentBookings", "boolean"),
        ],
        &[],
    ),
    (
        "MarkAbsentBookingInput_2024_08_13",
        &[("host", "boolean"), ("attendees", "array")],
        &[],
    ),
    (
        "CreateWebhookInputDto",
        &[
            ("payloadTemplate", "string"),
            ("active", "boolean"),
            ("subscriberUrl", "string"),
            ("triggers", "string"),
            ("secret", "string"),
        ],
        &["active", "subscriberUrl", "triggers"],
    ),
];

/// The body shapes the stand-in enforces: from Cal.com's OpenAPI document when it is beside
/// the repository, else the same shapes built in.
fn load_shapes() -> std::io::Result<Shapes> {
    let mut shapes = match std::fs::read_to_string(openapi_path()) {
        Ok(text) => shapes_from(&serde_json::from_str(&text).map_err(std::io::Error::other)?)?,
        Err(_) => built_in_shapes(),
    };
    // Where the file is wrong and Cal.com's code decides (the sheet's "spec≠real" notes):
    // `triggers` is an array of trigger names, not a string (§7.1).
    if let Some((types, _)) = shapes.get_mut("CreateWebhookInputDto") {
        types.insert("triggers".into(), "array".into());
    }
    Ok(shapes)
}

fn built_in_shapes() -> Shapes {
    BUILT_IN
        .iter()
        .map(|(name, props, required)| {
            (
                (*name).to_owned(),
                (
                    props
                        .iter()
                        .map(|(k, t)| ((*k).to_owned(), (*t).to_owned()))
                        .collect(),
                    required.iter().map(|r| (*r).to_owned()).collect(),
                ),
            )
        })
        .collect()
}

/// Reads the shapes from Cal.com's OpenAPI document.
fn shapes_from(doc: &Value) -> std::io::Result<Shapes> {
    let mut shapes = Shapes::new();
    for name in [
        "CreateBookingInput_2024_08_13",
        "CreateBookingAttendee",
        "RescheduleBookingInput_2024_08_13",
        "CancelBookingInput_2024_08_13",
        "MarkAbsentBookingInput_2024_08_13",
        "CreateWebhookInputDto",
    ] {
        let schema = &doc["components"]["schemas"][name];
        let props = schema["properties"]
            .as_object()
            .ok_or_else(|| std::io::Error::other(format!("{name} not in the OpenAPI file")))?;
        let types = props
            .iter()
            .map(|(k, v)| {
                let t = v["type"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| v.get("$ref").map(|_| "object".to_owned()))
                    .or_else(|| v.get("oneOf").map(|_| "any".to_owned()))
                    .unwrap_or_else(|| "any".to_owned());
                (k.clone(), t)
            })
            .collect();
        let required = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        shapes.insert(name.to_owned(), (types, required));
    }
    Ok(shapes)
}

type Answer = (u16, Vec<(&'static str, String)>, String);

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Cal.com's time format: `2050-09-05T07:00:00.000Z`.
fn js_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn success(status: u16, data: Value) -> Answer {
    (
        status,
        vec![],
        json!({"status": "success", "data": data}).to_string(),
    )
}

/// Shape A: an `HttpException`.
fn shape_a(status: u16, path: &str, message: &str) -> Answer {
    let (code, reason) = match status {
        400 => ("BadRequestException", "Bad Request"),
        401 => ("UnauthorizedException", "Unauthorized"),
        403 => ("ForbiddenException", "Forbidden"),
        404 => ("NotFoundException", "Not Found"),
        409 => ("ConflictException", "Conflict"),
        422 => ("UnprocessableEntityException", "Unprocessable Entity"),
        429 => ("ThrottlerException", "Too Many Requests"),
        _ => ("InternalServerErrorException", "Internal Server Error"),
    };
    (
        status,
        vec![],
        json!({"status": "error", "timestamp": js_time(now()), "path": path,
               "error": {"code": code, "message": message,
                         "details": {"message": message, "error": reason, "statusCode": status}}})
        .to_string(),
    )
}

/// Shape D: what Nest's base filter makes of Cal.com's own `HttpError`s.
fn shape_d(status: u16, message: &str) -> Answer {
    (
        status,
        vec![],
        json!({"statusCode": status, "message": message}).to_string(),
    )
}

/// Checks `body` against schema `name` the way Cal.com's custom pipe does
/// (`forbidNonWhitelisted`): one flat message for every problem.
fn whitelist(shapes: &Shapes, name: &str, body: &Value) -> Result<(), String> {
    let Some((types, required)) = shapes.get(name) else {
        return Ok(());
    };
    let Some(object) = body.as_object() else {
        return Err("body must be an object".into());
    };
    let mut problems = Vec::new();
    for key in object.keys() {
        if !types.contains_key(key) {
            problems.push(format!(
                "{key} property is wrong,property {key} should not exist "
            ));
        }
    }
    for key in required {
        if object.get(key).is_none_or(Value::is_null) {
            problems.push(format!(
                "{key} property is wrong,{key} should not be empty "
            ));
        }
    }
    for (key, value) in object {
        let fits = match types.get(key).map(String::as_str) {
            Some("string") => value.is_string(),
            Some("number" | "integer") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            _ => true,
        };
        if !fits && types.contains_key(key) {
            problems.push(format!(
                "{key} property is wrong,{key} must be a {} ",
                types[key]
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join(", "))
    }
}

impl World {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn uid(&mut self) -> String {
        let n = self.next();
        format!("cal{:019x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Whether `host` is free over `[start, end)` (bookings and opening hours), leaving out
    /// booking `except`.
    fn free(
        &self,
        host: u64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        except: Option<&str>,
    ) -> bool {
        let Some(h) = self.hosts.get(&host) else {
            return false;
        };
        let local_start = start.with_timezone(&h.zone);
        let local_end = end.with_timezone(&h.zone);
        let within = local_start.date_naive() == (local_end - Span::seconds(1)).date_naive()
            && local_start.time() >= h.from
            && local_end.time() <= h.to
            && local_end.time() > h.from;
        within
            && !self.bookings.iter().any(|b| {
                b.host == host
                    && b.status == "accepted"
                    && except != Some(b.uid.as_str())
                    && b.start < end
                    && b.end > start
            })
    }

    fn booking_json(&self, b: &CalBooking) -> Value {
        let event = self.event_types.get(&b.event_type);
        let host = self.hosts.get(&b.host);
        let mut out = json!({
            "id": b.id, "uid": b.uid,
            "title": event.map(|e| e.title.clone()).unwrap_or_default(),
            "description": "",
            "hosts": host.map(|h| vec![json!({"id": h.id, "name": h.name, "email": h.email, "username": h.name.to_lowercase(), "timeZone": h.zone.name()})]).unwrap_or_default(),
            "status": b.status,
            "start": js_time(b.start), "end": js_time(b.end),
            "duration": (b.end - b.start).num_minutes(),
            "eventTypeId": b.event_type,
            "eventType": {"id": b.event_type, "slug": event.map(|e| e.slug.clone()).unwrap_or_default()},
            "location": "", "absentHost": false,
            "createdAt": js_time(b.created), "updatedAt": js_time(b.created),
            "metadata": b.metadata, "rating": null, "icsUid": format!("{}@Cal.com", b.uid),
            "attendees": [{
                "name": b.attendee["name"], "email": b.attendee["email"].as_str().unwrap_or(""),
                "timeZone": b.attendee["timeZone"], "language": b.attendee["language"].as_str().unwrap_or("en"),
                "absent": b.absent, "phoneNumber": b.attendee["phoneNumber"],
            }],
            "guests": [],
            "bookingFieldsResponses": {"name": b.attendee["name"], "email": b.attendee["email"].as_str().unwrap_or("")},
        });
        if let Some(from) = &b.rescheduled_from {
            out["rescheduledFromUid"] = json!(from);
        }
        if let Some(to) = &b.rescheduled_to {
            out["rescheduledToUid"] = json!(to);
        }
        if let Some(reason) = &b.cancellation_reason {
            out["cancellationReason"] = json!(reason);
        }
        out
    }

    /// The webhook body for `trigger` about `b` (§7.3), in Cal.com's key order.
    fn hook_body(&self, trigger: &str, b: &CalBooking, extra: &[(&str, Value)]) -> String {
        let host = self.hosts.get(&b.host);
        let event = self.event_types.get(&b.event_type);
        let status = match trigger {
            "BOOKING_CANCELLED" => "CANCELLED",
            _ => "ACCEPTED",
        };
        let mut payload = json!({
            "type": event.map(|e| e.slug.clone()).unwrap_or_default(),
            "title": event.map(|e| e.title.clone()).unwrap_or_default(),
            "startTime": b.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "endTime": b.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "organizer": host.map(|h| json!({"id": h.id, "name": h.name, "email": h.email, "timeZone": h.zone.name(), "language": {"locale": "en"}})),
            "attendees": [{"email": b.attendee["email"].as_str().unwrap_or(""), "name": b.attendee["name"],
                           "timeZone": b.attendee["timeZone"], "phoneNumber": b.attendee["phoneNumber"],
                           "language": {"locale": b.attendee["language"].as_str().unwrap_or("en")}}],
            "uid": b.uid, "bookingId": b.id, "eventTypeId": b.event_type,
            "status": status, "schedulingType": null,
        });
        if trigger != "BOOKING_CANCELLED" {
            payload["metadata"] = b.metadata.clone();
        }
        for (k, v) in extra {
            payload[*k] = v.clone();
        }
        format!(
            r#"{{"triggerEvent":{},"createdAt":{},"payload":{}}}"#,
            Value::from(trigger),
            Value::from(js_time(now())),
            payload
        )
    }

    fn deliveries(&self, trigger: &str, body: String) -> Vec<(String, Option<String>, String)> {
        self.hooks
            .iter()
            .filter(|h| h.triggers.iter().any(|t| t == trigger))
            .map(|h| (h.url.clone(), h.secret.clone(), body.clone()))
            .collect()
    }
}

/// Posts webhooks one by one, signed, once each, not following redirects; waits for all.
async fn deliver(hooks: Vec<(String, Option<String>, String)>) {
    if hooks.is_empty() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build();
        for (url, secret, body) in hooks {
            let signature = match secret.as_deref().filter(|s| !s.is_empty()) {
                Some(secret) => slotline_shared::calcom::sign(secret, body.as_bytes()),
                None => slotline_shared::calcom::NO_SECRET.to_owned(),
            };
            // A non-2xx answer is only logged by Cal.com.
            let _ = agent
                .post(&url)
                .set("Content-Type", "application/json")
                .set(slotline_shared::calcom::SIGNATURE_HEADER, &signature)
                .send_string(&body);
        }
    })
    .await;
}

/// One request, as the handler reads it.
struct Incoming {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    raw_path: String,
    version: Option<String>,
    bearer: Option<String>,
    caller: String,
    body: Value,
}

impl CalcomStandIn {
    /// Starts a stand-in on a free loopback port; `keys` are its API keys (`cal_…`) and the
    /// user id each belongs to.
    pub fn start(keys: &[(&str, u64)]) -> std::io::Result<Self> {
        let shapes = load_shapes()?;
        let world = Arc::new(Mutex::new(World {
            keys: keys.iter().map(|(k, u)| ((*k).to_owned(), *u)).collect(),
            limit_per_minute: 120,
            shapes,
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

    /// Adds a host.
    pub fn add_host(&self, host: Host) {
        self.with(|w| {
            w.hosts.insert(host.id, host);
        });
    }

    /// Adds an event type of `length_min` minutes hosted by `host`; returns its id.
    pub fn add_event_type(
        &self,
        slug: &str,
        length_min: i64,
        host: u64,
        min_notice_min: i64,
    ) -> u64 {
        self.with(|w| {
            let id = 1000 + w.next();
            w.event_types.insert(
                id,
                EventType {
                    id,
                    slug: slug.to_owned(),
                    title: slug.replace('-', " "),
                    length_min,
                    host,
                    min_notice_min,
                },
            );
            id
        })
    }

    /// Every booking, oldest first.
    pub fn bookings(&self) -> Vec<CalBooking> {
        self.with(|w| w.bookings.clone())
    }

    /// Every API call so far: method, path with query, `cal-api-version`.
    pub fn calls(&self) -> Vec<(String, String, Option<String>)> {
        self.with(|w| w.calls.clone())
    }

    /// Answers every call `delay` late.
    pub fn set_delay(&self, delay: Duration) {
        self.with(|w| w.delay = delay);
    }

    /// The next `count` API calls answer `status` (500: shape D internal error).
    pub fn fail_next(&self, count: u32, status: u16) {
        self.with(|w| w.fail = Some((count, status)));
    }

    /// Requests per minute per key or caller before 429 (Cal.com's default is 120).
    pub fn set_rate_limit(&self, per_minute: u32) {
        self.with(|w| w.limit_per_minute = per_minute);
    }

    /// The next booking create loses a race to an identical one (409 shape D).
    pub fn lose_next_race(&self) {
        self.with(|w| w.race_next = true);
    }

    /// Makes every API-key call fail the licence check.
    pub fn fail_licence(&self, failed: bool) {
        self.with(|w| w.licence_failed = failed);
    }

    /// Books directly, as from the Cal.com booking page or a synced calendar; fires
    /// BOOKING_CREATED. Returns the uid.
    pub fn book_directly(&self, event_type: u64, start: DateTime<Utc>, name: &str) -> String {
        let (uid, hooks) = self.with(|w| {
            let length = w.event_types.get(&event_type).map_or(30, |e| e.length_min);
            let host = w.event_types.get(&event_type).map_or(0, |e| e.host);
            let (id, uid) = (w.next(), w.uid());
            let b = CalBooking {
                id,
                uid: uid.clone(),
                event_type,
                host,
                start,
                end: start + Span::minutes(length),
                status: "accepted".into(),
                attendee: json!({"name": name, "email": "walk-in@example.com", "timeZone": "UTC"}),
                metadata: json!({}),
                rescheduled_from: None,
                rescheduled_to: None,
                cancellation_reason: None,
                absent: false,
                created: now(),
            };
            let body = w.hook_body("BOOKING_CREATED", &b, &[]);
            w.bookings.push(b);
            (uid, w.deliveries("BOOKING_CREATED", body))
        });
        run_blocking(deliver(hooks));
        uid
    }

    /// The business moves a booking in Cal.com; fires BOOKING_RESCHEDULED. Returns the new uid.
    pub fn reschedule_directly(&self, uid: &str, start: DateTime<Utc>) -> Option<String> {
        let (new_uid, hooks) = self.with(|w| {
            let (new, body) = reschedule(w, uid, start, "changed by the business")?;
            Some((new, w.deliveries("BOOKING_RESCHEDULED", body)))
        })?;
        run_blocking(deliver(hooks));
        Some(new_uid)
    }

    /// The business cancels a booking in Cal.com; fires BOOKING_CANCELLED.
    pub fn cancel_directly(&self, uid: &str, reason: &str) -> bool {
        let hooks = self.with(|w| {
            let b = w
                .bookings
                .iter_mut()
                .find(|b| b.uid == uid && b.status == "accepted")?;
            b.status = "cancelled".into();
            b.cancellation_reason = Some(reason.to_owned());
            let b = b.clone();
            let body = w.hook_body(
                "BOOKING_CANCELLED",
                &b,
                &[
                    ("cancellationReason", json!(reason)),
                    ("cancelledBy", json!("owner@example.com")),
                ],
            );
            Some(w.deliveries("BOOKING_CANCELLED", body))
        });
        match hooks {
            Some(hooks) => {
                run_blocking(deliver(hooks));
                true
            }
            None => false,
        }
    }
}

/// Runs `f` to completion from synchronous test code.
fn run_blocking(f: impl std::future::Future<Output = ()>) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(f)),
        Err(_) => {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(f);
            }
        }
    }
}

/// Moves booking `uid` to `start`: a new booking, the old one cancelled (§5.6). Returns the
/// new uid and the RESCHEDULED webhook body.
fn reschedule(
    w: &mut World,
    uid: &str,
    start: DateTime<Utc>,
    reason: &str,
) -> Option<(String, String)> {
    let old = w.bookings.iter().find(|b| b.uid == uid)?.clone();
    let (id, new_uid) = (w.next(), w.uid());
    let length = old.end - old.start;
    let new = CalBooking {
        id,
        uid: new_uid.clone(),
        start,
        end: start + length,
        rescheduled_from: Some(old.uid.clone()),
        rescheduled_to: None,
        created: now(),
        ..old.clone()
    };
    if let Some(b) = w.bookings.iter_mut().find(|b| b.uid == uid) {
        b.status = "cancelled".into();
        b.rescheduled_to = Some(new_uid.clone());
        b.cancellation_reason = Some(reason.to_owned());
    }
    let body = w.hook_body(
        "BOOKING_RESCHEDULED",
        &new,
        &[
            ("rescheduleUid", json!(old.uid)),
            ("rescheduleId", json!(old.id)),
            (
                "rescheduleStartTime",
                json!(old.start.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ),
            (
                "rescheduleEndTime",
                json!(old.end.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ),
            ("rescheduledBy", json!(old.attendee["email"])),
        ],
    );
    w.bookings.push(new);
    Some((new_uid, body))
}

async fn serve(
    world: Arc<Mutex<World>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let caller = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    // `/api/v2/…` is rewritten to `/v2/…` (§1.3).
    let path = parts.uri.path().replacen("/api/v2/", "/v2/", 1);
    let incoming = Incoming {
        method: parts.method.as_str().to_owned(),
        raw_path: parts
            .uri
            .path_and_query()
            .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned()),
        query: parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        path,
        version: parts
            .headers
            .get("cal-api-version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        bearer: parts
            .headers
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned),
        caller,
        body: if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String("not json".into()))
        },
    };
    let (delay, (status, headers, body, hooks)) = {
        let mut w = world.lock().unwrap_or_else(|p| p.into_inner());
        w.calls.push((
            incoming.method.clone(),
            incoming.raw_path.clone(),
            incoming.version.clone(),
        ));
        (w.delay, handle(&mut w, &incoming))
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // CREATED, RESCHEDULED and CANCELLED reach subscribers before the call answers (§7.2).
    deliver(hooks).await;
    let mut response = (
        axum::http::StatusCode::from_u16(status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        [("Content-Type", "application/json")],
        body,
    )
        .into_response();
    let n = world.lock().map(|mut w| w.next()).unwrap_or_default();
    for (k, v) in headers
        .into_iter()
        .chain([("X-Request-Id", format!("00000000-0000-4000-8000-{n:012x}"))])
    {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}

type Handled = (
    u16,
    Vec<(&'static str, String)>,
    String,
    Vec<(String, Option<String>, String)>,
);

fn plain(answer: Answer) -> Handled {
    (answer.0, answer.1, answer.2, Vec::new())
}

fn handle(w: &mut World, r: &Incoming) -> Handled {
    // Throttling runs first, on every route (§1.4).
    let who = r.bearer.clone().unwrap_or_else(|| r.caller.clone());
    let t = now();
    let window = w.windows.entry(who).or_insert((t, 0));
    if t - window.0 >= Span::seconds(60) {
        *window = (t, 0);
    }
    window.1 += 1;
    let (count, reset) = (window.1, window.0 + Span::seconds(60));
    let limit = w.limit_per_minute;
    let rate_headers = vec![
        ("X-RateLimit-Limit-Default", limit.to_string()),
        (
            "X-RateLimit-Remaining-Default",
            limit.saturating_sub(count).to_string(),
        ),
        (
            "X-RateLimit-Reset-Default",
            (reset - t).num_seconds().max(0).to_string(),
        ),
    ];
    if count > limit {
        let mut a = shape_a(
            429,
            &r.raw_path,
            "CustomThrottlerGuard - Too many requests. Please try again later.",
        );
        a.1 = rate_headers;
        a.1.push(("Retry-After", (reset - t).num_seconds().max(1).to_string()));
        return plain(a);
    }
    if let Some((left, status)) = w.fail.as_mut().filter(|(left, _)| *left > 0) {
        *left -= 1;
        let status = *status;
        return plain(shape_d(status, "Internal server error"));
    }
    // Who is calling (§1.1).
    let user = match &r.bearer {
        None => None,
        Some(b) if b.starts_with("cal_") => {
            if w.licence_failed {
                return plain(shape_a(
                    401,
                    &r.raw_path,
                    "ApiAuthStrategy - api key - Invalid or missing CALCOM_LICENSE_KEY environment variable",
                ));
            }
            match w.keys.get(b) {
                Some(u) => Some(*u),
                None => {
                    return plain(shape_a(
                        401,
                        &r.raw_path,
                        "ApiAuthStrategy - api key - Your api key is not valid",
                    ));
                }
            }
        }
        Some(_) => {
            return plain(shape_a(
                401,
                &r.raw_path,
                "ApiAuthStrategy - access token - Invalid Access Token.",
            ));
        }
    };
    let segments: Vec<&str> = r.path.trim_matches('/').split('/').collect();
    let version = r.version.as_deref();
    let not_found = || {
        plain(shape_a(
            404,
            &r.raw_path,
            &format!("Cannot {} {}", r.method, r.raw_path),
        ))
    };
    let mut answer = match (r.method.as_str(), segments.as_slice()) {
        ("GET", ["v2", "slots"]) if version == Some("2024-09-04") => plain(slots(w, r)),
        (_, ["v2", "bookings", ..]) if version != Some("2024-08-13") => not_found(),
        ("POST", ["v2", "bookings"]) => create(w, r),
        ("GET", ["v2", "bookings"]) => match user {
            Some(u) => plain(list(w, r, u)),
            None => plain(no_auth(r)),
        },
        ("GET", ["v2", "bookings", uid]) => {
            plain(match w.bookings.iter().find(|b| b.uid == *uid) {
                Some(b) => success(200, w.booking_json(b)),
                None => shape_a(
                    404,
                    &r.raw_path,
                    &format!("Booking with uid={uid} was not found in the database"),
                ),
            })
        }
        ("POST", ["v2", "bookings", uid, "cancel"]) => cancel(w, r, uid, user),
        ("POST", ["v2", "bookings", uid, "reschedule"]) => reschedule_call(w, r, uid),
        ("POST", ["v2", "bookings", uid, "mark-absent"]) => match user {
            Some(_) => mark_absent(w, r, uid),
            None => plain(no_auth(r)),
        },
        ("POST", ["v2", "webhooks"]) => match user {
            Some(_) => plain(register(w, r)),
            None => plain(no_auth(r)),
        },
        _ => not_found(),
    };
    if answer.0 < 500 {
        answer.1.extend(rate_headers);
    }
    answer
}

fn no_auth(r: &Incoming) -> Answer {
    shape_a(
        401,
        &r.raw_path,
        "ApiAuthStrategy - No authentication method provided. Either pass an API key as 'Bearer' header or OAuth client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers",
    )
}

/// ISO date or date-time, read as UTC; a date alone is midnight (or, for `end`, the day's
/// last second).
fn parse_when(text: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let time = if end {
        NaiveTime::from_hms_opt(23, 59, 59)?
    } else {
        NaiveTime::MIN
    };
    Some(Utc.from_utc_datetime(&date.and_time(time)))
}

const SLOT_PARAMS: &[&str] = &[
    "start",
    "end",
    "eventTypeId",
    "eventTypeSlug",
    "username",
    "teamSlug",
    "organizationSlug",
    "usernames",
    "timeZone",
    "duration",
    "format",
    "bookingUidToReschedule",
];

fn slots(w: &World, r: &Incoming) -> Answer {
    let unknown: Vec<String> = r
        .query
        .iter()
        .filter(|(k, _)| !SLOT_PARAMS.contains(&k.as_str()))
        .map(|(k, _)| format!("{k} property is wrong,property {k} should not exist "))
        .collect();
    if !unknown.is_empty() {
        return shape_a(400, &r.raw_path, &unknown.join(", "));
    }
    let q = |k: &str| {
        r.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let (Some(start), Some(end)) = (
        q("start").and_then(|s| parse_when(s, false)),
        q("end").and_then(|s| parse_when(s, true)),
    ) else {
        return shape_a(
            400,
            &r.raw_path,
            "Invalid time range given - check the 'start' and 'end' query parameters.",
        );
    };
    if end < start {
        return shape_a(
            400,
            &r.raw_path,
            "Invalid time range given - check the 'start' and 'end' query parameters.",
        );
    }
    let format = q("format").unwrap_or("time").to_lowercase();
    if format != "time" && format != "range" {
        return shape_a(
            400,
            &r.raw_path,
            "slotFormat must be either 'range' or 'time'",
        );
    }
    let zone: Option<Tz> = match q("timeZone") {
        Some(z) => match z.parse() {
            Ok(z) => Some(z),
            Err(_) => {
                return shape_a(
                    400,
                    &r.raw_path,
                    "timeZone property is wrong,timeZone must be a valid IANA time zone ",
                );
            }
        },
        None => None,
    };
    let Some(event) = q("eventTypeId")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| w.event_types.get(&id))
    else {
        return shape_a(404, &r.raw_path, "Event Type not found");
    };
    let Some(host) = w.hosts.get(&event.host) else {
        return shape_a(404, &r.raw_path, "Event Type not found");
    };
    let except = q("bookingUidToReschedule");
    let earliest = now() + Span::minutes(event.min_notice_min);
    let length = Span::minutes(event.length_min);
    let mut days: Map<String, Value> = Map::new();
    let mut day = start.with_timezone(&host.zone).date_naive();
    let last = end.with_timezone(&host.zone).date_naive();
    while day <= last {
        let mut t = day.and_time(host.from);
        while t.time() < host.to {
            let Some(local) = host.zone.from_local_datetime(&t).earliest() else {
                t += length;
                continue;
            };
            let s = local.with_timezone(&Utc);
            if s >= start && s <= end && s >= earliest && w.free(host.id, s, s + length, except) {
                let (key, start_text, end_text) = match zone {
                    Some(z) => (
                        s.with_timezone(&z).format("%Y-%m-%d").to_string(),
                        s.with_timezone(&z)
                            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                            .to_string(),
                        (s + length)
                            .with_timezone(&z)
                            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                            .to_string(),
                    ),
                    None => (
                        s.format("%Y-%m-%d").to_string(),
                        js_time(s),
                        js_time(s + length),
                    ),
                };
                let item = if format == "range" {
                    json!({"start": start_text, "end": end_text})
                } else {
                    json!({"start": start_text})
                };
                if let Some(list) = days.entry(key).or_insert_with(|| json!([])).as_array_mut() {
                    list.push(item);
                }
            }
            t += length;
        }
        day = day.succ_opt().unwrap_or(day);
        if day == chrono::NaiveDate::MAX {
            break;
        }
    }
    success(200, Value::Object(days))
}

/// Checks a booking's time against the event and the host (§5.2); `None` if it can go.
fn refuse_time(
    w: &World,
    r: &Incoming,
    event: &EventType,
    start: DateTime<Utc>,
    except: Option<&str>,
) -> Option<Answer> {
    if start < now() {
        return Some(shape_a(
            400,
            &r.raw_path,
            "Attempting to book a meeting in the past.",
        ));
    }
    if start < now() + Span::minutes(event.min_notice_min) {
        return Some(shape_a(
            400,
            &r.raw_path,
            "The event type can't be booked at the \"start\" time provided. This could be because it's too soon (violating the minimum booking notice) or too far in the future (outside the event's scheduling window). Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with \"start\" time equal to one of the available slots: https://cal.com/docs/api-reference/v2/slots",
        ));
    }
    if !w.free(
        event.host,
        start,
        start + Span::minutes(event.length_min),
        except,
    ) {
        return Some(shape_a(
            400,
            &r.raw_path,
            "User either already has booking at this time or is not available",
        ));
    }
    None
}

fn create(w: &mut World, r: &Incoming) -> Handled {
    if let Err(message) = whitelist(&w.shapes, "CreateBookingInput_2024_08_13", &r.body)
        .and_then(|()| whitelist(&w.shapes, "CreateBookingAttendee", &r.body["attendee"]))
    {
        return plain(shape_a(400, &r.raw_path, &message));
    }
    let attendee = &r.body["attendee"];
    if attendee["email"].is_null() && attendee["phoneNumber"].is_null() {
        return plain(shape_a(
            400,
            &r.raw_path,
            "Attendee must have at least one contact method (email or phone number)",
        ));
    }
    if attendee["timeZone"]
        .as_str()
        .is_none_or(|z| z.parse::<Tz>().is_err())
    {
        return plain(shape_a(
            400,
            &r.raw_path,
            "attendee.timeZone property is wrong,timeZone must be a valid IANA time zone ",
        ));
    }
    let Some(event_id) = r.body["eventTypeId"].as_u64() else {
        return plain(shape_a(
            400,
            &r.raw_path,
            "Either eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be provided",
        ));
    };
    let Some(event) = w.event_types.get(&event_id).cloned() else {
        return plain(shape_d(404, "event_type_not_found"));
    };
    let Some(start) = r.body["start"].as_str().and_then(|s| parse_when(s, false)) else {
        return plain(shape_a(
            400,
            &r.raw_path,
            "start property is wrong,start must be a valid ISO 8601 date string ",
        ));
    };
    if std::mem::take(&mut w.race_next) {
        return plain(shape_d(409, "booking_conflict_error"));
    }
    if let Some(refusal) = refuse_time(w, r, &event, start, None) {
        return plain(refusal);
    }
    let (id, uid) = (w.next(), w.uid());
    let b = CalBooking {
        id,
        uid,
        event_type: event.id,
        host: event.host,
        start,
        end: start + Span::minutes(event.length_min),
        status: "accepted".into(),
        attendee: attendee.clone(),
        metadata: r.body.get("metadata").cloned().unwrap_or_else(|| json!({})),
        rescheduled_from: None,
        rescheduled_to: None,
        cancellation_reason: None,
        absent: false,
        created: now(),
    };
    let body = w.hook_body("BOOKING_CREATED", &b, &[]);
    let hooks = w.deliveries("BOOKING_CREATED", body);
    let data = w.booking_json(&b);
    w.bookings.push(b);
    let (s, h, b) = success(201, data);
    (s, h, b, hooks)
}

fn list(w: &World, r: &Incoming, user: u64) -> Answer {
    let q = |k: &str| r.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let take: usize = q("take")
        .and_then(|t| t.parse().ok())
        .unwrap_or(100)
        .clamp(1, 250);
    let skip: usize = q("skip").and_then(|t| t.parse().ok()).unwrap_or(0);
    let statuses: Vec<String> = q("status")
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let after = q("afterStart").and_then(|s| parse_when(&s, false));
    let before = q("beforeEnd").and_then(|s| parse_when(&s, true));
    let t = now();
    let mine: Vec<&CalBooking> = w
        .bookings
        .iter()
        .filter(|b| b.host == user)
        .filter(|b| {
            statuses.is_empty()
                || statuses.iter().any(|s| match s.as_str() {
                    "upcoming" => b.status == "accepted" && b.end >= t,
                    "past" => b.end < t,
                    "cancelled" => b.status == "cancelled",
                    _ => false,
                })
        })
        .filter(|b| after.is_none_or(|a| b.start >= a))
        .filter(|b| before.is_none_or(|e| b.end <= e))
        .collect();
    let total = mine.len();
    let page: Vec<Value> = mine
        .iter()
        .skip(skip)
        .take(take)
        .map(|b| w.booking_json(b))
        .collect();
    let returned = page.len();
    (
        200,
        vec![],
        json!({"status": "success", "data": page, "pagination": {
            "totalItems": total, "remainingItems": total.saturating_sub(skip + returned),
            "returnedItems": returned, "itemsPerPage": take, "currentPage": skip / take + 1,
            "totalPages": total.div_ceil(take), "hasNextPage": skip + returned < total, "hasPreviousPage": skip > 0}})
        .to_string(),
    )
}

fn cancel(w: &mut World, r: &Incoming, uid: &str, user: Option<u64>) -> Handled {
    let body = if r.body.is_null() {
        json!({})
    } else {
        r.body.clone()
    };
    if let Err(message) = whitelist(&w.shapes, "CancelBookingInput_2024_08_13", &body) {
        return plain(shape_a(400, &r.raw_path, &message));
    }
    let Some(b) = w.bookings.iter().find(|b| b.uid == uid).cloned() else {
        return plain(shape_a(
            404,
            &r.raw_path,
            &format!("Booking with uid={uid} not found"),
        ));
    };
    if b.status == "cancelled" {
        return plain(shape_a(
            400,
            &r.raw_path,
            &format!(
                "Can't cancel booking with uid={uid} because it has been cancelled already. Please provide uid of a booking that is not cancelled."
            ),
        ));
    }
    let reason = body["cancellationReason"].as_str().unwrap_or("").to_owned();
    if user == Some(b.host) && reason.is_empty() {
        return plain(shape_d(
            400,
            "Cancellation reason is required when you are the host",
        ));
    }
    if b.end < now() {
        return plain(shape_d(
            400,
            "Cannot cancel a booking that has already ended",
        ));
    }
    let mut cancelled = b.clone();
    cancelled.status = "cancelled".into();
    cancelled.cancellation_reason = Some(reason.clone());
    if let Some(stored) = w.bookings.iter_mut().find(|x| x.uid == uid) {
        *stored = cancelled.clone();
    }
    let hook = w.hook_body(
        "BOOKING_CANCELLED",
        &cancelled,
        &[
            ("cancellationReason", json!(reason)),
            ("cancelledBy", json!(cancelled.attendee["email"])),
        ],
    );
    let hooks = w.deliveries("BOOKING_CANCELLED", hook);
    let (s, h, body) = success(200, w.booking_json(&cancelled));
    (s, h, body, hooks)
}

fn reschedule_call(w: &mut World, r: &Incoming, uid: &str) -> Handled {
    if let Err(message) = whitelist(&w.shapes, "RescheduleBookingInput_2024_08_13", &r.body) {
        return plain(shape_a(400, &r.raw_path, &message));
    }
    let Some(old) = w.bookings.iter().find(|b| b.uid == uid).cloned() else {
        // `canRescheduleBooking` throws a plain Error (§5.6).
        return plain(shape_d(500, "Internal server error"));
    };
    if old.status == "cancelled" {
        let message = match &old.rescheduled_to {
            Some(new) => format!(
                "Can't reschedule booking with uid={uid} because it has been cancelled and rescheduled already to booking with uid={new}. You probably want to reschedule {new} instead by passing it within the request URL."
            ),
            None => format!(
                "Can't reschedule booking with uid={uid} because it has been cancelled. Please provide uid of a booking that is not cancelled."
            ),
        };
        return plain(shape_a(400, &r.raw_path, &message));
    }
    let Some(start) = r.body["start"].as_str().and_then(|s| parse_when(s, false)) else {
        return plain(shape_a(
            400,
            &r.raw_path,
            "start property is wrong,start must be a valid ISO 8601 date string ",
        ));
    };
    let Some(event) = w.event_types.get(&old.event_type).cloned() else {
        return plain(shape_d(404, "event_type_not_found"));
    };
    if let Some(refusal) = refuse_time(w, r, &event, start, Some(uid)) {
        return plain(refusal);
    }
    let reason = r.body["reschedulingReason"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let Some((new_uid, hook)) = reschedule(w, uid, start, &reason) else {
        return plain(shape_d(500, "Internal server error"));
    };
    let hooks = w.deliveries("BOOKING_RESCHEDULED", hook);
    let data = w
        .bookings
        .iter()
        .find(|b| b.uid == new_uid)
        .map(|b| w.booking_json(b))
        .unwrap_or_default();
    let (s, h, body) = success(201, data);
    (s, h, body, hooks)
}

fn mark_absent(w: &mut World, r: &Incoming, uid: &str) -> Handled {
    if let Err(message) = whitelist(&w.shapes, "MarkAbsentBookingInput_2024_08_13", &r.body) {
        return plain(shape_a(400, &r.raw_path, &message));
    }
    let Some(b) = w.bookings.iter().find(|b| b.uid == uid).cloned() else {
        return plain(shape_a(
            404,
            &r.raw_path,
            &format!("Booking with uid={uid} not found"),
        ));
    };
    let t = now();
    if t < b.start {
        return plain(shape_a(
            400,
            &r.raw_path,
            &format!(
                "Bookings can only be marked as absent after their scheduled start time. Current time in UTC+0: {}, Booking start time in UTC+0: {}",
                js_time(t),
                js_time(b.start)
            ),
        ));
    }
    let absent = r.body["attendees"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|a| a["absent"].as_bool());
    let mut hooks = Vec::new();
    if let Some(absent) = absent {
        if let Some(stored) = w.bookings.iter_mut().find(|x| x.uid == uid) {
            stored.absent = absent;
        }
        let email = b.attendee["email"].as_str().unwrap_or("").to_owned();
        let word = if absent { "marked" } else { "unmarked" };
        let body = format!(
            r#"{{"triggerEvent":"BOOKING_NO_SHOW_UPDATED","createdAt":{},"payload":{}}}"#,
            Value::from(js_time(t)),
            json!({"message": format!("{email} {word} as no-show"), "attendees": [{"email": email, "noShow": absent}], "bookingUid": uid, "bookingId": b.id})
        );
        hooks = w.deliveries("BOOKING_NO_SHOW_UPDATED", body);
    }
    let data = w
        .bookings
        .iter()
        .find(|x| x.uid == uid)
        .map(|x| w.booking_json(x))
        .unwrap_or_default();
    let (s, h, body) = success(200, data);
    (s, h, body, hooks)
}

fn register(w: &mut World, r: &Incoming) -> Answer {
    if let Err(message) = whitelist(&w.shapes, "CreateWebhookInputDto", &r.body) {
        return shape_a(400, &r.raw_path, &message);
    }
    let triggers: Vec<String> = r.body["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    if let Some(bad) = triggers.iter().find(|t| !TRIGGERS.contains(&t.as_str())) {
        return shape_a(
            400,
            &r.raw_path,
            &format!(
                "triggers property is wrong,each value in triggers must be one of the following values: {} ({bad})",
                TRIGGERS.join(", ")
            ),
        );
    }
    let url = r.body["subscriberUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if w.hooks.iter().any(|h| h.url == url) {
        return shape_a(
            409,
            &r.raw_path,
            "Webhook with this subscriber url already exists for this user",
        );
    }
    let n = w.next();
    let hook = Hook {
        id: format!("4f7c8e2a-0000-4000-8000-{n:012x}"),
        url: url.clone(),
        secret: r.body["secret"].as_str().map(str::to_owned),
        triggers: triggers.clone(),
    };
    w.hooks.push(hook.clone());
    success(
        201,
        json!({"id": hook.id, "userId": 1, "payloadTemplate": null, "triggers": triggers, "subscriberUrl": url, "active": true, "secret": hook.secret}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_shapes_are_cal_com_s_own() {
        // Only where the contract folder is beside the repository (every developer machine).
        let Ok(text) = std::fs::read_to_string(openapi_path()) else {
            return;
        };
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(shapes_from(&doc).unwrap(), built_in_shapes());
    }
}
