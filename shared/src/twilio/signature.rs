//! The `X-Twilio-Signature` algorithm.
//!
//! Twilio signs `url + concat(sorted key+value pairs)` with HMAC-SHA1 keyed by the account's
//! auth token, base64-encoded. The URL must be the one configured in Twilio, byte for byte;
//! because proxies, runtimes and Twilio's own SDKs disagree on ports and on how `'` is
//! encoded, several spellings of the same URL are accepted (see [`candidate_urls`]).
//!
//! Parameters are a multi-map: repeated keys and empty values both take part in the signature,
//! which is why they arrive as a slice of pairs and never as a `HashMap`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// What Twilio signed besides the URL.
#[derive(Debug, Clone, Copy)]
pub enum SignedPayload<'a> {
    /// A form-encoded body (every messaging webhook): its decoded parameters, in any order,
    /// repeated keys and empty values included.
    Form(&'a [(String, String)]),
    /// The raw body of a JSON webhook. Twilio then puts `bodySHA256` in the query string and
    /// signs the URL alone.
    Raw(&'a [u8]),
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The request carried no `X-Twilio-Signature` header.
    #[error("missing X-Twilio-Signature header")]
    Missing,
    /// No accepted spelling of the URL produces the presented signature.
    #[error("X-Twilio-Signature does not match the request")]
    Mismatch,
    /// A raw body was presented but the URL has no `bodySHA256` parameter.
    #[error("bodySHA256 is missing from the URL of a raw-body webhook")]
    MissingBodyHash,
    /// The body does not hash to the URL's `bodySHA256`.
    #[error("body does not match bodySHA256")]
    BodyHashMismatch,
}

/// Computes the signature Twilio sends for `url` and form `params`, keyed by `auth_token`
/// (the token text itself, not hex-decoded).
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Keys in byte order; a repeated key contributes each distinct value once, in byte
    // order, as Twilio's Node and Python validators do.
    pairs.sort_unstable();
    pairs.dedup();
    let mut mac = new_mac(auth_token);
    mac.update(url.as_bytes());
    for (key, value) in pairs {
        mac.update(key.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Checks `header` (the `X-Twilio-Signature` value, if any) against a request to `url`.
///
/// `url` is the public URL configured in Twilio for this webhook, with the query string as
/// received. Every spelling from [`candidate_urls`] is tried; comparison is constant-time.
pub fn verify(
    auth_token: &str,
    url: &str,
    payload: SignedPayload<'_>,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let params: &[(String, String)] = match payload {
        SignedPayload::Form(params) => params,
        SignedPayload::Raw(body) => {
            check_body_hash(url, body)?;
            &[]
        }
    };
    let matched = candidate_urls(url).iter().fold(false, |found, candidate| {
        let expected = compute(auth_token, candidate, params);
        found | bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn new_mac(auth_token: &str) -> Hmac<Sha1> {
    // HMAC accepts keys of any length, so this cannot fail.
    <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

fn check_body_hash(url: &str, body: &[u8]) -> Result<(), SignatureError> {
    let query = split_url(url)
        .query
        .ok_or(SignatureError::MissingBodyHash)?;
    let claimed = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
        .ok_or(SignatureError::MissingBodyHash)?;
    let actual = hex_lower(&Sha256::digest(body));
    if bool::from(actual.as_bytes().ct_eq(claimed.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::BodyHashMismatch)
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// The spellings of `url` under which a signature is accepted.
///
/// - as given;
/// - with any port removed, and with the scheme's default port added when there is none
///   (Twilio signs whichever form was configured; SDKs try both);
/// - each of those with `%27` and `'` swapped in the query (runtimes disagree on encoding
///   `'`);
/// - each of those without a `#fragment` (Twilio's connection overrides live there, and
///   whether they are signed is undocumented).
pub fn candidate_urls(url: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(12);
    let mut push = |u: String| {
        if !out.contains(&u) {
            out.push(u);
        }
    };
    let mut bases = vec![url.to_owned()];
    if let Some(without_fragment) = url.split_once('#').map(|(head, _)| head.to_owned()) {
        bases.push(without_fragment);
    }
    for base in bases {
        let parts = split_url(&base);
        let mut ported = vec![base.clone()];
        if parts.port.is_some() {
            ported.push(parts.with_port(None));
        } else if let Some(default) = parts.default_port() {
            ported.push(parts.with_port(Some(default)));
        }
        for candidate in ported {
            let swapped = swap_apostrophes(&candidate);
            push(candidate);
            if let Some(swapped) = swapped {
                push(swapped);
            }
        }
    }
    out
}

/// Returns the URL with `%27` written as `'` (or, when it has none, `'` written as `%27`) in
/// its query, or `None` when the query has neither.
fn swap_apostrophes(url: &str) -> Option<String> {
    let (head, query) = url.split_once('?')?;
    let swapped = if query.contains("%27") {
        query.replace("%27", "'")
    } else if query.contains('\'') {
        query.replace('\'', "%27")
    } else {
        return None;
    };
    Some(format!("{head}?{swapped}"))
}

/// A URL cut at the places the signature rules care about, without re-encoding anything.
struct UrlParts<'a> {
    /// `scheme://userinfo@host`
    before_port: &'a str,
    scheme: &'a str,
    port: Option<&'a str>,
    /// path, query and fragment, as given.
    rest: &'a str,
    query: Option<&'a str>,
}

impl UrlParts<'_> {
    fn default_port(&self) -> Option<&'static str> {
        match self.scheme.to_ascii_lowercase().as_str() {
            "https" => Some("443"),
            "http" => Some("80"),
            _ => None,
        }
    }

    fn with_port(&self, port: Option<&str>) -> String {
        match port {
            Some(port) => format!("{}:{}{}", self.before_port, port, self.rest),
            None => format!("{}{}", self.before_port, self.rest),
        }
    }
}

fn split_url(url: &str) -> UrlParts<'_> {
    let (scheme, after_scheme) = match url.find("://") {
        Some(i) => (&url[..i], i + 3),
        None => ("", 0),
    };
    let authority_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    let authority = &url[after_scheme..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    // A port follows the last ':' unless that colon sits inside an IPv6 literal.
    let port_colon = host_port
        .rfind(':')
        .filter(|&i| !host_port[i..].contains(']'))
        .filter(|&i| {
            let digits = &host_port[i + 1..];
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        });
    let (before_port, port) = match port_colon {
        Some(i) => {
            let colon = after_scheme + host_start + i;
            (&url[..colon], Some(&url[colon + 1..authority_end]))
        }
        None => (&url[..authority_end], None),
    };
    let rest = &url[authority_end..];
    let query = rest
        .split_once('?')
        .map(|(_, q)| q.split_once('#').map_or(q, |(q, _)| q));
    UrlParts {
        before_port,
        scheme,
        port,
        rest,
        query,
    }
}

#[cfg(test)]
mod tests {
    //! Every vector of the Twilio contract sheet (§1.2), plus the project's own.
    use super::*;

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn sdk_params() -> Vec<(String, String)> {
        params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    fn form(body: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn accepts(url: &str, params: &[(String, String)], sig: &str) -> bool {
        verify("12345", url, SignedPayload::Form(params), Some(sig)).is_ok()
    }

    #[test]
    fn v1_the_sdk_reference_signature_matches() {
        assert_eq!(
            compute("12345", URL, &sdk_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(accepts(URL, &sdk_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    #[test]
    fn v2_a_signature_over_the_https_default_port_is_accepted_without_it() {
        assert_eq!(
            compute(
                "12345",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &sdk_params()
            ),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert!(accepts(URL, &sdk_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
    }

    #[test]
    fn v3_a_signature_over_the_http_default_port_is_accepted_without_it() {
        let url = "http://mycompany.com/myapp.php?foo=1&bar=2";
        assert!(accepts(url, &sdk_params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="));
    }

    #[test]
    fn v4_a_url_with_a_custom_port_is_checked_as_given() {
        let url = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            compute("12345", url, &sdk_params()),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        assert!(accepts(url, &sdk_params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
    }

    #[test]
    fn v5_a_custom_port_may_be_stripped() {
        let url = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert!(accepts(url, &sdk_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    #[test]
    fn v6_repeated_values_are_deduplicated_and_sorted() {
        let p = params(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(compute("12345", URL, &p), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn v7_array_values_sign_the_same_in_any_order() {
        let a = params(&[
            ("MessagingBinding.Address", "+1415xxxxxxx"),
            ("MessagingBinding.Address", "+1325xxxxxxx"),
        ]);
        let b = params(&[
            ("MessagingBinding.Address", "+1325xxxxxxx"),
            ("MessagingBinding.Address", "+1415xxxxxxx"),
        ]);
        assert_eq!(compute("12345", URL, &a), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
        assert_eq!(compute("12345", URL, &b), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    }

    #[test]
    fn v8_a_json_body_is_signed_through_its_hash_in_the_url() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let url = format!(
            "{URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        let ok = verify(
            "12345",
            &url,
            SignedPayload::Raw(body),
            Some("a9nBmqA0ju/hNViExpshrM61xv4="),
        );
        assert_eq!(ok, Ok(()));
        let tampered = verify(
            "12345",
            &url,
            SignedPayload::Raw(br#"{"property": "other", "boolean": true}"#),
            Some("a9nBmqA0ju/hNViExpshrM61xv4="),
        );
        assert_eq!(tampered, Err(SignatureError::BodyHashMismatch));
        let no_hash = verify(
            "12345",
            URL,
            SignedPayload::Raw(body),
            Some("a9nBmqA0ju/hNViExpshrM61xv4="),
        );
        assert_eq!(no_hash, Err(SignatureError::MissingBodyHash));
    }

    #[test]
    fn v9_an_empty_json_body_matches_only_through_the_default_port() {
        let hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        let url = format!("{URL}&bodySHA256={hash}");
        assert_eq!(compute("12345", &url, &[]), "rw/jVviOgicj2+kHZULvebnA4ag=");
        let ok = verify(
            "12345",
            &url,
            SignedPayload::Raw(b"{}"),
            Some("Ldidvp12m26NI7eqEvxnEpkd9Hc="),
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn v10_apostrophes_are_accepted_encoded_or_not() {
        let encoded = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing";
        let literal = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing";
        assert_eq!(
            compute("12345", encoded, &sdk_params()),
            "TfZzewPq8wqrGlMfyAud8+/IvJ0="
        );
        assert_eq!(
            compute("12345", literal, &sdk_params()),
            "dsq4Ehbj6cs+KdTkpF5sSSplOWw="
        );
        for url in [encoded, literal] {
            assert!(accepts(url, &sdk_params(), "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
            assert!(accepts(url, &sdk_params(), "dsq4Ehbj6cs+KdTkpF5sSSplOWw="));
        }
    }

    #[test]
    fn v11_credentials_in_the_url_are_signed_and_the_port_added_after_them() {
        let url = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            compute("12345", url, &sdk_params()),
            "CukzLTc1tT5dXEDIHm/tKBanW10="
        );
        assert!(accepts(url, &sdk_params(), "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
    }

    const W_URL: &str = "https://hooks.example.com/twilio/whatsapp/inbound?tenant=acme";
    const W1: &str = "SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0&ProfileName=Zo%C3%AB+Ortega&MessageType=button&SmsSid=SM0123456789abcdef0123456789abcdef&WaId=14155550123&SmsStatus=received&Body=Confirm+10%3A30&ButtonText=Confirm+10%3A30&To=whatsapp%3A%2B14155238886&ButtonPayload=slot%3A2025-03-14T10%3A30&NumSegments=1&ReferralNumMedia=0&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&OriginalRepliedMessageSid=MMfedcba9876543210fedcba9876543210&OriginalRepliedMessageSender=whatsapp%3A%2B14155238886&From=whatsapp%3A%2B14155550123&ApiVersion=2010-04-01";

    #[test]
    fn w1_a_quick_reply_tap_with_a_non_ascii_profile_name_verifies() {
        assert!(accepts(W_URL, &form(W1), "rxTx5XGnTaJxhnwzkjSQ7oH3EpE="));
        assert!(accepts(W_URL, &form(W1), "CVMzuGXnd5ZtphgzOHzW+LT+498="));
    }

    #[test]
    fn w2_a_list_picker_selection_verifies() {
        let body = "SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0&ProfileName=Zoe&MessageType=interactive&SmsSid=SM11111111111111111111111111111111&WaId=14155550123&SmsStatus=received&Body=Haircut&ListId=svc%3Ahaircut&ListTitle=Haircut&To=whatsapp%3A%2B14155238886&NumSegments=1&ReferralNumMedia=0&MessageSid=SM11111111111111111111111111111111&AccountSid=AC0123456789abcdef0123456789abcdef&OriginalRepliedMessageSid=SM22222222222222222222222222222222&OriginalRepliedMessageSender=whatsapp%3A%2B14155238886&From=whatsapp%3A%2B14155550123&ApiVersion=2010-04-01";
        assert!(accepts(W_URL, &form(body), "ihcLmhuOL5pVzrKTVKYSFHsAlpQ="));
    }

    #[test]
    fn w3_an_empty_body_still_takes_part_in_the_signature() {
        let body = "Latitude=52.3676&Longitude=4.9041&Address=Dam+1%2C+Amsterdam&Label=Salon&SmsMessageSid=SM33333333333333333333333333333333&NumMedia=0&ProfileName=Zoe&MessageType=location&SmsSid=SM33333333333333333333333333333333&WaId=14155550123&SmsStatus=received&Body=&To=whatsapp%3A%2B14155238886&NumSegments=1&ReferralNumMedia=0&MessageSid=SM33333333333333333333333333333333&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B14155550123&ApiVersion=2010-04-01";
        let p = form(body);
        assert!(accepts(W_URL, &p, "fT9nwnhTtaMqcBtRQM7GFEXOvRE="));
        let without_body: Vec<_> = p.into_iter().filter(|(k, _)| k != "Body").collect();
        assert!(!accepts(
            W_URL,
            &without_body,
            "fT9nwnhTtaMqcBtRQM7GFEXOvRE="
        ));
    }

    #[test]
    fn w4_a_status_callback_verifies() {
        let body = "ChannelPrefix=whatsapp&ApiVersion=2010-04-01&MessageStatus=failed&SmsSid=SMfedcba9876543210fedcba9876543210&SmsStatus=failed&ChannelInstallSid=XE0123456789abcdef0123456789abcdef&ErrorCode=63016&To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155238886&MessageSid=SMfedcba9876543210fedcba9876543210&AccountSid=AC0123456789abcdef0123456789abcdef&ChannelToAddress=%2B14155550123";
        let url = "https://bridge.example.com/twilio/status?tenant=acme";
        assert!(accepts(url, &form(body), "yzlWsO1cifl4gJ9US4niBzlWfDc="));
    }

    #[test]
    fn an_unexpected_query_parameter_is_rejected() {
        let url = format!("{W_URL}&somethingUnexpected=true");
        assert_eq!(
            verify(
                "12345",
                &url,
                SignedPayload::Form(&form(W1)),
                Some("rxTx5XGnTaJxhnwzkjSQ7oH3EpE=")
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_header_is_reported_as_missing() {
        assert_eq!(
            verify("12345", W_URL, SignedPayload::Form(&form(W1)), None),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_changed_body_is_rejected() {
        let tampered = W1.replace("Body=Confirm+10%3A30", "Body=Confirm+10%3A31");
        assert!(!accepts(
            W_URL,
            &form(&tampered),
            "rxTx5XGnTaJxhnwzkjSQ7oH3EpE="
        ));
    }

    #[test]
    fn another_accounts_token_is_rejected() {
        assert_eq!(
            verify(
                "54321",
                W_URL,
                SignedPayload::Form(&form(W1)),
                Some("rxTx5XGnTaJxhnwzkjSQ7oH3EpE=")
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn keys_sort_by_byte_not_case_insensitively() {
        // "Body" < "body" in byte order; a case-insensitive sort would swap them.
        let p = params(&[("body", "b"), ("Body", "a")]);
        let mut mac = new_mac("t");
        mac.update(b"https://x.test/Bodyabodyb");
        let expected = BASE64.encode(mac.finalize().into_bytes());
        assert_eq!(compute("t", "https://x.test/", &p), expected);
    }

    #[test]
    fn a_fragment_is_accepted_signed_or_not() {
        let url = format!("{W_URL}#ct=2000&rc=3");
        assert!(accepts(&url, &form(W1), "rxTx5XGnTaJxhnwzkjSQ7oH3EpE="));
        let signed_with_fragment = compute("12345", &url, &form(W1));
        assert!(accepts(&url, &form(W1), &signed_with_fragment));
    }

    #[test]
    fn ipv6_hosts_keep_their_colons() {
        let urls = candidate_urls("http://[::1]/hook");
        assert!(urls.contains(&"http://[::1]:80/hook".to_owned()));
        let urls = candidate_urls("http://[::1]:8080/hook");
        assert!(urls.contains(&"http://[::1]/hook".to_owned()));
    }
}
