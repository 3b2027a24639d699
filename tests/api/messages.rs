//! Messages: idempotent sends, internal notes that visitors never see, deletion with
//! tombstones, and input limits.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, Visitor, error_fields, ids};

async fn message_count(app: &TestApp, token: &str, dialog_id: i64) -> usize {
    app.all_items(&format!("/api/v1/dialogs/{dialog_id}/messages?limit=200"), token).await.len()
}

#[tokio::test]
async fn a_resent_client_id_returns_the_original_message() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    // The visitor's retry.
    let first =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "Hello", "client_id": "w-1"})).await;
    first.expect(201);
    let message_id = first.body["message"]["id"].as_i64().unwrap();
    let dialog_id = first.body["dialog"]["id"].as_i64().unwrap();
    assert_eq!(first.body["message"]["client_id"], "w-1");
    let retry =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "Hello", "client_id": "w-1"})).await;
    retry.expect(200);
    assert_eq!(retry.body["message"]["id"], message_id);
    assert_eq!(retry.body["message"]["body"], "Hello");
    assert_eq!(retry.body["dialog"]["id"], dialog_id);
    // Even with another text, the original stands.
    let retry =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "Hello again", "client_id": "w-1"})).await;
    retry.expect(200);
    assert_eq!(retry.body["message"]["id"], message_id);
    assert_eq!(retry.body["message"]["body"], "Hello");
    assert_eq!(message_count(&app, &bob.token, dialog_id).await, 1);
    assert_eq!(app.dialog(&bob, dialog_id).await["counts"]["messages"], 1);

    // The operator's retry.
    let path = format!("/api/v1/dialogs/{dialog_id}/messages");
    let first = app.post(&path, &bob.token, json!({"body": "Hi, how can I help?", "client_id": "op-1"})).await;
    first.expect(201);
    let reply_id = first.body["message"]["id"].as_i64().unwrap();
    let retry = app.post(&path, &bob.token, json!({"body": "Hi, how can I help?", "client_id": "op-1"})).await;
    retry.expect(200);
    assert_eq!(retry.body["message"]["id"], reply_id);
    assert_eq!(retry.body["dialog"]["assignee"]["id"], bob.operator_id);
    assert_eq!(message_count(&app, &bob.token, dialog_id).await, 2);
    assert_eq!(app.dialog(&bob, dialog_id).await["counts"]["operator_messages"], 1);

    // The same client_id on another dialog is a client bug: 409, nothing stored.
    let other_visitor = app.start_visitor(&chat.public_key).await;
    let other_dialog = app.visitor_writes_dialog(&other_visitor, "Me too").await;
    let other_path = format!("/api/v1/dialogs/{other_dialog}/messages");
    app.post(&other_path, &bob.token, json!({"body": "Hi!", "client_id": "op-1"}))
        .await
        .expect_problem(409, "client_id_reused");
    assert_eq!(message_count(&app, &bob.token, other_dialog).await, 1);
    let other = app.dialog(&bob, other_dialog).await;
    assert!(other["assignee"].is_null(), "a refused send must not assign");
    assert_eq!(other["status"], "open");

    // Client ids belong to their author: another operator or visitor may use the same one.
    app.post(&other_path, &owner.token, json!({"body": "Hello from the owner", "client_id": "op-1"})).await.expect(201);
    app.visitor_post(
        &other_visitor,
        "/api/v1/widget/messages",
        json!({"body": "Same id, other visitor", "client_id": "w-1"}),
    )
    .await
    .expect(201);
    assert_eq!(message_count(&app, &bob.token, other_dialog).await, 3);
    assert_eq!(message_count(&app, &bob.token, dialog_id).await, 2);
}

