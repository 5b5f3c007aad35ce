//! A business's own WhatsApp number, registered through Twilio's Senders API.
//!
//! - `POST /admin/tenants/{tenant}/senders`: start registering a number (WhatsApp then
//!   sends it a code).
//! - `POST …/senders/{sid}/verify`: the code, handed to Twilio.
//! - `GET …/senders`: the registrations, each refreshed from Twilio while it is not
//!   settled (`?refresh=all`: every one, for a number that may have gone offline since).
//!   A number that comes `ONLINE` joins the business's numbers at once, so its customers
//!   reach the business there.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use slotline_shared::phone::PhoneNumber;

use super::account::invalid;
use super::{AppState, JsonBody};
use crate::adapters::twilio_setup::{SenderError, SenderState, TwilioSetup, unsettled};
use crate::auth::Caller;
use crate::error::AppError;
use crate::model::{SenderRegistration, Tenant};

/// The senders routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/tenants/{tenant}/senders",
            get(list_senders).post(register),
        )
        .route("/admin/tenants/{tenant}/senders/{sid}/verify", post(verify))
}

fn client(state: &AppState) -> Result<&TwilioSetup, AppError> {
    state.senders.as_deref().ok_or_else(|| {
        AppError::Unavailable(
            "registering numbers needs the platform's Twilio account (TWILIO_ACCOUNT_SID and its token)"
                .into(),
        )
    })
}

/// What a failed setup call to Twilio (`api` names which) answers: Twilio's refusal beside
/// `field`, or 503 when Twilio did not answer.
pub(super) fn twilio_failed(api: &str, field: &str, e: SenderError) -> AppError {
    match e {
        SenderError::Refused(why) => invalid(field, &format!("Twilio refused it: {why}")),
        SenderError::Unavailable(why) => {
            tracing::warn!("Twilio's {api}: {why}");
            AppError::Unavailable("Twilio did not answer; try again in a minute".into())
        }
    }
}

/// Applies what Twilio said of a registration; an `ONLINE` number becomes one of the
/// business's own.
fn apply(t: &mut Tenant, index: usize, now: chrono::DateTime<chrono::Utc>, state: SenderState) {
    let r = &mut t.senders[index];
    r.status = state.status;
    r.offline_reasons = state.offline_reasons;
    r.checked_at = now;
    if r.status == "ONLINE" && !t.numbers.contains(&r.number) {
        let number = r.number.clone();
        t.numbers.push(number);
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    number: String,
    #[serde(default)]
    verification_method: Option<String>,
}

/// `POST …/senders`.
async fn register(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(form): JsonBody<Register>,
) -> Result<(StatusCode, Json<SenderRegistration>), AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let number = PhoneNumber::parse(form.number.trim()).map_err(|_| {
        invalid(
            "number",
            "a number in international form, such as +351912345678",
        )
    })?;
    let method = form.verification_method.as_deref().unwrap_or("sms");
    if !matches!(method, "sms" | "voice") {
        return Err(invalid("verification_method", "sms or voice"));
    }
    if state.accounts.shared_numbers.contains(&number) {
        return Err(invalid(
            "number",
            "this is the platform's shared number; register a number of your own",
        ));
    }
    let others = state.store.tenants().await?;
    if others.iter().any(|o| {
        o.id != t.id
            && (o.numbers.contains(&number) || o.senders.iter().any(|s| s.number == number))
    }) {
        return Err(AppError::Taken(format!(
            "the WhatsApp number {} belongs to another business",
            number.as_e164()
        )));
    }
    if t.senders
        .iter()
        .any(|s| s.number == number && s.status != "OFFLINE")
    {
        return Err(AppError::Conflict(format!(
            "{} is being registered already; see its status",
            number.as_e164()
        )));
    }
    let sender = client(&state)?
        .register(&number, &t.name, method)
        .await
        .map_err(|e| twilio_failed("Senders API", "number", e))?;
    let now = state.clock.now();
    t.senders.retain(|s| s.number != number);
    let registration = SenderRegistration {
        number,
        sid: sender.sid.clone(),
        status: String::new(),
        offline_reasons: Vec::new(),
        requested_at: now,
        checked_at: now,
    };
    t.senders.push(registration);
    let index = t.senders.len() - 1;
    apply(&mut t, index, now, sender);
    state.store.update_tenant(&t).await?;
    let registered = t.senders[index].clone();
    super::admin::audit(
        &state,
        &me,
        &t.id,
        "whatsapp.register",
        registered.number.as_e164(),
        None,
        super::admin::snapshot(&registered),
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(registered)))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    refresh: Option<String>,
}

/// `GET …/senders`: each registration as Twilio now has it.
async fn list_senders(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<SenderRegistration>>, AppError> {
    let all = match q.refresh.as_deref() {
        None => false,
        Some("all") => true,
        Some(_) => return Err(invalid("refresh", "all, or leave it out")),
    };
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let before = t.clone();
    if let Some(twilio) = state.senders.as_deref() {
        let now = state.clock.now();
        for index in 0..t.senders.len() {
            if !all && !unsettled(&t.senders[index].status) {
                continue;
            }
            match twilio.fetch(&t.senders[index].sid).await {
                Ok(sender) => apply(&mut t, index, now, sender),
                // The last known status stands; the next look asks again.
                Err(e) => tracing::warn!(tenant = %t.id, "a sender's status: {e:?}"),
            }
        }
    }
    if t != before {
        state.store.update_tenant(&t).await?;
        if t.numbers != before.numbers {
            state.scheduler.config_changed(&t.id).await;
        }
    }
    Ok(Json(t.senders))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    code: String,
}

/// `POST …/senders/{sid}/verify`.
async fn verify(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, sid)): Path<(String, String)>,
    JsonBody(form): JsonBody<Verify>,
) -> Result<Json<SenderRegistration>, AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let index = t
        .senders
        .iter()
        .position(|s| s.sid == sid)
        .ok_or_else(|| AppError::NotFound(format!("sender {sid}")))?;
    let code = form.code.trim();
    if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("code", "the digits WhatsApp sent to the number"));
    }
    let sender = client(&state)?
        .verify(&sid, code)
        .await
        .map_err(|e| twilio_failed("Senders API", "code", e))?;
    apply(&mut t, index, state.clock.now(), sender);
    state.store.update_tenant(&t).await?;
    Ok(Json(t.senders[index].clone()))
}
