//! Cal.com API v2, as the project's contract sheet describes it: the client the scheduler
//! uses when a self-hosted Cal.com does the scheduling.
//!
//! - Exact `cal-api-version` per endpoint (`2024-09-04` slots, `2024-08-13` bookings) and
//!   only the fields Cal.com's schemas allow (it refuses unknown ones).
//! - Errors mapped by the sheet's failure matrix: a taken slot (400 with its message, or 409
//!   `booking_conflict_error`) is [`CalError::SlotTaken`].
//! - At most `CALCOM_REQUESTS_PER_MINUTE` (default 110, under Cal.com's 120) calls in any
//!   minute, and none while a `Retry-After` runs; a call over the limit fails at once rather
//!   than keeping a customer waiting.
//! - A circuit breaker: after 5 failures in a row Cal.com is not called for 30 seconds.
//! - Budget and breaker are a [`CallGate`]: the client's own, or one every bridge on a shared
//!   store uses ([`Calcom::with_gate`]).
//! - Each call gives up after 2 seconds, so a customer hears back within 3.
//! - A booking create is never sent twice: one whose answer was lost is looked up by its
//!   reference in Cal.com's bookings instead.

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use thiserror::Error;

use crate::ports::http::Method;
use crate::ports::{Call, CallGate, CallOutcome, GateStatus, HttpClient, HttpFailure, LocalGate};

// Cal.com's answers, read into these at the door (sheet §3 envelopes A and D).

/// Envelope A: `{"status": "success", "data": …}`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// A booking as Cal.com answers it.
#[derive(Deserialize)]
struct BookingData {
    uid: String,
    start: DateTime<Utc>,
    #[serde(default)]
    metadata: Option<BookingMetadata>,
}

#[derive(Deserialize)]
struct BookingMetadata {
    /// [`REFERENCE_KEY`].
    #[serde(default)]
    slotline_reference: Option<String>,
}

/// One free start (`format=range` adds an end, which is not needed).
#[derive(Deserialize)]
struct SlotEntry {
    start: DateTime<FixedOffset>,
}

/// An error: shape A carries `error.message`, shape D a top-level `message` (a sentence
/// or, from validation, a list of them).
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorDetail>,
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    One(String),
    Many(Vec<String>),
    Other(Value),
}

impl Message {
    fn text(self) -> String {
        match self {
            Message::One(s) => s,
            Message::Many(v) => v.join("; "),
            Message::Other(v) => v.to_string(),
        }
    }
}

impl From<BookingData> for CalBooking {
    fn from(b: BookingData) -> Self {
        CalBooking {
            uid: b.uid,
            start: b.start,
        }
    }
}

/// Why a Cal.com call failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalError {
    /// The slot is no longer free.
    #[error("the slot is taken")]
    SlotTaken,
    /// Cal.com is down, slow, over its rate limit, or the breaker is open.
    #[error("Cal.com is unavailable: {0}")]
    Unavailable(String),
    /// The answer was lost (timeout after sending): the call may have taken effect.
    #[error("Cal.com did not answer in time")]
    Unknown,
    /// No such booking or event type.
    #[error("not found in Cal.com: {0}")]
    NotFound(String),
    /// Cal.com refused the request (a configuration problem, not the customer's).
    #[error("Cal.com refused the request: {0}")]
    Refused(String),
}

/// What Cal.com said about a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalBooking {
    /// Its uid.
    pub uid: String,
    /// Start.
    pub start: DateTime<Utc>,
}

/// Who is booking.
#[derive(Debug, Clone)]
pub struct Attendee {
    /// Name shown in Cal.com.
    pub name: String,
    /// E.164 phone.
    pub phone: String,
    /// IANA zone.
    pub zone: String,
    /// Language code.
    pub language: String,
}

/// The metadata key carrying the bridge's booking reference.
pub const REFERENCE_KEY: &str = "slotline_reference";

