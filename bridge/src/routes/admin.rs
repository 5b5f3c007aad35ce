//! The admin API: tenants, services, providers, hours, bookings and customers.
//!
//! Every route but tenant creation is under `/admin/tenants/{tenant}`, and the caller's key
//! must reach that tenant ([`Admin::check`]). Bodies are validated field by field; a
//! change to the catalog or hours tells the scheduler to forget what it cached.

use async_trait::async_trait;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{ProviderId, ServiceId, TenantId};
use slotline_shared::routing::same_keyword;

use super::{AppState, JsonBody};
use crate::auth::{self, Admin, Caller};
use crate::engine::day_bounds;
use crate::error::AppError;
use crate::model::{
    Customer, DateOverride, Delivery, FieldErrors, ProviderRecord, Reservation, ServiceRecord,
    StatusChange, Tenant, Validate, Weekly,
};
use crate::ports::{Store, StoreResult};

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
            get(list_items::<ServiceRecord>).post(post_item::<ServiceRecord>),
        )
        .route(
            "/admin/tenants/{tenant}/services/{id}",
            get(get_item::<ServiceRecord>)
                .put(put_item::<ServiceRecord>)
                .delete(delete_item::<ServiceRecord>),
        )
        .route(
            "/admin/tenants/{tenant}/providers",
            get(list_items::<ProviderRecord>).post(post_item::<ProviderRecord>),
        )
        .route(
            "/admin/tenants/{tenant}/providers/{id}",
            get(get_item::<ProviderRecord>)
                .put(put_item::<ProviderRecord>)
                .delete(delete_item::<ProviderRecord>),
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
        .route("/admin/tenants/{tenant}/audit", get(list_audit))
        .route("/admin/tenants/{tenant}/deliveries", get(list_deliveries))
        .route("/admin/tenants/{tenant}/outbox", get(list_outbox))
        .route(
            "/admin/tenants/{tenant}/bookings/{reference}/no-show",
            axum::routing::post(mark_no_show),
        )
        .route(
            "/admin/tenants/{tenant}/payments/account",
            get(get_account).post(post_account),
        )
        .route(
            "/admin/tenants/{tenant}/bookings/{reference}/payment",
            get(get_payment),
        )
        .route(
            "/admin/tenants/{tenant}/bookings/{reference}/refund",
            axum::routing::post(post_refund),
        )
        .route("/internal/cron/tick", axum::routing::post(cron_tick))
}

/// `GET …/outbox`: the tenant's lifecycle messages, latest first, each with its delivery
/// status as Twilio last reported it.
async fn list_outbox(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let messages = state.store.outbox(&t.id, 500).await?;
    let deliveries = state.store.deliveries(&t.id, 2000).await?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| {
                let delivery = m
                    .message_sid
                    .as_ref()
                    .and_then(|sid| deliveries.iter().find(|d| &d.message_sid == sid));
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                v["delivery"] = serde_json::json!(delivery.map(|d| d.status.as_str()));
                v
            })
            .collect(),
    ))
}

/// `POST …/bookings/{reference}/no-show`: the customer did not come. Their pending reminders
/// are dropped and, if the tenant wants, they are offered another time.
/// `GET …/bookings/{reference}/payment`: the booking's deposit as paid through Stripe
/// (amount, state, Stripe's ids, what was refunded).
async fn get_payment(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, reference)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let payments = state.payments.as_ref().ok_or_else(no_stripe)?;
    let payment = payments
        .of_booking(&t.id, &reference)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a payment of booking {reference}")))?;
    let documents = state.store.documents_of(&t.id, &payment.hold).await?;
    let mut answer = serde_json::to_value(&payment).unwrap_or_default();
    answer["documents"] = super::documents::listed(&documents);
    Ok(Json(answer))
}

/// Where the owner comes back to after Stripe's onboarding.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OnboardRequest {
    return_url: String,
    refresh_url: String,
}

