//! The id of every option the customer can tap or pick, as one type.
//!
//! Options travel as text: in the buttons and lists WhatsApp shows (the tap comes back as
//! Twilio's `ButtonPayload`), in the lifecycle messages the bridge sends, and in saved
//! replies. [`OptionId`] is the only place that text is written ([`fmt::Display`]) and read
//! ([`str::FromStr`]); everything else matches on the enum. The text forms are stable: a
//! customer may tap a button sent weeks ago.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::catalog::{ProviderId, ServiceId};
use crate::lang::Lang;
use crate::nlu::DayPart;

/// What a reminder's button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderAction {
    /// "I'll be there."
    Confirm,
    /// "Find me another time."
    Reschedule,
    /// "Cancel it."
    Cancel,
}

impl ReminderAction {
    /// Every action, in the order the buttons show them.
    pub const ALL: [ReminderAction; 3] = [
        ReminderAction::Confirm,
        ReminderAction::Reschedule,
        ReminderAction::Cancel,
    ];

    /// The action's word in an option id.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderAction::Confirm => "confirm",
            ReminderAction::Reschedule => "reschedule",
            ReminderAction::Cancel => "cancel",
        }
    }
}

/// What to do with a booking picked from the customer's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingAct {
    /// Move it.
    Reschedule,
    /// Cancel it.
    Cancel,
}

/// One option the conversation offers, or a lifecycle message's button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionId {
    /// Back to the main menu (`menu`).
    Menu,
    /// Start a booking (`book`).
    Book,
    /// List my bookings (`mybookings`).
    MyBookings,
    /// Talk to a person (`human`).
    Human,
    /// Start the booking over (`restart`).
    Restart,
    /// Continue where I left off (`resume`).
    Resume,
    /// A service (`svc:<id>`).
    Service(ServiceId),
    /// A provider (`prov:<id>`).
    Provider(ProviderId),
    /// Whoever is available (`prov:any`).
    AnyProvider,
    /// One of several dates a phrase could mean (`date:2026-11-24`).
    Date(NaiveDate),
    /// A day with free times (`day:2026-11-24`).
    Day(NaiveDate),
    /// The following week (`week:next`).
    NextWeek,
    /// The previous week (`week:prev`).
    PrevWeek,
    /// A part of the day (`part:morning`).
    Part(DayPart),
    /// Later times (`more`).
    MoreTimes,
    /// A free time, by its start in Unix seconds (`slot:1764000000`).
    Slot(i64),
    /// Commit what the screen asks about: book, move, cancel (`yes`).
    Confirm,
    /// Do not: keep things as they were (`no`).
    Decline,
    /// Go back and choose another time (`change`).
    Change,
    /// One of the customer's bookings, by reference (`bk:<reference>`).
    Booking(String),
    /// What to do with the booking on screen (`act:reschedule`, `act:cancel`).
    Act(BookingAct),
    /// A language (`lang:es`).
    Lang(Lang),
    /// A reminder's button about a booking (`rem:<action>:<reference>`).
    Reminder {
        /// What the customer asks for.
        action: ReminderAction,
        /// The booking the reminder was about.
        reference: String,
    },
    /// Stars for a visit (`rate:<reference>:<n>`, or `rate:<n>` from a template that
    /// cannot carry the reference).
    Rate {
        /// The visit rated, when the button knew it.
        reference: Option<String>,
        /// 1 to 5.
        stars: u8,
    },
}

impl OptionId {
    /// Whether the option means the same whatever the conversation is doing, so a tap on an
    /// old message (or on a lifecycle message the bridge sent) still works.
    pub fn is_global(&self) -> bool {
        matches!(
            self,
            OptionId::Menu
                | OptionId::Book
                | OptionId::MyBookings
                | OptionId::Human
                | OptionId::Restart
                | OptionId::Reminder { .. }
                | OptionId::Rate { .. }
        )
    }
}

