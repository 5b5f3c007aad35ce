//! `PgStore`: the store on PostgreSQL, for several bridges sharing one database.
//!
//! Every call takes a pooled connection (deadpool) and runs its statements there; changes
//! run in a transaction. What SQLite gets from admitting one writer at a time, PostgreSQL
//! gets from locks that bridges on other machines see too:
//!
//! - a hold takes a transaction-scoped advisory lock per candidate provider (in a fixed
//!   order, so two holds never wait on each other in a cycle) before its overlap check, and
//!   the `reservations_no_overlap` exclusion constraint refuses an overlapping live
//!   reservation whatever code path writes it;
//! - outbox claims take rows `FOR UPDATE SKIP LOCKED` and lease them, so two bridges never
//!   claim one message, and a dead bridge's claims return once the lease runs out.
//!
//! Settings records are JSON documents and times are Unix seconds, as in SQLite, so both
//! backends read the same way; the conformance suite checks that they behave the same.
//!
//! # Layout
//!
//! As in the SQLite adapter, the `Store` implementation hands each call to the module that
//! owns its tables: [`settings`], [`reservations`], [`outbox`], [`customers`]; [`rows`]
//! holds what several share, [`schema`] the migrations.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde::Serialize;
use serde::de::DeserializeOwned;
use slotline_shared::catalog::{Money, ProviderId, ServiceId, TenantId};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{DeliveryStatus, StoreHealth};
use thiserror::Error;
use tokio_postgres::{NoTls, Row};

use crate::engine::{Load, fair_order};
use crate::lifecycle::Plan;
use crate::model::{
    Customer, DateOverride, Delivery, ProviderRecord, Reservation, ServiceRecord, Stage, Status,
    StatusChange, Tenant, Weekly,
};
use crate::ports::{
    BusinessChange, ChangeOutcome, HoldOutcome, NewHold, OutboxMessage, OutboxState, Planner,
    Reach, SendOutcome, Store, StoreChange, StoreError, StoreResult,
};
use slotline_shared::i18n::Lang;

mod accounts;
pub mod copy;
mod customers;
mod gate;
mod outbox;
mod payments;
mod reservations;
mod rows;
mod schema;
mod settings;

use rows::*;

/// Connections one bridge keeps open at most.
const POOL_SIZE: usize = 16;

/// Why the PostgreSQL store could not be opened.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The URL does not read as a PostgreSQL connection string.
    #[error(
        "SLOTLINE_DATABASE is not a PostgreSQL URL ({0}); expected postgres://USER@HOST:PORT/DATABASE"
    )]
    Url(String),
    /// The server did not answer or refused the connection.
    #[error("cannot connect to PostgreSQL at {at}: {source}")]
    Connect {
        /// Host and database, without credentials.
        at: String,
        /// What the driver said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A migration failed; nothing of it was applied.
    #[error("migrating the PostgreSQL schema at {at} failed: {reason}")]
    Migrate {
        /// Host and database.
        at: String,
        /// What the server said.
        reason: String,
    },
}

/// The PostgreSQL-backed [`Store`].
pub struct PgStore {
    pool: Pool,
    /// Where it points, without credentials, for messages.
    at: String,
    /// Run when the store is dropped, after its connections close.
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
    /// Changes announced by any bridge on the database, as `LISTEN` hears them.
    changes: tokio::sync::broadcast::Sender<StoreChange>,
    /// Alive while the store is: the listener stops when it goes.
    _alive: std::sync::Arc<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("at", &self.at).finish()
    }
}

pub use crate::config::is_postgres_url;

