//! What the benchmarks compute from their timings, and the load they apply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The median and the 99th percentile of `samples` (any unit). Panics on none: a benchmark
/// that measured nothing has nothing to report.
pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Latency percentiles (ms) and throughput of a load.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Median latency.
    pub p50: f64,
    /// 99th percentile latency.
    pub p99: f64,
    /// Requests answered per second, all clients together.
    pub rps: f64,
}

/// Runs `clients` threads for `secs`; thread `i` calls the request `client(i)` makes, one
/// call after another, each call answering how long its request took in milliseconds
/// (what it prepares beforehand, such as encrypting, is left out of that).
pub fn under_load<F>(clients: usize, secs: f64, client: impl Fn(usize) -> F) -> Figures
where
    F: FnMut() -> f64 + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let mut request = client(i);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    latencies.push(request());
                }
                latencies
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().expect("client thread"));
    }
    let count = all.len() as f64;
    let (p50, p99) = percentiles(all);
    Figures {
        p50,
        p99,
        rps: count / secs,
    }
}

/// `figures` as the benchmarks' JSON object.
pub fn figures_json(figures: &Figures) -> String {
    format!(
        r#"{{"p50_ms":{:.2},"p99_ms":{:.2},"req_per_sec":{:.0}}}"#,
        figures.p50, figures.p99, figures.rps
    )
}

/// CPU time (user and system, in milliseconds) used so far by process `pid` and every
/// process below it, read from `/proc`: what a server spent on a load, whatever the
/// clients waited for. `wrangler dev` runs the worker in child `workerd` processes, so the
/// whole tree counts. 0 where `/proc` cannot be read.
pub fn tree_cpu_ms(pid: u32) -> f64 {
    // Fields after the command name (which may hold spaces, so split after its ')').
    let stat = |pid: u32| -> Option<Vec<String>> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rest = &text[text.rfind(')')? + 2..];
        Some(rest.split_whitespace().map(str::to_owned).collect())
    };
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // Field 4 of stat is the parent: index 1 after the state.
            if let Some(ppid) = stat(p).and_then(|f| f.get(1)?.parse().ok()) {
                parents.push((p, ppid));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    // Linux reports these in USER_HZ ticks, 100 a second on every architecture it runs on.
    let ticks_ms = 10.0;
    tree.iter()
        .filter_map(|p| {
            let f = stat(*p)?;
            // utime and stime are fields 14 and 15: indexes 11 and 12 after the state.
            let user: f64 = f.get(11)?.parse().ok()?;
            let system: f64 = f.get(12)?.parse().ok()?;
            Some((user + system) * ticks_ms)
        })
        .sum()
}
