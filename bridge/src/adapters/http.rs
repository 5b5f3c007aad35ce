//! `ReqwestClient`: the native binary's [`HttpClient`], one connection pool for every
//! adapter.

use std::time::Duration;

use async_trait::async_trait;

use crate::ports::{Answer, Call, HttpClient, HttpFailure};

/// How long a call may take when its adapter set no limit.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Outbound HTTP over reqwest (rustls).
#[derive(Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
}

impl Default for ReqwestClient {
    fn default() -> Self {
        Self::new()
    }
}

impl ReqwestClient {
    /// A client whose pool keeps up to 64 idle connections per host: the dispatcher sends
    /// to Twilio from many tasks at once.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        Self { client }
    }
}

fn failure(e: &reqwest::Error) -> HttpFailure {
    if e.is_timeout() {
        HttpFailure::TimedOut
    } else if e.is_connect() {
        HttpFailure::Unreachable
    } else {
        // reqwest's words name the URL; its source's do not.
        let why = std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_else(|| "no detail".into());
        HttpFailure::Broken(why)
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, call: Call) -> Result<Answer, HttpFailure> {
        let has_body = !call.body.is_empty()
            || !matches!(call.method, reqwest::Method::GET | reqwest::Method::HEAD);
        let mut request = self.client.request(call.method, &call.url);
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(limit) = call.timeout {
            request = request.timeout(limit);
        }
        // A POST with nothing to say still says so (`Content-Length: 0`): some servers
        // refuse a POST without a length.
        if has_body {
            request = request.body(call.body);
        }
        let response = request.send().await.map_err(|e| failure(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| failure(&e))?.to_vec();
        Ok(Answer::new(status, &headers, body))
    }
}
