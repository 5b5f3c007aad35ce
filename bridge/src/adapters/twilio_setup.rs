//! Setting a business up on WhatsApp through Twilio, with the platform's account:
//!
//! - its own number, registered through the Senders API
//!   (`messaging.twilio.com/v2/Channels/Senders`) on the platform's WhatsApp Business
//!   Account;
//! - its message templates, made with the Content API (`content.twilio.com/v1/Content`)
//!   and submitted to WhatsApp for approval (`…/ApprovalRequests/whatsapp`): a business
//!   needs one to write to a customer more than 24 hours after their last message.
//!
//! Registration is asynchronous at Twilio: a sender starts `CREATING`, usually waits in
//! `PENDING_VERIFICATION` for the code WhatsApp sends to the number by SMS or voice, then
//! goes `VERIFYING` and `ONLINE` (or `OFFLINE`, with reasons). A template's review goes
//! `received`, `pending`, then `approved` or `rejected`. The bridge keeps the last known
//! status on the business and asks Twilio again while it is not settled.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use slotline_shared::phone::PhoneNumber;

use crate::ports::{Call, HttpClient};

/// A sender as Twilio reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderState {
    /// `XE…`.
    pub sid: String,
    /// Twilio's status (`CREATING`, `PENDING_VERIFICATION`, `ONLINE`, `OFFLINE`…).
    pub status: String,
    /// Why it is offline, as Twilio words it.
    pub offline_reasons: Vec<String>,
}

/// Why a Senders call did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderError {
    /// Twilio refused it (bad number, already registered, wrong code…): its words.
    Refused(String),
    /// Twilio could not be reached or answered oddly; worth trying again.
    Unavailable(String),
}

/// A template's review by WhatsApp, as Twilio reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalState {
    /// `received`, `pending`, `approved`, `rejected`, `paused`, `disabled`…
    pub status: String,
    /// Why WhatsApp rejected it.
    pub rejection_reason: Option<String>,
}

/// The Senders and Content API client, for the platform's Twilio account.
pub struct TwilioSetup {
    http: Arc<dyn HttpClient>,
    url: String,
    content_url: String,
    account: String,
    token: String,
    waba_id: Option<String>,
    inbound_url: Option<String>,
}

#[derive(Deserialize)]
struct SenderRow {
    sid: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    offline_reasons: Option<Vec<Reason>>,
}

#[derive(Deserialize)]
struct Reason {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    message: Option<String>,
}

