//! The lifecycle outbox: claims under a lease, outcomes, and Twilio's delivery reports.

use super::*;

pub(super) async fn claim_due(
    store: &SqliteStore,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: usize,
) -> StoreResult<Vec<OutboxMessage>> {
    store.with(move |c| {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            ?;
        let mut claimed: Vec<OutboxMessage> = {
            let mut select = tx
                .prepare_cached(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM (
                         SELECT *, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY send_at, id) AS n
                         FROM outbox
                         WHERE state = 'pending' AND send_at <= ?1
                           AND (lease_until IS NULL OR lease_until <= ?1)
                     ) WHERE n <= ?2 ORDER BY send_at, id"
                ))
                ?;
            let rows = select
                .query_map(params![ts(now), limit as i64], outbox_row)
                ?;
            let mut out = Vec::new();
            for row in rows {
                if let Some(m) = row? {
                    out.push(m);
                }
            }
            out
        };
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE outbox SET lease_until = ?2, claimed_at = ?3, attempts = attempts + 1
                     WHERE id = ?1",
                )
                ?;
            for m in &mut claimed {
                update
                    .execute(params![m.id, ts(now + lease), ts(now)])
                    ?;
                // The caller sees the row as claimed: this attempt counts.
                m.attempts += 1;
            }
        }
        tx.commit()?;
        Ok(claimed)
    })
    .await
}

pub(super) async fn settle(
    store: &SqliteStore,
    results: &[(String, SendOutcome)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let results = results.to_vec();
    store.with(move |c| {
        let tx = c.transaction()?;
        for (id, outcome) in &results {
            match outcome {
                SendOutcome::Sent { sid, via } => tx.execute(
                    "UPDATE outbox SET state = 'sent', message_sid = ?2, via = ?3, sent_at = ?4,
                            lease_until = NULL, claimed_at = NULL, error_code = NULL, detail = NULL
                     WHERE id = ?1",
                    params![id, sid, via, ts(now)],
                ),
                SendOutcome::Retry { at, error_code, detail } => tx.execute(
                    "UPDATE outbox SET send_at = ?2, error_code = ?3, detail = ?4,
                            lease_until = NULL, claimed_at = NULL
                     WHERE id = ?1 AND state = 'pending'",
                    params![id, ts(*at), error_code, detail],
                ),
                SendOutcome::Failed { error_code, detail } => tx.execute(
                    "UPDATE outbox SET state = 'failed', error_code = ?2, detail = ?3,
                            lease_until = NULL, claimed_at = NULL
                     WHERE id = ?1",
                    params![id, error_code, detail],
                ),
                SendOutcome::Skipped { detail } => tx.execute(
                    "UPDATE outbox SET state = 'skipped', detail = ?2, lease_until = NULL, claimed_at = NULL
                     WHERE id = ?1 AND state = 'pending'",
                    params![id, detail],
                ),
            }
            ?;
        }
        tx.commit().map_err(backend)
    })
    .await
}

pub(super) async fn outbox(
    store: &SqliteStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<OutboxMessage>> {
    let t = tenant.0.clone();
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = ?1
                 ORDER BY send_at DESC, id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![t, limit as i64], outbox_row)?;
            let mut out = Vec::new();
            for row in rows {
                if let Some(mut m) = row? {
                    m.in_doubt_since = None;
                    out.push(m);
                }
            }
            Ok(out)
        })
        .await
}

pub(super) async fn resend_as_template(
    store: &SqliteStore,
    tenant: &TenantId,
    message_sid: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (t, sid) = (tenant.0.clone(), message_sid.to_owned());
    store.with(move |c| {
        let n = c
            .execute(
                "UPDATE outbox SET state = 'pending', template_only = 1, send_at = ?3,
                        error_code = 63016, detail = 'outside the 24-hour window'
                 WHERE tenant_id = ?1 AND message_sid = ?2 AND via = 'session' AND template_only = 0",
                params![t, sid, ts(now)],
            )
            ?;
        Ok(n > 0)
    })
    .await
}

pub(super) async fn reminded(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT reference, MAX(sent_at) FROM outbox
                 WHERE tenant_id = ?1 AND customer = ?2 AND state = 'sent' AND reference IS NOT NULL
                   AND stage IN ('confirmation', 'day_before', 'shortly_before')
                 GROUP BY reference",
            )?;
            let rows = stmt.query_map(params![t, phone], |r| {
                Ok((r.get::<_, String>(0)?, from_ts(r.get(1)?)))
            })?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
}

pub(super) async fn record_delivery(
    store: &SqliteStore,
    tenant: &TenantId,
    delivery: &Delivery,
) -> StoreResult<Delivery> {
    let (t, d) = (tenant.0.clone(), delivery.clone());
    store.with(move |c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<(String, Option<u32>, i64)> = tx
            .query_row(
                "SELECT status, error_code, updated_at FROM deliveries WHERE tenant_id = ?1 AND message_sid = ?2",
                params![t, d.message_sid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            ?;
        let kept = match current {
            Some((status, error_code, updated_at)) => {
                let status = stored(0, &status, DeliveryStatus::parse)?;
                if status.advances_to(d.status) {
                    None
                } else {
                    Some(Delivery { status, error_code, updated_at: from_ts(updated_at), ..d.clone() })
                }
            }
            None => None,
        };
        if let Some(kept) = kept {
            return Ok(kept);
        }
        tx.execute(
            "INSERT INTO deliveries (tenant_id, message_sid, customer, status, error_code, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant_id, message_sid) DO UPDATE SET
                status = excluded.status, error_code = excluded.error_code, updated_at = excluded.updated_at",
            params![t, d.message_sid, d.customer.as_e164(), d.status.as_str(), d.error_code, ts(d.updated_at)],
        )
        ?;
        tx.commit()?;
        Ok(d)
    })
    .await
}

pub(super) async fn deliveries(
    store: &SqliteStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let t = tenant.0.clone();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT message_sid, customer, status, error_code, updated_at FROM deliveries
                 WHERE tenant_id = ?1 ORDER BY updated_at DESC, rowid DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![t, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (message_sid, customer, status, error_code, updated_at) = row?;
                let (Ok(customer), Some(status)) = (
                    PhoneNumber::parse(&customer),
                    DeliveryStatus::parse(&status),
                ) else {
                    continue;
                };
                out.push(Delivery {
                    message_sid,
                    customer,
                    status,
                    error_code,
                    updated_at: from_ts(updated_at),
                });
            }
            Ok(out)
        })
        .await
}

pub(super) async fn outbox_depth(store: &SqliteStore) -> StoreResult<Vec<(OutboxState, u64)>> {
    store
        .with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state",
            )?;
            let rows = stmt.query_map(params![], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (state, n) = row?;
                out.push((
                    stored(0, &state, OutboxState::parse)?,
                    u64::try_from(n).unwrap_or(0),
                ));
            }
            Ok(out)
        })
        .await
}
