//! Holds and bookings: placed without overlap inside `BEGIN IMMEDIATE`, confirmed, moved,
//! cancelled, and read back by time, customer or Cal.com uid.

use super::*;

pub(super) async fn active_reservations(
    store: &SqliteStore,
    tenant: &TenantId,
    providers: &[ProviderId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let t = tenant.0.clone();
    let providers: Vec<String> = providers.iter().map(|p| p.0.clone()).collect();
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations INDEXED BY reservations_provider_end
                 WHERE tenant_id = ?1 AND provider_id = ?2 AND block_start < ?4 AND block_end > ?3
                   AND (status = 'confirmed' OR (status = 'held' AND expires_at > ?5))
                 ORDER BY block_start"
            ))?;
            let mut out = Vec::new();
            for p in &providers {
                let rows =
                    stmt.query_map(params![t, p, ts(from), ts(to), ts(now)], reservation_row)?;
                for r in rows {
                    out.push(r?);
                }
            }
            Ok(out)
        })
        .await
}

pub(super) async fn hold(
    store: &SqliteStore,
    hold: &NewHold,
    now: DateTime<Utc>,
) -> StoreResult<(HoldOutcome, Option<String>)> {
    let hold = hold.clone();
    store.with(move |c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let tenant = hold.tenant.0.as_str();
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM reservations WHERE tenant_id = ?1 AND idem_key = ?2",
                params![tenant, hold.idempotency_key],
                |r| r.get(0),
            )
            .optional()
            ?;
        if let Some(id) = existing {
            let r = load_reservation(&tx, tenant, &id)?;
            return r
                .map(|r| (HoldOutcome::Held(Box::new(r)), Some("repeated idempotency key".into())))
                .ok_or_else(|| StoreError::backend("idempotent hold vanished"));
        }
        let (now_s, start, end) = (ts(now), ts(hold.block_start), ts(hold.block_end));
        let mut free = Vec::new();
        for cand in &hold.candidates {
            let p = cand.provider.as_str();
            if overlapping(&tx, tenant, p, start, end, now_s)? > 0 {
                continue;
            }
            if let Some(max) = cand.max_per_day {
                let n = active_starting(&tx, tenant, p, ts(hold.day.0), ts(hold.day.1), now_s)?;
                if n >= i64::from(max) {
                    continue;
                }
            }
            free.push(cand.clone());
        }
        if free.is_empty() {
            return Ok((HoldOutcome::Taken, None));
        }
        // Fairness only has something to weigh between two or more.
        let (order, reason) = match free.as_slice() {
            [only] => (vec![only.provider.clone()], format!("picked {} (the only one free)", only.provider)),
            _ => fair_order(loads_in(&tx, tenant, &free, ts(hold.fairness_since), now_s)?),
        };
        let Some(provider) = order.into_iter().next() else {
            return Ok((HoldOutcome::Taken, None));
        };
        let id = new_id();
        tx.execute(
            "INSERT INTO reservations (id, tenant_id, reference, provider_id, service_id, customer, start_at, end_at,
                block_start, block_end, status, expires_at, deposit_minor, deposit_currency, created_at, idem_key)
             VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'held', ?10, ?11, ?12, ?13, ?14)",
            params![
                id,
                tenant,
                provider.as_str(),
                hold.service.as_str(),
                hold.customer.as_e164(),
                ts(hold.start),
                ts(hold.end),
                start,
                end,
                ts(hold.expires_at),
                hold.deposit.as_ref().map(|d| d.minor),
                hold.deposit.as_ref().map(|d| d.currency.clone()),
                now_s,
                hold.idempotency_key,
            ],
        )
        ?;
        record_status(&tx, &id, Status::Held, now)?;
        tx.execute(
            "INSERT INTO customers (tenant_id, phone, last_seen) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET last_seen = excluded.last_seen",
            params![tenant, hold.customer.as_e164(), now_s],
        )
        ?;
        let r = load_reservation(&tx, tenant, &id)?;
        tx.commit()?;
        let r = r.ok_or_else(|| StoreError::backend("inserted hold not found"))?;
        Ok((HoldOutcome::Held(Box::new(r)), Some(reason)))
    })
    .await
}

