//! Signing in to the dashboard: passwords, sessions, lockout and CSRF.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes),
//!   on the blocking pool so a sign-in never stalls other requests.
//! - A sign-in opens a session: a random 256-bit token in an `HttpOnly`, `SameSite=Strict`
//!   cookie (`Secure` when the bridge's public URL is https). The store keeps only the
//!   token's SHA-256, so a leaked database opens no session.
//! - Every changing request made with the cookie repeats the session's CSRF token in
//!   `X-CSRF-Token`; a page on another site cannot read it, so it cannot forge the request.
//! - [`AccountSettings::max_failures`] wrong passwords in a row lock the account for
//!   [`AccountSettings::lockout`]; the answer is the same for an unknown email and a wrong
//!   password, and both cost one hash, so neither tells which emails have accounts.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use chrono::{DateTime, Utc};

use crate::auth::key_hash;
use crate::error::AppError;
use crate::model::{Session, User};
use crate::ports::Store;

/// The session cookie's name.
pub const COOKIE: &str = "slotline_session";
/// The header a cookie-authenticated change repeats the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How sign-ins and sessions behave; [`Default`] is what a bridge runs with unless its
/// settings say otherwise.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// How long a session lasts without being used (`SLOTLINE_SESSION_IDLE_SECS`).
    pub session_idle: Duration,
    /// Wrong passwords in a row that lock an account.
    pub max_failures: u32,
    /// How long a locked account stays locked.
    pub lockout: Duration,
    /// Whether anyone may sign a new business up (`SLOTLINE_SIGNUP`); when not, the
    /// operator creates businesses.
    pub signup_open: bool,
    /// Whether the cookie is marked `Secure` (the bridge is reached over https).
    pub secure_cookie: bool,
    /// The platform's shared WhatsApp numbers (`SLOTLINE_SHARED_NUMBERS`): any business may
    /// join one with a keyword of its own and start at once, before it has a number.
    pub shared_numbers: Vec<slotline_shared::phone::PhoneNumber>,
    /// How long an invitation to join a business works.
    pub invite_ttl: Duration,
    /// How long a password-reset code works.
    pub reset_ttl: Duration,
    /// Wrong codes (or invitation secrets) that destroy a ticket.
    pub ticket_attempts: u32,
    /// The least time between two reset codes for one user, so nobody floods a phone.
    pub reset_every: Duration,
    /// The approved template reset codes go out as (`SLOTLINE_RESET_TEMPLATE`).
    pub reset_template: Option<String>,
    /// Sign-ins, sign-ups, reset requests and joins one address may make a minute
    /// (`SLOTLINE_AUTH_PER_MINUTE`): one address trying many emails is stopped as one
    /// email tried too often is locked.
    pub per_address: u32,
    /// Whether the address is the first of `X-Forwarded-For` (`SLOTLINE_TRUST_FORWARDED_FOR`,
    /// behind a proxy that sets it) rather than the connection's.
    pub trust_forwarded_for: bool,
    /// The attempts counted per address.
    pub throttle: std::sync::Arc<AddressThrottle>,
}

/// Attempts per client address in the current minute, in this process.
#[derive(Debug, Default)]
pub struct AddressThrottle {
    counts:
        std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u32)>>,
}

impl AddressThrottle {
    /// Counts an attempt from `ip`; `Err(seconds)` to wait when it is one too many.
    pub fn admit(
        &self,
        ip: std::net::IpAddr,
        limit: u32,
        now: std::time::Instant,
    ) -> Result<(), u64> {
        const WINDOW: Duration = Duration::from_secs(60);
        let Ok(mut counts) = self.counts.lock() else {
            return Ok(());
        };
        // Forget finished minutes now and then, so the map stays the size of one minute.
        if counts.len() > 10_000 {
            counts.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
        }
        let entry = counts.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err((WINDOW - now.duration_since(entry.0)).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(12 * 3600),
            max_failures: 5,
            lockout: Duration::from_secs(15 * 60),
            signup_open: true,
            secure_cookie: false,
            shared_numbers: Vec::new(),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            reset_ttl: Duration::from_secs(15 * 60),
            ticket_attempts: 5,
            reset_every: Duration::from_secs(60),
            reset_template: None,
            per_address: 30,
            trust_forwarded_for: false,
            throttle: Default::default(),
        }
    }
}

