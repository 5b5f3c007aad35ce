//! Lifecycle messages end to end inside the bridge: bookings made through the worker API,
//! a manual clock moved through the days, the dispatcher sending through the Twilio
//! stand-in. What the customer receives, when (local time), in which form, and what their
//! answers do.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Madrid;
use common::{OPERATOR, TestBridge};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::adapters::TwilioMessenger;
use slotline_bridge::auth::ReplayGuard;
use slotline_bridge::dispatch::{DispatchSettings, Dispatcher};
use slotline_bridge::ports::{Clock, ManualClock, Store};
use slotline_bridge::routes::worker::answer;
use slotline_bridge::scheduler::EmbeddedScheduler;
use slotline_bridge::{AppState, app};
use slotline_e2e::twilio::{Sent, TwilioStandIn};
use slotline_shared::catalog::TenantId;
use slotline_shared::conversation::{self, Conversation, Ctx, Effect, Event};
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{Booking, BridgeAnswer, BridgeRequest};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-token-for-tests";
const TENANT: &str = "bella";
const STAGES: [&str; 6] = [
    "confirmation",
    "day_before",
    "shortly_before",
    "follow_up",
    "no_show",
    "re_engage",
];

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Madrid
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap(),
        )
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn customer(n: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+3460011{n:04}")).unwrap()
}

/// A bridge on a manual clock with a dispatcher sending to a Twilio stand-in.
struct World {
    state: AppState,
    clock: Arc<ManualClock>,
    dispatcher: Arc<Dispatcher>,
    twilio: TwilioStandIn,
    http: TestBridge,
    key: String,
    /// Approved template sid → stage.
    templates: HashMap<String, &'static str>,
    /// Messages already handed out by `run_until`.
    seen: usize,
}

/// One message as the customer got it.
#[derive(Debug, Clone)]
struct Got {
    /// Local time the clock showed when it went.
    at: String,
    /// The stage (from the template used, or the text).
    stage: String,
    /// `session` or `template`.
    via: &'static str,
    /// The booking reference it names.
    reference: String,
    sent: Sent,
}

