//! Automatic assignment, the queue, idle hand-back, auto-close and offline mode, driven through
//! the API with the timer job ticking every 100 ms. Nothing sleeps and hopes: every wait polls
//! with a deadline.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Chat, Session, TestApp, Visitor};
use crate::ws::Ws;

const DEADLINE: Duration = Duration::from_secs(10);

pub async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.timer_tick_ms = 100).await
}

/// Polls `probe` until it returns `Some`, failing after the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn set_capacity(app: &TestApp, admin: &Session, operator: &Session, n: i64) {
    let res = app
        .patch(&format!("/api/v1/operators/{}", operator.operator_id), &admin.token, json!({"max_active_dialogs": n}))
        .await;
    res.expect(200);
    assert_eq!(res.body["max_active_dialogs"], n);
}

/// Connects the operator's socket and waits until presence shows them online.
pub async fn go_online(app: &TestApp, operator: &Session) -> Ws {
    let mut ws = app.ws("/api/v1/ws", &operator.token).await;
    ws.frame().await;
    eventually("the operator online", || async {
        let list = app.get("/api/v1/presence", &operator.token).await;
        list.body
            .as_array()?
            .iter()
            .any(|p| p["operator_id"] == operator.operator_id && p["status"] == "online")
            .then_some(())
    })
    .await;
    ws
}

pub async fn assignee(app: &TestApp, admin: &Session, dialog_id: i64) -> Option<i64> {
    app.dialog(admin, dialog_id).await["assignee"]["id"].as_i64()
}

pub async fn wait_assignee(app: &TestApp, admin: &Session, dialog_id: i64) -> i64 {
    eventually("an assignee", || assignee(app, admin, dialog_id)).await
}

/// The visitor's view of their dialog once the timer job has queued it.
pub async fn wait_queued(app: &TestApp, visitor: &Visitor, dialog_id: i64) -> Value {
    eventually("the dialog in the queue", || async {
        let res = app.visitor_get(visitor, &format!("/api/v1/widget/dialogs/{dialog_id}")).await;
        res.body["queue_position"].as_i64().map(|_| res.body.clone())
    })
    .await
}

pub async fn events_of(app: &TestApp, admin: &Session, event_type: &str, dialog_id: i64) -> Vec<Value> {
    let page = app.get("/api/v1/events?since=0&limit=500", &admin.token).await;
    page.expect(200);
    page.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == event_type && e["data"]["dialog"]["id"] == dialog_id)
        .cloned()
        .collect()
}

pub struct Team {
    pub owner: Session,
    pub ann: Session,
    pub bob: Session,
}

pub async fn team(app: &TestApp) -> Team {
    let owner = app.signup("Acme", "owner@acme.test").await;
    let ann = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    Team { owner, ann, bob }
}

pub async fn chat(app: &TestApp, owner: &Session, settings: Value) -> Chat {
    app.create_chat(owner, "Shop", settings).await
}

