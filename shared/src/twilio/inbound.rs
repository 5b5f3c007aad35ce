//! The inbound WhatsApp message webhook, parsed once at the door.
//!
//! Twilio adds parameters without notice, so unknown ones are ignored here (they still take
//! part in the signature, which is checked before parsing). A button tap or list selection is
//! read from `ButtonPayload`/`ListId` with the title as a fallback, never from `MessageType`.

use thiserror::Error;

use crate::option_id::OptionId;
use crate::phone::{PhoneError, PhoneNumber};

/// A customer's message as Twilio delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// Twilio's id for this message; the key that makes retries harmless.
    pub message_sid: String,
    /// The Twilio account (or sub-account) that received it.
    pub account_sid: String,
    /// The customer.
    pub from: PhoneNumber,
    /// The business's WhatsApp sender that received it.
    pub to: PhoneNumber,
    /// The text, empty for media and locations. For a tap, the tapped title.
    pub body: String,
    /// The button or list item the customer picked, if any.
    pub choice: Option<Choice>,
    /// The customer's WhatsApp display name, when Twilio sends one.
    pub profile_name: Option<String>,
    /// What came instead of (or with) text: a voice note, a picture, a location.
    pub attachment: Option<Attachment>,
    /// Where the first media file is (`MediaUrl0`, fetched with the account's credentials)
    /// and its type, for a voice note to be transcribed.
    pub media: Option<(String, String)>,
}

/// Something a customer sent that is not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attachment {
    /// A voice note or other audio.
    Voice,
    /// A picture.
    Image,
    /// A sticker.
    Sticker,
    /// A video.
    Video,
    /// A document or any other file.
    Document,
    /// A shared location.
    Location,
}

impl Attachment {
    /// What the webhook's `MessageType`, `NumMedia` and `MediaContentType0` say was sent.
    fn read(
        message_type: Option<&str>,
        num_media: Option<&str>,
        content_type: Option<&str>,
    ) -> Option<Self> {
        if message_type == Some("location") {
            return Some(Attachment::Location);
        }
        if message_type == Some("sticker") {
            return Some(Attachment::Sticker);
        }
        let media = num_media.and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
        if media == 0 {
            return None;
        }
        let kind = content_type.unwrap_or_default();
        Some(if kind.starts_with("audio/") {
            Attachment::Voice
        } else if kind == "image/webp" {
            Attachment::Sticker
        } else if kind.starts_with("image/") {
            Attachment::Image
        } else if kind.starts_with("video/") {
            Attachment::Video
        } else {
            Attachment::Document
        })
    }
}

/// A button or list item the customer picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The id Slotline gave the option when sending it.
    pub id: OptionId,
    /// The title the customer saw.
    pub title: String,
}

/// Why a webhook is not a message Slotline can handle.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InboundError {
    /// A required parameter is absent or empty.
    #[error("missing parameter {0}")]
    Missing(&'static str),
    /// `MessageSid` or `AccountSid` is not of Twilio's shape.
    #[error("parameter {field} is not a Twilio id")]
    BadSid {
        /// The offending parameter.
        field: &'static str,
    },
    /// `From` or `To` is not a phone number.
    #[error("parameter {field} is not a phone number: {reason}")]
    BadPhone {
        /// The offending parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: PhoneError,
    },
}

