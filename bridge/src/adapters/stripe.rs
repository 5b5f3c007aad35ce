//! Stripe: the REST calls deposits need (Checkout Sessions, refunds) on a tenant's
//! connected account, and the webhook events that matter, parsed once at the door.
//!
//! Every call carries `Stripe-Account` (direct charges: the tenant's money never passes the
//! platform) and a deterministic `Idempotency-Key`, so a retry after a timeout or a crash
//! returns what Stripe made the first time (contract sheet §5, §6). Bodies are
//! form-encoded with bracketed, indexed keys exactly as Stripe's own libraries write them
//! (§2, §3).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::ports::{Call, HttpClient, HttpFailure};

/// The API version the bridge speaks; events follow the endpoint's version.
pub const API_VERSION: &str = "2026-06-24.dahlia";

/// Why a Stripe call failed.
#[derive(Debug, Error)]
pub enum StripeError {
    /// No answer (connection refused, timeout): whether it took effect is unknown, and a
    /// retry with the same idempotency key is safe.
    #[error("Stripe did not answer: {0}")]
    Unreachable(String),
    /// Stripe answered with an error.
    #[error("Stripe refused ({status}, {kind}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Stripe's `error.type`.
        kind: String,
        /// Stripe's `error.code`, when given.
        code: Option<String>,
        /// Stripe's message.
        message: String,
    },
    /// An answer of a shape the bridge does not know.
    #[error("Stripe answered something unreadable: {0}")]
    Unreadable(String),
}

impl StripeError {
    /// Whether asking again later (with the same key) may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            StripeError::Unreachable(_) | StripeError::Unreadable(_) => true,
            StripeError::Refused { status, .. } => {
                *status == 409 || *status == 429 || *status >= 500
            }
        }
    }
}

/// A Checkout Session for one deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Lower-case ISO currency.
    pub currency: String,
    /// Minor units.
    pub amount: i64,
    /// What the customer sees on the page.
    pub name: String,
    /// The tenant (metadata, copied onto the PaymentIntent so refunds map back).
    pub tenant: String,
    /// The hold it pays for (metadata and `client_reference_id`).
    pub hold: String,
    /// Where Stripe sends the customer after paying.
    pub success_url: String,
    /// Where Stripe sends the customer who gives up.
    pub cancel_url: Option<String>,
    /// When the page closes (Unix seconds; Stripe wants 30 minutes to 24 hours ahead).
    pub expires_at: i64,
    /// The platform's fee, minor units.
    pub application_fee: Option<i64>,
}

impl CheckoutRequest {
    /// The form body, keys in the order Stripe's libraries write them (contract §3).
    pub fn form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("mode", "payment")
            .append_pair("line_items[0][quantity]", "1")
            .append_pair("line_items[0][price_data][currency]", &self.currency)
            .append_pair(
                "line_items[0][price_data][unit_amount]",
                &self.amount.to_string(),
            )
            .append_pair("line_items[0][price_data][product_data][name]", &self.name)
            .append_pair("metadata[tenant_id]", &self.tenant)
            .append_pair("metadata[booking_id]", &self.hold)
            .append_pair("payment_intent_data[metadata][tenant_id]", &self.tenant)
            .append_pair("payment_intent_data[metadata][booking_id]", &self.hold)
            .append_pair("client_reference_id", &self.hold)
            .append_pair("success_url", &self.success_url);
        if let Some(url) = &self.cancel_url {
            form.append_pair("cancel_url", url);
        }
        form.append_pair("expires_at", &self.expires_at.to_string());
        if let Some(fee) = self.application_fee {
            form.append_pair(
                "payment_intent_data[application_fee_amount]",
                &fee.to_string(),
            );
        }
        form.finish()
    }
}

/// What the bridge reads of a Checkout Session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: String,
    /// The page, while open.
    #[serde(default)]
    pub url: Option<String>,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `unpaid`, `paid` or `no_payment_required`.
    #[serde(default)]
    pub payment_status: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Set once paid.
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// Our metadata.
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
    /// Minor units.
    #[serde(default)]
    pub amount_total: Option<i64>,
    /// Lower-case ISO.
    #[serde(default)]
    pub currency: Option<String>,
}

