//! Moving an embedded install to PostgreSQL: every table of a SQLite database copied into
//! an empty PostgreSQL one in one transaction, then verified table by table (row count and
//! a checksum over the rows' values) before it commits.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;

/// How a column is stored on PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    /// SQLite keeps these as 0 or 1.
    Bool,
}

use Kind::{Bool, Int, Text};

/// A table and its columns, in the order both schemas share; `order` keeps SQLite's
/// insertion order where it matters (histories).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order: &'static str,
}

const TABLES: &[Table] = &[
    Table {
        name: "tenants",
        columns: &[
            ("id", Text),
            ("doc", Text),
            ("key_hash", Text),
            ("version", Int),
            ("created_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "services",
        columns: &[
            ("tenant_id", Text),
            ("id", Text),
            ("doc", Text),
            ("position", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "providers",
        columns: &[
            ("tenant_id", Text),
            ("id", Text),
            ("doc", Text),
            ("position", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "weekly",
        columns: &[("tenant_id", Text), ("provider_id", Text), ("doc", Text)],
        order: "rowid",
    },
    Table {
        name: "overrides",
        columns: &[
            ("tenant_id", Text),
            ("provider_id", Text),
            ("date", Text),
            ("doc", Text),
        ],
        order: "rowid",
    },
    Table {
        name: "reservations",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("reference", Text),
            ("provider_id", Text),
            ("service_id", Text),
            ("customer", Text),
            ("start_at", Int),
            ("end_at", Int),
            ("block_start", Int),
            ("block_end", Int),
            ("status", Text),
            ("expires_at", Int),
            ("deposit_minor", Int),
            ("deposit_currency", Text),
            ("created_at", Int),
            ("idem_key", Text),
            ("moved_to", Text),
            ("external_uid", Text),
        ],
        order: "rowid",
    },
    Table {
        name: "status_history",
        columns: &[
            ("reservation_id", Text),
            ("at", Int),
            ("status", Text),
            ("moved_from", Int),
            ("moved_to", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "customers",
        columns: &[
            ("tenant_id", Text),
            ("phone", Text),
            ("name", Text),
            ("language", Text),
            ("opted_out", Bool),
            ("bookings", Int),
            ("last_seen", Int),
            ("seen_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "deliveries",
        columns: &[
            ("tenant_id", Text),
            ("message_sid", Text),
            ("customer", Text),
            ("status", Text),
            ("error_code", Int),
            ("updated_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("customer", Text),
            ("reference", Text),
            ("stage", Text),
            ("due_at", Int),
            ("send_at", Int),
            ("state", Text),
            ("attempts", Int),
            ("lease_until", Int),
            ("claimed_at", Int),
            ("message_sid", Text),
            ("error_code", Int),
            ("detail", Text),
            ("sent_at", Int),
            ("via", Text),
            ("template_only", Bool),
            ("created_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "ratings",
        columns: &[
            ("tenant_id", Text),
            ("reference", Text),
            ("provider_id", Text),
            ("stars", Int),
            ("at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "usage",
        columns: &[("tenant_id", Text), ("what", Text), ("count", Int)],
        order: "rowid",
    },
    Table {
        name: "payments",
        columns: &[
            ("tenant_id", Text),
            ("hold_id", Text),
            ("session_id", Text),
            ("state", Text),
            ("doc", Text),
            ("pay_by", Int),
            ("updated_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "documents",
        columns: &[
            ("tenant_id", Text),
            ("kind", Text),
            ("number", Int),
            ("key", Text),
            ("hold_id", Text),
            ("issued_at", Int),
            ("doc", Text),
        ],
        order: "rowid",
    },
    Table {
        name: "users",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("email", Text),
            ("doc", Text),
            ("password_hash", Text),
            ("failed_logins", Int),
            ("locked_until", Int),
            ("created_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "audit",
        columns: &[("tenant_id", Text), ("at", Int), ("doc", Text)],
        order: "rowid",
    },
    Table {
        name: "tickets",
        columns: &[
            ("key", Text),
            ("kind", Text),
            ("tenant_id", Text),
            ("doc", Text),
            ("expires_at", Int),
            ("created_at", Int),
        ],
        order: "rowid",
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Text),
            ("id", Text),
            ("user_id", Text),
            ("doc", Text),
            ("expires_at", Int),
        ],
        order: "rowid",
    },
];

/// One table's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The table.
    pub table: &'static str,
    /// Rows in the source, and found in the target afterwards.
    pub rows: u64,
    /// SHA-256 over the table's rows (order-independent), the same on both sides.
    pub checksum: String,
}

/// Why a copy did not happen; nothing was written to the target.
#[derive(Debug, Error)]
pub enum CopyError {
    /// The SQLite file could not be opened or read.
    #[error("reading {path}: {reason}")]
    Source {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The target is not empty: a copy never merges into existing data.
    #[error(
        "the PostgreSQL database already holds {tenants} tenant(s); migrate into an empty database"
    )]
    NotEmpty {
        /// Tenants found there.
        tenants: i64,
    },
    /// Writing or reading the target failed.
    #[error("writing PostgreSQL: {0}")]
    Target(String),
    /// A table came out different; the transaction was rolled back.
    #[error(
        "{table}: {source_rows} rows (checksum {source_sum}) in SQLite but {target_rows} (checksum {target_sum}) in PostgreSQL; nothing was committed"
    )]
    Mismatch {
        /// The table.
        table: &'static str,
        /// Rows read from SQLite.
        source_rows: u64,
        /// Its checksum.
        source_sum: String,
        /// Rows found in PostgreSQL.
        target_rows: u64,
        /// Their checksum.
        target_sum: String,
    },
}

/// Rows of `table` as canonical text (NULL apart from every string, booleans as 0/1), and
/// their order-independent checksum.
fn digest(mut rows: Vec<Vec<Option<String>>>) -> (u64, String) {
    rows.sort();
    let mut hash = Sha256::new();
    for row in &rows {
        for value in row {
            match value {
                None => hash.update([0u8]),
                Some(v) => {
                    hash.update([1u8]);
                    hash.update((v.len() as u64).to_le_bytes());
                    hash.update(v.as_bytes());
                }
            }
        }
    }
    let sum: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    (rows.len() as u64, sum)
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    t: &Table,
) -> rusqlite::Result<Vec<Vec<Option<String>>>> {
    let columns: Vec<String> = t
        .columns
        .iter()
        .map(|(c, _)| format!("CAST({c} AS TEXT)"))
        .collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        t.name,
        t.order
    ))?;
    let n = t.columns.len();
    let rows = stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, Option<String>>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    rows.collect()
}

async fn postgres_rows(
    c: &impl tokio_postgres::GenericClient,
    t: &Table,
) -> Result<Vec<Vec<Option<String>>>, tokio_postgres::Error> {
    let columns: Vec<String> = t
        .columns
        .iter()
        .map(|(c, kind)| match kind {
            Bool => format!("({c})::int::text"),
            _ => format!("({c})::text"),
        })
        .collect();
    let rows = c
        .query(
            &format!("SELECT {} FROM {}", columns.join(", "), t.name),
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            (0..t.columns.len())
                .map(|i| r.try_get::<_, Option<String>>(i))
                .collect()
        })
        .collect()
}

/// Copies the SQLite database at `sqlite` into `target`, which must hold no tenants, and
/// verifies every table before committing.
pub async fn copy_from_sqlite(sqlite: &Path, target: &PgStore) -> Result<Vec<Copied>, CopyError> {
    let shown = sqlite.display().to_string();
    let source = |reason: String| CopyError::Source {
        path: shown.clone(),
        reason,
    };
    if !sqlite.exists() {
        return Err(source("no such file".into()));
    }
    // Opening through the store brings an older file's schema up to date first.
    drop(crate::adapters::SqliteStore::open(sqlite).map_err(|e| source(e.to_string()))?);
    let conn = rusqlite::Connection::open_with_flags(
        sqlite,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| source(e.to_string()))?;
    let mut tables = Vec::new();
    for t in TABLES {
        tables.push((t, sqlite_rows(&conn, t).map_err(|e| source(e.to_string()))?));
    }
    // Live reservations SQLite let overlap (a move the business made in Cal.com) keep
    // standing on PostgreSQL, as its own writes would have marked them.
    let overlapping: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT y.id FROM reservations x JOIN reservations y
                   ON x.tenant_id = y.tenant_id AND x.provider_id = y.provider_id AND x.rowid < y.rowid
                  AND x.block_start < y.block_end AND y.block_start < x.block_end
                 WHERE x.status IN ('held', 'confirmed') AND y.status IN ('held', 'confirmed')",
            )
            .map_err(|e| source(e.to_string()))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| source(e.to_string()))?;
        ids.collect::<rusqlite::Result<_>>()
            .map_err(|e| source(e.to_string()))?
    };

    let target_error = |e: tokio_postgres::Error| CopyError::Target(explained(&e));
    let mut client = target
        .pool
        .get()
        .await
        .map_err(|e| CopyError::Target(e.to_string()))?;
    let client: &mut tokio_postgres::Client = &mut client;
    let tx = client.transaction().await.map_err(target_error)?;
    let tenants: i64 = tx
        .query_one("SELECT COUNT(*) FROM tenants", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(target_error)?;
    if tenants > 0 {
        return Err(CopyError::NotEmpty { tenants });
    }
    for (t, rows) in &tables {
        let names: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
        let params: Vec<String> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Text => format!("${}::text", i + 1),
                Int => format!("${}::text::bigint", i + 1),
                Bool => format!("(${}::text::int <> 0)", i + 1),
            })
            .collect();
        let insert = tx
            .prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.name,
                names.join(", "),
                params.join(", ")
            ))
            .await
            .map_err(target_error)?;
        for row in rows {
            let values: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = row
                .iter()
                .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            tx.execute(&insert, &values).await.map_err(target_error)?;
        }
    }
    tx.execute(
        "UPDATE reservations SET overlap_ok = TRUE WHERE id = ANY($1)",
        &[&overlapping],
    )
    .await
    .map_err(target_error)?;
    let mut report = Vec::new();
    for (t, rows) in tables {
        let (source_rows, source_sum) = digest(rows);
        let copied = postgres_rows(&tx, t).await.map_err(target_error)?;
        let (target_rows, target_sum) = digest(copied);
        if (source_rows, &source_sum) != (target_rows, &target_sum) {
            return Err(CopyError::Mismatch {
                table: t.name,
                source_rows,
                source_sum,
                target_rows,
                target_sum,
            });
        }
        report.push(Copied {
            table: t.name,
            rows: source_rows,
            checksum: source_sum,
        });
    }
    tx.commit().await.map_err(target_error)?;
    Ok(report)
}
