//! The flows: how each kind of event moves each stage.
//!
//! A [`Turn`] wraps one step: it owns the conversation being changed and collects effects.
//! Customer input first passes the checks every stage shares (opt-out, language, idle reset,
//! hand-off, commands, resuming after a break); what is left goes to the current stage,
//! which either recognises one of its options, takes booking details from free text, or
//! says it did not understand and repeats its options.

use chrono::{Days, NaiveTime};

use super::prompt;
use super::{
    BookingAct, Conversation, Ctx, Draft, Effect, OptionId, Pending, ProviderChoice, Purpose,
    RESUME_AFTER, ReminderAction, Stage, Step, slots_on,
};
use crate::i18n::{self, Key, Lang, t};
use crate::nlu::{self, Answer, Command, DateWish, Interpretation, ProviderWish, TimeWish};
use crate::render::{ITEMS_MAX, Opt, Reply};
use crate::wire::{Booking, BridgeAnswer, BridgeRequest, Slot};

/// One customer message, read once.
pub(super) struct Input {
    /// A rating the text gives ("5 stars", "⭐⭐⭐⭐").
    stars: Option<u8>,
    /// The text as written (emoji included).
    raw: String,
    /// Normalised text.
    norm: String,
    /// The tapped option's id, if it was a tap.
    id: Option<OptionId>,
    /// What the parser understood.
    interp: Interpretation,
}

impl Input {
    pub(super) fn new(text: &str, id: Option<OptionId>, ctx: &Ctx<'_>) -> Self {
        let norm = nlu::normalize(text);
        let interp = nlu::interpret_normalized(&norm, ctx.today(), ctx.catalog);
        Self {
            stars: stars(text),
            raw: text.to_owned(),
            norm,
            id,
            interp,
        }
    }

    /// The command, unless this was a tap (a tapped title like "Cancel it" is an option).
    fn command(&self) -> Option<Command> {
        match self.id {
            Some(_) => None,
            None => self.interp.command,
        }
    }
}

/// One step in progress.
pub(super) struct Turn<'a> {
    conv: Conversation,
    ctx: &'a Ctx<'a>,
    effects: Vec<Effect>,
    /// When the customer wrote before this message.
    prev_seen: Option<chrono::DateTime<chrono::Utc>>,
}

impl<'a> Turn<'a> {
    pub(super) fn new(conv: Conversation, ctx: &'a Ctx<'a>) -> Self {
        Self {
            conv,
            ctx,
            effects: Vec::new(),
            prev_seen: None,
        }
    }

    pub(super) fn finish(self) -> Step {
        Step {
            state: self.conv,
            effects: self.effects,
        }
    }

    fn lang(&self) -> Lang {
        self.conv.lang(self.ctx)
    }

    fn tr(&self, key: Key, values: &[(&str, &str)]) -> String {
        t(self.lang(), key, values)
    }

    fn say(&mut self, text: String) {
        self.effects.push(Effect::Reply(Reply::text(text)));
    }

    /// Moves to `stage` and shows its prompt, with `lead` above it.
    fn show(&mut self, stage: Stage, lead: Option<String>) {
        let mut reply = prompt::prompt(&stage, self.lang(), self.ctx);
        if let Some(lead) = lead {
            reply.text = if reply.text.is_empty() {
                lead
            } else {
                format!("{lead}\n\n{}", reply.text)
            };
        }
        self.conv.stage = stage;
        self.effects.push(Effect::Reply(reply));
    }

    /// Asks the bridge; the conversation waits, falling back to the current stage.
    fn ask(&mut self, request: BridgeRequest, pending: Pending, draft: Draft) {
        let back = std::mem::replace(&mut self.conv.stage, Stage::Menu);
        let back = match back {
            // Never fall back into another wait.
            Stage::Waiting { back, .. } => back,
            other => Box::new(other),
        };
        self.conv.stage = Stage::Waiting {
            pending,
            draft,
            back,
        };
        self.effects.push(Effect::Ask(request));
    }

    /// An idempotency key unique to this customer message and operation.
    fn key(&self, op: &str) -> String {
        format!("{}:{}:{op}", self.ctx.customer.as_e164(), self.conv.seq)
    }

    fn main_menu(&mut self, lead: Option<String>) {
        self.show(Stage::Menu, lead);
    }

