//! XLSX exports: every report opens and holds the right rows; admins only.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn download(app: &TestApp, token: &str, path: &str) -> Xlsx<Cursor<Vec<u8>>> {
    let res = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = res.bytes().await.unwrap().to_vec();
    open_workbook_from_rs(Cursor::new(bytes)).expect("a valid XLSX file")
}

fn rows(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(sheet).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn column(header: &[Data], name: &str) -> usize {
    header.iter().position(|c| text(c) == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[tokio::test]
async fn every_report_opens_with_the_right_rows() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main site", json!({"rating": {"scale": 10}})).await;
    let ann = app.start_visitor(&chat.public_key).await;
    app.visitor_patch(&ann, "/api/v1/widget/me", json!({"name": "Ann", "email": "ann@example.test"})).await.expect(200);
    let other = app.start_visitor(&chat.public_key).await;

    let rated = app.visitor_writes_dialog(&ann, "Where is my order?").await;
    app.visitor_post(&ann, "/api/v1/widget/page-views", json!({"url": "https://shop.test/orders", "title": "Orders"}))
        .await
        .expect(201);
    app.reply(&bob, rated, "Let me check").await;
    app.visitor_writes(&ann, "where is my ORDER").await;
    let tag = app.post("/api/v1/tags", &owner.token, json!({"name": "delivery"})).await.body["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/dialogs/{rated}/tags"), &bob.token, json!({"tag_id": tag})).await.expect(200);
    app.post(&format!("/api/v1/dialogs/{rated}/close"), &bob.token, json!({})).await.expect(200);
    app.visitor_post(&ann, &format!("/api/v1/widget/dialogs/{rated}/rating"), json!({"score": 9, "review": "Nice"}))
        .await
        .expect(201);
    let unanswered = app.visitor_writes_dialog(&other, "Hello?").await;
    let sessions_of = |v: &Value| v["session_id"].as_str().unwrap().to_string();
    let rated_session = sessions_of(&app.dialog(&owner, rated).await);
    let unanswered_session = sessions_of(&app.dialog(&owner, unanswered).await);

    // All chat sessions, with messages, times in Kolkata.
    let mut book = download(&app, &owner.token, "/api/v1/exports/sessions?with_messages=true&tz=Asia/Kolkata").await;
    let sessions = rows(&mut book, "Sessions");
    let header = &sessions[0];
    assert_eq!(text(&header[0]), "Session");
    assert_eq!(sessions.len(), 3, "header and two dialogs");
    // Newest first.
    assert_eq!(text(&sessions[1][0]), unanswered_session);
    let row = &sessions[2];
    assert_eq!(text(&row[0]), rated_session);
    assert_eq!(text(&row[column(header, "Chat")]), "Main site");
    assert_eq!(text(&row[column(header, "Visitor")]), "Ann");
    assert_eq!(text(&row[column(header, "Operator")]), "bob");
    assert_eq!(text(&row[column(header, "Status")]), "closed");
    assert_eq!(row[column(header, "Visitor messages")], Data::Float(2.0));
    assert_eq!(row[column(header, "Operator messages")], Data::Float(1.0));
    assert_eq!(text(&row[column(header, "Tags")]), "delivery");
    assert_eq!(row[column(header, "Rating")], Data::Float(9.0));
    assert_eq!(row[column(header, "Rating scale")], Data::Float(10.0));
    assert_eq!(text(&row[column(header, "Review")]), "Nice");
    assert!(matches!(row[column(header, "Created")], Data::DateTime(_)), "times are dates");
    assert_eq!(text(&sessions[1][column(header, "Unanswered")]), "yes");
    let messages = rows(&mut book, "Messages");
    assert_eq!(messages.len(), 1 + 1 + 3);
    assert!(messages[1..].iter().any(|m| text(&m[4]) == "Let me check" && text(&m[2]) == "bob"));

    // Sessions with markers: only the tagged dialog.
    let mut book = download(&app, &owner.token, "/api/v1/exports/tagged_sessions").await;
    let tagged = rows(&mut book, "Sessions");
    assert_eq!(tagged.len(), 2);
    assert_eq!(text(&tagged[1][0]), rated_session);

    // Dialog-list filters apply: status=closed.
    let mut book = download(&app, &owner.token, "/api/v1/exports/operator_metrics?status=closed").await;
    let metrics = rows(&mut book, "Operator metrics");
    assert_eq!(metrics.len(), 2);
    assert_eq!(text(&metrics[1][column(&metrics[0], "Operator")]), "bob");
    assert_eq!(metrics[1][column(&metrics[0], "Responses")], Data::Float(1.0));
    assert!(matches!(metrics[1][column(&metrics[0], "First response, s")], Data::Float(_)));

    let mut book = download(&app, &owner.token, "/api/v1/exports/productivity").await;
    let productivity = rows(&mut book, "Productivity");
    let bob_row = productivity.iter().find(|r| text(&r[0]) == "bob").expect("bob's row");
    assert_eq!(bob_row[1], Data::Float(1.0));
    assert_eq!(bob_row[3], Data::Float(2.0));
    assert_eq!(bob_row[4], Data::Float(1.0));
    assert!(productivity.iter().any(|r| text(&r[0]) == "(unassigned)" && r[7] == Data::Float(1.0)));

    let mut book = download(&app, &owner.token, "/api/v1/exports/sources").await;
    let sources = rows(&mut book, "Sources");
    assert_eq!(sources.len(), 2);
    assert_eq!(text(&sources[1][0]), "web");
    assert_eq!(sources[1][1], Data::Float(2.0));
    assert_eq!(sources[1][2], Data::Float(3.0));
    assert_eq!(sources[1][4], Data::Float(1.0));

    let mut book = download(&app, &owner.token, "/api/v1/exports/web_pages").await;
    let pages = rows(&mut book, "Web pages");
    assert_eq!(pages.len(), 2);
    assert_eq!(text(&pages[1][0]), rated_session);
    assert_eq!(text(&pages[1][3]), "https://shop.test/orders");

    let mut book = download(&app, &owner.token, "/api/v1/exports/popular_phrases").await;
    let popular = rows(&mut book, "Popular phrases");
    assert_eq!(text(&popular[1][0]), "where is my order");
    assert_eq!(popular[1][1], Data::Float(2.0));
    assert_eq!(popular[1][2], Data::Float(1.0));

    let mut book = download(&app, &owner.token, "/api/v1/exports/visitor_phrases").await;
    let phrases = rows(&mut book, "Visitor phrases");
    assert_eq!(phrases.len(), 4);
    assert!(phrases.iter().any(|r| text(&r[4]) == "Hello?" && text(&r[0]) == unanswered_session));

    app.get("/api/v1/exports/nothing", &owner.token).await.expect_problem(404, "not_found");
    app.get("/api/v1/exports/sessions?tz=Nowhere", &owner.token).await.expect_problem(400, "invalid_query");
    crate::ratings::assert_operator_refused(&app, &bob).await;
}

#[tokio::test]
async fn a_super_admin_can_take_away_an_admins_exports() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "ada@acme.test", "admin").await;
    let other = app.add_operator(&owner, "abe@acme.test", "admin").await;
    let path = format!("/api/v1/operators/{}", admin.operator_id);
    assert_eq!(app.get(&path, &owner.token).await.body["exports_allowed"], true);
    download(&app, &admin.token, "/api/v1/exports/sessions").await;

    // Only a super admin changes the right: not another admin, not the admin themself.
    let take_away = json!({"exports_allowed": false});
    app.patch(&path, &other.token, take_away.clone()).await.expect_problem(403, "forbidden");
    app.patch(&path, &admin.token, take_away.clone()).await.expect_problem(403, "forbidden");
    download(&app, &admin.token, "/api/v1/exports/sessions").await;

    let changed = app.patch(&path, &owner.token, take_away).await;
    changed.expect(200);
    assert_eq!(changed.body["exports_allowed"], false);
    for report in ["sessions", "operator_metrics", "web_pages"] {
        let refused = app.get(&format!("/api/v1/exports/{report}"), &admin.token).await;
        refused.expect_problem(403, "forbidden");
    }
    // The others keep theirs; a super admin always exports.
    download(&app, &other.token, "/api/v1/exports/sessions").await;
    download(&app, &owner.token, "/api/v1/exports/sessions").await;
    // Statistics stay open to the admin: only exports were switched off.
    app.get("/api/v1/stats/dialogs?from=2026-01-01&to=2026-01-31", &admin.token).await.expect(200);

    app.patch(&path, &owner.token, json!({"exports_allowed": true})).await.expect(200);
    download(&app, &admin.token, "/api/v1/exports/sessions").await;
}
