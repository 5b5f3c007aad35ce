//! Deposits: payments of held bookings, and stretching a hold while its deposit is paid.

use super::reservations::begin;
use super::*;
use crate::model::{Document, DocumentKind, Payment, PaymentState};
use crate::ports::HoldNotice;

pub(super) async fn extend_hold(
    store: &PgStore,
    tenant: &TenantId,
    hold: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let client = store.client().await?;
    let n = client
        .x(
            "UPDATE reservations SET expires_at = GREATEST(expires_at, $3)
             WHERE tenant_id = $1 AND id = $2 AND status = 'held' AND expires_at > $4",
            &[&tenant.0, &hold, &ts(until), &ts(now)],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn open_payment(store: &PgStore, p: &Payment) -> StoreResult<Payment> {
    let doc = to_doc(p)?;
    let client = store.client().await?;
    // One statement: the new row, or the one already there.
    let row = client
        .q_one(
            "WITH inserted AS (
                INSERT INTO payments (tenant_id, hold_id, session_id, state, doc, pay_by, updated_at)
                VALUES ($1, $2, $3, $4, $5, $7, $6)
                ON CONFLICT (tenant_id, hold_id) DO NOTHING
                RETURNING doc
             )
             SELECT doc FROM inserted
             UNION ALL
             SELECT doc FROM payments WHERE tenant_id = $1 AND hold_id = $2
             LIMIT 1",
            &[
                &p.tenant.0,
                &p.hold,
                &p.session,
                &p.state.as_str(),
                &doc,
                &ts(p.updated_at),
                &ts(p.pay_by),
            ],
        )
        .await?;
    from_doc(&row.try_get::<_, String>(0)?)
}

pub(super) async fn payment(
    store: &PgStore,
    tenant: &TenantId,
    hold: &str,
) -> StoreResult<Option<Payment>> {
    let client = store.client().await?;
    client
        .q_opt(
            "SELECT doc FROM payments WHERE tenant_id = $1 AND hold_id = $2",
            &[&tenant.0, &hold],
        )
        .await?
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .transpose()
}

pub(super) async fn lapsed_payments(
    store: &PgStore,
    before: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Payment>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM payments WHERE state IN ('creating', 'open') AND pay_by < $1
             ORDER BY pay_by LIMIT $2",
            &[&ts(before), &i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn payment_by_session(
    store: &PgStore,
    session: &str,
) -> StoreResult<Option<Payment>> {
    let client = store.client().await?;
    client
        .q_opt(
            "SELECT doc FROM payments WHERE session_id = $1",
            &[&session],
        )
        .await?
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .transpose()
}

pub(super) async fn update_payment(
    store: &PgStore,
    p: &Payment,
    expected: PaymentState,
    notice: Option<&HoldNotice>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let doc = to_doc(p)?;
    begin!(store, client, tx);
    let n = tx
        .x(
            "UPDATE payments SET session_id = $3, state = $4, doc = $5, updated_at = $6
             WHERE tenant_id = $1 AND hold_id = $2 AND state = $7",
            &[
                &p.tenant.0,
                &p.hold,
                &p.session,
                &p.state.as_str(),
                &doc,
                &ts(p.updated_at),
                &expected.as_str(),
            ],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    if let Some(notice) = notice {
        queue_hold_notice(&tx, &p.tenant.0, &p.hold, notice, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Queues `notice` to the customer of `hold`, which is known by the notice's reference
/// from now on.
async fn queue_hold_notice(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    hold: &str,
    notice: &HoldNotice,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.x(
        "UPDATE reservations SET reference = $3
         WHERE tenant_id = $1 AND id = $2 AND reference IS NULL",
        &[&tenant, &hold, &notice.reference],
    )
    .await?;
    tx.x(
        "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         SELECT $3, tenant_id, customer, $4, $5, $6, $7, $8
         FROM reservations WHERE tenant_id = $1 AND id = $2",
        &[
            &tenant,
            &hold,
            &new_id(),
            &notice.reference,
            &notice.planned.stage.as_str(),
            &ts(notice.planned.due_at),
            &ts(notice.planned.send_at),
            &ts(now),
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn issue_document(
    store: &PgStore,
    draft: &Document,
    notice: Option<&HoldNotice>,
    now: DateTime<Utc>,
) -> StoreResult<Document> {
    let t = draft.tenant.0.as_str();
    begin!(store, client, tx);
    // One issuer at a time per series, until commit: the number read is the number
    // written, and a transaction that fails gives its number back.
    tx.x(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 1))",
        &[&format!("documents\u{1f}{t}\u{1f}{}", draft.kind.as_str())],
    )
    .await?;
    if let Some(row) = tx
        .q_opt(
            "SELECT doc FROM documents WHERE tenant_id = $1 AND key = $2",
            &[&t, &draft.key],
        )
        .await?
    {
        return from_doc(&row.try_get::<_, String>(0)?);
    }
    let next: i64 = tx
        .q_one(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM documents WHERE tenant_id = $1 AND kind = $2",
            &[&t, &draft.kind.as_str()],
        )
        .await?
        .try_get(0)?;
    let mut issued = draft.clone();
    issued.number =
        u32::try_from(next).map_err(|_| StoreError::backend("the document series is full"))?;
    let inserted = tx
        .x(
            "INSERT INTO documents (tenant_id, kind, number, key, hold_id, issued_at, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, key) DO NOTHING",
            &[
                &t,
                &issued.kind.as_str(),
                &next,
                &issued.key,
                &issued.hold,
                &ts(issued.issued_at),
                &to_doc(&issued)?,
            ],
        )
        .await?;
    if inserted == 0 {
        // The same key in the other series' lock (a kind changed under one key): keep it.
        drop(tx);
        return document_by_key(store, &draft.tenant, &draft.key).await;
    }
    if let Some(notice) = notice {
        queue_hold_notice(&tx, t, &issued.hold, notice, now).await?;
    }
    tx.commit().await?;
    Ok(issued)
}

async fn document_by_key(store: &PgStore, tenant: &TenantId, key: &str) -> StoreResult<Document> {
    let client = store.client().await?;
    let row = client
        .q_one(
            "SELECT doc FROM documents WHERE tenant_id = $1 AND key = $2",
            &[&tenant.0, &key],
        )
        .await?;
    from_doc(&row.try_get::<_, String>(0)?)
}

pub(super) async fn document(
    store: &PgStore,
    tenant: &TenantId,
    kind: DocumentKind,
    number: u32,
) -> StoreResult<Option<Document>> {
    let client = store.client().await?;
    client
        .q_opt(
            "SELECT doc FROM documents WHERE tenant_id = $1 AND kind = $2 AND number = $3",
            &[&tenant.0, &kind.as_str(), &i64::from(number)],
        )
        .await?
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .transpose()
}

pub(super) async fn documents_of(
    store: &PgStore,
    tenant: &TenantId,
    hold: &str,
) -> StoreResult<Vec<Document>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM documents WHERE tenant_id = $1 AND hold_id = $2
             ORDER BY issued_at, kind DESC, number",
            &[&tenant.0, &hold],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn documents_between(
    store: &PgStore,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Document>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM documents WHERE tenant_id = $1 AND issued_at >= $2 AND issued_at < $3
             ORDER BY issued_at, kind DESC, number LIMIT $4",
            &[
                &tenant.0,
                &ts(from),
                &ts(to),
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}
