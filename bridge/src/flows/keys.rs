//! A business's Flow keys: RSA-2048 pairs made by the bridge, the public half shown for
//! upload to Meta, the private half kept in the store sealed under the bridge's secret.
//!
//! Rotation without downtime: a new key is added beside the old, which keeps working for
//! [`ROTATION_GRACE`] (clients holding the old public key keep being understood while
//! Meta's copy is replaced), then lapses by itself. Each key is a ticket of kind
//! [`TicketKind::FlowKey`]; its expiry is the key's retirement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use slotline_shared::catalog::TenantId;

use crate::model::{Ticket, TicketKind};
use crate::ports::{Store, StoreError};

/// How long a replaced key keeps opening requests.
pub const ROTATION_GRACE: Duration = Duration::days(7);

/// How long a bridge trusts the keys it read (a key added elsewhere is used within this).
const KEYS_TTL: Duration = Duration::seconds(30);

/// The operating system's randomness, as the `rsa` crate wants it.
pub struct SystemRng;

impl rand_core::RngCore for SystemRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // A machine without randomness cannot make or use keys at all; nothing sensible
        // goes on from there.
        getrandom::fill(dest).unwrap_or_else(|e| panic!("no randomness: {e}"));
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        getrandom::fill(dest).map_err(|e| rand_core::Error::new(e.to_string()))
    }
}

impl rand_core::CryptoRng for SystemRng {}

/// A key as the admin API shows it: never the private half.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    /// Its id (the SHA-256 of its public key, hex, first 16 characters).
    pub id: String,
    /// The public key (SPKI PEM): what is uploaded to Meta for the business's number.
    pub public_key: String,
    /// SHA-256 of the public key's DER, hex (what Meta shows for an uploaded key).
    pub fingerprint: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops opening requests; `None` while it is the current key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retires_at: Option<DateTime<Utc>>,
}

/// What a key ticket keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    public_key: String,
    fingerprint: String,
    /// The PKCS#8 DER of the private key, sealed (nonce ‖ AES-256-GCM), base64.
    sealed: String,
}

/// Something went wrong with a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A kept key could not be read back (another bridge secret, or damage).
    #[error("a Flow key could not be unsealed: {0}")]
    Unreadable(String),
}

/// The far future a current key "expires" at.
fn current_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(365 * 100)
}

fn ticket_key(tenant: &TenantId, id: &str) -> String {
    format!("flowkey:{tenant}:{id}")
}

/// What opens and authenticates a business's Flow requests.
pub struct Credentials {
    /// The private keys, newest first.
    pub keys: Vec<RsaPrivateKey>,
    /// The Meta app secret, when the business gave one.
    pub app_secret: Option<String>,
}

/// A business's credentials and when they were read.
type Cached = (DateTime<Utc>, Arc<Credentials>);

/// The ticket that keeps a business's app secret.
pub fn secret_key(tenant: &TenantId) -> String {
    format!("flowsecret:{tenant}")
}

/// The keys of every business, sealed with one secret and cached per bridge.
pub struct KeyRing {
    seal_key: [u8; 32],
    cache: Mutex<HashMap<TenantId, Cached>>,
}

