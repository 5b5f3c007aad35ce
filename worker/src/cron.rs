//! The Cron Trigger (`[triggers] crons` in `wrangler.toml`): every minute the platform wakes
//! the worker, which asks the bridge for one dispatch pass (`POST /worker/cron/tick`,
//! signed like every bridge call). The reminders then go out on a clock the platform
//! provides, even from a bridge with no timer of its own (Spin, a container scaled to zero).
//! A pass that fails is logged; the next minute's tick tries again, and the outbox keeps
//! every message until it is sent.

use std::time::Duration;

use worker::Env;

use crate::bridge::Bridge;
use crate::config::Config;

/// The bridge's route for one dispatch pass.
pub const TICK_PATH: &str = "/worker/cron/tick";

/// How long one pass may take before the tick gives up waiting (the pass goes on).
const TICK_BUDGET: Duration = Duration::from_secs(25);

/// Asks the bridge for one dispatch pass and logs what it did.
pub async fn tick(env: &Env) {
    let config = match Config::from_env(env) {
        Ok(config) => config,
        Err(e) => {
            worker::console_error!("cron tick: the worker is misconfigured: {e}");
            return;
        }
    };
    let bridge = Bridge::new(&config.bridge_url, &config.bridge_secret);
    match bridge
        .post::<serde_json::Value>(TICK_PATH, b"{}".to_vec(), TICK_BUDGET)
        .await
    {
        Ok(report) => worker::console_log!("cron tick: {report}"),
        Err(e) => worker::console_warn!("cron tick: the bridge did not run a pass: {e}"),
    }
}
