//! The native binary's [`Engine`]: rusqlite over the bundled SQLite, its statements
//! prepared once and cached on the connection; and the [`Writer`] thread that runs the
//! store's calls on it in group commits.

use std::sync::{Arc, Mutex};

use rusqlite::types::ValueRef;

use super::sql::{Connection, Engine, Error, Outcome, Result, Value};

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

/// What a store call leaves to do once its group's commit is known: answer its caller.
pub(super) type Finish = Box<dyn FnOnce(Result<()>) + Send>;

/// A store call: runs on the connection, answers later.
pub(super) type Job = Box<dyn FnOnce(&mut Connection) -> Finish + Send>;

/// How many waiting calls one commit may carry: enough that a busy bridge commits a few
/// hundred times a second rather than thousands, few enough that none waits long.
const GROUP: usize = 64;

/// The one thread that runs the store's calls on its connection. Calls that arrive while
/// others run wait, and are then run together in one group commit
/// ([`Connection::begin_group`]): SQLite writes each changed page once per commit, so a
/// commit carrying many holds writes their shared index pages once. No call is answered
/// before its group has committed, so nothing acknowledged is lost in a crash; a call
/// alone is run as before, in its own transactions.
pub(super) struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the thread on `conn`; it ends when the last store handle is dropped.
    pub(super) fn start(conn: Arc<Mutex<Connection>>) -> std::io::Result<Self> {
        let (jobs, waiting) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    let mut group = vec![first];
                    while group.len() < GROUP {
                        match waiting.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    // A panic in a call leaves the connection usable (its transaction rolls
                    // back as it unwinds), so a poisoned lock is safe to take.
                    let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                    run_group(&mut conn, group);
                }
            })?;
        Ok(Self { jobs })
    }

    /// Queues `job`; `false` if the thread is gone.
    pub(super) fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

/// Runs `group` in one commit (or a single call on its own) and answers each call. A call
/// that panics is not answered; its caller hears that its answer was lost.
fn run_group(conn: &mut Connection, group: Vec<Job>) {
    let run = |conn: &mut Connection, job: Job| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))).ok()
    };
    if group.len() == 1 || conn.begin_group().is_err() {
        for job in group {
            if let Some(finish) = run(conn, job) {
                finish(Ok(()));
            }
        }
        return;
    }
    let finishes: Vec<Finish> = group.into_iter().filter_map(|job| run(conn, job)).collect();
    let committed = conn.end_group();
    for finish in finishes {
        finish(match &committed {
            Ok(()) => Ok(()),
            Err(e) => Err(Error::Sqlite {
                code: None,
                message: format!("the group commit failed: {e}"),
            }),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::sql::{TransactionBehavior, params};

    fn connection() -> Connection {
        let conn = Connection::new(Box::new(Rusqlite(
            rusqlite::Connection::open_in_memory().unwrap(),
        )));
        conn.execute("CREATE TABLE t (name TEXT PRIMARY KEY)", params![])
            .unwrap();
        conn
    }

    /// A call that inserts `name` in a transaction, then keeps it (`true`) or fails.
    fn insert(
        name: &'static str,
        keep: bool,
        answers: std::sync::mpsc::Sender<(&'static str, bool)>,
    ) -> Job {
        Box::new(move |c: &mut Connection| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .unwrap();
            tx.execute("INSERT INTO t (name) VALUES (?1)", params![name])
                .unwrap();
            assert!(name != "panics", "a call that panics half-way");
            if keep {
                tx.commit().unwrap();
            }
            Box::new(move |committed: Result<()>| {
                answers.send((name, committed.is_ok())).unwrap();
            })
        })
    }

    fn names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM t ORDER BY name").unwrap();
        stmt.query_map(params![], |r| r.get(0))
            .unwrap()
            .map(|n| n.unwrap())
            .collect()
    }

    #[test]
    fn each_call_of_a_group_keeps_its_own_all_or_nothing() {
        let mut conn = connection();
        let (answers, answered) = std::sync::mpsc::channel();
        run_group(
            &mut conn,
            vec![
                insert("a", true, answers.clone()),
                insert("dropped", false, answers.clone()),
                insert("panics", true, answers.clone()),
                insert("c", true, answers.clone()),
            ],
        );
        drop(answers);
        // What failed or panicked left nothing; the others were committed together.
        assert_eq!(names(&conn), ["a", "c"]);
        // Every call that returned was answered once its group committed; the one that
        // panicked was not (its caller hears its answer was lost).
        let mut got: Vec<_> = answered.iter().collect();
        got.sort_unstable();
        assert_eq!(got, [("a", true), ("c", true), ("dropped", true)]);
        // The connection is out of the group: a transaction is a real one again.
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t (name) VALUES ('d')", params![])
            .unwrap();
        drop(tx);
        assert_eq!(names(&conn), ["a", "c"]);
    }

    #[test]
    fn a_group_that_cannot_commit_answers_every_call_with_the_failure() {
        let mut conn = connection();
        // A deferred foreign key breaks only at COMMIT.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id TEXT PRIMARY KEY);
             CREATE TABLE child (p TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let (answers, answered) = std::sync::mpsc::channel();
        let orphan: Job = {
            let answers = answers.clone();
            Box::new(move |c: &mut Connection| {
                c.execute("INSERT INTO child (p) VALUES ('nobody')", params![])
                    .unwrap();
                Box::new(move |committed: Result<()>| {
                    answers.send(("orphan", committed.is_ok())).unwrap();
                })
            })
        };
        run_group(&mut conn, vec![insert("a", true, answers.clone()), orphan]);
        drop(answers);
        let mut got: Vec<_> = answered.iter().collect();
        got.sort_unstable();
        assert_eq!(got, [("a", false), ("orphan", false)]);
        assert!(
            names(&conn).is_empty(),
            "nothing of the failed group is kept"
        );
    }
}