impl CheckoutSession {
    /// A session that was never made (Stripe never answered its creation).
    pub fn unmade() -> Self {
        Self {
            id: String::new(),
            url: None,
            status: None,
            payment_status: None,
            expires_at: None,
            payment_intent: None,
            metadata: Default::default(),
            amount_total: None,
            currency: None,
        }
    }
}

/// What the bridge reads of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// What the bridge wrote on it: `tenant_id` and `booking_id` (the hold).
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// What the bridge reads of a connected account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// `acct_…`.
    pub id: String,
    /// It can take payments.
    #[serde(default)]
    pub charges_enabled: bool,
    /// The owner has been through onboarding.
    #[serde(default)]
    pub details_submitted: bool,
    /// What Stripe still needs.
    #[serde(default)]
    pub requirements: Option<Requirements>,
}

/// What Stripe still needs of an account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Requirements {
    /// Why charges are off, when they are.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Information due now.
    #[serde(default)]
    pub currently_due: Vec<String>,
}

impl Account {
    /// `pending` (onboarding not finished), `enabled` (takes payments) or `restricted`
    /// (Stripe needs more before it does).
    pub fn status(&self) -> &'static str {
        if self.charges_enabled {
            "enabled"
        } else if !self.details_submitted {
            "pending"
        } else {
            "restricted"
        }
    }
}

/// An onboarding link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountLink {
    /// Where the owner goes.
    pub url: String,
    /// When it stops working (Unix seconds).
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// Stripe's error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Stripe's REST API with the platform's secret key.
pub struct StripeClient {
    http: Arc<dyn HttpClient>,
    api_url: String,
    secret_key: String,
    timeout: Duration,
}

impl StripeClient {
    /// A client for `api_url` (`https://api.stripe.com`, or a stand-in) and the
    /// platform's secret key, its calls carried by `http`; each call gives up after
    /// `timeout`.
    pub fn new(
        http: Arc<dyn HttpClient>,
        api_url: &str,
        secret_key: &str,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
            timeout,
        }
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        account: &str,
        idempotency_key: &str,
        form: String,
    ) -> Result<T, StripeError> {
        let request = Call::post(format!("{}{path}", self.api_url))
            .header("Stripe-Account", account)
            .header("Idempotency-Key", idempotency_key)
            .form(form);
        self.call(request).await
    }

    /// A call as the platform itself (no `Stripe-Account`): connected accounts and their
    /// onboarding links.
    async fn post_platform<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        idempotency_key: &str,
        form: String,
    ) -> Result<T, StripeError> {
        let request = Call::post(format!("{}{path}", self.api_url))
            .header("Idempotency-Key", idempotency_key)
            .form(form);
        self.call(request).await
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, request: Call) -> Result<T, StripeError> {
        let response = self
            .http
            .send(
                request
                    .bearer_auth(&self.secret_key)
                    .header("Stripe-Version", API_VERSION)
                    .timeout(self.timeout),
            )
            .await
            .map_err(|e| StripeError::Unreachable(without_detail(&e)))?;
        let status = response.status;
        let bytes = response.body;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|e| StripeError::Unreadable(e.to_string()));
        }
        let detail = serde_json::from_slice::<ErrorBody>(&bytes).map(|b| b.error);
        Err(match detail {
            Ok(d) => StripeError::Refused {
                status,
                kind: d.kind,
                code: d.code,
                message: d.message.unwrap_or_default(),
            },
            Err(_) => StripeError::Refused {
                status,
                kind: "api_error".into(),
                code: None,
                message: format!("HTTP {status}"),
            },
        })
    }

    /// Whether the key is a live one (`sk_live_…`, `rk_live_…`): a Connect endpoint gets
    /// both live and test events, and only those of the key's mode are real.
    pub fn is_live(&self) -> bool {
        self.secret_key.starts_with("sk_live_") || self.secret_key.starts_with("rk_live_")
    }

    /// Opens a Checkout Session on `account`.
    pub async fn create_checkout(
        &self,
        account: &str,
        request: &CheckoutRequest,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        self.post(
            "/v1/checkout/sessions",
            account,
            idempotency_key,
            request.form(),
        )
        .await
    }

    /// Creates a business's connected account (Express: Stripe hosts its onboarding and
    /// dashboard), named after it and tagged with its tenant id.
    pub async fn create_account(
        &self,
        tenant: &str,
        name: &str,
        country: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Account, StripeError> {
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("type", "express");
            if let Some(country) = country {
                form.append_pair("country", country);
            }
            form.append_pair("business_profile[name]", name)
                .append_pair("capabilities[card_payments][requested]", "true")
                .append_pair("capabilities[transfers][requested]", "true")
                .append_pair("metadata[tenant_id]", tenant);
            form.finish()
        };
        self.post_platform("/v1/accounts", idempotency_key, form)
            .await
    }

    /// A connected account as Stripe has it now.
    pub async fn account(&self, account: &str) -> Result<Account, StripeError> {
        let request = Call::get(format!("{}/v1/accounts/{account}", self.api_url));
        self.call(request).await
    }

    /// A link the business's owner follows to finish (or resume) onboarding.
    pub async fn onboarding_link(
        &self,
        account: &str,
        return_url: &str,
        refresh_url: &str,
        idempotency_key: &str,
    ) -> Result<AccountLink, StripeError> {
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("account", account)
                .append_pair("type", "account_onboarding")
                .append_pair("refresh_url", refresh_url)
                .append_pair("return_url", return_url);
            form.finish()
        };
        self.post_platform("/v1/account_links", idempotency_key, form)
            .await
    }

    /// A Checkout Session as Stripe has it now.
    pub async fn retrieve_checkout(
        &self,
        account: &str,
        session: &str,
    ) -> Result<CheckoutSession, StripeError> {
        let request = Call::get(format!("{}/v1/checkout/sessions/{session}", self.api_url))
            .header("Stripe-Account", account);
        self.call(request).await
    }

    /// Closes an open Checkout Session early, so it can no longer be paid.
    pub async fn expire_checkout(
        &self,
        account: &str,
        session: &str,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        self.post(
            &format!("/v1/checkout/sessions/{session}/expire"),
            account,
            idempotency_key,
            String::new(),
        )
        .await
    }

    /// Refunds `amount` (all of it when `None`) of a payment on `account`.
    pub async fn refund(
        &self,
        account: &str,
        payment_intent: &str,
        amount: Option<i64>,
        tenant: &str,
        hold: &str,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("payment_intent", payment_intent);
            if let Some(amount) = amount {
                form.append_pair("amount", &amount.to_string());
            }
            // The refund's own events name the booking by these (its PaymentIntent's
            // metadata is not copied onto it).
            form.append_pair("reason", "requested_by_customer")
                .append_pair("metadata[booking_id]", hold)
                .append_pair("metadata[tenant_id]", tenant);
            form.finish()
        };
        self.post("/v1/refunds", account, idempotency_key, form)
            .await
    }
}

