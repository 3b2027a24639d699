//! Auto-replies: admins manage schedules; a new dialog gets the reply that applies when it
//! starts, unless an operator answers within the delay; a requested contact fills the card.

use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, Visitor};

const DEADLINE: Duration = Duration::from_secs(10);

async fn spawn() -> (TestApp, Session, crate::helpers::Chat) {
    let app = TestApp::spawn_with(|c| c.timer_tick_ms = 100).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Shop", Value::Null).await;
    (app, owner, chat)
}

async fn visitor_messages(app: &TestApp, v: &Visitor, dialog: i64) -> Vec<Value> {
    let res = app.visitor_get(v, &format!("/api/v1/widget/dialogs/{dialog}/messages")).await;
    res.expect(200);
    res.body["items"].as_array().unwrap().clone()
}

/// Waits for the bot message; `None` when none came within `within`.
async fn bot_message(app: &TestApp, v: &Visitor, dialog: i64, within: Duration) -> Option<Value> {
    let start = Instant::now();
    loop {
        let bot = visitor_messages(app, v, dialog).await.into_iter().find(|m| m["author"]["type"] == "bot");
        if bot.is_some() || start.elapsed() > within {
            return bot;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hhmm(minutes: i64) -> String {
    let m = minutes.rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

const ALL_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[tokio::test]
async fn admins_manage_auto_replies_and_bad_schedules_are_refused() {
    let (app, owner, _) = spawn().await;
    let ann = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let body = json!({"name": "Nights", "body": "We answer in the morning", "weekdays": ["mon", "fri"],
        "time_ranges": [{"from": "22:00", "to": "06:00"}], "time_zone": "Europe/Moscow", "delay_secs": 30,
        "ask_for": "phone"});
    let created = app.post("/api/v1/auto-replies", &owner.token, body.clone()).await;
    created.expect(201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["weekdays"], json!(["mon", "fri"]));
    assert_eq!(created.body["time_zone"], "Europe/Moscow");
    assert_eq!(created.body["enabled"], true);
    app.post("/api/v1/auto-replies", &ann.token, body.clone()).await.expect_problem(403, "forbidden");

    for (patch, field) in [
        (json!({"time_ranges": [{"from": "25:00", "to": "06:00"}]}), "time_ranges.0.from"),
        (json!({"time_ranges": [{"from": "09:00", "to": "09:00"}]}), "time_ranges.0.to"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"weekdays": []}), "weekdays"),
        (json!({"delay_secs": 3601}), "delay_secs"),
        (json!({"body": "  "}), "body"),
    ] {
        let mut bad = body.clone();
        bad.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        let res = app.put(&format!("/api/v1/auto-replies/{id}"), &owner.token, bad).await;
        res.expect_problem(422, "validation_failed");
        assert!(crate::helpers::error_fields(&res.body).contains(&field.to_string()), "{field}: {}", res.body);
    }
    let replaced = app
        .put(
            &format!("/api/v1/auto-replies/{id}"),
            &owner.token,
            json!({"name": "Always", "body": "Hi", "any_time": true}),
        )
        .await;
    replaced.expect(200);
    assert_eq!(replaced.body["any_time"], true);
    assert_eq!(replaced.body["ask_for"], "nothing");
    let list = app.get("/api/v1/auto-replies", &owner.token).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    app.delete(&format!("/api/v1/auto-replies/{id}"), &owner.token).await.expect(204);
    app.get(&format!("/api/v1/auto-replies/{id}"), &owner.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn the_reply_whose_schedule_covers_the_start_is_sent_and_any_time_overrides() {
    let (app, owner, chat) = spawn().await;
    // Kolkata is UTC+05:30 all year: the schedule is read in that zone, not in UTC.
    let now = Utc::now();
    let local = i64::from(now.hour() * 60 + now.minute()) + 330;
    let scheduled = |name: &str, from: i64, to: i64| {
        json!({"name": name, "body": name, "weekdays": ALL_DAYS, "time_ranges": [{"from": hhmm(from), "to": hhmm(to)}],
            "time_zone": "Asia/Kolkata"})
    };
    app.post("/api/v1/auto-replies", &owner.token, scheduled("later", local + 120, local + 180)).await.expect(201);
    app.post("/api/v1/auto-replies", &owner.token, scheduled("now", local - 60, local + 60)).await.expect(201);
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "hello").await;
    let bot = bot_message(&app, &v, d, DEADLINE).await.expect("an auto-reply");
    assert_eq!(bot["body"], "now");
    // Once per dialog.
    app.visitor_writes(&v, "still there?").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let bots = visitor_messages(&app, &v, d).await.iter().filter(|m| m["author"]["type"] == "bot").count();
    assert_eq!(bots, 1);

    // An enabled "any time" reply overrides the schedules.
    app.post("/api/v1/auto-replies", &owner.token, json!({"name": "any", "body": "any", "any_time": true}))
        .await
        .expect(201);
    let v2 = app.start_visitor(&chat.public_key).await;
    let d2 = app.visitor_writes_dialog(&v2, "hello").await;
    assert_eq!(bot_message(&app, &v2, d2, DEADLINE).await.expect("an auto-reply")["body"], "any");
}

#[tokio::test]
async fn an_operator_reply_within_the_delay_cancels_the_auto_reply() {
    let (app, owner, chat) = spawn().await;
    app.post(
        "/api/v1/auto-replies",
        &owner.token,
        json!({"name": "a", "body": "Soon!", "any_time": true, "delay_secs": 2}),
    )
    .await
    .expect(201);
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "hello").await;
    app.reply(&owner, d, "Hi, I am here").await;
    assert!(bot_message(&app, &v, d, Duration::from_secs(3)).await.is_none());

    // Without a reply it comes after the delay.
    let v2 = app.start_visitor(&chat.public_key).await;
    let started = Instant::now();
    let d2 = app.visitor_writes_dialog(&v2, "hello").await;
    bot_message(&app, &v2, d2, DEADLINE).await.expect("an auto-reply");
    assert!(started.elapsed() >= Duration::from_millis(1900));
}

#[tokio::test]
async fn a_requested_email_is_asked_once_and_the_answer_fills_the_card() {
    let (app, owner, chat) = spawn().await;
    app.post(
        "/api/v1/auto-replies",
        &owner.token,
        json!({"name": "a", "body": "Leave your email", "any_time": true, "ask_for": "email"}),
    )
    .await
    .expect(201);
    let v = app.start_visitor(&chat.public_key).await;
    let d = app.visitor_writes_dialog(&v, "hello").await;
    bot_message(&app, &v, d, DEADLINE).await.expect("an auto-reply");
    let view = app.visitor_get(&v, &format!("/api/v1/widget/dialogs/{d}")).await;
    assert_eq!(view.body["contact_request"], "email");
    let sent = app.visitor_writes(&v, "sure, it is vera@example.com.").await;
    assert!(sent["dialog"]["contact_request"].is_null());
    let card = app.get(&format!("/api/v1/visitors/{}", v.id), &owner.token).await;
    assert_eq!(card.body["visitor"]["email"], "vera@example.com");

    // A visitor whose card has the email is not asked.
    let known = app.start_visitor(&chat.public_key).await;
    app.visitor_patch(&known, "/api/v1/widget/me", json!({"email": "known@example.com"})).await.expect(200);
    let d2 = app.visitor_writes_dialog(&known, "hello").await;
    bot_message(&app, &known, d2, DEADLINE).await.expect("an auto-reply");
    let view = app.visitor_get(&known, &format!("/api/v1/widget/dialogs/{d2}")).await;
    assert!(view.body["contact_request"].is_null());
}
