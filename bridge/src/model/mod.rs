//! The bridge's records: what the admin API edits and the store keeps.
//!
//! Each record validates itself ([`Validate`]) so bad input is refused at the door with a
//! message per field; nothing later re-checks.
//!
//! - [`account`]: dashboard users, their roles and sessions;
//! - [`tenant`]: the business, its booking policy, reminders and messaging;
//! - [`catalog`]: services, providers, weekly hours and date overrides;
//! - [`booking`]: reservations, their history, customers and deliveries;
//! - [`payment`]: deposits taken through Stripe, and a tenant's settings for them;
//! - [`document`]: the receipts and credit notes issued for them;
//! - [`templates`]: the services a new business of each kind starts from.

mod account;
mod booking;
mod catalog;
mod document;
mod payment;
mod templates;
mod tenant;

pub use account::*;
pub use booking::*;
pub use catalog::*;
pub use document::*;
pub use payment::*;
pub use templates::*;
pub use tenant::*;

use std::collections::BTreeMap;

/// Field-level problems with a record: field name → what is wrong.
pub type FieldErrors = BTreeMap<String, String>;

/// Records that can check themselves.
pub trait Validate {
    /// The problems with this record; empty when it is valid.
    fn problems(&self) -> FieldErrors;
}

fn problem(errors: &mut FieldErrors, field: &str, message: &str) {
    errors.insert(field.to_owned(), message.to_owned());
}

/// An optional link customers are sent (a logo, a map): https, at most 500 characters.
fn check_link(errors: &mut FieldErrors, field: &str, url: Option<&str>) {
    if url.is_some_and(|u| !u.starts_with("https://") || u.len() > 500) {
        problem(errors, field, "an https:// link of at most 500 characters");
    }
}

/// The checks every record with an id and a name shares.
fn check_id_and_name(errors: &mut FieldErrors, id: &str, name: &str, max_name: usize) {
    if !valid_id(id) {
        problem(errors, "id", "1 to 64 characters of a-z, 0-9, - and _");
    }
    if name.trim().is_empty() || name.chars().count() > max_name {
        problem(errors, "name", &format!("1 to {max_name} characters"));
    }
}

/// Whether `sid` looks like a Twilio content template id.
pub fn valid_content_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("HX") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `id` is a usable identifier: 1–64 of `a-z0-9-_`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        parse(&String::deserialize(d)?)
    }

    /// `"HH:MM"`, or an error saying what was expected.
    pub fn parse<E: serde::de::Error>(text: &str) -> Result<NaiveTime, E> {
        NaiveTime::parse_from_str(text, "%H:%M")
            .map_err(|_| E::custom(format!("{text:?} is not a time like 09:30")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> ServiceRecord {
        ServiceRecord {
            id: "haircut".into(),
            name: "Haircut".into(),
            description: String::new(),
            duration_min: 30,
            price_minor: 2000,
            currency: "EUR".into(),
            deposit_minor: None,
            deposit_percent: None,
            buffer_before_min: 0,
            buffer_after_min: 10,
            image_url: None,
            aliases: vec![],
            translations: Default::default(),
            active: true,
        }
    }

    #[test]
    fn a_sound_service_has_no_problems() {
        assert!(service().problems().is_empty());
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut s = service();
        s.id = "Hair Cut".into();
        s.duration_min = 0;
        s.currency = "euro".into();
        s.deposit_minor = Some(5000);
        let p = s.problems();
        for field in ["id", "duration_min", "currency", "deposit_minor"] {
            assert!(p.contains_key(field), "{field} missing from {p:?}");
        }
    }

    #[test]
    fn overlapping_or_reversed_intervals_are_refused() {
        let week = Weekly {
            mon: vec![
                Interval::hm((9, 0), (13, 0)),
                Interval::hm((12, 0), (18, 0)),
            ],
            tue: vec![Interval::hm((18, 0), (9, 0))],
            ..Weekly::default()
        };
        let p = week.problems();
        assert!(p.contains_key("mon") && p.contains_key("tue"), "{p:?}");
    }

    #[test]
    fn times_read_and_write_as_hh_mm() {
        let i: Interval = serde_json::from_str(r#"{"start":"09:30","end":"13:00"}"#).unwrap();
        assert_eq!(i, Interval::hm((9, 30), (13, 0)));
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            r#"{"start":"09:30","end":"13:00"}"#
        );
        assert!(serde_json::from_str::<Interval>(r#"{"start":"9.30","end":"13:00"}"#).is_err());
    }
}
