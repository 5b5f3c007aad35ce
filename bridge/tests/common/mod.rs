//! A bridge served on loopback for HTTP tests, with helpers that speak its APIs.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::auth::ReplayGuard;
use slotline_bridge::ports::{Clock, Store, SystemClock};
use slotline_bridge::scheduler::EmbeddedScheduler;
use slotline_bridge::{AppState, app};
use slotline_shared::signing;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

pub const OPERATOR: &str = "operator-key-for-tests-0001";
pub const SECRET: &[u8] = b"worker-secret-for-tests";

/// The secret Cal.com's webhooks to test bridges are signed with.
pub const CALCOM_SECRET: &str = "calcom-webhook-secret-for-tests";

/// A bridge on loopback (system clock, SQLite in a temporary folder), with its state at hand
/// for in-process calls. With `calcom` (the stand-in and its API key) it schedules through
/// Cal.com for providers with event types, and Cal.com's webhooks are registered to it.
pub async fn bridge_with_state(
    calcom: Option<(&slotline_e2e::calcom::CalcomStandIn, &str)>,
) -> (AppState, TestBridge) {
    bridge_with(calcom, None).await
}

/// The key document links are signed with in tests.
pub const LINK_SECRET: &str = "links-0123456789abcdef";

/// The platform's Stripe secret key test bridges use.
pub const STRIPE_KEY: &str = "sk_test_slotline_platform";

/// [`bridge_with_state`], taking deposits through the Stripe stand-in at `stripe` (its
/// webhooks signed with `slotline_e2e::stripe::WEBHOOK_SECRET`).
pub async fn bridge_with(
    calcom: Option<(&slotline_e2e::calcom::CalcomStandIn, &str)>,
    stripe: Option<&str>,
) -> (AppState, TestBridge) {
    bridge_with_accounts(calcom, stripe, Default::default()).await
}

/// [`bridge_with`], with dashboard sign-ins and sign-ups set as `accounts` says.
pub async fn bridge_with_accounts(
    calcom: Option<(&slotline_e2e::calcom::CalcomStandIn, &str)>,
    stripe: Option<&str>,
    accounts: slotline_bridge::accounts::AccountSettings,
) -> (AppState, TestBridge) {
    bridge_sending(calcom, stripe, accounts, None).await
}

