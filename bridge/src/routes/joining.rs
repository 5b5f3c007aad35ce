//! Getting people in: invitations to join a business, and password resets by a code sent
//! over WhatsApp.
//!
//! - `GET|POST /admin/tenants/{tenant}/invites`, `DELETE …/invites/{id}`: an owner invites a
//!   member of staff (or another owner) by email and sends them the link however they like.
//! - `GET /auth/invites/{token}`: what an invitation is for (the join page shows it);
//!   `POST /auth/invites/{token}/accept`: the invited person chooses a password and is in.
//! - `POST /auth/password-reset`: a six-digit code to the user's WhatsApp;
//!   `POST /auth/password-reset/confirm`: the code and a new password sign them in.
//!
//! An invitation's token is its public id and a secret (`inv_….secret`); only the secret's
//! hash is kept, and guessing at it destroys the invitation after a few tries. A reset
//! answers the same whether or not the email has an account, so it tells nobody who has
//! one; its code works once, for a quarter of an hour, for a few tries, and a user is sent
//! at most a few codes an hour.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::ProviderId;
use slotline_shared::lang::Lang;

use super::account::{EMAIL_HAS_ACCOUNT, invalid, person_problems, start_session};
use super::{AppState, JsonBody};
use crate::accounts::{self, new_id};
use crate::auth::{Caller, key_hash};
use crate::error::AppError;
use crate::model::{
    FieldErrors, Invitation, Role, Ticket, TicketKind, TicketUse, User, email_problems,
    name_problems, optional_phone, password_problems,
};
use crate::ports::StoreError;

/// The joining routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/tenants/{tenant}/invites",
            get(list_invites).post(invite),
        )
        .route("/admin/tenants/{tenant}/invites/{id}", delete(withdraw))
        .route("/auth/invites/{token}", get(show_invite))
        .route("/auth/invites/{token}/accept", post(accept))
        .route("/auth/password-reset", post(ask_reset))
        .route("/auth/password-reset/confirm", post(confirm_reset))
}

fn expiry(now: DateTime<Utc>, ttl: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(7))
}

/// Someone an owner invites.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    email: String,
    name: String,
    role: Role,
    #[serde(default)]
    provider: Option<ProviderId>,
}

/// An invitation as the owner sees it: once, when made, with the link to send.
#[derive(Debug, Serialize)]
struct Invited {
    invitation: Invitation,
    expires_at: DateTime<Utc>,
    /// The dashboard page that accepts it, to send to the invited person; shown only
    /// when the invitation is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
}

/// `POST …/invites`: invites someone to join the business.
async fn invite(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
    JsonBody(form): JsonBody<NewInvite>,
) -> Result<(StatusCode, Json<Invited>), AppError> {
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
    if errors.is_empty() && state.store.user_by_email(&email).await?.is_some() {
        errors.insert("email".into(), EMAIL_HAS_ACCOUNT.into());
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = state.clock.now();
    let invitation = Invitation {
        id: new_id("inv")?,
        email,
        name: form.name.trim().to_owned(),
        role: form.role,
        provider: form.provider,
        invited_by: me.0.actor(),
    };
    let secret = accounts::random_hex(24)?;
    let ticket = Ticket {
        key: invitation.id.clone(),
        kind: TicketKind::Invite,
        tenant: Some(t.id.clone()),
        secret_hash: key_hash(&secret),
        detail: serde_json::to_value(&invitation)
            .map_err(|e| AppError::Internal(format!("an invitation does not serialize: {e}")))?,
        created_at: now,
        expires_at: expiry(now, state.accounts.invite_ttl),
        attempts: 0,
    };
    state.store.put_ticket(&ticket).await?;
    super::admin::audit(
        &state,
        &me,
        &t.id,
        "user.invite",
        &invitation.email,
        None,
        super::admin::snapshot(&invitation),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(Invited {
            link: Some(format!("/app/join/{}.{secret}", invitation.id)),
            invitation,
            expires_at: ticket.expires_at,
        }),
    ))
}

