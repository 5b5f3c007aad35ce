//! Who is calling: the worker (signed requests) or an admin (API keys).
//!
//! Worker calls carry an HMAC signature over method, path, timestamp and body
//! ([`slotline_shared::signing`]); a signature is accepted once, so a captured request cannot
//! be replayed within the skew window. Admin calls carry `Authorization: Bearer <key>`: the
//! platform operator's key, or a tenant's key, which reaches only that tenant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use slotline_shared::catalog::TenantId;
use slotline_shared::signing::{
    self, NONCE_HEADER, SIGNATURE_HEADER, SigningError, TIMESTAMP_HEADER,
};

use crate::error::AppError;
use crate::model::{Role, User};
use crate::ports::Store;

/// Nonces already used, with when they may be forgotten (after the skew window, a replay
/// fails on its timestamp anyway). One bridge keeps them in memory; bridges sharing a store
/// keep them there ([`ReplayGuard::shared`]), so a request replayed to another bridge is
/// refused too.
#[derive(Default)]
pub struct ReplayGuard {
    seen: Mutex<HashMap<String, i64>>,
    shared: Option<Arc<dyn Store>>,
}

impl ReplayGuard {
    /// A guard whose nonces live in `store`, seen by every bridge on it.
    pub fn shared(store: Arc<dyn Store>) -> Self {
        Self {
            seen: Mutex::default(),
            shared: Some(store),
        }
    }

    /// Records `nonce`; `false` if it was seen before.
    async fn first_use(&self, nonce: &str, now: i64) -> Result<bool, AppError> {
        let forget_at = now + 2 * signing::MAX_SKEW_SECS;
        if let Some(store) = &self.shared {
            let at = |secs| DateTime::from_timestamp(secs, 0).unwrap_or_default();
            return Ok(store.claim_nonce(nonce, at(now), at(forget_at)).await?);
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, forget_at| *forget_at > now);
        }
        Ok(seen.insert(nonce.to_owned(), forget_at).is_none())
    }
}

/// Checks a worker request's signature and that its nonce is new. `secret` is `None` when
/// the worker API is not configured.
pub async fn verify_worker(
    secret: Option<&[u8]>,
    guard: &ReplayGuard,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let secret = secret.ok_or_else(|| {
        AppError::Unavailable("the worker API is not configured (SLOTLINE_WORKER_SECRET)".into())
    })?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let received = signing::Headers {
        timestamp: header(TIMESTAMP_HEADER),
        nonce: header(NONCE_HEADER),
        signature: header(SIGNATURE_HEADER),
    };
    let nonce = signing::verify(secret, method, path, body, received, now.timestamp()).map_err(
        |e| match e {
            SigningError::Malformed => {
                AppError::Unauthorized("missing or malformed request signature".into())
            }
            SigningError::Expired => AppError::Unauthorized("request signature expired".into()),
            SigningError::Mismatch => {
                AppError::Unauthorized("request signature does not match".into())
            }
        },
    )?;
    if !guard.first_use(nonce, now.timestamp()).await? {
        return Err(AppError::Unauthorized("request already used".into()));
    }
    Ok(())
}

