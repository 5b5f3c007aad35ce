//! The native binary's [`Engine`]: rusqlite over the bundled SQLite, its statements
//! prepared once and cached on the connection.

use rusqlite::types::ValueRef;

use super::sql::{Engine, Error, Outcome, Result, Value};

/// A rusqlite connection as the store's engine.
pub struct Rusqlite(pub rusqlite::Connection);

/// rusqlite's error as the store's.
pub(super) fn error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => Error::Sqlite {
            code: Some(f.extended_code),
            message: message.unwrap_or_else(|| f.to_string()),
        },
        other => Error::Sqlite {
            code: None,
            message: other.to_string(),
        },
    }
}

/// A store value as rusqlite's.
pub(crate) fn to_rusqlite(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Null => V::Null,
        Value::Integer(i) => V::Integer(*i),
        Value::Real(r) => V::Real(*r),
        Value::Text(t) => V::Text(t.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
    }
}

/// rusqlite's value as the store's.
pub(crate) fn from_ref(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl Engine for Rusqlite {
    fn run(&self, sql: &str, params: &[Value]) -> Result<Outcome> {
        let mut stmt = self.0.prepare_cached(sql).map_err(error)?;
        let params = rusqlite::params_from_iter(params.iter().map(to_rusqlite));
        let columns = stmt.column_count();
        if columns == 0 {
            let changes = stmt.execute(params).map_err(error)?;
            return Ok(Outcome {
                rows: Vec::new(),
                changes,
            });
        }
        let mut rows = Vec::new();
        let mut cursor = stmt.query(params).map_err(error)?;
        while let Some(row) = cursor.next().map_err(error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(from_ref(row.get_ref(i).map_err(error)?));
            }
            rows.push(values);
        }
        drop(cursor);
        // A statement with RETURNING has columns and changes rows too; a query changes none
        // (SQLite's count is still the last change's).
        let changes = if stmt.readonly() {
            0
        } else {
            usize::try_from(self.0.changes()).unwrap_or(usize::MAX)
        };
        Ok(Outcome { rows, changes })
    }

    fn run_batch(&self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(error)
    }
}
