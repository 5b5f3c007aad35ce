//! Dashboard users and their sessions.

use super::*;
use crate::model::{AuditEntry, Credentials, Session, Ticket, TicketKind, TicketUse, User};

/// A unique-constraint failure, which for these tables means "taken".
fn is_unique_violation(e: &sql::Error) -> bool {
    e.is_unique_violation()
}

fn insert_user(c: &Connection, user: &User, doc: &str, password_hash: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO users (id, tenant_id, email, doc, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user.id,
            user.tenant.as_ref().map(|t| t.0.clone()),
            user.email,
            doc,
            password_hash,
            ts(user.created_at)
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("user {}", user.email))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

pub(super) async fn sign_up(
    store: &SqliteStore,
    tenant: &Tenant,
    key_hash: &str,
    owner: &User,
    password_hash: &str,
) -> StoreResult<()> {
    let (tenant_doc, user_doc) = (to_doc(tenant)?, to_doc(owner)?);
    let (id, key_hash, owner, hash) = (
        tenant.id.0.clone(),
        key_hash.to_owned(),
        owner.clone(),
        password_hash.to_owned(),
    );
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "INSERT INTO tenants (id, doc, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![id, tenant_doc, key_hash, ts(owner.created_at)],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("tenant {id}")));
            }
            insert_user(&tx, &owner, &user_doc, &hash)?;
            tx.commit()?;
            Ok(())
        })
        .await
}

pub(super) async fn create_user(
    store: &SqliteStore,
    user: &User,
    password_hash: &str,
) -> StoreResult<()> {
    let (doc, user, hash) = (to_doc(user)?, user.clone(), password_hash.to_owned());
    store
        .with(move |c| insert_user(c, &user, &doc, &hash))
        .await
}

fn credentials(row: &Row<'_>, from: usize) -> sql::Result<Credentials> {
    Ok(Credentials {
        password_hash: row.get(from)?,
        failed_logins: row.get(from + 1)?,
        locked_until: row.get::<_, Option<i64>>(from + 2)?.map(from_ts),
    })
}

pub(super) async fn user_by_email(
    store: &SqliteStore,
    email: &str,
) -> StoreResult<Option<(User, Credentials)>> {
    let email = email.to_owned();
    store
        .with(move |c| {
            let found = c
                .query_row(
                    "SELECT doc, password_hash, failed_logins, locked_until FROM users
                     WHERE email = ?1",
                    params![email],
                    |r| Ok((r.get::<_, String>(0)?, credentials(r, 1)?)),
                )
                .optional()?;
            found
                .map(|(doc, creds)| Ok((from_doc(&doc)?, creds)))
                .transpose()
        })
        .await
}

pub(super) async fn users(store: &SqliteStore, tenant: &TenantId) -> StoreResult<Vec<User>> {
    let t = tenant.0.clone();
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM users WHERE tenant_id = ?1 ORDER BY created_at, id",
            )?;
            let docs = q
                .query_map(params![t], |r| r.get::<_, String>(0))?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}

pub(super) async fn login_failed(
    store: &SqliteStore,
    user_id: &str,
    max: u32,
    lock_until: DateTime<Utc>,
) -> StoreResult<Credentials> {
    let id = user_id.to_owned();
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1",
                params![id],
            )?;
            tx.execute(
                "UPDATE users SET failed_logins = 0, locked_until = ?2
                 WHERE id = ?1 AND failed_logins >= ?3",
                params![id, ts(lock_until), max],
            )?;
            let creds = tx
                .query_row(
                    "SELECT password_hash, failed_logins, locked_until FROM users WHERE id = ?1",
                    params![id],
                    |r| credentials(r, 0),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
            tx.commit()?;
            Ok(creds)
        })
        .await
}

