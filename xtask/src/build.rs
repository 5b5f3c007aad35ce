//! Building the worker bundle with worker-build, using the tools the bootstrap installed.

use std::path::PathBuf;
use std::time::Instant;

use crate::bootstrap::{self, Tools};
use crate::process::{self, newest_mtime, root};

/// The bundle wrangler loads (`main` in `wrangler.toml`).
pub fn worker_bundle() -> PathBuf {
    root().join("worker/build/worker/shim.mjs")
}

/// `cargo xtask build-worker`: bootstrap, then build the worker.
pub fn worker() -> Result<(), String> {
    let tools = bootstrap::run()?;
    worker_with(&tools)
}

/// Builds the worker unless the bundle is newer than every input.
pub fn worker_with(tools: &Tools) -> Result<(), String> {
    let root = root();
    let inputs = [
        root.join("Cargo.lock"),
        root.join("Cargo.toml"),
        root.join("shared"),
        root.join("worker/src"),
        root.join("worker/Cargo.toml"),
    ];
    let bundle = worker_bundle();
    let built = std::fs::metadata(&bundle).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(newest)) = (built, newest_mtime(&inputs))
        && built > newest
    {
        println!("build-worker: skipped (worker/build is newer than its sources)");
        return Ok(());
    }
    let started = Instant::now();
    println!("build-worker: building the worker bundle (release)");
    process::run(
        std::process::Command::new(&tools.worker_build)
            .current_dir(root.join("worker"))
            .arg("--release")
            .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
            .env("WASM_OPT_BIN", &tools.wasm_opt)
            .env("ESBUILD_BIN", &tools.esbuild)
            .env("PATH", slotline_e2e::paths::path_with_node_tools()),
    )?;
    println!(
        "build-worker: done in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
