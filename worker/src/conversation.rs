//! The conversation Durable Object: one per (tenant, customer).
//!
//! It loads the saved state, runs `slotline_shared::skeleton::step`, saves, and returns
//! the reply. Twilio retries a webhook it did not get an answer to in time, so the object
//! remembers the replies to its most recent message ids and answers a retry with the reply
//! it already gave, without stepping again.

use serde::{Deserialize, Serialize};
use slotline_shared::phone::PhoneNumber;
use slotline_shared::skeleton::State;
use worker::{Env, Method, Request, RequestInit, Result};

pub use object::Conversation;

/// The Durable Object binding name in `wrangler.toml`.
pub const BINDING: &str = "CONVERSATIONS";

/// How many recent message ids each conversation remembers for deduplication. Twilio
/// retries within seconds; a customer does not send this many messages in that time.
const RECENT_IDS: usize = 32;

const STORAGE_KEY: &str = "conversation";

/// One inbound message as the webhook hands it to the object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Turn {
    /// Twilio's `MessageSid`.
    pub message_sid: String,
    /// What the customer wrote or tapped.
    pub text: String,
}

/// The object's answer to a [`Turn`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TurnReply {
    reply: Option<String>,
}

/// What the object keeps in its storage.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    state: State,
    /// `(MessageSid, reply)` of the latest messages, oldest first.
    recent: Vec<(String, Option<String>)>,
}

/// Sends `turn` to the conversation between `tenant` and `customer` and returns its reply.
pub async fn deliver(
    env: &Env,
    tenant: &str,
    customer: &PhoneNumber,
    turn: &Turn,
) -> Result<Option<String>> {
    let name = format!("{tenant}/{}", customer.as_e164());
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
    Ok(resp.json::<TurnReply>().await?.reply)
}

// `#[durable_object]` generates undocumented JS glue (constructor, fetch, alarm bindings);
// the allowance is scoped to this module so everything else stays held to `missing_docs`.
#[allow(missing_docs)]
mod object {
    use slotline_shared::skeleton::{self, Effect, Event};
    use worker::{DurableObject, Env, Request, Response, Result, durable_object, wasm_bindgen};

    use super::{RECENT_IDS, Record, STORAGE_KEY, Turn, TurnReply};

    /// The Durable Object holding one customer's conversation with one tenant.
    #[durable_object]
    pub struct Conversation {
        state: worker::State,
    }

    impl DurableObject for Conversation {
        fn new(state: worker::State, _env: Env) -> Self {
            Self { state }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let turn: Turn = req.json().await?;
            let storage = self.state.storage();
            // No other I/O happens between this read and the write below, so the runtime's input
            // gate keeps a second message from interleaving with this one.
            let mut record: Record = storage.get(STORAGE_KEY).await?.unwrap_or_default();
            if let Some((_, reply)) = record
                .recent
                .iter()
                .find(|(sid, _)| *sid == turn.message_sid)
            {
                return Response::from_json(&TurnReply {
                    reply: reply.clone(),
                });
            }
            let step = skeleton::step(record.state, Event::Text(turn.text));
            let reply = step.effects.into_iter().map(|effect| match effect {
                Effect::Reply(text) => text,
            });
            let reply = reply.reduce(|all, next| format!("{all}\n\n{next}"));
            record.state = step.state;
            record.recent.push((turn.message_sid, reply.clone()));
            if record.recent.len() > RECENT_IDS {
                let excess = record.recent.len() - RECENT_IDS;
                record.recent.drain(..excess);
            }
            storage.put(STORAGE_KEY, &record).await?;
            Response::from_json(&TurnReply { reply })
        }
    }
}
