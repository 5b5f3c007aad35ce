//! The bridge as operators deploy it: the container image `cargo xtask image` builds.
//!
//! `cargo xtask test` builds the image and names it in `SLOTLINE_IMAGE`. Where no Docker
//! engine can run, it says why in `SLOTLINE_CONTAINER_SKIP` and these tests are reported as
//! ignored with that reason, never as passed. The compose file's check needs only the
//! `docker-compose` client and runs wherever it is installed.
//!
//! Containers use the host's network (`--network host`) on loopback ports, like every other
//! test here; each is removed when its test ends.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, Weekday};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::ports::{OutboxState, Store};
use slotline_e2e::{Phone, Stack, StackOptions};

/// The user the image runs as.
const IMAGE_USER: u32 = 65534;

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message().into())
    }
}

/// Runs `docker` with `args`; its standard output, or the failure with what it printed.
fn docker(args: &[&str]) -> Result<String, Failed> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "docker {}: {}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into())
    }
}

/// A container started by a test; removed (with its anonymous volumes) when dropped.
struct Running {
    name: String,
}

impl Running {
    /// `docker run -d` on the host's network with `data` mounted as `/data` and `env` set.
    fn start(image: &str, data: &Path, env: &[(&str, String)]) -> Result<Self, Failed> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "slotline-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mount = format!("{}:/data", data.display());
        let mut args = vec![
            "run".to_owned(),
            "-d".into(),
            "--name".into(),
            name.clone(),
            "--network".into(),
            "host".into(),
            "-v".into(),
            mount,
        ];
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push(image.to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&args)?;
        Ok(Self { name })
    }

    fn inspect(&self, format: &str) -> Result<String, Failed> {
        docker(&["inspect", "--format", format, &self.name])
    }

    fn logs(&self) -> String {
        Command::new("docker")
            .args(["logs", &self.name])
            .output()
            .map(|o| {
                let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&o.stderr));
                text
            })
            .unwrap_or_default()
    }

    /// Waits until the container has exited; its exit code.
    fn exit_code(&self, within: Duration) -> Result<i64, Failed> {
        let deadline = Instant::now() + within;
        loop {
            if self.inspect("{{.State.Running}}")? == "false" {
                let code = self.inspect("{{.State.ExitCode}}")?;
                return code
                    .parse()
                    .map_err(|e| format!("exit code {code:?}: {e}").into());
            }
            if Instant::now() > deadline {
                return Err(format!("{} still runs after {within:?}", self.name).into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A folder the image's user can write, as an operator prepares a bind-mounted volume.
fn volume_folder(parent: &Path) -> Result<PathBuf, Failed> {
    let data = parent.join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    give_to_image_user(&data)?;
    Ok(data)
}

/// Hands `path` and what is in it to the image's user.
fn give_to_image_user(path: &Path) -> Result<(), Failed> {
    let chown = |p: &Path| {
        std::os::unix::fs::chown(p, Some(IMAGE_USER), Some(IMAGE_USER)).map_err(|e| {
            format!(
                "chown {}: {e} (the container tests run as root)",
                p.display()
            )
        })
    };
    chown(path)?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| e.to_string())? {
            chown(&entry.map_err(|e| e.to_string())?.path())?;
        }
    }
    Ok(())
}

/// Reads the address the containerised bridge wrote to `file`, then waits for `/healthz`.
fn wait_listening(file: &Path, container: &Running) -> Result<String, Failed> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(file) {
            break addr.trim().to_owned();
        }
        if container.inspect("{{.State.Running}}")? == "false" {
            return Err(format!("the container exited:\n{}", container.logs()).into());
        }
        if Instant::now() > deadline {
            return Err(format!("never said where it listens:\n{}", container.logs()).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let url = format!("http://{addr}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if http::blocking_get(&format!("{url}/healthz")) == Some(200) {
            return Ok(url);
        }
        if Instant::now() > deadline {
            return Err(format!("{url}/healthz never answered:\n{}", container.logs()).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Blocking HTTP for these synchronous tests, through a small runtime.
mod http {
    /// The status of `GET url`, if it answered.
    pub fn blocking_get(url: &str) -> Option<u16> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async {
            let client = ::reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(2))
                .build()
                .ok()?;
            client
                .get(url)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        })
    }
}

/// The settings every bridge of these tests needs.
fn base_env() -> Vec<(&'static str, String)> {
    vec![
        (
            "SLOTLINE_WORKER_SECRET",
            std::str::from_utf8(common::SECRET)
                .unwrap_or_default()
                .to_owned(),
        ),
        ("SLOTLINE_OPERATOR_KEY", common::OPERATOR.to_owned()),
        ("SLOTLINE_BRIDGE_ADDR", "127.0.0.1:0".to_owned()),
        ("SLOTLINE_ADDR_FILE", "/data/bridge.addr".to_owned()),
        ("SLOTLINE_LOG_FORMAT", "json".to_owned()),
    ]
}

// ----- the image ------------------------------------------------------------------------

/// What the image promises operators: it runs as an unprivileged user, keeps its data on a
/// volume, checks its own health, and holds nothing but the binary (no shell to exec into).
fn the_image_runs_unprivileged_with_a_volume_and_a_healthcheck(image: &str) -> Result<(), Failed> {
    let user = docker(&["image", "inspect", "--format", "{{.Config.User}}", image])?;
    check(user == "65534:65534", || format!("runs as {user:?}"))?;
    let volumes = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Volumes}}",
        image,
    ])?;
    check(volumes.contains("\"/data\""), || {
        format!("volumes {volumes}")
    })?;
    let health = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Healthcheck.Test}}",
        image,
    ])?;
    check(
        health == r#"["CMD","/slotline-bridge","healthcheck"]"#,
        || format!("healthcheck {health}"),
    )?;
    let size: u64 = docker(&["image", "inspect", "--format", "{{.Size}}", image])?
        .parse()
        .map_err(|e| format!("size: {e}"))?;
    eprintln!("image {image}: {:.1} MiB", size as f64 / 1048576.0);
    check(size < 40 * 1024 * 1024, || format!("image is {size} bytes"))?;
    // Nothing but the bridge: there is no shell to run.
    let shell = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "/bin/sh",
            image,
            "-c",
            "true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    check(!shell.success(), || "the image has a shell".into())
}

