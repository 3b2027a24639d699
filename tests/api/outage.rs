//! The database goes away: requests get 503 with `Retry-After`, `/readyz` says not ready, and
//! the node serves again by itself once the database is back. SQLite: another process holds
//! the write lock. PostgreSQL: the database refuses connections and its backends are killed.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use serde_json::json;

use crate::helpers::{Resp, TestApp, TestDb};

#[track_caller]
fn expect_unavailable(res: &Resp) {
    res.expect_problem(503, "database_unavailable");
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
}

async fn ready(app: &TestApp) -> Resp {
    Resp::from(app.client.get(app.url("/readyz")).send().await.unwrap()).await
}

#[tokio::test]
async fn sqlite_writes_answer_503_while_the_database_is_locked_then_recover() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return;
    }
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&visitor, "before").await;

    let path = app.db.url.trim_start_matches("sqlite://").to_string();
    let mut holder = SqliteConnection::establish(&path).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    // Writers wait out the busy timeout, then give up with 503.
    let res =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "during", "client_id": "c-during"})).await;
    expect_unavailable(&res);
    // Reads still work: WAL readers do not wait for the writer.
    ready(&app).await.expect(200);
    holder.batch_execute("ROLLBACK").unwrap();

    // The same retry goes through once the lock is gone, exactly once.
    let res =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "during", "client_id": "c-during"})).await;
    res.expect(201);
    app.post("/api/v1/tags", &owner.token, json!({"name": "after"})).await.expect(201);
}

#[tokio::test]
async fn postgres_outage_answers_503_and_the_node_recovers_by_itself() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        return;
    };
    // A database of its own: refusing connections must not disturb the other tests.
    let name = format!("livedesk_outage_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (server, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{server}/{name}");
    let test_db = TestDb::new();
    let config_url = url.clone();
    let app = TestApp::spawn_on(test_db, move |c| c.database_url = Some(config_url)).await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", serde_json::Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    app.visitor_writes(&visitor, "before").await;

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();
    expect_unavailable(&ready(&app).await);
    let res =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "during", "client_id": "c-during"})).await;
    expect_unavailable(&res);
    expect_unavailable(&app.get("/api/v1/me", &owner.token).await);

    admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).unwrap();
    ready(&app).await.expect(200);
    let res =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "during", "client_id": "c-during"})).await;
    res.expect(201);
    app.get("/api/v1/me", &owner.token).await.expect(200);

    drop(app);
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
}