    fn greeting(&self) -> String {
        let greeting = match &self.ctx.tenant.greeting {
            Some(custom) => custom.clone(),
            None => self.tr(Key::Greeting, &[("business", &self.ctx.tenant.name)]),
        };
        if self.ctx.tenant.emoji {
            format!("👋 {greeting}")
        } else {
            greeting
        }
    }

    // ----- customer input -------------------------------------------------------------

    pub(super) fn on_customer(&mut self, input: Input) {
        let now = self.ctx.now;
        let away = self.conv.last_seen.map(|seen| now - seen);
        let first_contact = self.conv.last_seen.is_none();
        self.prev_seen = self.conv.last_seen;
        self.conv.last_seen = Some(now);
        self.conv.seq += 1;
        let command = input.command();

        if self.conv.opted_out {
            // Nothing is sent to an opted-out customer until they opt back in.
            if command == Some(Command::Start) {
                self.conv.opted_out = false;
                self.effects.push(Effect::OptOut(false));
                let lead = self.tr(Key::OptedIn, &[]);
                self.main_menu(Some(lead));
            }
            return;
        }
        if command == Some(Command::Stop) {
            self.release_hold();
            self.conv.opted_out = true;
            self.conv.stage = Stage::Menu;
            self.effects.push(Effect::OptOut(true));
            let text = self.tr(Key::OptedOut, &[]);
            self.say(text);
            return;
        }
        self.learn_language(&input);

        let idle_reset = chrono::Duration::days(i64::from(self.ctx.tenant.policy.idle_reset_days));
        let fresh = first_contact || away.is_some_and(|a| a > idle_reset);
        if fresh {
            self.conv.stage = Stage::Menu;
            self.conv.handed_off = false;
        }
        if self.conv.handed_off {
            if command == Some(Command::Menu) || input.id == Some(OptionId::Menu) {
                self.conv.handed_off = false;
            } else {
                return;
            }
        }
        // A message while waiting means the answer never came (a crash between steps):
        // carry on from where the wait began.
        if let Stage::Waiting { back, .. } = &self.conv.stage {
            self.conv.stage = (**back).clone();
        }
        if let Some(command) = command
            && self.on_command(command, fresh)
        {
            return;
        }
        if input.id.is_none()
            && let Some(stars) = input.stars
        {
            self.rate(None, stars);
            return;
        }
        let away_long = away.is_some_and(|a| a > RESUME_AFTER);
        if away_long && !fresh && self.conv.stage.is_mid_booking() && input.id.is_none() {
            if input.interp.names_booking_details() {
                self.start_booking(Draft::default(), &input, None);
            } else {
                let previous = Box::new(self.conv.stage.clone());
                self.show(Stage::Resume { previous }, None);
            }
            return;
        }
        self.on_stage_input(input, fresh);
    }

    fn learn_language(&mut self, input: &Input) {
        let Some(lang) = input.interp.lang else {
            return;
        };
        if !self.ctx.tenant.languages.contains(&lang) {
            return;
        }
        // A short reply ("si", "ok") is weak evidence; only a first guess or a real
        // sentence changes the language.
        let words = input.norm.split(' ').count();
        if self.conv.lang.is_none() || words >= 3 {
            self.conv.lang = Some(lang);
        }
    }

    /// Handles commands valid everywhere. Returns `false` when the command means something
    /// else in the current stage (yes/no, "cancel" while confirming).
    fn on_command(&mut self, command: Command, fresh: bool) -> bool {
        match command {
            Command::Menu => {
                self.release_hold();
                self.main_menu(fresh.then(|| self.greeting()));
            }
            Command::Help => {
                let help = self.tr(Key::Help, &[]);
                let stage = self.conv.stage.clone();
                self.show(stage, Some(help));
            }
            Command::Human => {
                self.release_hold();
                self.conv.handed_off = true;
                self.conv.stage = Stage::Menu;
                self.effects.push(Effect::Handoff);
                let text = self.tr(Key::Handoff, &[]);
                self.say(text);
            }
            Command::Language => {
                let back = Box::new(self.conv.stage.clone());
                self.show(Stage::Language { back }, None);
            }
            Command::Start => {
                self.release_hold();
                self.main_menu(None);
            }
            Command::Stop => {}
            Command::Book => {
                self.release_hold();
                let lead = fresh.then(|| self.greeting());
                self.advance(Draft::default(), lead);
            }
            Command::MyBookings | Command::Reschedule | Command::Cancel => {
                // On a screen that asks yes or no, "cancel" and "reschedule" answer it.
                let local = matches!(
                    (&self.conv.stage, command),
                    (
                        Stage::Confirm { .. }
                            | Stage::CancelConfirm { .. }
                            | Stage::BookingAction { .. },
                        Command::Reschedule | Command::Cancel
                    )
                );
                if local {
                    return false;
                }
                self.release_hold();
                let purpose = match command {
                    Command::Reschedule => Purpose::Reschedule,
                    Command::Cancel => Purpose::Cancel,
                    _ => Purpose::View,
                };
                self.list_bookings(purpose, None);
            }
            Command::Yes | Command::No => return false,
        }
        true
    }

