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
