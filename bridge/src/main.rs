//! The bridge as a native service: reads its settings, opens the store, seeds the demo if
//! asked, sweeps lapsed holds, and serves HTTP until SIGINT or SIGTERM; then it lets the
//! dispatch pass under way finish, so every message being sent is recorded.
//!
//! `slotline-bridge healthcheck` asks a running bridge's `/healthz` (at
//! `SLOTLINE_BRIDGE_ADDR`) and exits 0 when it answers 200: the check a container image
//! without curl runs. `slotline-bridge backup FILE` writes a consistent copy of the
//! database while the bridge runs.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use slotline_bridge::adapters::http::ReqwestClient;
use slotline_bridge::adapters::{PgStore, SqliteStore};
use slotline_bridge::auth::ReplayGuard;
use slotline_bridge::config::{Config, Database};
use slotline_bridge::payments::Payments;
use slotline_bridge::ports::{Clock, HttpClient, Store, SystemClock};
use slotline_bridge::{app, demo, wiring};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("healthcheck") => return healthcheck().await,
        Some("backup") => return backup(std::env::args().nth(2)),
        Some("migrate") => return migrate(std::env::args().skip(2).collect()).await,
        Some(other) => {
            eprintln!(
                "slotline-bridge: unknown command {other:?} (known: healthcheck, backup FILE, \
                 migrate [--from sqlite:PATH --to postgres://…])"
            );
            return ExitCode::from(2);
        }
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // One JSON object a line (with the request's id and span) for log collectors; text for
    // people.
    if std::env::var("SLOTLINE_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// `slotline-bridge backup FILE`: a consistent copy of the database (`SLOTLINE_DATABASE`)
/// while the bridge runs.
fn backup(to: Option<String>) -> ExitCode {
    let Some(to) = to else {
        eprintln!("usage: slotline-bridge backup FILE (a new file for the copy)");
        return ExitCode::from(2);
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("backup: {e}");
            return ExitCode::FAILURE;
        }
    };
    let database = match &config.database {
        Database::Sqlite(path) => path.clone(),
        Database::Postgres(_) => {
            eprintln!(
                "backup: SLOTLINE_DATABASE is PostgreSQL; back it up with pg_dump (or the \
                 server's own backups), which copies it consistently while bridges run"
            );
            return ExitCode::from(2);
        }
    };
    match SqliteStore::backup(&database, std::path::Path::new(&to)) {
        Ok(()) => {
            println!("backed up {} to {to}", database.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("backup: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `slotline-bridge migrate`: brings the schema of `SLOTLINE_DATABASE` up to date and
/// exits. `slotline-bridge migrate --from sqlite:PATH --to postgres://…` copies an embedded
/// install into an empty PostgreSQL database, verified table by table.
async fn migrate(args: Vec<String>) -> ExitCode {
    const USAGE: &str = "usage: slotline-bridge migrate\n       slotline-bridge migrate --from sqlite:PATH --to postgres://USER@HOST:PORT/DB";
    match args.as_slice() {
        [] => {
            let config = match Config::from_env() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("migrate: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let version = match &config.database {
                Database::Sqlite(path) => match SqliteStore::open(path) {
                    Ok(store) => store.schema_version().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                },
                Database::Postgres(url) => match PgStore::connect(url).await {
                    Ok(store) => store.schema_version().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                },
            };
            match version {
                Ok(v) => {
                    println!("{} is at schema version {v}", config.database.describe());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("migrate: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        [from_flag, from, to_flag, to] if from_flag == "--from" && to_flag == "--to" => {
            let Some(path) = from.strip_prefix("sqlite:") else {
                eprintln!("migrate: --from takes sqlite:PATH (got {from:?})\n{USAGE}");
                return ExitCode::from(2);
            };
            if !slotline_bridge::adapters::postgres::is_postgres_url(to) {
                eprintln!("migrate: --to takes a postgres:// URL\n{USAGE}");
                return ExitCode::from(2);
            }
            let target = match PgStore::connect(to).await {
                Ok(store) => store,
                Err(e) => {
                    eprintln!("migrate: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match slotline_bridge::adapters::postgres::copy::copy_from_sqlite(
                std::path::Path::new(path),
                &target,
            )
            .await
            {
                Ok(tables) => {
                    for t in &tables {
                        println!(
                            "{:<16} {:>8} rows  sha256 {}  ok",
                            t.table, t.rows, t.checksum
                        );
                    }
                    println!("copied {path} into PostgreSQL; every table verified");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("migrate: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Asks the bridge at `SLOTLINE_BRIDGE_ADDR` for `/healthz`; 0 when it answers 200.
async fn healthcheck() -> ExitCode {
    let addr = std::env::var("SLOTLINE_BRIDGE_ADDR").unwrap_or_else(|_| "127.0.0.1:8788".into());
    // A bridge listening on every interface is asked on loopback.
    let addr = addr.replace("0.0.0.0", "127.0.0.1");
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(format!("http://{addr}/healthz")).send().await {
        Ok(r) if r.status().is_success() => {
            println!("healthy");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("unhealthy: /healthz answered {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let store: Arc<dyn Store> = match &config.database {
        Database::Sqlite(path) => Arc::new(SqliteStore::open(path).map_err(|e| e.to_string())?),
        Database::Postgres(url) => {
            Arc::new(PgStore::connect(url).await.map_err(|e| e.to_string())?)
        }
    };
    if config.seed_demo
        && demo::seed(store.as_ref())
            .await
            .map_err(|e| format!("seeding the demo failed: {e}"))?
    {
        tracing::info!("seeded the demo salon (tenant \"{}\")", demo::TENANT);
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // One connection pool for Cal.com, Twilio and Stripe.
    let http: Arc<dyn HttpClient> = Arc::new(ReqwestClient::new());
    // Bridges sharing PostgreSQL share their used nonces: a request replayed to another
    // bridge is refused too. One SQLite bridge keeps them in memory.
    let replay = match &config.database {
        Database::Postgres(_) => ReplayGuard::shared(Arc::clone(&store)),
        Database::Sqlite(_) => ReplayGuard::default(),
    };
    let state = wiring::assemble(
        &config,
        Arc::clone(&store),
        http,
        Arc::clone(&clock),
        replay,
    );
    tokio::spawn(sweep_holds(Arc::clone(&store), Arc::clone(&clock)));
    match &state.dispatcher {
        Some(d) if config.dispatch_every_secs > 0 => {
            tokio::spawn(Arc::clone(d).run(Duration::from_secs(config.dispatch_every_secs)));
        }
        Some(_) => tracing::info!("dispatcher timer off: POST /internal/cron/tick sends"),
        None => tracing::warn!(
            "no Twilio credentials (TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN): lifecycle messages wait in the outbox"
        ),
    }
    if let Some(payments) = &state.payments {
        tokio::spawn(settle_payments(Arc::clone(payments)));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the address listened on: {e}"))?;
    if let Some(path) = &config.addr_file {
        // Written whole, then renamed, so a reader never sees half an address.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bound.to_string())
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("cannot write SLOTLINE_ADDR_FILE {}: {e}", path.display()))?;
    }
    tracing::info!(
        addr = %bound,
        database = %config.database.describe(),
        scheduler = if config.calcom_api_url.is_some() { "calcom" } else { "embedded" },
        worker_api = config.worker_secret.is_some(),
        "slotline bridge listening"
    );
    let draining = state.dispatcher.clone();
    let router = app(state);
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|e| format!("server failed: {e}"));
    if let Some(d) = &draining {
        tracing::info!("stopping: letting the dispatch pass under way finish");
        if tokio::time::timeout(Duration::from_secs(30), d.drain())
            .await
            .is_err()
        {
            tracing::warn!("the dispatch pass did not finish in 30 s; its leases will lapse");
        }
    }
    served
}

/// Marks lapsed holds released every few seconds, so listings and the admin API show them
/// as free (they stop blocking at their expiry either way).
async fn sweep_holds(store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        match store.expire_holds(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!("released {n} lapsed holds"),
            Err(e) => tracing::warn!("sweeping holds failed: {e}"),
        }
    }
}

/// Asks Stripe about payments whose window ended without its word, every minute.
async fn settle_payments(payments: Arc<Payments>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match payments.settle_lapsed().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("settled {n} lapsed payments with Stripe"),
            Err(e) => tracing::warn!("settling lapsed payments failed: {e}"),
        }
    }
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
