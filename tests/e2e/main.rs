//! End-to-end tests through `wrangler dev` (real Durable Objects) and the bridge.
//!
//! One stack serves every test; each test writes from its own phone number, so their
//! conversations never meet. The worker is told its public URL is `https://hooks.slotline.test`
//! while it listens on loopback, which proves signatures are checked against the configured
//! public URL and not against the address a request arrived on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use libtest_mimic::{Arguments, Failed, Trial};
use slotline_e2e::{Phone, Stack, StackOptions};

const PUBLIC_BASE_URL: &str = "https://hooks.slotline.test";
const BUSINESS: &str = "+14155238886";

type TestFn = fn(&Ctx) -> Result<(), Failed>;

struct Ctx {
    stack: Stack,
    next_number: AtomicU32,
}

impl Ctx {
    /// A customer nobody else in this run writes from.
    fn new_customer(&self) -> Phone {
        let n = self.next_number.fetch_add(1, Ordering::Relaxed);
        self.stack.phone(&format!("+1555010{n:04}"), BUSINESS)
    }
}

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message().into())
    }
}

fn a_signed_message_gets_a_twiml_reply(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let reply = phone.send("hello there")?;
    check(reply.status == 200, || {
        format!("status {}: {}", reply.status, reply.body)
    })?;
    check(reply.content_type.starts_with("text/xml"), || {
        format!("content type {}", reply.content_type)
    })?;
    check(
        reply
            .body
            .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>"#),
        || format!("not TwiML: {}", reply.body),
    )?;
    let text = reply.message().ok_or("no <Message> in the reply")?;
    check(
        text.contains("“hello there”") && text.contains("message 1"),
        || format!("reply: {text}"),
    )
}

fn the_conversation_remembers_earlier_messages(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    phone.send("first")?;
    phone.send("second")?;
    let text = phone.send("third & last")?.message().ok_or("no reply")?;
    check(
        text.contains("message 3") && text.contains("“second”") && text.contains("third & last"),
        || format!("reply: {text}"),
    )
}

fn two_customers_keep_separate_conversations(ctx: &Ctx) -> Result<(), Failed> {
    let ana = ctx.new_customer();
    let ben = ctx.new_customer();
    ana.send("I am Ana")?;
    ana.send("still Ana")?;
    let ben_text = ben.send("I am Ben")?.message().ok_or("no reply")?;
    check(
        ben_text.contains("message 1") && !ben_text.contains("Ana"),
        || format!("Ben saw Ana's conversation: {ben_text}"),
    )?;
    let ana_text = ana.send("Ana again")?.message().ok_or("no reply")?;
    check(
        ana_text.contains("message 3") && ana_text.contains("“still Ana”"),
        || format!("Ana's conversation lost: {ana_text}"),
    )
}

fn an_unsigned_request_is_refused_with_400_and_leaves_no_trace(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params = phone.message(&phone.new_message_sid(), "unsigned");
    let reply = phone.post(&params, None)?;
    check(reply.status == 400, || format!("status {}", reply.status))?;
    check(reply.content_type.starts_with("text/plain"), || {
        format!("content type {}", reply.content_type)
    })?;
    check(reply.body.contains("X-Twilio-Signature"), || {
        format!("body: {}", reply.body)
    })?;
    let text = phone.send("signed")?.message().ok_or("no reply")?;
    check(text.contains("message 1"), || {
        format!("the unsigned message was counted: {text}")
    })
}

fn a_tampered_request_is_refused_with_403_and_leaves_no_trace(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params = phone.message(&phone.new_message_sid(), "book 10:30");
    let sig = phone.sign(&phone.public_url(), &params);
    let tampered: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| {
            if k == "Body" {
                (k, "book 10:31".into())
            } else {
                (k, v)
            }
        })
        .collect();
    let reply = phone.post(&tampered, Some(&sig))?;
    check(reply.status == 403, || format!("status {}", reply.status))?;
    check(reply.content_type.starts_with("text/plain"), || {
        format!("content type {}", reply.content_type)
    })?;
    let text = phone.send("honest")?.message().ok_or("no reply")?;
    check(
        text.contains("message 1") && !text.contains("10:31"),
        || format!("the tampered message left a trace: {text}"),
    )
}

fn a_signature_over_the_loopback_url_is_refused(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params = phone.message(&phone.new_message_sid(), "hi");
    let local_url = format!("{}/webhooks/twilio", ctx.stack.worker_url);
    let reply = phone.post(&params, Some(&phone.sign(&local_url, &params)))?;
    check(reply.status == 403, || {
        format!(
            "a signature over {local_url} was accepted: {}",
            reply.status
        )
    })
}

