//! Running `wrangler dev` and the bridge as child processes.
//!
//! Each child gets its own process group so stopping it also stops what it spawned (wrangler
//! starts workerd). Output goes to log files in the stack's folder; when a child fails to
//! come up, the error carries the end of its log.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use thiserror::Error;

use crate::paths;

/// The secret the local worker and bridge share; local only.
pub const WORKER_SECRET: &str = "local-worker-secret-not-for-production";
/// The local bridge's operator key; local only.
pub const OPERATOR_KEY: &str = "local-operator-key-not-for-production";

/// The platform's shared WhatsApp number on the stack's bridges (`SLOTLINE_SHARED_NUMBERS`):
/// a business signing up joins it with a keyword.
pub const PLATFORM_NUMBER: &str = "+14155550142";

/// How the stack is started.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The Twilio auth token the worker verifies signatures with.
    pub auth_token: String,
    /// The public origin the worker believes Twilio calls. `None` uses the worker's own
    /// loopback address.
    pub public_base_url: Option<String>,
    /// Where state and logs go. `None` uses a fresh temporary folder, removed on drop.
    pub state_dir: Option<PathBuf>,
    /// How long each process may take to answer its health check.
    pub ready_timeout: Duration,
    /// Fixed ports for (worker, bridge); `None` picks free ones.
    pub ports: Option<(u16, u16)>,
    /// Seed the demo salon into the bridge.
    pub seed_demo: bool,
    /// Messages one customer may send per minute (the worker's throttle).
    pub messages_per_minute: u32,
    /// Whether the bridge's own timer sends lifecycle messages (every second). Without it
    /// they go only when the worker's Cron Trigger fires ([`Stack::cron_tick`]), as for a
    /// bridge without timers.
    pub bridge_dispatch_timer: bool,
    /// Run the bridge from this container image (`docker run --network host`, the stack's
    /// folder mounted as its `/data` volume) instead of the native binary.
    pub bridge_image: Option<String>,
    /// Run the bridge as its Spin component under this host (`spin.toml` at the root read
    /// as Spin reads it), instead of the native binary.
    pub bridge_spin: Option<SpinBridge>,
    /// A database URL every bridge of the stack uses (`postgres://…`); `None` gives the
    /// bridge a SQLite file in the stack's folder.
    pub database: Option<String>,
    /// Start a second bridge on the same database; the worker's `BRIDGE_URL` names both.
    /// Needs [`StackOptions::database`].
    pub second_bridge: bool,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            auth_token: "e2e-auth-token-0123456789abcdef".into(),
            public_base_url: None,
            state_dir: None,
            ready_timeout: Duration::from_secs(90),
            ports: None,
            seed_demo: true,
            messages_per_minute: 20,
            bridge_dispatch_timer: true,
            bridge_image: None,
            bridge_spin: None,
            database: None,
            second_bridge: false,
        }
    }
}

