//! The external assignment service: a local receiver plays the service, answering with the
//! operator, a failure, garbage or nothing in time; livedesk applies a usable answer and lets
//! the chat's policy decide otherwise.

use std::time::Duration;

use serde_json::{Value, json};

use crate::assignment::{Team, chat, events_of, go_online, set_capacity, spawn, team, wait_assignee};
use crate::helpers::{Chat, TestApp};
use crate::webhook_receiver::Receiver;
use crate::webhooks::verify;

const SECRET: &str = "svc_secret_0123456789";

async fn service_chat(app: &TestApp, t: &Team, service: &Receiver, timeout_ms: i64) -> Chat {
    let settings = json!({
        "assignment": "round_robin",
        "assignment_service": {"url": service.url(), "timeout_ms": timeout_ms, "secret": SECRET},
    });
    chat(app, &t.owner, settings).await
}

/// The `reason` of the dialog's `dialog.assigned` event.
async fn assigned_reason(app: &TestApp, t: &Team, dialog: i64) -> Value {
    let assigned = events_of(app, &t.owner, "dialog.assigned", dialog).await;
    assert_eq!(assigned.len(), 1, "{assigned:#?}");
    assigned[0]["data"]["reason"].clone()
}

/// A visitor writes; returns the dialog and who got it.
async fn new_dialog(app: &TestApp, t: &Team, chat: &Chat) -> (i64, i64) {
    let v = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&v, "hello").await;
    (dialog, wait_assignee(app, &t.owner, dialog).await)
}

#[tokio::test]
async fn the_operator_the_service_names_gets_the_dialog_from_a_signed_offer() {
    let app = spawn().await;
    let t = team(&app).await;
    let service = Receiver::start().await;
    // Round robin would pick Ann (lowest id, never assigned); the service prefers Bob.
    service.respond_body(&json!({"operator_id": t.bob.operator_id}).to_string());
    let chat = service_chat(&app, &t, &service, 3000).await;
    let _ann = go_online(&app, &t.ann).await;
    let _bob = go_online(&app, &t.bob).await;

    let v = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&v, "I need Bob").await;
    assert_eq!(wait_assignee(&app, &t.owner, dialog).await, t.bob.operator_id);
    assert_eq!(assigned_reason(&app, &t, dialog).await, "assignment_service");

    let offers = service.received();
    assert_eq!(offers.len(), 1, "one offer per dialog");
    let offer = &offers[0];
    assert!(verify(SECRET, offer), "the offer is signed with the chat's secret");
    assert_eq!(offer.header("livedesk-event"), "assignment.offer");
    let body = offer.json();
    assert_eq!(body["type"], "assignment.offer");
    assert_eq!(body["chat_id"], chat.id);
    assert_eq!(body["dialog"]["id"], dialog);
    assert_eq!(body["visitor"]["id"], v.id);
    let mut candidates: Vec<i64> =
        body["candidates"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    candidates.sort_unstable();
    assert_eq!(candidates, vec![t.ann.operator_id, t.bob.operator_id]);
}

#[tokio::test]
async fn a_service_that_answers_too_late_leaves_the_dialog_to_the_policy() {
    let app = spawn().await;
    let t = team(&app).await;
    let service = Receiver::start().await;
    service.respond_body(&json!({"operator_id": t.bob.operator_id}).to_string());
    service.delay(Duration::from_secs(3));
    let chat = service_chat(&app, &t, &service, 300).await;
    let _ann = go_online(&app, &t.ann).await;
    let _bob = go_online(&app, &t.bob).await;

    let (dialog, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.ann.operator_id, "round robin's pick, not the late answer's");
    assert_eq!(assigned_reason(&app, &t, dialog).await, "assignment_service_fallback");
    // The late answer changes nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(wait_assignee(&app, &t.owner, dialog).await, t.ann.operator_id);
    assert_eq!(events_of(&app, &t.owner, "dialog.assigned", dialog).await.len(), 1);
}

