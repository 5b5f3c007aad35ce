//! `cargo xtask test`: every check from formatting to end-to-end, with per-phase timings and
//! one closing line counting the tests that ran and failed.
//!
//! Bootstrap and build failures stop the run (nothing after them could pass); a failing lint
//! or test phase is recorded and the remaining phases still run, so one run shows everything
//! that is wrong.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bootstrap::{self, Engine};
use crate::build;
use crate::image;
use crate::process::{self, cargo};

#[derive(Default)]
struct Report {
    phases: Vec<(&'static str, Duration, bool)>,
    passed: u64,
    failed: u64,
    ignored: u64,
    /// Why the container tests could not run here, if they could not.
    skipped_containers: Option<String>,
    /// The image the container tests ran against, its size and the engine.
    image: Option<String>,
    /// The Spin component the Spin tests ran against, and its size.
    component: Option<String>,
}

impl Report {
    fn phase<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = f(self);
        let ok = result.is_ok();
        if let Err(e) = &result {
            eprintln!("xtask: {name} failed: {e}");
        }
        self.phases.push((name, started.elapsed(), ok));
        result
    }

    fn print(&self) {
        println!("\n==> summary");
        for (name, took, ok) in &self.phases {
            let mark = if *ok { "ok    " } else { "FAILED" };
            println!("  {mark} {name:<36} {:>7.1}s", took.as_secs_f64());
        }
        let total: Duration = self.phases.iter().map(|(_, d, _)| *d).sum();
        println!("  total {:>44.1}s", total.as_secs_f64());
        if let Some(component) = &self.component {
            println!("  Spin tests ran against {component}");
        }
        if let Some(image) = &self.image {
            println!("  container tests ran against {image}");
        }
        if let Some(why) = &self.skipped_containers {
            println!("  container tests SKIPPED (not passed): {why}");
        }
        if self.ignored > 0 {
            println!("  {} test(s) reported ignored", self.ignored);
        }
        // The closing line CI reads.
        println!("xtask: {} passed, {} failed", self.passed, self.failed);
    }
}

/// Turns on the end-to-end test target (see `tests/Cargo.toml`). Every native phase builds
/// the same package set (the workspace's default members), so no phase rebuilds what another
/// built with other features.
const E2E_FEATURE: &str = "slotline-e2e/e2e";
/// Turns on the shared crate's test kit, which its benchmark needs, for linting.
const BENCH_FEATURES: &str = "slotline-e2e/e2e,slotline-shared/testkit";

/// Runs every phase; fails if any failed.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got {arg})"));
    }
    let mut report = Report::default();
    let outcome = run_phases(&mut report);
    report.print();
    outcome?;
    match report.phases.iter().filter(|(_, _, ok)| !ok).count() {
        0 => Ok(()),
        n => Err(format!("{n} phase(s) failed")),
    }
}

