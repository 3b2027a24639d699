//! Visitors for operators and integrations: contacts, messages from other channels, dialogs
//! started through the API, the visitor card and notes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_fields, ids};

#[tokio::test]
async fn integrations_bring_in_visitors_from_other_channels() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Telegram bot", Value::Null).await;

    // Creating a contact is idempotent with external_id.
    let res = app
        .post(
            "/api/v1/visitors",
            &bob.token,
            json!({"chat_id": chat.id, "external_id": "tg-100", "name": "Ivan", "email": "ivan@example.com",
                   "attributes": {"lang": "ru"}}),
        )
        .await;
    res.expect(201);
    let visitor_id = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["external_id"], "tg-100");
    assert_eq!(res.body["name"], "Ivan");
    assert_eq!(res.body["attributes"], json!({"lang": "ru"}));
    assert_eq!(res.body["chat_id"], chat.id);
    let again = app
        .post("/api/v1/visitors", &bob.token, json!({"chat_id": chat.id, "external_id": "tg-100", "name": "Other"}))
        .await;
    again.expect(200);
    assert_eq!(again.body["id"], visitor_id);
    assert_eq!(again.body["name"], "Ivan");
    // Without external_id, each call is a new contact.
    let plain = app.post("/api/v1/visitors", &bob.token, json!({"chat_id": chat.id})).await;
    plain.expect(201);
    assert_ne!(plain.body["id"], visitor_id);

    // Bad input.
    let res = app.post("/api/v1/visitors", &bob.token, json!({"chat_id": 999_999})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["chat_id"]);
    let res = app.post("/api/v1/visitors", &bob.token, json!({"chat_id": chat.id, "email": "nope"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["email"]);
    let res =
        app.post("/api/v1/visitors", &bob.token, json!({"chat_id": chat.id, "external_id": "x".repeat(201)})).await;
    res.expect_problem(422, "validation_failed");

    // A Telegram message starts a Telegram dialog.
    let sent = app
        .post(
            &format!("/api/v1/visitors/{visitor_id}/messages"),
            &bob.token,
            json!({"body": "Привет!", "channel": "telegram"}),
        )
        .await;
    sent.expect(201);
    let dialog_id = sent.body["dialog"]["id"].as_i64().unwrap();
    assert_eq!(sent.body["dialog"]["channel"], "telegram");
    assert_eq!(sent.body["dialog"]["status"], "open");
    assert_eq!(sent.body["message"]["channel"], "telegram");
    assert_eq!(sent.body["message"]["author"]["type"], "visitor");
    assert_eq!(sent.body["message"]["author"]["name"], "Ivan");
    assert_eq!(ids(&app.get("/api/v1/dialogs?channel=telegram", &bob.token).await.body), vec![dialog_id]);

    // The operator's reply goes back where the visitor last wrote from.
    let reply = app.reply(&bob, dialog_id, "Здравствуйте!").await;
    assert_eq!(reply["message"]["channel"], "telegram");
    let moved = app
        .post(
            &format!("/api/v1/visitors/{visitor_id}/messages"),
            &bob.token,
            json!({"body": "Writing from WhatsApp now", "channel": "whatsapp"}),
        )
        .await;
    moved.expect(201);
    assert_eq!(moved.body["dialog"]["id"], dialog_id, "the open dialog continues");
    let reply = app.reply(&bob, dialog_id, "Got it").await;
    assert_eq!(reply["message"]["channel"], "whatsapp");
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["channel"], "telegram", "the dialog keeps the channel it started on");
    // An explicit channel wins.
    let res = app
        .post(
            &format!("/api/v1/dialogs/{dialog_id}/messages"),
            &bob.token,
            json!({"body": "Also by email", "channel": "email"}),
        )
        .await;
    res.expect(201);
    assert_eq!(res.body["message"]["channel"], "email");
    app.post(&format!("/api/v1/dialogs/{dialog_id}/messages"), &bob.token, json!({"body": "x", "channel": "pigeon"}))
        .await
        .expect_problem(422, "validation_failed");

    // Without a channel, integration messages are "api"; idempotent with client_id.
    let plain_id = plain.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/visitors/{plain_id}/messages");
    let first = app.post(&path, &bob.token, json!({"body": "From the CRM", "client_id": "crm-1"})).await;
    first.expect(201);
    assert_eq!(first.body["dialog"]["channel"], "api");
    assert_eq!(first.body["message"]["channel"], "api");
    let retry = app.post(&path, &bob.token, json!({"body": "From the CRM", "client_id": "crm-1"})).await;
    retry.expect(200);
    assert_eq!(retry.body["message"]["id"], first.body["message"]["id"]);
    app.post("/api/v1/visitors/999999/messages", &bob.token, json!({"body": "hi"}))
        .await
        .expect_problem(404, "not_found");

    // The card and the lists.
    let card = app.get(&format!("/api/v1/visitors/{visitor_id}"), &bob.token).await;
    card.expect(200);
    assert_eq!(card.body["visitor"]["external_id"], "tg-100");
    assert_eq!(card.body["dialogs"][0]["id"], dialog_id);
    assert_eq!(card.body["dialogs"][0]["channel"], "telegram");
    let dialogs = app.get(&format!("/api/v1/visitors/{visitor_id}/dialogs"), &bob.token).await;
    dialogs.expect(200);
    assert_eq!(ids(&dialogs.body), vec![dialog_id]);
    let found = app.get("/api/v1/visitors?search=IVAN", &bob.token).await;
    assert_eq!(ids(&found.body), vec![visitor_id]);
    let found = app.get("/api/v1/visitors?search=tg-1", &bob.token).await;
    assert_eq!(ids(&found.body), vec![visitor_id]);
    let all = app.get("/api/v1/visitors", &bob.token).await;
    assert_eq!(ids(&all.body), vec![plain_id, visitor_id], "newest first");
    app.get("/api/v1/visitors/999999", &bob.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn operators_start_dialogs_through_the_api() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let contact = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "Lead"})).await;
    let visitor_id = contact.body["id"].as_i64().unwrap();

    // Proactive outreach: the caller writes first and is the assignee.
    let res = app
        .post(
            "/api/v1/dialogs",
            &bob.token,
            json!({"visitor_id": visitor_id, "from": "operator", "body": "We have an offer for you"}),
        )
        .await;
    res.expect(201);
    let dialog_id = res.body["dialog"]["id"].as_i64().unwrap();
    assert_eq!(res.body["dialog"]["status"], "assigned");
    assert_eq!(res.body["dialog"]["assignee"]["id"], bob.operator_id);
    assert_eq!(res.body["dialog"]["channel"], "api");
    assert_eq!(res.body["message"]["author"]["type"], "operator");
    assert_eq!(res.body["message"]["author"]["id"], bob.operator_id);
    let dialog = app.dialog(&owner, dialog_id).await;
    assert_eq!(dialog["counts"]["messages"], 1);
    assert_eq!(dialog["counts"]["operator_messages"], 1);
    assert_eq!(dialog["unread_by_visitor"], true);

    // One open conversation at a time.
    app.post("/api/v1/dialogs", &owner.token, json!({"visitor_id": visitor_id, "from": "operator", "body": "Again"}))
        .await
        .expect_problem(409, "dialog_exists");
    app.post("/api/v1/dialogs", &owner.token, json!({"visitor_id": visitor_id, "body": "As the visitor"}))
        .await
        .expect_problem(409, "dialog_exists");
    assert_eq!(app.all_ids(&format!("/api/v1/visitors/{visitor_id}/dialogs"), &owner.token).await, vec![dialog_id]);

    // Once it is closed, a new one can start.
    app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await.expect(200);
    let res = app
        .post(
            "/api/v1/dialogs",
            &owner.token,
            json!({"visitor_id": visitor_id, "body": "Inbound email", "channel": "email"}),
        )
        .await;
    res.expect(201);
    let second = res.body["dialog"]["id"].as_i64().unwrap();
    assert_ne!(second, dialog_id);
    assert_eq!(res.body["dialog"]["status"], "open", "a visitor-first dialog waits in the queue");
    assert!(res.body["dialog"]["assignee"].is_null());
    assert_eq!(res.body["dialog"]["channel"], "email");
    assert_eq!(res.body["message"]["author"]["type"], "visitor");
    assert_eq!(app.dialog(&owner, second).await["counts"]["messages"], 1);
    assert_eq!(app.dialog(&owner, dialog_id).await["status"], "closed");

    // A widget visitor with an open dialog: also refused.
    let widget_visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&widget_visitor, "Hi from the site").await;
    app.post(
        "/api/v1/dialogs",
        &bob.token,
        json!({"visitor_id": widget_visitor.id, "from": "operator", "body": "Hello"}),
    )
    .await
    .expect_problem(409, "dialog_exists");

    // Unknown visitors and bad openers.
    let res = app.post("/api/v1/dialogs", &bob.token, json!({"visitor_id": 999_999, "body": "Hello"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["visitor_id"]);
    app.post("/api/v1/dialogs", &bob.token, json!({"visitor_id": visitor_id, "from": "robot", "body": "Hello"}))
        .await
        .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn operators_edit_visitor_cards_and_keep_notes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let path = format!("/api/v1/visitors/{}", visitor.id);

    let res = app.patch(&path, &bob.token, json!({"name": "Dana", "attributes": {"company": "Initech"}})).await;
    res.expect(200);
    assert_eq!(res.body["name"], "Dana");
    app.patch(&path, &bob.token, json!({"email": "bad"})).await.expect_problem(422, "validation_failed");
    // The visitor sees the change.
    let me = app.visitor_get(&visitor, "/api/v1/widget/me").await;
    assert_eq!(me.body["name"], "Dana");
    assert_eq!(me.body["attributes"]["company"], "Initech");

    let note = app.post(&format!("{path}/notes"), &bob.token, json!({"body": "Prefers email"})).await;
    note.expect(201);
    let note_id = note.body["id"].as_i64().unwrap();
    assert_eq!(note.body["operator_id"], bob.operator_id);
    app.post(&format!("{path}/notes"), &bob.token, json!({"body": " "})).await.expect_problem(422, "validation_failed");
    let card = app.get(&path, &carol.token).await;
    assert_eq!(card.body["notes"][0]["body"], "Prefers email");

    // The visitor never sees notes.
    let me = app.visitor_get(&visitor, "/api/v1/widget/me").await;
    assert!(!me.text.contains("Prefers email"));

    // Only the author or an admin deletes a note.
    app.delete(&format!("{path}/notes/{note_id}"), &carol.token).await.expect_problem(403, "forbidden");
    app.delete(&format!("{path}/notes/{note_id}"), &bob.token).await.expect(204);
    app.delete(&format!("{path}/notes/{note_id}"), &bob.token).await.expect_problem(404, "not_found");
    let other =
        app.post(&format!("{path}/notes"), &carol.token, json!({"body": "VIP"})).await.body["id"].as_i64().unwrap();
    app.delete(&format!("{path}/notes/{other}"), &owner.token).await.expect(204);
    assert!(app.get(&path, &bob.token).await.body["notes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn visitor_search_ignores_case_in_any_script() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let ivan = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "Иван Петров"})).await;
    let ivan = ivan.body["id"].as_i64().unwrap();
    app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "John"})).await.expect(201);
    for search in ["Иван", "иван", "ИВАН", "петров"] {
        let found =
            app.get(&format!("/api/v1/visitors?search={}", crate::helpers::query_escape(search)), &owner.token).await;
        assert_eq!(ids(&found.body), vec![ivan], "search={search}");
    }
}

