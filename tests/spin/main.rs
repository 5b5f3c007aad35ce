//! The bridge as its Spin component (`bridge/spin`, `spin.toml`), served by the test host
//! (`tests/spin-host`, wasmtime with Spin's SQLite and variables interfaces), behind
//! `wrangler dev`.
//!
//! `cargo xtask test` builds the component (release, `wasm32-wasip2`) and the host first and
//! names them in `SLOTLINE_SPIN_COMPONENT` and `SLOTLINE_SPIN_HOST`.

use std::path::PathBuf;
use std::process::Command;

use chrono::{Datelike, Duration};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use slotline_e2e::stack::SpinBridge;
use slotline_e2e::{Stack, StackOptions, paths};

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message().into())
    }
}

fn spin() -> Result<SpinBridge, Failed> {
    let named =
        |var: &str, default: PathBuf| std::env::var_os(var).map(PathBuf::from).unwrap_or(default);
    let bridge = SpinBridge {
        host: named(
            "SLOTLINE_SPIN_HOST",
            paths::target_dir().join("debug/slotline-spin-host"),
        ),
        component: named(
            "SLOTLINE_SPIN_COMPONENT",
            paths::target_dir().join("wasm32-wasip2/release/slotline_bridge_spin.wasm"),
        ),
    };
    for file in [&bridge.host, &bridge.component] {
        check(file.exists(), || {
            format!(
                "{} is missing: build it with cargo build -p slotline-spin-host and cargo build \
                 -p slotline-bridge-spin --target wasm32-wasip2 --release (cargo xtask test does)",
                file.display()
            )
        })?;
    }
    Ok(bridge)
}

/// The component imports WASI, `wasi:http` and Spin's SQLite and variables interfaces, and
/// nothing else a Spin host would have to grant (no key-value, Redis, PostgreSQL, MQTT, LLM
/// or sockets).
fn the_component_imports_only_wasi_and_the_spin_interfaces_it_uses() -> Result<(), Failed> {
    let spin = spin()?;
    let out = Command::new(&spin.host)
        .arg("--imports")
        .arg("--component")
        .arg(&spin.component)
        .output()
        .map_err(|e| format!("{}: {e}", spin.host.display()))?;
    check(out.status.success(), || {
        String::from_utf8_lossy(&out.stderr).into_owned()
    })?;
    let imports: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let allowed = |name: &str| {
        name.starts_with("spin:sqlite/sqlite@3.")
            || name.starts_with("spin:variables/variables@3.")
            || [
                "wasi:cli/",
                "wasi:clocks/",
                "wasi:io/",
                "wasi:random/",
                "wasi:filesystem/",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            || name.starts_with("wasi:http/types@0.3")
            || name.starts_with("wasi:http/client@0.3")
    };
    let strangers: Vec<&String> = imports.iter().filter(|n| !allowed(n)).collect();
    check(strangers.is_empty(), || {
        format!("unexpected imports {strangers:?} (all: {imports:?})")
    })?;
    for needed in ["spin:sqlite/sqlite@3.1.0", "spin:variables/variables@3.0.0"] {
        check(imports.iter().any(|n| n == needed), || {
            format!("{needed} is not imported: {imports:?}")
        })?;
    }
    println!("component imports: {}", imports.join(", "));
    let size = std::fs::metadata(&spin.component)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "component size: {:.1} MiB ({} bytes)",
        size as f64 / (1024.0 * 1024.0),
        size
    );
    Ok(())
}

/// `spin.toml` runs the real component: its source is the file the build makes, its database
/// is declared, every outbound host comes from the settings, each component variable is an
/// application variable, and every secret setting is marked secret.
fn spin_toml_describes_the_component_and_hides_its_secrets() -> Result<(), Failed> {
    let text = std::fs::read_to_string(paths::root().join("spin.toml"))
        .map_err(|e| format!("spin.toml: {e}"))?;
    let manifest: toml::Value = toml::from_str(&text).map_err(|e| format!("spin.toml: {e}"))?;
    let component = &manifest["component"]["bridge"];
    check(
        component["source"].as_str()
            == Some("target/wasm32-wasip2/release/slotline_bridge_spin.wasm"),
        || format!("source: {:?}", component["source"]),
    )?;
    check(
        component["sqlite_databases"]
            .as_array()
            .is_some_and(|d| d.iter().any(|n| n.as_str() == Some("default"))),
        || "the default SQLite database is not declared".into(),
    )?;
    let variables = manifest["variables"]
        .as_table()
        .ok_or("spin.toml has no [variables]")?;
    let mapped = component["variables"]
        .as_table()
        .ok_or("[component.bridge.variables] is missing")?;
    for (name, spec) in variables {
        check(
            mapped.get(name).and_then(toml::Value::as_str) == Some(&format!("{{{{ {name} }}}}")),
            || format!("{name} is not handed to the component"),
        )?;
        let secretive = ["secret", "_key", "token"].iter().any(|w| name.contains(w));
        let marked = spec.get("secret").and_then(toml::Value::as_bool) == Some(true);
        check(secretive == marked, || {
            format!(
                "{name}: secret = {marked}, but it is {}a secret",
                if secretive { "" } else { "not " }
            )
        })?;
    }
    for host in component["allowed_outbound_hosts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let host = host.as_str().unwrap_or_default();
        let var = host.trim_start_matches("{{").trim_end_matches("}}").trim();
        check(
            host.starts_with("{{") && variables.contains_key(var),
            || format!("allowed_outbound_hosts entry {host:?} is not one of the settings"),
        )?;
    }
    Ok(())
}

