//! Calls from the worker to the bridge, signed with the shared secret.
//!
//! Every call has a deadline: a slow bridge must not keep a customer waiting, so a call
//! that has not answered by then counts as [`BridgeAnswer::Unavailable`] and the
//! conversation apologises. The bridge's own errors (4xx/5xx) are treated the same way; the
//! details go to the log.

use std::time::Duration;

use futures_util::future::{Either, select};
use serde::de::DeserializeOwned;
use slotline_shared::signing;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

/// A client for one bridge.
pub struct Bridge {
    base_url: String,
    secret: String,
}

/// Why a bridge call gave nothing usable.
#[derive(Debug)]
pub enum CallError {
    /// No answer before the deadline.
    Timeout,
    /// The bridge answered with this status.
    Status(u16),
    /// The request failed or the answer was unreadable.
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout => f.write_str("no answer in time"),
            CallError::Status(s) => write!(f, "answered {s}"),
            CallError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Runs `work` for at most `limit`: `None` if it had not finished by then. Every outbound
/// call of the worker goes through this, so no customer waits on a slow service.
pub async fn within_time<T>(
    limit: Duration,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    match select(Box::pin(work), Delay::from(limit)).await {
        Either::Left((result, _)) => Some(result),
        Either::Right(_) => None,
    }
}

/// A nonce unique to this call; it need not be secret (the signature needs the secret), only
/// never repeated.
fn nonce() -> String {
    let a = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let b = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    format!("w{:x}{a:x}{b:x}", worker::Date::now().as_millis())
}

impl Bridge {
    /// A client for the bridge at `base_url` sharing `secret`.
    pub fn new(base_url: &str, secret: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        within: Duration,
    ) -> Result<T, CallError> {
        let ts = (worker::Date::now().as_millis() / 1000) as i64;
        let nonce = nonce();
        let bytes = body.clone().unwrap_or_default();
        let signature = signing::sign(
            self.secret.as_bytes(),
            method.as_ref(),
            path,
            ts,
            &nonce,
            &bytes,
        );
        let headers = Headers::new();
        let set = |k: &str, v: &str| {
            headers
                .set(k, v)
                .map_err(|e| CallError::Failed(e.to_string()))
        };
        set(signing::TIMESTAMP_HEADER, &ts.to_string())?;
        set(signing::NONCE_HEADER, &nonce)?;
        set(signing::SIGNATURE_HEADER, &signature)?;
        set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(body) = body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let url = format!("{}{path}", self.base_url);
        let request =
            Request::new_with_init(&url, &init).map_err(|e| CallError::Failed(e.to_string()))?;
        let send = async move {
            let mut resp = Fetch::Request(request)
                .send()
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            if resp.status_code() != 200 {
                return Err(CallError::Status(resp.status_code()));
            }
            resp.json::<T>()
                .await
                .map_err(|e| CallError::Failed(e.to_string()))
        };
        within_time(within, send)
            .await
            .unwrap_or(Err(CallError::Timeout))
    }

    /// Asks the bridge on behalf of a conversation; any failure is `Unavailable`.
    pub async fn ask(
        &self,
        tenant: &str,
        request: &BridgeRequest,
        within: Duration,
    ) -> BridgeAnswer {
        let body = match serde_json::to_vec(request) {
            Ok(b) => b,
            Err(_) => return BridgeAnswer::Unavailable,
        };
        let path = format!("/worker/{tenant}/rpc");
        match self.call(Method::Post, &path, Some(body), within).await {
            Ok(answer) => answer,
            Err(e) => {
                worker::console_warn!("bridge call for {tenant} failed: {e}");
                BridgeAnswer::Unavailable
            }
        }
    }

    /// A signed POST of `body` returning JSON.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
        within: Duration,
    ) -> Result<T, CallError> {
        self.call(Method::Post, path, Some(body), within).await
    }

    /// A signed GET returning JSON.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        within: Duration,
    ) -> Result<T, CallError> {
        self.call(Method::Get, path, None, within).await
    }
}
