//! Dashboard accounts: sign-up, sign-in, sessions, users and API keys.
//!
//! - `POST /auth/signup`: a new business and its owner, signed in at once.
//! - `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`.
//! - `GET /auth/sessions`, `DELETE /auth/sessions/{id}`: the user's signed-in browsers.
//! - `GET|POST /admin/tenants/{tenant}/users`: the business's users (owners add them).
//! - `POST /admin/tenants/{tenant}/api-key`: a new key for programs; the old one stops.
//! - `GET /auth/platform`: what a new business can use (sign-up open, shared numbers).
//! - `GET /admin/tenants/{tenant}/try-it`: links and QR codes that open a chat with the
//!   business from a phone.
//!
//! Sign-in answers carry the session's CSRF token, which the dashboard sends back in
//! `X-CSRF-Token` on every change ([`crate::accounts`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{ProviderId, TenantId};
use slotline_shared::phone::PhoneNumber;

use super::{AppState, JsonBody};
use crate::accounts::{self, new_id};
use crate::auth::{self, Caller};
use crate::error::AppError;
use crate::model::{
    FieldErrors, Role, Session, SignUp, Tenant, User, Validate, email_problems, name_problems,
    optional_phone, password_problems, slug,
};
use crate::ports::StoreError;

/// The account routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(sign_up))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/sessions", get(list_sessions))
        .route("/auth/sessions/{id}", delete(end_session))
        .route(
            "/admin/tenants/{tenant}/users",
            get(list_users).post(add_user),
        )
        .route("/admin/tenants/{tenant}/api-key", post(rotate_key))
        .route("/auth/platform", get(platform))
        .route("/admin/tenants/{tenant}/try-it", get(try_it))
}

/// What a sign-in answers: who is signed in, their business and the CSRF token.
#[derive(Debug, Serialize)]
pub(super) struct SignedIn {
    user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<Tenant>,
    csrf: String,
    session: String,
}

pub(super) async fn signed_in(
    state: &AppState,
    user: User,
    session: &Session,
) -> Result<SignedIn, AppError> {
    let tenant = match &user.tenant {
        Some(id) => state.store.tenant(id).await?,
        None => None,
    };
    Ok(SignedIn {
        user,
        tenant,
        csrf: session.csrf.clone(),
        session: session.id.clone(),
    })
}

pub(super) fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The answer to a good sign-in or sign-up: the body and the session cookie.
pub(super) fn with_cookie(
    state: &AppState,
    status: StatusCode,
    token: &str,
    body: SignedIn,
) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, accounts::cookie(&state.accounts, token));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Opens a session for `user` and answers with it (body and cookie), as every way of
/// signing in does.
pub(super) async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: User,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (token, session) = accounts::open_session(
        state.store.as_ref(),
        &state.accounts,
        &user,
        user_agent(headers),
        state.clock.now(),
    )
    .await?;
    let body = signed_in(state, user, &session).await?;
    Ok(with_cookie(state, status, &token, body))
}

/// Checks someone an owner adds or invites: their email (returned lower-cased), name,
/// role (owner or staff) and the staff member whose calendar they keep, if any.
pub(super) async fn person_problems(
    state: &AppState,
    tenant: &TenantId,
    email: &str,
    name: &str,
    role: Role,
    provider: Option<&ProviderId>,
) -> Result<(String, FieldErrors), AppError> {
    let mut errors = FieldErrors::new();
    let email = email.trim().to_lowercase();
    email_problems(&mut errors, "email", &email);
    name_problems(&mut errors, "name", name);
    if role == Role::Operator {
        errors.insert("role".into(), "owner or staff".into());
    }
    if let Some(p) = provider
        && !state
            .store
            .providers(tenant)
            .await?
            .iter()
            .any(|r| &r.id == p)
    {
        errors.insert(
            "provider".into(),
            format!("no staff member {p} in this business"),
        );
    }
    Ok((email, errors))
}

pub(super) fn invalid(field: &str, message: &str) -> AppError {
    let mut errors = FieldErrors::new();
    errors.insert(field.to_owned(), message.to_owned());
    AppError::Invalid(errors)
}

const EMAIL_TAKEN: &str = "an account with this email exists; sign in instead";

/// What adding or inviting someone whose email has an account answers.
pub(super) const EMAIL_HAS_ACCOUNT: &str = "this email has an account already";

