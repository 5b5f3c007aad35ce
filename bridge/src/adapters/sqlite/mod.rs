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
//!
//! # Layout
//!
//! The `Store` implementation here only hands each call to the module that owns its
//! tables: [`settings`], [`reservations`], [`outbox`], [`customers`]; [`rows`] holds what
//! several of them share, [`schema`] the migrations.

#[cfg(feature = "native")]
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use slotline_shared::catalog::{Money, ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::StoreHealth;
use sql::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use thiserror::Error;

use crate::engine::{Load, fair_order};
use slotline_shared::wire::DeliveryStatus;

use crate::lifecycle::Plan;
use crate::model::{
    Customer, DateOverride, Delivery, ProviderRecord, Reservation, ServiceRecord, Stage, Status,
    StatusChange, Tenant, Weekly,
};
mod accounts;
mod customers;
#[cfg(feature = "native")]
pub(crate) mod native;
mod outbox;
mod payments;
mod reservations;
mod rows;
mod schema;
mod settings;
pub mod sql;

use rows::*;
use schema::MIGRATIONS;

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
    /// The database's folder cannot be written by this process (SQLite keeps its journal
    /// beside the file, so the folder must be writable, not only the file).
    #[error(
        "cannot open {path}: its folder {folder} is not writable by this process ({user}); \
         make it writable by that user or mount a volume that is"
    )]
    NotWritable {
        /// The database path.
        path: String,
        /// Its folder.
        folder: String,
        /// Who this process runs as, e.g. `uid 65534`.
        user: String,
    },
    /// A backup would overwrite a file that exists.
    #[error("{path} exists already; back up to a new file")]
    Exists {
        /// The file.
        path: String,
    },
    /// SQLite refused to open, configure or migrate the file.
    #[error("cannot open SQLite database {path}: {source}")]
    Sqlite {
        /// The database path.
        path: String,
        /// What SQLite said.
        source: sql::Error,
    },
}

/// Whether a file can be created in `folder` (and removed again).
#[cfg(feature = "native")]
fn writable(folder: &Path) -> std::io::Result<()> {
    let probe = folder.join(format!(".slotline-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)?;
    std::fs::remove_file(probe)
}

/// `uid N` of this process, read where Linux shows it; "this user" elsewhere.
#[cfg(feature = "native")]
fn current_user() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| {
                    ids.split_whitespace()
                        .next()
                        .map(|uid| format!("uid {uid}"))
                })
        })
        .unwrap_or_else(|| "this user".into())
}

/// The SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    /// The connection, which the component's calls use in turn.
    #[cfg(not(feature = "native"))]
    conn: Arc<Mutex<Connection>>,
    /// The thread the native build's calls run on, in group commits; it owns the
    /// connection.
    #[cfg(feature = "native")]
    writer: Arc<native::Writer>,
}

/// A stored name read back into its enum. An unknown name is an error, never a default: a
/// corrupt status must not read as, say, a released hold (a free slot).
fn stored<T>(column: usize, text: &str, parse: impl Fn(&str) -> Option<T>) -> sql::Result<T> {
    parse(text)
        .ok_or_else(|| sql::Error::conversion(column, format!("unknown stored value {text:?}")))
}

