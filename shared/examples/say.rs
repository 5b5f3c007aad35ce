//! Talks to one of the evaluation's businesses as a new customer would, against the test
//! kit's in-memory bridge: `cargo run -p slotline-shared --features testkit --example say --
//! spa "quero uma massagem amanhã" 1`. Prints each message and the bot's replies.

fn main() -> std::process::ExitCode {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((id, messages)) = args.split_first() else {
        eprintln!("usage: say <business> <message>...");
        return std::process::ExitCode::FAILURE;
    };
    let businesses = std::fs::read_to_string(dir.join("businesses.json"))
        .map_err(|e| e.to_string())
        .and_then(|json| slotline_shared::eval::businesses(&json));
    let business = match businesses {
        Ok(all) => all.into_iter().find(|b| &b.id == id),
        Err(e) => {
            eprintln!("say: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let Some(business) = business else {
        eprintln!("say: no business {id} in shared/eval/businesses.json");
        return std::process::ExitCode::FAILURE;
    };
    match slotline_shared::eval::sim(&business) {
        Ok(mut sim) => {
            for text in messages {
                println!(">>> {text}\n{}\n", sim.say(text));
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("say: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
