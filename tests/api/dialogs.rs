//! The dialog lifecycle (open, assigned, closed, reopened), assignment, read markers, and the
//! dialog list with its filters and pagination.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, error_fields, ids, query_escape};

fn id_set(body: &Value) -> BTreeSet<i64> {
    ids(body).into_iter().collect()
}

fn set(items: &[i64]) -> BTreeSet<i64> {
    items.iter().copied().collect()
}

/// The dialogs a text search (`q`) finds.
async fn search_dialogs(app: &TestApp, token: &str, q: &str) -> BTreeSet<i64> {
    let res = app.get(&format!("/api/v1/dialogs?q={}", query_escape(q)), token).await;
    res.expect(200);
    id_set(&res.body)
}

#[tokio::test]
async fn a_conversation_from_first_message_to_a_new_dialog() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main website", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    // The visitor writes: a new open dialog, waiting in the unassigned queue.
    let sent = app.visitor_writes(&visitor, "Hello, I need help with a refund").await;
    let dialog_id = sent["dialog"]["id"].as_i64().unwrap();
    assert_eq!(sent["dialog"]["status"], "open");
    assert!(sent["dialog"]["assignee"].is_null());
    assert_eq!(sent["dialog"]["channel"], "web");
    assert_eq!(sent["message"]["kind"], "message");
    assert_eq!(sent["message"]["author"]["type"], "visitor");
    assert_eq!(sent["message"]["author"]["id"], visitor.id);
    assert_eq!(sent["message"]["dialog_id"], dialog_id);
    let queue = app.get("/api/v1/dialogs?assignee=unassigned", &bob.token).await;
    queue.expect(200);
    assert_eq!(ids(&queue.body), vec![dialog_id]);
    assert_eq!(queue.body["items"][0]["status"], "open");
    assert_eq!(queue.body["items"][0]["visitor"]["id"], visitor.id);
    assert_eq!(queue.body["items"][0]["chat"]["id"], chat.id);
    assert_eq!(queue.body["items"][0]["chat"]["name"], "Main website");
    assert_eq!(queue.body["items"][0]["last_message"]["body"], "Hello, I need help with a refund");
    assert!(queue.body["items"][0]["first_response_at"].is_null());

    // Bob replies: he becomes the assignee.
    let reply = app.reply(&bob, dialog_id, "Sure, what is the order number?").await;
    assert_eq!(reply["dialog"]["status"], "assigned");
    assert_eq!(reply["dialog"]["assignee"]["id"], bob.operator_id);
    assert_eq!(reply["message"]["author"]["type"], "operator");
    assert_eq!(reply["message"]["author"]["id"], bob.operator_id);
    assert_eq!(reply["message"]["author"]["name"], "bob");
    let dialog = app.dialog(&owner, dialog_id).await;
    assert_eq!(dialog["status"], "assigned");
    assert_eq!(dialog["assignee"]["id"], bob.operator_id);
    assert!(dialog["first_response_at"].is_string());
    assert_eq!(dialog["counts"]["messages"], 2);
    assert_eq!(dialog["counts"]["visitor_messages"], 1);
    assert_eq!(dialog["counts"]["operator_messages"], 1);
    assert!(ids(&app.get("/api/v1/dialogs?assignee=unassigned", &bob.token).await.body).is_empty());
    assert_eq!(ids(&app.get("/api/v1/dialogs?assignee=me", &bob.token).await.body), vec![dialog_id]);
    assert!(ids(&app.get("/api/v1/dialogs?assignee=me", &owner.token).await.body).is_empty());
    // The visitor sees the assignee too.
    let seen = app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}")).await;
    seen.expect(200);
    assert_eq!(seen.body["status"], "assigned");
    assert_eq!(seen.body["assignee"]["id"], bob.operator_id);

    // Bob tags it.
    let tag = app.post("/api/v1/tags", &bob.token, json!({"name": "refund"})).await;
    tag.expect(201);
    let tag_id = tag.body["id"].as_i64().unwrap();
    let tags = app.post(&format!("/api/v1/dialogs/{dialog_id}/tags"), &bob.token, json!({"tag_id": tag_id})).await;
    tags.expect(200);
    assert_eq!(tags.body[0]["id"], tag_id);
    assert_eq!(app.dialog(&bob, dialog_id).await["tags"][0]["name"], "refund");

    // An internal note: counted apart, nothing else changes.
    let note = app
        .post(
            &format!("/api/v1/dialogs/{dialog_id}/messages"),
            &bob.token,
            json!({"body": "Order #42, paid twice", "kind": "note"}),
        )
        .await;
    note.expect(201);
    assert_eq!(note.body["message"]["kind"], "note");
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["counts"]["notes"], 1);
    assert_eq!(dialog["counts"]["messages"], 2);
    assert_eq!(dialog["assignee"]["id"], bob.operator_id);
    assert_eq!(dialog["last_message"]["body"], "Sure, what is the order number?");

    // Bob closes it; closing again changes nothing.
    let closed = app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await;
    closed.expect(200);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(closed.body["closed_by"], "operator");
    assert!(closed.body["closed_at"].is_string());
    let again = app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await;
    again.expect(200);
    assert_eq!(again.body["closed_at"], closed.body["closed_at"]);
    assert_eq!(again.body["closed_by"], "operator");
    let seen = app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}")).await;
    assert_eq!(seen.body["status"], "closed");

    // The visitor writes again within the reopen timeout (1 hour): the same dialog reopens.
    let sent = app.visitor_writes(&visitor, "One more thing").await;
    assert_eq!(sent["dialog"]["id"], dialog_id);
    assert_eq!(sent["dialog"]["status"], "assigned");
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["status"], "assigned");
    assert_eq!(dialog["reopen_count"], 1);
    assert_eq!(dialog["assignee"]["id"], bob.operator_id);
    assert!(dialog["closed_at"].is_null());
    assert!(dialog["closed_by"].is_null());
    assert_eq!(dialog["counts"]["messages"], 3);
    assert_eq!(dialog["tags"][0]["id"], tag_id);

    // With a reopen timeout of 0, a message after a close starts a new dialog.
    app.patch(&format!("/api/v1/chats/{}", chat.id), &owner.token, json!({"settings": {"reopen_timeout_secs": 0}}))
        .await
        .expect(200);
    app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await.expect(200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sent = app.visitor_writes(&visitor, "A new question").await;
    let new_id = sent["dialog"]["id"].as_i64().unwrap();
    assert_ne!(new_id, dialog_id);
    assert_eq!(sent["dialog"]["status"], "open");
    assert!(sent["dialog"]["assignee"].is_null());
    let new_dialog = app.dialog(&bob, new_id).await;
    assert_eq!(new_dialog["reopen_count"], 0);
    assert_eq!(new_dialog["counts"]["messages"], 1);
    assert!(new_dialog["tags"].as_array().unwrap().is_empty());
    let old = app.dialog(&bob, dialog_id).await;
    assert_eq!(old["status"], "closed");
    assert_eq!(old["reopen_count"], 1);
    assert_eq!(old["counts"]["messages"], 3);

    // The widget lists both, newest first.
    let mine = app.visitor_get(&visitor, "/api/v1/widget/dialogs").await;
    assert_eq!(ids(&mine.body), vec![new_id, dialog_id]);
}

