//! The owner's dashboard (`bridge/dashboard`, Vue 3 + TypeScript + Vite): its Node
//! packages, its build into `bridge/dashboard/dist` (which the bridge embeds), its unit tests
//! (Vitest) and the browser its end-to-end tests drive (Debian's Chromium).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::process::{self, newest_mtime, output, root};

fn dir() -> PathBuf {
    root().join("bridge/dashboard")
}

/// What the build reads: a change to any of them rebuilds.
const INPUTS: &[&str] = &[
    "bridge/dashboard/src",
    "bridge/dashboard/index.html",
    "bridge/dashboard/vite.config.ts",
    "bridge/dashboard/tsconfig.json",
    "bridge/dashboard/package-lock.json",
    "bridge/openapi.json",
];

/// The Node the project pins (installed into `tools/` by the bootstrap).
fn node() -> PathBuf {
    slotline_e2e::paths::node_bin().join("node")
}

/// A dashboard tool from its `node_modules`, run on the pinned Node.
fn tool(script: &str) -> Command {
    let mut cmd = Command::new(node());
    cmd.current_dir(dir())
        .arg(dir().join("node_modules").join(script));
    cmd
}

/// Installs the dashboard's packages as `package-lock.json` pins them, unless they are.
pub fn install() -> Result<(), String> {
    crate::bootstrap::npm_install(
        &dir(),
        "dashboard packages",
        "the dashboard's packages (Vue, Vite, Vitest, Playwright)",
        true,
        Command::new("npm")
            .current_dir(dir())
            .env("PATH", slotline_e2e::paths::path_with_node_tools()),
    )
}

/// Where Debian's Chromium is, for the browser tests.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Installs Debian's Chromium where it is missing and this process may (root).
pub fn browser() -> Result<(), String> {
    if std::path::Path::new(CHROMIUM).exists() {
        println!("bootstrap: skipped chromium (present)");
        return Ok(());
    }
    if output(Command::new("id").arg("-u")).as_deref() != Some("0") {
        return Err(format!(
            "the dashboard's browser tests need Chromium at {CHROMIUM}: \
             run `sudo apt-get install chromium`"
        ));
    }
    println!("bootstrap: installing Debian's chromium for the dashboard's browser tests");
    process::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Sizes of what a first visit loads, for the README and the bench.
pub struct Built {
    /// JavaScript and CSS of the built app, gzip-compressed, in bytes.
    pub gzip_bytes: usize,
}

/// `cargo xtask build-dashboard`: type-checks and builds the dashboard into `dist/`, unless
/// the build is newer than every input. The API types are made from `bridge/openapi.json`
/// first, so a screen using a field the API lacks does not compile.
pub fn build() -> Result<Built, String> {
    install()?;
    let root = root();
    let index = dir().join("dist/index.html");
    let built = std::fs::metadata(&index).and_then(|m| m.modified()).ok();
    let inputs: Vec<PathBuf> = INPUTS.iter().map(|i| root.join(i)).collect();
    let fresh = matches!((built, newest_mtime(&inputs)), (Some(b), Some(n)) if b > n);
    if fresh && dir().join("src/api/schema.d.ts").exists() {
        println!("build-dashboard: skipped (its build is newer than its sources)");
        return measure();
    }
    let started = Instant::now();
    // Written to a scratch file and copied only when different, so an unchanged API does
    // not look like a changed source next time.
    let scratch = dir().join("node_modules/.slotline-schema.d.ts");
    process::run(tool("openapi-typescript/bin/cli.js").args([
        "../openapi.json",
        "-o",
        &scratch.to_string_lossy(),
    ]))?;
    let target = dir().join("src/api/schema.d.ts");
    let made = std::fs::read(&scratch).map_err(|e| format!("reading the API types: {e}"))?;
    if std::fs::read(&target).ok().as_deref() != Some(made.as_slice()) {
        std::fs::write(&target, made).map_err(|e| format!("writing the API types: {e}"))?;
    }
    process::run(tool("vue-tsc/bin/vue-tsc.js").arg("--noEmit"))?;
    process::run(tool("vite/bin/vite.js").args(["build", "--logLevel", "warn"]))?;
    println!(
        "build-dashboard: built in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    measure()
}

fn measure() -> Result<Built, String> {
    use std::io::Write as _;
    let assets = dir().join("dist/assets");
    let mut gzip_bytes = 0;
    let entries =
        std::fs::read_dir(&assets).map_err(|e| format!("reading {}: {e}", assets.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("js" | "css")
        ) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes).map_err(|e| e.to_string())?;
        gzip_bytes += gz.finish().map_err(|e| e.to_string())?.len();
    }
    println!(
        "build-dashboard: JavaScript and CSS {:.1} KiB gzip in all",
        gzip_bytes as f64 / 1024.0
    );
    Ok(Built { gzip_bytes })
}

/// Runs the dashboard's unit tests (Vitest); how many passed and failed.
pub fn unit_tests() -> Result<(u64, u64), String> {
    let out = tool("vitest/vitest.mjs")
        .args(["run", "--reporter=default"])
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .output()
        .map_err(|e| format!("cannot run vitest: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    let counts = parse_vitest(&text).ok_or("vitest printed no test counts")?;
    if !out.status.success() && counts.1 == 0 {
        return Err(format!("vitest failed ({})", out.status));
    }
    Ok(counts)
}

/// Reads Vitest's `Tests  2 failed | 11 passed (13)` into `(11, 2)`.
fn parse_vitest(text: &str) -> Option<(u64, u64)> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Tests ") && l.contains('('))?;
    let counts = line.strip_prefix("Tests")?.split('(').next()?;
    let mut passed = 0;
    let mut failed = 0;
    for part in counts.split('|') {
        let mut words = part.split_whitespace();
        let n: u64 = words.next()?.parse().ok()?;
        match words.next()? {
            "passed" => passed = n,
            "failed" => failed = n,
            _ => {}
        }
    }
    Some((passed, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vitest_summaries_are_counted() {
        assert_eq!(
            parse_vitest(" Test Files  3 passed (3)\n      Tests  13 passed (13)\n"),
            Some((13, 0))
        );
        assert_eq!(
            parse_vitest("      Tests  2 failed | 11 passed (13)"),
            Some((11, 2))
        );
        assert_eq!(parse_vitest("no summary"), None);
    }
}
