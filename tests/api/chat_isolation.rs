//! Workspace isolation for the chat core: an operator of one workspace gets 404 for every id of
//! another workspace's chats, dialogs, messages, visitors, tags and saved replies, and changes
//! nothing there.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_fields, ids};

#[tokio::test]
async fn another_workspaces_chat_core_is_invisible() {
    let app = TestApp::spawn().await;

    // Workspace A, with a bit of everything.
    let a = app.signup("Alpha", "owner@alpha.test").await;
    let a_bob = app.add_operator(&a, "bob@alpha.test", "operator").await;
    let a_chat = app.create_chat(&a, "Alpha site", Value::Null).await;
    let a_visitor = app.start_visitor(&a_chat.public_key).await;
    app.visitor_patch(&a_visitor, "/api/v1/widget/me", json!({"name": "Alice"})).await.expect(200);
    app.visitor_post(&a_visitor, "/api/v1/widget/page-views", json!({"url": "https://alpha.test/"})).await.expect(201);
    let sent = app.visitor_writes(&a_visitor, "Alpha secret xylophone").await;
    let a_dialog = sent["dialog"]["id"].as_i64().unwrap();
    let a_visitor_msg = sent["message"]["id"].as_i64().unwrap();
    let a_reply = app.reply(&a_bob, a_dialog, "Alpha answer").await["message"]["id"].as_i64().unwrap();
    let a_tag = app.post("/api/v1/tags", &a.token, json!({"name": "alpha-tag"})).await.body["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/dialogs/{a_dialog}/tags"), &a.token, json!({"tag_id": a_tag})).await.expect(200);
    let a_shared = app
        .post(
            "/api/v1/saved-replies",
            &a.token,
            json!({"shortcut": "hi", "title": "Hi", "body": "Hi!", "scope": "shared"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let a_personal = app
        .post("/api/v1/saved-replies", &a_bob.token, json!({"shortcut": "me", "title": "Me", "body": "Mine"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let a_note = app
        .post(&format!("/api/v1/visitors/{}/notes", a_visitor.id), &a.token, json!({"body": "alpha note"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    // Workspace B: its super admin (past every role check) and an operator.
    let b = app.signup("Beta", "owner@beta.test").await;
    let b_op = app.add_operator(&b, "op@beta.test", "operator").await;
    let b_chat = app.create_chat(&b, "Beta site", Value::Null).await;
    let b_visitor = app.start_visitor(&b_chat.public_key).await;
    let b_dialog = app.visitor_writes_dialog(&b_visitor, "Beta question").await;
    let b_tag = app.post("/api/v1/tags", &b.token, json!({"name": "beta-tag"})).await.body["id"].as_i64().unwrap();

    for token in [&b.token, &b_op.token] {
        // Chat.
        let chat = format!("/api/v1/chats/{}", a_chat.id);
        app.get(&chat, token).await.expect_problem(404, "not_found");
        app.get(&format!("{chat}/embed"), token).await.expect_problem(404, "not_found");

        // Dialog and its actions.
        let dialog = format!("/api/v1/dialogs/{a_dialog}");
        app.get(&dialog, token).await.expect_problem(404, "not_found");
        app.get(&format!("{dialog}/messages"), token).await.expect_problem(404, "not_found");
        app.post(&format!("{dialog}/messages"), token, json!({"body": "intrusion"}))
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{dialog}/messages"), token, json!({"body": "intrusion", "kind": "note"}))
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{dialog}/assign"), token, json!({"assignee_id": b.operator_id}))
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{dialog}/assign"), token, json!({"assignee_id": null}))
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{dialog}/close"), token, json!({})).await.expect_problem(404, "not_found");
        app.post(&format!("{dialog}/reopen"), token, json!({})).await.expect_problem(404, "not_found");
        app.post(&format!("{dialog}/read"), token, json!({})).await.expect_problem(404, "not_found");
        app.post(&format!("{dialog}/tags"), token, json!({"tag_id": b_tag})).await.expect_problem(404, "not_found");
        app.delete(&format!("{dialog}/tags/{a_tag}"), token).await.expect_problem(404, "not_found");

        // Messages, through A's dialog or B's own.
        for msg in [a_visitor_msg, a_reply] {
            app.delete(&format!("{dialog}/messages/{msg}"), token).await.expect_problem(404, "not_found");
            app.delete(&format!("/api/v1/dialogs/{b_dialog}/messages/{msg}"), token)
                .await
                .expect_problem(404, "not_found");
        }
        app.post(&format!("/api/v1/dialogs/{b_dialog}/read"), token, json!({"message_id": a_reply}))
            .await
            .expect_problem(422, "validation_failed");

        // Visitor.
        let visitor = format!("/api/v1/visitors/{}", a_visitor.id);
        app.get(&visitor, token).await.expect_problem(404, "not_found");
        app.patch(&visitor, token, json!({"name": "pwned"})).await.expect_problem(404, "not_found");
        app.get(&format!("{visitor}/page-views"), token).await.expect_problem(404, "not_found");
        app.get(&format!("{visitor}/dialogs"), token).await.expect_problem(404, "not_found");
        app.post(&format!("{visitor}/messages"), token, json!({"body": "spoofed"}))
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{visitor}/notes"), token, json!({"body": "spy"})).await.expect_problem(404, "not_found");
        app.delete(&format!("{visitor}/notes/{a_note}"), token).await.expect_problem(404, "not_found");
        let res = app
            .post("/api/v1/dialogs", token, json!({"visitor_id": a_visitor.id, "from": "operator", "body": "hi"}))
            .await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["visitor_id"]);
        let res = app.post("/api/v1/visitors", token, json!({"chat_id": a_chat.id, "external_id": "x"})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["chat_id"]);

        // Tag.
        app.get(&format!("/api/v1/tags/{a_tag}"), token).await.expect_problem(404, "not_found");
        let res = app.post(&format!("/api/v1/dialogs/{b_dialog}/tags"), token, json!({"tag_id": a_tag})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["tag_id"]);
        app.delete(&format!("/api/v1/dialogs/{b_dialog}/tags/{a_tag}"), token).await.expect_problem(404, "not_found");

        // Saved replies.
        for reply in [a_shared, a_personal] {
            let path = format!("/api/v1/saved-replies/{reply}");
            app.get(&path, token).await.expect_problem(404, "not_found");
            app.patch(&path, token, json!({"title": "pwned"})).await.expect_problem(404, "not_found");
            app.delete(&path, token).await.expect_problem(404, "not_found");
        }

        // Lists and filters show nothing of A.
        let chats = app.get("/api/v1/chats?include_archived=true", token).await;
        assert_eq!(ids(&chats.body), vec![b_chat.id]);
        let dialogs = app.get("/api/v1/dialogs", token).await;
        assert_eq!(ids(&dialogs.body), vec![b_dialog]);
        for query in [
            format!("chat_id={}", a_chat.id),
            format!("visitor_id={}", a_visitor.id),
            format!("tag_ids={a_tag}"),
            "q=xylophone".to_string(),
            format!("assignee={}", a_bob.operator_id),
        ] {
            let res = app.get(&format!("/api/v1/dialogs?{query}"), token).await;
            res.expect(200);
            assert!(ids(&res.body).is_empty(), "{query}: {}", res.text);
        }
        assert_eq!(ids(&app.get("/api/v1/visitors", token).await.body), vec![b_visitor.id]);
        assert!(ids(&app.get("/api/v1/visitors?search=alice", token).await.body).is_empty());
        assert_eq!(ids(&app.get("/api/v1/tags", token).await.body), vec![b_tag]);
        assert!(ids(&app.get("/api/v1/saved-replies", token).await.body).is_empty());
    }

    // Admin-only mutations: B's super admin gets 404, not a change.
    let chat = format!("/api/v1/chats/{}", a_chat.id);
    app.patch(&chat, &b.token, json!({"name": "pwned"})).await.expect_problem(404, "not_found");
    app.patch(&chat, &b.token, json!({"settings": {"rating": {"scale": 10}}})).await.expect_problem(404, "not_found");
    app.delete(&chat, &b.token).await.expect_problem(404, "not_found");
    app.patch(&format!("/api/v1/tags/{a_tag}"), &b.token, json!({"name": "pwned"}))
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/tags/{a_tag}"), &b.token).await.expect_problem(404, "not_found");

    // A's visitor token means nothing on B's dialogs, and the other way round.
    app.visitor_get(&a_visitor, &format!("/api/v1/widget/dialogs/{b_dialog}")).await.expect_problem(404, "not_found");
    app.visitor_get(&b_visitor, &format!("/api/v1/widget/dialogs/{a_dialog}")).await.expect_problem(404, "not_found");
    app.visitor_get(&b_visitor, &format!("/api/v1/widget/dialogs/{a_dialog}/messages"))
        .await
        .expect_problem(404, "not_found");
    app.visitor_post(&b_visitor, &format!("/api/v1/widget/dialogs/{a_dialog}/close"), json!({}))
        .await
        .expect_problem(404, "not_found");

    // Nothing in A changed.
    let chat = app.get(&format!("/api/v1/chats/{}", a_chat.id), &a.token).await;
    assert_eq!(chat.body["name"], "Alpha site");
    assert_eq!(chat.body["archived"], false);
    assert_eq!(chat.body["settings"]["rating"]["scale"], 5);
    let dialog = app.dialog(&a, a_dialog).await;
    assert_eq!(dialog["status"], "assigned");
    assert_eq!(dialog["assignee"]["id"], a_bob.operator_id);
    assert_eq!(dialog["counts"]["messages"], 2);
    assert_eq!(dialog["counts"]["notes"], 0);
    assert_eq!(dialog["reopen_count"], 0);
    assert_eq!(dialog["operator_last_read_message_id"], a_reply);
    assert_eq!(ids(&json!({"items": dialog["tags"]})), vec![a_tag]);
    let messages = app.get(&format!("/api/v1/dialogs/{a_dialog}/messages"), &a.token).await;
    assert!(messages.body["items"].as_array().unwrap().iter().all(|m| m["deleted"] == false));
    let card = app.get(&format!("/api/v1/visitors/{}", a_visitor.id), &a.token).await;
    assert_eq!(card.body["visitor"]["name"], "Alice");
    assert_eq!(card.body["notes"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("/api/v1/tags/{a_tag}"), &a.token).await.body["name"], "alpha-tag");
    assert_eq!(app.get(&format!("/api/v1/saved-replies/{a_shared}"), &a.token).await.body["title"], "Hi");
    assert_eq!(app.get(&format!("/api/v1/saved-replies/{a_personal}"), &a_bob.token).await.body["title"], "Me");
    assert_eq!(ids(&app.get("/api/v1/dialogs", &a.token).await.body), vec![a_dialog]);
}