/// Started as an operator would, the container answers `/healthz`, its own health check
/// turns it healthy, and it writes its database on the volume as its own user.
fn the_container_answers_and_turns_healthy(image: &str) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = volume_folder(dir.path())?;
    let port = slotline_e2e::stack::free_port().map_err(|e| e.to_string())?;
    let mut env = base_env();
    env.retain(|(k, _)| *k != "SLOTLINE_BRIDGE_ADDR");
    env.push(("SLOTLINE_BRIDGE_ADDR", format!("127.0.0.1:{port}")));
    let started = Instant::now();
    let container = Running::start(image, &data, &env)?;
    let url = wait_listening(&data.join("bridge.addr"), &container)?;
    let ready = started.elapsed();
    check(url.ends_with(&format!(":{port}")), || {
        format!("listens at {url}")
    })?;
    let exec = docker(&["exec", &container.name, "/slotline-bridge", "healthcheck"])?;
    check(exec.contains("healthy"), || {
        format!("healthcheck said {exec:?}")
    })?;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let health = container.inspect("{{.State.Health.Status}}")?;
        if health == "healthy" {
            break;
        }
        check(health != "unhealthy", || {
            format!("the engine found it unhealthy:\n{}", container.logs())
        })?;
        check(Instant::now() < deadline, || {
            format!("health still {health:?}")
        })?;
        std::thread::sleep(Duration::from_millis(250));
    }
    let db = data.join("slotline.db");
    let meta = std::fs::metadata(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    check(
        std::os::unix::fs::MetadataExt::uid(&meta) == IMAGE_USER,
        || "the database is not the image user's".into(),
    )?;
    // The logs are JSON lines for collectors.
    let logs = container.logs();
    let first = logs.lines().next().unwrap_or_default();
    check(serde_json::from_str::<Value>(first).is_ok(), || {
        format!("log line is not JSON: {first}")
    })?;
    eprintln!("container listening after {} ms", ready.as_millis());
    Ok(())
}

/// The ways operators get it wrong: a short secret, and a volume the image's user cannot
/// write. The container stops at once (not restarting forever in silence) and its log names
/// the setting or the folder.
fn a_misconfigured_container_stops_and_says_why(image: &str) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = volume_folder(dir.path())?;
    let mut env = base_env();
    env.retain(|(k, _)| *k != "SLOTLINE_WORKER_SECRET");
    env.push(("SLOTLINE_WORKER_SECRET", "short".to_owned()));
    let container = Running::start(image, &data, &env)?;
    let code = container.exit_code(Duration::from_secs(20))?;
    let logs = container.logs();
    check(code != 0, || "exited 0 with a short secret".into())?;
    check(logs.contains("SLOTLINE_WORKER_SECRET"), || {
        format!("the log does not name the setting:\n{logs}")
    })?;
    check(!logs.contains("panicked"), || {
        format!("it panicked:\n{logs}")
    })?;

    // A bind mount still owned by root.
    let locked = dir.path().join("locked");
    std::fs::create_dir_all(&locked).map_err(|e| e.to_string())?;
    let container = Running::start(image, &locked, &base_env())?;
    let code = container.exit_code(Duration::from_secs(20))?;
    let logs = container.logs();
    check(code != 0, || "exited 0 without a writable volume".into())?;
    check(
        logs.contains("/data/slotline.db") && logs.contains("writable"),
        || format!("the log does not say what to fix:\n{logs}"),
    )?;
    check(!logs.contains("panicked"), || {
        format!("it panicked:\n{logs}")
    })
}

