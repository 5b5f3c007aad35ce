//! Implementations of the bridge's ports.

pub mod sqlite;

pub use sqlite::SqliteStore;
