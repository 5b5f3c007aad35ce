//! `cargo xtask dev`: the whole stack on loopback and a phone simulator in the terminal.
//!
//! The simulator is a WhatsApp customer: each line typed is posted to the worker as a
//! correctly signed Twilio webhook and the TwiML reply is printed. State lives under
//! `target/dev`, so conversations survive a restart. Ctrl-C stops everything started here.

use std::io::{BufRead, Write};
use std::net::TcpListener;

use slotline_e2e::stack::stop_groups;
use slotline_e2e::{Phone, Stack, StackOptions};

use crate::process::{self, cargo};
use crate::{bootstrap, build};

/// The business number the simulator writes to.
const BUSINESS: &str = "+14155238886";
/// The token the local worker verifies webhooks with; local only, never a real token.
const DEV_AUTH_TOKEN: &str = "dev-auth-token-not-a-secret";
/// The demo's dashboard users, as `bridge/src/demo.rs` seeds them (`DEMO_OWNER`,
/// `DEMO_STAFF`, `DEMO_PASSWORD` there).
const DEMO_OWNER: &str = "owner@salon-bella.example";
const DEMO_STAFF: &str = "maria@salon-bella.example";
const DEMO_PASSWORD: &str = "bella-demo-2026";
/// The demo salon's connected account at the Stripe stand-in.
const DEMO_STRIPE_ACCOUNT: &str = "acct_1DemoSalon000001";

/// Bootstraps, builds, starts the stack and runs the simulator until `/quit`, EOF or Ctrl-C.
/// `--calcom` moves the demo salon's scheduling to the Cal.com stand-in.
pub fn run(args: &[String]) -> Result<(), String> {
    let calcom = match args {
        [] => false,
        [flag] if flag == "--calcom" => true,
        other => return Err(format!("dev: unknown arguments {other:?} (only --calcom)")),
    };
    let tools = bootstrap::run()?;
    // The bridge embeds the dashboard: build it first.
    crate::dashboard::build()?;
    process::run(cargo().args(["build", "-p", "slotline-bridge"]))?;
    build::bundle(&tools, &build::WORKER)?;
    let state_dir = slotline_e2e::paths::target_dir().join("dev");
    let ports = (preferred_port(8787), preferred_port(8788));
    println!(
        "dev: starting the bridge and wrangler dev (state in {})",
        state_dir.display()
    );
    let stack = Stack::start(StackOptions {
        auth_token: DEV_AUTH_TOKEN.into(),
        state_dir: Some(state_dir),
        ports: Some(ports),
        ..StackOptions::default()
    })
    .map_err(|e| e.to_string())?;
    let groups = stack.process_groups();
    ctrlc::set_handler(move || {
        println!("\ndev: stopping");
        stop_groups(&groups);
        std::process::exit(130);
    })
    .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;

    println!(
        "dev: worker  {}  (log: {})",
        stack.worker_url,
        stack.log_path("wrangler dev").display()
    );
    println!(
        "dev: bridge  {}  (log: {})",
        stack.bridge_url,
        stack.log_path("bridge").display()
    );
    println!(
        "dev: dashboard {}/app/  (owner {} / {}; staff {} / same password)",
        stack.bridge_url, DEMO_OWNER, DEMO_PASSWORD, DEMO_STAFF,
    );
    if calcom {
        schedule_demo_in_calcom(&stack)?;
        println!(
            "dev: Cal.com stand-in {} schedules the demo salon (its webhooks go to the bridge)",
            stack.calcom.url
        );
    } else {
        // A previous `--calcom` run left Cal.com event types on the demo's providers; the
        // stand-in that had them is gone.
        schedule_demo_built_in(&stack)?;
    }
    take_demo_deposits(&stack)?;
    // Flows left on by an earlier run need this run's templates at the Twilio stand-in.
    let (_, flows) = stack.admin("GET", "/admin/tenants/demo/flows", None);
    if flows["enabled"] == true {
        println!("dev: {}", set_flows(&stack, true));
    }
    simulate(&stack);
    Ok(())
}

