//! Stripe: what the bridge checks of its webhooks (pure).
//!
//! Stripe signs `"{t}.{raw body}"` with HMAC-SHA256 keyed by the endpoint's whole secret
//! string (`whsec_…`, prefix included, not base64-decoded) and sends
//! `Stripe-Signature: t=…,v1=…[,v1=…]`. Every `v1` is a candidate (several appear while a
//! secret is rolled); `v0` and unknown keys are ignored. Only the signature's age is checked:
//! a timestamp from the future passes, as in Stripe's own libraries (contract sheet §1,
//! vectors S1 and S2).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// How old a signature may be, in seconds (Stripe's libraries' default).
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or one without a timestamp.
    #[error("unable to extract timestamp and signatures from header")]
    Malformed,
    /// The header has no `v1` signature.
    #[error("no signatures found with expected scheme")]
    NoSignature,
    /// No `v1` signature matches the body.
    #[error("no signature matches the body")]
    Mismatch,
    /// The signature is older than the tolerance.
    #[error("timestamp outside the tolerance zone")]
    Stale,
}

/// The lower-case hex `v1` signature Stripe sends for `body` signed at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The whole header Stripe sends for `body` signed at `t` (for stand-ins and tests).
pub fn header(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", sign(secret, t, body))
}

/// Checks a webhook's `Stripe-Signature` header against its raw body at `now` (Unix
/// seconds), in constant time.
pub fn verify(
    secret: &str,
    body: &[u8],
    header: Option<&str>,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut t = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" => t = value.trim().parse::<i64>().ok(),
            "v1" => candidates.push(value.trim()),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let expected = sign(secret, t, body);
    // Every candidate is compared, so the time taken does not tell which one matched.
    let matched = candidates.iter().fold(false, |found, candidate| {
        found | bool::from(expected.as_bytes().ct_eq(candidate.as_bytes()))
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if now - t > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const S1: &str = r#"{"id":"evt_1TestDeposit0001","object":"event","account":"acct_1TenantAcme000001","api_version":"2026-06-24.dahlia","created":1700000000,"data":{"object":{"id":"cs_test_a1DepositAcme0001","object":"checkout.session","amount_subtotal":2000,"amount_total":2000,"client_reference_id":"booking_42","currency":"eur","customer_details":{"email":"zoe@example.com","name":"Zoe Ortega","phone":null},"expires_at":1700001800,"livemode":false,"metadata":{"booking_id":"42","tenant_id":"acme"},"mode":"payment","payment_intent":"pi_3TestDeposit0001","payment_status":"paid","status":"complete","success_url":"https://book.example.com/acme/paid?session_id={CHECKOUT_SESSION_ID}","url":null}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed"}"#;
    const S1_HEADER: &str =
        "t=1700000000,v1=14d835a86a3168393f3f3a93ec766681ebb5e1f1697bbbb1b2fcd16c8c9870b1";
    const S2: &str = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}";

    #[test]
    fn the_contract_vectors_sign_and_verify() {
        assert_eq!(S1.len(), 797);
        assert_eq!(header(SECRET, 1_700_000_000, S1.as_bytes()), S1_HEADER);
        assert_eq!(
            sign(SECRET, 1_492_774_577, S2.as_bytes()),
            "d21d91b425674689e03346536b8fec6384a8721d43ebe269a1689a3ad22cba9c"
        );
        assert_eq!(
            verify(SECRET, S1.as_bytes(), Some(S1_HEADER), 1_700_000_100),
            Ok(())
        );
    }

    #[test]
    fn a_signature_older_than_five_minutes_is_refused_and_a_future_one_passes() {
        let body = S1.as_bytes();
        assert_eq!(verify(SECRET, body, Some(S1_HEADER), 1_700_000_300), Ok(()));
        assert_eq!(
            verify(SECRET, body, Some(S1_HEADER), 1_700_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(verify(SECRET, body, Some(S1_HEADER), 1_699_999_000), Ok(()));
    }

    #[test]
    fn any_v1_may_match_and_v0_is_ignored() {
        let rolled = format!(
            "t=1700000000,v1={},v1=14d835a86a3168393f3f3a93ec766681ebb5e1f1697bbbb1b2fcd16c8c9870b1,v0=deadbeef",
            "0".repeat(64)
        );
        assert_eq!(
            verify(SECRET, S1.as_bytes(), Some(&rolled), 1_700_000_000),
            Ok(())
        );
        assert_eq!(
            verify(
                SECRET,
                S1.as_bytes(),
                Some("t=1700000000,v0=deadbeef"),
                1_700_000_000
            ),
            Err(SignatureError::NoSignature)
        );
    }

    #[test]
    fn a_changed_or_reformatted_body_or_another_secret_is_refused() {
        let tampered = S1.replace("\"amount_total\":2000", "\"amount_total\":1");
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(S1).unwrap())
                .unwrap();
        for body in [tampered.as_str(), pretty.as_str()] {
            assert_eq!(
                verify(SECRET, body.as_bytes(), Some(S1_HEADER), 1_700_000_000),
                Err(SignatureError::Mismatch)
            );
        }
        // The prefix is part of the key.
        assert_eq!(
            verify("test_secret", S1.as_bytes(), Some(S1_HEADER), 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, S1.as_bytes(), None, 1_700_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, S1.as_bytes(), Some("v1=abc"), 1_700_000_000),
            Err(SignatureError::Malformed)
        );
    }
}