impl InboundMessage {
    /// Reads a message from the webhook's decoded form parameters.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, InboundError> {
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let sid = |field: &'static str, prefixes: &[&str]| {
            let value = get(field).ok_or(InboundError::Missing(field))?;
            let shaped = value.len() == 34
                && prefixes.iter().any(|p| value.starts_with(p))
                && value.bytes().all(|b| b.is_ascii_alphanumeric());
            if shaped {
                Ok(value.to_owned())
            } else {
                Err(InboundError::BadSid { field })
            }
        };
        let phone = |field: &'static str| {
            let value = get(field).ok_or(InboundError::Missing(field))?;
            PhoneNumber::parse(value).map_err(|reason| InboundError::BadPhone { field, reason })
        };
        let body = get("Body").unwrap_or_default().to_owned();
        // A payload that is none of our option ids (forged, or from another system's
        // template) is no tap: the message is read as the text the customer saw.
        let choice = get("ButtonPayload")
            .or_else(|| get("ListId"))
            .and_then(|id| id.parse::<OptionId>().ok())
            .map(|id| Choice {
                id,
                title: get("ButtonText")
                    .or_else(|| get("ListTitle"))
                    .unwrap_or(&body)
                    .to_owned(),
            });
        Ok(Self {
            message_sid: sid("MessageSid", &["SM", "MM"])?,
            account_sid: sid("AccountSid", &["AC"])?,
            from: phone("From")?,
            to: phone("To")?,
            choice,
            profile_name: get("ProfileName").map(str::to_owned),
            attachment: Attachment::read(
                get("MessageType"),
                get("NumMedia"),
                get("MediaContentType0"),
            ),
            media: get("MediaUrl0")
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(|u| {
                    let kind = get("MediaContentType0").unwrap_or("application/octet-stream");
                    (u.to_owned(), kind.to_owned())
                }),
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    const TEXT: &str = "MessageSid=SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&SmsMessageSid=SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&SmsSid=SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC0123456789abcdef0123456789abcdef&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&To=whatsapp%3A%2B14155238886&Body=Hi%2C+can+I+book+a+haircut%3F&NumMedia=0&NumSegments=1&SmsStatus=received&ApiVersion=2010-04-01&ProfileName=Zoe&WaId=14155550123&MessageType=text&ReferralNumMedia=0";

    #[test]
    fn a_plain_text_message_is_read_from_the_contract_example() {
        let m = InboundMessage::from_params(&form(TEXT)).unwrap();
        assert_eq!(m.message_sid, "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_eq!(m.from.as_e164(), "+14155550123");
        assert_eq!(m.to.as_e164(), "+14155238886");
        assert_eq!(m.body, "Hi, can I book a haircut?");
        assert_eq!(m.choice, None);
        assert_eq!(m.profile_name.as_deref(), Some("Zoe"));
    }

    #[test]
    fn a_button_tap_carries_its_id_and_title() {
        let body = "MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&To=whatsapp%3A%2B14155238886&Body=Confirm+10%3A30&ButtonText=Confirm+10%3A30&ButtonPayload=slot%3A1741948200&MessageType=button";
        let m = InboundMessage::from_params(&form(body)).unwrap();
        assert_eq!(
            m.choice,
            Some(Choice {
                id: OptionId::Slot(1_741_948_200),
                title: "Confirm 10:30".into()
            })
        );
        let forged = body.replace("slot%3A1741948200", "slot%3A2025-03-14T10%3A30");
        let m = InboundMessage::from_params(&form(&forged)).unwrap();
        assert_eq!(m.choice, None, "not one of our ids: read as text");
        assert_eq!(m.body, "Confirm 10:30");
    }

    #[test]
    fn a_list_selection_carries_its_id_and_title() {
        let body = "MessageSid=SM11111111111111111111111111111111&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&To=whatsapp%3A%2B14155238886&Body=Haircut&ListId=svc%3Ahaircut&ListTitle=Haircut";
        let m = InboundMessage::from_params(&form(body)).unwrap();
        assert_eq!(
            m.choice.map(|c| c.id),
            Some(OptionId::Service("haircut".into()))
        );
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let no_sid = TEXT.replace("MessageSid=SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&", "");
        assert_eq!(
            InboundMessage::from_params(&form(&no_sid)),
            Err(InboundError::Missing("MessageSid"))
        );
        let bad_from = TEXT.replace("From=whatsapp%3A%2B14155550123", "From=hello");
        assert!(matches!(
            InboundMessage::from_params(&form(&bad_from)),
            Err(InboundError::BadPhone { field: "From", .. })
        ));
        let bad_sid = TEXT.replace("AccountSid=AC", "AccountSid=XX");
        assert_eq!(
            InboundMessage::from_params(&form(&bad_sid)),
            Err(InboundError::BadSid {
                field: "AccountSid"
            })
        );
    }

    #[test]
    fn voice_notes_pictures_stickers_and_locations_are_told_apart() {
        let with = |extra: &str| {
            let base = "MessageSid=MMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&To=whatsapp%3A%2B14155238886&Body=";
            InboundMessage::from_params(&form(&format!("{base}&{extra}")))
                .unwrap()
                .attachment
        };
        assert_eq!(
            with(
                "NumMedia=1&MediaContentType0=audio%2Fogg&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm&MessageType=audio"
            ),
            Some(Attachment::Voice)
        );
        assert_eq!(
            with("NumMedia=1&MediaContentType0=image%2Fjpeg&MessageType=image"),
            Some(Attachment::Image)
        );
        assert_eq!(
            with("NumMedia=1&MediaContentType0=image%2Fwebp&MessageType=sticker"),
            Some(Attachment::Sticker)
        );
        assert_eq!(
            with("NumMedia=1&MediaContentType0=application%2Fpdf&MessageType=document"),
            Some(Attachment::Document)
        );
        assert_eq!(
            with("Latitude=52.3676&Longitude=4.9041&MessageType=location&NumMedia=0"),
            Some(Attachment::Location)
        );
        assert_eq!(with("NumMedia=0&MessageType=text"), None);
        let base = "MessageSid=MMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&To=whatsapp%3A%2B14155238886&Body=&NumMedia=1&MediaContentType0=audio%2Fogg";
        let voice = InboundMessage::from_params(&form(&format!(
            "{base}&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM1%2FMedia%2FME1"
        )))
        .unwrap();
        assert_eq!(
            voice.media,
            Some((
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1".into(),
                "audio/ogg".into()
            ))
        );
        // Only web addresses are fetched.
        let odd = InboundMessage::from_params(&form(&format!(
            "{base}&MediaUrl0=file%3A%2F%2F%2Fetc%2Fpasswd"
        )))
        .unwrap();
        assert_eq!(odd.media, None);
    }
}
