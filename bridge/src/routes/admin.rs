//! The admin API: tenants, services, providers, hours, bookings and customers.
//!
//! Every route but tenant creation is under `/admin/tenants/{tenant}`, and the caller's key
//! must reach that tenant ([`Admin::check`]). Bodies are validated field by field; a
//! change to the catalog or hours tells the scheduler to forget what it cached.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{ProviderId, ServiceId, TenantId};

use super::{AppState, JsonBody};
use crate::auth::{self, Admin};
use crate::engine::day_bounds;
use crate::error::AppError;
use crate::model::{
    Customer, DateOverride, ProviderRecord, Reservation, ServiceRecord, StatusChange, Tenant,
    Validate, Weekly,
};

/// The OpenAPI description of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// The admin API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/openapi.json", get(openapi))
        .route("/admin/tenants", get(list_tenants).post(create_tenant))
        .route("/admin/tenants/{tenant}", get(get_tenant).put(put_tenant))
        .route(
            "/admin/tenants/{tenant}/services",
            get(list_services).post(post_service),
        )
        .route(
            "/admin/tenants/{tenant}/services/{id}",
            get(get_service).put(put_service).delete(delete_service),
        )
        .route(
            "/admin/tenants/{tenant}/providers",
            get(list_providers).post(post_provider),
        )
        .route(
            "/admin/tenants/{tenant}/providers/{id}",
            get(get_provider).put(put_provider).delete(delete_provider),
        )
        .route(
            "/admin/tenants/{tenant}/providers/{id}/availability",
            get(get_weekly).put(put_weekly),
        )
        .route(
            "/admin/tenants/{tenant}/providers/{id}/overrides",
            get(list_overrides).post(post_override),
        )
        .route(
            "/admin/tenants/{tenant}/providers/{id}/overrides/{date}",
            axum::routing::delete(delete_override),
        )
        .route("/admin/tenants/{tenant}/bookings", get(list_bookings))
        .route("/admin/tenants/{tenant}/customers", get(list_customers))
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Admin, AppError> {
    auth::admin(headers, state.operator_key.as_deref(), state.store.as_ref()).await
}

/// Checks the caller may act on `tenant` and that it exists.
async fn tenant_for(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
) -> Result<Tenant, AppError> {
    let id = TenantId(tenant.to_owned());
    caller(state, headers).await?.check(&id)?;
    state
        .store
        .tenant(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("tenant {tenant}")))
}

fn valid<T: Validate>(record: &T) -> Result<(), AppError> {
    let problems = record.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

fn same_id(path: &str, body: &str) -> Result<(), AppError> {
    if path == body {
        Ok(())
    } else {
        Err(AppError::Invalid(
            [("id".to_owned(), format!("must match the path ({path})"))]
                .into_iter()
                .collect(),
        ))
    }
}

// ----- tenants ---------------------------------------------------------------------------

#[derive(Serialize)]
struct Created {
    tenant: Tenant,
    /// The tenant's API key; shown once, only its hash is kept.
    api_key: String,
}

async fn create_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(tenant): JsonBody<Tenant>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    caller(&state, &headers).await?.operator()?;
    valid(&tenant)?;
    let api_key = auth::new_key()?;
    state
        .store
        .create_tenant(&tenant, &auth::key_hash(&api_key))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { tenant, api_key })))
}

async fn list_tenants(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Tenant>>, AppError> {
    let tenants = match caller(&state, &headers).await? {
        Admin::Operator => state.store.tenants().await?,
        Admin::Tenant(id) => state.store.tenant(&id).await?.into_iter().collect(),
    };
    Ok(Json(tenants))
}

async fn get_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<Tenant>, AppError> {
    Ok(Json(tenant_for(&state, &headers, &tenant).await?))
}

async fn put_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<Tenant>,
) -> Result<Json<Tenant>, AppError> {
    tenant_for(&state, &headers, &tenant).await?;
    same_id(&tenant, body.id.as_str())?;
    valid(&body)?;
    state.store.update_tenant(&body).await?;
    state.scheduler.config_changed(&body.id);
    Ok(Json(body))
}

// ----- services --------------------------------------------------------------------------

async fn list_services(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<ServiceRecord>>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    Ok(Json(state.store.services(&t.id).await?))
}

async fn get_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ServiceRecord>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let services = state.store.services(&t.id).await?;
    services
        .into_iter()
        .find(|s| s.id.as_str() == id)
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("service {id}")))
}

async fn save_service(
    state: &AppState,
    t: &Tenant,
    service: &ServiceRecord,
) -> Result<(), AppError> {
    valid(service)?;
    state.store.put_service(&t.id, service).await?;
    state.scheduler.config_changed(&t.id);
    Ok(())
}

async fn post_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    JsonBody(service): JsonBody<ServiceRecord>,
) -> Result<(StatusCode, Json<ServiceRecord>), AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    if state
        .store
        .services(&t.id)
        .await?
        .iter()
        .any(|s| s.id == service.id)
    {
        return Err(AppError::Conflict(format!("service {}", service.id)));
    }
    save_service(&state, &t, &service).await?;
    Ok((StatusCode::CREATED, Json(service)))
}

async fn put_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(service): JsonBody<ServiceRecord>,
) -> Result<Json<ServiceRecord>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    same_id(&id, service.id.as_str())?;
    save_service(&state, &t, &service).await?;
    Ok(Json(service))
}

async fn delete_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    if !state
        .store
        .delete_service(&t.id, &ServiceId(id.clone()))
        .await?
    {
        return Err(AppError::NotFound(format!("service {id}")));
    }
    state.scheduler.config_changed(&t.id);
    Ok(StatusCode::NO_CONTENT)
}

