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
}

/// The longest the model is waited for.
pub const MODEL_BUDGET: Duration = Duration::from_millis(1_500);

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
    let body = llm::request_body(&config.model, &message, tenant, reading).to_string();
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
    match within_time(limit, call).await {
        Some(Ok(read)) => Some(read),
        Some(Err(e)) => {
            worker::console_warn!("the language model gave nothing usable: {e}");
            None
        }
        None => {
            worker::console_warn!("the language model did not answer within {limit:?}");
            None
        }
    }
}
