//! `POST /webhooks/twilio`: Twilio's "a message comes in" webhook.
//!
//! Order matters: the signature is checked over every received parameter before anything is
//! parsed, looked up or stored, so an unsigned request leaves no trace. The token that signs
//! is chosen by the request's `AccountSid` (sub-accounts sign with their own), but nothing
//! else is trusted until the signature holds.

use std::time::Duration;

use slotline_shared::catalog::TenantId;
use slotline_shared::flow_token::{FlowToken, FlowTokenError};
use slotline_shared::i18n::{Key, t};
use slotline_shared::lang::Lang;
use slotline_shared::nlu::{detect_lang, normalize};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::render;
use slotline_shared::routing::{self as route, AfterLookup, Choice, SharedRoute};
use slotline_shared::twilio::content::MessageContent;
use slotline_shared::twilio::inbound::Attachment;
use slotline_shared::twilio::{InboundError, InboundMessage, SignedPayload, signature, twiml};
use slotline_shared::wire::{BridgeAnswer, BridgeRequest, DeliveryStatus, RouteTenant};
use worker::{Env, Headers, Request, Response, Result};

use crate::bridge::Bridge;
use crate::config::Config;
use crate::conversation::{self, Turn};
use crate::error::WebhookError;
use crate::routing;
use crate::twilio::{STATUS_PATH, Twilio};

/// How long a customer may wait for an answer, all bridge calls included.
const BUDGET_MS: u64 = 2_500;

/// The language to answer in before the business (and so its languages) is known: the
/// one the customer wrote in, else English.
fn guessed_lang(text: &str) -> Lang {
    detect_lang(&normalize(text)).unwrap_or(Lang::En)
}

/// Time kept for routing and the conversation after a voice note is transcribed.
const AFTER_TRANSCRIPTION_MS: u64 = 900;

/// What a voice note says, if it is one, transcription is configured and it answers in
/// time.
async fn voice_text(
    config: &Config,
    message: &InboundMessage,
    text: &str,
    started: u64,
) -> Option<String> {
    if !text.trim().is_empty() || message.attachment != Some(Attachment::Voice) {
        return None;
    }
    let model = config.model.as_ref()?;
    let transcriber = model.transcribe.as_deref()?;
    let (url, kind) = message.media.as_ref()?;
    let spent = worker::Date::now().as_millis() - started;
    let left = BUDGET_MS.saturating_sub(spent + AFTER_TRANSCRIPTION_MS);
    let limit = Duration::from_millis(left).min(crate::llm::TRANSCRIBE_BUDGET);
    let authorization = crate::twilio::basic_authorization(
        &message.account_sid,
        config.token_for(Some(&message.account_sid)),
    );
    crate::llm::transcribe(model, transcriber, (url, kind), &authorization, limit).await
}

/// Handles one inbound WhatsApp message and answers with TwiML.
pub async fn twilio(req: Request, env: &Env) -> Result<Response> {
    match handle(req, env).await {
        Ok(messages) => {
            let headers = Headers::new();
            headers.set("Content-Type", twiml::CONTENT_TYPE)?;
            Ok(Response::ok(twiml::messages_with_media(&messages))?.with_headers(headers))
        }
        Err(e) => e.into_response(),
    }
}

/// The form parameters of a Twilio webhook, once its signature holds. The token is chosen by
/// the request's `AccountSid` (sub-accounts sign with their own); the URL is the public one
/// configured for the deployment plus the request's path and query, never the address the
/// request arrived on.
async fn signed_params(
    req: &mut Request,
    config: &Config,
) -> std::result::Result<Vec<(String, String)>, WebhookError> {
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
    Ok(params)
}

/// Whether this message is the completion WhatsApp posts when a booking Flow closes: some
/// field carries the Flow's `response_json`, whose `flow_token` is one of ours. Which field
/// Twilio uses for it is not documented, so every field is looked at; only a token signed
/// with our secret counts, so no customer text is mistaken for it.
fn is_flow_completion(params: &[(String, String)], secret: &str) -> bool {
    let now = conversation::now();
    params.iter().any(|(_, value)| {
        value.contains("flow_token")
            && serde_json::from_str::<serde_json::Value>(value)
                .ok()
                .and_then(|v| v.get("flow_token")?.as_str().map(str::to_owned))
                .is_some_and(|token| {
                    // An expired token still marks a completion (the Flow may close late).
                    !matches!(
                        FlowToken::verify(&token, secret.as_bytes(), now),
                        Err(FlowTokenError::Malformed | FlowTokenError::Forged)
                    )
                })
    })
}

/// Messages to answer with, each with its picture if any.
type Outgoing = Vec<(String, Option<String>)>;

/// Text-only messages.
fn plain(texts: Vec<String>) -> Outgoing {
    texts.into_iter().map(|t| (t, None)).collect()
}

