//! Dialog statistics: the reference's definitions on hand-built scenarios, local days across
//! time zones, and the figures the live write path keeps.

use chrono::{DateTime, Utc};
use livedesk::db::{DatabaseUrl, Db};
use livedesk::seed::{SyntheticDialog, Turn, insert_dialogs};
use serde_json::{Value, json};

use crate::helpers::{Chat, Session, TestApp, Visitor};

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

fn seed(app: &TestApp, workspace_id: i64, dialogs: &[SyntheticDialog]) -> Vec<i64> {
    let db = Db::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap();
    let mut conn = db.get_blocking().unwrap();
    insert_dialogs(&mut conn, workspace_id, dialogs).unwrap()
}

fn dialog(
    chat: &Chat,
    visitor: &Visitor,
    assignee: Option<&Session>,
    turns: Vec<(&str, Option<&Session>)>,
) -> SyntheticDialog {
    SyntheticDialog {
        chat_id: chat.id,
        visitor_id: visitor.id,
        channel: "web",
        assignee_id: assignee.map(|s| s.operator_id),
        turns: turns
            .into_iter()
            .map(|(at, who)| match who {
                Some(op) => (ms(at), Turn::Operator(op.operator_id, "Reply".into())),
                None => (ms(at), Turn::Visitor("Question".into())),
            })
            .collect(),
        visitor_read_all: true,
        closed_at: None,
        tag_ids: Vec::new(),
        rating: None,
        rating_requested: false,
    }
}

