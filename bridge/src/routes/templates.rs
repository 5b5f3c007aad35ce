//! The business's lifecycle messages as WhatsApp templates, per language, and their
//! approval by WhatsApp.
//!
//! - `GET /admin/tenants/{tenant}/message-templates`: for each message and language of the
//!   business, its wording as a template, the template in use, and the review of any
//!   submitted one (asked of Twilio again while WhatsApp is still reviewing it). An
//!   approved template becomes the one sent for that message and language.
//! - `POST …/message-templates/{stage}/{lang}`: submits one for approval.
//!
//! Session messages go out meanwhile: a template is needed only to write to a customer
//! more than 24 hours after their last message.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;
use slotline_shared::lang::Lang;

use super::AppState;
use super::account::invalid;
use crate::adapters::twilio_setup::{TwilioSetup, under_review};
use crate::auth::Caller;
use crate::error::AppError;
use crate::lifecycle::{Facts, template_body, variables_in};
use crate::model::{Stage, TemplateRequest, Tenant};

/// The templates routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{tenant}/message-templates", get(list))
        .route(
            "/admin/tenants/{tenant}/message-templates/{stage}/{lang}",
            post(submit),
        )
}

/// Messages a template can carry: all but the files (receipts and credit notes), which go
/// with the document attached.
fn templated() -> impl Iterator<Item = Stage> {
    Stage::ALL
        .into_iter()
        .filter(|s| !matches!(s, Stage::Receipt | Stage::CreditNote))
}

/// One message in one language.
#[derive(Debug, Serialize)]
struct Entry {
    stage: Stage,
    lang: Lang,
    /// Whether the business sends this message (its reminder settings).
    enabled: bool,
    /// The wording as a template, `{{1}}`… for the booking's details.
    body: String,
    /// What each variable holds, in order.
    fields: Vec<String>,
    /// The same wording with the business's own example details.
    example: String,
    /// The template sent for it now (`HX…`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_sid: Option<String>,
    /// The last one submitted, and how WhatsApp's review of it stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<TemplateRequest>,
}

async fn example_facts(state: &AppState, t: &Tenant) -> Result<Facts, AppError> {
    let service = state.store.services(&t.id).await?.into_iter().next();
    let provider = state.store.providers(&t.id).await?.into_iter().next();
    Ok(Facts {
        business: t.name.clone(),
        service: service.map_or_else(|| "Haircut".into(), |s| s.name),
        provider: provider.map_or_else(|| "Maria".into(), |p| p.name),
        local_start: NaiveDate::from_ymd_opt(2026, 3, 12)
            .unwrap_or_default()
            .and_time(NaiveTime::from_hms_opt(10, 30, 0).unwrap_or_default()),
        reference: "SL-7K2Q".into(),
    })
}

fn example(lang: Lang, facts: &Facts, body: &str, fields: &[String]) -> String {
    let values: serde_json::Value =
        serde_json::from_str(&variables_in(lang, facts, fields)).unwrap_or_default();
    let mut text = body.to_owned();
    for (i, _) in fields.iter().enumerate() {
        let key = (i + 1).to_string();
        text = text.replace(
            &format!("{{{{{key}}}}}"),
            values[&key].as_str().unwrap_or_default(),
        );
    }
    text
}

/// Applies WhatsApp's verdict on request `index`: an approved template is the one sent.
fn apply(
    t: &mut Tenant,
    index: usize,
    status: String,
    reason: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) {
    let r = &mut t.template_requests[index];
    r.status = status;
    r.rejection_reason = reason;
    r.checked_at = now;
    if r.status == "approved" {
        let (stage, lang, sid) = (r.stage, r.lang, r.content_sid.clone());
        t.reminders
            .templates
            .entry(stage)
            .or_default()
            .insert(lang, sid);
    }
}