/// An operator who gives a worker secret too short gets an answer naming the Spin variable
/// to fix, never the secret itself; one who leaves a required variable out gets no server.
fn a_misconfigured_component_says_which_spin_variable_to_fix() -> Result<(), Failed> {
    let spin = spin()?;
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let addr_file = data.path().join("addr");
    let host = |vars: &[&str]| {
        let mut host = Command::new(&spin.host);
        host.arg("--manifest")
            .arg(paths::root().join("spin.toml"))
            .arg("--component")
            .arg(&spin.component)
            .arg("--data")
            .arg(data.path().join("db"))
            .arg("--addr-file")
            .arg(&addr_file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for var in vars {
            host.args(["--var", var]);
        }
        host
    };
    let missing = host(&["slotline_operator_key=operator-key-0123456789"])
        .output()
        .map_err(|e| e.to_string())?;
    let said = String::from_utf8_lossy(&missing.stderr);
    check(
        !missing.status.success() && said.contains("slotline_worker_secret"),
        || format!("without the worker secret the host said: {said}"),
    )?;
    let mut served = host(&[
        "slotline_worker_secret=short-secret",
        "slotline_operator_key=operator-key-0123456789",
    ])
    .spawn()
    .map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(&addr_file) {
            break addr;
        }
        if std::time::Instant::now() > deadline {
            let _ = served.kill();
            return Err("the host never said where it listens".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let answer = ureq::get(&format!("http://{}/healthz", addr.trim())).call();
    let _ = served.kill();
    let _ = served.wait();
    let (status, body) = match answer {
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(e) => return Err(format!("/healthz: {e}").into()),
    };
    check(
        status == 503
            && body.contains("slotline_worker_secret")
            && body.contains("at least 16 characters")
            && !body.contains("short-secret"),
        || format!("a short worker secret: {status} {body}"),
    )
}

/// A physiotherapy practice in Porto (Portuguese, a deposit through Stripe) on the Spin
/// bridge: the customer books in WhatsApp through `wrangler dev`, pays the deposit at the
/// Stripe stand-in (the component calls Stripe), the bridge confirms on the worker's cron tick
/// and sends the receipt, a PDF the component makes and Twilio fetches from it; the host is
/// restarted (its SQLite file kept) and the customer cancels, the deposit refunded.
fn a_deposit_booking_is_paid_receipted_and_refunded_on_the_spin_bridge() -> Result<(), Failed> {
    let mut stack = Stack::start(StackOptions {
        bridge_spin: Some(spin()?),
        seed_demo: false,
        bridge_dispatch_timer: false,
        ..StackOptions::default()
    })
    .map_err(|e| format!("the stack did not start: {e}"))?;
    book_pay_and_refund(&mut stack).map_err(|e| {
        let log = std::fs::read_to_string(stack.log_path("bridge")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        Failed::from(format!(
            "{}\n--- the Spin host's log ---\n{tail}",
            e.message().unwrap_or_default()
        ))
    })
}

fn book_pay_and_refund(stack: &mut Stack) -> Result<(), Failed> {
    const PRACTICE: &str = "+351220000404";
    let hours = json!([{"start": "08:00", "end": "20:00"}]);
    let calls = [
        (
            "POST",
            "/admin/tenants".to_owned(),
            json!({"id": "douro", "name": "Fisio Douro", "zone": "Europe/Lisbon",
                   "languages": ["pt"], "numbers": [PRACTICE],
                   "policy": {"min_notice_min": 0, "cancellation_notice_hours": 24},
                   "payments": {"stripe_account": "acct_1FisioDouro00001"},
                   "billing": {"legal_name": "Fisio Douro, Lda.",
                               "address": "Rua de Santa Catarina 210\n4000-442 Porto",
                               "tax_id": "PT509000222", "tax_basis_points": 2300}}),
        ),
        (
            "POST",
            "/admin/tenants/douro/services".to_owned(),
            json!({"id": "fisio", "name": "Fisioterapia", "duration_min": 45,
                   "price_minor": 5000, "currency": "EUR", "deposit_percent": 40}),
        ),
        (
            "POST",
            "/admin/tenants/douro/providers".to_owned(),
            json!({"id": "tiago", "name": "Tiago Lopes", "services": ["fisio"]}),
        ),
        (
            "PUT",
            "/admin/tenants/douro/providers/tiago/availability".to_owned(),
            json!({"mon": hours, "tue": hours, "wed": hours, "thu": hours, "fri": hours,
                   "sat": hours, "sun": hours}),
        ),
    ];
    for (method, path, body) in calls {
        let (status, answer) = stack.admin(method, &path, Some(&body));
        check(status == 200 || status == 201, || {
            format!("{method} {path}: {status} {answer}")
        })?;
    }
    let phone = stack.phone("+351912000404", PRACTICE);
    let day = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Lisbon)
        .date_naive()
        + Duration::days(3);
    let date = format!("{:02}/{:02}", day.day(), day.month());
    phone.says(
        &format!("queria fisioterapia no dia {date} às 15h"),
        &["Confirme", "50 €", "Sinal: 20 €"],
    )?;
    phone.says(
        "sim",
        &[
            "pague o sinal de 20 €",
            "https://checkout.stripe.com/c/pay/cs_test_",
        ],
    )?;
    let session = stack
        .stripe
        .sessions()
        .into_iter()
        .find(|s| s["metadata"]["tenant_id"] == "douro")
        .ok_or("the component made no Checkout Session at Stripe")?;
    let paid = stack
        .stripe
        .pay(session["id"].as_str().unwrap_or_default())
        .ok_or("the session could not be paid")?;
    let (status, answer) = stack.stripe_event(&paid);
    check(status == 200 && answer["outcome"] == "confirmed", || {
        format!("the payment event: {status} {answer}")
    })?;
    let told = stack.sent_by_bridge(&phone.number, "o sinal está pago")?;
    check(
        told.text.contains("Fisio Douro") && told.text.contains("SL-"),
        || format!("the payment message: {}", told.text),
    )?;
    let receipt = stack.document_sent(&phone.number, "recibo do seu sinal")?;
    for wanted in ["Recibo", "Fisio Douro, Lda.", "NIF: PT509000222", "20,00 €"] {
        check(receipt.contains(wanted), || {
            format!("{wanted:?} is not on the receipt:\n{receipt}")
        })?;
    }

    stack
        .restart_bridge()
        .map_err(|e| format!("the host did not start again: {e}"))?;
    let (_, listed) = stack.admin(
        "GET",
        &format!("/admin/tenants/douro/bookings?from={day}&to={day}"),
        None,
    );
    let mine: Vec<&Value> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["customer"] == phone.number.as_str())
        .collect();
    check(mine.len() == 1 && mine[0]["status"] == "confirmed", || {
        format!("after the restart the bookings are {listed}")
    })?;
    phone.says("cancelar", &["O sinal de 20 € será devolvido"])?;
    phone.says("sim", &["Cancelada"])?;
    let intent = paid["data"]["object"]["payment_intent"]
        .as_str()
        .unwrap_or_default();
    let refunded = stack.stripe.refunded(intent);
    check(refunded == 2000, || {
        format!("refunded at Stripe: {refunded}")
    })?;
    let log = std::fs::read_to_string(stack.log_path("bridge")).unwrap_or_default();
    for line in log.lines().filter(|l| l.contains("ms")) {
        println!("spin host: {line}");
    }
    Ok(())
}

/// One of this file's checks.
type Check = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let tests: [(&str, Check); 4] = [
        (
            "the_component_imports_only_wasi_and_the_spin_interfaces_it_uses",
            the_component_imports_only_wasi_and_the_spin_interfaces_it_uses,
        ),
        (
            "spin_toml_describes_the_component_and_hides_its_secrets",
            spin_toml_describes_the_component_and_hides_its_secrets,
        ),
        (
            "a_misconfigured_component_says_which_spin_variable_to_fix",
            a_misconfigured_component_says_which_spin_variable_to_fix,
        ),
        (
            "a_deposit_booking_is_paid_receipted_and_refunded_on_the_spin_bridge",
            a_deposit_booking_is_paid_receipted_and_refunded_on_the_spin_bridge,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
