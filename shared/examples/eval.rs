//! Prints the parser's evaluation (`cargo xtask eval`); `--misses` adds the tuning part's
//! wrong cases. The held-out part's cases are never printed.

fn main() -> std::process::ExitCode {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let misses = std::env::args().any(|a| a == "--misses");
    match slotline_shared::eval::run(&dir) {
        Ok((tuning, heldout, businesses)) => {
            print!(
                "{}",
                slotline_shared::eval::table(&tuning, &heldout, &businesses)
            );
            if misses {
                println!("\ntuning misses:");
                for m in &tuning.misses {
                    print!("{m}");
                }
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("eval: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
