//! Ratings: a closed dialog asks its visitor for a rating once per close; only admins read
//! ratings, analytics and reviews.

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

async fn close(app: &TestApp, who: &Session, dialog_id: i64) {
    app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &who.token, json!({})).await.expect(200);
}

/// Every rating and statistics read an operator might try: all 403.
pub async fn assert_operator_refused(app: &TestApp, operator: &Session) {
    for path in [
        "/api/v1/ratings",
        "/api/v1/ratings/reviews",
        "/api/v1/stats/dialogs",
        "/api/v1/stats/operators",
        "/api/v1/exports/sessions",
        "/api/v1/exports/tagged_sessions",
        "/api/v1/exports/operator_metrics",
        "/api/v1/exports/productivity",
        "/api/v1/exports/sources",
        "/api/v1/exports/web_pages",
        "/api/v1/exports/popular_phrases",
        "/api/v1/exports/visitor_phrases",
    ] {
        app.get(path, &operator.token).await.expect_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn a_visitor_rates_each_close_once_and_only_admins_see_it() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app
        .create_chat(
            &owner,
            "Site",
            json!({"rating": {"enabled": true, "scale": 5, "text": "Rate us", "delay_secs": 0}}),
        )
        .await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "Hello").await;
    app.reply(&bob, dialog_id, "Hi!").await;
    let rating_path = format!("/api/v1/widget/dialogs/{dialog_id}/rating");

    // Open dialog: nothing to rate yet.
    app.visitor_get(&visitor, &rating_path).await.expect_problem(404, "not_found");
    app.visitor_post(&visitor, &rating_path, json!({"score": 4})).await.expect_problem(409, "rating_not_requested");

    close(&app, &bob, dialog_id).await;
    let request = app.visitor_get(&visitor, &rating_path).await;
    request.expect(200);
    assert_eq!(request.body["status"], "pending");
    assert_eq!(request.body["scale"], 5);
    assert_eq!(request.body["text"], "Rate us");
    assert!(request.body["score"].is_null());

    // Scores outside the chat's scale are refused.
    for bad in [0, 6, -1] {
        let res = app.visitor_post(&visitor, &rating_path, json!({"score": bad})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], "score");
    }
    let rated = app.visitor_post(&visitor, &rating_path, json!({"score": 4, "review": "  Quick answer  "})).await;
    rated.expect(201);
    assert_eq!(rated.body["status"], "rated");
    assert_eq!(rated.body["score"], 4);
    assert_eq!(rated.body["review"], "Quick answer");
    // Once per close: a second answer is refused and the first stands.
    app.visitor_post(&visitor, &rating_path, json!({"score": 1})).await.expect_problem(409, "already_rated");
    assert_eq!(app.visitor_get(&visitor, &rating_path).await.body["score"], 4);

    // Someone else's dialog is not there.
    let stranger = app.start_visitor(&chat.public_key).await;
    app.visitor_post(&stranger, &rating_path, json!({"score": 5})).await.expect_problem(404, "not_found");

    // Reopen and close again: a new request.
    app.visitor_writes(&visitor, "One more question").await;
    app.reply(&bob, dialog_id, "Sure").await;
    close(&app, &bob, dialog_id).await;
    let again = app.visitor_get(&visitor, &rating_path).await;
    again.expect(200);
    assert_eq!(again.body["status"], "pending");
    app.visitor_post(&visitor, &rating_path, json!({"score": 2})).await.expect(201);

    // The operator never sees a rating: not in the dialog, not through any read.
    let dialog = app.dialog(&bob, dialog_id).await;
    assert!(!dialog.to_string().contains("rating"), "{dialog}");
    assert_operator_refused(&app, &bob).await;

    // Admins do.
    let analytics = app.get("/api/v1/ratings", &owner.token).await;
    analytics.expect(200);
    let a = &analytics.body;
    assert_eq!(a["requested"], 2);
    assert_eq!(a["rated"], 2);
    assert_eq!(a["closed_without_rating"], 0);
    assert_eq!(a["response_rate"], 1.0);
    assert_eq!(a["average_score"], 3.0);
    assert_eq!(a["average_normalized"], 50.0);
    assert_eq!(a["positive_share"], 0.5);
    assert_eq!(a["by_score"], json!([{"scale": 5, "score": 2, "count": 1}, {"scale": 5, "score": 4, "count": 1}]));
    let by_score = app.get("/api/v1/ratings?score=4", &owner.token).await;
    assert_eq!(by_score.body["rated"], 1);
    let reviews = app.get("/api/v1/ratings/reviews", &owner.token).await;
    reviews.expect(200);
    let items = reviews.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["review"], "Quick answer");
    assert_eq!(items[0]["score"], 4);
    assert_eq!(items[0]["normalized_score"], 75.0);
    assert_eq!(items[0]["dialog_id"], dialog_id);
    assert_eq!(items[0]["operator"]["id"], bob.operator_id);
    assert_eq!(items[0]["visitor"]["id"], visitor.id);
    let other_operator = app.get(&format!("/api/v1/ratings?operator_id={}", owner.operator_id), &owner.token).await;
    assert_eq!(other_operator.body["requested"], 0);

    // The event log: the request is visible to the visitor, the rating to admins only.
    let events = events_of(&app, dialog_id);
    assert!(events.contains(&("rating.requested".to_string(), "visitor".to_string())));
    assert!(events.contains(&("rating.created".to_string(), "admins".to_string())));
}

