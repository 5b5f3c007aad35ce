//! A customer who floods the bot: one notice, then silence until their minute is over.
//!
//! Counting runs per conversation in fixed minutes starting at the first message of each;
//! the shell keeps the [`Window`] with the conversation and passes its clock in.

use serde::{Deserialize, Serialize};

/// The current minute: when it began (ms) and the messages in it. Saved as a two-item list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window(pub u64, pub u32);

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Answer it as usual.
    Answer,
    /// Over the limit for the first time this minute: say so, once.
    Notice,
    /// Over the limit again: say nothing.
    Silence,
}

impl Window {
    /// Counts a message arriving at `now_ms`, allowing `per_minute` a minute.
    pub fn admit(self, now_ms: u64, per_minute: u32) -> (Window, Admission) {
        let Window(start, count) = self;
        let next = if now_ms.saturating_sub(start) >= 60_000 {
            Window(now_ms, 1)
        } else {
            Window(start, count.saturating_add(1))
        };
        let admission = match next.1 {
            n if n <= per_minute => Admission::Answer,
            n if n == per_minute.saturating_add(1) => Admission::Notice,
            _ => Admission::Silence,
        };
        (next, admission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_answered_then_one_notice_then_silence_until_the_minute_ends() {
        let mut w = Window::default();
        let mut seen = Vec::new();
        for i in 0..6 {
            let (next, a) = w.admit(1_000_000 + i * 1_000, 3);
            w = next;
            seen.push(a);
        }
        use Admission::*;
        assert_eq!(seen, [Answer, Answer, Answer, Notice, Silence, Silence]);
        // A minute after the first message, counting starts over.
        assert_eq!(w.admit(1_060_000, 3).1, Answer);
        assert_eq!(w.admit(1_059_999, 3).1, Silence);
    }

    #[test]
    fn it_saves_as_the_pair_it_always_was() {
        assert_eq!(serde_json::to_string(&Window(5, 2)).unwrap(), "[5,2]");
        let w: Window = serde_json::from_str("[5,2]").unwrap();
        assert_eq!(w, Window(5, 2));
    }
}
