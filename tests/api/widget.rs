//! The widget side: sessions, the visitor's own profile, page views, and what a visitor may see.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_fields};

#[tokio::test]
async fn a_widget_session_starts_and_resumes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", json!({"greeting": "Welcome!"})).await;

    let res = app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key})).await;
    res.expect(201);
    let token = res.body["visitor_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ldv_"), "{token}");
    let visitor_id = res.body["visitor"]["id"].as_i64().unwrap();
    assert_eq!(res.body["visitor"]["chat_id"], chat.id);
    assert_eq!(res.body["chat"]["name"], "Main");
    assert_eq!(res.body["chat"]["settings"]["greeting"], "Welcome!");
    assert!(res.body["dialog"].is_null());
    // The widget is not told the chat's internal id or key details beyond what it needs.
    assert!(res.body["chat"].get("public_key").is_none());

    // Resuming with the token: the same visitor, 200.
    let res =
        app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key, "visitor_token": token})).await;
    res.expect(200);
    assert_eq!(res.body["visitor"]["id"], visitor_id);
    assert_eq!(res.body["visitor_token"], token.as_str());

    // Once the visitor has written, a resumed session carries their latest dialog.
    let visitor = crate::helpers::Visitor { id: visitor_id, token: token.clone() };
    let dialog_id = app.visitor_writes_dialog(&visitor, "Hello").await;
    let res =
        app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key, "visitor_token": token})).await;
    res.expect(200);
    assert_eq!(res.body["dialog"]["id"], dialog_id);
    assert_eq!(res.body["dialog"]["status"], "open");

    // An unknown or malformed token starts a new visitor.
    for bogus in ["ldv_not-a-real-token", "garbage"] {
        let res = app
            .post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key, "visitor_token": bogus}))
            .await;
        res.expect(201);
        assert_ne!(res.body["visitor"]["id"], visitor_id);
        assert_ne!(res.body["visitor_token"], bogus);
    }

    // Unknown public key: 404.
    app.post_anon("/api/v1/widget/sessions", json!({"public_key": "pk_doesnotexist"}))
        .await
        .expect_problem(404, "not_found");
    app.post_anon("/api/v1/widget/sessions", json!({"public_key": "pk_doesnotexist", "visitor_token": token}))
        .await
        .expect_problem(404, "not_found");

    // A token of another workspace's visitor does not carry over.
    let other = app.signup("Other", "owner@other.test").await;
    let other_chat = app.create_chat(&other, "Other", Value::Null).await;
    let res = app
        .post_anon("/api/v1/widget/sessions", json!({"public_key": other_chat.public_key, "visitor_token": token}))
        .await;
    res.expect(201);
    assert_ne!(res.body["visitor"]["id"], visitor_id);
    assert_ne!(res.body["visitor_token"], token.as_str());
}

#[tokio::test]
async fn the_widget_api_needs_a_visitor_token() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let res = app.request(Method::GET, "/api/v1/widget/me", None, None).await;
    assert_eq!(res.status, 401, "{}", res.text);
    app.get("/api/v1/widget/me", "ldv_forged").await.expect_problem(401, "invalid_token");
    // An operator's token is not a visitor token, and a visitor token is not an operator's.
    app.get("/api/v1/widget/me", &owner.token).await.expect_problem(401, "invalid_token");
    let res = app.get("/api/v1/dialogs", &visitor.token).await;
    assert_eq!(res.status, 401, "{}", res.text);
    let res = app.get("/api/v1/chats", &visitor.token).await;
    assert_eq!(res.status, 401, "{}", res.text);
}

