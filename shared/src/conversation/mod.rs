//! The booking conversation as a pure state machine.
//!
//! [`step`] takes the saved [`Conversation`], one [`Event`] and a [`Ctx`] (the time, the
//! tenant, the catalog, the customer) and returns the next conversation and the
//! [`Effect`]s the shell must carry out: replies to send, requests to the bridge, flags to
//! set. Nothing here awaits, reads a clock or touches the network.
//!
//! When a step asks the bridge something ([`Effect::Ask`]), the shell performs the request
//! and feeds the answer back as [`Event::Bridge`]; the conversation meanwhile sits in
//! [`Stage::Waiting`], remembering the stage to fall back to if the bridge is unavailable.
//!
//! # Layout
//!
//! - this module: the state, events, effects and the dispatch in [`step`];
//! - [`flow`]: the booking, rescheduling and cancelling flows (stage by stage);
//! - [`prompt`]: what each stage says and which options it offers;
//! - [`OptionId`] (in [`crate::option_id`]): the id of every option, written and read in
//!   one place.

mod flow;
mod prompt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Money, ProviderId, ServiceId, TenantProfile};
use crate::lang::Lang;
use crate::nlu::{DayPart, TimeWish};
use crate::phone::PhoneNumber;
use crate::render::Reply;
use crate::twilio::inbound::Attachment;
use crate::wire::{Booking, BridgeAnswer, BridgeRequest, Hold, Slot};

pub use crate::option_id::{BookingAct, OptionId, ReminderAction, UnknownOption};
pub use prompt::prompt;

/// The version written with every saved conversation. Version 1 was the walking skeleton's
/// echo state; [`Conversation::restore`] migrates it.
pub const STATE_VERSION: u32 = 2;

/// After this long away, a customer in the middle of a booking is asked whether to continue.
pub const RESUME_AFTER: Duration = Duration::hours(1);

/// Everything a conversation needs to know besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The current time.
    pub now: DateTime<Utc>,
    /// The business.
    pub tenant: &'a TenantProfile,
    /// Its services and providers.
    pub catalog: &'a Catalog,
    /// The customer.
    pub customer: &'a PhoneNumber,
}

impl<'a> Ctx<'a> {
    /// Today in the tenant's time zone.
    pub fn today(&self) -> NaiveDate {
        self.tenant.zone.date(self.now)
    }

    /// What the parser needs to read this customer's messages to this business.
    pub fn reading(&self) -> crate::nlu::Reading<'a> {
        crate::nlu::Reading {
            today: self.today(),
            catalog: self.catalog,
            // North American numbers write dates month first.
            month_first: self.customer.as_e164().starts_with("+1"),
        }
    }
}

/// Who should perform the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderChoice {
    /// Whoever is free (the bridge picks fairly).
    Any,
    /// This provider.
    One(ProviderId),
}

impl ProviderChoice {
    /// The provider to ask the bridge for, `None` meaning any.
    pub fn id(&self) -> Option<&ProviderId> {
        match self {
            ProviderChoice::Any => None,
            ProviderChoice::One(id) => Some(id),
        }
    }
}

/// A booking being put together, as far as the customer has said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
    /// The provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderChoice>,
    /// The local day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// A time preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWish>,
    /// The first day of the week the customer asked about ("next week"), when no day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// The booking being moved, when rescheduling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescheduling: Option<Booking>,
}

/// Why the customer's bookings are being listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// To look at them.
    View,
    /// To pick one to move.
    Reschedule,
    /// To pick one to cancel.
    Cancel,
    /// To confirm coming to one (a reminder's "Confirm").
    Attend,
}

/// What a [`Stage::Waiting`] conversation expects from the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    /// Slots for the week `week` weeks from today.
    Week {
        /// Weeks ahead of the current one.
        week: u32,
    },
    /// Slots for `draft.date`.
    Day,
    /// A hold on a slot.
    Hold,
    /// A booking (or a reschedule) from the hold.
    Confirm,
    /// The customer wants to give back a time whose deposit was due: whether it was paid
    /// meanwhile (then it is a booking to cancel) or not (then the hold goes).
    GiveBack,
    /// The customer's bookings; `target` picks one by reference.
    Bookings {
        /// Why they are listed.
        purpose: Purpose,
        /// A reference to go to directly (a reminder's button).
        target: Option<String>,
        /// The customer's previous message: a booking reminded since then is the one a
        /// typed answer is about.
        #[serde(default)]
        since: Option<DateTime<Utc>>,
    },
    /// A rating being recorded.
    Rate,
    /// A cancellation.
    Cancel,
}

