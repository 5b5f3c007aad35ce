//! The encryption of WhatsApp Flow requests and answers (the Flows contract, §2–§3).
//!
//! WhatsApp makes a fresh AES-128 key for every request, encrypts it to the business's RSA
//! public key (OAEP, SHA-256 for both the hash and MGF1), and encrypts the request with it
//! in GCM under a 16-byte IV, the tag appended. The answer goes back under the same key
//! with every bit of the IV flipped, as bare base64 text. Any failure to open a request is
//! [`Undecryptable`]: the endpoint answers 421, which makes the client fetch the public key
//! again and retry, rather than show an error.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes128;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::{Oaep, RsaPrivateKey};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// AES-128-GCM with WhatsApp's 16-byte nonce (the stock `Aes128Gcm` takes 12 and cannot
/// open these messages).
type Aes128Gcm16 = AesGcm<Aes128, U16>;

/// The body WhatsApp posts.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    /// The request, encrypted, tag last (base64).
    pub encrypted_flow_data: String,
    /// The AES key, encrypted to our public key (base64).
    pub encrypted_aes_key: String,
    /// The 16-byte IV (base64).
    pub initial_vector: String,
}

/// A request we could not open (wrong key, altered bytes, bad encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undecryptable;

/// An opened request: its plaintext and what its answer is sealed with.
pub struct Opened {
    /// The request's JSON, as sent.
    pub plaintext: Vec<u8>,
    key: [u8; 16],
    iv: [u8; 16],
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Opened")
            .field("plaintext", &String::from_utf8_lossy(&self.plaintext))
            .finish_non_exhaustive()
    }
}

fn b64(text: &str) -> Result<Vec<u8>, Undecryptable> {
    STANDARD.decode(text.trim()).map_err(|_| Undecryptable)
}

/// Opens `envelope` with whichever of `keys` it was encrypted to (the newest first: while
/// a key is being rotated, clients may still hold the old public key).
pub fn open(keys: &[RsaPrivateKey], envelope: &Envelope) -> Result<Opened, Undecryptable> {
    let wrapped = b64(&envelope.encrypted_aes_key)?;
    let iv: [u8; 16] = b64(&envelope.initial_vector)?
        .try_into()
        .map_err(|_| Undecryptable)?;
    let data = b64(&envelope.encrypted_flow_data)?;
    let key = keys
        .iter()
        .find_map(|k| {
            let mut rng = super::keys::SystemRng;
            k.decrypt_blinded(&mut rng, Oaep::new::<Sha256>(), &wrapped)
                .ok()
        })
        .ok_or(Undecryptable)?;
    let key: [u8; 16] = key.try_into().map_err(|_| Undecryptable)?;
    let cipher = Aes128Gcm16::new(&key.into());
    let plaintext = cipher
        .decrypt(Nonce::<U16>::from_slice(&iv), data.as_slice())
        .map_err(|_| Undecryptable)?;
    Ok(Opened { plaintext, key, iv })
}

impl Opened {
    /// `answer` sealed for the client: base64 of the ciphertext and tag, under the
    /// request's key and the flipped IV.
    pub fn seal(&self, answer: &[u8]) -> String {
        seal(&self.key, &self.iv, answer)
    }
}