async fn handle(mut req: Request, env: &Env) -> std::result::Result<Outgoing, WebhookError> {
    let started = worker::Date::now().as_millis();
    let config = Config::from_env(env)?;
    let params = signed_params(&mut req, &config).await?;
    if is_flow_completion(&params, &config.bridge_secret) {
        // The Flow's endpoint made the booking and the bridge sent its confirmation; the
        // "Sent" bubble WhatsApp posts when the Flow closes needs no answer.
        return Ok(Vec::new());
    }
    let message = InboundMessage::from_params(&params)?;
    let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
    let left = |started: u64| {
        Duration::from_millis(
            BUDGET_MS
                .saturating_sub(worker::Date::now().as_millis() - started)
                .max(100),
        )
    };

    let text = message
        .choice
        .as_ref()
        .map_or(message.body.clone(), |c| c.title.clone());
    // A voice note is read as what it says, when a transcription model is configured and
    // answers in time; otherwise the conversation says it cannot listen to it.
    let mut attachment = message.attachment;
    let text = match voice_text(&config, &message, &text, started).await {
        Some(spoken) => {
            attachment = None;
            spoken
        }
        None => text,
    };
    // The customer's language is guessed only when no business can answer (the business's
    // languages decide otherwise), not for every message.
    let Ok(route) = routing::number_route(&bridge, &message.to, left(started)).await else {
        return Ok(plain(vec![t(guessed_lang(&text), Key::Paused, &[])]));
    };
    let (tenant, text) = match route.tenants.as_slice() {
        [] => return Ok(plain(vec![t(guessed_lang(&text), Key::NotConnected, &[])])),
        [only] => (only.id.clone(), text),
        several => match shared_number(env, &bridge, &message, several, &text, started).await? {
            Routed::To(tenant, text) => (tenant, text),
            Routed::Say(reply) => return Ok(plain(vec![reply])),
        },
    };
    let Ok(snapshot) = routing::snapshot(&bridge, &tenant, left(started)).await else {
        return Ok(plain(vec![t(guessed_lang(&text), Key::Paused, &[])]));
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
        attachment,
        profile_name: message.profile_name.clone(),
        customer: message.from.clone(),
        business: message.to.clone(),
        account_sid: message.account_sid.clone(),
        tenant,
        snapshot_version: snapshot.version,
        budget_ms: BUDGET_MS.saturating_sub(elapsed),
        messages_per_minute: config.messages_per_minute,
    };
    let reply = conversation::deliver(env, &turn).await?;
    // The booking Flow, when a reply offers it and the business has its template in that
    // language: sent by REST, ahead of the replies, which stay for clients without Flows.
    let flow = reply
        .flow_token
        .as_ref()
        .zip(reply.replies.iter().find_map(|r| r.flow))
        .and_then(|(token, lang)| {
            let sid = snapshot.profile.flow_content.get(&lang)?;
            Some((sid.as_str(), token.as_str()))
        })
        .filter(|_| !reply.replayed);
    let wants_buttons = reply.replies.iter().any(|r| !r.options.is_empty());
    let as_twiml = |reply: conversation::TurnReply| {
        let mut media = reply.media.clone();
        media.resize(reply.messages.len(), None);
        reply.messages.into_iter().zip(media).collect()
    };
    let by_rest = interactive && !reply.replayed && wants_buttons;
    if !by_rest && flow.is_none() {
        return Ok(as_twiml(reply));
    }
    let status_url = format!("{}{STATUS_PATH}", config.public_base_url);
    let twilio = Twilio::new(
        &config.twilio_api_url,
        &config.twilio_content_url,
        &message.account_sid,
        config.token_for(Some(&message.account_sid)),
    );
    let offer_flow = async || {
        let Some((sid, token)) = flow else {
            return;
        };
        let variables = serde_json::json!({ "1": token }).to_string();
        let what = MessageContent::Approved {
            sid,
            variables: &variables,
        };
        if let Err(e) = twilio
            .send(&customer, &business, what, &status_url, left(started))
            .await
        {
            worker::console_warn!("the booking Flow was not sent to {customer}: {e}");
        }
    };
    if !by_rest {
        // A REST message cannot follow the TwiML answer, so here the Flow comes first.
        offer_flow().await;
        return Ok(as_twiml(reply));
    }
    // Everything goes by REST, in order, so texts and lists never overtake each other; what
    // could not be sent goes back as numbered text in the TwiML answer.
    let sent = twilio
        .send_replies(
            &customer,
            &business,
            &reply.replies,
            lang,
            &status_url,
            || left(started),
        )
        .await;
    if sent.is_ok() {
        // After the list it sits beside, as the last thing the customer sees.
        offer_flow().await;
    }
    match sent {
        Ok(()) => Ok(Vec::new()),
        Err(first_unsent) => Ok(plain(
            reply.replies[first_unsent..]
                .iter()
                .map(render::plain_text)
                .collect(),
        )),
    }
}

