//! The WhatsApp Flow endpoint's latency through `wrangler dev`, next to the empty worker
//! measured the same way in the same run.
//!
//! A business with 20 staff, each working every day, and a 14-day booking window; each
//! client plays WhatsApp: it encrypts a `data_exchange` for a date (the times of that day
//! for "any available", the heaviest screen) or a `ping`, posts it to the worker's
//! `/flows/{tenant}` (relayed to the bridge, which decrypts, answers from its warm slot
//! cache and encrypts), and opens the answer. Encrypting is done before the clock starts,
//! as WhatsApp's servers do it on their side. The same bodies go to the bridge directly
//! (what the relay costs) and to the empty worker (the floor), and the bridge's `/healthz`
//! is asked the same way (a bare round trip to it). Figures go to the JSON file named by
//! `SLOTLINE_BENCH_OUT` (default `target/bench/flows.json`).

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};
use slotline_e2e::measure::{Figures, figures_json, under_load};
use slotline_e2e::meta::seal;
use slotline_e2e::stack::{WORKER_SECRET, Wrangler};
use slotline_e2e::{Stack, StackOptions};
use slotline_shared::catalog::TenantId;
use slotline_shared::flow_token::FlowToken;
use slotline_shared::lang::Lang;
use slotline_shared::phone::PhoneNumber;

const TENANT: &str = "bench-flows";
const STAFF: usize = 20;
const WINDOW_DAYS: i64 = 14;
const LEVELS: [usize; 2] = [1, 10];
const SECONDS: f64 = 5.0;

/// Makes the business and its Flow key; the public key.
fn business(stack: &Stack) -> String {
    let day = json!([{"start": "08:00", "end": "20:00"}]);
    let week =
        json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
    let mut calls = vec![
        (
            "POST",
            "/admin/tenants".to_owned(),
            json!({"id": TENANT, "name": "Bench Clinic", "zone": "America/Mexico_City",
                   "languages": ["es"], "numbers": ["+525500000777"],
                   "policy": {"window_days": WINDOW_DAYS}}),
        ),
        (
            "POST",
            format!("/admin/tenants/{TENANT}/services"),
            json!({"id": "consulta", "name": "Consulta", "duration_min": 30, "price_minor": 50000, "currency": "MXN"}),
        ),
    ];
    for i in 0..STAFF {
        calls.push((
            "POST",
            format!("/admin/tenants/{TENANT}/providers"),
            json!({"id": format!("p{i}"), "name": format!("Doctor {i}"), "services": ["consulta"]}),
        ));
        calls.push((
            "PUT",
            format!("/admin/tenants/{TENANT}/providers/p{i}/availability"),
            week.clone(),
        ));
    }
    calls.push((
        "POST",
        format!("/admin/tenants/{TENANT}/flows/keys"),
        Value::Null,
    ));
    let mut public = String::new();
    for (method, path, body) in calls {
        let body = (!body.is_null()).then_some(body);
        let (status, answer) = stack.admin(method, &path, body.as_ref());
        assert!(
            status == 200 || status == 201,
            "{method} {path}: {status} {answer}"
        );
        if let Some(key) = answer["public_key"].as_str() {
            public = key.to_owned();
        }
    }
    public
}

/// What each client sends, over and over.
#[derive(Clone, Copy)]
enum Kind {
    /// The times of a date, for any of the 20 staff.
    Date,
    /// The health check.
    Ping,
}

/// `clients` threads for `secs`, each posting `kind` requests to `url` one after another;
/// every answer must be 200 (and, from our endpoint, the screen asked for).
fn load(url: &str, public: &str, kind: Kind, clients: usize, secs: f64, floor: bool) -> Figures {
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::Mexico_City)
        .date_naive();
    under_load(clients, secs, |c| {
        let (url, public) = (url.to_owned(), public.to_owned());
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        let customer = PhoneNumber::parse(&format!("+5255{c:08}")).expect("a number");
        let token = FlowToken::new(
            TenantId::from(TENANT),
            customer,
            c as u64,
            Lang::Es,
            Utc::now(),
        )
        .mint(WORKER_SECRET.as_bytes());
        let mut n = 0i64;
        move || {
            let request = match kind {
                Kind::Date => {
                    let date = today + chrono::Duration::days(1 + n % (WINDOW_DAYS - 1));
                    json!({"version": "3.0", "action": "data_exchange", "screen": "DATE",
                           "data": {"service": "consulta", "provider": "any", "date": date.format("%Y-%m-%d").to_string()},
                           "flow_token": token})
                }
                Kind::Ping => json!({"version": "3.0", "action": "ping"}),
            };
            n += 1;
            let sealed = seal(&public, &request, None);
            let t = Instant::now();
            let answer = sealed.post(&agent, &url);
            let took = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(answer.status, 200, "{answer:?}");
            if !floor {
                let json = answer.json.expect("an encrypted answer");
                match kind {
                    Kind::Date => assert_eq!(json["screen"], "TIME", "{json}"),
                    Kind::Ping => assert_eq!(json["data"]["status"], "active"),
                }
            }
            took
        }
    })
}

