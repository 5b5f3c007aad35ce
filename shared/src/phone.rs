//! Phone numbers in E.164 form.
//!
//! A [`PhoneNumber`] is validated once, where it enters (a webhook field), and masks itself
//! whenever it is printed with `{}` or `{:?}`, so logs never carry a customer's full number.
//! Code that needs the digits asks for them by name ([`PhoneNumber::as_e164`]).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A phone number in E.164 form: `+` and 8 to 15 digits, the first not zero.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Why a text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// The text does not start with `+` (after an optional `whatsapp:` prefix).
    #[error("a phone number starts with + and its country code")]
    MissingPlus,
    /// Something other than digits follows the `+`, or too few or too many of them.
    #[error("a phone number has 8 to 15 digits after the +")]
    BadDigits,
}

impl PhoneNumber {
    /// Parses `+14155550123` or Twilio's channel address `whatsapp:+14155550123`.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let text = text.trim();
        let bare = text.strip_prefix("whatsapp:").unwrap_or(text);
        let digits = bare.strip_prefix('+').ok_or(PhoneError::MissingPlus)?;
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(bare.to_owned()))
        } else {
            Err(PhoneError::BadDigits)
        }
    }

    /// The full number, `+` and digits. Not for logs.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The address Twilio uses for this number on WhatsApp: `whatsapp:+…`.
    pub fn whatsapp_address(&self) -> String {
        format!("whatsapp:{}", self.0)
    }

    /// The number with all but the country-code end and the last two digits hidden.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let shown_head = digits.len().min(3);
        let shown_tail = 2;
        let hidden = digits.len() - shown_head - shown_tail;
        format!(
            "+{}{}{}",
            &digits[..shown_head],
            "•".repeat(hidden),
            &digits[digits.len() - shown_tail..]
        )
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whatsapp_address_and_a_bare_number_are_the_same_number() {
        assert_eq!(
            PhoneNumber::parse("whatsapp:+14155550123"),
            PhoneNumber::parse("+14155550123")
        );
    }

    #[test]
    fn printing_a_number_hides_its_middle() {
        let n = PhoneNumber::parse("+14155550123").unwrap();
        assert_eq!(n.to_string(), "+141••••••23");
        assert!(!format!("{n:?}").contains("5550123"));
        assert_eq!(n.as_e164(), "+14155550123");
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(
            PhoneNumber::parse("14155550123"),
            Err(PhoneError::MissingPlus)
        );
        assert_eq!(PhoneNumber::parse("+1415"), Err(PhoneError::BadDigits));
        assert_eq!(
            PhoneNumber::parse("+1415555O123"),
            Err(PhoneError::BadDigits)
        );
        assert_eq!(
            PhoneNumber::parse("+0123456789"),
            Err(PhoneError::BadDigits)
        );
    }

    #[test]
    fn a_number_survives_json() {
        let n = PhoneNumber::parse("+351912345678").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+351912345678\"");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<PhoneNumber>("\"bogus\"").is_err());
    }
}
