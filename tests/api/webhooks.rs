//! Webhooks: signed deliveries a receiver verifies on its own, event filters and internal
//! notes, retries with backoff against a receiver that fails then recovers, a restart in the
//! middle of retries, pausing after failures and resuming, redelivery by hand.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Session, TestApp};
use crate::webhook_receiver::{Received, Receiver};

/// Fast retries and ticks so scenarios take a second, not hours.
pub fn fast(config: &mut livedesk::config::Config) {
    config.webhooks.tick_ms = 20;
    config.webhooks.backoff_base_ms = 50;
    config.webhooks.backoff_max_secs = 1;
    config.webhooks.timeout_secs = 2;
}

pub async fn subscribe(app: &TestApp, admin: &Session, url: &str, types: &[&str], notes: bool) -> (i64, String) {
    let res = app
        .post("/api/v1/webhooks", &admin.token, json!({"url": url, "event_types": types, "include_notes": notes}))
        .await;
    res.expect(201);
    (res.body["webhook"]["id"].as_i64().unwrap(), res.body["secret"].as_str().unwrap().to_string())
}

/// Checks `Livedesk-Signature: t=..,v1=..` the way a receiver would: HMAC-SHA256 of "t.body".
pub fn verify(secret: &str, request: &Received) -> bool {
    let header = request.header("livedesk-signature");
    let parts: HashMap<&str, &str> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else { return false };
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap_or(0);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", request.body).as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    age.abs() < 300 && expected == *v1
}

async fn deliveries(app: &TestApp, admin: &Session, webhook: i64) -> Vec<Value> {
    app.all_items(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin.token).await
}

#[tokio::test]
async fn receivers_get_signed_events_they_subscribed_to_in_order() {
    let app = TestApp::spawn_with(fast).await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&admin, "Site", Value::Null).await;
    let messages = Receiver::start().await;
    let everything = Receiver::start().await;
    let (_, secret) = subscribe(&app, &admin, &messages.url(), &["message.created", "dialog.created"], false).await;
    let (_, notes_secret) =
        subscribe(&app, &admin, &everything.url(), &["message.created", "dialog.closed"], true).await;

    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "hello").await;
    app.reply(&admin, dialog, "hi, how can I help?").await;
    let note = json!({"body": "internal: VIP", "kind": "note"});
    app.post(&format!("/api/v1/dialogs/{dialog}/messages"), &admin.token, note).await.expect(201);
    app.post(&format!("/api/v1/dialogs/{dialog}/close"), &admin.token, json!({})).await.expect(200);

    let got = everything.wait_until(10, "four events", |r| r.len() >= 4).await;
    let types: Vec<String> = got.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, ["message.created", "message.created", "message.created", "dialog.closed"]);
    assert_eq!(got[2].json()["data"]["message"]["kind"], "note", "this subscription asked for notes");
    assert!(got.iter().all(|r| verify(&notes_secret, r)));

    // The first subscription: no note, no close, and every request verifies with its secret.
    let got = messages.wait_until(10, "three events", |r| r.len() >= 3).await;
    let bodies: Vec<Value> = got.iter().map(Received::json).collect();
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["dialog.created", "message.created", "message.created"]);
    assert_eq!(bodies[1]["data"]["message"]["body"], "hello");
    assert_eq!(bodies[2]["data"]["message"]["body"], "hi, how can I help?");
    let positions: Vec<i64> = bodies.iter().map(|b| b["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in log order: {positions:?}");
    for (request, body) in got.iter().zip(&bodies) {
        assert!(verify(&secret, request), "signature of {body}");
        assert!(!verify(&notes_secret, request), "another subscription's secret must not verify");
        assert_eq!(request.header("livedesk-event"), body["type"].as_str().unwrap());
        assert_eq!(request.header("livedesk-delivery"), body["id"].as_str().unwrap());
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(body["workspace_id"], admin.workspace_id);
    }
    // Nothing more arrives for it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(messages.received().len(), 3);
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_the_same_delivery_id_until_it_recovers() {
    let app = TestApp::spawn_with(fast).await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&admin, "Site", Value::Null).await;
    let receiver = Receiver::start().await;
    receiver.respond_with(500);
    let (hook, secret) = subscribe(&app, &admin, &receiver.url(), &["message.created"], false).await;

    let visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&visitor, "first").await;
    app.visitor_writes(&visitor, "second").await;
    receiver.wait_until(10, "three failed attempts", |r| r.len() >= 3).await;
    receiver.respond_with(200);
    let got = receiver.wait_until(10, "both delivered", |r| r.iter().filter(|x| x.answered == 200).count() >= 2).await;

    // Until the first one got through, nothing else was sent: order holds per subscription.
    let first_key = got[0].header("livedesk-delivery").to_string();
    let failed: Vec<&Received> = got.iter().filter(|r| r.answered == 500).collect();
    assert!(failed.iter().all(|r| r.header("livedesk-delivery") == first_key));
    assert!(got.iter().all(|r| verify(&secret, r)));
    let accepted: Vec<String> =
        receiver.accepted().iter().map(|r| r.json()["data"]["message"]["body"].to_string()).collect();
    assert_eq!(accepted, ["\"first\"", "\"second\""]);

    let log = deliveries(&app, &admin, hook).await;
    assert_eq!(log.len(), 2);
    let first = &log[1];
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"].as_i64().unwrap() as usize, failed.len() + 1);
    let attempts = first["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.last().unwrap()["status_code"], 200);
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["response_excerpt"], "answer 500");
    assert!(attempts[0]["error"].as_str().unwrap().contains("500"));
    assert!(attempts.iter().all(|a| a["latency_ms"].is_i64() && a["manual"] == false));
    let webhook = app.get(&format!("/api/v1/webhooks/{hook}"), &admin.token).await;
    assert_eq!(webhook.body["consecutive_failures"], 0);
    assert_eq!(webhook.body["state"], "active");
}

