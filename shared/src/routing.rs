//! Which business a message is for.
//!
//! A dedicated number serves one tenant. On a shared number the customer picks one by
//! keyword (or the business name), by number from a list they were offered, or by having
//! picked one before; a customer with bookings at several of the number's tenants is
//! offered those. A stranger is only asked for the keyword: a number's tenants are never
//! listed to someone without a booking with them. The worker keeps the [`Choice`] and
//! asks the bridges about bookings; everything it decides, it decides here.

use serde::{Deserialize, Serialize};

use crate::catalog::TenantId;
use crate::nlu::{normalize, option_number};
use crate::wire::RouteTenant;

/// What a customer chose, or was offered, on a shared number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The tenant chosen; kept until another is chosen.
    pub tenant: Option<TenantId>,
    /// Tenants listed to the customer to pick from by number, in order.
    #[serde(default)]
    pub offered: Vec<TenantId>,
}

/// Where a message on a shared number goes, as far as the message and the customer's
/// earlier choice tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedRoute {
    /// To this tenant's conversation, with this text. `chosen` is set when the message made
    /// the choice (save it); `None` when an earlier choice stands.
    To {
        /// The tenant.
        tenant: TenantId,
        /// What the conversation is told the customer wrote.
        text: String,
        /// The choice to save, if this message made one.
        chosen: Option<Choice>,
    },
    /// Nothing says yet: ask which of the number's tenants the customer has bookings with,
    /// then call [`after_lookup`].
    LookUpBookings,
}

/// Routes a message on a shared number by keyword, by a number picked from the list the
/// customer was offered, or by their earlier choice.
pub fn shared_route(tenants: &[RouteTenant], text: &str, earlier: &Choice) -> SharedRoute {
    let chose = |tenant: TenantId, text: String| SharedRoute::To {
        chosen: Some(Choice {
            tenant: Some(tenant.clone()),
            offered: Vec::new(),
        }),
        tenant,
        text,
    };
    // A keyword also carries the customer's first words to the business.
    if let Some(t) = by_keyword(tenants, text) {
        return chose(t.id.clone(), text.to_owned());
    }
    // A number only picked the business: open its menu.
    let picked = option_number(&normalize(text))
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| earlier.offered.get(i));
    if let Some(t) = picked {
        return chose(t.clone(), "menu".to_owned());
    }
    match earlier
        .tenant
        .as_ref()
        .filter(|t| tenants.iter().any(|r| &r.id == *t))
    {
        Some(t) => SharedRoute::To {
            tenant: t.clone(),
            text: text.to_owned(),
            chosen: None,
        },
        None => SharedRoute::LookUpBookings,
    }
}

/// What to do once the tenants the customer has bookings with are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterLookup {
    /// Just one: go there, and remember it.
    To(TenantId),
    /// None: ask for the keyword, naming no business.
    AskKeyword,
    /// Several: list these, and remember the list so a number picks one.
    Offer(Vec<RouteTenant>),
}

/// Decides after [`SharedRoute::LookUpBookings`].
pub fn after_lookup(booked: Vec<RouteTenant>) -> AfterLookup {
    match <[RouteTenant; 1]>::try_from(booked) {
        Ok([one]) => AfterLookup::To(one.id),
        Err(booked) if booked.is_empty() => AfterLookup::AskKeyword,
        Err(booked) => AfterLookup::Offer(booked),
    }
}

