//! API keys: created by admins, shown once, usable as Bearer tokens, revocable.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn api_key_lifecycle() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let created = app.post("/api/v1/api-keys", &owner.token, json!({"name": "CRM sync", "role": "admin"})).await;
    created.expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("ldk_"));
    assert!(secret.starts_with(created.body["key"]["prefix"].as_str().unwrap()));
    let id = created.body["key"]["id"].as_i64().unwrap();

    // The key works wherever a Bearer token does.
    let me = app.get("/api/v1/me", &secret).await;
    me.expect(200);
    assert_eq!(me.body["authenticated_with"], "api_key");
    assert_eq!(me.body["effective_role"], "admin");
    app.post("/api/v1/operators", &secret, json!({"email": "x@acme.test", "display_name": "X"})).await.expect(201);

    // Listing never shows the secret.
    let list = app.get("/api/v1/api-keys", &owner.token).await;
    list.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(!list.text.contains(&secret));
    assert!(list.body["items"][0]["last_used_at"].is_string());

    app.delete(&format!("/api/v1/api-keys/{id}"), &owner.token).await.expect(204);
    app.get("/api/v1/me", &secret).await.expect_problem(401, "token_revoked");
    assert_eq!(app.get("/api/v1/api-keys", &owner.token).await.body["items"].as_array().unwrap().len(), 0);
    let all = app.get("/api/v1/api-keys?include_revoked=true", &owner.token).await;
    assert!(all.body["items"][0]["revoked_at"].is_string());
    app.get("/api/v1/me", "ldk_notakey").await.expect_problem(401, "invalid_token");
}

#[tokio::test]
async fn api_key_roles_are_capped() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;

    app.post("/api/v1/api-keys", &bob.token, json!({"name": "mine"})).await.expect_problem(403, "forbidden");
    app.get("/api/v1/api-keys", &bob.token).await.expect_problem(403, "forbidden");
    app.post("/api/v1/api-keys", &admin.token, json!({"name": "too much", "role": "super_admin"}))
        .await
        .expect_problem(403, "forbidden");
    app.post("/api/v1/api-keys", &admin.token, json!({"name": "", "expires_at": "2000-01-01T00:00:00Z"}))
        .await
        .expect_problem(422, "validation_failed");

    // An operator-role key cannot do admin things, though its creator can.
    let key = app.post("/api/v1/api-keys", &admin.token, json!({"name": "limited"})).await;
    key.expect(201);
    let secret = key.body["secret"].as_str().unwrap();
    app.post("/api/v1/operators", secret, json!({"email": "y@acme.test", "display_name": "Y"}))
        .await
        .expect_problem(403, "forbidden");

    // Keys act as their creator: demoting the creator caps the key, deactivating stops it.
    let admin_key = app.post("/api/v1/api-keys", &admin.token, json!({"name": "admin key", "role": "admin"})).await;
    let admin_secret = admin_key.body["secret"].as_str().unwrap().to_string();
    let path = format!("/api/v1/operators/{}", admin.operator_id);
    app.patch(&path, &owner.token, json!({"role": "operator"})).await.expect(200);
    assert_eq!(app.get("/api/v1/me", &admin_secret).await.body["effective_role"], "operator");
    app.patch(&path, &owner.token, json!({"active": false})).await.expect(200);
    app.get("/api/v1/me", &admin_secret).await.expect_problem(401, "token_revoked");
}

#[tokio::test]
async fn expired_api_key_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1200);
    let key = app.post("/api/v1/api-keys", &owner.token, json!({"name": "short", "expires_at": soon})).await;
    key.expect(201);
    let secret = key.body["secret"].as_str().unwrap();
    app.get("/api/v1/me", secret).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.get("/api/v1/me", secret).await.expect_problem(401, "token_expired");
}
