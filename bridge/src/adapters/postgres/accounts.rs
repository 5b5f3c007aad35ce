//! Dashboard users and their sessions.

use super::reservations::begin;
use super::*;
use crate::model::{AuditEntry, Credentials, Session, Ticket, TicketKind, TicketUse, User};

/// `unique_violation`: for these tables, the email or id is taken.
const UNIQUE_VIOLATION: &str = "23505";

async fn insert_user(
    client: &impl GenericClient,
    user: &User,
    password_hash: &str,
) -> StoreResult<()> {
    let doc = to_doc(user)?;
    let tenant = user.tenant.as_ref().map(|t| t.0.clone());
    match client
        .x(
            "INSERT INTO users (id, tenant_id, email, doc, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &user.id,
                &tenant,
                &user.email,
                &doc,
                &password_hash,
                &ts(user.created_at),
            ],
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if sqlstate(&e) == Some(UNIQUE_VIOLATION) => {
            Err(StoreError::Conflict(format!("user {}", user.email)))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn sign_up(
    store: &PgStore,
    tenant: &Tenant,
    key_hash: &str,
    owner: &User,
    password_hash: &str,
) -> StoreResult<()> {
    let doc = to_doc(tenant)?;
    begin!(store, client, tx);
    let n = tx
        .x(
            "INSERT INTO tenants (id, doc, key_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
            &[&tenant.id.0, &doc, &key_hash, &ts(owner.created_at)],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("tenant {}", tenant.id.0)));
    }
    insert_user(&tx, owner, password_hash).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn create_user(
    store: &PgStore,
    user: &User,
    password_hash: &str,
) -> StoreResult<()> {
    let client = store.client().await?;
    insert_user(&client, user, password_hash).await
}

fn credentials(row: &Row, from: usize) -> StoreResult<Credentials> {
    Ok(Credentials {
        password_hash: row.try_get(from)?,
        failed_logins: u32::try_from(row.try_get::<_, i32>(from + 1)?).unwrap_or(0),
        locked_until: row.try_get::<_, Option<i64>>(from + 2)?.map(from_ts),
    })
}

pub(super) async fn user_by_email(
    store: &PgStore,
    email: &str,
) -> StoreResult<Option<(User, Credentials)>> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT doc, password_hash, failed_logins, locked_until FROM users WHERE email = $1",
            &[&email],
        )
        .await?;
    row.map(|r| Ok((from_doc(&r.try_get::<_, String>(0)?)?, credentials(&r, 1)?)))
        .transpose()
}

pub(super) async fn users(store: &PgStore, tenant: &TenantId) -> StoreResult<Vec<User>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM users WHERE tenant_id = $1 ORDER BY created_at, id",
            &[&tenant.0],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn login_failed(
    store: &PgStore,
    user_id: &str,
    max: u32,
    lock_until: DateTime<Utc>,
) -> StoreResult<Credentials> {
    let client = store.client().await?;
    // One statement: two bridges counting failures at once never both miss the lock.
    let max = i32::try_from(max).unwrap_or(i32::MAX);
    let row = client
        .q_opt(
            "UPDATE users SET
                 failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
                 locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
             WHERE id = $1
             RETURNING password_hash, failed_logins, locked_until",
            &[&user_id, &max, &ts(lock_until)],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
    credentials(&row, 0)
}

pub(super) async fn login_succeeded(store: &PgStore, user_id: &str) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            &[&user_id],
        )
        .await?;
    Ok(())
}

pub(super) async fn open_session(
    store: &PgStore,
    token_hash: &str,
    session: &Session,
) -> StoreResult<()> {
    let doc = to_doc(session)?;
    let client = store.client().await?;
    client
        .x(
            "INSERT INTO sessions (token_hash, id, user_id, doc, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &token_hash,
                &session.id,
                &session.user_id,
                &doc,
                &ts(session.expires_at),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn session(
    store: &PgStore,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Session, User)>> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT s.doc, s.expires_at, u.doc FROM sessions s
             JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            &[&token_hash, &ts(now)],
        )
        .await?;
    row.map(|r| {
        let mut session: Session = from_doc(&r.try_get::<_, String>(0)?)?;
        session.expires_at = from_ts(r.try_get(1)?);
        Ok((session, from_doc(&r.try_get::<_, String>(2)?)?))
    })
    .transpose()
}

pub(super) async fn touch_session(
    store: &PgStore,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let client = store.client().await?;
    let Some(row) = client
        .q_opt(
            "SELECT doc FROM sessions WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?
    else {
        return Ok(());
    };
    let mut session: Session = from_doc(&row.try_get::<_, String>(0)?)?;
    session.last_seen_at = now;
    session.expires_at = expires_at;
    client
        .x(
            "UPDATE sessions SET doc = $2, expires_at = $3 WHERE token_hash = $1",
            &[&token_hash, &to_doc(&session)?, &ts(expires_at)],
        )
        .await?;
    Ok(())
}

pub(super) async fn sessions_of(
    store: &PgStore,
    user_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2",
            &[&user_id, &ts(now)],
        )
        .await?;
    let mut sessions = rows
        .iter()
        .map(|r| {
            let mut s: Session = from_doc(&r.try_get::<_, String>(0)?)?;
            s.expires_at = from_ts(r.try_get(1)?);
            Ok(s)
        })
        .collect::<StoreResult<Vec<Session>>>()?;
    sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(sessions)
}

