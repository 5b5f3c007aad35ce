//! The slice of SQLite the store speaks, over whichever SQLite carries it: rusqlite in the
//! native binary ([`super::native`]), Spin's `sqlite` interface in the Spin component.
//!
//! The names follow rusqlite's (`execute`, `query_row`, `prepare_cached`, `optional`,
//! `params!`) so the store's statements read the same in both builds. An [`Engine`] only
//! has to run one statement with its parameters and hand back every row: a store call
//! touches few rows, so reading them whole costs nothing that matters and lets an engine be a
//! single call across a component boundary.

use std::fmt;

/// One SQLite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL`.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// What running one statement gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every row it returned, each a value per column.
    pub rows: Vec<Vec<Value>>,
    /// Rows it inserted, changed or deleted (0 for a query).
    pub changes: usize,
}

/// A SQLite that runs statements: one connection, used by one caller at a time.
pub trait Engine: Send {
    /// Runs one statement with its parameters (`?1`, `?2`, … in order).
    fn run(&self, sql: &str, params: &[Value]) -> Result<Outcome>;

    /// Runs several statements without parameters (a migration), one after another.
    fn run_batch(&self, sql: &str) -> Result<()> {
        for statement in statements(sql) {
            self.run(statement, &[])?;
        }
        Ok(())
    }
}

/// Why a statement failed, or its row did not read.
#[derive(Debug)]
pub enum Error {
    /// `query_row` found no row.
    QueryReturnedNoRows,
    /// A column did not hold what the store wrote there.
    Conversion {
        /// The column's index.
        column: usize,
        /// What was wrong.
        detail: String,
    },
    /// SQLite refused the statement.
    Sqlite {
        /// SQLite's extended result code, where the engine tells it.
        code: Option<i32>,
        /// SQLite's words.
        message: String,
    },
}

impl Error {
    /// A column that did not read as its type.
    pub fn conversion(column: usize, detail: impl fmt::Display) -> Self {
        Self::Conversion {
            column,
            detail: detail.to_string(),
        }
    }

