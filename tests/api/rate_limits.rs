//! Abuse limits: brute force on sign-in and floods on the widget get 429 with `Retry-After`,
//! while other accounts, chats and tenants carry on. Windows are a day long here so no test
//! straddles a window boundary.

use livedesk::config::Config;
use livedesk::rate_limit::quota::QuotaSetting;
use serde_json::json;

use crate::helpers::{PASSWORD, Resp, TestApp};

fn quota(text: &str) -> QuotaSetting {
    text.parse().unwrap()
}

fn limited(config: &mut Config) {
    config.limits.enabled = true;
}

#[track_caller]
fn expect_rate_limited(res: &Resp) {
    res.expect_problem(429, "rate_limited");
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

#[tokio::test]
async fn login_brute_force_is_refused_per_account_and_others_still_sign_in() {
    let app = TestApp::spawn_with(|c| {
        limited(c);
        c.limits.login_account = quota("3/86400");
        c.limits.auth_address = quota("9/86400");
    })
    .await;
    app.signup("Acme", "owner@acme.test").await;
    app.signup("Other", "owner@other.test").await;
    for _ in 0..3 {
        app.login("owner@acme.test", "wrong password").await.expect_problem(401, "invalid_credentials");
    }
    // Even the right password is refused now: the attacker cannot tell.
    expect_rate_limited(&app.login("OWNER@acme.test", PASSWORD).await);
    // Another tenant's account is unaffected.
    app.login("owner@other.test", PASSWORD).await.expect(200);
    // The address limit covers every account: 2 sign-ups and 5 sign-ins so far, 2 more pass.
    app.login("owner@other.test", PASSWORD).await.expect(200);
    app.login("nobody@other.test", PASSWORD).await.expect_problem(401, "invalid_credentials");
    expect_rate_limited(&app.login("owner@other.test", PASSWORD).await);
    let res = app.post_anon("/api/v1/auth/set-password", json!({"token": "ldi_x", "password": PASSWORD})).await;
    expect_rate_limited(&res);
}

#[tokio::test]
async fn widget_floods_are_refused_per_chat_and_visitor() {
    let app = TestApp::spawn_with(|c| {
        limited(c);
        c.limits.visitor_sessions = quota("3/86400");
        c.limits.visitor_messages = quota("2/86400");
        c.limits.visitor_messages_address = quota("3/86400");
    })
    .await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let second = app.start_visitor(&chat.public_key).await;
    app.start_visitor(&chat.public_key).await;
    let res = app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key})).await;
    expect_rate_limited(&res);

    app.visitor_writes(&visitor, "one").await;
    app.visitor_writes(&visitor, "two").await;
    let res = app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "three"})).await;
    expect_rate_limited(&res);
    // Another visitor of the same chat still writes, until the address's quota is used up.
    app.visitor_writes(&second, "hello").await;
    let res = app.visitor_post(&second, "/api/v1/widget/messages", json!({"body": "again"})).await;
    expect_rate_limited(&res);

    // Another tenant's widget, used from the very same address, is unaffected.
    let other = app.signup("Other", "owner@other.test").await;
    let other_chat = app.create_chat(&other, "Site", serde_json::Value::Null).await;
    let stranger = app.start_visitor(&other_chat.public_key).await;
    app.visitor_writes(&stranger, "hi").await;
    app.visitor_writes(&stranger, "still here").await;
}

#[tokio::test]
async fn operator_requests_are_limited_per_token() {
    let app = TestApp::spawn_with(|c| {
        limited(c);
        c.limits.operator_requests = quota("3/86400");
    })
    .await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let other = app.signup("Other", "owner@other.test").await;
    for _ in 0..3 {
        app.get("/api/v1/me", &owner.token).await.expect(200);
    }
    expect_rate_limited(&app.get("/api/v1/me", &owner.token).await);
    app.get("/api/v1/me", &other.token).await.expect(200);
    // Invalid tokens are refused before they are counted.
    app.get("/api/v1/me", "not-a-token").await.expect_problem(401, "invalid_token");
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    async fn session_from(app: &TestApp, key: &str, forwarded: &str) -> u16 {
        let res = app
            .client
            .post(app.url("/api/v1/widget/sessions"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"public_key": key}))
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    }
    for trusted in [false, true] {
        let app = TestApp::spawn_with(|c| {
            limited(c);
            c.limits.visitor_sessions = quota("1/86400");
            if trusted {
                c.trusted_proxies = "127.0.0.1".parse().unwrap();
            }
        })
        .await;
        let owner = app.signup("Acme", "owner@acme.test").await;
        let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
        assert_eq!(session_from(&app, &chat.public_key, "198.51.100.1").await, 201);
        let second = session_from(&app, &chat.public_key, "198.51.100.2").await;
        // Untrusted, the header is ignored and both come from 127.0.0.1.
        assert_eq!(second, if trusted { 201 } else { 429 }, "trusted proxy: {trusted}");
    }
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_counting_on_this_node() {
    let app = TestApp::spawn_with(|c| {
        limited(c);
        c.redis_url = Some("redis://127.0.0.1:1".into());
        c.limits.operator_requests = quota("2/86400");
    })
    .await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    app.get("/api/v1/me", &owner.token).await.expect(200);
    app.get("/api/v1/me", &owner.token).await.expect(200);
    expect_rate_limited(&app.get("/api/v1/me", &owner.token).await);
}

#[tokio::test]
async fn nodes_sharing_redis_share_the_count() {
    let Some(redis) = std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        return;
    };
    let node = |redis: String| {
        move |c: &mut Config| {
            limited(c);
            c.redis_url = Some(redis);
            c.limits.login_account = quota("4/86400");
        }
    };
    let a = TestApp::spawn_with(node(redis.clone())).await;
    let b = TestApp::spawn_with(node(redis)).await;
    // Counters outlive the test in Redis: an email of its own keeps reruns independent.
    let email = format!("{}@acme.test", uuid::Uuid::new_v4().simple());
    for _ in 0..2 {
        a.login(&email, "wrong password").await.expect(401);
        b.login(&email, "wrong password").await.expect(401);
    }
    expect_rate_limited(&a.login(&email, "wrong password").await);
    expect_rate_limited(&b.login(&email, "wrong password").await);
}

#[tokio::test]
async fn socket_frame_floods_get_error_frames_then_close_4029() {
    let app = TestApp::spawn_with(|c| {
        limited(c);
        c.limits.socket_frames = quota("5/86400");
    })
    .await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let mut op = app.ws("/api/v1/ws", &owner.token).await;
    op.until_type("welcome").await;
    for _ in 0..5 {
        op.send(json!({ "type": "ping" })).await;
        assert_eq!(op.until_type("pong").await["type"], "pong");
    }
    op.send(json!({ "type": "ping" })).await;
    assert_eq!(op.until_type("error").await["code"], "rate_limited");
    // The 51st refusal in a row ends the connection.
    for _ in 0..50 {
        op.send(json!({ "type": "ping" })).await;
    }
    assert_eq!(op.closed().await, 4029);
}
