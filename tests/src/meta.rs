//! WhatsApp's client side of a Flow, as Meta's app plays it against our endpoint.
//!
//! Each request gets a fresh AES-128 key and 16-byte IV; the key is encrypted to the
//! business's public key with RSA-OAEP (SHA-256 for hash and MGF1), the request with
//! AES-128-GCM (tag appended), and the body signed with the app secret when one is given
//! (`X-Hub-Signature-256`). Answers are opened with the flipped IV. The contract sheet's
//! uncertain point (is a 427's body encrypted?) is tolerated both ways.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes128;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::{OsRng, RngCore};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

type Aes128Gcm16 = AesGcm<Aes128, U16>;

/// One encrypted request, ready to post, and what opens its answer.
pub struct Sealed {
    /// The JSON body to POST.
    pub body: String,
    /// `X-Hub-Signature-256`, when an app secret signs it.
    pub signature: Option<String>,
    key: [u8; 16],
    iv: [u8; 16],
}

/// The endpoint's answer, opened.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The decrypted JSON, when the body was an encrypted answer (or plain JSON).
    pub json: Option<Value>,
    /// The body as received.
    pub raw: String,
}

/// Encrypts `request` (the plaintext JSON) to `public_key_pem` as WhatsApp does.
pub fn seal(public_key_pem: &str, request: &Value, app_secret: Option<&str>) -> Sealed {
    let public = RsaPublicKey::from_public_key_pem(public_key_pem).expect("an SPKI public key");
    let mut key = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut key);
    OsRng.fill_bytes(&mut iv);
    let wrapped = public
        .encrypt(&mut OsRng, Oaep::new::<Sha256>(), &key)
        .expect("RSA-OAEP encrypts 16 bytes");
    let data = Aes128Gcm16::new(&key.into())
        .encrypt(
            Nonce::<U16>::from_slice(&iv),
            request.to_string().as_bytes(),
        )
        .expect("GCM encrypts");
    let body = serde_json::json!({
        "encrypted_flow_data": STANDARD.encode(data),
        "encrypted_aes_key": STANDARD.encode(wrapped),
        "initial_vector": STANDARD.encode(iv),
    })
    .to_string();
    let signature = app_secret.map(|secret| sign(secret, body.as_bytes()));
    Sealed {
        body,
        signature,
        key,
        iv,
    }
}

/// `X-Hub-Signature-256` of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        slotline_shared::signing::hmac_hex(secret.as_bytes(), body)
    )
}

impl Sealed {
    /// Opens an answer to this request: the flipped IV, the same key.
    pub fn open(&self, status: u16, raw: String) -> Answer {
        let flipped = self.iv.map(|b| !b);
        let decrypted = STANDARD.decode(raw.trim()).ok().and_then(|bytes| {
            Aes128Gcm16::new(&self.key.into())
                .decrypt(Nonce::<U16>::from_slice(&flipped), bytes.as_slice())
                .ok()
        });
        let json = match decrypted {
            Some(plain) => serde_json::from_slice(&plain).ok(),
            None => serde_json::from_str(&raw).ok(),
        };
        Answer { status, json, raw }
    }

    /// Posts this request to `url` and opens the answer.
    pub fn post(&self, agent: &ureq::Agent, url: &str) -> Answer {
        let mut request = agent.post(url).set("Content-Type", "application/json");
        if let Some(signature) = &self.signature {
            request = request.set("X-Hub-Signature-256", signature);
        }
        let (status, raw) = match request.send_string(&self.body) {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        };
        self.open(status, raw)
    }
}

/// A customer's WhatsApp walking a Flow against one endpoint.
pub struct FlowClient {
    /// The endpoint URL.
    pub url: String,
    /// The business's public key (as uploaded to Meta).
    pub public_key: String,
    /// The Meta app secret, when the business gave one.
    pub app_secret: Option<String>,
    /// The token of the Flow message.
    pub token: String,
    agent: ureq::Agent,
}

impl FlowClient {
    /// A client for the Flow at `url`.
    pub fn new(url: &str, public_key: &str, app_secret: Option<&str>, token: &str) -> Self {
        Self {
            url: url.to_owned(),
            public_key: public_key.to_owned(),
            app_secret: app_secret.map(str::to_owned),
            token: token.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(std::time::Duration::from_secs(10))
                .build(),
        }
    }

    /// Sends one decrypted request.
    pub fn send(&self, request: &Value) -> Answer {
        seal(&self.public_key, request, self.app_secret.as_deref()).post(&self.agent, &self.url)
    }

    /// `INIT`: the Flow opened.
    pub fn init(&self) -> Answer {
        self.send(
            &serde_json::json!({"version": "3.0", "action": "INIT", "flow_token": self.token}),
        )
    }

    /// `data_exchange` from `screen` with the form's `data`.
    pub fn submit(&self, screen: &str, data: Value) -> Answer {
        self.send(&serde_json::json!({
            "version": "3.0", "action": "data_exchange", "screen": screen,
            "data": data, "flow_token": self.token
        }))
    }

    /// The health check.
    pub fn ping(&self) -> Answer {
        self.send(&serde_json::json!({"version": "3.0", "action": "ping"}))
    }
}
