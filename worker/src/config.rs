//! Settings read from the Worker's environment (`[vars]` in `wrangler.toml`, secrets, or
//! `wrangler dev --var`). Each is documented in the README.

use worker::Env;

use crate::error::WebhookError;

/// What the webhook needs to know about its deployment.
pub struct Config {
    /// The public origin Twilio calls, e.g. `https://book.example.com`. Signatures are
    /// checked against this plus the request's path and query, never against the URL the
    /// request arrived with (proxies and the runtime rewrite that).
    pub public_base_url: String,
    /// The Twilio auth token that signs webhooks.
    pub twilio_auth_token: String,
    /// The tenant every message goes to until numbers are routed per tenant.
    pub default_tenant: String,
}

impl Config {
    /// Reads the settings, failing with a configuration error naming the first one missing.
    pub fn from_env(env: &Env) -> Result<Self, WebhookError> {
        Ok(Self {
            public_base_url: text(env, "PUBLIC_BASE_URL")?
                .trim_end_matches('/')
                .to_owned(),
            twilio_auth_token: text(env, "TWILIO_AUTH_TOKEN")?,
            default_tenant: text(env, "DEFAULT_TENANT")?,
        })
    }
}

fn text(env: &Env, name: &'static str) -> Result<String, WebhookError> {
    // Secrets and plain variables are both strings to the Worker; accept either.
    let value = env
        .secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .map_err(|_| WebhookError::Config(name))?;
    if value.trim().is_empty() {
        return Err(WebhookError::Config(name));
    }
    Ok(value)
}