/// `POST …/payments/account`: a Stripe connected account for the business (made once) and
/// a link for its owner to finish onboarding.
async fn post_account(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<OnboardRequest>,
) -> Result<Json<crate::payments::Onboarding>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let payments = state.payments.as_ref().ok_or_else(no_stripe)?;
    let mut problems = crate::model::FieldErrors::new();
    for (field, url) in [
        ("return_url", &body.return_url),
        ("refresh_url", &body.refresh_url),
    ] {
        // A dashboard on this machine (`cargo xtask dev`) comes back over plain http.
        let local = ["http://127.0.0.1:", "http://localhost:"]
            .iter()
            .any(|p| url.starts_with(p));
        if !(url.starts_with("https://") || local) || url.len() > 500 {
            problems.insert(
                field.into(),
                "an https:// link of at most 500 characters".into(),
            );
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let onboarding = payments
        .onboard(&t, &body.return_url, &body.refresh_url)
        .await?;
    state.scheduler.config_changed(&t.id).await;
    Ok(Json(onboarding))
}

/// `GET …/payments/account`: the business's connected account and its status at Stripe.
async fn get_account(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<crate::payments::Onboarding>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let payments = state.payments.as_ref().ok_or_else(no_stripe)?;
    Ok(Json(payments.account_status(&t).await?))
}

fn no_stripe() -> AppError {
    AppError::Unavailable("Stripe is not configured (STRIPE_SECRET_KEY)".into())
}

/// What a refund by hand asks for: an amount in minor units, or everything left.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundRequest {
    #[serde(default)]
    amount_minor: Option<i64>,
}

/// `POST …/bookings/{reference}/refund`: gives back part (`amount_minor`) or all of what is
/// left of the booking's deposit; the booking itself is unchanged.
async fn post_refund(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, reference)): Path<(String, String)>,
    JsonBody(body): JsonBody<RefundRequest>,
) -> Result<Json<crate::model::Payment>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let payments = state.payments.as_ref().ok_or_else(no_stripe)?;
    let missing = || AppError::NotFound(format!("a payment of booking {reference}"));
    let payment = payments
        .of_booking(&t.id, &reference)
        .await?
        .ok_or_else(missing)?;
    if body.amount_minor.is_some_and(|a| a <= 0) {
        return Err(AppError::Invalid(
            [("amount_minor".to_owned(), "more than zero".to_owned())].into(),
        ));
    }
    let amount = body
        .amount_minor
        .map(|a| slotline_shared::catalog::Money::new(a, &payment.amount.currency));
    payments
        .refund_booking(&t.id, &reference, amount.as_ref(), "manual")
        .await?
        .ok_or_else(|| AppError::BadRequest("this booking's deposit was not paid".into()))?;
    let after = payments
        .of_booking(&t.id, &reference)
        .await?
        .ok_or_else(missing)?;
    audit(
        &state,
        &me,
        &t.id,
        "booking.refund",
        &reference,
        snapshot(&payment),
        snapshot(&after),
    )
    .await;
    Ok(Json(after))
}

async fn mark_no_show(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, reference)): Path<(String, String)>,
) -> Result<Json<Reservation>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let now = state.clock.now();
    let booking = state
        .store
        .booking(&t.id, &reference)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("booking {reference}")))?;
    if booking.start > now {
        return Err(AppError::BadRequest(
            "a booking can only be marked absent after it has started".into(),
        ));
    }
    let plan_tenant = t.clone();
    let plan: crate::ports::Planner =
        std::sync::Arc::new(move |_| crate::lifecycle::plan_no_show(&plan_tenant, now).into());
    match state
        .store
        .mark_no_show(&t.id, &reference, now, plan)
        .await?
    {
        crate::ports::ChangeOutcome::Done(r) => {
            state.scheduler.config_changed(&t.id).await;
            audit(
                &state,
                &me,
                &t.id,
                "booking.no_show",
                &reference,
                snapshot(&booking),
                snapshot(&*r),
            )
            .await;
            Ok(Json(*r))
        }
        _ => Err(AppError::Conflict(format!(
            "booking {reference} is not a confirmed booking"
        ))),
    }
}

