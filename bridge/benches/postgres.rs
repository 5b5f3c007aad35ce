//! The bridge on PostgreSQL:
//!
//! - hold + confirm throughput through one bridge, through two bridges sharing the
//!   database, and the floor — the same two store transactions issued straight on the
//!   database by the same number of clients, without HTTP or the bridge's service layer;
//! - slots for 20 providers × 14 days, warm (cached) and cold (after a configuration
//!   change), beside an empty request to the same bridge (`/healthz`);
//! - 10,000 due reminders over 50 senders dispatched by two bridges at once, against the
//!   least time 80 messages a second per sender allows (199/80 s).
//!
//! Needs the local PostgreSQL (or `SLOTLINE_TEST_POSTGRES`); makes a database of its own and
//! drops it. Figures go to the JSON file named by `SLOTLINE_BENCH_OUT` (default
//! `target/bench/postgres.json`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use common::{
    OPERATOR, TWILIO_ACCOUNT, TWILIO_TOKEN, TestBridge, busiest_second, dispatcher_to,
    get_latencies, seed_due_reminders, slot_latencies, spawn_bridge_with,
};
use serde_json::json;
use slotline_bridge::adapters::PgStore;
use slotline_bridge::ports::{Candidate, ChangeOutcome, HoldOutcome, NewHold, Store};
use slotline_e2e::measure::percentiles;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

const CLIENTS: usize = 16;
const PROVIDERS: usize = 20;
const SECONDS: f64 = 4.0;

/// The `n`-th distinct (provider, start): 20 providers × 11 hourly starts a day.
fn slot(base: DateTime<Utc>, n: u64) -> (String, DateTime<Utc>) {
    let (provider, rest) = (n % PROVIDERS as u64, n / PROVIDERS as u64);
    (
        format!("p{provider}"),
        base + chrono::Duration::days((rest / 11) as i64)
            + chrono::Duration::hours((rest % 11) as i64),
    )
}

fn customer(n: u64) -> PhoneNumber {
    PhoneNumber::parse(&format!("+3462{:07}", n % 10_000_000)).unwrap()
}

