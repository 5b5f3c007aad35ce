//! Customers: when they last wrote, opting out, language, and their ratings.

use super::reservations::begin;
use super::*;

pub(super) async fn seen(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    at: DateTime<Utc>,
    language: Option<Lang>,
) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "INSERT INTO customers (tenant_id, phone, last_seen, seen_at, language) VALUES ($1, $2, $3, $3, $4)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET
                last_seen = GREATEST(customers.last_seen, excluded.last_seen),
                seen_at = GREATEST(COALESCE(customers.seen_at, 0), excluded.seen_at),
                language = COALESCE(excluded.language, customers.language)",
            &[&tenant.0, &customer.as_e164(), &ts(at), &language.map(Lang::code)],
        )
        .await?;
    Ok(())
}

pub(super) async fn set_opted_out(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    opted_out: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "INSERT INTO customers (tenant_id, phone, last_seen, opted_out) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET opted_out = excluded.opted_out",
            &[&tenant.0, &customer.as_e164(), &ts(now), &opted_out],
        )
        .await?;
    Ok(())
}

pub(super) async fn reach(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
) -> StoreResult<Reach> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT seen_at, opted_out, language FROM customers WHERE tenant_id = $1 AND phone = $2",
            &[&tenant.0, &customer.as_e164()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Reach::default());
    };
    let language: Option<String> = row.try_get(2)?;
    Ok(Reach {
        seen_at: row.try_get::<_, Option<i64>>(0)?.map(from_ts),
        opted_out: row.try_get(1)?,
        language: language
            .as_deref()
            .map(|code| stored(code, Lang::from_code))
            .transpose()?,
    })
}

pub(super) async fn rate(
    store: &PgStore,
    tenant: &TenantId,
    customer: &PhoneNumber,
    reference: Option<&str>,
    stars: u8,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let (t, phone) = (tenant.0.as_str(), customer.as_e164());
    begin!(store, client, tx);
    // Without a reference: the booking the customer was last asked to rate.
    let reference: Option<String> = match reference {
        Some(r) => Some(r.to_owned()),
        None => tx
            .q_opt(
                "SELECT reference FROM outbox
                 WHERE tenant_id = $1 AND customer = $2 AND stage = 'follow_up' AND state = 'sent'
                 ORDER BY sent_at DESC LIMIT 1",
                &[&t, &phone],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    };
    let Some(reference) = reference else {
        return Ok(None);
    };
    let provider: Option<String> = tx
        .q_opt(
            "SELECT provider_id FROM reservations
             WHERE tenant_id = $1 AND reference = $2 AND customer = $3 AND status = 'confirmed' AND start_at <= $4",
            &[&t, &reference, &phone, &ts(now)],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let Some(provider) = provider else {
        return Ok(None);
    };
    tx.x(
        "INSERT INTO ratings (tenant_id, reference, provider_id, stars, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, reference) DO UPDATE SET stars = excluded.stars, at = excluded.at",
        &[&t, &reference, &provider, &i64::from(stars), &ts(now)],
    )
    .await?;
    let average: f64 = tx
        .q_one(
            "SELECT AVG(stars)::float8 FROM ratings WHERE tenant_id = $1 AND provider_id = $2",
            &[&t, &provider],
        )
        .await?
        .try_get(0)?;
    let doc: Option<String> = tx
        .q_opt(
            "SELECT doc FROM providers WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            &[&t, &provider],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    if let Some(doc) = doc {
        let mut record: ProviderRecord = from_doc(&doc)?;
        record.rating_tenths = Some((average * 10.0).round().clamp(0.0, 50.0) as u8);
        tx.x(
            "UPDATE providers SET doc = $3 WHERE tenant_id = $1 AND id = $2",
            &[&t, &provider, &to_doc(&record)?],
        )
        .await?;
        bump_version(&tx, t).await?;
    }
    tx.commit().await?;
    Ok(Some(reference))
}

pub(super) async fn customers(store: &PgStore, tenant: &TenantId) -> StoreResult<Vec<Customer>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT phone, name, language, opted_out, bookings FROM customers
             WHERE tenant_id = $1 ORDER BY last_seen DESC",
            &[&tenant.0],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let phone: String = r.try_get(0)?;
        let Ok(phone) = PhoneNumber::parse(&phone) else {
            continue;
        };
        let language: Option<String> = r.try_get(2)?;
        out.push(Customer {
            phone,
            name: r.try_get(1)?,
            language: language
                .as_deref()
                .map(|code| stored(code, Lang::from_code))
                .transpose()?,
            opted_out: r.try_get(3)?,
            bookings: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(0),
        });
    }
    Ok(out)
}

pub(super) async fn count_use(
    store: &PgStore,
    tenant: &TenantId,
    what: &str,
    limit: u32,
) -> StoreResult<bool> {
    let client = store.client().await?;
    let n = client
        .x(
            "INSERT INTO usage (tenant_id, what, count) SELECT $1::TEXT, $2::TEXT, 1
             WHERE $3::BIGINT > 0
             ON CONFLICT (tenant_id, what) DO UPDATE SET count = usage.count + 1
             WHERE usage.count < $3::BIGINT",
            &[&tenant.0, &what, &i64::from(limit)],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn claim_nonce(
    store: &PgStore,
    nonce: &str,
    now: DateTime<Utc>,
    forget_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let client = store.client().await?;
    // Forgotten nonces go now and then, not on every call.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if CALLS
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .is_multiple_of(1024)
    {
        client
            .x("DELETE FROM nonces WHERE forget_at <= $1", &[&ts(now)])
            .await?;
    }
    let n = client
        .x(
            "INSERT INTO nonces (nonce, forget_at) VALUES ($1, $2)
             ON CONFLICT (nonce) DO UPDATE SET forget_at = excluded.forget_at
             WHERE nonces.forget_at <= $3",
            &[&nonce, &ts(forget_at), &ts(now)],
        )
        .await?;
    Ok(n > 0)
}
