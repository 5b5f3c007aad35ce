//! What each screen of the booking Flow shows, and what submitting it does.
//!
//! Every answer is built from live data: free days and times come from the scheduler's
//! slot cache (the same the conversation asks), and confirming holds and confirms through
//! the same engine and rules, so a time taken meanwhile is refused there and the nearest
//! free ones are offered on the same screen. The context travels in the screens' data
//! (service, provider, day, time), so any bridge can answer any request.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use slotline_shared::catalog::{ProviderId, ServiceId, TenantId};
use slotline_shared::flow_token::FlowToken;
use slotline_shared::i18n::{self, Key};
use slotline_shared::lang::Lang;
use slotline_shared::nlu::DayPart;
use slotline_shared::wire::{BridgeAnswer, Slot, TenantSnapshot};

use crate::error::AppError;
use crate::model::{Ticket, TicketKind};
use crate::ports::{Change, HoldResult};
use crate::routes::AppState;

/// The most days the scheduler lists in one call.
const MONTH_DAYS: u32 = 31;

/// At most this many times on screen at once (the product owner's guide).
pub const MAX_TIMES: usize = 20;
/// Alternatives offered when a time was taken.
const MAX_ALTERNATIVES: usize = 10;
/// The id of "whoever is free".
const ANY: &str = "any";

/// The answer WhatsApp draws: `screen` with `data`.
fn screen(id: &str, data: Value) -> Value {
    json!({"screen": id, "data": data})
}

/// The request being answered.
pub struct Request<'a> {
    /// `INIT`, `data_exchange` or `BACK`.
    pub action: &'a str,
    /// The screen submitted (none on `INIT`).
    pub screen: Option<&'a str>,
    /// The form's payload.
    pub data: &'a Value,
}

/// A Flow session's fixed facts.
pub struct Session<'a> {
    /// The bridge.
    pub state: &'a AppState,
    /// The business.
    pub tenant: &'a TenantId,
    /// The checked token.
    pub token: &'a FlowToken,
    /// The token as WhatsApp sends it (handed back when the Flow closes).
    pub token_text: &'a str,
}

fn field<'a>(data: &'a Value, name: &str) -> &'a str {
    data[name].as_str().unwrap_or_default().trim()
}

fn t(lang: Lang, key: Key, values: &[(&str, &str)]) -> String {
    i18n::t(lang, key, values)
}

fn part_key(part: DayPart) -> (&'static str, Key) {
    match part {
        DayPart::Morning => ("morning", Key::Morning),
        DayPart::Afternoon => ("afternoon", Key::Afternoon),
        DayPart::Evening => ("evening", Key::Evening),
    }
}

/// A date as the date picker sends it: `YYYY-MM-DD`, or (older clients) milliseconds
/// since the epoch.
fn picked_date(text: &str, snapshot: &TenantSnapshot) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            let ms: i64 = text.parse().ok()?;
            Some(
                snapshot
                    .profile
                    .zone
                    .date(DateTime::from_timestamp_millis(ms)?),
            )
        })
}

