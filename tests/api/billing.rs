//! Dialog cost and the billing report: prices per channel set by a super admin, costs from paid
//! messages (visitor and operator messages) at the current prices, super admins only.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

/// Opens a dialog from another channel through the API for a new contact of `chat`.
async fn dialog_from(app: &TestApp, owner: &Session, chat: i64, channel: &str, body: &str) -> i64 {
    let contact = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat, "name": channel})).await;
    contact.expect(201);
    let visitor_id = contact.body["id"].as_i64().unwrap();
    let res = app
        .post("/api/v1/dialogs", &owner.token, json!({"visitor_id": visitor_id, "channel": channel, "body": body}))
        .await;
    res.expect(201);
    res.body["dialog"]["id"].as_i64().unwrap()
}

fn line(summary: &Value, chat: &str, channel: &str) -> Value {
    summary["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["chat_name"] == chat && l["channel"] == channel)
        .unwrap_or_else(|| panic!("no line {chat}/{channel} in {summary}"))
        .clone()
}

#[tokio::test]
async fn dialogs_cost_their_paid_messages_at_the_channel_price() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "ada@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let main = app.create_chat(&owner, "Main site", Value::Null).await;
    let shop = app.create_chat(&owner, "Shop", Value::Null).await;

    // Before any price is set there is no currency and no cost.
    let prices = app.get("/api/v1/billing/prices", &owner.token).await;
    prices.expect(200);
    assert_eq!(prices.body["currency"], Value::Null);
    assert!(prices.body["prices"].as_array().unwrap().iter().all(|p| p["price_minor"] == 0));

    // Web in Main: 2 visitor messages, 1 reply, 1 note (free) -> 3 paid.
    let ann = app.start_visitor(&main.public_key).await;
    let web = app.visitor_writes_dialog(&ann, "Hello").await;
    app.reply(&bob, web, "Hi, how can I help?").await;
    app.post(&format!("/api/v1/dialogs/{web}/messages"), &bob.token, json!({"body": "VIP", "kind": "note"}))
        .await
        .expect(201);
    app.visitor_writes(&ann, "Where is my order?").await;
    // Telegram in Main: 1 visitor message, 2 replies -> 3 paid.
    let telegram = dialog_from(&app, &owner, main.id, "telegram", "Hi from Telegram").await;
    app.reply(&bob, telegram, "Hello").await;
    app.reply(&bob, telegram, "Anything else?").await;
    // WhatsApp in Shop: 1 + 1 -> 2 paid, no price set for WhatsApp.
    let whatsapp = dialog_from(&app, &owner, shop.id, "whatsapp", "Hi from WhatsApp").await;
    app.reply(&bob, whatsapp, "Hello").await;
    // Telegram in Shop: 1 paid.
    dialog_from(&app, &owner, shop.id, "telegram", "Price list?").await;

    let put = app
        .put(
            "/api/v1/billing/prices",
            &owner.token,
            json!({"currency": "eur", "prices": [
                {"channel": "web", "price_minor": 5},
                {"channel": "telegram", "price_minor": 12},
            ]}),
        )
        .await;
    put.expect(200);
    assert_eq!(put.body["currency"], "EUR");
    assert_eq!(put.body["decimals"], 2);
    let listed: Vec<(String, i64)> = put.body["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["channel"].as_str().unwrap().to_string(), p["price_minor"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed.len(), 15, "every channel listed");
    assert!(listed.contains(&("web".into(), 5)));
    assert!(listed.contains(&("telegram".into(), 12)));
    assert!(listed.contains(&("whatsapp".into(), 0)));
    assert_eq!(app.get("/api/v1/billing/prices", &owner.token).await.body, put.body);

    // The dialog view: 3 paid x 5 cents; 3 x 12 cents.
    let view = app.dialog(&owner, web).await;
    assert_eq!(view["cost"], json!({"amount_minor": 15, "currency": "EUR", "amount": "0.15"}));
    assert_eq!(app.dialog(&owner, telegram).await["cost"]["amount_minor"], 36);
    assert_eq!(app.dialog(&owner, whatsapp).await["cost"]["amount_minor"], 0);
    // Lists carry it too, for super admins only.
    let listed = app.all_items("/api/v1/dialogs", &owner.token).await;
    let web_item = listed.iter().find(|d| d["id"] == web).unwrap();
    assert_eq!(web_item["cost"]["amount_minor"], 15);
    assert_eq!(app.dialog(&admin, web).await["cost"], Value::Null);
    assert_eq!(app.dialog(&bob, web).await["cost"], Value::Null);
    assert!(app.all_items("/api/v1/dialogs", &bob.token).await.iter().all(|d| d["cost"].is_null()));

    // The summary: per chat and channel, by chat name then channel.
    let summary = app.get("/api/v1/billing/summary", &owner.token).await;
    summary.expect(200);
    let s = &summary.body;
    let keys: Vec<(String, String)> = s["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["chat_name"].as_str().unwrap().into(), l["channel"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        keys,
        [("Main site", "telegram"), ("Main site", "web"), ("Shop", "telegram"), ("Shop", "whatsapp")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let main_web = line(s, "Main site", "web");
    assert_eq!(
        (&main_web["dialogs"], &main_web["paid_messages"], &main_web["price_minor"], &main_web["cost_minor"]),
        (&json!(1), &json!(3), &json!(5), &json!(15))
    );
    assert_eq!(line(s, "Main site", "telegram")["cost_minor"], 36);
    assert_eq!(line(s, "Shop", "telegram")["cost_minor"], 12);
    assert_eq!(line(s, "Shop", "whatsapp")["paid_messages"], 2);
    assert_eq!(line(s, "Shop", "whatsapp")["cost_minor"], 0);
    assert_eq!((&s["dialogs"], &s["paid_messages"], &s["cost_minor"]), (&json!(4), &json!(9), &json!(63)));
    assert_eq!(s["cost"], json!({"amount_minor": 63, "currency": "EUR", "amount": "0.63"}));
    assert_eq!(s["currency"], "EUR");

    // The dialog list's filters apply.
    let only_main = app.get(&format!("/api/v1/billing/summary?chat_id={}", main.id), &owner.token).await;
    only_main.expect(200);
    assert_eq!(only_main.body["lines"].as_array().unwrap().len(), 2);
    assert_eq!(only_main.body["cost_minor"], 51);
    let only_telegram = app.get("/api/v1/billing/summary?channel=telegram", &owner.token).await;
    assert_eq!(only_telegram.body["cost_minor"], 48);
    let future = app.get("/api/v1/billing/summary?created_from=2100-01-01T00:00:00Z", &owner.token).await;
    future.expect(200);
    assert_eq!((&future.body["dialogs"], &future.body["cost_minor"]), (&json!(0), &json!(0)));

    // Costs are worked out at the current prices: a new price re-prices past dialogs, and a new
    // message adds to the cost.
    app.put(
        "/api/v1/billing/prices",
        &owner.token,
        json!({"currency": "JPY", "prices": [{"channel": "web", "price_minor": 7}]}),
    )
    .await
    .expect(200);
    app.visitor_writes(&ann, "Thanks").await;
    assert_eq!(app.dialog(&owner, web).await["cost"], json!({"amount_minor": 28, "currency": "JPY", "amount": "28"}));
    assert_eq!(app.dialog(&owner, telegram).await["cost"]["amount_minor"], 0, "telegram left out: free");
    let after = app.get("/api/v1/billing/summary", &owner.token).await;
    assert_eq!((&after.body["paid_messages"], &after.body["cost_minor"]), (&json!(10), &json!(28)));
}

#[tokio::test]
async fn prices_are_validated() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let put = |body: Value| {
        let app = &app;
        let token = owner.token.clone();
        async move { app.put("/api/v1/billing/prices", &token, body).await }
    };
    put(json!({"currency": "EURO", "prices": []})).await.expect(422);
    put(json!({"currency": "ABC", "prices": []})).await.expect(422);
    let negative = put(json!({"currency": "USD", "prices": [{"channel": "web", "price_minor": -1}]})).await;
    negative.expect(422);
    assert!(negative.body.to_string().contains("prices[0].price_minor"), "{}", negative.body);
    put(json!({"currency": "USD", "prices": [{"channel": "web", "price_minor": 100_000_001}]})).await.expect(422);
    let twice = put(json!({"currency": "USD", "prices": [
        {"channel": "web", "price_minor": 1}, {"channel": "web", "price_minor": 2}]}))
    .await;
    twice.expect(422);
    assert!(twice.body.to_string().contains("prices[1].channel"), "{}", twice.body);
    put(json!({"currency": "USD", "prices": [{"channel": "pigeon", "price_minor": 1}]})).await;
    assert_eq!(app.get("/api/v1/billing/prices", &owner.token).await.body["currency"], Value::Null, "nothing stored");
    // Three decimals: the display amount follows the currency.
    put(json!({"currency": "KWD", "prices": [{"channel": "api", "price_minor": 1500}]})).await.expect(200);
    let main = app.create_chat(&owner, "Main", Value::Null).await;
    let dialog = dialog_from(&app, &owner, main.id, "api", "Hello").await;
    assert_eq!(app.dialog(&owner, dialog).await["cost"]["amount"], "1.500");
}

#[tokio::test]
async fn billing_is_for_super_admins_of_the_workspace() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "ada@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let main = app.create_chat(&owner, "Main", Value::Null).await;
    let dialog = dialog_from(&app, &owner, main.id, "telegram", "Hello").await;
    let prices = json!({"currency": "EUR", "prices": [{"channel": "telegram", "price_minor": 10}]});
    app.put("/api/v1/billing/prices", &owner.token, prices.clone()).await.expect(200);

    for who in [&admin, &bob] {
        app.get("/api/v1/billing/prices", &who.token).await.expect_problem(403, "forbidden");
        app.put("/api/v1/billing/prices", &who.token, prices.clone()).await.expect_problem(403, "forbidden");
        app.get("/api/v1/billing/summary", &who.token).await.expect_problem(403, "forbidden");
        app.get("/api/v1/exports/billing", &who.token).await.expect_problem(403, "forbidden");
    }
    // Admins keep the other reports.
    app.get("/api/v1/exports/sessions", &admin.token).await.expect(200);

    // Another workspace sees none of it and sets its own prices.
    let other = app.signup("Other", "owner@other.test").await;
    let theirs = app.get("/api/v1/billing/prices", &other.token).await;
    theirs.expect(200);
    assert_eq!(theirs.body["currency"], Value::Null);
    let summary = app.get("/api/v1/billing/summary", &other.token).await;
    assert_eq!((&summary.body["dialogs"], &summary.body["lines"]), (&json!(0), &json!([])));
    app.get(&format!("/api/v1/billing/summary?chat_id={}", main.id), &other.token).await.expect(200);
    app.get(&format!("/api/v1/dialogs/{dialog}"), &other.token).await.expect(404);
    app.put("/api/v1/billing/prices", &other.token, json!({"currency": "USD", "prices": []})).await.expect(200);
    let ours = app.dialog(&owner, dialog).await;
    assert_eq!(ours["cost"], json!({"amount_minor": 10, "currency": "EUR", "amount": "0.10"}));
    assert_eq!(app.get("/api/v1/billing/summary", &owner.token).await.body["cost_minor"], 10);
}

#[tokio::test]
async fn the_billing_report_lists_chats_and_channels_with_costs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let main = app.create_chat(&owner, "Main site", Value::Null).await;
    let shop = app.create_chat(&owner, "Shop", Value::Null).await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let ann = app.start_visitor(&main.public_key).await;
    let web = app.visitor_writes_dialog(&ann, "Hello").await;
    app.reply(&bob, web, "Hi").await;
    let telegram = dialog_from(&app, &owner, shop.id, "telegram", "Hi").await;
    app.reply(&bob, telegram, "Hello").await;
    app.reply(&bob, telegram, "Bye").await;
    app.put(
        "/api/v1/billing/prices",
        &owner.token,
        json!({"currency": "EUR", "prices": [
            {"channel": "web", "price_minor": 250}, {"channel": "telegram", "price_minor": 3}]}),
    )
    .await
    .expect(200);

    let res = app.client.get(app.url("/api/v1/exports/billing")).bearer_auth(&owner.token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"billing.xlsx\"");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a valid XLSX file");
    let range = book.worksheet_range("Billing").expect("sheet");
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let text = |d: &Data| match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    };
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(header, ["Chat", "Channel", "Dialogs", "Paid messages", "Price", "Cost", "Currency"]);
    assert_eq!(rows.len(), 4, "two lines and the total");
    let f = Data::Float;
    assert_eq!(
        rows[1],
        vec![
            Data::String("Main site".into()),
            Data::String("web".into()),
            f(1.0),
            f(2.0),
            f(2.5),
            f(5.0),
            Data::String("EUR".into())
        ]
    );
    assert_eq!(
        rows[2],
        vec![
            Data::String("Shop".into()),
            Data::String("telegram".into()),
            f(1.0),
            f(3.0),
            f(0.03),
            f(0.09),
            Data::String("EUR".into())
        ]
    );
    assert_eq!(text(&rows[3][0]), "Total");
    assert_eq!(rows[3][2], f(2.0));
    assert_eq!(rows[3][3], f(5.0));
    assert_eq!(rows[3][5], f(5.09));

    // The dialog list's filters choose the dialogs.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/exports/billing?chat_id={}", shop.id)))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let rows: Vec<Vec<Data>> = book.worksheet_range("Billing").unwrap().rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(text(&rows[1][0]), "Shop");
    assert_eq!(rows[2][5], f(0.09));
}
