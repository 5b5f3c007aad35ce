//! `TwilioMessenger`: the `Messenger` port over Twilio, how lifecycle messages reach
//! WhatsApp.
//!
//! [`TwilioMessenger`] speaks Twilio's REST API as the project's contract sheet describes
//! it: Basic auth per account, form-encoded `Messages.json`, `ContentSid` +
//! `ContentVariables` for approved templates, and the Content API for session messages with
//! buttons (one content resource per distinct message, cached). It can also list what was
//! sent to a customer since a time, so a message whose sender died mid-send is looked up
//! rather than sent twice (Twilio has no idempotency key for outbound messages).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::render::{self, Reply};
use slotline_shared::twilio::content::{self, MessageContent};

use crate::ports::{Body, Call, HttpClient, Messenger, Outgoing, SendError, SentRecord};

/// What Twilio answers a create with (a message, a content resource).
#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body.
#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
}

/// A content resource: its text in each of its types.
#[derive(Deserialize)]
struct ContentResource {
    #[serde(default)]
    types: HashMap<String, ContentType>,
}

#[derive(Deserialize)]
struct ContentType {
    #[serde(default)]
    body: Option<String>,
}

/// One page of `Messages.json`.
#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<MessageRow>,
}

#[derive(Deserialize)]
struct MessageRow {
    sid: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    date_created: Option<String>,
}

/// Twilio's REST and Content APIs.
pub struct TwilioMessenger {
    http: Arc<dyn HttpClient>,
    api_url: String,
    content_url: String,
    /// Auth tokens by `AccountSid`.
    tokens: HashMap<String, String>,
    /// Content resources made for session messages: request JSON → `HX…`.
    contents: Mutex<HashMap<String, String>>,
    /// Approved templates' text, for finding a message already sent: `HX…` → body.
    template_texts: Mutex<HashMap<String, String>>,
}

