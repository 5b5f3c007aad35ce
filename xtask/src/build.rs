//! Building worker bundles with worker-build, using the tools the bootstrap installed.

use std::path::PathBuf;
use std::time::Instant;

use crate::bootstrap::{self, Tools};
use crate::process::{self, newest_mtime, root};

/// A Rust worker built into `<dir>/build`.
pub struct Bundle {
    /// Folder of the worker crate, from the repository root.
    pub dir: &'static str,
    /// Files and folders whose changes require a rebuild.
    pub inputs: &'static [&'static str],
}

/// Slotline's worker.
pub const WORKER: Bundle = Bundle {
    dir: "worker",
    inputs: &[
        "Cargo.lock",
        "Cargo.toml",
        "shared",
        "worker/src",
        "worker/Cargo.toml",
    ],
};

/// The empty worker the worker benchmark measures as its floor.
pub const FLOOR: Bundle = Bundle {
    dir: "tests/floor-worker",
    inputs: &[
        "Cargo.lock",
        "tests/floor-worker/src",
        "tests/floor-worker/Cargo.toml",
    ],
};

impl Bundle {
    /// The module wrangler loads (`main` in its `wrangler.toml`).
    pub fn shim(&self) -> PathBuf {
        root().join(self.dir).join("build/worker/shim.mjs")
    }
}

/// `cargo xtask build-worker [--floors]`: bootstrap, then build the worker (and, with
/// `floors`, the benchmark's floor worker).
pub fn worker(floors: bool) -> Result<(), String> {
    let tools = bootstrap::run()?;
    bundle(&tools, &WORKER)?;
    if floors {
        bundle(&tools, &FLOOR)?;
    }
    Ok(())
}

/// Builds `b` unless its bundle is newer than every input.
pub fn bundle(tools: &Tools, b: &Bundle) -> Result<(), String> {
    let root = root();
    let inputs: Vec<PathBuf> = b.inputs.iter().map(|i| root.join(i)).collect();
    let shim = b.shim();
    let built = std::fs::metadata(&shim).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(newest)) = (built, newest_mtime(&inputs))
        && built > newest
    {
        println!(
            "build-worker: skipped {} (its build is newer than its sources)",
            b.dir
        );
        return Ok(());
    }
    let started = Instant::now();
    println!("build-worker: building {} (release)", b.dir);
    process::run(
        std::process::Command::new(&tools.worker_build)
            .current_dir(root.join(b.dir))
            .arg("--release")
            .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
            .env("WASM_OPT_BIN", &tools.wasm_opt)
            .env("ESBUILD_BIN", &tools.esbuild)
            // Workers ship over the network and start cold: optimise the bundle for size (set
            // here, not in Cargo.toml, so native release builds of the bridge stay optimised
            // for speed).
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
            .env("PATH", slotline_e2e::paths::path_with_node_tools()),
    )?;
    println!(
        "build-worker: {} done in {:.1}s",
        b.dir,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Builds the bridge's Spin component (release, `wasm32-wasip2`, as deployed), with the
/// packages in `also` (the benchmark's floor component), and the wasmtime host the tests and
/// the benchmark serve it with; the component's path.
pub fn spin(also: &[&str]) -> Result<PathBuf, String> {
    let mut build = process::cargo();
    build.args(["build", "-p", "slotline-bridge-spin"]);
    for package in also {
        build.args(["-p", package]);
    }
    process::run(build.args(["--target", "wasm32-wasip2", "--release"]))?;
    process::run(process::cargo().args(["build", "-p", "slotline-spin-host"]))?;
    Ok(slotline_e2e::paths::target_dir().join("wasm32-wasip2/release/slotline_bridge_spin.wasm"))
}