/// How the client stands with Cal.com ([`Calcom::status`]).
pub type CalcomStatus = GateStatus;

/// A Cal.com API v2 client.
pub struct Calcom {
    http: Arc<dyn HttpClient>,
    base: String,
    key: Option<String>,
    timeout: Duration,
    gate: Arc<dyn CallGate>,
}

fn js_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Calcom {
    /// A client for the API at `base` (`CALCOM_API_URL`), with an API key if given, keeping
    /// its own budget of `per_minute` calls and breaker; its calls are carried by `http`.
    pub fn new(
        http: Arc<dyn HttpClient>,
        base: &str,
        key: Option<String>,
        per_minute: u32,
    ) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            timeout: Duration::from_secs(2),
            gate: Arc::new(LocalGate::new(per_minute)),
        }
    }

    /// The same client behind `gate` (one shared by every bridge on the store) instead of
    /// its own.
    pub fn with_gate(mut self, gate: Arc<dyn CallGate>) -> Self {
        self.gate = gate;
        self
    }

    /// How the client stands with Cal.com right now, for monitoring.
    pub async fn status(&self) -> CalcomStatus {
        self.gate.status(now_ms()).await
    }

    async fn record(&self, outcome: CallOutcome) {
        self.gate.record(outcome, now_ms()).await;
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        version: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Vec<u8>, CalError> {
        self.gate
            .admit(now_ms())
            .await
            .map_err(|refusal| CalError::Unavailable(refusal.to_string()))?;
        let mut req = Call::new(method, format!("{}{path}", self.base))
            .header("cal-api-version", version)
            .timeout(self.timeout)
            .query(query);
        if let Some(key) = &self.key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = match self.http.send(req).await {
            Ok(r) => r,
            Err(e) => {
                self.record(CallOutcome::Failed).await;
                // A call that timed out may have taken effect: the caller looks it up.
                return Err(if e == HttpFailure::TimedOut {
                    CalError::Unknown
                } else {
                    CalError::Unavailable(format!("Cal.com: {e}"))
                });
            }
        };
        let status = response.status;
        let retry_after = response.retry_after();
        let bytes = response.body;
        if (200..300).contains(&status) {
            self.record(CallOutcome::Healthy).await;
            return Ok(bytes);
        }
        let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let message = error
            .error
            .and_then(|e| e.message)
            .or(error.message)
            .map(Message::text)
            .unwrap_or_default();
        let taken = message.contains("already has booking at this time")
            || message.contains("not available")
            || message == "booking_conflict_error";
        Err(match status {
            429 => {
                let wait = i64::try_from(retry_after.unwrap_or(60)).unwrap_or(60);
                self.record(CallOutcome::RetryAfter(wait.saturating_mul(1000)))
                    .await;
                CalError::Unavailable("rate limited by Cal.com".into())
            }
            500..=599 => {
                self.record(CallOutcome::Failed).await;
                CalError::Unavailable(format!("Cal.com answered {status}"))
            }
            400 | 409 if taken => {
                self.record(CallOutcome::Healthy).await;
                CalError::SlotTaken
            }
            404 => {
                self.record(CallOutcome::Healthy).await;
                CalError::NotFound(message)
            }
            _ => {
                self.record(CallOutcome::Healthy).await;
                CalError::Refused(format!("{status}: {message}"))
            }
        })
    }

    /// Free starts of event type `event_type` between `from` and `to`.
    pub async fn slots(
        &self,
        event_type: u64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, CalError> {
        let query = [
            ("eventTypeId", event_type.to_string()),
            ("start", js_time(from)),
            ("end", js_time(to)),
        ];
        // One attempt: a customer is waiting, and cached times stand in meanwhile.
        let answer = self
            .call(Method::GET, "/v2/slots", "2024-09-04", &query, None)
            .await
            .map_err(|e| match e {
                CalError::Unknown => CalError::Unavailable("slots timed out".into()),
                other => other,
            })?;
        let days: HashMap<String, Vec<SlotEntry>> = data(&answer)?;
        let mut starts: Vec<DateTime<Utc>> = days
            .into_values()
            .flatten()
            .map(|slot| slot.start.with_timezone(&Utc))
            .collect();
        starts.sort_unstable();
        Ok(starts)
    }

    /// Books `start` of `event_type`. A lost answer is looked up by `reference` before
    /// giving up; the create itself is never sent twice.
    pub async fn book(
        &self,
        event_type: u64,
        start: DateTime<Utc>,
        length_min: u32,
        attendee: &Attendee,
        reference: &str,
    ) -> Result<CalBooking, CalError> {
        let body = json!({
            "start": js_time(start),
            "eventTypeId": event_type,
            "attendee": {"name": attendee.name, "timeZone": attendee.zone,
                         "phoneNumber": attendee.phone, "language": attendee.language},
            "metadata": {REFERENCE_KEY: reference},
        });
        match self
            .call(Method::POST, "/v2/bookings", "2024-08-13", &[], Some(body))
            .await
        {
            Ok(answer) => data::<BookingData>(&answer).map(CalBooking::from),
            Err(CalError::Unknown) => self
                .find(event_type, start, length_min, reference)
                .await?
                .ok_or(CalError::Unavailable(
                    "Cal.com did not answer the booking".into(),
                )),
            Err(e) => Err(e),
        }
    }

    /// The booking of `event_type` at `start` carrying `reference`, if Cal.com has it.
    pub async fn find(
        &self,
        event_type: u64,
        start: DateTime<Utc>,
        length_min: u32,
        reference: &str,
    ) -> Result<Option<CalBooking>, CalError> {
        let query = [
            ("eventTypeId", event_type.to_string()),
            ("afterStart", js_time(start)),
            (
                "beforeEnd",
                js_time(start + chrono::Duration::minutes(i64::from(length_min))),
            ),
            ("status", "upcoming".to_owned()),
        ];
        let answer = self
            .call(Method::GET, "/v2/bookings", "2024-08-13", &query, None)
            .await?;
        let bookings: Vec<BookingData> = data(&answer)?;
        Ok(bookings
            .into_iter()
            .find(|b| {
                b.metadata
                    .as_ref()
                    .and_then(|m| m.slotline_reference.as_deref())
                    == Some(reference)
            })
            .map(CalBooking::from))
    }

    /// Moves booking `uid` to `start`; Cal.com makes a new booking (a new uid).
    pub async fn reschedule(
        &self,
        uid: &str,
        start: DateTime<Utc>,
    ) -> Result<CalBooking, CalError> {
        let body = json!({"start": js_time(start), "reschedulingReason": "Moved by the customer on WhatsApp"});
        let answer = self
            .call(
                Method::POST,
                &format!("/v2/bookings/{uid}/reschedule"),
                "2024-08-13",
                &[],
                Some(body),
            )
            .await?;
        data::<BookingData>(&answer).map(CalBooking::from)
    }

    /// Cancels booking `uid`; a booking already cancelled counts as done.
    pub async fn cancel(&self, uid: &str, reason: &str) -> Result<(), CalError> {
        let body = json!({"cancellationReason": reason});
        match self
            .call(
                Method::POST,
                &format!("/v2/bookings/{uid}/cancel"),
                "2024-08-13",
                &[],
                Some(body),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(CalError::Refused(m)) if m.contains("cancelled already") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The `data` of a successful answer, read into `T`; an answer of another shape means
/// Cal.com is not the version the bridge speaks to.
fn data<T: DeserializeOwned>(answer: &[u8]) -> Result<T, CalError> {
    serde_json::from_slice::<Envelope<T>>(answer)
        .map(|e| e.data)
        .map_err(|e| {
            CalError::Refused(format!(
                "Cal.com's answer was not of the expected shape: {e}"
            ))
        })
}
