//! Bridge benchmarks over HTTP on loopback, against the real binary on SQLite:
//!
//! - slots for 20 providers × 14 days, warm (cached) and cold (after a configuration change
//!   flushed the caches);
//! - hold + confirm throughput with 16 concurrent clients, with the p99 of a single hold
//!   under that load, beside the raw floor: the same store transactions (hold, then confirm
//!   planning the same lifecycle messages) issued directly on the same database file by 16
//!   tasks in this process, without HTTP, signatures or the scheduler;
//! - one confirmation at a time, plain and with a deposit (a Checkout Session opened at the
//!   Stripe stand-in), p50/p99;
//! - resident memory idle and under that load;
//! - drawing a receipt PDF, beside drawing an empty page with the same library;
//! - the floor: an empty axum handler measured by the same client in the same run.
//!
//! Figures go to the JSON file named by `SLOTLINE_BENCH_OUT` (default
//! `target/bench/bridge.json`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use common::{OPERATOR, TestBridge, get_latencies, slot_latencies, spawn_bridge_with};
use serde_json::{Value, json};
use slotline_e2e::measure::percentiles;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

const PROVIDERS: usize = 20;
const CLIENTS: usize = 16;
/// Confirmations timed one at a time, plain and with a deposit.
const CONFIRMS: usize = 200;
/// Receipts drawn.
const RECEIPTS: usize = 500;

/// Holds `n` times from `first` on (every provider at a time, then the next hour) and
/// times each confirmation alone; every one must book (plain) or ask for its deposit.
async fn confirm_latencies(
    client: &TestBridge,
    tenant: &str,
    first: chrono::DateTime<Utc>,
    n: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Five morning hours a day: the service's buffer keeps half hours apart.
        let k = (i / PROVIDERS) as i64;
        let start = first + chrono::Duration::days(k / 5) + chrono::Duration::hours(k % 5);
        let hold = BridgeRequest::Hold {
            service: "cut".into(),
            provider: Some(format!("p{}", i % PROVIDERS).as_str().into()),
            start,
            customer: slotline_shared::phone::PhoneNumber::parse(&format!("+3461{i:07}")).unwrap(),
            idempotency_key: format!("{tenant}-one-{i}"),
        };
        let BridgeAnswer::Held { hold } = client.rpc(tenant, &hold).await else {
            panic!("{tenant}: not held at {start}");
        };
        let confirm = BridgeRequest::Confirm {
            hold: hold.id,
            idempotency_key: format!("{tenant}-c-{i}"),
        };
        let t = Instant::now();
        let answer = client.rpc(tenant, &confirm).await;
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            matches!(
                answer,
                BridgeAnswer::Booked { .. } | BridgeAnswer::PaymentDue { url: Some(_), .. }
            ),
            "{tenant}: {answer:?}"
        );
    }
    out
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// An admin call with the operator key that must succeed.
async fn admin(bridge: &TestBridge, method: reqwest::Method, path: &str, body: Value) -> Value {
    let (status, answer) = bridge
        .admin(method.clone(), path, OPERATOR, Some(body))
        .await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// Requests per second `CLIENTS` concurrent loops achieve against `url` for `secs`.
async fn get_throughput(http: &reqwest::Client, url: &str, secs: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, url, stop, done) = (
                http.clone(),
                url.to_owned(),
                Arc::clone(&stop),
                Arc::clone(&done),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let r = http.get(&url).send().await.unwrap();
                    let _ = r.bytes().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / elapsed
}

/// Draws `RECEIPTS` receipts (several languages, with and without legal details) and as
/// many empty pages; each one's milliseconds.
fn pdf_latencies() -> (Vec<f64>, Vec<f64>) {
    use slotline_bridge::model::{Billing, Document, DocumentKind, TaxLine};
    use slotline_shared::catalog::{Money, TenantId};
    use slotline_shared::i18n::Lang;
    let mut drawn = Vec::with_capacity(RECEIPTS);
    let mut empty = Vec::with_capacity(RECEIPTS);
    for n in 0..RECEIPTS {
        let lang = Lang::ALL[n % Lang::ALL.len()];
        let doc = Document {
            tenant: TenantId::from("bench"),
            kind: if n % 3 == 0 {
                DocumentKind::CreditNote
            } else {
                DocumentKind::Receipt
            },
            number: u32::try_from(n + 1).unwrap(),
            key: format!("receipt:pi_{n}"),
            hold: format!("h{n}"),
            reference: format!("SL-B{n:05}"),
            issued_at: Utc::now(),
            zone: "Europe/Madrid".into(),
            lang,
            business: "Clínica Dental Sonrisa".into(),
            billing: (n % 2 == 0).then(|| Billing {
                legal_name: "Sonrisa Odontología, S.L.".into(),
                address: "Calle de Alcalá 45, 2.º\n28014 Madrid".into(),
                tax_id: Some("ESB87654321".into()),
                tax_basis_points: Some(2100),
            }),
            customer: "+34612345678".into(),
            description: slotline_bridge::receipts::deposit_line(
                lang,
                "Limpieza dental",
                "Dra. Núñez",
                "martes 15 de diciembre a las 10:30",
            ),
            amount: Money::new(2_500 + i64::try_from(n).unwrap(), "EUR"),
            tax: Some(TaxLine::included(2_500, 2100)),
            payment_reference: Some(format!("pi_3Bench{n:020}")),
            corrects: None,
        };
        let started = Instant::now();
        let bytes = slotline_bridge::receipts::pdf(&doc);
        drawn.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(bytes.starts_with(b"%PDF-"));
        let started = Instant::now();
        let page = printpdf::PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), Vec::new());
        let bytes = printpdf::PdfDocument::new("empty")
            .with_pages(vec![page])
            .save(&printpdf::PdfSaveOptions::default(), &mut Vec::new());
        empty.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(bytes.starts_with(b"%PDF-"));
    }
    (drawn, empty)
}

