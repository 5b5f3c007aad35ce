//! The optional language model: asked only when the built-in parser is unsure, through an
//! OpenAI-compatible chat-completions call with one tool, and allowed to fill nothing but
//! the same [`Interpretation`] the parser fills. The conversation still decides and
//! confirms; a model that is slow, failing or wrong costs the customer nothing the
//! built-in reading would not.
//!
//! This module is pure: it writes the request body, reads the answer and merges it. The
//! worker sends it (with its deadline), and the bridge counts each tenant's calls.
//!
//! What leaves for the model: the business's name, zone, today's date, service and staff
//! names and ids, and the customer's message with phone numbers, e-mail addresses and the
//! customer's own name replaced by placeholders.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::Value;
use thiserror::Error;

use crate::catalog::{ProviderId, ServiceId, TenantProfile};
use crate::nlu::{
    Command, DateWish, DayPart, Interpretation, ProviderWish, Reading, ServiceWish, TimeWish,
};

/// The tool the model is made to call.
pub const TOOL: &str = "booking_request";

/// Why a model's answer gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LlmError {
    /// Not JSON, or not the chat-completions shape.
    #[error("the answer is not a chat completion: {0}")]
    Shape(String),
    /// No call of our tool in it.
    #[error("the model did not call {TOOL}")]
    NoToolCall,
    /// The tool's arguments are not a JSON object.
    #[error("the tool's arguments are not an object")]
    Arguments,
}

/// Whether the built-in reading leaves enough unread to ask the model: nothing bookable
/// and no command read, yet words that are not filler; or two services named equally.
pub fn needs_help(norm: &str, interp: &Interpretation) -> bool {
    if interp.command.is_some() || interp.again.is_some() {
        return false;
    }
    if matches!(interp.service, Some(ServiceWish::OneOf(_))) {
        return true;
    }
    if interp.service.is_some() {
        return false;
    }
    // A greeting or a number is not worth a model call.
    let words = norm.split(' ').filter(|w| w.len() > 2).count();
    words >= 3
}

/// The message with what identifies people replaced: runs of seven or more digits (phone
/// numbers, with spaces, dots or dashes between them), e-mail addresses, and the
/// customer's own name.
pub fn redact(text: &str, customer_name: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        let core = word.trim_end();
        let tail = &word[core.len()..];
        if core.contains('@') && core.contains('.') {
            out.push_str("<email>");
        } else {
            out.push_str(core);
        }
        out.push_str(tail);
    }
    let out = redact_digits(&out);
    match customer_name
        .map(str::trim)
        .filter(|n| n.chars().count() >= 2)
    {
        Some(name) => {
            let mut text = out;
            for part in name.split_whitespace().filter(|p| p.chars().count() >= 2) {
                text = replace_word(&text, part, "<name>");
            }
            text
        }
        None => out,
    }
}

