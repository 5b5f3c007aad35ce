//! `SqliteStore`: the embedded store, one file, zero set-up.
//!
//! SQLite calls block, so each runs on tokio's blocking pool; the connection sits behind a
//! std `Mutex` because a call never awaits while holding it. WAL lets readers proceed while a
//! write commits. Holds are placed inside `BEGIN IMMEDIATE` transactions: SQLite admits one
//! writer at a time, so the overlap check and the insert can never interleave with another
//! hold's.
//!
//! Settings records (tenants, services, providers, hours) are stored as JSON documents;
//! reservations, which are queried by time, have real columns.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use slotline_shared::catalog::{Money, ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::StoreHealth;
use thiserror::Error;

use crate::engine::{Load, fair_order};
use slotline_shared::wire::DeliveryStatus;

use crate::lifecycle::Plan;
use crate::model::{
    Customer, DateOverride, Delivery, ProviderRecord, Reservation, ServiceRecord, Stage, Status,
    StatusChange, Tenant, Weekly,
};
use crate::ports::{
    BusinessChange, Candidate, ChangeOutcome, HoldOutcome, NewHold, OutboxMessage, OutboxState,
    Planner, Reach, SendOutcome, Store, StoreError, StoreResult,
};
use slotline_shared::i18n::Lang;

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
    /// SQLite refused to open, configure or migrate the file.
    #[error("cannot open SQLite database {path}: {source}")]
    Sqlite {
        /// The database path.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE TABLE services (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE providers (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE weekly (
    tenant_id TEXT NOT NULL, provider_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider_id)
);
CREATE TABLE overrides (
    tenant_id TEXT NOT NULL, provider_id TEXT NOT NULL, date TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider_id, date)
);
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    reference TEXT,
    provider_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    block_start INTEGER NOT NULL,
    block_end INTEGER NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER,
    deposit_minor INTEGER,
    deposit_currency TEXT,
    created_at INTEGER NOT NULL,
    idem_key TEXT,
    moved_to TEXT
);
CREATE UNIQUE INDEX reservations_reference ON reservations (tenant_id, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX reservations_idem ON reservations (tenant_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX reservations_provider_time ON reservations (tenant_id, provider_id, block_start);
CREATE INDEX reservations_customer ON reservations (tenant_id, customer, start_at);
CREATE INDEX reservations_held ON reservations (status, expires_at);
CREATE TABLE status_history (
    reservation_id TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL
);
CREATE INDEX status_history_reservation ON status_history (reservation_id);
CREATE TABLE customers (
    tenant_id TEXT NOT NULL, phone TEXT NOT NULL, name TEXT, language TEXT,
    opted_out INTEGER NOT NULL DEFAULT 0, bookings INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);
"#,
    r#"
CREATE TABLE deliveries (
    tenant_id TEXT NOT NULL, message_sid TEXT NOT NULL, customer TEXT NOT NULL,
    status TEXT NOT NULL, error_code INTEGER, updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, message_sid)
);
CREATE INDEX deliveries_updated ON deliveries (tenant_id, updated_at);
"#,
    r#"
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    reference TEXT,
    stage TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    send_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    claimed_at INTEGER,
    message_sid TEXT,
    error_code INTEGER,
    detail TEXT,
    sent_at INTEGER,
    via TEXT,
    template_only INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, send_at);
CREATE INDEX outbox_booking ON outbox (tenant_id, reference, state);
CREATE INDEX outbox_customer ON outbox (tenant_id, customer, stage, state);
CREATE INDEX outbox_sid ON outbox (tenant_id, message_sid);
CREATE INDEX outbox_recent ON outbox (tenant_id, created_at);
ALTER TABLE customers ADD COLUMN seen_at INTEGER;
CREATE TABLE ratings (
    tenant_id TEXT NOT NULL, reference TEXT NOT NULL, provider_id TEXT NOT NULL,
    stars INTEGER NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, reference)
);
"#,
    r#"
ALTER TABLE reservations ADD COLUMN external_uid TEXT;
CREATE INDEX reservations_external ON reservations (external_uid) WHERE external_uid IS NOT NULL;
"#,
    // A move is recorded with its old and new start.
    r#"
ALTER TABLE status_history ADD COLUMN moved_from INTEGER;
ALTER TABLE status_history ADD COLUMN moved_to INTEGER;
"#,
];

const OUTBOX_COLUMNS: &str = "id, tenant_id, customer, reference, stage, due_at, send_at, state, attempts, \
     message_sid, error_code, detail, sent_at, via, template_only, claimed_at";

fn outbox_row(row: &Row<'_>) -> rusqlite::Result<Option<OutboxMessage>> {
    let customer: String = row.get(2)?;
    let stage: String = row.get(4)?;
    let state: String = row.get(7)?;
    let customer = PhoneNumber::parse(&customer).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let stage = stored(4, &stage, Stage::parse)?;
    let state = stored(7, &state, OutboxState::parse)?;
    Ok(Some(OutboxMessage {
        id: row.get(0)?,
        tenant: TenantId(row.get(1)?),
        customer,
        reference: row.get(3)?,
        stage,
        due_at: from_ts(row.get(5)?),
        send_at: from_ts(row.get(6)?),
        state,
        attempts: row.get(8)?,
        message_sid: row.get(9)?,
        error_code: row.get(10)?,
        detail: row.get(11)?,
        sent_at: row.get::<_, Option<i64>>(12)?.map(from_ts),
        via: row.get(13)?,
        template_only: row.get::<_, i64>(14)? != 0,
        in_doubt_since: row.get::<_, Option<i64>>(15)?.map(from_ts),
    }))
}