fn invitation_of(ticket: &Ticket) -> Result<Invitation, AppError> {
    serde_json::from_value(ticket.detail.clone())
        .map_err(|e| AppError::Internal(format!("a stored invitation does not read: {e}")))
}

/// `GET …/invites`: the invitations not yet accepted, newest first.
async fn list_invites(
    State(state): State<AppState>,
    me: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Invited>>, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    let tickets = state
        .store
        .tickets(&t.id, TicketKind::Invite, state.clock.now())
        .await?;
    let mut out = Vec::new();
    for ticket in &tickets {
        out.push(Invited {
            invitation: invitation_of(ticket)?,
            expires_at: ticket.expires_at,
            link: None,
        });
    }
    Ok(Json(out))
}

/// `DELETE …/invites/{id}`: withdraws an invitation; its link stops working.
async fn withdraw(
    State(state): State<AppState>,
    me: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let t = super::admin::tenant_for(&state, &me, &tenant).await?;
    if !state.store.drop_ticket(&t.id, &id).await? {
        return Err(AppError::NotFound(format!("invitation {id}")));
    }
    super::admin::audit(&state, &me, &t.id, "user.uninvite", &id, None, None).await;
    Ok(StatusCode::NO_CONTENT)
}

const INVITE_GONE: &str = "this invitation does not work any more: it was used, withdrawn or has expired; ask the business for a new one";

/// Splits `inv_….secret`.
fn token_parts(token: &str) -> Result<(&str, &str), AppError> {
    token
        .split_once('.')
        .filter(|(id, secret)| id.starts_with("inv_") && !secret.is_empty())
        .ok_or_else(|| AppError::NotFound(INVITE_GONE.into()))
}

/// What the join page shows.
#[derive(Debug, Serialize)]
struct InviteView {
    business: String,
    email: String,
    name: String,
    role: Role,
    expires_at: DateTime<Utc>,
}

/// `GET /auth/invites/{token}`: whom an invitation is for (public; the token is the key).
async fn show_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InviteView>, AppError> {
    let (id, secret) = token_parts(&token)?;
    let ticket = state
        .store
        .ticket(id, TicketKind::Invite, state.clock.now())
        .await?
        .filter(|t| accounts::same_secret(&t.secret_hash, &key_hash(secret)))
        .ok_or_else(|| AppError::NotFound(INVITE_GONE.into()))?;
    let invitation = invitation_of(&ticket)?;
    let business = match &ticket.tenant {
        Some(t) => state.store.tenant(t).await?.map(|t| t.name),
        None => None,
    }
    .ok_or_else(|| AppError::NotFound(INVITE_GONE.into()))?;
    Ok(Json(InviteView {
        business,
        email: invitation.email,
        name: invitation.name,
        role: invitation.role,
        expires_at: ticket.expires_at,
    }))
}

/// What the invited person chooses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Acceptance {
    name: String,
    password: String,
    #[serde(default)]
    phone: Option<String>,
}

