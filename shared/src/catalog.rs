//! What a business offers and how it works: tenant profile, services, providers, money.
//!
//! The bridge owns and edits these; the conversation reads them through its context. Ids are
//! opaque strings chosen by the bridge.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::zone::Zone;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// A business using Slotline.
    TenantId
);
id_type!(
    /// One service a business offers.
    ServiceId
);
id_type!(
    /// A person (or resource) who performs services.
    ProviderId
);

/// An amount of money in minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units.
    pub minor: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: &str) -> Self {
        Self {
            minor,
            currency: currency.to_owned(),
        }
    }
}

/// A service as customers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Id.
    pub id: ServiceId,
    /// Name shown to customers.
    pub name: String,
    /// A short description.
    pub description: String,
    /// Duration in minutes.
    pub duration_min: u32,
    /// Price.
    pub price: Money,
    /// Deposit taken at booking, if any.
    pub deposit: Option<Money>,
    /// Other names customers use for it ("corte de pelo" for "Haircut"), matched in free text.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The name and description in other languages, shown to customers who speak them and
    /// matched in free text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Lang, ServiceText>,
    /// A picture of it (https), sent when a customer chooses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// A service's name and description in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceText {
    /// Name.
    pub name: String,
    /// Short description; empty keeps the default one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Service {
    /// The name a customer writing `lang` reads.
    pub fn name_in(&self, lang: Lang) -> &str {
        self.translations
            .get(&lang)
            .map_or(self.name.as_str(), |t| t.name.as_str())
    }

    /// The description a customer writing `lang` reads.
    pub fn description_in(&self, lang: Lang) -> &str {
        match self.translations.get(&lang) {
            Some(t) if !t.description.is_empty() => &t.description,
            _ => &self.description,
        }
    }
}

/// A provider as customers see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// Id.
    pub id: ProviderId,
    /// Name shown to customers.
    pub name: String,
    /// Average rating in tenths (47 = 4.7), if rated.
    pub rating_tenths: Option<u8>,
    /// Services this provider performs.
    pub services: Vec<ServiceId>,
    /// Nicknames and other names customers use ("Bea" for "Beatriz"), matched in free text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// The active services and providers of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Active services, in display order.
    pub services: Vec<Service>,
    /// Providers, in display order.
    pub providers: Vec<Provider>,
}

impl Catalog {
    /// The service with this id.
    pub fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.services.iter().find(|s| &s.id == id)
    }

    /// The provider with this id.
    pub fn provider(&self, id: &ProviderId) -> Option<&Provider> {
        self.providers.iter().find(|p| &p.id == id)
    }

    /// Providers who perform `service`.
    pub fn providers_for<'a>(
        &'a self,
        service: &'a ServiceId,
    ) -> impl Iterator<Item = &'a Provider> {
        self.providers
            .iter()
            .filter(move |p| p.services.contains(service))
    }
}

/// Booking rules a tenant sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// A cancellation at least this many hours ahead refunds the whole deposit.
    pub cancellation_notice_hours: u32,
    /// A conversation idle this many days starts fresh.
    pub idle_reset_days: u32,
    /// Part of the deposit refunded for less notice than the whole needs (say 50 % from
    /// 12 h); with none, or less notice than any asks, the deposit is kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partial_refunds: Vec<RefundTier>,
}

/// A share of the deposit refunded for cancelling at least `min_hours` ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundTier {
    /// The notice this tier needs, in hours.
    pub min_hours: u32,
    /// The share refunded, in percent.
    pub percent: u32,
}

impl Policy {
    /// The share of the deposit (0–100 %) that cancelling at `now` a visit starting at
    /// `start` gives back: all of it with the full notice, a tier's share with that tier's
    /// notice (the best one met), none otherwise. The one place this is decided, for what
    /// the customer is told and for what the bridge refunds.
    pub fn refund_percent(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> u32 {
        let notice = start - now;
        let met = |hours: u32| notice >= chrono::Duration::hours(i64::from(hours));
        if met(self.cancellation_notice_hours) {
            return 100;
        }
        self.partial_refunds
            .iter()
            .filter(|t| met(t.min_hours))
            .map(|t| t.percent.min(100))
            .max()
            .unwrap_or(0)
    }

    /// What cancelling at `now` refunds of `deposit` (rounded down to the minor unit).
    pub fn refund_of(
        &self,
        deposit: &Money,
        start: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Money {
        let percent = i64::from(self.refund_percent(start, now));
        Money::new(deposit.minor * percent / 100, &deposit.currency)
    }

    /// Whether cancelling at `now` gives any of the deposit back.
    pub fn refunds_deposit(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.refund_percent(start, now) > 0
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            cancellation_notice_hours: 24,
            idle_reset_days: 7,
            partial_refunds: Vec::new(),
        }
    }
}

/// The tenant as the conversation needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantProfile {
    /// Id.
    pub id: TenantId,
    /// Business name, used in greetings.
    pub name: String,
    /// The business's time zone; customers see local times in it.
    pub zone: Zone,
    /// Languages offered, the first being the default. Never empty.
    pub languages: Vec<Lang>,
    /// A custom greeting replacing the default first line, if set.
    pub greeting: Option<String>,
    /// Whether messages may carry emoji.
    pub emoji: bool,
    /// Booking rules.
    pub policy: Policy,
    /// Send options as WhatsApp buttons and lists (through Twilio's REST API) rather than as
    /// numbered text.
    #[serde(default)]
    pub interactive: bool,
    /// The street address customers are given when they ask where the business is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A map link sent with the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_url: Option<String>,
    /// Language-model calls allowed each month when the built-in parser is unsure (0: none).
    #[serde(default)]
    pub llm_monthly_calls: u32,
    /// The business's logo (https), sent with the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The booking Flow's content template (`HX…`) per language, for businesses that offer
    /// "Pick a time" as a WhatsApp Flow; empty when Flows are off.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flow_content: BTreeMap<Lang, String>,
}

impl TenantProfile {
    /// The language used before a customer's own is known.
    pub fn default_lang(&self) -> Lang {
        Lang::default_of(&self.languages)
    }
}
