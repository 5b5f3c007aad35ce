//! Customers: when they last wrote, opting out, language, and their ratings.

use super::*;

pub(super) async fn seen(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    at: DateTime<Utc>,
    language: Option<Lang>,
) -> StoreResult<()> {
    let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
    store.with(move |c| {
        c.execute(
            "INSERT INTO customers (tenant_id, phone, last_seen, seen_at, language) VALUES (?1, ?2, ?3, ?3, ?4)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET
                last_seen = MAX(last_seen, excluded.last_seen),
                seen_at = MAX(COALESCE(seen_at, 0), excluded.seen_at),
                language = COALESCE(excluded.language, language)",
            params![t, phone, ts(at), language.map(Lang::code)],
        )
        ?;
        Ok(())
    })
    .await
}

pub(super) async fn set_opted_out(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    opted_out: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
    store
        .with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
            "INSERT INTO customers (tenant_id, phone, last_seen, opted_out) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET opted_out = excluded.opted_out",
            params![t, phone, ts(now), i64::from(opted_out)],
        )
        ?;
            tx.commit().map_err(backend)
        })
        .await
}

pub(super) async fn reach(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
) -> StoreResult<Reach> {
    let (t, phone) = (tenant.0.clone(), customer.as_e164().to_owned());
    store.with(move |c| {
        let row = c
            .query_row(
                "SELECT seen_at, opted_out, language FROM customers WHERE tenant_id = ?1 AND phone = ?2",
                params![t, phone],
                |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()
            ?;
        let Some((seen, opted_out, language)) = row else {
            return Ok(Reach::default());
        };
        Ok(Reach {
            seen_at: seen.map(from_ts),
            opted_out: opted_out != 0,
            language: language
                .as_deref()
                .map(|code| stored(2, code, Lang::from_code))
                .transpose()
                ?,
        })
    })
    .await
}

pub(super) async fn rate(
    store: &SqliteStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    reference: Option<&str>,
    stars: u8,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let (t, phone, reference) = (
        tenant.0.clone(),
        customer.as_e164().to_owned(),
        reference.map(str::to_owned),
    );
    store.with(move |c| {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            ?;
        // Without a reference: the booking the customer was last asked to rate.
        let reference = match reference {
            Some(r) => Some(r),
            None => tx
                .query_row(
                    "SELECT reference FROM outbox
                     WHERE tenant_id = ?1 AND customer = ?2 AND stage = 'follow_up' AND state = 'sent'
                     ORDER BY sent_at DESC LIMIT 1",
                    params![t, phone],
                    |r| r.get::<_, String>(0),
                )
                .optional()
                ?,
        };
        let Some(reference) = reference else {
            return Ok(None);
        };
        let provider: Option<String> = tx
            .query_row(
                "SELECT provider_id FROM reservations
                 WHERE tenant_id = ?1 AND reference = ?2 AND customer = ?3 AND status = 'confirmed' AND start_at <= ?4",
                params![t, reference, phone, ts(now)],
                |r| r.get(0),
            )
            .optional()
            ?;
        let Some(provider) = provider else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO ratings (tenant_id, reference, provider_id, stars, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant_id, reference) DO UPDATE SET stars = excluded.stars, at = excluded.at",
            params![t, reference, provider, i64::from(stars), ts(now)],
        )
        ?;
        let average: f64 = tx
            .query_row(
                "SELECT AVG(stars) FROM ratings WHERE tenant_id = ?1 AND provider_id = ?2",
                params![t, provider],
                |r| r.get(0),
            )
            ?;
        let doc: Option<String> = tx
            .query_row(
                "SELECT doc FROM providers WHERE tenant_id = ?1 AND id = ?2",
                params![t, provider],
                |r| r.get(0),
            )
            .optional()
            ?;
        if let Some(doc) = doc {
            let mut record: ProviderRecord = from_doc(&doc)?;
            record.rating_tenths = Some((average * 10.0).round().clamp(0.0, 50.0) as u8);
            tx.execute(
                "UPDATE providers SET doc = ?3 WHERE tenant_id = ?1 AND id = ?2",
                params![t, provider, to_doc(&record)?],
            )
            ?;
            bump_version(&tx, &t)?;
        }
        tx.commit()?;
        Ok(Some(reference))
    })
    .await
}