/// `GET …/message-templates`.
async fn list(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Entry>>, AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let before = t.clone();
    if let Some(twilio) = state.senders.as_deref() {
        let now = state.clock.now();
        for index in 0..t.template_requests.len() {
            if !under_review(&t.template_requests[index].status) {
                continue;
            }
            match twilio
                .approval(&t.template_requests[index].content_sid)
                .await
            {
                Ok(a) => apply(&mut t, index, a.status, a.rejection_reason, now),
                Err(e) => tracing::warn!(tenant = %t.id, "a template's review: {e:?}"),
            }
        }
    }
    if t != before {
        state.store.update_tenant(&t).await?;
    }
    let facts = example_facts(&state, &t).await?;
    let mut out = Vec::new();
    for stage in templated() {
        for &lang in &t.languages {
            let (body, fields) = template_body(stage, lang);
            out.push(Entry {
                stage,
                lang,
                enabled: t.reminders.enabled(stage),
                example: example(lang, &facts, &body, &fields),
                content_sid: t
                    .reminders
                    .templates
                    .get(&stage)
                    .and_then(|m| m.get(&lang))
                    .cloned(),
                request: t
                    .template_requests
                    .iter()
                    .rev()
                    .find(|r| r.stage == stage && r.lang == lang)
                    .cloned(),
                body,
                fields,
            });
        }
    }
    Ok(Json(out))
}

/// `POST …/message-templates/{stage}/{lang}`: makes the template at Twilio and submits it
/// to WhatsApp as a utility message.
async fn submit(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, stage, lang)): Path<(String, String, String)>,
) -> Result<(StatusCode, Json<TemplateRequest>), AppError> {
    let mut t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let stage = Stage::parse(&stage)
        .filter(|s| templated().any(|x| x == *s))
        .ok_or_else(|| {
            invalid(
                "stage",
                &format!(
                    "one of {}",
                    templated()
                        .map(Stage::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let lang = Lang::from_code(&lang)
        .filter(|l| t.languages.contains(l))
        .ok_or_else(|| invalid("lang", "one of the business's languages"))?;
    if t.template_requests
        .iter()
        .any(|r| r.stage == stage && r.lang == lang && under_review(&r.status))
    {
        return Err(AppError::Conflict(format!(
            "the {} template in {} is with WhatsApp already; wait for its review",
            stage.as_str(),
            lang.code()
        )));
    }
    let twilio: &TwilioSetup = state.senders.as_deref().ok_or_else(|| {
        AppError::Unavailable(
            "submitting templates needs the platform's Twilio account (TWILIO_ACCOUNT_SID and its token)".into(),
        )
    })?;
    let (body, fields) = template_body(stage, lang);
    let facts = example_facts(&state, &t).await?;
    let samples: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&variables_in(lang, &facts, &fields)).unwrap_or_default();
    // WhatsApp names are lower case, digits and underscores, unique in the account.
    let attempt = t.template_requests.len() + 1;
    let name = format!(
        "slotline_{}_{}_{}_{attempt}",
        t.id.as_str().replace('-', "_"),
        stage.as_str().replace('-', "_"),
        lang.code().to_lowercase().replace('-', "_")
    );
    let (sid, review) = twilio
        .submit_template(&name, lang.code(), &body, &samples, "UTILITY")
        .await
        .map_err(|e| super::senders::twilio_failed("Content API", "body", e))?;
    let now = state.clock.now();
    t.template_requests.push(TemplateRequest {
        stage,
        lang,
        content_sid: sid,
        body,
        fields,
        status: String::new(),
        rejection_reason: None,
        requested_at: now,
        checked_at: now,
    });
    let index = t.template_requests.len() - 1;
    apply(&mut t, index, review.status, review.rejection_reason, now);
    state.store.update_tenant(&t).await?;
    let request = t.template_requests[index].clone();
    super::admin::audit(
        &state,
        &me,
        &t.id,
        "template.submit",
        &format!("{}/{}", stage.as_str(), lang.code()),
        None,
        super::admin::snapshot(&request),
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(request)))
}