/// [`bridge_with_accounts`], sending messages at once through the Twilio stand-in at
/// `twilio` (with [`TWILIO_ACCOUNT`]).
pub async fn bridge_sending(
    calcom: Option<(&slotline_e2e::calcom::CalcomStandIn, &str)>,
    stripe: Option<&str>,
    accounts: slotline_bridge::accounts::AccountSettings,
    twilio: Option<&str>,
) -> (AppState, TestBridge) {
    use slotline_bridge::adapters::calcom::Calcom;
    use slotline_bridge::routes::calcom::WebhookSettings;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bridge.db")).unwrap());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let client = calcom.map(|(cal, key)| {
        Arc::new(Calcom::new(
            Arc::new(slotline_bridge::adapters::http::ReqwestClient::new()),
            &cal.url,
            Some(key.into()),
            110,
        ))
    });
    let scheduler = match &client {
        Some(client) => EmbeddedScheduler::with_calcom(
            Arc::clone(&store),
            Arc::clone(&clock),
            Arc::clone(client),
        ),
        None => EmbeddedScheduler::new(Arc::clone(&store), Arc::clone(&clock)),
    };
    let scheduler: Arc<dyn slotline_bridge::ports::Scheduler> = Arc::new(scheduler);
    let payments = stripe.map(|url| {
        Arc::new(slotline_bridge::payments::Payments::new(
            slotline_bridge::adapters::stripe::StripeClient::new(
                Arc::new(slotline_bridge::adapters::http::ReqwestClient::new()),
                url,
                STRIPE_KEY,
                std::time::Duration::from_millis(1_500),
            ),
            Some(slotline_e2e::stripe::WEBHOOK_SECRET.into()),
            Arc::clone(&store),
            Arc::clone(&scheduler),
            Arc::clone(&clock),
        ))
    });
    let dispatcher = twilio.map(|url| dispatcher_to(Arc::clone(&store), url));
    let state = AppState {
        store,
        scheduler,
        clock,
        worker_secret: Some(Arc::from(SECRET.to_vec())),
        operator_key: Some(Arc::from(OPERATOR)),
        replay: Arc::new(ReplayGuard::default()),
        dispatcher,
        calcom_webhooks: client.as_ref().map(|_| {
            Arc::new(WebhookSettings {
                secret: CALCOM_SECRET.into(),
                allow_unsigned: false,
            })
        }),
        calcom: client,
        payments,
        documents: None,
        accounts: Arc::new(accounts),
        senders: twilio.map(|url| {
            Arc::new(slotline_bridge::adapters::twilio_setup::TwilioSetup::new(
                Arc::new(slotline_bridge::adapters::http::ReqwestClient::new()),
                url,
                url,
                TWILIO_ACCOUNT,
                TWILIO_TOKEN,
                Some("105954558954427".into()),
                Some("https://hooks.slotline.test/webhooks/twilio".into()),
            ))
        }),
        flow_keys: Some(Arc::new(slotline_bridge::flows::keys::KeyRing::new(SECRET))),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut state = state;
    state.documents = Some(Arc::new(slotline_bridge::receipts::LinkSigner::new(
        LINK_SECRET,
        &url,
        chrono::Duration::hours(1),
    )));
    let router = app(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    if let Some((cal, key)) = calcom {
        let registered = reqwest::Client::new()
            .post(format!("{}/v2/webhooks", cal.url))
            .bearer_auth(key)
            .json(&json!({"subscriberUrl": format!("{url}/webhooks/calcom"), "active": true,
                          "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED", "BOOKING_NO_SHOW_UPDATED", "MEETING_ENDED"],
                          "secret": CALCOM_SECRET}))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), StatusCode::CREATED);
    }
    (state, TestBridge::at(url, Some(dir)))
}

pub struct TestBridge {
    pub url: String,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

impl TestBridge {
    pub async fn start() -> Self {
        bridge_with_state(None).await.1
    }

    /// Talks to a bridge already listening at `url`.
    pub fn at(url: String, dir: Option<tempfile::TempDir>) -> Self {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            url,
            client,
            _dir: dir,
        }
    }

    /// An admin call with `key`; returns status and JSON body (Null if empty).
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A signed worker call.
    pub async fn rpc(&self, tenant: &str, request: &BridgeRequest) -> BridgeAnswer {
        self.try_rpc(tenant, request)
            .await
            .unwrap_or_else(|e| panic!("rpc {request:?}: {e}"))
    }

    /// A signed worker call that may fail (the bridge may be gone).
    pub async fn try_rpc(
        &self,
        tenant: &str,
        request: &BridgeRequest,
    ) -> Result<BridgeAnswer, String> {
        let path = format!("/worker/{tenant}/rpc");
        let body = serde_json::to_vec(request).unwrap();
        let resp = self
            .try_signed(Method::POST, &path, body)
            .await
            .map_err(|e| e.to_string())?;
        if resp.status() != StatusCode::OK {
            return Err(format!("status {}", resp.status()));
        }
        resp.json().await.map_err(|e| e.to_string())
    }

    pub async fn signed(&self, method: Method, path: &str, body: Vec<u8>) -> reqwest::Response {
        self.try_signed(method, path, body).await.unwrap()
    }

