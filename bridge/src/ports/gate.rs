//! The `CallGate` port: the call budget and circuit breaker in front of an outside API
//! (Cal.com), and the one rule both keepers of it follow ([`GateState`]).
//!
//! One bridge keeps the gate in memory ([`LocalGate`]); bridges sharing a PostgreSQL store
//! keep it in a row there, so together they stay under the API's rate limit and all stop
//! calling once it fails (`Store::call_gate`).
//!
//! The budget is a token bucket sized so that **no 60-second window**, however it falls,
//! holds more than the budget: a tenth of it may go at once, the rest comes back at an even
//! pace (so the steady pace is nine tenths of the budget). Cal.com counts its limit per window from the first call, so a bucket refilling the
//! whole budget every minute could let nearly twice the budget through one of its windows.

use std::sync::Mutex;

use async_trait::async_trait;
use thiserror::Error;

/// Failures in a row that open the breaker.
pub const FAILURES_TO_OPEN: u32 = 5;
/// How long an open breaker keeps calls away, in milliseconds.
pub const OPEN_FOR_MS: i64 = 30_000;

/// Why a call may not go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The breaker is open after repeated failures.
    #[error("paused after repeated failures")]
    Open,
    /// The API asked for a pause (`Retry-After`).
    #[error("rate limited by Cal.com")]
    RateLimited,
    /// The budget for this minute is spent.
    #[error("over the per-minute call budget")]
    OverBudget,
}

/// How a call went, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The API answered (even with a refusal of the request itself).
    Healthy,
    /// It did not answer, or failed on its side.
    Failed,
    /// It asked for no calls for this many milliseconds.
    RetryAfter(i64),
}

/// How the gate stands, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateStatus {
    /// No calls go now (breaker open, or a `Retry-After` runs).
    pub paused: bool,
    /// Calls of the budget in use: taken and not yet come back.
    pub calls_in_use: u32,
    /// Calls allowed a minute.
    pub budget_per_minute: u32,
}

/// The gate's whole state: what the memory or the database row keeps. Times are Unix
/// milliseconds (wall clock), so bridges on different machines agree on them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateState {
    /// Calls that may go at once now.
    pub tokens: f64,
    /// When `tokens` was last brought up to date.
    pub at_ms: i64,
    /// Failures in a row.
    pub failures: u32,
    /// The breaker keeps calls away until then.
    pub open_until_ms: i64,
    /// The API asked for no calls until then.
    pub retry_until_ms: i64,
}

impl GateState {
    /// A gate nobody has used: the whole burst available.
    pub fn new(per_minute: u32, now_ms: i64) -> Self {
        Self {
            tokens: burst(per_minute),
            at_ms: now_ms,
            failures: 0,
            open_until_ms: 0,
            retry_until_ms: 0,
        }
    }

    fn refill(&mut self, per_minute: u32, now_ms: i64) {
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        self.tokens = (self.tokens + elapsed * refill_per_ms(per_minute)).min(burst(per_minute));
        self.at_ms = self.at_ms.max(now_ms);
    }

    /// Takes a place for one call at `now_ms`, or says why not (taking nothing).
    pub fn admit(&mut self, per_minute: u32, now_ms: i64) -> Result<(), Refusal> {
        self.refill(per_minute, now_ms);
        if now_ms < self.open_until_ms {
            return Err(Refusal::Open);
        }
        if now_ms < self.retry_until_ms {
            return Err(Refusal::RateLimited);
        }
        if self.tokens < 1.0 {
            return Err(Refusal::OverBudget);
        }
        self.tokens -= 1.0;
        Ok(())
    }

    /// Notes how a call went.
    pub fn record(&mut self, outcome: CallOutcome, now_ms: i64) {
        match outcome {
            CallOutcome::Healthy => {
                self.failures = 0;
                self.open_until_ms = 0;
            }
            CallOutcome::Failed => {
                self.failures = self.failures.saturating_add(1);
                if self.failures >= FAILURES_TO_OPEN {
                    self.open_until_ms = now_ms + OPEN_FOR_MS;
                }
            }
            CallOutcome::RetryAfter(ms) => {
                self.retry_until_ms = self.retry_until_ms.max(now_ms + ms.max(0));
            }
        }
    }

    /// How it stands at `now_ms`.
    pub fn status(&self, per_minute: u32, now_ms: i64) -> GateStatus {
        let mut now = *self;
        now.refill(per_minute, now_ms);
        GateStatus {
            paused: now_ms < self.open_until_ms || now_ms < self.retry_until_ms,
            calls_in_use: (burst(per_minute) - now.tokens).ceil().max(0.0) as u32,
            budget_per_minute: per_minute,
        }
    }
}

/// Calls that may go at once: a tenth of the budget (at least one).
fn burst(per_minute: u32) -> f64 {
    f64::from((per_minute / 10).max(1))
}

/// The pace the rest of the budget comes back at, so that a burst plus a minute's refill
/// stays within the budget (for a budget of 1 a minute, at most one call more).
fn refill_per_ms(per_minute: u32) -> f64 {
    let burst = (per_minute / 10).max(1);
    f64::from(per_minute.saturating_sub(burst).max(1)) / 60_000.0
}

