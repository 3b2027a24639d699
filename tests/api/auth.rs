//! Sign-up, login, refresh rotation and its reuse detection, logout, deactivation.

use serde_json::json;

use crate::helpers::{PASSWORD, Session, TestApp};

#[tokio::test]
async fn signup_login_and_me() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme Support", "Owner@Acme.test").await;

    let me = app.get("/api/v1/me", &owner.token).await;
    me.expect(200);
    assert_eq!(me.body["operator"]["role"], "super_admin");
    assert_eq!(me.body["operator"]["email"], "Owner@Acme.test");
    assert_eq!(me.body["workspace"]["name"], "Acme Support");
    assert_eq!(me.body["workspace"]["slug"], "acme-support");
    assert_eq!(me.body["authenticated_with"], "session");

    // Email compares case-insensitively.
    let login = app.login("owner@acme.TEST", PASSWORD).await;
    login.expect(200);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    assert!(login.body["refresh_token"].as_str().unwrap().starts_with("ldr_"));

    app.login("owner@acme.test", "wrong password").await.expect_problem(401, "invalid_credentials");
    app.login("nobody@acme.test", PASSWORD).await.expect_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn signup_validates_and_can_be_switched_off() {
    let app = TestApp::spawn().await;
    let res = app
        .post_anon(
            "/api/v1/auth/signup",
            json!({"workspace_name": " ", "email": "not-an-email", "password": "short", "display_name": "A"}),
        )
        .await;
    res.expect_problem(422, "validation_failed");
    let fields: Vec<_> = res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"workspace_name") && fields.contains(&"email"), "{fields:?}");

    let closed = TestApp::spawn_with(|c| c.signup_enabled = false).await;
    closed
        .post_anon(
            "/api/v1/auth/signup",
            json!({"workspace_name": "X", "email": "x@x.test", "password": PASSWORD, "display_name": "X"}),
        )
        .await
        .expect_problem(403, "signup_disabled");
}

#[tokio::test]
async fn same_email_in_two_workspaces_needs_the_workspace_at_login() {
    let app = TestApp::spawn().await;
    let a = app.signup("Alpha", "shared@example.test").await;
    let b = app.signup("Beta", "shared@example.test").await;
    assert_ne!(a.workspace_id, b.workspace_id);

    let res = app.login("shared@example.test", PASSWORD).await;
    res.expect_problem(409, "workspace_required");
    assert!(res.body["detail"].as_str().unwrap().contains("alpha"));

    let res = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": "shared@example.test", "password": PASSWORD, "workspace": "beta"}),
        )
        .await;
    res.expect(200);
    assert_eq!(res.body["workspace"]["id"], b.workspace_id);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;

    let first = app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": owner.refresh})).await;
    first.expect(200);
    let rotated = Session::from_grant(&first.body);
    assert_ne!(rotated.refresh, owner.refresh);
    app.get("/api/v1/me", &rotated.token).await.expect(200);

    // Presenting the old token again is a theft signal: the whole session ends.
    app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": owner.refresh}))
        .await
        .expect_problem(401, "refresh_token_reused");
    app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": rotated.refresh}))
        .await
        .expect_problem(401, "token_revoked");
    app.get("/api/v1/me", &rotated.token).await.expect_problem(401, "token_revoked");
    app.get("/api/v1/me", &owner.token).await.expect_problem(401, "token_revoked");

    // Other sessions are untouched.
    let other = Session::from_grant(&app.login("owner@acme.test", PASSWORD).await.body);
    app.get("/api/v1/me", &other.token).await.expect(200);
    app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": "ldr_unknown"}))
        .await
        .expect_problem(401, "invalid_token");
}

#[tokio::test]
async fn logout_with_bearer_or_refresh_token() {
    let app = TestApp::spawn().await;
    let s1 = app.signup("Acme", "owner@acme.test").await;
    let s2 = Session::from_grant(&app.login("owner@acme.test", PASSWORD).await.body);

    app.request(reqwest::Method::POST, "/api/v1/auth/logout", Some(&s1.token), None).await.expect(204);
    app.get("/api/v1/me", &s1.token).await.expect_problem(401, "token_revoked");
    app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": s1.refresh}))
        .await
        .expect_problem(401, "token_revoked");
    app.get("/api/v1/me", &s2.token).await.expect(200);

    app.post_anon("/api/v1/auth/logout", json!({"refresh_token": s2.refresh})).await.expect(204);
    app.get("/api/v1/me", &s2.token).await.expect_problem(401, "token_revoked");

    app.request(reqwest::Method::POST, "/api/v1/auth/logout", None, None).await.expect_problem(401, "missing_token");
}

