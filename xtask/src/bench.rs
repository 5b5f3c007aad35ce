//! `cargo xtask bench`: runs every benchmark and gathers their figures into one JSON file,
//! `bench-results/latest.json`, keeping the previous run as `bench-results/previous.json`
//! so two runs can be compared.
//!
//! Each benchmark writes its own JSON (it also measures its floor in the same run); this
//! task only runs them and collects the files.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::process::{self, cargo, root};
use crate::{bootstrap, build};

/// One benchmark: a name, and the cargo arguments that run it.
struct Bench {
    name: &'static str,
    args: &'static [&'static str],
}

const BENCHES: &[Bench] = &[
    Bench {
        name: "conversation_step",
        args: &[
            "bench",
            "-p",
            "slotline-shared",
            "--features",
            "testkit",
            "--bench",
            "step",
        ],
    },
    Bench {
        name: "bridge",
        args: &["bench", "-p", "slotline-bridge", "--bench", "bridge"],
    },
    Bench {
        name: "dispatch",
        args: &["bench", "-p", "slotline-bridge", "--bench", "dispatch"],
    },
    Bench {
        name: "dashboard",
        args: &["bench", "-p", "slotline-bridge", "--bench", "dashboard"],
    },
    Bench {
        name: "postgres",
        args: &["bench", "-p", "slotline-bridge", "--bench", "postgres"],
    },
    Bench {
        name: "spin",
        args: &["bench", "--features", "slotline-e2e/e2e", "--bench", "spin"],
    },
    Bench {
        name: "flows",
        args: &[
            "bench",
            "--features",
            "slotline-e2e/e2e",
            "--bench",
            "flows",
        ],
    },
    Bench {
        name: "worker",
        args: &[
            "bench",
            "--features",
            "slotline-e2e/e2e",
            "--bench",
            "worker",
        ],
    },
];

/// Runs the benchmarks and writes `bench-results/latest.json`.
pub fn run() -> Result<(), String> {
    // The worker benchmark runs both workers and the bridge under `wrangler dev`.
    let tools = bootstrap::run()?;
    build::bundle(&tools, &build::WORKER)?;
    build::bundle(&tools, &build::FLOOR)?;
    process::run(cargo().args(["build", "-p", "slotline-bridge"]))?;
    // The Spin benchmark serves the release component and its floor with the test host.
    build::spin(&["slotline-floor-spin"])?;
    let out_dir = root().join("bench-results");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut parts = Vec::new();
    // What a first visit to the dashboard downloads, as the browser gets it (gzip).
    let dashboard = crate::dashboard::build()?;
    parts.push(format!(
        "\"dashboard_assets\":{{\"js_css_gzip_bytes\":{},\"target_bytes\":256000}}",
        dashboard.gzip_bytes
    ));
    for bench in BENCHES {
        println!("\n==> bench {}", bench.name);
        let file = slotline_e2e::paths::target_dir().join(format!("bench/{}.json", bench.name));
        let _ = std::fs::remove_file(&file);
        process::run(cargo().args(bench.args).env("SLOTLINE_BENCH_OUT", &file))?;
        let json = std::fs::read_to_string(&file)
            .map_err(|e| format!("{} wrote no results to {}: {e}", bench.name, file.display()))?;
        parts.push(format!("\"{}\":{}", bench.name, json.trim()));
    }
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let combined = format!(
        "{{\"unix_time\":{stamp},\"machine\":{{\"cores\":{}}},\"results\":{{{}}}}}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        parts.join(",")
    );
    let latest: PathBuf = out_dir.join("latest.json");
    if latest.exists() {
        let _ = std::fs::rename(&latest, out_dir.join("previous.json"));
    }
    std::fs::write(&latest, combined)
        .map_err(|e| format!("cannot write {}: {e}", latest.display()))?;
    println!("\nbench: figures written to {}", latest.display());
    Ok(())
}
