//! Realtime: the operator and visitor sockets, catch-up after a reconnect, the REST catch-up,
//! presence, notifications, liveness and token checks, and two nodes sharing Redis.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, Visitor};

async fn workspace(app: &TestApp) -> (Session, Visitor) {
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    (owner, visitor)
}

fn is_event(frame: &Value, event_type: &str) -> bool {
    frame["type"] == event_type && frame["position"].is_i64()
}

#[tokio::test]
async fn sockets_refuse_bad_credentials_before_the_upgrade() {
    let app = TestApp::spawn().await;
    let (owner, visitor) = workspace(&app).await;

    let res = app.client.get(app.url("/api/v1/ws")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(app.try_ws("/api/v1/ws", "not-a-token").await.is_err());
    // A visitor token is not an operator credential and the other way round.
    assert!(app.try_ws("/api/v1/ws", &visitor.token).await.is_err());
    assert!(app.try_ws("/api/v1/widget/ws", &owner.token).await.is_err());
    let res = app.client.get(app.url("/api/v1/widget/ws?access_token=ldv_nope")).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // A valid token without an upgrade request: a problem, not a socket.
    let res = app.get("/api/v1/ws", &owner.token).await;
    res.expect_problem(400, "websocket_required");

    // The token may also come as a query parameter (browsers cannot set headers on sockets).
    let url = format!("ws://{}/api/v1/ws?access_token={}", app.addr, owner.token);
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.expect("query token accepted");
    use futures_util::StreamExt;
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.to_text().unwrap().contains("\"welcome\""));
}

#[tokio::test]
async fn a_visitor_and_an_operator_converse_live() {
    let app = TestApp::spawn().await;
    let (owner, visitor) = workspace(&app).await;
    let mut op = app.ws("/api/v1/ws", &owner.token).await;
    let welcome = op.frame().await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["heartbeat_secs"], 20);
    let mut vis = app.ws("/api/v1/widget/ws", &visitor.token).await;
    assert_eq!(vis.frame().await["type"], "welcome");

    // The visitor writes over the socket and gets the stored message back.
    vis.send(json!({"type": "message.send", "ref": "v1", "body": "Hello?", "client_id": "c-1"})).await;
    let ack = vis.until_type("ack").await;
    assert_eq!(ack["ref"], "v1");
    assert_eq!(ack["created"], true);
    assert_eq!(ack["message"]["body"], "Hello?");
    let dialog_id = ack["dialog"]["id"].as_i64().unwrap();

    // The operator sees the new dialog and the message live, with a notification.
    let created = op.until(|f| is_event(f, "message.created")).await;
    assert_eq!(created["data"]["message"]["body"], "Hello?");
    assert_eq!(created["data"]["dialog"]["id"], dialog_id);
    let note = op.until_type("notification").await;
    assert_eq!(note["kind"], "new_dialog");
    assert_eq!(note["position"], created["position"]);

    // A retry with the same client id returns the original, not a duplicate.
    vis.send(json!({"type": "message.send", "ref": "v2", "body": "Hello?", "client_id": "c-1"})).await;
    let ack = vis.until_type("ack").await;
    assert_eq!(ack["created"], false);

    // Typing reaches the other side without being logged.
    vis.send(json!({"type": "typing", "dialog_id": dialog_id})).await;
    let typing = op.until_type("typing").await;
    assert_eq!(typing["dialog_id"], dialog_id);
    assert_eq!(typing["author_type"], "visitor");
    assert!(typing.get("position").is_none());

    // The operator writes a note, then a reply over the socket; the visitor gets only the reply.
    op.send(json!({"type": "message.send", "ref": "n", "dialog_id": dialog_id, "body": "VIP", "note": true})).await;
    assert_eq!(op.until_type("ack").await["message"]["kind"], "note");
    op.send(json!({"type": "message.send", "ref": "r", "dialog_id": dialog_id, "body": "Hi, how can I help?"})).await;
    let ack = op.until_type("ack").await;
    assert_eq!(ack["dialog"]["assignee"]["id"], owner.operator_id);

    let frames = vis.drain(Duration::from_millis(700)).await;
    let texts: Vec<&str> = frames.iter().filter_map(|f| f["data"]["message"]["body"].as_str()).collect();
    assert!(texts.contains(&"Hi, how can I help?"), "{frames:?}");
    assert!(!texts.contains(&"VIP"), "a note reached the visitor: {frames:?}");
    assert!(frames.iter().any(|f| is_event(f, "dialog.assigned")));

    // Read markers over the socket.
    vis.send(json!({"type": "read", "ref": "rd", "dialog_id": dialog_id})).await;
    let ack = vis.until_type("ack").await;
    assert!(ack["dialog"]["visitor_last_read_message_id"].as_i64().unwrap() > 0);
    let read = op.until(|f| is_event(f, "dialog.read")).await;
    assert_eq!(read["data"]["dialog"]["id"], dialog_id);
}