/// The booking with `reference` if its status is one of `statuses`.
fn booking_in(
    conn: &Connection,
    tenant: &str,
    reference: &str,
    statuses: &[Status],
) -> rusqlite::Result<Option<Reservation>> {
    let allowed: Vec<String> = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    conn.query_row(
        &format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations
             WHERE tenant_id = ?1 AND reference = ?2 AND status IN ({})",
            allowed.join(", ")
        ),
        params![tenant, reference],
        reservation_row,
    )
    .optional()
}

/// Sets a reservation's status and records the change in its history.
fn set_status(
    conn: &Connection,
    tenant: &str,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE reservations SET status = ?3 WHERE tenant_id = ?1 AND id = ?2",
        params![tenant, id, status.as_str()],
    )?;
    record_status(conn, id, status, now)
}

/// Ends a booking change: re-reads the booking, replaces its pending messages with `plan`'s,
/// and commits.
fn finish_change(
    tx: rusqlite::Transaction<'_>,
    tenant: &str,
    id: &str,
    plan: &Planner,
    now: DateTime<Utc>,
) -> StoreResult<ChangeOutcome> {
    let r = load_reservation(&tx, tenant, id)?;
    if let Some(r) = &r {
        replace_messages(&tx, r, &plan(r), now)?;
    }
    tx.commit()?;
    Ok(r.map_or(ChangeOutcome::NotFound, |r| {
        ChangeOutcome::Done(Box::new(r))
    }))
}

/// Carries out `plan` for booking `r`: drops its pending messages and the customer's
/// pending ones of the withdrawn kinds, and queues the planned ones.
fn replace_messages(
    tx: &Connection,
    r: &Reservation,
    plan: &Plan,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    if let Some(reference) = &r.reference {
        tx.execute(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = ?1 AND reference = ?2 AND state = 'pending'",
            params![r.tenant.as_str(), reference],
        )?;
    }
    for stage in &plan.withdraw {
        tx.execute(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = ?1 AND customer = ?2 AND stage = ?3 AND state = 'pending'",
            params![r.tenant.as_str(), r.customer.as_e164(), stage.as_str()],
        )?;
    }
    let planned = &plan.messages;
    let mut insert = tx.prepare_cached(
        "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for p in planned {
        insert.execute(params![
            new_id(),
            r.tenant.as_str(),
            r.customer.as_e164(),
            r.reference,
            p.stage.as_str(),
            ts(p.due_at),
            ts(p.send_at),
            ts(now),
        ])?;
    }
    Ok(())
}

/// The SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

/// A stored name read back into its enum. An unknown name is an error, never a default: a
/// corrupt status must not read as, say, a released hold (a free slot).
fn stored<T>(column: usize, text: &str, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown stored value {text:?}").into(),
        )
    })
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// A failure that is not SQLite's own (a document that does not read, a lost task).
fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn to_doc<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(backend)
}

fn from_doc<T: DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(backend)
}

const RESERVATION_COLUMNS: &str = "id, reference, tenant_id, provider_id, service_id, customer, start_at, end_at, \
     block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at";

fn reservation_row(row: &Row<'_>) -> rusqlite::Result<Reservation> {
    let customer: String = row.get(5)?;
    let status: String = row.get(10)?;
    let deposit_minor: Option<i64> = row.get(12)?;
    let deposit_currency: Option<String> = row.get(13)?;
    Ok(Reservation {
        id: row.get(0)?,
        reference: row.get(1)?,
        tenant: TenantId(row.get(2)?),
        provider: ProviderId(row.get(3)?),
        service: ServiceId(row.get(4)?),
        customer: PhoneNumber::parse(&customer).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
        })?,
        start: from_ts(row.get(6)?),
        end: from_ts(row.get(7)?),
        block_start: from_ts(row.get(8)?),
        block_end: from_ts(row.get(9)?),
        status: stored(10, &status, Status::parse)?,
        expires_at: row.get::<_, Option<i64>>(11)?.map(from_ts),
        deposit: deposit_minor
            .zip(deposit_currency)
            .map(|(m, c)| Money::new(m, &c)),
        created_at: from_ts(row.get(14)?),
    })
}

fn load_reservation(
    conn: &Connection,
    tenant: &str,
    id: &str,
) -> rusqlite::Result<Option<Reservation>> {
    conn.query_row(
        &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = ?1 AND id = ?2"),
        params![tenant, id],
        reservation_row,
    )
    .optional()
}

fn record_status(
    conn: &Connection,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO status_history (reservation_id, at, status) VALUES (?1, ?2, ?3)",
        params![id, ts(now), status.as_str()],
    )?;
    Ok(())
}

fn bump_version(conn: &Connection, tenant: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tenants SET version = version + 1 WHERE id = ?1",
        params![tenant],
    )?;
    Ok(())
}

/// Active reservations of `provider` overlapping `[start, end)`.
fn overlapping(
    conn: &Connection,
    tenant: &str,
    provider: &str,
    start: i64,
    end: i64,
    now: i64,
) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM reservations
         WHERE tenant_id = ?1 AND provider_id = ?2 AND block_start < ?4 AND block_end > ?3
           AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))",
        params![tenant, provider, start, end, now],
        |r| r.get(0),
    )
}

fn active_starting(
    conn: &Connection,
    tenant: &str,
    provider: &str,
    from: i64,
    to: i64,
    now: i64,
) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM reservations
         WHERE tenant_id = ?1 AND provider_id = ?2 AND start_at >= ?3 AND start_at < ?4
           AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))",
        params![tenant, provider, from, to, now],
        |r| r.get(0),
    )
}