    fn list_bookings(&mut self, purpose: Purpose, target: Option<String>) {
        let request = BridgeRequest::Bookings {
            customer: self.ctx.customer.clone(),
        };
        let since = self.prev_seen;
        self.ask(
            request,
            Pending::Bookings {
                purpose,
                target,
                since,
            },
            Draft::default(),
        );
    }

    /// Records a rating of `reference` (or of the visit the customer was last asked about).
    fn rate(&mut self, reference: Option<String>, stars: u8) {
        let request = BridgeRequest::Rate {
            customer: self.ctx.customer.clone(),
            reference,
            stars,
        };
        self.ask(request, Pending::Rate, Draft::default());
    }

    /// Gives back a held slot when the customer walks away from confirming it, also from a
    /// screen opened on top of the confirmation (language, resume).
    fn release_hold(&mut self) {
        let mut stage = &self.conv.stage;
        loop {
            match stage {
                Stage::Confirm { hold, .. } => {
                    self.effects.push(Effect::Notify(BridgeRequest::Release {
                        hold: hold.id.clone(),
                    }));
                    return;
                }
                Stage::Language { back: inner } | Stage::Resume { previous: inner } => {
                    stage = inner;
                }
                _ => return,
            }
        }
    }

    fn on_stage_input(&mut self, input: Input, fresh: bool) {
        let lang = self.lang();
        let stage = self.conv.stage.clone();
        if matches!(stage, Stage::Confirm { .. } | Stage::CancelConfirm { .. }) {
            self.on_commit_screen(&input, stage);
            return;
        }
        // Days are picked by date first: Portuguese "segunda" is both Monday and "second".
        if let (Stage::Day { draft, .. }, Some(DateWish::On(date))) = (&stage, &input.interp.date) {
            let mut draft = draft.clone();
            draft.date = Some(*date);
            self.merge_time(&mut draft, &input);
            self.advance(draft, None);
            return;
        }
        // A time typed while times are listed picks that time.
        if let (Stage::Time { draft, slots, .. }, Some(TimeWish::At(at))) =
            (&stage, input.interp.time)
            && let Some(slot) = slots.iter().find(|s| self.local_time(s) == at)
        {
            let (draft, slot) = (draft.clone(), slot.clone());
            self.hold(draft, slot);
            return;
        }
        let options = prompt::options(&stage, lang, self.ctx);
        if let Some(index) = select_by_id_or_number(&input, &options) {
            let id = options[index].id.clone();
            self.on_option(id);
            return;
        }
        let bookable = matches!(
            stage,
            Stage::Menu
                | Stage::Service { .. }
                | Stage::Provider { .. }
                | Stage::Date { .. }
                | Stage::Day { .. }
                | Stage::Part { .. }
                | Stage::Time { .. }
        );
        // Booking details outrank titles: "quero marcar manicure amanhã" names a service
        // and a day, though "Marcar" is also the title of the menu's first option.
        let ambiguous_provider = matches!(stage, Stage::Provider { any: false, .. });
        if bookable && !ambiguous_provider && input.interp.names_booking_details() {
            let draft = stage.draft().cloned().unwrap_or_default();
            let lead = fresh.then(|| self.greeting());
            self.start_booking(draft, &input, lead);
            return;
        }
        if let Some(index) = select_by_title(&input, &options) {
            let id = options[index].id.clone();
            self.on_option(id);
            return;
        }
        if let Some(id) = &input.id
            && id.is_global()
        {
            // A tap on an option of an earlier message (the customer scrolled up).
            self.on_option(id.clone());
            return;
        }
        match input.command() {
            // "Yes" to a reminder's "will you come?".
            Some(Command::Yes) if matches!(stage, Stage::Menu) => {
                self.list_bookings(Purpose::Attend, None);
                return;
            }
            Some(Command::Yes) if matches!(stage, Stage::Resume { .. }) => {
                self.on_option(OptionId::Resume);
                return;
            }
            Some(Command::No) if matches!(stage, Stage::Resume { .. }) => {
                self.on_option(OptionId::Restart);
                return;
            }
            _ => {}
        }
        if matches!(stage, Stage::Menu) {
            // "hi", "hello", anything at the start: greet and offer the services.
            let lead = Some(self.greeting());
            self.advance(Draft::default(), lead);
            return;
        }
        let hint = format!(
            "{} {}",
            self.tr(Key::NotUnderstood, &[]),
            self.tr(Key::Hint, &[])
        );
        self.show(stage, Some(hint));
    }