/// The demo salon takes its deposits (Colour's €15) through the Stripe stand-in, on a
/// connected account of its own; `/pay` in the simulator plays the customer paying.
fn take_demo_deposits(stack: &Stack) -> Result<(), String> {
    let (status, mut tenant) = stack.admin("GET", "/admin/tenants/demo", None);
    if status != 200 {
        return Err(format!("the demo salon is missing: {status} {tenant}"));
    }
    if tenant["payments"]["stripe_account"].is_string() {
        return Ok(());
    }
    tenant["payments"]["stripe_account"] = DEMO_STRIPE_ACCOUNT.into();
    let (status, answer) = stack.admin("PUT", "/admin/tenants/demo", Some(&tenant));
    if status != 200 {
        return Err(format!("the demo salon's deposits: {status} {answer}"));
    }
    Ok(())
}

/// `/pay`: the customer pays on the newest open payment page, and Stripe's event goes to
/// the bridge; what happened, in a line.
fn pay_newest(stack: &Stack) -> String {
    let Some(session) = stack
        .stripe
        .sessions()
        .into_iter()
        .rev()
        .find(|s| s["status"] == "open")
    else {
        return "stripe> no payment page is open (confirm a Colour first: it takes a €15 deposit)"
            .into();
    };
    let id = session["id"].as_str().unwrap_or_default();
    let Some(event) = stack.stripe.pay(id) else {
        return format!("stripe> {id} could not be paid");
    };
    let (status, answer) = stack.stripe_event(&event);
    format!(
        "stripe> paid {} on {id}; the bridge answered {status} ({})",
        session["amount_total"], answer["outcome"]
    )
}

/// Takes the demo's providers back to the built-in engine.
fn schedule_demo_built_in(stack: &Stack) -> Result<(), String> {
    let (_, providers) = stack.admin("GET", "/admin/tenants/demo/providers", None);
    for provider in providers.as_array().into_iter().flatten() {
        let Some(mut body) = provider
            .as_object()
            .filter(|p| p.contains_key("calcom_event_types"))
            .cloned()
        else {
            continue;
        };
        body.remove("calcom_event_types");
        let id = provider["id"].as_str().unwrap_or_default();
        let (status, answer) = stack.admin(
            "PUT",
            &format!("/admin/tenants/demo/providers/{id}"),
            Some(&serde_json::Value::Object(body)),
        );
        if status != 200 {
            return Err(format!(
                "moving {id} back to the built-in engine failed: {status} {answer}"
            ));
        }
    }
    Ok(())
}

/// Gives each demo provider a Cal.com user (09:00–19:00 Madrid, every day) with an event
/// type per service, and maps them on the provider, so the salon books through Cal.com.
fn schedule_demo_in_calcom(stack: &Stack) -> Result<(), String> {
    let (_, services) = stack.admin("GET", "/admin/tenants/demo/services", None);
    let (_, providers) = stack.admin("GET", "/admin/tenants/demo/providers", None);
    let hour = |h| chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
    for (n, provider) in providers.as_array().into_iter().flatten().enumerate() {
        let id = provider["id"].as_str().unwrap_or_default();
        let host = 100 + n as u64;
        stack.calcom.add_host(slotline_e2e::calcom::Host {
            id: host,
            name: provider["name"].as_str().unwrap_or(id).to_owned(),
            email: format!("{id}@demo.example"),
            zone: chrono_tz::Europe::Madrid,
            from: hour(9),
            to: hour(19),
        });
        let mut event_types = serde_json::Map::new();
        for service in provider["services"].as_array().into_iter().flatten() {
            let service = service.as_str().unwrap_or_default();
            let minutes = services
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["id"] == service)
                .and_then(|s| s["duration_min"].as_i64())
                .unwrap_or(30);
            let event = stack
                .calcom
                .add_event_type(&format!("{service}-{id}"), minutes, host, 0);
            event_types.insert(service.to_owned(), event.into());
        }
        let mut body = provider.clone();
        body["calcom_event_types"] = serde_json::Value::Object(event_types);
        let (status, answer) = stack.admin(
            "PUT",
            &format!("/admin/tenants/demo/providers/{id}"),
            Some(&body),
        );
        if status != 200 {
            return Err(format!("moving {id} to Cal.com failed: {status} {answer}"));
        }
    }
    Ok(())
}