#[tokio::test]
async fn concurrent_retries_store_one_message() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let sends = (0..20).map(|_| {
        app.visitor_post(
            &visitor,
            "/api/v1/widget/messages",
            json!({"body": "Is anyone there?", "client_id": "burst-1"}),
        )
    });
    let answers = join_all(sends).await;
    let mut created = 0;
    let message_id = answers[0].body["message"]["id"].as_i64().expect("message id");
    let dialog_id = answers[0].body["dialog"]["id"].as_i64().unwrap();
    for a in &answers {
        assert!(a.status == 201 || a.status == 200, "{}", a.text);
        created += usize::from(a.status == 201);
        assert_eq!(a.body["message"]["id"], message_id, "{}", a.text);
        assert_eq!(a.body["dialog"]["id"], dialog_id);
    }
    assert_eq!(created, 1);
    assert_eq!(message_count(&app, &owner.token, dialog_id).await, 1);
    assert_eq!(app.dialog(&owner, dialog_id).await["counts"]["messages"], 1);
    assert_eq!(ids(&app.get("/api/v1/dialogs", &owner.token).await.body), vec![dialog_id]);

    // The same for an operator.
    let path = format!("/api/v1/dialogs/{dialog_id}/messages");
    let sends = (0..20).map(|_| app.post(&path, &owner.token, json!({"body": "Yes, here!", "client_id": "burst-op"})));
    let answers = join_all(sends).await;
    let reply_id = answers[0].body["message"]["id"].as_i64().expect("message id");
    let mut created = 0;
    for a in &answers {
        assert!(a.status == 201 || a.status == 200, "{}", a.text);
        created += usize::from(a.status == 201);
        assert_eq!(a.body["message"]["id"], reply_id, "{}", a.text);
    }
    assert_eq!(created, 1);
    assert_eq!(message_count(&app, &owner.token, dialog_id).await, 2);
    assert_eq!(app.dialog(&owner, dialog_id).await["counts"]["operator_messages"], 1);
}

#[tokio::test]
async fn notes_never_reach_the_visitor() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let dialog_id = app.visitor_writes_dialog(&visitor, "My order is late").await;
    let path = format!("/api/v1/dialogs/{dialog_id}/messages");
    let note = app.post(&path, &bob.token, json!({"body": "internal: check the warehouse", "kind": "note"})).await;
    note.expect(201);
    assert_eq!(note.body["message"]["kind"], "note");
    // A note alone does not assign the dialog.
    assert!(note.body["dialog"]["assignee"].is_null());
    assert_eq!(note.body["dialog"]["status"], "open");
    app.reply(&bob, dialog_id, "Let me check").await;
    app.post(&path, &bob.token, json!({"body": "internal: courier lost it", "kind": "note"})).await.expect(201);

    // Operators see all four; without notes, two.
    let all = app.get(&path, &bob.token).await;
    all.expect(200);
    let kinds: Vec<&str> = all.body["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["message", "note", "message", "note"]);
    let without = app.get(&format!("{path}?include_notes=false"), &bob.token).await;
    assert_eq!(without.body["items"].as_array().unwrap().len(), 2);

    // The visitor sees only the conversation, in either order and on every page.
    let wpath = format!("/api/v1/widget/dialogs/{dialog_id}/messages");
    for query in ["", "?order=desc", "?order=asc"] {
        let seen = app.visitor_get(&visitor, &format!("{wpath}{query}")).await;
        seen.expect(200);
        let items = seen.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}", seen.text);
        assert!(items.iter().all(|m| m["kind"] == "message"));
        assert!(!seen.text.contains("internal"), "{}", seen.text);
    }
    let paged = app.all_items(&format!("{wpath}?limit=1"), &visitor.token).await;
    assert_eq!(paged.len(), 2);
    assert!(paged.iter().all(|m| m["kind"] == "message"));
    let backwards = app.all_items(&format!("{wpath}?limit=1&order=desc"), &visitor.token).await;
    let forwards: Vec<&Value> = paged.iter().rev().collect();
    assert_eq!(backwards.iter().collect::<Vec<_>>(), forwards);

    // Counts shown to the visitor exclude notes.
    let summary = app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}")).await;
    assert_eq!(summary.body["message_count"], 2);
    let list = app.visitor_get(&visitor, "/api/v1/widget/dialogs").await;
    assert_eq!(list.body["items"][0]["message_count"], 2);
    let session = app
        .post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key, "visitor_token": visitor.token}))
        .await;
    assert_eq!(session.body["dialog"]["message_count"], 2);
    assert!(!session.text.contains("internal"));
    let sent = app.visitor_writes(&visitor, "Thanks").await;
    assert_eq!(sent["dialog"]["message_count"], 3);
    assert!(!sent.to_string().contains("internal"));

    // Operators count notes apart; the last message is never a note.
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["counts"]["messages"], 3);
    assert_eq!(dialog["counts"]["notes"], 2);
    app.post(&path, &bob.token, json!({"body": "internal: refund approved", "kind": "note"})).await.expect(201);
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["last_message"]["body"], "Thanks");
    let list = app.visitor_get(&visitor, "/api/v1/widget/dialogs").await;
    assert!(!list.text.contains("internal"), "{}", list.text);
}

