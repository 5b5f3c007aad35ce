//! Understanding what a customer wrote, without an LLM.
//!
//! Everything works on a normalised form of the text (lower case, accents and punctuation
//! removed), so "Mañana", "manana" and "MAÑANA!" read the same. The parser fills an
//! [`Interpretation`]; an LLM adapter may fill the same structure later, and the state
//! machine decides what to do with it either way.
//!
//! Dates are resolved against `today` in the tenant's time zone, which the caller supplies.
//!
//! # Layout
//!
//! - this module: what the parser fills ([`Interpretation`]) and the normal form;
//! - [`commands`](command): commands and option numbers; [`answer`]: yes or no to a
//!   question that commits something;
//! - [`when`](date): dates and times, read exactly or returned as the choices they could
//!   be ([`DateWish::OneOf`]), never guessed;
//! - [`names`](service): services and providers, driven by the business's catalog, which is
//!   prepared once (normalised, stemmed) and kept by fingerprint;
//! - `lexicon`: what the parser knows without a business telling it: filler words, everyday
//!   words for kinds of service, nicknames, stems and roots;
//! - [`language`](detect_lang): the language of a message; [`fuzzy`](similar): typos and
//!   option titles; [`again`]: "same as last time".

mod answer;
mod commands;
mod fuzzy;
mod language;
mod lexicon;
mod names;
mod when;

pub use answer::{Answer, GO_BACK, REFUSALS, answer, answer_to};
pub use commands::{command, option_number};
pub use fuzzy::{match_title, similar};
pub use language::detect_lang;
pub use names::{ServiceWish, provider, service};
pub use when::{date, time};

use chrono::{NaiveDate, NaiveTime};

use crate::catalog::{Catalog, ProviderId};
use crate::lang::Lang;

/// A command a customer can give at any point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Back to the main menu, dropping the current flow.
    Menu,
    /// What can I say?
    Help,
    /// Hand the conversation to a person.
    Human,
    /// Change language.
    Language,
    /// Opt out of all messages.
    Stop,
    /// Opt back in.
    Start,
    /// Start a booking.
    Book,
    /// List my bookings.
    MyBookings,
    /// Move a booking.
    Reschedule,
    /// Cancel a booking.
    Cancel,
    /// Where is the business?
    Location,
    /// Agreement.
    Yes,
    /// Refusal.
    No,
}

/// When in the day a customer wants to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DayPart {
    /// Before noon.
    Morning,
    /// Noon to 17:00.
    Afternoon,
    /// From 17:00.
    Evening,
}

impl DayPart {
    /// The part a local time falls in.
    pub fn of(t: NaiveTime) -> DayPart {
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
        let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default();
        if t < noon {
            DayPart::Morning
        } else if t < five {
            DayPart::Afternoon
        } else {
            DayPart::Evening
        }
    }
}

/// A time preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeWish {
    /// At this time.
    At(NaiveTime),
    /// At or after this time.
    After(NaiveTime),
    /// Before this time.
    Before(NaiveTime),
    /// Some time in this part of the day.
    Part(DayPart),
}

impl TimeWish {
    /// Whether a slot starting at `t` fits the wish (`At` only fits exactly).
    pub fn accepts(self, t: NaiveTime) -> bool {
        match self {
            TimeWish::At(at) => t == at,
            TimeWish::After(after) => t >= after,
            TimeWish::Before(before) => t < before,
            TimeWish::Part(part) => DayPart::of(t) == part,
        }
    }
}

/// A date the customer named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateWish {
    /// One date.
    On(NaiveDate),
    /// Several dates it could mean ("next Friday" on a Wednesday); ask back.
    OneOf(Vec<NaiveDate>),
    /// Some day in the seven days from this one ("next week", "in two weeks").
    Week(NaiveDate),
}

/// A provider the customer named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderWish {
    /// Whoever is free.
    Any,
    /// These providers match the name (more than one: ask which).
    Named(Vec<ProviderId>),
}

/// The customer asks for what they had before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Again {
    /// The same service with the same person ("same as last time", "the usual").
    Visit,
    /// Whatever they ask for, with the person they had ("with the same person").
    Person,
}

