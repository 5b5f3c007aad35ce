//! The lifecycle outbox: claims under a lease (`FOR UPDATE SKIP LOCKED`, so bridges never
//! claim one message twice), outcomes, and Twilio's delivery reports.

use super::reservations::begin;
use super::*;

pub(super) async fn claim_due(
    store: &PgStore,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: usize,
) -> StoreResult<Vec<OutboxMessage>> {
    let client = store.client().await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Each tenant's earliest `limit` due rows that no bridge holds a lease on are picked,
    // then locked; rows another bridge is claiming this very moment are skipped, not waited
    // for (its lease hides them from the next claim). `claimed_at` before this claim says
    // whether an earlier attempt is in doubt.
    let rows = client
        .q(
            &format!(
                "WITH ranked AS (
                     SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY send_at, id) AS n
                     FROM outbox
                     WHERE state = 'pending' AND send_at <= $1
                       AND (lease_until IS NULL OR lease_until <= $1)
                 ), due AS (
                     SELECT o.id, o.claimed_at AS prior_claim FROM outbox o
                     JOIN ranked ON ranked.id = o.id
                     WHERE ranked.n <= $4 AND o.state = 'pending'
                       AND (o.lease_until IS NULL OR o.lease_until <= $1)
                     FOR UPDATE OF o SKIP LOCKED
                 )
                 UPDATE outbox o SET lease_until = $2, claimed_at = $3, attempts = o.attempts + 1
                 FROM due
                 WHERE o.id = due.id
                 RETURNING {}, due.prior_claim",
                OUTBOX_COLUMNS
                    .split(", ")
                    .map(|c| format!("o.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[&ts(now), &ts(now + lease), &ts(now), &limit],
        )
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut m = outbox_row(row)?;
        m.in_doubt_since = row.try_get::<_, Option<i64>>(16)?.map(from_ts);
        claimed.push(m);
    }
    claimed.sort_by(|a, b| (a.send_at, &a.id).cmp(&(b.send_at, &b.id)));
    Ok(claimed)
}

