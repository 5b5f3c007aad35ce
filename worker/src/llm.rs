//! The optional language model, asked only when the built-in parser is unsure of a
//! message (`slotline_shared::llm`): an OpenAI-compatible chat-completions call with one
//! tool, within a deadline. Every failure (no budget left, slow, refused, unreadable) is
//! the built-in reading, so a customer never waits on the model or hears from it directly.

use std::time::Duration;

use slotline_shared::catalog::TenantProfile;
use slotline_shared::llm;
use slotline_shared::nlu::{Interpretation, Reading};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::bridge::within_time;

/// Where the model is and which one (`LLM_API_URL`, `LLM_MODEL`, `LLM_API_KEY`).
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The API's base, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub url: String,
    /// The model's name.
    pub model: String,
    /// The bearer key, if the API wants one.
    pub key: Option<String>,
    /// The transcription model for voice notes (`TRANSCRIBE_MODEL`); `None` when off.
    pub transcribe: Option<String>,
}

/// The longest the model is waited for.
pub const MODEL_BUDGET: Duration = Duration::from_millis(1_500);

/// The longest a voice note's download and transcription are waited for.
pub const TRANSCRIBE_BUDGET: Duration = Duration::from_millis(1_600);

/// Voice notes larger than this are not sent for transcription (WhatsApp's own limit for
/// audio is 16 MB; a minute of voice is about 100 KB).
const MAX_VOICE_BYTES: usize = 5 * 1024 * 1024;

/// A voice note as text: downloaded from Twilio with the account's credentials, then sent
/// to the OpenAI-compatible `/audio/transcriptions` with `model`, all within `limit`.
/// `None` on any failure (the customer is then told the bot cannot listen to it).
pub async fn transcribe(
    config: &ModelConfig,
    model: &str,
    media: (&str, &str),
    twilio_auth: &str,
    limit: Duration,
) -> Option<String> {
    let (url, kind) = media;
    let work = async {
        let headers = Headers::new();
        headers
            .set("authorization", twilio_auth)
            .map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let mut resp = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status_code() != 200 {
            return Err(format!("the media answered {}", resp.status_code()));
        }
        let audio = resp.bytes().await.map_err(|e| e.to_string())?;
        if audio.is_empty() || audio.len() > MAX_VOICE_BYTES {
            return Err(format!("a voice note of {} bytes", audio.len()));
        }
        let form = worker::web_sys::FormData::new().map_err(|_| "no FormData".to_owned())?;
        form.append_with_str("model", model)
            .map_err(|_| "form".to_owned())?;
        let bytes = js_sys::Uint8Array::from(audio.as_slice());
        let blob = worker::web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes))
            .map_err(|_| "blob".to_owned())?;
        let name = if kind.contains("mpeg") {
            "voice.mp3"
        } else {
            "voice.ogg"
        };
        form.append_with_blob_and_filename("file", &blob, name)
            .map_err(|_| "form".to_owned())?;
        let headers = Headers::new();
        if let Some(key) = &config.key {
            headers
                .set("authorization", &format!("Bearer {key}"))
                .map_err(|e| e.to_string())?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(form.into()));
        let url = format!("{}/audio/transcriptions", config.url.trim_end_matches('/'));
        let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
        let mut resp = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status_code() != 200 {
            return Err(format!("transcription answered {}", resp.status_code()));
        }
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        body["text"]
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| "no text in the transcription".to_owned())
    };
    answered(
        limit,
        work,
        "a voice note was not transcribed",
        "a voice note was not transcribed within",
    )
    .await
}

/// Asks the model what `text` says, within `limit`. `None` on any failure, logged.
pub async fn read(
    config: &ModelConfig,
    text: &str,
    customer_name: Option<&str>,
    tenant: &TenantProfile,
    reading: &Reading<'_>,
    limit: Duration,
) -> Option<Interpretation> {
    let message = llm::redact(text, customer_name);
    let body = llm::request_body(&config.model, &message, tenant, reading);
    let headers = Headers::new();
    headers.set("content-type", "application/json").ok()?;
    if let Some(key) = &config.key {
        headers
            .set("authorization", &format!("Bearer {key}"))
            .ok()?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let url = format!("{}/chat/completions", config.url.trim_end_matches('/'));
    let request = Request::new_with_init(&url, &init).ok()?;
    let call = async {
        let mut resp = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status_code();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("answered {status}"));
        }
        llm::read_answer(&text, reading).map_err(|e| e.to_string())
    };
    answered(
        limit,
        call,
        "the language model gave nothing usable",
        "the language model did not answer within",
    )
    .await
}

/// What `work` gives within `limit`; `None` on an error (logged after `failed`) or when the
/// time runs out (logged as `late` and the limit).
async fn answered<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T, String>>,
    failed: &str,
    late: &str,
) -> Option<T> {
    match within_time(limit, work).await {
        Some(Ok(value)) => Some(value),
        Some(Err(e)) => {
            worker::console_warn!("{failed}: {e}");
            None
        }
        None => {
            worker::console_warn!("{late} {} ms", limit.as_millis());
            None
        }
    }
}
