//! Receipts and credit notes: the signed public link Twilio fetches them by, the owner's
//! download, and the revenue they add up to.
//!
//! - `GET /documents/{tenant}/{code}.pdf?expires=…&signature=…` (no key: the signature is
//!   the key, see [`crate::receipts::LinkSigner`]);
//! - `GET /admin/tenants/{tenant}/documents`: the documents issued in a period;
//! - `GET /admin/tenants/{tenant}/documents/{code}`: one, as PDF;
//! - `GET /admin/tenants/{tenant}/revenue?from=YYYY-MM-DD&to=YYYY-MM-DD`: deposits received,
//!   refunded and kept (forfeited by a late cancel or a no-show), per currency.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::TenantId;

use super::AppState;
use super::admin::tenant_for;
use crate::auth::Caller;
use crate::error::AppError;
use crate::model::{Document, DocumentKind, Status, Tenant, parse_code};
use crate::receipts::LinkError;

/// The document routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/documents/{tenant}/{file}", get(signed_download))
        .route("/admin/tenants/{tenant}/documents", get(list_documents))
        .route("/admin/tenants/{tenant}/documents/{code}", get(download))
        .route("/admin/tenants/{tenant}/revenue", get(revenue))
}

/// A signed link's query.
#[derive(Debug, Deserialize)]
struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

fn pdf_response(doc: &Document) -> Response {
    let code = doc.code();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{code}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        ],
        crate::receipts::pdf(doc),
    )
        .into_response()
}

async fn find(state: &AppState, tenant: &TenantId, code: &str) -> Result<Document, AppError> {
    let missing = || AppError::NotFound(format!("document {code}"));
    let (kind, number) = parse_code(code).ok_or_else(missing)?;
    state
        .store
        .document(tenant, kind, number)
        .await?
        .ok_or_else(missing)
}

/// `GET /documents/{tenant}/{code}.pdf`: what Twilio fetches to send the file. A link that
/// was edited, or never ours, is not found; one past its time is refused.
async fn signed_download(
    State(state): State<AppState>,
    Path((tenant, file)): Path<(String, String)>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound("this document".into());
    let signer = state.documents.as_ref().ok_or_else(not_found)?;
    let code = file.strip_suffix(".pdf").ok_or_else(not_found)?;
    let (Some(expires), Some(signature)) = (q.expires, q.signature) else {
        return Err(not_found());
    };
    let tenant = TenantId::from(tenant.as_str());
    match signer.check(&tenant, code, expires, &signature, state.clock.now()) {
        Ok(()) => {}
        Err(LinkError::Forged) => return Err(not_found()),
        Err(LinkError::Expired) => {
            return Err(AppError::Forbidden(
                "this link has expired; the business can send the document again".into(),
            ));
        }
    }
    let doc = find(&state, &tenant, code).await.map_err(|_| not_found())?;
    Ok(pdf_response(&doc))
}

/// `GET /admin/tenants/{tenant}/documents/{code}`: a receipt or credit note as PDF.
async fn download(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let t = tenant_for(&state, &me, &tenant).await?;
    let code = code.strip_suffix(".pdf").unwrap_or(&code);
    Ok(pdf_response(&find(&state, &t.id, code).await?))
}

/// A period: local dates, `to` excluded; the current month by default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// The period's bounds as instants on the business's wall clock.
fn bounds(
    tenant: &Tenant,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, NaiveDate, DateTime<Utc>, DateTime<Utc>), AppError> {
    let mut problems = crate::model::FieldErrors::new();
    let mut date = |field: &str, text: &Option<String>| -> Option<NaiveDate> {
        let text = text.as_deref()?;
        let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            problems.insert(field.into(), "a date, YYYY-MM-DD".into());
        }
        parsed
    };
    let (from, to) = (date("from", &period.from), date("to", &period.to));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let today = now.with_timezone(&tenant.zone).date_naive();
    let month = today.with_day(1).unwrap_or(today);
    let from = from.unwrap_or(month);
    let to = to.unwrap_or_else(|| {
        from.with_day(1)
            .and_then(|d| d.checked_add_months(Months::new(1)))
            .unwrap_or(from)
    });
    if to <= from || (to - from).num_days() > 366 {
        let mut problems = crate::model::FieldErrors::new();
        problems.insert("to".into(), "after from, and at most 366 days after".into());
        return Err(AppError::Invalid(problems));
    }
    // Each bound is the start of its local day, as the bookings list reads its days.
    let midnight = |d: NaiveDate| crate::engine::day_bounds(tenant.zone, d).0;
    Ok((from, to, midnight(from), midnight(to)))
}

