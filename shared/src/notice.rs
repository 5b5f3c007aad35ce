//! Lifecycle messages as the customer reads them: reminders, follow-ups, offers to rebook,
//! and news of a change the business made.
//!
//! When each is due is the bridge's business (its outbox plans them on the tenant's wall
//! clock); what each says, in every language, and which buttons it carries are decided
//! here, so the texts sit beside the conversation's own and the buttons' ids are ones the
//! conversation reads ([`OptionId`]).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::i18n;
use crate::lang::Lang;
use crate::option_id::{OptionId, ReminderAction};
use crate::render::{Opt, Reply};

/// A lifecycle message: what the outbox sends about a booking or a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// Sent at once when a booking is made outside WhatsApp (admin, Cal.com).
    Confirmation,
    /// The day before the visit.
    DayBefore,
    /// Shortly before the visit.
    ShortlyBefore,
    /// After the visit, asking for a 1–5 rating.
    FollowUp,
    /// After a booking is marked absent, offering to rebook.
    NoShow,
    /// A while after the last visit, inviting the customer back.
    ReEngage,
    /// The business moved the booking (in Cal.com): the new time.
    Moved,
    /// The business cancelled the booking (in Cal.com): an offer to rebook.
    CancelledByBusiness,
    /// The deposit was paid: the booking is made.
    Paid,
    /// The deposit was not paid in time: the slot was released; an offer to book again.
    PaymentExpired,
    /// The deposit came after the slot had gone to someone else: it is refunded; an offer
    /// to book again.
    PaidTooLate,
    /// The receipt of a paid deposit, as a PDF beside the text.
    Receipt,
    /// The credit note of a refund, as a PDF beside the text.
    CreditNote,
    /// A refund Stripe had accepted failed: the business will sort it out.
    RefundFailed,
}

impl Notice {
    /// Every stage.
    pub const ALL: [Notice; 14] = [
        Notice::Confirmation,
        Notice::DayBefore,
        Notice::ShortlyBefore,
        Notice::FollowUp,
        Notice::NoShow,
        Notice::ReEngage,
        Notice::Moved,
        Notice::CancelledByBusiness,
        Notice::Paid,
        Notice::PaymentExpired,
        Notice::PaidTooLate,
        Notice::Receipt,
        Notice::CreditNote,
        Notice::RefundFailed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Confirmation => "confirmation",
            Notice::DayBefore => "day_before",
            Notice::ShortlyBefore => "shortly_before",
            Notice::FollowUp => "follow_up",
            Notice::NoShow => "no_show",
            Notice::ReEngage => "re_engage",
            Notice::Moved => "moved",
            Notice::CancelledByBusiness => "cancelled_by_business",
            Notice::Paid => "paid",
            Notice::PaymentExpired => "payment_expired",
            Notice::PaidTooLate => "paid_too_late",
            Notice::Receipt => "receipt",
            Notice::CreditNote => "credit_note",
            Notice::RefundFailed => "refund_failed",
        }
    }

    /// The stage with this stored name.
    pub fn parse(text: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What a message is about, for its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Business name.
    pub business: String,
    /// Service name.
    pub service: String,
    /// Provider name.
    pub provider: String,
    /// Start of the visit on the business's wall clock.
    pub local_start: NaiveDateTime,
    /// Booking reference.
    pub reference: String,
}

impl Facts {
    /// The visit's day and time, written for `lang`.
    pub fn when(&self, lang: Lang) -> String {
        i18n::when(lang, self.local_start.date(), self.local_start.time())
    }
}

