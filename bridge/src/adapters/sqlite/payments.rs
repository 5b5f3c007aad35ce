//! Deposits: payments of held bookings, and stretching a hold while its deposit is paid.

use super::*;
use crate::model::{Document, DocumentKind, Payment, PaymentState};
use crate::ports::HoldNotice;

pub(super) async fn extend_hold(
    store: &SqliteStore,
    tenant: &TenantId,
    hold: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (t, id) = (tenant.0.clone(), hold.to_owned());
    store
        .with(move |c| {
            let n = c.execute(
                "UPDATE reservations SET expires_at = MAX(expires_at, ?3)
                 WHERE tenant_id = ?1 AND id = ?2 AND status = 'held' AND expires_at > ?4",
                params![t, id, ts(until), ts(now)],
            )?;
            Ok(n > 0)
        })
        .await
}

fn payment_doc(doc: &str) -> StoreResult<Payment> {
    from_doc(doc)
}

pub(super) async fn open_payment(store: &SqliteStore, payment: &Payment) -> StoreResult<Payment> {
    let p = payment.clone();
    let doc = to_doc(payment)?;
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO payments (tenant_id, hold_id, session_id, state, doc, pay_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (tenant_id, hold_id) DO NOTHING",
                params![
                    p.tenant.as_str(),
                    p.hold,
                    p.session,
                    p.state.as_str(),
                    doc,
                    ts(p.pay_by),
                    ts(p.updated_at)
                ],
            )?;
            let stored: String = tx.query_row(
                "SELECT doc FROM payments WHERE tenant_id = ?1 AND hold_id = ?2",
                params![p.tenant.as_str(), p.hold],
                |r| r.get(0),
            )?;
            tx.commit()?;
            payment_doc(&stored)
        })
        .await
}

pub(super) async fn payment(
    store: &SqliteStore,
    tenant: &TenantId,
    hold: &str,
) -> StoreResult<Option<Payment>> {
    let (t, id) = (tenant.0.clone(), hold.to_owned());
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM payments WHERE tenant_id = ?1 AND hold_id = ?2",
                    params![t, id],
                    |r| r.get(0),
                )
                .optional()?;
            doc.map(|d| payment_doc(&d)).transpose()
        })
        .await
}

pub(super) async fn lapsed_payments(
    store: &SqliteStore,
    before: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Payment>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM payments WHERE state IN ('creating', 'open') AND pay_by < ?1
                 ORDER BY pay_by LIMIT ?2",
            )?;
            let docs = q
                .query_map(params![ts(before), limit], |r| r.get::<_, String>(0))?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| payment_doc(d)).collect()
        })
        .await
}

pub(super) async fn payment_by_session(
    store: &SqliteStore,
    session: &str,
) -> StoreResult<Option<Payment>> {
    let session = session.to_owned();
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM payments WHERE session_id = ?1",
                    params![session],
                    |r| r.get(0),
                )
                .optional()?;
            doc.map(|d| payment_doc(&d)).transpose()
        })
        .await
}

pub(super) async fn update_payment(
    store: &SqliteStore,
    payment: &Payment,
    expected: PaymentState,
    notice: Option<&HoldNotice>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let p = payment.clone();
    let doc = to_doc(payment)?;
    let notice = notice.cloned();
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE payments SET session_id = ?3, state = ?4, doc = ?5, updated_at = ?6
                 WHERE tenant_id = ?1 AND hold_id = ?2 AND state = ?7",
                params![
                    p.tenant.as_str(),
                    p.hold,
                    p.session,
                    p.state.as_str(),
                    doc,
                    ts(p.updated_at),
                    expected.as_str()
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(notice) = notice {
                queue_hold_notice(&tx, p.tenant.as_str(), &p.hold, &notice, now)?;
            }
            tx.commit()?;
            Ok(true)
        })
        .await
}

