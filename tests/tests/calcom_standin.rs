//! The Cal.com stand-in keeps the contract sheet's promises (`calcom-api-v2.md` §8), so the
//! bridge's Cal.com adapter is tested against Cal.com's behaviour, not our guess of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{Duration, TimeZone, Timelike, Utc};
use serde_json::{Value, json};
use slotline_e2e::calcom::{CalcomStandIn, Host};

const KEY: &str = "cal_test_owner_key_0001";
const SECRET: &str = "cal_webhook_test_secret";

/// A webhook receiver on loopback: what arrived (time, signature header, body).
type Received = Arc<Mutex<Vec<(Instant, String, String)>>>;

fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhooks/calcom", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let (mut length, mut signature) = (0, String::new());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                let lower = line.to_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("x-cal-signature-256:") {
                    signature = line[line.find(':').unwrap() + 1..].trim().to_owned();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            g.lock().unwrap().push((
                Instant::now(),
                signature,
                String::from_utf8_lossy(&body).into_owned(),
            ));
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

struct Cal {
    stand_in: CalcomStandIn,
    event: u64,
}

fn cal() -> Cal {
    let stand_in = CalcomStandIn::start(&[(KEY, 7)]).unwrap();
    stand_in.add_host(Host {
        id: 7,
        name: "Ana Ruiz".into(),
        email: "ana@clinic.example".into(),
        zone: chrono_tz::Europe::Madrid,
        from: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        to: chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
    });
    let event = stand_in.add_event_type("consulta-30", 30, 7, 60);
    Cal { stand_in, event }
}

/// A call with `cal-api-version`; status and JSON body.
fn call(
    cal: &Cal,
    method: &str,
    path: &str,
    version: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, Vec<(String, String)>) {
    let mut req = ureq::request(method, &format!("{}{path}", cal.stand_in.url))
        .set("Authorization", &format!("Bearer {KEY}"));
    if let Some(v) = version {
        req = req.set("cal-api-version", v);
    }
    let result = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|h| (h.clone(), resp.header(&h).unwrap_or_default().to_owned()))
        .collect();
    let status = resp.status();
    (status, resp.into_json().unwrap_or(Value::Null), headers)
}

