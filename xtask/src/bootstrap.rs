//! Installs what the project needs and a fresh machine lacks, and nothing twice.
//!
//! - rustup targets `wasm32-unknown-unknown` and `wasm32-wasip2`;
//! - `worker-build` at the version of the `worker` crate in `Cargo.lock`, and
//!   `wasm-bindgen-cli` at exactly the `wasm-bindgen` version there (the CLI refuses to
//!   process output of another version), both with `cargo install`, because worker-build's
//!   own downloads come from hosts these machines cannot reach;
//! - Node 22, wrangler, binaryen (for `wasm-opt`) and esbuild into `tools/node_modules`,
//!   pinned by `tools/package-lock.json`;
//! - the dashboard's packages into `bridge/dashboard/node_modules` (its own lockfile), and
//!   Debian's `chromium` for its browser tests;
//! - for the container image ([`container`]): the musl target, Debian's `musl-tools` (the
//!   bundled SQLite is C), `docker.io` and `docker-compose`, and a running Docker engine.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::process::{self, cargo, output, root};

/// Where the installed tools are, for the build.
pub struct Tools {
    /// `worker-build`.
    pub worker_build: PathBuf,
    /// `wasm-bindgen` matching the lockfile.
    pub wasm_bindgen: PathBuf,
    /// binaryen's `wasm-opt`, through `tools/wasm-opt-strip`.
    pub wasm_opt: PathBuf,
    /// esbuild's native binary.
    pub esbuild: PathBuf,
}

const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip2"];

/// Installs whatever is missing and reports what it skipped.
pub fn run() -> Result<Tools, String> {
    let started = Instant::now();
    rust_targets()?;
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let worker_version = locked_version(&lock, "worker")?;
    let bindgen_version = locked_version(&lock, "wasm-bindgen")?;
    let worker_build = cargo_tool("worker-build", "worker-build", &worker_version)?;
    let wasm_bindgen = cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &bindgen_version)?;
    node_tools()?;
    crate::dashboard::install()?;
    crate::dashboard::browser()?;
    let node_modules = root().join("tools/node_modules");
    let tools = Tools {
        worker_build,
        wasm_bindgen,
        wasm_opt: root().join("tools/wasm-opt-strip"),
        esbuild: node_modules.join("@esbuild/linux-x64/bin/esbuild"),
    };
    for path in [&tools.wasm_opt, &tools.esbuild] {
        if !path.exists() {
            return Err(format!("{} is missing after npm install", path.display()));
        }
    }
    println!(
        "bootstrap: toolchain ready in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(tools)
}

fn rust_targets() -> Result<(), String> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    let missing: Vec<&str> = TARGETS
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        println!(
            "bootstrap: skipped rustup targets ({} present)",
            TARGETS.join(", ")
        );
        return Ok(());
    }
    println!("bootstrap: adding rustup targets {}", missing.join(", "));
    process::run(
        Command::new("rustup")
            .args(["target", "add"])
            .args(&missing),
    )
}

/// The version of `name` in the lockfile; fails if it is absent or locked at several.
fn locked_version(lock: &str, name: &str) -> Result<String, String> {
    let mut versions = Vec::new();
    for block in lock.split("[[package]]") {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.trim().strip_prefix('=')?.trim();
                Some(value.trim_matches('"').to_owned())
            })
        };
        if field("name").as_deref() == Some(name)
            && let Some(version) = field("version")
        {
            versions.push(version);
        }
    }
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("Cargo.lock has no package {name}")),
        many => Err(format!(
            "Cargo.lock has {name} at several versions: {many:?}"
        )),
    }
}

fn cargo_bin_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin")
}

/// Ensures `binary` from crate `krate` is installed at `version`.
fn cargo_tool(krate: &str, binary: &str, version: &str) -> Result<PathBuf, String> {
    let path = cargo_bin_dir().join(binary);
    let current = output(Command::new(&path).arg("--version"));
    // `wasm-bindgen --version` prints "wasm-bindgen 0.2.130", `worker-build --version` "0.8.7".
    let matches = |printed: &str| printed.split_whitespace().next_back() == Some(version);
    if current.as_deref().is_some_and(matches) {
        println!("bootstrap: skipped {krate} ({binary} {version} present)");
        return Ok(path);
    }
    println!(
        "bootstrap: installing {krate} {version} (found {}); this compiles for a few minutes",
        current.as_deref().unwrap_or("none")
    );
    // No --locked: the registry mirror here lacks one of wasm-bindgen-cli's locked crates.
    process::run(cargo().args(["install", krate, "--version", version, "--force"]))?;
    Ok(path)
}