/// Where a message on a shared number goes.
enum Routed {
    /// To this tenant's conversation, with this text.
    To(TenantId, String),
    /// Nowhere yet: answer this.
    Say(String),
}

/// Picks the tenant on a shared number (the rules are [`route::shared_route`] and
/// [`route::after_lookup`]); this only reads and saves the customer's choice and asks the
/// bridges about bookings.
async fn shared_number(
    env: &Env,
    bridge: &Bridge,
    message: &InboundMessage,
    tenants: &[RouteTenant],
    text: &str,
    started: u64,
) -> std::result::Result<Routed, WebhookError> {
    let (number, customer) = (&message.to, &message.from);
    let earlier = routing::read_choice(env, number, customer).await?;
    match route::shared_route(tenants, text, &earlier) {
        SharedRoute::To {
            tenant,
            text,
            chosen,
        } => {
            if let Some(chosen) = chosen {
                routing::write_choice(env, number, customer, &chosen).await?;
            }
            return Ok(Routed::To(tenant, text));
        }
        SharedRoute::LookUpBookings => {}
    }
    let mut booked = Vec::new();
    for t in tenants {
        let within = Duration::from_millis(
            BUDGET_MS
                .saturating_sub(worker::Date::now().as_millis() - started)
                .max(100)
                / 2,
        );
        let request = BridgeRequest::Bookings {
            customer: customer.clone(),
        };
        if let BridgeAnswer::Bookings { bookings } =
            bridge.ask(t.id.as_str(), &request, within).await
            && !bookings.is_empty()
        {
            booked.push(t.clone());
        }
    }
    let lang = guessed_lang(text);
    match route::after_lookup(booked) {
        AfterLookup::To(tenant) => {
            let chosen = Choice {
                tenant: Some(tenant.clone()),
                offered: Vec::new(),
            };
            routing::write_choice(env, number, customer, &chosen).await?;
            Ok(Routed::To(tenant, text.to_owned()))
        }
        AfterLookup::AskKeyword => Ok(Routed::Say(t(lang, Key::AskKeyword, &[]))),
        AfterLookup::Offer(several) => {
            let mut list = t(lang, Key::WhichBusiness, &[]);
            list.push('\n');
            for (i, t) in several.iter().enumerate() {
                list.push_str(&format!("\n{}. {}", i + 1, t.name));
            }
            let offered = Choice {
                tenant: earlier.tenant,
                offered: several.into_iter().map(|t| t.id).collect(),
            };
            routing::write_choice(env, number, customer, &offered).await?;
            Ok(Routed::Say(list))
        }
    }
}

/// `POST /webhooks/twilio/status`: Twilio reports a sent message's delivery. Checked like an
/// inbound message, then recorded by the tenant's bridge (statuses only move forward there;
/// callbacks come out of order and more than once). Always answers an empty TwiML document.
pub async fn status(req: Request, env: &Env) -> Result<Response> {
    match handle_status(req, env).await {
        Ok(()) => {
            let headers = Headers::new();
            headers.set("Content-Type", twiml::CONTENT_TYPE)?;
            Ok(Response::ok(twiml::empty())?.with_headers(headers))
        }
        Err(e) => e.into_response(),
    }
}

async fn handle_status(mut req: Request, env: &Env) -> std::result::Result<(), WebhookError> {
    let config = Config::from_env(env)?;
    let params = signed_params(&mut req, &config).await?;
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let missing = |field| WebhookError::Inbound(InboundError::Missing(field));
    let message_sid = get("MessageSid")
        .filter(|s| !s.is_empty())
        .ok_or(missing("MessageSid"))?
        .to_owned();
    let status = get("MessageStatus")
        .or_else(|| get("SmsStatus"))
        .and_then(DeliveryStatus::parse)
        .ok_or(missing("MessageStatus"))?;
    let phone = |field: &'static str| {
        let value = get(field).ok_or(missing(field))?;
        PhoneNumber::parse(value)
            .map_err(|reason| WebhookError::Inbound(InboundError::BadPhone { field, reason }))
    };
    let (customer, business) = (phone("To")?, phone("From")?);
    let error_code = get("ErrorCode").and_then(|c| c.trim().parse().ok());
    let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
    let within = Duration::from_millis(BUDGET_MS);
    let Ok(route) = routing::number_route(&bridge, &business, within).await else {
        return Ok(());
    };
    let tenant = match route.tenants.as_slice() {
        [only] => Some(only.id.clone()),
        [] => None,
        several => routing::read_choice(env, &business, &customer)
            .await?
            .tenant
            .filter(|t| several.iter().any(|r| &r.id == t)),
    };
    if let Some(tenant) = tenant {
        let request = BridgeRequest::Delivery {
            message_sid,
            customer,
            status,
            error_code,
        };
        let answer = bridge.ask(tenant.as_str(), &request, within).await;
        if answer != BridgeAnswer::Recorded {
            worker::console_warn!("a delivery status for {tenant} was not recorded: {answer:?}");
        }
    }
    Ok(())
}