/// Why the stack did not start.
#[derive(Debug, Error)]
pub enum StackError {
    /// A process could not be spawned.
    #[error("cannot start {what}: {source}")]
    Spawn {
        /// Which process.
        what: &'static str,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A process exited or did not answer in time.
    #[error("{what} did not become ready: {why}\n--- end of {log} ---\n{tail}")]
    NotReady {
        /// Which process.
        what: &'static str,
        /// Exited, or timed out.
        why: String,
        /// Its log file.
        log: String,
        /// The last lines of its log.
        tail: String,
    },
    /// Files for the stack could not be prepared.
    #[error("cannot prepare the stack's folder: {0}")]
    Io(#[from] std::io::Error),
}

/// The API key of the Cal.com stand-in's user.
pub const CALCOM_KEY: &str = "cal_test_e2e_owner_key";
/// That user's id.
pub const CALCOM_USER: u64 = 7;
/// The secret Cal.com signs its webhooks to the bridge with.
pub const CALCOM_WEBHOOK_SECRET: &str = "calcom-webhook-secret-e2e";
/// The platform's Stripe secret key the bridge calls the Stripe stand-in with.
pub const STRIPE_KEY: &str = "sk_test_e2e_platform";

/// The key the stack's bridge signs document links with.
pub const LINK_SECRET: &str = "e2e-links-0123456789";

/// A running worker and bridge.
pub struct Stack {
    /// The worker's loopback origin, e.g. `http://127.0.0.1:40123`.
    pub worker_url: String,
    /// The bridge's loopback origin.
    pub bridge_url: String,
    /// Every bridge's origin, the first being [`Stack::bridge_url`].
    pub bridge_urls: Vec<String>,
    /// The database URL the bridges share, if not SQLite.
    database: Option<String>,
    /// The bridge's port (kept for restarting it).
    bridge_port: u16,
    /// Seconds between the bridge's own dispatch passes (0: none).
    dispatch_every_secs: u32,
    /// The public origin the worker checks signatures against.
    pub public_base_url: String,
    /// The auth token the worker verifies with.
    pub auth_token: String,
    /// Where state and logs live.
    pub dir: PathBuf,
    /// The Twilio stand-in the worker sends buttons and lists through.
    pub twilio: crate::twilio::TwilioStandIn,
    /// The Cal.com stand-in the bridge schedules through, for providers with Cal.com event
    /// types (the others use the built-in engine).
    pub calcom: crate::calcom::CalcomStandIn,
    /// The language-model stand-in the worker asks when its parser is unsure.
    pub llm: crate::llm::LlmStandIn,
    /// The Stripe stand-in deposits are paid through; its events reach the bridge by
    /// [`Stack::stripe_event`].
    pub stripe: crate::stripe::StripeStandIn,
    /// The container the bridge runs in, when it runs from an image.
    container: Option<Container>,
    /// The Spin host the bridge runs in, when it runs as its component.
    spin: Option<SpinBridge>,
    children: Vec<(&'static str, Child)>,
    _temp: Option<tempfile::TempDir>,
}

/// A process of the stack, for [`Stack::pid_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// `wrangler dev`, running the worker.
    Worker,
    /// The first bridge, when native.
    Bridge,
}

/// The bridge's Spin component and the host that serves it.
#[derive(Debug, Clone)]
pub struct SpinBridge {
    /// `slotline-spin-host`.
    pub host: PathBuf,
    /// `slotline_bridge_spin.wasm`.
    pub component: PathBuf,
}

/// A bridge running from a container image.
#[derive(Debug, Clone)]
struct Container {
    image: String,
    /// The container's name, unique to this stack.
    name: String,
}

/// The user the bridge's image runs as (`USER` in `bridge/Dockerfile`).
const IMAGE_USER: u32 = 65534;

impl Stack {
    /// Starts the bridge and `wrangler dev` and waits until both answer `/healthz`.
    ///
    /// The worker must already be built (`cargo xtask build-worker`) and the bridge binary
    /// must exist at [`paths::bridge_bin`].
    pub fn start(options: StackOptions) -> Result<Self, StackError> {
        let (temp, dir) = match &options.state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (None, dir.clone())
            }
            None => {
                let temp = tempfile::Builder::new().prefix("slotline-e2e-").tempdir()?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        // Ports are found free just before the processes start: wrangler cannot pick its own,
        // and the bridge must know its own public address before it listens (receipts go
        // out as links to it). All are found at once: one port found free and let go could
        // be handed out again for the next, and wrangler would then fail to bind its
        // inspector.
        let [free_worker, inspector_port, free_bridge] = free_ports()?;
        let (worker_port, bridge_port) = match options.ports {
            Some(ports) => ports,
            None => (free_worker, free_bridge),
        };
        let inspector_port = if inspector_port == worker_port {
            free_ports::<2>()?
                .into_iter()
                .find(|p| *p != worker_port)
                .unwrap_or(inspector_port)
        } else {
            inspector_port
        };
        let worker_url = format!("http://127.0.0.1:{worker_port}");
        let bridge_url = format!("http://127.0.0.1:{bridge_port}");
        let public_base_url = options
            .public_base_url
            .clone()
            .unwrap_or_else(|| worker_url.clone());
        let twilio = crate::twilio::TwilioStandIn::start(&[(
            crate::phone::ACCOUNT_SID,
            &options.auth_token,
        )])?;
        let calcom = crate::calcom::CalcomStandIn::start(&[(CALCOM_KEY, CALCOM_USER)])?;
        let llm = crate::llm::LlmStandIn::start()?;
        let stripe = crate::stripe::StripeStandIn::start(STRIPE_KEY)?;
        let container = options.bridge_image.clone().map(|image| {
            static STACKS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = STACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Container {
                image,
                name: format!("slotline-stack-{}-{n}", std::process::id()),
            }
        });
        if container.is_some() {
            // The volume's folder: the image's unprivileged user writes the database there.
            let data = dir.join("data");
            std::fs::create_dir_all(&data)?;
            if std::os::unix::fs::chown(&data, Some(IMAGE_USER), Some(IMAGE_USER)).is_err() {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777))?;
            }
        }
        if options.second_bridge && options.database.is_none() {
            return Err(StackError::Io(std::io::Error::other(
                "a second bridge needs a shared database (StackOptions::database)",
            )));
        }
        let mut stack = Self {
            bridge_urls: Vec::new(),
            database: options.database.clone(),
            container,
            spin: options.bridge_spin.clone(),
            calcom,
            llm,
            stripe,
            worker_url,
            bridge_url,
            bridge_port,
            dispatch_every_secs: u32::from(options.bridge_dispatch_timer),
            public_base_url,
            auth_token: options.auth_token.clone(),
            dir: dir.clone(),
            twilio,
            children: Vec::new(),
            _temp: temp,
        };

        let addr_file = stack.data_dir().join("bridge.addr");
        let _ = std::fs::remove_file(&addr_file);
        let bridge = stack.bridge_command(options.seed_demo);
        stack.spawn("bridge", bridge, &dir.join("bridge.log"))?;
        let deadline = Instant::now() + options.ready_timeout;
        let addr = loop {
            if let Ok(addr) = std::fs::read_to_string(&addr_file) {
                break addr;
            }
            if Instant::now() > deadline || matches!(stack.children[0].1.try_wait(), Ok(Some(_))) {
                return Err(stack.not_ready(0, "it never said where it listens".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let bound: std::net::SocketAddr = addr.trim().parse().map_err(|e| {
            StackError::Io(std::io::Error::other(format!(
                "bridge address {addr:?}: {e}"
            )))
        })?;
        // A restart keeps the port the bridge was given, so the worker still finds it.
        stack.bridge_port = bound.port();
        stack.bridge_url = format!("http://{bound}");
        stack.bridge_urls.push(stack.bridge_url.clone());
        if options.second_bridge {
            let second_addr = dir.join("bridge-2.addr");
            let _ = std::fs::remove_file(&second_addr);
            let mut second = stack.bridge_command(false);
            second
                .env("SLOTLINE_BRIDGE_ADDR", "127.0.0.1:0")
                .env("SLOTLINE_ADDR_FILE", &second_addr);
            stack.spawn("second bridge", second, &dir.join("bridge-2.log"))?;
            let index = stack.children.len() - 1;
            let deadline = Instant::now() + options.ready_timeout;
            let addr = loop {
                if let Ok(addr) = std::fs::read_to_string(&second_addr) {
                    break addr;
                }
                if Instant::now() > deadline
                    || matches!(stack.children[index].1.try_wait(), Ok(Some(_)))
                {
                    return Err(stack.not_ready(index, "it never said where it listens".into()));
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            stack.bridge_urls.push(format!("http://{}", addr.trim()));
        }

        let root = paths::root();
        let mut wrangler = Command::new(paths::node_bin().join("wrangler"));
        wrangler
            .current_dir(&root)
            .arg("dev")
            .arg("--config")
            .arg(root.join("wrangler.toml"))
            .args(["--ip", "127.0.0.1"])
            .args(["--port", &worker_port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .arg("--persist-to")
            .arg(dir.join("wrangler-state"))
            .arg("--var")
            .arg(format!("PUBLIC_BASE_URL:{}", stack.public_base_url))
            .arg("--var")
            .arg(format!("TWILIO_AUTH_TOKEN:{}", stack.auth_token))
            .arg("--var")
            .arg(format!("BRIDGE_URL:{}", stack.bridge_urls.join(",")))
            .arg("--var")
            .arg(format!("BRIDGE_SECRET:{WORKER_SECRET}"))
            .arg("--var")
            .arg(format!(
                "MESSAGES_PER_MINUTE:{}",
                options.messages_per_minute
            ))
            .arg("--var")
            .arg(format!("TWILIO_API_URL:{}", stack.twilio.url))
            .arg("--var")
            .arg(format!("TWILIO_CONTENT_URL:{}", stack.twilio.url))
            .arg("--var")
            .arg(format!("LLM_API_URL:{}", stack.llm.url))
            .arg("--var")
            .arg("LLM_MODEL:standin-model")
            .arg("--var")
            .arg(format!("LLM_API_KEY:{}", crate::llm::KEY))
            .args(["--log-level", "info"])
            .arg("--show-interactive-dev-session=false")
            // `GET /__scheduled` fires the Cron Trigger (see `cron_tick`).
            .arg("--test-scheduled")
            .env("PATH", paths::path_with_node_tools())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("SLOTLINE_WORKER_PREBUILT", "1")
            .env("NO_COLOR", "1");
        stack.spawn("wrangler dev", wrangler, &dir.join("wrangler.log"))?;

        let deadline = Instant::now() + options.ready_timeout;
        let bridge_health = format!("{}/healthz", stack.bridge_url);
        stack.wait_ready(0, &bridge_health, deadline)?;
        // Cal.com's webhooks go to the bridge, as an operator would register them.
        ureq::post(&format!("{}/v2/webhooks", stack.calcom.url))
            .set("Authorization", &format!("Bearer {CALCOM_KEY}"))
            .send_json(serde_json::json!({
                "subscriberUrl": format!("{}/webhooks/calcom", stack.bridge_url),
                "active": true,
                "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED", "BOOKING_NO_SHOW_UPDATED"],
                "secret": CALCOM_WEBHOOK_SECRET,
            }))
            .map_err(|e| StackError::Io(std::io::Error::other(format!("registering Cal.com's webhook: {e}"))))?;
        let worker_health = format!("{}/healthz", stack.worker_url);
        stack.wait_ready(1, &worker_health, deadline)?;
        Ok(stack)
    }

    /// The process id of the worker's `wrangler dev` (its `workerd` runs below it), and of
    /// the first bridge when it runs natively: for benchmarks that count their CPU time.
    pub fn pid_of(&self, what: Process) -> Option<u32> {
        let name = match what {
            Process::Worker => "wrangler dev",
            Process::Bridge => "bridge",
        };
        self.children
            .iter()
            .find(|(w, _)| *w == name)
            .map(|(_, c)| c.id())
    }

    fn spawn(
        &mut self,
        what: &'static str,
        command: Command,
        log: &Path,
    ) -> Result<(), StackError> {
        let child = launch(what, command, File::create(log)?)?;
        self.children.push((what, child));
        Ok(())
    }

    fn wait_ready(&mut self, index: usize, url: &str, deadline: Instant) -> Result<(), StackError> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        loop {
            let child = &mut self.children[index].1;
            if let Ok(Some(status)) = child.try_wait() {
                return Err(self.not_ready(index, format!("it exited with {status}")));
            }
            if matches!(agent.get(url).call(), Ok(resp) if resp.status() == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let why = format!("{url} did not answer 200 in time");
                return Err(self.not_ready(index, why));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn not_ready(&self, index: usize, why: String) -> StackError {
        let what = self.children[index].0;
        let log = self.log_path(what);
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        StackError::NotReady {
            what,
            why,
            log: log.display().to_string(),
            tail,
        }
    }

    /// The log file of a process of this stack (`"bridge"` or `"wrangler dev"`).
    pub fn log_path(&self, what: &str) -> PathBuf {
        match what {
            "bridge" => self.dir.join("bridge.log"),
            "second bridge" => self.dir.join("bridge-2.log"),
            _ => self.dir.join("wrangler.log"),
        }
    }

    /// A customer with the given number, writing to the business number `to`.
    pub fn phone(&self, from: &str, to: &str) -> crate::Phone {
        crate::Phone::new(
            &self.worker_url,
            &self.public_base_url,
            &self.auth_token,
            from,
            to,
        )
    }
}

/// Starts `command` in its own process group (so stopping it stops what it spawns), with
/// both output streams going to `log`.
fn launch(what: &'static str, mut command: Command, log: File) -> Result<Child, StackError> {
    let err = log.try_clone()?;
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|source| StackError::Spawn { what, source })
}

impl Stack {
    /// The bridge's command line: its own folder and port, lifecycle messages sent through
    /// the Twilio stand-in (every second, unless only the worker's cron sends them),
    /// deliveries reported to the worker. It writes the address it listens on to
    /// `bridge.addr` in its data folder.
    fn bridge_command(&self, seed_demo: bool) -> Command {
        let vars: Vec<(&str, String)> = vec![
            ("TWILIO_API_URL", self.twilio.url.clone()),
            ("TWILIO_CONTENT_URL", self.twilio.url.clone()),
            ("TWILIO_MESSAGING_URL", self.twilio.url.clone()),
            ("TWILIO_ACCOUNT_SID", crate::phone::ACCOUNT_SID.to_owned()),
            ("TWILIO_AUTH_TOKEN", self.auth_token.clone()),
            (
                "SLOTLINE_DISPATCH_EVERY_SECS",
                self.dispatch_every_secs.to_string(),
            ),
            (
                "SLOTLINE_STATUS_CALLBACK_URL",
                format!("{}/webhooks/twilio/status", self.public_base_url),
            ),
            ("CALCOM_API_URL", self.calcom.url.clone()),
            ("CALCOM_API_KEY", CALCOM_KEY.to_owned()),
            ("CALCOM_WEBHOOK_SECRET", CALCOM_WEBHOOK_SECRET.to_owned()),
            ("STRIPE_API_URL", self.stripe.url.clone()),
            ("STRIPE_SECRET_KEY", STRIPE_KEY.to_owned()),
            (
                "STRIPE_WEBHOOK_SECRET",
                crate::stripe::WEBHOOK_SECRET.to_owned(),
            ),
            (
                "SLOTLINE_BRIDGE_ADDR",
                format!("127.0.0.1:{}", self.bridge_port),
            ),
            ("SLOTLINE_WORKER_SECRET", WORKER_SECRET.to_owned()),
            // Twilio fetches receipts from the bridge itself; here Twilio is on loopback.
            (
                "SLOTLINE_PUBLIC_URL",
                format!("http://127.0.0.1:{}", self.bridge_port),
            ),
            ("SLOTLINE_LINK_SECRET", LINK_SECRET.to_owned()),
            ("SLOTLINE_OPERATOR_KEY", OPERATOR_KEY.to_owned()),
            ("SLOTLINE_SHARED_NUMBERS", PLATFORM_NUMBER.to_owned()),
            (
                "SLOTLINE_SEED_DEMO",
                if seed_demo { "1" } else { "0" }.to_owned(),
            ),
            ("RUST_LOG", "info".to_owned()),
        ];
        if let Some(spin) = &self.spin {
            // As an operator deploys it: the manifest's variables, named in lower case; the
            // component has no timers, so reminders go on the worker's Cron Trigger.
            let mut host = Command::new(&spin.host);
            host.arg("--manifest")
                .arg(paths::root().join("spin.toml"))
                .arg("--component")
                .arg(&spin.component)
                .arg("--data")
                .arg(self.dir.join("spin-data"))
                .arg("--listen")
                .arg(format!("127.0.0.1:{}", self.bridge_port))
                .arg("--addr-file")
                .arg(self.dir.join("bridge.addr"));
            let native_only = [
                "SLOTLINE_BRIDGE_ADDR",
                "SLOTLINE_DISPATCH_EVERY_SECS",
                "RUST_LOG",
            ];
            for (k, v) in vars.iter().filter(|(k, _)| !native_only.contains(k)) {
                host.arg("--var")
                    .arg(format!("{}={v}", k.to_ascii_lowercase()));
            }
            return host;
        }
        match &self.container {
            None => {
                let mut bridge = Command::new(paths::bridge_bin());
                bridge
                    .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
                    .env("SLOTLINE_ADDR_FILE", self.dir.join("bridge.addr"));
                match &self.database {
                    Some(url) => bridge.env("SLOTLINE_DATABASE", url),
                    None => bridge.env("SLOTLINE_DATABASE", self.dir.join("bridge.db")),
                };
                bridge
            }
            Some(container) => {
                // In the foreground, so the client's output is the bridge's log and its exit
                // the bridge's; the host's network, so loopback is shared with the stand-ins.
                let mut docker = Command::new("docker");
                docker
                    .args([
                        "run",
                        "--rm",
                        "--name",
                        &container.name,
                        "--network",
                        "host",
                    ])
                    .arg("-v")
                    .arg(format!("{}:/data", self.data_dir().display()))
                    .args(["-e", "SLOTLINE_ADDR_FILE=/data/bridge.addr"])
                    .args(["-e", "SLOTLINE_DATABASE=/data/bridge.db"]);
                for (k, v) in &vars {
                    docker.arg("-e").arg(format!("{k}={v}"));
                }
                docker.arg(&container.image);
                docker
            }
        }
    }

    /// Where the bridge keeps its database and says its address: the stack's folder for
    /// the binary, the folder mounted as `/data` for a container.
    pub fn data_dir(&self) -> PathBuf {
        match self.container {
            None => self.dir.clone(),
            Some(_) => self.dir.join("data"),
        }
    }

    /// The name of the bridge's container, when it runs from an image.
    pub fn container_name(&self) -> Option<&str> {
        self.container.as_ref().map(|c| c.name.as_str())
    }

    /// Stops the bridge as an operator does (SIGTERM: `docker stop` for a container) and
    /// waits for it to exit; returns whether it exited cleanly.
    pub fn stop_bridge(&mut self) -> Result<bool, StackError> {
        let Some(index) = self.children.iter().position(|(what, _)| *what == "bridge") else {
            return Ok(false);
        };
        if let Some(container) = &self.container {
            Command::new("docker")
                .args(["stop", "-t", "30", &container.name])
                .stdout(Stdio::null())
                .status()?;
        } else if let Ok(pid) = i32::try_from(self.children[index].1.id()) {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let status = self.children[index].1.wait()?;
        Ok(status.success())
    }
}

impl Stack {
    /// Waits (up to 60 s, firing the Cron Trigger) for the bridge's message to `number`
    /// whose text has `line`.
    pub fn sent_by_bridge(&self, number: &str, line: &str) -> Result<crate::twilio::Sent, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.cron_tick().map_err(|e| e.to_string())?;
            let sent = self.twilio.sent_to(number);
            if let Some(m) = sent.iter().find(|m| m.text.contains(line)) {
                return Ok(m.clone());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no message with {line:?} within 60 s; sent: {sent:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The first page's text of the PDF beside the bridge's message to `number` with `line`,
    /// fetched as Twilio fetches it.
    pub fn document_sent(&self, number: &str, line: &str) -> Result<String, String> {
        let sent = self.sent_by_bridge(number, line)?;
        let url = sent
            .media_url
            .ok_or_else(|| format!("{line:?} came without a file: {}", sent.text))?;
        let response = ureq::get(&url)
            .timeout(Duration::from_secs(10))
            .call()
            .map_err(|e| format!("fetching {url}: {e}"))?;
        if response.content_type() != "application/pdf" {
            return Err(format!("{url} is {}", response.content_type()));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes)
            .map_err(|e| format!("reading {url}: {e}"))?;
        let doc =
            lopdf::Document::load_mem(&bytes).map_err(|e| format!("{url}: not a PDF: {e}"))?;
        doc.extract_text(&[1])
            .map_err(|e| format!("{url}: no text: {e}"))
    }

    /// Stops the bridge (as a crash would: SIGKILL), leaving the worker running.
    pub fn kill_bridge(&mut self) {
        if let Some(container) = &self.container {
            // Killed and removed at once, so a restart can take the name again.
            let _ = Command::new("docker")
                .args(["rm", "-f", &container.name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some((_, child)) = self.children.iter_mut().find(|(what, _)| *what == "bridge") {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the bridge again on the same port and database, and waits until it answers.
    pub fn restart_bridge(&mut self) -> Result<(), StackError> {
        self.kill_bridge();
        let log = File::options()
            .append(true)
            .open(self.dir.join("bridge.log"))?;
        let child = launch("bridge", self.bridge_command(false), log)?;
        if let Some(slot) = self.children.iter_mut().find(|(what, _)| *what == "bridge") {
            slot.1 = child;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let health = format!("{}/healthz", self.bridge_url);
        self.wait_ready(0, &health, deadline)
    }

    /// Delivers a Stripe event to the bridge as Stripe would (signed now); the bridge's
    /// status and answer.
    pub fn stripe_event(&self, event: &serde_json::Value) -> (u16, serde_json::Value) {
        let (body, header) = crate::stripe::StripeStandIn::signed(
            event,
            crate::stripe::WEBHOOK_SECRET,
            chrono::Utc::now().timestamp(),
        );
        let answer = ureq::post(&format!("{}/webhooks/stripe", self.bridge_url))
            .set("Content-Type", "application/json; charset=utf-8")
            .set("Stripe-Signature", &header)
            .send_string(&body);
        match answer {
            Ok(r) => (r.status(), r.into_json().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or_default()),
            Err(e) => (0, serde_json::json!({"error": e.to_string()})),
        }
    }

    /// Fires the worker's Cron Trigger once, as the platform does every minute, and waits
    /// for the scheduled handler to finish (it asks the bridge for a dispatch pass).
    pub fn cron_tick(&self) -> Result<(), StackError> {
        let url = format!("{}/__scheduled?cron=*+*+*+*+*", self.worker_url);
        ureq::get(&url)
            .timeout(Duration::from_secs(30))
            .call()
            .map(|_| ())
            .map_err(|e| StackError::Io(std::io::Error::other(format!("cron tick: {e}"))))
    }

    /// An admin API call to the bridge with the operator key; returns status and body.
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        // The first bridge that answers (one of them may have been stopped).
        let mut last = (0, serde_json::Value::Null);
        for base in &self.bridge_urls {
            last = admin_call(base, method, path, body);
            if last.0 != 0 {
                break;
            }
        }
        last
    }

    /// The process groups of the stack's children, for a signal handler that must stop
    /// them without owning the stack (see [`stop_groups`]).
    pub fn process_groups(&self) -> Vec<i32> {
        self.children
            .iter()
            .filter_map(|(_, c)| i32::try_from(c.id()).ok())
            .collect()
    }
}

/// One admin API call to the bridge at `base` with the operator key; status 0 when it did
/// not answer.
fn admin_call(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let url = format!("{base}{path}");
    let req = ureq::request(method, &url).set("Authorization", &format!("Bearer {OPERATOR_KEY}"));
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return (0, serde_json::Value::String(e.to_string())),
    };
    let status = resp.status();
    let body = resp.into_json().unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// Stops whole process groups: SIGTERM, a short grace period, then SIGKILL.
pub fn stop_groups(groups: &[i32]) {
    for &g in groups {
        let _ = killpg(Pid::from_raw(g), Signal::SIGTERM);
    }
    std::thread::sleep(Duration::from_millis(1500));
    for &g in groups {
        let _ = killpg(Pid::from_raw(g), Signal::SIGKILL);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.container.is_some() {
            self.kill_bridge();
        }
        for (_, child) in &mut self.children {
            stop(child);
        }
    }
}

/// `wrangler dev` serving another worker folder (its own `wrangler.toml`), e.g. the empty
/// worker benchmarks measure as their floor. Stopped on drop.
pub struct Wrangler {
    /// Its loopback origin.
    pub url: String,
    child: Child,
    _temp: tempfile::TempDir,
}

impl Wrangler {
    /// The process id of `wrangler dev` (its `workerd` runs below it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `wrangler dev` for the worker in `folder` (relative to the repository root)
    /// and waits until it answers `GET /`.
    pub fn start(folder: &str) -> Result<Self, StackError> {
        let temp = tempfile::Builder::new()
            .prefix("slotline-wrangler-")
            .tempdir()?;
        let [port, inspector] = free_ports()?;
        let dir = paths::root().join(folder);
        let mut wrangler = Command::new(paths::node_bin().join("wrangler"));
        wrangler
            .current_dir(&dir)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector.to_string()])
            .arg("--persist-to")
            .arg(temp.path().join("state"))
            .args([
                "--log-level",
                "warn",
                "--show-interactive-dev-session=false",
            ])
            .env("PATH", paths::path_with_node_tools())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("NO_COLOR", "1");
        let child = launch(
            "wrangler dev",
            wrangler,
            File::create(temp.path().join("wrangler.log"))?,
        )?;
        let mut w = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            _temp: temp,
        };
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if matches!(agent.get(&w.url).call(), Ok(r) if r.status() == 200) {
                return Ok(w);
            }
            if Instant::now() > deadline || matches!(w.child.try_wait(), Ok(Some(_))) {
                let tail = std::fs::read_to_string(w._temp.path().join("wrangler.log"))
                    .unwrap_or_default();
                return Err(StackError::NotReady {
                    what: "wrangler dev",
                    why: format!("{folder} did not answer"),
                    log: "wrangler.log".into(),
                    tail,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a child and its process group: SIGTERM, then SIGKILL after a grace period.
fn stop(child: &mut Child) {
    let Ok(pid) = i32::try_from(child.id()) else {
        return;
    };
    let group = Pid::from_raw(pid);
    if matches!(child.try_wait(), Ok(Some(_))) {
        // The leader is gone but its group may live on (workerd under wrangler).
        let _ = killpg(group, Signal::SIGKILL);
        return;
    }
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `N` different loopback ports nobody listens on right now (all held while they are
/// picked, so none is picked twice).
pub fn free_ports<const N: usize>() -> std::io::Result<[u16; N]> {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<_>>()?;
    let mut ports = [0u16; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}
