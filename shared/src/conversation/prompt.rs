//! What each stage says and which options it offers.
//!
//! Every option carries an [`OptionId`]; the flow acts on it whether it arrives as a tap or
//! is picked by number or title from the text.

use chrono::{DateTime, Utc};

use super::{BookingAct, Ctx, OptionId, Purpose, Stage, slots_on};
use crate::catalog::Money;
use crate::i18n::{self, Key, Lang, t};
use crate::nlu::DayPart;
use crate::render::{ITEMS_MAX, Opt, Reply};
use crate::wire::{Booking, Slot};

/// The local day and time of `start`: "Tuesday 24 November at 3:00 pm".
pub(crate) fn when_local(start: DateTime<Utc>, lang: Lang, ctx: &Ctx<'_>) -> String {
    let local = ctx.tenant.zone.local(start);
    i18n::when(lang, local.date(), local.time())
}

/// "Haircut with Maria Silva, Tue 24 Nov 3:00 pm".
pub(crate) fn booking_line(booking: &Booking, lang: Lang, ctx: &Ctx<'_>) -> String {
    let service = ctx
        .catalog
        .service(&booking.service)
        .map_or(booking.service.as_str(), |s| s.name_in(lang));
    let provider = ctx
        .catalog
        .provider(&booking.provider)
        .map_or(booking.provider.as_str(), |p| p.name.as_str());
    let local = ctx.tenant.zone.local(booking.start);
    format!(
        "{}, {} {}",
        t(
            lang,
            Key::WithProvider,
            &[("service", service), ("provider", provider)]
        ),
        i18n::day_short(lang, local.date()),
        i18n::time(lang, local.time())
    )
}

fn service_name<'c>(ctx: &Ctx<'c>, draft: &super::Draft, lang: Lang) -> &'c str {
    draft
        .service
        .as_ref()
        .and_then(|id| ctx.catalog.service(id))
        .map_or("", |s| s.name_in(lang))
}

fn opt(id: OptionId, lang: Lang, key: Key) -> Opt {
    Opt::new(id, t(lang, key, &[]))
}

/// The slots a time list shows, and whether more follow.
fn shown_slots(
    slots: &[Slot],
    part: Option<DayPart>,
    offset: usize,
    ctx: &Ctx<'_>,
) -> (Vec<Slot>, bool) {
    let matching: Vec<&Slot> = slots
        .iter()
        .filter(|s| part.is_none_or(|p| DayPart::of(ctx.tenant.zone.local(s.start).time()) == p))
        .skip(offset)
        .collect();
    if matching.len() > ITEMS_MAX {
        (
            matching[..ITEMS_MAX - 1]
                .iter()
                .map(|s| (*s).clone())
                .collect(),
            true,
        )
    } else {
        (matching.into_iter().cloned().collect(), false)
    }
}

fn price_line(lang: Lang, price: &Money, deposit: Option<&Money>) -> String {
    match deposit {
        Some(d) => format!(
            "{}\n{}",
            i18n::price(lang, price),
            t(
                lang,
                Key::DepositLine,
                &[("deposit", &i18n::price(lang, d))]
            )
        ),
        None => i18n::price(lang, price),
    }
}

