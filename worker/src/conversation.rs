//! The conversation Durable Object: one per (tenant, customer).
//!
//! It loads the saved conversation, runs `slotline_shared::conversation::step`, carries out
//! the effects (asking the bridge, feeding the answers back as events) and saves; it holds no
//! business rules. Timers the conversation sets (a held slot lapsing) become the object's
//! alarm; when it fires, the conversation steps again and what it says goes to the customer
//! through Twilio's REST API, since no webhook is waiting for an answer. Turns of one conversation run one at a time. Twilio retries a webhook it
//! did not get an answer to in time, so the object remembers the replies to its most recent
//! message ids and answers a retry with the reply it already gave, without stepping again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::TenantId;
use slotline_shared::conversation::{self, Ctx, Effect, Event, OptionId};
use slotline_shared::flow_token::FlowToken;
use slotline_shared::i18n::{Key, t};
use slotline_shared::lang::Lang;
use slotline_shared::nlu;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::render::{self, Reply};
use slotline_shared::throttle::{Admission, Window};
use slotline_shared::twilio::inbound::Attachment;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest, TenantSnapshot};
use worker::{Env, Method, Request, RequestInit, Result};

/// The Durable Object binding name in `wrangler.toml`.
pub const BINDING: &str = "CONVERSATIONS";

/// How many recent message ids each conversation remembers for deduplication. Twilio
/// retries within seconds; a customer does not send this many messages in that time, and
/// every id kept makes each turn's storage write larger (the replies are kept with it).
const RECENT_IDS: usize = 8;

/// Bridge requests one customer message may lead to (slots, then a hold, …).
const MAX_ROUNDS: usize = 6;

const STORAGE_KEY: &str = "conversation";

/// One inbound message as the webhook hands it to the object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Turn {
    /// Twilio's `MessageSid`.
    pub message_sid: String,
    /// What the customer wrote, or the title of what they tapped.
    pub text: String,
    /// The id of the tapped option, if any.
    pub choice_id: Option<OptionId>,
    /// A voice note, picture or location sent instead of text.
    #[serde(default)]
    pub attachment: Option<Attachment>,
    /// The customer's WhatsApp display name (kept from the language model).
    #[serde(default)]
    pub profile_name: Option<String>,
    /// The customer.
    pub customer: PhoneNumber,
    /// The business's WhatsApp number the customer wrote to.
    pub business: PhoneNumber,
    /// The Twilio account that received the message (and sends for the business).
    pub account_sid: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The tenant's profile and catalog.
    pub snapshot: TenantSnapshot,
    /// Milliseconds left before the customer must have an answer.
    pub budget_ms: u64,
    /// Messages allowed per minute.
    pub messages_per_minute: u32,
}

/// The object's answer to a [`Turn`]: the messages to send, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TurnReply {
    /// Plain-text messages (options numbered), for TwiML.
    pub messages: Vec<String>,
    /// The replies themselves, for sending with buttons and lists.
    #[serde(default)]
    pub replies: Vec<Reply>,
    /// This message was answered before (a Twilio retry): nothing new to send by REST.
    #[serde(default)]
    pub replayed: bool,
    /// The picture of each message in `messages`, if any (a logo, a service's picture).
    #[serde(default)]
    pub media: Vec<Option<String>>,
    /// A signed token for the booking Flow, when a reply offers it (see [`Reply::flow`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
}

/// What the object keeps in its storage.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// The conversation, as saved (any version; see `Conversation::restore`).
    #[serde(default)]
    conversation: serde_json::Value,
    /// `(MessageSid, messages)` of the latest turns, oldest first.
    #[serde(default)]
    recent: Vec<(String, Vec<String>)>,
    /// Start of the current throttling minute (ms) and messages in it.
    #[serde(default)]
    window: Window,
    /// How to reach the customer outside a webhook (for timers).
    #[serde(default)]
    channel: Option<Channel>,
    /// When the bridge was last told the customer wrote (ms), and in which language.
    #[serde(default)]
    seen_reported: (u64, Option<Lang>),
}

/// How often the bridge hears that a customer wrote: its 24-hour window for session
/// messages is measured from this, so it is taken to close that much early.
const SEEN_EVERY_MS: u64 = 10 * 60 * 1000;

