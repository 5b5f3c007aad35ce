//! The bridge's records: what the admin API edits and the store keeps.
//!
//! Each record validates itself ([`Validate`]) so bad input is refused at the door with a
//! message per field; nothing later re-checks.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{
    Money, Policy, Provider, ProviderId, Service, ServiceId, TenantId, TenantProfile,
};
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::zone::Zone;

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
fn valid_content_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("HX") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `id` is a usable identifier: 1–64 of `a-z0-9-_`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// How a tenant books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingPolicy {
    /// A slot must start at least this many minutes from now.
    pub min_notice_min: u32,
    /// Slots are offered up to this many days ahead.
    pub window_days: u32,
    /// Cancelling at least this many hours ahead refunds a deposit.
    pub cancellation_notice_hours: u32,
    /// How long a chosen slot is held before it must be confirmed.
    pub hold_ttl_min: u32,
    /// Start times are offered every this many minutes.
    pub slot_step_min: u32,
    /// A conversation idle this many days starts fresh.
    pub idle_reset_days: u32,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            min_notice_min: 60,
            window_days: 60,
            cancellation_notice_hours: 24,
            hold_ttl_min: 10,
            slot_step_min: 30,
            idle_reset_days: 7,
        }
    }
}

/// A business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Id, chosen at creation (`a-z0-9-_`).
    pub id: TenantId,
    /// Business name.
    pub name: String,
    /// IANA time zone.
    pub zone: Tz,
    /// Languages offered, default first.
    #[serde(default = "default_languages")]
    pub languages: Vec<Lang>,
    /// Dedicated WhatsApp numbers (E.164).
    #[serde(default)]
    pub numbers: Vec<PhoneNumber>,
    /// Keywords that select this tenant on a shared number.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Custom greeting.
    #[serde(default)]
    pub greeting: Option<String>,
    /// Whether messages may carry emoji.
    #[serde(default)]
    pub emoji: bool,
    /// Booking rules.
    #[serde(default)]
    pub policy: BookingPolicy,
    /// Send options as WhatsApp buttons and lists through Twilio's REST API (the worker
    /// falls back to numbered text when that fails).
    #[serde(default)]
    pub interactive: bool,
    /// Which lifecycle messages go out, and when.
    #[serde(default)]
    pub reminders: Reminders,
    /// How the bridge reaches customers through Twilio.
    #[serde(default)]
    pub messaging: Messaging,
}

/// A lifecycle message: what the outbox sends about a booking or a customer.
pub use slotline_shared::notice::Notice as Stage;

/// Hours in which no lifecycle message is sent; messages due then wait for the end.
/// `from` after `to` spans midnight (`21:00`–`09:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start, local.
    #[serde(with = "hhmm")]
    pub from: NaiveTime,
    /// End, local.
    #[serde(with = "hhmm")]
    pub to: NaiveTime,
}

/// A tenant's lifecycle messages: each stage on or off, their timing, quiet hours and the
/// approved WhatsApp templates used outside the 24-hour customer-service window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reminders {
    /// Confirm bookings made outside WhatsApp.
    pub confirmation: bool,
    /// Remind the day before.
    pub day_before: bool,
    /// Local time of the day-before reminder; `None` means the booking's own time of day.
    #[serde(with = "hhmm_opt", skip_serializing_if = "Option::is_none")]
    pub day_before_at: Option<NaiveTime>,
    /// Remind shortly before.
    pub shortly_before: bool,
    /// How long before the visit the short reminder goes.
    pub shortly_before_min: u32,
    /// Ask for a rating after the visit.
    pub follow_up: bool,
    /// How long after the visit ends the rating request goes.
    pub follow_up_after_min: u32,
    /// Offer to rebook when a booking is marked absent.
    pub no_show: bool,
    /// Invite customers back after a while.
    pub re_engage: bool,
    /// Days after the last visit the invitation goes.
    pub re_engage_after_days: u32,
    /// No messages in these local hours; `None` sends at any hour.
    pub quiet_hours: Option<QuietHours>,
    /// Approved templates: stage → language code → `ContentSid` (`HX…`).
    pub templates: BTreeMap<Stage, BTreeMap<Lang, String>>,
}

