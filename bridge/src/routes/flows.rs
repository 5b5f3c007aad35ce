//! WhatsApp Flows: the endpoint WhatsApp calls, and the business's set-up.
//!
//! - `POST /flows/{tenant}`: the Flow endpoint (see [`crate::flows`]); the URL given to
//!   Meta for the business's Flow.
//! - `GET /admin/tenants/{tenant}/flows`: whether Flows are on, the Flow's id at Meta, the
//!   endpoint path, the keys (public halves) and whether an app secret is kept.
//! - `PUT …/flows`: `{enabled, flow_id, app_secret}`; turning Flows on makes the
//!   `whatsapp/flows` template per language at Twilio (when the platform has Twilio).
//! - `POST …/flows/keys`: a new key (the old one keeps working for a week); its public key
//!   is what is uploaded to Meta. `DELETE …/flows/keys/{id}` retires one at once.
//! - `GET …/flows/json/{lang}`: the Flow JSON to publish at Meta, in that language.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::TenantId;
use slotline_shared::i18n::{self, Key};
use slotline_shared::lang::Lang;

use super::account::invalid;
use super::{AppState, JsonBody};
use crate::adapters::twilio_setup::SenderError;
use crate::auth::Caller;
use crate::error::AppError;
use crate::flows::keys::{KeyRing, PublicKeyInfo};
use crate::flows::{self, json};
use crate::model::{FlowSettings, Ticket, TicketKind};

/// The Flows routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flows/{tenant}", post(endpoint))
        .route("/admin/tenants/{tenant}/flows", get(show).put(set))
        .route("/admin/tenants/{tenant}/flows/keys", post(new_key))
        .route("/admin/tenants/{tenant}/flows/keys/{id}", delete(retire))
        .route("/admin/tenants/{tenant}/flows/json/{lang}", get(flow_json))
}

async fn endpoint(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    match flows::endpoint(&state, &TenantId(tenant), signature, &body).await {
        Ok(reply) => (
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "text/plain")],
            reply.body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A business's Flow set-up as the admin API shows it.
#[derive(Debug, Serialize)]
struct View {
    #[serde(flatten)]
    settings: FlowSettings,
    /// The endpoint's path on the bridge (Meta wants the public https URL of it).
    endpoint: String,
    /// Keys that open requests now, newest (current) first.
    keys: Vec<PublicKeyInfo>,
    /// Whether the Meta app secret is kept (requests' signatures are then checked).
    app_secret_set: bool,
}

fn ring(state: &AppState) -> Result<&KeyRing, AppError> {
    state.flow_keys.as_deref().ok_or_else(|| {
        AppError::Unavailable("WhatsApp Flows need SLOTLINE_WORKER_SECRET on the bridge".into())
    })
}

fn key_error(e: crate::flows::keys::KeyError) -> AppError {
    match e {
        crate::flows::keys::KeyError::Store(e) => e.into(),
        other => AppError::Unavailable(other.to_string()),
    }
}

async fn view(state: &AppState, t: &crate::model::Tenant) -> Result<View, AppError> {
    let now = state.clock.now();
    let keys = ring(state)?
        .list(state.store.as_ref(), &t.id, now)
        .await
        .map_err(key_error)?;
    let app_secret_set = state
        .store
        .ticket(
            &crate::flows::keys::secret_key(&t.id),
            TicketKind::FlowSecret,
            now,
        )
        .await?
        .is_some();
    Ok(View {
        settings: t.flows.clone(),
        endpoint: format!("/flows/{}", t.id),
        keys,
        app_secret_set,
    })
}

async fn show(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<View>, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    Ok(Json(view(&state, &t).await?))
}

/// `PUT …/flows`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    enabled: bool,
    #[serde(default)]
    flow_id: Option<String>,
    /// Absent: keep; `null` or "": forget; text: keep this one.
    #[serde(default, with = "double_option")]
    app_secret: Option<Option<String>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::<String>::deserialize(d)?))
    }
}