#[tokio::test]
async fn a_restart_in_the_middle_of_retries_loses_nothing_and_sends_nothing_twice() {
    let mut app = TestApp::spawn_with(fast).await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&admin, "Site", Value::Null).await;
    let receiver = Receiver::start().await;
    receiver.respond_with(503);
    let (hook, secret) = subscribe(&app, &admin, &receiver.url(), &["message.created"], false).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    for text in ["one", "two", "three"] {
        app.visitor_writes(&visitor, text).await;
    }
    receiver.wait_until(10, "failed attempts", |r| r.len() >= 2).await;

    let app2 = app.restart_with(fast);
    receiver.respond_with(200);
    app2.visitor_writes(&visitor, "four").await;
    // Up to a lease (timeout + 15 s) when the old node stopped in the middle of a send.
    receiver.wait_until(40, "all four delivered", |r| r.iter().filter(|x| x.answered == 200).count() >= 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let accepted = receiver.accepted();
    let texts: Vec<String> =
        accepted.iter().map(|r| r.json()["data"]["message"]["body"].as_str().unwrap().to_string()).collect();
    assert_eq!(texts, ["one", "two", "three", "four"], "each once, in order");
    assert!(accepted.iter().all(|r| verify(&secret, r)));
    let keys: std::collections::HashSet<&str> = accepted.iter().map(|r| r.header("livedesk-delivery")).collect();
    assert_eq!(keys.len(), 4);
    let log = deliveries(&app2, &admin, hook).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"));
}

#[tokio::test]
async fn a_subscription_that_keeps_failing_is_paused_reported_and_resumed() {
    let app = TestApp::spawn_with(|c| {
        fast(c);
        c.webhooks.pause_after_failures = 3;
    })
    .await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&admin, "Site", Value::Null).await;
    let receiver = Receiver::start().await;
    let watcher = Receiver::start().await;
    receiver.respond_with(500);
    let (hook, _) = subscribe(&app, &admin, &receiver.url(), &["message.created"], false).await;
    let (_, watcher_secret) = subscribe(&app, &admin, &watcher.url(), &["webhook.paused"], false).await;
    let head = app.get("/api/v1/events?since=0", &admin.token).await.body["head"].as_i64().unwrap();

    let visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&visitor, "are you there?").await;
    let paused = watcher.wait_until(10, "webhook.paused", |r| !r.is_empty()).await;
    assert!(verify(&watcher_secret, &paused[0]));
    let event = paused[0].json();
    assert_eq!(event["type"], "webhook.paused");
    assert_eq!(event["data"]["webhook_id"], hook);
    assert_eq!(event["data"]["consecutive_failures"], 3);
    assert_eq!(receiver.received().len(), 3);

    let shown = app.get(&format!("/api/v1/webhooks/{hook}"), &admin.token).await;
    assert_eq!(shown.body["state"], "paused");
    assert!(shown.body["paused_reason"].as_str().unwrap().contains("500"), "{}", shown.text);
    // The pause is in the workspace's event log, for admins.
    let log = app.get(&format!("/api/v1/events?since={head}"), &admin.token).await;
    assert!(log.body["events"].as_array().unwrap().iter().any(|e| e["type"] == "webhook.paused"));

    // Paused: new events wait, nothing is sent.
    app.visitor_writes(&visitor, "hello?").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3);

    receiver.respond_with(200);
    let resumed = app.post(&format!("/api/v1/webhooks/{hook}/resume"), &admin.token, json!({})).await;
    resumed.expect(200);
    assert_eq!(resumed.body["state"], "active");
    let got = receiver.wait_until(10, "both delivered", |r| r.iter().filter(|x| x.answered == 200).count() >= 2).await;
    let texts: Vec<Value> =
        got.iter().filter(|r| r.answered == 200).map(|r| r.json()["data"]["message"]["body"].clone()).collect();
    assert_eq!(texts, [json!("are you there?"), json!("hello?")]);
}

