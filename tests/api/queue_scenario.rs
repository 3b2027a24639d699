//! The whole queue story in one scenario: two operators of capacity one, three visitors; two
//! dialogs are assigned, the third waits first in line and is assigned when a dialog closes. A
//! webhook receiver gets every step signed, and a restart in the middle of its deliveries
//! loses none and repeats none.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::assignment::{assignee, chat, go_online, set_capacity, team, wait_assignee, wait_queued};
use crate::helpers::TestApp;
use crate::webhook_receiver::Receiver;
use crate::webhooks::{fast, subscribe, verify};

fn config(c: &mut livedesk::config::Config) {
    fast(c);
    c.timer_tick_ms = 100;
}

#[tokio::test]
async fn three_visitors_two_operators_of_capacity_one_and_a_restart_mid_delivery() {
    let mut app = TestApp::spawn_with(config).await;
    let t = team(&app).await;
    let receiver = Receiver::start().await;
    // The receiver is down at first: deliveries pile up and are retried.
    receiver.respond_with(503);
    let types = ["dialog.created", "dialog.assigned", "dialog.queued", "dialog.closed"];
    let (_, secret) = subscribe(&app, &t.owner, &receiver.url(), &types, false).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "round_robin"})).await;
    set_capacity(&app, &t.owner, &t.ann, 1).await;
    set_capacity(&app, &t.owner, &t.bob, 1).await;
    let ann_ws = go_online(&app, &t.ann).await;
    let bob_ws = go_online(&app, &t.bob).await;

    let mut dialogs = Vec::new();
    let mut visitors = Vec::new();
    for i in 0..3 {
        let v = app.start_visitor(&chat.public_key).await;
        dialogs.push(app.visitor_writes_dialog(&v, &format!("hello {i}")).await);
        if i < 2 {
            wait_assignee(&app, &t.owner, dialogs[i]).await;
        }
        visitors.push(v);
    }
    let first = assignee(&app, &t.owner, dialogs[0]).await.unwrap();
    assert_ne!(Some(first), assignee(&app, &t.owner, dialogs[1]).await);
    assert_eq!(wait_queued(&app, &visitors[2], dialogs[2]).await["queue_position"], 1);
    receiver.wait_until(10, "failed attempts", |r| r.len() >= 2).await;

    // Restart while deliveries are failing; the receiver recovers.
    // The node goes away with its sockets; the operators reconnect to the new one.
    drop((ann_ws, bob_ws));
    let app2 = app.restart_with(config);
    receiver.respond_with(200);
    let _ann = go_online(&app2, &t.ann).await;
    let _bob = go_online(&app2, &t.bob).await;
    let closer = if first == t.ann.operator_id { &t.ann } else { &t.bob };
    app2.post(&format!("/api/v1/dialogs/{}/close", dialogs[0]), &closer.token, json!({})).await.expect(200);
    assert_eq!(wait_assignee(&app2, &t.owner, dialogs[2]).await, first);

    // created ×3, assigned ×3, queued ×1, closed ×1. Up to a lease (timeout + 15 s) when the
    // old node stopped in the middle of a send.
    receiver.wait_until(40, "eight events", |r| r.iter().filter(|x| x.answered == 200).count() >= 8).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // At least once: a send the old node had in flight when it stopped can be answered after
    // the receiver recovered, and the new node then sends it again under the same delivery id.
    // A receiver keeps the first of each id; anything else repeated is a bug.
    let all = receiver.accepted();
    assert!(all.len() <= 9, "at most the one send in flight repeats: {}", all.len());
    let mut ids = HashSet::new();
    let accepted: Vec<_> = all.into_iter().filter(|r| ids.insert(r.header("livedesk-delivery").to_string())).collect();
    let listed: Vec<String> = accepted
        .iter()
        .map(|r| format!("{} {} {}", r.header("livedesk-delivery"), r.json()["type"], r.json()["data"]["dialog"]["id"]))
        .collect();
    assert_eq!(accepted.len(), 8, "each event once: {listed:#?}");
    assert!(accepted.iter().all(|r| verify(&secret, r)), "every delivery verifies");
    let bodies: Vec<Value> = accepted.iter().map(|r| r.json()).collect();
    let keys: HashSet<&str> = accepted.iter().map(|r| r.header("livedesk-delivery")).collect();
    assert_eq!(keys.len(), 8);
    let positions: Vec<i64> = bodies.iter().map(|b| b["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in log order: {positions:?}");
    let seen: Vec<(String, i64)> = bodies
        .iter()
        .map(|b| (b["type"].as_str().unwrap().to_string(), b["data"]["dialog"]["id"].as_i64().unwrap()))
        .collect();
    let count = |kind: &str, d: i64| seen.iter().filter(|(k, id)| k == kind && *id == d).count();
    for &d in &dialogs {
        assert_eq!(count("dialog.created", d), 1);
        assert_eq!(count("dialog.assigned", d), 1);
    }
    assert_eq!(count("dialog.queued", dialogs[2]), 1);
    assert_eq!(count("dialog.closed", dialogs[0]), 1);
    let queued = bodies.iter().find(|b| b["type"] == "dialog.queued").unwrap();
    assert_eq!(queued["data"]["position"], 1);
}
