//! Putting a booking together: what free text settles, the first step it leaves open, and
//! the bridge's free days and times for it.

use chrono::{Days, NaiveDate, NaiveTime};

use super::super::{Ctx, Draft, Pending, ProviderChoice, Stage, slots_on};
use super::{Input, Turn};
use crate::i18n::{self, Key};
use crate::nlu::{Again, DateWish, DayPart, Interpretation, ProviderWish, ServiceWish, TimeWish};
use crate::render::ITEMS_MAX;
use crate::wire::{BridgeRequest, Slot};

impl Turn<'_> {
    /// Merges what the text said into `draft` and moves to the furthest step it allows.
    pub(super) fn start_booking(&mut self, mut draft: Draft, input: &Input, lead: Option<String>) {
        let interp = &input.interp;
        let mut lead = lead;
        match (interp.again, &self.conv.last) {
            (Some(again), Some(last)) => {
                if again == Again::Visit && interp.service.is_none() {
                    draft.service = Some(last.service.clone());
                }
            }
            (Some(_), None) => {
                let none = self.tr(Key::NoLastVisit, &[]);
                lead = Some(match lead {
                    Some(l) => format!("{l}\n{none}"),
                    None => none,
                });
            }
            (None, _) => {}
        }
        let mut which_service = None;
        let again_said = interp.again.is_some() && self.conv.last.is_some();
        match &interp.service {
            Some(ServiceWish::One(service)) if draft.service.as_ref() != Some(service) => {
                draft.service = Some(service.clone());
                // A different service may not be done by the chosen provider.
                draft.provider = None;
            }
            Some(ServiceWish::OneOf(ids))
                if !draft.service.as_ref().is_some_and(|s| ids.contains(s)) =>
            {
                draft.service = None;
                which_service = Some(ids.clone());
            }
            _ => {}
        }
        // The same person, once the service is settled (a new service clears the person).
        if let (Some(_), Some(last), None) = (interp.again, &self.conv.last, &interp.provider) {
            draft.provider = Some(ProviderChoice::One(last.provider.clone()));
        }
        self.merge_time(&mut draft, input);
        let lead = if again_said {
            // Say back what "the usual" stands for.
            let mut shown = interp.clone();
            if shown.service.is_none() {
                shown.service = draft.service.clone().map(ServiceWish::One);
            }
            if shown.provider.is_none() {
                shown.provider = draft
                    .provider
                    .as_ref()
                    .and_then(|p| p.id().cloned())
                    .map(|id| ProviderWish::Named(vec![id]));
            }
            self.said_back(&shown, lead)
        } else {
            self.said_back(interp, lead)
        };
        match &interp.date {
            Some(DateWish::On(date)) => {
                draft.date = Some(*date);
                draft.from = None;
            }
            Some(DateWish::Week(from)) => {
                draft.date = None;
                draft.from = Some(*from);
            }
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
        if let Some(candidates) = which_service {
            self.show(Stage::Service { draft, candidates }, lead);
            return;
        }
        self.advance(draft, lead);
    }

    /// `lead` with one short line saying back what the customer's words settled, so the
    /// next question never ignores what they already said.
    pub(super) fn said_back(
        &self,
        interp: &Interpretation,
        lead: Option<String>,
    ) -> Option<String> {
        let lang = self.lang();
        let catalog = self.ctx.catalog;
        let mut parts: Vec<String> = Vec::new();
        if let Some(s) = interp
            .service
            .as_ref()
            .and_then(ServiceWish::one)
            .and_then(|id| catalog.service(id))
        {
            parts.push(s.name_in(lang).to_owned());
        }
        match &interp.provider {
            Some(ProviderWish::Any) => parts.push(self.tr(Key::SaidAnyone, &[])),
            Some(ProviderWish::Named(ids)) if ids.len() == 1 => {
                if let Some(p) = catalog.provider(&ids[0]) {
                    parts.push(self.tr(Key::SaidWith, &[("provider", &p.name)]));
                }
            }
            _ => {}
        }
        match &interp.date {
            Some(DateWish::On(d)) => parts.push(i18n::day_long(lang, *d)),
            Some(DateWish::Week(from)) => {
                let day = i18n::day_short(lang, (*from).max(self.ctx.today()));
                parts.push(self.tr(Key::SaidWeekOf, &[("day", &day)]));
            }
            // Asked about next, with the dates it could be.
            Some(DateWish::OneOf(_)) | None => {}
        }
        if let Some(wish) = interp.time {
            let at = |key: Key, t: NaiveTime| self.tr(key, &[("time", &i18n::time(lang, t))]);
            parts.push(match wish {
                TimeWish::At(t) => at(Key::SaidAt, t),
                TimeWish::After(t) => at(Key::SaidAfter, t),
                TimeWish::Before(t) => at(Key::SaidBefore, t),
                TimeWish::Part(DayPart::Morning) => self.tr(Key::SaidMorning, &[]),
                TimeWish::Part(DayPart::Afternoon) => self.tr(Key::SaidAfternoon, &[]),
                TimeWish::Part(DayPart::Evening) => self.tr(Key::SaidEvening, &[]),
            });
        }
        if parts.is_empty() {
            return lead;
        }
        let line = self.tr(Key::Understood, &[("what", &parts.join(", "))]);
        Some(match lead {
            Some(lead) => format!("{lead}\n{line}"),
            None => line,
        })
    }

    pub(super) fn merge_time(&self, draft: &mut Draft, input: &Input) {
        if let Some(time) = input.interp.time {
            draft.time = Some(time);
        }
    }

    /// Goes to the first step the draft does not settle yet.
    pub(super) fn advance(&mut self, mut draft: Draft, lead: Option<String>) {
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
                self.show(
                    Stage::Service {
                        draft,
                        candidates: Vec::new(),
                    },
                    lead,
                );
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

    pub(super) fn ask_week(&mut self, draft: Draft, week: u32) {
        let Some(service) = draft.service.clone() else {
            self.advance(draft, None);
            return;
        };
        let from = week_start(self.ctx, &draft, week);
        let request = BridgeRequest::Slots {
            service,
            provider: draft.provider.as_ref().and_then(|p| p.id().cloned()),
            from,
            days: 7,
        };
        self.ask(request, Pending::Week { week }, draft);
    }

    pub(super) fn hold(&mut self, mut draft: Draft, slot: Slot) {
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

    pub(super) fn local_time(&self, slot: &Slot) -> NaiveTime {
        self.ctx.tenant.zone.local(slot.start).time()
    }

    /// Local days among `slots`, preferring days with a slot that fits the time wish.
    pub(super) fn days_with(
        &self,
        slots: &[Slot],
        wish: Option<TimeWish>,
    ) -> Vec<chrono::NaiveDate> {
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

    pub(super) fn on_day_slots(&mut self, mut draft: Draft, slots: &[Slot]) {
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
            // Not free then (never was, or no longer): offer the nearest times that day.
            let mut nearest = day_slots.clone();
            nearest.sort_by_key(|s| (self.local_time(s) - at).num_minutes().abs());
            nearest.truncate(ITEMS_MAX);
            nearest.sort_by_key(|s| s.start);
            let lead = self.tr(
                Key::NotFreeAt,
                &[
                    ("time", &i18n::time(lang, at)),
                    ("day", &i18n::day_long(lang, day)),
                ],
            );
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

    pub(super) fn on_taken(&mut self, mut draft: Draft, mut alternatives: Vec<Slot>) {
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
}

/// The first day of week `week` of a search: from today, or from the week the customer
/// asked about (never before today).
pub(in crate::conversation) fn week_start(ctx: &Ctx<'_>, draft: &Draft, week: u32) -> NaiveDate {
    let today = ctx.today();
    let base = draft.from.filter(|f| *f > today).unwrap_or(today);
    base.checked_add_days(Days::new(7 * u64::from(week)))
        .unwrap_or(today)
}