/// Everything the parser understood in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interpretation {
    /// A command, when the message is one.
    pub command: Option<Command>,
    /// A service named in the text.
    pub service: Option<ServiceWish>,
    /// A provider named in the text.
    pub provider: Option<ProviderWish>,
    /// A date named in the text.
    pub date: Option<DateWish>,
    /// A time named in the text.
    pub time: Option<TimeWish>,
    /// The language the text is written in, when it is clear.
    pub lang: Option<Lang>,
    /// The customer wants what they had last time.
    pub again: Option<Again>,
}

impl Interpretation {
    /// Whether the text named anything bookable (service, provider, date or time).
    pub fn names_booking_details(&self) -> bool {
        self.service.is_some()
            || self.provider.is_some()
            || self.date.is_some()
            || self.time.is_some()
            || self.again.is_some()
    }
}

/// Lower case, accents removed, punctuation other than `:` and `/` turned into spaces,
/// whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        let keep = c.is_alphanumeric() || c == ':' || c == '/';
        if keep {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'º' => 'o',
        'ª' => 'a',
        c => c,
    }
}

fn words(norm: &str) -> Vec<&str> {
    norm.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Whether `phrase` (normalised, one or more words) occurs in `norm` as whole words.
/// Called dozens of times per message, so it allocates nothing.
fn has_phrase(norm: &str, phrase: &str) -> bool {
    let bytes = norm.as_bytes();
    norm.match_indices(phrase).any(|(i, _)| {
        let end = i + phrase.len();
        (i == 0 || bytes[i - 1] == b' ') && (end == bytes.len() || bytes[end] == b' ')
    })
}

/// What the parser needs to know besides the text.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// Today in the business's time zone.
    pub today: NaiveDate,
    /// The business's services and providers.
    pub catalog: &'a Catalog,
    /// The customer writes dates month first ("3/4" is March 4), as in the US.
    pub month_first: bool,
}

/// Reads everything the message says.
pub fn interpret(text: &str, reading: &Reading<'_>) -> Interpretation {
    interpret_normalized(&normalize(text), reading)
}

/// [`interpret`] for text already passed through [`normalize`].
pub fn interpret_normalized(norm: &str, reading: &Reading<'_>) -> Interpretation {
    let index = names::index(reading.catalog);
    Interpretation {
        command: command(norm),
        service: names::service_in(norm, &index),
        provider: names::provider_in(norm, &index),
        date: date(norm, reading.today, reading.month_first),
        time: time(norm),
        lang: detect_lang(norm),
        again: again(norm),
    }
}

/// "Same as last time", "lo de siempre", "com a mesma pessoa".
pub fn again(norm: &str) -> Option<Again> {
    const VISIT: &[&str] = &[
        "same as last time",
        "same as before",
        "same again",
        "the usual",
        "my usual",
        "book again",
        "the same thing",
        "lo mismo que la ultima vez",
        "lo mismo de la ultima vez",
        "lo de siempre",
        "lo mismo de siempre",
        "lo mismo otra vez",
        "igual que la ultima vez",
        "repetir la cita",
        "o mesmo da ultima vez",
        "o mesmo que da ultima vez",
        "igual a ultima vez",
        "o de sempre",
        "o mesmo de sempre",
        "a mesma coisa",
        "marcar de novo",
        "agendar de novo",
        "repetir a marcacao",
    ];
    const PERSON: &[&str] = &[
        "same person",
        "same stylist",
        "same barber",
        "same therapist",
        "same one as last time",
        "misma persona",
        "mismo profesional",
        "mesma pessoa",
        "mesmo profissional",
        "mesma profissional",
    ];
    // Short forms only as the whole message: "o mesmo horário" is about a time.
    const WHOLE: &[&str] = &[
        "same",
        "the same",
        "same please",
        "lo mismo",
        "o mesmo",
        "igual",
    ];
    if WHOLE.contains(&norm) || VISIT.iter().any(|p| has_phrase(norm, p)) {
        Some(Again::Visit)
    } else if PERSON.iter().any(|p| has_phrase(norm, p)) {
        Some(Again::Person)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
