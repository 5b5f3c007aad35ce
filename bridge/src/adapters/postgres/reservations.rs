//! Holds and bookings: placed without overlap under per-provider advisory locks (and the
//! exclusion constraint behind them), confirmed, moved, cancelled, and read back by time,
//! customer or Cal.com uid.

use super::*;

/// Starts a transaction on a pooled connection.
macro_rules! begin {
    ($store:expr, $client:ident, $tx:ident) => {
        let mut $client = $store.client().await?;
        let $tx = $client.transaction().await?;
    };
}
pub(super) use begin;

/// Takes the transaction-scoped lock of each provider, in a fixed order so that two holds
/// over the same providers never wait on each other in a cycle; one round trip for all
/// (the function scan takes them in the array's order).
async fn lock_providers(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    providers: &[&str],
) -> StoreResult<()> {
    let mut keys: Vec<String> = providers
        .iter()
        .map(|p| format!("{tenant}\u{1f}{p}"))
        .collect();
    keys.sort();
    keys.dedup();
    tx.q(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM UNNEST($1::text[]) AS k",
        &[&keys],
    )
    .await?;
    Ok(())
}

pub(super) async fn active_reservations(
    store: &PgStore,
    tenant: &TenantId,
    providers: &[ProviderId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let providers: Vec<&str> = providers.iter().map(|p| p.0.as_str()).collect();
    let client = store.client().await?;
    let rows = client
        .q(
            &format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations
                 WHERE tenant_id = $1 AND provider_id = ANY($2) AND block_start < $4 AND block_end > $3
                   AND (status = 'confirmed' OR (status = 'held' AND expires_at > $5))
                 ORDER BY array_position($2, provider_id), block_start"
            ),
            &[&tenant.0, &providers, &ts(from), &ts(to), &ts(now)],
        )
        .await?;
    rows.iter().map(reservation_row).collect()
}

pub(super) async fn hold(
    store: &PgStore,
    hold: &NewHold,
    now: DateTime<Utc>,
) -> StoreResult<(HoldOutcome, Option<String>)> {
    let tenant = hold.tenant.0.as_str();
    let providers: Vec<&str> = hold
        .candidates
        .iter()
        .map(|c| c.provider.as_str())
        .collect();
    let (now_s, start, end) = (ts(now), ts(hold.block_start), ts(hold.block_end));
    begin!(store, client, tx);
    // The reads come after the locks, in a statement of their own: under READ COMMITTED a
    // statement sees what was committed when it began, so a read in the statement that
    // waited for a lock would miss the hold the lock was waiting for.
    lock_providers(&tx, tenant, &providers).await?;
    // One statement reads all the hold needs: a hold made before under the same key, and
    // per candidate what overlaps, how many start that day, and its recent load. A lapsed
    // hold in the way is marked as no longer blocking on the way (it still counts for the
    // exclusion constraint until the sweep releases it; its provider is locked).
    let rows = tx
        .q(
            "WITH lapse AS (
                 UPDATE reservations SET lapsed = TRUE
                 WHERE tenant_id = $1 AND provider_id = ANY($2) AND status = 'held' AND expires_at <= $5
                   AND block_start < $4 AND block_end > $3 AND NOT lapsed
             )
             SELECT c.p,
                 (SELECT COUNT(*) FROM reservations r
                   WHERE r.tenant_id = $1 AND r.provider_id = c.p AND r.block_start < $4 AND r.block_end > $3
                     AND (r.status = 'confirmed' OR (r.status = 'held' AND r.expires_at > $5))),
                 (SELECT COUNT(*) FROM reservations r
                   WHERE r.tenant_id = $1 AND r.provider_id = c.p AND r.start_at >= $6 AND r.start_at < $7
                     AND (r.status = 'confirmed' OR (r.status = 'held' AND r.expires_at > $5))),
                 l.n, l.last,
                 (SELECT id FROM reservations WHERE tenant_id = $1 AND idem_key = $9)
             FROM UNNEST($2::text[]) WITH ORDINALITY AS c(p, i)
             CROSS JOIN LATERAL (
                 SELECT COUNT(*) AS n, MAX(created_at) AS last FROM reservations r
                 WHERE r.tenant_id = $1 AND r.provider_id = c.p AND r.created_at >= $8
                   AND (r.status IN ('confirmed', 'rescheduled') OR (r.status = 'held' AND r.expires_at > $5))
             ) AS l
             ORDER BY c.i",
            &[
                &tenant,
                &providers,
                &start,
                &end,
                &now_s,
                &ts(hold.day.0),
                &ts(hold.day.1),
                &ts(hold.fairness_since),
                &hold.idempotency_key,
            ],
        )
        .await?;
    if let Some(id) = rows
        .first()
        .map(|r| r.try_get::<_, Option<String>>(5))
        .transpose()?
        .flatten()
    {
        let r = load_reservation(&tx, tenant, &id).await?;
        return r
            .map(|r| {
                (
                    HoldOutcome::Held(Box::new(r)),
                    Some("repeated idempotency key".into()),
                )
            })
            .ok_or_else(|| StoreError::backend("idempotent hold vanished"));
    }
    let mut loads = Vec::new();
    for (cand, row) in hold.candidates.iter().zip(&rows) {
        let (overlaps, that_day): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
        let full = cand
            .max_per_day
            .is_some_and(|max| that_day >= i64::from(max));
        if overlaps > 0 || full {
            continue;
        }
        loads.push(Load {
            provider: cand.provider.clone(),
            weight: cand.weight,
            recent: u32::try_from(row.try_get::<_, i64>(3)?).unwrap_or(u32::MAX),
            last_booked: row.try_get::<_, Option<i64>>(4)?.map(from_ts),
        });
    }
    let (order, reason) = fair_order(loads);
    let Some(provider) = order.into_iter().next() else {
        return Ok((HoldOutcome::Taken, None));
    };
    // The hold, its history and the customer in one statement.
    let inserted = tx
        .q_one(
            &format!(
                "WITH ins AS (
                     INSERT INTO reservations (id, tenant_id, reference, provider_id, service_id, customer, start_at, end_at,
                         block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at, idem_key)
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $11, $12, $13, $14)
                     RETURNING {RESERVATION_COLUMNS}
                 ),
                 history AS (
                     INSERT INTO status_history (reservation_id, at, status) SELECT id, $13, 'held' FROM ins
                 ),
                 customer AS (
                     INSERT INTO customers (tenant_id, phone, last_seen) VALUES ($2, $5, $13)
                     ON CONFLICT (tenant_id, phone) DO UPDATE SET last_seen = excluded.last_seen
                 )
                 SELECT * FROM ins"
            ),
            &[
                &new_id(),
                &tenant,
                &provider.as_str(),
                &hold.service.as_str(),
                &hold.customer.as_e164(),
                &ts(hold.start),
                &ts(hold.end),
                &start,
                &end,
                &ts(hold.expires_at),
                &hold.deposit.as_ref().map(|d| d.minor),
                &hold.deposit.as_ref().map(|d| d.currency.clone()),
                &now_s,
                &hold.idempotency_key,
            ],
        )
        .await;
    let row = match inserted {
        Ok(row) => row,
        // The locks make this unreachable from here; the constraint is the last word should
        // another writer ever skip them.
        Err(e) if sqlstate(&e) == Some("23P01") => return Ok((HoldOutcome::Taken, None)),
        Err(e) => return Err(e.into()),
    };
    let r = reservation_row(&row)?;
    tx.commit().await?;
    Ok((HoldOutcome::Held(Box::new(r)), Some(reason)))
}

