//! Signatures on worker → bridge calls.
//!
//! The worker signs `METHOD\nPATH\nTIMESTAMP\nBODY` with HMAC-SHA256 under a secret both sides
//! share, and sends the timestamp (Unix seconds) and the hex signature in the
//! [`TIMESTAMP_HEADER`] and [`SIGNATURE_HEADER`] headers. The bridge accepts a timestamp within
//! [`MAX_SKEW_SECS`] of its clock; refusing the same signature twice (replay) is the
//! bridge's job, since it needs memory.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Header carrying the Unix timestamp the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-slotline-timestamp";
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
pub fn sign(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(method.as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a request's signature headers at time `now` (Unix seconds).
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    now: i64,
) -> Result<(), SigningError> {
    let timestamp: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SigningError::Malformed)?;
    let signature = signature.ok_or(SigningError::Malformed)?.trim();
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        return Err(SigningError::Expired);
    }
    let expected = sign(secret, method, path, timestamp, body);
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(())
    } else {
        Err(SigningError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"worker-secret";

    #[test]
    fn a_signed_request_verifies() {
        let sig = sign(SECRET, "POST", "/worker/bella/rpc", 1_000, b"{}");
        assert_eq!(sig.len(), 64);
        let ok = verify(
            SECRET,
            "POST",
            "/worker/bella/rpc",
            b"{}",
            Some("1000"),
            Some(&sig),
            1_100,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let sig = sign(SECRET, "POST", "/worker/bella/rpc", 1_000, b"{}");
        let check = |m: &str, p: &str, b: &[u8], t: &str| {
            verify(SECRET, m, p, b, Some(t), Some(&sig), 1_000)
        };
        assert_eq!(
            check("GET", "/worker/bella/rpc", b"{}", "1000"),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/other/rpc", b"{}", "1000"),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/bella/rpc", b"{ }", "1000"),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            check("POST", "/worker/bella/rpc", b"{}", "1001"),
            Err(SigningError::Mismatch)
        );
    }

    #[test]
    fn old_or_future_timestamps_are_refused() {
        let sig = sign(SECRET, "GET", "/x", 1_000, b"");
        assert_eq!(
            verify(SECRET, "GET", "/x", b"", Some("1000"), Some(&sig), 1_301),
            Err(SigningError::Expired)
        );
        assert_eq!(
            verify(SECRET, "GET", "/x", b"", Some("1000"), Some(&sig), 699),
            Err(SigningError::Expired)
        );
        assert_eq!(
            verify(SECRET, "GET", "/x", b"", None, Some(&sig), 1_000),
            Err(SigningError::Malformed)
        );
        assert_eq!(
            verify(SECRET, "GET", "/x", b"", Some("soon"), Some(&sig), 1_000),
            Err(SigningError::Malformed)
        );
    }
}
