//! One reply model, two renderings: WhatsApp interactive content and numbered plain text.
//!
//! The conversation produces a [`Reply`] (text plus options). [`interactive`] turns it into
//! a quick-reply (≤ 3 short buttons) or a list-picker (≤ 10 items) within WhatsApp's limits;
//! [`plain_text`] numbers the same options so "2", "two" or the title select option 2 when
//! interactive messages are unavailable. Truncation never splits a character.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::option_id::OptionId;

/// WhatsApp's limit on a message body with buttons or a list.
pub const BODY_MAX: usize = 1024;
/// Limit on a quick-reply button title.
pub const BUTTON_TITLE_MAX: usize = 20;
/// Maximum quick-reply buttons in a session message.
pub const BUTTONS_MAX: usize = 3;
/// Limit on a list item's title.
pub const ITEM_TITLE_MAX: usize = 24;
/// Limit on a list item's description.
pub const ITEM_DESCRIPTION_MAX: usize = 72;
/// Maximum list items.
pub const ITEMS_MAX: usize = 10;
/// Limit on the label of the button that opens a list.
pub const LIST_BUTTON_MAX: usize = 20;
/// Limit on an option id.
pub const ID_MAX: usize = 200;
/// Twilio's limit on a plain-text body.
pub const TEXT_MAX: usize = 1600;

/// One choice offered to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opt {
    /// Stable id echoed back when tapped.
    pub id: OptionId,
    /// What the customer sees.
    pub title: String,
    /// Extra line under the title in a list.
    pub description: Option<String>,
}

impl Opt {
    /// An option without description.
    pub fn new(id: OptionId, title: impl Into<String>) -> Self {
        Self {
            id,
            title: title.into(),
            description: None,
        }
    }

    /// The same option with a description.
    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A message to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    /// The message text.
    pub text: String,
    /// Choices, in order (at most [`ITEMS_MAX`]).
    pub options: Vec<Opt>,
    /// Label of the button that opens a list.
    pub list_button: String,
    /// An image to show with the text.
    pub media_url: Option<String>,
    /// Offer the business's booking Flow beside this reply, in this language (the service
    /// prompt of a business with Flows on); the reply itself stays the text path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Lang>,
}

impl Reply {
    /// A text-only reply.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// WhatsApp interactive content for a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interactive {
    /// `twilio/quick-reply`: up to three buttons.
    QuickReply {
        /// Message body.
        body: String,
        /// `(id, title)` of each button.
        buttons: Vec<(String, String)>,
    },
    /// `twilio/list-picker`: up to ten items behind a button.
    ListPicker {
        /// Message body.
        body: String,
        /// Label of the button that opens the list.
        button: String,
        /// `(id, title, description)` of each item.
        items: Vec<(String, String, String)>,
    },
}

/// `text` cut to at most `max` characters, ending in "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The interactive form of `reply`, or `None` when it has no options.
///
/// Up to three options without descriptions become buttons; anything else becomes a list.
pub fn interactive(reply: &Reply) -> Option<Interactive> {
    if reply.options.is_empty() {
        return None;
    }
    let body = truncate(&reply.text, BODY_MAX);
    let options = &reply.options[..reply.options.len().min(ITEMS_MAX)];
    let buttons_fit = options.len() <= BUTTONS_MAX
        && options
            .iter()
            .all(|o| o.description.is_none() && o.title.chars().count() <= BUTTON_TITLE_MAX);
    if buttons_fit {
        return Some(Interactive::QuickReply {
            body,
            buttons: options
                .iter()
                .map(|o| (truncate(&o.id.to_string(), ID_MAX), o.title.clone()))
                .collect(),
        });
    }
    let button = if reply.list_button.is_empty() {
        "Options".to_owned()
    } else {
        truncate(&reply.list_button, LIST_BUTTON_MAX)
    };
    Some(Interactive::ListPicker {
        body,
        button,
        items: options
            .iter()
            .map(|o| {
                (
                    truncate(&o.id.to_string(), ID_MAX),
                    truncate(&o.title, ITEM_TITLE_MAX),
                    truncate(o.description.as_deref().unwrap_or(""), ITEM_DESCRIPTION_MAX),
                )
            })
            .collect(),
    })
}

