//! Lifecycle messages: when each is due and what it says (pure).
//!
//! A booking made, moved or cancelled rewrites its rows in the outbox in the same
//! transaction (see `Store::confirm`); the dispatcher ([`crate::dispatch`]) sends them. The
//! text is rendered at send time from the booking as it then stands, so a reminder can never
//! carry a stale time.
//!
//! Times are planned on the tenant's wall clock: the day-before reminder goes at the same
//! local time the day before (or at the tenant's chosen hour), which across a DST change is
//! 23 or 25 hours earlier, not 24. Quiet hours delay a message to their end, never drop it.

use chrono::{DateTime, Days, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use slotline_shared::lang::Lang;

use crate::model::{QuietHours, Reservation, Stage, Tenant};

/// What a booking change does to the outbox, decided here so every store carries it out
/// the same way: the booking's pending messages are replaced by `messages`, and the
/// customer's pending messages of the `withdraw` kinds, whatever booking they are about,
/// are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The booking's messages from now on.
    pub messages: Vec<Planned>,
    /// Kinds of the customer's pending messages that no longer apply.
    pub withdraw: Vec<Stage>,
}

impl From<Vec<Planned>> for Plan {
    fn from(messages: Vec<Planned>) -> Self {
        Plan {
            messages,
            withdraw: Vec::new(),
        }
    }
}

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Which message.
    pub stage: Stage,
    /// When it is meant for.
    pub due_at: DateTime<Utc>,
    /// When it may go: `due_at`, or the end of quiet hours.
    pub send_at: DateTime<Utc>,
}

/// The UTC instant of a local wall-clock time, by the platform's one rule
/// ([`slotline_shared::zone::to_utc`]): a skipped time becomes the end of the gap, a
/// repeated one its first occurrence.
pub fn local_to_utc(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    slotline_shared::zone::to_utc(zone, local, slotline_shared::zone::Fold::Earlier)
}

/// `at`, or the end of the quiet hours it falls in.
pub fn after_quiet_hours(zone: Tz, quiet: Option<QuietHours>, at: DateTime<Utc>) -> DateTime<Utc> {
    let Some(q) = quiet else {
        return at;
    };
    let local = at.with_timezone(&zone).naive_local();
    let time = local.time();
    let quiet_now = if q.from < q.to {
        time >= q.from && time < q.to
    } else {
        time >= q.from || time < q.to
    };
    if !quiet_now {
        return at;
    }
    // The end is today if it is still ahead of us, otherwise tomorrow.
    let mut end_date = local.date();
    if time >= q.to {
        end_date = end_date.checked_add_days(Days::new(1)).unwrap_or(end_date);
    }
    local_to_utc(zone, end_date.and_time(q.to))
}

/// The last minute before the quiet hours `at` falls in began.
fn before_quiet_hours(
    zone: Tz,
    quiet: Option<QuietHours>,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let q = quiet?;
    let local = at.with_timezone(&zone).naive_local();
    // The quiet period began today if its start is behind us today, else yesterday.
    let mut start_date = local.date();
    if local.time() < q.from {
        start_date = start_date.checked_sub_days(Days::new(1))?;
    }
    Some(local_to_utc(zone, start_date.and_time(q.from)) - Duration::minutes(1))
}

fn planned(tenant: &Tenant, stage: Stage, due_at: DateTime<Utc>) -> Planned {
    // News of money the customer has just moved answers them: it goes at once, quiet hours
    // or not (they are in the chat, waiting for it).
    let answers_customer = matches!(
        stage,
        Stage::Paid
            | Stage::PaymentExpired
            | Stage::PaidTooLate
            | Stage::Receipt
            | Stage::CreditNote
    );
    Planned {
        stage,
        due_at,
        send_at: if answers_customer {
            due_at
        } else {
            after_quiet_hours(tenant.zone, tenant.reminders.quiet_hours, due_at)
        },
    }
}