impl From<sql::Error> for StoreError {
    fn from(e: sql::Error) -> Self {
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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, switches it to WAL and applies
    /// pending migrations.
    #[cfg(feature = "native")]
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let shown = path.display().to_string();
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| OpenError::Folder {
                path: shown.clone(),
                source,
            })?;
            writable(folder).map_err(|_| OpenError::NotWritable {
                path: shown.clone(),
                folder: folder.display().to_string(),
                user: current_user(),
            })?;
        }
        let sqlite = |e| OpenError::Sqlite {
            path: shown.clone(),
            source: native::error(e),
        };
        let conn = rusqlite::Connection::open(path).map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        Self::on(Box::new(native::Rusqlite(conn)), &shown)
    }

    /// The store on a SQLite reached through `engine` (Spin's `sqlite` interface, say),
    /// with its pending migrations applied; `name` says which database in errors.
    pub fn on(engine: Box<dyn sql::Engine>, name: &str) -> Result<Self, OpenError> {
        let sqlite = |source| OpenError::Sqlite {
            path: name.to_owned(),
            source,
        };
        let mut conn = Connection::new(engine);
        conn.execute("PRAGMA foreign_keys = ON", params![])
            .map_err(sqlite)?;
        let applied: usize = conn
            .query_row("PRAGMA user_version", params![], |r| r.get::<_, i64>(0))
            .map_err(sqlite)?
            .try_into()
            .unwrap_or(0);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            // Two processes starting at once on a new file: the second waits for the first's
            // migration, then sees it done.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            let now: i64 = tx
                .query_row("PRAGMA user_version", params![], |r| r.get(0))
                .map_err(sqlite)?;
            if usize::try_from(now).unwrap_or(0) > i {
                continue;
            }
            tx.execute_batch(migration).map_err(sqlite)?;
            // PRAGMA takes no parameters; the number is ours.
            tx.execute(&format!("PRAGMA user_version = {}", i + 1), params![])
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        let conn = Arc::new(Mutex::new(conn));
        Ok(Self {
            #[cfg(feature = "native")]
            writer: Arc::new(native::Writer::start(Arc::clone(&conn)).map_err(|e| {
                OpenError::Sqlite {
                    path: name.to_owned(),
                    source: sql::Error::Sqlite {
                        code: None,
                        message: format!("cannot start the store's thread: {e}"),
                    },
                }
            })?),
            #[cfg(not(feature = "native"))]
            conn,
        })
    }

    /// Writes a consistent copy of the database at `database` to `to`, while a running
    /// bridge keeps writing to it: SQLite's `VACUUM INTO` reads one snapshot (WAL lets the
    /// writer go on) and writes a compact file. `to` must not exist yet. Restoring is
    /// starting a bridge on the copy.
    #[cfg(feature = "native")]
    pub fn backup(database: &Path, to: &Path) -> Result<(), OpenError> {
        let shown = database.display().to_string();
        let sqlite = |e| OpenError::Sqlite {
            path: shown.clone(),
            source: native::error(e),
        };
        if to.exists() {
            return Err(OpenError::Exists {
                path: to.display().to_string(),
            });
        }
        let conn = rusqlite::Connection::open_with_flags(
            database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        let target = to.to_string_lossy();
        conn.execute("VACUUM INTO ?1", rusqlite::params![target.as_ref()])
            .map_err(sqlite)?;
        Ok(())
    }

    /// How many migrations the file has had (`PRAGMA user_version`).
    pub async fn schema_version(&self) -> StoreResult<i64> {
        self.with(|c| Ok(c.query_row("PRAGMA user_version", params![], |r| r.get::<_, i64>(0))?))
            .await
    }

    /// Runs `f` with the connection on the store's thread, maybe in one commit with other
    /// calls (see [`native::Writer`]); answers once its writes are committed.
    #[cfg(feature = "native")]
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: native::Job = Box::new(move |conn| {
            let result = f(conn);
            Box::new(move |committed| {
                let _ = answer.send(committed.map_err(StoreError::from).and(result));
            })
        });
        if !self.writer.send(job) {
            return Err(StoreError::backend("the store's thread has stopped"));
        }
        answered
            .await
            .map_err(|_| StoreError::backend("a store call failed and gave no answer"))?
    }

    /// Runs `f` with the connection, here and now: a component has one thread, and its
    /// engine's calls return when SQLite has answered.
    #[cfg(not(feature = "native"))]
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
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
    async fn record_audit(
        &self,
        tenant: &TenantId,
        entry: &crate::model::AuditEntry,
    ) -> StoreResult<()> {
        accounts::record_audit(self, tenant, entry).await
    }

    async fn audit_log(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<crate::model::AuditEntry>> {
        accounts::audit_log(self, tenant, limit).await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()> {
        accounts::set_password(self, user_id, password_hash).await
    }

    async fn put_ticket(&self, ticket: &crate::model::Ticket) -> StoreResult<()> {
        accounts::put_ticket(self, ticket).await
    }

    async fn ticket(
        &self,
        key: &str,
        kind: crate::model::TicketKind,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<crate::model::Ticket>> {
        accounts::ticket(self, key, kind, now).await
    }

    async fn use_ticket(
        &self,
        key: &str,
        kind: crate::model::TicketKind,
        secret_hash: &str,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::model::TicketUse> {
        accounts::use_ticket(self, key, kind, secret_hash, max_attempts, now).await
    }

    async fn tickets(
        &self,
        tenant: &TenantId,
        kind: crate::model::TicketKind,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<crate::model::Ticket>> {
        accounts::tickets(self, tenant, kind, now).await
    }

    async fn drop_ticket(&self, tenant: &TenantId, key: &str) -> StoreResult<bool> {
        accounts::drop_ticket(self, tenant, key).await
    }

    async fn sign_up(
        &self,
        tenant: &Tenant,
        key_hash: &str,
        owner: &crate::model::User,
        password_hash: &str,
    ) -> StoreResult<()> {
        accounts::sign_up(self, tenant, key_hash, owner, password_hash).await
    }

    async fn create_user(&self, user: &crate::model::User, password_hash: &str) -> StoreResult<()> {
        accounts::create_user(self, user, password_hash).await
    }

    async fn user_by_email(
        &self,
        email: &str,
    ) -> StoreResult<Option<(crate::model::User, crate::model::Credentials)>> {
        accounts::user_by_email(self, email).await
    }

    async fn users(&self, tenant: &TenantId) -> StoreResult<Vec<crate::model::User>> {
        accounts::users(self, tenant).await
    }

    async fn login_failed(
        &self,
        user_id: &str,
        max: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<crate::model::Credentials> {
        accounts::login_failed(self, user_id, max, lock_until).await
    }

    async fn login_succeeded(&self, user_id: &str) -> StoreResult<()> {
        accounts::login_succeeded(self, user_id).await
    }

    async fn open_session(
        &self,
        token_hash: &str,
        session: &crate::model::Session,
    ) -> StoreResult<()> {
        accounts::open_session(self, token_hash, session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(crate::model::Session, crate::model::User)>> {
        accounts::session(self, token_hash, now).await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        accounts::touch_session(self, token_hash, now, expires_at).await
    }

    async fn sessions_of(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<crate::model::Session>> {
        accounts::sessions_of(self, user_id, now).await
    }

    async fn end_session(&self, user_id: &str, session_id: &str) -> StoreResult<bool> {
        accounts::end_session(self, user_id, session_id).await
    }

    async fn rotate_key(&self, tenant: &TenantId, key_hash: &str) -> StoreResult<()> {
        accounts::rotate_key(self, tenant, key_hash).await
    }

    async fn health(&self) -> StoreHealth {
        settings::health(self).await
    }

    async fn create_tenant(&self, tenant: &Tenant, key_hash: &str) -> StoreResult<()> {
        settings::create_tenant(self, tenant, key_hash).await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        settings::update_tenant(self, tenant).await
    }

    async fn tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        settings::tenant(self, id).await
    }

    async fn tenant_for_key(&self, key_hash: &str) -> StoreResult<Option<TenantId>> {
        settings::tenant_for_key(self, key_hash).await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        settings::tenants(self).await
    }

    async fn config_version(&self, tenant: &TenantId) -> StoreResult<u64> {
        settings::config_version(self, tenant).await
    }

    async fn put_service(&self, tenant: &TenantId, service: &ServiceRecord) -> StoreResult<()> {
        settings::put_service(self, tenant, service).await
    }

    async fn delete_service(&self, tenant: &TenantId, id: &ServiceId) -> StoreResult<bool> {
        settings::delete_service(self, tenant, id).await
    }

    async fn services(&self, tenant: &TenantId) -> StoreResult<Vec<ServiceRecord>> {
        settings::services(self, tenant).await
    }

    async fn put_provider(&self, tenant: &TenantId, provider: &ProviderRecord) -> StoreResult<()> {
        settings::put_provider(self, tenant, provider).await
    }

    async fn delete_provider(&self, tenant: &TenantId, id: &ProviderId) -> StoreResult<bool> {
        settings::delete_provider(self, tenant, id).await
    }

    async fn providers(&self, tenant: &TenantId) -> StoreResult<Vec<ProviderRecord>> {
        settings::providers(self, tenant).await
    }

    async fn set_weekly(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        weekly: &Weekly,
    ) -> StoreResult<()> {
        settings::set_weekly(self, tenant, provider, weekly).await
    }

    async fn weekly(&self, tenant: &TenantId, provider: &ProviderId) -> StoreResult<Weekly> {
        settings::weekly(self, tenant, provider).await
    }

    async fn put_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        o: &DateOverride,
    ) -> StoreResult<()> {
        settings::put_override(self, tenant, provider, o).await
    }

    async fn delete_override(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
        date: NaiveDate,
    ) -> StoreResult<bool> {
        settings::delete_override(self, tenant, provider, date).await
    }

    async fn overrides(
        &self,
        tenant: &TenantId,
        provider: &ProviderId,
    ) -> StoreResult<Vec<DateOverride>> {
        settings::overrides(self, tenant, provider).await
    }

    async fn active_reservations(
        &self,
        tenant: &TenantId,
        providers: &[ProviderId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        reservations::active_reservations(self, tenant, providers, from, to, now).await
    }

    async fn hold(
        &self,
        hold: &NewHold,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldOutcome, Option<String>)> {
        reservations::hold(self, hold, now).await
    }

    async fn release(&self, tenant: &TenantId, hold: &str, now: DateTime<Utc>) -> StoreResult<()> {
        reservations::release(self, tenant, hold, now).await
    }

    async fn confirm(
        &self,
        tenant: &TenantId,
        hold: &str,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        reservations::confirm(self, tenant, hold, reference, now, plan).await
    }

    async fn reschedule(
        &self,
        tenant: &TenantId,
        reference: &str,
        hold: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        reservations::reschedule(self, tenant, reference, hold, now, plan).await
    }

    async fn cancel(
        &self,
        tenant: &TenantId,
        reference: &str,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<ChangeOutcome> {
        reservations::cancel(self, tenant, reference, customer, now).await
    }

    async fn mark_no_show(
        &self,
        tenant: &TenantId,
        reference: &str,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        reservations::mark_no_show(self, tenant, reference, now, plan).await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        outbox::claim_due(self, now, lease, limit).await
    }

    async fn settle(
        &self,
        results: &[(String, SendOutcome)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        outbox::settle(self, results, now).await
    }

    async fn outbox(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<OutboxMessage>> {
        outbox::outbox(self, tenant, limit).await
    }

    async fn resend_as_template(
        &self,
        tenant: &TenantId,
        message_sid: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        outbox::resend_as_template(self, tenant, message_sid, now).await
    }

    async fn reminded(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        outbox::reminded(self, tenant, customer).await
    }

    async fn booking(
        &self,
        tenant: &TenantId,
        reference: &str,
    ) -> StoreResult<Option<Reservation>> {
        reservations::booking(self, tenant, reference).await
    }

    async fn seen(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        at: DateTime<Utc>,
        language: Option<Lang>,
    ) -> StoreResult<()> {
        customers::seen(self, tenant, customer, at, language).await
    }

    async fn set_opted_out(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        customers::set_opted_out(self, tenant, customer, opted_out, now).await
    }

    async fn reach(&self, tenant: &TenantId, customer: &PhoneNumber) -> StoreResult<Reach> {
        customers::reach(self, tenant, customer).await
    }

    async fn rate(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        reference: Option<&str>,
        stars: u8,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        customers::rate(self, tenant, customer, reference, stars, now).await
    }

    async fn reservation(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Reservation>> {
        reservations::reservation(self, tenant, id).await
    }

    async fn upcoming(
        &self,
        tenant: &TenantId,
        customer: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        reservations::upcoming(self, tenant, customer, now).await
    }

    async fn bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Reservation>> {
        reservations::bookings(self, tenant, from, to).await
    }

    async fn history(&self, tenant: &TenantId, id: &str) -> StoreResult<Vec<StatusChange>> {
        reservations::history(self, tenant, id).await
    }

    async fn expire_holds(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        reservations::expire_holds(self, now).await
    }

    async fn record_delivery(
        &self,
        tenant: &TenantId,
        delivery: &Delivery,
    ) -> StoreResult<Delivery> {
        outbox::record_delivery(self, tenant, delivery).await
    }

    async fn deliveries(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>> {
        outbox::deliveries(self, tenant, limit).await
    }

    async fn set_external(&self, tenant: &TenantId, reference: &str, uid: &str) -> StoreResult<()> {
        reservations::set_external(self, tenant, reference, uid).await
    }

    async fn external_of(&self, tenant: &TenantId, reference: &str) -> StoreResult<Option<String>> {
        reservations::external_of(self, tenant, reference).await
    }

    async fn by_external(&self, uid: &str) -> StoreResult<Option<Reservation>> {
        reservations::by_external(self, uid).await
    }

    async fn business_change(
        &self,
        tenant: &TenantId,
        reference: &str,
        change: &BusinessChange,
        now: DateTime<Utc>,
        plan: Planner,
    ) -> StoreResult<ChangeOutcome> {
        reservations::business_change(self, tenant, reference, change, now, plan).await
    }

    async fn customers(&self, tenant: &TenantId) -> StoreResult<Vec<Customer>> {
        customers::customers(self, tenant).await
    }

    async fn outbox_depth(&self) -> StoreResult<Vec<(OutboxState, u64)>> {
        outbox::outbox_depth(self).await
    }

    async fn count_use(&self, tenant: &TenantId, what: &str, limit: u32) -> StoreResult<bool> {
        customers::count_use(self, tenant, what, limit).await
    }

    async fn claim_nonce(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
        forget_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        customers::claim_nonce(self, nonce, now, forget_at).await
    }

    async fn extend_hold(
        &self,
        tenant: &TenantId,
        hold: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        payments::extend_hold(self, tenant, hold, until, now).await
    }

    async fn open_payment(
        &self,
        payment: &crate::model::Payment,
    ) -> StoreResult<crate::model::Payment> {
        payments::open_payment(self, payment).await
    }

    async fn payment(
        &self,
        tenant: &TenantId,
        hold: &str,
    ) -> StoreResult<Option<crate::model::Payment>> {
        payments::payment(self, tenant, hold).await
    }

    async fn lapsed_payments(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<crate::model::Payment>> {
        payments::lapsed_payments(self, before, limit).await
    }

    async fn payment_by_session(
        &self,
        session: &str,
    ) -> StoreResult<Option<crate::model::Payment>> {
        payments::payment_by_session(self, session).await
    }

    async fn update_payment(
        &self,
        payment: &crate::model::Payment,
        expected: crate::model::PaymentState,
        notice: Option<&crate::ports::HoldNotice>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        payments::update_payment(self, payment, expected, notice, now).await
    }

    async fn issue_document(
        &self,
        draft: &crate::model::Document,
        notice: Option<&crate::ports::HoldNotice>,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::model::Document> {
        payments::issue_document(self, draft, notice, now).await
    }

    async fn document(
        &self,
        tenant: &TenantId,
        kind: crate::model::DocumentKind,
        number: u32,
    ) -> StoreResult<Option<crate::model::Document>> {
        payments::document(self, tenant, kind, number).await
    }

    async fn documents_of(
        &self,
        tenant: &TenantId,
        hold: &str,
    ) -> StoreResult<Vec<crate::model::Document>> {
        payments::documents_of(self, tenant, hold).await
    }

    async fn documents_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<crate::model::Document>> {
        payments::documents_between(self, tenant, from, to, limit).await
    }

    async fn mark_changing(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<String> {
        customers::mark_changing(self, key, now, until).await
    }

    async fn unmark_changing(&self, key: &str, token: &str) -> StoreResult<()> {
        customers::unmark_changing(self, key, token).await
    }

    async fn is_changing(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        customers::is_changing(self, key, now).await
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
                let mode: String = c.query_row("PRAGMA journal_mode", params![], |r| r.get(0))?;
                let v: i64 = c.query_row("PRAGMA user_version", params![], |r| r.get(0))?;
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
                    params![],
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
