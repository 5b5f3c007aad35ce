//! Request bodies of the admin API, read strictly and explained fully.
//!
//! A body that is not JSON at all is a 400. A JSON body is then read into its record, and
//! every problem is collected before answering, so one 422 names each field that is
//! missing, of the wrong type, out of range or not a field at all (a misspelt
//! `buffer_after_minutes` must not be stored as "no buffer"). Serde stops at the first
//! problem, so reading goes round: each problem is noted and its field set aside (or, when
//! missing, stood in for) until the record reads or nothing more can be learnt.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::model::FieldErrors;

/// A JSON body read into `T`; see the module docs for how it is refused.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(bad_json)?;
        decode(value).map(Self)
    }
}

fn bad_json(rejection: JsonRejection) -> AppError {
    AppError::BadRequest(rejection.body_text())
}

/// Stand-ins tried, in order, for a missing field so reading can go on to the others.
const STAND_INS: &[&str] = &["0", "\"\"", "false", "[]", "{}", "\"UTC\"", "null"];

/// At most this many rounds: each removes a problem, so a body has at most this many.
const ROUNDS: usize = 64;

/// Reads `value` into `T`, or says everything that is wrong with it.
pub fn decode<T: DeserializeOwned>(mut value: Value) -> Result<T, AppError> {
    if !value.is_object() {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    }
    let mut problems = FieldErrors::new();
    // Missing fields being stood in for, and which stand-in is next.
    let mut standing_in: Vec<(String, usize)> = Vec::new();
    for _ in 0..ROUNDS {
        let mut unknown = Vec::new();
        let read: Result<T, _> = {
            // An optional record's fields show as `inner.?.field`: name them as written.
            let mut note =
                |path: serde_ignored::Path<'_>| unknown.push(path.to_string().replace(".?", ""));
            let ignored = serde_ignored::Deserializer::new(&value, &mut note);
            serde_path_to_error::deserialize(ignored)
        };
        for field in unknown {
            problems
                .entry(field)
                .or_insert_with(|| "not a field of this record".to_owned());
        }
        let error = match read {
            Ok(record) if problems.is_empty() => return Ok(record),
            Ok(_) => return Err(AppError::Invalid(problems)),
            Err(e) => e,
        };
        let at = segments(&error.path().to_string());
        let message = error.inner().to_string();
        if let Some(field) = missing_field(&message) {
            let mut path = at;
            path.push(field.to_owned());
            let name = path.join(".");
            problems
                .entry(name.clone())
                .or_insert_with(|| "required".to_owned());
            standing_in.push((name, 0));
            if !stand_in(&mut value, &path, 0) {
                break;
            }
            continue;
        }
        let name = at.join(".");
        // A stand-in that did not fit: try the next one.
        if let Some(slot) = standing_in.iter_mut().find(|(n, _)| *n == name) {
            slot.1 += 1;
            if !stand_in(&mut value, &at, slot.1) {
                break;
            }
            continue;
        }
        problems
            .entry(if name.is_empty() { "body".into() } else { name })
            .or_insert_with(|| explain(at.last().map(String::as_str), &message));
        // Set the field aside; if it is required, the next round stands in for it.
        if at.is_empty() || !remove(&mut value, &at) {
            break;
        }
    }
    if problems.is_empty() {
        problems.insert("body".into(), "could not be read".into());
    }
    Err(AppError::Invalid(problems))
}

/// `policy.window_days` → `["policy", "window_days"]`; `languages[1]` → `["languages"]`:
/// a bad item sets its whole list aside, since items cannot be removed without shifting.
fn segments(path: &str) -> Vec<String> {
    if path == "." {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, indexed) = match part.find('[') {
            Some(at) => (&part[..at], true),
            None => (part, false),
        };
        if !key.is_empty() {
            out.push(key.to_owned());
        }
        if indexed {
            break;
        }
    }
    out
}

/// The field serde's "missing field `x`" names.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .split('`')
        .next()
        .filter(|f| !f.is_empty())
}