pub(super) async fn release(
    store: &SqliteStore,
    tenant: &TenantId,
    hold: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (t, id) = (tenant.0.clone(), hold.to_owned());
    store.with(move |c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx
            .execute(
                "UPDATE reservations SET status = 'released' WHERE tenant_id = ?1 AND id = ?2 AND status = 'held'",
                params![t, id],
            )
            ?;
        if n > 0 {
            record_status(&tx, &id, Status::Released, now)?;
        }
        tx.commit().map_err(backend)
    })
    .await
}

pub(super) async fn confirm(
    store: &SqliteStore,
    tenant: &TenantId,
    hold: &str,
    reference: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let (t, id, reference) = (tenant.0.clone(), hold.to_owned(), reference.to_owned());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(r) = load_reservation(&tx, &t, &id)? else {
                return Ok(ChangeOutcome::HoldGone);
            };
            match r.status {
                // Confirming twice returns the booking made the first time.
                Status::Confirmed => return Ok(ChangeOutcome::Done(Box::new(r))),
                Status::Held if r.is_active(now) => {}
                _ => return Ok(ChangeOutcome::HoldGone),
            }
            tx.execute(
                "UPDATE reservations SET status = 'confirmed', reference = ?3, expires_at = NULL
             WHERE tenant_id = ?1 AND id = ?2",
                params![t, id, reference],
            )?;
            record_status(&tx, &id, Status::Confirmed, now)?;
            tx.execute(
                "UPDATE customers SET bookings = bookings + 1 WHERE tenant_id = ?1 AND phone = ?2",
                params![t, r.customer.as_e164()],
            )?;
            finish_change(tx, &t, &id, &plan, now, ChangeOutcome::HoldGone)
        })
        .await
}

pub(super) async fn reschedule(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
    hold: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let (t, reference, hold_id) = (tenant.0.clone(), reference.to_owned(), hold.to_owned());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(new) = load_reservation(&tx, &t, &hold_id)? else {
                return Ok(ChangeOutcome::HoldGone);
            };
            // A retry after success: the hold already carries the booking's reference.
            if new.status == Status::Confirmed
                && new.reference.as_deref() == Some(reference.as_str())
            {
                return Ok(ChangeOutcome::Done(Box::new(new)));
            }
            if !(new.status == Status::Held && new.is_active(now)) {
                return Ok(ChangeOutcome::HoldGone);
            }
            let old: Option<Reservation> = booking_in(&tx, &t, &reference, &[Status::Confirmed])?;
            let Some(old) = old.filter(|o| o.customer == new.customer) else {
                return Ok(ChangeOutcome::NotFound);
            };
            tx.execute(
                "UPDATE reservations SET status = 'rescheduled', reference = NULL, moved_to = ?3
             WHERE tenant_id = ?1 AND id = ?2",
                params![t, old.id, hold_id],
            )?;
            tx.execute(
                "UPDATE reservations SET status = 'confirmed', reference = ?3, expires_at = NULL
             WHERE tenant_id = ?1 AND id = ?2",
                params![t, hold_id, reference],
            )?;
            record_status(&tx, &old.id, Status::Rescheduled, now)?;
            // The booking's history goes with it to its new time, before the new time's own
            // entries (the hold), and the move is on it.
            let own: Vec<(i64, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT at, status FROM status_history WHERE reservation_id = ?1
                     ORDER BY at, rowid",
                )?;
                let rows = stmt.query_map(params![hold_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            tx.execute(
                "DELETE FROM status_history WHERE reservation_id = ?1",
                params![hold_id],
            )?;
            tx.execute(
                "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
             SELECT ?2, at, status, moved_from, moved_to FROM status_history
             WHERE reservation_id = ?1 AND NOT (status = 'rescheduled' AND moved_from IS NULL)
             ORDER BY at, rowid",
                params![old.id, hold_id],
            )?;
            for (at, status) in own {
                tx.execute(
                    "INSERT INTO status_history (reservation_id, at, status) VALUES (?1, ?2, ?3)",
                    params![hold_id, at, status],
                )?;
            }
            tx.execute(
                "INSERT INTO status_history (reservation_id, at, status, moved_from, moved_to)
             VALUES (?1, ?2, 'rescheduled', ?3, ?4)",
                params![hold_id, ts(now), ts(old.start), ts(new.start)],
            )?;
            finish_change(tx, &t, &hold_id, &plan, now, ChangeOutcome::HoldGone)
        })
        .await
}