#[tokio::test]
async fn after_the_reopen_timeout_a_visitor_message_starts_a_new_dialog() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Quick", json!({"reopen_timeout_secs": 1})).await;
    assert_eq!(chat.body["settings"]["reopen_timeout_secs"], 1);
    let visitor = app.start_visitor(&chat.public_key).await;

    let first = app.visitor_writes_dialog(&visitor, "First question").await;
    app.reply(&owner, first, "Answered").await;
    app.post(&format!("/api/v1/dialogs/{first}/close"), &owner.token, json!({})).await.expect(200);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let sent = app.visitor_writes(&visitor, "Second question").await;
    let second = sent["dialog"]["id"].as_i64().unwrap();
    assert_ne!(second, first);
    assert_eq!(sent["dialog"]["status"], "open");
    let old = app.dialog(&owner, first).await;
    assert_eq!(old["status"], "closed");
    assert_eq!(old["reopen_count"], 0);

    // A visitor-closed dialog follows the same rule.
    app.visitor_post(&visitor, &format!("/api/v1/widget/dialogs/{second}/close"), json!({})).await.expect(200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let third = app.visitor_writes_dialog(&visitor, "Third question").await;
    assert_ne!(third, second);
    assert_ne!(third, first);
}

#[tokio::test]
async fn two_operators_replying_at_once_leave_one_assignee() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;

    for round in 0..5 {
        let visitor = app.start_visitor(&chat.public_key).await;
        let dialog_id = app.visitor_writes_dialog(&visitor, &format!("Help me, round {round}")).await;
        let path = format!("/api/v1/dialogs/{dialog_id}/messages");
        let (a, b) = tokio::join!(
            app.post(&path, &bob.token, json!({"body": format!("Bob here ({round})")})),
            app.post(&path, &carol.token, json!({"body": format!("Carol here ({round})")})),
        );
        a.expect(201);
        b.expect(201);
        let winner = a.body["dialog"]["assignee"]["id"].as_i64().expect("assignee after Bob's reply");
        assert!(winner == bob.operator_id || winner == carol.operator_id, "{winner}");
        assert_eq!(b.body["dialog"]["assignee"]["id"], winner, "both answers name one assignee");
        assert_eq!(a.body["dialog"]["status"], "assigned");
        assert_eq!(b.body["dialog"]["status"], "assigned");

        // Both messages are stored.
        let messages = app.get(&path, &owner.token).await;
        messages.expect(200);
        let mut bodies: Vec<String> = messages.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect();
        bodies.sort();
        assert_eq!(
            bodies,
            vec![format!("Bob here ({round})"), format!("Carol here ({round})"), format!("Help me, round {round}")]
        );

        // The dialog names the winner, and keeps naming them.
        let dialog = app.dialog(&owner, dialog_id).await;
        assert_eq!(dialog["assignee"]["id"], winner);
        assert_eq!(dialog["status"], "assigned");
        assert_eq!(dialog["counts"]["operator_messages"], 2);
        let again = app.dialog(&bob, dialog_id).await;
        assert_eq!(again["assignee"]["id"], winner);
        let mine_bob = ids(&app.get("/api/v1/dialogs?assignee=me", &bob.token).await.body).contains(&dialog_id);
        let mine_carol = ids(&app.get("/api/v1/dialogs?assignee=me", &carol.token).await.body).contains(&dialog_id);
        assert!(mine_bob ^ mine_carol, "exactly one operator has the dialog");
    }
}