// ----- WhatsApp through wrangler dev ----------------------------------------------------

/// The `n`-th weekday at least two days ahead in `zone`, as `dd/mm` and as a date.
fn weekday_in(zone: chrono_tz::Tz, n: usize) -> (String, chrono::NaiveDate) {
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let day = (2..30)
        .map(|d| today + chrono::Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .nth(n)
        .unwrap_or(today);
    (format!("{:02}/{:02}", day.day(), day.month()), day)
}

fn says(phone: &Phone, text: &str, expected: &[&str]) -> Result<String, Failed> {
    let reply = phone.send(text)?;
    check(reply.status == 200, || {
        format!("{text:?}: status {} {}", reply.status, reply.body)
    })?;
    let said = reply.messages().join("\n---\n");
    for fragment in expected {
        check(said.contains(fragment), || {
            format!("customer: {text:?}\nexpected {fragment:?}\nbot said:\n{said}")
        })?;
    }
    Ok(said)
}

/// A physiotherapy clinic in São Paulo speaking Portuguese, set up through the admin API of
/// the containerised bridge.
fn clinic(stack: &Stack, number: &str) -> Result<(), Failed> {
    let hours = json!([{"start": "08:00", "end": "18:00"}]);
    let calls = [
        (
            "POST",
            "/admin/tenants".to_owned(),
            json!({"id": "vida", "name": "Clínica Vida", "zone": "America/Sao_Paulo",
                   "languages": ["pt"], "numbers": [number]}),
        ),
        (
            "POST",
            "/admin/tenants/vida/services".to_owned(),
            json!({"id": "fisio", "name": "Fisioterapia", "duration_min": 45,
                   "price_minor": 18000, "currency": "BRL"}),
        ),
        (
            "POST",
            "/admin/tenants/vida/providers".to_owned(),
            json!({"id": "rita", "name": "Rita Alves", "services": ["fisio"]}),
        ),
        (
            "PUT",
            "/admin/tenants/vida/providers/rita/availability".to_owned(),
            json!({"mon": hours, "tue": hours, "wed": hours, "thu": hours, "fri": hours}),
        ),
    ];
    for (method, path, body) in calls {
        let (status, answer) = stack.admin(method, &path, Some(&body));
        check(status == 200 || status == 201, || {
            format!("{method} {path}: {status} {answer}")
        })?;
    }
    Ok(())
}

fn bookings_of(stack: &Stack, day: chrono::NaiveDate, phone: &Phone) -> Vec<Value> {
    let (_, body) = stack.admin(
        "GET",
        &format!("/admin/tenants/vida/bookings?from={day}&to={day}"),
        None,
    );
    body.as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b["customer"] == phone.number.as_str())
        .collect()
}

/// A customer books through `wrangler dev` with the bridge in its container; the operator
/// stops the container (`docker stop`) and starts a new one on the same volume; the booking
/// is still there and the customer cancels it through WhatsApp.
fn a_whatsapp_booking_survives_a_container_restart(image: &str) -> Result<(), Failed> {
    const CLINIC: &str = "+5511955550101";
    let mut stack = Stack::start(StackOptions {
        bridge_image: Some(image.to_owned()),
        seed_demo: false,
        bridge_dispatch_timer: false,
        ..StackOptions::default()
    })
    .map_err(|e| format!("the stack did not start: {e}"))?;
    clinic(&stack, CLINIC)?;
    let phone = stack.phone("+5511988880001", CLINIC);
    let (date, day) = weekday_in(chrono_tz::America::Sao_Paulo, 0);
    says(
        &phone,
        &format!("quero marcar fisioterapia com a Rita no dia {date} às 10h"),
        &["Clínica Vida", "Confirme, por favor", "às 10:00"],
    )?;
    let booked = says(&phone, "sim", &["Marcado!"])?;
    let mine = bookings_of(&stack, day, &phone);
    check(mine.len() == 1 && mine[0]["status"] == "confirmed", || {
        format!("admin lists {mine:?}")
    })?;
    let reference = mine[0]["reference"].as_str().unwrap_or("?").to_owned();
    check(booked.contains(&reference), || {
        "the reference differs".into()
    })?;

    let clean = stack
        .stop_bridge()
        .map_err(|e| format!("docker stop: {e}"))?;
    check(clean, || {
        "the container did not exit cleanly on docker stop".into()
    })?;
    stack
        .restart_bridge()
        .map_err(|e| format!("a new container on the volume: {e}"))?;
    let mine = bookings_of(&stack, day, &phone);
    check(
        mine.len() == 1 && mine[0]["reference"] == reference.as_str(),
        || format!("after the restart admin lists {mine:?}"),
    )?;
    says(
        &phone,
        "cancelar",
        &["Cancelar Fisioterapia com Rita Alves"],
    )?;
    says(&phone, "sim", &[])?;
    let mine = bookings_of(&stack, day, &phone);
    check(mine.iter().all(|b| b["status"] == "cancelled"), || {
        format!("not cancelled: {mine:?}")
    })
}

