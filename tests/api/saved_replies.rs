//! Saved replies: personal ones belong to their owner, shared ones to the workspace's admins.

use serde_json::json;

use crate::helpers::{TestApp, error_fields, ids};

#[tokio::test]
async fn personal_and_shared_saved_replies() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;

    // Personal replies: anyone, by default.
    let res = app
        .post(
            "/api/v1/saved-replies",
            &bob.token,
            json!({"shortcut": "refund", "title": "Refund policy", "body": "Refunds take 5 days."}),
        )
        .await;
    res.expect(201);
    let bobs = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["scope"], "personal");
    assert_eq!(res.body["owner_id"], bob.operator_id);
    assert_eq!(res.body["created_by"], bob.operator_id);
    let res = app
        .post(
            "/api/v1/saved-replies",
            &carol.token,
            json!({"shortcut": "bye", "title": "Goodbye", "body": "Have a nice day!", "scope": "personal"}),
        )
        .await;
    res.expect(201);
    let carols = res.body["id"].as_i64().unwrap();

    // Shared replies need an admin.
    app.post(
        "/api/v1/saved-replies",
        &bob.token,
        json!({"shortcut": "hi", "title": "Hi", "body": "Hello!", "scope": "shared"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let res = app
        .post(
            "/api/v1/saved-replies",
            &admin.token,
            json!({"shortcut": "hello", "title": "Greeting", "body": "Hello! How can I help?", "scope": "shared"}),
        )
        .await;
    res.expect(201);
    let shared = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["scope"], "shared");
    assert!(res.body["owner_id"].is_null());
    assert_eq!(res.body["created_by"], admin.operator_id);

    // Each operator sees the shared ones and their own.
    assert_eq!(ids(&app.get("/api/v1/saved-replies", &bob.token).await.body), vec![bobs, shared]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies", &carol.token).await.body), vec![carols, shared]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies", &owner.token).await.body), vec![shared]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?scope=shared", &bob.token).await.body), vec![shared]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?scope=personal", &bob.token).await.body), vec![bobs]);
    app.get("/api/v1/saved-replies?scope=team", &bob.token).await.expect_problem(400, "invalid_query");

    // Search by shortcut, title or text, any case.
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=REFUND", &bob.token).await.body), vec![bobs]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=policy", &bob.token).await.body), vec![bobs]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=5%20days", &bob.token).await.body), vec![bobs]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=greet", &bob.token).await.body), vec![shared]);
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=how%20can", &bob.token).await.body), vec![shared]);
    assert!(ids(&app.get("/api/v1/saved-replies?search=nice%20day", &bob.token).await.body).is_empty(), "Carol's");
    assert_eq!(ids(&app.get("/api/v1/saved-replies?search=nice%20day", &carol.token).await.body), vec![carols]);
    assert!(ids(&app.get("/api/v1/saved-replies?search=refund&scope=shared", &bob.token).await.body).is_empty());

    // Someone else's personal reply does not exist for you.
    let carols_path = format!("/api/v1/saved-replies/{carols}");
    app.get(&carols_path, &bob.token).await.expect_problem(404, "not_found");
    app.patch(&carols_path, &bob.token, json!({"title": "Mine now"})).await.expect_problem(404, "not_found");
    app.delete(&carols_path, &bob.token).await.expect_problem(404, "not_found");
    app.get(&carols_path, &owner.token).await.expect_problem(404, "not_found");
    assert_eq!(app.get(&carols_path, &carol.token).await.body["title"], "Goodbye");

    // Owners edit their own; operators cannot change shared replies nor share their own.
    let bobs_path = format!("/api/v1/saved-replies/{bobs}");
    let res = app.patch(&bobs_path, &bob.token, json!({"body": "Refunds take 3 days."})).await;
    res.expect(200);
    assert_eq!(res.body["body"], "Refunds take 3 days.");
    assert_eq!(res.body["title"], "Refund policy");
    app.patch(&bobs_path, &bob.token, json!({"scope": "shared"})).await.expect_problem(403, "forbidden");
    let shared_path = format!("/api/v1/saved-replies/{shared}");
    let got = app.get(&shared_path, &bob.token).await;
    got.expect(200);
    assert_eq!(got.body["body"], "Hello! How can I help?");
    app.patch(&shared_path, &bob.token, json!({"title": "Hijacked"})).await.expect_problem(403, "forbidden");
    app.patch(&shared_path, &bob.token, json!({"scope": "personal"})).await.expect_problem(403, "forbidden");
    app.delete(&shared_path, &bob.token).await.expect_problem(403, "forbidden");
    let res = app.patch(&shared_path, &owner.token, json!({"title": "Greeting (EN)"})).await;
    res.expect(200);
    assert_eq!(res.body["title"], "Greeting (EN)");
    assert_eq!(res.body["scope"], "shared");

    // An admin may share their own personal reply.
    let res = app
        .post(
            "/api/v1/saved-replies",
            &admin.token,
            json!({"shortcut": "wait", "title": "Please wait", "body": "One moment please."}),
        )
        .await;
    res.expect(201);
    let admins = res.body["id"].as_i64().unwrap();
    let res = app.patch(&format!("/api/v1/saved-replies/{admins}"), &admin.token, json!({"scope": "shared"})).await;
    res.expect(200);
    assert_eq!(res.body["scope"], "shared");
    assert_eq!(app.get(&format!("/api/v1/saved-replies/{admins}"), &bob.token).await.status, 200);

    // Validation.
    for (body, field) in [
        (json!({"shortcut": "two words", "title": "T", "body": "B"}), "shortcut"),
        (json!({"shortcut": "x".repeat(33), "title": "T", "body": "B"}), "shortcut"),
        (json!({"shortcut": "", "title": "T", "body": "B"}), "shortcut"),
        (json!({"shortcut": "ok", "title": " ", "body": "B"}), "title"),
        (json!({"shortcut": "ok", "title": "x".repeat(101), "body": "B"}), "title"),
        (json!({"shortcut": "ok", "title": "T", "body": ""}), "body"),
        (json!({"shortcut": "ok", "title": "T", "body": "x".repeat(10_001)}), "body"),
    ] {
        let res = app.post("/api/v1/saved-replies", &bob.token, body.clone()).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec![field], "{body}");
    }
    app.patch(&bobs_path, &bob.token, json!({"shortcut": "has space"})).await.expect_problem(422, "validation_failed");

    // Deleting.
    app.delete(&bobs_path, &bob.token).await.expect(204);
    app.get(&bobs_path, &bob.token).await.expect_problem(404, "not_found");
    app.delete(&shared_path, &admin.token).await.expect(204);
    assert_eq!(ids(&app.get("/api/v1/saved-replies", &bob.token).await.body), vec![admins]);
}

#[tokio::test]
async fn saved_reply_search_ignores_case_in_any_script() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let refund = app
        .post(
            "/api/v1/saved-replies",
            &owner.token,
            json!({"shortcut": "возврат", "title": "Возврат денег", "body": "Деньги вернутся за 5 дней."}),
        )
        .await;
    refund.expect(201);
    let refund = refund.body["id"].as_i64().unwrap();
    app.post("/api/v1/saved-replies", &owner.token, json!({"shortcut": "hi", "title": "Hi", "body": "Hello"}))
        .await
        .expect(201);
    for search in ["ВОЗВРАТ", "Возврат", "деньги", "ДЕНЬГИ", "дней"] {
        let found = app
            .get(&format!("/api/v1/saved-replies?search={}", crate::helpers::query_escape(search)), &owner.token)
            .await;
        assert_eq!(ids(&found.body), vec![refund], "search={search}");
    }
}
