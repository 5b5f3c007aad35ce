//! The people who sign in to the dashboard: their accounts, roles and sessions.
//!
//! A user belongs to one business (an owner or a member of its staff) or to none (the
//! platform operator). They sign in with an email and a password; each sign-in opens a
//! [`Session`] the browser holds as a cookie. Passwords and session tokens are never stored,
//! only their hashes ([`crate::accounts`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{ProviderId, TenantId};
use slotline_shared::phone::PhoneNumber;

use super::{FieldErrors, Validate, problem};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything for their business: settings, catalog, staff, money, users.
    Owner,
    /// Their own calendar and customers; no settings and no money.
    Staff,
    /// The platform's operator: every business.
    Operator,
}

impl Role {
    /// The role's name as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::Operator => "operator",
        }
    }
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id, made at creation (`usr_…`).
    pub id: String,
    /// The business they work for; `None` for the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// Sign-in email, kept lower-cased.
    pub email: String,
    /// Their name, as colleagues see it.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Their WhatsApp number, where a forgotten password's code goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    /// The staff column that is theirs (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// What a sign-in checks, kept beside the user and never sent out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The argon2id hash of the password (PHC string).
    pub password_hash: String,
    /// Failed sign-ins since the last good one.
    pub failed_logins: u32,
    /// Until when sign-ins are refused after too many failures.
    pub locked_until: Option<DateTime<Utc>>,
}

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Public id, to list and revoke it (`ses_…`); not the cookie's token.
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// The token every changing request repeats in `X-CSRF-Token` (kept, never listed).
    pub csrf: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it was last used (refreshed at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends unless used again.
    pub expires_at: DateTime<Utc>,
    /// The browser, as it named itself, to tell sessions apart.
    #[serde(default)]
    pub user_agent: String,
}

/// One change to a business, as its owners read it in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Who made it: a user id, `api-key` or `operator`.
    pub actor: String,
    /// What was done, e.g. `service.update`, `hours.update`, `booking.no_show`.
    pub action: String,
    /// What it was done to: a service or staff id, a booking reference, a date.
    pub target: String,
    /// The record before (absent for a creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The record after (absent for a deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// A sign-up: a new business and its owner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// The business's name.
    pub business_name: String,
    /// The owner's name.
    pub name: String,
    /// The owner's email.
    pub email: String,
    /// The owner's password.
    pub password: String,
    /// The business's IANA time zone.
    pub time_zone: String,
    /// The customers' first language (`en`, `es`, `pt`, `pt-BR`).
    #[serde(default)]
    pub language: Option<String>,
    /// The owner's WhatsApp number (E.164), for password resets.
    #[serde(default)]
    pub phone: Option<String>,
}

/// The fewest characters a password may have.
pub const MIN_PASSWORD: usize = 10;

/// Whether `email` looks like one: something, `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// The problems with a new password.
pub fn password_problems(errors: &mut FieldErrors, field: &str, password: &str) {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        problem(
            errors,
            field,
            &format!("at least {MIN_PASSWORD} characters"),
        );
    } else if n > 200 {
        problem(errors, field, "at most 200 characters");
    }
}

/// The problem with a sign-in email, if any.
pub fn email_problems(errors: &mut FieldErrors, field: &str, email: &str) {
    if !valid_email(email.trim()) {
        problem(errors, field, "an email address such as ana@example.com");
    }
}

/// The problem with a person's or a business's name, if any: 1 to 80 characters.
pub fn name_problems(errors: &mut FieldErrors, field: &str, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 || n > 80 {
        problem(errors, field, "1 to 80 characters");
    }
}

/// A WhatsApp number one may leave out: `None` when blank or (with a problem noted) when it
/// does not read as one.
pub fn optional_phone(
    errors: &mut FieldErrors,
    field: &str,
    text: Option<&str>,
) -> Option<PhoneNumber> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match PhoneNumber::parse(text) {
        Ok(number) => Some(number),
        Err(_) => {
            problem(
                errors,
                field,
                "a number in international form: +34600111222",
            );
            None
        }
    }
}

impl SignUp {
    /// The owner's WhatsApp number, if given and valid.
    pub fn phone_number(&self) -> Option<PhoneNumber> {
        optional_phone(&mut FieldErrors::new(), "phone", self.phone.as_deref())
    }
}

impl Validate for SignUp {
    fn problems(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        name_problems(&mut errors, "business_name", &self.business_name);
        name_problems(&mut errors, "name", &self.name);
        email_problems(&mut errors, "email", &self.email);
        password_problems(&mut errors, "password", &self.password);
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            problem(
                &mut errors,
                "time_zone",
                "an IANA time zone such as Europe/Madrid",
            );
        }
        if let Some(lang) = &self.language
            && slotline_shared::lang::Lang::from_code(lang).is_none()
        {
            problem(&mut errors, "language", "one of en, es, pt, pt-BR");
        }
        optional_phone(&mut errors, "phone", self.phone.as_deref());
        errors
    }
}

