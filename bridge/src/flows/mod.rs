//! WhatsApp Flows: the booking form WhatsApp draws inside the chat, fed live by our
//! endpoint (`POST /flows/{tenant}`, the Flows contract).
//!
//! The bridge serves the endpoint rather than the worker: every screen but the first needs
//! the slot cache, the engine or the store, which live here, so answering from the worker
//! would add a worker→bridge round trip to each request, and RSA decryption in the worker's
//! WebAssembly would grow a bundle already past its budget. Meta is given this bridge's URL;
//! the worker's `/flows/{tenant}` only relays here, for a bridge not reachable from the
//! internet. The figures are in the README (`cargo xtask bench`, the `flows` benchmark).
//!
//! - [`crypto`]: opening requests and sealing answers;
//! - [`keys`]: each business's RSA keys, their rotation, sealed at rest;
//! - [`json`]: the Flow JSON per language, and the checks its answers must pass;
//! - [`screens`]: what each screen shows and what submitting it does.
//!
//! Order of checks on every request, as the contract asks: the signature (432) when the
//! business gave its app secret; decryption (421); `ping` answered with no I/O past the
//! cached keys; error notifications acknowledged; then the `flow_token` (427 when it is
//! not ours, has expired, is another business's, or its booking is made).

pub mod crypto;
pub mod json;
pub mod keys;
pub mod screens;

use serde::Deserialize;
use serde_json::{Value, json};
use slotline_shared::catalog::TenantId;
use slotline_shared::flow_token::FlowToken;
use slotline_shared::i18n::{self, Key};
use slotline_shared::lang::Lang;

use crate::error::AppError;
use crate::model::TicketKind;
use crate::routes::AppState;

/// What the endpoint answers: an HTTP status and a body (bare base64 when encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Reply {
    fn plain(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
        }
    }
}

/// A decrypted request (version 3.0).
#[derive(Debug, Deserialize)]
struct FlowRequest {
    #[serde(default)]
    action: String,
    #[serde(default)]
    screen: Option<String>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    flow_token: Option<String>,
}

/// Answers one request to `/flows/{tenant}`: `signature` is the `X-Hub-Signature-256`
/// header, `body` the raw bytes.
pub async fn endpoint(
    state: &AppState,
    tenant: &TenantId,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Reply, AppError> {
    let (Some(ring), Some(secret)) = (&state.flow_keys, &state.worker_secret) else {
        return Ok(Reply::plain(
            503,
            "WhatsApp Flows need SLOTLINE_WORKER_SECRET",
        ));
    };
    let now = state.clock.now();
    let credentials = ring
        .credentials(state.store.as_ref(), tenant, now)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    if credentials.keys.is_empty() {
        // Unknown business, or no key made yet: nothing can be opened.
        return Ok(Reply::plain(421, "no Flow key for this business"));
    }
    if let Some(app_secret) = &credentials.app_secret
        && !crypto::signed(app_secret, signature, body)
    {
        return Ok(Reply::plain(432, "signature mismatch"));
    }
    let Ok(envelope) = serde_json::from_slice::<crypto::Envelope>(body) else {
        return Ok(Reply::plain(421, "not an encrypted Flow request"));
    };
    let Ok(opened) = crypto::open(&credentials.keys, &envelope) else {
        return Ok(Reply::plain(421, "the request could not be decrypted"));
    };
    let Ok(request) = serde_json::from_slice::<FlowRequest>(&opened.plaintext) else {
        return Ok(Reply::plain(
            400,
            "the decrypted request is not a Flow request",
        ));
    };
    let sealed = |value: Value| Reply {
        status: 200,
        body: opened.seal(value.to_string().as_bytes()),
    };
    if request.action == "ping" {
        return Ok(sealed(json!({"data": {"status": "active"}})));
    }
    let data = request.data.unwrap_or(Value::Null);
    if data.get("error").is_some() {
        tracing::warn!(
            %tenant,
            error = %data["error"],
            message = %data["error_message"],
            "a WhatsApp client could not use our last Flow answer"
        );
        return Ok(sealed(json!({"data": {"acknowledged": true}})));
    }
    let text = request.flow_token.unwrap_or_default();
    let token = match FlowToken::verify(&text, secret, now) {
        Ok(token) if &token.tenant == tenant => token,
        Ok(_) | Err(_) => return Ok(refused(&opened, Lang::En, Key::FlowExpired)),
    };
    if state
        .store
        .ticket(&screens::used_key(&token), TicketKind::FlowUsed, now)
        .await?
        .is_some()
    {
        return Ok(refused(&opened, token.lang, Key::FlowUsed));
    }
    let session = screens::Session {
        state,
        tenant,
        token: &token,
        token_text: &text,
    };
    let answer = session
        .answer(&screens::Request {
            action: &request.action,
            screen: request.screen.as_deref(),
            data: &data,
        })
        .await?;
    Ok(sealed(answer))
}

/// A 427: the token opens nothing; the body says why, encrypted like Meta's own sample
/// (the contract is unsure whether the client wants it encrypted; the stand-in takes both).
fn refused(opened: &crypto::Opened, lang: Lang, key: Key) -> Reply {
    let body = json!({"error_msg": i18n::text(lang, key)});
    Reply {
        status: 427,
        body: opened.seal(body.to_string().as_bytes()),
    }
}
