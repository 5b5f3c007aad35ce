//! A WhatsApp customer as Twilio presents them to the worker.
//!
//! Each message becomes the form-encoded webhook Twilio sends (the parameter set of the
//! contract sheet's plain-text example), signed with the account's auth token over the
//! public webhook URL, and posted to the worker's loopback address.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use slotline_shared::twilio::signature;

/// The account every simulated webhook claims to come from.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";

/// The webhook path on the worker.
pub const WEBHOOK_PATH: &str = "/webhooks/twilio";

/// The worker could not be reached or its answer not read.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the worker: {0}")]
pub struct SendError(pub String);

/// A customer's phone.
pub struct Phone {
    worker_url: String,
    public_base_url: String,
    auth_token: String,
    /// The customer's number, E.164.
    pub number: String,
    /// The business number written to, E.164.
    pub to: String,
    sent: AtomicU64,
    agent: ureq::Agent,
}

/// The worker's answer to one webhook.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: String,
    /// Raw body.
    pub body: String,
}

impl Reply {
    /// The text of the first TwiML `<Message>`, unescaped, if the reply carries one.
    pub fn message(&self) -> Option<String> {
        self.messages().into_iter().next()
    }

    /// The texts of every TwiML `<Message>`, unescaped, in order (the `<Body>` of one
    /// that carries a picture).
    pub fn messages(&self) -> Vec<String> {
        self.messages_with_media()
            .into_iter()
            .map(|(text, _)| text)
            .collect()
    }

    /// Every TwiML `<Message>`: its text and its `<Media>` URL, if any.
    pub fn messages_with_media(&self) -> Vec<(String, Option<String>)> {
        let inner = |xml: &str, tag: &str| {
            let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
            let start = xml.find(&open)? + open.len();
            let end = xml[start..].find(&close)? + start;
            Some(unescape(&xml[start..end]))
        };
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<Message>") {
            let after = &rest[start + "<Message>".len()..];
            let Some(end) = after.find("</Message>") else {
                break;
            };
            let xml = &after[..end];
            out.push(match inner(xml, "Body") {
                Some(body) => (body, inner(xml, "Media")),
                None => (unescape(xml), None),
            });
            rest = &after[end..];
        }
        out
    }
}