/// A transport failure in words a business may read (no URL, no library detail).
fn without_detail(e: &HttpFailure) -> String {
    match e {
        HttpFailure::Broken(_) => "the connection failed".into(),
        other => other.to_string(),
    }
}

/// A webhook event, as far as deposits care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `evt_…`.
    pub id: String,
    /// The connected account it happened on (Connect endpoints only).
    pub account: Option<String>,
    /// Live or test mode.
    pub livemode: bool,
    /// What happened.
    pub kind: EventKind,
}

/// What happened, in deposit terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A Checkout Session completed (`checkout.session.completed`) or its delayed payment
    /// succeeded (`…async_payment_succeeded`); `paid` only when `payment_status` says so.
    SessionCompleted {
        /// The session.
        session: CheckoutSession,
        /// The money is in.
        paid: bool,
    },
    /// A delayed payment failed (`checkout.session.async_payment_failed`).
    SessionFailed {
        /// The session.
        session: CheckoutSession,
    },
    /// The page closed unpaid (`checkout.session.expired`).
    SessionExpired {
        /// The session.
        session: CheckoutSession,
    },
    /// A refund moved on (`refund.updated`, or `refund.failed`): a pending one succeeded
    /// or failed.
    RefundChanged {
        /// The refund as it stands.
        refund: Refund,
    },
    /// Anything else: answered and ignored.
    Other(String),
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    livemode: bool,
    #[serde(rename = "type")]
    kind: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