fn node_tools() -> Result<(), String> {
    let tools = root().join("tools");
    let node = tools.join("node_modules/.bin/node");
    let node_ok =
        output(Command::new(&node).arg("--version")).is_some_and(|v| v.starts_with("v22"));
    // `npm install` rather than `npm ci`: the registry reachable here lacks workerd's
    // macOS and Windows builds, so the lockfile omits those optional packages and `npm ci`
    // refuses it as out of sync. `npm install` honours the lockfile's versions all the same.
    npm_install(
        &tools,
        "Node tools",
        "Node 22, wrangler, binaryen and esbuild into tools/node_modules",
        node_ok,
        Command::new("npm").current_dir(&tools),
    )
}

/// Runs `npm install` in `dir` unless its `node_modules` was installed from the lockfile as
/// it is now (a copy of the lockfile kept beside it says so) and `whole` holds; `what` names
/// it in the messages, `installing` what is installed. `npm` is the command to run, set up
/// with the folder and environment it needs.
pub fn npm_install(
    dir: &std::path::Path,
    what: &str,
    installing: &str,
    whole: bool,
    npm: &mut Command,
) -> Result<(), String> {
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.slotline-installed-lock.json");
    let wanted =
        std::fs::read(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    if whole && std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        println!("bootstrap: skipped {what} (node_modules matches package-lock.json)");
        return Ok(());
    }
    println!("bootstrap: installing {installing}");
    process::run(npm.args(["install", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// The Rust target the container image's static binary is built for.
pub const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";

/// Whether containers can be built and run here, and if not, why.
pub enum Engine {
    /// A Docker engine answers; its version.
    Ready(String),
    /// No engine can run here: the reason, for the skip message.
    Unavailable(String),
}

/// Readies what the container image and its tests need: the musl target, Debian's
/// `musl-tools`, `docker.io` and `docker-compose` (installed with apt where missing, as root),
/// and a Docker engine (started in the background when none answers). The engine runs
/// without the default bridge network (`--bridge=none`): containers use the host's loopback
/// (`--network host`) and never the private range docker0 would take.
pub fn container() -> Result<Engine, String> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == MUSL_TARGET) {
        println!("bootstrap: adding rustup target {MUSL_TARGET}");
        process::run(Command::new("rustup").args(["target", "add", MUSL_TARGET]))?;
    }
    let root = output(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut missing = Vec::new();
    if !on_path("musl-gcc") {
        missing.push("musl-tools");
    }
    if !on_path("dockerd") {
        missing.push("docker.io");
    }
    if !on_path("docker-compose") {
        missing.push("docker-compose");
    }
    if missing.is_empty() {
        println!("bootstrap: skipped musl-tools, docker.io, docker-compose (present)");
    } else if root {
        apt_install(&missing)?;
    } else {
        let why = format!(
            "{} missing and not root (run `sudo apt-get install {}`)",
            missing.join(", "),
            missing.join(" ")
        );
        if missing.contains(&"musl-tools") {
            return Err(why);
        }
        return Ok(Engine::Unavailable(why));
    }
    if let Some(version) = engine_version() {
        println!("bootstrap: skipped Docker engine ({version} answers)");
        return Ok(Engine::Ready(version));
    }
    if !root {
        return Ok(Engine::Unavailable(
            "no Docker engine answers and only root may start one".into(),
        ));
    }
    start_dockerd()
}

fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()))
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    println!("bootstrap: installing {} with apt-get", packages.join(", "));
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        process::run(&mut cmd)
    };
    // A machine whose package lists are stale or absent needs them read first.
    install().or_else(|_| {
        process::run(Command::new("apt-get").args(["update", "-q"]))?;
        install()
    })
}

/// The engine's version if one answers.
fn engine_version() -> Option<String> {
    output(Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]))
        .filter(|v| !v.is_empty())
}

fn start_dockerd() -> Result<Engine, String> {
    use std::os::unix::process::CommandExt;
    let log_path = std::env::temp_dir().join("slotline-dockerd.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    let err = log
        .try_clone()
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    println!(
        "bootstrap: starting dockerd (log: {}), without the default bridge network",
        log_path.display()
    );
    // Its own process group, so the engine outlives this task like a system service.
    Command::new("dockerd")
        .args(["--bridge=none", "--iptables=false"])
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start dockerd: {e}"))?;
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(version) = engine_version() {
            println!("bootstrap: Docker engine {version} answers");
            return Ok(Engine::Ready(version));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail: Vec<&str> = tail.lines().rev().take(5).collect();
    Ok(Engine::Unavailable(format!(
        "dockerd did not answer within 60 s; its log ends: {}",
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "worker"
version = "0.8.7"
"#;

    #[test]
    fn the_locked_version_is_read_by_exact_name() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen").unwrap(), "0.2.130");
        assert_eq!(locked_version(LOCK, "worker").unwrap(), "0.8.7");
        assert!(locked_version(LOCK, "wasm").is_err());
    }

    #[test]
    fn two_locked_versions_are_an_error() {
        let doubled = format!("{LOCK}\n[[package]]\nname = \"worker\"\nversion = \"0.7.0\"\n");
        assert!(locked_version(&doubled, "worker").is_err());
    }
}
