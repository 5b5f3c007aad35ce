//! `POST /webhooks/twilio`: Twilio's "a message comes in" webhook.
//!
//! Order matters: the signature is checked over every received parameter before anything is
//! parsed, looked up or stored, so an unsigned request leaves no trace. The token that signs
//! is chosen by the request's `AccountSid` (sub-accounts sign with their own), but nothing
//! else is trusted until the signature holds.

use std::time::Duration;

use slotline_shared::render;
use slotline_shared::routing::by_keyword;
use slotline_shared::twilio::content::{self, MessageContent};
use slotline_shared::twilio::{InboundMessage, SignedPayload, signature, twiml};
use worker::{Env, Headers, Request, Response, Result};

use crate::bridge::Bridge;
use crate::config::Config;
use crate::conversation::{self, Turn};
use crate::error::WebhookError;
use crate::routing;
use crate::twilio::Twilio;

/// How long a customer may wait for an answer, all bridge calls included.
const BUDGET_MS: u64 = 2_500;

/// Said when the bridge cannot be reached to find the business or its catalog.
const UNAVAILABLE: &str = "Sorry, booking is paused for a moment. Please write again shortly.";

/// Handles one inbound WhatsApp message and answers with TwiML.
pub async fn twilio(req: Request, env: &Env) -> Result<Response> {
    match handle(req, env).await {
        Ok(messages) => {
            let headers = Headers::new();
            headers.set("Content-Type", twiml::CONTENT_TYPE)?;
            Ok(Response::ok(twiml::messages(&messages))?.with_headers(headers))
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(mut req: Request, env: &Env) -> std::result::Result<Vec<String>, WebhookError> {
    let started = worker::Date::now().as_millis();
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
    let account = params
        .iter()
        .find(|(k, _)| k == "AccountSid")
        .map(|(_, v)| v.as_str());
    signature::verify(
        config.token_for(account),
        &public_url,
        SignedPayload::Form(&params),
        header.as_deref(),
    )?;
    let message = InboundMessage::from_params(&params)?;
    let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
    let left = |started: u64| {
        Duration::from_millis(
            BUDGET_MS
                .saturating_sub(worker::Date::now().as_millis() - started)
                .max(100),
        )
    };

    let Ok(route) = routing::number_route(&bridge, &message.to, left(started)).await else {
        return Ok(vec![UNAVAILABLE.to_owned()]);
    };
    let text = message
        .choice
        .as_ref()
        .map_or(message.body.clone(), |c| c.title.clone());
    let tenant = match route.tenants.as_slice() {
        [] => {
            return Ok(vec![
                "This WhatsApp number is not connected to a business yet.".to_owned(),
            ]);
        }
        [only] => only.id.clone(),
        several => match by_keyword(several, &text) {
            Some(chosen) => {
                routing::choice(env, &message.to, &message.from, Some(&chosen.id)).await?;
                chosen.id.clone()
            }
            None => match routing::choice(env, &message.to, &message.from, None).await? {
                Some(remembered) if several.iter().any(|t| t.id == remembered) => remembered,
                // An unknown keyword lists nothing private: it asks for the keyword.
                _ => {
                    return Ok(vec![
                        "Hi! This number serves several businesses. Please send the keyword of the one you want to reach."
                            .to_owned(),
                    ]);
                }
            },
        },
    };
    let Ok(snapshot) = routing::snapshot(&bridge, &tenant, left(started)).await else {
        return Ok(vec![UNAVAILABLE.to_owned()]);
    };
    let elapsed = worker::Date::now().as_millis() - started;
    let interactive = snapshot.profile.interactive;
    let lang = snapshot.profile.default_lang();
    let (customer, business) = (
        message.from.whatsapp_address(),
        message.to.whatsapp_address(),
    );
    let turn = Turn {
        message_sid: message.message_sid.clone(),
        text,
        choice_id: message.choice.map(|c| c.id),
        customer: message.from,
        tenant,
        snapshot,
        budget_ms: BUDGET_MS.saturating_sub(elapsed),
        messages_per_minute: config.messages_per_minute,
    };
    let reply = conversation::deliver(env, &turn).await?;
    let wants_buttons = reply.replies.iter().any(|r| !r.options.is_empty());
    if !interactive || reply.replayed || !wants_buttons {
        return Ok(reply.messages);
    }
    let twilio = Twilio::new(
        &config.twilio_api_url,
        &config.twilio_content_url,
        &message.account_sid,
        config.token_for(Some(&message.account_sid)),
    );
    // Everything goes by REST, in order, so texts and lists never overtake each other; what
    // could not be sent goes back as numbered text in the TwiML answer.
    for (i, r) in reply.replies.iter().enumerate() {
        let sent = match content::create_request(r, lang, "slotline_reply") {
            Some(request) => match twilio.template(&request, left(started)).await {
                Ok(sid) => {
                    twilio
                        .send(
                            &customer,
                            &business,
                            MessageContent::Template(&sid),
                            left(started),
                        )
                        .await
                }
                Err(e) => Err(e),
            },
            None => {
                twilio
                    .send(
                        &customer,
                        &business,
                        MessageContent::Text(&r.text),
                        left(started),
                    )
                    .await
            }
        };
        if let Err(e) = sent {
            worker::console_warn!("interactive reply failed, answering with text: {e}");
            return Ok(reply.replies[i..].iter().map(render::plain_text).collect());
        }
    }
    Ok(Vec::new())
}
