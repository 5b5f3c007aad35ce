//! Slotline's edge worker.
//!
//! It receives Twilio's WhatsApp webhooks, refuses anything not signed by Twilio, finds the
//! tenant (by number, or by keyword on a shared number), and hands each message to the
//! Durable Object that owns the conversation between that tenant and that customer. It
//! decides nothing itself: the conversation rules live in `slotline_shared`.
//!
//! # Layout
//!
//! - [`config`]: settings read from the Worker's environment.
//! - [`webhook`]: `POST /webhooks/twilio` and its delivery reports, `/webhooks/twilio/status`.
//! - [`routing`]: number → tenant, cached tenant snapshots, shared-number choices.
//! - [`conversation`]: the conversation Durable Object.
//! - [`bridge`]: signed calls to the bridge, with deadlines.
//! - [`llm`]: the optional language model, asked when the built-in parser is unsure.
//! - [`cron`]: the Cron Trigger, which has the bridge send the lifecycle messages due.
//! - [`twilio`]: everything sent through Twilio's REST and Content APIs (buttons, lists,
//!   what timers say).
//! - [`flows`]: `POST /flows/{tenant}`, WhatsApp Flow requests passed to the bridge.
//! - [`error`]: how failures become HTTP answers.

pub mod bridge;
pub mod config;
pub mod conversation;
pub mod cron;
pub mod error;
pub mod flows;
pub mod llm;
pub mod routing;
pub mod twilio;
pub mod webhook;

use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

/// The Cron Trigger: one dispatch pass at the bridge (see [`cron`]).
#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::tick(&env).await;
}

/// Entry point for every HTTP request the Worker receives.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    if let Some(tenant) = path.strip_prefix("/flows/") {
        return match req.method() {
            Method::Post => flows::endpoint(req, &env, tenant).await,
            _ => error::plain(405, "use POST"),
        };
    }
    match (req.method(), path.as_str()) {
        (Method::Post, "/webhooks/twilio") => webhook::twilio(req, &env).await,
        (Method::Post, twilio::STATUS_PATH) => webhook::status(req, &env).await,
        (Method::Get, "/healthz") => Response::ok("ok"),
        (_, "/webhooks/twilio") => error::plain(405, "use POST"),
        _ => error::plain(404, "not found"),
    }
}