/// The plain-text form: the text, then one numbered line per option.
pub fn plain_text(reply: &Reply) -> String {
    let mut out = reply.text.clone();
    if !reply.options.is_empty() {
        out.push('\n');
        for (i, o) in reply.options.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", i + 1, o.title));
            if let Some(d) = &o.description {
                out.push_str(&format!(" ({d})"));
            }
        }
    }
    truncate(&out, TEXT_MAX)
}

/// Joins consecutive replies, as numbered text, into as few messages as fit Twilio's
/// [`TEXT_MAX`]; a reply never splits across messages.
pub fn pack(replies: &[Reply]) -> Vec<String> {
    pack_media(replies)
        .into_iter()
        .map(|(text, _)| text)
        .collect()
}

/// [`pack`], keeping pictures: a reply with one starts a message of its own (a WhatsApp
/// message carries one picture), and the text after it joins that message as it fits.
pub fn pack_media(replies: &[Reply]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for reply in replies {
        let text = plain_text(reply);
        match out.last_mut() {
            Some((last, _))
                if reply.media_url.is_none()
                    && last.chars().count() + 2 + text.chars().count() <= TEXT_MAX =>
            {
                last.push_str("\n\n");
                last.push_str(&text);
            }
            _ => out.push((text, reply.media_url.clone())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(n: usize, described: bool) -> Reply {
        Reply {
            text: "Pick one".into(),
            options: (1..=n)
                .map(|i| {
                    let o = Opt::new(OptionId::Booking(format!("SL-{i}")), format!("Option {i}"));
                    if described { o.described("details") } else { o }
                })
                .collect(),
            list_button: "Options".into(),
            media_url: None,
            flow: None,
        }
    }

    #[test]
    fn three_short_options_become_buttons() {
        assert!(
            matches!(interactive(&reply(3, false)), Some(Interactive::QuickReply { buttons, .. }) if buttons.len() == 3)
        );
    }

    #[test]
    fn four_options_or_descriptions_become_a_list() {
        assert!(matches!(
            interactive(&reply(4, false)),
            Some(Interactive::ListPicker { .. })
        ));
        assert!(matches!(
            interactive(&reply(2, true)),
            Some(Interactive::ListPicker { .. })
        ));
    }

    #[test]
    fn replies_pack_into_as_few_messages_as_fit() {
        let short = [Reply::text("Booked!"), Reply::text("Anything else?")];
        assert_eq!(pack(&short), ["Booked!\n\nAnything else?"]);
        let long = "x".repeat(TEXT_MAX - 10);
        let packed = pack(&[Reply::text(long.clone()), Reply::text("Anything else?")]);
        assert_eq!(packed, [long, "Anything else?".to_owned()]);
        assert!(pack(&[]).is_empty());
        // Exactly at the limit still fits in one.
        let a = "a".repeat(TEXT_MAX - 3);
        assert_eq!(pack(&[Reply::text(a), Reply::text("b")]).len(), 1);
    }

    #[test]
    fn a_picture_starts_its_own_message_and_the_text_after_it_joins() {
        let mut logo = Reply::text("Hi! Welcome to Zen.");
        logo.media_url = Some("https://example.com/logo.png".into());
        let packed = pack_media(&[Reply::text("Before"), logo, Reply::text("Which service?")]);
        assert_eq!(
            packed,
            [
                ("Before".to_owned(), None),
                (
                    "Hi! Welcome to Zen.\n\nWhich service?".to_owned(),
                    Some("https://example.com/logo.png".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn a_reply_without_options_is_not_interactive() {
        assert_eq!(interactive(&Reply::text("hi")), None);
    }

    #[test]
    fn long_titles_are_cut_at_character_boundaries() {
        let mut r = reply(4, false);
        r.options[0].title = "Coloração completa com tratamento".into();
        let Some(Interactive::ListPicker { items, .. }) = interactive(&r) else {
            panic!("expected a list");
        };
        assert_eq!(items[0].1.chars().count(), ITEM_TITLE_MAX);
        assert!(items[0].1.ends_with('…'));
        assert_eq!(truncate("ñññ", 2), "ñ…");
    }

    #[test]
    fn the_text_fallback_numbers_every_option() {
        let text = plain_text(&reply(3, true));
        assert!(text.contains("\n1. Option 1 (details)"));
        assert!(text.contains("\n3. Option 3 (details)"));
    }
}