/// Runs `pair` from `CLIENTS` tasks for [`SECONDS`]; pairs per second. `pair(n)` books the
/// `n`-th slot and says whether it did.
async fn load<F, Fut>(pair: F) -> f64
where
    F: Fn(u64, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let pairs = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, pairs, counter, pair) = (
                Arc::clone(&stop),
                Arc::clone(&pairs),
                Arc::clone(&counter),
                pair.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    if pair(n, c).await {
                        pairs.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    pairs.load(Ordering::Relaxed) as f64 / elapsed
}

/// Books through the bridges' worker API, client `c` always through the same bridge.
async fn through_bridges(
    bridges: Arc<Vec<TestBridge>>,
    tenant: &'static str,
    base: DateTime<Utc>,
) -> f64 {
    load(move |n, c| {
        let bridges = Arc::clone(&bridges);
        async move {
            let bridge = &bridges[c % bridges.len()];
            let (provider, start) = slot(base, n);
            let hold = BridgeRequest::Hold {
                service: "cut".into(),
                provider: Some(provider.as_str().into()),
                start,
                customer: customer(n),
                idempotency_key: format!("h-{n}"),
            };
            let BridgeAnswer::Held { hold } = bridge.rpc(tenant, &hold).await else {
                return false;
            };
            let confirm = BridgeRequest::Confirm {
                hold: hold.id,
                idempotency_key: format!("c-{n}"),
            };
            matches!(
                bridge.rpc(tenant, &confirm).await,
                BridgeAnswer::Booked { .. }
            )
        }
    })
    .await
}

/// A tenant with 20 providers, through the admin API.
async fn tenant(bridge: &TestBridge, id: &str) {
    let post = |path: String, body: serde_json::Value| async move {
        let (status, answer) = bridge
            .admin(reqwest::Method::POST, &path, OPERATOR, Some(body))
            .await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    };
    post("/admin/tenants".into(), json!({"id": id, "name": "Bench", "zone": "Europe/Madrid", "policy": {"min_notice_min": 0, "window_days": 120}})).await;
    post(format!("/admin/tenants/{id}/services"), json!({"id": "cut", "name": "Cut", "duration_min": 30, "price_minor": 2000, "currency": "EUR"})).await;
    let day = json!([{"start": "08:00", "end": "20:00"}]);
    for i in 0..PROVIDERS {
        post(
            format!("/admin/tenants/{id}/providers"),
            json!({"id": format!("p{i}"), "name": format!("P{i}"), "services": ["cut"]}),
        )
        .await;
        let (status, _) = bridge
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/tenants/{id}/providers/p{i}/availability"),
                OPERATOR,
                Some(json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})),
            )
            .await;
        assert!(status.is_success());
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let admin = std::env::var("SLOTLINE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("slotline_bench_{}", std::process::id());
    let store = Arc::new(PgStore::scratch(&admin, &name).await.expect("PostgreSQL"));
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("SLOTLINE_DATABASE", url.clone()),
        ("SLOTLINE_DISPATCH_EVERY_SECS", "0".to_owned()),
    ];
    let mut a = spawn_bridge_with(&dir.path().join("a.db"), &vars).await;
    let mut b = spawn_bridge_with(&dir.path().join("b.db"), &vars).await;
    let (bridge_a, bridge_b) = (
        TestBridge::at(a.url.clone(), None),
        TestBridge::at(b.url.clone(), None),
    );
    for id in ["floor", "one", "two"] {
        tenant(&bridge_a, id).await;
    }
    let base = chrono_tz::Europe::Madrid
        .with_ymd_and_hms(2027, 1, 4, 8, 0, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc);

    // The floor: hold and confirm as the bridge's store issues them, without HTTP.
    let floor = {
        let store = Arc::clone(&store);
        load(move |n, _| {
            let store = Arc::clone(&store);
            async move {
                let (provider, start) = slot(base, n);
                let tenant: slotline_shared::catalog::TenantId = "floor".into();
                let hold = NewHold {
                    tenant: tenant.clone(),
                    service: "cut".into(),
                    candidates: vec![Candidate {
                        provider: provider.as_str().into(),
                        weight: 1,
                        max_per_day: None,
                    }],
                    customer: customer(n),
                    start,
                    end: start + chrono::Duration::minutes(30),
                    block_start: start,
                    block_end: start + chrono::Duration::minutes(30),
                    expires_at: Utc::now() + chrono::Duration::minutes(10),
                    day: (
                        start - chrono::Duration::hours(10),
                        start + chrono::Duration::hours(14),
                    ),
                    fairness_since: Utc::now() - chrono::Duration::days(30),
                    idempotency_key: format!("h-{n}"),
                    deposit: None,
                };
                let Ok((HoldOutcome::Held(r), _)) = store.hold(&hold, Utc::now()).await else {
                    return false;
                };
                matches!(
                    store
                        .confirm(
                            &tenant,
                            &r.id,
                            &format!("SL-{n}"),
                            Utc::now(),
                            slotline_bridge::ports::no_messages()
                        )
                        .await,
                    Ok(ChangeOutcome::Done(_))
                )
            }
        })
        .await
    };
    let ceiling = ceiling(&url).await;
    let one = through_bridges(Arc::new(vec![bridge_a]), "one", base).await;
    let two = through_bridges(
        Arc::new(vec![TestBridge::at(a.url.clone(), None), bridge_b]),
        "two",
        base,
    )
    .await;
    println!(
        "hold + confirm on PostgreSQL with {CLIENTS} clients: 1 bridge {one:.0} pairs/s, 2 bridges {two:.0} pairs/s; floor (the store's transactions direct, no HTTP) {floor:.0} pairs/s; ceiling (trivial transactions of the same shape) {ceiling:.0} pairs/s"
    );
    let slots = slots_figures(&TestBridge::at(a.url.clone(), None)).await;
    for child in [&mut a.child, &mut b.child] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let dispatch = dispatch_figures(&admin).await;
    let out = std::env::var("SLOTLINE_BENCH_OUT")
        .unwrap_or_else(|_| "../target/bench/postgres.json".into());
    if let Some(parent) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let figures = json!({
        "bench": "postgres",
        "hold_confirm": {
            "clients": CLIENTS,
            "one_bridge_pairs_per_sec": one,
            "two_bridges_pairs_per_sec": two,
            "floor": {"what": "the same store transactions issued directly, no HTTP", "pairs_per_sec": floor},
            "ceiling": {"what": "trivial transactions of the same shape (5 and 4 round trips, one durable row each), same driver and clients", "pairs_per_sec": ceiling},
        },
        "slots_20x14": slots,
        "dispatch_two_bridges": dispatch,
    });
    std::fs::write(&out, figures.to_string()).unwrap();
    println!("wrote {out}");
    drop(store);
}

