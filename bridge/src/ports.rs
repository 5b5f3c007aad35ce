//! The roles the bridge depends on. Adapters in [`crate::adapters`] fill them.

use async_trait::async_trait;
use slotline_shared::wire::StoreHealth;

/// Persistence for tenants, catalogs, holds, bookings and the reminder outbox.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the store answers right now.
    async fn health(&self) -> StoreHealth;
}
