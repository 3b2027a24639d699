//! The statistics roll-ups kept on write answer exactly what a computation over the dialogs
//! themselves answers, on a random-ish history plus live changes (replies, reads, closes,
//! reopens, reassignment), for several periods, zones and filters. Distinct visitors (per
//! local day and over the period, started and closed) come from the visitor links and are
//! checked against DISTINCT over the dialogs: visitors here have many dialogs, several a day
//! and across days, in several channels, and dialogs are closed, reopened and closed again.
//! Operator and tag filters (computed from the selected dialogs alone) are checked the same way.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use livedesk::db::{DatabaseUrl, Db};
use livedesk::domain::ratings::summarize;
use livedesk::domain::stats::{self, Filters, Period};
use livedesk::seed::{SyntheticDialog, Turn, insert_dialogs};
use livedesk::store::ratings::{RatingFilter, counts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

const CHANNELS: [&str; 3] = ["web", "telegram", "email"];

/// `visitors` are `(visitor, their chat)`.
fn history(visitors: &[(i64, i64)], operators: &[i64], tags: [i64; 2]) -> Vec<SyntheticDialog> {
    let mut rng = StdRng::seed_from_u64(7);
    let start =
        NaiveDate::from_ymd_opt(2026, 3, 20).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    (0..160)
        .map(|_| {
            // Any minute of 16 days around the European change to summer time.
            let t0 = start + rng.random_range(0..16 * 24 * 60) * 60_000 + rng.random_range(0..60_000);
            let assignee = rng.random_bool(0.85).then(|| operators[rng.random_range(0..operators.len())]);
            let mut turns = vec![(t0, Turn::Visitor("Question".into()))];
            let mut t = t0;
            for _ in 0..rng.random_range(0..4) {
                t += rng.random_range(1_000..900_000);
                let turn = match (assignee, rng.random_bool(0.6)) {
                    (Some(op), true) => Turn::Operator(op, "Reply".into()),
                    _ => Turn::Visitor("More".into()),
                };
                turns.push((t, turn));
            }
            let closed = rng.random_bool(0.6);
            let (visitor_id, chat_id) = visitors[rng.random_range(0..visitors.len())];
            SyntheticDialog {
                chat_id,
                visitor_id,
                channel: CHANNELS[rng.random_range(0..CHANNELS.len())],
                assignee_id: assignee,
                turns,
                visitor_read_all: rng.random_bool(0.5),
                closed_at: closed.then(|| t + rng.random_range(0..7_200_000)),
                tag_ids: {
                    // Some dialogs carry both tags: a filter on both counts them once.
                    let mut ids = if rng.random_bool(0.3) { vec![tags[0]] } else { Vec::new() };
                    if t0 % 4 == 0 {
                        ids.push(tags[1]);
                    }
                    ids
                },
                rating: (closed && rng.random_bool(0.5)).then(|| (5, rng.random_range(1..=5), None)),
                rating_requested: closed,
            }
        })
        .collect()
}

async fn live_changes(app: &TestApp, owner: &Session, ops: &[Session], public_key: &str) {
    for i in 0..4 {
        let visitor = app.start_visitor(public_key).await;
        let dialog = app.visitor_writes_dialog(&visitor, "Hello").await;
        let op = &ops[i % ops.len()];
        app.reply(op, dialog, "Hi").await;
        app.visitor_writes(&visitor, "One more thing").await;
        if i % 2 == 0 {
            app.reply(op, dialog, "Sure").await;
            app.visitor_post(&visitor, &format!("/api/v1/widget/dialogs/{dialog}/read"), json!({})).await.expect(200);
        }
        if i >= 1 {
            app.post(&format!("/api/v1/dialogs/{dialog}/close"), &op.token, json!({})).await.expect(200);
        }
        if i == 2 {
            app.post(&format!("/api/v1/dialogs/{dialog}/reopen"), &owner.token, json!({})).await.expect(200);
            let other = ops[(i + 1) % ops.len()].operator_id;
            app.post(&format!("/api/v1/dialogs/{dialog}/assign"), &owner.token, json!({"assignee_id": other}))
                .await
                .expect(200);
            // Closed again later: counted once, at its new close.
            app.post(&format!("/api/v1/dialogs/{dialog}/close"), &owner.token, json!({})).await.expect(200);
        }
        if i == 3 {
            // The visitor writes after the close (reopening it), then it is closed again.
            app.visitor_writes(&visitor, "Wait, one more").await;
            app.post(&format!("/api/v1/dialogs/{dialog}/close"), &op.token, json!({})).await.expect(200);
            // And once more: the same dialog (within the reopen window) or a new one.
            let again = app.visitor_writes_dialog(&visitor, "Me again").await;
            app.post(&format!("/api/v1/dialogs/{again}/close"), &op.token, json!({})).await.expect(200);
        }
    }
}

/// Field by field (and day by day), so a difference names itself.
fn assert_same(served: &Value, direct: &Value, what: &str) {
    let (Some(served), Some(direct)) = (served.as_object(), direct.as_object()) else { panic!("{what}: not objects") };
    assert_eq!(served.keys().collect::<Vec<_>>(), direct.keys().collect::<Vec<_>>(), "{what}");
    for (key, value) in served {
        match (value.as_array(), direct[key].as_array()) {
            (Some(a), Some(b)) => {
                assert_eq!(a.len(), b.len(), "{what}: {key}");
                for (x, y) in a.iter().zip(b) {
                    assert!(same(x, y), "{what}: {key}: {x} != {y}");
                }
            }
            _ => assert!(same(value, &direct[key]), "{what}: {key}: {value} != {}", direct[key]),
        }
    }
}

/// Equal, floats up to the last digit JSON parsing may round differently.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| same(v, &y[k])),
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(1.0)
        }
        _ => a == b,
    }
}

