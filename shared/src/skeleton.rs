//! The walking skeleton's conversation: it only remembers what the customer said. The
//! worker runs it until it drives the booking engine in [`crate::conversation`].
//!
//! Its saved shape (`{"v":1,"messages":…,"last_text":…}`) is what
//! [`crate::conversation::Conversation::restore`] migrates from.

use serde::{Deserialize, Serialize};

/// The version written with every saved state, so an older saved shape can be migrated.
pub const STATE_VERSION: u32 = 1;

/// What a conversation remembers between messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Shape version of this record; see [`STATE_VERSION`].
    pub v: u32,
    /// How many messages the customer has sent in this conversation.
    pub messages: u64,
    /// The customer's previous message, if any.
    pub last_text: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            v: STATE_VERSION,
            messages: 0,
            last_text: None,
        }
    }
}

/// Something that happened to a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The customer wrote (or tapped an option titled) this text.
    Text(String),
}

/// Something the shell must do after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this text to the customer.
    Reply(String),
}

/// The outcome of one step: the state to save and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The state to save.
    pub state: State,
    /// What to do, in order.
    pub effects: Vec<Effect>,
}

/// Moves `state` on by `event`.
pub fn step(state: State, event: Event) -> Step {
    match event {
        Event::Text(text) => {
            let messages = state.messages + 1;
            let reply = match &state.last_text {
                None => format!("Hi! Slotline here. You said “{text}” (message {messages})."),
                Some(previous) => {
                    format!("You said “{text}” (message {messages}). Before that: “{previous}”.")
                }
            };
            Step {
                state: State {
                    v: STATE_VERSION,
                    messages,
                    last_text: Some(text),
                },
                effects: vec![Effect::Reply(reply)],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(state: State, text: &str) -> (State, String) {
        let Step { state, effects } = step(state, Event::Text(text.into()));
        let [Effect::Reply(reply)] = effects.as_slice() else {
            panic!("expected one reply, got {effects:?}");
        };
        (state, reply.clone())
    }

    #[test]
    fn the_first_message_is_greeted_and_counted() {
        let (state, reply) = say(State::default(), "hi");
        assert_eq!(state.messages, 1);
        assert!(reply.contains("“hi”"), "{reply}");
        assert!(reply.contains("message 1"), "{reply}");
    }

    #[test]
    fn the_next_message_recalls_the_previous_one() {
        let (state, _) = say(State::default(), "hi");
        let (state, reply) = say(state, "haircut please");
        assert_eq!(state.messages, 2);
        assert_eq!(state.last_text.as_deref(), Some("haircut please"));
        assert!(
            reply.contains("message 2") && reply.contains("“hi”"),
            "{reply}"
        );
    }

    #[test]
    fn a_saved_state_reads_back_identically() {
        let (state, _) = say(State::default(), "olá");
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state);
    }
}