/// Where the conversation is. Each variant carries what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Nothing in progress; the main menu is on offer.
    Menu,
    /// Choosing a service.
    Service {
        /// The booking so far.
        draft: Draft,
        /// The services the customer's words matched equally ("massage" with two on
        /// offer): only these are offered. Empty offers them all.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        candidates: Vec<ServiceId>,
    },
    /// Choosing among these providers (all who perform the service, or the ones a name
    /// matched).
    Provider {
        /// The booking so far.
        draft: Draft,
        /// Providers on offer.
        candidates: Vec<ProviderId>,
        /// Whether "any available" is offered.
        any: bool,
    },
    /// Choosing which of these dates the customer meant.
    Date {
        /// The booking so far.
        draft: Draft,
        /// The dates it could be.
        choices: Vec<NaiveDate>,
    },
    /// Choosing a day with free times in week `week` (0 = from today).
    Day {
        /// The booking so far.
        draft: Draft,
        /// Weeks ahead.
        week: u32,
        /// Local days with free times.
        days: Vec<NaiveDate>,
    },
    /// Choosing a part of `draft.date` (it has too many free times for one list).
    Part {
        /// The booking so far.
        draft: Draft,
        /// All free slots that day.
        slots: Vec<Slot>,
    },
    /// Choosing a time among `slots`, filtered by `part`, starting at `offset`.
    Time {
        /// The booking so far.
        draft: Draft,
        /// Free slots on offer.
        slots: Vec<Slot>,
        /// The part of the day chosen, if any.
        part: Option<DayPart>,
        /// How many matching slots were skipped by "later times".
        offset: usize,
    },
    /// A slot is held; confirming turns it into a booking.
    Confirm {
        /// The booking so far.
        draft: Draft,
        /// The hold.
        hold: Hold,
    },
    /// A deposit is due: the slot is held until `hold.expires_at` while the customer pays;
    /// the payment, not a "yes", makes the booking.
    Paying {
        /// The booking so far.
        draft: Draft,
        /// The hold, stretched to the payment window.
        hold: Hold,
        /// The deposit.
        amount: Money,
        /// The payment page, once made.
        url: Option<String>,
    },
    /// Choosing one of the customer's bookings.
    Bookings {
        /// The bookings.
        bookings: Vec<Booking>,
        /// Why.
        purpose: Purpose,
    },
    /// Deciding what to do with a booking.
    BookingAction {
        /// The booking.
        booking: Booking,
    },
    /// Confirming a cancellation.
    CancelConfirm {
        /// The booking.
        booking: Booking,
    },
    /// Choosing a language, then back to `back`.
    Language {
        /// Where to return.
        back: Box<Stage>,
    },
    /// Back after a while: continue `previous` or start over?
    Resume {
        /// Where the customer was.
        previous: Box<Stage>,
    },
    /// Waiting for the bridge.
    Waiting {
        /// What is awaited.
        pending: Pending,
        /// The booking so far.
        draft: Draft,
        /// Where to fall back to if the bridge is unavailable.
        back: Box<Stage>,
    },
}

impl Stage {
    /// Whether a booking is half done here (worth offering to resume).
    fn is_mid_booking(&self) -> bool {
        matches!(
            self,
            Stage::Service { .. }
                | Stage::Provider { .. }
                | Stage::Date { .. }
                | Stage::Day { .. }
                | Stage::Part { .. }
                | Stage::Time { .. }
                | Stage::Confirm { .. }
                | Stage::Paying { .. }
        )
    }

    /// The draft of a booking stage.
    fn draft(&self) -> Option<&Draft> {
        match self {
            Stage::Service { draft, .. }
            | Stage::Provider { draft, .. }
            | Stage::Date { draft, .. }
            | Stage::Day { draft, .. }
            | Stage::Part { draft, .. }
            | Stage::Time { draft, .. }
            | Stage::Confirm { draft, .. }
            | Stage::Paying { draft, .. }
            | Stage::Waiting { draft, .. } => Some(draft),
            _ => None,
        }
    }
}

