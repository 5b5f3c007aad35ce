//! The Spin benchmark's floor: what serving any component costs under the test host.
#![cfg(target_arch = "wasm32")]

#[spin_sdk::http_service]
async fn handle(_request: spin_sdk::http::Request) -> &'static str {
    "ok"
}
