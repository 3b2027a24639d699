//! Tags: anyone creates and attaches them, admins rename and delete them; names are unique per
//! workspace, case-insensitively.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_fields, ids};

#[tokio::test]
async fn tags_are_created_by_anyone_and_managed_by_admins() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;

    let res = app.post("/api/v1/tags", &bob.token, json!({"name": " Billing "})).await;
    res.expect(201);
    let billing = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["name"], "Billing");
    assert_eq!(res.body["color"], "#6b7280");
    let res = app.post("/api/v1/tags", &bob.token, json!({"name": "VIP", "color": "#e8710a"})).await;
    res.expect(201);
    let vip = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["color"], "#e8710a");
    app.post("/api/v1/tags", &bob.token, json!({"name": "Soft", "color": "hsla(10, 50%, 50%, 0.5)"})).await.expect(201);

    // Names are unique, whatever the case or surrounding spaces.
    for dup in ["billing", "BILLING", "  Billing", "vip"] {
        app.post("/api/v1/tags", &bob.token, json!({"name": dup})).await.expect_problem(409, "tag_exists");
    }
    // Bad input.
    let res = app.post("/api/v1/tags", &bob.token, json!({"name": "Blue", "color": "blue"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["color"]);
    let res = app.post("/api/v1/tags", &bob.token, json!({"name": "  "})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["name"]);
    app.post("/api/v1/tags", &bob.token, json!({"name": "x".repeat(51)}))
        .await
        .expect_problem(422, "validation_failed");

    // Listing and search.
    let list = app.get("/api/v1/tags", &bob.token).await;
    list.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(ids(&app.get("/api/v1/tags?search=BILL", &bob.token).await.body), vec![billing]);
    assert_eq!(app.all_ids("/api/v1/tags?limit=1", &bob.token).await.len(), 3);
    let got = app.get(&format!("/api/v1/tags/{vip}"), &bob.token).await;
    got.expect(200);
    assert_eq!(got.body["name"], "VIP");

    // Operators cannot rename or delete.
    let path = format!("/api/v1/tags/{billing}");
    app.patch(&path, &bob.token, json!({"name": "Money"})).await.expect_problem(403, "forbidden");
    app.patch(&path, &bob.token, json!({"color": "#000"})).await.expect_problem(403, "forbidden");
    app.delete(&path, &bob.token).await.expect_problem(403, "forbidden");
    assert_eq!(app.get(&path, &bob.token).await.body["name"], "Billing");

    // Admins can; names stay unique.
    let res = app.patch(&path, &admin.token, json!({"name": "Payments", "color": "rgb(10, 20, 30)"})).await;
    res.expect(200);
    assert_eq!(res.body["name"], "Payments");
    assert_eq!(res.body["color"], "rgb(10, 20, 30)");
    app.patch(&path, &admin.token, json!({"name": "vip"})).await.expect_problem(409, "tag_exists");
    let res = app.patch(&path, &admin.token, json!({"name": "PAYMENTS"})).await;
    res.expect(200);
    assert_eq!(res.body["name"], "PAYMENTS", "changing the case of its own name is fine");
    app.patch(&path, &admin.token, json!({"color": "nope"})).await.expect_problem(422, "validation_failed");
    // The old name is free again.
    app.post("/api/v1/tags", &bob.token, json!({"name": "billing"})).await.expect(201);

    app.delete(&path, &owner.token).await.expect(204);
    app.get(&path, &bob.token).await.expect_problem(404, "not_found");
    app.delete(&path, &owner.token).await.expect_problem(404, "not_found");
    app.patch("/api/v1/tags/999999", &owner.token, json!({"name": "x"})).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn tags_are_attached_to_dialogs_and_removed_with_the_tag() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "Refund please").await;
    let other_visitor = app.start_visitor(&chat.public_key).await;
    let other_dialog = app.visitor_writes_dialog(&other_visitor, "Hello").await;
    let billing = app.post("/api/v1/tags", &bob.token, json!({"name": "billing"})).await.body["id"].as_i64().unwrap();
    let vip = app.post("/api/v1/tags", &bob.token, json!({"name": "vip"})).await.body["id"].as_i64().unwrap();
    let tags = format!("/api/v1/dialogs/{dialog_id}/tags");

    let res = app.post(&tags, &bob.token, json!({"tag_id": vip})).await;
    res.expect(200);
    assert_eq!(ids(&json!({"items": res.body})), vec![vip]);
    let res = app.post(&tags, &bob.token, json!({"tag_id": billing})).await;
    res.expect(200);
    let names: Vec<&str> = res.body.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["billing", "vip"]);
    // Attaching twice changes nothing.
    let res = app.post(&tags, &bob.token, json!({"tag_id": billing})).await;
    res.expect(200);
    assert_eq!(res.body.as_array().unwrap().len(), 2);
    app.post(&format!("/api/v1/dialogs/{other_dialog}/tags"), &bob.token, json!({"tag_id": billing})).await.expect(200);

    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(dialog["tags"].as_array().unwrap().len(), 2);
    assert_eq!(ids(&app.get(&format!("/api/v1/dialogs?tag_ids={vip}"), &bob.token).await.body), vec![dialog_id]);

    // Detaching.
    let res = app.delete(&format!("{tags}/{vip}"), &bob.token).await;
    res.expect(200);
    assert_eq!(ids(&json!({"items": res.body})), vec![billing]);
    let res = app.delete(&format!("{tags}/{vip}"), &bob.token).await;
    res.expect(200);
    assert_eq!(ids(&json!({"items": res.body})), vec![billing]);
    assert!(ids(&app.get(&format!("/api/v1/dialogs?tag_ids={vip}"), &bob.token).await.body).is_empty());

    // Unknown tags and dialogs.
    let res = app.post(&tags, &bob.token, json!({"tag_id": 999_999})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["tag_id"]);
    app.delete(&format!("{tags}/999999"), &bob.token).await.expect_problem(404, "not_found");
    app.post("/api/v1/dialogs/999999/tags", &bob.token, json!({"tag_id": vip})).await.expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/dialogs/999999/tags/{vip}"), &bob.token).await.expect_problem(404, "not_found");

    // Deleting a tag takes it off every dialog.
    app.post(&tags, &bob.token, json!({"tag_id": vip})).await.expect(200);
    app.delete(&format!("/api/v1/tags/{billing}"), &owner.token).await.expect(204);
    let dialog = app.dialog(&bob, dialog_id).await;
    assert_eq!(ids(&json!({"items": dialog["tags"]})), vec![vip]);
    assert!(app.dialog(&bob, other_dialog).await["tags"].as_array().unwrap().is_empty());
    assert!(ids(&app.get(&format!("/api/v1/dialogs?tag_ids={billing}"), &bob.token).await.body).is_empty());
    let listed = app.get("/api/v1/dialogs", &bob.token).await;
    assert!(!listed.text.contains("billing"), "{}", listed.text);
    // A new tag with the same name does not inherit the old attachments.
    let again = app.post("/api/v1/tags", &bob.token, json!({"name": "Billing"})).await;
    again.expect(201);
    let again_id = again.body["id"].as_i64().unwrap();
    assert!(ids(&app.get(&format!("/api/v1/dialogs?tag_ids={again_id}"), &bob.token).await.body).is_empty());
}

