//! What the bridge asks of its async runtime, for both builds: tokio in the native binary;
//! in the Spin component, the component's own task (WASI 0.3), which has one thread and no
//! timers of tokio's.

use std::future::Future;
use std::time::Duration;

/// A moment on the monotonic clock.
#[cfg(not(feature = "native"))]
pub use std::time::Instant;
/// A moment on the monotonic clock.
#[cfg(feature = "native")]
pub use tokio::time::Instant;

/// Waits `how_long`.
pub async fn sleep(how_long: Duration) {
    #[cfg(feature = "native")]
    tokio::time::sleep(how_long).await;
    #[cfg(all(not(feature = "native"), target_arch = "wasm32"))]
    wasip3::clocks::monotonic_clock::wait_for(
        u64::try_from(how_long.as_nanos()).unwrap_or(u64::MAX),
    )
    .await;
    #[cfg(all(not(feature = "native"), not(target_arch = "wasm32")))]
    std::thread::sleep(how_long);
}

/// Waits until `at` (at once if it has passed).
pub async fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        sleep(at - now).await;
    }
}

/// Runs `work` beside the caller, which does not wait for it: tokio's pool natively; in a
/// component, the request's own task, which lasts until `work` is done too.
pub fn spawn(work: impl Future<Output = ()> + Send + 'static) {
    #[cfg(feature = "native")]
    drop(tokio::spawn(work));
    #[cfg(all(not(feature = "native"), target_arch = "wasm32"))]
    wit_bindgen::spawn(work);
    #[cfg(all(not(feature = "native"), not(target_arch = "wasm32")))]
    futures_util::executor::block_on(work);
}

/// Runs CPU-heavy `work` (a password hash) off the async threads where there are any; in a
/// component, here.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    #[cfg(feature = "native")]
    return tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string());
    #[cfg(not(feature = "native"))]
    Ok(work())
}