impl fmt::Display for OptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionId::Menu => f.write_str("menu"),
            OptionId::Book => f.write_str("book"),
            OptionId::MyBookings => f.write_str("mybookings"),
            OptionId::Human => f.write_str("human"),
            OptionId::Restart => f.write_str("restart"),
            OptionId::Resume => f.write_str("resume"),
            OptionId::Service(id) => write!(f, "svc:{id}"),
            OptionId::Provider(id) => write!(f, "prov:{id}"),
            OptionId::AnyProvider => f.write_str("prov:any"),
            OptionId::Date(d) => write!(f, "date:{d}"),
            OptionId::Day(d) => write!(f, "day:{d}"),
            OptionId::NextWeek => f.write_str("week:next"),
            OptionId::PrevWeek => f.write_str("week:prev"),
            OptionId::Part(part) => write!(f, "part:{}", part_word(*part)),
            OptionId::MoreTimes => f.write_str("more"),
            OptionId::Slot(secs) => write!(f, "slot:{secs}"),
            OptionId::Confirm => f.write_str("yes"),
            OptionId::Decline => f.write_str("no"),
            OptionId::Change => f.write_str("change"),
            OptionId::Booking(reference) => write!(f, "bk:{reference}"),
            OptionId::Act(BookingAct::Reschedule) => f.write_str("act:reschedule"),
            OptionId::Act(BookingAct::Cancel) => f.write_str("act:cancel"),
            OptionId::Lang(lang) => write!(f, "lang:{}", lang.code()),
            OptionId::Reminder { action, reference } => {
                write!(f, "rem:{}:{reference}", action.as_str())
            }
            OptionId::Rate {
                reference: Some(reference),
                stars,
            } => write!(f, "rate:{reference}:{stars}"),
            OptionId::Rate {
                reference: None,
                stars,
            } => write!(f, "rate:{stars}"),
        }
    }
}

fn part_word(part: DayPart) -> &'static str {
    match part {
        DayPart::Morning => "morning",
        DayPart::Afternoon => "afternoon",
        DayPart::Evening => "evening",
    }
}

/// Text that is no option id of ours (a forged or garbled tap).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not an option id")]
pub struct UnknownOption(pub String);

impl FromStr for OptionId {
    type Err = UnknownOption;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownOption(text.to_owned());
        let fixed = match text {
            "menu" => Some(OptionId::Menu),
            "book" => Some(OptionId::Book),
            "mybookings" => Some(OptionId::MyBookings),
            "human" => Some(OptionId::Human),
            "restart" => Some(OptionId::Restart),
            "resume" => Some(OptionId::Resume),
            "prov:any" => Some(OptionId::AnyProvider),
            "week:next" => Some(OptionId::NextWeek),
            "week:prev" => Some(OptionId::PrevWeek),
            "part:morning" => Some(OptionId::Part(DayPart::Morning)),
            "part:afternoon" => Some(OptionId::Part(DayPart::Afternoon)),
            "part:evening" => Some(OptionId::Part(DayPart::Evening)),
            "more" => Some(OptionId::MoreTimes),
            "yes" => Some(OptionId::Confirm),
            "no" => Some(OptionId::Decline),
            "change" => Some(OptionId::Change),
            "act:reschedule" => Some(OptionId::Act(BookingAct::Reschedule)),
            "act:cancel" => Some(OptionId::Act(BookingAct::Cancel)),
            _ => None,
        };
        if let Some(id) = fixed {
            return Ok(id);
        }
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        if let Some(id) = text.strip_prefix("svc:") {
            return nonempty(id)
                .map(|id| OptionId::Service(ServiceId(id)))
                .ok_or_else(unknown);
        }
        if let Some(id) = text.strip_prefix("prov:") {
            return nonempty(id)
                .map(|id| OptionId::Provider(ProviderId(id)))
                .ok_or_else(unknown);
        }
        if let Some(date) = text.strip_prefix("date:") {
            return date.parse().map(OptionId::Date).map_err(|_| unknown());
        }
        if let Some(date) = text.strip_prefix("day:") {
            return date.parse().map(OptionId::Day).map_err(|_| unknown());
        }
        if let Some(secs) = text.strip_prefix("slot:") {
            return secs.parse().map(OptionId::Slot).map_err(|_| unknown());
        }
        if let Some(reference) = text.strip_prefix("bk:") {
            return nonempty(reference)
                .map(OptionId::Booking)
                .ok_or_else(unknown);
        }
        if let Some(code) = text.strip_prefix("lang:") {
            return Lang::from_code(code)
                .map(OptionId::Lang)
                .ok_or_else(unknown);
        }
        if let Some(rest) = text.strip_prefix("rem:") {
            return ReminderAction::ALL
                .into_iter()
                .find_map(|action| {
                    let reference = rest.strip_prefix(action.as_str())?.strip_prefix(':')?;
                    Some(OptionId::Reminder {
                        action,
                        reference: nonempty(reference)?,
                    })
                })
                .ok_or_else(unknown);
        }
        if let Some(rest) = text.strip_prefix("rate:") {
            // The stars come last: a reference never ends in a colon and a digit.
            let (reference, stars) = match rest.rfind(':') {
                Some(at) => (Some(rest[..at].to_owned()), &rest[at + 1..]),
                None => (None, rest),
            };
            return match stars.parse::<u8>() {
                Ok(stars @ 1..=5) => Ok(OptionId::Rate { reference, stars }),
                _ => Err(unknown()),
            };
        }
        Err(unknown())
    }
}

