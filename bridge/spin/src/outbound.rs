//! Outbound HTTP through Spin (WASI 0.3's `wasi:http/client`): Cal.com, Twilio and Stripe,
//! at the hosts `allowed_outbound_hosts` lets the component reach.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::future::{Either, select};
use http_body_util::Full;
use slotline_bridge::ports::{Answer, Call, HttpClient, HttpFailure};
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::wasip3::http::types::ErrorCode;

/// How long a call may take when its adapter set no limit.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Spin's outbound HTTP as the bridge's [`HttpClient`].
pub struct SpinHttp;

fn failure(e: &ErrorCode) -> HttpFailure {
    match e {
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout => HttpFailure::TimedOut,
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_)
        | ErrorCode::HttpRequestDenied => HttpFailure::Unreachable,
        other => HttpFailure::Broken(format!("{other:?}")),
    }
}

async fn exchange(call: Call) -> Result<Answer, HttpFailure> {
    let mut request = http::Request::builder().method(call.method).uri(&call.url);
    for (name, value) in &call.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(call.body)))
        .map_err(|e| HttpFailure::Broken(e.to_string()))?;
    let response = spin_sdk::http::send(request)
        .await
        .map_err(|e| failure(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .bytes()
        .await
        .map_err(|e| failure(&e))?
        .to_vec();
    Ok(Answer::new(status, &headers, body))
}

#[async_trait]
impl HttpClient for SpinHttp {
    async fn send(&self, call: Call) -> Result<Answer, HttpFailure> {
        let limit = call.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let exchange = std::pin::pin!(exchange(call));
        let timer = std::pin::pin!(slotline_bridge::rt::sleep(limit));
        match select(exchange, timer).await {
            Either::Left((answer, _)) => answer,
            Either::Right(_) => Err(HttpFailure::TimedOut),
        }
    }
}