/// Tomorrow (UTC) at `h:00` Madrid time.
fn tomorrow_at(h: u32) -> chrono::DateTime<Utc> {
    let day = (Utc::now() + Duration::days(1)).date_naive();
    chrono_tz::Europe::Madrid
        .from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn booking(cal: &Cal, start: chrono::DateTime<Utc>) -> Value {
    json!({"start": start.to_rfc3339(), "eventTypeId": cal.event,
           "attendee": {"name": "Zoe Ortega", "timeZone": "Europe/Madrid", "phoneNumber": "+34600111222", "language": "es"},
           "metadata": {"slotline": "SL-TEST"}})
}

#[test]
fn slots_route_by_version_and_come_as_cal_com_shapes_them() {
    let cal = cal();
    let day = (Utc::now() + Duration::days(1)).date_naive();
    let path = format!(
        "/v2/slots?eventTypeId={}&start={day}&end={day}&timeZone=Europe/Madrid",
        cal.event
    );
    // No version: the legacy controller, which has no /v2/slots.
    let (status, body, _) = call(&cal, "GET", &path, None, None);
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NotFoundException");
    assert_eq!(body["error"]["message"], format!("Cannot GET {path}"));
    let (status, body, headers) = call(&cal, "GET", &path, Some("2024-09-04"), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success");
    assert!(
        headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-request-id"))
    );
    let slots = body["data"][day.to_string()].as_array().unwrap();
    assert_eq!(slots.len(), 16, "09:00–17:00 in 30-minute slots");
    let first = slots[0]["start"].as_str().unwrap();
    assert!(
        first.ends_with(":00.000+01:00") || first.ends_with(":00.000+02:00"),
        "{first}"
    );
    assert!(slots[0].get("end").is_none());
    let (_, ranged, _) = call(
        &cal,
        "GET",
        &format!("{path}&format=range"),
        Some("2024-09-04"),
        None,
    );
    assert!(ranged["data"][day.to_string()][0]["end"].is_string());
    // Unknown parameters are refused, with Cal.com's message.
    let (status, body, _) = call(
        &cal,
        "GET",
        &format!("{path}&usernameList=ana"),
        Some("2024-09-04"),
        None,
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "usernameList property is wrong,property usernameList should not exist "
    );
}

#[test]
fn a_booking_fires_its_signed_webhook_before_the_call_answers_and_takes_the_slot() {
    let cal = cal();
    let (url, got) = receiver();
    let (status, hook, _) = call(
        &cal,
        "POST",
        "/v2/webhooks",
        None,
        Some(
            json!({"subscriberUrl": url, "active": true, "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"], "secret": SECRET}),
        ),
    );
    assert_eq!(status, 201, "{hook}");
    assert!(hook["data"]["id"].is_string());
    let (status, dup, _) = call(
        &cal,
        "POST",
        "/v2/webhooks",
        None,
        Some(json!({"subscriberUrl": url, "active": true, "triggers": ["BOOKING_CREATED"]})),
    );
    assert_eq!(status, 409, "{dup}");
    let (status, _, _) = call(
        &cal,
        "POST",
        "/v2/webhooks",
        None,
        Some(
            json!({"subscriberUrl": "http://127.0.0.1:9/x", "active": true, "triggers": ["BOOKING_COMPLETED"]}),
        ),
    );
    assert_eq!(status, 400);

    let start = tomorrow_at(10);
    let (status, created, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, start)),
    );
    let answered = Instant::now();
    assert_eq!(status, 201, "{created}");
    let data = &created["data"];
    assert_eq!(data["status"], "accepted");
    assert_eq!(
        data["start"],
        start.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    );
    let hooks = got.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    let (at, signature, body) = &hooks[0];
    assert!(*at <= answered, "the webhook came after the answer");
    assert_eq!(
        slotline_shared::calcom::verify(SECRET, body.as_bytes(), Some(signature), false),
        Ok(())
    );
    assert!(
        body.starts_with(r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"#),
        "{body}"
    );
    let parsed: Value = serde_json::from_str(body).unwrap();
    assert_eq!(parsed["payload"]["uid"], data["uid"]);
    assert_eq!(parsed["payload"]["status"], "ACCEPTED");
    assert_eq!(parsed["payload"]["metadata"]["slotline"], "SL-TEST");

    // The slot is gone, and booking it again is refused with Cal.com's message.
    let (status, again, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, start)),
    );
    assert_eq!(status, 400);
    assert_eq!(
        again["error"]["message"],
        "User either already has booking at this time or is not available"
    );
    let day = start.with_timezone(&chrono_tz::Europe::Madrid).date_naive();
    let (_, slots, _) = call(
        &cal,
        "GET",
        &format!(
            "/v2/slots?eventTypeId={}&start={day}&end={day}&timeZone=Europe/Madrid",
            cal.event
        ),
        Some("2024-09-04"),
        None,
    );
    let starts: Vec<&str> = slots["data"][day.to_string()]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["start"].as_str())
        .collect();
    assert!(
        !starts.iter().any(|s| s.contains("T10:00:00.000")),
        "{starts:?}"
    );
    // A race lost to an identical booking is shape D.
    cal.stand_in.lose_next_race();
    let (status, race, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, tomorrow_at(11))),
    );
    assert_eq!(
        (status, race),
        (
            409,
            json!({"statusCode": 409, "message": "booking_conflict_error"})
        )
    );
}

#[test]
fn bodies_are_checked_against_cal_com_s_own_schema() {
    let cal = cal();
    let mut body = booking(&cal, tomorrow_at(12));
    body["responses"] = json!({});
    let (status, refused, _) = call(&cal, "POST", "/v2/bookings", Some("2024-08-13"), Some(body));
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"]["message"],
        "responses property is wrong,property responses should not exist "
    );
    let mut body = booking(&cal, tomorrow_at(12));
    body["attendee"] = json!({"name": "Zoe", "timeZone": "Europe/Madrid"});
    let (status, refused, _) = call(&cal, "POST", "/v2/bookings", Some("2024-08-13"), Some(body));
    assert_eq!(status, 400);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one contact method")
    );
    // The wrong version on bookings: 404.
    let (status, _, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-09-04"),
        Some(booking(&cal, tomorrow_at(12))),
    );
    assert_eq!(status, 404);
    // Too soon for the event's minimum notice, or in the past.
    let soon = Utc::now() + Duration::minutes(5);
    let soon = soon.with_second(0).unwrap().with_nanosecond(0).unwrap();
    let (status, refused, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, soon)),
    );
    assert_eq!(status, 400);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("minimum booking notice")
            || refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not available")
    );
    let (status, refused, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, Utc::now() - Duration::days(1))),
    );
    assert_eq!(
        (status, refused["error"]["message"].as_str()),
        (400, Some("Attempting to book a meeting in the past."))
    );
}