#[tokio::test]
async fn visitors_receive_only_their_own_dialogs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let alice = app.start_visitor(&chat.public_key).await;
    let bob = app.start_visitor(&chat.public_key).await;
    let mut bob_ws = app.ws("/api/v1/widget/ws", &bob.token).await;
    bob_ws.frame().await;

    let dialog_id = app.visitor_writes_dialog(&alice, "Alice's secret").await;
    app.reply(&owner, dialog_id, "Answer for Alice").await;
    app.patch(&format!("/api/v1/visitors/{}", alice.id), &owner.token, json!({"name": "Alice"})).await.expect(200);
    // Bob writes last, so when his own message arrives everything before it has been handed out.
    app.visitor_writes(&bob, "Bob here").await;
    let frames = bob_ws.drain(Duration::from_millis(700)).await;
    assert!(frames.iter().any(|f| f["data"]["message"]["body"] == "Bob here"), "{frames:?}");
    for f in &frames {
        assert!(!f.to_string().contains("Alice"), "Bob saw {f}");
    }

    // Another workspace's operator sees nothing of this one.
    let other = app.signup("Other", "owner@other.test").await;
    let mut other_ws = app.ws("/api/v1/ws", &other.token).await;
    other_ws.frame().await;
    app.visitor_writes(&alice, "More from Alice").await;
    assert!(other_ws.drain(Duration::from_millis(500)).await.is_empty());
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed_also_during_writes() {
    let app = TestApp::spawn().await;
    let (owner, visitor) = workspace(&app).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "first").await;
    let mut op = app.ws("/api/v1/ws", &owner.token).await;
    let seen = op.frame().await["position"].as_i64().unwrap();
    drop(op);

    // Written while the operator is away.
    for i in 0..5 {
        app.visitor_writes(&visitor, &format!("away {i}")).await;
    }
    // Reconnect with the last position seen while more messages are being written.
    let writer = {
        let (url, token) = (app.url("/api/v1/widget/messages"), visitor.token.clone());
        let client = app.client.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let res = client.post(&url).bearer_auth(&token).json(&json!({"body": format!("live {i}")})).send();
                assert_eq!(res.await.unwrap().status(), 201);
            }
        })
    };
    let mut op = app.ws(&format!("/api/v1/ws?since={seen}"), &owner.token).await;
    let mut positions = Vec::new();
    let mut bodies = Vec::new();
    while bodies.len() < 25 {
        let f = op.frame().await;
        if let Some(p) = f["position"].as_i64()
            && f["type"] != "notification"
            && f["type"] != "welcome"
        {
            positions.push(p);
            if f["type"] == "message.created" {
                bodies.push(f["data"]["message"]["body"].as_str().unwrap().to_string());
            }
        }
    }
    writer.await.unwrap();
    // Gap-free and in order from the position after `seen`, nothing twice.
    let expected: Vec<i64> = (seen + 1..seen + 1 + positions.len() as i64).collect();
    assert_eq!(positions, expected);
    let mut want: Vec<String> = (0..5).map(|i| format!("away {i}")).collect();
    want.extend((0..20).map(|i| format!("live {i}")));
    assert_eq!(bodies, want);
    assert!(op.drain(Duration::from_millis(500)).await.iter().all(|f| f["type"] != "message.created"));

    // The REST catch-up returns the same log.
    let page = app.get(&format!("/api/v1/events?since={seen}&limit=500"), &owner.token).await;
    page.expect(200);
    let rest: Vec<i64> =
        page.body["events"].as_array().unwrap().iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert_eq!(rest, expected);
    assert_eq!(page.body["has_more"], false);
    assert_eq!(page.body["position"], page.body["head"]);

    // The visitor's catch-up holds only what they may see.
    app.post(&format!("/api/v1/dialogs/{dialog_id}/messages"), &owner.token, json!({"body": "secret", "kind": "note"}))
        .await
        .expect(201);
    let page = app.get("/api/v1/widget/events?since=0&limit=500", &visitor.token).await;
    page.expect(200);
    assert!(page.body["events"].as_array().unwrap().iter().all(|e| !e.to_string().contains("secret")));
    assert!(page.body["events"].as_array().unwrap().len() >= 26);
}

