//! Bridge benchmarks over HTTP on loopback, against the real binary on SQLite:
//!
//! - slots for 20 providers × 14 days, warm (cached) and cold (after a configuration change
//!   flushed the caches);
//! - hold + confirm throughput with 16 concurrent clients;
//! - resident memory idle and under that load;
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
use common::{OPERATOR, TestBridge, get_latencies, slot_latencies, spawn_bridge};
use serde_json::{Value, json};
use slotline_e2e::measure::percentiles;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

const PROVIDERS: usize = 20;
const CLIENTS: usize = 16;

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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // The floor: an empty axum handler, served from this process on its own thread.
    let floor_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    floor_listener.set_nonblocking(true).unwrap();
    let floor_url = format!("http://{}/", floor_listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(floor_listener).unwrap();
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "" }));
            axum::serve(listener, app).await.unwrap();
        });
    });

    let dir = tempfile::tempdir().unwrap();
    let spawned = spawn_bridge(&dir.path().join("bench.db")).await;
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

    // Hold + confirm throughput, distinct slots per pair, one provider named per hold.
    let client = Arc::new(client);
    let stop = Arc::new(AtomicBool::new(false));
    let pairs = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
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
            let (client, stop, pairs, counter) = (
                Arc::clone(&client),
                Arc::clone(&stop),
                Arc::clone(&pairs),
                Arc::clone(&counter),
            );
            tokio::spawn(async move {
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
                    if let BridgeAnswer::Held { hold } = client.rpc("bench", &hold).await {
                        let confirm = BridgeRequest::Confirm {
                            hold: hold.id,
                            idempotency_key: format!("c-{n}"),
                        };
                        if let BridgeAnswer::Booked { .. } = client.rpc("bench", &confirm).await {
                            pairs.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    sampler.await.unwrap();
    let per_sec = pairs.load(Ordering::Relaxed) as f64 / elapsed;
    let floor_rps = get_throughput(&http, &floor_url, 2.0).await;
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "slots 20 providers x 14 days ({slot_count} slots): warm p50 {warm_p50:.3} ms p99 {warm_p99:.3} ms; cold p50 {cold_p50:.2} ms p99 {cold_p99:.2} ms"
    );
    println!(
        "floor (empty axum handler): p50 {floor_p50:.3} ms p99 {floor_p99:.3} ms; {floor_rps:.0} req/s with {CLIENTS} clients"
    );
    println!(
        "hold + confirm: {per_sec:.0} pairs/s with {CLIENTS} clients ({:.0} requests/s)",
        per_sec * 2.0
    );
    println!(
        "bridge RSS: idle {:.1} MB, under load {:.1} MB",
        rss_idle as f64 / 1024.0,
        rss_max.load(Ordering::Relaxed) as f64 / 1024.0
    );
    let json = json!({
        "bench": "bridge",
        "slots_20x14": {"slots": slot_count, "warm_p50_ms": warm_p50, "warm_p99_ms": warm_p99, "cold_p50_ms": cold_p50, "cold_p99_ms": cold_p99},
        "hold_confirm": {"clients": CLIENTS, "pairs_per_sec": per_sec},
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