impl KeyRing {
    /// Keys sealed under a key derived from `secret` (the worker secret).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            seal_key: slotline_shared::signing::derive_key(secret, "slotline flow keys v1"),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand_core::RngCore::fill_bytes(&mut SystemRng, &mut nonce);
        let cipher = Aes256Gcm::new(&self.seal_key.into());
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(Nonce::from_slice(&nonce), plain)
                .unwrap_or_else(|_| unreachable!("GCM encrypts a key's size")),
        );
        STANDARD.encode(out)
    }

    fn unseal(&self, sealed: &str) -> Result<Vec<u8>, KeyError> {
        let raw = STANDARD
            .decode(sealed)
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        if raw.len() < 12 {
            return Err(KeyError::Unreadable("too short".into()));
        }
        let cipher = Aes256Gcm::new(&self.seal_key.into());
        cipher
            .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
            .map_err(|_| KeyError::Unreadable("not sealed with this bridge's secret".into()))
    }

    /// `text` sealed for keeping in the store (a business's app secret).
    pub fn seal_text(&self, text: &str) -> String {
        self.seal(text.as_bytes())
    }

    /// What [`KeyRing::seal_text`] sealed; `None` if it was sealed under another secret.
    pub fn unseal_text(&self, sealed: &str) -> Option<String> {
        String::from_utf8(self.unseal(sealed).ok()?).ok()
    }

    /// Makes a new key for `tenant`; the current one (if any) keeps working for
    /// [`ROTATION_GRACE`].
    pub async fn rotate(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<PublicKeyInfo, KeyError> {
        let private = RsaPrivateKey::new(&mut SystemRng, 2048)
            .map_err(|e| KeyError::Unreadable(format!("key generation: {e}")))?;
        let (info, ticket) = self.keep(tenant, &private, now)?;
        self.make_current(store, tenant, &ticket, now).await?;
        Ok(info)
    }

    /// Keeps `ticket` as `tenant`'s current key; every other current key retires after
    /// [`ROTATION_GRACE`].
    async fn make_current(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<(), KeyError> {
        for mut old in store.tickets(tenant, TicketKind::FlowKey, now).await? {
            if old.key != ticket.key && old.expires_at > now + ROTATION_GRACE {
                old.expires_at = now + ROTATION_GRACE;
                store.put_ticket(&old).await?;
            }
        }
        store.put_ticket(ticket).await?;
        self.forget(tenant);
        Ok(())
    }

    /// The ticket that keeps `private` as `tenant`'s current key.
    fn keep(
        &self,
        tenant: &TenantId,
        private: &RsaPrivateKey,
        now: DateTime<Utc>,
    ) -> Result<(PublicKeyInfo, Ticket), KeyError> {
        let public = RsaPublicKey::from(private);
        let der = public
            .to_public_key_der()
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        let fingerprint: String = Sha256::digest(der.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let public_key = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        let secret = private
            .to_pkcs8_der()
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        let id = fingerprint[..16].to_owned();
        let kept = Kept {
            public_key: public_key.clone(),
            fingerprint: fingerprint.clone(),
            sealed: self.seal(secret.as_bytes()),
        };
        let ticket = Ticket {
            key: ticket_key(tenant, &id),
            kind: TicketKind::FlowKey,
            tenant: Some(tenant.clone()),
            secret_hash: fingerprint.clone(),
            detail: serde_json::to_value(&kept).unwrap_or_default(),
            created_at: now,
            expires_at: current_until(now),
            attempts: 0,
        };
        let info = PublicKeyInfo {
            id,
            public_key,
            fingerprint,
            created_at: now,
            retires_at: None,
        };
        Ok((info, ticket))
    }

    /// Keeps `private` (made elsewhere, e.g. converted from Meta's key generator) as the
    /// current key of `tenant`.
    pub async fn import(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        pkcs8_pem: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PublicKeyInfo>, KeyError> {
        let Ok(private) = RsaPrivateKey::from_pkcs8_pem(pkcs8_pem) else {
            return Ok(None);
        };
        let (info, ticket) = self.keep(tenant, &private, now)?;
        self.make_current(store, tenant, &ticket, now).await?;
        Ok(Some(info))
    }

    /// The keys of `tenant` that open requests now, newest first.
    pub async fn list(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PublicKeyInfo>, KeyError> {
        let mut out = Vec::new();
        for t in store.tickets(tenant, TicketKind::FlowKey, now).await? {
            let kept: Kept = serde_json::from_value(t.detail.clone())
                .map_err(|e| KeyError::Unreadable(e.to_string()))?;
            out.push(PublicKeyInfo {
                id: t.key.rsplit(':').next().unwrap_or_default().to_owned(),
                public_key: kept.public_key,
                fingerprint: kept.fingerprint,
                created_at: t.created_at,
                retires_at: (t.expires_at < now + Duration::days(365)).then_some(t.expires_at),
            });
        }
        out.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        Ok(out)
    }

    /// Retires key `id` of `tenant` at once; whether there was one.
    pub async fn retire(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        id: &str,
    ) -> Result<bool, KeyError> {
        let gone = store.drop_ticket(tenant, &ticket_key(tenant, id)).await?;
        self.forget(tenant);
        Ok(gone)
    }

    /// Drops what this bridge remembers of `tenant` (after its app secret changed).
    pub fn forget(&self, tenant: &TenantId) {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(tenant);
    }

    /// The private keys that open `tenant`'s requests, newest first, and its app secret
    /// (cached for a while: a request costs no store read, and unsealing and reading an
    /// RSA key is slow).
    pub async fn credentials(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Arc<Credentials>, KeyError> {
        if let Some((at, found)) = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(tenant)
            && now - *at < KEYS_TTL
        {
            return Ok(found.clone());
        }
        let mut tickets = store.tickets(tenant, TicketKind::FlowKey, now).await?;
        tickets.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        let mut keys = Vec::new();
        for t in tickets {
            let kept: Kept = serde_json::from_value(t.detail)
                .map_err(|e| KeyError::Unreadable(e.to_string()))?;
            let der = self.unseal(&kept.sealed)?;
            keys.push(
                RsaPrivateKey::from_pkcs8_der(&der)
                    .map_err(|e| KeyError::Unreadable(e.to_string()))?,
            );
        }
        let app_secret = store
            .ticket(&secret_key(tenant), TicketKind::FlowSecret, now)
            .await?
            .and_then(|t| self.unseal_text(t.detail["sealed"].as_str().unwrap_or_default()));
        let found = Arc::new(Credentials { keys, app_secret });
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tenant.clone(), (now, found.clone()));
        Ok(found)
    }
}
