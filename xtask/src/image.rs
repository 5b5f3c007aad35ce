//! `cargo xtask image`: the bridge as a container image built `FROM scratch`.
//!
//! The bridge is built for `x86_64-unknown-linux-musl` (a static binary: the image has no
//! libc), then a build context is staged with the binary and the empty folders the image
//! needs, and `docker build` runs `bridge/Dockerfile` on it. Nothing is pulled: these
//! machines reach no container registry, and a scratch image needs none.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::bootstrap::{self, Engine, MUSL_TARGET};
use crate::process::{self, cargo, output, root};

/// The image's repository name; each build is tagged with the crate version and `latest`.
pub const REPOSITORY: &str = "slotline-bridge";

/// What a build produced.
pub struct Image {
    /// `slotline-bridge:<version>`.
    pub tag: String,
    /// The image's size as the engine reports it, in bytes.
    pub size_bytes: u64,
}

/// `cargo xtask image [--tag NAME:TAG]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let extra = match args {
        [] => None,
        [flag, tag] if flag == "--tag" => Some(tag.clone()),
        _ => return Err("usage: cargo xtask image [--tag NAME:TAG]".into()),
    };
    match bootstrap::container()? {
        Engine::Ready(_) => {}
        Engine::Unavailable(why) => return Err(format!("cannot build the image: {why}")),
    }
    let image = build()?;
    if let Some(extra) = extra {
        process::run(Command::new("docker").args(["tag", &image.tag, &extra]))?;
        println!("image: also tagged {extra}");
    }
    Ok(())
}

/// Builds the static binary and the image; the engine must be running.
pub fn build() -> Result<Image, String> {
    let started = Instant::now();
    let mut build = cargo();
    build
        .args([
            "build",
            "--profile",
            "container",
            "-p",
            "slotline-bridge",
            "--target",
        ])
        .arg(MUSL_TARGET)
        // SQLite is bundled C: compile it against musl too.
        .env("CC_x86_64_unknown_linux_musl", "musl-gcc");
    process::run(&mut build)?;
    let binary = slotline_e2e::paths::target_dir()
        .join(MUSL_TARGET)
        .join("container/slotline-bridge");

    let context = slotline_e2e::paths::target_dir().join("image-context");
    let _ = std::fs::remove_dir_all(&context);
    for folder in ["data", "tmp"] {
        std::fs::create_dir_all(context.join(folder))
            .map_err(|e| format!("cannot stage {}: {e}", context.display()))?;
    }
    std::fs::copy(&binary, context.join("slotline-bridge"))
        .map_err(|e| format!("cannot stage {}: {e}", binary.display()))?;

    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("{REPOSITORY}:{version}");
    let dockerfile: PathBuf = root().join("bridge/Dockerfile");
    process::run(
        Command::new("docker")
            .arg("build")
            .arg("--quiet")
            .arg("-f")
            .arg(&dockerfile)
            .args(["-t", &tag, "-t", &format!("{REPOSITORY}:latest")])
            .args([
                "--label",
                &format!("org.opencontainers.image.version={version}"),
            ])
            .args(["--label", "org.opencontainers.image.title=slotline-bridge"])
            .arg(&context)
            // The classic builder: BuildKit's CLI plugin is not packaged here, and a
            // scratch image of copied files needs nothing it adds.
            .env("DOCKER_BUILDKIT", "0"),
    )?;
    let size_bytes =
        output(Command::new("docker").args(["image", "inspect", "--format", "{{.Size}}", &tag]))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("docker cannot inspect {tag} after building it"))?;
    println!(
        "image: {tag}, {:.1} MiB, built in {:.1}s",
        size_bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(Image { tag, size_bytes })
}