/// Queues `notice` to the customer of `hold`, which is known by the notice's reference
/// from now on.
fn queue_hold_notice(
    tx: &sql::Transaction<'_>,
    tenant: &str,
    hold: &str,
    notice: &HoldNotice,
    now: DateTime<Utc>,
) -> sql::Result<()> {
    tx.execute(
        "UPDATE reservations SET reference = ?3
         WHERE tenant_id = ?1 AND id = ?2 AND reference IS NULL",
        params![tenant, hold, notice.reference],
    )?;
    tx.execute(
        "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         SELECT ?3, tenant_id, customer, ?4, ?5, ?6, ?7, ?8
         FROM reservations WHERE tenant_id = ?1 AND id = ?2",
        params![
            tenant,
            hold,
            new_id(),
            notice.reference,
            notice.planned.stage.as_str(),
            ts(notice.planned.due_at),
            ts(notice.planned.send_at),
            ts(now)
        ],
    )?;
    Ok(())
}

pub(super) async fn issue_document(
    store: &SqliteStore,
    draft: &Document,
    notice: Option<&HoldNotice>,
    now: DateTime<Utc>,
) -> StoreResult<Document> {
    let draft = draft.clone();
    let notice = notice.cloned();
    store
        .with(move |c| {
            // Immediate: the writer lock is taken first, so the next number read is the next
            // number written.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let t = draft.tenant.as_str();
            let existing: Option<String> = tx
                .query_row(
                    "SELECT doc FROM documents WHERE tenant_id = ?1 AND key = ?2",
                    params![t, draft.key],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(doc) = existing {
                return from_doc(&doc);
            }
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM documents
                 WHERE tenant_id = ?1 AND kind = ?2",
                params![t, draft.kind.as_str()],
                |r| r.get(0),
            )?;
            let mut issued = draft.clone();
            issued.number = u32::try_from(next)
                .map_err(|_| StoreError::backend("the document series is full"))?;
            tx.execute(
                "INSERT INTO documents (tenant_id, kind, number, key, hold_id, issued_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t,
                    issued.kind.as_str(),
                    next,
                    issued.key,
                    issued.hold,
                    ts(issued.issued_at),
                    to_doc(&issued)?
                ],
            )?;
            if let Some(notice) = notice {
                queue_hold_notice(&tx, t, &issued.hold, &notice, now)?;
            }
            tx.commit()?;
            Ok(issued)
        })
        .await
}

pub(super) async fn document(
    store: &SqliteStore,
    tenant: &TenantId,
    kind: DocumentKind,
    number: u32,
) -> StoreResult<Option<Document>> {
    let t = tenant.0.clone();
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM documents WHERE tenant_id = ?1 AND kind = ?2 AND number = ?3",
                    params![t, kind.as_str(), number],
                    |r| r.get(0),
                )
                .optional()?;
            doc.map(|d| from_doc(&d)).transpose()
        })
        .await
}

pub(super) async fn documents_of(
    store: &SqliteStore,
    tenant: &TenantId,
    hold: &str,
) -> StoreResult<Vec<Document>> {
    let (t, h) = (tenant.0.clone(), hold.to_owned());
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM documents WHERE tenant_id = ?1 AND hold_id = ?2
                 ORDER BY issued_at, kind DESC, number",
            )?;
            let docs = q
                .query_map(params![t, h], |r| r.get::<_, String>(0))?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}

pub(super) async fn documents_between(
    store: &SqliteStore,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Document>> {
    let t = tenant.0.clone();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .with(move |c| {
            let mut q = c.prepare_cached(
                "SELECT doc FROM documents WHERE tenant_id = ?1 AND issued_at >= ?2 AND issued_at < ?3
                 ORDER BY issued_at, kind DESC, number LIMIT ?4",
            )?;
            let docs = q
                .query_map(params![t, ts(from), ts(to), limit], |r| {
                    r.get::<_, String>(0)
                })?
                .collect::<sql::Result<Vec<_>>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}