    /// Merges what the text said into `draft` and moves to the furthest step it allows.
    fn start_booking(&mut self, mut draft: Draft, input: &Input, lead: Option<String>) {
        let interp = &input.interp;
        if let Some(service) = &interp.service
            && draft.service.as_ref() != Some(service)
        {
            draft.service = Some(service.clone());
            // A different service may not be done by the chosen provider.
            draft.provider = None;
        }
        self.merge_time(&mut draft, input);
        match &interp.date {
            Some(DateWish::On(date)) => draft.date = Some(*date),
            Some(DateWish::OneOf(choices)) => {
                let choices = choices.clone();
                match &interp.provider {
                    Some(ProviderWish::Named(ids)) if ids.len() == 1 => {
                        draft.provider = Some(ProviderChoice::One(ids[0].clone()));
                    }
                    Some(ProviderWish::Any) => draft.provider = Some(ProviderChoice::Any),
                    _ => {}
                }
                self.show(Stage::Date { draft, choices }, lead);
                return;
            }
            None => {}
        }
        match &interp.provider {
            Some(ProviderWish::Any) => draft.provider = Some(ProviderChoice::Any),
            Some(ProviderWish::Named(ids)) => {
                let able: Vec<_> = ids
                    .iter()
                    .filter(|id| {
                        draft.service.as_ref().is_none_or(|s| {
                            self.ctx
                                .catalog
                                .provider(id)
                                .is_some_and(|p| p.services.contains(s))
                        })
                    })
                    .cloned()
                    .collect();
                match able.as_slice() {
                    [one] => draft.provider = Some(ProviderChoice::One(one.clone())),
                    [] => {}
                    _ if draft.service.is_some() => {
                        // Two Marias: ask which, never guess.
                        let stage = Stage::Provider {
                            draft,
                            candidates: able,
                            any: false,
                        };
                        self.show(stage, lead);
                        return;
                    }
                    _ => {}
                }
            }
            None => {}
        }
        self.advance(draft, lead);
    }

    fn merge_time(&self, draft: &mut Draft, input: &Input) {
        if let Some(time) = input.interp.time {
            draft.time = Some(time);
        }
    }

    /// Goes to the first step the draft does not settle yet.
    fn advance(&mut self, mut draft: Draft, lead: Option<String>) {
        let catalog = self.ctx.catalog;
        if draft
            .service
            .as_ref()
            .is_some_and(|s| catalog.service(s).is_none())
        {
            draft.service = None;
        }
        let service = match (&draft.service, catalog.services.as_slice()) {
            (Some(s), _) => s.clone(),
            (None, [only]) => only.id.clone(),
            (None, []) => {
                let text = self.tr(Key::NoServices, &[("business", &self.ctx.tenant.name)]);
                self.conv.stage = Stage::Menu;
                self.say(text);
                return;
            }
            (None, _) => {
                self.show(Stage::Service { draft }, lead);
                return;
            }
        };
        draft.service = Some(service.clone());
        let able: Vec<_> = catalog
            .providers_for(&service)
            .map(|p| p.id.clone())
            .collect();
        if let Some(ProviderChoice::One(p)) = &draft.provider
            && !able.contains(p)
        {
            draft.provider = None;
        }
        if draft.provider.is_none() {
            match able.as_slice() {
                [] => {
                    let text = self.tr(Key::NoServices, &[("business", &self.ctx.tenant.name)]);
                    let text = match lead {
                        Some(lead) => format!("{lead}\n\n{text}"),
                        None => text,
                    };
                    self.conv.stage = Stage::Menu;
                    self.say(text);
                    return;
                }
                [one] => draft.provider = Some(ProviderChoice::One(one.clone())),
                _ => {
                    let stage = Stage::Provider {
                        draft,
                        candidates: able,
                        any: true,
                    };
                    self.show(stage, lead);
                    return;
                }
            }
        }
        if let Some(lead) = lead {
            self.say(lead);
        }
        let provider = draft.provider.as_ref().and_then(|p| p.id().cloned());
        let today = self.ctx.today();
        match draft.date {
            Some(date) if date >= today => {
                let request = BridgeRequest::Slots {
                    service,
                    provider,
                    from: date,
                    days: 1,
                };
                self.ask(request, Pending::Day, draft);
            }
            _ => {
                draft.date = None;
                self.ask_week(draft, 0);
            }
        }
    }

