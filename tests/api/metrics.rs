//! `/metrics`: off unless a token is configured, then Prometheus text behind that token, with
//! HTTP traffic by route pattern, the database pool and the writer.

use crate::helpers::TestApp;

const TOKEN: &str = "metrics-token-for-tests";

#[tokio::test]
async fn metrics_are_off_by_default() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn metrics_need_the_token_and_report_routes_pool_and_writer() {
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "hello").await;
    app.dialog(&owner, dialog).await;

    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 401);
    assert_eq!(
        app.client.get(app.url("/metrics")).bearer_auth("wrong-token-wrong").send().await.unwrap().status(),
        401
    );
    let res = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    for expected in [
        r#"livedesk_http_requests_total{method="GET",route="/api/v1/dialogs/{id}",status="200"} 1"#,
        r#"livedesk_http_requests_total{method="POST",route="/api/v1/widget/messages",status="201"} 1"#,
        "livedesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/dialogs/{id}\"",
        "livedesk_db_pool_max_connections 4",
        "livedesk_db_pool_connections ",
        "livedesk_writer_queue_length 0",
        "livedesk_writer_jobs_total ",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains(&format!("dialogs/{dialog}")), "concrete paths must not become labels");
}