#[tokio::test]
async fn two_operators_of_capacity_one_take_two_dialogs_and_the_third_waits_its_turn() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "least_busy"})).await;
    set_capacity(&app, &t.owner, &t.ann, 1).await;
    set_capacity(&app, &t.owner, &t.bob, 1).await;
    let _ann_ws = go_online(&app, &t.ann).await;
    let _bob_ws = go_online(&app, &t.bob).await;

    let mut dialogs = Vec::new();
    let mut visitors = Vec::new();
    for i in 0..3 {
        let v = app.start_visitor(&chat.public_key).await;
        dialogs.push(app.visitor_writes_dialog(&v, &format!("hello {i}")).await);
        visitors.push(v);
        // Arrival order is waiting order.
        if i < 2 {
            wait_assignee(&app, &t.owner, dialogs[i]).await;
        }
    }
    let first = assignee(&app, &t.owner, dialogs[0]).await.unwrap();
    let second = assignee(&app, &t.owner, dialogs[1]).await.unwrap();
    assert_ne!(first, second, "each operator has room for one dialog");
    let waiting = wait_queued(&app, &visitors[2], dialogs[2]).await;
    assert_eq!(waiting["queue_position"], 1);
    assert_eq!(waiting["status"], "open");
    assert!(assignee(&app, &t.owner, dialogs[2]).await.is_none());
    let queued = events_of(&app, &t.owner, "dialog.queued", dialogs[2]).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["data"]["position"], 1);
    assert_eq!(queued[0]["data"]["reason"], "queued");
    // The visitor sees it too.
    let mine = app.visitor_get(&visitors[2], "/api/v1/widget/events?since=0&limit=500").await;
    assert!(mine.body["events"].as_array().unwrap().iter().any(|e| e["type"] == "dialog.queued"));

    // Closing a dialog frees its operator, who gets the waiting one at once.
    let closer = if first == t.ann.operator_id { &t.ann } else { &t.bob };
    app.post(&format!("/api/v1/dialogs/{}/close", dialogs[0]), &closer.token, json!({})).await.expect(200);
    assert_eq!(assignee(&app, &t.owner, dialogs[2]).await, Some(first));
    let assigned = events_of(&app, &t.owner, "dialog.assigned", dialogs[2]).await;
    assert_eq!(assigned.last().unwrap()["data"]["reason"], "policy");
    let view = app.visitor_get(&visitors[2], &format!("/api/v1/widget/dialogs/{}", dialogs[2])).await;
    assert_eq!(view.body["status"], "assigned");
    assert!(view.body["queue_position"].is_null());
}

#[tokio::test]
async fn round_robin_takes_turns_and_least_busy_fills_the_emptiest() {
    let app = spawn().await;
    let t = team(&app).await;
    let rr = chat(&app, &t.owner, json!({"assignment": "round_robin"})).await;
    let _a = go_online(&app, &t.ann).await;
    let _b = go_online(&app, &t.bob).await;
    let mut order = Vec::new();
    for i in 0..4 {
        let v = app.start_visitor(&rr.public_key).await;
        let d = app.visitor_writes_dialog(&v, &format!("rr {i}")).await;
        order.push(wait_assignee(&app, &t.owner, d).await);
    }
    assert_ne!(order[0], order[1]);
    assert_eq!(order[0], order[2]);
    assert_eq!(order[1], order[3]);

    // Ann gets two more by hand: least busy now sends new dialogs to Bob until they are even.
    let lb = app.create_chat(&t.owner, "Support", json!({"assignment": "least_busy"})).await;
    for i in 0..2 {
        let v = app.start_visitor(&lb.public_key).await;
        let d = app.visitor_writes_dialog(&v, &format!("by hand {i}")).await;
        // Claim it before the policy does or after: either way it ends with Ann.
        app.post(&format!("/api/v1/dialogs/{d}/assign"), &t.owner.token, json!({"assignee_id": t.ann.operator_id}))
            .await
            .expect(200);
    }
    for i in 0..2 {
        let v = app.start_visitor(&lb.public_key).await;
        let d = app.visitor_writes_dialog(&v, &format!("lb {i}")).await;
        assert_eq!(wait_assignee(&app, &t.owner, d).await, t.bob.operator_id);
    }
}