/// The budget and breaker in front of one outside API.
#[async_trait]
pub trait CallGate: Send + Sync {
    /// Takes a place for one call now, or says why not.
    async fn admit(&self, now_ms: i64) -> Result<(), Refusal>;
    /// Notes how the call went.
    async fn record(&self, outcome: CallOutcome, now_ms: i64);
    /// How the gate stands.
    async fn status(&self, now_ms: i64) -> GateStatus;
}

/// A gate kept in this process's memory: one bridge alone on its store.
pub struct LocalGate {
    per_minute: u32,
    state: Mutex<Option<GateState>>,
}

impl LocalGate {
    /// A gate allowing `per_minute` calls a minute (at least 1).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            state: Mutex::new(None),
        }
    }

    fn with<T>(&self, now_ms: i64, f: impl FnOnce(&mut GateState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let state = state.get_or_insert_with(|| GateState::new(self.per_minute, now_ms));
        f(state)
    }
}

#[async_trait]
impl CallGate for LocalGate {
    async fn admit(&self, now_ms: i64) -> Result<(), Refusal> {
        self.with(now_ms, |s| s.admit(self.per_minute, now_ms))
    }

    async fn record(&self, outcome: CallOutcome, now_ms: i64) {
        self.with(now_ms, |s| s.record(outcome, now_ms));
    }

    async fn status(&self, now_ms: i64) -> GateStatus {
        self.with(now_ms, |s| s.status(self.per_minute, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls let through at each millisecond of `0..span_ms` when asked for as fast as
    /// possible (one attempt a `step_ms`).
    fn greedy(per_minute: u32, span_ms: i64, step_ms: usize) -> Vec<i64> {
        let mut gate = GateState::new(per_minute, 0);
        (0..span_ms)
            .step_by(step_ms)
            .filter(|t| gate.admit(per_minute, *t).is_ok())
            .collect()
    }

    #[test]
    fn no_minute_window_ever_holds_more_than_the_budget() {
        for per_minute in [20, 60, 110, 500] {
            let calls = greedy(per_minute, 5 * 60_000, 10);
            for (i, start) in calls.iter().enumerate() {
                let in_window = calls[i..]
                    .iter()
                    .take_while(|t| **t < start + 60_000)
                    .count();
                assert!(
                    in_window <= per_minute as usize,
                    "{in_window} calls in the minute from {start} ms, budget {per_minute}"
                );
            }
            // And the budget is used: over five minutes, close to five budgets go.
            let used = calls.len() as f64 / (5.0 * f64::from(per_minute));
            assert!(
                used > 0.85,
                "only {used:.2} of the budget used at {per_minute}"
            );
        }
    }

    #[test]
    fn a_burst_is_a_tenth_of_the_budget_then_calls_are_refused_at_once() {
        let mut gate = GateState::new(110, 0);
        let taken = (0..200).filter(|_| gate.admit(110, 0).is_ok()).count();
        assert_eq!(taken, 11);
        assert_eq!(gate.admit(110, 0), Err(Refusal::OverBudget));
        assert_eq!(gate.status(110, 0).calls_in_use, 11);
        // 99 calls come back over a minute: one every ~606 ms.
        assert_eq!(gate.admit(110, 600), Err(Refusal::OverBudget));
        assert_eq!(gate.admit(110, 700), Ok(()));
    }

    #[test]
    fn five_failures_in_a_row_open_the_breaker_for_thirty_seconds() {
        let mut gate = GateState::new(110, 0);
        for _ in 0..4 {
            gate.record(CallOutcome::Failed, 1_000);
        }
        assert_eq!(gate.admit(110, 1_000), Ok(()));
        // A healthy answer starts the count again.
        gate.record(CallOutcome::Healthy, 1_000);
        for _ in 0..4 {
            gate.record(CallOutcome::Failed, 1_000);
        }
        assert_eq!(gate.admit(110, 1_000), Ok(()));
        gate.record(CallOutcome::Failed, 2_000);
        assert_eq!(gate.admit(110, 2_001), Err(Refusal::Open));
        assert!(gate.status(110, 2_001).paused);
        assert_eq!(gate.admit(110, 2_000 + OPEN_FOR_MS - 1), Err(Refusal::Open));
        assert_eq!(gate.admit(110, 2_000 + OPEN_FOR_MS), Ok(()));
    }

    #[test]
    fn retry_after_pauses_calls_and_a_shorter_one_does_not_shorten_it() {
        let mut gate = GateState::new(110, 0);
        gate.record(CallOutcome::RetryAfter(60_000), 0);
        gate.record(CallOutcome::RetryAfter(1_000), 10);
        assert_eq!(gate.admit(110, 59_999), Err(Refusal::RateLimited));
        assert_eq!(gate.admit(110, 60_000), Ok(()));
        // A healthy answer does not lift it.
        gate.record(CallOutcome::RetryAfter(5_000), 70_000);
        gate.record(CallOutcome::Healthy, 70_001);
        assert_eq!(gate.admit(110, 70_002), Err(Refusal::RateLimited));
    }

    #[test]
    fn a_clock_that_steps_back_takes_nothing_extra() {
        let mut gate = GateState::new(20, 10_000);
        assert!(gate.admit(20, 10_000).is_ok());
        assert!(gate.admit(20, 10_000).is_ok());
        // Another bridge's clock a second behind: no refill from the past.
        assert_eq!(gate.admit(20, 9_000), Err(Refusal::OverBudget));
    }
}