/// Reads a webhook body (already verified) into an [`Event`].
pub fn parse_event(body: &[u8]) -> Result<Event, String> {
    let raw: RawEvent = serde_json::from_slice(body).map_err(|e| format!("not an event: {e}"))?;
    let session = || -> Result<CheckoutSession, String> {
        serde_json::from_value(raw.data.object.clone())
            .map_err(|e| format!("not a checkout session: {e}"))
    };
    let kind = match raw.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let session = session()?;
            let paid = session.payment_status.as_deref() == Some("paid");
            EventKind::SessionCompleted { session, paid }
        }
        "checkout.session.async_payment_failed" => EventKind::SessionFailed {
            session: session()?,
        },
        "checkout.session.expired" => EventKind::SessionExpired {
            session: session()?,
        },
        "refund.updated" | "refund.failed" => EventKind::RefundChanged {
            refund: serde_json::from_value(raw.data.object.clone())
                .map_err(|e| format!("not a refund: {e}"))?,
        },
        other => EventKind::Other(other.to_owned()),
    };
    Ok(Event {
        id: raw.id,
        account: raw.account,
        livemode: raw.livemode,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkout_body_is_byte_for_byte_the_contracts() {
        let request = CheckoutRequest {
            currency: "eur".into(),
            amount: 2000,
            name: "Deposit: Haircut 14 Mar 10:30".into(),
            tenant: "acme".into(),
            hold: "42".into(),
            success_url: "https://book.example.com/acme/paid?session_id={CHECKOUT_SESSION_ID}"
                .into(),
            cancel_url: Some("https://book.example.com/acme/cancelled".into()),
            expires_at: 1_700_001_800,
            application_fee: None,
        };
        // The sheet's client_reference_id is "booking_42"; ours is the hold id itself.
        let expected = "mode=payment&line_items%5B0%5D%5Bquantity%5D=1&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=eur&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=2000&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Deposit%3A+Haircut+14+Mar+10%3A30&metadata%5Btenant_id%5D=acme&metadata%5Bbooking_id%5D=42&payment_intent_data%5Bmetadata%5D%5Btenant_id%5D=acme&payment_intent_data%5Bmetadata%5D%5Bbooking_id%5D=42&client_reference_id=booking_42&success_url=https%3A%2F%2Fbook.example.com%2Facme%2Fpaid%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D&cancel_url=https%3A%2F%2Fbook.example.com%2Facme%2Fcancelled&expires_at=1700001800";
        assert_eq!(
            request.form(),
            expected.replace("client_reference_id=booking_42", "client_reference_id=42")
        );
    }

    #[test]
    fn the_contracts_completed_event_reads_as_paid_on_its_account() {
        let body = r#"{"id":"evt_1TestDeposit0001","object":"event","account":"acct_1TenantAcme000001","api_version":"2026-06-24.dahlia","created":1700000000,"data":{"object":{"id":"cs_test_a1DepositAcme0001","object":"checkout.session","amount_subtotal":2000,"amount_total":2000,"client_reference_id":"booking_42","currency":"eur","customer_details":{"email":"zoe@example.com","name":"Zoe Ortega","phone":null},"expires_at":1700001800,"livemode":false,"metadata":{"booking_id":"42","tenant_id":"acme"},"mode":"payment","payment_intent":"pi_3TestDeposit0001","payment_status":"paid","status":"complete","success_url":"https://book.example.com/acme/paid?session_id={CHECKOUT_SESSION_ID}","url":null}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed"}"#;
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.account.as_deref(), Some("acct_1TenantAcme000001"));
        let EventKind::SessionCompleted { session, paid } = event.kind else {
            panic!("{:?}", event.kind);
        };
        assert!(paid);
        assert_eq!(session.id, "cs_test_a1DepositAcme0001");
        assert_eq!(
            session.payment_intent.as_deref(),
            Some("pi_3TestDeposit0001")
        );
        assert_eq!(session.metadata["booking_id"], "42");
        // Unpaid (a delayed method) is not a payment.
        let unpaid = body.replace(
            "\"payment_status\":\"paid\"",
            "\"payment_status\":\"unpaid\"",
        );
        assert!(matches!(
            parse_event(unpaid.as_bytes()).unwrap().kind,
            EventKind::SessionCompleted { paid: false, .. }
        ));
        let other = body.replace("checkout.session.completed", "customer.created");
        assert_eq!(
            parse_event(other.as_bytes()).unwrap().kind,
            EventKind::Other("customer.created".into())
        );
        assert!(parse_event(b"{}").is_err());
    }
}
