//! Hold + confirm throughput on PostgreSQL: through one bridge, through two bridges sharing
//! the database, and the floor — the same two store transactions issued straight on the
//! database by the same number of clients, without HTTP or the bridge's service layer.
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
use common::{OPERATOR, TestBridge, spawn_bridge_with};
use serde_json::json;
use slotline_bridge::adapters::PgStore;
use slotline_bridge::ports::{Candidate, ChangeOutcome, HoldOutcome, NewHold, Store};
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
    let one = through_bridges(Arc::new(vec![bridge_a]), "one", base).await;
    let two = through_bridges(
        Arc::new(vec![TestBridge::at(a.url.clone(), None), bridge_b]),
        "two",
        base,
    )
    .await;
    for child in [&mut a.child, &mut b.child] {
        let _ = child.kill();
        let _ = child.wait();
    }
    println!(
        "hold + confirm on PostgreSQL with {CLIENTS} clients: 1 bridge {one:.0} pairs/s, 2 bridges {two:.0} pairs/s; floor (the store's transactions direct, no HTTP) {floor:.0} pairs/s"
    );
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
        },
    });
    std::fs::write(&out, figures.to_string()).unwrap();
    println!("wrote {out}");
    drop(store);
}