impl Phone {
    /// A phone for `number` writing to `to`, talking to the worker at `worker_url` which
    /// believes Twilio calls it at `public_base_url`.
    pub fn new(
        worker_url: &str,
        public_base_url: &str,
        auth_token: &str,
        number: &str,
        to: &str,
    ) -> Self {
        Self {
            worker_url: worker_url.trim_end_matches('/').to_owned(),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            auth_token: auth_token.to_owned(),
            number: number.to_owned(),
            to: to.to_owned(),
            sent: AtomicU64::new(0),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(15))
                .build(),
        }
    }

    /// Sends `text` as a new message and returns the worker's answer.
    pub fn send(&self, text: &str) -> Result<Reply, SendError> {
        let params = self.message(&self.new_message_sid(), text);
        self.post_signed(&params)
    }

    /// Sends `text` and checks the reply is 200 and holds every one of `expected`; the
    /// reply's messages joined, or what was wrong (with the whole reply).
    pub fn says(&self, text: &str, expected: &[&str]) -> Result<String, String> {
        let reply = self.send(text).map_err(|e| format!("{text:?}: {e}"))?;
        if reply.status != 200 {
            return Err(format!("{text:?}: status {} {}", reply.status, reply.body));
        }
        let said = reply.messages().join("\n---\n");
        match expected.iter().find(|fragment| !said.contains(**fragment)) {
            Some(missing) => Err(format!(
                "customer: {text:?}\nexpected {missing:?}\nbot said:\n{said}"
            )),
            None => Ok(said),
        }
    }

    /// Taps the quick-reply button `id` titled `title`, as Twilio reports a tap.
    pub fn tap_button(&self, id: &str, title: &str) -> Result<Reply, SendError> {
        let mut params = self.message(&self.new_message_sid(), title);
        params.push(("ButtonPayload".into(), id.into()));
        params.push(("ButtonText".into(), title.into()));
        params.retain(|(k, _)| k != "MessageType");
        params.push(("MessageType".into(), "button".into()));
        self.post_signed(&params)
    }

    /// Picks the list item `id` titled `title`, as Twilio reports a list selection.
    pub fn pick_item(&self, id: &str, title: &str) -> Result<Reply, SendError> {
        let mut params = self.message(&self.new_message_sid(), title);
        params.push(("ListId".into(), id.into()));
        params.push(("ListTitle".into(), title.into()));
        params.retain(|(k, _)| k != "MessageType");
        params.push(("MessageType".into(), "interactive".into()));
        self.post_signed(&params)
    }

    /// Sends a voice note (an `audio/ogg` file at a Twilio media URL, no text), as Twilio
    /// reports one.
    pub fn send_voice_note(&self) -> Result<Reply, SendError> {
        self.send_voice_note_at(
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM0/Media/ME0",
        )
    }

    /// Sends a voice note whose audio is at `media_url`.
    pub fn send_voice_note_at(&self, media_url: &str) -> Result<Reply, SendError> {
        let sid = format!("MM{}", &self.new_message_sid()[2..]);
        let mut params = self.message(&sid, "");
        params.retain(|(k, _)| k != "MessageType" && k != "NumMedia");
        params.extend(
            [
                ("MessageType", "audio"),
                ("NumMedia", "1"),
                ("MediaContentType0", "audio/ogg"),
                ("MediaUrl0", media_url),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        self.post_signed(&params)
    }

    /// A fresh Twilio-shaped message id.
    pub fn new_message_sid(&self) -> String {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digits: u128 = self
            .number
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0, |acc, b| {
                acc.wrapping_mul(10).wrapping_add(u128::from(b - b'0'))
            });
        format!("SM{:032x}", nanos ^ (digits << 64) ^ u128::from(n))
    }

    /// The webhook parameters Twilio sends for a text message with id `sid`.
    pub fn message(&self, sid: &str, text: &str) -> Vec<(String, String)> {
        let from = format!("whatsapp:{}", self.number);
        let to = format!("whatsapp:{}", self.to);
        let wa_id = self.number.trim_start_matches('+');
        [
            ("MessageSid", sid),
            ("SmsMessageSid", sid),
            ("SmsSid", sid),
            ("AccountSid", ACCOUNT_SID),
            ("From", &from),
            ("To", &to),
            ("Body", text),
            ("NumMedia", "0"),
            ("NumSegments", "1"),
            ("SmsStatus", "received"),
            ("ApiVersion", "2010-04-01"),
            ("ProfileName", "E2E Customer"),
            ("WaId", wa_id),
            ("MessageType", "text"),
            ("ReferralNumMedia", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The public URL Twilio would call and sign.
    pub fn public_url(&self) -> String {
        format!("{}{}", self.public_base_url, WEBHOOK_PATH)
    }

    /// The signature Twilio would send for `params` posted to `url`.
    pub fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        signature::compute(&self.auth_token, url, params)
    }

    /// Posts `params` signed over the public URL.
    pub fn post_signed(&self, params: &[(String, String)]) -> Result<Reply, SendError> {
        let sig = self.sign(&self.public_url(), params);
        self.post(params, Some(&sig))
    }

    /// Posts a delivery report for message `sid` as Twilio's status callback does (the
    /// contract's W4 parameter set), signed over the public status URL.
    pub fn report_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<u32>,
    ) -> Result<Reply, SendError> {
        let mut params: Vec<(String, String)> = [
            ("ChannelPrefix", "whatsapp"),
            ("ApiVersion", "2010-04-01"),
            ("MessageStatus", status),
            ("SmsSid", sid),
            ("SmsStatus", status),
            ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.push(("To".into(), format!("whatsapp:{}", self.number)));
        params.push(("From".into(), format!("whatsapp:{}", self.to)));
        params.push(("ChannelToAddress".into(), self.number.clone()));
        if let Some(code) = error_code {
            params.push(("ErrorCode".into(), code.to_string()));
        }
        let path = "/webhooks/twilio/status";
        let sig = self.sign(&format!("{}{path}", self.public_base_url), &params);
        self.post_to(path, &params, Some(&sig))
    }

    /// Posts `params` with the given `X-Twilio-Signature` (or none).
    pub fn post(
        &self,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<Reply, SendError> {
        self.post_to(WEBHOOK_PATH, params, signature)
    }

    /// Posts `params` to `path` on the worker with the given `X-Twilio-Signature` (or none).
    pub fn post_to(
        &self,
        path: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<Reply, SendError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.worker_url))
            .set("Content-Type", "application/x-www-form-urlencoded")
            .set("User-Agent", "TwilioProxy/1.1");
        if let Some(sig) = signature {
            req = req.set("X-Twilio-Signature", sig);
        }
        let resp = match req.send_string(&body) {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(e) => return Err(SendError(e.to_string())),
        };
        let status = resp.status();
        let content_type = resp.header("Content-Type").unwrap_or_default().to_owned();
        let body = resp.into_string().map_err(|e| SendError(e.to_string()))?;
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