/// `POST /internal/cron/tick` (operator key): sends every lifecycle message due now and says
/// what it did; for hosts without a background timer (Spin) and external cron.
async fn cron_tick(
    State(state): State<AppState>,
    me: Caller,
) -> Result<Json<crate::dispatch::Report>, AppError> {
    if me.0 != Admin::Operator {
        return Err(AppError::Forbidden(
            "only the operator key may run the dispatcher".into(),
        ));
    }
    Ok(Json(super::dispatch_pass(&state).await?))
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// Checks the caller may change `tenant` (owner, its key, or the operator) and that it
/// exists.
pub(super) async fn tenant_for(
    state: &AppState,
    me: &Caller,
    tenant: &str,
) -> Result<Tenant, AppError> {
    Ok(caller_and_tenant(state, me, tenant).await?.1)
}

/// Checks the caller may see `tenant`, staff included, and that it exists: for what
/// staff read (the catalog, hours, bookings, customers).
pub(super) async fn tenant_seen_by(
    state: &AppState,
    me: &Caller,
    tenant: &str,
) -> Result<Tenant, AppError> {
    let id = TenantId(tenant.to_owned());
    me.0.check(&id)?;
    found(state, &id).await
}

async fn found(state: &AppState, id: &TenantId) -> Result<Tenant, AppError> {
    state
        .store
        .tenant(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("tenant {id}")))
}

/// Records a change in the tenant's audit log. A failure to record it is logged, not
/// answered: the change itself is made by then.
pub(super) async fn audit(
    state: &AppState,
    me: &Caller,
    tenant: &TenantId,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) {
    audit_as(state, tenant, me.0.actor(), action, target, before, after).await;
}

/// [`audit`], for a change made by someone not signed in yet (joining, a password reset):
/// `actor` names them.
pub(super) async fn audit_as(
    state: &AppState,
    tenant: &TenantId,
    actor: String,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) {
    let entry = crate::model::AuditEntry {
        at: state.clock.now(),
        actor,
        action: action.into(),
        target: target.into(),
        before,
        after,
    };
    if let Err(e) = state.store.record_audit(tenant, &entry).await {
        tracing::error!(tenant = %tenant, action, "the audit log did not take a change: {e}");
    }
}

/// A record as the audit log keeps it.
pub(super) fn snapshot<T: Serialize>(record: &T) -> Option<serde_json::Value> {
    serde_json::to_value(record).ok()
}

/// [`tenant_for`], keeping who the caller is.
async fn caller_and_tenant(
    state: &AppState,
    me: &Caller,
    tenant: &str,
) -> Result<(Admin, Tenant), AppError> {
    let id = TenantId(tenant.to_owned());
    me.0.manage(&id)?;
    Ok((me.0.clone(), found(state, &id).await?))
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

/// Checks that `tenant`'s numbers, keywords and sender take nothing from another business.
///
/// A WhatsApp number belongs to the tenant that registered it. Only the operator may put
/// one number on several tenants (a shared number, told apart by keyword), and a tenant may
/// keep the shared numbers the operator gave it; a tenant's own key can never add a number
/// another tenant has. On a shared number every keyword and business name is unique (the
/// name is read as a keyword too), or customers typing it would be asked for a keyword
/// forever. Which Twilio account sends for a tenant is the operator's to set.
async fn check_routing(
    state: &AppState,
    who: &Admin,
    tenant: &Tenant,
    before: Option<&Tenant>,
) -> Result<(), AppError> {
    // Everyone but the operator: a business's key and its signed-in owners alike.
    let business = !matches!(who, Admin::Operator);
    if business && before.map(|b| &b.messaging.account_sid) != Some(&tenant.messaging.account_sid) {
        return Err(AppError::Forbidden(
            "only the platform operator can choose the Twilio account a business sends from".into(),
        ));
    }
    let others: Vec<Tenant> = state
        .store
        .tenants()
        .await?
        .into_iter()
        .filter(|t| t.id != tenant.id)
        .collect();
    for number in &tenant.numbers {
        let sharing: Vec<&Tenant> = others
            .iter()
            .filter(|t| t.numbers.contains(number))
            .collect();
        if sharing.is_empty() {
            continue;
        }
        let had_it = before.is_some_and(|b| b.numbers.contains(number));
        // The platform's shared numbers are there to be joined with a keyword.
        let platform_shared = state.accounts.shared_numbers.contains(number);
        if business && !had_it && !platform_shared {
            return Err(AppError::Taken(format!(
                "the WhatsApp number {} is registered by another business; ask the platform operator to share it",
                number.as_e164()
            )));
        }
        let words = |t: &Tenant| -> Vec<String> {
            std::iter::once(t.name.clone())
                .chain(t.keywords.iter().cloned())
                .collect()
        };
        for keyword in words(tenant) {
            if sharing
                .iter()
                .any(|t| words(t).iter().any(|k| same_keyword(k, &keyword)))
            {
                return Err(AppError::Taken(format!(
                    "the keyword {keyword:?} is already used by another business on {}",
                    number.as_e164()
                )));
            }
        }
    }
    Ok(())
}

async fn create_tenant(
    State(state): State<AppState>,
    me: Caller,
    JsonBody(tenant): JsonBody<Tenant>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let who = me.0;
    who.operator()?;
    valid(&tenant)?;
    check_routing(&state, &who, &tenant, None).await?;
    let api_key = auth::new_key()?;
    state
        .store
        .create_tenant(&tenant, &auth::key_hash(&api_key))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { tenant, api_key })))
}