fn loads_in(
    conn: &Connection,
    tenant: &str,
    candidates: &[Candidate],
    since: i64,
    now: i64,
) -> rusqlite::Result<Vec<Load>> {
    let mut stmt = conn.prepare_cached(
        "SELECT COUNT(*), MAX(created_at) FROM reservations
         WHERE tenant_id = ?1 AND provider_id = ?2 AND created_at >= ?3
           AND (status IN ('confirmed', 'rescheduled') OR (status = 'held' AND expires_at > ?4))",
    )?;
    candidates
        .iter()
        .map(|c| {
            stmt.query_row(params![tenant, c.provider.as_str(), since, now], |r| {
                Ok(Load {
                    provider: c.provider.clone(),
                    weight: c.weight,
                    recent: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last_booked: r.get::<_, Option<i64>>(1)?.map(from_ts),
                })
            })
        })
        .collect()
}

/// A new random-enough id for a reservation; uniqueness is enforced by the primary key.
fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("r{:x}{:04x}{:x}", nanos, std::process::id() & 0xffff, n)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, switches it to WAL and applies
    /// pending migrations.
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
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let applied: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(sqlite)?
            .try_into()
            .unwrap_or(0);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = conn.transaction().map_err(sqlite)?;
            tx.execute_batch(migration).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(0))
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection usable: SQLite rolls back
            // any open transaction, so a poisoned lock is safe to take.
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }

    async fn put_doc(
        &self,
        table: &'static str,
        tenant: &TenantId,
        id: String,
        doc: String,
    ) -> StoreResult<()> {
        let tenant = tenant.0.clone();
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                &format!(
                    "INSERT INTO {table} (tenant_id, id, doc, position)
                     VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position), 0) + 1 FROM {table} WHERE tenant_id = ?1))
                     ON CONFLICT (tenant_id, id) DO UPDATE SET doc = excluded.doc"
                ),
                params![tenant, id, doc],
            )
            ?;
            bump_version(&tx, &tenant)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn delete_doc(
        &self,
        table: &'static str,
        tenant: &TenantId,
        id: String,
    ) -> StoreResult<bool> {
        let tenant = tenant.0.clone();
        self.with(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                &format!("DELETE FROM {table} WHERE tenant_id = ?1 AND id = ?2"),
                params![tenant, id],
            )?;
            bump_version(&tx, &tenant)?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn docs<T: DeserializeOwned + Send + 'static>(
        &self,
        table: &'static str,
        tenant: &TenantId,
    ) -> StoreResult<Vec<T>> {
        let tenant = tenant.0.clone();
        self.with(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT doc FROM {table} WHERE tenant_id = ?1 ORDER BY position"
            ))?;
            let docs: Vec<String> = stmt
                .query_map(params![tenant], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn health(&self) -> StoreHealth {
        let backend_name = "sqlite".to_owned();
        match self
            .with(|c| {
                c.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
                    .map_err(backend)
            })
            .await
        {
            Ok(_) => StoreHealth::Ok {
                backend: backend_name,
            },
            Err(e) => {
                tracing::warn!(error = %e, "sqlite health check failed");
                StoreHealth::Unavailable {
                    backend: backend_name,
                    reason: "database did not answer".into(),
                }
            }
        }
    }

    async fn create_tenant(&self, tenant: &Tenant, key_hash: &str) -> StoreResult<()> {
        let (id, doc, key_hash) = (tenant.id.0.clone(), to_doc(tenant)?, key_hash.to_owned());
        self.with(move |c| {
            let n = c.execute(
                "INSERT INTO tenants (id, doc, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                params![id, doc, key_hash, ts(Utc::now())],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("tenant {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let (id, doc) = (tenant.id.0.clone(), to_doc(tenant)?);
        self.with(move |c| {
            let n = c.execute(
                "UPDATE tenants SET doc = ?2, version = version + 1 WHERE id = ?1",
                params![id, doc],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("tenant {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        let id = id.0.clone();
        self.with(move |c| {
            let doc: Option<String> = c
                .query_row("SELECT doc FROM tenants WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            doc.map(|d| from_doc(&d)).transpose()
        })
        .await
    }

    async fn tenant_for_key(&self, key_hash: &str) -> StoreResult<Option<TenantId>> {
        let key_hash = key_hash.to_owned();
        self.with(move |c| {
            c.query_row(
                "SELECT id FROM tenants WHERE key_hash = ?1",
                params![key_hash],
                |r| r.get(0).map(TenantId),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT doc FROM tenants ORDER BY created_at, id")?;
            let docs: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }

    async fn config_version(&self, tenant: &TenantId) -> StoreResult<u64> {
        let id = tenant.0.clone();
        self.with(move |c| {
            let v: Option<i64> = c
                .query_row(
                    "SELECT version FROM tenants WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            v.map(|v| u64::try_from(v).unwrap_or(0))
                .ok_or_else(|| StoreError::NotFound(format!("tenant {id}")))
        })
        .await
    }

    async fn put_service(&self, tenant: &TenantId, service: &ServiceRecord) -> StoreResult<()> {
        self.put_doc("services", tenant, service.id.0.clone(), to_doc(service)?)
            .await
    }

    async fn delete_service(&self, tenant: &TenantId, id: &ServiceId) -> StoreResult<bool> {
        self.delete_doc("services", tenant, id.0.clone()).await
    }

    async fn services(&self, tenant: &TenantId) -> StoreResult<Vec<ServiceRecord>> {
        self.docs("services", tenant).await
    }

    async fn put_provider(&self, tenant: &TenantId, provider: &ProviderRecord) -> StoreResult<()> {
        self.put_doc(
            "providers",
            tenant,
            provider.id.0.clone(),
            to_doc(provider)?,
        )
        .await
    }

    async fn delete_provider(&self, tenant: &TenantId, id: &ProviderId) -> StoreResult<bool> {
        self.delete_doc("providers", tenant, id.0.clone()).await
    }

    async fn providers(&self, tenant: &TenantId) -> StoreResult<Vec<ProviderRecord>> {
        self.docs("providers", tenant).await
    }

    async fn set_weekly(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        weekly: &Weekly,
    ) -> StoreResult<()> {
        let (t, p, doc) = (tenant.0.clone(), provider.0.clone(), to_doc(weekly)?);
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO weekly (tenant_id, provider_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id, provider_id) DO UPDATE SET doc = excluded.doc",
                params![t, p, doc],
            )?;
            bump_version(&tx, &t)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn weekly(&self, tenant: &TenantId, provider: &ProviderId) -> StoreResult<Weekly> {
        let (t, p) = (tenant.0.clone(), provider.0.clone());
        self.with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM weekly WHERE tenant_id = ?1 AND provider_id = ?2",
                    params![t, p],
                    |r| r.get(0),
                )
                .optional()?;
            doc.map_or(Ok(Weekly::default()), |d| from_doc(&d))
        })
        .await
    }

    async fn put_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        o: &DateOverride,
    ) -> StoreResult<()> {
        let (t, p, date, doc) = (
            tenant.0.clone(),
            provider.0.clone(),
            o.date.to_string(),
            to_doc(o)?,
        );
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO overrides (tenant_id, provider_id, date, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant_id, provider_id, date) DO UPDATE SET doc = excluded.doc",
                params![t, p, date, doc],
            )?;
            bump_version(&tx, &t)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn delete_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        date: NaiveDate,
    ) -> StoreResult<bool> {
        let (t, p, date) = (tenant.0.clone(), provider.0.clone(), date.to_string());
        self.with(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "DELETE FROM overrides WHERE tenant_id = ?1 AND provider_id = ?2 AND date = ?3",
                params![t, p, date],
            )?;
            bump_version(&tx, &t)?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn overrides(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
    ) -> StoreResult<Vec<DateOverride>> {
        let (t, p) = (tenant.0.clone(), provider.0.clone());
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT doc FROM overrides WHERE tenant_id = ?1 AND provider_id = ?2 ORDER BY date",
            )?;
            let docs: Vec<String> = stmt
                .query_map(params![t, p], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }

    async fn active_reservations(
        &self,
        tenant: &TenantId,
        providers: &[ProviderId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        let t = tenant.0.clone();
        let providers: Vec<String> = providers.iter().map(|p| p.0.clone()).collect();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {RESERVATION_COLUMNS} FROM reservations
                     WHERE tenant_id = ?1 AND provider_id = ?2 AND block_start < ?4 AND block_end > ?3
                       AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))
                     ORDER BY block_start"
                ))
                ?;
            let mut out = Vec::new();
            for p in &providers {
                let rows = stmt
                    .query_map(params![t, p, ts(from), ts(to), ts(now)], reservation_row)
                    ?;
                for r in rows {
                    out.push(r?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn hold(
        &self,
        hold: &NewHold,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldOutcome, Option<String>)> {
        let hold = hold.clone();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let tenant = hold.tenant.0.as_str();
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM reservations WHERE tenant_id = ?1 AND idem_key = ?2",
                    params![tenant, hold.idempotency_key],
                    |r| r.get(0),
                )
                .optional()
                ?;
            if let Some(id) = existing {
                let r = load_reservation(&tx, tenant, &id)?;
                return r
                    .map(|r| (HoldOutcome::Held(Box::new(r)), Some("repeated idempotency key".into())))
                    .ok_or_else(|| StoreError::backend("idempotent hold vanished"));
            }
            let (now_s, start, end) = (ts(now), ts(hold.block_start), ts(hold.block_end));
            let mut free = Vec::new();
            for cand in &hold.candidates {
                let p = cand.provider.as_str();
                if overlapping(&tx, tenant, p, start, end, now_s)? > 0 {
                    continue;
                }
                if let Some(max) = cand.max_per_day {
                    let n = active_starting(&tx, tenant, p, ts(hold.day.0), ts(hold.day.1), now_s)?;
                    if n >= i64::from(max) {
                        continue;
                    }
                }
                free.push(cand.clone());
            }
            if free.is_empty() {
                return Ok((HoldOutcome::Taken, None));
            }
            let loads = loads_in(&tx, tenant, &free, ts(hold.fairness_since), now_s)?;
            let (order, reason) = fair_order(loads);
            let Some(provider) = order.into_iter().next() else {
                return Ok((HoldOutcome::Taken, None));
            };
            let id = new_id();
            tx.execute(
                "INSERT INTO reservations (id, tenant_id, reference, provider_id, service_id, customer, start_at, end_at,
                    block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at, idem_key)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'held', ?10, ?11, ?12, ?13, ?14)",
                params![
                    id,
                    tenant,
                    provider.as_str(),
                    hold.service.as_str(),
                    hold.customer.as_e164(),
                    ts(hold.start),
                    ts(hold.end),
                    start,
                    end,
                    ts(hold.expires_at),
                    hold.deposit.as_ref().map(|d| d.minor),
                    hold.deposit.as_ref().map(|d| d.currency.clone()),
                    now_s,
                    hold.idempotency_key,
                ],
            )
            ?;
            record_status(&tx, &id, Status::Held, now)?;
            tx.execute(
                "INSERT INTO customers (tenant_id, phone, last_seen) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id, phone) DO UPDATE SET last_seen = excluded.last_seen",
                params![tenant, hold.customer.as_e164(), now_s],
            )
            ?;
            let r = load_reservation(&tx, tenant, &id)?;
            tx.commit()?;
            let r = r.ok_or_else(|| StoreError::backend("inserted hold not found"))?;
            Ok((HoldOutcome::Held(Box::new(r)), Some(reason)))
        })
        .await
    }

    async fn release(&self, tenant: &TenantId, hold: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let (t, id) = (tenant.0.clone(), hold.to_owned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx
                .execute(
                    "UPDATE reservations SET status = 'released' WHERE tenant_id = ?1 AND id = ?2 AND status = 'held'",
                    params![t, id],
                )
                ?;
            if n > 0 {
                record_status(&tx, &id, Status::Released, now)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn confirm(
        &self,
        tenant: &TenantId,
        hold: &str,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        let (t, id, reference) = (tenant.0.clone(), hold.to_owned(), reference.to_owned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(r) = load_reservation(&tx, &t, &id)? else {
                return Ok(ChangeOutcome::HoldGone);
            };
            match r.status {
                // Confirming twice returns the booking made the first time.
                Status::Confirmed => return Ok(ChangeOutcome::Done(Box::new(r))),
                Status::Held if r.is_active(now) => {}
                _ => return Ok(ChangeOutcome::HoldGone),
            }
            tx.execute(
                "UPDATE reservations SET status = 'confirmed', reference = ?3, expires_at = NULL
                 WHERE tenant_id = ?1 AND id = ?2",
                params![t, id, reference],
            )?;
            record_status(&tx, &id, Status::Confirmed, now)?;
            tx.execute(
                "UPDATE customers SET bookings = bookings + 1 WHERE tenant_id = ?1 AND phone = ?2",
                params![t, r.customer.as_e164()],
            )?;
            let r = load_reservation(&tx, &t, &id)?;
            if let Some(r) = &r {
                replace_messages(&tx, r, &plan(r), now)?;
            }
            tx.commit()?;
            Ok(r.map_or(ChangeOutcome::HoldGone, |r| {
                ChangeOutcome::Done(Box::new(r))
            }))
        })
        .await
    }

    async fn reschedule(
        &self,
        tenant: &TenantId,
        reference: &str,
        hold: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        let (t, reference, hold_id) = (tenant.0.clone(), reference.to_owned(), hold.to_owned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(new) = load_reservation(&tx, &t, &hold_id)? else {
                return Ok(ChangeOutcome::HoldGone);
            };
            // A retry after success: the hold already carries the booking's reference.
            if new.status == Status::Confirmed
                && new.reference.as_deref() == Some(reference.as_str())
            {
                return Ok(ChangeOutcome::Done(Box::new(new)));
            }
            if !(new.status == Status::Held && new.is_active(now)) {
                return Ok(ChangeOutcome::HoldGone);
            }
            let old: Option<Reservation> = booking_in(&tx, &t, &reference, &[Status::Confirmed])?;
            let Some(old) = old.filter(|o| o.customer == new.customer) else {
                return Ok(ChangeOutcome::NotFound);
            };
            tx.execute(
                "UPDATE reservations SET status = 'rescheduled', reference = NULL, moved_to = ?3
                 WHERE tenant_id = ?1 AND id = ?2",
                params![t, old.id, hold_id],
            )?;
            tx.execute(
                "UPDATE reservations SET status = 'confirmed', reference = ?3, expires_at = NULL
                 WHERE tenant_id = ?1 AND id = ?2",
                params![t, hold_id, reference],
            )?;
            record_status(&tx, &old.id, Status::Rescheduled, now)?;
            // The booking's history goes with it to its new time, before the new time's own
            // entries (the hold), and the move is on it.
            let own: Vec<(i64, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT at, status FROM status_history WHERE reservation_id = ?1
                         ORDER BY at, rowid",
                )?;
                let rows = stmt.query_map(params![hold_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            tx.execute(
                "DELETE FROM status_history WHERE reservation_id = ?1",
                params![hold_id],
            )?;
            tx.execute(
                "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
                 SELECT ?2, at, status, moved_from, moved_to FROM status_history
                 WHERE reservation_id = ?1 AND NOT (status = 'rescheduled' AND moved_from IS NULL)
                 ORDER BY at, rowid",
                params![old.id, hold_id],
            )?;
            for (at, status) in own {
                tx.execute(
                    "INSERT INTO status_history (reservation_id, at, status) VALUES (?1, ?2, ?3)",
                    params![hold_id, at, status],
                )?;
            }
            tx.execute(
                "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
                 VALUES (?1, ?2, 'rescheduled', ?3, ?4)",
                params![hold_id, ts(now), ts(old.start), ts(new.start)],
            )?;
            let r = load_reservation(&tx, &t, &hold_id)?;
            if let Some(r) = &r {
                replace_messages(&tx, r, &plan(r), now)?;
            }
            tx.commit()?;
            Ok(r.map_or(ChangeOutcome::HoldGone, |r| {
                ChangeOutcome::Done(Box::new(r))
            }))
        })
        .await
    }

    async fn cancel(
        &self,
        tenant: &TenantId,
        reference: &str,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<ChangeOutcome> {
        let (t, reference, customer) = (tenant.0.clone(), reference.to_owned(), customer.clone());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let r: Option<Reservation> =
                booking_in(&tx, &t, &reference, &[Status::Confirmed, Status::Cancelled])?;
            let Some(r) = r.filter(|r| r.customer == customer) else {
                return Ok(ChangeOutcome::NotFound);
            };
            if r.status == Status::Cancelled {
                return Ok(ChangeOutcome::Done(Box::new(r)));
            }
            set_status(&tx, &t, &r.id, Status::Cancelled, now)?;
            let r = load_reservation(&tx, &t, &r.id)?;
            if let Some(r) = &r {
                replace_messages(&tx, r, &Plan::default(), now)?;
            }
            tx.commit()?;
            Ok(r.map_or(ChangeOutcome::NotFound, |r| {
                ChangeOutcome::Done(Box::new(r))
            }))
        })
        .await
    }

    async fn mark_no_show(
        &self,
        tenant: &TenantId,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        let (t, reference) = (tenant.0.clone(), reference.to_owned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let r: Option<Reservation> =
                booking_in(&tx, &t, &reference, &[Status::Confirmed, Status::NoShow])?;
            let Some(r) = r else {
                return Ok(ChangeOutcome::NotFound);
            };
            if r.status == Status::NoShow {
                return Ok(ChangeOutcome::Done(Box::new(r)));
            }
            set_status(&tx, &t, &r.id, Status::NoShow, now)?;
            finish_change(tx, &t, &r.id, &plan, now)
        })
        .await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                ?;
            let mut claimed: Vec<OutboxMessage> = {
                let mut select = tx
                    .prepare_cached(&format!(
                        "SELECT {OUTBOX_COLUMNS} FROM (
                             SELECT *, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY send_at, id) AS n
                             FROM outbox
                             WHERE state = 'pending' AND send_at <= ?1
                               AND (lease_until IS NULL OR lease_until <= ?1)
                         ) WHERE n <= ?2 ORDER BY send_at, id"
                    ))
                    ?;
                let rows = select
                    .query_map(params![ts(now), limit as i64], outbox_row)
                    ?;
                let mut out = Vec::new();
                for row in rows {
                    if let Some(m) = row? {
                        out.push(m);
                    }
                }
                out
            };
            {
                let mut update = tx
                    .prepare_cached(
                        "UPDATE outbox SET lease_until = ?2, claimed_at = ?3, attempts = attempts + 1
                         WHERE id = ?1",
                    )
                    ?;
                for m in &mut claimed {
                    update
                        .execute(params![m.id, ts(now + lease), ts(now)])
                        ?;
                    // The caller sees the row as claimed: this attempt counts.
                    m.attempts += 1;
                }
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn settle(
        &self,
        results: &[(String, SendOutcome)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let results = results.to_vec();
        self.with(move |c| {
            let tx = c.transaction()?;
            for (id, outcome) in &results {
                match outcome {
                    SendOutcome::Sent { sid, via } => tx.execute(
                        "UPDATE outbox SET state = 'sent', message_sid = ?2, via = ?3, sent_at = ?4,
                                lease_until = NULL, claimed_at = NULL, error_code = NULL, detail = NULL
                         WHERE id = ?1",
                        params![id, sid, via, ts(now)],
                    ),
                    SendOutcome::Retry { at, error_code, detail } => tx.execute(
                        "UPDATE outbox SET send_at = ?2, error_code = ?3, detail = ?4,
                                lease_until = NULL, claimed_at = NULL
                         WHERE id = ?1 AND state = 'pending'",
                        params![id, ts(*at), error_code, detail],
                    ),
                    SendOutcome::Failed { error_code, detail } => tx.execute(
                        "UPDATE outbox SET state = 'failed', error_code = ?2, detail = ?3,
                                lease_until = NULL, claimed_at = NULL
                         WHERE id = ?1",
                        params![id, error_code, detail],
                    ),
                    SendOutcome::Skipped { detail } => tx.execute(
                        "UPDATE outbox SET state = 'skipped', detail = ?2, lease_until = NULL, claimed_at = NULL
                         WHERE id = ?1 AND state = 'pending'",
                        params![id, detail],
                    ),
                }
                ?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn outbox(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<OutboxMessage>> {
        let t = tenant.0.clone();
        self.with(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = ?1
                     ORDER BY send_at DESC, id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![t, limit as i64], outbox_row)?;
            let mut out = Vec::new();
            for row in rows {
                if let Some(mut m) = row? {
                    m.in_doubt_since = None;
                    out.push(m);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn resend_as_template(
        &self,
        tenant: &TenantId,
        message_sid: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (t, sid) = (tenant.0.clone(), message_sid.to_owned());
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE outbox SET state = 'pending', template_only = 1, send_at = ?3,
                            error_code = 63016, detail = 'outside the 24-hour window'
                     WHERE tenant_id = ?1 AND message_sid = ?2 AND via = 'session' AND template_only = 0",
                    params![t, sid, ts(now)],
                )
                ?;
            Ok(n > 0)
        })
        .await
    }

    async fn reminded(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT reference, MAX(sent_at) FROM outbox
                     WHERE tenant_id = ?1 AND customer = ?2 AND state = 'sent' AND reference IS NOT NULL
                       AND stage IN ('confirmation', 'day_before', 'shortly_before')
                     GROUP BY reference",
                )
                ?;
            let rows = stmt
                .query_map(params![t, phone], |r| {
                    Ok((r.get::<_, String>(0)?, from_ts(r.get(1)?)))
                })
                ?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn booking(
        &self,
        tenant: &TenantId,
        reference: &str,
    ) -> StoreResult<Option<Reservation>> {
        let (t, reference) = (tenant.0.clone(), reference.to_owned());
        self.with(move |c| {
            c.query_row(
                &format!(
                    "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = ?1 AND reference = ?2"
                ),
                params![t, reference],
                reservation_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn seen(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        at: DateTime<Utc>,
        language: Option<Lang>,
    ) -> StoreResult<()> {
        let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
        self.with(move |c| {
            c.execute(
                "INSERT INTO customers (tenant_id, phone, last_seen, seen_at, language) VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (tenant_id, phone) DO UPDATE SET
                    last_seen = MAX(last_seen, excluded.last_seen),
                    seen_at = MAX(COALESCE(seen_at, 0), excluded.seen_at),
                    language = COALESCE(excluded.language, language)",
                params![t, phone, ts(at), language.map(Lang::code)],
            )
            ?;
            Ok(())
        })
        .await
    }

    async fn set_opted_out(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO customers (tenant_id, phone, last_seen, opted_out) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant_id, phone) DO UPDATE SET opted_out = excluded.opted_out",
                params![t, phone, ts(now), i64::from(opted_out)],
            )
            ?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn reach(&self, tenant: &TenantId, customer: &PhoneNumber) -> StoreResult<Reach> {
        let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
        self.with(move |c| {
            let row = c
                .query_row(
                    "SELECT seen_at, opted_out, language FROM customers WHERE tenant_id = ?1 AND phone = ?2",
                    params![t, phone],
                    |r| {
                        Ok((
                            r.get::<_, Option<i64>>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Option<String>>(2)?,
                        ))
                    },
                )
                .optional()
                ?;
            let Some((seen, opted_out, language)) = row else {
                return Ok(Reach::default());
            };
            Ok(Reach {
                seen_at: seen.map(from_ts),
                opted_out: opted_out != 0,
                language: language
                    .as_deref()
                    .map(|code| stored(2, code, Lang::from_code))
                    .transpose()
                    ?,
            })
        })
        .await
    }

    async fn rate(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        reference: Option<&str>,
        stars: u8,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        let (t, phone, reference) = (
            tenant.0.clone(),
            customer.as_e164().to_owned(),
            reference.map(str::to_owned),
        );
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                ?;
            // Without a reference: the booking the customer was last asked to rate.
            let reference = match reference {
                Some(r) => Some(r),
                None => tx
                    .query_row(
                        "SELECT reference FROM outbox
                         WHERE tenant_id = ?1 AND customer = ?2 AND stage = 'follow_up' AND state = 'sent'
                         ORDER BY sent_at DESC LIMIT 1",
                        params![t, phone],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()
                    ?,
            };
            let Some(reference) = reference else {
                return Ok(None);
            };
            let provider: Option<String> = tx
                .query_row(
                    "SELECT provider_id FROM reservations
                     WHERE tenant_id = ?1 AND reference = ?2 AND customer = ?3 AND status = 'confirmed' AND start_at <= ?4",
                    params![t, reference, phone, ts(now)],
                    |r| r.get(0),
                )
                .optional()
                ?;
            let Some(provider) = provider else {
                return Ok(None);
            };
            tx.execute(
                "INSERT INTO ratings (tenant_id, reference, provider_id, stars, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant_id, reference) DO UPDATE SET stars = excluded.stars, at = excluded.at",
                params![t, reference, provider, i64::from(stars), ts(now)],
            )
            ?;
            let average: f64 = tx
                .query_row(
                    "SELECT AVG(stars) FROM ratings WHERE tenant_id = ?1 AND provider_id = ?2",
                    params![t, provider],
                    |r| r.get(0),
                )
                ?;
            let doc: Option<String> = tx
                .query_row(
                    "SELECT doc FROM providers WHERE tenant_id = ?1 AND id = ?2",
                    params![t, provider],
                    |r| r.get(0),
                )
                .optional()
                ?;
            if let Some(doc) = doc {
                let mut record: ProviderRecord = from_doc(&doc)?;
                record.rating_tenths = Some((average * 10.0).round().clamp(0.0, 50.0) as u8);
                tx.execute(
                    "UPDATE providers SET doc = ?3 WHERE tenant_id = ?1 AND id = ?2",
                    params![t, provider, to_doc(&record)?],
                )
                ?;
                bump_version(&tx, &t)?;
            }
            tx.commit()?;
            Ok(Some(reference))
        })
        .await
    }

    async fn reservation(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Reservation>> {
        let (t, id) = (tenant.0.clone(), id.to_owned());
        self.with(move |c| load_reservation(c, &t, &id).map_err(backend))
            .await
    }

    async fn upcoming(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        let (t, customer) = (tenant.0.clone(), customer.as_e164().to_owned());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {RESERVATION_COLUMNS} FROM reservations
                     WHERE tenant_id = ?1 AND customer = ?2 AND status = 'confirmed' AND start_at > ?3
                     ORDER BY start_at"
                ))
                ?;
            let rows = stmt.query_map(params![t, customer, ts(now)], reservation_row)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        let t = tenant.0.clone();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {RESERVATION_COLUMNS} FROM reservations
                     WHERE tenant_id = ?1 AND start_at >= ?2 AND start_at < ?3 AND status IN ('confirmed', 'cancelled')
                     ORDER BY start_at"
                ))
                ?;
            let rows = stmt.query_map(params![t, ts(from), ts(to)], reservation_row)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn history(&self, tenant: &TenantId, id: &str) -> StoreResult<Vec<StatusChange>> {
        let (t, id) = (tenant.0.clone(), id.to_owned());
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT h.at, h.status, h.moved_from, h.moved_to FROM status_history h
                     JOIN reservations r ON r.id = h.reservation_id
                     WHERE r.tenant_id = ?1 AND h.reservation_id = ?2 ORDER BY h.at, h.rowid",
            )?;
            let rows = stmt.query_map(params![t, id], |r| {
                let status: String = r.get(1)?;
                Ok(StatusChange {
                    at: from_ts(r.get(0)?),
                    status: stored(1, &status, Status::parse)?,
                    from: r.get::<_, Option<i64>>(2)?.map(from_ts),
                    to: r.get::<_, Option<i64>>(3)?.map(from_ts),
                })
            })?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn expire_holds(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT id FROM reservations WHERE status = 'held' AND expires_at <= ?1",
                )?;
                stmt.query_map(params![ts(now)], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            for id in &ids {
                tx.execute(
                    "UPDATE reservations SET status = 'released' WHERE id = ?1",
                    params![id],
                )?;
                record_status(&tx, id, Status::Released, now)?;
            }
            tx.commit()?;
            Ok(ids.len())
        })
        .await
    }

    async fn record_delivery(
        &self,
        tenant: &TenantId,
        delivery: &Delivery,
    ) -> StoreResult<Delivery> {
        let (t, d) = (tenant.0.clone(), delivery.clone());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<(String, Option<u32>, i64)> = tx
                .query_row(
                    "SELECT status, error_code, updated_at FROM deliveries WHERE tenant_id = ?1 AND message_sid = ?2",
                    params![t, d.message_sid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                ?;
            let kept = match current {
                Some((status, error_code, updated_at)) => {
                    let status = stored(0, &status, DeliveryStatus::parse)?;
                    if status.advances_to(d.status) {
                        None
                    } else {
                        Some(Delivery { status, error_code, updated_at: from_ts(updated_at), ..d.clone() })
                    }
                }
                None => None,
            };
            if let Some(kept) = kept {
                return Ok(kept);
            }
            tx.execute(
                "INSERT INTO deliveries (tenant_id, message_sid, customer, status, error_code, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant_id, message_sid) DO UPDATE SET
                    status = excluded.status, error_code = excluded.error_code, updated_at = excluded.updated_at",
                params![t, d.message_sid, d.customer.as_e164(), d.status.as_str(), d.error_code, ts(d.updated_at)],
            )
            ?;
            tx.commit()?;
            Ok(d)
        })
        .await
    }

    async fn deliveries(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>> {
        let t = tenant.0.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT message_sid, customer, status, error_code, updated_at FROM deliveries
                     WHERE tenant_id = ?1 ORDER BY updated_at DESC, rowid DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![t, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (message_sid, customer, status, error_code, updated_at) = row?;
                let (Ok(customer), Some(status)) = (
                    PhoneNumber::parse(&customer),
                    DeliveryStatus::parse(&status),
                ) else {
                    continue;
                };
                out.push(Delivery {
                    message_sid,
                    customer,
                    status,
                    error_code,
                    updated_at: from_ts(updated_at),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_external(&self, tenant: &TenantId, reference: &str, uid: &str) -> StoreResult<()> {
        let (t, reference, uid) = (tenant.0.clone(), reference.to_owned(), uid.to_owned());
        self.with(move |c| {
            c.execute(
                "UPDATE reservations SET external_uid = ?3 WHERE tenant_id = ?1 AND reference = ?2",
                params![t, reference, uid],
            )?;
            Ok(())
        })
        .await
    }

    async fn external_of(&self, tenant: &TenantId, reference: &str) -> StoreResult<Option<String>> {
        let (t, reference) = (tenant.0.clone(), reference.to_owned());
        self.with(move |c| {
            c.query_row(
                "SELECT external_uid FROM reservations WHERE tenant_id = ?1 AND reference = ?2",
                params![t, reference],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(backend)
        })
        .await
    }

    async fn by_external(&self, uid: &str) -> StoreResult<Option<Reservation>> {
        let uid = uid.to_owned();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE external_uid = ?1"),
                params![uid],
                reservation_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn business_change(
        &self,
        tenant: &TenantId,
        reference: &str,
        change: &BusinessChange,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        let (t, reference, change) = (tenant.0.clone(), reference.to_owned(), change.clone());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                ?;
            let Some(r) =
                booking_in(&tx, &t, &reference, &[Status::Confirmed])?
            else {
                return Ok(ChangeOutcome::NotFound);
            };
            match &change {
                BusinessChange::Moved { start, end, uid } => {
                    let (before, after) = (r.start - r.block_start, r.block_end - r.end);
                    tx.execute(
                        "UPDATE reservations SET start_at = ?3, end_at = ?4, block_start = ?5, block_end = ?6,
                                external_uid = ?7
                         WHERE tenant_id = ?1 AND id = ?2",
                        params![t, r.id, ts(*start), ts(*end), ts(*start - before), ts(*end + after), uid],
                    )
                    ?;
                    record_status(&tx, &r.id, Status::Confirmed, now)?;
                }
                BusinessChange::Cancelled => {
                    set_status(&tx, &t, &r.id, Status::Cancelled, now)?;
                }
            }
            finish_change(tx, &t, &r.id, &plan, now)
        })
        .await
    }

    async fn customers(&self, tenant: &TenantId) -> StoreResult<Vec<Customer>> {
        let t = tenant.0.clone();
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT phone, name, language, opted_out, bookings FROM customers
                     WHERE tenant_id = ?1 ORDER BY last_seen DESC",
            )?;
            let rows = stmt.query_map(params![t], |r| {
                let phone: String = r.get(0)?;
                let language: Option<String> = r.get(2)?;
                Ok((
                    phone,
                    r.get(1)?,
                    language,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (phone, name, language, opted_out, bookings) = row?;
                let Ok(phone) = PhoneNumber::parse(&phone) else {
                    continue;
                };
                out.push(Customer {
                    phone,
                    name,
                    language: language
                        .as_deref()
                        .map(|code| stored(3, code, Lang::from_code))
                        .transpose()?,
                    opted_out: opted_out != 0,
                    bookings: u32::try_from(bookings).unwrap_or(0),
                });
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_database_file_is_created_in_wal_mode_and_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/slotline.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(matches!(store.health().await, StoreHealth::Ok { .. }));
        let (mode, version) = store
            .with(|c| {
                let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                Ok((mode, v))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(version, MIGRATIONS.len() as i64);
        drop(store);
        // Opening again applies nothing twice.
        SqliteStore::open(&path).unwrap();
    }

    #[tokio::test]
    async fn a_corrupt_stored_status_is_an_error_not_a_free_slot() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite")).unwrap();
        store
            .with(|c| {
                c.execute(
                    "INSERT INTO reservations (id, tenant_id, provider_id, service_id, customer,
                     start_at, end_at, block_start, block_end, status, created_at)
                     VALUES ('r1', 't', 'p', 's', '+34600111222', 0, 1800, 0, 1800, 'bogus', 0)",
                    [],
                )
                .map_err(backend)
            })
            .await
            .unwrap();
        let read = store.reservation(&TenantId::from("t"), "r1").await;
        let err = read.expect_err("an unknown status must not read as any status");
        assert!(err.to_string().contains("bogus"), "{err}");
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