impl Default for Reminders {
    fn default() -> Self {
        Self {
            confirmation: true,
            day_before: true,
            day_before_at: None,
            shortly_before: true,
            shortly_before_min: 120,
            follow_up: true,
            follow_up_after_min: 120,
            no_show: true,
            re_engage: true,
            re_engage_after_days: 30,
            quiet_hours: Some(QuietHours {
                from: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
                to: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            }),
            templates: BTreeMap::new(),
        }
    }
}

impl Reminders {
    /// Whether `stage` is switched on.
    pub fn enabled(&self, stage: Stage) -> bool {
        match stage {
            Stage::Confirmation => self.confirmation,
            Stage::DayBefore => self.day_before,
            Stage::ShortlyBefore => self.shortly_before,
            Stage::FollowUp => self.follow_up,
            Stage::NoShow => self.no_show,
            Stage::ReEngage => self.re_engage,
            // The customer must hear of changes they did not make.
            Stage::Moved | Stage::CancelledByBusiness => true,
        }
    }
}

/// How the bridge sends a tenant's messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Messaging {
    /// The Twilio account (`AC…`) that sends for this tenant; its auth token comes from the
    /// bridge's `TWILIO_AUTH_TOKENS` (never stored here). `None` uses `TWILIO_ACCOUNT_SID`.
    pub account_sid: Option<String>,
    /// The WhatsApp sender; `None` uses the tenant's first number.
    pub from: Option<PhoneNumber>,
    /// Messages per second this sender may send (Twilio's default is 80).
    pub rate_per_sec: Option<u32>,
}

impl Tenant {
    /// The number lifecycle messages are sent from.
    pub fn sender(&self) -> Option<&PhoneNumber> {
        self.messaging.from.as_ref().or(self.numbers.first())
    }
}

mod hhmm_opt {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::hhmm::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| super::hhmm::parse(&text))
            .transpose()
    }
}

fn default_languages() -> Vec<Lang> {
    vec![Lang::En]
}

impl Validate for Tenant {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        check_id_and_name(&mut e, self.id.as_str(), &self.name, 80);
        if self.languages.is_empty() {
            problem(&mut e, "languages", "at least one of en, es, pt");
        }
        if self
            .keywords
            .iter()
            .any(|k| k.trim().is_empty() || k.len() > 40)
        {
            problem(&mut e, "keywords", "each keyword 1 to 40 characters");
        }
        let p = &self.policy;
        if p.window_days == 0 || p.window_days > 365 {
            problem(&mut e, "policy.window_days", "between 1 and 365");
        }
        if p.hold_ttl_min == 0 || p.hold_ttl_min > 24 * 60 {
            problem(&mut e, "policy.hold_ttl_min", "between 1 and 1440");
        }
        if !(5..=240).contains(&p.slot_step_min) {
            problem(&mut e, "policy.slot_step_min", "between 5 and 240");
        }
        if p.min_notice_min > 60 * 24 * 30 {
            problem(&mut e, "policy.min_notice_min", "at most 43200 (30 days)");
        }
        if p.idle_reset_days == 0 {
            problem(&mut e, "policy.idle_reset_days", "at least 1");
        }
        let r = &self.reminders;
        if !(5..=24 * 60).contains(&r.shortly_before_min) {
            problem(&mut e, "reminders.shortly_before_min", "between 5 and 1440");
        }
        if r.follow_up_after_min > 7 * 24 * 60 {
            problem(
                &mut e,
                "reminders.follow_up_after_min",
                "at most 10080 (7 days)",
            );
        }
        if !(1..=365).contains(&r.re_engage_after_days) {
            problem(
                &mut e,
                "reminders.re_engage_after_days",
                "between 1 and 365",
            );
        }
        if r.quiet_hours.is_some_and(|q| q.from == q.to) {
            problem(&mut e, "reminders.quiet_hours", "from and to must differ");
        }
        for (stage, by_lang) in &r.templates {
            if by_lang.values().any(|sid| !valid_content_sid(sid)) {
                problem(
                    &mut e,
                    &format!("reminders.templates.{}", stage.as_str()),
                    "each template is a Twilio ContentSid: HX and 32 hex digits",
                );
            }
        }
        let m = &self.messaging;
        if m.account_sid
            .as_deref()
            .is_some_and(|a| !(a.len() == 34 && a.starts_with("AC")))
        {
            problem(
                &mut e,
                "messaging.account_sid",
                "a Twilio AccountSid: AC and 32 characters",
            );
        }
        if m.rate_per_sec.is_some_and(|r| !(1..=1000).contains(&r)) {
            problem(&mut e, "messaging.rate_per_sec", "between 1 and 1000");
        }
        e
    }
}