/// The options a stage offers, in order.
pub fn options(stage: &Stage, lang: Lang, ctx: &Ctx<'_>) -> Vec<Opt> {
    let zone = &ctx.tenant.zone;
    match stage {
        Stage::Menu => vec![
            opt(OptionId::Book, lang, Key::Book),
            opt(OptionId::MyBookings, lang, Key::MyBookings),
            opt(OptionId::Human, lang, Key::TalkToPerson),
        ],
        Stage::Service { candidates, .. } => ctx
            .catalog
            .services
            .iter()
            .filter(|s| candidates.is_empty() || candidates.contains(&s.id))
            .take(ITEMS_MAX)
            .map(|s| {
                let mut description =
                    format!("{} min · {}", s.duration_min, i18n::price(lang, &s.price));
                let own = s.description_in(lang);
                if !own.is_empty() {
                    description = format!("{description} · {own}");
                }
                Opt::new(OptionId::Service(s.id.clone()), s.name_in(lang)).described(description)
            })
            .collect(),
        Stage::Provider {
            candidates, any, ..
        } => {
            let mut out: Vec<Opt> = candidates
                .iter()
                .filter_map(|id| ctx.catalog.provider(id))
                .take(ITEMS_MAX - 1)
                .map(|p| {
                    let o = Opt::new(OptionId::Provider(p.id.clone()), p.name.clone());
                    match p.rating_tenths {
                        Some(r) => o.described(format!("★ {}.{}", r / 10, r % 10)),
                        None => o,
                    }
                })
                .collect();
            if *any {
                out.push(opt(OptionId::AnyProvider, lang, Key::AnyProvider));
            }
            out
        }
        Stage::Date { choices, .. } => choices
            .iter()
            .map(|d| Opt::new(OptionId::Date(*d), i18n::day_long(lang, *d)))
            .collect(),
        Stage::Day { days, week, .. } => {
            let mut out: Vec<Opt> = days
                .iter()
                .map(|d| Opt::new(OptionId::Day(*d), i18n::day_short(lang, *d)))
                .collect();
            out.push(opt(OptionId::NextWeek, lang, Key::NextWeek));
            if *week > 0 {
                out.push(opt(OptionId::PrevWeek, lang, Key::PrevWeek));
            }
            out
        }
        Stage::Part { slots, .. } => [
            (DayPart::Morning, Key::Morning),
            (DayPart::Afternoon, Key::Afternoon),
            (DayPart::Evening, Key::Evening),
        ]
        .into_iter()
        .filter_map(|(part, key)| {
            let count = slots
                .iter()
                .filter(|s| DayPart::of(zone.local(s.start).time()) == part)
                .count();
            (count > 0).then(|| {
                Opt::new(
                    OptionId::Part(part),
                    format!("{} ({count})", t(lang, key, &[])),
                )
            })
        })
        .collect(),
        Stage::Time {
            slots,
            part,
            offset,
            ..
        } => {
            let (shown, more) = shown_slots(slots, *part, *offset, ctx);
            let mut out: Vec<Opt> = shown
                .iter()
                .map(|s| {
                    let local = zone.local(s.start);
                    Opt::new(
                        OptionId::Slot(s.start.timestamp()),
                        i18n::time(lang, local.time()),
                    )
                })
                .collect();
            if more {
                out.push(opt(OptionId::MoreTimes, lang, Key::MoreTimes));
            }
            out
        }
        Stage::Confirm { .. } => vec![
            opt(OptionId::Confirm, lang, Key::Confirm),
            opt(OptionId::Change, lang, Key::Change),
        ],
        Stage::Bookings { bookings, .. } => bookings
            .iter()
            .take(ITEMS_MAX)
            .map(|b| {
                let local = zone.local(b.start);
                let title = format!(
                    "{} {}",
                    i18n::day_short(lang, local.date()),
                    i18n::time(lang, local.time())
                );
                let service = ctx
                    .catalog
                    .service(&b.service)
                    .map_or("", |s| s.name_in(lang));
                Opt::new(OptionId::Booking(b.reference.clone()), title)
                    .described(format!("{service} · {}", b.reference))
            })
            .collect(),
        Stage::BookingAction { .. } => vec![
            opt(OptionId::Act(BookingAct::Reschedule), lang, Key::Reschedule),
            opt(OptionId::Act(BookingAct::Cancel), lang, Key::CancelBooking),
            opt(OptionId::Menu, lang, Key::Back),
        ],
        Stage::CancelConfirm { .. } => vec![
            opt(OptionId::Confirm, lang, Key::YesCancel),
            opt(OptionId::Decline, lang, Key::KeepBooking),
        ],
        Stage::Language { .. } => ctx
            .tenant
            .languages
            .iter()
            .map(|l| Opt::new(OptionId::Lang(*l), l.native_name()))
            .collect(),
        Stage::Resume { .. } => vec![
            opt(OptionId::Resume, lang, Key::Continue),
            opt(OptionId::Restart, lang, Key::StartOver),
        ],
        Stage::Paying { .. } => vec![opt(OptionId::Decline, lang, Key::CancelBooking)],
        Stage::Waiting { .. } => Vec::new(),
    }
}