impl TwilioSetup {
    /// A client for the Senders API at `url` (`TWILIO_MESSAGING_URL`) and the Content API
    /// at `content_url`, as `account`; new senders join the WhatsApp Business Account
    /// `waba_id` and send their customers' messages to `inbound_url` (the worker's Twilio
    /// webhook). Its calls are carried by `http`.
    pub fn new(
        http: Arc<dyn HttpClient>,
        url: &str,
        content_url: &str,
        account: &str,
        token: &str,
        waba_id: Option<String>,
        inbound_url: Option<String>,
    ) -> Self {
        Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            content_url: content_url.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            token: token.to_owned(),
            waba_id,
            inbound_url,
        }
    }

    /// Makes a call and reads its answer into `T`.
    async fn json<T: serde::de::DeserializeOwned>(&self, request: Call) -> Result<T, SenderError> {
        let response = self
            .http
            .send(
                request
                    .basic_auth(&self.account, &self.token)
                    .timeout(Duration::from_secs(10)),
            )
            .await
            .map_err(|e| SenderError::Unavailable(format!("Twilio unreachable: {e}")))?;
        let status = response.status;
        let text = response.text();
        if !(200..300).contains(&status) {
            let refusal: Refusal = serde_json::from_str(&text).unwrap_or_default();
            let message = refusal
                .message
                .unwrap_or_else(|| format!("Twilio answered {status}"));
            return Err(if status == 429 || status >= 500 {
                SenderError::Unavailable(message)
            } else {
                SenderError::Refused(message)
            });
        }
        serde_json::from_str(&text).map_err(|e| {
            SenderError::Unavailable(format!(
                "Twilio's answer was not of the expected shape: {e}"
            ))
        })
    }

    async fn call(&self, request: Call) -> Result<SenderState, SenderError> {
        let row: SenderRow = self.json(request).await?;
        Ok(SenderState {
            sid: row.sid,
            status: row.status.unwrap_or_else(|| "CREATING".into()),
            offline_reasons: row
                .offline_reasons
                .unwrap_or_default()
                .into_iter()
                .map(|r| match (r.code, r.message) {
                    (Some(code), Some(m)) => format!("{m} ({code})"),
                    (None, Some(m)) => m,
                    (Some(code), None) => code.to_string(),
                    (None, None) => "offline".into(),
                })
                .collect(),
        })
    }

    /// Starts registering `number` under the display name `name`; WhatsApp then sends the
    /// number a code by `method` (`sms` or `voice`).
    pub async fn register(
        &self,
        number: &PhoneNumber,
        name: &str,
        method: &str,
    ) -> Result<SenderState, SenderError> {
        let mut body = json!({
            "sender_id": format!("whatsapp:{}", number.as_e164()),
            "configuration": { "verification_method": method },
            "profile": { "name": name },
        });
        if let Some(waba) = &self.waba_id {
            body["configuration"]["waba_id"] = json!(waba);
        }
        if let Some(url) = &self.inbound_url {
            body["webhook"] = json!({ "callback_url": url, "callback_method": "POST" });
        }
        self.call(Call::post(format!("{}/v2/Channels/Senders", self.url)).json(&body))
            .await
    }

    /// The sender as it stands at Twilio.
    pub async fn fetch(&self, sid: &str) -> Result<SenderState, SenderError> {
        self.call(Call::get(format!("{}/v2/Channels/Senders/{sid}", self.url)))
            .await
    }

    /// Hands Twilio the code WhatsApp sent to the number.
    pub async fn verify(&self, sid: &str, code: &str) -> Result<SenderState, SenderError> {
        self.call(
            Call::post(format!("{}/v2/Channels/Senders/{sid}", self.url))
                .json(&json!({ "configuration": { "verification_code": code } })),
        )
        .await
    }

    /// Makes a `whatsapp/flows` template that opens Meta's Flow `flow_id` on its first
    /// screen through our endpoint, the Flow's token being variable `{{1}}`, and asks
    /// WhatsApp to approve it as `name`; its `HX…` sid.
    pub async fn submit_flow(
        &self,
        name: &str,
        language: &str,
        body: &str,
        button: &str,
        flow_id: &str,
    ) -> Result<(String, ApprovalState), SenderError> {
        let mut samples = serde_json::Map::new();
        samples.insert("1".into(), json!("flow-token"));
        self.submit_content(
            name,
            language,
            json!({
                "whatsapp/flows": {
                    "body": body,
                    "button_text": button,
                    "flow_id": flow_id,
                    "flow_token": "{{1}}",
                    "flow_first_page_id": "SERVICE",
                    "is_flow_first_page_endpoint": true
                },
                "twilio/text": { "body": body }
            }),
            &samples,
            "UTILITY",
        )
        .await
    }

    /// Makes a text template and asks WhatsApp to approve it as `name` (lower case, digits
    /// and underscores) in `category` (`UTILITY` for booking messages); its `HX…` sid and
    /// the review's first status. `samples` are example values of its variables, which
    /// WhatsApp's reviewers read.
    pub async fn submit_template(
        &self,
        name: &str,
        language: &str,
        body: &str,
        samples: &serde_json::Map<String, serde_json::Value>,
        category: &str,
    ) -> Result<(String, ApprovalState), SenderError> {
        self.submit_content(
            name,
            language,
            json!({ "twilio/text": { "body": body } }),
            samples,
            category,
        )
        .await
    }

    async fn submit_content(
        &self,
        name: &str,
        language: &str,
        types: serde_json::Value,
        samples: &serde_json::Map<String, serde_json::Value>,
        category: &str,
    ) -> Result<(String, ApprovalState), SenderError> {
        #[derive(Deserialize)]
        struct Made {
            sid: String,
        }
        let made: Made = self
            .json(
                Call::post(format!("{}/v1/Content", self.content_url)).json(&json!({
                    "friendly_name": name,
                    "language": language,
                    "variables": samples,
                    "types": types,
                })),
            )
            .await?;
        let asked: ApprovalRow = self
            .json(
                Call::post(format!(
                    "{}/v1/Content/{}/ApprovalRequests/whatsapp",
                    self.content_url, made.sid
                ))
                .json(&json!({ "name": name, "category": category })),
            )
            .await?;
        Ok((made.sid, asked.into()))
    }

    /// How WhatsApp's review of template `sid` stands.
    pub async fn approval(&self, sid: &str) -> Result<ApprovalState, SenderError> {
        #[derive(Deserialize)]
        struct Fetched {
            #[serde(default)]
            whatsapp: Option<ApprovalRow>,
        }
        let fetched: Fetched = self
            .json(Call::get(format!(
                "{}/v1/Content/{sid}/ApprovalRequests",
                self.content_url
            )))
            .await?;
        Ok(fetched.whatsapp.map_or(
            ApprovalState {
                status: "unsubmitted".into(),
                rejection_reason: None,
            },
            Into::into,
        ))
    }
}

#[derive(Deserialize)]
struct ApprovalRow {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    rejection_reason: Option<String>,
}

impl From<ApprovalRow> for ApprovalState {
    fn from(row: ApprovalRow) -> Self {
        Self {
            status: row.status.unwrap_or_else(|| "received".into()),
            rejection_reason: row.rejection_reason.filter(|r| !r.trim().is_empty()),
        }
    }
}

/// Whether WhatsApp is still reviewing a template with `status` (worth asking again).
pub fn under_review(status: &str) -> bool {
    matches!(status, "received" | "pending" | "unsubmitted")
}

/// Whether Twilio is still working on a sender with `status` (worth asking again).
pub fn unsettled(status: &str) -> bool {
    !matches!(status, "ONLINE" | "OFFLINE" | "STUBBED")
}
