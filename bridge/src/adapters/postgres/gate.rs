//! Cal.com's call budget and breaker in a row every bridge on the database shares, and the
//! marks of Cal.com changes in flight.
//!
//! A call takes the gate's row lock for the few microseconds of its read-modify-write
//! ([`GateState`] is the rule, as in one bridge's memory); Cal.com calls are rare next to
//! the store's own (free times are cached for 30 s, a week at a time), so the lock is never
//! where a customer waits.

use super::*;
use crate::ports::gate::GateState;
use crate::ports::{CallGate, CallOutcome, GateStatus, Refusal};

/// A [`CallGate`] kept in the `call_gates` table.
pub(super) struct PgGate {
    pub(super) pool: Pool,
    pub(super) name: String,
    pub(super) per_minute: u32,
}

/// The gate as a row of `tokens, at_ms, failures, open_until_ms, retry_until_ms`.
fn gate_row(row: &Row) -> StoreResult<GateState> {
    Ok(GateState {
        tokens: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        failures: u32::try_from(row.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
        open_until_ms: row.try_get(3)?,
        retry_until_ms: row.try_get(4)?,
    })
}

impl PgGate {
    /// The gate as it stands, `None` before its first use.
    async fn read(&self) -> StoreResult<Option<GateState>> {
        let client = self.pool.get().await.map_err(backend)?;
        client
            .q_opt(
                "SELECT tokens, at_ms, failures, open_until_ms, retry_until_ms
                 FROM call_gates WHERE name = $1",
                &[&self.name],
            )
            .await?
            .as_ref()
            .map(gate_row)
            .transpose()
    }

    /// Reads the gate under its row lock, lets `change` decide, writes it back.
    async fn update<T>(
        &self,
        now_ms: i64,
        change: impl FnOnce(&mut GateState) -> T + Send,
    ) -> StoreResult<T> {
        let mut client = self.pool.get().await.map_err(backend)?;
        let tx = client.transaction().await?;
        let fresh = GateState::new(self.per_minute, now_ms);
        // Created full on first use; either way the row is locked until commit.
        let row = tx
            .q_one(
                "INSERT INTO call_gates (name, tokens, at_ms, failures, open_until_ms, retry_until_ms)
                 VALUES ($1, $2, $3, 0, 0, 0)
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name
                 RETURNING tokens, at_ms, failures, open_until_ms, retry_until_ms",
                &[&self.name, &fresh.tokens, &now_ms],
            )
            .await?;
        let mut state = gate_row(&row)?;
        let out = change(&mut state);
        tx.x(
            "UPDATE call_gates SET tokens = $2, at_ms = $3, failures = $4, open_until_ms = $5,
                 retry_until_ms = $6
             WHERE name = $1",
            &[
                &self.name,
                &state.tokens,
                &state.at_ms,
                &i64::from(state.failures),
                &state.open_until_ms,
                &state.retry_until_ms,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl CallGate for PgGate {
    async fn admit(&self, now_ms: i64) -> Result<(), Refusal> {
        let per_minute = self.per_minute;
        match self.update(now_ms, |s| s.admit(per_minute, now_ms)).await {
            Ok(verdict) => verdict,
            // The store is down, so the booking this call serves fails anyway; Cal.com's
            // own limit stands behind.
            Err(e) => {
                tracing::warn!(gate = %self.name, "the shared call gate is unreadable, calling anyway: {e}");
                Ok(())
            }
        }
    }

    async fn record(&self, outcome: CallOutcome, now_ms: i64) {
        if let Err(e) = self.update(now_ms, |s| s.record(outcome, now_ms)).await {
            tracing::warn!(gate = %self.name, "a Cal.com call's outcome was not recorded: {e}");
        }
    }

    async fn status(&self, now_ms: i64) -> GateStatus {
        // A look, not a use: read without the row lock and without writing.
        let per_minute = self.per_minute;
        let state = match self.read().await {
            Ok(Some(state)) => state,
            Ok(None) => GateState::new(per_minute, now_ms),
            Err(e) => {
                tracing::warn!(gate = %self.name, "the shared call gate is unreadable: {e}");
                GateState::new(per_minute, now_ms)
            }
        };
        state.status(per_minute, now_ms)
    }
}

pub(super) async fn mark_changing(
    store: &PgStore,
    key: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<String> {
    let token = new_id();
    let client = store.client().await?;
    // Marks of bridges that died mid-change go with the next mark.
    client
        .x("DELETE FROM changing WHERE until <= $1", &[&ts(now)])
        .await?;
    client
        .x(
            "INSERT INTO changing (key, token, until) VALUES ($1, $2, $3)",
            &[&key, &token, &ts(until)],
        )
        .await?;
    Ok(token)
}

pub(super) async fn unmark_changing(store: &PgStore, key: &str, token: &str) -> StoreResult<()> {
    let client = store.client().await?;
    client
        .x(
            "DELETE FROM changing WHERE key = $1 AND token = $2",
            &[&key, &token],
        )
        .await?;
    Ok(())
}

pub(super) async fn is_changing(
    store: &PgStore,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let client = store.client().await?;
    Ok(client
        .q_one(
            "SELECT EXISTS (SELECT 1 FROM changing WHERE key = $1 AND until > $2)",
            &[&key, &ts(now)],
        )
        .await?
        .try_get(0)?)
}
