//! TwiML replies to the inbound webhook.
//!
//! Twilio wants the XML declaration first, no whitespace before it, and no pretty-printing;
//! an empty body is an error on its side, so "no reply" is an empty `<Response/>`.

/// The content type Twilio expects for TwiML.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// A TwiML document that sends `text` back to the customer.
pub fn message(text: &str) -> String {
    format!(
        "{DECLARATION}<Response><Message>{}</Message></Response>",
        escape(text)
    )
}

/// A TwiML document that sends each text as its own message; none sends nothing.
pub fn messages(texts: &[String]) -> String {
    if texts.is_empty() {
        return empty();
    }
    let body: String = texts
        .iter()
        .map(|t| format!("<Message>{}</Message>", escape(t)))
        .collect();
    format!("{DECLARATION}<Response>{body}</Response>")
}

/// [`messages`] with a picture on those that have one (`<Body>` and `<Media>`).
pub fn messages_with_media(messages: &[(String, Option<String>)]) -> String {
    if messages.is_empty() {
        return empty();
    }
    let body: String = messages
        .iter()
        .map(|(text, media)| match media {
            Some(url) => format!(
                "<Message><Body>{}</Body><Media>{}</Media></Message>",
                escape(text),
                escape(url)
            ),
            None => format!("<Message>{}</Message>", escape(text)),
        })
        .collect();
    format!("{DECLARATION}<Response>{body}</Response>")
}

/// A TwiML document that sends nothing.
pub fn empty() -> String {
    format!("{DECLARATION}<Response/>")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_goes_in_media_beside_the_body() {
        assert_eq!(
            messages_with_media(&[
                (
                    "Hi & welcome".into(),
                    Some("https://x.example/logo.png?a=1&b=2".into())
                ),
                ("Which one?".into(), None),
            ]),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>Hi &amp; welcome</Body><Media>https://x.example/logo.png?a=1&amp;b=2</Media></Message><Message>Which one?</Message></Response>"#
        );
    }

    #[test]
    fn a_message_serialises_as_twilio_does() {
        assert_eq!(
            message("Your booking is confirmed for 14 Mar 10:30."),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Your booking is confirmed for 14 Mar 10:30.</Message></Response>"#
        );
    }

    #[test]
    fn markup_in_text_is_escaped() {
        assert!(message("a < b & c > d").contains("a &lt; b &amp; c &gt; d"));
    }

    #[test]
    fn several_messages_are_sent_in_order() {
        assert_eq!(
            messages(&["one".into(), "two".into()]),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>one</Message><Message>two</Message></Response>"#
        );
        assert_eq!(messages(&[]), empty());
    }

    #[test]
    fn no_reply_is_an_empty_response() {
        assert_eq!(
            empty(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
        );
    }
}