async fn list_tenants(
    State(state): State<AppState>,
    me: Caller,
) -> Result<Json<Vec<Tenant>>, AppError> {
    let tenants = match me.0.tenant() {
        None => state.store.tenants().await?,
        Some(id) => state.store.tenant(id).await?.into_iter().collect(),
    };
    Ok(Json(tenants))
}

async fn get_tenant(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Tenant>, AppError> {
    Ok(Json(tenant_seen_by(&state, &me, &tenant).await?))
}

async fn put_tenant(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(mut body): JsonBody<Tenant>,
) -> Result<Json<Tenant>, AppError> {
    let (who, before) = caller_and_tenant(&state, &me, &tenant).await?;
    // The wizard's progress has its own route; replacing the business keeps it.
    body.onboarding = before.onboarding.clone();
    // So are numbers being registered with WhatsApp.
    body.senders = before.senders.clone();
    body.template_requests = before.template_requests.clone();
    body.flows = before.flows.clone();
    same_id(&tenant, body.id.as_str())?;
    valid(&body)?;
    check_routing(&state, &who, &body, Some(&before)).await?;
    state.store.update_tenant(&body).await?;
    state.scheduler.config_changed(&body.id).await;
    audit(
        &state,
        &me,
        &body.id,
        "business.update",
        body.id.as_str(),
        snapshot(&before),
        snapshot(&body),
    )
    .await;
    Ok(Json(body))
}

// ----- services and providers -------------------------------------------------------------

/// A catalog record the admin API manages the same way for every kind: list, get, create,
/// replace, delete, under `/admin/tenants/{tenant}/{KIND}s`.
#[async_trait]
trait CatalogItem: Validate + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// What it is called in messages ("service").
    const KIND: &'static str;
    /// Its id.
    fn id(&self) -> &str;
    /// All of a tenant's.
    async fn list(store: &dyn Store, tenant: &TenantId) -> StoreResult<Vec<Self>>;
    /// Creates or replaces one.
    async fn put(&self, store: &dyn Store, tenant: &TenantId) -> StoreResult<()>;
    /// Removes one; `false` if there was none.
    async fn delete(store: &dyn Store, tenant: &TenantId, id: &str) -> StoreResult<bool>;
    /// Problems that depend on the tenant's other records.
    async fn cross_check(
        &self,
        _store: &dyn Store,
        _tenant: &TenantId,
    ) -> StoreResult<FieldErrors> {
        Ok(FieldErrors::new())
    }
}

#[async_trait]
impl CatalogItem for ServiceRecord {
    const KIND: &'static str = "service";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    async fn list(store: &dyn Store, tenant: &TenantId) -> StoreResult<Vec<Self>> {
        store.services(tenant).await
    }

    async fn put(&self, store: &dyn Store, tenant: &TenantId) -> StoreResult<()> {
        store.put_service(tenant, self).await
    }

    async fn delete(store: &dyn Store, tenant: &TenantId, id: &str) -> StoreResult<bool> {
        store
            .delete_service(tenant, &ServiceId(id.to_owned()))
            .await
    }
}

