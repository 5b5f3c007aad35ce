//! Sending through Twilio's REST API: content templates for buttons and lists, and messages.
//!
//! Used when a tenant has interactive replies on. Each distinct reply becomes a content
//! template once per isolate (cached by its JSON), then a message carrying its `ContentSid`.
//! Any failure is returned to the caller, which falls back to numbered text in TwiML.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use slotline_shared::twilio::content::{self, MessageContent};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::bridge::within_time;

thread_local! {
    /// Content templates already created: request JSON → `HX…` sid.
    static TEMPLATES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// A Twilio account's REST client.
pub struct Twilio {
    api_url: String,
    content_url: String,
    account_sid: String,
    authorization: String,
}

impl Twilio {
    /// A client for `account_sid` authenticated with its auth token.
    pub fn new(api_url: &str, content_url: &str, account_sid: &str, auth_token: &str) -> Self {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{auth_token}"));
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            content_url: content_url.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            authorization: format!("Basic {credentials}"),
        }
    }

    async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: String,
        within: Duration,
    ) -> Result<serde_json::Value, String> {
        let headers = Headers::new();
        headers
            .set("Authorization", &self.authorization)
            .map_err(|e| e.to_string())?;
        headers
            .set("Content-Type", content_type)
            .map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let target = url.to_owned();
        let send = async move {
            let mut resp = Fetch::Request(request)
                .send()
                .await
                .map_err(|e| format!("{e} ({target})"))?;
            let status = resp.status_code();
            let json: serde_json::Value = resp.json().await.unwrap_or_default();
            if status == 201 || status == 200 {
                Ok(json)
            } else {
                Err(format!("Twilio answered {status}: code {}", json["code"]))
            }
        };
        within_time(within, send)
            .await
            .unwrap_or_else(|| Err("Twilio did not answer in time".into()))
    }

    /// The content template for `request` (created on first use).
    pub async fn template(
        &self,
        request: &serde_json::Value,
        within: Duration,
    ) -> Result<String, String> {
        let key = request.to_string();
        if let Some(sid) = TEMPLATES.with(|t| t.borrow().get(&key).cloned()) {
            return Ok(sid);
        }
        let answer = self
            .post(
                &format!("{}/v1/Content", self.content_url),
                "application/json",
                key.clone(),
                within,
            )
            .await?;
        let sid = answer["sid"]
            .as_str()
            .ok_or("Twilio gave no content sid")?
            .to_owned();
        TEMPLATES.with(|t| t.borrow_mut().insert(key, sid.clone()));
        Ok(sid)
    }

    /// Sends a message from the business's WhatsApp number `from` to customer `to`; Twilio
    /// reports its delivery to `status_callback`.
    pub async fn send(
        &self,
        to: &str,
        from: &str,
        what: MessageContent<'_>,
        status_callback: &str,
        within: Duration,
    ) -> Result<String, String> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_url, self.account_sid
        );
        let form = content::message_form(to, from, what, Some(status_callback));
        let answer = self
            .post(&url, "application/x-www-form-urlencoded", form, within)
            .await?;
        Ok(answer["sid"].as_str().unwrap_or_default().to_owned())
    }
}