/// Hashes a new password with argon2id and a random salt, as a PHC string.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    crate::rt::blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt)
            .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` is the one `hash` was made from. A hash that does not read is a
/// mismatch (and logged), never a panic.
async fn password_matches(hash: String, password: &str) -> bool {
    let password = password.to_owned();
    crate::rt::blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!("a stored password hash does not read: {e}");
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, checked against when the email is unknown so that answer
/// costs as long as a wrong password. Made at the first such sign-in.
static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn decoy_hash() -> Result<String, AppError> {
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(&random_hex(16)?).await?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

/// Whether two hex digests are the same, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A one-time code of six digits, for a person to type from a message.
pub fn new_code() -> Result<String, AppError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    // 2^64 is not a multiple of 10^6, but the bias is below one part in 10^13.
    Ok(format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000))
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> Result<String, AppError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new id with `prefix` (`usr`, `ses`).
pub fn new_id(prefix: &str) -> Result<String, AppError> {
    Ok(format!("{prefix}_{}", random_hex(12)?))
}

/// Checks an email and password, counting failures and locking the account after too
/// many; the user on success.
pub async fn check_password(
    store: &dyn Store,
    settings: &AccountSettings,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let wrong = || AppError::Unauthorized("wrong email or password".into());
    let email = email.trim().to_lowercase();
    let Some((user, credentials)) = store.user_by_email(&email).await? else {
        password_matches(decoy_hash().await?, password).await;
        return Err(wrong());
    };
    if let Some(until) = credentials.locked_until.filter(|u| *u > now) {
        return Err(locked(until, now));
    }
    if password_matches(credentials.password_hash, password).await {
        store.login_succeeded(&user.id).await?;
        return Ok(user);
    }
    let lock_until =
        now + chrono::Duration::from_std(settings.lockout).unwrap_or(chrono::Duration::minutes(15));
    let after = store
        .login_failed(&user.id, settings.max_failures, lock_until)
        .await?;
    match after.locked_until.filter(|u| *u > now) {
        Some(until) => {
            tracing::warn!(user = %user.id, "account locked after repeated wrong passwords");
            Err(locked(until, now))
        }
        None => Err(wrong()),
    }
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let secs = (until - now).num_seconds().max(1);
    AppError::Throttled {
        message: format!(
            "too many wrong passwords: this account is locked for {} more minute(s)",
            (secs + 59) / 60
        ),
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    }
}

/// Opens a session for `user`; its cookie token (shown once, to the browser) and the
/// session.
pub async fn open_session(
    store: &dyn Store,
    settings: &AccountSettings,
    user: &User,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(String, Session), AppError> {
    let token = random_hex(32)?;
    let session = Session {
        id: new_id("ses")?,
        user_id: user.id.clone(),
        csrf: random_hex(24)?,
        created_at: now,
        last_seen_at: now,
        expires_at: now + idle(settings),
        user_agent: user_agent.chars().take(200).collect(),
    };
    store.open_session(&key_hash(&token), &session).await?;
    Ok((token, session))
}

fn idle(settings: &AccountSettings) -> chrono::Duration {
    chrono::Duration::from_std(settings.session_idle).unwrap_or(chrono::Duration::hours(12))
}

/// The `Set-Cookie` value that hands `token` to the browser.
pub fn cookie(settings: &AccountSettings, token: &str) -> HeaderValue {
    set_cookie(settings, token, settings.session_idle.as_secs())
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub fn cleared_cookie(settings: &AccountSettings) -> HeaderValue {
    set_cookie(settings, "", 0)
}

fn set_cookie(settings: &AccountSettings, value: &str, max_age: u64) -> HeaderValue {
    let secure = if settings.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token in the request's cookies, if any.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then_some(value)
        })
}

/// The signed-in session a request's cookie names: checked for expiry, and, for a
/// changing method, for the CSRF token. `None` when the request carries no cookie.
pub async fn from_cookie(
    store: &dyn Store,
    settings: &AccountSettings,
    method: &Method,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Option<(Session, User)>, AppError> {
    let Some(token) = token(headers) else {
        return Ok(None);
    };
    let hash = key_hash(token);
    let Some((session, user)) = store.session(&hash, now).await? else {
        return Err(AppError::Unauthorized(
            "your session has ended; sign in again".into(),
        ));
    };
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let matches = sent.is_some_and(|s| {
            use subtle::ConstantTimeEq;
            bool::from(s.as_bytes().ct_eq(session.csrf.as_bytes()))
        });
        if !matches {
            return Err(AppError::Forbidden(
                "missing or wrong X-CSRF-Token for this session".into(),
            ));
        }
    }
    // Written at most once a minute: a page of ten calls costs one write, not ten.
    if now - session.last_seen_at >= chrono::Duration::seconds(60) {
        store
            .touch_session(&hash, now, now + idle(settings))
            .await?;
    }
    Ok(Some((session, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_matches_its_hash_only() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches(hash.clone(), "correct horse battery").await);
        assert!(!password_matches(hash.clone(), "correct horse batterY").await);
        assert_ne!(hash, hash_password("correct horse battery").await.unwrap());
        assert!(!password_matches("not a hash".into(), "x").await);
        assert!(!password_matches(decoy_hash().await.unwrap(), "").await);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; slotline_session=abc123; x=y"),
        );
        assert_eq!(token(&headers), Some("abc123"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("slotline_session="),
        );
        assert_eq!(token(&headers), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_on_https() {
        let mut settings = AccountSettings::default();
        let plain = cookie(&settings, "t0k");
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("slotline_session=t0k; Path=/; HttpOnly; SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        settings.secure_cookie = true;
        assert!(
            cookie(&settings, "t0k")
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(
            cleared_cookie(&settings)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}

/// The client's address: the connection's, or with `trust_forwarded_for` the first of
/// `X-Forwarded-For`; `None` when neither is known.
pub fn client_address(
    settings: &AccountSettings,
    headers: &HeaderMap,
    connection: Option<std::net::SocketAddr>,
) -> Option<std::net::IpAddr> {
    if settings.trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    connection.map(|c| c.ip())
}

#[cfg(test)]
mod throttle_tests {
    use super::*;

    #[test]
    fn an_address_gets_its_attempts_a_minute_and_then_waits() {
        let t = AddressThrottle::default();
        let (a, b): (std::net::IpAddr, std::net::IpAddr) = (
            "203.0.113.7".parse().unwrap(),
            "203.0.113.8".parse().unwrap(),
        );
        let start = std::time::Instant::now();
        for _ in 0..3 {
            assert!(t.admit(a, 3, start).is_ok());
        }
        let wait = t.admit(a, 3, start + Duration::from_secs(20)).unwrap_err();
        assert!((39..=40).contains(&wait), "{wait}");
        assert!(
            t.admit(b, 3, start).is_ok(),
            "another address is not held up"
        );
        assert!(
            t.admit(a, 3, start + Duration::from_secs(61)).is_ok(),
            "a new minute"
        );
    }

    #[test]
    fn a_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.9, 10.0.0.1"),
        );
        let direct: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut settings = AccountSettings::default();
        assert_eq!(
            client_address(&settings, &headers, Some(direct)),
            Some(direct.ip())
        );
        settings.trust_forwarded_for = true;
        assert_eq!(
            client_address(&settings, &headers, Some(direct)),
            Some("198.51.100.9".parse().unwrap())
        );
    }
}
