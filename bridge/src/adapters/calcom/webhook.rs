//! Cal.com's webhook bodies, parsed at the door into a [`CalendarEvent`].
//!
//! Cal.com wraps booking triggers as `{"triggerEvent", "createdAt", "payload": {…}}`; the
//! meeting triggers send the booking row flat. Only the fields the bridge acts on are read,
//! each into its type; a body that is not JSON, or whose fields have the wrong types, is
//! refused as a whole rather than half-read.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use thiserror::Error;

/// What happened in Cal.com's calendar, as far as the bridge cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarEvent {
    /// A booking was made (on the Cal.com page, a synced calendar, or by the bridge).
    Created {
        /// Cal.com's booking uid.
        uid: Option<String>,
        /// The bridge's reference, when the bridge made it.
        reference: Option<String>,
    },
    /// A booking moved: Cal.com gives it a new uid.
    Rescheduled {
        /// The uid before the move.
        old_uid: String,
        /// The uid after it.
        new_uid: String,
        /// The new start.
        start: DateTime<Utc>,
        /// The new end.
        end: DateTime<Utc>,
    },
    /// A booking was cancelled.
    Cancelled {
        /// Its uid.
        uid: String,
    },
    /// Attendance was marked.
    NoShow {
        /// The booking's uid.
        uid: String,
        /// Whether an attendee was marked absent (rather than present again).
        absent: bool,
    },
    /// Anything else (meetings starting, forms, pings): noted, nothing to do.
    Other,
}

/// A webhook with its trigger and the event type whose free times it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Cal.com's trigger name, for the log.
    pub trigger: String,
    /// The event type the booking belongs to, when given.
    pub event_type: Option<u64>,
    /// What happened.
    pub event: CalendarEvent,
}

/// Why a webhook body cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON, or fields of the wrong types.
    #[error("not a Cal.com webhook: {0}")]
    Unreadable(String),
    /// A trigger without a field it needs.
    #[error("a {trigger} webhook without its {missing}")]
    Incomplete {
        /// The trigger.
        trigger: String,
        /// What is missing.
        missing: &'static str,
    },
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "triggerEvent", default)]
    trigger: String,
    #[serde(default)]
    payload: Option<Payload>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    reschedule_uid: Option<String>,
    #[serde(default)]
    booking_uid: Option<String>,
    #[serde(default)]
    start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    end_time: Option<DateTime<Utc>>,
    #[serde(default)]
    event_type_id: Option<u64>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    attendees: Option<Vec<AttendeeMark>>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    /// [`super::REFERENCE_KEY`].
    #[serde(default)]
    slotline_reference: Option<String>,
}

#[derive(Deserialize)]
struct AttendeeMark {
    #[serde(rename = "noShow", default)]
    no_show: bool,
}

/// Reads a webhook body (its signature already checked).
pub fn parse(body: &[u8]) -> Result<Webhook, ParseError> {
    let unreadable = |e: serde_json::Error| ParseError::Unreadable(e.to_string());
    let envelope: Envelope = serde_json::from_slice(body).map_err(unreadable)?;
    let payload = match envelope.payload {
        Some(p) => p,
        // MEETING_STARTED / MEETING_ENDED bodies are flat booking rows.
        None => serde_json::from_slice(body).map_err(unreadable)?,
    };
    let trigger = envelope.trigger;
    let missing = |missing| ParseError::Incomplete {
        trigger: trigger.clone(),
        missing,
    };
    let event = match trigger.as_str() {
        "BOOKING_CREATED" => CalendarEvent::Created {
            uid: payload.uid,
            reference: payload.metadata.and_then(|m| m.slotline_reference),
        },
        "BOOKING_RESCHEDULED" => CalendarEvent::Rescheduled {
            old_uid: payload
                .reschedule_uid
                .ok_or_else(|| missing("rescheduleUid"))?,
            new_uid: payload.uid.ok_or_else(|| missing("uid"))?,
            start: payload.start_time.ok_or_else(|| missing("startTime"))?,
            end: payload.end_time.ok_or_else(|| missing("endTime"))?,
        },
        "BOOKING_CANCELLED" => CalendarEvent::Cancelled {
            uid: payload.uid.ok_or_else(|| missing("uid"))?,
        },
        "BOOKING_NO_SHOW_UPDATED" => CalendarEvent::NoShow {
            uid: payload.booking_uid.ok_or_else(|| missing("bookingUid"))?,
            absent: payload
                .attendees
                .is_some_and(|a| a.iter().any(|x| x.no_show)),
        },
        _ => CalendarEvent::Other,
    };
    Ok(Webhook {
        trigger,
        event_type: payload.event_type_id,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_triggers_read_into_events() {
        let created = br#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2026-11-20T10:00:00.000Z",
            "payload":{"uid":"u1","eventTypeId":7,"startTime":"2026-11-24T10:00:00.000Z",
            "metadata":{"slotline_reference":"SL-1","other":3}}}"#;
        let w = parse(created).unwrap();
        assert_eq!(w.event_type, Some(7));
        assert_eq!(
            w.event,
            CalendarEvent::Created {
                uid: Some("u1".into()),
                reference: Some("SL-1".into())
            }
        );
        let moved = br#"{"triggerEvent":"BOOKING_RESCHEDULED","payload":{"uid":"u2",
            "rescheduleUid":"u1","startTime":"2026-11-25T15:00:00.000Z",
            "endTime":"2026-11-25T15:30:00.000Z"}}"#;
        assert!(matches!(
            parse(moved).unwrap().event,
            CalendarEvent::Rescheduled { ref old_uid, .. } if old_uid == "u1"
        ));
        let absent = br#"{"triggerEvent":"BOOKING_NO_SHOW_UPDATED","payload":{"bookingUid":"u2",
            "attendees":[{"email":"a@b.c","noShow":true}]}}"#;
        assert_eq!(
            parse(absent).unwrap().event,
            CalendarEvent::NoShow {
                uid: "u2".into(),
                absent: true
            }
        );
        let flat = br#"{"triggerEvent":"MEETING_ENDED","uid":"u3","eventTypeId":9}"#;
        let w = parse(flat).unwrap();
        assert_eq!((w.event, w.event_type), (CalendarEvent::Other, Some(9)));
    }

    #[test]
    fn incomplete_or_mistyped_bodies_are_refused_whole() {
        let no_uid = br#"{"triggerEvent":"BOOKING_CANCELLED","payload":{}}"#;
        assert_eq!(
            parse(no_uid),
            Err(ParseError::Incomplete {
                trigger: "BOOKING_CANCELLED".into(),
                missing: "uid"
            })
        );
        let bad_time = br#"{"triggerEvent":"BOOKING_RESCHEDULED","payload":{"uid":"u2",
            "rescheduleUid":"u1","startTime":"tomorrow","endTime":"later"}}"#;
        assert!(matches!(parse(bad_time), Err(ParseError::Unreadable(_))));
        assert!(matches!(parse(b"not json"), Err(ParseError::Unreadable(_))));
    }
}