#[tokio::test]
async fn deleting_messages_leaves_tombstones() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let sent = app.visitor_writes(&visitor, "My card number is 4111").await;
    let dialog_id = sent["dialog"]["id"].as_i64().unwrap();
    let visitor_msg = sent["message"]["id"].as_i64().unwrap();
    let bob_msg =
        app.reply(&bob, dialog_id, "Please never share card numbers").await["message"]["id"].as_i64().unwrap();
    let carol_msg =
        app.reply(&carol, dialog_id, "The giraffe department will call you").await["message"]["id"].as_i64().unwrap();
    let bob_note = app
        .post(
            &format!("/api/v1/dialogs/{dialog_id}/messages"),
            &bob.token,
            json!({"body": "note to self", "kind": "note"}),
        )
        .await
        .body["message"]["id"]
        .as_i64()
        .unwrap();
    let base = format!("/api/v1/dialogs/{dialog_id}/messages");
    assert_eq!(ids(&app.get("/api/v1/dialogs?q=giraffe", &bob.token).await.body), vec![dialog_id]);

    // Bob deletes his own message: a tombstone with who and when.
    let res = app.delete(&format!("{base}/{bob_msg}"), &bob.token).await;
    res.expect(200);
    assert_eq!(res.body["id"], bob_msg);
    assert_eq!(res.body["deleted"], true);
    assert_eq!(res.body["body"], "");
    assert_eq!(res.body["deleted_by"], bob.operator_id);
    assert!(res.body["deleted_at"].is_string());
    // And his own note.
    let res = app.delete(&format!("{base}/{bob_note}"), &bob.token).await;
    res.expect(200);
    assert_eq!(res.body["deleted"], true);

    // Not Carol's message, nor the visitor's.
    app.delete(&format!("{base}/{carol_msg}"), &bob.token).await.expect_problem(403, "forbidden");
    app.delete(&format!("{base}/{visitor_msg}"), &bob.token).await.expect_problem(403, "forbidden");

    // An admin deletes anything.
    let res = app.delete(&format!("{base}/{carol_msg}"), &owner.token).await;
    res.expect(200);
    assert_eq!(res.body["deleted_by"], owner.operator_id);
    assert_eq!(res.body["author"]["id"], carol.operator_id);
    let res = app.delete(&format!("{base}/{visitor_msg}"), &owner.token).await;
    res.expect(200);
    assert_eq!(res.body["body"], "");
    // Deleting again returns the same tombstone.
    let again = app.delete(&format!("{base}/{visitor_msg}"), &owner.token).await;
    again.expect(200);
    assert_eq!(again.body["deleted_at"], res.body["deleted_at"]);
    assert_eq!(again.body["deleted_by"], owner.operator_id);

    // Everyone sees tombstones in place; the text is gone.
    let list = app.get(&base, &bob.token).await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|m| m["deleted"] == true && m["body"] == ""), "{}", list.text);
    let seen = app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}/messages")).await;
    assert!(!seen.text.contains("4111") && !seen.text.contains("giraffe"), "{}", seen.text);
    assert_eq!(seen.body["items"].as_array().unwrap().len(), 3);

    // Search no longer finds the deleted text.
    assert!(ids(&app.get("/api/v1/dialogs?q=giraffe", &bob.token).await.body).is_empty());
    assert!(ids(&app.get("/api/v1/dialogs?q=4111", &bob.token).await.body).is_empty());
    assert!(ids(&app.get("/api/v1/dialogs?q=share%20card", &bob.token).await.body).is_empty());

    // Unknown messages, or messages of another dialog: 404.
    app.delete(&format!("{base}/999999"), &owner.token).await.expect_problem(404, "not_found");
    let other_visitor = app.start_visitor(&chat.public_key).await;
    let other = app.visitor_writes(&other_visitor, "Other").await;
    let other_msg = other["message"]["id"].as_i64().unwrap();
    app.delete(&format!("{base}/{other_msg}"), &owner.token).await.expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/dialogs/999999/messages/{other_msg}"), &owner.token)
        .await
        .expect_problem(404, "not_found");
    let other_list = app.get(&format!("/api/v1/dialogs/{}/messages", other["dialog"]["id"]), &owner.token).await;
    assert_eq!(other_list.body["items"][0]["deleted"], false);
}

