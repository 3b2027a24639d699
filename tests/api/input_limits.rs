//! What schema-driven fuzzing found, kept fixed: bodies must be JSON objects, text must not
//! carry NUL characters (PostgreSQL cannot store them), query parameters keep their documented
//! lengths, optional bodies may be `null`, and 405 answers list the allowed methods.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn bodies_must_be_objects_without_nul_characters() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let raw = |path: &str, body: &'static str| {
        app.client
            .patch(app.url(path))
            .bearer_auth(&owner.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = crate::helpers::Resp::from(raw("/api/v1/me", "[null, null]").await.unwrap()).await;
    res.expect_problem(422, "validation_failed");
    let res = crate::helpers::Resp::from(raw("/api/v1/me", r#"{"display_name":"a\u0000b"}"#).await.unwrap()).await;
    res.expect_problem(422, "validation_failed");
    let body = json!({"shortcut": "nul", "title": "T", "body": "x\u{0}y"});
    app.post("/api/v1/saved-replies", &owner.token, body).await.expect_problem(422, "validation_failed");
    app.get("/api/v1/tags?search=a%00b", &owner.token).await.expect_problem(400, "invalid_query");
    // A literal backslash-u in text is fine.
    app.patch("/api/v1/me", &owner.token, json!({"display_name": "a\\u0000b"})).await.expect(200);
}

#[tokio::test]
async fn query_parameters_keep_their_documented_lengths() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    for (path, max) in [
        ("/api/v1/chats?search=", 100),
        ("/api/v1/operators?search=", 100),
        ("/api/v1/saved-replies?search=", 100),
        ("/api/v1/tags?search=", 50),
        ("/api/v1/visitors?search=", 100),
        ("/api/v1/dialogs?q=", 200),
        ("/api/v1/dialogs?tag_ids=", 200),
    ] {
        // Ids for tag_ids: "1,1,...,11".
        let fits = if path.ends_with("tag_ids=") { format!("{}11", "1,".repeat(max / 2 - 1)) } else { "1".repeat(max) };
        let res = app.get(&format!("{path}{fits}"), &owner.token).await;
        assert!(res.status == 200, "{path} with {max}: {}", res.text);
        let res = app.get(&format!("{path}{fits}1"), &owner.token).await;
        res.expect_problem(400, "invalid_query");
    }
}

#[tokio::test]
async fn optional_bodies_may_be_null_and_405_lists_the_methods() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app.client.put(app.url("/api/v1/tags/1")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "DELETE, GET, PATCH");
    let res = app.client.request(reqwest::Method::TRACE, app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
}

#[tokio::test]
async fn documented_counts_and_lengths_hold_for_colours_and_attributes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let long_colour = format!("rgb({}1, 2, 3)", " ".repeat(60));
    let res = app.post("/api/v1/tags", &owner.token, json!({"name": "x", "color": long_colour})).await;
    res.expect_problem(422, "validation_failed");
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    // Even keys that only remove attributes count against the per-request limit.
    let removals: serde_json::Map<String, serde_json::Value> =
        (0..51).map(|i| (format!("k{i}"), serde_json::Value::Null)).collect();
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": removals})).await;
    res.expect_problem(422, "validation_failed");
}
