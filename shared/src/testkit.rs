//! A test kit for the conversation: the demo salon, an in-memory bridge and a shell that
//! drives a conversation the way the worker does. Used by this crate's tests and
//! benchmarks (feature `testkit`); the bridge's real engine is tested against the same
//! expectations in its own crate.

#![allow(missing_docs)]

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use crate::catalog::{
    Catalog, Money, Policy, Provider, ProviderId, Service, ServiceId, TenantId, TenantProfile,
};
use crate::conversation::{Conversation, Ctx, Effect, Event, step};
use crate::lang::Lang;
use crate::phone::PhoneNumber;
use crate::render::{self, Reply};
use crate::wire::{Booking, BridgeAnswer, BridgeRequest, Hold, Slot};

// ----- the world --------------------------------------------------------------------

/// The demo salon in `zone`, with the zone's offsets around `now`.
pub fn tenant(zone: chrono_tz::Tz, now: DateTime<Utc>) -> TenantProfile {
    profile(
        "bella",
        "Salon Bella",
        zone,
        vec![Lang::En, Lang::Es, Lang::Pt],
        now,
    )
}

/// A business's profile with the default policy and no extras, its zone's offsets around
/// `now`.
pub fn profile(
    id: &str,
    name: &str,
    zone: chrono_tz::Tz,
    languages: Vec<Lang>,
    now: DateTime<Utc>,
) -> TenantProfile {
    TenantProfile {
        id: TenantId::from(id),
        name: name.into(),
        zone: crate::zone::Zone::from_tz(zone, now - Duration::days(30), now + Duration::days(500)),
        languages,
        greeting: None,
        emoji: false,
        policy: Policy::default(),
        interactive: false,
        address: None,
        maps_url: None,
        llm_monthly_calls: 0,
        logo_url: None,
        flow_content: Default::default(),
    }
}

pub fn catalog() -> Catalog {
    let svc =
        |id: &str, name: &str, min: u32, cents: i64, deposit: Option<i64>, aliases: &[&str]| {
            Service {
                id: id.into(),
                name: name.into(),
                description: String::new(),
                duration_min: min,
                price: Money::new(cents, "EUR"),
                deposit: deposit.map(|d| Money::new(d, "EUR")),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                translations: Default::default(),
                image_url: None,
            }
        };
    let prov = |id: &str, name: &str, rating: u8, services: &[&str]| Provider {
        id: id.into(),
        name: name.into(),
        rating_tenths: Some(rating),
        aliases: vec![],
        services: services.iter().map(|s| (*s).into()).collect(),
    };
    Catalog {
        services: vec![
            svc(
                "haircut",
                "Haircut",
                30,
                2000,
                None,
                &["corte de pelo", "corte de cabelo", "corte"],
            ),
            svc(
                "colour",
                "Colour",
                90,
                6000,
                Some(1500),
                &["color", "coloracion", "coloracao", "tinte"],
            ),
            svc(
                "manicure",
                "Manicure",
                45,
                2500,
                None,
                &["manicura", "unhas"],
            ),
        ],
        providers: vec![
            prov("maria-s", "Maria Silva", 48, &["haircut", "colour"]),
            prov("maria-c", "Maria Costa", 45, &["haircut", "manicure"]),
            prov(
                "joao",
                "João Pereira",
                49,
                &["haircut", "colour", "manicure"],
            ),
        ],
    }
}

/// A bridge that knows opening hours (09:00–18:00 local, every 30 minutes) and keeps holds
/// and bookings in memory.
pub struct FakeBridge {
    pub zone: chrono_tz::Tz,
    pub catalog: Catalog,
    pub open_sundays: bool,
    pub down: bool,
    /// Starts someone else took after they were listed.
    pub taken: Vec<(ProviderId, DateTime<Utc>)>,
    pub holds: Vec<(Hold, PhoneNumber)>,
    pub bookings: Vec<(Booking, PhoneNumber)>,
    pub refs: u32,
    pub requests: Vec<BridgeRequest>,
    /// Deposits are taken (through Stripe, as the bridge would): confirming a hold whose
    /// service has one answers `PaymentDue` until the hold is in `paid`.
    pub takes_deposits: bool,
    /// Holds whose deposit was paid.
    pub paid: Vec<String>,
}

impl FakeBridge {
    /// A bridge with nothing booked, closed on Sundays.
    pub fn new(zone: chrono_tz::Tz) -> Self {
        Self {
            zone,
            catalog: catalog(),
            open_sundays: false,
            down: false,
            taken: Vec::new(),
            holds: Vec::new(),
            bookings: Vec::new(),
            refs: 0,
            requests: Vec::new(),
            takes_deposits: false,
            paid: Vec::new(),
        }
    }