async fn expect_body_rules(app: &TestApp, token: &str, path: &str, extra: Value) {
    let with = |body: Value| {
        let mut b = extra.clone();
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let res = app.post(path, token, with(json!({"body": "x".repeat(10_001)}))).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["body"], "{path}");
    for empty in ["", "   ", "\n\t"] {
        let res = app.post(path, token, with(json!({"body": empty}))).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["body"], "{path}");
    }
    let res = app.post(path, token, with(json!({"body": "ok", "client_id": "c".repeat(101)}))).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["client_id"], "{path}");
    let res = app.post(path, token, with(json!({"body": "ok", "client_id": ""}))).await;
    res.expect_problem(422, "validation_failed");
    let res = app.post(path, token, with(json!({"body": 42}))).await;
    res.expect_problem(422, "validation_failed");
    app.post(path, token, with(json!({}))).await.expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn message_input_limits() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor: Visitor = app.start_visitor(&chat.public_key).await;
    let contact = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id})).await;
    contact.expect(201);
    let contact_id = contact.body["id"].as_i64().unwrap();

    // Nothing is stored by refused sends.
    expect_body_rules(&app, &visitor.token, "/api/v1/widget/messages", json!({})).await;
    expect_body_rules(&app, &owner.token, &format!("/api/v1/visitors/{contact_id}/messages"), json!({})).await;
    expect_body_rules(&app, &owner.token, "/api/v1/dialogs", json!({"visitor_id": contact_id})).await;
    assert!(ids(&app.get("/api/v1/dialogs", &owner.token).await.body).is_empty());

    // The limits themselves are fine: 10,000 characters (not bytes), a 100-character client id.
    let res = app
        .visitor_post(
            &visitor,
            "/api/v1/widget/messages",
            json!({"body": "я".repeat(10_000), "client_id": "c".repeat(100)}),
        )
        .await;
    res.expect(201);
    assert_eq!(res.body["message"]["body"].as_str().unwrap().chars().count(), 10_000);
    let dialog_id = res.body["dialog"]["id"].as_i64().unwrap();
    expect_body_rules(&app, &owner.token, &format!("/api/v1/dialogs/{dialog_id}/messages"), json!({})).await;
    assert_eq!(message_count(&app, &owner.token, dialog_id).await, 1);
    let dialog = app.dialog(&owner, dialog_id).await;
    assert!(dialog["assignee"].is_null(), "a refused reply must not assign");
    app.post(&format!("/api/v1/dialogs/{dialog_id}/messages"), &owner.token, json!({"body": "y".repeat(10_000)}))
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/dialogs/{dialog_id}/messages"),
        &owner.token,
        json!({"body": "z".repeat(10_001), "kind": "note"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(&format!("/api/v1/dialogs/{dialog_id}/messages"), &owner.token, json!({"body": "ok", "kind": "shout"}))
        .await
        .expect_problem(422, "validation_failed");

    // Text is stored trimmed.
    let res = app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "  spaced out \n"})).await;
    res.expect(201);
    assert_eq!(res.body["message"]["body"], "spaced out");

    // Bad query values on message lists.
    app.get(&format!("/api/v1/dialogs/{dialog_id}/messages?order=sideways"), &owner.token)
        .await
        .expect_problem(400, "invalid_query");
    app.get(&format!("/api/v1/dialogs/{dialog_id}/messages?include_notes=maybe"), &owner.token)
        .await
        .expect_problem(400, "invalid_query");
    app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}/messages?order=sideways"))
        .await
        .expect_problem(400, "invalid_query");
    app.get(&format!("/api/v1/dialogs/{dialog_id}/messages?cursor=***"), &owner.token)
        .await
        .expect_problem(400, "invalid_cursor");
    app.get("/api/v1/dialogs/abc/messages", &owner.token).await.expect_problem(400, "invalid_path");
}

#[tokio::test]
async fn a_burst_of_first_messages_makes_one_dialog() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let sends =
        (0..8).map(|i| app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": format!("part {i}")})));
    let answers = join_all(sends).await;
    for a in &answers {
        a.expect(201);
    }
    let dialog_id = answers[0].body["dialog"]["id"].as_i64().unwrap();
    assert!(answers.iter().all(|a| a.body["dialog"]["id"] == dialog_id));
    let message_ids: std::collections::HashSet<i64> =
        answers.iter().map(|a| a.body["message"]["id"].as_i64().unwrap()).collect();
    assert_eq!(message_ids.len(), 8);
    assert_eq!(ids(&app.get("/api/v1/dialogs", &owner.token).await.body), vec![dialog_id]);
    assert_eq!(app.dialog(&owner, dialog_id).await["counts"]["messages"], 8);
    assert_eq!(message_count(&app, &owner.token, dialog_id).await, 8);
}

