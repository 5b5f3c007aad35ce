//! What a business offers: services, providers and their working hours.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{Money, Provider, ProviderId, Service, ServiceId, ServiceText};
use slotline_shared::lang::Lang;

use super::*;

/// A service on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// Id (`a-z0-9-_`).
    pub id: ServiceId,
    /// Name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// Duration in minutes.
    pub duration_min: u32,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Deposit in minor units, if any.
    #[serde(default)]
    pub deposit_minor: Option<i64>,
    /// Deposit as a percentage of the price (1–100; 100 is prepayment in full), instead of
    /// a fixed `deposit_minor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_percent: Option<u32>,
    /// Minutes kept free before.
    #[serde(default)]
    pub buffer_before_min: u32,
    /// Minutes kept free after.
    #[serde(default)]
    pub buffer_after_min: u32,
    /// Picture for the catalog.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Other names customers use.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Name and description in other languages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Lang, ServiceText>,
    /// Offered to customers.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Validate for ServiceRecord {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        check_id_and_name(&mut e, self.id.as_str(), &self.name, 60);
        if self.description.chars().count() > 200 {
            problem(&mut e, "description", "at most 200 characters");
        }
        if !(5..=720).contains(&self.duration_min) {
            problem(&mut e, "duration_min", "between 5 and 720");
        }
        if self.price_minor < 0 {
            problem(&mut e, "price_minor", "zero or more");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problem(&mut e, "currency", "an ISO 4217 code such as EUR");
        }
        if let Some(d) = self.deposit_minor
            && (d <= 0 || d > self.price_minor)
        {
            problem(
                &mut e,
                "deposit_minor",
                "more than zero and at most the price",
            );
        }
        if let Some(p) = self.deposit_percent {
            if !(1..=100).contains(&p) {
                problem(&mut e, "deposit_percent", "between 1 and 100");
            } else if self.deposit_minor.is_some() {
                problem(
                    &mut e,
                    "deposit_percent",
                    "either deposit_minor or deposit_percent, not both",
                );
            } else if self.price_minor == 0 {
                problem(&mut e, "deposit_percent", "a free service takes no deposit");
            }
        }
        if self.buffer_before_min > 240 {
            problem(&mut e, "buffer_before_min", "at most 240");
        }
        if self.buffer_after_min > 240 {
            problem(&mut e, "buffer_after_min", "at most 240");
        }
        if let Some(url) = &self.image_url
            && !url.starts_with("https://")
        {
            problem(&mut e, "image_url", "an https:// URL");
        }
        check_aliases(&mut e, &self.aliases, 20);
        for (lang, text) in &self.translations {
            let field = format!("translations.{}", lang.code());
            let name = text.name.trim();
            if name.is_empty() || name.chars().count() > 60 {
                problem(&mut e, &format!("{field}.name"), "1 to 60 characters");
            }
            if text.description.chars().count() > 200 {
                problem(
                    &mut e,
                    &format!("{field}.description"),
                    "at most 200 characters",
                );
            }
        }
        e
    }
}

impl ServiceRecord {
    /// The deposit due at booking, in minor units: the fixed amount, or the percentage of
    /// the price rounded to the nearest minor unit (at least one).
    pub fn deposit(&self) -> Option<i64> {
        match (self.deposit_minor, self.deposit_percent) {
            (Some(d), _) => Some(d),
            (None, Some(p)) if self.price_minor > 0 => {
                let share = (self.price_minor * i64::from(p) + 50) / 100;
                Some(share.clamp(1, self.price_minor))
            }
            _ => None,
        }
    }

    /// The service as customers see it.
    pub fn public(&self) -> Service {
        Service {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            duration_min: self.duration_min,
            price: Money::new(self.price_minor, &self.currency),
            deposit: self.deposit().map(|d| Money::new(d, &self.currency)),
            aliases: self.aliases.clone(),
            translations: self.translations.clone(),
            image_url: self.image_url.clone(),
        }
    }
}