pub(super) async fn release(
    store: &PgStore,
    tenant: &TenantId,
    hold: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    begin!(store, client, tx);
    let n = tx
        .x(
            "UPDATE reservations SET status = 'released' WHERE tenant_id = $1 AND id = $2 AND status = 'held'",
            &[&tenant.0, &hold],
        )
        .await?;
    if n > 0 {
        record_status(&tx, hold, Status::Released, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The reservation `id`, locked for this transaction.
async fn locked(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Reservation>> {
    tx.q_opt(
        &format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
        ),
        &[&tenant, &id],
    )
    .await?
    .as_ref()
    .map(reservation_row)
    .transpose()
}

pub(super) async fn confirm(
    store: &PgStore,
    tenant: &TenantId,
    hold: &str,
    reference: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    // Confirmed only while live; the update locks the row for the rest of the change.
    let confirmed = tx
        .q_opt(
            &format!(
                "UPDATE reservations SET status = 'confirmed', reference = $3, expires_at = NULL
                 WHERE tenant_id = $1 AND id = $2 AND status = 'held' AND expires_at > $4
                 RETURNING {RESERVATION_COLUMNS}"
            ),
            &[&t, &hold, &reference, &ts(now)],
        )
        .await?;
    let Some(row) = confirmed else {
        return Ok(match load_reservation(&tx, t, hold).await? {
            // Confirming twice returns the booking made the first time.
            Some(r) if r.status == Status::Confirmed => ChangeOutcome::Done(Box::new(r)),
            _ => ChangeOutcome::HoldGone,
        });
    };
    let r = reservation_row(&row)?;
    let planned = plan(&r);
    // Its history, the customer's count and its messages in one statement.
    let Columns {
        ids,
        stages,
        due,
        send,
    } = columns(&planned);
    let withdrawn: Vec<&str> = planned.withdraw.iter().map(|s| s.as_str()).collect();
    tx.x(
        "WITH history AS (
             INSERT INTO status_history (reservation_id, at, status) VALUES ($4, $8, 'confirmed')
         ),
         counted AS (
             UPDATE customers SET bookings = bookings + 1 WHERE tenant_id = $1 AND phone = $2
         ),
         dropped AS (
             UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = $1 AND state = 'pending'
               AND (reference = $3 OR (customer = $2 AND stage = ANY($9::text[])))
         )
         INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         SELECT id, $1, $2, $3, stage, due_at, send_at, $8
         FROM UNNEST($5::text[], $6::text[], $7::bigint[], $10::bigint[]) AS m(id, stage, due_at, send_at)",
        &[
            &t,
            &r.customer.as_e164(),
            &reference,
            &hold,
            &ids,
            &stages,
            &due,
            &ts(now),
            &withdrawn,
            &send,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(ChangeOutcome::Done(Box::new(r)))
}

pub(super) async fn reschedule(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
    hold: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    let Some(new) = locked(&tx, t, hold).await? else {
        return Ok(ChangeOutcome::HoldGone);
    };
    // A retry after success: the hold already carries the booking's reference.
    if new.status == Status::Confirmed && new.reference.as_deref() == Some(reference) {
        return Ok(ChangeOutcome::Done(Box::new(new)));
    }
    if !(new.status == Status::Held && new.is_active(now)) {
        return Ok(ChangeOutcome::HoldGone);
    }
    let old = booking_in(&tx, t, reference, &[Status::Confirmed]).await?;
    let Some(old) = old.filter(|o| o.customer == new.customer) else {
        return Ok(ChangeOutcome::NotFound);
    };
    tx.x(
        "UPDATE reservations SET status = 'rescheduled', reference = NULL, moved_to = $3
         WHERE tenant_id = $1 AND id = $2",
        &[&t, &old.id, &hold],
    )
    .await?;
    tx.x(
        "UPDATE reservations SET status = 'confirmed', reference = $3, expires_at = NULL
         WHERE tenant_id = $1 AND id = $2",
        &[&t, &hold, &reference],
    )
    .await?;
    record_status(&tx, &old.id, Status::Rescheduled, now).await?;
    // The booking's history goes with it to its new time, before the new time's own
    // entries (the hold), and the move is on it.
    let own = tx
        .q(
            "DELETE FROM status_history WHERE reservation_id = $1 RETURNING seq, at, status",
            &[&hold],
        )
        .await?;
    let mut own: Vec<(i64, i64, String)> = own
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<StoreResult<_>>()?;
    own.sort();
    tx.x(
        "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
         SELECT $2, at, status, moved_from, moved_to FROM status_history
         WHERE reservation_id = $1 AND NOT (status = 'rescheduled' AND moved_from IS NULL)
         ORDER BY at, seq",
        &[&old.id, &hold],
    )
    .await?;
    for (_, at, status) in &own {
        tx.x(
            "INSERT INTO status_history (reservation_id, at, status) VALUES ($1, $2, $3)",
            &[&hold, at, status],
        )
        .await?;
    }
    tx.x(
        "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
         VALUES ($1, $2, 'rescheduled', $3, $4)",
        &[&hold, &ts(now), &ts(old.start), &ts(new.start)],
    )
    .await?;
    finish_change(tx, t, hold, &plan, now, ChangeOutcome::HoldGone).await
}

pub(super) async fn cancel(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
    customer: &PhoneNumber,
    now: DateTime<Utc>,
) -> StoreResult<ChangeOutcome> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    let r = booking_in(&tx, t, reference, &[Status::Confirmed, Status::Cancelled]).await?;
    let Some(r) = r.filter(|r| &r.customer == customer) else {
        return Ok(ChangeOutcome::NotFound);
    };
    if r.status == Status::Cancelled {
        return Ok(ChangeOutcome::Done(Box::new(r)));
    }
    set_status(&tx, t, &r.id, Status::Cancelled, now).await?;
    let r = load_reservation(&tx, t, &r.id).await?;
    if let Some(r) = &r {
        replace_messages(&tx, r, &Plan::default(), now).await?;
    }
    tx.commit().await?;
    Ok(r.map_or(ChangeOutcome::NotFound, |r| {
        ChangeOutcome::Done(Box::new(r))
    }))
}

pub(super) async fn mark_no_show(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    let r = booking_in(&tx, t, reference, &[Status::Confirmed, Status::NoShow]).await?;
    let Some(r) = r else {
        return Ok(ChangeOutcome::NotFound);
    };
    if r.status == Status::NoShow {
        return Ok(ChangeOutcome::Done(Box::new(r)));
    }
    set_status(&tx, t, &r.id, Status::NoShow, now).await?;
    finish_change(tx, t, &r.id, &plan, now, ChangeOutcome::NotFound).await
}

pub(super) async fn booking(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
) -> StoreResult<Option<Reservation>> {
    let client = store.client().await?;
    client
        .q_opt(
            &format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = $1 AND reference = $2"
            ),
            &[&tenant.0, &reference],
        )
        .await?
        .as_ref()
        .map(reservation_row)
        .transpose()
}

pub(super) async fn reservation(
    store: &PgStore,
    tenant: &TenantId,
    id: &str,
) -> StoreResult<Option<Reservation>> {
    let client = store.client().await?;
    load_reservation(&client, &tenant.0, id).await
}

pub(super) async fn upcoming(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let client = store.client().await?;
    let rows = client
        .q(
            &format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations
                 WHERE tenant_id = $1 AND customer = $2 AND status = 'confirmed' AND start_at > $3
                 ORDER BY start_at"
            ),
            &[&tenant.0, &customer.as_e164(), &ts(now)],
        )
        .await?;
    rows.iter().map(reservation_row).collect()
}

pub(super) async fn bookings(
    store: &PgStore,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let client = store.client().await?;
    let rows = client
        .q(
            &format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations
                 WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3 AND status IN ('confirmed', 'cancelled')
                 ORDER BY start_at"
            ),
            &[&tenant.0, &ts(from), &ts(to)],
        )
        .await?;
    rows.iter().map(reservation_row).collect()
}