/// Many visitors writing at once: the writer stores most of their messages together (one read,
/// one insert and one update for the group), and the odd ones (a retry, two messages of one
/// visitor, a first message, a reopen) on their own in the same batches. Every answer, count
/// and event must be what one message at a time would give.
#[tokio::test]
async fn concurrent_visitors_keep_counts_events_and_retries_exact() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let mut visitors = Vec::new();
    for _ in 0..24 {
        visitors.push(app.start_visitor(&chat.public_key).await);
    }
    let mut dialogs = Vec::new();
    for (i, v) in visitors.iter().enumerate() {
        let sent =
            app.visitor_post(v, "/api/v1/widget/messages", json!({"body": "hi", "client_id": format!("v{i}-0")})).await;
        sent.expect(201);
        dialogs.push(sent.body["dialog"]["id"].as_i64().unwrap());
    }
    // The owner answers one dialog (it gets an assignee) and closes another (the next message
    // reopens it).
    app.reply(&owner, dialogs[1], "hello").await;
    app.post(&format!("/api/v1/dialogs/{}/close", dialogs[2]), &owner.token, json!({})).await.expect(200);
    let newcomer = app.start_visitor(&chat.public_key).await;
    let head = app.get("/api/v1/events?since=0&limit=1", &owner.token).await.body["head"].as_i64().unwrap();

    for round in 1..=3 {
        let mut sends = Vec::new();
        for (i, v) in visitors.iter().enumerate() {
            let body = json!({"body": format!("round {round} from {i}"), "client_id": format!("v{i}-{round}")});
            sends.push(app.visitor_post(v, "/api/v1/widget/messages", body));
        }
        // Visitor 3 sends a second message at once; visitor 4 retries its first one.
        sends.push(app.visitor_post(&visitors[3], "/api/v1/widget/messages", json!({"body": format!("more {round}")})));
        sends.push(app.visitor_post(
            &visitors[4],
            "/api/v1/widget/messages",
            json!({"body": "hi", "client_id": "v4-0"}),
        ));
        if round == 1 {
            sends.push(app.visitor_post(&newcomer, "/api/v1/widget/messages", json!({"body": "first"})));
        }
        let answers = join_all(sends).await;
        for (i, a) in answers.iter().enumerate() {
            if i == visitors.len() + 1 {
                a.expect(200);
                assert_eq!(a.body["message"]["client_id"], "v4-0");
                continue;
            }
            a.expect(201);
            if i < visitors.len() {
                assert_eq!(a.body["dialog"]["id"], dialogs[i], "{}", a.text);
                assert_eq!(a.body["message"]["body"], format!("round {round} from {i}"));
                assert_eq!(a.body["message"]["client_id"], format!("v{i}-{round}"));
                assert_eq!(a.body["dialog"]["status"], if i == 1 { "assigned" } else { "open" }, "{}", a.text);
            }
        }
        assert_eq!(answers[1].body["dialog"]["assignee"]["id"], owner.operator_id);
    }

    for (i, &dialog_id) in dialogs.iter().enumerate() {
        let expected = match i {
            1 => 5, // with the owner's reply
            3 => 7, // with the three extra messages
            _ => 4,
        };
        assert_eq!(message_count(&app, &owner.token, dialog_id).await, expected, "dialog {i}");
        let dialog = app.dialog(&owner, dialog_id).await;
        assert_eq!(dialog["counts"]["messages"], expected, "dialog {i}");
        assert_eq!(dialog["status"], if i == 1 { "assigned" } else { "open" });
    }
    // The log after `head`: gap-free, one `message.created` per stored message, each carrying
    // the dialog's count as of that message.
    let page = app.get(&format!("/api/v1/events?since={head}&limit=500"), &owner.token).await;
    page.expect(200);
    let events = page.body["events"].as_array().unwrap();
    let positions: Vec<i64> = events.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, (head + 1..head + 1 + events.len() as i64).collect::<Vec<_>>());
    let created: Vec<&Value> = events.iter().filter(|e| e["type"] == "message.created").collect();
    assert_eq!(created.len(), 24 * 3 + 3 + 1);
    for &dialog_id in &dialogs {
        let counts: Vec<i64> = created
            .iter()
            .filter(|e| e["data"]["dialog"]["id"] == dialog_id)
            .map(|e| e["data"]["dialog"]["message_count"].as_i64().unwrap())
            .collect();
        let mut sorted = counts.clone();
        sorted.sort_unstable();
        assert_eq!(counts, sorted, "counts of dialog {dialog_id} in log order");
        sorted.dedup();
        assert_eq!(sorted.len(), counts.len());
    }
}
