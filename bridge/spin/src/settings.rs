//! The bridge's settings from Spin variables.
//!
//! Each setting the native binary reads from the environment is a Spin variable of the
//! same name in lower case (Spin's variable names are lower case): `SLOTLINE_WORKER_SECRET`
//! is `slotline_worker_secret`. `spin.toml` declares those a Spin deployment uses, secrets
//! marked `secret = true`; an undeclared one reads as unset.

use std::collections::{BTreeSet, HashMap};

use slotline_bridge::config::{Config, ConfigError};

/// Settings that name parts of the native binary only (its socket, its files), never read
/// here.
const NATIVE_ONLY: [&str; 4] = [
    "SLOTLINE_BRIDGE_ADDR",
    "SLOTLINE_ADDR_FILE",
    "XDG_DATA_HOME",
    "HOME",
];

/// What `SLOTLINE_DATABASE` is here: Spin's database, never a file or PostgreSQL.
const DATABASE: &str = "spin:default";

/// Reads the settings. The names asked for depend on the answers (`TWILIO_AUTH_TOKEN` only
/// without `TWILIO_AUTH_TOKENS`), so the settings are read again with what was fetched
/// until no new name is asked for.
pub async fn read() -> Result<Config, ConfigError> {
    let mut known: HashMap<String, Option<String>> = HashMap::new();
    loop {
        let asked = std::cell::RefCell::new(BTreeSet::new());
        let config = Config::from_lookup(|name| {
            if NATIVE_ONLY.contains(&name) {
                return None;
            }
            if name == "SLOTLINE_DATABASE" {
                return Some(DATABASE.to_owned());
            }
            match known.get(name) {
                Some(value) => value.clone(),
                None => {
                    asked.borrow_mut().insert(name.to_owned());
                    None
                }
            }
        });
        let asked = asked.into_inner();
        if asked.is_empty() {
            return config;
        }
        for name in asked {
            let value = spin_sdk::variables::get(name.to_ascii_lowercase())
                .await
                .ok()
                .filter(|v| !v.is_empty());
            known.insert(name, value);
        }
    }
}

/// `e` naming the Spin variable the operator set, not the environment variable it stands for.
pub fn in_spin_words(e: &ConfigError) -> String {
    match e {
        ConfigError::Invalid {
            name,
            value,
            expected,
        } => format!(
            "the Spin variable {}={value:?} is not valid: {expected}",
            name.to_ascii_lowercase()
        ),
        other => other.to_string(),
    }
}