/// `plaintext` encrypted under `key` with `iv` flipped, as WhatsApp expects answers (and,
/// with the IV as given, as it sends requests: [`flip`] twice is the identity).
pub fn seal(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> String {
    let flipped = flip(iv);
    let cipher = Aes128Gcm16::new(key.into());
    let sealed = cipher
        .encrypt(Nonce::<U16>::from_slice(&flipped), plaintext)
        .unwrap_or_else(|_| unreachable!("GCM encrypts any message of a Flow's size"));
    STANDARD.encode(sealed)
}

/// Every bit of the IV inverted (not reversed).
pub fn flip(iv: &[u8; 16]) -> [u8; 16] {
    iv.map(|b| !b)
}

/// Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) signs `body`, the raw bytes as
/// received, under the Meta app secret.
pub fn signed(app_secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let expected = slotline_shared::signing::hmac_hex(app_secret.as_bytes(), body);
    bool::from(
        expected
            .as_bytes()
            .ct_eq(hex.to_ascii_lowercase().as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    //! The contract sheet's vectors F1–F3, its negative vectors, and a test for each of
    //! its "what naive implementations get wrong".

    use super::*;
    use rsa::pkcs8::DecodePrivateKey;

    /// The sheet, where the contract folder is on this machine; without it the vector
    /// tests say so and check nothing (the endpoint's own round trips still run).
    fn sheet() -> Option<String> {
        let sheet = slotline_e2e::paths::contract("whatsapp-flows.md");
        if sheet.is_none() {
            eprintln!(
                "the Flows contract sheet is not on this machine: its vectors were not checked"
            );
        }
        sheet
    }

    /// The text of the first fenced block after `marker`.
    fn block_after(sheet: &str, marker: &str) -> String {
        let at = sheet.find(marker).unwrap_or_else(|| panic!("{marker}"));
        let rest = &sheet[at..];
        let start = rest.find("```").unwrap() + 3;
        let rest = &rest[start..];
        let rest = &rest[rest.find('\n').unwrap() + 1..];
        rest[..rest.find("```").unwrap()].trim_end().to_owned()
    }

    /// The table cell in the row starting with `| label`.
    fn cell(sheet: &str, label: &str) -> String {
        let line = sheet
            .lines()
            .find(|l| l.starts_with(&format!("| {label}")))
            .unwrap_or_else(|| panic!("{label}"));
        let value = line.split('|').nth(2).unwrap().trim();
        value.split('`').nth(1).unwrap_or(value).to_owned()
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key_of(sheet: &str) -> RsaPrivateKey {
        let pem = block_after(sheet, "Private key, unencrypted PKCS#8");
        RsaPrivateKey::from_pkcs8_pem(&pem).unwrap()
    }

    fn f1(s: &str) -> (Envelope, String) {
        let body = block_after(s, "HTTP request body exactly as POSTed");
        let env: Envelope = serde_json::from_str(&body).unwrap();
        (env, body)
    }

    #[test]
    fn f1_opens_to_the_sheets_request_and_its_answer_seals_byte_for_byte() {
        let Some(s) = sheet() else { return };
        let (env, _) = f1(&s);
        let opened = open(&[key_of(&s)], &env).unwrap();
        assert_eq!(
            String::from_utf8(opened.plaintext.clone()).unwrap(),
            block_after(&s, "Decrypted request (exact UTF-8 bytes)")
        );
        assert_eq!(opened.key.to_vec(), hex(&cell(&s, "AES-128 key (hex)")));
        let answer = block_after(&s, "Plain response to encrypt (exact bytes)");
        assert_eq!(
            opened.seal(answer.as_bytes()),
            block_after(&s, "HTTP 200 response body (base64")
        );
    }

    #[test]
    fn f2_ping_and_f3_answers_seal_as_the_sheet_says() {
        let Some(s) = sheet() else { return };
        let ping_body = block_after(&s, "### 7.3");
        let env: Envelope = serde_json::from_str(&ping_body).unwrap();
        let opened = open(&[key_of(&s)], &env).unwrap();
        assert_eq!(opened.plaintext, br#"{"version":"3.0","action":"ping"}"#);
        assert_eq!(
            opened.seal(br#"{"data":{"status":"active"}}"#),
            "hMqG6VyxjggNZ04QYAA0n9vxj1iaTCGp8pcDb+lTsl9tobZiBqVynpFSOYU="
        );
        let (f1, _) = f1(&s);
        let opened = open(&[key_of(&s)], &f1).unwrap();
        let f3 = &s[s.find("### 7.4").unwrap()..s.find("### 7.5").unwrap()];
        for row in f3.lines().filter(|l| l.starts_with("| `{")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let plain = cells[1].trim_matches('`');
            let body = cells[2].trim_matches('`');
            let plain = &plain[..plain.rfind('}').unwrap() + 1];
            assert_eq!(opened.seal(plain.as_bytes()), body, "{plain}");
        }
    }

    #[test]
    fn a_flipped_tag_byte_or_another_key_is_undecryptable() {
        let Some(s) = sheet() else { return };
        let (mut env, _) = f1(&s);
        let negatives = &s[s.find("### 7.5").unwrap()..];
        let tampered = negatives.split('`').nth(3).unwrap();
        assert!(tampered.ends_with("+w=="));
        env.encrypted_flow_data = tampered.to_owned();
        assert_eq!(open(&[key_of(&s)], &env).unwrap_err(), Undecryptable);

        let (env, _) = f1(&s);
        let mut rng = super::super::keys::SystemRng;
        let other = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        assert!(open(std::slice::from_ref(&other), &env).is_err());
        // Rotation: the request opens with the old key even when a new one comes first.
        assert!(open(&[other, key_of(&s)], &env).is_ok());
    }

    #[test]
    fn mistake_1_a_twelve_byte_nonce_does_not_open_f1() {
        let Some(s) = sheet() else { return };
        let (env, _) = f1(&s);
        let k: [u8; 16] = hex(&cell(&s, "AES-128 key (hex)")).try_into().unwrap();
        let iv = STANDARD.decode(&env.initial_vector).unwrap();
        let data = STANDARD.decode(&env.encrypted_flow_data).unwrap();
        let stock = aes_gcm::Aes128Gcm::new(&k.into());
        assert!(
            stock
                .decrypt(aes_gcm::Nonce::from_slice(&iv[..12]), data.as_slice())
                .is_err()
        );
    }

    #[test]
    fn mistake_2_the_iv_is_flipped_bit_by_bit_not_reversed_nor_reused() {
        let Some(s) = sheet() else { return };
        let iv: [u8; 16] = hex(&cell(&s, "IV (hex, 16 bytes)")).try_into().unwrap();
        assert_eq!(flip(&iv).to_vec(), hex(&cell(&s, "flipped IV (hex)")));
        // The sheet's IV happens to read the same flipped and reversed; another does not.
        let counting: [u8; 16] = std::array::from_fn(|i| i as u8);
        let mut reversed = counting;
        reversed.reverse();
        assert_ne!(flip(&counting), reversed);
        assert_eq!(flip(&flip(&counting)), counting);
        // The answer under the un-flipped IV is what the sheet's answer is not.
        let k: [u8; 16] = hex(&cell(&s, "AES-128 key (hex)")).try_into().unwrap();
        let answer = block_after(&s, "Plain response to encrypt (exact bytes)");
        assert_ne!(
            seal(&k, &flip(&iv), answer.as_bytes()),
            block_after(&s, "HTTP 200 response body (base64")
        );
    }

    #[test]
    fn mistake_3_oaep_with_sha1_does_not_unwrap_the_key() {
        let Some(s) = sheet() else { return };
        let (env, _) = f1(&s);
        let wrapped = STANDARD.decode(&env.encrypted_aes_key).unwrap();
        assert!(
            key_of(&s)
                .decrypt(Oaep::new::<sha1::Sha1>(), &wrapped)
                .is_err()
        );
        assert!(key_of(&s).decrypt(Oaep::new::<Sha256>(), &wrapped).is_ok());
    }

    #[test]
    fn mistake_4_and_5_the_answer_is_bare_base64_with_the_tag_last() {
        let Some(s) = sheet() else { return };
        let (env, _) = f1(&s);
        let opened = open(&[key_of(&s)], &env).unwrap();
        let body = opened.seal(b"{}");
        assert!(!body.starts_with('"') && !body.starts_with('{') && !body.ends_with('\n'));
        let raw = STANDARD.decode(&body).unwrap();
        assert_eq!(
            raw.len(),
            2 + 16,
            "ciphertext of two bytes, then the 16-byte tag"
        );
    }

    #[test]
    fn mistake_8_the_signature_is_over_the_raw_bytes() {
        let Some(s) = sheet() else { return };
        let (_, body) = f1(&s);
        let header = block_after(&s, "`X-Hub-Signature-256` for that exact body");
        assert!(signed(
            "flows_app_secret_test",
            Some(&header),
            body.as_bytes()
        ));
        // The same JSON re-serialised is other bytes, and not what was signed.
        let again = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        )
        .unwrap();
        assert!(!signed(
            "flows_app_secret_test",
            Some(&header),
            again.as_bytes()
        ));
        let mut changed = body.clone().into_bytes();
        changed[10] ^= 1;
        assert!(!signed("flows_app_secret_test", Some(&header), &changed));
        assert!(!signed("another secret", Some(&header), body.as_bytes()));
        assert!(!signed("flows_app_secret_test", None, body.as_bytes()));
    }
}