impl PgStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`) and
    /// applies pending migrations. Several bridges may start at once: migrations run under
    /// an advisory lock, each exactly once.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| ConnectError::Url(e.to_string()))?;
        Self::connect_config(config).await
    }

    async fn connect_config(config: tokio_postgres::Config) -> Result<Self, ConnectError> {
        let at = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| ConnectError::Connect {
                at: at.clone(),
                source: Box::new(e),
            })?;
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        let alive = std::sync::Arc::new(());
        tokio::spawn(listen(
            config,
            changes.clone(),
            std::sync::Arc::downgrade(&alive),
        ));
        let store = Self {
            pool,
            at,
            on_drop: None,
            changes,
            _alive: alive,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Runs `f` once the store is dropped and its connections are closed (a test drops the
    /// database it made for the store).
    pub fn on_drop(mut self, f: impl FnOnce() + Send + Sync + 'static) -> Self {
        self.on_drop = Some(Box::new(f));
        self
    }

    /// Creates the empty database `name` on the server at `admin_url` (any database there
    /// the user may connect to) and connects a store to it; the database is dropped with
    /// the store. For tests and benchmarks that need a database of their own.
    pub async fn scratch(admin_url: &str, name: &str) -> Result<Self, ConnectError> {
        let config: tokio_postgres::Config = admin_url
            .parse()
            .map_err(|e: tokio_postgres::Error| ConnectError::Url(e.to_string()))?;
        let at = describe(&config);
        let connect_error = |e: tokio_postgres::Error| ConnectError::Connect {
            at: at.clone(),
            source: explained(&e).into(),
        };
        let (client, connection) = config.connect(NoTls).await.map_err(connect_error)?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .map_err(connect_error)?;
        // Each on its own: neither may run inside a transaction block.
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(connect_error)?;
        drop(client);
        let _ = driver.await;
        let mut own = config.clone();
        own.dbname(name);
        let store = Self::connect_config(own).await?;
        let name = name.to_owned();
        Ok(store.on_drop(move || {
            // Dropped from synchronous code, maybe on a runtime's thread: a thread of its
            // own with a small runtime does the dropping.
            let dropper = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok((client, connection)) = config.connect(NoTls).await {
                        let driver = tokio::spawn(connection);
                        let _ = client
                            .batch_execute(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        drop(client);
                        let _ = driver.await;
                    }
                });
            });
            let _ = dropper.join();
        }))
    }

    async fn migrate(&self) -> Result<(), ConnectError> {
        let at = self.at.clone();
        let mut client = self.pool.get().await.map_err(|e| ConnectError::Connect {
            at: at.clone(),
            source: match &e {
                deadpool_postgres::PoolError::Backend(pg) => explained(pg).into(),
                other => other.to_string().into(),
            },
        })?;
        let migrate = |source: tokio_postgres::Error| ConnectError::Migrate {
            at: at.clone(),
            reason: explained(&source),
        };
        let client: &mut tokio_postgres::Client = &mut client;
        let tx = client.transaction().await.map_err(migrate)?;
        // One bridge migrates; the others wait here and then find nothing left to do.
        tx.execute("SELECT pg_advisory_xact_lock(7311001)", &[])
            .await
            .map_err(migrate)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS slotline_schema (
                 version BIGINT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(migrate)?;
        let applied: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM slotline_schema", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(migrate)?;
        for (i, migration) in schema::MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
            if version <= applied {
                continue;
            }
            tx.batch_execute(migration).await.map_err(migrate)?;
            tx.execute(
                "INSERT INTO slotline_schema (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(migrate)?;
        }
        tx.commit().await.map_err(migrate)
    }

    /// How many migrations the database has had.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let client = self.client().await?;
        Ok(client
            .q_one("SELECT COALESCE(MAX(version), 0) FROM slotline_schema", &[])
            .await?
            .try_get(0)?)
    }

    /// A pooled connection.
    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }

    async fn put_doc(
        &self,
        table: &'static str,
        tenant: &TenantId,
        id: &str,
        doc: String,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.x(
            &format!(
                "INSERT INTO {table} (tenant_id, id, doc, position)
                 VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM {table} WHERE tenant_id = $1))
                 ON CONFLICT (tenant_id, id) DO UPDATE SET doc = excluded.doc"
            ),
            &[&tenant.0, &id, &doc],
        )
        .await?;
        bump_version(&tx, &tenant.0).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_doc(
        &self,
        table: &'static str,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .x(
                &format!("DELETE FROM {table} WHERE tenant_id = $1 AND id = $2"),
                &[&tenant.0, &id],
            )
            .await?;
        bump_version(&tx, &tenant.0).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn docs<T: DeserializeOwned>(
        &self,
        table: &'static str,
        tenant: &TenantId,
    ) -> StoreResult<Vec<T>> {
        let client = self.client().await?;
        let rows = client
            .q(
                &format!("SELECT doc FROM {table} WHERE tenant_id = $1 ORDER BY position"),
                &[&tenant.0],
            )
            .await?;
        rows.iter()
            .map(|r| from_doc(&r.try_get::<_, String>(0)?))
            .collect()
    }
}

/// Statements prepared once per connection and reused: a query costs one round trip, not
/// two (tokio-postgres otherwise prepares every text query afresh).
#[async_trait]
trait Cached: GenericClient {
    async fn q(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query(&statement, params).await
    }

    async fn q_opt(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_opt(&statement, params).await
    }

    async fn q_one(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_one(&statement, params).await
    }

    async fn x(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.execute(&statement, params).await
    }
}

impl<T: GenericClient> Cached for T {}

/// Host, port and database of `config`, for messages (never the password).
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default)");
    format!("{host}:{port}/{db}")
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::backend(explained(&e))
    }
}

/// The driver's error with the server's own message and SQLSTATE, which its `Display`
/// leaves out ("db error").
fn explained(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// A failure that is not the server's own (a document that does not read, no connection).
fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// A stored name read back through `parse`; an unknown one is an error, never a guess.
fn stored<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(text).ok_or_else(|| StoreError::backend(format!("unknown stored value {text:?}")))
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

/// The channel bridges announce changes on.
const CHANNEL: &str = "slotline_changes";
/// Separates the fields of an announcement.
const SEP: char = '\u{1f}';

fn encode(change: &StoreChange) -> String {
    match change {
        StoreChange::Slots {
            tenant,
            provider,
            start,
        } => format!(
            "s{SEP}{}{SEP}{}{SEP}{}",
            tenant.0,
            provider.0,
            start.timestamp()
        ),
        StoreChange::Config { tenant } => format!("c{SEP}{}", tenant.0),
        StoreChange::Calcom { event_type } => match event_type {
            Some(e) => format!("k{SEP}{e}"),
            None => "k".into(),
        },
        StoreChange::All => "a".into(),
    }
}

fn decode(payload: &str) -> Option<StoreChange> {
    let mut fields = payload.split(SEP);
    let change = match fields.next()? {
        "s" => StoreChange::Slots {
            tenant: TenantId(fields.next()?.to_owned()),
            provider: ProviderId(fields.next()?.to_owned()),
            start: DateTime::from_timestamp(fields.next()?.parse().ok()?, 0)?,
        },
        "c" => StoreChange::Config {
            tenant: TenantId(fields.next()?.to_owned()),
        },
        "k" => StoreChange::Calcom {
            event_type: fields.next().and_then(|e| e.parse().ok()),
        },
        "a" => StoreChange::All,
        _ => return None,
    };
    Some(change)
}

/// Listens on [`CHANNEL`] on a connection of its own and passes what it hears to `out`,
/// until the store is gone. When the connection drops, it connects again and says `All`:
/// what was announced meanwhile was missed.
async fn listen(
    config: tokio_postgres::Config,
    out: tokio::sync::broadcast::Sender<StoreChange>,
    alive: std::sync::Weak<()>,
) {
    let mut reconnected = false;
    while alive.upgrade().is_some() {
        let Ok((client, mut connection)) = config.connect(NoTls).await else {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        };
        let (heard, mut hear) = tokio::sync::mpsc::unbounded_channel::<String>();
        let driver = tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        if heard.send(n.payload().to_owned()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        if client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .is_ok()
        {
            if reconnected {
                let _ = out.send(StoreChange::All);
            }
            reconnected = true;
            loop {
                tokio::select! {
                    payload = hear.recv() => match payload {
                        Some(payload) => {
                            if let Some(change) = decode(&payload) {
                                let _ = out.send(change);
                            }
                        }
                        None => break,
                    },
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                        if alive.upgrade().is_none() {
                            break;
                        }
                    }
                }
            }
        }
        drop(client);
        driver.abort();
        if alive.upgrade().is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// The SQLSTATE of a server error, if `e` is one.
fn sqlstate(e: &tokio_postgres::Error) -> Option<&str> {
    e.code().map(tokio_postgres::error::SqlState::code)
}

#[async_trait]
impl Store for PgStore {
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

    async fn reserve_sends(
        &self,
        sender: &str,
        count: u32,
        gap: chrono::Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let gap = gap
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .saturating_mul(i64::from(count.max(1)));
        let now = now.timestamp_micros();
        let client = self.client().await?;
        let at: i64 = client
            .q_one(
                "INSERT INTO send_pace (sender, next_at) VALUES ($1, $2::bigint + $3::bigint)
                 ON CONFLICT (sender) DO UPDATE
                     SET next_at = GREATEST(send_pace.next_at, $2::bigint) + $3::bigint
                 RETURNING next_at - $3::bigint",
                &[&sender, &now, &gap],
            )
            .await?
            .try_get(0)?;
        Ok(DateTime::from_timestamp_micros(at))
    }

    async fn mark_changing(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<String> {
        gate::mark_changing(self, key, now, until).await
    }

    async fn unmark_changing(&self, key: &str, token: &str) -> StoreResult<()> {
        gate::unmark_changing(self, key, token).await
    }

    async fn is_changing(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        gate::is_changing(self, key, now).await
    }

    fn call_gate(
        &self,
        name: &str,
        per_minute: u32,
    ) -> Option<std::sync::Arc<dyn crate::ports::CallGate>> {
        Some(std::sync::Arc::new(gate::PgGate {
            pool: self.pool.clone(),
            name: name.to_owned(),
            per_minute: per_minute.max(1),
        }))
    }

    async fn release_sends(
        &self,
        sender: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .x(
                "UPDATE send_pace SET next_at = $2 WHERE sender = $1 AND next_at = $3",
                &[&sender, &from.timestamp_micros(), &until.timestamp_micros()],
            )
            .await?;
        Ok(())
    }

    async fn announce(&self, change: &StoreChange) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .x("SELECT pg_notify($1, $2)", &[&CHANNEL, &encode(change)])
            .await?;
        Ok(())
    }

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<StoreChange>> {
        Some(self.changes.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_read_back_as_sent() {
        let start = DateTime::from_timestamp(1_796_000_000, 0).unwrap();
        for change in [
            StoreChange::Slots {
                tenant: TenantId("vida".into()),
                provider: ProviderId("rita".into()),
                start,
            },
            StoreChange::Config {
                tenant: TenantId("vida".into()),
            },
            StoreChange::Calcom {
                event_type: Some(42),
            },
            StoreChange::Calcom { event_type: None },
            StoreChange::All,
        ] {
            assert_eq!(decode(&encode(&change)), Some(change));
        }
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("s\u{1f}only-a-tenant"), None);
    }
}