/// The most documents one answer reads.
const PERIOD_LIMIT: usize = 20_000;

/// One document, as listed.
#[derive(Debug, Serialize)]
struct Listed {
    code: String,
    kind: DocumentKind,
    reference: String,
    issued_at: DateTime<Utc>,
    amount_minor: i64,
    currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    corrects: Option<String>,
}

impl From<&Document> for Listed {
    fn from(d: &Document) -> Self {
        Listed {
            code: d.code(),
            kind: d.kind,
            reference: d.reference.clone(),
            issued_at: d.issued_at,
            amount_minor: d.amount.minor,
            currency: d.amount.currency.clone(),
            corrects: d.corrects.clone(),
        }
    }
}

/// The documents about one booking, as listed beside its payment.
pub(super) fn listed(docs: &[Document]) -> serde_json::Value {
    serde_json::to_value(docs.iter().map(Listed::from).collect::<Vec<_>>()).unwrap_or_default()
}

/// `GET /admin/tenants/{tenant}/documents?from=&to=`: the receipts and credit notes issued
/// in a period, oldest first.
async fn list_documents(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    Query(period): Query<Period>,
) -> Result<Json<serde_json::Value>, AppError> {
    let (_, _, docs) = of_period(&state, &me, &tenant, &period).await?;
    Ok(Json(listed(&docs)))
}

/// The caller's business, the period's local dates, and the documents issued in it.
async fn of_period(
    state: &AppState,
    me: &Caller,
    tenant: &str,
    period: &Period,
) -> Result<(Tenant, (NaiveDate, NaiveDate), Vec<Document>), AppError> {
    let t = tenant_for(state, me, tenant).await?;
    let (from_date, to_date, from, to) = bounds(&t, period, state.clock.now())?;
    let docs = state
        .store
        .documents_between(&t.id, from, to, PERIOD_LIMIT)
        .await?;
    Ok((t, (from_date, to_date), docs))
}

/// One currency's figures for a period.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
struct Figures {
    currency: String,
    /// Deposits received (receipts issued).
    receipts: u32,
    received_minor: i64,
    /// Money given back (credit notes issued).
    credit_notes: u32,
    refunded_minor: i64,
    /// Of the deposits received in the period, what was kept because the booking was
    /// cancelled too late or the customer did not come.
    forfeited_minor: i64,
    /// Received less refunded.
    net_minor: i64,
}

/// `GET /admin/tenants/{tenant}/revenue?from=&to=`: what deposits brought in a period.
async fn revenue(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    Query(period): Query<Period>,
) -> Result<Json<serde_json::Value>, AppError> {
    let (t, (from_date, to_date), docs) = of_period(&state, &me, &tenant, &period).await?;
    let mut by_currency: BTreeMap<String, Figures> = BTreeMap::new();
    for d in &docs {
        let f = by_currency
            .entry(d.amount.currency.clone())
            .or_insert_with(|| Figures {
                currency: d.amount.currency.clone(),
                ..Figures::default()
            });
        match d.kind {
            DocumentKind::Receipt => {
                f.receipts += 1;
                f.received_minor += d.amount.minor;
                let kept = match state.store.reservation(&t.id, &d.hold).await? {
                    Some(r) if matches!(r.status, Status::Cancelled | Status::NoShow) => {
                        let refunded: i64 = state
                            .store
                            .documents_of(&t.id, &d.hold)
                            .await?
                            .iter()
                            .filter(|c| c.kind == DocumentKind::CreditNote)
                            .map(|c| c.amount.minor)
                            .sum();
                        (d.amount.minor - refunded).max(0)
                    }
                    _ => 0,
                };
                f.forfeited_minor += kept;
            }
            DocumentKind::CreditNote => {
                f.credit_notes += 1;
                f.refunded_minor += d.amount.minor;
            }
        }
        f.net_minor = f.received_minor - f.refunded_minor;
    }
    Ok(Json(serde_json::json!({
        "from": from_date,
        "to": to_date,
        "zone": t.zone.name(),
        "complete": docs.len() < PERIOD_LIMIT,
        "currencies": by_currency.into_values().collect::<Vec<_>>(),
    })))
}