pub(super) async fn customers(
    store: &SqliteStore,
    tenant: &TenantId,
) -> StoreResult<Vec<Customer>> {
    let t = tenant.0.clone();
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT phone, name, language, opted_out, bookings FROM customers
                 WHERE tenant_id = ?1 ORDER BY last_seen DESC",
            )?;
            let rows = stmt.query_map(params![t], |r| {
                let phone: String = r.get(0)?;
                let language: Option<String> = r.get(2)?;
                Ok((
                    phone,
                    r.get(1)?,
                    language,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (phone, name, language, opted_out, bookings) = row?;
                let Ok(phone) = PhoneNumber::parse(&phone) else {
                    continue;
                };
                out.push(Customer {
                    phone,
                    name,
                    language: language
                        .as_deref()
                        .map(|code| stored(3, code, Lang::from_code))
                        .transpose()?,
                    opted_out: opted_out != 0,
                    bookings: u32::try_from(bookings).unwrap_or(0),
                });
            }
            Ok(out)
        })
        .await
}

pub(super) async fn claim_nonce(
    store: &SqliteStore,
    nonce: &str,
    now: DateTime<Utc>,
    forget_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let nonce = nonce.to_owned();
    store
        .with(move |c| {
            // Forgotten nonces go now and then, not on every call.
            if rand_tick() {
                c.execute("DELETE FROM nonces WHERE forget_at <= ?1", params![ts(now)])?;
            }
            let n = c.execute(
                "INSERT INTO nonces (nonce, forget_at) VALUES (?1, ?2)
                 ON CONFLICT (nonce) DO UPDATE SET forget_at = excluded.forget_at
                 WHERE nonces.forget_at <= ?3",
                params![nonce, ts(forget_at), ts(now)],
            )?;
            Ok(n > 0)
        })
        .await
}

pub(super) async fn mark_changing(
    store: &SqliteStore,
    key: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<String> {
    let (key, token) = (key.to_owned(), new_id());
    let t = token.clone();
    store
        .with(move |c| {
            // Marks of bridges that died mid-change go with the next mark.
            c.execute("DELETE FROM changing WHERE until <= ?1", params![ts(now)])?;
            c.execute(
                "INSERT INTO changing (key, token, until) VALUES (?1, ?2, ?3)",
                params![key, t, ts(until)],
            )?;
            Ok(())
        })
        .await?;
    Ok(token)
}

pub(super) async fn unmark_changing(
    store: &SqliteStore,
    key: &str,
    token: &str,
) -> StoreResult<()> {
    let (key, token) = (key.to_owned(), token.to_owned());
    store
        .with(move |c| {
            c.execute(
                "DELETE FROM changing WHERE key = ?1 AND token = ?2",
                params![key, token],
            )?;
            Ok(())
        })
        .await
}

pub(super) async fn is_changing(
    store: &SqliteStore,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let key = key.to_owned();
    store
        .with(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM changing WHERE key = ?1 AND until > ?2)",
                params![key, ts(now)],
                |r| r.get::<_, bool>(0),
            )?)
        })
        .await
}

pub(super) async fn count_use(
    store: &SqliteStore,
    tenant: &TenantId,
    what: &str,
    limit: u32,
) -> StoreResult<bool> {
    let (t, w) = (tenant.0.clone(), what.to_owned());
    store
        .with(move |c| {
            // One statement: the row is created at 1 or raised while under the limit.
            let n = c.execute(
                "INSERT INTO usage (tenant_id, what, count) SELECT ?1, ?2, 1 WHERE ?3 > 0
                 ON CONFLICT (tenant_id, what) DO UPDATE SET count = usage.count + 1
                 WHERE usage.count < ?3",
                params![t, w, i64::from(limit)],
            )?;
            Ok(n > 0)
        })
        .await
}

/// True about once in 1,024 calls.
fn rand_tick() -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    CALLS.fetch_add(1, Ordering::Relaxed).is_multiple_of(1024)
}