impl World {
    async fn start(now: DateTime<Utc>, templates: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("bridge.db")).unwrap());
        let clock = Arc::new(ManualClock::new(now));
        let clock_dyn: Arc<dyn Clock> = clock.clone();
        let twilio = TwilioStandIn::start(&[(ACCOUNT, TOKEN)]).unwrap();
        let messenger = Arc::new(TwilioMessenger::new(
            Arc::new(slotline_bridge::adapters::http::ReqwestClient::new()),
            &twilio.url,
            &twilio.url,
            HashMap::from([(ACCOUNT.to_owned(), TOKEN.to_owned())]),
        ));
        let dispatcher = Arc::new(Dispatcher::new(
            Arc::clone(&store),
            messenger,
            Arc::clone(&clock_dyn),
            DispatchSettings {
                default_account: Some(ACCOUNT.into()),
                status_callback: Some("https://book.example.com/webhooks/twilio/status".into()),
                ..DispatchSettings::default()
            },
        ));
        let state = AppState {
            store: Arc::clone(&store),
            scheduler: Arc::new(EmbeddedScheduler::new(
                Arc::clone(&store),
                Arc::clone(&clock_dyn),
            )),
            clock: clock_dyn,
            worker_secret: None,
            operator_key: Some(Arc::from(OPERATOR)),
            replay: Arc::new(ReplayGuard::default()),
            dispatcher: Some(Arc::clone(&dispatcher)),
            calcom_webhooks: None,
            calcom: None,
            payments: None,
            documents: None,
            accounts: Default::default(),
            senders: None,
            flow_keys: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = app(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let http = TestBridge::at(url, Some(dir));

        let mut by_sid = HashMap::new();
        let mut by_stage = serde_json::Map::new();
        if templates {
            for stage in STAGES {
                let sid = twilio.approved_template(json!({
                    "twilio/text": {"body": format!("[{stage}] {{{{1}}}}: {{{{2}}}} with {{{{3}}}}, {{{{4}}}} ({{{{5}}}})")}
                }));
                by_stage.insert(stage.into(), json!({"en": sid}));
                by_sid.insert(sid, stage);
            }
        }
        let (status, created) = http
            .admin(
                Method::POST,
                "/admin/tenants",
                OPERATOR,
                Some(
                    json!({"id": TENANT, "name": "Salon Bella", "zone": "Europe/Madrid",
                            "languages": ["en", "es"], "numbers": ["+14155238886"],
                            "policy": {"min_notice_min": 0, "window_days": 120},
                            "reminders": {"templates": by_stage}}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let key = created["api_key"].as_str().unwrap().to_owned();
        let (status, body) = http
            .admin(
                Method::POST,
                &format!("/admin/tenants/{TENANT}/services"),
                &key,
                Some(json!({"id": "cut", "name": "Haircut", "duration_min": 30, "price_minor": 2000, "currency": "EUR"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let day = json!([{"start": "08:00", "end": "20:00"}]);
        for (pid, name) in [("maria", "Maria"), ("joao", "João")] {
            let (status, body) = http
                .admin(
                    Method::POST,
                    &format!("/admin/tenants/{TENANT}/providers"),
                    &key,
                    Some(json!({"id": pid, "name": name, "services": ["cut"]})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let week = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
            let (status, _) = http
                .admin(
                    Method::PUT,
                    &format!("/admin/tenants/{TENANT}/providers/{pid}/availability"),
                    &key,
                    Some(week),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        World {
            state,
            clock,
            dispatcher,
            twilio,
            http,
            key,
            templates: by_sid,
            seen: 0,
        }
    }

    fn tenant(&self) -> TenantId {
        TenantId(TENANT.into())
    }

    async fn ask(&self, request: BridgeRequest) -> BridgeAnswer {
        answer(&self.state, &self.tenant(), request).await.unwrap()
    }

    /// The customer wrote just now (opens the 24-hour window).
    async fn seen(&self, who: &PhoneNumber, lang: Lang) {
        let a = self
            .ask(BridgeRequest::Seen {
                customer: who.clone(),
                lang: Some(lang),
            })
            .await;
        assert_eq!(a, BridgeAnswer::Recorded);
    }

    /// Books `provider` at `start` for `who`, as the conversation would.
    async fn book(&self, who: &PhoneNumber, provider: &str, start: DateTime<Utc>) -> Booking {
        let hold = match self
            .ask(BridgeRequest::Hold {
                service: "cut".into(),
                provider: Some(provider.into()),
                start,
                customer: who.clone(),
                idempotency_key: format!("{who}-{start}-hold"),
            })
            .await
        {
            BridgeAnswer::Held { hold } => hold,
            other => panic!("hold at {start}: {other:?}"),
        };
        match self
            .ask(BridgeRequest::Confirm {
                hold: hold.id,
                idempotency_key: format!("{who}-{start}-confirm"),
            })
            .await
        {
            BridgeAnswer::Booked { booking } => booking,
            other => panic!("confirm: {other:?}"),
        }
    }

    /// Moves `booking` of `who` to `provider` at `start`.
    async fn reschedule(
        &self,
        who: &PhoneNumber,
        booking: &Booking,
        provider: &str,
        start: DateTime<Utc>,
    ) {
        let BridgeAnswer::Held { hold } = self
            .ask(BridgeRequest::Hold {
                service: "cut".into(),
                provider: Some(provider.into()),
                start,
                customer: who.clone(),
                idempotency_key: format!("{who}-{start}-move"),
            })
            .await
        else {
            panic!("no hold for the new time");
        };
        let a = self
            .ask(BridgeRequest::Reschedule {
                booking: booking.reference.clone(),
                hold: hold.id,
                idempotency_key: format!("{who}-{start}-resched"),
            })
            .await;
        assert!(matches!(a, BridgeAnswer::Rescheduled { .. }), "{a:?}");
    }

    /// Moves the clock to `until` in `step`s, running the dispatcher at each; returns what
    /// the customers received, stamped with the local time it went.
    async fn run_until(&mut self, until: DateTime<Utc>, step: Duration) -> Vec<Got> {
        let mut got = Vec::new();
        let mut t = self.clock.now();
        loop {
            self.clock.set(t);
            self.dispatcher.tick().await.unwrap();
            let sent = self.twilio.sent();
            for m in &sent[self.seen..] {
                got.push(self.describe(m, t));
            }
            self.seen = sent.len();
            if t >= until {
                return got;
            }
            t = (t + step).min(until);
        }
    }

    fn describe(&self, m: &Sent, t: DateTime<Utc>) -> Got {
        let (stage, via) = match m.content_sid.as_ref().and_then(|s| self.templates.get(s)) {
            Some(stage) => ((*stage).to_owned(), "template"),
            None => (stage_of_text(&m.text).to_owned(), "session"),
        };
        let reference = m
            .text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| w.starts_with("SL-"))
            .map(str::to_owned)
            .or_else(|| {
                m.option_ids().first().and_then(|id| {
                    id.split(':')
                        .find(|p| p.starts_with("SL-"))
                        .map(str::to_owned)
                })
            })
            .unwrap_or_default();
        Got {
            at: t.with_timezone(&Madrid).format("%m-%d %H:%M").to_string(),
            stage,
            via,
            reference,
            sent: m.clone(),
        }
    }
}

fn stage_of_text(text: &str) -> &'static str {
    if text.contains("Reminder from") || text.contains("Recordatorio") {
        "day_before"
    } else if text.contains("See you soon") || text.contains("Te esperamos pronto") {
        "shortly_before"
    } else if text.contains("How was your") || text.contains("Qué tal") {
        "follow_up"
    } else if text.contains("We missed you") {
        "no_show"
    } else if text.contains("since your last visit") {
        "re_engage"
    } else {
        "confirmation"
    }
}

fn summary(got: &[Got]) -> Vec<(String, String, &'static str, String)> {
    got.iter()
        .map(|g| (g.at.clone(), g.stage.clone(), g.via, g.reference.clone()))
        .collect()
}

fn row(
    at: &str,
    stage: &str,
    via: &'static str,
    reference: &str,
) -> (String, String, &'static str, String) {
    (at.into(), stage.into(), via, reference.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reminder_goes_once_at_its_local_time_a_reschedule_moves_them_and_a_cancel_removes_them()
 {
    // Tuesday 1 December 2026, 10:00 in Madrid.
    let mut w = World::start(local(2026, 12, 1, 10, 0), true).await;
    let zoe = customer(1);
    w.seen(&zoe, Lang::En).await;
    // B: tomorrow 10:30, so its day-before reminder (today 10:30) falls inside the 24-hour
    // window and goes as a session message with buttons.
    let b = w.book(&zoe, "maria", local(2026, 12, 2, 10, 30)).await;
    let a = w.book(&zoe, "maria", local(2026, 12, 3, 11, 0)).await;
    let c = w.book(&zoe, "joao", local(2026, 12, 2, 17, 0)).await;

    let first = w
        .run_until(local(2026, 12, 1, 12, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&first),
        vec![row("12-01 10:30", "day_before", "session", &b.reference)]
    );
    assert_eq!(
        first[0].sent.option_ids(),
        [
            format!("rem:confirm:{}", b.reference),
            format!("rem:reschedule:{}", b.reference),
            format!("rem:cancel:{}", b.reference)
        ]
    );
    assert!(
        first[0].sent.text.contains("Reminder from Salon Bella"),
        "{}",
        first[0].sent.text
    );
    // What was sent, and what still waits, is on the operator's /metrics.
    let metrics = slotline_bridge::metrics::render(&w.state).await.unwrap();
    assert!(
        metrics.contains(r#"slotline_dispatch_messages_total{outcome="sent"} 1"#),
        "{metrics}"
    );
    assert!(
        !metrics.contains(r#"slotline_outbox_messages{state="pending"} 0"#),
        "the other bookings' reminders wait: {metrics}"
    );

    // A moves to Friday 15:00 with João; C is cancelled.
    w.reschedule(&zoe, &a, "joao", local(2026, 12, 4, 15, 0))
        .await;
    let cancelled = w
        .ask(BridgeRequest::Cancel {
            booking: c.reference.clone(),
            customer: zoe.clone(),
            idempotency_key: "cancel-c".into(),
        })
        .await;
    assert!(matches!(cancelled, BridgeAnswer::Cancelled { .. }));

    let rest = w
        .run_until(local(2026, 12, 5, 0, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&rest),
        vec![
            // 08:30 is in quiet hours (21:00–09:00): it waits until 09:00, still inside the
            // window. The window closes at 10:00, so templates from there on.
            row("12-02 09:00", "shortly_before", "session", &b.reference),
            row("12-02 13:00", "follow_up", "template", &b.reference),
            row("12-03 15:00", "day_before", "template", &a.reference),
            row("12-04 13:00", "shortly_before", "template", &a.reference),
            row("12-04 17:30", "follow_up", "template", &a.reference),
        ]
    );
    // The moved reminder names the new time and provider.
    let moved = &rest[2].sent;
    assert_eq!(moved.variables.as_ref().unwrap()["3"], "João");
    assert!(
        moved.text.contains("15:00") || moved.text.contains("3:00"),
        "{}",
        moved.text
    );
    // Each went through Twilio once, with a delivery callback.
    let sids: std::collections::HashSet<_> =
        w.twilio.sent().iter().map(|m| m.sid.clone()).collect();
    assert_eq!(sids.len(), 6);
    let (status, outbox) = w
        .http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/outbox"),
            &w.key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let states: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "sent").count(),
        6,
        "{outbox}"
    );
    // A's old times and all of C's were withdrawn; re-engagement waits a month.
    assert!(
        states.iter().filter(|s| **s == "dropped").count() >= 6,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "pending").count(),
        1,
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_day_before_reminder_keeps_the_wall_clock_across_the_dst_change() {
    // Madrid leaves summer time early on Sunday 25 October 2026: a Sunday 10:00 visit is
    // reminded on Saturday at 10:00, 25 hours before.
    let mut w = World::start(local(2026, 10, 20, 12, 0), true).await;
    let zoe = customer(2);
    let b = w.book(&zoe, "maria", local(2026, 10, 25, 10, 0)).await;
    w.clock.set(local(2026, 10, 24, 6, 0));
    let got = w
        .run_until(local(2026, 10, 24, 12, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&got),
        vec![row("10-24 10:00", "day_before", "template", &b.reference)]
    );
}

/// Drives the real conversation against the bridge, as the worker does.
async fn say(
    w: &World,
    conv: Conversation,
    who: &PhoneNumber,
    event: Event,
) -> (Conversation, Vec<String>) {
    let snapshot = w.state.scheduler.snapshot(&w.tenant()).await.unwrap();
    let ctx = Ctx {
        now: w.clock.now(),
        tenant: &snapshot.profile,
        catalog: &snapshot.catalog,
        customer: who,
    };
    let (mut conv, mut event) = (conv, event);
    let mut replies = Vec::new();
    for _ in 0..8 {
        let step = conversation::step(conv, event, &ctx);
        conv = step.state;
        let mut next = None;
        for effect in step.effects {
            match effect {
                Effect::Reply(r) => replies.push(slotline_shared::render::plain_text(&r)),
                Effect::Ask(request) => next = Some(w.ask(request).await),
                Effect::Notify(request) => {
                    w.ask(request).await;
                }
                Effect::OptOut(opted_out) => {
                    w.ask(BridgeRequest::OptOut {
                        customer: who.clone(),
                        opted_out,
                    })
                    .await;
                }
                _ => {}
            }
        }
        match next {
            Some(answer) => event = Event::Bridge(answer),
            None => break,
        }
    }
    // The worker reports that the customer wrote (it opens the 24-hour window).
    w.ask(BridgeRequest::Seen {
        customer: who.clone(),
        lang: conv.lang,
    })
    .await;
    (conv, replies)
}

async fn status_of(w: &World, reference: &str) -> String {
    let booking = w
        .state
        .store
        .booking(&w.tenant(), reference)
        .await
        .unwrap()
        .unwrap();
    booking.status.as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replying_cancel_to_a_reminder_cancels_that_booking_not_another() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), false).await;
    let zoe = customer(3);
    // The customer talked to the business at 10:00 on the 1st, in Spanish.
    let (conv, _) = say(
        &w,
        Conversation::default(),
        &zoe,
        Event::Text("hola".into()),
    )
    .await;
    // Two bookings on the 2nd: 11:00 (reminded on the 1st at 11:00) and 15:00 (reminded
    // at 15:00).
    let early = w.book(&zoe, "maria", local(2026, 12, 2, 11, 0)).await;
    let late = w.book(&zoe, "joao", local(2026, 12, 2, 15, 0)).await;
    let got = w
        .run_until(local(2026, 12, 1, 11, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&got),
        vec![row(
            "12-01 11:00",
            "day_before",
            "session",
            &early.reference
        )]
    );
    assert!(
        got[0].sent.text.contains("Recordatorio"),
        "{}",
        got[0].sent.text
    );
    // Five minutes later she types "cancelar": the reminded booking, not the other.
    w.clock.set(local(2026, 12, 1, 11, 5));
    let (conv, replies) = say(&w, conv, &zoe, Event::Text("cancelar".into())).await;
    let all = replies.join("\n");
    assert!(all.contains("11:00") && !all.contains("15:00"), "{all}");
    let (conv, replies) = say(&w, conv, &zoe, Event::Text("sí".into())).await;
    assert!(replies.join("\n").contains(&early.reference), "{replies:?}");
    assert_eq!(status_of(&w, &early.reference).await, "cancelled");
    assert_eq!(status_of(&w, &late.reference).await, "confirmed");

    // The reminder of the cancelled booking never goes again; the other one's does, and
    // its "Cancel" button names it.
    let got = w
        .run_until(local(2026, 12, 1, 15, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&got),
        vec![row("12-01 15:00", "day_before", "session", &late.reference)]
    );
    let cancel_id = format!("rem:cancel:{}", late.reference);
    assert!(got[0].sent.option_ids().contains(&cancel_id));
    w.clock.set(local(2026, 12, 1, 15, 2));
    let (conv, replies) = say(
        &w,
        conv,
        &zoe,
        Event::Choice {
            id: cancel_id.parse().expect("the bridge's own button id"),
            title: "Cancelar".into(),
        },
    )
    .await;
    assert!(replies.join("\n").contains("15:00"), "{replies:?}");
    let (_, _) = say(&w, conv, &zoe, Event::Text("si".into())).await;
    assert_eq!(status_of(&w, &late.reference).await, "cancelled");
    // Nothing more goes to her.
    let after = w
        .run_until(local(2026, 12, 3, 0, 0), Duration::minutes(30))
        .await;
    assert!(after.is_empty(), "{:?}", summary(&after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_and_rating_from_the_messages_reach_the_bridge() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), false).await;
    let zoe = customer(4);
    let (conv, _) = say(
        &w,
        Conversation::default(),
        &zoe,
        Event::Text("menu".into()),
    )
    .await;
    let b = w.book(&zoe, "maria", local(2026, 12, 2, 10, 30)).await;
    let got = w
        .run_until(local(2026, 12, 1, 10, 30), Duration::minutes(15))
        .await;
    assert_eq!(got.len(), 1);
    let (conv, replies) = say(&w, conv, &zoe, Event::Text("yes".into())).await;
    assert!(replies.join("\n").contains("See you then"), "{replies:?}");
    // After the visit (and after she wrote again, so the window is open) the follow-up
    // comes with five stars to tap; "4 stars" typed works as well.
    w.clock.set(local(2026, 12, 2, 9, 30));
    w.seen(&zoe, Lang::En).await;
    let got = w
        .run_until(local(2026, 12, 2, 13, 0), Duration::minutes(15))
        .await;
    let follow_up = got
        .iter()
        .find(|g| g.stage == "follow_up")
        .expect("follow-up sent");
    assert_eq!(follow_up.at, "12-02 13:00");
    assert_eq!(
        follow_up.sent.option_ids()[0],
        format!("rate:{}:5", b.reference)
    );
    let (_, replies) = say(&w, conv, &zoe, Event::Text("4 stars".into())).await;
    assert!(
        replies.join("\n").contains("Thank you for your rating"),
        "{replies:?}"
    );
    let providers = w.state.store.providers(&w.tenant()).await.unwrap();
    let maria = providers.iter().find(|p| p.id.as_str() == "maria").unwrap();
    assert_eq!(maria.rating_tenths, Some(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_only_templates_go_and_opted_out_customers_get_nothing() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), true).await;
    let (zoe, ana, bea) = (customer(5), customer(6), customer(7));
    for who in [&zoe, &ana, &bea] {
        w.seen(who, Lang::En).await;
    }
    // Zoe's phone says the window is closed though the bridge thinks it open (Twilio
    // refuses the session form with 63016): the template goes instead.
    w.twilio.set_window(zoe.as_e164(), false);
    let z = w.book(&zoe, "maria", local(2026, 12, 2, 10, 30)).await;
    // Ana opts out: nothing reaches her.
    let a = w.book(&ana, "joao", local(2026, 12, 2, 10, 30)).await;
    let (_, replies) = say(
        &w,
        Conversation::default(),
        &ana,
        Event::Text("STOP".into()),
    )
    .await;
    assert!(!replies.is_empty());
    // Bea's session message is accepted, then Twilio reports 63016 asynchronously.
    let b = w.book(&bea, "maria", local(2026, 12, 2, 11, 0)).await;

    let got = w
        .run_until(local(2026, 12, 1, 11, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&got),
        vec![
            row("12-01 10:30", "day_before", "template", &z.reference),
            row("12-01 11:00", "day_before", "session", &b.reference),
        ]
    );
    assert!(w.twilio.sent_to(ana.as_e164()).is_empty());
    let bea_sid = got[1].sent.sid.clone();
    let a_reply = w
        .ask(BridgeRequest::Delivery {
            message_sid: bea_sid,
            customer: bea.clone(),
            status: slotline_shared::wire::DeliveryStatus::Failed,
            error_code: Some(63016),
        })
        .await;
    assert_eq!(a_reply, BridgeAnswer::Recorded);
    // The bridge queued the template at once; this pass waits for that one to finish.
    let again = w
        .run_until(local(2026, 12, 1, 11, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&again),
        vec![row("12-01 11:00", "day_before", "template", &b.reference)]
    );
    let (_, outbox) = w
        .http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/outbox"),
            &w.key,
            None,
        )
        .await;
    let ana_rows: Vec<&Value> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reference"] == a.reference.as_str())
        .collect();
    assert!(
        ana_rows
            .iter()
            .all(|m| m["state"] == "skipped" || m["state"] == "pending"),
        "{ana_rows:?}"
    );
    assert!(
        ana_rows
            .iter()
            .any(|m| m["detail"] == "the customer opted out")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_template_nothing_goes_outside_the_window_and_the_reason_is_recorded() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), false).await;
    let zoe = customer(8);
    let b = w.book(&zoe, "maria", local(2026, 12, 2, 10, 30)).await;
    let got = w
        .run_until(local(2026, 12, 1, 11, 0), Duration::minutes(15))
        .await;
    assert!(got.is_empty(), "{:?}", summary(&got));
    let (_, outbox) = w
        .http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/outbox"),
            &w.key,
            None,
        )
        .await;
    let row = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["reference"] == b.reference.as_str() && m["stage"] == "day_before")
        .unwrap();
    assert_eq!(row["state"], "skipped");
    assert!(
        row["detail"].as_str().unwrap().contains("24-hour window"),
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_twilio_failures_are_retried_with_backoff_and_permanent_ones_recorded() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), false).await;
    let (zoe, ana) = (customer(9), customer(10));
    w.seen(&zoe, Lang::En).await;
    w.seen(&ana, Lang::En).await;
    w.book(&zoe, "maria", local(2026, 12, 2, 10, 30)).await;
    w.book(&ana, "joao", local(2026, 12, 2, 10, 30)).await;
    w.twilio.fail_next(zoe.as_e164(), 2, 503);
    w.twilio.fail_next(ana.as_e164(), 1, 400);
    let got = w
        .run_until(local(2026, 12, 1, 10, 40), Duration::minutes(1))
        .await;
    // Zoe's went on the third try (after backoff), Ana's was refused for good.
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sent.to, format!("whatsapp:{}", zoe.as_e164()));
    let (_, outbox) = w
        .http
        .admin(
            Method::GET,
            &format!("/admin/tenants/{TENANT}/outbox"),
            &w.key,
            None,
        )
        .await;
    let day_before: Vec<&Value> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["stage"] == "day_before")
        .collect();
    let zoe_row = day_before
        .iter()
        .find(|m| m["customer"] == zoe.as_e164())
        .unwrap();
    assert_eq!(zoe_row["state"], "sent");
    assert_eq!(zoe_row["attempts"], 3);
    let ana_row = day_before
        .iter()
        .find(|m| m["customer"] == ana.as_e164())
        .unwrap();
    assert_eq!(ana_row["state"], "failed");
    assert_eq!(ana_row["error_code"], 20500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_show_gets_a_rebooking_offer_and_a_regular_is_invited_back_after_thirty_days() {
    let mut w = World::start(local(2026, 12, 1, 10, 0), true).await;
    let (zoe, ana) = (customer(11), customer(12));
    let z = w.book(&zoe, "maria", local(2026, 12, 2, 10, 0)).await;
    let a = w.book(&ana, "joao", local(2026, 12, 2, 10, 0)).await;
    // Staff cannot mark someone absent before the visit.
    let path = format!("/admin/tenants/{TENANT}/bookings/{}/no-show", z.reference);
    let (status, body) = w.http.admin(Method::POST, &path, &w.key, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    w.run_until(local(2026, 12, 2, 10, 15), Duration::minutes(15))
        .await;
    let (status, body) = w.http.admin(Method::POST, &path, &w.key, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "no_show");
    // Marking twice changes nothing.
    let (status, _) = w.http.admin(Method::POST, &path, &w.key, None).await;
    assert_eq!(status, StatusCode::OK);
    let got = w
        .run_until(local(2026, 12, 2, 16, 0), Duration::minutes(15))
        .await;
    assert_eq!(
        summary(&got),
        vec![
            row("12-02 10:15", "no_show", "template", &z.reference),
            // Ana came: she is asked for a rating; Zoe is not.
            row("12-02 12:30", "follow_up", "template", &a.reference),
        ]
    );
    // Thirty days after her visit (10:30 on 1 January; the clock moves in 3-hour steps)
    // Ana is invited back; Zoe, who did not come, is not.
    let got = w
        .run_until(local(2027, 1, 2, 12, 0), Duration::hours(3))
        .await;
    assert_eq!(
        summary(&got),
        vec![row("01-01 13:00", "re_engage", "template", &a.reference)]
    );
}