/// Slots for 20 providers × 14 days through `bridge`, warm and cold, beside `/healthz`.
async fn slots_figures(bridge: &TestBridge) -> serde_json::Value {
    tenant(bridge, "slots").await;
    let from = (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + chrono::Duration::days(1))
        .date_naive();
    let slots = BridgeRequest::Slots {
        service: "cut".into(),
        provider: None,
        from,
        days: 14,
    };
    let BridgeAnswer::Slots { slots: listed } = bridge.rpc("slots", &slots).await else {
        panic!("slots")
    };
    let profile = json!({"id": "slots", "name": "Bench", "zone": "Europe/Madrid", "policy": {"min_notice_min": 0, "window_days": 120}});
    let (cold, warm) = slot_latencies(bridge, "slots", &profile, &slots).await;
    let empty = get_latencies(
        &reqwest::Client::new(),
        &format!("{}/healthz", bridge.url),
        1000,
    )
    .await;
    let ((cold_p50, cold_p99), (warm_p50, warm_p99), (floor_p50, floor_p99)) =
        (percentiles(cold), percentiles(warm), percentiles(empty));
    println!(
        "slots on PostgreSQL, 20 providers x 14 days ({} slots): warm p50 {warm_p50:.3} ms p99 {warm_p99:.3} ms; cold p50 {cold_p50:.2} ms p99 {cold_p99:.2} ms; /healthz p50 {floor_p50:.3} ms p99 {floor_p99:.3} ms",
        listed.len()
    );
    json!({
        "slots": listed.len(),
        "warm_p50_ms": warm_p50, "warm_p99_ms": warm_p99,
        "cold_p50_ms": cold_p50, "cold_p99_ms": cold_p99,
        "floor": {"what": "GET /healthz on the same bridge (reads the store)", "p50_ms": floor_p50, "p99_ms": floor_p99},
    })
}

