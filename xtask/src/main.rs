//! Slotline's project tasks, run as `cargo xtask <task>`.
//!
//! - `bootstrap`: install every tool the project needs that is missing (idempotent).
//! - `build-worker`: build the worker's WASM bundle (skipped when up to date); `--floors`
//!   also the worker benchmark's floor worker.
//! - `build-dashboard`: build the owner's dashboard, which the bridge embeds.
//! - `test`: bootstrap, lint, build, and run every test from unit to end-to-end.
//! - `dev`: bootstrap, build, start the bridge and `wrangler dev`, and open the phone
//!   simulator.
//! - `image`: build the bridge's container image (`FROM scratch`, static musl binary).
//! - `bench`: run the benchmarks and collect their figures in `bench-results/latest.json`.
//! - `eval`: score the message parser on the labelled set in `shared/eval/`.
//!
//! Tools that belong to one machine-wide toolchain (rustup targets, cargo-installed binaries)
//! are installed there; Node tools go into `tools/node_modules`, pinned by the committed
//! lockfile.

mod bench;
mod bootstrap;
mod build;
mod dashboard;
mod dev;
mod image;
mod process;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  bootstrap      install missing tools (wasm targets, worker-build, wasm-bindgen-cli,
                 Node 22, wrangler, binaryen, esbuild, the dashboard's packages,
                 Chromium); a second run only checks
  build-worker   build the worker bundle into worker/build (skipped when up to date);
                 --floors also the benchmark's floor worker (tests/floor-worker/build)
  build-dashboard
                 type-check and build the owner's dashboard into bridge/dashboard/dist,
                 which the bridge binary embeds (skipped when up to date)
  test           bootstrap, check formatting and lints, build, run all tests
  dev            bootstrap, build, run the bridge and wrangler dev on loopback, and open
                 the phone simulator (Ctrl-C stops everything); --calcom schedules the
                 demo salon through the Cal.com stand-in
  image          build the bridge's container image slotline-bridge:<version> (a static
                 musl binary FROM scratch; installs musl-tools and Docker where missing);
                 --tag NAME:TAG tags it once more
  bench          run the benchmarks; figures go to bench-results/latest.json
  eval           score the message parser on shared/eval/ (precision and recall per field
                 and language, tuning and held-out parts); --misses lists the tuning
                 part's wrong readings (the held-out part's are never shown)";

/// The parser's evaluation, run from the shared crate's example so it needs nothing the
/// crate's own tests do not.
fn eval(args: &[String]) -> Result<(), String> {
    let mut cmd = process::cargo();
    cmd.current_dir(process::root()).args([
        "run",
        "-q",
        "-p",
        "slotline-shared",
        "--features",
        "testkit",
        "--example",
        "eval",
        "--",
    ]);
    cmd.args(args);
    process::run(&mut cmd)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bootstrap") => bootstrap::run().map(|_| ()),
        Some("build-worker") => build::worker(args.get(1).map(String::as_str) == Some("--floors")),
        Some("build-dashboard") => dashboard::build().map(|_| ()),
        Some("test") => test::run(&args[1..]),
        Some("dev") => dev::run(&args[1..]),
        Some("image") => image::run(&args[1..]),
        Some("bench") => bench::run(),
        Some("eval") => eval(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown task\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