#[tokio::test]
async fn a_position_the_log_does_not_hold_asks_for_a_resync() {
    let app = TestApp::spawn().await;
    let (owner, visitor) = workspace(&app).await;
    app.visitor_writes(&visitor, "hello").await;
    let mut op = app.ws("/api/v1/ws?since=999999", &owner.token).await;
    let welcome = op.frame().await;
    let resync = op.frame().await;
    assert_eq!(resync["type"], "resync_required");
    assert_eq!(resync["position"], welcome["position"]);
    // Live events continue after the resync.
    app.visitor_writes(&visitor, "again").await;
    let next = op.until(|f| is_event(f, "message.created")).await;
    assert_eq!(next["data"]["message"]["body"], "again");

    let page = app.get("/api/v1/events?since=999999", &owner.token).await;
    page.expect(200);
    assert_eq!(page.body["resync_required"], true);
    app.get("/api/v1/events?since=0&limit=0", &owner.token).await.expect_problem(400, "invalid_query");
}

#[tokio::test]
async fn a_visitor_resuming_beyond_the_replay_window_asks_for_a_resync() {
    let app = TestApp::spawn_with(|c| c.visitor_replay_window = 50).await;
    let (owner, alice) = workspace(&app).await;
    let chat = app.create_chat(&owner, "Other", Value::Null).await;
    let bob = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&alice, "first").await;
    let mut vis = app.ws("/api/v1/widget/ws", &alice.token).await;
    let seen = vis.frame().await["position"].as_i64().unwrap();
    drop(vis);

    // Within the window the catch-up holds Alice's events and none of Bob's.
    app.visitor_writes(&alice, "second").await;
    app.visitor_writes(&bob, "bob's").await;
    let mut vis = app.ws(&format!("/api/v1/widget/ws?since={seen}"), &alice.token).await;
    vis.frame().await;
    let caught_up = vis.drain(Duration::from_millis(500)).await;
    let bodies: Vec<&str> = caught_up
        .iter()
        .filter(|f| is_event(f, "message.created"))
        .filter_map(|f| f["data"]["message"]["body"].as_str())
        .collect();
    assert_eq!(bodies, ["second"]);
    assert!(caught_up.iter().all(|f| f["type"] != "resync_required"));
    drop(vis);

    // Once the workspace's log has moved more than the window past `seen`, Alice reloads.
    for i in 0..50 {
        app.visitor_writes(&bob, &format!("bob {i}")).await;
    }
    let mut vis = app.ws(&format!("/api/v1/widget/ws?since={seen}"), &alice.token).await;
    let welcome = vis.frame().await;
    let resync = vis.frame().await;
    assert_eq!(resync["type"], "resync_required");
    assert_eq!(resync["position"], welcome["position"]);
    let page = app.visitor_get(&alice, &format!("/api/v1/widget/events?since={seen}")).await;
    page.expect(200);
    assert_eq!(page.body["resync_required"], true);
    // From the position it was given, the catch-up works again; operators have no window.
    let head = page.body["position"].as_i64().unwrap();
    app.visitor_writes(&alice, "third").await;
    let page = app.visitor_get(&alice, &format!("/api/v1/widget/events?since={head}")).await;
    assert_eq!(page.body["resync_required"], false);
    assert!(page.body["events"].to_string().contains("third"));
    let page = app.get(&format!("/api/v1/events?since={seen}"), &owner.token).await;
    assert_eq!(page.body["resync_required"], false);
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_open() {
    let app = TestApp::spawn().await;
    let (owner, visitor) = workspace(&app).await;
    let mut op = app.ws("/api/v1/ws", &owner.token).await;
    op.frame().await;
    op.send_text("not json").await;
    assert_eq!(op.until_type("error").await["code"], "invalid_frame");
    op.send(json!({"type": "launch.rockets"})).await;
    assert_eq!(op.until_type("error").await["code"], "invalid_frame");
    op.send(json!({"type": "message.send", "ref": "x", "dialog_id": 999999, "body": "hi"})).await;
    let err = op.until_type("error").await;
    assert_eq!((err["code"].as_str(), err["ref"].as_str()), (Some("not_found"), Some("x")));
    op.send(json!({"type": "message.send", "ref": "y", "dialog_id": 1, "body": ""})).await;
    assert_eq!(op.until_type("error").await["code"], "validation_failed");
    op.send(json!({"type": "ping", "ref": "p"})).await;
    assert_eq!(op.until_type("pong").await["ref"], "p");

    // A visitor cannot write notes or set a presence.
    let mut vis = app.ws("/api/v1/widget/ws", &visitor.token).await;
    vis.frame().await;
    vis.send(json!({"type": "message.send", "body": "x", "note": true})).await;
    assert_eq!(vis.until_type("error").await["code"], "validation_failed");
    vis.send(json!({"type": "presence.set", "status": "away"})).await;
    assert_eq!(vis.until_type("error").await["code"], "forbidden");

    // Frames over the size limit close the socket with 1009.
    vis.send_text(&"x".repeat(70 * 1024)).await;
    assert_eq!(vis.closed().await, 1009);
}