#[tokio::test]
async fn dialogs_are_assigned_unassigned_and_reopened_by_hand() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;
    let invited =
        app.post("/api/v1/operators", &owner.token, json!({"email": "new@acme.test", "display_name": "New"})).await;
    invited.expect(201);
    let invited_id = invited.body["operator"]["id"].as_i64().unwrap();
    let other = app.signup("Other", "owner@other.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "Hi").await;
    let assign = format!("/api/v1/dialogs/{dialog_id}/assign");

    let res = app.post(&assign, &owner.token, json!({"assignee_id": bob.operator_id})).await;
    res.expect(200);
    assert_eq!(res.body["status"], "assigned");
    assert_eq!(res.body["assignee"]["id"], bob.operator_id);
    // Reassigning.
    let res = app.post(&assign, &bob.token, json!({"assignee_id": carol.operator_id})).await;
    res.expect(200);
    assert_eq!(res.body["assignee"]["id"], carol.operator_id);
    // Unassigning puts it back in the queue.
    let res = app.post(&assign, &carol.token, json!({"assignee_id": null})).await;
    res.expect(200);
    assert_eq!(res.body["status"], "open");
    assert!(res.body["assignee"].is_null());
    assert_eq!(ids(&app.get("/api/v1/dialogs?assignee=unassigned", &owner.token).await.body), vec![dialog_id]);

    // Unknown, invited, foreign and deactivated operators cannot be assigned.
    app.patch(&format!("/api/v1/operators/{}", carol.operator_id), &owner.token, json!({"active": false}))
        .await
        .expect(200);
    for target in [999_999, invited_id, other.operator_id, carol.operator_id] {
        let res = app.post(&assign, &owner.token, json!({"assignee_id": target})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["assignee_id"], "{target}");
    }
    let dialog = app.dialog(&owner, dialog_id).await;
    assert_eq!(dialog["status"], "open");
    assert!(dialog["assignee"].is_null());

    // A closed dialog must be reopened before assigning.
    app.post(&assign, &owner.token, json!({"assignee_id": bob.operator_id})).await.expect(200);
    app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await.expect(200);
    app.post(&assign, &owner.token, json!({"assignee_id": owner.operator_id}))
        .await
        .expect_problem(409, "dialog_closed");
    app.post(&assign, &owner.token, json!({"assignee_id": null})).await.expect_problem(409, "dialog_closed");
    let dialog = app.dialog(&owner, dialog_id).await;
    assert_eq!(dialog["status"], "closed");
    assert_eq!(dialog["assignee"]["id"], bob.operator_id);

    // Reopening keeps the assignee; reopening an open dialog changes nothing.
    let res = app.post(&format!("/api/v1/dialogs/{dialog_id}/reopen"), &owner.token, json!({})).await;
    res.expect(200);
    assert_eq!(res.body["status"], "assigned");
    assert_eq!(res.body["assignee"]["id"], bob.operator_id);
    assert_eq!(res.body["reopen_count"], 1);
    assert!(res.body["closed_at"].is_null());
    let res = app.post(&format!("/api/v1/dialogs/{dialog_id}/reopen"), &owner.token, json!({})).await;
    res.expect(200);
    assert_eq!(res.body["reopen_count"], 1);
    app.post(&assign, &owner.token, json!({"assignee_id": owner.operator_id})).await.expect(200);

    // An unassigned dialog reopens as open.
    let visitor2 = app.start_visitor(&chat.public_key).await;
    let second = app.visitor_writes_dialog(&visitor2, "Hello?").await;
    app.post(&format!("/api/v1/dialogs/{second}/close"), &owner.token, json!({})).await.expect(200);
    let res = app.post(&format!("/api/v1/dialogs/{second}/reopen"), &owner.token, json!({})).await;
    res.expect(200);
    assert_eq!(res.body["status"], "open");
    assert!(res.body["assignee"].is_null());

    // An operator reply to a closed dialog reopens it.
    app.post(&format!("/api/v1/dialogs/{second}/close"), &owner.token, json!({})).await.expect(200);
    let reply = app.reply(&bob, second, "Following up").await;
    assert_eq!(reply["dialog"]["status"], "assigned");
    assert_eq!(reply["dialog"]["assignee"]["id"], bob.operator_id);
    assert_eq!(app.dialog(&owner, second).await["reopen_count"], 2);

    for path in ["assign", "close", "reopen"] {
        app.post(&format!("/api/v1/dialogs/999999/{path}"), &owner.token, json!({"assignee_id": null}))
            .await
            .expect_problem(404, "not_found");
    }
}

