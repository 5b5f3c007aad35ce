//! Outbound HTTP as the adapters for Cal.com, Twilio and Stripe see it.
//!
//! The native binary carries these calls over reqwest ([`crate::adapters::http`]); the Spin
//! component over Spin's outbound HTTP. An adapter builds a [`Call`], hands it to an
//! [`HttpClient`] and reads the [`Answer`]: it never learns which one carried it, so the same
//! adapter code (and its tests against the stand-ins) serves both builds.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
pub use axum::http::Method;
use base64::Engine as _;

/// One request to send, whole: a call's body is small (a form, a JSON document).
#[derive(Debug, Clone)]
pub struct Call {
    /// GET, POST, …
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Vec<u8>,
    /// How long the whole call may take, answer included; `None` leaves it to the client.
    pub timeout: Option<Duration>,
}

impl Call {
    /// A call of `method` to `url`, with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: None,
        }
    }

    /// A GET of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }

    /// A POST to `url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::POST, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// HTTP Basic authentication (Twilio's account SID and auth token).
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("Authorization", format!("Basic {pair}"))
    }

    /// A bearer token (Stripe's secret key, Cal.com's API key).
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Appends `pairs` to the URL's query, form-encoded.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        if pairs.is_empty() {
            return self;
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(k.as_ref(), v.as_ref());
        }
        self.url
            .push(if self.url.contains('?') { '&' } else { '?' });
        self.url.push_str(&query.finish());
        self
    }

    /// A form-encoded body (`application/x-www-form-urlencoded`).
    pub fn form(mut self, body: String) -> Self {
        self.body = body.into_bytes();
        self.header("Content-Type", "application/x-www-form-urlencoded")
    }

    /// A JSON body (`application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        // Serialising our own request types cannot fail: they hold no maps with non-string
        // keys and no types that refuse to serialise.
        self.body = serde_json::to_vec(value).unwrap_or_default();
        self.header("Content-Type", "application/json")
    }

    /// A body as given (its content type set by [`Call::header`]).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// How long the whole call may take.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
}

/// What the other side answered.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Answer {
    /// An answer with `headers` as the `http` crate holds them (a value that is not text
    /// is left out: none the adapters read is binary).
    pub fn new(status: u16, headers: &axum::http::HeaderMap, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            body,
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in whole seconds, when given as a number.
    pub fn retry_after(&self) -> Option<u64> {
        self.header("Retry-After")
            .and_then(|v| v.trim().parse::<u64>().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no answer came. Its words never hold the URL (which may carry an account id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFailure {
    /// The call took longer than its timeout: whether it took effect is unknown.
    TimedOut,
    /// No connection could be made (nothing listening, name not found, TLS refused).
    Unreachable,
    /// The connection broke or the answer did not read as HTTP.
    Broken(String),
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut => f.write_str("timed out"),
            Self::Unreachable => f.write_str("could not connect"),
            Self::Broken(why) => write!(f, "the connection failed ({why})"),
        }
    }
}

impl std::error::Error for HttpFailure {}

/// Carries [`Call`]s out.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `call` and reads the whole answer.
    async fn send(&self, call: Call) -> Result<Answer, HttpFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_form_encoded_and_appended_to_one_already_there() {
        let call = Call::get("https://api.example/v2/slots")
            .query(&[("start", "2026-12-02T09:00:00+01:00"), ("who", "Zoë & co")]);
        assert_eq!(
            call.url,
            "https://api.example/v2/slots?start=2026-12-02T09%3A00%3A00%2B01%3A00&who=Zo%C3%AB+%26+co"
        );
        let again = Call::get("https://api.example/x?a=1").query(&[("b", "2")]);
        assert_eq!(again.url, "https://api.example/x?a=1&b=2");
    }

    #[test]
    fn basic_auth_is_the_pair_in_base64() {
        let call = Call::post("https://api.example").basic_auth("AC123", "secret");
        assert_eq!(
            call.headers,
            vec![(
                "Authorization".to_owned(),
                "Basic QUMxMjM6c2VjcmV0".to_owned()
            )]
        );
    }

    #[test]
    fn headers_are_found_whatever_their_case() {
        let answer = Answer {
            status: 429,
            headers: vec![("retry-after".into(), " 7 ".into())],
            body: Vec::new(),
        };
        assert_eq!(answer.retry_after(), Some(7));
        assert!(!answer.is_success());
    }
}
