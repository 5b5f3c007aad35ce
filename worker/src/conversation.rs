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
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};
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
    /// The version of the tenant's profile and catalog the webhook read: the object answers
    /// with that version or a later one (it keeps its own copy; see
    /// [`crate::routing::snapshot_since`]), so the catalog does not cross with every message.
    pub snapshot_version: u64,
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
    /// The replies themselves, for sending with buttons and lists (and the Flow); empty for
    /// a business that answers in text, which `messages` carries whole.
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

/// What the object keeps in its storage, with the conversation as `C`: a JSON value when
/// read (any version; see `Conversation::restore`), decoded while the object is in memory.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record<C> {
    /// The conversation.
    #[serde(default)]
    conversation: C,
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
    seen_reported: Seen,
}

/// When the bridge was last told the customer wrote (ms), and in which language.
type Seen = (u64, Option<Lang>);

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
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use worker::{DurableObject, Response, State, durable_object, wasm_bindgen};

    use super::*;
    use crate::bridge::Bridge;
    use crate::config::Config;
    use crate::twilio::Twilio;

    use slotline_shared::conversation::Conversation as Conversation_;

    /// The record as the object holds it between messages.
    type Live = Record<Conversation_>;

    /// The saved record; unreadable or missing means a fresh one (a customer must always get
    /// an answer). It is kept as JSON text, one string for the runtime to store; a record an
    /// earlier version kept as a structured value is still read.
    async fn load(storage: &worker::Storage) -> Live {
        let saved: Record<serde_json::Value> = match storage.get::<String>(STORAGE_KEY).await {
            Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
            Ok(None) => Record::default(),
            Err(_) => storage
                .get(STORAGE_KEY)
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        };
        Record {
            conversation: Conversation_::restore(&saved.conversation),
            recent: saved.recent,
            window: saved.window,
            channel: saved.channel,
            seen_reported: saved.seen_reported,
        }
    }

    /// Saves the record, as one JSON string.
    async fn save(storage: &worker::Storage, live: &Live) -> Result<()> {
        storage.put(STORAGE_KEY, serde_json::to_string(live)?).await
    }

    /// The Durable Object holding one customer's conversation with one tenant.
    ///
    /// The record stays decoded in the object between messages (an object lives on while
    /// its customer writes), so a message costs one storage write and no read; it is read
    /// again only after the object was evicted or a turn failed half-way.
    #[durable_object]
    pub struct Conversation {
        state: State,
        env: Env,
        /// Turns of one conversation run one at a time.
        turn_lock: Mutex<()>,
        /// The record as last saved, when it is in memory.
        live: RefCell<Option<Live>>,
        /// When the bridge last heard that the customer wrote: updated by the report, which
        /// runs after the reply, and saved with the next turn's record.
        seen: Rc<Cell<Seen>>,
        /// A report is on its way.
        reporting: Rc<Cell<bool>>,
    }

    impl Conversation {
        /// The record: the one in memory, else the saved one. Taken out for the turn; put
        /// back only once saved, so memory never runs ahead of storage.
        async fn take(&self, storage: &worker::Storage) -> Live {
            if let Some(live) = self.live.borrow_mut().take() {
                return live;
            }
            let live = load(storage).await;
            self.seen.set(live.seen_reported);
            live
        }

        /// Saves the record and keeps it in memory for the next turn.
        async fn keep(&self, storage: &worker::Storage, mut live: Live) -> Result<()> {
            live.seen_reported = self.seen.get();
            save(storage, &live).await?;
            *self.live.borrow_mut() = Some(live);
            Ok(())
        }

        /// Tells the bridge the customer wrote (it opens WhatsApp's 24-hour window for
        /// reminders), after the reply rather than before it: nothing the customer reads
        /// depends on it. A report that fails or is lost with the object is sent with a
        /// later message, since only a successful one moves [`Seen`] on.
        fn report_seen(&self, bridge: Bridge, turn: &Turn, lang: Option<Lang>, at: u64) {
            let (reported_at, reported_lang) = self.seen.get();
            let due = at.saturating_sub(reported_at) >= SEEN_EVERY_MS || reported_lang != lang;
            if !due || self.reporting.replace(true) {
                return;
            }
            let (seen, reporting) = (self.seen.clone(), self.reporting.clone());
            let tenant = turn.tenant.clone();
            let request = BridgeRequest::Seen {
                customer: turn.customer.clone(),
                lang,
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = bridge
                    .ask(tenant.as_str(), &request, Duration::from_secs(5))
                    .await;
                if answer == BridgeAnswer::Recorded {
                    seen.set((at, lang));
                }
                reporting.set(false);
            });
        }
    }

    impl DurableObject for Conversation {
        fn new(state: State, env: Env) -> Self {
            Self {
                state,
                env,
                turn_lock: Mutex::new(()),
                live: RefCell::new(None),
                seen: Rc::new(Cell::new((0, None))),
                reporting: Rc::new(Cell::new(false)),
            }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let turn: Turn = req.json().await?;
            let _serial = self.turn_lock.lock().await;
            let started = worker::Date::now().as_millis();
            let storage = self.state.storage();
            let mut live = self.take(&storage).await;
            if let Some((_, messages)) =
                live.recent.iter().find(|(sid, _)| *sid == turn.message_sid)
            {
                let reply = TurnReply {
                    messages: messages.clone(),
                    replies: Vec::new(),
                    replayed: true,
                    ..TurnReply::default()
                };
                *self.live.borrow_mut() = Some(live);
                return Response::from_json(&reply);
            }
            let config =
                Config::from_env(&self.env).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
            let within = Duration::from_millis(turn.budget_ms.clamp(300, 1_500));
            let Ok(snapshot) = crate::routing::snapshot_since(
                &bridge,
                &turn.tenant,
                turn.snapshot_version,
                within,
            )
            .await
            else {
                // Not remembered as answered: Twilio's retry may find the bridge back.
                let lang = live.conversation.lang.unwrap_or(Lang::En);
                *self.live.borrow_mut() = Some(live);
                return Response::from_json(&TurnReply {
                    messages: vec![t(lang, Key::Paused, &[])],
                    ..TurnReply::default()
                });
            };
            let (window, admission) = live.window.admit(started, turn.messages_per_minute);
            live.window = window;
            let reply = if admission != Admission::Answer {
                let lang = live
                    .conversation
                    .lang
                    .unwrap_or_else(|| snapshot.profile.default_lang());
                TurnReply {
                    messages: (admission == Admission::Notice)
                        .then(|| t(lang, Key::TooFast, &[]))
                        .into_iter()
                        .collect(),
                    ..TurnReply::default()
                }
            } else {
                let conv = std::mem::take(&mut live.conversation);
                let ctx = Ctx {
                    now: now(),
                    tenant: &snapshot.profile,
                    catalog: &snapshot.catalog,
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
                // The language reported is the one known before this message.
                let known_lang = conv.lang;
                let (conv, replies, timers) =
                    run(conv, event, &ctx, &turn.tenant, &bridge, deadline).await;
                self.report_seen(
                    Bridge::new(&config.bridge_url, &config.bridge_secret),
                    &turn,
                    known_lang,
                    started,
                );
                live.channel = Some(Channel {
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
                live.conversation = conv;
                let (messages, media) = render::pack_media(&replies).into_iter().unzip();
                // The replies themselves go back only where the webhook sends them by REST
                // (buttons and lists, the Flow); otherwise the text says it all.
                let by_rest = snapshot.profile.interactive || flow_token.is_some();
                TurnReply {
                    messages,
                    replies: if by_rest { replies } else { Vec::new() },
                    replayed: false,
                    media,
                    flow_token,
                }
            };
            live.recent
                .push((turn.message_sid.clone(), reply.messages.clone()));
            if live.recent.len() > RECENT_IDS {
                let excess = live.recent.len() - RECENT_IDS;
                live.recent.drain(..excess);
            }
            self.keep(&storage, live).await?;
            Response::from_json(&reply)
        }

        /// A timer the conversation set (a hold lapsing) fired: step it and tell the
        /// customer by REST, since no webhook is waiting for an answer.
        async fn alarm(&self) -> Result<Response> {
            let _serial = self.turn_lock.lock().await;
            let storage = self.state.storage();
            let mut live = self.take(&storage).await;
            let Some(channel) = live.channel.clone() else {
                *self.live.borrow_mut() = Some(live);
                return Response::ok("");
            };
            let config =
                Config::from_env(&self.env).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
            let Ok(snapshot) =
                crate::routing::snapshot(&bridge, &channel.tenant, Duration::from_secs(2)).await
            else {
                // The bridge is away: try again in a minute.
                *self.live.borrow_mut() = Some(live);
                storage.set_alarm(Duration::from_secs(60)).await?;
                return Response::ok("");
            };
            let ctx = Ctx {
                now: now(),
                tenant: &snapshot.profile,
                catalog: &snapshot.catalog,
                customer: &channel.customer,
            };
            let conv = std::mem::take(&mut live.conversation);
            let deadline = worker::Date::now().as_millis() + 2_500;
            let (conv, replies, timers) =
                run(conv, Event::Timer, &ctx, &channel.tenant, &bridge, deadline).await;
            live.conversation = conv;
            self.keep(&storage, live).await?;
            if let Some(at) = timers.into_iter().max() {
                storage.set_alarm(at).await?;
            }
            send_by_rest(&config, &channel, &replies).await;
            Response::ok("")
        }
    }

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
        if !describing || ctx.tenant.llm_monthly_calls == 0 {
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