/// Runs of at least seven digits, allowing `+`, spaces, dots, dashes and brackets between
/// them, become `<phone>`.
fn redact_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || matches!(chars[j], '+' | ' ' | '.' | '-' | '(' | ')'))
            {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                }
                j += 1;
            }
            if digits >= 7 {
                // Keep the space that ended the run.
                let kept_space = j > i && chars[j - 1] == ' ';
                out.push_str("<phone>");
                if kept_space {
                    out.push(' ');
                }
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `text` with every whole-word occurrence of `word` (any case) replaced.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let lower = text.to_lowercase();
    let target = word.to_lowercase();
    if lower.len() != text.len() || target.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(&target) {
        let end = at + target.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        let whole = before.is_none_or(|c| !c.is_alphanumeric())
            && after.is_none_or(|c| !c.is_alphanumeric());
        if whole && at >= last {
            out.push_str(&text[last..at]);
            out.push_str(with);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The chat-completions request body (JSON): a system message describing the business and
/// what to read, the redacted message, and the one tool, which the model must call.
pub fn request_body(
    model: &str,
    message: &str,
    tenant: &TenantProfile,
    reading: &Reading<'_>,
) -> String {
    let catalog = reading.catalog;
    let services: Vec<String> = catalog.services.iter().map(|s| s.id.0.clone()).collect();
    let mut providers: Vec<String> = catalog.providers.iter().map(|p| p.id.0.clone()).collect();
    providers.push("any".into());
    let service_lines: Vec<String> = catalog
        .services
        .iter()
        .map(|s| {
            let mut names = vec![s.name.clone()];
            names.extend(s.translations.values().map(|t| t.name.clone()));
            names.extend(s.aliases.iter().cloned());
            format!("- {}: {}", s.id, names.join(" / "))
        })
        .collect();
    let provider_lines: Vec<String> = catalog
        .providers
        .iter()
        .map(|p| {
            let mut names = vec![p.name.clone()];
            names.extend(p.aliases.iter().cloned());
            format!("- {}: {}", p.id, names.join(" / "))
        })
        .collect();
    let today = reading.today;
    let system = format!(
        "You read one WhatsApp message a customer sent to {business}, a business that takes \
         bookings. Today is {weekday} {today} in the business's time zone ({zone}).\n\
         Services (id: names):\n{services}\nStaff (id: names):\n{staff}\n\
         Call {TOOL} with only what the message says. Leave out every field it does not \
         say; never guess a date, a time, a service or a person. Dates are YYYY-MM-DD, times \
         HH:MM on a 24-hour clock, both in the business's zone.",
        business = tenant.name,
        weekday = today.weekday(),
        zone = tenant.zone.name,
        services = service_lines.join("\n"),
        staff = provider_lines.join("\n"),
    );
    // Written as text, not built as a JSON value: the worker carries this code, and a
    // template weighs a fraction of the value-building code.
    let esc = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|i| esc(i)).collect();
        format!("[{}]", quoted.join(","))
    };
    let parameters = format!(
        r#"{{"type":"object","properties":{{"intent":{{"type":"string","enum":["book","reschedule","cancel","my_bookings","human","other"]}},"service_id":{{"type":"string","enum":{services}}},"provider_id":{{"type":"string","enum":{providers}}},"date":{{"type":"string","description":"YYYY-MM-DD"}},"time":{{"type":"string","description":"HH:MM, 24-hour"}},"time_relation":{{"type":"string","enum":["at","after","before"]}},"part_of_day":{{"type":"string","enum":["morning","afternoon","evening"]}}}},"additionalProperties":false}}"#,
        services = list(&services),
        providers = list(&providers),
    );
    format!(
        r#"{{"model":{model},"temperature":0,"messages":[{{"role":"system","content":{system}}},{{"role":"user","content":{message}}}],"tools":[{{"type":"function","function":{{"name":"{TOOL}","description":"What the customer's message asks for.","parameters":{parameters}}}}}],"tool_choice":{{"type":"function","function":{{"name":"{TOOL}"}}}}}}"#,
        model = esc(model),
        system = esc(&system),
        message = esc(message),
    )
}

/// What the model's answer says, checked against the catalog and the calendar: an id
/// that is not the business's, a date in the past or more than a year ahead, or a time
/// that is not one is dropped, not trusted.
pub fn read_answer(body: &str, reading: &Reading<'_>) -> Result<Interpretation, LlmError> {
    let answer: Value = serde_json::from_str(body).map_err(|e| LlmError::Shape(e.to_string()))?;
    let message = answer
        .pointer("/choices/0/message")
        .ok_or_else(|| LlmError::Shape("no choices[0].message".into()))?;
    let call = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .and_then(|calls| {
            calls
                .iter()
                .find(|c| c.pointer("/function/name").and_then(Value::as_str) == Some(TOOL))
        })
        .ok_or(LlmError::NoToolCall)?;
    let arguments = call
        .pointer("/function/arguments")
        .and_then(Value::as_str)
        .ok_or(LlmError::Arguments)?;
    let args: Value = serde_json::from_str(arguments).map_err(|_| LlmError::Arguments)?;
    let args = args.as_object().ok_or(LlmError::Arguments)?;
    let text = |key: &str| args.get(key).and_then(Value::as_str).map(str::trim);
    let catalog = reading.catalog;
    let service = text("service_id")
        .map(ServiceId::from)
        .filter(|id| catalog.service(id).is_some())
        .map(ServiceWish::One);
    let provider = text("provider_id").and_then(|id| {
        if id == "any" {
            return Some(ProviderWish::Any);
        }
        let id = ProviderId::from(id);
        catalog
            .provider(&id)
            .is_some()
            .then(|| ProviderWish::Named(vec![id]))
    });
    let latest = reading.today + chrono::Duration::days(366);
    let date = text("date")
        .and_then(ymd)
        .filter(|d| *d >= reading.today && *d <= latest)
        .map(DateWish::On);
    let clock = text("time").and_then(hm);
    let time = match (clock, text("time_relation"), text("part_of_day")) {
        (Some(t), Some("after"), _) => Some(TimeWish::After(t)),
        (Some(t), Some("before"), _) => Some(TimeWish::Before(t)),
        (Some(t), _, _) => Some(TimeWish::At(t)),
        (None, _, Some("morning")) => Some(TimeWish::Part(DayPart::Morning)),
        (None, _, Some("afternoon")) => Some(TimeWish::Part(DayPart::Afternoon)),
        (None, _, Some("evening")) => Some(TimeWish::Part(DayPart::Evening)),
        _ => None,
    };
    let command = match text("intent") {
        Some("reschedule") => Some(Command::Reschedule),
        Some("cancel") => Some(Command::Cancel),
        Some("my_bookings") => Some(Command::MyBookings),
        Some("human") => Some(Command::Human),
        _ => None,
    };
    Ok(Interpretation {
        command,
        service,
        provider,
        date,
        time,
        lang: None,
        again: None,
    })
}

/// `YYYY-MM-DD`, read by hand: chrono's format parser would weigh more in the worker's
/// bundle than this whole module.
fn ymd(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `HH:MM` on a 24-hour clock.
fn hm(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// The built-in reading with what it missed filled from the model's: what the parser read
/// stands; the model only fills gaps, and picks between services the parser found equally
/// named only among those.
pub fn merge(builtin: &Interpretation, model: Interpretation) -> Interpretation {
    let service = match (&builtin.service, model.service) {
        (Some(ServiceWish::OneOf(ids)), Some(ServiceWish::One(pick))) if ids.contains(&pick) => {
            Some(ServiceWish::One(pick))
        }
        (Some(own), _) => Some(own.clone()),
        (None, theirs) => theirs,
    };
    Interpretation {
        command: builtin.command.or(model.command),
        service,
        provider: builtin.provider.clone().or(model.provider),
        date: builtin.date.clone().or(model.date),
        time: builtin.time.or(model.time),
        lang: builtin.lang,
        again: builtin.again,
    }
}

#[cfg(test)]
mod tests;
