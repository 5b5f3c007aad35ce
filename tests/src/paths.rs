//! Where the repository's tools and build outputs live.

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), PathBuf::from)
}

/// The contract sheets (`SLOTLINE_CONTRACTS`, else `shared/contracts` beside the
/// repository), where they are.
pub fn contracts() -> PathBuf {
    std::env::var_os("SLOTLINE_CONTRACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root()
                .parent()
                .map_or_else(root, std::path::Path::to_path_buf)
                .join("shared/contracts")
        })
}

/// The text of contract sheet `name`, if the sheets are on this machine.
pub fn contract(name: &str) -> Option<String> {
    std::fs::read_to_string(contracts().join(name)).ok()
}

/// The folder with the Node tools the xtask installs (`node`, `wrangler`, …).
pub fn node_bin() -> PathBuf {
    root().join("tools/node_modules/.bin")
}

/// Cargo's target folder, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// The bridge binary: `SLOTLINE_BRIDGE_BIN` if set, else the debug build.
pub fn bridge_bin() -> PathBuf {
    std::env::var_os("SLOTLINE_BRIDGE_BIN")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| target_dir().join("debug/slotline-bridge"))
}

/// `PATH` with the project's Node tools first, so wrangler runs on the Node it needs.
pub fn path_with_node_tools() -> std::ffi::OsString {
    let mut paths = vec![node_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}
