//! `POST /webhooks/twilio`: Twilio's "a message comes in" webhook.
//!
//! Order matters: the signature is checked over every received parameter before anything is
//! parsed, looked up or stored, so an unsigned request leaves no trace.

use slotline_shared::twilio::{InboundMessage, SignedPayload, signature, twiml};
use worker::{Env, Headers, Request, Response, Result};

use crate::config::Config;
use crate::conversation::{self, Turn};
use crate::error::WebhookError;

/// Handles one inbound WhatsApp message and answers with TwiML.
pub async fn twilio(req: Request, env: &Env) -> Result<Response> {
    match handle(req, env).await {
        Ok(twiml) => {
            let headers = Headers::new();
            headers.set("Content-Type", twiml::CONTENT_TYPE)?;
            Ok(Response::ok(twiml)?.with_headers(headers))
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(mut req: Request, env: &Env) -> Result<String, WebhookError> {
    let config = Config::from_env(env)?;
    let header = req.headers().get("X-Twilio-Signature")?;
    let url = req.url()?;
    let public_url = match url.query() {
        Some(query) => format!("{}{}?{}", config.public_base_url, url.path(), query),
        None => format!("{}{}", config.public_base_url, url.path()),
    };
    let body = req.text().await?;
    let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    signature::verify(
        &config.twilio_auth_token,
        &public_url,
        SignedPayload::Form(&params),
        header.as_deref(),
    )?;
    let message = InboundMessage::from_params(&params)?;
    let text = message
        .choice
        .as_ref()
        .map_or(message.body.clone(), |c| c.title.clone());
    let turn = Turn {
        message_sid: message.message_sid.clone(),
        text,
    };
    let reply = conversation::deliver(env, &config.default_tenant, &message.from, &turn).await?;
    Ok(match reply {
        Some(text) => twiml::message(&text),
        None => twiml::empty(),
    })
}
