//! Finds the WIT files shipped inside the spin-sdk crate the component is built with (the
//! version in `Cargo.lock`, in cargo's registry sources), so the host's bindings are made from
//! the very interfaces the component imports.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let lock_path = manifest.join("../../Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).expect("the workspace has a Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"spin-sdk\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned())
        .expect("Cargo.lock holds spin-sdk (bridge/spin depends on it)");
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let wit = std::fs::read_dir(home.join("registry/src"))
        .expect("cargo's registry sources exist (cargo fetch)")
        .filter_map(Result::ok)
        .map(|index| index.path().join(format!("spin-sdk-{version}/wit")))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("spin-sdk {version}'s sources are not fetched: run cargo fetch"));
    let wit = wit.display().to_string();
    let bindings = format!(
        "/// Spin's `sqlite` interface, from spin-sdk's WIT.\n\
         pub mod sqlite_wit {{\n    #![allow(missing_docs)]\n    wasmtime::component::bindgen!({{ path: {wit:?}, world: \"spin:sdk/spin-sdk-sqlite\", imports: {{ default: trappable }}, with: {{ \"spin:sqlite/sqlite.connection\": crate::spin::Connection }} }});\n}}\n\
         /// Spin's `variables` interface, from spin-sdk's WIT.\n\
         pub mod variables_wit {{\n    #![allow(missing_docs)]\n    wasmtime::component::bindgen!({{ path: {wit:?}, world: \"spin:sdk/spin-sdk-variables\" }});\n}}\n"
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("spin_wit.rs");
    std::fs::write(out, bindings).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=../../Cargo.lock");
}
