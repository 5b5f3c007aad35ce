//! Twilio Content API payloads for interactive replies, and the REST message form.
//!
//! A reply with options becomes a content template of type `twilio/quick-reply` (up to three
//! short buttons) or `twilio/list-picker` (up to ten items), always with a `twilio/text`
//! fallback carrying the numbered text, so a channel that cannot show buttons still shows
//! the choices. The shapes follow Twilio's contract (see the project's Twilio sheet, §5).

use serde_json::{Value, json};

use crate::lang::Lang;
use crate::render::{self, Interactive, Reply};

/// The JSON body of `POST /v1/Content` for `reply`, or `None` if it has no options.
pub fn create_request(reply: &Reply, lang: Lang, friendly_name: &str) -> Option<Value> {
    let interactive = render::interactive(reply)?;
    let fallback = render::plain_text(reply);
    let rich = match interactive {
        Interactive::QuickReply { body, buttons } => json!({
            "twilio/quick-reply": {
                "body": body,
                "actions": buttons.into_iter().map(|(id, title)| json!({"type": "QUICK_REPLY", "title": title, "id": id})).collect::<Vec<_>>(),
            }
        }),
        Interactive::ListPicker {
            body,
            button,
            items,
        } => json!({
            "twilio/list-picker": {
                "body": body,
                "button": button,
                "items": items.into_iter().map(|(id, item, description)| json!({"id": id, "item": item, "description": description})).collect::<Vec<_>>(),
            }
        }),
    };
    let mut types = rich;
    types["twilio/text"] = json!({ "body": fallback });
    Some(json!({
        "friendly_name": friendly_name,
        "language": lang.code(),
        "types": types,
    }))
}

/// The form of `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: either a text body or
/// a content template, and where Twilio should report the message's delivery.
pub fn message_form(
    to: &str,
    from: &str,
    body_or_content: MessageContent<'_>,
    status_callback: Option<&str>,
) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", to).append_pair("From", from);
    match body_or_content {
        MessageContent::Text(body) => {
            form.append_pair("Body", body);
        }
        MessageContent::TextWithMedia { body, media } => {
            form.append_pair("Body", body);
            form.append_pair("MediaUrl", media);
        }
        MessageContent::Template(sid) => {
            form.append_pair("ContentSid", sid);
        }
        MessageContent::Approved { sid, variables } => {
            form.append_pair("ContentSid", sid);
            form.append_pair("ContentVariables", variables);
        }
    }
    if let Some(url) = status_callback {
        form.append_pair("StatusCallback", url);
    }
    form.finish()
}

/// What a REST message carries.
#[derive(Debug, Clone, Copy)]
pub enum MessageContent<'a> {
    /// Free text (inside the 24-hour window).
    Text(&'a str),
    /// Free text with a picture (`MediaUrl`, https).
    TextWithMedia {
        /// The text.
        body: &'a str,
        /// The picture's URL.
        media: &'a str,
    },
    /// A content template's sid (`HX…`).
    Template(&'a str),
    /// An approved template with its variables (a JSON object of strings keyed `"1"`,
    /// `"2"`, …): the only kind allowed outside the 24-hour window.
    Approved {
        /// The template's sid (`HX…`).
        sid: &'a str,
        /// `ContentVariables`, as JSON text.
        variables: &'a str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::option_id::OptionId;
    use crate::render::Opt;

    fn reply(n: usize) -> Reply {
        Reply {
            text: "Hi Zoe, what would you like to book?".into(),
            options: (1..=n)
                .map(|i| {
                    Opt::new(
                        OptionId::Service(format!("s{i}").as_str().into()),
                        format!("Service {i}"),
                    )
                    .described("30 min, EUR 20")
                })
                .collect(),
            list_button: "Services".into(),
            media_url: None,
            flow: None,
        }
    }

    #[test]
    fn a_list_reply_becomes_a_list_picker_with_a_text_fallback() {
        let body = create_request(&reply(2), Lang::En, "slotline_x").unwrap();
        let list = &body["types"]["twilio/list-picker"];
        assert_eq!(list["button"], "Services");
        assert_eq!(
            list["items"][1],
            json!({"id": "svc:s2", "item": "Service 2", "description": "30 min, EUR 20"})
        );
        assert!(
            body["types"]["twilio/text"]["body"]
                .as_str()
                .unwrap()
                .contains("\n2. Service 2")
        );
        assert_eq!(body["language"], "en");
    }

    #[test]
    fn two_short_options_become_quick_reply_buttons() {
        let r = Reply {
            text: "Confirm?".into(),
            options: vec![
                Opt::new(OptionId::Confirm, "Confirm"),
                Opt::new(OptionId::Change, "Change time"),
            ],
            ..Reply::default()
        };
        let body = create_request(&r, Lang::Es, "n").unwrap();
        assert_eq!(
            body["types"]["twilio/quick-reply"]["actions"][0],
            json!({"type": "QUICK_REPLY", "title": "Confirm", "id": "yes"})
        );
    }

    #[test]
    fn a_text_reply_needs_no_template() {
        assert_eq!(create_request(&Reply::text("hi"), Lang::En, "n"), None);
    }

    #[test]
    fn message_forms_match_the_contract_examples() {
        assert_eq!(
            message_form(
                "whatsapp:+14155550123",
                "whatsapp:+14155238886",
                MessageContent::Template("HX0123456789abcdef0123456789abcdef"),
                None
            ),
            "To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155238886&ContentSid=HX0123456789abcdef0123456789abcdef"
        );
        assert_eq!(
            message_form(
                "whatsapp:+14155550123",
                "whatsapp:+14155238886",
                MessageContent::Text(
                    "Your deposit link: https://checkout.stripe.com/c/pay/cs_test_a1"
                ),
                Some("https://bridge.example.com/twilio/status?tenant=acme")
            ),
            "To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155238886&Body=Your+deposit+link%3A+https%3A%2F%2Fcheckout.stripe.com%2Fc%2Fpay%2Fcs_test_a1&StatusCallback=https%3A%2F%2Fbridge.example.com%2Ftwilio%2Fstatus%3Ftenant%3Dacme"
        );
        assert_eq!(
            message_form(
                "whatsapp:+14155550123",
                "whatsapp:+14155238886",
                MessageContent::TextWithMedia {
                    body: "Welcome!",
                    media: "https://cdn.example.com/logo.png"
                },
                None
            ),
            "To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155238886&Body=Welcome%21&MediaUrl=https%3A%2F%2Fcdn.example.com%2Flogo.png"
        );
    }
}
