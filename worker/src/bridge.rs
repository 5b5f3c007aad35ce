//! Calls from the worker to the bridge, signed with the shared secret.
//!
//! Every call has a deadline: a slow bridge must not keep a customer waiting, so a call
//! that has not answered by then counts as [`BridgeAnswer::Unavailable`] and the
//! conversation apologises. The bridge's own errors (4xx/5xx) are treated the same way; the
//! details go to the log.
//!
//! `BRIDGE_URL` may name several bridges (sharing one PostgreSQL database): calls spread over
//! them from a random start, and one that fails, answers 5xx or runs out of its share of the
//! time is skipped for a while ([`slotline_shared::failover`]); the next is tried within the
//! same deadline. Every request the worker sends is safe to repeat (idempotency keys, nonces
//! signed afresh), so a retry on another bridge never books twice.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::{Either, select};
use serde::de::DeserializeOwned;
use slotline_shared::failover::{self, Bridges};
use slotline_shared::signing;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

thread_local! {
    /// Which bridges failed lately, per `BRIDGE_URL` value, kept while the isolate lives.
    static POOLS: RefCell<HashMap<String, Bridges>> = RefCell::new(HashMap::new());
}

/// A client for the bridges of `BRIDGE_URL`.
pub struct Bridge {
    list: String,
    secret: String,
}

/// A bridge's answer, as it came.
#[derive(Debug)]
pub struct Relayed {
    /// HTTP status.
    pub status: u16,
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
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

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// A nonce unique to this call; it need not be secret (the signature needs the secret), only
/// never repeated.
fn nonce() -> String {
    let a = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let b = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    format!("w{:x}{a:x}{b:x}", worker::Date::now().as_millis())
}

impl Bridge {
    /// A client for the bridges listed in `list` (one origin, or several separated by
    /// commas), sharing `secret`.
    pub fn new(list: &str, secret: &str) -> Self {
        Self {
            list: list.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// Tries the bridges in turn until one answers or `within` runs out. A call that timed
    /// out may still be under way at that bridge; it is repeated elsewhere only when
    /// `repeatable` (the bridges dedupe it), never a confirm or a move that creates a Cal.com
    /// booking while the first bridge may be creating it too. Any answer below 500 is the
    /// bridge's considered one and is returned as it came.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        extra: &[(&str, &str)],
        within: Duration,
        repeatable: bool,
    ) -> Result<Relayed, CallError> {
        let started = now_ms();
        let budget = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
        let start = (js_sys::Math::random() * 1_000_000.0) as usize;
        let order = POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if !pools.contains_key(&self.list) {
                let parsed =
                    Bridges::parse(&self.list).map_err(|e| CallError::Failed(e.to_string()))?;
                pools.insert(self.list.clone(), parsed);
            }
            let bridges = &pools[&self.list];
            Ok::<_, CallError>(
                bridges
                    .order(started, start)
                    .into_iter()
                    .map(|i| (i, bridges.url(i).to_owned()))
                    .collect::<Vec<_>>(),
            )
        })?;
        let mut last = CallError::Timeout;
        for (n, (i, base)) in order.iter().enumerate() {
            let spent = now_ms().saturating_sub(started);
            let Some(share) =
                failover::attempt_budget(budget.saturating_sub(spent), order.len() - n - 1)
            else {
                break;
            };
            let outcome = self
                .attempt(
                    base,
                    method.clone(),
                    path,
                    body.clone(),
                    extra,
                    Duration::from_millis(share),
                )
                .await
                .and_then(|answer| match answer.status {
                    s if s >= 500 => Err(CallError::Status(s)),
                    _ => Ok(answer),
                });
            let failed = outcome.is_err();
            let retry = failed && (repeatable || !matches!(outcome, Err(CallError::Timeout)));
            POOLS.with(|pools| {
                if let Some(bridges) = pools.borrow_mut().get_mut(&self.list) {
                    if failed {
                        bridges.failed(*i, now_ms());
                    } else {
                        bridges.answered(*i);
                    }
                }
            });
            match outcome {
                Err(e) if retry => {
                    if order.len() > 1 {
                        worker::console_warn!("bridge {base} {e}; trying the next");
                    }
                    last = e;
                }
                other => return other,
            }
        }
        Err(last)
    }

    /// A call whose answer is JSON: anything but a 200 is the bridge's refusal.
    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        within: Duration,
        repeatable: bool,
    ) -> Result<T, CallError> {
        let answer = self
            .call(method, path, body, &[], within, repeatable)
            .await?;
        if answer.status != 200 {
            return Err(CallError::Status(answer.status));
        }
        serde_json::from_slice(&answer.body).map_err(|e| CallError::Failed(e.to_string()))
    }

    /// One signed call to the bridge at `base`, with `extra` headers.
    async fn attempt(
        &self,
        base: &str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        extra: &[(&str, &str)],
        within: Duration,
    ) -> Result<Relayed, CallError> {
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
        for (k, v) in extra {
            set(k, v)?;
        }
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(body) = body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let url = format!("{base}{path}");
        let request =
            Request::new_with_init(&url, &init).map_err(|e| CallError::Failed(e.to_string()))?;
        let send = async move {
            let mut resp = Fetch::Request(request)
                .send()
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let status = resp.status_code();
            let content_type = resp.headers().get("content-type").ok().flatten();
            let body = resp
                .bytes()
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            Ok(Relayed {
                status,
                content_type,
                body,
            })
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
        let repeatable = !matches!(
            request,
            BridgeRequest::Confirm { .. }
                | BridgeRequest::Reschedule { .. }
                | BridgeRequest::Cancel { .. }
        );
        match self
            .call_json(Method::Post, &path, Some(body), within, repeatable)
            .await
        {
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
        // The worker's other POSTs (the dispatch tick, delivery reports) are safe to repeat.
        self.call_json(Method::Post, path, Some(body), within, true)
            .await
    }

    /// A signed GET returning JSON.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        within: Duration,
    ) -> Result<T, CallError> {
        self.call_json(Method::Get, path, None, within, true).await
    }

    /// Passes a request from outside (WhatsApp's, to a Flow endpoint) to the bridge as it
    /// came, with the `headers` that matter to it, and returns the bridge's answer as it
    /// came. Not repeated after a timeout: the request may be a Flow's confirm.
    pub async fn relay(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
        within: Duration,
    ) -> Result<Relayed, CallError> {
        self.call(Method::Post, path, Some(body), headers, within, false)
            .await
    }
}
