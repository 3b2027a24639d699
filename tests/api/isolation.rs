//! An operator of one workspace sees nothing of another: foreign ids answer 404.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn foreign_ids_answer_404() {
    let app = TestApp::spawn().await;
    let a = app.signup("Alpha", "owner@alpha.test").await;
    let b = app.signup("Beta", "owner@beta.test").await;
    let b_op = app.add_operator(&b, "bob@beta.test", "operator").await;
    let b_key = app.post("/api/v1/api-keys", &b.token, json!({"name": "beta key"})).await;
    let b_key_id = b_key.body["key"]["id"].as_i64().unwrap();

    for id in [b.operator_id, b_op.operator_id] {
        let path = format!("/api/v1/operators/{id}");
        app.get(&path, &a.token).await.expect_problem(404, "not_found");
        app.patch(&path, &a.token, json!({"display_name": "pwned"})).await.expect_problem(404, "not_found");
        app.delete(&path, &a.token).await.expect_problem(404, "not_found");
        app.post(&format!("{path}/password-link"), &a.token, json!({})).await.expect_problem(404, "not_found");
    }
    app.delete(&format!("/api/v1/api-keys/{b_key_id}"), &a.token).await.expect_problem(404, "not_found");

    // Lists show only the caller's workspace.
    let ops = app.get("/api/v1/operators", &a.token).await;
    assert_eq!(ops.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/api-keys", &a.token).await.body["items"].as_array().unwrap().len(), 0);

    // Nothing of B changed.
    let still = app.get(&format!("/api/v1/operators/{}", b_op.operator_id), &b.token).await;
    still.expect(200);
    assert_eq!(still.body["display_name"], "bob");
    app.get("/api/v1/me", b_key.body["secret"].as_str().unwrap()).await.expect(200);
}