/// What a one-time ticket lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    /// Join a business as a user: the link an owner sends to a new member of staff.
    Invite,
    /// Set a new password: the code sent over WhatsApp to a user who forgot theirs.
    Reset,
    /// A business's WhatsApp Flow key (sealed private half; the expiry is its retirement).
    FlowKey,
    /// A Flow whose booking is made: its token is used up until it would have expired.
    FlowUsed,
    /// A business's Meta app secret, sealed, for checking its Flow requests' signatures.
    FlowSecret,
}

impl TicketKind {
    /// Its name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
            Self::FlowKey => "flow_key",
            Self::FlowUsed => "flow_used",
            Self::FlowSecret => "flow_secret",
        }
    }
}

/// A one-time secret held out to somebody: an invitation or a password-reset code. Only the
/// secret's hash is kept; the ticket is gone once used, expired, or guessed at too often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// How it is found: the invitation's public id, or `reset:` and the user's id (so a user
    /// has one reset code at a time).
    pub key: String,
    /// What it is for.
    pub kind: TicketKind,
    /// The business it belongs to.
    pub tenant: Option<TenantId>,
    /// SHA-256 (hex) of the secret its holder must show.
    pub secret_hash: String,
    /// For an invitation, who is invited; for a reset, the user.
    pub detail: serde_json::Value,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Wrong secrets shown so far.
    #[serde(default)]
    pub attempts: u32,
}

/// What showing a ticket's secret came to.
#[derive(Debug, Clone, PartialEq)]
pub enum TicketUse {
    /// The secret was right: here is the ticket, which is now used up.
    Used(Ticket),
    /// Wrong; `left` more tries before the ticket is gone.
    Wrong {
        /// Tries left.
        left: u32,
    },
    /// No such ticket, or it expired, was used, or was guessed at too often.
    Gone,
}

/// Who an invitation is for and what they will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// The invitation's public id (to list and withdraw it; not enough to accept it).
    pub id: String,
    /// The invited person's email (they sign in with it).
    pub email: String,
    /// Their name, as the owner typed it; they may correct it when joining.
    pub name: String,
    /// Owner or staff.
    pub role: Role,
    /// The staff member whose calendar they keep, for staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    /// Who invited them.
    pub invited_by: String,
}

/// A business id made from its name: lower-case ASCII letters and digits joined by `-`,
/// accents dropped, at most 40 characters; `business` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "business".to_owned()
    } else {
        out
    }
}

/// The plain letter(s) under an accented Latin one, so "Clínica São João" slugs readably.
fn fold_accent(c: char) -> Vec<char> {
    let plain = match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        'ß' => return vec!['s', 's'],
        other => other,
    };
    vec![plain]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signup() -> SignUp {
        SignUp {
            business_name: "Clínica São João".into(),
            name: "Rafaela".into(),
            email: "rafaela@clinica.example".into(),
            password: "correct horse battery".into(),
            time_zone: "America/Sao_Paulo".into(),
            language: Some("pt-BR".into()),
            phone: Some("+5511987654321".into()),
        }
    }

    #[test]
    fn a_sign_up_is_checked_field_by_field() {
        assert!(signup().problems().is_empty(), "{:?}", signup().problems());
        let bad = SignUp {
            business_name: " ".into(),
            email: "rafaela@clinica".into(),
            password: "short".into(),
            time_zone: "Mars/Olympus".into(),
            language: Some("fr".into()),
            phone: Some("0119876".into()),
            ..signup()
        };
        let errors = bad.problems();
        for field in [
            "business_name",
            "email",
            "password",
            "time_zone",
            "language",
            "phone",
        ] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
        assert!(!errors.contains_key("name"));
    }

    #[test]
    fn emails_are_plausible_addresses() {
        for ok in ["a@b.co", "ana.silva+salon@mail.example.com"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "", "ana", "@b.co", "a@b", "a@.b.co", "a@b.co.", "a b@c.co", "a@b@c.co",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn business_ids_read_like_their_names() {
        assert_eq!(slug("Clínica São João"), "clinica-sao-joao");
        assert_eq!(slug("  Barber & Co. (Lisboa) "), "barber-co-lisboa");
        assert_eq!(slug("Straße 5"), "strasse-5");
        assert_eq!(slug("美容院"), "business");
        assert!(slug(&"long name ".repeat(20)).len() <= 40);
        assert!(crate::model::valid_id(&slug("Any -- Name !!")));
    }
}
