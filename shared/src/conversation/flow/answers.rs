//! The bridge's answers and the conversation's timers.

use super::super::prompt;
use super::super::{Effect, LastVisit, Pending, Purpose, Stage};
use super::Turn;
use crate::i18n::Key;
use crate::render::ITEMS_MAX;
use crate::wire::{Booking, BridgeAnswer};

impl Turn<'_> {
    /// Moves a waiting conversation on with the bridge's answer.
    pub(in crate::conversation) fn on_answer(&mut self, answer: BridgeAnswer) {
        let stage = std::mem::replace(&mut self.conv.stage, Stage::Menu);
        let Stage::Waiting {
            pending,
            draft,
            back,
        } = stage
        else {
            // An answer nobody waits for (a late duplicate): change nothing.
            self.conv.stage = stage;
            return;
        };
        match (pending, answer) {
            (_, BridgeAnswer::Unavailable) => {
                self.conv.stage = *back;
                let text = self.tr(Key::Unavailable, &[]);
                self.say(text);
            }
            (Pending::Week { week }, BridgeAnswer::Slots { slots }) => {
                let days = self.days_with(&slots, draft.time);
                self.show(Stage::Day { draft, week, days }, None);
            }
            (Pending::Day, BridgeAnswer::Slots { slots }) => self.on_day_slots(draft, &slots),
            (Pending::Hold, BridgeAnswer::Held { hold }) => {
                self.effects.push(Effect::Timer(hold.expires_at));
                self.show(Stage::Confirm { draft, hold }, None);
            }
            (Pending::Hold | Pending::Confirm, BridgeAnswer::Taken { alternatives }) => {
                self.on_taken(draft, alternatives);
            }
            (Pending::Confirm, BridgeAnswer::Booked { booking }) => {
                self.conv.last = Some(LastVisit {
                    service: booking.service.clone(),
                    provider: booking.provider.clone(),
                });
                let when = prompt::when_local(booking.start, self.lang(), self.ctx);
                let mut text = self.tr(
                    Key::Booked,
                    &[("reference", &booking.reference), ("when", &when)],
                );
                if self.ctx.tenant.emoji {
                    text = format!("✅ {text}");
                }
                self.say(text);
                let lead = self.tr(Key::AnythingElse, &[]);
                self.main_menu(Some(lead));
            }
            (Pending::Confirm, BridgeAnswer::PaymentDue { hold, amount, url }) => {
                // Asked again from the payment screen: the money has not come yet.
                let lead = matches!(*back, Stage::Paying { .. })
                    .then(|| self.tr(Key::PaymentWaiting, &[]));
                self.show(
                    Stage::Paying {
                        draft,
                        hold,
                        amount,
                        url,
                    },
                    lead,
                );
            }
            (Pending::GiveBack, BridgeAnswer::Booked { booking }) => {
                // Paid before the customer said no: a booking now, whose cancellation (and
                // what it refunds) is asked about as any other.
                self.conv.last = Some(LastVisit {
                    service: booking.service.clone(),
                    provider: booking.provider.clone(),
                });
                let when = prompt::when_local(booking.start, self.lang(), self.ctx);
                let lead = self.tr(
                    Key::Booked,
                    &[("reference", &booking.reference), ("when", &when)],
                );
                self.show(Stage::CancelConfirm { booking }, Some(lead));
            }
            (Pending::GiveBack, answer) => {
                // Not paid: the time goes back, and the bridge closes the payment page.
                if let BridgeAnswer::PaymentDue { hold, .. } = answer {
                    self.effects
                        .push(Effect::Notify(crate::wire::BridgeRequest::Release {
                            hold: hold.id,
                        }));
                }
                let lead = self.tr(Key::NotBooked, &[]);
                self.main_menu(Some(lead));
            }
            (Pending::Confirm, BridgeAnswer::Rescheduled { booking }) => {
                let when = prompt::when_local(booking.start, self.lang(), self.ctx);
                let text = self.tr(
                    Key::Rescheduled,
                    &[("reference", &booking.reference), ("when", &when)],
                );
                self.say(text);
                let lead = self.tr(Key::AnythingElse, &[]);
                self.main_menu(Some(lead));
            }
            (
                Pending::Bookings {
                    purpose,
                    target,
                    since,
                },
                BridgeAnswer::Bookings { bookings },
            ) => self.on_bookings(purpose, target, since, bookings),
            (Pending::Rate, BridgeAnswer::Rated { reference }) => {
                let key = if reference.is_some() {
                    Key::ThanksRating
                } else {
                    Key::NothingToRate
                };
                let text = self.tr(key, &[]);
                self.say(text);
            }
            (Pending::Cancel, BridgeAnswer::Cancelled { booking, .. }) => {
                let text = self.tr(Key::Cancelled, &[("reference", &booking.reference)]);
                self.main_menu(Some(text));
            }
            (Pending::Cancel, _) => {
                let text = self.tr(Key::BookingFailed, &[]);
                self.main_menu(Some(text));
            }
            (Pending::Hold | Pending::Confirm, _) => {
                let lead = self.tr(Key::BookingFailed, &[]);
                self.say(lead);
                let mut draft = draft;
                draft.time = None;
                self.advance(draft, None);
            }
            (_, _) => {
                // An answer of the wrong kind: treat the bridge as unavailable.
                self.conv.stage = *back;
                let text = self.tr(Key::Unavailable, &[]);
                self.say(text);
            }
        }
    }

    pub(super) fn on_bookings(
        &mut self,
        purpose: Purpose,
        target: Option<String>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        bookings: Vec<Booking>,
    ) {
        if bookings.is_empty() {
            let lead = self.tr(Key::NoBookings, &[]);
            self.main_menu(Some(lead));
            return;
        }
        if let Some(reference) = target
            && let Some(b) = bookings.iter().find(|b| b.reference == reference)
        {
            self.act_on(purpose, b.clone());
            return;
        }
        // A typed answer right after a reminder is about the reminded booking.
        let reminded = bookings
            .iter()
            .filter(|b| b.reminded_at.is_some_and(|at| since.is_none_or(|s| at > s)))
            .max_by_key(|b| b.reminded_at);
        if purpose != Purpose::View
            && let Some(b) = reminded
        {
            self.act_on(purpose, b.clone());
            return;
        }
        match (purpose, bookings.as_slice()) {
            // "Yes" with no reminder to answer: just the menu.
            (Purpose::Attend, _) => self.main_menu(None),
            (Purpose::Reschedule | Purpose::Cancel, [one]) => self.act_on(purpose, one.clone()),
            _ => {
                let mut bookings = bookings;
                bookings.truncate(ITEMS_MAX - 1);
                self.show(Stage::Bookings { bookings, purpose }, None);
            }
        }
    }

    /// A timer fired: a hold that has lapsed is announced and the times listed again.
    pub(in crate::conversation) fn on_timer(&mut self) {
        let Stage::Confirm { draft, hold } = &self.conv.stage else {
            return;
        };
        if self.ctx.now < hold.expires_at {
            return;
        }
        let mut draft = draft.clone();
        draft.time = None;
        let text = self.tr(Key::HoldExpired, &[]);
        self.say(text);
        self.advance(draft, None);
    }
}