pub(super) async fn cancel(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
    customer: &PhoneNumber,
    now: DateTime<Utc>,
) -> StoreResult<ChangeOutcome> {
    let (t, reference, customer) = (tenant.0.clone(), reference.to_owned(), customer.clone());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let r: Option<Reservation> =
                booking_in(&tx, &t, &reference, &[Status::Confirmed, Status::Cancelled])?;
            let Some(r) = r.filter(|r| r.customer == customer) else {
                return Ok(ChangeOutcome::NotFound);
            };
            if r.status == Status::Cancelled {
                return Ok(ChangeOutcome::Done(Box::new(r)));
            }
            set_status(&tx, &t, &r.id, Status::Cancelled, now)?;
            let r = load_reservation(&tx, &t, &r.id)?;
            if let Some(r) = &r {
                replace_messages(&tx, r, &Plan::default(), now)?;
            }
            tx.commit()?;
            Ok(r.map_or(ChangeOutcome::NotFound, |r| {
                ChangeOutcome::Done(Box::new(r))
            }))
        })
        .await
}

pub(super) async fn mark_no_show(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let (t, reference) = (tenant.0.clone(), reference.to_owned());
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let r: Option<Reservation> =
                booking_in(&tx, &t, &reference, &[Status::Confirmed, Status::NoShow])?;
            let Some(r) = r else {
                return Ok(ChangeOutcome::NotFound);
            };
            if r.status == Status::NoShow {
                return Ok(ChangeOutcome::Done(Box::new(r)));
            }
            set_status(&tx, &t, &r.id, Status::NoShow, now)?;
            finish_change(tx, &t, &r.id, &plan, now, ChangeOutcome::NotFound)
        })
        .await
}

pub(super) async fn booking(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
) -> StoreResult<Option<Reservation>> {
    let (t, reference) = (tenant.0.clone(), reference.to_owned());
    store.with(move |c| {
        c.query_row(
            &format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE tenant_id = ?1 AND reference = ?2"
            ),
            params![t, reference],
            reservation_row,
        )
        .optional()
        .map_err(backend)
    })
    .await
}

pub(super) async fn reservation(
    store: &SqliteStore,
    tenant: &TenantId,
    id: &str,
) -> StoreResult<Option<Reservation>> {
    let (t, id) = (tenant.0.clone(), id.to_owned());
    store
        .with(move |c| load_reservation(c, &t, &id).map_err(backend))
        .await
}

pub(super) async fn upcoming(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let (t, customer) = (tenant.0.clone(), customer.as_e164().to_owned());
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations
                 WHERE tenant_id = ?1 AND customer = ?2 AND status = 'confirmed' AND start_at > ?3
                 ORDER BY start_at"
            ))?;
            let rows = stmt.query_map(params![t, customer, ts(now)], reservation_row)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
}