#[tokio::test]
async fn a_failing_or_garbled_service_leaves_the_dialog_to_the_policy() {
    let app = spawn().await;
    let t = team(&app).await;
    let service = Receiver::start().await;
    let chat = service_chat(&app, &t, &service, 3000).await;
    let _ann = go_online(&app, &t.ann).await;

    service.respond_with(500);
    service.respond_body(&json!({"operator_id": t.bob.operator_id}).to_string());
    let (failed, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.ann.operator_id);
    assert_eq!(assigned_reason(&app, &t, failed).await, "assignment_service_fallback");

    service.respond_with(200);
    service.respond_body("<html>not json</html>");
    let (garbled, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.ann.operator_id);
    assert_eq!(assigned_reason(&app, &t, garbled).await, "assignment_service_fallback");

    // No operator named: the policy decides too.
    service.respond_body(r#"{"operator_id": null}"#);
    let (declined, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.ann.operator_id);
    assert_eq!(assigned_reason(&app, &t, declined).await, "assignment_service_fallback");
    assert_eq!(service.received().len(), 3);
}

#[tokio::test]
async fn an_offline_foreign_or_full_operator_named_by_the_service_is_passed_over() {
    let app = spawn().await;
    let t = team(&app).await;
    let carl = app.add_operator(&t.owner, "carl@acme.test", "operator").await;
    let other = app.signup("Other", "owner@other.test").await;
    let service = Receiver::start().await;
    let chat = service_chat(&app, &t, &service, 3000).await;
    set_capacity(&app, &t.owner, &t.bob, 1).await;
    let _ann = go_online(&app, &t.ann).await;
    let _bob = go_online(&app, &t.bob).await;

    // Bob takes one dialog and is full.
    service.respond_body(&json!({"operator_id": t.bob.operator_id}).to_string());
    let (first, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.bob.operator_id);
    assert_eq!(assigned_reason(&app, &t, first).await, "assignment_service");
    let (full, got) = new_dialog(&app, &t, &chat).await;
    assert_eq!(got, t.ann.operator_id, "Bob has no room");
    assert_eq!(assigned_reason(&app, &t, full).await, "assignment_service_fallback");

    for named in [carl.operator_id, other.operator_id, 999_999_999] {
        service.respond_body(&json!({"operator_id": named}).to_string());
        let (dialog, got) = new_dialog(&app, &t, &chat).await;
        assert_eq!(got, t.ann.operator_id, "operator {named} cannot take it");
        assert_eq!(assigned_reason(&app, &t, dialog).await, "assignment_service_fallback");
    }
}

#[tokio::test]
async fn with_nobody_to_take_it_the_dialog_waits_in_the_queue_after_the_offer() {
    let app = spawn().await;
    let t = team(&app).await;
    let service = Receiver::start().await;
    service.respond_body(&json!({"operator_id": t.ann.operator_id}).to_string());
    let chat = service_chat(&app, &t, &service, 3000).await;

    let v = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&v, "anyone?").await;
    let queued = crate::assignment::wait_queued(&app, &v, dialog).await;
    assert_eq!(queued["queue_position"], 1);
    let announced = crate::assignment::eventually("dialog.queued", || async {
        let events = events_of(&app, &t.owner, "dialog.queued", dialog).await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(announced[0]["data"]["reason"], "assignment_service_fallback");
    assert_eq!(service.received().len(), 1);
    // Ann comes online: the queue gives it to her as usual.
    let _ann = go_online(&app, &t.ann).await;
    assert_eq!(wait_assignee(&app, &t.owner, dialog).await, t.ann.operator_id);
}

#[tokio::test]
async fn the_service_setting_is_validated_and_its_secret_never_shown() {
    let app = spawn().await;
    let t = team(&app).await;
    let chat = chat(&app, &t.owner, json!({"assignment": "least_busy"})).await;
    let path = format!("/api/v1/chats/{}", chat.id);
    for (bad, field) in [
        (json!({"url": "ftp://x.test"}), "settings.assignment_service.url"),
        (json!({"url": "https://x.test", "timeout_ms": 20000}), "settings.assignment_service.timeout_ms"),
        (json!({"url": "https://x.test", "secret": "short"}), "settings.assignment_service.secret"),
    ] {
        let res = app.patch(&path, &t.owner.token, json!({"settings": {"assignment_service": bad}})).await;
        res.expect(422);
        assert!(res.body["errors"].to_string().contains(field), "{}", res.body);
    }
    let service = json!({"url": "https://assign.example.test/offer", "secret": SECRET});
    let res = app.patch(&path, &t.owner.token, json!({"settings": {"assignment_service": service}})).await;
    res.expect(200);
    let shown = &res.body["settings"]["assignment_service"];
    assert_eq!(shown["url"], "https://assign.example.test/offer");
    assert_eq!(shown["timeout_ms"], 3000);
    assert!(shown["secret"].is_null());
    // A later change keeps the secret (merge patch); operators cannot change it.
    let res = app.patch(&path, &t.owner.token, json!({"settings": {"assignment_service": {"timeout_ms": 500}}})).await;
    res.expect(200);
    assert!(!app.get(&path, &t.ann.token).await.body.to_string().contains(SECRET));
    let res = app.patch(&path, &t.ann.token, json!({"settings": {"assignment_service": null}})).await;
    res.expect(403);
    // The widget learns nothing of it.
    let widget = app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key})).await;
    widget.expect(201);
    assert!(widget.body["chat"]["settings"]["assignment_service"].is_null());
    assert!(!widget.body.to_string().contains("assign.example.test"));
}