pub(super) async fn end_session(
    store: &PgStore,
    user_id: &str,
    session_id: &str,
) -> StoreResult<bool> {
    let client = store.client().await?;
    let n = client
        .x(
            "DELETE FROM sessions WHERE user_id = $1 AND id = $2",
            &[&user_id, &session_id],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn rotate_key(
    store: &PgStore,
    tenant: &TenantId,
    key_hash: &str,
) -> StoreResult<()> {
    let client = store.client().await?;
    let n = client
        .x(
            "UPDATE tenants SET key_hash = $2 WHERE id = $1",
            &[&tenant.0, &key_hash],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("tenant {}", tenant.0)));
    }
    Ok(())
}

pub(super) async fn record_audit(
    store: &PgStore,
    tenant: &TenantId,
    entry: &AuditEntry,
) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "INSERT INTO audit (tenant_id, at, doc) VALUES ($1, $2, $3)",
            &[&tenant.0, &entry.at.timestamp_micros(), &to_doc(entry)?],
        )
        .await?;
    Ok(())
}

pub(super) async fn audit_log(
    store: &PgStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<AuditEntry>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM audit WHERE tenant_id = $1 ORDER BY at DESC, ctid DESC LIMIT $2",
            &[&tenant.0, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn set_password(
    store: &PgStore,
    user_id: &str,
    password_hash: &str,
) -> StoreResult<()> {
    begin!(store, client, tx);
    let n = tx
        .x(
            "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL
             WHERE id = $1",
            &[&user_id, &password_hash],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {user_id}")));
    }
    tx.x("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn put_ticket(store: &PgStore, ticket: &Ticket) -> StoreResult<()> {
    let client = store.client().await?;
    let doc = to_doc(ticket)?;
    let tenant = ticket.tenant.as_ref().map(|t| t.0.clone());
    client
        .x(
            "INSERT INTO tickets (key, kind, tenant_id, doc, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,
                 tenant_id = excluded.tenant_id, doc = excluded.doc,
                 expires_at = excluded.expires_at, created_at = excluded.created_at",
            &[
                &ticket.key,
                &ticket.kind.as_str(),
                &tenant,
                &doc,
                &ts(ticket.expires_at),
                &ts(ticket.created_at),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn ticket(
    store: &PgStore,
    key: &str,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> StoreResult<Option<Ticket>> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT doc FROM tickets WHERE key = $1 AND kind = $2 AND expires_at > $3",
            &[&key, &kind.as_str(), &ts(now)],
        )
        .await?;
    row.map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .transpose()
}

pub(super) async fn use_ticket(
    store: &PgStore,
    key: &str,
    kind: TicketKind,
    secret_hash: &str,
    max_attempts: u32,
    now: DateTime<Utc>,
) -> StoreResult<TicketUse> {
    begin!(store, client, tx);
    // The row lock makes a second caller wait and then find the ticket used or updated.
    let row = tx
        .q_opt(
            "SELECT doc FROM tickets WHERE key = $1 AND kind = $2 AND expires_at > $3
             FOR UPDATE",
            &[&key, &kind.as_str(), &ts(now)],
        )
        .await?;
    let Some(row) = row else {
        return Ok(TicketUse::Gone);
    };
    let mut ticket: Ticket = from_doc(&row.try_get::<_, String>(0)?)?;
    let outcome = if crate::accounts::same_secret(&ticket.secret_hash, secret_hash) {
        tx.x("DELETE FROM tickets WHERE key = $1", &[&key]).await?;
        TicketUse::Used(ticket)
    } else {
        ticket.attempts += 1;
        if ticket.attempts >= max_attempts {
            tx.x("DELETE FROM tickets WHERE key = $1", &[&key]).await?;
            TicketUse::Wrong { left: 0 }
        } else {
            tx.x(
                "UPDATE tickets SET doc = $2 WHERE key = $1",
                &[&key, &to_doc(&ticket)?],
            )
            .await?;
            TicketUse::Wrong {
                left: max_attempts - ticket.attempts,
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

pub(super) async fn tickets(
    store: &PgStore,
    tenant: &TenantId,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Ticket>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM tickets WHERE tenant_id = $1 AND kind = $2 AND expires_at > $3
             ORDER BY created_at DESC, key",
            &[&tenant.0, &kind.as_str(), &ts(now)],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn drop_ticket(
    store: &PgStore,
    tenant: &TenantId,
    key: &str,
) -> StoreResult<bool> {
    let client = store.client().await?;
    let n = client
        .x(
            "DELETE FROM tickets WHERE tenant_id = $1 AND key = $2",
            &[&tenant.0, &key],
        )
        .await?;
    Ok(n > 0)
}
