//! `SqliteStore`: the embedded store, one file, zero set-up.
//!
//! SQLite calls block, so each runs on tokio's blocking pool; the connection sits behind a
//! std `Mutex` because a call never awaits while holding it. WAL lets readers proceed while a
//! write commits.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::Connection;
use slotline_shared::wire::StoreHealth;
use thiserror::Error;

use crate::ports::Store;

/// Why the SQLite store could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    /// The folder for the database file could not be created.
    #[error("cannot create the folder for {path}: {source}")]
    Folder {
        /// The database path.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// SQLite refused to open or configure the file.
    #[error("cannot open SQLite database {path}: {source}")]
    Sqlite {
        /// The database path.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// The SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and switches it to WAL.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let shown = path.display().to_string();
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| OpenError::Folder {
                path: shown.clone(),
                source,
            })?;
        }
        let sqlite = |source| OpenError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection usable: SQLite rolls back
            // any open transaction, so a poisoned lock is safe to take.
            let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&guard)
        })
        .await
        .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn health(&self) -> StoreHealth {
        let backend = "sqlite".to_owned();
        match self
            .with_conn(|c| c.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
            .await
        {
            Ok(_) => StoreHealth::Ok { backend },
            Err(e) => {
                tracing::warn!(error = %e, "sqlite health check failed");
                StoreHealth::Unavailable {
                    backend,
                    reason: "database did not answer".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_database_file_is_created_in_wal_mode_and_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/slotline.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(matches!(store.health().await, StoreHealth::Ok { .. }));
        let mode: String = store
            .with_conn(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert!(path.exists());
    }

    #[test]
    fn an_unwritable_location_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "not a folder").unwrap();
        let err = SqliteStore::open(&file.join("db.sqlite"))
            .err()
            .expect("opening under a file must fail");
        assert!(
            err.to_string().contains("cannot create the folder"),
            "{err}"
        );
    }
}
