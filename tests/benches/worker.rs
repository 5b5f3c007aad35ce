//! Webhook → reply latency through `wrangler dev` at 1, 20, 100 and 300 concurrent
//! customers, next to two floors measured the same way in the same run: the empty Rust
//! worker (what `wrangler dev` costs), and the same worker handing each webhook to a
//! Durable Object named like a conversation that reads and writes one key (what crossing
//! into an object and persisting there costs); and the worker bundle's size, raw and
//! gzipped.
//!
//! Each customer is a thread sending signed webhooks one after another ("hi", then "menu",
//! and so on: every message goes through routing, the Durable Object and a storage write,
//! with the route and catalog caches warm). The floors get the very same requests. Beside
//! each latency, the CPU time the server side spent per message (`wrangler dev` and its
//! `workerd`, read from `/proc`; for the real worker, the bridge's too): on two cores
//! shared with the clients, that is what the latency under load is made of. Figures go to
//! the JSON file named by `SLOTLINE_BENCH_OUT` (default `target/bench/worker.json`).
//! `SLOTLINE_BENCH_LEVELS` (e.g. `1,20`) measures only those levels, for a quick look.

use std::process::Command;
use std::time::Instant;

use slotline_e2e::measure::{Figures, figures_json, tree_cpu_ms, under_load};
use slotline_e2e::stack::{Process, Wrangler};
use slotline_e2e::{Phone, Stack, StackOptions};

const LEVELS: [usize; 4] = [1, 20, 100, 300];
const SECONDS: f64 = 6.0;

/// Runs `customers` threads for `secs`, each sending to `target` (the real worker's URL or
/// the floor's) with its own phone; returns latency percentiles and throughput.
fn load(stack: &Stack, target: &str, customers: usize, secs: f64, run: u32) -> Figures {
    under_load(customers, secs, |i| {
        let phone = Phone::new(
            target,
            &stack.public_base_url,
            &stack.auth_token,
            &format!("+34699{run:02}{i:05}"),
            "+14155238886",
        );
        let mut n = 0u64;
        move || {
            let text = if n.is_multiple_of(2) { "hi" } else { "menu" };
            n += 1;
            let t = Instant::now();
            match phone.send(text) {
                Ok(r) if r.status == 200 => t.elapsed().as_secs_f64() * 1000.0,
                Ok(r) => panic!("answered {}: {}", r.status, r.body),
                Err(e) => panic!("{e}"),
            }
        }
    })
}

fn gzip_size(path: &std::path::Path) -> u64 {
    Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map(|o| o.stdout.len() as u64)
        .unwrap_or(0)
}

fn main() {
    let stack = Stack::start(StackOptions {
        messages_per_minute: 1_000_000,
        ..StackOptions::default()
    })
    .expect("stack");
    let floor = Wrangler::start("tests/floor-worker").expect("floor worker");
    let floor_do = Wrangler::start("tests/floor-worker/do").expect("Durable Object floor");
    let levels: Vec<usize> = std::env::var("SLOTLINE_BENCH_LEVELS")
        .ok()
        .map(|l| l.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| LEVELS.to_vec());
    let worker_pid = stack.pid_of(Process::Worker).expect("the worker's process");
    let bridge_pid = stack.pid_of(Process::Bridge).expect("the bridge's process");
    let mut rows = Vec::new();
    println!(
        "{:>10} {:>20} {:>20} {:>20} {:>16} {:>16} {:>26}",
        "customers",
        "worker p50/p99 ms",
        "empty p50/p99 ms",
        "DO floor p50/p99",
        "/empty p50/p99",
        "/DO p50/p99",
        "CPU ms/msg worker+bridge/DO"
    );
    // Each customer number is used at one level only: the phones of a run are its own
    // conversations (and Durable Objects), warmed by its first second.
    for (run, customers) in levels.into_iter().enumerate() {
        let run = run as u32 * 3;
        // Latencies, and CPU milliseconds per message of each process tree in `pids`.
        let measure = |url: &str, run: u32, pids: &[u32]| {
            load(&stack, url, customers, 1.0, run);
            let before: Vec<f64> = pids.iter().map(|p| tree_cpu_ms(*p)).collect();
            let figures = load(&stack, url, customers, SECONDS, run);
            let messages = figures.rps * SECONDS;
            let cpu: Vec<f64> = pids
                .iter()
                .zip(before)
                .map(|(p, b)| (tree_cpu_ms(*p) - b) / messages)
                .collect();
            (figures, cpu)
        };
        let (worker, cpu) = measure(&stack.worker_url, run, &[worker_pid, bridge_pid]);
        let (empty, empty_cpu) = measure(&floor.url, run + 1, &[floor.pid()]);
        let (with_do, do_cpu) = measure(&floor_do.url, run + 2, &[floor_do.pid()]);
        let (r50, r99) = (worker.p50 / empty.p50, worker.p99 / empty.p99);
        let (d50, d99) = (worker.p50 / with_do.p50, worker.p99 / with_do.p99);
        println!(
            "{customers:>10} {:>9.1} / {:>8.1} {:>9.1} / {:>8.1} {:>9.1} / {:>8.1} {r50:>7.2} / {r99:>6.2} {d50:>7.2} / {d99:>6.2} {:>9.2}+{:.2} / {:.2}",
            worker.p50,
            worker.p99,
            empty.p50,
            empty.p99,
            with_do.p50,
            with_do.p99,
            cpu[0],
            cpu[1],
            do_cpu[0]
        );
        rows.push(format!(
            r#"{{"customers":{customers},"worker":{},"floor":{},"do_floor":{},"ratio_p50":{r50:.2},"ratio_p99":{r99:.2},"ratio_do_p50":{d50:.2},"ratio_do_p99":{d99:.2},"cpu_ms_per_message":{{"worker":{:.3},"bridge":{:.3},"floor":{:.3},"do_floor":{:.3}}}}}"#,
            figures_json(&worker),
            figures_json(&empty),
            figures_json(&with_do),
            cpu[0],
            cpu[1],
            empty_cpu[0],
            do_cpu[0]
        ));
    }
    let build = slotline_e2e::paths::root().join("worker/build");
    let wasm = build.join("index_bg.wasm");
    let js = build.join("index.js");
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let (wasm_raw, wasm_gz, js_raw, js_gz) =
        (size(&wasm), gzip_size(&wasm), size(&js), gzip_size(&js));
    println!(
        "bundle: wasm {wasm_raw} B raw, {wasm_gz} B gzip; js {js_raw} B raw, {js_gz} B gzip; total {} B gzip",
        wasm_gz + js_gz
    );
    let json = format!(
        r#"{{"bench":"worker","seconds_per_level":{SECONDS},"levels":[{}],"bundle":{{"wasm_raw":{wasm_raw},"wasm_gzip":{wasm_gz},"js_raw":{js_raw},"js_gzip":{js_gz},"total_gzip":{}}}}}"#,
        rows.join(","),
        wasm_gz + js_gz
    );
    let out = std::env::var("SLOTLINE_BENCH_OUT")
        .unwrap_or_else(|_| "../target/bench/worker.json".into());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, json).expect("write results");
    println!("wrote {out}");
}
