//! Deposits: payments of held bookings, and stretching a hold while its deposit is paid.

use super::reservations::begin;
use super::*;
use crate::model::{Payment, PaymentState};
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
        tx.x(
            "UPDATE reservations SET reference = $3
             WHERE tenant_id = $1 AND id = $2 AND reference IS NULL",
            &[&p.tenant.0, &p.hold, &notice.reference],
        )
        .await?;
        tx.x(
            "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
             SELECT $3, tenant_id, customer, $4, $5, $6, $7, $8
             FROM reservations WHERE tenant_id = $1 AND id = $2",
            &[
                &p.tenant.0,
                &p.hold,
                &new_id(),
                &notice.reference,
                &notice.planned.stage.as_str(),
                &ts(notice.planned.due_at),
                &ts(notice.planned.send_at),
                &ts(now),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}