#[tokio::test]
async fn tag_search_ignores_case_in_any_script() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let urgent = app.post("/api/v1/tags", &owner.token, json!({"name": "Срочно"})).await.body["id"].as_i64().unwrap();
    app.post("/api/v1/tags", &owner.token, json!({"name": "later"})).await.expect(201);
    // Uniqueness already ignores case in any script.
    app.post("/api/v1/tags", &owner.token, json!({"name": "СРОЧНО"})).await.expect_problem(409, "tag_exists");
    for search in ["Сроч", "сроч", "СРОЧ"] {
        let found =
            app.get(&format!("/api/v1/tags?search={}", crate::helpers::query_escape(search)), &owner.token).await;
        assert_eq!(ids(&found.body), vec![urgent], "search={search}");
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_name_make_one_tag() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    // A few rounds, each a burst of creates of one name in mixed case.
    for round in 0..5 {
        let creates = (0..10).map(|i| {
            let name = if i % 2 == 0 { format!("Urgent {round}") } else { format!("URGENT {round}") };
            app.post("/api/v1/tags", &owner.token, json!({ "name": name }))
        });
        let answers = futures_util::future::join_all(creates).await;
        let created = answers.iter().filter(|a| a.status == 201).count();
        assert_eq!(created, 1, "{:?}", answers.iter().map(|a| &a.text).collect::<Vec<_>>());
        for a in answers.iter().filter(|a| a.status != 201) {
            a.expect_problem(409, "tag_exists");
        }
    }
    assert_eq!(app.get("/api/v1/tags", &owner.token).await.body["items"].as_array().unwrap().len(), 5);
}
