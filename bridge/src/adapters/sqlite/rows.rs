//! Rows and the statements every change shares: reading reservations and outbox rows,
//! status changes with their history, and the outbox rows a change plans.

use super::*;

pub(super) const OUTBOX_COLUMNS: &str = "id, tenant_id, customer, reference, stage, due_at, send_at, state, attempts, \
     message_sid, error_code, detail, sent_at, via, template_only, claimed_at";

pub(super) fn outbox_row(row: &Row<'_>) -> sql::Result<Option<OutboxMessage>> {
    let customer: String = row.get(2)?;
    let stage: String = row.get(4)?;
    let state: String = row.get(7)?;
    let customer = PhoneNumber::parse(&customer).map_err(|e| sql::Error::conversion(2, e))?;
    let stage = stored(4, &stage, Stage::parse)?;
    let state = stored(7, &state, OutboxState::parse)?;
    Ok(Some(OutboxMessage {
        id: row.get(0)?,
        tenant: TenantId(row.get(1)?),
        customer,
        reference: row.get(3)?,
        stage,
        due_at: from_ts(row.get(5)?),
        send_at: from_ts(row.get(6)?),
        state,
        attempts: row.get(8)?,
        message_sid: row.get(9)?,
        error_code: row.get(10)?,
        detail: row.get(11)?,
        sent_at: row.get::<_, Option<i64>>(12)?.map(from_ts),
        via: row.get(13)?,
        template_only: row.get::<_, i64>(14)? != 0,
        in_doubt_since: row.get::<_, Option<i64>>(15)?.map(from_ts),
    }))
}

/// The booking with `reference` if its status is one of `statuses`.
pub(super) fn booking_in(
    conn: &Connection,
    tenant: &str,
    reference: &str,
    statuses: &[Status],
) -> sql::Result<Option<Reservation>> {
    let allowed: Vec<String> = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    conn.query_row(
        &format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations
             WHERE tenant_id = ?1 AND reference = ?2 AND status IN ({})",
            allowed.join(", ")
        ),
        params![tenant, reference],
        reservation_row,
    )
    .optional()
}