impl Serialize for OptionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OptionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_forms_already_on_customers_phones_still_read() {
        for (text, id) in [
            ("svc:haircut", OptionId::Service("haircut".into())),
            ("prov:any", OptionId::AnyProvider),
            (
                "day:2026-11-24",
                OptionId::Day(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            ),
            ("slot:1764000000", OptionId::Slot(1_764_000_000)),
            ("yes", OptionId::Confirm),
            ("no", OptionId::Decline),
            (
                "rem:cancel:SL-7K3Q",
                OptionId::Reminder {
                    action: ReminderAction::Cancel,
                    reference: "SL-7K3Q".into(),
                },
            ),
            (
                "rate:SL-7K3Q:5",
                OptionId::Rate {
                    reference: Some("SL-7K3Q".into()),
                    stars: 5,
                },
            ),
            (
                "rate:4",
                OptionId::Rate {
                    reference: None,
                    stars: 4,
                },
            ),
            ("lang:pt", OptionId::Lang(Lang::Pt)),
        ] {
            assert_eq!(text.parse::<OptionId>(), Ok(id.clone()), "{text}");
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn garbled_or_forged_ids_are_refused() {
        for text in [
            "",
            "svc:",
            "bk:",
            "rem:confirm",
            "rem:confirm:",
            "rem:delete:SL-1",
            "rate:SL-1:9",
            "rate:0",
            "rate:",
            "slot:soon",
            "day:tomorrow",
            "lang:fr",
            "part:night",
            "cancel",
            "YES",
        ] {
            assert!(text.parse::<OptionId>().is_err(), "{text:?} was accepted");
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn word() -> impl Strategy<Value = String> {
        // Ids the bridge issues (a-z, 0-9, - and _) and references, colons included.
        "[A-Za-z0-9_:-]{0,11}[A-Za-z0-9_-]"
    }

    fn any_id() -> impl Strategy<Value = OptionId> {
        let day = (2000i32..2100, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
        prop_oneof![
            prop::sample::select(vec![
                OptionId::Menu,
                OptionId::Book,
                OptionId::MyBookings,
                OptionId::Human,
                OptionId::Restart,
                OptionId::Resume,
                OptionId::AnyProvider,
                OptionId::NextWeek,
                OptionId::PrevWeek,
                OptionId::Part(DayPart::Morning),
                OptionId::Part(DayPart::Afternoon),
                OptionId::Part(DayPart::Evening),
                OptionId::MoreTimes,
                OptionId::Confirm,
                OptionId::Decline,
                OptionId::Change,
                OptionId::Act(BookingAct::Reschedule),
                OptionId::Act(BookingAct::Cancel),
                OptionId::Lang(Lang::En),
                OptionId::Lang(Lang::Es),
                OptionId::Lang(Lang::Pt),
            ]),
            "[a-z0-9_-]{1,12}"
                .prop_filter("prov:any is its own option", |s| s != "any")
                .prop_map(|s| OptionId::Provider(ProviderId(s))),
            "[a-z0-9_:-]{1,12}".prop_map(|s| OptionId::Service(ServiceId(s))),
            day.clone().prop_map(OptionId::Date),
            day.prop_map(OptionId::Day),
            any::<i64>().prop_map(OptionId::Slot),
            word().prop_map(OptionId::Booking),
            (prop::sample::select(ReminderAction::ALL.to_vec()), word())
                .prop_map(|(action, reference)| OptionId::Reminder { action, reference }),
            (prop::option::of(word()), 1u8..=5)
                .prop_map(|(reference, stars)| OptionId::Rate { reference, stars }),
        ]
    }

    proptest! {
        #[test]
        fn every_option_id_reads_back_as_itself(id in any_id()) {
            let text = id.to_string();
            prop_assert!(text.len() <= crate::render::ID_MAX);
            prop_assert_eq!(text.parse::<OptionId>(), Ok(id.clone()));
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<OptionId>(&json).unwrap(), id);
        }

        #[test]
        fn reading_any_text_never_panics(text in "\\PC{0,30}") {
            let _ = text.parse::<OptionId>();
        }
    }
}