fn query(from: NaiveDate, to: NaiveDate, tz: &str, f: &Filters) -> String {
    let mut q = format!("from={from}&to={to}&tz={tz}");
    if let Some(chat) = f.chat_id {
        q += &format!("&chat_id={chat}");
    }
    if let Some(channel) = f.channel {
        q += &format!("&channel={channel}");
    }
    if let Some(operator) = f.operator_id {
        q += &format!("&operator_id={operator}");
    }
    if !f.tag_ids.is_empty() {
        q += &format!("&tag_ids={}", f.tag_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    }
    q
}

#[tokio::test]
async fn rollups_agree_with_the_dialogs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let mut ops = Vec::new();
    for email in ["ann@acme.test", "ben@acme.test", "cid@acme.test"] {
        ops.push(app.add_operator(&owner, email, "operator").await);
    }
    let chat_a = app.create_chat(&owner, "A", Value::Null).await;
    let chat_b = app.create_chat(&owner, "B", json!({"sla_first_response_secs": 300})).await;
    let mut visitors = Vec::new();
    for i in 0..8 {
        let chat = if i % 2 == 0 { &chat_a } else { &chat_b };
        visitors.push((app.start_visitor(&chat.public_key).await.id, chat.id));
    }
    let mut tags = [0; 2];
    for (i, name) in ["vip", "refund"].into_iter().enumerate() {
        tags[i] = app.post("/api/v1/tags", &owner.token, json!({"name": name})).await.body["id"].as_i64().unwrap();
    }
    let op_ids: Vec<i64> = ops.iter().map(|o| o.operator_id).collect();
    let dialogs = history(&visitors, &op_ids, tags);
    let db = Db::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), 1).unwrap();
    let mut conn = db.get_blocking().unwrap();
    insert_dialogs(&mut conn, owner.workspace_id, &dialogs[..80]).unwrap();
    live_changes(&app, &owner, &ops, &chat_a.public_key).await;
    insert_dialogs(&mut conn, owner.workspace_id, &dialogs[80..]).unwrap();

    let today = Utc::now().date_naive();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let periods = [
        (day(3, 1), today, "UTC"),
        (day(3, 28), day(3, 30), "Europe/Berlin"),
        (day(3, 21), day(4, 2), "Asia/Kolkata"),
        (day(3, 25), day(3, 25), "America/New_York"),
        (today, today, "Asia/Kathmandu"),
        (today.pred_opt().unwrap(), today, "Asia/Kolkata"),
        // The end of summer time on Lord Howe Island moves clocks by 30 minutes.
        (day(4, 4), day(4, 6), "Australia/Lord_Howe"),
        (day(3, 20), day(4, 6), "America/New_York"),
        // Whole months inside, starting mid-history off a UTC midnight: links on the UTC day
        // of `from` fall on both sides of it.
        (day(3, 25), day(6, 1), "Asia/Kolkata"),
        (day(3, 28), today, "America/New_York"),
    ];
    let filter = |chat_id, channel, operator_id, tag_ids: &[i64]| Filters {
        chat_id,
        operator_id,
        channel,
        tag_ids: tag_ids.to_vec(),
    };
    let filters = [
        filter(None, None, None, &[]),
        filter(Some(chat_a.id), None, None, &[]),
        filter(None, Some("telegram"), None, &[]),
        filter(Some(chat_b.id), Some("web"), None, &[]),
        // Narrowed: an operator (the dialogs they are assigned, the waits they answered), tags.
        filter(None, None, Some(op_ids[0]), &[]),
        filter(Some(chat_a.id), Some("email"), Some(op_ids[1]), &[]),
        filter(None, None, None, &[tags[0]]),
        filter(None, None, None, &tags),
        filter(Some(chat_b.id), None, Some(op_ids[2]), &tags),
    ];
    let ws = owner.workspace_id;
    let mut compared = 0;
    for (from, to, tz) in periods {
        let zone: Tz = tz.parse().unwrap();
        let period = Period::new(from, to, zone).unwrap();
        for f in &filters {
            let q = query(from, to, tz, f);
            let (chat, channel) = (f.chat_id, f.channel);

            let served = app.get(&format!("/api/v1/stats/dialogs?{q}"), &owner.token).await;
            served.expect(200);
            let direct = stats::compute_dialog_stats_direct(&mut conn, ws, &period, f).unwrap();
            assert_same(&served.body, &serde_json::to_value(&direct).unwrap(), &format!("dialogs {q}"));

            let served = app.get(&format!("/api/v1/stats/operators?{q}"), &owner.token).await;
            served.expect(200);
            let direct = stats::compute_operator_stats_direct(&mut conn, ws, &period, f).unwrap();
            assert_same(&served.body, &serde_json::to_value(&direct).unwrap(), &format!("operators {q}"));

            if channel.is_none() && f.operator_id.is_none() && f.tag_ids.is_empty() {
                let served = app.get(&format!("/api/v1/ratings?{q}"), &owner.token).await;
                served.expect(200);
                let (start, end) = period.bounds();
                let filter = RatingFilter { from: Some(start), to: Some(end), chat_id: chat, ..Default::default() };
                let direct = summarize(&counts(&mut conn, ws, &filter).unwrap());
                assert_same(&served.body, &serde_json::to_value(&direct).unwrap(), &format!("ratings {q}"));
            }
            compared += 1;
        }
    }
    assert_eq!(compared, periods.len() * filters.len());
    // The comparison is not vacuous: the long period holds the history.
    let all =
        app.get(&format!("/api/v1/stats/dialogs?{}", query(day(3, 1), today, "UTC", &filters[0])), &owner.token).await;
    assert!(all.body["started"].as_i64().unwrap() >= 160);
    assert!(all.body["closed"].as_i64().unwrap() > 50);
    assert!(all.body["response"]["count"].as_i64().unwrap() > 50);
    // The narrowed sets are proper, non-empty subsets; dialogs with both tags count once.
    let started = |f: &Filters| {
        let q = query(day(3, 1), today, "UTC", f);
        let app = &app;
        let token = owner.token.clone();
        async move { app.get(&format!("/api/v1/stats/dialogs?{q}"), &token).await.body["started"].as_i64().unwrap() }
    };
    let (everyone, one_operator) = (started(&filters[0]).await, started(&filters[4]).await);
    assert!(one_operator > 10 && one_operator < everyone, "{one_operator} of {everyone}");
    let (one_tag, both_tags) = (started(&filters[6]).await, started(&filters[7]).await);
    let with_second_tag = started(&filter(None, None, None, &tags[1..])).await;
    assert!(one_tag > 10 && with_second_tag > 10, "{one_tag}, {with_second_tag}");
    assert!(both_tags > one_tag.max(with_second_tag) && both_tags < one_tag + with_second_tag, "{both_tags}");
    // Visitors return: distinct visitors are fewer than dialogs, per day too.
    let visitors_in_all = all.body["started_visitors"].as_i64().unwrap();
    assert!(visitors_in_all > 8 && visitors_in_all < 20, "{visitors_in_all}");
    let repeat_days = all.body["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["started_visitors"].as_i64() < d["started"].as_i64())
        .count();
    assert!(repeat_days > 5, "{repeat_days}");
}