/// 10,000 due reminders over 50 senders, dispatched by two bridges (each its own
/// connections, claims and pacing) on a database of their own.
async fn dispatch_figures(admin: &str) -> serde_json::Value {
    const SENDERS: usize = 50;
    const PER_SENDER: usize = 200;
    const RATE: f64 = 80.0;
    let name = format!("slotline_bench_dispatch_{}", std::process::id());
    let first = PgStore::scratch(admin, &name).await.expect("PostgreSQL");
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    let twilio =
        slotline_e2e::twilio::TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let sid = twilio.approved_template(
        json!({"twilio/text": {"body": "See you soon at {{1}}: {{2}}, {{4}}."}}),
    );
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.db");
    {
        let store = slotline_bridge::adapters::SqliteStore::open(&seed).unwrap();
        seed_due_reminders(&store, SENDERS, PER_SENDER, Utc::now(), &sid).await;
    }
    slotline_bridge::adapters::postgres::copy::copy_from_sqlite(&seed, &first)
        .await
        .unwrap();
    let first: Arc<dyn Store> = Arc::new(first);
    let second: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let bridges = [
        dispatcher_to(Arc::clone(&first), &twilio.url),
        dispatcher_to(Arc::clone(&second), &twilio.url),
    ];
    let total = SENDERS * PER_SENDER;
    let started = Instant::now();
    let passes = bridges.iter().map(|d| {
        let (d, twilio) = (Arc::clone(d), &twilio);
        async move {
            // Each bridge passes again and again, as its timer makes it, until all is sent.
            while twilio.sent().len() < total {
                if d.tick().await.unwrap().sent == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    });
    futures::future::join_all(passes).await;
    let took = started.elapsed().as_secs_f64();
    let sent = twilio.sent();
    assert_eq!(sent.len(), total);
    let busiest = busiest_second(&sent).values().max().copied().unwrap_or(0);
    let minimum = (PER_SENDER - 1) as f64 / RATE;
    // Where the time beyond the minimum goes: before the first send, or inside a sender's
    // own run (gaps in its pace).
    let by_sender = common::times_by_sender(&sent);
    let first_send = by_sender
        .values()
        .filter_map(|t| t.first())
        .min()
        .map_or(0.0, |t| t.duration_since(started).as_secs_f64());
    let mut spans: Vec<f64> = by_sender
        .values()
        .filter_map(|t| Some(t.last()?.duration_since(*t.first()?).as_secs_f64()))
        .collect();
    spans.sort_by(f64::total_cmp);
    // The longest pause in each sender's run (a pass claiming its next batch).
    let mut pauses: Vec<f64> = by_sender
        .values()
        .filter_map(|t| {
            t.windows(2)
                .map(|w| w[1].duration_since(w[0]).as_secs_f64())
                .max_by(f64::total_cmp)
        })
        .collect();
    pauses.sort_by(f64::total_cmp);
    let pause_p50 = pauses[pauses.len() / 2];
    let (span_p50, span_max) = (spans[spans.len() / 2], spans[spans.len() - 1]);
    println!(
        "  first send after {:.0} ms; a sender's first to last send: p50 {span_p50:.3} s, longest {span_max:.3} s; its longest pause p50 {:.0} ms",
        first_send * 1000.0,
        pause_p50 * 1000.0
    );
    println!(
        "dispatch on PostgreSQL by 2 bridges: {total} messages over {SENDERS} senders in {took:.3} s; 80/s per sender allows {minimum:.3} s at best (ratio {:.3}); busiest sender-second {busiest}",
        took / minimum
    );
    drop(bridges);
    drop(second);
    drop(first);
    json!({
        "messages": total, "senders": SENDERS, "s": took,
        "minimum_s": minimum, "ratio_to_minimum": took / minimum,
        "busiest_sender_second": busiest,
        "first_send_after_s": first_send, "sender_span_p50_s": span_p50, "sender_span_max_s": span_max, "sender_longest_pause_p50_s": pause_p50,
    })
}

/// What this machine's PostgreSQL allows for transactions shaped like a hold and a confirm
/// (5 and 4 round trips, BEGIN and COMMIT included, each writing one durable row) with
/// trivial statements, from the same number of clients and the same driver: the most any
/// store could do here without giving up a flush to disk per commit.
async fn ceiling(url: &str) -> f64 {
    let (setup, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    setup
        .batch_execute("CREATE TABLE ceiling (n BIGINT NOT NULL)")
        .await
        .unwrap();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        // Prepared once, as the store's statements are.
        let read = client.prepare("SELECT 1").await.unwrap();
        let write = client
            .prepare("INSERT INTO ceiling (n) VALUES ($1)")
            .await
            .unwrap();
        clients.push(Arc::new(tokio::sync::Mutex::new((client, read, write))));
    }
    let clients = Arc::new(clients);
    let pairs = load(move |n, c| {
        let clients = Arc::clone(&clients);
        async move {
            let mut guard = clients[c].lock().await;
            let (client, read, write) = &mut *guard;
            let n = i64::try_from(n).unwrap_or(0);
            let hold = async {
                let tx = client.transaction().await?;
                tx.query(&*read, &[]).await?;
                tx.execute(&*write, &[&n]).await?;
                tx.query(&*read, &[]).await?;
                tx.commit().await
            };
            if hold.await.is_err() {
                return false;
            }
            let confirm = async {
                let tx = client.transaction().await?;
                tx.execute(&*write, &[&n]).await?;
                tx.query(&*read, &[]).await?;
                tx.commit().await
            };
            confirm.await.is_ok()
        }
    })
    .await;
    setup.batch_execute("DROP TABLE ceiling").await.unwrap();
    pairs
}
