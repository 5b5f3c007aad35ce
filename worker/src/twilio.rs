//! Everything the worker sends through Twilio's REST API (what it answers inside a webhook
//! goes back as TwiML instead): replies with buttons and lists, and what a timer says.
//!
//! Each distinct reply with options becomes a content template once per isolate (cached by
//! its JSON), then a message carrying its `ContentSid`. Twilio's answers are read into
//! private types at the door; a failure is returned to the caller, which falls back to
//! numbered text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use slotline_shared::lang::Lang;
use slotline_shared::render::Reply;
use slotline_shared::twilio::content::{self, MessageContent};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::bridge::within_time;

/// Where Twilio reports the delivery of the messages the worker sends.
pub const STATUS_PATH: &str = "/webhooks/twilio/status";

/// What Twilio answers a create with (a message or a content resource).
#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body.
#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

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

/// The `Authorization` header Twilio wants from `account_sid` (its API and its media URLs).
pub fn basic_authorization(account_sid: &str, auth_token: &str) -> String {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{auth_token}"));
    format!("Basic {credentials}")
}

impl Twilio {
    /// A client for `account_sid` authenticated with its auth token.
    pub fn new(api_url: &str, content_url: &str, account_sid: &str, auth_token: &str) -> Self {
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            content_url: content_url.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            authorization: basic_authorization(account_sid, auth_token),
        }
    }

    async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: String,
        within: Duration,
    ) -> Result<Created, String> {
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
            let text = resp.text().await.unwrap_or_default();
            if status == 201 || status == 200 {
                serde_json::from_str::<Created>(&text)
                    .map_err(|e| format!("Twilio's answer has no sid: {e}"))
            } else {
                let refusal: Refusal = serde_json::from_str(&text).unwrap_or_default();
                Err(format!(
                    "Twilio answered {status}: code {} ({})",
                    refusal.code.unwrap_or_default(),
                    refusal.message.unwrap_or_default()
                ))
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
        let sid = answer.sid;
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
        Ok(answer.sid)
    }

    /// Sends `replies` in order from `from` to `to`, those with options as buttons or lists
    /// (in `lang`), within `within` each. On a failure, returns the index of the first reply
    /// not sent, for the caller to fall back to text from there.
    pub async fn send_replies(
        &self,
        to: &str,
        from: &str,
        replies: &[Reply],
        lang: Lang,
        status_callback: &str,
        within: impl Fn() -> Duration,
    ) -> Result<(), usize> {
        for (i, r) in replies.iter().enumerate() {
            let sent = match content::create_request(r, lang, "slotline_reply") {
                Some(request) => match self.template(&request, within()).await {
                    Ok(sid) => {
                        let what = MessageContent::Template(&sid);
                        self.send(to, from, what, status_callback, within()).await
                    }
                    Err(e) => Err(e),
                },
                None => {
                    let what = match &r.media_url {
                        Some(media) => MessageContent::TextWithMedia {
                            body: &r.text,
                            media,
                        },
                        None => MessageContent::Text(&r.text),
                    };
                    self.send(to, from, what, status_callback, within()).await
                }
            };
            if let Err(e) = sent {
                worker::console_warn!("a reply to {to} was not sent by REST: {e}");
                return Err(i);
            }
        }
        Ok(())
    }

    /// Sends plain texts in order; stops at the first failure.
    pub async fn send_texts(
        &self,
        to: &str,
        from: &str,
        texts: &[String],
        status_callback: &str,
        within: Duration,
    ) -> Result<(), String> {
        for text in texts {
            let what = MessageContent::Text(text);
            self.send(to, from, what, status_callback, within).await?;
        }
        Ok(())
    }
}