/// Port `wanted` if it is free, else any free port.
fn preferred_port(wanted: u16) -> u16 {
    if TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        wanted
    } else {
        slotline_e2e::stack::free_port().unwrap_or(wanted)
    }
}

fn simulate(stack: &Stack) {
    let mut printed: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut customer = 1u32;
    let mut business = BUSINESS.to_owned();
    let mut phone = new_phone(stack, customer, &business);
    println!(
        "\nPhone simulator: you are a WhatsApp customer of the demo salon.\n\
         Type freely; options come numbered, answer with a number or in words.\n\
         /new becomes another customer, /to +NUMBER writes to another business number\n\
         (/to {shared} reaches businesses that joined the shared number in the dashboard:\n\
         start with their keyword),\n\
         /buttons on|off switches the demo salon to WhatsApp buttons and lists (sent through the\n\
         Twilio stand-in and shown here), /pay pays the deposit asked for (Colour takes €15,\n\
         through the Stripe stand-in), /flows on|off offers the demo's WhatsApp Flow (a\n\
         date-and-time picker) when a booking starts, /flow opens the newest one offered and\n\
         walks its screens here (through the worker's Flow endpoint, encrypted as WhatsApp\n\
         does), /quit stops.",
        shared = slotline_e2e::stack::PLATFORM_NUMBER
    );
    println!("You are {} writing to {business}.", phone.number);
    let stdin = std::io::stdin();
    loop {
        print!("you> ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if text == "/quit" || text == "/exit" {
            break;
        }
        if text == "/new" {
            customer += 1;
            phone = new_phone(stack, customer, &business);
            println!("You are now {} writing to {business}.", phone.number);
            continue;
        }
        if text == "/pay" {
            println!("{}", pay_newest(stack));
            // The bridge's message about it comes through the Twilio stand-in.
            std::thread::sleep(std::time::Duration::from_millis(1_500));
            let already = printed.get(&phone.number).copied().unwrap_or(0);
            let total = print_rest(stack, &phone.number, already);
            printed.insert(phone.number.clone(), total);
            continue;
        }
        if let Some(mode) = text.strip_prefix("/buttons ") {
            set_buttons(stack, mode.trim() == "on");
            continue;
        }
        if let Some(mode) = text.strip_prefix("/flows ") {
            println!("{}", set_flows(stack, mode.trim() == "on"));
            continue;
        }
        if text == "/flow" {
            if let Err(e) = walk_flow(stack, &phone, &stdin) {
                println!("flow> {e}");
            }
            // The confirmation the bridge sends comes through the Twilio stand-in.
            std::thread::sleep(std::time::Duration::from_millis(1_500));
            let already = printed.get(&phone.number).copied().unwrap_or(0);
            let total = print_rest(stack, &phone.number, already);
            printed.insert(phone.number.clone(), total);
            continue;
        }
        if let Some(number) = text.strip_prefix("/to ") {
            business = number.trim().to_owned();
            phone = new_phone(stack, customer, &business);
            println!("You are {} writing to {business}.", phone.number);
            continue;
        }
        // Messages sent since the last line (reminders included) are shown with this reply.
        let already = printed.get(&phone.number).copied().unwrap_or(0);
        match phone.send(text) {
            Ok(reply) if reply.status == 200 => {
                let messages = reply.messages();
                for message in &messages {
                    println!("bot> {}", message.replace('\n', "\n     "));
                }
                let total = print_rest(stack, &phone.number, already);
                printed.insert(phone.number.clone(), total);
                if messages.is_empty() && total == already {
                    println!("bot> (no reply)");
                }
            }
            Ok(reply) => println!("worker answered {}: {}", reply.status, reply.body),
            Err(e) => println!("{e}"),
        }
    }
}

/// Prints the messages sent to `number` through the Twilio stand-in after the first
/// `already`; how many there are in all.
fn print_rest(stack: &Stack, number: &str, already: usize) -> usize {
    let by_rest = stack.twilio.sent_to(number);
    for sent in &by_rest[already.min(by_rest.len())..] {
        println!(
            "bot (REST)> {}",
            shown(sent).replace('\n', "\n            ")
        );
    }
    by_rest.len()
}