    fn duration(&self, service: &ServiceId) -> Duration {
        Duration::minutes(i64::from(
            self.catalog.service(service).map_or(30, |s| s.duration_min),
        ))
    }

    fn busy(&self, provider: &ProviderId, start: DateTime<Utc>, len: Duration) -> bool {
        let overlaps = |s: DateTime<Utc>, l: Duration| s < start + len && start < s + l;
        self.taken
            .iter()
            .any(|(p, s)| p == provider && overlaps(*s, Duration::minutes(30)))
            || self.holds.iter().any(|(h, _)| {
                &h.provider == provider && overlaps(h.start, self.duration(&h.service))
            })
            || self.bookings.iter().any(|(b, _)| {
                &b.provider == provider && overlaps(b.start, self.duration(&b.service))
            })
    }

    fn free(
        &self,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        from: NaiveDate,
        days: u32,
        now: DateTime<Utc>,
    ) -> Vec<Slot> {
        let len = self.duration(service);
        let providers: Vec<ProviderId> = self
            .catalog
            .providers_for(service)
            .filter(|p| provider.is_none_or(|id| &p.id == id))
            .map(|p| p.id.clone())
            .collect();
        let mut out = Vec::new();
        for d in 0..days {
            let day = from + Duration::days(i64::from(d));
            if day.weekday() == Weekday::Sun && !self.open_sundays {
                continue;
            }
            let mut minutes = 9 * 60;
            while minutes + len.num_minutes() <= 18 * 60 {
                let local = day
                    .and_hms_opt(minutes as u32 / 60, minutes as u32 % 60, 0)
                    .unwrap();
                minutes += 30;
                let Some(start) = self.zone.from_local_datetime(&local).earliest() else {
                    continue;
                };
                let start = start.with_timezone(&Utc);
                if start <= now {
                    continue;
                }
                let free: Vec<&ProviderId> = providers
                    .iter()
                    .filter(|p| !self.busy(p, start, len))
                    .collect();
                if free.is_empty() {
                    continue;
                }
                out.push(Slot {
                    start,
                    provider: provider.map(|_| free[0].clone()),
                });
            }
        }
        out
    }