pub(super) async fn settle(
    store: &PgStore,
    results: &[(String, SendOutcome)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // The usual case, every message sent, is one statement (and no transaction around it).
    let (mut ids, mut sids, mut vias) = (Vec::new(), Vec::new(), Vec::new());
    for (id, outcome) in results {
        if let SendOutcome::Sent { sid, via } = outcome {
            ids.push(id.as_str());
            sids.push(sid.as_str());
            vias.push(*via);
        }
    }
    let sent = "UPDATE outbox o SET state = 'sent', message_sid = s.sid, via = s.via, sent_at = $4,
                    lease_until = NULL, claimed_at = NULL, error_code = NULL, detail = NULL
                FROM UNNEST($1::text[], $2::text[], $3::text[]) AS s(id, sid, via)
                WHERE o.id = s.id";
    if ids.len() == results.len() {
        let client = store.client().await?;
        client.x(sent, &[&ids, &sids, &vias, &ts(now)]).await?;
        return Ok(());
    }
    begin!(store, client, tx);
    if !ids.is_empty() {
        tx.x(sent, &[&ids, &sids, &vias, &ts(now)]).await?;
    }
    for (id, outcome) in results {
        match outcome {
            SendOutcome::Sent { .. } => 0,
            SendOutcome::Retry {
                at,
                error_code,
                detail,
            } => {
                tx.x(
                    "UPDATE outbox SET send_at = $2, error_code = $3, detail = $4,
                            lease_until = NULL, claimed_at = NULL
                     WHERE id = $1 AND state = 'pending'",
                    &[id, &ts(*at), &error_code.map(i64::from), detail],
                )
                .await?
            }
            SendOutcome::Failed { error_code, detail } => {
                tx.x(
                    "UPDATE outbox SET state = 'failed', error_code = $2, detail = $3,
                            lease_until = NULL, claimed_at = NULL
                     WHERE id = $1",
                    &[id, &error_code.map(i64::from), detail],
                )
                .await?
            }
            SendOutcome::Skipped { detail } => {
                tx.x(
                    "UPDATE outbox SET state = 'skipped', detail = $2, lease_until = NULL, claimed_at = NULL
                     WHERE id = $1 AND state = 'pending'",
                    &[id, detail],
                )
                .await?
            }
        };
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn outbox(
    store: &PgStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<OutboxMessage>> {
    let client = store.client().await?;
    let rows = client
        .q(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1
                 ORDER BY send_at DESC, id DESC LIMIT $2"
            ),
            &[&tenant.0, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let mut m = outbox_row(r)?;
            m.in_doubt_since = None;
            Ok(m)
        })
        .collect()
}

pub(super) async fn resend_as_template(
    store: &PgStore,
    tenant: &TenantId,
    message_sid: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let client = store.client().await?;
    let n = client
        .x(
            "UPDATE outbox SET state = 'pending', template_only = TRUE, send_at = $3,
                    error_code = 63016, detail = 'outside the 24-hour window'
             WHERE tenant_id = $1 AND message_sid = $2 AND via = 'session' AND NOT template_only",
            &[&tenant.0, &message_sid, &ts(now)],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn reminded(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT reference, MAX(sent_at) FROM outbox
             WHERE tenant_id = $1 AND customer = $2 AND state = 'sent' AND reference IS NOT NULL
               AND stage IN ('confirmation', 'day_before', 'shortly_before')
             GROUP BY reference",
            &[&tenant.0, &customer.as_e164()],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, from_ts(r.try_get(1)?))))
        .collect()
}

pub(super) async fn record_delivery(
    store: &PgStore,
    tenant: &TenantId,
    d: &Delivery,
) -> StoreResult<Delivery> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    let current = tx
        .q_opt(
            "SELECT status, error_code, updated_at FROM deliveries
             WHERE tenant_id = $1 AND message_sid = $2 FOR UPDATE",
            &[&t, &d.message_sid],
        )
        .await?;
    if let Some(row) = current {
        let status: String = row.try_get(0)?;
        let status = stored(&status, DeliveryStatus::parse)?;
        if !status.advances_to(d.status) {
            return Ok(Delivery {
                status,
                error_code: row
                    .try_get::<_, Option<i64>>(1)?
                    .and_then(|c| u32::try_from(c).ok()),
                updated_at: from_ts(row.try_get(2)?),
                ..d.clone()
            });
        }
    }
    let inserted = tx
        .x(
            "INSERT INTO deliveries (tenant_id, message_sid, customer, status, error_code, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, message_sid) DO UPDATE SET
                status = excluded.status, error_code = excluded.error_code, updated_at = excluded.updated_at",
            &[
                &t,
                &d.message_sid,
                &d.customer.as_e164(),
                &d.status.as_str(),
                &d.error_code.map(i64::from),
                &ts(d.updated_at),
            ],
        )
        .await;
    match inserted {
        Ok(_) => {
            tx.commit().await?;
            Ok(d.clone())
        }
        // Two first reports of one message at once: the other won the insert; decide again
        // against what it wrote.
        Err(e) if sqlstate(&e) == Some("40001") || sqlstate(&e) == Some("23505") => {
            drop(tx);
            Box::pin(record_delivery(store, tenant, d)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn deliveries(
    store: &PgStore,
    tenant: &TenantId,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT message_sid, customer, status, error_code, updated_at FROM deliveries
             WHERE tenant_id = $1 ORDER BY updated_at DESC, seq DESC LIMIT $2",
            &[&tenant.0, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let customer: String = r.try_get(1)?;
        let status: String = r.try_get(2)?;
        let (Ok(customer), Some(status)) = (
            PhoneNumber::parse(&customer),
            DeliveryStatus::parse(&status),
        ) else {
            continue;
        };
        out.push(Delivery {
            message_sid: r.try_get(0)?,
            customer,
            status,
            error_code: r
                .try_get::<_, Option<i64>>(3)?
                .and_then(|c| u32::try_from(c).ok()),
            updated_at: from_ts(r.try_get(4)?),
        });
    }
    Ok(out)
}

pub(super) async fn outbox_depth(store: &PgStore) -> StoreResult<Vec<(OutboxState, u64)>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get(0)?;
            Ok((
                stored(&state, OutboxState::parse)?,
                u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
            ))
        })
        .collect()
}