// ----- docker stop during dispatch ------------------------------------------------------

/// `docker stop` while reminders are being sent: the batch under way finishes and is
/// recorded, no lease is left behind, and the container started again sends the rest, each
/// customer's once.
fn docker_stop_mid_dispatch_loses_nothing_and_sends_nothing_twice(
    image: &str,
) -> Result<(), Failed> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = volume_folder(dir.path())?;
    let db = data.join("slotline.db");
    // 2 senders × 120 reminders: more than one claim's worth each, so the stop lands
    // between batches; Twilio answers slowly, so sends are in flight when it comes.
    let (twilio, vars) = rt.block_on(common::sending_bridge_setup(
        &db,
        2,
        120,
        Duration::from_millis(50),
    ));
    give_to_image_user(&data)?;
    let mut env = base_env();
    env.extend(vars);
    let container = Running::start(image, &data, &env)?;
    wait_listening(&data.join("bridge.addr"), &container)?;
    rt.block_on(common::wait_for_sends(&twilio, 20));
    docker(&["stop", "-t", "30", &container.name])?;
    let code = container.exit_code(Duration::from_secs(40))?;
    check(code == 0, || {
        format!("exited {code}:\n{}", container.logs())
    })?;
    let at_twilio = twilio.sent().len();
    check(at_twilio < 240, || {
        "the stop came too late to test anything".into()
    })?;

    let (recorded, leased) = rt.block_on(async {
        let store = SqliteStore::open(&db).map_err(|e| e.to_string())?;
        let mut recorded = 0;
        for t in 0..2 {
            let tenant = slotline_shared::catalog::TenantId(format!("t{t:02}"));
            recorded += store
                .outbox(&tenant, 1000)
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .filter(|m| m.state == OutboxState::Sent)
                .count();
        }
        let conn = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
        let leased: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND lease_until IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((recorded, leased))
    })?;
    eprintln!("docker stop after {at_twilio} sends; {recorded} recorded as sent");
    check(recorded == at_twilio, || {
        format!("Twilio took {at_twilio}, the store recorded {recorded}")
    })?;
    check(leased == 0, || {
        format!("{leased} messages left under a lease")
    })?;

    give_to_image_user(&data)?;
    let _ = std::fs::remove_file(data.join("bridge.addr"));
    docker(&["start", &container.name])?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sent = twilio.sent();
        let mut per_customer = std::collections::HashMap::new();
        for m in &sent {
            *per_customer.entry(m.to.clone()).or_insert(0) += 1;
        }
        let twice = per_customer.values().filter(|n| **n > 1).count();
        check(twice == 0, || {
            format!("{twice} customers got two reminders")
        })?;
        if per_customer.len() == 240 {
            return Ok(());
        }
        check(Instant::now() < deadline, || {
            format!(
                "only {} of 240 customers got their reminder:\n{}",
                per_customer.len(),
                container.logs()
            )
        })?;
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ----- compose --------------------------------------------------------------------------

