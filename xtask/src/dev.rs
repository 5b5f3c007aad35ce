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

/// Bootstraps, builds, starts the stack and runs the simulator until `/quit`, EOF or Ctrl-C.
pub fn run() -> Result<(), String> {
    let tools = bootstrap::run()?;
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
    simulate(&stack);
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
    let mut customer = 1u32;
    let mut business = BUSINESS.to_owned();
    let mut phone = new_phone(stack, customer, &business);
    println!(
        "\nPhone simulator: you are a WhatsApp customer of the demo salon.\n\
         Type freely; options come numbered, answer with a number or in words.\n\
         /new becomes another customer, /to +NUMBER writes to another business number, /quit stops."
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
        if let Some(number) = text.strip_prefix("/to ") {
            business = number.trim().to_owned();
            phone = new_phone(stack, customer, &business);
            println!("You are {} writing to {business}.", phone.number);
            continue;
        }
        match phone.send(text) {
            Ok(reply) if reply.status == 200 => {
                let messages = reply.messages();
                if messages.is_empty() {
                    println!("bot> (no reply)");
                }
                for message in messages {
                    println!("bot> {}", message.replace('\n', "\n     "));
                }
            }
            Ok(reply) => println!("worker answered {}: {}", reply.status, reply.body),
            Err(e) => println!("{e}"),
        }
    }
}

fn new_phone(stack: &Stack, customer: u32, business: &str) -> Phone {
    stack.phone(&format!("+1555000{customer:04}"), business)
}
