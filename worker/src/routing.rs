//! Which tenant a message is for, and the tenant data conversations need, cached in the
//! isolate.
//!
//! A dedicated number serves one tenant. A shared number serves several: the customer picks
//! one by keyword (or the business name), and the choice is kept in a [`Choice`] Durable
//! Object per (number, customer). Routes and tenant snapshots are cached for
//! [`CACHE_MS`], so an admin change reaches customers within that time plus one request; a
//! stale entry is still used when the bridge does not answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use slotline_shared::catalog::TenantId;
use slotline_shared::phone::PhoneNumber;
use slotline_shared::wire::{NumberRoute, TenantSnapshot};
use worker::{Env, Method, Request, RequestInit, Result};

use crate::bridge::{Bridge, CallError};

/// How long routes and snapshots are trusted, in milliseconds.
pub const CACHE_MS: u64 = 20_000;

/// The Durable Object binding for shared-number choices.
pub const CHOICES: &str = "CHOICES";

thread_local! {
    static ROUTES: RefCell<HashMap<String, (u64, Rc<NumberRoute>)>> = RefCell::new(HashMap::new());
    static SNAPSHOTS: RefCell<HashMap<String, (u64, Rc<TenantSnapshot>)>> = RefCell::new(HashMap::new());
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// An isolate cache: values shared, not copied, by every request that reads them.
type Cache<T> = &'static std::thread::LocalKey<RefCell<HashMap<String, (u64, Rc<T>)>>>;

/// Reads through an isolate cache: fresh hits that `fits` are returned, misses and stale
/// entries are refetched, and a stale entry is used if refetching fails.
async fn cached<T, F>(
    cache: Cache<T>,
    key: &str,
    fits: impl Fn(&T) -> bool,
    fetch: F,
) -> std::result::Result<Rc<T>, CallError>
where
    F: std::future::Future<Output = std::result::Result<T, CallError>>,
{
    let hit = cache.with(|c| c.borrow().get(key).cloned());
    if let Some((at, value)) = &hit
        && now_ms() - at < CACHE_MS
        && fits(value)
    {
        return Ok(value.clone());
    }
    match fetch.await {
        Ok(value) => {
            let value = Rc::new(value);
            cache.with(|c| {
                c.borrow_mut()
                    .insert(key.to_owned(), (now_ms(), value.clone()))
            });
            Ok(value)
        }
        Err(e) => hit.map(|(_, v)| v).ok_or(e),
    }
}

/// The tenants a number serves.
pub async fn number_route(
    bridge: &Bridge,
    number: &PhoneNumber,
    within: Duration,
) -> std::result::Result<Rc<NumberRoute>, CallError> {
    let path = format!("/worker/route/{}", number.as_e164());
    cached(
        &ROUTES,
        number.as_e164(),
        |_| true,
        bridge.get(&path, within),
    )
    .await
}

/// A tenant's profile and catalog.
pub async fn snapshot(
    bridge: &Bridge,
    tenant: &TenantId,
    within: Duration,
) -> std::result::Result<Rc<TenantSnapshot>, CallError> {
    snapshot_since(bridge, tenant, 0, within).await
}

/// A tenant's profile and catalog, at `version` or later: a conversation's object asks for
/// the version the webhook read, which its own isolate may not have seen yet.
pub async fn snapshot_since(
    bridge: &Bridge,
    tenant: &TenantId,
    version: u64,
    within: Duration,
) -> std::result::Result<Rc<TenantSnapshot>, CallError> {
    let path = format!("/worker/{tenant}/snapshot");
    let fits = |s: &TenantSnapshot| s.version >= version;
    cached(&SNAPSHOTS, tenant.as_str(), fits, bridge.get(&path, within)).await
}

/// What a customer chose, or was offered, on a shared number.
pub use slotline_shared::routing::Choice as ChoiceState;

fn choice_stub(env: &Env, number: &PhoneNumber, customer: &PhoneNumber) -> Result<worker::Stub> {
    let name = format!("{}/{}", number.as_e164(), customer.as_e164());
    env.durable_object(CHOICES)?.get_by_name(&name)
}

/// A customer's choice on a shared number.
pub async fn read_choice(
    env: &Env,
    number: &PhoneNumber,
    customer: &PhoneNumber,
) -> Result<ChoiceState> {
    let stub = choice_stub(env, number, customer)?;
    let mut resp = stub.fetch_with_str("https://choice/").await?;
    Ok(resp.json().await.unwrap_or_default())
}

/// Saves a customer's choice on a shared number.
pub async fn write_choice(
    env: &Env,
    number: &PhoneNumber,
    customer: &PhoneNumber,
    state: &ChoiceState,
) -> Result<()> {
    let stub = choice_stub(env, number, customer)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Put)
        .with_body(Some(serde_json::to_string(state)?.into()));
    stub.fetch_with_request(Request::new_with_init("https://choice/", &init)?)
        .await?;
    Ok(())
}

// `#[durable_object]` generates undocumented JS glue; the allowance stays in this module.
#[allow(missing_docs)]
mod choice_object {
    use worker::{
        DurableObject, Env, Method, Request, Response, Result, State, durable_object, wasm_bindgen,
    };

    use super::ChoiceState;

    /// Remembers which tenant a customer chose (or was offered) on a shared number.
    #[durable_object]
    pub struct Choice {
        state: State,
    }

    impl DurableObject for Choice {
        fn new(state: State, _env: Env) -> Self {
            Self { state }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let storage = self.state.storage();
            if req.method() == Method::Put {
                let choice: ChoiceState = req.json().await?;
                storage.put("choice", &choice).await?;
                return Response::from_json(&choice);
            }
            let choice: ChoiceState = storage
                .get("choice")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            Response::from_json(&choice)
        }
    }
}

pub use choice_object::Choice;