#[tokio::test]
async fn visitors_edit_their_own_profile() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let me = app.visitor_get(&visitor, "/api/v1/widget/me").await;
    me.expect(200);
    assert_eq!(me.body["id"], visitor.id);
    assert!(me.body["name"].is_null() && me.body["email"].is_null() && me.body["phone"].is_null());
    assert_eq!(me.body["attributes"], json!({}));

    let res = app
        .visitor_patch(
            &visitor,
            "/api/v1/widget/me",
            json!({"name": " Ann Lee ", "email": "ann@example.com", "phone": "+1 (555) 010-9999",
                   "attributes": {"plan": "pro", "seats": 5, "vip": true}}),
        )
        .await;
    res.expect(200);
    assert_eq!(res.body["name"], "Ann Lee");
    assert_eq!(res.body["email"], "ann@example.com");
    assert_eq!(res.body["phone"], "+1 (555) 010-9999");
    assert_eq!(res.body["attributes"], json!({"plan": "pro", "seats": 5, "vip": true}));

    // Attributes merge: new keys join, named keys change, null removes; absent fields stay.
    let res = app
        .visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"seats": 6, "vip": null, "city": "Oslo"}}))
        .await;
    res.expect(200);
    assert_eq!(res.body["attributes"], json!({"plan": "pro", "seats": 6, "city": "Oslo"}));
    assert_eq!(res.body["name"], "Ann Lee");
    assert_eq!(res.body["email"], "ann@example.com");

    // null clears a field.
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"phone": null})).await;
    res.expect(200);
    assert!(res.body["phone"].is_null());
    assert_eq!(res.body["name"], "Ann Lee");

    // Invalid values are refused and change nothing.
    let res =
        app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"email": "not-an-email", "name": "Changed"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["email"]);
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"phone": "call me maybe"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["phone"]);
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"name": "x".repeat(201)})).await;
    res.expect_problem(422, "validation_failed");
    let res =
        app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"address": {"city": "Oslo"}}})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["attributes.address"]);
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"tags": ["a", "b"]}})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["attributes.tags"]);
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"bad key!": 1}})).await;
    res.expect_problem(422, "validation_failed");
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"long": "x".repeat(1001)}})).await;
    res.expect_problem(422, "validation_failed");

    // At most 50 attributes, counting the stored ones.
    let mut many = Map::new();
    for i in 0..51 {
        many.insert(format!("k{i}"), json!(i));
    }
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({ "attributes": many })).await;
    res.expect_problem(422, "validation_failed");
    assert!(error_fields(&res.body).iter().any(|f| f.starts_with("attributes")), "{}", res.text);
    let mut fill = Map::new();
    for i in 0..47 {
        fill.insert(format!("k{i}"), json!(i));
    }
    // 3 stored + 47 = 50: fine.
    app.visitor_patch(&visitor, "/api/v1/widget/me", json!({ "attributes": fill })).await.expect(200);
    let res = app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"one_more": 1}})).await;
    res.expect_problem(422, "validation_failed");
    // Replacing or removing keys stays within the limit.
    app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {"k0": null, "one_more": 1}}))
        .await
        .expect(200);

    let me = app.visitor_get(&visitor, "/api/v1/widget/me").await;
    assert_eq!(me.body["name"], "Ann Lee");
    assert_eq!(me.body["email"], "ann@example.com");
    assert_eq!(me.body["attributes"].as_object().unwrap().len(), 50);
    assert_eq!(me.body["attributes"]["plan"], "pro");
    assert!(me.body["attributes"].get("address").is_none());

    // Operators see the same profile on the visitor card.
    let card = app.get(&format!("/api/v1/visitors/{}", visitor.id), &owner.token).await;
    card.expect(200);
    assert_eq!(card.body["visitor"]["name"], "Ann Lee");
    assert_eq!(card.body["visitor"]["attributes"], me.body["attributes"]);
}

#[tokio::test]
async fn page_views_reach_the_operators() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;

    let res = app
        .visitor_post(
            &visitor,
            "/api/v1/widget/page-views",
            json!({"url": "https://shop.example.com/", "title": "Shop", "referrer": "https://search.example/?q=shop"}),
        )
        .await;
    res.expect(201);
    let first = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["url"], "https://shop.example.com/");
    assert!(res.body["dialog_id"].is_null());

    // Page views during an open dialog are linked to it.
    let dialog_id = app.visitor_writes_dialog(&visitor, "Which plan suits me?").await;
    let res = app
        .visitor_post(
            &visitor,
            "/api/v1/widget/page-views",
            json!({"url": "https://shop.example.com/pricing", "title": "Pricing"}),
        )
        .await;
    res.expect(201);
    let second = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["dialog_id"], dialog_id);

    // A view from an hour ago is fine; bad URLs and times are refused.
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    app.visitor_post(
        &visitor,
        "/api/v1/widget/page-views",
        json!({"url": "https://shop.example.com/faq", "viewed_at": hour_ago}),
    )
    .await
    .expect(201);
    for bad in ["not a url", "ftp://shop.example.com/", "https://", "/relative/path", ""] {
        let res = app.visitor_post(&visitor, "/api/v1/widget/page-views", json!({"url": bad})).await;
        res.expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&res.body), vec!["url"], "{bad}");
    }
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let res = app
        .visitor_post(
            &visitor,
            "/api/v1/widget/page-views",
            json!({"url": "https://shop.example.com/", "viewed_at": long_ago}),
        )
        .await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["viewed_at"]);
    let future = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.visitor_post(
        &visitor,
        "/api/v1/widget/page-views",
        json!({"url": "https://shop.example.com/", "viewed_at": future}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // Operators see them, newest first.
    let views = app.get(&format!("/api/v1/visitors/{}/page-views", visitor.id), &bob.token).await;
    views.expect(200);
    let items = views.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["id"], second);
    assert_eq!(items[1]["title"], "Pricing");
    assert_eq!(items[2]["id"], first);
    assert_eq!(items[2]["referrer"], "https://search.example/?q=shop");
    let walked = app.all_ids(&format!("/api/v1/visitors/{}/page-views?limit=1", visitor.id), &bob.token).await;
    assert_eq!(walked.len(), 3);
    assert_eq!(walked[2], first);

    // And on the visitor card, with the dialog.
    let card = app.get(&format!("/api/v1/visitors/{}", visitor.id), &bob.token).await;
    card.expect(200);
    let card_views: Vec<&str> =
        card.body["page_views"].as_array().unwrap().iter().map(|v| v["url"].as_str().unwrap()).collect();
    assert_eq!(card_views.len(), 3);
    assert!(card_views.contains(&"https://shop.example.com/pricing"));
    assert_eq!(card.body["dialogs"][0]["id"], dialog_id);

    // The visitor cannot read operator endpoints.
    let res = app.get(&format!("/api/v1/visitors/{}/page-views", visitor.id), &visitor.token).await;
    assert_eq!(res.status, 401, "{}", res.text);
}