    /// Answers a request as the bridge would.
    pub fn handle(&mut self, request: BridgeRequest, now: DateTime<Utc>) -> BridgeAnswer {
        self.requests.push(request.clone());
        if self.down {
            return BridgeAnswer::Unavailable;
        }
        match request {
            BridgeRequest::Slots {
                service,
                provider,
                from,
                days,
            } => BridgeAnswer::Slots {
                slots: self.free(&service, provider.as_ref(), from, days, now),
            },
            BridgeRequest::Hold {
                service,
                provider,
                start,
                customer,
                ..
            } => {
                let len = self.duration(&service);
                let chosen = self
                    .catalog
                    .providers_for(&service)
                    .filter(|p| provider.as_ref().is_none_or(|id| &p.id == id))
                    .find(|p| !self.busy(&p.id, start, len))
                    .map(|p| p.id.clone());
                match chosen {
                    Some(provider) => {
                        let hold = Hold {
                            id: format!("hold-{}", self.holds.len() + 1),
                            service,
                            provider,
                            start,
                            expires_at: now + Duration::minutes(10),
                        };
                        self.holds.push((hold.clone(), customer));
                        BridgeAnswer::Held { hold }
                    }
                    None => {
                        let local = start.with_timezone(&self.zone).date_naive();
                        let mut alternatives =
                            self.free(&service, provider.as_ref(), local, 1, now);
                        alternatives.sort_by_key(|s| (s.start - start).num_minutes().abs());
                        alternatives.truncate(3);
                        alternatives.sort_by_key(|s| s.start);
                        BridgeAnswer::Taken { alternatives }
                    }
                }
            }
            BridgeRequest::Release { hold } => {
                self.holds.retain(|(h, _)| h.id != hold);
                BridgeAnswer::Released
            }
            BridgeRequest::Confirm { hold, .. }
                if self.takes_deposits
                    && !self.paid.contains(&hold)
                    && self.deposit_of(&hold).is_some() =>
            {
                let amount = self.deposit_of(&hold).unwrap_or_else(|| unreachable!());
                let mut h = self
                    .holds
                    .iter()
                    .find(|(h, _)| h.id == hold)
                    .map(|(h, _)| h.clone())
                    .unwrap_or_else(|| unreachable!());
                h.expires_at = now + Duration::minutes(30);
                BridgeAnswer::PaymentDue {
                    url: Some(format!(
                        "https://checkout.stripe.com/c/pay/cs_test_{}",
                        h.id
                    )),
                    hold: h,
                    amount,
                }
            }
            BridgeRequest::Confirm { hold, .. } => match self.take_hold(&hold) {
                Some((hold, customer)) => {
                    self.refs += 1;
                    let booking = Booking {
                        reference: format!("SL-{:04}", self.refs),
                        deposit: self
                            .catalog
                            .service(&hold.service)
                            .and_then(|s| s.deposit.clone()),
                        service: hold.service,
                        provider: hold.provider,
                        start: hold.start,
                        reminded_at: None,
                    };
                    self.bookings.push((booking.clone(), customer));
                    BridgeAnswer::Booked { booking }
                }
                None => BridgeAnswer::Failed {
                    reason: "hold expired".into(),
                },
            },
            BridgeRequest::Reschedule { booking, hold, .. } => match self.take_hold(&hold) {
                Some((hold, _)) => {
                    let Some((b, _)) = self
                        .bookings
                        .iter_mut()
                        .find(|(b, _)| b.reference == booking)
                    else {
                        return BridgeAnswer::Failed {
                            reason: "no such booking".into(),
                        };
                    };
                    b.start = hold.start;
                    b.provider = hold.provider;
                    BridgeAnswer::Rescheduled { booking: b.clone() }
                }
                None => BridgeAnswer::Failed {
                    reason: "hold expired".into(),
                },
            },
            BridgeRequest::Cancel {
                booking, customer, ..
            } => {
                let Some(i) = self
                    .bookings
                    .iter()
                    .position(|(b, c)| b.reference == booking && c == &customer)
                else {
                    return BridgeAnswer::Failed {
                        reason: "no such booking".into(),
                    };
                };
                let (booking, _) = self.bookings.remove(i);
                BridgeAnswer::Cancelled {
                    refund: booking.deposit.clone(),
                    booking,
                }
            }
            BridgeRequest::Delivery { .. }
            | BridgeRequest::Seen { .. }
            | BridgeRequest::OptOut { .. } => BridgeAnswer::Recorded,
            BridgeRequest::ModelCall => BridgeAnswer::ModelCall { allowed: true },
            BridgeRequest::Rate { reference, .. } => BridgeAnswer::Rated {
                reference: reference
                    .or_else(|| self.bookings.last().map(|(b, _)| b.reference.clone())),
            },
            BridgeRequest::Bookings { customer } => BridgeAnswer::Bookings {
                bookings: self
                    .bookings
                    .iter()
                    .filter(|(_, c)| c == &customer)
                    .map(|(b, _)| b.clone())
                    .collect(),
            },
        }
    }

    /// The deposit a held slot's service asks for.
    fn deposit_of(&self, hold: &str) -> Option<crate::catalog::Money> {
        let (h, _) = self.holds.iter().find(|(h, _)| h.id == hold)?;
        self.catalog.service(&h.service)?.deposit.clone()
    }

    fn take_hold(&mut self, id: &str) -> Option<(Hold, PhoneNumber)> {
        let i = self.holds.iter().position(|(h, _)| h.id == id)?;
        Some(self.holds.remove(i))
    }
}

/// The shell around one customer's conversation.
pub struct Sim {
    pub conv: Conversation,
    pub tenant: TenantProfile,
    pub catalog: Catalog,
    pub customer: PhoneNumber,
    pub now: DateTime<Utc>,
    pub bridge: FakeBridge,
    pub handoffs: usize,
    pub opt_outs: Vec<bool>,
    pub timers: Vec<DateTime<Utc>>,
    /// Every reply of the last exchange, as structured replies.
    pub last: Vec<Reply>,
}

