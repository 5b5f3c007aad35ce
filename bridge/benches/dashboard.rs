//! What the owner's dashboard costs the bridge, on the demo salon's data: each API call its
//! pages make, timed one at a time with a signed-in session cookie (p50/p99), and signing in
//! (argon2id's deliberate cost), beside the floor: an empty axum handler measured by the same
//! client in the same run.
//!
//! Figures go to the JSON file named by `SLOTLINE_BENCH_OUT` (default
//! `target/bench/dashboard.json`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use serde_json::{Value, json};
use slotline_e2e::measure::percentiles;

/// Times each call is measured.
const CALLS: usize = 500;
/// Sign-ins timed.
const SIGN_INS: usize = 20;

#[tokio::main]
async fn main() {
    let floor_url = common::floor_server();
    let dir = tempfile::tempdir().unwrap();
    let spawned = common::spawn_bridge_with(
        &dir.path().join("bench.db"),
        &[("SLOTLINE_SEED_DEMO", "1".to_owned())],
    )
    .await;
    let (mut child, url) = (spawned.child, spawned.url);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()
        .unwrap();
    let sign_in = || async {
        let t = Instant::now();
        let r = http
            .post(format!("{url}/auth/login"))
            .json(&json!({"email": "owner@salon-bella.example", "password": "bella-demo-2026"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the demo owner signs in");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (t.elapsed().as_secs_f64() * 1000.0, cookie)
    };
    let mut sign_ins = Vec::new();
    let mut cookie = String::new();
    for _ in 0..SIGN_INS {
        let (ms, c) = sign_in().await;
        sign_ins.push(ms);
        cookie = c;
    }
    // Each page's calls: the session check every page load makes, then the page's own.
    let calls = [
        ("session (every page)", "/auth/me"),
        ("business profile", "/admin/tenants/demo"),
        ("services", "/admin/tenants/demo/services"),
        ("staff", "/admin/tenants/demo/providers"),
        ("users", "/admin/tenants/demo/users"),
        ("sessions", "/auth/sessions"),
        ("bookings", "/admin/tenants/demo/bookings"),
        ("customers", "/admin/tenants/demo/customers"),
        ("message templates", "/admin/tenants/demo/message-templates"),
        ("invitations", "/admin/tenants/demo/invites"),
        ("own numbers", "/admin/tenants/demo/senders"),
        ("audit log", "/admin/tenants/demo/audit"),
        (
            "starting services",
            "/admin/service-templates?kind=salon&languages=es,en&currency=EUR",
        ),
    ];
    let mut figures = serde_json::Map::new();
    let mut worst_p99: f64 = 0.0;
    for (what, path) in calls {
        let mut samples = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let t = Instant::now();
            let r = http
                .get(format!("{url}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let _ = r.bytes().await.unwrap();
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (p50, p99) = percentiles(samples);
        worst_p99 = worst_p99.max(p99);
        println!("dashboard call {what:<22} {path:<32} p50 {p50:.2} ms p99 {p99:.2} ms");
        figures.insert(
            path.to_owned(),
            json!({"page": what, "p50_ms": p50, "p99_ms": p99}),
        );
    }
    let (floor_p50, floor_p99) = percentiles(common::get_latencies(&http, &floor_url, CALLS).await);
    let (sign_in_p50, sign_in_p99) = percentiles(sign_ins);
    println!(
        "dashboard: worst page call p99 {worst_p99:.2} ms (target 30); sign-in p50 {sign_in_p50:.1} ms p99 {sign_in_p99:.1} ms; floor p50 {floor_p50:.3} ms p99 {floor_p99:.3} ms"
    );
    let _ = child.0.kill();
    let json: Value = json!({
        "bench": "dashboard",
        "calls": figures,
        "worst_call_p99_ms": worst_p99,
        "sign_in": {"runs": SIGN_INS, "p50_ms": sign_in_p50, "p99_ms": sign_in_p99},
        "floor": {"what": "empty axum handler, same client", "p50_ms": floor_p50, "p99_ms": floor_p99},
    });
    let out = std::env::var("SLOTLINE_BENCH_OUT")
        .unwrap_or_else(|_| "../target/bench/dashboard.json".into());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, json.to_string()).unwrap();
    println!("wrote {out}");
}
