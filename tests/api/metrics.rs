//! `/metrics`: off unless a token is configured, then Prometheus text behind that token, with
//! HTTP traffic by route pattern, the database pool, the writer, open sockets and the events
//! handed to them.

use std::time::Duration;

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

async fn metrics_text(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The value of the series that starts with `series` (name and labels), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_open_sockets_and_published_events() {
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    const OPERATORS: &str = r#"livedesk_sockets_open{kind="operator"}"#;
    const VISITORS: &str = r#"livedesk_sockets_open{kind="visitor"}"#;
    const MESSAGES: &str = r#"livedesk_events_published_total{kind="message.created"}"#;
    let before = metrics_text(&app).await;
    assert_eq!(value(&before, OPERATORS), 0.0);
    assert_eq!(value(&before, MESSAGES), 0.0, "no socket, nothing handed out");

    let mut op = app.ws("/api/v1/ws", &owner.token).await;
    op.until_type("welcome").await;
    let mut vis = app.ws("/api/v1/widget/ws", &visitor.token).await;
    vis.until_type("welcome").await;
    let open = metrics_text(&app).await;
    assert_eq!(value(&open, OPERATORS), 1.0, "{open}");
    assert_eq!(value(&open, VISITORS), 1.0, "{open}");

    app.visitor_writes(&visitor, "hello").await;
    app.visitor_writes(&visitor, "still there?").await;
    op.until(|f| f["data"]["message"]["body"] == "still there?").await;
    // One count per event, however many sockets receive it.
    assert_eq!(value(&metrics_text(&app).await, MESSAGES), 2.0);

    op.close().await;
    vis.close().await;
    let mut closed = String::new();
    for _ in 0..50 {
        closed = metrics_text(&app).await;
        if value(&closed, OPERATORS) == 0.0 && value(&closed, VISITORS) == 0.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sockets still counted as open:\n{closed}");
}