#[tokio::test]
async fn read_markers_move_forward_only() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let sent = app.visitor_writes(&visitor, "First").await;
    let dialog_id = sent["dialog"]["id"].as_i64().unwrap();
    let m1 = sent["message"]["id"].as_i64().unwrap();
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["unread_by_operators"], true);
    assert_eq!(dialog["unread_by_visitor"], false);
    assert_eq!(dialog["visitor_last_read_message_id"], m1, "writing reads everything before");
    assert_eq!(dialog["operator_last_read_message_id"], 0);

    // Operators read (no body: everything).
    let read =
        app.request(reqwest::Method::POST, &format!("/api/v1/dialogs/{dialog_id}/read"), Some(&bob.token), None).await;
    read.expect(200);
    assert_eq!(read.body["operator_last_read_message_id"], m1);
    assert_eq!(read.body["unread_by_operators"], false);

    // Bob replies; the visitor has something unread.
    let m2 = app.reply(&bob, dialog_id, "Reply").await["message"]["id"].as_i64().unwrap();
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["unread_by_visitor"], true);
    assert_eq!(dialog["unread_by_operators"], false);
    assert_eq!(dialog["operator_last_read_message_id"], m2);
    let n3 = app
        .post(
            &format!("/api/v1/dialogs/{dialog_id}/messages"),
            &bob.token,
            json!({"body": "secret note", "kind": "note"}),
        )
        .await;
    n3.expect(201);
    let n3 = n3.body["message"]["id"].as_i64().unwrap();

    // A visitor cannot mark a note read: it does not exist for them.
    let wread = format!("/api/v1/widget/dialogs/{dialog_id}/read");
    let res = app.visitor_post(&visitor, &wread, json!({"message_id": n3})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["message_id"]);
    app.visitor_post(&visitor, &wread, json!({"message_id": 999_999})).await.expect_problem(422, "validation_failed");

    // The visitor reads up to the reply.
    let res = app.visitor_post(&visitor, &wread, json!({"message_id": m2})).await;
    res.expect(200);
    assert_eq!(res.body["visitor_last_read_message_id"], m2);
    assert_eq!(app.dialog(&bob, dialog_id).await["unread_by_visitor"], false);
    // Never backwards.
    let res = app.visitor_post(&visitor, &wread, json!({"message_id": m1})).await;
    res.expect(200);
    assert_eq!(res.body["visitor_last_read_message_id"], m2);
    // "Everything" for the visitor stops before the note.
    let res = app.visitor_post(&visitor, &wread, json!({})).await;
    res.expect(200);
    assert_eq!(res.body["visitor_last_read_message_id"], m2);

    // Operators: everything includes the note; never backwards; foreign messages refused.
    let oread = format!("/api/v1/dialogs/{dialog_id}/read");
    let res = app.post(&oread, &bob.token, json!({})).await;
    res.expect(200);
    assert_eq!(res.body["operator_last_read_message_id"], n3);
    let res = app.post(&oread, &owner.token, json!({"message_id": m1})).await;
    res.expect(200);
    assert_eq!(res.body["operator_last_read_message_id"], n3);
    let other_visitor = app.start_visitor(&chat.public_key).await;
    let other = app.visitor_writes(&other_visitor, "Elsewhere").await;
    let foreign_message = other["message"]["id"].as_i64().unwrap();
    let res = app.post(&oread, &bob.token, json!({"message_id": foreign_message})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["message_id"]);
    app.visitor_post(&visitor, &wread, json!({"message_id": foreign_message}))
        .await
        .expect_problem(422, "validation_failed");

    // A new visitor message is unread by operators again.
    let m5 = app.visitor_writes(&visitor, "Thanks").await["message"]["id"].as_i64().unwrap();
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["unread_by_operators"], true);
    assert_eq!(dialog["visitor_last_read_message_id"], m5);
    assert_eq!(dialog["operator_last_read_message_id"], n3);
    let res = app.post(&oread, &bob.token, json!({"message_id": m5})).await;
    res.expect(200);
    assert_eq!(res.body["unread_by_operators"], false);
}

/// A dialog set up for the filter test.
struct Fixture {
    d1: i64,
    d2: i64,
    d3: i64,
    d4: i64,
}