/// The SHA-256 of an API key, as stored.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new tenant API key.
pub fn new_key() -> Result<String, AppError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(format!(
        "slk_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Who an admin request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// The platform operator (its key, or a signed-in operator): every tenant.
    Operator,
    /// A tenant's API key: everything of that tenant, as its owner may.
    Tenant(TenantId),
    /// A signed-in dashboard user of one tenant, with their role.
    Member {
        /// Their business.
        tenant: TenantId,
        /// Their user id.
        user: String,
        /// Owner or staff.
        role: Role,
    },
}

impl Admin {
    /// Refuses unless the caller may see `tenant`. Another tenant's resources are "not
    /// found" rather than "forbidden", so their existence does not leak.
    pub fn check(&self, tenant: &TenantId) -> Result<(), AppError> {
        match self {
            Admin::Operator => Ok(()),
            Admin::Tenant(own) | Admin::Member { tenant: own, .. } if own == tenant => Ok(()),
            Admin::Tenant(_) | Admin::Member { .. } => {
                Err(AppError::NotFound(format!("tenant {tenant}")))
            }
        }
    }

    /// Refuses unless the caller may change `tenant`'s settings and see its money: the
    /// operator, the tenant's key or its owner; staff are told to ask the owner.
    pub fn manage(&self, tenant: &TenantId) -> Result<(), AppError> {
        self.check(tenant)?;
        match self {
            Admin::Member {
                role: Role::Staff, ..
            } => Err(AppError::Forbidden(
                "staff cannot change the business's settings or see its money; ask an owner".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses unless the caller is the operator.
    pub fn operator(&self) -> Result<(), AppError> {
        match self {
            Admin::Operator => Ok(()),
            Admin::Tenant(_) | Admin::Member { .. } => Err(AppError::Forbidden(
                "only the platform operator can do this".into(),
            )),
        }
    }

    /// Who this is in the audit log: the user's id, `api-key` or `operator`.
    pub fn actor(&self) -> String {
        match self {
            Admin::Operator => "operator".into(),
            Admin::Tenant(_) => "api-key".into(),
            Admin::Member { user, .. } => user.clone(),
        }
    }

    /// The tenant whose key or member this is; `None` for the operator.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Admin::Operator => None,
            Admin::Tenant(t) | Admin::Member { tenant: t, .. } => Some(t),
        }
    }
}

/// The caller of an admin route, as an extractor: a bearer key (operator or tenant), or a
/// dashboard session cookie — checked for expiry and, on a change, for its CSRF token.
#[derive(Debug, Clone)]
pub struct Caller(pub Admin);

impl axum::extract::FromRequestParts<crate::routes::AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::routes::AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || crate::accounts::token(&parts.headers).is_none()
        {
            return Ok(Caller(
                admin(
                    &parts.headers,
                    state.operator_key.as_deref(),
                    state.store.as_ref(),
                )
                .await?,
            ));
        }
        let signed_in = crate::accounts::from_cookie(
            state.store.as_ref(),
            &state.accounts,
            &parts.method,
            &parts.headers,
            state.clock.now(),
        )
        .await?;
        let Some((_, user)) = signed_in else {
            return Err(AppError::Unauthorized("sign in first".into()));
        };
        Ok(Caller(member(&user)?))
    }
}

/// What a signed-in user may reach.
pub fn member(user: &User) -> Result<Admin, AppError> {
    match (user.role, &user.tenant) {
        (Role::Operator, _) => Ok(Admin::Operator),
        (role, Some(tenant)) => Ok(Admin::Member {
            tenant: tenant.clone(),
            user: user.id.clone(),
            role,
        }),
        (_, None) => Err(AppError::Internal(format!(
            "user {} has no business and is not the operator",
            user.id
        ))),
    }
}

/// Identifies an admin caller from `Authorization: Bearer <key>`.
pub async fn admin(
    headers: &HeaderMap,
    operator_key: Option<&str>,
    store: &dyn Store,
) -> Result<Admin, AppError> {
    let key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("sign in, or send Authorization: Bearer <api key>".into())
        })?;
    if let Some(op) = operator_key
        && constant_eq(op.as_bytes(), key.as_bytes())
    {
        return Ok(Admin::Operator);
    }
    match store.tenant_for_key(&key_hash(key)).await? {
        Some(t) => Ok(Admin::Tenant(t)),
        None => Err(AppError::Unauthorized("unknown API key".into())),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signature_is_accepted_once() {
        let guard = ReplayGuard::default();
        assert!(guard.first_use("abc", 1_000).await.unwrap());
        assert!(!guard.first_use("abc", 1_001).await.unwrap());
        assert!(guard.first_use("abd", 1_001).await.unwrap());
    }

    #[test]
    fn a_tenant_key_reaches_only_its_tenant() {
        let a = Admin::Tenant("a".into());
        assert!(a.check(&"a".into()).is_ok());
        assert!(matches!(a.check(&"b".into()), Err(AppError::NotFound(_))));
        assert!(matches!(a.operator(), Err(AppError::Forbidden(_))));
        assert!(Admin::Operator.check(&"b".into()).is_ok());
    }

    #[test]
    fn keys_are_long_random_and_hashed() {
        let k = new_key().unwrap();
        assert!(k.starts_with("slk_") && k.len() == 52, "{k}");
        assert_ne!(k, new_key().unwrap());
        assert_eq!(key_hash(&k).len(), 64);
    }
}
