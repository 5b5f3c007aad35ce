//! Lifecycle messages as the customer reads them: reminders, follow-ups, offers to rebook,
//! and news of a change the business made.
//!
//! When each is due is the bridge's business (its outbox plans them on the tenant's wall
//! clock); what each says, in every language, and which buttons it carries are decided
//! here, so the texts sit beside the conversation's own and the buttons' ids are ones the
//! conversation reads ([`OptionId`]).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::conversation::{OptionId, ReminderAction};
use crate::i18n;
use crate::lang::Lang;
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
}

impl Notice {
    /// Every stage.
    pub const ALL: [Notice; 8] = [
        Notice::Confirmation,
        Notice::DayBefore,
        Notice::ShortlyBefore,
        Notice::FollowUp,
        Notice::NoShow,
        Notice::ReEngage,
        Notice::Moved,
        Notice::CancelledByBusiness,
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
        }
    }

    /// The stage with this stored name.
    pub fn parse(text: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The message's text in `lang`, with `{business}`, `{service}`, `{provider}`, `{when}` and
/// `{reference}` to fill.
pub fn text(notice: Notice, lang: Lang) -> &'static str {
    use Lang::*;
    use Notice::*;
    match (notice, lang) {
        (Confirmation, En) => {
            "{business}: your {service} with {provider} is booked for {when}. Reference {reference}."
        }
        (Confirmation, Es) => {
            "{business}: tu {service} con {provider} está reservado para el {when}. Referencia {reference}."
        }
        (Confirmation, Pt) => {
            "{business}: o seu {service} com {provider} está marcado para {when}. Referência {reference}."
        }
        (DayBefore, En) => {
            "Reminder from {business}: {service} with {provider} tomorrow, {when}. Will you come?"
        }
        (DayBefore, Es) => {
            "Recordatorio de {business}: {service} con {provider} mañana, {when}. ¿Vienes?"
        }
        (DayBefore, Pt) => "Lembrete de {business}: {service} com {provider} amanhã, {when}. Vem?",
        (ShortlyBefore, En) => "See you soon at {business}: {service} with {provider}, {when}.",
        (ShortlyBefore, Es) => {
            "Te esperamos pronto en {business}: {service} con {provider}, {when}."
        }
        (ShortlyBefore, Pt) => "Até já em {business}: {service} com {provider}, {when}.",
        (FollowUp, En) => {
            "Thank you for visiting {business}! How was your {service} with {provider}? Rate it from 1 to 5 stars."
        }
        (FollowUp, Es) => {
            "¡Gracias por visitar {business}! ¿Qué tal tu {service} con {provider}? Puntúalo de 1 a 5 estrellas."
        }
        (FollowUp, Pt) => {
            "Obrigado pela visita a {business}! Como foi o seu {service} com {provider}? Avalie de 1 a 5 estrelas."
        }
        (NoShow, En) => {
            "We missed you at {business} for your {service} ({when}). Would you like another time?"
        }
        (NoShow, Es) => {
            "Te echamos de menos en {business} para tu {service} ({when}). ¿Quieres otra hora?"
        }
        (NoShow, Pt) => {
            "Sentimos a sua falta em {business} para o {service} ({when}). Quer outro horário?"
        }
        (ReEngage, En) => {
            "It has been a while since your last visit to {business}. Shall we book your next {service}?"
        }
        (ReEngage, Es) => {
            "Hace tiempo de tu última visita a {business}. ¿Reservamos tu próximo {service}?"
        }
        (ReEngage, Pt) => {
            "Já passou algum tempo desde a sua última visita a {business}. Marcamos o próximo {service}?"
        }
        (Moved, En) => {
            "{business} moved your {service} with {provider} to {when}. Reference {reference}."
        }
        (Moved, Es) => {
            "{business} ha cambiado tu {service} con {provider} al {when}. Referencia {reference}."
        }
        (Moved, Pt) => {
            "{business} mudou o seu {service} com {provider} para {when}. Referência {reference}."
        }
        (CancelledByBusiness, En) => {
            "{business} had to cancel your {service} ({when}). Sorry! Would you like another time?"
        }
        (CancelledByBusiness, Es) => {
            "{business} ha tenido que cancelar tu {service} ({when}). ¡Lo sentimos! ¿Quieres otra hora?"
        }
        (CancelledByBusiness, Pt) => {
            "{business} teve de cancelar o seu {service} ({when}). Lamentamos! Quer outro horário?"
        }
    }
}

fn button(key: &str, lang: Lang) -> &'static str {
    use Lang::*;
    match (key, lang) {
        ("confirm", En) => "Confirm",
        ("confirm", Es) => "Confirmar",
        ("confirm", Pt) => "Confirmar",
        ("reschedule", En) => "Reschedule",
        ("reschedule", Es) => "Cambiar hora",
        ("reschedule", Pt) => "Remarcar",
        ("cancel", En) => "Cancel",
        ("cancel", Es) => "Cancelar",
        ("cancel", Pt) => "Cancelar",
        ("book", En) => "Book",
        ("book", Es) => "Reservar",
        ("book", Pt) => "Marcar",
        ("stars", En) => "Rate",
        ("stars", Es) => "Puntuar",
        _ => "Avaliar",
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
        text(notice, lang),
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
                Opt::new(id, button(action.as_str(), lang))
            })
            .collect()
    };
    let options = match notice {
        Notice::Confirmation | Notice::Moved => {
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
        Notice::NoShow | Notice::ReEngage | Notice::CancelledByBusiness => {
            vec![Opt::new(OptionId::Book, button("book", lang))]
        }
    };
    Reply {
        text: body,
        options,
        list_button: button("stars", lang).to_owned(),
        media_url: None,
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
                assert!(!r.options.is_empty());
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
