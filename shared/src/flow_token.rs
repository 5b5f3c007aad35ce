//! The `flow_token` of a WhatsApp Flow: ours, and self-verifying.
//!
//! WhatsApp hands the token we put in a Flow message back on every request the Flow makes
//! to our endpoint. Anyone holding a business's *public* key can make a well-formed
//! encrypted request, and when Twilio owns the Meta app we have no app secret to check the
//! request's signature with; so the token is what tells us which business, which customer
//! and which conversation a request is about, and it must be unforgeable. The worker mints
//! it when it offers the Flow; the bridge, which serves the endpoint, checks it on every
//! request. Both hold the worker secret; the token's key is derived from it, so a token is
//! never a valid worker→bridge signature or the other way round.
//!
//! Shape: `base64url(tenant "|" customer "|" seq "|" expiry) "." base64url(HMAC-SHA256)`,
//! no padding — short enough for a content-template variable, readable by no one but us in
//! what it grants.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::catalog::TenantId;
use crate::lang::Lang;
use crate::phone::PhoneNumber;

/// How long a Flow offered in a conversation can be opened and used.
pub const FLOW_TOKEN_LIFETIME: Duration = Duration::hours(2);

/// What a token grants: this customer may book with this business until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowToken {
    /// The business.
    pub tenant: TenantId,
    /// The customer the Flow was sent to.
    pub customer: PhoneNumber,
    /// The conversation's message count when the Flow was offered (see
    /// [`crate::conversation::Conversation::seq`]); with the tenant and customer it makes
    /// each token distinct, and it is part of the booking's idempotency key.
    pub seq: u64,
    /// The language the customer writes in: the Flow's screens speak it.
    pub lang: Lang,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused (the endpoint answers 427 to each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FlowTokenError {
    /// Not a token of ours at all.
    #[error("the flow token is malformed")]
    Malformed,
    /// Well formed, but not signed by us (or altered).
    #[error("the flow token's signature does not match")]
    Forged,
    /// Ours, but past its time.
    #[error("the flow token has expired")]
    Expired,
}

fn key(secret: &[u8]) -> Hmac<Sha256> {
    let derived = crate::signing::derive_key(secret, "slotline flow token v1");
    <Hmac<Sha256> as Mac>::new_from_slice(&derived)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

impl FlowToken {
    /// A token for `customer` of `tenant`, writing `lang`, offered at `now` in the
    /// conversation's message `seq`.
    pub fn new(
        tenant: TenantId,
        customer: PhoneNumber,
        seq: u64,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant,
            customer,
            seq,
            lang,
            expires_at: now + FLOW_TOKEN_LIFETIME,
        }
    }

    /// The token as text, signed with (a key derived from) `secret`.
    pub fn mint(&self, secret: &[u8]) -> String {
        let payload = format!(
            "{}|{}|{}|{}|{}",
            self.tenant,
            self.customer.as_e164(),
            self.seq,
            self.expires_at.timestamp(),
            self.lang.code()
        );
        let mut mac = key(secret);
        mac.update(payload.as_bytes());
        let signature = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// Reads and checks a token: ours, unaltered, and not expired at `now`.
    pub fn verify(
        text: &str,
        secret: &[u8],
        now: DateTime<Utc>,
    ) -> Result<FlowToken, FlowTokenError> {
        let (payload, signature) = text.split_once('.').ok_or(FlowTokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| FlowTokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| FlowTokenError::Malformed)?;
        let mut mac = key(secret);
        mac.update(&payload);
        let expected = mac.finalize().into_bytes();
        if !bool::from(expected.as_slice().ct_eq(&signature)) {
            return Err(FlowTokenError::Forged);
        }
        // Signed by us: what follows can only fail for a token of an older shape.
        let payload = String::from_utf8(payload).map_err(|_| FlowTokenError::Malformed)?;
        let mut parts = payload.split('|');
        let (Some(tenant), Some(customer), Some(seq), Some(expiry), Some(lang), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(FlowTokenError::Malformed);
        };
        let customer = PhoneNumber::parse(customer).map_err(|_| FlowTokenError::Malformed)?;
        let seq = seq.parse().map_err(|_| FlowTokenError::Malformed)?;
        let lang = Lang::from_code(lang).ok_or(FlowTokenError::Malformed)?;
        let expires_at = expiry
            .parse()
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .ok_or(FlowTokenError::Malformed)?;
        if now >= expires_at {
            return Err(FlowTokenError::Expired);
        }
        Ok(FlowToken {
            tenant: TenantId(tenant.to_owned()),
            customer,
            seq,
            lang,
            expires_at,
        })
    }

    /// A short stable name for this token (its booking's idempotency key and the record
    /// that it has been used).
    pub fn key(&self) -> String {
        format!(
            "flow:{}:{}:{}:{}",
            self.tenant,
            self.customer.as_e164(),
            self.seq,
            self.expires_at.timestamp()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"worker-secret-for-tests";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + secs, 0).unwrap()
    }

    fn token() -> FlowToken {
        FlowToken::new(
            TenantId::from("studio-lima"),
            PhoneNumber::parse("+51987654321").unwrap(),
            7,
            Lang::Es,
            at(0),
        )
    }

    #[test]
    fn a_minted_token_reads_back_until_it_expires() {
        let text = token().mint(SECRET);
        assert_eq!(FlowToken::verify(&text, SECRET, at(60)), Ok(token()));
        assert_eq!(
            FlowToken::verify(&text, SECRET, at(2 * 3600)),
            Err(FlowTokenError::Expired)
        );
    }

    #[test]
    fn another_secret_or_an_altered_payload_is_forged() {
        let text = token().mint(SECRET);
        assert_eq!(
            FlowToken::verify(&text, b"another secret", at(1)),
            Err(FlowTokenError::Forged)
        );
        // The same signature over another customer.
        let (_, signature) = text.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode(format!(
            "studio-lima|+51987650000|7|{}|es",
            token().expires_at.timestamp()
        ));
        assert_eq!(
            FlowToken::verify(&format!("{other}.{signature}"), SECRET, at(1)),
            Err(FlowTokenError::Forged)
        );
        // A longer life, same signature.
        let longer = URL_SAFE_NO_PAD.encode(format!(
            "studio-lima|+51987654321|7|{}|es",
            token().expires_at.timestamp() + 86_400
        ));
        assert_eq!(
            FlowToken::verify(&format!("{longer}.{signature}"), SECRET, at(1)),
            Err(FlowTokenError::Forged)
        );
    }

    #[test]
    fn what_is_not_a_token_is_malformed() {
        for text in ["", "ft_acme_booking_9f3c", "a.b.c", "%%%.%%%"] {
            assert_eq!(
                FlowToken::verify(text, SECRET, at(1)),
                Err(FlowTokenError::Malformed),
                "{text}"
            );
        }
    }

    #[test]
    fn tokens_differ_by_customer_and_message() {
        let a = token();
        let mut b = token();
        b.seq = 8;
        assert_ne!(a.mint(SECRET), b.mint(SECRET));
        assert_ne!(a.key(), b.key());
    }
}