#[tokio::test]
async fn expired_and_forged_tokens_are_refused() {
    let app = TestApp::spawn_with(|c| c.access_token_ttl_secs = 10).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    app.get("/api/v1/me", &owner.token).await.expect(200);

    // Forged: same claims, signed with another key.
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = owner.token.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not-the-server-secret-not-the-server"),
    )
    .unwrap();
    app.get("/api/v1/me", &forged).await.expect_problem(401, "invalid_token");

    // Expired: signed with the server's own key, but in the past.
    let secret = std::fs::read_to_string(app.db.dir.join("jwt_secret")).unwrap();
    let mut old = claims.clone();
    old["iat"] = json!(claims["iat"].as_i64().unwrap() - 3600);
    old["exp"] = json!(claims["exp"].as_i64().unwrap() - 3600);
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &old,
        &jsonwebtoken::EncodingKey::from_secret(secret.trim().as_bytes()),
    )
    .unwrap();
    app.get("/api/v1/me", &expired).await.expect_problem(401, "token_expired");

    app.get("/api/v1/me", "garbage").await.expect_problem(401, "invalid_token");
    let res = app.request(reqwest::Method::GET, "/api/v1/me", None, None).await;
    res.expect_problem(401, "missing_token");
}

#[tokio::test]
async fn deactivated_operator_cannot_sign_in_and_tokens_stop() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    app.get("/api/v1/me", &bob.token).await.expect(200);

    let path = format!("/api/v1/operators/{}", bob.operator_id);
    let res = app.patch(&path, &owner.token, json!({"active": false})).await;
    res.expect(200);
    assert_eq!(res.body["status"], "deactivated");

    app.get("/api/v1/me", &bob.token).await.expect_problem(401, "token_revoked");
    app.post_anon("/api/v1/auth/refresh", json!({"refresh_token": bob.refresh}))
        .await
        .expect_problem(401, "token_revoked");
    app.login("bob@acme.test", PASSWORD).await.expect_problem(403, "account_deactivated");
    // A wrong password still says only that the credentials are wrong.
    app.login("bob@acme.test", "wrong password").await.expect_problem(401, "invalid_credentials");

    app.patch(&path, &owner.token, json!({"active": true})).await.expect(200);
    app.login("bob@acme.test", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn invite_link_works_once_and_password_change_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let res =
        app.post("/api/v1/operators", &owner.token, json!({"email": "carol@acme.test", "display_name": "Carol"})).await;
    res.expect(201);
    assert_eq!(res.body["operator"]["status"], "invited");
    assert_eq!(res.body["invite"]["purpose"], "invite");
    let token = res.body["invite"]["token"].as_str().unwrap().to_string();

    // Invited operators cannot sign in before setting a password.
    app.login("carol@acme.test", PASSWORD).await.expect_problem(401, "invalid_credentials");
    app.post_anon("/api/v1/auth/set-password", json!({"token": token, "password": "short"}))
        .await
        .expect_problem(422, "validation_failed");
    let set = app.post_anon("/api/v1/auth/set-password", json!({"token": token, "password": PASSWORD})).await;
    set.expect(200);
    assert_eq!(set.body["operator"]["status"], "active");
    app.post_anon("/api/v1/auth/set-password", json!({"token": token, "password": PASSWORD}))
        .await
        .expect_problem(401, "invalid_token");
    let carol = Session::from_grant(&set.body);
    let carol2 = Session::from_grant(&app.login("carol@acme.test", PASSWORD).await.body);

    app.post(
        "/api/v1/me/password",
        &carol.token,
        json!({"current_password": "wrong one!", "new_password": "another password"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/me/password",
        &carol.token,
        json!({"current_password": PASSWORD, "new_password": "another password"}),
    )
    .await
    .expect(204);
    app.get("/api/v1/me", &carol.token).await.expect(200);
    app.get("/api/v1/me", &carol2.token).await.expect_problem(401, "token_revoked");
    app.login("carol@acme.test", "another password").await.expect(200);

    // An admin-issued reset link replaces the password and ends every session.
    let link =
        app.post(&format!("/api/v1/operators/{}/password-link", carol.operator_id), &owner.token, json!({})).await;
    link.expect(201);
    assert_eq!(link.body["purpose"], "password_reset");
    let reset = link.body["token"].as_str().unwrap();
    app.post_anon("/api/v1/auth/set-password", json!({"token": reset, "password": "third password"})).await.expect(200);
    app.get("/api/v1/me", &carol.token).await.expect_problem(401, "token_revoked");
    app.login("carol@acme.test", "third password").await.expect(200);
}
