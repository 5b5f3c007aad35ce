//! The bridge's Spin component under the test host (`slotline-spin-host`), beside an empty
//! HTTP component (`tests/floor-spin`) served the same way in the same run:
//!
//! - cold start: compiling the component when the host starts, and the first request
//!   (a fresh instance, the bridge opening its database and reading its variables);
//! - warm requests, one after another: `/healthz` (the bridge reads the store's health) and
//!   an owner's read of a catalog (`GET /admin/tenants/demo/services`), against the floor's
//!   empty answer. Each request is a fresh instance, as in Spin.
//!
//! Figures go to the JSON file named by `SLOTLINE_BENCH_OUT` (default
//! `target/bench/spin.json`). Needs the release component and the floor
//! (`cargo build --target wasm32-wasip2 --release -p slotline-bridge-spin -p
//! slotline-floor-spin`) and the host (`cargo build -p slotline-spin-host`); `cargo xtask
//! bench` builds them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use slotline_e2e::measure::percentiles;
use slotline_e2e::paths;

const REQUESTS: usize = 300;

struct Served {
    child: Child,
    url: String,
    compiled_ms: f64,
    first_ms: f64,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the host on `manifest` and `component` with its databases in `data`, asks `probe`
/// once, and reads the host's own timings of the compile and of that first request.
fn serve(manifest: &Path, component: &Path, data: &Path, vars: &[&str], probe: &str) -> Served {
    let mut host = Command::new(paths::target_dir().join("debug/slotline-spin-host"));
    host.arg("--manifest")
        .arg(manifest)
        .arg("--component")
        .arg(component)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped());
    for var in vars {
        host.args(["--var", var]);
    }
    let mut child = host.spawn().expect("the Spin host starts");
    let mut lines = BufReader::new(child.stdout.take().expect("its output"));
    let mut line = String::new();
    lines
        .read_line(&mut line)
        .expect("the host says where it listens");
    // "listening on 127.0.0.1:PORT (component compiled in N ms)"
    let addr = line
        .split_whitespace()
        .nth(2)
        .expect("an address")
        .to_owned();
    let number = |text: &str, after: &str| -> f64 {
        text.split(after)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no figure after {after:?} in {text:?}"))
    };
    let compiled_ms = number(&line, "compiled in ");
    let url = format!("http://{addr}");
    let started = Instant::now();
    let status = ureq::get(&format!("{url}{probe}"))
        .call()
        .map(|r| r.status())
        .unwrap_or_else(|e| panic!("{probe}: {e}"));
    assert_eq!(status, 200, "{probe} answered {status}");
    let outside_ms = started.elapsed().as_secs_f64() * 1000.0;
    line.clear();
    lines
        .read_line(&mut line)
        .expect("the host times the first request");
    let first_ms = number(&line, "answered in ");
    println!(
        "  {} : compiled {compiled_ms} ms, first request {first_ms} ms ({outside_ms:.1} ms from outside)",
        component.display()
    );
    Served {
        child,
        url,
        compiled_ms,
        first_ms,
    }
}

/// `REQUESTS` requests one after another; p50 and p99 in milliseconds.
fn warm(url: &str, auth: Option<&str>) -> (f64, f64) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let mut request = agent.get(url);
        if let Some(key) = auth {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        let started = Instant::now();
        let response = request.call().unwrap_or_else(|e| panic!("{url}: {e}"));
        let _ = response.into_string();
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    percentiles(samples)
}

fn main() {
    const OPERATOR: &str = "bench-operator-key-0123456789";
    let release = paths::target_dir().join("wasm32-wasip2/release");
    let data = tempfile::tempdir().expect("a temporary folder");
    let floor = serve(
        &paths::root().join("tests/floor-spin/spin.toml"),
        &release.join("slotline_floor_spin.wasm"),
        data.path(),
        &[],
        "/",
    );
    let key = format!("slotline_operator_key={OPERATOR}");
    let vars = [
        "slotline_worker_secret=bench-worker-secret-0123456789",
        key.as_str(),
        "slotline_seed_demo=1",
    ];
    let start = || {
        serve(
            &paths::root().join("spin.toml"),
            &release.join("slotline_bridge_spin.wasm"),
            data.path(),
            &vars,
            "/healthz",
        )
    };
    // The first start makes the database (migrations, the demo); a cold start after it is
    // what a scaled-to-zero deployment pays.
    let first = start();
    let first_ever_ms = first.first_ms;
    drop(first);
    let bridge = start();
    let (floor_p50, floor_p99) = warm(&format!("{}/", floor.url), None);
    let (health_p50, health_p99) = warm(&format!("{}/healthz", bridge.url), None);
    let (read_p50, read_p99) = warm(
        &format!("{}/admin/tenants/demo/services", bridge.url),
        Some(OPERATOR),
    );
    let size = |name: &str| std::fs::metadata(release.join(name)).map_or(0, |m| m.len());
    println!(
        "{:<28} {:>10} {:>10}\n{:<28} {:>10.2} {:>10.2}\n{:<28} {:>10.2} {:>10.2}\n{:<28} {:>10.2} {:>10.2}",
        "warm requests (ms)",
        "p50",
        "p99",
        "floor: empty component",
        floor_p50,
        floor_p99,
        "bridge: /healthz",
        health_p50,
        health_p99,
        "bridge: owner reads services",
        read_p50,
        read_p99
    );
    let json = format!(
        r#"{{"component_bytes":{},"floor_component_bytes":{},"cold_start":{{"bridge":{{"compile_ms":{},"first_request_ms":{},"first_request_new_database_ms":{first_ever_ms}}},"floor":{{"compile_ms":{},"first_request_ms":{}}}}},"warm":{{"requests":{REQUESTS},"floor":{{"p50_ms":{floor_p50:.2},"p99_ms":{floor_p99:.2}}},"healthz":{{"p50_ms":{health_p50:.2},"p99_ms":{health_p99:.2}}},"services_read":{{"p50_ms":{read_p50:.2},"p99_ms":{read_p99:.2}}}}}}}"#,
        size("slotline_bridge_spin.wasm"),
        size("slotline_floor_spin.wasm"),
        bridge.compiled_ms,
        bridge.first_ms,
        floor.compiled_ms,
        floor.first_ms,
    );
    let out = std::env::var_os("SLOTLINE_BENCH_OUT")
        .map_or_else(|| paths::target_dir().join("bench/spin.json"), Into::into);
    if let Some(dir) = Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("the bench folder");
    }
    std::fs::write(&out, json).expect("the figures are written");
    println!("figures written to {}", Path::new(&out).display());
}