#[test]
fn reschedule_makes_a_new_booking_and_cancel_keeps_its_rules() {
    let cal = cal();
    let (url, got) = receiver();
    call(
        &cal,
        "POST",
        "/v2/webhooks",
        None,
        Some(
            json!({"subscriberUrl": url, "active": true, "triggers": ["BOOKING_RESCHEDULED", "BOOKING_CANCELLED"], "secret": SECRET}),
        ),
    );
    let (_, created, _) = call(
        &cal,
        "POST",
        "/v2/bookings",
        Some("2024-08-13"),
        Some(booking(&cal, tomorrow_at(13))),
    );
    let uid = created["data"]["uid"].as_str().unwrap().to_owned();
    let (status, moved, _) = call(
        &cal,
        "POST",
        &format!("/v2/bookings/{uid}/reschedule"),
        Some("2024-08-13"),
        Some(json!({"start": tomorrow_at(14).to_rfc3339(), "reschedulingReason": "asked"})),
    );
    assert_eq!(status, 201, "{moved}");
    let new_uid = moved["data"]["uid"].as_str().unwrap().to_owned();
    assert_ne!(new_uid, uid);
    assert_eq!(moved["data"]["rescheduledFromUid"], uid.as_str());
    let (_, old, _) = call(
        &cal,
        "GET",
        &format!("/v2/bookings/{uid}"),
        Some("2024-08-13"),
        None,
    );
    assert_eq!(old["data"]["status"], "cancelled");
    assert_eq!(old["data"]["rescheduledToUid"], new_uid.as_str());
    let hook: Value = serde_json::from_str(&got.lock().unwrap()[0].2).unwrap();
    assert_eq!(hook["triggerEvent"], "BOOKING_RESCHEDULED");
    assert_eq!(hook["payload"]["uid"], new_uid.as_str());
    assert_eq!(hook["payload"]["rescheduleUid"], uid.as_str());
    // Moving the old one again says where it went; an unknown uid is Cal.com's 500.
    let (status, again, _) = call(
        &cal,
        "POST",
        &format!("/v2/bookings/{uid}/reschedule"),
        Some("2024-08-13"),
        Some(json!({"start": tomorrow_at(15).to_rfc3339()})),
    );
    assert_eq!(status, 400);
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&new_uid)
    );
    let (status, unknown, _) = call(
        &cal,
        "POST",
        "/v2/bookings/nope/reschedule",
        Some("2024-08-13"),
        Some(json!({"start": tomorrow_at(15).to_rfc3339()})),
    );
    assert_eq!(
        (status, unknown),
        (
            500,
            json!({"statusCode": 500, "message": "Internal server error"})
        )
    );
    // The host's key must give a reason; then cancelling twice is refused.
    let path = format!("/v2/bookings/{new_uid}/cancel");
    let (status, no_reason, _) = call(&cal, "POST", &path, Some("2024-08-13"), Some(json!({})));
    assert_eq!(
        (status, no_reason["message"].as_str()),
        (
            400,
            Some("Cancellation reason is required when you are the host")
        )
    );
    let (status, done, _) = call(
        &cal,
        "POST",
        &path,
        Some("2024-08-13"),
        Some(json!({"cancellationReason": "customer asked"})),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["data"]["status"], "cancelled");
    let hooks = got.lock().unwrap().clone();
    let cancelled: Value = serde_json::from_str(&hooks[1].2).unwrap();
    assert_eq!(cancelled["payload"]["status"], "CANCELLED");
    assert!(cancelled["payload"].get("metadata").is_none());
    let (status, twice, _) = call(
        &cal,
        "POST",
        &path,
        Some("2024-08-13"),
        Some(json!({"cancellationReason": "again"})),
    );
    assert_eq!(status, 400);
    assert!(
        twice["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has been cancelled already")
    );
}

#[test]
fn keys_licence_and_rate_limit_answer_as_cal_com_does() {
    let cal = cal();
    cal.stand_in.set_rate_limit(5);
    let day = (Utc::now() + Duration::days(1)).date_naive();
    let path = format!("/v2/slots?eventTypeId={}&start={day}&end={day}", cal.event);
    let bad = ureq::get(&format!("{}{path}", cal.stand_in.url))
        .set("cal-api-version", "2024-09-04")
        .set("Authorization", "Bearer cal_unknown")
        .call();
    assert!(matches!(bad, Err(ureq::Error::Status(401, _))));
    cal.stand_in.fail_licence(true);
    let (status, body, _) = call(&cal, "GET", &path, Some("2024-09-04"), None);
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CALCOM_LICENSE_KEY")
    );
    cal.stand_in.fail_licence(false);
    // Five a minute for this key: the licence call above was the first.
    for _ in 0..4 {
        let (status, body, _) = call(&cal, "GET", &path, Some("2024-09-04"), None);
        assert_eq!(status, 200, "{body}");
    }
    let (status, body, headers) = call(&cal, "GET", &path, Some("2024-09-04"), None);
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "ThrottlerException");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("retry-after") && v.parse::<u64>().is_ok())
    );
}