pub(super) async fn history(
    store: &PgStore,
    tenant: &TenantId,
    id: &str,
) -> StoreResult<Vec<StatusChange>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT h.at, h.status, h.moved_from, h.moved_to FROM status_history h
             JOIN reservations r ON r.id = h.reservation_id
             WHERE r.tenant_id = $1 AND h.reservation_id = $2 ORDER BY h.at, h.seq",
            &[&tenant.0, &id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get(1)?;
            Ok(StatusChange {
                at: from_ts(r.try_get(0)?),
                status: stored(&status, Status::parse)?,
                from: r.try_get::<_, Option<i64>>(2)?.map(from_ts),
                to: r.try_get::<_, Option<i64>>(3)?.map(from_ts),
            })
        })
        .collect()
}

pub(super) async fn expire_holds(store: &PgStore, now: DateTime<Utc>) -> StoreResult<usize> {
    begin!(store, client, tx);
    let rows = tx
        .q(
            "UPDATE reservations SET status = 'released'
             WHERE status = 'held' AND expires_at <= $1 RETURNING id",
            &[&ts(now)],
        )
        .await?;
    for row in &rows {
        let id: String = row.try_get(0)?;
        record_status(&tx, &id, Status::Released, now).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

pub(super) async fn set_external(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
    uid: &str,
) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "UPDATE reservations SET external_uid = $3 WHERE tenant_id = $1 AND reference = $2",
            &[&tenant.0, &reference, &uid],
        )
        .await?;
    Ok(())
}