/// How long one Twilio call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl TwilioMessenger {
    /// A client for the given API bases and `AccountSid` → auth token pairs, its calls
    /// carried by `http`.
    pub fn new(
        http: Arc<dyn HttpClient>,
        api_url: &str,
        content_url: &str,
        tokens: HashMap<String, String>,
    ) -> Self {
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            content_url: content_url.trim_end_matches('/').to_owned(),
            tokens,
            contents: Mutex::new(HashMap::new()),
            template_texts: Mutex::new(HashMap::new()),
        }
    }

    fn token(&self, account: &str) -> Result<&str, SendError> {
        self.tokens
            .get(account)
            .map(String::as_str)
            .ok_or_else(|| SendError::NoAccount(account.to_owned()))
    }

    /// Makes a call and reads its answer into `T`. An answer of the wrong shape is a
    /// transient failure: whether the call took effect is unknown, and the dispatcher looks
    /// a message up before it sends it again.
    async fn call<T: DeserializeOwned>(
        &self,
        account: &str,
        request: Call,
    ) -> Result<T, SendError> {
        let token = self.token(account)?;
        let response = self
            .http
            .send(request.basic_auth(account, token).timeout(CALL_TIMEOUT))
            .await
            .map_err(|e| SendError::Transient {
                code: None,
                detail: format!("Twilio unreachable: {e}"),
                retry_after: None,
            })?;
        let status = response.status;
        let retry_after = response.retry_after().map(Duration::from_secs);
        let text = response.text();
        if response.is_success() {
            return serde_json::from_str(&text).map_err(|e| SendError::Transient {
                code: None,
                detail: format!("Twilio's answer was not of the expected shape: {e}"),
                retry_after: None,
            });
        }
        let refusal: Refusal = serde_json::from_str(&text).unwrap_or_default();
        let code = refusal.code;
        let detail = format!(
            "Twilio answered {status}: {}",
            refusal.message.as_deref().unwrap_or("no message")
        );
        Err(match (status, code) {
            (_, Some(63016)) => SendError::OutsideWindow,
            (429 | 500..=599, _) => SendError::Transient {
                code,
                detail,
                retry_after,
            },
            _ => SendError::Permanent { code, detail },
        })
    }

    /// The content resource for a session message with buttons (made once).
    async fn content_for(
        &self,
        account: &str,
        reply: &Reply,
        lang: Lang,
    ) -> Result<Option<String>, SendError> {
        let Some(request) = content::create_request(reply, lang, "slotline_lifecycle") else {
            return Ok(None);
        };
        let key = request.to_string();
        if let Some(sid) = lock(&self.contents).get(&key).cloned() {
            return Ok(Some(sid));
        }
        let answer: Created = self
            .call(
                account,
                Call::post(format!("{}/v1/Content", self.content_url))
                    .header("Content-Type", "application/json")
                    .body(key.clone()),
            )
            .await?;
        let sid = answer.sid;
        lock(&self.contents).insert(key, sid.clone());
        Ok(Some(sid))
    }

    /// The text Twilio shows for a message: a session message's own text, or an approved
    /// template's, filled in.
    async fn expected_body(&self, message: &Outgoing) -> Result<String, SendError> {
        match &message.body {
            Body::Session { reply, .. } => Ok(if reply.options.is_empty() {
                reply.text.clone()
            } else {
                render::interactive(reply).map_or_else(
                    || reply.text.clone(),
                    |i| match i {
                        render::Interactive::QuickReply { body, .. }
                        | render::Interactive::ListPicker { body, .. } => body,
                    },
                )
            }),
            Body::Template { sid, variables } => {
                let cached = lock(&self.template_texts).get(sid).cloned();
                let text = match cached {
                    Some(text) => text,
                    None => {
                        let content: ContentResource = self
                            .call(
                                &message.account_sid,
                                Call::get(format!("{}/v1/Content/{sid}", self.content_url)),
                            )
                            .await?;
                        let text = ["twilio/quick-reply", "twilio/text", "twilio/call-to-action"]
                            .iter()
                            .find_map(|t| content.types.get(*t)?.body.clone())
                            .unwrap_or_default();
                        lock(&self.template_texts).insert(sid.clone(), text.clone());
                        text
                    }
                };
                let vars: HashMap<String, String> =
                    serde_json::from_str(variables).unwrap_or_default();
                Ok(vars
                    .iter()
                    .fold(text, |acc, (k, v)| acc.replace(&format!("{{{{{k}}}}}"), v)))
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn whatsapp(number: &PhoneNumber) -> String {
    format!("whatsapp:{}", number.as_e164())
}

#[async_trait]
impl Messenger for TwilioMessenger {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let account = message.account_sid.as_str();
        let (to, from) = (whatsapp(&message.to), whatsapp(&message.from));
        let callback = message.status_callback.as_deref();
        let form = match &message.body {
            Body::Session { reply, lang } => match self.content_for(account, reply, *lang).await? {
                Some(sid) => {
                    content::message_form(&to, &from, MessageContent::Template(&sid), callback)
                }
                None => match &reply.media_url {
                    // A document or a picture beside the text (Twilio fetches it).
                    Some(media) => content::message_form(
                        &to,
                        &from,
                        MessageContent::TextWithMedia {
                            body: &reply.text,
                            media,
                        },
                        callback,
                    ),
                    None => content::message_form(
                        &to,
                        &from,
                        MessageContent::Text(&reply.text),
                        callback,
                    ),
                },
            },
            Body::Template { sid, variables } => content::message_form(
                &to,
                &from,
                MessageContent::Approved { sid, variables },
                callback,
            ),
        };
        let answer: Created = self
            .call(
                account,
                Call::post(format!(
                    "{}/2010-04-01/Accounts/{account}/Messages.json",
                    self.api_url
                ))
                .form(form),
            )
            .await?;
        Ok(answer.sid)
    }

    async fn already_sent(
        &self,
        message: &Outgoing,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, SendError> {
        let account = message.account_sid.as_str();
        let expected = self.expected_body(message).await?;
        let query = [
            ("To", whatsapp(&message.to)),
            ("From", whatsapp(&message.from)),
            ("DateSent>", since.format("%Y-%m-%d").to_string()),
            ("PageSize", "100".to_owned()),
        ];
        let page: MessagePage = self
            .call(
                account,
                Call::get(format!(
                    "{}/2010-04-01/Accounts/{account}/Messages.json",
                    self.api_url
                ))
                .query(&query),
            )
            .await?;
        let found = page
            .messages
            .into_iter()
            .filter_map(|m| {
                let created = DateTime::parse_from_rfc2822(m.date_created.as_deref()?).ok()?;
                Some(SentRecord {
                    sid: m.sid,
                    body: m.body.unwrap_or_default(),
                    created: created.with_timezone(&Utc),
                })
            })
            // Twilio's dates have whole seconds.
            .find(|m| m.body == expected && m.created >= since - chrono::Duration::seconds(1));
        Ok(found.map(|m| m.sid))
    }
}