#[tokio::test]
async fn deliveries_can_be_sent_again_by_hand_with_their_id() {
    let app = TestApp::spawn_with(fast).await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&admin, "Site", Value::Null).await;
    let receiver = Receiver::start().await;
    let (hook, secret) = subscribe(&app, &admin, &receiver.url(), &["dialog.created"], false).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&visitor, "hello").await;
    let first = receiver.wait_until(10, "the delivery", |r| !r.is_empty()).await[0].clone();
    let delivery = deliveries(&app, &admin, hook).await[0].clone();
    let id = delivery["id"].as_i64().unwrap();

    // A new secret signs the redelivery; the delivery id stays.
    let rotated = app.post(&format!("/api/v1/webhooks/{hook}/rotate-secret"), &admin.token, json!({})).await;
    rotated.expect(200);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let again = app.post(&format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"), &admin.token, json!({})).await;
    again.expect(200);
    assert_eq!(again.body["status"], "delivered");
    let attempts = again.body["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["manual"], true);
    assert_eq!(attempts[1]["status_code"], 200);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("livedesk-delivery"), first.header("livedesk-delivery"));
    assert_eq!(got[1].body, first.body);
    assert!(verify(&new_secret, &got[1]) && !verify(&secret, &got[1]));

    // A failed redelivery is logged and leaves the delivery delivered.
    receiver.respond_with(410);
    let failed = app.post(&format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"), &admin.token, json!({})).await;
    failed.expect(200);
    assert_eq!(failed.body["status"], "delivered");
    assert_eq!(failed.body["last_status_code"], 410);
    app.post(&format!("/api/v1/webhooks/{hook}/deliveries/999999/redeliver"), &admin.token, json!({}))
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn subscriptions_are_validated_scoped_and_keep_their_secret_hidden() {
    let app = TestApp::spawn().await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    let other = app.signup("Other", "owner@other.test").await;
    let operator = app.add_operator(&admin, "op@acme.test", "operator").await;
    let path = "/api/v1/webhooks";
    let bad = app.post(path, &admin.token, json!({"url": "ftp://x.test", "event_types": ["message.sent"]})).await;
    bad.expect_problem(422, "validation_failed");
    assert_eq!(crate::helpers::error_fields(&bad.body), ["url", "event_types"]);
    app.post(path, &admin.token, json!({"url": "https://x.test", "event_types": []}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(path, &operator.token, json!({"url": "https://x.test", "event_types": ["dialog.created"]}))
        .await
        .expect_problem(403, "forbidden");

    let (hook, secret) =
        subscribe(&app, &admin, "https://crm.example.test/in", &["dialog.created", "dialog.created"], false).await;
    let shown = app.get(&format!("{path}/{hook}"), &admin.token).await;
    shown.expect(200);
    assert_eq!(shown.body["event_types"], json!(["dialog.created"]));
    assert!(!shown.text.contains(&secret));
    assert!(!app.get(path, &admin.token).await.text.contains(&secret));
    app.get(&format!("{path}/{hook}"), &other.token).await.expect_problem(404, "not_found");
    app.get(&format!("{path}/{hook}/deliveries"), &other.token).await.expect_problem(404, "not_found");

    let changed = app
        .patch(&format!("{path}/{hook}"), &admin.token, json!({"active": false, "event_types": ["rating.created"]}))
        .await;
    changed.expect(200);
    assert_eq!(changed.body["state"], "inactive");
    assert_eq!(changed.body["event_types"], json!(["rating.created"]));
    app.delete(&format!("{path}/{hook}"), &admin.token).await.expect(204);
    app.get(&format!("{path}/{hook}"), &admin.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn private_targets_can_be_refused() {
    let app = TestApp::spawn_with(|c| c.webhooks.allow_private = false).await;
    let admin = app.signup("Acme", "owner@acme.test").await;
    for url in ["http://127.0.0.1:9/x", "http://10.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/latest"] {
        let res =
            app.post("/api/v1/webhooks", &admin.token, json!({"url": url, "event_types": ["dialog.created"]})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["code"], "private_address", "{url}");
    }
}
