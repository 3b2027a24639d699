//! `livedesk seed` on both backends: the rows it writes are consistent, its roll-ups equal a
//! computation over the dialogs, and the server keeps writing normally during and after it.

use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use livedesk::db::{DatabaseUrl, Db, DbConn};
use livedesk::domain::stats::{self, Filters, Period};
use livedesk::seed::{SeedOptions, SeedReport};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut DbConn, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

fn seed(url: &str, dialogs: u64) -> SeedReport {
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap(), 1 + livedesk::seed::MAX_WRITERS).unwrap();
    let hash = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(livedesk::auth::password::hash("seeded password".into()))
        .unwrap();
    let options = SeedOptions { dialogs, days: 20, operators: 4, chats: 2, random_seed: 11 };
    let mut chunks = 0;
    let report = livedesk::seed::run(&db, &options, &hash, &mut |_| chunks += 1).unwrap();
    assert!(chunks >= 1);
    report
}

#[tokio::test]
async fn seeded_workspace_is_consistent_and_the_server_keeps_writing() {
    let app = TestApp::spawn().await;
    // Another workspace takes messages the whole time the seed runs.
    let other = app.signup("Other", "owner@other.test").await;
    let chat = app.create_chat(&other, "Site", Value::Null).await;
    let url = app.db.url.clone();
    let seeding = tokio::task::spawn_blocking(move || seed(&url, 900));
    let mut live = 0;
    while !seeding.is_finished() || live < 3 {
        let visitor = app.start_visitor(&chat.public_key).await;
        let dialog = app.visitor_writes_dialog(&visitor, "Hello during the seed").await;
        app.reply(&other, dialog, "Hi").await;
        live += 1;
    }
    let report = seeding.await.unwrap();
    assert_eq!(report.dialogs, 900);

    let db = Db::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap();
    let mut conn = db.get_blocking().unwrap();
    let ws = report.workspace_id;
    assert_eq!(count(&mut conn, &format!("SELECT COUNT(*) AS n FROM dialogs WHERE workspace_id = {ws}")), 900);
    let messages = count(&mut conn, &format!("SELECT COUNT(*) AS n FROM messages WHERE workspace_id = {ws}"));
    assert_eq!(messages, report.messages);
    assert!(messages >= 900);
    // Each dialog's counters and last message agree with its messages.
    let inconsistent = count(
        &mut conn,
        &format!(
            "SELECT COUNT(*) AS n FROM dialogs d WHERE d.workspace_id = {ws} AND (\
             d.message_count <> (SELECT COUNT(*) FROM messages m WHERE m.dialog_id = d.id) \
             OR d.last_message_id <> (SELECT MAX(m.id) FROM messages m WHERE m.dialog_id = d.id) \
             OR d.visitor_id NOT IN (SELECT v.id FROM visitors v WHERE v.workspace_id = {ws}))"
        ),
    );
    assert_eq!(inconsistent, 0);
    let waits = count(&mut conn, &format!("SELECT COUNT(*) AS n FROM response_times WHERE workspace_id = {ws}"));
    assert!(waits > 500, "{waits} answered waits");

    // The roll-ups written by the seed answer what the dialogs answer.
    let login = app.login(&report.owner_email, "seeded password").await;
    login.expect(200);
    let owner = Session::from_grant(&login.body);
    let today = Utc::now().date_naive();
    let from = today - Days::new(21);
    for (tz, chat_id) in
        [("UTC", None), ("Asia/Kolkata", None), ("Europe/Berlin", Some(owner_chat(&app, &owner).await))]
    {
        let period = Period::new(from, today, tz.parse().unwrap()).unwrap();
        let filters = Filters { chat_id, operator_id: None, channel: None, tag_ids: Vec::new() };
        let chat_q = chat_id.map(|c| format!("&chat_id={c}")).unwrap_or_default();
        let q = format!("from={from}&to={today}&tz={tz}{chat_q}");
        let served = app.get(&format!("/api/v1/stats/dialogs?{q}"), &owner.token).await;
        served.expect(200);
        let direct = stats::compute_dialog_stats_direct(&mut conn, ws, &period, &filters).unwrap();
        assert_eq!(rounded(&served.body), rounded(&serde_json::to_value(&direct).unwrap()), "dialogs {q}");
        let served = app.get(&format!("/api/v1/stats/operators?{q}"), &owner.token).await;
        served.expect(200);
        let direct = stats::compute_operator_stats_direct(&mut conn, ws, &period, &filters).unwrap();
        assert_eq!(rounded(&served.body), rounded(&serde_json::to_value(&direct).unwrap()), "operators {q}");
    }
    let all = app.get(&format!("/api/v1/stats/dialogs?from={from}&to={today}"), &owner.token).await;
    assert_eq!(all.body["started"].as_i64(), Some(900));

    // Ids handed out afterwards do not collide with seeded rows.
    let seeded_chat = owner_chat(&app, &owner).await;
    let public_key = app.get(&format!("/api/v1/chats/{seeded_chat}"), &owner.token).await.body["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let visitor = app.start_visitor(&public_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "After the seed").await;
    let reply = app.reply(&owner, dialog, "Welcome").await;
    assert!(reply["message"]["id"].as_i64().unwrap() > 0);
    let tag = app.post("/api/v1/tags", &owner.token, json!({"name": "after-seed"})).await;
    tag.expect(201);
    assert_eq!(count(&mut conn, &format!("SELECT COUNT(*) AS n FROM dialogs WHERE workspace_id = {ws}")), 901);
}

/// The first chat of the seeded workspace.
async fn owner_chat(app: &TestApp, owner: &Session) -> i64 {
    let chats = app.get("/api/v1/chats", &owner.token).await;
    chats.expect(200);
    chats.body["items"][0]["id"].as_i64().expect("a seeded chat")
}

/// Floats to nine decimals: sums in another order differ in the last digit.
fn rounded(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => json!((n.as_f64().unwrap() * 1e9).round() / 1e9),
        Value::Array(items) => Value::Array(items.iter().map(rounded).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), rounded(v))).collect()),
        other => other.clone(),
    }
}