/// Who tells the customer that a booking is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// The conversation has said it.
    Already,
    /// This message, if the tenant sends it, planned like any other: a booking made outside
    /// WhatsApp ([`Stage::Confirmation`]; it waits for the end of quiet hours), or made by
    /// its deposit's payment ([`Stage::Paid`]; at once).
    By(Stage),
    /// This message, if the tenant sends it, at once, quiet hours or not: the customer made
    /// the booking themselves outside the conversation (in a WhatsApp Flow) and is waiting
    /// for its confirmation in the chat.
    Waiting(Stage),
}

/// The messages a confirmed booking should produce, from `now` on, beginning with the one
/// that tells the customer it is made (see [`Told`]).
pub fn plan_booking(
    tenant: &Tenant,
    booking: &Reservation,
    now: DateTime<Utc>,
    first: Told,
) -> Plan {
    let r = &tenant.reminders;
    let mut out = Vec::new();
    match first {
        Told::Already => {}
        Told::By(stage) if r.enabled(stage) => out.push(planned(tenant, stage, now)),
        Told::Waiting(stage) if r.enabled(stage) => out.push(Planned {
            stage,
            due_at: now,
            send_at: now,
        }),
        Told::By(_) | Told::Waiting(_) => {}
    }
    if r.day_before {
        let local = booking.start.with_timezone(&tenant.zone).naive_local();
        let day = local.date().checked_sub_days(Days::new(1));
        let time = r.day_before_at.unwrap_or(local.time());
        if let Some(day) = day {
            let due = local_to_utc(tenant.zone, day.and_time(time));
            // Booked less than a day ahead: the short reminder is enough.
            if due > now && due < booking.start {
                out.push(planned(tenant, Stage::DayBefore, due));
            }
        }
    }
    if r.shortly_before {
        let due = booking.start - Duration::minutes(i64::from(r.shortly_before_min));
        if due > now {
            // Quiet hours must not push a "see you soon" past the visit itself: it goes just
            // before they begin instead (or, if that is past too, when it is due).
            let mut p = planned(tenant, Stage::ShortlyBefore, due);
            if p.send_at >= booking.start {
                p.send_at = before_quiet_hours(tenant.zone, r.quiet_hours, due)
                    .filter(|t| *t > now)
                    .unwrap_or(due);
            }
            out.push(p);
        }
    }
    if r.follow_up {
        let due = booking.end + Duration::minutes(i64::from(r.follow_up_after_min));
        out.push(planned(tenant, Stage::FollowUp, due.max(now)));
    }
    if r.re_engage {
        let due = booking.end + Duration::days(i64::from(r.re_engage_after_days));
        out.push(planned(tenant, Stage::ReEngage, due.max(now)));
    }
    Plan {
        messages: out,
        // The customer is back: an invitation to come back no longer applies.
        withdraw: vec![Stage::ReEngage],
    }
}

/// A message sent at once about a change the business made.
pub fn plan_now(tenant: &Tenant, stage: Stage, now: DateTime<Utc>) -> Planned {
    planned(tenant, stage, now)
}

/// The messages a booking marked absent should produce.
pub fn plan_no_show(tenant: &Tenant, now: DateTime<Utc>) -> Vec<Planned> {
    if tenant.reminders.no_show {
        vec![planned(tenant, Stage::NoShow, now)]
    } else {
        Vec::new()
    }
}

pub use slotline_shared::notice::{Facts, render};

/// `ContentVariables` for an approved template, the same for every stage:
/// `1` business, `2` service, `3` provider, `4` local date and time, `5` reference.
pub fn variables(lang: Lang, facts: &Facts) -> String {
    json!({
        "1": facts.business,
        "2": facts.service,
        "3": facts.provider,
        "4": facts.when(lang),
        "5": facts.reference,
    })
    .to_string()
}