async fn filter_fixture(app: &TestApp, owner: &Session, bob: &Session) -> (Fixture, i64, i64, i64, i64, i64) {
    let web = app.create_chat(owner, "Web", Value::Null).await;
    let shop = app.create_chat(owner, "Shop", Value::Null).await;

    let v1 = app.start_visitor(&web.public_key).await;
    let d1 = app.visitor_writes_dialog(&v1, "I want a refund for order 42").await;

    let v2 = app.start_visitor(&web.public_key).await;
    let d2 = app.visitor_writes_dialog(&v2, "Where is my parcel?").await;
    app.reply(bob, d2, "It ships tomorrow").await;

    let v3 = app.start_visitor(&shop.public_key).await;
    let d3 = app.visitor_writes_dialog(&v3, "Привет, нужна помощь с оплатой").await;
    app.reply(owner, d3, "Здравствуйте! Сейчас проверю").await;
    app.post(&format!("/api/v1/dialogs/{d3}/close"), &owner.token, json!({})).await.expect(200);

    let contact =
        app.post("/api/v1/visitors", &owner.token, json!({"chat_id": shop.id, "name": "Telegram user"})).await;
    contact.expect(201);
    let v4 = contact.body["id"].as_i64().unwrap();
    let sent = app
        .post(
            &format!("/api/v1/visitors/{v4}/messages"),
            &owner.token,
            json!({"body": "Was I refunded twice?", "channel": "telegram"}),
        )
        .await;
    sent.expect(201);
    let d4 = sent.body["dialog"]["id"].as_i64().unwrap();

    let billing = app.post("/api/v1/tags", &owner.token, json!({"name": "billing"})).await.body["id"].as_i64().unwrap();
    let vip = app.post("/api/v1/tags", &owner.token, json!({"name": "vip"})).await.body["id"].as_i64().unwrap();
    for (dialog, tag) in [(d1, billing), (d3, billing), (d2, vip)] {
        app.post(&format!("/api/v1/dialogs/{dialog}/tags"), &bob.token, json!({"tag_id": tag})).await.expect(200);
    }
    (Fixture { d1, d2, d3, d4 }, web.id, shop.id, v2.id, billing, vip)
}

