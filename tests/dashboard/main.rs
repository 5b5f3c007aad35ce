//! The owner's dashboard in headless Chromium (Playwright), against the real bridge binary
//! with the dashboard built in: each scenario of `bridge/dashboard/e2e/run.mjs` is one test.
//!
//! Two bridges run on loopback, each on its own SQLite file: one as shipped, one whose
//! sessions end after five idle seconds (for the expired-session scenario). The first sends
//! WhatsApp messages (password-reset codes) through a Twilio stand-in. Screenshots of
//! every page at phone and desktop width go to `target/dashboard-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use slotline_e2e::paths;
use slotline_e2e::phone::ACCOUNT_SID;
use slotline_e2e::twilio::TwilioStandIn;

/// The auth token of the stand-in's Twilio account.
const TWILIO_TOKEN: &str = "dashboard-twilio-token";

const SCENARIOS: &[&str] = &[
    "sign_up_and_profile",
    "services_round_trip",
    "wrong_password_and_lockout",
    "expired_session",
    "csrf_required",
    "staff_cannot_open_settings",
    "tenant_isolation",
    "sessions_revocable",
    "api_key_rotation",
    "settings_round_trips",
    "staff_and_hours",
    "shared_number_and_try_it",
    "invite_and_join",
    "password_reset",
    "setup_wizard_resumes",
    "own_number_registration",
    "message_templates",
    "payments_settings",
    "accessibility_and_screenshots",
];

/// The platform's shared WhatsApp number on the main bridge.
const SHARED_NUMBER: &str = "+14155550100";

/// A bridge process on a free loopback port, stopped when dropped.
struct Bridge {
    url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_bridge(extra: &[(&str, &str)]) -> Result<Bridge, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let addr_file = dir.path().join("addr");
    let log = std::fs::File::create(dir.path().join("bridge.log")).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(paths::bridge_bin());
    cmd.env("SLOTLINE_BRIDGE_ADDR", "127.0.0.1:0")
        .env("SLOTLINE_ADDR_FILE", &addr_file)
        .env("SLOTLINE_DATABASE", dir.path().join("bridge.db"))
        .env("SLOTLINE_DISPATCH_EVERY_SECS", "0")
        // Every scenario signs in from 127.0.0.1; the per-address limit is for strangers.
        .env("SLOTLINE_AUTH_PER_MINUTE", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", paths::bridge_bin().display()))?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(addr) = std::fs::read_to_string(&addr_file)
            && !addr.trim().is_empty()
        {
            return Ok(Bridge {
                url: format!("http://{}", addr.trim()),
                child,
                _dir: dir,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("the bridge did not start within 20 s".into())
}

fn dashboard_dir() -> PathBuf {
    paths::root().join("bridge/dashboard")
}

fn node() -> PathBuf {
    paths::node_bin().join("node")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn run(scenario: &str, main: &str, short: &str, twilio: &str, shots: &Path) -> Result<(), Failed> {
    let out = Command::new(node())
        .current_dir(dashboard_dir())
        .args(["e2e/run.mjs", scenario])
        .env("SLOTLINE_URL", main)
        .env("SLOTLINE_SHORT_URL", short)
        .env("SLOTLINE_SHARED", SHARED_NUMBER)
        .env("SLOTLINE_TWILIO", twilio)
        .env("SLOTLINE_SHOTS", shots)
        .env("CHROMIUM", chromium())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        Ok(())
    } else {
        Err(said.into())
    }
}

fn main() {
    let args = Arguments::from_args();
    // Password-reset codes go out through a Twilio stand-in the scenarios can read.
    let twilio = match TwilioStandIn::start(&[(ACCOUNT_SID, TWILIO_TOKEN)]) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("the Twilio stand-in did not start: {e}");
            std::process::exit(101);
        }
    };
    let setup = || -> Result<(Bridge, Bridge), String> {
        if !dashboard_dir().join("dist/index.html").exists() {
            return Err("the dashboard is not built: run `cargo xtask build-dashboard`".into());
        }
        if !chromium().exists() {
            return Err(format!("no browser at {}", chromium().display()));
        }
        Ok((
            start_bridge(&[
                ("SLOTLINE_SHARED_NUMBERS", SHARED_NUMBER),
                ("TWILIO_API_URL", &twilio.url),
                ("TWILIO_CONTENT_URL", &twilio.url),
                ("TWILIO_MESSAGING_URL", &twilio.url),
                ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
                ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            ])?,
            start_bridge(&[("SLOTLINE_SESSION_IDLE_SECS", "5")])?,
        ))
    };
    let (main, short) = match setup() {
        Ok(b) => b,
        Err(why) => {
            let trials = SCENARIOS
                .iter()
                .map(|s| {
                    let why = why.clone();
                    Trial::test(*s, move || Err(why.into()))
                })
                .collect();
            libtest_mimic::run(&args, trials).exit();
        }
    };
    let shots = paths::target_dir().join("dashboard-screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let (main_url, short_url) = (main.url.clone(), short.url.clone());
    let trials = SCENARIOS
        .iter()
        .map(|s| {
            let (m, sh, tw, shots) = (
                main_url.clone(),
                short_url.clone(),
                twilio.url.clone(),
                shots.clone(),
            );
            Trial::test(*s, move || run(s, &m, &sh, &tw, &shots))
        })
        .collect();
    // Each scenario runs its own browser; two at a time keep two cores busy, not swamped.
    let mut args = args;
    if args.test_threads.is_none() {
        args.test_threads = Some(2);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop((main, short));
    conclusion.exit();
}