#[async_trait]
impl CatalogItem for ProviderRecord {
    const KIND: &'static str = "provider";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    async fn list(store: &dyn Store, tenant: &TenantId) -> StoreResult<Vec<Self>> {
        store.providers(tenant).await
    }

    async fn put(&self, store: &dyn Store, tenant: &TenantId) -> StoreResult<()> {
        store.put_provider(tenant, self).await
    }

    async fn delete(store: &dyn Store, tenant: &TenantId, id: &str) -> StoreResult<bool> {
        store
            .delete_provider(tenant, &ProviderId(id.to_owned()))
            .await
    }

    /// The services a provider performs must exist, and a Cal.com event type belongs to
    /// one business: another's would put its bookings in that business's calendar.
    async fn cross_check(&self, store: &dyn Store, tenant: &TenantId) -> StoreResult<FieldErrors> {
        let services = store.services(tenant).await?;
        let unknown: Vec<&str> = self
            .services
            .iter()
            .filter(|id| !services.iter().any(|s| &s.id == *id))
            .map(|id| id.as_str())
            .collect();
        let mut problems = FieldErrors::new();
        if !unknown.is_empty() {
            problems.insert(
                "services".into(),
                format!("unknown services: {}", unknown.join(", ")),
            );
        }
        if !self.calcom_event_types.is_empty() {
            for other in store.tenants().await? {
                if &other.id == tenant {
                    continue;
                }
                let taken = store.providers(&other.id).await?.into_iter().any(|p| {
                    p.calcom_event_types
                        .values()
                        .any(|et| self.calcom_event_types.values().any(|mine| mine == et))
                });
                if taken {
                    problems.insert(
                        "calcom_event_types".into(),
                        "an event type here belongs to another business".into(),
                    );
                    break;
                }
            }
        }
        Ok(problems)
    }
}

async fn item_of<T: CatalogItem>(state: &AppState, t: &Tenant, id: &str) -> Result<T, AppError> {
    T::list(state.store.as_ref(), &t.id)
        .await?
        .into_iter()
        .find(|item| item.id() == id)
        .ok_or_else(|| AppError::NotFound(format!("{} {id}", T::KIND)))
}

async fn save_item<T: CatalogItem>(state: &AppState, t: &Tenant, item: &T) -> Result<(), AppError> {
    let mut problems = item.problems();
    problems.extend(item.cross_check(state.store.as_ref(), &t.id).await?);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    item.put(state.store.as_ref(), &t.id).await?;
    state.scheduler.config_changed(&t.id).await;
    Ok(())
}

async fn list_items<T: CatalogItem>(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<T>>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
    Ok(Json(T::list(state.store.as_ref(), &t.id).await?))
}

async fn get_item<T: CatalogItem>(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<T>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
    Ok(Json(item_of(&state, &t, &id).await?))
}

async fn post_item<T: CatalogItem>(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(item): JsonBody<T>,
) -> Result<(StatusCode, Json<T>), AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    if item_of::<T>(&state, &t, item.id()).await.is_ok() {
        return Err(AppError::Conflict(format!("{} {}", T::KIND, item.id())));
    }
    save_item(&state, &t, &item).await?;
    let action = format!("{}.create", T::KIND);
    audit(
        &state,
        &me,
        &t.id,
        &action,
        item.id(),
        None,
        snapshot(&item),
    )
    .await;
    Ok((StatusCode::CREATED, Json(item)))
}

async fn put_item<T: CatalogItem>(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(item): JsonBody<T>,
) -> Result<Json<T>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    same_id(&id, item.id())?;
    let before = item_of::<T>(&state, &t, &id).await.ok();
    save_item(&state, &t, &item).await?;
    let action = format!("{}.update", T::KIND);
    audit(
        &state,
        &me,
        &t.id,
        &action,
        &id,
        before.as_ref().and_then(snapshot),
        snapshot(&item),
    )
    .await;
    Ok(Json(item))
}