#[tokio::test]
async fn concurrent_contact_creation_with_one_external_id_gives_one_visitor() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let mut visitors = Vec::new();
    // A few rounds, each a burst of creates with one external id.
    for round in 0..5 {
        let external_id = format!("crm-{round}");
        let creates = (0..10).map(|_| {
            app.post(
                "/api/v1/visitors",
                &owner.token,
                json!({"chat_id": chat.id, "external_id": external_id, "name": "Max"}),
            )
        });
        let answers = futures_util::future::join_all(creates).await;
        for a in &answers {
            assert!(a.status == 201 || a.status == 200, "{}", a.text);
        }
        assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
        let first = answers[0].body["id"].as_i64().unwrap();
        assert!(answers.iter().all(|a| a.body["id"] == first));
        visitors.insert(0, first);
    }
    assert_eq!(ids(&app.get("/api/v1/visitors", &owner.token).await.body), visitors);
}

#[tokio::test]
async fn starting_a_dialog_is_idempotent_with_client_id() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let first = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "First"})).await;
    let first = first.body["id"].as_i64().unwrap();
    let second = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "Second"})).await;
    let second = second.body["id"].as_i64().unwrap();

    let request = json!({"visitor_id": first, "from": "operator", "body": "Special offer", "client_id": "campaign-1"});
    let res = app.post("/api/v1/dialogs", &owner.token, request.clone()).await;
    res.expect(201);
    let dialog_id = res.body["dialog"]["id"].as_i64().unwrap();
    let message_id = res.body["message"]["id"].as_i64().unwrap();
    // A retry returns the original instead of 409 dialog_exists.
    let retry = app.post("/api/v1/dialogs", &owner.token, request).await;
    retry.expect(200);
    assert_eq!(retry.body["dialog"]["id"], dialog_id);
    assert_eq!(retry.body["message"]["id"], message_id);
    assert_eq!(app.dialog(&owner, dialog_id).await["counts"]["messages"], 1);

    // The same client_id for another visitor is not a retry: nothing may be silently dropped.
    let res = app
        .post(
            "/api/v1/dialogs",
            &owner.token,
            json!({"visitor_id": second, "from": "operator", "body": "Special offer", "client_id": "campaign-1"}),
        )
        .await;
    res.expect_problem(409, "client_id_reused");
    assert!(app.all_ids(&format!("/api/v1/visitors/{second}/dialogs"), &owner.token).await.is_empty());
}