/// What the stage says, with its options.
pub fn prompt(stage: &Stage, lang: Lang, ctx: &Ctx<'_>) -> Reply {
    let tr = |key: Key, values: &[(&str, &str)]| t(lang, key, values);
    let text = match stage {
        Stage::Menu => tr(Key::WhatToDo, &[]),
        Stage::Service { candidates, .. } if !candidates.is_empty() => tr(Key::WhichService, &[]),
        Stage::Service { .. } => tr(Key::ChooseService, &[]),
        Stage::Provider {
            draft,
            candidates,
            any,
        } => {
            let ambiguous_name = (!*any)
                .then(|| candidates.first().and_then(|id| ctx.catalog.provider(id)))
                .flatten()
                .and_then(|p| p.name.split_whitespace().next());
            match ambiguous_name {
                Some(name) => tr(Key::WhichProvider, &[("name", name)]),
                None => tr(
                    Key::ChooseProvider,
                    &[("service", service_name(ctx, draft, lang))],
                ),
            }
        }
        Stage::Date { choices, .. } => {
            let weekdays: Vec<_> = choices.iter().map(chrono::Datelike::weekday).collect();
            match weekdays.as_slice() {
                // "Next Friday": which Friday? "The weekend": which day?
                [first, rest @ ..] if rest.iter().all(|w| w == first) => tr(
                    Key::WhichDate,
                    &[("weekday", i18n::weekday_name(lang, *first))],
                ),
                _ => tr(Key::WhichDay, &[]),
            }
        }
        Stage::Day { draft, week, days } => {
            if days.is_empty() {
                let from = super::flow::week_start(ctx, draft, *week);
                let to = from.checked_add_days(chrono::Days::new(6)).unwrap_or(from);
                tr(
                    Key::NoDaysThisWeek,
                    &[
                        ("from", &i18n::day_short(lang, from)),
                        ("to", &i18n::day_short(lang, to)),
                    ],
                )
            } else {
                tr(
                    Key::ChooseDay,
                    &[("service", service_name(ctx, draft, lang))],
                )
            }
        }
        Stage::Part { draft, .. } => {
            let day = draft
                .date
                .map(|d| i18n::day_long(lang, d))
                .unwrap_or_default();
            tr(Key::ChoosePart, &[("day", &day)])
        }
        Stage::Time { draft, slots, .. } => {
            let day = draft
                .date
                .or_else(|| slots.first().map(|s| ctx.tenant.zone.date(s.start)))
                .map(|d| i18n::day_long(lang, d))
                .unwrap_or_default();
            let any_that_day = draft
                .date
                .is_none_or(|d| !slots_on(slots, d, ctx).is_empty());
            if slots.is_empty() || !any_that_day {
                tr(Key::NoTimesThatDay, &[("day", &day)])
            } else {
                tr(Key::ChooseTime, &[("day", &day)])
            }
        }
        Stage::Confirm { draft, hold } => {
            let service = ctx.catalog.service(&hold.service);
            let provider = ctx
                .catalog
                .provider(&hold.provider)
                .map_or(hold.provider.as_str(), |p| p.name.as_str());
            let price = service
                .map(|s| price_line(lang, &s.price, s.deposit.as_ref()))
                .unwrap_or_default();
            let hours = ctx.tenant.policy.cancellation_notice_hours.to_string();
            let policy = match service.and_then(|s| s.deposit.as_ref()) {
                Some(_) => tr(Key::PolicyDeposit, &[("hours", &hours)]),
                None => tr(Key::PolicyFree, &[("hours", &hours)]),
            };
            let summary = tr(
                Key::Summary,
                &[
                    ("service", service_name(ctx, draft, lang)),
                    ("provider", provider),
                    ("when", &when_local(hold.start, lang, ctx)),
                    ("price", &price),
                ],
            );
            format!("{summary}\n{policy}")
        }
        Stage::Bookings { purpose, .. } => {
            let header = tr(Key::BookingsHeader, &[]);
            match purpose {
                Purpose::View => header,
                Purpose::Reschedule => format!("{header} ({})", tr(Key::Reschedule, &[])),
                Purpose::Cancel => format!("{header} ({})", tr(Key::CancelBooking, &[])),
                Purpose::Attend => header,
            }
        }
        Stage::BookingAction { booking } => tr(
            Key::BookingAction,
            &[("booking", &booking_line(booking, lang, ctx))],
        ),
        Stage::CancelConfirm { booking } => {
            let ask = tr(
                Key::CancelAsk,
                &[("booking", &booking_line(booking, lang, ctx))],
            );
            let hours = ctx.tenant.policy.cancellation_notice_hours;
            let outcome = booking.deposit.as_ref().map(|deposit| {
                let amount = i18n::price(lang, deposit);
                let policy = &ctx.tenant.policy;
                match policy.refund_percent(booking.start, ctx.now) {
                    100 => tr(Key::CancelRefund, &[("amount", &amount)]),
                    0 => tr(
                        Key::CancelForfeit,
                        &[("amount", &amount), ("hours", &hours.to_string())],
                    ),
                    _ => {
                        let back = policy.refund_of(deposit, booking.start, ctx.now);
                        tr(
                            Key::CancelPartial,
                            &[
                                ("refund", &i18n::price(lang, &back)),
                                ("amount", &amount),
                                ("hours", &hours.to_string()),
                            ],
                        )
                    }
                }
            });
            match outcome {
                Some(outcome) => format!("{ask}\n{outcome}"),
                None => ask,
            }
        }
        Stage::Language { .. } => tr(Key::ChooseLanguage, &[]),
        Stage::Resume { previous } => {
            let service = previous
                .draft()
                .map(|d| service_name(ctx, d, lang))
                .unwrap_or("");
            tr(Key::Resume, &[("service", service)])
        }
        Stage::Paying {
            hold, amount, url, ..
        } => {
            let until = i18n::time(lang, ctx.tenant.zone.local(hold.expires_at).time());
            let amount = i18n::price(lang, amount);
            match url {
                Some(url) => tr(
                    Key::PayDeposit,
                    &[("amount", &amount), ("until", &until), ("url", url)],
                ),
                None => tr(
                    Key::PayLinkComing,
                    &[("amount", &amount), ("until", &until)],
                ),
            }
        }
        Stage::Waiting { .. } => String::new(),
    };
    Reply {
        text,
        options: options(stage, lang, ctx),
        list_button: tr(Key::ListButton, &[]),
        media_url: None,
        // Where a booking starts, a business with Flows on also offers its date-and-time
        // picker; the list stays for clients that cannot open Flows.
        flow: (matches!(stage, Stage::Service { .. })
            && ctx.tenant.flow_content.contains_key(&lang))
        .then_some(lang),
    }
}