async fn delete_item<T: CatalogItem>(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let before = item_of::<T>(&state, &t, &id).await.ok();
    if !T::delete(state.store.as_ref(), &t.id, &id).await? {
        return Err(AppError::NotFound(format!("{} {id}", T::KIND)));
    }
    state.scheduler.config_changed(&t.id).await;
    let action = format!("{}.delete", T::KIND);
    audit(
        &state,
        &me,
        &t.id,
        &action,
        &id,
        before.as_ref().and_then(snapshot),
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

// ----- hours -------------------------------------------------------------------------------

async fn get_weekly(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Weekly>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
    let p = item_of::<ProviderRecord>(&state, &t, &id).await?;
    Ok(Json(state.store.weekly(&t.id, &p.id).await?))
}

async fn put_weekly(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(weekly): JsonBody<Weekly>,
) -> Result<Json<Weekly>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let p = item_of::<ProviderRecord>(&state, &t, &id).await?;
    valid(&weekly)?;
    let before = state.store.weekly(&t.id, &p.id).await?;
    state.store.set_weekly(&t.id, &p.id, &weekly).await?;
    state.scheduler.config_changed(&t.id).await;
    audit(
        &state,
        &me,
        &t.id,
        "hours.update",
        p.id.as_str(),
        snapshot(&before),
        snapshot(&weekly),
    )
    .await;
    Ok(Json(weekly))
}

async fn list_overrides(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Vec<DateOverride>>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
    let p = item_of::<ProviderRecord>(&state, &t, &id).await?;
    Ok(Json(state.store.overrides(&t.id, &p.id).await?))
}

async fn post_override(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(o): JsonBody<DateOverride>,
) -> Result<(StatusCode, Json<DateOverride>), AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let p = item_of::<ProviderRecord>(&state, &t, &id).await?;
    valid(&o)?;
    state.store.put_override(&t.id, &p.id, &o).await?;
    state.scheduler.config_changed(&t.id).await;
    let target = format!("{}/{}", p.id, o.date);
    audit(
        &state,
        &me,
        &t.id,
        "time_off.set",
        &target,
        None,
        snapshot(&o),
    )
    .await;
    Ok((StatusCode::CREATED, Json(o)))
}

async fn delete_override(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id, date)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let p = item_of::<ProviderRecord>(&state, &t, &id).await?;
    let date: NaiveDate = date
        .parse()
        .map_err(|_| AppError::BadRequest(format!("{date:?} is not a date like 2026-12-24")))?;
    let before = state
        .store
        .overrides(&t.id, &p.id)
        .await?
        .into_iter()
        .find(|o| o.date == date);
    if !state.store.delete_override(&t.id, &p.id, date).await? {
        return Err(AppError::NotFound(format!("override on {date}")));
    }
    state.scheduler.config_changed(&t.id).await;
    let target = format!("{}/{date}", p.id);
    audit(
        &state,
        &me,
        &t.id,
        "time_off.delete",
        &target,
        before.as_ref().and_then(snapshot),
        None,
    )
    .await;
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
    me: Caller,
    Path(tenant): Path<String>,
    Query(range): Query<Range>,
) -> Result<Json<Vec<BookingView>>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
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
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Customer>>, AppError> {
    let t = tenant_seen_by(&state, &me, &tenant).await?;
    Ok(Json(state.store.customers(&t.id).await?))
}

/// The 200 most recently updated message deliveries.
async fn list_deliveries(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Delivery>>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    Ok(Json(state.store.deliveries(&t.id, 200).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<usize>,
}

/// A change as the audit log lists it: who made it by name and email, not only by id.
#[derive(Debug, Serialize)]
struct AuditListed {
    #[serde(flatten)]
    entry: crate::model::AuditEntry,
    actor_name: String,
}

/// `GET …/audit?limit=N`: who changed what, newest first (owners; at most 500, default 100).
async fn list_audit(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditListed>>, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let users = state.store.users(&t.id).await?;
    let entries = state.store.audit_log(&t.id, limit).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|entry| {
                let actor_name = match users.iter().find(|u| u.id == entry.actor) {
                    Some(u) => format!("{} <{}>", u.name, u.email),
                    None if entry.actor == "api-key" => "a program (API key)".into(),
                    None if entry.actor == "operator" => "the platform operator".into(),
                    None => entry.actor.clone(),
                };
                AuditListed { entry, actor_name }
            })
            .collect(),
    ))
}
