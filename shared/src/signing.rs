//! Signatures on worker → bridge calls.
//!
//! The worker signs `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY` with HMAC-SHA256 under a secret
//! both sides share, and sends the timestamp (Unix seconds), a fresh random nonce and the hex
//! signature in [`TIMESTAMP_HEADER`], [`NONCE_HEADER`] and [`SIGNATURE_HEADER`]. The nonce
//! makes two identical requests (two customers asking for the same slots in the same second)
//! distinct. The bridge accepts a timestamp within [`MAX_SKEW_SECS`] of its clock; refusing a
//! nonce it has seen (replay) is the bridge's job, since it needs memory.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Header carrying the Unix timestamp the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-slotline-timestamp";
/// Header carrying the request's unique nonce (8 to 64 characters of `A-Za-z0-9-_`).
pub const NONCE_HEADER: &str = "x-slotline-nonce";
/// Header carrying the hex HMAC-SHA256 signature.
pub const SIGNATURE_HEADER: &str = "x-slotline-signature";
/// How far the signer's clock may be from the verifier's.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a signed request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SigningError {
    /// A signature or timestamp header is missing or malformed.
    #[error("missing or malformed signature headers")]
    Malformed,
    /// The timestamp is more than [`MAX_SKEW_SECS`] away from now.
    #[error("signature timestamp outside the allowed window")]
    Expired,
    /// The signature does not match.
    #[error("signature does not match")]
    Mismatch,
}

/// The hex signature of a request.
pub fn sign(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(method.as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(nonce.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The lower-case hex HMAC-SHA256 of `body` under `key`: Cal.com's webhook signature, and
/// Meta's `X-Hub-Signature-256` after its `sha256=`.
pub fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A key of its own for `purpose`, derived from `secret`, so that nothing made under one
/// purpose (a Flow token, a sealed key) can be passed off as another.
pub fn derive_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signature headers of one request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    /// [`TIMESTAMP_HEADER`].
    pub timestamp: Option<&'a str>,
    /// [`NONCE_HEADER`].
    pub nonce: Option<&'a str>,
    /// [`SIGNATURE_HEADER`].
    pub signature: Option<&'a str>,
}

/// Whether a nonce has an acceptable shape.
fn valid_nonce(nonce: &str) -> bool {
    (8..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a request's signature headers at time `now` (Unix seconds). On success returns
/// the nonce, which the caller must not accept again.
pub fn verify<'a>(
    secret: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
    headers: Headers<'a>,
    now: i64,
) -> Result<&'a str, SigningError> {
    let timestamp: i64 = headers
        .timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SigningError::Malformed)?;
    let nonce = headers
        .nonce
        .map(str::trim)
        .filter(|n| valid_nonce(n))
        .ok_or(SigningError::Malformed)?;
    let signature = headers.signature.ok_or(SigningError::Malformed)?.trim();
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        return Err(SigningError::Expired);
    }
    let expected = sign(secret, method, path, timestamp, nonce, body);
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(nonce)
    } else {
        Err(SigningError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"worker-secret";
    const NONCE: &str = "n0nce-0001";

    fn headers<'a>(t: &'a str, n: &'a str, s: &'a str) -> Headers<'a> {
        Headers {
            timestamp: Some(t),
            nonce: Some(n),
            signature: Some(s),
        }
    }

    #[test]
    fn a_signed_request_verifies_and_yields_its_nonce() {
        let sig = sign(SECRET, "POST", "/worker/bella/rpc", 1_000, NONCE, b"{}");
        assert_eq!(sig.len(), 64);
        let ok = verify(
            SECRET,
            "POST",
            "/worker/bella/rpc",
            b"{}",
            headers("1000", NONCE, &sig),
            1_100,
        );
        assert_eq!(ok, Ok(NONCE));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let sig = sign(SECRET, "POST", "/worker/bella/rpc", 1_000, NONCE, b"{}");
        let check = |m: &str, p: &str, b: &[u8], t: &str, n: &str| {
            verify(SECRET, m, p, b, headers(t, n, &sig), 1_000).map(|_| ())
        };
        assert_eq!(
            check("GET", "/worker/bella/rpc", b"{}", "1000", NONCE),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/other/rpc", b"{}", "1000", NONCE),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/bella/rpc", b"{ }", "1000", NONCE),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/bella/rpc", b"{}", "1001", NONCE),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/bella/rpc", b"{}", "1000", "n0nce-0002"),
            Err(SigningError::Mismatch)
        );
    }

    #[test]
    fn identical_requests_with_different_nonces_sign_differently() {
        assert_ne!(
            sign(SECRET, "GET", "/x", 1, "nonce-aaaa", b""),
            sign(SECRET, "GET", "/x", 1, "nonce-bbbb", b"")
        );
    }

    #[test]
    fn old_future_or_malformed_headers_are_refused() {
        let sig = sign(SECRET, "GET", "/x", 1_000, NONCE, b"");
        let v = |h: Headers<'_>, now| verify(SECRET, "GET", "/x", b"", h, now).map(|_| ());
        assert_eq!(
            v(headers("1000", NONCE, &sig), 1_301),
            Err(SigningError::Expired)
        );
        assert_eq!(
            v(headers("1000", NONCE, &sig), 699),
            Err(SigningError::Expired)
        );
        assert_eq!(
            v(
                Headers {
                    timestamp: None,
                    ..headers("1000", NONCE, &sig)
                },
                1_000
            ),
            Err(SigningError::Malformed)
        );
        assert_eq!(
            v(headers("soon", NONCE, &sig), 1_000),
            Err(SigningError::Malformed)
        );
        assert_eq!(
            v(headers("1000", "short", &sig), 1_000),
            Err(SigningError::Malformed)
        );
        assert_eq!(
            v(headers("1000", "has space!", &sig), 1_000),
            Err(SigningError::Malformed)
        );
    }
}