/// Who talks to whom, through which Twilio account: what a timer needs to send a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Channel {
    tenant: TenantId,
    customer: PhoneNumber,
    business: PhoneNumber,
    account_sid: String,
}

/// Sends `turn` to the conversation between its tenant and customer and returns the reply.
pub async fn deliver(env: &Env, turn: &Turn) -> Result<TurnReply> {
    let name = format!("{}/{}", turn.tenant, turn.customer.as_e164());
    let stub = env.durable_object(BINDING)?.get_by_name(&name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(turn)?.into()));
    let req = Request::new_with_init("https://conversation/turn", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "conversation answered {}",
            resp.status_code()
        )));
    }
    resp.json::<TurnReply>().await
}

/// The worker's clock as a `DateTime`.
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(worker::Date::now().as_millis() as i64).unwrap_or_default()
}

// `#[durable_object]` generates undocumented JS glue (constructor, fetch, alarm bindings);
// the allowance is scoped to this module so everything else stays held to `missing_docs`.
#[allow(missing_docs)]
mod object {
    use worker::{DurableObject, Response, State, durable_object, wasm_bindgen};

    use super::*;
    use crate::bridge::Bridge;
    use crate::config::Config;
    use crate::twilio::Twilio;

    /// The saved record; unreadable or missing means a fresh one (a customer must always get
    /// an answer).
    async fn load(storage: &worker::Storage) -> Record {
        storage
            .get(STORAGE_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The Durable Object holding one customer's conversation with one tenant.
    #[durable_object]
    pub struct Conversation {
        state: State,
        env: Env,
        /// Turns of one conversation run one at a time.
        turn_lock: Mutex<()>,
    }

    impl DurableObject for Conversation {
        fn new(state: State, env: Env) -> Self {
            Self {
                state,
                env,
                turn_lock: Mutex::new(()),
            }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let turn: Turn = req.json().await?;
            let _serial = self.turn_lock.lock().await;
            let started = worker::Date::now().as_millis();
            let storage = self.state.storage();
            let mut record = load(&storage).await;
            if let Some((_, messages)) = record
                .recent
                .iter()
                .find(|(sid, _)| *sid == turn.message_sid)
            {
                return Response::from_json(&TurnReply {
                    messages: messages.clone(),
                    replies: Vec::new(),
                    replayed: true,
                    ..TurnReply::default()
                });
            }
            let (window, admission) = record.window.admit(started, turn.messages_per_minute);
            record.window = window;
            let reply = if admission != Admission::Answer {
                let lang = Conversation_::restore(&record.conversation)
                    .lang
                    .unwrap_or_else(|| turn.snapshot.profile.default_lang());
                TurnReply {
                    messages: (admission == Admission::Notice)
                        .then(|| t(lang, Key::TooFast, &[]))
                        .into_iter()
                        .collect(),
                    ..TurnReply::default()
                }
            } else {
                let config = Config::from_env(&self.env)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
                let conv = Conversation_::restore(&record.conversation);
                let ctx = Ctx {
                    now: now(),
                    tenant: &turn.snapshot.profile,
                    catalog: &turn.snapshot.catalog,
                    customer: &turn.customer,
                };
                let event = match (&turn.choice_id, turn.attachment) {
                    (Some(id), _) => Event::Choice {
                        id: id.clone(),
                        title: turn.text.clone(),
                    },
                    // A picture with a caption is read as its caption.
                    (None, Some(kind)) if turn.text.trim().is_empty() => Event::Attachment(kind),
                    (None, _) => Event::Text(turn.text.clone()),
                };
                let deadline = started + turn.budget_ms;
                let event = match event {
                    Event::Text(text) => {
                        with_model(&config, &bridge, &turn, &conv, &ctx, text, deadline).await
                    }
                    other => other,
                };
                // Telling the bridge the customer wrote (it opens WhatsApp's 24-hour window
                // for reminders) runs beside the conversation, not after it, so the reply does
                // not wait for it. The language reported is the one known before this message.
                let (reported_at, reported_lang) = record.seen_reported;
                let known_lang = conv.lang;
                let due = started.saturating_sub(reported_at) >= SEEN_EVERY_MS
                    || reported_lang != known_lang;
                let report_seen = async {
                    if !due {
                        return false;
                    }
                    let request = BridgeRequest::Seen {
                        customer: turn.customer.clone(),
                        lang: known_lang,
                    };
                    let within = Duration::from_millis(turn.budget_ms.clamp(300, 1_000));
                    matches!(
                        bridge.ask(turn.tenant.as_str(), &request, within).await,
                        BridgeAnswer::Recorded
                    )
                };
                let ((conv, replies, timers), reported) = futures_util::future::join(
                    run(conv, event, &ctx, &turn.tenant, &bridge, deadline),
                    report_seen,
                )
                .await;
                if reported {
                    record.seen_reported = (started, known_lang);
                }
                record.conversation = serde_json::to_value(&conv)?;
                record.channel = Some(Channel {
                    tenant: turn.tenant.clone(),
                    customer: turn.customer.clone(),
                    business: turn.business.clone(),
                    account_sid: turn.account_sid.clone(),
                });
                if let Some(at) = timers.into_iter().max() {
                    storage.set_alarm(at).await?;
                }
                // The Flow's token names this customer, this business and this message, and
                // is signed with the secret the bridge checks it with.
                let flow_token = replies.iter().find_map(|r| r.flow).map(|lang| {
                    FlowToken::new(
                        turn.tenant.clone(),
                        turn.customer.clone(),
                        conv.seq,
                        lang,
                        now(),
                    )
                    .mint(config.bridge_secret.as_bytes())
                });
                let (messages, media) = render::pack_media(&replies).into_iter().unzip();
                TurnReply {
                    messages,
                    replies,
                    replayed: false,
                    media,
                    flow_token,
                }
            };
            record
                .recent
                .push((turn.message_sid.clone(), reply.messages.clone()));
            if record.recent.len() > RECENT_IDS {
                let excess = record.recent.len() - RECENT_IDS;
                record.recent.drain(..excess);
            }
            storage.put(STORAGE_KEY, &record).await?;
            Response::from_json(&reply)
        }

        /// A timer the conversation set (a hold lapsing) fired: step it and tell the
        /// customer by REST, since no webhook is waiting for an answer.
        async fn alarm(&self) -> Result<Response> {
            let _serial = self.turn_lock.lock().await;
            let storage = self.state.storage();
            let mut record = load(&storage).await;
            let Some(channel) = record.channel.clone() else {
                return Response::ok("");
            };
            let config =
                Config::from_env(&self.env).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
            let Ok(snapshot) =
                crate::routing::snapshot(&bridge, &channel.tenant, Duration::from_secs(2)).await
            else {
                // The bridge is away: try again in a minute.
                storage.set_alarm(Duration::from_secs(60)).await?;
                return Response::ok("");
            };
            let ctx = Ctx {
                now: now(),
                tenant: &snapshot.profile,
                catalog: &snapshot.catalog,
                customer: &channel.customer,
            };
            let conv = Conversation_::restore(&record.conversation);
            let deadline = worker::Date::now().as_millis() + 2_500;
            let (conv, replies, timers) =
                run(conv, Event::Timer, &ctx, &channel.tenant, &bridge, deadline).await;
            record.conversation = serde_json::to_value(&conv)?;
            storage.put(STORAGE_KEY, &record).await?;
            if let Some(at) = timers.into_iter().max() {
                storage.set_alarm(at).await?;
            }
            send_by_rest(&config, &channel, &replies).await;
            Response::ok("")
        }
    }

    use slotline_shared::conversation::Conversation as Conversation_;

    /// Time the conversation keeps for its own bridge calls after the model has answered.
    const AFTER_MODEL_MS: u64 = 900;

    /// The customer's text as an event: read by the built-in parser, and, when it is unsure
    /// on a screen where customers say what they want, completed by the language model if
    /// one is configured, the tenant has calls left this month and time allows.
    async fn with_model(
        config: &Config,
        bridge: &Bridge,
        turn: &Turn,
        conv: &Conversation_,
        ctx: &Ctx<'_>,
        text: String,
        deadline: u64,
    ) -> Event {
        let Some(model) = &config.model else {
            return Event::Text(text);
        };
        let describing = matches!(
            conv.stage,
            conversation::Stage::Menu
                | conversation::Stage::Service { .. }
                | conversation::Stage::Day { .. }
        );
        if !describing || turn.snapshot.profile.llm_monthly_calls == 0 {
            return Event::Text(text);
        }
        let reading = ctx.reading();
        let norm = nlu::normalize(&text);
        if nlu::option_number(&norm).is_some() {
            return Event::Text(text);
        }
        let builtin = nlu::interpret_normalized(&norm, &reading);
        if !slotline_shared::llm::needs_help(&norm, &builtin) {
            return already_read(text, builtin);
        }
        // What is left for the model, keeping the conversation's own share; asked again
        // after the budget check, which takes time too.
        let limit = || {
            let left = deadline.saturating_sub(worker::Date::now().as_millis() + AFTER_MODEL_MS);
            Duration::from_millis(left).min(crate::llm::MODEL_BUDGET)
        };
        if limit() < Duration::from_millis(300) {
            return already_read(text, builtin);
        }
        let allowed = bridge
            .ask(
                turn.tenant.as_str(),
                &BridgeRequest::ModelCall,
                Duration::from_millis(300),
            )
            .await;
        if !matches!(allowed, BridgeAnswer::ModelCall { allowed: true }) {
            return already_read(text, builtin);
        }
        match crate::llm::read(
            model,
            &text,
            turn.profile_name.as_deref(),
            ctx.tenant,
            &reading,
            limit(),
        )
        .await
        {
            Some(read) => already_read(text, slotline_shared::llm::merge(&builtin, read)),
            None => already_read(text, builtin),
        }
    }

    /// The text with the reading the worker already made of it, so the conversation does
    /// not read it again.
    fn already_read(text: String, reading: nlu::Interpretation) -> Event {
        Event::Read {
            text,
            reading: Box::new(reading),
        }
    }

    /// Steps the conversation with `event` and every bridge answer it leads to, until
    /// `deadline` (ms). Returns the conversation, the replies and the timers asked for.
    async fn run(
        mut conv: Conversation_,
        mut event: Event,
        ctx: &Ctx<'_>,
        tenant: &TenantId,
        bridge: &Bridge,
        deadline: u64,
    ) -> (Conversation_, Vec<Reply>, Vec<DateTime<Utc>>) {
        let mut replies = Vec::new();
        let mut timers = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let step = conversation::step(conv, event, ctx);
            conv = step.state;
            let mut next = None;
            for effect in step.effects {
                match effect {
                    Effect::Reply(r) => replies.push(r),
                    Effect::Ask(request) => {
                        let left = deadline.saturating_sub(worker::Date::now().as_millis());
                        next = Some(if left < 150 {
                            BridgeAnswer::Unavailable
                        } else {
                            bridge
                                .ask(tenant.as_str(), &request, Duration::from_millis(left))
                                .await
                        });
                    }
                    Effect::Notify(request) => {
                        // Best effort: a release that fails lapses with the hold's TTL anyway.
                        let _ = bridge
                            .ask(tenant.as_str(), &request, Duration::from_millis(500))
                            .await;
                    }
                    Effect::Timer(at) => timers.push(at),
                    // The bridge must know, or reminders would still go out.
                    Effect::OptOut(opted_out) => {
                        let request = BridgeRequest::OptOut {
                            customer: ctx.customer.clone(),
                            opted_out,
                        };
                        let _ = bridge
                            .ask(tenant.as_str(), &request, Duration::from_millis(1_000))
                            .await;
                    }
                    // A hand-off lives in the conversation state.
                    Effect::Handoff => {}
                }
            }
            match next {
                Some(answer) => event = Event::Bridge(answer),
                None => break,
            }
        }
        (conv, replies, timers)
    }

    /// Sends replies outside a webhook, as text through Twilio's REST API.
    async fn send_by_rest(config: &Config, channel: &Channel, replies: &[Reply]) {
        let twilio = Twilio::new(
            &config.twilio_api_url,
            &config.twilio_content_url,
            &channel.account_sid,
            config.token_for(Some(&channel.account_sid)),
        );
        let status_url = format!("{}{}", config.public_base_url, crate::twilio::STATUS_PATH);
        let (to, from) = (
            channel.customer.whatsapp_address(),
            channel.business.whatsapp_address(),
        );
        let texts = render::pack(replies);
        if let Err(e) = twilio
            .send_texts(&to, &from, &texts, &status_url, Duration::from_secs(5))
            .await
        {
            worker::console_warn!("a timed message to {} was not sent: {e}", channel.customer);
        }
    }
}

pub use object::Conversation;