pub(super) async fn external_of(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
) -> StoreResult<Option<String>> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT external_uid FROM reservations WHERE tenant_id = $1 AND reference = $2",
            &[&tenant.0, &reference],
        )
        .await?;
    Ok(row
        .map(|r| r.try_get::<_, Option<String>>(0))
        .transpose()?
        .flatten())
}

pub(super) async fn by_external(store: &PgStore, uid: &str) -> StoreResult<Option<Reservation>> {
    let client = store.client().await?;
    client
        .q_opt(
            &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE external_uid = $1"),
            &[&uid],
        )
        .await?
        .as_ref()
        .map(reservation_row)
        .transpose()
}

pub(super) async fn business_change(
    store: &PgStore,
    tenant: &TenantId,
    reference: &str,
    change: &BusinessChange,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let t = tenant.0.as_str();
    begin!(store, client, tx);
    let Some(r) = booking_in(&tx, t, reference, &[Status::Confirmed]).await? else {
        return Ok(ChangeOutcome::NotFound);
    };
    match change {
        BusinessChange::Moved { start, end, uid } => {
            let (before, after) = (r.start - r.block_start, r.block_end - r.end);
            // The business moved it in Cal.com, its calendar of record: the move stands even
            // over another of our reservations.
            tx.x(
                "UPDATE reservations SET start_at = $3, end_at = $4, block_start = $5, block_end = $6,
                        external_uid = $7, overlap_ok = TRUE
                 WHERE tenant_id = $1 AND id = $2",
                &[
                    &t,
                    &r.id,
                    &ts(*start),
                    &ts(*end),
                    &ts(*start - before),
                    &ts(*end + after),
                    uid,
                ],
            )
            .await?;
            record_status(&tx, &r.id, Status::Confirmed, now).await?;
        }
        BusinessChange::Cancelled => {
            set_status(&tx, t, &r.id, Status::Cancelled, now).await?;
        }
    }
    finish_change(tx, t, &r.id, &plan, now, ChangeOutcome::NotFound).await
}
