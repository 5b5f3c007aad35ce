//! Registering a business's own WhatsApp number through Twilio's Senders API
//! (`messaging.twilio.com/v2/Channels/Senders`), on the platform's WhatsApp Business
//! Account.
//!
//! Registration is asynchronous at Twilio: a sender starts `CREATING`, usually waits in
//! `PENDING_VERIFICATION` for the code WhatsApp sends to the number by SMS or voice, then
//! goes `VERIFYING` and `ONLINE` (or `OFFLINE`, with reasons). The bridge keeps the sender's
//! last known status on the business and asks Twilio again while it is not settled.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use slotline_shared::phone::PhoneNumber;

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

/// The Senders API client, for the platform's Twilio account.
pub struct TwilioSenders {
    http: reqwest::Client,
    url: String,
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

impl TwilioSenders {
    /// A client for the Senders API at `url` (`TWILIO_MESSAGING_URL`), as `account`; new
    /// senders join the WhatsApp Business Account `waba_id` and send their customers'
    /// messages to `inbound_url` (the worker's Twilio webhook).
    pub fn new(
        url: &str,
        account: &str,
        token: &str,
        waba_id: Option<String>,
        inbound_url: Option<String>,
    ) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            url: url.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            token: token.to_owned(),
            waba_id,
            inbound_url,
        }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<SenderState, SenderError> {
        let response = request
            .basic_auth(&self.account, Some(&self.token))
            .send()
            .await
            .map_err(|e| SenderError::Unavailable(format!("Twilio unreachable: {e}")))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
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
        let row: SenderRow = serde_json::from_str(&text).map_err(|e| {
            SenderError::Unavailable(format!(
                "Twilio's sender was not of the expected shape: {e}"
            ))
        })?;
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
        self.call(
            self.http
                .post(format!("{}/v2/Channels/Senders", self.url))
                .json(&body),
        )
        .await
    }

    /// The sender as it stands at Twilio.
    pub async fn fetch(&self, sid: &str) -> Result<SenderState, SenderError> {
        self.call(
            self.http
                .get(format!("{}/v2/Channels/Senders/{sid}", self.url)),
        )
        .await
    }

    /// Hands Twilio the code WhatsApp sent to the number.
    pub async fn verify(&self, sid: &str, code: &str) -> Result<SenderState, SenderError> {
        self.call(
            self.http
                .post(format!("{}/v2/Channels/Senders/{sid}", self.url))
                .json(&json!({ "configuration": { "verification_code": code } })),
        )
        .await
    }
}

/// Whether Twilio is still working on a sender with `status` (worth asking again).
pub fn unsettled(status: &str) -> bool {
    !matches!(status, "ONLINE" | "OFFLINE" | "STUBBED")
}