/// Someone who performs services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRecord {
    /// Id (`a-z0-9-_`).
    pub id: ProviderId,
    /// Name.
    pub name: String,
    /// Average rating in tenths, maintained from customers' ratings.
    #[serde(default)]
    pub rating_tenths: Option<u8>,
    /// Nicknames and other names customers use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Services performed.
    #[serde(default)]
    pub services: Vec<ServiceId>,
    /// Share of "any available" bookings relative to others (1–100).
    #[serde(default = "one")]
    pub weight: u32,
    /// Most bookings in one day, if limited.
    #[serde(default)]
    pub max_per_day: Option<u32>,
    /// The provider's own time zone when it differs from the tenant's.
    #[serde(default)]
    pub zone: Option<Tz>,
    /// With Cal.com scheduling: the provider's Cal.com event type for each service
    /// (service id → event type id). Services without one use the built-in engine.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calcom_event_types: BTreeMap<ServiceId, u64>,
    /// Bookable.
    #[serde(default = "yes")]
    pub active: bool,
}

fn one() -> u32 {
    1
}

impl Validate for ProviderRecord {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        check_id_and_name(&mut e, self.id.as_str(), &self.name, 60);
        if self.id.as_str() == "any" {
            // The customer's "any available" option is `prov:any`.
            problem(&mut e, "id", "\"any\" is reserved for \"any available\"");
        }
        if !(1..=100).contains(&self.weight) {
            problem(&mut e, "weight", "between 1 and 100");
        }
        if self.max_per_day == Some(0) {
            problem(&mut e, "max_per_day", "at least 1, or leave it out");
        }
        if self.rating_tenths.is_some_and(|r| r > 50) {
            problem(&mut e, "rating_tenths", "between 0 and 50");
        }
        check_aliases(&mut e, &self.aliases, 10);
        e
    }
}

impl ProviderRecord {
    /// The provider as customers see them.
    pub fn public(&self) -> Provider {
        Provider {
            id: self.id.clone(),
            name: self.name.clone(),
            rating_tenths: self.rating_tenths,
            aliases: self.aliases.clone(),
            services: self.services.clone(),
        }
    }
}

/// Aliases: a few, each a short non-empty name.
fn check_aliases(e: &mut FieldErrors, aliases: &[String], most: usize) {
    if aliases.len() > most {
        problem(e, "aliases", &format!("at most {most}"));
    }
    if aliases
        .iter()
        .any(|a| a.trim().is_empty() || a.chars().count() > 40)
    {
        problem(e, "aliases", "each 1 to 40 characters");
    }
}

/// A stretch of working time within one day, `"09:00"`–`"13:00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// Start, local.
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    /// End, local; after `start`.
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

impl Interval {
    /// `"HH:MM"`–`"HH:MM"`, for tests and seeds.
    pub fn hm(start: (u32, u32), end: (u32, u32)) -> Interval {
        Interval {
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap_or_default(),
        }
    }
}

fn check_intervals(intervals: &[Interval]) -> Option<&'static str> {
    if intervals.iter().any(|i| i.end <= i.start) {
        return Some("each interval must end after it starts");
    }
    let mut sorted = intervals.to_vec();
    sorted.sort_by_key(|i| i.start);
    if sorted.windows(2).any(|w| w[1].start < w[0].end) {
        return Some("intervals must not overlap");
    }
    None
}

/// Weekly working hours: weekday (`mon`…`sun`) → intervals. Gaps are breaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weekly {
    /// Monday.
    pub mon: Vec<Interval>,
    /// Tuesday.
    pub tue: Vec<Interval>,
    /// Wednesday.
    pub wed: Vec<Interval>,
    /// Thursday.
    pub thu: Vec<Interval>,
    /// Friday.
    pub fri: Vec<Interval>,
    /// Saturday.
    pub sat: Vec<Interval>,
    /// Sunday.
    pub sun: Vec<Interval>,
}

impl Weekly {
    /// The intervals of a weekday.
    pub fn day(&self, weekday: chrono::Weekday) -> &[Interval] {
        use chrono::Weekday::*;
        match weekday {
            Mon => &self.mon,
            Tue => &self.tue,
            Wed => &self.wed,
            Thu => &self.thu,
            Fri => &self.fri,
            Sat => &self.sat,
            Sun => &self.sun,
        }
    }
}

impl Validate for Weekly {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        for (name, day) in [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ] {
            if let Some(msg) = check_intervals(day) {
                problem(&mut e, name, msg);
            }
        }
        e
    }
}

/// Hours for one date replacing the weekly ones: extra hours, or none (day off, holiday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOverride {
    /// The local date.
    pub date: NaiveDate,
    /// Working intervals that day; empty means not working.
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// Why ("holiday", "training").
    #[serde(default)]
    pub note: Option<String>,
}

impl Validate for DateOverride {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        if let Some(msg) = check_intervals(&self.intervals) {
            problem(&mut e, "intervals", msg);
        }
        e
    }
}