#[tokio::test]
async fn visitors_see_only_their_own_dialogs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let ann = app.start_visitor(&chat.public_key).await;
    let ben = app.start_visitor(&chat.public_key).await;

    let ann_dialog = app.visitor_writes_dialog(&ann, "Ann's private question").await;
    let reply = app.reply(&owner, ann_dialog, "Answer for Ann").await;
    let reply_id = reply["message"]["id"].as_i64().unwrap();

    // Ben has no dialogs, and Ann's are invisible to him.
    let list = app.visitor_get(&ben, "/api/v1/widget/dialogs").await;
    list.expect(200);
    assert!(list.body["items"].as_array().unwrap().is_empty());
    let base = format!("/api/v1/widget/dialogs/{ann_dialog}");
    app.visitor_get(&ben, &base).await.expect_problem(404, "not_found");
    app.visitor_get(&ben, &format!("{base}/messages")).await.expect_problem(404, "not_found");
    app.visitor_post(&ben, &format!("{base}/read"), json!({})).await.expect_problem(404, "not_found");
    app.visitor_post(&ben, &format!("{base}/read"), json!({"message_id": reply_id}))
        .await
        .expect_problem(404, "not_found");
    app.visitor_post(&ben, &format!("{base}/close"), json!({})).await.expect_problem(404, "not_found");
    app.visitor_get(&ben, "/api/v1/widget/dialogs/999999").await.expect_problem(404, "not_found");

    // Ben's own message starts his own dialog.
    let ben_dialog = app.visitor_writes_dialog(&ben, "Ben here").await;
    assert_ne!(ben_dialog, ann_dialog);
    assert_eq!(crate::helpers::ids(&app.visitor_get(&ben, "/api/v1/widget/dialogs").await.body), vec![ben_dialog]);
    assert_eq!(crate::helpers::ids(&app.visitor_get(&ann, "/api/v1/widget/dialogs").await.body), vec![ann_dialog]);
    app.visitor_get(&ann, &format!("/api/v1/widget/dialogs/{ben_dialog}")).await.expect_problem(404, "not_found");

    // Ann's dialog was not touched by Ben's attempts.
    let dialog = app.dialog(&owner, ann_dialog).await;
    assert_eq!(dialog["status"], "assigned");
    assert_eq!(dialog["counts"]["messages"], 2);
    assert!(dialog["visitor_last_read_message_id"].as_i64().unwrap() < reply_id);
    let own = app.visitor_get(&ann, &format!("{base}/messages")).await;
    own.expect(200);
    let bodies: Vec<&str> = own.body["items"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["Ann's private question", "Answer for Ann"]);

    // Ann can close her own dialog.
    let closed = app.visitor_post(&ann, &format!("{base}/close"), json!({})).await;
    closed.expect(200);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(closed.body["closed_by"], "visitor");
    assert_eq!(app.dialog(&owner, ann_dialog).await["closed_by"], "visitor");
}

#[tokio::test]
async fn concurrent_attribute_updates_all_land() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let path = format!("/api/v1/visitors/{}", visitor.id);

    // The widget and operators set different keys at the same moment; merging keeps them all.
    let widget =
        (0..5).map(|i| app.visitor_patch(&visitor, "/api/v1/widget/me", json!({"attributes": {format!("w{i}"): i}})));
    let operator = (0..5).map(|i| app.patch(&path, &owner.token, json!({"attributes": {format!("o{i}"): i}})));
    let (a, b) = tokio::join!(futures_util::future::join_all(widget), futures_util::future::join_all(operator));
    for res in a.iter().chain(b.iter()) {
        res.expect(200);
    }
    let me = app.visitor_get(&visitor, "/api/v1/widget/me").await;
    let attributes = me.body["attributes"].as_object().unwrap();
    assert_eq!(attributes.len(), 10, "{}", me.text);
    for i in 0..5 {
        assert_eq!(attributes[&format!("w{i}")], i);
        assert_eq!(attributes[&format!("o{i}")], i);
    }
}
