//! Messages exchanged between the worker and the bridge, defined once for both sides.

use serde::{Deserialize, Serialize};

/// The bridge's answer to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The bridge's version (its package version).
    pub version: String,
    /// Whether the store answered.
    pub store: StoreHealth,
}

/// The store's condition as the bridge sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StoreHealth {
    /// The store answered a trivial query.
    Ok {
        /// Which backend: `sqlite` or `postgres`.
        backend: String,
    },
    /// The store did not answer; the reason is safe to show (no paths or credentials).
    Unavailable {
        /// Which backend: `sqlite` or `postgres`.
        backend: String,
        /// A short, operator-facing reason.
        reason: String,
    },
}