fn run_phases(report: &mut Report) -> Result<(), String> {
    let tools = report.phase("bootstrap", |_| bootstrap::run())?;
    let _ = report.phase("format", |_| {
        process::run(cargo().args(["fmt", "--all", "--check"]))
    });
    // Before the native build: the bridge embeds the dashboard's files.
    report.phase("build (dashboard)", |_| {
        crate::dashboard::build().map(|_| ())
    })?;
    let _ = report.phase("dashboard unit tests (Vitest)", |r| {
        let (passed, failed) = crate::dashboard::unit_tests()?;
        r.passed += passed;
        r.failed += failed;
        if failed > 0 {
            return Err(format!("{failed} dashboard unit test(s) failed"));
        }
        Ok(())
    });
    report.phase("build (native)", |_| {
        process::run(cargo().args(["build", "--all-targets"]))
    })?;
    report.phase("build (worker bundle)", |_| {
        build::bundle(&tools, &build::WORKER)
    })?;
    // The bridge's Spin component (release, as deployed) and the wasmtime host the Spin
    // tests serve it with.
    let spin = report.phase("build (Spin component and its test host)", |r| {
        let component = build::spin(&[])?;
        let size = std::fs::metadata(&component)
            .map_err(|e| format!("{}: {e}", component.display()))?
            .len();
        r.component = Some(format!(
            "{} ({:.1} MiB)",
            component.display(),
            size as f64 / (1024.0 * 1024.0)
        ));
        Ok(component)
    });
    // The bridge's image, for the container tests in the next test phase. Where no Docker
    // engine can run they are reported as skipped with the reason, never as passed.
    let image = report.phase(
        "container image (musl, FROM scratch)",
        |r| match bootstrap::container()? {
            Engine::Ready(engine) => {
                let built = image::build()?;
                r.image = Some(format!(
                    "{} ({:.1} MiB, Docker engine {engine})",
                    built.tag,
                    built.size_bytes as f64 / (1024.0 * 1024.0)
                ));
                Ok(Some(built.tag))
            }
            Engine::Unavailable(why) => {
                println!("xtask: no container image: {why}");
                r.skipped_containers = Some(why);
                Ok(None)
            }
        },
    );
    let _ = report.phase("clippy (native)", |_| {
        clippy(&["--all-targets", "--features", BENCH_FEATURES])
    });
    let _ = report.phase("clippy (wasm32-unknown-unknown)", |_| {
        clippy(&[
            "-p",
            "slotline-worker",
            "-p",
            "slotline-shared",
            "-p",
            "slotline-floor-worker",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
        ])
    });
    let _ = report.phase("clippy (wasm32-wasip2)", |_| {
        clippy(&[
            "-p",
            "slotline-shared",
            "--target",
            "wasm32-wasip2",
            "--all-targets",
        ])?;
        // The bridge library as the component builds it (without `native`), and the
        // component itself.
        clippy(&[
            "-p",
            "slotline-bridge",
            "--no-default-features",
            "--target",
            "wasm32-wasip2",
        ])?;
        clippy(&[
            "-p",
            "slotline-bridge-spin",
            "-p",
            "slotline-floor-spin",
            "--target",
            "wasm32-wasip2",
        ])
    });
    let _ = report.phase("clippy (Spin test host)", |_| {
        clippy(&["-p", "slotline-spin-host", "--all-targets"])
    });
    let _ = report.phase(
        "unit and integration tests (container tests included)",
        |r| {
            let mut test = cargo();
            test.arg("test");
            match (&image, &r.skipped_containers) {
                (Ok(Some(tag)), _) => test.env("SLOTLINE_IMAGE", tag),
                (_, Some(why)) => test.env("SLOTLINE_CONTAINER_SKIP", why),
                // The image failed to build: its tests fail rather than pass or skip.
                _ => test.env("SLOTLINE_IMAGE", "slotline-bridge:failed-to-build"),
            };
            counted(r, &mut test)
        },
    );
    let _ = report.phase(
        "end-to-end (wrangler dev + bridge; dashboard in Chromium; the Spin component)",
        |r| {
            let target = slotline_e2e::paths::target_dir();
            let mut test = cargo();
            test.args([
                "test",
                "--features",
                E2E_FEATURE,
                "--test",
                "e2e",
                "--test",
                "dashboard",
                "--test",
                "spin",
            ])
            .env("SLOTLINE_BRIDGE_BIN", target.join("debug/slotline-bridge"))
            .env(
                "SLOTLINE_SPIN_HOST",
                target.join("debug/slotline-spin-host"),
            );
            // A component that failed to build fails the Spin tests (they say what is missing).
            if let Ok(component) = &spin {
                test.env("SLOTLINE_SPIN_COMPONENT", component);
            }
            counted(r, &mut test)
        },
    );
    Ok(())
}

/// `cargo clippy ARGS -- -D warnings`.
fn clippy(args: &[&str]) -> Result<(), String> {
    process::run(
        cargo()
            .arg("clippy")
            .args(args)
            .args(["--", "-D", "warnings"]),
    )
}

/// Runs a test command, echoing its output and adding its `test result:` counts to the
/// report.
fn counted(report: &mut Report, cmd: &mut Command) -> Result<(), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let stdout = child.stdout.take().ok_or("cargo test has no stdout")?;
    let mut binaries = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading cargo test output: {e}"))?;
        println!("{line}");
        if let Some((passed, failed, ignored)) = parse_result_line(&line) {
            report.passed += passed;
            report.failed += failed;
            report.ignored += ignored;
            binaries += 1;
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo test: {e}"))?;
    if !status.success() {
        return Err(format!("cargo test failed ({status})"));
    }
    if binaries == 0 {
        return Err("cargo test reported no test results".into());
    }
    Ok(())
}

/// Reads `test result: ok. 12 passed; 0 failed; 1 ignored; …` into `(12, 0, 1)`.
fn parse_result_line(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.trim().strip_prefix("test result:")?;
    let count = |label: &str| {
        rest.split(';').find_map(|part| {
            let part = part
                .trim()
                .trim_start_matches("ok.")
                .trim_start_matches("FAILED.");
            part.trim().strip_suffix(label)?.trim().parse::<u64>().ok()
        })
    };
    Some((
        count("passed")?,
        count("failed")?,
        count("ignored").unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_result_lines_are_counted() {
        assert_eq!(
            parse_result_line(
                "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some((12, 0, 0))
        );
        assert_eq!(
            parse_result_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2, 0))
        );
        // Container tests where no engine runs: ignored, counted apart from passes.
        assert_eq!(
            parse_result_line("test result: ok. 1 passed; 0 failed; 5 ignored; 0 measured"),
            Some((1, 0, 5))
        );
        assert_eq!(parse_result_line("running 3 tests"), None);
    }
}
