//! Acting on a picked option, and the screens that commit something, where only an
//! explicit yes commits.

use super::super::prompt;
use super::super::{
    BookingAct, Draft, OptionId, Pending, ProviderChoice, Purpose, ReminderAction, Stage,
};
use super::{Input, Turn};
use crate::i18n::Key;
use crate::nlu::{self, Answer, Command, TimeWish};
use crate::render::ITEMS_MAX;
use crate::wire::{Booking, BridgeRequest};

impl Turn<'_> {
    /// Acts on an option of the current stage (see [`prompt::options`]) or a global one.
    pub(super) fn on_option(&mut self, id: OptionId) {
        let stage = self.conv.stage.clone();
        match (id, stage) {
            (OptionId::Menu, _) => {
                self.release_hold();
                self.main_menu(None);
            }
            (OptionId::Book | OptionId::Restart, _) => {
                self.release_hold();
                self.advance(Draft::default(), None);
            }
            (OptionId::MyBookings, _) => {
                self.release_hold();
                self.list_bookings(Purpose::View, None);
            }
            (OptionId::Reminder { action, reference }, _) => {
                let purpose = match action {
                    ReminderAction::Confirm => Purpose::Attend,
                    ReminderAction::Reschedule => Purpose::Reschedule,
                    ReminderAction::Cancel => Purpose::Cancel,
                };
                self.release_hold();
                self.list_bookings(purpose, Some(reference));
            }
            (OptionId::Rate { reference, stars }, _) => self.rate(reference, stars),
            (OptionId::Human, _) => {
                self.on_command(Command::Human, false);
            }
            (OptionId::Service(service), stage) => {
                let mut draft = stage.draft().cloned().unwrap_or_default();
                draft.service = Some(service);
                self.advance(draft, None);
            }
            (OptionId::Provider(provider), stage) => {
                let mut draft = stage.draft().cloned().unwrap_or_default();
                draft.provider = Some(ProviderChoice::One(provider));
                self.advance(draft, None);
            }
            (OptionId::AnyProvider, stage) => {
                let mut draft = stage.draft().cloned().unwrap_or_default();
                draft.provider = Some(ProviderChoice::Any);
                self.advance(draft, None);
            }
            (OptionId::Date(date) | OptionId::Day(date), stage) => {
                let mut draft = stage.draft().cloned().unwrap_or_default();
                draft.date = Some(date);
                self.advance(draft, None);
            }
            (OptionId::NextWeek, Stage::Day { draft, week, .. }) => self.ask_week(draft, week + 1),
            (OptionId::PrevWeek, Stage::Day { draft, week, .. }) => {
                self.ask_week(draft, week.saturating_sub(1));
            }
            (OptionId::Part(part), Stage::Part { draft, slots }) => {
                let stage = Stage::Time {
                    draft,
                    slots,
                    part: Some(part),
                    offset: 0,
                };
                self.show(stage, None);
            }
            (
                OptionId::MoreTimes,
                Stage::Time {
                    draft,
                    slots,
                    part,
                    offset,
                },
            ) => {
                let stage = Stage::Time {
                    draft,
                    slots,
                    part,
                    offset: offset + ITEMS_MAX - 1,
                };
                self.show(stage, None);
            }
            (OptionId::Slot(secs), Stage::Time { draft, slots, .. }) => {
                match slots.iter().find(|s| s.start.timestamp() == secs).cloned() {
                    Some(slot) => self.hold(draft, slot),
                    None => self.advance(draft, None),
                }
            }
            (OptionId::Confirm, Stage::Confirm { draft, hold }) => {
                let request = match &draft.rescheduling {
                    Some(booking) => BridgeRequest::Reschedule {
                        booking: booking.reference.clone(),
                        hold: hold.id.clone(),
                        idempotency_key: self.key("reschedule"),
                    },
                    None => BridgeRequest::Confirm {
                        hold: hold.id.clone(),
                        idempotency_key: self.key("confirm"),
                    },
                };
                self.ask(request, Pending::Confirm, draft);
            }
            (OptionId::Change, Stage::Confirm { mut draft, .. }) => {
                self.release_hold();
                draft.time = None;
                self.advance(draft, None);
            }
            (OptionId::Decline, Stage::Confirm { draft, .. }) => {
                self.release_hold();
                let lead = match &draft.rescheduling {
                    Some(booking) => {
                        let when = prompt::when_local(booking.start, self.lang(), self.ctx);
                        self.tr(
                            Key::NotMoved,
                            &[("reference", &booking.reference), ("when", &when)],
                        )
                    }
                    None => self.tr(Key::NotBooked, &[]),
                };
                self.main_menu(Some(lead));
            }
            (OptionId::Decline, Stage::Paying { draft, hold, .. }) => {
                // It may have been paid meanwhile: the bridge knows.
                let request = BridgeRequest::Confirm {
                    hold: hold.id,
                    idempotency_key: self.key("confirm"),
                };
                self.ask(request, Pending::GiveBack, draft);
            }
            (OptionId::Booking(reference), Stage::Bookings { bookings, purpose }) => {
                if let Some(booking) = bookings.into_iter().find(|b| b.reference == reference) {
                    self.act_on(purpose, booking);
                }
            }
            (OptionId::Act(act), Stage::BookingAction { booking }) => {
                let purpose = match act {
                    BookingAct::Reschedule => Purpose::Reschedule,
                    BookingAct::Cancel => Purpose::Cancel,
                };
                self.act_on(purpose, booking);
            }
            (OptionId::Confirm, Stage::CancelConfirm { booking }) => {
                let request = BridgeRequest::Cancel {
                    booking: booking.reference.clone(),
                    customer: self.ctx.customer.clone(),
                    idempotency_key: self.key("cancel"),
                };
                self.ask(request, Pending::Cancel, Draft::default());
            }
            (OptionId::Decline, Stage::CancelConfirm { booking }) => {
                let when = prompt::when_local(booking.start, self.lang(), self.ctx);
                let lead = self.tr(
                    Key::KeptBooking,
                    &[("reference", &booking.reference), ("when", &when)],
                );
                self.main_menu(Some(lead));
            }
            (OptionId::Change, Stage::CancelConfirm { booking }) => {
                self.show(Stage::BookingAction { booking }, None);
            }
            (OptionId::Lang(lang), Stage::Language { back }) => {
                self.conv.lang = Some(lang);
                let lead = self.tr(Key::LanguageSet, &[]);
                self.show(*back, Some(lead));
            }
            (OptionId::Resume, Stage::Resume { previous }) => self.resume(*previous),
            (_, stage) => self.show(stage, None),
        }
    }

    /// A screen that commits something (a booking, a move, a cancellation). Only an
    /// explicit yes commits: the confirming option tapped, picked by number or named by its
    /// exact title, or a message of agreement alone. A refusal anywhere in the text never
    /// commits; anything unclear asks again.
    /// A message while a deposit is due: "cancel" or "no" gives the time back; anything
    /// else asks the bridge whether the payment came (and gets the link again if not).
    pub(super) fn on_paying(&mut self, input: &Input, stage: Stage) {
        let Stage::Paying { draft, hold, .. } = stage else {
            return;
        };
        let declined = input.id == Some(OptionId::Decline)
            || input.interp.command == Some(Command::Cancel)
            || nlu::answer(&input.raw, &input.norm) == Some(Answer::No);
        if declined {
            // It may have been paid meanwhile: the bridge knows.
            let request = BridgeRequest::Confirm {
                hold: hold.id.clone(),
                idempotency_key: self.key("confirm"),
            };
            self.ask(request, Pending::GiveBack, draft);
            return;
        }
        let request = BridgeRequest::Confirm {
            hold: hold.id.clone(),
            idempotency_key: self.key("confirm"),
        };
        self.ask(request, Pending::Confirm, draft);
    }

    pub(super) fn on_commit_screen(&mut self, input: &Input, stage: Stage) {
        let options = prompt::options(&stage, self.lang(), self.ctx);
        if let Some(id) = &input.id {
            if id.is_global() || options.iter().any(|o| &o.id == id) {
                self.on_option(id.clone());
            } else {
                // A button of an earlier screen: this one still waits for its answer.
                self.show(stage, None);
            }
            return;
        }
        if let Some(o) = options
            .iter()
            .find(|o| nlu::normalize(&o.title) == input.norm)
        {
            self.on_option(o.id.clone());
            return;
        }
        let cancelling = matches!(stage, Stage::CancelConfirm { .. });
        match nlu::answer(&input.raw, &input.norm) {
            Some(Answer::Yes) => self.on_option(OptionId::Confirm),
            Some(Answer::Back) => self.on_option(OptionId::Change),
            // "Cancel?" — "cancel": which of the two is meant is anyone's guess.
            Some(Answer::No) if cancelling && input.interp.command == Some(Command::Cancel) => {
                let hint = self.tr(Key::CancelOrKeep, &[]);
                self.show(stage, Some(hint));
            }
            Some(Answer::No) => self.on_option(OptionId::Decline),
            None => {
                if let Some(n) = nlu::option_number(&input.norm) {
                    let index = if n == usize::MAX {
                        options.len().checked_sub(1)
                    } else {
                        n.checked_sub(1).filter(|i| *i < options.len())
                    };
                    if let Some(i) = index {
                        self.on_option(options[i].id.clone());
                        return;
                    }
                }
                if let Stage::Confirm { mut draft, .. } = stage.clone()
                    && input.interp.names_booking_details()
                {
                    // "Actually, 5 pm": another time instead of this one.
                    self.release_hold();
                    draft.time = None;
                    self.start_booking(draft, input, None);
                    return;
                }
                let hint = format!(
                    "{} {}",
                    self.tr(Key::NotUnderstood, &[]),
                    self.tr(Key::Hint, &[])
                );
                self.show(stage, Some(hint));
            }
        }
    }

    /// Continues where the customer left off, re-checking anything that may have gone
    /// stale (listed days and times, a hold).
    pub(super) fn resume(&mut self, previous: Stage) {
        match previous {
            Stage::Day { draft, week, .. } => self.ask_week(draft, week),
            Stage::Part { mut draft, .. }
            | Stage::Time { mut draft, .. }
            | Stage::Confirm { mut draft, .. } => {
                // An exact time was already tried; a preference ("afternoon") still holds.
                if matches!(draft.time, Some(TimeWish::At(_))) {
                    draft.time = None;
                }
                self.advance(draft, None);
            }
            other => self.show(other, None),
        }
    }

    pub(super) fn act_on(&mut self, purpose: Purpose, booking: Booking) {
        match purpose {
            Purpose::View => self.show(Stage::BookingAction { booking }, None),
            Purpose::Attend => {
                let line = prompt::booking_line(&booking, self.lang(), self.ctx);
                let text = self.tr(Key::SeeYou, &[("booking", &line)]);
                self.say(text);
            }
            Purpose::Cancel => self.show(Stage::CancelConfirm { booking }, None),
            Purpose::Reschedule => {
                let lead = self.tr(
                    Key::RescheduleIntro,
                    &[(
                        "booking",
                        &prompt::booking_line(&booking, self.lang(), self.ctx),
                    )],
                );
                let draft = Draft {
                    service: Some(booking.service.clone()),
                    provider: Some(ProviderChoice::One(booking.provider.clone())),
                    rescheduling: Some(booking),
                    ..Draft::default()
                };
                self.advance(draft, Some(lead));
            }
        }
    }
}