#[tokio::test]
async fn silent_clients_are_closed_after_the_timeout() {
    let app = TestApp::spawn_with(|c| {
        c.ws_heartbeat_secs = 1;
        c.ws_client_timeout_secs = 2;
    })
    .await;
    let (owner, _) = workspace(&app).await;
    // A client that never answers the server's pings (as a half-open connection would not).
    let code = crate::ws::silent_client(app.addr, "/api/v1/ws", &owner.token).await;
    assert_eq!(code, 4002);
}

#[tokio::test]
async fn clients_that_stop_reading_are_closed_as_too_slow() {
    let app = TestApp::spawn_with(|c| c.ws_queue_capacity = 8).await;
    let (owner, _) = workspace(&app).await;
    let chat = app.create_chat(&owner, "Flood", Value::Null).await;
    let mut socket = crate::ws::RawSocket::connect(app.addr, "/api/v1/ws", &owner.token, Some(4096)).await;
    socket.welcome().await;
    // The client reads nothing more. Events of ~40 KB (4-byte characters), more in total than
    // the kernel's socket buffers (at most `tcp_wmem` + the client's 4 KiB) and the server's
    // queues can hold, so the session's queue overflows whatever the timing.
    let body = "😀".repeat(livedesk::domain::messages::MAX_BODY_CHARS);
    let needed = (max_send_buffer() + 4 * 1024 * 1024) / (body.len() as u64) + 1;
    let senders = 4;
    let visitors = futures_util::future::join_all((0..senders).map(|_| app.start_visitor(&chat.public_key))).await;
    let writes = visitors.iter().map(|visitor| async {
        for _ in 0..needed.div_ceil(senders) {
            app.visitor_post(visitor, "/api/v1/widget/messages", json!({ "body": body })).await.expect(201);
        }
    });
    futures_util::future::join_all(writes).await;
    assert_eq!(socket.close_code().await, 4008);
}

/// The largest send buffer the kernel gives a TCP socket.
fn max_send_buffer() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 * 1024 * 1024)
}

#[tokio::test]
async fn revoked_and_expired_tokens_end_the_connection() {
    let app = TestApp::spawn_with(|c| c.ws_revalidate_secs = 1).await;
    let (owner, visitor) = workspace(&app).await;
    let colleague = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let mut op = app.ws("/api/v1/ws", &colleague.token).await;
    op.frame().await;
    app.post("/api/v1/auth/logout", &colleague.token, json!({})).await;
    assert_eq!(op.closed().await, 4003);

    // An API key revoked while connected.
    let key = app.post("/api/v1/api-keys", &owner.token, json!({"name": "bot"})).await;
    key.expect(201);
    let mut bot = app.ws("/api/v1/ws", key.body["secret"].as_str().unwrap()).await;
    bot.frame().await;
    app.delete(&format!("/api/v1/api-keys/{}", key.body["key"]["id"]), &owner.token).await.expect(204);
    assert_eq!(bot.closed().await, 4003);
    drop(visitor);

    // An access token that expires while connected.
    let short = TestApp::spawn_with(|c| c.access_token_ttl_secs = 10).await;
    let owner = short.signup("Acme", "owner@acme.test").await;
    let mut op = short.ws("/api/v1/ws", &owner.token).await;
    let code = tokio::time::timeout(Duration::from_secs(20), op.closed()).await.expect("closed on expiry");
    assert_eq!(code, 4001);
}