pub(super) async fn bookings(
    store: &SqliteStore,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<Reservation>> {
    let t = tenant.0.clone();
    store.with(move |c| {
        let mut stmt = c
            .prepare_cached(&format!(
                "SELECT {RESERVATION_COLUMNS} FROM reservations
                 WHERE tenant_id = ?1 AND start_at >= ?2 AND start_at < ?3 AND status IN ('confirmed', 'cancelled')
                 ORDER BY start_at"
            ))
            ?;
        let rows = stmt.query_map(params![t, ts(from), ts(to)], reservation_row)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    })
    .await
}

pub(super) async fn history(
    store: &SqliteStore,
    tenant: &TenantId,
    id: &str,
) -> StoreResult<Vec<StatusChange>> {
    let (t, id) = (tenant.0.clone(), id.to_owned());
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT h.at, h.status, h.moved_from, h.moved_to FROM status_history h
                 JOIN reservations r ON r.id = h.reservation_id
                 WHERE r.tenant_id = ?1 AND h.reservation_id = ?2 ORDER BY h.at, h.rowid",
            )?;
            let rows = stmt.query_map(params![t, id], |r| {
                let status: String = r.get(1)?;
                Ok(StatusChange {
                    at: from_ts(r.get(0)?),
                    status: stored(1, &status, Status::parse)?,
                    from: r.get::<_, Option<i64>>(2)?.map(from_ts),
                    to: r.get::<_, Option<i64>>(3)?.map(from_ts),
                })
            })?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
}

pub(super) async fn expire_holds(store: &SqliteStore, now: DateTime<Utc>) -> StoreResult<usize> {
    store
        .with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT id FROM reservations WHERE status = 'held' AND expires_at <= ?1",
                )?;
                stmt.query_map(params![ts(now)], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            for id in &ids {
                tx.execute(
                    "UPDATE reservations SET status = 'released' WHERE id = ?1",
                    params![id],
                )?;
                record_status(&tx, id, Status::Released, now)?;
            }
            tx.commit()?;
            Ok(ids.len())
        })
        .await
}

pub(super) async fn set_external(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
    uid: &str,
) -> StoreResult<()> {
    let (t, reference, uid) = (tenant.0.clone(), reference.to_owned(), uid.to_owned());
    store
        .with(move |c| {
            c.execute(
                "UPDATE reservations SET external_uid = ?3 WHERE tenant_id = ?1 AND reference = ?2",
                params![t, reference, uid],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn external_of(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
) -> StoreResult<Option<String>> {
    let (t, reference) = (tenant.0.clone(), reference.to_owned());
    store
        .with(move |c| {
            c.query_row(
                "SELECT external_uid FROM reservations WHERE tenant_id = ?1 AND reference = ?2",
                params![t, reference],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(backend)
        })
        .await
}

pub(super) async fn by_external(
    store: &SqliteStore,
    uid: &str,
) -> StoreResult<Option<Reservation>> {
    let uid = uid.to_owned();
    store
        .with(move |c| {
            c.query_row(
                &format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE external_uid = ?1"),
                params![uid],
                reservation_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
}

pub(super) async fn business_change(
    store: &SqliteStore,
    tenant: &TenantId,
    reference: &str,
    change: &BusinessChange,
    now: DateTime<Utc>,
    plan: Planner,
) -> StoreResult<ChangeOutcome> {
    let (t, reference, change) = (tenant.0.clone(), reference.to_owned(), change.clone());
    store.with(move |c| {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            ?;
        let Some(r) =
            booking_in(&tx, &t, &reference, &[Status::Confirmed])?
        else {
            return Ok(ChangeOutcome::NotFound);
        };
        match &change {
            BusinessChange::Moved { start, end, uid } => {
                let (before, after) = (r.start - r.block_start, r.block_end - r.end);
                tx.execute(
                    "UPDATE reservations SET start_at = ?3, end_at = ?4, block_start = ?5, block_end = ?6,
                            external_uid = ?7
                     WHERE tenant_id = ?1 AND id = ?2",
                    params![t, r.id, ts(*start), ts(*end), ts(*start - before), ts(*end + after), uid],
                )
                ?;
                record_status(&tx, &r.id, Status::Confirmed, now)?;
            }
            BusinessChange::Cancelled => {
                set_status(&tx, &t, &r.id, Status::Cancelled, now)?;
            }
        }
        finish_change(tx, &t, &r.id, &plan, now, ChangeOutcome::NotFound)
    })
    .await
}
