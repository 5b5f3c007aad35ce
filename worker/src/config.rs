//! Settings read from the Worker's environment (`[vars]` in `wrangler.toml`, secrets, or
//! `wrangler dev --var`). Each is documented in the README.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::Env;

use crate::error::WebhookError;

/// What the worker needs to know about its deployment.
pub struct Config {
    /// The public origin Twilio calls, e.g. `https://book.example.com`. Signatures are
    /// checked against this plus the request's path and query, never against the URL the
    /// request arrived with (proxies and the runtime rewrite that).
    pub public_base_url: String,
    /// The Twilio auth token for accounts without their own entry in `account_tokens`.
    pub twilio_auth_token: String,
    /// Auth tokens of Twilio sub-accounts, by `AccountSid` (`TWILIO_AUTH_TOKENS`, JSON).
    pub account_tokens: HashMap<String, String>,
    /// The bridges' origins (`BRIDGE_URL`: one, or several separated by commas).
    pub bridge_url: String,
    /// The secret worker → bridge calls are signed with.
    pub bridge_secret: String,
    /// Messages one customer may send per minute before being ignored politely.
    pub messages_per_minute: u32,
    /// Twilio's REST API (`TWILIO_API_URL`).
    pub twilio_api_url: String,
    /// Twilio's Content API (`TWILIO_CONTENT_URL`).
    pub twilio_content_url: String,
    /// The optional language model (`LLM_API_URL`, `LLM_MODEL`, `LLM_API_KEY`).
    pub model: Option<crate::llm::ModelConfig>,
}

thread_local! {
    /// The settings, read once per isolate: a deployment's environment does not change
    /// while its isolate lives, and reading a dozen variables (each a call into the
    /// runtime, a missing secret an exception) on every message is time the customer waits.
    static READ: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

impl Config {
    /// The settings, read from `env` the first time (and again after a failed read, so a
    /// configuration error is reported on every request until it is mended), failing with a
    /// configuration error naming the first one missing or malformed.
    pub fn from_env(env: &Env) -> Result<Rc<Self>, WebhookError> {
        if let Some(config) = READ.with(|c| c.borrow().clone()) {
            return Ok(config);
        }
        let config = Rc::new(Self::read(env)?);
        READ.with(|c| *c.borrow_mut() = Some(config.clone()));
        Ok(config)
    }

    fn read(env: &Env) -> Result<Self, WebhookError> {
        let account_tokens = match optional(env, "TWILIO_AUTH_TOKENS") {
            Some(json) => serde_json::from_str(&json)
                .map_err(|_| WebhookError::Config("TWILIO_AUTH_TOKENS"))?,
            None => HashMap::new(),
        };
        let messages_per_minute = match optional(env, "MESSAGES_PER_MINUTE") {
            Some(n) => n
                .trim()
                .parse()
                .map_err(|_| WebhookError::Config("MESSAGES_PER_MINUTE"))?,
            None => 20,
        };
        Ok(Self {
            public_base_url: text(env, "PUBLIC_BASE_URL")?
                .trim_end_matches('/')
                .to_owned(),
            twilio_auth_token: text(env, "TWILIO_AUTH_TOKEN")?,
            account_tokens,
            bridge_url: {
                let list = text(env, "BRIDGE_URL")?;
                slotline_shared::failover::Bridges::parse(&list)
                    .map_err(|_| WebhookError::Config("BRIDGE_URL"))?;
                list
            },
            bridge_secret: text(env, "BRIDGE_SECRET")?,
            messages_per_minute,
            twilio_api_url: optional(env, "TWILIO_API_URL")
                .unwrap_or_else(|| "https://api.twilio.com".into()),
            twilio_content_url: optional(env, "TWILIO_CONTENT_URL")
                .unwrap_or_else(|| "https://content.twilio.com".into()),
            model: match optional(env, "LLM_API_URL") {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    Some(crate::llm::ModelConfig {
                        url,
                        model: optional(env, "LLM_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
                        key: optional(env, "LLM_API_KEY"),
                        transcribe: match optional(env, "TRANSCRIBE_MODEL") {
                            Some(off) if off.eq_ignore_ascii_case("off") => None,
                            Some(model) => Some(model),
                            None => Some("whisper-1".into()),
                        },
                    })
                }
                Some(_) => return Err(WebhookError::Config("LLM_API_URL")),
                None => None,
            },
        })
    }

    /// The auth token that signs webhooks for `account_sid`.
    pub fn token_for(&self, account_sid: Option<&str>) -> &str {
        account_sid
            .and_then(|sid| self.account_tokens.get(sid))
            .map_or(self.twilio_auth_token.as_str(), String::as_str)
    }
}

fn optional(env: &Env, name: &str) -> Option<String> {
    // Secrets and plain variables are both strings to the Worker; accept either.
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn text(env: &Env, name: &'static str) -> Result<String, WebhookError> {
    optional(env, name).ok_or(WebhookError::Config(name))
}
