//! Bad input gets a problem body with the right status, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn malformed_requests_get_problem_bodies() {
    let app = TestApp::spawn_with(|c| c.body_limit = 2048).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let login = app.url("/api/v1/auth/login");

    let res =
        app.client.post(&login).header("content-type", "application/json").body("{not json").send().await.unwrap();
    crate::helpers::Resp::from(res).await.expect_problem(400, "invalid_json");

    let res = app.client.post(&login).header("content-type", "text/plain").body("hello").send().await.unwrap();
    crate::helpers::Resp::from(res).await.expect_problem(415, "unsupported_media_type");

    let res = app.client.post(&login).body("{}").send().await.unwrap();
    crate::helpers::Resp::from(res).await.expect_problem(415, "unsupported_media_type");

    let big = json!({"email": "a@b.co", "password": "x".repeat(4096)});
    let res = app.client.post(&login).json(&big).send().await.unwrap();
    crate::helpers::Resp::from(res).await.expect_problem(413, "payload_too_large");

    // Well-formed JSON of the wrong shape is a validation problem.
    app.post_anon("/api/v1/auth/login", json!({"email": 42, "password": "x"}))
        .await
        .expect_problem(422, "validation_failed");
    app.post_anon("/api/v1/auth/login", json!({"password": "x"})).await.expect_problem(422, "validation_failed");

    app.request(Method::GET, "/api/v1/nowhere", None, None).await.expect_problem(404, "route_not_found");
    app.request(Method::GET, "/definitely/not/here", None, None).await.expect_problem(404, "route_not_found");
    app.request(Method::PUT, "/api/v1/me", Some(&owner.token), None).await.expect_problem(405, "method_not_allowed");
    app.request(Method::DELETE, "/api/v1/auth/login", None, None).await.expect_problem(405, "method_not_allowed");
    app.get("/api/v1/operators/abc", &owner.token).await.expect_problem(400, "invalid_path");
    app.get("/api/v1/operators/99999999", &owner.token).await.expect_problem(404, "not_found");
    app.get("/api/v1/operators?active=maybe", &owner.token).await.expect_problem(400, "invalid_query");

    let res = app.client.get(app.url("/api/v1/me")).header("authorization", "Basic abc").send().await.unwrap();
    crate::helpers::Resp::from(res).await.expect_problem(401, "invalid_token");
}
