//! The flows: how each kind of event moves each stage.
//!
//! A [`Turn`] wraps one step: it owns the conversation being changed and collects effects.
//! Customer input first passes the checks every stage shares (opt-out, language, idle reset,
//! hand-off, commands, resuming after a break); what is left goes to the current stage,
//! which either recognises one of its options, takes booking details from free text, or
//! says it did not understand and repeats its options.
//!
//! - this module: reading the input, the checks every stage shares, commands;
//! - [`booking`]: putting a booking together from what the customer said;
//! - [`options`]: acting on a picked option, and the screens that commit something;
//! - [`answers`]: the bridge's answers and timers.

mod answers;
mod booking;
mod options;

pub(super) use booking::week_start;

use super::prompt;
use super::{
    Conversation, Ctx, Draft, Effect, OptionId, Pending, Purpose, RESUME_AFTER, Stage, Step,
};
use crate::i18n::{Key, Lang, t};
use crate::nlu::{self, Command, DateWish, Interpretation, TimeWish};
use crate::render::{Opt, Reply};
use crate::twilio::inbound::Attachment;
use crate::wire::BridgeRequest;

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
    /// What came instead of text.
    attachment: Option<Attachment>,
}

impl Input {
    pub(super) fn new(text: &str, id: Option<OptionId>, ctx: &Ctx<'_>) -> Self {
        let norm = nlu::normalize(text);
        let interp = nlu::interpret_normalized(&norm, &ctx.reading());
        Self::understood(text, norm, id, interp)
    }

    /// Text already read by the shell (the parser's reading, completed by a model or not):
    /// it is not read again.
    pub(super) fn read(text: &str, interp: Interpretation) -> Self {
        Self::understood(text, nlu::normalize(text), None, interp)
    }

    fn understood(text: &str, norm: String, id: Option<OptionId>, interp: Interpretation) -> Self {
        Self {
            stars: stars(text),
            raw: text.to_owned(),
            norm,
            id,
            interp,
            attachment: None,
        }
    }

