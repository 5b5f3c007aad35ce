//! Spin's own interfaces, as the component imports them: `spin:sqlite` over rusqlite and
//! `spin:variables` from the manifest; and the outbound-host rule of `wasi:http`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{Accessor, HasSelf, Linker, Resource};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use crate::sqlite_wit::spin::sqlite::sqlite as wit;
use crate::variables_wit::spin::variables::variables as vars;
use crate::{Host, Shared};

/// The SQLite databases the manifest lets the component open, a file each.
pub struct Databases {
    files: HashMap<String, PathBuf>,
}

impl Databases {
    /// `names` as files under `dir` (`default.db`, …).
    pub fn new(dir: &Path, names: &[String]) -> Self {
        Self {
            files: names
                .iter()
                .map(|n| (n.clone(), dir.join(format!("{n}.db"))))
                .collect(),
        }
    }
}

/// An open database connection, owned by the instance that opened it.
pub struct Connection(rusqlite::Connection);

fn io(e: rusqlite::Error) -> wit::Error {
    wit::Error::Io(e.to_string())
}

fn open(shared: &Shared, database: &str) -> Result<Connection, wit::Error> {
    let path = shared
        .databases
        .files
        .get(database)
        .ok_or(wit::Error::AccessDenied)?;
    let conn = rusqlite::Connection::open(path).map_err(io)?;
    // As Spin's own SQLite: WAL, and a writer waits for another rather than failing.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(io)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(io)?;
    Ok(Connection(conn))
}

fn to_sql(value: wit::Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        wit::Value::Integer(i) => V::Integer(i),
        wit::Value::Real(r) => V::Real(r),
        wit::Value::Text(t) => V::Text(t),
        wit::Value::Blob(b) => V::Blob(b),
        wit::Value::Null => V::Null,
    }
}

fn from_sql(value: rusqlite::types::ValueRef<'_>) -> wit::Value {
    use rusqlite::types::ValueRef as V;
    match value {
        V::Integer(i) => wit::Value::Integer(i),
        V::Real(r) => wit::Value::Real(r),
        V::Text(t) => wit::Value::Text(String::from_utf8_lossy(t).into_owned()),
        V::Blob(b) => wit::Value::Blob(b.to_vec()),
        V::Null => wit::Value::Null,
    }
}

fn execute(
    conn: &rusqlite::Connection,
    statement: &str,
    parameters: Vec<wit::Value>,
) -> Result<wit::QueryResult, wit::Error> {
    let mut stmt = conn.prepare_cached(statement).map_err(io)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let params = rusqlite::params_from_iter(parameters.into_iter().map(to_sql));
    let mut rows = stmt.query(params).map_err(io)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(io)? {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            values.push(from_sql(row.get_ref(i).map_err(io)?));
        }
        out.push(wit::RowResult { values });
    }
    Ok(wit::QueryResult { columns, rows: out })
}

impl wit::Host for Host {}

impl wit::HostConnection for Host {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<Connection>, wit::Error>> {
        Ok(match open(&self.shared, &database) {
            Ok(conn) => Ok(self.table.push(conn)?),
            Err(e) => Err(e),
        })
    }

    fn execute(
        &mut self,
        conn: Resource<Connection>,
        statement: String,
        parameters: Vec<wit::Value>,
    ) -> wasmtime::Result<Result<wit::QueryResult, wit::Error>> {
        let conn = self.table.get(&conn)?;
        Ok(execute(&conn.0, &statement, parameters))
    }

    fn last_insert_rowid(&mut self, conn: Resource<Connection>) -> wasmtime::Result<i64> {
        Ok(self.table.get(&conn)?.0.last_insert_rowid())
    }

    fn changes(&mut self, conn: Resource<Connection>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&conn)?.0.changes())
    }

    fn drop(&mut self, conn: Resource<Connection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

impl<T> wit::HostConnectionWithStore<T> for HasSelf<Host> {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        database: String,
    ) -> wasmtime::Result<Result<Resource<Connection>, wit::Error>> {
        accessor.with(|mut access| {
            let host = access.get();
            Ok(match open(&host.shared, &database) {
                Ok(conn) => Ok(host.table.push(conn)?),
                Err(e) => Err(e),
            })
        })
    }

    async fn execute_async(
        _accessor: &Accessor<T, Self>,
        _conn: Resource<Connection>,
        _statement: String,
        _parameters: Vec<wit::Value>,
    ) -> wasmtime::Result<
        Result<
            (
                Vec<String>,
                wasmtime::component::StreamReader<wit::RowResult>,
                wasmtime::component::FutureReader<Result<(), wit::Error>>,
            ),
            wit::Error,
        >,
    > {
        // The bridge runs each statement with the plain `execute`; the streaming form is not
        // offered by this test host.
        wasmtime::bail!("execute-async is not provided by this test host")
    }

    async fn last_insert_rowid_async(
        accessor: &Accessor<T, Self>,
        conn: Resource<Connection>,
    ) -> wasmtime::Result<i64> {
        accessor.with(|mut access| Ok(access.get().table.get(&conn)?.0.last_insert_rowid()))
    }

    async fn changes_async(
        accessor: &Accessor<T, Self>,
        conn: Resource<Connection>,
    ) -> wasmtime::Result<u64> {
        accessor.with(|mut access| Ok(access.get().table.get(&conn)?.0.changes()))
    }
}

impl vars::Host for Host {}

impl<T> vars::HostWithStore<T> for HasSelf<Host> {
    async fn get(accessor: &Accessor<T, Self>, name: String) -> Result<String, vars::Error> {
        accessor.with(|mut access| {
            let host = access.get();
            host.shared
                .variables
                .get(&name)
                .cloned()
                .ok_or(vars::Error::Undefined(format!("no variable {name:?}")))
        })
    }
}

/// Adds Spin's SQLite and variables interfaces.
pub fn add_to_linker(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    wit::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    vars::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    Ok(())
}

/// Outbound HTTP, only to the manifest's `allowed_outbound_hosts`.
#[derive(Clone)]
pub struct Outbound {
    allowed: Arc<Vec<String>>,
}

impl Outbound {
    /// Calls to these origins (`scheme://host:port`) only.
    pub fn new(allowed: Vec<String>) -> Self {
        Self {
            allowed: Arc::new(allowed),
        }
    }
}

type Sent = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        drop(fut);
        let origin = crate::manifest::origin(&request.uri().to_string());
        let allowed = origin.is_some_and(|o| self.allowed.contains(&o));
        Box::new(async move {
            use http_body_util::BodyExt;
            if !allowed {
                eprintln!(
                    "slotline-spin-host: refused a call to {} (not in allowed_outbound_hosts)",
                    request.uri()
                );
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}
