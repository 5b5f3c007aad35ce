//! Bridges on PostgreSQL (`SLOTLINE_DATABASE=postgres://…`): two bridge processes on one
//! database never grant one time twice, and a wrong URL stops a bridge with a message that
//! names the server. Each test makes a database of its own on the local server (or the one
//! `SLOTLINE_TEST_POSTGRES` names) and drops it afterwards.

mod common;

use std::sync::Arc;

use common::{OPERATOR, Spawned, TestBridge, at, phone, spawn_bridge_with};
use reqwest::Method;
use slotline_bridge::adapters::PgStore;
use slotline_shared::wire::{BridgeAnswer, BridgeRequest};

fn admin_url() -> String {
    std::env::var("SLOTLINE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Two bridge processes on the database at `url`, with `vars` besides its URL, their own
/// files in `dir`. Each is killed when dropped, which must come before its database's.
async fn two_bridges(
    url: &str,
    dir: &std::path::Path,
    vars: &[(&str, String)],
) -> (Spawned, Spawned) {
    let mut all = vec![("SLOTLINE_DATABASE", url.to_owned())];
    all.extend_from_slice(vars);
    (
        spawn_bridge_with(&dir.join("a.db"), &all).await,
        spawn_bridge_with(&dir.join("b.db"), &all).await,
    )
}

/// A fresh database (dropped with the returned store) and its URL.
async fn database(name: &str) -> (PgStore, String) {
    let name = format!("slotline_{name}_{}", std::process::id());
    let store = PgStore::scratch(&admin_url(), &name)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for the test: {e}"));
    let mut url = admin_url();
    let cut = url.rfind('/').expect("a database in the URL");
    url.truncate(cut + 1);
    url.push_str(&name);
    (store, url)
}

fn hold(
    start: chrono::DateTime<chrono::Utc>,
    provider: Option<&str>,
    who: u32,
    key: &str,
) -> BridgeRequest {
    BridgeRequest::Hold {
        service: "cut".into(),
        provider: provider.map(Into::into),
        start,
        customer: phone(who),
        idempotency_key: key.into(),
    }
}

/// Two bridges, one database: 200 customers race for one slot (half through each bridge)
/// and exactly one gets it; then 200 "any available" holds over 5 providers, spread over
/// both, never overlap (checked in SQL) and are shared fairly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bridges_on_one_database_never_grant_one_time_twice() {
    let (store, url) = database("two_bridges").await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_bridges(&url, dir.path(), &[]).await;
    let bridges = Arc::new([
        TestBridge::at(a.url.clone(), None),
        TestBridge::at(b.url.clone(), None),
    ]);
    for bridge in bridges.iter() {
        let (status, health) = bridge.admin(Method::GET, "/healthz", OPERATOR, None).await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["store"]["backend"], "postgres", "{health}");
    }
    bridges[0].salon("race", 5).await;

    // A worker request captured on its way to one bridge and replayed to the other is
    // refused there: the bridges share their used nonces.
    let path = "/worker/race/snapshot";
    let ts = chrono::Utc::now().timestamp();
    let signature =
        slotline_shared::signing::sign(common::SECRET, "GET", path, ts, "captured-1", b"");
    let send = |url: String| {
        let signature = signature.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{url}{path}"))
                .header(slotline_shared::signing::TIMESTAMP_HEADER, ts.to_string())
                .header(slotline_shared::signing::NONCE_HEADER, "captured-1")
                .header(slotline_shared::signing::SIGNATURE_HEADER, signature)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(send(a.url.clone()).await.status(), 200);
    let replayed = send(b.url.clone()).await;
    assert_eq!(replayed.status(), 401);
    assert!(replayed.text().await.unwrap().contains("already used"));

    let start = at(2, 10, 0);
    let tasks: Vec<_> = (0..200u32)
        .map(|i| {
            let bridges = Arc::clone(&bridges);
            tokio::spawn(async move {
                bridges[(i % 2) as usize]
                    .rpc("race", &hold(start, Some("p0"), i, &format!("race-{i}")))
                    .await
            })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        match t.await.unwrap() {
            BridgeAnswer::Held { .. } => granted += 1,
            BridgeAnswer::Taken { .. } => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(granted, 1, "one slot, {granted} holds");

    // Any provider may take each of 200 times; 40 start times over two days, each asked for
    // 5 times.
    let tasks: Vec<_> = (0..200u32)
        .map(|i| {
            let bridges = Arc::clone(&bridges);
            let start = at(3 + i64::from((i % 40) / 20), 9 + (i % 20) / 2, 30 * (i % 2));
            tokio::spawn(async move {
                bridges[(i % 2) as usize]
                    .rpc("race", &hold(start, None, 1000 + i, &format!("any-{i}")))
                    .await
            })
        })
        .collect();
    let mut held = 0;
    for t in tasks {
        if let BridgeAnswer::Held { .. } = t.await.unwrap() {
            held += 1;
        }
    }
    // 40 times × 5 providers: every request fits.
    assert_eq!(held, 200);

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let overlaps: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM reservations x JOIN reservations y
               ON x.tenant_id = y.tenant_id AND x.provider_id = y.provider_id AND x.id < y.id
              AND x.block_start < y.block_end AND y.block_start < x.block_end
             WHERE x.status IN ('held', 'confirmed') AND y.status IN ('held', 'confirmed')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(overlaps, 0, "overlapping reservations in the database");
    let per_provider: Vec<i64> = client
        .query(
            "SELECT COUNT(*) FROM reservations WHERE idem_key LIKE 'any-%' GROUP BY provider_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (lo, hi) = (
        per_provider.iter().min().copied().unwrap_or(0),
        per_provider.iter().max().copied().unwrap_or(0),
    );
    assert_eq!(per_provider.len(), 5, "{per_provider:?}");
    assert!(hi - lo <= 1, "unfair spread {per_provider:?}");

    // The database itself refuses an overlapping live reservation, whatever writes it.
    let refused = client
        .execute(
            "INSERT INTO reservations (id, tenant_id, provider_id, service_id, customer, start_at, end_at,
                 block_start, block_end, status, created_at)
             SELECT 'sneaky', tenant_id, provider_id, service_id, customer, start_at, end_at,
                 block_start, block_end, 'confirmed', created_at
             FROM reservations WHERE status = 'held' LIMIT 1",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::EXCLUSION_VIOLATION),
        "{refused:?}"
    );

    drop((a, b));
    drop(client);
    drop(store);
}

/// A bridge pointed at a PostgreSQL server that is not there stops at once and says where
/// it tried, without the password.
#[tokio::test]
async fn a_wrong_database_url_stops_the_bridge_with_a_clear_message() {
    let port = slotline_e2e::stack::free_port().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
        .env(
            "SLOTLINE_DATABASE",
            format!("postgres://ana:hunter2-secret@127.0.0.1:{port}/slotline"),
        )
        .env("SLOTLINE_BRIDGE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains(&format!("127.0.0.1:{port}/slotline")),
        "does not say where: {said}"
    );
    assert!(!said.contains("hunter2"), "shows the password: {said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// What the admin API shows of a tenant: its bookings (reference, status, provider,
/// start) and customers, for comparing two bridges.
async fn admin_view(bridge: &TestBridge, tenant: &str) -> (serde_json::Value, serde_json::Value) {
    let from = common::day(0);
    let to = common::day(30);
    let (_, bookings) = bridge
        .admin(
            Method::GET,
            &format!("/admin/tenants/{tenant}/bookings?from={from}&to={to}"),
            OPERATOR,
            None,
        )
        .await;
    let (_, customers) = bridge
        .admin(
            Method::GET,
            &format!("/admin/tenants/{tenant}/customers"),
            OPERATOR,
            None,
        )
        .await;
    (bookings, customers)
}

/// An embedded install with bookings made, moved and cancelled moves to PostgreSQL with
/// `slotline-bridge migrate --from sqlite:… --to postgres://…`: every table verified, and a
/// bridge on PostgreSQL shows what the SQLite one showed and carries on booking. A second
/// migration into the same database is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_install_moves_to_postgres_intact() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("embedded.db");
    let mut embedded = spawn_bridge_with(&sqlite, &[("SLOTLINE_SEED_DEMO", "1".into())]).await;
    let bridge = TestBridge::at(embedded.url.clone(), None);
    bridge.salon("physio", 3).await;
    let mut references = Vec::new();
    for i in 0..6u32 {
        let start = at(2 + i64::from(i % 3), 9 + i, 0);
        let BridgeAnswer::Held { hold: h } = bridge
            .rpc("physio", &hold(start, None, 500 + i, &format!("h{i}")))
            .await
        else {
            panic!("hold {i} refused");
        };
        let BridgeAnswer::Booked { booking } = bridge
            .rpc(
                "physio",
                &BridgeRequest::Confirm {
                    hold: h.id,
                    idempotency_key: format!("c{i}"),
                },
            )
            .await
        else {
            panic!("confirm {i}");
        };
        references.push((
            booking.reference,
            phone(500 + i),
            booking.provider,
            booking.start,
        ));
    }
    let (reference, customer, _, _) = references[0].clone();
    let cancelled = bridge
        .rpc(
            "physio",
            &BridgeRequest::Cancel {
                booking: reference,
                customer,
                idempotency_key: "x0".into(),
            },
        )
        .await;
    assert!(
        matches!(cancelled, BridgeAnswer::Cancelled { .. }),
        "{cancelled:?}"
    );
    let before = admin_view(&bridge, "physio").await;
    let demo_before = admin_view(&bridge, "demo").await;
    let _ = embedded.child.kill();
    let _ = embedded.child.wait();

    let (store, url) = database("moved").await;
    let migrate = |to: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
            .args([
                "migrate",
                "--from",
                &format!("sqlite:{}", sqlite.display()),
                "--to",
                to,
            ])
            .output()
            .unwrap()
    };
    let out = migrate(&url);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for table in [
        "tenants",
        "reservations",
        "status_history",
        "customers",
        "outbox",
    ] {
        let line = said
            .lines()
            .find(|l| l.starts_with(table))
            .unwrap_or_else(|| panic!("no line for {table}: {said}"));
        assert!(line.ends_with("ok"), "{line}");
    }
    let reservations: u64 = said
        .lines()
        .find(|l| l.starts_with("reservations"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(reservations, 6, "{said}");

    let mut moved = spawn_bridge_with(
        &dir.path().join("unused.db"),
        &[("SLOTLINE_DATABASE", url.clone())],
    )
    .await;
    let bridge = TestBridge::at(moved.url.clone(), None);
    assert_eq!(admin_view(&bridge, "physio").await, before);
    assert_eq!(admin_view(&bridge, "demo").await, demo_before);
    // It carries on: the cancelled time is free again, the booked ones are not.
    for (i, (_, _, provider, start)) in references.iter().enumerate() {
        let asked = bridge
            .rpc(
                "physio",
                &hold(
                    *start,
                    Some(provider.as_str()),
                    900 + i as u32,
                    &format!("after-{i}"),
                ),
            )
            .await;
        if i == 0 {
            assert!(matches!(asked, BridgeAnswer::Held { .. }), "{asked:?}");
        } else {
            assert!(
                matches!(asked, BridgeAnswer::Taken { .. }),
                "booking {i}: {asked:?}"
            );
        }
    }

    let again = migrate(&url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let _ = moved.child.kill();
    let _ = moved.child.wait();
    drop(store);
}

fn offered(answer: &BridgeAnswer) -> Vec<chrono::DateTime<chrono::Utc>> {
    match answer {
        BridgeAnswer::Slots { slots } => slots.iter().map(|s| s.start).collect(),
        other => panic!("expected slots, got {other:?}"),
    }
}

/// How long until `bridge`'s answer to `slots` offers `time` (`offers`) or stops offering it;
/// `None` if that takes over half a second.
async fn offers_within(
    bridge: &TestBridge,
    tenant: &str,
    slots: &BridgeRequest,
    time: chrono::DateTime<chrono::Utc>,
    offers: bool,
) -> Option<std::time::Duration> {
    let told = std::time::Instant::now();
    while told.elapsed() < std::time::Duration::from_millis(500) {
        if offered(&bridge.rpc(tenant, slots).await).contains(&time) == offers {
            return Some(told.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    None
}

/// Bridge A has a day's free times cached; a customer holds one of them through bridge B,
/// and a booking there is cancelled: A stops offering the held time and offers the freed
/// one again within moments (told over `LISTEN/NOTIFY`), long before its cache would expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_bridge_reaches_the_other_bridges_offers() {
    let (store, url) = database("caches").await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_bridges(&url, dir.path(), &[]).await;
    let (bridge_a, bridge_b) = (
        TestBridge::at(a.url.clone(), None),
        TestBridge::at(b.url.clone(), None),
    );
    bridge_a.salon("cache", 1).await;
    let slots = BridgeRequest::Slots {
        service: "cut".into(),
        provider: Some("p0".into()),
        from: common::day(3),
        days: 1,
    };
    let before = offered(&bridge_a.rpc("cache", &slots).await);
    assert!(before.len() > 4, "{before:?}");
    // The same question again is answered from A's cache.
    assert_eq!(offered(&bridge_a.rpc("cache", &slots).await), before);

    let taken = before[2];
    let answer = bridge_b
        .rpc("cache", &hold(taken, Some("p0"), 1, "via-b"))
        .await;
    let BridgeAnswer::Held { hold: h } = answer else {
        panic!("{answer:?}");
    };
    let lag = offers_within(&bridge_a, "cache", &slots, taken, false)
        .await
        .expect("bridge A still offers a time held through bridge B");
    eprintln!(
        "bridge A stopped offering the held time {} ms after B answered",
        lag.as_millis()
    );

    // Released through B: A offers it again.
    let released = bridge_b
        .rpc("cache", &BridgeRequest::Release { hold: h.id })
        .await;
    assert!(matches!(released, BridgeAnswer::Released), "{released:?}");
    offers_within(&bridge_a, "cache", &slots, taken, true)
        .await
        .expect("bridge A never offered the released time again");
    drop((a, b));
    drop(store);
}

/// 10,000 due reminders over 50 senders, dispatched by two bridges at once on one
/// PostgreSQL database (each with its own connections, claims and pacing): every customer
/// gets theirs once, and no sender goes over its 80 a second in total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bridges_dispatch_every_reminder_once_within_each_senders_rate() {
    use common::{TWILIO_ACCOUNT, TWILIO_TOKEN, busiest_second, dispatcher_to, seed_due_reminders};
    use slotline_bridge::ports::Store;

    let (first, url) = database("dispatch").await;
    let twilio =
        slotline_e2e::twilio::TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let sid = twilio.approved_template(
        serde_json::json!({"twilio/text": {"body": "See you soon at {{1}}: {{2}}, {{4}}."}}),
    );
    // Seeded through SQLite and moved over as an operator would: 10,000 bookings one by one
    // over the network would take most of a minute.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("seed.db");
    {
        let seed = slotline_bridge::adapters::SqliteStore::open(&sqlite).unwrap();
        let customers = seed_due_reminders(&seed, 50, 200, chrono::Utc::now(), &sid).await;
        assert_eq!(customers.len(), 10_000);
    }
    slotline_bridge::adapters::postgres::copy::copy_from_sqlite(&sqlite, &first)
        .await
        .unwrap();
    let first: Arc<dyn Store> = Arc::new(first);
    let second: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let (a, b) = (
        dispatcher_to(Arc::clone(&first), &twilio.url),
        dispatcher_to(Arc::clone(&second), &twilio.url),
    );
    // Each bridge passes again and again, as its timer (or the worker's cron) makes it,
    // until everything is sent.
    let started = std::time::Instant::now();
    let keep_passing = |d: Arc<slotline_bridge::dispatch::Dispatcher>| {
        let twilio = &twilio;
        async move {
            let mut total = slotline_bridge::dispatch::Report::default();
            while twilio.sent().len() < 10_000 {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "not everything was sent within a minute"
                );
                let r = d.tick().await.unwrap();
                total.sent += r.sent;
                if r.sent == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
            total
        }
    };
    let (ra, rb) = tokio::join!(keep_passing(Arc::clone(&a)), keep_passing(Arc::clone(&b)));
    let took = started.elapsed();
    assert_eq!(ra.sent + rb.sent, 10_000, "{ra:?} {rb:?}");
    assert!(
        ra.sent > 0 && rb.sent > 0,
        "one bridge did all: {ra:?} {rb:?}"
    );

    let sent = twilio.sent();
    let mut counts = std::collections::HashMap::new();
    for m in &sent {
        *counts.entry(m.to.clone()).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), 10_000, "every customer got their reminder");
    assert!(counts.values().all(|n| *n == 1), "nobody got one twice");
    let busiest = busiest_second(&sent);
    assert_eq!(busiest.len(), 50);
    // Slots are 1/80 s apart across both bridges; arrivals carry a few milliseconds of
    // jitter on this 2-core machine.
    let worst = busiest.values().max().copied().unwrap_or(0);
    assert!(worst <= 82, "a sender sent {worst} messages in one second");
    let floor = std::time::Duration::from_secs_f64(199.0 / 80.0);
    eprintln!(
        "two bridges: 10,000 reminders over 50 senders in {took:?} ({} + {}; floor {floor:?}, ratio {:.2}; busiest second {worst})",
        ra.sent,
        rb.sent,
        took.as_secs_f64() / floor.as_secs_f64()
    );
    drop((a, b, second));
}

/// Two bridges in Cal.com mode on one database, Cal.com's webhooks going to bridge B only.
/// A booking made through A is announced by Cal.com to B while A is still making it: B
/// knows it for A's own (it does not cancel it as an orphan). A booking the business makes
/// on Cal.com's page reaches B, and A stops offering that time though its cache was fresh.
/// Both bridges draw on one call budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cal_com_changes_are_known_to_every_bridge() {
    use chrono::TimeZone;
    use slotline_e2e::calcom::{CalcomStandIn, Host};
    const KEY: &str = "cal_two_bridges_key_0001";
    let (store, url) = database("calcom").await;
    let cal = CalcomStandIn::start(&[(KEY, 9)]).unwrap();
    let lima = chrono_tz::America::Lima;
    cal.add_host(Host {
        id: 9,
        name: "Rosa Quispe".into(),
        email: "rosa@consultorio.example".into(),
        zone: lima,
        from: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        to: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
    });
    let event_type = cal.add_event_type("consulta-rosa", 45, 9, 0);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("CALCOM_API_URL", cal.url.clone()),
        ("CALCOM_API_KEY", KEY.to_owned()),
        ("CALCOM_WEBHOOK_SECRET", common::CALCOM_SECRET.to_owned()),
    ];
    let (a, b) = two_bridges(&url, dir.path(), &vars).await;
    let registered = reqwest::Client::new()
        .post(format!("{}/v2/webhooks", cal.url))
        .bearer_auth(KEY)
        .json(&serde_json::json!({
            "subscriberUrl": format!("{}/webhooks/calcom", b.url), "active": true,
            "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"],
            "secret": common::CALCOM_SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let bridge_a = TestBridge::at(a.url.clone(), None);
    let (status, created) = bridge_a
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(
                serde_json::json!({"id": "consultorio", "name": "Consultorio Quispe",
                "zone": "America/Lima", "languages": ["es"], "policy": {"min_notice_min": 0}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    for (path, body) in [
        (
            "services",
            serde_json::json!({"id": "consulta", "name": "Consulta", "duration_min": 45,
                "price_minor": 12000, "currency": "PEN"}),
        ),
        (
            "providers",
            serde_json::json!({"id": "rosa", "name": "Rosa", "services": ["consulta"],
                "calcom_event_types": {"consulta": event_type}}),
        ),
    ] {
        let (status, answer) = bridge_a
            .admin(
                Method::POST,
                &format!("/admin/tenants/consultorio/{path}"),
                &key,
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let day = (chrono::Utc::now().with_timezone(&lima) + chrono::Duration::days(2)).date_naive();
    let local = |h: u32, m: u32| {
        lima.from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let slots = BridgeRequest::Slots {
        service: "consulta".into(),
        provider: None,
        from: day,
        days: 1,
    };
    let offered_by_a = offered(&bridge_a.rpc("consultorio", &slots).await);
    let (ours, business) = (local(9, 45), local(15, 0));
    assert!(
        offered_by_a.contains(&ours) && offered_by_a.contains(&business),
        "{offered_by_a:?}"
    );

    // Booked through A; Cal.com tells B during the create.
    let held = bridge_a
        .rpc(
            "consultorio",
            &BridgeRequest::Hold {
                service: "consulta".into(),
                provider: None,
                start: ours,
                customer: phone(7),
                idempotency_key: "ours".into(),
            },
        )
        .await;
    let BridgeAnswer::Held { hold: h } = held else {
        panic!("{held:?}");
    };
    let confirmed = bridge_a
        .rpc(
            "consultorio",
            &BridgeRequest::Confirm {
                hold: h.id,
                idempotency_key: "ours-confirm".into(),
            },
        )
        .await;
    assert!(
        matches!(confirmed, BridgeAnswer::Booked { .. }),
        "{confirmed:?}"
    );
    // An orphan would be cancelled moments after B answered the webhook.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let live: Vec<_> = cal
        .bookings()
        .into_iter()
        .filter(|b| b.status == "accepted")
        .collect();
    assert_eq!(
        live.len(),
        1,
        "the booking made through A was cancelled in Cal.com"
    );
    assert_eq!(live[0].start, ours);

    // The business books 15:00 on Cal.com's page; the webhook reaches B only.
    assert!(offered(&bridge_a.rpc("consultorio", &slots).await).contains(&business));
    cal.book_directly(event_type, business, "Llamada");
    let lag = offers_within(&bridge_a, "consultorio", &slots, business, false)
        .await
        .expect("bridge A still offers a time booked in Cal.com after B had the webhook");
    eprintln!(
        "bridge A stopped offering the Cal.com booking {} ms after the webhook's answer",
        lag.as_millis()
    );

    // One breaker: Cal.com failing for A's calls stops B calling it too.
    let held = bridge_a
        .rpc(
            "consultorio",
            &BridgeRequest::Hold {
                service: "consulta".into(),
                provider: None,
                start: local(12, 0),
                customer: phone(8),
                idempotency_key: "down".into(),
            },
        )
        .await;
    let BridgeAnswer::Held { hold: h } = held else {
        panic!("{held:?}");
    };
    let confirm = BridgeRequest::Confirm {
        hold: h.id,
        idempotency_key: "down-confirm".into(),
    };
    cal.fail_next(50, 500);
    for _ in 0..6 {
        assert!(bridge_a.try_rpc("consultorio", &confirm).await.is_err());
    }
    let bridge_b = TestBridge::at(b.url.clone(), None);
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", b.url))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("slotline_calcom_paused 1"),
        "bridge B does not know Cal.com is failing: {metrics}"
    );
    let calls_before = cal.calls().len();
    assert!(bridge_b.try_rpc("consultorio", &confirm).await.is_err());
    assert_eq!(
        cal.calls().len(),
        calls_before,
        "bridge B called Cal.com while the shared breaker was open"
    );

    drop((a, b));
    drop(store);
}

/// 1,000 holds at once, half through each of two bridges, for hour-long visits that start
/// every quarter hour with four providers (so most of them overlap one another): the holds
/// granted never overlap, and every refused one overlaps a granted one, so exactly a set
/// of non-overlapping holds succeeds, none left out. Checked in SQL afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_overlapping_holds_grant_exactly_a_non_overlapping_set() {
    let (store, url) = database("thousand").await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_bridges(&url, dir.path(), &[]).await;
    let bridges = Arc::new([
        TestBridge::at(a.url.clone(), None),
        TestBridge::at(b.url.clone(), None),
    ]);
    let (status, created) = bridges[0]
        .admin(
            Method::POST,
            "/admin/tenants",
            OPERATOR,
            Some(
                serde_json::json!({"id": "physio", "name": "Fisio Norte", "zone": "Europe/Lisbon",
                "languages": ["pt"], "policy": {"min_notice_min": 0, "slot_step_min": 15}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["api_key"].as_str().unwrap().to_owned();
    let (status, body) = bridges[0]
        .admin(
            Method::POST,
            "/admin/tenants/physio/services",
            &key,
            Some(
                serde_json::json!({"id": "session", "name": "Sessão", "duration_min": 60,
                "price_minor": 4500, "currency": "EUR"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let day = serde_json::json!([{"start": "08:00", "end": "20:00"}]);
    for p in 0..4 {
        let (status, body) = bridges[0]
            .admin(
                Method::POST,
                "/admin/tenants/physio/providers",
                &key,
                Some(
                    serde_json::json!({"id": format!("t{p}"), "name": format!("Terapeuta {p}"),
                    "services": ["session"]}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let week = serde_json::json!({"mon": day, "tue": day, "wed": day, "thu": day,
            "fri": day, "sat": day, "sun": day});
        let (status, body) = bridges[0]
            .admin(
                Method::PUT,
                &format!("/admin/tenants/physio/providers/t{p}/availability"),
                &key,
                Some(week),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let lisbon = chrono_tz::Europe::Lisbon;
    let date = (chrono::Utc::now().with_timezone(&lisbon) + chrono::Duration::days(4)).date_naive();
    let opening = {
        use chrono::TimeZone;
        lisbon
            .from_local_datetime(&date.and_hms_opt(8, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // 45 quarter-hour starts a provider (08:00 to 19:00), chosen by a fixed shuffle.
    let attempt = |i: u32| {
        let mix = i.wrapping_mul(2_654_435_761).rotate_left(7);
        (
            format!("t{}", mix % 4),
            opening + chrono::Duration::minutes(15 * i64::from((mix / 4) % 45)),
        )
    };
    let tasks: Vec<_> = (0..1000u32)
        .map(|i| {
            let bridges = Arc::clone(&bridges);
            let (provider, start) = attempt(i);
            tokio::spawn(async move {
                let request = BridgeRequest::Hold {
                    service: "session".into(),
                    provider: Some(provider.as_str().into()),
                    start,
                    customer: phone(20_000 + i),
                    idempotency_key: format!("crowd-{i}"),
                };
                bridges[(i % 2) as usize].rpc("physio", &request).await
            })
        })
        .collect();
    let mut granted = Vec::new();
    let mut refused = Vec::new();
    for (i, t) in (0..1000u32).zip(tasks) {
        match t.await.unwrap() {
            BridgeAnswer::Held { .. } => granted.push(attempt(i)),
            BridgeAnswer::Taken { .. } => refused.push(attempt(i)),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // What the database holds is what the bridges said they granted.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT provider_id, start_at, end_at FROM reservations
             WHERE tenant_id = 'physio' AND status = 'held' ORDER BY provider_id, start_at",
            &[],
        )
        .await
        .unwrap();
    let stored: Vec<(String, i64, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut said: Vec<(String, i64)> = granted
        .iter()
        .map(|(p, s)| (p.clone(), s.timestamp()))
        .collect();
    said.sort();
    assert_eq!(
        stored
            .iter()
            .map(|(p, s, _)| (p.clone(), *s))
            .collect::<Vec<_>>(),
        said,
        "the holds stored are not the holds granted"
    );
    for pair in stored.windows(2) {
        let ((p1, _, end1), (p2, start2, _)) = (&pair[0], &pair[1]);
        assert!(
            p1 != p2 || end1 <= start2,
            "overlapping holds granted: {pair:?}"
        );
    }
    for (p, start) in &refused {
        let (s, e) = (start.timestamp(), start.timestamp() + 3600);
        assert!(
            stored
                .iter()
                .any(|(q, gs, ge)| q == p && *gs < e && s < *ge),
            "{p} at {start} was refused though nothing granted overlaps it"
        );
    }
    eprintln!(
        "1,000 overlapping holds over two bridges: {} granted, {} refused, 0 overlaps",
        granted.len(),
        refused.len()
    );
    // A maximal set leaves at most 1 h 45 min between hour-long holds: at least 6 of them in a
    // 12-hour day for each therapist.
    for p in 0..4 {
        let n = stored
            .iter()
            .filter(|(q, _, _)| *q == format!("t{p}"))
            .count();
        assert!(n >= 6, "therapist t{p} has only {n} holds");
    }

    drop((a, b));
    drop(client);
    drop(store);
}

/// Two bridges dispatching on one database, Twilio answering slowly; bridge A is killed
/// (`kill -9`) mid-dispatch. Bridge B carries on alone: once A's leases run out it takes
/// A's claims over, asking Twilio first whether each went. Nobody is missed, nobody gets
/// theirs twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_killed_mid_dispatch_is_covered_by_the_other() {
    use common::{per_customer, sending_bridge_setup, wait_for_sends};
    let (target, url) = database("killed").await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.db");
    let (twilio, mut vars) =
        sending_bridge_setup(&seed, 4, 60, std::time::Duration::from_millis(150)).await;
    slotline_bridge::adapters::postgres::copy::copy_from_sqlite(&seed, &target)
        .await
        .unwrap();
    vars.push(("SLOTLINE_DISPATCH_LEASE_SECS", "2".to_owned()));
    let (mut a, b) = two_bridges(&url, dir.path(), &vars).await;
    wait_for_sends(&twilio, 60).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(a.child.id()).unwrap()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    a.child.wait().unwrap();
    let at_kill = twilio.sent().len();
    assert!(at_kill < 240, "the kill came too late to test anything");
    let bridge_b = TestBridge::at(b.url.clone(), None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while per_customer(&twilio.sent()).len() < 240 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 240 customers got their reminder",
            per_customer(&twilio.sent()).len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let recovered = common::settled_outbox(&bridge_b, 4).await;
    let counts = per_customer(&twilio.sent());
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    assert_eq!(counts.len(), 240);
    eprintln!(
        "bridge A killed after {at_kill} sends; bridge B sent the rest, {recovered} found already sent at Twilio"
    );
    drop((a, b));
    drop(target);
}