    /// A voice note, picture or location instead of text.
    pub(super) fn attachment(kind: Attachment, ctx: &Ctx<'_>) -> Self {
        Self {
            attachment: Some(kind),
            ..Self::new("", None, ctx)
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
    /// The greeting was said (the logo goes with it).
    greeted: std::cell::Cell<bool>,
    /// The service chosen before this step (a newly chosen one is shown with its picture).
    service_before: Option<crate::catalog::ServiceId>,
}

impl<'a> Turn<'a> {
    pub(super) fn new(conv: Conversation, ctx: &'a Ctx<'a>) -> Self {
        let service_before = conv.stage.draft().and_then(|d| d.service.clone());
        Self {
            conv,
            ctx,
            effects: Vec::new(),
            prev_seen: None,
            greeted: std::cell::Cell::new(false),
            service_before,
        }
    }

    pub(super) fn finish(mut self) -> Step {
        // Pictures ride on the text: the logo on the greeting's message, a service's
        // picture on the first message after it was chosen (one picture a message).
        let logo = self
            .ctx
            .tenant
            .logo_url
            .clone()
            .filter(|_| self.greeted.get());
        let chosen = self
            .conv
            .stage
            .draft()
            .and_then(|d| d.service.clone())
            .filter(|s| Some(s) != self.service_before.as_ref())
            .and_then(|s| self.ctx.catalog.service(&s))
            .and_then(|s| s.image_url.clone());
        let mut replies = self.effects.iter_mut().filter_map(|e| match e {
            Effect::Reply(r) => Some(r),
            _ => None,
        });
        if let Some(first) = replies.next() {
            match (logo, chosen) {
                (Some(logo), chosen) => {
                    first.media_url = Some(logo);
                    if let (Some(image), Some(next)) = (chosen, replies.next()) {
                        next.media_url = Some(image);
                    }
                }
                (None, Some(image)) => first.media_url = Some(image),
                (None, None) => {}
            }
        }
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
        self.greeted.set(true);
        let mut greeting = match &self.ctx.tenant.greeting {
            Some(custom) => custom.clone(),
            None => self.tr(Key::Greeting, &[("business", &self.ctx.tenant.name)]),
        };
        // A customer back after a while hears where they left off.
        let catalog = self.ctx.catalog;
        if let Some(last) = &self.conv.last
            && let (Some(s), Some(p)) = (
                catalog.service(&last.service),
                catalog.provider(&last.provider),
            )
        {
            let line = self.tr(
                Key::LastVisitLine,
                &[("service", s.name_in(self.lang())), ("provider", &p.name)],
            );
            greeting = format!("{greeting}\n{line}");
        }
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
        if let Some(kind) = input.attachment {
            self.on_attachment(kind, fresh);
            return;
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
        let Some(written) = input.interp.lang else {
            return;
        };
        // Portuguese is read as one language; the number and the business's offer pick
        // the variant.
        let Some(lang) = Lang::offered_variant(
            written,
            &self.ctx.tenant.languages,
            self.ctx.customer.as_e164(),
        ) else {
            return;
        };
        if self.conv.lang.is_some_and(|l| l.is_portuguese()) && lang.is_portuguese() {
            // A customer who chose a variant keeps it.
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
                let help = self.help();
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
                            | Stage::BookingAction { .. }
                            | Stage::Paying { .. },
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
            Command::Location => {
                let text = match &self.ctx.tenant.address {
                    Some(address) => {
                        let mut text = self.tr(
                            Key::WhereWeAre,
                            &[("business", &self.ctx.tenant.name), ("address", address)],
                        );
                        if let Some(url) = &self.ctx.tenant.maps_url {
                            text = format!("{text}\n{url}");
                        }
                        text
                    }
                    None => self.tr(Key::NoAddress, &[]),
                };
                let stage = self.conv.stage.clone();
                let stage = if fresh || matches!(stage, Stage::Menu) {
                    Stage::Menu
                } else {
                    stage
                };
                self.show(stage, Some(text));
            }
            Command::Yes | Command::No => return false,
        }
        true
    }

    /// What the bot can do, with examples from this business's own catalog.
    fn help(&self) -> String {
        let lang = self.lang();
        let catalog = self.ctx.catalog;
        let mut examples = Vec::new();
        if let Some(first) = catalog.services.first() {
            examples.push(self.example_day());
            // The second example names another service and someone who performs it.
            let other = catalog.services.get(1).unwrap_or(first);
            if let Some(p) = catalog.providers_for(&other.id).next() {
                let first_name = p.name.split(' ').next().unwrap_or(&p.name);
                let name = other.name_in(lang).to_lowercase();
                examples.push(self.tr(
                    Key::HelpExampleWith,
                    &[("service", &name), ("provider", first_name)],
                ));
            }
        }
        let examples = examples.join(&format!(" {} ", self.tr(Key::Or, &[])));
        self.tr(Key::Help, &[("examples", &examples)])
    }

    /// An example of asking for the business's first service ("pilates tomorrow at 3pm").
    fn example_day(&self) -> String {
        self.ctx
            .catalog
            .services
            .first()
            .map_or_else(String::new, |s| {
                let name = s.name_in(self.lang()).to_lowercase();
                self.tr(Key::HelpExampleDay, &[("service", &name)])
            })
    }

    /// Says what the bot cannot read and how to ask instead, then shows where the
    /// customer was.
    fn on_attachment(&mut self, kind: Attachment, fresh: bool) {
        let key = match kind {
            Attachment::Voice => Key::CannotHearVoice,
            Attachment::Image | Attachment::Video => Key::CannotSeePictures,
            Attachment::Sticker => Key::StickerThanks,
            Attachment::Document => Key::CannotOpenFiles,
            Attachment::Location => Key::LocationThanks,
        };
        let example = self.example_day();
        let mut lead = self.tr(key, &[("example", &example)]);
        if fresh {
            lead = format!("{}\n{lead}", self.greeting());
        }
        let stage = self.conv.stage.clone();
        self.show(stage, Some(lead));
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
        if matches!(stage, Stage::Paying { .. }) {
            self.on_paying(&input, stage);
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
        // A bare "2" as the very first message picks from a menu the customer never saw:
        // greet and show it instead.
        if fresh
            && matches!(stage, Stage::Menu)
            && input.id.is_none()
            && nlu::option_number(&input.norm).is_some()
        {
            let lead = Some(self.greeting());
            self.main_menu(lead);
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
        // "Next week" on the list of days is its button, not a new search.
        let only_a_week = matches!(input.interp.date, Some(DateWish::Week(_)))
            && input.interp.service.is_none()
            && input.interp.provider.is_none()
            && input.interp.time.is_none();
        if only_a_week
            && matches!(stage, Stage::Day { .. })
            && let Some(index) = select_by_title(&input, &options)
        {
            let id = options[index].id.clone();
            self.on_option(id);
            return;
        }
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
