//! kill -9 under load loses nothing acknowledged: the real `livedesk` binary runs as a child
//! process while visitors post; it is SIGKILLed mid-stream and restarted on the same database,
//! and every acknowledged message is stored exactly once (retries with the same client id
//! included). Its JSON log carries request ids and no token.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::helpers::{Resp, TestDb, query_escape};

const VISITORS: usize = 16;
/// Acknowledged messages after which the server is killed.
const KILL_AFTER: usize = 200;

struct Node {
    child: Child,
    base: String,
}

fn start_node(db: &TestDb, log: &Path) -> Node {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_livedesk"))
        .env("LIVEDESK_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &db.url)
        .env("LIVEDESK_DATA_DIR", &db.dir)
        .env("LIVEDESK_RATE_LIMITS", "false")
        .env("LIVEDESK_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("LIVEDESK_WORKERS", "2")
        .env("LIVEDESK_DB_POOL_SIZE", "4")
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start livedesk");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in: {line}"));
    Node { child, base: format!("http://{addr}") }
}

async fn send(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Result<Resp> {
    let mut req = match body {
        Some(b) => client.post(url).json(&b),
        None => client.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    Ok(Resp::from(req.send().await?).await)
}

/// What one visitor posted: acknowledged client ids, and the one in flight when the server died.
#[derive(Default)]
struct Outcome {
    acked: Vec<String>,
    unanswered: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_message() {
    let db = TestDb::new();
    let log = db.dir.join("livedesk.log");
    let client = reqwest::Client::new();
    let mut node = start_node(&db, &log);

    let signup = json!({"workspace_name": "Acme", "email": "owner@acme.test", "password": crate::helpers::PASSWORD, "display_name": "O"});
    let owner = send(&client, format!("{}/api/v1/auth/signup", node.base), None, Some(signup)).await.unwrap();
    let owner_token = owner.expect(201).body["access_token"].as_str().unwrap().to_string();
    let chat = send(&client, format!("{}/api/v1/chats", node.base), Some(&owner_token), Some(json!({"name": "Site"})))
        .await
        .unwrap();
    let key = chat.expect(201).body["public_key"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for _ in 0..VISITORS {
        let res =
            send(&client, format!("{}/api/v1/widget/sessions", node.base), None, Some(json!({"public_key": key})))
                .await
                .unwrap();
        tokens.push(res.expect(201).body["visitor_token"].as_str().unwrap().to_string());
    }

    let acked = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut posters = Vec::new();
    for (v, token) in tokens.iter().cloned().enumerate() {
        let (client, base, acked, enough) = (client.clone(), node.base.clone(), acked.clone(), enough.clone());
        posters.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            for m in 0.. {
                let client_id = format!("v{v}-m{m}");
                let body = json!({"body": client_id, "client_id": client_id});
                match send(&client, format!("{base}/api/v1/widget/messages"), Some(&token), Some(body)).await {
                    Ok(res) if res.status == 201 => {
                        outcome.acked.push(client_id);
                        if acked.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                            enough.notify_one();
                        }
                    }
                    Ok(res) => panic!("unexpected answer {}: {}", res.status, res.text),
                    Err(_) => {
                        outcome.unanswered = Some(client_id);
                        return outcome;
                    }
                }
            }
            outcome
        }));
    }
    enough.notified().await;
    node.child.kill().expect("SIGKILL");
    node.child.wait().unwrap();
    let mut outcomes = Vec::new();
    for poster in posters {
        outcomes.push(poster.await.unwrap());
    }
    let total_acked: usize = outcomes.iter().map(|o| o.acked.len()).sum();
    assert!(total_acked >= KILL_AFTER);

    let mut node = start_node(&db, &log);
    for (token, outcome) in tokens.iter().zip(&outcomes) {
        // The widget retries what got no answer: stored once whether or not it had landed.
        if let Some(client_id) = &outcome.unanswered {
            let body = json!({"body": client_id, "client_id": client_id});
            let res =
                send(&client, format!("{}/api/v1/widget/messages", node.base), Some(token), Some(body)).await.unwrap();
            assert!(res.status == 200 || res.status == 201, "{}", res.text);
        }
        let stored = stored_bodies(&client, &node.base, token).await;
        for client_id in outcome.acked.iter().chain(&outcome.unanswered) {
            let copies = stored.iter().filter(|b| *b == client_id).count();
            assert_eq!(copies, 1, "{client_id} stored {copies} times");
        }
        assert_eq!(stored.len(), outcome.acked.len() + outcome.unanswered.iter().count());
    }
    node.child.kill().unwrap();
    node.child.wait().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().any(|l| l.contains("request finished") && l.contains("request_id")), "{text}");
    for secret in tokens.iter().chain([&owner_token]) {
        assert!(!text.contains(secret.as_str()), "a token reached the log");
    }
}

/// Bodies of every message in the visitor's dialogs.
async fn stored_bodies(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let dialogs = send(client, format!("{base}/api/v1/widget/dialogs?limit=200"), Some(token), None).await.unwrap();
    for dialog in dialogs.expect(200).body["items"].as_array().unwrap() {
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/widget/dialogs/{}/messages?limit=200", dialog["id"]);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={}", query_escape(c)));
            }
            let page = send(client, url, Some(token), None).await.unwrap();
            for m in page.expect(200).body["items"].as_array().unwrap() {
                bodies.push(m["body"].as_str().unwrap().to_string());
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
    }
    bodies
}