/// Monday 23 November 2026, 10:00 UTC (11:00 in Madrid).
pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    /// A new customer of the demo salon in Madrid on [`monday`].
    pub fn new() -> Self {
        Self::at(monday(), chrono_tz::Europe::Madrid)
    }

    /// A new customer at `now`, the salon in `zone`.
    pub fn at(now: DateTime<Utc>, zone: chrono_tz::Tz) -> Self {
        Self {
            conv: Conversation::default(),
            tenant: tenant(zone, now),
            catalog: catalog(),
            customer: PhoneNumber::parse("+34600111222").unwrap(),
            now,
            bridge: FakeBridge::new(zone),
            handoffs: 0,
            opt_outs: Vec::new(),
            timers: Vec::new(),
            last: Vec::new(),
        }
    }

    /// A new customer (`customer`, E.164) of another business at `now`, its bridge knowing
    /// the same catalog.
    pub fn business(
        now: DateTime<Utc>,
        zone: chrono_tz::Tz,
        tenant: TenantProfile,
        catalog: Catalog,
        customer: &str,
    ) -> Self {
        let mut sim = Self::at(now, zone);
        sim.tenant = tenant;
        sim.bridge.catalog = catalog.clone();
        sim.catalog = catalog;
        sim.customer = PhoneNumber::parse(customer).expect("an E.164 number");
        sim
    }

    /// Steps the conversation with `event`, answering bridge requests, and returns the
    /// replies as plain text.
    pub fn run(&mut self, mut event: Event) -> String {
        self.last.clear();
        for _ in 0..10 {
            let ctx = Ctx {
                now: self.now,
                tenant: &self.tenant,
                catalog: &self.catalog,
                customer: &self.customer,
            };
            let step = step(std::mem::take(&mut self.conv), event, &ctx);
            self.conv = step.state;
            let mut answer = None;
            for effect in step.effects {
                match effect {
                    Effect::Reply(r) => self.last.push(r),
                    Effect::Ask(req) => answer = Some(self.bridge.handle(req, self.now)),
                    Effect::Notify(req) => {
                        self.bridge.handle(req, self.now);
                    }
                    Effect::Handoff => self.handoffs += 1,
                    Effect::OptOut(v) => self.opt_outs.push(v),
                    Effect::Timer(at) => self.timers.push(at),
                }
            }
            match answer {
                Some(a) => event = Event::Bridge(a),
                None => break,
            }
        }
        self.last
            .iter()
            .map(render::plain_text)
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    /// The customer writes `text`.
    pub fn say(&mut self, text: &str) -> String {
        self.run(Event::Text(text.into()))
    }

    /// The customer taps the option with this id.
    pub fn tap(&mut self, id: &str) -> String {
        let id: crate::conversation::OptionId = id.parse().expect("an option id");
        let title = self
            .last
            .iter()
            .flat_map(|r| &r.options)
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.title.clone());
        self.run(Event::Choice { id, title })
    }

    /// Ids of the options offered in the last exchange.
    pub fn option_ids(&self) -> Vec<String> {
        self.last
            .iter()
            .flat_map(|r| &r.options)
            .map(|o| o.id.to_string())
            .collect()
    }

    /// Moves time on.
    pub fn later(&mut self, d: Duration) {
        self.now += d;
    }
}

/// Plays a dialogue: each customer line, then fragments the bot's answer must contain.
#[track_caller]
pub fn dialogue(sim: &mut Sim, lines: &[(&str, &[&str])]) {
    for (said, expected) in lines {
        let reply = sim.say(said);
        for fragment in *expected {
            assert!(
                reply.contains(fragment),
                "customer: {said:?}\nexpected the bot to say {fragment:?}\nbot said:\n{reply}"
            );
        }
    }
}

pub fn booked(sim: &Sim) -> Vec<Booking> {
    sim.bridge.bookings.iter().map(|(b, _)| b.clone()).collect()
}

pub fn madrid(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Madrid
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// One conversation in every stage, reached the way customers reach them.
pub fn sample_states() -> Vec<Conversation> {
    let mut out = Vec::new();
    let mut keep = |sim: &Sim| out.push(sim.conv.clone());
    let mut sim = Sim::new();
    keep(&sim); // Menu
    for line in ["hi", "haircut", "João", "tuesday", "morning", "1"] {
        sim.say(line);
        keep(&sim); // Service, Provider, Day, Part, Time, Confirm
    }
    sim.say("yes");
    for line in ["my bookings", "1", "cancel it"] {
        sim.say(line);
        keep(&sim); // Bookings, BookingAction, CancelConfirm
    }
    let mut s = Sim::new();
    s.say("haircut with Maria tomorrow");
    keep(&s); // Provider (which Maria?)
    let mut s = Sim::new();
    s.say("haircut next friday");
    keep(&s); // Date
    let mut s = Sim::new();
    s.say("haircut with João tomorrow");
    s.say("language");
    keep(&s); // Language
    let mut s = Sim::new();
    s.say("haircut with João");
    s.later(Duration::hours(3));
    s.say("ok");
    keep(&s); // Resume
    out
}