pub(super) async fn login_succeeded(store: &SqliteStore, user_id: &str) -> StoreResult<()> {
    let id = user_id.to_owned();
    store
        .with(move |c| {
            c.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
                params![id],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn open_session(
    store: &SqliteStore,
    token_hash: &str,
    session: &Session,
) -> StoreResult<()> {
    let (hash, doc, s) = (token_hash.to_owned(), to_doc(session)?, session.clone());
    store
        .with(move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, id, user_id, doc, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hash, s.id, s.user_id, doc, ts(s.expires_at)],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn session(
    store: &SqliteStore,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Session, User)>> {
    let hash = token_hash.to_owned();
    store
        .with(move |c| {
            let found = c
                .prepare_cached(
                    "SELECT s.doc, s.expires_at, u.doc FROM sessions s
                     JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                )?
                .query_row(params![hash, ts(now)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()?;
            found
                .map(|(session, expires, user)| {
                    let mut session: Session = from_doc(&session)?;
                    session.expires_at = from_ts(expires);
                    Ok((session, from_doc(&user)?))
                })
                .transpose()
        })
        .await
}

pub(super) async fn touch_session(
    store: &SqliteStore,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let hash = token_hash.to_owned();
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM sessions WHERE token_hash = ?1",
                    params![hash],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(doc) = doc else { return Ok(()) };
            let mut session: Session = from_doc(&doc)?;
            session.last_seen_at = now;
            session.expires_at = expires_at;
            c.execute(
                "UPDATE sessions SET doc = ?2, expires_at = ?3 WHERE token_hash = ?1",
                params![hash, to_doc(&session)?, ts(expires_at)],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn sessions_of(
    store: &SqliteStore,
    user_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    let id = user_id.to_owned();
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc, expires_at FROM sessions WHERE user_id = ?1 AND expires_at > ?2",
            )?;
            let rows = q
                .query_map(params![id, ts(now)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<sql::Result<Vec<_>>>()?;
            let mut sessions = rows
                .iter()
                .map(|(doc, expires)| {
                    let mut s: Session = from_doc(doc)?;
                    s.expires_at = from_ts(*expires);
                    Ok(s)
                })
                .collect::<StoreResult<Vec<Session>>>()?;
            sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            Ok(sessions)
        })
        .await
}

pub(super) async fn end_session(
    store: &SqliteStore,
    user_id: &str,
    session_id: &str,
) -> StoreResult<bool> {
    let (user, id) = (user_id.to_owned(), session_id.to_owned());
    store
        .with(move |c| {
            let n = c.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND id = ?2",
                params![user, id],
            )?;
            Ok(n > 0)
        })
        .await
}

pub(super) async fn rotate_key(
    store: &SqliteStore,
    tenant: &TenantId,
    key_hash: &str,
) -> StoreResult<()> {
    let (t, hash) = (tenant.0.clone(), key_hash.to_owned());
    store
        .with(move |c| {
            let n = c.execute(
                "UPDATE tenants SET key_hash = ?2 WHERE id = ?1",
                params![t, hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("tenant {t}")));
            }
            Ok(())
        })
        .await
}

pub(super) async fn record_audit(
    store: &SqliteStore,
    tenant: &TenantId,
    entry: &AuditEntry,
) -> StoreResult<()> {
    let (t, doc, at) = (
        tenant.0.clone(),
        to_doc(entry)?,
        entry.at.timestamp_micros(),
    );
    store
        .with(move |c| {
            c.execute(
                "INSERT INTO audit (tenant_id, at, doc) VALUES (?1, ?2, ?3)",
                params![t, at, doc],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn audit_log(
    store: &SqliteStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<AuditEntry>> {
    let (t, limit) = (tenant.0.clone(), i64::try_from(limit).unwrap_or(i64::MAX));
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM audit WHERE tenant_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
            )?;
            let docs = q
                .query_map(params![t, limit], |r| r.get::<_, String>(0))?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}

pub(super) async fn set_password(
    store: &SqliteStore,
    user_id: &str,
    password_hash: &str,
) -> StoreResult<()> {
    let (id, hash) = (user_id.to_owned(), password_hash.to_owned());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL
                 WHERE id = ?1",
                params![id, hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {id}")));
            }
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
            tx.commit()?;
            Ok(())
        })
        .await
}

pub(super) async fn put_ticket(store: &SqliteStore, ticket: &Ticket) -> StoreResult<()> {
    let (doc, t) = (to_doc(ticket)?, ticket.clone());
    store
        .with(move |c| {
            c.execute(
                "INSERT INTO tickets (key, kind, tenant_id, doc, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,
                     tenant_id = excluded.tenant_id, doc = excluded.doc,
                     expires_at = excluded.expires_at, created_at = excluded.created_at",
                params![
                    t.key,
                    t.kind.as_str(),
                    t.tenant.as_ref().map(|x| x.0.clone()),
                    doc,
                    ts(t.expires_at),
                    ts(t.created_at)
                ],
            )?;
            Ok(())
        })
        .await
}

fn live_ticket(
    c: &Connection,
    key: &str,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> StoreResult<Option<Ticket>> {
    let doc: Option<String> = c
        .query_row(
            "SELECT doc FROM tickets WHERE key = ?1 AND kind = ?2 AND expires_at > ?3",
            params![key, kind.as_str(), ts(now)],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| from_doc(&d)).transpose()
}

pub(super) async fn ticket(
    store: &SqliteStore,
    key: &str,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> StoreResult<Option<Ticket>> {
    let key = key.to_owned();
    store.with(move |c| live_ticket(c, &key, kind, now)).await
}

pub(super) async fn use_ticket(
    store: &SqliteStore,
    key: &str,
    kind: TicketKind,
    secret_hash: &str,
    max_attempts: u32,
    now: DateTime<Utc>,
) -> StoreResult<TicketUse> {
    let (key, secret) = (key.to_owned(), secret_hash.to_owned());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(mut ticket) = live_ticket(&tx, &key, kind, now)? else {
                return Ok(TicketUse::Gone);
            };
            let outcome = if crate::accounts::same_secret(&ticket.secret_hash, &secret) {
                tx.execute("DELETE FROM tickets WHERE key = ?1", params![key])?;
                TicketUse::Used(ticket)
            } else {
                ticket.attempts += 1;
                if ticket.attempts >= max_attempts {
                    tx.execute("DELETE FROM tickets WHERE key = ?1", params![key])?;
                    TicketUse::Wrong { left: 0 }
                } else {
                    tx.execute(
                        "UPDATE tickets SET doc = ?2 WHERE key = ?1",
                        params![key, to_doc(&ticket)?],
                    )?;
                    TicketUse::Wrong {
                        left: max_attempts - ticket.attempts,
                    }
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
}

pub(super) async fn tickets(
    store: &SqliteStore,
    tenant: &TenantId,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Ticket>> {
    let t = tenant.0.clone();
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM tickets WHERE tenant_id = ?1 AND kind = ?2 AND expires_at > ?3
                 ORDER BY created_at DESC, key",
            )?;
            let docs = q
                .query_map(params![t, kind.as_str(), ts(now)], |r| {
                    r.get::<_, String>(0)
                })?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}

pub(super) async fn drop_ticket(
    store: &SqliteStore,
    tenant: &TenantId,
    key: &str,
) -> StoreResult<bool> {
    let (t, key) = (tenant.0.clone(), key.to_owned());
    store
        .with(move |c| {
            let n = c.execute(
                "DELETE FROM tickets WHERE tenant_id = ?1 AND key = ?2",
                params![t, key],
            )?;
            Ok(n > 0)
        })
        .await
}