    /// Whether a UNIQUE or PRIMARY KEY constraint refused the statement (someone else has
    /// the name, the key was used already).
    pub fn is_unique_violation(&self) -> bool {
        /// `SQLITE_CONSTRAINT_PRIMARYKEY` and `SQLITE_CONSTRAINT_UNIQUE`.
        const CODES: [i32; 2] = [1555, 2067];
        match self {
            Self::Sqlite {
                code: Some(code), ..
            } => CODES.contains(code),
            // An engine without codes (Spin's) passes SQLite's message on.
            Self::Sqlite {
                code: None,
                message,
            } => message.contains("UNIQUE constraint failed"),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QueryReturnedNoRows => f.write_str("the query returned no rows"),
            Self::Conversion { column, detail } => {
                write!(f, "column {column} did not read: {detail}")
            }
            Self::Sqlite { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// A SQL result.
pub type Result<T> = std::result::Result<T, Error>;

/// A parameter.
pub trait ToSql {
    /// The value SQLite gets.
    fn to_sql(&self) -> Value;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Value {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_sql)
    }
}

impl ToSql for str {
    fn to_sql(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToSql for String {
    fn to_sql(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl ToSql for bool {
    fn to_sql(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToSql for f64 {
    fn to_sql(&self) -> Value {
        Value::Real(*self)
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> Value {
                // Counts and amounts the store writes fit an i64; a larger one is kept at
                // the largest rather than wrapped to a negative.
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
        impl FromSql for $t {
            fn from_sql(value: &Value) -> std::result::Result<Self, String> {
                match value {
                    Value::Integer(i) => <$t>::try_from(*i).map_err(|e| e.to_string()),
                    other => Err(format!("expected an integer, found {}", kind(other))),
                }
            }
        }
    )*};
}
integers!(i64, i32, u32, u64, usize, u16, u8);

/// A column's value read into a Rust type.
pub trait FromSql: Sized {
    /// The value, or why it is not one.
    fn from_sql(value: &Value) -> std::result::Result<Self, String>;
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

impl FromSql for String {
    fn from_sql(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Text(t) => Ok(t.clone()),
            other => Err(format!("expected text, found {}", kind(other))),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(t) => Ok(t.clone().into_bytes()),
            other => Err(format!("expected a blob, found {}", kind(other))),
        }
    }
}

impl FromSql for bool {
    fn from_sql(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Integer(i) => Ok(*i != 0),
            other => Err(format!("expected an integer, found {}", kind(other))),
        }
    }
}

impl FromSql for f64 {
    fn from_sql(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Real(r) => Ok(*r),
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {}", kind(other))),
        }
    }
}

/// Parameters for a statement: `params![a, b]`.
#[macro_export]
#[doc(hidden)]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::adapters::sqlite::sql::ToSql] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::adapters::sqlite::sql::ToSql),+] as &[&dyn $crate::adapters::sqlite::sql::ToSql] };
}
pub use crate::sql_params as params;

fn values(params: &[&dyn ToSql]) -> Vec<Value> {
    params.iter().map(|p| p.to_sql()).collect()
}

/// How a column is named in [`Row::get`]: by position.
pub trait RowIndex {
    /// The column's position.
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result.
pub struct Row<'a> {
    values: &'a [Value],
}

impl Row<'_> {
    /// Column `index` read as `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let index = index.index();
        let value = self
            .values
            .get(index)
            .ok_or_else(|| Error::conversion(index, "no such column"))?;
        T::from_sql(value).map_err(|detail| Error::Conversion {
            column: index,
            detail,
        })
    }
}

/// A connection: the store's statements go through it, one caller at a time.
pub struct Connection {
    engine: Box<dyn Engine>,
    /// Inside a group commit (see [`Connection::group`]): transactions are savepoints of
    /// the group's transaction.
    grouped: bool,
}

/// How a transaction takes its locks.
#[derive(Debug, Clone, Copy)]
pub enum TransactionBehavior {
    /// Locks when it first reads or writes.
    Deferred,
    /// Takes the write lock at once, so its reads and writes cannot interleave with
    /// another writer's.
    Immediate,
}

impl Connection {
    /// A connection over `engine`.
    pub fn new(engine: Box<dyn Engine>) -> Self {
        Self {
            engine,
            grouped: false,
        }
    }

    /// Begins a group commit: one transaction in which each transaction begun until
    /// [`Connection::end_group`] is a savepoint, so several callers' transactions are
    /// written in one commit. Each keeps its own all-or-nothing (a savepoint rolled back
    /// undoes only its own); running one after another on this connection, each sees the
    /// others' writes as if committed before it; none is durable until the group commits.
    pub fn begin_group(&mut self) -> Result<()> {
        self.engine.run("BEGIN IMMEDIATE", &[])?;
        self.grouped = true;
        Ok(())
    }

    /// Commits the group begun by [`Connection::begin_group`]; on `Err` nothing of it was
    /// kept.
    pub fn end_group(&mut self) -> Result<()> {
        self.grouped = false;
        match self.engine.run("COMMIT", &[]) {
            Ok(_) => Ok(()),
            Err(e) => {
                // A failed rollback leaves nothing to undo: SQLite ended it itself.
                let _ = self.engine.run("ROLLBACK", &[]);
                Err(e)
            }
        }
    }

    /// Runs a statement; how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> Result<usize> {
        Ok(self.engine.run(sql, &values(params))?.changes)
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.engine.run_batch(sql)
    }

    /// The first row of a query, read by `f`; [`Error::QueryReturnedNoRows`] if none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let outcome = self.engine.run(sql, &values(params))?;
        let first = outcome.rows.first().ok_or(Error::QueryReturnedNoRows)?;
        f(&Row { values: first })
    }

    /// A statement to run (the engine keeps its own cache of prepared statements).
    pub fn prepare_cached<'c>(&'c self, sql: &str) -> Result<Statement<'c>> {
        Ok(Statement {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// A statement to run.
    pub fn prepare<'c>(&'c self, sql: &str) -> Result<Statement<'c>> {
        self.prepare_cached(sql)
    }

    /// Begins a deferred transaction.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.transaction_with_behavior(TransactionBehavior::Deferred)
    }