/// The object that holds the field at `path`, if every step is an object.
fn parent<'v>(
    value: &'v mut Value,
    path: &[String],
) -> Option<(&'v mut Map<String, Value>, String)> {
    let (last, steps) = path.split_last()?;
    let mut at = value;
    for step in steps {
        at = at.as_object_mut()?.get_mut(step)?;
    }
    Some((at.as_object_mut()?, last.clone()))
}

fn remove(value: &mut Value, path: &[String]) -> bool {
    parent(value, path).is_some_and(|(map, key)| map.remove(&key).is_some())
}

fn stand_in(value: &mut Value, path: &[String], which: usize) -> bool {
    let Some(text) = STAND_INS.get(which) else {
        return false;
    };
    let Ok(stand_in) = serde_json::from_str(text) else {
        return false;
    };
    match parent(value, path) {
        Some((map, key)) => {
            map.insert(key, stand_in);
            true
        }
        None => false,
    }
}

/// Serde's message, said for people: "expected a whole number, got a string".
fn explain(field: Option<&str>, message: &str) -> String {
    if field.is_some_and(|f| f == "zone" || f.ends_with("_zone")) {
        return "an IANA time zone such as Europe/Madrid".into();
    }
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let (rest, typed) = match (
        message.strip_prefix("invalid type: "),
        message.strip_prefix("invalid value: "),
    ) {
        (Some(rest), _) => (rest, true),
        (None, Some(rest)) => (rest, false),
        (None, None) => return message.replace('`', ""),
    };
    let Some((got, expected)) = rest.split_once(", expected ") else {
        return message;
    };
    let expected = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" => "a whole number",
        "a boolean" | "bool" => "true or false",
        "a sequence" => "a list",
        e if e.starts_with("struct ") || e == "a map" => "an object",
        e => e,
    };
    // "string \"thirty\"" → "a string" for a wrong type; "integer -1" → "-1" for a value.
    let got = if typed {
        got.split(' ').next().unwrap_or(got).to_owned()
    } else {
        got.split_once(' ').map_or(got, |(_, v)| v).to_owned()
    };
    format!("expected {expected}, got {}", got.replace('`', ""))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        days: u32,
        #[serde(default)]
        note: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Record {
        id: String,
        minutes: u32,
        zone: chrono_tz::Tz,
        #[serde(default)]
        buffer_after_min: u32,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        inner: Option<Inner>,
    }

    fn problems(body: Value) -> FieldErrors {
        match decode::<Record>(body) {
            Err(AppError::Invalid(p)) => p,
            other => panic!("expected field problems, got {other:?}"),
        }
    }

    #[test]
    fn every_missing_mistyped_and_unknown_field_is_named_at_once() {
        let p = problems(json!({
            "minutes": "thirty",
            "zone": "Mars/Olympus",
            "buffer_after_minutes": 10,
            "tags": ["a", 3],
            "inner": {"days": -1, "nite": "x"}
        }));
        assert_eq!(p.get("id").map(String::as_str), Some("required"));
        assert_eq!(
            p.get("minutes").map(String::as_str),
            Some("expected a whole number, 0 or more, got string")
        );
        assert!(p["zone"].contains("IANA"));
        assert_eq!(p["buffer_after_minutes"], "not a field of this record");
        assert!(p.contains_key("tags"), "{p:?}");
        assert_eq!(
            p["inner.days"],
            "expected a whole number, 0 or more, got -1"
        );
        assert_eq!(p["inner.nite"], "not a field of this record");
    }

    #[test]
    fn a_good_body_reads_and_a_non_object_is_a_bad_request() {
        let ok = decode::<Record>(json!({"id": "x", "minutes": 30, "zone": "Europe/Lisbon"}));
        assert!(ok.is_ok(), "{ok:?}");
        assert!(matches!(
            decode::<Record>(json!([1, 2])),
            Err(AppError::BadRequest(_))
        ));
    }
}
