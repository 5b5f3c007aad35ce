//! Tenants, services, providers and hours: settings records kept as JSON documents.

use super::*;

pub(super) async fn health(store: &PgStore) -> StoreHealth {
    let backend_name = "postgres".to_owned();
    let answered = async {
        let client = store.client().await?;
        client.q_one("SELECT 1", &[]).await?;
        Ok::<_, StoreError>(())
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), answered).await {
        Ok(Ok(())) => StoreHealth::Ok {
            backend: backend_name,
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "postgres health check failed");
            StoreHealth::Unavailable {
                backend: backend_name,
                reason: "database did not answer".into(),
            }
        }
        Err(_) => StoreHealth::Unavailable {
            backend: backend_name,
            reason: "database did not answer within 3 s".into(),
        },
    }
}

pub(super) async fn create_tenant(
    store: &PgStore,
    tenant: &Tenant,
    key_hash: &str,
) -> StoreResult<()> {
    let doc = to_doc(tenant)?;
    let client = store.client().await?;
    let n = client
        .x(
            "INSERT INTO tenants (id, doc, key_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
            &[&tenant.id.0, &doc, &key_hash, &ts(Utc::now())],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("tenant {}", tenant.id.0)));
    }
    Ok(())
}

pub(super) async fn update_tenant(store: &PgStore, tenant: &Tenant) -> StoreResult<()> {
    let doc = to_doc(tenant)?;
    let client = store.client().await?;
    let n = client
        .x(
            "UPDATE tenants SET doc = $2, version = version + 1 WHERE id = $1",
            &[&tenant.id.0, &doc],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("tenant {}", tenant.id.0)));
    }
    Ok(())
}

pub(super) async fn tenant(store: &PgStore, id: &TenantId) -> StoreResult<Option<Tenant>> {
    let client = store.client().await?;
    let row = client
        .q_opt("SELECT doc FROM tenants WHERE id = $1", &[&id.0])
        .await?;
    row.map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .transpose()
}

pub(super) async fn tenant_for_key(
    store: &PgStore,
    key_hash: &str,
) -> StoreResult<Option<TenantId>> {
    let client = store.client().await?;
    let row = client
        .q_opt("SELECT id FROM tenants WHERE key_hash = $1", &[&key_hash])
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.map(TenantId))
}

pub(super) async fn tenants(store: &PgStore) -> StoreResult<Vec<Tenant>> {
    let client = store.client().await?;
    let rows = client
        .q("SELECT doc FROM tenants ORDER BY created_at, id", &[])
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}

pub(super) async fn config_version(store: &PgStore, tenant: &TenantId) -> StoreResult<u64> {
    let client = store.client().await?;
    let row = client
        .q_opt("SELECT version FROM tenants WHERE id = $1", &[&tenant.0])
        .await?;
    let version: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
    version
        .map(|v| u64::try_from(v).unwrap_or(0))
        .ok_or_else(|| StoreError::NotFound(format!("tenant {}", tenant.0)))
}

pub(super) async fn put_service(
    store: &PgStore,
    tenant: &TenantId,
    service: &ServiceRecord,
) -> StoreResult<()> {
    store
        .put_doc("services", tenant, &service.id.0, to_doc(service)?)
        .await
}

pub(super) async fn delete_service(
    store: &PgStore,
    tenant: &TenantId,
    id: &ServiceId,
) -> StoreResult<bool> {
    store.delete_doc("services", tenant, &id.0).await
}

pub(super) async fn services(
    store: &PgStore,
    tenant: &TenantId,
) -> StoreResult<Vec<ServiceRecord>> {
    store.docs("services", tenant).await
}

pub(super) async fn put_provider(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderRecord,
) -> StoreResult<()> {
    store
        .put_doc("providers", tenant, &provider.id.0, to_doc(provider)?)
        .await
}

pub(super) async fn delete_provider(
    store: &PgStore,
    tenant: &TenantId,
    id: &ProviderId,
) -> StoreResult<bool> {
    store.delete_doc("providers", tenant, &id.0).await
}

pub(super) async fn providers(
    store: &PgStore,
    tenant: &TenantId,
) -> StoreResult<Vec<ProviderRecord>> {
    store.docs("providers", tenant).await
}

pub(super) async fn set_weekly(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderId,
    weekly: &Weekly,
) -> StoreResult<()> {
    let doc = to_doc(weekly)?;
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    tx.x(
        "INSERT INTO weekly (tenant_id, provider_id, doc) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, provider_id) DO UPDATE SET doc = excluded.doc",
        &[&tenant.0, &provider.0, &doc],
    )
    .await?;
    bump_version(&tx, &tenant.0).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn weekly(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderId,
) -> StoreResult<Weekly> {
    let client = store.client().await?;
    let row = client
        .q_opt(
            "SELECT doc FROM weekly WHERE tenant_id = $1 AND provider_id = $2",
            &[&tenant.0, &provider.0],
        )
        .await?;
    match row {
        Some(r) => from_doc(&r.try_get::<_, String>(0)?),
        None => Ok(Weekly::default()),
    }
}

pub(super) async fn put_override(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderId,
    o: &DateOverride,
) -> StoreResult<()> {
    let (date, doc) = (o.date.to_string(), to_doc(o)?);
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    tx.x(
        "INSERT INTO overrides (tenant_id, provider_id, date, doc) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, provider_id, date) DO UPDATE SET doc = excluded.doc",
        &[&tenant.0, &provider.0, &date, &doc],
    )
    .await?;
    bump_version(&tx, &tenant.0).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete_override(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderId,
    date: NaiveDate,
) -> StoreResult<bool> {
    let date = date.to_string();
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    let n = tx
        .x(
            "DELETE FROM overrides WHERE tenant_id = $1 AND provider_id = $2 AND date = $3",
            &[&tenant.0, &provider.0, &date],
        )
        .await?;
    bump_version(&tx, &tenant.0).await?;
    tx.commit().await?;
    Ok(n > 0)
}

pub(super) async fn overrides(
    store: &PgStore,
    tenant: &TenantId,
    provider: &ProviderId,
) -> StoreResult<Vec<DateOverride>> {
    let client = store.client().await?;
    let rows = client
        .q(
            "SELECT doc FROM overrides WHERE tenant_id = $1 AND provider_id = $2 ORDER BY date",
            &[&tenant.0, &provider.0],
        )
        .await?;
    rows.iter()
        .map(|r| from_doc(&r.try_get::<_, String>(0)?))
        .collect()
}
