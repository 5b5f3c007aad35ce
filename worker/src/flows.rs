//! `POST /flows/{tenant}`: the WhatsApp Flow endpoint's public address, at the edge.
//!
//! The bridge answers Flow requests (every screen past the first needs its slot cache,
//! engine and store, and RSA runs there natively; see the bridge's `flows` module), and
//! Meta is best given the bridge's own URL: measured, that answers in under half the time.
//! This relay is for deployments whose bridge is not reachable from the internet: it passes
//! each request on unopened, with WhatsApp's signature header, to the tenant's bridges
//! (failing over like every other call), and returns the bridge's answer unchanged, so the
//! 421/427/432 statuses reach WhatsApp as the contract wants them.

use std::time::Duration;

use worker::{Env, Headers, Request, Response, Result};

use crate::bridge::Bridge;
use crate::config::Config;
use crate::error;

/// How long WhatsApp's client may wait; it gives up near 10 s and marks an endpoint slower
/// than 1 s unhealthy, so this only bounds a stuck bridge.
const BUDGET: Duration = Duration::from_secs(5);

/// The header carrying WhatsApp's signature of the body (with the Meta app's secret).
const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Whether `tenant` can be a business's id (letters, digits, `-` and `_`): anything else
/// is refused here instead of being put into the bridge's path.
fn plausible_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Relays one Flow request for `tenant` to its bridge.
pub async fn endpoint(mut req: Request, env: &Env, tenant: &str) -> Result<Response> {
    if !plausible_tenant(tenant) {
        return error::plain(404, "not found");
    }
    let config = match Config::from_env(env) {
        Ok(config) => config,
        Err(e) => return e.into_response(),
    };
    let signature = req.headers().get(SIGNATURE_HEADER)?;
    let body = req.bytes().await?;
    let mut headers = vec![("content-type", "application/json")];
    if let Some(signature) = &signature {
        headers.push((SIGNATURE_HEADER, signature.as_str()));
    }
    let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
    match bridge
        .relay(&format!("/flows/{tenant}"), body, &headers, BUDGET)
        .await
    {
        Ok(answer) => {
            let out = Headers::new();
            out.set(
                "Content-Type",
                answer.content_type.as_deref().unwrap_or("text/plain"),
            )?;
            Ok(Response::from_bytes(answer.body)?
                .with_status(answer.status)
                .with_headers(out))
        }
        Err(e) => {
            worker::console_warn!("Flow request for {tenant} not answered: {e}");
            error::plain(503, "the booking service is unavailable, try again shortly")
        }
    }
}
