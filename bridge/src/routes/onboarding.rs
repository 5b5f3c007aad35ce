//! The first-time setup: the services a new business starts from, and how far its owner
//! has got through the wizard.
//!
//! - `GET /admin/service-templates?kind=salon&languages=es,en&currency=EUR`: starting
//!   services for a kind of business, in its languages and currency (not saved: the owner
//!   edits them and adds the ones they keep through `POST …/services`).
//! - `PUT /admin/tenants/{tenant}/onboarding`: the wizard's progress (owners).

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use slotline_shared::lang::Lang;

use super::{AppState, JsonBody};
use crate::auth::Caller;
use crate::error::AppError;
use crate::model::{
    BusinessKind, FieldErrors, Onboarding, ServiceRecord, TEMPLATE_CURRENCIES, service_templates,
};

/// The onboarding routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/service-templates", get(templates))
        .route("/admin/tenants/{tenant}/onboarding", put(put_onboarding))
}

#[derive(Debug, Deserialize)]
struct TemplateQuery {
    kind: String,
    #[serde(default)]
    languages: Option<String>,
    #[serde(default)]
    currency: Option<String>,
}

/// `GET /admin/service-templates`.
async fn templates(
    _me: Caller,
    Query(q): Query<TemplateQuery>,
) -> Result<Json<Vec<ServiceRecord>>, AppError> {
    let mut errors = FieldErrors::new();
    let kind: Option<BusinessKind> =
        serde_json::from_value(serde_json::Value::String(q.kind.clone())).ok();
    if kind.is_none() {
        errors.insert(
            "kind".into(),
            "one of salon, barber, clinic, consultant, fitness, other".into(),
        );
    }
    let mut languages = Vec::new();
    for code in q
        .languages
        .as_deref()
        .unwrap_or("en")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match Lang::from_code(code) {
            Some(l) if !languages.contains(&l) => languages.push(l),
            Some(_) => {}
            None => {
                errors.insert("languages".into(), "codes among en, es, pt, pt-BR".into());
            }
        }
    }
    let currency = q.currency.as_deref().unwrap_or("EUR").trim().to_uppercase();
    if !TEMPLATE_CURRENCIES.contains(&currency.as_str()) {
        errors.insert(
            "currency".into(),
            format!("one of {}", TEMPLATE_CURRENCIES.join(", ")),
        );
    }
    match kind {
        Some(kind) if errors.is_empty() => service_templates(kind, &languages, &currency)
            .map(Json)
            .ok_or(AppError::Invalid(errors)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// `PUT …/onboarding`: saves the wizard's progress; the business as it now stands.
async fn put_onboarding(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(mut progress): JsonBody<Onboarding>,
) -> Result<Json<crate::model::Tenant>, AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    progress.done.sort();
    progress.done.dedup();
    // Finishing is the owner's word, stamped with the bridge's clock.
    progress.finished_at = match (progress.finished_at, t.onboarding.finished_at) {
        (None, _) => None,
        (Some(_), Some(first)) => Some(first),
        (Some(_), None) => Some(state.clock.now()),
    };
    t.onboarding = progress;
    state.store.update_tenant(&t).await?;
    Ok(Json(t))
}
