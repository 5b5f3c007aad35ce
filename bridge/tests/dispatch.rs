//! The dispatcher under load and under `kill -9`: every due message goes exactly once, and
//! no sender goes above its rate.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{
    TWILIO_ACCOUNT, TWILIO_TOKEN, TestBridge, busiest_second, dispatcher_to, per_customer,
    seed_due_reminders, sending_bridge_setup, spawn_bridge_with, times_by_sender, wait_for_sends,
};
use serde_json::json;
use slotline_bridge::adapters::SqliteStore;
use slotline_bridge::ports::Store;
use slotline_e2e::twilio::TwilioStandIn;

/// Each sender's messages per second from its first to its last.
fn average_rates(sent: &[slotline_e2e::twilio::Sent]) -> Vec<(String, f64)> {
    times_by_sender(sent)
        .into_iter()
        .filter_map(|(sender, times)| {
            let (first, last) = (times.first()?, times.last()?);
            let span = last.duration_since(*first).as_secs_f64();
            (span > 0.0).then(|| (sender, (times.len() - 1) as f64 / span))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_due_reminders_over_fifty_tenants_go_once_each_within_every_senders_rate() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("load.db")).unwrap());
    let twilio = TwilioStandIn::start(&[(TWILIO_ACCOUNT, TWILIO_TOKEN)]).unwrap();
    let sid = twilio.approved_template(
        json!({"twilio/text": {"body": "See you soon at {{1}}: {{2}}, {{4}}."}}),
    );
    let customers = seed_due_reminders(store.as_ref(), 50, 200, Utc::now(), &sid).await;
    assert_eq!(customers.len(), 10_000);
    let dispatcher = dispatcher_to(Arc::clone(&store), &twilio.url);
    let started = Instant::now();
    let report = dispatcher.tick().await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.sent, 10_000, "{report:?}");

    let sent = twilio.sent();
    let counts = per_customer(&sent);
    assert_eq!(counts.len(), 10_000, "every customer got their reminder");
    assert!(counts.values().all(|n| *n == 1), "nobody got one twice");
    let busiest = busiest_second(&sent);
    assert_eq!(busiest.len(), 50, "one sender per tenant");
    // Sends leave exactly 1/80 s apart; arrivals at the stand-in carry a few milliseconds of
    // scheduling jitter on this 2-core machine, which can bring one or two into a window's edge.
    let worst = busiest.values().max().copied().unwrap_or(0);
    assert!(worst <= 82, "a sender sent {worst} messages in one second");
    for (sender, rate) in average_rates(&sent) {
        assert!(
            rate <= 81.0,
            "{sender} averaged {rate:.1} messages a second"
        );
    }
    // Each sender needs 199/80 s at the least; say how close the run came.
    let floor = Duration::from_secs_f64(199.0 / 80.0);
    eprintln!(
        "10,000 reminders over 50 senders in {took:?} (floor {floor:?}, ratio {:.2})",
        took.as_secs_f64() / floor.as_secs_f64()
    );
    // Nothing left to send.
    assert_eq!(dispatcher.tick().await.unwrap().sent, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_killed_mid_dispatch_loses_no_message_and_sends_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dispatch.db");
    // Twilio answers slowly, so sends are in flight when the bridge dies.
    let (twilio, mut vars) = sending_bridge_setup(&db, 4, 60, Duration::from_millis(150)).await;
    // Short leases, so the restarted bridge takes over the dead one's claims quickly.
    vars.push(("SLOTLINE_DISPATCH_LEASE_SECS", "2".to_owned()));
    let mut child = spawn_bridge_with(&db, &vars).await.child;
    wait_for_sends(&twilio, 60).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    let at_kill = twilio.sent().len();
    assert!(at_kill < 240, "the kill came too late to test anything");

    let restarted = spawn_bridge_with(&db, &vars).await;
    let mut child = restarted.child;
    let http = TestBridge::at(restarted.url, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while per_customer(&twilio.sent()).len() < 240 {
        assert!(
            Instant::now() < deadline,
            "only {} of 240 customers got their reminder",
            per_customer(&twilio.sent()).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = common::settled_outbox(&http, 4).await;
    let counts = per_customer(&twilio.sent());
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    assert_eq!(counts.len(), 240);
    eprintln!("killed after {at_kill} sends; {recovered} found already sent after restart");
    assert!(recovered >= 1, "no message was in flight at the kill");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_stopped_with_sigterm_records_every_send_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drain.db");
    // More than one claim holds (80 a tenant), so a stop lands between batches; Twilio
    // answers slowly, so sends are in flight when the stop comes.
    let (twilio, vars) = sending_bridge_setup(&db, 2, 120, Duration::from_millis(50)).await;
    let mut child = spawn_bridge_with(&db, &vars).await.child;
    wait_for_sends(&twilio, 20).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the bridge did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "stopped with {status}");
    let at_twilio = twilio.sent().len();
    assert!(at_twilio < 240, "the stop came too late to test anything");
    // Everything Twilio accepted is recorded as sent: nothing is left for a restart to
    // look up, and nothing was cut off mid-send.
    let store = SqliteStore::open(&db).unwrap();
    let mut recorded = 0;
    for t in 0..2 {
        let tenant = slotline_shared::catalog::TenantId(format!("t{t:02}"));
        recorded += store
            .outbox(&tenant, 1000)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.state == slotline_bridge::ports::OutboxState::Sent)
            .count();
    }
    eprintln!("stopped after {at_twilio} sends; {recorded} recorded as sent");
    assert_eq!(recorded, at_twilio);
}

#[tokio::test]
async fn the_healthcheck_command_says_whether_the_bridge_answers() {
    let dir = tempfile::tempdir().unwrap();
    let spawned = common::spawn_bridge(&dir.path().join("health.db")).await;
    let addr = spawned.url.trim_start_matches("http://").to_owned();
    let check = |addr: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
            .arg("healthcheck")
            .env("SLOTLINE_BRIDGE_ADDR", addr)
            .output()
            .unwrap()
    };
    let up = check(&addr);
    assert!(up.status.success(), "{up:?}");
    let mut child = spawned.child;
    child.kill().unwrap();
    child.wait().unwrap();
    let down = check(&addr);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    assert!(String::from_utf8_lossy(&down.stderr).contains("unhealthy"));
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
        .arg("helthcheck")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
