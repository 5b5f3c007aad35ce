//! A stand-in for an OpenAI-compatible chat-completions API with tool calling, as the
//! worker's optional language model uses it: `POST /v1/chat/completions` with a bearer key,
//! answering OpenAI's shapes (a `chat.completion` whose message carries `tool_calls`, or an
//! `{"error": {...}}` body with its status: 401 for a wrong key, 400 for a malformed request,
//! 429 for a rate limit, 500).
//!
//! `POST /v1/audio/transcriptions` (multipart: `file`, `model`) answers `{"text": …}`: the
//! stand-in "hears" an audio file whose bytes are `SPOKEN:` and the words, as tests make
//! them; anything else is 400 `invalid_file_format`.
//!
//! What it answers is scripted by what the customer wrote: a rule whose phrase occurs in the
//! user message gives the tool call's arguments, and may be slow or fail; a message no rule
//! matches gets a call with no arguments (the model found nothing). Every request is kept,
//! so tests can check what left for the model (no phone numbers, no names).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// The key the worker is given, and the stand-in wants.
pub const KEY: &str = "sk-test-slotline";

/// How a rule answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// At once, with these tool arguments.
    Answer(Value),
    /// After this long, with these arguments.
    Slow(Duration, Value),
    /// With this status and OpenAI's error body.
    Fail(u16),
}

#[derive(Default)]
struct World {
    rules: Vec<(String, Behaviour)>,
    requests: Vec<Value>,
}

/// A running stand-in; stops when dropped.
pub struct LlmStandIn {
    /// Its base URL with `/v1`, as `LLM_API_URL` takes it.
    pub url: String,
    world: Arc<Mutex<World>>,
    _server: crate::served::Served,
}

fn error(status: u16, kind: &str, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

/// The user message of a request, if it has the shape the worker must send.
fn user_message(body: &Value) -> Result<String, String> {
    body["model"]
        .as_str()
        .filter(|m| !m.is_empty())
        .ok_or("model is required")?;
    let messages = body["messages"]
        .as_array()
        .ok_or("messages must be an array")?;
    let tool = &body["tools"][0];
    if tool["type"] != "function" || !tool["function"]["name"].is_string() {
        return Err("tools[0] must be a function with a name".into());
    }
    if !tool["function"]["parameters"].is_object() {
        return Err("tools[0].function.parameters must be a JSON schema".into());
    }
    messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| "no user message".into())
}

fn completion(tool: &str, arguments: &Value) -> Value {
    json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "standin",
        "choices": [{
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_standin",
                    "type": "function",
                    "function": {"name": tool, "arguments": arguments.to_string()}
                }]
            }
        }],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    })
}

async fn handle(world: Arc<Mutex<World>>, request: axum::extract::Request) -> (u16, Value) {
    let (parts, body) = request.into_parts();
    let authorized = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {KEY}"));
    if !authorized {
        return error(
            401,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided.",
        );
    }
    if parts.uri.path() == "/v1/audio/transcriptions" && parts.method == "POST" {
        let kind = parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = axum::body::to_bytes(body, 8 << 20)
            .await
            .unwrap_or_default();
        return transcription(&kind, &bytes);
    }
    if parts.uri.path() != "/v1/chat/completions" || parts.method != "POST" {
        return error(
            404,
            "invalid_request_error",
            "unknown_url",
            "Unknown request URL.",
        );
    }
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return error(
            400,
            "invalid_request_error",
            "invalid_json",
            "We could not parse the JSON body.",
        );
    };
    let user = match user_message(&body) {
        Ok(user) => user,
        Err(why) => return error(400, "invalid_request_error", "invalid_request", &why),
    };
    let tool = body["tools"][0]["function"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let behaviour = {
        let mut w = world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.requests.push(body);
        let lower = user.to_lowercase();
        w.rules
            .iter()
            .find(|(phrase, _)| lower.contains(phrase.as_str()))
            .map(|(_, b)| b.clone())
    };
    match behaviour {
        None => (200, completion(&tool, &json!({}))),
        Some(Behaviour::Answer(args)) => (200, completion(&tool, &args)),
        Some(Behaviour::Slow(delay, args)) => {
            tokio::time::sleep(delay).await;
            (200, completion(&tool, &args))
        }
        Some(Behaviour::Fail(429)) => error(
            429,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for requests.",
        ),
        Some(Behaviour::Fail(status)) => error(
            status,
            "server_error",
            "server_error",
            "The server had an error.",
        ),
    }
}

/// The parts of a `multipart/form-data` body: (name, bytes).
fn form_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let content = &rest[head_end + 4..];
        let end = find(content, delimiter.as_bytes())?;
        let value = content[..end]
            .strip_suffix(b"\r\n")
            .unwrap_or(&content[..end]);
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| {
                n.split(['\r', '\n'])
                    .next()
                    .unwrap_or(n)
                    .trim_matches('"')
                    .to_owned()
            })?;
        parts.push((name, value.to_vec()));
        rest = &content[end..];
    }
    Some(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn transcription(content_type: &str, body: &[u8]) -> (u16, Value) {
    let Some(parts) = form_parts(content_type, body) else {
        return error(
            400,
            "invalid_request_error",
            "invalid_request",
            "Expected multipart/form-data.",
        );
    };
    let field = |name: &str| {
        parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if field("model").is_none_or(|m| m.is_empty()) {
        return error(
            400,
            "invalid_request_error",
            "invalid_request",
            "model is required",
        );
    }
    let Some(audio) = field("file") else {
        return error(
            400,
            "invalid_request_error",
            "invalid_request",
            "file is required",
        );
    };
    match String::from_utf8(audio)
        .ok()
        .and_then(|t| t.strip_prefix("SPOKEN:").map(str::to_owned))
    {
        Some(words) => (200, json!({"text": words})),
        None => error(
            400,
            "invalid_request_error",
            "invalid_file_format",
            "Invalid file format.",
        ),
    }
}

impl LlmStandIn {
    /// Starts the stand-in on a free loopback port.
    pub fn start() -> std::io::Result<Self> {
        let world = Arc::new(Mutex::new(World::default()));
        let shared = Arc::clone(&world);
        let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let world = Arc::clone(&shared);
            async move {
                use axum::response::IntoResponse;
                let (status, body) = handle(world, request).await;
                let status = axum::http::StatusCode::from_u16(status)
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
                (status, axum::Json(body)).into_response()
            }
        });
        let server = crate::served::Served::start(router)?;
        Ok(Self {
            url: format!("{}/v1", server.url),
            world,
            _server: server,
        })
    }

    /// Messages containing `phrase` (any case) are answered so.
    pub fn on(&self, phrase: &str, behaviour: Behaviour) {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .rules
            .push((phrase.to_lowercase(), behaviour));
    }

    /// The user messages received so far, oldest first.
    pub fn user_messages(&self) -> Vec<String> {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .requests
            .iter()
            .filter_map(|r| user_message(r).ok())
            .collect()
    }
}