/// `ContentVariables` for a template whose variables hold `fields` in order (`{{1}}` is
/// `fields[0]`): `business`, `service`, `provider`, `when` or `reference`.
pub fn variables_in(lang: Lang, facts: &Facts, fields: &[String]) -> String {
    let values: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let value = match field.as_str() {
                "business" => facts.business.clone(),
                "service" => facts.service.clone(),
                "provider" => facts.provider.clone(),
                "when" => facts.when(lang),
                _ => facts.reference.clone(),
            };
            ((i + 1).to_string(), serde_json::Value::String(value))
        })
        .collect();
    serde_json::Value::Object(values).to_string()
}

/// A lifecycle message as a WhatsApp template: its body with `{{1}}`… numbered in the
/// order the booking's details first appear, and those details in that order. WhatsApp
/// refuses a template that starts or ends with a variable, so such a body gets a word
/// before or a full stop after.
pub fn template_body(stage: Stage, lang: Lang) -> (String, Vec<String>) {
    const FIELDS: [&str; 5] = ["business", "service", "provider", "when", "reference"];
    let text = slotline_shared::i18n::notice_text(stage, lang);
    let mut fields: Vec<String> = Vec::new();
    let mut body = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        body.push_str(&rest[..open]);
        if FIELDS.contains(&name) {
            let n = match fields.iter().position(|f| f == name) {
                Some(i) => i + 1,
                None => {
                    fields.push(name.to_owned());
                    fields.len()
                }
            };
            body.push_str(&format!("{{{{{n}}}}}"));
        } else {
            body.push_str(&rest[open..=open + close]);
        }
        rest = &rest[open + close + 1..];
    }
    body.push_str(rest);
    if body.starts_with("{{") {
        body = format!("📅 {body}");
    }
    if body.ends_with("}}") {
        body.push('.');
    }
    (body, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reminders, Status};
    use chrono::{NaiveDate, NaiveTime};
    use chrono_tz::Europe::Madrid;

    fn tenant(reminders: Reminders) -> Tenant {
        let mut t = crate::ports::store_conformance::tenant("salon");
        t.reminders = reminders;
        t
    }

    fn booking_at(local: NaiveDateTime, minutes: i64) -> Reservation {
        let start = local_to_utc(Madrid, local);
        Reservation {
            id: "r1".into(),
            reference: Some("SL-TEST".into()),
            tenant: "salon".into(),
            provider: "maria".into(),
            service: "haircut".into(),
            customer: slotline_shared::phone::PhoneNumber::parse("+34600111222").unwrap(),
            start,
            end: start + Duration::minutes(minutes),
            block_start: start,
            block_end: start + Duration::minutes(minutes),
            status: Status::Confirmed,
            expires_at: None,
            deposit: None,
            created_at: start - Duration::days(3),
        }
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    /// The plan as (stage, local send time) pairs.
    fn plan_local(t: &Tenant, b: &Reservation, now: DateTime<Utc>) -> Vec<(Stage, NaiveDateTime)> {
        plan_booking(t, b, now, Told::By(Stage::Confirmation))
            .messages
            .into_iter()
            .map(|p| (p.stage, p.send_at.with_timezone(&Madrid).naive_local()))
            .collect()
    }

    #[test]
    fn a_booking_plans_each_message_at_its_local_time() {
        let t = tenant(Reminders::default());
        let b = booking_at(local(2026, 12, 10, 11, 0), 30);
        let now = local_to_utc(Madrid, local(2026, 12, 1, 12, 0));
        assert_eq!(
            plan_local(&t, &b, now),
            vec![
                (Stage::Confirmation, local(2026, 12, 1, 12, 0)),
                (Stage::DayBefore, local(2026, 12, 9, 11, 0)),
                (Stage::ShortlyBefore, local(2026, 12, 10, 9, 0)),
                (Stage::FollowUp, local(2026, 12, 10, 13, 30)),
                (Stage::ReEngage, local(2027, 1, 9, 11, 30)),
            ]
        );
    }

    #[test]
    fn the_day_before_keeps_the_wall_clock_across_a_dst_change() {
        let t = tenant(Reminders::default());
        // Madrid leaves summer time on Sunday 25 October 2026 at 03:00 → 02:00.
        let b = booking_at(local(2026, 10, 25, 10, 0), 30);
        let now = local_to_utc(Madrid, local(2026, 10, 20, 12, 0));
        let plan = plan_booking(&t, &b, now, Told::Already).messages;
        let day_before = plan.iter().find(|p| p.stage == Stage::DayBefore).unwrap();
        assert_eq!(
            day_before.send_at.with_timezone(&Madrid).naive_local(),
            local(2026, 10, 24, 10, 0)
        );
        // 25 hours of real time, not 24.
        assert_eq!(b.start - day_before.send_at, Duration::hours(25));
        // And into summer time (29 March 2026, 02:00 → 03:00): 23 hours.
        let b = booking_at(local(2026, 3, 29, 10, 0), 30);
        let now = local_to_utc(Madrid, local(2026, 3, 20, 12, 0));
        let plan = plan_booking(&t, &b, now, Told::Already).messages;
        let day_before = plan.iter().find(|p| p.stage == Stage::DayBefore).unwrap();
        assert_eq!(b.start - day_before.send_at, Duration::hours(23));
    }

    #[test]
    fn quiet_hours_delay_to_their_end_and_never_drop() {
        let t = tenant(Reminders::default()); // quiet 21:00–09:00
        // A 08:30 visit: the day-before reminder (08:30) waits until 09:00; the short one
        // (06:30) would land after the visit if delayed, so it goes before the quiet hours
        // began, at 20:59 the evening before.
        let b = booking_at(local(2026, 12, 10, 8, 30), 60);
        let now = local_to_utc(Madrid, local(2026, 12, 1, 22, 15));
        assert_eq!(
            plan_local(&t, &b, now),
            vec![
                (Stage::Confirmation, local(2026, 12, 2, 9, 0)),
                (Stage::DayBefore, local(2026, 12, 9, 9, 0)),
                (Stage::ShortlyBefore, local(2026, 12, 9, 20, 59)),
                (Stage::FollowUp, local(2026, 12, 10, 11, 30)),
                (Stage::ReEngage, local(2027, 1, 9, 9, 30)),
            ]
        );
        // Quiet hours within one day (13:00–15:00) work too.
        let q = QuietHours {
            from: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
            to: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
        };
        let at = local_to_utc(Madrid, local(2026, 12, 1, 14, 0));
        assert_eq!(
            after_quiet_hours(Madrid, Some(q), at),
            local_to_utc(Madrid, local(2026, 12, 1, 15, 0))
        );
    }

    #[test]
    fn switched_off_stages_and_past_times_are_not_planned() {
        let t = tenant(Reminders {
            follow_up: false,
            re_engage: false,
            quiet_hours: None,
            day_before_at: NaiveTime::from_hms_opt(18, 0, 0),
            ..Reminders::default()
        });
        // Booked at 19:00 for tomorrow 10:00: the 18:00 day-before reminder is past.
        let b = booking_at(local(2026, 12, 10, 10, 0), 30);
        let now = local_to_utc(Madrid, local(2026, 12, 9, 19, 0));
        assert_eq!(
            plan_local(&t, &b, now),
            vec![
                (Stage::Confirmation, local(2026, 12, 9, 19, 0)),
                (Stage::ShortlyBefore, local(2026, 12, 10, 8, 0)),
            ]
        );
        // Booked at 17:00: the 18:00 reminder is still ahead.
        let now = local_to_utc(Madrid, local(2026, 12, 9, 17, 0));
        assert!(plan_local(&t, &b, now).contains(&(Stage::DayBefore, local(2026, 12, 9, 18, 0))));
    }

    #[test]
    fn news_of_a_payment_goes_at_once_even_in_quiet_hours() {
        let t = tenant(Reminders::default()); // quiet 21:00–09:00
        let now = local_to_utc(Madrid, local(2026, 12, 1, 22, 15));
        for stage in [Stage::Paid, Stage::PaymentExpired, Stage::PaidTooLate] {
            assert_eq!(plan_now(&t, stage, now).send_at, now, "{stage:?}");
        }
        let b = booking_at(local(2026, 12, 10, 11, 0), 30);
        let plan = plan_booking(&t, &b, now, Told::By(Stage::Paid)).messages;
        assert_eq!((plan[0].stage, plan[0].send_at), (Stage::Paid, now));
        // A confirmation of a booking made elsewhere still waits for the morning…
        assert_eq!(
            plan_now(&t, Stage::Confirmation, now).send_at,
            local_to_utc(Madrid, local(2026, 12, 2, 9, 0))
        );
        // …unless the customer made it in a Flow and waits in the chat for it.
        let plan = plan_booking(&t, &b, now, Told::Waiting(Stage::Confirmation)).messages;
        assert_eq!((plan[0].stage, plan[0].send_at), (Stage::Confirmation, now));
        // A business that sends no confirmations sends none of these either.
        let mut silent = tenant(Reminders::default());
        silent.reminders.confirmation = false;
        let plan = plan_booking(&silent, &b, now, Told::Waiting(Stage::Confirmation)).messages;
        assert!(
            plan.iter().all(|p| p.stage != Stage::Confirmation),
            "{plan:?}"
        );
    }

    #[test]
    fn a_new_booking_withdraws_the_invitation_to_come_back() {
        let t = tenant(Reminders::default());
        let b = booking_at(local(2026, 12, 10, 11, 0), 30);
        let now = local_to_utc(Madrid, local(2026, 12, 1, 12, 0));
        assert_eq!(
            plan_booking(&t, &b, now, Told::Already).withdraw,
            [Stage::ReEngage]
        );
    }

    #[test]
    fn template_variables_carry_the_booking() {
        let facts = Facts {
            business: "Salon Bella".into(),
            service: "Haircut".into(),
            provider: "Maria".into(),
            local_start: local(2026, 12, 10, 11, 0),
            reference: "SL-7K3Q".into(),
        };
        let vars: serde_json::Value = serde_json::from_str(&variables(Lang::Es, &facts)).unwrap();
        assert_eq!(vars["5"], "SL-7K3Q");
        assert_eq!(vars["1"], "Salon Bella");
        assert_eq!(vars["4"], "jueves 10 de diciembre a las 11:00");
    }

    #[test]
    fn templates_number_their_variables_in_order_and_never_start_or_end_with_one() {
        for stage in Stage::ALL {
            for lang in [Lang::En, Lang::Es, Lang::Pt, Lang::PtBr] {
                let (body, fields) = template_body(stage, lang);
                assert!(!body.starts_with("{{") && !body.ends_with("}}"), "{body}");
                assert!(
                    !body.contains("{business}") && !body.contains("{when}"),
                    "{body}"
                );
                for (i, _) in fields.iter().enumerate() {
                    assert!(
                        body.contains(&format!("{{{{{}}}}}", i + 1)),
                        "{body} {fields:?}"
                    );
                }
                assert!(!body.contains(&format!("{{{{{}}}}}", fields.len() + 1)));
            }
        }
        let (body, fields) = template_body(Stage::Confirmation, Lang::En);
        assert_eq!(
            fields,
            ["business", "service", "provider", "when", "reference"]
        );
        assert!(
            body.starts_with("📅 {{1}}: your {{2}} with {{3}}"),
            "{body}"
        );
        let facts = Facts {
            business: "Zen".into(),
            service: "Massage".into(),
            provider: "Ana".into(),
            local_start: local(2026, 3, 4, 10, 0),
            reference: "SL-1".into(),
        };
        let vars: serde_json::Value = serde_json::from_str(&variables_in(
            Lang::En,
            &facts,
            &["service".into(), "reference".into()],
        ))
        .unwrap();
        assert_eq!(vars, serde_json::json!({"1": "Massage", "2": "SL-1"}));
    }
}