impl Session<'_> {
    fn lang(&self) -> Lang {
        self.token.lang
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    async fn snapshot(&self) -> Result<TenantSnapshot, AppError> {
        Ok(self.state.scheduler.snapshot(self.tenant).await?)
    }

    /// The answer to `request`.
    pub async fn answer(&self, request: &Request<'_>) -> Result<Value, AppError> {
        let snapshot = self.snapshot().await?;
        let data = request.data;
        let service = ServiceId(field(data, "service").to_owned());
        let known = snapshot.catalog.service(&service).is_some();
        match (request.action, request.screen) {
            ("INIT", _) | (_, Some("SERVICE")) if request.action != "data_exchange" => {
                Ok(self.services(&snapshot, None))
            }
            ("data_exchange", Some("SERVICE")) if known => {
                self.staff(&snapshot, &service, None).await
            }
            ("data_exchange", Some("STAFF")) if known => {
                let provider = field(data, "provider");
                match self.provider(&snapshot, &service, provider) {
                    Some(p) => self.dates(&snapshot, &service, p.as_ref(), None).await,
                    None => self.staff(&snapshot, &service, None).await,
                }
            }
            ("data_exchange", Some("DATE")) if known => {
                let provider = self.provider(&snapshot, &service, field(data, "provider"));
                let date = picked_date(field(data, "date"), &snapshot);
                match (provider, date) {
                    (Some(p), Some(d)) => {
                        self.times(&snapshot, &service, p.as_ref(), d, None, None)
                            .await
                    }
                    (Some(p), None) => self.dates(&snapshot, &service, p.as_ref(), None).await,
                    (None, _) => self.staff(&snapshot, &service, None).await,
                }
            }
            ("data_exchange", Some("TIME")) if known => {
                let Some(provider) = self.provider(&snapshot, &service, field(data, "provider"))
                else {
                    return self.staff(&snapshot, &service, None).await;
                };
                let Some(date) = picked_date(field(data, "date"), &snapshot) else {
                    return self
                        .dates(&snapshot, &service, provider.as_ref(), None)
                        .await;
                };
                let part = match field(data, "part") {
                    "morning" => Some(DayPart::Morning),
                    "afternoon" => Some(DayPart::Afternoon),
                    "evening" => Some(DayPart::Evening),
                    _ => None,
                };
                if field(data, "refresh") == "part" {
                    return self
                        .times(&snapshot, &service, provider.as_ref(), date, part, None)
                        .await;
                }
                let start = slot_start(field(data, "slot"));
                match start {
                    Some(start) => {
                        // Still free? The cache says so at once; the hold says so for sure.
                        let free = self.free(&service, provider.as_ref(), date).await?;
                        if free.iter().any(|s| s.start == start) {
                            Ok(self.summary(
                                &snapshot,
                                &service,
                                provider.as_ref(),
                                start,
                                &[],
                                None,
                            ))
                        } else {
                            let taken = t(self.lang(), Key::SlotTaken, &[]);
                            self.times(
                                &snapshot,
                                &service,
                                provider.as_ref(),
                                date,
                                part,
                                Some(taken),
                            )
                            .await
                        }
                    }
                    None => {
                        self.times(&snapshot, &service, provider.as_ref(), date, part, None)
                            .await
                    }
                }
            }
            ("data_exchange", Some("SUMMARY")) if known => {
                let Some(provider) = self.provider(&snapshot, &service, field(data, "provider"))
                else {
                    return self.staff(&snapshot, &service, None).await;
                };
                let chosen = slot_start(field(data, "alternative"))
                    .or_else(|| slot_start(field(data, "slot")));
                match chosen {
                    Some(start) => {
                        self.confirm(&snapshot, &service, provider.as_ref(), start)
                            .await
                    }
                    None => Ok(self.services(&snapshot, None)),
                }
            }
            ("BACK", Some(id)) if id != "SERVICE" => {
                // The screens ask for no refresh on back (their data travels with them); a
                // client asking anyway starts again with fresh data.
                Ok(self.services(&snapshot, None))
            }
            _ => Ok(self.services(&snapshot, Some(t(self.lang(), Key::BookingFailed, &[])))),
        }
    }

    /// `Some(None)` for "any available", `Some(Some(id))` for one who performs `service`.
    fn provider(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        id: &str,
    ) -> Option<Option<ProviderId>> {
        if id == ANY {
            return Some(None);
        }
        snapshot
            .catalog
            .providers_for(service)
            .find(|p| p.id.as_str() == id)
            .map(|p| Some(p.id.clone()))
    }

    fn services(&self, snapshot: &TenantSnapshot, notice: Option<String>) -> Value {
        let lang = self.lang();
        let services: Vec<Value> = snapshot
            .catalog
            .services
            .iter()
            .map(|s| {
                let mut line = format!("{} · {} min", i18n::price(lang, &s.price), s.duration_min);
                if let Some(d) = s.deposit.as_ref().filter(|d| d.minor > 0) {
                    line.push_str(" · ");
                    line.push_str(&t(lang, Key::DepositLine, &[("deposit", &i18n::price(lang, d))]));
                }
                json!({"id": s.id.as_str(), "title": clip(s.name_in(lang), 30), "description": clip(&line, 300)})
            })
            .collect();
        let has = notice.is_some();
        screen(
            "SERVICE",
            json!({"services": services, "notice": notice.unwrap_or_default(), "has_notice": has}),
        )
    }

    async fn staff(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        notice: Option<String>,
    ) -> Result<Value, AppError> {
        let lang = self.lang();
        let name = snapshot
            .catalog
            .service(service)
            .map_or("", |s| s.name_in(lang));
        let mut staff = vec![
            json!({"id": ANY, "title": clip(&t(lang, Key::AnyProvider, &[]), 30), "description": ""}),
        ];
        for p in snapshot.catalog.providers_for(service) {
            let rating = p
                .rating_tenths
                .map(|r| format!("★ {}.{}", r / 10, r % 10))
                .unwrap_or_default();
            staff.push(
                json!({"id": p.id.as_str(), "title": clip(&p.name, 30), "description": rating}),
            );
        }
        let has = notice.is_some();
        Ok(screen(
            "STAFF",
            json!({
                "service": service.as_str(),
                "heading": t(lang, Key::ChooseProvider, &[("service", name)]),
                "staff": staff,
                "notice": notice.unwrap_or_default(), "has_notice": has
            }),
        ))
    }

    async fn free(
        &self,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        date: NaiveDate,
    ) -> Result<Vec<Slot>, AppError> {
        Ok(self
            .state
            .scheduler
            .slots(self.tenant, service, provider, date, 1)
            .await?)
    }

    /// The date picker: only days with free times can be picked, within the booking window.
    async fn dates(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        notice: Option<String>,
    ) -> Result<Value, AppError> {
        let lang = self.lang();
        let zone = &snapshot.profile.zone;
        let today = zone.date(self.now());
        let window = match self.state.store.tenant(self.tenant).await? {
            Some(t) => t.policy.window_days.max(1),
            None => return Err(AppError::NotFound(format!("tenant {}", self.tenant))),
        };
        // The scheduler lists at most a month at a time; a longer window is asked for in
        // months.
        let mut free: Vec<NaiveDate> = Vec::new();
        let mut offset = 0;
        while offset < window {
            let days = (window - offset).min(MONTH_DAYS);
            let from = today + Duration::days(i64::from(offset));
            let slots = self
                .state
                .scheduler
                .slots(self.tenant, service, provider, from, days)
                .await?;
            free.extend(slots.iter().map(|s| zone.date(s.start)));
            offset += days;
        }
        free.dedup();
        let (Some(first), Some(last)) = (free.first().copied(), free.last().copied()) else {
            let none = t(
                lang,
                Key::NoDaysThisWeek,
                &[
                    ("from", &i18n::day_short(lang, today)),
                    (
                        "to",
                        &i18n::day_short(lang, today + Duration::days(i64::from(window))),
                    ),
                ],
            );
            return self.staff(snapshot, service, Some(none)).await;
        };
        let unavailable: Vec<String> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| !free.contains(d))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect();
        let name = snapshot
            .catalog
            .service(service)
            .map_or("", |s| s.name_in(lang));
        let has = notice.is_some();
        Ok(screen(
            "DATE",
            json!({
                "service": service.as_str(),
                "provider": provider.map_or(ANY, ProviderId::as_str),
                "heading": t(lang, Key::ChooseDay, &[("service", name)]),
                "min_date": first.format("%Y-%m-%d").to_string(),
                "max_date": last.format("%Y-%m-%d").to_string(),
                "unavailable_dates": unavailable,
                "notice": notice.unwrap_or_default(), "has_notice": has
            }),
        ))
    }

    /// The free times of `date`, one part of the day at a time (at most [`MAX_TIMES`]).
    #[allow(clippy::too_many_arguments)]
    async fn times(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        date: NaiveDate,
        part: Option<DayPart>,
        notice: Option<String>,
    ) -> Result<Value, AppError> {
        let lang = self.lang();
        let zone = &snapshot.profile.zone;
        let slots = self.free(service, provider, date).await?;
        if slots.is_empty() {
            let none = t(
                lang,
                Key::NoTimesThatDay,
                &[("day", &i18n::day_long(lang, date))],
            );
            return self
                .dates(snapshot, service, provider, Some(notice.unwrap_or(none)))
                .await;
        }
        let local = |s: &Slot| zone.local(s.start).time();
        let parts: Vec<DayPart> = [DayPart::Morning, DayPart::Afternoon, DayPart::Evening]
            .into_iter()
            .filter(|p| slots.iter().any(|s| DayPart::of(local(s)) == *p))
            .collect();
        let part = part.filter(|p| parts.contains(p)).unwrap_or(parts[0]);
        let times: Vec<Value> = slots
            .iter()
            .filter(|s| DayPart::of(local(s)) == part)
            .take(MAX_TIMES)
            .map(|s| json!({"id": s.start.timestamp().to_string(), "title": i18n::time(lang, local(s)), "description": ""}))
            .collect();
        let parts: Vec<Value> = parts
            .iter()
            .map(|p| {
                let (id, key) = part_key(*p);
                let count = slots.iter().filter(|s| DayPart::of(local(s)) == *p).count();
                json!({"id": id, "title": t(lang, key, &[]), "description": count.to_string()})
            })
            .collect();
        let has = notice.is_some();
        Ok(screen(
            "TIME",
            json!({
                "service": service.as_str(),
                "provider": provider.map_or(ANY, ProviderId::as_str),
                "date": date.format("%Y-%m-%d").to_string(),
                "heading": t(lang, Key::ChooseTime, &[("day", &i18n::day_long(lang, date))]),
                "parts": parts,
                "part": part_key(part).0,
                "times": times,
                "notice": notice.unwrap_or_default(), "has_notice": has
            }),
        ))
    }

    fn summary(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        start: DateTime<Utc>,
        alternatives: &[Slot],
        notice: Option<String>,
    ) -> Value {
        let lang = self.lang();
        let zone = &snapshot.profile.zone;
        let s = snapshot.catalog.service(service);
        let who = provider
            .and_then(|p| snapshot.catalog.provider(p))
            .map_or_else(|| t(lang, Key::AnyProvider, &[]), |p| p.name.clone());
        let local = zone.local(start);
        let mut summary = t(
            lang,
            Key::Summary,
            &[
                ("service", s.map_or("", |s| s.name_in(lang))),
                ("provider", &who),
                ("when", &i18n::when(lang, local.date(), local.time())),
                (
                    "price",
                    &s.map(|s| i18n::price(lang, &s.price)).unwrap_or_default(),
                ),
            ],
        );
        let deposit = s.and_then(|s| s.deposit.clone()).filter(|d| d.minor > 0);
        if let Some(d) = &deposit {
            summary.push('\n');
            summary.push_str(&t(
                lang,
                Key::DepositLine,
                &[("deposit", &i18n::price(lang, d))],
            ));
        }
        let hours = snapshot
            .profile
            .policy
            .cancellation_notice_hours
            .to_string();
        let policy = if deposit.is_some() {
            t(lang, Key::PolicyDeposit, &[("hours", &hours)])
        } else {
            t(lang, Key::PolicyFree, &[("hours", &hours)])
        };
        let alternatives: Vec<Value> = alternatives
            .iter()
            .take(MAX_ALTERNATIVES)
            .map(|a| {
                let l = zone.local(a.start);
                json!({"id": a.start.timestamp().to_string(), "title": i18n::time(lang, l.time()), "description": i18n::day_short(lang, l.date())})
            })
            .collect();
        let has_alternatives = !alternatives.is_empty();
        let has = notice.is_some();
        screen(
            "SUMMARY",
            json!({
                "service": service.as_str(),
                "provider": provider.map_or(ANY, ProviderId::as_str),
                "slot": start.timestamp().to_string(),
                "summary": summary,
                "policy": policy,
                "alternatives": alternatives,
                "has_alternatives": has_alternatives,
                "notice": notice.unwrap_or_default(), "has_notice": has
            }),
        )
    }

    /// Holds and confirms `start`; the Flow closes on a booking, shows the payment page
    /// for a deposit, and stays on the summary with the nearest free times if it was taken.
    async fn confirm(
        &self,
        snapshot: &TenantSnapshot,
        service: &ServiceId,
        provider: Option<&ProviderId>,
        start: DateTime<Utc>,
    ) -> Result<Value, AppError> {
        let lang = self.lang();
        let scheduler = self.state.scheduler.as_ref();
        // One hold per token and time: a retried request finds the same hold.
        let key = format!("{}:{}", self.token.key(), start.timestamp());
        let taken = |alternatives: Vec<Slot>| {
            let notice = if alternatives.is_empty() {
                t(lang, Key::SlotTakenNone, &[])
            } else {
                t(lang, Key::SlotTaken, &[])
            };
            self.summary(
                snapshot,
                service,
                provider,
                start,
                &alternatives,
                Some(notice),
            )
        };
        let hold = match scheduler
            .hold(
                self.tenant,
                service,
                provider,
                start,
                &self.token.customer,
                &key,
            )
            .await?
        {
            HoldResult::Held(hold) => hold,
            HoldResult::Taken(alternatives) => return Ok(taken(alternatives)),
        };
        // The Flow speaks the customer's language: so do the confirmation and the reminders
        // (a customer who opened the Flow at their first message is not known yet).
        self.state
            .store
            .seen(self.tenant, &self.token.customer, self.now(), Some(lang))
            .await?;
        if let Some(payments) = &self.state.payments
            && let Some(answer) = payments.confirm(self.tenant, &hold.id).await?
        {
            return Ok(match answer {
                BridgeAnswer::PaymentDue { hold, amount, url } => {
                    self.used().await?;
                    let until = snapshot.profile.zone.local(hold.expires_at);
                    let until = i18n::when(lang, until.date(), until.time());
                    let amount = i18n::price(lang, &amount);
                    let message = match &url {
                        Some(url) => t(
                            lang,
                            Key::PayDeposit,
                            &[("amount", &amount), ("until", &until), ("url", url)],
                        ),
                        None => t(
                            lang,
                            Key::PayLinkComing,
                            &[("amount", &amount), ("until", &until)],
                        ),
                    };
                    screen(
                        "PAY",
                        json!({"message": message, "url": url.unwrap_or_default()}),
                    )
                }
                _ => self.summary(
                    snapshot,
                    service,
                    provider,
                    start,
                    &[],
                    Some(t(lang, Key::BookingFailed, &[])),
                ),
            });
        }
        match scheduler.confirm_outside(self.tenant, &hold.id).await? {
            Change::Done(booking) => {
                self.used().await?;
                Ok(json!({
                    "screen": "SUCCESS",
                    "data": {"extension_message_response": {"params": {
                        "flow_token": self.token_text,
                        "reference": booking.reference,
                    }}}
                }))
            }
            Change::Taken(alternatives) => Ok(taken(alternatives)),
            Change::HoldGone | Change::NotFound => Ok(self.summary(
                snapshot,
                service,
                provider,
                start,
                &[],
                Some(t(lang, Key::BookingFailed, &[])),
            )),
        }
    }

    /// Records that this token's booking is made: it opens nothing more.
    async fn used(&self) -> Result<(), AppError> {
        let now = self.now();
        let ticket = Ticket {
            key: used_key(self.token),
            kind: TicketKind::FlowUsed,
            tenant: Some(self.tenant.clone()),
            secret_hash: String::new(),
            detail: Value::Null,
            created_at: now,
            expires_at: self.token.expires_at,
            attempts: 0,
        };
        self.state.store.put_ticket(&ticket).await?;
        Ok(())
    }
}

/// The key of the record that `token` is used.
pub fn used_key(token: &FlowToken) -> String {
    format!("used:{}", token.key())
}

fn slot_start(id: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(id.parse().ok()?, 0)
}

/// At most `max` characters (WhatsApp refuses longer titles).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}
