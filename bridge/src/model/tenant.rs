//! A business: who it is, how it books, which messages it sends and how.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{Policy, TenantId, TenantProfile};
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::zone::Zone;

use super::*;

/// How a tenant books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingPolicy {
    /// A slot must start at least this many minutes from now.
    pub min_notice_min: u32,
    /// Slots are offered up to this many days ahead.
    pub window_days: u32,
    /// Cancelling at least this many hours ahead refunds the whole deposit.
    pub cancellation_notice_hours: u32,
    /// Part of a deposit refunded for less notice (at most 5 tiers, each under the full
    /// notice, 1–99 %); with less notice than any tier asks, the deposit is kept.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial_refunds: Vec<slotline_shared::catalog::RefundTier>,
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
            partial_refunds: Vec::new(),
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
    /// The street address given to customers who ask where the business is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A map link sent with the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_url: Option<String>,
    /// Language-model calls allowed each month (the worker asks one only when the built-in
    /// parser is unsure and `LLM_API_URL` is set); 0 turns them off for this business.
    #[serde(default = "default_llm_calls")]
    pub llm_monthly_calls: u32,
    /// The business's logo (https), sent with the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Which lifecycle messages go out, and when.
    #[serde(default)]
    pub reminders: Reminders,
    /// How the bridge reaches customers through Twilio.
    #[serde(default)]
    pub messaging: Messaging,
    /// How deposits are taken (Stripe).
    #[serde(default)]
    pub payments: PaymentSettings,
    /// The legal details printed on receipts and credit notes; `None` prints the business
    /// name alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    /// How far the owner has got through the first-time setup; kept by
    /// `PUT …/onboarding`, never changed by replacing the business.
    #[serde(default)]
    pub onboarding: Onboarding,
    /// The business's own numbers being registered with WhatsApp through Twilio; kept by
    /// the senders routes, never changed by replacing the business.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub senders: Vec<SenderRegistration>,
    /// Message templates submitted to WhatsApp for approval; kept by the templates routes,
    /// never changed by replacing the business.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_requests: Vec<TemplateRequest>,
    /// WhatsApp Flows (the date-and-time picker inside WhatsApp); kept by the flows
    /// routes, never changed by replacing the business.
    #[serde(default, skip_serializing_if = "FlowSettings::is_unset")]
    pub flows: FlowSettings,
}

/// A business's WhatsApp Flow: where Meta keeps it and how it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSettings {
    /// Offer "Pick a time" as a Flow when a customer starts booking.
    #[serde(default)]
    pub enabled: bool,
    /// The Flow's id at Meta (WhatsApp Manager → Flows), once its JSON is published there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    /// The `whatsapp/flows` content template sent per language (`HX…`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub content: BTreeMap<Lang, String>,
}

impl FlowSettings {
    /// Never set up.
    pub fn is_unset(&self) -> bool {
        *self == FlowSettings::default()
    }
}

/// A lifecycle message made into a WhatsApp template and submitted for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRequest {
    /// The message.
    pub stage: Stage,
    /// Its language.
    pub lang: Lang,
    /// The template at Twilio (`HX…`); once approved it is the one sent for this stage and
    /// language (`reminders.templates`).
    pub content_sid: String,
    /// The body submitted, with `{{1}}`… for the booking's details.
    pub body: String,
    /// What each variable holds, in order (`business`, `service`, `provider`, `when`,
    /// `reference`): `fields[0]` is `{{1}}`.
    pub fields: Vec<String>,
    /// WhatsApp's review: `received`, `pending`, `approved`, `rejected`…
    pub status: String,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// When it was submitted.
    pub requested_at: DateTime<Utc>,
    /// When Twilio was last asked.
    pub checked_at: DateTime<Utc>,
}

/// A number of the business's own, registered with WhatsApp through Twilio's Senders API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderRegistration {
    /// The number.
    pub number: PhoneNumber,
    /// Twilio's sender (`XE…`).
    pub sid: String,
    /// Its last known status at Twilio (`CREATING`, `PENDING_VERIFICATION`, `VERIFYING`,
    /// `ONLINE`, `OFFLINE`…).
    pub status: String,
    /// Why it is offline, as Twilio says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offline_reasons: Vec<String>,
    /// When the owner asked for it.
    pub requested_at: DateTime<Utc>,
    /// When Twilio was last asked.
    pub checked_at: DateTime<Utc>,
}

/// A step of the first-time setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    /// Name, legal details, address, zone, languages, logo.
    Business,
    /// A shared number with a keyword, or the business's own.
    Whatsapp,
    /// The catalog.
    Services,
    /// Who works, what they do, when.
    Staff,
    /// Reminders, quiet hours, greeting.
    Messages,
    /// Deposits through Stripe.
    Payments,
    /// The chat opened from the owner's phone.
    TryIt,
}

/// The first-time setup as far as the owner has got: saved after each step, so it resumes
/// where it was left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Onboarding {
    /// What kind of business it is (it picks the starting services).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<super::BusinessKind>,
    /// The steps saved (or skipped), in the order of the wizard.
    pub done: Vec<OnboardingStep>,
    /// When the owner finished the setup; the dashboard then opens on its home page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
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
            // Money changed hands, or the customer is waiting to hear whether it did.
            Stage::Paid
            | Stage::PaymentExpired
            | Stage::PaidTooLate
            | Stage::Receipt
            | Stage::CreditNote
            | Stage::RefundFailed => true,
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

/// Enough for a small business's unusual messages; an operator raises it per tenant.
fn default_llm_calls() -> u32 {
    200
}

fn default_languages() -> Vec<Lang> {
    vec![Lang::En]
}

impl Validate for Tenant {
    fn problems(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        check_id_and_name(&mut e, self.id.as_str(), &self.name, 80);
        if self.languages.is_empty() {
            problem(&mut e, "languages", "at least one of en, es, pt, pt-BR");
        }
        if self
            .address
            .as_ref()
            .is_some_and(|a| a.trim().is_empty() || a.chars().count() > 200)
        {
            problem(&mut e, "address", "1 to 200 characters");
        }
        check_link(&mut e, "logo_url", self.logo_url.as_deref());
        if self.llm_monthly_calls > 100_000 {
            problem(&mut e, "llm_monthly_calls", "at most 100000");
        }
        check_link(&mut e, "maps_url", self.maps_url.as_deref());
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
        if p.partial_refunds.len() > 5
            || p.partial_refunds.iter().any(|t| {
                !(1..=99).contains(&t.percent) || t.min_hours >= p.cancellation_notice_hours
            })
        {
            problem(
                &mut e,
                "policy.partial_refunds",
                "at most 5 tiers, each 1 to 99 percent with less notice (min_hours) than cancellation_notice_hours",
            );
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
        if m.from
            .as_ref()
            .is_some_and(|from| !self.numbers.contains(from))
        {
            problem(
                &mut e,
                "messaging.from",
                "one of this business's own numbers",
            );
        }
        if m.rate_per_sec.is_some_and(|r| !(1..=1000).contains(&r)) {
            problem(&mut e, "messaging.rate_per_sec", "between 1 and 1000");
        }
        self.payments.check(&mut e);
        if let Some(b) = &self.billing {
            b.check(&mut e);
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
            partial_refunds: self.policy.partial_refunds.clone(),
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
            address: self.address.clone(),
            maps_url: self.maps_url.clone(),
            llm_monthly_calls: self.llm_monthly_calls,
            logo_url: self.logo_url.clone(),
            flow_content: if self.flows.enabled {
                self.flows.content.clone()
            } else {
                BTreeMap::new()
            },
        }
    }
}