/// The session message for `notice` (inside the 24-hour window): text with the buttons the
/// customer answers with.
pub fn render(notice: Notice, lang: Lang, facts: &Facts) -> Reply {
    let when = facts.when(lang);
    let body = i18n::fill(
        i18n::notice_text(notice, lang),
        &[
            ("business", &facts.business),
            ("service", &facts.service),
            ("provider", &facts.provider),
            ("when", &when),
            ("reference", &facts.reference),
        ],
    );
    let about = |actions: &[ReminderAction]| -> Vec<Opt> {
        actions
            .iter()
            .map(|&action| {
                let id = OptionId::Reminder {
                    action,
                    reference: facts.reference.clone(),
                };
                Opt::new(id, i18n::notice_button(action.as_str(), lang))
            })
            .collect()
    };
    let options = match notice {
        Notice::Confirmation | Notice::Moved | Notice::Paid => {
            about(&[ReminderAction::Reschedule, ReminderAction::Cancel])
        }
        Notice::DayBefore | Notice::ShortlyBefore => about(&ReminderAction::ALL),
        Notice::FollowUp => (1..=5u8)
            .rev()
            .map(|stars| {
                let id = OptionId::Rate {
                    reference: Some(facts.reference.clone()),
                    stars,
                };
                Opt::new(id, "★".repeat(usize::from(stars)))
            })
            .collect(),
        Notice::NoShow
        | Notice::ReEngage
        | Notice::CancelledByBusiness
        | Notice::PaymentExpired
        | Notice::PaidTooLate => {
            vec![Opt::new(OptionId::Book, i18n::notice_button("book", lang))]
        }
        // A file and a line about it: buttons would make it a template without the file.
        Notice::Receipt | Notice::CreditNote => Vec::new(),
        // Nothing for the customer to choose: the business is on it.
        Notice::RefundFailed => Vec::new(),
    };
    Reply {
        text: body,
        options,
        list_button: i18n::notice_button("stars", lang).to_owned(),
        media_url: None,
        flow: None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn facts() -> Facts {
        Facts {
            business: "Salon Bella".into(),
            service: "Haircut".into(),
            provider: "Maria".into(),
            local_start: NaiveDate::from_ymd_opt(2026, 12, 10)
                .unwrap()
                .and_hms_opt(11, 0, 0)
                .unwrap(),
            reference: "SL-7K3Q".into(),
        }
    }

    #[test]
    fn reminders_carry_the_booking_and_its_actions_in_every_language() {
        for lang in Lang::ALL {
            let r = render(Notice::DayBefore, lang, &facts());
            assert!(
                r.text.contains("Salon Bella") && r.text.contains("11"),
                "{}",
                r.text
            );
            let ids: Vec<_> = r.options.iter().map(|o| o.id.to_string()).collect();
            assert_eq!(
                ids,
                [
                    "rem:confirm:SL-7K3Q",
                    "rem:reschedule:SL-7K3Q",
                    "rem:cancel:SL-7K3Q"
                ]
            );
            assert!(crate::render::interactive(&r).is_some());
            let rate = render(Notice::FollowUp, lang, &facts());
            assert_eq!(rate.options.len(), 5);
            assert_eq!(rate.options[0].id.to_string(), "rate:SL-7K3Q:5");
        }
    }

    #[test]
    fn every_notice_names_the_business_in_every_language() {
        for notice in Notice::ALL {
            for lang in Lang::ALL {
                let r = render(notice, lang, &facts());
                assert!(
                    r.text.contains("Salon Bella"),
                    "{notice:?} {lang:?}: {}",
                    r.text
                );
                assert!(!r.text.contains('{'), "{notice:?} {lang:?}: {}", r.text);
                // A document travels as a file beside plain text, and a failed refund
                // leaves nothing to choose; everything else offers something to tap.
                let plain = matches!(
                    notice,
                    Notice::Receipt | Notice::CreditNote | Notice::RefundFailed
                );
                assert_eq!(r.options.is_empty(), plain, "{notice:?}");
            }
        }
    }

    #[test]
    fn stored_names_read_back() {
        for notice in Notice::ALL {
            assert_eq!(Notice::parse(notice.as_str()), Some(notice));
        }
        assert_eq!(Notice::parse("day-before"), None);
    }
}