impl Tenant {
    /// The rules the conversation (and the refund decision) follow.
    pub fn conversation_policy(&self) -> Policy {
        Policy {
            cancellation_notice_hours: self.policy.cancellation_notice_hours,
            idle_reset_days: self.policy.idle_reset_days,
        }
    }

    /// The tenant as the conversation sees it at `now`: its zone's offsets cover the booking
    /// window and a margin on both sides.
    pub fn profile(&self, now: DateTime<Utc>) -> TenantProfile {
        let margin = chrono::Duration::days(31);
        let until = now + chrono::Duration::days(i64::from(self.policy.window_days)) + margin;
        TenantProfile {
            id: self.id.clone(),
            name: self.name.clone(),
            zone: Zone::from_tz(self.zone, now - margin, until),
            languages: self.languages.clone(),
            greeting: self.greeting.clone(),
            emoji: self.emoji,
            policy: self.conversation_policy(),
            interactive: self.interactive,
        }
    }
}

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
        e
    }
}

impl ServiceRecord {
    /// The service as customers see it.
    pub fn public(&self) -> Service {
        Service {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            duration_min: self.duration_min,
            price: Money::new(self.price_minor, &self.currency),
            deposit: self.deposit_minor.map(|d| Money::new(d, &self.currency)),
            aliases: self.aliases.clone(),
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
            services: self.services.clone(),
        }
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

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Held until `expires_at`.
    Held,
    /// Booked.
    Confirmed,
    /// Cancelled.
    Cancelled,
    /// Moved to another reservation.
    Rescheduled,
    /// A hold given back or lapsed.
    Released,
    /// The customer did not come.
    NoShow,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Held => "held",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Rescheduled => "rescheduled",
            Status::Released => "released",
            Status::NoShow => "no_show",
        }
    }

    /// The status with this stored name.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Held,
            Status::Confirmed,
            Status::Cancelled,
            Status::Rescheduled,
            Status::Released,
            Status::NoShow,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A hold or a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Id.
    pub id: String,
    /// The booking reference once confirmed.
    pub reference: Option<String>,
    /// Tenant.
    pub tenant: TenantId,
    /// Provider.
    pub provider: ProviderId,
    /// Service.
    pub service: ServiceId,
    /// Customer.
    pub customer: PhoneNumber,
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// End, UTC.
    pub end: DateTime<Utc>,
    /// Start of the blocked time (with buffer before).
    pub block_start: DateTime<Utc>,
    /// End of the blocked time (with buffer after).
    pub block_end: DateTime<Utc>,
    /// Status.
    pub status: Status,
    /// When a hold lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Deposit due, if any.
    pub deposit: Option<Money>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Reservation {
    /// Whether it blocks its time at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            Status::Confirmed => true,
            Status::Held => self.expires_at.is_some_and(|e| e > now),
            _ => false,
        }
    }
}

/// One change in a reservation's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// New status. A move shows as `rescheduled`, with the old and new start; the booking
    /// itself stays confirmed.
    pub status: Status,
    /// A move's old start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// A move's new start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// A customer of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Phone number.
    pub phone: PhoneNumber,
    /// Name, when known.
    pub name: Option<String>,
    /// Language, when known.
    pub language: Option<Lang>,
    /// Opted out of messages.
    pub opted_out: bool,
    /// Bookings made.
    pub bookings: u32,
}

pub use slotline_shared::wire::TenantSnapshot;

/// A message's delivery, as Twilio's status callbacks report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Twilio's `MessageSid`.
    pub message_sid: String,
    /// The customer it went to.
    pub customer: PhoneNumber,
    /// The furthest status reported.
    pub status: slotline_shared::wire::DeliveryStatus,
    /// Twilio's error code, on failure.
    pub error_code: Option<u32>,
    /// When the status last moved.
    pub updated_at: DateTime<Utc>,
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
            buffer_before_min: 0,
            buffer_after_min: 10,
            image_url: None,
            aliases: vec![],
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