#[tokio::test]
async fn the_dialog_list_filters() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let (f, web, shop, v2, billing, vip) = filter_fixture(&app, &owner, &bob).await;
    let Fixture { d1, d2, d3, d4 } = f;

    let list = |query: String| {
        let app = &app;
        let token = bob.token.clone();
        async move {
            let res = app.get(&format!("/api/v1/dialogs?{query}"), &token).await;
            res.expect(200);
            id_set(&res.body)
        }
    };

    assert_eq!(list(String::new()).await, set(&[d1, d2, d3, d4]));
    assert_eq!(list("status=all".into()).await, set(&[d1, d2, d3, d4]));
    assert_eq!(list("status=active".into()).await, set(&[d1, d2, d4]));
    assert_eq!(list("status=open".into()).await, set(&[d1, d4]));
    assert_eq!(list("status=assigned".into()).await, set(&[d2]));
    assert_eq!(list("status=closed".into()).await, set(&[d3]));
    assert_eq!(list("status=no_operator_response".into()).await, set(&[d1, d4]));

    assert_eq!(list("assignee=me".into()).await, set(&[d2]));
    assert_eq!(list("assignee=unassigned".into()).await, set(&[d1, d4]));
    assert_eq!(list(format!("assignee={}", owner.operator_id)).await, set(&[d3]));
    assert_eq!(list(format!("assignee={}", bob.operator_id)).await, set(&[d2]));
    assert_eq!(list("assignee=999999".into()).await, set(&[]));

    assert_eq!(list(format!("tag_ids={billing}")).await, set(&[d1, d3]));
    assert_eq!(list(format!("tag_ids={vip}")).await, set(&[d2]));
    assert_eq!(list(format!("tag_ids={billing},{vip}")).await, set(&[d1, d2, d3]));
    assert_eq!(list(format!("tag_ids={billing}%2C{vip}")).await, set(&[d1, d2, d3]));

    assert_eq!(list("channel=telegram".into()).await, set(&[d4]));
    assert_eq!(list("channel=web".into()).await, set(&[d1, d2, d3]));
    assert_eq!(list("channel=email".into()).await, set(&[]));
    assert_eq!(list(format!("chat_id={shop}")).await, set(&[d3, d4]));
    assert_eq!(list(format!("chat_id={web}")).await, set(&[d1, d2]));
    assert_eq!(list(format!("visitor_id={v2}")).await, set(&[d2]));

    // Creation time ranges (RFC 3339): from is inclusive, to exclusive.
    let mut created = Vec::new();
    for id in [d1, d2, d3, d4] {
        let at = app.dialog(&bob, id).await["created_at"].as_str().unwrap().to_string();
        let ms = chrono::DateTime::parse_from_rfc3339(&at).unwrap().timestamp_millis();
        created.push((id, at, ms));
    }
    let (_, from_text, from_ms) = created[2].clone();
    let expected_from: BTreeSet<i64> = created.iter().filter(|c| c.2 >= from_ms).map(|c| c.0).collect();
    assert!(expected_from.contains(&d3) && expected_from.contains(&d4));
    assert_eq!(list(format!("created_from={}", query_escape(&from_text))).await, expected_from);
    let expected_to: BTreeSet<i64> = created.iter().filter(|c| c.2 < from_ms).map(|c| c.0).collect();
    assert_eq!(list(format!("created_to={}", query_escape(&from_text))).await, expected_to);
    let (_, to_text, to_ms) = created[3].clone();
    let expected_range: BTreeSet<i64> = created.iter().filter(|c| c.2 >= from_ms && c.2 < to_ms).map(|c| c.0).collect();
    assert_eq!(
        list(format!("created_from={}&created_to={}", query_escape(&from_text), query_escape(&to_text))).await,
        expected_range
    );
    // Offsets other than Z work.
    let start = chrono::DateTime::parse_from_rfc3339(&created[0].1).unwrap();
    let shifted = start.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap()).to_rfc3339();
    assert_eq!(list(format!("created_from={}", query_escape(&shifted))).await, set(&[d1, d2, d3, d4]));
    assert_eq!(list("created_from=2100-01-01T00:00:00Z".into()).await, set(&[]));
    assert_eq!(list("created_to=2000-01-01T00:00:00Z".into()).await, set(&[]));

    // Text search: word prefixes, all words required, any case, any script.
    assert_eq!(list("q=refun".into()).await, set(&[d1, d4]));
    assert_eq!(list("q=REFUND".into()).await, set(&[d1, d4]));
    assert_eq!(list("q=refund%20order".into()).await, set(&[d1]));
    assert_eq!(list("q=refund%20parcel".into()).await, set(&[]));
    assert_eq!(list("q=tomorrow".into()).await, set(&[d2]), "operator messages are searched too");
    assert_eq!(list(format!("q={}", query_escape("оплат"))).await, set(&[d3]));
    assert_eq!(list(format!("q={}", query_escape("ПРИВЕТ"))).await, set(&[d3]));
    assert_eq!(list(format!("q={}", query_escape("нужна помощь"))).await, set(&[d3]));
    assert_eq!(list(format!("q={}", query_escape("refund?! (order)"))).await, set(&[d1]));
    assert_eq!(list("q=zebra".into()).await, set(&[]));
    assert_eq!(list("q=ref".into()).await, set(&[d1, d4]));
    assert_eq!(list("q=efund".into()).await, set(&[]), "prefixes, not substrings");

    // Filters combine.
    assert_eq!(list("status=open&channel=web".into()).await, set(&[d1]));
    assert_eq!(list(format!("status=active&tag_ids={billing}")).await, set(&[d1]));
    assert_eq!(list(format!("q=refund&chat_id={shop}")).await, set(&[d4]));
    assert_eq!(list("assignee=unassigned&status=closed".into()).await, set(&[]));

    // Sort by creation: newest first.
    let sorted = app.get("/api/v1/dialogs?sort=created", &bob.token).await;
    assert_eq!(ids(&sorted.body), vec![d4, d3, d2, d1]);
    // The default sort is by last activity: a new message moves a dialog to the top.
    app.reply(&bob, d1, "Looking into the refund").await;
    let by_activity = app.get("/api/v1/dialogs?sort=last_activity", &bob.token).await;
    assert_eq!(ids(&by_activity.body)[0], d1);
    assert_eq!(ids(&app.get("/api/v1/dialogs", &bob.token).await.body)[0], d1);
    assert_eq!(ids(&app.get("/api/v1/dialogs?sort=created", &bob.token).await.body), vec![d4, d3, d2, d1]);

    // Status and assignee filters follow each change, in last-activity order.
    assert_eq!(list("status=assigned".into()).await, set(&[d1, d2]));
    assert_eq!(list("assignee=unassigned".into()).await, set(&[d4]));
    app.post(&format!("/api/v1/dialogs/{d2}/close"), &bob.token, json!({})).await.expect(200);
    let closed = app.get("/api/v1/dialogs?status=closed", &bob.token).await;
    assert_eq!(ids(&closed.body), vec![d2, d3], "closing is activity");
    let mine = app.get("/api/v1/dialogs?assignee=me&status=active", &bob.token).await;
    assert_eq!(ids(&mine.body), vec![d1]);
    app.post(&format!("/api/v1/dialogs/{d1}/assign"), &bob.token, json!({"assignee_id": null})).await.expect(200);
    assert_eq!(list("assignee=me".into()).await, set(&[d2]));
    assert_eq!(list("assignee=unassigned".into()).await, set(&[d1, d4]));
    assert_eq!(list(format!("chat_id={web}&status=active")).await, set(&[d1]));
}