/// The tenant whose keyword or name the text is, starts with or ends with ("SALON",
/// "book salon", "Zen Clinic"). `None` when no tenant or several match: the customer is
/// asked for the keyword rather than guessed for.
pub fn by_keyword<'a>(tenants: &'a [RouteTenant], text: &str) -> Option<&'a RouteTenant> {
    let norm = normalize(text);
    let first = norm.split(' ').next().unwrap_or("");
    let matches = |t: &&RouteTenant| {
        std::iter::once(&t.name).chain(&t.keywords).any(|k| {
            let k = normalize(k);
            !k.is_empty()
                && (norm == k
                    || first == k
                    || norm.starts_with(&format!("{k} "))
                    || norm.ends_with(&format!(" {k}")))
        })
    };
    let mut found = tenants.iter().filter(matches);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Whether two keywords would be read as the same by [`by_keyword`] (case, accents and
/// punctuation aside): two tenants on one number must never share one.
pub fn same_keyword(a: &str, b: &str) -> bool {
    let (a, b) = (normalize(a), normalize(b));
    !a.is_empty() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(route: &SharedRoute) -> Option<(&str, &str, bool)> {
        match route {
            SharedRoute::To {
                tenant,
                text,
                chosen,
            } => Some((tenant.as_str(), text.as_str(), chosen.is_some())),
            SharedRoute::LookUpBookings => None,
        }
    }

    #[test]
    fn a_keyword_wins_then_a_listed_number_then_the_earlier_choice() {
        let t = tenants();
        let none = Choice::default();
        assert_eq!(
            ids(&shared_route(&t, "zen tomorrow at 3", &none)),
            Some(("zen", "zen tomorrow at 3", true))
        );
        assert_eq!(
            shared_route(&t, "hello", &none),
            SharedRoute::LookUpBookings
        );
        let offered = Choice {
            tenant: None,
            offered: vec!["zen".into(), "bella".into()],
        };
        assert_eq!(
            ids(&shared_route(&t, "2", &offered)),
            Some(("bella", "menu", true))
        );
        assert_eq!(shared_route(&t, "3", &offered), SharedRoute::LookUpBookings);
        let earlier = Choice {
            tenant: Some("zen".into()),
            offered: Vec::new(),
        };
        assert_eq!(
            ids(&shared_route(&t, "hello", &earlier)),
            Some(("zen", "hello", false))
        );
        // A keyword moves the customer to another business.
        assert_eq!(
            ids(&shared_route(&t, "salon", &earlier)),
            Some(("bella", "salon", true))
        );
        // A choice of a tenant that has since left the number no longer counts.
        let gone = Choice {
            tenant: Some("old".into()),
            offered: Vec::new(),
        };
        assert_eq!(
            shared_route(&t, "hello", &gone),
            SharedRoute::LookUpBookings
        );
    }

    #[test]
    fn strangers_are_asked_for_the_keyword_and_regulars_are_offered_their_businesses() {
        let t = tenants();
        assert_eq!(after_lookup(Vec::new()), AfterLookup::AskKeyword);
        assert_eq!(
            after_lookup(vec![t[1].clone()]),
            AfterLookup::To("zen".into())
        );
        assert_eq!(after_lookup(t.clone()), AfterLookup::Offer(t));
    }

    fn tenants() -> Vec<RouteTenant> {
        vec![
            RouteTenant {
                id: "bella".into(),
                name: "Salon Bella".into(),
                keywords: vec!["bella".into(), "salon".into()],
            },
            RouteTenant {
                id: "zen".into(),
                name: "Zen Clinic".into(),
                keywords: vec!["zen".into(), "clinic".into()],
            },
        ]
    }

    #[test]
    fn a_keyword_or_the_name_picks_the_tenant() {
        let t = tenants();
        let pick = |text: &str| by_keyword(&t, text).map(|t| t.id.as_str());
        assert_eq!(pick("SALON"), Some("bella"));
        assert_eq!(pick("book salon"), Some("bella"));
        assert_eq!(pick("Zen Clinic"), Some("zen"));
        assert_eq!(pick("zen, tomorrow at 3"), Some("zen"));
        assert_eq!(pick("hello"), None);
        assert_eq!(pick("salon or clinic"), None, "two matches are not guessed");
    }

    #[test]
    fn keywords_that_read_alike_are_the_same() {
        assert!(same_keyword("SALON", "salón"));
        assert!(same_keyword("zen!", "Zen"));
        assert!(!same_keyword("zen", "zena"));
        assert!(!same_keyword("", " "));
    }
}