fn events_of(app: &TestApp, dialog_id: i64) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use livedesk::db::schema::events;
    let db = livedesk::db::Db::connect(&livedesk::db::DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap();
    let mut conn = db.get_blocking().unwrap();
    events::table
        .filter(events::dialog_id.eq(dialog_id))
        .filter(events::event_type.like("rating.%"))
        .select((events::event_type, events::audience))
        .load::<(String, String)>(&mut *conn)
        .unwrap()
}

#[tokio::test]
async fn the_chat_decides_scale_delay_and_whether_to_ask() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let two = app.create_chat(&owner, "Two", json!({"rating": {"enabled": true, "scale": 2}})).await;
    let later = app.create_chat(&owner, "Later", json!({"rating": {"enabled": true, "delay_secs": 3600}})).await;
    let never = app.create_chat(&owner, "Never", json!({"rating": {"enabled": false}})).await;

    let mut dialogs = Vec::new();
    for chat in [&two, &later, &never] {
        let visitor = app.start_visitor(&chat.public_key).await;
        let id = app.visitor_writes_dialog(&visitor, "Hi").await;
        close(&app, &owner, id).await;
        dialogs.push((visitor, format!("/api/v1/widget/dialogs/{id}/rating")));
    }
    let (visitor, path) = &dialogs[0];
    let request: Value = app.visitor_get(visitor, path).await.body;
    assert_eq!(request["scale"], 2);
    app.visitor_post(visitor, path, json!({"score": 3})).await.expect_problem(422, "validation_failed");
    app.visitor_post(visitor, path, json!({"score": 2})).await.expect(201);

    // Not due for an hour: hidden, and cannot be answered yet.
    let (visitor, path) = &dialogs[1];
    app.visitor_get(visitor, path).await.expect_problem(404, "not_found");
    app.visitor_post(visitor, path, json!({"score": 5})).await.expect_problem(409, "rating_not_requested");

    let (visitor, path) = &dialogs[2];
    app.visitor_get(visitor, path).await.expect_problem(404, "not_found");

    let a = app.get("/api/v1/ratings", &owner.token).await.body;
    // The delayed request counts as asked, not yet answered.
    assert_eq!(a["requested"], 2);
    assert_eq!(a["rated"], 1);
    assert_eq!(a["closed_without_rating"], 1);
    assert_eq!(a["average_normalized"], 100.0);
    let by_chat = app.get(&format!("/api/v1/ratings?chat_id={}", later.id), &owner.token).await.body;
    assert_eq!(by_chat["requested"], 1);
    assert!(by_chat["average_score"].is_null());
}