fn a_signature_with_the_default_port_is_accepted(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params = phone.message(&phone.new_message_sid(), "port");
    let with_port = format!("{PUBLIC_BASE_URL}:443/webhooks/twilio");
    let reply = phone.post(&params, Some(&phone.sign(&with_port, &params)))?;
    check(reply.status == 200, || format!("status {}", reply.status))
}

fn a_replayed_message_is_answered_but_processed_once(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params = phone.message(&phone.new_message_sid(), "only once");
    let first = phone.post_signed(&params)?;
    let mut replays = Vec::new();
    for _ in 0..4 {
        replays.push(phone.post_signed(&params)?);
    }
    for replay in &replays {
        check(replay.status == 200, || {
            format!("replay status {}", replay.status)
        })?;
        check(replay.body == first.body, || {
            format!(
                "replay answered differently: {} vs {}",
                replay.body, first.body
            )
        })?;
    }
    let text = phone.send("next")?.message().ok_or("no reply")?;
    check(
        text.contains("message 2") && text.contains("“only once”"),
        || format!("a replay was processed again: {text}"),
    )
}

fn a_signed_request_that_is_not_a_message_is_a_400(ctx: &Ctx) -> Result<(), Failed> {
    let phone = ctx.new_customer();
    let params: Vec<(String, String)> = phone
        .message(&phone.new_message_sid(), "no sender")
        .into_iter()
        .filter(|(k, _)| k != "From")
        .collect();
    let reply = phone.post_signed(&params)?;
    check(reply.status == 400, || format!("status {}", reply.status))?;
    check(reply.body.contains("From"), || {
        format!("body: {}", reply.body)
    })
}

fn the_bridge_reports_its_version_and_store(ctx: &Ctx) -> Result<(), Failed> {
    let url = format!("{}/healthz", ctx.stack.bridge_url);
    let body: serde_json::Value = serde_json::from_str(&ureq::get(&url).call()?.into_string()?)?;
    check(body["version"] == env!("CARGO_PKG_VERSION"), || {
        format!("version: {body}")
    })?;
    check(
        body["store"]["status"] == "ok" && body["store"]["backend"] == "sqlite",
        || format!("store: {body}"),
    )
}

fn main() {
    let args = Arguments::from_args();
    let tests: &[(&str, TestFn)] = &[
        (
            "a_signed_message_gets_a_twiml_reply",
            a_signed_message_gets_a_twiml_reply,
        ),
        (
            "the_conversation_remembers_earlier_messages",
            the_conversation_remembers_earlier_messages,
        ),
        (
            "two_customers_keep_separate_conversations",
            two_customers_keep_separate_conversations,
        ),
        (
            "an_unsigned_request_is_refused_with_400_and_leaves_no_trace",
            an_unsigned_request_is_refused_with_400_and_leaves_no_trace,
        ),
        (
            "a_tampered_request_is_refused_with_403_and_leaves_no_trace",
            a_tampered_request_is_refused_with_403_and_leaves_no_trace,
        ),
        (
            "a_signature_over_the_loopback_url_is_refused",
            a_signature_over_the_loopback_url_is_refused,
        ),
        (
            "a_signature_with_the_default_port_is_accepted",
            a_signature_with_the_default_port_is_accepted,
        ),
        (
            "a_replayed_message_is_answered_but_processed_once",
            a_replayed_message_is_answered_but_processed_once,
        ),
        (
            "a_signed_request_that_is_not_a_message_is_a_400",
            a_signed_request_that_is_not_a_message_is_a_400,
        ),
        (
            "the_bridge_reports_its_version_and_store",
            the_bridge_reports_its_version_and_store,
        ),
    ];
    if args.list {
        let trials = tests
            .iter()
            .map(|(name, _)| Trial::test(*name, || Ok(())))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    let options = StackOptions {
        public_base_url: Some(PUBLIC_BASE_URL.into()),
        ..StackOptions::default()
    };
    let stack = match Stack::start(options) {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("the end-to-end stack did not start: {e}");
            std::process::exit(101);
        }
    };
    let ctx = Arc::new(Ctx {
        stack,
        next_number: AtomicU32::new(0),
    });
    let trials = tests
        .iter()
        .map(|&(name, test)| {
            let ctx = Arc::clone(&ctx);
            Trial::test(name, move || test(&ctx))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Stop the stack before exiting: `exit` would skip its Drop.
    drop(ctx);
    conclusion.exit();
}
