//! The store's SQLite engine over Spin's `sqlite` interface.
//!
//! The interface's plain `execute` answers when the statement has run, with every row; the
//! store's calls are short, so a call that waits is what the store wants (it holds a
//! transaction across several statements, on this one connection).

use slotline_bridge::adapters::sqlite::sql::{Engine, Error, Outcome, Result, Value};
use spin_sdk::sqlite::wit::sqlite as wit;

/// One connection to a Spin SQLite database.
pub struct SpinSqlite {
    conn: wit::Connection,
}

fn error(e: wit::Error) -> Error {
    let message = match e {
        wit::Error::NoSuchDatabase => {
            "no such database: list it under `sqlite_databases` in spin.toml".to_owned()
        }
        wit::Error::AccessDenied => "access to the database was denied".to_owned(),
        wit::Error::InvalidConnection => "the connection is no longer valid".to_owned(),
        wit::Error::DatabaseFull => "the database is full".to_owned(),
        wit::Error::Io(why) => why,
    };
    Error::Sqlite {
        code: None,
        message,
    }
}

impl SpinSqlite {
    /// Opens the database `name` (`default` is the component's own).
    pub fn open(name: &str) -> Result<Self> {
        wit::Connection::open(name)
            .map(|conn| Self { conn })
            .map_err(error)
    }
}

fn to_wit(value: &Value) -> wit::Value {
    match value {
        Value::Null => wit::Value::Null,
        Value::Integer(i) => wit::Value::Integer(*i),
        Value::Real(r) => wit::Value::Real(*r),
        Value::Text(t) => wit::Value::Text(t.clone()),
        Value::Blob(b) => wit::Value::Blob(b.clone()),
    }
}

fn from_wit(value: wit::Value) -> Value {
    match value {
        wit::Value::Null => Value::Null,
        wit::Value::Integer(i) => Value::Integer(i),
        wit::Value::Real(r) => Value::Real(r),
        wit::Value::Text(t) => Value::Text(t),
        wit::Value::Blob(b) => Value::Blob(b),
    }
}

impl Engine for SpinSqlite {
    fn run(&self, sql: &str, params: &[Value]) -> Result<Outcome> {
        let result = self
            .conn
            .execute(sql, &params.iter().map(to_wit).collect::<Vec<_>>())
            .map_err(error)?;
        let changes = if result.columns.is_empty() {
            usize::try_from(self.conn.changes()).unwrap_or(usize::MAX)
        } else {
            0
        };
        Ok(Outcome {
            rows: result
                .rows
                .into_iter()
                .map(|row| row.values.into_iter().map(from_wit).collect())
                .collect(),
            changes,
        })
    }
}
