//! Cal.com: what the bridge checks of its webhooks (pure).
//!
//! Cal.com signs each webhook body with the webhook's secret: the `X-Cal-Signature-256` header
//! is the lower-case hex HMAC-SHA256 of the exact body bytes, keyed with the secret string as
//! stored (no prefix, no timestamp). A webhook without a secret sends the literal
//! `no-secret-provided` (contract sheet §7.2, vectors V1–V4).

use subtle::ConstantTimeEq;
use thiserror::Error;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Cal-Signature-256";

/// What Cal.com sends for a webhook registered without a secret.
pub const NO_SECRET: &str = "no-secret-provided";

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum WebhookError {
    /// No signature header.
    #[error("the X-Cal-Signature-256 header is missing")]
    Missing,
    /// The webhook was registered without a secret, and unsigned webhooks are not allowed.
    #[error("the webhook has no secret (no-secret-provided); register it with one")]
    Unsigned,
    /// The signature does not match the body.
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The lower-case hex signature Cal.com sends for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    crate::signing::hmac_hex(secret.as_bytes(), body)
}

/// Checks a webhook's signature header against its raw body, in constant time.
/// `allow_unsigned` accepts `no-secret-provided` (for Cal.com set-ups that cannot sign).
pub fn verify(
    secret: &str,
    body: &[u8],
    header: Option<&str>,
    allow_unsigned: bool,
) -> Result<(), WebhookError> {
    let header = header.map(str::trim).ok_or(WebhookError::Missing)?;
    if header == NO_SECRET {
        return if allow_unsigned {
            Ok(())
        } else {
            Err(WebhookError::Unsigned)
        };
    }
    let expected = sign(secret, body);
    if bool::from(expected.as_bytes().ct_eq(header.as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "cal_webhook_test_secret";
    const V1: &str = r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2030-01-01T09:30:00.538Z","payload":{"type":"consulta-30","title":"Consulta between Ana Ruiz and Zoe Ortega","startTime":"2030-01-08T13:00:00Z","endTime":"2030-01-08T13:30:00Z","organizer":{"id":7,"name":"Ana Ruiz","email":"ana@clinic.example","timeZone":"Europe/Madrid","language":{"locale":"es"}},"attendees":[{"email":"zoe@example.com","name":"Zoe Ortega","timeZone":"Europe/Madrid","phoneNumber":"+34600111222","language":{"locale":"es"}}],"uid":"bFJeNb2uX8ANpT3JL5EfXw","bookingId":91,"eventTypeId":42,"metadata":{"waConversationId":"wa-123"},"status":"ACCEPTED"}}"#;
    const V2: &str = r#"{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2030-01-02T00:00:00.000Z","payload":{"uid":"x","title":"Cita — Señora Núñez 🙂","cancellationReason":"No puedo","status":"CANCELLED"}}"#;
    const V3: &str = r#"{"triggerEvent":"MEETING_ENDED","id":91,"uid":"bFJeNb2uX8ANpT3JL5EfXw","userId":7,"eventTypeId":42,"title":"Consulta 30 min between Dra. Ana Ruiz and Zoe Ortega","startTime":"2030-01-08T13:00:00.000Z","endTime":"2030-01-08T13:30:00.000Z","status":"ACCEPTED"}"#;

    #[test]
    fn the_contract_vectors_sign_and_verify() {
        assert_eq!(V1.len(), 616);
        assert_eq!(V2.len(), 190);
        assert_eq!(V3.len(), 258);
        for (body, hex) in [
            (
                V1,
                "fa6938be5baf4499bee065c40d085b7701e8229c214c8f70ba6be2c77da9c27c",
            ),
            (
                V2,
                "6fddba31b805dc5cfb302549a20e6ea4407dbfba92e57d6f5aaf15527337c07b",
            ),
            (
                V3,
                "6b522c0defb5b3138c3a215c9047edcf0f421c8fc8f243f7ae4e905f31bb9bbc",
            ),
        ] {
            assert_eq!(sign(SECRET, body.as_bytes()), hex);
            assert_eq!(verify(SECRET, body.as_bytes(), Some(hex), false), Ok(()));
        }
    }

    #[test]
    fn any_edit_to_the_body_or_a_wrong_secret_fails() {
        let hex = "fa6938be5baf4499bee065c40d085b7701e8229c214c8f70ba6be2c77da9c27c";
        let pretty = V1.replace(",\"", ", \"");
        assert_eq!(
            verify(SECRET, pretty.as_bytes(), Some(hex), false),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify("another", V1.as_bytes(), Some(hex), false),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, V1.as_bytes(), Some(&hex.to_uppercase()), false),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, V1.as_bytes(), None, false),
            Err(WebhookError::Missing)
        );
    }

    #[test]
    fn an_unsigned_webhook_passes_only_when_allowed() {
        // V4: the V1 body from a webhook without a secret.
        assert_eq!(
            verify(SECRET, V1.as_bytes(), Some(NO_SECRET), false),
            Err(WebhookError::Unsigned)
        );
        assert_eq!(verify(SECRET, V1.as_bytes(), Some(NO_SECRET), true), Ok(()));
    }
}