/// The operators' compose file is valid (`docker-compose config`), runs the image this
/// repository builds next to Cal.com and its PostgreSQL, and every bridge setting it sets is
/// documented in the README's settings table.
fn the_compose_file_is_valid_and_documented() -> Result<(), Failed> {
    let root = slotline_e2e::paths::root();
    let file = root.join("bridge/compose.yaml");
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["config"])
        // The file's required secrets, as an operator's `.env` would give them.
        .envs([
            ("SLOTLINE_WORKER_SECRET", "compose-check-worker-secret"),
            ("SLOTLINE_OPERATOR_KEY", "compose-check-operator-key"),
            ("CALCOM_NEXTAUTH_SECRET", "compose-check-nextauth"),
            ("CALCOM_ENCRYPTION_KEY", "compose-check-encryption-key-32b"),
            ("CALCOM_DB_PASSWORD", "compose-check-db-password"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "compose-check-twilio-token"),
            ("CALCOM_API_KEY", "cal_compose_check"),
            ("CALCOM_WEBHOOK_SECRET", "compose-check-webhook-secret"),
        ])
        .current_dir(&root)
        .output()
        .map_err(|e| format!("cannot run docker-compose: {e}"))?;
    let config = String::from_utf8_lossy(&out.stdout).into_owned();
    check(out.status.success(), || {
        format!(
            "docker-compose config failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    for service in ["bridge:", "calcom:", "postgres:"] {
        check(config.contains(&format!("  {service}")), || {
            format!("no {service} service:\n{config}")
        })?;
    }
    check(config.contains("image: slotline-bridge:"), || {
        "the bridge is not the image this repository builds".into()
    })?;
    // Without the operator's secrets, compose refuses rather than starting with blanks.
    let bare = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .arg("config")
        .env_remove("SLOTLINE_WORKER_SECRET")
        .current_dir(dir_without_env()?.path())
        .output()
        .map_err(|e| e.to_string())?;
    check(!bare.status.success(), || {
        "compose accepted the file without SLOTLINE_WORKER_SECRET".into()
    })?;

    let readme = std::fs::read_to_string(root.join("README.md")).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let bridge = text
        .split("\n  bridge:")
        .nth(1)
        .and_then(|rest| rest.split("\n  calcom:").next())
        .ok_or("no bridge section in compose.yaml")?;
    let settings: Vec<&str> = bridge
        .lines()
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k))
        .filter(|k| {
            k.len() > 3
                && k.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    check(settings.len() >= 8, || {
        format!("the bridge sets only {settings:?}")
    })?;
    let undocumented: Vec<&&str> = settings
        .iter()
        .filter(|k| !readme.contains(&format!("`{k}`")))
        .collect();
    check(undocumented.is_empty(), || {
        format!("compose sets settings the README does not document: {undocumented:?}")
    })
}

/// An empty folder, so `docker-compose` finds no `.env` to read.
fn dir_without_env() -> Result<tempfile::TempDir, Failed> {
    tempfile::tempdir().map_err(|e| e.to_string().into())
}

fn main() {
    let args = Arguments::from_args();
    type ImageTest = fn(&str) -> Result<(), Failed>;
    let image_tests: &[(&str, ImageTest)] = &[
        (
            "the_image_runs_unprivileged_with_a_volume_and_a_healthcheck",
            the_image_runs_unprivileged_with_a_volume_and_a_healthcheck,
        ),
        (
            "the_container_answers_and_turns_healthy",
            the_container_answers_and_turns_healthy,
        ),
        (
            "a_misconfigured_container_stops_and_says_why",
            a_misconfigured_container_stops_and_says_why,
        ),
        (
            "a_whatsapp_booking_survives_a_container_restart",
            a_whatsapp_booking_survives_a_container_restart,
        ),
        (
            "docker_stop_mid_dispatch_loses_nothing_and_sends_nothing_twice",
            docker_stop_mid_dispatch_loses_nothing_and_sends_nothing_twice,
        ),
    ];
    let image = std::env::var("SLOTLINE_IMAGE")
        .ok()
        .filter(|i| !i.is_empty());
    if image.is_none() && !args.list {
        let why = std::env::var("SLOTLINE_CONTAINER_SKIP").unwrap_or_else(|_| {
            "SLOTLINE_IMAGE is not set (`cargo xtask image` builds the image; `cargo xtask \
             test` builds it and sets it)"
                .into()
        });
        eprintln!("container tests skipped, not passed: {why}");
    }
    let mut trials: Vec<Trial> = image_tests
        .iter()
        .map(|&(name, test)| {
            let image = image.clone();
            let skipped = image.is_none();
            Trial::test(name, move || test(image.as_deref().unwrap_or_default()))
                .with_ignored_flag(skipped)
        })
        .collect();
    let compose = Command::new("docker-compose")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !compose && !args.list {
        eprintln!("the compose check skipped, not passed: docker-compose is not installed");
    }
    trials.push(
        Trial::test(
            "the_compose_file_is_valid_and_documented",
            the_compose_file_is_valid_and_documented,
        )
        .with_ignored_flag(!compose),
    );
    libtest_mimic::run(&args, trials).exit();
}