#[tokio::test]
async fn the_backlog_goes_to_operators_as_they_come_online_in_waiting_order() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "round_robin"})).await;
    set_capacity(&app, &t.owner, &t.ann, 2).await;
    let mut dialogs = Vec::new();
    for i in 0..3 {
        let v = app.start_visitor(&chat.public_key).await;
        let d = app.visitor_writes_dialog(&v, &format!("anyone? {i}")).await;
        let view = wait_queued(&app, &v, d).await;
        assert_eq!(view["queue_position"], i + 1);
        dialogs.push(d);
    }

    // Ann connects: the two longest waiting are hers, the third still waits, now first.
    let _ann_ws = go_online(&app, &t.ann).await;
    assert_eq!(wait_assignee(&app, &t.owner, dialogs[0]).await, t.ann.operator_id);
    assert_eq!(wait_assignee(&app, &t.owner, dialogs[1]).await, t.ann.operator_id);
    assert!(assignee(&app, &t.owner, dialogs[2]).await.is_none());

    // Bob chose away before connecting: connected but away takes nothing.
    let put = |status: &'static str| {
        app.request(reqwest::Method::PUT, "/api/v1/me/presence", Some(&t.bob.token), Some(json!({"status": status})))
    };
    put("away").await.expect(200);
    let mut bob_ws = app.ws("/api/v1/ws", &t.bob.token).await;
    bob_ws.frame().await;
    eventually("Bob away", || async {
        let list = app.get("/api/v1/presence", &t.owner.token).await;
        list.body
            .as_array()?
            .iter()
            .any(|p| p["operator_id"] == t.bob.operator_id && p["status"] == "away")
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(assignee(&app, &t.owner, dialogs[2]).await.is_none());
    // Choosing online hands him the rest.
    put("online").await.expect(200);
    assert_eq!(wait_assignee(&app, &t.owner, dialogs[2]).await, t.bob.operator_id);
}

#[tokio::test]
async fn raising_capacity_hands_over_queued_dialogs() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "least_busy"})).await;
    set_capacity(&app, &t.owner, &t.ann, 0).await;
    let _ann_ws = go_online(&app, &t.ann).await;
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "hello").await;
    wait_queued(&app, &v, d).await;
    set_capacity(&app, &t.owner, &t.ann, 1).await;
    // Raising the capacity assigns in the same request.
    assert_eq!(assignee(&app, &t.owner, d).await, Some(t.ann.operator_id));
}

#[tokio::test]
async fn an_idle_operator_loses_the_dialog_to_a_colleague() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "round_robin", "operator_idle_secs": 1})).await;
    let _a = go_online(&app, &t.ann).await;
    let _b = go_online(&app, &t.bob).await;
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "help please").await;
    let first = wait_assignee(&app, &t.owner, d).await;
    let second =
        eventually("another operator", || async { assignee(&app, &t.owner, d).await.filter(|op| *op != first) }).await;
    assert_ne!(first, second);
    let unassigned = events_of(&app, &t.owner, "dialog.unassigned", d).await;
    assert_eq!(unassigned[0]["data"]["reason"], "operator_idle");

    // An answered visitor is not waiting: the reply keeps the dialog.
    let replier = if second == t.ann.operator_id { &t.ann } else { &t.bob };
    app.reply(replier, d, "here I am").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(assignee(&app, &t.owner, d).await, Some(second));
}

#[tokio::test]
async fn a_quiet_dialog_closes_by_itself_counted_apart() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"auto_close_secs": 1})).await;
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "hello").await;
    let closed = eventually("the auto-close", || async {
        let view = app.dialog(&t.owner, d).await;
        (view["status"] == "closed").then_some(view)
    })
    .await;
    assert_eq!(closed["closed_by"], "system");
    let events = events_of(&app, &t.owner, "dialog.closed", d).await;
    assert_eq!(events[0]["data"]["reason"], "inactivity");
    // An operator's close says nothing of a reason.
    let plain = app.create_chat(&t.owner, "Plain", Value::Null).await;
    let v2 = app.start_visitor(&plain.public_key).await;
    let d2 = app.visitor_writes_dialog(&v2, "hi").await;
    app.post(&format!("/api/v1/dialogs/{d2}/close"), &t.owner.token, json!({})).await.expect(200);
    assert_eq!(app.dialog(&t.owner, d2).await["closed_by"], "operator");
    assert!(events_of(&app, &t.owner, "dialog.closed", d2).await[0]["data"].get("reason").is_none());
}