/// `POST /auth/invites/{token}/accept`: makes the invited person's account and signs them
/// in.
async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    JsonBody(form): JsonBody<Acceptance>,
) -> Result<Response, AppError> {
    let (id, secret) = token_parts(&token)?;
    let mut errors = FieldErrors::new();
    name_problems(&mut errors, "name", &form.name);
    password_problems(&mut errors, "password", &form.password);
    let phone = optional_phone(&mut errors, "phone", form.phone.as_deref());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = state.clock.now();
    // Hashing first: the invitation is used up only once the account can be made.
    let hash = accounts::hash_password(&form.password).await?;
    let ticket = match state
        .store
        .use_ticket(
            id,
            TicketKind::Invite,
            &key_hash(secret),
            state.accounts.ticket_attempts,
            now,
        )
        .await?
    {
        TicketUse::Used(t) => t,
        TicketUse::Wrong { .. } | TicketUse::Gone => {
            return Err(AppError::NotFound(INVITE_GONE.into()));
        }
    };
    let invitation = invitation_of(&ticket)?;
    let user = User {
        id: new_id("usr")?,
        tenant: ticket.tenant.clone(),
        email: invitation.email.clone(),
        name: form.name.trim().to_owned(),
        role: invitation.role,
        phone,
        provider: invitation.provider.clone(),
        created_at: now,
    };
    match state.store.create_user(&user, &hash).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(format!(
                "{} has an account already; sign in with it",
                user.email
            )));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(t) = &ticket.tenant {
        let after = super::admin::snapshot(&user);
        super::admin::audit_as(
            &state,
            t,
            user.name.clone(),
            "user.join",
            &user.email,
            None,
            after,
        )
        .await;
    }
    start_session(&state, &headers, user, StatusCode::CREATED).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

/// What a reset request answers, whoever asked.
#[derive(Debug, Serialize)]
struct ResetAsked {
    message: &'static str,
    expires_in_min: u64,
}

const RESET_SENT: &str =
    "if this email has an account with a WhatsApp number, a six-digit code is on its way there";

/// The message carrying a reset code, in the business's language.
fn reset_text(lang: Lang, code: &str, minutes: u64) -> String {
    match lang {
        Lang::Es => format!(
            "Tu código para entrar en Slotline es {code}. Caduca en {minutes} minutos. Si no lo pediste, ignora este mensaje."
        ),
        Lang::Pt | Lang::PtBr => format!(
            "O seu código para entrar no Slotline é {code}. Expira em {minutes} minutos. Se não o pediu, ignore esta mensagem."
        ),
        Lang::En => format!(
            "Your Slotline sign-in code is {code}. It expires in {minutes} minutes. If you did not ask for it, ignore this message."
        ),
    }
}

/// Reset codes one user may be sent in an hour.
const CODES_PER_HOUR: u32 = 5;

fn reset_key(user: &User) -> String {
    format!("reset:{}", user.id)
}

fn code_hash(user: &User, code: &str) -> String {
    key_hash(&format!("{}:{}", user.id, code.trim()))
}