// ----- providers -------------------------------------------------------------------------

async fn list_providers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<ProviderRecord>>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    Ok(Json(state.store.providers(&t.id).await?))
}

async fn provider_of(state: &AppState, t: &Tenant, id: &str) -> Result<ProviderRecord, AppError> {
    state
        .store
        .providers(&t.id)
        .await?
        .into_iter()
        .find(|p| p.id.as_str() == id)
        .ok_or_else(|| AppError::NotFound(format!("provider {id}")))
}

async fn get_provider(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ProviderRecord>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    Ok(Json(provider_of(&state, &t, &id).await?))
}

async fn save_provider(
    state: &AppState,
    t: &Tenant,
    provider: &ProviderRecord,
) -> Result<(), AppError> {
    let mut problems = provider.problems();
    let services = state.store.services(&t.id).await?;
    let unknown: Vec<&str> = provider
        .services
        .iter()
        .filter(|id| !services.iter().any(|s| &s.id == *id))
        .map(|id| id.as_str())
        .collect();
    if !unknown.is_empty() {
        problems.insert(
            "services".into(),
            format!("unknown services: {}", unknown.join(", ")),
        );
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    state.store.put_provider(&t.id, provider).await?;
    state.scheduler.config_changed(&t.id);
    Ok(())
}

async fn post_provider(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    JsonBody(provider): JsonBody<ProviderRecord>,
) -> Result<(StatusCode, Json<ProviderRecord>), AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    if state
        .store
        .providers(&t.id)
        .await?
        .iter()
        .any(|p| p.id == provider.id)
    {
        return Err(AppError::Conflict(format!("provider {}", provider.id)));
    }
    save_provider(&state, &t, &provider).await?;
    Ok((StatusCode::CREATED, Json(provider)))
}

async fn put_provider(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(provider): JsonBody<ProviderRecord>,
) -> Result<Json<ProviderRecord>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    same_id(&id, provider.id.as_str())?;
    save_provider(&state, &t, &provider).await?;
    Ok(Json(provider))
}

async fn delete_provider(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    if !state
        .store
        .delete_provider(&t.id, &ProviderId(id.clone()))
        .await?
    {
        return Err(AppError::NotFound(format!("provider {id}")));
    }
    state.scheduler.config_changed(&t.id);
    Ok(StatusCode::NO_CONTENT)
}

async fn get_weekly(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Weekly>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let p = provider_of(&state, &t, &id).await?;
    Ok(Json(state.store.weekly(&t.id, &p.id).await?))
}

async fn put_weekly(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(weekly): JsonBody<Weekly>,
) -> Result<Json<Weekly>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let p = provider_of(&state, &t, &id).await?;
    valid(&weekly)?;
    state.store.set_weekly(&t.id, &p.id, &weekly).await?;
    state.scheduler.config_changed(&t.id);
    Ok(Json(weekly))
}

async fn list_overrides(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Vec<DateOverride>>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let p = provider_of(&state, &t, &id).await?;
    Ok(Json(state.store.overrides(&t.id, &p.id).await?))
}

async fn post_override(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(o): JsonBody<DateOverride>,
) -> Result<(StatusCode, Json<DateOverride>), AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let p = provider_of(&state, &t, &id).await?;
    valid(&o)?;
    state.store.put_override(&t.id, &p.id, &o).await?;
    state.scheduler.config_changed(&t.id);
    Ok((StatusCode::CREATED, Json(o)))
}

async fn delete_override(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((tenant, id, date)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let p = provider_of(&state, &t, &id).await?;
    let date: NaiveDate = date
        .parse()
        .map_err(|_| AppError::BadRequest(format!("{date:?} is not a date like 2026-12-24")))?;
    if !state.store.delete_override(&t.id, &p.id, date).await? {
        return Err(AppError::NotFound(format!("override on {date}")));
    }
    state.scheduler.config_changed(&t.id);
    Ok(StatusCode::NO_CONTENT)
}

// ----- bookings and customers ------------------------------------------------------------

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct BookingView {
    #[serde(flatten)]
    reservation: Reservation,
    history: Vec<StatusChange>,
}

async fn list_bookings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    Query(range): Query<Range>,
) -> Result<Json<Vec<BookingView>>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    let parse = |name: &str, v: Option<String>| -> Result<Option<NaiveDate>, AppError> {
        v.map(|v| {
            v.parse().map_err(|_| {
                AppError::Invalid(
                    [(name.to_owned(), "a date like 2026-12-24".to_owned())]
                        .into_iter()
                        .collect(),
                )
            })
        })
        .transpose()
    };
    let today = state.clock.now().with_timezone(&t.zone).date_naive();
    let from = parse("from", range.from)?.unwrap_or(today);
    let to = parse("to", range.to)?.unwrap_or(from + Duration::days(30));
    if to < from {
        return Err(AppError::Invalid(
            [("to".to_owned(), "on or after from".to_owned())]
                .into_iter()
                .collect(),
        ));
    }
    let (start, _) = day_bounds(t.zone, from);
    let (_, end) = day_bounds(t.zone, to);
    let mut out = Vec::new();
    for r in state.store.bookings(&t.id, start, end).await? {
        let history = state.store.history(&t.id, &r.id).await?;
        out.push(BookingView {
            reservation: r,
            history,
        });
    }
    Ok(Json(out))
}

async fn list_customers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Customer>>, AppError> {
    let t = tenant_for(&state, &headers, &tenant).await?;
    Ok(Json(state.store.customers(&t.id).await?))
}
