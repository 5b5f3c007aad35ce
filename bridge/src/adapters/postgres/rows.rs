//! Rows and the statements every change shares, as in the SQLite adapter.

use super::*;

pub(super) const OUTBOX_COLUMNS: &str = "id, tenant_id, customer, reference, stage, due_at, send_at, state, attempts, \
     message_sid, error_code, detail, sent_at, via, template_only, claimed_at";

fn code(value: Option<i64>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok())
}

pub(super) fn outbox_row(row: &Row) -> StoreResult<OutboxMessage> {
    let customer: String = row.try_get(2)?;
    let stage: String = row.try_get(4)?;
    let state: String = row.try_get(7)?;
    Ok(OutboxMessage {
        id: row.try_get(0)?,
        tenant: TenantId(row.try_get(1)?),
        customer: PhoneNumber::parse(&customer).map_err(backend)?,
        reference: row.try_get(3)?,
        stage: stored(&stage, Stage::parse)?,
        due_at: from_ts(row.try_get(5)?),
        send_at: from_ts(row.try_get(6)?),
        state: stored(&state, OutboxState::parse)?,
        attempts: u32::try_from(row.try_get::<_, i64>(8)?).unwrap_or(u32::MAX),
        message_sid: row.try_get(9)?,
        error_code: code(row.try_get(10)?),
        detail: row.try_get(11)?,
        sent_at: row.try_get::<_, Option<i64>>(12)?.map(from_ts),
        via: row.try_get(13)?,
        template_only: row.try_get(14)?,
        in_doubt_since: row.try_get::<_, Option<i64>>(15)?.map(from_ts),
    })
}

pub(super) const RESERVATION_COLUMNS: &str = "id, reference, tenant_id, provider_id, service_id, customer, start_at, end_at, \
     block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at";

pub(super) fn reservation_row(row: &Row) -> StoreResult<Reservation> {
    let customer: String = row.try_get(5)?;
    let status: String = row.try_get(10)?;
    let deposit_minor: Option<i64> = row.try_get(12)?;
    let deposit_currency: Option<String> = row.try_get(13)?;
    Ok(Reservation {
        id: row.try_get(0)?,
        reference: row.try_get(1)?,
        tenant: TenantId(row.try_get(2)?),
        provider: ProviderId(row.try_get(3)?),
        service: ServiceId(row.try_get(4)?),
        customer: PhoneNumber::parse(&customer).map_err(backend)?,
        start: from_ts(row.try_get(6)?),
        end: from_ts(row.try_get(7)?),
        block_start: from_ts(row.try_get(8)?),
        block_end: from_ts(row.try_get(9)?),
        status: stored(&status, Status::parse)?,
        expires_at: row.try_get::<_, Option<i64>>(11)?.map(from_ts),
        deposit: deposit_minor
            .zip(deposit_currency)
            .map(|(m, c)| Money::new(m, &c)),
        created_at: from_ts(row.try_get(14)?),
    })
}