/// `POST /auth/password-reset`: sends a code to the user's WhatsApp. The answer is the
/// same whether or not the email has an account (or a phone).
async fn ask_reset(
    State(state): State<AppState>,
    JsonBody(form): JsonBody<ResetRequest>,
) -> Result<(StatusCode, Json<ResetAsked>), AppError> {
    let minutes = state.accounts.reset_ttl.as_secs() / 60;
    let answer = (
        StatusCode::ACCEPTED,
        Json(ResetAsked {
            message: RESET_SENT,
            expires_in_min: minutes,
        }),
    );
    let email = form.email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    email_problems(&mut errors, "email", &email);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let Some((user, _)) = state.store.user_by_email(&email).await? else {
        return Ok(answer);
    };
    let (Some(phone), Some(tenant_id)) = (user.phone.clone(), user.tenant.clone()) else {
        tracing::info!(user = %user.id, "a password reset for a user without a phone or business");
        return Ok(answer);
    };
    let now = state.clock.now();
    let key = reset_key(&user);
    if let Some(last) = state.store.ticket(&key, TicketKind::Reset, now).await?
        && now - last.created_at
            < chrono::Duration::from_std(state.accounts.reset_every).unwrap_or_default()
    {
        return Ok(answer);
    }
    let Some(tenant) = state.store.tenant(&tenant_id).await? else {
        return Ok(answer);
    };
    // At most a few codes an hour: with five tries each, guessing one stays hopeless.
    let hour = now.format("%Y-%m-%dT%H");
    if !state
        .store
        .count_use(
            &tenant.id,
            &format!("reset:{}:{hour}", user.id),
            CODES_PER_HOUR,
        )
        .await?
    {
        tracing::info!(user = %user.id, "password-reset codes for this hour used up");
        return Ok(answer);
    }
    let Some(from) = tenant
        .sender()
        .or(state.accounts.shared_numbers.first())
        .cloned()
    else {
        tracing::warn!(tenant = %tenant.id, "a password reset with no WhatsApp number to send from");
        return Ok(answer);
    };
    let Some(dispatcher) = &state.dispatcher else {
        tracing::warn!("a password reset, but no messenger is configured");
        return Ok(answer);
    };
    let code = accounts::new_code()?;
    state
        .store
        .put_ticket(&Ticket {
            key,
            kind: TicketKind::Reset,
            tenant: Some(tenant.id.clone()),
            secret_hash: code_hash(&user, &code),
            detail: serde_json::json!({ "user": user.id }),
            created_at: now,
            expires_at: expiry(now, state.accounts.reset_ttl),
            attempts: 0,
        })
        .await?;
    let lang = tenant.languages.first().copied().unwrap_or(Lang::En);
    let template = state
        .accounts
        .reset_template
        .as_deref()
        .map(|sid| (sid, code.as_str()));
    match dispatcher
        .send_now(
            &tenant,
            &from,
            &phone,
            reset_text(lang, &code, minutes),
            template,
        )
        .await
    {
        Ok(sid) => tracing::info!(user = %user.id, sid, "a password-reset code went out"),
        Err(e) => tracing::warn!(user = %user.id, "a password-reset code did not go out: {e:?}"),
    }
    Ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetConfirm {
    email: String,
    code: String,
    password: String,
}

const CODE_GONE: &str =
    "this code does not work any more (used, expired or tried too often); ask for a new one";

/// `POST /auth/password-reset/confirm`: the code and a new password; every other session
/// of the user ends, and this browser is signed in.
async fn confirm_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<ResetConfirm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let email = form.email.trim().to_lowercase();
    email_problems(&mut errors, "email", &email);
    let code = form.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        errors.insert("code".into(), "the six digits sent to your WhatsApp".into());
    }
    password_problems(&mut errors, "password", &form.password);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = state.clock.now();
    let Some((user, _)) = state.store.user_by_email(&email).await? else {
        return Err(invalid("code", CODE_GONE));
    };
    match state
        .store
        .use_ticket(
            &reset_key(&user),
            TicketKind::Reset,
            &code_hash(&user, code),
            state.accounts.ticket_attempts,
            now,
        )
        .await?
    {
        TicketUse::Used(_) => {}
        TicketUse::Wrong { left } if left > 0 => {
            return Err(invalid(
                "code",
                &format!(
                    "wrong code; {left} {} left",
                    if left == 1 { "try" } else { "tries" }
                ),
            ));
        }
        TicketUse::Wrong { .. } | TicketUse::Gone => return Err(invalid("code", CODE_GONE)),
    }
    let hash = accounts::hash_password(&form.password).await?;
    state.store.set_password(&user.id, &hash).await?;
    if let Some(t) = &user.tenant {
        let actor = user.name.clone();
        super::admin::audit_as(
            &state,
            t,
            actor,
            "user.password_reset",
            &user.email,
            None,
            None,
        )
        .await;
    }
    start_session(&state, &headers, user, StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_message_carries_the_code_in_the_business_language() {
        for (lang, word) in [
            (Lang::En, "code"),
            (Lang::Es, "código"),
            (Lang::Pt, "código"),
        ] {
            let text = reset_text(lang, "042917", 15);
            assert!(
                text.contains("042917") && text.contains("15") && text.contains(word),
                "{text}"
            );
        }
    }

    #[test]
    fn invitation_tokens_are_an_id_and_a_secret() {
        assert_eq!(token_parts("inv_ab.cd").unwrap(), ("inv_ab", "cd"));
        for bad in ["inv_ab", "inv_ab.", "usr_ab.cd", ""] {
            assert!(token_parts(bad).is_err(), "{bad}");
        }
    }
}