async fn set(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<Setting>,
) -> Result<Json<View>, AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let ring = ring(&state)?;
    let now = state.clock.now();
    let before = t.flows.clone();
    let flow_id = body
        .flow_id
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(id) = &flow_id
        && (id.len() > 32 || !id.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid("flow_id", "the Flow's id at Meta: digits only"));
    }
    if body.enabled {
        if flow_id.is_none() {
            return Err(invalid(
                "flow_id",
                "publish the Flow JSON at Meta first, then give its id here",
            ));
        }
        if ring
            .list(state.store.as_ref(), &t.id, now)
            .await
            .map_err(key_error)?
            .is_empty()
        {
            return Err(invalid(
                "enabled",
                "make a key first (POST …/flows/keys) and upload its public key to Meta",
            ));
        }
    }
    match body.app_secret {
        None => {}
        Some(Some(secret)) if !secret.trim().is_empty() => {
            let ticket = Ticket {
                key: crate::flows::keys::secret_key(&t.id),
                kind: TicketKind::FlowSecret,
                tenant: Some(t.id.clone()),
                secret_hash: String::new(),
                detail: serde_json::json!({"sealed": ring.seal_text(secret.trim())}),
                created_at: now,
                expires_at: now + chrono::Duration::days(365 * 100),
                attempts: 0,
            };
            state.store.put_ticket(&ticket).await?;
        }
        Some(_) => {
            state
                .store
                .drop_ticket(&t.id, &crate::flows::keys::secret_key(&t.id))
                .await?;
        }
    }
    // This bridge checks the next request against the secret just set; others within
    // the key cache's half minute.
    ring.forget(&t.id);
    if flow_id != t.flows.flow_id {
        // Another Flow at Meta: the templates opening the old one go.
        t.flows.content.clear();
    }
    t.flows.flow_id = flow_id;
    t.flows.enabled = body.enabled;
    if let (true, Some(twilio), Some(flow_id)) = (
        body.enabled,
        state.senders.as_deref(),
        t.flows.flow_id.clone(),
    ) {
        for &lang in &t.languages.clone() {
            if t.flows.content.contains_key(&lang) {
                continue;
            }
            let name = format!(
                "slotline_{}_flow_{}",
                t.id.as_str().replace('-', "_"),
                lang.code().replace('-', "_")
            )
            .to_lowercase();
            let made = twilio
                .submit_flow(
                    &name,
                    lang.code(),
                    i18n::text(lang, Key::FlowOffer),
                    i18n::text(lang, Key::PickTime),
                    &flow_id,
                )
                .await;
            match made {
                Ok((sid, _)) => {
                    t.flows.content.insert(lang, sid);
                }
                Err(SenderError::Refused(why)) => {
                    return Err(invalid(
                        "flow_id",
                        &format!("Twilio refused the Flow template: {why}"),
                    ));
                }
                Err(SenderError::Unavailable(why)) => {
                    state.store.update_tenant(&t).await?;
                    return Err(AppError::Unavailable(format!("Twilio: {why}; try again")));
                }
            }
        }
    }
    state.store.update_tenant(&t).await?;
    state.scheduler.config_changed(&t.id).await;
    super::admin::audit(
        &state,
        &me,
        &t.id,
        "flows.update",
        "flows",
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&t.flows).ok(),
    )
    .await;
    Ok(Json(view(&state, &t).await?))
}

async fn new_key(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<(StatusCode, Json<PublicKeyInfo>), AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let now = state.clock.now();
    let info = ring(&state)?
        .rotate(state.store.as_ref(), &t.id, now)
        .await
        .map_err(key_error)?;
    super::admin::audit(&state, &me, &t.id, "flows.key", &info.id, None, None).await;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn retire(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    if ring(&state)?
        .retire(state.store.as_ref(), &t.id, &id)
        .await
        .map_err(key_error)?
    {
        super::admin::audit(&state, &me, &t.id, "flows.key.retire", &id, None, None).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("Flow key {id}")))
    }
}

async fn flow_json(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, lang)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let lang = Lang::from_code(&lang)
        .filter(|l| t.languages.contains(l))
        .ok_or_else(|| invalid("lang", "one of the business's languages"))?;
    Ok(Json(json::flow_json(lang)))
}