    fn ask_week(&mut self, draft: Draft, week: u32) {
        let Some(service) = draft.service.clone() else {
            self.advance(draft, None);
            return;
        };
        let from = self
            .ctx
            .today()
            .checked_add_days(Days::new(7 * u64::from(week)))
            .unwrap_or_else(|| self.ctx.today());
        let request = BridgeRequest::Slots {
            service,
            provider: draft.provider.as_ref().and_then(|p| p.id().cloned()),
            from,
            days: 7,
        };
        self.ask(request, Pending::Week { week }, draft);
    }

    fn hold(&mut self, mut draft: Draft, slot: Slot) {
        let Some(service) = draft.service.clone() else {
            self.advance(draft, None);
            return;
        };
        draft.date = Some(self.ctx.tenant.zone.date(slot.start));
        let provider = slot
            .provider
            .clone()
            .or_else(|| draft.provider.as_ref().and_then(|p| p.id().cloned()));
        let request = BridgeRequest::Hold {
            service,
            provider,
            start: slot.start,
            customer: self.ctx.customer.clone(),
            idempotency_key: self.key("hold"),
        };
        self.ask(request, Pending::Hold, draft);
    }

    fn local_time(&self, slot: &Slot) -> NaiveTime {
        self.ctx.tenant.zone.local(slot.start).time()
    }