/// What a customer had last time, to book again ("the usual").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastVisit {
    /// The service.
    pub service: ServiceId,
    /// Who performed it.
    pub provider: ProviderId,
}

/// A conversation between one customer and one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Shape version; see [`STATE_VERSION`].
    pub v: u32,
    /// The customer's language, once known.
    pub lang: Option<Lang>,
    /// Where the conversation is.
    pub stage: Stage,
    /// When the customer last wrote.
    pub last_seen: Option<DateTime<Utc>>,
    /// The customer said STOP.
    pub opted_out: bool,
    /// The customer asked for a person; the bot stays quiet until MENU.
    pub handed_off: bool,
    /// Counts customer messages; part of every idempotency key.
    pub seq: u64,
    /// The customer's last booking made here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastVisit>,
}

impl Default for Conversation {
    fn default() -> Self {
        Self {
            v: STATE_VERSION,
            lang: None,
            stage: Stage::Menu,
            last_seen: None,
            opted_out: false,
            handed_off: false,
            seq: 0,
            last: None,
        }
    }
}

impl Conversation {
    /// Reads a saved conversation of any version. Older or unreadable shapes become a fresh
    /// conversation rather than an error: a customer must always get an answer.
    pub fn restore(saved: &serde_json::Value) -> Conversation {
        match saved.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(STATE_VERSION) => {
                serde_json::from_value(saved.clone()).unwrap_or_default()
            }
            // Version 1 (the echo skeleton) held no booking state worth keeping.
            _ => Conversation::default(),
        }
    }

    /// The language to write in.
    pub fn lang(&self, ctx: &Ctx<'_>) -> Lang {
        self.lang
            .unwrap_or_else(|| Lang::default_for(&ctx.tenant.languages, ctx.customer.as_e164()))
    }
}

/// Something that happened to a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The customer wrote this.
    Text(String),
    /// The customer tapped a button or list item.
    Choice {
        /// The option id.
        id: OptionId,
        /// The option title.
        title: String,
    },
    /// The bridge answered the last [`Effect::Ask`].
    Bridge(BridgeAnswer),
    /// A timer set by [`Effect::Timer`] fired.
    Timer,
    /// The customer sent something that is not text (a voice note, a picture).
    Attachment(Attachment),
    /// The customer wrote this, already read by the shell: the built-in reading, completed
    /// by the optional language model ([`crate::llm`]) where it was asked.
    Read {
        /// The text as written.
        text: String,
        /// What it says.
        reading: Box<crate::nlu::Interpretation>,
    },
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this to the customer.
    Reply(Reply),
    /// Ask the bridge and feed the answer back as [`Event::Bridge`].
    Ask(BridgeRequest),
    /// Tell the bridge and expect nothing back.
    Notify(BridgeRequest),
    /// Flag the conversation for the business's staff.
    Handoff,
    /// Record the customer's opt-out (`true`) or opt-in (`false`).
    OptOut(bool),
    /// Call back with [`Event::Timer`] at this time.
    Timer(DateTime<Utc>),
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The conversation to save.
    pub state: Conversation,
    /// What to do, in order.
    pub effects: Vec<Effect>,
}

/// Moves the conversation on by one event.
pub fn step(conv: Conversation, event: Event, ctx: &Ctx<'_>) -> Step {
    let mut turn = flow::Turn::new(conv, ctx);
    match event {
        Event::Bridge(answer) => turn.on_answer(answer),
        Event::Timer => turn.on_timer(),
        Event::Text(text) => turn.on_customer(flow::Input::new(&text, None, ctx)),
        Event::Choice { id, title } => turn.on_customer(flow::Input::new(&title, Some(id), ctx)),
        Event::Attachment(kind) => turn.on_customer(flow::Input::attachment(kind, ctx)),
        Event::Read { text, reading } => {
            turn.on_customer(flow::Input::read(&text, *reading));
        }
    }
    turn.finish()
}

/// Slots of `slots` that start on local day `day`.
fn slots_on(slots: &[Slot], day: NaiveDate, ctx: &Ctx<'_>) -> Vec<Slot> {
    slots
        .iter()
        .filter(|s| ctx.tenant.zone.date(s.start) == day)
        .cloned()
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod confirm_tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;
#[cfg(test)]
mod tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod understanding_tests;