#[tokio::test]
async fn the_longest_queue_wait_ends_with_the_offline_text() {
    let app = spawn().await;
    let t = team(&app).await;
    let settings =
        json!({"assignment": "round_robin", "queue": {"max_wait_secs": 1}, "offline": {"text": "Back at 9."}});
    let chat = chat(&app, &t.owner, settings).await;
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "anyone?").await;
    let left = eventually("the queue timeout", || async {
        let e = events_of(&app, &t.owner, "dialog.queue_timeout", d).await;
        e.into_iter().next()
    })
    .await;
    assert_eq!(left["data"]["reason"], "queue_timeout");
    assert_eq!(events_of(&app, &t.owner, "dialog.queued", d).await.len(), 1);
    let messages = app.visitor_get(&v, &format!("/api/v1/widget/dialogs/{d}/messages")).await;
    let bodies: Vec<&str> =
        messages.body["items"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.contains(&"Back at 9."), "{bodies:?}");
    // Out of the queue for good: an operator coming online does not get it.
    let _ann = go_online(&app, &t.ann).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(assignee(&app, &t.owner, d).await.is_none());
    let view = app.dialog(&t.owner, d).await;
    assert!(view["queued_at"].is_null());
    assert_eq!(view["status"], "open");
}

#[tokio::test]
async fn the_widget_learns_nobody_is_online_and_asks_only_for_a_missing_contact() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"offline": {"text": "We are away.", "ask_for": "email"}})).await;
    let res = app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key})).await;
    res.expect(201);
    assert_eq!(res.body["availability"]["operators_online"], false);
    assert_eq!(res.body["availability"]["offline_message"]["text"], "We are away.");
    assert_eq!(res.body["availability"]["offline_message"]["ask_for"], "email");
    let v = Visitor {
        id: res.body["visitor"]["id"].as_i64().unwrap(),
        token: res.body["visitor_token"].as_str().unwrap().into(),
    };
    // The visitor's answer fills the card; it is not asked again.
    app.visitor_patch(&v, "/api/v1/widget/me", json!({"email": "vera@example.com"})).await.expect(200);
    let now = app.visitor_get(&v, "/api/v1/widget/availability").await;
    now.expect(200);
    assert_eq!(now.body["offline_message"]["ask_for"], "nothing");
    let card = app.get(&format!("/api/v1/visitors/{}", v.id), &t.owner.token).await;
    assert_eq!(card.body["visitor"]["email"], "vera@example.com");

    let _ann = go_online(&app, &t.ann).await;
    let now = app.visitor_get(&v, "/api/v1/widget/availability").await;
    assert_eq!(now.body["operators_online"], true);
    assert!(now.body["offline_message"].is_null());

    // Offline message switched off: nothing to show even when nobody is online.
    let quiet = app.create_chat(&t.owner, "Quiet", json!({"offline": {"enabled": false}})).await;
    drop(_ann);
    let res = eventually("nobody online", || async {
        let res = app.post_anon("/api/v1/widget/sessions", json!({"public_key": quiet.public_key})).await;
        (res.body["availability"]["operators_online"] == false).then_some(res)
    })
    .await;
    assert!(res.body["availability"]["offline_message"].is_null());
}

#[tokio::test]
async fn capacity_is_for_admins_and_validated() {
    let app = spawn().await;
    let t = team(&app).await;
    let path = format!("/api/v1/operators/{}", t.ann.operator_id);
    app.patch(&path, &t.ann.token, json!({"max_active_dialogs": 50})).await.expect(403);
    app.patch(&path, &t.owner.token, json!({"max_active_dialogs": -1})).await.expect_problem(422, "validation_failed");
    app.patch(&path, &t.owner.token, json!({"max_active_dialogs": 1001}))
        .await
        .expect_problem(422, "validation_failed");
    let me = app.get(&path, &t.ann.token).await;
    assert_eq!(me.body["max_active_dialogs"], 5);
    let bad = app
        .patch(
            &format!("/api/v1/chats/{}", chat(&app, &t.owner, Value::Null).await.id),
            &t.owner.token,
            json!({"settings": {"assignment": "fastest"}}),
        )
        .await;
    assert_eq!(bad.status, 422);
}