    /// Acts on an option of the current stage (see [`prompt::options`]) or a global one.
    fn on_option(&mut self, id: OptionId) {
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
    fn on_commit_screen(&mut self, input: &Input, stage: Stage) {
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
    fn resume(&mut self, previous: Stage) {
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

    fn act_on(&mut self, purpose: Purpose, booking: Booking) {
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

    // ----- bridge answers and timers --------------------------------------------------

    pub(super) fn on_answer(&mut self, answer: BridgeAnswer) {
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

    /// Local days among `slots`, preferring days with a slot that fits the time wish.
    fn days_with(&self, slots: &[Slot], wish: Option<TimeWish>) -> Vec<chrono::NaiveDate> {
        let zone = &self.ctx.tenant.zone;
        let collect = |fits: &dyn Fn(&Slot) -> bool| {
            let mut days: Vec<_> = slots
                .iter()
                .filter(|s| fits(s))
                .map(|s| zone.date(s.start))
                .collect();
            days.dedup();
            days.truncate(7);
            days
        };
        let fitting = match wish {
            Some(w) => collect(&|s: &Slot| w.accepts(self.local_time(s))),
            None => Vec::new(),
        };
        if fitting.is_empty() {
            collect(&|_| true)
        } else {
            fitting
        }
    }

    fn on_day_slots(&mut self, mut draft: Draft, slots: &[Slot]) {
        let lang = self.lang();
        let Some(day) = draft.date else {
            self.ask_week(draft, 0);
            return;
        };
        let day_slots = slots_on(slots, day, self.ctx);
        if day_slots.is_empty() {
            let text = self.tr(Key::NoTimesThatDay, &[("day", &i18n::day_long(lang, day))]);
            self.say(text);
            let week = u32::try_from((day - self.ctx.today()).num_days().max(0) / 7).unwrap_or(0);
            draft.date = None;
            self.ask_week(draft, week);
            return;
        }
        let wish = draft.time;
        if let Some(TimeWish::At(at)) = wish {
            if let Some(slot) = day_slots.iter().find(|s| self.local_time(s) == at) {
                let slot = slot.clone();
                self.hold(draft, slot);
                return;
            }
            // Not free then: offer the nearest times that day.
            let mut nearest = day_slots.clone();
            nearest.sort_by_key(|s| (self.local_time(s) - at).num_minutes().abs());
            nearest.truncate(ITEMS_MAX);
            nearest.sort_by_key(|s| s.start);
            let lead = self.tr(Key::SlotTaken, &[]);
            draft.time = None;
            self.show(
                Stage::Time {
                    draft,
                    slots: nearest,
                    part: None,
                    offset: 0,
                },
                Some(lead),
            );
            return;
        }
        let fitting: Vec<Slot> = match wish {
            Some(w) => day_slots
                .iter()
                .filter(|s| w.accepts(self.local_time(s)))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let (slots, lead) = if fitting.is_empty() {
            // Nothing fits the wish that day: say so and show the whole day.
            let lead =
                wish.map(|_| self.tr(Key::NothingFits, &[("day", &i18n::day_long(lang, day))]));
            (day_slots, lead)
        } else {
            (fitting, None)
        };
        let chose_part = matches!(wish, Some(TimeWish::Part(_))) && lead.is_none();
        if slots.len() > ITEMS_MAX && !chose_part {
            self.show(Stage::Part { draft, slots }, lead);
        } else {
            let stage = Stage::Time {
                draft,
                slots,
                part: None,
                offset: 0,
            };
            self.show(stage, lead);
        }
    }

    fn on_taken(&mut self, mut draft: Draft, mut alternatives: Vec<Slot>) {
        draft.time = None;
        if alternatives.is_empty() {
            let text = self.tr(Key::SlotTakenNone, &[]);
            self.say(text);
            draft.date = None;
            self.ask_week(draft, 0);
            return;
        }
        alternatives.truncate(ITEMS_MAX);
        draft.date = alternatives
            .first()
            .map(|s| self.ctx.tenant.zone.date(s.start));
        let lead = self.tr(Key::SlotTaken, &[]);
        let stage = Stage::Time {
            draft,
            slots: alternatives,
            part: None,
            offset: 0,
        };
        self.show(stage, Some(lead));
    }

    fn on_bookings(
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

    pub(super) fn on_timer(&mut self) {
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

/// A typed rating: "5 stars", "4 estrellas", "3 estrelas", or stars themselves ("⭐⭐⭐⭐").
fn stars(raw: &str) -> Option<u8> {
    let text = raw.trim();
    // Most messages name no number and no star: no work for them.
    if !text
        .chars()
        .any(|c| c.is_ascii_digit() || matches!(c, '⭐' | '★'))
    {
        return None;
    }
    let symbols = text.chars().filter(|c| matches!(c, '⭐' | '★')).count();
    if symbols > 0
        && text
            .chars()
            .all(|c| matches!(c, '⭐' | '★' | '\u{fe0f}' | ' '))
    {
        return u8::try_from(symbols).ok().filter(|n| (1..=5).contains(n));
    }
    let lower = text.to_lowercase();
    let mut words = lower.split_whitespace();
    let n: u8 = words.next()?.parse().ok()?;
    let unit = words.next()?;
    let is_star = matches!(
        unit,
        "star" | "stars" | "estrella" | "estrellas" | "estrela" | "estrelas"
    );
    (is_star && words.next().is_none() && (1..=5).contains(&n)).then_some(n)
}

/// The option the input picks by tapped id, number or ordinal.
fn select_by_id_or_number(input: &Input, options: &[Opt]) -> Option<usize> {
    if let Some(id) = &input.id
        && let Some(i) = options.iter().position(|o| &o.id == id)
    {
        return Some(i);
    }
    if options.is_empty() {
        return None;
    }
    let n = nlu::option_number(&input.norm)?;
    if n == usize::MAX {
        Some(options.len() - 1)
    } else {
        (n <= options.len()).then(|| n - 1)
    }
}

/// The option whose title the text names.
fn select_by_title(input: &Input, options: &[Opt]) -> Option<usize> {
    nlu::match_title(&input.norm, options.iter().map(|o| o.title.as_str()))
}

#[cfg(test)]
mod stars_tests {
    use super::stars;

    #[test]
    fn ratings_are_read_in_words_or_stars_and_nothing_else() {
        for (text, expected) in [
            ("5 stars", Some(5)),
            ("4 estrellas", Some(4)),
            ("3 estrelas", Some(3)),
            ("1 Star", Some(1)),
            ("⭐⭐⭐⭐", Some(4)),
            ("★★", Some(2)),
            ("6 stars", None),
            ("⭐⭐⭐⭐⭐⭐", None),
            ("5", None),
            ("at 5 pm", None),
            ("tomorrow at 10", None),
            ("hola", None),
        ] {
            assert_eq!(stars(text), expected, "{text}");
        }
    }
}
