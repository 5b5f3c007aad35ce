//! Tenants, services, providers and hours: settings records kept as JSON documents.

use super::*;

pub(super) async fn health(store: &SqliteStore) -> StoreHealth {
    let backend_name = "sqlite".to_owned();
    match store
        .with(|c| {
            c.query_row("SELECT 1", params![], |row| row.get::<_, i64>(0))
                .map_err(backend)
        })
        .await
    {
        Ok(_) => StoreHealth::Ok {
            backend: backend_name,
        },
        Err(e) => {
            tracing::warn!(error = %e, "sqlite health check failed");
            StoreHealth::Unavailable {
                backend: backend_name,
                reason: "database did not answer".into(),
            }
        }
    }
}

pub(super) async fn create_tenant(
    store: &SqliteStore,
    tenant: &Tenant,
    key_hash: &str,
) -> StoreResult<()> {
    let (id, doc, key_hash) = (tenant.id.0.clone(), to_doc(tenant)?, key_hash.to_owned());
    store
        .with(move |c| {
            let n = c.execute(
                "INSERT INTO tenants (id, doc, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![id, doc, key_hash, ts(Utc::now())],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("tenant {id}")));
            }
            Ok(())
        })
        .await
}

pub(super) async fn update_tenant(store: &SqliteStore, tenant: &Tenant) -> StoreResult<()> {
    let (id, doc) = (tenant.id.0.clone(), to_doc(tenant)?);
    store
        .with(move |c| {
            let n = c.execute(
                "UPDATE tenants SET doc = ?2, version = version + 1 WHERE id = ?1",
                params![id, doc],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("tenant {id}")));
            }
            Ok(())
        })
        .await
}

pub(super) async fn tenant(store: &SqliteStore, id: &TenantId) -> StoreResult<Option<Tenant>> {
    let id = id.0.clone();
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row("SELECT doc FROM tenants WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            doc.map(|d| from_doc(&d)).transpose()
        })
        .await
}

pub(super) async fn tenant_for_key(
    store: &SqliteStore,
    key_hash: &str,
) -> StoreResult<Option<TenantId>> {
    let key_hash = key_hash.to_owned();
    store
        .with(move |c| {
            c.query_row(
                "SELECT id FROM tenants WHERE key_hash = ?1",
                params![key_hash],
                |r| r.get(0).map(TenantId),
            )
            .optional()
            .map_err(backend)
        })
        .await
}

pub(super) async fn tenants(store: &SqliteStore) -> StoreResult<Vec<Tenant>> {
    store
        .with(|c| {
            let mut stmt = c.prepare("SELECT doc FROM tenants ORDER BY created_at, id")?;
            let docs: Vec<String> = stmt
                .query_map(params![], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}

pub(super) async fn config_version(store: &SqliteStore, tenant: &TenantId) -> StoreResult<u64> {
    let id = tenant.0.clone();
    store
        .with(move |c| {
            let v: Option<i64> = c
                .query_row(
                    "SELECT version FROM tenants WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            v.map(|v| u64::try_from(v).unwrap_or(0))
                .ok_or_else(|| StoreError::NotFound(format!("tenant {id}")))
        })
        .await
}

pub(super) async fn put_service(
    store: &SqliteStore,
    tenant: &TenantId,
    service: &ServiceRecord,
) -> StoreResult<()> {
    store
        .put_doc("services", tenant, service.id.0.clone(), to_doc(service)?)
        .await
}

pub(super) async fn delete_service(
    store: &SqliteStore,
    tenant: &TenantId,
    id: &ServiceId,
) -> StoreResult<bool> {
    store.delete_doc("services", tenant, id.0.clone()).await
}

pub(super) async fn services(
    store: &SqliteStore,
    tenant: &TenantId,
) -> StoreResult<Vec<ServiceRecord>> {
    store.docs("services", tenant).await
}

pub(super) async fn put_provider(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderRecord,
) -> StoreResult<()> {
    store
        .put_doc(
            "providers",
            tenant,
            provider.id.0.clone(),
            to_doc(provider)?,
        )
        .await
}

pub(super) async fn delete_provider(
    store: &SqliteStore,
    tenant: &TenantId,
    id: &ProviderId,
) -> StoreResult<bool> {
    store.delete_doc("providers", tenant, id.0.clone()).await
}

pub(super) async fn providers(
    store: &SqliteStore,
    tenant: &TenantId,
) -> StoreResult<Vec<ProviderRecord>> {
    store.docs("providers", tenant).await
}

pub(super) async fn set_weekly(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderId,
    weekly: &Weekly,
) -> StoreResult<()> {
    let (t, p, doc) = (tenant.0.clone(), provider.0.clone(), to_doc(weekly)?);
    store
        .with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO weekly (tenant_id, provider_id, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, provider_id) DO UPDATE SET doc = excluded.doc",
                params![t, p, doc],
            )?;
            bump_version(&tx, &t)?;
            tx.commit().map_err(backend)
        })
        .await
}

pub(super) async fn weekly(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderId,
) -> StoreResult<Weekly> {
    let (t, p) = (tenant.0.clone(), provider.0.clone());
    store
        .with(move |c| {
            let doc: Option<String> = c
                .query_row(
                    "SELECT doc FROM weekly WHERE tenant_id = ?1 AND provider_id = ?2",
                    params![t, p],
                    |r| r.get(0),
                )
                .optional()?;
            doc.map_or(Ok(Weekly::default()), |d| from_doc(&d))
        })
        .await
}

pub(super) async fn put_override(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderId,
    o: &DateOverride,
) -> StoreResult<()> {
    let (t, p, date, doc) = (
        tenant.0.clone(),
        provider.0.clone(),
        o.date.to_string(),
        to_doc(o)?,
    );
    store
        .with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO overrides (tenant_id, provider_id, date, doc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant_id, provider_id, date) DO UPDATE SET doc = excluded.doc",
                params![t, p, date, doc],
            )?;
            bump_version(&tx, &t)?;
            tx.commit().map_err(backend)
        })
        .await
}

pub(super) async fn delete_override(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderId,
    date: NaiveDate,
) -> StoreResult<bool> {
    let (t, p, date) = (tenant.0.clone(), provider.0.clone(), date.to_string());
    store
        .with(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "DELETE FROM overrides WHERE tenant_id = ?1 AND provider_id = ?2 AND date = ?3",
                params![t, p, date],
            )?;
            bump_version(&tx, &t)?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
}

pub(super) async fn overrides(
    store: &SqliteStore,
    tenant: &TenantId,
    provider: &ProviderId,
) -> StoreResult<Vec<DateOverride>> {
    let (t, p) = (tenant.0.clone(), provider.0.clone());
    store
        .with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT doc FROM overrides WHERE tenant_id = ?1 AND provider_id = ?2 ORDER BY date",
            )?;
            let docs: Vec<String> = stmt
                .query_map(params![t, p], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
}