/// `POST /auth/signup`.
async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<SignUp>,
) -> Result<Response, AppError> {
    if !state.accounts.signup_open {
        return Err(AppError::Forbidden(
            "sign-up is closed on this platform; ask its operator for an account".into(),
        ));
    }
    let problems = form.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let email = form.email.trim().to_lowercase();
    if state.store.user_by_email(&email).await?.is_some() {
        return Err(invalid("email", EMAIL_TAKEN));
    }
    let now = state.clock.now();
    let language = form.language.as_deref().unwrap_or("en");
    let owner = User {
        id: new_id("usr")?,
        tenant: None,
        email,
        name: form.name.trim().to_owned(),
        role: Role::Owner,
        phone: form.phone_number(),
        provider: None,
        created_at: now,
    };
    let hash = accounts::hash_password(&form.password).await?;
    let base = slug(&form.business_name);
    // The business's id reads like its name; a second "Studio Nova" becomes studio-nova-2.
    for attempt in 1..=20u32 {
        let id = match attempt {
            1 => base.clone(),
            2..=9 => format!("{base}-{attempt}"),
            _ => format!("{base}-{}", &new_id("x")?[2..8]),
        };
        let tenant: Tenant = serde_json::from_value(serde_json::json!({
            "id": id,
            "name": form.business_name.trim(),
            "zone": form.time_zone,
            "languages": [language],
        }))
        .map_err(|e| AppError::Internal(format!("a new business does not read: {e}")))?;
        let owner = User {
            tenant: Some(tenant.id.clone()),
            ..owner.clone()
        };
        let key = auth::new_key()?;
        match state
            .store
            .sign_up(&tenant, &auth::key_hash(&key), &owner, &hash)
            .await
        {
            Ok(()) => {
                tracing::info!(tenant = %tenant.id, "a business signed up");
                let (token, session) = accounts::open_session(
                    state.store.as_ref(),
                    &state.accounts,
                    &owner,
                    user_agent(&headers),
                    now,
                )
                .await?;
                let body = signed_in(&state, owner, &session).await?;
                return Ok(with_cookie(&state, StatusCode::CREATED, &token, body));
            }
            Err(StoreError::Conflict(what)) if what.starts_with("tenant ") => continue,
            Err(StoreError::Conflict(_)) => return Err(invalid("email", EMAIL_TAKEN)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(format!("a business id like {base}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

/// `POST /auth/login`.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<Login>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let user = accounts::check_password(
        state.store.as_ref(),
        &state.accounts,
        &form.email,
        &form.password,
        now,
    )
    .await?;
    start_session(&state, &headers, user, StatusCode::OK).await
}

/// The request's session, or 401.
async fn session_of(
    state: &AppState,
    method: &axum::http::Method,
    headers: &HeaderMap,
) -> Result<(Session, User), AppError> {
    accounts::from_cookie(
        state.store.as_ref(),
        &state.accounts,
        method,
        headers,
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
}

/// `POST /auth/logout`: ends this session (CSRF-checked like any change).
async fn logout(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (session, user) = session_of(&state, &method, &headers).await?;
    state.store.end_session(&user.id, &session.id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        accounts::cleared_cookie(&state.accounts),
    );
    Ok(response)
}

/// `GET /auth/me`: who is signed in, with the CSRF token (a reloaded page reads it here).
async fn me(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (session, user) = session_of(&state, &method, &headers).await?;
    let body = signed_in(&state, user, &session).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// A session as its user sees it in the list.
#[derive(Debug, Serialize)]
struct SessionView {
    id: String,
    created_at: chrono::DateTime<chrono::Utc>,
    last_seen_at: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
    user_agent: String,
    current: bool,
}

/// `GET /auth/sessions`.
async fn list_sessions(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Json<Vec<SessionView>>, AppError> {
    let (current, user) = session_of(&state, &method, &headers).await?;
    let sessions = state.store.sessions_of(&user.id, state.clock.now()).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current.id,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// `DELETE /auth/sessions/{id}`: signs one of the user's browsers out.
async fn end_session(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let (_, user) = session_of(&state, &method, &headers).await?;
    if state.store.end_session(&user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("session {id}")))
    }
}

/// `GET …/users`: the business's users (owners only).
async fn list_users(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<User>>, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    Ok(Json(state.store.users(&t.id).await?))
}

/// A user an owner adds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    name: String,
    role: Role,
    password: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    provider: Option<ProviderId>,
}

/// `POST …/users`: adds an owner or a member of staff with a first password.
async fn add_user(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(form): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let (email, mut errors) = person_problems(
        &state,
        &t.id,
        &form.email,
        &form.name,
        form.role,
        form.provider.as_ref(),
    )
    .await?;
    password_problems(&mut errors, "password", &form.password);
    let phone = optional_phone(&mut errors, "phone", form.phone.as_deref());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let user = User {
        id: new_id("usr")?,
        tenant: Some(t.id.clone()),
        email,
        name: form.name.trim().to_owned(),
        role: form.role,
        phone,
        provider: form.provider,
        created_at: state.clock.now(),
    };
    let hash = accounts::hash_password(&form.password).await?;
    match state.store.create_user(&user, &hash).await {
        Ok(()) => {
            let after = super::admin::snapshot(&user);
            super::admin::audit(&state, &me, &t.id, "user.create", &user.email, None, after).await;
            Ok((StatusCode::CREATED, Json(user)))
        }
        Err(StoreError::Conflict(_)) => Err(invalid("email", EMAIL_HAS_ACCOUNT)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Serialize)]
struct NewKey {
    tenant: TenantId,
    api_key: String,
}

/// `POST …/api-key`: a new API key, shown once; the previous key stops working.
async fn rotate_key(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<NewKey>, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let key = auth::new_key()?;
    state.store.rotate_key(&t.id, &auth::key_hash(&key)).await?;
    tracing::info!(tenant = %t.id, "API key rotated");
    super::admin::audit(
        &state,
        &me,
        &t.id,
        "api_key.rotate",
        t.id.as_str(),
        None,
        None,
    )
    .await;
    Ok(Json(NewKey {
        tenant: t.id,
        api_key: key,
    }))
}

#[derive(Debug, Serialize)]
struct Platform {
    signup_open: bool,
    shared_numbers: Vec<PhoneNumber>,
    /// Whether deposits can be taken (the platform has a Stripe key).
    payments: bool,
    /// Whether own numbers can be registered and templates submitted (the platform has a
    /// Twilio account).
    whatsapp_setup: bool,
}

/// `GET /auth/platform`: whether sign-up is open, the shared numbers a new business may
/// join, and whether deposits and WhatsApp registration are on offer (public: the sign-up
/// page and the setup read it).
async fn platform(State(state): State<AppState>) -> Json<Platform> {
    Json(Platform {
        signup_open: state.accounts.signup_open,
        shared_numbers: state.accounts.shared_numbers.clone(),
        payments: state.payments.is_some(),
        whatsapp_setup: state.senders.is_some(),
    })
}

/// A way to open a chat with the business.
#[derive(Debug, Serialize)]
struct TryIt {
    number: PhoneNumber,
    /// What the customer's first message says (the keyword on a shared number).
    text: String,
    /// `https://wa.me/…`, which opens WhatsApp on a phone with the text typed in.
    url: String,
    /// The same link as a QR code, an SVG image.
    qr_svg: String,
}

/// `GET …/try-it`: for each of the business's numbers, a wa.me link and its QR code. On a
/// number other businesses share, the first message carries the business's keyword (or
/// name), which is how the bot knows whom the customer wants.
async fn try_it(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<TryIt>>, AppError> {
    let t = super::admin::tenant_seen_by(&state, &me, &tenant).await?;
    let others = state.store.tenants().await?;
    let mut out = Vec::new();
    for number in &t.numbers {
        let shared = state.accounts.shared_numbers.contains(number)
            || others
                .iter()
                .any(|o| o.id != t.id && o.numbers.contains(number));
        let text = if shared {
            t.keywords
                .first()
                .cloned()
                .unwrap_or_else(|| t.name.clone())
        } else {
            "Hi".to_owned()
        };
        let digits = number.as_e164().trim_start_matches('+');
        let url = format!(
            "https://wa.me/{digits}?text={}",
            form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
        );
        let qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| AppError::Internal(format!("a QR code for {url}: {e}")))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .build();
        out.push(TryIt {
            number: number.clone(),
            text,
            url,
            qr_svg,
        });
    }
    Ok(Json(out))
}

/// The caller's address as a host without sockets of its own (Spin) knows it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// Holds back one address that signs in, signs up, asks for reset codes or joins too often
/// ([`crate::accounts::AccountSettings::per_address`]); everything else passes untouched.
pub async fn throttle_by_address(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, AppError> {
    let path = request.uri().path();
    let guarded = request.method() == axum::http::Method::POST
        && (matches!(
            path,
            "/auth/login"
                | "/auth/signup"
                | "/auth/password-reset"
                | "/auth/password-reset/confirm"
        ) || (path.starts_with("/auth/invites/") && path.ends_with("/accept")));
    if guarded {
        #[cfg(feature = "native")]
        let connection = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        // A component is told its caller by its host, as this extension.
        #[cfg(not(feature = "native"))]
        let connection = request.extensions().get::<Peer>().map(|p| p.0);
        if let Some(ip) = accounts::client_address(&state.accounts, request.headers(), connection)
            && let Err(wait) = state.accounts.throttle.admit(
                ip,
                state.accounts.per_address,
                std::time::Instant::now(),
            )
        {
            tracing::warn!(%ip, "too many sign-in attempts from one address");
            return Err(AppError::Throttled {
                message: "too many attempts from this address; wait a minute".into(),
                retry_after_secs: wait,
            });
        }
    }
    Ok(next.run(request).await)
}