#[tokio::test]
async fn the_dialog_list_pages_with_a_cursor() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let mut created = Vec::new();
    let mut visitors = Vec::new();
    for i in 0..5 {
        let visitor = app.start_visitor(&chat.public_key).await;
        created.push(app.visitor_writes_dialog(&visitor, &format!("Question {i}")).await);
        visitors.push(visitor);
    }
    let newest_first: Vec<i64> = created.iter().rev().copied().collect();

    for sort in ["created", "last_activity"] {
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/dialogs?sort={sort}&limit=2&cursor={c}"),
                None => format!("/api/v1/dialogs?sort={sort}&limit=2"),
            };
            let page = app.get(&path, &owner.token).await;
            page.expect(200);
            pages += 1;
            let items = ids(&page.body);
            assert!(items.len() <= 2);
            seen.extend(items);
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        assert_eq!(seen, newest_first, "{sort}");
    }

    // Visitors writing again move their dialogs up, whether their messages were written one by
    // one or together in one group commit.
    app.visitor_writes(&visitors[2], "Still there?").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.visitor_writes(&visitors[0], "Hello again").await;
    let by_activity = app.all_ids("/api/v1/dialogs?sort=last_activity&limit=2", &owner.token).await;
    assert_eq!(by_activity[..2], [created[0], created[2]]);
    futures_util::future::join_all(visitors.iter().map(|v| app.visitor_writes(v, "Anyone?"))).await;
    let items = app.all_items("/api/v1/dialogs?sort=last_activity&limit=2", &owner.token).await;
    let activity = |d: &Value| chrono::DateTime::parse_from_rfc3339(d["last_activity_at"].as_str().unwrap()).unwrap();
    let keys: Vec<(i64, i64)> =
        items.iter().map(|d| (activity(d).timestamp_millis(), d["id"].as_i64().unwrap())).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "the list follows each dialog's own last activity");
    assert_eq!(keys.len(), 5);

    // Filters apply on every page.
    let unassigned = app.all_ids("/api/v1/dialogs?assignee=unassigned&limit=2", &owner.token).await;
    assert_eq!(unassigned.len(), 5);
    app.reply(&owner, created[0], "hi").await;
    app.reply(&owner, created[3], "hi").await;
    let unassigned = app.all_ids("/api/v1/dialogs?assignee=unassigned&limit=1&sort=created", &owner.token).await;
    assert_eq!(unassigned, vec![created[4], created[2], created[1]]);

    app.get("/api/v1/dialogs?cursor=***", &owner.token).await.expect_problem(400, "invalid_cursor");
    app.get("/api/v1/dialogs?limit=0", &owner.token).await.expect_problem(400, "invalid_query");
    app.get("/api/v1/dialogs?limit=201", &owner.token).await.expect_problem(400, "invalid_query");
}

#[tokio::test]
async fn walking_pages_while_dialogs_are_created_skips_and_repeats_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let mut existing = Vec::new();
    for i in 0..12 {
        let visitor = app.start_visitor(&chat.public_key).await;
        existing.push(app.visitor_writes_dialog(&visitor, &format!("Existing {i}")).await);
    }

    let walker = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/dialogs?sort=created&limit=2&cursor={c}"),
                None => "/api/v1/dialogs?sort=created&limit=2".to_string(),
            };
            let page = app.get(&path, &owner.token).await;
            page.expect(200);
            seen.extend(ids(&page.body));
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        seen
    };
    let inserter = async {
        let mut added = Vec::new();
        for (i, old) in existing.iter().take(10).enumerate() {
            let visitor = app.start_visitor(&chat.public_key).await;
            added.push(app.visitor_writes_dialog(&visitor, &format!("New {i}")).await);
            // Activity on old dialogs must not disturb a walk by creation time either.
            app.reply(&owner, *old, "activity").await;
        }
        added
    };
    let (seen, added) = tokio::join!(walker, inserter);

    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a dialog was returned twice: {seen:?}");
    for id in &existing {
        assert!(unique.contains(id), "dialog {id} was skipped: {seen:?}");
    }
    for id in &seen {
        assert!(existing.contains(id) || added.contains(id), "unknown dialog {id}");
    }
    // Existing dialogs come in creation order, newest first.
    let old_order: Vec<i64> = seen.iter().filter(|id| existing.contains(id)).copied().collect();
    let expected: Vec<i64> = existing.iter().rev().copied().collect();
    assert_eq!(old_order, expected);
    assert_eq!(app.all_ids("/api/v1/dialogs?limit=50", &owner.token).await.len(), 22);
}

#[tokio::test]
async fn invalid_dialog_queries_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    for query in [
        "status=bogus",
        "assignee=xyz",
        "assignee=12abc",
        "tag_ids=a,b",
        "tag_ids=1,b",
        "channel=pigeon",
        "sort=random",
        "chat_id=abc",
        "visitor_id=1.5",
        "created_from=yesterday",
        "created_to=2024-13-01T00:00:00Z",
    ] {
        app.get(&format!("/api/v1/dialogs?{query}"), &owner.token).await.expect_problem(400, "invalid_query");
    }
    let long = "a".repeat(201);
    app.get(&format!("/api/v1/dialogs?q={long}"), &owner.token).await.expect_problem(400, "invalid_query");
    app.get(&format!("/api/v1/dialogs?q={}", "a".repeat(200)), &owner.token).await.expect(200);
    // Empty values mean "no filter".
    app.get("/api/v1/dialogs?assignee=&tag_ids=&q=", &owner.token).await.expect(200);
}