/// Sets a reservation's status and records the change in its history.
pub(super) fn set_status(
    conn: &Connection,
    tenant: &str,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> sql::Result<()> {
    conn.execute(
        "UPDATE reservations SET status = ?3 WHERE tenant_id = ?1 AND id = ?2",
        params![tenant, id, status.as_str()],
    )?;
    record_status(conn, id, status, now)
}

/// Ends a booking change: re-reads the booking, replaces its pending messages with `plan`'s,
/// and commits.
/// `missing` is the outcome should the row be gone (it was changed in this transaction, so
/// only a concurrent delete could do that).
pub(super) fn finish_change(
    tx: sql::Transaction<'_>,
    tenant: &str,
    id: &str,
    plan: &Planner,
    now: DateTime<Utc>,
    missing: ChangeOutcome,
) -> StoreResult<ChangeOutcome> {
    let r = load_reservation(&tx, tenant, id)?;
    if let Some(r) = &r {
        replace_messages(&tx, r, &plan(r), now)?;
    }
    tx.commit()?;
    Ok(r.map_or(missing, |r| ChangeOutcome::Done(Box::new(r))))
}

/// Carries out `plan` for booking `r`: drops its pending messages and the customer's
/// pending ones of the withdrawn kinds, and queues the planned ones.
pub(super) fn replace_messages(
    tx: &Connection,
    r: &Reservation,
    plan: &Plan,
    now: DateTime<Utc>,
) -> sql::Result<()> {
    if let Some(reference) = &r.reference {
        tx.execute(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = ?1 AND reference = ?2 AND state = 'pending'",
            params![r.tenant.as_str(), reference],
        )?;
    }
    for stage in &plan.withdraw {
        tx.execute(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = ?1 AND customer = ?2 AND stage = ?3 AND state = 'pending'",
            params![r.tenant.as_str(), r.customer.as_e164(), stage.as_str()],
        )?;
    }
    let planned = &plan.messages;
    let mut insert = tx.prepare_cached(
        "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for p in planned {
        insert.execute(params![
            new_id(),
            r.tenant.as_str(),
            r.customer.as_e164(),
            r.reference,
            p.stage.as_str(),
            ts(p.due_at),
            ts(p.send_at),
            ts(now),
        ])?;
    }
    Ok(())
}

pub(super) const RESERVATION_COLUMNS: &str = "id, reference, tenant_id, provider_id, service_id, customer, start_at, end_at, \
     block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at";

pub(super) fn reservation_row(row: &Row<'_>) -> sql::Result<Reservation> {
    let customer: String = row.get(5)?;
    let status: String = row.get(10)?;
    let deposit_minor: Option<i64> = row.get(12)?;
    let deposit_currency: Option<String> = row.get(13)?;
    Ok(Reservation {
        id: row.get(0)?,
        reference: row.get(1)?,
        tenant: TenantId(row.get(2)?),
        provider: ProviderId(row.get(3)?),
        service: ServiceId(row.get(4)?),
        customer: PhoneNumber::parse(&customer).map_err(|e| sql::Error::conversion(5, e))?,
        start: from_ts(row.get(6)?),
        end: from_ts(row.get(7)?),
        block_start: from_ts(row.get(8)?),
        block_end: from_ts(row.get(9)?),
        status: stored(10, &status, Status::parse)?,
        expires_at: row.get::<_, Option<i64>>(11)?.map(from_ts),
        deposit: deposit_minor
            .zip(deposit_currency)
            .map(|(m, c)| Money::new(m, &c)),
        created_at: from_ts(row.get(14)?),
    })
}

pub(super) fn load_reservation(
    conn: &Connection,
    tenant: &str,
    id: &str,
) -> sql::Result<Option<Reservation>> {
    conn.query_row(
        &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = ?1 AND id = ?2"),
        params![tenant, id],
        reservation_row,
    )
    .optional()
}

pub(super) fn record_status(
    conn: &Connection,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> sql::Result<()> {
    conn.execute(
        "INSERT INTO status_history (reservation_id, at, status) VALUES (?1, ?2, ?3)",
        params![id, ts(now), status.as_str()],
    )?;
    Ok(())
}

pub(super) fn bump_version(conn: &Connection, tenant: &str) -> sql::Result<()> {
    conn.execute(
        "UPDATE tenants SET version = version + 1 WHERE id = ?1",
        params![tenant],
    )?;
    Ok(())
}

/// Active reservations of `provider` overlapping `[start, end)`.
pub(super) fn overlapping(
    conn: &Connection,
    tenant: &str,
    provider: &str,
    start: i64,
    end: i64,
    now: i64,
) -> sql::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM reservations INDEXED BY reservations_provider_end
         WHERE tenant_id = ?1 AND provider_id = ?2 AND block_start < ?4 AND block_end > ?3
           AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))",
        params![tenant, provider, start, end, now],
        |r| r.get(0),
    )
}

pub(super) fn active_starting(
    conn: &Connection,
    tenant: &str,
    provider: &str,
    from: i64,
    to: i64,
    now: i64,
) -> sql::Result<i64> {
    conn.query_row(
        // A reservation starting in [from, to) ends after `from` (its block ends after its
        // start), which bounds the scan to the reservations not over by then.
        "SELECT COUNT(*) FROM reservations INDEXED BY reservations_provider_end
         WHERE tenant_id = ?1 AND provider_id = ?2 AND block_end > ?3
           AND start_at >= ?3 AND start_at < ?4
           AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))",
        params![tenant, provider, from, to, now],
        |r| r.get(0),
    )
}

pub(super) fn loads_in(
    conn: &Connection,
    tenant: &str,
    candidates: &[Candidate],
    since: i64,
    now: i64,
) -> sql::Result<Vec<Load>> {
    let mut stmt = conn.prepare_cached(
        // Reservations are made for times ahead, so one made since `since` also ends after
        // it: that bound keeps the scan off the older history.
        "SELECT COUNT(*), MAX(created_at) FROM reservations INDEXED BY reservations_provider_end
         WHERE tenant_id = ?1 AND provider_id = ?2 AND block_end > ?3 AND created_at >= ?3
           AND (status IN ('confirmed', 'rescheduled') OR (status = 'held' AND expires_at > ?4))",
    )?;
    candidates
        .iter()
        .map(|c| {
            stmt.query_row(params![tenant, c.provider.as_str(), since, now], |r| {
                Ok(Load {
                    provider: c.provider.clone(),
                    weight: c.weight,
                    recent: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last_booked: r.get::<_, Option<i64>>(1)?.map(from_ts),
                })
            })
        })
        .collect()
}

/// A new random-enough id for a reservation; uniqueness is enforced by the primary key.
pub(super) fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Random bits, not the process id: a Spin instance has none, and instances (each one
    // request, its counter at 0) may run at once.
    let salt = getrandom::u32().unwrap_or_default() & 0xffff;
    format!("r{nanos:x}{salt:04x}{n:x}")
}
