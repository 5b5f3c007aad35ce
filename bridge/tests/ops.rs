//! What an operator reads: request ids on every answer and log line, JSON logs a collector
//! can parse, and no phone number in them.

mod common;

use std::io::{BufRead, BufReader};

#[tokio::test]
async fn every_answer_and_log_line_carries_a_request_id_and_no_phone_number() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("SLOTLINE_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let spawned = common::spawn_bridge_logging(&dir.path().join("ops.db"), &vars).await;
    let (mut child, url) = (spawned.child, spawned.url);
    let http = reqwest::Client::new();
    // A worker call naming a customer's number, unsigned: refused, and logged.
    let refused = http
        .get(format!("{url}/worker/route/+14155550123"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let id = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!id.is_empty());
    // A caller's own id is kept.
    let traced = http
        .get(format!("{url}/healthz"))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "from-the-proxy-42");
    child.kill().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let lines: Vec<String> = out.lines().map_while(Result::ok).collect();
    child.wait().unwrap();
    let mut refused_logged = false;
    for line in &lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            !line.contains("4155550123"),
            "a phone number in the log: {line}"
        );
        if entry["span"]["id"] == id.as_str() {
            assert_eq!(entry["span"]["route"], "/worker/route/{number}", "{line}");
            refused_logged = true;
        }
    }
    assert!(
        refused_logged,
        "no log line of request {id}:\n{}",
        lines.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_bridge_is_backed_up_and_the_copy_serves() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let spawned = common::spawn_bridge(&db).await;
    let bridge = common::TestBridge::at(spawned.url.clone(), None);
    bridge.salon("kept", 2).await;
    // Bookings keep coming while the copy is taken.
    let writer = {
        let url = spawned.url.clone();
        tokio::spawn(async move {
            let bridge = common::TestBridge::at(url, None);
            for i in 0..40u32 {
                let hold = slotline_shared::wire::BridgeRequest::Hold {
                    service: "cut".into(),
                    provider: None,
                    start: common::at(2 + i64::from(i % 5), 9 + i % 8, 0),
                    customer: common::phone(i),
                    idempotency_key: format!("backup-{i}"),
                };
                let _ = bridge.try_rpc("kept", &hold).await;
            }
        })
    };
    let copy = dir.path().join("copy.db");
    let backup = std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
        .arg("backup")
        .arg(&copy)
        .env("SLOTLINE_DATABASE", &db)
        .output()
        .unwrap();
    assert!(backup.status.success(), "{backup:?}");
    writer.await.unwrap();
    // A second backup to the same file is refused, not overwritten.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_slotline-bridge"))
        .arg("backup")
        .arg(&copy)
        .env("SLOTLINE_DATABASE", &db)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let mut live = spawned.child;
    live.kill().unwrap();
    live.wait().unwrap();
    // Restoring is starting a bridge on the copy.
    let restored = common::spawn_bridge(&copy).await;
    let bridge = common::TestBridge::at(restored.url.clone(), None);
    let (status, tenant) = bridge
        .admin(
            reqwest::Method::GET,
            "/admin/tenants/kept",
            common::OPERATOR,
            None,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{tenant}");
    assert_eq!(tenant["name"], "Salon kept");
    let mut restored = restored.child;
    restored.kill().unwrap();
    restored.wait().unwrap();
}