#[tokio::test]
async fn search_finds_words_inside_email_addresses_and_links() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let v1 = app.start_visitor(&chat.public_key).await;
    let email = app.visitor_writes_dialog(&v1, "Please write to ann.lee@example.com").await;
    let v2 = app.start_visitor(&chat.public_key).await;
    let link = app.visitor_writes_dialog(&v2, "The page https://shop.test/pricing is broken").await;
    let v3 = app.start_visitor(&chat.public_key).await;
    let plain = app.visitor_writes_dialog(&v3, "Order 42-A arrived damaged").await;

    let search = |q: &'static str| search_dialogs(&app, &owner.token, q);
    // Words are words wherever they stand.
    assert_eq!(search("ann.lee@example.com").await, set(&[email]));
    assert_eq!(search("example").await, set(&[email]));
    assert_eq!(search("lee").await, set(&[email]));
    assert_eq!(search("pricing").await, set(&[link]));
    assert_eq!(search("shop").await, set(&[link]));
    assert_eq!(search("damaged order").await, set(&[plain]));
    assert_eq!(search("42").await, set(&[plain]));
}

#[tokio::test]
async fn search_finds_non_ascii_words_whatever_the_database_locale() {
    use diesel::connection::SimpleConnection;
    use livedesk::db::{DatabaseUrl, Db};
    use livedesk::store::message_search;

    let app = TestApp::spawn().await;
    let pg = app.db.is_postgres().then(|| Db::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap());
    if let Some(db) = &pg {
        // What a database created with the `C` locale gives the message text.
        db.get_blocking()
            .unwrap()
            .batch_execute(r#"ALTER TABLE messages ALTER COLUMN body TYPE text COLLATE "C""#)
            .unwrap();
    }
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "ПРИВЕТ! Нужен счёт для Café Łódź").await;
    let other = app.start_visitor(&chat.public_key).await;
    app.visitor_writes_dialog(&other, "hello").await;
    let expect_found = || async {
        for q in ["привет", "СЧЁТ", "café", "łód", "нуж"] {
            assert_eq!(search_dialogs(&app, &owner.token, q).await, set(&[dialog]), "query {q}");
        }
    };
    expect_found().await;
    if let Some(db) = &pg {
        // Indexed, the same words are found.
        let mut conn = db.get_blocking().unwrap();
        while message_search::index_pending(&mut conn, 1000).unwrap() > 0 {}
        expect_found().await;
    }
}

#[tokio::test]
async fn search_finds_messages_queued_for_the_index_and_indexed() {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    use livedesk::db::{DatabaseUrl, Db};
    use livedesk::store::message_search;

    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let v1 = app.start_visitor(&chat.public_key).await;
    let invoice = app.visitor_writes_dialog(&v1, "Where is invoice 7781?").await;
    let v2 = app.start_visitor(&chat.public_key).await;
    app.visitor_writes_dialog(&v2, "Nothing to see here").await;
    let search = |q: &'static str| search_dialogs(&app, &owner.token, q);
    assert_eq!(search("invoice").await, set(&[invoice]));
    if !app.db.is_postgres() {
        return;
    }

    // PostgreSQL indexes behind the writer; once the queue is empty, the index answers.
    let db = Db::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), 2).unwrap();
    let mut conn = db.get_blocking().unwrap();
    let count = |conn: &mut livedesk::db::DbConn, sql: String| {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
    };
    for _ in 0..200 {
        message_search::index_pending(&mut conn, 1000).unwrap();
        if count(&mut conn, "SELECT count(*) AS n FROM message_search_pending".into()) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_index = format!("SELECT count(*) AS n FROM message_search WHERE dialog_id = {invoice}");
    assert!(count(&mut conn, in_index.clone()) > 0);
    assert_eq!(search("invoice").await, set(&[invoice]));
    assert_eq!(search("778").await, set(&[invoice]));

    // Queued again and held by another transaction, so the indexer skips it: the queue answers.
    let mut holder = db.get_blocking().unwrap();
    loop {
        conn.batch_execute(&format!(
            "DELETE FROM message_search WHERE dialog_id = {invoice}; \
             INSERT INTO message_search_pending (message_id) SELECT id FROM messages WHERE dialog_id = {invoice} \
             ON CONFLICT DO NOTHING"
        ))
        .unwrap();
        holder.batch_execute("BEGIN").unwrap();
        let held = diesel::sql_query(format!(
            "SELECT message_id FROM message_search_pending \
             WHERE message_id IN (SELECT id FROM messages WHERE dialog_id = {invoice}) FOR UPDATE"
        ))
        .execute(&mut *holder)
        .unwrap();
        if held > 0 && count(&mut conn, in_index.clone()) == 0 {
            break;
        }
        holder.batch_execute("ROLLBACK").unwrap();
    }
    assert_eq!(search("invoice").await, set(&[invoice]));
    assert_eq!(search("778").await, set(&[invoice]));
    assert!(search("nothing").await.len() == 1);
    holder.batch_execute("ROLLBACK").unwrap();
}