/// `clients` threads for `secs` asking `url` (the bridge's `/healthz`) one after another:
/// what an HTTP round trip to the bridge costs with nothing opened or sealed.
fn bare(url: &str, clients: usize, secs: f64) -> Figures {
    under_load(clients, secs, |_| {
        let url = url.to_owned();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        move || {
            let t = Instant::now();
            let answer = agent.get(&url).call().expect("healthz");
            let took = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(answer.status(), 200);
            took
        }
    })
}

fn main() {
    let stack = Stack::start(StackOptions {
        seed_demo: false,
        ..StackOptions::default()
    })
    .expect("stack");
    let floor = Wrangler::start("tests/floor-worker").expect("floor worker");
    let public = business(&stack);
    let edge = format!("{}/flows/{TENANT}", stack.worker_url);
    let direct = format!("{}/flows/{TENANT}", stack.bridge_url);
    let empty = format!("{}/flows/{TENANT}", floor.url);
    // Warm every day of the window in the slot cache, and both workers.
    load(&edge, &public, Kind::Date, 2, 2.0, false);
    load(&empty, &public, Kind::Ping, 2, 1.0, true);
    let healthz = format!("{}/healthz", stack.bridge_url);
    println!(
        "{:>8} {:>8} {:>19} {:>19} {:>19} {:>19} {:>13} {:>13}",
        "clients",
        "request",
        "worker p50/p99 ms",
        "bridge p50/p99 ms",
        "empty worker",
        "bridge /healthz",
        "p99 worker/e",
        "p99 bridge/e"
    );
    let mut rows = Vec::new();
    for clients in LEVELS {
        let at_healthz = bare(&healthz, clients, SECONDS);
        for (name, kind) in [("date", Kind::Date), ("ping", Kind::Ping)] {
            let at_edge = load(&edge, &public, kind, clients, SECONDS, false);
            let at_bridge = load(&direct, &public, kind, clients, SECONDS, false);
            let at_floor = load(&empty, &public, kind, clients, SECONDS, true);
            let (edge_ratio, bridge_ratio) =
                (at_edge.p99 / at_floor.p99, at_bridge.p99 / at_floor.p99);
            println!(
                "{clients:>8} {name:>8} {:>8.1} / {:>8.1} {:>8.1} / {:>8.1} {:>8.1} / {:>8.1} {:>8.1} / {:>8.1} {edge_ratio:>13.2} {bridge_ratio:>13.2}",
                at_edge.p50,
                at_edge.p99,
                at_bridge.p50,
                at_bridge.p99,
                at_floor.p50,
                at_floor.p99,
                at_healthz.p50,
                at_healthz.p99
            );
            rows.push(format!(
                r#"{{"clients":{clients},"request":"{name}","through_worker":{},"bridge_direct":{},"empty_worker":{},"bridge_healthz":{},"ratio_p99_worker_to_empty_worker":{edge_ratio:.2},"ratio_p99_bridge_to_empty_worker":{bridge_ratio:.2}}}"#,
                figures_json(&at_edge),
                figures_json(&at_bridge),
                figures_json(&at_floor),
                figures_json(&at_healthz)
            ));
        }
    }
    let json = format!(
        r#"{{"bench":"flows","staff":{STAFF},"window_days":{WINDOW_DAYS},"seconds_per_level":{SECONDS},"levels":[{}]}}"#,
        rows.join(",")
    );
    let out =
        std::env::var("SLOTLINE_BENCH_OUT").unwrap_or_else(|_| "../target/bench/flows.json".into());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, json).expect("write results");
    println!("wrote {out}");
}