    pub async fn try_signed(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::Result<reqwest::Response> {
        static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let ts = Utc::now().timestamp();
        let n = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = format!("nonce-{n:016x}");
        let sig = signing::sign(SECRET, method.as_str(), path, ts, &nonce, &body);
        self.client
            .request(method, format!("{}{path}", self.url))
            .header(signing::TIMESTAMP_HEADER, ts.to_string())
            .header(signing::NONCE_HEADER, nonce)
            .header(signing::SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await
    }

    /// Creates a tenant whose `providers` work 08:00–20:00 every day and offer a 30-minute
    /// service "cut"; returns its API key.
    pub async fn salon(&self, id: &str, providers: usize) -> String {
        let (status, created) = self
            .admin(
                Method::POST,
                "/admin/tenants",
                OPERATOR,
                Some(json!({"id": id, "name": format!("Salon {id}"), "zone": "Europe/Madrid",
                            "languages": ["en", "es"], "policy": {"min_notice_min": 0, "hold_ttl_min": 10}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let key = created["api_key"].as_str().unwrap().to_owned();
        let (status, body) = self
            .admin(
                Method::POST,
                &format!("/admin/tenants/{id}/services"),
                &key,
                Some(json!({"id": "cut", "name": "Haircut", "duration_min": 30, "price_minor": 2000, "currency": "EUR"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let day = json!([{"start": "08:00", "end": "20:00"}]);
        for i in 0..providers {
            let pid = format!("p{i}");
            let (status, body) = self
                .admin(
                    Method::POST,
                    &format!("/admin/tenants/{id}/providers"),
                    &key,
                    Some(json!({"id": pid, "name": format!("Provider {i}"), "services": ["cut"]})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let week = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
            let (status, body) = self
                .admin(
                    Method::PUT,
                    &format!("/admin/tenants/{id}/providers/{pid}/availability"),
                    &key,
                    Some(week),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        key
    }
}

/// A Madrid-local day `days` from today.
pub fn day(days: i64) -> NaiveDate {
    (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + Duration::days(days)).date_naive()
}

/// A Madrid-local time on a day `days` from today, as UTC.
pub fn at(days: i64, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Madrid
        .from_local_datetime(&day(days).and_hms_opt(h, m, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

pub fn phone(n: u32) -> slotline_shared::phone::PhoneNumber {
    slotline_shared::phone::PhoneNumber::parse(&format!("+3461{n:07}")).unwrap()
}

/// A bridge process started by a test, and the URL it listens on.
pub struct Spawned {
    pub child: Child,
    pub url: String,
}

/// A child process killed when dropped, so a failing test leaves no bridge behind.
pub struct Child(pub std::process::Child);

impl std::ops::Deref for Child {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Child {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the bridge binary with its database at `db`, configured like [`TestBridge`]
/// (same secret and operator key), and waits until it answers.
pub async fn spawn_bridge(db: &std::path::Path) -> Spawned {
    spawn_bridge_with(db, &[]).await
}

/// The bridge binary with extra environment variables. It picks its own free port and
/// says which in a file, so no other process can take the port between a test choosing it
/// and the bridge binding it.
pub async fn spawn_bridge_with(db: &std::path::Path, vars: &[(&str, String)]) -> Spawned {
    spawn(db, vars, std::process::Stdio::null()).await
}

/// [`spawn_bridge_with`], its standard output (the log) piped to the test.
pub async fn spawn_bridge_logging(db: &std::path::Path, vars: &[(&str, String)]) -> Spawned {
    spawn(db, vars, std::process::Stdio::piped()).await
}

/// Starts the bridge; `vars` override the test defaults (its log level, say).
async fn spawn(
    db: &std::path::Path,
    vars: &[(&str, String)],
    stdout: std::process::Stdio,
) -> Spawned {
    static STARTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let addr_file = db.with_file_name(format!(
        "bridge-{}-{n}.addr",
        db.file_stem().and_then(|s| s.to_str()).unwrap_or("db")
    ));
    let _ = std::fs::remove_file(&addr_file);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
        .env("SLOTLINE_DATABASE", db)
        .env("SLOTLINE_BRIDGE_ADDR", "127.0.0.1:0")
        .env("SLOTLINE_ADDR_FILE", &addr_file)
        .env(
            "SLOTLINE_WORKER_SECRET",
            std::str::from_utf8(SECRET).unwrap(),
        )
        .env("SLOTLINE_OPERATOR_KEY", OPERATOR)
        .env("RUST_LOG", "warn")
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("bridge binary");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(&addr_file) {
            break addr;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the bridge exited before listening: {status}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bridge did not start listening"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let url = format!("http://{}", addr.trim());
    wait_ready(&url).await;
    Spawned {
        child: Child(child),
        url,
    }
}

/// Waits until the bridge at `url` answers its health check.
pub async fn wait_ready(url: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{url}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("bridge at {url} did not come up");
}

/// Twilio account and token the dispatcher tests use with the stand-in.
pub const TWILIO_ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
/// Its auth token.
pub const TWILIO_TOKEN: &str = "twilio-token-for-tests";

/// Writes `tenants` tenants straight into `store`, each with its own WhatsApp number and an
/// approved template for the short reminder, and `per_tenant` bookings each with a short
/// reminder due at `now` (to distinct customers). Returns every customer.
pub async fn seed_due_reminders(
    store: &dyn Store,
    tenants: usize,
    per_tenant: usize,
    now: DateTime<Utc>,
    template_sid: &str,
) -> Vec<slotline_shared::phone::PhoneNumber> {
    use slotline_bridge::lifecycle::Planned;
    use slotline_bridge::model::{
        BookingPolicy, Messaging, ProviderRecord, Reminders, ServiceRecord, Stage, Tenant,
    };
    use slotline_bridge::ports::{Candidate, ChangeOutcome, HoldOutcome, NewHold, Planner};
    use slotline_shared::i18n::Lang;

    let mut customers = Vec::new();
    for t in 0..tenants {
        let id = slotline_shared::catalog::TenantId(format!("t{t:02}"));
        let mut reminders = Reminders {
            quiet_hours: None,
            ..Reminders::default()
        };
        reminders.templates.insert(
            Stage::ShortlyBefore,
            [(Lang::En, template_sid.to_owned())].into_iter().collect(),
        );
        let tenant = Tenant {
            id: id.clone(),
            name: format!("Salon {t}"),
            zone: chrono_tz::Europe::Madrid,
            languages: vec![Lang::En],
            numbers: vec![
                slotline_shared::phone::PhoneNumber::parse(&format!("+1415555{t:04}")).unwrap(),
            ],
            keywords: vec![],
            greeting: None,
            emoji: false,
            policy: BookingPolicy::default(),
            interactive: false,
            address: None,
            maps_url: None,
            llm_monthly_calls: 200,
            logo_url: None,
            reminders,
            messaging: Messaging::default(),
            payments: Default::default(),
            billing: None,
            onboarding: Default::default(),
            senders: Vec::new(),
            template_requests: Vec::new(),
            flows: Default::default(),
        };
        store
            .create_tenant(&tenant, &format!("hash-{t}"))
            .await
            .unwrap();
        store
            .put_service(
                &id,
                &ServiceRecord {
                    id: "cut".into(),
                    name: "Haircut".into(),
                    description: String::new(),
                    duration_min: 30,
                    price_minor: 2000,
                    currency: "EUR".into(),
                    deposit_minor: None,
                    deposit_percent: None,
                    buffer_before_min: 0,
                    buffer_after_min: 0,
                    image_url: None,
                    aliases: vec![],
                    translations: Default::default(),
                    active: true,
                },
            )
            .await
            .unwrap();
        store
            .put_provider(
                &id,
                &ProviderRecord {
                    id: "p0".into(),
                    name: "Maria".into(),
                    rating_tenths: None,
                    aliases: vec![],
                    services: vec!["cut".into()],
                    weight: 1,
                    max_per_day: None,
                    zone: None,
                    active: true,
                    calcom_event_types: Default::default(),
                },
            )
            .await
            .unwrap();
        let due: Planner = Arc::new(move |_| {
            vec![Planned {
                stage: Stage::ShortlyBefore,
                due_at: now,
                send_at: now,
            }]
            .into()
        });
        for k in 0..per_tenant {
            let who = phone(u32::try_from(t * 100_000 + k).unwrap());
            let start = now + Duration::days(2) + Duration::minutes(30 * k as i64);
            let hold = NewHold {
                tenant: id.clone(),
                service: "cut".into(),
                candidates: vec![Candidate {
                    provider: "p0".into(),
                    weight: 1,
                    max_per_day: None,
                }],
                customer: who.clone(),
                start,
                end: start + Duration::minutes(30),
                block_start: start,
                block_end: start + Duration::minutes(30),
                expires_at: now + Duration::minutes(10),
                day: (start - Duration::hours(12), start + Duration::hours(12)),
                fairness_since: now - Duration::days(30),
                idempotency_key: format!("seed-{t}-{k}"),
                deposit: None,
            };
            let (HoldOutcome::Held(r), _) = store.hold(&hold, now).await.unwrap() else {
                panic!("seed hold {t}/{k} refused");
            };
            let done = store
                .confirm(
                    &id,
                    &r.id,
                    &format!("SL-{t:02}{k:04}"),
                    now,
                    Arc::clone(&due),
                )
                .await
                .unwrap();
            assert!(matches!(done, ChangeOutcome::Done(_)));
            customers.push(who);
        }
    }
    customers
}

/// When each sender's messages reached the stand-in, in order, by sender.
pub fn times_by_sender(
    sent: &[slotline_e2e::twilio::Sent],
) -> std::collections::HashMap<String, Vec<std::time::Instant>> {
    let mut by_sender: std::collections::HashMap<String, Vec<std::time::Instant>> =
        std::collections::HashMap::new();
    for m in sent {
        by_sender.entry(m.from.clone()).or_default().push(m.at);
    }
    for times in by_sender.values_mut() {
        times.sort();
    }
    by_sender
}

/// The most messages any sender sent within one second, per sender.
pub fn busiest_second(
    sent: &[slotline_e2e::twilio::Sent],
) -> std::collections::HashMap<String, usize> {
    times_by_sender(sent)
        .into_iter()
        .map(|(sender, times)| {
            let mut most = 0;
            let mut first = 0;
            for (i, t) in times.iter().enumerate() {
                while t.duration_since(times[first]) >= std::time::Duration::from_secs(1) {
                    first += 1;
                }
                most = most.max(i + 1 - first);
            }
            (sender, most)
        })
        .collect()
}

/// The dispatcher the load test and benchmark run: the SQLite store, the system clock and
/// Twilio's client pointed at the stand-in at `twilio_url`.
pub fn dispatcher_to(
    store: Arc<dyn Store>,
    twilio_url: &str,
) -> Arc<slotline_bridge::dispatch::Dispatcher> {
    use slotline_bridge::dispatch::{DispatchSettings, Dispatcher};
    Arc::new(Dispatcher::new(
        store,
        Arc::new(slotline_bridge::adapters::TwilioMessenger::new(
            Arc::new(slotline_bridge::adapters::http::ReqwestClient::new()),
            twilio_url,
            twilio_url,
            std::collections::HashMap::from([(TWILIO_ACCOUNT.to_owned(), TWILIO_TOKEN.to_owned())]),
        )),
        Arc::new(SystemClock),
        DispatchSettings {
            default_account: Some(TWILIO_ACCOUNT.into()),
            ..DispatchSettings::default()
        },
    ))
}

/// A Twilio stand-in answering after `delay`, `tenants` × `per_tenant` reminders due now in
/// the database at `db`, and the settings of a bridge that sends them through it (a pass a
/// second).
pub async fn sending_bridge_setup(
    db: &std::path::Path,
    tenants: usize,
    per_tenant: usize,
    delay: std::time::Duration,
) -> (
    slotline_e2e::twilio::TwilioStandIn,
    Vec<(&'static str, String)>,
) {
    let twilio =
        slotline_e2e::twilio::TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let sid = twilio.approved_template(
        json!({"twilio/text": {"body": "See you soon at {{1}}: {{2}}, {{4}}."}}),
    );
    {
        let store = SqliteStore::open(db).unwrap();
        seed_due_reminders(&store, tenants, per_tenant, Utc::now(), &sid).await;
    }
    twilio.set_delay(delay);
    let vars = vec![
        ("TWILIO_API_URL", twilio.url.clone()),
        ("TWILIO_CONTENT_URL", twilio.url.clone()),
        ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT.to_owned()),
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_owned()),
        ("SLOTLINE_DISPATCH_EVERY_SECS", "1".to_owned()),
    ];
    (twilio, vars)
}

/// Waits until Twilio has accepted `n` messages.
pub async fn wait_for_sends(twilio: &slotline_e2e::twilio::TwilioStandIn, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while twilio.sent().len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the dispatcher did not start sending"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Waits until no lifecycle message of tenants `t00`… (`tenants` of them) is pending any
/// more — only a pending message can be sent, so after that no duplicate can follow,
/// however long one waits — and checks that every one was sent. Returns how many were found
/// already sent at Twilio after a bridge died (`via` `recovered`), not sent again.
pub async fn settled_outbox(http: &TestBridge, tenants: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut rows = Vec::new();
        for t in 0..tenants {
            let (_, outbox) = http
                .admin(
                    Method::GET,
                    &format!("/admin/tenants/t{t:02}/outbox"),
                    OPERATOR,
                    None,
                )
                .await;
            rows.extend(outbox.as_array().cloned().unwrap_or_default());
        }
        let unsettled = rows.iter().filter(|m| m["state"] == "pending").count();
        if unsettled == 0 {
            assert!(
                rows.iter().all(|m| m["state"] == "sent"),
                "not every message was sent: {rows:?}"
            );
            return rows.iter().filter(|m| m["via"] == "recovered").count();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{unsettled} messages never settled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How many messages Twilio accepted for each customer.
pub fn per_customer(
    sent: &[slotline_e2e::twilio::Sent],
) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for m in sent {
        *counts.entry(m.to.clone()).or_insert(0) += 1;
    }
    counts
}

/// Latency of `n` sequential GETs to `url`, in milliseconds.
/// The benchmarks' floor: an empty axum handler on its own thread and runtime; its URL.
pub fn floor_server() -> String {
    let floor_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    floor_listener.set_nonblocking(true).unwrap();
    let floor_url = format!("http://{}/", floor_listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(floor_listener).unwrap();
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "" }));
            axum::serve(listener, app).await.unwrap();
        });
    });
    floor_url
}

pub async fn get_latencies(http: &reqwest::Client, url: &str, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = std::time::Instant::now();
        let r = http.get(url).send().await.unwrap();
        let _ = r.bytes().await.unwrap();
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    out
}

/// Latencies in milliseconds of `slots` asked of `tenant` through `bridge`: 60 cold, each
/// after putting `profile` back (a configuration change drops every bridge's cached slots of
/// the tenant), then 1,000 warm.
pub async fn slot_latencies(
    bridge: &TestBridge,
    tenant: &str,
    profile: &Value,
    slots: &BridgeRequest,
) -> (Vec<f64>, Vec<f64>) {
    let mut cold = Vec::new();
    for _ in 0..60 {
        let path = format!("/admin/tenants/{tenant}");
        let (status, answer) = bridge
            .admin(Method::PUT, &path, OPERATOR, Some(profile.clone()))
            .await;
        assert!(status.is_success(), "PUT {path}: {status} {answer}");
        let t = std::time::Instant::now();
        bridge.rpc(tenant, slots).await;
        cold.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut warm = Vec::new();
    for _ in 0..1000 {
        let t = std::time::Instant::now();
        bridge.rpc(tenant, slots).await;
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (cold, warm)
}
