//! Dispatch benchmark: 10,000 due reminders over 50 tenants (one WhatsApp sender each,
//! 80 messages a second), sent through the real dispatcher, SQLite store and Twilio client
//! to the Twilio stand-in on loopback.
//!
//! The minimum any dispatcher can reach is set by the rate: each sender's 200 messages go
//! at least 1/80 s apart, 199/80 s = 2.49 s. The floor is also measured in the same run: a
//! bare client sending the same 10,000 paced messages to the same stand-in, with no store.
//! The ratio that counts is dispatch time ÷ the rate's minimum.
//!
//! Figures go to the JSON file named by `SLOTLINE_BENCH_OUT` (default
//! `target/bench/dispatch.json`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{TWILIO_ACCOUNT, TWILIO_TOKEN, busiest_second, dispatcher_to, seed_due_reminders};
use serde_json::json;
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::ports::Store;
use slotline_e2e::twilio::TwilioStandIn;

const TENANTS: usize = 50;
const PER_TENANT: usize = 200;
const RATE: f64 = 80.0;

/// The same messages from a bare client: each sender's 200 paced 1/80 s apart, all senders
/// at once, no store, no rendering.
async fn floor(twilio: &TwilioStandIn, sid: &str) -> Duration {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..TENANTS {
        let (http, url, sid) = (http.clone(), twilio.url.clone(), sid.to_owned());
        tasks.spawn(async move {
            let gap = Duration::from_secs_f64(1.0 / RATE);
            let begin = tokio::time::Instant::now();
            for k in 0..PER_TENANT {
                tokio::time::sleep_until(begin + gap * u32::try_from(k).unwrap()).await;
                let form = format!(
                    "To=whatsapp%3A%2B3462{t:03}{k:04}&From=whatsapp%3A%2B1415556{t:04}&ContentSid={sid}&ContentVariables=%7B%7D"
                );
                let resp = http
                    .post(format!(
                        "{url}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json"
                    ))
                    .basic_auth(TWILIO_ACCOUNT, Some(TWILIO_TOKEN))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 201);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let sid = twilio.approved_template(
        json!({"twilio/text": {"body": "See you soon at {{1}}: {{2}}, {{4}}."}}),
    );
    let seeded = Instant::now();
    seed_due_reminders(store.as_ref(), TENANTS, PER_TENANT, Utc::now(), &sid).await;
    println!(
        "seeded {} bookings in {:?}",
        TENANTS * PER_TENANT,
        seeded.elapsed()
    );

    let floor_time = floor(&twilio, &sid).await;
    let floor_messages = twilio.sent().len();

    let dispatcher = dispatcher_to(Arc::clone(&store), &twilio.url);
    let started = Instant::now();
    let report = dispatcher.tick().await.unwrap();
    let took = started.elapsed();
    let sent = twilio.sent();
    let dispatched = &sent[floor_messages..];
    assert_eq!(report.sent, TENANTS * PER_TENANT, "{report:?}");
    assert_eq!(dispatched.len(), TENANTS * PER_TENANT);
    let busiest = busiest_second(dispatched)
        .values()
        .max()
        .copied()
        .unwrap_or(0);
    let minimum = Duration::from_secs_f64((PER_TENANT - 1) as f64 / RATE);
    let ratio = took.as_secs_f64() / minimum.as_secs_f64();
    println!(
        "dispatch: {} messages over {TENANTS} senders in {:.3} s; the rate allows {:.3} s at best (ratio {ratio:.3}); bare paced client {:.3} s (ratio {:.3}); busiest sender-second {busiest}",
        TENANTS * PER_TENANT,
        took.as_secs_f64(),
        minimum.as_secs_f64(),
        floor_time.as_secs_f64(),
        took.as_secs_f64() / floor_time.as_secs_f64()
    );
    let json = json!({
        "bench": "dispatch",
        "messages": TENANTS * PER_TENANT,
        "senders": TENANTS,
        "rate_per_sender": RATE,
        "dispatch_s": took.as_secs_f64(),
        "minimum_s": minimum.as_secs_f64(),
        "ratio_to_minimum": ratio,
        "busiest_sender_second": busiest,
        "floor": {"what": "bare client sending the same paced messages to the same stand-in", "s": floor_time.as_secs_f64(), "ratio": took.as_secs_f64() / floor_time.as_secs_f64()},
    });
    let out = std::env::var("SLOTLINE_BENCH_OUT")
        .unwrap_or_else(|_| "../target/bench/dispatch.json".into());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, json.to_string()).unwrap();
    println!("wrote {out}");
}