#[tokio::test]
async fn presence_follows_connections_and_the_chosen_status() {
    let app = TestApp::spawn().await;
    let (owner, _) = workspace(&app).await;
    let ann = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let mut watcher = app.ws("/api/v1/ws", &owner.token).await;
    watcher.frame().await;

    let mut ann_ws = app.ws("/api/v1/ws", &ann.token).await;
    ann_ws.frame().await;
    let online =
        watcher.until(|f| is_event(f, "operator.presence") && f["data"]["operator_id"] == ann.operator_id).await;
    assert_eq!(online["data"]["status"], "online");

    ann_ws.send(json!({"type": "presence.set", "ref": "a", "status": "away"})).await;
    ann_ws.until_type("ack").await;
    let away = watcher.until(|f| is_event(f, "operator.presence") && f["data"]["operator_id"] == ann.operator_id).await;
    assert_eq!(away["data"]["status"], "away");

    let list = app.get("/api/v1/presence", &owner.token).await;
    list.expect(200);
    let ann_row = list.body.as_array().unwrap().iter().find(|p| p["operator_id"] == ann.operator_id).unwrap().clone();
    assert_eq!(ann_row["status"], "away");

    drop(ann_ws);
    let offline =
        watcher.until(|f| is_event(f, "operator.presence") && f["data"]["operator_id"] == ann.operator_id).await;
    assert_eq!(offline["data"]["status"], "offline");
    assert_eq!(offline["data"]["manual_status"], "away");

    // Without a socket the chosen status is kept but colleagues see offline.
    let res = app
        .request(reqwest::Method::PUT, "/api/v1/me/presence", Some(&ann.token), Some(json!({"status": "online"})))
        .await;
    res.expect(200);
    assert_eq!(res.body["status"], "offline");
    assert_eq!(res.body["manual_status"], "online");
}

#[tokio::test]
async fn notifications_follow_each_operators_settings() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let ann = app.add_operator(&owner, "ann@acme.test", "operator").await;

    let list = app.get("/api/v1/me/notifications", &ann.token).await;
    list.expect(200);
    assert_eq!(list.body[0]["chat_id"], chat.id);
    assert_eq!(list.body[0]["unassigned"], true);
    assert_eq!(list.body[0]["assigned_to_others"], false);

    let mut owner_ws = app.ws("/api/v1/ws", &owner.token).await;
    owner_ws.frame().await;
    let mut ann_ws = app.ws("/api/v1/ws", &ann.token).await;
    ann_ws.frame().await;
    // Ann wants nothing about unassigned dialogs.
    let settings = json!({"assigned_to_me": true, "unassigned": false, "assigned_to_others": false,
                          "in_app": true, "email": false, "push": true});
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/me/notifications/{}", chat.id),
            Some(&ann.token),
            Some(settings),
        )
        .await;
    res.expect(200);
    assert_eq!(res.body["push"], true);
    app.request(reqwest::Method::PUT, "/api/v1/me/notifications/999999", Some(&ann.token), Some(json!({"assigned_to_me": true, "unassigned": false, "assigned_to_others": false, "in_app": true, "email": false, "push": true})))
        .await
        .expect_problem(404, "not_found");

    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "Anyone?").await;
    assert_eq!(owner_ws.until_type("notification").await["kind"], "new_dialog");
    // The owner takes the dialog; further messages notify only the assignee.
    app.reply(&owner, dialog_id, "Me").await;
    app.visitor_writes(&visitor, "Thanks").await;
    let n = owner_ws.until_type("notification").await;
    assert_eq!((n["kind"].as_str(), n["message"]["body"].as_str()), (Some("new_message"), Some("Thanks")));
    let ann_frames = ann_ws.drain(Duration::from_millis(700)).await;
    assert!(ann_frames.iter().any(|f| f["data"]["message"]["body"] == "Thanks"), "events still arrive");
    assert!(ann_frames.iter().all(|f| f["type"] != "notification"), "{ann_frames:?}");
}