/// Lets the load `tasks` run for 4 s, stops them through `stop` and waits for them; the
/// seconds they ran.
async fn run_for_4s(stop: &AtomicBool, tasks: Vec<tokio::task::JoinHandle<()>>) -> f64 {
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    elapsed
}

/// Hold + confirm pairs per second issued straight on the SQLite store at `path` by
/// [`CLIENTS`] tasks for 4 s, each pair a distinct provider and time from `base` on, the
/// confirm planning the tenant's lifecycle messages as the bridge does.
async fn raw_store_pairs(path: &std::path::Path, base: chrono::DateTime<Utc>) -> f64 {
    use slotline_bridge::adapters::sqlite::SqliteStore;
    use slotline_bridge::lifecycle::Told;
    use slotline_bridge::ports::{Candidate, ChangeOutcome, HoldOutcome, NewHold, Store};
    let store = Arc::new(SqliteStore::open(path).expect("the bench's database"));
    let tenant_id: slotline_shared::catalog::TenantId = "bench".into();
    let tenant = Arc::new(
        store
            .tenant(&tenant_id)
            .await
            .expect("read the tenant")
            .expect("the bench tenant"),
    );
    let (stop, pairs, counter) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (store, tenant, stop, pairs, counter, tenant_id) = (
                Arc::clone(&store),
                Arc::clone(&tenant),
                Arc::clone(&stop),
                Arc::clone(&pairs),
                Arc::clone(&counter),
                tenant_id.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let (provider, rest) = (n % PROVIDERS as u64, n / PROVIDERS as u64);
                    let start = base
                        + chrono::Duration::days((rest / 11) as i64)
                        + chrono::Duration::hours((rest % 11) as i64);
                    let now = Utc::now();
                    let hold = NewHold {
                        tenant: tenant_id.clone(),
                        service: "cut".into(),
                        candidates: vec![Candidate {
                            provider: format!("p{provider}").as_str().into(),
                            weight: 1,
                            max_per_day: None,
                        }],
                        customer: slotline_shared::phone::PhoneNumber::parse(&format!(
                            "+3463{:07}",
                            n % 10_000_000
                        ))
                        .unwrap(),
                        start,
                        end: start + chrono::Duration::minutes(30),
                        block_start: start,
                        block_end: start + chrono::Duration::minutes(40),
                        expires_at: now + chrono::Duration::minutes(10),
                        day: (
                            start - chrono::Duration::hours(10),
                            start + chrono::Duration::hours(14),
                        ),
                        fairness_since: now - chrono::Duration::days(30),
                        idempotency_key: format!("raw-{n}"),
                        deposit: None,
                    };
                    let Ok((HoldOutcome::Held(r), _)) = store.hold(&hold, now).await else {
                        continue;
                    };
                    let planner = slotline_bridge::scheduler::planner(&tenant, now, Told::Already);
                    let reference = slotline_bridge::scheduler::reference_for(&r.id);
                    if let Ok(ChangeOutcome::Done(_)) = store
                        .confirm(&tenant_id, &r.id, &reference, now, planner)
                        .await
                    {
                        pairs.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let elapsed = run_for_4s(&stop, tasks).await;
    pairs.load(Ordering::Relaxed) as f64 / elapsed
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // The floor: an empty axum handler, served from this process on its own thread.
    let floor_url = common::floor_server();

    let dir = tempfile::tempdir().unwrap();
    // Deposits go to a Stripe stand-in on loopback, in this process.
    let stripe = slotline_e2e::stripe::StripeStandIn::start(common::STRIPE_KEY).unwrap();
    let spawned = spawn_bridge_with(
        &dir.path().join("bench.db"),
        &[
            ("STRIPE_API_URL", stripe.url.clone()),
            ("STRIPE_SECRET_KEY", common::STRIPE_KEY.to_owned()),
            (
                "STRIPE_WEBHOOK_SECRET",
                slotline_e2e::stripe::WEBHOOK_SECRET.to_owned(),
            ),
        ],
    )
    .await;
    let (mut child, url) = (spawned.child, spawned.url);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let client = TestBridge::at(url.clone(), None);

    // A tenant with 20 providers working 08:00–20:00 every day.
    let tenant = json!({"id": "bench", "name": "Bench", "zone": "Europe/Madrid", "policy": {"min_notice_min": 0, "window_days": 90}});
    admin(
        &client,
        reqwest::Method::POST,
        "/admin/tenants",
        tenant.clone(),
    )
    .await;
    admin(&client,
            reqwest::Method::POST,
            "/admin/tenants/bench/services",
            json!({"id": "cut", "name": "Cut", "duration_min": 30, "price_minor": 2000, "currency": "EUR", "buffer_after_min": 10}),
        ).await;
    let day = json!([{"start": "08:00", "end": "13:00"}, {"start": "14:00", "end": "20:00"}]);
    for i in 0..PROVIDERS {
        admin(
            &client,
            reqwest::Method::POST,
            "/admin/tenants/bench/providers",
            json!({"id": format!("p{i}"), "name": format!("P{i}"), "services": ["cut"]}),
        )
        .await;
        admin(&client,
                reqwest::Method::PUT,
                &format!("/admin/tenants/bench/providers/p{i}/availability"),
                json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}),
            ).await;
    }
    // The same business taking a 30 % deposit through Stripe, for the confirm round trips.
    let mut paying = tenant.clone();
    paying["id"] = json!("pay");
    paying["payments"] = json!({"stripe_account": "acct_1BenchDeposit0001"});
    admin(&client, reqwest::Method::POST, "/admin/tenants", paying).await;
    admin(&client,
            reqwest::Method::POST,
            "/admin/tenants/pay/services",
            json!({"id": "cut", "name": "Cut", "duration_min": 30, "price_minor": 2000, "currency": "EUR", "deposit_percent": 30}),
        ).await;
    for i in 0..PROVIDERS {
        admin(
            &client,
            reqwest::Method::POST,
            "/admin/tenants/pay/providers",
            json!({"id": format!("p{i}"), "name": format!("P{i}"), "services": ["cut"]}),
        )
        .await;
        admin(&client,
                reqwest::Method::PUT,
                &format!("/admin/tenants/pay/providers/p{i}/availability"),
                json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}),
            ).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_kb(child.id());

    let from = (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + chrono::Duration::days(1))
        .date_naive();
    let slots = BridgeRequest::Slots {
        service: "cut".into(),
        provider: None,
        from,
        days: 14,
    };
    let BridgeAnswer::Slots { slots: listed } = client.rpc("bench", &slots).await else {
        panic!("slots")
    };
    let slot_count = listed.len();

    let (cold, warm) = slot_latencies(&client, "bench", &tenant, &slots).await;
    let (cold_p50, cold_p99) = percentiles(cold);
    let (warm_p50, warm_p99) = percentiles(warm);
    let (floor_p50, floor_p99) = percentiles(get_latencies(&http, &floor_url, 1000).await);

    // One confirmation at a time, plain and with a deposit (a Checkout Session opened at
    // the Stripe stand-in on the way), on times far from the throughput run's.
    let confirm_at = |day: i64| {
        chrono_tz::Europe::Madrid
            .from_local_datetime(
                &(from + chrono::Duration::days(day))
                    .and_hms_opt(8, 0, 0)
                    .unwrap(),
            )
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    let (plain_p50, plain_p99) =
        percentiles(confirm_latencies(&client, "bench", confirm_at(80), CONFIRMS).await);
    let (deposit_p50, deposit_p99) =
        percentiles(confirm_latencies(&client, "pay", confirm_at(80), CONFIRMS).await);

    // Hold + confirm throughput, distinct slots per pair, one provider named per hold.
    let client = Arc::new(client);
    let stop = Arc::new(AtomicBool::new(false));
    let pairs = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let hold_times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let rss_max = Arc::new(AtomicU64::new(0));
    let pid = child.id();
    let sampler = {
        let (stop, rss_max) = (Arc::clone(&stop), Arc::clone(&rss_max));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                rss_max.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let base = chrono_tz::Europe::Madrid
        .from_local_datetime(
            &(from + chrono::Duration::days(20))
                .and_hms_opt(8, 0, 0)
                .unwrap(),
        )
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, stop, pairs, counter, hold_times) = (
                Arc::clone(&client),
                Arc::clone(&stop),
                Arc::clone(&pairs),
                Arc::clone(&counter),
                Arc::clone(&hold_times),
            );
            tokio::spawn(async move {
                let mut times = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    // 20 providers × 11 morning-to-evening hourly starts a day, over 60 days.
                    let (provider, rest) = (n % PROVIDERS as u64, n / PROVIDERS as u64);
                    let start = base
                        + chrono::Duration::days((rest / 11) as i64)
                        + chrono::Duration::hours((rest % 11) as i64);
                    let hold = BridgeRequest::Hold {
                        service: "cut".into(),
                        provider: Some(format!("p{provider}").as_str().into()),
                        start,
                        customer: slotline_shared::phone::PhoneNumber::parse(&format!(
                            "+3462{:07}",
                            n % 10_000_000
                        ))
                        .unwrap(),
                        idempotency_key: format!("bench-{n}"),
                    };
                    let asked = Instant::now();
                    let answer = client.rpc("bench", &hold).await;
                    times.push(asked.elapsed().as_secs_f64() * 1000.0);
                    if let BridgeAnswer::Held { hold } = answer {
                        let confirm = BridgeRequest::Confirm {
                            hold: hold.id,
                            idempotency_key: format!("c-{n}"),
                        };
                        if let BridgeAnswer::Booked { .. } = client.rpc("bench", &confirm).await {
                            pairs.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                hold_times.lock().unwrap().extend(times);
            })
        })
        .collect();
    let elapsed = run_for_4s(&stop, tasks).await;
    sampler.await.unwrap();
    let per_sec = pairs.load(Ordering::Relaxed) as f64 / elapsed;
    let (hold_p50, hold_p99) = percentiles(std::mem::take(&mut *hold_times.lock().unwrap()));
    let floor_rps = get_throughput(&http, &floor_url, 2.0).await;
    let _ = child.kill();
    let _ = child.wait();
    // The raw floor, on the file the bridge wrote, after it stopped, on days after the
    // bridge's run: the same two transactions straight on the store.
    let raw = raw_store_pairs(
        &dir.path().join("bench.db"),
        base + chrono::Duration::days(70),
    )
    .await;

    println!(
        "slots 20 providers x 14 days ({slot_count} slots): warm p50 {warm_p50:.3} ms p99 {warm_p99:.3} ms; cold p50 {cold_p50:.2} ms p99 {cold_p99:.2} ms"
    );
    println!(
        "floor (empty axum handler): p50 {floor_p50:.3} ms p99 {floor_p99:.3} ms; {floor_rps:.0} req/s with {CLIENTS} clients"
    );
    println!(
        "hold + confirm: {per_sec:.0} pairs/s with {CLIENTS} clients ({:.0} requests/s); a hold under that load p50 {hold_p50:.2} ms p99 {hold_p99:.2} ms; raw floor (the same store transactions, no HTTP) {raw:.0} pairs/s",
        per_sec * 2.0
    );
    println!(
        "confirm, one at a time: plain p50 {plain_p50:.2} ms p99 {plain_p99:.2} ms; with a deposit (Checkout Session at the stand-in) p50 {deposit_p50:.2} ms p99 {deposit_p99:.2} ms"
    );
    let (drawn, empty) = pdf_latencies();
    let (pdf_p50, pdf_p99) = percentiles(drawn);
    let (empty_pdf_p50, empty_pdf_p99) = percentiles(empty);
    println!(
        "receipt PDF ({RECEIPTS} drawn): p50 {pdf_p50:.3} ms p99 {pdf_p99:.3} ms; empty page with the same library p50 {empty_pdf_p50:.3} ms p99 {empty_pdf_p99:.3} ms"
    );
    println!(
        "bridge RSS: idle {:.1} MB, under load {:.1} MB",
        rss_idle as f64 / 1024.0,
        rss_max.load(Ordering::Relaxed) as f64 / 1024.0
    );
    let json = json!({
        "bench": "bridge",
        "slots_20x14": {"slots": slot_count, "warm_p50_ms": warm_p50, "warm_p99_ms": warm_p99, "cold_p50_ms": cold_p50, "cold_p99_ms": cold_p99},
        "hold_confirm": {"clients": CLIENTS, "pairs_per_sec": per_sec, "hold_p50_ms": hold_p50, "hold_p99_ms": hold_p99, "raw_floor_pairs_per_sec": raw},
        "confirm_round_trip": {"confirms": CONFIRMS, "plain_p50_ms": plain_p50, "plain_p99_ms": plain_p99, "deposit_p50_ms": deposit_p50, "deposit_p99_ms": deposit_p99},
        "receipt_pdf": {"drawn": RECEIPTS, "p50_ms": pdf_p50, "p99_ms": pdf_p99, "empty_page_p50_ms": empty_pdf_p50, "empty_page_p99_ms": empty_pdf_p99},
        "rss_mb": {"idle": rss_idle as f64 / 1024.0, "under_load": rss_max.load(Ordering::Relaxed) as f64 / 1024.0},
        "floor": {"what": "empty axum handler, same client", "p50_ms": floor_p50, "p99_ms": floor_p99, "req_per_sec": floor_rps},
    });
    let out = std::env::var("SLOTLINE_BENCH_OUT")
        .unwrap_or_else(|_| "../target/bench/bridge.json".into());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, json.to_string()).unwrap();
    println!("wrote {out}");
}