/// Moves the dialog's last queue reminder `ms` into the past and makes it due, as if that much
/// time had gone by.
fn age_queue_reminder(app: &TestApp, dialog_id: i64, ms: i64) {
    use diesel::RunQueryDsl;
    let db = livedesk::db::Db::connect(&livedesk::db::DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap();
    let mut conn = db.get_blocking().unwrap();
    let sql = format!(
        "UPDATE dialogs SET queue_notified_at = queue_notified_at - {ms}, due_at = queue_notified_at - {ms} \
         WHERE id = {dialog_id}"
    );
    assert_eq!(diesel::sql_query(sql).execute(&mut *conn).unwrap(), 1);
}

#[tokio::test]
async fn a_queued_visitor_hears_their_place_again_every_interval() {
    let app = spawn().await;
    let t = team(&app).await;
    let settings = json!({
        "assignment": "round_robin",
        "queue": {"notify_interval_mins": 2, "notify_text": "You are number {position}."},
    });
    let chat = chat(&app, &t.owner, settings).await;
    // Nobody is online: both visitors wait.
    let mut dialogs = Vec::new();
    for text in ["first", "second"] {
        let v = app.start_visitor(&chat.public_key).await;
        let d = app.visitor_writes_dialog(&v, text).await;
        wait_queued(&app, &v, d).await;
        dialogs.push(d);
    }
    let reminders = |d: i64| {
        let app = &app;
        let owner = &t.owner;
        async move {
            events_of(app, owner, "message.created", d)
                .await
                .into_iter()
                .map(|e| e["data"]["message"]["body"].as_str().unwrap_or_default().to_string())
                .filter(|b| b.starts_with("You are number"))
                .collect::<Vec<_>>()
        }
    };

    // Two minutes pass for the second visitor only.
    age_queue_reminder(&app, dialogs[1], 2 * 60_000 + 1_000);
    let got =
        eventually("the reminder", || async { Some(reminders(dialogs[1]).await).filter(|r| !r.is_empty()) }).await;
    assert_eq!(got, ["You are number 2."]);
    let queued = events_of(&app, &t.owner, "dialog.queued", dialogs[1]).await;
    let last = queued.last().unwrap();
    assert_eq!(last["data"]["reason"], "queue_reminder");
    assert_eq!(last["data"]["position"], 2);
    assert!(reminders(dialogs[0]).await.is_empty(), "the first visitor's interval has not passed");

    // Not again before the next interval.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reminders(dialogs[1]).await.len(), 1);
    age_queue_reminder(&app, dialogs[1], 2 * 60_000 + 1_000);
    eventually("the second reminder", || async { (reminders(dialogs[1]).await.len() == 2).then_some(()) }).await;
}

#[tokio::test]
async fn a_deactivated_or_removed_operator_hands_their_dialogs_back() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "least_busy"})).await;
    let _ann = go_online(&app, &t.ann).await;
    let mut dialogs = Vec::new();
    for i in 0..2 {
        let v = app.start_visitor(&chat.public_key).await;
        let d = app.visitor_writes_dialog(&v, &format!("hello {i}")).await;
        assert_eq!(wait_assignee(&app, &t.owner, d).await, t.ann.operator_id);
        dialogs.push(d);
    }
    let _bob = go_online(&app, &t.bob).await;

    // Deactivating Ann gives her dialogs to Bob, who is online with room.
    let res =
        app.patch(&format!("/api/v1/operators/{}", t.ann.operator_id), &t.owner.token, json!({"active": false})).await;
    res.expect(200);
    for &d in &dialogs {
        assert_eq!(assignee(&app, &t.owner, d).await, Some(t.bob.operator_id));
        let unassigned = events_of(&app, &t.owner, "dialog.unassigned", d).await;
        assert_eq!(unassigned.len(), 1);
        assert_eq!(unassigned[0]["data"]["reason"], "operator_deactivated");
    }

    // Removing Bob with nobody else online puts them in the queue, in waiting order.
    app.delete(&format!("/api/v1/operators/{}", t.bob.operator_id), &t.owner.token).await.expect(204);
    for (i, &d) in dialogs.iter().enumerate() {
        assert_eq!(assignee(&app, &t.owner, d).await, None);
        let queued = events_of(&app, &t.owner, "dialog.queued", d).await;
        let last = queued.last().expect("queued again");
        assert_eq!(last["data"]["reason"], "operator_deactivated");
        assert_eq!(last["data"]["position"], i as i64 + 1);
    }
}