/// A message sent through the Twilio stand-in as the customer would see it: text, or a
/// template's body with its buttons or list items numbered.
fn shown(sent: &slotline_e2e::twilio::Sent) -> String {
    let Some(content) = &sent.content else {
        let body = sent.body.clone().unwrap_or_default();
        // A receipt or credit note: the file Twilio would fetch and WhatsApp show.
        return match &sent.media_url {
            Some(url) => format!("{body}\n[PDF] {url}"),
            None => body,
        };
    };
    if let Some(flow) = content.get("whatsapp/flows") {
        return format!(
            "{}\n[{}] (type /flow to open it)",
            flow["body"].as_str().unwrap_or(""),
            flow["button_text"].as_str().unwrap_or("Flow")
        );
    }
    let (kind, list, title) = if let Some(list) = content.get("twilio/list-picker") {
        ("list", &list["items"], "item")
    } else if let Some(buttons) = content.get("twilio/quick-reply") {
        ("buttons", &buttons["actions"], "title")
    } else {
        return content.to_string();
    };
    let body = content
        .get(if kind == "list" {
            "twilio/list-picker"
        } else {
            "twilio/quick-reply"
        })
        .and_then(|c| c["body"].as_str())
        .unwrap_or("");
    let mut out = format!("{body}\n[{kind}]");
    for (i, item) in list.as_array().into_iter().flatten().enumerate() {
        out.push_str(&format!(
            "\n{}. {}",
            i + 1,
            item[title].as_str().unwrap_or("")
        ));
    }
    out
}

/// Turns the demo salon's buttons and lists on or off through the admin API.
fn set_buttons(stack: &Stack, on: bool) {
    let (status, mut tenant) = stack.admin("GET", "/admin/tenants/demo", None);
    if status != 200 {
        println!("cannot read the demo tenant ({status})");
        return;
    }
    tenant["interactive"] = serde_json::Value::Bool(on);
    let (status, body) = stack.admin("PUT", "/admin/tenants/demo", Some(&tenant));
    if status == 200 {
        println!(
            "Buttons and lists are {} (customers see it within 20 seconds).",
            if on { "on" } else { "off" }
        );
    } else {
        println!("cannot update the demo tenant ({status}): {body}");
    }
}

/// The demo's Flow id at Meta in the simulator (any digits do: the stand-ins accept it).
const DEMO_FLOW_ID: &str = "100000000000042";

/// Turns the demo salon's booking Flow on (making its key first if it has none) or off.
fn set_flows(stack: &Stack, on: bool) -> String {
    let (status, view) = stack.admin("GET", "/admin/tenants/demo/flows", None);
    if status != 200 {
        return format!("cannot read the demo's Flow set-up ({status}): {view}");
    }
    if on && view["keys"].as_array().is_none_or(|k| k.is_empty()) {
        let (status, made) = stack.admin("POST", "/admin/tenants/demo/flows/keys", None);
        if status != 201 {
            return format!("cannot make the demo's Flow key ({status}): {made}");
        }
    }
    // The Twilio stand-in starts empty each run: templates kept from an earlier one are
    // unknown to it, so forgetting the Flow's id first has this run's templates made.
    let off = serde_json::json!({"enabled": false});
    let (status, view) = stack.admin("PUT", "/admin/tenants/demo/flows", Some(&off));
    if status != 200 || !on {
        return match status {
            200 => "WhatsApp Flows are off (customers see it within 20 seconds).".into(),
            _ => format!("cannot switch the demo's Flows ({status}): {view}"),
        };
    }
    let body = serde_json::json!({"enabled": true, "flow_id": DEMO_FLOW_ID});
    let (status, view) = stack.admin("PUT", "/admin/tenants/demo/flows", Some(&body));
    if status != 200 {
        return format!("cannot switch the demo's Flows ({status}): {view}");
    }
    "WhatsApp Flows are on (customers see it within 20 seconds; start a booking, then /flow)."
        .into()
}

/// Reads one answer for the Flow from the terminal; `None` at EOF or `/close`.
fn ask(stdin: &std::io::Stdin, prompt: &str) -> Option<String> {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) if line.trim() == "/close" => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