#[tokio::test]
async fn every_statistic_of_a_hand_built_day() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let ann = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let ben = app.add_operator(&owner, "ben@acme.test", "admin").await;
    let chat = app.create_chat(&owner, "Site", Value::Null).await; // SLA 60 s first, 120 s next
    let v1 = app.start_visitor(&chat.public_key).await;
    let v2 = app.start_visitor(&chat.public_key).await;
    let v3 = app.start_visitor(&chat.public_key).await;
    let tag = app.post("/api/v1/tags", &owner.token, json!({"name": "vip"})).await.body["id"].as_i64().unwrap();

    let a = Some(&ann);
    let b = Some(&ben);
    // D1: first response 30 s, next 90 s; read; closed and rated 5/5.
    let mut d1 = dialog(
        &chat,
        &v1,
        a,
        vec![
            ("2026-03-10T10:00:00Z", None),
            ("2026-03-10T10:00:30Z", a),
            ("2026-03-10T10:05:00Z", None),
            ("2026-03-10T10:06:30Z", a),
        ],
    );
    d1.closed_at = Some(ms("2026-03-10T10:10:00Z"));
    d1.rating = Some((5, 5, Some("Great".into())));
    d1.tag_ids = vec![tag];
    // D2: first response 300 s, never read (missed); closed, rating asked but not given.
    let mut d2 = dialog(&chat, &v2, a, vec![("2026-03-10T11:00:00Z", None), ("2026-03-10T11:05:00Z", a)]);
    d2.visitor_read_all = false;
    d2.closed_at = Some(ms("2026-03-10T11:20:00Z"));
    d2.rating_requested = true;
    // D3: nobody answered.
    let d3 = dialog(&chat, &v3, None, vec![("2026-03-10T12:00:00Z", None)]);
    // D4: v1 again; first response 45 s, next 121 s (over the 120 s SLA); two visitor
    // messages in a row make one wait.
    let d4 = dialog(
        &chat,
        &v1,
        b,
        vec![
            ("2026-03-10T13:00:00Z", None),
            ("2026-03-10T13:00:45Z", b),
            ("2026-03-10T13:01:00Z", None),
            ("2026-03-10T13:02:00Z", None),
            ("2026-03-10T13:03:01Z", b),
        ],
    );
    // Outside the period: not counted.
    let d5 = dialog(&chat, &v3, a, vec![("2026-03-11T00:00:00Z", None), ("2026-03-11T00:00:10Z", a)]);
    seed(&app, owner.workspace_id, &[d1, d2, d3, d4, d5]);

    let s = app.get("/api/v1/stats/dialogs?from=2026-03-10&to=2026-03-10", &owner.token).await;
    s.expect(200);
    let s = &s.body;
    assert_eq!(s["tz"], "UTC");
    assert_eq!(s["started"], 4);
    assert_eq!(s["started_visitors"], 3);
    assert_eq!(s["closed"], 2);
    assert_eq!(s["closed_visitors"], 2);
    assert_eq!(s["unanswered"], 1);
    assert_eq!(s["missed"], 1);
    assert_eq!(s["replies"], 5);
    assert_eq!(s["replies_per_dialog"], 5.0 / 3.0);
    assert_eq!(
        s["first_response"],
        json!({"count": 3, "avg_secs": 125.0, "median_secs": 45, "p90_secs": 300, "within_sla": 2, "within_sla_share": 2.0 / 3.0})
    );
    assert_eq!(
        s["next_response"],
        json!({"count": 2, "avg_secs": 105.5, "median_secs": 90, "p90_secs": 121, "within_sla": 1, "within_sla_share": 0.5})
    );
    assert_eq!(
        s["response"],
        json!({"count": 5, "avg_secs": 117.2, "median_secs": 90, "p90_secs": 300, "within_sla": 3, "within_sla_share": 0.6})
    );
    assert_eq!(
        s["by_day"],
        json!([{"date": "2026-03-10", "started": 4, "started_visitors": 3, "closed": 2, "closed_visitors": 2, "unanswered": 1, "missed": 1}])
    );
    let hours: Vec<i64> = s["by_hour"].as_array().unwrap().iter().map(|h| h["started"].as_i64().unwrap()).collect();
    let mut expected = vec![0; 24];
    for h in [10, 11, 12, 13] {
        expected[h] = 1;
    }
    assert_eq!(hours, expected);

    // Filters: a tag, an operator.
    let tagged =
        app.get(&format!("/api/v1/stats/dialogs?from=2026-03-10&to=2026-03-10&tag_ids={tag}"), &owner.token).await;
    assert_eq!(tagged.body["started"], 1);
    assert_eq!(tagged.body["response"]["count"], 2);
    let of_ben = app
        .get(
            &format!("/api/v1/stats/dialogs?from=2026-03-10&to=2026-03-10&operator_id={}", ben.operator_id),
            &owner.token,
        )
        .await;
    assert_eq!(of_ben.body["started"], 1);
    assert_eq!(of_ben.body["started_visitors"], 1);
    assert_eq!(of_ben.body["response"]["avg_secs"], 83.0);
    let telegram = app.get("/api/v1/stats/dialogs?from=2026-03-10&to=2026-03-10&channel=telegram", &owner.token).await;
    assert_eq!(telegram.body["started"], 0);

    // Per operator.
    let ops = app.get("/api/v1/stats/operators?from=2026-03-10&to=2026-03-10", &owner.token).await;
    ops.expect(200);
    let find =
        |id: i64| ops.body["items"].as_array().unwrap().iter().find(|i| i["operator"]["id"] == id).cloned().unwrap();
    let ann_stats = find(ann.operator_id);
    assert_eq!(
        (ann_stats["started"].clone(), ann_stats["active"].clone(), ann_stats["closed"].clone()),
        (json!(2), json!(0), json!(2))
    );
    assert_eq!((ann_stats["unanswered"].clone(), ann_stats["missed"].clone()), (json!(0), json!(1)));
    assert_eq!(ann_stats["first_response"]["count"], 2);
    assert_eq!(ann_stats["first_response"]["avg_secs"], 165.0);
    assert_eq!(ann_stats["response"]["count"], 3);
    let ben_stats = find(ben.operator_id);
    assert_eq!((ben_stats["started"].clone(), ben_stats["active"].clone()), (json!(1), json!(1)));
    assert_eq!(ben_stats["response"]["p90_secs"], 121);
    let owner_stats = find(owner.operator_id);
    assert_eq!(owner_stats["started"], 0);

    // Ratings of the same day.
    let r = app.get("/api/v1/ratings?from=2026-03-10&to=2026-03-10", &owner.token).await.body;
    assert_eq!(
        (r["requested"].clone(), r["rated"].clone(), r["closed_without_rating"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(r["response_rate"], 0.5);
    assert_eq!(r["average_normalized"], 100.0);
    assert_eq!(r["positive_share"], 1.0);

    // Bad parameters.
    app.get("/api/v1/stats/dialogs?tz=Mars/Base", &owner.token).await.expect_problem(400, "invalid_query");
    app.get("/api/v1/stats/dialogs?from=2026-03-10&to=2026-03-01", &owner.token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/stats/dialogs?from=2024-01-01&to=2026-01-01", &owner.token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/stats/dialogs", &ann.token).await.expect_problem(403, "forbidden");
}

fn started_by_day(body: &Value) -> Vec<(String, i64, i64)> {
    body["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["started"].as_i64().unwrap(),
                d["started_visitors"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn started_by_hour(body: &Value, hour: usize) -> i64 {
    body["by_hour"][hour]["started"].as_i64().unwrap()
}

#[tokio::test]
async fn days_and_hours_follow_the_zone_across_half_hour_offsets_and_dst() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", Value::Null).await;
    let v = app.start_visitor(&chat.public_key).await;
    let w = app.start_visitor(&chat.public_key).await;
    let at = |t: &str, who: &Visitor| dialog(&chat, who, None, vec![(t, None)]);
    seed(
        &app,
        owner.workspace_id,
        &[
            // Kolkata (+05:30): 23:59 on the 9th and 00:01 on the 10th.
            at("2026-03-09T18:29:00Z", &v),
            at("2026-03-09T18:31:00Z", &w),
            // New York: 23:30 EST on 7 March, 00:30 EST on 8 March; DST starts 8 March at
            // 07:00 UTC; 23:30 EDT on 8 March, 00:30 EDT on 9 March.
            at("2026-03-08T04:30:00Z", &v),
            at("2026-03-08T05:30:00Z", &v),
            at("2026-03-09T03:30:00Z", &v),
            at("2026-03-09T04:30:00Z", &w),
        ],
    );

    let kolkata = app.get("/api/v1/stats/dialogs?from=2026-03-09&to=2026-03-10&tz=Asia/Kolkata", &owner.token).await;
    kolkata.expect(200);
    assert_eq!(kolkata.body["tz"], "Asia/Kolkata");
    // 18:29Z and 18:31Z on the 9th; the New York ones fall on the 8th/9th in Kolkata:
    // 04:30Z = 10:00 on the 8th (outside), 05:30Z = 11:00 on the 8th (outside),
    // 03:30Z on the 9th = 09:00 on the 9th, 04:30Z on the 9th = 10:00 on the 9th.
    assert_eq!(started_by_day(&kolkata.body), vec![("2026-03-09".into(), 3, 2), ("2026-03-10".into(), 1, 1)]);
    assert_eq!(started_by_hour(&kolkata.body, 23), 1);
    assert_eq!(started_by_hour(&kolkata.body, 0), 1);

    let utc = app.get("/api/v1/stats/dialogs?from=2026-03-09&to=2026-03-10", &owner.token).await;
    assert_eq!(started_by_day(&utc.body), vec![("2026-03-09".into(), 4, 2), ("2026-03-10".into(), 0, 0)]);
    assert_eq!(started_by_hour(&utc.body, 18), 2);

    let new_york =
        app.get("/api/v1/stats/dialogs?from=2026-03-07&to=2026-03-09&tz=America/New_York", &owner.token).await;
    // 7th: 23:30 EST. 8th: 00:30 EST and 23:30 EDT (the same visitor). 9th: 00:30 EDT, then
    // the Kolkata pair at 14:29 and 14:31 EDT.
    assert_eq!(
        started_by_day(&new_york.body),
        vec![("2026-03-07".into(), 1, 1), ("2026-03-08".into(), 2, 1), ("2026-03-09".into(), 3, 2)]
    );
    assert_eq!(started_by_hour(&new_york.body, 23), 2);
    assert_eq!(started_by_hour(&new_york.body, 0), 2);
    assert_eq!(started_by_hour(&new_york.body, 14), 2);
}

fn time_of(value: &Value) -> i64 {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc).timestamp_millis()
}

#[tokio::test]
async fn the_write_path_keeps_response_figures_and_read_state() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Site", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let silent = app.start_visitor(&chat.public_key).await;

    let t1 = time_of(&app.visitor_writes(&visitor, "Hello").await["message"]["created_at"]);
    let sent = app.visitor_writes(&visitor, "Anyone?").await;
    let dialog_id = sent["dialog"]["id"].as_i64().unwrap();
    let t2 = time_of(&app.reply(&bob, dialog_id, "Hi").await["message"]["created_at"]);
    let t3 = time_of(&app.visitor_writes(&visitor, "Thanks, another thing").await["message"]["created_at"]);
    let t4 = time_of(&app.reply(&bob, dialog_id, "Yes?").await["message"]["created_at"]);
    app.reply(&bob, dialog_id, "Still there?").await;
    app.visitor_writes(&silent, "Help").await;

    let today = Utc::now().date_naive();
    let path = format!("/api/v1/stats/dialogs?from={today}&to={today}");
    let s = app.get(&path, &owner.token).await.body;
    let (w1, w2) = (t2 - t1, t4 - t3);
    let secs = |ms: i64| (ms + 999) / 1000;
    assert_eq!(s["started"], 2);
    assert_eq!(s["unanswered"], 1);
    assert_eq!(s["missed"], 1, "bob's replies are unread");
    assert_eq!(s["replies"], 3);
    assert_eq!(s["replies_per_dialog"], 3.0);
    assert_eq!(s["first_response"]["count"], 1);
    assert_eq!(s["first_response"]["avg_secs"], w1 as f64 / 1000.0);
    assert_eq!(s["first_response"]["median_secs"], secs(w1));
    assert_eq!(s["response"]["count"], 2);
    assert_eq!(s["response"]["avg_secs"], (w1 + w2) as f64 / 2.0 / 1000.0);
    assert_eq!(s["response"]["p90_secs"], secs(w1).max(secs(w2)));
    assert_eq!(s["response"]["within_sla_share"], 1.0);

    // The visitor reads the replies: no longer missed.
    app.visitor_post(&visitor, &format!("/api/v1/widget/dialogs/{dialog_id}/read"), json!({})).await.expect(200);
    let s = app.get(&path, &owner.token).await.body;
    assert_eq!(s["missed"], 0);

    // Closing ends the silent visitor's wait without a response; the close is counted.
    app.post(&format!("/api/v1/dialogs/{dialog_id}/close"), &bob.token, json!({})).await.expect(200);
    let s = app.get(&path, &owner.token).await.body;
    assert_eq!(s["closed"], 1);
    assert_eq!(s["closed_visitors"], 1);
    assert_eq!(s["by_day"][0]["closed"], 1);
    let ops = app.get(&path.replace("dialogs", "operators"), &owner.token).await.body;
    let bob_stats =
        ops["items"].as_array().unwrap().iter().find(|i| i["operator"]["id"] == bob.operator_id).unwrap().clone();
    assert_eq!(bob_stats["closed"], 1);
    assert_eq!(bob_stats["response"]["count"], 2);
    assert_eq!(bob_stats["replies"], 3);
}