#[tokio::test]
async fn two_nodes_share_events_through_redis() {
    let (Some(redis), true) = (std::env::var("TEST_REDIS_URL").ok(), std::env::var("TEST_DATABASE_URL").is_ok()) else {
        // Several nodes need a shared server database and Redis; CI runs this on PostgreSQL.
        return;
    };
    let channel = format!("livedesk-test:{}", uuid::Uuid::new_v4().simple());
    let secret = "a-test-secret-that-is-long-enough-for-hs256".to_string();
    let settings = |c: &mut livedesk::config::Config| {
        c.redis_url = Some(redis.clone());
        c.redis_channel = channel.clone();
        c.jwt_secret = Some(secret.clone());
    };
    let node_a = TestApp::spawn_with(settings).await;
    let mut config_b = livedesk::config::Config::for_data_dir(node_a.db.dir.join("b"), Some(node_a.db.url.clone()));
    config_b.workers = Some(2);
    config_b.db_pool_size = 4;
    config_b.log_level = "warn".into();
    settings(&mut config_b);
    let node_b = TestApp::start(crate::helpers::TestDb::shared(&node_a.db), config_b);

    let (owner, visitor) = workspace(&node_a).await;
    // The visitor is on node A, the operator on node B.
    let mut vis = node_a.ws("/api/v1/widget/ws", &visitor.token).await;
    vis.frame().await;
    let mut op = node_b.ws("/api/v1/ws", &owner.token).await;
    op.frame().await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    vis.send(json!({"type": "message.send", "ref": "1", "body": "Hello from A"})).await;
    let dialog_id = vis.until_type("ack").await["dialog"]["id"].as_i64().unwrap();
    let got = op.until(|f| is_event(f, "message.created")).await;
    assert_eq!(got["data"]["message"]["body"], "Hello from A");

    vis.send(json!({"type": "typing", "dialog_id": dialog_id})).await;
    assert_eq!(op.until_type("typing").await["dialog_id"], dialog_id);

    op.send(json!({"type": "message.send", "ref": "2", "dialog_id": dialog_id, "body": "Hello from B"})).await;
    op.until_type("ack").await;
    let got =
        vis.until(|f| is_event(f, "message.created") && f["data"]["message"]["author"]["type"] == "operator").await;
    assert_eq!(got["data"]["message"]["body"], "Hello from B");
}

#[test]
fn the_committed_asyncapi_document_matches_the_code() {
    use livedesk::realtime::{asyncapi, protocol};
    const COMMITTED: &str = include_str!("../../openapi/asyncapi.json");
    let generated = asyncapi::document_json();
    if std::env::var("UPDATE_ASYNCAPI").is_ok() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/asyncapi.json"), &generated).unwrap();
        return;
    }
    assert!(
        COMMITTED == generated,
        "openapi/asyncapi.json is stale; regenerate it with: cargo run -q -- asyncapi > openapi/asyncapi.json"
    );
    // Every frame type and close code the code uses is described, with a payload schema.
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let messages = doc["components"]["messages"].as_object().unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let names = protocol::SERVER_FRAME_TYPES.iter().chain(livedesk::domain::events::EVENT_TYPES);
    for name in names {
        assert!(messages.contains_key(*name), "{name} is not documented");
        let text = messages[*name]["payload"].to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let schema = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(schema), "{name} refers to a missing schema {schema}");
        }
    }
    for name in protocol::CLIENT_FRAME_TYPES {
        assert!(messages.contains_key(&format!("client.{name}")), "client frame {name} is not documented");
    }
    let codes = doc["info"]["x-close-codes"].to_string();
    for (code, _) in protocol::CLOSE_CODES {
        assert!(codes.contains(&format!("\"code\":{code}")), "close code {code} is not documented");
    }
}

#[test]
fn server_frames_serialise_with_their_documented_type() {
    use livedesk::realtime::protocol::*;
    let frames = [
        ServerFrame::Welcome(Welcome { position: 1, heartbeat_secs: 20 }),
        ServerFrame::ResyncRequired(ResyncRequired { position: 1, oldest_position: 1 }),
        ServerFrame::Typing(Typing {
            dialog_id: 1,
            visitor_id: 1,
            author_type: "visitor".into(),
            operator_id: None,
            name: None,
        }),
        ServerFrame::Ack(Ack { reference: None, message: None, dialog: None, created: false }),
        ServerFrame::error(None, "invalid_frame", "x"),
        ServerFrame::Pong(Pong { reference: None }),
    ];
    for frame in frames {
        let v: Value = serde_json::from_str(&frame.to_text()).unwrap();
        let t = v["type"].as_str().unwrap().to_string();
        assert!(SERVER_FRAME_TYPES.contains(&t.as_str()), "{t} is sent but not listed");
    }
}
