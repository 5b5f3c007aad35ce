//! What the benchmarks compute from their timings.

/// The median and the 99th percentile of `samples` (any unit). Panics on none: a benchmark
/// that measured nothing has nothing to report.
pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}