pub(super) async fn load_reservation(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Reservation>> {
    c.q_opt(
        &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?
    .as_ref()
    .map(reservation_row)
    .transpose()
}

/// The booking with `reference` if its status is one of `statuses`, locked for the rest of
/// the transaction (every caller goes on to change it).
pub(super) async fn booking_in(
    c: &impl GenericClient,
    tenant: &str,
    reference: &str,
    statuses: &[Status],
) -> StoreResult<Option<Reservation>> {
    let allowed: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    c.q_opt(
        &format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations
             WHERE tenant_id = $1 AND reference = $2 AND status = ANY($3) FOR UPDATE"
        ),
        &[&tenant, &reference, &allowed],
    )
    .await?
    .as_ref()
    .map(reservation_row)
    .transpose()
}

/// Sets a reservation's status and records the change in its history.
pub(super) async fn set_status(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    c.x(
        "UPDATE reservations SET status = $3 WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id, &status.as_str()],
    )
    .await?;
    record_status(c, id, status, now).await
}

pub(super) async fn record_status(
    c: &impl GenericClient,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    c.x(
        "INSERT INTO status_history (reservation_id, at, status) VALUES ($1, $2, $3)",
        &[&id, &ts(now), &status.as_str()],
    )
    .await?;
    Ok(())
}

/// Ends a booking change: re-reads the booking, replaces its pending messages with `plan`'s,
/// and commits. `missing` is the outcome should the row be gone.
pub(super) async fn finish_change(
    tx: deadpool_postgres::Transaction<'_>,
    tenant: &str,
    id: &str,
    plan: &Planner,
    now: DateTime<Utc>,
    missing: ChangeOutcome,
) -> StoreResult<ChangeOutcome> {
    let r = load_reservation(&tx, tenant, id).await?;
    if let Some(r) = &r {
        replace_messages(&tx, r, &plan(r), now).await?;
    }
    tx.commit().await?;
    Ok(r.map_or(missing, |r| ChangeOutcome::Done(Box::new(r))))
}

/// Carries out `plan` for booking `r`: drops its pending messages and the customer's
/// pending ones of the withdrawn kinds, and queues the planned ones.
pub(super) async fn replace_messages(
    tx: &impl GenericClient,
    r: &Reservation,
    plan: &Plan,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let tenant = r.tenant.as_str();
    let customer = r.customer.as_e164();
    if let Some(reference) = &r.reference {
        tx.x(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = $1 AND reference = $2 AND state = 'pending'",
            &[&tenant, reference],
        )
        .await?;
    }
    for stage in &plan.withdraw {
        tx.x(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL
             WHERE tenant_id = $1 AND customer = $2 AND stage = $3 AND state = 'pending'",
            &[&tenant, &customer, &stage.as_str()],
        )
        .await?;
    }
    if plan.messages.is_empty() {
        return Ok(());
    }
    // One statement for every planned message.
    let Columns {
        ids,
        stages,
        due,
        send,
    } = columns(plan);
    tx.x(
        "INSERT INTO outbox (id, tenant_id, customer, reference, stage, due_at, send_at, created_at)
         SELECT id, $2, $3, $4, stage, due_at, send_at, $8
         FROM UNNEST($1::text[], $5::text[], $6::bigint[], $7::bigint[]) AS m(id, stage, due_at, send_at)",
        &[&ids, &tenant, &customer, &r.reference, &stages, &due, &send, &ts(now)],
    )
    .await?;
    Ok(())
}

/// A plan's messages as the columns of an `UNNEST` insert, each with a new id.
pub(super) struct Columns<'a> {
    pub(super) ids: Vec<String>,
    pub(super) stages: Vec<&'a str>,
    pub(super) due: Vec<i64>,
    pub(super) send: Vec<i64>,
}

pub(super) fn columns(plan: &Plan) -> Columns<'_> {
    let mut c = Columns {
        ids: Vec::new(),
        stages: Vec::new(),
        due: Vec::new(),
        send: Vec::new(),
    };
    for p in &plan.messages {
        c.ids.push(new_id());
        c.stages.push(p.stage.as_str());
        c.due.push(ts(p.due_at));
        c.send.push(ts(p.send_at));
    }
    c
}

pub(super) async fn bump_version(c: &impl GenericClient, tenant: &str) -> StoreResult<()> {
    c.x(
        "UPDATE tenants SET version = version + 1 WHERE id = $1",
        &[&tenant],
    )
    .await?;
    Ok(())
}

/// A new random-enough id; uniqueness is enforced by the primary key.
pub(super) fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Random bits tell apart bridges on different machines with the same process id.
    let mut salt = [0u8; 4];
    let _ = getrandom::fill(&mut salt);
    format!("r{:x}{:08x}{:x}", nanos, u32::from_le_bytes(salt), n)
}