    /// Begins a transaction that takes its locks as `behavior` says.
    pub fn transaction_with_behavior(
        &mut self,
        behavior: TransactionBehavior,
    ) -> Result<Transaction<'_>> {
        // In a group the write lock is held already; a savepoint gives the same
        // all-or-nothing.
        self.engine.run(
            match (self.grouped, behavior) {
                (true, _) => "SAVEPOINT caller",
                (false, TransactionBehavior::Deferred) => "BEGIN DEFERRED",
                (false, TransactionBehavior::Immediate) => "BEGIN IMMEDIATE",
            },
            &[],
        )?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

/// A statement and the connection it runs on.
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Statement<'_> {
    /// Runs it; how many rows it changed.
    pub fn execute(&mut self, params: &[&dyn ToSql]) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// Every row, each read by `f`.
    pub fn query_map<T>(
        &mut self,
        params: &[&dyn ToSql],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let outcome = self.conn.engine.run(&self.sql, &values(params))?;
        Ok(outcome
            .rows
            .iter()
            .map(|values| f(&Row { values }))
            .collect::<Vec<_>>()
            .into_iter())
    }

    /// The first row, read by `f`.
    pub fn query_row<T>(
        &mut self,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Whether it returns any row.
    pub fn exists(&mut self, params: &[&dyn ToSql]) -> Result<bool> {
        Ok(!self
            .conn
            .engine
            .run(&self.sql, &values(params))?
            .rows
            .is_empty())
    }
}

/// A transaction: rolled back when dropped without [`Transaction::commit`].
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
}

impl Transaction<'_> {
    /// Commits it.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let end = if self.conn.grouped {
            "RELEASE caller"
        } else {
            "COMMIT"
        };
        self.conn.engine.run(end, &[]).map(drop)
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // A failed rollback leaves nothing to undo: SQLite ended the transaction itself.
            if self.conn.grouped {
                let _ = self.conn.engine.run("ROLLBACK TO caller", &[]);
                let _ = self.conn.engine.run("RELEASE caller", &[]);
            } else {
                let _ = self.conn.engine.run("ROLLBACK", &[]);
            }
        }
    }
}

/// `query_row`'s "no row" as `None`.
pub trait OptionalExtension<T> {
    /// `Ok(None)` for no row; other errors as they are.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The statements of a batch, split at semicolons outside quotes and comments (the store's
/// migrations hold no triggers, whose bodies would hold semicolons of their own).
pub fn statements(batch: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = batch.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b';' => {
                out.push(&batch[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&batch[start.min(batch.len())..]);
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !only_comments(s))
        .collect()
}

fn only_comments(statement: &str) -> bool {
    statement
        .lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with("--"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_splits_at_semicolons_outside_quotes_and_comments() {
        let batch = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- a note; with a semicolon\n\
                     INSERT INTO a VALUES (\"b;c\");\n  ;\n-- only a comment\n";
        assert_eq!(
            statements(batch),
            vec![
                "CREATE TABLE a (x TEXT DEFAULT ';')",
                "-- a note; with a semicolon\nINSERT INTO a VALUES (\"b;c\")",
            ]
        );
    }

    #[test]
    fn a_unique_violation_is_known_by_code_or_by_message() {
        let coded = Error::Sqlite {
            code: Some(2067),
            message: String::new(),
        };
        let worded = Error::Sqlite {
            code: None,
            message: "UNIQUE constraint failed: users.email".into(),
        };
        let other = Error::Sqlite {
            code: Some(787),
            message: "FOREIGN KEY constraint failed".into(),
        };
        assert!(coded.is_unique_violation() && worded.is_unique_violation());
        assert!(!other.is_unique_violation());
    }

    #[test]
    fn a_column_of_the_wrong_type_is_an_error_not_a_default() {
        let values = [Value::Text("7".into()), Value::Null, Value::Integer(-1)];
        let row = Row { values: &values };
        assert!(row.get::<_, i64>(0usize).is_err());
        assert_eq!(row.get::<_, Option<i64>>(1usize).unwrap(), None);
        assert!(row.get::<_, u32>(2usize).is_err());
        assert!(row.get::<_, String>(3usize).is_err());
    }
}