/// `/flow`: opens the newest Flow offered to `phone` and walks it screen by screen, each
/// drawn as text from the published Flow JSON, each answer sent to the worker's Flow
/// endpoint as WhatsApp sends it.
fn walk_flow(stack: &Stack, phone: &Phone, stdin: &std::io::Stdin) -> Result<(), String> {
    use slotline_e2e::flow_view::{self, Part};
    let token = stack
        .twilio
        .flow_token_sent_to(&phone.number)
        .ok_or("no Flow was offered to you yet: /flows on, then start a booking")?;
    let lang = slotline_shared::flow_token::FlowToken::verify(
        &token,
        slotline_e2e::stack::WORKER_SECRET.as_bytes(),
        chrono::Utc::now(),
    )
    .map(|t| t.lang.code())
    .unwrap_or("en");
    let (status, flow) = stack.admin(
        "GET",
        &format!("/admin/tenants/demo/flows/json/{lang}"),
        None,
    );
    if status != 200 {
        return Err(format!("no Flow JSON ({status}): {flow}"));
    }
    let (_, view) = stack.admin("GET", "/admin/tenants/demo/flows", None);
    let public = view["keys"][0]["public_key"]
        .as_str()
        .ok_or("the demo has no Flow key: /flows on")?;
    let endpoint = format!("{}/flows/demo", stack.worker_url);
    let client = slotline_e2e::meta::FlowClient::new(&endpoint, public, None, &token);
    println!("flow> opening it ({endpoint}); answer with a number, a date (YYYY-MM-DD), or /close");
    let mut answer = client.init();
    loop {
        let Some(json) = answer.json.clone().filter(|_| answer.status == 200) else {
            return Err(format!(
                "the endpoint answered {}: {}",
                answer.status,
                answer
                    .json
                    .as_ref()
                    .and_then(|j| j["error_msg"].as_str().map(str::to_owned))
                    .unwrap_or(answer.raw.clone())
            ));
        };
        let id = json["screen"].as_str().unwrap_or_default().to_owned();
        let data = json["data"].clone();
        if id == "SUCCESS" {
            let params = &data["extension_message_response"]["params"];
            println!(
                "flow> booked ({}); WhatsApp closes the Flow",
                params["reference"]
            );
            return Ok(());
        }
        let parts = flow_view::parts(&flow, &id, &data)?;
        let title = flow_view::title(&flow, &id)?;
        println!(
            "{}",
            flow_view::render(&title, &parts).replace('\n', "\n      ")
        );
        let mut form = serde_json::Map::new();
        let mut next = None;
        for part in &parts {
            match part {
                Part::Choice {
                    name,
                    label,
                    options,
                    required,
                    initial,
                    on_select,
                } if !options.is_empty() => {
                    let hint = if *required { "" } else { ", Enter to skip" };
                    let picked = loop {
                        let Some(line) = ask(
                            stdin,
                            &format!("flow {label} (1-{}{hint})> ", options.len()),
                        ) else {
                            println!("flow> closed");
                            return Ok(());
                        };
                        if line.is_empty() && !*required {
                            break None;
                        }
                        match line.parse::<usize>() {
                            Ok(n) if (1..=options.len()).contains(&n) => {
                                break Some(options[n - 1].0.clone());
                            }
                            _ => println!("flow> a number from 1 to {}", options.len()),
                        }
                    };
                    if let Some(option) = picked {
                        form.insert(name.clone(), option.clone().into());
                        // Picking here asks the endpoint at once (another part of the day).
                        if let Some(action) = on_select
                            && initial.as_deref() != Some(option.as_str())
                        {
                            next = flow_view::request_of(action, &id, &data, &form);
                            break;
                        }
                    }
                }
                Part::Date { name, label, .. } => {
                    let Some(day) = ask(stdin, &format!("flow {label} (YYYY-MM-DD)> ")) else {
                        println!("flow> closed");
                        return Ok(());
                    };
                    form.insert(name.clone(), day.into());
                }
                Part::Footer { action, .. } => {
                    match flow_view::request_of(action, &id, &data, &form) {
                        Some(request) => next = Some(request),
                        None => {
                            println!("flow> closed");
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
        }
        let Some((screen, payload)) = next else {
            return Err(format!("{id} has nothing to press"));
        };
        answer = client.submit(&screen, payload);
    }
}

fn new_phone(stack: &Stack, customer: u32, business: &str) -> Phone {
    stack.phone(&format!("+1555000{customer:04}"), business)
}
